//! Enter on a finding: its resource's row, in its account, as a role rolecall assumes for that
//! account, with the finding beside it (in the table's title); the finding recorded in the case
//! log. A resource rolecall has no kind for: the finding itself, with its console link (`o`).

use super::super::effect::{Effect, Slot, Work};
use super::super::state::{Popup, SessionStatus, State, View};
use super::{error_line, listing, REUSE_MARGIN_SECONDS};
use crate::aws::arn::RoleArn;
use crate::aws::AwsError;
use crate::case::Record;
use crate::resources::Finding;

/// The role to open `account` through: one with a live session, else one that needs no MFA
/// code, else its first (its MFA code is asked for) — as the every-account view picks.
fn role_for(state: &State, account: &str) -> Option<RoleArn> {
    let roles = &state.accounts.iter().find(|a| a.id == account)?.roles;
    let live = roles.iter().find(|r| match state.session_status(&r.arn) {
        SessionStatus::Active { seconds_left } => seconds_left > REUSE_MARGIN_SECONDS,
        SessionStatus::Refreshing => true,
        _ => false,
    });
    live.or_else(|| roles.iter().find(|r| r.mfa_serial.is_none()))
        .or_else(|| roles.first())
        .map(|r| r.arn.clone())
}

/// What the title of the opened table says of the finding.
fn note(f: &Finding) -> String {
    format!("finding {}: {}", f.severity, f.title)
}

/// Enter on a finding.
pub fn open(state: &mut State) -> Vec<Effect> {
    let view = state.view;
    let Some(row) = state.table(view).and_then(|t| t.selected_item()).cloned() else {
        state.set_error("no finding selected");
        return vec![];
    };
    let Some(f) = row.get::<Finding>().cloned() else {
        return vec![];
    };
    let Some(opens) = f.opens() else {
        // Nothing rolecall lists: the finding itself, and where the console shows it.
        if let Some(t) = state.table_mut(view) {
            if !t.detail {
                t.toggle_detail();
            }
        }
        let what = f
            .resources
            .first()
            .map_or("resource".to_string(), |r| r.kind.clone());
        state.set_info(format!(
            "rolecall lists no {what}: here is the finding; o opens it in Security Hub's console"
        ));
        return vec![];
    };
    let Some(role) = role_for(state, &f.account_id) else {
        state.set_error(format!(
            "no role known into account {} (the finding's): add a [[role]] for it (or an [[organization]]), then Enter again",
            f.account_id
        ));
        return vec![];
    };
    let mut effects = Vec::new();
    if state.case.is_some() {
        // The finding that opened the investigation, in the case log.
        let record = Record::new("finding.opened")
            .role(&role)
            .region(&f.region)
            .targets([f.id.clone(), opens.id.clone()])
            .params(f.record_params());
        effects.push(state.jobs.start(Work::Note(Box::new(record))));
    }
    // The resource's region is looked in, with the role's own.
    let regions = state.regions_for(&role);
    if !regions.contains(&opens.region) {
        let mut more = regions;
        more.push(opens.region.clone());
        state.region_override = Some(more);
    }
    effects.extend(listing::open_role(state, role, opens.kind));
    let height = state.page();
    if let Some(t) = state.table_mut(View::of_role(opens.kind)) {
        t.list.filter = opens.id.clone();
        t.list.selected = 0;
        t.note = Some(note(&f));
        t.refresh(height);
    }
    if state.popup.is_none() {
        state.set_info(format!(
            "{} {} of finding \"{}\" (Esc: every {})",
            opens.kind.about().one,
            opens.id,
            f.title,
            opens.kind.noun()
        ));
    }
    effects
}

/// F on the tree: every account's findings — the delegated administrator's aggregation region
/// through `[findings] via` (one query), else each account's own (the every-account view).
pub fn everywhere(state: &mut State) -> Vec<Effect> {
    let Some(via) = state.findings.via.clone() else {
        return super::every::open(state, crate::resources::Kind::Findings);
    };
    if state.role(&via).is_none() {
        state.set_error(format!(
            "[findings] via {via} is not a role rolecall knows: add it as a [[role]] to read the aggregated findings through it"
        ));
        return vec![];
    }
    if let Some(region) = state.findings.region.clone() {
        state.region_override = Some(vec![region]);
    }
    listing::open_role(state, via, crate::resources::Kind::Findings)
}

/// The finding is in the case log (or could not be written there: said).
pub fn on_noted(state: &mut State, result: Result<String, AwsError>) -> Vec<Effect> {
    state.jobs.finish(&Slot::Note);
    if let Err(e) = result {
        state.set_error(format!(
            "the finding was not recorded in the case log: {}",
            error_line(&e)
        ));
    }
    vec![]
}

/// What `:status` asks of the selected finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusAsk {
    /// Set this workflow status, with this note (`None`: one naming the case).
    Set {
        status: String,
        note: Option<String>,
    },
    /// Put back what rolecall's last change of it replaced.
    Undo,
}

/// The selected finding, and the role and region to change its status as: the role its table
/// was listed through, in the region it was read in (the table's, when the finding's own is not
/// one of them: an aggregation region read through `[findings] via`). `Err`: why not.
fn selected_finding(state: &State) -> Result<(Finding, RoleArn, String), String> {
    let not_here = "W (and :status) set the workflow status of a finding: open the findings (F on the tree, or F on a role's table) and move to one";
    let View::Table {
        kind: crate::resources::Kind::Findings,
        ..
    } = state.view
    else {
        return Err(not_here.into());
    };
    let t = state.table(state.view).ok_or(not_here)?;
    let row = t.selected_item().ok_or("no finding selected")?;
    let f = row.get::<Finding>().ok_or(not_here)?.clone();
    let role = match row.role_arn() {
        Some(arn) => arn.parse().ok(),
        None => state.current.clone(),
    }
    .ok_or("no role to act as: open the findings through a role")?;
    let region = if t.regions.is_empty() || t.regions.contains(&f.region) {
        f.region.clone()
    } else {
        t.regions[0].clone()
    };
    Ok((f, role, region))
}

/// Why the selected finding's status may not be changed now, before anything is typed.
fn status_refusal(state: &State) -> Result<(Finding, RoleArn, String), String> {
    if let Some(why) = crate::actions::refusal(state.case.is_some(), state.read_only) {
        return Err(why);
    }
    let (f, role, region) = selected_finding(state)?;
    if f.source == "guardduty" {
        return Err(format!(
            "finding {} was read from GuardDuty (Security Hub is off in account {} {}): GuardDuty findings have no workflow status, and archiving one hides it rather than saying what became of it, so rolecall does neither; enable Security Hub to track it",
            f.id, f.account_id, f.region
        ));
    }
    Ok((f, role, region))
}

/// `W` on a finding: the `:` line, ready for the status and the note (`:status NOTIFIED why`;
/// `:status undo` puts back what rolecall changed).
pub fn status_prompt(state: &mut State) -> Vec<Effect> {
    match status_refusal(state) {
        Err(why) => state.set_error(why),
        Ok((f, ..)) => {
            let next = match f.workflow_status.as_str() {
                "NEW" => "NOTIFIED",
                _ => "RESOLVED",
            };
            state.popup = Some(Popup::Command {
                input: format!("status {next} "),
            });
            state.set_info(format!(
                "finding is {}: the status (NEW NOTIFIED RESOLVED SUPPRESSED), then the note (empty: one naming the case); Enter plans it, nothing changes yet; :status undo puts back rolecall's last change",
                f.workflow_status
            ));
        }
    }
    vec![]
}

/// `:status STATUS [NOTE]` or `:status undo` on the selected finding: planned (a read of the
/// finding, in a job), then confirmed as every action is.
pub fn set_status(state: &mut State, ask: StatusAsk) -> Vec<Effect> {
    let (f, role, region) = match status_refusal(state) {
        Ok(x) => x,
        Err(why) => {
            state.set_error(why);
            return vec![];
        }
    };
    let action = match ask {
        StatusAsk::Set { status, note } => crate::actions::Action::FindingStatus {
            finding: f.id,
            status,
            note,
        },
        StatusAsk::Undo => crate::actions::Action::FindingRestore { finding: f.id },
    };
    // Every value checked before any call is made of it.
    if let Err(e) = crate::actions::check_input(&region, &action) {
        state.set_error(error_line(&e));
        return vec![];
    }
    super::act::plan(state, role, region, action)
}
