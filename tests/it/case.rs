//! The case file from the command line, against the emulator: opening, recording what was
//! done, verifying the chain, exports, and a log that cannot be written.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::proxy::FaultProxy;
use crate::common::{emulator, files_under, run, DemoConfig, Emulator, Run};

/// A folder of cases of its own (`[case] dir`), and rolecall runs that use it.
struct Cases {
    dir: tempfile::TempDir,
    config: PathBuf,
    endpoint: String,
}

impl Cases {
    fn new(emu: &Emulator) -> Cases {
        Cases::through(emu, &emu.endpoint)
    }

    /// Cases whose AWS calls go to `endpoint` (a recording proxy).
    fn through(_emu: &Emulator, endpoint: &str) -> Cases {
        let dir = tempfile::tempdir().unwrap();
        let cases = dir.path().join("cases");
        let config = DemoConfig::default()
            .append(&format!("[case]\ndir = \"{}\"\n", cases.display()))
            .write(dir.path());
        Cases {
            dir,
            config,
            endpoint: endpoint.to_string(),
        }
    }

    fn root(&self) -> PathBuf {
        self.dir.path().join("cases")
    }

    fn rolecall(&self, emu: &Emulator, args: &[&str]) -> Run {
        run(emu
            .rolecall()
            .env("ROLECALL_CONFIG", &self.config)
            .env("AWS_ENDPOINT_URL", &self.endpoint)
            .args(args))
    }

    fn log(&self, id: &str) -> PathBuf {
        self.root().join(id).join("log.jsonl")
    }

    fn entries(&self, id: &str) -> Vec<Value> {
        std::fs::read_to_string(self.log(id))
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}

fn actions(entries: &[Value]) -> Vec<&str> {
    entries
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect()
}

#[test]
fn a_case_records_who_did_what_in_order_and_verifies() {
    let emu = emulator();
    let c = Cases::new(emu);
    c.rolecall(
        emu,
        &["case", "open", "IR-7", "--title", "phishing on prod"],
    )
    .ok();
    c.rolecall(emu, &["instances", "prod-responder", "--json"])
        .ok();
    c.rolecall(emu, &["volumes", "staging-auditor", "--csv"])
        .ok();
    c.rolecall(emu, &["link", "staging-auditor"]).ok();
    let denied = c.rolecall(
        emu,
        &["instances", "prod-responder", "--region", "ap-nowhere-9"],
    );
    assert_eq!(denied.code, Some(1), "{}", denied.stderr);

    let entries = c.entries("IR-7");
    assert_eq!(
        actions(&entries),
        [
            "case.open",
            "assume",
            "list",
            "assume",
            "list",
            "link.switch-role",
            "assume",
            "list"
        ]
    );
    for (i, e) in entries.iter().enumerate() {
        assert_eq!(e["seq"], i as u64 + 1);
        assert_eq!(e["case"], "IR-7");
        assert_eq!(e["actor"], "arn:aws:iam::111111111111:user/responder");
        assert_eq!(e["rolecall"], env!("CARGO_PKG_VERSION"));
        assert!(!e["host"].as_str().unwrap().is_empty());
        let ts = e["ts"].as_str().unwrap();
        assert!(ts.ends_with('Z') && ts.len() == 24, "ms, UTC: {ts}");
    }
    assert_eq!(entries[0]["prev"], "");
    let assume = &entries[1];
    assert_eq!(assume["role_arn"], emu.role_arn("prod-responder"));
    assert_eq!(assume["account_id"], "222222222222");
    assert!(assume["session_arn"]
        .as_str()
        .unwrap()
        .starts_with("arn:aws:sts::222222222222:assumed-role/ResponderRole/"));
    assert_eq!(assume["params"]["external_id"], false);
    assert_eq!(assume["params"]["mfa"], false);
    assert!(assume["result"]["expiration"].is_string());
    assert_eq!(entries[3]["params"]["external_id"], true, "staging's role");
    let list = &entries[2];
    assert_eq!(
        list["params"]["regions"],
        serde_json::json!(["us-east-1", "eu-west-1"])
    );
    assert_eq!(
        list["result"]["rows"],
        emu.instance_ids("222222222222").len(),
        "every instance of prod"
    );
    let failed = &entries[7];
    assert_eq!(failed["result"]["failed"][0]["region"], "ap-nowhere-9");

    // The chain holds; show prints the last hash; list knows the case.
    let out = c.rolecall(emu, &["case", "verify"]).ok();
    assert!(
        out.stdout.contains("the chain of 8 entries holds"),
        "{}",
        out.stdout
    );
    let shown = c.rolecall(emu, &["case", "show", "--json"]).ok().json();
    for key in [
        "id",
        "title",
        "dir",
        "log",
        "opened_at",
        "entries",
        "last_hash",
    ] {
        assert!(!shown[key].is_null(), "{key} in {shown}");
    }
    assert_eq!(shown["entries"], 8);
    assert_eq!(shown["title"], "phishing on prod");
    assert_eq!(shown["log"], c.log("IR-7").display().to_string());
    let last_line = std::fs::read_to_string(c.log("IR-7")).unwrap();
    let last_line = last_line.lines().last().unwrap();
    assert_eq!(shown["last_hash"], sha256(last_line.as_bytes()));
    let listed = c.rolecall(emu, &["case", "list", "--json"]).ok().json();
    assert_eq!(listed[0]["id"], "IR-7");
    assert_eq!(listed[0]["current"], true);

    // Closed: nothing more is recorded, and acting in it by name is refused.
    c.rolecall(emu, &["case", "close"]).ok();
    c.rolecall(emu, &["instances", "prod-responder"]).ok();
    assert_eq!(c.entries("IR-7").len(), 9);
    let out = c.rolecall(emu, &["--case", "IR-7", "instances", "prod-responder"]);
    assert_eq!(out.code, Some(1));
    assert!(out.stderr.contains("case IR-7 is closed"), "{}", out.stderr);
}

fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// Rewrites the log's lines with `f`.
fn tamper(log: &Path, f: impl FnOnce(&mut Vec<String>)) {
    let text = std::fs::read_to_string(log).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    f(&mut lines);
    std::fs::write(log, lines.join("\n") + "\n").unwrap();
}

#[test]
fn verify_names_the_first_entry_that_does_not_hold() {
    let emu = emulator();
    let c = Cases::new(emu);
    c.rolecall(emu, &["case", "open", "IR-8"]).ok();
    for _ in 0..2 {
        c.rolecall(emu, &["instances", "empty"]).ok();
    }
    // case.open, then assume + list twice: five entries.
    let log = c.log("IR-8");
    let good = std::fs::read(&log).unwrap();
    let restore = || std::fs::write(&log, &good).unwrap();
    c.rolecall(emu, &["case", "verify", "IR-8"]).ok();

    tamper(&log, |l| l[2] = l[2].replace("\"rows\":0", "\"rows\":3"));
    let out = c.rolecall(emu, &["case", "verify", "IR-8"]).fails();
    assert!(
        out.stderr.contains("from entry 3 (line 3)"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("edited"), "{}", out.stderr);
    restore();

    tamper(&log, |l| {
        l.remove(1);
    });
    let out = c.rolecall(emu, &["case", "verify", "IR-8"]).fails();
    assert!(
        out.stderr.contains("from entry 3 (line 2)"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("removed"), "{}", out.stderr);
    restore();

    tamper(&log, |l| l.truncate(3));
    let out = c.rolecall(emu, &["case", "verify", "IR-8"]).fails();
    assert!(
        out.stderr.contains("from entry 4 (line 4)"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("truncated"), "{}", out.stderr);
    restore();

    tamper(&log, |l| l.swap(3, 4));
    let out = c.rolecall(emu, &["case", "verify", "IR-8"]).fails();
    assert!(out.stderr.contains("line 4"), "{}", out.stderr);
    restore();
    c.rolecall(emu, &["case", "verify", "IR-8"]).ok();
}

#[test]
fn case_ids_that_could_leave_the_cases_folder_are_refused() {
    let emu = emulator();
    let c = Cases::new(emu);
    for bad in ["../etc", "a/b", "..", "", "with space"] {
        let out = c.rolecall(emu, &["case", "open", bad]);
        assert_eq!(out.code, Some(1), "{bad}: {}", out.stderr);
        assert!(
            out.stderr.contains("1 to 64 letters"),
            "{bad}: {}",
            out.stderr
        );
        let out = c.rolecall(emu, &["--case", bad, "instances", "empty"]);
        assert_eq!(out.code, Some(1), "{bad}: {}", out.stderr);
    }
    assert!(!c.dir.path().join("etc").exists());
    assert!(files_under(c.dir.path())
        .iter()
        .all(|(p, _)| !p.starts_with(c.root().join("..").join("etc"))));
    let out = c
        .rolecall(emu, &["--case", "nope", "instances", "empty"])
        .fails();
    assert!(out.stderr.contains("no case \"nope\""), "{}", out.stderr);
}

#[test]
fn the_log_holds_none_of_the_credentials_the_emulator_issued() {
    let emu = emulator();
    let proxy = FaultProxy::start(&emu.endpoint);
    let c = Cases::through(emu, &proxy.endpoint);
    c.rolecall(emu, &["case", "open", "IR-9"]).ok();
    c.rolecall(emu, &["instances", "prod-responder"]).ok();
    c.rolecall(emu, &["assume", "staging-auditor"]).ok();
    c.rolecall(emu, &["exec", "prod-responder", "--", "true"])
        .ok();
    c.rolecall(emu, &["instances", "--all", "--json"]).ok();
    let out = c.rolecall(
        emu,
        &[
            "assume",
            "prod-breakglass",
            "--token-code",
            "123456",
            "--format",
            "credential-process",
        ],
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let mut secrets = proxy.recorded_values("SecretAccessKey");
    secrets.extend(proxy.recorded_values("SessionToken"));
    assert!(secrets.len() >= 10, "{secrets:?}");
    secrets.push(emu.primary_key().1.to_string());
    secrets.push("123456".into());
    let entries = c.entries("IR-9");
    assert!(entries.len() >= 10, "{}", entries.len());
    for (path, text) in files_under(&c.root()) {
        for s in &secrets {
            assert!(!text.contains(s.as_str()), "a secret in {}", path.display());
        }
    }
    // The MFA role's assume says a code was used, not which.
    assert!(entries
        .iter()
        .any(|e| e["role_arn"] == emu.role_arn("prod-breakglass") && e["params"]["mfa"] == true));
}

#[test]
fn a_log_that_cannot_be_written_stops_the_action() {
    let emu = emulator();
    let c = Cases::new(emu);
    c.rolecall(emu, &["case", "open", "IR-10"]).ok();
    // The disk is full: every write to the log fails (even as root).
    let log = c.log("IR-10");
    std::fs::remove_file(&log).unwrap();
    std::os::unix::fs::symlink("/dev/full", &log).unwrap();
    for args in [
        &["instances", "prod-responder"][..],
        &["assume", "prod-responder"][..],
        &["link", "prod-responder"][..],
    ] {
        let out = c.rolecall(emu, args);
        assert_eq!(out.code, Some(1), "{args:?}: {}", out.stderr);
        assert!(out.stdout.is_empty(), "{args:?} printed: {}", out.stdout);
        assert!(
            out.stderr.contains("cannot be written")
                || out.stderr.contains("could not be recorded"),
            "{args:?}: {}",
            out.stderr
        );
        assert!(out.stderr.contains("log.jsonl"), "{args:?}: {}", out.stderr);
    }
}

#[test]
fn csv_parses_back_to_the_json_rows() {
    let emu = emulator();
    let c = Cases::new(emu);
    let python = std::env::var("ROLECALL_TEST_PYTHON").unwrap_or_else(|_| "python3".to_string());
    for what in ["instances", "volumes"] {
        let json = c.rolecall(emu, &[what, "--all", "--json"]).ok().stdout;
        let csv = c.rolecall(emu, &[what, "--all", "--csv"]).ok().stdout;
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("rows.json"), &json).unwrap();
        std::fs::write(dir.path().join("rows.csv"), &csv).unwrap();
        // Python's csv module reads it back; each row must equal its JSON row, with lists joined
        // by ';', tags as key=value;…, nothing as "", numbers and booleans as text.
        let script = r#"
import csv, json, sys
rows = json.load(open(sys.argv[1]))
back = list(csv.DictReader(open(sys.argv[2], newline="")))
def text(v):
    if v is None: return ""
    if isinstance(v, bool): return "true" if v else "false"
    if isinstance(v, list): return ";".join(v)
    if isinstance(v, dict): return ";".join(f"{k}={x}" for k, x in v.items())
    return str(v)
assert len(rows) == len(back), (len(rows), len(back))
for j, c in zip(rows, back):
    want = {k: text(v) for k, v in j.items()}
    for k in c:
        want.setdefault(k, "")
    assert want == dict(c), (want, c)
print(len(rows))
"#;
        let out = std::process::Command::new(&python)
            .arg("-c")
            .arg(script)
            .arg(dir.path().join("rows.json"))
            .arg(dir.path().join("rows.csv"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{what}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let n: usize = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
        assert!(n > 10, "{what}: {n} rows");
    }
    let out = c.rolecall(emu, &["instances", "empty", "--json", "--csv"]);
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    assert!(out.stderr.contains("cannot be used with"), "{}", out.stderr);
}

/// A crash while an entry was written leaves the log ending in an entry that lost its newline, or
/// in part of an entry. Verify says so and still holds; the next run records as usual, the torn
/// bytes kept in a file beside the log and recorded in the chain.
#[test]
fn a_crash_mid_write_costs_at_most_the_entry_being_written() {
    let emu = emulator();
    let c = Cases::new(emu);
    c.rolecall(emu, &["case", "open", "IR-11"]).ok();
    c.rolecall(emu, &["link", "staging-auditor"]).ok();
    let log = c.log("IR-11");
    let verify = || c.rolecall(emu, &["case", "verify"]).ok();

    // The last newline lost.
    let bytes = std::fs::read(&log).unwrap();
    std::fs::write(&log, &bytes[..bytes.len() - 1]).unwrap();
    let out = verify();
    assert!(
        out.stdout.contains("the chain of 2 entries holds"),
        "{}",
        out.stdout
    );
    assert!(out.stderr.contains("lost the newline"), "{}", out.stderr);
    c.rolecall(emu, &["link", "staging-auditor"]).ok();
    assert_eq!(c.entries("IR-11").len(), 3);
    assert!(verify().stdout.contains("the chain of 3 entries holds"));

    // Part of an entry, then the crash.
    let size = std::fs::metadata(&log).unwrap().len();
    let torn = b"{\"seq\":4,\"ts\":\"2026-11-29T20:04:51.059Z\",\"case\":\"IR-11\",\"ac";
    let mut f = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
    std::io::Write::write_all(&mut f, torn).unwrap();
    drop(f);
    let out = verify();
    assert!(
        out.stdout.contains("the chain of 3 entries holds"),
        "{}",
        out.stdout
    );
    assert!(out.stderr.contains("line 4 is cut off"), "{}", out.stderr);
    c.rolecall(emu, &["link", "staging-auditor"]).ok();
    let entries = c.entries("IR-11");
    assert_eq!(
        actions(&entries)[2..],
        ["link.switch-role", "log.set-aside", "link.switch-role"]
    );
    let aside = &entries[3]["params"];
    let file = format!("log.jsonl.torn-{size}");
    assert_eq!(aside["file"], file);
    assert_eq!(aside["bytes"], torn.len());
    assert_eq!(aside["sha256"], sha256(torn));
    assert_eq!(
        std::fs::read(c.root().join("IR-11").join(&file)).unwrap(),
        torn
    );
    let out = verify();
    assert!(
        out.stdout.contains("the chain of 5 entries holds"),
        "{}",
        out.stdout
    );
    assert!(
        out.stderr.contains(&format!("set aside in {file}")),
        "{}",
        out.stderr
    );
}

/// Two runs recording into one case at once (here two commands listing every account, each
/// recording an assume and a listing per account from tasks of its own) take turns: every entry
/// is there, numbered in order, and the chain holds.
#[test]
fn appends_from_two_processes_take_turns() {
    let emu = emulator();
    let c = Cases::new(emu);
    c.rolecall(emu, &["case", "open", "IR-12"]).ok();
    c.rolecall(emu, &["instances", "--all", "--json"]).ok();
    let one_run = c.entries("IR-12").len() - 1;
    assert!(one_run >= 6, "{one_run} entries for one run");
    let runs = 3;
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                for _ in 0..runs {
                    c.rolecall(emu, &["instances", "--all", "--json"]).ok();
                }
            });
        }
    });
    let entries = c.entries("IR-12");
    assert_eq!(entries.len(), 1 + one_run * (1 + 2 * runs));
    for (i, e) in entries.iter().enumerate() {
        assert_eq!(e["seq"], i as u64 + 1);
    }
    let out = c.rolecall(emu, &["case", "verify"]).ok();
    assert!(
        out.stdout
            .contains(&format!("the chain of {} entries holds", entries.len())),
        "{}",
        out.stdout
    );
    assert!(out.stderr.is_empty(), "{}", out.stderr);
}
