//! Drawing: pure functions from state to a frame. No I/O, no clock (time is in the state).

mod case_log;
mod every;
mod jobs;
mod popup;
mod sessions;
mod table;
mod theme;
mod tree;

use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

pub use theme::Theme;

use crate::app::keys::bindings_for;
use crate::app::state::{Loadable, State, View};

const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

pub fn draw(frame: &mut Frame, state: &State, theme: &Theme) {
    let areas = crate::app::viewport::areas(frame.area());
    header(frame, areas.header, state, theme);
    match state.view {
        View::Tree => tree::draw(frame, areas.body, state, theme),
        View::Table { kind, every: false } => {
            table::of_role(frame, areas.body, state.tables.get(kind), state, theme)
        }
        View::Table { kind, every: true } => {
            every::draw(frame, areas.body, state.every(kind), state, theme)
        }
        View::Sessions => sessions::draw(frame, areas.body, state, theme),
        View::CaseLog => case_log::draw(frame, areas.body, state, theme),
        View::Jobs => jobs::draw(frame, areas.body, state, theme),
    }
    footer(frame, areas.footer, state, theme);
    status(frame, areas.status, state, theme);
    popup::draw(frame, state, theme);
}

fn header(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let mut spans = vec![Span::styled(" rolecall ", theme.title())];
    match &state.primary {
        Loadable::Loading => spans.push(Span::styled("│ primary: …", theme.dim())),
        Loadable::Ready(id) => spans.push(Span::raw(format!("│ {} ", id.account))),
        Loadable::Failed(_) => spans.push(Span::styled("│ primary: unknown ", theme.error())),
    }
    if let Some(c) = &state.case {
        spans.push(Span::raw("│ "));
        spans.push(Span::styled(format!("case {}", c.id), theme.key()));
        spans.push(Span::raw(" "));
    }
    if state.view.is_all() {
        let regions = match &state.region_override {
            Some(r) => r.join(","),
            None => "each role's regions".to_string(),
        };
        spans.push(Span::raw(format!("│ every account │ {regions} ")));
    } else if let Some(role) = &state.current {
        if !matches!(state.view, View::Tree | View::CaseLog | View::Jobs) {
            spans.push(Span::raw("│ "));
            let color = state
                .account(role.account_id())
                .and_then(|a| a.color.as_deref());
            spans.push(Span::styled(state.role_title(role), theme.account(color)));
            spans.push(Span::raw(format!(
                " │ {} ",
                state.regions_for(role).join(",")
            )));
        }
    }
    if state.is_loading() {
        spans.push(Span::styled(
            SPINNER[state.spinner % SPINNER.len()],
            theme.key(),
        ));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn footer(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let editing = Some(state.list(state.view)).filter(|l| l.editing);
    let line = if let Some(list) = editing {
        Line::from(vec![
            Span::styled(" /", theme.key()),
            Span::raw(list.filter.clone()),
            Span::styled("█", theme.dim()),
            Span::styled("  ⏎ keep  Esc clear", theme.dim()),
        ])
    } else {
        let mut spans = vec![Span::raw(" ")];
        for b in bindings_for(state.view, true) {
            spans.push(Span::styled(b.label.as_ref(), theme.key()));
            spans.push(Span::styled(
                format!(" {}  ", b.footer.unwrap_or(&b.help)),
                theme.dim(),
            ));
        }
        Line::from(spans)
    };
    frame.render_widget(Paragraph::new(line), area);
}

fn status(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let line = match &state.status {
        Some(s) if s.error => Line::from(vec![
            Span::styled(" ✗ ", theme.error()),
            Span::styled(s.text.clone(), theme.error()),
            Span::styled("  (Esc)", theme.dim()),
        ]),
        Some(s) => Line::from(vec![
            Span::styled(" ✓ ", theme.info()),
            Span::raw(s.text.clone()),
        ]),
        None => match &state.primary {
            Loadable::Ready(id) => Line::from(Span::styled(format!(" {}", id.arn), theme.dim())),
            _ => Line::from(Span::styled(" ? for help", theme.dim())),
        },
    };
    frame.render_widget(Paragraph::new(line).style(Style::default()), area);
}

/// `59:12` or `3:05:00`.
pub fn clock(seconds: i64) -> String {
    let s = seconds.max(0);
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, (s % 3600) / 60, s % 60)
    } else {
        format!("{:02}:{:02}", s / 60, s % 60)
    }
}
