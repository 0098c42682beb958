//! Keys while a popup is open: help, the `:` line, the MFA code, the region picker.

use crossterm::event::{KeyCode, KeyEvent};

use super::super::effect::Effect;
use super::super::state::{Popup, State, View};
use super::{act, command, input, sessions};
use crate::aws::credentials::TokenCode;

pub fn on_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    let Some(popup) = state.popup.take() else {
        return vec![];
    };
    match popup {
        Popup::Confirm { scroll } => match key.code {
            // Only a typed y: an Enter meant for something else never starts an action.
            KeyCode::Char('y') | KeyCode::Char('Y') => act::confirm(state, true),
            KeyCode::Char('n') | KeyCode::Char('N') | KeyCode::Esc | KeyCode::Char('q') => {
                act::confirm(state, false)
            }
            code => {
                let last = state.pending.as_ref().map_or(0, |p| p.plan.lines().len());
                let scroll = scrolled(state, code, scroll, last);
                keep(state, Popup::Confirm { scroll })
            }
        },
        Popup::Help { scroll } => match key.code {
            KeyCode::Esc | KeyCode::Char('q') | KeyCode::Char('?') | KeyCode::Enter => vec![],
            code => {
                // The help is at most as long as the list of keys.
                let scroll = scrolled(state, code, scroll, crate::app::keys::BINDINGS.len());
                keep(state, Popup::Help { scroll })
            }
        },
        Popup::Command { mut input } => match key.code {
            KeyCode::Esc => vec![],
            KeyCode::Enter => command::run_line(state, input.trim()),
            KeyCode::Backspace => {
                input.pop();
                keep(state, Popup::Command { input })
            }
            KeyCode::Char(c) => {
                input.push(c);
                keep(state, Popup::Command { input })
            }
            _ => keep(state, Popup::Command { input }),
        },
        Popup::Mfa {
            role,
            mut input,
            renew,
        } => match key.code {
            KeyCode::Esc if renew => {
                state.set_info("no new MFA code: the session ends at its expiry");
                vec![]
            }
            KeyCode::Esc => {
                state.set_info("MFA cancelled; the role was not assumed");
                if state.current.as_ref() == Some(&role) {
                    state.view = View::Tree;
                }
                vec![]
            }
            KeyCode::Enter => match TokenCode::parse(input.expose()) {
                Ok(code) => match state.role(&role).cloned() {
                    Some(r) => sessions::assume(state, r, Some(code)),
                    None => vec![],
                },
                Err(e) => {
                    state.set_error(e);
                    keep(state, Popup::Mfa { role, input, renew })
                }
            },
            KeyCode::Backspace => {
                input.pop();
                keep(state, Popup::Mfa { role, input, renew })
            }
            KeyCode::Char(c) if c.is_ascii_digit() && input.len() < TokenCode::LEN => {
                input.push(c);
                keep(state, Popup::Mfa { role, input, renew })
            }
            _ => keep(state, Popup::Mfa { role, input, renew }),
        },
        Popup::Regions {
            mut choices,
            mut cursor,
        } => match key.code {
            KeyCode::Esc | KeyCode::Char('q') => vec![],
            KeyCode::Up | KeyCode::Char('k') => {
                cursor = cursor.saturating_sub(1);
                keep(state, Popup::Regions { choices, cursor })
            }
            KeyCode::Down | KeyCode::Char('j') => {
                cursor = (cursor + 1).min(choices.len().saturating_sub(1));
                keep(state, Popup::Regions { choices, cursor })
            }
            KeyCode::Char(' ') | KeyCode::Char('x') => {
                let all = crate::config::ALL_REGIONS;
                if let Some(c) = choices.get_mut(cursor) {
                    c.1 = !c.1;
                }
                // "all" (each account's enabled regions) stands alone.
                let ticked_all = choices.get(cursor).is_some_and(|c| c.0 == all && c.1);
                for (i, c) in choices.iter_mut().enumerate() {
                    if i != cursor && c.1 && (ticked_all || c.0 == all) {
                        c.1 = false;
                    }
                }
                keep(state, Popup::Regions { choices, cursor })
            }
            KeyCode::Enter => {
                let picked: Vec<String> =
                    choices.into_iter().filter(|c| c.1).map(|c| c.0).collect();
                if picked.is_empty() {
                    state.set_error("pick at least one region (space ticks one)");
                    return vec![];
                }
                set_regions(state, picked)
            }
            _ => keep(state, Popup::Regions { choices, cursor }),
        },
    }
}

/// A popup that stays open is put back; one that closes is not.
/// Where a scrolling key moves a popup of at most `lines` lines (the screen stops it at its
/// last page, knowing how the lines wrap).
fn scrolled(state: &State, code: KeyCode, scroll: u16, lines: usize) -> u16 {
    let last = u16::try_from(lines.saturating_sub(1)).unwrap_or(u16::MAX);
    let page = state.size.1.saturating_sub(6).max(1);
    let to = match code {
        KeyCode::Char('j') | KeyCode::Down => scroll.saturating_add(1),
        KeyCode::Char('k') | KeyCode::Up => scroll.saturating_sub(1),
        KeyCode::PageDown | KeyCode::Char(' ') => scroll.saturating_add(page),
        KeyCode::PageUp => scroll.saturating_sub(page),
        KeyCode::Char('g') | KeyCode::Home => 0,
        KeyCode::Char('G') | KeyCode::End => last,
        _ => scroll,
    };
    to.min(last)
}

fn keep(state: &mut State, popup: Popup) -> Vec<Effect> {
    state.popup = Some(popup);
    vec![]
}

/// Lists these regions from now on (in every table), and lists again if a table is open.
pub fn set_regions(state: &mut State, regions: Vec<String>) -> Vec<Effect> {
    state.set_info(format!("regions: {}", regions.join(", ")));
    state.region_override = Some(regions);
    // What `t` pinned gives way to the regions picked.
    for t in state.tables.iter_mut() {
        t.pinned = None;
    }
    if state.view.is_table() {
        input::reload(state)
    } else {
        vec![]
    }
}
