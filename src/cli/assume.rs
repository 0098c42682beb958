//! `rolecall assume` and `rolecall exec`, and assuming a role for any subcommand: the MFA code
//! (asked on the terminal, without echo, when not given) and the role-chaining cap.

use std::io::IsTerminal;
use std::process::ExitCode;

use anyhow::{bail, Context};

use super::print::{credentials_env, credentials_process, rfc3339};
use super::{AssumeFormat, Ctx};
use crate::aws::assume::{assume_role, chained_cap, Session, CHAINED_MAX_SECONDS};
use crate::aws::credentials::TokenCode;
use crate::aws::identity::caller_identity;
use crate::aws::Aws;
use crate::case::records;
use crate::roles::Role;

/// `rolecall assume ROLE`: the credentials on stdout, what was assumed on stderr.
pub async fn assume(
    ctx: &Ctx,
    role: &str,
    format: AssumeFormat,
    duration: Option<u32>,
    token_code: Option<TokenCode>,
) -> anyhow::Result<ExitCode> {
    let role = ctx.resolve_role(role).await?;
    let session = assume_for(ctx, &ctx.aws().await, &role, duration, token_code).await?;
    eprintln!(
        "rolecall: assumed {} ({}); expires {}",
        role.arn,
        session.assumed_role_arn,
        rfc3339(&session.expiration)
    );
    match format {
        AssumeFormat::Env => out!("{}", credentials_env(&session)),
        AssumeFormat::CredentialProcess => outln!("{}", credentials_process(&session)),
    }
    Ok(ExitCode::SUCCESS)
}

/// `rolecall exec ROLE -- CMD`: runs the command with the role's credentials and a region in
/// its environment (and no profile, so nothing outranks them); exits with its status.
pub async fn exec(
    ctx: &Ctx,
    role: &str,
    duration: Option<u32>,
    token_code: Option<TokenCode>,
    command: &[String],
) -> anyhow::Result<ExitCode> {
    let role = ctx.resolve_role(role).await?;
    let Some((program, args)) = command.split_first() else {
        bail!("exec: give the command to run after --");
    };
    let session = assume_for(ctx, &ctx.aws().await, &role, duration, token_code).await?;
    let region = ctx
        .region_for(&role)
        .unwrap_or_else(|| crate::aws::FALLBACK_REGION.to_string());
    let c = &session.credentials;
    let mut cmd = tokio::process::Command::new(program);
    cmd.args(args)
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_DEFAULT_PROFILE")
        .env("AWS_ACCESS_KEY_ID", &c.access_key_id)
        .env("AWS_SECRET_ACCESS_KEY", c.secret_access_key.expose())
        .env("AWS_REGION", &region)
        .env("AWS_DEFAULT_REGION", &region)
        .env("AWS_CREDENTIAL_EXPIRATION", rfc3339(&session.expiration));
    match &c.session_token {
        Some(t) => cmd.env("AWS_SESSION_TOKEN", t.expose()),
        None => cmd.env_remove("AWS_SESSION_TOKEN"),
    };
    let status = cmd
        .status()
        .await
        .with_context(|| format!("exec: cannot run \"{program}\" (is it on PATH?)"))?;
    if let Some(code) = status.code() {
        return Ok(ExitCode::from(code.clamp(0, 255) as u8));
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = status.signal() {
            return Ok(ExitCode::from((128 + sig).clamp(0, 255) as u8));
        }
    }
    Ok(ExitCode::FAILURE)
}

/// Assumes `role`, asking for an MFA code on the terminal when the role needs one and none was
/// given, and asking no more than AWS grants a chained session.
pub async fn assume_for(
    ctx: &Ctx,
    aws: &Aws,
    role: &Role,
    duration: Option<u32>,
    token_code: Option<TokenCode>,
) -> anyhow::Result<Session> {
    let defaults = &ctx.config.defaults;
    // No code is asked for where a session is at hand: the MFA session of the role's device, or
    // the role's own in the session cache.
    let token_code = match (&role.mfa_serial, token_code) {
        (_, Some(code)) => Some(code),
        (Some(serial), None) => {
            let params = role.assume_params(defaults, duration, None);
            let at_hand = crate::aws::source::mfa_ready(aws, serial).await
                || crate::aws::assume::reusable(aws, &params).is_some();
            if at_hand {
                None
            } else {
                Some(prompt_token_code(&role.arn.to_string(), serial)?)
            }
        }
        (None, None) => None,
    };
    let mut duration = duration;
    let requested = duration.unwrap_or_else(|| role.duration(defaults));
    if requested > CHAINED_MAX_SECONDS && role.reach == crate::aws::assume::Source::Primary {
        // Only a long session can run into the chaining cap: ask who we are just then.
        if let Ok(me) = caller_identity(aws).await {
            if let Some(cap) = chained_cap(requested, me.is_assumed_role()) {
                eprintln!(
                    "rolecall: {} is itself a role session; AWS grants chained sessions at most {cap} s, so asking for {cap} s instead of {requested} s",
                    me.arn
                );
                duration = Some(cap);
            }
        }
    }
    let params = role.assume_params(defaults, duration, token_code);
    // A case log that cannot be written stops the action before it starts.
    ctx.journal.check()?;
    let result = assume_role(aws, &params).await;
    ctx.record(aws, records::assumed("assume", &params, &result))
        .await?;
    Ok(result?)
}

/// Asks for the MFA code on the terminal, without echoing it.
fn prompt_token_code(role: &str, serial: &str) -> anyhow::Result<TokenCode> {
    if !std::io::stdin().is_terminal() {
        bail!(
            "{role} needs an MFA code (mfa_serial = {serial}): pass --token-code CODE with the current code from that device"
        );
    }
    let line = rpassword::prompt_password(format!("MFA code for {serial}: "))
        .context("reading the MFA code")?;
    TokenCode::parse(&line).map_err(anyhow::Error::msg)
}
