//! Which rows a table shows: filtered by the `/` text, sorted by a column, rows arriving merged
//! in. The columns themselves are the resources' own (`crate::resources`).

use std::cmp::Ordering;

use crate::resources::Row;

/// Indices of the rows that match `filter`, in `sort` order: what the table shows.
pub fn visible(
    items: &[Row],
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
pub fn matching(
    items: &[Row],
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
pub fn order(items: &[Row], (column, descending): (usize, bool), a: usize, b: usize) -> Ordering {
    let o = items[a].compare(&items[b], column);
    if descending {
        o.reverse()
    } else {
        o
    }
}

/// Merges `new` rows (each matching the filter) into `visible`, both already in `sort` order:
/// one pass, so rows arriving cost their own sort, not a sort of everything shown.
pub fn merge_sorted(
    items: &[Row],
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
    use crate::resources::{Resource, Row, Volume};

    #[test]
    fn merging_new_rows_gives_what_a_full_sort_gives() {
        let mk = |name: &str, id: &str| {
            let mut v = Volume {
                volume_id: id.into(),
                name: name.into(),
                size_gib: 1,
                state: "available".into(),
                ..Volume::example()
            };
            v.tags.insert("Name".into(), name.into());
            v
        };
        let items: Vec<Row> = ["d", "a", "c", "a", "b", "e", "b", "a"]
            .iter()
            .enumerate()
            .map(|(i, n)| Row::new(mk(n, &format!("vol-{}", 9 - i))))
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
}
