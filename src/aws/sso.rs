//! IAM Identity Center (AWS SSO): the user's token as the AWS CLI keeps it, the accounts and
//! permission sets the portal assigns, their credentials, and the device-authorization sign-in.
//!
//! The token is the one `aws sso login` writes, `~/.aws/sso/cache/<sha1>.json` (the SHA-1 of
//! the sso-session's name, or of the start URL for a profile without one), and rolecall writes
//! it the same way, so either tool's sign-in serves both. (aws-config reads that file too, but
//! neither writes it for a sign-in nor says why a token cannot be used: rolecall reads and
//! writes it here, in the format the AWS CLI documents.)

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha1::{Digest, Sha1};

use super::arn::RoleArn;
use super::assume::{to_chrono_millis, Session};
use super::credentials::{Credentials, Secret};
use super::source::SsoRole;
use super::{Aws, AwsError, ErrorKind};

/// The portal's documented limit: 20 calls a second (per user token).
pub const CALLS_PER_SECOND: u32 = 20;
/// A token this close to its end is refreshed first (as the AWS CLI does: five minutes).
const REFRESH_AHEAD: Duration = Duration::from_secs(300);
/// What rolecall asks for at sign-in: the portal's account access.
const SCOPES: &[&str] = &["sso:account:access"];

/// An Identity Center portal, and where its token is kept.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Portal {
    /// `https://my-org.awsapps.com/start` (or the issuer URL).
    pub start_url: String,
    /// The region of the Identity Center instance (`sso_region`).
    pub region: String,
    /// The `[sso-session NAME]` of `~/.aws/config` it came from: names the token's file; a
    /// portal without one is named by its start URL (the AWS CLI's legacy form, no refresh).
    pub session: Option<String>,
}

impl Portal {
    /// What the token's file name is the SHA-1 of.
    fn cache_id(&self) -> &str {
        self.session.as_deref().unwrap_or(&self.start_url)
    }

    /// `~/.aws/sso/cache/<sha1>.json`, as the AWS CLI names it.
    pub fn token_path(&self) -> Option<PathBuf> {
        let home = directories::BaseDirs::new()?.home_dir().to_path_buf();
        let hash = hex::encode(Sha1::digest(self.cache_id().as_bytes()));
        Some(
            home.join(".aws")
                .join("sso")
                .join("cache")
                .join(format!("{hash}.json")),
        )
    }

    /// How the user signs in to it again.
    pub fn login_hint(&self) -> String {
        match &self.session {
            Some(s) => format!(
                "run `rolecall login --sso {s}` (or `aws sso login --sso-session {s}`) to sign in to {}",
                self.start_url
            ),
            None => format!(
                "run `rolecall login --sso {}` (or `aws sso login`) to sign in",
                self.start_url
            ),
        }
    }
}

/// The token file, with the AWS CLI's field names. Only this module sees it; its `Debug` shows
/// no secret.
#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TokenFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    start_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    region: Option<String>,
    access_token: String,
    expires_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    client_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    client_secret: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    registration_expires_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
}

impl std::fmt::Debug for TokenFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenFile")
            .field("start_url", &self.start_url)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// As the AWS CLI writes it: `2026-12-05T10:00:00Z`.
fn format_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

impl TokenFile {
    fn expires_at(&self) -> Option<DateTime<Utc>> {
        parse_time(&self.expires_at)
    }

    /// The registration and refresh token a refresh needs, while the registration lasts.
    fn refresh(&self) -> Option<(&str, &str, &str)> {
        let registered_until = self
            .registration_expires_at
            .as_deref()
            .and_then(parse_time)?;
        if registered_until <= Utc::now() {
            return None;
        }
        Some((
            self.client_id.as_deref()?,
            self.client_secret.as_deref()?,
            self.refresh_token.as_deref()?,
        ))
    }
}

/// A usable token.
#[derive(Clone, Debug)]
pub struct Token {
    access_token: Secret,
    pub expires_at: DateTime<Utc>,
}

/// The tokens read this process, so a fan-out reads (and refreshes) each portal's once.
#[derive(Debug, Default)]
pub(crate) struct Tokens {
    held: tokio::sync::Mutex<HashMap<Portal, Token>>,
    /// Spaces the portal's calls to its limit.
    pace: Pace,
}

fn token_error(portal: &Portal, kind: ErrorKind, message: String) -> AwsError {
    AwsError::new(
        kind,
        "IAM Identity Center sign-in",
        portal.start_url.clone(),
    )
    .with_message(message)
    .with_hint(portal.login_hint())
}

fn io_error(path: &std::path::Path, e: impl std::fmt::Display) -> String {
    format!("{}: {e}", path.display())
}

fn read_token_file(portal: &Portal) -> Result<(PathBuf, TokenFile), AwsError> {
    let path = portal.token_path().ok_or_else(|| {
        token_error(
            portal,
            ErrorKind::NoCredentials,
            "no home folder to find ~/.aws/sso/cache in".into(),
        )
    })?;
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(token_error(
                portal,
                ErrorKind::NoCredentials,
                format!("not signed in: no token in {}", path.display()),
            ))
        }
        Err(e) => {
            return Err(token_error(
                portal,
                ErrorKind::NoCredentials,
                format!("cannot read the token: {}", io_error(&path, e)),
            ))
        }
    };
    let file: TokenFile = serde_json::from_str(&text).map_err(|e| {
        // serde's message names the field and place, never the value.
        token_error(
            portal,
            ErrorKind::NoCredentials,
            format!("the token file {} cannot be read: {e}", path.display()),
        )
    })?;
    Ok((path, file))
}

/// Writes the token as the AWS CLI does, readable by the user only.
fn write_token_file(path: &std::path::Path, file: &TokenFile) -> Result<(), String> {
    if let Some(dir) = path.parent() {
        crate::files::create_private_dir(dir).map_err(|e| io_error(dir, e))?;
    }
    let text = serde_json::to_string(file).map_err(|e| e.to_string())?;
    crate::files::write_atomically(path, text.as_bytes()).map_err(|e| io_error(path, e))
}

fn oidc(aws: &Aws, portal: &Portal) -> aws_sdk_ssooidc::Client {
    let conf = aws_sdk_ssooidc::config::Builder::from(aws.sdk())
        .region(aws_config::Region::new(portal.region.clone()))
        .build();
    aws_sdk_ssooidc::Client::from_conf(conf)
}

fn portal_client(aws: &Aws, portal: &Portal) -> aws_sdk_sso::Client {
    let conf = aws_sdk_sso::config::Builder::from(aws.sdk())
        .region(aws_config::Region::new(portal.region.clone()))
        .build();
    aws_sdk_sso::Client::from_conf(conf)
}

impl Tokens {
    /// The user's token for `portal`: the one kept, refreshed with its refresh token when it is
    /// near its end (and written back), or an error naming `rolecall login`.
    pub(crate) async fn get(&self, aws: &Aws, portal: &Portal) -> Result<Token, AwsError> {
        let mut held = self.held.lock().await;
        let soon = Utc::now() + chrono::Duration::from_std(REFRESH_AHEAD).unwrap_or_default();
        if let Some(t) = held.get(portal).filter(|t| t.expires_at > soon) {
            return Ok(t.clone());
        }
        let (path, file) = read_token_file(portal)?;
        let expires_at = file.expires_at().ok_or_else(|| {
            token_error(
                portal,
                ErrorKind::NoCredentials,
                format!(
                    "the token file {} has no readable expiresAt",
                    path.display()
                ),
            )
        })?;
        let mut token = Token {
            access_token: Secret::new(file.access_token.clone()),
            expires_at,
        };
        if expires_at <= soon {
            match self.refresh(aws, portal, &path, &file).await {
                Ok(t) => token = t,
                Err(why) if expires_at > Utc::now() => {
                    tracing::warn!("the IAM Identity Center token for {} was not refreshed ({why}); using it until it expires", portal.start_url);
                }
                Err(why) => {
                    return Err(token_error(
                        portal,
                        ErrorKind::ExpiredToken,
                        format!(
                            "the token expired at {} ({why})",
                            crate::time::rfc3339(&expires_at)
                        ),
                    ))
                }
            }
        }
        held.insert(portal.clone(), token.clone());
        Ok(token)
    }

    /// Drops what is held of `portal`'s token (the portal refused it).
    pub(crate) async fn forget(&self, portal: &Portal) {
        self.held.lock().await.remove(portal);
    }

    async fn refresh(
        &self,
        aws: &Aws,
        portal: &Portal,
        path: &std::path::Path,
        file: &TokenFile,
    ) -> Result<Token, String> {
        let Some((client_id, client_secret, refresh_token)) = file.refresh() else {
            return Err("it holds no registration that can refresh it".into());
        };
        let out = oidc(aws, portal)
            .create_token()
            .grant_type("refresh_token")
            .client_id(client_id)
            .client_secret(client_secret)
            .refresh_token(refresh_token)
            .send()
            .await
            .map_err(|e| {
                AwsError::from_sdk(e, "CreateToken", portal.start_url.clone()).to_string()
            })?;
        let access_token = out
            .access_token()
            .ok_or("CreateToken answered without a token")?
            .to_string();
        let expires_at = Utc::now() + chrono::Duration::seconds(out.expires_in().into());
        let mut new = file.clone();
        new.access_token = access_token.clone();
        new.expires_at = format_time(expires_at);
        if let Some(r) = out.refresh_token() {
            new.refresh_token = Some(r.to_string());
        }
        if let Err(e) = write_token_file(path, &new) {
            tracing::warn!("the refreshed IAM Identity Center token could not be kept: {e}");
        }
        Ok(Token {
            access_token: Secret::new(access_token),
            expires_at,
        })
    }
}

/// Spaces calls `1/CALLS_PER_SECOND` apart.
#[derive(Debug, Default)]
struct Pace {
    next: tokio::sync::Mutex<Option<tokio::time::Instant>>,
}

impl Pace {
    async fn wait(&self) {
        let gap = Duration::from_secs(1) / CALLS_PER_SECOND;
        let at = {
            let mut next = self.next.lock().await;
            let now = tokio::time::Instant::now();
            let at = next.map_or(now, |n| n.max(now));
            *next = Some(at + gap);
            at
        };
        tokio::time::sleep_until(at).await;
    }
}

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
            if super::arn::validate_account_id(id).is_err() {
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
    partition: super::arn::Partition,
    account_id: &str,
    role_name: &str,
) -> Result<RoleArn, super::arn::ArnError> {
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

/// What the user is asked to do during `rolecall login`.
#[derive(Debug, Clone)]
pub struct DeviceCode {
    pub user_code: String,
    /// The page to open, with the code in it.
    pub verification_uri_complete: String,
    pub verification_uri: String,
    pub expires_at: DateTime<Utc>,
}

/// The device authorization sign-in, step by step: `start` registers rolecall and asks for a
/// code; `finish` polls until the user confirmed it in the browser, then keeps the token as the
/// AWS CLI does.
pub struct Login {
    portal: Portal,
    client_id: String,
    client_secret: Secret,
    registration_expires_at: DateTime<Utc>,
    device_code: Secret,
    interval: Duration,
    pub code: DeviceCode,
}

impl std::fmt::Debug for Login {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Login")
            .field("portal", &self.portal)
            .field("code", &self.code)
            .finish_non_exhaustive()
    }
}

/// RegisterClient, then StartDeviceAuthorization.
pub async fn start_login(aws: &Aws, portal: &Portal) -> Result<Login, AwsError> {
    let client = oidc(aws, portal);
    let target = portal.start_url.clone();
    let reg = client
        .register_client()
        .client_name("rolecall")
        .client_type("public")
        .set_scopes(Some(SCOPES.iter().map(|s| s.to_string()).collect()))
        .send()
        .await
        .map_err(|e| AwsError::from_sdk(e, "RegisterClient", target.clone()))?;
    let missing = |what: &str| {
        AwsError::new(ErrorKind::Other, "RegisterClient", target.clone())
            .with_message(format!("the answer held no {what}"))
    };
    let client_id = reg
        .client_id()
        .ok_or_else(|| missing("clientId"))?
        .to_string();
    let client_secret = Secret::new(reg.client_secret().ok_or_else(|| missing("clientSecret"))?);
    let registration_expires_at = DateTime::from_timestamp(reg.client_secret_expires_at(), 0)
        .unwrap_or_else(|| Utc::now() + chrono::Duration::days(90));
    let auth = client
        .start_device_authorization()
        .client_id(&client_id)
        .client_secret(client_secret.expose())
        .start_url(&portal.start_url)
        .send()
        .await
        .map_err(|e| {
            let e = AwsError::from_sdk(e, "StartDeviceAuthorization", target.clone());
            let hint = format!("check the start URL ({}) and sso_region ({}): they are the ones the IAM Identity Center console shows under Settings", portal.start_url, portal.region);
            e.with_hint(hint)
        })?;
    let missing = |what: &str| {
        AwsError::new(ErrorKind::Other, "StartDeviceAuthorization", target.clone())
            .with_message(format!("the answer held no {what}"))
    };
    let verification_uri = auth
        .verification_uri()
        .ok_or_else(|| missing("verificationUri"))?
        .to_string();
    Ok(Login {
        portal: portal.clone(),
        client_id,
        client_secret,
        registration_expires_at,
        device_code: Secret::new(auth.device_code().ok_or_else(|| missing("deviceCode"))?),
        interval: Duration::from_secs(u64::try_from(auth.interval()).unwrap_or(5).max(1)),
        code: DeviceCode {
            user_code: auth
                .user_code()
                .ok_or_else(|| missing("userCode"))?
                .to_string(),
            verification_uri_complete: auth
                .verification_uri_complete()
                .map(str::to_string)
                .unwrap_or_else(|| verification_uri.clone()),
            verification_uri,
            expires_at: Utc::now() + chrono::Duration::seconds(auth.expires_in().max(0).into()),
        },
    })
}

impl Login {
    /// Polls CreateToken at the interval given (slower when told to) until the user confirmed
    /// the code, then writes the token where the AWS CLI keeps it; returns where and until when.
    pub async fn finish(self, aws: &Aws) -> Result<(PathBuf, DateTime<Utc>), AwsError> {
        let client = oidc(aws, &self.portal);
        let target = self.portal.start_url.clone();
        let mut interval = self.interval;
        loop {
            tokio::time::sleep(interval).await;
            let out = client
                .create_token()
                .grant_type("urn:ietf:params:oauth:grant-type:device_code")
                .client_id(&self.client_id)
                .client_secret(self.client_secret.expose())
                .device_code(self.device_code.expose())
                .send()
                .await;
            use aws_sdk_ssooidc::operation::create_token::CreateTokenError as E;
            let out = match out {
                Ok(out) => out,
                Err(e) => match e.as_service_error() {
                    Some(E::AuthorizationPendingException(_)) => continue,
                    Some(E::SlowDownException(_)) => {
                        interval += Duration::from_secs(5);
                        continue;
                    }
                    Some(E::ExpiredTokenException(_)) => {
                        return Err(AwsError::new(ErrorKind::ExpiredToken, "CreateToken", target)
                            .with_message("the code was not confirmed in time")
                            .with_hint("run `rolecall login` again, and confirm the code in the browser before it expires"))
                    }
                    Some(E::AccessDeniedException(_)) => {
                        return Err(AwsError::new(ErrorKind::AccessDenied, "CreateToken", target)
                            .with_message("the sign-in was refused in the browser"))
                    }
                    _ => return Err(AwsError::from_sdk(e, "CreateToken", target)),
                },
            };
            let access_token = out.access_token().ok_or_else(|| {
                AwsError::new(ErrorKind::Other, "CreateToken", target.clone())
                    .with_message("the answer held no token")
            })?;
            let expires_at = Utc::now() + chrono::Duration::seconds(out.expires_in().into());
            let file = TokenFile {
                start_url: Some(self.portal.start_url.clone()),
                region: Some(self.portal.region.clone()),
                access_token: access_token.to_string(),
                expires_at: format_time(expires_at),
                client_id: Some(self.client_id.clone()),
                client_secret: Some(self.client_secret.expose().to_string()),
                registration_expires_at: Some(format_time(self.registration_expires_at)),
                refresh_token: out.refresh_token().map(str::to_string),
            };
            let path = self.portal.token_path().ok_or_else(|| {
                AwsError::new(ErrorKind::Other, "keeping the token", target.clone())
                    .with_message("no home folder to keep ~/.aws/sso/cache in")
            })?;
            write_token_file(&path, &file).map_err(|e| {
                AwsError::new(ErrorKind::Other, "keeping the token", target.clone()).with_message(e)
            })?;
            aws.sso_tokens().forget(&self.portal).await;
            return Ok((path, expires_at));
        }
    }
}

/// When the token kept for `portal` expires, and whether it can be refreshed (no AWS call).
pub fn token_status(portal: &Portal) -> Result<(DateTime<Utc>, bool), String> {
    let (path, file) = read_token_file(portal).map_err(|e| e.to_string())?;
    let at = file
        .expires_at()
        .ok_or_else(|| format!("{}: no readable expiresAt", path.display()))?;
    Ok((at, file.refresh().is_some()))
}

/// Shared by the process's `Aws` values.
pub(crate) type SharedTokens = Arc<Tokens>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_files_are_named_as_the_aws_cli_names_them() {
        // botocore: sha1 of the sso-session name; of the start URL without one.
        let p = Portal {
            start_url: "https://my-sso-portal.awsapps.com/start".into(),
            region: "us-east-1".into(),
            session: Some("my-sso".into()),
        };
        let name = p.token_path().unwrap();
        let name = name.file_name().unwrap().to_str().unwrap();
        assert_eq!(
            name,
            format!("{}.json", hex::encode(Sha1::digest(b"my-sso")))
        );
        let legacy = Portal { session: None, ..p };
        let name = legacy.token_path().unwrap();
        assert_eq!(
            name.file_name().unwrap().to_str().unwrap(),
            // sha1("https://my-sso-portal.awsapps.com/start"), as the AWS CLI's docs show it
            format!(
                "{}.json",
                hex::encode(Sha1::digest(b"https://my-sso-portal.awsapps.com/start"))
            )
        );
    }

    #[test]
    fn token_file_round_trips_with_the_aws_cli_field_names_and_no_secret_in_debug() {
        let text = r#"{"startUrl":"https://x.awsapps.com/start","region":"us-east-1","accessToken":"tok-SECRET","expiresAt":"2026-12-05T10:00:00Z","clientId":"cid","clientSecret":"csec-SECRET","registrationExpiresAt":"2099-01-01T00:00:00Z","refreshToken":"ref-SECRET"}"#;
        let f: TokenFile = serde_json::from_str(text).unwrap();
        assert_eq!(
            f.expires_at().unwrap(),
            parse_time("2026-12-05T10:00:00Z").unwrap()
        );
        assert_eq!(f.refresh().map(|r| r.0), Some("cid"));
        assert!(!format!("{f:?}").contains("SECRET"));
        let again: serde_json::Value =
            serde_json::from_str(&serde_json::to_string(&f).unwrap()).unwrap();
        let orig: serde_json::Value = serde_json::from_str(text).unwrap();
        assert_eq!(again, orig);
        assert_eq!(
            format_time(parse_time("2026-12-05T10:00:00Z").unwrap()),
            "2026-12-05T10:00:00Z"
        );
        // A registration that ran out cannot refresh.
        let old = TokenFile {
            registration_expires_at: Some("2020-01-01T00:00:00Z".into()),
            ..f
        };
        assert!(old.refresh().is_none());
    }

    #[tokio::test(start_paused = true)]
    async fn the_pace_is_the_portals_limit() {
        let pace = Pace::default();
        let start = tokio::time::Instant::now();
        for _ in 0..41 {
            pace.wait().await;
        }
        let took = start.elapsed();
        assert!(
            took >= Duration::from_secs(2) && took < Duration::from_millis(2100),
            "{took:?}"
        );
    }
}
