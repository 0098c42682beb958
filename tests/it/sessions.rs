//! Sessions kept between runs (`[sessions] cache`): `rolecall sessions [--clear] [--json]` shows
//! them without a secret and drops them, and a kept session's secrets are in the file store's
//! `0600` file (or the OS keyring) and nowhere else under HOME. The sessions are put in through
//! the library, in the data dir the binary uses (the test's own HOME and XDG dirs).
#![cfg(target_os = "linux")]

use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::Utc;
use rolecall::aws::assume::Session;
use rolecall::aws::credentials::{Credentials, Secret};
use rolecall::aws::session_cache::{CacheKind, SessionCache};
use rolecall::aws::AwsOptions;

use crate::common::{emulator, files_under, run, DemoConfig, Emulator};

/// A HOME of the test's own, with the demo config and `[sessions]` as given.
pub struct Kept {
    pub home: tempfile::TempDir,
    pub config: PathBuf,
}

impl Kept {
    pub fn new(sessions: &str) -> Kept {
        let home = tempfile::tempdir().unwrap();
        let config = DemoConfig::default().append(sessions).write(home.path());
        Kept { home, config }
    }

    /// `rolecall` as the primary identity, in this HOME.
    pub fn cmd(&self, emu: &Emulator) -> Command {
        let home = self.home.path();
        let mut cmd = emu.rolecall();
        cmd.env("HOME", home)
            .env("XDG_CONFIG_HOME", home.join(".config"))
            .env("XDG_DATA_HOME", home.join(".local/share"))
            .env("XDG_CACHE_HOME", home.join(".cache"))
            .env("ROLECALL_CONFIG", &self.config);
        cmd
    }

    /// The platform data dir the binary uses in this HOME.
    pub fn data_dir(&self) -> PathBuf {
        self.home.path().join(".local/share/rolecall")
    }

    /// The scope the binary runs in (`AwsOptions::scope`: its profile, key and endpoint).
    pub fn scope(emu: &Emulator) -> String {
        AwsOptions {
            profile: Some("default".into()),
            endpoint_url: Some(emu.endpoint.clone()),
            credentials: Some(Credentials {
                access_key_id: emu.primary_key().0.to_string(),
                secret_access_key: Secret::default(),
                session_token: None,
                expiration: None,
            }),
            ..AwsOptions::default()
        }
        .scope()
    }

    pub fn open(&self, kind: CacheKind, scope: &str) -> Result<SessionCache, String> {
        SessionCache::open_in(kind, scope, &self.data_dir())
    }
}

const SECRET: &str = "kEpTsEcReT/0123456789abcdefghijKLMNOPQRSTU";
const TOKEN: &str = "IQoJb3JpZ2luX2VjEKePtToKeN//////////wEaCXVzLWVhc3QtMSJHMEUCIQ";

fn session(minutes: i64) -> Session {
    let expiration = Utc::now() + chrono::Duration::minutes(minutes);
    Session {
        role_arn: "arn:aws:iam::222222222222:role/ResponderRole"
            .parse()
            .unwrap(),
        assumed_role_arn: "arn:aws:sts::222222222222:assumed-role/ResponderRole/rolecall".into(),
        credentials: Credentials {
            access_key_id: "ASIAKEPTSESSION00001".into(),
            secret_access_key: Secret::new(SECRET),
            session_token: Some(Secret::new(TOKEN)),
            expiration: Some(expiration),
        },
        expiration,
    }
}

/// Where under `home` the secret or the session token is written.
fn holding_secrets(home: &Path) -> Vec<PathBuf> {
    files_under(home)
        .into_iter()
        .filter(|(_, text)| text.contains(SECRET) || text.contains(TOKEN))
        .map(|(p, _)| p)
        .collect()
}

fn no_secret_in(out: &crate::common::Run) {
    for s in [SECRET, TOKEN] {
        assert!(
            !out.stdout.contains(s),
            "a secret on stdout:\n{}",
            out.stdout
        );
        assert!(
            !out.stderr.contains(s),
            "a secret on stderr:\n{}",
            out.stderr
        );
    }
}

#[test]
fn the_file_cache_is_listed_without_secrets_kept_private_and_cleared() {
    use std::os::unix::fs::PermissionsExt;
    let emu = emulator();
    let kept = Kept::new("[sessions]\ncache = \"file\"\n");
    let scope = Kept::scope(emu);

    let out = run(kept.cmd(emu).args(["sessions", "--json"])).ok();
    assert_eq!(out.json()["cache"], "file");
    assert_eq!(out.json()["sessions"], serde_json::json!([]));
    let out = run(kept.cmd(emu).arg("sessions")).ok();
    assert!(out.stdout.contains("No session is kept"), "{}", out.stdout);

    let cache = kept.open(CacheKind::File, &scope).unwrap();
    let label = "arn:aws:iam::222222222222:role/ResponderRole";
    cache.put("request-1", label, &session(60));
    // The same request in another scope (another endpoint): kept, but not this scope's.
    let other = kept
        .open(CacheKind::File, "profile=default;key=AKIAOTHER;endpoint=")
        .unwrap();
    other.put("request-1", "another endpoint's", &session(60));

    let out = run(kept.cmd(emu).args(["sessions", "--json"])).ok();
    no_secret_in(&out);
    let doc = out.json();
    let list = doc["sessions"].as_array().unwrap();
    assert_eq!(list.len(), 1, "this scope's only: {doc}");
    assert_eq!(list[0]["label"], label);
    assert_eq!(list[0]["role_arn"], label);
    assert_eq!(
        list[0]["assumed_role_arn"],
        "arn:aws:sts::222222222222:assumed-role/ResponderRole/rolecall"
    );
    assert_eq!(list[0]["access_key_id"], "ASIAKEPTSESSION00001");
    assert_eq!(list[0]["expired"], false);
    let sessions_dir = kept.data_dir().join("sessions");
    assert_eq!(doc["location"], sessions_dir.to_str().unwrap());

    let out = run(kept.cmd(emu).arg("sessions")).ok();
    no_secret_in(&out);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", out.stdout);
    assert!(lines[0].starts_with("LABEL") && lines[0].contains("ACCESS KEY ID"));
    assert!(lines[1].contains(label) && lines[1].contains("ASIAKEPTSESSION00001"));

    // The secrets are in the cache's files, 0600 in a 0700 folder, and nowhere else.
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&sessions_dir), 0o700);
    let holding = holding_secrets(kept.home.path());
    assert_eq!(holding.len(), 2, "{holding:?}");
    for path in &holding {
        assert_eq!(path.parent(), Some(sessions_dir.as_path()), "{path:?}");
        assert_eq!(mode(path), 0o600, "{path:?}");
    }

    // --clear drops every scope's; nothing secret is left.
    let out = run(kept.cmd(emu).args(["sessions", "--clear"])).ok();
    assert!(
        out.stderr.contains("dropped 2 kept sessions"),
        "{}",
        out.stderr
    );
    let out = run(kept.cmd(emu).args(["sessions", "--json"])).ok();
    assert_eq!(out.json()["sessions"], serde_json::json!([]));
    assert_eq!(holding_secrets(kept.home.path()), Vec::<PathBuf>::new());
    assert!(cache.get("request-1", std::time::Duration::ZERO).is_none());
}

#[test]
fn with_no_cache_sessions_says_how_to_turn_it_on_and_clear_drops_what_an_earlier_one_kept() {
    let emu = emulator();
    let kept = Kept::new("");
    let out = run(kept.cmd(emu).arg("sessions")).ok();
    assert!(out.stdout.contains("No session cache"), "{}", out.stdout);
    assert!(
        out.stdout.contains("cache = \"keyring\"") && out.stdout.contains("\"file\""),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains(kept.config.to_str().unwrap()));
    let out = run(kept.cmd(emu).args(["sessions", "--json"])).ok();
    assert_eq!(out.json()["cache"], "none");

    // Kept while the config said "file", then the setting was removed.
    let cache = kept.open(CacheKind::File, &Kept::scope(emu)).unwrap();
    cache.put("request-1", "left behind", &session(60));
    assert_eq!(holding_secrets(kept.home.path()).len(), 1);
    let out = run(kept.cmd(emu).args(["sessions", "--clear", "--json"])).ok();
    assert_eq!(out.json()["cleared"], 1);
    assert_eq!(holding_secrets(kept.home.path()), Vec::<PathBuf>::new());
}

#[test]
fn a_file_cache_others_can_read_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let emu = emulator();
    let kept = Kept::new("[sessions]\ncache = \"file\"\n");
    let dir = kept.data_dir().join("sessions");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = run(kept.cmd(emu).arg("sessions")).fails();
    assert!(
        out.stderr.contains("[sessions] cache = \"file\"") && out.stderr.contains("mode 755"),
        "{}",
        out.stderr
    );
}

/// The OS keyring (keyutils here): a session kept by one process is listed by another, its
/// secrets are in no file, and `--clear` takes them out of the keyring. Where the keyring cannot
/// be used (a container whose seccomp forbids keyutils), `sessions` says so and names "file".
#[test]
fn the_keyring_cache_keeps_secrets_out_of_every_file() {
    let emu = emulator();
    let kept = Kept::new("[sessions]\ncache = \"keyring\"\n");
    let scope = Kept::scope(emu);
    let cache = match kept.open(CacheKind::Keyring, &scope) {
        Ok(c) => c,
        Err(e) => {
            let out = run(kept.cmd(emu).arg("sessions")).fails();
            assert!(
                out.stderr.contains("[sessions] cache = \"file\""),
                "{}",
                out.stderr
            );
            eprintln!("no OS keyring here, only its refusal was checked: {e}");
            return;
        }
    };
    // A key of this run's own: the keyring is the machine's, shared with other runs.
    let key = format!("request-{}-{}", std::process::id(), fastrand::u64(..));
    cache.put(&key, "kept in the keyring", &session(60));
    assert!(cache.get(&key, std::time::Duration::ZERO).is_some());

    let out = run(kept.cmd(emu).args(["sessions", "--json"])).ok();
    no_secret_in(&out);
    let doc = out.json();
    assert_eq!(doc["cache"], "keyring");
    let list = doc["sessions"].as_array().unwrap();
    assert_eq!(list.len(), 1, "another process reads the keyring: {doc}");
    assert_eq!(list[0]["label"], "kept in the keyring");
    assert_eq!(holding_secrets(kept.home.path()), Vec::<PathBuf>::new());

    let out = run(kept.cmd(emu).args(["sessions", "--clear", "--json"])).ok();
    assert_eq!(out.json()["cleared"], 1);
    // Out of the keyring, as another SessionCache (another set of entries) sees it.
    let fresh = kept.open(CacheKind::Keyring, &scope).unwrap();
    assert!(fresh.get(&key, std::time::Duration::ZERO).is_none());
    assert!(fresh.list().unwrap().is_empty());
}

/// The STS calls (`action`) this test made: those naming its own session name, or its own MFA
/// device.
fn sts_calls(emu: &Emulator, action: &str, mark: &str) -> Vec<serde_json::Value> {
    emu.requests()
        .into_iter()
        .filter(|r| {
            r["action"] == action
                && (r["RoleSessionName"].as_str() == Some(mark)
                    || r["SerialNumber"].as_str() == Some(mark))
        })
        .collect()
}

#[test]
fn with_a_cache_the_next_run_reuses_the_session_and_one_mfa_code_serves_until_the_mfa_session_ends()
{
    let emu = emulator();
    // Marks of this test's own (the recorder holds every test's calls).
    let stamp = std::process::id();
    let name = format!("kept-{stamp}");
    let serial = format!("arn:aws:iam::111111111111:mfa/kept-{stamp}");
    let kept = Kept::new("");
    std::fs::write(
        &kept.config,
        format!(
            "[sessions]\ncache = \"file\"\n\n[[role]]\narn = \"{}\"\nname = \"kept\"\nsession_name = \"{name}\"\nmfa_serial = \"{serial}\"\n",
            emu.role_arn("sandbox")
        ),
    )
    .unwrap();
    let assume = |extra: &[&str]| {
        let mut cmd = kept.cmd(emu);
        cmd.args(["assume", "kept", "--format", "credential-process"])
            .args(extra)
            .stdin(std::process::Stdio::null());
        run(&mut cmd)
    };
    let key_of = |out: &crate::common::Run| out.json()["AccessKeyId"].as_str().unwrap().to_string();

    // The first run needs the code: GetSessionToken once, then AssumeRole with that session.
    let first = assume(&["--token-code", "123456"]).ok();
    assert_eq!(sts_calls(emu, "GetSessionToken", &serial).len(), 1);
    let assumed = sts_calls(emu, "AssumeRole", &name);
    assert_eq!(assumed.len(), 1, "{assumed:?}");
    assert_eq!(assumed[0]["token_code_sent"], false, "{assumed:?}");
    let mfa_key = assumed[0]["access_key_id"].as_str().unwrap().to_string();
    assert_ne!(mfa_key, emu.primary_key().0, "assumed as the MFA session");

    // The next run (a credential_process call) takes the kept role session: no call, no code.
    let second = assume(&[]).ok();
    assert_eq!(key_of(&second), key_of(&first));
    assert_eq!(sts_calls(emu, "AssumeRole", &name).len(), 1);

    // Another session of the role (another duration): assumed anew, as the kept MFA session,
    // without a code and without GetSessionToken.
    let longer = assume(&["--duration", "2h"]).ok();
    assert_ne!(key_of(&longer), key_of(&first));
    let assumed = sts_calls(emu, "AssumeRole", &name);
    assert_eq!(assumed.len(), 2, "{assumed:?}");
    assert_eq!(assumed[1]["access_key_id"].as_str(), Some(mfa_key.as_str()));
    assert_eq!(assumed[1]["token_code_sent"], false);
    assert_eq!(sts_calls(emu, "GetSessionToken", &serial).len(), 1);

    // `sessions` shows all three, no secret; the secrets are in the 0600 files only.
    let listed = run(kept.cmd(emu).args(["sessions", "--json"])).ok();
    no_secret_in(&listed);
    let labels: Vec<String> = listed.json()["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["label"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(labels.len(), 3, "{labels:?}");
    assert!(
        labels.contains(&format!("MFA session of {serial}")),
        "{labels:?}"
    );
    let secret = first.json()["SecretAccessKey"]
        .as_str()
        .unwrap()
        .to_string();
    let holding: Vec<PathBuf> = files_under(kept.home.path())
        .into_iter()
        .filter(|(_, text)| text.contains(&secret))
        .map(|(p, _)| p)
        .collect();
    assert_eq!(holding.len(), 1, "{holding:?}");
    assert!(
        holding[0].starts_with(kept.data_dir().join("sessions")),
        "{holding:?}"
    );

    // Once dropped, a run without a code cannot have the role, and says so.
    run(kept.cmd(emu).args(["sessions", "--clear"])).ok();
    let refused = assume(&["--duration", "3h"]).fails();
    assert!(refused.stderr.contains(&serial), "{}", refused.stderr);
    assert_eq!(sts_calls(emu, "AssumeRole", &name).len(), 2);
}
