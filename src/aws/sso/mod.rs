//! IAM Identity Center (AWS SSO): the user's token as the AWS CLI keeps it, the accounts and
//! permission sets the portal assigns, their credentials, and the device-authorization sign-in.
//!
//! The token is the one `aws sso login` writes, `~/.aws/sso/cache/<sha1>.json` (the SHA-1 of
//! the sso-session's name, or of the start URL for a profile without one), and rolecall writes
//! it the same way, so either tool's sign-in serves both. (aws-config reads that file too, but
//! neither writes it for a sign-in nor says why a token cannot be used: rolecall reads and
//! writes it here, in the format the AWS CLI documents.)

mod login;
mod portal;
mod token;

use std::path::PathBuf;
use std::time::Duration;

use sha1::{Digest, Sha1};

use super::Aws;

pub use login::{start_login, DeviceCode, Login};
pub use portal::{list_assignments, role_arn, role_credentials, SsoAccount};
pub(crate) use token::Tokens;
pub use token::{token_status, Token};

/// The portal's documented limit: 20 calls a second (per user token).
pub const CALLS_PER_SECOND: u32 = 20;
/// A token this close to its end is refreshed first (as the AWS CLI does: five minutes).
const REFRESH_AHEAD: Duration = Duration::from_secs(300);

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

/// Shared by the process's `Aws` values.
pub(crate) type SharedTokens = std::sync::Arc<Tokens>;

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
}
