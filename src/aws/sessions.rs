//! The session store: the one place that holds each role's current credentials.
//!
//! Every client rolecall builds for a role reads its credentials from here on each call (through
//! [`SessionStore::provider`]), so a refreshed session takes effect without rebuilding clients.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{future, ProvideCredentials};

use tokio::sync::Notify;

use super::arn::RoleArn;
use super::assume::{AssumeParams, Session};
use super::credentials::RoleCredentials;

/// A session with what it takes to renew it.
#[derive(Clone, Debug)]
pub struct Entry {
    pub session: Session,
    /// The request that made it, without the MFA code (codes are single-use).
    pub params: AssumeParams,
    /// Renew this long before it expires.
    pub refresh_before: Duration,
}

#[derive(Clone, Default, Debug)]
pub struct SessionStore {
    inner: Arc<RwLock<HashMap<RoleArn, Entry>>>,
    changed: Arc<Notify>,
}

impl SessionStore {
    /// Keeps `session` as the role's current one (replacing any older one).
    pub fn insert(&self, session: Session, params: &AssumeParams, refresh_before: Duration) {
        let params = AssumeParams {
            token_code: None,
            ..params.clone()
        };
        {
            let mut map = self.inner.write().unwrap_or_else(|p| p.into_inner());
            map.insert(
                session.role_arn.clone(),
                Entry {
                    session,
                    params,
                    refresh_before,
                },
            );
        }
        self.changed.notify_one();
    }

    pub fn get(&self, arn: &RoleArn) -> Option<Session> {
        let map = self.inner.read().unwrap_or_else(|p| p.into_inner());
        map.get(arn).map(|e| e.session.clone())
    }

    /// Every session, for the refresher.
    pub fn entries(&self) -> Vec<Entry> {
        let map = self.inner.read().unwrap_or_else(|p| p.into_inner());
        map.values().cloned().collect()
    }

    /// Resolves after the next `insert` (or at once if one happened since the last wait).
    pub async fn changed(&self) {
        self.changed.notified().await
    }

    /// Credentials for `arn` as the SDK asks for them: always the store's current session.
    pub fn provider(&self, arn: &RoleArn) -> RoleCredentials {
        RoleCredentials::new(StoreProvider {
            store: self.clone(),
            arn: arn.clone(),
        })
    }
}

#[derive(Debug)]
struct StoreProvider {
    store: SessionStore,
    arn: RoleArn,
}

impl ProvideCredentials for StoreProvider {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::ready(match self.store.get(&self.arn) {
            Some(s) => Ok(s.credentials.to_sdk()),
            None => Err(CredentialsError::not_loaded(format!(
                "no session for {}: assume the role first",
                self.arn
            ))),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::credentials::{Credentials, Secret};

    fn params() -> AssumeParams {
        AssumeParams {
            role_arn: "arn:aws:iam::222222222222:role/R".parse().unwrap(),
            session_name: "t".into(),
            duration_seconds: 900,
            external_id: None,
            mfa_serial: None,
            token_code: Some(crate::aws::credentials::TokenCode::parse("123456").unwrap()),
            source_identity: None,
            source: Default::default(),
        }
    }

    fn session(key: &str) -> Session {
        let exp = chrono::Utc::now() + chrono::Duration::hours(1);
        Session {
            role_arn: "arn:aws:iam::222222222222:role/R".parse().unwrap(),
            assumed_role_arn: "arn:aws:sts::222222222222:assumed-role/R/x".into(),
            credentials: Credentials {
                access_key_id: key.into(),
                secret_access_key: Secret::new("s3cr3t"),
                session_token: Some(Secret::new("t0ken")),
                expiration: Some(exp),
            },
            expiration: exp,
        }
    }

    #[tokio::test]
    async fn provider_follows_the_store() {
        let store = SessionStore::default();
        let arn: RoleArn = "arn:aws:iam::222222222222:role/R".parse().unwrap();
        let provider = store.provider(&arn).sdk();
        assert!(provider.provide_credentials().await.is_err());
        store.insert(session("ASIAFIRST"), &params(), Duration::from_secs(60));
        assert_eq!(
            provider
                .provide_credentials()
                .await
                .unwrap()
                .access_key_id(),
            "ASIAFIRST"
        );
        store.insert(session("ASIASECOND"), &params(), Duration::from_secs(60));
        assert!(
            store.entries()[0].params.token_code.is_none(),
            "MFA codes are not kept"
        );
        assert_eq!(
            provider
                .provide_credentials()
                .await
                .unwrap()
                .access_key_id(),
            "ASIASECOND"
        );
        let shown = format!("{store:?}");
        assert!(
            !shown.contains("s3cr3t") && !shown.contains("t0ken"),
            "{shown}"
        );
    }
}
