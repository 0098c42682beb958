//! EBS snapshots as evidence: taken, followed to `completed`, shared, copied.

use aws_sdk_ec2::types::{
    Filter, OperationType, ResourceType, SnapshotAttributeName, SnapshotState,
};

use super::{send, tag_spec};
use crate::aws::ec2::region_error;
use crate::aws::target::RoleTarget;
use crate::aws::AwsError;

/// A snapshot as rolecall follows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SnapshotInfo {
    pub snapshot_id: String,
    pub volume_id: String,
    /// `pending`, `completed`, `error`, …
    pub state: String,
    /// "45%".
    pub progress: Option<String>,
    pub encrypted: bool,
    pub kms_key_id: Option<String>,
    /// Why it failed, for `error`.
    pub message: Option<String>,
}

fn info(s: &aws_sdk_ec2::types::Snapshot) -> SnapshotInfo {
    SnapshotInfo {
        snapshot_id: s.snapshot_id().unwrap_or_default().to_string(),
        volume_id: s.volume_id().unwrap_or_default().to_string(),
        state: s
            .state()
            .map(|x| x.as_str().to_string())
            .unwrap_or_else(|| "pending".into()),
        progress: s.progress().map(str::to_string),
        encrypted: s.encrypted().unwrap_or(false),
        kms_key_id: s.kms_key_id().map(str::to_string),
        message: s.state_message().map(str::to_string),
    }
}

/// ec2:CreateSnapshot of one volume, tagged, with a description.
pub async fn create_snapshot(
    t: &RoleTarget,
    region: &str,
    volume_id: &str,
    description: &str,
    tags: &[(String, String)],
    dry_run: bool,
) -> Result<Option<SnapshotInfo>, AwsError> {
    let call = t
        .ec2(region)
        .create_snapshot()
        .volume_id(volume_id)
        .description(description)
        .tag_specifications(tag_spec(ResourceType::Snapshot, tags))
        .dry_run(dry_run)
        .send();
    send(dry_run, "CreateSnapshot", region, call, |out| {
        SnapshotInfo {
            snapshot_id: out.snapshot_id().unwrap_or_default().to_string(),
            volume_id: volume_id.to_string(),
            state: out
                .state()
                .map(SnapshotState::as_str)
                .unwrap_or("pending")
                .to_string(),
            progress: out.progress().map(str::to_string),
            encrypted: out.encrypted().unwrap_or(false),
            kms_key_id: out.kms_key_id().map(str::to_string),
            message: out.state_message().map(str::to_string),
        }
    })
    .await
}

/// ec2:CreateSnapshots: every EBS volume attached to the instance, at one instant
/// (crash-consistent across its volumes), tagged alike.
pub async fn create_snapshots(
    t: &RoleTarget,
    region: &str,
    instance_id: &str,
    description: &str,
    tags: &[(String, String)],
    dry_run: bool,
) -> Result<Option<Vec<SnapshotInfo>>, AwsError> {
    let spec = aws_sdk_ec2::types::InstanceSpecification::builder()
        .instance_id(instance_id)
        .exclude_boot_volume(false)
        .build();
    let call = t
        .ec2(region)
        .create_snapshots()
        .instance_specification(spec)
        .description(description)
        .tag_specifications(tag_spec(ResourceType::Snapshot, tags))
        .dry_run(dry_run)
        .send();
    send(dry_run, "CreateSnapshots", region, call, |out| {
        out.snapshots()
            .iter()
            .map(|s| SnapshotInfo {
                snapshot_id: s.snapshot_id().unwrap_or_default().to_string(),
                volume_id: s.volume_id().unwrap_or_default().to_string(),
                state: s
                    .state()
                    .map(SnapshotState::as_str)
                    .unwrap_or("pending")
                    .to_string(),
                progress: s.progress().map(str::to_string),
                encrypted: s.encrypted().unwrap_or(false),
                kms_key_id: None,
                message: None,
            })
            .collect()
    })
    .await
}

/// Where the snapshots stand now.
pub async fn describe_snapshots(
    t: &RoleTarget,
    region: &str,
    ids: &[String],
) -> Result<Vec<SnapshotInfo>, AwsError> {
    let out = t
        .ec2(region)
        .describe_snapshots()
        .set_snapshot_ids(Some(ids.to_vec()))
        .send()
        .await
        .map_err(|e| region_error(e, "DescribeSnapshots", region))?;
    Ok(out.snapshots().iter().map(info).collect())
}

/// ec2:ModifySnapshotAttribute: lets `account` create volumes from the snapshot.
pub async fn share_snapshot(
    t: &RoleTarget,
    region: &str,
    snapshot_id: &str,
    account: &str,
    dry_run: bool,
) -> Result<Option<()>, AwsError> {
    let call = t
        .ec2(region)
        .modify_snapshot_attribute()
        .snapshot_id(snapshot_id)
        .attribute(SnapshotAttributeName::CreateVolumePermission)
        .operation_type(OperationType::Add)
        .user_ids(account)
        .dry_run(dry_run)
        .send();
    send(dry_run, "ModifySnapshotAttribute", region, call, |_| ()).await
}

/// The accounts a snapshot is shared with (ec2:DescribeSnapshotAttribute).
pub async fn shared_with(
    t: &RoleTarget,
    region: &str,
    snapshot_id: &str,
) -> Result<Vec<String>, AwsError> {
    let out = t
        .ec2(region)
        .describe_snapshot_attribute()
        .snapshot_id(snapshot_id)
        .attribute(SnapshotAttributeName::CreateVolumePermission)
        .send()
        .await
        .map_err(|e| region_error(e, "DescribeSnapshotAttribute", region))?;
    Ok(out
        .create_volume_permissions()
        .iter()
        .filter_map(|p| p.user_id().map(str::to_string))
        .collect())
}

/// ec2:CopySnapshot in the same region, encrypted with `kms_key` when given (into the account
/// of the credentials: a shared snapshot is copied into the account that owns the copy).
pub async fn copy_snapshot(
    t: &RoleTarget,
    region: &str,
    source_id: &str,
    kms_key: Option<&str>,
    description: &str,
    tags: &[(String, String)],
    dry_run: bool,
) -> Result<Option<String>, AwsError> {
    let call = t
        .ec2(region)
        .copy_snapshot()
        .source_region(region)
        .source_snapshot_id(source_id)
        .set_encrypted(kms_key.map(|_| true))
        .set_kms_key_id(kms_key.map(str::to_string))
        .description(description)
        .tag_specifications(tag_spec(ResourceType::Snapshot, tags))
        .dry_run(dry_run)
        .send();
    send(dry_run, "CopySnapshot", region, call, |out| {
        out.snapshot_id().unwrap_or_default().to_string()
    })
    .await
}

/// The snapshots this account owns that carry every one of `tags` (ec2:DescribeSnapshots): what
/// a call whose answer was lost may have made, looked for before making it again.
pub async fn find_tagged(
    t: &RoleTarget,
    region: &str,
    tags: &[(String, String)],
) -> Result<Vec<SnapshotInfo>, AwsError> {
    let mut call = t.ec2(region).describe_snapshots().owner_ids("self");
    for (k, v) in tags {
        call = call.filters(Filter::builder().name(format!("tag:{k}")).values(v).build());
    }
    let out = call
        .send()
        .await
        .map_err(|e| region_error(e, "DescribeSnapshots", region))?;
    Ok(out.snapshots().iter().map(info).collect())
}
