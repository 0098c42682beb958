//! Snapshot evidence: every EBS volume of an instance (or one volume), tagged with the case,
//! followed to `completed`, and shared with the forensic account: an unencrypted snapshot as
//! it is; an encrypted one first copied re-encrypted under a customer-managed key the forensic
//! account may use (a snapshot under the default `aws/ebs` key cannot be shared). With a
//! forensic role, the shared snapshot is then copied into the forensic account, which owns the
//! copy. Nothing is ever deleted: the first snapshot stays the evidence of record.

mod plan;
mod run;
mod share;

use std::time::Duration;

use serde_json::json;

use super::{now, Action, Facts as AnyFacts, Outcome, Plan, Progress, Scope, Steps};
use crate::aws::act::evidence::{self, SnapshotInfo};
use crate::aws::act::{kms, network};
use crate::aws::arn::RoleArn;
use crate::aws::target::RoleTarget;
use crate::aws::{AwsError, ErrorKind};
use crate::case::Record;
use crate::resources::{describe_instance, describe_volumes};
pub use plan::plan;
pub use run::run;
use share::{evidence_key, forensic_copy, reencrypt, share};

/// A volume to snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub volume_id: String,
    pub instance_id: Option<String>,
    pub size_gib: i32,
    pub encrypted: bool,
    pub kms_key_id: Option<String>,
}

/// How encrypted snapshots get a key the forensic account may use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyPlan {
    /// `[case] kms_key_arn`.
    Configured(String),
    /// The case's own key for the account shared with, found by its alias
    /// (`alias/rolecall-<case>-<account>`, [`kms::evidence_alias`]), or made.
    Case { alias: String },
}

#[derive(Debug, Clone)]
pub struct Facts {
    /// Every volume of this instance is taken at one instant (CreateSnapshots); without it,
    /// the one volume is taken alone (CreateSnapshot).
    pub instance: Option<String>,
    pub sources: Vec<Source>,
    pub share_with: Option<String>,
    /// How encrypted snapshots get their key: `Some` whenever `share_with` is.
    pub key: Option<KeyPlan>,
    pub forensic_role: Option<RoleArn>,
}

fn not_found(what: &str, id: &str, region: &str) -> AwsError {
    AwsError::new(
        ErrorKind::Other,
        "DescribeInstances",
        format!("region {region}"),
    )
    .with_message(format!("no {what} {id} in this account and region"))
    .with_hint("check the id and --region (in the TUI, the row's own region is used)")
}

/// How the plan shows the time tag: the time the snapshot is taken, not the plan's.
const AT_TAKING: &str = "<the time it is taken>";

/// The tag that tells what one run's call made: no EC2 call that makes snapshots takes an
/// idempotency token, so each carries rolecall's own, and after an answer that was lost (or a
/// retry by the SDK) what was made is looked for by it before anything is made again.
const REQUEST: &str = "rolecall:request";

/// How the plan shows the request tag.
const AT_REQUEST: &str = "<a token of this run, to find what a lost answer made>";

/// A token for one call: its time and the process.
fn request_token() -> String {
    format!(
        "{}-{}",
        chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default(),
        std::process::id()
    )
}

/// The tags of a snapshot of `source`, taken alone, at `at`, by call `request`.
fn tags(scope: &Scope, source: &Source, at: &str, request: &str) -> Vec<(String, String)> {
    let mut t = vec![
        (
            "Name".to_string(),
            format!("{} {}", scope.case_id, source.volume_id),
        ),
        ("rolecall:case".into(), scope.case_id.clone()),
        ("rolecall:source-volume".into(), source.volume_id.clone()),
        ("rolecall:taken-by".into(), scope.actor.clone()),
        ("rolecall:taken-at".into(), at.to_string()),
        (REQUEST.into(), request.to_string()),
    ];
    if let Some(i) = &source.instance_id {
        t.push(("rolecall:source-instance".into(), i.clone()));
    }
    t
}

/// The tags the snapshots of an instance's volumes, taken together, share; each then gets its
/// own [`volume_tags`].
fn instance_tags(scope: &Scope, instance: &str, at: &str, request: &str) -> Vec<(String, String)> {
    vec![
        ("rolecall:case".into(), scope.case_id.clone()),
        ("rolecall:source-instance".into(), instance.to_string()),
        ("rolecall:taken-by".into(), scope.actor.clone()),
        ("rolecall:taken-at".into(), at.to_string()),
        (REQUEST.into(), request.to_string()),
    ]
}

/// What a call that makes snapshots made, whatever its answer said: the snapshots carrying its
/// `request` token. A lost answer with snapshots made: those (said). More than the answer
/// named (a retry by the SDK): the others are named as made too.
async fn made_by(
    scope: &Scope,
    steps: &mut Steps<'_>,
    request: &str,
    answer: Result<Vec<SnapshotInfo>, AwsError>,
) -> Result<Vec<SnapshotInfo>, AwsError> {
    let token = [(REQUEST.to_string(), request.to_string())];
    let found = evidence::find_tagged(&scope.target, &scope.region, &token)
        .await
        .unwrap_or_default();
    match answer {
        Ok(infos) => {
            for extra in found
                .iter()
                .filter(|f| !infos.iter().any(|i| i.snapshot_id == f.snapshot_id))
            {
                steps.made(format!(
                    "{} (of {}, made by a retry of the same call)",
                    extra.snapshot_id, extra.volume_id
                ));
            }
            Ok(infos)
        }
        Err(e) if !found.is_empty() => {
            // One snapshot of each volume is used; any other (a retry's) is named.
            let mut used: Vec<SnapshotInfo> = Vec::new();
            for s in found {
                if used.iter().any(|u| u.volume_id == s.volume_id) {
                    steps.made(format!(
                        "{} (of {}, made by a retry of the same call)",
                        s.snapshot_id, s.volume_id
                    ));
                } else {
                    used.push(s);
                }
            }
            steps.say(format!(
                "the answer was lost ({e}), but {} made: used",
                used.iter()
                    .map(|s| s.snapshot_id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
            Ok(used)
        }
        Err(e) => Err(e),
    }
}

/// What tells one snapshot of an instance from the others: its volume.
fn volume_tags(scope: &Scope, volume: &str) -> Vec<(String, String)> {
    vec![
        ("Name".to_string(), format!("{} {volume}", scope.case_id)),
        ("rolecall:source-volume".into(), volume.to_string()),
    ]
}

fn description(scope: &Scope, source: &Source) -> String {
    match &source.instance_id {
        Some(i) => format!("case {}: {} of {i}", scope.case_id, source.volume_id),
        None => format!("case {}: {}", scope.case_id, source.volume_id),
    }
}

fn instance_description(scope: &Scope, instance: &str) -> String {
    format!(
        "case {}: the volumes of {instance}, at one instant",
        scope.case_id
    )
}

fn tag_list(tags: &[(String, String)]) -> Vec<String> {
    tags.iter().map(|(k, v)| format!("{k}={v}")).collect()
}

fn tag_text(tags: &[(String, String)]) -> String {
    tag_list(tags).join(", ")
}

/// How long a snapshot (or copy) is followed before rolecall stops waiting: the snapshot goes
/// on, and is named, but the action does not wait for ever.
pub const FOLLOW_LIMIT: Duration = Duration::from_secs(6 * 60 * 60);

/// Follows snapshots until each is `completed` or `error`, reporting their progress. Any other
/// state but `pending` (`recoverable`, `recovering`, one EC2 adds later) is not waited on: it is
/// returned, and the caller stops, naming it. Past `limit` it stops waiting, with an error
/// naming what is still pending.
async fn follow(
    t: &RoleTarget,
    region: &str,
    ids: &[String],
    progress: &dyn Progress,
    limit: Duration,
) -> Result<Vec<SnapshotInfo>, AwsError> {
    // DescribeSnapshots with no id would list every snapshot the account can see.
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let deadline = tokio::time::Instant::now() + limit;
    let mut wait = Duration::from_secs(2);
    loop {
        let now = evidence::describe_snapshots(t, region, ids).await?;
        let pending: Vec<&SnapshotInfo> = now.iter().filter(|s| s.state == "pending").collect();
        if pending.is_empty() && now.len() == ids.len() {
            return Ok(now);
        }
        let text: Vec<String> = pending
            .iter()
            .map(|s| {
                format!(
                    "{} {}",
                    s.snapshot_id,
                    s.progress.as_deref().unwrap_or("pending")
                )
            })
            .collect();
        if tokio::time::Instant::now() + wait > deadline {
            return Err(AwsError::new(ErrorKind::Other, "DescribeSnapshots", ids.join(", "))
                .with_message(format!(
                    "still not completed after {} minutes: {}",
                    limit.as_secs() / 60,
                    text.join(", ")
                ))
                .with_hint("the snapshots go on, and are named: look at them in the console, then share them by hand or run the action again"));
        }
        progress.step(format!("waiting for {}", text.join(", ")));
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(Duration::from_secs(30));
    }
}

/// A snapshot `follow` left in another state than `completed`: a failure naming it.
fn not_completed(s: &SnapshotInfo, what: &str) -> Option<AwsError> {
    if s.state == "completed" {
        return None;
    }
    Some(
        AwsError::new(ErrorKind::Other, "DescribeSnapshots", s.snapshot_id.clone()).with_message(
            format!(
                "{what} {} is {}, not completed{}",
                s.snapshot_id,
                s.state,
                s.message
                    .as_deref()
                    .map(|m| format!(": {m}"))
                    .unwrap_or_default()
            ),
        ),
    )
}
