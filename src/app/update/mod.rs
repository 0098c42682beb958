//! The pure heart of the TUI: `update(state, msg) -> effects`. No clock, no network, no
//! terminal. This file dispatches each message, and is the one place where the answers of a
//! job that was replaced or stopped are dropped; each feature has a file of its own.

mod act;
mod case;
mod command;
mod console;
mod every;
mod finding;
mod history;
mod identity;
mod input;
mod listing;
mod popup;
mod sessions;

use super::effect::{Effect, Slot, Work};
use super::msg::{Answer, Msg};
use super::state::State;
use crate::aws::AwsError;

/// A session this close to expiry is assumed again rather than reused.
const REUSE_MARGIN_SECONDS: i64 = 60;

/// The effects to start with: who am I.
pub fn init(state: &mut State) -> Vec<Effect> {
    vec![state.jobs.start(Work::Identity)]
}

pub fn update(state: &mut State, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Key(key) => input::on_key(state, key),
        Msg::Mouse(m) => input::on_mouse(state, m),
        Msg::Resize(w, h) => {
            state.size = (w, h);
            let rows = state.page();
            let tree_len = state.tree_rows().len();
            state.tree.scroll_into_view(tree_len, rows);
            for t in state.tables_mut() {
                t.refresh(rows);
            }
            vec![]
        }
        Msg::Tick(now) => {
            state.now = now;
            state.spinner = state.spinner.wrapping_add(1);
            identity::organizations_due(state)
        }
        Msg::Terminate(_) => {
            state.should_quit = true;
            vec![]
        }
        Msg::Job { slot, id, answer } => {
            if !state.jobs.accepts(&slot, id) {
                // A job that was replaced or stopped answered after all: nobody asks any more.
                return vec![];
            }
            match answer {
                Answer::Identity(result) => identity::on_identity(state, result),
                Answer::Discovered {
                    groups,
                    warnings,
                    organizations_due,
                    organizations_read,
                    mfa_sessions,
                } => {
                    // A role on one of these devices is assumed without asking for a code.
                    state.mfa_sessions.extend(mfa_sessions);
                    state.organizations_due = organizations_due;
                    state.organizations_read = organizations_read;
                    identity::on_discovered(state, groups, warnings)
                }
                Answer::Assumed { role, result } => sessions::on_assumed(state, role, result),
                Answer::Listed(rows) => match slot {
                    Slot::List(kind) => listing::on_listed(state, kind, rows),
                    Slot::Every(kind) => every::on_part(state, kind, rows),
                    // Only listings answer with rows.
                    _ => vec![],
                },
                Answer::Console { role, result } => console::on_console(state, role, result),
                Answer::Failed(e) => {
                    state.jobs.finish(&slot);
                    if let Slot::Every(kind) = slot {
                        state.every_mut(kind).forget();
                    }
                    state.set_error(error_line(&e));
                    vec![]
                }
                Answer::Copied(result) => case::on_copied(state, result),
                Answer::Exported(result) => case::on_exported(state, result),
                Answer::Case(result) => case::on_case(state, result),
                Answer::Log(result) => case::on_log(state, result),
                Answer::Planned(result) => act::on_planned(state, result),
                Answer::Acted { n, outcome } => act::on_acted(state, n, outcome),
                Answer::Noted(result) => finding::on_noted(state, result),
            }
        }
        Msg::Session { role, result } => {
            // Quietly: the every-account view reports per account what failed.
            let _ = sessions::record(state, role, result);
            vec![]
        }
        Msg::Refresh(event) => sessions::on_refresh(state, event),
        Msg::Logged(entry) => case::on_logged(state, entry),
        Msg::ActionStep { n, text } => act::on_step(state, n, text),
    }
}

/// An error for the status line: what failed, then what to check.
fn error_line(e: &AwsError) -> String {
    match &e.hint {
        Some(h) => format!("{e} — {h}"),
        None => e.to_string(),
    }
}

fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 {
        one
    } else {
        many
    }
}
