//! CloudTrail events (issue 28): the CLI against the emulator's LookupEvents (seeded by
//! tests/emulator/cloudtrail_events.py: each instance's launch and tags, a leaked key's calls in
//! prod and staging — 55 in staging, more than a page — and prod's stopped trail), input
//! refused before any call, the case log; and `t` in the TUI's pure update.

use std::collections::{BTreeMap, BTreeSet};

use crossterm::event::KeyCode;
use rolecall::app::state::View;
use rolecall::app::update::update;
use rolecall::resources::{Event, Subject};
use serde_json::Value;

use crate::common::proxy::{aws_error, Fault, FaultProxy};
use crate::common::{emulator, run, DemoConfig, Emulator, Run};
use crate::fixtures::*;
use crate::render::render;

fn world_events(emu: &Emulator) -> &Value {
    &emu.world["events"]
}

fn leaked_key(emu: &Emulator) -> String {
    world_events(emu)["leaked_key"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Events (JSON rows) per account and region.
fn by_place(rows: &Value) -> BTreeMap<(String, String), usize> {
    let mut out = BTreeMap::new();
    for r in rows.as_array().unwrap() {
        *out.entry((
            r["account_id"].as_str().unwrap().to_string(),
            r["region"].as_str().unwrap().to_string(),
        ))
        .or_default() += 1;
    }
    out
}

fn ids(rows: &Value) -> BTreeSet<String> {
    rows.as_array()
        .unwrap()
        .iter()
        .map(|r| r["event_id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_leaked_key_is_followed_in_every_account_and_region_and_the_stopped_trail_is_named() {
    let emu = emulator();
    let key = leaked_key(emu);
    let out = run(emu
        .rolecall()
        .args(["events", "--all", "--access-key", &key, "--json"]))
    .ok();
    let rows = out.json();
    let want: BTreeMap<(String, String), usize> = world_events(emu)["leaked_events"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(account, regions)| {
            regions.as_object().unwrap().iter().map(move |(region, n)| {
                (
                    (account.clone(), region.clone()),
                    n.as_u64().unwrap() as usize,
                )
            })
        })
        .collect();
    // Every event of the key, in both accounts (55 in staging: two pages), none twice.
    assert_eq!(by_place(&rows), want, "{}", out.stderr);
    let n = rows.as_array().unwrap().len();
    assert_eq!(ids(&rows).len(), n, "no event twice");
    for r in rows.as_array().unwrap() {
        assert_eq!(r["access_key_id"], key.as_str());
        assert!(r["role_arn"].as_str().unwrap().contains(":role/"));
        assert!(r["cloudtrail_event"].is_object(), "{r}");
    }
    // Newest first within each account.
    let prod: Vec<&str> = rows
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["account_id"] == "222222222222")
        .map(|r| r["event_time"].as_str().unwrap())
        .collect();
    assert!(prod.windows(2).all(|w| w[0] >= w[1]), "{prod:?}");
    // The stopped trail is named, with its account and when; accounts with no trail are said.
    assert!(
        out.stderr.contains(
            "warning: account 222222222222 (prod): trail prod-trail (us-east-1) stopped logging at "
        ),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("warning: account 555555555555 (sandbox): no trail logs us-east-1"),
        "{}",
        out.stderr
    );
    assert!(
        !out.stderr.contains("333333333333 (staging): "),
        "staging's trail logs: nothing to say\n{}",
        out.stderr
    );
    assert!(
        out.stderr.contains(&format!("rolecall: {n} events in ")),
        "{}",
        out.stderr
    );
}

#[test]
fn each_lookup_finds_its_events_with_every_field() {
    let emu = emulator();
    let web1 = world_events(emu)["modified_instance"]
        .as_str()
        .unwrap()
        .to_string();
    // A resource: who launched, tagged and changed web-1.
    let rows =
        run(emu
            .rolecall()
            .args(["events", "prod-responder", "--resource", &web1, "--json"]))
        .ok()
        .json();
    let names: Vec<&str> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["event_name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["ModifyInstanceAttribute", "CreateTags", "RunInstances"],
        "newest first"
    );
    let change = &rows[0];
    for field in [
        "event_id",
        "event_time",
        "event_name",
        "event_source",
        "username",
        "access_key_id",
        "source_ip",
        "user_agent",
        "region",
        "resources",
        "error_code",
        "account_id",
        "cloudtrail_event",
    ] {
        assert!(change.get(field).is_some(), "{field}: {change}");
    }
    assert_eq!(change["username"], "ci-deploy");
    assert_eq!(change["source_ip"], "198.51.100.23");
    assert_eq!(change["account_id"], "222222222222");
    assert_eq!(change["resources"][0]["name"], web1.as_str());
    assert_eq!(
        change["cloudtrail_event"]["requestParameters"]["instanceId"],
        web1.as_str()
    );
    assert!(change.get("role_arn").is_none(), "a role's own rows");
    let launch = &rows[2];
    assert_eq!(
        launch["identity_arn"],
        "arn:aws:iam::222222222222:user/deploy"
    );

    // A user name, in both of prod's regions; one of its calls was refused.
    let rows =
        run(emu
            .rolecall()
            .args(["events", "prod-responder", "--user", "ci-deploy", "--json"]))
        .ok()
        .json();
    assert_eq!(rows.as_array().unwrap().len(), 7);
    let refused: Vec<&Value> = rows
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| !r["error_code"].is_null())
        .collect();
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0]["error_code"], "Client.UnauthorizedOperation");
    assert_eq!(refused[0]["region"], "eu-west-1");

    // An event name, as a table: who stopped the trail.
    let out = run(emu
        .rolecall()
        .args(["events", "prod-responder", "--event", "StopLogging"]))
    .ok();
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", out.stdout);
    assert!(lines[0].starts_with("TIME"), "{}", out.stdout);
    for text in [
        "StopLogging",
        "arn:aws:iam::222222222222:user/ci-deploy",
        "AKIALEAKEDKEY0000001",
        "prod-trail",
    ] {
        assert!(lines[1].contains(text), "{text}: {}", out.stdout);
    }
    // Nothing found is said, not an empty table.
    let out = run(emu
        .rolecall()
        .args(["events", "staging-auditor", "--event", "StopLogging"]))
    .ok();
    assert!(
        out.stdout
            .starts_with("No events in account 333333333333 (staging) in us-east-1."),
        "{}",
        out.stdout
    );
    // --since narrows the window: the launches were three days ago.
    let rows = run(emu.rolecall().args([
        "events",
        "prod-responder",
        "--event",
        "RunInstances",
        "--since",
        "1d",
        "--json",
    ]))
    .ok()
    .json();
    assert_eq!(rows, serde_json::json!([]));
}

/// Several runs at once against LookupEvents' 2 calls a second: the emulator throttles the
/// excess (the SDK retries nothing here: max_attempts = 1), and each run asks its throttled
/// pages again until it has every event of both pages.
#[test]
fn throttling_costs_time_never_an_event() {
    let emu = emulator();
    let dir = tempfile::tempdir().unwrap();
    let config = DemoConfig::default()
        .defaults("max_attempts = 1")
        .write(dir.path());
    let key = leaked_key(emu);
    let runs: Vec<std::process::Child> = (0..6)
        .map(|_| {
            emu.rolecall()
                .env("ROLECALL_CONFIG", &config)
                .env("ROLECALL_LOG", "rolecall=debug")
                .args(["events", "staging-auditor", "--access-key", &key, "--json"])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut throttled = 0;
    for child in runs {
        let out = child.wait_with_output().unwrap();
        let run = Run {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
        .ok();
        let rows = run.json();
        assert_eq!(rows.as_array().unwrap().len(), 55, "{}", run.stderr);
        assert_eq!(ids(&rows).len(), 55);
        throttled += run.stderr.matches("this page again").count();
    }
    assert!(
        throttled > 0,
        "six runs at once must have been throttled, or this test proves nothing"
    );
}

#[test]
fn bad_input_is_refused_before_any_call() {
    let emu = emulator();
    let proxy = FaultProxy::start(&emu.endpoint);
    let cases: [(&[&str], &str); 6] = [
        (&["--access-key", "AKIA123"], "--access-key"),
        (&["--access-key", "akiaiosfodnn7example"], "--access-key"),
        (&["--since", "91d"], "--since"),
        (&["--since", "soon"], "--since"),
        (&["--user", "a b"], "--user"),
        (
            &["--resource", "i-1", "--user", "alice"],
            "cannot be used with",
        ),
    ];
    for (args, names) in cases {
        let out = run(emu
            .rolecall()
            .env("AWS_ENDPOINT_URL", &proxy.endpoint)
            .args(["events", "prod-responder"])
            .args(args));
        assert_eq!(out.code, Some(2), "{args:?}: {}", out.stderr);
        assert!(out.stderr.contains(names), "{args:?}: {}", out.stderr);
    }
    let out = run(emu
        .rolecall()
        .env("AWS_ENDPOINT_URL", &proxy.endpoint)
        .args(["events", "prod-responder", "--resource", "i-1\u{1b}[2J"]));
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    assert!(out.stderr.contains("control characters"), "{}", out.stderr);
    assert_eq!(proxy.requests(), 0, "no call was made");
}

#[test]
fn a_trail_check_that_is_refused_is_a_warning_and_the_events_still_come() {
    let emu = emulator();
    let proxy = FaultProxy::start(&emu.endpoint);
    proxy.set_for(
        "DescribeTrails",
        Fault::Reply {
            status: 400,
            body: aws_error("AccessDeniedException", "not authorized to DescribeTrails"),
        },
    );
    let out = run(emu
        .rolecall()
        .env("AWS_ENDPOINT_URL", &proxy.endpoint)
        .args([
            "events",
            "prod-responder",
            "--event",
            "StopLogging",
            "--json",
        ]))
    .ok();
    assert_eq!(out.json().as_array().unwrap().len(), 1);
    assert!(
        out.stderr
            .contains("warning: account 222222222222: whether a trail logs is unknown"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("cloudtrail:DescribeTrails"),
        "{}",
        out.stderr
    );
}

#[test]
fn the_case_log_records_what_was_looked_up_and_what_the_trails_said() {
    let emu = emulator();
    let dir = tempfile::tempdir().unwrap();
    let cases = dir.path().join("cases");
    let config = DemoConfig::default()
        .append(&format!("[case]\ndir = \"{}\"\n", cases.display()))
        .write(dir.path());
    let rc = |args: &[&str]| run(emu.rolecall().env("ROLECALL_CONFIG", &config).args(args));
    rc(&["case", "open", "IR-EV"]).ok();
    let key = leaked_key(emu);
    let rows = rc(&[
        "events",
        "prod-responder",
        "--access-key",
        &key,
        "--since",
        "3d",
        "--json",
    ])
    .ok()
    .json();
    let log = std::fs::read_to_string(cases.join("IR-EV/log.jsonl")).unwrap();
    let lists: Vec<Value> = log
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|e| e["action"] == "list")
        .collect();
    assert!(!lists.is_empty(), "{log}");
    let mut recorded = 0;
    for e in &lists {
        assert_eq!(e["params"]["what"], "events");
        assert_eq!(
            e["params"]["lookup"],
            serde_json::json!({"attribute": "access_key", "value": key})
        );
        let w = &e["params"]["window"];
        let start = chrono::DateTime::parse_from_rfc3339(w["start"].as_str().unwrap()).unwrap();
        let end = chrono::DateTime::parse_from_rfc3339(w["end"].as_str().unwrap()).unwrap();
        assert_eq!((end - start).num_hours(), 72, "--since 3d");
        recorded += e["result"]["rows"].as_u64().unwrap();
    }
    // Every event printed was recorded first, page by page; the stopped trail too.
    assert_eq!(recorded as usize, rows.as_array().unwrap().len());
    assert!(
        lists.iter().any(|e| e["result"]["notes"][0]
            .as_str()
            .is_some_and(|n| n.contains("trail prod-trail (us-east-1) stopped logging at"))),
        "{log}"
    );
    rc(&["case", "verify", "IR-EV"]).ok();
}

// ---- the TUI: `t` ----

/// `t` on a row: the events of its resource, in its role's account and its region.
#[test]
fn t_on_an_instance_lists_its_events_in_its_region() {
    let mut s = state((120, 30));
    let request = open_prod(&mut s);
    update(&mut s, listed_instances(request, prod_instances()));
    // eu-web-1, the last row.
    update(&mut s, key('G'));
    let picked = s.table(s.view).unwrap().picked().unwrap();
    assert_eq!(picked.region, "eu-west-1");
    let fx = update(&mut s, key('t'));
    match &started(&fx).work {
        Work::List {
            kind,
            role,
            regions,
            window,
            subject,
        } => {
            assert_eq!(*kind, Kind::Events);
            assert_eq!(role.to_string(), PROD);
            assert_eq!(regions, &["eu-west-1"]);
            assert_eq!(subject, &Some(Subject::Resource(picked.id.clone())));
            let w = window.expect("a query over a window");
            assert_eq!((w.end - w.start).num_days(), 7);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(s.view, View::of_role(Kind::Events));
    let screen = render(&s);
    assert!(
        screen.contains(&format!("(prod) · resource {}", picked.id)),
        "{screen}"
    );
    // `r` asks the same again; `t` means nothing on an event.
    let fx = update(&mut s, key('r'));
    assert!(matches!(
        &started(&fx).work,
        Work::List { regions, subject: Some(Subject::Resource(id)), .. } if regions == &["eu-west-1"] && id == &picked.id
    ));
    // Back to the instances, then `t` on another row: that row's events, not the first's.
    update(&mut s, code(KeyCode::Esc));
    update(&mut s, key(':'));
    type_keys(&mut s, "instances");
    update(&mut s, code(KeyCode::Enter));
    assert_eq!(s.view, View::of_role(Kind::Instances));
    update(&mut s, key('g'));
    let first = s.table(s.view).unwrap().picked().unwrap();
    let fx = update(&mut s, key('t'));
    assert!(
        matches!(&started(&fx).work, Work::List { regions, subject: Some(Subject::Resource(id)), .. } if regions == &["us-east-1"] && id == &first.id),
        "{fx:?}"
    );
}

#[test]
fn t_in_the_every_account_view_opens_the_rows_account() {
    let mut s = state((120, 30));
    let request = open_prod(&mut s);
    update(&mut s, listed_instances(request, prod_instances()));
    let fx = update(&mut s, key('a'));
    let every = started(&fx).id;
    // Staging's session is live, so its events are listed at once.
    answer_assume(&mut s, STAGING, 60);
    let staging = part(&s, STAGING, staging_instances());
    update(&mut s, every_instances(every, staging));
    let p = part(&s, PROD, prod_instances());
    update(&mut s, every_instances(every, p));
    update(&mut s, key('/'));
    type_keys(&mut s, "staging");
    update(&mut s, code(KeyCode::Enter));
    let picked = s.table(s.view).unwrap().picked().unwrap();
    assert_eq!(picked.role_arn.as_deref(), Some(STAGING));
    let fx = update(&mut s, key('t'));
    match &started(&fx).work {
        Work::List {
            kind: Kind::Events,
            role,
            regions,
            subject,
            ..
        } => {
            assert_eq!(role.to_string(), STAGING);
            assert_eq!(regions, std::slice::from_ref(&picked.region));
            assert_eq!(subject, &Some(Subject::Resource(picked.id.clone())));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        s.current.as_ref().map(|r| r.to_string()).as_deref(),
        Some(STAGING)
    );
}

/// The events come page by page; the trails' notes go to the title and the status line.
#[test]
fn events_fill_in_page_by_page_and_a_stopped_trail_is_in_the_title() {
    let mut s = state((160, 30));
    let request = open_prod(&mut s);
    update(&mut s, listed_instances(request, prod_instances()));
    let fx = update(&mut s, key('t'));
    let id = started(&fx).id;
    let mut older = Event::example();
    older.event_id = "00000000-0000-0000-0000-000000000001".into();
    older.event_time = older.event_time.map(|t| t - chrono::Duration::hours(1));
    older.event_name = "CreateTags".into();
    let page = |events: Vec<Event>, notes: Vec<String>, more: bool| Rows {
        more,
        notes,
        ..rows(events, vec![])
    };
    let note = "account 222222222222: trail prod-trail (us-east-1) stopped logging at 2026-11-21T03:00:00Z".to_string();
    update(
        &mut s,
        listed(Kind::Events, id, page(vec![], vec![note.clone()], true)),
    );
    update(
        &mut s,
        listed(Kind::Events, id, page(vec![older], vec![], true)),
    );
    update(
        &mut s,
        listed(
            Kind::Events,
            id,
            page(vec![Event::example()], vec![], false),
        ),
    );
    let t = s.table(s.view).unwrap();
    assert_eq!(t.items.len(), 2);
    assert_eq!(t.notes, std::slice::from_ref(&note));
    // Newest first, whatever order the pages came in (the cursor stays on its row).
    assert_eq!(t.items[t.visible[0]].id(), Event::example().event_id);
    let screen = render(&s);
    // The title names the account: the note leaves it out, and comes before the window.
    assert!(
        screen.contains("(prod) · resource i-0000000000000000a · ⚠ trail prod-trail (us-east-1) stopped logging at 2026-11-21T03:00:00Z"),
        "{screen}"
    );
    assert!(
        s.status
            .as_ref()
            .is_some_and(|st| st.text.contains("stopped logging")),
        "{:?}",
        s.status
    );
    insta::assert_snapshot!("events_after_t_with_a_stopped_trail", screen);
    // Enter: the whole document.
    update(&mut s, code(KeyCode::Enter));
    let screen = render(&s);
    assert!(screen.contains("CloudTrailEvent"), "{screen}");
    assert!(
        screen.contains("\"eventName\": \"RunInstances\""),
        "{screen}"
    );
}
