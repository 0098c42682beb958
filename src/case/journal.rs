//! The handle every action records through: the case a run works in (or none), and who acts.
//! Cloned into every job; opening or closing a case in the TUI changes it for all of them.

use std::sync::{Arc, Mutex};

use chrono::Utc;

use super::{Case, CaseError, CaseId, Entry, Record};
use crate::aws::identity::caller_identity;
use crate::aws::Aws;

#[derive(Clone, Default)]
pub struct Journal {
    inner: Arc<Mutex<Inner>>,
}

#[derive(Default)]
struct Inner {
    case: Option<Case>,
    /// The primary identity's ARN, once known.
    actor: Option<String>,
}

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Journal")
            .field("case", &self.case_id())
            .finish()
    }
}

impl Journal {
    /// Records into `case`'s log (nothing when `None`).
    pub fn new(case: Option<Case>) -> Journal {
        Journal {
            inner: Arc::new(Mutex::new(Inner { case, actor: None })),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn case(&self) -> Option<Case> {
        self.lock().case.clone()
    }

    pub fn case_id(&self) -> Option<CaseId> {
        self.lock().case.as_ref().map(|c| c.id.clone())
    }

    /// From now on, records go to `case` (or nowhere).
    pub fn set_case(&self, case: Option<Case>) {
        self.lock().case = case;
    }

    /// Who acts: the primary identity's ARN.
    pub fn set_actor(&self, arn: &str) {
        self.lock().actor = Some(arn.to_string());
    }

    pub fn actor(&self) -> Option<String> {
        self.lock().actor.clone()
    }

    /// Whether an action may start: no case, or one that is open and whose log can be written.
    /// An action checks this first, so that one that could not be logged is not started.
    pub fn check(&self) -> Result<(), CaseError> {
        let Some(case) = self.case() else {
            return Ok(());
        };
        if case.is_closed()? {
            return Err(CaseError::Closed(case.id.to_string()));
        }
        case.log.check_writable()
    }

    /// Appends `record` to the case's log, fsynced, before the caller reports the action done;
    /// `Ok(None)` when no case is open. Learns who acts first (GetCallerIdentity with `aws`)
    /// when that is not known yet.
    pub async fn record(&self, aws: &Aws, record: Record) -> Result<Option<Entry>, CaseError> {
        let Some(case) = self.case() else {
            return Ok(None);
        };
        let actor = match self.actor() {
            Some(a) => a,
            None => {
                let id = caller_identity(aws).await.map_err(|e| CaseError::Io {
                    path: case.log.path.clone(),
                    message: format!("who acts is not known, and asking failed: {e}"),
                })?;
                self.set_actor(&id.arn);
                id.arn
            }
        };
        let log = case.log.clone();
        let id = case.id.to_string();
        tokio::task::spawn_blocking(move || log.append(&id, &actor, record, Utc::now()))
            .await
            .map_err(|e| CaseError::Io {
                path: case.log.path.clone(),
                message: format!("the writer stopped: {e}"),
            })?
            .map(Some)
    }
}
