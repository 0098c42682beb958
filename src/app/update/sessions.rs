//! Sessions: assuming a role, recording what the store now holds, and what the refresher says.

use chrono::{DateTime, Utc};

use super::super::effect::{Effect, Slot, Work};
use super::super::msg::SessionMeta;
use super::super::state::{Loadable, Phase, Popup, SessionInfo, State, View};
use super::{error_line, listing};
use crate::aws::arn::RoleArn;
use crate::aws::assume::chained_cap;
use crate::aws::credentials::{Secret, TokenCode};
use crate::aws::refresh::RefreshEvent;
use crate::aws::AwsError;
use crate::roles::Role;

/// The duration to ask for when the primary identity is itself a role session and the role's
/// own is longer than AWS grants a chained session; `None`: the role's own.
pub fn chained_duration(state: &State, role: &Role) -> Option<u32> {
    let caller_is_role = matches!(&state.primary, Loadable::Ready(id) if id.is_assumed_role());
    chained_cap(role.duration(&state.defaults), caller_is_role)
}

/// Assumes `role` (with the MFA code, when it needs one).
pub fn assume(state: &mut State, role: Role, token_code: Option<TokenCode>) -> Vec<Effect> {
    state
        .sessions
        .entry(role.arn.clone())
        .or_insert_with(SessionInfo::assuming)
        .phase = Phase::Assuming;
    let duration = chained_duration(state, &role);
    if let Some(cap) = duration {
        state.set_info(format!(
            "the primary identity is itself a role: AWS grants chained sessions at most {} min, so {} asks for that",
            cap / 60,
            role.label()
        ));
    }
    vec![state.jobs.start(Work::Assume {
        role: Box::new(role),
        token_code,
        duration,
    })]
}

/// Asks for the MFA code of `role` before assuming it.
pub fn ask_mfa(state: &mut State, role: RoleArn, renew: bool) {
    state.popup = Some(Popup::Mfa {
        role,
        input: Secret::default(),
        renew,
    });
}

/// Records a new session (or a failed attempt) in the sessions the UI knows; gives back the
/// expiry, or the error.
pub fn record(
    state: &mut State,
    role: RoleArn,
    result: Result<SessionMeta, AwsError>,
) -> Result<DateTime<Utc>, AwsError> {
    let entry = state
        .sessions
        .entry(role)
        .or_insert_with(SessionInfo::assuming);
    match result {
        Ok(meta) => {
            if let Some((serial, until)) = meta.mfa_session {
                state.mfa_sessions.insert(serial, until);
            }
            // A new session for a role that had one (an MFA renewal, an expired one) renews it.
            if entry.expiration.is_some() {
                entry.refresh_count += 1;
            }
            entry.phase = Phase::Active;
            entry.assumed_arn = Some(meta.assumed_arn);
            entry.expiration = Some(meta.expiration);
            entry.last_error = None;
            Ok(meta.expiration)
        }
        Err(e) => {
            entry.phase = Phase::Failed;
            entry.last_error = Some(e.to_string());
            Err(e)
        }
    }
}

/// A role was assumed (or not): the table waiting for it lists, or says why it cannot.
pub fn on_assumed(
    state: &mut State,
    role: RoleArn,
    result: Result<SessionMeta, AwsError>,
) -> Vec<Effect> {
    state.jobs.finish(&Slot::Assume(role.clone()));
    let waiting = state.current.as_ref() == Some(&role) && !state.view.is_all();
    let kind = state.view.kind();
    match record(state, role.clone(), result) {
        Ok(expiration) => {
            let expires = expiration.with_timezone(&state.tz).format("%H:%M:%S");
            let title = state.role_title(&role);
            state.set_info(format!("assumed {title}; expires {expires}"));
            match (waiting, kind) {
                (true, Some(kind)) => listing::start(state, kind),
                _ => vec![],
            }
        }
        Err(e) => {
            if let (true, Some(kind)) = (waiting, kind) {
                if let Some(t) = state.table_mut(View::of_role(kind)) {
                    t.fail(&role, &e);
                }
            }
            state.set_error(error_line(&e));
            vec![]
        }
    }
}

pub fn on_refresh(state: &mut State, event: RefreshEvent) -> Vec<Effect> {
    match event {
        RefreshEvent::Refreshing { role } => {
            if let Some(s) = state.sessions.get_mut(&role) {
                s.phase = Phase::Refreshing;
            }
        }
        RefreshEvent::Refreshed {
            role,
            assumed_arn,
            expiration,
        } => {
            if let Some(s) = state.sessions.get_mut(&role) {
                s.phase = Phase::Active;
                s.refresh_count += 1;
                s.expiration = Some(expiration);
                s.assumed_arn = Some(assumed_arn);
                s.last_error = None;
            }
            let expires = expiration.with_timezone(&state.tz).format("%H:%M:%S");
            let title = state.role_title(&role);
            state.set_info(format!("refreshed {title}; now expires {expires}"));
        }
        RefreshEvent::Failed {
            role,
            error,
            retry_in,
        } => {
            // The session may still be good until it expires: keep it, and the view.
            if let Some(s) = state.sessions.get_mut(&role) {
                s.phase = Phase::Active;
                s.last_error = Some(error.to_string());
            }
            let title = state.role_title(&role);
            state.set_error(format!(
                "refreshing {title} failed, retrying in {}s: {}",
                retry_in.as_secs(),
                error_line(&error)
            ));
        }
        RefreshEvent::NeedsMfa { role, expiration } => {
            let ends = expiration.with_timezone(&state.tz).format("%H:%M:%S");
            let title = state.role_title(&role);
            state.set_error(format!("{title} needs a new MFA code to go on past {ends}"));
            if state.popup.is_none() {
                ask_mfa(state, role, true);
            }
        }
        RefreshEvent::Expired { role } => {
            if let Some(s) = state.sessions.get_mut(&role) {
                s.last_error = Some("expired".into());
            }
            let title = state.role_title(&role);
            state.set_error(format!(
                "the session of {title} expired; Enter on the role assumes it again"
            ));
        }
    }
    vec![]
}
