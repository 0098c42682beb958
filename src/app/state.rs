//! Everything the screen shows, and nothing that does I/O.

use std::collections::HashMap;

use chrono::{DateTime, FixedOffset, Utc};
use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config as MatcherConfig, Matcher, Utf32Str};

use super::table::{matching, merge_sorted, visible, Tabular};
use crate::aws::arn::RoleArn;
use crate::aws::ec2::{Instance, RegionFailure, Volume};
use crate::aws::identity::Identity;
use crate::aws::AwsError;
use crate::config::{Config, Defaults};
use crate::resources::{AccountRow, Failure};
use crate::roles::{catalog, Role};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Tree,
    Instances,
    Volumes,
    Sessions,
    /// Every account's instances at once.
    AllInstances,
    /// Every account's volumes at once.
    AllVolumes,
}

impl View {
    /// The views that are resource tables.
    pub fn is_table(self) -> bool {
        matches!(
            self,
            View::Instances | View::Volumes | View::AllInstances | View::AllVolumes
        )
    }

    /// The every-account views.
    pub fn is_all(self) -> bool {
        matches!(self, View::AllInstances | View::AllVolumes)
    }
}

#[derive(Debug, Clone)]
pub enum Loadable<T> {
    Loading,
    Ready(T),
    Failed(AwsError),
}

#[derive(Debug, Clone)]
pub struct AccountNode {
    pub id: String,
    pub name: Option<String>,
    pub color: Option<String>,
    pub roles: Vec<Role>,
    pub expanded: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Assuming,
    Active,
    Refreshing,
    Failed,
}

/// What the UI knows of one role's session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionInfo {
    pub phase: Phase,
    pub assumed_arn: Option<String>,
    pub expiration: Option<DateTime<Utc>>,
    pub refresh_count: u32,
    pub last_error: Option<String>,
}

/// A session's state as shown: `Active` turns into `Expired` by the clock alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionStatus {
    NotAssumed,
    Assuming,
    Active { seconds_left: i64 },
    Refreshing,
    Expired,
    Failed,
}

impl SessionInfo {
    pub fn status(&self, now: DateTime<Utc>) -> SessionStatus {
        let left = self.expiration.map(|e| (e - now).num_seconds());
        match (self.phase, left) {
            (Phase::Assuming, _) => SessionStatus::Assuming,
            (Phase::Refreshing, _) => SessionStatus::Refreshing,
            (_, Some(l)) if l <= 0 => SessionStatus::Expired,
            (Phase::Active, Some(l)) => SessionStatus::Active { seconds_left: l },
            (Phase::Active, None) => SessionStatus::Expired,
            (Phase::Failed, _) => SessionStatus::Failed,
        }
    }
}

/// Selection, scroll position and filter of a list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListState {
    pub selected: usize,
    pub offset: usize,
    pub filter: String,
    /// The filter line has the keyboard.
    pub editing: bool,
}

impl ListState {
    /// Moves the selection by `delta` within `len` rows and keeps it in a `height`-row window.
    pub fn move_by(&mut self, delta: isize, len: usize, height: usize) {
        if len == 0 {
            self.selected = 0;
        } else {
            let max = len as isize - 1;
            self.selected = (self.selected as isize + delta).clamp(0, max) as usize;
        }
        self.scroll_into_view(len, height);
    }

    pub fn scroll_into_view(&mut self, len: usize, height: usize) {
        let height = height.max(1);
        if len == 0 {
            self.selected = 0;
            self.offset = 0;
            return;
        }
        self.selected = self.selected.min(len - 1);
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if self.selected >= self.offset + height {
            self.offset = self.selected + 1 - height;
        }
        self.offset = self.offset.min(len.saturating_sub(height));
    }
}

/// A resource table: the rows of the last listing and how they are shown.
#[derive(Debug, Clone)]
pub struct TableView<T> {
    /// The rows; set them with `set_items`, which also computes `keys`.
    pub items: Vec<T>,
    /// Each row's search text (`Tabular::search_text`), computed once when the rows arrive.
    pub keys: Vec<String>,
    pub failures: Vec<RegionFailure>,
    /// The listing in flight; answers to any other request are stale and dropped.
    pub loading: Option<u64>,
    /// Whose rows these are.
    pub role: Option<RoleArn>,
    pub regions: Vec<String>,
    pub error: Option<AwsError>,
    /// Rows kept from an earlier listing because their region failed this time.
    pub kept: usize,
    pub list: ListState,
    /// 0-based column and descending.
    pub sort: Option<(usize, bool)>,
    /// Indices into `items` after filter and sort (kept in step by `refresh`).
    pub visible: Vec<usize>,
    pub detail: bool,
}

impl<T> Default for TableView<T> {
    fn default() -> Self {
        TableView {
            items: Vec::new(),
            keys: Vec::new(),
            failures: Vec::new(),
            loading: None,
            role: None,
            regions: Vec::new(),
            error: None,
            list: ListState::default(),
            sort: None,
            visible: Vec::new(),
            detail: false,
            kept: 0,
        }
    }
}

/// Each row's search text (`Tabular::search_text`): computed where the rows are made (the listing
/// task), so that rows arriving never stall a keystroke.
pub fn search_keys<T: Tabular>(items: &[T]) -> Vec<String> {
    items.iter().map(Tabular::search_text).collect()
}

/// `keys` when they are `items`' (one each), else computed here.
pub fn keys_for<T: Tabular>(items: &[T], keys: Vec<String>) -> Vec<String> {
    if keys.len() == items.len() {
        keys
    } else {
        search_keys(items)
    }
}

impl<T: Tabular> TableView<T> {
    /// Replaces the rows and computes what the filter searches in each.
    pub fn set_items(&mut self, items: Vec<T>) {
        self.keys = search_keys(&items);
        self.items = items;
    }

    /// Replaces the rows with rows whose keys were computed already (computed here if the
    /// counts differ).
    pub fn set_keyed(&mut self, items: Vec<T>, keys: Vec<String>) {
        self.items = Vec::new();
        self.keys = Vec::new();
        self.append(items, keys);
    }

    /// Adds rows with their keys (computed here if the counts differ).
    pub fn append(&mut self, items: Vec<T>, keys: Vec<String>) {
        let keys = keys_for(&items, keys);
        self.items.extend(items);
        self.keys.extend(keys);
    }

    /// Recomputes the visible rows after the items, filter or sort changed.
    pub fn refresh(&mut self, height: usize) {
        self.visible = visible(&self.items, &self.keys, &self.list.filter, self.sort);
        self.list.scroll_into_view(self.visible.len(), height);
    }

    /// Adds rows as they arrive: those the filter keeps are merged into the visible order (their
    /// own sort and one pass, not a sort of everything), and the cursor stays on the row it was
    /// on when rows come in above it.
    pub fn extend_keeping(&mut self, items: Vec<T>, keys: Vec<String>, height: usize) {
        let from = self.items.len();
        self.append(items, keys);
        let on = self.visible.get(self.list.selected).copied();
        let new = matching(
            &self.items,
            &self.keys,
            &self.list.filter,
            from..self.items.len(),
        );
        let shown = std::mem::take(&mut self.visible);
        self.visible = merge_sorted(&self.items, shown, new, self.sort);
        if let Some(p) = on.and_then(|i| self.visible.iter().position(|&v| v == i)) {
            let shift = p as isize - self.list.selected as isize;
            self.list.selected = p;
            // Move the window with it, so the rows on screen do not jump.
            self.list.offset = (self.list.offset as isize + shift).max(0) as usize;
        }
        self.list.scroll_into_view(self.visible.len(), height);
    }

    pub fn selected_item(&self) -> Option<&T> {
        self.visible
            .get(self.list.selected)
            .and_then(|&i| self.items.get(i))
    }
}

/// Every account at once: one role per account, rows tagged with their account, filling in as
/// accounts answer; what failed, per account and region.
#[derive(Debug, Clone)]
pub struct AllView<T> {
    pub table: TableView<AccountRow<T>>,
    pub failures: Vec<Failure>,
    /// Accounts being listed (those skipped for MFA are in `failures`, not here).
    pub accounts: usize,
    /// Accounts that answered, and of those the ones listed in whole or in part.
    pub done: usize,
    pub ok: usize,
    /// A listing was started: `a` shows what it found rather than listing again (`r` does).
    pub started: bool,
}

impl<T> AllView<T> {
    /// Stops the listing under way, if any (true then): what it found so far is not kept as a
    /// finished listing, so opening the view lists again.
    pub fn stop(&mut self) -> bool {
        let stopped = self.table.loading.take().is_some();
        if stopped {
            self.started = false;
        }
        stopped
    }
}

impl<T> Default for AllView<T> {
    fn default() -> Self {
        AllView {
            table: TableView {
                // By account, then the resource's first column: a stable order as rows arrive.
                sort: Some((0, false)),
                ..TableView::default()
            },
            failures: Vec::new(),
            accounts: 0,
            done: 0,
            ok: 0,
            started: false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Popup {
    Help,
    /// The `:` command line.
    Command {
        input: String,
    },
    /// The MFA code for a role whose trust policy wants one; `renew`: for a session about to
    /// end rather than a new one.
    Mfa {
        role: RoleArn,
        input: String,
        renew: bool,
    },
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

/// One line of the tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TreeRow {
    Account(usize),
    Role(usize, usize),
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
    pub now: DateTime<Utc>,
    /// The local time zone, for clock times (passed in so rendering is reproducible).
    pub tz: FixedOffset,
    pub spinner: usize,
    pub defaults: Defaults,
    pub primary: Loadable<Identity>,
    pub accounts: Vec<AccountNode>,
    /// What role discovery warned about (wildcard patterns, unreadable policies…).
    pub warnings: Vec<String>,
    pub sessions: HashMap<RoleArn, SessionInfo>,
    pub view: View,
    /// Where Esc goes back to from the sessions view.
    pub previous_view: View,
    pub tree: ListState,
    /// The role whose instances and volumes are shown.
    pub current: Option<RoleArn>,
    pub region_override: Option<Vec<String>>,
    pub instances: TableView<Instance>,
    pub volumes: TableView<Volume>,
    pub all_instances: AllView<Instance>,
    pub all_volumes: AllView<Volume>,
    pub sessions_list: ListState,
    pub popup: Option<Popup>,
    pub status: Option<Status>,
    pub next_request: u64,
    pub size: (u16, u16),
    pub should_quit: bool,
}

impl State {
    pub fn new(config: &Config, now: DateTime<Utc>, tz: FixedOffset, size: (u16, u16)) -> Self {
        let accounts: Vec<AccountNode> = catalog(config)
            .into_iter()
            .map(|g| AccountNode {
                id: g.id,
                name: g.name,
                color: g.color,
                roles: g.roles,
                expanded: true,
            })
            .collect();
        let mut s = State {
            now,
            tz,
            spinner: 0,
            defaults: config.defaults.clone(),
            primary: Loadable::Loading,
            accounts,
            warnings: Vec::new(),
            sessions: HashMap::new(),
            view: View::Tree,
            previous_view: View::Tree,
            tree: ListState::default(),
            current: None,
            region_override: None,
            instances: TableView::default(),
            volumes: TableView::default(),
            all_instances: AllView::default(),
            all_volumes: AllView::default(),
            sessions_list: ListState::default(),
            popup: None,
            status: None,
            next_request: 1,
            size,
            should_quit: false,
        };
        // Start on the first role, so Enter assumes it straight away.
        if s.tree_rows().len() > 1 {
            s.tree.selected = 1;
        }
        s
    }

    /// Replaces the tree's roles (discovery found more), keeping folded accounts folded and the
    /// cursor on the same role or account.
    pub fn set_roles(&mut self, groups: Vec<crate::roles::AccountRoles>) {
        let rows = self.tree_rows();
        let selected = rows.get(self.tree.selected).map(|r| match r {
            TreeRow::Role(a, i) => (
                self.accounts[*a].id.clone(),
                Some(self.accounts[*a].roles[*i].arn.clone()),
            ),
            TreeRow::Account(a) => (self.accounts[*a].id.clone(), None),
        });
        let folded: Vec<String> = self
            .accounts
            .iter()
            .filter(|a| !a.expanded)
            .map(|a| a.id.clone())
            .collect();
        self.accounts = groups
            .into_iter()
            .map(|g| AccountNode {
                expanded: !folded.contains(&g.id),
                id: g.id,
                name: g.name,
                color: g.color,
                roles: g.roles,
            })
            .collect();
        if let Some((account, role)) = selected {
            let rows = self.tree_rows();
            if let Some(i) = rows.iter().position(|r| match r {
                TreeRow::Role(a, i) => Some(&self.accounts[*a].roles[*i].arn) == role.as_ref(),
                TreeRow::Account(a) => role.is_none() && self.accounts[*a].id == account,
            }) {
                self.tree.selected = i;
            }
        }
    }

    /// The cursor, scroll and filter of a view's list.
    pub fn list(&self, view: View) -> &ListState {
        match view {
            View::Tree => &self.tree,
            View::Instances => &self.instances.list,
            View::Volumes => &self.volumes.list,
            View::Sessions => &self.sessions_list,
            View::AllInstances => &self.all_instances.table.list,
            View::AllVolumes => &self.all_volumes.table.list,
        }
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

    pub fn is_loading(&self) -> bool {
        matches!(self.primary, Loadable::Loading)
            || self.instances.loading.is_some()
            || self.volumes.loading.is_some()
            || self.all_instances.table.loading.is_some()
            || self.all_volumes.table.loading.is_some()
            || self
                .sessions
                .values()
                .any(|s| matches!(s.phase, Phase::Assuming | Phase::Refreshing))
    }

    /// The tree's lines under the current filter: accounts, and the roles of unfolded ones.
    /// A filter matches account names and ids, role names and ARNs (fuzzy); while filtering,
    /// accounts are unfolded.
    pub fn tree_rows(&self) -> Vec<TreeRow> {
        let filter = self.tree.filter.trim();
        let mut rows = Vec::new();
        if filter.is_empty() {
            for (a, acc) in self.accounts.iter().enumerate() {
                rows.push(TreeRow::Account(a));
                if acc.expanded {
                    rows.extend((0..acc.roles.len()).map(|r| TreeRow::Role(a, r)));
                }
            }
            return rows;
        }
        let pattern = Pattern::parse(filter, CaseMatching::Ignore, Normalization::Smart);
        let mut matcher = Matcher::new(MatcherConfig::DEFAULT);
        let mut buf = Vec::new();
        let mut hit = |text: &str| {
            pattern
                .score(Utf32Str::new(text, &mut buf), &mut matcher)
                .is_some()
        };
        for (a, acc) in self.accounts.iter().enumerate() {
            let account_text = format!("{} {}", acc.id, acc.name.as_deref().unwrap_or(""));
            let whole = hit(&account_text);
            let roles: Vec<usize> = (0..acc.roles.len())
                .filter(|&r| {
                    let role = &acc.roles[r];
                    whole
                        || hit(&format!(
                            "{} {}",
                            role.name.as_deref().unwrap_or(""),
                            role.arn
                        ))
                })
                .collect();
            if whole || !roles.is_empty() {
                rows.push(TreeRow::Account(a));
                rows.extend(roles.into_iter().map(|r| TreeRow::Role(a, r)));
            }
        }
        rows
    }

    pub fn selected_tree_row(&self) -> Option<TreeRow> {
        self.tree_rows().get(self.tree.selected).copied()
    }

    /// The role the tree's cursor is on.
    pub fn selected_role(&self) -> Option<&Role> {
        match self.selected_tree_row()? {
            TreeRow::Role(a, r) => self.accounts.get(a)?.roles.get(r),
            TreeRow::Account(_) => None,
        }
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
