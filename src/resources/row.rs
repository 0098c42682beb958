//! A kind's typed resource ([`Resource`], one per kind file), the same seen through the registry
//! ([`Spec`]), and a row of any kind ([`Row`]): what the TUI's tables, the every-account
//! listings and the exports hold, whatever the kind.

use std::any::Any;
use std::cmp::Ordering;
use std::fmt::Debug;
use std::future::Future;
use std::sync::Arc;

use chrono::{DateTime, FixedOffset, Utc};
use futures::stream::{BoxStream, Stream, StreamExt};
use serde::Serialize;

use super::fields::{Column, Field, Head, Look};
use super::{About, Kind, Of, Subject};
use crate::aws::target::{Listing, RoleTarget};

/// A resource rolecall lists: one kind's struct, in its own file.
pub trait Resource: Serialize + Clone + Debug + Send + Sync + 'static {
    const KIND: Kind;
    const ABOUT: About;
    /// Every field, the table's columns first, in table order.
    const FIELDS: &'static [Field<Self>];
    /// What `Y` copies, and what the tie-break of every sort compares.
    fn id(&self) -> &str;
    fn region(&self) -> &str;
    /// Everything a `/` filter looks at (id, name, IPs, DNS names, tags…), lower-case, one field
    /// per line. Computed once per row, so a keystroke is one substring search a row.
    fn search_text(&self) -> String;
    /// Every one the role sees in `regions` (all pages, regions in parallel; a kind that is
    /// listed once per account uses the first region for its endpoint), and what failed.
    fn list(target: &RoleTarget, regions: &[String]) -> impl Future<Output = Listing<Self>> + Send;
    /// Its rows page by page as AWS gives them: for a query kind, newest first within
    /// `query.window`. A kind listed whole gives one page, its `list`.
    fn pages<'a>(
        target: &'a RoleTarget,
        query: &'a Query,
    ) -> impl Stream<Item = Listing<Self>> + Send + 'a {
        futures::stream::once(Self::list(target, &query.regions))
    }
    /// What the details pane shows of it.
    fn details(&self, ctx: &Lookup) -> Details;
    /// Where the console shows one (by id): its service and the page's `#` fragment. Called
    /// only with an id [`Resource::check_id`] accepted.
    fn console_page(id: &str) -> (&'static str, String);
    /// Whether `id` looks like one of this kind's, before any page, path or call is made of it;
    /// the error says what one looks like. By default EC2's ids: the kind's prefix and 8 or 17
    /// hex digits.
    fn check_id(id: &str) -> Result<(), String> {
        let prefix = Self::ABOUT.id_prefix;
        let ok = id.strip_prefix(prefix).is_some_and(|tail| {
            matches!(tail.len(), 8 | 17) && tail.bytes().all(|b| b.is_ascii_hexdigit())
        });
        if ok {
            Ok(())
        } else {
            Err(format!("{prefix} and 8 or 17 hex digits"))
        }
    }
    /// A typical one: what the tests of every kind (render, export, every account) start from.
    fn example() -> Self;
    /// The column its tables are sorted by until the user sorts them (`None`: as listed).
    fn default_sort() -> Option<usize> {
        None
    }
}

/// A kind, whatever its rows: what the registry gives for a [`Kind`].
pub trait Spec: Sync {
    fn kind(&self) -> Kind;
    fn about(&self) -> &'static About;
    /// The columns of its table; `every`: of the every-account table (ACCOUNT first, then the
    /// columns marked for it).
    fn heads(&self, every: bool) -> Vec<Head>;
    /// Its JSON field names, in order.
    fn field_names(&self) -> Vec<&'static str>;
    /// Whether it has a field of this name (an event has its own `account_id`).
    fn has_field(&self, name: &str) -> bool;
    /// The rows page by page ([`Resource::pages`]).
    fn pages<'a>(&self, target: &'a RoleTarget, query: &'a Query) -> BoxStream<'a, Listing<Row>>;
    /// The console's service and `#` fragment of the one with this id; when the id does not
    /// look like one of this kind's, what one looks like.
    fn console_page(&self, id: &str) -> Result<(&'static str, String), String>;
    /// A typical one, as a row ([`Resource::example`]).
    fn example(&self) -> Row;
    /// The column its tables start sorted by ([`Resource::default_sort`]).
    fn default_sort(&self) -> Option<usize>;
}

/// The fields of `T` that tables show, in order; `every`: only those the every-account table
/// shows too.
pub(super) fn columns<T: Resource>(every: bool) -> impl Iterator<Item = &'static Column<T>> {
    T::FIELDS
        .iter()
        .filter_map(|f| f.column.as_ref())
        .filter(move |c| !every || c.every)
}

fn head<T>(c: &Column<T>) -> Head {
    Head {
        title: c.title,
        width: c.width,
        drop: c.drop,
    }
}

impl<T: Resource> Spec for Of<T> {
    fn kind(&self) -> Kind {
        T::KIND
    }

    fn about(&self) -> &'static About {
        &T::ABOUT
    }

    fn heads(&self, every: bool) -> Vec<Head> {
        let mut heads = Vec::new();
        if every {
            heads.push(Head {
                title: "ACCOUNT",
                width: 12,
                drop: 0,
            });
        }
        heads.extend(columns::<T>(every).map(head));
        heads
    }

    fn field_names(&self) -> Vec<&'static str> {
        T::FIELDS.iter().map(|f| f.name).collect()
    }

    fn has_field(&self, name: &str) -> bool {
        T::FIELDS.iter().any(|f| f.name == name)
    }

    fn pages<'a>(&self, target: &'a RoleTarget, query: &'a Query) -> BoxStream<'a, Listing<Row>> {
        T::pages(target, query).map(|l| l.map(Row::new)).boxed()
    }

    fn console_page(&self, id: &str) -> Result<(&'static str, String), String> {
        T::check_id(id).map(|()| T::console_page(id))
    }

    fn example(&self) -> Row {
        Row::new(T::example())
    }

    fn default_sort(&self) -> Option<usize> {
        T::default_sort()
    }
}

/// What a listing asks for: where, and for a query kind over what time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    pub regions: Vec<String>,
    pub window: Option<Window>,
    /// What a query kind looks up (one resource, key, user or event name); `None`: everything
    /// in the window. Kinds listed whole ignore it.
    pub subject: Option<Subject>,
    /// Findings only: severities and workflow statuses (`None`: any).
    pub findings: Option<super::FindingFilter>,
}

impl Query {
    /// `kind` in `regions`; over its default window up to `now` when it is a query kind.
    pub fn of(kind: Kind, regions: Vec<String>, now: DateTime<Utc>) -> Query {
        Query {
            regions,
            window: kind.about().window.map(|span| Window::last(span, now)),
            subject: None,
            findings: None,
        }
    }

    /// The same query, about `subject`.
    pub fn about(self, subject: Option<Subject>) -> Query {
        Query { subject, ..self }
    }
}

/// A time window a query kind looks in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

impl Window {
    /// The `span` up to `now`.
    pub fn last(span: std::time::Duration, now: DateTime<Utc>) -> Window {
        let span = chrono::Duration::from_std(span).unwrap_or(chrono::Duration::zero());
        Window {
            start: now - span,
            end: now,
        }
    }

    /// How a title says it: "last 24h" (`humantime`'s words), and the times in `tz`.
    pub fn label(&self, tz: FixedOffset) -> String {
        let span = (self.end - self.start).to_std().unwrap_or_default();
        let fmt = "%m-%d %H:%M";
        format!(
            "last {} ({}–{})",
            humantime::format_duration(span),
            self.start.with_timezone(&tz).format(fmt),
            self.end.with_timezone(&tz).format(fmt)
        )
    }
}

/// A resource of any kind, as a row sees it. Every [`Resource`] is one.
pub trait Item: erased_serde::Serialize + Debug + Send + Sync + 'static {
    fn kind(&self) -> Kind;
    fn id(&self) -> &str;
    fn region(&self) -> &str;
    fn search_text(&self) -> String;
    /// Cell `column` of its table (`every`: of the every-account table's resource columns).
    fn cell(&self, column: usize, every: bool, now: DateTime<Utc>) -> (String, Look);
    /// Orders two rows by a column (ties: by id, so the order is stable).
    fn compare(&self, other: &dyn Item, column: usize, every: bool) -> Ordering;
    /// Every field's export value, in field order.
    fn values(&self) -> Vec<String>;
    fn details(&self, ctx: &Lookup) -> Details;
    fn as_any(&self) -> &dyn Any;
}

erased_serde::serialize_trait_object!(Item);

impl<T: Resource> Item for T {
    fn kind(&self) -> Kind {
        T::KIND
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

    fn cell(&self, column: usize, every: bool, now: DateTime<Utc>) -> (String, Look) {
        match columns::<T>(every).nth(column) {
            Some(c) => ((c.cell)(self, now), c.look),
            None => (String::new(), Look::Plain),
        }
    }

    fn compare(&self, other: &dyn Item, column: usize, every: bool) -> Ordering {
        let Some(other) = other.as_any().downcast_ref::<T>() else {
            // Rows of two kinds never share a table.
            return self.kind().cmp(&other.kind());
        };
        columns::<T>(every)
            .nth(column)
            .map_or(Ordering::Equal, |c| (c.cmp)(self, other))
            .then_with(|| Resource::id(self).cmp(Resource::id(other)))
    }

    fn values(&self) -> Vec<String> {
        T::FIELDS.iter().map(|f| (f.value)(self)).collect()
    }

    fn details(&self, ctx: &Lookup) -> Details {
        Resource::details(self, ctx)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// Which account and role an every-account row was listed through.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Origin {
    pub account_id: String,
    /// The account's name in the config, if it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_name: Option<String>,
    pub role_arn: String,
}

/// A row of any kind: the resource, and for an every-account listing the account and role it
/// came through. Cheap to clone (both are shared).
#[derive(Debug, Clone)]
pub struct Row {
    item: Arc<dyn Item>,
    origin: Option<Arc<Origin>>,
}

/// A row's JSON: the account's fields first when it has them, then the resource's own. A field
/// the resource has itself (an event's `account_id`) is written once, by the resource.
#[derive(Serialize)]
struct Json<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    account_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    account_name: Option<&'a str>,
    role_arn: &'a str,
    #[serde(flatten)]
    item: &'a dyn Item,
}

/// The account's fields an every-account row adds: those its kind does not have itself.
pub(super) const ORIGIN_FIELDS: [&str; 3] = ["account_id", "account_name", "role_arn"];

impl Serialize for Row {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match &self.origin {
            None => self.item.serialize(s),
            Some(origin) => {
                let spec = self.kind().spec();
                Json {
                    account_id: (!spec.has_field("account_id"))
                        .then_some(origin.account_id.as_str()),
                    account_name: origin.account_name.as_deref(),
                    role_arn: &origin.role_arn,
                    item: &*self.item,
                }
                .serialize(s)
            }
        }
    }
}

impl Row {
    pub fn new<T: Resource>(item: T) -> Row {
        Row {
            item: Arc::new(item),
            origin: None,
        }
    }

    /// The same resource, listed through `origin`.
    pub fn through(self, origin: Arc<Origin>) -> Row {
        Row {
            origin: Some(origin),
            ..self
        }
    }

    /// The same resource, without the account it came through (a role's own table).
    pub fn alone(self) -> Row {
        Row {
            origin: None,
            ..self
        }
    }

    pub fn kind(&self) -> Kind {
        self.item.kind()
    }

    pub fn id(&self) -> &str {
        self.item.id()
    }

    pub fn region(&self) -> &str {
        self.item.region()
    }

    pub fn item(&self) -> &dyn Item {
        &*self.item
    }

    /// The resource, if it is a `T`.
    pub fn get<T: Resource>(&self) -> Option<&T> {
        self.item.as_any().downcast_ref::<T>()
    }

    pub fn origin(&self) -> Option<&Origin> {
        self.origin.as_deref()
    }

    /// The account a row came from, for rows that carry one.
    pub fn account_id(&self) -> Option<&str> {
        self.origin().map(|o| o.account_id.as_str())
    }

    /// The role a row was listed through, for rows that carry one.
    pub fn role_arn(&self) -> Option<&str> {
        self.origin().map(|o| o.role_arn.as_str())
    }

    /// The resource's own search text, then the account id, the account's name and the role's
    /// ARN: `/prod` or `/2222` narrows to one account.
    pub fn search_text(&self) -> String {
        let mut out = self.item.search_text();
        if let Some(o) = self.origin() {
            for f in [
                o.account_id.as_str(),
                o.account_name.as_deref().unwrap_or(""),
                &o.role_arn,
            ] {
                if !f.is_empty() {
                    out.push_str(&f.to_lowercase());
                    out.push('\n');
                }
            }
        }
        out
    }

    /// Cell `column` of its table; ACCOUNT (the account's name, else its id) comes first in an
    /// every-account row.
    pub fn cell(&self, column: usize, now: DateTime<Utc>) -> (String, Look) {
        match (self.origin(), column) {
            (None, c) => self.item.cell(c, false, now),
            (Some(o), 0) => (
                o.account_name
                    .clone()
                    .unwrap_or_else(|| o.account_id.clone()),
                Look::Account,
            ),
            (Some(_), c) => self.item.cell(c - 1, true, now),
        }
    }

    /// Orders two rows by a column. ACCOUNT sorts by the name shown (accounts without one by
    /// id, after the named ones), then by the first column; another column's ties go by account.
    pub fn compare(&self, other: &Row, column: usize) -> Ordering {
        match (self.origin(), other.origin()) {
            (Some(a), Some(b)) => match column {
                0 => (a.account_name.is_none(), &a.account_name, &a.account_id)
                    .cmp(&(b.account_name.is_none(), &b.account_name, &b.account_id))
                    .then_with(|| self.item.compare(other.item(), 0, true)),
                c => self
                    .item
                    .compare(other.item(), c - 1, true)
                    .then_with(|| a.account_id.cmp(&b.account_id)),
            },
            _ => self.item.compare(other.item(), column, false),
        }
    }

    /// The CSV record: the account's fields first in an every-account row (those its kind does
    /// not have itself).
    pub fn csv_record(&self) -> Vec<String> {
        let mut r = match self.origin() {
            Some(o) => {
                let spec = self.kind().spec();
                let mut r = Vec::with_capacity(3);
                if !spec.has_field("account_id") {
                    r.push(o.account_id.clone());
                }
                r.push(o.account_name.clone().unwrap_or_default());
                r.push(o.role_arn.clone());
                r
            }
            None => Vec::new(),
        };
        r.extend(self.item.values());
        r
    }

    /// The details pane; an every-account row's names its account and role first.
    pub fn details(&self, ctx: &Lookup) -> Details {
        let mut d = self.item.details(ctx);
        if let Some(o) = self.origin() {
            let account = match &o.account_name {
                Some(n) => format!("{} ({n})", o.account_id),
                None => o.account_id.clone(),
            };
            let role = o
                .role_arn
                .split_once(":role/")
                .map_or(o.role_arn.as_str(), |(_, name)| name)
                .to_string();
            d.left.splice(
                0..0,
                [
                    DetailLine::pair("account", account),
                    DetailLine::pair("listed via role", role),
                ],
            );
        }
        d
    }
}

/// The rows as CSV (RFC 4180): a header of the JSON field names, one record per row.
pub fn to_csv(kind: Kind, every: bool, rows: &[Row]) -> Result<String, csv::Error> {
    let mut bytes = Vec::new();
    write_csv(kind, every, rows, &mut bytes)?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// The rows as CSV, written to `out` as they are made.
pub fn write_csv(
    kind: Kind,
    every: bool,
    rows: &[Row],
    out: impl std::io::Write,
) -> Result<(), csv::Error> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(kind.csv_header(every))?;
    for r in rows {
        w.write_record(r.csv_record())?;
    }
    w.flush()?;
    Ok(())
}

/// What a details pane shows, as data: `ui/` draws it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Details {
    pub title: String,
    /// What it is (left), and where it is and what it holds (right): side by side when there
    /// is room, else one after the other.
    pub left: Vec<DetailLine>,
    pub right: Vec<DetailLine>,
}

/// A line of a details pane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DetailLine {
    /// A label and its value (`-` for none).
    Pair(String, String),
    /// A heading.
    Section(String),
    /// Text as it is.
    Text(String),
    Blank,
}

impl DetailLine {
    pub fn pair(label: &str, value: impl Into<String>) -> DetailLine {
        let value = value.into();
        DetailLine::Pair(
            label.to_string(),
            if value.is_empty() { "-".into() } else { value },
        )
    }

    pub fn section(title: &str) -> DetailLine {
        DetailLine::Section(title.to_string())
    }

    /// Each tag as a pair, indented under a heading.
    pub fn tags(tags: &std::collections::BTreeMap<String, String>) -> Vec<DetailLine> {
        let mut lines = vec![DetailLine::section("tags")];
        lines.extend(
            tags.iter()
                .map(|(k, v)| DetailLine::Pair(format!("  {k}"), v.clone())),
        );
        if tags.is_empty() {
            lines.push(DetailLine::Text("  none".into()));
        }
        lines
    }
}

/// What a details pane may look at besides its own row: the clock, the local time zone, and the
/// rows of the other tables (an instance's volumes, when they were listed).
pub struct Lookup<'a> {
    pub now: DateTime<Utc>,
    pub tz: FixedOffset,
    /// A listed row of `kind` by id.
    pub find: &'a dyn Fn(Kind, &str) -> Option<&'a Row>,
}

impl Lookup<'_> {
    /// "2026-11-22 12:00:00 (3d ago)" in the local zone.
    pub fn when(&self, t: Option<&DateTime<Utc>>) -> String {
        t.map(|t| {
            format!(
                "{} ({} ago)",
                t.with_timezone(&self.tz).format("%Y-%m-%d %H:%M:%S"),
                super::fields::age(Some(t), self.now)
            )
        })
        .unwrap_or_else(|| "-".into())
    }
}
