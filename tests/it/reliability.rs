//! Reliability against a real emulator behind a fault-injecting proxy: hung endpoints, throttling,
//! expired tokens, and credentials that must never reach a log, an error or a file.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::common::proxy::{aws_error, Fault, FaultProxy};
use crate::common::{demo_config_with, emulator, files_under, run, Emulator, Run};

/// `rolecall ARGS` as the primary identity, through `proxy`, with `config`.
fn through(emu: &Emulator, proxy: &FaultProxy, config: &Path, args: &[&str]) -> Run {
    run(emu
        .rolecall()
        .env("AWS_ENDPOINT_URL", &proxy.endpoint)
        .env("ROLECALL_CONFIG", config)
        .args(args))
}

#[test]
fn a_hung_endpoint_ends_in_a_clear_error_within_the_timeout() {
    let emu = emulator();
    let proxy = FaultProxy::start(&emu.endpoint);
    proxy.set(Fault::Hang);
    let dir = tempfile::tempdir().unwrap();
    let config = demo_config_with(dir.path(), "timeout_seconds = 2");
    let started = Instant::now();
    let out = through(emu, &proxy, &config, &["instances", "prod-responder"]).fails();
    let took = started.elapsed();
    // The README promises the error within the 2 s timeout: the timeout, plus the time a
    // process takes to start and print.
    assert!(
        took < Duration::from_millis(2_600),
        "a 2 s timeout took {took:?} to give up"
    );
    assert!(
        out.stderr.contains(
            "AssumeRole on arn:aws:iam::222222222222:role/ResponderRole failed: no answer in time"
        ),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("hint: "), "{}", out.stderr);
    assert!(out.stderr.contains("timeout_seconds"), "{}", out.stderr);

    // The endpoint comes back: the same command works, no state to clear.
    proxy.set(Fault::Pass);
    let out = through(
        emu,
        &proxy,
        &config,
        &["instances", "prod-responder", "--json"],
    )
    .ok();
    assert!(out.stdout.contains("web-1"), "{}", out.stdout);
}

#[test]
fn throttling_is_retried_with_backoff_up_to_max_attempts() {
    let emu = emulator();
    let proxy = FaultProxy::start(&emu.endpoint);
    let throttled = Fault::Reply {
        status: 400,
        body: aws_error("Throttling", "Rate exceeded"),
    };
    let dir = tempfile::tempdir().unwrap();

    // Two throttled answers, three attempts (the default): the third gets through.
    let config = demo_config_with(dir.path(), "");
    proxy.fail_next(2, throttled.clone());
    let out = through(
        emu,
        &proxy,
        &config,
        &["assume", "prod-responder", "--format", "credential-process"],
    )
    .ok();
    assert!(out.stdout.contains("SecretAccessKey"), "{}", out.stdout);
    assert_eq!(
        proxy.requests(),
        3,
        "two throttled attempts and one success"
    );

    // One attempt allowed: the throttling is reported, with what to do.
    let config = demo_config_with(dir.path(), "max_attempts = 1");
    proxy.fail_next(1, throttled);
    let out = through(emu, &proxy, &config, &["instances", "prod-responder"]).fails();
    assert!(
        out.stderr
            .contains("AssumeRole on arn:aws:iam::222222222222:role/ResponderRole failed: Throttling: Rate exceeded"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("throttling"), "{}", out.stderr);
    assert_eq!(proxy.requests(), 4);
}

#[test]
fn an_expired_token_is_explained_with_the_role() {
    let emu = emulator();
    let proxy = FaultProxy::start(&emu.endpoint);
    let dir = tempfile::tempdir().unwrap();
    let config = demo_config_with(dir.path(), "");
    // Every answer says so, as it would until the credentials are renewed.
    proxy.set(Fault::Reply {
        status: 400,
        body: aws_error(
            "ExpiredToken",
            "The security token included in the request is expired",
        ),
    });
    let out = through(emu, &proxy, &config, &["volumes", "staging-auditor"]).fails();
    assert!(
        out.stderr.contains(
            "AssumeRole on arn:aws:iam::333333333333:role/audit/Auditor failed: ExpiredToken"
        ),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("hint: the primary credentials have expired"),
        "{}",
        out.stderr
    );
}

#[test]
fn secrets_never_reach_logs_errors_or_disk_even_at_trace() {
    let emu = emulator();
    let proxy = FaultProxy::start(&emu.endpoint);
    let home = tempfile::tempdir().unwrap();
    let config = demo_config_with(home.path(), "");
    let trace = |args: &[&str]| {
        run(emu
            .rolecall()
            .env("HOME", home.path())
            .env("XDG_CONFIG_HOME", home.path().join(".config"))
            .env("XDG_DATA_HOME", home.path().join(".local/share"))
            .env("AWS_ENDPOINT_URL", &proxy.endpoint)
            .env("ROLECALL_CONFIG", &config)
            .env("ROLECALL_LOG", "trace")
            .args(args))
    };
    let mut quiet = vec![
        trace(&["roles"]).ok(),
        trace(&["instances", "prod-responder", "--json"]).ok(),
        trace(&["volumes", "staging-auditor"]).ok(),
        trace(&["exec", "prod-responder", "--", "true"]).ok(),
        // Failures print errors: none may carry a credential either.
        trace(&["instances", "prod-responder", "--region", "ap-nowhere-9"]),
        trace(&["instances", "prod-breakglass"]).fails(),
    ];
    // Asked for: credentials on stdout, and only there.
    let asked = trace(&["assume", "staging-auditor", "--format", "env"]).ok();
    quiet.push(Run {
        code: asked.code,
        stdout: String::new(),
        stderr: asked.stderr.clone(),
    });

    let mut secrets = proxy.recorded_values("SecretAccessKey");
    secrets.extend(proxy.recorded_values("SessionToken"));
    assert!(
        secrets.len() >= 8,
        "the proxy saw the issued credentials: {secrets:?}"
    );
    assert!(
        secrets.iter().any(|s| asked.stdout.contains(s.as_str())),
        "assume --format env prints the session it got"
    );
    secrets.push(emu.primary_key().1.to_string());
    let logged: usize = quiet.iter().map(|r| r.stderr.lines().count()).sum();
    assert!(logged > 50, "trace logging was on ({logged} lines)");
    for secret in &secrets {
        for (i, r) in quiet.iter().enumerate() {
            assert!(
                !r.stderr.contains(secret.as_str()),
                "run {i}: a secret in stderr"
            );
            assert!(
                !r.stdout.contains(secret.as_str()),
                "run {i}: a secret in stdout"
            );
        }
        for (path, text) in files_under(home.path()) {
            assert!(
                !text.contains(secret.as_str()),
                "a secret was written to {}",
                path.display()
            );
        }
    }
}

#[test]
fn aws_calls_go_through_http_proxy_and_no_proxy_is_honoured() {
    let emu = emulator();
    // The proxy forwards whatever it gets to the emulator: the endpoint rolecall is given does
    // not exist, so the listing can only succeed through the proxy.
    let proxy = FaultProxy::start(&emu.endpoint);
    let direct = run(emu
        .rolecall()
        .args(["instances", "prod-responder", "--json"]))
    .ok();
    let n = direct.json().as_array().unwrap().len();
    assert!(n > 0);
    let out = run(emu
        .rolecall()
        .env("AWS_ENDPOINT_URL", "http://aws-endpoint.invalid:4566")
        .env("HTTP_PROXY", &proxy.endpoint)
        .args(["instances", "prod-responder", "--json"]))
    .ok();
    assert_eq!(out.json().as_array().unwrap().len(), n, "{}", out.stderr);
    let lines = proxy.request_lines();
    assert!(lines.len() >= 3, "identity, assume, listings: {lines:?}");
    for line in &lines {
        assert!(
            line.starts_with("POST http://aws-endpoint.invalid:4566/"),
            "absolute form, as a forward proxy gets it: {line}"
        );
    }
    // The lower-case name works too; NO_PROXY sends the emulator's own host around the proxy.
    let before = proxy.request_lines().len();
    let out = run(emu
        .rolecall()
        .env("http_proxy", &proxy.endpoint)
        .env("NO_PROXY", "127.0.0.1")
        .args(["instances", "prod-responder", "--json"]))
    .ok();
    assert_eq!(out.json().as_array().unwrap().len(), n, "{}", out.stderr);
    assert_eq!(
        proxy.request_lines().len(),
        before,
        "nothing went through the proxy"
    );
    // A proxy that does not answer is named like any unreachable endpoint.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_port = dead.local_addr().unwrap().port();
    drop(dead);
    let out = run(emu
        .rolecall()
        .env("HTTP_PROXY", format!("http://127.0.0.1:{dead_port}"))
        .args(["instances", "prod-responder"]))
    .fails();
    assert!(out.stderr.contains("proxy"), "{}", out.stderr);
}

/// A filter for a module under a capped crate is more specific than the cap: it must still not
/// get the SDK's traces into the log. With the SDK's own switch for sensitive bodies on
/// (`LOG_SENSITIVE_BODIES`), the orchestrator's trace prints AssumeRole's answer, the issued
/// secret key and session token in it; nor may request bodies (`ExternalId`, the MFA
/// `TokenCode`) appear.
#[test]
fn a_more_specific_log_filter_does_not_lift_the_cap_on_the_sdk() {
    let emu = emulator();
    let home = tempfile::tempdir().unwrap();
    let config = demo_config_with(home.path(), "");
    let code = "918273";
    let external_id = "rolecall-demo-4242";
    for filter in [
        "rolecall=debug,aws_smithy_runtime::client::orchestrator=trace",
        "rolecall=debug,aws_smithy_runtime::client=trace,aws_smithy_http_client::hyper_legacy=trace",
        "trace,aws_sdk_sts::operation=trace,aws_sigv4::http_request=trace",
    ] {
        let with_filter = |args: &[&str]| {
            run(emu
                .rolecall()
                .env("HOME", home.path())
                .env("XDG_DATA_HOME", home.path().join(".local/share"))
                .env("ROLECALL_CONFIG", &config)
                .env("ROLECALL_LOG", filter)
                .env("LOG_SENSITIVE_BODIES", "true")
                .args(args))
        };
        let runs = [
            with_filter(&["assume", "staging-auditor", "--format", "env"]).ok(),
            with_filter(&[
                "assume",
                "prod-breakglass",
                "--token-code",
                code,
                "--format",
                "env",
            ])
            .ok(),
        ];
        for r in &runs {
            // What AssumeRole issued, as `assume --format env` printed it.
            let issued: Vec<&str> = r
                .stdout
                .lines()
                .filter(|l| l.contains("AWS_SECRET_ACCESS_KEY=") || l.contains("AWS_SESSION_TOKEN="))
                .filter_map(|l| l.split_once('=').map(|(_, v)| v.trim_matches(['\'', '"'])))
                .collect();
            assert_eq!(issued.len(), 2, "{}", r.stdout);
            for secret in issued {
                assert!(secret.len() > 16, "{secret}");
                assert!(
                    !r.stderr.contains(secret),
                    "{filter}: an issued credential reached the log"
                );
            }
            // The filter was read: rolecall's own debug lines are there.
            assert!(r.stderr.contains("open file limit"), "{filter}: {}", r.stderr);
            assert!(
                !r.stderr.contains(external_id),
                "{filter}: the external ID reached the log"
            );
            assert!(
                !r.stderr.contains(code),
                "{filter}: the MFA code reached the log"
            );
            assert!(
                !r.stderr.contains("TokenCode") && !r.stderr.contains("ExternalId"),
                "{filter}: a request body reached the log"
            );
        }
    }
}
