//! With IAM enforcement on (moto's INITIAL_NO_AUTH_ACTION_COUNT): the identity policy of the
//! primary decides which roles it may assume, and the role's policy what it may read.

mod common;

use common::{enforced_emulator, run};

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
