//! `rolecall link` (the console's Switch Role page) and `rolecall console` (federated sign-in).

use std::process::ExitCode;
use std::time::Duration;

use super::assume::assume_for;
use super::print::{rfc3339, to_json};
use super::{ConsoleTarget, Ctx};
use crate::aws::console::{self, Destination, Page};
use crate::aws::credentials::TokenCode;
use crate::case::records;
use crate::roles::Role;

/// `rolecall link ROLE`: no credentials in it; it works in a browser signed in to the primary
/// account.
pub async fn link(
    ctx: &Ctx,
    role: &str,
    json: bool,
    target: &ConsoleTarget,
) -> anyhow::Result<ExitCode> {
    let role = ctx.resolve_role(role).await?;
    let destination = destination(ctx, &role, target, false)?;
    let account = ctx.config.account(role.arn.account_id());
    let display = role.display_name(account.and_then(|a| a.name.as_deref()));
    let color = account.and_then(|a| a.color.as_deref());
    let url = console::switch_role_url(&role.arn, &display, color, destination.as_ref());
    if ctx.journal.case().is_some() {
        let aws = ctx.aws().await;
        ctx.record(&aws, records::switch_link(&role.arn, &url))
            .await?;
    }
    if json {
        outln!(
            "{}",
            to_json(&serde_json::json!({"role_arn": role.arn, "url": url}))
        );
    } else {
        outln!("{url}");
    }
    Ok(ExitCode::SUCCESS)
}

/// `rolecall console ROLE`: assumes it, signs in through the federation endpoint, and opens
/// the console (or prints the link, which is a credential, with `--print`).
pub async fn console(
    ctx: &Ctx,
    role: &str,
    print: bool,
    target: &ConsoleTarget,
    duration: Option<u32>,
    token_code: Option<TokenCode>,
) -> anyhow::Result<ExitCode> {
    let role = ctx.resolve_role(role).await?;
    let destination = destination(ctx, &role, target, true)?.unwrap_or_default();
    let aws = ctx.aws().await;
    let session = assume_for(ctx, &aws, &role, duration, token_code).await?;
    let link = console::sign_in(
        &role.arn,
        &session.credentials,
        ctx.config.console.federation_endpoint.as_ref(),
        &destination,
        Duration::from_secs(ctx.config.defaults.timeout_seconds.into()),
    )
    .await?;
    let how = if print { "printed" } else { "opened" };
    let record = records::signed_in(
        &role.arn,
        Some(&session.assumed_role_arn),
        &destination,
        how,
    );
    ctx.record(&aws, record).await?;
    let expires = rfc3339(&session.expiration);
    if print {
        eprintln!(
            "rolecall: this link signs anyone who opens it in as {} until {expires}; do not share it",
            role.arn
        );
        outln!("{}", link.expose());
    } else {
        console::open(&role.arn, &link).await?;
        eprintln!(
            "rolecall: opened the console as {} (session until {expires})",
            role.arn
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Where a console link lands: `--region` (else the role's first region), `--service`,
/// `--instance` / `--volume`. `None` for a bare switch-role link with none of them (`always`:
/// a destination even then).
fn destination(
    ctx: &Ctx,
    role: &Role,
    target: &ConsoleTarget,
    always: bool,
) -> anyhow::Result<Option<Destination>> {
    let page = match target.resource() {
        Some((kind, flag, id)) => {
            let (service, fragment) = kind.spec().console_page(id).map_err(|shape| {
                let one = kind.about().one;
                let a = if one.starts_with(['a', 'e', 'i', 'o', 'u']) {
                    "an"
                } else {
                    "a"
                };
                anyhow::anyhow!("{flag} \"{id}\" is not {a} {one} id ({shape})")
            })?;
            if let Some(s) = target.service.as_deref().filter(|s| *s != service) {
                anyhow::bail!("--service {s} with {flag}: its page is in the {service} console");
            }
            Some((service, Page(fragment)))
        }
        None => None,
    };
    let asked = !ctx.regions.is_empty() || target.service.is_some() || page.is_some();
    if !asked && !always {
        return Ok(None);
    }
    let (service, resource) = match page {
        Some((service, page)) => (Some(service.to_string()), Some(page)),
        None => (target.service.clone(), None),
    };
    let d = Destination {
        region: ctx.region_for(role),
        service,
        resource,
    };
    d.validate().map_err(anyhow::Error::msg)?;
    Ok(Some(d))
}
