//! Keys and the mouse: a key becomes an [`Action`] (the binding table in `keys.rs`), and each
//! action is handled here or by the feature it belongs to.

use crossterm::event::{
    KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};

use super::super::effect::Effect;
use super::super::keys::{action_for, Action};
use super::super::state::{Popup, State, TreeRow, View, KNOWN_REGIONS};
use super::super::viewport::row_at;
use super::{act, case, console, every, finding, history, identity, listing, popup};
use crate::resources::{Kind, KINDS};

pub fn on_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    if key.kind != KeyEventKind::Press {
        return vec![];
    }
    if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
        return act::quit(state, false);
    }
    if state.popup.is_some() {
        return popup::on_key(state, key);
    }
    if state.view != View::Sessions && state.list(state.view).editing {
        return on_filter_key(state, key);
    }
    if key.code == KeyCode::Esc && state.status.as_ref().is_some_and(|s| s.error) {
        state.status = None;
        return vec![];
    }
    match action_for(state.view, &key) {
        Some(action) => on_action(state, action),
        None => vec![],
    }
}

/// Keys while the filter line has the keyboard: text, Enter keeps, Esc clears; arrows still move.
fn on_filter_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    let view = state.view;
    let list = state.list_mut(view);
    match key.code {
        KeyCode::Enter => list.editing = false,
        KeyCode::Esc => {
            list.editing = false;
            list.filter.clear();
        }
        KeyCode::Backspace => {
            list.filter.pop();
        }
        KeyCode::Char(c) => {
            list.filter.push(c);
            list.selected = 0;
            list.offset = 0;
        }
        KeyCode::Up => return on_action(state, Action::Up),
        KeyCode::Down => return on_action(state, Action::Down),
        _ => return vec![],
    }
    refresh(state, view);
    if view == View::Tree {
        // Land on the first role that matches, so Enter assumes it.
        let rows = state.tree_rows();
        if state.tree.selected == 0 {
            if let Some(i) = rows.iter().position(|r| matches!(r, TreeRow::Role(..))) {
                state.tree.selected = i;
            }
        }
        let height = state.page();
        state.tree.scroll_into_view(rows.len(), height);
    }
    vec![]
}

/// Recomputes what a view's list shows after its filter or sort changed.
fn refresh(state: &mut State, view: View) {
    let height = state.page();
    if view == View::CaseLog {
        state.log.refresh(height);
        return;
    }
    match state.table_mut(view) {
        Some(t) => t.refresh(height),
        None => {
            let len = state.list_len(view);
            state.list_mut(view).scroll_into_view(len, height);
        }
    }
}

fn move_selection(state: &mut State, delta: isize) {
    let height = state.page();
    let view = state.view;
    let len = state.list_len(view);
    state.list_mut(view).move_by(delta, len, height);
}

pub fn on_mouse(state: &mut State, m: MouseEvent) -> Vec<Effect> {
    match m.kind {
        MouseEventKind::ScrollDown => move_selection(state, 3),
        MouseEventKind::ScrollUp => move_selection(state, -3),
        MouseEventKind::Down(MouseButton::Left) if state.popup.is_none() => {
            if let Some(row) = row_at(state.size, m.column, m.row) {
                let view = state.view;
                let len = state.list_len(view);
                let list = state.list_mut(view);
                let index = list.offset + row;
                if index < len {
                    list.selected = index;
                }
            }
        }
        _ => {}
    }
    vec![]
}

pub fn on_action(state: &mut State, action: Action) -> Vec<Effect> {
    let page = state.page() as isize;
    let view = state.view;
    match action {
        Action::Up => move_selection(state, -1),
        Action::Down => move_selection(state, 1),
        Action::PageUp => move_selection(state, -page),
        Action::PageDown => move_selection(state, page),
        Action::Top => move_selection(state, isize::MIN / 2),
        Action::Bottom => move_selection(state, isize::MAX / 2),
        Action::Collapse | Action::Expand => fold(state, action == Action::Expand),
        Action::Open => return open_selected(state),
        Action::Filter => {
            if view != View::Sessions {
                state.list_mut(view).editing = true;
            }
        }
        Action::Back => return back(state),
        Action::Quit => return act::quit(state, false),
        Action::Help => state.popup = Some(Popup::Help { scroll: 0 }),
        Action::Command => {
            state.popup = Some(Popup::Command {
                input: String::new(),
            })
        }
        Action::Sessions => {
            if view != View::Sessions {
                state.open_overlay(View::Sessions);
                let len = state.sessions.len();
                state.sessions_list.scroll_into_view(len, page as usize);
            }
        }
        Action::Table(Kind::Findings) if view == View::Tree => return finding::everywhere(state),
        Action::Table(kind) => {
            return if view.is_all() {
                every::open(state, kind)
            } else {
                listing::switch(state, kind)
            };
        }
        Action::All => {
            if !view.is_all() {
                // From a role's table, the same kind; from the tree or sessions, instances.
                return every::open(state, view.kind().unwrap_or(Kind::Instances));
            }
        }
        Action::Detail => {
            if view == View::CaseLog {
                state.log.detail = state.log.selected().is_some() && !state.log.detail;
            } else if view == View::Jobs {
                state.jobs_detail = !state.actions.is_empty() && !state.jobs_detail;
            } else if let Some(t) = state.table_mut(view) {
                t.toggle_detail();
            }
        }
        Action::CaseLog => return case::show_log(state),
        Action::Jobs => return act::show_jobs(state),
        Action::Snapshot => return act::ask(state, act::Ask::Snapshot),
        Action::Isolate => return act::ask(state, act::Ask::Isolate),
        Action::Capture => return act::ask(state, act::Ask::Capture),
        Action::Status => return finding::status_prompt(state),
        Action::Export => return case::export(state),
        Action::Events => return history::open(state),
        Action::CopyLink => return console::copy_link(state),
        Action::OpenConsole => return console::sign_in(state, true),
        Action::CopyConsole => return console::sign_in(state, false),
        Action::CopyId => {
            if let Some(p) = state.table(view).and_then(|t| t.picked()) {
                state.set_info(format!("copied {}", p.id));
                return vec![Effect::Copy(p.id)];
            }
        }
        Action::Reload => return reload(state),
        Action::Regions => pick_regions(state),
        Action::Sort(n) => {
            let height = state.page();
            if let Some(t) = state.table_mut(view) {
                t.sort_by(n - 1, height);
            }
        }
    }
    vec![]
}

/// `R`: the region picker, with the regions listed now ticked.
fn pick_regions(state: &mut State) {
    let current = match (&state.current, state.view.is_all()) {
        (Some(role), false) => state.regions_for(role),
        (_, true) => state
            .region_override
            .clone()
            .unwrap_or_else(|| state.defaults.regions.clone()),
        (None, false) => return,
    };
    // First: every region each account has enabled (asked of it).
    let mut names: Vec<String> = vec![crate::config::ALL_REGIONS.to_string()];
    names.extend(KNOWN_REGIONS.iter().map(|s| s.to_string()));
    for r in &current {
        if !names.contains(r) {
            names.push(r.clone());
        }
    }
    let choices = names
        .into_iter()
        .map(|n| {
            let on = current.contains(&n);
            (n, on)
        })
        .collect();
    state.popup = Some(Popup::Regions { choices, cursor: 0 });
}

/// `r`: reloads what the view shows.
pub fn reload(state: &mut State) -> Vec<Effect> {
    match state.view {
        View::Tree => identity::reload(state),
        View::Table { kind, every: false } => listing::reload(state, kind),
        View::Table { kind, every: true } => every::start(state, kind),
        View::CaseLog => case::show_log(state),
        View::Sessions | View::Jobs => vec![],
    }
}

fn fold(state: &mut State, expand: bool) {
    if state.view != View::Tree || !state.tree.filter.is_empty() {
        return;
    }
    let account = match state.selected_tree_row() {
        Some(TreeRow::Account(a)) | Some(TreeRow::Role(a, _)) => a,
        None => return,
    };
    state.accounts[account].expanded = expand;
    // Keep the cursor on the account when its roles fold away.
    let rows = state.tree_rows();
    if let Some(i) = rows.iter().position(|r| *r == TreeRow::Account(account)) {
        if !expand {
            state.tree.selected = i;
        }
    }
    let height = state.page();
    state.tree.scroll_into_view(rows.len(), height);
}

fn open_selected(state: &mut State) -> Vec<Effect> {
    match state.view {
        View::Tree => match state.selected_tree_row() {
            Some(TreeRow::Account(a)) => {
                // A folded account with one role (an organization's) stands for its role.
                if let Some(arn) = state.selected_role().map(|r| r.arn.clone()) {
                    return listing::open_role(state, arn, Kind::Instances);
                }
                if state.tree.filter.is_empty() {
                    state.accounts[a].expanded = !state.accounts[a].expanded;
                    refresh(state, View::Tree);
                }
                vec![]
            }
            Some(TreeRow::Role(a, r)) => {
                let arn = state.accounts[a].roles[r].arn.clone();
                listing::open_role(state, arn, Kind::Instances)
            }
            None => vec![],
        },
        View::Table {
            kind: Kind::Findings,
            ..
        } => finding::open(state),
        View::Sessions => {
            let arns = state.session_roles();
            match arns.get(state.sessions_list.selected).cloned() {
                Some(arn) => listing::open_role(state, arn, Kind::Instances),
                None => vec![],
            }
        }
        _ => vec![],
    }
}

/// Esc / q: closes the details, else clears the filter, else goes back (stopping the view's
/// listing when it is still under way).
fn back(state: &mut State) -> Vec<Effect> {
    let view = state.view;
    match view {
        View::Tree => {
            if !state.tree.filter.is_empty() {
                state.tree.filter.clear();
                refresh(state, View::Tree);
            }
            vec![]
        }
        View::Sessions => {
            state.view = state.previous_view;
            vec![]
        }
        View::Jobs => {
            if state.jobs_detail {
                state.jobs_detail = false;
            } else {
                state.view = state.previous_view;
            }
            vec![]
        }
        View::CaseLog => {
            if state.log.detail {
                state.log.detail = false;
            } else if !state.log.list.filter.is_empty() {
                state.log.list.filter.clear();
                refresh(state, View::CaseLog);
            } else {
                state.view = state.previous_view;
            }
            vec![]
        }
        _ => {
            let height = state.page();
            if state.table_mut(view).is_some_and(|t| t.back(height)) {
                return vec![];
            }
            state.view = View::Tree;
            if view.is_all() {
                // A listing stopped half-way is not kept: `a` lists again.
                KINDS
                    .into_iter()
                    .filter_map(|k| every::stop(state, k))
                    .collect()
            } else {
                listing::stop(state)
            }
        }
    }
}
