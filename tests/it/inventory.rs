//! `instances --all` / `volumes --all` against the emulator: every known account at once, rows
//! tagged with account and role, failures per account and region without losing the rest.

use std::collections::BTreeMap;

use crate::common::{emulator, enforced_emulator, run};
use serde_json::Value;

/// Rows per account id, and the role each was listed through.
fn by_account(rows: &Value) -> BTreeMap<String, (usize, String)> {
    let mut out: BTreeMap<String, (usize, String)> = BTreeMap::new();
    for r in rows.as_array().unwrap() {
        let e = out
            .entry(r["account_id"].as_str().unwrap().to_string())
            .or_insert((0, r["role_arn"].as_str().unwrap().to_string()));
        e.0 += 1;
    }
    out
}

/// A sweep runs on a thread per core, or on ROLECALL_WORKERS threads: the same rows either way;
/// a value that is not a number of threads is an error naming the variable, before any call.
#[test]
fn the_threads_of_a_sweep_change_nothing_it_finds_and_a_bad_count_is_named() {
    let emu = emulator();
    let listed = |workers: Option<&str>| {
        let mut cmd = emu.rolecall();
        if let Some(n) = workers {
            cmd.env("ROLECALL_WORKERS", n);
        }
        let rows = run(cmd.args(["instances", "--all", "--json"])).ok().json();
        let mut ids: Vec<String> = rows
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["instance_id"].as_str().unwrap().to_string())
            .collect();
        ids.sort();
        ids
    };
    let default = listed(None);
    assert_eq!(default.len(), 18, "{default:?}");
    assert_eq!(listed(Some("1")), default);
    assert_eq!(listed(Some("3")), default);
    for bad in ["0", "lots", "-2"] {
        let out =
            run(emu
                .rolecall()
                .env("ROLECALL_WORKERS", bad)
                .args(["instances", "--all", "--json"]));
        assert_eq!(out.code, Some(1), "{bad}: {}", out.stderr);
        assert!(
            out.stderr.contains(&format!(
                "ROLECALL_WORKERS=\"{bad}\": give a number of threads"
            )),
            "{}",
            out.stderr
        );
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn instances_of_every_account_at_once() {
    let emu = emulator();
    let out = run(emu.rolecall().args(["instances", "--all", "--json"])).ok();
    let rows = out.json();
    let accounts = by_account(&rows);
    assert_eq!(
        accounts["222222222222"],
        (5, emu.role_arn("prod-responder")),
        "the MFA role is not used when another role reaches the account"
    );
    assert_eq!(accounts["333333333333"].0, 12);
    assert_eq!(accounts["555555555555"].0, 1);
    assert!(
        !accounts.contains_key("444444444444"),
        "the empty account has no rows"
    );
    // Every seeded instance, each once, with its own fields.
    let ids: Vec<&str> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["instance_id"].as_str().unwrap())
        .collect();
    for account in ["222222222222", "333333333333", "555555555555"] {
        for id in emu.instance_ids(account) {
            assert_eq!(ids.iter().filter(|i| **i == id).count(), 1, "{id}");
        }
    }
    assert!(rows[0]["state"].is_string() && rows[0]["region"].is_string());
    let prod = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["account_id"] == "222222222222")
        .unwrap();
    assert_eq!(
        prod["account_name"], "prod",
        "the config's name for the account"
    );
    assert!(
        out.stderr
            .contains("rolecall: 18 instances in 5 of 5 accounts"),
        "{}",
        out.stderr
    );
    assert!(
        !out.stderr.contains('\u{1b}'),
        "no progress bar when nobody watches: {:?}",
        out.stderr
    );

    // As text: a table per account.
    let out = run(emu.rolecall().args(["volumes", "--all"])).ok();
    assert!(
        out.stdout.contains(&format!(
            "== account 222222222222 prod (via {}): 7",
            emu.role_arn("prod-responder")
        )),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("evidence-copy"), "{}", out.stdout);
}

#[test]
fn a_failing_region_or_account_keeps_the_rest() {
    let emu = emulator();
    let out = run(emu.rolecall().args([
        "instances",
        "--all",
        "--json",
        "--region",
        "us-east-1",
        "--region",
        "ap-nowhere-9",
    ]))
    .ok();
    let accounts = by_account(&out.json());
    assert_eq!(accounts["333333333333"].0, 12);
    assert_eq!(accounts["222222222222"].0, 3, "us-east-1 only");
    assert!(out.stderr.contains("warning: account 222222222222 region ap-nowhere-9: DescribeInstances on region ap-nowhere-9 failed"), "{}", out.stderr);

    // IAM enforced: the sandbox role is denied; every other account is listed.
    let emu = enforced_emulator();
    let out = run(emu.rolecall().args(["instances", "--all", "--json"])).ok();
    let accounts = by_account(&out.json());
    assert_eq!(accounts["222222222222"].0, 5);
    assert_eq!(accounts["333333333333"].0, 12);
    assert!(!accounts.contains_key("555555555555"));
    assert!(
        out.stderr.contains("warning: account 555555555555: AssumeRole on arn:aws:iam::555555555555:role/ResponderRole failed: AccessDenied"),
        "{}",
        out.stderr
    );
}

#[test]
fn all_and_a_role_are_exclusive() {
    let emu = emulator();
    let out = run(emu
        .rolecall()
        .args(["instances", "prod-responder", "--all"]));
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    let out = run(emu.rolecall().args(["instances"]));
    assert_eq!(out.code, Some(2));
    assert!(out.stderr.contains("<ROLE>"), "{}", out.stderr);
}

/// `regions = "all"`: each account's own enabled regions, asked of it, so an instance in an
/// opt-in region one account enabled is found (the emulator's staging opted in to
/// me-central-1, and runs a miner there).
#[test]
fn every_enabled_region_finds_what_runs_in_an_opt_in_region() {
    let emu = emulator();
    let miner = emu.world["opt_in"]["instance"].as_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = crate::common::DemoConfig::default()
        .defaults("regions = \"all\"")
        .write(dir.path());
    let out =
        run(emu
            .rolecall()
            .env("ROLECALL_CONFIG", &config)
            .args(["instances", "--all", "--json"]))
        .ok();
    let rows = out.json();
    let found = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["instance_id"] == miner)
        .unwrap_or_else(|| panic!("{miner} not found: {}", out.stderr));
    assert_eq!(found["account_id"], "333333333333");
    assert_eq!(found["region"], "me-central-1");
    // An account that did not enable the region is not asked there: no failure for it.
    assert!(!out.stderr.contains("me-central-1"), "{}", out.stderr);
    // One role, --region all.
    let own =
        run(emu
            .rolecall()
            .args(["instances", "staging-auditor", "--region", "all", "--json"]))
        .ok()
        .json();
    assert!(own
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["instance_id"] == miner));
    // A region named that the account has not enabled: AWS's AuthFailure, explained.
    let out = run(emu
        .rolecall()
        .args(["instances", "prod-responder", "--region", "me-central-1"]))
    .fails();
    assert!(out.stderr.contains("AuthFailure"), "{}", out.stderr);
    assert!(out.stderr.contains("opt-in region"), "{}", out.stderr);
    // "all" stands alone, in the config (file:line) and on the command line.
    let bad = crate::common::DemoConfig::default()
        .defaults("regions = [\"all\", \"us-east-1\"]")
        .write(dir.path());
    let out = run(emu
        .rolecall()
        .env("ROLECALL_CONFIG", &bad)
        .args(["instances", "prod-responder"]))
    .fails();
    assert!(out.stderr.contains("config.toml:"), "{}", out.stderr);
    assert!(out.stderr.contains("stands alone"), "{}", out.stderr);
    let out = run(emu.rolecall().args([
        "instances",
        "prod-responder",
        "--region",
        "all",
        "--region",
        "us-east-1",
    ]))
    .fails();
    assert!(out.stderr.contains("stands alone"), "{}", out.stderr);
}

/// `regions = "all"` asks each account which regions it enabled once, and keeps the answer (in
/// the cache dir, one file per account) for the next listing: a second run lists the same
/// accounts in the same regions without a DescribeRegions.
#[test]
fn each_accounts_regions_are_asked_once_not_per_listing() {
    use crate::common::proxy::FaultProxy;
    let emu = emulator();
    let miner = emu.world["opt_in"]["instance"].as_str().unwrap();
    // A proxy of its own: what it counts is this test's, and its endpoint is a scope of its own.
    let proxy = FaultProxy::start(&emu.endpoint);
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let config = crate::common::DemoConfig::default()
        .defaults("regions = \"all\"")
        .write(dir.path());
    let list = || {
        let out = run(emu
            .rolecall()
            .env("AWS_ENDPOINT_URL", &proxy.endpoint)
            .env("XDG_CACHE_HOME", &cache)
            .env("ROLECALL_CONFIG", &config)
            .args(["instances", "--all", "--json"]))
        .ok();
        let rows = out.json();
        assert!(
            rows.as_array()
                .unwrap()
                .iter()
                .any(|r| r["instance_id"] == miner),
            "{miner} (me-central-1, opted in) not found: {}",
            out.stderr
        );
        out
    };
    let first = list();
    let accounts = proxy.requests_holding("Action=AssumeRole");
    assert!(first.stderr.contains("of 5 accounts"), "{}", first.stderr);
    let asked = proxy.requests_holding("Action=DescribeRegions");
    assert_eq!(accounts, 5, "one AssumeRole per account");
    // Two of the demo's roles name regions of their own (222… and 444…): the other three
    // accounts are asked which regions they enabled, once each.
    assert_eq!(
        asked, 3,
        "one DescribeRegions per account listed in \"all\""
    );
    let kept = |_: ()| -> Vec<(std::path::PathBuf, std::time::SystemTime)> {
        let mut files: Vec<_> = std::fs::read_dir(cache.join("rolecall/regions"))
            .unwrap()
            .map(|f| {
                let f = f.unwrap();
                (f.path(), f.metadata().unwrap().modified().unwrap())
            })
            .collect();
        files.sort();
        files
    };
    let before = kept(());
    assert_eq!(before.len(), asked, "one file per account");
    let staging = before
        .iter()
        .map(|(p, _)| std::fs::read_to_string(p).unwrap())
        .find(|t| t.contains("\"333333333333\""))
        .expect("staging's regions kept");
    assert!(staging.contains("me-central-1"), "{staging}");
    assert!(!staging.contains("Secret"), "{staging}");

    // The second listing: every account again (its sessions anew), no region asked.
    list();
    assert_eq!(proxy.requests_holding("Action=AssumeRole"), 2 * accounts);
    assert_eq!(
        proxy.requests_holding("Action=DescribeRegions"),
        asked,
        "the kept answers were used"
    );
    assert_eq!(kept(()), before, "and not written again");

    // A kept list naming a region the account has since disabled (here: one it never enabled):
    // the region answers AuthFailure, which says it is not enabled; not a failure.
    let (path, text) = before
        .iter()
        .map(|(p, _)| (p, std::fs::read_to_string(p).unwrap()))
        .find(|(_, t)| !t.contains("\"333333333333\""))
        .unwrap();
    let mut doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    let account = doc["account"].as_str().unwrap().to_string();
    doc["regions"]
        .as_array_mut()
        .unwrap()
        .push("me-central-1".into());
    std::fs::write(path, doc.to_string()).unwrap();
    let out = list();
    assert!(
        out.stderr.contains(&format!(
            "note: account {account} region me-central-1: me-central-1 is not enabled for the account"
        )),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("warning"), "{}", out.stderr);
    assert!(out.stderr.contains("in 5 of 5 accounts"), "{}", out.stderr);
    assert_eq!(proxy.requests_holding("Action=DescribeRegions"), asked);
}
