//! Rows of the instance and volume tables: columns, filtering and sorting, without any drawing.

use std::cmp::Ordering;

use chrono::{DateTime, Utc};

use crate::aws::ec2::{Instance, Volume};
use crate::inventory::AccountRow;

/// A resource shown as a table row.
pub trait Row {
    /// What the rows are, in the plural: "instances".
    const NOUN: &'static str;
    /// Column titles, in order; number keys 1-9 sort by them.
    const COLUMNS: &'static [&'static str];
    /// What `Y` copies.
    fn id(&self) -> &str;
    /// The region the row lives in.
    fn region(&self) -> &str;
    /// Everything a `/` filter looks at (id, name, IPs, DNS names, tags…), lower-case, one field
    /// per line. Tables compute it once per row, so a keystroke is one substring search a row.
    fn search_text(&self) -> String;
    /// Orders two rows by a 0-based column.
    fn compare(&self, other: &Self, column: usize) -> Ordering;
}

/// Fields and tags (keys and values) as lower-case lines: a filter never spans two of them.
fn search_lines<'a>(
    fields: impl Iterator<Item = &'a str>,
    tags: &'a std::collections::BTreeMap<String, String>,
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

fn opt(s: &Option<String>) -> &str {
    s.as_deref().unwrap_or("")
}

impl Row for Instance {
    const NOUN: &'static str = "instances";
    const COLUMNS: &'static [&'static str] = &[
        "NAME",
        "INSTANCE ID",
        "STATE",
        "TYPE",
        "AZ",
        "PRIVATE IP",
        "PUBLIC IP",
        "AGE",
        "VOLS",
    ];

    fn id(&self) -> &str {
        &self.instance_id
    }

    fn region(&self) -> &str {
        &self.region
    }

    fn search_text(&self) -> String {
        let fields = [
            self.instance_id.as_str(),
            &self.name,
            &self.state,
            &self.instance_type,
            &self.availability_zone,
            opt(&self.private_ip),
            opt(&self.public_ip),
            opt(&self.private_dns_name),
            opt(&self.public_dns_name),
            opt(&self.vpc_id),
            opt(&self.subnet_id),
            opt(&self.image_id),
        ];
        search_lines(
            fields
                .into_iter()
                .chain(self.volume_ids.iter().map(String::as_str)),
            &self.tags,
        )
    }

    fn compare(&self, o: &Self, column: usize) -> Ordering {
        match column {
            0 => self.name.cmp(&o.name),
            1 => self.instance_id.cmp(&o.instance_id),
            2 => self.state.cmp(&o.state),
            3 => self.instance_type.cmp(&o.instance_type),
            4 => self.availability_zone.cmp(&o.availability_zone),
            5 => ip_key(&self.private_ip).cmp(&ip_key(&o.private_ip)),
            6 => ip_key(&self.public_ip).cmp(&ip_key(&o.public_ip)),
            // Youngest first reads as "smallest age" first.
            7 => newest_first(&self.launch_time, &o.launch_time),
            8 => self.volume_ids.len().cmp(&o.volume_ids.len()),
            _ => Ordering::Equal,
        }
        .then_with(|| self.instance_id.cmp(&o.instance_id))
    }
}

/// IPs sort numerically, missing ones last.
fn ip_key(ip: &Option<String>) -> (bool, Vec<u32>) {
    match ip {
        Some(s) => (false, s.split('.').filter_map(|p| p.parse().ok()).collect()),
        None => (true, Vec::new()),
    }
}

fn newest_first(a: &Option<DateTime<Utc>>, b: &Option<DateTime<Utc>>) -> Ordering {
    b.cmp(a)
}

impl Row for Volume {
    const NOUN: &'static str = "volumes";
    const COLUMNS: &'static [&'static str] = &[
        "VOLUME ID",
        "NAME",
        "SIZE",
        "TYPE",
        "STATE",
        "ENC",
        "ATTACHED TO",
        "SNAPSHOT",
        "AZ",
    ];

    fn id(&self) -> &str {
        &self.volume_id
    }

    fn region(&self) -> &str {
        &self.region
    }

    fn search_text(&self) -> String {
        let fields = [
            self.volume_id.as_str(),
            &self.name,
            &self.volume_type,
            &self.state,
            &self.availability_zone,
            opt(&self.snapshot_id),
            opt(&self.kms_key_id),
        ];
        search_lines(
            fields
                .into_iter()
                .chain(self.attached_to.iter().map(String::as_str)),
            &self.tags,
        )
    }

    fn compare(&self, o: &Self, column: usize) -> Ordering {
        match column {
            0 => self.volume_id.cmp(&o.volume_id),
            1 => self.name.cmp(&o.name),
            2 => self.size_gib.cmp(&o.size_gib),
            3 => self.volume_type.cmp(&o.volume_type),
            4 => self.state.cmp(&o.state),
            5 => self.encrypted.cmp(&o.encrypted),
            6 => self.attached_to.cmp(&o.attached_to),
            7 => self.snapshot_id.cmp(&o.snapshot_id),
            8 => self.availability_zone.cmp(&o.availability_zone),
            _ => Ordering::Equal,
        }
        .then_with(|| self.volume_id.cmp(&o.volume_id))
    }
}

/// A resource that also shows in the every-account view, after an ACCOUNT column.
pub trait InAccount: Row {
    /// "ACCOUNT", then the titles of `SHOWN`: nine at most, so 1-9 sort by each.
    const ACCOUNT_COLUMNS: &'static [&'static str];
    /// Which of `Row::COLUMNS` the every-account view shows, in order.
    const SHOWN: &'static [usize];
}

impl InAccount for Instance {
    const ACCOUNT_COLUMNS: &'static [&'static str] = &[
        "ACCOUNT",
        "NAME",
        "INSTANCE ID",
        "STATE",
        "TYPE",
        "AZ",
        "PRIVATE IP",
        "PUBLIC IP",
        "AGE",
    ];
    const SHOWN: &'static [usize] = &[0, 1, 2, 3, 4, 5, 6, 7];
}

impl InAccount for Volume {
    const ACCOUNT_COLUMNS: &'static [&'static str] = &[
        "ACCOUNT",
        "VOLUME ID",
        "NAME",
        "SIZE",
        "TYPE",
        "STATE",
        "ENC",
        "ATTACHED TO",
        "AZ",
    ];
    const SHOWN: &'static [usize] = &[0, 1, 2, 3, 4, 5, 6, 8];
}

impl<T: InAccount> Row for AccountRow<T> {
    const NOUN: &'static str = T::NOUN;
    const COLUMNS: &'static [&'static str] = T::ACCOUNT_COLUMNS;

    fn id(&self) -> &str {
        self.item.id()
    }

    fn region(&self) -> &str {
        self.item.region()
    }

    /// The resource's own, then the account id, the account's name and the role's ARN: `/prod`
    /// or `/2222` narrows to one account.
    fn search_text(&self) -> String {
        let mut out = self.item.search_text();
        for f in [
            self.account_id.as_str(),
            self.account_name.as_deref().unwrap_or(""),
            &self.role_arn,
        ] {
            if !f.is_empty() {
                out.push_str(&f.to_lowercase());
                out.push('\n');
            }
        }
        out
    }

    /// ACCOUNT sorts by the name shown (accounts without one by id, after the named ones).
    fn compare(&self, o: &Self, column: usize) -> Ordering {
        match column {
            0 => (
                self.account_name.is_none(),
                &self.account_name,
                &self.account_id,
            )
                .cmp(&(o.account_name.is_none(), &o.account_name, &o.account_id))
                .then_with(|| self.item.compare(&o.item, 0)),
            c => match T::SHOWN.get(c - 1) {
                Some(&inner) => self
                    .item
                    .compare(&o.item, inner)
                    .then_with(|| self.account_id.cmp(&o.account_id)),
                None => Ordering::Equal,
            },
        }
    }
}

/// Indices of the rows that match `filter`, in `sort` order: what the table shows.
pub fn visible<T: Row>(
    items: &[T],
    keys: &[String],
    filter: &str,
    sort: Option<(usize, bool)>,
) -> Vec<usize> {
    let mut idx = matching(items, keys, filter, 0..items.len());
    if let Some(sort) = sort {
        idx.sort_by(|&a, &b| order(items, sort, a, b));
    }
    idx
}

/// The rows in `range` that match `filter`, in index order.
pub fn matching<T: Row>(
    items: &[T],
    keys: &[String],
    filter: &str,
    range: std::ops::Range<usize>,
) -> Vec<usize> {
    let needle = filter.trim().to_lowercase();
    if needle.is_empty() {
        return range.collect();
    }
    let finder = memchr::memmem::Finder::new(needle.as_bytes());
    if keys.len() == items.len() {
        range
            .filter(|&i| finder.find(keys[i].as_bytes()).is_some())
            .collect()
    } else {
        // Keys not computed (items set directly): the slow way, same answer.
        range
            .filter(|&i| finder.find(items[i].search_text().as_bytes()).is_some())
            .collect()
    }
}

/// How rows `a` and `b` order under `sort` (column, descending).
pub fn order<T: Row>(
    items: &[T],
    (column, descending): (usize, bool),
    a: usize,
    b: usize,
) -> Ordering {
    let o = items[a].compare(&items[b], column);
    if descending {
        o.reverse()
    } else {
        o
    }
}

/// Merges `new` rows (each matching the filter) into `visible`, both already in `sort` order:
/// one pass, so rows arriving cost their own sort, not a sort of everything shown.
pub fn merge_sorted<T: Row>(
    items: &[T],
    visible: Vec<usize>,
    mut new: Vec<usize>,
    sort: Option<(usize, bool)>,
) -> Vec<usize> {
    let Some(sort) = sort else {
        let mut all = visible;
        all.extend(new);
        return all;
    };
    new.sort_by(|&a, &b| order(items, sort, a, b));
    let mut out = Vec::with_capacity(visible.len() + new.len());
    let (mut old, mut new) = (visible.into_iter().peekable(), new.into_iter().peekable());
    loop {
        match (old.peek(), new.peek()) {
            (Some(&o), Some(&n)) => {
                // Ties keep the rows already shown first, as a stable sort would.
                if order(items, sort, n, o) == Ordering::Less {
                    out.push(n);
                    new.next();
                } else {
                    out.push(o);
                    old.next();
                }
            }
            (Some(_), None) => {
                out.extend(old);
                break;
            }
            (None, _) => {
                out.extend(new);
                break;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown_titles_match<T: InAccount>() {
        assert_eq!(T::ACCOUNT_COLUMNS[0], "ACCOUNT");
        assert_eq!(T::ACCOUNT_COLUMNS.len(), T::SHOWN.len() + 1);
        assert!(T::ACCOUNT_COLUMNS.len() <= 9, "1-9 sort by every column");
        for (title, &i) in T::ACCOUNT_COLUMNS[1..].iter().zip(T::SHOWN) {
            assert_eq!(*title, T::COLUMNS[i]);
        }
    }

    #[test]
    fn merging_new_rows_gives_what_a_full_sort_gives() {
        let mk = |name: &str, id: &str| {
            let mut v = Volume {
                volume_id: id.into(),
                name: name.into(),
                size_gib: 1,
                volume_type: "gp3".into(),
                state: "available".into(),
                encrypted: false,
                region: "us-east-1".into(),
                availability_zone: "us-east-1a".into(),
                attached_to: vec![],
                snapshot_id: None,
                iops: None,
                create_time: None,
                kms_key_id: None,
                tags: Default::default(),
            };
            v.tags.insert("Name".into(), name.into());
            v
        };
        let items: Vec<Volume> = ["d", "a", "c", "a", "b", "e", "b", "a"]
            .iter()
            .enumerate()
            .map(|(i, n)| mk(n, &format!("vol-{}", 9 - i)))
            .collect();
        let keys: Vec<String> = items.iter().map(Row::search_text).collect();
        for sort in [None, Some((1, false)), Some((1, true)), Some((0, false))] {
            for filter in ["", "a", "vol-"] {
                for split in 0..=items.len() {
                    let before = visible(&items[..split], &keys[..split], filter, sort);
                    let new = matching(&items, &keys, filter, split..items.len());
                    let merged = merge_sorted(&items, before, new, sort);
                    assert_eq!(
                        merged,
                        visible(&items, &keys, filter, sort),
                        "{sort:?} {filter:?} {split}"
                    );
                }
            }
        }
    }

    #[test]
    fn every_account_columns_are_the_resources_own() {
        shown_titles_match::<Instance>();
        shown_titles_match::<Volume>();
    }

    #[test]
    fn search_text_is_lower_case_lines_of_fields_and_tags() {
        let mut tags = std::collections::BTreeMap::new();
        tags.insert("Équipe".to_string(), "Données".to_string());
        let text = search_lines(["Web-1", "", "10.0.3.17"].into_iter(), &tags);
        assert_eq!(text, "web-1\n10.0.3.17\néquipe\ndonnées\n");
    }
}
