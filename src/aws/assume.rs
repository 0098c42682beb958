//! sts:AssumeRole with everything a cross-account setup may ask for: external id, MFA, duration.

use chrono::{DateTime, Utc};

use super::arn::RoleArn;
use super::credentials::{Credentials, Secret, TokenCode};
use super::{Aws, AwsError, ErrorKind};

/// One AssumeRole request.
#[derive(Debug, Clone)]
pub struct AssumeParams {
    pub role_arn: RoleArn,
    pub session_name: String,
    pub duration_seconds: u32,
    pub external_id: Option<String>,
    pub mfa_serial: Option<String>,
    /// The current code from the MFA device.
    pub token_code: Option<TokenCode>,
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

pub async fn assume_role(aws: &Aws, p: &AssumeParams) -> Result<Session, AwsError> {
    let sts = aws.sts();
    let target = p.role_arn.to_string();
    let out = sts
        .assume_role()
        .role_arn(&target)
        .role_session_name(&p.session_name)
        .duration_seconds(p.duration_seconds as i32)
        .set_external_id(p.external_id.clone())
        .set_serial_number(p.mfa_serial.clone())
        .set_token_code(p.token_code.as_ref().map(|t| t.expose().to_string()))
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
    let mut s = format!(
        "check both sides: (1) in the primary account, the caller's identity policy must allow \
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
