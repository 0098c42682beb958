//! A list's cursor, and a resource table's rows and how they are shown, whatever their kind;
//! the tables of every kind.

use std::collections::HashMap;

use super::filter::{matching, merge_sorted, visible};
use crate::aws::arn::RoleArn;
use crate::aws::AwsError;
use crate::resources::{Failure, Kind, Row, Subject, Window, KINDS};

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
pub struct TableView {
    /// What it lists, and whether it is an every-account table (rows with their account).
    pub kind: Kind,
    pub every: bool,
    /// The rows; set them with `set_items`, which also computes `keys`.
    pub items: Vec<Row>,
    /// Each row's search text (`Row::search_text`), computed once when the rows arrive.
    pub keys: Vec<String>,
    /// What failed in the last listing (regions, or whole accounts).
    pub failures: Vec<Failure>,
    /// Whose rows these are (a role's table).
    pub role: Option<RoleArn>,
    pub regions: Vec<String>,
    /// A query kind's time window, as the listing asked it.
    pub window: Option<Window>,
    /// What a query kind's table looks up (`t`: a row's resource); `None`: everything.
    pub subject: Option<Subject>,
    /// The regions it lists in, when not the role's (`t`: the row's region); `R` unpins them.
    pub pinned: Option<Vec<String>>,
    /// What the listing found worth saying that is not a failure (a stopped trail).
    pub notes: Vec<String>,
    /// Pages of the listing under way taken so far (a query kind's rows come page by page).
    pub pages: usize,
    /// Why there are no rows: the role could not be assumed, or every region failed.
    pub error: Option<AwsError>,
    /// Rows kept from an earlier listing because their region failed this time.
    pub kept: usize,
    pub list: ListState,
    /// 0-based column and descending.
    pub sort: Option<(usize, bool)>,
    /// Indices into `items` after filter and sort (kept in step by `refresh`).
    pub visible: Vec<usize>,
    pub detail: bool,
    /// What the table was opened for (Enter on a finding: the finding), in its title until
    /// the filter is cleared.
    pub note: Option<String>,
}

impl TableView {
    pub fn new(kind: Kind, every: bool) -> Self {
        TableView {
            kind,
            every,
            items: Vec::new(),
            keys: Vec::new(),
            failures: Vec::new(),
            role: None,
            regions: Vec::new(),
            window: None,
            subject: None,
            pinned: None,
            notes: Vec::new(),
            pages: 0,
            error: None,
            list: ListState::default(),
            // A kind may start sorted (findings: severest first); every-account tables have
            // ACCOUNT first.
            sort: kind
                .spec()
                .default_sort()
                .map(|c| (c + usize::from(every), false)),
            visible: Vec::new(),
            detail: false,
            kept: 0,
            note: None,
        }
    }
}

/// Each row's search text (`Row::search_text`): computed where the rows are made (the
/// listing job), so that rows arriving never stall a keystroke.
pub fn search_keys(items: &[Row]) -> Vec<String> {
    items.iter().map(Row::search_text).collect()
}

/// `keys` when they are `items`' (one each), else computed here.
pub fn keys_for(items: &[Row], keys: Vec<String>) -> Vec<String> {
    if keys.len() == items.len() {
        keys
    } else {
        search_keys(items)
    }
}

impl TableView {
    /// Replaces the rows and computes what the filter searches in each.
    pub fn set_items(&mut self, items: Vec<Row>) {
        self.keys = search_keys(&items);
        self.items = items;
    }

    /// Replaces the rows with rows whose keys were computed already (computed here if the
    /// counts differ).
    pub fn set_keyed(&mut self, items: Vec<Row>, keys: Vec<String>) {
        self.items = Vec::new();
        self.keys = Vec::new();
        self.append(items, keys);
    }

    /// Adds rows with their keys (computed here if the counts differ).
    pub fn append(&mut self, items: Vec<Row>, keys: Vec<String>) {
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
    pub fn extend_keeping(&mut self, items: Vec<Row>, keys: Vec<String>, height: usize) {
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

    pub fn selected_item(&self) -> Option<&Row> {
        self.visible
            .get(self.list.selected)
            .and_then(|&i| self.items.get(i))
    }
}

/// Every account at once: one role per account, rows tagged with their account, filling in as
/// accounts answer; what failed, per account and region (in `table.failures`).
#[derive(Debug, Clone)]
pub struct AllView {
    pub table: TableView,
    /// Accounts being listed (those skipped for MFA are in the failures, not here).
    pub accounts: usize,
    /// Accounts that answered, and of those the ones listed in whole or in part.
    pub done: usize,
    pub ok: usize,
    /// Accounts AWS throttled, listed again after a pause.
    pub throttled: usize,
    /// Regions to list, all accounts together: each account's own once it answered, until then
    /// what it was planned with (`regions = "all"` counted as the regions every account has).
    pub regions: usize,
    /// Regions that answered (listed, or said the region or service is not enabled there).
    pub regions_answered: usize,
    /// The regions planned for each account not answered yet, by the role it is listed through.
    pub planned: HashMap<RoleArn, usize>,
    /// A listing was started and not stopped half-way: `a` shows what it found rather than
    /// listing again (`r` does).
    pub started: bool,
}

impl AllView {
    pub fn new(kind: Kind) -> Self {
        let table = TableView::new(kind, true);
        AllView {
            table: TableView {
                // A kind's own order (findings: severest first), else by account, then the
                // resource's first column: a stable order as rows arrive.
                sort: table.sort.or(Some((0, false))),
                ..table
            },
            accounts: 0,
            done: 0,
            ok: 0,
            throttled: 0,
            regions: 0,
            regions_answered: 0,
            planned: HashMap::new(),
            started: false,
        }
    }

    /// Plans the regions of the accounts to list: each through `role`, in so many regions as
    /// far as is known before it answers.
    pub fn plan_regions(&mut self, planned: impl IntoIterator<Item = (RoleArn, usize)>) {
        self.planned = planned.into_iter().collect();
        self.regions = self.planned.values().sum();
        self.regions_answered = 0;
    }

    /// An account answered: `answered` of its regions, out of `of` (`None`: never found out,
    /// so what was planned stays the count).
    pub fn regions_in(&mut self, role: &RoleArn, answered: usize, of: Option<usize>) {
        let planned = self.planned.remove(role);
        if let (Some(planned), Some(of)) = (planned, of) {
            self.regions = self.regions.saturating_sub(planned) + of;
        }
        self.regions_answered += answered;
    }
}

/// The selected row, as far as `update` needs to know it whatever its type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Picked {
    pub kind: Kind,
    pub id: String,
    pub region: String,
    /// The role it was listed through, for rows of the every-account view.
    pub role_arn: Option<String>,
}

impl TableView {
    pub fn visible_len(&self) -> usize {
        self.visible.len()
    }

    /// The selected row, as far as `update` needs to know it.
    pub fn picked(&self) -> Option<Picked> {
        self.selected_item().map(|r| Picked {
            kind: self.kind,
            id: r.id().to_string(),
            region: r.region().to_string(),
            role_arn: r.role_arn().map(str::to_string),
        })
    }

    /// Whose rows these are (a role's table).
    pub fn role(&self) -> Option<&RoleArn> {
        self.role.as_ref()
    }

    /// Nothing to show yet: no rows and no error.
    pub fn is_blank(&self) -> bool {
        self.items.is_empty() && self.error.is_none()
    }

    /// Opens or closes the selected row's details (only with a row selected).
    pub fn toggle_detail(&mut self) {
        if self.selected_item().is_some() {
            self.detail = !self.detail;
        }
    }

    /// Esc inside the table: closes the details, else clears the filter; false when there
    /// was neither.
    pub fn back(&mut self, height: usize) -> bool {
        if self.detail {
            self.detail = false;
            return true;
        }
        if !self.list.filter.is_empty() {
            self.list.filter.clear();
            self.note = None;
            TableView::refresh(self, height);
            return true;
        }
        false
    }

    /// Sorts by a 0-based column (again: reverse); false when there is no such column.
    pub fn sort_by(&mut self, column: usize, height: usize) -> bool {
        if column >= self.kind.heads(self.every).len() {
            return false;
        }
        self.sort = match self.sort {
            Some((c, desc)) if c == column => Some((c, !desc)),
            _ => Some((column, false)),
        };
        TableView::refresh(self, height);
        true
    }

    /// Points the table at `role`: another account's rows must not stay on screen under this
    /// role's title. Rows of the same role stay (a reload keeps what it cannot list again).
    pub fn retarget(&mut self, role: &RoleArn, height: usize) {
        if self.role.as_ref() != Some(role) {
            *self = TableView::new(self.kind, self.every);
            self.role = Some(role.clone());
            TableView::refresh(self, height);
        }
    }

    /// A listing of `role` in `regions` (over `window`, for a query kind) starts.
    pub fn begin(
        &mut self,
        role: &RoleArn,
        regions: &[String],
        window: Option<Window>,
        height: usize,
    ) {
        self.retarget(role, height);
        self.set_regions(regions);
        self.window = window;
        self.pages = 0;
    }

    pub fn set_regions(&mut self, regions: &[String]) {
        self.error = None;
        self.regions = regions.to_vec();
    }

    /// The role could not be assumed: the table says why, unless it already shows this role's
    /// rows, which stay (the status line has the error).
    pub fn fail(&mut self, role: &RoleArn, error: &AwsError) {
        if self.role.as_ref() == Some(role) && !self.items.is_empty() {
            return;
        }
        self.set_items(Vec::new());
        self.visible.clear();
        self.failures.clear();
        self.error = Some(error.clone());
        self.role = Some(role.clone());
    }
}

impl AllView {
    /// A listing stopped half-way is not kept as a finished one: opening the view lists again.
    pub fn forget(&mut self) {
        self.started = false;
    }

    /// Empties the view for a new listing of `accounts` accounts (`skipped`: those no role can
    /// list), keeping its filter and sort.
    pub fn reset(&mut self, accounts: usize, skipped: Vec<Failure>, height: usize) {
        let list = ListState {
            selected: 0,
            offset: 0,
            ..std::mem::take(&mut self.table.list)
        };
        let sort = self.table.sort;
        *self = AllView::new(self.table.kind);
        self.table.list = list;
        self.table.sort = sort;
        self.table.failures = skipped;
        self.accounts = accounts;
        self.started = true;
        self.table.refresh(height);
    }

    /// Rows, accounts listed in whole or in part, and accounts tried.
    pub fn counts(&self) -> (usize, usize, usize) {
        (self.table.items.len(), self.ok, self.accounts)
    }
}

/// One of a thing for each kind: the tables of every kind.
#[derive(Debug, Clone)]
pub struct PerKind<T>(Vec<T>);

impl<T> PerKind<T> {
    pub fn new(make: impl Fn(Kind) -> T) -> Self {
        PerKind(KINDS.into_iter().map(make).collect())
    }

    pub fn get(&self, kind: Kind) -> &T {
        &self.0[kind as usize]
    }

    pub fn get_mut(&mut self, kind: Kind) -> &mut T {
        &mut self.0[kind as usize]
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut T> {
        self.0.iter_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_has_its_own_table() {
        let tables = PerKind::new(|k| TableView::new(k, false));
        for k in KINDS {
            assert_eq!(tables.get(k).kind, k, "{k}: KINDS is in the order of Kind");
        }
    }
}
