//! Roles from IAM Identity Center: every `[[sso]]` portal's accounts and the permission sets the
//! user is assigned in each (one role per pair, named `account-name/PermissionSet`), and the SSO
//! profiles of the AWS config file.
//!
//! A portal's list is cached as an organization's is (platform cache dir, `0600`, with the time
//! it was read, keyed by portal and scope): the tree shows it at once, and a list older than
//! `max_age` is read again in the background. Nothing secret is in it.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::aws::arn::Partition;
use crate::aws::profiles::ProfileFiles;
use crate::aws::source::{Source, SsoRole};
use crate::aws::sso::{list_assignments, Portal, SsoAccount};
use crate::aws::{Aws, AwsError};
use crate::config::{Config, SsoConfig};
use crate::roles::{Role, RoleSource};

/// A portal's assignments as read, kept in the cache.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assignments {
    pub read_at: DateTime<Utc>,
    pub start_url: String,
    pub accounts: Vec<SsoAccount>,
}

fn cache_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "rolecall").map(|d| d.cache_dir().join("sso"))
}

fn cache_file(dir: &Path, portal: &Portal, scope: &str) -> PathBuf {
    let key = format!("{}\n{}\n{scope}", portal.start_url, portal.region);
    let hash = hex::encode(Sha256::digest(key.as_bytes()));
    dir.join(format!("{}.json", &hash[..16]))
}

/// The portal an `[[sso]]` names: its own start URL and region, or its `[sso-session]`.
pub fn portal(entry: &SsoConfig, files: &ProfileFiles) -> Result<Portal, String> {
    match (&entry.session, &entry.start_url, &entry.region) {
        (Some(session), _, _) => files
            .sso_session(session)
            .map_err(|e| format!("[[sso]] at {}: {e}", entry.place)),
        (None, Some(url), Some(region)) => Ok(Portal {
            start_url: url.clone(),
            region: region.clone(),
            session: None,
        }),
        _ => Err(format!(
            "[[sso]] at {}: needs session, or start_url and region",
            entry.place
        )),
    }
}

/// The roles a portal's assignments make: one per account and permission set (only those in
/// `entry.roles` when it names some).
pub fn roles_of(entry: &SsoConfig, portal: &Portal, list: &Assignments) -> Vec<Role> {
    let partition = Partition::of_region(&portal.region).unwrap_or(Partition::Aws);
    let mut out = Vec::new();
    for a in &list.accounts {
        for name in &a.roles {
            if !entry.roles.is_empty() && !entry.roles.contains(name) {
                continue;
            }
            let Ok(arn) = crate::aws::sso::role_arn(partition, &a.id, name) else {
                continue;
            };
            let account = crate::organization::slug(&a.name).unwrap_or_else(|| a.id.clone());
            out.push(Role {
                name: Some(format!("{account}/{name}")),
                source: RoleSource::Sso,
                regions: entry.regions.clone(),
                account_name: (!a.name.is_empty()).then(|| a.name.clone()),
                reach: Source::Sso(SsoRole {
                    portal: portal.clone(),
                    account_id: a.id.clone(),
                    role_name: name.clone(),
                }),
                ..Role::from_arn(arn)
            });
        }
    }
    out
}

/// The SSO profiles of the AWS config file as roles, and what is wrong with the others.
pub fn profile_roles() -> (Vec<Role>, Vec<String>) {
    let (profiles, warnings) = crate::aws::profiles::sso_profiles();
    (
        profiles.iter().filter_map(Role::from_sso_profile).collect(),
        warnings,
    )
}

/// What the cache holds, with no call: every `[[sso]]` portal's roles (however old, or with
/// `fresh_only` those younger than their `max_age`), and the SSO profiles'.
pub fn cached(config: &Config, scope: &str, fresh_only: bool) -> Vec<Role> {
    let (mut roles, _) = profile_roles();
    if config.sso.is_empty() {
        return roles;
    }
    let (Some(dir), Ok(files)) = (cache_dir(), ProfileFiles::read()) else {
        return roles;
    };
    let now = Utc::now();
    for entry in &config.sso {
        let Ok(portal) = portal(entry, &files) else {
            continue;
        };
        let Some(list) = crate::files::load_json::<Assignments>(
            &cache_file(&dir, &portal, scope),
            "the Identity Center cache",
        ) else {
            continue;
        };
        let age = (now - list.read_at).to_std().unwrap_or_default();
        if fresh_only && age >= entry.max_age {
            continue;
        }
        roles.extend(roles_of(entry, &portal, &list));
    }
    roles
}

/// What reading the portals gave.
#[derive(Debug, Default)]
pub struct Read {
    pub roles: Vec<Role>,
    pub warnings: Vec<String>,
    /// When the soonest list is to be read again.
    pub due: Option<DateTime<Utc>>,
}

/// Every `[[sso]]` portal's roles: from a fresh enough cache (unless `reread`), else from the
/// portal (and cached), else from an old cache with a warning; and the SSO profiles'. A portal
/// that cannot be read is a warning that says how to sign in.
pub async fn read(aws: &Aws, config: &Config, scope: &str, reread: bool) -> Read {
    let (roles, warnings) = profile_roles();
    let mut out = Read {
        roles,
        warnings,
        due: None,
    };
    if config.sso.is_empty() {
        return out;
    }
    let files = match ProfileFiles::read() {
        Ok(f) => f,
        Err(e) => {
            out.warnings.push(e);
            return out;
        }
    };
    let dir = cache_dir();
    for entry in &config.sso {
        let portal = match portal(entry, &files) {
            Ok(p) => p,
            Err(e) => {
                out.warnings.push(e);
                continue;
            }
        };
        let path = dir.as_deref().map(|d| cache_file(d, &portal, scope));
        let cached = path
            .as_deref()
            .and_then(|p| crate::files::load_json::<Assignments>(p, "the Identity Center cache"));
        let fresh = cached
            .as_ref()
            .filter(|l| (Utc::now() - l.read_at).to_std().unwrap_or_default() < entry.max_age);
        let (list, error): (Option<Assignments>, Option<AwsError>) = match fresh {
            Some(l) if !reread => (Some(l.clone()), None),
            _ => match list_assignments(aws, &portal).await {
                Ok(accounts) => {
                    let list = Assignments {
                        read_at: Utc::now(),
                        start_url: portal.start_url.clone(),
                        accounts,
                    };
                    if let Some(p) = &path {
                        if let Err(e) = crate::files::save_json(p, &list) {
                            out.warnings.push(format!(
                                "cannot cache the Identity Center accounts in {}: {e} (check that directory's permissions)",
                                p.display()
                            ));
                        }
                    }
                    (Some(list), None)
                }
                Err(e) => (cached, Some(e)),
            },
        };
        if let Some(e) = &error {
            let mut w = format!(
                "cannot read the accounts IAM Identity Center assigns you ([[sso]] {}): {e}",
                entry.label()
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
        }
        let max_age = chrono::Duration::from_std(entry.max_age).unwrap_or(chrono::Duration::MAX);
        let due = match (&error, &list) {
            (None, Some(l)) => l.read_at.checked_add_signed(max_age),
            _ => None,
        }
        .unwrap_or_else(|| Utc::now() + chrono::Duration::minutes(5).min(max_age));
        out.due = Some(out.due.map_or(due, |d| d.min(due)));
        if let Some(l) = &list {
            let roles = roles_of(entry, &portal, l);
            if roles.is_empty() && error.is_none() {
                out.warnings.push(format!(
                    "IAM Identity Center ([[sso]] {}) assigns you no {}",
                    entry.label(),
                    if entry.roles.is_empty() {
                        "roles".to_string()
                    } else {
                        format!("roles named {}", entry.roles.join(", "))
                    }
                ));
            }
            out.roles.extend(roles);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(roles: &[&str]) -> SsoConfig {
        SsoConfig {
            session: Some("corp".into()),
            start_url: None,
            region: None,
            roles: roles.iter().map(|r| r.to_string()).collect(),
            regions: Some(vec!["eu-west-1".into()]),
            max_age: std::time::Duration::from_secs(3600),
            place: "c.toml:3".into(),
        }
    }

    #[test]
    fn one_role_per_account_and_permission_set_filtered_by_name() {
        let portal = Portal {
            start_url: "https://corp.awsapps.com/start".into(),
            region: "eu-west-1".into(),
            session: Some("corp".into()),
        };
        let list = Assignments {
            read_at: Utc::now(),
            start_url: portal.start_url.clone(),
            accounts: vec![
                SsoAccount {
                    id: "222222222222".into(),
                    name: "Payments Prod".into(),
                    email: String::new(),
                    roles: vec!["IncidentResponder".into(), "ReadOnly".into()],
                },
                SsoAccount {
                    id: "333333333333".into(),
                    name: String::new(),
                    email: String::new(),
                    roles: vec!["ReadOnly".into()],
                },
            ],
        };
        let all = roles_of(&entry(&[]), &portal, &list);
        let names: Vec<_> = all.iter().filter_map(|r| r.name.clone()).collect();
        assert_eq!(
            names,
            [
                "payments-prod/IncidentResponder",
                "payments-prod/ReadOnly",
                "333333333333/ReadOnly"
            ]
        );
        assert!(all.iter().all(|r| r.source == RoleSource::Sso));
        assert_eq!(
            all[0].arn.to_string(),
            "arn:aws:iam::222222222222:role/aws-reserved/sso.amazonaws.com/IncidentResponder"
        );
        match &all[0].reach {
            Source::Sso(r) => {
                assert_eq!(
                    (r.account_id.as_str(), r.role_name.as_str()),
                    ("222222222222", "IncidentResponder")
                );
            }
            other => panic!("{other:?}"),
        }
        let only = roles_of(&entry(&["IncidentResponder"]), &portal, &list);
        assert_eq!(only.len(), 1);
        assert_eq!(
            only[0].regions.as_deref(),
            Some(&["eu-west-1".to_string()][..])
        );
    }

    #[test]
    fn the_cache_is_keyed_by_portal_and_scope() {
        let dir = Path::new("/c");
        let p = |url: &str| Portal {
            start_url: url.into(),
            region: "us-east-1".into(),
            session: None,
        };
        let a = cache_file(dir, &p("https://a.awsapps.com/start"), "s1");
        assert_ne!(a, cache_file(dir, &p("https://b.awsapps.com/start"), "s1"));
        assert_ne!(a, cache_file(dir, &p("https://a.awsapps.com/start"), "s2"));
    }
}
