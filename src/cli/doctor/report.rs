//! How `rolecall doctor` reports its checks: ok / warn / FAIL a line each with the fix under it,
//! or JSON; exit 1 when any check failed.

use std::process::ExitCode;

use super::{run_checks, Status};
use crate::aws::credentials::TokenCode;
use crate::cli::print::to_json;
use crate::cli::Ctx;

/// `rolecall doctor [ROLE]`: exit 1 when any check fails.
pub async fn doctor(
    ctx: &Ctx,
    role: Option<&str>,
    token_code: Option<TokenCode>,
    as_json: bool,
) -> anyhow::Result<ExitCode> {
    let aws = ctx.aws().await;
    let profile = ctx.profile.as_deref();
    let checks = run_checks(ctx, &aws, profile, role, token_code).await;
    if as_json {
        outln!("{}", to_json(&checks));
    } else {
        let mut current: Option<&str> = None;
        for c in &checks {
            if c.role.as_deref() != current {
                current = c.role.as_deref();
                outln!("\n{}", current.unwrap_or(""));
            }
            let mark = match c.status {
                Status::Ok => "ok  ",
                Status::Warn => "warn",
                Status::Fail => "FAIL",
            };
            outln!("  {mark}  {:<22} {}", c.check, c.detail);
            if let Some(fix) = &c.fix {
                outln!("        {:<22} fix: {fix}", "");
            }
        }
        let failed = checks.iter().filter(|c| c.status == Status::Fail).count();
        let warned = checks.iter().filter(|c| c.status == Status::Warn).count();
        outln!(
            "\n{} checks: {failed} failed, {warned} warnings",
            checks.len()
        );
    }
    Ok(if checks.iter().any(|c| c.status == Status::Fail) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
