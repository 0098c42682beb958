//! `rolecall case verify`: does the chain hold, and if not, where it first breaks.

use std::path::Path;

use super::log::{line_hash, Entry, Head, Log, Snapshot, SET_ASIDE};
use super::CaseError;

/// What a read of the whole log found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Every entry is in order and chained to the one before; the last matches the head.
    Holds {
        entries: u64,
        /// The last line's hash (what to write into the ticket).
        last_hash: String,
        /// What is worth saying that does not break the chain (a crash's traces, bytes set
        /// aside, no head file).
        notes: Vec<String>,
    },
    /// The first entry that does not hold: its `seq` (when the line says one) and line number.
    Broken {
        seq: Option<u64>,
        line: usize,
        reason: String,
    },
}

/// Re-reads the log of case `case` and its head (together, under the log's shared lock: no
/// append runs meanwhile) and checks the chain line by line, then against the head.
pub fn verify(log: &Log, case: &str) -> Result<Verdict, CaseError> {
    let Snapshot {
        mut lines,
        tail,
        head,
    } = log.snapshot()?;
    let mut notes = Vec::new();
    let mut torn = None;
    if !tail.is_empty() {
        if serde_json::from_slice::<Entry>(&tail).is_ok() {
            lines.push(tail);
            notes.push(format!(
                "line {} has lost the newline at its end (rolecall stopped right after writing it): the entry is whole, and the next entry puts the newline back",
                lines.len()
            ));
        } else {
            torn = Some(tail);
        }
    }
    let dir = log.path.parent().unwrap_or(Path::new("."));
    let prev = match chain(&lines, case, dir, &mut notes) {
        Ok(prev) => prev,
        Err(broken) => return Ok(broken),
    };
    let written = lines.len() as u64;
    if let Some(torn) = &torn {
        let line = lines.len() + 1;
        if head.as_ref().is_some_and(|h| h.seq > written) {
            return Ok(Verdict::Broken {
                seq: Some(written + 1),
                line,
                reason: format!(
                    "line {line} is cut off (no newline at its end), and the head records {} entries: the file was truncated in the middle of an entry",
                    head.as_ref().map_or(0, |h| h.seq)
                ),
            });
        }
        notes.push(format!(
            "line {line} is cut off ({} bytes, no newline at its end): an entry torn by a crash while it was written, never recorded in the head; the entries before it hold, and the next entry moves those bytes into a file beside the log and records that",
            torn.len()
        ));
    }
    if let Err(broken) = against_head(head.as_ref(), &lines, &prev, &mut notes) {
        return Ok(broken);
    }
    Ok(Verdict::Holds {
        entries: written,
        last_hash: prev,
        notes,
    })
}

/// Checks each line against the one before; returns the last line's hash.
fn chain(
    lines: &[Vec<u8>],
    case: &str,
    dir: &Path,
    notes: &mut Vec<String>,
) -> Result<String, Verdict> {
    let mut prev = String::new();
    for (i, line) in lines.iter().enumerate() {
        let number = i + 1;
        let want = number as u64;
        let entry: Entry = serde_json::from_slice(line).map_err(|e| Verdict::Broken {
            seq: None,
            line: number,
            reason: format!("line {number} is not a log entry ({e}): it was edited"),
        })?;
        if entry.seq != want {
            let why = if entry.seq > want {
                format!(
                    "entries {want} to {} are missing before it (removed)",
                    entry.seq - 1
                )
            } else {
                "it was moved here (the lines were reordered or repeated)".to_string()
            };
            return Err(Verdict::Broken {
                seq: Some(entry.seq),
                line: number,
                reason: format!(
                    "line {number} holds entry {} where entry {want} belongs: {why}",
                    entry.seq
                ),
            });
        }
        if entry.prev != prev {
            // The link between this line and the one before is broken: the earlier line's
            // bytes are not what this entry recorded (or this entry's record of them was changed).
            let (seq, line) = if number > 1 {
                (want - 1, number - 1)
            } else {
                (want, number)
            };
            return Err(Verdict::Broken {
                seq: Some(seq),
                line,
                reason: if number > 1 {
                    format!(
                        "line {line} (entry {seq}) is not what entry {want} recorded as the line before it: line {line} was edited after it was written (or the prev of line {number} was)"
                    )
                } else {
                    "the first entry records a line before it: lines were removed from the start"
                        .to_string()
                },
            });
        }
        if entry.case != case {
            return Err(Verdict::Broken {
                seq: Some(entry.seq),
                line: number,
                reason: format!("line {number} belongs to case {}, not {case}", entry.case),
            });
        }
        if entry.record.action == SET_ASIDE {
            notes.push(set_aside_note(&entry, dir));
        }
        prev = line_hash(line);
    }
    Ok(prev)
}

/// What an entry recording torn bytes set aside says, and whether the file still holds them.
fn set_aside_note(entry: &Entry, dir: &Path) -> String {
    let p = &entry.record.params;
    let file = p["file"].as_str().unwrap_or("");
    let bytes = p["bytes"].as_u64().unwrap_or(0);
    let sha = p["sha256"].as_str().unwrap_or("");
    let found = match std::fs::read(dir.join(file)) {
        _ if file.is_empty() || file.contains('/') => "it names no file beside the log".to_string(),
        Ok(b) if line_hash(&b) == sha => "the file holds them unchanged".to_string(),
        Ok(_) => "but the file no longer holds those bytes: it was changed".to_string(),
        Err(e) => format!("but the file cannot be read ({e})"),
    };
    format!(
        "entry {} records that a crash had torn the entry after entry {}: its {bytes} bytes were set aside in {file} (sha256 {sha}); {found}",
        entry.seq,
        entry.seq - 1,
    )
}

/// Checks the last lines against the head (the last entry's number and hash, recorded after each
/// append).
fn against_head(
    head: Option<&Head>,
    lines: &[Vec<u8>],
    last_hash: &str,
    notes: &mut Vec<String>,
) -> Result<(), Verdict> {
    let written = lines.len() as u64;
    let n = lines.len();
    match head {
        Some(head) if head.seq > written => Err(Verdict::Broken {
            seq: Some(written + 1),
            line: n + 1,
            reason: format!(
                "the log ends after entry {written}, but {} entries were written: entries {} to {} were removed from the end (the file was truncated)",
                head.seq,
                written + 1,
                head.seq
            ),
        }),
        Some(head) if head.seq == written && head.hash != last_hash => Err(Verdict::Broken {
            seq: Some(written),
            line: n,
            reason: format!(
                "line {n} (entry {written}) is not the line that was written: it was edited afterwards"
            ),
        }),
        Some(head) if head.seq < written => {
            // The head stopped at an earlier entry: that entry's line must still be the one
            // the head recorded.
            let at = head.seq as usize;
            if at > 0 && line_hash(&lines[at - 1]) != head.hash {
                return Err(Verdict::Broken {
                    seq: Some(head.seq),
                    line: at,
                    reason: format!(
                        "line {at} (entry {}) is not the line the head recorded: it was edited afterwards",
                        head.seq
                    ),
                });
            }
            notes.push(format!(
                "the head records {} entries and the log has {written}: the last append was interrupted before it was recorded",
                head.seq
            ));
            Ok(())
        }
        Some(_) => Ok(()),
        None if n > 0 => {
            notes.push(
                "there is no head file, so lines removed from the end could not be told"
                    .to_string(),
            );
            Ok(())
        }
        None => Ok(()),
    }
}
#[cfg(test)]
mod tests {
    use super::super::log::Record;
    use super::*;
    use chrono::{TimeZone, Utc};

    /// A log of five entries in a temporary folder.
    fn five() -> (tempfile::TempDir, Log) {
        let dir = tempfile::tempdir().unwrap();
        let log = Log::new(dir.path());
        let now = Utc.with_ymd_and_hms(2026, 11, 29, 12, 0, 0).unwrap();
        for i in 0..5 {
            log.append(
                "IR-1",
                "arn:aws:iam::111111111111:user/r",
                Record::new(format!("a{i}")),
                now,
            )
            .unwrap();
        }
        (dir, log)
    }

    fn rewrite(log: &Log, f: impl FnOnce(&mut Vec<String>)) {
        let text = std::fs::read_to_string(&log.path).unwrap();
        let mut lines: Vec<String> = text.lines().map(String::from).collect();
        f(&mut lines);
        let mut out = lines.join("\n");
        out.push('\n');
        std::fs::write(&log.path, out).unwrap();
    }

    fn broken_at(log: &Log) -> (Option<u64>, usize, String) {
        match verify(log, "IR-1").unwrap() {
            Verdict::Broken { seq, line, reason } => (seq, line, reason),
            v => panic!("expected a break, got {v:?}"),
        }
    }

    #[test]
    fn an_untouched_log_holds_and_names_its_last_hash() {
        let (_d, log) = five();
        match verify(&log, "IR-1").unwrap() {
            Verdict::Holds {
                entries,
                last_hash,
                notes,
            } => {
                assert_eq!(entries, 5);
                assert_eq!(last_hash, log.recorded_head().unwrap().hash);
                assert_eq!(notes, Vec::<String>::new());
            }
            v => panic!("{v:?}"),
        }
    }

    #[test]
    fn an_edited_middle_line_is_named() {
        let (_d, log) = five();
        rewrite(&log, |l| l[2] = l[2].replace("\"a2\"", "\"a9\""));
        let (seq, line, reason) = broken_at(&log);
        assert_eq!((seq, line), (Some(3), 3), "{reason}");
        assert!(reason.contains("edited"), "{reason}");
    }

    #[test]
    fn an_edited_last_line_is_named_through_the_head() {
        let (_d, log) = five();
        rewrite(&log, |l| l[4] = l[4].replace("\"a4\"", "\"a9\""));
        assert_eq!(broken_at(&log).0, Some(5));
    }

    #[test]
    fn a_removed_line_is_named() {
        let (_d, log) = five();
        rewrite(&log, |l| {
            l.remove(1);
        });
        let (seq, line, reason) = broken_at(&log);
        assert_eq!((seq, line), (Some(3), 2), "{reason}");
        assert!(reason.contains("entries 2 to 2 are missing"), "{reason}");
    }

    #[test]
    fn reordered_lines_are_named() {
        let (_d, log) = five();
        rewrite(&log, |l| l.swap(1, 2));
        let (seq, line, _) = broken_at(&log);
        assert_eq!((seq, line), (Some(3), 2));
    }

    #[test]
    fn a_truncated_log_is_named() {
        let (_d, log) = five();
        rewrite(&log, |l| l.truncate(3));
        let (seq, line, reason) = broken_at(&log);
        assert_eq!((seq, line), (Some(4), 4), "{reason}");
        assert!(reason.contains("truncated"), "{reason}");
        // Cut in the middle of a line.
        let text = std::fs::read(&log.path).unwrap();
        std::fs::write(&log.path, &text[..text.len() - 10]).unwrap();
        let (_, line, reason) = broken_at(&log);
        assert_eq!(line, 3);
        assert!(reason.contains("cut off"), "{reason}");
    }

    #[test]
    fn appends_go_on_from_the_last_line() {
        let (_d, log) = five();
        let now = Utc::now();
        let e = log.append("IR-1", "me", Record::new("six"), now).unwrap();
        assert_eq!(e.seq, 6);
        assert!(matches!(
            verify(&log, "IR-1").unwrap(),
            Verdict::Holds { entries: 6, .. }
        ));
    }

    #[test]
    fn the_head_is_compared_even_when_it_stopped_at_an_earlier_entry() {
        let (_d, log) = five();
        // The head says 4 (an append stopped before it moved the head), and line 4 was edited.
        let lines: Vec<String> = std::fs::read_to_string(&log.path)
            .unwrap()
            .lines()
            .map(String::from)
            .collect();
        let hash4 = line_hash(lines[3].as_bytes());
        std::fs::write(log.path.with_file_name("head"), format!("4 {hash4}\n")).unwrap();
        assert!(matches!(
            verify(&log, "IR-1").unwrap(),
            Verdict::Holds { entries: 5, .. }
        ));
        std::fs::write(log.path.with_file_name("head"), "4 0000\n").unwrap();
        let (seq, line, reason) = broken_at(&log);
        assert_eq!((seq, line), (Some(4), 4), "{reason}");
    }

    /// Verify while another writer appends: it never sees half an append, nor a head that is
    /// ahead of the log it read. Bounded: 400 appends or 20 seconds.
    #[test]
    fn verify_under_appends_always_holds() {
        let (_d, log) = five();
        let done = std::sync::atomic::AtomicBool::new(false);
        let started = std::time::Instant::now();
        let mut verdicts = 0;
        std::thread::scope(|s| {
            let appender = log.clone();
            let done = &done;
            s.spawn(move || {
                for i in 0..400 {
                    if started.elapsed() > std::time::Duration::from_secs(20) {
                        break;
                    }
                    appender
                        .append("IR-1", "me", Record::new(format!("b{i}")), Utc::now())
                        .unwrap();
                }
                done.store(true, std::sync::atomic::Ordering::SeqCst);
            });
            while !done.load(std::sync::atomic::Ordering::SeqCst) {
                let v = verify(&log, "IR-1").unwrap();
                match &v {
                    Verdict::Holds { notes, .. } if notes.is_empty() => {}
                    v => panic!("verify raced an append: {v:?}"),
                }
                verdicts += 1;
            }
        });
        assert!(verdicts > 10, "only {verdicts} verifies ran alongside");
    }
}
