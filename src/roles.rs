//! The roles a responder can assume, grouped by account, and how a ROLE argument finds one.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::aws::arn::RoleArn;
use crate::aws::assume::{AssumeParams, Source};
use crate::aws::credentials::TokenCode;
use crate::aws::profiles::{ProfileRole, ProfileSso};
use crate::config::{Config, Defaults, RoleConfig};

/// Where rolecall learned of a role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RoleSource {
    /// rolecall's own config file.
    Config,
    /// A profile with `role_arn` in the AWS config file.
    AwsConfig,
    /// Listed in full in the caller's own IAM policies.
    Policy,
    /// Named on the command line by its ARN, configured nowhere.
    Argument,
    /// `[[organization]]`: the role in an account of the organization.
    Organization,
    /// IAM Identity Center: a permission set assigned to the user (`[[sso]]`, or an SSO
    /// profile of the AWS config file).
    Sso,
}

impl RoleSource {
    pub fn as_str(self) -> &'static str {
        match self {
            RoleSource::Config => "config",
            RoleSource::AwsConfig => "aws-config",
            RoleSource::Policy => "policy",
            RoleSource::Argument => "argument",
            RoleSource::Organization => "organization",
            RoleSource::Sso => "sso",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    pub arn: RoleArn,
    pub name: Option<String>,
    pub source: RoleSource,
    pub external_id: Option<String>,
    pub mfa_serial: Option<String>,
    pub duration_seconds: Option<u32>,
    pub regions: Option<Vec<String>>,
    pub session_name: Option<String>,
    pub refresh_before_seconds: Option<u32>,
    /// The account's name where it came with the role (AWS Organizations); an `[[account]]`
    /// name wins over it.
    pub account_name: Option<String>,
    pub source_identity: Option<String>,
    /// The role it is assumed from, as the config names it (`via`).
    pub via: Option<String>,
    /// Where its session comes from: the primary identity, the `via` role's session, a
    /// profile's credentials, IAM Identity Center.
    pub reach: Source,
}

impl Role {
    pub fn from_config(r: &RoleConfig) -> Self {
        Role {
            arn: r.arn.clone(),
            name: r.name.clone(),
            source: RoleSource::Config,
            external_id: r.external_id.clone(),
            mfa_serial: r.mfa_serial.clone(),
            duration_seconds: r.duration_seconds,
            regions: r.regions.clone(),
            session_name: r.session_name.clone(),
            refresh_before_seconds: r.refresh_before_seconds,
            account_name: None,
            source_identity: r.source_identity.clone(),
            via: r.via.clone(),
            reach: Source::Primary,
        }
    }

    /// An Identity Center profile of the AWS config file.
    pub fn from_sso_profile(p: &ProfileSso) -> Option<Self> {
        let partition = crate::aws::arn::Partition::of_region(&p.role.portal.region)
            .unwrap_or(crate::aws::arn::Partition::Aws);
        let arn =
            crate::aws::sso::role_arn(partition, &p.role.account_id, &p.role.role_name).ok()?;
        Some(Role {
            name: Some(p.profile.clone()),
            source: RoleSource::Sso,
            regions: p.region.clone().map(|r| vec![r]),
            reach: Source::Sso(p.role.clone()),
            ..Role::from_arn(arn)
        })
    }

    pub fn from_profile(p: &ProfileRole) -> Self {
        Role {
            arn: p.arn.clone(),
            name: Some(p.profile.clone()),
            source: RoleSource::AwsConfig,
            external_id: p.external_id.clone(),
            mfa_serial: p.mfa_serial.clone(),
            duration_seconds: p.duration_seconds,
            regions: p.region.clone().map(|r| vec![r]),
            session_name: p.session_name.clone(),
            refresh_before_seconds: None,
            account_name: None,
            source_identity: None,
            via: None,
            reach: p.reach.clone(),
        }
    }

    pub fn from_policy(arn: RoleArn) -> Self {
        Role {
            source: RoleSource::Policy,
            ..Role::from_arn(arn)
        }
    }

    /// A role known only by its ARN (a command-line argument).
    pub fn from_arn(arn: RoleArn) -> Self {
        Role {
            arn,
            name: None,
            source: RoleSource::Argument,
            external_id: None,
            mfa_serial: None,
            duration_seconds: None,
            regions: None,
            session_name: None,
            refresh_before_seconds: None,
            account_name: None,
            source_identity: None,
            via: None,
            reach: Source::Primary,
        }
    }

    /// The short name if one is configured, else the role's name with its path.
    pub fn label(&self) -> String {
        self.name
            .clone()
            .unwrap_or_else(|| self.arn.name_with_path())
    }

    pub fn regions(&self, defaults: &Defaults) -> Vec<String> {
        self.regions
            .clone()
            .unwrap_or_else(|| defaults.regions.clone())
    }

    /// How long before expiry its session is renewed.
    pub fn refresh_before(&self, defaults: &Defaults) -> std::time::Duration {
        std::time::Duration::from_secs(
            self.refresh_before_seconds
                .unwrap_or(defaults.refresh_before_seconds)
                .into(),
        )
    }

    pub fn duration(&self, defaults: &Defaults) -> u32 {
        self.duration_seconds.unwrap_or(defaults.duration_seconds)
    }

    /// The AssumeRole request for this role, with the config's defaults filled in.
    pub fn assume_params(
        &self,
        defaults: &Defaults,
        duration: Option<u32>,
        token_code: Option<TokenCode>,
    ) -> AssumeParams {
        AssumeParams {
            role_arn: self.arn.clone(),
            session_name: self
                .session_name
                .clone()
                .unwrap_or_else(|| defaults.session_name.clone()),
            duration_seconds: duration.unwrap_or_else(|| self.duration(defaults)),
            external_id: self.external_id.clone(),
            mfa_serial: self.mfa_serial.clone(),
            token_code,
            source_identity: self
                .source_identity
                .clone()
                .or_else(|| defaults.source_identity.clone()),
            source: self.reach.clone(),
        }
    }

    /// Whether it is reached by another role's session, so AWS grants it an hour at most.
    pub fn chains(&self) -> bool {
        self.reach.chains()
    }

    /// The display name for the console's role history: `name`, or `Role @ account`.
    pub fn display_name(&self, account_name: Option<&str>) -> String {
        if let Some(n) = &self.name {
            return n.clone();
        }
        let account = account_name.unwrap_or(self.arn.account_id());
        format!("{} @ {}", self.arn.name(), account)
    }
}

/// One secondary account and the roles into it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRoles {
    pub id: String,
    pub name: Option<String>,
    pub color: Option<String>,
    pub roles: Vec<Role>,
}

/// Every known role, one per ARN: rolecall's config first, then AWS config profiles, then the
/// roles of `[[organization]]`s, then roles found in the caller's policies. Where an ARN appears
/// twice the first wins (its name, regions and settings), taking from the later ones only what it
/// leaves unset. A later role's name that is already taken is dropped (an organization's gets
/// its account id added), so names stay unique.
pub fn merge(
    config: &Config,
    profiles: &[ProfileRole],
    organization: &[Role],
    discovered: &[RoleArn],
) -> Vec<Role> {
    let mut roles: Vec<Role> = config.roles.iter().map(Role::from_config).collect();
    let later = profiles
        .iter()
        .map(Role::from_profile)
        .chain(organization.iter().cloned());
    for from in later {
        if let Some(r) = roles.iter_mut().find(|r| r.arn == from.arn) {
            r.external_id = r.external_id.take().or(from.external_id);
            r.mfa_serial = r.mfa_serial.take().or(from.mfa_serial);
            r.duration_seconds = r.duration_seconds.or(from.duration_seconds);
            r.session_name = r.session_name.take().or(from.session_name);
            r.regions = r.regions.take().or(from.regions);
            r.account_name = r.account_name.take().or(from.account_name);
            r.source_identity = r.source_identity.take().or(from.source_identity);
            if r.reach == Source::Primary && r.via.is_none() {
                r.reach = from.reach;
            }
            continue;
        }
        let mut from = from;
        let taken = |name: &Option<String>| roles.iter().any(|r| &r.name == name);
        if taken(&from.name) {
            from.name = match (&from.source, &from.name) {
                (RoleSource::Organization, Some(n)) => {
                    Some(format!("{n}-{}", from.arn.account_id()))
                        .filter(|n| !taken(&Some(n.clone())))
                }
                _ => None,
            };
        }
        roles.push(from);
    }
    for arn in discovered {
        if !roles.iter().any(|r| &r.arn == arn) {
            roles.push(Role::from_policy(arn.clone()));
        }
    }
    link(config, &mut roles);
    roles
}

/// Gives each role with `via` the session it is reached through: the `via` role's request
/// (itself reached as its own `via` says, chains included). A `via` that names no known role,
/// or a loop, makes the role unreachable, with the reason its AssumeRole will give.
fn link(config: &Config, roles: &mut [Role]) {
    fn reach(
        config: &Config,
        roles: &[Role],
        i: usize,
        seen: &mut Vec<usize>,
    ) -> Result<Source, String> {
        let Some(via) = roles[i].via.as_deref() else {
            return Ok(roles[i].reach.clone());
        };
        if seen.contains(&i) {
            return Err(format!("`via` makes a loop through {}", roles[i].label()));
        }
        seen.push(i);
        let found = roles
            .iter()
            .position(|r| r.name.as_deref() == Some(via) || r.arn.to_string() == via)
            .ok_or_else(|| {
                format!(
                    "via = \"{via}\" (role {}) names no known role: give a [[role]]'s or an Identity Center role's name (`rolecall roles` lists them), or an ARN configured as a [[role]]",
                    roles[i].label()
                )
            })?;
        let mut via_role = roles[found].clone();
        via_role.reach = reach(config, roles, found, seen)?;
        via_role.via = None;
        // A session that only assumes another role: the least AWS grants.
        let params =
            via_role.assume_params(&config.defaults, Some(crate::config::MIN_DURATION), None);
        Ok(Source::Role(Box::new(params)))
    }
    let reaches: Vec<Source> = (0..roles.len())
        .map(|i| reach(config, roles, i, &mut Vec::new()).unwrap_or_else(Source::Unresolved))
        .collect();
    for (r, reach) in roles.iter_mut().zip(reaches) {
        r.reach = reach;
    }
}

/// The configured roles grouped by account: named accounts first (by name), then by id.
pub fn catalog(config: &Config) -> Vec<AccountRoles> {
    group(config, merge(config, &[], &[], &[]))
}

/// What the tree shows before any AWS call: the config's roles and the organizations' cached
/// lists (`scope`: see `AwsOptions::scope`).
pub fn at_start(config: &Config, scope: &str) -> (Vec<AccountRoles>, Option<DateTime<Utc>>) {
    let organization = crate::organization::cached(config, scope, false);
    let mut later = organization.roles;
    later.extend(crate::sso::cached(config, scope, false));
    (
        group(config, merge(config, &[], &later, &[])),
        organization.read_at,
    )
}

/// Roles grouped by account, with the account names and colours of the config (else the names
/// the roles came with, from Organizations).
pub fn group(config: &Config, roles: Vec<Role>) -> Vec<AccountRoles> {
    let mut groups: Vec<AccountRoles> = Vec::new();
    for r in roles {
        let id = r.arn.account_id();
        let i = match groups.iter().position(|g| g.id == id) {
            Some(i) => i,
            None => {
                let account = config.account(id);
                groups.push(AccountRoles {
                    id: id.to_string(),
                    name: account
                        .and_then(|a| a.name.clone())
                        .or_else(|| r.account_name.clone()),
                    color: account.and_then(|a| a.color.clone()),
                    roles: Vec::new(),
                });
                groups.len() - 1
            }
        };
        groups[i].roles.push(r);
    }
    groups.sort_by(|a, b| {
        (a.name.is_none(), &a.name, &a.id).cmp(&(b.name.is_none(), &b.name, &b.id))
    });
    groups
}

/// Every role the primary identity can reach, with what discovery had to say.
pub struct Known {
    pub roles: Vec<Role>,
    pub warnings: Vec<String>,
    pub discovery: crate::aws::discovery::Discovery,
    /// What each `[[organization]]` gave.
    pub organizations: Vec<crate::organization::Report>,
    /// When the soonest `[[sso]]` list is to be read again.
    pub sso_due: Option<DateTime<Utc>>,
}

/// The config's roles, the AWS config file's role profiles, the organizations' roles and the
/// roles listed in the caller's own IAM policies, merged (see `merge`). The IAM policies and the
/// organizations are read at once.
pub async fn discover(config: &Config, orgs: &crate::organization::Reader<'_>) -> Known {
    let (profiles, mut warnings) = crate::aws::profiles::role_profiles(
        crate::config::MIN_DURATION..=crate::config::MAX_DURATION,
    );
    let before = merge(config, &profiles, &[], &[]);
    let reread = orgs.freshness == crate::organization::Freshness::Reread;
    let (discovery, organization, sso) = futures::join!(
        crate::aws::discovery::discover(orgs.aws, orgs.identity),
        orgs.read(config, &before),
        crate::sso::read(orgs.aws, config, &orgs.scope, reread)
    );
    warnings.extend(discovery.warnings.iter().cloned());
    warnings.extend(organization.warnings);
    warnings.extend(sso.warnings);
    let mut later = organization.roles;
    later.extend(sso.roles);
    let found: Vec<RoleArn> = discovery
        .analysis
        .as_ref()
        .map(|a| a.assumable().into_iter().map(|(arn, _)| arn).collect())
        .unwrap_or_default();
    Known {
        roles: merge(config, &profiles, &later, &found),
        warnings,
        discovery,
        organizations: organization.reports,
        sso_due: sso.due,
    }
}

/// The roles known without an AWS call: the config's, the AWS config file's role profiles and
/// the organizations' cached lists (`fresh_only`: those younger than their `max_age`; `scope`:
/// see `AwsOptions::scope`).
pub fn known_locally(config: &Config, scope: &str, fresh_only: bool) -> Vec<Role> {
    known_with(
        config,
        scope,
        fresh_only,
        crate::sso::cached(config, scope, fresh_only),
    )
}

/// Like `known_locally`, with `sso` as the Identity Center roles (just read from the portals,
/// say) in place of their cached lists.
pub fn known_with(config: &Config, scope: &str, fresh_only: bool, sso: Vec<Role>) -> Vec<Role> {
    let (profiles, _) = crate::aws::profiles::role_profiles(
        crate::config::MIN_DURATION..=crate::config::MAX_DURATION,
    );
    let mut later = crate::organization::cached(config, scope, fresh_only).roles;
    later.extend(sso);
    merge(config, &profiles, &later, &[])
}

/// Like `resolve`, knowing the AWS config file's role profiles and the organizations' cached
/// roles too (local reads, no AWS call; `scope`: see `AwsOptions::scope`).
pub fn resolve_with_profiles(
    config: &Config,
    scope: &str,
    arg: &str,
) -> Result<Role, ResolveError> {
    resolve_in(config, &known_locally(config, scope, false), arg)
}

#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    #[error("ROLE \"{arg}\": {reason}")]
    BadArn { arg: String, reason: String },
    #[error("no role named \"{arg}\" {where_}; {known}")]
    Unknown {
        arg: String,
        where_: String,
        known: String,
    },
}

/// Finds the role a ROLE argument means: a configured `name`, or a full role ARN (configured or
/// not; a configured one brings its external id, MFA serial, duration and regions).
pub fn resolve(config: &Config, arg: &str) -> Result<Role, ResolveError> {
    resolve_in(config, &merge(config, &[], &[], &[]), arg)
}

/// Like `resolve`, among `roles` (the config's and the AWS config's, say): names are rolecall
/// role names or AWS profile names.
pub fn resolve_in(config: &Config, roles: &[Role], arg: &str) -> Result<Role, ResolveError> {
    if arg.starts_with("arn:") {
        let arn: RoleArn =
            arg.parse()
                .map_err(|e: crate::aws::arn::ArnError| ResolveError::BadArn {
                    arg: arg.to_string(),
                    reason: e.to_string(),
                })?;
        return Ok(roles
            .iter()
            .find(|r| r.arn == arn)
            .cloned()
            .unwrap_or_else(|| Role::from_arn(arn)));
    }
    if let Some(r) = roles.iter().find(|r| r.name.as_deref() == Some(arg)) {
        return Ok(r.clone());
    }
    // An account's name (the config's or the organization's) means its role, if it has one.
    let in_account: Vec<&Role> = roles
        .iter()
        .filter(|r| {
            let id = r.arn.account_id();
            config
                .account(id)
                .and_then(|a| a.name.as_deref())
                .or(r.account_name.as_deref())
                == Some(arg)
        })
        .collect();
    if let [only] = in_account[..] {
        return Ok(only.clone());
    }
    let where_ = match &config.source {
        Some(p) => format!("in {}", p.display()),
        None => "(no config file was found)".to_string(),
    };
    let names: Vec<&str> = roles.iter().filter_map(|r| r.name.as_deref()).collect();
    let known = if names.is_empty() {
        "give a full role ARN (arn:aws:iam::123456789012:role/NAME), or add a [[role]] with a name to the config (or a profile with role_arn to ~/.aws/config)".to_string()
    } else {
        format!(
            "known names (config and AWS config profiles): {}; or give a full role ARN",
            names.join(", ")
        )
    };
    Err(ResolveError::Unknown {
        arg: arg.to_string(),
        where_,
        known,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn config() -> Config {
        crate::config::parse(
            r#"
[[account]]
id = "333333333333"
name = "staging"

[[role]]
arn = "arn:aws:iam::222222222222:role/ResponderRole"
name = "prod"
duration_seconds = 1800

[[role]]
arn = "arn:aws:iam::333333333333:role/audit/Auditor"
external_id = "ext-1"
regions = ["eu-west-1"]

[[role]]
arn = "arn:aws:iam::222222222222:role/BreakGlass"
"#,
            Path::new("/c.toml"),
        )
        .unwrap()
    }

    #[test]
    fn groups_by_account_named_first() {
        let groups = catalog(&config());
        assert_eq!(groups.len(), 2);
        assert_eq!(groups[0].id, "333333333333");
        assert_eq!(groups[0].name.as_deref(), Some("staging"));
        assert_eq!(groups[1].id, "222222222222");
        assert_eq!(groups[1].roles.len(), 2);
    }

    #[test]
    fn resolves_names_and_arns() {
        let c = config();
        let r = resolve(&c, "prod").unwrap();
        assert_eq!(r.arn.name(), "ResponderRole");
        assert_eq!(r.duration(&c.defaults), 1800);
        let r = resolve(&c, "arn:aws:iam::333333333333:role/audit/Auditor").unwrap();
        assert_eq!(r.source, RoleSource::Config);
        assert_eq!(r.external_id.as_deref(), Some("ext-1"));
        assert_eq!(r.regions(&c.defaults), vec!["eu-west-1"]);
        assert_eq!(r.display_name(Some("staging")), "Auditor @ staging");
        let r = resolve(&c, "arn:aws:iam::999999999999:role/Other").unwrap();
        assert_eq!(r.source, RoleSource::Argument);
        assert_eq!(r.regions(&c.defaults), vec!["us-east-1"]);
        assert_eq!(r.display_name(None), "Other @ 999999999999");
    }

    #[test]
    fn unknown_names_list_the_known_ones() {
        let e = resolve(&config(), "prdo").unwrap_err().to_string();
        assert!(e.contains("\"prdo\""), "{e}");
        assert!(e.contains("/c.toml"), "{e}");
        assert!(
            e.contains("known names (config and AWS config profiles): prod"),
            "{e}"
        );
        let e = resolve(&config(), "arn:aws:iam::1:role/X")
            .unwrap_err()
            .to_string();
        assert!(e.contains("12 digits"), "{e}");
    }

    #[test]
    fn assume_params_take_defaults_and_overrides() {
        let c = config();
        let r = resolve(&c, "prod").unwrap();
        let p = r.assume_params(&c.defaults, None, None);
        assert_eq!(p.duration_seconds, 1800);
        assert_eq!(p.session_name, "rolecall");
        let p = r.assume_params(
            &c.defaults,
            Some(900),
            Some(TokenCode::parse("123456").unwrap()),
        );
        assert_eq!(p.duration_seconds, 900);
        assert_eq!(p.token_code.unwrap().expose(), "123456");
    }

    #[test]
    fn config_wins_over_profiles_and_policies() {
        let c = config();
        let profile = |name: &str, arn: &str| ProfileRole {
            profile: name.into(),
            arn: arn.parse().unwrap(),
            external_id: Some("from-profile".into()),
            mfa_serial: None,
            duration_seconds: Some(900),
            session_name: Some("alice".into()),
            region: Some("eu-central-1".into()),
            reach: Source::Primary,
        };
        let profiles = vec![
            profile("prod-ro", "arn:aws:iam::222222222222:role/ResponderRole"),
            profile("prod", "arn:aws:iam::444444444444:role/Other"),
            profile("lab", "arn:aws:iam::555555555555:role/Lab"),
        ];
        let discovered: Vec<RoleArn> = [
            "arn:aws:iam::555555555555:role/Lab",
            "arn:aws:iam::666666666666:role/Found",
        ]
        .iter()
        .map(|s| s.parse().unwrap())
        .collect();
        let roles = merge(&c, &profiles, &[], &discovered);
        let by = |arn: &str| roles.iter().find(|r| r.arn.to_string() == arn).unwrap();
        let prod = by("arn:aws:iam::222222222222:role/ResponderRole");
        assert_eq!(prod.source, RoleSource::Config);
        assert_eq!(prod.name.as_deref(), Some("prod"), "the config's name");
        assert_eq!(prod.duration_seconds, Some(1800), "the config's duration");
        assert_eq!(
            prod.external_id.as_deref(),
            Some("from-profile"),
            "filled from the profile"
        );
        let other = by("arn:aws:iam::444444444444:role/Other");
        assert_eq!(other.name, None, "\"prod\" is taken by the config");
        let lab = by("arn:aws:iam::555555555555:role/Lab");
        assert_eq!(lab.source, RoleSource::AwsConfig);
        assert_eq!(lab.regions(&c.defaults), vec!["eu-central-1"]);
        assert_eq!(
            by("arn:aws:iam::666666666666:role/Found").source,
            RoleSource::Policy
        );
        assert_eq!(roles.len(), 6);
        // Profile names resolve.
        let r = resolve_in(&c, &roles, "lab").unwrap();
        assert_eq!(r.session_name.as_deref(), Some("alice"));
        assert_eq!(
            serde_json::to_value(RoleSource::AwsConfig).unwrap(),
            serde_json::json!("aws-config")
        );
    }
}
