//! The calls that change things in an account: EBS snapshots and their sharing (`evidence`),
//! the KMS key evidence is re-encrypted with (`kms`), security groups and instance attributes
//! (`network`), and what an instance shows of itself (`capture`). Each mutating call takes
//! `dry_run`: with it, EC2 only checks the permission (`DryRunOperation` means "allowed") and
//! nothing changes. They return rolecall's own types; what to call and when is `crate::actions`.

pub mod capture;
pub mod evidence;
pub mod iam;
pub mod ids;
pub mod kms;
pub mod network;
pub mod securityhub;

use std::future::Future;

use aws_sdk_ec2::config::http::HttpResponse;
use aws_sdk_ec2::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_ec2::types::{ResourceType, Tag, TagSpecification};

use super::ec2::region_error;
use super::{AwsError, ErrorKind};

/// An EC2 call that takes `DryRun`, sent: `call` is the request (built with
/// `.dry_run(dry_run)`), `value` what its answer gives. Errors name `op` and the region; a dry
/// run's `DryRunOperation` is `Ok(None)` (see [`dry`]). The one shape of every mutating call.
pub(in crate::aws) async fn send<O, E, T>(
    dry_run: bool,
    op: &'static str,
    region: &str,
    call: impl Future<Output = Result<O, SdkError<E, HttpResponse>>>,
    value: impl FnOnce(O) -> T,
) -> Result<Option<T>, AwsError>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let result = call
        .await
        .map(value)
        .map_err(|e| region_error(e, op, region));
    dry(result, dry_run)
}

/// An EC2 call's outcome under `dry_run`: a dry run that EC2 answers `DryRunOperation` proved
/// the permission (`Ok(None)`); a real call gives its value.
pub(in crate::aws) fn dry<T>(
    result: Result<T, AwsError>,
    dry_run: bool,
) -> Result<Option<T>, AwsError> {
    match result {
        // An endpoint that ignores DryRun did the call for real: rolecall cannot know what it
        // changed, so it stops and says so rather than going on as if it had only asked.
        Ok(_) if dry_run => Err(AwsError::new(ErrorKind::Other, "a call with DryRun", "the endpoint")
            .with_message("the endpoint carried out a call sent with DryRun=true, so it may have changed something")
            .with_hint("AWS answers DryRun with DryRunOperation; check AWS_ENDPOINT_URL (an emulator or proxy that ignores DryRun), and the account for what the call made")),
        Ok(v) => Ok(Some(v)),
        Err(e) if dry_run && e.code.as_deref() == Some("DryRunOperation") => Ok(None),
        Err(e) => Err(e),
    }
}

/// Tags for a resource being created.
pub(in crate::aws) fn tag_spec(kind: ResourceType, tags: &[(String, String)]) -> TagSpecification {
    TagSpecification::builder()
        .resource_type(kind)
        .set_tags(Some(ec2_tags(tags)))
        .build()
}

pub(in crate::aws) fn ec2_tags(tags: &[(String, String)]) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}
