//! Roles from AWS Organizations: `[[organization]]` makes one role per ACTIVE account of the
//! organization, `arn:aws:iam::<account>:role/<role_name>`, named from the account's name.
//!
//! The account list is cached in the platform cache dir (`0600`) with the time it was read: the
//! TUI shows the cached list at once, and a list older than `max_age` is read again in the
//! background. A list that cannot be read is a warning naming the call, the identity and the fix;
//! the other sources of roles still count.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::aws::arn::{Partition, RoleArn};
use crate::aws::assume::assume_role;
use crate::aws::credentials::RoleCredentials;
use crate::aws::identity::Identity;
use crate::aws::organizations::{list_accounts, OrgAccount};
use crate::aws::sessions::SessionStore;
use crate::aws::{Aws, AwsError};
use crate::case::{records, Journal};
use crate::config::{Config, OrganizationConfig, MIN_DURATION};
use crate::roles::{Role, RoleSource};

/// An organization's account list as read from AWS, kept in the cache.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountList {
    pub read_at: DateTime<Utc>,
    /// The identity that read it (an ARN).
    pub read_by: String,
    pub accounts: Vec<OrgAccount>,
}

impl AccountList {
    fn partition(&self) -> Partition {
        self.read_by
            .split(':')
            .nth(1)
            .and_then(|p| p.parse().ok())
            .unwrap_or(Partition::Aws)
    }

    fn age(&self, now: DateTime<Utc>) -> Duration {
        (now - self.read_at).to_std().unwrap_or_default()
    }
}

/// How an organization's list is got: the cache when it is younger than `max_age`, or from AWS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    CacheIfFresh,
    /// `r` on the tree, `doctor`: read it now.
    Reread,
}

/// What reading the organizations gave: their roles, and what to tell the user.
#[derive(Debug, Clone, Default)]
pub struct Read {
    pub roles: Vec<Role>,
    pub warnings: Vec<String>,
    pub reports: Vec<Report>,
}

/// One `[[organization]]`: where its list came from and what it held (for `doctor`).
#[derive(Debug, Clone)]
pub struct Report {
    pub role_name: String,
    /// Who read it: the `via` role, else the primary identity.
    pub read_as: String,
    /// The list used (`None`: none could be read, nor was one cached).
    pub list: Option<AccountList>,
    pub error: Option<AwsError>,
    /// When the list is to be read again: its `max_age` after it was read, or in five minutes
    /// when it could not be read.
    pub due: DateTime<Utc>,
    pub active: usize,
    pub inactive: usize,
    pub excluded: usize,
}

/// Where the account lists are cached: `organizations/` in the platform cache dir.
pub fn cache_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "rolecall").map(|d| d.cache_dir().join("organizations"))
}

/// The cache file of a list read as `via` (else the primary identity) in `scope` (see
/// `AwsOptions::scope`): a different profile or endpoint has lists of its own.
fn cache_file(dir: &Path, via: Option<&RoleArn>, scope: &str) -> PathBuf {
    let key = format!(
        "{}\n{scope}",
        via.map(|v| v.to_string()).unwrap_or_default()
    );
    let hash = hex::encode(Sha256::digest(key.as_bytes()));
    dir.join(format!("{}.json", &hash[..16]))
}

/// When the oldest of the lists in `reports` was read.
pub fn oldest_read(reports: &[Report]) -> Option<DateTime<Utc>> {
    reports
        .iter()
        .filter_map(|r| r.list.as_ref().map(|l| l.read_at))
        .min()
}

/// Keeps `list` as the one `org` reads in `scope` (see `AwsOptions::scope`), as a read from AWS
/// does; returns where.
pub fn remember(
    org: &OrganizationConfig,
    scope: &str,
    list: &AccountList,
) -> std::io::Result<PathBuf> {
    let dir = cache_dir().ok_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::NotFound,
            "no cache dir on this platform",
        )
    })?;
    let path = cache_file(&dir, org.via.as_ref(), scope);
    crate::files::save_json(&path, list)?;
    Ok(path)
}

/// A role name from an account name: `Payments Prod` → `payments-prod` (what a ROLE argument
/// and a shell can take).
pub fn slug(account_name: &str) -> Option<String> {
    let mut out = String::new();
    for c in account_name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let out: String = out.trim_end_matches('-').chars().take(64).collect();
    let out = out.trim_end_matches('-').to_string();
    (!out.is_empty()).then_some(out)
}

/// The roles an organization's `list` makes, and how many accounts were left out (inactive,
/// excluded).
pub fn roles_of(org: &OrganizationConfig, list: &AccountList) -> (Vec<Role>, usize, usize) {
    let partition = org
        .via
        .as_ref()
        .map(RoleArn::partition)
        .unwrap_or_else(|| list.partition());
    let (mut inactive, mut excluded) = (0, 0);
    let mut roles = Vec::new();
    for a in &list.accounts {
        if org.exclude.contains(&a.id) {
            excluded += 1;
            continue;
        }
        if !a.is_active() {
            inactive += 1;
            continue;
        }
        let Ok(arn) = RoleArn::new(partition, &a.id, &org.role_name) else {
            continue;
        };
        let s = &org.settings;
        roles.push(Role {
            name: slug(&a.name),
            source: RoleSource::Organization,
            external_id: s.external_id.clone(),
            mfa_serial: s.mfa_serial.clone(),
            duration_seconds: s.duration_seconds,
            regions: s.regions.clone(),
            session_name: s.session_name.clone(),
            account_name: (!a.name.is_empty()).then(|| a.name.clone()),
            ..Role::from_arn(arn)
        });
    }
    (roles, inactive, excluded)
}

/// What the cache holds, with no AWS call: the roles of every organization's cached list, and
/// when the oldest of those lists was read.
#[derive(Debug, Clone, Default)]
pub struct Cached {
    pub roles: Vec<Role>,
    pub read_at: Option<DateTime<Utc>>,
}

/// The organizations' cached lists: however old (what the tree shows before anything is read,
/// what names a ROLE argument may use), or with `fresh_only` those younger than their `max_age`
/// (what a command may list without reading the organization again).
pub fn cached(config: &Config, scope: &str, fresh_only: bool) -> Cached {
    let mut out = Cached::default();
    let Some(dir) = cache_dir() else {
        return out;
    };
    let now = Utc::now();
    for org in &config.organizations {
        let Some(list) = crate::files::load_json::<AccountList>(
            &cache_file(&dir, org.via.as_ref(), scope),
            "the organization cache",
        ) else {
            continue;
        };
        if fresh_only && list.age(now) >= org.max_age {
            continue;
        }
        out.read_at = Some(out.read_at.map_or(list.read_at, |t| t.min(list.read_at)));
        out.roles.extend(roles_of(org, &list).0);
    }
    out
}

/// How the organizations are read: when, and with which sessions and case log.
pub struct Reader<'a> {
    pub aws: &'a Aws,
    /// Who the primary identity is (names the reader when there is no `via`).
    pub identity: &'a Identity,
    /// `AwsOptions::scope`: which cache files are this identity's.
    pub scope: String,
    pub freshness: Freshness,
    /// A `via` role's AssumeRole is recorded here.
    pub journal: &'a Journal,
    /// Live sessions (the TUI's): a `via` role with one is read through it, MFA and all.
    pub live: Option<&'a SessionStore>,
}

impl Reader<'_> {
    /// Every `[[organization]]`'s roles: from a fresh enough cache, else from AWS (and cached),
    /// else from an old cache with a warning. Each list is read once, however many
    /// organizations share it.
    pub async fn read(&self, config: &Config, known: &[Role]) -> Read {
        let mut out = Read::default();
        let dir = cache_dir();
        let mut lists: HashMap<Option<RoleArn>, (Option<AccountList>, Option<AwsError>)> =
            HashMap::new();
        for org in &config.organizations {
            if lists.contains_key(&org.via) {
                continue;
            }
            let path = dir
                .as_deref()
                .map(|d| cache_file(d, org.via.as_ref(), &self.scope));
            let cached = path
                .as_deref()
                .and_then(|p| crate::files::load_json::<AccountList>(p, "the organization cache"));
            let fresh = cached
                .as_ref()
                .is_some_and(|l| l.age(Utc::now()) < org.max_age);
            let got = if fresh && self.freshness == Freshness::CacheIfFresh {
                (cached, None)
            } else {
                match self.list(config, org, known).await {
                    Ok(list) => {
                        if let Some(p) = &path {
                            if let Err(e) = crate::files::save_json(p, &list) {
                                out.warnings.push(format!(
                                    "cannot cache the organization's accounts in {}: {e} (check that directory's permissions)",
                                    p.display()
                                ));
                            }
                        }
                        (Some(list), None)
                    }
                    Err(e) => (cached, Some(e)),
                }
            };
            lists.insert(org.via.clone(), got);
        }
        for org in &config.organizations {
            let (list, error) = lists.get(&org.via).cloned().unwrap_or_default();
            let read_as = org
                .via
                .as_ref()
                .map(|v| v.to_string())
                .unwrap_or_else(|| self.identity.arn.clone());
            let (roles, inactive, excluded) =
                list.as_ref().map(|l| roles_of(org, l)).unwrap_or_default();
            if let Some(e) = &error {
                let mut w = format!(
                    "cannot read the organization's accounts for [[organization]] role_name = \"{}\" (organizations:ListAccounts as {read_as}): {e}",
                    org.role_name
                );
                if let Some(h) = &e.hint {
                    w.push_str(&format!("; {h}"));
                }
                if let Some(l) = &list {
                    w.push_str(&format!(
                        "; using the list read at {} ({} accounts)",
                        crate::time::rfc3339(&l.read_at),
                        l.accounts.len()
                    ));
                }
                out.warnings.push(w);
            } else if list.as_ref().is_some_and(|l| l.accounts.is_empty()) {
                out.warnings.push(format!(
                    "the organization read as {read_as} lists no accounts: read it as a role in the management account (or a delegated administrator account) with `via`"
                ));
            }
            if inactive > 0 {
                let names: Vec<String> = list
                    .iter()
                    .flat_map(|l| &l.accounts)
                    .filter(|a| !a.is_active() && !org.exclude.contains(&a.id))
                    .take(5)
                    .map(|a| format!("{} ({}, {})", a.id, a.name, a.status))
                    .collect();
                out.warnings.push(format!(
                    "{inactive} suspended account{} of the organization left out: {}{}",
                    if inactive == 1 { "" } else { "s" },
                    names.join(", "),
                    if inactive > names.len() { ", …" } else { "" }
                ));
            }
            let max_age = chrono::Duration::from_std(org.max_age).unwrap_or(chrono::Duration::MAX);
            let due = match (&error, &list) {
                (None, Some(l)) => l.read_at.checked_add_signed(max_age),
                _ => None,
            }
            .unwrap_or_else(|| Utc::now() + chrono::Duration::minutes(5).min(max_age));
            out.reports.push(Report {
                due,
                role_name: org.role_name.clone(),
                read_as,
                active: roles.len(),
                list,
                error,
                inactive,
                excluded,
            });
            out.roles.extend(roles);
        }
        out
    }

    /// Reads one organization's list from AWS, as its `via` role or the primary identity.
    async fn list(
        &self,
        config: &Config,
        org: &OrganizationConfig,
        known: &[Role],
    ) -> Result<AccountList, AwsError> {
        let (credentials, read_by) = match &org.via {
            None => (None, self.identity.arn.clone()),
            Some(via) => {
                let (c, who) = self.via(config, via, known).await?;
                (Some(c), who)
            }
        };
        let accounts = list_accounts(self.aws, credentials.as_ref(), &read_by).await?;
        Ok(AccountList {
            read_at: Utc::now(),
            read_by,
            accounts,
        })
    }

    /// Credentials of the `via` role: its live session, else a short one assumed for this read
    /// (recorded in the case log). A role that needs an MFA code is read only through a live
    /// session.
    async fn via(
        &self,
        config: &Config,
        via: &RoleArn,
        known: &[Role],
    ) -> Result<(RoleCredentials, String), AwsError> {
        if let Some(store) = self.live {
            if let Some(s) = store.get(via) {
                if s.expiration > Utc::now() + chrono::Duration::seconds(60) {
                    return Ok((store.provider(via), s.assumed_role_arn));
                }
            }
        }
        let role = known
            .iter()
            .find(|r| &r.arn == via)
            .cloned()
            .unwrap_or_else(|| Role::from_arn(via.clone()));
        if role.mfa_serial.is_some() {
            return Err(AwsError::new(
                crate::aws::ErrorKind::Other,
                "AssumeRole",
                via.to_string(),
            )
            .with_message("the role named by `via` needs an MFA code")
            .with_hint(format!(
                "assume {} first (in the tree, or `rolecall assume`), then read the organization again with r; or give `via` a role without MFA",
                role.label()
            )));
        }
        let mut params = role.assume_params(&config.defaults, Some(MIN_DURATION), None);
        params.session_name = config.defaults.session_name.clone();
        let result = assume_role(self.aws, &params).await;
        if let Err(e) = self
            .journal
            .record(
                self.aws,
                records::assumed("organization.read", &params, &result),
            )
            .await
        {
            return Err(AwsError::new(
                crate::aws::ErrorKind::Other,
                "writing the case log",
                "the case file",
            )
            .with_message(e.to_string()));
        }
        let session = result?;
        Ok((session.credentials.provider(), session.assumed_role_arn))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_role_names() {
        assert_eq!(slug("Payments Prod").as_deref(), Some("payments-prod"));
        assert_eq!(slug("  a--b__C ").as_deref(), Some("a-b-c"));
        assert_eq!(slug("日本").as_deref(), None);
        assert_eq!(slug(&"x".repeat(80)).map(|s| s.len()), Some(64));
    }

    #[test]
    fn roles_leave_out_suspended_and_excluded_accounts() {
        let config = crate::config::parse(
            r#"
[[organization]]
role_name = "IR/Responder"
external_id = "ext-42"
exclude = ["333333333333"]
"#,
            Path::new("/c.toml"),
        )
        .unwrap();
        let org = &config.organizations[0];
        let account = |id: &str, name: &str, status: &str| OrgAccount {
            id: id.into(),
            name: name.into(),
            status: status.into(),
        };
        let list = AccountList {
            read_at: Utc::now(),
            read_by: "arn:aws-us-gov:iam::111111111111:user/r".into(),
            accounts: vec![
                account("111111111111", "Management", "ACTIVE"),
                account("222222222222", "Old Sandbox", "SUSPENDED"),
                account("333333333333", "Excluded", "ACTIVE"),
                account("444444444444", "Payments Prod", "ACTIVE"),
            ],
        };
        let (roles, inactive, excluded) = roles_of(org, &list);
        assert_eq!((roles.len(), inactive, excluded), (2, 1, 1));
        assert_eq!(
            roles[1].arn.to_string(),
            "arn:aws-us-gov:iam::444444444444:role/IR/Responder"
        );
        assert_eq!(roles[1].name.as_deref(), Some("payments-prod"));
        assert_eq!(roles[1].account_name.as_deref(), Some("Payments Prod"));
        assert_eq!(roles[1].external_id.as_deref(), Some("ext-42"));
        assert_eq!(roles[1].source, RoleSource::Organization);
    }

    #[test]
    fn the_cache_is_the_users_own_and_keyed_by_reader() {
        let dir = tempfile::tempdir().unwrap();
        let via: RoleArn = "arn:aws:iam::999999999999:role/OrgReader".parse().unwrap();
        let a = cache_file(dir.path(), Some(&via), "profile=default");
        assert_ne!(a, cache_file(dir.path(), None, "profile=default"));
        assert_ne!(a, cache_file(dir.path(), Some(&via), "profile=other"));
        let list = AccountList {
            read_at: Utc::now(),
            read_by: via.to_string(),
            accounts: vec![],
        };
        crate::files::save_json(&a, &list).unwrap();
        assert_eq!(
            crate::files::load_json(&a, "the organization cache"),
            Some(list)
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&a).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // (The folder is made 0700 when rolecall makes it: checked in tests/it/organization.rs.)
        std::fs::write(&a, "not json").unwrap();
        assert_eq!(
            crate::files::load_json::<AccountList>(&a, "the organization cache"),
            None,
            "a broken cache is ignored"
        );
    }
}
