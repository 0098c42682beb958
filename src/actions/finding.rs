//! A finding's workflow status, set with a note (`securityhub:BatchUpdateFindings`: NEW,
//! NOTIFIED, RESOLVED, SUPPRESSED), and put back: the responder's record, in Security Hub, of
//! what became of the finding an investigation started from.
//!
//! Security Hub has no DryRun. A plan says so, and reads the finding first (`GetFindings`): that
//! it is there, its product ARN (which the update names it by), its status and note now, which
//! are recorded before they are replaced. The run makes the one call, treats a finding
//! `BatchUpdateFindings` answers as unprocessed as a failure (its `ErrorCode` and
//! `ErrorMessage` said; nothing was changed), and reads the finding back.
//!
//! Undone (`finding-status ROLE ID --undo`, `:status undo`) from rolecall's case logs, never from
//! the finding (anyone who may update findings can write its note): the status and note rolecall
//! replaced in its last change that nothing put back are put back — and only while the finding
//! still has the status rolecall gave it; a later change by someone else is not overwritten.
//!
//! GuardDuty's own findings (where Security Hub is off) have no workflow status; GuardDuty's
//! `ArchiveFindings` hides a finding instead, which is not what a status says, so it is refused,
//! with what to do instead.

use serde_json::{json, Value};

use super::{checked, Action, Facts as AnyFacts, Outcome, Plan, Progress, Scope, Steps};
use crate::aws::act::ids::NOTE_MAX;
use crate::aws::act::securityhub::{read_finding, update_finding, HubFinding, Updated};
use crate::aws::{AwsError, ErrorKind};
use crate::case::{Entry, Record};

/// The record of a change of a finding's status, and of its undoing.
pub const UPDATED: &str = "finding-status.updated";
pub const RESTORED: &str = "release.finding-status";

const NO_DRY_RUN: &str = "not checked before the run: Security Hub has no DryRun";

/// What the run does, found by the plan.
#[derive(Debug, Clone)]
pub struct Facts {
    pub id: String,
    pub product_arn: String,
    /// The status and note to set.
    pub status: String,
    pub note: String,
    pub updated_by: String,
    /// What the finding had before (recorded with the change: what `--undo` puts back).
    pub previous_status: String,
    pub previous_note: Option<(String, String)>,
    /// An undo: the change of rolecall's it undoes.
    pub undoes: Option<Change>,
}

/// A change of a finding's status that rolecall recorded and nothing has put back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub case: String,
    pub at: String,
    pub product_arn: String,
    /// What rolecall set.
    pub status: String,
    /// What was there before.
    pub previous_status: String,
    pub previous_note: Option<(String, String)>,
}

/// Who the note is by, as Security Hub records it (`NoteUpdate.UpdatedBy`, at most 512
/// characters): rolecall, the case, and the identity that acted.
pub fn updated_by(case: &str, actor: &str) -> String {
    let text = format!("rolecall case {case} ({actor})");
    text.chars().take(NOTE_MAX).collect()
}

/// The note when none is given: what was done, in which case.
pub fn default_note(case: &str, status: &str) -> String {
    format!("rolecall case {case}: workflow status set to {status}")
}

/// A step AWS answered with an error did nothing; one without an answer (a timeout, the
/// network) may have been done, so it counts (its undo is offered, and undoes it if it was).
fn counts(e: &Entry) -> bool {
    match e.record.result.get("error").and_then(Value::as_str) {
        None => true,
        Some(code) => matches!(code, "Timeout" | "Network"),
    }
}

fn note_of(v: &Value) -> Option<(String, String)> {
    Some((
        v.get("text")?.as_str()?.to_string(),
        v.get("updated_by")?.as_str()?.to_string(),
    ))
}

/// The last change of finding `id` no undo followed, from `entries` (every case's log): each
/// change stacks on the one before, each undo takes the last one off.
pub fn last_change(mut entries: Vec<Entry>, id: &str) -> Option<Change> {
    entries.retain(|e| {
        e.record.target.first().map(String::as_str) == Some(id)
            && (e.record.action == UPDATED || e.record.action == RESTORED)
            && counts(e)
    });
    entries.sort_by(|a, b| a.ts.cmp(&b.ts));
    let mut stack: Vec<Change> = Vec::new();
    for e in entries {
        let p = &e.record.params;
        let text = |k: &str| p.get(k).and_then(Value::as_str).map(str::to_string);
        if e.record.action == UPDATED {
            let (Some(product_arn), Some(status), Some(previous_status)) =
                (text("product_arn"), text("status"), text("previous_status"))
            else {
                continue;
            };
            stack.push(Change {
                case: e.case.clone(),
                at: e.ts.clone(),
                product_arn,
                status,
                previous_status,
                previous_note: p.get("previous_note").and_then(note_of),
            });
        } else {
            stack.pop();
        }
    }
    stack.pop()
}

/// The last change of the finding rolecall has not put back, from every case's log.
async fn history(scope: &Scope, id: &str) -> Result<(Option<Change>, Vec<String>), AwsError> {
    let case = scope.journal.case();
    let id = id.to_string();
    let about = format!("finding {id}");
    tokio::task::spawn_blocking(move || {
        let (entries, unread) = super::isolate::history::every_entry(case, &about)?;
        Ok((last_change(entries, &id), unread))
    })
    .await
    .map_err(|e| {
        AwsError::new(
            ErrorKind::Other,
            "reading the case logs",
            "a finding".to_string(),
        )
        .with_message(e.to_string())
    })?
}

fn refused(id: &str, message: String, hint: impl Into<String>) -> AwsError {
    AwsError::new(ErrorKind::Other, "planning", format!("finding {id}"))
        .with_message(message)
        .with_hint(hint.into())
}

/// The finding, read in the scope's account and region; not there is a refusal naming where it
/// was looked for.
async fn read(scope: &Scope, id: &str, product_arn: Option<&str>) -> Result<HubFinding, AwsError> {
    let found = read_finding(&scope.target, &scope.region, id, product_arn)
        .await
        .map_err(|e| scope.denied(e, "securityhub:GetFindings"))?;
    found.ok_or_else(|| {
        refused(
            id,
            format!(
                "Security Hub of account {} in {} has no finding with this id{}",
                scope.account(),
                scope.region,
                product_arn.map(|p| format!(" from {p}")).unwrap_or_default()
            ),
            "act as a role of the account the finding was read in (its own, or the delegated administrator's through [findings] via), with --region the region it was read in; rolecall findings ROLE --json shows both",
        )
    })
}

fn note_text(n: &Option<(String, String)>) -> String {
    match n {
        Some((text, by)) => format!("\"{text}\" (by {by})"),
        None => "none".into(),
    }
}

/// Plans setting a finding's status (or, an undo, putting back what rolecall replaced).
pub async fn plan(scope: &Scope, action: Action) -> Result<Plan, AwsError> {
    match &action {
        Action::FindingStatus {
            finding,
            status,
            note,
        } => {
            let note = note
                .clone()
                .unwrap_or_else(|| default_note(&scope.case_id, status));
            crate::aws::act::ids::finding_note(&note)?;
            let f = read(scope, finding, None).await?;
            let by = updated_by(&scope.case_id, &scope.actor);
            let mut plan = scope.plan(
                action.clone(),
                format!(
                    "Set the workflow status of finding \"{}\" to {status}",
                    f.title
                ),
            );
            plan.resources = resources(&f);
            plan.calls = calls(&f, status, &note, &by);
            plan.notes.push(format!("Security Hub has no DryRun: the plan read the finding (GetFindings: it is there, its status {} and note now, recorded before they are replaced); the permission is known only when the call is made", f.status));
            if f.status == *status {
                plan.notes.push(format!(
                    "the finding is {status} already: only its note changes"
                ));
            }
            if f.record_state == "ARCHIVED" {
                plan.notes.push("the finding is archived (its product no longer reports it): its status is set all the same".into());
            }
            plan.notes.push(match &f.note {
                Some((_, by)) => format!("a note replaces the one there (Security Hub keeps one); rolecall finding-status ROLE ID --undo (:status undo) puts back {} and that note (by {by})", f.status),
                None => format!("rolecall finding-status ROLE ID --undo (:status undo) puts back {}; there is no note now, and Security Hub cannot remove one, so the undo leaves a note saying what was undone", f.status),
            });
            plan.facts = AnyFacts::Finding(Facts {
                id: f.id.clone(),
                product_arn: f.product_arn.clone(),
                status: status.clone(),
                note,
                updated_by: by,
                previous_status: f.status.clone(),
                previous_note: f.note.clone(),
                undoes: None,
            });
            Ok(plan)
        }
        Action::FindingRestore { finding } => {
            let (change, unread) = history(scope, finding).await?;
            let Some(change) = change else {
                return Err(refused(
                    finding,
                    "rolecall's case logs hold no change of this finding's status that was not put back: nothing to undo".into(),
                    format!(
                        "--undo only undoes what rolecall did (rolecall case log shows it){}",
                        if unread.is_empty() {
                            String::new()
                        } else {
                            format!("; the logs of case(s) {} could not be read", unread.join(", "))
                        }
                    ),
                ));
            };
            let f = read(scope, finding, Some(&change.product_arn)).await?;
            let from = format!("the log of case {} ({})", change.case, change.at);
            if f.status != change.status {
                return Err(refused(
                    finding,
                    format!(
                        "the finding is {} now, not the {} rolecall set per {from}: someone changed it since, and putting back {} would undo their change",
                        f.status, change.status, change.previous_status
                    ),
                    "set the status you want with rolecall finding-status ROLE ID --status S --note TEXT; nothing was changed",
                ));
            }
            // The note before, put back as it was (its text and author); without one, a note
            // saying what was undone (Security Hub cannot remove a note).
            let (note, by) = match &change.previous_note {
                Some((text, by)) => (text.clone(), by.clone()),
                None => (
                    format!(
                        "rolecall case {}: workflow status put back to {} (undoing {} set in case {})",
                        scope.case_id, change.previous_status, change.status, change.case
                    )
                    .chars()
                    .take(NOTE_MAX)
                    .collect(),
                    updated_by(&scope.case_id, &scope.actor),
                ),
            };
            let mut plan = scope.plan(
                action.clone(),
                format!(
                    "Put back the workflow status {} of finding \"{}\"",
                    change.previous_status, f.title
                ),
            );
            plan.resources = resources(&f);
            plan.resources
                .push(format!("rolecall set {} per {from}", change.status));
            plan.calls = calls(&f, &change.previous_status, &note, &by);
            plan.notes.push("Security Hub has no DryRun: the plan read the finding (GetFindings: it is there, with the status rolecall set); the permission is known only when the call is made".into());
            plan.notes.push(match &change.previous_note {
                Some((_, by)) => format!("the note that was there before is put back as it was (by {by}); its time is now"),
                None => "there was no note before, and Security Hub cannot remove one: rolecall's note is replaced by one saying what was undone".into(),
            });
            if !unread.is_empty() {
                plan.notes.push(format!(
                    "the logs of case(s) {} could not be read: what rolecall did there is not known",
                    unread.join(", ")
                ));
            }
            plan.facts = AnyFacts::Finding(Facts {
                id: f.id.clone(),
                product_arn: f.product_arn.clone(),
                status: change.previous_status.clone(),
                note,
                updated_by: by,
                previous_status: f.status.clone(),
                previous_note: f.note.clone(),
                undoes: Some(change),
            });
            Ok(plan)
        }
        _ => Err(AwsError::new(
            ErrorKind::Other,
            "planning",
            action.target().to_string(),
        )),
    }
}

fn resources(f: &HubFinding) -> Vec<String> {
    vec![
        format!("finding {}", f.id),
        format!(
            "{} {}, about account {}, from {}",
            f.severity, f.title, f.account_id, f.product_arn
        ),
        format!(
            "workflow status now: {}; record {}; note now: {}",
            f.status,
            f.record_state,
            note_text(&f.note)
        ),
    ]
}

fn calls(f: &HubFinding, status: &str, note: &str, by: &str) -> Vec<String> {
    vec![
        checked(
            format!(
                "securityhub:BatchUpdateFindings FindingIdentifiers=[{{Id={}, ProductArn={}}}] Workflow.Status={status} Note={{Text=\"{note}\", UpdatedBy=\"{by}\"}}",
                f.id, f.product_arn
            ),
            &format!("{NO_DRY_RUN}; read: the finding is there, {} now", f.status),
        ),
        checked(
            format!("securityhub:GetFindings Id={} (to check it is {status})", f.id),
            "a read",
        ),
    ]
}

/// Makes the one update, then reads the finding back. The change is recorded (with what it
/// replaced) before it is reported; an unprocessed finding is a failure, nothing changed.
pub async fn run(scope: &Scope, f: Facts, progress: &dyn Progress) -> Outcome {
    let mut steps = Steps::new(scope, progress);
    let (name, checked_name) = match f.undoes {
        None => (UPDATED, "finding-status.checked"),
        Some(_) => (RESTORED, "release.finding-status-checked"),
    };
    let mut params = json!({
        "finding": f.id,
        "product_arn": f.product_arn,
        "status": f.status,
        "note": f.note,
        "updated_by": f.updated_by,
        "previous_status": f.previous_status,
        "previous_note": f.previous_note.as_ref().map(|(text, by)| json!({"text": text, "updated_by": by})),
    });
    if let Some(c) = &f.undoes {
        params["undoes"] = json!({ "case": c.case, "at": c.at, "status": c.status });
    }
    let record = Record::new(name).targets([f.id.clone()]).params(params);
    let not_done = vec![format!("set finding {} to {}", f.id, f.status)];
    let updated = update_finding(
        &scope.target,
        &scope.region,
        &f.id,
        &f.product_arn,
        &f.status,
        &f.note,
        &f.updated_by,
    )
    .await;
    match updated {
        Err(e) => {
            let e = scope.denied(e, "securityhub:BatchUpdateFindings");
            return steps.fail(e, record, not_done).await;
        }
        Ok(Updated::Unprocessed { code, message }) => {
            let e = AwsError::new(
                ErrorKind::Other,
                "BatchUpdateFindings",
                format!("finding {}", f.id),
            )
            .with_code(code.clone())
            .with_message(format!(
                "Security Hub did not update the finding ({code}: {message})"
            ))
            .with_hint(format!(
                "nothing was changed: the finding is still {}; look at it in Security Hub's console, and plan again",
                f.previous_status
            ));
            return steps.fail(e, record, not_done).await;
        }
        Ok(Updated::Processed) => {}
    }
    let text = match &f.undoes {
        None => format!("finding {} set to {}", f.id, f.status),
        Some(_) => format!("finding {} put back to {}", f.id, f.status),
    };
    if let Err(e) = steps.done(text, record).await {
        return steps
            .fail(e, Record::new(checked_name), vec!["the check".into()])
            .await;
    }
    let now = read_finding(
        &scope.target,
        &scope.region,
        &f.id,
        Some(f.product_arn.as_str()),
    )
    .await;
    let seen = now
        .as_ref()
        .ok()
        .and_then(|x| x.as_ref())
        .map(|x| x.status.clone());
    let check = Record::new(checked_name)
        .targets([f.id.clone()])
        .result(json!({ "status": seen }));
    match seen {
        Some(s) if s == f.status => {
            let _ = steps
                .done(format!("checked: the finding is {s}"), check)
                .await;
            steps.finish(json!({
                "finding": f.id,
                "product_arn": f.product_arn,
                "status": s,
                "previous_status": f.previous_status,
            }))
        }
        other => {
            let e = AwsError::new(ErrorKind::Other, "GetFindings", format!("finding {}", f.id))
                .with_message(match (other, now.err()) {
                    (Some(s), _) => format!("the finding reads {s} after the change, not {}", f.status),
                    (None, Some(e)) => format!("it could not be read back: {e}"),
                    (None, None) => "it is no longer found".into(),
                })
                .with_hint("look at the finding in Security Hub's console: its status is not the one asked for");
            steps.fail(e, check, Vec::new()).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(seq: u64, action: &str, id: &str, params: Value, result: Value) -> Entry {
        Entry {
            seq,
            ts: format!("2026-12-04T10:00:{seq:02}.000Z"),
            case: "IR-1".into(),
            actor: "arn:aws:iam::111111111111:user/responder".into(),
            record: Record::new(action)
                .targets([id])
                .params(params)
                .result(result),
            host: "h".into(),
            rolecall: "0".into(),
            prev: String::new(),
        }
    }

    fn change(status: &str, previous: &str) -> Value {
        json!({
            "product_arn": "arn:aws:securityhub:us-east-1::product/aws/guardduty",
            "status": status,
            "previous_status": previous,
            "previous_note": null,
        })
    }

    #[test]
    fn each_undo_takes_back_the_last_change_not_put_back() {
        let id = "f-1";
        let e = |seq, action, params| entry(seq, action, id, params, Value::Null);
        // NEW → NOTIFIED → RESOLVED, one undo: back to NOTIFIED next.
        let log = vec![
            e(1, UPDATED, change("NOTIFIED", "NEW")),
            e(2, UPDATED, change("RESOLVED", "NOTIFIED")),
            e(3, RESTORED, json!({})),
        ];
        let last = last_change(log.clone(), id).unwrap();
        assert_eq!(
            (last.status.as_str(), last.previous_status.as_str()),
            ("NOTIFIED", "NEW")
        );
        // Both undone: nothing left.
        let mut all = log;
        all.push(e(4, RESTORED, json!({})));
        assert_eq!(last_change(all, id), None);
        // Another finding's changes, and a change AWS refused, do not count.
        let refused = entry(
            5,
            UPDATED,
            id,
            change("SUPPRESSED", "NEW"),
            json!({"error": "AccessDenied"}),
        );
        let other = entry(6, UPDATED, "f-2", change("RESOLVED", "NEW"), Value::Null);
        assert_eq!(last_change(vec![refused, other], id), None);
        // One without an answer may have been done: it counts.
        let timeout = entry(
            7,
            UPDATED,
            id,
            change("RESOLVED", "NEW"),
            json!({"error": "Timeout"}),
        );
        assert!(last_change(vec![timeout], id).is_some());
    }

    #[test]
    fn notes_name_the_case_and_fit() {
        assert_eq!(
            default_note("IR-7", "RESOLVED"),
            "rolecall case IR-7: workflow status set to RESOLVED"
        );
        let long = "x".repeat(2000);
        assert_eq!(updated_by("IR-7", &long).chars().count(), NOTE_MAX);
        assert!(crate::aws::act::ids::finding_note(&default_note("IR-7", "NEW")).is_ok());
    }
}
