//! Findings (issue 29): `rolecall findings` against the emulator's Security Hub and GuardDuty
//! (tests/emulator/findings.py), and Enter on a finding in the TUI's pure update.
//!
//! The emulator's Security Hub (moto) ignores GetFindings' Filters and SortCriteria: it answers
//! every finding of the account in import order, the archived one and the one updated 40 days
//! ago included. So every filter these tests see applied is rolecall's own, on its side.

use serde_json::Value;

use crate::common::{emulator, run, DemoConfig};
use crate::fixtures::*;
use crossterm::event::KeyCode;
use rolecall::app::state::View;
use rolecall::app::update::update;
use rolecall::resources::Finding;

fn titles(rows: &Value) -> Vec<String> {
    rows.as_array()
        .unwrap()
        .iter()
        .map(|r| r["title"].as_str().unwrap().to_string())
        .collect()
}

fn field(rows: &Value, name: &str) -> Vec<String> {
    rows.as_array()
        .unwrap()
        .iter()
        .map(|r| r[name].as_str().unwrap_or("").to_string())
        .collect()
}

#[test]
fn a_roles_findings_severest_first_active_and_in_the_window_only() {
    let emu = emulator();
    let out = run(emu
        .rolecall()
        .args(["findings", "prod-responder", "--json"]))
    .ok();
    let rows = out.json();
    assert_eq!(
        field(&rows, "severity"),
        ["CRITICAL", "HIGH", "HIGH", "MEDIUM", "LOW"],
        "severest first, then newest: {:?}",
        titles(&rows)
    );
    // Moto answered the archived finding and the one updated 40 days ago too (it ignores the
    // filters rolecall sent); rolecall left them out.
    let all = titles(&rows).join("\n");
    assert!(!all.contains("archived"), "{all}");
    assert!(
        !all.contains("Hardware MFA"),
        "outside the 30-day window: {all}"
    );
    // The newer of the two HIGH ones first.
    assert!(rows[1]["title"].as_str().unwrap().contains("Bitcoin"));
    let crypto = &rows[1];
    let seeded = &emu.world["findings"]["crypto"];
    assert_eq!(crypto["id"], seeded["id"]);
    assert_eq!(crypto["product_arn"], seeded["product_arn"]);
    assert_eq!(crypto["account_id"], "222222222222");
    assert_eq!(crypto["workflow_status"], "NEW");
    assert_eq!(crypto["record_state"], "ACTIVE");
    assert_eq!(crypto["source"], "securityhub");
    assert_eq!(crypto["resources"][0]["type"], "AwsEc2Instance");
    assert!(crypto["resources"][0]["id"]
        .as_str()
        .unwrap()
        .ends_with(seeded["instance"].as_str().unwrap()));
    assert!(crypto["created_at"].is_string() && crypto["updated_at"].is_string());
    assert!(crypto["types"][0]
        .as_str()
        .unwrap()
        .contains("CryptoCurrency:EC2"));
    // eu-west-1 has neither service: named, not a failure.
    assert!(
        out.stderr
            .contains("note: region eu-west-1: neither Security Hub nor GuardDuty is enabled"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("warning"), "{}", out.stderr);
}

#[test]
fn severity_status_and_since_filter_on_rolecalls_side() {
    let emu = emulator();
    let high = run(emu.rolecall().args([
        "findings",
        "prod-responder",
        "--severity",
        "high,CRITICAL",
        "--json",
    ]))
    .ok()
    .json();
    assert_eq!(field(&high, "severity"), ["CRITICAL", "HIGH", "HIGH"]);
    let notified = run(emu.rolecall().args([
        "findings",
        "prod-responder",
        "--status",
        "NOTIFIED",
        "--json",
    ]))
    .ok()
    .json();
    assert_eq!(field(&notified, "workflow_status"), ["NOTIFIED"]);
    // Updated in the last 3 hours: the crypto-mining finding (2h ago), not the CRITICAL one (5h).
    let recent =
        run(emu
            .rolecall()
            .args(["findings", "prod-responder", "--since", "3h", "--json"]))
        .ok()
        .json();
    assert_eq!(recent.as_array().unwrap().len(), 1, "{recent}");
    assert!(recent[0]["title"].as_str().unwrap().contains("Bitcoin"));
    // CSV: the same fields as the JSON, the same order.
    let csv = run(emu.rolecall().args(["findings", "prod-responder", "--csv"])).ok();
    let mut lines = csv.stdout.lines();
    assert!(lines
        .next()
        .unwrap()
        .starts_with("severity,title,product,types,resources,account_id,"));
    assert!(lines.next().unwrap().starts_with("CRITICAL,"));
}

#[test]
fn every_accounts_serious_findings_severest_first_and_the_accounts_without_any_named() {
    let emu = emulator();
    let out =
        run(emu
            .rolecall()
            .args(["findings", "--all", "--severity", "HIGH,CRITICAL", "--json"]))
        .ok();
    let rows = out.json();
    let sev = field(&rows, "severity");
    assert_eq!(sev[0], "CRITICAL");
    assert!(sev[1..].iter().all(|s| s == "HIGH"), "{sev:?}");
    let accounts = field(&rows, "account_id");
    assert!(accounts.contains(&"222222222222".to_string()));
    // Staging has GuardDuty only: its HIGH finding, read from GuardDuty.
    let staging: Vec<&Value> = rows
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["account_id"] == "333333333333")
        .collect();
    assert_eq!(staging.len(), 1, "{rows}");
    assert_eq!(staging[0]["source"], "guardduty");
    assert_eq!(staging[0]["role_arn"], emu.role_arn("staging-auditor"));
    assert_eq!(staging[0]["id"], emu.world["findings"]["staging_high"]);
    // The account id is written once per row: the finding's.
    let first = serde_json::to_string(&rows[0]).unwrap();
    assert_eq!(first.matches("\"account_id\"").count(), 1, "{first}");
    // The empty account has neither service: named, and it counts as listed.
    assert!(
        out.stderr.contains(
            "note: account 444444444444 region us-east-1: neither Security Hub nor GuardDuty"
        ),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("warning"), "{}", out.stderr);
    // The table: one, in the same order, naming each row's account.
    let table = run(emu
        .rolecall()
        .args(["findings", "--all", "--severity", "CRITICAL,HIGH"]))
    .ok();
    let first_row = table.stdout.lines().nth(1).unwrap();
    assert!(
        first_row.starts_with("CRITICAL") && first_row.contains("222222222222"),
        "{}",
        table.stdout
    );
}

#[test]
fn guardduty_findings_where_security_hub_is_off() {
    let emu = emulator();
    let rows = run(emu
        .rolecall()
        .args(["findings", "staging-auditor", "--json"]))
    .ok()
    .json();
    // Two active findings (the archived one left out by the criteria rolecall sent, which the
    // stand-in applies), HIGH (8.0) before LOW (2.0), as Security Hub would label them.
    assert_eq!(field(&rows, "severity"), ["HIGH", "LOW"]);
    assert!(field(&rows, "source").iter().all(|s| s == "guardduty"));
    assert_eq!(
        rows[0]["product_arn"],
        "arn:aws:securityhub:us-east-1::product/aws/guardduty"
    );
    assert_eq!(rows[0]["types"][0], "Backdoor:EC2/C&CActivity.B!DNS");
    let staging_node = &emu.instance_ids("333333333333")[2];
    assert!(rows[0]["resources"][0]["id"]
        .as_str()
        .unwrap()
        .ends_with(staging_node.as_str()));
    // GuardDuty's own severity floor is sent; only HIGH comes back.
    let high = run(emu.rolecall().args([
        "findings",
        "staging-auditor",
        "--severity",
        "HIGH",
        "--json",
    ]))
    .ok()
    .json();
    assert_eq!(field(&high, "severity"), ["HIGH"]);
}

#[test]
fn through_the_delegated_administrator_with_one_query() {
    let emu = emulator();
    let dir = tempfile::tempdir().unwrap();
    let config = DemoConfig::default()
        .append(
            "[findings]\nvia = \"arn:aws:iam::123123123123:role/OrgReader\"\nregion = \"us-east-1\"\n",
        )
        .write(dir.path());
    let out = run(emu.rolecall().env("ROLECALL_CONFIG", &config).args([
        "findings",
        "--all",
        "--severity",
        "HIGH,CRITICAL",
        "--json",
    ]))
    .ok();
    assert!(
        out.stderr
            .contains("aggregated in us-east-1 through arn:aws:iam::123123123123:role/OrgReader"),
        "{}",
        out.stderr
    );
    let rows = out.json();
    // Prod's and staging's findings, each with its own account, from the one account.
    let accounts = field(&rows, "account_id");
    assert!(
        accounts.contains(&"222222222222".to_string()),
        "{accounts:?}"
    );
    assert!(
        accounts.contains(&"333333333333".to_string()),
        "{accounts:?}"
    );
    assert_eq!(field(&rows, "severity")[0], "CRITICAL");
    assert!(
        rows[0].get("role_arn").is_none(),
        "one query: no per-account rows"
    );
    // No per-account fan-out: no account is named as without findings.
    assert!(!out.stderr.contains("note: account"), "{}", out.stderr);
}

#[test]
fn bad_input_is_refused_before_any_call() {
    let emu = emulator();
    // A span is refused as the command line is read (exit 2, as `events --since`); the
    // filter words as the command starts (exit 1).
    for (args, says, code) in [
        (vec!["--severity", "HIGH,SEVERE"], "--severity", 1),
        (vec!["--status", "OPEN"], "--status", 1),
        (vec!["--since", "120d"], "--since", 2),
        (vec!["--since", "soon"], "--since", 2),
    ] {
        let mut cmd = emu.rolecall();
        // Nowhere to call: a refusal must come before any call.
        cmd.env("AWS_ENDPOINT_URL", "http://127.0.0.1:9");
        let out = run(cmd.args(["findings", "prod-responder"]).args(&args));
        assert_eq!(out.code, Some(code), "{args:?}: {}", out.stderr);
        assert!(out.stderr.contains(says), "{args:?}: {}", out.stderr);
        assert!(!out.stderr.contains("dispatch failure"), "{}", out.stderr);
    }
    let dir = tempfile::tempdir().unwrap();
    let config = DemoConfig::default()
        .append("[findings]\nvia = \"security-admin\"\n")
        .write(dir.path());
    let out = run(emu
        .rolecall()
        .env("ROLECALL_CONFIG", &config)
        .args(["findings", "--all"]))
    .fails();
    assert!(
        out.stderr
            .contains("findings.via = \"security-admin\": no [[role]] has that name"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("config.toml:"),
        "file:line: {}",
        out.stderr
    );
}

// ---- the TUI: Enter on a finding ----

fn crypto() -> Finding {
    Finding::example()
}

/// Prod's findings table with `findings` in it, its role's session live.
fn findings_of_prod(findings: Vec<Finding>) -> State {
    let mut s = state((120, 30));
    let request = open_prod(&mut s);
    update(&mut s, listed_instances(request, prod_instances()));
    let fx = update(&mut s, key('F'));
    let (request, kind, ..) = listing_job(&fx);
    assert_eq!(kind, Kind::Findings);
    update(
        &mut s,
        listed(Kind::Findings, request, rows(findings, vec![])),
    );
    assert_eq!(s.view, View::of_role(Kind::Findings));
    s
}

#[test]
fn findings_start_severest_first_and_d_shows_the_whole_finding() {
    let low = Finding {
        id: "low-1".into(),
        severity: "LOW".into(),
        ..crypto()
    };
    let critical = Finding {
        id: "critical-1".into(),
        severity: "CRITICAL".into(),
        ..crypto()
    };
    let mut s = findings_of_prod(vec![low, crypto(), critical]);
    let t = s.tables.get(Kind::Findings);
    let order: Vec<&str> = t.visible.iter().map(|&i| t.items[i].id()).collect();
    assert_eq!(order[0], "critical-1");
    assert_eq!(order[2], "low-1");
    update(&mut s, key('j'));
    update(&mut s, key('d'));
    assert!(s.tables.get(Kind::Findings).detail);
}

#[test]
fn enter_on_a_finding_opens_its_instance_in_its_account_and_records_it_in_the_case() {
    let mut s = findings_of_prod(vec![crypto()]);
    s.case = Some(rolecall::app::msg::CaseInfo {
        id: "IR-1".into(),
        dir: std::path::PathBuf::from("/tmp/IR-1"),
    });
    let fx = update(&mut s, code(KeyCode::Enter));
    // The finding goes into the case log; the instances of the finding's account are listed
    // with the live session.
    let note = fx
        .iter()
        .find_map(|e| match e {
            Effect::Start(Job {
                work: Work::Note(r),
                ..
            }) => Some(r.clone()),
            _ => None,
        })
        .expect("the finding recorded");
    assert_eq!(note.action, "finding.opened");
    assert_eq!(note.params["finding_id"], crypto().id);
    assert_eq!(note.params["product_arn"], crypto().product_arn);
    assert_eq!(note.role_arn.as_deref(), Some(PROD));
    let listing = fx
        .iter()
        .find_map(|e| match e {
            Effect::Start(Job {
                work: Work::List { kind, role, .. },
                ..
            }) => Some((*kind, role.to_string())),
            _ => None,
        })
        .expect("a listing");
    assert_eq!(listing, (Kind::Instances, PROD.to_string()));
    assert_eq!(s.view, View::of_role(Kind::Instances));
    let t = s.tables.get(Kind::Instances);
    assert_eq!(t.list.filter, "i-0123456789abcdef0");
    assert!(t.note.as_deref().unwrap().contains("finding HIGH: Bitcoin"));
    // Esc clears the filter, and the finding's note with it.
    update(&mut s, code(KeyCode::Esc));
    assert!(s.tables.get(Kind::Instances).note.is_none());
}

#[test]
fn enter_on_a_finding_of_another_account_assumes_that_accounts_role() {
    let mut other = crypto();
    other.account_id = "333333333333".into();
    other.resources[0].id =
        "arn:aws:ec2:us-east-1:333333333333:instance/i-0123456789abcdef0".into();
    let mut s = findings_of_prod(vec![other]);
    let fx = update(&mut s, code(KeyCode::Enter));
    assert!(
        matches!(&fx[..], [Effect::Start(Job { work: Work::Assume { role, .. }, .. })] if role.arn.to_string() == STAGING),
        "{fx:?}"
    );
    assert_eq!(
        s.current.as_ref().map(|r| r.to_string()).as_deref(),
        Some(STAGING)
    );
    // No case: nothing recorded, nothing refused.
    assert!(!fx.iter().any(|e| matches!(
        e,
        Effect::Start(Job {
            work: Work::Note(_),
            ..
        })
    )));
}

#[test]
fn a_finding_rolecall_cannot_open_shows_itself_and_its_console_link() {
    let mut bucket = crypto();
    bucket.resources[0].kind = "AwsS3Bucket".into();
    bucket.resources[0].id = "arn:aws:s3:::exfil-bucket".into();
    let mut s = findings_of_prod(vec![bucket]);
    let fx = update(&mut s, code(KeyCode::Enter));
    assert!(fx.is_empty(), "{fx:?}");
    assert!(s.tables.get(Kind::Findings).detail, "the finding is shown");
    let status = s.status.as_ref().unwrap().text.clone();
    assert!(status.contains("rolecall lists no AwsS3Bucket"), "{status}");
    assert!(status.contains("o opens it"), "{status}");
    // A finding in an account rolecall has no role for: said.
    let mut stranger = crypto();
    stranger.account_id = "999999999999".into();
    stranger.resources[0].id =
        "arn:aws:ec2:us-east-1:999999999999:instance/i-0123456789abcdef0".into();
    let mut s = findings_of_prod(vec![stranger]);
    let fx = update(&mut s, code(KeyCode::Enter));
    assert!(fx.is_empty());
    assert!(s
        .status
        .as_ref()
        .unwrap()
        .text
        .contains("no role known into account 999999999999"));
}

#[test]
fn enter_on_a_finding_about_a_key_user_or_role_opens_that_identitys_row() {
    let key = "AKIAIOSFODNN7EXAMPLE";
    let cases = [
        (
            "AwsIamAccessKey",
            format!("AWS::IAM::AccessKey:{key}"),
            Kind::AccessKeys,
            key,
        ),
        (
            "AwsIamUser",
            "arn:aws:iam::222222222222:user/automation/ci-deploy".to_string(),
            Kind::Users,
            "ci-deploy",
        ),
        (
            "AwsIamRole",
            "arn:aws:iam::222222222222:role/WebAppRole".to_string(),
            Kind::IamRoles,
            "WebAppRole",
        ),
    ];
    for (rtype, id, kind, name) in cases {
        let mut f = crypto();
        f.resources[0].kind = rtype.into();
        f.resources[0].id = id;
        let mut s = findings_of_prod(vec![f]);
        let fx = update(&mut s, code(KeyCode::Enter));
        let listing = fx.iter().find_map(|e| match e {
            Effect::Start(Job {
                work: Work::List { kind, role, .. },
                ..
            }) => Some((*kind, role.to_string())),
            _ => None,
        });
        assert_eq!(listing, Some((kind, PROD.to_string())), "{rtype}: {fx:?}");
        assert_eq!(s.view, View::of_role(kind), "{rtype}");
        let t = s.tables.get(kind);
        assert_eq!(t.list.filter, name, "{rtype}");
        assert!(
            t.note.as_deref().unwrap().contains("finding HIGH"),
            "{rtype}"
        );
    }
}

/// The emulator's CRITICAL finding is about ci-deploy's leaked key (tests/emulator/identities.py):
/// its key id, as Security Hub gives it, is a row of that account's access keys (what Enter on
/// it filters the access-keys table to).
#[test]
fn a_finding_about_a_leaked_key_names_a_key_the_access_keys_list() {
    let emu = emulator();
    let seeded = &emu.world["findings"]["leaked_key"];
    let key = seeded["key"].as_str().unwrap();
    let rows = run(emu.rolecall().args([
        "findings",
        "prod-responder",
        "--severity",
        "CRITICAL",
        "--json",
    ]))
    .ok()
    .json();
    let finding = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == seeded["id"])
        .unwrap_or_else(|| panic!("{rows}"));
    let resource = &finding["resources"][0];
    assert_eq!(resource["type"], "AwsIamAccessKey");
    assert_eq!(resource["access_key_id"], key);
    assert_eq!(resource["user"], "ci-deploy");
    let keys = run(emu
        .rolecall()
        .args(["access-keys", "prod-responder", "--json"]))
    .ok()
    .json();
    let row = keys
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["access_key_id"] == key)
        .unwrap_or_else(|| panic!("{key} not among {keys}"));
    assert_eq!(row["user_name"], "ci-deploy");
    // The table shows the key's id, not ASFF's long form.
    let table = run(emu
        .rolecall()
        .args(["findings", "prod-responder", "--severity", "CRITICAL"]))
    .ok()
    .stdout;
    assert!(table.contains(&format!("IamAccessKey {key}")), "{table}");
}

/// F on the tree without `[findings] via`: every account's findings in one table, severest
/// first whichever account each came from (not by account, as other kinds' every-account
/// tables are).
#[test]
fn every_accounts_findings_in_the_tui_are_severest_first() {
    let mut s = state((120, 30));
    let fx = update(&mut s, key('F'));
    let request = match fx.last() {
        Some(Effect::Start(Job {
            id,
            work:
                Work::Every {
                    kind: Kind::Findings,
                    ..
                },
        })) => *id,
        other => panic!("expected every account's findings, got {other:?}"),
    };
    let finding = |id: &str, severity: &str, account: &str| Finding {
        id: id.into(),
        severity: severity.into(),
        account_id: account.into(),
        ..crypto()
    };
    for (role, findings) in [
        (
            PROD,
            vec![
                finding("prod-low", "LOW", "222222222222"),
                finding("prod-critical", "CRITICAL", "222222222222"),
            ],
        ),
        (
            STAGING,
            vec![finding("staging-high", "HIGH", "333333333333")],
        ),
    ] {
        let role = s.role(&arn(role)).unwrap().clone();
        let query = rolecall::resources::Query {
            regions: role.regions(&s.defaults),
            window: None,
            subject: None,
            findings: None,
        };
        let listing = rolecall::aws::target::Listing {
            items: findings.into_iter().map(Row::new).collect(),
            failures: vec![],
            notes: vec![],
            regions: None,
        };
        let part =
            rolecall::inventory::Part::new(Kind::Findings, &role.arn, None, query, Ok(listing));
        update(&mut s, every(Kind::Findings, request, part));
    }
    let t = s.table(s.view).unwrap();
    let order: Vec<&str> = t.visible.iter().map(|&i| t.items[i].id()).collect();
    assert_eq!(order, ["prod-critical", "staging-high", "prod-low"]);
    let screen = crate::render::render(&s);
    assert!(screen.contains("SEV↑"), "{screen}");
}
