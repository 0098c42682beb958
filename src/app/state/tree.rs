//! The tree of accounts and roles: which lines it shows under a filter, and where the cursor is.

use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config as MatcherConfig, Matcher, Utf32Str};

use super::State;
use crate::roles::Role;

#[derive(Debug, Clone)]
pub struct AccountNode {
    pub id: String,
    pub name: Option<String>,
    pub color: Option<String>,
    pub roles: Vec<Role>,
    pub expanded: bool,
}

impl AccountNode {
    /// An account new to the tree: folded when all its roles come from an organization (a
    /// thousand accounts show as a thousand lines, each with its one role), open otherwise.
    pub fn new(g: crate::roles::AccountRoles) -> AccountNode {
        let expanded = !g
            .roles
            .iter()
            .all(|r| r.source == crate::roles::RoleSource::Organization);
        AccountNode {
            id: g.id,
            name: g.name,
            color: g.color,
            roles: g.roles,
            expanded,
        }
    }

    /// The role a folded account with one role stands for.
    fn only_role(&self) -> Option<&Role> {
        match &self.roles[..] {
            [only] if !self.expanded => Some(only),
            _ => None,
        }
    }
}

/// One line of the tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TreeRow {
    Account(usize),
    Role(usize, usize),
}

impl State {
    /// Replaces the tree's roles (discovery found more), keeping folded accounts folded and the
    /// cursor on the same role or account.
    pub fn set_roles(&mut self, groups: Vec<crate::roles::AccountRoles>) {
        let rows = self.tree_rows();
        let selected = rows.get(self.tree.selected).map(|r| match r {
            TreeRow::Role(a, i) => (
                self.accounts[*a].id.clone(),
                Some(self.accounts[*a].roles[*i].arn.clone()),
            ),
            TreeRow::Account(a) => (self.accounts[*a].id.clone(), None),
        });
        let was: std::collections::HashMap<String, bool> = self
            .accounts
            .iter()
            .map(|a| (a.id.clone(), a.expanded))
            .collect();
        self.accounts = groups
            .into_iter()
            .map(|g| {
                let expanded = was.get(&g.id).copied();
                let mut node = AccountNode::new(g);
                node.expanded = expanded.unwrap_or(node.expanded);
                node
            })
            .collect();
        if let Some((account, role)) = selected {
            let rows = self.tree_rows();
            if let Some(i) = rows.iter().position(|r| match r {
                TreeRow::Role(a, i) => Some(&self.accounts[*a].roles[*i].arn) == role.as_ref(),
                TreeRow::Account(a) => role.is_none() && self.accounts[*a].id == account,
            }) {
                self.tree.selected = i;
            }
        }
    }

    /// The tree's lines under the current filter: accounts, and the roles of unfolded ones.
    /// A filter matches account names and ids, role names and ARNs (fuzzy); while filtering,
    /// accounts are unfolded.
    pub fn tree_rows(&self) -> Vec<TreeRow> {
        let filter = self.tree.filter.trim();
        let mut rows = Vec::new();
        if filter.is_empty() {
            for (a, acc) in self.accounts.iter().enumerate() {
                rows.push(TreeRow::Account(a));
                if acc.expanded {
                    rows.extend((0..acc.roles.len()).map(|r| TreeRow::Role(a, r)));
                }
            }
            return rows;
        }
        let pattern = Pattern::parse(filter, CaseMatching::Ignore, Normalization::Smart);
        let mut matcher = Matcher::new(MatcherConfig::DEFAULT);
        let mut buf = Vec::new();
        let mut hit = |text: &str| {
            pattern
                .score(Utf32Str::new(text, &mut buf), &mut matcher)
                .is_some()
        };
        for (a, acc) in self.accounts.iter().enumerate() {
            let account_text = format!("{} {}", acc.id, acc.name.as_deref().unwrap_or(""));
            let whole = hit(&account_text);
            let roles: Vec<usize> = (0..acc.roles.len())
                .filter(|&r| {
                    let role = &acc.roles[r];
                    whole
                        || hit(&format!(
                            "{} {}",
                            role.name.as_deref().unwrap_or(""),
                            role.arn
                        ))
                })
                .collect();
            if whole || !roles.is_empty() {
                rows.push(TreeRow::Account(a));
                rows.extend(roles.into_iter().map(|r| TreeRow::Role(a, r)));
            }
        }
        rows
    }

    pub fn selected_tree_row(&self) -> Option<TreeRow> {
        self.tree_rows().get(self.tree.selected).copied()
    }

    /// The role account `a`'s line stands for: its only role while it is shown folded (a filter
    /// shows every account open).
    pub fn folded_role(&self, a: usize) -> Option<&Role> {
        if !self.tree.filter.is_empty() {
            return None;
        }
        self.accounts.get(a)?.only_role()
    }

    /// The role the tree's cursor is on (a folded account with one role stands for it).
    pub fn selected_role(&self) -> Option<&Role> {
        match self.selected_tree_row()? {
            TreeRow::Role(a, r) => self.accounts.get(a)?.roles.get(r),
            TreeRow::Account(a) => self.folded_role(a),
        }
    }
}
