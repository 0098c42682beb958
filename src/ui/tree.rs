//! The tree: the primary identity, then each secondary account and its roles with session state.

use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui::Frame;

use super::{clock, Theme};
use crate::app::state::{Loadable, SessionStatus, State, TreeRow};

/// A session's state; `with_time` adds the time left to an active one.
pub fn session_label(status: SessionStatus, with_time: bool, theme: &Theme) -> Span<'static> {
    match status {
        SessionStatus::NotAssumed => Span::styled("not assumed", theme.dim()),
        SessionStatus::Assuming => Span::styled("assuming…", theme.warn()),
        SessionStatus::Active { seconds_left } if with_time => Span::styled(
            format!("active (expires in {})", clock(seconds_left)),
            theme.info(),
        ),
        SessionStatus::Active { .. } => Span::styled("active", theme.info()),
        SessionStatus::Refreshing => Span::styled("refreshing…", theme.warn()),
        SessionStatus::Expired => Span::styled("expired", theme.error()),
        SessionStatus::Failed => Span::styled("failed", theme.error()),
    }
}

pub fn draw(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let rows = state.tree_rows();
    let title = if state.tree.filter.is_empty() {
        let organization = match &state.organizations_read {
            Some(t) => format!(
                "· organization read {} ago ",
                crate::resources::age(Some(t), state.now)
            ),
            None => String::new(),
        };
        format!(
            " roles ({}) {organization}",
            state.accounts.iter().map(|a| a.roles.len()).sum::<usize>()
        )
    } else {
        format!(" roles /{} ({} lines) ", state.tree.filter, rows.len())
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .title(Span::styled(title, theme.title()));
    let inner = block.inner(area);
    frame.render_widget(block, area);

    let mut lines: Vec<Line> = Vec::new();
    lines.push(match &state.primary {
        Loadable::Loading => Line::from(Span::styled(
            "◆ primary identity: asking AWS who we are…",
            theme.dim(),
        )),
        Loadable::Ready(id) => Line::from(vec![
            Span::styled("◆ ", theme.title()),
            Span::styled(id.account.clone(), theme.title()),
            Span::raw("  "),
            Span::raw(id.arn.clone()),
        ]),
        Loadable::Failed(e) => Line::from(vec![
            Span::styled("◆ primary identity unknown: ", theme.error()),
            Span::styled(e.to_string(), theme.error()),
        ]),
    });

    let label_width = state
        .accounts
        .iter()
        .flat_map(|a| a.roles.iter())
        .map(|r| label(r).chars().count())
        .max()
        .unwrap_or(0);
    let name_width = state
        .accounts
        .iter()
        .flat_map(|a| a.roles.iter())
        .map(|r| r.name.as_deref().unwrap_or("").chars().count())
        .max()
        .unwrap_or(0);

    // The longest account name, up to a third of the width (a longer one pushes its own line).
    let account_width = state
        .accounts
        .iter()
        .filter_map(|a| a.name.as_deref())
        .map(|n| n.chars().count())
        .max()
        .unwrap_or(0)
        .min(usize::from(inner.width / 3));

    if rows.is_empty() {
        let text = if state.accounts.is_empty() {
            "No roles configured: add [[role]] tables to the config (see config.example.toml)"
        } else {
            "Nothing matches the filter (Esc clears it)"
        };
        lines.push(Line::from(Span::styled(format!("  {text}"), theme.dim())));
    }
    let height = usize::from(inner.height.saturating_sub(1));
    for (i, row) in rows.iter().enumerate().skip(state.tree.offset).take(height) {
        let mut line = match *row {
            TreeRow::Account(a) => account_line(state, a, account_width, theme),
            TreeRow::Role(a, r) => role_line(state, a, r, (label_width, name_width), theme),
        };
        if i == state.tree.selected {
            line = line.style(theme.selected());
        }
        lines.push(line);
    }
    frame.render_widget(Paragraph::new(lines).style(Style::default()), inner);
}

/// An account's line: its id and name in its colour, then its roles' count (or, folded with one
/// role, that role and its session).
fn account_line(state: &State, a: usize, account_width: usize, theme: &Theme) -> Line<'static> {
    let acc = &state.accounts[a];
    let fold = if acc.expanded || !state.tree.filter.is_empty() {
        "▾"
    } else {
        "▸"
    };
    let mut spans = vec![
        Span::raw(format!("{fold} ")),
        Span::styled(acc.id.clone(), theme.account(acc.color.as_deref())),
    ];
    // Names padded to one width, so what follows them lines up down the tree.
    if account_width > 0 {
        let name = acc.name.as_deref().unwrap_or("");
        spans.push(Span::raw("  "));
        spans.push(Span::styled(
            format!("{name:<account_width$}"),
            theme.account(acc.color.as_deref()),
        ));
    }
    match state.folded_role(a) {
        // A folded account with one role shows it, and its session.
        Some(role) => {
            spans.push(Span::styled(format!("  {}  ", label(role)), theme.dim()));
            spans.push(session_label(state.session_status(&role.arn), false, theme));
        }
        _ => spans.push(Span::styled(
            format!(
                "  {} role{}",
                acc.roles.len(),
                if acc.roles.len() == 1 { "" } else { "s" }
            ),
            theme.dim(),
        )),
    }
    Line::from(spans)
}

/// What the tree calls a role: its name with its path; an Identity Center role, its permission
/// set (the path, `aws-reserved/sso.amazonaws.com/`, is the same for every one of them).
fn label(role: &crate::roles::Role) -> String {
    match role.source {
        crate::roles::RoleSource::Sso => role.arn.name().to_string(),
        _ => role.arn.name_with_path(),
    }
}

/// A role's line: its name with path, its short name, its session, what it needs; `widths` line
/// them up down the tree.
fn role_line(
    state: &State,
    a: usize,
    r: usize,
    (label_width, name_width): (usize, usize),
    theme: &Theme,
) -> Line<'static> {
    let role = &state.accounts[a].roles[r];
    let mut needs = Vec::new();
    if role.external_id.is_some() {
        needs.push("ext-id");
    }
    if role.mfa_serial.is_some() {
        needs.push("mfa");
    }
    if role.chains() {
        needs.push("via");
    }
    // Where a role not in the config came from.
    match role.source {
        crate::roles::RoleSource::Config => {}
        other => needs.push(other.as_str()),
    }
    let needs = if needs.is_empty() {
        String::new()
    } else {
        format!(" [{}]", needs.join(","))
    };
    Line::from(vec![
        Span::raw("    "),
        Span::raw(format!("{:<label_width$}", label(role))),
        Span::raw("  "),
        Span::styled(
            format!("{:<name_width$}", role.name.as_deref().unwrap_or("")),
            theme.key(),
        ),
        Span::raw("  "),
        session_label(state.session_status(&role.arn), true, theme),
        Span::styled(needs, theme.dim()),
    ])
}
