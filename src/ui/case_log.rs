//! The case log view: what was recorded, newest last, and an entry's whole JSON on Enter.

use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, TableState, Wrap};
use ratatui::Frame;

use super::table::detail;
use super::Theme;
use crate::app::state::State;
use crate::case::Entry;

/// `12:04:05` in the local zone, from the entry's RFC 3339 time.
fn clock(e: &Entry, state: &State) -> String {
    chrono::DateTime::parse_from_rfc3339(&e.ts)
        .map(|t| t.with_timezone(&state.tz).format("%H:%M:%S").to_string())
        .unwrap_or_else(|_| e.ts.clone())
}

/// What an entry was about, in a few words: its targets, else a result's count or error.
fn what(e: &Entry) -> String {
    let r = &e.record;
    if !r.target.is_empty() {
        return r.target.join(",");
    }
    if let Some(err) = r.result.get("error").and_then(|v| v.as_str()) {
        return format!("failed: {err}");
    }
    if let Some(n) = r.result.get("rows").and_then(|v| v.as_u64()) {
        return format!("{n} rows");
    }
    if let Some(x) = r.result.get("expiration").and_then(|v| v.as_str()) {
        return format!("until {x}");
    }
    r.params
        .get("title")
        .and_then(|v| v.as_str())
        .unwrap_or("")
        .to_string()
}

pub fn draw(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let log = &state.log;
    let title = match &state.case {
        Some(c) => {
            let count = if log.list.filter.is_empty() {
                format!("{}", log.entries.len())
            } else {
                format!(
                    "{}/{} /{}",
                    log.visible.len(),
                    log.entries.len(),
                    log.list.filter
                )
            };
            format!(" log of case {} [{count}] ", c.id)
        }
        None => " case log ".to_string(),
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .title(Span::styled(title, theme.title()));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let placeholder = match &state.case {
        None => Some("No case is open, so nothing is recorded. :case open ID [title] opens one (or rolecall case open ID); from then on every assume, listing, link, sign-in and export is written here."),
        Some(_) if log.entries.is_empty() => Some("Nothing recorded yet."),
        Some(_) if log.visible.is_empty() => Some("Nothing matches the filter (Esc clears it)."),
        Some(_) => None,
    };
    if let Some(text) = placeholder {
        frame.render_widget(
            Paragraph::new(text)
                .style(theme.dim())
                .wrap(Wrap { trim: false }),
            inner,
        );
        return;
    }
    let header =
        Row::new(["SEQ", "TIME", "ACTION", "ACCOUNT", "ROLE", "WHAT"]).style(theme.header());
    let height = usize::from(inner.height.saturating_sub(1));
    let rows: Vec<Row> = log
        .visible
        .iter()
        .skip(log.list.offset)
        .take(height)
        .map(|&i| {
            let e = &log.entries[i];
            let role = e
                .record
                .role_arn
                .as_deref()
                .and_then(|a| a.split_once(":role/").map(|(_, n)| n.to_string()))
                .unwrap_or_else(|| "-".into());
            let account = e.record.account_id.clone().unwrap_or_else(|| "-".into());
            let style = if e.record.result.get("error").is_some() {
                theme.error()
            } else {
                ratatui::style::Style::default()
            };
            Row::new(vec![
                Cell::from(e.seq.to_string()),
                Cell::from(clock(e, state)),
                Cell::from(e.record.action.clone()),
                Cell::from(account),
                Cell::from(role),
                Cell::from(what(e)),
            ])
            .style(style)
        })
        .collect();
    // As wide as the longest action shown ("snapshot.forensic-copy"), within reason.
    let action_width = log
        .visible
        .iter()
        .skip(log.list.offset)
        .take(height)
        .map(|&i| log.entries[i].record.action.chars().count())
        .max()
        .unwrap_or(6)
        .clamp(6, 24);
    let widths = [
        Constraint::Length(5),
        Constraint::Length(8),
        Constraint::Length(u16::try_from(action_width).unwrap_or(24)),
        Constraint::Length(12),
        Constraint::Length(18),
        Constraint::Min(10),
    ];
    let mut ts = TableState::default();
    ts.select(Some(log.list.selected.saturating_sub(log.list.offset)));
    let table = Table::new(rows, widths)
        .header(header)
        .column_spacing(1)
        .row_highlight_style(theme.selected());
    frame.render_stateful_widget(table, inner, &mut ts);
    if log.detail {
        if let Some(e) = log.selected() {
            let json = serde_json::to_string_pretty(e).unwrap_or_default();
            let lines: Vec<Line<'static>> =
                json.lines().map(|l| Line::from(l.to_string())).collect();
            detail(
                frame,
                area,
                &format!(" entry {} · {} ", e.seq, e.record.action),
                (lines, Vec::new()),
                "Esc closes",
                theme,
            );
        }
    }
}
