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

pub fn draw(frame: &mut Frame, state: &State, theme: &Theme) {
    let area = frame.area();
    match &state.popup {
        None => {}
        Some(Popup::Help) => {
            let mut lines = Vec::new();
            for (view, name) in [
                (View::Tree, "roles tree"),
                (View::Instances, "instances"),
                (View::Volumes, "volumes"),
                (View::Sessions, "sessions"),
                (View::AllInstances, "every-account instances"),
                (View::AllVolumes, "every-account volumes"),
                (View::CaseLog, "case log"),
            ] {
                if view != state.view {
                    continue;
                }
                lines.push(Line::from(Span::styled(
                    format!("keys in the {name} view"),
                    theme.header(),
                )));
                for b in bindings_for(view, false) {
                    lines.push(Line::from(vec![
                        Span::styled(format!("  {:<8}", b.label), theme.key()),
                        Span::raw(b.help),
                    ]));
                }
            }
            lines.push(Line::from(vec![
                Span::styled("  Ctrl-C  ", theme.key()),
                Span::raw("quit from anywhere"),
            ]));
            let height = lines.len() as u16 + 2;
            boxed(
                frame,
                centered(area, 78, height),
                "help (Esc closes)",
                lines,
                theme,
            );
        }
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
