//! The `:` command line: the text is parsed into a [`Command`] first, then run.

use super::super::effect::Effect;
use super::super::keys::Action;
use super::super::state::{Popup, State, View};
use super::{case, every, input, listing, popup};
use crate::aws::arn::validate_region;
use crate::resources::Kind;

/// What a `:` line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Quit {
        force: bool,
    },
    /// Back to the tree of roles.
    Roles,
    /// The current role's table of a kind.
    Table(Kind),
    Sessions,
    /// Every account's table of a kind.
    All(Kind),
    Help,
    /// Regions to list (`None`: back to each role's own).
    Regions(Option<Vec<String>>),
    /// Open (or reopen) a case.
    CaseOpen {
        id: String,
        title: Option<String>,
    },
    CaseClose,
    /// The case log view.
    Log,
    /// The selected finding's workflow status: set (with a note), or put back.
    Status(super::finding::StatusAsk),
}

const USAGE: &str =
    "try :roles, :instances, :volumes, :sg, :all [KIND], :sessions, :region R, :case open ID, :log, :status S [NOTE], :q";

/// `:status RESOLVED the note…` (the note as typed, spaces kept) or `:status undo`.
fn status(line: &str) -> Result<Command, String> {
    use super::finding::StatusAsk;
    let usage = ":status NEW|NOTIFIED|RESOLVED|SUPPRESSED [note], or :status undo (on a finding)";
    let rest = line
        .trim_start()
        .strip_prefix("status")
        .unwrap_or("")
        .trim();
    let (word, note) = match rest.split_once(char::is_whitespace) {
        Some((w, n)) => (w, Some(n.trim()).filter(|n| !n.is_empty())),
        None => (rest, None),
    };
    if word.eq_ignore_ascii_case("undo") {
        return match note {
            None => Ok(Command::Status(StatusAsk::Undo)),
            Some(_) => Err(format!(":status undo takes nothing more; {usage}")),
        };
    }
    let status = word.to_ascii_uppercase();
    crate::aws::act::ids::workflow_status(&status)
        .map_err(|_| format!(":status {word:?}: not a workflow status; {usage}"))?;
    if let Some(n) = note {
        crate::aws::act::ids::finding_note(n).map_err(|e| format!(":status: {}", e.message))?;
    }
    Ok(Command::Status(StatusAsk::Set {
        status,
        note: note.map(str::to_string),
    }))
}

/// The kind a word names (`crate::resources`: its command or a `:` alias).
fn kind(word: &str) -> Option<Kind> {
    Kind::named(word)
}

/// Every kind's `:` name, for the error that asks for one.
fn kind_names() -> String {
    crate::resources::KINDS
        .iter()
        .map(|k| format!(":all {}", k.about().command))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Parses a `:` line; `Ok(None)` for an empty one.
pub fn parse(line: &str) -> Result<Option<Command>, String> {
    let mut words = line.split_whitespace();
    let Some(cmd) = words.next() else {
        return Ok(None);
    };
    let arg = words.next();
    let rest: Vec<&str> = words.collect();
    let command = match cmd {
        "case" => match (arg, rest.first()) {
            (Some("open"), Some(id)) => Command::CaseOpen {
                id: id.to_string(),
                title: (rest.len() > 1).then(|| rest[1..].join(" ")),
            },
            (Some("close"), None) => Command::CaseClose,
            _ => return Err(":case open ID [title] or :case close".to_string()),
        },
        "log" => Command::Log,
        "status" => status(line)?,
        "q" | "quit" | "exit" => Command::Quit { force: false },
        "q!" | "quit!" => Command::Quit { force: true },
        "roles" | "tree" | "role" => Command::Roles,
        "sessions" | "sess" => Command::Sessions,
        "help" => Command::Help,
        "all" | "every" => match arg {
            None => Command::All(Kind::Instances),
            Some(a) => {
                Command::All(kind(a).ok_or_else(|| format!(":all {a}: say {}", kind_names()))?)
            }
        },
        "region" | "regions" => match arg {
            None => Command::Regions(None),
            Some(list) => {
                let regions: Vec<String> = list
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect();
                let all = crate::config::ALL_REGIONS;
                if regions.iter().any(|r| r == all) && regions.len() > 1 {
                    return Err(":region: all (each account's enabled regions) stands alone".into());
                }
                if let Some(bad) = regions
                    .iter()
                    .filter(|r| *r != all)
                    .find_map(|r| validate_region(r).err())
                {
                    return Err(format!(":region: {bad}"));
                }
                Command::Regions(Some(regions))
            }
        },
        other => match kind(other) {
            Some(k) => Command::Table(k),
            None => return Err(format!("unknown command \":{other}\": {USAGE}")),
        },
    };
    Ok(Some(command))
}

/// Runs a `:` line.
pub fn run_line(state: &mut State, line: &str) -> Vec<Effect> {
    match parse(line) {
        Ok(Some(command)) => run(state, command),
        Ok(None) => vec![],
        Err(e) => {
            state.set_error(e);
            vec![]
        }
    }
}

pub fn run(state: &mut State, command: Command) -> Vec<Effect> {
    match command {
        Command::Quit { force } => super::act::quit(state, force),
        Command::Roles => {
            state.view = View::Tree;
            vec![]
        }
        Command::Table(kind) => listing::switch(state, kind),
        Command::Sessions => input::on_action(state, Action::Sessions),
        Command::All(kind) => every::open(state, kind),
        Command::Help => {
            state.popup = Some(Popup::Help { scroll: 0 });
            vec![]
        }
        Command::Regions(Some(regions)) => popup::set_regions(state, regions),
        Command::CaseOpen { id, title } => case::open(state, id, title),
        Command::CaseClose => case::close(state),
        Command::Log => case::show_log(state),
        Command::Status(ask) => super::finding::set_status(state, ask),
        Command::Regions(None) => {
            state.region_override = None;
            for t in state.tables.iter_mut() {
                t.pinned = None;
            }
            state.set_info("regions: back to each role's own");
            if state.view.is_table() {
                input::reload(state)
            } else {
                vec![]
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_become_commands() {
        assert_eq!(parse("  "), Ok(None));
        assert_eq!(parse("q"), Ok(Some(Command::Quit { force: false })));
        assert_eq!(parse("q!"), Ok(Some(Command::Quit { force: true })));
        assert_eq!(parse("ebs"), Ok(Some(Command::Table(Kind::Volumes))));
        assert_eq!(parse("all"), Ok(Some(Command::All(Kind::Instances))));
        assert_eq!(parse("all vol"), Ok(Some(Command::All(Kind::Volumes))));
        assert_eq!(parse("sg"), Ok(Some(Command::Table(Kind::SecurityGroups))));
        assert_eq!(
            parse("security-groups"),
            Ok(Some(Command::Table(Kind::SecurityGroups)))
        );
        assert_eq!(
            parse("all sg"),
            Ok(Some(Command::All(Kind::SecurityGroups)))
        );
        assert_eq!(
            parse("region eu-west-1,us-east-1"),
            Ok(Some(Command::Regions(Some(vec![
                "eu-west-1".into(),
                "us-east-1".into()
            ]))))
        );
        assert_eq!(parse("region"), Ok(Some(Command::Regions(None))));
        assert_eq!(
            parse("region all"),
            Ok(Some(Command::Regions(Some(vec!["all".into()]))))
        );
        assert!(parse("region all,us-east-1").is_err());
        assert!(parse("region Europe").unwrap_err().starts_with(":region:"));
        assert!(parse("all things").unwrap_err().contains(":all things"));
        assert!(parse("frobnicate").unwrap_err().contains("unknown command"));
        assert_eq!(
            parse("case open IR-7 phishing on prod"),
            Ok(Some(Command::CaseOpen {
                id: "IR-7".into(),
                title: Some("phishing on prod".into())
            }))
        );
        assert_eq!(parse("case close"), Ok(Some(Command::CaseClose)));
        assert!(parse("case").unwrap_err().contains(":case open ID"));
    }

    #[test]
    fn status_lines_keep_the_note_as_typed() {
        use crate::app::update::finding::StatusAsk;
        assert_eq!(
            parse("status resolved  isolated,  snapshots in IR-7 "),
            Ok(Some(Command::Status(StatusAsk::Set {
                status: "RESOLVED".into(),
                note: Some("isolated,  snapshots in IR-7".into())
            })))
        );
        assert_eq!(
            parse("status NOTIFIED"),
            Ok(Some(Command::Status(StatusAsk::Set {
                status: "NOTIFIED".into(),
                note: None
            })))
        );
        assert_eq!(
            parse("status undo"),
            Ok(Some(Command::Status(StatusAsk::Undo)))
        );
        assert!(parse("status DONE why")
            .unwrap_err()
            .contains("not a workflow status"));
        assert!(parse("status")
            .unwrap_err()
            .contains("not a workflow status"));
        assert!(parse("status undo now")
            .unwrap_err()
            .contains("takes nothing more"));
        let long = format!("status NEW {}", "a".repeat(513));
        assert!(parse(&long).unwrap_err().contains("513 characters"));
        assert!(parse("status NEW a\u{7}b").unwrap_err().contains("control"));
    }
}
