//! Credentials as rolecall holds them: the secret parts never show in `Debug` or `Display`.

use std::fmt;

use aws_credential_types::provider::SharedCredentialsProvider;
use chrono::{DateTime, Utc};

/// A secret string. `Debug` and `Display` print a placeholder; `expose` is the only way in.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }
    /// The secret itself: call only where it leaves rolecall on purpose (an SDK call, `--format env`).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(** redacted **)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("** redacted **")
    }
}

/// A set of AWS credentials, usually temporary ones from AssumeRole.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: Secret,
    pub session_token: Option<Secret>,
    pub expiration: Option<DateTime<Utc>>,
}

impl Credentials {
    /// The SDK's form, for building clients that act with these credentials.
    pub fn to_sdk(&self) -> aws_credential_types::Credentials {
        aws_credential_types::Credentials::new(
            self.access_key_id.clone(),
            self.secret_access_key.expose().to_string(),
            self.session_token.as_ref().map(|t| t.expose().to_string()),
            self.expiration.map(std::time::SystemTime::from),
            "rolecall",
        )
    }

    pub fn provider(&self) -> SharedCredentialsProvider {
        SharedCredentialsProvider::new(self.to_sdk())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_secrets() {
        let c = Credentials {
            access_key_id: "ASIAEXAMPLE".into(),
            secret_access_key: Secret::new("wJalrXUtnFEMI/K7MDENG"),
            session_token: Some(Secret::new("FwoGZXIvYXdzEJr//////////token")),
            expiration: None,
        };
        let dbg = format!("{c:?} {:?}", c.to_sdk());
        assert!(!dbg.contains("wJalrXUtnFEMI"), "{dbg}");
        assert!(!dbg.contains("FwoGZXIvYXdz"), "{dbg}");
        assert!(dbg.contains("ASIAEXAMPLE"));
        assert_eq!(c.secret_access_key.to_string(), "** redacted **");
    }
}
