//! Who am I: the primary identity behind the default credential chain.

use serde::Serialize;

use super::{Aws, AwsError};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Identity {
    pub account: String,
    pub arn: String,
    #[serde(skip)]
    pub user_id: String,
}

impl Identity {
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

pub async fn caller_identity(aws: &Aws) -> Result<Identity, AwsError> {
    let sts = aws.sts();
    let out =
        sts.get_caller_identity().send().await.map_err(|e| {
            AwsError::from_sdk(e, "GetCallerIdentity", "the primary identity".into())
        })?;
    Ok(Identity {
        account: out.account().unwrap_or_default().to_string(),
        arn: out.arn().unwrap_or_default().to_string(),
        user_id: out.user_id().unwrap_or_default().to_string(),
    })
}
