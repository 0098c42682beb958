//! IAM as a role sees it: users, their access keys and sign-in, roles and their trust, read for
//! the `users`, `access-keys` and `iam-roles` listings, `whois` and the identity actions. IAM is
//! global: one endpoint per partition, called here with the role's first region for signing.
//!
//! Everything returned is rolecall's own types ([`UserFacts`], [`KeyFacts`], [`RoleFacts`]);
//! the kinds in `crate::resources` make rows of them. `users` reads users and their keys,
//! `roles` roles and their trust; this file has what both use, and IAM's policy simulator.

use aws_sdk_iam::types::EntityType;
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::target::RoleTarget;
use super::{AwsError, ErrorKind};

mod roles;
mod users;

pub use roles::*;
pub use users::*;

/// An IAM call's error, naming the call and what it was about; AccessDenied says the permission.
pub fn iam_error<E>(
    e: aws_sdk_iam::error::SdkError<E, aws_sdk_iam::config::http::HttpResponse>,
    op: &'static str,
    target: &str,
) -> AwsError
where
    E: aws_sdk_iam::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let e = AwsError::from_sdk(e, op, target.to_string());
    if e.kind == ErrorKind::AccessDenied {
        let hint = format!(
            "the role may not call iam:{op}: add it to the role's permission policy (rolecall policy --actions lists what each command needs)"
        );
        return e.with_hint(hint);
    }
    e
}

/// The error means "there is no such thing" (IAM's `NoSuchEntity`).
pub fn is_missing(e: &AwsError) -> bool {
    e.code.as_deref() == Some("NoSuchEntity")
}

fn time(t: &aws_smithy_types::DateTime) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(t.secs(), t.subsec_nanos())
}

/// A policy attached to a user or role, or written inline in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicyRef {
    pub name: String,
    /// `None` for an inline policy.
    pub arn: Option<String>,
}

impl PolicyRef {
    /// "ReadOnlyAccess" or "inline:rolecall-quarantine-IR-1".
    pub fn text(&self) -> String {
        match &self.arn {
            Some(_) => self.name.clone(),
            None => format!("inline:{}", self.name),
        }
    }
}

fn policies_of<'a>(
    attached: &[aws_sdk_iam::types::AttachedPolicy],
    inline: impl Iterator<Item = &'a str>,
) -> Vec<PolicyRef> {
    let mut out: Vec<PolicyRef> = attached
        .iter()
        .map(|p| PolicyRef {
            name: p.policy_name().unwrap_or_default().to_string(),
            arn: p.policy_arn().map(str::to_string),
        })
        .collect();
    out.extend(inline.map(|n| PolicyRef {
        name: n.to_string(),
        arn: None,
    }));
    out
}

async fn authorization(
    iam: &aws_sdk_iam::Client,
    filter: EntityType,
) -> Result<Vec<aws_sdk_iam::operation::get_account_authorization_details::GetAccountAuthorizationDetailsOutput>, AwsError>{
    iam.get_account_authorization_details()
        .filter(filter)
        .into_paginator()
        .send()
        .try_collect()
        .await
        .map_err(|e| iam_error(e, "GetAccountAuthorizationDetails", "the account's IAM"))
}

/// What IAM's policy simulator says of each action for a principal (`iam:SimulatePrincipalPolicy`
/// on its own identity policies, every resource): `allowed`, `implicitDeny` or `explicitDeny`.
/// IAM has no DryRun: this is how a permission is known before the call.
pub async fn simulate(
    target: &RoleTarget,
    region: &str,
    principal: &str,
    actions: &[&str],
) -> Result<Vec<(String, String)>, AwsError> {
    let out = target
        .iam(region)
        .simulate_principal_policy()
        .policy_source_arn(principal)
        .set_action_names(Some(actions.iter().map(|a| a.to_string()).collect()))
        .send()
        .await
        .map_err(|e| iam_error(e, "SimulatePrincipalPolicy", principal))?;
    Ok(out
        .evaluation_results()
        .iter()
        .map(|r| {
            (
                r.eval_action_name().to_string(),
                r.eval_decision().as_str().to_string(),
            )
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trust_principals_of_every_shape() {
        let doc = r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111111111111:root","arn:aws:iam::111111111111:user/a"],"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"},
            {"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::999999999999:root"},"Action":"sts:AssumeRole"},
            {"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}]}"#;
        assert_eq!(
            principals(doc),
            vec![
                "AWS:arn:aws:iam::111111111111:root",
                "AWS:arn:aws:iam::111111111111:user/a",
                "Service:ec2.amazonaws.com",
                "*"
            ]
        );
        let encoded = "%7B%22Statement%22%3A%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22Federated%22%3A%22cognito-identity.amazonaws.com%22%7D%7D%7D";
        assert_eq!(
            principals(encoded),
            vec!["Federated:cognito-identity.amazonaws.com"]
        );
        assert!(principals("not json").is_empty());
    }

    #[test]
    fn aws_managed_roles() {
        assert!(managed_by_aws(
            "AWSServiceRoleForSupport",
            "/aws-service-role/support.amazonaws.com/"
        )
        .is_some());
        assert!(managed_by_aws(
            "AWSReservedSSO_Admin_0123456789abcdef",
            "/aws-reserved/sso.amazonaws.com/"
        )
        .is_some());
        assert!(managed_by_aws("AWSReservedSSO_Admin_0123456789abcdef", "/").is_some());
        assert!(managed_by_aws("WebAppRole", "/").is_none());
    }
}
