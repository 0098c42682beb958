//! `AWS_CA_BUNDLE` and a profile's `ca_bundle`, as the AWS CLI reads them: rolecall behind a
//! TLS-inspecting proxy. The emulator is reached through a TLS front whose certificate a fresh
//! private CA signed (tests/emulator/tls_front.py): with that CA in the bundle every call and the
//! console sign-in work; without it they fail saying the certificate is not trusted and what to
//! set; a bundle that cannot be read is refused before any call.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use crate::common::federation::{Federation, TOKEN};
use crate::common::proxy::FaultProxy;
use crate::common::tls::TlsFront;
use crate::common::{emulator, run, DemoConfig, Emulator, Run};

const PROD: &str = "222222222222";

/// `rolecall` against the emulator through `front` (AWS_ENDPOINT_URL is https now), no bundle.
fn through(emu: &Emulator, front: &TlsFront) -> Command {
    let mut cmd = emu.rolecall();
    cmd.env("AWS_ENDPOINT_URL", &front.endpoint);
    cmd
}

fn instance_ids(out: &Run) -> BTreeSet<String> {
    out.json()
        .as_array()
        .expect("an array of instances")
        .iter()
        .map(|i| i["instance_id"].as_str().unwrap().to_string())
        .collect()
}

/// The failure of a call refused for the front's certificate: said as that, and what to set.
#[track_caller]
fn says_certificate_not_trusted(out: &Run) {
    let err = &out.stderr;
    assert!(
        err.contains("the server's TLS certificate is not trusted")
            && err.contains("UnknownIssuer"),
        "the certificate problem is named:\n{err}"
    );
    assert!(
        err.contains("behind a TLS-inspecting proxy, set AWS_CA_BUNDLE (or ca_bundle in the AWS profile) to the proxy's CA certificate (PEM)"),
        "what to set is said:\n{err}"
    );
}

#[test]
fn with_the_proxy_ca_in_aws_ca_bundle_listings_and_assume_work_over_tls() {
    let emu = emulator();
    let front = TlsFront::start(&emu.endpoint);

    let out = run(through(emu, &front).env("AWS_CA_BUNDLE", &front.ca).args([
        "instances",
        "prod-responder",
        "--json",
    ]))
    .ok();
    let want: BTreeSet<String> = emu.instance_ids(PROD).into_iter().collect();
    assert_eq!(instance_ids(&out), want);

    let doc = run(through(emu, &front).env("AWS_CA_BUNDLE", &front.ca).args([
        "assume",
        "prod-responder",
        "--format",
        "credential-process",
    ]))
    .ok()
    .json();
    assert!(!doc["SessionToken"].as_str().unwrap().is_empty());

    // doctor says which bundle the calls trust, and gets through with it.
    let checks = run(through(emu, &front).env("AWS_CA_BUNDLE", &front.ca).args([
        "doctor",
        "prod-responder",
        "--json",
    ]))
    .json();
    let check = |name: &str| {
        checks
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["check"] == name)
            .unwrap_or_else(|| panic!("no {name} check: {checks}"))
            .clone()
    };
    let bundle = check("CA bundle");
    assert_eq!(bundle["status"], "ok");
    assert!(
        bundle["detail"].as_str().unwrap().contains(&format!(
            "1 certificate(s) of the CA bundle {} (AWS_CA_BUNDLE)",
            front.ca.display()
        )),
        "{bundle}"
    );
    assert_eq!(check("primary identity")["status"], "ok", "{checks}");

    // Every call went through the front, over TLS, none refused; the SDK kept its connections.
    let stats = front.stats();
    assert_eq!(stats["refused"], 0, "{stats}");
    let (conns, requests) = (
        stats["connections"].as_u64().unwrap(),
        stats["requests"].as_u64().unwrap(),
    );
    assert!(
        requests >= 4,
        "GetCallerIdentity, AssumeRole, DescribeInstances…: {stats}"
    );
    assert!(conns < requests, "connections are reused: {stats}");
}

#[test]
fn without_the_bundle_calls_fail_naming_the_certificate_and_aws_ca_bundle() {
    let emu = emulator();
    let front = TlsFront::start(&emu.endpoint);

    let out = run(through(emu, &front).args(["instances", "prod-responder", "--json"])).fails();
    says_certificate_not_trusted(&out);
    assert!(out.stdout.trim().is_empty(), "{}", out.stdout);

    let out = run(through(emu, &front).args(["assume", "prod-responder"])).fails();
    says_certificate_not_trusted(&out);
    assert!(!out.stdout.contains("AWS_SESSION_TOKEN"), "{}", out.stdout);

    // Every account: each one's failure says it (here the primary identity's first).
    let out = run(through(emu, &front).args(["instances", "--all", "--json"]));
    assert_ne!(out.code, Some(0), "{}", out.stderr);
    says_certificate_not_trusted(&out);

    let stats = front.stats();
    assert_eq!(stats["requests"], 0, "nothing got through: {stats}");
    assert!(stats["refused"].as_u64().unwrap() >= 3, "{stats}");
}

#[test]
fn a_bundle_without_the_proxy_ca_is_named_in_the_failure() {
    let emu = emulator();
    let front = TlsFront::start(&emu.endpoint);
    // Another private CA: a bundle, but not the one that signed the front's certificate.
    let other = TlsFront::start(&emu.endpoint);
    let out = run(through(emu, &front).env("AWS_CA_BUNDLE", &other.ca).args([
        "instances",
        "prod-responder",
        "--json",
    ]))
    .fails();
    let err = &out.stderr;
    assert!(
        err.contains("the server's TLS certificate is not trusted")
            && err.contains("UnknownIssuer"),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "though the CA bundle {} (AWS_CA_BUNDLE) is in use",
            other.ca.display()
        )),
        "the bundle in use is named:\n{err}"
    );
    assert!(
        err.contains("must hold the proxy's CA certificate (PEM)"),
        "{err}"
    );
}

/// An AWS config file in `dir` with `text`, and `rolecall` through `front` reading it.
fn with_aws_config(emu: &Emulator, front: &TlsFront, dir: &Path, text: &str) -> Command {
    let file = dir.join("aws-config");
    std::fs::write(&file, text).unwrap();
    let mut cmd = through(emu, front);
    cmd.env("AWS_CONFIG_FILE", file);
    cmd
}

#[test]
fn a_profiles_ca_bundle_is_trusted_as_aws_ca_bundle_is() {
    let emu = emulator();
    let front = TlsFront::start(&emu.endpoint);
    let dir = tempfile::tempdir().unwrap();
    let want: BTreeSet<String> = emu.instance_ids(PROD).into_iter().collect();
    let ca = front.ca.display();

    // The default profile's.
    let config = format!("[default]\nca_bundle = {ca}\n");
    let out = run(with_aws_config(emu, &front, dir.path(), &config).args([
        "instances",
        "prod-responder",
        "--json",
    ]))
    .ok();
    assert_eq!(instance_ids(&out), want);

    // The profile rolecall runs as (--profile, else AWS_PROFILE), not the default's.
    let config = format!("[default]\nregion = us-east-1\n\n[profile corp]\nca_bundle = {ca}\n");
    let out = run(with_aws_config(emu, &front, dir.path(), &config).args([
        "--profile",
        "corp",
        "instances",
        "prod-responder",
        "--json",
    ]))
    .ok();
    assert_eq!(instance_ids(&out), want);
    let out = run(with_aws_config(emu, &front, dir.path(), &config)
        .env("AWS_PROFILE", "corp")
        .args(["instances", "prod-responder", "--json"]))
    .ok();
    assert_eq!(instance_ids(&out), want);
    // As the default profile, corp's bundle is not used.
    let out = run(with_aws_config(emu, &front, dir.path(), &config).args([
        "instances",
        "prod-responder",
        "--json",
    ]))
    .fails();
    says_certificate_not_trusted(&out);

    // AWS_CA_BUNDLE wins over the profile's, as in the AWS CLI: the profile's is not even read.
    let config = "[default]\nca_bundle = /nonexistent/profile-ca.pem\n";
    let out = run(with_aws_config(emu, &front, dir.path(), config)
        .env("AWS_CA_BUNDLE", &front.ca)
        .args(["instances", "prod-responder", "--json"]))
    .ok();
    assert_eq!(instance_ids(&out), want);
}

#[test]
fn a_bundle_that_cannot_be_used_is_refused_before_any_call() {
    let emu = emulator();
    // Plain HTTP through a proxy that counts: nothing may reach it.
    let proxy = FaultProxy::start(&emu.endpoint);
    let dir = tempfile::tempdir().unwrap();
    let rolecall = || {
        let mut cmd = emu.rolecall();
        cmd.env("AWS_ENDPOINT_URL", &proxy.endpoint);
        cmd
    };
    let missing = dir.path().join("no-such-ca.pem");
    let not_pem = dir.path().join("ca.der");
    std::fs::write(&not_pem, b"\x30\x82\x01\x0a not PEM").unwrap();

    let out = run(rolecall().env("AWS_CA_BUNDLE", &missing).args([
        "instances",
        "prod-responder",
        "--json",
    ]))
    .fails();
    assert!(
        out.stderr.contains(&format!(
            "cannot read the CA bundle {} (AWS_CA_BUNDLE)",
            missing.display()
        )),
        "{}",
        out.stderr
    );

    let out = run(rolecall()
        .env("AWS_CA_BUNDLE", &not_pem)
        .args(["assume", "prod-responder"]))
    .fails();
    assert!(
        out.stderr.contains(&format!(
            "the CA bundle {} (AWS_CA_BUNDLE) holds no certificate",
            not_pem.display()
        )),
        "{}",
        out.stderr
    );

    // A profile's: the key and the profile are named.
    let config = dir.path().join("aws-config");
    std::fs::write(
        &config,
        format!("[profile corp]\nca_bundle = {}\n", missing.display()),
    )
    .unwrap();
    let out = run(rolecall()
        .env("AWS_CONFIG_FILE", &config)
        .env("AWS_PROFILE", "corp")
        .args(["instances", "prod-responder", "--json"]))
    .fails();
    assert!(
        out.stderr.contains(&format!(
            "cannot read the CA bundle {} (ca_bundle of AWS profile \"corp\")",
            missing.display()
        )),
        "{}",
        out.stderr
    );
    assert_eq!(proxy.requests(), 0, "no call was made");
}

/// The console sign-in's federation endpoint behind a TLS front too: the demo config pointed at
/// `https://…/federation` on `front`.
fn console_config(dir: &Path, front: &TlsFront) -> std::path::PathBuf {
    DemoConfig::default()
        .federation(&format!("{}/federation", front.endpoint))
        .write(dir)
}

#[test]
fn the_console_sign_in_trusts_the_bundle_too() {
    let emu = emulator();
    let federation = Federation::start();
    let backend = federation
        .endpoint
        .strip_suffix("/federation")
        .unwrap()
        .to_string();
    let signin = TlsFront::start(&backend);
    let dir = tempfile::tempdir().unwrap();
    let config = console_config(dir.path(), &signin);
    // AWS calls go to the emulator straight (plain HTTP): only the sign-in is over TLS here.
    let console = || {
        let mut cmd = emu.rolecall();
        cmd.env("ROLECALL_CONFIG", &config)
            .args(["console", "prod-responder", "--print"]);
        cmd
    };

    let out = run(console().env("AWS_CA_BUNDLE", &signin.ca)).ok();
    let link = out.stdout.trim();
    assert!(
        link.starts_with(&format!("{}/federation?Action=login&", signin.endpoint)),
        "{link}"
    );
    let token = url::Url::parse(link)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "SigninToken")
        .map(|(_, v)| v.into_owned());
    assert_eq!(token.as_deref(), Some(TOKEN));
    assert_eq!(federation.requests().len(), 1);

    // Without it, the sign-in fails saying why, and nothing reached the endpoint.
    let out = run(&mut console()).fails();
    let err = &out.stderr;
    assert!(err.contains("getSigninToken"), "{err}");
    says_certificate_not_trusted(&out);
    assert!(out.stdout.trim().is_empty(), "no link: {}", out.stdout);
    assert_eq!(federation.requests().len(), 1);
}
