//! The real binary in tmux against the emulator, as a person uses it: keys in, screen out.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::common::federation::{recording_browser, Federation, TOKEN};
use crate::common::proxy::{aws_error, Fault, FaultProxy};
use crate::common::{emulator, enforced_emulator, files_under, Emulator};

/// A tmux server of our own (own socket, no user config) running one rolecall.
struct Tmux {
    socket: String,
    dir: tempfile::TempDir,
}

impl Tmux {
    fn start(name: &str, emu: &Emulator) -> Tmux {
        Tmux::start_at(name, emu, &emu.endpoint, &crate::common::demo_config())
    }

    /// Like `start`, with AWS calls going to `endpoint` and another config file.
    fn start_at(name: &str, emu: &Emulator, endpoint: &str, config: &std::path::Path) -> Tmux {
        Tmux::start_env(name, emu, endpoint, config, &[])
    }

    /// Like `start_at`, with more environment variables.
    fn start_env(
        name: &str,
        emu: &Emulator,
        endpoint: &str,
        config: &std::path::Path,
        env: &[(&str, &str)],
    ) -> Tmux {
        let exports: String = env
            .iter()
            .map(|(k, v)| format!("export {k}='{v}'; "))
            .collect();
        let bin = format!("{exports}'{}'", env!("CARGO_BIN_EXE_rolecall"));
        Tmux::start_cmd(name, emu, endpoint, config, &bin)
    }

    /// Runs the shell command line `command` in the pane, in rolecall's environment. When it
    /// ends, the pane prints its exit status and the terminal's line discipline (`tty: icanon
    /// echo` when the shell is usable again).
    fn start_cmd(
        name: &str,
        emu: &Emulator,
        endpoint: &str,
        config: &std::path::Path,
        command: &str,
    ) -> Tmux {
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
                 export ROLECALL_CONFIG='{config}' ROLECALL_LOG=trace\n\
                 unset AWS_PROFILE AWS_SESSION_TOKEN NO_COLOR\n\
                 {command}\n\
                 echo \"rolecall exited $?\"\n\
                 printf 'tty: '; stty -a | tr ' ;' '\\n\\n' | grep -x -e icanon -e -icanon -e echo -e -echo | tr '\\n' ' '; echo\n\
                 exec sleep 600\n",
                home = home.display(),
                endpoint = endpoint,
                config = config.display(),
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

    /// Waits for the program in the pane to end with `code`, then checks the terminal is the
    /// shell's again: alternate screen off, mouse reporting off, line editing and echo on.
    #[track_caller]
    fn assert_exited_cleanly(&self, code: i32) -> String {
        let screen = self.wait_for(&[&format!("rolecall exited {code}\n"), "tty: "]);
        assert!(
            !self.alternate_screen(),
            "alternate screen left on:\n{screen}"
        );
        let mouse = self.tmux(&["display", "-p", "-t", "rc", "#{mouse_any_flag}"]);
        assert_eq!(mouse.trim(), "0", "mouse reporting left on");
        assert!(
            screen.contains("tty: icanon echo"),
            "the terminal is left in raw mode:\n{screen}"
        );
        screen
    }

    /// Sends `signal` to the rolecall running under the pane's shell.
    fn signal(&self, signal: &str) {
        let shell = self.tmux(&["display", "-p", "-t", "rc", "#{pane_pid}"]);
        let out = Command::new("pkill")
            .args([signal, "-P", shell.trim(), "rolecall"])
            .output()
            .unwrap();
        assert!(out.status.success(), "no rolecall under the pane's shell");
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
    // Through a recording proxy: it sees the credentials the emulator issues.
    let proxy = FaultProxy::start(&emu.endpoint);
    let t = Tmux::start_at("flow", emu, &proxy.endpoint, &crate::common::demo_config());
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
    let screen = t.assert_exited_cleanly(0);

    // The trace log went to the data dir; no secret is in it, on screen, or in any file.
    let log = std::fs::read_to_string(t.log()).unwrap_or_default();
    assert!(log.contains(" TRACE "), "trace logging was on:\n{log}");
    // Readable by its owner only, in a folder only its owner can list.
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&t.log()), 0o600);
    assert_eq!(mode(t.log().parent().unwrap()), 0o700);
    let mut secrets = proxy.recorded_values("SecretAccessKey");
    secrets.extend(proxy.recorded_values("SessionToken"));
    assert_eq!(secrets.len(), 2, "one session was issued");
    secrets.push(emu.primary_key().1.to_string());
    for secret in &secrets {
        assert!(!screen.contains(secret.as_str()), "a secret on screen");
        for (path, text) in files_under(&t.dir.path().join("home")) {
            assert!(
                !text.contains(secret.as_str()),
                "a secret was written to {}",
                path.display()
            );
        }
    }
}

#[test]
fn sigterm_restores_the_terminal() {
    let t = Tmux::start("term", emulator());
    t.wait_for(&["staging-auditor"]);
    t.signal("-TERM");
    t.assert_exited_cleanly(143);
}

#[test]
fn sighup_restores_the_terminal() {
    let t = Tmux::start("hup", emulator());
    t.wait_for(&["staging-auditor"]);
    t.signal("-HUP");
    t.assert_exited_cleanly(129);
}

#[test]
fn ctrl_c_quits_from_anywhere_and_restores_the_terminal() {
    let t = Tmux::start("ctrlc", emulator());
    t.wait_for(&["staging-auditor"]);
    // Even in the middle of typing a filter.
    t.keys("/sta");
    t.wait_for(&["roles /sta"]);
    t.key("C-c");
    t.assert_exited_cleanly(0);
}

/// Not a test of its own (ignored, so it never counts as a pass): `a_panic_restores_the_terminal`
/// runs this test binary again with `--ignored --exact tmux::panic_child`, to panic while the
/// terminal guard holds the screen.
#[test]
#[ignore = "run by a_panic_restores_the_terminal in its own terminal"]
fn panic_child() {
    use std::io::Read;
    let mut tui = rolecall::tui::Tui::enter().unwrap();
    tui.draw(|f| {
        f.render_widget(
            ratatui::widgets::Paragraph::new("inside the TUI; any key panics"),
            f.area(),
        )
    })
    .unwrap();
    let mut byte = [0u8; 1];
    let _ = std::io::stdin().read(&mut byte);
    panic!("a deliberate panic inside the TUI");
}

#[test]
fn a_panic_restores_the_terminal() {
    let emu = emulator();
    let command = format!(
        "'{}' --ignored --exact tmux::panic_child --nocapture --test-threads=1",
        std::env::current_exe().unwrap().display()
    );
    let t = Tmux::start_cmd(
        "panic",
        emu,
        &emu.endpoint,
        &crate::common::demo_config(),
        &command,
    );
    t.wait_for(&["inside the TUI; any key panics"]);
    assert!(t.alternate_screen());
    t.keys("x");
    // libtest reports the failed test with 101; the panic message is readable after the restore.
    let screen = t.assert_exited_cleanly(101);
    assert!(
        screen.contains("a deliberate panic inside the TUI"),
        "{screen}"
    );
}

#[test]
fn a_hung_endpoint_recovers_with_r_and_a_failed_reload_keeps_the_view() {
    let emu = emulator();
    let proxy = FaultProxy::start(&emu.endpoint);
    proxy.set(Fault::Hang);
    let dir = tempfile::tempdir().unwrap();
    let config =
        crate::common::demo_config_with(dir.path(), "timeout_seconds = 3\nmax_attempts = 1");
    let t = Tmux::start_at("recover", emu, &proxy.endpoint, &config);
    t.wait_for(&["primary identity unknown", "no answer in time"]);

    // The endpoint comes back: r asks again, no restart.
    proxy.set(Fault::Pass);
    t.key("Escape");
    t.keys("r");
    t.wait_for(&["arn:aws:iam::111111111111:user/responder"]);
    t.keys("/prod-resp");
    t.key("Enter");
    t.key("Enter");
    t.wait_for(&["instances of prod-responder", "web-1", "db-1"]);

    // It fails again: a reload that fails says so and keeps the rows on screen.
    proxy.set(Fault::Reply {
        status: 503,
        body: aws_error("Unavailable", "Service is unavailable"),
    });
    t.keys("r");
    let screen = t.wait_for(&[
        "2 regions failed; keeping 5 earlier rows of them",
        "failed: us-east-1, eu-west-1 (Unavailable); 5 earlier rows kept",
    ]);
    assert!(screen.contains("web-1"), "the view was dropped:\n{screen}");

    // An expired session is named as such, and the rows stay too.
    proxy.set(Fault::Reply {
        status: 400,
        body: aws_error(
            "ExpiredToken",
            "The security token included in the request is expired",
        ),
    });
    t.key("Escape");
    t.keys("r");
    let screen = t.wait_for(&["failed: us-east-1, eu-west-1 (ExpiredToken); 5 earlier rows kept"]);
    assert!(screen.contains("web-1"), "the view was dropped:\n{screen}");
    proxy.set(Fault::Pass);
    t.key("Escape");
    t.keys("r");
    t.wait_for(&["web-1"]);
    t.key("Escape");
    t.keys("q");
    t.assert_exited_cleanly(0);
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
    // An endpoint that accepts connections and never answers.
    let emu = emulator();
    let proxy = FaultProxy::start(&emu.endpoint);
    proxy.set(Fault::Hang);
    let dir = tempfile::tempdir().unwrap();
    let config = crate::common::demo_config_with(dir.path(), "timeout_seconds = 4");
    let t = Tmux::start_at("hung", emu, &proxy.endpoint, &config);
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
    // Esc dismisses an error, then leaves the sessions view (two errors may arrive: the
    // identity's and the role's, so press until back).
    for _ in 0..4 {
        t.key("Escape");
        if t.screen().contains("roles (5)") {
            break;
        }
    }
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
    let config = crate::common::demo_config_with(
        dir.path(),
        "duration_seconds = 900\nrefresh_before_seconds = 893",
    );
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

#[test]
fn o_opens_the_console_on_the_selected_instance_and_shift_o_copies_the_link() {
    let emu = emulator();
    let federation = Federation::start();
    let dir = tempfile::tempdir().unwrap();
    let (browser, opened) = recording_browser(dir.path());
    let config = crate::common::DemoConfig::default()
        .federation(&federation.endpoint)
        .write(dir.path());
    let browser = browser.to_str().unwrap();
    let t = Tmux::start_env(
        "console",
        emu,
        &emu.endpoint,
        &config,
        &[("BROWSER", browser)],
    );
    t.wait_for(&["staging-auditor"]);

    // Not assumed yet: o says what to do.
    t.keys("/prod-resp");
    t.key("Enter");
    t.keys("o");
    t.wait_for(&["has no live session: assume it first"]);
    t.key("Enter");
    t.wait_for(&["instances of prod-responder", "web-1"]);
    // Sort by name (db-1, eu-batch-1, eu-web-1, web-1, web-2) and take the third: eu-web-1.
    t.keys("1");
    t.keys("jj");
    let screen = t.wait_for(&["eu-web-1"]);
    let id = screen
        .lines()
        .find(|l| l.contains("eu-web-1 "))
        .and_then(|l| l.split_whitespace().find(|w| w.starts_with("i-")))
        .unwrap_or_else(|| panic!("no eu-web-1 row:\n{screen}"))
        .to_string();
    t.keys("o");
    t.wait_for(&["opened the console as prod-responder"]);
    let link = std::fs::read_to_string(&opened).unwrap();
    let q: Vec<(String, String)> = url::Url::parse(link.trim())
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    assert_eq!(q[0].1, "login");
    assert_eq!(
        q[2].1,
        format!("https://console.aws.amazon.com/ec2/home?region=eu-west-1#InstanceDetails:instanceId={id}")
    );
    assert_eq!(q[3].1, TOKEN);
    // The session the TUI holds is the one it signs in with: a single AssumeRole so far.
    assert_eq!(federation.requests().len(), 1);

    // O copies the link instead, with a warning; the screen never shows it.
    t.keys("O");
    let screen = t.wait_for(&["copied a sign-in link for prod-responder"]);
    assert!(!screen.contains(TOKEN), "{screen}");
    let buffer = t.tmux(&["show-buffer"]);
    assert!(
        buffer.starts_with(&format!("{}?Action=login&", federation.endpoint)),
        "{buffer}"
    );
    // The log holds neither link.
    let log = std::fs::read_to_string(t.log()).unwrap_or_default();
    for line in log.lines() {
        assert!(
            !line.contains("SigninToken") && !line.contains("fixture-signin-token"),
            "the link was logged: {line}"
        );
    }
    t.key("Escape");
    t.keys("q");
    t.keys("q");
    t.assert_exited_cleanly(0);
}

#[test]
fn zero_config_tree_shows_roles_found_in_the_policies() {
    // As the primary account's role (as on an instance), with no rolecall config at all.
    let emu = emulator();
    let creds = emu.primary_role_env();
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.toml");
    std::fs::write(&empty, "").unwrap();
    let t = Tmux::start_env(
        "discover",
        emu,
        &emu.endpoint,
        &empty,
        &creds
            .iter()
            .map(|(k, v)| (*k, v.as_str()))
            .collect::<Vec<_>>(),
    );
    let screen = t.wait_for(&[
        "assumed-role/ResponderInstanceRole",
        "roles (3)",
        "222222222222",
        "333333333333",
        "444444444444",
        "discovery warning",
    ]);
    assert!(
        !screen.contains("555555555555"),
        "the denied sandbox role:\n{screen}"
    );
    assert!(
        screen.contains("not assumed [policy]"),
        "the source is shown:\n{screen}"
    );
    // A discovered role works like a configured one.
    t.keys("/4444");
    t.key("Enter");
    t.key("Enter");
    t.wait_for(&[
        "instances of ResponderRole @ 444444444444",
        "No instances in account 444444444444",
    ]);
    t.key("Escape");
    t.keys("q");
    t.keys("q");
    t.assert_exited_cleanly(0);
}

#[test]
fn every_account_at_once_fills_in_filters_across_all_and_reports_the_refused_one() {
    // IAM enforced: the sandbox role is refused, every other account lists.
    let emu = enforced_emulator();
    let t = Tmux::start("every", emu);
    t.wait_for(&[
        "arn:aws:iam::111111111111:user/responder",
        "staging-auditor",
    ]);
    t.keys("a");
    let screen = t.wait_for(&[
        "instances of every account [17] · 4 accounts",
        "failed: 555555555555 (AccessDenied)",
        "17 instances in 3 of 4 accounts; 1 failed — account 555555555555",
    ]);
    assert!(
        screen.contains("prod") && screen.contains("staging"),
        "{screen}"
    );
    assert!(
        !screen.contains("sandbox-secret"),
        "the refused account shows nothing:\n{screen}"
    );

    // Find one instance of another account by id, from the same screen.
    let prod_id = emu.instance_ids("222222222222")[3].clone();
    t.keys("/");
    t.keys(&prod_id);
    t.key("Enter");
    let screen = t.wait_for(&[&format!("[1/17 /{prod_id}]"), "eu-web-1"]);
    assert!(!screen.contains("stg-node"), "{screen}");
    t.keys("Y");
    t.wait_for(&[&format!("copied {prod_id}")]);
    assert_eq!(t.tmux(&["show-buffer"]), prod_id);
    t.key("Enter");
    t.wait_for(&["listed via role", "ResponderRole", "222222222222 (prod)"]);
    t.key("Escape");
    t.key("Escape");
    t.wait_for(&["instances of every account [17] ·"]);

    // Every account's volumes; the sessions the listing started are in the sessions view.
    t.keys("v");
    t.wait_for(&["volumes of every account [", "evidence-copy", "db-1-data"]);
    t.keys("s");
    t.wait_for(&["prod-responder", "staging-auditor", "active", "failed"]);
    // The first Esc dismisses the error on the status line, the second goes back.
    t.key("Escape");
    t.key("Escape");
    t.wait_for(&["volumes of every account ["]);
    t.keys("q");
    t.wait_for(&["roles ("]);
    t.keys("q");
    t.assert_exited_cleanly(0);
}

#[test]
fn every_account_under_a_hung_endpoint_answers_keys_then_recovers_with_r() {
    let emu = emulator();
    let proxy = FaultProxy::start(&emu.endpoint);
    let dir = tempfile::tempdir().unwrap();
    let config =
        crate::common::demo_config_with(dir.path(), "timeout_seconds = 3\nmax_attempts = 1");
    let t = Tmux::start_at("everyhung", emu, &proxy.endpoint, &config);
    // Discovery has added the policy's role: five accounts.
    t.wait_for(&["arn:aws:iam::111111111111:user/responder", "[policy]"]);

    proxy.set(Fault::Hang);
    t.keys("a");
    t.wait_for(&[
        "instances of every account [0] · 0/5 accounts answered…",
        "Listing instances in 5 accounts",
    ]);
    // Every account hangs, and the keys still answer.
    t.keys("?");
    t.wait_for(&["keys in the every-account instances view"]);
    t.key("Escape");
    let screen = t.wait_for(&[
        "No instances in 0 of 5 accounts.",
        "0 instances in 0 of 5 accounts; 5 failed",
        "r tries again",
    ]);
    assert!(screen.contains("no answer in time"), "{screen}");

    // The endpoint is back: r lists every account again, no restart.
    proxy.set(Fault::Pass);
    t.key("Escape");
    t.keys("r");
    t.wait_for(&[
        "instances of every account [18] · 5 accounts",
        "18 instances in 5 of 5 accounts",
    ]);
    t.keys("q");
    t.keys("q");
    t.assert_exited_cleanly(0);
}

#[test]
fn the_cli_asks_for_an_mfa_code_without_echoing_it() {
    let emu = emulator();
    let command = format!(
        "'{}' assume prod-breakglass --format credential-process | grep -c AccessKeyId",
        env!("CARGO_BIN_EXE_rolecall")
    );
    let t = Tmux::start_cmd(
        "mfa-prompt",
        emu,
        &emu.endpoint,
        &crate::common::demo_config(),
        &command,
    );
    t.wait_for(&["MFA code for arn:aws:iam::111111111111:mfa/responder:"]);
    t.keys("314159");
    // Typed, not shown.
    std::thread::sleep(Duration::from_millis(300));
    assert!(!t.screen().contains("314159"), "{}", t.screen());
    t.key("Enter");
    let screen = t.wait_for(&["rolecall exited 0"]);
    assert!(screen.contains("\n1\n"), "one set of credentials: {screen}");
    assert!(!screen.contains("314159"), "{screen}");
}

#[test]
fn a_case_opened_in_the_tui_records_the_work_and_e_exports_what_is_shown() {
    let emu = emulator();
    let dir = tempfile::tempdir().unwrap();
    let cases = dir.path().join("cases");
    let config = crate::common::DemoConfig::default()
        .append(&format!("[case]\ndir = \"{}\"\n", cases.display()))
        .write(dir.path());
    let t = Tmux::start_at("case", emu, &emu.endpoint, &config);
    t.wait_for(&["prod-responder"]);
    t.keys(":case open IR-T tmux run");
    t.key("Enter");
    t.wait_for(&["case IR-T", "what you do is recorded"]);
    t.keys("/prod-resp");
    t.key("Enter");
    t.key("Enter");
    t.wait_for(&["instances of prod-responder", "web-1"]);
    t.keys("/web");
    t.key("Enter");
    t.keys("e");
    t.wait_for(&[
        "exported 3 rows → exports/instances-prod-responder-",
        ".json (case IR-T)",
    ]);
    t.keys("L");
    t.wait_for(&["log of case IR-T", "case.open", "assume", "list", "export"]);
    t.key("Enter");
    t.wait_for(&["\"action\": \"export\"", "\"sha256\""]);
    t.key("Escape");
    t.key("Escape");
    // Back in the instances (q clears their filter, then goes back), then the tree.
    t.wait_for(&["instances of prod-responder"]);
    t.keys("qq");
    t.wait_for(&["roles /prod-resp"]);
    t.keys("q");
    t.assert_exited_cleanly(0);

    // The files are there, and the log names them with their hashes.
    let log = std::fs::read_to_string(cases.join("IR-T/log.jsonl")).unwrap();
    let entries: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let actions: Vec<&str> = entries
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["case.open", "assume", "list", "export"]);
    let export = &entries[3];
    let files = export["result"]["files"].as_array().unwrap();
    assert_eq!(files.len(), 2);
    for f in files {
        let path = std::path::Path::new(f["path"].as_str().unwrap());
        assert!(
            path.starts_with(cases.join("IR-T/exports")),
            "{}",
            path.display()
        );
        let bytes = std::fs::read(path).unwrap();
        use sha2::Digest;
        assert_eq!(f["sha256"], hex::encode(sha2::Sha256::digest(&bytes)));
    }
    let rows = export["result"]["rows"].as_u64().unwrap();
    let csv = std::fs::read_to_string(files[0]["path"].as_str().unwrap()).unwrap();
    assert_eq!(
        csv.lines().count() as u64,
        rows + 1,
        "a header and the rows /web kept"
    );
    assert!(csv.lines().skip(1).all(|l| l.contains("web")), "{csv}");
    // And the chain holds.
    let out = crate::common::run(
        emu.rolecall()
            .env("ROLECALL_CONFIG", &config)
            .args(["case", "verify", "IR-T"]),
    )
    .ok();
    assert!(
        out.stdout.contains("the chain of 4 entries holds"),
        "{}",
        out.stdout
    );
}

#[test]
fn s_on_an_instance_shows_the_plan_and_y_snapshots_it_in_the_case() {
    let emu = emulator();
    let lab = crate::common::lab::Lab::open(emu, "IR-TUI", "");
    let (key, secret) = (lab.world("access_key_id"), lab.world("secret_access_key"));
    let t = Tmux::start_env(
        "act",
        emu,
        &emu.endpoint,
        &lab.config,
        &[
            ("AWS_ACCESS_KEY_ID", &key),
            ("AWS_SECRET_ACCESS_KEY", &secret),
        ],
    );
    t.wait_for(&["lab-ir", "case IR-TUI"]);
    t.keys("/lab-ir");
    t.key("Enter");
    t.key("Enter");
    t.wait_for(&["instances of lab-ir", "suspect-2"]);
    t.keys("/suspect-2");
    t.key("Enter");
    t.keys("S");
    t.wait_for(&[
        "confirm",
        "Snapshot every volume of i-",
        "ec2:CreateSnapshots",
        "change nothing",
    ]);
    // Nothing is made until y.
    assert!(lab.snapshots().is_empty());
    t.keys("y");
    t.wait_for(&["(suspect-2): done"]);
    t.keys("J");
    t.wait_for(&["jobs [1]", "done"]);
    t.key("Enter");
    t.wait_for(&["took snap-", "is completed"]);
    t.key("Escape");
    t.keys("L");
    t.wait_for(&[
        "log of case IR-TUI",
        "snapshot.start",
        "snapshot.create",
        "snapshot.completed ",
    ]);
    t.key("Escape");
    t.keys("qqq");
    t.assert_exited_cleanly(0);

    let snaps = lab.snapshots();
    assert_eq!(snaps.len(), 1, "suspect-2 has one volume: {snaps:?}");
    let entries = lab.entries();
    let created = entries
        .iter()
        .find(|e| e["action"] == "snapshot.create")
        .unwrap();
    assert_eq!(
        created["result"]["snapshots"][0]["snapshot_id"],
        snaps[0]["SnapshotId"]
    );
}

#[test]
fn an_organizations_accounts_fill_the_tree_folded_and_come_back_from_the_cache() {
    let emu = emulator();
    let org = &emu.world["organization"];
    let dir = tempfile::tempdir().unwrap();
    let config = crate::common::DemoConfig::default()
        .append(&format!(
            "[[organization]]\nrole_name = \"Responder\"\nvia = \"{}\"\n",
            org["reader"].as_str().unwrap()
        ))
        .write(dir.path());
    let payments = org["accounts"]["Payments Prod"].as_str().unwrap();
    let proxy = FaultProxy::start(&emu.endpoint);
    let t = Tmux::start_at("org", emu, &proxy.endpoint, &config);
    // Discovery reads the organization: one folded line per account, with its role.
    let screen = t.wait_for(&[&format!("▸ {payments}  Payments Prod "), "roles (37)"]);
    let line = screen.lines().find(|l| l.contains(payments)).unwrap();
    assert!(line.contains(" Responder  not assumed"), "{line}");
    assert!(!screen.contains("Old Sandbox"), "suspended: {screen}");
    // Found by the account's name; Enter on its role's line opens it.
    t.keys("/Payments");
    t.key("Enter");
    t.wait_for(&["roles /Payments (2 lines)", "payments-prod"]);
    t.keys("j");
    t.key("Enter");
    t.wait_for(&["payments-api", "running"]);
    t.key("Escape");
    t.key("Escape");
    t.keys("q");
    t.assert_exited_cleanly(0);

    // Started again while AWS does not answer: the tree shows the cached organization at once.
    proxy.set(Fault::Hang);
    let cached = Tmux::start_env(
        "org-cached",
        emu,
        &proxy.endpoint,
        &config,
        &[(
            "XDG_CACHE_HOME",
            &format!("{}/home/.cache", t.dir.path().display()),
        )],
    );
    cached.wait_for(&[
        &format!("▸ {payments}  Payments Prod "),
        "asking AWS who we are",
        "· organization read ",
    ]);
    cached.keys("q");
    cached.assert_exited_cleanly(0);
}

#[test]
fn colon_sg_lists_the_security_groups_and_enter_shows_a_groups_rules() {
    let emu = emulator();
    let t = Tmux::start("sg", emu);
    t.wait_for(&["prod-responder", "not assumed"]);
    t.keys("/prod-resp");
    t.key("Enter");
    t.key("Enter");
    t.wait_for(&["instances of prod-responder @ 222222222222 (prod) [5]"]);
    t.keys(":sg");
    t.key("Enter");
    let screen = t.wait_for(&[
        "security groups of prod-responder @ 222222222222 (prod) [5]",
        "web-public",
        "admin-ssh",
        "legacy-db",
    ]);
    let web = screen
        .lines()
        .find(|l| l.contains("web-public"))
        .unwrap_or_else(|| panic!("{screen}"));
    assert!(web.contains("2 !"), "open to the internet: {web}");
    // `/` by a port finds the groups with a rule on it; Enter shows its rules.
    t.keys("/5432");
    t.key("Enter");
    t.wait_for(&["[1/5 /5432]", "legacy-db"]);
    t.key("Enter");
    t.wait_for(&[
        "inbound rules",
        "tcp 5432",
        "from 10.0.0.0/8",
        "instances",
        "none",
    ]);
    t.key("Escape");
    t.key("Escape");
    t.wait_for(&["[5]"]);
    t.keys("/web-public");
    t.key("Enter");
    t.key("Enter");
    let screen = t.wait_for(&[
        "tcp 443",
        "from 0.0.0.0/0, ::/0",
        "(internet)",
        "outbound rules",
    ]);
    for id in emu.instance_ids("222222222222").iter().take(2) {
        assert!(
            screen.contains(id.as_str()),
            "{id} uses web-public:\n{screen}"
        );
    }
    t.key("Escape");
    t.key("Escape");
    // i goes back to the instances, q to the tree.
    t.keys("i");
    t.wait_for(&["instances of prod-responder"]);
    t.keys("q");
    t.wait_for(&["roles /prod-resp", "active (expires in"]);
    t.keys("q");
    t.assert_exited_cleanly(0);
}

/// `t` on an instance: who launched and changed it (the emulator's seeded CloudTrail events),
/// in a case that records the lookup; `e` exports them.
#[test]
fn t_on_an_instance_shows_who_launched_and_changed_it() {
    let emu = emulator();
    let dir = tempfile::tempdir().unwrap();
    let cases = dir.path().join("cases");
    let config = crate::common::DemoConfig::default()
        .append(&format!("[case]\ndir = \"{}\"\n", cases.display()))
        .write(dir.path());
    let web1 = emu.world["events"]["modified_instance"]
        .as_str()
        .unwrap()
        .to_string();
    let t = Tmux::start_at("events", emu, &emu.endpoint, &config);
    t.wait_for(&["prod-responder"]);
    t.keys(":case open IR-EV tmux");
    t.key("Enter");
    t.wait_for(&["case IR-EV"]);
    t.keys("/prod-resp");
    t.key("Enter");
    t.key("Enter");
    t.wait_for(&["instances of prod-responder", "web-1"]);
    t.keys(&format!("/{web1}"));
    t.key("Enter");
    t.keys("t");
    let screen = t.wait_for(&[
        &format!("(prod) · resource {web1} · ⚠ trail prod-tra"),
        "ModifyInstanceAttribute",
        "RunInstances",
        "CreateTags",
    ]);
    assert!(screen.contains("ci-deploy"), "{screen}");
    assert!(
        screen.contains(
            "warning: account 222222222222: trail prod-trail (us-east-1) stopped logging at"
        ),
        "{screen}"
    );
    t.keys("e");
    t.wait_for(&["exported 3 rows → exports/events-prod-responder-"]);
    t.keys("q");
    t.wait_for(&["roles /prod-resp"]);
    t.keys("q");
    t.assert_exited_cleanly(0);
    let log = std::fs::read_to_string(cases.join("IR-EV/log.jsonl")).unwrap();
    let entries: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let looked: Vec<&serde_json::Value> = entries
        .iter()
        .filter(|e| e["action"] == "list" && e["params"]["what"] == "events")
        .collect();
    assert!(!looked.is_empty(), "{log}");
    assert!(looked.iter().all(|e| e["params"]["lookup"]
        == serde_json::json!({"attribute": "resource", "value": web1})
        && e["params"]["regions"] == serde_json::json!(["us-east-1"])));
    let export = entries.iter().find(|e| e["action"] == "export").unwrap();
    assert_eq!(export["result"]["rows"], 3, "{export}");
}

#[test]
fn a_leaked_key_is_found_by_id_and_x_deactivates_it_in_the_case() {
    let emu = emulator();
    let lab = crate::common::lab::Lab::open(emu, "IR-KEY-TUI", "");
    let made = lab.aws(
        "iam.create_user(UserName='tui-leaky')\n\
         keys = [iam.create_access_key(UserName='tui-leaky')['AccessKey']['AccessKeyId'] for _ in range(2)]\n\
         print(json.dumps(keys))",
    );
    let leaked = made[0].as_str().unwrap().to_string();
    let (key, secret) = (lab.world("access_key_id"), lab.world("secret_access_key"));
    let t = Tmux::start_env(
        "identity",
        emu,
        &emu.endpoint,
        &lab.config,
        &[
            ("AWS_ACCESS_KEY_ID", &key),
            ("AWS_SECRET_ACCESS_KEY", &secret),
        ],
    );
    t.wait_for(&["lab-ir", "case IR-KEY-TUI"]);
    t.keys("/lab-ir");
    t.key("Enter");
    t.key("Enter");
    t.wait_for(&["instances of lab-ir"]);
    // The keys of the account, the leaked one found by its id.
    t.keys(":access-keys");
    t.key("Enter");
    t.wait_for(&["access keys of lab-ir", "tui-leaky"]);
    t.keys(&format!("/{leaked}"));
    t.key("Enter");
    t.keys("X");
    t.wait_for(&[
        "confirm",
        &format!("Deactivate access key {leaked} of user tui-leaky"),
        "iam:UpdateAccessKey",
        "IAM has no DryRun",
    ]);
    t.keys("y");
    t.wait_for(&[&format!(
        "Deactivate access key {leaked} of user tui-leaky: done"
    )]);
    // r lists the keys again: the key is inactive.
    t.keys("r");
    t.wait_for(&["inactive"]);
    assert_eq!(
        lab.aws(&format!(
            "print(json.dumps([k['Status'] for k in iam.list_access_keys(UserName='tui-leaky')['AccessKeyMetadata'] if k['AccessKeyId'] == {leaked:?}]))"
        ))[0],
        "Inactive"
    );
    // The user, one key: X plans its quarantine; n leaves it as it is.
    t.key("Escape");
    t.keys("u");
    t.wait_for(&["IAM users of lab-ir", "tui-leaky"]);
    t.keys("/tui-leaky");
    t.key("Enter");
    t.keys("X");
    t.wait_for(&["Quarantine user tui-leaky", "iam:PutUserPolicy"]);
    t.keys("n");
    t.wait_for(&["nothing was changed"]);
    t.keys("L");
    t.wait_for(&["log of case IR-KEY-TUI", "isolate.key-deactivated"]);
    t.key("Escape");
    t.keys("qqq");
    t.assert_exited_cleanly(0);
    let names: Vec<String> = lab
        .entries()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_string())
        .collect();
    assert!(
        names.contains(&"isolate.identity-checked".to_string()),
        "{names:?}"
    );
    assert!(
        !names.contains(&"isolate.user-policy".to_string()),
        "n did nothing: {names:?}"
    );
}

/// F on the tree lists every account's findings; Enter on the crypto-mining one opens its
/// instance in its account (as prod's role), the finding in the title and the case log.
#[test]
fn enter_on_the_crypto_mining_finding_opens_that_instance_ready_to_isolate() {
    let emu = emulator();
    let dir = tempfile::tempdir().unwrap();
    let cases = dir.path().join("cases");
    let config = crate::common::DemoConfig::default()
        .append(&format!("[case]\ndir = \"{}\"\n", cases.display()))
        .write(dir.path());
    let crypto = &emu.world["findings"]["crypto"];
    let instance = crypto["instance"].as_str().unwrap();
    let t = Tmux::start_at("findings", emu, &emu.endpoint, &config);
    t.wait_for(&["prod-responder"]);
    t.keys(":case open IR-F");
    t.key("Enter");
    t.wait_for(&["case IR-F"]);
    // Every account's findings, severest first.
    t.keys("F");
    t.wait_for(&["findings", "CRITICAL", "Bitcoin-related"]);
    t.keys("/bitcoin");
    t.key("Enter");
    t.key("Enter");
    let screen = t.wait_for(&["instances of prod-responder", "web-1", "finding HIGH"]);
    assert!(screen.contains(instance), "{screen}");
    assert!(
        !screen.contains("web-2"),
        "only the finding's instance: {screen}"
    );
    // Ready to snapshot: S plans it on the finding's instance (and n changes nothing).
    t.keys("S");
    t.wait_for(&[
        "confirm",
        &format!("Snapshot every volume of {instance}"),
        "change nothing",
    ]);
    t.keys("n");
    t.key("C-c");
    t.assert_exited_cleanly(0);
    let log = std::fs::read_to_string(cases.join("IR-F/log.jsonl")).unwrap();
    let opened: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|e| e["action"] == "finding.opened")
        .collect();
    assert_eq!(opened.len(), 1, "{log}");
    assert_eq!(opened[0]["params"]["finding_id"], crypto["id"]);
    assert_eq!(opened[0]["params"]["product_arn"], crypto["product_arn"]);
}

/// IAM Identity Center as a person meets it: only `aws sso login` done (a token where the AWS
/// CLI keeps it, no other credentials). The tree fills with every assigned account, its roles
/// marked `sso`; one opens with Enter; `a` lists every account at once through them.
#[test]
fn with_only_an_sso_sign_in_the_tree_shows_every_assigned_account_and_a_lists_them_all() {
    use crate::sso::{mint, sha1_hex, sso};
    let emu = emulator();
    let dir = tempfile::tempdir().unwrap();
    let start_url = sso(emu, "start_url");
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[defaults]\nregions = [\"us-east-1\"]\n\n[[sso]]\nstart_url = \"{start_url}\"\nregion = \"{}\"\n",
            sso(emu, "region")
        ),
    )
    .unwrap();
    let token = dir.path().join("token.json");
    std::fs::write(&token, mint(emu, 8 * 3600).to_string()).unwrap();
    // Where `aws sso login` keeps the token of this start URL, in the pane's HOME; and no
    // primary credentials at all.
    let command = format!(
        "unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY; mkdir -p \"$HOME/.aws/sso/cache\"; \
         cp '{}' \"$HOME/.aws/sso/cache/{}.json\"; '{}'",
        token.display(),
        sha1_hex(&start_url),
        env!("CARGO_BIN_EXE_rolecall")
    );
    let t = Tmux::start_cmd("sso", emu, &emu.endpoint, &config, &command);
    // The 24 roles of the 22 accounts with a role assigned (the portal's 23 less the one with
    // none), read in pages; each marked as an Identity Center role, named by its permission set.
    let screen = t.wait_for(&[
        "roles (24)",
        "(no primary credentials: IAM Identity Center only)",
        "222222222222",
    ]);
    let line = screen
        .lines()
        .find(|l| l.contains("prod/IncidentResponder"))
        .unwrap();
    assert!(
        line.contains("    IncidentResponder  ") && line.contains("[sso]"),
        "{line}"
    );
    assert!(!screen.contains("444444444444"), "no role there: {screen}");
    // Every account at once, through the portal's role credentials.
    t.keys("a");
    let screen = t.wait_for(&["instances of every account [", " in 22 of 22 accounts"]);
    assert!(!screen.contains("AccessDenied"), "{screen}");
    t.key("Escape");
    t.keys("q");
    t.assert_exited_cleanly(0);
}
