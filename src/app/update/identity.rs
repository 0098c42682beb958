//! Who the primary identity is, and which roles it can reach.

use super::super::effect::{Effect, Slot, Work};
use super::super::state::{Loadable, State};
use super::{error_line, plural};
use crate::aws::identity::Identity;
use crate::aws::AwsError;
use crate::roles::AccountRoles;

/// Asks again who we are (and then which roles we reach, the organizations read again from
/// AWS); an earlier ask still under way is replaced.
pub fn reload(state: &mut State) -> Vec<Effect> {
    state.primary = Loadable::Loading;
    state.reread_organizations = true;
    vec![state.jobs.start(Work::Identity)]
}

/// The identity is known: discovery (its IAM policies, the AWS config file) comes next.
pub fn on_identity(state: &mut State, result: Result<Identity, AwsError>) -> Vec<Effect> {
    match result {
        Ok(id) => {
            state.primary = Loadable::Ready(id.clone());
            let reread = std::mem::take(&mut state.reread_organizations);
            vec![state.jobs.start(Work::Discover {
                identity: id,
                reread,
            })]
        }
        Err(e) => {
            state.jobs.finish(&Slot::Identity);
            state.set_error(error_line(&e));
            state.primary = Loadable::Failed(e);
            vec![]
        }
    }
}

/// An organization's list older than its `max_age` is read again in the background, as at start
/// (when nothing else asks who we are, or which roles we reach).
pub fn organizations_due(state: &mut State) -> Vec<Effect> {
    let due = state.organizations_due.is_some_and(|d| d <= state.now);
    let Loadable::Ready(id) = &state.primary else {
        return vec![];
    };
    if !due || state.jobs.running(&Slot::Identity).is_some() {
        return vec![];
    }
    state.organizations_due = None;
    let identity = id.clone();
    vec![state.jobs.start(Work::Discover {
        identity,
        reread: false,
    })]
}

pub fn on_discovered(
    state: &mut State,
    groups: Vec<AccountRoles>,
    warnings: Vec<String>,
) -> Vec<Effect> {
    state.jobs.finish(&Slot::Identity);
    let before = state.accounts.iter().map(|a| a.roles.len()).sum::<usize>();
    state.set_roles(groups);
    let after = state.accounts.iter().map(|a| a.roles.len()).sum::<usize>();
    let found = after.saturating_sub(before);
    match warnings.first() {
        Some(first) => state.set_error(format!(
            "{} discovery warning{}: {first}",
            warnings.len(),
            plural(warnings.len(), "", "s")
        )),
        None if found > 0 => state.set_info(format!(
            "found {found} more role{} in your IAM policies, ~/.aws/config, organizations and Identity Center",
            plural(found, "", "s")
        )),
        None => {}
    }
    state.warnings = warnings;
    vec![]
}
