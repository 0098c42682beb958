//! A TLS front with a private CA before a plain-HTTP endpoint (tests/emulator/tls_front.py):
//! what a TLS-inspecting proxy looks like to rolecall. The CA is made fresh for each front and
//! trusted by nothing until a test names it (`AWS_CA_BUNDLE`, a profile's `ca_bundle`).
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use serde_json::Value;

use super::repo_path;

pub struct TlsFront {
    /// `https://127.0.0.1:PORT`
    pub endpoint: String,
    /// The private CA's certificate (PEM).
    pub ca: PathBuf,
    child: Child,
    _dir: tempfile::TempDir,
}

impl TlsFront {
    /// Starts a front that passes every request on to `backend` (`http://host:port`).
    pub fn start(backend: &str) -> TlsFront {
        let python = std::env::var("ROLECALL_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
        let dir = tempfile::tempdir().expect("a directory for the CA");
        let mut child = Command::new(&python)
            .arg(repo_path("tests/emulator/tls_front.py"))
            .arg("--backend")
            .arg(backend)
            .arg("--dir")
            .arg(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {python} tests/emulator/tls_front.py: {e}"));
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("piped stdout"))
            .read_line(&mut line)
            .expect("reading the TLS front's first line");
        let info: Value = serde_json::from_str(&line).unwrap_or_else(|e| {
            panic!("the TLS front did not start ({e}): {line:?}; is `cryptography` installed for {python}?")
        });
        TlsFront {
            endpoint: info["endpoint"].as_str().expect("endpoint").to_string(),
            ca: PathBuf::from(info["ca"].as_str().expect("ca")),
            child,
            _dir: dir,
        }
    }

    /// `{"connections", "requests", "refused"}`: connections served, requests passed on,
    /// handshakes the client broke off (it did not trust the certificate).
    pub fn stats(&self) -> Value {
        let python = std::env::var("ROLECALL_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
        let script = "import json, ssl, sys, urllib.request\n\
                      ctx = ssl.create_default_context(cafile=sys.argv[2])\n\
                      print(urllib.request.urlopen(sys.argv[1] + '/_tls_front/stats', context=ctx).read().decode())";
        let out = Command::new(python)
            .args(["-c", script, &self.endpoint])
            .arg(&self.ca)
            .output()
            .expect("asking the TLS front for its stats");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stats: Value = serde_json::from_slice(&out.stdout).expect("stats are JSON");
        // Less this request itself.
        serde_json::json!({
            "connections": stats["connections"].as_u64().unwrap() - 1,
            "requests": stats["requests"].as_u64().unwrap() - 1,
            "refused": stats["refused"],
        })
    }
}

impl Drop for TlsFront {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
