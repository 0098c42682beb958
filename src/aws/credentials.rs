//! Credentials as rolecall holds them: the secret parts never show in `Debug` or `Display`.

use std::fmt;

use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use chrono::{DateTime, Utc};

/// A secret string. `Debug` and `Display` print a placeholder; `expose` is the only way in.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }
    /// The secret itself: call only where it leaves rolecall on purpose (an SDK call, `--format env`).
    pub fn expose(&self) -> &str {
        &self.0
    }
    /// For a secret being typed.
    pub fn push(&mut self, c: char) {
        self.0.push(c);
    }
    pub fn pop(&mut self) {
        self.0.pop();
    }
    /// Its length in characters (how many to mask).
    pub fn len(&self) -> usize {
        self.0.chars().count()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The current code of an MFA device: six digits, checked once here for the CLI, the TUI and
/// doctor alike. A secret like any other: never shown, never logged.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenCode(Secret);

impl TokenCode {
    /// How many digits a code has.
    pub const LEN: usize = 6;

    /// A code as typed (surrounding spaces are dropped), or what is wrong with it.
    pub fn parse(text: &str) -> Result<TokenCode, String> {
        let code = text.trim();
        if code.len() == Self::LEN && code.bytes().all(|b| b.is_ascii_digit()) {
            Ok(TokenCode(Secret::new(code)))
        } else {
            Err(format!(
                "an MFA code is {} digits (the current one from the device named by mfa_serial)",
                Self::LEN
            ))
        }
    }

    /// For the AssumeRole call.
    pub fn expose(&self) -> &str {
        self.0.expose()
    }
}

impl fmt::Debug for TokenCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenCode(** redacted **)")
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

    /// For calls made with these credentials.
    pub fn provider(&self) -> RoleCredentials {
        RoleCredentials::new(self.to_sdk())
    }
}

/// Where the calls made as a role get their credentials: fixed ones (a session the CLI just
/// assumed), or the session store's current one (the TUI, through refreshes). What the SDK's
/// clients are given; nothing outside `aws/` sees the SDK type.
#[derive(Clone, Debug)]
pub struct RoleCredentials(SharedCredentialsProvider);

impl RoleCredentials {
    pub(crate) fn new(provider: impl ProvideCredentials + 'static) -> Self {
        RoleCredentials(SharedCredentialsProvider::new(provider))
    }

    pub(in crate::aws) fn sdk(&self) -> SharedCredentialsProvider {
        self.0.clone()
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

    #[test]
    fn token_codes_are_six_digits_and_never_shown() {
        let code = TokenCode::parse(" 123456\n").unwrap();
        assert_eq!(code.expose(), "123456");
        assert_eq!(format!("{code:?}"), "TokenCode(** redacted **)");
        for bad in ["12345", "1234567", "12a456", "", "１２３４５６"] {
            let e = TokenCode::parse(bad).unwrap_err();
            assert!(e.starts_with("an MFA code is 6 digits"), "{bad}: {e}");
        }
        let mut typed = Secret::default();
        typed.push('4');
        typed.push('2');
        typed.pop();
        assert_eq!(
            (typed.len(), format!("{typed:?}")),
            (1, "Secret(** redacted **)".into())
        );
    }
}
