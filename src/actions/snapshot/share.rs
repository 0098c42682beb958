//! Sharing evidence with the forensic account: the key encrypted snapshots are re-encrypted
//! under, the copies, the createVolumePermission, and the forensic account's own copy.

use serde_json::json;

use super::{follow, not_completed, request_token, KeyPlan, FOLLOW_LIMIT, REQUEST};
use crate::actions::{Progress, Scope, Steps};
use crate::aws::act::{evidence, kms};
use crate::aws::arn::RoleArn;
use crate::aws::assume::assume_role;
use crate::aws::target::RoleTarget;
use crate::aws::{AwsError, ErrorKind};
use crate::case::{records, Record};

/// The key encrypted snapshots are copied under: the configured one, or the case's own for
/// `account` (made, with a policy the forensic account may use, when there is none yet). A key
/// found by its alias is used only when its policy lets `account` use it. On failure, the
/// record of the step that failed.
pub(super) async fn evidence_key(
    scope: &Scope,
    steps: &mut Steps<'_>,
    plan: &KeyPlan,
    account: &str,
) -> Result<String, (AwsError, Record)> {
    let t = &scope.target;
    let region = &scope.region;
    let alias = match plan {
        KeyPlan::Configured(arn) => return Ok(arn.clone()),
        KeyPlan::Case { alias } => alias,
    };
    let found = kms::key_by_alias(t, region, alias).await.map_err(|e| {
        (
            scope.denied(e, "kms:DescribeKey"),
            Record::new("kms.describe-key").targets([alias.clone()]),
        )
    })?;
    if let Some(arn) = found {
        check_grant(scope, &arn, alias, account).await?;
        steps.say(format!(
            "using key {arn} ({alias}): account {account} may use it"
        ));
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
        ("rolecall:forensic-account".to_string(), account.to_string()),
    ];
    let create = Record::new("kms.create-key").params(json!({
        "alias": alias,
        "description": description,
        "policy": policy,
        "tags": tags.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>(),
    }));
    let arn = match kms::create_key(t, region, &description, &policy, &tags).await {
        Ok(arn) => arn,
        Err(e) => return Err((scope.denied(e, "kms:CreateKey"), create)),
    };
    // Named and recorded as soon as it exists: an alias that then fails leaves a known key.
    steps.made(arn.clone());
    let create = create
        .targets([arn.clone()])
        .result(json!({ "key_arn": arn }));
    if let Err(e) = steps
        .done(format!("made key {arn} for account {account}"), create)
        .await
    {
        return Err((e, Record::new("kms.log").targets([arn])));
    }
    let name = Record::new("kms.create-alias")
        .targets([alias.clone(), arn.clone()])
        .params(json!({ "alias": alias, "key_arn": arn }));
    if let Err(e) = kms::create_alias(t, region, alias, &arn).await {
        // Not scope.denied: its hint says nothing was changed, and the key was made.
        let denied = if e.kind == ErrorKind::AccessDenied {
            format!(
                "; role {} may not call kms:CreateAlias: add {} to its permission policy",
                scope.role,
                json!({ "Effect": "Allow", "Action": "kms:CreateAlias", "Resource": "*" })
            )
        } else {
            String::new()
        };
        let hint = format!(
            "key {arn} was made (its policy lets account {account} use it) but is not named {alias}, so a new run would not find it and would make another: name it (aws kms create-alias --alias-name {alias} --target-key-id {arn}) or set [case] kms_key_arn = \"{arn}\"{denied}"
        );
        let message = format!("key {arn} was made but not named {alias}: {}", e.message);
        return Err((e.with_message(message).with_hint(hint), name));
    }
    steps.made(format!("{alias} (names {arn})"));
    if let Err(e) = steps.done(format!("named key {arn} {alias}"), name).await {
        return Err((e, Record::new("kms.log").targets([arn])));
    }
    Ok(arn)
}

/// A case key found by its alias is used only if its policy lets `account` use it: else the
/// snapshot would be shared under a key the forensic account cannot read.
async fn check_grant(
    scope: &Scope,
    arn: &str,
    alias: &str,
    account: &str,
) -> Result<(), (AwsError, Record)> {
    let record = || Record::new("kms.key-policy").targets([alias.to_string(), arn.to_string()]);
    let policy = kms::key_policy(&scope.target, &scope.region, arn)
        .await
        .map_err(|e| (scope.denied(e, "kms:GetKeyPolicy"), record()))?;
    let missing = kms::ungranted(&policy, account);
    if missing.is_empty() {
        return Ok(());
    }
    let e = AwsError::new(ErrorKind::Other, "checking the case key", arn.to_string())
        .with_message(format!(
            "key {arn} ({alias}) exists, but its policy does not let account {account} use it (not granted: {}), so a snapshot copied under it could not be used there",
            missing.join(", ")
        ))
        .with_hint(format!(
            "set [case] kms_key_arn to a key whose policy grants account {account} kms:Decrypt, kms:DescribeKey, kms:ReEncrypt*, kms:GenerateDataKey* and kms:CreateGrant, or open a new case (rolecall case open ID) and rolecall makes one; or grant account {account} those in the policy of {arn}"
        ));
    Err((e, record()))
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
    let copy = copy_once(steps, t, region, snapshot, Some(key), &description, tags)
        .await
        .map_err(|e| scope.denied(e, "ec2:CopySnapshot"))?;
    no_id(&copy, snapshot)?;
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
    let done = follow(
        t,
        region,
        std::slice::from_ref(&copy),
        progress,
        FOLLOW_LIMIT,
    )
    .await?;
    if let Some(e) = done.iter().find_map(|s| not_completed(s, "the copy")) {
        let message = format!(
            "{} (is the key usable by this role, in this region?)",
            e.message
        );
        return Err(e.with_message(message));
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
    let forensic = RoleTarget::new(
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
    let copy = copy_once(steps, &forensic, region, snapshot, None, &description, tags).await?;
    no_id(&copy, snapshot)?;
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
    let done = follow(
        &forensic,
        region,
        std::slice::from_ref(&copy),
        progress,
        FOLLOW_LIMIT,
    )
    .await?;
    if let Some(e) = done.iter().find_map(|s| not_completed(s, "the copy")) {
        let message = format!(
            "{} in account {} (if {snapshot} is encrypted: may role {role} use its key?)",
            e.message,
            role.account_id()
        );
        return Err(e.with_message(message));
    }
    Ok(copy)
}

/// CopySnapshot, made once: CopySnapshot takes no idempotency token, so the copy carries one of
/// rolecall's own (`rolecall:request`); after an answer that was lost (or a retry by the SDK),
/// the copies with that tag are looked for before anything is made again, and every one found
/// is named.
async fn copy_once(
    steps: &mut Steps<'_>,
    t: &RoleTarget,
    region: &str,
    snapshot: &str,
    key: Option<&str>,
    description: &str,
    mut tags: Vec<(String, String)>,
) -> Result<String, AwsError> {
    let token = (REQUEST.to_string(), request_token());
    tags.push(token.clone());
    let made = evidence::copy_snapshot(t, region, snapshot, key, description, &tags, false).await;
    let found = evidence::find_tagged(t, region, std::slice::from_ref(&token))
        .await
        .unwrap_or_default();
    let copy = match made {
        Ok(id) => id.unwrap_or_default(),
        Err(e) => match found.first() {
            // The answer was lost, but the copy was made: used, not made again.
            Some(s) => {
                steps.say(format!(
                    "CopySnapshot of {snapshot} failed ({e}), but made {}: it is used",
                    s.snapshot_id
                ));
                s.snapshot_id.clone()
            }
            None => return Err(e),
        },
    };
    for extra in found.iter().filter(|s| s.snapshot_id != copy) {
        steps.made(format!(
            "{} (a second copy of {snapshot}, made by a retry)",
            extra.snapshot_id
        ));
    }
    Ok(copy)
}

/// A CopySnapshot answer with no snapshot id: nothing to follow or name.
/// An id that is not a snapshot's is not followed, shared or named in a path either.
fn no_id(copy: &str, snapshot: &str) -> Result<(), AwsError> {
    if copy.is_empty() || crate::aws::act::ids::snapshot(copy).is_err() {
        return Err(
            AwsError::new(ErrorKind::Other, "CopySnapshot", snapshot.to_string())
                .with_message(format!("the answer held no snapshot id (\"{copy}\"): look for a copy tagged rolecall:source-snapshot with this id")),
        );
    }
    Ok(())
}
