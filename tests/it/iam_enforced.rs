//! With IAM enforcement on (moto's INITIAL_NO_AUTH_ACTION_COUNT): the identity policy of the
//! primary decides which roles it may assume, and the role's policy what it may read.

use crate::common::{enforced_emulator, run};

#[test]
fn assume_denied_explains_both_sides() {
    let emu = enforced_emulator();
    let out = run(emu.rolecall().args(["assume", "sandbox"])).fails();
    let err = &out.stderr;
    assert!(
        err.starts_with("error: AssumeRole on arn:aws:iam::555555555555:role/ResponderRole failed: AccessDenied"),
        "{err}"
    );
    assert!(
        err.contains("identity policy must allow sts:AssumeRole on exactly arn:aws:iam::555555555555:role/ResponderRole"),
        "{err}"
    );
    assert!(err.contains("trust policy of role ResponderRole"), "{err}");
    assert!(err.contains("account 555555555555"), "{err}");
    assert!(
        err.contains(
            "`rolecall doctor arn:aws:iam::555555555555:role/ResponderRole` checks each step"
        ),
        "{err}"
    );
}

#[test]
fn discovery_without_iam_read_says_so_once_and_goes_on() {
    // The responder may assume roles but not read its own IAM policies.
    let emu = enforced_emulator();
    let out = run(emu.rolecall().args(["roles", "--json"])).ok();
    let doc = out.json();
    let warnings = doc["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    let w = warnings[0].as_str().unwrap();
    assert!(
        w.starts_with("cannot read the IAM policies of user responder to find assumable roles: ListUserPolicies on user responder failed: AccessDenied"),
        "{w}"
    );
    // The configured roles are all there.
    let n: usize = doc["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["roles"].as_array().unwrap().len())
        .sum();
    assert_eq!(n, 5);
}

#[test]
fn doctor_under_enforcement_names_the_failing_step() {
    let emu = enforced_emulator();
    let out = run(emu.rolecall().args(["doctor", "sandbox"]));
    assert_eq!(out.code, Some(1), "{}\n{}", out.stdout, out.stderr);
    let text = &out.stdout;
    assert!(text.contains("ok    primary identity"), "{text}");
    assert!(
        text.contains(
            "warn  identity policies      cannot read the IAM policies of user responder"
        ),
        "{text}"
    );
    assert!(text.contains("FAIL  AssumeRole             AssumeRole on arn:aws:iam::555555555555:role/ResponderRole failed: AccessDenied"), "{text}");
    assert!(text.contains("fix: check both sides"), "{text}");

    // An allowed role gets through AssumeRole and the read; its own GetRole is not allowed.
    let out = run(emu.rolecall().args(["doctor", "staging-auditor"])).ok();
    assert!(out.stdout.contains("ok    AssumeRole"), "{}", out.stdout);
    assert!(
        out.stdout.contains("ok    read in the account"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains(
            "warn  session duration       the role's maximum could not be read (AccessDenied)"
        ),
        "{}",
        out.stdout
    );
}

#[test]
fn allowed_role_lists_its_instances() {
    let emu = enforced_emulator();
    let out = run(emu
        .rolecall()
        .args(["instances", "prod-responder", "--json"]))
    .ok()
    .json();
    assert_eq!(
        out.as_array().unwrap().len(),
        emu.instance_ids("222222222222").len()
    );
}

#[test]
fn wrong_secret_is_refused() {
    let emu = enforced_emulator();
    let out = run(emu
        .rolecall()
        .env("AWS_SECRET_ACCESS_KEY", "not-the-secret")
        .args(["assume", "prod-responder"]))
    .fails();
    assert!(
        out.stderr
            .contains("AssumeRole on arn:aws:iam::222222222222:role/ResponderRole failed"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("hint:"), "{}", out.stderr);
}

#[test]
fn every_account_with_a_wrong_secret_ends_in_one_error_not_one_per_account() {
    // The accounts start before the identity call answers; credentials that do not work end
    // the run with that call's error.
    let emu = enforced_emulator();
    let out = run(emu
        .rolecall()
        .env("AWS_SECRET_ACCESS_KEY", "not-the-secret")
        .args(["instances", "--all", "--json"]))
    .fails();
    assert!(
        out.stderr.starts_with("error: GetCallerIdentity"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("warning: account"), "{}", out.stderr);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
}
