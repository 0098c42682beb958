//! Roles from AWS Organizations, against moto's Organizations: an organization of 32 accounts
//! (one suspended) run from 123123123123, read through its OrgReader role, with the role
//! `Responder` in every account (tests/emulator/moto_server.py).

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

use crate::common::proxy::{Fault, FaultProxy};
use crate::common::{emulator, enforced_emulator, run, DemoConfig, Emulator};

/// The demo config with an `[[organization]]` (the extra TOML goes into its table, `more` after
/// it), and a cache dir of the test's own.
struct Org {
    dir: tempfile::TempDir,
    config: PathBuf,
}

impl Org {
    fn new(emu: &Emulator, org_keys: &str, more: &str) -> Org {
        let dir = tempfile::tempdir().unwrap();
        let org = &emu.world["organization"];
        let config = DemoConfig::default()
            .append(&format!(
                "[[organization]]\nrole_name = \"{}\"\n{org_keys}\n{more}\n",
                org["role_name"].as_str().unwrap()
            ))
            .write(dir.path());
        Org { dir, config }
    }

    fn via(emu: &Emulator) -> String {
        format!(
            "via = \"{}\"",
            emu.world["organization"]["reader"].as_str().unwrap()
        )
    }

    fn cmd(&self, emu: &Emulator) -> Command {
        let mut cmd = emu.rolecall();
        cmd.env("ROLECALL_CONFIG", &self.config)
            .env("XDG_CACHE_HOME", self.dir.path().join("cache"));
        cmd
    }

    fn cache_files(&self) -> Vec<PathBuf> {
        let dir = self.dir.path().join("cache/rolecall/organizations");
        std::fs::read_dir(dir)
            .map(|d| d.flatten().map(|e| e.path()).collect())
            .unwrap_or_default()
    }
}

fn account(emu: &Emulator, name: &str) -> String {
    emu.world["organization"]["accounts"][name]
        .as_str()
        .unwrap()
        .to_string()
}

/// Every role of `roles --json`, with its account's id and name.
fn roles_of(doc: &Value) -> Vec<(String, Option<String>, Value)> {
    doc["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|a| {
            a["roles"].as_array().unwrap().iter().map(move |r| {
                (
                    a["id"].as_str().unwrap().to_string(),
                    a["name"].as_str().map(str::to_string),
                    r.clone(),
                )
            })
        })
        .collect()
}

#[test]
fn every_active_account_becomes_a_role_named_from_its_account() {
    let emu = emulator();
    let shared = account(emu, "Shared Services");
    let payments = account(emu, "Payments Prod");
    let excluded = account(emu, "Excluded Lab");
    let org = Org::new(
        emu,
        &format!(
            "{}\nexclude = [\"{excluded}\"]\nregions = [\"us-east-1\", \"eu-west-1\"]",
            Org::via(emu)
        ),
        &format!(
            "[[role]]\narn = \"arn:aws:iam::{shared}:role/Responder\"\nname = \"shared\"\nregions = [\"eu-west-1\"]\n\n\
             [[account]]\nid = \"{payments}\"\nname = \"payments\"\n"
        ),
    );
    let out = run(org.cmd(emu).args(["roles", "--json"])).ok();
    let doc = out.json();
    let roles = roles_of(&doc);
    let from_org: Vec<_> = roles
        .iter()
        .filter(|(_, _, r)| r["source"] == "organization")
        .collect();
    // 32 accounts: the management account and 31 created; one suspended, one excluded, one
    // with its own [[role]].
    assert_eq!(from_org.len(), 29, "{roles:#?}");
    let by_account = |id: &str| roles.iter().find(|(a, _, _)| a == id).cloned();
    let (_, name, role) = by_account(&account(emu, "workload-07")).unwrap();
    assert_eq!(
        name.as_deref(),
        Some("workload-07"),
        "the Organizations name"
    );
    assert_eq!(role["name"], "workload-07");
    assert_eq!(
        role["arn"],
        format!(
            "arn:aws:iam::{}:role/Responder",
            account(emu, "workload-07")
        )
    );
    assert_eq!(
        role["regions"],
        serde_json::json!(["us-east-1", "eu-west-1"])
    );
    // The account's own [[role]] wins for its settings; the name still comes from Organizations.
    let (_, name, role) = by_account(&shared).unwrap();
    assert_eq!(name.as_deref(), Some("Shared Services"));
    assert_eq!(role["source"], "config");
    assert_eq!(role["name"], "shared");
    assert_eq!(role["regions"], serde_json::json!(["eu-west-1"]));
    // An [[account]] names its account.
    let (_, name, role) = by_account(&payments).unwrap();
    assert_eq!(name.as_deref(), Some("payments"));
    assert_eq!(
        role["name"], "payments-prod",
        "the role keeps the Organizations name"
    );
    assert!(by_account(&excluded).is_none(), "excluded");
    assert!(
        by_account(&account(emu, "Old Sandbox")).is_none(),
        "suspended"
    );
    let warnings = doc["warnings"].to_string();
    assert!(
        warnings.contains(&format!(
            "1 suspended account of the organization left out: {} (Old Sandbox, SUSPENDED)",
            account(emu, "Old Sandbox")
        )),
        "{warnings}"
    );
    // The configured roles are all still there.
    for name in ["prod-responder", "staging-auditor", "sandbox"] {
        assert!(roles.iter().any(|(_, _, r)| r["name"] == name), "{name}");
    }
}

#[test]
fn the_list_is_cached_privately_used_while_fresh_and_read_again_when_old() {
    let emu = emulator();
    let org = Org::new(emu, &Org::via(emu), "");
    run(org.cmd(emu).args(["roles", "--json"])).ok();
    let files = org.cache_files();
    assert_eq!(files.len(), 1, "{files:?}");
    let file = &files[0];
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let folder = std::fs::metadata(file.parent().unwrap()).unwrap();
        assert_eq!(folder.permissions().mode() & 0o777, 0o700);
    }
    let text = std::fs::read_to_string(file).unwrap();
    for secret in [
        "SecretAccessKey",
        "SessionToken",
        "secret_access_key",
        "session_token",
    ] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    assert!(
        !text.contains("@example.com"),
        "no e-mail addresses: {text}"
    );

    // Fresh: the next run takes the cache (a name changed in it shows).
    let mut cache: Value = serde_json::from_str(&text).unwrap();
    let w3 = account(emu, "workload-03");
    for a in cache["accounts"].as_array_mut().unwrap() {
        if a["id"] == w3.as_str() {
            a["name"] = "renamed in the cache".into();
        }
    }
    std::fs::write(file, cache.to_string()).unwrap();
    let name_of_w3 = |doc: &Value| {
        roles_of(doc)
            .into_iter()
            .find(|(a, _, _)| *a == w3)
            .and_then(|(_, n, _)| n)
    };
    let doc = run(org.cmd(emu).args(["roles", "--json"])).ok().json();
    assert_eq!(name_of_w3(&doc).as_deref(), Some("renamed in the cache"));
    // ROLE arguments resolve from the cache, with no AWS call for it.
    let out = run(org
        .cmd(emu)
        .args(["assume", "renamed-in-the-cache", "--format", "env"]))
    .ok();
    assert!(out.stderr.contains(&w3), "{}", out.stderr);

    // Older than max_age (1 h by default): read again, and the cache rewritten.
    cache["read_at"] = "2026-01-01T00:00:00Z".into();
    std::fs::write(file, cache.to_string()).unwrap();
    let doc = run(org.cmd(emu).args(["roles", "--json"])).ok().json();
    assert_eq!(name_of_w3(&doc).as_deref(), Some("workload-03"));
    let again: Value = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
    assert_ne!(again["read_at"], "2026-01-01T00:00:00Z");

    // max_age is the user's: with "1s", a list read a second ago is read again.
    let short = Org::new(emu, &format!("{}\nmax_age = \"1s\"", Org::via(emu)), "");
    std::fs::create_dir_all(short.dir.path().join("cache/rolecall/organizations")).unwrap();
    run(short.cmd(emu).args(["roles", "--json"])).ok();
    let first: Value =
        serde_json::from_str(&std::fs::read_to_string(&short.cache_files()[0]).unwrap()).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    run(short.cmd(emu).args(["roles", "--json"])).ok();
    let second: Value =
        serde_json::from_str(&std::fs::read_to_string(&short.cache_files()[0]).unwrap()).unwrap();
    assert_ne!(first["read_at"], second["read_at"]);
}

#[test]
fn an_organization_lists_instances_across_its_accounts_and_names_them() {
    let emu = emulator();
    let payments = account(emu, "Payments Prod");
    let org = Org::new(emu, &Org::via(emu), "");
    let out = run(org.cmd(emu).args(["instances", "--all", "--json"])).ok();
    let rows = out.json();
    let row = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["account_id"] == payments.as_str())
        .unwrap_or_else(|| panic!("no row of {payments}: {rows:#}"));
    assert_eq!(
        row["instance_id"],
        emu.world["organization"]["payments_instance"]
    );
    assert_eq!(row["account_name"], "Payments Prod");
    // The configured accounts were listed too, each seeing only its own instances.
    assert!(rows
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["account_id"] == "222222222222"));
    assert!(out.stderr.contains("of 36 accounts"), "{}", out.stderr);
}

#[test]
fn an_account_name_resolves_to_its_one_role_and_completes() {
    let emu = emulator();
    let org = Org::new(emu, &Org::via(emu), "");
    run(org.cmd(emu).args(["roles"])).ok();
    let out = run(org
        .cmd(emu)
        .args(["assume", "Payments Prod", "--format", "env"]))
    .ok();
    assert!(
        out.stderr.contains(&account(emu, "Payments Prod")),
        "{}",
        out.stderr
    );
    let out = run(org
        .cmd(emu)
        .env("COMPLETE", "fish")
        .args(["--", "rolecall", "assume", "pay"]))
    .ok();
    assert!(
        out.stdout
            .lines()
            .any(|l| l.starts_with("payments-prod\tPayments Prod (")),
        "{}",
        out.stdout
    );
}

#[test]
fn doctor_reads_the_organization_now_and_checks_one_of_its_roles() {
    let emu = emulator();
    let org = Org::new(emu, &Org::via(emu), "");
    let out = run(org.cmd(emu).args(["doctor"]));
    let text = &out.stdout;
    assert!(
        text.contains("ok    organization           role Responder: 32 accounts read as arn:aws:sts::123123123123:assumed-role/OrgReader/"),
        "{text}"
    );
    assert!(
        text.contains(": 31 roles (1 suspended, 0 excluded left out)"),
        "{text}"
    );
    assert!(text.contains("of its 31 roles checked below"), "{text}");
    let checked = text.matches("(organization)").count();
    assert_eq!(checked, 1, "one organization role checked: {text}");
}

#[test]
fn an_identity_that_may_not_read_the_organization_gets_a_warning_and_the_rest_still_counts() {
    // Under IAM enforcement the responder user may not call organizations:ListAccounts.
    let emu = enforced_emulator();
    let org = Org::new(emu, "", "");
    let out = run(org.cmd(emu).args(["roles", "--json"])).ok();
    let doc = out.json();
    let warnings: Vec<String> = doc["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap().to_string())
        .collect();
    let w = warnings
        .iter()
        .find(|w| w.contains("organization"))
        .unwrap_or_else(|| panic!("{warnings:?}"));
    assert!(
        w.contains("organizations:ListAccounts as arn:aws:iam::111111111111:user/responder"),
        "{w}"
    );
    assert!(w.contains("AccessDenied"), "{w}");
    assert!(w.contains("set `via` in [[organization]]"), "{w}");
    let n = roles_of(&doc).len();
    assert_eq!(n, 5, "the configured roles are all there");
    assert!(
        org.cache_files().is_empty(),
        "nothing cached from a refusal"
    );

    // Through a `via` role the primary may not assume: the AssumeRole refusal is named.
    let org = Org::new(emu, &Org::via(emu), "");
    let doc = run(org.cmd(emu).args(["roles", "--json"])).ok().json();
    let w = doc["warnings"].to_string();
    assert!(
        w.contains("AssumeRole on arn:aws:iam::123123123123:role/OrgReader failed: AccessDenied"),
        "{w}"
    );
}

#[test]
fn an_old_list_is_used_with_a_warning_when_it_cannot_be_read_again() {
    let emu = emulator();
    let proxy = FaultProxy::start(&emu.endpoint);
    let org = Org::new(emu, &Org::via(emu), "");
    let cmd = || {
        let mut cmd = org.cmd(emu);
        cmd.env("AWS_ENDPOINT_URL", &proxy.endpoint);
        cmd
    };
    run(cmd().args(["roles", "--json"])).ok();
    let file = &org.cache_files()[0];
    let mut cache: Value = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
    cache["read_at"] = "2026-01-01T00:00:00Z".into();
    std::fs::write(file, cache.to_string()).unwrap();
    // Organizations refuses now (everything else answers).
    proxy.set_for(
        "AWSOrganizationsV20161128.ListAccounts",
        Fault::Reply {
            status: 400,
            body: r#"{"__type":"AccessDeniedException","Message":"You don't have permissions to access this resource."}"#.into(),
        },
    );
    let doc = run(cmd().args(["roles", "--json"])).ok().json();
    let w = doc["warnings"].to_string();
    assert!(w.contains("cannot read the organization's accounts"), "{w}");
    assert!(w.contains("AccessDenied"), "{w}");
    assert!(
        w.contains("using the list read at 2026-01-01T00:00:00Z (32 accounts)"),
        "{w}"
    );
    let from_org = roles_of(&doc)
        .into_iter()
        .filter(|(_, _, r)| r["source"] == "organization")
        .count();
    assert_eq!(from_org, 31, "the old list's roles are shown");
    let kept: Value = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
    assert_eq!(
        kept["read_at"], "2026-01-01T00:00:00Z",
        "the old list is kept as it was"
    );
}
