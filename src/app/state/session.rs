//! What the UI knows of each role's session: never the credentials, only their state.

use chrono::{DateTime, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Assuming,
    Active,
    Refreshing,
    Failed,
}

/// What the UI knows of one role's session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionInfo {
    pub phase: Phase,
    pub assumed_arn: Option<String>,
    pub expiration: Option<DateTime<Utc>>,
    pub refresh_count: u32,
    pub last_error: Option<String>,
}

impl SessionInfo {
    /// A session being assumed for the first time.
    pub fn assuming() -> Self {
        SessionInfo {
            phase: Phase::Assuming,
            assumed_arn: None,
            expiration: None,
            refresh_count: 0,
            last_error: None,
        }
    }

    pub fn status(&self, now: DateTime<Utc>) -> SessionStatus {
        let left = self.expiration.map(|e| (e - now).num_seconds());
        match (self.phase, left) {
            (Phase::Assuming, _) => SessionStatus::Assuming,
            (Phase::Refreshing, _) => SessionStatus::Refreshing,
            (_, Some(l)) if l <= 0 => SessionStatus::Expired,
            (Phase::Active, Some(l)) => SessionStatus::Active { seconds_left: l },
            (Phase::Active, None) => SessionStatus::Expired,
            (Phase::Failed, _) => SessionStatus::Failed,
        }
    }
}

/// A session's state as shown: `Active` turns into `Expired` by the clock alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionStatus {
    NotAssumed,
    Assuming,
    Active { seconds_left: i64 },
    Refreshing,
    Expired,
    Failed,
}
