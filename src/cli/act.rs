//! `rolecall snapshot`, `isolate`, `release`, `capture`: a responder action from the command
//! line. Refused outside a case and with `--read-only`; the plan (every call, checked with
//! DryRun) is printed and confirmed (`--yes` skips the question; without a terminal and without
//! `--yes` nothing is done); then each step is printed as it is recorded.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use anyhow::{bail, Context};

use super::assume::assume_for;
use super::print::to_json;
use super::Ctx;
use crate::actions::{self, Action, Progress, Scope};
use crate::aws::credentials::TokenCode;
use crate::aws::identity::caller_identity;
use crate::aws::target::RoleTarget;

/// Progress lines on stderr.
struct Stderr;

impl Progress for Stderr {
    fn step(&self, text: String) {
        eprintln!("rolecall: {text}");
    }
}

/// How an action is asked for.
pub struct Ask {
    pub yes: bool,
    pub dry_run: bool,
    pub json: bool,
    pub token_code: Option<TokenCode>,
}

pub async fn act(ctx: &Ctx, role: &str, action: Action, ask: Ask) -> anyhow::Result<ExitCode> {
    let read_only = ctx.read_only || ctx.config.defaults.read_only;
    if let Some(why) = actions::refusal(ctx.journal.case().is_some(), read_only) {
        bail!("{} refused: {why}", action.name());
    }
    ctx.journal.check()?;
    let role = ctx.resolve_role(role).await?;
    let Some(region) = ctx.region_for(&role) else {
        bail!("no region to act in: pass --region");
    };
    // Every id checked before any call (or path) is made of it.
    actions::check_input(&region, &action)?;
    share_with_refusal(ctx, &action, &ask)?;
    let aws = ctx.aws().await;
    let me = caller_identity(&aws).await?;
    ctx.journal.set_actor(&me.arn);
    let session = assume_for(ctx, &aws, &role, None, ask.token_code).await?;
    let case = ctx
        .journal
        .case()
        .map(|c| c.id.to_string())
        .unwrap_or_default();
    let scope = Scope {
        target: RoleTarget::new(
            aws.clone(),
            session.credentials.provider(),
            ctx.config.defaults.page_size,
        ),
        aws,
        account_name: ctx
            .config
            .account(role.arn.account_id())
            .and_then(|a| a.name.clone()),
        role: role.arn.clone(),
        region,
        journal: ctx.journal.clone(),
        case_id: case.clone(),
        actor: me.arn,
        case: ctx.config.case.clone(),
        defaults: ctx.config.defaults.clone(),
    };
    let name = action.name();
    let plan = actions::plan(&scope, action).await?;
    for line in plan.lines() {
        eprintln!("{line}");
    }
    if ask.dry_run {
        eprintln!("\nrolecall: --dry-run: nothing was changed; after each call above is how it was checked before asking (checked: DryRun, a read, or not checked before the run and why)");
        return Ok(ExitCode::SUCCESS);
    }
    if !ask.yes {
        if !std::io::stdin().is_terminal() {
            bail!("{name} refused: no terminal to confirm on, so nothing was done; pass --yes to act without asking");
        }
        eprint!("\nDo this in case {case}? [y/N] ");
        std::io::stderr().flush().ok();
        let mut answer = String::new();
        std::io::stdin()
            .read_line(&mut answer)
            .context("reading the answer")?;
        if !matches!(answer.trim(), "y" | "Y" | "yes") {
            eprintln!("rolecall: not done; nothing was changed");
            return Ok(ExitCode::FAILURE);
        }
    }
    let what = plan.action.clone();
    let outcome = actions::run(&scope, plan, &Stderr).await;
    if ask.json {
        outln!("{}", to_json(&outcome.result));
    }
    if !outcome.created.is_empty() {
        eprintln!("rolecall: made {}", outcome.created.join(", "));
    }
    match &outcome.error {
        None => {
            for n in &outcome.not_done {
                eprintln!("rolecall: not done: {n}");
            }
            eprintln!("rolecall: {}", outcome.summary(&what));
            if let Some(crate::actions::Action::Contain {
                identity: crate::actions::identity::Identity::Role(r),
            }) = &outcome.next
            {
                eprintln!("rolecall: next: the instance's role {r} still has the sessions it handed out; revoke them: rolecall isolate {} --role {r}", scope.role);
            }
            Ok(ExitCode::SUCCESS)
        }
        Some(e) => {
            for n in &outcome.not_done {
                eprintln!("rolecall: not done: {n}");
            }
            eprintln!("error: {name} stopped: {e}");
            eprintln!(
                "rolecall: done before it stopped: {}",
                if outcome.done.is_empty() {
                    "nothing".to_string()
                } else {
                    outcome.done.join("; ")
                }
            );
            Ok(ExitCode::FAILURE)
        }
    }
}

/// `--share-with` naming another account than `[case] forensic_account`: evidence shared
/// with a typo goes to a stranger, so it is done only with `--yes` (and the plan says so).
fn share_with_refusal(ctx: &Ctx, action: &Action, ask: &Ask) -> anyhow::Result<()> {
    let Action::Snapshot {
        share_with: Some(given),
        ..
    } = action
    else {
        return Ok(());
    };
    match &ctx.config.case.forensic_account {
        Some(configured) if configured != given && !ask.yes && !ask.dry_run => bail!(
            "snapshot refused: --share-with {given} is not the configured forensic account {configured} ([case] forensic_account), so nothing was done\nhint: check the account id; to share with {given} all the same, pass --yes with it (the plan names it as not the configured one)"
        ),
        _ => Ok(()),
    }
}

impl From<super::ActArgs> for Ask {
    fn from(a: super::ActArgs) -> Self {
        Ask {
            yes: a.yes,
            dry_run: a.dry_run,
            json: a.json,
            token_code: a.token_code,
        }
    }
}
