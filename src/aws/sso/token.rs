//! The user's IAM Identity Center token, as the AWS CLI keeps it: read, refreshed with its
//! refresh token near its end, written back; and the portal's pace.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{oidc, Portal, CALLS_PER_SECOND, REFRESH_AHEAD};
use crate::aws::credentials::Secret;
use crate::aws::{Aws, AwsError, ErrorKind};

/// The token file, with the AWS CLI's field names. Only this module sees it; its `Debug` shows
/// no secret.
#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct TokenFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) start_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) region: Option<String>,
    pub(super) access_token: String,
    pub(super) expires_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) client_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) client_secret: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) registration_expires_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) refresh_token: Option<String>,
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
pub(super) fn format_time(t: DateTime<Utc>) -> String {
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
    pub(super) access_token: Secret,
    pub expires_at: DateTime<Utc>,
}

/// The tokens read this process, so a fan-out reads (and refreshes) each portal's once.
#[derive(Debug, Default)]
pub(crate) struct Tokens {
    held: tokio::sync::Mutex<HashMap<Portal, Token>>,
    /// Spaces the portal's calls to its limit.
    pub(super) pace: Pace,
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
pub(super) fn write_token_file(path: &std::path::Path, file: &TokenFile) -> Result<(), String> {
    if let Some(dir) = path.parent() {
        crate::files::create_private_dir(dir).map_err(|e| io_error(dir, e))?;
    }
    let text = serde_json::to_string(file).map_err(|e| e.to_string())?;
    crate::files::write_atomically(path, text.as_bytes()).map_err(|e| io_error(path, e))
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
pub(super) struct Pace {
    next: tokio::sync::Mutex<Option<tokio::time::Instant>>,
}

impl Pace {
    pub(super) async fn wait(&self) {
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

/// When the token kept for `portal` expires, and whether it can be refreshed (no AWS call).
pub fn token_status(portal: &Portal) -> Result<(DateTime<Utc>, bool), String> {
    let (path, file) = read_token_file(portal).map_err(|e| e.to_string())?;
    let at = file
        .expires_at()
        .ok_or_else(|| format!("{}: no readable expiresAt", path.display()))?;
    Ok((at, file.refresh().is_some()))
}

#[cfg(test)]
mod tests {
    use super::*;

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
