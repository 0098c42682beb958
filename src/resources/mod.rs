//! What rolecall lists, described once. Each resource has one list of fields: the JSON/CSV name,
//! the export value and, for those shown in a table, the column (title, width, how soon it is
//! dropped on a narrow screen, the cell and the sort). The TUI's tables, their sort keys, the
//! CLI's tables and the CSV export all read that list, so they cannot drift apart.

mod account;
mod instance;
mod volume;

use std::cmp::Ordering;
use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

pub use crate::aws::ec2::{Instance, Volume};
pub use account::{AccountRow, Failure};

/// What a listing lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Instances,
    Volumes,
}

impl Kind {
    /// "instances", "volumes".
    pub fn noun(self) -> &'static str {
        match self {
            Kind::Instances => "instances",
            Kind::Volumes => "volumes",
        }
    }
}

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

/// A resource rolecall lists (an EC2 instance, an EBS volume).
pub trait Resource: Serialize + Clone + Send + Sync + 'static {
    const KIND: Kind;
    /// Every field, the table's columns first, in table order.
    const FIELDS: &'static [Field<Self>];
    /// What `Y` copies, and what the tie-break of every sort compares.
    fn id(&self) -> &str;
    fn region(&self) -> &str;
    /// Everything a `/` filter looks at (id, name, IPs, DNS names, tags…), lower-case, one field
    /// per line. Computed once per row, so a keystroke is one substring search a row.
    fn search_text(&self) -> String;
}

/// A column as a table shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    pub title: &'static str,
    pub width: u16,
    pub drop: u8,
}

/// What a table of rows needs, whatever the rows are: a resource, or a resource with the
/// account it came from (the every-account view). Columns are numbered from 0; keys 1-9 sort by
/// the first nine.
pub trait Tabular: Clone + Send + Sync + 'static {
    const KIND: Kind;
    fn heads() -> Vec<Head>;
    /// Cell `column` of this row.
    fn cell(&self, column: usize, now: DateTime<Utc>) -> (String, Look);
    fn compare(&self, other: &Self, column: usize) -> Ordering;
    fn id(&self) -> &str;
    fn region(&self) -> &str;
    fn search_text(&self) -> String;
    /// The account a row came from, for rows that carry one.
    fn account_id(&self) -> Option<&str> {
        None
    }
    /// The role a row was listed through, for rows that carry one.
    fn role_arn(&self) -> Option<&str> {
        None
    }
    /// The CSV export's header: the JSON field names.
    fn csv_header() -> Vec<&'static str>;
    fn csv_record(&self) -> Vec<String>;
}

/// The fields of `T` that tables show, in order.
pub fn columns<T: Resource>() -> impl Iterator<Item = &'static Column<T>> {
    T::FIELDS.iter().filter_map(|f| f.column.as_ref())
}

fn head<T>(c: &Column<T>) -> Head {
    Head {
        title: c.title,
        width: c.width,
        drop: c.drop,
    }
}

impl<T: Resource> Tabular for T {
    const KIND: Kind = <T as Resource>::KIND;

    fn heads() -> Vec<Head> {
        columns::<T>().map(head).collect()
    }

    fn cell(&self, column: usize, now: DateTime<Utc>) -> (String, Look) {
        match columns::<T>().nth(column) {
            Some(c) => ((c.cell)(self, now), c.look),
            None => (String::new(), Look::Plain),
        }
    }

    fn compare(&self, other: &Self, column: usize) -> Ordering {
        columns::<T>()
            .nth(column)
            .map_or(Ordering::Equal, |c| (c.cmp)(self, other))
            .then_with(|| Resource::id(self).cmp(Resource::id(other)))
    }

    fn id(&self) -> &str {
        Resource::id(self)
    }

    fn region(&self) -> &str {
        Resource::region(self)
    }

    fn search_text(&self) -> String {
        Resource::search_text(self)
    }

    fn csv_header() -> Vec<&'static str> {
        T::FIELDS.iter().map(|f| f.name).collect()
    }

    fn csv_record(&self) -> Vec<String> {
        T::FIELDS.iter().map(|f| (f.value)(self)).collect()
    }
}

/// The rows as CSV (RFC 4180): a header of the JSON field names, one record per row.
pub fn to_csv<R: Tabular>(rows: &[R]) -> Result<String, csv::Error> {
    let mut bytes = Vec::new();
    write_csv(rows, &mut bytes)?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// The rows as CSV, written to `out` as they are made.
pub fn write_csv<R: Tabular>(rows: &[R], out: impl std::io::Write) -> Result<(), csv::Error> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(R::csv_header())?;
    for r in rows {
        w.write_record(r.csv_record())?;
    }
    w.flush()?;
    Ok(())
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

    /// The CSV's fields are the JSON's, no more and no fewer.
    fn fields_are_the_json_keys<T: Resource>(sample: &T) {
        let json = serde_json::to_value(sample).expect("serialises");
        let mut keys: Vec<&str> = json
            .as_object()
            .expect("an object")
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        let mut names: Vec<&str> = T::FIELDS.iter().map(|f| f.name).collect();
        names.sort_unstable();
        assert_eq!(names, keys);
        let shown = columns::<T>().count();
        assert!(
            T::FIELDS[..shown].iter().all(|f| f.column.is_some()),
            "the columns come first, in table order"
        );
        assert!(shown <= 9, "keys 1-9 sort by every column");
    }

    #[test]
    fn every_resource_exports_its_json_fields() {
        fields_are_the_json_keys(&instance::tests::sample());
        fields_are_the_json_keys(&volume::tests::sample());
    }

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

    #[test]
    fn csv_quotes_and_joins() {
        let mut v = volume::tests::sample();
        v.name = "db, \"main\"".into();
        v.tags.insert("Name".into(), v.name.clone());
        v.attached_to = vec!["i-1".into(), "i-2".into()];
        let text = to_csv(&[v]).unwrap();
        let mut lines = text.lines();
        assert!(lines.next().unwrap().starts_with("volume_id,name,"));
        let row = lines.next().unwrap();
        assert!(row.contains("\"db, \"\"main\"\"\""), "{row}");
        assert!(row.contains("i-1;i-2"), "{row}");
    }
}
