//! The case file in the TUI: opening and closing a case (`:case`), the log view (`L`), exports
//! of what a table shows (`e`), and what the jobs recorded.

use super::super::effect::{Effect, ExportRows, Slot, Work};
use super::super::msg::CaseInfo;
use super::super::state::{State, View};
use super::error_line;
use crate::aws::arn::RoleArn;
use crate::case::export::{slug, Exported};
use crate::case::Entry;

/// `:case open ID [title]`. Refused while an action of the open case is planned, shown or
/// running: its evidence would land in one case and its hashes in another.
pub fn open(state: &mut State, id: String, title: Option<String>) -> Vec<Effect> {
    let running: Vec<String> = state
        .running_actions()
        .iter()
        .map(|r| format!("#{} {}", r.n, r.title))
        .collect();
    let planned = state.pending.is_some() || state.jobs.running(&Slot::Plan).is_some();
    if !running.is_empty() || planned {
        let what = if running.is_empty() {
            "an action is being planned in this case".to_string()
        } else {
            format!(
                "{} still running and recording in this case",
                running.join(", ")
            )
        };
        state.set_error(format!(
            "{what}: open case {id} when it ends (J shows the actions; n or Esc drops a plan)"
        ));
        return vec![];
    }
    state.set_info(format!("opening case {id}…"));
    vec![state.jobs.start(Work::OpenCase { id, title })]
}

/// `:case close`.
pub fn close(state: &mut State) -> Vec<Effect> {
    let running: Vec<String> = state
        .running_actions()
        .iter()
        .map(|r| format!("#{} {}", r.n, r.title))
        .collect();
    if !running.is_empty() {
        state.set_error(format!(
            "{} still running and recording in this case: close it when they end (J shows them)",
            running.join(", ")
        ));
        return vec![];
    }
    match &state.case {
        Some(c) => {
            state.set_info(format!("closing case {}…", c.id));
            vec![state.jobs.start(Work::CloseCase)]
        }
        None => {
            state.set_error("no case is open (:case open ID opens one)");
            vec![]
        }
    }
}

pub fn on_case(state: &mut State, result: Result<Option<CaseInfo>, String>) -> Vec<Effect> {
    state.jobs.finish(&Slot::Case);
    match result {
        Ok(Some(info)) => {
            state.set_info(format!(
                "case {} is open: what you do is recorded in {}",
                info.id,
                info.dir.join("log.jsonl").display()
            ));
            state.case = Some(info);
            state.log = Default::default();
            if state.view == View::CaseLog {
                return read_log(state);
            }
        }
        Ok(None) => {
            if let Some(c) = state.case.take() {
                state.set_info(format!("case {} is closed; nothing is recorded now", c.id));
            }
        }
        Err(e) => state.set_error(format!("case: {e}")),
    }
    vec![]
}

/// `L`: the case log view (read afresh: other runs may have written to it).
pub fn show_log(state: &mut State) -> Vec<Effect> {
    if state.view != View::CaseLog {
        state.open_overlay(View::CaseLog);
    }
    if state.case.is_none() {
        state.set_error(
            "no case is open: :case open ID starts one, and what you do is recorded from then on",
        );
        return vec![];
    }
    read_log(state)
}

fn read_log(state: &mut State) -> Vec<Effect> {
    vec![state.jobs.start(Work::ReadLog)]
}

pub fn on_log(state: &mut State, result: Result<Vec<Entry>, String>) -> Vec<Effect> {
    state.jobs.finish(&Slot::Log);
    match result {
        Ok(entries) => {
            let height = state.page();
            state.log.set(entries, height);
        }
        Err(e) => state.set_error(format!("reading the case log: {e}")),
    }
    vec![]
}

/// An entry a job just wrote: the log view shows it at once.
pub fn on_logged(state: &mut State, entry: Entry) -> Vec<Effect> {
    if state.case.as_ref().is_some_and(|c| c.id == entry.case) {
        let height = state.page();
        state.log.add(entry, height);
    }
    vec![]
}

/// `y`: the switch-role link; with a case open, recorded before it is copied.
pub fn copy_link(state: &mut State, role: RoleArn, url: String) -> Vec<Effect> {
    if state.case.is_none() {
        state.set_info(format!("copied {url}"));
        return vec![Effect::Copy(url)];
    }
    vec![state.jobs.start(Work::CopyLink { role, url })]
}

pub fn on_copied(state: &mut State, result: Result<String, crate::aws::AwsError>) -> Vec<Effect> {
    state.jobs.finish(&Slot::Copy);
    match result {
        Ok(url) => {
            state.set_info(format!("copied {url}"));
            vec![Effect::Copy(url)]
        }
        Err(e) => {
            state.set_error(error_line(&e));
            vec![]
        }
    }
}

/// `e`: what the table shows (filter and sort applied, every field) as CSV and JSON, named by
/// view, role or account, and time.
pub fn export(state: &mut State) -> Vec<Effect> {
    let view = state.view;
    let Some(table) = state.table(view) else {
        return vec![];
    };
    // The rows shown, in the order shown.
    let rows: Vec<_> = table
        .visible
        .iter()
        .map(|&i| table.items[i].clone())
        .collect();
    let what = table.kind.about().command;
    let count = rows.len();
    let rows = ExportRows {
        kind: table.kind,
        every: table.every,
        rows,
    };
    if count == 0 {
        state.set_error("nothing to export: the table shows no rows");
        return vec![];
    }
    let scope = if view.is_all() {
        "every-account".to_string()
    } else {
        match &state.current {
            Some(role) => state
                .role(role)
                .map(|r| r.label())
                .unwrap_or_else(|| role.name_with_path()),
            None => "role".into(),
        }
    };
    let stamp = state.now.format("%Y%m%dT%H%M%SZ");
    let name = slug(&format!("{what}-{scope}-{stamp}"));
    let label = format!("{what} of {scope}");
    state.set_info(format!("exporting {count} rows of {label}…"));
    vec![state.jobs.start(Work::Export {
        view: label,
        name,
        rows,
    })]
}

pub fn on_exported(state: &mut State, result: Result<Exported, String>) -> Vec<Effect> {
    state.jobs.finish(&Slot::Export);
    match result {
        Ok(e) => {
            // The file's place in the case folder when there is one: the full path is long,
            // and the log view has it.
            let shown = match &state.case {
                Some(c) => e
                    .csv
                    .strip_prefix(&c.dir)
                    .map(|p| p.display().to_string())
                    .unwrap_or_else(|_| e.csv.display().to_string()),
                None => e.csv.display().to_string(),
            };
            let recorded = match &state.case {
                Some(c) => format!(" (case {})", c.id),
                None => String::new(),
            };
            state.set_info(format!(
                "exported {} rows → {shown}, .json{recorded}",
                e.rows
            ));
        }
        Err(e) => state.set_error(format!("export failed: {e}")),
    }
    vec![]
}
