//! The real binary in tmux against the emulator, as a person uses it: keys in, screen out.

mod common;

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{emulator, enforced_emulator, Emulator};

/// A tmux server of our own (own socket, no user config) running one rolecall.
struct Tmux {
    socket: String,
    dir: tempfile::TempDir,
}

impl Tmux {
    fn start(name: &str, emu: &Emulator) -> Tmux {
        Tmux::start_at(name, emu, &emu.endpoint, &common::demo_config())
    }

    /// Like `start`, with AWS calls going to `endpoint` and another config file.
    fn start_at(name: &str, emu: &Emulator, endpoint: &str, config: &std::path::Path) -> Tmux {
        assert!(
            Command::new("tmux")
                .arg("-V")
                .output()
                .is_ok_and(|o| o.status.success()),
            "tmux is needed for these tests: scripts/test installs it"
        );
        let dir = tempfile::tempdir().unwrap();
        let socket = format!("rolecall-test-{}-{name}", std::process::id());
        let (key, secret) = emu.primary_key();
        let script = dir.path().join("run.sh");
        let home = dir.path().join("home");
        std::fs::create_dir_all(&home).unwrap();
        std::fs::write(home.join("aws-config"), "").unwrap();
        std::fs::write(
            &script,
            format!(
                "#!/bin/sh\n\
                 export HOME='{home}' AWS_CONFIG_FILE='{home}/aws-config' AWS_SHARED_CREDENTIALS_FILE='{home}/aws-config'\n\
                 export AWS_EC2_METADATA_DISABLED=true AWS_REGION=us-east-1\n\
                 export AWS_ENDPOINT_URL='{endpoint}' AWS_ACCESS_KEY_ID='{key}' AWS_SECRET_ACCESS_KEY='{secret}'\n\
                 export ROLECALL_CONFIG='{config}' ROLECALL_LOG=debug\n\
                 unset AWS_PROFILE AWS_SESSION_TOKEN NO_COLOR\n\
                 '{bin}'\n\
                 echo \"rolecall exited $?\"\n\
                 exec sleep 600\n",
                home = home.display(),
                endpoint = endpoint,
                config = config.display(),
                bin = env!("CARGO_BIN_EXE_rolecall"),
            ),
        )
        .unwrap();
        let conf = dir.path().join("tmux.conf");
        // set-clipboard on: tmux keeps what an application copies with OSC 52 as a buffer.
        std::fs::write(&conf, "set -g set-clipboard on\n").unwrap();
        let t = Tmux { socket, dir };
        t.tmux(&[
            "-f",
            conf.to_str().unwrap(),
            "new-session",
            "-d",
            "-s",
            "rc",
            "-x",
            "100",
            "-y",
            "30",
            "sh",
            script.to_str().unwrap(),
        ]);
        t
    }

    fn tmux(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("running tmux");
        assert!(
            out.status.success(),
            "tmux {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn screen(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-t", "rc"])
    }

    /// Waits until the screen shows every one of `texts`.
    #[track_caller]
    fn wait_for(&self, texts: &[&str]) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let screen = self.screen();
            if texts.iter().all(|t| screen.contains(t)) {
                return screen;
            }
            if Instant::now() > deadline {
                panic!("waited 20 s for {texts:?}; the screen shows:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Types text literally, one key at a time (Esc followed by a letter would read as Alt).
    fn keys(&self, text: &str) {
        for c in text.chars() {
            self.tmux(&["send-keys", "-t", "rc", "-l", &c.to_string()]);
            std::thread::sleep(Duration::from_millis(30));
        }
    }

    fn key(&self, name: &str) {
        self.tmux(&["send-keys", "-t", "rc", name]);
        std::thread::sleep(Duration::from_millis(80));
    }

    fn alternate_screen(&self) -> bool {
        self.tmux(&["display", "-p", "-t", "rc", "#{alternate_on}"])
            .trim()
            == "1"
    }

    fn log(&self) -> PathBuf {
        self.dir
            .path()
            .join("home/.local/share/rolecall/rolecall.log")
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .arg("kill-server")
            .output();
    }
}

#[test]
fn filter_assume_browse_copy_and_quit() {
    let emu = emulator();
    let t = Tmux::start("flow", emu);
    t.wait_for(&[
        "arn:aws:iam::111111111111:user/responder",
        "staging-auditor",
        "not assumed",
    ]);
    assert!(t.alternate_screen());

    // Three keys from launch to the instances of a secondary account: / stag ⏎ ⏎.
    t.keys("/stag");
    t.wait_for(&["roles /stag"]);
    t.key("Enter");
    t.key("Enter");
    let screen = t.wait_for(&[
        "instances of staging-auditor @ 333333333333 (staging) [12]",
        "stg-node-12",
    ]);
    assert!(
        !screen.contains("web-1"),
        "prod's instances must not show:\n{screen}"
    );
    for id in emu.instance_ids("333333333333").iter().take(5) {
        assert!(screen.contains(id.as_str()), "{id} missing:\n{screen}");
    }

    t.keys("v");
    let screen = t.wait_for(&["volumes of staging-auditor", "vol-"]);
    assert!(screen.contains("in-use"), "{screen}");

    t.keys("y");
    t.wait_for(&["copied https://signin.aws.amazon.com/switchrole"]);
    let buffer = t.tmux(&["show-buffer"]);
    assert_eq!(
        buffer,
        "https://signin.aws.amazon.com/switchrole?roleName=audit%2FAuditor&account=333333333333&displayName=staging-auditor&color=B7CA9D"
    );

    t.keys("Y");
    t.wait_for(&["copied vol-"]);
    assert!(t.tmux(&["show-buffer"]).starts_with("vol-"));

    t.keys("s");
    t.wait_for(&["sessions [1]", "staging-auditor", "active"]);
    t.key("Escape");
    t.wait_for(&["volumes of staging-auditor"]);
    t.keys("q");
    t.wait_for(&["roles /stag", "active (expires in"]);
    t.keys("q");
    let screen = t.wait_for(&["rolecall exited 0"]);
    assert!(
        !t.alternate_screen(),
        "the alternate screen is left:\n{screen}"
    );

    // The log went to the data dir, and holds no secret.
    let log = std::fs::read_to_string(t.log()).unwrap_or_default();
    let (_, secret) = emu.primary_key();
    assert!(
        !log.contains(secret),
        "the primary secret leaked into the log"
    );
}

#[test]
fn sigterm_restores_the_terminal() {
    let t = Tmux::start("term", emulator());
    t.wait_for(&["staging-auditor"]);
    let shell = t.tmux(&["display", "-p", "-t", "rc", "#{pane_pid}"]);
    let out = Command::new("pkill")
        .args(["-TERM", "-P", shell.trim(), "rolecall"])
        .output()
        .unwrap();
    assert!(out.status.success(), "no rolecall under the pane's shell");
    let screen = t.wait_for(&["rolecall exited 143"]);
    assert!(!t.alternate_screen(), "{screen}");
}

#[test]
fn access_denied_is_explained_in_the_ui() {
    // IAM enforced: the primary's identity policy does not list the sandbox role.
    let t = Tmux::start("denied", enforced_emulator());
    t.wait_for(&["staging-auditor"]);
    t.keys("/sandbox");
    t.key("Enter");
    t.key("Enter");
    let screen = t.wait_for(&[
        "AssumeRole on arn:aws:iam::555555555555:role/ResponderRole failed: AccessDenied",
        "r tries again",
    ]);
    assert!(screen.contains("sts:AssumeRole on exactly"), "{screen}");
    t.keys("s");
    t.wait_for(&["sessions [1]", "failed"]);
    t.key("Escape");
    t.key("Escape");
    t.keys("q");
    t.keys("q");
    t.wait_for(&["rolecall exited 0"]);
}

#[test]
fn a_failing_region_is_explained_and_the_ui_answers() {
    // moto refuses a region it does not know, as AWS does a disabled opt-in region.
    let t = Tmux::start("region", emulator());
    t.wait_for(&["staging-auditor"]);
    t.keys("/prod-resp");
    t.key("Enter");
    t.key("Enter");
    t.wait_for(&["instances of prod-responder"]);
    t.keys(":region ap-nowhere-9");
    t.key("Enter");
    t.wait_for(&[
        "DescribeInstances on region ap-nowhere-9 failed",
        "r tries again",
    ]);
    // The UI still answers: back to the tree and quit.
    t.key("Escape");
    t.keys("q");
    t.keys("q");
    t.wait_for(&["rolecall exited 0"]);
}

#[test]
fn a_hung_endpoint_never_freezes_the_ui() {
    // A server that accepts connections and never answers.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for conn in listener.incoming().take(64) {
            held.push(conn);
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("short-timeout.toml");
    let text = std::fs::read_to_string(common::demo_config()).unwrap();
    std::fs::write(
        &config,
        text.replace("[defaults]\n", "[defaults]\ntimeout_seconds = 4\n"),
    )
    .unwrap();
    let t = Tmux::start_at("hung", emulator(), &endpoint, &config);
    t.wait_for(&["asking AWS who we are"]);
    t.key("Enter");
    t.wait_for(&["instances of empty", "Assuming the role"]);
    // Every key is still answered while both calls hang.
    t.keys("?");
    t.wait_for(&["help (Esc closes)"]);
    t.key("Escape");
    t.keys("s");
    t.wait_for(&["sessions [1]", "assuming"]);
    t.key("Escape");
    t.keys("q");
    t.wait_for(&["roles (5)"]);
    // The calls end in a visible error within the configured timeout.
    t.wait_for(&["primary identity unknown", "no answer in time"]);
    t.keys("s");
    t.wait_for(&["failed"]);
    // Esc dismisses the error, then leaves the sessions view.
    t.key("Escape");
    t.key("Escape");
    t.wait_for(&["roles (5)"]);
    t.keys("r");
    t.wait_for(&["asking AWS who we are"]);
    let started = Instant::now();
    t.keys("q");
    t.wait_for(&["rolecall exited 0"]);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "quitting waited for the hung calls"
    );
}

#[test]
fn sessions_are_refreshed_in_the_background() {
    // 900 s sessions renewed 893 s ahead: the first refresh comes about 7 s after assuming.
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("fast-refresh.toml");
    let text = std::fs::read_to_string(common::demo_config()).unwrap();
    std::fs::write(
        &config,
        text.replace(
            "duration_seconds = 3600\nrefresh_before_seconds = 600",
            "duration_seconds = 900\nrefresh_before_seconds = 893",
        ),
    )
    .unwrap();
    let emu = emulator();
    let t = Tmux::start_at("refresh", emu, &emu.endpoint, &config);
    t.wait_for(&["staging-auditor"]);
    t.keys("/prod-resp");
    t.key("Enter");
    t.key("Enter");
    t.wait_for(&["instances of prod-responder", "web-1"]);
    t.keys("s");
    t.wait_for(&["sessions [1]", "active"]);
    let screen = t.wait_for(&["refreshed prod-responder"]);
    // The sessions view counts it (ROLE ACCOUNT STATE EXPIRES LEFT REFRESHES).
    let row = screen
        .lines()
        .find(|l| l.starts_with("│prod-responder"))
        .unwrap_or_else(|| panic!("no session row:\n{screen}"));
    let cols: Vec<&str> = row.trim_matches('│').split_whitespace().collect();
    assert_eq!(cols.get(6), Some(&"1"), "refresh count in {row:?}");
    // And the instances are still there behind it.
    t.key("Escape");
    t.wait_for(&["instances of prod-responder", "web-1"]);
    t.keys("r");
    t.wait_for(&["web-1"]);
    t.key("Escape");
    t.keys("q");
    t.wait_for(&["rolecall exited 0"]);
}
