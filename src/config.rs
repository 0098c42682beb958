//! rolecall's own configuration: a TOML file with defaults, account names and colours, and roles.
//!
//! The file is found at `--config PATH`, else `$ROLECALL_CONFIG`, else `config.toml` in the platform
//! config dir (`directories`). A missing default file is fine; a missing explicit one is an error.
//! Everything is validated before any AWS call, and every error names the key and `file:line`.

use std::collections::{BTreeSet, HashMap};
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::aws::arn::{
    validate_account_id, validate_mfa_serial, validate_region, validate_session_name, RoleArn,
};

pub const MIN_DURATION: u32 = 900;
pub const MAX_DURATION: u32 = 43_200;

/// The colours the console's Switch Role page offers (red, orange, yellow, green, blue).
pub const CONSOLE_COLORS: [&str; 5] = ["F2B0A9", "FBBF93", "FAD791", "B7CA9D", "99BCE3"];

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Config {
    /// The file this came from; `None` when no file exists and defaults are used.
    pub source: Option<PathBuf>,
    pub defaults: Defaults,
    pub accounts: Vec<Account>,
    pub roles: Vec<RoleConfig>,
    pub console: ConsoleConfig,
}

/// `[console]`: how console links are made.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ConsoleConfig {
    /// Replaces the partition's federation endpoint (`https://signin.aws.amazon.com/federation`)
    /// for federated sign-in links: a private endpoint, or a local one in tests.
    pub federation_endpoint: Option<url::Url>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Defaults {
    pub regions: Vec<String>,
    pub session_name: String,
    pub duration_seconds: u32,
    pub refresh_before_seconds: u32,
    /// MaxResults for EC2 Describe* calls (5..=1000).
    pub page_size: i32,
    /// Limit for one AWS call, retries included.
    pub timeout_seconds: u32,
    pub connect_timeout_seconds: u32,
    /// Attempts per AWS call (1 = no retry); throttling and transient errors are retried with
    /// exponential backoff and jitter by the SDK.
    pub max_attempts: u32,
    /// Accounts listed at once by `--all` (each lists its regions in parallel too).
    pub concurrency: u32,
}

impl Default for Defaults {
    fn default() -> Self {
        Defaults {
            regions: vec!["us-east-1".to_string()],
            session_name: "rolecall".to_string(),
            duration_seconds: 3600,
            refresh_before_seconds: 600,
            page_size: 1000,
            timeout_seconds: 30,
            connect_timeout_seconds: 5,
            max_attempts: 3,
            concurrency: 16,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: String,
    pub name: Option<String>,
    /// Six upper-case hex digits.
    pub color: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleConfig {
    pub arn: RoleArn,
    pub name: Option<String>,
    pub external_id: Option<String>,
    pub mfa_serial: Option<String>,
    pub duration_seconds: Option<u32>,
    pub regions: Option<Vec<String>>,
    pub session_name: Option<String>,
    pub refresh_before_seconds: Option<u32>,
}

impl Config {
    pub fn account(&self, id: &str) -> Option<&Account> {
        self.accounts.iter().find(|a| a.id == id)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {}: {source} (check the path given by --config or $ROLECALL_CONFIG)", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}:{line}:{column}: {message}", path.display())]
    Invalid {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
}

/// Where the config file is expected, and whether the user named it.
pub fn locate(explicit: Option<&Path>) -> Option<(PathBuf, bool)> {
    if let Some(p) = explicit {
        return Some((p.to_path_buf(), true));
    }
    directories::ProjectDirs::from("", "", "rolecall")
        .map(|d| (d.config_dir().join("config.toml"), false))
}

/// Loads the config from `explicit` (from `--config` or `$ROLECALL_CONFIG`) or the default place.
pub fn load(explicit: Option<&Path>) -> Result<Config, ConfigError> {
    let Some((path, named)) = locate(explicit) else {
        return Ok(Config::default());
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => parse(&text, &path),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !named => Ok(Config::default()),
        Err(source) => Err(ConfigError::Read { path, source }),
    }
}

// ---- raw, spanned form ----------------------------------------------------------------------

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    defaults: RawDefaults,
    #[serde(default)]
    account: Vec<Spanned<RawAccount>>,
    #[serde(default)]
    role: Vec<Spanned<RawRole>>,
    #[serde(default)]
    console: RawConsole,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawConsole {
    federation_endpoint: Option<Spanned<String>>,
}

type SpannedList = Spanned<Vec<Spanned<String>>>;

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawDefaults {
    regions: Option<SpannedList>,
    session_name: Option<Spanned<String>>,
    duration_seconds: Option<Spanned<i64>>,
    refresh_before_seconds: Option<Spanned<i64>>,
    page_size: Option<Spanned<i64>>,
    timeout_seconds: Option<Spanned<i64>>,
    connect_timeout_seconds: Option<Spanned<i64>>,
    max_attempts: Option<Spanned<i64>>,
    concurrency: Option<Spanned<i64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAccount {
    id: Spanned<String>,
    name: Option<Spanned<String>>,
    color: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRole {
    arn: Spanned<String>,
    name: Option<Spanned<String>>,
    external_id: Option<Spanned<String>>,
    mfa_serial: Option<Spanned<String>>,
    duration_seconds: Option<Spanned<i64>>,
    regions: Option<SpannedList>,
    session_name: Option<Spanned<String>>,
    refresh_before_seconds: Option<Spanned<i64>>,
}

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
        if v.get_ref().is_empty() {
            return Err(self.err(
                v.span(),
                format!("{key} is empty: list at least one region, e.g. [\"us-east-1\"]"),
            ));
        }
        let mut out: Vec<String> = Vec::new();
        for r in v.get_ref() {
            validate_region(r.get_ref()).map_err(|e| self.err(r.span(), format!("{key}: {e}")))?;
            if !out.contains(r.get_ref()) {
                out.push(r.get_ref().clone());
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

    let d = &raw.defaults;
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
        defaults.concurrency = loc.int_in(v, "defaults.concurrency", 1..=128, " accounts")? as u32;
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

    let mut accounts: Vec<Account> = Vec::new();
    for a in &raw.account {
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

    let mut roles: Vec<RoleConfig> = Vec::new();
    let mut names: HashMap<String, usize> = HashMap::new();
    let mut arns: BTreeSet<String> = BTreeSet::new();
    for r in &raw.role {
        let r = r.get_ref();
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
                let line = src[..n.span().start].matches('\n').count() + 1;
                names.insert(s.clone(), line);
                Some(s.clone())
            }
            None => None,
        };
        let external_id = match &r.external_id {
            Some(x) => {
                let s = x.get_ref();
                if !(2..=1224).contains(&s.len())
                    || !s
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "+=,.@:/-_".contains(c))
                {
                    return Err(loc.err(
                        x.span(),
                        "role.external_id: must be 2 to 1224 characters of letters, digits and +=,.@:/-_",
                    ));
                }
                Some(s.clone())
            }
            None => None,
        };
        let mfa_serial = match &r.mfa_serial {
            Some(m) => {
                validate_mfa_serial(m.get_ref())
                    .map_err(|e| loc.err(m.span(), format!("role.mfa_serial: {e}")))?;
                Some(m.get_ref().clone())
            }
            None => None,
        };
        let duration_seconds = match &r.duration_seconds {
            Some(v) => {
                let n = loc.int_in(
                    v,
                    "role.duration_seconds",
                    MIN_DURATION.into()..=MAX_DURATION.into(),
                    " seconds (15 minutes to 12 hours)",
                )? as u32;
                if n <= defaults.refresh_before_seconds && r.refresh_before_seconds.is_none() {
                    return Err(loc.err(
                        v.span(),
                        format!(
                            "role.duration_seconds = {n}: must be longer than defaults.refresh_before_seconds ({})",
                            defaults.refresh_before_seconds
                        ),
                    ));
                }
                Some(n)
            }
            None => None,
        };
        let regions = match &r.regions {
            Some(v) => Some(loc.regions(v, "role.regions")?),
            None => None,
        };
        let session_name = match &r.session_name {
            Some(s) => Some(loc.session_name(s, "role.session_name")?),
            None => None,
        };
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
        roles.push(RoleConfig {
            arn,
            name,
            external_id,
            mfa_serial,
            duration_seconds,
            regions,
            session_name,
            refresh_before_seconds,
        });
    }

    let mut console = ConsoleConfig::default();
    if let Some(v) = &raw.console.federation_endpoint {
        let url = url::Url::parse(v.get_ref()).ok().filter(|u| {
            matches!(u.scheme(), "https" | "http") && u.has_host() && u.query().is_none()
        });
        match url {
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
    Ok(Config {
        source: Some(path.to_path_buf()),
        defaults,
        accounts,
        roles,
        console,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(s: &str) -> Result<Config, ConfigError> {
        parse(s, Path::new("/etc/rolecall.toml"))
    }

    fn err(s: &str) -> String {
        parse_str(s).unwrap_err().to_string()
    }

    #[test]
    fn empty_file_gives_defaults() {
        let c = parse_str("").unwrap();
        assert_eq!(c.defaults, Defaults::default());
        assert!(c.roles.is_empty());
    }

    #[test]
    fn example_config_is_valid() {
        let text = include_str!("../config.example.toml");
        let c = parse_str(text).unwrap();
        assert!(!c.roles.is_empty());
        assert!(!c.accounts.is_empty());
    }

    #[test]
    fn full_role() {
        let c = parse_str(
            r#"
[defaults]
regions = ["eu-west-1", "eu-west-1", "us-east-1"]
session_name = "alex"
duration_seconds = 7200
refresh_before_seconds = 300

[[account]]
id = "222222222222"
name = "prod"
color = "b7ca9d"

[[role]]
arn = "arn:aws:iam::222222222222:role/audit/Auditor"
name = "prod-audit"
external_id = "abc-123"
mfa_serial = "arn:aws:iam::111111111111:mfa/alex"
duration_seconds = 1800
regions = ["us-east-1"]
"#,
        )
        .unwrap();
        assert_eq!(c.defaults.regions, vec!["eu-west-1", "us-east-1"]);
        assert_eq!(c.defaults.duration_seconds, 7200);
        assert_eq!(c.accounts[0].color.as_deref(), Some("B7CA9D"));
        let r = &c.roles[0];
        assert_eq!(r.arn.name_with_path(), "audit/Auditor");
        assert_eq!(r.name.as_deref(), Some("prod-audit"));
        assert_eq!(r.duration_seconds, Some(1800));
        assert_eq!(r.external_id.as_deref(), Some("abc-123"));
    }

    #[test]
    fn each_error_names_key_and_line() {
        let cases: &[(&str, &str, usize)] = &[
            ("[defaults]\nregion = [\"us-east-1\"]\n", "unknown field `region`", 2),
            ("[[role]]\narn = \"arn:aws:iam::12:role/R\"\n", "role.arn", 2),
            ("[[role]]\narn = \"arn:aws:iam::222222222222:user/R\"\n", "is not a role", 2),
            ("[[role]]\nname = \"x\"\n", "missing field `arn`", 1),
            (
                "[defaults]\nsession_name = \"has space\"\n",
                "defaults.session_name",
                2,
            ),
            ("[defaults]\nduration_seconds = 60\n", "defaults.duration_seconds = 60", 2),
            ("[defaults]\nduration_seconds = 50000\n", "between 900 and 43200", 2),
            ("[defaults]\nmax_attempts = 0\n", "defaults.max_attempts = 0", 2),
            (
                "[console]\nfederation_endpoint = \"ftp://x/federation\"\n",
                "console.federation_endpoint = \"ftp://x/federation\" is not an http(s) URL",
                2,
            ),
            ("[console]\nendpoint = \"https://x\"\n", "unknown field `endpoint`", 2),
            (
                "[[role]]\narn = \"arn:aws:iam::222222222222:role/R\"\nduration_seconds = 100\n",
                "role.duration_seconds",
                3,
            ),
            ("[[account]]\nid = \"222222222222\"\ncolor = \"#B7CA9D\"\n", "account.color", 3),
            ("[[account]]\nid = \"2222\"\n", "account.id", 2),
            (
                "[[account]]\nid = \"222222222222\"\n[[account]]\nid = \"222222222222\"\n",
                "listed twice",
                4,
            ),
            (
                "[[role]]\narn = \"arn:aws:iam::222222222222:role/A\"\nname = \"prod\"\n\n[[role]]\narn = \"arn:aws:iam::222222222222:role/B\"\nname = \"prod\"\n",
                "already used by the role at line 3",
                7,
            ),
            (
                "[[role]]\narn = \"arn:aws:iam::222222222222:role/A\"\n[[role]]\narn = \"arn:aws:iam::222222222222:role/A\"\n",
                "configured twice",
                4,
            ),
            ("[defaults]\nregions = [\"us-east\"]\n", "defaults.regions", 2),
            ("[defaults]\nregions = []\n", "defaults.regions is empty", 2),
            (
                "[[role]]\narn = \"arn:aws:iam::222222222222:role/A\"\nmfa_serial = \"arn:aws:iam::1:mfa/x\"\n",
                "role.mfa_serial",
                3,
            ),
            (
                "[[role]]\narn = \"arn:aws:iam::222222222222:role/A\"\nexternal_id = \"a b\"\n",
                "role.external_id",
                3,
            ),
            ("[defaults]\nrefresh_before_seconds = 3600\n", "defaults.refresh_before_seconds", 2),
            (
                "[[role]]\narn = \"arn:aws:iam::222222222222:role/A\"\nduration_seconds = 900\nrefresh_before_seconds = 900\n",
                "role.refresh_before_seconds",
                4,
            ),
            ("[defaults\n", "", 1),
            ("[[role]]\narn = 42\n", "invalid type", 2),
        ];
        for (src, want, line) in cases {
            let e = err(src);
            let prefix = format!("/etc/rolecall.toml:{line}:");
            assert!(
                e.starts_with(&prefix),
                "{src:?}: {e} should start with {prefix}"
            );
            assert!(e.contains(want), "{src:?}: {e} should mention {want}");
        }
    }

    #[test]
    fn missing_default_file_is_fine_but_missing_named_file_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope.toml");
        let e = load(Some(&missing)).unwrap_err().to_string();
        assert!(e.contains("nope.toml"), "{e}");
    }

    #[test]
    fn garbage_never_panics() {
        for s in [
            "\u{0}",
            "[[role]]\n[[role]]",
            "a=1\na=2",
            "[defaults]\nregions=[1]",
            "\"\n",
        ] {
            let _ = parse_str(s);
        }
    }
}
