//! Isolation run: a table of steps, each recorded before it is reported; a failure lists every
//! step not done.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::json;

use super::super::{group_name, quarantine_tags, Facts, GroupPlan, QUARANTINE};
use super::{in_quarantine, isolation_tags, Step};
use crate::actions::{now, Outcome, Progress, Scope, Steps};
use crate::aws::act::network;
use crate::aws::{AwsError, ErrorKind};
use crate::case::Record;

/// How a step ended badly: not done (with the record of the failure), or done but not
/// recorded (the log could not be written).
enum Stop {
    Failed(AwsError, Box<Record>),
    Unrecorded(AwsError),
}

impl From<(AwsError, Record)> for Stop {
    fn from((e, r): (AwsError, Record)) -> Self {
        Stop::Failed(e, Box::new(r))
    }
}

/// A run of isolation: the facts, and the quarantine group of each VPC as it is found or made.
struct Run<'s, 'a> {
    scope: &'s Scope,
    steps: Steps<'a>,
    f: &'s Facts,
    quarantine: BTreeMap<String, String>,
}

impl Run<'_, '_> {
    async fn done(&mut self, text: String, record: Record) -> Result<(), Stop> {
        self.steps
            .done(text, record)
            .await
            .map_err(Stop::Unrecorded)
    }

    fn instance(&self) -> &str {
        &self.f.net.instance_id
    }

    async fn step(&mut self, step: &Step) -> Result<(), Stop> {
        let scope = self.scope;
        let (t, region) = (&scope.target, scope.region.as_str());
        let instance = self.instance().to_string();
        match step {
            Step::Record => {
                let record = Record::new("isolate.original-groups")
                    .targets([instance.clone()])
                    .params(json!({
                        "interfaces": self.f.net.interfaces.iter().map(|i| {
                            let groups = self.f.originals.iter().find(|(e, _)| e == &i.id).map(|(_, g)| g.clone()).unwrap_or_default();
                            json!({"id": i.id, "vpc": i.vpc_id, "groups": groups, "now": i.groups})
                        }).collect::<Vec<_>>(),
                        "volumes": self.f.net.volumes,
                        "finishes_case": self.f.resumed,
                    }));
                self.done(
                    "recorded the original groups in the case log".into(),
                    record,
                )
                .await
            }
            Step::Tag => {
                let tags = isolation_tags(scope, &self.f.net, &self.f.originals, &now());
                let record = Record::new("isolate.tag").targets([instance.clone()]).params(
                    json!({ "tags": tags.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>() }),
                );
                if let Err(e) = network::tag(t, region, &instance, &tags, false).await {
                    return Err((scope.denied(e, "ec2:CreateTags"), record).into());
                }
                self.done(
                    format!("tagged {instance} with its original groups"),
                    record,
                )
                .await
            }
            Step::Protect => {
                let record = Record::new("isolate.protect").targets([instance.clone()]);
                if let Err(e) = network::protect_from_termination(t, region, &instance, false).await
                {
                    return Err((scope.denied(e, "ec2:ModifyInstanceAttribute"), record).into());
                }
                self.done(
                    format!("turned on termination protection of {instance}"),
                    record,
                )
                .await
            }
            Step::KeepVolumes(keep) => {
                let record = Record::new("isolate.keep-volumes")
                    .targets([instance.clone()])
                    .params(json!({ "devices": keep }));
                if let Err(e) = network::keep_volumes(t, region, &instance, keep, false).await {
                    return Err((scope.denied(e, "ec2:ModifyInstanceAttribute"), record).into());
                }
                let text = format!(
                    "volumes on {} are kept when {instance} is terminated",
                    keep.join(", ")
                );
                self.done(text, record).await
            }
            Step::Group(g) => self.group(g).await,
            Step::Interface { eni, vpc } => {
                let q = self.quarantine.get(vpc).cloned().unwrap_or_default();
                let from = self.f.net.groups_of(eni);
                let record = Record::new("isolate.interface")
                    .targets([instance.clone(), eni.clone()])
                    .params(json!({ "from": from, "to": [q] }));
                if let Err(e) =
                    network::set_groups(t, region, eni, std::slice::from_ref(&q), false).await
                {
                    return Err((
                        scope.denied(e, "ec2:ModifyNetworkInterfaceAttribute"),
                        record,
                    )
                        .into());
                }
                self.done(
                    format!("{eni} now has only {q} (was {})", from.join(", ")),
                    record,
                )
                .await
            }
            Step::Check => self.check().await,
        }
    }

    /// The quarantine group of a VPC: made, or reused (made meanwhile by another run, too),
    /// then checked to have no rule before any interface depends on it.
    async fn group(&mut self, g: &GroupPlan) -> Result<(), Stop> {
        let scope = self.scope;
        let (t, region) = (&scope.target, scope.region.as_str());
        let instance = self.instance().to_string();
        let name = group_name(&scope.case_id);
        let vpc = g.vpc().to_string();
        let id = match g {
            GroupPlan::Reuse { id, .. } => id.clone(),
            GroupPlan::Create { .. } => {
                let record = Record::new("isolate.create-group")
                    .targets([instance.clone()])
                    .params(json!({ "name": name, "vpc": vpc }));
                match network::create_group(
                    t,
                    region,
                    &vpc,
                    &name,
                    QUARANTINE,
                    &quarantine_tags(scope),
                    false,
                )
                .await
                {
                    Ok(id) => {
                        let id = id.unwrap_or_default();
                        self.steps.made(id.clone());
                        let record = record
                            .targets([instance.clone(), id.clone()])
                            .params(json!({ "name": name, "vpc": vpc, "to": [id] }));
                        self.done(format!("made the quarantine group {id} in {vpc}"), record)
                            .await?;
                        let record = Record::new("isolate.revoke-egress")
                            .targets([instance.clone(), id.clone()]);
                        match network::revoke_egress(t, region, &id, false).await {
                            Ok(rules) => {
                                let record = record.result(json!({ "revoked": rules }));
                                self.done(format!("revoked every outbound rule of {id}"), record)
                                    .await?;
                            }
                            Err(e) => {
                                return Err((
                                    scope.denied(e, "ec2:RevokeSecurityGroupEgress"),
                                    record,
                                )
                                    .into())
                            }
                        }
                        id
                    }
                    // Another run made it since the plan: used, when it has no rule (checked below).
                    Err(e) if e.code.as_deref() == Some("InvalidGroup.Duplicate") => {
                        match network::find_group(t, region, &vpc, &name).await {
                            Ok(Some(found)) => {
                                self.steps.say(format!(
                                    "the quarantine group {} of {vpc} was made meanwhile (by another run): it is used if it has no rule",
                                    found.id
                                ));
                                found.id
                            }
                            Ok(None) => return Err((e, record).into()),
                            Err(e) => return Err((e, record).into()),
                        }
                    }
                    Err(e) => {
                        return Err((scope.denied(e, "ec2:CreateSecurityGroup"), record).into())
                    }
                }
            }
        };
        let record = Record::new("isolate.quarantine-group")
            .targets([instance.clone(), id.clone()])
            .params(json!({ "vpc": vpc, "to": [id] }));
        match network::group_rules(t, region, &id).await {
            Ok(0) => {}
            Ok(n) => {
                let e = AwsError::new(ErrorKind::Other, "checking the quarantine group", id.clone())
                    .with_message(format!("it has {n} rule(s): no interface was moved to it; remove its rules (or delete it), then isolate again"));
                return Err((e, record).into());
            }
            Err(e) => return Err((e, record).into()),
        }
        self.quarantine.insert(vpc.clone(), id.clone());
        self.done(
            format!("{id} of {vpc} has no rule: the quarantine group"),
            record,
        )
        .await
    }

    async fn check(&mut self) -> Result<(), Stop> {
        let scope = self.scope;
        let instance = self.instance().to_string();
        let record = Record::new("isolate.check").targets([instance.clone()]);
        let after = network::describe(&scope.target, &scope.region, &instance)
            .await
            .map_err(|e| Stop::Failed(e, Box::new(record.clone())))?;
        let mut known: BTreeSet<String> = self.quarantine.values().cloned().collect();
        known.extend(self.f.found_quarantine());
        if !in_quarantine(&after, &known) {
            let e = AwsError::new(
                ErrorKind::Other,
                "checking the interfaces",
                instance.clone(),
            )
            .with_message(format!(
                "some interfaces show other groups than a quarantine group alone: {}",
                after
                    .interfaces
                    .iter()
                    .map(|i| format!("{} {}", i.id, i.groups.join("+")))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
            .with_hint(format!(
                "run rolecall isolate ROLE --instance {instance} again: it finishes what is left"
            ));
            return Err((e, record).into());
        }
        let result = json!({
            "instance_id": instance,
            "quarantine_groups": self.quarantine,
            "interfaces": after.interfaces.iter().map(|i| json!({
                "id": i.id,
                "from": self.f.originals.iter().find(|(e, _)| e == &i.id).map(|(_, g)| g.clone()),
                "to": i.groups,
            })).collect::<Vec<_>>(),
        });
        let record = Record::new("isolate.checked")
            .targets([instance.clone()])
            .result(result);
        self.done(
            format!("{instance} is isolated: every interface has only its quarantine group"),
            record,
        )
        .await
    }
}

impl Facts {
    /// The quarantine groups interfaces were found in already.
    fn found_quarantine(&self) -> Vec<String> {
        let moved: Vec<&String> = self
            .steps
            .iter()
            .filter_map(|s| match s {
                Step::Interface { eni, .. } => Some(eni),
                _ => None,
            })
            .collect();
        self.net
            .interfaces
            .iter()
            .filter(|i| !moved.contains(&&i.id) && i.groups.len() == 1)
            .map(|i| i.groups[0].clone())
            .collect()
    }
}

pub async fn run(scope: &Scope, f: Facts, progress: &dyn Progress) -> Outcome {
    let instance = f.net.instance_id.clone();
    let mut run = Run {
        scope,
        steps: Steps::new(scope, progress),
        f: &f,
        quarantine: BTreeMap::new(),
    };
    let left = |from: usize| -> Vec<String> {
        f.steps[from..].iter().map(|s| s.text(&instance)).collect()
    };
    // The groups now are those the plan showed (someone may have changed them since).
    match network::describe(&scope.target, &scope.region, &instance).await {
        Ok(now_net) if now_net.interfaces == f.net.interfaces => {}
        Ok(now_net) => {
            let e = AwsError::new(ErrorKind::Other, "DescribeInstances", instance.clone())
                .with_message(format!(
                    "{instance}'s interfaces or groups changed since the plan (now: {}): nothing was done",
                    now_net
                        .interfaces
                        .iter()
                        .map(|i| format!("{} {}", i.id, i.groups.join("+")))
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
                .with_hint("isolate again, and read the new plan");
            return run
                .steps
                .fail(e, Record::new("isolate.check"), left(0))
                .await;
        }
        Err(e) => {
            return run
                .steps
                .fail(e, Record::new("isolate.check"), left(0))
                .await
        }
    }
    for d in &f.found_done {
        run.steps.say(format!("found done already: {d}"));
    }
    for (n, step) in f.steps.iter().enumerate() {
        match run.step(step).await {
            Ok(()) => {}
            Err(Stop::Failed(e, record)) => {
                let mut not_done = left(n);
                not_done.push(format!(
                    "(to finish: rolecall isolate ROLE --instance {instance} again; to undo what was done: rolecall release ROLE --instance {instance})"
                ));
                return run.steps.fail(e, *record, not_done).await;
            }
            Err(Stop::Unrecorded(e)) => {
                return run
                    .steps
                    .fail(e, Record::new("isolate.log"), left(n + 1))
                    .await;
            }
        }
    }
    let mut outcome = run.steps.finish(serde_json::Value::Null);
    outcome.result = json!({
        "instance_id": instance,
        "quarantine_groups": run.quarantine,
        "found_done": f.found_done,
        "interfaces": f.originals.iter().map(|(eni, g)| json!({"id": eni, "from": g})).collect::<Vec<_>>(),
    });
    outcome
}
