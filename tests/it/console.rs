//! Console access end to end: `rolecall console` assumes the role on the emulator, asks a local
//! stand-in for the federation endpoint for a sign-in token with that session, and prints or
//! opens the sign-in link; `rolecall link` carries a destination.

use std::path::{Path, PathBuf};

use crate::common::federation::{recording_browser, Federation, TOKEN};
use crate::common::proxy::FaultProxy;
use crate::common::{emulator, run, DemoConfig, Emulator, Run};

const INSTANCE: &str = "i-0123456789abcdef0";

fn query(url: &str) -> Vec<(String, String)> {
    url::Url::parse(url)
        .unwrap_or_else(|e| panic!("{url:?} is not a URL: {e}"))
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// The demo config pointed at `federation`.
fn config(dir: &Path, federation: &Federation) -> PathBuf {
    DemoConfig::default()
        .federation(&federation.endpoint)
        .write(dir)
}

fn console(emu: &Emulator, proxy: &FaultProxy, config: &Path, args: &[&str]) -> Run {
    run(emu
        .rolecall()
        .env("AWS_ENDPOINT_URL", &proxy.endpoint)
        .env("ROLECALL_CONFIG", config)
        .arg("console")
        .args(args))
}

#[test]
fn console_print_signs_in_with_the_session_the_emulator_issued() {
    let emu = emulator();
    let proxy = FaultProxy::start(&emu.endpoint);
    let federation = Federation::start();
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path(), &federation);

    let out = console(
        emu,
        &proxy,
        &config,
        &[
            "prod-responder",
            "--print",
            "--region",
            "eu-west-1",
            "--instance",
            INSTANCE,
        ],
    )
    .ok();

    // The federation endpoint got exactly the session AssumeRole returned, and no duration.
    let requests = federation.requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    let q = &requests[0];
    assert_eq!(q[0], ("Action".into(), "getSigninToken".into()));
    assert!(
        !q.iter().any(|(k, _)| k == "SessionDuration"),
        "the endpoint rejects SessionDuration for role sessions: {q:?}"
    );
    let session: serde_json::Value =
        serde_json::from_str(&q.iter().find(|(k, _)| k == "Session").unwrap().1).unwrap();
    let issued = |name: &str| {
        let values = proxy.recorded_values(name);
        assert_eq!(values.len(), 1, "one AssumeRole answer: {values:?}");
        values[0].clone()
    };
    assert_eq!(session["sessionId"], issued("AccessKeyId"));
    assert_eq!(session["sessionKey"], issued("SecretAccessKey"));
    assert_eq!(session["sessionToken"], issued("SessionToken"));

    // The link: login on the same endpoint, landing on the instance in eu-west-1. A configured
    // endpoint serves every region, so the page is on the global console host (without one,
    // both would be eu-west-1's own: see the unit tests in src/aws/console.rs).
    let link = out.stdout.trim();
    assert!(
        link.starts_with(&format!("{}?Action=login&", federation.endpoint)),
        "{link}"
    );
    let q = query(link);
    assert_eq!(q[1].0, "Issuer");
    assert_eq!(
        q[2],
        (
            "Destination".into(),
            format!("https://console.aws.amazon.com/ec2/home?region=eu-west-1#InstanceDetails:instanceId={INSTANCE}")
        )
    );
    assert_eq!(q[3], ("SigninToken".into(), TOKEN.into()));
    // Shown with a warning; the credentials themselves are nowhere in the output.
    assert!(
        out.stderr.contains(
            "signs anyone who opens it in as arn:aws:iam::222222222222:role/ResponderRole"
        ),
        "{}",
        out.stderr
    );
    for secret in [issued("SecretAccessKey"), issued("SessionToken")] {
        assert!(!out.stdout.contains(&secret) && !out.stderr.contains(&secret));
    }
}

#[test]
fn console_opens_the_browser_and_prints_nothing_secret() {
    let emu = emulator();
    let proxy = FaultProxy::start(&emu.endpoint);
    let federation = Federation::start();
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path(), &federation);
    let (browser, opened) = recording_browser(dir.path());

    let out = run(emu
        .rolecall()
        .env("AWS_ENDPOINT_URL", &proxy.endpoint)
        .env("ROLECALL_CONFIG", &config)
        .env("BROWSER", &browser)
        .env("ROLECALL_LOG", "trace")
        .args(["console", "staging-auditor", "--service", "cloudtrail"]))
    .ok();
    assert_eq!(out.stdout, "", "nothing on stdout without --print");
    assert!(!out.stderr.contains(TOKEN), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("opened the console as arn:aws:iam::333333333333:role/audit/Auditor"),
        "{}",
        out.stderr
    );
    // The browser gets the link, after the script had time to run.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let link = loop {
        if let Ok(text) = std::fs::read_to_string(&opened) {
            if !text.is_empty() {
                break text;
            }
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the browser never ran"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let q = query(link.trim());
    assert_eq!(
        q[2].1, "https://console.aws.amazon.com/cloudtrail/home?region=us-east-1",
        "the role's first region"
    );
    assert_eq!(q[3].1, TOKEN);
}

#[test]
fn console_errors_are_explained() {
    let emu = emulator();
    let proxy = FaultProxy::start(&emu.endpoint);
    let federation = Federation::start();
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path(), &federation);

    // The endpoint refuses the session.
    federation.answer(400);
    let out = console(emu, &proxy, &config, &["prod-responder", "--print"]).fails();
    assert!(
        out.stderr.contains(&format!(
            "getSigninToken on {} failed: the federation endpoint answered HTTP 400",
            federation.endpoint
        )),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("hint: "), "{}", out.stderr);
    assert_eq!(out.stdout, "");

    // Bad destinations are caught before any call.
    let before = proxy.requests();
    let out = console(
        emu,
        &proxy,
        &config,
        &["prod-responder", "--instance", "vol-12345678"],
    )
    .fails();
    assert!(
        out.stderr
            .contains("--instance \"vol-12345678\" is not an instance id"),
        "{}",
        out.stderr
    );
    let out = console(
        emu,
        &proxy,
        &config,
        &[
            "prod-responder",
            "--instance",
            INSTANCE,
            "--volume",
            "vol-12345678",
        ],
    );
    assert_eq!(out.code, Some(2), "clap refuses both: {}", out.stderr);
    assert_eq!(proxy.requests(), before, "no AWS call for bad input");

    // No endpoint listening.
    let closed = tempfile::tempdir().unwrap();
    let config = DemoConfig::default()
        .federation("http://127.0.0.1:9/federation")
        .write(closed.path());
    let out = console(emu, &proxy, &config, &["prod-responder", "--print"]).fails();
    assert!(
        out.stderr.contains("cannot reach the federation endpoint"),
        "{}",
        out.stderr
    );
}

#[test]
fn switch_role_link_with_a_destination() {
    let emu = emulator();
    let out = run(emu.rolecall().args([
        "link",
        "staging-auditor",
        "--region",
        "eu-west-1",
        "--volume",
        "vol-0123456789abcdef0",
    ]))
    .ok();
    let q = query(out.stdout.trim());
    assert_eq!(
        q.last().unwrap(),
        &(
            "redirect_uri".to_string(),
            "https://eu-west-1.console.aws.amazon.com/ec2/home?region=eu-west-1#VolumeDetails:volumeId=vol-0123456789abcdef0".to_string()
        )
    );
    // The Switch Role page stays on the global sign-in host; the page it leads to is the
    // region's console.
    assert!(
        out.stdout
            .starts_with("https://signin.aws.amazon.com/switchrole?"),
        "{}",
        out.stdout
    );
    // Without a destination the link is the plain one.
    let out = run(emu.rolecall().args(["link", "staging-auditor"])).ok();
    assert!(!out.stdout.contains("redirect_uri"), "{}", out.stdout);
}

/// A plain-http federation endpoint (here the local stand-in) carries the credentials in its
/// query in clear: with `HTTP_PROXY` set (and nothing in `NO_PROXY`), the AWS calls go through
/// the proxy as asked, but the sign-in goes straight to the endpoint, never to the proxy.
#[test]
fn plain_http_sign_in_goes_direct_never_through_a_proxy() {
    let emu = emulator();
    let federation = Federation::start();
    // A forward proxy in front of the emulator: the AWS calls (to a host that does not exist)
    // can only succeed through it.
    let proxy = FaultProxy::start(&emu.endpoint);
    let dir = tempfile::tempdir().unwrap();
    let config = DemoConfig::default()
        .federation(&federation.endpoint.replace("127.0.0.1", "localhost"))
        .write(dir.path());
    let out = run(emu
        .rolecall()
        .env("AWS_ENDPOINT_URL", "http://aws-endpoint.invalid:4566")
        .env("ROLECALL_CONFIG", &config)
        .env("HTTP_PROXY", &proxy.endpoint)
        .env("http_proxy", &proxy.endpoint)
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .args(["console", "prod-responder", "--print"]))
    .ok();
    assert!(
        out.stdout.contains("SigninToken=fixture-signin-token"),
        "{}",
        out.stdout
    );
    // The stand-in was asked directly, once; the proxy saw the AWS calls and no sign-in.
    assert_eq!(federation.requests().len(), 1);
    let lines = proxy.request_lines();
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("POST http://aws-endpoint.invalid:4566/")),
        "the AWS calls went through the proxy: {lines:?}"
    );
    for l in &lines {
        assert!(
            !l.contains("federation") && !l.contains("getSigninToken") && !l.contains("Session"),
            "a sign-in request reached the proxy: {l}"
        );
    }
}
