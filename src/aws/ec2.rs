//! What every EC2 call shares: errors explained per region, tags, and the regions an account
//! sees. The kinds EC2 lists (instances, volumes, security groups) each read their own answer
//! (`crate::resources`).

use std::collections::BTreeMap;

use aws_sdk_ec2::types::Tag;
use chrono::{DateTime, Utc};

use super::target::RoleTarget;
use super::{AwsError, ErrorKind};

/// Tags as a map (a tag without a key is left out; one without a value has `""`).
pub fn tag_map(tags: &[Tag]) -> BTreeMap<String, String> {
    tags.iter()
        .filter_map(|t| {
            Some((
                t.key()?.to_string(),
                t.value().unwrap_or_default().to_string(),
            ))
        })
        .collect()
}

/// An SDK time as chrono's.
pub fn time(t: &aws_sdk_ec2::primitives::DateTime) -> Option<DateTime<Utc>> {
    super::assume::to_chrono(t)
}

/// An EC2 call's error, with what to check when the role may not call it or the region does not
/// take its credentials.
pub fn region_error<E>(
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

/// The regions the account has enabled, in the partition of `region` (ec2:DescribeRegions
/// there: the regions that need no opt-in and those it opted in to; a region marked
/// `not-opted-in` is left out).
pub async fn enabled_regions(target: &RoleTarget, region: &str) -> Result<Vec<String>, AwsError> {
    let _permit = target.call_permit().await;
    let out = target
        .ec2(region)
        .describe_regions()
        .send()
        .await
        .map_err(|e| region_error(e, "DescribeRegions", region))?;
    let partition = super::arn::Partition::of_region(region);
    let mut names: Vec<String> = out
        .regions()
        .iter()
        .filter(|r| !matches!(r.opt_in_status(), Some("not-opted-in")))
        .filter_map(|r| r.region_name().map(str::to_string))
        // Only what is a region's name is listed: each becomes an endpoint's host.
        .filter(|name| super::arn::validate_region(name).is_ok())
        .filter(|name| super::arn::Partition::of_region(name) == partition)
        .collect();
    names.sort();
    names.dedup();
    Ok(names)
}

/// The regions the target account sees (ec2:DescribeRegions in `region`): a harmless read that
/// proves a session works.
pub async fn describe_regions(target: &RoleTarget, region: &str) -> Result<Vec<String>, AwsError> {
    let out = target
        .ec2(region)
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
