//! The Security Hub calls the finding action makes: one finding read by its id (`GetFindings`),
//! and its workflow status and note set (`BatchUpdateFindings`). Security Hub has no DryRun:
//! what a plan can check it checks by the read (`crate::actions::finding`); these only make the
//! calls.
//!
//! `BatchUpdateFindings` answers 200 whatever became of each finding: the ones it could not
//! update are in `UnprocessedFindings`, each with an `ErrorCode` and `ErrorMessage`. An update
//! here is of one finding, and an unprocessed one is an error ([`Updated::Unprocessed`]).

use aws_sdk_securityhub::types::{
    AwsSecurityFindingFilters, AwsSecurityFindingIdentifier, NoteUpdate, StringFilter,
    StringFilterComparison, WorkflowStatus, WorkflowUpdate,
};

use crate::aws::target::RoleTarget;
use crate::aws::AwsError;

/// What a plan reads of a finding before changing it, and what its check reads back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubFinding {
    pub id: String,
    pub product_arn: String,
    pub title: String,
    pub severity: String,
    /// The account the finding is about.
    pub account_id: String,
    /// NEW, NOTIFIED, RESOLVED or SUPPRESSED (NEW when the finding has none).
    pub status: String,
    /// ACTIVE or ARCHIVED.
    pub record_state: String,
    /// The note on it now: its text and who wrote it.
    pub note: Option<(String, String)>,
}

/// A Security Hub error, with what to check.
fn hub_error<E>(
    e: aws_smithy_runtime_api::client::result::SdkError<
        E,
        aws_smithy_runtime_api::client::orchestrator::HttpResponse,
    >,
    op: &'static str,
    region: &str,
) -> AwsError
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata
        + std::error::Error
        + Send
        + Sync
        + 'static,
{
    let e = AwsError::from_sdk(e, op, format!("Security Hub in {region}"));
    if e.code.as_deref() == Some("InvalidAccessException") {
        return e.with_hint(format!(
            "Security Hub is not enabled for the role's account in {region}, so there is no workflow status to set there. A finding rolecall read from GuardDuty (where Security Hub is off) has none: GuardDuty can only archive a finding, which hides it rather than saying what became of it, so rolecall does not; enable Security Hub to track it. A Security Hub finding: pass --region with the region it was read in (its aggregation region, through [findings] via)"
        ));
    }
    e
}

/// The finding with this id (and product ARN, when given) in `region`, or `None`.
///
/// `GetFindings` is asked with filters on the id and product ARN, as the API documents them,
/// and the answer is filtered here again: an endpoint that ignores filters (the emulator's
/// Security Hub does) answers every finding, and only this one may be taken for it.
pub async fn read_finding(
    target: &RoleTarget,
    region: &str,
    id: &str,
    product_arn: Option<&str>,
) -> Result<Option<HubFinding>, AwsError> {
    let eq = |v: &str| {
        StringFilter::builder()
            .value(v)
            .comparison(StringFilterComparison::Equals)
            .build()
    };
    let mut filters = AwsSecurityFindingFilters::builder().id(eq(id));
    if let Some(p) = product_arn {
        filters = filters.product_arn(eq(p));
    }
    let filters = filters.build();
    let client = aws_sdk_securityhub::Client::new(&target.config(region));
    let mut token: Option<String> = None;
    // With its filters honoured this is one page; an endpoint that ignores them is read on,
    // within reason.
    for _ in 0..50 {
        let out = client
            .get_findings()
            .filters(filters.clone())
            .max_results(100)
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| hub_error(e, "GetFindings", region))?;
        let found = out
            .findings()
            .iter()
            .find(|f| f.id() == Some(id) && product_arn.is_none_or(|p| f.product_arn() == Some(p)));
        if let Some(f) = found {
            return Ok(Some(HubFinding {
                id: id.to_string(),
                product_arn: f.product_arn().unwrap_or_default().to_string(),
                title: f.title().unwrap_or_default().to_string(),
                severity: f
                    .severity()
                    .and_then(|s| s.label())
                    .map(|l| l.as_str().to_string())
                    .unwrap_or_default(),
                account_id: f.aws_account_id().unwrap_or_default().to_string(),
                status: f
                    .workflow()
                    .and_then(|w| w.status())
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_else(|| "NEW".into()),
                record_state: f
                    .record_state()
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_else(|| "ACTIVE".into()),
                note: f.note().map(|n| {
                    (
                        n.text().unwrap_or_default().to_string(),
                        n.updated_by().unwrap_or_default().to_string(),
                    )
                }),
            }));
        }
        match out.next_token().filter(|t| !t.is_empty()) {
            Some(t) => token = Some(t.to_string()),
            None => return Ok(None),
        }
    }
    Ok(None)
}

/// How an update of one finding ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Updated {
    /// In `ProcessedFindings`.
    Processed,
    /// In `UnprocessedFindings`: its `ErrorCode` and `ErrorMessage`.
    Unprocessed { code: String, message: String },
}

/// Sets the finding's workflow status and note (`BatchUpdateFindings`, one finding).
pub async fn update_finding(
    target: &RoleTarget,
    region: &str,
    id: &str,
    product_arn: &str,
    status: &str,
    note: &str,
    updated_by: &str,
) -> Result<Updated, AwsError> {
    let client = aws_sdk_securityhub::Client::new(&target.config(region));
    let out = client
        .batch_update_findings()
        .finding_identifiers(
            AwsSecurityFindingIdentifier::builder()
                .id(id)
                .product_arn(product_arn)
                .build(),
        )
        .workflow(
            WorkflowUpdate::builder()
                .status(WorkflowStatus::from(status))
                .build(),
        )
        .note(
            NoteUpdate::builder()
                .text(note)
                .updated_by(updated_by)
                .build(),
        )
        .send()
        .await
        .map_err(|e| hub_error(e, "BatchUpdateFindings", region))?;
    let mine = |f: Option<&AwsSecurityFindingIdentifier>| {
        f.is_some_and(|f| f.id() == Some(id) && f.product_arn() == Some(product_arn))
    };
    if let Some(u) = out
        .unprocessed_findings()
        .iter()
        .find(|u| mine(u.finding_identifier()))
    {
        return Ok(Updated::Unprocessed {
            code: u.error_code().unwrap_or("Unknown").to_string(),
            message: u.error_message().unwrap_or_default().to_string(),
        });
    }
    if out.processed_findings().iter().any(|f| mine(Some(f))) {
        return Ok(Updated::Processed);
    }
    // Neither list names it: not known to be done, so not taken for done.
    Ok(Updated::Unprocessed {
        code: "NotAnswered".into(),
        message: "BatchUpdateFindings named the finding neither processed nor unprocessed".into(),
    })
}
