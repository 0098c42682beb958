//! One role's tables (instances, volumes, every kind): opening a role (assuming it first when
//! needed), listing, and showing what came back.

use super::super::effect::{Effect, Slot, Work};
use super::super::msg::Rows;
use super::super::state::{keys_for, SessionStatus, State, TableView, View};
use super::{error_line, plural, sessions, REUSE_MARGIN_SECONDS};
use crate::aws::arn::RoleArn;
use crate::resources::{Kind, Query, Reach, KINDS};

/// Lists the current role's resources of `kind`; an earlier listing of the same kind is
/// replaced.
pub fn start(state: &mut State, kind: Kind) -> Vec<Effect> {
    let Some(role) = state.current.clone() else {
        return vec![];
    };
    // What a query kind's table looks up, and where (`t` pins the row's region): kept for
    // this role's table only.
    let (subject, pinned) = match state.table(View::of_role(kind)) {
        Some(t) if t.role() == Some(&role) => (t.subject.clone(), t.pinned.clone()),
        _ => (None, None),
    };
    let regions = pinned.clone().unwrap_or_else(|| state.regions_for(&role));
    let Query {
        regions,
        window,
        subject,
        ..
    } = Query::of(kind, regions, state.now).about(subject);
    let height = state.page();
    if let Some(t) = state.table_mut(View::of_role(kind)) {
        t.begin(&role, &regions, window, height);
        t.subject = subject.clone();
        t.pinned = pinned;
        t.notes.clear();
        // What happened last comes first.
        if window.is_some() && t.sort.is_none() {
            t.sort = Some((0, true));
        }
    }
    vec![state.jobs.start(Work::List {
        kind,
        role,
        regions,
        window,
        subject,
    })]
}

/// Stops the role listings under way (the user left the tables).
pub fn stop(state: &mut State) -> Vec<Effect> {
    KINDS
        .iter()
        .filter_map(|k| state.jobs.cancel(&Slot::List(*k)))
        .collect()
}

/// Opens a role's resources: reuses a live session, else assumes it (asking for MFA first).
pub fn open_role(state: &mut State, arn: RoleArn, kind: Kind) -> Vec<Effect> {
    let Some(role) = state.role(&arn).cloned() else {
        return vec![];
    };
    state.current = Some(arn.clone());
    state.view = View::of_role(kind);
    for t in state.tables.iter_mut() {
        t.detail = false;
    }
    match state.session_status(&arn) {
        SessionStatus::Active { seconds_left } if seconds_left > REUSE_MARGIN_SECONDS => {
            start(state, kind)
        }
        SessionStatus::Assuming | SessionStatus::Refreshing => {
            wait_for_session(state, kind, &arn);
            vec![]
        }
        _ => {
            wait_for_session(state, kind, &arn);
            if role
                .mfa_serial
                .as_deref()
                .is_some_and(|s| !state.mfa_ready(s))
            {
                sessions::ask_mfa(state, arn, false);
                vec![]
            } else {
                sessions::assume(state, role, None)
            }
        }
    }
}

/// The table shows this role's title and a spinner while its session comes.
fn wait_for_session(state: &mut State, kind: Kind, arn: &RoleArn) {
    let height = state.page();
    if let Some(t) = state.table_mut(View::of_role(kind)) {
        t.retarget(arn, height);
    }
}

/// `v`, `i`, `:sg`…: another table of the current role; lists it when it has not been yet.
pub fn switch(state: &mut State, kind: Kind) -> Vec<Effect> {
    let Some(role) = state.current.clone() else {
        state.set_error("pick a role in the tree first (Enter on a role)");
        return vec![];
    };
    let view = View::of_role(kind);
    if state.view == view {
        return vec![];
    }
    let listing = state.is_listing(view);
    let (stale, blank) = match state.table(view) {
        Some(t) => (t.role() != Some(&role), t.is_blank()),
        None => (true, true),
    };
    let status = state.session_status(&role);
    let no_session = matches!(
        status,
        SessionStatus::NotAssumed | SessionStatus::Failed | SessionStatus::Expired
    );
    if stale || (!listing && no_session) {
        return open_role(state, role, kind);
    }
    state.view = view;
    if !listing && status != SessionStatus::Assuming && blank {
        return start(state, kind);
    }
    vec![]
}

/// `r` in a role's table: lists again with the live session, or assumes the role again.
pub fn reload(state: &mut State, kind: Kind) -> Vec<Effect> {
    let Some(role) = state.current.clone() else {
        return vec![];
    };
    match state.session_status(&role) {
        SessionStatus::Active { seconds_left } if seconds_left > REUSE_MARGIN_SECONDS => {
            start(state, kind)
        }
        SessionStatus::Assuming | SessionStatus::Refreshing => vec![],
        _ => open_role(state, role, kind),
    }
}

/// Shows a role's listing. A reload keeps the earlier rows of the regions that failed this
/// time: a flaky endpoint never empties a view that was already on screen.
pub fn on_listed(state: &mut State, kind: Kind, answer: Rows) -> Vec<Effect> {
    let height = state.page();
    let t = state.tables.get_mut(kind);
    if answer.more || t.pages > 0 {
        return on_page(state, kind, answer);
    }
    state.jobs.finish(&Slot::List(kind));
    let Rows {
        rows: mut items,
        keys,
        failures,
        notes,
        ..
    } = answer;
    t.notes = notes;
    let mut keys = keys_for(&items, keys);
    let before = items.len();
    let failed = |row: &crate::resources::Row| {
        failures
            .iter()
            .any(|f| f.region.as_deref() == Some(row.region()))
    };
    let old_items = std::mem::take(&mut t.items);
    let old_keys = keys_for(&old_items, std::mem::take(&mut t.keys));
    for (item, key) in old_items.into_iter().zip(old_keys) {
        if failed(&item) {
            items.push(item);
            keys.push(key);
        }
    }
    t.kept = items.len() - before;
    // Every region (or the account's one call) failed and nothing to show: the table shows the
    // error, not "no instances".
    let tried = match kind.about().reach {
        Reach::Regional => t.regions.len(),
        Reach::Global => 1,
    };
    t.error = if items.is_empty() && failures.len() >= tried {
        failures.first().map(|f| f.error.clone())
    } else {
        None
    };
    t.set_keyed(items, keys);
    t.failures = failures;
    t.refresh(height);
    let line = failure_line(t);
    if let Some(line) = line {
        state.set_error(line);
    }
    vec![]
}

/// A page of a listing that comes page by page (a query kind's): its rows join the table as
/// they come (the cursor stays on its row), the first page's replacing what was there; the last
/// says what failed.
fn on_page(state: &mut State, kind: Kind, answer: Rows) -> Vec<Effect> {
    let height = state.page();
    let t = state.tables.get_mut(kind);
    if t.pages == 0 {
        t.set_items(Vec::new());
        t.failures.clear();
        t.kept = 0;
        t.refresh(height);
    }
    t.pages += 1;
    t.failures.extend(answer.failures);
    t.notes.extend(answer.notes);
    t.extend_keeping(answer.rows, answer.keys, height);
    if answer.more {
        return vec![];
    }
    state.jobs.finish(&Slot::List(kind));
    let t = state.tables.get_mut(kind);
    let tried = match kind.about().reach {
        Reach::Regional => t.regions.len(),
        Reach::Global => 1,
    };
    t.error = if t.items.is_empty() && t.failures.len() >= tried {
        t.failures.first().map(|f| f.error.clone())
    } else {
        None
    };
    t.pages = 0;
    if let Some(line) = failure_line(t).or_else(|| note_line(t)) {
        state.set_error(line);
    }
    vec![]
}

/// What the status line says of a listing's notes (a stopped trail), when nothing failed.
fn note_line(t: &TableView) -> Option<String> {
    let first = t.notes.first()?;
    Some(match t.notes.len() {
        1 => format!("warning: {first}"),
        n => format!("warning: {first} (+{} more in the title)", n - 1),
    })
}

/// What the status line says of a listing that failed in some regions (or all).
fn failure_line(t: &TableView) -> Option<String> {
    if let Some(e) = &t.error {
        return Some(error_line(e));
    }
    let first = t.failures.first()?;
    let n = t.failures.len();
    let shown = if t.kept > 0 {
        format!(
            "keeping {} earlier {} of {}",
            t.kept,
            plural(t.kept, "row", "rows"),
            plural(n, "it", "them")
        )
    } else {
        "showing the rest".to_string()
    };
    Some(format!(
        "{n} region{} failed; {shown}. {}",
        plural(n, "", "s"),
        error_line(&first.error)
    ))
}
