//! IAM Identity Center (`[[sso]]`) through the real binary, against the emulator's stand-in of
//! the portal and OIDC (tests/emulator/sso.py, on the emulator's endpoint, which rolecall
//! reaches through AWS_ENDPOINT_URL) and its request recorder.
//!
//! Every test has a HOME of its own and a sign-in session of its own (minted through the
//! stand-in's `/_sso/token`): no primary credentials at all, only the token where `aws sso login`
//! keeps it. Its own token also keeps each test's portal calls apart in the recorder (which
//! records the SHA-256 of the token each portal call carried) and within the portal's 20 calls
//! a second per token.
#![cfg(target_os = "linux")]

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::common::{emulator, files_under, run, Emulator, Run};

const PROD: &str = "222222222222";
const STAGING: &str = "333333333333";
const EMPTY: &str = "444444444444";

/// A plain HTTP/1.0 request to the emulator (its own pages: no signing): status and body.
fn http(method: &str, url: &str) -> (u16, String) {
    let rest = url.strip_prefix("http://").expect("an http:// URL");
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let path = if path.is_empty() { "/" } else { path };
    let mut stream = std::net::TcpStream::connect(host).unwrap();
    write!(
        stream,
        "{method} {path} HTTP/1.0\r\nHost: {host}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut text = String::new();
    stream.read_to_string(&mut text).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, body.to_string())
}

pub(crate) fn sso(emu: &Emulator, key: &str) -> String {
    emu.world["sso"][key].as_str().unwrap().to_string()
}

/// A new sign-in session: what `aws sso login` writes to the token cache (access token valid
/// `expires_in` seconds from now; negative: expired), with a refresh token.
pub(crate) fn mint(emu: &Emulator, expires_in: i64) -> Value {
    let (status, body) = http(
        "POST",
        &format!("{}?expires_in={expires_in}", sso(emu, "mint_url")),
    );
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).unwrap()
}

fn sha256(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

pub(crate) fn sha1_hex(s: &str) -> String {
    use sha1::Sha1;
    hex::encode(Sha1::digest(s.as_bytes()))
}

/// Everything the recorder saw, oldest first.
fn recorded(emu: &Emulator) -> Vec<Value> {
    let (status, body) = http("GET", &sso(emu, "recorder_url"));
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).unwrap()
}

/// The portal calls made with `token`.
fn portal_calls<'a>(records: &'a [Value], token: &str) -> Vec<&'a Value> {
    let hash = sha256(token);
    records
        .iter()
        .filter(|r| r["service"] == "sso" && r["token_sha256"] == hash.as_str())
        .collect()
}

/// How `[[sso]]` names the portal.
enum Portal {
    /// `start_url` and `region` in `[[sso]]`: the token file is the SHA-1 of the start URL.
    StartUrl,
    /// `session = NAME` of an `[sso-session NAME]` in the AWS config file: the SHA-1 of NAME.
    Session,
}

/// A HOME of the test's own: the config (`[[sso]]` and `extra`), the AWS config file, the token.
struct SsoHome {
    home: tempfile::TempDir,
    config: PathBuf,
    aws_config: PathBuf,
    token_file: PathBuf,
}

impl SsoHome {
    fn new(emu: &Emulator, how: Portal, extra: &str) -> SsoHome {
        let home = tempfile::tempdir().unwrap();
        let start_url = sso(emu, "start_url");
        let region = sso(emu, "region");
        let session = sso(emu, "session_name");
        let (entry, aws_config, cache_id) = match how {
            Portal::StartUrl => (
                format!("[[sso]]\nstart_url = \"{start_url}\"\nregion = \"{region}\"\n"),
                String::new(),
                start_url.clone(),
            ),
            Portal::Session => (
                format!("[[sso]]\nsession = \"{session}\"\n"),
                format!(
                    "[sso-session {session}]\nsso_start_url = {start_url}\nsso_region = {region}\nsso_registration_scopes = sso:account:access\n"
                ),
                session.clone(),
            ),
        };
        let config = home.path().join("config.toml");
        std::fs::write(
            &config,
            format!("[defaults]\nregions = [\"us-east-1\"]\n\n{entry}\n{extra}"),
        )
        .unwrap();
        let aws_config_path = home.path().join("aws-config");
        std::fs::write(&aws_config_path, aws_config).unwrap();
        std::fs::write(home.path().join("aws-credentials"), "").unwrap();
        let token_file = home
            .path()
            .join(".aws/sso/cache")
            .join(format!("{}.json", sha1_hex(&cache_id)));
        SsoHome {
            home,
            config,
            aws_config: aws_config_path,
            token_file,
        }
    }

    /// Puts a sign-in session where `aws sso login` keeps it.
    fn sign_in(&self, token: &Value) {
        std::fs::create_dir_all(self.token_file.parent().unwrap()).unwrap();
        std::fs::write(&self.token_file, token.to_string()).unwrap();
    }

    fn token(&self) -> Value {
        serde_json::from_str(&std::fs::read_to_string(&self.token_file).unwrap()).unwrap()
    }

    /// `rolecall` with no primary credentials (the harness's bare command sets none), in this
    /// HOME.
    fn cmd(&self, emu: &Emulator) -> Command {
        let home = self.home.path();
        let mut cmd = emu.bare_command();
        cmd.env("HOME", home)
            .env("XDG_CONFIG_HOME", home.join(".config"))
            .env("XDG_DATA_HOME", home.join(".local/share"))
            .env("XDG_CACHE_HOME", home.join(".cache"))
            .env("XDG_STATE_HOME", home.join(".local/state"))
            .env("AWS_CONFIG_FILE", &self.aws_config)
            .env("AWS_SHARED_CREDENTIALS_FILE", home.join("aws-credentials"))
            .env("ROLECALL_CONFIG", &self.config);
        cmd
    }

    fn run(&self, emu: &Emulator, args: &[&str]) -> Run {
        run(self.cmd(emu).args(args))
    }

    /// `rolecall assume ROLE --format credential-process`, as the AWS CLI runs it.
    fn assume(&self, emu: &Emulator, role: &str) -> Run {
        self.run(emu, &["assume", role, "--format", "credential-process"])
    }

    /// None of `secrets` is in a file under this HOME but the token file, nor in `out`.
    fn secrets_only_in_the_token_file(&self, secrets: &[&str], outs: &[&Run]) {
        for (path, text) in files_under(self.home.path()) {
            if path == self.token_file {
                continue;
            }
            for s in secrets {
                assert!(!text.contains(s), "a secret in {}", path.display());
            }
        }
        for out in outs {
            for s in secrets {
                assert!(
                    !out.stderr.contains(s),
                    "a secret on stderr:\n{}",
                    out.stderr
                );
            }
        }
    }
}

/// `roles --json` as (role name → (account id, reached, from)), every account's.
fn sso_roles(doc: &Value) -> BTreeMap<String, (String, String, String)> {
    doc["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|a| {
            let id = a["id"].as_str().unwrap().to_string();
            a["roles"].as_array().unwrap().iter().map(move |r| {
                (
                    r["name"].as_str().unwrap().to_string(),
                    (
                        id.clone(),
                        r["reached"].as_str().unwrap().to_string(),
                        r["from"].as_str().unwrap_or_default().to_string(),
                    ),
                )
            })
        })
        .collect()
}

/// What the world's portal assigns: role name (`account-slug/PermissionSet`) → account id.
fn assigned(emu: &Emulator) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for a in emu.world["sso"]["accounts"].as_array().unwrap() {
        let slug = a["name"].as_str().unwrap().to_lowercase().replace(' ', "-");
        for ps in a["roles"].as_array().unwrap() {
            out.insert(
                format!("{slug}/{}", ps.as_str().unwrap()),
                a["id"].as_str().unwrap().to_string(),
            );
        }
    }
    out
}

/// Every assigned account's roles, all pages, each reached through the portal; the account
/// with no role gives none.
fn check_roles(emu: &Emulator, doc: &Value) {
    let world = &emu.world["sso"];
    let accounts = world["accounts"].as_array().unwrap();
    assert_eq!(accounts.len(), 23);
    assert!(accounts.len() > world["page_size"].as_u64().unwrap() as usize * 2);
    let roles = sso_roles(doc);
    let want = assigned(emu);
    assert_eq!(want.len(), 24);
    let got: BTreeMap<String, String> = roles
        .iter()
        .map(|(n, (id, _, _))| (n.clone(), id.clone()))
        .collect();
    assert_eq!(got, want, "{doc:#}");
    let start_url = world["start_url"].as_str().unwrap();
    for (name, (_, reached, from)) in &roles {
        assert_eq!(reached, "sso", "{name}");
        assert_eq!(from, start_url, "{name}");
    }
    // The last page's accounts are there: workload-19 is the portal's 23rd.
    assert!(roles.contains_key("workload-19/ReadOnly"));
    let ids: BTreeSet<&str> = doc["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert!(!ids.contains(EMPTY), "the account with no role: {ids:?}");
    assert_eq!(ids.len(), 22);
    assert_eq!(doc["warnings"], json!([]), "nothing to warn about: {doc:#}");
}

#[test]
fn with_only_an_sso_token_roles_lists_every_assigned_account_and_instances_all_goes_through_them() {
    let emu = emulator();
    let h = SsoHome::new(emu, Portal::StartUrl, "");
    let token = mint(emu, 8 * 3600);
    h.sign_in(&token);
    let access = token["accessToken"].as_str().unwrap();

    let roles = h.run(emu, &["roles", "--json"]).ok();
    check_roles(emu, &roles.json());
    // The primary identity: none (no credentials), which is not an error with [[sso]].
    assert_eq!(roles.json()["primary"]["account"], "", "{}", roles.stdout);
    let records = recorded(emu);
    let calls = portal_calls(&records, access);
    let list_accounts = calls
        .iter()
        .filter(|r| r["action"] == "ListAccounts")
        .count();
    assert_eq!(list_accounts, 3, "23 accounts in pages of 10");
    let listed: BTreeSet<&str> = calls
        .iter()
        .filter(|r| r["action"] == "ListAccountRoles")
        .map(|r| r["account_id"].as_str().unwrap())
        .collect();
    assert_eq!(listed.len(), 23, "each account's roles asked for once");
    assert!(listed.contains(EMPTY));

    let out = h.run(emu, &["instances", "--all", "--json"]).ok();
    let rows = out.json();
    let mut by_account: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for r in rows.as_array().unwrap() {
        by_account
            .entry(r["account_id"].as_str().unwrap().to_string())
            .or_default()
            .insert(r["instance_id"].as_str().unwrap().to_string());
    }
    let in_us_east_1 = |account: &str| -> BTreeSet<String> {
        emu.world["instances"][account]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["region"] == "us-east-1")
            .map(|i| i["id"].as_str().unwrap().to_string())
            .collect()
    };
    let payments = emu.world["organization"]["accounts"]["Payments Prod"]
        .as_str()
        .unwrap()
        .to_string();
    let want: BTreeMap<String, BTreeSet<String>> = [
        (PROD.to_string(), in_us_east_1(PROD)),
        (STAGING.to_string(), in_us_east_1(STAGING)),
        (
            payments,
            [emu.world["organization"]["payments_instance"]
                .as_str()
                .unwrap()
                .to_string()]
            .into(),
        ),
    ]
    .into();
    assert_eq!(by_account, want, "stderr:\n{}", out.stderr);
    assert_eq!(want[PROD].len(), 3);
    assert_eq!(want[STAGING].len(), 12);
    assert!(
        !out.stderr.contains("warning"),
        "every account answered: {}",
        out.stderr
    );
    // One session per account, each GetRoleCredentials with this test's token.
    let records = recorded(emu);
    let got: BTreeSet<&str> = portal_calls(&records, access)
        .into_iter()
        // Answered ones: a call the portal throttled (429) is retried, not made twice.
        .filter(|r| r["action"] == "GetRoleCredentials" && r["status"] == 200)
        .map(|r| r["account_id"].as_str().unwrap())
        .collect();
    assert_eq!(got.len(), 22, "{got:?}");
    assert!(!got.contains(EMPTY));

    h.secrets_only_in_the_token_file(
        &[
            access,
            token["refreshToken"].as_str().unwrap(),
            token["clientSecret"].as_str().unwrap(),
        ],
        &[&roles, &out],
    );
}

#[test]
fn an_sso_session_of_the_aws_config_file_names_the_portal_and_the_token_file() {
    let emu = emulator();
    let h = SsoHome::new(emu, Portal::Session, "");
    assert_eq!(
        h.token_file.file_name().unwrap().to_str().unwrap(),
        sso(emu, "cache_file"),
        "the AWS CLI's name: the SHA-1 of the session name"
    );
    let token = mint(emu, 8 * 3600);
    h.sign_in(&token);
    let roles = h.run(emu, &["roles", "--json"]).ok();
    check_roles(emu, &roles.json());
    // An SSO role is assumed with the token: credentials of that account.
    let out = h.assume(emu, "prod/IncidentResponder").ok();
    let doc = out.json();
    assert!(doc["AccessKeyId"].as_str().unwrap().starts_with("ASIA"));
    let records = recorded(emu);
    let grc: Vec<_> = portal_calls(&records, token["accessToken"].as_str().unwrap())
        .into_iter()
        // Answered ones: a call the portal throttled (429) is retried, not made twice.
        .filter(|r| r["action"] == "GetRoleCredentials" && r["status"] == 200)
        .collect();
    assert_eq!(grc.len(), 1, "{grc:?}");
    assert_eq!(grc[0]["account_id"], PROD);
    assert_eq!(grc[0]["role_name"], "IncidentResponder");
    // The session's calls are signed with the key GetRoleCredentials gave.
    let key = doc["AccessKeyId"].as_str().unwrap();
    assert!(
        records
            .iter()
            .any(|r| r["action"] == "GetCallerIdentity" && r["access_key_id"] == key),
        "rolecall asked STS whose session it is, with that session"
    );
    h.secrets_only_in_the_token_file(
        &[
            token["accessToken"].as_str().unwrap(),
            token["refreshToken"].as_str().unwrap(),
            token["clientSecret"].as_str().unwrap(),
            doc["SecretAccessKey"].as_str().unwrap(),
            doc["SessionToken"].as_str().unwrap(),
        ],
        &[&roles, &out],
    );
}

#[test]
fn an_expired_token_is_refreshed_and_written_back_as_the_aws_cli_writes_it() {
    use std::os::unix::fs::PermissionsExt;
    let emu = emulator();
    let h = SsoHome::new(emu, Portal::Session, "");
    let old = mint(emu, -3600);
    h.sign_in(&old);
    let out = h.run(emu, &["roles", "--json"]).ok();
    check_roles(emu, &out.json());

    let new = h.token();
    let keys: BTreeSet<&str> = new
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "startUrl",
            "region",
            "accessToken",
            "expiresAt",
            "clientId",
            "clientSecret",
            "registrationExpiresAt",
            "refreshToken"
        ]
        .into(),
        "the AWS CLI's fields: {new:#}"
    );
    assert_ne!(new["accessToken"], old["accessToken"]);
    for same in [
        "startUrl",
        "region",
        "clientId",
        "clientSecret",
        "registrationExpiresAt",
    ] {
        assert_eq!(new[same], old[same], "{same}");
    }
    // The refresh token CreateToken gave back (the stand-in rotates it, as AWS may).
    assert!(new["refreshToken"].is_string());
    assert_ne!(new["refreshToken"], old["refreshToken"]);
    // `2026-12-05T18:00:00Z`, about 8 h (the stand-in's token life) from now.
    let at = new["expiresAt"].as_str().unwrap();
    assert!(at.ends_with('Z') && at.len() == 20, "{at}");
    let left = chrono::DateTime::parse_from_rfc3339(at)
        .unwrap()
        .signed_duration_since(chrono::Utc::now())
        .num_seconds();
    assert!((8 * 3600 - 120..=8 * 3600).contains(&left), "{left} s");
    let mode = std::fs::metadata(&h.token_file)
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o077, 0, "readable by the user only: {mode:o}");

    // The portal saw the new token only: the expired one was not sent.
    let records = recorded(emu);
    assert!(portal_calls(&records, old["accessToken"].as_str().unwrap()).is_empty());
    let with_new = portal_calls(&records, new["accessToken"].as_str().unwrap());
    assert_eq!(
        with_new
            .iter()
            .filter(|r| r["action"] == "ListAccounts")
            .count(),
        3
    );
    h.secrets_only_in_the_token_file(
        &[
            old["accessToken"].as_str().unwrap(),
            new["accessToken"].as_str().unwrap(),
            new["refreshToken"].as_str().unwrap(),
            new["clientSecret"].as_str().unwrap(),
        ],
        &[&out],
    );
}

#[test]
fn an_expired_token_that_cannot_be_refreshed_is_an_error_naming_rolecall_login() {
    let emu = emulator();
    // max_age 0: every run asks the portal again (the list cached before is the fallback).
    let h = SsoHome::new(emu, Portal::Session, "max_age = \"0s\"\n");
    // First signed in: the portal's list is read and cached.
    let good = mint(emu, 8 * 3600);
    h.sign_in(&good);
    h.run(emu, &["roles", "--json"]).ok();
    // Then the token expired and there is nothing to refresh it with.
    let mut expired = mint(emu, -3600);
    expired.as_object_mut().unwrap().remove("refreshToken");
    h.sign_in(&expired);

    let login = format!("rolecall login --sso {}", sso(emu, "session_name"));
    let assume = h.assume(emu, "prod/IncidentResponder");
    let assume = assume.fails();
    assert!(
        assume.stderr.contains(&login) && assume.stderr.contains("expired"),
        "{}",
        assume.stderr
    );
    assert!(assume.stdout.is_empty(), "{}", assume.stdout);

    let all = h.run(emu, &["instances", "--all", "--json"]).fails();
    assert!(all.stderr.contains(&login), "{}", all.stderr);

    // The list still shows the roles read before (cached), with a warning that says why and
    // how to sign in again.
    let roles = h.run(emu, &["roles", "--json"]).ok();
    let doc = roles.json();
    assert_eq!(sso_roles(&doc).len(), 24, "{doc:#}");
    let warnings = doc["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    let w = warnings[0].as_str().unwrap();
    assert!(
        w.contains(&login) && w.contains("using the list read at"),
        "{w}"
    );

    for out in [&assume, &all, &roles] {
        assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    }
    // The token file is left as it was: nothing written over it.
    assert_eq!(h.token(), expired);
    h.secrets_only_in_the_token_file(
        &[
            good["accessToken"].as_str().unwrap(),
            expired["accessToken"].as_str().unwrap(),
            good["refreshToken"].as_str().unwrap(),
        ],
        &[&assume, &all, &roles],
    );
}

#[test]
fn with_no_token_at_all_roles_warns_naming_rolecall_login() {
    let emu = emulator();
    let h = SsoHome::new(emu, Portal::Session, "");
    let out = h.run(emu, &["roles", "--json"]).ok();
    let doc = out.json();
    assert_eq!(doc["accounts"], json!([]), "{doc:#}");
    let warnings = doc["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    let w = warnings[0].as_str().unwrap();
    assert!(
        w.contains(&format!(
            "rolecall login --sso {}",
            sso(emu, "session_name")
        )) && w.contains(&h.token_file.display().to_string()),
        "says there is no token where it looked, and how to sign in: {w}"
    );
}

/// `--all` with no token and no other role: the error says why no role is known (the portal
/// could not be read) and how to sign in, not to add `[[role]]` tables.
#[test]
fn with_no_token_at_all_the_error_names_rolecall_login() {
    let emu = emulator();
    let h = SsoHome::new(emu, Portal::Session, "");
    let out = h.run(emu, &["instances", "--all", "--json"]);
    assert_ne!(out.code, Some(0), "{}", out.stderr);
    assert_ne!(out.code, Some(101), "a panic: {}", out.stderr);
    assert!(
        out.stderr.contains(&format!(
            "rolecall login --sso {}",
            sso(emu, "session_name")
        )),
        "{}",
        out.stderr
    );
}

/// A `BROWSER` that does what the person does: opens the link (approving the code in it).
fn approving_browser(dir: &Path) -> (PathBuf, PathBuf) {
    use std::os::unix::fs::PermissionsExt;
    let script = dir.join("browser.sh");
    let log = dir.join("opened.txt");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$1\" >> '{}'\ncurl -fsS -o /dev/null \"$1\"\n",
            log.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    (script, log)
}

#[test]
fn login_signs_in_with_the_device_flow_and_keeps_the_token_for_the_next_command() {
    let emu = emulator();
    let h = SsoHome::new(emu, Portal::Session, "");
    let tools = tempfile::tempdir().unwrap();
    let (browser, opened) = approving_browser(tools.path());
    assert!(!h.token_file.exists());
    let mut cmd = h.cmd(emu);
    cmd.env("BROWSER", &browser).arg("login");
    let login = run(&mut cmd).ok();

    let opened = std::fs::read_to_string(&opened).unwrap();
    let verify = sso(emu, "verify_url");
    assert!(
        opened.starts_with(&format!("{verify}?user_code=")),
        "{opened}"
    );
    let code = opened.trim().rsplit('=').next().unwrap();
    assert!(login.stderr.contains(code), "{}", login.stderr);
    assert!(
        login.stderr.contains(&h.token_file.display().to_string()),
        "says where the token is: {}",
        login.stderr
    );

    let token = h.token();
    assert_eq!(token["startUrl"], sso(emu, "start_url"));
    assert_eq!(token["region"], sso(emu, "region"));
    for k in [
        "accessToken",
        "expiresAt",
        "clientId",
        "clientSecret",
        "registrationExpiresAt",
        "refreshToken",
    ] {
        assert!(token[k].is_string(), "{k} in {token:#}");
    }
    let roles = h.run(emu, &["roles", "--json"]).ok();
    check_roles(emu, &roles.json());
    let records = recorded(emu);
    assert_eq!(
        portal_calls(&records, token["accessToken"].as_str().unwrap())
            .iter()
            .filter(|r| r["action"] == "ListAccounts")
            .count(),
        3
    );
    h.secrets_only_in_the_token_file(
        &[
            token["accessToken"].as_str().unwrap(),
            token["refreshToken"].as_str().unwrap(),
            token["clientSecret"].as_str().unwrap(),
        ],
        &[&login, &roles],
    );
}

#[test]
fn login_without_a_browser_prints_the_link_the_person_opens() {
    use std::io::BufRead;
    let emu = emulator();
    let h = SsoHome::new(emu, Portal::StartUrl, "");
    let mut child = h
        .cmd(emu)
        .args(["login", "--no-browser"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut lines = std::io::BufReader::new(stderr).lines();
    let verify = sso(emu, "verify_url");
    let mut seen = String::new();
    let link = loop {
        let line = lines.next().expect("a link on stderr").unwrap();
        seen.push_str(&line);
        seen.push('\n');
        if let Some(at) = line.find(&format!("{verify}?user_code=")) {
            break line[at..].trim().to_string();
        }
    };
    // Nothing is signed in until the person confirms.
    std::thread::sleep(std::time::Duration::from_millis(1500));
    assert!(!h.token_file.exists());
    let (status, body) = http("GET", &link);
    assert_eq!(status, 200, "{body}");
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    let status = child.wait().unwrap();
    seen.push_str(&rest.join("\n"));
    assert!(status.success(), "{seen}");
    assert!(seen.contains("signed in to"), "{seen}");
    let token = h.token();
    let roles = h.run(emu, &["roles", "--json"]).ok();
    check_roles(emu, &roles.json());
    assert!(!seen.contains(token["accessToken"].as_str().unwrap()));
}

#[test]
fn a_role_reached_via_an_sso_role_carries_its_source_identity() {
    let emu = emulator();
    let who = format!("sso-it-{}", std::process::id());
    let target = emu.role_arn("prod-responder");
    let h = SsoHome::new(
        emu,
        Portal::Session,
        &format!(
            "[[role]]\narn = \"{target}\"\nname = \"chained\"\nvia = \"prod/IncidentResponder\"\nsource_identity = \"{who}\"\n"
        ),
    );
    let token = mint(emu, 8 * 3600);
    h.sign_in(&token);
    // Assumed before any listing: the `via` role is found by reading the portal.
    let out = h.assume(emu, "chained").ok();
    // And the listing says how it is reached.
    let roles = h.run(emu, &["roles", "--json"]).ok().json();
    let (account, reached, from) = sso_roles(&roles)["chained"].clone();
    assert_eq!(
        (account.as_str(), reached.as_str()),
        (PROD, "via"),
        "{roles:#}"
    );
    assert!(
        from.contains(PROD) && from.contains("IncidentResponder"),
        "{from}"
    );
    let doc = out.json();
    let records = recorded(emu);
    let assumed: Vec<&Value> = records
        .iter()
        .filter(|r| r["action"] == "AssumeRole" && r["SourceIdentity"] == who.as_str())
        .collect();
    assert_eq!(assumed.len(), 1, "{assumed:?}");
    let ar = assumed[0];
    assert_eq!(ar["RoleArn"], target);
    assert_eq!(ar["service"], "sts");
    // Signed with the Identity Center session's key: GetRoleCredentials for that role, with
    // this test's token, came first (there are no other credentials).
    let key = ar["access_key_id"].as_str().unwrap();
    assert!(key.starts_with("ASIA"), "{key}");
    let grc: Vec<&Value> = portal_calls(&records, token["accessToken"].as_str().unwrap())
        .into_iter()
        // Answered ones: a call the portal throttled (429) is retried, not made twice.
        .filter(|r| r["action"] == "GetRoleCredentials" && r["status"] == 200)
        .collect();
    assert_eq!(grc.len(), 1, "{grc:?}");
    assert_eq!(grc[0]["account_id"], PROD);
    assert_eq!(grc[0]["role_name"], "IncidentResponder");
    assert!(grc[0]["seq"].as_u64() < ar["seq"].as_u64());
    assert_ne!(doc["AccessKeyId"], key, "the chained role's own session");
    h.secrets_only_in_the_token_file(
        &[
            token["accessToken"].as_str().unwrap(),
            token["refreshToken"].as_str().unwrap(),
            doc["SecretAccessKey"].as_str().unwrap(),
        ],
        &[&out],
    );
}

/// On a fresh cache an Identity Center role is known by name: the portal is read when the name
/// is not among the roles known locally.
#[test]
fn an_sso_role_is_known_by_name_before_any_listing() {
    let emu = emulator();
    let h = SsoHome::new(emu, Portal::Session, "");
    let token = mint(emu, 8 * 3600);
    h.sign_in(&token);
    let out = h.assume(emu, "prod/IncidentResponder").ok();
    assert!(out.json()["AccessKeyId"]
        .as_str()
        .unwrap()
        .starts_with("ASIA"));
}
