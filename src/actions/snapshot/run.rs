//! Running a confirmed snapshot plan: the snapshots (an instance's volumes together), each
//! followed to `completed`, then shared, re-encrypted or copied as planned; every step logged
//! before it is reported.

use super::*;

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
                let request = request_token();
                let tags = tags(scope, s, &now(), &request);
                let record = Record::new("snapshot.create")
                    .targets([s.volume_id.clone()])
                    .params(json!({ "description": desc, "tags": tag_list(&tags) }));
                let answer =
                    evidence::create_snapshot(t, region, &s.volume_id, &desc, &tags, false)
                        .await
                        .map(|info| info.into_iter().collect::<Vec<_>>());
                match made_by(scope, &mut steps, &request, answer)
                    .await
                    .map(|infos| infos.into_iter().next())
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
    let states = match follow(t, region, &ids, progress, FOLLOW_LIMIT).await {
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
        if let Some(e) = state.and_then(|s| not_completed(s, "the snapshot")) {
            let rest: Vec<String> = taken
                .iter()
                .skip_while(|(_, other)| other != id)
                .skip(1)
                .map(|(s, other)| format!("checking {other} of {} is completed", s.volume_id))
                .chain(
                    f.share_with
                        .iter()
                        .map(|a| format!("sharing the snapshots with {a}")),
                )
                .collect();
            return steps
                .fail(
                    e,
                    Record::new("snapshot.completed").targets([id.clone()]),
                    rest,
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
        let shared = share_all(scope, &mut steps, &f, account, &taken, &mut rows, progress).await;
        if let Err((e, failed, left)) = shared {
            return steps.fail(e, failed, left).await;
        }
    }
    steps.finish(json!(rows))
}

/// Shares each snapshot taken (an encrypted one re-encrypted first) and copies it into the
/// forensic account; on failure, the error, its record and everything not done.
async fn share_all(
    scope: &Scope,
    steps: &mut Steps<'_>,
    f: &Facts,
    account: &str,
    taken: &[(Source, String)],
    rows: &mut [serde_json::Value],
    progress: &dyn Progress,
) -> Result<(), (AwsError, Record, Vec<String>)> {
    let mut key: Option<String> = None;
    for (n, (source, id)) in taken.iter().enumerate() {
        // Every snapshot from this one on: shared, and copied into the forensic account.
        let left: Vec<String> = taken[n..]
            .iter()
            .flat_map(|(_, id)| {
                let copy = f.forensic_role.as_ref().map(|role| {
                    format!("copying {id} (or its copy) into account {account} with {role}")
                });
                std::iter::once(format!("sharing {id} with {account}")).chain(copy)
            })
            .collect();
        let shared_id = if source.encrypted {
            let key_arn = match &key {
                Some(k) => k.clone(),
                None => {
                    let found = match &f.key {
                        Some(plan) => evidence_key(scope, steps, plan, account).await,
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
                        Err((e, failed)) => return Err((e, failed, left)),
                    }
                }
            };
            match reencrypt(scope, steps, id, &key_arn, progress).await {
                Ok(copy) => copy,
                Err(e) => {
                    return Err((e, Record::new("snapshot.copy").targets([id.clone()]), left))
                }
            }
        } else {
            id.clone()
        };
        if let Err(e) = share(scope, steps, &shared_id, account).await {
            return Err((
                e,
                Record::new("snapshot.share").targets([shared_id.clone()]),
                left,
            ));
        }
        rows[n]["shared_with"] = json!(account);
        rows[n]["shared_snapshot_id"] = json!(shared_id);
        if let Some(role) = &f.forensic_role {
            match forensic_copy(scope, steps, role, &shared_id, progress).await {
                Ok(copy) => rows[n]["forensic_copy_id"] = json!(copy),
                Err(e) => {
                    let mut left = left;
                    left.remove(0);
                    left[0] = format!("copying {shared_id} into account {account} with {role}");
                    return Err((
                        e,
                        Record::new("snapshot.forensic-copy").targets([shared_id.clone()]),
                        left,
                    ));
                }
            }
        }
    }
    Ok(())
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
    let request = request_token();
    let tags = instance_tags(scope, instance, &now(), &request);
    let record = Record::new("snapshot.create")
        .targets([instance.to_string()])
        .params(json!({ "instance_id": instance, "description": desc, "tags": tag_list(&tags) }));
    let answer =
        evidence::create_snapshots(&scope.target, &scope.region, instance, &desc, &tags, false)
            .await
            .map(Option::unwrap_or_default);
    let infos = made_by(scope, steps, &request, answer)
        .await
        .map_err(|e| (scope.denied(e, "ec2:CreateSnapshots"), rest(sources)))?;
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
