//! Release: the groups isolation replaced, put back exactly as rolecall's case logs recorded
//! them (the logs of every case: rolecall writes them alone, chained), and only over
//! rolecall's own quarantine group. The instance's tag is a hint, compared and reported, never
//! obeyed: with no record in the logs, nothing is put back. A release that stopped part way is
//! finished by running it again: interfaces that have their groups back are found done.

use serde_json::json;

use super::history::{self, groups_text};
use super::{decode, ReleaseFacts, ORIGINAL_TAG};
use crate::actions::{
    checked, now, Action, Facts as AnyFacts, Outcome, Plan, Progress, Scope, Steps,
};
use crate::aws::act::network;
use crate::aws::{AwsError, ErrorKind};
use crate::case::Record;

pub async fn plan_release(scope: &Scope, action: Action) -> Result<Plan, AwsError> {
    let Action::Release { instance } = &action else {
        return Err(AwsError::new(ErrorKind::Other, "planning", "release"));
    };
    let t = &scope.target;
    let region = &scope.region;
    let net = network::describe(t, region, instance).await?;
    let history = history::read(scope, instance).await?;
    let refuse = |message: String| {
        AwsError::new(ErrorKind::Other, "planning", instance.clone()).with_message(message)
    };
    let tag = decode(&net.tags);
    let Some(iso) = history.isolated.clone() else {
        let said = match &tag {
            Some(tag) => format!(
                "; the tag {ORIGINAL_TAG} on it says {}, but a tag is only a hint (anyone who may tag the instance can write it), so it is not obeyed: put groups back by hand only when you know them to be right",
                groups_text(tag)
            ),
            None => String::new(),
        };
        return Err(refuse(match &history.released_at {
            Some(at) => format!(
                "{instance} was released at {at} and rolecall's case logs hold no isolation of it since: nothing to put back{said}"
            ),
            None => format!(
                "rolecall's case logs hold no isolation of {instance} in account {} and {region}: nothing to put back{said}",
                scope.role.account_id()
            ),
        }));
    };
    let source = format!("the log of case {}", iso.case);
    let mut notes = Vec::new();
    if let Some(tag) = &tag {
        if tag != &iso.originals {
            notes.push(format!(
                "the tag {ORIGINAL_TAG} says {}, but {source} recorded {}: the tag is not obeyed (look at who changed it)",
                groups_text(tag),
                groups_text(&iso.originals)
            ));
        }
    } else {
        notes.push(format!(
            "the tag {ORIGINAL_TAG} is gone from {instance}: the groups come from {source}"
        ));
    }
    let mut originals = Vec::new();
    let mut found_done = Vec::new();
    for (eni, groups) in &iso.originals {
        let Some(now_i) = net.interfaces.iter().find(|i| &i.id == eni) else {
            return Err(AwsError::new(ErrorKind::Other, "planning", eni.clone())
                .with_message(format!("{eni} (recorded in {source}) is no longer attached to {instance}; nothing was changed")));
        };
        if &now_i.groups == groups {
            found_done.push(format!("{eni} has {} again", groups.join(", ")));
            continue;
        }
        // Only over rolecall's own quarantine group: anything else was changed by someone
        // since, and putting the originals back would undo that unseen.
        let ours = now_i.groups.len() == 1 && iso.quarantine.contains(&now_i.groups[0]);
        if !ours {
            return Err(refuse(format!(
                "interface {eni} has {} now, neither rolecall's quarantine group alone ({}) nor its recorded groups: someone changed it after isolation; release would overwrite that, so put its groups back by hand ({})",
                if now_i.groups.is_empty() { "no group".to_string() } else { now_i.groups.join(", ") },
                iso.quarantine.iter().cloned().collect::<Vec<_>>().join(", "),
                groups.join(", ")
            )));
        }
        network::set_groups(t, region, eni, groups, true)
            .await
            .map_err(|e| scope.denied(e, "ec2:ModifyNetworkInterfaceAttribute"))?;
        originals.push((eni.clone(), groups.clone()));
    }
    for i in &net.interfaces {
        if !iso.originals.iter().any(|(e, _)| e == &i.id) {
            notes.push(format!(
                "{} was attached after isolation: rolecall recorded no groups for it, so it is left as it is ({})",
                i.id,
                i.groups.join(", ")
            ));
        }
    }
    network::tag(
        t,
        region,
        instance,
        &[("rolecall:released-at".into(), now())],
        true,
    )
    .await
    .map_err(|e| scope.denied(e, "ec2:CreateTags"))?;
    let resources: Vec<String> = net
        .interfaces
        .iter()
        .map(|i| format!("interface {}: groups now {}", i.id, i.groups.join(", ")))
        .collect();
    let mut calls: Vec<String> = originals
        .iter()
        .map(|(eni, g)| {
            checked(
                format!(
                    "ec2:ModifyNetworkInterfaceAttribute {eni} Groups=[{}]",
                    g.join(", ")
                ),
                "checked: DryRun",
            )
        })
        .collect();
    calls.push(checked(
        format!("ec2:CreateTags {instance} rolecall:released-at=<the time it is done>"),
        "checked: DryRun",
    ));
    calls.push(checked(
        format!("ec2:DescribeInstances {instance} to check every interface"),
        "a read",
    ));
    notes.extend(
        found_done
            .iter()
            .map(|d| format!("found done already: {d}")),
    );
    notes.push("termination protection and DeleteOnTermination=false stay as they are: the evidence may still be needed".into());
    notes.push("the quarantine group stays (other instances may use it)".into());
    let title = format!("Release {instance}: put back its groups, as recorded in {source}");
    Ok(Plan {
        resources,
        calls,
        notes,
        facts: AnyFacts::Release(ReleaseFacts {
            net,
            originals,
            recorded: iso.originals,
            source,
            found_done,
        }),
        ..scope.plan(action, title)
    })
}

pub async fn run_release(scope: &Scope, f: ReleaseFacts, progress: &dyn Progress) -> Outcome {
    let mut steps = Steps::new(scope, progress);
    let t = &scope.target;
    let region = scope.region.as_str();
    let instance = f.net.instance_id.clone();
    let mut left: Vec<String> = f
        .originals
        .iter()
        .map(|(e, g)| format!("putting {} back on {e}", g.join(", ")))
        .collect();
    left.push(format!("tagging {instance} released"));
    left.push(format!("reading {instance} back to check every interface"));
    for d in &f.found_done {
        steps.say(format!("found done already: {d}"));
    }
    for (n, (eni, groups)) in f.originals.iter().enumerate() {
        let before = f.net.groups_of(eni);
        let record = Record::new("release.interface")
            .targets([instance.clone(), eni.clone()])
            .params(json!({ "from": before, "to": groups, "source": f.source }));
        if let Err(e) = network::set_groups(t, region, eni, groups, false).await {
            let mut not_done = left[n..].to_vec();
            not_done.push(format!(
                "(to finish: rolecall release ROLE --instance {instance} again)"
            ));
            return steps
                .fail(
                    scope.denied(e, "ec2:ModifyNetworkInterfaceAttribute"),
                    record,
                    not_done,
                )
                .await;
        }
        if let Err(e) = steps
            .done(format!("{eni} has {} again", groups.join(", ")), record)
            .await
        {
            return steps
                .fail(e, Record::new("release.log"), left[n + 1..].to_vec())
                .await;
        }
    }
    let k = f.originals.len();
    let record = Record::new("release.tag").targets([instance.clone()]);
    if let Err(e) = network::tag(
        t,
        region,
        &instance,
        &[("rolecall:released-at".into(), now())],
        false,
    )
    .await
    {
        return steps.fail(e, record, left[k..].to_vec()).await;
    }
    if let Err(e) = steps
        .done(format!("tagged {instance} released"), record)
        .await
    {
        return steps
            .fail(e, Record::new("release.log"), left[k + 1..].to_vec())
            .await;
    }
    let after = match network::describe(t, region, &instance).await {
        Ok(n) => n,
        Err(e) => {
            return steps
                .fail(
                    e,
                    Record::new("release.check").targets([instance.clone()]),
                    left[k + 1..].to_vec(),
                )
                .await
        }
    };
    let restored: Vec<serde_json::Value> = f
        .recorded
        .iter()
        .map(|(eni, groups)| {
            let now = after.interfaces.iter().find(|i| &i.id == eni).map(|i| i.groups.clone());
            json!({ "id": eni, "groups": groups, "now": now, "restored": now.as_ref() == Some(groups) })
        })
        .collect();
    if restored.iter().any(|r| r["restored"] != true) {
        let e = AwsError::new(
            ErrorKind::Other,
            "checking the interfaces",
            instance.clone(),
        )
        .with_message("an interface does not show the groups put back; see the result")
        .with_hint(format!(
            "run rolecall release ROLE --instance {instance} again: it finishes what is left"
        ));
        return steps
            .fail(
                e,
                Record::new("release.check")
                    .targets([instance.clone()])
                    .result(json!(restored)),
                vec![],
            )
            .await;
    }
    let result = json!({ "instance_id": instance, "restored": restored, "from": f.source, "found_done": f.found_done });
    let record = Record::new("release.checked")
        .targets([instance.clone()])
        .result(result.clone());
    if let Err(e) = steps
        .done(format!("{instance} has its original groups back"), record)
        .await
    {
        return steps.fail(e, Record::new("release.log"), vec![]).await;
    }
    steps.finish(result)
}
