//! Sharing evidence with the forensic account: the key encrypted snapshots are re-encrypted
//! under, the copies, the createVolumePermission, and the forensic account's own copy.

use serde_json::json;

use super::{follow, KeyPlan};
use crate::actions::{Progress, Scope, Steps};
use crate::aws::act::{evidence, kms};
use crate::aws::arn::RoleArn;
use crate::aws::assume::assume_role;
use crate::aws::ec2::Ec2Target;
use crate::aws::{AwsError, ErrorKind};
use crate::case::{records, Record};

/// The key encrypted snapshots are copied under: the configured one, or the case's own (made,
/// with a policy the forensic account may use, when there is none yet).
pub(super) async fn evidence_key(
    scope: &Scope,
    steps: &mut Steps<'_>,
    plan: &KeyPlan,
    account: &str,
) -> Result<String, AwsError> {
    let t = &scope.target;
    let region = &scope.region;
    match plan {
        KeyPlan::Configured(arn) => Ok(arn.clone()),
        KeyPlan::Case { alias } => {
            if let Some(arn) = kms::key_by_alias(t, region, alias).await? {
                steps.say(format!("using key {arn} ({alias})"));
                return Ok(arn);
            }
            let partition = scope.role.partition().as_str().to_string();
            let policy = kms::evidence_key_policy(scope.role.account_id(), account, &partition);
            let description = format!(
                "rolecall evidence key of case {}: account {account} may use it for EBS",
                scope.case_id
            );
            let tags = vec![
                ("rolecall:case".to_string(), scope.case_id.clone()),
                ("rolecall:purpose".to_string(), "evidence".to_string()),
            ];
            let arn = kms::create_key(t, region, alias, &description, &policy, &tags)
                .await
                .map_err(|e| scope.denied(e, "kms:CreateKey"))?;
            steps.made(arn.clone());
            let record = Record::new("kms.create-key")
                .targets([arn.clone()])
                .params(json!({ "alias": alias, "policy": policy }));
            steps
                .done(
                    format!("made key {arn} ({alias}) for account {account}"),
                    record,
                )
                .await?;
            Ok(arn)
        }
    }
}

/// Copies an encrypted snapshot re-encrypted under `key` (DryRun first); returns the copy.
pub(super) async fn reencrypt(
    scope: &Scope,
    steps: &mut Steps<'_>,
    snapshot: &str,
    key: &str,
    progress: &dyn Progress,
) -> Result<String, AwsError> {
    let t = &scope.target;
    let region = &scope.region;
    let description = format!("case {}: {snapshot} re-encrypted to share", scope.case_id);
    let tags = vec![
        (
            "Name".to_string(),
            format!("{} {snapshot} copy", scope.case_id),
        ),
        ("rolecall:case".to_string(), scope.case_id.clone()),
        ("rolecall:source-snapshot".to_string(), snapshot.to_string()),
        ("rolecall:taken-by".to_string(), scope.actor.clone()),
    ];
    evidence::copy_snapshot(t, region, snapshot, Some(key), &description, &tags, true)
        .await
        .map_err(|e| scope.denied(e, "ec2:CopySnapshot"))?;
    let copy = evidence::copy_snapshot(t, region, snapshot, Some(key), &description, &tags, false)
        .await
        .map_err(|e| scope.denied(e, "ec2:CopySnapshot"))?
        .unwrap_or_default();
    steps.made(copy.clone());
    let record = Record::new("snapshot.copy")
        .targets([snapshot.to_string(), copy.clone()])
        .params(json!({ "kms_key_id": key }))
        .result(json!({ "snapshot_id": copy }));
    steps
        .done(
            format!("copied {snapshot} to {copy} under key {key}"),
            record,
        )
        .await?;
    let done = follow(t, region, std::slice::from_ref(&copy), progress).await?;
    if done.iter().any(|s| s.state == "error") {
        return Err(
            AwsError::new(ErrorKind::Other, "CopySnapshot", copy.clone())
                .with_message("the copy failed (is the key usable by this role, in this region?)"),
        );
    }
    Ok(copy)
}

/// Shares a snapshot with `account` (DryRun first), and checks that it is.
pub(super) async fn share(
    scope: &Scope,
    steps: &mut Steps<'_>,
    snapshot: &str,
    account: &str,
) -> Result<(), AwsError> {
    let t = &scope.target;
    let region = &scope.region;
    evidence::share_snapshot(t, region, snapshot, account, true)
        .await
        .map_err(|e| scope.denied(e, "ec2:ModifySnapshotAttribute"))?;
    evidence::share_snapshot(t, region, snapshot, account, false)
        .await
        .map_err(|e| scope.denied(e, "ec2:ModifySnapshotAttribute"))?;
    let now = evidence::shared_with(t, region, snapshot).await?;
    if !now.iter().any(|a| a == account) {
        return Err(AwsError::new(
            ErrorKind::Other,
            "ModifySnapshotAttribute",
            snapshot.to_string(),
        )
        .with_message(format!("the snapshot is still not shared with {account}")));
    }
    let record = Record::new("snapshot.share")
        .targets([snapshot.to_string()])
        .params(json!({ "create_volume_permission": account }))
        .result(json!({ "shared_with": now }));
    steps
        .done(format!("shared {snapshot} with account {account}"), record)
        .await
}

/// Assumes the forensic role and copies the shared snapshot into its account (DryRun first).
pub(super) async fn forensic_copy(
    scope: &Scope,
    steps: &mut Steps<'_>,
    role: &RoleArn,
    snapshot: &str,
    progress: &dyn Progress,
) -> Result<String, AwsError> {
    let region = &scope.region;
    let params =
        crate::roles::Role::from_arn(role.clone()).assume_params(&scope.defaults, None, None);
    let result = assume_role(&scope.aws, &params).await;
    let record = records::assumed("assume", &params, &result);
    scope.record(record).await?;
    let session = result?;
    let forensic = Ec2Target::new(
        scope.aws.clone(),
        session.credentials.provider(),
        scope.defaults.page_size,
    );
    let description = format!(
        "case {}: {snapshot} from account {}",
        scope.case_id,
        scope.role.account_id()
    );
    let tags = vec![
        ("Name".to_string(), format!("{} {snapshot}", scope.case_id)),
        ("rolecall:case".to_string(), scope.case_id.clone()),
        ("rolecall:source-snapshot".to_string(), snapshot.to_string()),
        (
            "rolecall:source-account".to_string(),
            scope.role.account_id().to_string(),
        ),
        ("rolecall:taken-by".to_string(), scope.actor.clone()),
    ];
    evidence::copy_snapshot(&forensic, region, snapshot, None, &description, &tags, true).await?;
    let copy = evidence::copy_snapshot(
        &forensic,
        region,
        snapshot,
        None,
        &description,
        &tags,
        false,
    )
    .await?
    .unwrap_or_default();
    steps.made(format!("{copy} (in account {})", role.account_id()));
    let record = Record::new("snapshot.forensic-copy")
        .targets([snapshot.to_string(), copy.clone()])
        .params(json!({ "forensic_role": role.to_string(), "account": role.account_id() }))
        .result(json!({ "snapshot_id": copy }));
    steps
        .done(
            format!(
                "copied {snapshot} into account {} as {copy}",
                role.account_id()
            ),
            record,
        )
        .await?;
    follow(&forensic, region, std::slice::from_ref(&copy), progress).await?;
    Ok(copy)
}
