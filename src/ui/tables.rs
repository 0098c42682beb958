//! The instance and volume tables, and their detail panes.

use chrono::{DateTime, Utc};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Block, Borders, Cell, Clear, Paragraph, Row as TableRow, Table, TableState, Wrap,
};
use ratatui::Frame;

use super::Theme;
use crate::app::state::{AllView, State, TableView};
use crate::app::table::{InAccount, Row};
use crate::aws::ec2::{Instance, Volume};
use crate::inventory::AccountRow;
use crate::output::age;

/// A column: its width and how much it matters when the screen is narrow (higher goes first).
#[derive(Clone, Copy)]
struct Col {
    width: u16,
    drop_order: u8,
}

/// The columns that fit in `width`, dropping the least important first.
fn fit(cols: &[Col], width: u16) -> Vec<usize> {
    let mut keep: Vec<usize> = (0..cols.len()).collect();
    let total = |k: &[usize]| k.iter().map(|&i| cols[i].width + 1).sum::<u16>();
    while total(&keep) > width && keep.len() > 2 {
        let drop = keep
            .iter()
            .enumerate()
            .max_by_key(|(_, &i)| cols[i].drop_order)
            .map(|(pos, _)| pos);
        match drop {
            Some(pos) if cols[keep[pos]].drop_order > 0 => {
                keep.remove(pos);
            }
            _ => break,
        }
    }
    keep
}

/// "12", or "3/12 /web" while filtered.
fn count<T>(table: &TableView<T>) -> String {
    if table.list.filter.is_empty() {
        format!("{}", table.items.len())
    } else {
        format!(
            "{}/{} /{}",
            table.visible.len(),
            table.items.len(),
            table.list.filter
        )
    }
}

fn title<T: Row>(what: &str, table: &TableView<T>, state: &State) -> String {
    let role = table
        .role
        .as_ref()
        .map(|r| state.role_title(r))
        .unwrap_or_default();
    format!(" {what} of {role} [{}] ", count(table))
}

/// What failed, in a word each, under a table: the status line has the whole story but may be
/// cut.
fn region_failures<T>(table: &TableView<T>) -> Option<String> {
    let first = table.failures.first()?;
    let failed: Vec<&str> = table.failures.iter().map(|f| f.region.as_str()).collect();
    let kept = if table.kept > 0 {
        let rows = if table.kept == 1 { "row" } else { "rows" };
        format!("; {} earlier {rows} kept", table.kept)
    } else {
        String::new()
    };
    let why = first
        .error
        .code
        .clone()
        .unwrap_or_else(|| format!("{:?}", first.error.kind));
    Some(format!(" failed: {} ({why}){kept} ", failed.join(", ")))
}

/// What a table is framed with: its title, a note under it, and the message shown instead of
/// rows (`true`: an error).
struct Chrome {
    title: String,
    bottom: Option<String>,
    placeholder: Option<(String, bool)>,
}

/// The message a table shows instead of rows, if any.
fn placeholder<T: Row>(what: &str, table: &TableView<T>, state: &State) -> Option<(String, bool)> {
    if let Some(e) = &table.error {
        let mut text = e.to_string();
        if let Some(h) = &e.hint {
            text.push_str("\n\n");
            text.push_str(h);
        }
        text.push_str("\n\nr tries again.");
        return Some((text, true));
    }
    if table.loading.is_some() && table.items.is_empty() {
        return Some((
            format!("Listing {what} in {}…", table.regions.join(", ")),
            false,
        ));
    }
    if let Some(role) = &table.role {
        if table.loading.is_none() && table.items.is_empty() {
            let status = state.session_status(role);
            use crate::app::state::SessionStatus::*;
            return Some(match status {
                Assuming => ("Assuming the role…".to_string(), false),
                Refreshing => ("Refreshing the session…".to_string(), false),
                _ if table.regions.is_empty() => ("Waiting for the session…".to_string(), false),
                _ => (
                    format!(
                        "No {what} in account {} in {}.",
                        role.account_id(),
                        table.regions.join(", ")
                    ),
                    false,
                ),
            });
        }
    }
    if table.visible.is_empty() && !table.items.is_empty() {
        return Some((
            "Nothing matches the filter (Esc clears it).".to_string(),
            false,
        ));
    }
    None
}

/// The frame of a role's table.
fn chrome<T: Row>(table: &TableView<T>, state: &State) -> Chrome {
    Chrome {
        title: title(T::NOUN, table, state),
        bottom: region_failures(table),
        placeholder: placeholder(T::NOUN, table, state),
    }
}

fn draw_table<T: Row>(
    frame: &mut Frame,
    area: Rect,
    table: &TableView<T>,
    chrome: Chrome,
    theme: &Theme,
    cols: &[Col],
    cells: impl Fn(&T) -> Vec<Span<'static>>,
) {
    let mut block = Block::default()
        .borders(Borders::ALL)
        .title(Span::styled(chrome.title, theme.title()));
    if let Some(note) = chrome.bottom {
        block = block.title_bottom(Span::styled(note, theme.error()));
    }
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if let Some((text, is_error)) = chrome.placeholder {
        let style = if is_error { theme.error() } else { theme.dim() };
        frame.render_widget(
            Paragraph::new(text).style(style).wrap(Wrap { trim: false }),
            inner,
        );
        return;
    }
    let keep = fit(cols, inner.width);
    let header = TableRow::new(keep.iter().map(|&i| {
        let mut name = T::COLUMNS[i].to_string();
        if let Some((c, desc)) = table.sort {
            if c == i {
                name.push(if desc { '↓' } else { '↑' });
            }
        }
        Cell::from(name)
    }))
    .style(theme.header());
    let height = usize::from(inner.height.saturating_sub(1));
    let rows: Vec<TableRow> = table
        .visible
        .iter()
        .skip(table.list.offset)
        .take(height)
        .map(|&i| {
            let all = cells(&table.items[i]);
            TableRow::new(keep.iter().map(|&c| Cell::from(all[c].clone())))
        })
        .collect();
    let widths: Vec<Constraint> = keep
        .iter()
        .map(|&i| Constraint::Length(cols[i].width))
        .collect();
    let mut ts = TableState::default();
    if !rows.is_empty() {
        ts.select(Some(table.list.selected.saturating_sub(table.list.offset)));
    }
    let widget = Table::new(rows, widths)
        .header(header)
        .column_spacing(1)
        .row_highlight_style(theme.selected());
    frame.render_stateful_widget(widget, inner, &mut ts);
}

/// A resource's Name tag in bold, or `-`.
fn name_cell(name: &str) -> Span<'static> {
    let text = if name.is_empty() { "-" } else { name };
    Span::styled(
        text.to_string(),
        Style::default().add_modifier(Modifier::BOLD),
    )
}

fn or_dash(s: &Option<String>) -> String {
    s.clone().unwrap_or_else(|| "-".into())
}

fn instance_cells(i: &Instance, now: DateTime<Utc>, theme: &Theme) -> Vec<Span<'static>> {
    vec![
        name_cell(&i.name),
        Span::raw(i.instance_id.clone()),
        Span::styled(i.state.clone(), theme.state(&i.state)),
        Span::raw(i.instance_type.clone()),
        Span::raw(i.availability_zone.clone()),
        Span::raw(or_dash(&i.private_ip)),
        Span::raw(or_dash(&i.public_ip)),
        Span::raw(age(i.launch_time.as_ref(), now)),
        Span::raw(i.volume_ids.len().to_string()),
    ]
}

const INSTANCE_COLS: [Col; 9] = [
    Col {
        width: 16,
        drop_order: 0,
    },
    Col {
        width: 19,
        drop_order: 0,
    },
    Col {
        width: 13,
        drop_order: 0,
    },
    Col {
        width: 11,
        drop_order: 4,
    },
    Col {
        width: 11,
        drop_order: 3,
    },
    Col {
        width: 15,
        drop_order: 1,
    },
    Col {
        width: 15,
        drop_order: 5,
    },
    Col {
        width: 4,
        drop_order: 2,
    },
    Col {
        width: 4,
        drop_order: 6,
    },
];

pub fn instances(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let now = state.now;
    draw_table(
        frame,
        area,
        &state.instances,
        chrome(&state.instances, state),
        theme,
        &INSTANCE_COLS,
        |i| instance_cells(i, now, theme),
    );
    if state.instances.detail {
        if let Some(i) = state.instances.selected_item() {
            detail(
                frame,
                area,
                &format!(" {} {} ", i.instance_id, i.name),
                instance_detail(i, state, theme),
                theme,
            );
        }
    }
}

const VOLUME_COLS: [Col; 9] = [
    Col {
        width: 21,
        drop_order: 0,
    },
    Col {
        width: 14,
        drop_order: 0,
    },
    Col {
        width: 8,
        drop_order: 0,
    },
    Col {
        width: 5,
        drop_order: 3,
    },
    Col {
        width: 9,
        drop_order: 0,
    },
    Col {
        width: 3,
        drop_order: 4,
    },
    Col {
        width: 19,
        drop_order: 1,
    },
    Col {
        width: 22,
        drop_order: 6,
    },
    Col {
        width: 11,
        drop_order: 5,
    },
];

pub fn volumes(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    draw_table(
        frame,
        area,
        &state.volumes,
        chrome(&state.volumes, state),
        theme,
        &VOLUME_COLS,
        |v| volume_cells(v, theme),
    );
    if state.volumes.detail {
        if let Some(v) = state.volumes.selected_item() {
            detail(
                frame,
                area,
                &format!(" {} {} ", v.volume_id, v.name),
                volume_detail(v, theme),
                theme,
            );
        }
    }
}

fn volume_cells(v: &Volume, theme: &Theme) -> Vec<Span<'static>> {
    vec![
        Span::raw(v.volume_id.clone()),
        name_cell(&v.name),
        Span::raw(format!("{} GiB", v.size_gib)),
        Span::raw(v.volume_type.clone()),
        Span::styled(v.state.clone(), theme.state(&v.state)),
        Span::raw(if v.encrypted { "yes" } else { "no" }.to_string()),
        Span::raw(if v.attached_to.is_empty() {
            "-".into()
        } else {
            v.attached_to.join(",")
        }),
        Span::raw(or_dash(&v.snapshot_id)),
        Span::raw(v.availability_zone.clone()),
    ]
}

/// The frame of an every-account table: how many accounts answered, and which failed.
fn all_chrome<T: InAccount>(all: &AllView<T>) -> Chrome {
    let what = T::NOUN;
    let table = &all.table;
    let accounts = format!(
        "{} account{}",
        all.accounts,
        if all.accounts == 1 { "" } else { "s" }
    );
    let progress = if table.loading.is_some() {
        format!("{}/{accounts} answered…", all.done)
    } else {
        accounts
    };
    let title = format!(" {what} of every account [{}] · {progress} ", count(table));
    let bottom = (!all.failures.is_empty()).then(|| {
        let shown: Vec<String> = all
            .failures
            .iter()
            .take(3)
            .map(|f| match &f.region {
                Some(r) => format!("{} {r} ({})", f.account_id, f.code),
                None => format!("{} ({})", f.account_id, f.code),
            })
            .collect();
        let more = all.failures.len().saturating_sub(shown.len());
        let more = if more > 0 {
            format!(" +{more} more")
        } else {
            String::new()
        };
        format!(" failed: {}{more} ", shown.join(", "))
    });
    let placeholder = if !table.items.is_empty() {
        table.visible.is_empty().then(|| {
            (
                "Nothing matches the filter (Esc clears it).".to_string(),
                false,
            )
        })
    } else if table.loading.is_some() {
        Some((
            format!(
                "Listing {what} in {} accounts; rows show as each account answers…",
                all.accounts
            ),
            false,
        ))
    } else if all.accounts == 0 && all.failures.is_empty() {
        Some((
            "No roles to list through: add [[role]] tables to the config (see config.example.toml), or r once the roles are discovered.".to_string(),
            false,
        ))
    } else {
        let mut text = format!("No {what} in {} of {} accounts.", all.ok, all.accounts);
        let is_error = !all.failures.is_empty();
        if is_error {
            // What failed, a line each; then each distinct hint once (a hung network gives every
            // account the same one).
            text.push_str(" r tries again.\n");
            let mut hints: Vec<&str> = Vec::new();
            for f in &all.failures {
                text.push_str(&format!("\n{}: {}", f.place(), f.error));
                if let Some(h) = f.hint.as_deref().filter(|h| !hints.contains(h)) {
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

/// The ACCOUNT column first (its name, else its id, in its colour), then the resource's own.
fn account_cells<T: InAccount>(
    row: &AccountRow<T>,
    state: &State,
    theme: &Theme,
    cells: &[Span<'static>],
) -> Vec<Span<'static>> {
    let color = state
        .account(&row.account_id)
        .and_then(|a| a.color.as_deref());
    let label = row
        .account_name
        .clone()
        .unwrap_or_else(|| row.account_id.clone());
    let mut out = vec![Span::styled(label, theme.account(color))];
    out.extend(T::SHOWN.iter().map(|&c| cells[c].clone()));
    out
}

fn account_cols<T: InAccount>(own: &[Col]) -> Vec<Col> {
    let mut cols = vec![Col {
        width: 12,
        drop_order: 0,
    }];
    cols.extend(T::SHOWN.iter().map(|&c| own[c]));
    cols
}

/// Which account and role a row came through, above its details.
fn account_lines<T>(row: &AccountRow<T>, theme: &Theme) -> Vec<Line<'static>> {
    let account = match &row.account_name {
        Some(n) => format!("{} ({n})", row.account_id),
        None => row.account_id.clone(),
    };
    vec![
        kv("account", account, theme),
        kv(
            "listed via role",
            row.role_arn
                .split_once(":role/")
                .map_or(row.role_arn.as_str(), |(_, name)| name)
                .to_string(),
            theme,
        ),
    ]
}

pub fn all_instances(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let all = &state.all_instances;
    let now = state.now;
    draw_table(
        frame,
        area,
        &all.table,
        all_chrome(all),
        theme,
        &account_cols::<Instance>(&INSTANCE_COLS),
        |r| account_cells(r, state, theme, &instance_cells(&r.item, now, theme)),
    );
    if all.table.detail {
        if let Some(r) = all.table.selected_item() {
            let (mut left, right) = instance_detail(&r.item, state, theme);
            left.splice(0..0, account_lines(r, theme));
            detail(
                frame,
                area,
                &format!(" {} {} ", r.item.instance_id, r.item.name),
                (left, right),
                theme,
            );
        }
    }
}

pub fn all_volumes(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let all = &state.all_volumes;
    draw_table(
        frame,
        area,
        &all.table,
        all_chrome(all),
        theme,
        &account_cols::<Volume>(&VOLUME_COLS),
        |r| account_cells(r, state, theme, &volume_cells(&r.item, theme)),
    );
    if all.table.detail {
        if let Some(r) = all.table.selected_item() {
            let (mut left, right) = volume_detail(&r.item, theme);
            left.splice(0..0, account_lines(r, theme));
            detail(
                frame,
                area,
                &format!(" {} {} ", r.item.volume_id, r.item.name),
                (left, right),
                theme,
            );
        }
    }
}

fn kv(key: &str, value: impl Into<String>, theme: &Theme) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!("{key:<20}"), theme.header()),
        Span::raw(value.into()),
    ])
}

fn section(title: &str, theme: &Theme) -> Line<'static> {
    Line::from(Span::styled(title.to_string(), theme.title()))
}

/// The instance's details: what it is and its tags (left), where it is and its disks (right).
fn instance_detail(
    i: &Instance,
    state: &State,
    theme: &Theme,
) -> (Vec<Line<'static>>, Vec<Line<'static>>) {
    let launched = i
        .launch_time
        .map(|t| {
            format!(
                "{} ({} ago)",
                t.with_timezone(&state.tz).format("%Y-%m-%d %H:%M:%S"),
                age(Some(&t), state.now)
            )
        })
        .unwrap_or_else(|| "-".into());
    let mut left = vec![
        kv("instance id", i.instance_id.clone(), theme),
        kv("state", i.state.clone(), theme),
        kv("type", i.instance_type.clone(), theme),
        kv(
            "region / AZ",
            format!("{} / {}", i.region, i.availability_zone),
            theme,
        ),
        kv("launched", launched, theme),
        kv("image", or_dash(&i.image_id), theme),
        kv("platform", or_dash(&i.platform), theme),
        kv("architecture", or_dash(&i.architecture), theme),
        kv("key pair", or_dash(&i.key_name), theme),
        kv("IAM profile", or_dash(&i.iam_instance_profile), theme),
        Line::default(),
        section("tags", theme),
    ];
    for (k, v) in &i.tags {
        left.push(kv(&format!("  {k}"), v.clone(), theme));
    }
    let mut right = vec![
        section("network", theme),
        kv("vpc", or_dash(&i.vpc_id), theme),
        kv("subnet", or_dash(&i.subnet_id), theme),
        kv("private ip", or_dash(&i.private_ip), theme),
        kv("private dns", or_dash(&i.private_dns_name), theme),
        kv("public ip", or_dash(&i.public_ip), theme),
        kv("public dns", or_dash(&i.public_dns_name), theme),
        kv("security groups", i.security_groups.join(", "), theme),
        Line::default(),
        section("volumes", theme),
    ];
    for id in &i.volume_ids {
        let known = state.volumes.items.iter().find(|v| &v.volume_id == id);
        let text = match known {
            Some(v) => format!(
                "{id}  {} GiB {} {}{}",
                v.size_gib,
                v.volume_type,
                v.state,
                if v.encrypted { " encrypted" } else { "" }
            ),
            None => id.clone(),
        };
        right.push(Line::from(format!("  {text}")));
    }
    (left, right)
}

fn volume_detail(v: &Volume, theme: &Theme) -> (Vec<Line<'static>>, Vec<Line<'static>>) {
    let left = vec![
        kv("volume id", v.volume_id.clone(), theme),
        kv("state", v.state.clone(), theme),
        kv("size", format!("{} GiB", v.size_gib), theme),
        kv("type", v.volume_type.clone(), theme),
        kv(
            "iops",
            v.iops.map(|n| n.to_string()).unwrap_or_else(|| "-".into()),
            theme,
        ),
        kv("encrypted", if v.encrypted { "yes" } else { "no" }, theme),
        kv("kms key", or_dash(&v.kms_key_id), theme),
        kv(
            "region / AZ",
            format!("{} / {}", v.region, v.availability_zone),
            theme,
        ),
        kv(
            "attached to",
            if v.attached_to.is_empty() {
                "-".into()
            } else {
                v.attached_to.join(", ")
            },
            theme,
        ),
        kv("snapshot", or_dash(&v.snapshot_id), theme),
        kv(
            "created",
            v.create_time
                .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
                .unwrap_or_else(|| "-".into()),
            theme,
        ),
    ];
    let mut right = vec![section("tags", theme)];
    for (k, val) in &v.tags {
        right.push(kv(&format!("  {k}"), val.clone(), theme));
    }
    (left, right)
}

/// A pane over the table: two columns when there is room, else one after the other.
fn detail(
    frame: &mut Frame,
    area: Rect,
    title: &str,
    (left, right): (Vec<Line<'static>>, Vec<Line<'static>>),
    theme: &Theme,
) {
    let pane = if area.width >= 100 {
        Rect {
            x: area.x + 2,
            y: area.y + 1,
            width: area.width.saturating_sub(4),
            height: area.height.saturating_sub(2),
        }
    } else {
        area
    };
    frame.render_widget(Clear, pane);
    let block = Block::default()
        .borders(Borders::ALL)
        .title(Span::styled(title.to_string(), theme.title()))
        .title_bottom(Span::styled(" Esc closes · Y copies the id ", theme.dim()));
    let inner = block.inner(pane);
    frame.render_widget(block, pane);
    if inner.width >= 90 {
        let [l, r] = Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)])
            .spacing(2)
            .areas(inner);
        frame.render_widget(Paragraph::new(left).wrap(Wrap { trim: false }), l);
        frame.render_widget(Paragraph::new(right).wrap(Wrap { trim: false }), r);
    } else {
        let mut lines = left;
        lines.push(Line::default());
        lines.extend(right);
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
    }
}
