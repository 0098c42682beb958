//! Isolation: the plan (reads, DryRun) and the run, step by step.

use std::collections::BTreeMap;

use serde_json::json;

use super::{
    encode_over, group_name, is_isolated, no_instance, quarantine_tags, Facts, GroupPlan,
    QUARANTINE,
};
use crate::actions::{now, Action, Facts as AnyFacts, Outcome, Plan, Progress, Scope, Steps};
use crate::aws::act::network::{self, Interface};
use crate::aws::{AwsError, ErrorKind};
use crate::case::Record;

pub async fn plan(scope: &Scope, action: Action) -> Result<Plan, AwsError> {
    let Action::Isolate { instance } = &action else {
        return Err(AwsError::new(ErrorKind::Other, "planning", "isolate"));
    };
    let t = &scope.target;
    let region = &scope.region;
    let net = network::describe(t, region, instance).await?;
    if net.interfaces.is_empty() {
        return Err(no_instance(instance));
    }
    // Isolated before (in this case or another), and not released since, or stopped part way:
    // what its interfaces hold now are not its original groups, and must not be recorded as such.
    if is_isolated(&net.tags) {
        return Err(AwsError::new(ErrorKind::Other, "planning", instance.clone())
            .with_message(format!(
                "{instance} is isolated already (tag {}{}{}): its groups now are not the originals",
                super::ORIGINAL_TAG,
                net.tags.get("rolecall:isolated-at").map(|t| format!(", isolated at {t}")).unwrap_or_default(),
                net.tags.get("rolecall:case").map(|c| format!(", case {c}")).unwrap_or_default(),
            ))
            .with_hint(format!("rolecall release ROLE --instance {instance} puts its groups back first; a release that stopped part way can be run again")));
    }
    let name = group_name(&scope.case_id);
    let mut vpcs: Vec<String> = net.interfaces.iter().map(|i| i.vpc_id.clone()).collect();
    vpcs.sort();
    vpcs.dedup();
    let mut groups = Vec::new();
    for vpc in &vpcs {
        match network::find_group(t, region, vpc, &name).await? {
            Some(g) if g.rules > 0 => {
                return Err(AwsError::new(ErrorKind::Other, "planning", g.id.clone()).with_message(format!(
                    "the quarantine group {} ({name}) in {vpc} has {} rule(s): someone changed it; remove its rules (or delete it), then isolate again",
                    g.id, g.rules
                )))
            }
            Some(g) => {
                if net.interfaces.iter().filter(|i| &i.vpc_id == vpc).any(|i| i.groups.contains(&g.id)) {
                    return Err(AwsError::new(ErrorKind::Other, "planning", instance.clone())
                        .with_message(format!("{instance} is isolated already, at least in part (an interface has the quarantine group {})", g.id))
                        .with_hint(format!("rolecall release ROLE --instance {instance} puts its groups back")));
                }
                groups.push(GroupPlan::Reuse {
                    vpc: vpc.clone(),
                    id: g.id,
                })
            }
            None => groups.push(GroupPlan::Create { vpc: vpc.clone() }),
        }
    }
    let keep: Vec<String> = net
        .volumes
        .iter()
        .filter(|v| v.delete_on_termination)
        .map(|v| v.device.clone())
        .collect();

    // DryRun each change before anything changes.
    network::tag(
        t,
        region,
        instance,
        &isolation_tags(scope, &net, "<the time it is done>"),
        true,
    )
    .await
    .map_err(|e| scope.denied(e, "ec2:CreateTags"))?;
    network::protect_from_termination(t, region, instance, true)
        .await
        .map_err(|e| scope.denied(e, "ec2:ModifyInstanceAttribute"))?;
    if !keep.is_empty() {
        network::keep_volumes(t, region, instance, &keep, true)
            .await
            .map_err(|e| scope.denied(e, "ec2:ModifyInstanceAttribute"))?;
    }
    for g in &groups {
        match g {
            GroupPlan::Create { vpc } => {
                network::create_group(
                    t,
                    region,
                    vpc,
                    &name,
                    QUARANTINE,
                    &quarantine_tags(scope),
                    true,
                )
                .await
                .map_err(|e| scope.denied(e, "ec2:CreateSecurityGroup"))?;
            }
            GroupPlan::Reuse { .. } => {}
        }
    }
    for i in &net.interfaces {
        network::set_groups(t, region, &i.id, &i.groups, true)
            .await
            .map_err(|e| scope.denied(e, "ec2:ModifyNetworkInterfaceAttribute"))?;
    }

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
    let tag_text: Vec<String> = isolation_tags(scope, &net, "<the time it is done>")
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    let mut calls = vec![
        "read the instance again: its groups must be those above, else nothing is done".to_string(),
        "record the original groups in the case log".to_string(),
        format!("ec2:CreateTags {instance} {}", tag_text.join(", ")),
        format!("ec2:ModifyInstanceAttribute {instance} DisableApiTermination=true"),
    ];
    if !keep.is_empty() {
        calls.push(format!(
            "ec2:ModifyInstanceAttribute {instance} BlockDeviceMappings {} DeleteOnTermination=false",
            keep.join(", ")
        ));
    }
    for g in &groups {
        match g {
            GroupPlan::Reuse { vpc, id } => calls.push(format!(
                "use the quarantine group {id} ({name}) of {vpc}, which has no rule"
            )),
            GroupPlan::Create { vpc } => {
                calls.push(format!(
                    "ec2:CreateSecurityGroup {name} in {vpc} (no ingress rule)"
                ));
                calls
                    .push("ec2:RevokeSecurityGroupEgress of its default outbound rule".to_string());
            }
        }
    }
    for i in &net.interfaces {
        calls.push(format!(
            "ec2:ModifyNetworkInterfaceAttribute {} Groups=[the quarantine group of {}]",
            i.id, i.vpc_id
        ));
    }
    calls.push(format!(
        "ec2:DescribeInstances {instance} to check every interface"
    ));
    let notes = vec![
        "connections already open stay open until they time out: a security group change does not cut tracked connections (a network ACL would, for the whole subnet)".into(),
        format!("undo: rolecall release ROLE --instance {instance} (the groups come from the tag, else the case log); protection stays on"),
    ];
    let title = format!("Isolate {label}");
    Ok(Plan {
        resources,
        calls,
        notes,
        facts: AnyFacts::Isolate(self::Facts { net, groups, keep }),
        ..scope.plan(action, title)
    })
}

/// The tags isolation writes: the original groups (over any longer list left before), the
/// case and the time.
fn isolation_tags(scope: &Scope, net: &network::InstanceNet, at: &str) -> Vec<(String, String)> {
    let originals: Vec<(String, Vec<String>)> = net
        .interfaces
        .iter()
        .map(|i| (i.id.clone(), i.groups.clone()))
        .collect();
    let mut tags = encode_over(&originals, &net.tags);
    tags.push(("rolecall:case".into(), scope.case_id.clone()));
    tags.push(("rolecall:isolated-at".into(), at.to_string()));
    tags
}

pub async fn run(scope: &Scope, f: Facts, progress: &dyn Progress) -> Outcome {
    let mut steps = Steps::new(scope, progress);
    let t = &scope.target;
    let region = scope.region.as_str();
    let instance = f.net.instance_id.clone();
    let all_left = |from: usize| -> Vec<String> {
        f.net.interfaces[from..]
            .iter()
            .map(|i| format!("moving {} to the quarantine group", i.id))
            .collect()
    };
    // 0. The groups now are those the plan showed (someone may have changed them since).
    match network::describe(t, region, &instance).await {
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
            return steps
                .fail(e, Record::new("isolate.check"), all_left(0))
                .await;
        }
        Err(e) => {
            return steps
                .fail(e, Record::new("isolate.check"), all_left(0))
                .await
        }
    }
    // 1. The originals, before anything changes.
    let record = Record::new("isolate.original-groups")
        .targets([instance.clone()])
        .params(json!({
            "interfaces": f.net.interfaces.iter().map(|i| json!({"id": i.id, "vpc": i.vpc_id, "groups": i.groups})).collect::<Vec<_>>(),
            "volumes": f.net.volumes,
        }));
    if let Err(e) = steps
        .done("recorded the original groups in the case log", record)
        .await
    {
        return steps.fail(e, Record::new("isolate.log"), all_left(0)).await;
    }
    let tags = isolation_tags(scope, &f.net, &now());
    let record = Record::new("isolate.tag")
        .targets([instance.clone()])
        .params(
            json!({ "tags": tags.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>() }),
        );
    if let Err(e) = network::tag(t, region, &instance, &tags, false).await {
        return steps
            .fail(scope.denied(e, "ec2:CreateTags"), record, all_left(0))
            .await;
    }
    if let Err(e) = steps
        .done(
            format!("tagged {instance} with its original groups"),
            record,
        )
        .await
    {
        return steps.fail(e, Record::new("isolate.log"), all_left(0)).await;
    }
    // 2. Evidence protection.
    let record = Record::new("isolate.protect").targets([instance.clone()]);
    if let Err(e) = network::protect_from_termination(t, region, &instance, false).await {
        return steps
            .fail(
                scope.denied(e, "ec2:ModifyInstanceAttribute"),
                record,
                all_left(0),
            )
            .await;
    }
    if let Err(e) = steps
        .done(
            format!("turned on termination protection of {instance}"),
            record,
        )
        .await
    {
        return steps.fail(e, Record::new("isolate.log"), all_left(0)).await;
    }
    if !f.keep.is_empty() {
        let record = Record::new("isolate.keep-volumes")
            .targets([instance.clone()])
            .params(json!({ "devices": f.keep }));
        if let Err(e) = network::keep_volumes(t, region, &instance, &f.keep, false).await {
            return steps
                .fail(
                    scope.denied(e, "ec2:ModifyInstanceAttribute"),
                    record,
                    all_left(0),
                )
                .await;
        }
        let text = format!(
            "volumes on {} are kept when {instance} is terminated",
            f.keep.join(", ")
        );
        if let Err(e) = steps.done(text, record).await {
            return steps.fail(e, Record::new("isolate.log"), all_left(0)).await;
        }
    }
    // 3. The quarantine group of each VPC.
    let name = group_name(&scope.case_id);
    let mut quarantine: BTreeMap<String, String> = BTreeMap::new();
    for g in &f.groups {
        let id = match g {
            GroupPlan::Reuse { id, .. } => id.clone(),
            GroupPlan::Create { vpc } => {
                let record =
                    Record::new("isolate.create-group").params(json!({ "name": name, "vpc": vpc }));
                let id = match network::create_group(
                    t,
                    region,
                    vpc,
                    &name,
                    QUARANTINE,
                    &quarantine_tags(scope),
                    false,
                )
                .await
                {
                    Ok(id) => id.unwrap_or_default(),
                    Err(e) => {
                        return steps
                            .fail(
                                scope.denied(e, "ec2:CreateSecurityGroup"),
                                record,
                                all_left(0),
                            )
                            .await
                    }
                };
                steps.made(id.clone());
                let record = record.targets([id.clone()]);
                if let Err(e) = steps
                    .done(format!("made the quarantine group {id} in {vpc}"), record)
                    .await
                {
                    return steps.fail(e, Record::new("isolate.log"), all_left(0)).await;
                }
                let record = Record::new("isolate.revoke-egress").targets([id.clone()]);
                if let Err(e) = network::revoke_egress(t, region, &id, true).await {
                    return steps
                        .fail(
                            scope.denied(e, "ec2:RevokeSecurityGroupEgress"),
                            record,
                            all_left(0),
                        )
                        .await;
                }
                match network::revoke_egress(t, region, &id, false).await {
                    Ok(rules) => {
                        let record = record.result(json!({ "revoked": rules }));
                        if let Err(e) = steps
                            .done(format!("revoked every outbound rule of {id}"), record)
                            .await
                        {
                            return steps.fail(e, Record::new("isolate.log"), all_left(0)).await;
                        }
                    }
                    Err(e) => {
                        return steps
                            .fail(
                                scope.denied(e, "ec2:RevokeSecurityGroupEgress"),
                                record,
                                all_left(0),
                            )
                            .await
                    }
                }
                id
            }
        };
        // It must have no rule at all before any interface depends on it.
        match network::find_group(t, region, g.vpc(), &name).await {
            Ok(Some(found)) if found.rules == 0 => {}
            Ok(_) => {
                let e = AwsError::new(
                    ErrorKind::Other,
                    "checking the quarantine group",
                    id.clone(),
                )
                .with_message("it still has rules (or is gone); no interface was moved to it");
                return steps
                    .fail(
                        e,
                        Record::new("isolate.check-group").targets([id]),
                        all_left(0),
                    )
                    .await;
            }
            Err(e) => {
                return steps
                    .fail(
                        e,
                        Record::new("isolate.check-group").targets([id]),
                        all_left(0),
                    )
                    .await
            }
        }
        quarantine.insert(g.vpc().to_string(), id);
    }
    // 4. Every interface into it.
    for (n, i) in f.net.interfaces.iter().enumerate() {
        let Some(q) = quarantine.get(&i.vpc_id).cloned() else {
            continue;
        };
        let record = Record::new("isolate.interface")
            .targets([instance.clone(), i.id.clone()])
            .params(json!({ "from": i.groups, "to": [q] }));
        if let Err(e) = network::set_groups(t, region, &i.id, std::slice::from_ref(&q), false).await
        {
            let mut left = all_left(n);
            if n > 0 {
                left.push(format!(
                    "(moved already: {}; rolecall release puts them back)",
                    f.net.interfaces[..n]
                        .iter()
                        .map(|i| i.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            return steps
                .fail(
                    scope.denied(e, "ec2:ModifyNetworkInterfaceAttribute"),
                    record,
                    left,
                )
                .await;
        }
        let text = format!("{} now has only {q} (was {})", i.id, i.groups.join(", "));
        if let Err(e) = steps.done(text, record).await {
            return steps
                .fail(e, Record::new("isolate.log"), all_left(n + 1))
                .await;
        }
    }
    // 5. Checked.
    let after = match network::describe(t, region, &instance).await {
        Ok(n) => n,
        Err(e) => {
            return steps
                .fail(
                    e,
                    Record::new("isolate.check").targets([instance]),
                    vec!["checking the interfaces".into()],
                )
                .await
        }
    };
    let wrong: Vec<&Interface> = after
        .interfaces
        .iter()
        .filter(|i| {
            quarantine
                .get(&i.vpc_id)
                .is_none_or(|q| i.groups != [q.clone()])
        })
        .collect();
    if !wrong.is_empty() {
        let e = AwsError::new(
            ErrorKind::Other,
            "checking the interfaces",
            instance.clone(),
        )
        .with_message(format!(
            "{} still show other groups: {}",
            wrong.len(),
            wrong
                .iter()
                .map(|i| format!("{} {}", i.id, i.groups.join("+")))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        return steps
            .fail(e, Record::new("isolate.check").targets([instance]), vec![])
            .await;
    }
    let result = json!({
        "instance_id": instance,
        "quarantine_groups": quarantine,
        "interfaces": f.net.interfaces.iter().map(|i| json!({"id": i.id, "from": i.groups, "to": [quarantine.get(&i.vpc_id)]})).collect::<Vec<_>>(),
    });
    let record = Record::new("isolate.checked")
        .targets([instance.clone()])
        .result(result.clone());
    if let Err(e) = steps
        .done(
            format!("{instance} is isolated: every interface has only its quarantine group"),
            record,
        )
        .await
    {
        return steps.fail(e, Record::new("isolate.log"), vec![]).await;
    }
    steps.finish(result)
}
