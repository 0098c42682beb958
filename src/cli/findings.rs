//! `rolecall findings ROLE|--all [--severity …] [--status …] [--since D]`: the findings of a
//! role's account, or of every account — through `[findings] via` (the delegated administrator's
//! aggregation region, one query) when it is set, else each account's own.

use std::process::ExitCode;

use super::listing::{list_asking, Ask};
use super::{Ctx, ListArgs};
use crate::resources::{FindingFilter, Kind};

/// Findings are kept by Security Hub for 90 days: a longer `--since` finds nothing more.
const MAX_SINCE: std::time::Duration = std::time::Duration::from_secs(90 * 86_400);

/// `--since`: "7d", "24h", "90m" (a humantime span), up to 90 days.
pub fn parse_since(text: &str) -> Result<std::time::Duration, String> {
    let d = humantime::parse_duration(text)
        .map_err(|e| format!("{text:?} is not a duration ({e}); use e.g. 7d, 24h, 90m"))?;
    if d.is_zero() || d > MAX_SINCE {
        return Err(format!(
            "{text:?}: give a span from 1s to 90d (Security Hub keeps findings 90 days)"
        ));
    }
    Ok(d)
}

/// Everything checked before any call: the filter words (the window's span is checked as it is
/// parsed: [`parse_since`]).
pub async fn findings(
    ctx: &Ctx,
    args: ListArgs,
    severity: Option<String>,
    status: Option<String>,
    since: Option<std::time::Duration>,
) -> anyhow::Result<ExitCode> {
    let filter = FindingFilter::parse(severity.as_deref(), status.as_deref())
        .map_err(|e| anyhow::anyhow!(e))?;
    let mut ask = Ask {
        findings: Some(filter),
        regions: None,
    };
    let mut args = ListArgs { since, ..args };
    if args.all {
        if let Some(via) = &ctx.config.findings.via {
            // One query in the delegated administrator's aggregation region: its rows carry
            // each finding's own account.
            let role = ctx.resolve_role(&via.to_string()).await?;
            let region = ctx
                .config
                .findings
                .region
                .clone()
                .or_else(|| ctx.region_for(&role));
            ask.regions = region.map(|r| vec![r]);
            eprintln!(
                "rolecall: every account's findings, aggregated in {} through {} ([findings] via)",
                ask.regions
                    .as_ref()
                    .and_then(|r| r.first())
                    .map_or("its first region", String::as_str),
                via
            );
            args.all = false;
            args.role = Some(via.to_string());
        }
    }
    list_asking(ctx, Kind::Findings, args, ask).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_is_a_checked_span() {
        assert_eq!(
            parse_since("7d").unwrap(),
            std::time::Duration::from_secs(7 * 86_400)
        );
        assert!(parse_since("soon").unwrap_err().contains("not a duration"));
        assert!(parse_since("0s").unwrap_err().contains("90d"));
        assert!(parse_since("120d").unwrap_err().contains("90 days"));
    }
}
