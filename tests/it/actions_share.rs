//! Sharing evidence and capturing it, against the emulator's lab account: the case's key named
//! by case and forensic account (a case id with a dot too), recorded as soon as it exists and
//! reused only when the forensic account may use it; a forensic role in another account than
//! the one shared with refused before anything is made; captures that never replace earlier
//! ones.

use serde_json::Value;

use crate::common::emulator;
use crate::common::lab::{sha256, Lab};

fn actions(entries: &[Value]) -> Vec<String> {
    entries
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_string())
        .collect()
}

/// The entries of the last run of `action` (from its `.start`).
fn last_run(entries: &[Value], action: &str) -> Vec<Value> {
    let start = format!("{action}.start");
    let from = entries.iter().rposition(|e| e["action"] == start).unwrap();
    entries[from..].to_vec()
}

#[test]
fn a_case_id_with_a_dot_shares_an_encrypted_snapshot_under_a_key_named_for_case_and_account() {
    let emu = emulator();
    let lab = Lab::open(emu, "IR-2026.1", "forensic_account = \"999999999999\"");
    let data = lab.world("suspect_data_volume");
    // KMS alias names take no '.': it becomes '/', which no case id holds.
    let alias = "alias/rolecall-IR-2026/1-999999999999";
    let out = lab.rolecall(&["snapshot", "lab-ir", "--volume", &data, "--yes", "--json"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let rows = out.json();
    let row = &rows[0];
    let copy = row["shared_snapshot_id"].as_str().unwrap().to_string();
    assert_ne!(row["snapshot_id"].as_str(), Some(copy.as_str()));
    assert_eq!(row["shared_with"], "999999999999");

    let check = lab.aws(&format!(
        "key = kms.describe_key(KeyId={alias:?})['KeyMetadata']['Arn']\n\
         copy = ec2.describe_snapshots(SnapshotIds=[{copy:?}])['Snapshots'][0]\n\
         perm = [p['UserId'] for p in ec2.describe_snapshot_attribute(SnapshotId={copy:?}, Attribute='createVolumePermission')['CreateVolumePermissions']]\n\
         policy = json.loads(kms.get_key_policy(KeyId=key, PolicyName='default')['Policy'])\n\
         tags = {{t['TagKey']: t['TagValue'] for t in kms.list_resource_tags(KeyId=key)['Tags']}}\n\
         print(json.dumps({{'key': key, 'copy_key': copy.get('KmsKeyId'), 'perm': perm, 'policy': policy, 'tags': tags}}))"
    ));
    let key = check["key"].as_str().unwrap().to_string();
    assert_eq!(check["copy_key"], key.as_str());
    assert_eq!(check["perm"], serde_json::json!(["999999999999"]));
    assert_eq!(check["tags"]["rolecall:case"], "IR-2026.1");
    assert_eq!(check["tags"]["rolecall:forensic-account"], "999999999999");
    let grant = check["policy"]["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["Sid"] == "ForensicAccountUse")
        .cloned()
        .unwrap();
    assert_eq!(grant["Principal"]["AWS"], "arn:aws:iam::999999999999:root");
    // The key and its alias are named in the outcome (the line naming all it made).
    let made = out
        .stderr
        .lines()
        .find(|l| l.starts_with("rolecall: made snap-"))
        .unwrap_or_else(|| panic!("{}", out.stderr));
    assert!(
        made.contains(&key) && made.contains(alias) && made.contains(&copy),
        "{made}"
    );

    // The key is in the log as soon as it exists, before its alias is asked for.
    let entries = lab.entries();
    let run = last_run(&entries, "snapshot");
    assert_eq!(
        actions(&run),
        [
            "snapshot.start",
            "snapshot.create",
            "snapshot.completed",
            "kms.create-key",
            "kms.create-alias",
            "snapshot.copy",
            "snapshot.share"
        ]
    );
    let made = run
        .iter()
        .find(|e| e["action"] == "kms.create-key")
        .unwrap();
    assert_eq!(made["target"][0], key.as_str(), "{made}");
    assert_eq!(made["result"]["key_arn"], key.as_str());
    assert_eq!(made["params"]["alias"], alias);
    let named = run
        .iter()
        .find(|e| e["action"] == "kms.create-alias")
        .unwrap();
    assert!(made["seq"].as_u64() < named["seq"].as_u64());
    assert_eq!(named["target"], serde_json::json!([alias, key]));
    // The plan named that alias.
    let calls = run[0]["params"]["calls"].to_string();
    assert!(
        calls.contains(&format!("kms:DescribeKey {alias}")),
        "{calls}"
    );

    // Again in the same case: the key is found by its alias, checked, and used; none is made.
    let out = lab.rolecall(&["snapshot", "lab-ir", "--volume", &data, "--yes", "--json"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let again = out.json()[0]["shared_snapshot_id"]
        .as_str()
        .unwrap()
        .to_string();
    let copy_key = lab.aws(&format!(
        "print(json.dumps(ec2.describe_snapshots(SnapshotIds=[{again:?}])['Snapshots'][0].get('KmsKeyId')))"
    ));
    assert_eq!(copy_key, key.as_str());
    let run = last_run(&lab.entries(), "snapshot");
    assert!(
        !actions(&run).iter().any(|a| a.starts_with("kms.")),
        "{:?}",
        actions(&run)
    );
    let out = lab.rolecall(&["case", "verify"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
}

#[test]
fn a_case_key_the_forensic_account_may_not_use_is_refused_and_named() {
    let emu = emulator();
    let lab = Lab::open(emu, "IR-KEYCHECK", "forensic_account = \"999999999999\"");
    let data = lab.world("suspect_data_volume");
    // A key under the case's alias, with the default policy: only its own account may use it.
    let key = lab.aws(
        "k = kms.create_key(Description='not for sharing')['KeyMetadata']['Arn']\n\
         kms.create_alias(AliasName='alias/rolecall-IR-KEYCHECK-999999999999', TargetKeyId=k)\n\
         print(json.dumps(k))",
    );
    let key = key.as_str().unwrap();
    let out = lab.rolecall(&["snapshot", "lab-ir", "--volume", &data, "--yes"]);
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    // Read at plan time: refused before anything is made (it used to be found after the
    // snapshot was taken).
    for needle in [
        key,
        "999999999999",
        "[case] kms_key_arn",
        "new case",
        "nothing was changed",
    ] {
        assert!(out.stderr.contains(needle), "{needle}: {}", out.stderr);
    }
    assert!(!out.stderr.contains("calls, in order"), "{}", out.stderr);
    assert!(lab.snapshots().is_empty(), "nothing was made");
    let log = actions(&lab.entries());
    assert!(
        !log.iter()
            .any(|a| a.starts_with("snapshot.") || a.starts_with("kms.")),
        "{log:?}"
    );
}

#[test]
fn a_forensic_role_in_another_account_than_the_one_shared_with_is_refused_before_anything() {
    let emu = emulator();
    let lab = Lab::open(
        emu,
        "IR-ELSEWHERE",
        "forensic_account = \"999999999999\"\nforensic_role = \"arn:aws:iam::999999999999:role/ForensicCopier\"",
    );
    let volume = lab.world("loose_volume");
    let out = lab.rolecall(&[
        "snapshot",
        "lab-ir",
        "--volume",
        &volume,
        "--share-with",
        "888888888888",
        "--yes",
    ]);
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    for needle in [
        "999999999999",
        "888888888888",
        "--share-with",
        "forensic_role",
        "nothing was changed",
    ] {
        assert!(out.stderr.contains(needle), "{needle}: {}", out.stderr);
    }
    assert!(
        !out.stderr.contains("calls, in order"),
        "no plan: {}",
        out.stderr
    );
    assert!(lab.snapshots().is_empty(), "nothing was made");
    let log = actions(&lab.entries());
    assert!(
        !log.iter()
            .any(|a| a.starts_with("snapshot.") || a.starts_with("kms.")),
        "{log:?}"
    );
}

#[test]
fn two_captures_of_one_instance_keep_two_folders_and_every_hash_still_matches() {
    let emu = emulator();
    let lab = Lab::open(emu, "IR-CAP2", "");
    let other = lab.world("other");
    for _ in 0..2 {
        let out = lab.rolecall(&["capture", "lab-ir", "--instance", &other, "--yes"]);
        assert_eq!(out.code, Some(0), "{}", out.stderr);
    }
    let base = lab.case_dir().join("evidence").join(&other);
    let mut folders: Vec<String> = std::fs::read_dir(&base)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    folders.sort();
    assert_eq!(folders.len(), 2, "{folders:?}");
    for f in &folders {
        // 20261129T213000Z, or …Z-2 for a second capture within the same second.
        let stamp = f.split('-').next().unwrap();
        assert!(
            chrono::NaiveDateTime::parse_from_str(stamp, "%Y%m%dT%H%M%SZ").is_ok(),
            "{f}"
        );
        let described: Value = serde_json::from_str(
            &std::fs::read_to_string(base.join(f).join("instance.json")).unwrap(),
        )
        .unwrap();
        assert_eq!(described["instance"]["instance_id"], other.as_str());
        assert!(base.join(f).join("console.log").is_file());
    }
    let entries = lab.entries();
    let files: Vec<&Value> = entries
        .iter()
        .filter(|e| e["action"] == "capture.file")
        .collect();
    assert_eq!(files.len(), 4, "two files a capture");
    let mut paths = Vec::new();
    for f in files {
        let path = std::path::PathBuf::from(f["result"]["path"].as_str().unwrap());
        assert_eq!(
            f["result"]["sha256"],
            sha256(&path).as_str(),
            "{}",
            path.display()
        );
        let folder = path
            .parent()
            .unwrap()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        assert!(folders.contains(&folder), "{}", path.display());
        paths.push(path);
    }
    paths.sort();
    paths.dedup();
    assert_eq!(paths.len(), 4, "no file was written twice");
    // The plan said where the files go, and that the run describes the instance again.
    let start = entries
        .iter()
        .find(|e| e["action"] == "capture.start")
        .unwrap();
    let notes = start["params"]["notes"].to_string();
    assert!(notes.contains("<UTC time"), "{notes}");
    assert!(
        start["params"]["calls"][0]
            .as_str()
            .unwrap()
            .contains("at capture time"),
        "{start}"
    );
    let out = lab.rolecall(&["case", "verify"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
}
