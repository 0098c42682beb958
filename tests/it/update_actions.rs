//! The responder actions in the TUI's update, driven by messages: what S, X and C ask for, the
//! confirmation, the job's steps and end, and the refusals.

use crate::fixtures::*;
use crossterm::event::KeyCode;
use rolecall::actions::{Action, Outcome, Plan};
use rolecall::app::state::{ActionState, Popup, View};
use rolecall::app::update::update;
use rolecall::aws::{AwsError, ErrorKind};

/// A case open, prod assumed and its instances listed, the cursor on web-1.
fn on_web_1() -> State {
    let mut s = state((100, 30));
    s.case = Some(rolecall::app::msg::CaseInfo {
        id: "IR-1".into(),
        dir: "/cases/IR-1".into(),
    });
    let request = open_prod(&mut s);
    update(&mut s, listed_instances(request, prod_instances()));
    assert_eq!(
        s.tables
            .get(Kind::Instances)
            .selected_item()
            .map(|i| as_::<Instance>(i).name.as_str()),
        Some("web-1")
    );
    s
}

fn ctrl_c() -> Msg {
    use crossterm::event::{KeyEvent, KeyModifiers};
    Msg::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL))
}

fn status(s: &State) -> String {
    s.status
        .as_ref()
        .map(|st| st.text.clone())
        .unwrap_or_default()
}

fn plan_of(action: Action) -> Plan {
    Plan {
        title: format!("{} {}", action.name(), action.target()),
        action,
        account: "222222222222 (prod)".into(),
        role: PROD.into(),
        region: "us-east-1".into(),
        resources: vec!["vol-00000000000000001 (8 GiB)".into()],
        calls: vec!["ec2:CreateSnapshot vol-00000000000000001".into()],
        notes: vec![],
        next: None,
        facts: Default::default(),
    }
}

/// S (or X, C) planned: the job it starts, and the plan's answer.
fn ask_and_plan(s: &mut State, k: char) -> Action {
    let fx = update(s, key(k));
    let Job { id, work } = started(&fx).clone();
    let Work::PlanAction {
        action,
        role,
        region,
        ..
    } = work
    else {
        panic!("{k}: {fx:?}")
    };
    assert_eq!(
        (role.to_string().as_str(), region.as_str()),
        (PROD, "us-east-1")
    );
    assert!(status(s).contains("nothing changes yet"), "{}", status(s));
    let fx = update(
        s,
        Msg::Job {
            slot: Slot::Plan,
            id,
            answer: Answer::Planned(Ok(Box::new(plan_of(action.clone())))),
        },
    );
    assert!(fx.is_empty(), "{fx:?}");
    assert!(matches!(s.popup, Some(Popup::Confirm { .. })));
    action
}

#[test]
fn outside_a_case_read_only_or_without_a_session_nothing_is_asked() {
    // No case.
    let mut s = on_web_1();
    s.case = None;
    assert!(update(&mut s, key('S')).is_empty());
    assert!(status(&s).contains("no case is open"), "{}", status(&s));
    // Read-only, even in a case.
    let mut s = on_web_1();
    s.read_only = true;
    assert!(update(&mut s, key('X')).is_empty());
    assert!(status(&s).contains("read-only"), "{}", status(&s));
    // X and C want an instance.
    let mut s = on_web_1();
    let fx = update(&mut s, key('v'));
    let (request, ..) = listing_job(&fx);
    update(
        &mut s,
        listed_volumes(request, vec![volume("vol-1", "data", None, 8)]),
    );
    assert!(
        update(&mut s, key('X')).is_empty(),
        "X is an instance's key"
    );
    // S on a volume snapshots that volume.
    let action = ask_and_plan(&mut s, 'S');
    assert_eq!(
        action,
        Action::Snapshot {
            instance: None,
            volume: Some("vol-1".into()),
            share_with: None
        }
    );
}

#[test]
fn no_leaves_everything_and_other_keys_do_nothing_while_the_plan_shows() {
    let mut s = on_web_1();
    let action = ask_and_plan(&mut s, 'S');
    assert_eq!(
        action,
        Action::Snapshot {
            instance: Some("i-0000000000000000a".into()),
            volume: None,
            share_with: None
        }
    );
    for k in [key('j'), key('S'), code(KeyCode::Enter)] {
        assert!(update(&mut s, k.clone()).is_empty(), "{k:?}");
        assert!(
            matches!(s.popup, Some(Popup::Confirm { .. })),
            "{k:?} leaves the plan up"
        );
    }
    assert!(update(&mut s, key('n')).is_empty());
    assert!(s.popup.is_none() && s.pending.is_none());
    assert!(status(&s).contains("nothing was changed"), "{}", status(&s));
    // Esc is a no too.
    ask_and_plan(&mut s, 'C');
    assert!(update(&mut s, code(KeyCode::Esc)).is_empty());
    assert!(s.pending.is_none() && s.actions.is_empty());
}

#[test]
fn yes_runs_it_in_the_background_and_the_jobs_view_follows_it() {
    let mut s = on_web_1();
    ask_and_plan(&mut s, 'X');
    let fx = update(&mut s, key('y'));
    let Job { id, work } = started(&fx).clone();
    let Work::RunAction { n, plan, .. } = work else {
        panic!("{fx:?}")
    };
    assert_eq!(n, 1);
    assert_eq!(
        plan.action,
        Action::Isolate {
            instance: "i-0000000000000000a".into()
        }
    );
    assert!(s.popup.is_none());
    assert_eq!(s.actions[0].state, ActionState::Running);
    update(
        &mut s,
        Msg::ActionStep {
            n: 1,
            text: "made quarantine group sg-9".into(),
        },
    );
    assert_eq!(s.actions[0].steps, ["made quarantine group sg-9"]);
    assert!(
        status(&s).contains("#1: made quarantine group"),
        "{}",
        status(&s)
    );
    update(&mut s, key('J'));
    assert_eq!(s.view, View::Jobs);
    // Quitting while it runs is refused once, and says why.
    update(&mut s, ctrl_c());
    assert!(!s.should_quit);
    assert!(status(&s).contains("still running"), "{}", status(&s));
    let outcome = Outcome {
        ok: true,
        done: vec!["made quarantine group sg-9".into(), "isolated".into()],
        created: vec!["sg-9".into()],
        ..Default::default()
    };
    update(
        &mut s,
        Msg::Job {
            slot: Slot::Action(1),
            id,
            answer: Answer::Acted { n: 1, outcome },
        },
    );
    assert_eq!(s.actions[0].state, ActionState::Done);
    assert!(status(&s).contains("done (2 steps)"), "{}", status(&s));
    update(&mut s, ctrl_c());
    assert!(s.should_quit, "nothing runs: it quits");
}

#[test]
fn a_second_quit_or_q_bang_stops_a_running_action_on_purpose() {
    let mut s = on_web_1();
    ask_and_plan(&mut s, 'C');
    update(&mut s, key('y'));
    update(&mut s, key('q'));
    assert_eq!(s.view, View::Tree, "q in a table goes back");
    update(&mut s, key('q'));
    assert!(!s.should_quit);
    assert!(status(&s).contains("#1 capture"), "{}", status(&s));
    update(&mut s, key('q'));
    assert!(s.should_quit, "asked twice");
    let mut s = on_web_1();
    ask_and_plan(&mut s, 'C');
    update(&mut s, key('y'));
    update(&mut s, key(':'));
    type_keys(&mut s, "q!");
    update(&mut s, code(KeyCode::Enter));
    assert!(s.should_quit);
}

#[test]
fn a_stopped_action_says_what_it_made_and_a_refused_plan_says_why() {
    let mut s = on_web_1();
    ask_and_plan(&mut s, 'S');
    let fx = update(&mut s, key('y'));
    let id = started(&fx).id;
    let outcome = Outcome {
        ok: false,
        done: vec!["took snap-1".into()],
        not_done: vec!["sharing snap-1".into()],
        created: vec!["snap-1".into()],
        error: Some("ModifySnapshotAttribute failed: throttled".into()),
        ..Default::default()
    };
    update(
        &mut s,
        Msg::Job {
            slot: Slot::Action(1),
            id,
            answer: Answer::Acted { n: 1, outcome },
        },
    );
    assert_eq!(s.actions[0].state, ActionState::Stopped);
    let st = s.status.clone().unwrap();
    assert!(st.error);
    assert!(st.text.contains("stopped after 1 step"), "{}", st.text);
    assert!(st.text.contains("made: snap-1"), "{}", st.text);

    // A plan refused (DryRun said AccessDenied): no popup, the reason on the status line.
    let fx = update(&mut s, key('S'));
    let id = started(&fx).id;
    let e = AwsError::new(ErrorKind::AccessDenied, "CreateSnapshot", "us-east-1")
        .with_message("not authorized to perform: ec2:CreateSnapshot")
        .with_hint("may not call ec2:CreateSnapshot: nothing was changed");
    update(
        &mut s,
        Msg::Job {
            slot: Slot::Plan,
            id,
            answer: Answer::Planned(Err(e)),
        },
    );
    assert!(s.popup.is_none() && s.pending.is_none());
    assert!(status(&s).contains("ec2:CreateSnapshot"), "{}", status(&s));
}

#[test]
fn going_back_from_stacked_overlays_returns_to_the_table_under_them() {
    let mut s = on_web_1();
    update(&mut s, key('J'));
    update(&mut s, key('L'));
    update(&mut s, key('s'));
    assert_eq!(s.view, View::Sessions);
    update(&mut s, code(KeyCode::Esc));
    assert_eq!(
        s.view, INSTANCES,
        "not back to the log, then the jobs, in a loop"
    );
}

#[test]
fn a_plan_never_lands_on_an_open_prompt_and_one_instance_runs_one_action() {
    // The plan arrives while the `:` line is open: a y typed there is not a yes.
    let mut s = on_web_1();
    let fx = update(&mut s, key('S'));
    let id = started(&fx).id;
    update(&mut s, key(':'));
    let action = Action::Snapshot {
        instance: Some("i-0000000000000000a".into()),
        volume: None,
        share_with: None,
    };
    update(
        &mut s,
        Msg::Job {
            slot: Slot::Plan,
            id,
            answer: Answer::Planned(Ok(Box::new(plan_of(action)))),
        },
    );
    assert!(matches!(s.popup, Some(Popup::Command { .. })));
    assert!(s.pending.is_none());
    assert!(status(&s).contains("not shown"), "{}", status(&s));
    update(&mut s, code(KeyCode::Esc));

    // An action runs on web-1: another one on it waits, and the case stays open meanwhile.
    ask_and_plan(&mut s, 'X');
    update(&mut s, key('y'));
    assert!(update(&mut s, key('C')).is_empty());
    assert!(
        status(&s).contains("still running on i-0000000000000000a"),
        "{}",
        status(&s)
    );
    update(&mut s, key(':'));
    type_keys(&mut s, "case close");
    assert!(update(&mut s, code(KeyCode::Enter)).is_empty());
    assert!(
        status(&s).contains("still running and recording"),
        "{}",
        status(&s)
    );
    assert!(s.case.is_some());
}

#[test]
fn a_quit_refused_long_ago_does_not_arm_the_next_one() {
    let mut s = on_web_1();
    ask_and_plan(&mut s, 'C');
    update(&mut s, key('y'));
    update(&mut s, ctrl_c());
    assert!(!s.should_quit);
    let later = s.now + chrono::Duration::minutes(5);
    update(&mut s, Msg::Tick(later));
    update(&mut s, ctrl_c());
    assert!(!s.should_quit, "asked again, five minutes on");
    update(&mut s, ctrl_c());
    assert!(s.should_quit);
}

/// A case open, prod assumed, its instances listed with web-1 carrying `tags`.
fn on_web_1_tagged(tags: &[(&str, &str)]) -> State {
    let mut s = state((100, 30));
    s.case = Some(rolecall::app::msg::CaseInfo {
        id: "IR-1".into(),
        dir: "/cases/IR-1".into(),
    });
    let request = open_prod(&mut s);
    let mut rows = prod_instances();
    for (k, v) in tags {
        rows[0].tags.insert(k.to_string(), v.to_string());
    }
    update(&mut s, listed_instances(request, rows));
    s
}

#[test]
fn x_never_takes_a_planted_tag_for_an_isolation() {
    // Anyone who may tag the instance can write these: X still asks for an isolation, and the
    // plan (from the case logs) decides whether it is one.
    let mut s = on_web_1_tagged(&[
        ("rolecall:original-security-groups", "eni-1=sg-0pen"),
        ("rolecall:isolated-at", "2026-11-29T10:00:00Z"),
    ]);
    let fx = update(&mut s, key('X'));
    let Job { work, .. } = started(&fx).clone();
    let Work::PlanAction { action, .. } = work else {
        panic!("{fx:?}")
    };
    assert_eq!(
        action,
        Action::Isolate {
            instance: "i-0000000000000000a".into()
        }
    );
}

#[test]
fn x_runs_the_release_the_plan_made_in_the_case_it_was_planned_in() {
    let mut s = on_web_1();
    let fx = update(&mut s, key('X'));
    let id = started(&fx).id;
    // The plan read the case logs: rolecall isolated it, so X is a release.
    let release = Action::Release {
        instance: "i-0000000000000000a".into(),
    };
    update(
        &mut s,
        Msg::Job {
            slot: Slot::Plan,
            id,
            answer: Answer::Planned(Ok(Box::new(plan_of(release.clone())))),
        },
    );
    assert_eq!(s.pending.as_ref().map(|p| p.case.as_str()), Some("IR-1"));
    let fx = update(&mut s, key('y'));
    let Work::RunAction { plan, case, .. } = started(&fx).work.clone() else {
        panic!("{fx:?}")
    };
    assert_eq!(plan.action, release);
    assert_eq!(case, "IR-1");
}

#[test]
fn c_is_planned_confirmed_run_and_its_files_reported() {
    let mut s = on_web_1();
    let action = ask_and_plan(&mut s, 'C');
    assert_eq!(
        action,
        Action::Capture {
            instance: "i-0000000000000000a".into(),
            wake: false
        }
    );
    let fx = update(&mut s, key('y'));
    let Job { id, work } = started(&fx).clone();
    let Work::RunAction { n, plan, case, .. } = work else {
        panic!("{fx:?}")
    };
    assert_eq!((n, case.as_str()), (1, "IR-1"));
    assert_eq!(plan.action, action);
    update(
        &mut s,
        Msg::ActionStep {
            n: 1,
            text: "saved the instance's description".into(),
        },
    );
    let outcome = Outcome {
        ok: true,
        done: vec!["saved instance.json".into(), "saved console.log".into()],
        not_done: vec!["screenshot.jpg: not given".into()],
        ..Default::default()
    };
    update(
        &mut s,
        Msg::Job {
            slot: Slot::Action(1),
            id,
            answer: Answer::Acted { n: 1, outcome },
        },
    );
    assert_eq!(s.actions[0].state, ActionState::Done);
    assert!(
        status(&s).contains("not done: screenshot.jpg"),
        "{}",
        status(&s)
    );
}

#[test]
fn the_case_cannot_be_switched_under_a_planned_or_running_action() {
    let mut s = on_web_1();
    // Being planned.
    update(&mut s, key('S'));
    update(&mut s, key(':'));
    type_keys(&mut s, "case open IR-2");
    assert!(update(&mut s, code(KeyCode::Enter)).is_empty());
    assert!(
        status(&s).contains("open case IR-2 when it ends"),
        "{}",
        status(&s)
    );
    // Shown.
    let mut s = on_web_1();
    ask_and_plan(&mut s, 'S');
    s.popup = None;
    update(&mut s, key(':'));
    type_keys(&mut s, "case open IR-2");
    assert!(update(&mut s, code(KeyCode::Enter)).is_empty());
    assert_eq!(s.case.as_ref().unwrap().id, "IR-1");
    // Running.
    let mut s = on_web_1();
    ask_and_plan(&mut s, 'X');
    update(&mut s, key('y'));
    update(&mut s, key(':'));
    type_keys(&mut s, "case open IR-2");
    assert!(update(&mut s, code(KeyCode::Enter)).is_empty());
    assert!(
        status(&s).contains("still running and recording"),
        "{}",
        status(&s)
    );
    // A plan whose case is no longer the open one (switched by another way) is not run.
    let mut s = on_web_1();
    ask_and_plan(&mut s, 'S');
    s.case = Some(rolecall::app::msg::CaseInfo {
        id: "IR-2".into(),
        dir: "/cases/IR-2".into(),
    });
    assert!(update(&mut s, key('y')).is_empty());
    assert!(s.actions.is_empty());
    assert!(
        status(&s).contains("planned in case IR-1"),
        "{}",
        status(&s)
    );
}

/// `key` from web-1's table opens a table of `kind` (its listing answered with `items`).
fn on_identity<T: rolecall::resources::Resource>(
    kind_key: char,
    kind: Kind,
    items: Vec<T>,
) -> State {
    let mut s = on_web_1();
    let fx = update(&mut s, key(kind_key));
    let (request, listed_kind, ..) = listing_job(&fx);
    assert_eq!(listed_kind, kind);
    update(&mut s, listed(kind, request, rows(items, vec![])));
    s
}

#[test]
fn x_on_a_user_key_or_iam_role_plans_its_containment_in_the_roles_first_region() {
    use rolecall::actions::identity::Identity;
    use rolecall::resources::{AccessKey, IamRole, User};
    // A user: quarantined. IAM rows have no region: the role's first one signs.
    let mut s = on_identity('u', Kind::Users, vec![User::example()]);
    let fx = update(&mut s, key('X'));
    let Work::PlanAction {
        action,
        region,
        toggle,
        ..
    } = &started(&fx).work
    else {
        panic!("{fx:?}")
    };
    assert_eq!(
        action,
        &Action::Contain {
            identity: Identity::User("ci-deploy".into())
        }
    );
    assert_eq!(region, "us-east-1");
    assert!(toggle, "X releases what rolecall's logs say it contained");
    // An access key: deactivated.
    let mut s = on_web_1();
    let fx = update(
        &mut s,
        Msg::Key(crossterm::event::KeyEvent::from(KeyCode::Char(':'))),
    );
    assert!(fx.is_empty());
    for c in "access-keys".chars() {
        update(&mut s, key(c));
    }
    let fx = update(
        &mut s,
        Msg::Key(crossterm::event::KeyEvent::from(KeyCode::Enter)),
    );
    let (request, kind, ..) = listing_job(&fx);
    assert_eq!(kind, Kind::AccessKeys);
    update(
        &mut s,
        listed(kind, request, rows(vec![AccessKey::example()], vec![])),
    );
    let fx = update(&mut s, key('X'));
    let Work::PlanAction { action, .. } = &started(&fx).work else {
        panic!("{fx:?}")
    };
    assert_eq!(
        action,
        &Action::Contain {
            identity: Identity::AccessKey("AKIAIOSFODNN7EXAMPLE".into())
        }
    );
    // A role: its sessions revoked. And outside a case, nothing.
    let mut s = on_web_1();
    update(
        &mut s,
        Msg::Key(crossterm::event::KeyEvent::from(KeyCode::Char(':'))),
    );
    for c in "iam-roles".chars() {
        update(&mut s, key(c));
    }
    let fx = update(
        &mut s,
        Msg::Key(crossterm::event::KeyEvent::from(KeyCode::Enter)),
    );
    let (request, kind, ..) = listing_job(&fx);
    update(
        &mut s,
        listed(kind, request, rows(vec![IamRole::example()], vec![])),
    );
    s.case = None;
    assert!(update(&mut s, key('X')).is_empty());
    assert!(status(&s).contains("no case is open"), "{}", status(&s));
}

#[test]
fn after_an_instance_is_isolated_its_roles_sessions_are_offered_next() {
    use rolecall::actions::identity::Identity;
    let mut s = on_web_1();
    let action = ask_and_plan(&mut s, 'X');
    let fx = update(&mut s, key('y'));
    let Job { id, work } = started(&fx).clone();
    let Work::RunAction { n, .. } = work else {
        panic!("{fx:?}")
    };
    let revoke = Action::Contain {
        identity: Identity::Role("WebAppRole".into()),
    };
    let done = Outcome {
        ok: true,
        done: vec!["isolated".into()],
        next: Some(revoke.clone()),
        ..Outcome::default()
    };
    let fx = update(
        &mut s,
        Msg::Job {
            slot: Slot::Action(n),
            id,
            answer: Answer::Acted {
                n,
                outcome: done.clone(),
            },
        },
    );
    // The revocation is planned (as it is: never toggled into a release), then shown to confirm.
    let Work::PlanAction {
        action: next,
        region,
        toggle,
        ..
    } = &started(&fx).work
    else {
        panic!("{fx:?}")
    };
    assert_eq!(next, &revoke);
    assert_eq!(region, "us-east-1");
    assert!(!toggle);
    assert!(
        status(&s).contains("next: isolate WebAppRole"),
        "{}",
        status(&s)
    );
    assert_ne!(action, revoke);
    // With a prompt open, it is only said, never planned over it.
    let mut s = on_web_1();
    ask_and_plan(&mut s, 'X');
    let fx = update(&mut s, key('y'));
    let Job { id, work } = started(&fx).clone();
    let Work::RunAction { n, .. } = work else {
        panic!()
    };
    update(&mut s, key(':'));
    let fx = update(
        &mut s,
        Msg::Job {
            slot: Slot::Action(n),
            id,
            answer: Answer::Acted { n, outcome: done },
        },
    );
    assert!(fx.is_empty(), "{fx:?}");
    assert!(status(&s).contains("--role WebAppRole"), "{}", status(&s));
}
