//! The AWS config files (`~/.aws/config` and `~/.aws/credentials`, or `AWS_CONFIG_FILE` and
//! `AWS_SHARED_CREDENTIALS_FILE`), read as the AWS CLI reads them: which profiles exist, and
//! the profiles that assume a role (`role_arn`).

use std::collections::BTreeMap;
use std::ops::RangeInclusive;
use std::path::PathBuf;

use ini::{Ini, ParseOption};

use super::arn::{validate_account_id, validate_region, RoleArn};
use super::source::{CredentialSource, Source, SsoRole};
use super::sso::Portal;

/// A profile that assumes a role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileRole {
    pub profile: String,
    pub arn: RoleArn,
    pub external_id: Option<String>,
    pub mfa_serial: Option<String>,
    pub duration_seconds: Option<u32>,
    pub session_name: Option<String>,
    pub region: Option<String>,
    /// Whose credentials assume it: `source_profile`, `credential_source`, else the primary
    /// identity.
    pub reach: Source,
}

/// A profile of IAM Identity Center: a permission set in one account (`sso_account_id`,
/// `sso_role_name`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileSso {
    pub profile: String,
    pub role: SsoRole,
    pub region: Option<String>,
}

/// Every profile of both files, by name, with its keys (the config file's win), and the
/// `[sso-session]` sections.
#[derive(Debug, Default)]
pub struct ProfileFiles {
    profiles: BTreeMap<String, BTreeMap<String, String>>,
    sso_sessions: BTreeMap<String, BTreeMap<String, String>>,
}

/// `var`, else `~/.aws/NAME`; a leading `~/` is the home directory, as the AWS CLI reads it.
fn location(var: &str, name: &str) -> Option<PathBuf> {
    match std::env::var(var) {
        Ok(p) => expand_home(&p),
        Err(_) => home().map(|h| h.join(".aws").join(name)),
    }
}

fn home() -> Option<PathBuf> {
    directories::BaseDirs::new().map(|d| d.home_dir().to_path_buf())
}

/// A path as the AWS CLI reads one from its files or the environment: a leading `~/` (or `~`
/// alone) is the home directory. `None` only when that is asked for and there is no home.
pub fn expand_home(p: &str) -> Option<PathBuf> {
    if p == "~" {
        return home();
    }
    match p.strip_prefix("~/") {
        Some(rest) => home().map(|h| h.join(rest)),
        None => Some(PathBuf::from(p)),
    }
}

impl ProfileFiles {
    /// Reads both files; a missing file has no profiles, an unreadable one is an error naming it.
    pub fn read() -> Result<ProfileFiles, String> {
        let mut files = ProfileFiles::default();
        // Credentials first: the config file's keys win where both set one.
        if let Some(path) = location("AWS_SHARED_CREDENTIALS_FILE", "credentials") {
            files.add(&path, false)?;
        }
        if let Some(path) = location("AWS_CONFIG_FILE", "config") {
            files.add(&path, true)?;
        }
        Ok(files)
    }

    /// Parses one file's text (`config`: sections are `[profile NAME]` and `[default]`; else
    /// every section is a profile).
    pub fn parse(&mut self, text: &str, config: bool) -> Result<(), String> {
        let options = ParseOption {
            enabled_quote: false,
            enabled_escape: false,
            enabled_indented_mutiline_value: true,
            enabled_preserve_key_leading_whitespace: false,
        };
        let ini = Ini::load_from_str_opt(text, options).map_err(|e| e.to_string())?;
        for (section, props) in ini.iter() {
            let Some(section) = section.map(str::trim) else {
                continue;
            };
            let name = if config {
                match section.strip_prefix("profile") {
                    Some(rest) if rest.starts_with(char::is_whitespace) => rest.trim(),
                    _ if section == "default" => "default",
                    _ => {
                        if let Some(rest) = section.strip_prefix("sso-session") {
                            if rest.starts_with(char::is_whitespace) {
                                let keys = self
                                    .sso_sessions
                                    .entry(rest.trim().to_string())
                                    .or_default();
                                for (k, v) in props.iter() {
                                    keys.insert(k.trim().to_string(), v.trim().to_string());
                                }
                            }
                        }
                        // services and the like are not profiles.
                        continue;
                    }
                }
            } else {
                section
            };
            let keys = self.profiles.entry(name.to_string()).or_default();
            for (k, v) in props.iter() {
                keys.insert(k.trim().to_string(), v.trim().to_string());
            }
        }
        Ok(())
    }

    fn add(&mut self, path: &std::path::Path, config: bool) -> Result<(), String> {
        match std::fs::read_to_string(path) {
            Ok(text) => self
                .parse(&text, config)
                .map_err(|e| format!("cannot read the AWS config file {}: {e}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(format!(
                "cannot read the AWS config file {}: {e}",
                path.display()
            )),
        }
    }

    pub fn has(&self, name: &str) -> bool {
        self.profiles.contains_key(name)
    }

    /// A key of a profile (either file's; the config file's wins), if set and not empty.
    pub fn value(&self, profile: &str, key: &str) -> Option<&str> {
        self.profiles
            .get(profile)?
            .get(key)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// The profile names, sorted.
    pub fn names(&self) -> Vec<&str> {
        self.profiles.keys().map(String::as_str).collect()
    }

    /// The profiles that set `role_arn`, by name, and a warning for each one rolecall cannot use
    /// (or a key of it: a `duration_seconds` outside `durations`, the session lengths the caller
    /// allows, or a `region` that is not a region's name, is left out and said).
    pub fn roles(&self, durations: RangeInclusive<u32>) -> (Vec<ProfileRole>, Vec<String>) {
        let mut roles = Vec::new();
        let mut warnings = Vec::new();
        for (name, keys) in &self.profiles {
            let Some(arn) = keys.get("role_arn") else {
                continue;
            };
            let arn: RoleArn = match arn.parse() {
                Ok(a) => a,
                Err(e) => {
                    warnings.push(format!("AWS config profile {name}: role_arn {e}"));
                    continue;
                }
            };
            let duration_seconds = match keys.get("duration_seconds").map(|d| d.parse::<u32>()) {
                None => None,
                Some(Ok(d)) if durations.contains(&d) => Some(d),
                Some(_) => {
                    warnings.push(format!(
                        "AWS config profile {name}: duration_seconds must be {} to {}; using the default",
                        durations.start(),
                        durations.end()
                    ));
                    None
                }
            };
            let owned = |k: &str| keys.get(k).filter(|v| !v.is_empty()).cloned();
            // A region is joined into endpoints and paths: one that is not a region's name is
            // left out, and said.
            let region = match owned("region") {
                Some(r) if validate_region(&r).is_err() => {
                    warnings.push(format!(
                        "AWS config profile {name}: region \"{r}\" is not a region name (like us-east-1); left out"
                    ));
                    None
                }
                r => r,
            };
            let reach = match (owned("source_profile"), owned("credential_source")) {
                (Some(_), Some(_)) => {
                    warnings.push(format!(
                        "AWS config profile {name}: source_profile and credential_source are both set (the AWS CLI refuses that); left out"
                    ));
                    continue;
                }
                (Some(source), None) if source == *name => {
                    // A profile with its own keys and role_arn: the keys assume the role.
                    if keys.contains_key("aws_access_key_id") {
                        Source::Profile(name.to_string())
                    } else {
                        warnings.push(format!(
                            "AWS config profile {name}: source_profile names the profile itself, which has no keys; left out"
                        ));
                        continue;
                    }
                }
                (Some(source), None) if !self.profiles.contains_key(&source) => {
                    // Kept (it names and completes), as the AWS CLI would refuse its assume.
                    warnings.push(format!(
                        "AWS config profile {name}: source_profile {source} is not a profile of the AWS config files; assuming it will fail until it is"
                    ));
                    Source::Profile(source)
                }
                (Some(source), None) => Source::Profile(source),
                (None, Some(c)) => match CredentialSource::parse(&c) {
                    Ok(c) => Source::Credential(c),
                    Err(e) => {
                        warnings.push(format!("AWS config profile {name}: {e}; left out"));
                        continue;
                    }
                },
                (None, None) => Source::Primary,
            };
            roles.push(ProfileRole {
                profile: name.clone(),
                arn,
                external_id: owned("external_id"),
                mfa_serial: owned("mfa_serial"),
                duration_seconds,
                session_name: owned("role_session_name"),
                region,
                reach,
            });
        }
        (roles, warnings)
    }

    /// The portal an `[sso-session NAME]` names.
    pub fn sso_session(&self, name: &str) -> Result<Portal, String> {
        let keys = self.sso_sessions.get(name).ok_or_else(|| {
            let known: Vec<&str> = self.sso_sessions.keys().map(String::as_str).collect();
            format!(
                "no [sso-session {name}] in the AWS config file{}",
                if known.is_empty() {
                    " (it has none: `aws configure sso` writes one)".to_string()
                } else {
                    format!(" (it has: {})", known.join(", "))
                }
            )
        })?;
        let start_url = keys
            .get("sso_start_url")
            .filter(|u| u.starts_with("https://"))
            .ok_or_else(|| format!("[sso-session {name}] has no https sso_start_url"))?;
        let region = keys
            .get("sso_region")
            .ok_or_else(|| format!("[sso-session {name}] has no sso_region"))?;
        validate_region(region).map_err(|e| format!("[sso-session {name}] sso_region: {e}"))?;
        Ok(Portal {
            start_url: start_url.clone(),
            region: region.clone(),
            session: Some(name.to_string()),
        })
    }

    /// The profiles of IAM Identity Center (`sso_account_id` and `sso_role_name`, with
    /// `sso_session` or the legacy `sso_start_url` and `sso_region`), and a warning for each one
    /// rolecall cannot use.
    pub fn sso_roles(&self) -> (Vec<ProfileSso>, Vec<String>) {
        let mut out = Vec::new();
        let mut warnings = Vec::new();
        for (name, keys) in &self.profiles {
            let (Some(account), Some(role)) =
                (keys.get("sso_account_id"), keys.get("sso_role_name"))
            else {
                continue;
            };
            let portal = match keys.get("sso_session") {
                Some(session) => self.sso_session(session),
                None => match (keys.get("sso_start_url"), keys.get("sso_region")) {
                    (Some(url), Some(region)) if url.starts_with("https://") => {
                        validate_region(region)
                            .map(|_| Portal {
                                start_url: url.clone(),
                                region: region.clone(),
                                session: None,
                            })
                            .map_err(|e| format!("sso_region: {e}"))
                    }
                    _ => Err("it needs sso_session (or sso_start_url and sso_region)".to_string()),
                },
            };
            let portal = match portal {
                Ok(p) => p,
                Err(e) => {
                    warnings.push(format!("AWS config profile {name}: {e}; left out"));
                    continue;
                }
            };
            if validate_account_id(account).is_err() {
                warnings.push(format!(
                    "AWS config profile {name}: sso_account_id \"{account}\" is not 12 digits; left out"
                ));
                continue;
            }
            let region = keys
                .get("region")
                .filter(|r| validate_region(r).is_ok())
                .cloned();
            out.push(ProfileSso {
                profile: name.clone(),
                role: SsoRole {
                    portal,
                    account_id: account.clone(),
                    role_name: role.clone(),
                },
                region,
            });
        }
        (out, warnings)
    }
}

/// The IAM Identity Center profiles of the AWS config file, and what is wrong with the others.
pub fn sso_profiles() -> (Vec<ProfileSso>, Vec<String>) {
    match ProfileFiles::read() {
        Ok(files) => files.sso_roles(),
        Err(e) => (Vec::new(), vec![format!("SSO profiles not read: {e}")]),
    }
}

/// The role profiles, by profile name, and a warning for each one rolecall cannot use
/// (`durations`: the session lengths allowed). A missing file is no error: there are just no
/// such profiles.
pub fn role_profiles(durations: RangeInclusive<u32>) -> (Vec<ProfileRole>, Vec<String>) {
    match ProfileFiles::read() {
        Ok(files) => files.roles(durations),
        Err(e) => (Vec::new(), vec![format!("role profiles not read: {e}")]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_as_the_aws_cli_reads_them() {
        let mut f = ProfileFiles::default();
        f.parse(
            "[default]\nregion = us-east-1\n\n[profile prod]\nrole_arn = arn:aws:iam::222222222222:role/R\n\
             source_profile = default\nexternal_id = x-1\nduration_seconds = 1800\n\
             s3 =\n  max_concurrent_requests = 20\n\n[sso-session corp]\nsso_region = us-east-1\n\
             [profile bad]\nrole_arn = arn:aws:iam::2222:role/R\n# a comment\n; another\n",
            true,
        )
        .unwrap();
        f.parse("[ci]\naws_access_key_id = AKIA\n", false).unwrap();
        assert_eq!(f.names(), ["bad", "ci", "default", "prod"]);
        let (roles, warnings) = f.roles(900..=43_200);
        assert_eq!(roles.len(), 1);
        assert_eq!(roles[0].profile, "prod");
        assert_eq!(roles[0].external_id.as_deref(), Some("x-1"));
        assert_eq!(roles[0].duration_seconds, Some(1800));
        assert_eq!(warnings.len(), 1);
        assert!(
            warnings[0].starts_with("AWS config profile bad: role_arn"),
            "{warnings:?}"
        );
    }

    #[test]
    fn role_profiles_are_assumed_from_their_source_and_sso_profiles_are_roles() {
        let mut f = ProfileFiles::default();
        f.parse(
            "[profile base]\naws_access_key_id = AKIAEXAMPLE\n\
             [profile chained]\nrole_arn = arn:aws:iam::222222222222:role/R\nsource_profile = base\n\
             [profile env]\nrole_arn = arn:aws:iam::222222222222:role/E\ncredential_source = Environment\n\
             [profile both]\nrole_arn = arn:aws:iam::222222222222:role/B\nsource_profile = base\ncredential_source = Environment\n\
             [profile nowhere]\nrole_arn = arn:aws:iam::222222222222:role/N\nsource_profile = missing\n\
             [profile odd]\nrole_arn = arn:aws:iam::222222222222:role/O\ncredential_source = Laptop\n\
             [sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = eu-west-1\n\
             [profile sso-prod]\nsso_session = corp\nsso_account_id = 222222222222\nsso_role_name = IncidentResponder\nregion = eu-west-1\n\
             [profile sso-legacy]\nsso_start_url = https://old.awsapps.com/start\nsso_region = us-east-1\nsso_account_id = 333333333333\nsso_role_name = ReadOnly\n\
             [profile sso-bad]\nsso_session = nope\nsso_account_id = 222222222222\nsso_role_name = X\n",
            true,
        )
        .unwrap();
        let (roles, warnings) = f.roles(900..=43_200);
        let reach = |p: &str| {
            roles
                .iter()
                .find(|r| r.profile == p)
                .map(|r| r.reach.clone())
        };
        assert_eq!(reach("chained"), Some(Source::Profile("base".into())));
        assert_eq!(reach("nowhere"), Some(Source::Profile("missing".into())));
        assert!(warnings
            .iter()
            .any(|w| w.contains("nowhere") && w.contains("is not a profile")));
        assert_eq!(
            reach("env"),
            Some(Source::Credential(CredentialSource::Environment))
        );
        for (left_out, why) in [
            ("both", "both set"),
            ("odd", "credential_source \"Laptop\""),
        ] {
            assert_eq!(reach(left_out), None);
            assert!(
                warnings
                    .iter()
                    .any(|w| w.contains(left_out) && w.contains(why)),
                "{left_out}: {warnings:?}"
            );
        }
        let (sso, warnings) = f.sso_roles();
        assert_eq!(sso.len(), 2, "{sso:?}");
        let prod = sso.iter().find(|s| s.profile == "sso-prod").unwrap();
        assert_eq!(prod.role.portal.session.as_deref(), Some("corp"));
        assert_eq!(prod.role.portal.region, "eu-west-1");
        assert_eq!(prod.role.role_name, "IncidentResponder");
        let legacy = sso.iter().find(|s| s.profile == "sso-legacy").unwrap();
        assert_eq!(legacy.role.portal.session, None);
        assert_eq!(
            legacy.role.portal.start_url,
            "https://old.awsapps.com/start"
        );
        assert!(
            warnings
                .iter()
                .any(|w| w.contains("sso-bad") && w.contains("no [sso-session nope]")),
            "{warnings:?}"
        );
        assert!(!f.has("corp"), "an sso-session is not a profile");
    }

    #[test]
    fn a_region_that_is_not_a_region_name_is_left_out_and_said() {
        let mut f = ProfileFiles::default();
        f.parse(
            "[profile odd]\nrole_arn = arn:aws:iam::222222222222:role/R\nregion = us-east-1/../../x\n\
             [profile fine]\nrole_arn = arn:aws:iam::222222222222:role/R\nregion = eu-west-2\n",
            true,
        )
        .unwrap();
        let (roles, warnings) = f.roles(900..=3600);
        let region = |p: &str| {
            roles
                .iter()
                .find(|r| r.profile == p)
                .unwrap()
                .region
                .clone()
        };
        assert_eq!(region("odd"), None);
        assert_eq!(region("fine").as_deref(), Some("eu-west-2"));
        assert!(
            warnings
                .iter()
                .any(|w| w.contains("odd") && w.contains("not a region name")),
            "{warnings:?}"
        );
    }
}
