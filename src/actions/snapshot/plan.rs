//! Planning a snapshot: what will be snapshotted, shared and copied, and each call checked
//! with DryRun (or, where EC2 has none, with a read) before anything is asked of the responder.

use super::*;

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
