//! Responder actions in the TUI: `S` snapshot, `X` isolate (or release), `C` capture on the
//! selected row. A plan is made first (reads and DryRun, in a job), shown for a yes or a no,
//! then run in the background; `J` lists what runs and what ran.

use super::super::effect::{Effect, Slot, Work};
use super::super::state::{ActionRow, ActionState, Pending, Popup, SessionStatus, State, View};
use super::error_line;
use crate::actions::identity::Identity;
use crate::actions::{self, Action, Outcome, Plan};
use crate::aws::arn::RoleArn;
use crate::aws::AwsError;
use crate::resources::{Kind, Reach};

/// What a key asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ask {
    Snapshot,
    /// Isolate, or release an isolated instance.
    Isolate,
    Capture,
}

/// The selected row: its role, region, kind and id. (Whether X isolates or releases is decided
/// by the plan, from rolecall's case logs: never from the row's tags, which anyone who may tag
/// the instance can write.)
fn selected(state: &State) -> Option<(RoleArn, String, Kind, String)> {
    let picked = state.table(state.view)?.picked()?;
    let role = match &picked.role_arn {
        Some(arn) => arn.parse().ok()?,
        None => state.current.clone()?,
    };
    // A kind listed once per account (IAM) has no region of its own: its calls are signed for
    // the role's first region.
    let region = match picked.kind.about().reach {
        Reach::Regional => picked.region,
        Reach::Global => state
            .regions_for(&role)
            .into_iter()
            .next()
            .unwrap_or_else(|| "us-east-1".to_string()),
    };
    Some((role, region, picked.kind, picked.id))
}

/// The identity a row of `kind` is, for `X`.
fn identity_of(kind: Kind, id: &str) -> Option<Identity> {
    let id = id.to_string();
    match kind {
        Kind::Users => Some(Identity::User(id)),
        Kind::AccessKeys => Some(Identity::AccessKey(id)),
        Kind::IamRoles => Some(Identity::Role(id)),
        Kind::Instances | Kind::Volumes | Kind::SecurityGroups | Kind::Events | Kind::Findings => {
            None
        }
    }
}

/// `S`, `X`, `C`: plans the action on the selected row (reads and DryRun checks, in a job).
pub fn ask(state: &mut State, ask: Ask) -> Vec<Effect> {
    if let Some(why) = actions::refusal(state.case.is_some(), state.read_only) {
        state.set_error(why);
        return vec![];
    }
    let Some((role, region, kind, id)) = selected(state) else {
        state.set_error("no row selected: move to an instance (or a volume, for S)");
        return vec![];
    };
    // The actions act on instances (and S on a volume too); the other kinds are for looking.
    let action = if kind == Kind::Instances {
        match ask {
            Ask::Snapshot => Action::Snapshot {
                instance: Some(id),
                volume: None,
                share_with: None,
            },
            // The plan makes it a release when the case logs say rolecall isolated it.
            Ask::Isolate => Action::Isolate { instance: id },
            Ask::Capture => Action::Capture {
                instance: id,
                wake: false,
            },
        }
    } else if let (Some(identity), Ask::Isolate) = (identity_of(kind, &id), ask) {
        // The plan makes it a release when the case logs say rolecall contained it.
        Action::Contain { identity }
    } else if kind == Kind::Volumes && ask == Ask::Snapshot {
        Action::Snapshot {
            instance: None,
            volume: Some(id),
            share_with: None,
        }
    } else {
        state.set_error(match ask {
            Ask::Snapshot => format!(
                "S snapshots an instance's volumes or a volume, not {}: switch to the instances (i) or volumes (v)",
                kind.noun()
            ),
            Ask::Isolate => format!(
                "X contains an instance, an IAM user, access key or role, not {}: switch to one of those tables",
                kind.noun()
            ),
            Ask::Capture => format!(
                "C captures an instance, not {}: switch to the instances (i)",
                kind.noun()
            ),
        });
        return vec![];
    };
    plan(state, role, region, action)
}

/// Plans `action` as `role` in `region` (reads and checks, in a job), unless the same target
/// has an action running or the role has no live session. The caller checked the case and
/// read-only ([`actions::refusal`]).
pub fn plan(state: &mut State, role: RoleArn, region: String, action: Action) -> Vec<Effect> {
    if let Some(r) = state
        .running_actions()
        .into_iter()
        .find(|r| r.target == action.target())
    {
        state.set_error(format!(
            "#{} {} is still running on {}: wait for it to end (J shows it)",
            r.n,
            r.title,
            action.target()
        ));
        return vec![];
    }
    if !matches!(state.session_status(&role), SessionStatus::Active { .. }) {
        state.set_error(format!(
            "{} has no live session: assume it first (Enter on it in the tree)",
            state.role_title(&role)
        ));
        return vec![];
    }
    state.set_info(format!(
        "checking what {} of {} would do (reads and DryRun; nothing changes yet)…",
        action.name(),
        action.target()
    ));
    vec![state.jobs.start(Work::PlanAction {
        role,
        region,
        action,
        toggle: true,
    })]
}

/// The plan is made: shown for a yes or a no.
pub fn on_planned(state: &mut State, result: Result<Box<Plan>, AwsError>) -> Vec<Effect> {
    state.jobs.finish(&Slot::Plan);
    match result {
        // A prompt is open (the `:` line, an MFA code): a y typed there must never be taken
        // as the answer to a plan that arrived meanwhile.
        Ok(plan) if state.popup.is_some() => state.set_error(format!(
            "the plan of {} arrived while a prompt was open, so it is not shown: nothing was changed; ask again",
            plan.title
        )),
        Ok(plan) => {
            let Ok(role) = plan.role.parse::<RoleArn>() else {
                return vec![];
            };
            let region = plan.region.clone();
            let Some(case) = state.case.as_ref().map(|c| c.id.clone()) else {
                state.set_error(format!(
                    "the plan of {} arrived after the case was closed: nothing was changed",
                    plan.title
                ));
                return vec![];
            };
            state.pending = Some(Pending {
                plan: *plan,
                role,
                region,
                case,
            });
            state.popup = Some(Popup::Confirm { scroll: 0 });
            state.set_info("read the plan: y does it, n or Esc leaves everything as it is");
        }
        Err(e) => state.set_error(error_line(&e)),
    }
    vec![]
}

/// The answer to the confirmation.
pub fn confirm(state: &mut State, yes: bool) -> Vec<Effect> {
    let Some(Pending {
        plan,
        role,
        region,
        case,
    }) = state.pending.take()
    else {
        return vec![];
    };
    if !yes {
        state.set_info(format!(
            "{} not done; nothing was changed",
            plan.action.name()
        ));
        return vec![];
    }
    // The plan holds its case: it runs there, or not at all.
    if state.case.as_ref().map(|c| c.id.as_str()) != Some(case.as_str()) {
        state.set_error(format!(
            "{} was planned in case {case}, which is no longer the open case: nothing was changed; plan it again",
            plan.action.name()
        ));
        return vec![];
    }
    let n = state.actions.len() as u64 + 1;
    // A new action is warned about afresh.
    state.quit_armed = None;
    state.actions.push(ActionRow {
        n,
        role: role.clone(),
        region: region.clone(),
        target: plan.action.target().to_string(),
        title: plan.title.clone(),
        account: plan.account.clone(),
        state: ActionState::Running,
        steps: Vec::new(),
        outcome: None,
    });
    state.set_info(format!("#{n} {} started (J shows it)", plan.action.name()));
    vec![state.jobs.start(Work::RunAction {
        n,
        role,
        region,
        case,
        plan: Box::new(plan),
    })]
}

/// A step of a running action: in the jobs view, and on the status line.
pub fn on_step(state: &mut State, n: u64, text: String) -> Vec<Effect> {
    if let Some(row) = state.actions.iter_mut().find(|r| r.n == n) {
        row.steps.push(text.clone());
        state.set_info(format!("#{n}: {text}"));
    }
    vec![]
}

pub fn on_acted(state: &mut State, n: u64, outcome: Outcome) -> Vec<Effect> {
    state.jobs.finish(&Slot::Action(n));
    let Some(row) = state.actions.iter_mut().find(|r| r.n == n) else {
        return vec![];
    };
    row.state = if outcome.error.is_none() {
        ActionState::Done
    } else {
        ActionState::Stopped
    };
    let line = format!("#{n} {}: {}", row.title, outcome_line(&outcome));
    let failed = outcome.error.is_some();
    let next = outcome.next.clone();
    let (role, region) = (row.role.clone(), row.region.clone());
    row.outcome = Some(outcome);
    if failed {
        state.set_error(line);
        return vec![];
    }
    // What the plan said to offer next (an isolated instance's role, whose sessions outlive
    // its network): planned now, shown for a yes or a no like any plan. Never over a prompt
    // or another plan waiting for its answer.
    if let Some(action) = next {
        let busy = state.popup.is_some()
            || state.pending.is_some()
            || state.jobs.running(&Slot::Plan).is_some();
        if !busy && state.case.is_some() && !state.read_only {
            state.set_info(format!(
                "{line} · next: {} {} (checking what it would do…)",
                action.name(),
                action.target()
            ));
            return vec![state.jobs.start(Work::PlanAction {
                role,
                region,
                action,
                toggle: false,
            })];
        }
        state.set_info(format!(
            "{line} · next: {} {} too (rolecall isolate … --role {})",
            action.name(),
            action.target(),
            action.target()
        ));
        return vec![];
    }
    state.set_info(line);
    vec![]
}

fn outcome_line(o: &Outcome) -> String {
    match &o.error {
        None => format!(
            "done ({} step{}){}",
            o.done.len(),
            if o.done.len() == 1 { "" } else { "s" },
            if o.not_done.is_empty() {
                String::new()
            } else {
                format!("; not done: {}", o.not_done.join("; "))
            }
        ),
        Some(e) => format!(
            "stopped after {} step{}: {e}{}",
            o.done.len(),
            if o.done.len() == 1 { "" } else { "s" },
            if o.created.is_empty() {
                String::new()
            } else {
                format!(" (made: {})", o.created.join(", "))
            }
        ),
    }
}

/// `q`, Ctrl-C, `:q`: quits, unless an action is running: stopping it part way would leave its
/// resources in a state nobody recorded, so the first ask says so and a second one (or `:q!`)
/// quits all the same.
pub fn quit(state: &mut State, force: bool) -> Vec<Effect> {
    let running: Vec<String> = state
        .actions
        .iter()
        .filter(|r| r.state == ActionState::Running)
        .map(|r| format!("#{} {}", r.n, r.title))
        .collect();
    // A second ask within this long quits.
    let soon = state
        .quit_armed
        .is_some_and(|at| state.now - at <= chrono::Duration::seconds(10));
    if running.is_empty() || force || soon {
        state.should_quit = true;
    } else {
        state.quit_armed = Some(state.now);
        state.set_error(format!(
            "{} still running: quitting now stops it part way. Wait for it (J shows it), or quit again within 10 s (or :q!) to stop it",
            running.join(", ")
        ));
    }
    vec![]
}

/// `J`: the jobs view.
pub fn show_jobs(state: &mut State) -> Vec<Effect> {
    if state.view != View::Jobs {
        state.open_overlay(View::Jobs);
        state.jobs_detail = false;
        let len = state.actions.len();
        let height = state.page();
        state.jobs_list.selected = len.saturating_sub(1);
        state.jobs_list.scroll_into_view(len, height);
    }
    vec![]
}
