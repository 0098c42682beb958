//! The run of a plan: an intent recorded before each change, each step recorded before it is
//! reported, IAM read back until it settles.

use super::*;

/// Records what is about to be changed, before the call: a run that stops after the call and
/// before its result is recorded still leaves the change in the log (as maybe made).
pub(super) async fn intend(steps: &Steps<'_>, record: Record) -> Result<(), AwsError> {
    steps.scope.record(record).await
}

/// Runs the plan's change, then checks it by a read. Each change's intent is recorded before
/// the call, and its result before it is reported; what was there before a change is
/// recorded before it is made.
pub async fn run(scope: &Scope, f: Facts, progress: &dyn Progress) -> Outcome {
    let mut steps = Steps::new(scope, progress);
    let t = &scope.target;
    let region = &scope.region;
    let id = f.identity.id().to_string();
    let n = names(&f.identity);
    let verb = if f.release { "release" } else { "isolate" };
    let checked_name = format!("{verb}.identity-checked");
    match f.step {
        Step::Key {
            user,
            key,
            active,
            prior,
        } => {
            let (intent, name) = if active {
                (n.off_intent, n.off)
            } else {
                (n.on_intent, n.on)
            };
            let status = if active { "Active" } else { "Inactive" };
            let params = json!({ "user": user, "key": key, "prior": prior, "status": status });
            let change = vec![format!("set {key} {status}")];
            if let Err(e) = intend(
                &steps,
                Record::new(intent)
                    .targets([id.clone()])
                    .params(params.clone()),
            )
            .await
            {
                return steps.fail(e, Record::new(name), change).await;
            }
            let record = Record::new(name).targets([id.clone()]).params(params);
            if let Err(e) = set_key_status(t, region, &user, &key, active).await {
                let e = scope.denied(e, "iam:UpdateAccessKey");
                return steps.fail(e, record, change).await;
            }
            if let Err(e) = steps
                .done(
                    format!("access key {key} of user {user} set {status}"),
                    record,
                )
                .await
            {
                return steps
                    .fail(e, Record::new(checked_name), vec!["the check".into()])
                    .await;
            }
            // IAM is eventually consistent: a read right after the change may still see the
            // old status, so it is read again a few times before it counts as not done.
            let mut now = iam_read::access_keys(&t.iam(region), &user).await;
            let status_of = |now: &Result<Vec<iam_read::KeyFacts>, AwsError>| {
                now.as_ref()
                    .ok()
                    .and_then(|keys| keys.iter().find(|k| k.access_key_id == key))
                    .map(|k| k.status.clone())
            };
            for wait in SETTLE {
                if status_of(&now).as_deref() == Some(status) {
                    break;
                }
                tokio::time::sleep(wait).await;
                now = iam_read::access_keys(&t.iam(region), &user).await;
            }
            let seen = status_of(&now);
            let check = Record::new(checked_name)
                .targets([id.clone()])
                .result(json!({ "status": seen }));
            match seen {
                Some(s) if s == status => {
                    let _ = steps.done(format!("checked: {key} is {s}"), check).await;
                    steps.finish(json!({ "access_key_id": key, "user": user, "status": s }))
                }
                other => {
                    let e = AwsError::new(
                        ErrorKind::Other,
                        "ListAccessKeys",
                        format!("access key {key}"),
                    )
                    .with_message(match (other, now.err()) {
                        (Some(s), _) => format!("the key reads {s} after the change, not {status}"),
                        (None, Some(e)) => format!("its status could not be read back: {e}"),
                        (None, None) => "the key is gone from its user's keys".into(),
                    })
                    .with_hint(
                        "look at the key in the console: its state is not the one asked for",
                    );
                    steps.fail(e, check, Vec::new()).await
                }
            }
        }
        Step::Put {
            owner,
            policy,
            document,
            replaced,
        } => {
            let put = vec![format!("put {policy} on {}", f.identity.text())];
            if let Some(old) = &replaced {
                // Never lose an original: the old document first.
                let keep = Record::new(format!("{verb}.policy-replaced"))
                    .targets([id.clone()])
                    .params(json!({ "policy": policy, "document": old }));
                if let Err(e) = steps.done(format!("recorded the old {policy}"), keep).await {
                    return steps.fail(e, Record::new(n.on), put).await;
                }
            }
            // The time of a revocation is taken now, just before the call.
            let document = document.made();
            let params = json!({ "policy": policy, "document": document });
            if let Err(e) = intend(
                &steps,
                Record::new(n.on_intent)
                    .targets([id.clone()])
                    .params(params.clone()),
            )
            .await
            {
                return steps.fail(e, Record::new(n.on), put).await;
            }
            let record = Record::new(n.on).targets([id.clone()]).params(params);
            if let Err(e) = put_policy(t, region, owner.owner(), &policy, &document).await {
                let api = match owner {
                    OwnerName::User(_) => "iam:PutUserPolicy",
                    OwnerName::Role(_) => "iam:PutRolePolicy",
                };
                let e = scope.denied(e, api);
                return steps.fail(e, record, put).await;
            }
            if let Err(e) = steps
                .done(
                    format!("{} has the policy {policy}", f.identity.text()),
                    record,
                )
                .await
            {
                return steps
                    .fail(e, Record::new(checked_name), vec!["the check".into()])
                    .await;
            }
            let check = Record::new(checked_name).targets([id.clone()]);
            match read_back(scope, &f.identity, &owner, &policy, Some(&document)).await {
                Ok(()) => {
                    let _ = steps
                        .done(
                            format!("checked: {policy} is there"),
                            check.result(json!({ "ok": true })),
                        )
                        .await;
                    steps.finish(json!({ "identity": f.identity, "policy": policy, "present": true, "document": document }))
                }
                Err(e) => steps.fail(e, check, Vec::new()).await,
            }
        }
        Step::Delete { owner, policies } => {
            let api = match owner {
                OwnerName::User(_) => "iam:DeleteUserPolicy",
                OwnerName::Role(_) => "iam:DeleteRolePolicy",
            };
            let left = |from: usize| -> Vec<String> {
                policies[from..]
                    .iter()
                    .map(|(p, _)| format!("remove {p} from {}", f.identity.text()))
                    .collect()
            };
            for (i, (policy, current)) in policies.iter().enumerate() {
                // What it holds now, recorded before it is removed.
                let params = json!({ "policy": policy, "document": current });
                if let Err(e) = intend(
                    &steps,
                    Record::new(n.off_intent)
                        .targets([id.clone()])
                        .params(params.clone()),
                )
                .await
                {
                    return steps.fail(e, Record::new(n.off), left(i)).await;
                }
                let record = Record::new(n.off).targets([id.clone()]).params(params);
                if let Err(e) = delete_policy(t, region, owner.owner(), policy).await {
                    let e = scope.denied(e, api);
                    return steps.fail(e, record, left(i)).await;
                }
                if let Err(e) = steps
                    .done(
                        format!("removed {policy} from {}", f.identity.text()),
                        record,
                    )
                    .await
                {
                    let mut rest = left(i + 1);
                    rest.push("the check".into());
                    return steps.fail(e, Record::new(checked_name), rest).await;
                }
            }
            let names: Vec<&str> = policies.iter().map(|(p, _)| p.as_str()).collect();
            let check = Record::new(checked_name).targets([id.clone()]);
            for policy in &names {
                if let Err(e) = read_back(scope, &f.identity, &owner, policy, None).await {
                    return steps.fail(e, check, Vec::new()).await;
                }
            }
            let _ = steps
                .done(
                    format!("checked: {} gone", names.join(", ")),
                    check.result(json!({ "ok": true, "policies": names })),
                )
                .await;
            steps.finish(
                json!({ "identity": f.identity, "policy": names.first(), "policies": names, "present": false }),
            )
        }
    }
}

/// Reads the policy back until IAM shows it there with `document`, or gone (`None`).
pub(super) async fn read_back(
    scope: &Scope,
    identity: &Identity,
    owner: &OwnerName,
    policy: &str,
    document: Option<&str>,
) -> Result<(), AwsError> {
    let want = document.and_then(|d| serde_json::from_str::<Value>(d).ok());
    let settled = |now: &Result<Option<String>, AwsError>| match now {
        Ok(Some(doc)) => want.is_some() && serde_json::from_str::<Value>(doc).ok() == want,
        Ok(None) => want.is_none(),
        Err(_) => false,
    };
    // Read again a few times: IAM is eventually consistent.
    let mut now = inline_policy(&scope.target, &scope.region, owner.owner(), policy).await;
    for wait in SETTLE {
        if settled(&now) {
            return Ok(());
        }
        tokio::time::sleep(wait).await;
        now = inline_policy(&scope.target, &scope.region, owner.owner(), policy).await;
    }
    if settled(&now) {
        return Ok(());
    }
    Err(AwsError::new(ErrorKind::Other, "reading the policy back", identity.text()).with_message(match now {
        Ok(Some(_)) if document.is_none() => format!("{policy} is still there after it was deleted"),
        Ok(Some(_)) => format!("{policy} does not hold what was written"),
        Ok(None) => format!("{policy} is not there after it was put"),
        Err(e) => format!("it could not be read back: {e}"),
    })
    .with_hint("look at the identity's inline policies in the console: the state is not the one asked for"))
}
