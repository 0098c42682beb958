//! Drawing any resource table: the columns that fit, the rows in view, the frame around them,
//! and the details pane over it. What the columns are comes from `crate::resources`.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Block, Borders, Cell, Clear, Paragraph, Row as TableRow, Table, TableState, Wrap,
};
use ratatui::Frame;

use super::Theme;
use crate::app::state::{State, TableView};
use crate::resources::{DetailLine, Details, Head, Look, Row};

/// The columns that fit in `width`, dropping the least important first.
pub fn fit(heads: &[Head], width: u16) -> Vec<usize> {
    let mut keep: Vec<usize> = (0..heads.len()).collect();
    let total = |k: &[usize]| k.iter().map(|&i| heads[i].width + 1).sum::<u16>();
    while total(&keep) > width && keep.len() > 2 {
        let drop = keep
            .iter()
            .enumerate()
            .max_by_key(|(_, &i)| heads[i].drop)
            .map(|(pos, _)| pos);
        match drop {
            Some(pos) if heads[keep[pos]].drop > 0 => {
                keep.remove(pos);
            }
            _ => break,
        }
    }
    keep
}

/// Columns' widths on screen, in cells.
pub fn text_width(s: &str) -> u16 {
    u16::try_from(Span::raw(s).width()).unwrap_or(u16::MAX)
}

/// Gives the room a row has left (of `total`, `spacing` between columns) to the columns whose
/// text (`need`) is cut, left to right, up to what each needs: a long account or role name is
/// shown whole when the screen has room, and no column is dropped for it.
pub fn grow(widths: &mut [u16], need: &[u16], total: u16, spacing: u16) {
    let used: u16 = widths.iter().sum::<u16>()
        + spacing.saturating_mul(u16::try_from(widths.len().saturating_sub(1)).unwrap_or(0));
    let mut spare = total.saturating_sub(used);
    for (w, &n) in widths.iter_mut().zip(need) {
        if spare == 0 {
            break;
        }
        if n > *w {
            let more = (n - *w).min(spare);
            *w += more;
            spare -= more;
        }
    }
}

/// "12", or "3/12 /web" while filtered.
pub fn count(table: &TableView) -> String {
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

/// What a table is framed with: its title, a note under it, and the message shown instead of
/// rows (`true`: an error).
pub struct Chrome {
    pub title: String,
    pub bottom: Option<String>,
    pub placeholder: Option<(String, bool)>,
}

/// A cell as the theme shows it.
fn span(
    text: String,
    look: Look,
    account: Option<&str>,
    state: &State,
    theme: &Theme,
) -> Span<'static> {
    let style = match look {
        Look::Plain => Style::default(),
        Look::Name => Style::default().add_modifier(Modifier::BOLD),
        Look::State => theme.state(&text),
        Look::Account => theme.account(
            account
                .and_then(|id| state.account(id))
                .and_then(|a| a.color.as_deref()),
        ),
    };
    Span::styled(text, style)
}

/// Draws `table` in `area` inside `chrome`: the header (with the sort arrow), the rows in view.
pub fn draw(
    frame: &mut Frame,
    area: Rect,
    table: &TableView,
    chrome: Chrome,
    state: &State,
    theme: &Theme,
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
    let heads = table.kind.heads(table.every);
    let keep = fit(&heads, inner.width);
    let header = TableRow::new(keep.iter().map(|&i| {
        let mut name = heads[i].title.to_string();
        if let Some((c, desc)) = table.sort {
            if c == i {
                name.push(if desc { '↓' } else { '↑' });
            }
        }
        Cell::from(name)
    }))
    .style(theme.header());
    let height = usize::from(inner.height.saturating_sub(1));
    let page: Vec<(&Row, Vec<(String, Look)>)> = table
        .visible
        .iter()
        .skip(table.list.offset)
        .take(height)
        .map(|&i| {
            let row = &table.items[i];
            (row, keep.iter().map(|&c| row.cell(c, state.now)).collect())
        })
        .collect();
    let mut widths: Vec<u16> = keep.iter().map(|&i| heads[i].width).collect();
    let need: Vec<u16> = (0..keep.len())
        .map(|k| {
            page.iter()
                .map(|(_, cells)| text_width(&cells[k].0))
                .max()
                .unwrap_or(0)
        })
        .collect();
    grow(&mut widths, &need, inner.width, 1);
    let rows: Vec<TableRow> =
        page.into_iter()
            .map(|(row, cells)| {
                TableRow::new(cells.into_iter().map(|(text, look)| {
                    Cell::from(span(text, look, row.account_id(), state, theme))
                }))
            })
            .collect();
    let widths: Vec<Constraint> = widths.into_iter().map(Constraint::Length).collect();
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

fn title(what: &str, table: &TableView, state: &State) -> String {
    let role = table
        .role
        .as_ref()
        .map(|r| state.role_title(r))
        .unwrap_or_default();
    let note = table
        .note
        .as_ref()
        .map(|n| format!(" · {n}"))
        .unwrap_or_default();
    format!(
        " {what} of {role}{} [{}]{note} ",
        window(table, state),
        count(table)
    )
}

/// " · resource i-0abc… · ⚠ trail main stopped logging at … · last 1day (11-21 18:00–11-22
/// 18:00)" for a query kind's table: what it looks up, what the listing found worth saying
/// (before the window, so a narrow screen still shows it; the status line has it whole), and
/// the window it shows. In a role's table a note leaves out the account the title names.
pub fn window(table: &TableView, state: &State) -> String {
    let mut out = String::new();
    if let Some(s) = &table.subject {
        out.push_str(&format!(" · {s}"));
    }
    let own = table
        .role
        .as_ref()
        .filter(|_| !table.every)
        .map(|r| format!("account {}", r.account_id()));
    let note = |n: &'_ str| -> String {
        match &own {
            Some(account) if n.starts_with(account.as_str()) => {
                n.split_once(": ").map_or(n, |(_, rest)| rest).to_string()
            }
            _ => n.to_string(),
        }
    };
    match &table.notes[..] {
        [] => {}
        [one] => out.push_str(&format!(" · ⚠ {}", note(one))),
        [first, more @ ..] => out.push_str(&format!(" · ⚠ {} (+{} more)", note(first), more.len())),
    }
    if let Some(w) = table.window {
        out.push_str(&format!(" · {}", w.label(state.tz)));
    }
    out
}

/// What failed, in a word each, under a table: the status line has the whole story but may be
/// cut.
fn region_failures(table: &TableView) -> Option<String> {
    // A place not enabled (nothing there) is only counted.
    let not_enabled = table.failures.iter().filter(|f| !f.failed()).count();
    let not_enabled = (not_enabled > 0).then(|| format!("{not_enabled} not enabled"));
    let Some(first) = table.failures.iter().find(|f| f.failed()) else {
        return not_enabled.map(|n| format!(" {n} "));
    };
    let failed: Vec<&str> = table
        .failures
        .iter()
        .filter(|f| f.failed())
        .map(|f| f.region.as_deref().unwrap_or("?"))
        .collect();
    let kept = if table.kept > 0 {
        let rows = if table.kept == 1 { "row" } else { "rows" };
        format!("; {} earlier {rows} kept", table.kept)
    } else {
        String::new()
    };
    let why = first.error.code_or_kind();
    let also = not_enabled.map(|n| format!(" · {n}")).unwrap_or_default();
    Some(format!(
        " failed: {} ({why}){also}{kept} ",
        failed.join(", ")
    ))
}

/// The message a table shows instead of rows, if any.
fn placeholder(
    what: &str,
    table: &TableView,
    state: &State,
    loading: bool,
) -> Option<(String, bool)> {
    if let Some(e) = &table.error {
        let mut text = e.to_string();
        if let Some(h) = &e.hint {
            text.push_str("\n\n");
            text.push_str(h);
        }
        text.push_str("\n\nr tries again.");
        return Some((text, true));
    }
    if loading && table.items.is_empty() {
        return Some((
            format!("Listing {what} in {}…", table.regions.join(", ")),
            false,
        ));
    }
    if let Some(role) = &table.role {
        if !loading && table.items.is_empty() {
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
pub fn role_chrome(table: &TableView, state: &State, loading: bool) -> Chrome {
    let what = table.kind.noun();
    Chrome {
        title: title(what, table, state),
        bottom: region_failures(table),
        placeholder: placeholder(what, table, state, loading),
    }
}

/// A details pane's lines as the theme shows them.
fn lines(lines: &[DetailLine], theme: &Theme) -> Vec<Line<'static>> {
    lines
        .iter()
        .map(|l| match l {
            DetailLine::Pair(key, value) => Line::from(vec![
                Span::styled(format!("{key:<20}"), theme.header()),
                Span::raw(value.clone()),
            ]),
            DetailLine::Section(title) => Line::from(Span::styled(title.clone(), theme.title())),
            DetailLine::Text(text) => Line::from(text.clone()),
            DetailLine::Blank => Line::default(),
        })
        .collect()
}

/// A details pane: what is on the left and on the right, side by side when there is room.
pub type Panes = (Vec<Line<'static>>, Vec<Line<'static>>);

/// A pane over the table: two columns when there is room (and a right one), else one after the
/// other; `hint` names the keys under it.
pub fn detail(
    frame: &mut Frame,
    area: Rect,
    title: &str,
    (left, right): Panes,
    hint: &str,
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
        .title_bottom(Span::styled(format!(" {hint} "), theme.dim()));
    let inner = block.inner(pane);
    frame.render_widget(block, pane);
    if inner.width >= 90 && !right.is_empty() {
        let [l, r] = Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)])
            .spacing(2)
            .areas(inner);
        frame.render_widget(Paragraph::new(left).wrap(Wrap { trim: false }), l);
        frame.render_widget(Paragraph::new(right).wrap(Wrap { trim: false }), r);
    } else {
        let mut all = left;
        all.push(Line::default());
        all.extend(right);
        frame.render_widget(Paragraph::new(all).wrap(Wrap { trim: false }), inner);
    }
}

/// A table view: the table, and the selected row's details over it when they are open.
pub fn view(
    frame: &mut Frame,
    area: Rect,
    table: &TableView,
    chrome: Chrome,
    state: &State,
    theme: &Theme,
) {
    draw(frame, area, table, chrome, state, theme);
    if table.detail {
        if let Some(row) = table.selected_item() {
            let find = |kind, id: &str| state.find_row(kind, id);
            let d: Details = row.details(&state.lookup(&find));
            let panes = (lines(&d.left, theme), lines(&d.right, theme));
            detail(
                frame,
                area,
                &d.title,
                panes,
                "Esc closes · Y copies the id",
                theme,
            );
        }
    }
}

/// A role's table view.
pub fn of_role(frame: &mut Frame, area: Rect, table: &TableView, state: &State, theme: &Theme) {
    let chrome = role_chrome(table, state, state.is_listing(state.view));
    view(frame, area, table, chrome, state, theme);
}
