//! A case's log: one JSON object a line, append-only, each line chained to the one before by
//! the SHA-256 of its bytes, written and fsynced before whatever it records is reported done.
//!
//! Appends take an exclusive lock on the log file, read the last line for its `seq` and hash,
//! write the new line, fsync it, and then record the new head (seq and hash) in `head`, so that
//! a log cut short (lines removed from the end) can be told from a log that simply ends.
//! Readers that must see the log and its head together (`case verify`) take the lock shared.
//!
//! A crash costs at most the entry being written: the next append gives a whole last entry back
//! its lost newline, and moves a torn one into a file beside the log (kept), recording that in
//! the chain (see [`Log::append`]).

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::CaseError;
use crate::files::{file_hash, write_atomically};

/// What an action tells the log; the log adds where it sits in the chain and who, when, where.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Record {
    /// `case.open`, `assume`, `list`, `console.signin`, `snapshot.create`…
    pub action: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub role_arn: Option<String>,
    /// The assumed-role ARN of the session the action used or made.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub session_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub account_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub region: Option<String>,
    /// Instance, volume, snapshot ids.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub target: Vec<String>,
    #[serde(skip_serializing_if = "Value::is_null", default)]
    pub params: Value,
    /// Ids made, counts, or the AWS error code and message.
    #[serde(skip_serializing_if = "Value::is_null", default)]
    pub result: Value,
}

impl Record {
    pub fn new(action: impl Into<String>) -> Self {
        Record {
            action: action.into(),
            ..Record::default()
        }
    }

    /// The role (and its account) the action went through.
    pub fn role(mut self, arn: &crate::aws::arn::RoleArn) -> Self {
        self.account_id = Some(arn.account_id().to_string());
        self.role_arn = Some(arn.to_string());
        self
    }

    pub fn session(mut self, assumed_arn: &str) -> Self {
        self.session_arn = Some(assumed_arn.to_string());
        self
    }

    pub fn region(mut self, region: &str) -> Self {
        self.region = Some(region.to_string());
        self
    }

    pub fn targets(mut self, ids: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.target = ids.into_iter().map(Into::into).collect();
        self
    }

    pub fn params(mut self, params: Value) -> Self {
        self.params = params;
        self
    }

    pub fn result(mut self, result: Value) -> Self {
        self.result = result;
        self
    }

    /// The result of a failed AWS call: its code and message.
    pub fn failed(self, e: &crate::aws::AwsError) -> Self {
        self.result(serde_json::json!({
            "error": e.code_or_kind(),
            "message": e.to_string(),
        }))
    }
}

/// One line of the log.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Entry {
    pub seq: u64,
    /// UTC, RFC 3339, milliseconds.
    pub ts: String,
    pub case: String,
    /// The primary identity's ARN: who acted.
    pub actor: String,
    #[serde(flatten)]
    pub record: Record,
    pub host: String,
    /// rolecall's version.
    pub rolecall: String,
    /// SHA-256 (hex) of the previous line's bytes, without its newline; `""` for the first.
    pub prev: String,
}

/// The SHA-256 of a line (its bytes, without the newline), in hex.
pub fn line_hash(line: &[u8]) -> String {
    crate::files::file_hash(line)
}

/// Where the log stands: how many entries, and the hash of the last line (what the next
/// entry's `prev` will be; what to write into the ticket).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Head {
    pub seq: u64,
    pub hash: String,
}

impl Head {
    fn parse(text: &str) -> Option<Head> {
        let (seq, hash) = text.trim().split_once(' ')?;
        Some(Head {
            seq: seq.parse().ok()?,
            hash: hash.to_string(),
        })
    }

    fn text(&self) -> String {
        format!("{} {}\n", self.seq, self.hash)
    }
}

/// The action of the entry that records bytes set aside: the torn end of the log, left by a
/// crash while an entry was written, moved into a file of its own beside the log.
pub const SET_ASIDE: &str = "log.set-aside";

/// A case's log file, and its head file beside it.
#[derive(Debug, Clone)]
pub struct Log {
    pub path: PathBuf,
    head: PathBuf,
}

/// The log and its head as one reader saw them, with no append in between.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Snapshot {
    /// The lines ended by a newline, without it (empty lines left out).
    pub lines: Vec<Vec<u8>>,
    /// What follows the last newline: nothing; an entry whose newline was lost; or the start of
    /// an entry torn by a crash while it was written.
    pub tail: Vec<u8>,
    pub head: Option<Head>,
}

/// The end of the log, as an append finds it.
struct End {
    /// The last line ended by a newline, without it.
    last: Option<Vec<u8>>,
    /// Where the bytes after the last newline start, and those bytes.
    tail_at: u64,
    tail: Vec<u8>,
}

impl Log {
    pub fn new(dir: &Path) -> Log {
        Log {
            path: dir.join("log.jsonl"),
            head: dir.join("head"),
        }
    }

    /// Opens the log for appending (creating it `0600`), locked against other appenders and
    /// readers.
    fn open(&self) -> Result<File, CaseError> {
        let mut o = OpenOptions::new();
        o.create(true).read(true).append(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            o.mode(0o600);
        }
        let f = o
            .open(&self.path)
            .map_err(|e| CaseError::io(&self.path, e))?;
        f.lock().map_err(|e| CaseError::io(&self.path, e))?;
        Ok(f)
    }

    /// Whether an entry could be appended now (the file opens for writing): checked before an
    /// action starts, so that one which could not be logged is not started.
    pub fn check_writable(&self) -> Result<(), CaseError> {
        let f = self.open()?;
        let _ = f.unlock();
        Ok(())
    }

    /// Appends `record` as the next entry, fsynced, and moves the head. Returns the entry.
    ///
    /// A crash costs at most the entry being written: an entry written whole whose newline was
    /// lost gets it back (a line's hash does not include it); the torn start of an entry is moved
    /// into a file beside the log (`log.jsonl.torn-<offset>`, kept) and an entry saying so
    /// ([`SET_ASIDE`], with the bytes' size and hash) is chained in before `record`.
    pub fn append(
        &self,
        case: &str,
        actor: &str,
        record: Record,
        now: DateTime<Utc>,
    ) -> Result<Entry, CaseError> {
        let mut f = self.open()?;
        let result = self.append_locked(&mut f, case, actor, record, now);
        let _ = f.unlock();
        result
    }

    fn append_locked(
        &self,
        f: &mut File,
        case: &str,
        actor: &str,
        record: Record,
        now: DateTime<Utc>,
    ) -> Result<Entry, CaseError> {
        let io = |e| CaseError::io(&self.path, e);
        let end = read_end(f).map_err(io)?;
        let mut last = end.last;
        if !end.tail.is_empty() {
            if serde_json::from_slice::<Entry>(&end.tail).is_ok() {
                // Written whole, but its newline was lost: give it back.
                f.write_all(b"\n").map_err(io)?;
                f.sync_data().map_err(io)?;
                last = Some(end.tail);
            } else {
                let aside = self.set_aside(f, end.tail_at, &end.tail)?;
                let (_, line) = self.write_entry(f, last.as_deref(), case, actor, aside, now)?;
                last = Some(line);
            }
        }
        let (entry, _) = self.write_entry(f, last.as_deref(), case, actor, record, now)?;
        Ok(entry)
    }

    /// Moves the torn bytes from `at` to the end of the log into a file of their own beside it
    /// (written and fsynced first, so a crash here loses nothing), then cuts them off the log.
    /// Returns the record of it, for the chain.
    fn set_aside(&self, f: &File, at: u64, torn: &[u8]) -> Result<Record, CaseError> {
        let name = self
            .path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let mut aside = None;
        for n in 1..=1000 {
            let file = if n == 1 {
                format!("{name}.torn-{at}")
            } else {
                format!("{name}.torn-{at}-{n}")
            };
            let path = self.path.with_file_name(&file);
            match std::fs::read(&path) {
                // Set aside by an append that stopped before it cut them off.
                Ok(b) if b == torn => {}
                Ok(_) => continue,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    write_atomically(&path, torn).map_err(|e| CaseError::io(&path, e))?;
                }
                Err(e) => return Err(CaseError::io(&path, e)),
            }
            aside = Some(file);
            break;
        }
        let Some(file) = aside else {
            return Err(CaseError::Corrupt {
                path: self.path.clone(),
                reason: "its torn last line could not be set aside: 1000 files of that name are there already".into(),
            });
        };
        let io = |e| CaseError::io(&self.path, e);
        f.set_len(at).map_err(io)?;
        f.sync_all().map_err(io)?;
        Ok(Record::new(SET_ASIDE).params(json!({
            "file": file,
            "offset": at,
            "bytes": torn.len(),
            "sha256": file_hash(torn),
            "reason": "the log ended in part of an entry (rolecall stopped while writing it): those bytes were moved, unchanged, into this file beside the log",
        })))
    }

    /// Writes `record` as the entry after `last` (the last line, `None` for the first entry),
    /// fsynced, then moves the head. Returns the entry and its line.
    fn write_entry(
        &self,
        f: &mut File,
        last: Option<&[u8]>,
        case: &str,
        actor: &str,
        record: Record,
        now: DateTime<Utc>,
    ) -> Result<(Entry, Vec<u8>), CaseError> {
        let io = |e| CaseError::io(&self.path, e);
        let (seq, prev) = match last {
            None => (1, String::new()),
            Some(line) => {
                let entry: Entry =
                    serde_json::from_slice(line).map_err(|e| CaseError::Corrupt {
                        path: self.path.clone(),
                        reason: format!(
                            "its last line is not an entry ({e}); run rolecall case verify"
                        ),
                    })?;
                (entry.seq + 1, line_hash(line))
            }
        };
        let entry = Entry {
            seq,
            ts: now.to_rfc3339_opts(SecondsFormat::Millis, true),
            case: case.to_string(),
            actor: actor.to_string(),
            record,
            host: hostname(),
            rolecall: env!("CARGO_PKG_VERSION").to_string(),
            prev,
        };
        let line = serde_json::to_string(&entry).map_err(|e| CaseError::Corrupt {
            path: self.path.clone(),
            reason: format!("an entry could not be written as JSON: {e}"),
        })?;
        let mut bytes = line.clone().into_bytes();
        bytes.push(b'\n');
        f.write_all(&bytes).map_err(io)?;
        f.sync_data().map_err(io)?;
        let head = Head {
            seq,
            hash: line_hash(line.as_bytes()),
        };
        write_atomically(&self.head, head.text().as_bytes())
            .map_err(|e| CaseError::io(&self.head, e))?;
        Ok((entry, line.into_bytes()))
    }

    /// The head as last recorded (`None`: no entry yet, or no head file).
    pub fn recorded_head(&self) -> Option<Head> {
        std::fs::read_to_string(&self.head)
            .ok()
            .and_then(|t| Head::parse(&t))
    }

    /// The log and its head as they stand between appends: read under a shared lock on the log,
    /// which appends hold exclusively, so no append is half-seen and the head is the log's.
    pub fn snapshot(&self) -> Result<Snapshot, CaseError> {
        let io = |e| CaseError::io(&self.path, e);
        match std::fs::metadata(&self.path) {
            Ok(m) if !m.is_file() => {
                return Err(CaseError::Corrupt {
                    path: self.path.clone(),
                    reason: "it is not a regular file".into(),
                })
            }
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Snapshot {
                    head: self.recorded_head(),
                    ..Snapshot::default()
                })
            }
            Err(e) => return Err(io(e)),
        }
        let mut f = File::open(&self.path).map_err(io)?;
        f.lock_shared().map_err(io)?;
        let mut bytes = Vec::new();
        let read = f.read_to_end(&mut bytes);
        let head = self.recorded_head();
        let _ = f.unlock();
        read.map_err(io)?;
        let mut lines: Vec<Vec<u8>> = bytes.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
        // What follows the last newline (all of it when there is none).
        let tail = lines.pop().unwrap_or_default();
        lines.retain(|l| !l.is_empty());
        Ok(Snapshot { lines, tail, head })
    }

    /// Every entry that parses, in order (for the TUI's log view and `case show`).
    pub fn entries(&self) -> Result<Vec<Entry>, CaseError> {
        let s = self.snapshot()?;
        Ok(s.lines
            .iter()
            .chain(std::iter::once(&s.tail))
            .filter_map(|l| serde_json::from_slice(l).ok())
            .collect())
    }
}

/// The last line ended by a newline, and what follows it, read from the end.
fn read_end(f: &mut File) -> std::io::Result<End> {
    let len = f.seek(SeekFrom::End(0))?;
    let mut chunk = 4096u64;
    loop {
        let start = len.saturating_sub(chunk);
        chunk = chunk.saturating_mul(4);
        f.seek(SeekFrom::Start(start))?;
        let mut buf = Vec::with_capacity((len - start) as usize);
        Read::by_ref(f).take(len - start).read_to_end(&mut buf)?;
        let whole = start == 0;
        let tail_from = match buf.iter().rposition(|&b| b == b'\n') {
            Some(i) => i + 1,
            None if whole => 0,
            None => continue,
        };
        let last = if tail_from == 0 {
            None
        } else {
            let body = &buf[..tail_from - 1];
            match body.iter().rposition(|&b| b == b'\n') {
                Some(i) => Some(body[i + 1..].to_vec()),
                None if whole => Some(body.to_vec()),
                None => continue,
            }
        };
        return Ok(End {
            last,
            tail_at: start + tail_from as u64,
            tail: buf[tail_from..].to_vec(),
        });
    }
}

/// This machine's name, for the log.
pub fn hostname() -> String {
    gethostname::gethostname().to_string_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::super::verify::{verify, Verdict};
    use super::*;

    fn log_of(n: usize) -> (tempfile::TempDir, Log) {
        let dir = tempfile::tempdir().unwrap();
        let log = Log::new(dir.path());
        for i in 0..n {
            log.append("IR-1", "me", Record::new(format!("a{i}")), Utc::now())
                .unwrap();
        }
        (dir, log)
    }

    fn holds(log: &Log) -> (u64, Vec<String>) {
        match verify(log, "IR-1").unwrap() {
            Verdict::Holds { entries, notes, .. } => (entries, notes),
            v => panic!("the chain should hold: {v:?}"),
        }
    }

    #[test]
    fn a_lost_final_newline_costs_nothing() {
        let (_d, log) = log_of(3);
        let bytes = std::fs::read(&log.path).unwrap();
        std::fs::write(&log.path, &bytes[..bytes.len() - 1]).unwrap();
        let (entries, notes) = holds(&log);
        assert_eq!(entries, 3);
        assert!(
            notes.iter().any(|n| n.contains("lost the newline")),
            "{notes:?}"
        );
        let e = log.append("IR-1", "me", Record::new("next"), Utc::now());
        assert_eq!(e.unwrap().seq, 4);
        let text = std::fs::read_to_string(&log.path).unwrap();
        assert_eq!(text.lines().count(), 4, "{text}");
        assert!(text.ends_with('\n'));
        assert_eq!(holds(&log), (4, vec![]));
        assert_eq!(log.entries().unwrap().len(), 4);
    }

    #[test]
    fn a_torn_last_line_is_set_aside_kept_and_recorded_in_the_chain() {
        let (d, log) = log_of(3);
        let good = std::fs::metadata(&log.path).unwrap().len();
        // A crash while entry 4 was written: part of its JSON, no newline; the head still says 3.
        let torn = br#"{"seq":4,"ts":"2026-11-29T20:04:51.059Z","case":"IR-1","act"#;
        let mut f = OpenOptions::new().append(true).open(&log.path).unwrap();
        f.write_all(torn).unwrap();
        drop(f);
        let (entries, notes) = holds(&log);
        assert_eq!(entries, 3);
        assert!(
            notes.iter().any(|n| n.contains("line 4 is cut off")),
            "{notes:?}"
        );

        let e = log
            .append("IR-1", "me", Record::new("after"), Utc::now())
            .unwrap();
        assert_eq!((e.seq, e.record.action.as_str()), (5, "after"));
        let entries = log.entries().unwrap();
        let aside = &entries[3];
        assert_eq!(aside.record.action, SET_ASIDE);
        let file = aside.record.params["file"].as_str().unwrap();
        assert_eq!(file, format!("log.jsonl.torn-{good}"));
        assert_eq!(aside.record.params["bytes"], torn.len());
        assert_eq!(aside.record.params["sha256"], file_hash(torn));
        assert_eq!(std::fs::read(d.path().join(file)).unwrap(), torn);
        let (entries, notes) = holds(&log);
        assert_eq!(entries, 5);
        assert!(
            notes
                .iter()
                .any(|n| n.contains(file) && n.contains("holds them unchanged")),
            "{notes:?}"
        );

        // A second crash, this time leaving zeros (a file grown but its data never written).
        let mut f = OpenOptions::new().append(true).open(&log.path).unwrap();
        f.write_all(&[0u8; 300]).unwrap();
        drop(f);
        log.append("IR-1", "me", Record::new("again"), Utc::now())
            .unwrap();
        assert_eq!(holds(&log).0, 7);
        // The set-aside file edited afterwards: verify says so.
        std::fs::write(d.path().join(file), b"other").unwrap();
        let (_, notes) = holds(&log);
        assert!(notes.iter().any(|n| n.contains("was changed")), "{notes:?}");
    }

    #[test]
    fn a_torn_line_set_aside_before_a_crash_is_not_set_aside_twice() {
        let (d, log) = log_of(2);
        let at = std::fs::metadata(&log.path).unwrap().len();
        let torn = b"{\"seq\":3,\"ts\"";
        let mut f = OpenOptions::new().append(true).open(&log.path).unwrap();
        f.write_all(torn).unwrap();
        drop(f);
        // An earlier append wrote the file and stopped before cutting the log; another file of
        // the same name with other bytes is never overwritten.
        std::fs::write(d.path().join(format!("log.jsonl.torn-{at}")), torn).unwrap();
        log.append("IR-1", "me", Record::new("x"), Utc::now())
            .unwrap();
        let names = |d: &Path| {
            let mut n: Vec<String> = std::fs::read_dir(d)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            n.sort();
            n
        };
        assert_eq!(
            names(d.path()),
            ["head", "log.jsonl", &format!("log.jsonl.torn-{at}")]
        );
        let at2 = std::fs::metadata(&log.path).unwrap().len();
        std::fs::write(d.path().join(format!("log.jsonl.torn-{at2}")), b"not these").unwrap();
        let mut f = OpenOptions::new().append(true).open(&log.path).unwrap();
        f.write_all(b"{").unwrap();
        drop(f);
        let e = log
            .append("IR-1", "me", Record::new("y"), Utc::now())
            .unwrap();
        assert_eq!(e.seq, 6);
        assert_eq!(
            std::fs::read(d.path().join(format!("log.jsonl.torn-{at2}-2"))).unwrap(),
            b"{"
        );
        assert_eq!(holds(&log).0, 6);
    }

    #[test]
    fn a_torn_first_line_is_set_aside_too() {
        let dir = tempfile::tempdir().unwrap();
        let log = Log::new(dir.path());
        std::fs::write(&log.path, b"{\"seq\":1,").unwrap();
        let e = log
            .append("IR-1", "me", Record::new("open"), Utc::now())
            .unwrap();
        assert_eq!(e.seq, 2);
        assert_eq!(log.entries().unwrap()[0].record.action, SET_ASIDE);
        assert_eq!(log.entries().unwrap()[0].prev, "");
        assert_eq!(holds(&log).0, 2);
    }
}
