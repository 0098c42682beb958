//! Snapshot evidence: every EBS volume of an instance (or one volume), tagged with the case,
//! followed to `completed`, and shared with the forensic account: an unencrypted snapshot as
//! it is; an encrypted one first copied re-encrypted under a customer-managed key the forensic
//! account may use (a snapshot under the default `aws/ebs` key cannot be shared). With a
//! forensic role, the shared snapshot is then copied into the forensic account, which owns the
//! copy. Nothing is ever deleted: the first snapshot stays the evidence of record.

mod share;

use std::time::Duration;

use serde_json::json;

use super::{now, Action, Facts as AnyFacts, Outcome, Plan, Progress, Scope, Steps};
use crate::aws::act::evidence::{self, SnapshotInfo};
use crate::aws::act::{kms, network};
use crate::aws::arn::RoleArn;
use crate::aws::ec2::{describe_instance, describe_volumes, Ec2Target};
use crate::aws::{AwsError, ErrorKind};
use crate::case::Record;
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

/// The tags of a snapshot of `source`, taken alone, at `at`.
fn tags(scope: &Scope, source: &Source, at: &str) -> Vec<(String, String)> {
    let mut t = vec![
        (
            "Name".to_string(),
            format!("{} {}", scope.case_id, source.volume_id),
        ),
        ("rolecall:case".into(), scope.case_id.clone()),
        ("rolecall:source-volume".into(), source.volume_id.clone()),
        ("rolecall:taken-by".into(), scope.actor.clone()),
        ("rolecall:taken-at".into(), at.to_string()),
    ];
    if let Some(i) = &source.instance_id {
        t.push(("rolecall:source-instance".into(), i.clone()));
    }
    t
}

/// The tags the snapshots of an instance's volumes, taken together, share; each then gets its
/// own [`volume_tags`].
fn instance_tags(scope: &Scope, instance: &str, at: &str) -> Vec<(String, String)> {
    vec![
        ("rolecall:case".into(), scope.case_id.clone()),
        ("rolecall:source-instance".into(), instance.to_string()),
        ("rolecall:taken-by".into(), scope.actor.clone()),
        ("rolecall:taken-at".into(), at.to_string()),
    ]
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

fn tag_text(tags: &[(String, String)]) -> String {
    tags.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub async fn plan(scope: &Scope, action: Action) -> Result<Plan, AwsError> {
    let Action::Snapshot {
        instance,
        volume,
        share_with,
    } = &action
    else {
        return Err(AwsError::new(ErrorKind::Other, "planning", "snapshot"));
    };
    let t = &scope.target;
    let region = &scope.region;
    let (title, ids, whole) = match (instance, volume) {
        (Some(i), _) => {
            let found = describe_instance(t, region, i)
                .await?
                .ok_or_else(|| not_found("instance", i, region))?;
            let name = if found.name.is_empty() {
                String::new()
            } else {
                format!(" ({})", found.name)
            };
            (
                format!("Snapshot every volume of {i}{name}"),
                found.volume_ids.clone(),
                Some(i.clone()),
            )
        }
        (None, Some(v)) => (format!("Snapshot volume {v}"), vec![v.clone()], None),
        (None, None) => {
            return Err(AwsError::new(ErrorKind::Other, "planning", "snapshot")
                .with_message("say which instance or volume"))
        }
    };
    if ids.is_empty() {
        return Err(
            AwsError::new(ErrorKind::Other, "planning", title).with_message(
                "the instance has no EBS volume to snapshot (instance-store volumes cannot be)",
            ),
        );
    }
    let volumes = describe_volumes(t, region, &ids).await?;
    let mut sources = Vec::new();
    for id in &ids {
        let v = volumes
            .iter()
            .find(|v| &v.volume_id == id)
            .ok_or_else(|| not_found("volume", id, region))?;
        sources.push(Source {
            volume_id: id.clone(),
            instance_id: whole.clone().or_else(|| v.attached_to.first().cloned()),
            size_gib: v.size_gib,
            encrypted: v.encrypted,
            kms_key_id: v.kms_key_id.clone(),
        });
    }
    let given = share_with.is_some();
    let share_with = share_with
        .clone()
        .or_else(|| scope.case.forensic_account.clone());
    let key = match (&scope.case.kms_key_arn, &share_with) {
        (Some(arn), Some(_)) => Some(KeyPlan::Configured(arn.clone())),
        (None, Some(account)) => Some(KeyPlan::Case {
            alias: kms::evidence_alias(&scope.case_id, account),
        }),
        (_, None) => None,
    };
    let forensic_role = share_with.as_ref().and(scope.case.forensic_role.clone());
    // The forensic role copies what is shared with its own account: shared with another, its
    // copy could only fail, after the snapshots are made and shared. Refused before anything.
    if let (Some(role), Some(account)) = (&forensic_role, &share_with) {
        if role.account_id() != account {
            let from = if given {
                "--share-with"
            } else {
                "[case] forensic_account"
            };
            return Err(AwsError::new(ErrorKind::Other, "planning", title)
                .with_message(format!(
                    "[case] forensic_role {role} is in account {}, but the snapshots would be shared with account {account} ({from}): the role can only copy what is shared with its own account",
                    role.account_id()
                ))
                .with_hint(format!(
                    "share with account {} (--share-with {}, or leave --share-with out when [case] forensic_account is {}), or set [case] forensic_role to a role in account {account} (or remove it, to share without copying); nothing was changed",
                    role.account_id(),
                    role.account_id(),
                    role.account_id()
                )));
        }
    }

    // DryRun the snapshots before anything changes: a refusal is explained, nothing is made.
    match &whole {
        Some(i) => evidence::create_snapshots(
            t,
            region,
            i,
            &instance_description(scope, i),
            &instance_tags(scope, i, &now()),
            true,
        )
        .await
        .map(|_| ())
        .map_err(|e| scope.denied(e, "ec2:CreateSnapshots"))?,
        None => {
            for s in &sources {
                evidence::create_snapshot(
                    t,
                    region,
                    &s.volume_id,
                    &description(scope, s),
                    &tags(scope, s, &now()),
                    true,
                )
                .await
                .map_err(|e| scope.denied(e, "ec2:CreateSnapshot"))?;
            }
        }
    }

    let mut resources = Vec::new();
    let mut calls = Vec::new();
    for s in &sources {
        resources.push(format!(
            "{} {} GiB, {}{}",
            s.volume_id,
            s.size_gib,
            if s.encrypted {
                "encrypted"
            } else {
                "not encrypted"
            },
            s.instance_id
                .as_ref()
                .map(|i| format!(", of {i}"))
                .unwrap_or_default()
        ));
    }
    let mut notes = Vec::new();
    match &whole {
        Some(i) => {
            calls.push(format!(
                "ec2:CreateSnapshots InstanceId={i} (its {} volume{} at one instant) Description=\"{}\" Tags: {}",
                sources.len(),
                if sources.len() == 1 { "" } else { "s" },
                instance_description(scope, i),
                tag_text(&instance_tags(scope, i, AT_TAKING))
            ));
            for src in &sources {
                calls.push(format!(
                    "ec2:CreateTags on the snapshot of {}: {}",
                    src.volume_id,
                    tag_text(&volume_tags(scope, &src.volume_id))
                ));
            }
            notes.push(
                "the volumes are taken at one instant (crash-consistent), not application-consistent: what is only in memory is in none of them (C captures what the console shows)".into(),
            );
        }
        None => {
            for s in &sources {
                calls.push(format!(
                    "ec2:CreateSnapshot VolumeId={} Description=\"{}\" Tags: {}",
                    s.volume_id,
                    description(scope, s),
                    tag_text(&tags(scope, s, AT_TAKING))
                ));
            }
        }
    }
    calls.push("ec2:DescribeSnapshots until every snapshot is completed".into());
    notes.push("nothing is deleted: the snapshots stay, tagged with the case".into());
    if let Some(account) = &share_with {
        let encrypted = sources.iter().any(|s| s.encrypted);
        if encrypted {
            match &key {
                Some(KeyPlan::Configured(arn)) => calls.push(format!("use KMS key {arn} ([case] kms_key_arn) for the encrypted ones")),
                Some(KeyPlan::Case { alias }) => {
                    calls.push(format!(
                        "kms:DescribeKey {alias}; if it exists, kms:GetKeyPolicy (it is used only if account {account} may use it, else this stops); if missing, kms:CreateKey (policy: account {account} may use it for EBS; tags rolecall:case={}, rolecall:purpose=evidence, rolecall:forensic-account={account}) then kms:CreateAlias {alias}",
                        scope.case_id
                    ))
                }
                None => {}
            }
            calls.push(
                "ec2:CopySnapshot of each encrypted snapshot, Encrypted=true KmsKeyId=<that key> (the copy is what is shared; a snapshot under aws/ebs cannot be), then ec2:DescribeSnapshots until the copy is completed".to_string(),
            );
        }
        calls.push(format!(
            "ec2:ModifySnapshotAttribute createVolumePermission add UserId={account} on each snapshot{}",
            if encrypted { " (the copies, for the encrypted ones)" } else { "" }
        ));
        calls.push("ec2:DescribeSnapshotAttribute to check each share".into());
        if let Some(role) = &forensic_role {
            calls.push(format!("sts:AssumeRole {role}"));
            calls.push(format!(
                "ec2:CopySnapshot of each shared snapshot in account {account} (it owns the copy), then ec2:DescribeSnapshots there until each copy is completed"
            ));
        }
        notes.push(
            "ModifySnapshotAttribute and CopySnapshot are checked with DryRun just before each runs (they need the snapshot first); KMS has no DryRun".into(),
        );
    }
    Ok(Plan {
        resources,
        calls,
        notes,
        facts: AnyFacts::Snapshot(self::Facts {
            instance: whole,
            sources,
            share_with,
            key,
            forensic_role,
        }),
        ..scope.plan(action, title)
    })
}

/// Follows snapshots until each is `completed` or `error`, reporting their progress.
async fn follow(
    t: &Ec2Target,
    region: &str,
    ids: &[String],
    progress: &dyn Progress,
) -> Result<Vec<SnapshotInfo>, AwsError> {
    // DescribeSnapshots with no id would list every snapshot the account can see.
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut wait = Duration::from_secs(2);
    loop {
        let now = evidence::describe_snapshots(t, region, ids).await?;
        let pending: Vec<&SnapshotInfo> = now
            .iter()
            .filter(|s| s.state != "completed" && s.state != "error")
            .collect();
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
        progress.step(format!("waiting for {}", text.join(", ")));
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(Duration::from_secs(30));
    }
}

pub async fn run(scope: &Scope, f: Facts, progress: &dyn Progress) -> Outcome {
    let mut steps = Steps::new(scope, progress);
    let t = &scope.target;
    let region = scope.region.as_str();
    // 1. The snapshots.
    let taken = match &f.instance {
        Some(i) => match take_together(scope, &mut steps, i, &f.sources).await {
            Ok(taken) => taken,
            Err((e, left)) => {
                return steps
                    .fail(e, Record::new("snapshot.create").targets([i.clone()]), left)
                    .await
            }
        },
        None => {
            let mut taken: Vec<(Source, String)> = Vec::new();
            for (i, s) in f.sources.iter().enumerate() {
                let desc = description(scope, s);
                let tags = tags(scope, s, &now());
                let record = Record::new("snapshot.create")
                    .targets([s.volume_id.clone()])
                    .params(json!({ "description": desc, "tags": tag_list(&tags) }));
                match evidence::create_snapshot(t, region, &s.volume_id, &desc, &tags, false).await
                {
                    Ok(Some(info)) => {
                        steps.made(info.snapshot_id.clone());
                        let record = record
                            .targets([s.volume_id.clone(), info.snapshot_id.clone()])
                            .result(
                                json!({ "snapshot_id": info.snapshot_id, "state": info.state }),
                            );
                        let text = format!("took {} of {}", info.snapshot_id, s.volume_id);
                        if let Err(e) = steps.done(text, record).await {
                            return steps
                                .fail(e, Record::new("snapshot.log"), rest(&f.sources[i + 1..]))
                                .await;
                        }
                        taken.push((s.clone(), info.snapshot_id));
                    }
                    Ok(None) => {}
                    Err(e) => {
                        let e = scope.denied(e, "ec2:CreateSnapshot");
                        return steps.fail(e, record, rest(&f.sources[i..])).await;
                    }
                }
            }
            taken
        }
    };
    // 2. Followed to completed.
    let ids: Vec<String> = taken.iter().map(|(_, id)| id.clone()).collect();
    let states = match follow(t, region, &ids, progress).await {
        Ok(s) => s,
        Err(e) => {
            let not_done = vec![format!("following {} to completed", ids.join(", "))];
            return steps
                .fail(e, Record::new("snapshot.follow").targets(ids), not_done)
                .await;
        }
    };
    let mut rows = Vec::new();
    for (source, id) in &taken {
        let state = states.iter().find(|s| &s.snapshot_id == id);
        let state_name = state.map(|s| s.state.clone()).unwrap_or_default();
        let record = Record::new("snapshot.completed")
            .targets([source.volume_id.clone(), id.clone()])
            .result(
                json!({ "state": state_name, "message": state.and_then(|s| s.message.clone()) }),
            );
        if let Err(e) = steps.done(format!("{id} is {state_name}"), record).await {
            return steps.fail(e, Record::new("snapshot.log"), vec![]).await;
        }
        if state_name == "error" {
            let e = AwsError::new(ErrorKind::Other, "CreateSnapshot", id.clone()).with_message(
                format!(
                    "the snapshot failed: {}",
                    state.and_then(|s| s.message.clone()).unwrap_or_default()
                ),
            );
            return steps
                .fail(
                    e,
                    Record::new("snapshot.completed").targets([id.clone()]),
                    vec!["sharing".into()],
                )
                .await;
        }
        rows.push(json!({
            "snapshot_id": id,
            "volume_id": source.volume_id,
            "instance_id": source.instance_id,
            "region": region,
            "state": state_name,
        }));
    }
    // 3. Shared, and copied into the forensic account.
    if let Some(account) = &f.share_with {
        let mut key: Option<String> = None;
        for (n, (source, id)) in taken.iter().enumerate() {
            let left: Vec<String> = taken[n..]
                .iter()
                .map(|(_, id)| format!("sharing {id} with {account}"))
                .collect();
            let shared_id = if source.encrypted {
                let key_arn = match &key {
                    Some(k) => k.clone(),
                    None => {
                        let found = match &f.key {
                            Some(plan) => evidence_key(scope, &mut steps, plan, account).await,
                            None => Err((
                                AwsError::new(ErrorKind::Other, "sharing", id.clone())
                                    .with_message("no key was planned for the encrypted snapshots"),
                                Record::new("kms.key"),
                            )),
                        };
                        match found {
                            Ok(k) => {
                                key = Some(k.clone());
                                k
                            }
                            Err((e, failed)) => return steps.fail(e, failed, left).await,
                        }
                    }
                };
                match reencrypt(scope, &mut steps, id, &key_arn, progress).await {
                    Ok(copy) => copy,
                    Err(e) => {
                        return steps
                            .fail(e, Record::new("snapshot.copy").targets([id.clone()]), left)
                            .await
                    }
                }
            } else {
                id.clone()
            };
            if let Err(e) = share(scope, &mut steps, &shared_id, account).await {
                return steps
                    .fail(
                        e,
                        Record::new("snapshot.share").targets([shared_id.clone()]),
                        left,
                    )
                    .await;
            }
            rows[n]["shared_with"] = json!(account);
            rows[n]["shared_snapshot_id"] = json!(shared_id);
            if let Some(role) = &f.forensic_role {
                match forensic_copy(scope, &mut steps, role, &shared_id, progress).await {
                    Ok(copy) => rows[n]["forensic_copy_id"] = json!(copy),
                    Err(e) => {
                        let mut left = left;
                        left[0] = format!("copying {shared_id} into account {account} with {role}");
                        return steps
                            .fail(
                                e,
                                Record::new("snapshot.forensic-copy").targets([shared_id.clone()]),
                                left,
                            )
                            .await;
                    }
                }
            }
        }
    }
    steps.finish(json!(rows))
}

fn tag_list(tags: &[(String, String)]) -> Vec<String> {
    tags.iter().map(|(k, v)| format!("{k}={v}")).collect()
}

/// CreateSnapshots of every volume of `instance`, recorded as one step; each snapshot matched
/// to the volume it is of. A refusal made nothing (it is one call); a log that cannot be
/// written after it leaves the snapshots made (and named), the rest not done.
async fn take_together(
    scope: &Scope,
    steps: &mut Steps<'_>,
    instance: &str,
    sources: &[Source],
) -> Result<Vec<(Source, String)>, (AwsError, Vec<String>)> {
    let desc = instance_description(scope, instance);
    let tags = instance_tags(scope, instance, &now());
    let record = Record::new("snapshot.create")
        .targets([instance.to_string()])
        .params(json!({ "instance_id": instance, "description": desc, "tags": tag_list(&tags) }));
    let infos =
        evidence::create_snapshots(&scope.target, &scope.region, instance, &desc, &tags, false)
            .await
            .map_err(|e| (scope.denied(e, "ec2:CreateSnapshots"), rest(sources)))?
            .unwrap_or_default();
    for i in &infos {
        steps.made(i.snapshot_id.clone());
    }
    let taken: Vec<(Source, String)> = infos
        .iter()
        .map(|i| {
            let source = sources
                .iter()
                .find(|s| s.volume_id == i.volume_id)
                .cloned()
                // Attached since the plan was made: taken too, and said so.
                .unwrap_or_else(|| Source {
                    volume_id: i.volume_id.clone(),
                    instance_id: Some(instance.to_string()),
                    size_gib: 0,
                    encrypted: i.encrypted,
                    kms_key_id: i.kms_key_id.clone(),
                });
            (source, i.snapshot_id.clone())
        })
        .collect();
    let mut targets = vec![instance.to_string()];
    targets.extend(infos.iter().map(|i| i.snapshot_id.clone()));
    let record = record.targets(targets).result(json!({
        "snapshots": infos.iter().map(|i| json!({ "snapshot_id": i.snapshot_id, "volume_id": i.volume_id, "state": i.state })).collect::<Vec<_>>(),
    }));
    let text = format!(
        "took {} of {instance} at one instant",
        taken
            .iter()
            .map(|(s, id)| format!("{id} of {}", s.volume_id))
            .collect::<Vec<_>>()
            .join(", ")
    );
    if let Err(e) = steps.done(text, record).await {
        return Err((
            e,
            vec!["following the snapshots to completed, sharing them".into()],
        ));
    }
    // Each snapshot named by its volume. A tag that cannot be added is said, and the evidence
    // goes on: the snapshot's own VolumeId still names the volume.
    for (source, id) in &taken {
        let tags = volume_tags(scope, &source.volume_id);
        let record = Record::new("snapshot.tag")
            .targets([id.clone()])
            .params(json!({ "tags": tag_list(&tags) }));
        match network::tag(&scope.target, &scope.region, id, &tags, false).await {
            Ok(_) => {
                if let Err(e) = steps
                    .done(format!("tagged {id} with {}", source.volume_id), record)
                    .await
                {
                    return Err((
                        e,
                        vec!["following the snapshots to completed, sharing them".into()],
                    ));
                }
            }
            Err(e) => {
                let _ = scope.record(record.failed(&e)).await;
                steps.skip(format!(
                    "tagging {id} with its volume {}: {e}",
                    source.volume_id
                ));
            }
        }
    }
    for s in sources {
        if !infos.iter().any(|i| i.volume_id == s.volume_id) {
            steps.skip(format!(
                "a snapshot of {} (no longer attached to {instance}? take it with --volume {})",
                s.volume_id, s.volume_id
            ));
        }
    }
    Ok(taken)
}

fn rest(sources: &[Source]) -> Vec<String> {
    sources
        .iter()
        .map(|s| format!("snapshot of {}", s.volume_id))
        .collect()
}
