//! EC2 instances and EBS volumes of one account, across its regions, all pages, regions in parallel.

use std::collections::BTreeMap;
use std::future::Future;

use aws_config::Region;
use aws_sdk_ec2::types::Tag;
use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio::task::JoinSet;

use super::assume::to_chrono;
use super::credentials::RoleCredentials;
use super::{Aws, AwsError, ErrorKind};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Instance {
    pub instance_id: String,
    /// The `Name` tag, empty when there is none.
    pub name: String,
    pub state: String,
    pub instance_type: String,
    pub region: String,
    pub availability_zone: String,
    pub private_ip: Option<String>,
    pub public_ip: Option<String>,
    pub launch_time: Option<DateTime<Utc>>,
    pub volume_ids: Vec<String>,
    pub tags: BTreeMap<String, String>,
    pub image_id: Option<String>,
    pub vpc_id: Option<String>,
    pub subnet_id: Option<String>,
    pub key_name: Option<String>,
    pub platform: Option<String>,
    pub architecture: Option<String>,
    pub iam_instance_profile: Option<String>,
    pub private_dns_name: Option<String>,
    pub public_dns_name: Option<String>,
    pub security_groups: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Volume {
    pub volume_id: String,
    pub name: String,
    pub size_gib: i32,
    pub volume_type: String,
    pub state: String,
    pub encrypted: bool,
    pub region: String,
    pub availability_zone: String,
    /// Instance ids this volume is attached to (several for multi-attach io1/io2).
    pub attached_to: Vec<String>,
    pub snapshot_id: Option<String>,
    pub iops: Option<i32>,
    pub create_time: Option<DateTime<Utc>>,
    pub kms_key_id: Option<String>,
    pub tags: BTreeMap<String, String>,
}

/// A region that could not be listed.
#[derive(Debug, Clone)]
pub struct RegionFailure {
    pub region: String,
    pub error: AwsError,
}

/// What came back from every region: the rows of those that answered, and those that failed.
#[derive(Debug, Clone)]
pub struct Listing<T> {
    pub items: Vec<T>,
    pub failures: Vec<RegionFailure>,
}

impl<T> Default for Listing<T> {
    fn default() -> Self {
        Listing {
            items: Vec::new(),
            failures: Vec::new(),
        }
    }
}

/// Where and as whom to call EC2: the primary setup (endpoint, timeouts, retries) and a role's
/// credentials.
#[derive(Clone)]
pub struct Ec2Target {
    aws: Aws,
    credentials: RoleCredentials,
    /// MaxResults per page (5..=1000).
    page_size: i32,
}

impl Ec2Target {
    pub fn new(aws: Aws, credentials: RoleCredentials, page_size: i32) -> Self {
        Ec2Target {
            aws,
            credentials,
            page_size,
        }
    }

    pub(in crate::aws) fn client(&self, region: &str) -> aws_sdk_ec2::Client {
        let conf = aws_sdk_ec2::config::Builder::from(self.aws.sdk())
            .region(Region::new(region.to_string()))
            .credentials_provider(self.credentials.sdk())
            .build();
        aws_sdk_ec2::Client::from_conf(conf)
    }
}

impl Ec2Target {
    /// A KMS client in `region`, as the same role.
    pub(in crate::aws) fn kms(&self, region: &str) -> aws_sdk_kms::Client {
        let conf = aws_sdk_kms::config::Builder::from(self.aws.sdk())
            .region(aws_config::Region::new(region.to_string()))
            .credentials_provider(self.credentials.sdk())
            .build();
        aws_sdk_kms::Client::from_conf(conf)
    }
}

/// What rolecall lists in an account's regions: instances, volumes.
pub trait Listable: Sized + Send + 'static {
    /// Every one in `regions` (all pages, regions in parallel), and the regions that failed.
    fn list(target: &Ec2Target, regions: &[String]) -> impl Future<Output = Listing<Self>> + Send;
}

impl Listable for Instance {
    fn list(target: &Ec2Target, regions: &[String]) -> impl Future<Output = Listing<Self>> + Send {
        list_instances(target, regions)
    }
}

impl Listable for Volume {
    fn list(target: &Ec2Target, regions: &[String]) -> impl Future<Output = Listing<Self>> + Send {
        list_volumes(target, regions)
    }
}

/// Runs `job` for every region at once and gathers rows and failures, regions in the given order.
async fn per_region<T, F, Fut>(target: &Ec2Target, regions: &[String], job: F) -> Listing<T>
where
    T: Send + 'static,
    F: Fn(aws_sdk_ec2::Client, String, i32) -> Fut,
    Fut: Future<Output = Result<Vec<T>, AwsError>> + Send + 'static,
{
    let mut set = JoinSet::new();
    for (i, region) in regions.iter().enumerate() {
        let fut = job(target.client(region), region.clone(), target.page_size);
        let region = region.clone();
        set.spawn(async move { (i, region, fut.await) });
    }
    let mut results = Vec::with_capacity(regions.len());
    while let Some(joined) = set.join_next().await {
        match joined {
            Ok(r) => results.push(r),
            Err(e) => tracing::error!("a region task failed: {e}"),
        }
    }
    results.sort_by_key(|(i, _, _)| *i);
    let mut listing = Listing::default();
    for (_, region, result) in results {
        match result {
            Ok(mut rows) => listing.items.append(&mut rows),
            Err(error) => listing.failures.push(RegionFailure { region, error }),
        }
    }
    listing
}

fn tag_map(tags: &[Tag]) -> BTreeMap<String, String> {
    tags.iter()
        .filter_map(|t| {
            Some((
                t.key()?.to_string(),
                t.value().unwrap_or_default().to_string(),
            ))
        })
        .collect()
}

pub(in crate::aws) fn region_error<E>(
    e: aws_sdk_ec2::error::SdkError<E, aws_sdk_ec2::config::http::HttpResponse>,
    op: &'static str,
    region: &str,
) -> AwsError
where
    E: aws_sdk_ec2::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let e = AwsError::from_sdk(e, op, format!("region {region}"));
    match e.kind {
        ErrorKind::AccessDenied => e.with_hint(format!(
            "the role may not call ec2:{op} in {region}: check the role's permission policy (and any SCP on the account)"
        )),
        ErrorKind::InvalidCredentials => e.with_hint(format!(
            "the role's credentials are not accepted in {region}: if it is an opt-in region, enable it for the account or remove it from the role's regions"
        )),
        _ => e,
    }
}

/// The regions the target account sees (ec2:DescribeRegions in `region`): a harmless read that
/// proves a session works.
pub async fn describe_regions(target: &Ec2Target, region: &str) -> Result<Vec<String>, AwsError> {
    let out = target
        .client(region)
        .describe_regions()
        .send()
        .await
        .map_err(|e| region_error(e, "DescribeRegions", region))?;
    Ok(out
        .regions()
        .iter()
        .filter_map(|r| r.region_name().map(str::to_string))
        .collect())
}

/// Every instance in `regions` (all pages), sorted by region, then name, then id.
pub async fn list_instances(target: &Ec2Target, regions: &[String]) -> Listing<Instance> {
    let mut listing = per_region(target, regions, |client, region, page_size| async move {
        let mut pages = client
            .describe_instances()
            .max_results(page_size)
            .into_paginator()
            .send();
        let mut rows = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| region_error(e, "DescribeInstances", &region))?;
            for r in page.reservations() {
                for i in r.instances() {
                    rows.push(instance_from_sdk(i, &region));
                }
            }
        }
        Ok(rows)
    })
    .await;
    listing.items.sort_by(|a, b| {
        (&a.region, &a.name, &a.instance_id).cmp(&(&b.region, &b.name, &b.instance_id))
    });
    listing
}

/// One instance, as the listings show it (ec2:DescribeInstances).
pub async fn describe_instance(
    target: &Ec2Target,
    region: &str,
    id: &str,
) -> Result<Option<Instance>, AwsError> {
    let out = target
        .client(region)
        .describe_instances()
        .instance_ids(id)
        .send()
        .await
        .map_err(|e| region_error(e, "DescribeInstances", region))?;
    Ok(out
        .reservations()
        .iter()
        .flat_map(|r| r.instances())
        .next()
        .map(|i| instance_from_sdk(i, region)))
}

/// Volumes by id, as the listings show them (ec2:DescribeVolumes).
pub async fn describe_volumes(
    target: &Ec2Target,
    region: &str,
    ids: &[String],
) -> Result<Vec<Volume>, AwsError> {
    let out = target
        .client(region)
        .describe_volumes()
        .set_volume_ids(Some(ids.to_vec()))
        .send()
        .await
        .map_err(|e| region_error(e, "DescribeVolumes", region))?;
    Ok(out
        .volumes()
        .iter()
        .map(|v| volume_from_sdk(v, region))
        .collect())
}

fn instance_from_sdk(i: &aws_sdk_ec2::types::Instance, region: &str) -> Instance {
    let tags = tag_map(i.tags());
    Instance {
        instance_id: i.instance_id().unwrap_or_default().to_string(),
        name: tags.get("Name").cloned().unwrap_or_default(),
        state: i
            .state()
            .and_then(|s| s.name())
            .map(|n| n.as_str().to_string())
            .unwrap_or_else(|| "unknown".into()),
        instance_type: i
            .instance_type()
            .map(|t| t.as_str().to_string())
            .unwrap_or_default(),
        region: region.to_string(),
        availability_zone: i
            .placement()
            .and_then(|p| p.availability_zone())
            .unwrap_or_default()
            .to_string(),
        private_ip: i.private_ip_address().map(str::to_string),
        public_ip: i.public_ip_address().map(str::to_string),
        launch_time: i.launch_time().and_then(to_chrono),
        volume_ids: i
            .block_device_mappings()
            .iter()
            .filter_map(|m| m.ebs().and_then(|e| e.volume_id()).map(str::to_string))
            .collect(),
        tags,
        image_id: i.image_id().map(str::to_string),
        vpc_id: i.vpc_id().map(str::to_string),
        subnet_id: i.subnet_id().map(str::to_string),
        key_name: i.key_name().map(str::to_string),
        platform: i.platform_details().map(str::to_string),
        architecture: i.architecture().map(|a| a.as_str().to_string()),
        iam_instance_profile: i
            .iam_instance_profile()
            .and_then(|p| p.arn())
            .map(str::to_string),
        private_dns_name: i
            .private_dns_name()
            .filter(|s| !s.is_empty())
            .map(str::to_string),
        public_dns_name: i
            .public_dns_name()
            .filter(|s| !s.is_empty())
            .map(str::to_string),
        security_groups: i
            .security_groups()
            .iter()
            .filter_map(|g| g.group_id().map(str::to_string))
            .collect(),
    }
}

/// Every EBS volume in `regions` (all pages), sorted by region, then name, then id.
pub async fn list_volumes(target: &Ec2Target, regions: &[String]) -> Listing<Volume> {
    let mut listing = per_region(target, regions, |client, region, page_size| async move {
        let mut pages = client
            .describe_volumes()
            .max_results(page_size)
            .into_paginator()
            .send();
        let mut rows = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| region_error(e, "DescribeVolumes", &region))?;
            for v in page.volumes() {
                rows.push(volume_from_sdk(v, &region));
            }
        }
        Ok(rows)
    })
    .await;
    listing.items.sort_by(|a, b| {
        (&a.region, &a.name, &a.volume_id).cmp(&(&b.region, &b.name, &b.volume_id))
    });
    listing
}

fn volume_from_sdk(v: &aws_sdk_ec2::types::Volume, region: &str) -> Volume {
    let tags = tag_map(v.tags());
    Volume {
        volume_id: v.volume_id().unwrap_or_default().to_string(),
        name: tags.get("Name").cloned().unwrap_or_default(),
        size_gib: v.size().unwrap_or_default(),
        volume_type: v
            .volume_type()
            .map(|t| t.as_str().to_string())
            .unwrap_or_default(),
        state: v
            .state()
            .map(|s| s.as_str().to_string())
            .unwrap_or_else(|| "unknown".into()),
        encrypted: v.encrypted().unwrap_or(false),
        region: region.to_string(),
        availability_zone: v.availability_zone().unwrap_or_default().to_string(),
        attached_to: v
            .attachments()
            .iter()
            .filter_map(|a| a.instance_id().map(str::to_string))
            .collect(),
        snapshot_id: v
            .snapshot_id()
            .filter(|s| !s.is_empty())
            .map(str::to_string),
        iops: v.iops(),
        create_time: v.create_time().and_then(to_chrono),
        kms_key_id: v.kms_key_id().map(str::to_string),
        tags,
    }
}
