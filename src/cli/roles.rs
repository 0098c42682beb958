//! `rolecall roles` (who am I, which roles can I reach) and `rolecall policy` (what to paste
//! into IAM on both sides).

use std::process::ExitCode;

use anyhow::bail;
use serde_json::{json, Value};

use super::print::{roles_json, roles_table, to_json};
use super::Ctx;
use crate::aws::assume::Source;
use crate::aws::discovery::principal_arn;
use crate::aws::identity::caller_identity;
use crate::aws::policy::{primary_policy, trust_policy};
use crate::config::Config;
use crate::roles::{self, Known, Role};

/// `rolecall roles [--json]`
pub async fn roles(ctx: &Ctx, json: bool) -> anyhow::Result<ExitCode> {
    let config = &ctx.config;
    let aws = ctx.aws().await;
    let primary = caller_identity(&aws).await?;
    let known = roles::discover(config, &ctx.orgs(&aws, &primary)).await;
    let warnings = known.warnings;
    let groups = roles::group(config, known.roles);
    if json {
        outln!(
            "{}",
            roles_json(&primary, &groups, &config.defaults, &warnings)
        );
    } else {
        out!(
            "{}",
            roles_table(&primary, &groups, &config.defaults, &warnings)
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// The roles a command is about: one named, or every known role.
pub fn chosen(config: &Config, known: &Known, role: Option<&str>) -> anyhow::Result<Vec<Role>> {
    Ok(match role {
        Some(arg) => vec![roles::resolve_in(config, &known.roles, arg)?],
        None => known.roles.clone(),
    })
}

/// `rolecall policy [ROLE] [--json]`
pub async fn policy(ctx: &Ctx, role: Option<&str>, as_json: bool) -> anyhow::Result<ExitCode> {
    let config = &ctx.config;
    let aws = ctx.aws().await;
    let primary = caller_identity(&aws).await?;
    let known = roles::discover(config, &ctx.orgs(&aws, &primary)).await;
    let roles = chosen(config, &known, role)?;
    if roles.is_empty() {
        bail!(
            "no roles to write policies for: name one (rolecall policy arn:aws:iam::123456789012:role/NAME), \
             or add [[role]] tables to the config"
        );
    }
    let (principal, mut notes) = principal_arn(&aws, &primary).await;
    let mut notes: Vec<String> = notes.take().into_iter().collect();
    let defaults = &config.defaults;
    let source_identity = |r: &Role| {
        r.assume_params(defaults, None, None)
            .source_identity
            .is_some()
    };
    // Identity Center's roles trust Identity Center: nothing to write for them.
    let sso: Vec<&Role> = roles
        .iter()
        .filter(|r| matches!(r.reach, Source::Sso(_)))
        .collect();
    if !sso.is_empty() {
        notes.push(format!(
            "{} IAM Identity Center role{} left out: Identity Center writes their trust and permissions (permission sets)",
            sso.len(),
            if sso.len() == 1 { "" } else { "s" }
        ));
    }
    let roles: Vec<Role> = roles
        .into_iter()
        .filter(|r| !matches!(r.reach, Source::Sso(_)))
        .collect();
    // The primary identity assumes those reached from it; a `via` role the others.
    let from_primary: Vec<&Role> = roles
        .iter()
        .filter(|r| r.reach == Source::Primary)
        .collect();
    let arns: Vec<_> = from_primary.iter().map(|r| r.arn.clone()).collect();
    let permission = primary_policy(&arns, from_primary.iter().any(|r| source_identity(r)));
    let trusts: Vec<(String, Value)> = roles
        .iter()
        .map(|r| {
            let caller = match &r.reach {
                Source::Role(via) => via.role_arn.to_string(),
                Source::Profile(p) => {
                    notes.push(format!(
                        "{} is assumed with AWS profile {p}'s credentials: its trust policy below names the primary identity; name that profile's principal instead",
                        r.label()
                    ));
                    principal.clone()
                }
                _ => principal.clone(),
            };
            (
                r.arn.to_string(),
                trust_policy(
                    &caller,
                    r.external_id.as_deref(),
                    r.mfa_serial.is_some(),
                    source_identity(r),
                ),
            )
        })
        .collect();
    let note = (!notes.is_empty()).then(|| notes.join("; "));
    if as_json {
        let trust_map: serde_json::Map<String, Value> = trusts.into_iter().collect();
        outln!(
            "{}",
            to_json(&json!({
                "primary": primary.arn,
                "principal": principal,
                "primary_policy": permission,
                "trust_policies": trust_map,
                "warnings": note.into_iter().collect::<Vec<_>>(),
            }))
        );
        return Ok(ExitCode::SUCCESS);
    }
    outln!(
        "# 1. In the primary account {}: a permission policy for {principal}\n\
         #    (IAM > {} > Permissions > Add inline policy, JSON tab)\n",
        primary.account,
        if principal.contains(":role/") {
            "Roles"
        } else {
            "Users"
        },
    );
    outln!("{}\n", pretty(&permission));
    for (i, (arn, trust)) in trusts.iter().enumerate() {
        let role = &roles[i];
        outln!(
            "# {}. In account {}: the trust policy of role {}\n\
             #    (IAM > Roles > {} > Trust relationships > Edit trust policy)\n",
            i + 2,
            role.arn.account_id(),
            arn,
            role.arn.name(),
        );
        outln!("{}\n", pretty(trust));
    }
    if let Some(n) = note {
        eprintln!("warning: {n}");
    }
    Ok(ExitCode::SUCCESS)
}

/// `rolecall policy --actions`: the permission policies the responder actions need.
pub fn action_policy(as_json: bool) -> ExitCode {
    use crate::actions::policy::{document, Needs, ACTIONS, FORENSIC, PRIMARY};
    let needs = |list: &[Needs]| -> Value {
        list.iter()
            .map(|n| {
                (
                    n.action.to_string(),
                    json!({ "why": n.why, "calls": n.calls }),
                )
            })
            .collect::<serde_json::Map<_, _>>()
            .into()
    };
    if as_json {
        outln!(
            "{}",
            to_json(&json!({
                "actions": needs(ACTIONS),
                "role_policy": document(ACTIONS),
                "forensic": needs(FORENSIC),
                "forensic_role_policy": document(FORENSIC),
                "primary": needs(PRIMARY),
                "primary_policy": document(PRIMARY),
            }))
        );
        return ExitCode::SUCCESS;
    }
    outln!(
        "# 1. In each secondary account: a permission policy for the role rolecall acts as\n\
         #    (IAM > Roles > NAME > Permissions > Add inline policy, JSON tab).\n\
         #    One statement per action; leave out those the role should not do:"
    );
    for n in ACTIONS {
        outln!("#      {:<9} {}", n.action, n.why);
    }
    outln!("\n{}\n", pretty(&document(ACTIONS)));
    outln!(
        "# 2. In the forensic account ([case] forensic_account): a permission policy for the role\n\
         #    named by [case] forensic_role, which copies the shared snapshots in. Its trust policy\n\
         #    is that of any role rolecall assumes (rolecall policy ARN prints one).\n"
    );
    outln!("{}", pretty(&document(FORENSIC)));
    outln!(
        "\n# 3. On the primary identity (the user or role rolecall runs as), beside its\n\
         #    sts:AssumeRole: what it asks STS of itself (whois names a key's account):\n"
    );
    outln!("{}", pretty(&document(PRIMARY)));
    ExitCode::SUCCESS
}

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_else(|_| v.to_string())
}
