//! Colours, or none at all when `NO_COLOR` is set.

use ratatui::style::{Color, Modifier, Style};

#[derive(Debug, Clone, Copy)]
pub struct Theme {
    pub color: bool,
}

impl Theme {
    /// `no_color`: from `NO_COLOR` (read by the caller, not here).
    pub fn new(no_color: bool) -> Self {
        Theme { color: !no_color }
    }

    fn fg(&self, c: Color) -> Style {
        if self.color {
            Style::default().fg(c)
        } else {
            Style::default()
        }
    }

    pub fn title(&self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }
    pub fn dim(&self) -> Style {
        if self.color {
            Style::default().fg(Color::DarkGray)
        } else {
            Style::default()
        }
    }
    pub fn key(&self) -> Style {
        self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
    }
    pub fn selected(&self) -> Style {
        Style::default().add_modifier(Modifier::REVERSED)
    }
    pub fn header(&self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }
    pub fn error(&self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }
    pub fn info(&self) -> Style {
        self.fg(Color::Green)
    }
    pub fn warn(&self) -> Style {
        self.fg(Color::Yellow)
    }

    /// An account's configured colour (6 hex digits), else bold.
    pub fn account(&self, hex: Option<&str>) -> Style {
        let bold = Style::default().add_modifier(Modifier::BOLD);
        match (self.color, hex.and_then(parse_hex)) {
            (true, Some((r, g, b))) => bold.fg(Color::Rgb(r, g, b)),
            _ => bold,
        }
    }

    /// EC2 instance and EBS volume states.
    pub fn state(&self, state: &str) -> Style {
        match state {
            "running" | "available" | "in-use" => self.fg(Color::Green),
            "stopped" | "error" => self.fg(Color::Red),
            "pending" | "stopping" | "shutting-down" | "creating" | "deleting" => {
                self.fg(Color::Yellow)
            }
            "terminated" | "deleted" => self.dim(),
            _ => Style::default(),
        }
    }
}

fn parse_hex(s: &str) -> Option<(u8, u8, u8)> {
    if s.len() != 6 {
        return None;
    }
    let n = u32::from_str_radix(s, 16).ok()?;
    Some(((n >> 16) as u8, (n >> 8) as u8, n as u8))
}
