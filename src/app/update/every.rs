//! Every account at once (`a`, `:all`): one role per account, rows filling in as accounts
//! answer.

use super::super::effect::{Effect, Slot, Work};
use super::super::msg::Rows;
use super::super::state::{SessionStatus, State, View};
use super::{plural, sessions, REUSE_MARGIN_SECONDS};
use crate::aws::arn::RoleArn;
use crate::inventory::Target;
use crate::resources::{Failure, Kind, Query, KINDS};

/// `a` / `:all`: shows what an earlier listing found, else starts one.
pub fn open(state: &mut State, kind: Kind) -> Vec<Effect> {
    state.view = View::every(kind);
    if state.every(kind).started {
        return vec![];
    }
    start(state, kind)
}

/// Stops the every-account listing of `kind`, if one runs: what it found so far is not kept as
/// a finished listing, so opening the view lists again.
pub fn stop(state: &mut State, kind: Kind) -> Option<Effect> {
    let effect = state.jobs.cancel(&Slot::Every(kind))?;
    state.every_mut(kind).forget();
    Some(effect)
}

/// Who lists which account in an every-account listing.
struct Plan {
    targets: Vec<Target>,
    /// The roles to assume first, with the duration to ask (`None`: the role's own).
    assume: Vec<(RoleArn, Option<u32>)>,
    /// Accounts no role can list without an MFA code.
    skipped: Vec<Failure>,
}

/// Which role lists each account, and how to get its session: a live session first, else a
/// role that needs no MFA code (assumed now); accounts with neither are skipped, saying so.
fn plan(state: &State, kind: Kind) -> Plan {
    let mut targets = Vec::new();
    let mut assume = Vec::new();
    let mut skipped = Vec::new();
    for account in &state.accounts {
        let live = account
            .roles
            .iter()
            .find(|r| match state.session_status(&r.arn) {
                SessionStatus::Active { seconds_left } => seconds_left > REUSE_MARGIN_SECONDS,
                SessionStatus::Refreshing => true,
                _ => false,
            });
        let chosen = live.map(|r| (r, false)).or_else(|| {
            account
                .roles
                .iter()
                .find(|r| r.mfa_serial.as_deref().is_none_or(|s| state.mfa_ready(s)))
                .map(|r| (r, true))
        });
        match chosen {
            Some((role, new_session)) => {
                if new_session {
                    assume.push((role.arn.clone(), sessions::chained_duration(state, role)));
                }
                targets.push(Target {
                    role: role.clone(),
                    account_name: account.name.clone(),
                    window: Query::of(kind, Vec::new(), state.now).window,
                    subject: None,
                    findings: None,
                    regions: state
                        .region_override
                        .clone()
                        .unwrap_or_else(|| role.regions(&state.defaults)),
                });
            }
            None => {
                if let Some(r) = account.roles.first() {
                    skipped.push(Failure::needs_mfa(
                        &r.arn,
                        format!(
                            "assume {} first (Enter on it in the tree, with its MFA code), then r here lists this account too",
                            r.label()
                        ),
                    ));
                }
            }
        }
    }
    Plan {
        targets,
        assume,
        skipped,
    }
}

/// Lists every account (again): one role each, new sessions where there is none. One
/// every-account listing at a time: starting one stops the other kinds'.
pub fn start(state: &mut State, kind: Kind) -> Vec<Effect> {
    let Plan {
        targets,
        assume,
        skipped,
    } = plan(state, kind);
    let height = state.page();
    let skipped_n = skipped.len();
    let window = targets.first().and_then(|t| t.window);
    state.every_mut(kind).reset(targets.len(), skipped, height);
    state.every_mut(kind).table.window = window;
    state.every_mut(kind).plan_regions(targets.iter().map(|t| {
        (
            t.role.arn.clone(),
            crate::inventory::planned_regions(&t.regions),
        )
    }));
    let mut effects: Vec<Effect> = KINDS
        .into_iter()
        .filter(|k| *k != kind)
        .filter_map(|other| stop(state, other))
        .collect();
    if targets.is_empty() {
        effects.extend(state.jobs.cancel(&Slot::Every(kind)));
        state.set_error(if skipped_n == 0 {
            "no roles known to list through: add [[role]] tables to the config (see config.example.toml)"
        } else {
            "every account's roles need an MFA code: assume one (Enter in the tree), then r here"
        });
        return effects;
    }
    // The new sessions show as they arrive (`Msg::Session`); none is marked "assuming" here, so
    // a listing stopped half-way leaves no role waiting for an answer that never comes.
    let fresh = assume.len();
    state.set_info(format!(
        "listing {} in {} account{}{}…",
        kind.noun(),
        targets.len(),
        plural(targets.len(), "", "s"),
        if fresh > 0 {
            format!(", assuming {fresh} role{} first", plural(fresh, "", "s"))
        } else {
            String::new()
        }
    ));
    effects.push(state.jobs.start(Work::Every {
        kind,
        targets,
        assume,
        concurrency: state.defaults.concurrency as usize,
    }));
    effects
}

/// One account's answer: its rows join the table (the cursor stays on its row); after the last
/// account, the status line sums it up.
pub fn on_part(state: &mut State, kind: Kind, part: Rows) -> Vec<Effect> {
    let height = state.page();
    let all = state.every_mut(kind);
    all.done += 1;
    all.ok += usize::from(part.ok);
    all.throttled += usize::from(part.throttled);
    if let Some(a) = &part.answered {
        all.regions_in(&a.role, a.regions, a.of);
    }
    all.table.failures.extend(part.failures);
    all.table.notes.extend(part.notes);
    all.table
        .failures
        .sort_by(|a, b| (&a.account_id, &a.region).cmp(&(&b.account_id, &b.region)));
    all.table.extend_keeping(part.rows, part.keys, height);
    if all.done >= all.accounts {
        state.jobs.finish(&Slot::Every(kind));
        finish(state, kind);
    }
    vec![]
}

/// The status line after an every-account listing: how much, and the first failure.
fn finish(state: &mut State, kind: Kind) {
    let every = state.every(kind);
    let (rows, ok, accounts) = every.counts();
    let summary = format!(
        "{rows} {} in {ok} of {accounts} account{}{}",
        kind.noun(),
        plural(accounts, "", "s"),
        match every.throttled {
            0 => String::new(),
            n => format!(" ({n} throttled by AWS, listed again after a pause)"),
        }
    );
    let failures: Vec<_> = every.table.failures.iter().filter(|f| f.failed()).collect();
    let not_enabled = every.table.failures.len() - failures.len();
    let summary = match not_enabled {
        0 => summary,
        n => format!("{summary}; {n} not enabled (region or service), nothing there"),
    };
    let line = failures.first().map(|f| {
        format!(
            "{summary}; {} failed — {}: {}{}",
            failures.len(),
            f.place(),
            f.error,
            f.error
                .hint
                .as_ref()
                .map(|h| format!(" — {h}"))
                .unwrap_or_default()
        )
    });
    match line {
        Some(line) => state.set_error(line),
        None => state.set_info(summary),
    }
}
