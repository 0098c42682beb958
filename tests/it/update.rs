//! The TUI's update logic, driven with messages alone: no terminal, no network, a fixed clock.

use crate::fixtures::*;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use rolecall::app::state::{Phase, Popup, SessionStatus, TreeRow, View};
use rolecall::app::update::update;
use rolecall::aws::{AwsError, ErrorKind};

#[test]
fn starts_on_the_first_role_and_asks_who_am_i() {
    let mut s = rolecall::app::State::new(
        &config(),
        now(),
        chrono::FixedOffset::east_opt(0).unwrap(),
        (100, 30),
    );
    let fx = rolecall::app::update::init(&mut s);
    assert!(matches!(started(&fx).work, Work::Identity), "{fx:?}");
    assert!(matches!(s.selected_tree_row(), Some(TreeRow::Role(..))));
    assert!(s.is_loading());
}

#[test]
fn enter_assumes_the_role_then_lists_its_instances() {
    let mut s = state((100, 30));
    let request = open_prod(&mut s);
    assert_eq!(s.view, INSTANCES);
    assert!(matches!(
        s.session_status(&arn(PROD)),
        SessionStatus::Active { seconds_left: 3600 }
    ));
    assert_eq!(s.jobs.running(&Slot::List(Kind::Instances)), Some(request));
    update(&mut s, listed_instances(request, prod_instances()));
    assert_eq!(s.jobs.running(&Slot::List(Kind::Instances)), None);
    assert_eq!(s.tables.get(Kind::Instances).visible.len(), 4);
    assert!(s
        .status
        .as_ref()
        .unwrap()
        .text
        .contains("assumed prod-responder @ 222222222222 (prod)"));
}

#[test]
fn stale_answers_are_dropped() {
    let mut s = state((100, 30));
    let first = open_prod(&mut s);
    let fx = update(&mut s, key('r'));
    let second = listing_job(&fx).0;
    assert_ne!(first, second);
    update(
        &mut s,
        listed_instances(first, prod_instances()[..1].to_vec()),
    );
    assert!(
        s.tables.get(Kind::Instances).items.is_empty(),
        "the older answer is ignored"
    );
    assert_eq!(s.jobs.running(&Slot::List(Kind::Instances)), Some(second));
    update(&mut s, listed_instances(second, prod_instances()));
    assert_eq!(s.tables.get(Kind::Instances).items.len(), 4);
}

#[test]
fn leaving_the_view_cancels_the_listing() {
    let mut s = state((100, 30));
    let request = open_prod(&mut s);
    let fx = update(&mut s, code(KeyCode::Esc));
    assert!(matches!(&fx[..], [Effect::Cancel(Slot::List(_))]), "{fx:?}");
    assert_eq!(s.view, View::Tree);
    update(&mut s, listed_instances(request, prod_instances()));
    assert!(s.tables.get(Kind::Instances).items.is_empty());
    assert!(!s.is_loading());
}

#[test]
fn another_role_never_shows_the_last_accounts_rows() {
    let mut s = state((100, 30));
    let request = open_prod(&mut s);
    update(&mut s, listed_instances(request, prod_instances()));
    update(&mut s, code(KeyCode::Esc));
    select_role(&mut s, STAGING);
    let fx = update(&mut s, code(KeyCode::Enter));
    assert!(matches!(
        &fx[..],
        [Effect::Start(Job {
            work: Work::Assume { .. },
            ..
        })]
    ));
    assert_eq!(
        s.tables
            .get(Kind::Instances)
            .role
            .as_ref()
            .map(|r| r.to_string())
            .as_deref(),
        Some(STAGING)
    );
    assert!(s.tables.get(Kind::Instances).items.is_empty());
}

#[test]
fn a_live_session_is_reused_and_a_nearly_expired_one_is_not() {
    let mut s = state((100, 30));
    open_prod(&mut s);
    update(&mut s, code(KeyCode::Esc));
    let fx = update(&mut s, code(KeyCode::Enter));
    assert!(
        matches!(
            &fx[..],
            [Effect::Start(Job {
                work: Work::List { .. },
                ..
            })]
        ),
        "reuses the session: {fx:?}"
    );
    update(&mut s, code(KeyCode::Esc));
    update(
        &mut s,
        Msg::Tick(now() + chrono::Duration::seconds(3600 - 30)),
    );
    let fx = update(&mut s, code(KeyCode::Enter));
    assert!(
        matches!(
            &fx[..],
            [Effect::Start(Job {
                work: Work::Assume { .. },
                ..
            })]
        ),
        "30 s left: assume again: {fx:?}"
    );
}

#[test]
fn sessions_expire_by_the_clock() {
    let mut s = state((100, 30));
    open_prod(&mut s);
    update(&mut s, Msg::Tick(now() + chrono::Duration::minutes(61)));
    assert_eq!(s.session_status(&arn(PROD)), SessionStatus::Expired);
}

#[test]
fn tree_filter_is_incremental_and_lands_on_a_role() {
    let mut s = state((100, 30));
    type_keys(&mut s, "/stag");
    assert!(s.tree.editing);
    let rows = s.tree_rows();
    assert_eq!(rows.len(), 2, "the staging account and its role: {rows:?}");
    assert_eq!(s.selected_role().unwrap().arn.to_string(), STAGING);
    update(&mut s, code(KeyCode::Enter));
    assert!(!s.tree.editing);
    assert_eq!(s.tree.filter, "stag");
    let fx = update(&mut s, code(KeyCode::Enter));
    assert!(
        matches!(&fx[..], [Effect::Start(Job { work: Work::Assume { role, .. }, .. })] if role.arn.to_string() == STAGING)
    );
    update(&mut s, code(KeyCode::Esc));
    update(&mut s, code(KeyCode::Esc));
    assert_eq!(s.tree.filter, "");
    assert_eq!(s.tree_rows().len(), 9);
}

#[test]
fn tree_filter_matches_ids_and_arns() {
    let mut s = state((100, 30));
    type_keys(&mut s, "/BreakGlass");
    let roles: Vec<_> = s
        .tree_rows()
        .into_iter()
        .filter(|r| matches!(r, TreeRow::Role(..)))
        .collect();
    assert_eq!(roles.len(), 1);
    update(&mut s, code(KeyCode::Esc));
    type_keys(&mut s, "/444444");
    assert_eq!(s.selected_role().unwrap().arn.to_string(), EMPTY);
    update(&mut s, code(KeyCode::Esc));
    type_keys(&mut s, "/zzzzzz");
    assert!(s.tree_rows().is_empty());
}

#[test]
fn accounts_fold_and_unfold() {
    let mut s = state((100, 30));
    select_role(&mut s, PROD);
    update(&mut s, key('h'));
    assert_eq!(s.tree_rows().len(), 7);
    assert!(matches!(s.selected_tree_row(), Some(TreeRow::Account(_))));
    update(&mut s, key('l'));
    assert_eq!(s.tree_rows().len(), 9);
    // Enter on an account folds it too.
    update(&mut s, code(KeyCode::Enter));
    assert_eq!(s.tree_rows().len(), 7);
}

#[test]
fn mfa_roles_ask_for_a_code_first() {
    let mut s = state((100, 30));
    select_role(&mut s, BREAKGLASS);
    let fx = update(&mut s, code(KeyCode::Enter));
    assert!(fx.is_empty(), "{fx:?}");
    assert!(matches!(s.popup, Some(Popup::Mfa { .. })));
    let fx = type_keys(&mut s, "12a3456");
    assert!(fx.is_empty());
    let fx = update(&mut s, code(KeyCode::Enter));
    match &fx[..] {
        [Effect::Start(Job {
            work:
                Work::Assume {
                    role,
                    token_code: Some(code),
                    ..
                },
            ..
        })] => {
            assert_eq!(role.arn.to_string(), BREAKGLASS);
            assert_eq!(code.expose(), "123456");
            assert!(
                !format!("{fx:?}").contains("123456"),
                "codes stay out of Debug"
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(s.popup.is_none());

    // Esc cancels and goes back to the tree.
    let mut s = state((100, 30));
    select_role(&mut s, BREAKGLASS);
    update(&mut s, code(KeyCode::Enter));
    type_keys(&mut s, "123");
    let fx = update(&mut s, code(KeyCode::Enter));
    assert!(fx.is_empty(), "5 digits are not a code");
    assert!(s.status.as_ref().unwrap().error);
    update(&mut s, code(KeyCode::Esc));
    assert!(s.popup.is_none());
    assert_eq!(s.view, View::Tree);
}

#[test]
fn y_copies_the_switch_role_link() {
    let mut s = state((100, 30));
    select_role(&mut s, PROD);
    let fx = update(&mut s, key('y'));
    let url = "https://signin.aws.amazon.com/switchrole?roleName=ResponderRole&account=222222222222&displayName=prod-responder&color=F2B0A9";
    assert!(matches!(&fx[..], [Effect::Copy(u)] if u == url), "{fx:?}");
    assert!(s.status.as_ref().unwrap().text.contains(url));
    // On an account line there is no role to link to.
    update(&mut s, key('k'));
    let fx = update(&mut s, key('y'));
    assert!(fx.is_empty());
    assert!(s.status.as_ref().unwrap().error);
}

#[test]
fn tables_sort_filter_and_copy_ids() {
    let mut s = state((100, 30));
    let request = open_prod(&mut s);
    update(&mut s, listed_instances(request, prod_instances()));
    let names = |s: &rolecall::app::State| -> Vec<String> {
        s.tables
            .get(Kind::Instances)
            .visible
            .iter()
            .map(|&i| {
                as_::<Instance>(&s.tables.get(Kind::Instances).items[i])
                    .name
                    .clone()
            })
            .collect()
    };
    update(&mut s, key('1'));
    assert_eq!(names(&s), ["db-1", "eu-web-1", "web-1", "web-2"]);
    update(&mut s, key('1'));
    assert_eq!(names(&s), ["web-2", "web-1", "eu-web-1", "db-1"]);
    update(&mut s, key('3'));
    assert_eq!(names(&s)[0], "web-1", "running before stopped, then by id");
    update(&mut s, key('G'));
    let fx = update(&mut s, key('Y'));
    assert!(
        matches!(&fx[..], [Effect::Copy(id)] if id == "i-0000000000000000c"),
        "{fx:?}"
    );

    type_keys(&mut s, "/10.0.0.4");
    assert_eq!(names(&s), ["eu-web-1"]);
    update(&mut s, code(KeyCode::Enter));
    type_keys(&mut s, "d");
    assert!(s.tables.get(Kind::Instances).detail);
    update(&mut s, code(KeyCode::Esc));
    assert!(
        !s.tables.get(Kind::Instances).detail,
        "Esc closes the details first"
    );
    update(&mut s, code(KeyCode::Esc));
    assert_eq!(
        s.tables.get(Kind::Instances).list.filter,
        "",
        "then clears the filter"
    );
    assert_eq!(s.view, INSTANCES);
    update(&mut s, key('q'));
    assert_eq!(s.view, View::Tree, "then goes back");
}

#[test]
fn v_lists_volumes_and_i_goes_back_without_reloading() {
    let mut s = state((100, 30));
    let request = open_prod(&mut s);
    update(&mut s, listed_instances(request, prod_instances()));
    let fx = update(&mut s, key('v'));
    let (vreq, kind, role, _) = listing_job(&fx);
    assert_eq!((kind, role.as_str()), (Kind::Volumes, PROD));
    assert_eq!(s.view, VOLUMES);
    update(
        &mut s,
        listed_volumes(
            vreq,
            vec![volume("vol-1", "data", Some("i-0000000000000000c"), 100)],
        ),
    );
    assert_eq!(s.tables.get(Kind::Volumes).visible.len(), 1);
    let fx = update(&mut s, key('i'));
    assert!(fx.is_empty(), "instances are still there: {fx:?}");
    assert_eq!(s.view, INSTANCES);
}

#[test]
fn assume_failures_are_explained() {
    let mut s = state((100, 30));
    select_role(&mut s, PROD);
    update(&mut s, code(KeyCode::Enter));
    let err = AwsError::new(ErrorKind::AccessDenied, "AssumeRole", PROD)
        .with_message("User is not authorized to perform: sts:AssumeRole")
        .with_hint("check both sides");
    let id = s.jobs.running(&Slot::Assume(arn(PROD))).unwrap();
    update(
        &mut s,
        Msg::Job {
            slot: Slot::Assume(arn(PROD)),
            id,
            answer: Answer::Assumed {
                role: arn(PROD),
                result: Err(err),
            },
        },
    );
    assert_eq!(s.sessions[&arn(PROD)].phase, Phase::Failed);
    assert_eq!(s.session_status(&arn(PROD)), SessionStatus::Failed);
    let status = s.status.clone().unwrap();
    assert!(status.error);
    assert!(status
        .text
        .contains("AssumeRole on arn:aws:iam::222222222222:role/ResponderRole failed"));
    assert!(status.text.contains("check both sides"));
    assert!(s.tables.get(Kind::Instances).error.is_some());
    assert!(!s.is_loading());
    // Esc dismisses the error first, then goes back.
    update(&mut s, code(KeyCode::Esc));
    assert!(s.status.is_none());
    assert_eq!(s.view, INSTANCES);
    // r tries again.
    let fx = update(&mut s, key('r'));
    assert!(
        matches!(
            &fx[..],
            [Effect::Start(Job {
                work: Work::Assume { .. },
                ..
            })]
        ),
        "{fx:?}"
    );
}

#[test]
fn a_failed_region_keeps_the_others() {
    let mut s = state((100, 30));
    let request = open_prod(&mut s);
    let failure = region_failure(
        PROD,
        "eu-west-1",
        AwsError::new(ErrorKind::Timeout, "DescribeInstances", "region eu-west-1"),
    );
    let answer = rows(prod_instances()[..3].to_vec(), vec![failure]);
    update(&mut s, listed(Kind::Instances, request, answer));
    assert_eq!(s.tables.get(Kind::Instances).visible.len(), 3);
    assert!(s.tables.get(Kind::Instances).error.is_none());
    assert!(s
        .status
        .as_ref()
        .unwrap()
        .text
        .starts_with("1 region failed; showing the rest."));
}

#[test]
fn every_region_failing_shows_the_error() {
    let mut s = state((100, 30));
    let request = open_prod(&mut s);
    let fail = |r: &str| {
        let e = AwsError::new(
            ErrorKind::AccessDenied,
            "DescribeInstances",
            format!("region {r}"),
        );
        region_failure(PROD, r, e)
    };
    let answer = rows::<Instance>(vec![], vec![fail("us-east-1"), fail("eu-west-1")]);
    update(&mut s, listed(Kind::Instances, request, answer));
    assert_eq!(
        s.tables.get(Kind::Instances).error.as_ref().unwrap().kind,
        ErrorKind::AccessDenied
    );
}

#[test]
fn a_failed_reload_keeps_the_rows_of_the_failed_regions() {
    let mut s = state((100, 30));
    let request = open_prod(&mut s);
    update(&mut s, listed_instances(request, prod_instances()));
    // r: us-east-1 answers with one instance fewer, eu-west-1 times out.
    let fx = update(&mut s, key('r'));
    let request = listing_job(&fx).0;
    let mut fresh = prod_instances()[..2].to_vec();
    fresh[0].state = "stopping".into();
    let timeout = AwsError::new(ErrorKind::Timeout, "DescribeInstances", "region eu-west-1");
    let answer = rows(fresh, vec![region_failure(PROD, "eu-west-1", timeout)]);
    update(&mut s, listed(Kind::Instances, request, answer));
    let names: Vec<&str> = s
        .tables
        .get(Kind::Instances)
        .items
        .iter()
        .map(|i| as_::<Instance>(i).name.as_str())
        .collect();
    assert_eq!(
        names,
        ["web-1", "web-2", "eu-web-1"],
        "db-1 went, eu-web-1 kept"
    );
    assert_eq!(
        as_::<Instance>(&s.tables.get(Kind::Instances).items[0]).state,
        "stopping",
        "answered regions are fresh"
    );
    assert_eq!(s.tables.get(Kind::Instances).kept, 1);
    assert!(s.tables.get(Kind::Instances).error.is_none());
    let status = &s.status.as_ref().unwrap().text;
    assert!(
        status.starts_with("1 region failed; keeping 1 earlier row of it."),
        "{status}"
    );
}

#[test]
fn command_line() {
    let mut s = state((100, 30));
    open_prod(&mut s);
    update(&mut s, key(':'));
    type_keys(&mut s, "region eu-west-1");
    let fx = update(&mut s, code(KeyCode::Enter));
    assert!(
        matches!(&fx[..], [Effect::Start(Job { work: Work::List { regions, .. }, .. })] if regions == &["eu-west-1"]),
        "{fx:?}"
    );
    assert_eq!(
        s.region_override.as_deref(),
        Some(&["eu-west-1".to_string()][..])
    );

    update(&mut s, key(':'));
    type_keys(&mut s, "region mars");
    update(&mut s, code(KeyCode::Enter));
    assert!(s
        .status
        .as_ref()
        .unwrap()
        .text
        .contains("not a region name"));

    update(&mut s, key(':'));
    type_keys(&mut s, "bogus");
    update(&mut s, code(KeyCode::Enter));
    assert!(s
        .status
        .as_ref()
        .unwrap()
        .text
        .contains("unknown command \":bogus\""));

    update(&mut s, key(':'));
    type_keys(&mut s, "sessions");
    update(&mut s, code(KeyCode::Enter));
    assert_eq!(s.view, View::Sessions);

    update(&mut s, key(':'));
    type_keys(&mut s, "q");
    update(&mut s, code(KeyCode::Enter));
    assert!(s.should_quit);
}

#[test]
fn region_picker() {
    let mut s = state((100, 30));
    open_prod(&mut s);
    update(&mut s, key('R'));
    let Some(Popup::Regions { choices, .. }) = &s.popup else {
        panic!("no picker")
    };
    let ticked: Vec<&str> = choices
        .iter()
        .filter(|c| c.1)
        .map(|c| c.0.as_str())
        .collect();
    assert_eq!(ticked, ["us-east-1", "eu-west-1"]);
    assert_eq!(choices[0].0, "all", "each account's enabled regions, first");
    // Untick us-east-1 (the second choice), apply.
    update(&mut s, key('j'));
    update(&mut s, key(' '));
    let fx = update(&mut s, code(KeyCode::Enter));
    assert!(
        matches!(&fx[..], [Effect::Start(Job { work: Work::List { regions, .. }, .. })] if regions == &["eu-west-1"]),
        "{fx:?}"
    );
    // "all" stands alone: ticking it unticks the rest, and a region unticks it.
    update(&mut s, key('R'));
    update(&mut s, key(' '));
    let Some(Popup::Regions { choices, .. }) = &s.popup else {
        panic!("no picker")
    };
    let ticked: Vec<&str> = choices
        .iter()
        .filter(|c| c.1)
        .map(|c| c.0.as_str())
        .collect();
    assert_eq!(ticked, ["all"]);
    let fx = update(&mut s, code(KeyCode::Enter));
    assert!(
        matches!(&fx[..], [Effect::Start(Job { work: Work::List { regions, .. }, .. })] if regions == &["all"]),
        "{fx:?}"
    );
}

#[test]
fn quitting() {
    let mut s = state((100, 30));
    update(
        &mut s,
        Msg::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)),
    );
    assert!(s.should_quit);
    let mut s = state((100, 30));
    update(&mut s, key('q'));
    assert!(s.should_quit);
    let mut s = state((100, 30));
    update(&mut s, Msg::Terminate(15));
    assert!(s.should_quit);
}

#[test]
fn scrolling_keeps_the_cursor_on_screen() {
    // 10 lines tall: 3 rows of list fit.
    let mut s = state((80, 10));
    update(&mut s, key('G'));
    assert_eq!(s.tree.selected, 8);
    assert_eq!(
        s.tree.offset,
        8 + 1 - rolecall::app::viewport::list_rows((80, 10))
    );
    update(&mut s, key('g'));
    assert_eq!((s.tree.selected, s.tree.offset), (0, 0));
}

#[test]
fn clicking_a_row_selects_it() {
    let mut s = state((100, 30));
    // Header line, border, root line: the first tree row is on screen row 3.
    update(
        &mut s,
        Msg::Mouse(MouseEvent {
            kind: MouseEventKind::Down(MouseButton::Left),
            column: 10,
            row: 3 + 4,
            modifiers: KeyModifiers::NONE,
        }),
    );
    assert_eq!(s.tree.selected, 4);
    assert_eq!(s.selected_role().unwrap().arn.to_string(), BREAKGLASS);
}

#[test]
fn refresh_events_keep_the_view_and_count() {
    use rolecall::aws::refresh::RefreshEvent;
    let mut s = state((100, 30));
    let request = open_prod(&mut s);
    update(&mut s, listed_instances(request, prod_instances()));
    update(
        &mut s,
        Msg::Refresh(RefreshEvent::Refreshing { role: arn(PROD) }),
    );
    assert_eq!(s.session_status(&arn(PROD)), SessionStatus::Refreshing);
    assert!(s.is_loading());
    let err = AwsError::new(ErrorKind::Throttled, "AssumeRole", PROD).with_message("Rate exceeded");
    update(
        &mut s,
        Msg::Refresh(RefreshEvent::Failed {
            role: arn(PROD),
            error: err,
            retry_in: std::time::Duration::from_secs(7),
        }),
    );
    assert!(
        matches!(s.session_status(&arn(PROD)), SessionStatus::Active { .. }),
        "still good until it expires"
    );
    assert!(s.status.as_ref().unwrap().text.contains("retrying in 7s"));
    assert_eq!(
        s.tables.get(Kind::Instances).items.len(),
        4,
        "a failed refresh never drops the view"
    );
    let later = now() + chrono::Duration::minutes(110);
    update(
        &mut s,
        Msg::Refresh(RefreshEvent::Refreshed {
            role: arn(PROD),
            assumed_arn: "x".into(),
            expiration: later,
        }),
    );
    let info = &s.sessions[&arn(PROD)];
    assert_eq!(info.refresh_count, 1);
    assert_eq!(info.expiration, Some(later));
    assert_eq!(info.last_error, None);
    assert!(s
        .status
        .as_ref()
        .unwrap()
        .text
        .contains("now expires 19:50:00"));
    update(&mut s, Msg::Tick(later + chrono::Duration::seconds(1)));
    update(
        &mut s,
        Msg::Refresh(RefreshEvent::Expired { role: arn(PROD) }),
    );
    assert_eq!(s.session_status(&arn(PROD)), SessionStatus::Expired);
    assert_eq!(s.tables.get(Kind::Instances).items.len(), 4);
}

#[test]
fn mfa_renewal_asks_for_a_new_code() {
    use rolecall::aws::refresh::RefreshEvent;
    let mut s = state((100, 30));
    select_role(&mut s, BREAKGLASS);
    update(&mut s, code(KeyCode::Enter));
    type_keys(&mut s, "111111");
    update(&mut s, code(KeyCode::Enter));
    answer_assume(&mut s, BREAKGLASS, 15);
    update(&mut s, code(KeyCode::Esc));
    update(
        &mut s,
        Msg::Refresh(RefreshEvent::NeedsMfa {
            role: arn(BREAKGLASS),
            expiration: now() + chrono::Duration::minutes(15),
        }),
    );
    assert!(matches!(&s.popup, Some(Popup::Mfa { renew: true, .. })));
    type_keys(&mut s, "222222");
    let fx = update(&mut s, code(KeyCode::Enter));
    assert!(
        matches!(&fx[..], [Effect::Start(Job { work: Work::Assume { token_code: Some(c), .. }, .. })] if c.expose() == "222222"),
        "{fx:?}"
    );
    answer_assume(&mut s, BREAKGLASS, 15);
    assert_eq!(s.sessions[&arn(BREAKGLASS)].refresh_count, 1);

    // Esc on a renewal keeps the session (and the view) until it runs out.
    update(
        &mut s,
        Msg::Refresh(RefreshEvent::NeedsMfa {
            role: arn(BREAKGLASS),
            expiration: now() + chrono::Duration::minutes(15),
        }),
    );
    let view = s.view;
    update(&mut s, code(KeyCode::Esc));
    assert!(s.popup.is_none());
    assert_eq!(s.view, view);
}

#[test]
fn role_chaining_caps_the_duration() {
    let mut s = state((100, 30));
    let id = started(&update(&mut s, key('r'))).id;
    update(
        &mut s,
        identity_answer(
            id,
            Ok(rolecall::aws::identity::Identity {
                account: "111111111111".into(),
                arn: "arn:aws:sts::111111111111:assumed-role/ec2-responder/i-0abc".into(),
                user_id: "AROAEXAMPLE:i-0abc".into(),
            }),
        ),
    );
    // staging-auditor asks for 7200 s.
    select_role(&mut s, STAGING);
    let fx = update(&mut s, code(KeyCode::Enter));
    assert!(
        matches!(
            &fx[..],
            [Effect::Start(Job {
                work: Work::Assume {
                    duration: Some(3600),
                    ..
                },
                ..
            })]
        ),
        "{fx:?}"
    );
    assert!(s.status.as_ref().unwrap().text.contains("at most 60 min"));
    // prod-responder asks for the default 3600 s: nothing to cap.
    update(&mut s, code(KeyCode::Esc));
    select_role(&mut s, PROD);
    let fx = update(&mut s, code(KeyCode::Enter));
    assert!(
        matches!(
            &fx[..],
            [Effect::Start(Job {
                work: Work::Assume { duration: None, .. },
                ..
            })]
        ),
        "{fx:?}"
    );
}

#[test]
fn o_signs_in_on_the_selected_row_and_shift_o_copies_a_redacted_link() {
    use rolecall::aws::console::{Page, SignIn};
    use rolecall::aws::credentials::Secret;

    let mut s = state((100, 30));
    // No session yet: say so, do nothing.
    select_role(&mut s, PROD);
    assert!(update(&mut s, key('o')).is_empty());
    assert!(s.status.as_ref().unwrap().text.contains("no live session"));

    let request = open_prod(&mut s);
    update(&mut s, listed_instances(request, prod_instances()));
    // The last row: eu-web-1 in eu-west-1.
    update(&mut s, key('G'));
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
            assert_eq!(role.to_string(), PROD);
            assert_eq!(destination.region.as_deref(), Some("eu-west-1"));
            assert_eq!(
                destination.resource,
                Some(Page(
                    "#InstanceDetails:instanceId=i-0000000000000000d".into()
                ))
            );
        }
        other => panic!("{other:?}"),
    }

    // In the tree: the role's first region's EC2 page.
    update(&mut s, code(KeyCode::Esc));
    let fx = update(&mut s, key('O'));
    match &fx[..] {
        [Effect::Start(Job {
            work:
                Work::Console {
                    destination,
                    open: false,
                    ..
                },
            ..
        })] => {
            assert_eq!(destination.service.as_deref(), Some("ec2"));
            assert_eq!(destination.region.as_deref(), Some("us-east-1"));
            assert!(destination.resource.is_none());
        }
        other => panic!("{other:?}"),
    }
    let link = "https://signin.aws.amazon.com/federation?Action=login&SigninToken=secret-token";
    let console = |result| Msg::Job {
        slot: Slot::Console,
        id: started(&fx).id,
        answer: Answer::Console {
            role: arn(PROD),
            result,
        },
    };
    let fx = update(&mut s, console(Ok(SignIn::Link(Secret::new(link)))));
    assert!(matches!(&fx[..], [Effect::CopySecret(l)] if l.expose() == link));
    assert!(
        !format!("{fx:?}").contains("secret-token"),
        "Debug shows the link"
    );
    let status = &s.status.as_ref().unwrap().text;
    assert!(
        status.contains("whoever opens it is signed in as the role"),
        "{status}"
    );
    assert!(!status.contains("secret-token"));

    // A failure is explained.
    let fx = update(&mut s, key('O'));
    let id = started(&fx).id;
    update(
        &mut s,
        Msg::Job {
            slot: Slot::Console,
            id,
            answer: Answer::Console {
                role: arn(PROD),
                result: Err(AwsError::new(
                    ErrorKind::Timeout,
                    "getSigninToken",
                    "https://signin.aws.amazon.com/federation",
                )),
            },
        },
    );
    assert!(s
        .status
        .as_ref()
        .unwrap()
        .text
        .starts_with("getSigninToken on https://signin.aws.amazon.com/federation failed"));
}

#[test]
fn an_mfa_session_kept_from_an_earlier_run_lets_mfa_roles_be_assumed_without_a_code() {
    let mut s = state((100, 30));
    let discovery = s.jobs.running(&Slot::Identity).unwrap();
    let groups =
        rolecall::roles::group(&config(), rolecall::roles::merge(&config(), &[], &[], &[]));
    update(
        &mut s,
        Msg::Job {
            slot: Slot::Identity,
            id: discovery,
            answer: Answer::Discovered {
                organizations_due: None,
                organizations_read: None,
                mfa_sessions: vec![(
                    "arn:aws:iam::111111111111:mfa/responder".into(),
                    now() + chrono::Duration::hours(8),
                )],
                groups,
                warnings: vec![],
            },
        },
    );
    select_role(&mut s, BREAKGLASS);
    let fx = update(&mut s, code(KeyCode::Enter));
    assert!(s.popup.is_none(), "{:?}", s.popup);
    assert!(
        matches!(
            &fx[..],
            [Effect::Start(Job {
                work: Work::Assume {
                    token_code: None,
                    ..
                },
                ..
            })]
        ),
        "{fx:?}"
    );
}

#[test]
fn discovered_roles_join_the_tree_and_keep_the_cursor() {
    use rolecall::roles::{group, merge};

    let mut s = state((100, 30));
    // The identity answered: discovery is the slot's job now.
    let discovery = s.jobs.running(&Slot::Identity).unwrap();

    select_role(&mut s, PROD);
    let before: usize = s.accounts.iter().map(|a| a.roles.len()).sum();
    let found = vec![
        arn("arn:aws:iam::666666666666:role/Forensics"),
        arn(PROD), // already configured: stays as configured
    ];
    let groups = group(&config(), merge(&config(), &[], &[], &found));
    update(
        &mut s,
        Msg::Job {
            slot: Slot::Identity,
            id: discovery,
            answer: Answer::Discovered {
                organizations_due: None,
                organizations_read: None,
                mfa_sessions: vec![],
                groups,
                warnings: vec!["inline policy p of user responder allows sts:AssumeRole on the pattern arn:aws:iam::*:role/ReadOnly*".into()],
            },
        },
    );
    let after: usize = s.accounts.iter().map(|a| a.roles.len()).sum();
    assert_eq!(after, before + 1);
    let forensics = s
        .role(&arn("arn:aws:iam::666666666666:role/Forensics"))
        .unwrap();
    assert_eq!(forensics.source, rolecall::roles::RoleSource::Policy);
    assert_eq!(
        s.role(&arn(PROD)).unwrap().source,
        rolecall::roles::RoleSource::Config
    );
    // The cursor is still on prod's role.
    assert_eq!(
        s.selected_role().map(|r| r.arn.to_string()).as_deref(),
        Some(PROD)
    );
    let status = &s.status.as_ref().unwrap().text;
    assert!(
        status.starts_with("1 discovery warning: inline policy p"),
        "{status}"
    );
    assert_eq!(s.warnings.len(), 1);
}

#[test]
fn r_twice_in_the_tree_drops_the_first_identity_and_discovery() {
    let mut s = state((100, 30));
    let first = started(&update(&mut s, key('r'))).id;
    let second = started(&update(&mut s, key('r'))).id;
    assert_ne!(first, second);
    // The first ask answers late: nothing follows from it (no discovery, no identity shown).
    let fx = update(&mut s, identity_answer(first, Ok(responder())));
    assert!(fx.is_empty(), "{fx:?}");
    assert!(matches!(s.primary, rolecall::app::state::Loadable::Loading));
    // The second one counts, and starts discovery in the same slot.
    let fx = update(&mut s, identity_answer(second, Ok(responder())));
    assert!(
        matches!(&started(&fx).work, Work::Discover { identity: id, reread: true } if id.account == "111111111111")
    );
    // A third r while discovery runs replaces it: its late answer is dropped too.
    let discovery = started(&fx).id;
    update(&mut s, key('r'));
    let stale = Msg::Job {
        slot: Slot::Identity,
        id: discovery,
        answer: Answer::Discovered {
            organizations_due: None,
            organizations_read: None,
            mfa_sessions: vec![],
            groups: vec![],
            warnings: vec!["should not show".into()],
        },
    };
    update(&mut s, stale);
    assert!(s.warnings.is_empty());
    assert!(!s.accounts.is_empty(), "the tree keeps its roles");
}

#[test]
fn sessions_started_by_another_job_are_recorded_even_after_it_was_replaced() {
    let mut s = state((100, 30));
    // The every-account listing assumed prod's role, then was replaced (r): the session is in
    // the store all the same, so the sessions view shows it.
    update(&mut s, key('a'));
    update(&mut s, key('r'));
    update(
        &mut s,
        Msg::Session {
            role: arn(PROD),
            result: Ok(session_meta(PROD, 60)),
        },
    );
    assert!(matches!(
        s.session_status(&arn(PROD)),
        SessionStatus::Active { .. }
    ));
}

#[test]
fn the_mfa_code_being_typed_never_shows_in_debug_output() {
    let mut s = state((100, 30));
    select_role(&mut s, BREAKGLASS);
    update(&mut s, code(KeyCode::Enter));
    type_keys(&mut s, "271828");
    assert!(matches!(&s.popup, Some(Popup::Mfa { input, .. }) if input.len() == 6));
    let shown = format!("{s:?}");
    assert!(
        !shown.contains("271828"),
        "the state's Debug shows the code"
    );
    let fx = update(&mut s, code(KeyCode::Enter));
    assert!(!format!("{fx:?}").contains("271828"), "{fx:?}");
    assert!(matches!(
        &fx[..],
        [Effect::Start(Job { work: Work::Assume { token_code: Some(c), .. }, .. })] if c.expose() == "271828"
    ));
}

/// A state recording in case IR-1 (as the runtime starts it with `--case IR-1`).
fn in_case() -> rolecall::app::State {
    let mut s = state((100, 30));
    s.case = Some(rolecall::app::msg::CaseInfo {
        id: "IR-1".into(),
        dir: "/cases/IR-1".into(),
    });
    s
}

#[test]
fn with_a_case_open_a_switch_role_link_is_recorded_before_it_is_copied() {
    let mut s = state((100, 30));
    let fx = update(&mut s, key('y'));
    assert!(
        matches!(&fx[..], [Effect::Copy(_)]),
        "no case: copied at once: {fx:?}"
    );

    let mut s = in_case();
    select_role(&mut s, PROD);
    let fx = update(&mut s, key('y'));
    let (id, url) = match started(&fx) {
        Job {
            id,
            work: Work::CopyLink { role, url },
        } => {
            assert_eq!(role.to_string(), PROD);
            (*id, url.clone())
        }
        other => panic!("{other:?}"),
    };
    let answer = |result| Msg::Job {
        slot: Slot::Copy,
        id,
        answer: Answer::Copied(result),
    };
    let fx = update(&mut s, answer(Ok(url.clone())));
    assert!(matches!(&fx[..], [Effect::Copy(u)] if *u == url), "{fx:?}");
    // A log that could not be written: nothing is copied, and the status says why.
    let fx = update(&mut s, key('y'));
    let id = started(&fx).id;
    let e = AwsError::new(ErrorKind::Other, "writing the case log", "the case file")
        .with_message("No space left on device");
    let fx = update(
        &mut s,
        Msg::Job {
            slot: Slot::Copy,
            id,
            answer: Answer::Copied(Err(e)),
        },
    );
    assert!(fx.is_empty(), "{fx:?}");
    assert!(s.status.as_ref().unwrap().text.contains("No space left"));
}

#[test]
fn e_exports_the_rows_shown_filtered_and_sorted() {
    let mut s = in_case();
    let request = open_prod(&mut s);
    update(&mut s, listed_instances(request, prod_instances()));
    type_keys(&mut s, "/web");
    update(&mut s, code(KeyCode::Enter));
    update(&mut s, key('1'));
    update(&mut s, key('1'));
    let fx = update(&mut s, key('e'));
    match &started(&fx).work {
        Work::Export {
            name,
            rows:
                rolecall::app::effect::ExportRows {
                    kind: Kind::Instances,
                    every: false,
                    rows,
                },
            ..
        } => {
            assert_eq!(name, "instances-prod-responder-20261122T180000Z");
            let names: Vec<&str> = rows
                .iter()
                .map(|i| as_::<Instance>(i).name.as_str())
                .collect();
            // NAME descending, and only what /web keeps.
            assert_eq!(names, ["web-2", "web-1", "eu-web-1"]);
        }
        other => panic!("{other:?}"),
    }
    assert!(s.status.as_ref().unwrap().text.contains("exporting 3 rows"));
}

#[test]
fn the_case_log_view_shows_entries_as_they_are_written() {
    use rolecall::case::{Entry, Record};
    let entry = |seq: u64, action: &str| Entry {
        seq,
        ts: "2026-11-22T18:00:00.000Z".into(),
        case: "IR-1".into(),
        actor: "arn:aws:iam::111111111111:user/responder".into(),
        record: Record::new(action).role(&arn(PROD)),
        host: "h".into(),
        rolecall: "0".into(),
        prev: String::new(),
    };
    let mut s = in_case();
    let fx = update(&mut s, key('L'));
    assert_eq!(s.view, View::CaseLog);
    let id = started(&fx).id;
    update(
        &mut s,
        Msg::Job {
            slot: Slot::Log,
            id,
            answer: Answer::Log(Ok(vec![entry(1, "case.open"), entry(2, "assume")])),
        },
    );
    assert_eq!(s.log.visible.len(), 2);
    assert_eq!(s.log.selected().unwrap().seq, 2, "the newest is selected");
    update(&mut s, Msg::Logged(entry(3, "list")));
    assert_eq!(
        s.log.selected().unwrap().seq,
        3,
        "the cursor follows new entries"
    );
    type_keys(&mut s, "/assume");
    update(&mut s, code(KeyCode::Enter));
    assert_eq!(s.log.visible.len(), 1);
    update(&mut s, code(KeyCode::Enter));
    assert!(s.log.detail, "Enter shows the whole entry");
    update(&mut s, code(KeyCode::Esc));
    assert!(!s.log.detail);
    update(&mut s, code(KeyCode::Esc));
    assert_eq!(s.log.visible.len(), 3, "Esc clears the filter");
    update(&mut s, code(KeyCode::Esc));
    assert_eq!(s.view, View::Tree, "then goes back");
}

#[test]
fn case_open_and_close_from_the_command_line() {
    let mut s = state((100, 30));
    update(&mut s, key(':'));
    type_keys(&mut s, "case open IR-9 stolen keys");
    let fx = update(&mut s, code(KeyCode::Enter));
    let id = match started(&fx) {
        Job {
            id,
            work: Work::OpenCase { id: case, title },
        } => {
            assert_eq!(
                (case.as_str(), title.as_deref()),
                ("IR-9", Some("stolen keys"))
            );
            *id
        }
        other => panic!("{other:?}"),
    };
    let info = rolecall::app::msg::CaseInfo {
        id: "IR-9".into(),
        dir: "/cases/IR-9".into(),
    };
    update(
        &mut s,
        Msg::Job {
            slot: Slot::Case,
            id,
            answer: Answer::Case(Ok(Some(info))),
        },
    );
    assert_eq!(s.case.as_ref().unwrap().id, "IR-9");
    update(&mut s, key(':'));
    type_keys(&mut s, "case close");
    let fx = update(&mut s, code(KeyCode::Enter));
    assert!(matches!(started(&fx).work, Work::CloseCase));
}

#[test]
fn an_organizations_accounts_join_folded_and_stand_for_their_one_role() {
    let mut s = state((100, 30));
    select_role(&mut s, PROD);
    discovered(&mut s, organization_groups(40));
    // The configured accounts stay open; the organization's 40 are one line each.
    let rows = s.tree_rows();
    let configured: usize = s
        .accounts
        .iter()
        .filter(|a| a.expanded)
        .map(|a| 1 + a.roles.len())
        .sum();
    assert_eq!(rows.len(), configured + 40);
    let w7 = s
        .accounts
        .iter()
        .position(|a| a.name.as_deref() == Some("Workload 007"))
        .unwrap();
    assert!(!s.accounts[w7].expanded);
    // The cursor stayed on prod's role.
    assert_eq!(
        s.selected_role().map(|r| r.arn.to_string()).as_deref(),
        Some(PROD)
    );
    // A filter by the account's name finds it; on its line, the account is its role.
    type_keys(&mut s, "/Workload 007");
    update(&mut s, code(KeyCode::Enter));
    update(&mut s, code(KeyCode::Esc));
    let i = s
        .tree_rows()
        .iter()
        .position(|r| *r == TreeRow::Account(w7))
        .unwrap();
    s.tree.selected = i;
    let want = "arn:aws:iam::700000000007:role/IR/Responder";
    assert_eq!(
        s.selected_role().map(|r| r.arn.to_string()).as_deref(),
        Some(want)
    );
    // Enter opens it (assumes, then lists), as on a role's line.
    let fx = update(&mut s, code(KeyCode::Enter));
    assert!(
        matches!(&started(&fx).work, Work::Assume { role, .. } if role.arn.to_string() == want),
        "{fx:?}"
    );
    // l unfolds it; a second discovery keeps it as the user left it.
    update(&mut s, code(KeyCode::Esc));
    s.tree.selected = i;
    update(&mut s, key('l'));
    assert!(s.accounts[w7].expanded);
    update(&mut s, key('r'));
    let asked = s.jobs.running(&Slot::Identity).unwrap();
    let fx = update(&mut s, identity_answer(asked, Ok(responder())));
    assert!(
        matches!(&started(&fx).work, Work::Discover { reread: true, .. }),
        "r on the tree reads the organizations again: {fx:?}"
    );
    discovered(&mut s, organization_groups(40));
    let w7 = s
        .accounts
        .iter()
        .position(|a| a.name.as_deref() == Some("Workload 007"))
        .unwrap();
    assert!(s.accounts[w7].expanded);
}

#[test]
fn an_organizations_list_older_than_its_max_age_is_read_again_in_the_background() {
    let mut s = state((100, 30));
    let id = s.jobs.running(&Slot::Identity).unwrap();
    let due = now() + chrono::Duration::hours(1);
    update(
        &mut s,
        Msg::Job {
            slot: Slot::Identity,
            id,
            answer: Answer::Discovered {
                organizations_due: Some(due),
                organizations_read: Some(now()),
                mfa_sessions: vec![],
                groups: organization_groups(3),
                warnings: vec![],
            },
        },
    );
    let fx = update(&mut s, Msg::Tick(due - chrono::Duration::seconds(1)));
    assert!(fx.is_empty(), "{fx:?}");
    let fx = update(&mut s, Msg::Tick(due));
    assert!(
        matches!(&started(&fx).work, Work::Discover { reread: false, .. }),
        "read again from the stale cache: {fx:?}"
    );
    // Once: the next ticks wait for its answer.
    let fx = update(&mut s, Msg::Tick(due + chrono::Duration::seconds(1)));
    assert!(fx.is_empty(), "{fx:?}");
    assert_eq!(
        s.accounts.len(),
        3 + 4,
        "the tree keeps its roles meanwhile"
    );
}

/// A page of a role's listing, with more to come or (`more: false`) the last.
fn page(kind: Kind, request: u64, items: Vec<Instance>, failures: Vec<Failure>, more: bool) -> Msg {
    listed(
        kind,
        request,
        Rows {
            more,
            ..rows(items, failures)
        },
    )
}

#[test]
fn a_listing_that_comes_in_pages_fills_in_and_the_last_page_ends_it() {
    let mut s = state((100, 30));
    let request = open_prod(&mut s);
    update(&mut s, listed_instances(request, prod_instances()));
    let fx = update(&mut s, key('r'));
    let request = listing_job(&fx).0;
    let all = prod_instances();
    // The first page replaces what was there; the cursor follows its row as more come.
    update(
        &mut s,
        page(Kind::Instances, request, all[..2].to_vec(), vec![], true),
    );
    let t = s.tables.get(Kind::Instances);
    assert_eq!(
        t.items.len(),
        2,
        "the earlier rows went with the first page"
    );
    assert!(s.is_listing(INSTANCES), "more pages to come");
    update(&mut s, key('j'));
    let on = as_::<Instance>(s.tables.get(Kind::Instances).selected_item().unwrap())
        .instance_id
        .clone();
    update(
        &mut s,
        page(Kind::Instances, request, all[2..3].to_vec(), vec![], true),
    );
    assert_eq!(s.tables.get(Kind::Instances).items.len(), 3);
    assert_eq!(
        as_::<Instance>(s.tables.get(Kind::Instances).selected_item().unwrap()).instance_id,
        on,
        "the cursor stays on its row"
    );
    // The last page: one region failed; the rows of every page stay, the status says why.
    let timeout = AwsError::new(ErrorKind::Timeout, "DescribeInstances", "region eu-west-1");
    let failed = vec![region_failure(PROD, "eu-west-1", timeout)];
    update(
        &mut s,
        page(Kind::Instances, request, all[3..].to_vec(), failed, false),
    );
    let t = s.tables.get(Kind::Instances);
    assert_eq!(t.items.len(), 4);
    assert!(t.error.is_none());
    assert_eq!(t.failures.len(), 1);
    assert!(!s.is_listing(INSTANCES), "the last page ends it");
    let status = s.status.clone().unwrap();
    assert!(
        status.error && status.text.contains("1 region failed"),
        "{status:?}"
    );
    // A page of a listing that was replaced is dropped.
    update(
        &mut s,
        page(Kind::Instances, request, all[..1].to_vec(), vec![], true),
    );
    assert_eq!(s.tables.get(Kind::Instances).items.len(), 4);
}

#[test]
fn pages_that_all_fail_show_the_error_not_an_empty_table() {
    let mut s = state((100, 30));
    let request = open_prod(&mut s);
    let denied = |region: &str| {
        region_failure(
            PROD,
            region,
            AwsError::new(ErrorKind::AccessDenied, "DescribeInstances", region),
        )
    };
    update(
        &mut s,
        page(
            Kind::Instances,
            request,
            vec![],
            vec![denied("us-east-1")],
            true,
        ),
    );
    update(
        &mut s,
        page(
            Kind::Instances,
            request,
            vec![],
            vec![denied("eu-west-1")],
            false,
        ),
    );
    let t = s.tables.get(Kind::Instances);
    assert_eq!(t.error.as_ref().unwrap().kind, ErrorKind::AccessDenied);
}

#[test]
fn a_from_a_roles_table_lists_every_account_of_the_same_kind() {
    let mut s = state((100, 30));
    let request = open_prod(&mut s);
    update(&mut s, listed_instances(request, prod_instances()));
    update(&mut s, key('v'));
    assert_eq!(s.view, VOLUMES);
    let fx = update(&mut s, key('a'));
    assert_eq!(s.view, ALL_VOLUMES);
    assert!(
        fx.iter().any(|e| matches!(
            e,
            Effect::Start(Job {
                work: Work::Every {
                    kind: Kind::Volumes,
                    ..
                },
                ..
            })
        )),
        "{fx:?}"
    );
}
