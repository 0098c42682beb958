//! Everything the screen shows, and nothing that does I/O.

pub mod filter;
mod log;
mod session;
mod table;
mod tree;

use std::collections::HashMap;

use chrono::{DateTime, FixedOffset, Utc};

pub use log::LogView;
pub use session::{Phase, SessionInfo, SessionStatus};
pub use table::{keys_for, search_keys, AllView, ListState, PerKind, Picked, TableView};
pub use tree::{AccountNode, TreeRow};

use super::effect::Slot;
use super::jobs::Jobs;
use super::msg::CaseInfo;
use crate::aws::arn::RoleArn;
use crate::aws::credentials::Secret;
use crate::aws::identity::Identity;
use crate::aws::AwsError;
use crate::config::{Config, Defaults};
use crate::resources::{Kind, Lookup, Row};
use crate::roles::{catalog, Role};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Tree,
    /// A table of `kind`: the current role's, or (`every`) every account's at once.
    Table {
        kind: Kind,
        every: bool,
    },
    Sessions,
    /// The open case's log.
    CaseLog,
    /// The responder actions of this run: running, done, stopped.
    Jobs,
}

impl View {
    /// The views that are resource tables.
    pub fn is_table(self) -> bool {
        self.kind().is_some()
    }

    /// The views laid over the others (sessions, case log, jobs): going back from one returns
    /// to the view under them all.
    pub fn is_overlay(self) -> bool {
        matches!(self, View::Sessions | View::CaseLog | View::Jobs)
    }

    /// The every-account views.
    pub fn is_all(self) -> bool {
        matches!(self, View::Table { every: true, .. })
    }

    /// What a table view lists.
    pub fn kind(self) -> Option<Kind> {
        match self {
            View::Table { kind, .. } => Some(kind),
            View::Tree | View::Sessions | View::CaseLog | View::Jobs => None,
        }
    }

    /// The job that fills a table view.
    pub fn slot(self) -> Option<Slot> {
        match self {
            View::Table { kind, every: true } => Some(Slot::Every(kind)),
            View::Table { kind, every: false } => Some(Slot::List(kind)),
            _ => None,
        }
    }

    /// A role's table of `kind`.
    pub fn of_role(kind: Kind) -> View {
        View::Table { kind, every: false }
    }

    /// The every-account table of `kind`.
    pub fn every(kind: Kind) -> View {
        View::Table { kind, every: true }
    }
}

#[derive(Debug, Clone)]
pub enum Loadable<T> {
    Loading,
    Ready(T),
    Failed(AwsError),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Popup {
    /// The keys of the view; `scroll` as for `Confirm`.
    Help { scroll: u16 },
    /// The `:` command line.
    Command { input: String },
    /// The MFA code for a role whose trust policy wants one; `renew`: for a session about to
    /// end rather than a new one. The code being typed is a secret.
    Mfa {
        role: RoleArn,
        input: Secret,
        renew: bool,
    },
    /// The plan in `State::pending`, waiting for yes or no; `scroll`: its first line shown (a
    /// long plan scrolls, and the screen says when there is more to read).
    Confirm { scroll: u16 },
    /// Region picker: every known region, ticked or not.
    Regions {
        choices: Vec<(String, bool)>,
        cursor: usize,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub text: String,
    pub error: bool,
}

/// A plan shown for confirmation, and as whom and where it would run.
#[derive(Debug, Clone)]
pub struct Pending {
    pub plan: crate::actions::Plan,
    pub role: RoleArn,
    pub region: String,
    /// The case the plan was made in: it runs, and is recorded, in that case or not at all.
    pub case: String,
}

/// How a responder action is doing.
#[derive(Debug, Clone, PartialEq)]
pub enum ActionState {
    Running,
    Done,
    Stopped,
}

/// A responder action of this run, as the jobs view shows it.
#[derive(Debug, Clone)]
pub struct ActionRow {
    pub n: u64,
    /// The role and region it acts as and in.
    pub role: RoleArn,
    pub region: String,
    /// The instance or volume it acts on.
    pub target: String,
    pub title: String,
    pub account: String,
    pub state: ActionState,
    /// Every step reported so far, newest last.
    pub steps: Vec<String>,
    pub outcome: Option<crate::actions::Outcome>,
}

/// Regions offered by the picker besides those in the config.
pub const KNOWN_REGIONS: &[&str] = &[
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "ca-central-1",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-central-1",
    "eu-north-1",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-south-1",
    "sa-east-1",
];

#[derive(Debug, Clone)]
pub struct State {
    /// `[findings]`: where F on the tree reads every account's findings.
    pub findings: crate::config::FindingsConfig,
    pub now: DateTime<Utc>,
    /// The local time zone, for clock times (passed in so rendering is reproducible).
    pub tz: FixedOffset,
    pub spinner: usize,
    pub defaults: Defaults,
    pub primary: Loadable<Identity>,
    pub accounts: Vec<AccountNode>,
    /// What role discovery warned about (wildcard patterns, unreadable policies…).
    pub warnings: Vec<String>,
    /// `r` on the tree: the next discovery reads the organizations from AWS, not the cache.
    pub reread_organizations: bool,
    /// When an organization's list is due to be read again (see `organizations_due`).
    pub organizations_due: Option<DateTime<Utc>>,
    /// When the oldest organization's list in the tree was read (the tree's title says).
    pub organizations_read: Option<DateTime<Utc>>,
    pub sessions: HashMap<RoleArn, SessionInfo>,
    /// The primary's MFA sessions at hand, by device, until when: roles that ask for that
    /// device are assumed (and listed in every account) without a code.
    pub mfa_sessions: HashMap<String, DateTime<Utc>>,
    pub view: View,
    /// Where Esc goes back to from the sessions view.
    pub previous_view: View,
    pub tree: ListState,
    /// The role whose instances and volumes are shown.
    pub current: Option<RoleArn>,
    pub region_override: Option<Vec<String>>,
    /// A role's table of each kind.
    pub tables: PerKind<TableView>,
    /// Every account's table of each kind.
    pub all: PerKind<AllView>,
    pub sessions_list: ListState,
    /// The case the TUI records in, if one is open.
    pub case: Option<CaseInfo>,
    /// The case log, as last read (entries written since are added as they are).
    pub log: LogView,
    /// `--read-only` / `[defaults] read_only`: every action is refused.
    pub read_only: bool,
    /// A plan waiting for the responder's yes (the confirmation popup shows it).
    pub pending: Option<Pending>,
    /// The responder actions of this run, in the order they started.
    pub actions: Vec<ActionRow>,
    pub jobs_list: ListState,
    /// The selected action's steps are shown.
    pub jobs_detail: bool,
    pub popup: Option<Popup>,
    pub status: Option<Status>,
    /// The job each slot runs: answers of any other are stale.
    pub jobs: Jobs,
    pub size: (u16, u16),
    pub should_quit: bool,
    /// When a quit was asked for while an action ran, and refused: another one soon after
    /// quits (one much later is asked about again).
    pub quit_armed: Option<DateTime<Utc>>,
}

impl State {
    /// The responder actions still running.
    pub fn running_actions(&self) -> Vec<&ActionRow> {
        self.actions
            .iter()
            .filter(|r| r.state == ActionState::Running)
            .collect()
    }

    /// Shows an overlay view (sessions, case log, jobs), remembering the view to go back to.
    pub fn open_overlay(&mut self, view: View) {
        if !self.view.is_overlay() {
            self.previous_view = self.view;
        }
        self.view = view;
    }

    pub fn new(config: &Config, now: DateTime<Utc>, tz: FixedOffset, size: (u16, u16)) -> Self {
        Self::with_case(config, None, now, tz, size)
    }

    /// A state whose runs record in `case`.
    pub fn with_case(
        config: &Config,
        case: Option<CaseInfo>,
        now: DateTime<Utc>,
        tz: FixedOffset,
        size: (u16, u16),
    ) -> Self {
        let accounts: Vec<AccountNode> =
            catalog(config).into_iter().map(AccountNode::new).collect();
        let mut s = State {
            now,
            tz,
            spinner: 0,
            defaults: config.defaults.clone(),
            findings: config.findings.clone(),
            primary: Loadable::Loading,
            accounts,
            warnings: Vec::new(),
            reread_organizations: false,
            organizations_due: None,
            organizations_read: None,
            sessions: HashMap::new(),
            mfa_sessions: HashMap::new(),
            view: View::Tree,
            previous_view: View::Tree,
            tree: ListState::default(),
            current: None,
            region_override: None,
            tables: PerKind::new(|k| TableView::new(k, false)),
            all: PerKind::new(AllView::new),
            sessions_list: ListState::default(),
            case,
            log: LogView::default(),
            read_only: config.defaults.read_only,
            pending: None,
            actions: Vec::new(),
            jobs_list: ListState::default(),
            jobs_detail: false,
            popup: None,
            status: None,
            jobs: Jobs::default(),
            size,
            should_quit: false,
            quit_armed: None,
        };
        // Start on the first role, so Enter assumes it straight away.
        if s.tree_rows().len() > 1 {
            s.tree.selected = 1;
        }
        s
    }

    /// The resource table of a view.
    pub fn table(&self, view: View) -> Option<&TableView> {
        match view {
            View::Table { kind, every: false } => Some(self.tables.get(kind)),
            View::Table { kind, every: true } => Some(&self.all.get(kind).table),
            View::Tree | View::Sessions | View::CaseLog | View::Jobs => None,
        }
    }

    pub fn table_mut(&mut self, view: View) -> Option<&mut TableView> {
        match view {
            View::Table { kind, every: false } => Some(self.tables.get_mut(kind)),
            View::Table { kind, every: true } => Some(&mut self.all.get_mut(kind).table),
            View::Tree | View::Sessions | View::CaseLog | View::Jobs => None,
        }
    }

    /// The every-account view of `kind`.
    pub fn every(&self, kind: Kind) -> &AllView {
        self.all.get(kind)
    }

    pub fn every_mut(&mut self, kind: Kind) -> &mut AllView {
        self.all.get_mut(kind)
    }

    /// Every resource table, the role's and the every-account ones.
    pub fn tables_mut(&mut self) -> impl Iterator<Item = &mut TableView> {
        self.tables
            .iter_mut()
            .chain(self.all.iter_mut().map(|a| &mut a.table))
    }

    /// The cursor, scroll and filter of a view's list.
    pub fn list(&self, view: View) -> &ListState {
        match view {
            View::Tree => &self.tree,
            View::Sessions => &self.sessions_list,
            View::CaseLog => &self.log.list,
            View::Jobs => &self.jobs_list,
            View::Table { .. } => self.table(view).map_or(&self.sessions_list, |t| &t.list),
        }
    }

    pub fn list_mut(&mut self, view: View) -> &mut ListState {
        match view {
            View::Tree => &mut self.tree,
            View::Sessions => &mut self.sessions_list,
            View::CaseLog => &mut self.log.list,
            View::Jobs => &mut self.jobs_list,
            View::Table { kind, every: false } => &mut self.tables.get_mut(kind).list,
            View::Table { kind, every: true } => &mut self.all.get_mut(kind).table.list,
        }
    }

    /// What a details pane may look at besides its row: the clock, the time zone, and the
    /// current role's other tables (an instance's volumes, when they were listed).
    pub fn lookup<'a>(&'a self, find: &'a dyn Fn(Kind, &str) -> Option<&'a Row>) -> Lookup<'a> {
        Lookup {
            now: self.now,
            tz: self.tz,
            find,
        }
    }

    /// A row of the current role's `kind` table, by id.
    pub fn find_row(&self, kind: Kind, id: &str) -> Option<&Row> {
        self.tables.get(kind).items.iter().find(|r| r.id() == id)
    }

    /// How many lines the view's list has.
    pub fn list_len(&self, view: View) -> usize {
        match view {
            View::Tree => self.tree_rows().len(),
            View::Sessions => self.sessions.len(),
            View::CaseLog => self.log.visible.len(),
            View::Jobs => self.actions.len(),
            View::Table { .. } => self.table(view).map_or(0, |t| t.visible_len()),
        }
    }

    /// Whether the job that fills a table view runs.
    pub fn is_listing(&self, view: View) -> bool {
        view.slot()
            .is_some_and(|slot| self.jobs.running(&slot).is_some())
    }

    pub fn role(&self, arn: &RoleArn) -> Option<&Role> {
        self.accounts
            .iter()
            .flat_map(|a| a.roles.iter())
            .find(|r| &r.arn == arn)
    }

    pub fn account(&self, id: &str) -> Option<&AccountNode> {
        self.accounts.iter().find(|a| a.id == id)
    }

    /// "prod-responder @ 222222222222 (prod)"
    pub fn role_title(&self, arn: &RoleArn) -> String {
        let label = self
            .role(arn)
            .map(Role::label)
            .unwrap_or_else(|| arn.name_with_path());
        let account = match self.account(arn.account_id()).and_then(|a| a.name.clone()) {
            Some(n) => format!("{} ({n})", arn.account_id()),
            None => arn.account_id().to_string(),
        };
        format!("{label} @ {account}")
    }

    /// Whether roles that ask for MFA device `serial` need no code now (an MFA session lasts
    /// five minutes more at least).
    pub fn mfa_ready(&self, serial: &str) -> bool {
        self.mfa_sessions
            .get(serial)
            .is_some_and(|until| *until > self.now + chrono::Duration::minutes(5))
    }

    pub fn session_status(&self, arn: &RoleArn) -> SessionStatus {
        self.sessions
            .get(arn)
            .map_or(SessionStatus::NotAssumed, |s| s.status(self.now))
    }

    /// The regions listed for the current role.
    pub fn regions_for(&self, arn: &RoleArn) -> Vec<String> {
        if let Some(r) = &self.region_override {
            return r.clone();
        }
        self.role(arn)
            .map(|r| r.regions(&self.defaults))
            .unwrap_or_else(|| self.defaults.regions.clone())
    }

    /// Anything under way: the spinner turns.
    pub fn is_loading(&self) -> bool {
        matches!(self.primary, Loadable::Loading)
            || self
                .jobs
                .any(|s| matches!(s, Slot::List(_) | Slot::Every(_)))
            || self
                .sessions
                .values()
                .any(|s| matches!(s.phase, Phase::Assuming | Phase::Refreshing))
    }

    /// Roles with a session, in the sessions view's order (by account, then role).
    pub fn session_roles(&self) -> Vec<RoleArn> {
        let mut arns: Vec<RoleArn> = self.sessions.keys().cloned().collect();
        arns.sort_by(|a, b| (a.account_id(), a.name()).cmp(&(b.account_id(), b.name())));
        arns
    }

    pub fn set_error(&mut self, text: impl Into<String>) {
        self.status = Some(Status {
            text: text.into(),
            error: true,
        });
    }

    pub fn set_info(&mut self, text: impl Into<String>) {
        self.status = Some(Status {
            text: text.into(),
            error: false,
        });
    }
}

impl State {
    /// How many list rows fit on the screen: a page.
    pub fn page(&self) -> usize {
        super::viewport::list_rows(self.size)
    }
}
