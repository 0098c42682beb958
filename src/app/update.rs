//! The pure heart of the TUI: `update(state, msg) -> effects`. No clock, no network, no terminal.

use crossterm::event::{
    KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEventKind,
};

use super::keys::{action_for, Action};
use super::msg::{ConsoleDone, Effect, Kind, Msg, SessionMeta};
use super::state::{
    keys_for, AllView, ListState, Loadable, Phase, Popup, SessionInfo, SessionStatus, State,
    TableView, TreeRow, View, KNOWN_REGIONS,
};
use crate::aws::arn::{validate_region, RoleArn};
use crate::aws::assume::chained_cap;
use crate::aws::console::{switch_role_url, Destination, Resource};
use crate::aws::credentials::Secret;
use crate::aws::ec2::Listing;
use crate::aws::refresh::RefreshEvent;
use crate::aws::AwsError;
use crate::inventory::{Part, Target};
use crate::resources::{Failure, Tabular};
use crate::ui::layout::{list_rows, row_at};

/// A session this close to expiry is assumed again rather than reused.
const REUSE_MARGIN_SECONDS: i64 = 60;

/// Runs `$body` with `$t` bound to the resource table of `$view` (each table is its own type),
/// or evaluates `$none` in the views without one.
macro_rules! with_table {
    ($state:expr, $view:expr, |$t:ident| $body:expr, $none:expr) => {
        match $view {
            View::Instances => {
                let $t = &mut $state.instances;
                $body
            }
            View::Volumes => {
                let $t = &mut $state.volumes;
                $body
            }
            View::AllInstances => {
                let $t = &mut $state.all_instances.table;
                $body
            }
            View::AllVolumes => {
                let $t = &mut $state.all_volumes.table;
                $body
            }
            View::Tree | View::Sessions => $none,
        }
    };
}

/// The cursor, scroll and filter of a view's list.
fn list_of(state: &mut State, view: View) -> &mut ListState {
    with_table!(state, view, |t| &mut t.list, {
        if view == View::Tree {
            &mut state.tree
        } else {
            &mut state.sessions_list
        }
    })
}

/// The effects to start with: who am I.
pub fn init() -> Vec<Effect> {
    vec![Effect::LoadIdentity]
}

pub fn update(state: &mut State, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Key(key) => on_key(state, key),
        Msg::Mouse(m) => on_mouse(state, m),
        Msg::Resize(w, h) => {
            state.size = (w, h);
            let rows = list_rows(state.size, state.view);
            let tree_len = state.tree_rows().len();
            state.tree.scroll_into_view(tree_len, rows);
            state.instances.refresh(rows);
            state.volumes.refresh(rows);
            state.all_instances.table.refresh(rows);
            state.all_volumes.table.refresh(rows);
            vec![]
        }
        Msg::Tick(now) => {
            state.now = now;
            state.spinner = state.spinner.wrapping_add(1);
            vec![]
        }
        Msg::Terminate(_) => {
            state.should_quit = true;
            vec![]
        }
        Msg::Identity(result) => match result {
            Ok(id) => {
                state.primary = Loadable::Ready(id.clone());
                vec![Effect::Discover(id)]
            }
            Err(e) => {
                state.set_error(error_line(&e));
                state.primary = Loadable::Failed(e);
                vec![]
            }
        },
        Msg::Discovered { groups, warnings } => {
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
                    "found {found} more role{} in your IAM policies and ~/.aws/config",
                    plural(found, "", "s")
                )),
                None => {}
            }
            state.warnings = warnings;
            vec![]
        }
        Msg::Assumed { role, result } => on_assumed(state, role, result),
        Msg::Refresh(event) => on_refresh(state, event),
        Msg::Console { role, result } => {
            let title = state.role_title(&role);
            match result {
                Ok(ConsoleDone::Opened) => {
                    state.set_info(format!("opened the console as {title} in the browser"));
                    vec![]
                }
                Ok(ConsoleDone::Link(link)) => {
                    state.set_info(format!(
                        "copied a sign-in link for {title}: whoever opens it is signed in as the role; paste it only into your browser"
                    ));
                    vec![Effect::CopySecret(link)]
                }
                Err(e) => {
                    state.set_error(error_line(&e));
                    vec![]
                }
            }
        }
        Msg::Instances {
            request,
            role,
            listing,
            keys,
        } => {
            let rows = list_rows(state.size, state.view);
            if finish_listing(&mut state.instances, request, role, listing, keys, rows) {
                report_failures(state, View::Instances);
            }
            vec![]
        }
        Msg::Volumes {
            request,
            role,
            listing,
            keys,
        } => {
            let rows = list_rows(state.size, state.view);
            if finish_listing(&mut state.volumes, request, role, listing, keys, rows) {
                report_failures(state, View::Volumes);
            }
            vec![]
        }
        Msg::AllInstances {
            request,
            part,
            keys,
        } => {
            let rows = list_rows(state.size, state.view);
            if add_part(&mut state.all_instances, request, part, keys, rows) {
                finish_all(state, Kind::Instances);
            }
            vec![]
        }
        Msg::AllVolumes {
            request,
            part,
            keys,
        } => {
            let rows = list_rows(state.size, state.view);
            if add_part(&mut state.all_volumes, request, part, keys, rows) {
                finish_all(state, Kind::Volumes);
            }
            vec![]
        }
        Msg::Session { role, result } => {
            // Quietly: the every-account view reports per account what failed.
            let _ = record_session(state, role, result);
            vec![]
        }
    }
}

fn error_line(e: &AwsError) -> String {
    match &e.hint {
        Some(h) => format!("{e} — {h}"),
        None => e.to_string(),
    }
}

/// Shows a listing's answer; false (and nothing changes) when it answers a stale request.
/// A reload of the same role keeps the earlier rows of the regions that failed this time: a
/// flaky endpoint never empties a view that was already on screen.
fn finish_listing<T: Tabular>(
    table: &mut TableView<T>,
    request: u64,
    role: RoleArn,
    listing: Listing<T>,
    keys: Vec<String>,
    rows: usize,
) -> bool {
    if table.loading != Some(request) {
        return false;
    }
    table.loading = None;
    let mut items = listing.items;
    let mut keys = keys_for(&items, keys);
    table.kept = 0;
    if table.role.as_ref() == Some(&role) {
        let before = items.len();
        let failed = |row: &T| listing.failures.iter().any(|f| f.region == row.region());
        let old_items = std::mem::take(&mut table.items);
        let old_keys = keys_for(&old_items, std::mem::take(&mut table.keys));
        for (item, key) in old_items.into_iter().zip(old_keys) {
            if failed(&item) {
                items.push(item);
                keys.push(key);
            }
        }
        table.kept = items.len() - before;
    } else {
        table.list = Default::default();
    }
    // Every region failed and nothing to show: the table shows the error, not "no instances".
    table.error = if items.is_empty() && listing.failures.len() == table.regions.len() {
        listing.failures.first().map(|f| f.error.clone())
    } else {
        None
    };
    table.set_keyed(items, keys);
    table.failures = listing.failures;
    table.role = Some(role);
    table.refresh(rows);
    true
}

fn report_failures(state: &mut State, view: View) {
    let (failures, error, kept) = match view {
        View::Instances => (
            &state.instances.failures,
            &state.instances.error,
            state.instances.kept,
        ),
        _ => (
            &state.volumes.failures,
            &state.volumes.error,
            state.volumes.kept,
        ),
    };
    if let Some(e) = error {
        let line = error_line(e);
        state.set_error(line);
    } else if let Some(first) = failures.first() {
        let n = failures.len();
        let shown = if kept > 0 {
            format!(
                "keeping {kept} earlier {} of {}",
                plural(kept, "row", "rows"),
                plural(n, "it", "them")
            )
        } else {
            "showing the rest".to_string()
        };
        let line = format!(
            "{n} region{} failed; {shown}. {}",
            plural(n, "", "s"),
            error_line(&first.error)
        );
        state.set_error(line);
    }
}

/// Records a new session (or a failed attempt) in the sessions the UI knows; gives back the
/// expiry, or the error.
fn record_session(
    state: &mut State,
    role: RoleArn,
    result: Result<SessionMeta, AwsError>,
) -> Result<chrono::DateTime<chrono::Utc>, AwsError> {
    let entry = state.sessions.entry(role).or_insert(SessionInfo {
        phase: Phase::Assuming,
        assumed_arn: None,
        expiration: None,
        refresh_count: 0,
        last_error: None,
    });
    match result {
        Ok(meta) => {
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

fn on_assumed(
    state: &mut State,
    role: RoleArn,
    result: Result<SessionMeta, AwsError>,
) -> Vec<Effect> {
    match record_session(state, role.clone(), result) {
        Ok(expiration) => {
            let expires = expiration.with_timezone(&state.tz).format("%H:%M:%S");
            let title = state.role_title(&role);
            state.set_info(format!("assumed {title}; expires {expires}"));
            if state.current.as_ref() == Some(&role) {
                return match state.view {
                    View::Instances => start_listing(state, View::Instances),
                    View::Volumes => start_listing(state, View::Volumes),
                    _ => vec![],
                };
            }
            vec![]
        }
        Err(e) => {
            if state.current.as_ref() == Some(&role) {
                match state.view {
                    View::Instances => fail_table(&mut state.instances, &role, &e),
                    View::Volumes => fail_table(&mut state.volumes, &role, &e),
                    _ => {}
                }
            }
            state.set_error(error_line(&e));
            vec![]
        }
    }
}

/// Adds one account's answer to an every-account view (unless it answers a stale listing);
/// true when that was the last account.
fn add_part<T: crate::resources::Resource>(
    all: &mut AllView<T>,
    request: u64,
    part: Part<T>,
    keys: Vec<String>,
    rows: usize,
) -> bool {
    if all.table.loading != Some(request) {
        return false;
    }
    all.done += 1;
    all.ok += usize::from(part.ok);
    all.failures.extend(part.failures);
    all.failures
        .sort_by(|a, b| (&a.account_id, &a.region).cmp(&(&b.account_id, &b.region)));
    all.table.extend_keeping(part.rows, keys, rows);
    let done = all.done >= all.accounts;
    if done {
        all.table.loading = None;
    }
    done
}

/// The status line after an every-account listing: how much, and the first failure.
fn finish_all(state: &mut State, kind: Kind) {
    let (noun, items, ok, accounts, failures) = match kind {
        Kind::Volumes => (
            "volumes",
            state.all_volumes.table.items.len(),
            state.all_volumes.ok,
            state.all_volumes.accounts,
            &state.all_volumes.failures,
        ),
        Kind::Instances => (
            "instances",
            state.all_instances.table.items.len(),
            state.all_instances.ok,
            state.all_instances.accounts,
            &state.all_instances.failures,
        ),
    };
    let summary = format!(
        "{items} {noun} in {ok} of {accounts} account{}",
        plural(accounts, "", "s")
    );
    match failures.first() {
        Some(f) => {
            let line = format!(
                "{summary}; {} failed — {}: {}{}",
                failures.len(),
                f.place(),
                f.error,
                f.error
                    .hint
                    .as_ref()
                    .map(|h| format!(" — {h}"))
                    .unwrap_or_default()
            );
            state.set_error(line);
        }
        None => state.set_info(summary),
    }
}

/// `a` / `:all`: every account's instances (`View::AllInstances`) or volumes at once. Shows
/// what an earlier listing found, else starts one.
fn open_all(state: &mut State, view: View) -> Vec<Effect> {
    state.view = view;
    let started = match view {
        View::AllVolumes => state.all_volumes.started,
        _ => state.all_instances.started,
    };
    if started {
        return vec![];
    }
    start_all(state, view)
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
fn plan_all(state: &State) -> Plan {
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
                .find(|r| r.mfa_serial.is_none())
                .map(|r| (r, true))
        });
        match chosen {
            Some((role, new_session)) => {
                if new_session {
                    assume.push((role.arn.clone(), chained_duration(state, role)));
                }
                targets.push(Target {
                    role: role.clone(),
                    account_name: account.name.clone(),
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

/// Empties an every-account view for a new listing, keeping its filter and sort.
fn reset_all<T>(
    all: &mut AllView<T>,
    request: Option<u64>,
    accounts: usize,
    skipped: Vec<Failure>,
) {
    let list = ListState {
        selected: 0,
        offset: 0,
        ..std::mem::take(&mut all.table.list)
    };
    let sort = all.table.sort;
    *all = AllView::default();
    all.table.list = list;
    all.table.sort = sort;
    all.table.loading = request;
    all.accounts = accounts;
    all.failures = skipped;
    all.started = true;
}

/// Lists every account (again): one role each, new sessions where there is none.
fn start_all(state: &mut State, view: View) -> Vec<Effect> {
    let Plan {
        targets,
        assume,
        skipped,
    } = plan_all(state);
    let request = state.next_request;
    state.next_request += 1;
    let (kind, noun) = match view {
        View::AllVolumes => (Kind::Volumes, "volumes"),
        _ => (Kind::Instances, "instances"),
    };
    let loading = (!targets.is_empty()).then_some(request);
    let skipped_n = skipped.len();
    // One every-account listing at a time: starting one stops the other's.
    let rows = list_rows(state.size, state.view);
    match kind {
        Kind::Volumes => {
            reset_all(&mut state.all_volumes, loading, targets.len(), skipped);
            state.all_volumes.table.refresh(rows);
            state.all_instances.stop();
        }
        Kind::Instances => {
            reset_all(&mut state.all_instances, loading, targets.len(), skipped);
            state.all_instances.table.refresh(rows);
            state.all_volumes.stop();
        }
    }
    if targets.is_empty() {
        if skipped_n == 0 {
            state.set_error(
                "no roles known to list through: add [[role]] tables to the config (see config.example.toml)",
            );
        } else {
            state.set_error(
                "every account's roles need an MFA code: assume one (Enter in the tree), then r here",
            );
        }
        return vec![];
    }
    // The new sessions show as they arrive (`Msg::Session`); none is marked "assuming" here, so
    // a listing stopped half-way leaves no role waiting for an answer that never comes.
    let fresh = assume.len();
    state.set_info(format!(
        "listing {noun} in {} account{}{}…",
        targets.len(),
        plural(targets.len(), "", "s"),
        if fresh > 0 {
            format!(", assuming {fresh} role{} first", plural(fresh, "", "s"))
        } else {
            String::new()
        }
    ));
    vec![Effect::ListAll {
        request,
        kind,
        targets,
        assume,
        concurrency: state.defaults.concurrency as usize,
    }]
}

fn on_refresh(state: &mut State, event: RefreshEvent) -> Vec<Effect> {
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
                state.popup = Some(Popup::Mfa {
                    role,
                    input: String::new(),
                    renew: true,
                });
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

fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 {
        one
    } else {
        many
    }
}

/// The role could not be assumed: the table says why, unless it already shows this role's rows,
/// which stay (the status line has the error).
fn fail_table<T: Tabular>(table: &mut TableView<T>, role: &RoleArn, e: &AwsError) {
    table.loading = None;
    if table.role.as_ref() == Some(role) && !table.items.is_empty() {
        return;
    }
    table.set_items(Vec::new());
    table.visible.clear();
    table.failures.clear();
    table.error = Some(e.clone());
    table.role = Some(role.clone());
}

/// Points a table at `role`: another account's rows must not stay on screen under this title.
fn retarget<T: Tabular>(table: &mut TableView<T>, role: &RoleArn, rows: usize) {
    if table.role.as_ref() != Some(role) {
        *table = TableView::default();
        table.role = Some(role.clone());
        table.refresh(rows);
    }
}

fn begin<T: Tabular>(
    table: &mut TableView<T>,
    role: &RoleArn,
    request: u64,
    regions: &[String],
    rows: usize,
) {
    retarget(table, role, rows);
    table.loading = Some(request);
    table.error = None;
    table.regions = regions.to_vec();
}

/// Starts listing the current role's instances or volumes; any earlier answer becomes stale.
fn start_listing(state: &mut State, view: View) -> Vec<Effect> {
    let Some(role) = state.current.clone() else {
        return vec![];
    };
    let request = state.next_request;
    state.next_request += 1;
    let regions = state.regions_for(&role);
    let rows = list_rows(state.size, state.view);
    match view {
        View::Volumes => {
            begin(&mut state.volumes, &role, request, &regions, rows);
            vec![Effect::ListVolumes {
                request,
                role,
                regions,
            }]
        }
        _ => {
            begin(&mut state.instances, &role, request, &regions, rows);
            vec![Effect::ListInstances {
                request,
                role,
                regions,
            }]
        }
    }
}

/// Opens a role's resources: reuses a live session, else assumes it (asking for MFA first).
fn open_role(state: &mut State, arn: RoleArn, view: View) -> Vec<Effect> {
    let Some(role) = state.role(&arn).cloned() else {
        return vec![];
    };
    state.current = Some(arn.clone());
    state.view = view;
    state.instances.detail = false;
    state.volumes.detail = false;
    match state.session_status(&arn) {
        SessionStatus::Active { seconds_left } if seconds_left > REUSE_MARGIN_SECONDS => {
            start_listing(state, view)
        }
        SessionStatus::Assuming | SessionStatus::Refreshing => {
            mark_waiting(state, view, &arn);
            vec![]
        }
        _ => {
            mark_waiting(state, view, &arn);
            if role.mfa_serial.is_some() {
                state.popup = Some(Popup::Mfa {
                    role: arn,
                    input: String::new(),
                    renew: false,
                });
                vec![]
            } else {
                assume(state, role, None)
            }
        }
    }
}

/// The table shows this role's title and a spinner while its session comes.
fn mark_waiting(state: &mut State, view: View, arn: &RoleArn) {
    let rows = list_rows(state.size, state.view);
    match view {
        View::Volumes => retarget(&mut state.volumes, arn, rows),
        _ => retarget(&mut state.instances, arn, rows),
    }
}

/// The duration to ask for when the primary identity is itself a role session and the role's
/// own is longer than AWS grants a chained session; `None`: the role's own.
fn chained_duration(state: &State, role: &crate::roles::Role) -> Option<u32> {
    let caller_is_role = matches!(&state.primary, Loadable::Ready(id) if id.is_assumed_role());
    chained_cap(role.duration(&state.defaults), caller_is_role)
}

fn assume(state: &mut State, role: crate::roles::Role, token_code: Option<Secret>) -> Vec<Effect> {
    let info = state
        .sessions
        .entry(role.arn.clone())
        .or_insert(SessionInfo {
            phase: Phase::Assuming,
            assumed_arn: None,
            expiration: None,
            refresh_count: 0,
            last_error: None,
        });
    info.phase = Phase::Assuming;
    let duration = chained_duration(state, &role);
    if let Some(cap) = duration {
        state.set_info(format!(
            "the primary identity is itself a role: AWS grants chained sessions at most {} min, so {} asks for that",
            cap / 60,
            role.label()
        ));
    }
    vec![Effect::Assume {
        role,
        token_code,
        duration,
    }]
}

fn on_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    if key.kind != KeyEventKind::Press {
        return vec![];
    }
    if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
        state.should_quit = true;
        return vec![];
    }
    if state.popup.is_some() {
        return on_popup_key(state, key);
    }
    if list_editing(state) {
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

fn list_editing(state: &mut State) -> bool {
    let view = state.view;
    view != View::Sessions && list_of(state, view).editing
}

/// Keys while the filter line has the keyboard: text, Enter keeps, Esc clears; arrows still move.
fn on_filter_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    let rows = list_rows(state.size, state.view);
    let view = state.view;
    let list = list_of(state, view);
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
    refresh_view(state, view, rows);
    if view == View::Tree {
        // Land on the first role that matches, so Enter assumes it.
        let rows_now = state.tree_rows();
        if state.tree.selected == 0 {
            if let Some(i) = rows_now.iter().position(|r| matches!(r, TreeRow::Role(..))) {
                state.tree.selected = i;
            }
        }
        state.tree.scroll_into_view(rows_now.len(), rows);
    }
    vec![]
}

fn refresh_view(state: &mut State, view: View, rows: usize) {
    with_table!(state, view, |t| t.refresh(rows), {
        if view == View::Tree {
            let len = state.tree_rows().len();
            state.tree.scroll_into_view(len, rows);
        }
    })
}

fn current_len(state: &mut State) -> usize {
    let view = state.view;
    with_table!(state, view, |t| t.visible.len(), {
        if view == View::Tree {
            state.tree_rows().len()
        } else {
            state.sessions.len()
        }
    })
}

fn move_selection(state: &mut State, delta: isize) {
    let rows = list_rows(state.size, state.view);
    let len = current_len(state);
    let view = state.view;
    list_of(state, view).move_by(delta, len, rows);
}

fn on_action(state: &mut State, action: Action) -> Vec<Effect> {
    let rows = list_rows(state.size, state.view) as isize;
    match action {
        Action::Up => move_selection(state, -1),
        Action::Down => move_selection(state, 1),
        Action::PageUp => move_selection(state, -rows),
        Action::PageDown => move_selection(state, rows),
        Action::Top => move_selection(state, isize::MIN / 2),
        Action::Bottom => move_selection(state, isize::MAX / 2),
        Action::Collapse | Action::Expand => fold(state, action == Action::Expand),
        Action::Open => return open_selected(state),
        Action::Filter => {
            let view = state.view;
            if view != View::Sessions {
                list_of(state, view).editing = true;
            }
        }
        Action::Back => return back(state),
        Action::Quit => state.should_quit = true,
        Action::Help => state.popup = Some(Popup::Help),
        Action::Command => {
            state.popup = Some(Popup::Command {
                input: String::new(),
            })
        }
        Action::Sessions => {
            if state.view != View::Sessions {
                state.previous_view = state.view;
                state.view = View::Sessions;
                let len = state.sessions.len();
                state.sessions_list.scroll_into_view(len, rows as usize);
            }
        }
        Action::Instances if state.view.is_all() => return open_all(state, View::AllInstances),
        Action::Volumes if state.view.is_all() => return open_all(state, View::AllVolumes),
        Action::Instances => return switch_table(state, View::Instances),
        Action::Volumes => return switch_table(state, View::Volumes),
        Action::All => {
            if !state.view.is_all() {
                return open_all(state, View::AllInstances);
            }
        }
        Action::Detail => {
            let view = state.view;
            with_table!(
                state,
                view,
                |t| if t.selected_item().is_some() {
                    t.detail = !t.detail
                },
                {}
            )
        }
        Action::CopyLink => return copy_link(state),
        Action::OpenConsole => return console(state, true),
        Action::CopyConsole => return console(state, false),
        Action::CopyId => {
            let view = state.view;
            let id = with_table!(
                state,
                view,
                |t| t.selected_item().map(|i| i.id().to_string()),
                None
            );
            if let Some(id) = id {
                state.set_info(format!("copied {id}"));
                return vec![Effect::Copy(id)];
            }
        }
        Action::Reload => return reload(state),
        Action::Regions => {
            let current = match (&state.current, state.view.is_all()) {
                (Some(role), false) => Some(state.regions_for(role)),
                (_, true) => Some(
                    state
                        .region_override
                        .clone()
                        .unwrap_or_else(|| state.defaults.regions.clone()),
                ),
                (None, false) => None,
            };
            if let Some(current) = current {
                let mut names: Vec<String> = KNOWN_REGIONS.iter().map(|s| s.to_string()).collect();
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
        }
        Action::Sort(n) => {
            let view = state.view;
            with_table!(state, view, |t| sort(t, n - 1, rows as usize), {})
        }
    }
    vec![]
}

fn sort<T: Tabular>(table: &mut TableView<T>, column: usize, rows: usize) {
    if column >= T::heads().len() {
        return;
    }
    table.sort = match table.sort {
        Some((c, desc)) if c == column => Some((c, !desc)),
        _ => Some((column, false)),
    };
    table.refresh(rows);
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
    let height = list_rows(state.size, state.view);
    state.tree.scroll_into_view(rows.len(), height);
}

fn open_selected(state: &mut State) -> Vec<Effect> {
    match state.view {
        View::Tree => match state.selected_tree_row() {
            Some(TreeRow::Account(a)) => {
                if state.tree.filter.is_empty() {
                    state.accounts[a].expanded = !state.accounts[a].expanded;
                    let len = state.tree_rows().len();
                    let height = list_rows(state.size, state.view);
                    state.tree.scroll_into_view(len, height);
                }
                vec![]
            }
            Some(TreeRow::Role(a, r)) => {
                let arn = state.accounts[a].roles[r].arn.clone();
                open_role(state, arn, View::Instances)
            }
            None => vec![],
        },
        View::Sessions => {
            let arns = state.session_roles();
            match arns.get(state.sessions_list.selected).cloned() {
                Some(arn) => open_role(state, arn, View::Instances),
                None => vec![],
            }
        }
        _ => vec![],
    }
}

fn back(state: &mut State) -> Vec<Effect> {
    match state.view {
        View::Tree => {
            if !state.tree.filter.is_empty() {
                state.tree.filter.clear();
                let len = state.tree_rows().len();
                let height = list_rows(state.size, state.view);
                state.tree.scroll_into_view(len, height);
            }
            vec![]
        }
        View::Sessions => {
            state.view = state.previous_view;
            vec![]
        }
        view => {
            let rows = list_rows(state.size, view);
            if with_table!(state, view, |t| back_within(t, rows), false) {
                return vec![];
            }
            state.view = View::Tree;
            let stopped = if view.is_all() {
                // A listing stopped half-way is not kept: `a` lists again.
                state.all_instances.stop() | state.all_volumes.stop()
            } else {
                state.instances.loading.take().is_some() | state.volumes.loading.take().is_some()
            };
            match (stopped, view.is_all()) {
                (false, _) => vec![],
                (true, true) => vec![Effect::CancelAll],
                (true, false) => vec![Effect::CancelListing],
            }
        }
    }
}

/// Esc in a table closes the details, else clears the filter; false when there was neither.
fn back_within<T: Tabular>(table: &mut TableView<T>, rows: usize) -> bool {
    if table.detail {
        table.detail = false;
        return true;
    }
    if !table.list.filter.is_empty() {
        table.list.filter.clear();
        table.refresh(rows);
        return true;
    }
    false
}

fn switch_table(state: &mut State, view: View) -> Vec<Effect> {
    let Some(role) = state.current.clone() else {
        state.set_error("pick a role in the tree first (Enter on a role)");
        return vec![];
    };
    if state.view == view {
        return vec![];
    }
    let (loaded_for, loading) = match view {
        View::Volumes => (state.volumes.role.clone(), state.volumes.loading),
        _ => (state.instances.role.clone(), state.instances.loading),
    };
    let stale = loaded_for.as_ref() != Some(&role);
    if stale
        || (loading.is_none()
            && matches!(
                state.session_status(&role),
                SessionStatus::NotAssumed | SessionStatus::Failed | SessionStatus::Expired
            ))
    {
        return open_role(state, role, view);
    }
    state.view = view;
    if loading.is_none() && state.session_status(&role) != SessionStatus::Assuming {
        let table_empty = match view {
            View::Volumes => state.volumes.items.is_empty() && state.volumes.error.is_none(),
            _ => state.instances.items.is_empty() && state.instances.error.is_none(),
        };
        if table_empty {
            return start_listing(state, view);
        }
    }
    vec![]
}

/// The role the keys `y`, `o` and `O` act on: the selected one in the tree and sessions views,
/// the current one in the tables.
fn focused_role(state: &State) -> Option<RoleArn> {
    match state.view {
        View::Tree => state.selected_role().map(|r| r.arn.clone()),
        View::Sessions => state
            .session_roles()
            .get(state.sessions_list.selected)
            .cloned(),
        View::AllInstances => state
            .all_instances
            .table
            .selected_item()
            .and_then(|r| r.role_arn.parse().ok()),
        View::AllVolumes => state
            .all_volumes
            .table
            .selected_item()
            .and_then(|r| r.role_arn.parse().ok()),
        View::Instances | View::Volumes => state.current.clone(),
    }
}

/// `o` / `O`: a federated sign-in as the focused role, landing on the selected instance or
/// volume (else the role's first region's EC2 page). Needs a live session to sign in with.
fn console(state: &mut State, open: bool) -> Vec<Effect> {
    let Some(arn) = focused_role(state) else {
        state.set_error("no role selected: move to a role to open its console");
        return vec![];
    };
    let title = state.role_title(&arn);
    if !matches!(state.session_status(&arn), SessionStatus::Active { .. }) {
        state.set_error(format!(
            "{title} has no live session: assume it first (Enter), then o opens its console"
        ));
        return vec![];
    }
    let selected = match state.view {
        View::Instances => state
            .instances
            .selected_item()
            .map(|i| (i.region.clone(), Resource::Instance(i.instance_id.clone()))),
        View::Volumes => state
            .volumes
            .selected_item()
            .map(|v| (v.region.clone(), Resource::Volume(v.volume_id.clone()))),
        View::AllInstances => state.all_instances.table.selected_item().map(|r| {
            (
                r.item.region.clone(),
                Resource::Instance(r.item.instance_id.clone()),
            )
        }),
        View::AllVolumes => state.all_volumes.table.selected_item().map(|r| {
            (
                r.item.region.clone(),
                Resource::Volume(r.item.volume_id.clone()),
            )
        }),
        View::Tree | View::Sessions => None,
    };
    let destination = match selected {
        Some((region, resource)) => Destination {
            region: Some(region),
            service: None,
            resource: Some(resource),
        },
        None => Destination {
            region: state.regions_for(&arn).into_iter().next(),
            service: Some("ec2".into()),
            resource: None,
        },
    };
    state.set_info(if open {
        format!("signing in to the console as {title}…")
    } else {
        format!("making a sign-in link for {title}…")
    });
    vec![Effect::Console {
        role: arn,
        destination,
        open,
    }]
}

fn copy_link(state: &mut State) -> Vec<Effect> {
    let Some(arn) = focused_role(state) else {
        state.set_error("no role selected: move to a role to copy its link");
        return vec![];
    };
    let account = state.account(arn.account_id());
    let display = match state.role(&arn) {
        Some(role) => role.display_name(account.and_then(|a| a.name.as_deref())),
        None => arn.name_with_path(),
    };
    let color = account.and_then(|a| a.color.as_deref());
    let url = switch_role_url(&arn, &display, color, None);
    state.set_info(format!("copied {url}"));
    vec![Effect::Copy(url)]
}

fn reload(state: &mut State) -> Vec<Effect> {
    match state.view {
        View::Tree => {
            state.primary = Loadable::Loading;
            vec![Effect::LoadIdentity]
        }
        View::Instances | View::Volumes => match state.current.clone() {
            Some(role) => {
                let view = state.view;
                match state.session_status(&role) {
                    SessionStatus::Active { seconds_left }
                        if seconds_left > REUSE_MARGIN_SECONDS =>
                    {
                        start_listing(state, view)
                    }
                    SessionStatus::Assuming | SessionStatus::Refreshing => vec![],
                    _ => open_role(state, role, view),
                }
            }
            None => vec![],
        },
        View::AllInstances | View::AllVolumes => start_all(state, state.view),
        View::Sessions => vec![],
    }
}

fn on_popup_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    let Some(popup) = state.popup.take() else {
        return vec![];
    };
    match popup {
        Popup::Help => {
            // Any of Esc, q, ? closes; other keys leave it open.
            if !matches!(
                key.code,
                KeyCode::Esc | KeyCode::Char('q') | KeyCode::Char('?') | KeyCode::Enter
            ) {
                state.popup = Some(Popup::Help);
            }
            vec![]
        }
        Popup::Command { mut input } => match key.code {
            KeyCode::Esc => vec![],
            KeyCode::Enter => run_command(state, input.trim()),
            KeyCode::Backspace => {
                input.pop();
                state.popup = Some(Popup::Command { input });
                vec![]
            }
            KeyCode::Char(c) => {
                input.push(c);
                state.popup = Some(Popup::Command { input });
                vec![]
            }
            _ => {
                state.popup = Some(Popup::Command { input });
                vec![]
            }
        },
        Popup::Mfa {
            role,
            mut input,
            renew,
        } => match key.code {
            KeyCode::Esc if renew => {
                state.set_info("no new MFA code: the session ends at its expiry");
                vec![]
            }
            KeyCode::Esc => {
                state.set_info("MFA cancelled; the role was not assumed");
                if state.current.as_ref() == Some(&role) {
                    state.view = View::Tree;
                }
                vec![]
            }
            KeyCode::Enter => {
                if input.len() == 6 {
                    match state.role(&role).cloned() {
                        Some(r) => assume(state, r, Some(Secret::new(input))),
                        None => vec![],
                    }
                } else {
                    state.set_error("an MFA code is 6 digits");
                    state.popup = Some(Popup::Mfa { role, input, renew });
                    vec![]
                }
            }
            KeyCode::Backspace => {
                input.pop();
                state.popup = Some(Popup::Mfa { role, input, renew });
                vec![]
            }
            KeyCode::Char(c) if c.is_ascii_digit() && input.len() < 6 => {
                input.push(c);
                state.popup = Some(Popup::Mfa { role, input, renew });
                vec![]
            }
            _ => {
                state.popup = Some(Popup::Mfa { role, input, renew });
                vec![]
            }
        },
        Popup::Regions {
            mut choices,
            mut cursor,
        } => match key.code {
            KeyCode::Esc | KeyCode::Char('q') => vec![],
            KeyCode::Up | KeyCode::Char('k') => {
                cursor = cursor.saturating_sub(1);
                state.popup = Some(Popup::Regions { choices, cursor });
                vec![]
            }
            KeyCode::Down | KeyCode::Char('j') => {
                cursor = (cursor + 1).min(choices.len().saturating_sub(1));
                state.popup = Some(Popup::Regions { choices, cursor });
                vec![]
            }
            KeyCode::Char(' ') | KeyCode::Char('x') => {
                if let Some(c) = choices.get_mut(cursor) {
                    c.1 = !c.1;
                }
                state.popup = Some(Popup::Regions { choices, cursor });
                vec![]
            }
            KeyCode::Enter => {
                let picked: Vec<String> =
                    choices.into_iter().filter(|c| c.1).map(|c| c.0).collect();
                if picked.is_empty() {
                    state.set_error("pick at least one region (space ticks one)");
                    return vec![];
                }
                set_regions(state, picked)
            }
            _ => {
                state.popup = Some(Popup::Regions { choices, cursor });
                vec![]
            }
        },
    }
}

fn set_regions(state: &mut State, regions: Vec<String>) -> Vec<Effect> {
    state.set_info(format!("regions: {}", regions.join(", ")));
    state.region_override = Some(regions);
    if state.view.is_table() {
        reload(state)
    } else {
        vec![]
    }
}

fn run_command(state: &mut State, line: &str) -> Vec<Effect> {
    let mut words = line.split_whitespace();
    let cmd = words.next().unwrap_or("");
    let arg = words.next();
    match cmd {
        "" => vec![],
        "q" | "q!" | "quit" | "exit" => {
            state.should_quit = true;
            vec![]
        }
        "roles" | "tree" | "role" => {
            state.view = View::Tree;
            vec![]
        }
        "instances" | "inst" | "ec2" => switch_table(state, View::Instances),
        "volumes" | "vol" | "ebs" => switch_table(state, View::Volumes),
        "sessions" | "sess" => on_action(state, Action::Sessions),
        "all" | "every" => match arg {
            None | Some("instances" | "inst" | "ec2") => open_all(state, View::AllInstances),
            Some("volumes" | "vol" | "ebs") => open_all(state, View::AllVolumes),
            Some(other) => {
                state.set_error(format!(":all {other}: say :all instances or :all volumes"));
                vec![]
            }
        },
        "help" => {
            state.popup = Some(Popup::Help);
            vec![]
        }
        "region" | "regions" => match arg {
            None => {
                state.region_override = None;
                state.set_info("regions: back to each role's own");
                if state.view.is_table() {
                    reload(state)
                } else {
                    vec![]
                }
            }
            Some(list) => {
                let regions: Vec<String> = list
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect();
                if let Some(bad) = regions.iter().find_map(|r| validate_region(r).err()) {
                    state.set_error(format!(":region: {bad}"));
                    return vec![];
                }
                set_regions(state, regions)
            }
        },
        other => {
            state.set_error(format!(
                "unknown command \":{other}\": try :roles, :instances, :volumes, :all, :sessions, :region R, :q"
            ));
            vec![]
        }
    }
}

fn on_mouse(state: &mut State, m: crossterm::event::MouseEvent) -> Vec<Effect> {
    match m.kind {
        MouseEventKind::ScrollDown => move_selection(state, 3),
        MouseEventKind::ScrollUp => move_selection(state, -3),
        MouseEventKind::Down(MouseButton::Left) if state.popup.is_none() => {
            if let Some(row) = row_at(state.size, state.view, m.column, m.row) {
                let len = current_len(state);
                let view = state.view;
                let list = list_of(state, view);
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
