//! AWS Organizations: the accounts of the caller's organization (`organizations:ListAccounts`),
//! read in the management account or a delegated administrator account.

use serde::{Deserialize, Serialize};

use super::credentials::RoleCredentials;
use super::{Aws, AwsError, ErrorKind};

/// One account of the organization, as rolecall keeps it (no e-mail address, nothing secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgAccount {
    pub id: String,
    pub name: String,
    /// `ACTIVE`, `SUSPENDED` or `PENDING_CLOSURE`.
    pub status: String,
}

impl OrgAccount {
    pub fn is_active(&self) -> bool {
        self.status == "ACTIVE"
    }
}

/// Every account of the organization, page by page. `as_role`: the credentials to read it with
/// (a role in the management account); `None`: the primary identity. `who` names the identity in
/// errors.
pub async fn list_accounts(
    aws: &Aws,
    as_role: Option<&RoleCredentials>,
    who: &str,
) -> Result<Vec<OrgAccount>, AwsError> {
    let mut conf = aws_sdk_organizations::config::Builder::from(aws.sdk());
    if let Some(c) = as_role {
        conf = conf.credentials_provider(c.sdk());
    }
    let client = aws_sdk_organizations::Client::from_conf(conf.build());
    let mut pages = client.list_accounts().into_paginator().send();
    let mut accounts = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| error(AwsError::from_sdk(e, "ListAccounts", who.into())))?;
        for a in page.accounts() {
            let Some(id) = a.id() else { continue };
            accounts.push(OrgAccount {
                id: id.to_string(),
                name: a.name().unwrap_or_default().to_string(),
                status: a
                    .status()
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_else(|| "UNKNOWN".into()),
            });
        }
    }
    Ok(accounts)
}

/// What to do about the two refusals a responder meets: not allowed, and not in an organization.
fn error(e: AwsError) -> AwsError {
    let via = "set `via` in [[organization]] to a role in the management account (or a delegated administrator account) that may call organizations:ListAccounts";
    match (e.kind, e.code.as_deref()) {
        (ErrorKind::AccessDenied, _) => {
            let hint = format!(
                "only the management account and delegated administrators may list an organization's accounts: {via}, or allow it to {}",
                e.target
            );
            e.with_hint(hint)
        }
        (_, Some("AWSOrganizationsNotInUseException")) => {
            let hint = format!("{}'s account is not in an organization: {via}", e.target);
            e.with_hint(hint)
        }
        _ => e,
    }
}
