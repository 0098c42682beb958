//! How CLI results are printed: tables for people, JSON for scripts, `export` lines for shells.

use chrono::{DateTime, Utc};
use comfy_table::{presets, Table};
use serde::Serialize;

use crate::aws::assume::Session;
use crate::aws::identity::Identity;
use crate::resources::{Kind, Row};
use crate::roles::{AccountRoles, RoleSource};

/// A table's text without the padding after the last column.
fn render(t: &Table) -> String {
    let mut out: String = t
        .lines()
        .map(|l| l.trim_end().to_string())
        .collect::<Vec<_>>()
        .join("\n");
    out.push('\n');
    out
}

/// A borderless table like `kubectl get`: left-aligned, two spaces between columns.
fn table(headers: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_preset(presets::NOTHING).set_header(headers.to_vec());
    for c in t.column_iter_mut() {
        c.set_padding((0, 2));
    }
    t
}

fn or_dash(s: Option<&str>) -> String {
    match s {
        Some(s) if !s.is_empty() => s.to_string(),
        _ => "-".to_string(),
    }
}

pub use crate::time::rfc3339;

// ---- roles ----

#[derive(Serialize)]
pub struct RolesJson<'a> {
    pub primary: &'a Identity,
    pub accounts: Vec<AccountJson>,
    pub warnings: Vec<String>,
}

#[derive(Serialize)]
pub struct AccountJson {
    pub id: String,
    pub name: Option<String>,
    pub color: Option<String>,
    pub roles: Vec<RoleJson>,
}

#[derive(Serialize)]
pub struct RoleJson {
    pub arn: String,
    pub name: Option<String>,
    pub source: RoleSource,
    pub external_id: Option<String>,
    pub mfa_serial: Option<String>,
    pub duration_seconds: u32,
    pub regions: Vec<String>,
    /// Where its session comes from: `primary`, `sso`, `via` (another role), `profile`,
    /// `credential_source`.
    pub reached: &'static str,
    /// The role it is assumed from (`via`), or the profile whose credentials assume it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_identity: Option<String>,
}

/// How a role's session is had, for `roles --json`.
fn reached(r: &crate::roles::Role) -> (&'static str, Option<String>) {
    use crate::aws::assume::Source;
    match &r.reach {
        Source::Primary => ("primary", None),
        Source::Sso(s) => ("sso", Some(s.portal.start_url.clone())),
        Source::Role(p) => ("via", Some(p.role_arn.to_string())),
        Source::Profile(p) => ("profile", Some(p.clone())),
        Source::Credential(c) => ("credential_source", Some(c.as_str().to_string())),
        Source::Unresolved(why) => ("unresolved", Some(why.clone())),
    }
}

pub fn roles_json(
    primary: &Identity,
    groups: &[AccountRoles],
    defaults: &crate::config::Defaults,
    warnings: &[String],
) -> String {
    let doc = RolesJson {
        primary,
        accounts: groups
            .iter()
            .map(|g| AccountJson {
                id: g.id.clone(),
                name: g.name.clone(),
                color: g.color.clone(),
                roles: g
                    .roles
                    .iter()
                    .map(|r| RoleJson {
                        arn: r.arn.to_string(),
                        name: r.name.clone(),
                        source: r.source,
                        external_id: r.external_id.clone(),
                        mfa_serial: r.mfa_serial.clone(),
                        duration_seconds: r.duration(defaults),
                        regions: r.regions(defaults),
                        reached: reached(r).0,
                        from: reached(r).1,
                        source_identity: r
                            .source_identity
                            .clone()
                            .or_else(|| defaults.source_identity.clone()),
                    })
                    .collect(),
            })
            .collect(),
        warnings: warnings.to_vec(),
    };
    to_json(&doc)
}

pub fn roles_table(
    primary: &Identity,
    groups: &[AccountRoles],
    defaults: &crate::config::Defaults,
    warnings: &[String],
) -> String {
    let mut out = format!(
        "Primary identity: {} (account {})\n\n",
        primary.arn, primary.account
    );
    let mut notes = String::new();
    for w in warnings {
        notes.push_str(&format!("warning: {w}\n"));
    }
    if groups.is_empty() {
        out.push_str(
            "No roles found: none in the config, no role profiles in the AWS config file, and none \
             listed in full in your IAM policies. Add [[role]] tables to the config (see \
             config.example.toml), or pass a full role ARN to assume, instances, volumes or link.\n",
        );
        out.push_str(&notes);
        return out;
    }
    let mut t = table(&["ACCOUNT", "ROLE", "NAME", "REGIONS", "NEEDS", "SOURCE"]);
    for g in groups {
        let account = match &g.name {
            Some(n) => format!("{} ({n})", g.id),
            None => g.id.clone(),
        };
        for r in &g.roles {
            let mut needs = Vec::new();
            if r.external_id.is_some() {
                needs.push("external-id");
            }
            if r.mfa_serial.is_some() {
                needs.push("mfa");
            }
            t.add_row(vec![
                account.clone(),
                r.arn.name_with_path(),
                or_dash(r.name.as_deref()),
                r.regions(defaults).join(","),
                if needs.is_empty() {
                    "-".to_string()
                } else {
                    needs.join(",")
                },
                r.source.as_str().to_string(),
            ]);
        }
    }
    out.push_str(&render(&t));
    if !notes.is_empty() {
        out.push('\n');
        out.push_str(&notes);
    }
    out
}

// ---- credentials ----

/// Single-quotes a value for POSIX shells.
fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// `export` lines for `eval "$(rolecall assume ROLE)"`. This prints secrets: the user asked for them.
pub fn credentials_env(s: &Session) -> String {
    let c = &s.credentials;
    let mut out = String::new();
    out.push_str(&format!(
        "export AWS_ACCESS_KEY_ID={}\n",
        shell_quote(&c.access_key_id)
    ));
    out.push_str(&format!(
        "export AWS_SECRET_ACCESS_KEY={}\n",
        shell_quote(c.secret_access_key.expose())
    ));
    if let Some(t) = &c.session_token {
        out.push_str(&format!(
            "export AWS_SESSION_TOKEN={}\n",
            shell_quote(t.expose())
        ));
    }
    out.push_str(&format!(
        "export AWS_CREDENTIAL_EXPIRATION={}\n",
        shell_quote(&rfc3339(&s.expiration))
    ));
    out
}

/// The `credential_process` document (Version 1).
pub fn credentials_process(s: &Session) -> String {
    let c = &s.credentials;
    let doc = serde_json::json!({
        "Version": 1,
        "AccessKeyId": c.access_key_id,
        "SecretAccessKey": c.secret_access_key.expose(),
        "SessionToken": c.session_token.as_ref().map(|t| t.expose()),
        "Expiration": rfc3339(&s.expiration),
    });
    to_json(&doc)
}

// ---- kept sessions ----

/// `rolecall sessions`: what each kept session is for, its role and access key id, when it
/// expires and how long it has left. No secret is in a `CachedSession`.
pub fn sessions_table(
    list: &[crate::aws::session_cache::CachedSession],
    now: DateTime<Utc>,
) -> String {
    let mut t = table(&["LABEL", "ROLE", "ACCESS KEY ID", "EXPIRES", "LEFT"]);
    for s in list {
        let left = if s.expired {
            "expired".to_string()
        } else {
            crate::resources::age(Some(&now), s.expiration)
        };
        t.add_row(vec![
            s.label.clone(),
            or_dash(Some(&s.role_arn)),
            s.access_key_id.clone(),
            rfc3339(&s.expiration),
            left,
        ]);
    }
    render(&t)
}

// ---- instances and volumes ----

pub fn to_json<T: Serialize + ?Sized>(v: &T) -> String {
    // Serialising plain data cannot fail; fall back to null rather than panic.
    serde_json::to_string_pretty(v).unwrap_or_else(|_| "null".to_string())
}

/// A listing as a table, with the columns the TUI shows (`crate::resources`).
pub fn resource_table(kind: Kind, rows: &[Row], now: DateTime<Utc>) -> String {
    let heads = kind.heads(false);
    let titles: Vec<&str> = heads.iter().map(|h| h.title).collect();
    let mut t = table(&titles);
    for row in rows {
        t.add_row((0..heads.len()).map(|c| row.cell(c, now).0));
    }
    render(&t)
}

/// `--all` as text: one table per account, headed by the account and the role listed through.
pub fn account_rows_table(kind: Kind, rows: &[Row], now: DateTime<Utc>) -> String {
    let mut out = String::new();
    for chunk in rows.chunk_by(|a, b| a.account_id() == b.account_id()) {
        let Some(origin) = chunk[0].origin() else {
            continue;
        };
        let name = match &origin.account_name {
            Some(n) => format!(" {n}"),
            None => String::new(),
        };
        out.push_str(&format!(
            "== account {}{name} (via {}): {}\n",
            origin.account_id,
            origin.role_arn,
            chunk.len()
        ));
        let rows: Vec<Row> = chunk.iter().cloned().map(Row::alone).collect();
        out.push_str(&resource_table(kind, &rows, now));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_sessions_show_time_left_or_expired() {
        use crate::aws::session_cache::CachedSession;
        let now = DateTime::parse_from_rfc3339("2026-11-22T10:10:05Z")
            .unwrap()
            .with_timezone(&Utc);
        let arn = "arn:aws:iam::222222222222:role/ResponderRole";
        let kept = |label: &str, key: &str, at: &str, expired: bool| CachedSession {
            label: label.into(),
            role_arn: arn.into(),
            assumed_role_arn: format!("{arn}/rolecall"),
            access_key_id: key.into(),
            expiration: DateTime::parse_from_rfc3339(at)
                .unwrap()
                .with_timezone(&Utc),
            expired,
        };
        let list = [
            kept(arn, "ASIAEXAMPLE000000001", "2026-11-22T11:04:05Z", false),
            kept("old", "ASIAEXAMPLE000000002", "2026-11-22T10:00:00Z", true),
        ];
        assert_eq!(
            sessions_table(&list, now),
            "\
LABEL                                         ROLE                                          ACCESS KEY ID         EXPIRES               LEFT
arn:aws:iam::222222222222:role/ResponderRole  arn:aws:iam::222222222222:role/ResponderRole  ASIAEXAMPLE000000001  2026-11-22T11:04:05Z  54m
old                                           arn:aws:iam::222222222222:role/ResponderRole  ASIAEXAMPLE000000002  2026-11-22T10:00:00Z  expired
"
        );
    }

    #[test]
    fn quoting_survives_quotes() {
        assert_eq!(shell_quote("a'b"), "'a'\\''b'");
        assert_eq!(shell_quote("abc/+="), "'abc/+='");
    }
}
