//! Responder actions from the command line, against the emulator's lab account: refused outside
//! a case and read-only, DryRun refusals explained, snapshots tagged and shared (re-encrypted
//! under a key the forensic account may use), isolation recorded and undone exactly, captures
//! hashed into the log.

use serde_json::Value;

use crate::common::lab::{sha256, Lab};
use crate::common::{emulator, enforced_emulator, own_enforced_emulator};

fn actions(entries: &[Value]) -> Vec<String> {
    entries
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn nothing_is_done_outside_a_case_read_only_or_without_a_yes() {
    let emu = emulator();
    let lab = Lab::open(emu, "", "");
    let suspect = lab.world("suspect");
    let out = lab.rolecall(&["snapshot", "lab-ir", "--instance", &suspect, "--yes"]);
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert!(
        out.stderr.contains("snapshot refused: no case is open"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("rolecall case open ID"),
        "{}",
        out.stderr
    );

    let lab = Lab::open(emu, "IR-RO", "");
    let out = lab.rolecall(&[
        "--read-only",
        "isolate",
        "lab-ir",
        "--instance",
        &suspect,
        "--yes",
    ]);
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert!(
        out.stderr.contains("isolate refused: read-only"),
        "{}",
        out.stderr
    );
    // No terminal to ask on, and no --yes: the plan is printed, nothing is done.
    let out = lab.rolecall(&["snapshot", "lab-ir", "--instance", &suspect]);
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert!(out.stderr.contains("calls, in order:"), "{}", out.stderr);
    assert!(
        out.stderr.contains("no terminal to confirm on"),
        "{}",
        out.stderr
    );
    // --dry-run: every call checked, nothing made.
    let out = lab.rolecall(&["snapshot", "lab-ir", "--instance", &suspect, "--dry-run"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(out.stderr.contains("nothing was changed"), "{}", out.stderr);
    assert!(lab.snapshots().is_empty(), "nothing was made");
    let log = actions(&lab.entries());
    assert!(!log.iter().any(|a| a.starts_with("snapshot.")), "{log:?}");
}

#[test]
fn snapshots_of_both_volumes_are_tagged_recorded_and_shared_re_encrypted() {
    let emu = emulator();
    let lab = Lab::open(emu, "IR-SNAP", "forensic_account = \"999999999999\"");
    let suspect = lab.world("suspect");
    let data = lab.world("suspect_data_volume");
    let out = lab.rolecall(&[
        "snapshot",
        "lab-ir",
        "--instance",
        &suspect,
        "--yes",
        "--json",
    ]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let rows = out.json();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 2, "root and data volume: {rows:?}");
    for r in rows {
        for key in ["snapshot_id", "volume_id", "instance_id", "region", "state"] {
            assert!(r[key].is_string(), "{key} in {r}");
        }
        assert_eq!(r["instance_id"], suspect.as_str());
        assert_eq!(r["state"], "completed");
        assert_eq!(r["shared_with"], "999999999999");
    }
    // The snapshots, as AWS has them: tags and description.
    let snaps = lab.snapshots();
    let originals: Vec<&Value> = snaps
        .iter()
        .filter(|s| rows.iter().any(|r| r["snapshot_id"] == s["SnapshotId"]))
        .collect();
    assert_eq!(originals.len(), 2);
    for s in &originals {
        let tag = |k: &str| {
            s["Tags"]
                .as_array()
                .unwrap()
                .iter()
                .find(|t| t["Key"] == k)
                .map(|t| t["Value"].as_str().unwrap().to_string())
        };
        // Both volumes at one instant (CreateSnapshots), then each tagged with its volume.
        let row = rows
            .iter()
            .find(|r| r["snapshot_id"] == s["SnapshotId"])
            .unwrap();
        assert_eq!(s["VolumeId"], row["volume_id"]);
        let volume = tag("rolecall:source-volume").unwrap();
        assert_eq!(s["VolumeId"], volume.as_str());
        assert_eq!(tag("rolecall:case").as_deref(), Some("IR-SNAP"));
        assert_eq!(
            tag("rolecall:source-instance").as_deref(),
            Some(suspect.as_str())
        );
        assert_eq!(
            tag("rolecall:taken-by").as_deref(),
            Some("arn:aws:iam::111111111111:user/lab-responder")
        );
        assert_eq!(tag("Name"), Some(format!("IR-SNAP {volume}")));
        let at = tag("rolecall:taken-at").unwrap();
        assert!(chrono::DateTime::parse_from_rfc3339(&at).is_ok(), "{at}");
        assert_eq!(
            s["Description"],
            format!("case IR-SNAP: the volumes of {suspect}, at one instant").as_str()
        );
    }
    // Unencrypted: shared as it is. Encrypted: copied under the case's key, the copy shared.
    let encrypted = rows
        .iter()
        .find(|r| r["volume_id"] == data.as_str())
        .unwrap();
    let plain = rows
        .iter()
        .find(|r| r["volume_id"] != data.as_str())
        .unwrap();
    assert_eq!(plain["shared_snapshot_id"], plain["snapshot_id"]);
    assert_ne!(encrypted["shared_snapshot_id"], encrypted["snapshot_id"]);
    let check = lab.aws(&format!(
        "perm = lambda s: [p['UserId'] for p in ec2.describe_snapshot_attribute(SnapshotId=s, Attribute='createVolumePermission')['CreateVolumePermissions']]\n\
         copy = ec2.describe_snapshots(SnapshotIds=[{copy:?}])['Snapshots'][0]\n\
         key = kms.describe_key(KeyId='alias/rolecall-IR-SNAP-999999999999')['KeyMetadata']['Arn']\n\
         policy = json.loads(kms.get_key_policy(KeyId=key, PolicyName='default')['Policy'])\n\
         print(json.dumps({{'plain': perm({plain:?}), 'copy': perm({copy:?}), 'original': perm({orig:?}), 'copy_key': copy.get('KmsKeyId'), 'copy_encrypted': copy['Encrypted'], 'key': key, 'policy': policy}}))",
        plain = plain["snapshot_id"].as_str().unwrap(),
        copy = encrypted["shared_snapshot_id"].as_str().unwrap(),
        orig = encrypted["snapshot_id"].as_str().unwrap(),
    ));
    assert_eq!(check["plain"], serde_json::json!(["999999999999"]));
    assert_eq!(check["copy"], serde_json::json!(["999999999999"]));
    assert_eq!(
        check["original"],
        serde_json::json!([]),
        "the aws/ebs one is never shared"
    );
    assert_eq!(check["copy_encrypted"], true);
    assert_eq!(check["copy_key"], check["key"]);
    let use_statement = check["policy"]["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["Sid"] == "ForensicAccountUse")
        .cloned()
        .unwrap();
    assert_eq!(
        use_statement["Principal"]["AWS"],
        "arn:aws:iam::999999999999:root"
    );
    for a in [
        "kms:Decrypt",
        "kms:DescribeKey",
        "kms:ReEncrypt*",
        "kms:GenerateDataKey*",
    ] {
        assert!(
            use_statement["Action"]
                .as_array()
                .unwrap()
                .iter()
                .any(|x| x == a),
            "{a}"
        );
    }

    // Every step in the log, in order, with the ids.
    let entries = lab.entries();
    let log = actions(&entries);
    let from = log.iter().position(|a| a == "snapshot.start").unwrap();
    assert_eq!(
        &log[from..],
        [
            "snapshot.start",
            "snapshot.create",
            "snapshot.tag",
            "snapshot.tag",
            "snapshot.completed",
            "snapshot.completed",
            "snapshot.share",
            "kms.create-key",
            "kms.create-alias",
            "snapshot.copy",
            "snapshot.share"
        ]
    );
    let created = entries
        .iter()
        .find(|e| e["action"] == "snapshot.create")
        .unwrap();
    assert_eq!(
        created["role_arn"],
        "arn:aws:iam::777777777777:role/IncidentResponder"
    );
    assert_eq!(created["account_id"], "777777777777");
    assert_eq!(created["region"], "us-east-1");
    assert_eq!(created["params"]["instance_id"], suspect.as_str());
    let taken = created["result"]["snapshots"].as_array().unwrap();
    assert_eq!(taken.len(), 2, "{created}");
    for t in taken {
        assert!(
            rows.iter()
                .any(|r| r["snapshot_id"] == t["snapshot_id"] && r["volume_id"] == t["volume_id"]),
            "{t}"
        );
    }
    // The start entry holds the calls the confirmation showed.
    let start = entries
        .iter()
        .find(|e| e["action"] == "snapshot.start")
        .unwrap();
    assert!(
        start["params"]["calls"][0]
            .as_str()
            .unwrap()
            .starts_with(&format!(
                "ec2:CreateSnapshots InstanceId={suspect} (its 2 volumes at one instant)"
            )),
        "{start}"
    );
    let out = lab.rolecall(&["case", "verify"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
}

#[test]
fn isolation_replaces_every_interfaces_groups_and_release_restores_them_exactly() {
    let emu = emulator();
    let lab = Lab::open(emu, "IR-ISO", "");
    let suspect = lab.world("suspect");
    let state = |lab: &Lab| {
        lab.aws(&format!(
            "i = ec2.describe_instances(InstanceIds=[{suspect:?}])['Reservations'][0]['Instances'][0]\n\
             enis = {{n['NetworkInterfaceId']: sorted(g['GroupId'] for g in n['Groups']) for n in i['NetworkInterfaces']}}\n\
             tags = {{t['Key']: t['Value'] for t in i.get('Tags', [])}}\n\
             dot = {{m['DeviceName']: m['Ebs']['DeleteOnTermination'] for m in i['BlockDeviceMappings']}}\n\
             prot = ec2.describe_instance_attribute(InstanceId={suspect:?}, Attribute='disableApiTermination')['DisableApiTermination']['Value']\n\
             print(json.dumps({{'enis': enis, 'tags': tags, 'dot': dot, 'protected': prot}}))"
        ))
    };
    let before = state(&lab);
    assert_eq!(before["enis"], lab.emu.world["lab"]["suspect_enis"]);
    let out = lab.rolecall(&[
        "isolate",
        "lab-ir",
        "--instance",
        &suspect,
        "--yes",
        "--json",
    ]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let result = out.json();
    let quarantine = result["quarantine_groups"][lab.world("vpc")]
        .as_str()
        .unwrap()
        .to_string();
    let after = state(&lab);
    for (eni, groups) in after["enis"].as_object().unwrap() {
        assert_eq!(groups, &serde_json::json!([quarantine]), "{eni}");
    }
    assert_eq!(after["protected"], true);
    assert!(
        after["dot"]
            .as_object()
            .unwrap()
            .values()
            .all(|v| v == false),
        "{after}"
    );
    // The originals, in the tag and in the log.
    let tag = after["tags"]["rolecall:original-security-groups"]
        .as_str()
        .unwrap();
    for (eni, groups) in before["enis"].as_object().unwrap() {
        let groups: Vec<&str> = groups
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g.as_str().unwrap())
            .collect();
        assert!(
            tag.contains(&format!("{eni}={}", groups.join("+"))),
            "{tag}"
        );
    }
    let entries = lab.entries();
    let recorded = entries
        .iter()
        .find(|e| e["action"] == "isolate.original-groups")
        .unwrap();
    assert_eq!(recorded["target"][0], suspect.as_str());
    // The quarantine group: no rule in, no rule out.
    let rules = lab.aws(&format!(
        "print(json.dumps(ec2.describe_security_group_rules(Filters=[{{'Name': 'group-id', 'Values': [{quarantine:?}]}}])['SecurityGroupRules']))"
    ));
    assert_eq!(rules, serde_json::json!([]));
    // Once isolated, isolating again is refused and says how to undo.
    let out = lab.rolecall(&["isolate", "lab-ir", "--instance", &suspect, "--yes"]);
    assert_eq!(out.code, Some(1));
    assert!(out.stderr.contains("isolated already"), "{}", out.stderr);

    let out = lab.rolecall(&[
        "release",
        "lab-ir",
        "--instance",
        &suspect,
        "--yes",
        "--json",
    ]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(
        out.stderr.contains("has its original groups back"),
        "{}",
        out.stderr
    );
    assert!(
        out.json()["from"]
            .as_str()
            .unwrap()
            .contains("the log of case IR-ISO"),
        "the case log, which only rolecall writes, is read first"
    );
    let released = state(&lab);
    assert_eq!(
        released["enis"], before["enis"],
        "exactly the groups it had"
    );
    let log = actions(&lab.entries());
    assert!(log.contains(&"release.interface".to_string()), "{log:?}");
    // Released: a second release has nothing to put back.
    let out = lab.rolecall(&["release", "lab-ir", "--instance", &suspect, "--yes"]);
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert!(out.stderr.contains("was released at"), "{}", out.stderr);
    assert!(out.stderr.contains("nothing was changed"), "{}", out.stderr);
}

#[test]
fn release_refuses_groups_changed_since_and_obeys_the_log_not_a_tag_that_disagrees() {
    let emu = emulator();
    let lab = Lab::open(emu, "IR-REL", "");
    let other = lab.world("other");
    let eni_groups = |lab: &Lab| -> (String, Vec<String>) {
        let v = lab.aws(&format!(
            "n = ec2.describe_instances(InstanceIds=[{other:?}])['Reservations'][0]['Instances'][0]['NetworkInterfaces'][0]\n\
             print(json.dumps([n['NetworkInterfaceId'], sorted(g['GroupId'] for g in n['Groups'])]))"
        ));
        (
            v[0].as_str().unwrap().to_string(),
            v[1].as_array()
                .unwrap()
                .iter()
                .map(|g| g.as_str().unwrap().to_string())
                .collect(),
        )
    };
    let (eni, original) = eni_groups(&lab);
    let out = lab.rolecall(&["isolate", "lab-ir", "--instance", &other, "--yes"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let (_, quarantine) = eni_groups(&lab);
    // Groups changed by hand after isolation: release would undo that unseen, so it refuses.
    let both: Vec<String> = quarantine.iter().chain(&original).cloned().collect();
    lab.aws(&format!(
        "ec2.modify_network_interface_attribute(NetworkInterfaceId={eni:?}, Groups={both:?})\nprint('{{}}')"
    ));
    let out = lab.rolecall(&["release", "lab-ir", "--instance", &other, "--yes"]);
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("neither rolecall's quarantine group alone"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("nothing was changed"), "{}", out.stderr);
    // Put as isolation left it, and the tag rewritten by someone who may tag the instance:
    // release puts back what the log recorded, and says the tag disagrees.
    lab.aws(&format!(
        "ec2.modify_network_interface_attribute(NetworkInterfaceId={eni:?}, Groups={quarantine:?})\n\
         ec2.create_tags(Resources=[{other:?}], Tags=[{{'Key': 'rolecall:original-security-groups', 'Value': '{eni}=sg-0000000000000000f'}}])\n\
         print('{{}}')"
    ));
    let out = lab.rolecall(&["release", "lab-ir", "--instance", &other, "--yes"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(
        out.stderr.contains("the tag is not obeyed"),
        "{}",
        out.stderr
    );
    assert_eq!(eni_groups(&lab).1, original);
}

#[test]
fn capture_saves_the_description_and_console_and_logs_their_hashes() {
    let emu = emulator();
    let lab = Lab::open(emu, "IR-CAP", "");
    let suspect = lab.world("suspect");
    let out = lab.rolecall(&["capture", "lab-ir", "--instance", &suspect, "--yes"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    // The emulator gives no screenshot: said, and the rest is saved.
    assert!(
        out.stderr.contains("not done: screenshot.jpg"),
        "{}",
        out.stderr
    );
    let base = lab.case_dir().join("evidence").join(&suspect);
    let dir = std::fs::read_dir(&base)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let described: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("instance.json")).unwrap()).unwrap();
    assert_eq!(described["instance"]["instance_id"], suspect.as_str());
    assert_eq!(
        described["network"]["interfaces"].as_array().unwrap().len(),
        2
    );
    let console = std::fs::read_to_string(dir.join("console.log")).unwrap();
    assert!(console.contains("Linux version"), "decoded: {console}");
    let entries = lab.entries();
    let files: Vec<&Value> = entries
        .iter()
        .filter(|e| e["action"] == "capture.file")
        .collect();
    assert_eq!(files.len(), 2);
    for f in files {
        let path = std::path::Path::new(f["result"]["path"].as_str().unwrap());
        assert_eq!(
            f["result"]["sha256"],
            sha256(path).as_str(),
            "{}",
            path.display()
        );
    }
    assert!(entries.iter().any(|e| e["action"] == "capture.missing"));
}

#[test]
fn a_failure_part_way_says_what_was_done_and_names_what_was_made() {
    // The forensic account's copy cannot be made in the emulator (it keeps accounts' snapshots
    // apart even when shared): the snapshot and its share are done, the copy is not.
    let emu = emulator();
    let lab = Lab::open(
        emu,
        "IR-PART",
        "forensic_account = \"999999999999\"\nforensic_role = \"arn:aws:iam::999999999999:role/ForensicCopier\"",
    );
    let volume = lab.world("loose_volume");
    let out = lab.rolecall(&["snapshot", "lab-ir", "--volume", &volume, "--yes"]);
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert!(
        out.stderr.contains("error: snapshot stopped"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("not done: copying snap-"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("done before it stopped: took snap-"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("rolecall: made snap-"),
        "{}",
        out.stderr
    );
    let log = actions(&lab.entries());
    assert!(log.contains(&"snapshot.share".to_string()), "{log:?}");
    assert_eq!(
        log.last().unwrap(),
        "snapshot.forensic-copy",
        "the failure is recorded: {log:?}"
    );
    let last = lab.entries().last().unwrap().clone();
    assert!(last["result"]["error"].is_string(), "{last}");
}

#[test]
fn a_dry_run_refusal_is_explained_and_nothing_is_made() {
    // IAM enforced: the Auditor role may only describe.
    let emu = enforced_emulator();
    let lab = Lab::open(emu, "IR-DENY", "");
    let suspect = lab.world("suspect");
    for (args, api) in [
        (
            vec![
                "snapshot",
                "lab-audit",
                "--instance",
                suspect.as_str(),
                "--yes",
            ],
            "ec2:CreateSnapshots",
        ),
        (
            vec![
                "isolate",
                "lab-audit",
                "--instance",
                suspect.as_str(),
                "--yes",
            ],
            "ec2:CreateTags",
        ),
        (
            vec![
                "capture",
                "lab-audit",
                "--instance",
                suspect.as_str(),
                "--yes",
            ],
            "ec2:GetConsoleOutput",
        ),
    ] {
        let out = lab.rolecall(&args);
        assert_eq!(out.code, Some(1), "{args:?}: {}", out.stderr);
        assert!(
            out.stderr.contains("AccessDenied"),
            "{args:?}: {}",
            out.stderr
        );
        assert!(
            out.stderr.contains(&format!("may not call {api}")),
            "{args:?}: {}",
            out.stderr
        );
        assert!(
            out.stderr.contains("nothing was changed"),
            "{args:?}: {}",
            out.stderr
        );
        assert!(
            out.stderr.contains(&format!("\"Action\":\"{api}\"")),
            "the statement to add: {}",
            out.stderr
        );
        assert!(
            !out.stderr.contains("calls, in order"),
            "no plan was shown: {}",
            out.stderr
        );
    }
    let log = actions(&lab.entries());
    assert!(
        log.iter()
            .all(|a| !a.contains('.') || a.starts_with("case.")),
        "{log:?}"
    );
    // The one that may act, under the same enforcement, does.
    for target in [
        ["--volume", &lab.world("loose_volume")],
        ["--instance", &suspect],
    ] {
        let mut args = vec!["snapshot", "lab-ir", "--yes"];
        args.extend(target);
        let out = lab.rolecall(&args);
        assert_eq!(out.code, Some(0), "{args:?}: {}", out.stderr);
    }
}

#[test]
fn doctor_says_which_actions_a_role_may_run_and_changes_nothing() {
    // An emulator of this test's own: no other test changes it meanwhile, so its whole state
    // can be compared before and after.
    let emu = &own_enforced_emulator();
    // AssumeRole is the one thing doctor does: its sessions (STS, and their keys in IAM, which
    // the account summary counts) are left out; everything else — every instance, volume, snapshot, group and rule, tag, key, IAM
    // user, role and policy, in every account and region — must be as it was.
    let skip = ["sts", "iam.AccountSummary"];
    let before = emu.state(&skip);
    let lab = Lab::open(emu, "", "");
    let checks = |role: &str| -> Vec<Value> {
        let out = lab.rolecall(&["doctor", role, "--json"]);
        let v: Value = serde_json::from_str(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {} {}", out.stdout, out.stderr));
        v.as_array()
            .unwrap()
            .iter()
            .filter(|c| c["check"].as_str().unwrap().starts_with("action "))
            .cloned()
            .collect()
    };
    let audit = checks("lab-audit");
    assert_eq!(audit.len(), 3, "{audit:?}");
    for c in &audit {
        assert_eq!(c["status"], "warn", "{c}");
        assert!(
            c["detail"].as_str().unwrap().starts_with("may not: "),
            "{c}"
        );
        assert!(
            c["fix"].as_str().unwrap().contains("\"Sid\":\"Rolecall"),
            "{c}"
        );
    }
    let ir = checks("lab-ir");
    let names: Vec<&str> = ir.iter().map(|c| c["check"].as_str().unwrap()).collect();
    // The EC2 actions tried with DryRun; the identity actions asked of IAM's policy simulator.
    assert_eq!(
        names,
        [
            "action snapshot",
            "action isolate",
            "action capture",
            "action isolate --access-key",
            "action isolate --user",
            "action isolate --role"
        ]
    );
    for c in &ir {
        assert_eq!(c["status"], "ok", "{c}");
    }
    let after = emu.state(&skip);
    let changed: std::collections::BTreeSet<&String> = before
        .keys()
        .chain(after.keys())
        .filter(|k| before.get(*k) != after.get(*k))
        .collect();
    assert!(changed.is_empty(), "doctor changed {changed:?}");
    assert!(before["ec2.Instance"].0 > 0 && before["iam.Role"].0 > 0);
    // DryRun only: no snapshot, no group was made.
    let made = lab.aws(
        "print(json.dumps({'snaps': len(ec2.describe_snapshots(Filters=[{'Name': 'tag:rolecall:doctor', 'Values': ['dry-run']}])['Snapshots']), \
         'groups': len(ec2.describe_security_groups(Filters=[{'Name': 'group-name', 'Values': ['rolecall-doctor-check']}])['SecurityGroups'])}))",
    );
    assert_eq!(made, serde_json::json!({"snaps": 0, "groups": 0}));
}
