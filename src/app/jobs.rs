//! Which job each slot runs now, as `update` knows it: the one place that decides whether an
//! answer is current or stale.

use std::collections::HashMap;

use super::effect::{Effect, Job, Slot, Work};

#[derive(Debug, Clone)]
pub struct Jobs {
    running: HashMap<Slot, u64>,
    next: u64,
}

impl Default for Jobs {
    fn default() -> Self {
        Jobs {
            running: HashMap::new(),
            next: 1,
        }
    }
}

impl Jobs {
    /// Starts `work` in its slot, replacing the job there: from now on only this job's
    /// answers are taken.
    pub fn start(&mut self, work: Work) -> Effect {
        let id = self.next;
        self.next += 1;
        self.running.insert(work.slot(), id);
        Effect::Start(Job { id, work })
    }

    /// Stops the slot's job, if one runs: its answers are stale from now on.
    pub fn cancel(&mut self, slot: &Slot) -> Option<Effect> {
        self.running
            .remove(slot)
            .map(|_| Effect::Cancel(slot.clone()))
    }

    /// Whether an answer from job `id` in `slot` is still wanted.
    pub fn accepts(&self, slot: &Slot, id: u64) -> bool {
        self.running.get(slot) == Some(&id)
    }

    /// The slot's job gave its last answer.
    pub fn finish(&mut self, slot: &Slot) {
        self.running.remove(slot);
    }

    /// The job running in `slot`, if any.
    pub fn running(&self, slot: &Slot) -> Option<u64> {
        self.running.get(slot).copied()
    }

    /// Whether any job in a slot that `matches` runs.
    pub fn any(&self, matches: impl Fn(&Slot) -> bool) -> bool {
        self.running.keys().any(matches)
    }
}
