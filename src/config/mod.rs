//! rolecall's own configuration: a TOML file with defaults, account names and colours, and roles.
//!
//! The file is found at `--config PATH`, else `$ROLECALL_CONFIG`, else `config.toml` in the platform
//! config dir (`directories`). A missing default file is fine; a missing explicit one is an error.
//! Everything is validated before any AWS call, and every error names the key and `file:line`.

mod raw;
mod validate;

use std::path::{Path, PathBuf};

pub use validate::parse;

use crate::aws::arn::RoleArn;

pub const MIN_DURATION: u32 = 900;
/// `regions = "all"` (and `--region all`): each account's own enabled regions, asked of it.
pub const ALL_REGIONS: &str = "all";
pub const MAX_DURATION: u32 = 43_200;

/// The colours the console's Switch Role page offers: a fact of the console, kept beside the code
/// that builds its links.
pub use crate::aws::console::CONSOLE_COLORS;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Config {
    /// The file this came from; `None` when no file exists and defaults are used.
    pub source: Option<PathBuf>,
    pub defaults: Defaults,
    pub accounts: Vec<Account>,
    pub roles: Vec<RoleConfig>,
    /// `[[organization]]`: a role in every account of an AWS organization.
    pub organizations: Vec<OrganizationConfig>,
    pub console: ConsoleConfig,
    pub case: CaseConfig,
    pub findings: FindingsConfig,
    /// `[[sso]]`: the accounts and roles IAM Identity Center assigns the user.
    pub sso: Vec<SsoConfig>,
    pub sessions: SessionsConfig,
}

/// `[sessions]`: whether sessions are kept between runs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SessionsConfig {
    /// `cache = "keyring" | "file"`; `None` (`"none"`, the default): a session lives as long as
    /// the process that assumed it.
    pub cache: Option<crate::aws::session_cache::CacheKind>,
}

/// `[[sso]]`: an IAM Identity Center portal, named by an `[sso-session]` of the AWS config file
/// or by its start URL and region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsoConfig {
    pub session: Option<String>,
    pub start_url: Option<String>,
    pub region: Option<String>,
    /// Only these permission sets (empty: all).
    pub roles: Vec<String>,
    pub regions: Option<Vec<String>>,
    /// How long the portal's list is used before it is read again.
    pub max_age: std::time::Duration,
    /// Where it is in the file, for errors found when it is used (`file:line`).
    pub place: String,
}

impl SsoConfig {
    /// How the user names it: its session, else its start URL.
    pub fn label(&self) -> String {
        self.session
            .clone()
            .or_else(|| self.start_url.clone())
            .unwrap_or_default()
    }
}

/// `[findings]`: where an organization's findings are aggregated.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FindingsConfig {
    /// A role in the delegated administrator account (a `[[role]]`'s name, or an ARN): `findings
    /// --all` and the TUI read every account's findings through it, with one query.
    pub via: Option<RoleArn>,
    /// The aggregation region (else the `via` role's first region).
    pub region: Option<String>,
}

/// `[case]`: where cases are kept, and where evidence goes.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CaseConfig {
    /// Instead of `cases/` in the platform data dir (e.g. on an encrypted volume).
    pub dir: Option<PathBuf>,
    /// The account snapshots are shared with (else `--share-with`).
    pub forensic_account: Option<String>,
    /// The customer-managed key encrypted snapshots are re-encrypted with before sharing
    /// (else rolecall creates one for the case, `alias/rolecall-<case>-<forensic account>`).
    pub kms_key_arn: Option<String>,
    /// A role in the forensic account that copies shared snapshots there, so it owns them.
    pub forensic_role: Option<RoleArn>,
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
    /// Refuse every responder action (snapshot, isolate, capture), even with a case open.
    pub read_only: bool,
    /// Sent as SourceIdentity on every AssumeRole: the person behind the sessions.
    pub source_identity: Option<String>,
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
            concurrency: 256,
            read_only: false,
            source_identity: None,
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
    pub source_identity: Option<String>,
    /// The role this one is assumed from (role chaining): a role's name or ARN, an Identity
    /// Center role's name included (`prod/IncidentResponder`). Resolved among all known roles.
    pub via: Option<String>,
}

/// What a role's AssumeRole request may set, where the config sets it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RoleSettings {
    pub external_id: Option<String>,
    pub mfa_serial: Option<String>,
    pub duration_seconds: Option<u32>,
    pub regions: Option<Vec<String>>,
    pub session_name: Option<String>,
}

/// How long an organization's account list read from AWS is used before it is read again.
pub const DEFAULT_ORGANIZATION_MAX_AGE: std::time::Duration = std::time::Duration::from_secs(3600);

/// `[[organization]]`: the role deployed under one name to every account of an organization
/// (StackSets, Control Tower); the accounts come from `organizations:ListAccounts`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganizationConfig {
    /// The role's name with its path, without outer slashes (`IR/Responder`).
    pub role_name: String,
    /// The role the organization is read as (in the management or a delegated administrator
    /// account); `None`: the primary identity.
    pub via: Option<RoleArn>,
    /// What every account's role is assumed with.
    pub settings: RoleSettings,
    /// Accounts left out.
    pub exclude: Vec<String>,
    /// How long a list read from AWS is used before it is read again.
    pub max_age: std::time::Duration,
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
    match locate(explicit) {
        Some((path, named)) => load_from(&path, named),
        None => Ok(Config::default()),
    }
}

/// Loads the config at `path`; a missing file means no config unless the user `named` it.
pub fn load_from(path: &Path, named: bool) -> Result<Config, ConfigError> {
    match std::fs::read_to_string(path) {
        Ok(text) => parse(&text, path),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !named => Ok(Config::default()),
        Err(source) => Err(ConfigError::Read {
            path: path.to_path_buf(),
            source,
        }),
    }
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
        let text = include_str!("../../config.example.toml");
        let c = parse_str(text).unwrap();
        assert!(!c.roles.is_empty());
        assert!(!c.accounts.is_empty());
        // The commented-out optional tables are valid too, once uncommented.
        let uncommented: String = text
            .lines()
            .map(|l| match l.strip_prefix("# ") {
                Some(rest) if rest.starts_with('[') || rest.contains(" = ") => rest,
                _ => l,
            })
            .collect::<Vec<_>>()
            .join("\n");
        let c = parse_str(&uncommented).unwrap();
        assert_eq!(c.case.forensic_account.as_deref(), Some("999999999999"));
        assert_eq!(
            c.sessions.cache,
            Some(crate::aws::session_cache::CacheKind::Keyring)
        );
        assert!(c.case.kms_key_arn.is_some() && c.case.forensic_role.is_some());
        let org = &c.organizations[0];
        assert_eq!(org.role_name, "IR/Responder");
        assert_eq!(org.max_age, std::time::Duration::from_secs(6 * 3600));
        assert_eq!(
            org.via.as_ref().map(|v| v.to_string()).as_deref(),
            Some("arn:aws:iam::123123123123:role/OrgReader")
        );
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
                "[sessions]\ncache = \"disk\"\n",
                "sessions.cache = \"disk\": must be \"none\" (no session outlives rolecall), \"keyring\" (the OS keyring) or \"file\"",
                2,
            ),
            ("[sessions]\nkeep = true\n", "unknown field `keep`", 2),
            ("[sessions]\ncache = 1\n", "invalid type", 2),
            ("[[organization]]\nvia = \"x\"\n", "missing field `role_name`", 1),
            (
                "[defaults]\nsource_identity = \"aws:me\"\n",
                "defaults.source_identity = \"aws:me\": must be 2 to 64",
                2,
            ),
            (
                "[[role]]\narn = \"arn:aws:iam::222222222222:role/R\"\nsource_identity = \"a b\"\n",
                "role.source_identity",
                3,
            ),
            (
                "[[role]]\narn = \"arn:aws:iam::222222222222:role/R\"\nname = \"r\"\nvia = \"r\"\n",
                "role.via = \"r\": give another role's name or ARN",
                4,
            ),
            ("[[sso]]\nroles = [\"X\"]\n", "[[sso]] needs session", 1),
            (
                "[[sso]]\nstart_url = \"https://x.awsapps.com/start\"\n",
                "[[sso]] with start_url needs region",
                1,
            ),
            (
                "[[sso]]\nstart_url = \"http://x.awsapps.com/start\"\nregion = \"us-east-1\"\n",
                "sso.start_url = \"http://x.awsapps.com/start\" is not an https URL",
                2,
            ),
            (
                "[[sso]]\nsession = \"corp\"\nroles = [\"Incident Responder\"]\n",
                "sso.roles: \"Incident Responder\" is not a permission set's name",
                3,
            ),
            (
                "[[sso]]\nsession = \"corp\"\nstart_url = \"https://x.awsapps.com/start\"\n",
                "has both session and start_url",
                1,
            ),
            (
                "[[organization]]\nrole_name = \"IR/Resp onder\"\n",
                "organization.role_name = \"IR/Resp onder\": role name \"Resp onder\" must be 1 to 64 characters",
                2,
            ),
            (
                "[[role]]\narn = \"arn:aws:iam::222222222222:role/R\"\nname = \"mgmt\"\n[[organization]]\nrole_name = \"R\"\nvia = \"mgt\"\n",
                "organization.via = \"mgt\": no [[role]] has that name (names: mgmt)",
                6,
            ),
            (
                "[[organization]]\nrole_name = \"R\"\nexclude = [\"123\"]\n",
                "organization.exclude: ",
                3,
            ),
            (
                "[[organization]]\nrole_name = \"R\"\nmax_age = \"soon\"\n",
                "organization.max_age = \"soon\"",
                3,
            ),
            (
                "[[organization]]\nrole_name = \"R\"\nexternal_id = \"x\"\n",
                "organization.external_id: must be 2 to 1224",
                3,
            ),
            (
                "[console]\nfederation_endpoint = \"http://signin.example.com/federation\"\n",
                "plain http is allowed only to this machine",
                2,
            ),
            (
                "[console]\nfederation_endpoint = \"http://127.0.0.1.example.com/federation\"\n",
                "plain http is allowed only to this machine",
                2,
            ),
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
    fn sessions_cache_is_none_unless_asked_for() {
        use crate::aws::session_cache::CacheKind;
        assert_eq!(parse_str("").unwrap().sessions.cache, None);
        for (value, want) in [
            ("none", None),
            ("keyring", Some(CacheKind::Keyring)),
            ("file", Some(CacheKind::File)),
        ] {
            let c = parse_str(&format!("[sessions]\ncache = \"{value}\"\n")).unwrap();
            assert_eq!(c.sessions.cache, want, "{value}");
        }
    }

    #[test]
    fn missing_default_file_is_fine_but_missing_named_file_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope.toml");
        // The default place, not there: no config, no error.
        let c = load_from(&missing, false).unwrap();
        assert_eq!(c, Config::default());
        assert!(c.source.is_none());
        // Named with --config / $ROLECALL_CONFIG: an error naming the file.
        let e = load(Some(&missing)).unwrap_err().to_string();
        assert!(e.contains("nope.toml"), "{e}");
        assert!(e.contains("--config"), "{e}");
        // A file that is there is read, whichever way it was found.
        let there = dir.path().join("there.toml");
        std::fs::write(&there, "[defaults]\nregions = [\"eu-west-1\"]\n").unwrap();
        for named in [false, true] {
            let c = load_from(&there, named).unwrap();
            assert_eq!(c.defaults.regions, ["eu-west-1"]);
            assert_eq!(c.source.as_deref(), Some(there.as_path()));
        }
    }

    #[test]
    fn plain_http_federation_only_on_loopback() {
        for ok in [
            "https://signin.example.com/federation",
            "http://127.0.0.1:8080/federation",
            "http://127.9.9.9/federation",
            "http://[::1]:9/federation",
            "http://localhost:9/federation",
        ] {
            let c = parse_str(&format!("[console]\nfederation_endpoint = \"{ok}\"\n"));
            assert!(c.is_ok(), "{ok}: {c:?}");
        }
    }

    #[test]
    fn garbage_never_panics_and_is_refused_at_its_place() {
        for (s, line) in [
            ("\u{0}", 1),
            ("[[role]]\n[[role]]", 1),
            ("a=1\na=2", 2),
            ("[defaults]\nregions=[1]", 2),
            ("\"\n", 1),
        ] {
            let e = err(s);
            let at = format!("/etc/rolecall.toml:{line}:");
            assert!(e.starts_with(&at), "{s:?} should be refused at {at}: {e}");
            let message = e[at.len()..].split_once(": ").map_or("", |(_, m)| m);
            assert!(!message.trim().is_empty(), "{s:?}: no message in {e}");
        }
    }
}
