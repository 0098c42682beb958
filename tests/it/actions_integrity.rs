//! The actions' forensic integrity (issue 26), against the emulator's lab account: a tag is a
//! hint and never obeyed, what rolecall did is read from its case logs; isolate and release
//! stopped part way are finished by running them again; every input is checked before any
//! call; plans say how each call was checked; snapshots that do not complete are not waited on
//! for ever. Each test isolates an instance of its own.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::lab::Lab;
use crate::common::proxy::{Fault, FaultProxy};
use crate::common::{emulator, enforced_emulator, run, Run};

fn actions(entries: &[Value]) -> Vec<String> {
    entries
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_string())
        .collect()
}

/// A new instance in the lab with two interfaces (groups web+admin, and admin): its id and each
/// interface's groups, by interface.
fn fresh_instance(lab: &Lab, name: &str) -> (String, Value) {
    let v = lab.aws(&format!(
        "vpc = {vpc:?}\n\
         subnet = ec2.describe_subnets(Filters=[{{'Name': 'vpc-id', 'Values': [vpc]}}])['Subnets'][0]['SubnetId']\n\
         g = {{x['GroupName']: x['GroupId'] for x in ec2.describe_security_groups(Filters=[{{'Name': 'vpc-id', 'Values': [vpc]}}])['SecurityGroups']}}\n\
         image = ec2.describe_images(Owners=['amazon'])['Images'][0]['ImageId']\n\
         i = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, InstanceType='t3.micro', \
             NetworkInterfaces=[{{'DeviceIndex': 0, 'SubnetId': subnet, 'Groups': [g['web'], g['admin']]}}, \
                                {{'DeviceIndex': 1, 'SubnetId': subnet, 'Groups': [g['admin']]}}], \
             TagSpecifications=[{{'ResourceType': 'instance', 'Tags': [{{'Key': 'Name', 'Value': {name:?}}}]}}])['Instances'][0]\n\
         print(json.dumps(i['InstanceId']))",
        vpc = lab.world("vpc"),
    ));
    let id = v.as_str().unwrap().to_string();
    let enis = enis(lab, &id);
    (id, enis)
}

/// Each interface's groups now, sorted, by interface id.
fn enis(lab: &Lab, instance: &str) -> Value {
    lab.aws(&format!(
        "i = ec2.describe_instances(InstanceIds=[{instance:?}])['Reservations'][0]['Instances'][0]\n\
         print(json.dumps({{n['NetworkInterfaceId']: sorted(g['GroupId'] for g in n['Groups']) for n in i['NetworkInterfaces']}}))"
    ))
}

fn set_tag(lab: &Lab, instance: &str, value: &str) {
    lab.aws(&format!(
        "ec2.create_tags(Resources=[{instance:?}], Tags=[{{'Key': 'rolecall:original-security-groups', 'Value': {value:?}}}])\nprint('{{}}')"
    ));
}

/// A group anyone may reach: what an intruder would like the responder to apply.
fn wide_open(lab: &Lab, name: &str) -> String {
    let v = lab.aws(&format!(
        "g = ec2.create_security_group(GroupName={name:?}, Description='open', VpcId={vpc:?})['GroupId']\n\
         ec2.authorize_security_group_ingress(GroupId=g, IpPermissions=[{{'IpProtocol': '-1', 'IpRanges': [{{'CidrIp': '0.0.0.0/0'}}]}}])\n\
         print(json.dumps(g))",
        vpc = lab.world("vpc")
    ));
    v.as_str().unwrap().to_string()
}

/// rolecall in the lab, through `proxy`.
fn via(lab: &Lab, proxy: &FaultProxy, args: &[&str]) -> Run {
    let mut cmd = lab.emu.rolecall();
    for (k, v) in lab.env() {
        cmd.env(k, v);
    }
    cmd.env("AWS_ENDPOINT_URL", &proxy.endpoint);
    run(cmd.args(args))
}

/// An EC2 error as EC2 sends it.
fn ec2_fault() -> Fault {
    Fault::Reply {
        status: 400,
        body: "<?xml version=\"1.0\"?><Response><Errors><Error><Code>TestFault</Code>\
               <Message>stopped by the test</Message></Error></Errors><RequestID>proxy</RequestID></Response>"
            .into(),
    }
}

#[test]
fn a_planted_tag_is_only_a_hint_isolate_works_and_release_puts_back_what_the_log_recorded() {
    let emu = emulator();
    let lab = Lab::open(emu, "IR-PLANT", "");
    let (instance, before) = fresh_instance(&lab, "planted");
    let open = wide_open(&lab, "intruder-open-1");
    let first = before.as_object().unwrap().keys().next().unwrap().clone();
    let planted = format!("{first}={open}");
    // An intruder plants the tag on an instance rolecall never isolated.
    set_tag(&lab, &instance, &planted);
    // Release from the tag alone: refused, nothing applied.
    let out = lab.rolecall(&["release", "lab-ir", "--instance", &instance, "--yes"]);
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert!(out.stderr.contains("hold no isolation"), "{}", out.stderr);
    assert!(out.stderr.contains("not obeyed"), "{}", out.stderr);
    assert_eq!(enis(&lab, &instance), before, "nothing was changed");
    // Isolation is not refused by it, and records what the instance has, not the tag.
    let out = lab.rolecall(&["isolate", "lab-ir", "--instance", &instance, "--yes"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(out.stderr.contains("is only a hint"), "{}", out.stderr);
    let recorded = lab
        .entries()
        .into_iter()
        .find(|e| e["action"] == "isolate.original-groups" && e["target"][0] == instance.as_str())
        .unwrap();
    for i in recorded["params"]["interfaces"].as_array().unwrap() {
        assert_eq!(i["groups"], before[i["id"].as_str().unwrap()], "{recorded}");
    }
    // Planted again after isolation: release puts back the logged groups, says the tag is not obeyed.
    set_tag(&lab, &instance, &planted);
    let out = lab.rolecall(&["release", "lab-ir", "--instance", &instance, "--yes"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(
        out.stderr.contains("the tag is not obeyed"),
        "{}",
        out.stderr
    );
    let after = enis(&lab, &instance);
    assert_eq!(after, before, "the recorded groups, not the tag's");
    assert!(!after.to_string().contains(&open));
}

#[test]
fn release_puts_the_groups_back_from_the_log_when_the_tag_is_gone() {
    let emu = emulator();
    let lab = Lab::open(emu, "IR-NOTAG", "");
    let (instance, before) = fresh_instance(&lab, "untagged");
    let out = lab.rolecall(&["isolate", "lab-ir", "--instance", &instance, "--yes"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    lab.aws(&format!(
        "ec2.delete_tags(Resources=[{instance:?}], Tags=[{{'Key': 'rolecall:original-security-groups'}}])\nprint('{{}}')"
    ));
    let out = lab.rolecall(&[
        "release",
        "lab-ir",
        "--instance",
        &instance,
        "--yes",
        "--json",
    ]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(out.json()["from"]
        .as_str()
        .unwrap()
        .contains("the log of case IR-NOTAG"));
    assert!(out.stderr.contains("is gone"), "{}", out.stderr);
    assert_eq!(enis(&lab, &instance), before);
}

#[test]
fn isolate_and_release_stopped_part_way_are_finished_by_running_them_again() {
    let emu = emulator();
    let lab = Lab::open(emu, "IR-RESUME", "");
    let (instance, before) = fresh_instance(&lab, "resumed");
    // The interface at device index 1: isolation and release both come to it second.
    let second = lab.aws(&format!(
        "i = ec2.describe_instances(InstanceIds=[{instance:?}])['Reservations'][0]['Instances'][0]\n\
         print(json.dumps([n['NetworkInterfaceId'] for n in i['NetworkInterfaces'] if n['Attachment']['DeviceIndex'] == 1][0]))"
    ));
    let second = second.as_str().unwrap().to_string();
    let proxy = FaultProxy::start(&emu.endpoint);
    // The real call (not its DryRun) on the second interface fails: isolation stops part way.
    proxy.set_for(
        &format!("DryRun=false&NetworkInterfaceId={second}"),
        ec2_fault(),
    );
    let out = via(
        &lab,
        &proxy,
        &["isolate", "lab-ir", "--instance", &instance, "--yes"],
    );
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert!(
        out.stderr.contains(&format!(
            "not done: moving {second} to the quarantine group"
        )),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("not done: reading"), "{}", out.stderr);
    assert!(out.stderr.contains("rolecall: made sg-"), "{}", out.stderr);
    // Run again: the rest is done, and what was found done is said.
    proxy.set(Fault::Pass);
    let out = via(
        &lab,
        &proxy,
        &[
            "isolate",
            "lab-ir",
            "--instance",
            &instance,
            "--yes",
            "--json",
        ],
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(out.stderr.contains("found done already"), "{}", out.stderr);
    assert!(
        out.stderr.contains("termination protection"),
        "{}",
        out.stderr
    );
    let quarantine: Vec<String> = enis(&lab, &instance)
        .as_object()
        .unwrap()
        .values()
        .map(|g| g.to_string())
        .collect();
    assert_eq!(quarantine.len(), 2);
    assert_eq!(
        quarantine[0], quarantine[1],
        "both in the one quarantine group"
    );
    assert!(!quarantine[0].contains(','), "{quarantine:?}");
    // The originals recorded by the second run are the first's, not the quarantine group.
    let entries = lab.entries();
    let recorded: Vec<&Value> = entries
        .iter()
        .filter(|e| e["action"] == "isolate.original-groups")
        .collect();
    assert_eq!(recorded.len(), 2);
    for i in recorded[1]["params"]["interfaces"].as_array().unwrap() {
        assert_eq!(i["groups"], before[i["id"].as_str().unwrap()]);
    }
    // Release stopped part way, then finished.
    proxy.set_for(
        &format!("DryRun=false&NetworkInterfaceId={second}"),
        ec2_fault(),
    );
    let out = via(
        &lab,
        &proxy,
        &["release", "lab-ir", "--instance", &instance, "--yes"],
    );
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert!(
        out.stderr.contains(&format!("back on {second}")),
        "{}",
        out.stderr
    );
    proxy.set(Fault::Pass);
    let out = via(
        &lab,
        &proxy,
        &["release", "lab-ir", "--instance", &instance, "--yes"],
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(out.stderr.contains("found done already"), "{}", out.stderr);
    assert_eq!(enis(&lab, &instance), before);
    let out = lab.rolecall(&["case", "verify"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
}

#[test]
fn a_tagging_failure_lists_every_step_not_done() {
    let emu = emulator();
    let lab = Lab::open(emu, "IR-TAGFAIL", "");
    let (instance, before) = fresh_instance(&lab, "tagfail");
    let proxy = FaultProxy::start(&emu.endpoint);
    proxy.set_for(
        &format!("DryRun=false&ResourceId.1={instance}"),
        ec2_fault(),
    );
    let out = via(
        &lab,
        &proxy,
        &["isolate", "lab-ir", "--instance", &instance, "--yes"],
    );
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    for step in [
        format!("not done: tagging {instance}"),
        format!("not done: turning on termination protection of {instance}"),
        "not done: keeping the volumes".to_string(),
        "not done: making the quarantine group".to_string(),
        "to the quarantine group".to_string(),
        "not done: reading".to_string(),
    ] {
        assert!(out.stderr.contains(&step), "{step}: {}", out.stderr);
    }
    assert_eq!(enis(&lab, &instance), before, "no interface was moved");
}

#[test]
fn share_with_must_be_an_account_and_another_than_the_forensic_one_needs_yes() {
    let emu = emulator();
    let lab = Lab::open(emu, "IR-SHARE", "forensic_account = \"999999999999\"");
    let volume = lab.world("loose_volume");
    let out = lab.rolecall(&[
        "snapshot",
        "lab-ir",
        "--volume",
        &volume,
        "--share-with",
        "99999999999",
        "--yes",
    ]);
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert!(out.stderr.contains("--share-with"), "{}", out.stderr);
    assert!(out.stderr.contains("12 digits"), "{}", out.stderr);
    // Another account than the configured one: not without --yes (a terminal would be asked).
    let out = lab.rolecall(&[
        "snapshot",
        "lab-ir",
        "--volume",
        &volume,
        "--share-with",
        "888888888888",
    ]);
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("is not the configured forensic account 999999999999"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("calls, in order"), "{}", out.stderr);
    assert!(lab.snapshots().is_empty(), "nothing was made");
    // With --dry-run the plan names it as not the configured one.
    let out = lab.rolecall(&[
        "snapshot",
        "lab-ir",
        "--volume",
        &volume,
        "--share-with",
        "888888888888",
        "--dry-run",
    ]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("is NOT the configured forensic account"),
        "{}",
        out.stderr
    );
}

#[test]
fn ids_and_the_region_are_checked_before_any_call() {
    let emu = emulator();
    let lab = Lab::open(emu, "IR-IDS", "");
    let proxy = FaultProxy::start(&emu.endpoint);
    for (args, named) in [
        (
            vec!["capture", "lab-ir", "--instance", "i-../../../etc", "--yes"],
            "not an instance id",
        ),
        (
            vec!["isolate", "lab-ir", "--instance", "i-0123", "--yes"],
            "not an instance id",
        ),
        (
            vec![
                "release",
                "lab-ir",
                "--instance",
                "I-0123456789ABCDEF0",
                "--yes",
            ],
            "not an instance id",
        ),
        (
            vec!["snapshot", "lab-ir", "--volume", "vol-xyz", "--yes"],
            "not a volume id",
        ),
        (
            vec![
                "snapshot",
                "lab-ir",
                "--instance",
                "vol-0123456789abcdef0",
                "--yes",
            ],
            "not an instance id",
        ),
    ] {
        let out = via(&lab, &proxy, &args);
        assert_eq!(out.code, Some(1), "{args:?}: {}", out.stderr);
        assert!(out.stderr.contains(named), "{args:?}: {}", out.stderr);
    }
    assert_eq!(proxy.requests(), 0, "no call was made with a bad id");
    assert!(!lab.case_dir().join("evidence").exists());
}

#[test]
fn a_configured_key_the_forensic_account_may_not_use_is_refused_before_anything() {
    let emu = emulator();
    let key = {
        let lab = Lab::open(emu, "", "");
        lab.aws("print(json.dumps(kms.create_key(Description='no grant')['KeyMetadata']['Arn']))")
    };
    let key = key.as_str().unwrap();
    let lab = Lab::open(
        emu,
        "IR-KMSARN",
        &format!("forensic_account = \"999999999999\"\nkms_key_arn = \"{key}\""),
    );
    let data = lab.world("suspect_data_volume");
    let out = lab.rolecall(&["snapshot", "lab-ir", "--volume", &data, "--yes"]);
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert!(out.stderr.contains(key), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("does not let account 999999999999 use it"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("nothing was changed"), "{}", out.stderr);
    assert!(lab.snapshots().is_empty(), "nothing was made");
}

#[test]
fn the_plan_says_how_each_call_was_checked_and_never_claims_more() {
    let emu = emulator();
    let lab = Lab::open(emu, "IR-CHECKS", "forensic_account = \"999999999999\"");
    let data = lab.world("suspect_data_volume");
    let out = lab.rolecall(&["snapshot", "lab-ir", "--volume", &data, "--dry-run"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(
        !out.stderr.contains("every call was checked with DryRun"),
        "{}",
        out.stderr
    );
    let calls: Vec<&str> = out
        .stderr
        .lines()
        .skip_while(|l| !l.starts_with("calls, in order"))
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .collect();
    assert!(calls.len() >= 5, "{}", out.stderr);
    for c in &calls {
        assert!(c.ends_with(']'), "how it was checked: {c}");
    }
    let share = calls
        .iter()
        .find(|c| c.contains("ec2:ModifySnapshotAttribute"))
        .unwrap();
    assert!(share.contains("not checked before the run"), "{share}");
    let kms = calls.iter().find(|c| c.contains("kms:CreateKey")).unwrap();
    assert!(kms.contains("KMS has no DryRun"), "{kms}");
    assert!(lab.snapshots().is_empty());
    let other = lab.world("other");
    let out = lab.rolecall(&["isolate", "lab-ir", "--instance", &other, "--dry-run"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(out.stderr.contains("[checked: DryRun]"), "{}", out.stderr);
    assert!(
        out.stderr.contains(
            "ec2:RevokeSecurityGroupEgress of its default outbound rule [checked: DryRun on sg-"
        ),
        "{}",
        out.stderr
    );
    // --wake: the screenshot call as it will be sent, and how it was checked (the emulator has
    // no screenshots, so its DryRun says nothing: the plan says so rather than claim a check).
    let out = lab.rolecall(&[
        "capture",
        "lab-ir",
        "--instance",
        &other,
        "--dry-run",
        "--wake",
    ]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let shot = out
        .stderr
        .lines()
        .find(|l| l.contains("ec2:GetConsoleScreenshot"))
        .unwrap();
    assert!(shot.contains("WakeUp=true"), "{shot}");
    assert!(
        shot.contains("[checked: DryRun]")
            || shot.contains("[not checked before the run: the DryRun answered"),
        "{shot}"
    );
    assert!(out.stderr.contains("keystroke"), "{}", out.stderr);
    assert!(out.stderr.contains("nothing was changed"), "{}", out.stderr);
    let log = actions(&lab.entries());
    assert!(
        !log.iter().any(|a| a.starts_with("isolate.")
            || a.starts_with("capture.")
            || a.starts_with("snapshot.")),
        "{log:?}"
    );
}

#[test]
fn a_role_that_may_not_revoke_egress_is_refused_at_plan_time() {
    let emu = enforced_emulator();
    let lab = Lab::open(emu, "IR-NOREVOKE", "");
    let role = emu.world["lab"]["roles"]["lab-norevoke"].as_str().unwrap();
    let other = lab.world("other");
    let out = lab.rolecall(&["isolate", role, "--instance", &other, "--yes"]);
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("may not call ec2:RevokeSecurityGroupEgress"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("nothing was changed"), "{}", out.stderr);
    let groups = lab.aws(
        "print(json.dumps(len(ec2.describe_security_groups(Filters=[{'Name': 'group-name', 'Values': ['rolecall-quarantine-IR-NOREVOKE']}])['SecurityGroups'])))",
    );
    assert_eq!(groups, 0, "no group was made");
}

/// Runs `args` and kills rolecall after `limit` (a test of something that must not hang).
fn within(lab: &Lab, args: &[&str], limit: Duration) -> (Option<i32>, String) {
    let mut cmd = lab.emu.rolecall();
    for (k, v) in lab.env() {
        cmd.env(k, v);
    }
    let mut child = cmd
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let out = child.wait_with_output().unwrap();
            return (
                status.code(),
                String::from_utf8_lossy(&out.stderr).into_owned(),
            );
        }
        if start.elapsed() > limit {
            child.kill().ok();
            let out = child.wait_with_output().unwrap();
            panic!(
                "still running after {limit:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn a_snapshot_that_is_not_completed_is_named_not_waited_on_for_ever() {
    let emu = emulator();
    // The emulator's stand-in: snapshots of this case are `recoverable` (tests/emulator).
    let lab = Lab::open(emu, "IR-STATE-RECOVERABLE", "");
    let volume = lab.world("loose_volume");
    let (code, stderr) = within(
        &lab,
        &["snapshot", "lab-ir", "--volume", &volume, "--yes"],
        Duration::from_secs(60),
    );
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("is recoverable, not completed"), "{stderr}");
    assert!(stderr.contains("rolecall: made snap-"), "{stderr}");
}

#[test]
fn a_copy_ending_in_error_stops_the_share_and_is_named() {
    let emu = emulator();
    // The emulator's stand-in: re-encrypted copies of this case end in `error`.
    let lab = Lab::open(emu, "IR-COPY-ERROR", "forensic_account = \"999999999999\"");
    let data = lab.world("suspect_data_volume");
    let (code, stderr) = within(
        &lab,
        &["snapshot", "lab-ir", "--volume", &data, "--yes"],
        Duration::from_secs(60),
    );
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("the copy snap-"), "{stderr}");
    assert!(stderr.contains("is error, not completed"), "{stderr}");
    assert!(stderr.contains("not done: sharing"), "{stderr}");
    let log = actions(&lab.entries());
    assert!(!log.contains(&"snapshot.share".to_string()), "{log:?}");
}

#[test]
fn the_emulators_responder_role_is_given_what_policy_actions_prints() {
    // The lab's IncidentResponder role stands for a role set up from `rolecall policy
    // --actions`: every call printed there must be allowed by it, or the emulator's tests
    // would pass with a policy a real account would refuse.
    let emu = emulator();
    let lab = Lab::open(emu, "", "");
    let printed = lab.rolecall(&["policy", "--actions", "--json"]).json();
    let seeded = lab.aws(
        "iam = boto3.client('iam', **kw)\n\
         print(json.dumps(iam.get_role_policy(RoleName='IncidentResponder', PolicyName='actions')['PolicyDocument']))",
    );
    let allowed: Vec<String> = seeded["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| match &s["Action"] {
            Value::String(a) => vec![a.clone()],
            Value::Array(a) => a.iter().map(|x| x.as_str().unwrap().to_string()).collect(),
            _ => vec![],
        })
        .collect();
    let matches = |pattern: &str, call: &str| match pattern.strip_suffix('*') {
        Some(prefix) => call
            .to_ascii_lowercase()
            .starts_with(&prefix.to_ascii_lowercase()),
        None => pattern.eq_ignore_ascii_case(call),
    };
    let mut missing = Vec::new();
    for (action, needs) in printed["actions"].as_object().unwrap() {
        for call in needs["calls"].as_array().unwrap() {
            let call = call.as_str().unwrap();
            if !allowed.iter().any(|a| matches(a, call) || matches(call, a)) {
                missing.push(format!("{action}: {call}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "not in the lab role's policy: {missing:?}"
    );
}

#[test]
fn a_case_log_that_cannot_be_written_stops_an_action_before_anything() {
    let emu = emulator();
    let lab = Lab::open(emu, "IR-NOLOG", "");
    let volume = lab.world("loose_volume");
    // Not writable, even by root: the log is a folder now.
    let log = lab.case_dir().join("log.jsonl");
    let kept = lab.case_dir().join("log.jsonl.kept");
    std::fs::rename(&log, &kept).unwrap();
    std::fs::create_dir(&log).unwrap();
    let out = lab.rolecall(&["snapshot", "lab-ir", "--volume", &volume, "--yes"]);
    std::fs::remove_dir(&log).unwrap();
    std::fs::rename(&kept, &log).unwrap();
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert!(out.stderr.contains("log.jsonl"), "{}", out.stderr);
    assert!(lab.snapshots().is_empty(), "nothing was made");
}

/// What capture must not change: the instance's state, groups, tags and attributes.
fn instance_state(lab: &Lab, instance: &str) -> Value {
    lab.aws(&format!(
        "i = ec2.describe_instances(InstanceIds=[{instance:?}])['Reservations'][0]['Instances'][0]\n\
         prot = ec2.describe_instance_attribute(InstanceId={instance:?}, Attribute='disableApiTermination')['DisableApiTermination']['Value']\n\
         print(json.dumps({{'state': i['State']['Name'], 'tags': sorted((t['Key'], t['Value']) for t in i.get('Tags', [])), \
             'enis': {{n['NetworkInterfaceId']: sorted(g['GroupId'] for g in n['Groups']) for n in i['NetworkInterfaces']}}, \
             'dot': {{m['DeviceName']: m['Ebs']['DeleteOnTermination'] for m in i['BlockDeviceMappings']}}, 'protected': prot}}))"
    ))
}

#[test]
fn capture_changes_nothing_about_the_instance_and_release_dry_run_nothing_at_all() {
    let emu = emulator();
    let lab = Lab::open(emu, "IR-NOCHANGE", "");
    let (instance, _) = fresh_instance(&lab, "unchanged");
    let before = instance_state(&lab, &instance);
    let out = lab.rolecall(&[
        "capture",
        "lab-ir",
        "--instance",
        &instance,
        "--yes",
        "--wake",
    ]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(
        instance_state(&lab, &instance),
        before,
        "capture changed the instance"
    );
    // --dry-run of release, on an isolated instance: the plan, and nothing done.
    let out = lab.rolecall(&["isolate", "lab-ir", "--instance", &instance, "--yes"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let isolated = instance_state(&lab, &instance);
    let out = lab.rolecall(&["release", "lab-ir", "--instance", &instance, "--dry-run"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(out.stderr.contains("[checked: DryRun]"), "{}", out.stderr);
    assert_eq!(
        instance_state(&lab, &instance),
        isolated,
        "--dry-run changed something"
    );
    let log = actions(&lab.entries());
    assert!(!log.iter().any(|a| a.starts_with("release.")), "{log:?}");
}

#[test]
fn doctor_says_a_role_may_not_isolate_when_it_may_not_revoke_egress() {
    let emu = enforced_emulator();
    let lab = Lab::open(emu, "", "");
    let role = emu.world["lab"]["roles"]["lab-norevoke"].as_str().unwrap();
    let out = lab.rolecall(&["doctor", role, "--json"]);
    let checks: Value = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {} {}", out.stdout, out.stderr));
    let isolate = checks
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == "action isolate")
        .cloned()
        .unwrap();
    assert_eq!(isolate["status"], "warn", "{isolate}");
    assert!(
        isolate["detail"]
            .as_str()
            .unwrap()
            .contains("ec2:RevokeSecurityGroupEgress"),
        "{isolate}"
    );
}
