//! sts:AssumeRole with everything a cross-account setup may ask for: external id, MFA, duration.

use chrono::{DateTime, Utc};

use aws_credential_types::provider::SharedCredentialsProvider;

use super::arn::RoleArn;
use super::credentials::{Credentials, Secret, TokenCode};
pub use super::source::Source;
use super::{Aws, AwsError, ErrorKind};

/// One AssumeRole request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssumeParams {
    pub role_arn: RoleArn,
    pub session_name: String,
    pub duration_seconds: u32,
    pub external_id: Option<String>,
    pub mfa_serial: Option<String>,
    /// The current code from the MFA device.
    pub token_code: Option<TokenCode>,
    /// Sent as SourceIdentity: the person behind the session, which CloudTrail shows on
    /// everything the role (and any role it reaches) does. The trust policy must allow
    /// `sts:SetSourceIdentity`.
    pub source_identity: Option<String>,
    /// Whose credentials call AssumeRole (or where the session comes from).
    pub source: Source,
}

impl AssumeParams {
    /// What keys a session of this request (in the process and in the session cache): the
    /// request without the MFA code, and its source's. No secret in it.
    pub fn key(&self) -> String {
        format!(
            "{}|{}|{}|{}|{}|{}|{}",
            self.role_arn,
            self.session_name,
            self.duration_seconds,
            self.external_id.as_deref().unwrap_or_default(),
            self.mfa_serial.as_deref().unwrap_or_default(),
            self.source_identity.as_deref().unwrap_or_default(),
            self.source.key(),
        )
    }
}

/// A role session: temporary credentials for one role.
#[derive(Debug, Clone)]
pub struct Session {
    pub role_arn: RoleArn,
    /// `arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION`
    pub assumed_role_arn: String,
    pub credentials: Credentials,
    pub expiration: DateTime<Utc>,
}

/// The longest session AWS grants when the caller is itself a role session (role chaining).
pub const CHAINED_MAX_SECONDS: u32 = 3600;

/// The duration to ask for when the caller is a role session and `requested` is more than AWS
/// would grant; `None` when `requested` can be asked for as it is.
pub fn chained_cap(requested: u32, caller_is_role: bool) -> Option<u32> {
    (caller_is_role && requested > CHAINED_MAX_SECONDS).then_some(CHAINED_MAX_SECONDS)
}

pub(crate) fn to_chrono(t: &aws_sdk_sts::primitives::DateTime) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(t.secs(), t.subsec_nanos())
}

/// An epoch in milliseconds (the portal's credentials) as a time.
pub(crate) fn to_chrono_millis(ms: i64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp_millis(ms)
}

/// A session of the role `p` names, from where `p.source` says: reused from the session cache
/// while it outlives its refresh margin, else asked for (and kept there).
pub async fn assume_role(aws: &Aws, p: &AssumeParams) -> Result<Session, AwsError> {
    if let Some(cache) = aws.session_cache() {
        let (cache, key) = (cache.clone(), p.key());
        // The stores are files and the OS keyring: off the runtime's threads.
        let kept = tokio::task::spawn_blocking(move || cache.get(&key, super::source::MARGIN))
            .await
            .ok()
            .flatten();
        if let Some(kept) = kept {
            return Ok(kept);
        }
    }
    assume_fresh(aws, p).await
}

/// A new session of the role `p` names, whatever the session cache holds (the refresher's
/// renewal, doctor's check), kept there for the next run.
pub async fn assume_fresh(aws: &Aws, p: &AssumeParams) -> Result<Session, AwsError> {
    let session = Box::pin(super::source::obtain(aws, p)).await?;
    if let Some(cache) = aws.session_cache() {
        let (cache, key, kept) = (cache.clone(), p.key(), session.clone());
        let _ =
            tokio::task::spawn_blocking(move || cache.put(&key, &kept.role_arn.to_string(), &kept))
                .await;
    }
    Ok(session)
}

/// The session of `p` kept in the session cache, if it outlives its margin (no call to AWS).
pub fn reusable(aws: &Aws, p: &AssumeParams) -> Option<Session> {
    aws.session_cache()?.get(&p.key(), super::source::MARGIN)
}

/// sts:AssumeRole as `caller` (`None`: the primary identity).
pub(crate) async fn assume_as(
    aws: &Aws,
    caller: Option<SharedCredentialsProvider>,
    p: &AssumeParams,
) -> Result<Session, AwsError> {
    let own;
    let sts = match caller {
        None => aws.sts(),
        Some(c) => {
            let conf = aws_sdk_sts::config::Builder::from(aws.sdk())
                .credentials_provider(c)
                .build();
            own = aws_sdk_sts::Client::from_conf(conf);
            &own
        }
    };
    let target = p.role_arn.to_string();
    let out = sts
        .assume_role()
        .role_arn(&target)
        .role_session_name(&p.session_name)
        .duration_seconds(p.duration_seconds as i32)
        .set_external_id(p.external_id.clone())
        .set_serial_number(p.mfa_serial.clone())
        .set_token_code(p.token_code.as_ref().map(|t| t.expose().to_string()))
        .set_source_identity(p.source_identity.clone())
        .send()
        .await
        .map_err(|e| {
            let e = AwsError::from_sdk(e, "AssumeRole", target.clone());
            match e.kind {
                ErrorKind::AccessDenied => {
                    let hint = access_denied_hint(p);
                    e.with_hint(hint)
                }
                _ => e,
            }
        })?;
    let c = out.credentials().ok_or_else(|| {
        AwsError::new(ErrorKind::Other, "AssumeRole", target.clone())
            .with_message("the answer held no credentials")
    })?;
    let expiration = to_chrono(c.expiration()).ok_or_else(|| {
        AwsError::new(ErrorKind::Other, "AssumeRole", target.clone())
            .with_message("the answer held an expiration out of range")
    })?;
    Ok(Session {
        role_arn: p.role_arn.clone(),
        assumed_role_arn: out
            .assumed_role_user()
            .map(|u| u.arn().to_string())
            .unwrap_or_default(),
        credentials: Credentials {
            access_key_id: c.access_key_id().to_string(),
            secret_access_key: Secret::new(c.secret_access_key()),
            session_token: Some(Secret::new(c.session_token())),
            expiration: Some(expiration),
        },
        expiration,
    })
}

/// What to check on both sides when AssumeRole is denied.
pub fn access_denied_hint(p: &AssumeParams) -> String {
    let mut conditions = Vec::new();
    if p.external_id.is_some() {
        conditions.push("the sts:ExternalId condition must match the external_id you send");
    }
    if p.mfa_serial.is_some() {
        conditions.push("aws:MultiFactorAuthPresent must be satisfied by a current MFA code");
    }
    if p.source_identity.is_some() {
        conditions
            .push("the trust policy must allow sts:SetSourceIdentity (source_identity is set)");
    }
    let caller = match &p.source {
        super::source::Source::Primary => "in the primary account, the caller's".to_string(),
        other => format!("for {} (the caller), its", other.describe()),
    };
    let mut s = format!(
        "check both sides: (1) {caller} identity policy must allow \
         sts:AssumeRole on exactly {arn}; (2) in account {acct}, the trust policy of role {name} \
         must name the caller (its IAM role or user ARN, or the account) as Principal",
        arn = p.role_arn,
        acct = p.role_arn.account_id(),
        name = p.role_arn.name_with_path(),
    );
    if !conditions.is_empty() {
        s.push_str(", and ");
        s.push_str(&conditions.join("; "));
    }
    s.push_str(&format!(
        ". `rolecall doctor {}` checks each step, and `rolecall policy {}` prints both policies",
        p.role_arn, p.role_arn
    ));
    s
}
