//! The tests every kind of resource gets by being in `rolecall::resources::KINDS`: its tables
//! and details drawn (insta snapshots, named by the kind's command), opened by its `:` name in
//! the TUI and exported; its CSV read back as its JSON; its every-account listing equal to the
//! listings of each account's role, against the emulator. A new kind gets all of them, and its
//! snapshots to review, by being in the list.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use crate::common::{emulator, run};
use crate::fixtures::*;
use crate::render::render;
use crossterm::event::KeyCode;
use rolecall::app::update::update;
use rolecall::aws::target::Listing;
use rolecall::inventory::Part;
use rolecall::resources::{Origin, KINDS};
use serde_json::Value;

/// Types a `:` command line and Enter; the effects of the Enter.
fn command(s: &mut State, line: &str) -> Vec<Effect> {
    update(s, key(':'));
    type_keys(s, line);
    update(s, code(KeyCode::Enter))
}

/// `kind`'s example, and a second one like it in another region: two rows to draw and sort.
fn examples(kind: Kind) -> Vec<Row> {
    let one = kind.spec().example();
    vec![one.clone(), one]
}

/// Prod's table of `kind`, opened with `:COMMAND` from prod's instances and answered with the
/// kind's examples.
fn role_table(kind: Kind, size: (u16, u16)) -> State {
    let mut s = state(size);
    let request = open_prod(&mut s);
    update(&mut s, listed_instances(request, prod_instances()));
    let fx = command(&mut s, kind.about().command);
    if kind == Kind::Instances {
        assert!(fx.is_empty(), "already on the instances: {fx:?}");
    } else {
        let (request, what, role, regions) = listing_job(&fx);
        assert_eq!((what, role.as_str()), (kind, PROD));
        assert_eq!(regions, ["us-east-1", "eu-west-1"]);
        let rows = Rows {
            rows: vec![kind.spec().example()],
            keys: vec![],
            failures: vec![],
            ok: true,
            throttled: false,
            more: false,
            notes: vec![],
            answered: None,
        };
        update(&mut s, listed(kind, request, rows));
    }
    assert_eq!(s.view, rolecall::app::state::View::of_role(kind));
    s
}

#[test]
fn every_kind_is_drawn_in_its_tables_and_details() {
    for kind in KINDS {
        let name = kind.about().command;
        for size in [(80, 24), (120, 30)] {
            let mut s = role_table(kind, size);
            let t = s.table(s.view).unwrap();
            assert_eq!(t.items.len(), if kind == Kind::Instances { 4 } else { 1 });
            insta::assert_snapshot!(format!("{name}_{}x{}", size.0, size.1), render(&s));
            // `d` shows every kind's details (Enter too, but for kinds whose Enter opens
            // something else: a finding opens its resource).
            update(&mut s, key('d'));
            assert!(
                s.table(s.view).unwrap().detail,
                "{kind}: d opens the details"
            );
            insta::assert_snapshot!(format!("{name}_detail_{}x{}", size.0, size.1), render(&s));
        }
    }
}

#[test]
fn every_kind_is_listed_in_every_account_in_the_tui() {
    for kind in KINDS {
        let mut s = state((120, 30));
        let fx = command(&mut s, &format!("all {}", kind.about().command));
        let request = match fx.last() {
            Some(Effect::Start(Job {
                id,
                work: Work::Every { kind: k, .. },
            })) => {
                assert_eq!(*k, kind);
                *id
            }
            other => panic!("{kind}: expected an every-account listing, got {other:?}"),
        };
        for role in [PROD, STAGING] {
            let role = s.role(&arn(role)).unwrap().clone();
            let name = s
                .account(role.arn.account_id())
                .and_then(|a| a.name.clone());
            let listing = Listing {
                items: examples(kind),
                failures: vec![],
                notes: vec![],
                regions: None,
            };
            let query = rolecall::resources::Query {
                regions: role.regions(&s.defaults),
                window: None,
                subject: None,
                findings: None,
            };
            let part = Part::new(kind, &role.arn, name, query, Ok(listing));
            update(&mut s, every(kind, request, part));
        }
        let t = s.table(s.view).unwrap();
        assert_eq!(t.items.len(), 4, "{kind}");
        assert!(t.items.iter().all(|r| r.origin().is_some()));
        let name = kind.about().command;
        insta::assert_snapshot!(format!("{name}_every_account_120x30"), render(&s));
        // `/` finds an account's rows by its name.
        type_keys(&mut s, "/staging");
        assert_eq!(s.table(s.view).unwrap().visible.len(), 2, "{kind}");
        update(&mut s, code(KeyCode::Enter));
        update(&mut s, key('d'));
        let screen = render(&s);
        assert!(screen.contains("listed via role"), "{kind}: {screen}");
        assert!(
            screen.contains("333333333333 (staging)"),
            "{kind}: {screen}"
        );
    }
}

#[test]
fn every_kind_exports_what_its_table_shows() {
    for kind in KINDS {
        let mut s = role_table(kind, (120, 30));
        s.case = Some(rolecall::app::msg::CaseInfo {
            id: "IR-1".into(),
            dir: "/tmp/none".into(),
        });
        let fx = update(&mut s, key('e'));
        match &started(&fx).work {
            Work::Export { name, rows, .. } => {
                assert!(name.starts_with(kind.about().command), "{kind}: {name}");
                assert_eq!(rows.kind, kind);
                assert!(!rows.every);
                let table = s.table(s.view).unwrap();
                assert_eq!(rows.rows.len(), table.visible.len(), "{kind}");
            }
            other => panic!("{kind}: {other:?}"),
        }
        // The CSV of what it exports is its JSON, field by field (the account's first when the
        // rows are every account's).
        let origin = Arc::new(Origin {
            account_id: "222222222222".into(),
            account_name: Some("prod".into()),
            role_arn: PROD.into(),
        });
        for every in [false, true] {
            let rows: Vec<Row> = examples(kind)
                .into_iter()
                .map(|r| if every { r.through(origin.clone()) } else { r })
                .collect();
            let csv = rolecall::resources::to_csv(kind, every, &rows).unwrap();
            let json = serde_json::to_value(&rows).unwrap();
            csv_is_json(&format!("{kind} every={every}"), &json, &csv);
        }
    }
}

/// Each CSV record equals its JSON row: lists joined by `;`, tags as `key=value;…`, nothing as
/// `""`, numbers and booleans as text; a list of objects (rules) as each object's text, which is
/// only checked to be there.
fn csv_is_json(what: &str, json: &Value, csv: &str) {
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    let records: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect();
    let rows = json.as_array().unwrap();
    assert_eq!(records.len(), rows.len(), "{what}");
    for (row, record) in rows.iter().zip(&records) {
        let obj = row.as_object().unwrap();
        let keys: BTreeSet<&str> = obj.keys().map(String::as_str).collect();
        let names: BTreeSet<&str> = header.iter().map(String::as_str).collect();
        // (A field the JSON leaves out, as an account without a name, is "" in the CSV.)
        assert!(
            keys.is_subset(&names),
            "{what}: the CSV's columns are the JSON's fields: {keys:?} {names:?}"
        );
        assert!(
            names
                .iter()
                .all(|n| keys.contains(n) || *n == "account_name"),
            "{what}: {names:?} {keys:?}"
        );
        for (name, cell) in header.iter().zip(record) {
            let want = match obj.get(name).unwrap_or(&Value::Null) {
                Value::Null => String::new(),
                Value::String(s) => s.clone(),
                Value::Bool(b) => b.to_string(),
                Value::Number(n) => n.to_string(),
                Value::Array(items) if items.iter().all(Value::is_string) => items
                    .iter()
                    .map(|i| i.as_str().unwrap())
                    .collect::<Vec<_>>()
                    .join(";"),
                Value::Array(items) => {
                    assert_eq!(
                        cell.split(';').filter(|p| !p.is_empty()).count(),
                        items.len(),
                        "{what}: {name} has one entry per item: {cell:?}"
                    );
                    continue;
                }
                // A document (an event's): its JSON, as it is.
                Value::Object(map) if !map.values().all(Value::is_string) => {
                    let cell: Value = serde_json::from_str(cell)
                        .unwrap_or_else(|e| panic!("{what}: {name} is JSON: {e}"));
                    assert_eq!(&cell, &Value::Object(map.clone()), "{what}: {name}");
                    continue;
                }
                Value::Object(map) => map
                    .iter()
                    .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
                    .collect::<Vec<_>>()
                    .join(";"),
            };
            assert_eq!(cell, &want, "{what}: {name}");
        }
    }
}

/// Ids of the rows, per account, from a JSON listing (`id_field`: the kind's id).
fn ids_by_account(rows: &Value, id_field: &str) -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for r in rows.as_array().unwrap() {
        out.entry(r["account_id"].as_str().unwrap().to_string())
            .or_default()
            .insert(r[id_field].as_str().unwrap().to_string());
    }
    out
}

/// The JSON field that holds a kind's id: the one its example's id is in.
fn id_field(kind: Kind) -> String {
    let row = kind.spec().example();
    let json = serde_json::to_value(&row).unwrap();
    json.as_object()
        .unwrap()
        .iter()
        .find(|(_, v)| v.as_str() == Some(row.id()))
        .map(|(k, _)| k.clone())
        .unwrap()
}

#[test]
fn every_kind_against_the_emulator_csv_json_and_every_account() {
    let emu = emulator();
    let roles = [
        ("222222222222", "prod-responder"),
        ("333333333333", "staging-auditor"),
        ("555555555555", "sandbox"),
    ];
    for kind in KINDS {
        let cmd = kind.about().command;
        let field = id_field(kind);
        // --all: JSON and CSV of the same rows.
        let all = run(emu.rolecall().args([cmd, "--all", "--json"])).ok();
        let rows = all.json();
        let csv = run(emu.rolecall().args([cmd, "--all", "--csv"]))
            .ok()
            .stdout;
        csv_is_json(&format!("{cmd} --all"), &rows, &csv);
        assert!(
            all.stderr.contains(&format!(
                "rolecall: {} {} in ",
                rows.as_array().unwrap().len(),
                kind.noun()
            )),
            "{}",
            all.stderr
        );
        // Each account's rows are what its role lists on its own.
        let every = ids_by_account(&rows, &field);
        for (account, role) in roles {
            let own = run(emu.rolecall().args([cmd, role, "--json"])).ok().json();
            let own_csv = run(emu.rolecall().args([cmd, role, "--csv"])).ok().stdout;
            csv_is_json(&format!("{cmd} {role}"), &own, &own_csv);
            let ids: BTreeSet<String> = own
                .as_array()
                .unwrap()
                .iter()
                .map(|r| {
                    // A role's own rows carry no account fields, but a kind's own (an
                    // event's or a finding's account_id: the account it is about).
                    assert!(
                        r.get("role_arn").is_none()
                            && r.get("account_name").is_none()
                            && (kind.spec().has_field("account_id")
                                || r.get("account_id").is_none()),
                        "{cmd} {role}: no account fields"
                    );
                    r[&field].as_str().unwrap().to_string()
                })
                .collect();
            assert!(!ids.is_empty(), "{cmd} {role}: the emulator has some");
            assert_eq!(every.get(account), Some(&ids), "{cmd}: account {account}");
        }
        let rows = rows.as_array().unwrap();
        assert!(rows
            .iter()
            .all(|r| r["role_arn"].as_str().unwrap().contains(":role/")));
        let prod = rows
            .iter()
            .find(|r| r["account_id"] == "222222222222")
            .unwrap();
        assert_eq!(prod["account_name"], "prod", "{cmd}");
        // As a table: one per account, headed by the account and its role; a kind in an order
        // of its own (findings: severest first) is one table in that order, each row naming
        // its account.
        let text = run(emu.rolecall().args([cmd, "--all"])).ok().stdout;
        if kind.spec().default_sort().is_some() {
            assert!(!text.contains("== account"), "{cmd}: {text}");
            assert!(
                text.lines().any(|l| l.contains("222222222222")),
                "{cmd}: {text}"
            );
            continue;
        }
        assert!(
            text.contains(&format!(
                "== account 222222222222 prod (via {})",
                emu.role_arn("prod-responder")
            )),
            "{cmd}: {text}"
        );
    }
}

#[test]
fn security_groups_show_their_rules_and_instances() {
    let emu = emulator();
    let groups = &emu.world["security_groups"];
    let out = run(emu
        .rolecall()
        .args(["security-groups", "prod-responder", "--json"]))
    .ok();
    let rows = out.json();
    let find = |name: &str| {
        rows.as_array()
            .unwrap()
            .iter()
            .find(|g| g["group_id"] == groups[name])
            .unwrap_or_else(|| panic!("{name} in {rows}"))
            .clone()
    };
    let web = find("web-public");
    assert_eq!(web["group_name"], "web-public");
    assert_eq!(web["description"], "public web servers");
    assert_eq!(web["region"], "us-east-1");
    assert!(web["vpc_id"].as_str().unwrap().starts_with("vpc-"));
    let https = web["inbound"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["from_port"] == 443)
        .unwrap();
    assert_eq!(https["protocol"], "tcp");
    assert_eq!(https["to_port"], 443);
    assert_eq!(https["cidrs"], serde_json::json!(["0.0.0.0/0", "::/0"]));
    let ssh = web["inbound"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["from_port"] == 22)
        .unwrap();
    assert_eq!(ssh["groups"], serde_json::json!([groups["admin-ssh"]]));
    let admin = find("admin-ssh");
    assert_eq!(
        admin["inbound"][0]["cidrs"],
        serde_json::json!(["203.0.113.0/24"])
    );
    assert_eq!(
        admin["inbound"][0]["prefix_lists"],
        serde_json::json!([groups["office"]])
    );
    assert_eq!(admin["outbound"][0]["protocol"], "all");
    // The instances using each group: web-1 and web-2 in web-public, web-1 alone in admin-ssh,
    // none in legacy-db.
    let ids = emu.instance_ids("222222222222");
    let mut both = vec![ids[0].clone(), ids[1].clone()];
    both.sort();
    assert_eq!(web["instance_ids"], serde_json::json!(both));
    assert_eq!(admin["instance_ids"], serde_json::json!([&ids[0]]));
    assert_eq!(find("legacy-db")["instance_ids"], serde_json::json!([]));
    // Its table: the TUI's columns; `!` where the internet may come in.
    let text = run(emu.rolecall().args(["sg", "prod-responder"]))
        .ok()
        .stdout;
    let line = text.lines().find(|l| l.starts_with("web-public")).unwrap();
    assert!(line.contains("2 !"), "{line}");
    // The console page of a group, and a bad id refused before any call.
    let link = run(emu.rolecall().args([
        "link",
        "prod-responder",
        "--security-group",
        groups["web-public"].as_str().unwrap(),
    ]))
    .ok()
    .stdout;
    assert!(
        link.contains(&format!(
            "SecurityGroup%3AgroupId%3D{}",
            groups["web-public"].as_str().unwrap()
        )),
        "{link}"
    );
    let bad = run(emu
        .rolecall()
        .args(["link", "prod-responder", "--security-group", "sg-../x"]))
    .fails();
    assert!(
        bad.stderr
            .contains("--security-group \"sg-../x\" is not a security group id"),
        "{}",
        bad.stderr
    );
}
