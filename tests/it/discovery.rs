//! Discovery, setup and doctor against the emulator: roles read from the caller's own IAM
//! policies (a primary role with inline and managed policies; a user with a group) and from
//! `~/.aws/config` role profiles; the policies rolecall writes, read back; doctor's verdicts.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{emulator, run, Emulator, Run};
use serde_json::Value;

const AWS_CONFIG: &str = "\
[profile prod-ro]
role_arn = arn:aws:iam::222222222222:role/ResponderRole
region = eu-west-1

[profile stg]
role_arn = arn:aws:iam::333333333333:role/audit/Auditor
external_id = rolecall-demo-4242
duration_seconds = 1800
role_session_name = alice
mfa_serial = arn:aws:iam::111111111111:mfa/responder

[profile broken]
role_arn = arn:aws:iam::12:role/X

[profile plain]
region = us-east-1
";

struct Setup {
    dir: tempfile::TempDir,
}

impl Setup {
    fn new() -> Setup {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("aws-config"), AWS_CONFIG).unwrap();
        std::fs::write(dir.path().join("empty.toml"), "").unwrap();
        Setup { dir }
    }
    fn aws_config(&self) -> PathBuf {
        self.dir.path().join("aws-config")
    }
    fn empty_config(&self) -> PathBuf {
        self.dir.path().join("empty.toml")
    }
}

/// `rolecall` as the primary account's IAM role (as on an instance with an instance role):
/// the user assumes it, rolecall runs with that session.
fn as_primary_role(emu: &Emulator) -> Command {
    let mut cmd = emu.bare_command();
    cmd.envs(emu.primary_role_env());
    cmd
}

/// Roles of a `roles --json` document by ARN: (source, name).
fn roles_by_arn(doc: &Value) -> BTreeMap<String, (String, Option<String>, Value)> {
    let mut out = BTreeMap::new();
    for account in doc["accounts"].as_array().unwrap() {
        for r in account["roles"].as_array().unwrap() {
            out.insert(
                r["arn"].as_str().unwrap().to_string(),
                (
                    r["source"].as_str().unwrap().to_string(),
                    r["name"].as_str().map(str::to_string),
                    r.clone(),
                ),
            );
        }
    }
    out
}

fn with<'a>(cmd: &'a mut Command, config: &Path, aws_config: &Path) -> &'a mut Command {
    cmd.env("ROLECALL_CONFIG", config)
        .env("AWS_CONFIG_FILE", aws_config)
}

#[test]
fn zero_config_discovery_from_a_role_policies_and_aws_config() {
    let emu = emulator();
    let s = Setup::new();
    let mut cmd = as_primary_role(emu);
    let out =
        run(with(&mut cmd, &s.empty_config(), &s.aws_config()).args(["roles", "--json"])).ok();
    let doc = out.json();
    assert!(
        doc["primary"]["arn"]
            .as_str()
            .unwrap()
            .starts_with("arn:aws:sts::111111111111:assumed-role/ResponderInstanceRole/"),
        "{doc}"
    );
    let roles = roles_by_arn(&doc);
    let arns: Vec<&str> = roles.keys().map(String::as_str).collect();
    assert_eq!(
        arns,
        [
            "arn:aws:iam::222222222222:role/ResponderRole",
            "arn:aws:iam::333333333333:role/audit/Auditor",
            "arn:aws:iam::444444444444:role/ResponderRole",
        ],
        "listed roles only: not the sandbox (denied), the old policy version's role, nor an s3 action's resource"
    );
    let prod = &roles["arn:aws:iam::222222222222:role/ResponderRole"];
    assert_eq!(
        (prod.0.as_str(), prod.1.as_deref()),
        ("aws-config", Some("prod-ro"))
    );
    assert_eq!(prod.2["regions"], serde_json::json!(["eu-west-1"]));
    let stg = &roles["arn:aws:iam::333333333333:role/audit/Auditor"];
    assert_eq!(stg.0, "aws-config");
    assert_eq!(stg.2["external_id"], "rolecall-demo-4242");
    assert_eq!(stg.2["duration_seconds"], 1800);
    assert_eq!(
        stg.2["mfa_serial"],
        "arn:aws:iam::111111111111:mfa/responder"
    );
    let empty = &roles["arn:aws:iam::444444444444:role/ResponderRole"];
    assert_eq!((empty.0.as_str(), empty.1.as_deref()), ("policy", None));

    let warnings: Vec<&str> = doc["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap())
        .collect();
    let has = |needle: &str| warnings.iter().any(|w| w.contains(needle));
    assert!(
        has("pattern arn:aws:iam::*:role/ReadOnly*"),
        "{warnings:#?}"
    );
    assert!(
        has("arn:aws:iam::555555555555:role/ResponderRole is allowed by inline policy assume-secondary of role ResponderInstanceRole but denied"),
        "{warnings:#?}"
    );
    assert!(has("AWS config profile broken: role_arn"), "{warnings:#?}");
    assert!(
        !has("777777777777") && !has("888888888888"),
        "{warnings:#?}"
    );

    // The table says where each role came from, and the warnings.
    let mut cmd = as_primary_role(emu);
    let out = run(with(&mut cmd, &s.empty_config(), &s.aws_config()).arg("roles")).ok();
    assert!(out.stdout.contains("aws-config"), "{}", out.stdout);
    assert!(out.stdout.contains("policy"), "{}", out.stdout);
    assert!(out.stdout.contains("warning: "), "{}", out.stdout);

    // A profile name is a ROLE argument, with the profile's region.
    let mut cmd = as_primary_role(emu);
    let out = run(with(&mut cmd, &s.empty_config(), &s.aws_config()).args([
        "instances",
        "prod-ro",
        "--json",
    ]))
    .ok();
    let doc = out.json();
    let names: Vec<&str> = doc
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["eu-batch-1", "eu-web-1"], "eu-west-1 only");
}

#[test]
fn a_user_gets_roles_from_its_own_and_its_groups_policies() {
    let emu = emulator();
    let s = Setup::new();
    let out = run(emu
        .rolecall()
        .env("ROLECALL_CONFIG", s.empty_config())
        .args(["roles", "--json"]))
    .ok();
    let doc = out.json();
    let roles = roles_by_arn(&doc);
    for name in [
        "prod-responder",
        "prod-breakglass",
        "staging-auditor",
        "empty",
    ] {
        let arn = emu.role_arn(name);
        assert_eq!(
            roles[&arn].0, "policy",
            "{arn} from the user's inline policy"
        );
    }
    assert!(!roles.contains_key(&emu.role_arn("sandbox")));
    assert_eq!(
        roles["arn:aws:iam::666666666666:role/Forensics"].0, "policy",
        "from the group's attached managed policy"
    );
    let warnings = doc["warnings"].to_string();
    assert!(
        warnings.contains("inline policy read-only-anywhere of group responders"),
        "{warnings}"
    );

    // rolecall's own config wins for the same ARN: its name and regions.
    let out = run(emu.rolecall().args(["roles", "--json"])).ok();
    let roles = roles_by_arn(&out.json());
    let prod = &roles[&emu.role_arn("prod-responder")];
    assert_eq!(
        (prod.0.as_str(), prod.1.as_deref()),
        ("config", Some("prod-responder"))
    );
    assert_eq!(
        prod.2["regions"],
        serde_json::json!(["us-east-1", "eu-west-1"])
    );
}

#[test]
fn policy_writes_both_sides_and_they_read_back() {
    let emu = emulator();
    let mut cmd = as_primary_role(emu);
    cmd.env("ROLECALL_CONFIG", crate::common::demo_config());
    let out = run(cmd.args(["policy", "--json"])).ok();
    let doc = out.json();
    // The principal is the IAM role, with its path, not the STS session.
    assert_eq!(doc["principal"], emu.world["primary_role"]);

    let permission = &doc["primary_policy"];
    assert_eq!(permission["Version"], "2012-10-17");
    let resources: Vec<&str> = permission["Statement"][0]["Resource"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    assert!(resources.iter().all(|r| !r.contains('*')), "{resources:?}");
    for name in [
        "prod-responder",
        "prod-breakglass",
        "staging-auditor",
        "empty",
        "sandbox",
    ] {
        assert!(resources.contains(&emu.role_arn(name).as_str()), "{name}");
    }
    // rolecall's own reader finds exactly those roles in it.
    let analysis = rolecall::aws::policy::analyze(&[rolecall::aws::policy::PolicyDoc {
        source: "generated".into(),
        document: permission.clone(),
    }]);
    assert_eq!(analysis.assumable().len(), resources.len());
    assert!(analysis.warnings().is_empty());

    let trusts = doc["trust_policies"].as_object().unwrap();
    assert_eq!(trusts.len(), resources.len());
    for (arn, t) in trusts {
        assert_eq!(t["Version"], "2012-10-17", "{arn}");
        let st = &t["Statement"][0];
        assert_eq!(st["Effect"], "Allow");
        assert_eq!(st["Action"], "sts:AssumeRole");
        assert_eq!(st["Principal"]["AWS"], emu.world["primary_role"]);
    }
    let staging = &trusts[&emu.role_arn("staging-auditor")]["Statement"][0]["Condition"];
    assert_eq!(
        staging["StringEquals"]["sts:ExternalId"],
        "rolecall-demo-4242"
    );
    let glass = &trusts[&emu.role_arn("prod-breakglass")]["Statement"][0]["Condition"];
    assert_eq!(glass["Bool"]["aws:MultiFactorAuthPresent"], "true");
    assert!(trusts[&emu.role_arn("prod-responder")]["Statement"][0]
        .get("Condition")
        .is_none());

    // One role, as text for the console's JSON editor; a user principal as itself.
    let out = run(emu.rolecall().args(["policy", "staging-auditor"])).ok();
    assert!(out.stdout.contains("# 1. In the primary account 111111111111: a permission policy for arn:aws:iam::111111111111:user/responder"), "{}", out.stdout);
    assert!(out.stdout.contains("# 2. In account 333333333333: the trust policy of role arn:aws:iam::333333333333:role/audit/Auditor"), "{}", out.stdout);
    assert!(
        out.stdout
            .contains("\"sts:ExternalId\": \"rolecall-demo-4242\""),
        "{}",
        out.stdout
    );
}

fn checks(out: &Run) -> Vec<(String, String, String)> {
    out.json()
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["check"].as_str().unwrap().to_string(),
                c["status"].as_str().unwrap().to_string(),
                c["detail"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn status_of<'a>(checks: &'a [(String, String, String)], name: &str) -> Vec<&'a str> {
    checks
        .iter()
        .filter(|c| c.0 == name)
        .map(|c| c.1.as_str())
        .collect()
}

#[test]
fn doctor_on_a_good_role() {
    let emu = emulator();
    let out = run(emu.rolecall().args(["doctor", "prod-responder"])).ok();
    for line in [
        "ok    credentials            found in the environment (AWS_ACCESS_KEY_ID)",
        "ok    primary identity       arn:aws:iam::111111111111:user/responder",
        "ok    identity policy        sts:AssumeRole allowed by inline policy assume-secondary-roles of user responder",
        "ok    AssumeRole             assumed as arn:aws:sts::222222222222:assumed-role/ResponderRole/",
        "ok    read in the account    ec2:DescribeRegions in us-east-1",
        "ok    session duration       3600 s asked; the role allows up to 3600 s",
    ] {
        assert!(out.stdout.contains(line), "missing {line:?}:\n{}", out.stdout);
    }
    assert!(out.stdout.contains("0 failed"), "{}", out.stdout);
}

#[test]
fn doctor_finds_what_is_wrong() {
    let emu = emulator();
    // The demo config asks 7200 s of a role whose maximum is the default hour.
    let out = run(emu.rolecall().args(["doctor", "staging-auditor", "--json"]));
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    let c = checks(&out);
    assert_eq!(status_of(&c, "AssumeRole"), ["ok"], "{c:#?}");
    let duration = c.iter().find(|c| c.0 == "session duration").unwrap();
    assert_eq!(duration.1, "fail");
    assert!(
        duration
            .2
            .contains("asks for 7200 s but the role's maximum session duration is 3600 s"),
        "{duration:?}"
    );

    // From the primary role: the sandbox is denied, a stranger's role allowed by nothing.
    let mut cmd = as_primary_role(emu);
    cmd.env("ROLECALL_CONFIG", crate::common::demo_config());
    let out = run(cmd.args(["doctor", &emu.role_arn("sandbox"), "--json"]));
    assert_eq!(out.code, Some(1));
    let c = checks(&out);
    let verdict = c.iter().find(|c| c.0 == "identity policy").unwrap();
    assert_eq!(verdict.1, "fail");
    assert!(
        verdict
            .2
            .contains("denied by inline policy assume-secondary of role ResponderInstanceRole"),
        "{verdict:?}"
    );
    // A role session: chained sessions are capped at an hour, said as a warning.
    assert!(status_of(&c, "session duration").contains(&"ok"), "{c:#?}");

    let mut cmd = as_primary_role(emu);
    cmd.env("ROLECALL_CONFIG", crate::common::demo_config());
    let out = run(cmd.args(["doctor", "arn:aws:iam::999999999999:role/Nobody"]));
    assert_eq!(out.code, Some(1));
    assert!(out.stdout.contains("FAIL  identity policy        no identity policy of role ResponderInstanceRole allows sts:AssumeRole on arn:aws:iam::999999999999:role/Nobody"), "{}", out.stdout);
    assert!(out.stdout.contains("fix: attach the permission policy from `rolecall policy arn:aws:iam::999999999999:role/Nobody`"), "{}", out.stdout);

    // MFA roles need a code to go further.
    let out = run(emu.rolecall().args(["doctor", "prod-breakglass", "--json"])).ok();
    let c = checks(&out);
    assert_eq!(status_of(&c, "AssumeRole"), ["warn"], "{c:#?}");
    let out = run(emu.rolecall().args([
        "doctor",
        "prod-breakglass",
        "--token-code",
        "123456",
        "--json",
    ]))
    .ok();
    assert_eq!(status_of(&checks(&out), "AssumeRole"), ["ok"]);

    // No credentials at all: the first check fails, and says what to do.
    let out = run(emu.bare_command().args(["doctor"]));
    assert_eq!(out.code, Some(1));
    assert!(out.stdout.contains("FAIL  credentials"), "{}", out.stdout);
    assert!(
        out.stdout.contains("fix: set AWS_PROFILE"),
        "{}",
        out.stdout
    );
}
