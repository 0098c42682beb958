//! The fan-out on an endpoint that behaves like AWS over a WAN (tests/emulator/wan.py: every
//! answer slow, a connection's first answer slower, HTTP keep-alive, STS throttling): what
//! rolecall does with connections and with throttling. No timed assertions: figures go in the
//! benchmark.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

use crate::common::{repo_path, run, Emulator};
use serde_json::Value;

struct Wan {
    endpoint: String,
    world: Value,
    dir: tempfile::TempDir,
    child: Child,
}

impl Drop for Wan {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Wan {
    /// `world`: ACCOUNTS:REGIONS:INSTANCES; `args`: more of wan.py's flags; `defaults`: more
    /// lines of the config's `[defaults]`.
    fn start(world: &str, args: &[&str], defaults: &str) -> Wan {
        let python =
            std::env::var("ROLECALL_TEST_PYTHON").unwrap_or_else(|_| "python3".to_string());
        let mut child = Command::new(python)
            .arg(repo_path("tests/emulator/wan.py"))
            .args(["--world", world, "--latency", "0.05", "--handshake", "0.05"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .expect("starting tests/emulator/wan.py");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let world: Value = serde_json::from_str(&line).expect("wan.py prints JSON");
        let dir = tempfile::tempdir().unwrap();
        let mut config = format!("[defaults]\nregions = {}\n{defaults}\n", world["regions"]);
        for role in world["roles"].as_array().unwrap() {
            config.push_str(&format!("\n[[role]]\narn = {role}\n"));
        }
        std::fs::write(dir.path().join("config.toml"), config).unwrap();
        Wan {
            endpoint: world["endpoint"].as_str().unwrap().to_string(),
            world,
            dir,
            child,
        }
    }

    fn stats(&self) -> Value {
        let addr = self.endpoint.trim_start_matches("http://");
        let mut s = TcpStream::connect(addr).unwrap();
        write!(
            s,
            "GET /_stats HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut text = String::new();
        s.read_to_string(&mut text).unwrap();
        let body = text.split("\r\n\r\n").nth(1).unwrap_or_default();
        serde_json::from_str(body).unwrap()
    }

    /// rolecall as the endpoint's primary user, with a config of every role.
    fn rolecall(&self, emu: &Emulator) -> Command {
        let mut cmd = emu.bare_command();
        cmd.env("AWS_ENDPOINT_URL", &self.endpoint)
            .env(
                "AWS_ACCESS_KEY_ID",
                self.world["primary"]["access_key_id"].as_str().unwrap(),
            )
            .env(
                "AWS_SECRET_ACCESS_KEY",
                self.world["primary"]["secret_access_key"].as_str().unwrap(),
            )
            .env("ROLECALL_CONFIG", self.dir.path().join("config.toml"));
        cmd
    }
}

#[test]
fn a_fan_out_opens_no_more_connections_than_it_has_calls_in_flight() {
    let emu = crate::common::emulator();
    // At the default settings all 50 accounts are in flight at once; with `concurrency = 10`,
    // 10 at a time, so connections must serve call after call.
    for (defaults, reused) in [("", false), ("concurrency = 10", true)] {
        let wan = Wan::start("50:3:2", &[], defaults);
        let out = run(wan.rolecall(emu).args(["instances", "--all", "--json"])).ok();
        assert_eq!(out.json().as_array().unwrap().len(), 50 * 3 * 2);
        let stats = wan.stats();
        let connections = stats["connections"].as_u64().unwrap();
        let requests = stats["requests"].as_u64().unwrap();
        let open = stats["open_max"].as_u64().unwrap();
        assert!(requests >= 200, "{stats}");
        // One pool for every account and region: a connection, once open, serves call after
        // call and is never thrown away; new ones are opened only while all are busy, so the
        // total is the most open at once. (Against a release build that is also the most calls
        // in flight at the endpoint; a debug build holds a connection a while after its answer,
        // so the endpoint's count of calls in flight is no bound for it.)
        assert!(
            connections <= open + 2,
            "{defaults:?}: {connections} connections opened, at most {open} open at once: {stats}"
        );
        if reused {
            assert!(
                connections * 3 <= requests,
                "{connections} connections for {requests} calls"
            );
        }
    }
}

#[test]
fn throttling_costs_time_never_an_account() {
    let emu = crate::common::emulator();
    // STS answers Throttling to every second AssumeRole, whatever the rate.
    let wan = Wan::start("40:2:1", &["--throttle-every", "2"], "");
    let out = run(wan.rolecall(emu).args(["instances", "--all", "--json"])).ok();
    assert_eq!(
        out.json().as_array().unwrap().len(),
        40 * 2,
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("in 40 of 40 accounts"),
        "{}",
        out.stderr
    );
    let stats = wan.stats();
    assert!(stats["throttled"].as_u64().unwrap() >= 20, "{stats}");
}

#[test]
fn at_every_region_the_calls_in_flight_stay_within_the_bound_and_every_region_is_listed() {
    let emu = crate::common::emulator();
    // 80 accounts x 17 regions: 1 360 listings, more than the calls the fan-out lets be in
    // flight (MAX_CALLS, 1 024) while all 80 accounts are in flight at once.
    let wan = Wan::start("80:17:1", &[], "");
    let out = run(wan.rolecall(emu).args(["instances", "--all", "--json"])).ok();
    let rows = out.json();
    assert_eq!(rows.as_array().unwrap().len(), 80 * 17, "{}", out.stderr);
    let stats = wan.stats();
    let in_flight = stats["in_flight_max"].as_u64().unwrap();
    assert!(
        in_flight <= rolecall::inventory::MAX_CALLS as u64 + 1,
        "{in_flight} calls in flight at once: {stats}"
    );
    // Every region of every account was asked once (and each account's role assumed once).
    assert_eq!(
        stats["actions"]["DescribeInstances"].as_u64(),
        Some(80 * 17),
        "{stats}"
    );
}
