//! Identities, against the emulator: whose access key it is (`whois`), the IAM users, keys and
//! roles as kinds, and containing a key, a user or a role's sessions in a case, each undone
//! exactly by `release`; every refusal. Actions work on identities each test makes in the lab
//! (account 777777777777), so no other test sees them change.

use serde_json::Value;

use crate::common::lab::Lab;
use crate::common::{emulator, enforced_emulator, run};

fn actions(entries: &[Value]) -> Vec<String> {
    entries
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_string())
        .collect()
}

/// A user of the lab made for one test, with `keys` access keys: their ids.
fn lab_user(lab: &Lab, name: &str, keys: usize) -> Vec<String> {
    let v = lab.aws(&format!(
        "iam.create_user(UserName={name:?})\n\
         iam.put_user_policy(UserName={name:?}, PolicyName='keep-me', PolicyDocument=json.dumps({{'Version': '2012-10-17', 'Statement': [{{'Effect': 'Allow', 'Action': 's3:GetObject', 'Resource': '*'}}]}}))\n\
         keys = [iam.create_access_key(UserName={name:?})['AccessKey']['AccessKeyId'] for _ in range({keys})]\n\
         print(json.dumps(keys))"
    ));
    v.as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap().to_string())
        .collect()
}

fn key_status(lab: &Lab, user: &str, key: &str) -> String {
    let v = lab.aws(&format!(
        "print(json.dumps([k['Status'] for k in iam.list_access_keys(UserName={user:?})['AccessKeyMetadata'] if k['AccessKeyId'] == {key:?}]))"
    ));
    v[0].as_str().unwrap().to_string()
}

fn inline_policies(lab: &Lab, kind: &str, name: &str) -> Vec<String> {
    let v = lab.aws(&format!(
        "print(json.dumps(iam.list_{kind}_policies({}Name={name:?})['PolicyNames']))",
        if kind == "user" { "User" } else { "Role" }
    ));
    v.as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn whois_finds_the_keys_account_user_and_last_use() {
    let emu = emulator();
    let ids = &emu.world["identities"];
    let key = ids["leaked_key"].as_str().unwrap();
    let out = run(emu.rolecall().args(["whois", key, "--json"])).ok();
    let w = out.json();
    assert_eq!(w["access_key_id"], key);
    assert_eq!(w["account_id"], "222222222222");
    assert_eq!(w["account_name"], "prod");
    assert_eq!(w["kind"], "iam-user");
    assert_eq!(w["reached_as"], emu.role_arn("prod-responder"));
    let user = &w["user"];
    assert_eq!(user["user_name"], "ci-deploy");
    assert_eq!(user["name"], "ci-deploy", "user {{ name, arn, … }}");
    assert_eq!(
        user["arn"],
        "arn:aws:iam::222222222222:user/automation/ci-deploy"
    );
    assert_eq!(user["groups"], serde_json::json!(["deployers"]));
    assert_eq!(user["policies"][0]["name"], "deploy-web");
    assert_eq!(user["console_access"], false);
    let keys = user["access_keys"].as_array().unwrap();
    assert_eq!(keys.len(), 2);
    let this = keys.iter().find(|k| k["access_key_id"] == key).unwrap();
    assert_eq!(this["status"], "Active");
    // The leaked key was used from eu-west-1 on EC2 when the emulator was seeded.
    assert_eq!(this["last_used"]["service"], "ec2", "{this}");
    assert_eq!(this["last_used"]["region"], "eu-west-1");
    assert!(this["last_used"]["date"].is_string());
    let spare = keys.iter().find(|k| k["access_key_id"] != key).unwrap();
    assert!(spare["last_used"]["date"].is_null(), "never used: {spare}");
    // As text: the key marked among its user's.
    let text = run(emu.rolecall().args(["whois", key])).ok().stdout;
    assert!(text.contains("ci-deploy"), "{text}");
    assert!(text.contains("<- this key"), "{text}");
    // A person's console access and MFA.
    let people = run(emu.rolecall().args(["users", "prod-responder", "--json"]))
        .ok()
        .json();
    let alice = people
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["user_name"] == "alice")
        .unwrap();
    assert_eq!(alice["console_access"], true);
    assert_eq!(alice["mfa"].as_array().unwrap().len(), 1, "{alice}");
}

#[test]
fn whois_says_what_is_known_of_a_temporary_key_or_an_account_without_a_role() {
    let emu = emulator();
    // A temporary key: the account, and what to do next; never a bare error.
    let out = run(emu
        .rolecall()
        .args(["whois", "ASIAIOSFODNN7EXAMPLE", "--json"]))
    .ok();
    let w = out.json();
    assert_eq!(w["kind"], "temporary");
    assert!(w["user"].is_null());
    let notes = w["notes"].to_string();
    assert!(notes.contains("temporary key"), "{notes}");
    assert!(
        notes.contains("rolecall events ROLE --access-key"),
        "{notes}"
    );
    // As text, the same notes on stderr.
    let out = run(emu.rolecall().args(["whois", "ASIAIOSFODNN7EXAMPLE"])).ok();
    assert!(out.stderr.contains("temporary key"), "{}", out.stderr);
    // A key of an account the demo config has no role in (the lab's).
    let lab = Lab::open(emu, "", "");
    let keys = lab_user(&lab, "whois-elsewhere", 1);
    let out = run(emu.rolecall().args(["whois", &keys[0], "--json"])).ok();
    let w = out.json();
    assert_eq!(w["account_id"], "777777777777");
    assert!(w["user"].is_null());
    assert_eq!(w["roles_in_account"], serde_json::json!([]));
    assert!(
        w["notes"]
            .to_string()
            .contains("rolecall knows no role in account 777777777777"),
        "{w}"
    );
    // The same key, from the lab's config, which has a role there: its user.
    let out = lab.rolecall(&["whois", &keys[0], "--json"]).ok();
    assert_eq!(out.json()["user"]["user_name"], "whois-elsewhere");
}

#[test]
fn a_malformed_key_is_refused_before_any_call() {
    let emu = emulator();
    for bad in [
        "AKIA123",
        "akiaiosfodnn7example",
        "AKIA/../../etc/passw",
        "AROAIOSFODNN7EXAMPLE",
    ] {
        // Nothing listens on the endpoint: a call would fail with a connection error instead.
        let out = run(emu
            .rolecall()
            .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
            .args(["whois", bad]))
        .fails();
        assert!(
            out.stderr.contains("is not an access key id"),
            "{bad}: {}",
            out.stderr
        );
        assert!(
            out.stderr.contains("nothing was asked of AWS"),
            "{}",
            out.stderr
        );
    }
}

#[test]
fn a_secret_key_pasted_for_a_key_id_is_never_echoed() {
    let emu = emulator();
    let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    let lab = Lab::open(emu, "IR-SECRET", "");
    for args in [
        vec!["whois", secret],
        vec!["isolate", "lab-ir", "--access-key", secret, "--yes"],
        vec!["release", "lab-ir", "--access-key", secret, "--yes"],
    ] {
        let out = lab.rolecall(&args).fails();
        assert!(
            out.stderr
                .contains("looks like a secret access key (not shown)"),
            "{args:?}: {}",
            out.stderr
        );
        assert!(!out.stderr.contains(secret), "{args:?}: {}", out.stderr);
        assert!(!out.stdout.contains(secret), "{args:?}: {}", out.stdout);
    }
    let log = std::fs::read_to_string(lab.case_dir().join("log.jsonl")).unwrap();
    assert!(!log.contains(secret), "{log}");
}

#[test]
fn every_accounts_keys_are_found_by_id() {
    let emu = emulator();
    let ids = &emu.world["identities"];
    let staging_key = ids["staging_key"].as_str().unwrap();
    let all = run(emu.rolecall().args(["access-keys", "--all", "--json"]))
        .ok()
        .json();
    let row = all
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["access_key_id"] == staging_key)
        .unwrap();
    assert_eq!(row["account_id"], "333333333333");
    assert_eq!(row["user_name"], "backup-bot");
    let roles = run(emu
        .rolecall()
        .args(["iam-roles", "prod-responder", "--json"]))
    .ok()
    .json();
    let sso = roles
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["role_name"] == ids["sso_role"])
        .unwrap();
    assert!(sso["aws_managed"]
        .as_str()
        .unwrap()
        .contains("Identity Center"));
    let web = roles
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["role_name"] == "WebAppRole")
        .unwrap();
    assert_eq!(
        web["trusted"],
        serde_json::json!(["Service:ec2.amazonaws.com"])
    );
    assert_eq!(
        web["instance_profiles"],
        serde_json::json!(["WebAppProfile"])
    );
    assert_eq!(web["last_used_region"], "us-east-1");
}

#[test]
fn a_leaked_key_is_deactivated_never_deleted_and_activated_again_by_release() {
    let emu = emulator();
    let lab = Lab::open(emu, "IR-KEY", "");
    let keys = lab_user(&lab, "leaky", 2);
    let key = &keys[0];
    let out = lab
        .rolecall(&["isolate", "lab-ir", "--access-key", key, "--yes"])
        .ok();
    assert!(
        out.stderr.contains("iam:UpdateAccessKey UserName=leaky"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("IAM has no DryRun"), "{}", out.stderr);
    assert_eq!(key_status(&lab, "leaky", key), "Inactive");
    assert_eq!(
        key_status(&lab, "leaky", &keys[1]),
        "Active",
        "only that key"
    );
    let log = lab.entries();
    let names = actions(&log);
    let at = |n: &str| {
        names
            .iter()
            .position(|a| a == n)
            .unwrap_or_else(|| panic!("{n}: {names:?}"))
    };
    assert!(at("isolate.start") < at("isolate.key-deactivating"));
    // The intent is in the log before the call: a run cut short still shows it.
    assert!(at("isolate.key-deactivating") < at("isolate.key-deactivated"));
    assert_eq!(
        log[at("isolate.key-deactivating")]["params"]["prior"],
        "Active"
    );
    assert!(at("isolate.key-deactivated") < at("isolate.identity-checked"));
    let e = &log[at("isolate.key-deactivated")];
    assert_eq!(e["target"][0], key.as_str());
    assert_eq!(e["params"]["user"], "leaky");
    assert_eq!(e["account_id"], "777777777777");
    // Again: already done, nothing changes.
    let out = lab
        .rolecall(&["isolate", "lab-ir", "--access-key", key, "--yes"])
        .fails();
    assert!(out.stderr.contains("already contained"), "{}", out.stderr);
    // Release: Active again, and the log says so.
    lab.rolecall(&["release", "lab-ir", "--access-key", key, "--yes"])
        .ok();
    assert_eq!(key_status(&lab, "leaky", key), "Active");
    let names = actions(&lab.entries());
    assert!(
        names.contains(&"release.key-activated".to_string()),
        "{names:?}"
    );
    assert!(
        names.contains(&"release.identity-checked".to_string()),
        "{names:?}"
    );
    // Nothing left to release.
    let out = lab
        .rolecall(&["release", "lab-ir", "--access-key", key, "--yes"])
        .fails();
    assert!(out.stderr.contains("nothing to undo"), "{}", out.stderr);
    // A key that someone else deactivated is not rolecall's to activate.
    lab.aws(&format!(
        "iam.update_access_key(UserName='leaky', AccessKeyId={:?}, Status='Inactive')\nprint('{{}}')",
        keys[1]
    ));
    let out = lab
        .rolecall(&["isolate", "lab-ir", "--access-key", &keys[1], "--yes"])
        .fails();
    assert!(out.stderr.contains("already Inactive"), "{}", out.stderr);
    let out = lab
        .rolecall(&["release", "lab-ir", "--access-key", &keys[1], "--yes"])
        .fails();
    assert!(out.stderr.contains("nothing to undo"), "{}", out.stderr);
    assert_eq!(key_status(&lab, "leaky", &keys[1]), "Inactive");
}

#[test]
fn a_user_is_denied_everything_by_one_policy_and_release_removes_only_it() {
    let emu = emulator();
    let lab = Lab::open(emu, "IR-USER", "");
    lab_user(&lab, "mallory", 1);
    let out = lab
        .rolecall(&["isolate", "lab-ir", "--user", "mallory", "--yes"])
        .ok();
    // The plan shows the exact document.
    assert!(
        out.stderr.contains(r#"PolicyDocument={"Statement":[{"Action":"*","Effect":"Deny","Resource":"*","Sid":"RolecallQuarantine"}],"Version":"2012-10-17"}"#),
        "{}",
        out.stderr
    );
    let mut p = inline_policies(&lab, "user", "mallory");
    p.sort();
    assert_eq!(p, vec!["keep-me", "rolecall-quarantine-IR-USER"]);
    let doc = lab.aws(
        "print(json.dumps(iam.get_user_policy(UserName='mallory', PolicyName='rolecall-quarantine-IR-USER')['PolicyDocument']))",
    );
    assert_eq!(doc["Statement"][0]["Effect"], "Deny");
    assert_eq!(doc["Statement"][0]["Action"], "*");
    let log = lab.entries();
    let e = log
        .iter()
        .find(|e| e["action"] == "isolate.user-policy")
        .unwrap();
    assert_eq!(e["params"]["policy"], "rolecall-quarantine-IR-USER");
    lab.rolecall(&["release", "lab-ir", "--user", "mallory", "--yes"])
        .ok();
    assert_eq!(inline_policies(&lab, "user", "mallory"), vec!["keep-me"]);
    // A policy of rolecall's name that rolecall did not write is never taken over.
    lab.aws("iam.put_user_policy(UserName='mallory', PolicyName='rolecall-quarantine-IR-USER', PolicyDocument=json.dumps({'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow', 'Action': '*', 'Resource': '*'}]}))\nprint('{}')");
    let out = lab
        .rolecall(&["isolate", "lab-ir", "--user", "mallory", "--yes"])
        .fails();
    assert!(
        out.stderr
            .contains("which rolecall's case logs did not write"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("nothing was changed"), "{}", out.stderr);
}

#[test]
fn a_roles_older_sessions_are_revoked_and_release_removes_the_policy() {
    let emu = emulator();
    let lab = Lab::open(emu, "IR-ROLE", "");
    lab.aws("iam.create_role(RoleName='StolenRole', AssumeRolePolicyDocument=json.dumps({'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow', 'Principal': {'Service': 'ec2.amazonaws.com'}, 'Action': 'sts:AssumeRole'}]}))\nprint('{}')");
    let out = lab
        .rolecall(&["isolate", "lab-ir", "--role", "StolenRole", "--yes"])
        .ok();
    assert!(out.stderr.contains("aws:TokenIssueTime"), "{}", out.stderr);
    assert_eq!(
        inline_policies(&lab, "role", "StolenRole"),
        vec!["rolecall-revoke-sessions-IR-ROLE"]
    );
    let doc = lab.aws("print(json.dumps(iam.get_role_policy(RoleName='StolenRole', PolicyName='rolecall-revoke-sessions-IR-ROLE')['PolicyDocument']))");
    let when = doc["Statement"][0]["Condition"]["DateLessThan"]["aws:TokenIssueTime"]
        .as_str()
        .unwrap()
        .to_string();
    // The time is the run's, not the plan's: the plan says so, the log has the exact document.
    assert!(
        out.stderr.contains("issued before the time of the run")
            && out
                .stderr
                .contains(r#""aws:TokenIssueTime":"<the time of the run>""#),
        "{}",
        out.stderr
    );
    let log = lab.entries();
    let put = log
        .iter()
        .find(|e| e["action"] == "isolate.role-policy")
        .unwrap();
    let logged: Value = serde_json::from_str(put["params"]["document"].as_str().unwrap()).unwrap();
    assert_eq!(logged, doc);
    let intent = log
        .iter()
        .position(|e| e["action"] == "isolate.role-policy-putting")
        .unwrap();
    assert!(
        intent
            < log
                .iter()
                .position(|e| e["action"] == "isolate.role-policy")
                .unwrap()
    );
    // Again (the role was assumed since, say): replaced with a newer time, the old document
    // recorded first.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let again = lab
        .rolecall(&["isolate", "lab-ir", "--role", "StolenRole", "--yes"])
        .ok();
    assert!(again.stderr.contains("is replaced"), "{}", again.stderr);
    let doc = lab.aws("print(json.dumps(iam.get_role_policy(RoleName='StolenRole', PolicyName='rolecall-revoke-sessions-IR-ROLE')['PolicyDocument']))");
    let later = doc["Statement"][0]["Condition"]["DateLessThan"]["aws:TokenIssueTime"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(later > when, "{later} after {when}");
    let log = lab.entries();
    let kept = log
        .iter()
        .find(|e| e["action"] == "isolate.policy-replaced")
        .unwrap();
    assert!(kept["params"]["document"].as_str().unwrap().contains(&when));
    lab.rolecall(&["release", "lab-ir", "--role", "StolenRole", "--yes"])
        .ok();
    assert!(inline_policies(&lab, "role", "StolenRole").is_empty());
}

#[test]
fn rolecall_refuses_to_contain_itself_what_aws_manages_and_bad_names() {
    let emu = emulator();
    let lab = Lab::open(emu, "IR-REFUSE", "");
    lab.aws("iam.create_role(RoleName='AWSReservedSSO_Admin_0123456789abcdef', Path='/aws-reserved/sso.amazonaws.com/', AssumeRolePolicyDocument='{}')\niam.create_service_linked_role(AWSServiceName='elasticbeanstalk.amazonaws.com')\nprint('{}')");
    let refused = |args: &[&str], says: &str| {
        let out = lab.rolecall(args);
        assert_ne!(
            out.code,
            Some(0),
            "{args:?} was not refused: {}",
            out.stderr
        );
        assert!(out.stderr.contains(says), "{args:?}: {}", out.stderr);
        assert!(
            out.stderr.contains("nothing was changed")
                || out.stderr.contains("nothing was asked of AWS"),
            "{args:?}: {}",
            out.stderr
        );
    };
    // The role rolecall acts as.
    refused(
        &["isolate", "lab-ir", "--role", "IncidentResponder", "--yes"],
        "the role rolecall is acting as",
    );
    // Whatever the case it is typed in: IAM names are unique regardless of case.
    refused(
        &["isolate", "lab-ir", "--role", "incidentresponder", "--yes"],
        "the role rolecall is acting as",
    );
    // Roles AWS manages.
    refused(
        &[
            "isolate",
            "lab-ir",
            "--role",
            "AWSReservedSSO_Admin_0123456789abcdef",
            "--yes",
        ],
        "Identity Center",
    );
    refused(
        &[
            "isolate",
            "lab-ir",
            "--role",
            "AWSServiceRoleForElasticBeanstalk",
            "--yes",
        ],
        "service-linked",
    );
    // The key rolecall signs with.
    let mine = lab.world("access_key_id");
    refused(
        &["isolate", "lab-ir", "--access-key", &mine, "--yes"],
        "the key rolecall itself signs with",
    );
    // Temporary keys and names that are not IAM names.
    refused(
        &[
            "isolate",
            "lab-ir",
            "--access-key",
            "ASIAIOSFODNN7EXAMPLE",
            "--yes",
        ],
        "temporary key",
    );
    refused(
        &[
            "isolate",
            "lab-ir",
            "--user",
            "arn:aws:iam::777777777777:user/x",
            "--yes",
        ],
        "is not an IAM user name",
    );
    // Unknown ones, by reads.
    refused(
        &["isolate", "lab-ir", "--user", "nobody-here", "--yes"],
        "NoSuchEntity",
    );
    // Outside a case, or read-only: nothing.
    let bare = Lab::open(emu, "", "");
    let out = bare
        .rolecall(&["isolate", "lab-ir", "--user", "nobody", "--yes"])
        .fails();
    assert!(out.stderr.contains("no case is open"), "{}", out.stderr);
    let out = lab
        .rolecall(&[
            "--read-only",
            "isolate",
            "lab-ir",
            "--user",
            "nobody",
            "--yes",
        ])
        .fails();
    assert!(out.stderr.contains("read-only"), "{}", out.stderr);
    assert!(
        !actions(&lab.entries())
            .iter()
            .any(|a| a.starts_with("isolate.") && a != "isolate.start"),
        "nothing was done"
    );
}

#[test]
fn the_user_rolecall_runs_as_is_refused() {
    let emu = emulator();
    // A role in the primary account itself, where the lab's own user lives.
    let lab = Lab::open(emu, "IR-SELF", "");
    let config = std::fs::read_to_string(&lab.config).unwrap();
    std::fs::write(
        &lab.config,
        config.replace(
            "[case]",
            "[[role]]\narn = \"arn:aws:iam::111111111111:role/incident/ResponderInstanceRole\"\nname = \"home\"\n\n[case]",
        ),
    )
    .unwrap();
    let out = lab
        .rolecall(&["isolate", "home", "--user", "lab-responder", "--yes"])
        .fails();
    assert!(
        out.stderr.contains("the user rolecall runs as"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_role_that_may_not_is_told_which_permission_to_add() {
    let emu = enforced_emulator();
    let lab = Lab::open(emu, "IR-DENIED", "");
    // The auditor may only describe EC2: the user cannot even be read.
    let out = lab
        .rolecall(&["isolate", "lab-audit", "--user", "anyone", "--yes"])
        .fails();
    assert!(out.stderr.contains("AccessDenied"), "{}", out.stderr);
    assert!(out.stderr.contains("iam:GetUser"), "{}", out.stderr);
    assert!(
        out.stderr.contains("rolecall policy --actions"),
        "{}",
        out.stderr
    );
    // A role that may not ask IAM's simulator: doctor says it could not check.
    let out = lab.rolecall(&["doctor", "lab-audit"]);
    assert!(
        out.stdout.contains("identity actions") && out.stdout.contains("could not check"),
        "{}",
        out.stdout
    );
}

#[test]
fn doctor_checks_the_identity_actions_with_iams_policy_simulator() {
    // The emulator's simulator (a stand-in) reads each role's own policies.
    let lab = Lab::open(emulator(), "", "");
    let out = lab.rolecall(&["doctor", "lab-ir"]);
    assert!(
        out.stdout.contains("action isolate --user") && out.stdout.contains("may: iam:GetUser"),
        "{}",
        out.stdout
    );
    let out = lab.rolecall(&["doctor", "lab-audit"]);
    assert!(out.stdout.contains("may not: iam:"), "{}", out.stdout);
    assert!(
        out.stdout.contains("RolecallIsolateUser"),
        "the statement to add: {}",
        out.stdout
    );
}

#[test]
fn whois_and_containment_are_both_in_the_case_log() {
    let emu = emulator();
    let lab = Lab::open(emu, "IR-TRAIL", "");
    let keys = lab_user(&lab, "trail-user", 2);
    lab.rolecall(&["whois", &keys[0]]).ok();
    lab.rolecall(&["isolate", "lab-ir", "--access-key", &keys[0], "--yes"])
        .ok();
    let log = lab.entries();
    let whois = log.iter().find(|e| e["action"] == "whois").unwrap();
    assert_eq!(whois["target"][0], keys[0].as_str());
    assert_eq!(whois["params"]["account_id"], "777777777777");
    assert!(whois["result"]["user"]
        .as_str()
        .unwrap()
        .ends_with(":user/trail-user"));
    assert!(log.iter().any(|e| e["action"] == "isolate.key-deactivated"));
    lab.rolecall(&["case", "verify"]).ok();
}

#[test]
fn isolating_an_instance_offers_to_revoke_its_roles_sessions() {
    let emu = emulator();
    let lab = Lab::open(emu, "IR-PROFILE", "");
    let made = lab.aws(
        "iam.create_role(RoleName='LabWebRole', AssumeRolePolicyDocument=json.dumps({'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow', 'Principal': {'Service': 'ec2.amazonaws.com'}, 'Action': 'sts:AssumeRole'}]}))\n\
         iam.create_instance_profile(InstanceProfileName='LabWebProfile')\n\
         iam.add_role_to_instance_profile(InstanceProfileName='LabWebProfile', RoleName='LabWebRole')\n\
         image = ec2.describe_images(Owners=['amazon'])['Images'][0]['ImageId']\n\
         i = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, InstanceType='t3.micro', IamInstanceProfile={'Name': 'LabWebProfile'})['Instances'][0]['InstanceId']\n\
         print(json.dumps(i))",
    );
    let instance = made.as_str().unwrap();
    let out = lab
        .rolecall(&["isolate", "lab-ir", "--instance", instance, "--yes"])
        .ok();
    assert!(
        out.stderr.contains("the instance runs as role LabWebRole"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("next: the instance's role LabWebRole still has the sessions it handed out; revoke them: rolecall isolate"),
        "{}",
        out.stderr
    );
    // What it offers is one command away, and undone as any other.
    lab.rolecall(&["isolate", "lab-ir", "--role", "LabWebRole", "--yes"])
        .ok();
    assert_eq!(
        inline_policies(&lab, "role", "LabWebRole"),
        vec!["rolecall-revoke-sessions-IR-PROFILE"]
    );
    lab.rolecall(&["release", "lab-ir", "--role", "LabWebRole", "--yes"])
        .ok();
    lab.rolecall(&["release", "lab-ir", "--instance", instance, "--yes"])
        .ok();
}

#[test]
fn a_second_case_finds_the_first_cases_containment_and_its_release_undoes_it() {
    let emu = emulator();
    let lab = Lab::open(emu, "IR-CASE-A", "");
    lab_user(&lab, "two-cases", 1);
    lab.aws("iam.create_role(RoleName='TwoCaseRole', AssumeRolePolicyDocument=json.dumps({'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow', 'Principal': {'Service': 'ec2.amazonaws.com'}, 'Action': 'sts:AssumeRole'}]}))\nprint('{}')");
    lab.rolecall(&["isolate", "lab-ir", "--user", "two-cases", "--yes"])
        .ok();
    lab.rolecall(&["isolate", "lab-ir", "--role", "TwoCaseRole", "--yes"])
        .ok();
    // Another case, same cases folder.
    lab.rolecall(&["case", "open", "IR-CASE-B"]).ok();
    let out = lab
        .rolecall(&["isolate", "lab-ir", "--user", "two-cases", "--yes"])
        .fails();
    assert!(
        out.stderr.contains("already contained") && out.stderr.contains("case IR-CASE-A"),
        "{}",
        out.stderr
    );
    let mut p = inline_policies(&lab, "user", "two-cases");
    p.sort();
    assert_eq!(p, vec!["keep-me", "rolecall-quarantine-IR-CASE-A"]);
    // The role's revocation is replaced in place, never a second one beside it.
    let out = lab
        .rolecall(&["isolate", "lab-ir", "--role", "TwoCaseRole", "--yes"])
        .ok();
    assert!(out.stderr.contains("is replaced"), "{}", out.stderr);
    assert_eq!(
        inline_policies(&lab, "role", "TwoCaseRole"),
        vec!["rolecall-revoke-sessions-IR-CASE-A"]
    );
    // Released in the second case: the first case's policies go, each recorded.
    lab.rolecall(&["release", "lab-ir", "--user", "two-cases", "--yes"])
        .ok();
    assert_eq!(inline_policies(&lab, "user", "two-cases"), vec!["keep-me"]);
    lab.rolecall(&["release", "lab-ir", "--role", "TwoCaseRole", "--yes"])
        .ok();
    assert!(inline_policies(&lab, "role", "TwoCaseRole").is_empty());
    let log: Vec<Value> = std::fs::read_to_string(
        lab.dir
            .path()
            .join("cases")
            .join("IR-CASE-B")
            .join("log.jsonl"),
    )
    .unwrap()
    .lines()
    .map(|l| serde_json::from_str(l).unwrap())
    .collect();
    let removed = log
        .iter()
        .find(|e| e["action"] == "release.user-policy-removed")
        .unwrap();
    assert_eq!(removed["params"]["policy"], "rolecall-quarantine-IR-CASE-A");
    assert!(log
        .iter()
        .any(|e| e["action"] == "release.user-policy-removing"
            && e["params"]["document"].as_str().unwrap().contains("Deny")));
    // Nothing left, in either case.
    let out = lab
        .rolecall(&["release", "lab-ir", "--user", "two-cases", "--yes"])
        .fails();
    assert!(out.stderr.contains("nothing to undo"), "{}", out.stderr);
    lab.rolecall(&["case", "open", "IR-CASE-A"]).ok();
    let out = lab
        .rolecall(&["release", "lab-ir", "--role", "TwoCaseRole", "--yes"])
        .fails();
    assert!(out.stderr.contains("nothing to undo"), "{}", out.stderr);
}

#[test]
fn a_quarantine_rewritten_by_someone_else_is_put_back_not_taken_as_done() {
    let emu = emulator();
    let lab = Lab::open(emu, "IR-REWRITE", "");
    lab_user(&lab, "rewriter", 1);
    lab.rolecall(&["isolate", "lab-ir", "--user", "rewriter", "--yes"])
        .ok();
    // The intruder turns rolecall's deny into an allow.
    lab.aws("iam.put_user_policy(UserName='rewriter', PolicyName='rolecall-quarantine-IR-REWRITE', PolicyDocument=json.dumps({'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow', 'Action': '*', 'Resource': '*'}]}))\nprint('{}')");
    let out = lab
        .rolecall(&["isolate", "lab-ir", "--user", "rewriter", "--yes"])
        .ok();
    assert!(
        out.stderr.contains("no longer holds what rolecall wrote"),
        "{}",
        out.stderr
    );
    let doc = lab.aws(
        "print(json.dumps(iam.get_user_policy(UserName='rewriter', PolicyName='rolecall-quarantine-IR-REWRITE')['PolicyDocument']))",
    );
    assert_eq!(doc["Statement"][0]["Effect"], "Deny");
    let log = lab.entries();
    let kept = log
        .iter()
        .find(|e| e["action"] == "isolate.policy-replaced")
        .unwrap();
    assert!(
        kept["params"]["document"]
            .as_str()
            .unwrap()
            .contains("Allow"),
        "{kept}"
    );
    // Released once: gone.
    lab.rolecall(&["release", "lab-ir", "--user", "rewriter", "--yes"])
        .ok();
    assert_eq!(inline_policies(&lab, "user", "rewriter"), vec!["keep-me"]);
}

/// A proxy to the emulator that loses the answers of the IAM calls whose request holds every
/// one of `needles` (after the emulator made them): a change with no answer.
fn losing_proxy(upstream: &str, needles: &'static [&'static str]) -> String {
    use std::io::{BufReader, Read, Write};
    use std::net::{Shutdown, TcpListener, TcpStream};
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
                let Ok(Some(request)) = crate::common::proxy::read_request(&mut reader) else {
                    return;
                };
                let mut up = TcpStream::connect(&upstream).unwrap();
                up.write_all(&request).unwrap();
                let mut answer = Vec::new();
                up.read_to_end(&mut answer).unwrap();
                let has = |n: &str| request.windows(n.len()).any(|w| w == n.as_bytes());
                let mut conn = conn;
                if !needles.iter().all(|n| has(n)) {
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
fn a_release_whose_answer_was_lost_is_offered_again_not_taken_as_done() {
    let emu = emulator();
    let lab = Lab::open(emu, "IR-LOST-KEY", "");
    let keys = lab_user(&lab, "lost-answer", 2);
    let key = &keys[0];
    let through = |proxy: &str, args: &[&str]| {
        let mut cmd = emu.rolecall();
        for (k, v) in lab.env() {
            cmd.env(k, v);
        }
        cmd.env("AWS_ENDPOINT_URL", proxy);
        run(cmd.args(args))
    };
    // The deactivation's answer lost: made all the same, and taken as (maybe) done.
    let proxy = losing_proxy(
        &emu.endpoint,
        &["Action=UpdateAccessKey", "Status=Inactive"],
    );
    let out = through(&proxy, &["isolate", "lab-ir", "--access-key", key, "--yes"]);
    assert_ne!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(key_status(&lab, "lost-answer", key), "Inactive");
    let out = lab
        .rolecall(&["isolate", "lab-ir", "--access-key", key, "--yes"])
        .fails();
    assert!(out.stderr.contains("already contained"), "{}", out.stderr);
    // The activation's answer lost: the key is Active, but the release is not known done.
    let proxy = losing_proxy(&emu.endpoint, &["Action=UpdateAccessKey", "Status=Active"]);
    let out = through(&proxy, &["release", "lab-ir", "--access-key", key, "--yes"]);
    assert_ne!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(key_status(&lab, "lost-answer", key), "Active");
    let failed = lab
        .entries()
        .into_iter()
        .find(|e| e["action"] == "release.key-activated")
        .unwrap();
    assert!(failed["result"]["error"].is_string(), "{failed}");
    // So release is offered again, says the key is Active already, and records it.
    let out = lab
        .rolecall(&["release", "lab-ir", "--access-key", key, "--yes"])
        .ok();
    assert!(out.stderr.contains("Active already"), "{}", out.stderr);
    let out = lab
        .rolecall(&["release", "lab-ir", "--access-key", key, "--yes"])
        .fails();
    assert!(out.stderr.contains("nothing to undo"), "{}", out.stderr);
}

#[test]
fn a_last_use_that_could_not_be_read_is_unknown_never_never() {
    let emu = enforced_emulator();
    let lab = Lab::open(emu, "", "");
    let config = std::fs::read_to_string(&lab.config).unwrap();
    std::fs::write(
        &lab.config,
        config.replace(
            "[case]",
            &format!(
                "[[role]]\narn = \"{}\"\nname = \"lab-blind\"\n\n[case]",
                lab.world("key_blind_role")
            ),
        ),
    )
    .unwrap();
    let out = lab.rolecall(&["access-keys", "lab-blind", "--json"]);
    assert!(
        out.stderr.contains("GetAccessKeyLastUsed"),
        "the failure is named: {}",
        out.stderr
    );
    let rows = out.json();
    let row = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["user_name"] == "blind-spot")
        .unwrap_or_else(|| panic!("{rows}"));
    assert_eq!(row["last_used_read"], false, "{row}");
    assert!(row["last_used"].is_null());
    // As a table: "?", not "never".
    let text = lab.rolecall(&["access-keys", "lab-blind"]).stdout;
    let line = text
        .lines()
        .find(|l| l.contains("blind-spot"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(line.contains('?') && !line.contains("never"), "{line}");
    // The users' CSV: the key's last use "?", groups and policies (not read) empty, not "-".
    let users = lab.rolecall(&["users", "lab-blind", "--json"]).json();
    let user = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["user_name"] == "blind-spot")
        .unwrap();
    assert!(user["access_keys"][0]["last_used"].is_null(), "{user}");
}

#[test]
fn a_key_of_another_account_is_refused_with_where_to_act() {
    let emu = emulator();
    let staging_key = emu.world["identities"]["staging_key"].as_str().unwrap();
    let lab = Lab::open(emu, "IR-OTHER-ACCOUNT", "");
    let out = lab
        .rolecall(&["isolate", "lab-ir", "--access-key", staging_key, "--yes"])
        .fails();
    assert!(
        out.stderr.contains("belongs to account 333333333333")
            && out
                .stderr
                .contains(&format!("rolecall whois {staging_key}")),
        "{}",
        out.stderr
    );
    assert!(
        !actions(&lab.entries())
            .iter()
            .any(|a| a.starts_with("isolate.") && a != "isolate.start"),
        "nothing was done"
    );
}

#[test]
fn whois_says_which_permission_the_primary_identity_lacks_to_name_a_keys_account() {
    let emu = enforced_emulator();
    // The lab's primary user may assume roles, and nothing else: not sts:GetAccessKeyInfo.
    let lab = Lab::open(emu, "", "");
    let out = lab.rolecall(&["whois", "AKIAIOSFODNN7EXAMPLE"]).fails();
    assert!(
        out.stderr.contains("GetAccessKeyInfo") && out.stderr.contains("AccessDenied"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("may not call sts:GetAccessKeyInfo")
            && out.stderr.contains("rolecall policy --actions"),
        "{}",
        out.stderr
    );
    // ...which lists it, for the primary identity and not for any role.
    let printed = lab.rolecall(&["policy", "--actions", "--json"]).ok().json();
    assert_eq!(
        printed["primary_policy"]["Statement"][0]["Action"],
        serde_json::json!(["sts:GetAccessKeyInfo"])
    );
    assert!(!printed["role_policy"]
        .to_string()
        .contains("sts:GetAccessKeyInfo"));
}
