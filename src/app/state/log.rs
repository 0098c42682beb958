//! The case log view (`L`): every entry, newest last, with a `/` filter over its JSON.

use super::table::ListState;
use crate::case::Entry;

#[derive(Debug, Clone, Default)]
pub struct LogView {
    pub entries: Vec<Entry>,
    /// Each entry's JSON, lower-case, for the filter.
    keys: Vec<String>,
    /// Indices into `entries` that the filter keeps, in order.
    pub visible: Vec<usize>,
    pub list: ListState,
    /// The selected entry's whole JSON is shown.
    pub detail: bool,
}

impl LogView {
    /// Replaces the entries (the log was read), the cursor on the newest.
    pub fn set(&mut self, entries: Vec<Entry>, height: usize) {
        self.entries = Vec::new();
        self.keys = Vec::new();
        for e in entries {
            self.push(e);
        }
        self.refresh(height);
        self.list.selected = self.visible.len().saturating_sub(1);
        self.list.scroll_into_view(self.visible.len(), height);
    }

    /// Adds an entry just written; the cursor follows it when it was on the last one.
    pub fn add(&mut self, entry: Entry, height: usize) {
        let at_end = self.list.selected + 1 >= self.visible.len();
        self.push(entry);
        self.refresh(height);
        if at_end {
            self.list.selected = self.visible.len().saturating_sub(1);
            self.list.scroll_into_view(self.visible.len(), height);
        }
    }

    fn push(&mut self, entry: Entry) {
        let key = serde_json::to_string(&entry)
            .unwrap_or_default()
            .to_lowercase();
        self.entries.push(entry);
        self.keys.push(key);
    }

    /// Recomputes what the filter keeps.
    pub fn refresh(&mut self, height: usize) {
        let needle = self.list.filter.trim().to_lowercase();
        self.visible = (0..self.entries.len())
            .filter(|&i| needle.is_empty() || self.keys[i].contains(&needle))
            .collect();
        self.list.scroll_into_view(self.visible.len(), height);
    }

    pub fn selected(&self) -> Option<&Entry> {
        self.visible
            .get(self.list.selected)
            .and_then(|&i| self.entries.get(i))
    }
}
