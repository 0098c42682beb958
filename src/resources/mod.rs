//! What rolecall lists. Each kind of resource lives in one file (`instance.rs`, `volume.rs`,
//! `security_group.rs`): its struct read from the SDK's answer, how it is listed, its fields (the
//! one list that drives the TUI's columns and sort, the CLI's table, JSON and CSV), its details
//! pane as data, its console page, and its names (command, `:` aliases, key).
//!
//! This file is the registry: [`Kind`] names the kinds, [`KINDS`] lists them, and
//! [`Kind::spec`] holds the one `match` on a kind. Everything else — the CLI's listings, the
//! every-account fan-out, the TUI's tables, exports and tests — goes through the registry, so a
//! new kind is a new file and a line here.
//!
//! Adding a kind: write `src/resources/<kind>.rs` (a struct implementing [`Resource`]); add a
//! variant to `Kind`, to `KINDS` and to the `match` in `Kind::spec`; add its subcommand to
//! `cli/args.rs` (`Command` and `Command::listing`); seed some in `tests/emulator/moto_server.py`.

mod access_key;
mod account;
mod event;
mod fields;
mod finding;
mod iam_role;
mod instance;
mod row;
mod security_group;
mod subject;
mod user;
mod volume;

use std::marker::PhantomData;

pub use access_key::AccessKey;
pub use account::Failure;
pub use event::{Event, EventResource, KEPT as EVENTS_KEPT};
pub use fields::{
    age, column, field, ip_key, joined, look, one_role_only, opt, or_dash, or_empty, search_lines,
    tags_text, time_text, when_text, Column, Field, Head, Look,
};
pub use finding::{
    severest_first, severity_rank, Finding, FindingFilter, FindingResource, Opens, SEVERITIES,
    STATUSES,
};
pub use iam_role::IamRole;
pub use instance::{describe_instance, Instance};
pub use row::{
    to_csv, write_csv, DetailLine, Details, Item, Lookup, Origin, Query, Resource, Row, Spec,
    Window,
};
pub use security_group::{Rule, SecurityGroup};
pub use subject::Subject;
pub use user::User;
pub use volume::{describe_volumes, Volume};

/// What a listing lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Instances,
    Volumes,
    SecurityGroups,
    Users,
    AccessKeys,
    IamRoles,
    Events,
    Findings,
}

/// Every kind, in the order help and completions show them.
pub const KINDS: [Kind; 8] = [
    Kind::Instances,
    Kind::Volumes,
    Kind::SecurityGroups,
    Kind::Users,
    Kind::AccessKeys,
    Kind::IamRoles,
    Kind::Events,
    Kind::Findings,
];

/// Where a kind is listed: in each of a role's regions, or once per account (IAM is global).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    Regional,
    Global,
}

/// A kind's names and reach: what the command line, the `:` line, the keys and the titles call it.
#[derive(Debug, Clone, Copy)]
pub struct About {
    /// "security groups": titles, messages, the case log's record of a listing.
    pub noun: &'static str,
    /// "security group": one of them.
    pub one: &'static str,
    /// "security-groups": the subcommand, and its `:` name.
    pub command: &'static str,
    /// Other `:` names ("sg").
    pub aliases: &'static [&'static str],
    /// The key that opens it from another table (`None`: only `:` names it).
    pub key: Option<char>,
    pub reach: Reach,
    /// A query kind (events, findings) asks for what happened over a time window — by default
    /// this long up to now — and gets its rows page by page, newest first; `None`: a kind listed
    /// whole, as it is now.
    pub window: Option<std::time::Duration>,
    /// What its ids start with (`i-`): an id given on the command line is checked against it.
    pub id_prefix: &'static str,
}

/// A kind's spec, whatever its rows: the registry's answer for a [`Kind`].
struct Of<T>(PhantomData<fn() -> T>);

impl Kind {
    /// The one `match` on a kind.
    pub fn spec(self) -> &'static dyn Spec {
        match self {
            Kind::Instances => &Of::<Instance>(PhantomData),
            Kind::Volumes => &Of::<Volume>(PhantomData),
            Kind::SecurityGroups => &Of::<SecurityGroup>(PhantomData),
            Kind::Users => &Of::<User>(PhantomData),
            Kind::AccessKeys => &Of::<AccessKey>(PhantomData),
            Kind::IamRoles => &Of::<IamRole>(PhantomData),
            Kind::Events => &Of::<Event>(PhantomData),
            Kind::Findings => &Of::<Finding>(PhantomData),
        }
    }

    pub fn about(self) -> &'static About {
        self.spec().about()
    }

    /// "instances", "security groups".
    pub fn noun(self) -> &'static str {
        self.about().noun
    }

    /// The kind a `:` word or subcommand names (its command, a `:` alias), if any.
    pub fn named(word: &str) -> Option<Kind> {
        KINDS.into_iter().find(|k| {
            let a = k.about();
            a.command == word || a.aliases.contains(&word)
        })
    }

    /// The columns of its table; `every`: the every-account table's (ACCOUNT first).
    pub fn heads(self, every: bool) -> Vec<Head> {
        self.spec().heads(every)
    }

    /// The CSV header: the JSON field names (the account's first in an every-account export).
    pub fn csv_header(self, every: bool) -> Vec<&'static str> {
        let spec = self.spec();
        let mut h: Vec<&'static str> = if every {
            row::ORIGIN_FIELDS
                .into_iter()
                .filter(|f| *f != "account_id" || !spec.has_field(f))
                .collect()
        } else {
            Vec::new()
        };
        h.extend(spec.field_names());
        h
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.noun())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_registry_names_each_kind_once() {
        for (i, k) in KINDS.into_iter().enumerate() {
            assert_eq!(k.spec().kind(), k, "{k}'s spec is its own");
            assert_eq!(Kind::named(k.about().command), Some(k));
            for a in k.about().aliases {
                assert_eq!(Kind::named(a), Some(k), "{a}");
            }
            if let Some(key) = k.about().key {
                let others = KINDS.iter().filter(|o| o.about().key == Some(key)).count();
                assert_eq!(others, 1, "{k}: its key is its own");
            }
            assert!(KINDS[..i].iter().all(|o| o != &k), "{k} listed twice");
        }
        assert_eq!(Kind::named("sg"), Some(Kind::SecurityGroups));
        assert_eq!(Kind::named("nothing"), None);
    }

    fn json_keys(row: &Row) -> Vec<String> {
        let json = serde_json::to_value(row).expect("serialises");
        let mut keys: Vec<String> = json
            .as_object()
            .expect("an object")
            .keys()
            .cloned()
            .collect();
        keys.sort_unstable();
        keys
    }

    /// For every kind: the CSV's fields are the JSON's, no more and no fewer (the account's too
    /// in an every-account row); the columns come first; 1-9 sort by every column.
    #[test]
    fn every_kind_exports_its_json_fields() {
        for k in KINDS {
            let row = k.spec().example();
            assert_eq!(row.kind(), k);
            for every in [false, true] {
                let row = if every {
                    row.clone().through(std::sync::Arc::new(Origin {
                        account_id: "222222222222".into(),
                        account_name: Some("prod".into()),
                        role_arn: "arn:aws:iam::222222222222:role/R".into(),
                    }))
                } else {
                    row.clone()
                };
                let mut names: Vec<String> =
                    k.csv_header(every).into_iter().map(String::from).collect();
                names.sort_unstable();
                assert_eq!(names, json_keys(&row), "{k} every={every}");
                assert_eq!(row.csv_record().len(), names.len(), "{k}");
                let heads = k.heads(every);
                assert!(heads.len() <= 9, "{k}: keys 1-9 sort by every column");
                for c in 0..heads.len() {
                    assert!(
                        !row.cell(c, chrono::Utc::now()).0.is_empty(),
                        "{k} column {c}"
                    );
                }
            }
            let own: Vec<&str> = k.heads(false).iter().map(|h| h.title).collect();
            let every = k.heads(true);
            assert_eq!(every[0].title, "ACCOUNT");
            assert!(every[1..].iter().all(|h| own.contains(&h.title)), "{k}");
            assert!(
                k.spec().console_page(row.id()).is_ok(),
                "{k}: its own id has a page"
            );
            assert!(k.spec().console_page("x-1/../../").is_err(), "{k}");
        }
    }

    #[test]
    fn csv_quotes_and_joins() {
        let mut v = Volume::example();
        v.name = "db, \"main\"".into();
        v.tags.insert("Name".into(), v.name.clone());
        v.attached_to = vec!["i-1".into(), "i-2".into()];
        let text = to_csv(Kind::Volumes, false, &[Row::new(v)]).unwrap();
        let mut lines = text.lines();
        assert!(lines.next().unwrap().starts_with("volume_id,name,"));
        let row = lines.next().unwrap();
        assert!(row.contains("\"db, \"\"main\"\"\""), "{row}");
        assert!(row.contains("i-1;i-2"), "{row}");
    }
}
