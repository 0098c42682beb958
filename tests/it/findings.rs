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

// ---- a finding's workflow status: planned, confirmed, logged, undone ----
//
// Each test imports findings of its own (ids of its own) into the lab account 777777777777,
// where Security Hub is on in us-east-1 and no other test lists findings.

const GUARDDUTY: &str = "arn:aws:securityhub:us-east-1::product/aws/guardduty";

/// A finding of the lab's, `name` making its id; `note`: the note it has now (text, by);
/// `unprocessed`: the ErrorCode the emulator's BatchUpdateFindings answers for it.
fn lab_finding(
    lab: &crate::common::lab::Lab,
    name: &str,
    note: Option<(&str, &str)>,
    unprocessed: Option<&str>,
) -> String {
    let id = format!(
        "arn:aws:guardduty:us-east-1:777777777777:detector/1ab6e6ee780ed494f3b7ca56acdc74df/finding/{name}"
    );
    let mut finding = serde_json::json!({
        "SchemaVersion": "2018-10-08",
        "Id": id,
        "ProductArn": GUARDDUTY,
        "GeneratorId": "arn:aws:guardduty:us-east-1:777777777777:detector/1ab6e6ee780ed494f3b7ca56acdc74df",
        "AwsAccountId": "777777777777",
        "Region": "us-east-1",
        "Types": ["TTPs/Command and Control/CryptoCurrency:EC2-BitcoinTool.B!DNS"],
        "CreatedAt": "2026-12-01T10:00:00.000Z",
        "UpdatedAt": "2026-12-01T11:00:00.000Z",
        "Severity": {"Label": "HIGH", "Normalized": 70},
        "Title": format!("Bitcoin-related domain name queried ({name})"),
        "Description": "a lab finding",
        "Resources": [{"Type": "AwsEc2Instance", "Id": "arn:aws:ec2:us-east-1:777777777777:instance/i-0123456789abcdef0", "Region": "us-east-1"}],
        "Workflow": {"Status": "NEW"},
        "RecordState": "ACTIVE",
    });
    if let Some((text, by)) = note {
        finding["Note"] = serde_json::json!({"Text": text, "UpdatedBy": by, "UpdatedAt": "2026-12-01T11:00:00.000Z"});
    }
    if let Some(code) = unprocessed {
        finding["ProductFields"] = serde_json::json!({"rolecall-emulator/unprocessed": code});
    }
    let out = lab.aws(&format!(
        "hub = boto3.client('securityhub', **kw)\n\
         r = hub.batch_import_findings(Findings=[json.loads({:?})])\n\
         print(json.dumps(r['SuccessCount']))",
        finding.to_string()
    ));
    assert_eq!(out, 1, "imported");
    id
}

/// The finding's workflow status and note in the lab's Security Hub, as boto3 reads them.
fn lab_status(lab: &crate::common::lab::Lab, id: &str) -> (String, Value) {
    let v = lab.aws(&format!(
        "hub = boto3.client('securityhub', **kw)\n\
         f = [f for f in hub.get_findings(MaxResults=100)['Findings'] if f['Id'] == {id:?}][0]\n\
         print(json.dumps([f.get('Workflow', {{}}).get('Status', 'NEW'), f.get('Note')]))"
    ));
    (v[0].as_str().unwrap().to_string(), v[1].clone())
}

fn entries_of(lab: &crate::common::lab::Lab, prefix: &str) -> Vec<Value> {
    lab.entries()
        .into_iter()
        .filter(|e| e["action"].as_str().unwrap().starts_with(prefix))
        .collect()
}

#[test]
fn a_findings_status_is_planned_from_a_read_and_changes_nothing_until_yes() {
    let emu = emulator();
    let lab = crate::common::lab::Lab::open(emu, "IR-FS-PLAN", "");
    let id = lab_finding(&lab, "plan", None, None);
    let out = lab
        .rolecall(&[
            "finding-status",
            "lab-ir",
            &id,
            "--status",
            "resolved",
            "--note",
            "isolated; snapshots in IR-FS-PLAN",
            "--dry-run",
        ])
        .ok();
    let plan = out.stderr;
    assert!(
        plan.contains("Set the workflow status of finding \"Bitcoin-related domain name queried (plan)\" to RESOLVED"),
        "{plan}"
    );
    assert!(
        plan.contains("account 777777777777 (lab), region us-east-1"),
        "{plan}"
    );
    assert!(plan.contains("workflow status now: NEW"), "{plan}");
    assert!(
        plan.contains(&format!(
            "1. securityhub:BatchUpdateFindings FindingIdentifiers=[{{Id={id}, ProductArn={GUARDDUTY}}}] Workflow.Status=RESOLVED Note={{Text=\"isolated; snapshots in IR-FS-PLAN\", UpdatedBy=\"rolecall case IR-FS-PLAN (arn:aws:iam::111111111111:user/lab-responder)\"}}"
        )),
        "{plan}"
    );
    assert!(
        plan.contains("[not checked before the run: Security Hub has no DryRun; read: the finding is there, NEW now]"),
        "{plan}"
    );
    assert!(plan.contains("2. securityhub:GetFindings Id="), "{plan}");
    assert!(
        plan.contains("--undo (:status undo) puts back NEW; there is no note now"),
        "{plan}"
    );
    assert!(plan.contains("nothing was changed"), "{plan}");
    assert_eq!(lab_status(&lab, &id).0, "NEW", "a plan changes nothing");
    assert!(entries_of(&lab, "finding-status").is_empty());
    // Without a terminal and without --yes, nothing is done either.
    let out = lab
        .rolecall(&["finding-status", "lab-ir", &id, "--status", "RESOLVED"])
        .fails();
    assert!(out.stderr.contains("pass --yes"), "{}", out.stderr);
    assert_eq!(lab_status(&lab, &id).0, "NEW");
}

#[test]
fn a_findings_status_is_refused_outside_a_case_read_only_and_on_bad_input() {
    let emu = emulator();
    let bare = crate::common::lab::Lab::open(emu, "", "");
    let id = lab_finding(&bare, "refused", None, None);
    let out = bare
        .rolecall(&[
            "finding-status",
            "lab-ir",
            &id,
            "--status",
            "RESOLVED",
            "--yes",
        ])
        .fails();
    assert!(out.stderr.contains("no case is open"), "{}", out.stderr);
    let lab = crate::common::lab::Lab::open(emu, "IR-FS-NO", "");
    let out = lab
        .rolecall(&[
            "--read-only",
            "finding-status",
            "lab-ir",
            &id,
            "--status",
            "RESOLVED",
            "--yes",
        ])
        .fails();
    assert!(out.stderr.contains("read-only"), "{}", out.stderr);
    // Bad input, refused before any call: the endpoint is one nothing answers on.
    let long = "a".repeat(513);
    let cases: [(&[&str], &str, i32); 6] = [
        (&["--status", "DONE"], "not a workflow status", 2),
        (&["--note", "why"], "--status", 2),
        (&["--status", "NEW", "--undo"], "cannot be used with", 2),
        (&["--status", "NEW", "--note", &long], "513 characters", 1),
        (
            &["--status", "NEW", "--note", "two\nlines"],
            "control character",
            1,
        ),
        (&["--status", "NEW", "--note", "  "], "empty", 1),
    ];
    for (args, says, code) in cases {
        let mut cmd = lab.emu.rolecall();
        for (k, v) in lab.env() {
            cmd.env(k, v);
        }
        cmd.env("AWS_ENDPOINT_URL", "http://127.0.0.1:9");
        let out = run(cmd.args(["finding-status", "lab-ir", &id]).args(args));
        assert_eq!(out.code, Some(code), "{args:?}: {}", out.stderr);
        assert!(out.stderr.contains(says), "{args:?}: {}", out.stderr);
        assert!(!out.stderr.contains("dispatch failure"), "{}", out.stderr);
    }
    for bad in ["x/../y", "a b", ""] {
        let mut cmd = lab.emu.rolecall();
        for (k, v) in lab.env() {
            cmd.env(k, v);
        }
        cmd.env("AWS_ENDPOINT_URL", "http://127.0.0.1:9");
        let out =
            run(cmd.args(["finding-status", "lab-ir", bad, "--status", "NEW", "--yes"])).fails();
        assert!(
            out.stderr.contains("is not a finding id"),
            "{bad:?}: {}",
            out.stderr
        );
        assert!(
            out.stderr.contains("nothing was asked of AWS"),
            "{}",
            out.stderr
        );
    }
    // A finding Security Hub does not have there: named, with where it was looked for.
    let out = lab
        .rolecall(&[
            "finding-status",
            "lab-ir",
            "no-such-finding",
            "--status",
            "NEW",
            "--yes",
        ])
        .fails();
    assert!(
        out.stderr.contains(
            "Security Hub of account 777777777777 (lab) in us-east-1 has no finding with this id"
        ),
        "{}",
        out.stderr
    );
    // Where Security Hub is off (GuardDuty's own findings): no status to set, and why.
    let out = lab
        .rolecall(&[
            "--region",
            "eu-west-1",
            "finding-status",
            "lab-ir",
            &id,
            "--status",
            "RESOLVED",
            "--yes",
        ])
        .fails();
    assert!(
        out.stderr.contains("InvalidAccessException"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("GuardDuty can only archive"),
        "{}",
        out.stderr
    );
    assert!(entries_of(&lab, "finding-status.updated").is_empty());
    assert_eq!(lab_status(&lab, &id).0, "NEW");
}

#[test]
fn a_findings_status_is_set_logged_and_put_back_exactly_by_undo() {
    let emu = emulator();
    let lab = crate::common::lab::Lab::open(emu, "IR-FS-RUN", "");
    let id = lab_finding(&lab, "run", Some(("triage tomorrow", "alice")), None);
    let out = lab
        .rolecall(&[
            "finding-status",
            "lab-ir",
            &id,
            "--status",
            "RESOLVED",
            "--note",
            "web-1 isolated, volumes snapshotted",
            "--yes",
            "--json",
        ])
        .ok();
    assert!(
        out.stderr
            .contains(&format!("finding {id} set to RESOLVED")),
        "{}",
        out.stderr
    );
    assert_eq!(out.json()["status"], "RESOLVED");
    let (status, note) = lab_status(&lab, &id);
    assert_eq!(status, "RESOLVED");
    assert_eq!(note["Text"], "web-1 isolated, volumes snapshotted");
    assert_eq!(
        note["UpdatedBy"],
        "rolecall case IR-FS-RUN (arn:aws:iam::111111111111:user/lab-responder)"
    );
    // Every step in the case log, the status and note it replaced with it.
    let steps: Vec<String> = entries_of(&lab, "finding-status")
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        steps,
        [
            "finding-status.start",
            "finding-status.updated",
            "finding-status.checked"
        ]
    );
    let updated = &entries_of(&lab, "finding-status.updated")[0];
    assert_eq!(updated["target"][0], id.as_str());
    assert_eq!(updated["account_id"], "777777777777");
    assert_eq!(updated["region"], "us-east-1");
    let p = &updated["params"];
    assert_eq!(p["product_arn"], GUARDDUTY);
    assert_eq!(p["status"], "RESOLVED");
    assert_eq!(p["previous_status"], "NEW");
    assert_eq!(
        p["previous_note"],
        serde_json::json!({"text": "triage tomorrow", "updated_by": "alice"})
    );
    // A second change stacks on the first.
    lab.rolecall(&[
        "finding-status",
        "lab-ir",
        &id,
        "--status",
        "SUPPRESSED",
        "--yes",
    ])
    .ok();
    assert_eq!(lab_status(&lab, &id).0, "SUPPRESSED");
    // Undone one at a time: RESOLVED and rolecall's note, then NEW and alice's note.
    let out = lab
        .rolecall(&["finding-status", "lab-ir", &id, "--undo", "--yes"])
        .ok();
    assert!(
        out.stderr
            .contains(&format!("finding {id} put back to RESOLVED")),
        "{}",
        out.stderr
    );
    let (status, note) = lab_status(&lab, &id);
    assert_eq!(status, "RESOLVED");
    assert_eq!(note["Text"], "web-1 isolated, volumes snapshotted");
    let out = lab
        .rolecall(&["finding-status", "lab-ir", &id, "--undo", "--yes"])
        .ok();
    assert!(
        out.stderr.contains("put back as it was (by alice)"),
        "{}",
        out.stderr
    );
    let (status, note) = lab_status(&lab, &id);
    assert_eq!(status, "NEW");
    assert_eq!(note["Text"], "triage tomorrow");
    assert_eq!(note["UpdatedBy"], "alice");
    let restored = entries_of(&lab, "release.finding-status");
    assert_eq!(restored.len(), 4, "two undos, each checked: {restored:?}");
    assert_eq!(restored[2]["params"]["status"], "NEW");
    assert_eq!(restored[2]["params"]["previous_status"], "RESOLVED");
    // Nothing left to undo.
    let out = lab
        .rolecall(&["finding-status", "lab-ir", &id, "--undo", "--yes"])
        .fails();
    assert!(out.stderr.contains("nothing to undo"), "{}", out.stderr);
    // A change by someone else since rolecall's is not overwritten by an undo.
    lab.rolecall(&[
        "finding-status",
        "lab-ir",
        &id,
        "--status",
        "NOTIFIED",
        "--yes",
    ])
    .ok();
    lab.aws(&format!(
        "hub = boto3.client('securityhub', **kw)\n\
         hub.batch_update_findings(FindingIdentifiers=[{{'Id': {id:?}, 'ProductArn': {GUARDDUTY:?}}}], Workflow={{'Status': 'RESOLVED'}}, Note={{'Text': 'closed by bob', 'UpdatedBy': 'bob'}})\n\
         print('1')"
    ));
    let out = lab
        .rolecall(&["finding-status", "lab-ir", &id, "--undo", "--yes"])
        .fails();
    assert!(
        out.stderr
            .contains("the finding is RESOLVED now, not the NOTIFIED rolecall set"),
        "{}",
        out.stderr
    );
    assert_eq!(lab_status(&lab, &id).0, "RESOLVED");
}

#[test]
fn an_unprocessed_finding_is_reported_as_not_done() {
    let emu = emulator();
    let lab = crate::common::lab::Lab::open(emu, "IR-FS-UNPROC", "");
    let id = lab_finding(&lab, "unprocessed", None, Some("ConcurrentUpdateError"));
    let out = lab
        .rolecall(&[
            "finding-status",
            "lab-ir",
            &id,
            "--status",
            "RESOLVED",
            "--yes",
        ])
        .fails();
    assert!(
        out.stderr
            .contains("Security Hub did not update the finding (ConcurrentUpdateError"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains(&format!("not done: set finding {id} to RESOLVED")),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("done before it stopped: nothing"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("the finding is still NEW"),
        "{}",
        out.stderr
    );
    assert_eq!(lab_status(&lab, &id).0, "NEW");
    // The failed step is in the log, as a failure: it is not a change to undo.
    let updated = entries_of(&lab, "finding-status.updated");
    assert_eq!(updated.len(), 1, "{updated:?}");
    assert_eq!(updated[0]["result"]["error"], "ConcurrentUpdateError");
    assert!(entries_of(&lab, "finding-status.checked").is_empty());
    let out = lab
        .rolecall(&["finding-status", "lab-ir", &id, "--undo", "--yes"])
        .fails();
    assert!(out.stderr.contains("nothing to undo"), "{}", out.stderr);
}

// ---- W on a finding (the TUI's pure update) ----

/// Types a `:` command line and Enter; the effects of the Enter.
fn command(s: &mut State, line: &str) -> Vec<Effect> {
    update(s, key(':'));
    type_keys(s, line);
    update(s, code(KeyCode::Enter))
}

fn in_case(s: &mut State) {
    s.case = Some(rolecall::app::msg::CaseInfo {
        id: "IR-1".into(),
        dir: std::path::PathBuf::from("/tmp/IR-1"),
    });
}

#[test]
fn w_on_a_finding_asks_for_the_status_and_note_then_plans_it() {
    use rolecall::actions::Action;
    use rolecall::app::state::Popup;
    // Outside a case: refused before anything is typed.
    let mut s = findings_of_prod(vec![crypto()]);
    let fx = update(&mut s, key('W'));
    assert!(fx.is_empty() && s.popup.is_none());
    assert!(s.status.as_ref().unwrap().text.contains("no case is open"));
    // In a case: the `:` line, ready for the status and the note.
    in_case(&mut s);
    update(&mut s, key('W'));
    assert_eq!(
        s.popup,
        Some(Popup::Command {
            input: "status NOTIFIED ".into()
        })
    );
    type_keys(&mut s, "instance  isolated");
    let fx = update(&mut s, code(KeyCode::Enter));
    let planned = fx.iter().find_map(|e| match e {
        Effect::Start(Job {
            work:
                Work::PlanAction {
                    role,
                    region,
                    action,
                    ..
                },
            ..
        }) => Some((role.to_string(), region.clone(), action.clone())),
        _ => None,
    });
    assert_eq!(
        planned,
        Some((
            PROD.to_string(),
            "us-east-1".to_string(),
            Action::FindingStatus {
                finding: crypto().id,
                status: "NOTIFIED".into(),
                note: Some("instance  isolated".into()),
            }
        ))
    );
    // :status undo puts back rolecall's last change.
    s.jobs.finish(&Slot::Plan);
    let fx = command(&mut s, "status undo");
    assert!(fx.iter().any(|e| matches!(
        e,
        Effect::Start(Job { work: Work::PlanAction { action: Action::FindingRestore { finding }, .. }, .. }) if *finding == crypto().id
    )), "{fx:?}");
    // A bad note is refused as typed, before any job.
    let fx = command(&mut s, "status RESOLVED a\u{7}b");
    assert!(fx.is_empty());
    assert!(s.status.as_ref().unwrap().text.contains("control"));
    // Read-only: refused.
    s.read_only = true;
    assert!(update(&mut s, key('W')).is_empty());
    assert!(s.status.as_ref().unwrap().text.contains("read-only"));
}

#[test]
fn w_on_a_guardduty_finding_or_another_table_is_refused() {
    let gd = Finding {
        source: "guardduty".into(),
        ..crypto()
    };
    let mut s = findings_of_prod(vec![gd]);
    in_case(&mut s);
    let fx = update(&mut s, key('W'));
    assert!(fx.is_empty() && s.popup.is_none());
    let said = &s.status.as_ref().unwrap().text;
    assert!(said.contains("read from GuardDuty"), "{said}");
    assert!(said.contains("no workflow status"), "{said}");
    // :status on another table: said where it works.
    let mut s = state((120, 30));
    let request = open_prod(&mut s);
    update(&mut s, listed_instances(request, prod_instances()));
    in_case(&mut s);
    let fx = command(&mut s, "status RESOLVED done");
    assert!(fx.is_empty());
    assert!(s
        .status
        .as_ref()
        .unwrap()
        .text
        .contains("open the findings"));
}
