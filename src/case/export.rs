//! Exports of what a table shows: the rows as CSV and as JSON, side by side, each with its
//! SHA-256 for the case log.

use std::path::{Path, PathBuf};

use serde::Serialize;

pub(crate) use super::private_dir;
use super::CaseError;
use crate::files::{file_hash, write_atomically};
use crate::resources::{to_csv, Kind, Row};

/// The two files an export made.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Exported {
    pub csv: PathBuf,
    pub json: PathBuf,
    pub rows: usize,
    pub csv_sha256: String,
    pub json_sha256: String,
}

/// A file name part from free text: letters, digits, `-`, `_`, `.`; the rest becomes `_`.
pub fn slug(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Writes `rows` (of `kind`; `every`: every account's, with their accounts) as `dir/NAME.csv`
/// and `dir/NAME.json` (`0600`, the folder `0700`).
pub fn write(
    dir: &Path,
    name: &str,
    kind: Kind,
    every: bool,
    rows: &[Row],
) -> Result<Exported, CaseError> {
    super::private_dir(dir)?;
    let csv = to_csv(kind, every, rows).map_err(|e| CaseError::Io {
        path: dir.to_path_buf(),
        message: format!("the rows could not be written as CSV: {e}"),
    })?;
    let json = serde_json::to_string_pretty(rows).map_err(|e| CaseError::Io {
        path: dir.to_path_buf(),
        message: format!("the rows could not be written as JSON: {e}"),
    })?;
    let csv_path = dir.join(format!("{name}.csv"));
    let json_path = dir.join(format!("{name}.json"));
    write_atomically(&csv_path, csv.as_bytes()).map_err(|e| CaseError::io(&csv_path, e))?;
    write_atomically(&json_path, json.as_bytes()).map_err(|e| CaseError::io(&json_path, e))?;
    Ok(Exported {
        rows: rows.len(),
        csv_sha256: file_hash(csv.as_bytes()),
        json_sha256: file_hash(json.as_bytes()),
        csv: csv_path,
        json: json_path,
    })
}

/// Removes an export's files (its log entry could not be written: nothing half-done stays).
pub fn remove(e: &Exported) {
    let _ = std::fs::remove_file(&e.csv);
    let _ = std::fs::remove_file(&e.json);
}
