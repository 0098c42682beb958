//! `rolecall case verify`: does the chain hold, and if not, where it first breaks.

use super::log::{line_hash, Entry, Log};
use super::CaseError;

/// What a read of the whole log found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Every entry is in order and chained to the one before; the last matches the head.
    Holds {
        entries: u64,
        /// The last line's hash (what to write into the ticket).
        last_hash: String,
        /// Something worth saying that does not break the chain.
        note: Option<String>,
    },
    /// The first entry that does not hold: its `seq` (when the line says one) and line number.
    Broken {
        seq: Option<u64>,
        line: usize,
        reason: String,
    },
}

/// Re-reads the log of case `case` and checks the chain line by line, then against the head.
pub fn verify(log: &Log, case: &str) -> Result<Verdict, CaseError> {
    let (lines, complete) = log.lines()?;
    let n = lines.len();
    if !complete {
        return Ok(Verdict::Broken {
            seq: None,
            line: n,
            reason: format!(
                "line {n} is cut off (no newline at its end): the file was truncated in the middle of an entry"
            ),
        });
    }
    let mut prev = String::new();
    for (i, line) in lines.iter().enumerate() {
        let number = i + 1;
        let want = number as u64;
        let entry: Entry = match serde_json::from_slice(line) {
            Ok(e) => e,
            Err(e) => {
                return Ok(Verdict::Broken {
                    seq: None,
                    line: number,
                    reason: format!("line {number} is not a log entry ({e}): it was edited"),
                })
            }
        };
        if entry.seq != want {
            let why = if entry.seq > want {
                format!(
                    "entries {want} to {} are missing before it (removed)",
                    entry.seq - 1
                )
            } else {
                "it was moved here (the lines were reordered or repeated)".to_string()
            };
            return Ok(Verdict::Broken {
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
            return Ok(Verdict::Broken {
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
            return Ok(Verdict::Broken {
                seq: Some(entry.seq),
                line: number,
                reason: format!("line {number} belongs to case {}, not {case}", entry.case),
            });
        }
        prev = line_hash(line);
    }
    let written = n as u64;
    let note = match log.recorded_head() {
        Some(head) if head.seq > written => {
            return Ok(Verdict::Broken {
                seq: Some(written + 1),
                line: n + 1,
                reason: format!(
                    "the log ends after entry {written}, but {} entries were written: entries {} to {} were removed from the end (the file was truncated)",
                    head.seq,
                    written + 1,
                    head.seq
                ),
            });
        }
        Some(head) if head.seq == written && head.hash != prev => {
            return Ok(Verdict::Broken {
                seq: Some(written),
                line: n,
                reason: format!(
                    "line {n} (entry {written}) is not the line that was written: it was edited afterwards"
                ),
            });
        }
        Some(head) if head.seq < written => Some(format!(
            "the head records {} entries and the log has {written}: the last append was interrupted before it was recorded",
            head.seq
        )),
        Some(_) => None,
        None if n > 0 => Some(
            "there is no head file, so lines removed from the end could not be told".to_string(),
        ),
        None => None,
    };
    Ok(Verdict::Holds {
        entries: written,
        last_hash: prev,
        note,
    })
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
                note,
            } => {
                assert_eq!(entries, 5);
                assert_eq!(last_hash, log.recorded_head().unwrap().hash);
                assert_eq!(note, None);
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
}
