//! What rolecall did to an instance's groups, as its own case logs say: the truth isolation and
//! release act on. A tag on the instance is only a hint: anyone who may tag the instance can
//! write one, so a tag is compared with the logs and a disagreement reported, never obeyed.
//!
//! Every case in the cases folder is read (an instance isolated in one case may be released in
//! another); entries count only for the same account, region and instance.

use std::collections::BTreeSet;

use crate::actions::Scope;
use crate::aws::{AwsError, ErrorKind};
use crate::case::{CaseId, Cases, Entry};

/// An isolation rolecall recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Isolation {
    /// The case whose log holds it.
    pub case: String,
    /// When the original groups were recorded.
    pub at: String,
    /// Each interface's groups before isolation.
    pub originals: Vec<(String, Vec<String>)>,
    /// The groups rolecall moved (or was to move) this instance's interfaces to: its quarantine
    /// groups, the only groups release puts the originals back over.
    pub quarantine: BTreeSet<String>,
    /// Its last step (`isolate.checked`) was recorded: it finished.
    pub finished: bool,
}

/// What the case logs say of one instance.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct History {
    /// The last isolation, when no finished release came after it.
    pub isolated: Option<Isolation>,
    /// The last finished release (its time), if any.
    pub released_at: Option<String>,
    /// Cases whose logs could not be read (named in the plan: what they hold is not known).
    pub unread: Vec<String>,
}

fn groups_of(v: &serde_json::Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|g| g.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

/// The original groups an `isolate.original-groups` entry holds.
fn originals(e: &Entry) -> Vec<(String, Vec<String>)> {
    e.record
        .params
        .get("interfaces")
        .and_then(|l| l.as_array())
        .map(|l| {
            l.iter()
                .filter_map(|i| {
                    Some((
                        i.get("id")?.as_str()?.to_string(),
                        groups_of(i.get("groups")?),
                    ))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The history of `instance` in the scope's account and region, from every case's log: read
/// off the async threads, since there may be many logs.
pub async fn read(scope: &Scope, instance: &str) -> Result<History, AwsError> {
    let case = scope.journal.case();
    let account = scope.role.account_id().to_string();
    let region = scope.region.clone();
    let target = instance.to_string();
    tokio::task::spawn_blocking(move || read_logs(case, &account, &region, &target))
        .await
        .map_err(|e| {
            AwsError::new(
                ErrorKind::Other,
                "reading the case logs",
                instance.to_string(),
            )
            .with_message(e.to_string())
        })?
}

fn read_logs(
    case: Option<crate::case::Case>,
    account: &str,
    region: &str,
    instance: &str,
) -> Result<History, AwsError> {
    let (mut entries, unread) = every_entry(case, instance)?;
    entries.retain(|e| {
        e.record.account_id.as_deref() == Some(account)
            && e.record.region.as_deref() == Some(region)
            && e.record.target.first().map(String::as_str) == Some(instance)
    });
    // In time order (each case's own order kept for equal times).
    entries.sort_by(|a, b| a.ts.cmp(&b.ts));
    let mut history = History {
        unread,
        ..History::default()
    };
    for e in &entries {
        match e.record.action.as_str() {
            "isolate.original-groups" => {
                // A resumed isolation records the same originals again: one isolation.
                let quarantine = history
                    .isolated
                    .take()
                    .map(|i| i.quarantine)
                    .unwrap_or_default();
                history.isolated = Some(Isolation {
                    case: e.case.clone(),
                    at: e.ts.clone(),
                    originals: originals(e),
                    quarantine,
                    finished: false,
                });
            }
            "isolate.interface" | "isolate.quarantine-group" => {
                if let Some(i) = history.isolated.as_mut() {
                    i.quarantine.extend(groups_of(&e.record.params["to"]));
                }
            }
            "isolate.checked" => {
                if let Some(i) = history.isolated.as_mut() {
                    i.finished = true;
                }
            }
            "release.checked" => {
                history.isolated = None;
                history.released_at = Some(e.ts.clone());
            }
            _ => {}
        }
    }
    Ok(history)
}

/// Every entry of every case's log (the open case's first), and the cases whose logs could not
/// be read. `about` names what they are read for, in an error.
pub(crate) fn every_entry(
    case: Option<crate::case::Case>,
    about: &str,
) -> Result<(Vec<Entry>, Vec<String>), AwsError> {
    let Some(current) = case else {
        return Err(
            AwsError::new(ErrorKind::Other, "reading the case logs", about.to_string())
                .with_message("no case is open"),
        );
    };
    let mut entries: Vec<Entry> = Vec::new();
    let mut unread = Vec::new();
    // The open case's log must be read; another case's that cannot be is named.
    let mine = current.log.entries().map_err(|e| {
        AwsError::new(
            ErrorKind::Other,
            "reading the case log",
            current.id.to_string(),
        )
        .with_message(e.to_string())
    })?;
    entries.extend(mine);
    if let Some(root) = current.dir.parent() {
        let cases = Cases {
            root: root.to_path_buf(),
        };
        for d in std::fs::read_dir(root).into_iter().flatten().flatten() {
            let name = d.file_name().to_string_lossy().into_owned();
            let Ok(id) = CaseId::parse(&name) else {
                continue;
            };
            if id == current.id {
                continue;
            }
            let Ok(case) = cases.get(&id) else { continue };
            match case.log.entries() {
                Ok(list) => entries.extend(list),
                Err(_) => unread.push(name),
            }
        }
    }
    Ok((entries, unread))
}

/// The interfaces and groups as text: `eni-1=sg-a+sg-b eni-2=sg-c`.
pub fn groups_text(list: &[(String, Vec<String>)]) -> String {
    list.iter()
        .map(|(eni, g)| format!("{eni}={}", g.join("+")))
        .collect::<Vec<_>>()
        .join(" ")
}
