//! Key bindings: one table that key handling, the footer and the `?` help all read, so what the
//! screen says a key does is what it does.

use std::borrow::Cow;
use std::sync::LazyLock;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::state::View;
use crate::resources::{Kind, KINDS};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Collapse,
    Expand,
    Open,
    Filter,
    Back,
    Quit,
    Help,
    Command,
    Sessions,
    /// The table of a kind: the same role's, or every account's.
    Table(Kind),
    /// Every account at once.
    All,
    Detail,
    CopyLink,
    CopyId,
    /// Open the console signed in as the role (federated sign-in).
    OpenConsole,
    /// Copy the federated sign-in link.
    CopyConsole,
    Reload,
    Regions,
    /// Sort by the column with this 1-based number (pressed again: reverse).
    Sort(usize),
    /// The case log view.
    CaseLog,
    /// Export what the table shows.
    Export,
    /// The CloudTrail events of the selected row's resource.
    Events,
    /// Snapshot the selected instance's volumes (or volume).
    Snapshot,
    /// Isolate the selected instance (or release it).
    Isolate,
    /// Capture the selected instance.
    Capture,
    /// Set the selected finding's workflow status (the `:` line, ready for it).
    Status,
    /// The jobs view.
    Jobs,
}

/// Where a binding applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Global,
    Tree,
    /// Every resource table, of one role or of every account.
    Tables,
    /// The tables of one kind.
    Of(Kind),
    /// The tables of every other kind.
    NotOf(Kind),
    Sessions,
    /// Lists with a `/` filter: the tree and the tables.
    Filterable,
    /// A role's tables and the sessions view (not the tree, not the every-account views).
    OneRole,
    /// The case log view.
    CaseLog,
    /// The jobs view.
    Jobs,
}

impl Scope {
    fn covers(self, view: View) -> bool {
        match self {
            Scope::Global => true,
            Scope::Tree => view == View::Tree,
            Scope::Tables => view.is_table(),
            Scope::Of(kind) => view.kind() == Some(kind),
            Scope::NotOf(kind) => view.is_table() && view.kind() != Some(kind),
            Scope::Sessions => view == View::Sessions,
            Scope::Filterable => !matches!(view, View::Sessions | View::Jobs),
            Scope::OneRole => {
                !view.is_all() && !matches!(view, View::Tree | View::CaseLog | View::Jobs)
            }
            Scope::CaseLog => view == View::CaseLog,
            Scope::Jobs => view == View::Jobs,
        }
    }
}

/// A key a binding answers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Code(KeyCode),
    /// Any of 1-9.
    Digit,
}

pub struct Binding {
    pub keys: Cow<'static, [Key]>,
    /// How the footer and help show the key.
    pub label: Cow<'static, str>,
    pub help: Cow<'static, str>,
    pub action: Action,
    pub scope: Scope,
    /// The footer's short name for it; `None`: only in the help.
    pub footer: Option<&'static str>,
}

use Key::Code as C;
use KeyCode::*;

const fn b(
    keys: &'static [Key],
    label: &'static str,
    help: &'static str,
    action: Action,
    scope: Scope,
    footer: Option<&'static str>,
) -> Binding {
    Binding {
        keys: Cow::Borrowed(keys),
        label: Cow::Borrowed(label),
        help: Cow::Borrowed(help),
        action,
        scope,
        footer,
    }
}

/// The key of each kind that has one (`crate::resources`): from any other table, the same
/// role's (or every account's) table of that kind.
fn kind_keys() -> impl Iterator<Item = Binding> {
    KINDS.into_iter().filter_map(|kind| {
        let key = kind.about().key?;
        Some(Binding {
            keys: Cow::Owned(vec![C(Char(key))]),
            label: Cow::Owned(key.to_string()),
            help: Cow::Owned(format!(
                "{} (of the same role, or of every account)",
                kind.noun()
            )),
            action: Action::Table(kind),
            scope: Scope::NotOf(kind),
            footer: Some(kind.noun()),
        })
    })
}

/// Every binding, most specific scope first: the fixed ones, with each kind's key after the
/// actions on a row (so a narrow footer keeps S, X before the other tables' keys) and before
/// the region picker.
pub static BINDINGS: LazyLock<Vec<Binding>> = LazyLock::new(|| {
    let at = FIXED
        .iter()
        .position(|b| b.action == Action::Regions)
        .unwrap_or(FIXED.len());
    let mut all: Vec<Binding> = FIXED[..at].iter().map(Binding::copy).collect();
    all.extend(kind_keys());
    all.extend(FIXED[at..].iter().map(Binding::copy));
    all
});

impl Binding {
    fn copy(&self) -> Binding {
        Binding {
            keys: self.keys.clone(),
            label: self.label.clone(),
            help: self.help.clone(),
            action: self.action,
            scope: self.scope,
            footer: self.footer,
        }
    }
}

/// The bindings that are the same whatever the kinds, most specific scope first.
#[rustfmt::skip]
const FIXED: &[Binding] = &[
    b(&[C(Enter)], "⏎", "assume the role and open its instances (on an account: fold)", Action::Open, Scope::Tree, Some("open")),
    b(&[C(Char('h')), C(Left)], "h/←", "fold the account", Action::Collapse, Scope::Tree, None),
    b(&[C(Char('l')), C(Right)], "l/→", "unfold the account", Action::Expand, Scope::Tree, None),
    b(&[C(Char('y'))], "y", "copy the role's switch-role console link", Action::CopyLink, Scope::Global, Some("link")),
    b(&[C(Char('o'))], "o", "console signed in as the role, on the selected row", Action::OpenConsole, Scope::Global, Some("console")),
    b(&[C(Char('O'))], "O", "copy that sign-in link (it grants access!)", Action::CopyConsole, Scope::Global, None),
    b(&[C(Char('a'))], "a", "every account's instances at once (then v: volumes)", Action::All, Scope::Tree, Some("all accounts")),
    b(&[C(Char('F'))], "F", "every account's findings, severest first (through [findings] via when set)", Action::Table(Kind::Findings), Scope::Tree, Some("findings")),
    b(&[C(Char('a'))], "a", "every account's at once, of this table's kind (sessions: instances)", Action::All, Scope::OneRole, None),
    b(&[C(Enter)], "⏎", "open the finding's resource in its account, the finding beside it", Action::Open, Scope::Of(Kind::Findings), Some("open")),
    b(&[C(Char('d'))], "d", "the whole finding", Action::Detail, Scope::Of(Kind::Findings), Some("details")),
    b(&[C(Char('W'))], "W", "set the finding's workflow status with a note (:status S NOTE; :status undo puts back rolecall's last change)", Action::Status, Scope::Of(Kind::Findings), Some("status")),
    b(&[C(Enter), C(Char('d'))], "⏎/d", "details of the selected row", Action::Detail, Scope::NotOf(Kind::Findings), Some("details")),
    b(&[C(Char('Y'))], "Y", "copy the selected row's id", Action::CopyId, Scope::Tables, Some("copy id")),
    b(&[Key::Digit], "1-9", "sort by that column (again: reverse)", Action::Sort(0), Scope::Tables, Some("sort")),
    b(&[C(Char('e'))], "e", "export what the table shows (CSV and JSON, every field) to the case folder", Action::Export, Scope::Tables, Some("export")),
    b(&[C(Char('t'))], "t", "who did what: the selected row's CloudTrail events, in its account and region", Action::Events, Scope::NotOf(Kind::Events), Some("events")),
    b(&[C(Enter), C(Char('d'))], "⏎/d", "the whole entry", Action::Detail, Scope::CaseLog, Some("entry")),
    b(&[C(Enter), C(Char('d'))], "⏎/d", "every step of the action", Action::Detail, Scope::Jobs, Some("steps")),
    b(&[C(Char('S'))], "S", "snapshot the instance's volumes as evidence", Action::Snapshot, Scope::Of(Kind::Instances), Some("snapshot")),
    b(&[C(Char('S'))], "S", "snapshot the volume as evidence", Action::Snapshot, Scope::Of(Kind::Volumes), Some("snapshot")),
    b(&[C(Char('X'))], "X", "isolate the instance (on an isolated one: release it)", Action::Isolate, Scope::Of(Kind::Instances), Some("isolate")),
    b(&[C(Char('X'))], "X", "quarantine the user: an inline deny-all policy (on a quarantined one: release it)", Action::Isolate, Scope::Of(Kind::Users), Some("quarantine")),
    b(&[C(Char('X'))], "X", "deactivate the access key (on one rolecall deactivated: activate it again)", Action::Isolate, Scope::Of(Kind::AccessKeys), Some("deactivate")),
    b(&[C(Char('X'))], "X", "revoke the role's sessions issued before now (on a revoked one: release it)", Action::Isolate, Scope::Of(Kind::IamRoles), Some("revoke sessions")),
    b(&[C(Char('C'))], "C", "capture the instance: description, console output, screenshot", Action::Capture, Scope::Of(Kind::Instances), None),
    b(&[C(Char('R'))], "R", "pick regions (or :region eu-west-1,us-east-1; :region resets)", Action::Regions, Scope::Tables, Some("regions")),
    b(&[C(Enter)], "⏎", "open the role's instances", Action::Open, Scope::Sessions, Some("open")),
    b(&[C(Char('/'))], "/", "filter", Action::Filter, Scope::Filterable, Some("filter")),
    b(&[C(Char('s'))], "s", "sessions", Action::Sessions, Scope::Global, Some("sessions")),
    b(&[C(Char('L'))], "L", "the case log: what was recorded (:case open ID starts a case)", Action::CaseLog, Scope::Global, None),
    b(&[C(Char('J'))], "J", "jobs: the actions of this run (S, X, C, W), running and done", Action::Jobs, Scope::Global, None),
    b(&[C(Char('r'))], "r", "reload this view", Action::Reload, Scope::Global, None),
    b(&[C(Char(':'))], ":", "command (:roles :sg :all [KIND] :sessions :region R :case :log :q)", Action::Command, Scope::Global, None),
    b(&[C(Char('?'))], "?", "help", Action::Help, Scope::Global, Some("help")),
    b(&[C(Char('j')), C(Down)], "j/↓", "down", Action::Down, Scope::Global, None),
    b(&[C(Char('k')), C(Up)], "k/↑", "up", Action::Up, Scope::Global, None),
    b(&[C(PageDown), C(Char(' '))], "PgDn", "page down", Action::PageDown, Scope::Global, None),
    b(&[C(PageUp)], "PgUp", "page up", Action::PageUp, Scope::Global, None),
    b(&[C(Home), C(Char('g'))], "g/Home", "first row", Action::Top, Scope::Global, None),
    b(&[C(End), C(Char('G'))], "G/End", "last row", Action::Bottom, Scope::Global, None),
    b(&[C(Char('q'))], "q", "quit", Action::Quit, Scope::Tree, Some("quit")),
    b(&[C(Esc)], "Esc", "clear the filter", Action::Back, Scope::Tree, None),
    b(&[C(Esc), C(Char('q'))], "Esc/q", "back (first closes details, clears the filter)", Action::Back, Scope::Tables, Some("back")),
    b(&[C(Esc), C(Char('q'))], "Esc/q", "back", Action::Back, Scope::Sessions, Some("back")),
    b(&[C(Esc), C(Char('q'))], "Esc/q", "back (first closes the entry, clears the filter)", Action::Back, Scope::CaseLog, Some("back")),
    b(&[C(Esc), C(Char('q'))], "Esc/q", "back", Action::Back, Scope::Jobs, Some("back")),
];

/// The action a key means in a view, if any. Only plain or shifted keys are bound.
pub fn action_for(view: View, key: &KeyEvent) -> Option<Action> {
    if key
        .modifiers
        .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
    {
        return None;
    }
    BINDINGS
        .iter()
        .filter(|bd| bd.scope.covers(view))
        .find_map(|bd| {
            bd.keys.iter().find_map(|k| match (k, key.code) {
                (Key::Code(c), code) if *c == code => Some(bd.action),
                (Key::Digit, KeyCode::Char(d @ '1'..='9')) => {
                    Some(Action::Sort(d as usize - '0' as usize))
                }
                _ => None,
            })
        })
}

/// The bindings of a view, in table order: what the footer (`footer_only`) or help shows.
pub fn bindings_for(view: View, footer_only: bool) -> impl Iterator<Item = &'static Binding> {
    let mut seen: Vec<&'static str> = Vec::new();
    BINDINGS.iter().filter(move |bd| {
        let show = bd.scope.covers(view)
            && (!footer_only || bd.footer.is_some())
            && !seen.contains(&bd.label.as_ref());
        if show {
            seen.push(&bd.label);
        }
        show
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(c: KeyCode) -> KeyEvent {
        KeyEvent::new(c, KeyModifiers::NONE)
    }

    const INSTANCES: View = View::Table {
        kind: Kind::Instances,
        every: false,
    };

    #[test]
    fn same_key_means_different_things_per_view() {
        assert_eq!(action_for(View::Tree, &key(Enter)), Some(Action::Open));
        assert_eq!(action_for(INSTANCES, &key(Enter)), Some(Action::Detail));
        assert_eq!(action_for(View::Tree, &key(Char('q'))), Some(Action::Quit));
        assert_eq!(action_for(INSTANCES, &key(Char('q'))), Some(Action::Back));
        assert_eq!(
            action_for(INSTANCES, &key(Char('3'))),
            Some(Action::Sort(3))
        );
        assert_eq!(action_for(View::Tree, &key(Char('3'))), None);
        assert_eq!(action_for(View::Tree, &key(Char('v'))), None);
        assert_eq!(
            action_for(INSTANCES, &key(Char('v'))),
            Some(Action::Table(Kind::Volumes))
        );
        assert_eq!(action_for(INSTANCES, &key(Char('i'))), None);
        let ctrl_j = KeyEvent::new(Char('j'), KeyModifiers::CONTROL);
        assert_eq!(action_for(View::Tree, &ctrl_j), None);
    }

    #[test]
    fn no_key_is_bound_twice_in_one_view() {
        let tables = KINDS
            .into_iter()
            .flat_map(|kind| [false, true].map(|every| View::Table { kind, every }));
        for view in [View::Tree, View::Sessions, View::CaseLog, View::Jobs]
            .into_iter()
            .chain(tables)
        {
            let mut keys: Vec<Key> = Vec::new();
            for bd in BINDINGS.iter().filter(|bd| bd.scope.covers(view)) {
                for k in bd.keys.iter() {
                    if keys.contains(k) {
                        panic!("{k:?} bound twice in {view:?}");
                    }
                    keys.push(*k);
                }
            }
        }
    }
}
