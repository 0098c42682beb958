//! Who am I: the primary identity behind the default credential chain.

use serde::Serialize;

use super::{Aws, AwsError};

/// What stands for the primary identity's ARN when there is none.
pub const NOBODY: &str = "(no primary credentials: IAM Identity Center only)";

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Identity {
    pub account: String,
    pub arn: String,
    #[serde(skip)]
    pub user_id: String,
}

impl Identity {
    /// No primary identity: credentials come from IAM Identity Center only.
    pub fn nobody() -> Identity {
        Identity {
            account: String::new(),
            arn: NOBODY.to_string(),
            user_id: String::new(),
        }
    }

    /// Whether this is [`Identity::nobody`].
    pub fn is_nobody(&self) -> bool {
        self.account.is_empty() && self.arn == NOBODY
    }

    /// True when the caller is itself an assumed role (an instance role, SSO, or a chained
    /// session): AWS then caps any further AssumeRole at one hour (role chaining).
    pub fn is_assumed_role(&self) -> bool {
        self.arn.contains(":assumed-role/")
    }
}

/// The account an access key belongs to (`sts:GetAccessKeyInfo`: any key, any account; the
/// caller needs no permission in that account).
pub async fn key_account(aws: &Aws, key: &str) -> Result<String, AwsError> {
    let out = aws
        .sts()
        .get_access_key_info()
        .access_key_id(key)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk(e, "GetAccessKeyInfo", format!("access key {key}")))?;
    match out.account() {
        Some(a) if crate::aws::arn::validate_account_id(a).is_ok() => Ok(a.to_string()),
        other => Err(AwsError::new(
            super::ErrorKind::Other,
            "GetAccessKeyInfo",
            format!("access key {key}"),
        )
        .with_message(format!("the answer named no account ({other:?})"))),
    }
}

/// The primary identity; where it has no credentials at all and IAM Identity Center is
/// configured, [`Identity::nobody`]: rolecall then works through Identity Center alone.
pub async fn caller_identity(aws: &Aws) -> Result<Identity, AwsError> {
    let sts = aws.sts();
    let out = match sts.get_caller_identity().send().await {
        Ok(out) => out,
        Err(e) => {
            let e = AwsError::from_sdk(e, "GetCallerIdentity", "the primary identity".into());
            if e.kind == super::ErrorKind::NoCredentials && aws.sso_only() {
                return Ok(Identity::nobody());
            }
            return Err(e);
        }
    };
    Ok(Identity {
        account: out.account().unwrap_or_default().to_string(),
        arn: out.arn().unwrap_or_default().to_string(),
        user_id: out.user_id().unwrap_or_default().to_string(),
    })
}
