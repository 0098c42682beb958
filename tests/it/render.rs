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
fn render(s: &State) -> String {
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
    let answer = Listed::Instances(rows(prod_instances()[..3].to_vec(), vec![failure]));
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
