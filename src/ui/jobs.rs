//! The jobs view (`J`): the responder actions of this run, and one's steps on Enter.

use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, TableState, Wrap};
use ratatui::Frame;

use super::table::detail;
use super::Theme;
use crate::app::state::{ActionRow, ActionState, State};

fn state_text(row: &ActionRow) -> &'static str {
    match row.state {
        ActionState::Running => "running",
        ActionState::Done => "done",
        ActionState::Stopped => "stopped",
    }
}

pub fn draw(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let block = Block::default().borders(Borders::ALL).title(Span::styled(
        format!(" jobs [{}] ", state.actions.len()),
        theme.title(),
    ));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if state.actions.is_empty() {
        let text = match &state.case {
            Some(_) => "No action yet: S snapshots, X isolates, C captures the selected instance (in a table).",
            None => "No action yet. Actions change things in an account, so they need an open case: :case open ID, then S, X or C on an instance.",
        };
        frame.render_widget(
            Paragraph::new(text)
                .style(theme.dim())
                .wrap(Wrap { trim: false }),
            inner,
        );
        return;
    }
    let header = Row::new(["#", "STATE", "ACTION", "ACCOUNT", "LAST STEP"]).style(theme.header());
    let height = usize::from(inner.height.saturating_sub(1));
    let list = &state.jobs_list;
    let rows: Vec<Row> = state
        .actions
        .iter()
        .skip(list.offset)
        .take(height)
        .map(|r| {
            let style = match r.state {
                ActionState::Stopped => theme.error(),
                ActionState::Running => theme.key(),
                ActionState::Done => ratatui::style::Style::default(),
            };
            let last = match &r.outcome {
                Some(o) => o
                    .error
                    .clone()
                    .or_else(|| o.done.last().cloned())
                    .unwrap_or_default(),
                None => r
                    .steps
                    .last()
                    .cloned()
                    .unwrap_or_else(|| "starting…".into()),
            };
            Row::new(vec![
                Cell::from(r.n.to_string()),
                Cell::from(state_text(r)),
                Cell::from(r.title.clone()),
                Cell::from(r.account.clone()),
                Cell::from(last),
            ])
            .style(style)
        })
        .collect();
    let widths = [
        Constraint::Length(3),
        Constraint::Length(8),
        Constraint::Length(40),
        Constraint::Length(20),
        Constraint::Min(10),
    ];
    let mut ts = TableState::default();
    ts.select(Some(list.selected.saturating_sub(list.offset)));
    frame.render_stateful_widget(
        Table::new(rows, widths)
            .header(header)
            .column_spacing(1)
            .row_highlight_style(theme.selected()),
        inner,
        &mut ts,
    );
    if state.jobs_detail {
        if let Some(r) = state.actions.get(list.selected) {
            let mut lines: Vec<Line<'static>> = vec![Line::from(Span::styled(
                format!("{} · {} · {}", r.title, r.account, state_text(r)),
                theme.header(),
            ))];
            for s in &r.steps {
                lines.push(Line::from(format!("  {s}")));
            }
            if let Some(o) = &r.outcome {
                if let Some(e) = &o.error {
                    lines.push(Line::default());
                    lines.push(Line::from(Span::styled(
                        format!("stopped: {e}"),
                        theme.error(),
                    )));
                }
                for n in &o.not_done {
                    lines.push(Line::from(Span::styled(
                        format!("not done: {n}"),
                        theme.error(),
                    )));
                }
                if !o.created.is_empty() {
                    lines.push(Line::default());
                    lines.push(Line::from(format!("made: {}", o.created.join(", "))));
                }
            }
            detail(
                frame,
                area,
                &format!(" #{} ", r.n),
                (lines, Vec::new()),
                "Esc closes",
                theme,
            );
        }
    }
}
