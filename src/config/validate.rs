//! Checks the raw config and turns it into [`Config`]: every error names the key and its
//! `file:line:column`, and says what would be right.

use std::collections::{BTreeSet, HashMap};
use std::ops::Range;
use std::path::Path;

use toml::Spanned;

use super::raw::{
    RawAccount, RawCase, RawConfig, RawConsole, RawDefaults, RawFindings, RawOrganization,
    RawRegions, RawRole, RawSessions, RawSso, SpannedList,
};
use super::{
    Account, CaseConfig, Config, ConfigError, ConsoleConfig, Defaults, FindingsConfig,
    OrganizationConfig, RoleConfig, RoleSettings, SessionsConfig, SsoConfig,
    DEFAULT_ORGANIZATION_MAX_AGE, MAX_DURATION, MIN_DURATION,
};
use crate::aws::arn::{
    validate_account_id, validate_mfa_serial, validate_region, validate_session_name, RoleArn,
};

/// Turns byte offsets into `file:line:column` errors.
struct Locator<'a> {
    src: &'a str,
    path: &'a Path,
}

impl Locator<'_> {
    fn err(&self, span: Range<usize>, message: impl Into<String>) -> ConfigError {
        let mut start = span.start.min(self.src.len());
        while !self.src.is_char_boundary(start) {
            start -= 1;
        }
        let before = &self.src[..start];
        let line = before.matches('\n').count() + 1;
        // Columns count characters, as editors do, not bytes.
        let column = before[before.rfind('\n').map_or(0, |i| i + 1)..]
            .chars()
            .count()
            + 1;
        ConfigError::Invalid {
            path: self.path.to_path_buf(),
            line,
            column,
            message: message.into(),
        }
    }

    fn int_in(
        &self,
        v: &Spanned<i64>,
        key: &str,
        range: std::ops::RangeInclusive<i64>,
        unit: &str,
    ) -> Result<i64, ConfigError> {
        let n = *v.get_ref();
        if range.contains(&n) {
            Ok(n)
        } else {
            Err(self.err(
                v.span(),
                format!(
                    "{key} = {n}: must be between {} and {}{unit}",
                    range.start(),
                    range.end()
                ),
            ))
        }
    }

    fn regions(&self, v: &SpannedList, key: &str) -> Result<Vec<String>, ConfigError> {
        let list: Vec<&String> = match v.get_ref() {
            RawRegions::One(one) => vec![one],
            RawRegions::List(l) => l.iter().collect(),
        };
        if list.is_empty() {
            return Err(self.err(
                v.span(),
                format!("{key} is empty: list at least one region, e.g. [\"us-east-1\"], or \"all\" for each account's enabled regions"),
            ));
        }
        let mut out: Vec<String> = Vec::new();
        for name in &list {
            if name.as_str() == crate::config::ALL_REGIONS {
                if list.len() > 1 {
                    return Err(self.err(
                        v.span(),
                        format!("{key}: \"all\" means every region the account has enabled, so it stands alone: regions = \"all\""),
                    ));
                }
                return Ok(vec![name.to_string()]);
            }
            validate_region(name).map_err(|e| self.err(v.span(), format!("{key}: {e}")))?;
            if !out.contains(name) {
                out.push(name.to_string());
            }
        }
        Ok(out)
    }

    fn session_name(&self, v: &Spanned<String>, key: &str) -> Result<String, ConfigError> {
        validate_session_name(v.get_ref())
            .map_err(|e| self.err(v.span(), format!("{key}: {e}")))?;
        Ok(v.get_ref().clone())
    }
}

/// Parses and validates config text; `path` is only used in error messages.
pub fn parse(src: &str, path: &Path) -> Result<Config, ConfigError> {
    let loc = Locator { src, path };
    let raw: RawConfig = toml::from_str(src).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        let message = e.message().trim();
        let message = if message.is_empty() {
            "this is not valid TOML (see https://toml.io)"
        } else {
            message
        };
        loc.err(span, message.to_string())
    })?;

    let defaults = defaults(&loc, &raw.defaults)?;
    let accounts = accounts(&loc, &raw.account)?;
    let mut roles: Vec<RoleConfig> = Vec::new();
    let mut names: HashMap<String, usize> = HashMap::new();
    let mut arns: BTreeSet<String> = BTreeSet::new();
    for r in &raw.role {
        roles.push(role(&loc, r.get_ref(), &defaults, &mut names, &mut arns)?);
    }
    let mut organizations = Vec::new();
    for o in &raw.organization {
        organizations.push(organization(&loc, o.get_ref(), &defaults, &roles)?);
    }
    let console = console(&loc, &raw.console)?;
    let case = case(&loc, &raw.case)?;
    let findings = findings(&loc, &raw.findings, &roles)?;
    let mut sso = Vec::new();
    for s in &raw.sso {
        sso.push(sso_entry(&loc, s)?);
    }
    let sessions = sessions(&loc, &raw.sessions)?;
    Ok(Config {
        source: Some(path.to_path_buf()),
        defaults,
        accounts,
        roles,
        organizations,
        console,
        case,
        findings,
        sso,
        sessions,
    })
}

/// SourceIdentity as STS takes it: 2 to 64 of `A-Za-z0-9_+=,.@-`, not starting with `aws:`.
fn source_identity(loc: &Locator, v: &Spanned<String>, key: &str) -> Result<String, ConfigError> {
    let s = v.get_ref();
    let ok = (2..=64).contains(&s.len())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c))
        && !s.to_ascii_lowercase().starts_with("aws:");
    if ok {
        Ok(s.clone())
    } else {
        Err(loc.err(
            v.span(),
            format!("{key} = \"{s}\": must be 2 to 64 letters, digits or _+=,.@- (your user name or e-mail, as CloudTrail is to show it)"),
        ))
    }
}

/// One `[[sso]]`: a session of the AWS config file, or a start URL and its region.
fn sso_entry(loc: &Locator, raw: &Spanned<RawSso>) -> Result<SsoConfig, ConfigError> {
    let r = raw.get_ref();
    let line = loc.src[..raw.span().start.min(loc.src.len())]
        .matches('\n')
        .count()
        + 1;
    let place = format!("{}:{line}", loc.path.display());
    let session = match &r.session {
        Some(v) => {
            let s = v.get_ref();
            if s.is_empty()
                || s.chars()
                    .any(|c| c.is_whitespace() || c.is_control() || c == ']')
            {
                return Err(loc.err(
                    v.span(),
                    format!("sso.session = \"{s}\": give the name of an [sso-session NAME] section of ~/.aws/config"),
                ));
            }
            Some(s.clone())
        }
        None => None,
    };
    let start_url = match &r.start_url {
        Some(v) => {
            let ok = url::Url::parse(v.get_ref())
                .ok()
                .filter(|u| u.scheme() == "https" && u.has_host());
            if ok.is_none() {
                return Err(loc.err(
                    v.span(),
                    format!("sso.start_url = \"{}\" is not an https URL: give the AWS access portal URL, like https://my-org.awsapps.com/start", v.get_ref()),
                ));
            }
            Some(v.get_ref().clone())
        }
        None => None,
    };
    let region = match &r.region {
        Some(v) => {
            validate_region(v.get_ref())
                .map_err(|e| loc.err(v.span(), format!("sso.region: {e}")))?;
            Some(v.get_ref().clone())
        }
        None => None,
    };
    match (&session, &start_url) {
        (Some(_), Some(_)) => {
            return Err(loc.err(
                raw.span(),
                "[[sso]] has both session and start_url: give one (the session's start URL is in ~/.aws/config)",
            ))
        }
        (None, None) => {
            return Err(loc.err(
                raw.span(),
                "[[sso]] needs session (an [sso-session] of ~/.aws/config) or start_url and region",
            ))
        }
        (None, Some(_)) if region.is_none() => {
            return Err(loc.err(
                raw.span(),
                "[[sso]] with start_url needs region: the region of the IAM Identity Center instance (Settings in its console)",
            ))
        }
        _ => {}
    }
    let mut roles = Vec::new();
    if let Some(list) = &r.roles {
        for v in list.get_ref() {
            let s = v.get_ref();
            let ok = (1..=64).contains(&s.len())
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c));
            if !ok {
                return Err(loc.err(
                    v.span(),
                    format!("sso.roles: \"{s}\" is not a permission set's name (1 to 64 letters, digits or _+=,.@-)"),
                ));
            }
            roles.push(s.clone());
        }
    }
    let regions = match &r.regions {
        Some(v) => Some(loc.regions(v, "sso.regions")?),
        None => None,
    };
    let max_age = match &r.max_age {
        Some(v) => humantime::parse_duration(v.get_ref()).map_err(|e| {
            loc.err(
                v.span(),
                format!(
                    "sso.max_age = \"{}\": {e}; give a duration like \"1h\", \"30m\" or \"1day\"",
                    v.get_ref()
                ),
            )
        })?,
        None => DEFAULT_ORGANIZATION_MAX_AGE,
    };
    Ok(SsoConfig {
        session,
        start_url,
        region,
        roles,
        regions,
        max_age,
        place,
    })
}

/// `[sessions]`: `cache = "none" | "keyring" | "file"`.
fn sessions(loc: &Locator, raw: &RawSessions) -> Result<SessionsConfig, ConfigError> {
    use crate::aws::session_cache::CacheKind;
    let cache = match &raw.cache {
        None => None,
        Some(v) => match v.get_ref().as_str() {
            "none" => None,
            "keyring" => Some(CacheKind::Keyring),
            "file" => Some(CacheKind::File),
            other => {
                return Err(loc.err(
                    v.span(),
                    format!(
                        "sessions.cache = \"{other}\": must be \"none\" (no session outlives rolecall), \"keyring\" (the OS keyring) or \"file\" (a file readable by you only, in the data dir)"
                    ),
                ))
            }
        },
    };
    Ok(SessionsConfig { cache })
}

/// `[findings]`: the role to read aggregated findings through (a `[[role]]` name or an ARN), and
/// the aggregation region.
fn findings(
    loc: &Locator,
    raw: &RawFindings,
    roles: &[RoleConfig],
) -> Result<FindingsConfig, ConfigError> {
    let via = match &raw.via {
        None => None,
        Some(v) if v.get_ref().starts_with("arn:") => Some(
            v.get_ref()
                .parse::<RoleArn>()
                .map_err(|e| loc.err(v.span(), format!("findings.via: {e}")))?,
        ),
        Some(v) => match roles
            .iter()
            .find(|r| r.name.as_deref() == Some(v.get_ref()))
        {
            Some(r) => Some(r.arn.clone()),
            None => {
                let names: Vec<&str> = roles.iter().filter_map(|r| r.name.as_deref()).collect();
                return Err(loc.err(
                    v.span(),
                    format!(
                        "findings.via = \"{}\": no [[role]] has that name ({}); give the name or ARN of a role in the Security Hub delegated administrator account",
                        v.get_ref(),
                        if names.is_empty() {
                            "the config names no roles".to_string()
                        } else {
                            format!("names: {}", names.join(", "))
                        }
                    ),
                ));
            }
        },
    };
    let region = match &raw.region {
        None => None,
        Some(r) => {
            crate::aws::arn::validate_region(r.get_ref())
                .map_err(|e| loc.err(r.span(), format!("findings.region: {e}")))?;
            if via.is_none() {
                return Err(loc.err(
                    r.span(),
                    "findings.region is the aggregation region of findings.via: set via too (a role in the delegated administrator account), or remove region",
                ));
            }
            Some(r.get_ref().clone())
        }
    };
    Ok(FindingsConfig { via, region })
}

fn defaults(loc: &Locator, d: &RawDefaults) -> Result<Defaults, ConfigError> {
    let mut defaults = Defaults::default();
    if let Some(r) = &d.regions {
        defaults.regions = loc.regions(r, "defaults.regions")?;
    }
    if let Some(s) = &d.session_name {
        defaults.session_name = loc.session_name(s, "defaults.session_name")?;
    }
    if let Some(v) = &d.duration_seconds {
        defaults.duration_seconds = loc.int_in(
            v,
            "defaults.duration_seconds",
            MIN_DURATION.into()..=MAX_DURATION.into(),
            " seconds (15 minutes to 12 hours)",
        )? as u32;
    }
    if let Some(v) = &d.page_size {
        defaults.page_size = loc.int_in(v, "defaults.page_size", 5..=1000, "")? as i32;
    }
    if let Some(v) = &d.timeout_seconds {
        defaults.timeout_seconds =
            loc.int_in(v, "defaults.timeout_seconds", 1..=3600, " seconds")? as u32;
    }
    if let Some(v) = &d.connect_timeout_seconds {
        defaults.connect_timeout_seconds =
            loc.int_in(v, "defaults.connect_timeout_seconds", 1..=300, " seconds")? as u32;
    }
    if let Some(v) = &d.concurrency {
        defaults.concurrency = loc.int_in(v, "defaults.concurrency", 1..=1024, " accounts")? as u32;
    }
    if let Some(v) = &d.source_identity {
        defaults.source_identity = Some(source_identity(loc, v, "defaults.source_identity")?);
    }
    if let Some(b) = d.read_only {
        defaults.read_only = b;
    }
    if let Some(v) = &d.max_attempts {
        defaults.max_attempts =
            loc.int_in(v, "defaults.max_attempts", 1..=10, " (1 means no retry)")? as u32;
    }
    if let Some(v) = &d.refresh_before_seconds {
        let max = i64::from(defaults.duration_seconds) - 1;
        defaults.refresh_before_seconds = loc
            .int_in(
                v,
                "defaults.refresh_before_seconds",
                0..=max,
                " seconds (less than defaults.duration_seconds)",
            )
            .map(|n| n as u32)?;
    }

    Ok(defaults)
}

fn accounts(loc: &Locator, raw: &[Spanned<RawAccount>]) -> Result<Vec<Account>, ConfigError> {
    let mut accounts: Vec<Account> = Vec::new();
    for a in raw {
        let a = a.get_ref();
        validate_account_id(a.id.get_ref())
            .map_err(|e| loc.err(a.id.span(), format!("account.id: {e}")))?;
        if accounts.iter().any(|x| &x.id == a.id.get_ref()) {
            return Err(loc.err(
                a.id.span(),
                format!(
                    "account.id: account {} is listed twice; merge the two [[account]] tables",
                    a.id.get_ref()
                ),
            ));
        }
        let name = match &a.name {
            Some(n) if n.get_ref().trim().is_empty() => {
                return Err(loc.err(n.span(), "account.name: must not be empty"))
            }
            Some(n) => Some(n.get_ref().clone()),
            None => None,
        };
        let color = match &a.color {
            Some(c) => {
                let hex = c.get_ref();
                if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(loc.err(
                        c.span(),
                        format!(
                            "account.color = \"{hex}\": must be 6 hex digits without '#', e.g. \"B7CA9D\""
                        ),
                    ));
                }
                Some(hex.to_ascii_uppercase())
            }
            None => None,
        };
        accounts.push(Account {
            id: a.id.get_ref().clone(),
            name,
            color,
        });
    }

    Ok(accounts)
}

/// One `[[role]]`; `names` (name → line) and `arns` are the roles before it, for duplicates.
fn role(
    loc: &Locator,
    r: &RawRole,
    defaults: &Defaults,
    names: &mut HashMap<String, usize>,
    arns: &mut BTreeSet<String>,
) -> Result<RoleConfig, ConfigError> {
    let arn: RoleArn = r
        .arn
        .get_ref()
        .parse()
        .map_err(|e| loc.err(r.arn.span(), format!("role.arn: {e}")))?;
    if !arns.insert(arn.to_string()) {
        return Err(loc.err(
            r.arn.span(),
            format!("role.arn: {arn} is configured twice; keep one [[role]] table for it"),
        ));
    }
    let name = match &r.name {
        Some(n) => {
            let s = n.get_ref();
            if s.is_empty()
                || s.len() > 64
                || s.starts_with("arn:")
                || s.chars().any(|c| c.is_whitespace() || c.is_control())
            {
                return Err(loc.err(
                    n.span(),
                    format!("role.name = \"{s}\": must be 1 to 64 characters without spaces, and not an ARN"),
                ));
            }
            if let Some(first) = names.get(s) {
                return Err(loc.err(
                    n.span(),
                    format!("role.name = \"{s}\": already used by the role at line {first}; names must be unique"),
                ));
            }
            let line = loc.src[..n.span().start].matches('\n').count() + 1;
            names.insert(s.clone(), line);
            Some(s.clone())
        }
        None => None,
    };
    let settings = settings(
        loc,
        "role",
        RawSettings {
            external_id: &r.external_id,
            mfa_serial: &r.mfa_serial,
            duration_seconds: &r.duration_seconds,
            regions: &r.regions,
            session_name: &r.session_name,
        },
        defaults,
        r.refresh_before_seconds.is_some(),
    )?;
    let duration_seconds = settings.duration_seconds;
    let refresh_before_seconds = match &r.refresh_before_seconds {
        Some(v) => {
            let duration = duration_seconds.unwrap_or(defaults.duration_seconds);
            Some(loc.int_in(
                v,
                "role.refresh_before_seconds",
                0..=i64::from(duration) - 1,
                " seconds (less than the role's duration_seconds)",
            )? as u32)
        }
        None => None,
    };
    let source_identity = match &r.source_identity {
        Some(v) => Some(source_identity(loc, v, "role.source_identity")?),
        None => None,
    };
    let via = match &r.via {
        Some(v) => {
            let s = v.get_ref();
            if s.starts_with("arn:") {
                let via: RoleArn = s
                    .parse()
                    .map_err(|e| loc.err(v.span(), format!("role.via: {e}")))?;
                if via == arn {
                    return Err(loc.err(v.span(), "role.via names the role itself"));
                }
            } else if s.is_empty() || name.as_deref() == Some(s.as_str()) {
                return Err(loc.err(
                    v.span(),
                    format!("role.via = \"{s}\": give another role's name or ARN (the role this one is assumed from)"),
                ));
            }
            Some(s.clone())
        }
        None => None,
    };
    Ok(RoleConfig {
        arn,
        name,
        external_id: settings.external_id,
        mfa_serial: settings.mfa_serial,
        duration_seconds,
        regions: settings.regions,
        session_name: settings.session_name,
        refresh_before_seconds,
        source_identity,
        via,
    })
}

/// The settings a `[[role]]` and an `[[organization]]` share, as the file gives them.
struct RawSettings<'a> {
    external_id: &'a Option<Spanned<String>>,
    mfa_serial: &'a Option<Spanned<String>>,
    duration_seconds: &'a Option<Spanned<i64>>,
    regions: &'a Option<SpannedList>,
    session_name: &'a Option<Spanned<String>>,
}

/// Those settings checked; `what` is the table (`role`, `organization`) the errors name.
fn settings(
    loc: &Locator,
    what: &str,
    r: RawSettings,
    defaults: &Defaults,
    own_refresh_before: bool,
) -> Result<RoleSettings, ConfigError> {
    let external_id = match r.external_id {
        Some(x) => {
            let s = x.get_ref();
            if !(2..=1224).contains(&s.len())
                || !s
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+=,.@:/-_".contains(c))
            {
                return Err(loc.err(
                    x.span(),
                    format!("{what}.external_id: must be 2 to 1224 characters of letters, digits and +=,.@:/-_"),
                ));
            }
            Some(s.clone())
        }
        None => None,
    };
    let mfa_serial = match r.mfa_serial {
        Some(m) => {
            validate_mfa_serial(m.get_ref())
                .map_err(|e| loc.err(m.span(), format!("{what}.mfa_serial: {e}")))?;
            Some(m.get_ref().clone())
        }
        None => None,
    };
    let duration_seconds = match r.duration_seconds {
        Some(v) => {
            let n = loc.int_in(
                v,
                &format!("{what}.duration_seconds"),
                MIN_DURATION.into()..=MAX_DURATION.into(),
                " seconds (15 minutes to 12 hours)",
            )? as u32;
            if n <= defaults.refresh_before_seconds && !own_refresh_before {
                return Err(loc.err(
                    v.span(),
                    format!(
                        "{what}.duration_seconds = {n}: must be longer than defaults.refresh_before_seconds ({})",
                        defaults.refresh_before_seconds
                    ),
                ));
            }
            Some(n)
        }
        None => None,
    };
    let regions = match r.regions {
        Some(v) => Some(loc.regions(v, &format!("{what}.regions"))?),
        None => None,
    };
    let session_name = match r.session_name {
        Some(s) => Some(loc.session_name(s, &format!("{what}.session_name"))?),
        None => None,
    };
    Ok(RoleSettings {
        external_id,
        mfa_serial,
        duration_seconds,
        regions,
        session_name,
    })
}

/// One `[[organization]]`: its role name (with a path), the role it reads the organization as
/// (a `[[role]]` name or an ARN), its role settings, the accounts left out and how long a list
/// read from AWS is used.
fn organization(
    loc: &Locator,
    o: &RawOrganization,
    defaults: &Defaults,
    roles: &[RoleConfig],
) -> Result<OrganizationConfig, ConfigError> {
    let role_name = o.role_name.get_ref().trim_matches('/').to_string();
    // The name is checked as the ARNs it will make are.
    if let Err(e) = RoleArn::new(crate::aws::arn::Partition::Aws, "123456789012", &role_name) {
        let reason = e.to_string();
        let reason = reason
            .split_once("\": ")
            .map_or(reason.as_str(), |(_, r)| r);
        return Err(loc.err(
            o.role_name.span(),
            format!(
                "organization.role_name = \"{}\": {reason}; give the name the role has in every account, with its path if it has one (\"IR/Responder\")",
                o.role_name.get_ref()
            ),
        ));
    }
    let via = match &o.via {
        None => None,
        Some(v) if v.get_ref().starts_with("arn:") => Some(
            v.get_ref()
                .parse::<RoleArn>()
                .map_err(|e| loc.err(v.span(), format!("organization.via: {e}")))?,
        ),
        Some(v) => match roles
            .iter()
            .find(|r| r.name.as_deref() == Some(v.get_ref()))
        {
            Some(r) => Some(r.arn.clone()),
            None => {
                let names: Vec<&str> = roles.iter().filter_map(|r| r.name.as_deref()).collect();
                return Err(loc.err(
                    v.span(),
                    format!(
                        "organization.via = \"{}\": no [[role]] has that name ({}); give a role's name or ARN in the management account or a delegated administrator account",
                        v.get_ref(),
                        if names.is_empty() {
                            "the config names no roles".to_string()
                        } else {
                            format!("names: {}", names.join(", "))
                        }
                    ),
                ));
            }
        },
    };
    let settings = settings(
        loc,
        "organization",
        RawSettings {
            external_id: &o.external_id,
            mfa_serial: &o.mfa_serial,
            duration_seconds: &o.duration_seconds,
            regions: &o.regions,
            session_name: &o.session_name,
        },
        defaults,
        false,
    )?;
    let mut exclude: Vec<String> = Vec::new();
    if let Some(list) = &o.exclude {
        for id in list.get_ref() {
            validate_account_id(id.get_ref())
                .map_err(|e| loc.err(id.span(), format!("organization.exclude: {e}")))?;
            if !exclude.contains(id.get_ref()) {
                exclude.push(id.get_ref().clone());
            }
        }
    }
    let max_age = match &o.max_age {
        None => DEFAULT_ORGANIZATION_MAX_AGE,
        Some(v) => humantime::parse_duration(v.get_ref()).map_err(|e| {
            loc.err(
                v.span(),
                format!(
                    "organization.max_age = \"{}\": {e}; give a duration like \"1h\", \"30m\" or \"1day\"",
                    v.get_ref()
                ),
            )
        })?,
    };
    Ok(OrganizationConfig {
        role_name,
        via,
        settings,
        exclude,
        max_age,
    })
}

fn console(loc: &Locator, raw: &RawConsole) -> Result<ConsoleConfig, ConfigError> {
    let mut console = ConsoleConfig::default();
    if let Some(v) = &raw.federation_endpoint {
        let url = url::Url::parse(v.get_ref()).ok().filter(|u| {
            matches!(u.scheme(), "https" | "http") && u.has_host() && u.query().is_none()
        });
        match url {
            Some(u) if u.scheme() == "http" && !is_loopback(&u) => {
                return Err(loc.err(
                    v.span(),
                    format!(
                        "console.federation_endpoint = \"{}\": plain http is allowed only to this machine (127.0.0.1, ::1, localhost), because the sign-in request carries the role's credentials; use https",
                        v.get_ref()
                    ),
                ))
            }
            Some(u) => console.federation_endpoint = Some(u),
            None => {
                return Err(loc.err(
                    v.span(),
                    format!(
                        "console.federation_endpoint = \"{}\" is not an http(s) URL without a query, like https://signin.aws.amazon.com/federation",
                        v.get_ref()
                    ),
                ))
            }
        }
    }
    Ok(console)
}

/// Whether a URL points at this machine: the only place plain http may carry credentials.
fn is_loopback(u: &url::Url) -> bool {
    match u.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

fn case(loc: &Locator, raw: &RawCase) -> Result<CaseConfig, ConfigError> {
    let mut case = CaseConfig::default();
    if let Some(v) = &raw.dir {
        let text = v.get_ref();
        let home = || directories::BaseDirs::new().map(|d| d.home_dir().to_path_buf());
        let dir = match text.strip_prefix("~/") {
            Some(rest) => home().map(|h| h.join(rest)),
            None => Some(std::path::PathBuf::from(text)),
        };
        match dir {
            Some(d) if d.is_absolute() => case.dir = Some(d),
            _ => {
                return Err(loc.err(
                    v.span(),
                    format!("case.dir = \"{text}\": give an absolute path (or one starting with ~/), e.g. \"/mnt/evidence/cases\""),
                ))
            }
        }
    }
    if let Some(v) = &raw.forensic_account {
        validate_account_id(v.get_ref())
            .map_err(|e| loc.err(v.span(), format!("case.forensic_account: {e}")))?;
        case.forensic_account = Some(v.get_ref().clone());
    }
    if let Some(v) = &raw.kms_key_arn {
        let arn = v.get_ref();
        let parts: Vec<&str> = arn.splitn(6, ':').collect();
        let ok = parts.len() == 6
            && parts[0] == "arn"
            && parts[2] == "kms"
            && validate_account_id(parts[4]).is_ok()
            && (parts[5].starts_with("key/") || parts[5].starts_with("alias/"));
        if !ok {
            return Err(loc.err(
                v.span(),
                format!("case.kms_key_arn = \"{arn}\": give a KMS key or alias ARN, e.g. \"arn:aws:kms:us-east-1:222222222222:key/1234abcd-…\" (in the account and region of the snapshots)"),
            ));
        }
        case.kms_key_arn = Some(arn.clone());
    }
    if let Some(v) = &raw.forensic_role {
        let arn: RoleArn = v
            .get_ref()
            .parse()
            .map_err(|e| loc.err(v.span(), format!("case.forensic_role: {e}")))?;
        case.forensic_role = Some(arn);
    }
    if let (Some(role), Some(account)) = (&case.forensic_role, &case.forensic_account) {
        if role.account_id() != account {
            let span = raw.forensic_role.as_ref().map(|v| v.span()).unwrap_or(0..0);
            return Err(loc.err(
                span,
                format!("case.forensic_role {role} is not in case.forensic_account {account}: the role copies the shared snapshots into the forensic account, so it must be one of its roles"),
            ));
        }
    }
    Ok(case)
}
