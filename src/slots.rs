//! Values asked for once and shared: one slot per key, a lock that the first caller holds while
//! it makes the value and the others wait on, then read. What the sessions made on the way to a
//! role (`aws::source::Memo`) and each account's enabled regions (`inventory::regions`) are
//! kept in.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

/// A slot per key, each an async lock over what is kept for it (`None`: nothing yet).
#[derive(Debug)]
pub struct Slots<K, V> {
    slots: Mutex<HashMap<K, Arc<tokio::sync::Mutex<Option<V>>>>>,
}

impl<K, V> Default for Slots<K, V> {
    fn default() -> Self {
        Slots {
            slots: Mutex::new(HashMap::new()),
        }
    }
}

impl<K: Eq + Hash + Clone, V> Slots<K, V> {
    /// `key`'s slot, made empty on first use. Lock it to read or make its value: callers of
    /// one key take turns, callers of different keys do not wait for each other.
    pub fn slot(&self, key: &K) -> Arc<tokio::sync::Mutex<Option<V>>> {
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        slots.entry(key.clone()).or_default().clone()
    }
}
