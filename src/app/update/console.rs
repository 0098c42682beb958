//! Console links for the focused role: the switch-role link (`y`), and federated sign-in
//! (`o` opens it, `O` copies its link).

use super::super::effect::{Effect, Slot, Work};
use super::super::state::{SessionStatus, State, View};
use super::error_line;
use crate::aws::arn::RoleArn;
use crate::aws::console::{switch_role_url, Destination, Page, SignIn};
use crate::aws::AwsError;

/// The role the keys `y`, `o` and `O` act on: the selected one in the tree and sessions views,
/// the selected row's in the every-account views, the current one in a role's tables.
fn focused_role(state: &State) -> Option<RoleArn> {
    match state.view {
        View::Tree => state.selected_role().map(|r| r.arn.clone()),
        View::Sessions => state
            .session_roles()
            .get(state.sessions_list.selected)
            .cloned(),
        View::Table { every: true, .. } => state
            .table(state.view)
            .and_then(|t| t.picked())
            .and_then(|p| p.role_arn?.parse().ok()),
        View::Table { every: false, .. } => state.current.clone(),
        View::Jobs => None,
        View::CaseLog => state
            .log
            .selected()
            .and_then(|e| e.record.role_arn.as_deref())
            .and_then(|a| a.parse().ok()),
    }
}

/// `o` / `O`: a federated sign-in as the focused role, landing on the selected row's console page
/// (else the role's first region's EC2 page). Needs a live session to sign in with.
pub fn sign_in(state: &mut State, open: bool) -> Vec<Effect> {
    let Some(arn) = focused_role(state) else {
        state.set_error("no role selected: move to a role to open its console");
        return vec![];
    };
    let title = state.role_title(&arn);
    if !matches!(state.session_status(&arn), SessionStatus::Active { .. }) {
        state.set_error(format!(
            "{title} has no live session: assume it first (Enter), then o opens its console"
        ));
        return vec![];
    }
    let picked = state.table(state.view).and_then(|t| t.picked());
    let page = picked
        .as_ref()
        .and_then(|p| Some((p, p.kind.spec().console_page(&p.id).ok()?)));
    let destination = match page {
        Some((p, (service, fragment))) => Destination {
            region: Some(p.region.clone()),
            service: Some(service.to_string()),
            resource: Some(Page(fragment)),
        },
        None => Destination {
            region: state.regions_for(&arn).into_iter().next(),
            service: Some("ec2".into()),
            resource: None,
        },
    };
    state.set_info(if open {
        format!("signing in to the console as {title}…")
    } else {
        format!("making a sign-in link for {title}…")
    });
    vec![state.jobs.start(Work::Console {
        role: arn,
        destination,
        open,
    })]
}

pub fn on_console(
    state: &mut State,
    role: RoleArn,
    result: Result<SignIn, AwsError>,
) -> Vec<Effect> {
    state.jobs.finish(&Slot::Console);
    let title = state.role_title(&role);
    match result {
        Ok(SignIn::Opened) => {
            state.set_info(format!("opened the console as {title} in the browser"));
            vec![]
        }
        Ok(SignIn::Link(link)) => {
            state.set_info(format!(
                "copied a sign-in link for {title}: whoever opens it is signed in as the role; paste it only into your browser"
            ));
            vec![Effect::CopySecret(link)]
        }
        Err(e) => {
            state.set_error(error_line(&e));
            vec![]
        }
    }
}

/// `y`: the focused role's switch-role link (no credentials in it).
pub fn copy_link(state: &mut State) -> Vec<Effect> {
    let Some(arn) = focused_role(state) else {
        state.set_error("no role selected: move to a role to copy its link");
        return vec![];
    };
    let account = state.account(arn.account_id());
    let display = match state.role(&arn) {
        Some(role) => role.display_name(account.and_then(|a| a.name.as_deref())),
        None => arn.name_with_path(),
    };
    let color = account.and_then(|a| a.color.as_deref());
    let url = switch_role_url(&arn, &display, color, None);
    super::case::copy_link(state, arn, url)
}
