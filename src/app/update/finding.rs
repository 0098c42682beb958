//! Enter on a finding: its resource's row, in its account, as a role rolecall assumes for that
//! account, with the finding beside it (in the table's title); the finding recorded in the case
//! log. A resource rolecall has no kind for: the finding itself, with its console link (`o`).

use super::super::effect::{Effect, Slot, Work};
use super::super::state::{SessionStatus, State, View};
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
