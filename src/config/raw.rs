//! The config file as TOML gives it: every value with its place in the file, so that validation
//! can say `file:line:column`. Unknown keys are errors.

use serde::Deserialize;
use toml::Spanned;

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    #[serde(default)]
    pub defaults: RawDefaults,
    #[serde(default)]
    pub account: Vec<Spanned<RawAccount>>,
    #[serde(default)]
    pub role: Vec<Spanned<RawRole>>,
    #[serde(default)]
    pub organization: Vec<Spanned<RawOrganization>>,
    #[serde(default)]
    pub console: RawConsole,
    #[serde(default)]
    pub case: RawCase,
    #[serde(default)]
    pub findings: RawFindings,
    #[serde(default)]
    pub sso: Vec<Spanned<RawSso>>,
    #[serde(default)]
    pub sessions: RawSessions,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawSessions {
    pub cache: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSso {
    pub session: Option<Spanned<String>>,
    pub start_url: Option<Spanned<String>>,
    pub region: Option<Spanned<String>>,
    pub roles: Option<Spanned<Vec<Spanned<String>>>>,
    pub regions: Option<SpannedList>,
    pub max_age: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawFindings {
    pub via: Option<Spanned<String>>,
    pub region: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawCase {
    pub dir: Option<Spanned<String>>,
    pub forensic_account: Option<Spanned<String>>,
    pub kms_key_arn: Option<Spanned<String>>,
    pub forensic_role: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawConsole {
    pub federation_endpoint: Option<Spanned<String>>,
}

/// Regions: a list, or `"all"` (each account's own enabled regions).
#[derive(Deserialize)]
#[serde(untagged)]
pub enum RawRegions {
    // (No span per element: toml's spans do not survive an untagged enum; errors point at the
    // value.)
    One(String),
    List(Vec<String>),
}

pub type SpannedList = Spanned<RawRegions>;

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawDefaults {
    pub regions: Option<SpannedList>,
    pub session_name: Option<Spanned<String>>,
    pub duration_seconds: Option<Spanned<i64>>,
    pub refresh_before_seconds: Option<Spanned<i64>>,
    pub page_size: Option<Spanned<i64>>,
    pub timeout_seconds: Option<Spanned<i64>>,
    pub connect_timeout_seconds: Option<Spanned<i64>>,
    pub max_attempts: Option<Spanned<i64>>,
    pub concurrency: Option<Spanned<i64>>,
    pub read_only: Option<bool>,
    pub source_identity: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAccount {
    pub id: Spanned<String>,
    pub name: Option<Spanned<String>>,
    pub color: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRole {
    pub arn: Spanned<String>,
    pub name: Option<Spanned<String>>,
    pub external_id: Option<Spanned<String>>,
    pub mfa_serial: Option<Spanned<String>>,
    pub duration_seconds: Option<Spanned<i64>>,
    pub regions: Option<SpannedList>,
    pub session_name: Option<Spanned<String>>,
    pub refresh_before_seconds: Option<Spanned<i64>>,
    pub source_identity: Option<Spanned<String>>,
    pub via: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOrganization {
    pub role_name: Spanned<String>,
    pub via: Option<Spanned<String>>,
    pub external_id: Option<Spanned<String>>,
    pub mfa_serial: Option<Spanned<String>>,
    pub duration_seconds: Option<Spanned<i64>>,
    pub regions: Option<SpannedList>,
    pub session_name: Option<Spanned<String>>,
    pub exclude: Option<Spanned<Vec<Spanned<String>>>>,
    pub max_age: Option<Spanned<String>>,
}
