//! Snapshots of every screen, drawn into ratatui's TestBackend from fixed states (fixed clock,
//! UTC, no colour): what a responder sees at 80×24 and at 120×30.

use crate::fixtures::*;
use crossterm::event::KeyCode;
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use rolecall::app::update::update;
use rolecall::aws::{AwsError, ErrorKind};
use rolecall::ui::{draw, Theme};

/// The screen's text, and its cells (for colours).
fn draw_with(s: &State, theme: &Theme) -> (String, ratatui::buffer::Buffer) {
    let (w, h) = s.size;
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    terminal.draw(|f| draw(f, s, theme)).unwrap();
    let buffer = terminal.backend().buffer().clone();
    let mut out = String::new();
    for y in 0..h {
        let line: String = (0..w)
            .map(|x| buffer[(x, y)].symbol().to_string())
            .collect();
        out.push_str(line.trim_end());
        out.push('\n');
    }
    (out, buffer)
}

/// The screen's text under NO_COLOR: the snapshots hold text only.
pub fn render(s: &State) -> String {
    draw_with(s, &Theme::new(true)).0
}

fn with_prod_instances(size: (u16, u16)) -> State {
    let mut s = state(size);
    let request = open_prod(&mut s);
    update(&mut s, listed_instances(request, prod_instances()));
    s
}

#[test]
fn tree_80x24() {
    let s = state((80, 24));
    insta::assert_snapshot!(render(&s));
}

#[test]
fn tree_loading_identity() {
    let s = State::new(
        &config(),
        now(),
        chrono::FixedOffset::east_opt(0).unwrap(),
        (80, 24),
    );
    insta::assert_snapshot!(render(&s));
}

#[test]
fn tree_filtered_with_an_active_session() {
    let mut s = state((80, 24));
    answer_assume(&mut s, STAGING, 90);
    type_keys(&mut s, "/stag");
    insta::assert_snapshot!(render(&s));
}

#[test]
fn instances_80x24() {
    let s = with_prod_instances((80, 24));
    insta::assert_snapshot!(render(&s));
}

#[test]
fn instances_120x30_sorted() {
    let mut s = with_prod_instances((120, 30));
    update(&mut s, key('1'));
    insta::assert_snapshot!(render(&s));
}

#[test]
fn instance_detail_80x24() {
    let mut s = with_prod_instances((80, 24));
    update(&mut s, key('d'));
    insta::assert_snapshot!(render(&s));
}

#[test]
fn instance_detail_120x30() {
    let mut s = with_prod_instances((120, 30));
    update(&mut s, key('d'));
    insta::assert_snapshot!(render(&s));
}

#[test]
fn instances_with_a_failed_region() {
    let mut s = with_prod_instances((100, 24));
    update(&mut s, key('r'));
    let request = s.jobs.running(&Slot::List(Kind::Instances)).unwrap();
    let failure = region_failure(
        PROD,
        "eu-west-1",
        AwsError::new(ErrorKind::Timeout, "DescribeInstances", "region eu-west-1")
            .with_message("no answer in time"),
    );
    let answer = rows(prod_instances()[..3].to_vec(), vec![failure]);
    update(&mut s, listed(Kind::Instances, request, answer));
    insta::assert_snapshot!(render(&s));
}

#[test]
fn empty_account() {
    let mut s = state((80, 24));
    update(&mut s, code(KeyCode::Enter));
    let request = listing_job(&answer_assume(&mut s, EMPTY, 60)).0;
    update(&mut s, listed_instances(request, vec![]));
    insta::assert_snapshot!(render(&s));
}

#[test]
fn assume_denied() {
    let mut s = state((80, 24));
    update(&mut s, code(KeyCode::Enter));
    let err = AwsError::new(ErrorKind::AccessDenied, "AssumeRole", EMPTY)
        .with_message("User: arn:aws:iam::111111111111:user/responder is not authorized to perform: sts:AssumeRole")
        .with_hint("check both sides: the identity policy of the caller, and the trust policy of the role");
    let slot = Slot::Assume(arn(EMPTY));
    let id = s.jobs.running(&slot).unwrap();
    update(
        &mut s,
        Msg::Job {
            slot,
            id,
            answer: Answer::Assumed {
                role: arn(EMPTY),
                result: Err(err),
            },
        },
    );
    insta::assert_snapshot!(render(&s));
}

#[test]
fn volumes_80x24() {
    let mut s = with_prod_instances((80, 24));
    update(&mut s, key('v'));
    let request = s.jobs.running(&Slot::List(Kind::Volumes)).unwrap();
    update(
        &mut s,
        listed_volumes(
            request,
            vec![
                volume(
                    "vol-0000000000000000a",
                    "db-1-data",
                    Some("i-0000000000000000c"),
                    100,
                ),
                volume("vol-0000000000000000b", "evidence-copy", None, 8),
            ],
        ),
    );
    insta::assert_snapshot!(render(&s));
}

#[test]
fn sessions_view() {
    let mut s = with_prod_instances((100, 24));
    answer_assume(&mut s, STAGING, 120);
    update(&mut s, Msg::Tick(now() + chrono::Duration::minutes(15)));
    update(&mut s, key('s'));
    insta::assert_snapshot!(render(&s));
}

#[test]
fn help_popup() {
    let mut s = state((80, 30));
    update(&mut s, key('?'));
    insta::assert_snapshot!(render(&s));
}

#[test]
fn mfa_popup() {
    let mut s = state((80, 24));
    type_keys(&mut s, "/BreakGlass");
    update(&mut s, code(KeyCode::Enter));
    update(&mut s, code(KeyCode::Enter));
    type_keys(&mut s, "123");
    insta::assert_snapshot!(render(&s));
}

#[test]
fn command_line() {
    let mut s = state((80, 24));
    update(&mut s, key(':'));
    type_keys(&mut s, "region eu-west-1");
    insta::assert_snapshot!(render(&s));
}

#[test]
fn no_color_changes_no_text() {
    let s = with_prod_instances((80, 24));
    let (plain, plain_cells) = draw_with(&s, &Theme::new(true));
    let (coloured, coloured_cells) = draw_with(&s, &Theme::new(false));
    assert!(plain_cells
        .content
        .iter()
        .all(|c| c.fg == ratatui::style::Color::Reset));
    assert!(coloured_cells
        .content
        .iter()
        .any(|c| c.fg != ratatui::style::Color::Reset));
    assert_eq!(plain, coloured);
}

/// The every-account view half-way: prod and staging answered, sandbox was refused, the empty
/// account still to answer.
fn every_account_filling_in(size: (u16, u16)) -> State {
    let mut s = state(size);
    let fx = update(&mut s, key('a'));
    let request = started(&fx).id;
    let prod = part(&s, PROD, prod_instances());
    update(&mut s, every_instances(request, prod));
    let staging = part(&s, STAGING, staging_instances());
    update(&mut s, every_instances(request, staging));
    let e = AwsError::new(ErrorKind::AccessDenied, "AssumeRole", "sandbox")
        .with_message("not authorized to perform: sts:AssumeRole");
    let sandbox = failed_part("arn:aws:iam::555555555555:role/ResponderRole", e);
    update(&mut s, every_instances(request, sandbox));
    s
}

#[test]
fn every_account_filling_in_120x30() {
    insta::assert_snapshot!(render(&every_account_filling_in((120, 30))));
}

#[test]
fn every_account_filtered_80x24() {
    let mut s = every_account_filling_in((80, 24));
    update(&mut s, key('/'));
    type_keys(&mut s, "10.0.0.2");
    update(&mut s, code(KeyCode::Enter));
    insta::assert_snapshot!(render(&s));
}

#[test]
fn every_account_detail_120x30() {
    let mut s = every_account_filling_in((120, 30));
    update(&mut s, key('G'));
    update(&mut s, code(KeyCode::Enter));
    insta::assert_snapshot!(render(&s));
}

#[test]
fn every_account_waiting_80x24() {
    let mut s = state((80, 24));
    update(&mut s, key(':'));
    type_keys(&mut s, "all volumes");
    update(&mut s, code(KeyCode::Enter));
    insta::assert_snapshot!(render(&s));
}

#[test]
fn every_account_all_failed_80x24() {
    let mut s = state((80, 24));
    let fx = update(&mut s, key('a'));
    let request = match started(&fx) {
        Job {
            id,
            work: Work::Every { targets, .. },
        } => {
            assert_eq!(targets.len(), 4);
            *id
        }
        other => panic!("{other:?}"),
    };
    for role in [
        PROD,
        STAGING,
        EMPTY,
        "arn:aws:iam::555555555555:role/ResponderRole",
    ] {
        let e = AwsError::new(ErrorKind::Timeout, "AssumeRole", role)
            .with_message("no answer in time")
            .with_hint("check the network or VPN and AWS_ENDPOINT_URL");
        let p = failed_part(role, e);
        update(&mut s, every_instances(request, p));
    }
    insta::assert_snapshot!(render(&s));
}

#[test]
fn case_log_120x30() {
    use rolecall::case::{Entry, Record};
    let mut s = with_prod_instances((120, 30));
    s.case = Some(rolecall::app::msg::CaseInfo {
        id: "IR-2026-0042".into(),
        dir: "/cases/IR-2026-0042".into(),
    });
    let entry = |seq: u64, record: Record| Entry {
        seq,
        ts: format!("2026-11-22T18:0{seq}:00.000Z"),
        case: "IR-2026-0042".into(),
        actor: "arn:aws:iam::111111111111:user/responder".into(),
        record,
        host: "ir-laptop".into(),
        rolecall: "0.1.0".into(),
        prev: if seq == 1 {
            String::new()
        } else {
            "9f2c…".into()
        },
    };
    let id = started(&update(&mut s, key('L'))).id;
    let failed = AwsError::new(ErrorKind::AccessDenied, "AssumeRole", "sandbox")
        .with_code("AccessDenied")
        .with_message("not authorized");
    let entries = vec![
        entry(
            1,
            Record::new("case.open").params(serde_json::json!({"title": "phishing on prod"})),
        ),
        entry(
            2,
            Record::new("assume")
                .role(&arn(PROD))
                .session("arn:aws:sts::222222222222:assumed-role/ResponderRole/rolecall")
                .result(serde_json::json!({"expiration": "2026-11-22T19:00:00Z"})),
        ),
        entry(
            3,
            Record::new("list")
                .role(&arn(PROD))
                .result(serde_json::json!({"rows": 4, "failed": []})),
        ),
        entry(
            4,
            Record::new("assume")
                .role(&arn("arn:aws:iam::555555555555:role/ResponderRole"))
                .failed(&failed),
        ),
    ];
    update(
        &mut s,
        Msg::Job {
            slot: Slot::Log,
            id,
            answer: Answer::Log(Ok(entries)),
        },
    );
    insta::assert_snapshot!(render(&s));
    update(&mut s, code(KeyCode::Enter));
    insta::assert_snapshot!("case_log_entry_120x30", render(&s));
}

/// A case open, prod's instances listed, and a snapshot of web-1 planned as the planner writes
/// it: the confirmation up.
fn confirming_a_snapshot(size: (u16, u16)) -> State {
    use rolecall::actions::{Action, Plan};
    let mut s = with_prod_instances(size);
    s.case = Some(rolecall::app::msg::CaseInfo {
        id: "IR-2026-0042".into(),
        dir: "/cases/IR-2026-0042".into(),
    });
    let fx = update(&mut s, key('S'));
    let id = started(&fx).id;
    let i = "i-0000000000000000a";
    let tags = format!("Tags: rolecall:case=IR-2026-0042, rolecall:source-instance={i}, rolecall:taken-by=arn:aws:iam::111111111111:user/responder, rolecall:taken-at=<the time it is taken>");
    let plan = Plan {
        action: Action::Snapshot {
            instance: Some(i.into()),
            volume: None,
            share_with: None,
        },
        title: format!("Snapshot every volume of {i} (web-1)"),
        account: "222222222222 (prod)".into(),
        role: PROD.into(),
        region: "us-east-1".into(),
        resources: vec![
            format!("vol-00000000000000001 8 GiB, not encrypted, of {i}"),
            format!("vol-00000000000000011 100 GiB, encrypted, of {i}"),
        ],
        calls: vec![
            format!("ec2:CreateSnapshots InstanceId={i} (its 2 volumes at one instant) Description=\"case IR-2026-0042: the volumes of {i}, at one instant\" {tags}"),
            "ec2:CreateTags on the snapshot of vol-00000000000000001: Name=IR-2026-0042 vol-00000000000000001, rolecall:source-volume=vol-00000000000000001".into(),
            "ec2:CreateTags on the snapshot of vol-00000000000000011: Name=IR-2026-0042 vol-00000000000000011, rolecall:source-volume=vol-00000000000000011".into(),
            "ec2:DescribeSnapshots until every snapshot is completed".into(),
            "kms:DescribeKey alias/rolecall-IR-2026-0042; if missing kms:CreateKey (policy: account 999999999999 may use it for EBS) and kms:CreateAlias alias/rolecall-IR-2026-0042".into(),
            "ec2:CopySnapshot of each encrypted snapshot, Encrypted=true KmsKeyId=<that key> (the copy is what is shared; a snapshot under aws/ebs cannot be)".into(),
            "ec2:ModifySnapshotAttribute createVolumePermission add UserId=999999999999 on each snapshot (the copies, for the encrypted ones)".into(),
            "ec2:DescribeSnapshotAttribute to check each share".into(),
        ],
        notes: vec![
            "the volumes are taken at one instant (crash-consistent), not application-consistent: what is only in memory is in none of them (C captures what the console shows)".into(),
            "nothing is deleted: the snapshots stay, tagged with the case".into(),
        ],
        next: None,
        facts: Default::default(),
    };
    update(
        &mut s,
        Msg::Job {
            slot: Slot::Plan,
            id,
            answer: Answer::Planned(Ok(Box::new(plan))),
        },
    );
    s
}

#[test]
fn confirm_snapshot_120x30() {
    let s = confirming_a_snapshot((120, 30));
    insta::assert_snapshot!(render(&s));
}

#[test]
fn confirm_long_plan_scrolls_80x24() {
    let mut s = confirming_a_snapshot((80, 24));
    let first = render(&s);
    assert!(first.contains("↓ more"), "{first}");
    insta::assert_snapshot!("confirm_long_plan_top_80x24", first);
    update(&mut s, key('G'));
    let last = render(&s);
    assert!(last.contains("end (k/PgUp)"), "{last}");
    assert!(
        last.contains("nothing is deleted"),
        "the last note is reachable: {last}"
    );
    insta::assert_snapshot!("confirm_long_plan_end_80x24", last);
}

#[test]
fn jobs_120x30() {
    use rolecall::actions::Outcome;
    let mut s = confirming_a_snapshot((120, 30));
    let id = started(&update(&mut s, key('y'))).id;
    for step in [
        "took snap-0a1 of vol-00000000000000001, snap-0b2 of vol-00000000000000011 of i-0000000000000000a at one instant",
        "snap-0a1 is completed",
        "snap-0b2 is completed",
        "made KMS key alias/rolecall-IR-2026-0042 for account 999999999999",
    ] {
        update(
            &mut s,
            Msg::ActionStep {
                n: 1,
                text: step.into(),
            },
        );
    }
    let outcome = Outcome {
        ok: false,
        done: vec!["took snap-0a1".into(), "snap-0a1 is completed".into()],
        not_done: vec!["sharing snap-0b2 with 999999999999".into()],
        created: vec!["snap-0a1".into(), "snap-0b2".into()],
        error: Some("CopySnapshot on region us-east-1 failed: RequestLimitExceeded".into()),
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
    update(&mut s, key('J'));
    insta::assert_snapshot!("jobs_list_120x30", render(&s));
    update(&mut s, code(KeyCode::Enter));
    insta::assert_snapshot!("jobs_detail_120x30", render(&s));
}

#[test]
fn tree_with_an_organizations_folded_accounts() {
    let mut s = state((100, 30));
    discovered(&mut s, organization_groups(12));
    s.organizations_read = Some(now() - chrono::Duration::minutes(12));
    answer_assume(&mut s, "arn:aws:iam::700000000002:role/IR/Responder", 42);
    update(&mut s, code(KeyCode::Esc));
    insta::assert_snapshot!(render(&s));
}

/// A query kind's table says the window it looks in (the kinds of the next issues: events,
/// findings); drawn here on a table given a window.
#[test]
fn a_query_window_shows_in_the_title() {
    let mut s = with_prod_instances((120, 30));
    let end = now();
    s.tables.get_mut(Kind::Instances).window = Some(rolecall::resources::Window {
        start: end - chrono::Duration::hours(24),
        end,
    });
    let screen = render(&s);
    assert!(
        screen.contains("instances of prod-responder @ 222222222222 (prod) · last 1day (11-21 18:00–11-22 18:00) [4]"),
        "{screen}"
    );
}
