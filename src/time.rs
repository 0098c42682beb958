//! How times are written, said once for the case log, the organization cache's warnings and the
//! command line's output.

use chrono::{DateTime, Utc};

/// `2026-11-22T10:04:05Z`
pub fn rfc3339(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}
