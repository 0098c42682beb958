//! Isolation: the plan (reads, DryRun) and the run, a table of steps. The plan decides which
//! steps are left (a second run after one that stopped part way finds some done, and says so);
//! the run does each in turn (`run.rs`), and a failure lists every step not done.

use std::collections::{BTreeMap, BTreeSet};

use super::history::{self, groups_text, History, Isolation};
use super::{
    decode, encode_over, group_name, no_instance, quarantine_tags, Facts, GroupPlan, ORIGINAL_TAG,
    QUARANTINE,
};
use crate::actions::{checked, Action, Facts as AnyFacts, Plan, Scope};
use crate::aws::act::network::{self, InstanceNet};
use crate::aws::{AwsError, ErrorKind};

mod run;
pub use run::run;

/// One step of isolation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// The original groups into the case log, before anything changes.
    Record,
    /// The original groups, the case and the time in tags on the instance (for people).
    Tag,
    /// Termination protection on.
    Protect,
    /// `DeleteOnTermination=false` on these devices' volumes.
    KeepVolumes(Vec<String>),
    /// The VPC's quarantine group: made (its outbound rule revoked) or reused, then checked to
    /// have no rule.
    Group(GroupPlan),
    /// An interface moved to its VPC's quarantine group alone.
    Interface { eni: String, vpc: String },
    /// The instance read back: every interface has only a quarantine group.
    Check,
}

impl Step {
    /// What it does, as a failure lists what was not done.
    fn text(&self, instance: &str) -> String {
        match self {
            Step::Record => "recording the original groups in the case log".into(),
            Step::Tag => format!("tagging {instance} with its original groups"),
            Step::Protect => format!("turning on termination protection of {instance}"),
            Step::KeepVolumes(d) => format!(
                "keeping the volumes on {} when {instance} is terminated",
                d.join(", ")
            ),
            Step::Group(GroupPlan::Create { vpc }) => {
                format!("making the quarantine group of {vpc} and revoking its outbound rule")
            }
            Step::Group(GroupPlan::Reuse { vpc, id }) => {
                format!("checking that the quarantine group {id} of {vpc} has no rule")
            }
            Step::Interface { eni, .. } => format!("moving {eni} to the quarantine group"),
            Step::Check => format!("reading {instance} back to check every interface"),
        }
    }
}

/// Whether every interface has one group alone, one of `quarantine`.
pub(super) fn in_quarantine(net: &InstanceNet, quarantine: &BTreeSet<String>) -> bool {
    net.interfaces
        .iter()
        .all(|i| i.groups.len() == 1 && quarantine.contains(&i.groups[0]))
}

fn isolated_already(instance: &str, iso: &Isolation) -> AwsError {
    AwsError::new(ErrorKind::Other, "planning", instance.to_string())
        .with_message(format!(
            "{instance} is isolated already: case {} recorded its original groups at {} and isolated it, and no release since",
            iso.case, iso.at
        ))
        .with_hint(format!(
            "rolecall release ROLE --instance {instance} puts its groups back first"
        ))
}

pub async fn plan(scope: &Scope, action: Action) -> Result<Plan, AwsError> {
    let Action::Isolate { instance } = &action else {
        return Err(AwsError::new(ErrorKind::Other, "planning", "isolate"));
    };
    let net = network::describe(&scope.target, &scope.region, instance).await?;
    let history = history::read(scope, instance).await?;
    if let Some(iso) = &history.isolated {
        if iso.finished && in_quarantine(&net, &iso.quarantine) {
            return Err(isolated_already(instance, iso));
        }
    }
    plan_isolation(scope, action, net, history).await
}

/// `X` in the TUI: a release when rolecall's case logs say it isolated the instance (and it
/// still is), else an isolation (or the rest of one that stopped part way). Never the tags.
pub async fn plan_toggle(scope: &Scope, instance: String) -> Result<Plan, AwsError> {
    let net = network::describe(&scope.target, &scope.region, &instance).await?;
    let history = history::read(scope, &instance).await?;
    match &history.isolated {
        Some(iso) if iso.finished && in_quarantine(&net, &iso.quarantine) => {
            super::plan_release(scope, Action::Release { instance }).await
        }
        _ => plan_isolation(scope, Action::Isolate { instance }, net, history).await,
    }
}

/// Notes on what the logs and the tag say.
fn history_notes(instance: &str, net: &InstanceNet, history: &History) -> Vec<String> {
    let mut notes = Vec::new();
    if let Some(iso) = &history.isolated {
        notes.push(format!(
            "case {} recorded {instance}'s original groups at {} and its isolation did not finish: this one finishes it, with those groups as the originals ({})",
            iso.case,
            iso.at,
            groups_text(&iso.originals)
        ));
    }
    if let Some(tag) = decode(&net.tags) {
        let logged = history.isolated.as_ref().map(|i| &i.originals);
        if logged != Some(&tag) {
            notes.push(format!(
                "the tag {ORIGINAL_TAG} on {instance} says {}, but rolecall's case logs {}: a tag is only a hint (anyone who may tag the instance can write it), so it is not obeyed, and this isolation writes its own over it",
                groups_text(&tag),
                match logged {
                    Some(l) => format!("recorded {}", groups_text(l)),
                    None => "hold no isolation of it that is not released".to_string(),
                }
            ));
        }
    }
    if !history.unread.is_empty() {
        notes.push(format!(
            "the logs of case(s) {} could not be read: what they recorded of {instance} is not known",
            history.unread.join(", ")
        ));
    }
    notes
}

async fn plan_isolation(
    scope: &Scope,
    action: Action,
    net: InstanceNet,
    history: History,
) -> Result<Plan, AwsError> {
    let t = &scope.target;
    let region = &scope.region;
    let instance = net.instance_id.clone();
    if net.interfaces.is_empty() {
        return Err(no_instance(&instance));
    }
    let mut notes = history_notes(&instance, &net, &history);
    let mut found_done = Vec::new();
    let recorded: BTreeSet<String> = history
        .isolated
        .as_ref()
        .map(|i| i.quarantine.clone())
        .unwrap_or_default();
    // The originals: the log's, when finishing an isolation; else what each interface has now.
    let originals: Vec<(String, Vec<String>)> = net
        .interfaces
        .iter()
        .map(|i| {
            let logged = history
                .isolated
                .as_ref()
                .and_then(|iso| iso.originals.iter().find(|(e, _)| e == &i.id))
                .map(|(_, g)| g.clone());
            (i.id.clone(), logged.unwrap_or_else(|| i.groups.clone()))
        })
        .collect();
    let name = group_name(&scope.case_id);
    let mut vpcs: Vec<String> = net.interfaces.iter().map(|i| i.vpc_id.clone()).collect();
    vpcs.sort();
    vpcs.dedup();
    let mut groups: BTreeMap<String, GroupPlan> = BTreeMap::new();
    for vpc in &vpcs {
        let plan = match network::find_group(t, region, vpc, &name).await? {
            Some(g) if g.rules > 0 => {
                return Err(AwsError::new(ErrorKind::Other, "planning", g.id.clone()).with_message(format!(
                    "the quarantine group {} ({name}) in {vpc} has {} rule(s): someone changed it; remove its rules (or delete it), then isolate again",
                    g.id, g.rules
                )))
            }
            Some(g) => GroupPlan::Reuse { vpc: vpc.clone(), id: g.id },
            None => GroupPlan::Create { vpc: vpc.clone() },
        };
        groups.insert(vpc.clone(), plan);
    }
    // An interface with a quarantine group alone (this case's, or one the logs name) is done.
    let mut move_these = Vec::new();
    for i in &net.interfaces {
        let own = match &groups[&i.vpc_id] {
            GroupPlan::Reuse { id, .. } => Some(id),
            GroupPlan::Create { .. } => None,
        };
        let done =
            i.groups.len() == 1 && (recorded.contains(&i.groups[0]) || own == Some(&i.groups[0]));
        if done && history.isolated.is_some() {
            found_done.push(format!(
                "{} has only the quarantine group {} already",
                i.id, i.groups[0]
            ));
        } else {
            move_these.push(i);
        }
    }
    let protected = network::termination_protected(t, region, &instance).await?;
    let keep: Vec<String> = net
        .volumes
        .iter()
        .filter(|v| v.delete_on_termination)
        .map(|v| v.device.clone())
        .collect();
    let mut steps = vec![Step::Record, Step::Tag];
    if protected {
        found_done.push(format!("termination protection of {instance} is on"));
    } else {
        steps.push(Step::Protect);
    }
    if !keep.is_empty() {
        steps.push(Step::KeepVolumes(keep.clone()));
    } else if !net.volumes.is_empty() {
        found_done.push(format!(
            "the volumes of {instance} are kept when it is terminated"
        ));
    }
    for (vpc, g) in &groups {
        if move_these.iter().any(|i| &i.vpc_id == vpc) {
            steps.push(Step::Group(g.clone()));
        }
    }
    steps.extend(move_these.iter().map(|i| Step::Interface {
        eni: i.id.clone(),
        vpc: i.vpc_id.clone(),
    }));
    steps.push(Step::Check);

    let calls = check_steps(scope, &net, &originals, &steps).await?;
    notes.extend(
        found_done
            .iter()
            .map(|d| format!("found done already: {d}")),
    );
    notes.push("connections already open stay open until they time out: a security group change does not cut tracked connections (a network ACL would, for the whole subnet)".into());
    notes.push(format!("undo: rolecall release ROLE --instance {instance} (the groups come from the case log); protection stays on"));
    let label = if net.name.is_empty() {
        instance.clone()
    } else {
        format!("{instance} ({})", net.name)
    };
    let mut resources = vec![format!("instance {label}, {}", net.state)];
    for i in &net.interfaces {
        resources.push(format!(
            "interface {} in {}: groups {}",
            i.id,
            i.vpc_id,
            i.groups.join(", ")
        ));
    }
    for v in &net.volumes {
        resources.push(format!(
            "volume {} on {}: deleted on termination {}",
            v.volume_id,
            v.device,
            if v.delete_on_termination { "yes" } else { "no" }
        ));
    }
    let next = instance_role(scope, &net, &mut notes).await;
    let resumed = history.isolated.as_ref().map(|i| i.case.clone());
    let title = match &resumed {
        Some(case) => format!("Finish isolating {label} (stopped part way in case {case})"),
        None => format!("Isolate {label}"),
    };
    Ok(Plan {
        resources,
        calls,
        notes,
        next,
        facts: AnyFacts::Isolate(Facts {
            net,
            originals,
            resumed,
            steps,
            found_done,
        }),
        ..scope.plan(action, title)
    })
}

/// The role of the instance's profile: credentials taken from the instance keep working after
/// its network is cut, so revoking that role's sessions is offered once it is isolated (as the
/// plan's next action). A profile that cannot be read is said, and isolation goes on.
async fn instance_role(
    scope: &Scope,
    net: &InstanceNet,
    notes: &mut Vec<String>,
) -> Option<Action> {
    let arn = net.instance_profile.as_deref()?;
    match crate::aws::iam::instance_profile_roles(&scope.target, &scope.region, arn).await {
        Ok(roles) => {
            let role = roles.into_iter().next()?;
            if role.aws_managed.is_some() {
                return None;
            }
            notes.push(format!(
                "the instance runs as role {} (instance profile {arn}): credentials taken from it keep working after its network is cut; revoking that role's sessions is offered next (rolecall isolate ROLE --role {})",
                role.role_name, role.role_name
            ));
            Some(Action::Contain {
                identity: crate::actions::identity::Identity::Role(role.role_name),
            })
        }
        Err(e) => {
            notes.push(format!(
                "the instance has the instance profile {arn}, whose role could not be read ({e}): credentials taken from the instance keep working after its network is cut; revoke that role's sessions (rolecall isolate ROLE --role NAME)"
            ));
            None
        }
    }
}

/// Each step's calls, checked with DryRun before anything changes; the lines of the plan, each
/// saying how it was checked.
async fn check_steps(
    scope: &Scope,
    net: &InstanceNet,
    originals: &[(String, Vec<String>)],
    steps: &[Step],
) -> Result<Vec<String>, AwsError> {
    let t = &scope.target;
    let region = &scope.region;
    let instance = net.instance_id.as_str();
    let name = group_name(&scope.case_id);
    let mut calls = vec![checked(
        "read the instance again: its groups must be those above, else nothing is done",
        "a read",
    )];
    for step in steps {
        match step {
            Step::Record => calls.push(checked(
                format!("record the original groups in the case log: {}", groups_text(originals)),
                "the case log is written first",
            )),
            Step::Tag => {
                let tags = isolation_tags(scope, net, originals, "<the time it is done>");
                network::tag(t, region, instance, &tags, true)
                    .await
                    .map_err(|e| scope.denied(e, "ec2:CreateTags"))?;
                let text: Vec<String> = tags.iter().map(|(k, v)| format!("{k}={v}")).collect();
                calls.push(checked(
                    format!("ec2:CreateTags {instance} {}", text.join(", ")),
                    "checked: DryRun",
                ));
            }
            Step::Protect => {
                network::protect_from_termination(t, region, instance, true)
                    .await
                    .map_err(|e| scope.denied(e, "ec2:ModifyInstanceAttribute"))?;
                calls.push(checked(
                    format!("ec2:ModifyInstanceAttribute {instance} DisableApiTermination=true"),
                    "checked: DryRun",
                ));
            }
            Step::KeepVolumes(keep) => {
                network::keep_volumes(t, region, instance, keep, true)
                    .await
                    .map_err(|e| scope.denied(e, "ec2:ModifyInstanceAttribute"))?;
                calls.push(checked(
                    format!(
                        "ec2:ModifyInstanceAttribute {instance} BlockDeviceMappings {} DeleteOnTermination=false",
                        keep.join(", ")
                    ),
                    "checked: DryRun",
                ));
            }
            Step::Group(GroupPlan::Reuse { vpc, id }) => calls.push(checked(
                format!("use the quarantine group {id} ({name}) of {vpc}, which has no rule; ec2:DescribeSecurityGroupRules to check it has none"),
                "a read",
            )),
            Step::Group(GroupPlan::Create { vpc }) => {
                network::create_group(t, region, vpc, &name, QUARANTINE, &quarantine_tags(scope), true)
                    .await
                    .map_err(|e| scope.denied(e, "ec2:CreateSecurityGroup"))?;
                calls.push(checked(
                    format!("ec2:CreateSecurityGroup {name} in {vpc} (no ingress rule); if another run made it meanwhile, that one is used when it has no rule"),
                    "checked: DryRun",
                ));
                // The new group does not exist yet: the permission is checked on a group of the
                // same VPC the instance has now.
                let probe = net
                    .interfaces
                    .iter()
                    .filter(|i| &i.vpc_id == vpc)
                    .flat_map(|i| i.groups.first())
                    .next();
                match probe {
                    Some(g) => {
                        network::check_revoke_egress(t, region, g)
                            .await
                            .map_err(|e| scope.denied(e, "ec2:RevokeSecurityGroupEgress"))?;
                        calls.push(checked(
                            "ec2:RevokeSecurityGroupEgress of its default outbound rule",
                            &format!("checked: DryRun on {g}, a group of the same VPC"),
                        ));
                    }
                    None => calls.push(checked(
                        "ec2:RevokeSecurityGroupEgress of its default outbound rule",
                        "not checked before the run: no group of that VPC to check it on; DryRun just before it runs",
                    )),
                }
            }
            Step::Interface { eni, vpc } => {
                let now = net.groups_of(eni);
                network::set_groups(t, region, eni, &now, true)
                    .await
                    .map_err(|e| scope.denied(e, "ec2:ModifyNetworkInterfaceAttribute"))?;
                calls.push(checked(
                    format!("ec2:ModifyNetworkInterfaceAttribute {eni} Groups=[the quarantine group of {vpc}]"),
                    "checked: DryRun",
                ));
            }
            Step::Check => calls.push(checked(
                format!("ec2:DescribeInstances {instance} to check every interface"),
                "a read",
            )),
        }
    }
    Ok(calls)
}

/// The tags isolation writes: the original groups (over any longer list left before), the
/// case and the time.
pub(super) fn isolation_tags(
    scope: &Scope,
    net: &InstanceNet,
    originals: &[(String, Vec<String>)],
    at: &str,
) -> Vec<(String, String)> {
    let mut tags = encode_over(originals, &net.tags);
    tags.push(("rolecall:case".into(), scope.case_id.clone()));
    tags.push(("rolecall:isolated-at".into(), at.to_string()));
    tags
}
