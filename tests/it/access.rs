//! Where sessions come from: one MFA code for many roles, `via` chains, `source_profile`, and
//! (with the emulator's Identity Center stand-in) `[[sso]]` — the real binary against the
//! emulator.

use serde_json::Value;

use crate::common::{emulator, enforced_emulator, run, DemoConfig};

const MFA: &str = "arn:aws:iam::111111111111:mfa/responder";

fn accounts_of(rows: &Value) -> Vec<String> {
    let mut ids: Vec<String> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["account_id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

#[test]
fn one_mfa_code_reaches_every_account_only_an_mfa_role_reaches() {
    let emu = emulator();
    let dir = tempfile::tempdir().unwrap();
    // The sandbox account is in no policy of the primary's: only this MFA role reaches it.
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[[role]]\narn = \"{}\"\nname = \"sandbox-mfa\"\nmfa_serial = \"{MFA}\"\n",
            emu.role_arn("sandbox")
        ),
    )
    .unwrap();
    let list = |extra: &[&str]| {
        let mut cmd = emu.rolecall();
        cmd.env("ROLECALL_CONFIG", &config)
            .args(["instances", "--all", "--json", "--region", "us-east-1"])
            .args(extra);
        run(&mut cmd)
    };
    let without = list(&[]).ok();
    assert!(
        !accounts_of(&without.json()).contains(&"555555555555".to_string()),
        "{}",
        without.stdout
    );
    let with = list(&["--token-code", "123456"]).ok();
    assert!(
        accounts_of(&with.json()).contains(&"555555555555".to_string()),
        "{}\n{}",
        with.stdout,
        with.stderr
    );
    assert!(with.stdout.contains("sandbox-secret"), "{}", with.stdout);
    // A code for roles that name two devices is refused before any call, saying why.
    let two = dir.path().join("two.toml");
    std::fs::write(
        &two,
        format!(
            "[[role]]\narn = \"{}\"\nmfa_serial = \"{MFA}\"\n\n[[role]]\narn = \"arn:aws:iam::444444444444:role/Other\"\nmfa_serial = \"arn:aws:iam::111111111111:mfa/other\"\n",
            emu.role_arn("sandbox")
        ),
    )
    .unwrap();
    let mut cmd = emu.rolecall();
    cmd.env("ROLECALL_CONFIG", &two)
        .args(["instances", "--all", "--token-code", "123456"]);
    let refused = run(&mut cmd).fails();
    assert!(
        refused.stderr.contains("2 MFA devices")
            && refused.stderr.contains("one code is for one device"),
        "{}",
        refused.stderr
    );
}

#[test]
fn a_role_reached_via_another_is_assumed_as_its_session_for_an_hour_at_most() {
    let emu = emulator();
    let dir = tempfile::tempdir().unwrap();
    let config = DemoConfig::default()
        .append(
            "[[role]]\narn = \"arn:aws:iam::444444444444:role/Deep\"\nname = \"deep\"\nvia = \"prod-responder\"\nduration_seconds = 7200\n",
        )
        .write(dir.path());
    let mut cmd = emu.rolecall();
    cmd.env("ROLECALL_CONFIG", &config)
        .args(["assume", "deep", "--format", "credential-process"]);
    let doc = run(&mut cmd).ok().json();
    let expires =
        chrono::DateTime::parse_from_rfc3339(doc["Expiration"].as_str().unwrap()).unwrap();
    let left = expires
        .signed_duration_since(chrono::Utc::now())
        .num_seconds();
    assert!(
        left <= 3600,
        "a chained session is an hour at most: {left} s"
    );
    // `roles --json` says how it is reached.
    let mut cmd = emu.rolecall();
    cmd.env("ROLECALL_CONFIG", &config)
        .args(["roles", "--json"]);
    let roles = run(&mut cmd).ok().json();
    let deep = roles["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|a| a["roles"].as_array().unwrap())
        .find(|r| r["name"] == "deep")
        .unwrap()
        .clone();
    assert_eq!(deep["reached"], "via");
    assert_eq!(deep["from"], emu.role_arn("prod-responder"));
    // A via that names no role is an error naming it, and nothing is assumed from elsewhere.
    let bad_dir = tempfile::tempdir().unwrap();
    let bad = DemoConfig::default()
        .append(
            "[[role]]\narn = \"arn:aws:iam::444444444444:role/Lost\"\nname = \"lost\"\nvia = \"nobody-here\"\n",
        )
        .write(bad_dir.path());
    let mut cmd = emu.rolecall();
    cmd.env("ROLECALL_CONFIG", &bad)
        .args(["assume", "lost", "--format", "credential-process"]);
    let out = run(&mut cmd).fails();
    assert!(
        out.stderr.contains("via = \"nobody-here\"") && out.stderr.contains("names no known role"),
        "{}",
        out.stderr
    );
    assert!(out.stdout.is_empty(), "{}", out.stdout);
}

#[test]
fn a_profile_role_is_assumed_with_its_source_profiles_credentials() {
    // The IAM-enforcing emulator checks whose key signs: a source profile with a key it does
    // not know fails, though the primary identity's key would have worked.
    let emu = enforced_emulator();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("none.toml"), "").unwrap();
    let (key, secret) = emu.primary_key();
    let aws_config = dir.path().join("aws-config");
    let role = emu.role_arn("prod-responder");
    let other = emu.role_arn("empty");
    std::fs::write(
        &aws_config,
        format!(
            "[profile good-keys]\naws_access_key_id = {key}\naws_secret_access_key = {secret}\n\n\
             [profile unknown-keys]\naws_access_key_id = AKIAUNKNOWN000000001\naws_secret_access_key = not-a-real-secret-0000000000000000000000\n\n\
             [profile via-good]\nrole_arn = {role}\nsource_profile = good-keys\n\n\
             [profile via-unknown]\nrole_arn = {other}\nsource_profile = unknown-keys\n"
        ),
    )
    .unwrap();
    let assume = |profile: &str| {
        let mut cmd = emu.rolecall();
        cmd.env("AWS_CONFIG_FILE", &aws_config)
            .env("ROLECALL_CONFIG", dir.path().join("none.toml"))
            .args(["assume", profile, "--format", "credential-process"]);
        run(&mut cmd)
    };
    let good = assume("via-good").ok().json();
    assert!(good["AccessKeyId"].as_str().unwrap().starts_with("ASIA"));
    let bad = assume("via-unknown").fails();
    assert!(
        bad.stderr.contains("AssumeRole") && bad.stderr.contains("AWS profile unknown-keys"),
        "the error says whose credentials were refused: {}",
        bad.stderr
    );
}
