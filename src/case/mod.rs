//! The case file: what a responder did, for whom, and when, in an append-only log that can be
//! verified afterwards; and the exports of what they saw.
//!
//! Cases live under the platform data dir (`cases/<ID>/`, `0700`; files `0600`), or under
//! `[case] dir`. A case has `case.json` (id, title, when and by whom it was opened), `log.jsonl`
//! (see [`log`]), `head` (the last entry's number and hash) and `exports/`. The current case is
//! named in `cases/current`.

pub mod export;
mod journal;
pub mod log;
pub mod records;
pub mod verify;

use std::path::{Path, PathBuf};

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

pub use journal::Journal;
pub use log::{Entry, Log, Record};

/// Why a case could not be used.
#[derive(Debug, Clone, thiserror::Error)]
pub enum CaseError {
    #[error("case id \"{0}\": use 1 to 64 letters, digits, '-', '_' and '.' (and not only dots)")]
    BadId(String),
    #[error("no case \"{id}\" in {}: rolecall case list shows the cases there; rolecall case open {id} makes it", root.display())]
    Unknown { id: String, root: PathBuf },
    #[error("case {0} is closed: rolecall case open {0} reopens it, or open another")]
    Closed(String),
    #[error("the case file {} cannot be written: {message} (nothing was done; check the disk space and permissions, or use another [case] dir)", path.display())]
    Io { path: PathBuf, message: String },
    #[error("the case file {} is damaged: {reason}", path.display())]
    Corrupt { path: PathBuf, reason: String },
    #[error("no platform data folder for the cases (is HOME set?); set [case] dir in the config")]
    NoDataDir,
}

impl CaseError {
    pub fn io(path: &Path, e: std::io::Error) -> CaseError {
        CaseError::Io {
            path: path.to_path_buf(),
            message: e.to_string(),
        }
    }
}

/// A case id: letters, digits, `-`, `_`, `.`; 1 to 64 characters; never `.` or `..`, so it can
/// only ever name a folder inside the cases folder.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct CaseId(String);

impl CaseId {
    pub fn parse(s: &str) -> Result<CaseId, CaseError> {
        let ok = (1..=64).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
            && !s.bytes().all(|b| b == b'.');
        if ok {
            Ok(CaseId(s.to_string()))
        } else {
            Err(CaseError::BadId(s.to_string()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for CaseId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// `case.json`: what the case is.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Meta {
    pub id: String,
    pub title: Option<String>,
    pub opened_at: String,
    pub opened_by: String,
}

/// One case's folder.
#[derive(Debug, Clone)]
pub struct Case {
    pub id: CaseId,
    pub dir: PathBuf,
    pub log: Log,
}

impl Case {
    fn at(root: &Path, id: CaseId) -> Case {
        let dir = root.join(id.as_str());
        Case {
            log: Log::new(&dir),
            dir,
            id,
        }
    }

    pub fn meta(&self) -> Result<Meta, CaseError> {
        let path = self.dir.join("case.json");
        let text = std::fs::read_to_string(&path).map_err(|e| CaseError::io(&path, e))?;
        serde_json::from_str(&text).map_err(|e| CaseError::Corrupt {
            path,
            reason: e.to_string(),
        })
    }

    /// Where exports of this case go.
    pub fn exports(&self) -> PathBuf {
        self.dir.join("exports")
    }

    /// The marker a closed case has (removed when it is opened again): checked before every
    /// action, so it is a file's presence, not a read of the whole log.
    fn closed_marker(&self) -> PathBuf {
        self.dir.join("closed")
    }

    pub fn is_closed(&self) -> Result<bool, CaseError> {
        Ok(self.closed_marker().exists())
    }

    /// What `case show` and `case list` say of it.
    pub fn summary(&self, current: bool) -> Result<Summary, CaseError> {
        let meta = self.meta()?;
        let entries = self.log.entries()?;
        Ok(Summary {
            id: meta.id,
            title: meta.title,
            dir: self.dir.clone(),
            log: self.log.path.clone(),
            opened_at: meta.opened_at,
            opened_by: meta.opened_by,
            entries: entries.len() as u64,
            last_hash: self.log.recorded_head().map(|h| h.hash),
            closed_at: closed_at(&entries),
            current,
        })
    }
}

/// When the case was last closed, unless it was opened again since.
fn closed_at(entries: &[Entry]) -> Option<String> {
    entries
        .iter()
        .rev()
        .find(|e| e.record.action.starts_with("case."))
        .filter(|e| e.record.action == "case.close")
        .map(|e| e.ts.clone())
}

/// A case as listed and shown.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub id: String,
    pub title: Option<String>,
    pub dir: PathBuf,
    pub log: PathBuf,
    pub opened_at: String,
    pub opened_by: String,
    pub entries: u64,
    /// The last entry's hash: write it into the ticket, and a rewritten log will not match it.
    pub last_hash: Option<String>,
    pub closed_at: Option<String>,
    pub current: bool,
}

/// Where the cases are.
#[derive(Debug, Clone)]
pub struct Cases {
    pub root: PathBuf,
}

/// Creates a folder (and its parents) readable by its owner only.
pub(crate) fn private_dir(path: &Path) -> Result<(), CaseError> {
    crate::files::create_private_dir(path).map_err(|e| CaseError::io(path, e))
}

impl Cases {
    /// `[case] dir` when set, else `cases/` in the platform data dir.
    pub fn locate(config: &crate::config::Config) -> Result<Cases, CaseError> {
        let root = match &config.case.dir {
            Some(dir) => dir.clone(),
            None => directories::ProjectDirs::from("", "", "rolecall")
                .map(|d| d.data_local_dir().join("cases"))
                .ok_or(CaseError::NoDataDir)?,
        };
        Ok(Cases { root })
    }

    fn current_file(&self) -> PathBuf {
        self.root.join("current")
    }

    /// The current case's id, if one was opened and not closed.
    pub fn current(&self) -> Result<Option<CaseId>, CaseError> {
        let path = self.current_file();
        match std::fs::read_to_string(&path) {
            Ok(text) if text.trim().is_empty() => Ok(None),
            Ok(text) => CaseId::parse(text.trim()).map(Some),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(CaseError::io(&path, e)),
        }
    }

    /// A case that exists.
    pub fn get(&self, id: &CaseId) -> Result<Case, CaseError> {
        let case = Case::at(&self.root, id.clone());
        if case.dir.join("case.json").is_file() {
            Ok(case)
        } else {
            Err(CaseError::Unknown {
                id: id.to_string(),
                root: self.root.clone(),
            })
        }
    }

    /// The case a run works in: `named` (from `--case` / `ROLECALL_CASE`), else the current
    /// one; `None` when neither. A named case must exist.
    pub fn pick(&self, named: Option<&str>) -> Result<Option<Case>, CaseError> {
        let id = match named {
            Some(n) => Some(CaseId::parse(n)?),
            None => self.current()?,
        };
        id.map(|id| self.get(&id)).transpose()
    }

    /// Opens case `id` (creating it, or reopening it) and makes it the current one. Logs
    /// `case.open` (or `case.reopen`) as done by `actor`.
    pub fn open(
        &self,
        id: &CaseId,
        title: Option<&str>,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<(Case, Entry), CaseError> {
        private_dir(&self.root)?;
        let case = Case::at(&self.root, id.clone());
        let exists = case.dir.join("case.json").is_file();
        let action = if exists { "case.reopen" } else { "case.open" };
        if !exists {
            private_dir(&case.dir)?;
            let meta = Meta {
                id: id.to_string(),
                title: title.map(str::to_string),
                opened_at: now.to_rfc3339_opts(SecondsFormat::Millis, true),
                opened_by: actor.to_string(),
            };
            let json = serde_json::to_vec_pretty(&meta).map_err(|e| CaseError::Corrupt {
                path: case.dir.join("case.json"),
                reason: e.to_string(),
            })?;
            let path = case.dir.join("case.json");
            crate::files::write_atomically(&path, &json).map_err(|e| CaseError::io(&path, e))?;
        }
        let record = Record::new(action).params(serde_json::json!({
            "title": title,
            "dir": case.dir,
        }));
        let entry = case.log.append(id.as_str(), actor, record, now)?;
        let marker = case.closed_marker();
        if marker.exists() {
            std::fs::remove_file(&marker).map_err(|e| CaseError::io(&marker, e))?;
        }
        let path = self.current_file();
        crate::files::write_atomically(&path, format!("{id}\n").as_bytes())
            .map_err(|e| CaseError::io(&path, e))?;
        Ok((case, entry))
    }

    /// Closes `case`: logs `case.close`; it stops being the current case.
    pub fn close(&self, case: &Case, actor: &str, now: DateTime<Utc>) -> Result<Entry, CaseError> {
        if case.is_closed()? {
            return Err(CaseError::Closed(case.id.to_string()));
        }
        let entry = case
            .log
            .append(case.id.as_str(), actor, Record::new("case.close"), now)?;
        let marker = case.closed_marker();
        crate::files::write_atomically(&marker, entry.ts.as_bytes())
            .map_err(|e| CaseError::io(&marker, e))?;
        if self.current()?.as_ref() == Some(&case.id) {
            let path = self.current_file();
            crate::files::write_atomically(&path, b"").map_err(|e| CaseError::io(&path, e))?;
        }
        Ok(entry)
    }

    /// Every case, by id.
    pub fn list(&self) -> Result<Vec<Summary>, CaseError> {
        let current = self.current()?;
        let dirs = match std::fs::read_dir(&self.root) {
            Ok(d) => d,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(CaseError::io(&self.root, e)),
        };
        let mut out = Vec::new();
        for d in dirs.flatten() {
            let name = d.file_name().to_string_lossy().into_owned();
            let Ok(id) = CaseId::parse(&name) else {
                continue;
            };
            if let Ok(case) = self.get(&id) {
                out.push(case.summary(current.as_ref() == Some(&id))?);
            }
        }
        out.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_ids_name_only_a_folder_inside_the_cases() {
        for ok in ["IR-2026-0042", "a", "case_1.b", &"x".repeat(64)] {
            assert!(CaseId::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            ".",
            "..",
            "a/b",
            "../etc",
            "a b",
            "ä",
            &"x".repeat(65),
            "a\\b",
        ] {
            let e = CaseId::parse(bad).unwrap_err().to_string();
            assert!(e.contains("1 to 64 letters"), "{bad}: {e}");
        }
    }

    #[test]
    fn open_close_reopen_and_list() {
        let dir = tempfile::tempdir().unwrap();
        let cases = Cases {
            root: dir.path().join("cases"),
        };
        let id = CaseId::parse("IR-7").unwrap();
        let now = Utc::now();
        let (case, first) = cases.open(&id, Some("phish"), "me", now).unwrap();
        assert_eq!((first.seq, first.record.action.as_str()), (1, "case.open"));
        assert_eq!(cases.current().unwrap(), Some(id.clone()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&case.dir), 0o700);
            assert_eq!(mode(&cases.root), 0o700);
            assert_eq!(mode(&case.log.path), 0o600);
            assert_eq!(mode(&case.dir.join("case.json")), 0o600);
        }
        cases.close(&case, "me", now).unwrap();
        assert_eq!(cases.current().unwrap(), None);
        assert!(case.is_closed().unwrap());
        assert!(matches!(
            cases.close(&case, "me", now),
            Err(CaseError::Closed(_))
        ));
        let (_, again) = cases.open(&id, None, "me", now).unwrap();
        assert_eq!(
            (again.seq, again.record.action.as_str()),
            (3, "case.reopen")
        );
        let list = cases.list().unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].title.as_deref(), Some("phish"));
        assert_eq!((list[0].entries, list[0].current), (3, true));
        assert!(list[0].closed_at.is_none());
        assert!(matches!(
            cases.pick(Some("nope")),
            Err(CaseError::Unknown { .. })
        ));
    }
}
