//! `rolecall login`: the device authorization sign-in (sso-oidc RegisterClient,
//! StartDeviceAuthorization, CreateToken polled at the interval given).

use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::token::{format_time, write_token_file, TokenFile};
use super::{oidc, Portal};
use crate::aws::credentials::Secret;
use crate::aws::{Aws, AwsError, ErrorKind};

/// What rolecall asks for at sign-in: the portal's account access.
const SCOPES: &[&str] = &["sso:account:access"];

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
