//! The IAM calls the identity actions make: an access key's status, a user's or role's inline
//! policy put, read and deleted. IAM has no DryRun: what a plan can check it checks by reads
//! (`crate::actions::identity`); these only make the calls.

use crate::aws::iam::{iam_error, is_missing};
use crate::aws::target::RoleTarget;
use crate::aws::AwsError;

/// Sets an access key `Active` or `Inactive` (`iam:UpdateAccessKey`; never deletes it).
pub async fn set_key_status(
    target: &RoleTarget,
    region: &str,
    user: &str,
    key: &str,
    active: bool,
) -> Result<(), AwsError> {
    let status = if active {
        aws_sdk_iam::types::StatusType::Active
    } else {
        aws_sdk_iam::types::StatusType::Inactive
    };
    target
        .iam(region)
        .update_access_key()
        .user_name(user)
        .access_key_id(key)
        .status(status)
        .send()
        .await
        .map_err(|e| {
            iam_error(
                e,
                "UpdateAccessKey",
                &format!("access key {key} of user {user}"),
            )
        })?;
    Ok(())
}

/// Whose inline policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner<'a> {
    User(&'a str),
    Role(&'a str),
}

impl Owner<'_> {
    pub fn text(&self) -> String {
        match self {
            Owner::User(n) => format!("user {n}"),
            Owner::Role(n) => format!("role {n}"),
        }
    }
}

/// The document of an inline policy (decoded JSON text), or `None` when there is none of that
/// name (`iam:GetUserPolicy` / `iam:GetRolePolicy`).
pub async fn inline_policy(
    target: &RoleTarget,
    region: &str,
    owner: Owner<'_>,
    name: &str,
) -> Result<Option<String>, AwsError> {
    let iam = target.iam(region);
    let what = format!("policy {name} of {}", owner.text());
    let doc = match owner {
        Owner::User(u) => iam
            .get_user_policy()
            .user_name(u)
            .policy_name(name)
            .send()
            .await
            .map(|o| o.policy_document().to_string())
            .map_err(|e| iam_error(e, "GetUserPolicy", &what)),
        Owner::Role(r) => iam
            .get_role_policy()
            .role_name(r)
            .policy_name(name)
            .send()
            .await
            .map(|o| o.policy_document().to_string())
            .map_err(|e| iam_error(e, "GetRolePolicy", &what)),
    };
    match doc {
        Ok(d) => Ok(Some(
            crate::aws::policy::decode_document(&d)
                .map(|v| v.to_string())
                .unwrap_or(d),
        )),
        Err(e) if is_missing(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Puts (or replaces) an inline policy (`iam:PutUserPolicy` / `iam:PutRolePolicy`).
pub async fn put_policy(
    target: &RoleTarget,
    region: &str,
    owner: Owner<'_>,
    name: &str,
    document: &str,
) -> Result<(), AwsError> {
    let iam = target.iam(region);
    let what = format!("policy {name} of {}", owner.text());
    match owner {
        Owner::User(u) => iam
            .put_user_policy()
            .user_name(u)
            .policy_name(name)
            .policy_document(document)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| iam_error(e, "PutUserPolicy", &what)),
        Owner::Role(r) => iam
            .put_role_policy()
            .role_name(r)
            .policy_name(name)
            .policy_document(document)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| iam_error(e, "PutRolePolicy", &what)),
    }
}

/// Deletes an inline policy (`iam:DeleteUserPolicy` / `iam:DeleteRolePolicy`).
pub async fn delete_policy(
    target: &RoleTarget,
    region: &str,
    owner: Owner<'_>,
    name: &str,
) -> Result<(), AwsError> {
    let iam = target.iam(region);
    let what = format!("policy {name} of {}", owner.text());
    match owner {
        Owner::User(u) => iam
            .delete_user_policy()
            .user_name(u)
            .policy_name(name)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| iam_error(e, "DeleteUserPolicy", &what)),
        Owner::Role(r) => iam
            .delete_role_policy()
            .role_name(r)
            .policy_name(name)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| iam_error(e, "DeleteRolePolicy", &what)),
    }
}
