//! The portal: the accounts and permission sets assigned to the user, and their credentials.

use super::{portal_client, Portal, Token};
use crate::aws::arn::RoleArn;
use crate::aws::assume::{to_chrono_millis, Session};
use crate::aws::credentials::{Credentials, Secret};
use crate::aws::source::SsoRole;
use crate::aws::{Aws, AwsError, ErrorKind};
use serde::{Deserialize, Serialize};

/// What a portal refusal means, with the way out.
fn portal_error<E>(
    err: aws_sdk_sso::error::SdkError<E, aws_sdk_sso::config::http::HttpResponse>,
    operation: &'static str,
    target: String,
    portal: &Portal,
) -> AwsError
where
    E: aws_sdk_sso::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let e = AwsError::from_sdk(err, operation, target);
    match e.code.as_deref() {
        Some("UnauthorizedException") => AwsError {
            kind: ErrorKind::ExpiredToken,
            hint: Some(format!(
                "the IAM Identity Center token was refused (expired or signed out): {}",
                portal.login_hint()
            )),
            ..e
        },
        Some("ResourceNotFoundException") => {
            let hint = "the permission set is not (or no longer) assigned to you in that account: `rolecall roles` after `r` shows what is";
            e.with_hint(hint)
        }
        _ => e,
    }
}

/// One account the portal lists, with the permission sets assigned in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SsoAccount {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub email: String,
    pub roles: Vec<String>,
}

/// Every account assigned to the user and its roles: ListAccounts (every page), then
/// ListAccountRoles for each account (every page), at most `CALLS_PER_SECOND` calls a second,
/// eight accounts at a time.
pub async fn list_assignments(aws: &Aws, portal: &Portal) -> Result<Vec<SsoAccount>, AwsError> {
    use futures::{StreamExt, TryStreamExt};
    let tokens = aws.sso_tokens();
    let token = tokens.get(aws, portal).await?;
    let client = portal_client(aws, portal);
    let mut accounts = Vec::new();
    let mut next: Option<String> = None;
    loop {
        tokens.pace.wait().await;
        let out = client
            .list_accounts()
            .access_token(token.access_token.expose())
            .set_next_token(next.clone())
            .send()
            .await
            .map_err(|e| portal_error(e, "ListAccounts", portal.start_url.clone(), portal));
        let out = match out {
            Ok(o) => o,
            Err(e) => {
                if e.kind == ErrorKind::ExpiredToken {
                    tokens.forget(portal).await;
                }
                return Err(e);
            }
        };
        for a in out.account_list() {
            let Some(id) = a.account_id() else { continue };
            if crate::aws::arn::validate_account_id(id).is_err() {
                tracing::warn!("the portal listed an account id that is not 12 digits; left out");
                continue;
            }
            accounts.push(SsoAccount {
                id: id.to_string(),
                name: a.account_name().unwrap_or_default().to_string(),
                email: a.email_address().unwrap_or_default().to_string(),
                roles: Vec::new(),
            });
        }
        next = out
            .next_token()
            .filter(|t| !t.is_empty())
            .map(str::to_string);
        if next.is_none() {
            break;
        }
    }
    let ids: Vec<String> = accounts.iter().map(|a| a.id.clone()).collect();
    let jobs = ids.into_iter().map(|id| {
        account_roles(
            aws.clone(),
            client.clone(),
            token.clone(),
            portal.clone(),
            id,
        )
    });
    let roles: Vec<Vec<String>> = futures::stream::iter(jobs)
        .buffered(8)
        .try_collect()
        .await?;
    for (a, r) in accounts.iter_mut().zip(roles) {
        a.roles = r;
    }
    Ok(accounts)
}

/// ListAccountRoles for one account, every page, at the portal's pace.
async fn account_roles(
    aws: Aws,
    client: aws_sdk_sso::Client,
    token: Token,
    portal: Portal,
    id: String,
) -> Result<Vec<String>, AwsError> {
    let mut roles = Vec::new();
    let mut next: Option<String> = None;
    loop {
        aws.sso_tokens().pace.wait().await;
        let out = client
            .list_account_roles()
            .access_token(token.access_token.expose())
            .account_id(&id)
            .set_next_token(next.clone())
            .send()
            .await
            .map_err(|e| portal_error(e, "ListAccountRoles", format!("account {id}"), &portal))?;
        roles.extend(
            out.role_list()
                .iter()
                .filter_map(|r| r.role_name())
                .map(str::to_string),
        );
        next = out
            .next_token()
            .filter(|t| !t.is_empty())
            .map(str::to_string);
        if next.is_none() {
            return Ok(roles);
        }
    }
}

/// The role ARN rolecall keys an Identity Center role by: the path IAM gives the roles Identity
/// Center makes, and the permission set's name. (The real role's name adds a prefix and a
/// hash the portal does not give; the session's assumed-role ARN names it.)
pub fn role_arn(
    partition: crate::aws::arn::Partition,
    account_id: &str,
    role_name: &str,
) -> Result<RoleArn, crate::aws::arn::ArnError> {
    RoleArn::new(
        partition,
        account_id,
        &format!("aws-reserved/sso.amazonaws.com/{role_name}"),
    )
}

/// A session of a permission set: sso:GetRoleCredentials with the user's token, and whose
/// session it is (sts:GetCallerIdentity with it: the assumed-role ARN CloudTrail shows).
pub async fn role_credentials(
    aws: &Aws,
    role_arn: &RoleArn,
    role: &SsoRole,
) -> Result<Session, AwsError> {
    let tokens = aws.sso_tokens();
    let token = tokens.get(aws, &role.portal).await?;
    tokens.pace.wait().await;
    let target = format!("{} in account {}", role.role_name, role.account_id);
    let out = portal_client(aws, &role.portal)
        .get_role_credentials()
        .access_token(token.access_token.expose())
        .account_id(&role.account_id)
        .role_name(&role.role_name)
        .send()
        .await
        .map_err(|e| portal_error(e, "GetRoleCredentials", target.clone(), &role.portal));
    let out = match out {
        Ok(o) => o,
        Err(e) => {
            if e.kind == ErrorKind::ExpiredToken {
                tokens.forget(&role.portal).await;
            }
            return Err(e);
        }
    };
    let missing = || {
        AwsError::new(ErrorKind::Other, "GetRoleCredentials", target.clone())
            .with_message("the answer held no credentials")
    };
    let c = out.role_credentials().ok_or_else(missing)?;
    let expiration = to_chrono_millis(c.expiration()).ok_or_else(missing)?;
    let credentials = Credentials {
        access_key_id: c.access_key_id().ok_or_else(missing)?.to_string(),
        secret_access_key: Secret::new(c.secret_access_key().ok_or_else(missing)?),
        session_token: c.session_token().map(Secret::new),
        expiration: Some(expiration),
    };
    let assumed_role_arn = whose(aws, &credentials, &role.portal.region).await;
    Ok(Session {
        role_arn: role_arn.clone(),
        assumed_role_arn,
        credentials,
        expiration,
    })
}

/// The assumed-role ARN of a session (empty when STS does not say).
async fn whose(aws: &Aws, credentials: &Credentials, region: &str) -> String {
    let conf = aws_sdk_sts::config::Builder::from(aws.sdk())
        .region(aws_config::Region::new(region.to_string()))
        .credentials_provider(credentials.provider().sdk())
        .build();
    match aws_sdk_sts::Client::from_conf(conf)
        .get_caller_identity()
        .send()
        .await
    {
        Ok(out) => out.arn().unwrap_or_default().to_string(),
        Err(e) => {
            tracing::warn!(
                "{}",
                AwsError::from_sdk(e, "GetCallerIdentity", "an Identity Center session".into())
            );
            String::new()
        }
    }
}
