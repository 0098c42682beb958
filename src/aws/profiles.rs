//! The AWS config files (`~/.aws/config` and `~/.aws/credentials`, or `AWS_CONFIG_FILE` and
//! `AWS_SHARED_CREDENTIALS_FILE`), read as the AWS CLI reads them: which profiles exist, and
//! the profiles that assume a role (`role_arn`).

use std::collections::BTreeMap;
use std::ops::RangeInclusive;
use std::path::PathBuf;

use ini::{Ini, ParseOption};

use super::arn::{validate_region, RoleArn};

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
}

/// Every profile of both files, by name, with its keys (the config file's win).
#[derive(Debug, Default)]
pub struct ProfileFiles {
    profiles: BTreeMap<String, BTreeMap<String, String>>,
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
                    // sso-session, services and the like are not profiles.
                    _ => continue,
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
            roles.push(ProfileRole {
                profile: name.clone(),
                arn,
                external_id: owned("external_id"),
                mfa_serial: owned("mfa_serial"),
                duration_seconds,
                session_name: owned("role_session_name"),
                region,
            });
        }
        (roles, warnings)
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
