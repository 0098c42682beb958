//! Screen geometry: where the header, body, footer and status line go, and how many list rows
//! fit. `update` scrolls and places clicks with it; `ui` draws into the same areas.

use ratatui::layout::{Constraint, Layout, Rect};

pub struct Areas {
    pub header: Rect,
    pub body: Rect,
    pub footer: Rect,
    pub status: Rect,
}

pub fn areas(area: Rect) -> Areas {
    let [header, body, footer, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    Areas {
        header,
        body,
        footer,
        status,
    }
}

/// Lines above the first row inside the body: the border, then the tree's root line or a table header.
const TOP: u16 = 2;
/// The bottom border.
const BOTTOM: u16 = 1;

/// How many rows of a list fit on a screen of `size` (at least one).
pub fn list_rows(size: (u16, u16)) -> usize {
    let body = areas(Rect::new(0, 0, size.0, size.1)).body;
    usize::from(body.height.saturating_sub(TOP + BOTTOM)).max(1)
}

/// The row of the visible window that a click at (`x`, `y`) hits.
pub fn row_at(size: (u16, u16), x: u16, y: u16) -> Option<usize> {
    let body = areas(Rect::new(0, 0, size.0, size.1)).body;
    let first = body.y + TOP;
    let inside_x = x > body.x && x + 1 < body.x + body.width;
    if !inside_x || y < first {
        return None;
    }
    let row = usize::from(y - first);
    (row < list_rows(size)).then_some(row)
}
