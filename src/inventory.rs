//! Every account at once: `rolecall instances --all` / `volumes --all`. One role per account
//! (the first known one that needs no MFA code), assumed and listed in all its regions, with a
//! bounded number of accounts in flight; what fails is reported per account and region, and the
//! rest is kept.

use std::future::Future;

use aws_config::SdkConfig;
use futures::stream::{self, StreamExt};
use serde::Serialize;

use crate::aws::assume::{assume_role, chained_cap};
use crate::aws::ec2::{Ec2Target, Listing};
use crate::aws::AwsError;
use crate::config::Config;
use crate::roles::Role;

/// One row with the account and role it was listed through.
#[derive(Debug, Clone, Serialize)]
pub struct AccountRow<T> {
    pub account_id: String,
    pub role_arn: String,
    #[serde(flatten)]
    pub item: T,
}

/// What could not be listed: a whole account (AssumeRole failed, MFA needed) or one region.
#[derive(Debug, Clone, Serialize)]
pub struct Failure {
    pub account_id: String,
    pub role_arn: String,
    /// `None` when the whole account failed.
    pub region: Option<String>,
    pub error: String,
    pub hint: Option<String>,
}

impl Failure {
    fn new(role: &Role, region: Option<String>, e: &AwsError) -> Failure {
        Failure {
            account_id: role.arn.account_id().to_string(),
            role_arn: role.arn.to_string(),
            region,
            error: e.to_string(),
            hint: e.hint.clone(),
        }
    }
}

/// Everything listed, sorted by account, and every failure.
#[derive(Debug, Clone, Serialize)]
pub struct Inventory<T> {
    pub rows: Vec<AccountRow<T>>,
    pub failures: Vec<Failure>,
    /// Accounts listed (in whole or in part) out of those tried.
    pub accounts_ok: usize,
    pub accounts: usize,
}

/// One role per account: the first in `roles` that needs no MFA code (an unattended run cannot
/// ask for one). Accounts whose every role needs MFA come back as skipped.
pub fn one_role_per_account(roles: &[Role]) -> (Vec<Role>, Vec<Role>) {
    let mut chosen: Vec<Role> = Vec::new();
    let mut mfa_only: Vec<Role> = Vec::new();
    for r in roles {
        let account = r.arn.account_id();
        if chosen.iter().any(|c| c.arn.account_id() == account) {
            continue;
        }
        if r.mfa_serial.is_some() {
            if !mfa_only.iter().any(|m| m.arn.account_id() == account) {
                mfa_only.push(r.clone());
            }
            continue;
        }
        chosen.push(r.clone());
    }
    mfa_only.retain(|m| {
        !chosen
            .iter()
            .any(|c| c.arn.account_id() == m.arn.account_id())
    });
    (chosen, mfa_only)
}

/// Lists every account through `roles` with `list`, at most `concurrency` accounts at a time.
/// `progress(done, total)` is called as accounts finish.
#[allow(clippy::too_many_arguments)]
pub async fn fan_out<T, F, Fut>(
    sdk: &SdkConfig,
    config: &Config,
    roles: &[Role],
    regions_override: &[String],
    caller_is_role: bool,
    concurrency: usize,
    list: F,
    progress: impl Fn(usize, usize),
) -> Inventory<T>
where
    T: Send + 'static,
    F: Fn(Ec2Target, Vec<String>) -> Fut,
    Fut: Future<Output = Listing<T>>,
{
    let (chosen, mfa_only) = one_role_per_account(roles);
    let mut inventory = Inventory {
        rows: Vec::new(),
        failures: mfa_only
            .iter()
            .map(|r| Failure {
                account_id: r.arn.account_id().to_string(),
                role_arn: r.arn.to_string(),
                region: None,
                error: "skipped: every role into this account needs an MFA code".into(),
                hint: Some(format!(
                    "list it on its own: rolecall instances {} --token-code CODE",
                    r.arn
                )),
            })
            .collect(),
        accounts_ok: 0,
        accounts: chosen.len() + mfa_only.len(),
    };
    let total = chosen.len();
    let list = &list;
    let mut results = stream::iter(chosen.into_iter().map(|role| async move {
        let requested = role.duration(&config.defaults);
        let duration = chained_cap(requested, caller_is_role).or(Some(requested));
        let params = role.assume_params(&config.defaults, duration, None);
        let regions = if regions_override.is_empty() {
            role.regions(&config.defaults)
        } else {
            regions_override.to_vec()
        };
        let outcome = match assume_role(sdk, &params).await {
            Ok(session) => {
                let target = Ec2Target {
                    base: sdk.clone(),
                    credentials: session.credentials.provider(),
                    page_size: config.defaults.page_size,
                };
                Ok(list(target, regions.clone()).await)
            }
            Err(e) => Err(e),
        };
        (role, regions, outcome)
    }))
    .buffer_unordered(concurrency.max(1));
    let mut done = 0;
    while let Some((role, regions, outcome)) = results.next().await {
        done += 1;
        progress(done, total);
        match outcome {
            Err(e) => inventory.failures.push(Failure::new(&role, None, &e)),
            Ok(listing) => {
                if listing.failures.len() < regions.len() {
                    inventory.accounts_ok += 1;
                }
                for f in &listing.failures {
                    inventory
                        .failures
                        .push(Failure::new(&role, Some(f.region.clone()), &f.error));
                }
                let account = role.arn.account_id().to_string();
                let arn = role.arn.to_string();
                inventory
                    .rows
                    .extend(listing.items.into_iter().map(|item| AccountRow {
                        account_id: account.clone(),
                        role_arn: arn.clone(),
                        item,
                    }));
            }
        }
    }
    // Stable output whatever order accounts answered in (each account's rows keep their order).
    inventory
        .rows
        .sort_by(|a, b| a.account_id.cmp(&b.account_id));
    inventory
        .failures
        .sort_by(|a, b| (&a.account_id, &a.region).cmp(&(&b.account_id, &b.region)));
    inventory
}

#[cfg(test)]
mod tests {
    use super::*;

    fn role(arn: &str, mfa: bool) -> Role {
        let mut r = crate::roles::resolve(&Config::default(), arn).unwrap();
        if mfa {
            r.mfa_serial = Some("arn:aws:iam::111111111111:mfa/me".into());
        }
        r
    }

    #[test]
    fn one_role_per_account_prefers_roles_without_mfa() {
        let roles = vec![
            role("arn:aws:iam::222222222222:role/BreakGlass", true),
            role("arn:aws:iam::222222222222:role/Responder", false),
            role("arn:aws:iam::222222222222:role/Other", false),
            role("arn:aws:iam::333333333333:role/OnlyMfa", true),
            role("arn:aws:iam::444444444444:role/A", false),
        ];
        let (chosen, skipped) = one_role_per_account(&roles);
        let names: Vec<String> = chosen.iter().map(|r| r.arn.to_string()).collect();
        assert_eq!(
            names,
            [
                "arn:aws:iam::222222222222:role/Responder",
                "arn:aws:iam::444444444444:role/A"
            ]
        );
        assert_eq!(skipped.len(), 1);
        assert_eq!(skipped[0].arn.account_id(), "333333333333");
    }
}
