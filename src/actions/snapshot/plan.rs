//! Planning a snapshot: what will be snapshotted, shared and copied, and each call checked
//! with DryRun (or, where EC2 has none, with a read) before anything is asked of the responder.

use super::*;
use crate::actions::checked;

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
    let (title, sources, whole) = sources(scope, instance.as_ref(), volume.as_ref()).await?;
    let given = share_with.is_some();
    let mut warnings = Vec::new();
    if let (Some(given), Some(configured)) = (share_with, &scope.case.forensic_account) {
        if given != configured {
            warnings.push(format!(
                "--share-with {given} is NOT the configured forensic account {configured} ([case] forensic_account): the evidence is shared with {given}"
            ));
        }
    }
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
    if let (Some(role), Some(account)) = (&forensic_role, &share_with) {
        role_in_account(role, account, given, &title)?;
    }

    check_take(scope, whole.as_deref(), &sources).await?;

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
    let mut notes = warnings;
    let dry = "checked: DryRun";
    match &whole {
        Some(i) => {
            calls.push(checked(format!(
                "ec2:CreateSnapshots InstanceId={i} (its {} volume{} at one instant) Description=\"{}\" Tags: {}",
                sources.len(),
                if sources.len() == 1 { "" } else { "s" },
                instance_description(scope, i),
                tag_text(&instance_tags(scope, i, AT_TAKING, AT_REQUEST))
            ), dry));
            // The snapshots do not exist yet: CreateTags is checked on the instance.
            network::tag(t, region, i, &volume_tags(scope, "<volume>"), true)
                .await
                .map_err(|e| scope.denied(e, "ec2:CreateTags"))?;
            for src in &sources {
                calls.push(checked(
                    format!(
                        "ec2:CreateTags on the snapshot of {}: {}",
                        src.volume_id,
                        tag_text(&volume_tags(scope, &src.volume_id))
                    ),
                    &format!("checked: DryRun on {i} (the snapshot does not exist yet)"),
                ));
            }
            notes.push(
                "the volumes are taken at one instant (crash-consistent), not application-consistent: what is only in memory is in none of them (C captures what the console shows)".into(),
            );
        }
        None => {
            for s in &sources {
                calls.push(checked(
                    format!(
                        "ec2:CreateSnapshot VolumeId={} Description=\"{}\" Tags: {}",
                        s.volume_id,
                        description(scope, s),
                        tag_text(&tags(scope, s, AT_TAKING, AT_REQUEST))
                    ),
                    dry,
                ));
            }
        }
    }
    calls.push(checked(
        format!(
            "ec2:DescribeSnapshots until every snapshot is completed (at most {} minutes)",
            FOLLOW_LIMIT.as_secs() / 60
        ),
        "a read",
    ));
    notes.push("nothing is deleted: the snapshots stay, tagged with the case".into());
    if let Some(account) = &share_with {
        share_calls(
            scope,
            &sources,
            account,
            key.as_ref(),
            forensic_role.as_ref(),
            &mut calls,
        )
        .await?;
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

/// The calls that share (and copy) the snapshots, each with how it was checked before asking:
/// the key's grant is read now (a configured key, or the case's key found by its alias), the
/// forensic role is assumed now; what needs the snapshot first is said to be checked with DryRun
/// just before it runs.
async fn share_calls(
    scope: &Scope,
    sources: &[Source],
    account: &str,
    key: Option<&KeyPlan>,
    forensic_role: Option<&RoleArn>,
    calls: &mut Vec<String>,
) -> Result<(), AwsError> {
    let t = &scope.target;
    let region = &scope.region;
    let later = "not checked before the run: it needs the snapshot; checked with DryRun just before it runs";
    let encrypted = sources.iter().any(|s| s.encrypted);
    if encrypted {
        match key {
            Some(KeyPlan::Configured(arn)) => {
                check_grant(scope, arn, "[case] kms_key_arn", account).await?;
                calls.push(checked(
                    format!("use KMS key {arn} ([case] kms_key_arn) for the encrypted ones"),
                    &format!("checked: kms:GetKeyPolicy read, it grants account {account} what EBS needs"),
                ));
            }
            Some(KeyPlan::Case { alias }) => {
                let found = kms::key_by_alias(t, region, alias)
                    .await
                    .map_err(|e| scope.denied(e, "kms:DescribeKey"))?;
                match found {
                    Some(arn) => {
                        check_grant(scope, &arn, alias, account).await?;
                        calls.push(checked(
                            format!("use KMS key {arn} ({alias}), the case's key for account {account}"),
                            &format!("checked: kms:DescribeKey and kms:GetKeyPolicy read, it grants account {account} what EBS needs"),
                        ));
                    }
                    None => calls.push(checked(
                        format!(
                            "kms:CreateKey (policy: account {account} may use it for EBS; tags rolecall:case={}, rolecall:purpose=evidence, rolecall:forensic-account={account}) then kms:CreateAlias {alias}",
                            scope.case_id
                        ),
                        &format!("kms:DescribeKey {alias} read: no key yet; not checked before the run: KMS has no DryRun"),
                    )),
                }
            }
            None => {}
        }
        calls.push(checked(
            "ec2:CopySnapshot of each encrypted snapshot, Encrypted=true KmsKeyId=<that key> (the copy is what is shared; a snapshot under aws/ebs cannot be), then ec2:DescribeSnapshots until the copy is completed",
            later,
        ));
    }
    calls.push(checked(
        format!(
            "ec2:ModifySnapshotAttribute createVolumePermission add UserId={account} on each snapshot{}",
            if encrypted { " (the copies, for the encrypted ones)" } else { "" }
        ),
        later,
    ));
    calls.push(checked(
        "ec2:DescribeSnapshotAttribute to check each share",
        "a read",
    ));
    if let Some(role) = forensic_role {
        let params =
            crate::roles::Role::from_arn(role.clone()).assume_params(&scope.defaults, None, None);
        let result = crate::aws::assume::assume_role(&scope.aws, &params).await;
        scope
            .record(crate::case::records::assumed("assume", &params, &result))
            .await?;
        result.map_err(|e| {
            let hint = format!("the forensic role {role} must trust the primary identity, and it may ([case] forensic_role)");
            e.with_hint(hint)
        })?;
        calls.push(checked(
            format!("sts:AssumeRole {role}"),
            "checked: assumed now, recorded in the case log",
        ));
        calls.push(checked(
            format!("ec2:CopySnapshot of each shared snapshot in account {account} (it owns the copy), then ec2:DescribeSnapshots there until each copy is completed"),
            later,
        ));
    }
    Ok(())
}

/// A key the forensic account must be able to use: its policy read, and the plan refused when
/// it does not grant `account` what EBS needs.
async fn check_grant(scope: &Scope, arn: &str, named: &str, account: &str) -> Result<(), AwsError> {
    let policy = kms::key_policy(&scope.target, &scope.region, arn)
        .await
        .map_err(|e| scope.denied(e, "kms:GetKeyPolicy"))?;
    let missing = kms::ungranted(&policy, account);
    if missing.is_empty() {
        return Ok(());
    }
    Err(AwsError::new(ErrorKind::Other, "checking the key", arn.to_string())
        .with_message(format!(
            "key {arn} ({named}) does not let account {account} use it (not granted: {}), so a snapshot copied under it could not be used there",
            missing.join(", ")
        ))
        .with_hint(format!(
            "grant account {account} kms:Decrypt, kms:DescribeKey, kms:ReEncrypt*, kms:GenerateDataKey* and kms:CreateGrant in the policy of {arn}, or set [case] kms_key_arn to a key that does, or open a new case (rolecall case open ID) and rolecall makes a key for it"
        )))
}

/// What is snapshotted: the title, each volume, and the instance when all its volumes are taken
/// together.
async fn sources(
    scope: &Scope,
    instance: Option<&String>,
    volume: Option<&String>,
) -> Result<(String, Vec<Source>, Option<String>), AwsError> {
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
    Ok((title, sources, whole))
}

/// The forensic role copies what is shared with its own account: shared with another, its
/// copy could only fail, after the snapshots are made and shared. Refused before anything.
fn role_in_account(
    role: &RoleArn,
    account: &str,
    given: bool,
    title: &str,
) -> Result<(), AwsError> {
    if role.account_id() != account {
        let from = if given {
            "--share-with"
        } else {
            "[case] forensic_account"
        };
        return Err(AwsError::new(ErrorKind::Other, "planning", title.to_string())
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
    Ok(())
}

/// DryRun of the snapshots before anything changes: a refusal is explained, nothing is made.
async fn check_take(
    scope: &Scope,
    whole: Option<&str>,
    sources: &[Source],
) -> Result<(), AwsError> {
    let t = &scope.target;
    let region = &scope.region;
    match whole {
        Some(i) => evidence::create_snapshots(
            t,
            region,
            i,
            &instance_description(scope, i),
            &instance_tags(scope, i, &now(), AT_REQUEST),
            true,
        )
        .await
        .map(|_| ())
        .map_err(|e| scope.denied(e, "ec2:CreateSnapshots"))?,
        None => {
            for s in sources {
                evidence::create_snapshot(
                    t,
                    region,
                    &s.volume_id,
                    &description(scope, s),
                    &tags(scope, s, &now(), AT_REQUEST),
                    true,
                )
                .await
                .map_err(|e| scope.denied(e, "ec2:CreateSnapshot"))?;
            }
        }
    }
    Ok(())
}
