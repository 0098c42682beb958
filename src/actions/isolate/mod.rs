//! Containment: an instance's security groups swapped for a quarantine group with no rule at
//! all (no ingress; its default egress rule revoked), on every network interface; the original
//! groups recorded first (case log, and a tag on the instance); termination protection on, and
//! its volumes kept when it is terminated. `release` puts the recorded groups back.
//!
//! What it does not do: connections the security groups already track go on until they time
//! out (a security group change does not cut them; a network ACL would, for the whole subnet);
//! nothing is stopped, no instance profile or key is touched.
//!
//! What rolecall did is known from its case logs (`history`), never from the instance's tags:
//! the tag it writes is a hint for people, compared with the logs and reported when it
//! disagrees, never obeyed. Both isolation and release can be run again after stopping part
//! way: they finish what is left and say what they found done.
//!
//! `contain`: the plan and the run of isolation, a table of steps; `release`: putting the
//! groups back; `history`: the case logs read.

mod contain;
pub mod history;
mod release;

use std::collections::BTreeMap;

use super::Scope;
use crate::aws::act::network::InstanceNet;
use crate::aws::{AwsError, ErrorKind};

pub use contain::{plan, plan_toggle, run, Step};
pub use release::{plan_release, run_release};

/// The tag that keeps the original groups: `eni-1=sg-a+sg-b eni-2=sg-c` (split over `…:2`,
/// `…:3` when longer than a tag value may be).
pub const ORIGINAL_TAG: &str = "rolecall:original-security-groups";
const TAG_MAX: usize = 256;

/// The original groups of each interface, as the tag holds them.
pub fn encode(interfaces: &[(String, Vec<String>)]) -> Vec<(String, String)> {
    let text: Vec<String> = interfaces
        .iter()
        .map(|(eni, groups)| format!("{eni}={}", groups.join("+")))
        .collect();
    let mut parts: Vec<String> = vec![String::new()];
    for item in text {
        let last = parts.last_mut().expect("one part at least");
        if !last.is_empty() && last.len() + 1 + item.len() > TAG_MAX {
            parts.push(item);
        } else {
            if !last.is_empty() {
                last.push(' ');
            }
            last.push_str(&item);
        }
    }
    parts
        .into_iter()
        .enumerate()
        .map(|(i, v)| {
            let key = if i == 0 {
                ORIGINAL_TAG.to_string()
            } else {
                format!("{ORIGINAL_TAG}:{}", i + 1)
            };
            (key, v)
        })
        .collect()
}

/// `encode`'s tags, with the parts an earlier, longer list left on the instance emptied (a
/// tag can only be overwritten here), so `decode` never reads them back.
pub fn encode_over(
    interfaces: &[(String, Vec<String>)],
    existing: &BTreeMap<String, String>,
) -> Vec<(String, String)> {
    let mut tags = encode(interfaces);
    let mut i = tags.len() + 1;
    while existing.contains_key(&format!("{ORIGINAL_TAG}:{i}")) {
        tags.push((format!("{ORIGINAL_TAG}:{i}"), String::new()));
        i += 1;
    }
    tags
}

/// The original groups read back from the instance's tags.
pub fn decode(tags: &BTreeMap<String, String>) -> Option<Vec<(String, Vec<String>)>> {
    let mut text = tags.get(ORIGINAL_TAG)?.clone();
    for i in 2.. {
        match tags.get(&format!("{ORIGINAL_TAG}:{i}")) {
            Some(more) => {
                text.push(' ');
                text.push_str(more);
            }
            None => break,
        }
    }
    let out: Vec<(String, Vec<String>)> = text
        .split_whitespace()
        .filter_map(|item| {
            let (eni, groups) = item.split_once('=')?;
            Some((
                eni.to_string(),
                groups
                    .split('+')
                    .filter(|g| !g.is_empty())
                    .map(String::from)
                    .collect(),
            ))
        })
        .collect();
    (!out.is_empty()).then_some(out)
}

/// The quarantine group's description.
const QUARANTINE: &str = "rolecall quarantine: no rule in, no rule out";

fn quarantine_tags(scope: &Scope) -> Vec<(String, String)> {
    vec![
        ("rolecall:case".to_string(), scope.case_id.clone()),
        ("rolecall:purpose".to_string(), "quarantine".to_string()),
    ]
}

/// The quarantine group's name for a case.
pub fn group_name(case: &str) -> String {
    format!("rolecall-quarantine-{case}")
}

/// The quarantine group of a VPC: found (with no rules), or to be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupPlan {
    Reuse { vpc: String, id: String },
    Create { vpc: String },
}

impl GroupPlan {
    fn vpc(&self) -> &str {
        match self {
            GroupPlan::Reuse { vpc, .. } | GroupPlan::Create { vpc } => vpc,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Facts {
    /// The instance as the plan read it.
    pub net: InstanceNet,
    /// Each interface's original groups: what it has now, or, when an isolation that stopped
    /// part way is finished, what the case log recorded.
    pub originals: Vec<(String, Vec<String>)>,
    /// The case whose unfinished isolation this one finishes.
    pub resumed: Option<String>,
    /// What is left to do, in order.
    pub steps: Vec<Step>,
    /// What the plan found done already (said first when it runs).
    pub found_done: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct ReleaseFacts {
    pub net: InstanceNet,
    /// Each interface's groups to put back (only those not back yet).
    pub originals: Vec<(String, Vec<String>)>,
    /// Every interface the isolation recorded, with its groups: checked at the end.
    pub recorded: Vec<(String, Vec<String>)>,
    /// Where they were read: the log of a case.
    pub source: String,
    /// What the plan found done already.
    pub found_done: Vec<String>,
}

fn no_instance(id: &str) -> AwsError {
    AwsError::new(ErrorKind::Other, "planning", id.to_string())
        .with_message("the instance has no network interface in a VPC: nothing to isolate")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn original_groups_survive_the_tag_and_long_lists_split() {
        let one = vec![
            (
                "eni-1".to_string(),
                vec!["sg-a".to_string(), "sg-b".to_string()],
            ),
            ("eni-2".to_string(), vec!["sg-c".to_string()]),
        ];
        let tags: BTreeMap<String, String> = encode(&one).into_iter().collect();
        assert_eq!(tags[ORIGINAL_TAG], "eni-1=sg-a+sg-b eni-2=sg-c");
        assert_eq!(decode(&tags), Some(one.clone()));
        let many: Vec<(String, Vec<String>)> = (0..8)
            .map(|i| {
                (
                    format!("eni-{i:017x}"),
                    (0..5).map(|g| format!("sg-{g:017x}")).collect(),
                )
            })
            .collect();
        let encoded = encode(&many);
        assert!(encoded.len() > 1);
        // A shorter list written over a longer one empties the longer one's extra parts.
        let existing: BTreeMap<String, String> = encoded.iter().cloned().collect();
        let over: BTreeMap<String, String> = existing
            .clone()
            .into_iter()
            .chain(encode_over(&one, &existing))
            .collect();
        assert_eq!(decode(&over), Some(one.clone()));
        assert!(encoded.iter().all(|(_, v)| v.len() <= TAG_MAX));
        let tags: BTreeMap<String, String> = encoded.into_iter().collect();
        assert_eq!(decode(&tags), Some(many));
    }
}
