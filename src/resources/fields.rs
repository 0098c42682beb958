//! A resource's fields: each with its JSON/CSV name, its export value and, for those a table
//! shows, its column (title, width, how soon it is dropped on a narrow screen, the cell and the
//! sort). The TUI's tables, their sort keys, the CLI's tables and the CSV export all read one
//! list, so they cannot drift apart.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

/// How a cell looks; `ui/` chooses the colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Look {
    Plain,
    /// A resource's name: stands out.
    Name,
    /// An instance or volume state: coloured by what it says.
    State,
    /// An account: in the account's colour.
    Account,
}

/// How a field shows as a table column.
pub struct Column<T> {
    pub title: &'static str,
    /// Width in the TUI.
    pub width: u16,
    /// On a narrow screen the highest goes first; 0: never dropped.
    pub drop: u8,
    /// Also shown in the every-account table (which adds ACCOUNT and has room for fewer).
    pub every: bool,
    pub look: Look,
    /// The cell (`now` for ages); `-` for nothing.
    pub cell: fn(&T, DateTime<Utc>) -> String,
    /// Orders two rows by this column (ties: by id, so the order is stable).
    pub cmp: fn(&T, &T) -> Ordering,
}

/// A column shown in both tables, plain; `look` and `one_role_only` adjust it.
pub const fn column<T>(
    title: &'static str,
    width: u16,
    drop: u8,
    cell: fn(&T, DateTime<Utc>) -> String,
    cmp: fn(&T, &T) -> Ordering,
) -> Option<Column<T>> {
    Some(Column {
        title,
        width,
        drop,
        every: true,
        look: Look::Plain,
        cell,
        cmp,
    })
}

/// The column, looking like `look`.
pub const fn look<T>(c: Option<Column<T>>, look: Look) -> Option<Column<T>> {
    match c {
        Some(c) => Some(Column { look, ..c }),
        None => None,
    }
}

/// The column, left out of the every-account table (which has less room).
pub const fn one_role_only<T>(c: Option<Column<T>>) -> Option<Column<T>> {
    match c {
        Some(c) => Some(Column { every: false, ..c }),
        None => None,
    }
}

/// A field no table shows (only JSON and CSV).
pub const fn field<T>(name: &'static str, value: fn(&T) -> String) -> Field<T> {
    Field {
        name,
        value,
        column: None,
    }
}

/// One field of a resource: named as in its JSON, with its value for a CSV export and, when
/// tables show it, its column.
pub struct Field<T> {
    pub name: &'static str,
    /// The value as text: `""` for none, lists joined with `;`, tags as `key=value;…`, times in
    /// RFC 3339 as in the JSON.
    pub value: fn(&T) -> String,
    pub column: Option<Column<T>>,
}

/// A column as a table shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    pub title: &'static str,
    pub width: u16,
    pub drop: u8,
}

// ---- what the fields are made of ----

/// The text of an optional value: `""` for none.
pub fn opt(s: &Option<String>) -> String {
    s.clone().unwrap_or_default()
}

/// An optional field as searched: `""` for none.
pub fn or_empty(s: &Option<String>) -> &str {
    s.as_deref().unwrap_or("")
}

/// A cell: the text, or `-` for nothing.
pub fn or_dash(s: &str) -> String {
    if s.is_empty() {
        "-".to_string()
    } else {
        s.to_string()
    }
}

/// Lists in a CSV field or a cell.
pub fn joined(items: &[String], sep: &str) -> String {
    items.join(sep)
}

/// Tags in a CSV field: `key=value;key=value`.
pub fn tags_text(tags: &BTreeMap<String, String>) -> String {
    tags.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(";")
}

/// A time as the JSON has it (RFC 3339, UTC, seconds and what fraction there is).
pub fn time_text(t: &Option<DateTime<Utc>>) -> String {
    t.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
        .unwrap_or_default()
}

/// A time for a details pane or a person: `2026-11-30 10:00:00 UTC`, or `never` for none.
pub fn when_text(t: Option<&DateTime<Utc>>) -> String {
    t.map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_else(|| "never".into())
}

/// "3d", "5h", "12m": how long ago, for tables.
pub fn age(t: Option<&DateTime<Utc>>, now: DateTime<Utc>) -> String {
    let Some(t) = t else { return "-".into() };
    let secs = (now - *t).num_seconds().max(0);
    match secs {
        s if s < 120 => format!("{s}s"),
        s if s < 7200 => format!("{}m", s / 60),
        s if s < 172_800 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86_400),
    }
}

/// Fields and tags (keys and values) as lower-case lines: a filter never spans two of them.
pub fn search_lines<'a>(
    fields: impl Iterator<Item = &'a str>,
    tags: &'a BTreeMap<String, String>,
) -> String {
    let mut out = String::new();
    for f in fields.chain(tags.iter().flat_map(|(k, v)| [k.as_str(), v.as_str()])) {
        if f.is_empty() {
            continue;
        }
        out.push_str(&f.to_lowercase());
        out.push('\n');
    }
    out
}

/// IPs sort numerically, missing ones last.
pub fn ip_key(ip: &Option<String>) -> (bool, Vec<u32>) {
    match ip {
        Some(s) => (false, s.split('.').filter_map(|p| p.parse().ok()).collect()),
        None => (true, Vec::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_text_is_lower_case_lines_of_fields_and_tags() {
        let mut tags = BTreeMap::new();
        tags.insert("Équipe".to_string(), "Données".to_string());
        let text = search_lines(["Web-1", "", "10.0.3.17"].into_iter(), &tags);
        assert_eq!(text, "web-1\n10.0.3.17\néquipe\ndonnées\n");
    }

    #[test]
    fn ages() {
        let now = DateTime::parse_from_rfc3339("2026-11-22T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let t = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        assert_eq!(age(Some(&t("2026-11-22T11:59:30Z")), now), "30s");
        assert_eq!(age(Some(&t("2026-11-22T11:00:00Z")), now), "60m");
        assert_eq!(age(Some(&t("2026-11-21T12:00:00Z")), now), "24h");
        assert_eq!(age(Some(&t("2026-11-12T12:00:00Z")), now), "10d");
        assert_eq!(age(None, now), "-");
    }
}
