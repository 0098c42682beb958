//! What could not be listed: a whole account, or one of its regions.

use crate::aws::AwsError;

/// What could not be listed: a whole account (AssumeRole failed, MFA needed) or one region.
#[derive(Debug, Clone)]
pub struct Failure {
    pub account_id: String,
    pub role_arn: String,
    /// `None` when the whole account failed.
    pub region: Option<String>,
    pub error: AwsError,
}

impl Failure {
    pub fn new(role: &crate::aws::arn::RoleArn, region: Option<String>, error: AwsError) -> Self {
        Failure {
            account_id: role.account_id().to_string(),
            role_arn: role.to_string(),
            region,
            error,
        }
    }

    /// An account skipped because every role into it needs an MFA code; `hint` says what to do.
    pub fn needs_mfa(role: &crate::aws::arn::RoleArn, hint: String) -> Self {
        let error = AwsError::new(
            crate::aws::ErrorKind::NeedsMfa,
            "AssumeRole",
            role.to_string(),
        )
        .with_message("skipped: every role into this account needs an MFA code")
        .with_hint(hint);
        Failure::new(role, None, error)
    }

    /// The error's code (`AccessDenied`…), or its kind when AWS gave none: a word for summaries.
    pub fn code(&self) -> String {
        self.error.code_or_kind()
    }

    /// Whether it failed: a place where the region or the service is not enabled answered
    /// (nothing there), and is only named.
    pub fn failed(&self) -> bool {
        self.error.kind != crate::aws::ErrorKind::NotEnabled
    }

    /// "account 222222222222 region eu-west-1" or "account 222222222222".
    pub fn place(&self) -> String {
        match &self.region {
            Some(r) => format!("account {} region {r}", self.account_id),
            None => format!("account {}", self.account_id),
        }
    }
}
