//! A case's log: one JSON object a line, append-only, each line chained to the one before by
//! the SHA-256 of its bytes, written and fsynced before whatever it records is reported done.
//!
//! Appends take an exclusive lock on the log file, read the last line for its `seq` and hash,
//! write the new line, fsync it, and then record the new head (seq and hash) in `head`, so that
//! a log cut short (lines removed from the end) can be told from a log that simply ends.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::CaseError;

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
    hex::encode(Sha256::digest(line))
}

/// The SHA-256 of a file's bytes, in hex.
pub fn file_hash(bytes: &[u8]) -> String {
    line_hash(bytes)
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

/// A case's log file, and its head file beside it.
#[derive(Debug, Clone)]
pub struct Log {
    pub path: PathBuf,
    head: PathBuf,
}

impl Log {
    pub fn new(dir: &Path) -> Log {
        Log {
            path: dir.join("log.jsonl"),
            head: dir.join("head"),
        }
    }

    /// Opens the log for appending (creating it `0600`), locked against other appenders.
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
        let last = last_line(f).map_err(io)?;
        let (seq, prev) = match &last {
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
        Ok(entry)
    }

    /// The head as last recorded (`None`: no entry yet, or no head file).
    pub fn recorded_head(&self) -> Option<Head> {
        std::fs::read_to_string(&self.head)
            .ok()
            .and_then(|t| Head::parse(&t))
    }

    /// The log's lines, as bytes without their newlines; the last one may lack its newline
    /// (then `complete` is false).
    pub fn lines(&self) -> Result<(Vec<Vec<u8>>, bool), CaseError> {
        let bytes = match std::fs::metadata(&self.path) {
            Ok(m) if !m.is_file() => {
                return Err(CaseError::Corrupt {
                    path: self.path.clone(),
                    reason: "it is not a regular file".into(),
                })
            }
            Ok(_) => std::fs::read(&self.path).map_err(|e| CaseError::io(&self.path, e))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((Vec::new(), true)),
            Err(e) => return Err(CaseError::io(&self.path, e)),
        };
        let complete = bytes.is_empty() || bytes.ends_with(b"\n");
        let lines = bytes
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .map(<[u8]>::to_vec)
            .collect();
        Ok((lines, complete))
    }

    /// Every entry that parses, in order (for the TUI's log view and `case show`).
    pub fn entries(&self) -> Result<Vec<Entry>, CaseError> {
        let (lines, _) = self.lines()?;
        Ok(lines
            .iter()
            .filter_map(|l| serde_json::from_slice(l).ok())
            .collect())
    }
}

/// The last line of the file (without its newline), read from the end.
fn last_line(f: &mut File) -> std::io::Result<Option<Vec<u8>>> {
    let len = f.seek(SeekFrom::End(0))?;
    if len == 0 {
        return Ok(None);
    }
    let mut chunk = 4096u64;
    loop {
        let start = len.saturating_sub(chunk);
        f.seek(SeekFrom::Start(start))?;
        let mut buf = Vec::with_capacity((len - start) as usize);
        Read::by_ref(f).take(len - start).read_to_end(&mut buf)?;
        let body = buf.strip_suffix(b"\n").unwrap_or(&buf);
        if let Some(i) = body.iter().rposition(|&b| b == b'\n') {
            return Ok(Some(body[i + 1..].to_vec()));
        }
        if start == 0 {
            return Ok(Some(body.to_vec()));
        }
        chunk *= 4;
    }
}

/// Creates a folder (and its parents) readable by its owner only (`0700`).
pub fn create_private_dir(path: &Path) -> std::io::Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(path)
}

/// Writes `bytes` to `path` through a temporary file and a rename, fsynced, `0600`. The temporary
/// file's name is this process's and this call's own: two writers of one file (the TUI and a
/// command refreshing the same organization cache) each rename a whole file, the last one wins,
/// and neither writes into the other's.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let seq = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = path.with_file_name(format!(".{name}.{}-{seq}.tmp", std::process::id()));
    let written = (|| {
        let mut o = OpenOptions::new();
        o.create_new(true).write(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            o.mode(0o600);
        }
        let mut f = o.open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written?;
    if let Some(dir) = path.parent() {
        // The rename itself is durable once the folder is.
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}

/// This machine's name, for the log.
pub fn hostname() -> String {
    gethostname::gethostname().to_string_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writers_of_one_file_each_rename_a_whole_file_and_leave_no_temporary_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("org.json");
        let contents: Vec<Vec<u8>> = (0..8u8).map(|i| vec![b'a' + i; 64 * 1024]).collect();
        std::thread::scope(|s| {
            for c in &contents {
                let path = &path;
                s.spawn(move || {
                    for _ in 0..20 {
                        write_atomically(path, c).unwrap();
                    }
                });
            }
        });
        let read = std::fs::read(&path).unwrap();
        assert!(contents.contains(&read), "one writer's whole file");
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["org.json"]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn a_write_that_fails_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        // The target is a folder: the rename fails after the temporary file was written.
        let path = dir.path().join("taken");
        std::fs::create_dir(&path).unwrap();
        std::fs::write(path.join("inside"), b"x").unwrap();
        assert!(write_atomically(&path, b"data").is_err());
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["taken"]);
    }
}
