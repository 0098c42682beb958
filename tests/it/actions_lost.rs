//! An answer lost after the call was made: a proxy of this test's own passes every request to
//! the emulator, but for the real (not DryRun) CopySnapshot it drops the answer once the
//! emulator made the copy. The SDK retries (so more copies are made) and then gives up;
//! rolecall looks for the copies by the token it tagged them with, uses one and names the
//! others, instead of stopping with copies nobody knows of.

use std::io::{BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};

use crate::common::emulator;
use crate::common::lab::Lab;
use crate::common::proxy::read_request;

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// A proxy that loses the answers of real `action` calls (after the emulator made them).
fn losing_proxy(upstream: &str, action: &'static str) -> String {
    let upstream = upstream
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            let upstream = upstream.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(conn.try_clone().unwrap());
                let Ok(Some(request)) = read_request(&mut reader) else {
                    return;
                };
                let mut up = TcpStream::connect(&upstream).unwrap();
                up.write_all(&request).unwrap();
                let mut answer = Vec::new();
                up.read_to_end(&mut answer).unwrap();
                let lose = contains(&request, &format!("Action={action}&"))
                    && contains(&request, "DryRun=false");
                let mut conn = conn;
                if !lose {
                    conn.write_all(&answer).ok();
                    conn.flush().ok();
                }
                conn.shutdown(Shutdown::Both).ok();
            });
        }
    });
    endpoint
}

#[test]
fn a_copy_whose_answer_was_lost_is_found_used_and_every_copy_named() {
    let emu = emulator();
    let lab = Lab::open(emu, "IR-LOST", "forensic_account = \"999999999999\"");
    let data = lab.world("suspect_data_volume");
    let proxy = losing_proxy(&emu.endpoint, "CopySnapshot");
    let mut cmd = emu.rolecall();
    for (k, v) in lab.env() {
        cmd.env(k, v);
    }
    cmd.env("AWS_ENDPOINT_URL", &proxy);
    let out =
        crate::common::run(cmd.args(["snapshot", "lab-ir", "--volume", &data, "--yes", "--json"]));
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(out.stderr.contains("failed ("), "{}", out.stderr);
    let row = &out.json()[0];
    let copy = row["shared_snapshot_id"].as_str().unwrap().to_string();
    assert_ne!(row["snapshot_id"].as_str(), Some(copy.as_str()));
    // Every copy made (one per attempt) is named, the one used and the others.
    let copies = lab.aws(
        "s = ec2.describe_snapshots(OwnerIds=['self'], Filters=[{'Name': 'tag:rolecall:case', 'Values': ['IR-LOST']}, {'Name': 'tag-key', 'Values': ['rolecall:source-snapshot']}])['Snapshots']\n\
         print(json.dumps([x['SnapshotId'] for x in s]))",
    );
    let copies: Vec<String> = copies
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    assert!(copies.contains(&copy), "{copies:?}");
    assert!(
        copies.len() >= 2,
        "the SDK's retry made another: {copies:?}"
    );
    let made = out
        .stderr
        .lines()
        .find(|l| l.starts_with("rolecall: made snap-"))
        .unwrap_or_else(|| panic!("{}", out.stderr));
    for c in &copies {
        assert!(made.contains(c.as_str()), "{c} not named: {made}");
    }
}

#[test]
fn a_snapshot_whose_answer_was_lost_is_found_used_and_every_one_named() {
    let emu = emulator();
    let lab = Lab::open(emu, "IR-LOST2", "");
    let volume = lab.world("loose_volume");
    let proxy = losing_proxy(&emu.endpoint, "CreateSnapshot");
    let mut cmd = emu.rolecall();
    for (k, v) in lab.env() {
        cmd.env(k, v);
    }
    cmd.env("AWS_ENDPOINT_URL", &proxy);
    let out = crate::common::run(
        cmd.args(["snapshot", "lab-ir", "--volume", &volume, "--yes", "--json"]),
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(out.stderr.contains("the answer was lost"), "{}", out.stderr);
    let taken: Vec<String> = lab
        .snapshots()
        .iter()
        .map(|s| s["SnapshotId"].as_str().unwrap().to_string())
        .collect();
    assert!(!taken.is_empty());
    assert!(taken.contains(&out.json()[0]["snapshot_id"].as_str().unwrap().to_string()));
    let made = out
        .stderr
        .lines()
        .find(|l| l.starts_with("rolecall: made snap-"))
        .unwrap_or_else(|| panic!("{}", out.stderr));
    for t in &taken {
        assert!(made.contains(t.as_str()), "{t} not named: {made}");
    }
}
