//! The sessions view: every role assumed in this run, its expiry and state, live.

use ratatui::layout::{Constraint, Rect};
use ratatui::text::Span;
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, TableState};
use ratatui::Frame;

use super::table::{grow, text_width};
use super::tree::session_label;
use super::{clock, Theme};
use crate::app::state::{SessionStatus, State};

pub fn draw(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let arns = state.session_roles();
    let block = Block::default().borders(Borders::ALL).title(Span::styled(
        format!(" sessions [{}] ", arns.len()),
        theme.title(),
    ));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if arns.is_empty() {
        frame.render_widget(
            Paragraph::new("No sessions yet: Enter on a role in the tree assumes it.")
                .style(theme.dim()),
            inner,
        );
        return;
    }
    let header = Row::new([
        "ROLE",
        "ACCOUNT",
        "STATE",
        "EXPIRES",
        "LEFT",
        "REFRESHES",
        "LAST ERROR",
    ])
    .style(theme.header());
    let height = usize::from(inner.height.saturating_sub(1));
    let page: Vec<_> = arns
        .iter()
        .skip(state.sessions_list.offset)
        .take(height)
        .map(|arn| {
            let info = &state.sessions[arn];
            let status = info.status(state.now);
            let expires = info
                .expiration
                .map(|e| e.with_timezone(&state.tz).format("%H:%M:%S").to_string())
                .unwrap_or_else(|| "-".into());
            let left = match (status, info.expiration) {
                (SessionStatus::Expired, _) => "0:00".to_string(),
                (_, Some(e)) => clock((e - state.now).num_seconds()),
                _ => "-".into(),
            };
            let label = state
                .role(arn)
                .map(|r| r.label())
                .unwrap_or_else(|| arn.name_with_path());
            let account = state
                .account(arn.account_id())
                .and_then(|a| a.name.clone())
                .map(|n| format!("{} ({n})", arn.account_id()))
                .unwrap_or_else(|| arn.account_id().to_string());
            (label, account, status, expires, left, info)
        })
        .collect();
    // ROLE and ACCOUNT take the room the row has left, as far as their text needs.
    let mut widths: Vec<u16> = vec![18, 22, 11, 8, 8, 9, 10];
    let need = [
        page.iter().map(|p| text_width(&p.0)).max().unwrap_or(0),
        page.iter().map(|p| text_width(&p.1)).max().unwrap_or(0),
    ];
    // Table's default spacing is 1 between each of the 7 columns.
    let others = widths[2..].iter().sum::<u16>() + 5;
    grow(
        &mut widths[..2],
        &need,
        inner.width.saturating_sub(others),
        1,
    );
    let rows: Vec<Row> = page
        .into_iter()
        .map(|(label, account, status, expires, left, info)| {
            Row::new(vec![
                Cell::from(label),
                Cell::from(account),
                Cell::from(session_label(status, false, theme)),
                Cell::from(expires),
                Cell::from(left),
                Cell::from(info.refresh_count.to_string()),
                Cell::from(Span::styled(
                    info.last_error.clone().unwrap_or_default(),
                    theme.error(),
                )),
            ])
        })
        .collect();
    let last = widths.len() - 1;
    let widths: Vec<Constraint> = widths
        .iter()
        .enumerate()
        .map(|(i, &w)| {
            if i == last {
                Constraint::Min(w)
            } else {
                Constraint::Length(w)
            }
        })
        .collect();
    let mut ts = TableState::default();
    ts.select(Some(
        state
            .sessions_list
            .selected
            .saturating_sub(state.sessions_list.offset),
    ));
    frame.render_stateful_widget(
        Table::new(rows, widths)
            .header(header)
            .row_highlight_style(theme.selected()),
        inner,
        &mut ts,
    );
}
