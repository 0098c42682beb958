//! Overlays: help, the `:` command line, the MFA code prompt, the region picker.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use ratatui::Frame;

use super::Theme;
use crate::app::keys::bindings_for;
use crate::app::state::{Popup, State, View};

fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width);
    let h = height.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

fn boxed(frame: &mut Frame, area: Rect, title: &str, lines: Vec<Line<'static>>, theme: &Theme) {
    frame.render_widget(Clear, area);
    let block = Block::default()
        .borders(Borders::ALL)
        .title(Span::styled(format!(" {title} "), theme.title()));
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        area,
    );
}

/// The moving keys, which the help puts on one line.
fn is_move(action: crate::app::keys::Action) -> bool {
    use crate::app::keys::Action::*;
    matches!(action, Up | Down | PageUp | PageDown | Top | Bottom)
}

/// A popup whose lines may be more than it holds: scrolled to `scroll` (as far as the wrapped
/// lines go), saying on its bottom edge, after `bottom`, whether there is more to read.
fn scrolling(
    frame: &mut Frame,
    rect: Rect,
    title: Line<'static>,
    mut bottom: Vec<Span<'static>>,
    lines: Vec<Line<'static>>,
    scroll: u16,
    theme: &Theme,
) {
    frame.render_widget(Clear, rect);
    let text = Paragraph::new(lines).wrap(Wrap { trim: false });
    let total = text.line_count(rect.width.saturating_sub(2));
    let visible = usize::from(rect.height.saturating_sub(2));
    let max_scroll = total.saturating_sub(visible);
    let scroll = usize::from(scroll).min(max_scroll);
    if max_scroll > 0 && scroll < max_scroll {
        bottom.push(Span::styled(
            format!(" ↓ more ({}/{total}): j/PgDn ", scroll + visible),
            theme.warn(),
        ));
    } else if max_scroll > 0 {
        bottom.push(Span::styled(" end (k/PgUp) ", theme.dim()));
    }
    let block = Block::default()
        .borders(Borders::ALL)
        .title(title)
        .title_bottom(Line::from(bottom));
    frame.render_widget(
        text.block(block)
            .scroll((u16::try_from(scroll).unwrap_or(u16::MAX), 0)),
        rect,
    );
}

/// The keys of the view under the popup, as the binding table has them.
fn help(frame: &mut Frame, state: &State, scroll: u16, theme: &Theme) {
    let area = frame.area();
    let view = state.view;
    let name = match view {
        View::Tree => "roles tree".to_string(),
        View::Table { kind, every: false } => kind.noun().to_string(),
        View::Table { kind, every: true } => format!("every-account {}", kind.noun()),
        View::Sessions => "sessions".to_string(),
        View::CaseLog => "case log".to_string(),
        View::Jobs => "jobs".to_string(),
    };
    let mut lines = vec![Line::from(Span::styled(
        format!("keys in the {name} view"),
        theme.header(),
    ))];
    let mut moves = Vec::new();
    for b in bindings_for(view, false) {
        if is_move(b.action) {
            moves.push(b.label.as_ref());
            continue;
        }
        lines.push(Line::from(vec![
            Span::styled(format!("  {:<8}", b.label), theme.key()),
            Span::raw(b.help.as_ref()),
        ]));
    }
    if !moves.is_empty() {
        lines.push(Line::from(vec![
            Span::styled(format!("  {}", moves.join(" ")), theme.key()),
            Span::raw("  move: row, page, first, last"),
        ]));
    }
    lines.push(Line::from(vec![
        Span::styled("  Ctrl-C  ", theme.key()),
        Span::raw("quit from anywhere"),
    ]));
    let height = (lines.len() as u16 + 2).min(area.height);
    let rect = centered(area, 78, height);
    scrolling(
        frame,
        rect,
        Line::from(Span::styled(" help (Esc closes) ", theme.title())),
        Vec::new(),
        lines,
        scroll,
        theme,
    );
}

pub fn draw(frame: &mut Frame, state: &State, theme: &Theme) {
    let area = frame.area();
    match &state.popup {
        None => {}
        Some(Popup::Help { scroll }) => help(frame, state, *scroll, theme),
        Some(Popup::Command { input }) => {
            let line = Line::from(vec![
                Span::styled(":", theme.key()),
                Span::raw(input.clone()),
                Span::styled("█", theme.dim()),
            ]);
            let rect = Rect {
                x: area.x,
                y: area.height.saturating_sub(4),
                width: area.width,
                height: 3,
            };
            boxed(
                frame,
                rect,
                "command (⏎ runs, Esc cancels)",
                vec![line],
                theme,
            );
        }
        Some(Popup::Mfa { role, input, renew }) => {
            let serial = state
                .role(role)
                .and_then(|r| r.mfa_serial.clone())
                .unwrap_or_default();
            let masked = "•".repeat(input.len());
            let why = if *renew {
                "needs a new MFA code to renew its session."
            } else {
                "needs an MFA code."
            };
            let lines = vec![
                Line::from(format!("{} {why}", state.role_title(role))),
                Line::from(Span::styled(format!("device: {serial}"), theme.dim())),
                Line::default(),
                Line::from(vec![
                    Span::styled("code: ", theme.header()),
                    Span::raw(format!("{masked:<6}")),
                    Span::styled("█", theme.dim()),
                ]),
                Line::default(),
                Line::from(Span::styled("⏎ assume  Esc cancel", theme.dim())),
            ];
            boxed(frame, centered(area, 64, 9), "MFA", lines, theme);
        }
        Some(Popup::Confirm { scroll }) => {
            let Some(p) = &state.pending else { return };
            let lines: Vec<Line<'static>> = p
                .plan
                .lines()
                .into_iter()
                .map(|l| {
                    if l.starts_with("note:") {
                        Line::from(Span::styled(l, theme.warn()))
                    } else {
                        Line::from(l)
                    }
                })
                .collect();
            let width = area.width.saturating_sub(4).min(120);
            let height = area.height.saturating_sub(2);
            // The question stays on the frame, however long the plan.
            let question = vec![
                Span::styled(" y ", theme.key()),
                Span::raw("do it, logged "),
                Span::styled(" n/Esc ", theme.key()),
                Span::raw("change nothing "),
            ];
            scrolling(
                frame,
                centered(area, width, height),
                Line::from(Span::styled(" confirm ", theme.title())),
                question,
                lines,
                *scroll,
                theme,
            );
        }
        Some(Popup::Regions { choices, cursor }) => {
            let mut lines: Vec<Line> = choices
                .iter()
                .enumerate()
                .map(|(i, (name, on))| {
                    let mark = if *on { "[x]" } else { "[ ]" };
                    let line = Line::from(format!(" {mark} {name}"));
                    if i == *cursor {
                        line.style(theme.selected())
                    } else {
                        line
                    }
                })
                .collect();
            lines.push(Line::from(Span::styled(
                " space ticks · ⏎ applies · Esc cancels",
                theme.dim(),
            )));
            let height = (lines.len() as u16 + 2).min(area.height);
            // Keep the cursor on screen in a short terminal.
            let visible = usize::from(height.saturating_sub(3));
            let skip = cursor.saturating_sub(visible.saturating_sub(1));
            let lines: Vec<Line> = lines.into_iter().skip(skip).collect();
            boxed(frame, centered(area, 40, height), "regions", lines, theme);
        }
    }
}
