//! The every-account view, driven with messages alone: which role lists each account, rows filling
//! in as accounts answer, the filter across all of them, failures per account, and what leaving
//! or switching does to the listing in flight.

use crate::fixtures::*;

const STAGING_ID: &str = "333333333333";
use crossterm::event::KeyCode;
use rolecall::app::state::{SessionStatus, State, View};
use rolecall::app::update::update;
use rolecall::aws::console::Page;
use rolecall::aws::{AwsError, ErrorKind};
use rolecall::inventory::Part;

const SANDBOX: &str = "arn:aws:iam::555555555555:role/ResponderRole";

/// Opens the every-account view from the tree; returns the request and the ListAll effect's
/// targets (role ARNs) and the roles it assumes first.
fn press_a(s: &mut State) -> (u64, Vec<String>, Vec<String>) {
    let fx = update(s, key('a'));
    match &fx[..] {
        [Effect::Start(Job {
            id,
            work:
                Work::Every {
                    kind: Kind::Instances,
                    targets,
                    assume,
                    concurrency,
                },
        })] => {
            assert_eq!(*concurrency, s.defaults.concurrency as usize);
            (
                *id,
                targets.iter().map(|t| t.role.arn.to_string()).collect(),
                assume.iter().map(|(a, _)| a.to_string()).collect(),
            )
        }
        other => panic!("expected an every-account listing, got {other:?}"),
    }
}

/// The kind of the every-account listing `fx` starts (stopping the other kind's, if one runs).
fn listed_kind(fx: &[Effect]) -> Kind {
    let kinds: Vec<Kind> = fx
        .iter()
        .filter_map(|e| match e {
            Effect::Start(Job {
                work: Work::Every { kind, .. },
                ..
            }) => Some(*kind),
            Effect::Cancel(Slot::Every(_)) => None,
            other => panic!("expected an every-account listing, got {other:?}"),
        })
        .collect();
    match kinds[..] {
        [kind] => kind,
        _ => panic!("expected one every-account listing, got {fx:?}"),
    }
}

fn all_instances(request: u64, part: Part) -> Msg {
    every_instances(request, part)
}

/// `role`'s account answers `request` with `items`.
fn answer(s: &mut State, request: u64, role: &str, items: Vec<Instance>) {
    let p = part(s, role, items);
    update(s, all_instances(request, p));
}

fn session(role: &str) -> Msg {
    Msg::Session {
        role: arn(role),
        result: Ok(session_meta(role, 60)),
    }
}

fn denied(s: &State, role: &str) -> Part {
    let _ = s;
    let e = AwsError::new(ErrorKind::AccessDenied, "AssumeRole", role)
        .with_message("not authorized to perform: sts:AssumeRole")
        .with_hint("check the trust policy");
    failed_part(role, e)
}

/// The ids shown, top to bottom.
fn shown(s: &State) -> Vec<String> {
    let t = &s.all.get(Kind::Instances).table;
    t.visible
        .iter()
        .map(|&i| as_::<Instance>(&t.items[i]).instance_id.clone())
        .collect()
}

#[test]
fn one_role_per_account_reusing_live_sessions() {
    let mut s = state((100, 30));
    let request = open_prod(&mut s);
    update(&mut s, listed_instances(request, vec![]));
    update(&mut s, code(KeyCode::Esc));
    let (_, mut targets, mut assume) = press_a(&mut s);
    assert_eq!(s.view, ALL_INSTANCES);
    targets.sort();
    assume.sort();
    assert_eq!(
        targets,
        [PROD, STAGING, EMPTY, SANDBOX],
        "one role per account, never the MFA one"
    );
    assert_eq!(
        assume,
        [STAGING, EMPTY, SANDBOX],
        "prod has a live session: it is reused, not assumed again"
    );
    assert!(s.is_loading());
    let status = s.status.clone().unwrap();
    assert!(
        status
            .text
            .contains("listing instances in 4 accounts, assuming 3 roles first"),
        "{status:?}"
    );
    // The sessions it starts arrive quietly: no status line per account.
    update(&mut s, session(STAGING));
    assert!(matches!(
        s.session_status(&arn(STAGING)),
        SessionStatus::Active { .. }
    ));
    assert_eq!(s.status, Some(status));
}

#[test]
fn rows_fill_in_as_accounts_answer_and_the_cursor_stays_on_its_row() {
    let mut s = state((100, 30));
    let (request, ..) = press_a(&mut s);
    answer(&mut s, request, STAGING, staging_instances());
    assert_eq!(shown(&s), ["i-0000000000000001a", "i-0000000000000001b"]);
    assert_eq!(s.all.get(Kind::Instances).done, 1);
    assert!(s.is_loading(), "three accounts still to answer");
    update(&mut s, key('j'));
    // Prod sorts before staging (by account name): the cursor stays on web-stg.
    answer(&mut s, request, PROD, prod_instances());
    assert_eq!(s.all.get(Kind::Instances).table.items.len(), 6);
    let t = &s.all.get(Kind::Instances).table;
    let accounts: Vec<&str> = t
        .visible
        .iter()
        .map(|&i| {
            t.items[i]
                .origin()
                .unwrap()
                .account_name
                .as_deref()
                .unwrap()
        })
        .collect();
    assert_eq!(
        accounts,
        ["prod", "prod", "prod", "prod", "staging", "staging"]
    );
    let selected = s.all.get(Kind::Instances).table.selected_item().unwrap();
    assert_eq!(as_::<Instance>(selected).name, "web-stg");
    assert_eq!(
        selected.origin().unwrap().account_name.as_deref(),
        Some("staging")
    );
    answer(&mut s, request, EMPTY, vec![]);
    answer(&mut s, request, SANDBOX, vec![]);
    assert!(!s.is_loading());
    assert_eq!(s.all.get(Kind::Instances).ok, 4);
    let status = s.status.as_ref().unwrap();
    assert!(!status.error);
    assert_eq!(status.text, "6 instances in 4 of 4 accounts");
}

#[test]
fn the_filter_searches_every_account_by_ip_tag_name_and_account() {
    let mut s = state((100, 30));
    let (request, ..) = press_a(&mut s);
    answer(&mut s, request, PROD, prod_instances());
    answer(&mut s, request, STAGING, staging_instances());
    let mut filter = |text: &str| {
        update(&mut s, key('/'));
        type_keys(&mut s, text);
        update(&mut s, code(KeyCode::Enter));
        let ids = shown(&s);
        update(&mut s, code(KeyCode::Esc));
        ids
    };
    assert_eq!(filter("10.0.0.22"), ["i-0000000000000001b"], "private IP");
    assert_eq!(filter("54.214.0.4"), ["i-0000000000000000d"], "public IP");
    assert_eq!(filter("i-0000000000000001a"), ["i-0000000000000001a"], "id");
    assert_eq!(filter("LEGAL-HOLD"), ["i-0000000000000001a"], "tag value");
    assert_eq!(filter("staging").len(), 2, "account name");
    assert_eq!(filter("2222222").len(), 4, "account id");
    assert_eq!(filter("eu-web").len(), 1, "name");
    assert!(filter("nothing-like-this").is_empty());
    assert_eq!(
        s.all.get(Kind::Instances).table.list.filter,
        "",
        "Esc cleared it"
    );
}

#[test]
fn a_failed_account_is_reported_and_the_rest_kept() {
    let mut s = state((100, 30));
    let (request, ..) = press_a(&mut s);
    answer(&mut s, request, PROD, prod_instances());
    let failed = denied(&s, SANDBOX);
    update(&mut s, all_instances(request, failed));
    answer(&mut s, request, STAGING, vec![]);
    answer(&mut s, request, EMPTY, vec![]);
    assert!(!s.is_loading());
    assert_eq!(
        s.all.get(Kind::Instances).table.items.len(),
        4,
        "prod's rows stay"
    );
    assert_eq!(s.all.get(Kind::Instances).ok, 3);
    assert_eq!(s.all.get(Kind::Instances).table.failures.len(), 1);
    let status = s.status.as_ref().unwrap();
    assert!(status.error);
    assert!(
        status
            .text
            .starts_with("4 instances in 3 of 4 accounts; 1 failed — account 555555555555:"),
        "{}",
        status.text
    );
    assert!(
        status.text.contains("check the trust policy"),
        "{}",
        status.text
    );
    // `r` lists every account again, with a new request: late answers to the old one are dropped.
    let fx = update(&mut s, key('r'));
    let again = started(&fx).id;
    assert_ne!(again, request);
    assert!(s.all.get(Kind::Instances).table.items.is_empty());
    assert!(s.all.get(Kind::Instances).table.failures.is_empty());
    answer(&mut s, request, PROD, prod_instances());
    assert!(
        s.all.get(Kind::Instances).table.items.is_empty(),
        "stale answer"
    );
}

#[test]
fn accounts_reachable_only_with_mfa_are_skipped_until_a_session_exists() {
    let mut s = state((100, 30));
    // Prod reachable only through the break-glass role, which needs an MFA code.
    let prod = s
        .accounts
        .iter_mut()
        .find(|a| a.id == "222222222222")
        .unwrap();
    prod.roles.retain(|r| r.mfa_serial.is_some());
    let (_, mut targets, _) = press_a(&mut s);
    targets.sort();
    assert_eq!(targets, [STAGING, EMPTY, SANDBOX]);
    let skipped = &s.all.get(Kind::Instances).table.failures;
    assert_eq!(skipped.len(), 1);
    assert_eq!(skipped[0].account_id, "222222222222");
    assert!(
        skipped[0]
            .error
            .hint
            .as_deref()
            .unwrap()
            .contains("assume prod-breakglass first"),
        "{skipped:?}"
    );
    // Once the break-glass session is live, the next listing goes through it.
    answer_assume(&mut s, BREAKGLASS, 15);
    let fx = update(&mut s, key('r'));
    match &fx[..] {
        [Effect::Start(Job {
            work: Work::Every {
                targets, assume, ..
            },
            ..
        })] => {
            assert!(targets.iter().any(|t| t.role.arn.to_string() == BREAKGLASS));
            assert!(!assume.iter().any(|(a, _)| a.to_string() == BREAKGLASS));
        }
        other => panic!("{other:?}"),
    }
    assert!(s.all.get(Kind::Instances).table.failures.is_empty());
}

#[test]
fn an_mfa_session_lets_every_mfa_only_account_be_listed_without_a_code() {
    let mut s = state((100, 30));
    let serial = "arn:aws:iam::111111111111:mfa/responder".to_string();
    // Prod and staging are reached only through roles that ask for the same device.
    for a in s.accounts.iter_mut() {
        if a.id == "222222222222" {
            a.roles.retain(|r| r.mfa_serial.is_some());
        }
        if a.id == STAGING_ID {
            for r in a.roles.iter_mut() {
                r.mfa_serial = Some(serial.clone());
            }
        }
    }
    let (_, targets, _) = press_a(&mut s);
    assert!(!targets
        .iter()
        .any(|t| t.contains("222222222222") || t.contains(STAGING_ID)));
    update(&mut s, code(KeyCode::Esc));
    // The break-glass role is assumed with a code; the answer says its MFA session lasts 12 h.
    let slot = Slot::Assume(arn(BREAKGLASS));
    let Effect::Start(job) = s.jobs.start(Work::Assume {
        role: Box::new(s.role(&arn(BREAKGLASS)).unwrap().clone()),
        token_code: None,
        duration: None,
    }) else {
        panic!()
    };
    let mut meta = session_meta(BREAKGLASS, 60);
    meta.mfa_session = Some((serial.clone(), now() + chrono::Duration::hours(12)));
    update(
        &mut s,
        Msg::Job {
            slot,
            id: job.id,
            answer: Answer::Assumed {
                role: arn(BREAKGLASS),
                result: Ok(meta),
            },
        },
    );
    assert!(s.mfa_ready(&serial));
    let (_, mut targets, assume) = press_a(&mut s);
    targets.sort();
    assert!(
        targets.iter().any(|t| t.contains(STAGING_ID)),
        "{targets:?}"
    );
    assert!(targets.iter().any(|t| t == BREAKGLASS), "{targets:?}");
    // Staging's MFA role is assumed now, without a code: nothing is skipped.
    assert!(assume.iter().any(|a| a.contains(STAGING_ID)), "{assume:?}");
    assert!(s.all.get(Kind::Instances).table.failures.is_empty());
}

#[test]
fn leaving_stops_the_listing_and_a_lists_again() {
    let mut s = state((100, 30));
    let (first, ..) = press_a(&mut s);
    answer(&mut s, first, PROD, prod_instances());
    let fx = update(&mut s, code(KeyCode::Esc));
    assert!(
        matches!(&fx[..], [Effect::Cancel(Slot::Every(_))]),
        "{fx:?}"
    );
    assert_eq!(s.view, View::Tree);
    assert!(!s.is_loading());
    answer(&mut s, first, STAGING, staging_instances());
    assert_eq!(
        s.all.get(Kind::Instances).table.items.len(),
        4,
        "late answer dropped"
    );
    // Half a listing is not kept: `a` starts over.
    let (second, ..) = press_a(&mut s);
    assert_ne!(first, second);
    assert!(s.all.get(Kind::Instances).table.items.is_empty());
}

#[test]
fn a_finished_listing_is_shown_again_without_listing() {
    let mut s = state((100, 30));
    let (request, ..) = press_a(&mut s);
    for role in [PROD, STAGING, EMPTY, SANDBOX] {
        let items = if role == PROD {
            prod_instances()
        } else {
            vec![]
        };
        answer(&mut s, request, role, items);
    }
    assert!(update(&mut s, code(KeyCode::Esc)).is_empty());
    assert!(
        update(&mut s, key('a')).is_empty(),
        "shown, not listed again"
    );
    assert_eq!(s.view, ALL_INSTANCES);
    assert_eq!(s.all.get(Kind::Instances).table.items.len(), 4);
}

#[test]
fn v_and_i_switch_between_every_accounts_instances_and_volumes() {
    let mut s = state((100, 30));
    let (request, ..) = press_a(&mut s);
    let fx = update(&mut s, key('v'));
    assert_eq!(listed_kind(&fx), Kind::Volumes);
    assert_eq!(s.view, ALL_VOLUMES);
    // One every-account listing at a time: the instances one stopped, and starts over on `i`.
    answer(&mut s, request, PROD, prod_instances());
    assert!(s.all.get(Kind::Instances).table.items.is_empty());
    let fx = update(&mut s, key('i'));
    assert_eq!(listed_kind(&fx), Kind::Instances);
    assert!(
        s.jobs.running(&Slot::Every(Kind::Volumes)).is_none(),
        "the volumes listing stopped in turn"
    );
}

#[test]
fn keys_act_on_the_selected_rows_account_and_role() {
    let mut s = state((100, 30));
    let (request, ..) = press_a(&mut s);
    answer(&mut s, request, STAGING, staging_instances());
    update(&mut s, session(STAGING));
    // Y: the id.
    let fx = update(&mut s, key('Y'));
    assert!(
        matches!(&fx[..], [Effect::Copy(id)] if id == "i-0000000000000001a"),
        "{fx:?}"
    );
    // y: the switch-role link of the role the row was listed through.
    let fx = update(&mut s, key('y'));
    match &fx[..] {
        [Effect::Copy(url)] => {
            assert!(url.contains("account=333333333333"), "{url}");
            assert!(
                url.contains("roleName=audit%2FAuditor") || url.contains("roleName=audit/Auditor"),
                "{url}"
            );
        }
        other => panic!("{other:?}"),
    }
    // o: the console as that role, on that instance.
    let fx = update(&mut s, key('o'));
    match &fx[..] {
        [Effect::Start(Job {
            work:
                Work::Console {
                    role,
                    destination,
                    open: true,
                },
            ..
        })] => {
            assert_eq!(role.to_string(), STAGING);
            assert_eq!(destination.region.as_deref(), Some("us-east-1"));
            assert_eq!(
                destination.resource,
                Some(Page(
                    "#InstanceDetails:instanceId=i-0000000000000001a".into()
                ))
            );
        }
        other => panic!("{other:?}"),
    }
    // Enter: the details; 3 sorts by instance id, again reverses.
    update(&mut s, code(KeyCode::Enter));
    assert!(s.all.get(Kind::Instances).table.detail);
    update(&mut s, code(KeyCode::Esc));
    assert!(!s.all.get(Kind::Instances).table.detail);
    assert_eq!(s.view, ALL_INSTANCES, "Esc closed the details only");
    update(&mut s, key('3'));
    update(&mut s, key('3'));
    assert_eq!(shown(&s), ["i-0000000000000001b", "i-0000000000000001a"]);
}

#[test]
fn no_roles_at_all_says_what_to_do() {
    let mut s = state((100, 30));
    s.accounts.clear();
    let fx = update(&mut s, key('a'));
    assert!(fx.is_empty(), "{fx:?}");
    assert_eq!(s.view, ALL_INSTANCES);
    assert!(!s.is_loading());
    let status = s.status.as_ref().unwrap();
    assert!(
        status.error && status.text.contains("no roles known"),
        "{status:?}"
    );
}

#[test]
fn the_command_line_opens_it_too() {
    let mut s = state((100, 30));
    update(&mut s, key(':'));
    type_keys(&mut s, "all volumes");
    let fx = update(&mut s, code(KeyCode::Enter));
    assert_eq!(listed_kind(&fx), Kind::Volumes);
    assert_eq!(s.view, ALL_VOLUMES);
}

#[test]
fn rows_arriving_under_a_filter_show_only_if_they_match() {
    let mut s = state((100, 30));
    let (request, ..) = press_a(&mut s);
    answer(&mut s, request, PROD, prod_instances());
    update(&mut s, key('/'));
    type_keys(&mut s, "web");
    update(&mut s, code(KeyCode::Enter));
    assert_eq!(shown(&s).len(), 3, "web-1, web-2, eu-web-1");
    answer(&mut s, request, STAGING, staging_instances());
    assert_eq!(
        shown(&s),
        [
            "i-0000000000000000d",
            "i-0000000000000000a",
            "i-0000000000000000b",
            "i-0000000000000001b"
        ],
        "web-stg joins, in order; audit-box does not"
    );
    assert_eq!(s.all.get(Kind::Instances).table.items.len(), 6);
    update(&mut s, code(KeyCode::Esc));
    assert_eq!(shown(&s).len(), 6, "clearing the filter shows every row");
}

#[test]
fn accounts_aws_throttled_are_counted_in_the_title_and_the_summary() {
    let mut s = state((120, 30));
    let (request, ..) = press_a(&mut s);
    let mut p = part(&s, STAGING, staging_instances());
    p.throttled = 2;
    update(&mut s, all_instances(request, p));
    answer(&mut s, request, PROD, prod_instances());
    assert_eq!(
        s.all.get(Kind::Instances).throttled,
        1,
        "an account, however often"
    );
    let screen = screen_text(&s);
    assert!(
        screen.contains("2/4 accounts answered… · 3/6 regions · 1 throttled, listed again"),
        "{screen}"
    );
    answer(&mut s, request, EMPTY, vec![]);
    answer(&mut s, request, SANDBOX, vec![]);
    let status = s.status.as_ref().unwrap();
    assert_eq!(
        status.text,
        "6 instances in 4 of 4 accounts (1 throttled by AWS, listed again after a pause)"
    );
    // Listing again starts the count afresh.
    update(&mut s, key('r'));
    assert_eq!(s.all.get(Kind::Instances).throttled, 0);
}

/// The screen as text, drawn into ratatui's TestBackend.
fn screen_text(s: &State) -> String {
    let (w, h) = s.size;
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(w, h)).unwrap();
    terminal
        .draw(|f| rolecall::ui::draw(f, s, &rolecall::ui::Theme::new(true)))
        .unwrap();
    let buffer = terminal.backend().buffer();
    (0..h)
        .map(|y| (0..w).map(|x| buffer[(x, y)].symbol()).collect::<String>() + "\n")
        .collect()
}

#[test]
fn a_key_id_typed_into_the_filter_finds_its_user_in_whatever_account() {
    use rolecall::resources::User;
    let mut s = state((100, 30));
    press_a(&mut s);
    // u: every account's IAM users.
    let fx = update(&mut s, key('u'));
    assert_eq!(listed_kind(&fx), Kind::Users);
    let Some(Effect::Start(Job { id: users, .. })) = fx.last() else {
        panic!("{fx:?}")
    };
    let users = *users;
    let mut deploy = User::example();
    deploy.user_name = "ci-deploy".into();
    let mut backup = User::example();
    backup.user_name = "backup-bot".into();
    backup.access_keys[0].access_key_id = "AKIASTAGINGKEY000001".into();
    let (prod, staging) = (
        part(&s, PROD, vec![deploy]),
        part(&s, STAGING, vec![backup]),
    );
    update(&mut s, every(Kind::Users, users, prod));
    update(&mut s, every(Kind::Users, users, staging));
    update(&mut s, key('/'));
    type_keys(&mut s, "akiastagingkey000001");
    update(&mut s, code(KeyCode::Enter));
    let t = &s.all.get(Kind::Users).table;
    let found: Vec<(&str, Option<&str>)> = t
        .visible
        .iter()
        .map(|&i| {
            let row = &t.items[i];
            (as_::<User>(row).user_name.as_str(), row.role_arn())
        })
        .collect();
    assert_eq!(found, [("backup-bot", Some(STAGING))]);
}

/// The title counts regions as well as accounts: `regions = "all"` is planned as the regions
/// every account has, replaced by each account's own as it answers; a region that failed is
/// not answered, one not enabled is; an account never listed keeps what was planned.
#[test]
fn the_title_counts_the_regions_answered() {
    use rolecall::aws::target::{Listing, RegionFailure};
    let mut s = state((120, 30));
    s.region_override = Some(vec!["all".into()]);
    let (request, targets, _) = press_a(&mut s);
    assert_eq!(targets.len(), 4);
    let all = s.all.get(Kind::Instances);
    assert_eq!((all.regions_answered, all.regions), (0, 4 * 17));
    assert!(
        screen_text(&s).contains("0/4 accounts answered… · 0/68 regions"),
        "{}",
        screen_text(&s)
    );

    // Staging enabled three regions: one answered, one refused the call, one is not enabled.
    let fail = |region: &str, code: &str| RegionFailure {
        region: region.into(),
        error: AwsError::new(
            rolecall::aws::error::kind_from_code(Some(code)),
            "DescribeInstances",
            format!("region {region}"),
        )
        .with_code(code),
    };
    let query = |regions: Vec<String>| rolecall::resources::Query {
        regions,
        window: None,
        subject: None,
        findings: None,
    };
    let listing = Listing {
        items: vec![],
        failures: rolecall::inventory::not_enabled(
            3,
            vec![
                fail("eu-west-1", "UnauthorizedOperation"),
                fail("me-central-1", "OptInRequired"),
            ],
        ),
        notes: vec![],
        regions: Some(vec![
            "eu-west-1".into(),
            "me-central-1".into(),
            "us-east-1".into(),
        ]),
    };
    let staging = Part::new(
        Kind::Instances,
        &arn(STAGING),
        None,
        query(vec!["all".into()]),
        Ok(listing),
    );
    update(&mut s, all_instances(request, staging));
    let all = s.all.get(Kind::Instances);
    assert_eq!((all.regions_answered, all.regions), (2, 3 * 17 + 3));
    // Sandbox's session was refused: its regions were never found out, and none answered.
    let sandbox = denied(&s, SANDBOX);
    update(&mut s, all_instances(request, sandbox));
    let all = s.all.get(Kind::Instances);
    assert_eq!((all.regions_answered, all.regions), (2, 3 * 17 + 3));
    assert!(
        screen_text(&s).contains("2/4 accounts answered… · 2/54 regions"),
        "{}",
        screen_text(&s)
    );
    // The last two answer in the 17 regions every account has.
    let seventeen: Vec<String> = (0..17).map(|i| format!("r-{i}")).collect();
    for role in [PROD, EMPTY] {
        let listing = Listing {
            regions: Some(seventeen.clone()),
            ..Listing::default()
        };
        let p = Part::new(
            Kind::Instances,
            &arn(role),
            None,
            query(vec!["all".into()]),
            Ok(listing),
        );
        update(&mut s, all_instances(request, p));
    }
    let all = s.all.get(Kind::Instances);
    assert_eq!((all.regions_answered, all.regions), (36, 54));
    let screen = screen_text(&s);
    assert!(screen.contains("4 accounts · 36/54 regions"), "{screen}");
    // The region not enabled is counted apart from what failed, on screen and in the summary.
    assert!(
        screen.contains("failed: 333333333333 eu-west-1 (UnauthorizedOperation), 555555555555 (AccessDenied) · 1 not enabled"),
        "{screen}"
    );
    let status = &s.status.as_ref().unwrap().text;
    assert!(
        status.starts_with("0 instances in 3 of 4 accounts; 1 not enabled (region or service), nothing there; 2 failed — account 333333333333 region eu-west-1"),
        "{status}"
    );
}
