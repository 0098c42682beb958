//! The every-account tables: how many accounts answered and which failed, and each row's
//! account above its details.

use ratatui::layout::Rect;
use ratatui::Frame;

use super::table::{count, view, window, Chrome};
use super::Theme;
use crate::app::state::{AllView, State};
use crate::resources::Reach;

/// The frame of an every-account table: how many accounts answered, and which failed.
pub fn chrome(all: &AllView, state: &State, loading: bool) -> Chrome {
    let what = all.table.kind.noun();
    let table = &all.table;
    let accounts = format!(
        "{} account{}",
        all.accounts,
        if all.accounts == 1 { "" } else { "s" }
    );
    let throttled = match all.throttled {
        0 => String::new(),
        n => format!(" · {n} throttled, listed again"),
    };
    let regions = regions(all, loading);
    let progress = if loading {
        format!("{}/{accounts} answered…{regions}{throttled}", all.done)
    } else {
        format!("{accounts}{regions}{throttled}")
    };
    let title = format!(
        " {what} of every account{} [{}] · {progress} ",
        window(table, state),
        count(table)
    );
    // What failed; the places not enabled (nothing there) only counted.
    let failed: Vec<_> = all.table.failures.iter().filter(|f| f.failed()).collect();
    let not_enabled = all.table.failures.len() - failed.len();
    let not_enabled = (not_enabled > 0).then(|| format!("{not_enabled} not enabled"));
    let bottom = (!failed.is_empty()).then(|| {
        let shown: Vec<String> = failed
            .iter()
            .take(3)
            .map(|f| match &f.region {
                Some(r) => format!("{} {r} ({})", f.account_id, f.code()),
                None => format!("{} ({})", f.account_id, f.code()),
            })
            .collect();
        let more = failed.len().saturating_sub(shown.len());
        let more = if more > 0 {
            format!(" +{more} more")
        } else {
            String::new()
        };
        let also = not_enabled
            .as_ref()
            .map(|n| format!(" · {n}"))
            .unwrap_or_default();
        format!(" failed: {}{more}{also} ", shown.join(", "))
    });
    let bottom = bottom.or_else(|| not_enabled.map(|n| format!(" {n} ")));
    let placeholder = if !table.items.is_empty() {
        table.visible.is_empty().then(|| {
            (
                "Nothing matches the filter (Esc clears it).".to_string(),
                false,
            )
        })
    } else if loading {
        Some((
            format!(
                "Listing {what} in {} accounts; rows show as each account answers…",
                all.accounts
            ),
            false,
        ))
    } else if all.accounts == 0 && all.table.failures.is_empty() {
        Some((
            "No roles to list through: add [[role]] tables to the config (see config.example.toml), or r once the roles are discovered.".to_string(),
            false,
        ))
    } else {
        let mut text = format!("No {what} in {} of {} accounts.", all.ok, all.accounts);
        let is_error = !all.table.failures.is_empty();
        if is_error {
            // What failed, a line each; then each distinct hint once (a hung network gives every
            // account the same one).
            text.push_str(" r tries again.\n");
            let mut hints: Vec<&str> = Vec::new();
            for f in &all.table.failures {
                text.push_str(&format!("\n{}: {}", f.place(), f.error));
                if let Some(h) = f.error.hint.as_deref().filter(|h| !hints.contains(h)) {
                    hints.push(h);
                }
            }
            for h in hints {
                text.push_str(&format!("\n\n{h}"));
            }
        }
        Some((text, is_error))
    };
    Chrome {
        title,
        bottom,
        placeholder,
    }
}

/// How many regions answered, all accounts together: ` · 13 204/17 000 regions` while it runs,
/// ` · 17 000 regions` once every one did. Nothing for a kind listed once per account.
fn regions(all: &AllView, loading: bool) -> String {
    if all.table.kind.about().reach == Reach::Global || all.regions == 0 {
        return String::new();
    }
    let of = grouped(all.regions);
    let s = if all.regions == 1 { "" } else { "s" };
    if loading || all.regions_answered < all.regions {
        format!(" · {}/{of} region{s}", grouped(all.regions_answered))
    } else {
        format!(" · {of} region{s}")
    }
}

/// A count in groups of three digits: `17 000`.
fn grouped(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

/// An every-account table view.
pub fn draw(frame: &mut Frame, area: Rect, all: &AllView, state: &State, theme: &Theme) {
    let chrome = chrome(all, state, state.is_listing(state.view));
    view(frame, area, &all.table, chrome, state, theme);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_grouped_by_three_digits() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1000), "1 000");
        assert_eq!(grouped(13204), "13 204");
        assert_eq!(grouped(1234567), "1 234 567");
    }
}
