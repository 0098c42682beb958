//! Runs jobs: one tokio task per job, one job per slot (a new one aborts the one before), every
//! answer sent back as `Msg::Job` with the job's slot and id.

use std::collections::HashMap;

use tokio::sync::mpsc;
use tokio::task::AbortHandle;

use super::work::{self, Context};
use crate::app::effect::{Job, Slot};
use crate::app::msg::{Answer, Msg};

/// Where a job's answers go: tagged with the job, so `update` can tell a stale one.
#[derive(Clone)]
pub struct Reply {
    tx: mpsc::UnboundedSender<Msg>,
    slot: Slot,
    id: u64,
}

impl Reply {
    /// Sends an answer; false once nobody listens (the UI has quit).
    pub fn answer(&self, answer: Answer) -> bool {
        self.tx
            .send(Msg::Job {
                slot: self.slot.clone(),
                id: self.id,
                answer,
            })
            .is_ok()
    }

    /// Sends a message that is not an answer (a session the job put in the store).
    pub fn tell(&self, msg: Msg) -> bool {
        self.tx.send(msg).is_ok()
    }
}

pub struct Jobs {
    tx: mpsc::UnboundedSender<Msg>,
    context: Context,
    running: HashMap<Slot, AbortHandle>,
}

impl Jobs {
    pub fn new(tx: mpsc::UnboundedSender<Msg>, context: Context) -> Self {
        Jobs {
            tx,
            context,
            running: HashMap::new(),
        }
    }

    /// Starts `job` in its slot, aborting the job that was there.
    pub fn start(&mut self, job: Job) {
        let slot = job.slot();
        let reply = Reply {
            tx: self.tx.clone(),
            slot: slot.clone(),
            id: job.id,
        };
        let task = tokio::spawn(work::run(self.context.clone(), job.work, reply));
        if let Some(old) = self.running.insert(slot, task.abort_handle()) {
            old.abort();
        }
    }

    /// Aborts the job in `slot`, if any.
    pub fn cancel(&mut self, slot: &Slot) {
        if let Some(h) = self.running.remove(slot) {
            h.abort();
        }
    }
}
