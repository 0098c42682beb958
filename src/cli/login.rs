//! `rolecall login`: signs in to IAM Identity Center with the device authorization flow, and
//! keeps the token where (and as) `aws sso login` does.

use std::io::IsTerminal;
use std::process::ExitCode;

use anyhow::{anyhow, bail};

use super::Ctx;
use crate::aws::profiles::ProfileFiles;
use crate::aws::sso::{start_login, Portal};

/// The portal `--sso` names: an `[[sso]]` (by session or start URL), else an `[sso-session]`
/// of the AWS config file; without `--sso`, the config's only `[[sso]]`.
fn portal(ctx: &Ctx, which: Option<&str>) -> anyhow::Result<Portal> {
    let files = ProfileFiles::read().map_err(|e| anyhow!(e))?;
    let entries = &ctx.config.sso;
    let entry = match which {
        Some(w) => entries
            .iter()
            .find(|e| e.session.as_deref() == Some(w) || e.start_url.as_deref() == Some(w)),
        None => match &entries[..] {
            [only] => Some(only),
            [] => bail!(
                "no [[sso]] in the config{}: add one (session = \"NAME\" of an [sso-session] in ~/.aws/config, or start_url and region), or name the portal with --sso",
                ctx.config
                    .source
                    .as_ref()
                    .map(|p| format!(" ({})", p.display()))
                    .unwrap_or_default()
            ),
            many => bail!(
                "the config has {} [[sso]] portals: name one with --sso ({})",
                many.len(),
                many.iter().map(|e| e.label()).collect::<Vec<_>>().join(", ")
            ),
        },
    };
    if let Some(entry) = entry {
        return crate::sso::portal(entry, &files).map_err(|e| anyhow!(e));
    }
    let w = which.unwrap_or_default();
    files
        .sso_session(w)
        .map_err(|e| anyhow!("--sso {w}: not an [[sso]] of the config, and {e}"))
}

/// `rolecall login [--sso NAME] [--no-browser]`
pub async fn login(ctx: &Ctx, which: Option<&str>, no_browser: bool) -> anyhow::Result<ExitCode> {
    let portal = portal(ctx, which)?;
    let aws = ctx.aws().await;
    let login = start_login(&aws, &portal).await?;
    let code = &login.code;
    eprintln!(
        "rolecall: sign in to {} in the browser and confirm the code {}\n  {}",
        portal.start_url, code.user_code, code.verification_uri_complete
    );
    // A browser where a person is (a terminal), or wherever BROWSER names one.
    let browser = std::env::var_os("BROWSER").is_some_and(|b| !b.is_empty());
    let opened = !no_browser
        && (std::io::stderr().is_terminal() || browser)
        && webbrowser::open(&code.verification_uri_complete).is_ok();
    if !opened {
        eprintln!(
            "rolecall: open that link yourself (on any device), or go to {} and type the code",
            code.verification_uri
        );
    }
    eprintln!(
        "rolecall: waiting for the confirmation (the code expires at {})…",
        crate::time::rfc3339(&code.expires_at)
    );
    let (path, until) = login.finish(&aws).await?;
    eprintln!(
        "rolecall: signed in to {} until {}; the token is in {}",
        portal.start_url,
        crate::time::rfc3339(&until),
        path.display()
    );
    Ok(ExitCode::SUCCESS)
}
