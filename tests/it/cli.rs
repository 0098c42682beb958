//! The real binary against the moto emulator: every subcommand, every JSON field, errors.

use std::collections::BTreeSet;

use crate::common::{emulator, run};
use chrono::{DateTime, Utc};
use serde_json::Value;

const PROD: &str = "222222222222";
const STAGING: &str = "333333333333";

fn ids(v: &Value, key: &str) -> BTreeSet<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|i| i[key].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn roles_json_has_primary_and_roles_grouped_by_account() {
    let emu = emulator();
    let out = run(emu.rolecall().args(["roles", "--json"])).ok().json();
    assert_eq!(out["primary"]["account"], "111111111111");
    assert_eq!(
        out["primary"]["arn"],
        "arn:aws:iam::111111111111:user/responder"
    );
    // The responder's group allows a pattern, which is not a role.
    let warnings = out["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0]
        .as_str()
        .unwrap()
        .contains("arn:aws:iam::*:role/ReadOnly*"));
    let accounts = out["accounts"].as_array().unwrap();
    let account_ids: Vec<&str> = accounts.iter().map(|a| a["id"].as_str().unwrap()).collect();
    // Named accounts, sorted by name, then the account of a role found in the group's policy.
    assert_eq!(
        account_ids,
        [
            "444444444444",
            PROD,
            "555555555555",
            STAGING,
            "666666666666"
        ]
    );
    assert_eq!(accounts[4]["roles"][0]["source"], "policy");
    let prod = &accounts[1];
    assert_eq!(prod["name"], "prod");
    assert_eq!(prod["color"], "F2B0A9");
    let roles = prod["roles"].as_array().unwrap();
    assert_eq!(roles.len(), 2);
    assert_eq!(roles[0]["arn"], emu.role_arn("prod-responder"));
    assert_eq!(roles[0]["name"], "prod-responder");
    assert_eq!(roles[0]["source"], "config");
    assert_eq!(
        roles[0]["regions"],
        serde_json::json!(["us-east-1", "eu-west-1"])
    );
    assert_eq!(
        roles[1]["mfa_serial"],
        "arn:aws:iam::111111111111:mfa/responder"
    );
    let staging = &accounts[3]["roles"][0];
    assert_eq!(
        staging["arn"],
        "arn:aws:iam::333333333333:role/audit/Auditor"
    );
    assert_eq!(staging["external_id"], "rolecall-demo-4242");
    assert_eq!(staging["duration_seconds"], 7200);
}

#[test]
fn roles_table_is_readable() {
    let emu = emulator();
    let out = run(emu.rolecall().arg("roles")).ok();
    assert!(out.stdout.starts_with(
        "Primary identity: arn:aws:iam::111111111111:user/responder (account 111111111111)"
    ));
    for want in [
        "ACCOUNT",
        "222222222222 (prod)",
        "audit/Auditor",
        "staging-auditor",
        "external-id",
        "mfa",
    ] {
        assert!(out.stdout.contains(want), "missing {want}:\n{}", out.stdout);
    }
}

#[test]
fn roles_without_any_source_says_how_to_add_roles() {
    // The empty account's role may read EC2 and assume nothing: no config, no profiles, no policy.
    let emu = emulator();
    let creds = run(emu
        .rolecall()
        .args(["assume", "empty", "--format", "credential-process"]))
    .ok()
    .json();
    let mut cmd = emu.bare_command();
    cmd.env("AWS_ACCESS_KEY_ID", creds["AccessKeyId"].as_str().unwrap())
        .env(
            "AWS_SECRET_ACCESS_KEY",
            creds["SecretAccessKey"].as_str().unwrap(),
        )
        .env("AWS_SESSION_TOKEN", creds["SessionToken"].as_str().unwrap());
    let out = run(cmd.arg("roles")).ok();
    assert!(out.stdout.contains("No roles found"), "{}", out.stdout);
    assert!(out.stdout.contains("[[role]]"), "{}", out.stdout);
}

/// `eval "$(rolecall assume ROLE)"` in a real shell, then the exported credentials act in the
/// secondary account.
#[test]
fn assume_env_lines_work_with_eval() {
    let emu = emulator();
    // The same clean environment as the binary gets, for a shell that runs it twice.
    let env = emu.rolecall();
    let mut sh = std::process::Command::new("bash");
    sh.env_clear().env("RC", env!("CARGO_BIN_EXE_rolecall"));
    for (k, v) in env.get_envs() {
        if let Some(v) = v {
            sh.env(k, v);
        }
    }
    sh.arg("-c").arg(
        r#"set -e
eval "$("$RC" assume prod-responder)"
test -n "$AWS_SESSION_TOKEN"
test -n "$AWS_CREDENTIAL_EXPIRATION"
unset ROLECALL_CONFIG
"$RC" roles --json"#,
    );
    let out = run(&mut sh).ok().json();
    assert_eq!(out["primary"]["account"], PROD);
    assert_eq!(
        out["primary"]["arn"],
        "arn:aws:sts::222222222222:assumed-role/ResponderRole/rolecall-demo"
    );
}

fn expires_in(doc: &Value) -> i64 {
    let exp: DateTime<Utc> = doc["Expiration"].as_str().unwrap().parse().unwrap();
    (exp - Utc::now()).num_seconds()
}

#[test]
fn assume_credential_process_document() {
    let emu = emulator();
    let out =
        run(emu
            .rolecall()
            .args(["assume", "prod-responder", "--format", "credential-process"]))
        .ok();
    let doc = out.json();
    assert_eq!(doc["Version"], 1);
    for key in ["AccessKeyId", "SecretAccessKey", "SessionToken"] {
        assert!(!doc[key].as_str().unwrap().is_empty(), "{key}");
    }
    let left = expires_in(&doc);
    assert!(
        (3500..=3600).contains(&left),
        "default duration 3600, got {left}"
    );
    assert!(out
        .stderr
        .contains("assumed arn:aws:iam::222222222222:role/ResponderRole"));
    assert!(!out
        .stderr
        .contains(doc["SecretAccessKey"].as_str().unwrap()));
}

#[test]
fn assume_sends_configured_and_requested_durations() {
    let emu = emulator();
    // staging-auditor has duration_seconds = 7200 and an external id in the config.
    let doc = run(emu.rolecall().args([
        "assume",
        "staging-auditor",
        "--format",
        "credential-process",
    ]))
    .ok()
    .json();
    assert!((7100..=7200).contains(&expires_in(&doc)));
    let doc = run(emu.rolecall().args([
        "assume",
        "staging-auditor",
        "--format",
        "credential-process",
        "--duration",
        "15m",
    ]))
    .ok()
    .json();
    assert!((800..=900).contains(&expires_in(&doc)));
}

#[test]
fn assume_by_unconfigured_arn() {
    let emu = emulator();
    let out = run(emu.rolecall().args([
        "assume",
        "arn:aws:iam::444444444444:role/ResponderRole",
        "--format",
        "credential-process",
    ]))
    .ok();
    assert!(out.json()["AccessKeyId"]
        .as_str()
        .unwrap()
        .starts_with("ASIA"));
}

#[test]
fn mfa_role_needs_a_code() {
    let emu = emulator();
    let out = run(emu.rolecall().args(["assume", "prod-breakglass"])).fails();
    assert!(out.stderr.contains("needs an MFA code"), "{}", out.stderr);
    assert!(out.stderr.contains("--token-code"), "{}", out.stderr);
    let out = run(emu
        .rolecall()
        .args(["assume", "prod-breakglass", "--token-code", "12ab"]));
    assert_eq!(out.code, Some(2), "a usage error: {}", out.stderr);
    assert!(out.stderr.contains("6 digits"), "{}", out.stderr);
    let out = run(emu.rolecall().args([
        "assume",
        "prod-breakglass",
        "--token-code",
        "123456",
        "--format",
        "credential-process",
    ]))
    .ok();
    // The role's duration_seconds = 900.
    assert!((800..=900).contains(&expires_in(&out.json())));
}

const INSTANCE_FIELDS: [&str; 11] = [
    "instance_id",
    "name",
    "state",
    "instance_type",
    "region",
    "availability_zone",
    "private_ip",
    "public_ip",
    "launch_time",
    "volume_ids",
    "tags",
];

#[test]
fn instances_of_one_account_across_its_regions() {
    let emu = emulator();
    let out = run(emu
        .rolecall()
        .args(["instances", "prod-responder", "--json"]))
    .ok()
    .json();
    let got = ids(&out, "instance_id");
    let want: BTreeSet<String> = emu.instance_ids(PROD).into_iter().collect();
    assert_eq!(
        got, want,
        "exactly prod's instances, nothing of staging or sandbox"
    );
    for i in out.as_array().unwrap() {
        for f in INSTANCE_FIELDS {
            assert!(i.get(f).is_some(), "field {f} missing in {i}");
        }
        assert!(i["launch_time"]
            .as_str()
            .unwrap()
            .parse::<DateTime<Utc>>()
            .is_ok());
        assert!(i["availability_zone"]
            .as_str()
            .unwrap()
            .starts_with(i["region"].as_str().unwrap()));
        assert!(!i["volume_ids"].as_array().unwrap().is_empty());
        assert!(i["private_ip"].is_string());
    }
    let by_name = |n: &str| {
        out.as_array()
            .unwrap()
            .iter()
            .find(|i| i["name"] == n)
            .unwrap_or_else(|| panic!("no instance {n}"))
            .clone()
    };
    let db = by_name("db-1");
    assert_eq!(db["state"], "stopped");
    assert_eq!(db["instance_type"], "m5.large");
    assert_eq!(db["region"], "us-east-1");
    assert_eq!(db["tags"]["team"], "data");
    assert_eq!(
        db["volume_ids"].as_array().unwrap().len(),
        2,
        "root and data volume"
    );
    assert!(
        db["public_ip"].is_null(),
        "a stopped instance has no public IP"
    );
    let web = by_name("web-1");
    assert_eq!(web["state"], "running");
    assert!(web["public_ip"].is_string());
    assert_eq!(by_name("eu-web-1")["region"], "eu-west-1");
}

#[test]
fn instances_region_flag_overrides_the_roles_regions() {
    let emu = emulator();
    let out = run(emu.rolecall().args([
        "instances",
        "prod-responder",
        "--region",
        "eu-west-1",
        "--json",
    ]))
    .ok()
    .json();
    let names: BTreeSet<&str> = out
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, BTreeSet::from(["eu-web-1", "eu-batch-1"]));
}

#[test]
fn instances_follow_every_page() {
    let emu = emulator();
    let dir = tempfile::tempdir().unwrap();
    let config = crate::common::demo_config_with(dir.path(), "page_size = 5");
    let out = run(emu.rolecall().env("ROLECALL_CONFIG", &config).args([
        "instances",
        "staging-auditor",
        "--json",
    ]))
    .ok()
    .json();
    let want: BTreeSet<String> = emu.instance_ids(STAGING).into_iter().collect();
    assert_eq!(want.len(), 12);
    assert_eq!(
        ids(&out, "instance_id"),
        want,
        "12 instances over pages of 5"
    );
}

#[test]
fn instances_table_and_empty_account() {
    let emu = emulator();
    let out = run(emu.rolecall().args(["instances", "prod-responder"])).ok();
    // The TUI's columns, with the TUI's titles.
    let header = out.stdout.lines().next().unwrap();
    let titles: Vec<&str> = rolecall::resources::Kind::Instances
        .heads(false)
        .iter()
        .map(|h| h.title)
        .collect();
    assert_eq!(
        titles,
        [
            "NAME",
            "INSTANCE ID",
            "STATE",
            "TYPE",
            "AZ",
            "PRIVATE IP",
            "PUBLIC IP",
            "AGE",
            "VOLS"
        ]
    );
    let mut at = 0;
    for title in titles {
        let found = header[at..]
            .find(title)
            .unwrap_or_else(|| panic!("{title} in {header}"));
        at += found + title.len();
    }
    assert!(out.stdout.contains("db-1") && out.stdout.contains("stopped"));

    let out = run(emu.rolecall().args(["instances", "empty"])).ok();
    assert_eq!(
        out.stdout.trim(),
        "No instances in account 444444444444 (empty) in us-east-1, eu-west-1."
    );
    let out = run(emu.rolecall().args(["instances", "empty", "--json"])).ok();
    assert_eq!(out.json(), serde_json::json!([]));
    let out = run(emu.rolecall().args(["volumes", "empty"])).ok();
    assert!(out.stdout.starts_with("No volumes in account 444444444444"));
}

#[test]
fn volumes_attached_and_unattached() {
    let emu = emulator();
    let out = run(emu.rolecall().args(["volumes", "prod-responder", "--json"]))
        .ok()
        .json();
    let vols = out.as_array().unwrap();
    for v in vols {
        for f in [
            "volume_id",
            "name",
            "size_gib",
            "volume_type",
            "state",
            "encrypted",
            "region",
            "availability_zone",
            "attached_to",
            "snapshot_id",
        ] {
            assert!(v.get(f).is_some(), "field {f} missing in {v}");
        }
    }
    let seeded = emu.world["volumes"][PROD].as_array().unwrap();
    let data = &seeded[0];
    let loose = &seeded[1];
    let find = |id: &Value| vols.iter().find(|v| v["volume_id"] == *id).unwrap().clone();
    let d = find(&data["id"]);
    assert_eq!(d["name"], "db-1-data");
    assert_eq!(d["size_gib"], 100);
    assert_eq!(d["volume_type"], "gp3");
    assert_eq!(d["encrypted"], true);
    assert_eq!(d["state"], "in-use");
    assert_eq!(d["attached_to"], serde_json::json!([data["attached_to"]]));
    let l = find(&loose["id"]);
    assert_eq!(l["state"], "available");
    assert_eq!(l["attached_to"], serde_json::json!([]));
    assert_eq!(l["encrypted"], false);
    // Root volumes of the five instances, plus the two made by hand.
    assert_eq!(vols.len(), 7);
    let regions: BTreeSet<&str> = vols.iter().map(|v| v["region"].as_str().unwrap()).collect();
    assert_eq!(regions, BTreeSet::from(["eu-west-1", "us-east-1"]));

    let table = run(emu.rolecall().args(["volumes", "prod-responder"]))
        .ok()
        .stdout;
    assert!(
        table.contains("evidence-copy") && table.contains("100 GiB"),
        "{table}"
    );
}

#[test]
fn link_prints_the_switch_role_url() {
    let emu = emulator();
    let out = run(emu.rolecall().args(["link", "prod-responder"])).ok();
    assert_eq!(
        out.stdout.trim(),
        "https://signin.aws.amazon.com/switchrole?roleName=ResponderRole&account=222222222222&displayName=prod-responder&color=F2B0A9"
    );
    let out = run(emu.rolecall().args(["link", "staging-auditor", "--json"]))
        .ok()
        .json();
    assert_eq!(
        out["url"],
        "https://signin.aws.amazon.com/switchrole?roleName=audit%2FAuditor&account=333333333333&displayName=staging-auditor&color=B7CA9D"
    );
    // sandbox's colour (D7A5F0) is not one the console offers.
    let out = run(emu.rolecall().args(["link", "sandbox"])).ok();
    assert!(!out.stdout.contains("color="), "{}", out.stdout);
    let out = run(emu
        .rolecall()
        .args(["link", "arn:aws-us-gov:iam::999999999999:role/ops/Reader"]))
    .ok();
    assert_eq!(
        out.stdout.trim(),
        "https://signin.amazonaws-us-gov.com/switchrole?roleName=ops%2FReader&account=999999999999&displayName=Reader+%40+999999999999"
    );
}

#[test]
fn unknown_role_names_the_known_ones() {
    let emu = emulator();
    let out = run(emu.rolecall().args(["instances", "prod-responsder"])).fails();
    assert!(
        out.stderr
            .starts_with("error: no role named \"prod-responsder\""),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("prod-responder, prod-breakglass"),
        "{}",
        out.stderr
    );
    let out = run(emu.rolecall().args(["assume", "arn:aws:iam::22:role/X"])).fails();
    assert!(out.stderr.contains("12 digits"), "{}", out.stderr);
}

#[test]
fn bad_config_files_name_key_and_line() {
    let emu = emulator();
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("[defaults]\nregion = \"us-east-1\"\n", ":2:", "unknown field `region`"),
        ("[[role]]\narn = \"arn:aws:iam::2222:role/R\"\n", ":2:", "role.arn"),
        ("[defaults]\nsession_name = \"a b\"\n", ":2:", "defaults.session_name"),
        ("[defaults]\nduration_seconds = 99999\n", ":2:", "defaults.duration_seconds"),
        ("[[account]]\nid = \"222222222222\"\ncolor = \"green\"\n", ":3:", "account.color"),
        (
            "[[role]]\narn = \"arn:aws:iam::222222222222:role/A\"\nname = \"x\"\n[[role]]\narn = \"arn:aws:iam::222222222222:role/B\"\nname = \"x\"\n",
            ":6:",
            "role.name",
        ),
    ];
    for (i, (text, line, key)) in cases.iter().enumerate() {
        let path = dir.path().join(format!("bad{i}.toml"));
        std::fs::write(&path, text).unwrap();
        let out = run(emu.rolecall().arg("--config").arg(&path).arg("roles")).fails();
        let want = format!("error: {}{line}", path.display());
        assert!(
            out.stderr.starts_with(&want),
            "{text:?}: {} should start with {want}",
            out.stderr
        );
        assert!(out.stderr.contains(key), "{text:?}: {}", out.stderr);
        assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    }
    let out = run(emu
        .rolecall()
        .args(["--config", "/nonexistent/rolecall.toml", "roles"]))
    .fails();
    assert!(
        out.stderr.contains("/nonexistent/rolecall.toml"),
        "{}",
        out.stderr
    );
}

#[test]
fn bad_arguments_are_explained() {
    let emu = emulator();
    let out = run(emu
        .rolecall()
        .args(["instances", "prod-responder", "--region", "mars-1"]))
    .fails();
    assert!(
        out.stderr.contains("--region") && out.stderr.contains("mars-1"),
        "{}",
        out.stderr
    );
    let out = run(emu
        .rolecall()
        .args(["assume", "prod-responder", "--duration", "60"]));
    assert_eq!(out.code, Some(2));
    assert!(out.stderr.contains("900"), "{}", out.stderr);
}

#[test]
fn missing_credentials_are_explained() {
    let emu = emulator();
    let out = run(emu.bare_command().arg("roles")).fails();
    assert!(out.stderr.contains("GetCallerIdentity"), "{}", out.stderr);
    assert!(
        out.stderr.contains("hint: no AWS credentials were found"),
        "{}",
        out.stderr
    );
}

#[test]
fn unreachable_endpoint_is_explained() {
    let emu = emulator();
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = run(emu
        .rolecall()
        .env("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{port}"))
        .args(["instances", "prod-responder"]))
    .fails();
    assert!(
        out.stderr
            .contains("AssumeRole on arn:aws:iam::222222222222:role/ResponderRole failed"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("hint: could not reach the AWS endpoint"),
        "{}",
        out.stderr
    );
}

#[test]
fn help_lists_every_subcommand() {
    let emu = emulator();
    let out = run(emu.rolecall().arg("--help")).ok();
    for sub in [
        "init",
        "roles",
        "assume",
        "instances",
        "volumes",
        "link",
        "--config",
        "--profile",
        "--region",
    ] {
        assert!(out.stdout.contains(sub), "{sub}");
    }
}

#[test]
fn a_failing_region_does_not_hide_the_others() {
    let emu = emulator();
    // moto refuses regions it does not know, as AWS does for a disabled opt-in region.
    let out = run(emu.rolecall().args([
        "instances",
        "prod-responder",
        "--region",
        "eu-west-1",
        "--region",
        "ap-nowhere-9",
        "--json",
    ]))
    .ok();
    assert_eq!(
        out.json().as_array().unwrap().len(),
        2,
        "eu-west-1's instances still listed"
    );
    assert!(
        out.stderr
            .contains("warning: DescribeInstances on region ap-nowhere-9 failed"),
        "{}",
        out.stderr
    );
    assert!(
        !out.stderr.contains("<html"),
        "no raw bodies in messages: {}",
        out.stderr
    );

    let out = run(emu
        .rolecall()
        .args(["volumes", "prod-responder", "--region", "ap-nowhere-9"]))
    .fails();
    assert!(
        out.stderr.contains("error: DescribeVolumes on every region of arn:aws:iam::222222222222:role/ResponderRole failed"),
        "{}",
        out.stderr
    );
}

#[test]
fn profile_flag_picks_credentials_from_aws_files() {
    let emu = emulator();
    let dir = tempfile::tempdir().unwrap();
    let (key, secret) = emu.primary_key();
    let creds = dir.path().join("credentials");
    std::fs::write(
        &creds,
        format!("[responder]\naws_access_key_id = {key}\naws_secret_access_key = {secret}\n"),
    )
    .unwrap();
    let config = dir.path().join("config");
    std::fs::write(&config, "[profile responder]\nregion = eu-west-1\n").unwrap();
    let mut cmd = emu.bare_command();
    cmd.env("AWS_SHARED_CREDENTIALS_FILE", &creds)
        .env("AWS_CONFIG_FILE", &config)
        .env_remove("AWS_REGION");
    let out = run(cmd.args(["--profile", "responder", "roles", "--json"]))
        .ok()
        .json();
    assert_eq!(
        out["primary"]["arn"],
        "arn:aws:iam::111111111111:user/responder"
    );

    let mut cmd = emu.bare_command();
    cmd.env("AWS_SHARED_CREDENTIALS_FILE", &creds)
        .env("AWS_CONFIG_FILE", &config)
        .env("AWS_PROFILE", "responder");
    let out = run(cmd.args(["roles", "--json"])).ok().json();
    assert_eq!(out["primary"]["account"], "111111111111");

    let mut cmd = emu.bare_command();
    cmd.env("AWS_SHARED_CREDENTIALS_FILE", &creds)
        .env("AWS_CONFIG_FILE", &config);
    let out = run(cmd.args(["--profile", "nope", "roles"])).fails();
    assert!(out.stderr.contains("nope"), "{}", out.stderr);
}

#[test]
fn exec_runs_a_command_as_the_role() {
    let emu = emulator();
    let bin = env!("CARGO_BIN_EXE_rolecall");
    let out = run(emu
        .rolecall()
        .args(["exec", "prod-responder", "--", bin, "roles", "--json"]))
    .ok();
    let doc = out.json();
    assert_eq!(doc["primary"]["account"], PROD);
    assert!(doc["primary"]["arn"]
        .as_str()
        .unwrap()
        .contains(":assumed-role/ResponderRole/"));

    let out = run(emu.rolecall().args([
        "exec",
        "prod-responder",
        "--region",
        "eu-west-1",
        "--",
        "sh",
        "-c",
        "echo $AWS_REGION $AWS_DEFAULT_REGION; exit 7",
    ]));
    assert_eq!(
        out.code,
        Some(7),
        "the command's exit status: {}",
        out.stderr
    );
    assert_eq!(out.stdout.trim(), "eu-west-1 eu-west-1");
    let out = run(emu.rolecall().args([
        "exec",
        "prod-responder",
        "--",
        "sh",
        "-c",
        "echo $AWS_REGION",
    ]))
    .ok();
    assert_eq!(out.stdout.trim(), "us-east-1", "the role's first region");

    let out = run(emu
        .rolecall()
        .args(["exec", "prod-responder", "--", "/nonexistent/tool"]))
    .fails();
    assert!(
        out.stderr.contains("cannot run \"/nonexistent/tool\""),
        "{}",
        out.stderr
    );
    let out = run(emu.rolecall().args(["exec", "prod-responder"]));
    assert_eq!(out.code, Some(2), "no command is a usage error");
}

/// Role chaining: a role session asking for 2 h gets 1 h, and is told so.
#[test]
fn chained_sessions_ask_for_at_most_an_hour() {
    let emu = emulator();
    let bin = env!("CARGO_BIN_EXE_rolecall");
    let out = run(emu.rolecall().args([
        "exec",
        "prod-responder",
        "--",
        bin,
        "assume",
        "staging-auditor",
        "--format",
        "credential-process",
    ]))
    .ok();
    let left = expires_in(&out.json());
    assert!((3500..=3600).contains(&left), "capped at 3600, got {left}");
    assert!(out.stderr.contains("at most 3600 s"), "{}", out.stderr);
}

/// `credential_process = rolecall assume ROLE --format credential-process` in ~/.aws/config, read
/// by the real SDK (rolecall's own, with --profile).
#[test]
fn credential_process_profile_works_with_the_sdk() {
    let emu = emulator();
    let bin = env!("CARGO_BIN_EXE_rolecall");
    let dir = tempfile::tempdir().unwrap();
    let (key, secret) = emu.primary_key();
    let creds = dir.path().join("credentials");
    std::fs::write(
        &creds,
        format!("[primary]\naws_access_key_id = {key}\naws_secret_access_key = {secret}\n"),
    )
    .unwrap();
    let config = dir.path().join("config");
    std::fs::write(
        &config,
        format!(
            "[profile prod]\nregion = us-east-1\ncredential_process = env AWS_PROFILE=primary {bin} assume prod-responder --format credential-process\n"
        ),
    )
    .unwrap();
    let mut cmd = emu.bare_command();
    cmd.env("AWS_SHARED_CREDENTIALS_FILE", &creds)
        .env("AWS_CONFIG_FILE", &config)
        .env("ROLECALL_CONFIG", crate::common::demo_config());
    let out = run(cmd.args(["--profile", "prod", "roles", "--json"]))
        .ok()
        .json();
    assert_eq!(out["primary"]["account"], PROD);
    assert_eq!(
        out["primary"]["arn"],
        "arn:aws:sts::222222222222:assumed-role/ResponderRole/rolecall-demo"
    );
}

#[test]
fn policy_actions_prints_what_each_action_needs_without_credentials() {
    let emu = emulator();
    // No credentials at all: nothing is called.
    let out = run(emu.bare_command().args(["policy", "--actions", "--json"]))
        .ok()
        .json();
    let sids: Vec<&str> = out["role_policy"]["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["Sid"].as_str().unwrap())
        .collect();
    assert_eq!(
        sids,
        [
            "RolecallSnapshot",
            "RolecallShare",
            "RolecallIsolate",
            "RolecallIsolateAccessKey",
            "RolecallIsolateUser",
            "RolecallIsolateRole",
            "RolecallIamRead",
            "RolecallCapture",
            "RolecallFindingStatus"
        ]
    );
    let snapshot = out["actions"]["snapshot"]["calls"].as_array().unwrap();
    assert!(
        snapshot.iter().any(|c| c == "ec2:CreateSnapshot"),
        "{snapshot:?}"
    );
    let copier = &out["forensic_role_policy"]["Statement"][0]["Action"];
    assert!(
        copier
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c == "ec2:CopySnapshot"),
        "{copier}"
    );
    let text = run(emu.bare_command().args(["policy", "--actions"])).ok();
    assert!(
        text.stdout.contains("In the forensic account"),
        "{}",
        text.stdout
    );
    let both = run(emu
        .bare_command()
        .args(["policy", "--actions", "prod-responder"]));
    assert_eq!(
        both.code,
        Some(2),
        "--actions takes no role: {}",
        both.stderr
    );
}

#[test]
fn a_reader_that_goes_away_is_not_a_panic() {
    use std::io::Read;
    use std::process::Stdio;
    let emu = emulator();
    let mut child = emu
        .rolecall()
        .args(["instances", "prod-responder"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Close the read end before rolecall writes (as `| head -0` would).
    drop(child.stdout.take());
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// What the shell gets back from rolecall on a TAB (fish's format: one `value<TAB>help` a line).
fn completions_for(cmd: &mut std::process::Command, line: &[&str]) -> Vec<(String, String)> {
    let out = run(cmd.env("COMPLETE", "fish").arg("--").args(line)).ok();
    out.stdout
        .lines()
        .map(|l| {
            let (v, h) = l.split_once('\t').unwrap_or((l, ""));
            (v.to_string(), h.to_string())
        })
        .collect()
}

#[test]
fn completions_offer_role_names_and_arns_from_the_config_and_aws_profiles() {
    let emu = emulator();
    let home = tempfile::tempdir().unwrap();
    let aws_config = home.path().join("aws-config");
    std::fs::write(
        &aws_config,
        "[profile ir-audit]\nrole_arn = arn:aws:iam::777777777777:role/Audit\nsource_profile = default\n",
    )
    .unwrap();
    let mut cmd = emu.rolecall();
    cmd.env("AWS_CONFIG_FILE", &aws_config);
    let got = completions_for(&mut cmd, &["rolecall", "assume", ""]);
    let values: Vec<&str> = got.iter().map(|(v, _)| v.as_str()).collect();
    for want in [
        "prod-responder",
        "prod-breakglass",
        "staging-auditor",
        "ir-audit",
        "arn:aws:iam::222222222222:role/ResponderRole",
        "arn:aws:iam::777777777777:role/Audit",
    ] {
        assert!(values.contains(&want), "{want} not in {values:?}");
    }
    let help = &got.iter().find(|(v, _)| v == "prod-responder").unwrap().1;
    assert_eq!(
        help,
        "prod (222222222222): arn:aws:iam::222222222222:role/ResponderRole"
    );
    // A prefix narrows them, in every command taking a ROLE.
    let mut cmd = emu.rolecall();
    let got = completions_for(&mut cmd, &["rolecall", "instances", "staging"]);
    assert_eq!(
        got.iter().map(|(v, _)| v.as_str()).collect::<Vec<_>>(),
        ["staging-auditor"]
    );
    let mut cmd = emu.rolecall();
    let got = completions_for(&mut cmd, &["rolecall", "doctor", "arn:aws:iam::3"]);
    assert_eq!(
        got.iter().map(|(v, _)| v.as_str()).collect::<Vec<_>>(),
        ["arn:aws:iam::333333333333:role/audit/Auditor"]
    );
    // Subcommands complete too.
    let mut cmd = emu.rolecall();
    let got = completions_for(&mut cmd, &["rolecall", "comp"]);
    assert_eq!(got[0].0, "completions");
    // A config that does not load gives no candidates and no error text on the command line.
    let bad = home.path().join("bad.toml");
    std::fs::write(&bad, "[[role]]\narn = 3\n").unwrap();
    let mut cmd = emu.rolecall();
    cmd.env("ROLECALL_CONFIG", &bad);
    assert!(completions_for(&mut cmd, &["rolecall", "assume", ""])
        .iter()
        .all(|(v, _)| !v.starts_with("arn:aws:iam::2222")));
}

#[test]
fn completion_scripts_and_the_man_page() {
    let emu = emulator();
    let bin = env!("CARGO_BIN_EXE_rolecall");
    for (shell, marker) in [
        (
            "bash",
            "complete -o nospace -o bashdefault -o nosort -F _clap_complete_rolecall rolecall",
        ),
        ("zsh", "#compdef rolecall"),
        (
            "fish",
            "complete --keep-order --exclusive --command rolecall",
        ),
        (
            "powershell",
            "Register-ArgumentCompleter -Native -CommandName rolecall",
        ),
        ("elvish", "set edit:completion:arg-completer[rolecall]"),
    ] {
        // Even with a config that does not load: the shell's start-up must not fail on it.
        let out = run(emu
            .rolecall()
            .env("ROLECALL_CONFIG", "/nonexistent/rolecall.toml")
            .args(["completions", shell]))
        .ok();
        assert!(out.stdout.contains(marker), "{shell}: {}", out.stdout);
        assert!(
            out.stdout.contains(bin),
            "{shell} calls this binary back: {}",
            out.stdout
        );
        assert!(out.stdout.contains("COMPLETE"), "{shell}: {}", out.stdout);
    }
    let out = run(emu.rolecall().args(["completions", "tcsh"]));
    assert_eq!(out.code, Some(2), "a usage error");
    assert!(
        out.stderr.contains("bash, zsh, fish, powershell, elvish"),
        "{}",
        out.stderr
    );
    let out = run(emu.rolecall().arg("man")).ok();
    assert!(out.stdout.starts_with(".ie"), "{}", out.stdout);
    assert!(out.stdout.contains(".TH rolecall 1"), "{}", out.stdout);
    for sub in ["assume", "instances", "snapshot", "completions", "case"] {
        assert!(out.stdout.contains(sub), "{sub} in the man page");
    }
}
