//! Test harness: a real moto server on a free loopback port, seeded with a multi-account world by
//! tests/emulator/moto_server.py, and helpers to run the real `rolecall` binary against it.
//!
//! One server per test binary, started on first use. The server exits by itself when the test
//! process goes away. `ROLECALL_TEST_PYTHON` names the Python that has moto[server] (scripts/test
//! sets it to the project's venv); the default is `python3`.
#![allow(dead_code)]

pub mod federation;
pub mod lab;
pub mod proxy;
pub mod tls;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Mutex, OnceLock};

use serde_json::Value;

pub struct Emulator {
    pub endpoint: String,
    pub world: Value,
    home: tempfile::TempDir,
    _child: Mutex<Child>,
}

static PLAIN: OnceLock<Emulator> = OnceLock::new();
static ENFORCED: OnceLock<Emulator> = OnceLock::new();

/// The shared emulator, IAM checks off.
pub fn emulator() -> &'static Emulator {
    PLAIN.get_or_init(|| Emulator::start(false))
}

/// A second emulator that enforces signatures and IAM policies once seeded.
pub fn enforced_emulator() -> &'static Emulator {
    ENFORCED.get_or_init(|| Emulator::start(true))
}

/// An IAM-enforcing emulator of the caller's own, that no other test touches: for a test that
/// compares the whole emulator's state before and after (it stops with the test process).
pub fn own_enforced_emulator() -> Emulator {
    Emulator::start(true)
}

pub fn repo_path(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

pub fn demo_config() -> PathBuf {
    repo_path("assets/demo/config.toml")
}

/// The demo config (`assets/demo/config.toml`) changed for one test: the one way tests write a
/// config of their own.
pub struct DemoConfig {
    text: String,
}

impl Default for DemoConfig {
    fn default() -> Self {
        DemoConfig {
            text: std::fs::read_to_string(demo_config()).expect("the demo config"),
        }
    }
}

impl DemoConfig {
    /// Sets `[defaults]` keys (`key = value` lines), replacing the demo's own values of them.
    pub fn defaults(mut self, lines: &str) -> Self {
        let keys: Vec<&str> = lines
            .lines()
            .filter_map(|l| l.split_once('=').map(|(k, _)| k.trim()))
            .collect();
        let mut out = String::new();
        let mut in_defaults = false;
        for line in self.text.lines() {
            if line.starts_with('[') {
                in_defaults = line.trim() == "[defaults]";
                out.push_str(line);
                out.push('\n');
                if in_defaults {
                    out.push_str(lines.trim_end());
                    out.push('\n');
                }
                continue;
            }
            let key = line.split_once('=').map(|(k, _)| k.trim());
            if in_defaults && key.is_some_and(|k| keys.contains(&k)) {
                continue;
            }
            out.push_str(line);
            out.push('\n');
        }
        self.text = out;
        self
    }

    /// Console sign-in through this federation endpoint.
    pub fn federation(self, endpoint: &str) -> Self {
        self.append(&format!(
            "[console]\nfederation_endpoint = \"{endpoint}\"\n"
        ))
    }

    /// Adds TOML at the end (a table of its own).
    pub fn append(mut self, toml: &str) -> Self {
        self.text.push('\n');
        self.text.push_str(toml);
        self
    }

    /// Writes it as `dir/config.toml` (the caller keeps `dir`).
    pub fn write(&self, dir: &Path) -> PathBuf {
        let path = dir.join("config.toml");
        std::fs::write(&path, &self.text).expect("writing the test config");
        path
    }
}

/// The demo config with `[defaults]` keys set, written into `dir`.
pub fn demo_config_with(dir: &Path, defaults: &str) -> PathBuf {
    DemoConfig::default().defaults(defaults).write(dir)
}

impl Emulator {
    fn start(enforce: bool) -> Emulator {
        let python = std::env::var("ROLECALL_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
        let script = repo_path("tests/emulator/moto_server.py");
        let mut cmd = Command::new(&python);
        cmd.arg(&script)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        if enforce {
            cmd.arg("--enforce-iam");
        }
        let mut child = cmd.spawn().unwrap_or_else(|e| {
            panic!(
                "cannot run {python} {}: {e}; run scripts/test, which installs the emulator",
                script.display()
            )
        });
        let mut line = String::new();
        let stdout = child.stdout.take().expect("piped stdout");
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("reading the emulator's first line");
        if line.trim().is_empty() {
            let status = child.wait().ok();
            panic!(
                "the moto emulator did not start ({status:?}); is moto[server] installed for {python}? run scripts/test"
            );
        }
        let world: Value = serde_json::from_str(&line).expect("emulator prints JSON");
        let home = tempfile::tempdir().expect("temp HOME");
        // Empty AWS files: nothing of the developer's ~/.aws is read, and the SDK has no
        // missing-file warning to print.
        std::fs::write(home.path().join("aws-config"), "").expect("aws-config");
        std::fs::write(home.path().join("aws-credentials"), "").expect("aws-credentials");
        Emulator {
            endpoint: world["endpoint"].as_str().expect("endpoint").to_string(),
            world,
            home,
            _child: Mutex::new(child),
        }
    }

    /// Everything the emulator holds, every backend and model (moto's `/moto-api/data.json`),
    /// as `backend.Model` → the SHA-256 of its objects (each as canonical JSON, sorted), and how
    /// many there are. `skip` names backends or models to leave out. Left out too: IAM access
    /// keys of role sessions (which AssumeRole makes; users' keys stay), when a key or role was
    /// last used, and models with no objects.
    pub fn state(&self, skip: &[&str]) -> std::collections::BTreeMap<String, (usize, String)> {
        let python = std::env::var("ROLECALL_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
        let script = r#"
import hashlib, json, sys, urllib.request
data = json.load(urllib.request.urlopen(sys.argv[1] + "/moto-api/data.json"))
skip = set(sys.argv[2:])
out = {}
for backend, models in data.items():
    if backend in skip:
        continue
    for model, objects in models.items():
        name = backend + "." + model
        if name in skip:
            continue
        if name == "iam.AccessKey":
            objects = [o for o in objects if not o.get("role_arn")]
        # When a key or role was last used changes with every use, as in AWS: not a change made.
        objects = [
            {k: v for k, v in o.items() if "last_used" not in k} if isinstance(o, dict) else o
            for o in objects
        ]
        if not objects:
            # moto lists a service's (empty) models once something asked it anything.
            continue
        rows = sorted(json.dumps(o, sort_keys=True, default=str) for o in objects)
        out[name] = [len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest()]
print(json.dumps(out))
"#;
        let out = Command::new(python)
            .arg("-c")
            .arg(script)
            .arg(&self.endpoint)
            .args(skip)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }

    /// The requests the emulator saw (its recorder, `GET /_rolecall/requests`: action, access
    /// key id, and for STS the RoleArn, RoleSessionName, SourceIdentity, SerialNumber sent),
    /// every test's: filter on what is this test's own.
    pub fn requests(&self) -> Vec<Value> {
        let python = std::env::var("ROLECALL_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
        let out = Command::new(python)
            .arg("-c")
            .arg("import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1] + '/_rolecall/requests').read().decode())")
            .arg(&self.endpoint)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }

    pub fn primary_key(&self) -> (&str, &str) {
        (
            self.world["primary"]["access_key_id"].as_str().unwrap(),
            self.world["primary"]["secret_access_key"].as_str().unwrap(),
        )
    }

    pub fn role_arn(&self, name: &str) -> String {
        self.world["roles"][name].as_str().unwrap().to_string()
    }

    /// Instance ids seeded into `account`.
    pub fn instance_ids(&self, account: &str) -> Vec<String> {
        self.world["instances"][account]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap().to_string())
            .collect()
    }

    /// Credentials of the primary account's IAM role (as on an instance with an instance role):
    /// the responder user assumes it with rolecall itself. As environment variables.
    pub fn primary_role_env(&self) -> Vec<(&'static str, String)> {
        let doc = run(self.rolecall().args([
            "assume",
            self.world["primary_role"].as_str().unwrap(),
            "--format",
            "credential-process",
        ]))
        .ok()
        .json();
        let get = |k: &str| doc[k].as_str().unwrap().to_string();
        vec![
            ("AWS_ACCESS_KEY_ID", get("AccessKeyId")),
            ("AWS_SECRET_ACCESS_KEY", get("SecretAccessKey")),
            ("AWS_SESSION_TOKEN", get("SessionToken")),
        ]
    }

    /// A clean environment: nothing of the developer's AWS setup leaks into a test.
    pub fn bare_command(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_rolecall"));
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", self.home.path())
            .env("XDG_CONFIG_HOME", self.home.path().join(".config"))
            .env("AWS_CONFIG_FILE", self.home.path().join("aws-config"))
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                self.home.path().join("aws-credentials"),
            )
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_ENDPOINT_URL", &self.endpoint)
            .env("AWS_REGION", "us-east-1")
            .stdin(Stdio::null());
        cmd
    }

    /// `rolecall` as the primary identity (the responder's IAM user), with the demo config.
    pub fn rolecall(&self) -> Command {
        let mut cmd = self.bare_command();
        let (key, secret) = self.primary_key();
        cmd.env("AWS_ACCESS_KEY_ID", key)
            .env("AWS_SECRET_ACCESS_KEY", secret)
            .env("ROLECALL_CONFIG", demo_config());
        cmd
    }
}

pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }
    #[track_caller]
    pub fn ok(self) -> Self {
        assert_eq!(
            self.code,
            Some(0),
            "expected success\nstdout:\n{}\nstderr:\n{}",
            self.stdout,
            self.stderr
        );
        self
    }
    #[track_caller]
    pub fn fails(self) -> Self {
        assert_eq!(
            self.code,
            Some(1),
            "expected exit 1\nstdout:\n{}\nstderr:\n{}",
            self.stdout,
            self.stderr
        );
        self
    }
}

pub fn run(cmd: &mut Command) -> Run {
    let Output {
        status,
        stdout,
        stderr,
    } = cmd.output().expect("running rolecall");
    Run {
        code: status.code(),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

/// Every file under `dir`, with its content as text (lossy): to search for leaked secrets.
pub fn files_under(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(bytes) = std::fs::read(&path) {
                out.push((path, String::from_utf8_lossy(&bytes).into_owned()));
            }
        }
    }
    out
}
