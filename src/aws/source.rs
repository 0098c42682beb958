//! Where a role's session comes from, as the AWS CLI works it out: the primary identity (or its
//! MFA session), another role's session (`via`, role chaining), a profile of the AWS config file
//! (`source_profile`, `credential_source`), or IAM Identity Center (the role is a permission set;
//! its credentials come from the portal).
//!
//! The sessions a role is reached through are asked for once and shared by every role reached
//! through them ([`Memo`]): a thousand accounts reached from one SSO role make one
//! GetRoleCredentials call, and a thousand MFA roles one GetSessionToken with the one code.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use aws_credential_types::provider::SharedCredentialsProvider;
use chrono::{DateTime, Utc};

use super::assume::{assume_as, assume_role, AssumeParams, Session, CHAINED_MAX_SECONDS};
use super::credentials::{Credentials, Secret, TokenCode};
use super::sso::Portal;
use super::{Aws, AwsError, ErrorKind};

/// A session kept for reuse is made again this long before it ends.
pub const MARGIN: Duration = Duration::from_secs(300);

/// A session of the role `p` names, from where `p.source` says (no session cache: see
/// `assume::assume_role`).
pub(crate) async fn obtain(aws: &Aws, p: &AssumeParams) -> Result<Session, AwsError> {
    match &p.source {
        Source::Sso(role) => super::sso::role_credentials(aws, &p.role_arn, role).await,
        Source::Primary => {
            if let Some(serial) = &p.mfa_serial {
                if let Some(mfa) = mfa_session(aws, serial, p.token_code.as_ref()).await? {
                    // The MFA session stands for the code: AWS sees MultiFactorAuthPresent.
                    let p = AssumeParams {
                        mfa_serial: None,
                        token_code: None,
                        ..p.clone()
                    };
                    return assume_as(aws, Some(mfa.provider().sdk()), &p).await;
                }
            }
            assume_as(aws, None, p).await
        }
        Source::Role(via) => {
            let caller = aws
                .memo()
                .get_or(&format!("role:{}", via.key()), MARGIN, || async {
                    assume_role(aws, via).await.map(|s| Some(s.credentials))
                })
                .await?
                .ok_or_else(|| {
                    AwsError::new(ErrorKind::Other, "AssumeRole", via.role_arn.to_string())
                        .with_message("no session of the role it is reached through")
                })?;
            let p = AssumeParams {
                duration_seconds: p.duration_seconds.min(CHAINED_MAX_SECONDS),
                ..p.clone()
            };
            assume_as(aws, Some(caller.provider().sdk()), &p).await
        }
        Source::Profile(name) => {
            let provider = aws.profile_credentials(name).await;
            assume_as(aws, Some(provider), p)
                .await
                .map_err(|e| as_whom(e, &p.source))
        }
        Source::Credential(c) => assume_as(aws, Some(c.provider()), p)
            .await
            .map_err(|e| as_whom(e, &p.source)),
        Source::Unresolved(why) => Err(AwsError::new(
            ErrorKind::Other,
            "AssumeRole",
            p.role_arn.to_string(),
        )
        .with_message(why.clone())
        .with_hint("fix `via` in the config (`rolecall roles` lists the names it can take)")),
    }
}

/// An AssumeRole error that says whose credentials asked (they were not the primary's).
fn as_whom(e: AwsError, source: &Source) -> AwsError {
    let whom = format!("asked with the credentials of {}", source.describe());
    let hint = match e.hint.as_deref() {
        Some(h) => format!("{whom}; {h}"),
        None => format!("{whom}: check them (`aws sts get-caller-identity --profile …`)"),
    };
    AwsError {
        hint: Some(hint),
        ..e
    }
}

impl CredentialSource {
    fn provider(self) -> SharedCredentialsProvider {
        match self {
            CredentialSource::Environment => SharedCredentialsProvider::new(
                aws_config::environment::credentials::EnvironmentVariableCredentialsProvider::new(),
            ),
            CredentialSource::Ec2InstanceMetadata => SharedCredentialsProvider::new(
                aws_config::imds::credentials::ImdsCredentialsProvider::builder().build(),
            ),
            CredentialSource::EcsContainer => SharedCredentialsProvider::new(
                aws_config::ecs::EcsCredentialsProvider::builder().build(),
            ),
        }
    }
}

/// The primary identity's MFA session for the device `serial`: the one made this process (or
/// kept in the session cache) while it lasts; else, given a code and a primary IAM user (a
/// long-term key), sts:GetSessionToken with it — once, whoever else waits for it. `None`: there
/// is none to be had (no code, or a primary that is not an IAM user: the code then goes with
/// the AssumeRole itself).
pub async fn mfa_session(
    aws: &Aws,
    serial: &str,
    code: Option<&TokenCode>,
) -> Result<Option<Credentials>, AwsError> {
    let key = format!("mfa:{serial}");
    aws.memo()
        .get_or(&key, MARGIN, || async {
            if let Some(kept) = aws.cached_mfa_session(&key) {
                return Ok(Some(kept));
            }
            let Some(code) = code else { return Ok(None) };
            let long_term = aws
                .primary_key_id()
                .await
                .is_some_and(|k| k.starts_with("AKIA"));
            if !long_term {
                return Ok(None);
            }
            let made = get_session_token(aws, serial, code).await?;
            aws.keep_mfa_session(&key, serial, &made);
            Ok(Some(made))
        })
        .await
}

/// Whether an MFA session for `serial` is at hand (no call): a role that needs that device can
/// then be assumed, and renewed, without a code.
pub async fn mfa_ready(aws: &Aws, serial: &str) -> bool {
    let key = format!("mfa:{serial}");
    aws.memo().peek(&key, MARGIN).await.is_some() || aws.cached_mfa_session(&key).is_some()
}

/// When the MFA session for `serial` at hand ends (`None`: there is none).
pub async fn mfa_session_until(aws: &Aws, serial: &str) -> Option<DateTime<Utc>> {
    let key = format!("mfa:{serial}");
    match aws.memo().peek(&key, MARGIN).await {
        Some(c) => c.expiration,
        None => aws.cached_mfa_session(&key).and_then(|c| c.expiration),
    }
}

async fn get_session_token(
    aws: &Aws,
    serial: &str,
    code: &TokenCode,
) -> Result<Credentials, AwsError> {
    let out = aws
        .sts()
        .get_session_token()
        .serial_number(serial)
        .token_code(code.expose())
        .send()
        .await
        .map_err(|e| {
            let e = AwsError::from_sdk(e, "GetSessionToken", format!("MFA device {serial}"));
            match e.kind {
                ErrorKind::AccessDenied => e.with_hint(format!(
                    "the code was refused: give the current code of the device {serial} (a code is good once; wait for the next one), and check that mfa_serial names the primary IAM user's own device"
                )),
                _ => e,
            }
        })?;
    let c = out.credentials().ok_or_else(|| {
        AwsError::new(ErrorKind::Other, "GetSessionToken", serial.to_string())
            .with_message("the answer held no credentials")
    })?;
    let expiration = super::assume::to_chrono(c.expiration()).ok_or_else(|| {
        AwsError::new(ErrorKind::Other, "GetSessionToken", serial.to_string())
            .with_message("the answer held an expiration out of range")
    })?;
    Ok(Credentials {
        access_key_id: c.access_key_id().to_string(),
        secret_access_key: Secret::new(c.secret_access_key()),
        session_token: Some(Secret::new(c.session_token())),
        expiration: Some(expiration),
    })
}

/// Where a role's session is had from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Source {
    /// sts:AssumeRole as the primary identity; for a role with `mfa_serial`, as the primary's MFA
    /// session where there is one (see `Aws::mfa_session`).
    #[default]
    Primary,
    /// The role is a permission set of IAM Identity Center: sso:GetRoleCredentials with the
    /// user's token. (No AssumeRole: session name and duration are Identity Center's.)
    Sso(SsoRole),
    /// sts:AssumeRole as another role's session (`via`): role chaining, at most an hour.
    Role(Box<AssumeParams>),
    /// sts:AssumeRole with the credentials of a profile of the AWS config file
    /// (`source_profile`), resolved as the AWS CLI does, chains included.
    Profile(String),
    /// sts:AssumeRole with the credentials a profile's `credential_source` names.
    Credential(CredentialSource),
    /// A `via` that leads nowhere: why, as the role's AssumeRole error.
    Unresolved(String),
}

/// A permission set assigned to the user in one account.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SsoRole {
    pub portal: Portal,
    pub account_id: String,
    pub role_name: String,
}

/// `credential_source` in a profile of the AWS config file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CredentialSource {
    Environment,
    Ec2InstanceMetadata,
    EcsContainer,
}

impl CredentialSource {
    /// The value as the AWS config file spells it, or what is wrong with it.
    pub fn parse(value: &str) -> Result<CredentialSource, String> {
        match value {
            "Environment" => Ok(CredentialSource::Environment),
            "Ec2InstanceMetadata" => Ok(CredentialSource::Ec2InstanceMetadata),
            "EcsContainer" => Ok(CredentialSource::EcsContainer),
            other => Err(format!(
                "credential_source \"{other}\" is none of Environment, Ec2InstanceMetadata, EcsContainer"
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            CredentialSource::Environment => "Environment",
            CredentialSource::Ec2InstanceMetadata => "Ec2InstanceMetadata",
            CredentialSource::EcsContainer => "EcsContainer",
        }
    }
}

impl Source {
    /// Whether the caller of the role's AssumeRole is itself a role session, so that AWS grants
    /// at most an hour (role chaining). (A profile's credentials may be one too: AWS then
    /// says so, and the error names the duration.)
    pub fn chains(&self) -> bool {
        matches!(self, Source::Role(_))
    }

    /// A line for the user: where the session comes from.
    pub fn describe(&self) -> String {
        match self {
            Source::Primary => "the primary identity".into(),
            Source::Sso(r) => format!(
                "IAM Identity Center ({}, permission set {} in {})",
                r.portal.start_url, r.role_name, r.account_id
            ),
            Source::Role(p) => format!("role {}", p.role_arn),
            Source::Profile(name) => format!("AWS profile {name}"),
            Source::Credential(c) => format!("credential_source {}", c.as_str()),
            Source::Unresolved(why) => format!("nowhere ({why})"),
        }
    }

    /// What keys the session, besides the request: stable across runs, no secret in it.
    pub(crate) fn key(&self) -> String {
        match self {
            Source::Primary => "primary".into(),
            Source::Sso(r) => format!(
                "sso:{}|{}|{}|{}",
                r.portal.start_url, r.portal.region, r.account_id, r.role_name
            ),
            Source::Role(p) => format!("role:{}", p.key()),
            Source::Profile(name) => format!("profile:{name}"),
            Source::Credential(c) => format!("credential:{}", c.as_str()),
            Source::Unresolved(why) => format!("unresolved:{why}"),
        }
    }
}

/// Sessions asked for once and shared: each key's session is made by the first caller, while
/// the others wait for it (so a one-time MFA code is sent once), and made again when it is about
/// to expire.
#[derive(Debug, Default)]
pub(crate) struct Memo {
    slots: crate::slots::Slots<String, Credentials>,
}

impl Memo {
    fn slot(&self, key: &str) -> Arc<tokio::sync::Mutex<Option<Credentials>>> {
        self.slots.slot(&key.to_string())
    }

    /// The session kept for `key` if it outlives `margin`.
    pub(crate) async fn peek(&self, key: &str, margin: Duration) -> Option<Credentials> {
        let slot = self.slot(key);
        let held = slot.lock().await;
        held.clone().filter(|s| fresh(s, margin))
    }

    /// The session for `key`: the one kept if it outlives `margin`, else what `make` gives
    /// (kept when it is `Some`). Callers of one key wait for each other.
    pub(crate) async fn get_or<F, Fut>(
        &self,
        key: &str,
        margin: Duration,
        make: F,
    ) -> Result<Option<Credentials>, AwsError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Option<Credentials>, AwsError>>,
    {
        let slot = self.slot(key);
        let mut held = slot.lock().await;
        if let Some(s) = held.as_ref().filter(|s| fresh(s, margin)) {
            return Ok(Some(s.clone()));
        }
        let made = make().await?;
        if let Some(s) = &made {
            *held = Some(s.clone());
        }
        Ok(made)
    }

    /// Keeps `session` for `key`.
    #[cfg(test)]
    pub(crate) async fn put(&self, key: &str, credentials: Credentials) {
        let slot = self.slot(key);
        *slot.lock().await = Some(credentials);
    }
}

/// Whether `c` is good for at least `margin` more (long-term credentials always are).
pub(crate) fn fresh(c: &Credentials, margin: Duration) -> bool {
    let margin = chrono::Duration::from_std(margin).unwrap_or(chrono::Duration::MAX);
    c.expiration.is_none_or(|end: DateTime<Utc>| {
        Utc::now()
            .checked_add_signed(margin)
            .is_some_and(|t| end > t)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn session(minutes: i64) -> Credentials {
        Credentials {
            access_key_id: "ASIAX".into(),
            secret_access_key: Secret::new("s"),
            session_token: None,
            expiration: Some(Utc::now() + chrono::Duration::minutes(minutes)),
        }
    }

    #[tokio::test]
    async fn one_caller_makes_the_session_the_others_wait_for_it() {
        let memo = Arc::new(Memo::default());
        let made = Arc::new(AtomicU32::new(0));
        let mut tasks = Vec::new();
        for _ in 0..20 {
            let (memo, made) = (memo.clone(), made.clone());
            tasks.push(tokio::spawn(async move {
                memo.get_or("k", Duration::from_secs(60), || async {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    made.fetch_add(1, Ordering::SeqCst);
                    Ok(Some(session(60)))
                })
                .await
            }));
        }
        for t in tasks {
            assert!(t.await.unwrap().unwrap().is_some());
        }
        assert_eq!(made.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_session_within_the_margin_is_made_again() {
        let memo = Memo::default();
        memo.put("k", session(3)).await;
        assert!(memo.peek("k", Duration::from_secs(60)).await.is_some());
        assert!(memo.peek("k", Duration::from_secs(600)).await.is_none());
        let again = memo
            .get_or("k", Duration::from_secs(600), || async {
                Ok(Some(session(60)))
            })
            .await
            .unwrap()
            .unwrap();
        assert!(fresh(&again, Duration::from_secs(3000)));
        // A failure keeps nothing and says why.
        let memo = Memo::default();
        let e = memo
            .get_or("x", Duration::ZERO, || async {
                Err(AwsError::new(crate::aws::ErrorKind::Other, "X", "t"))
            })
            .await;
        assert!(e.is_err());
        assert!(memo.peek("x", Duration::ZERO).await.is_none());
    }
}
