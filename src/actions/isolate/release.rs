//! Release: the groups isolation replaced, put back exactly: read from the case log (written
//! by rolecall alone) when this case isolated the instance, else from the instance's tag, and
//! refused when the two disagree (a tag can be changed by anyone who may tag the instance).

use serde_json::json;

use super::{decode, is_isolated, ReleaseFacts, ORIGINAL_TAG};
use crate::actions::{now, Action, Facts as AnyFacts, Outcome, Plan, Progress, Scope, Steps};
use crate::aws::act::network;
use crate::aws::{AwsError, ErrorKind};
use crate::case::Record;

/// The original groups from the case log: the last `isolate.original-groups` of `instance`.
fn from_log(scope: &Scope, instance: &str) -> Option<Vec<(String, Vec<String>)>> {
    let case = scope.journal.case()?;
    let entries = case.log.entries().ok()?;
    let e = entries.iter().rev().find(|e| {
        e.record.action == "isolate.original-groups"
            && e.record.target.iter().any(|t| t == instance)
    })?;
    let list = e.record.params.get("interfaces")?.as_array()?;
    Some(
        list.iter()
            .filter_map(|i| {
                Some((
                    i.get("id")?.as_str()?.to_string(),
                    i.get("groups")?
                        .as_array()?
                        .iter()
                        .filter_map(|g| g.as_str().map(String::from))
                        .collect(),
                ))
            })
            .collect(),
    )
}

fn groups_text(list: &[(String, Vec<String>)]) -> String {
    list.iter()
        .map(|(eni, g)| format!("{eni}={}", g.join("+")))
        .collect::<Vec<_>>()
        .join(" ")
}

pub async fn plan_release(scope: &Scope, action: Action) -> Result<Plan, AwsError> {
    let Action::Release { instance } = &action else {
        return Err(AwsError::new(ErrorKind::Other, "planning", "release"));
    };
    let t = &scope.target;
    let region = &scope.region;
    let net = network::describe(t, region, instance).await?;
    let refuse = |message: String| {
        AwsError::new(ErrorKind::Other, "planning", instance.clone()).with_message(message)
    };
    if !is_isolated(&net.tags) {
        return Err(refuse(match net.tags.get("rolecall:released-at") {
            Some(at) => format!(
                "{instance} was released at {at} and not isolated since: nothing to put back"
            ),
            None => format!("{instance} has no {ORIGINAL_TAG} tag: rolecall did not isolate it"),
        }));
    }
    let (originals, source) = match (from_log(scope, instance), decode(&net.tags)) {
        (Some(log), Some(tag)) if log != tag => {
            return Err(refuse(format!(
                "the case log and the tag {ORIGINAL_TAG} disagree on {instance}'s original groups (log: {}; tag: {}): put them back by hand from the log, and look at who changed the tag",
                groups_text(&log),
                groups_text(&tag)
            )))
        }
        (Some(log), _) => (log, format!("the log of case {}", scope.case_id)),
        (None, Some(tag)) => (tag, format!("the tag {ORIGINAL_TAG}")),
        (None, None) => {
            return Err(refuse(format!(
                "no record of {instance}'s original groups: the tag {ORIGINAL_TAG} cannot be read, and case {} did not isolate it",
                scope.case_id
            )))
        }
    };
    // Each interface holds one group alone now (its quarantine group): anything else was
    // changed by someone since, and putting the originals back would undo that unseen.
    for i in &net.interfaces {
        if i.groups.len() != 1 {
            return Err(refuse(format!(
                "interface {} has {} now, not a quarantine group alone: someone changed it after isolation; release would overwrite that, so put its groups back by hand",
                i.id,
                if i.groups.is_empty() { "no group".to_string() } else { i.groups.join(", ") }
            )));
        }
    }
    for (eni, groups) in &originals {
        if !net.interfaces.iter().any(|i| &i.id == eni) {
            return Err(AwsError::new(ErrorKind::Other, "planning", eni.clone())
                .with_message(format!("{eni} (recorded in {source}) is no longer attached to {instance}; nothing was changed")));
        }
        network::set_groups(t, region, eni, groups, true)
            .await
            .map_err(|e| scope.denied(e, "ec2:ModifyNetworkInterfaceAttribute"))?;
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
            format!(
                "ec2:ModifyNetworkInterfaceAttribute {eni} Groups=[{}]",
                g.join(", ")
            )
        })
        .collect();
    calls.push(format!(
        "ec2:CreateTags {instance} rolecall:released-at=<the time it is done>"
    ));
    let title = format!("Release {instance}: put back its groups, as recorded in {source}");
    Ok(Plan {
        resources,
        calls,
        notes: vec![
            "termination protection and DeleteOnTermination=false stay as they are: the evidence may still be needed".into(),
            "the quarantine group stays (other instances may use it)".into(),
        ],
        facts: AnyFacts::Release(ReleaseFacts {
            net,
            originals,
            source,
        }),
        ..scope.plan(action, title)
    })
}

pub async fn run_release(scope: &Scope, f: ReleaseFacts, progress: &dyn Progress) -> Outcome {
    let mut steps = Steps::new(scope, progress);
    let t = &scope.target;
    let region = scope.region.as_str();
    let instance = f.net.instance_id.clone();
    for (n, (eni, groups)) in f.originals.iter().enumerate() {
        let before = f
            .net
            .interfaces
            .iter()
            .find(|i| &i.id == eni)
            .map(|i| i.groups.clone())
            .unwrap_or_default();
        let record = Record::new("release.interface")
            .targets([instance.clone(), eni.clone()])
            .params(json!({ "from": before, "to": groups, "source": f.source }));
        let left: Vec<String> = f.originals[n..]
            .iter()
            .map(|(e, g)| format!("putting {} back on {e}", g.join(", ")))
            .collect();
        if let Err(e) = network::set_groups(t, region, eni, groups, false).await {
            return steps
                .fail(
                    scope.denied(e, "ec2:ModifyNetworkInterfaceAttribute"),
                    record,
                    left,
                )
                .await;
        }
        if let Err(e) = steps
            .done(format!("{eni} has {} again", groups.join(", ")), record)
            .await
        {
            return steps
                .fail(e, Record::new("release.log"), left[1..].to_vec())
                .await;
        }
    }
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
        return steps.fail(e, record, vec![]).await;
    }
    if let Err(e) = steps
        .done(format!("tagged {instance} released"), record)
        .await
    {
        return steps.fail(e, Record::new("release.log"), vec![]).await;
    }
    let after = match network::describe(t, region, &instance).await {
        Ok(n) => n,
        Err(e) => {
            return steps
                .fail(
                    e,
                    Record::new("release.check"),
                    vec!["checking the interfaces".into()],
                )
                .await
        }
    };
    let restored: Vec<serde_json::Value> = f
        .originals
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
        .with_message("an interface does not show the groups put back; see the result");
        return steps
            .fail(
                e,
                Record::new("release.check").result(json!(restored)),
                vec![],
            )
            .await;
    }
    let result = json!({ "instance_id": instance, "restored": restored, "from": f.source });
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
