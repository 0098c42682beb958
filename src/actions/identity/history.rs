//! What rolecall did to an identity and has not undone, from every case's log: the only
//! truth containment and release act on.

use super::*;

/// What rolecall did to an identity and has not undone, from every case's log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contained {
    pub case: String,
    pub at: String,
    /// The key's user (a key).
    pub user: Option<String>,
    /// The policy's name (a user or role).
    pub policy: Option<String>,
    /// The document rolecall wrote (or was about to write).
    pub document: Option<String>,
    /// Only the intent was recorded (or the call got no answer): the change may or may not
    /// have been made, so it is treated as made, and its release offered.
    pub maybe: bool,
}

/// Every containment of `identity` in the scope's account that no release followed, oldest
/// first: a key's (one), or each rolecall policy on a user or role, by its name.
pub async fn history(
    scope: &Scope,
    identity: &Identity,
) -> Result<(Vec<Contained>, Vec<String>), AwsError> {
    let case = scope.journal.case();
    let account = scope.role.account_id().to_string();
    let identity = identity.clone();
    let about = identity.text();
    tokio::task::spawn_blocking(move || {
        let (entries, unread) =
            crate::actions::isolate::history::every_entry(case, &identity.text())?;
        Ok((contained(entries, &account, &identity), unread))
    })
    .await
    .map_err(|e| {
        AwsError::new(ErrorKind::Other, "reading the case logs", about).with_message(e.to_string())
    })?
}

/// The logged target is this identity: a key exactly, a user or role whatever its case (IAM
/// names are unique regardless of case).
pub(super) fn same_name(identity: &Identity, logged: &str) -> bool {
    match identity {
        Identity::AccessKey(k) => k == logged,
        Identity::User(n) | Identity::Role(n) => n.eq_ignore_ascii_case(logged),
    }
}

/// The record names of an identity's containment: the intent written before each change, and
/// the result written after it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Names {
    /// Before the change that contains it.
    pub(super) on_intent: &'static str,
    /// The change that contains it, made (or failed).
    pub(super) on: &'static str,
    /// Before the change that releases it.
    pub(super) off_intent: &'static str,
    /// The change that releases it, made (or failed).
    pub(super) off: &'static str,
}

pub(super) fn names(identity: &Identity) -> Names {
    let (on_intent, on, off_intent, off) = match identity {
        Identity::AccessKey(_) => (
            "isolate.key-deactivating",
            "isolate.key-deactivated",
            "release.key-activating",
            "release.key-activated",
        ),
        Identity::User(_) => (
            "isolate.user-policy-putting",
            "isolate.user-policy",
            "release.user-policy-removing",
            "release.user-policy-removed",
        ),
        Identity::Role(_) => (
            "isolate.role-policy-putting",
            "isolate.role-policy",
            "release.role-policy-removing",
            "release.role-policy-removed",
        ),
    };
    Names {
        on_intent,
        on,
        off_intent,
        off,
    }
}

/// The error a step's record holds, if it failed.
pub(super) fn error_of(e: &Entry) -> Option<&str> {
    e.record.result.get("error").and_then(Value::as_str)
}

/// A change that got no answer (a timeout, the network) or an answer that AWS failed on its
/// side (a 5xx: IAM's ServiceFailure) may have been made: a containment that ended so counts
/// as made (its release is offered, and undoes it if it was).
pub(super) fn maybe_done(code: &str) -> bool {
    matches!(
        code,
        "Timeout"
            | "Network"
            | "ServiceFailure"
            | "InternalFailure"
            | "InternalError"
            | "ServiceUnavailable"
    )
}

/// What each containment record says, in time order: a containment counts from its intent on
/// (the change may have been made even if rolecall stopped before it heard back), unless AWS
/// refused it; it ends only when a release of it is known done (no error). A release that got
/// no answer may not have been made: the containment stands, and its release is offered again.
pub(super) fn contained(
    mut entries: Vec<Entry>,
    account: &str,
    identity: &Identity,
) -> Vec<Contained> {
    let n = names(identity);
    entries.retain(|e| {
        let a = e.record.action.as_str();
        e.record.account_id.as_deref() == Some(account)
            && e.record
                .target
                .first()
                .is_some_and(|t| same_name(identity, t))
            && [n.on_intent, n.on, n.off_intent, n.off].contains(&a)
    });
    // In time order (each case's own order kept for equal times).
    entries.sort_by(|a, b| a.ts.cmp(&b.ts));
    let mut now: std::collections::BTreeMap<String, Contained> = Default::default();
    // What stood before an intent, to go back to when AWS refuses the change.
    let mut before: std::collections::HashMap<String, Option<Contained>> = Default::default();
    for e in entries {
        let p = &e.record.params;
        let text = |k: &str| p.get(k).and_then(Value::as_str).map(str::to_string);
        let key = match identity {
            Identity::AccessKey(k) => k.clone(),
            _ => match text("policy") {
                Some(policy) => policy,
                None => continue,
            },
        };
        let this = |maybe: bool| Contained {
            case: e.case.clone(),
            at: e.ts.clone(),
            user: text("user"),
            policy: text("policy"),
            document: text("document"),
            maybe,
        };
        let action = e.record.action.as_str();
        if action == n.on_intent {
            before
                .entry(key.clone())
                .or_insert_with(|| now.get(&key).cloned());
            now.insert(key, this(true));
        } else if action == n.on {
            let prior = before.remove(&key);
            match error_of(&e) {
                None => {
                    now.insert(key, this(false));
                }
                Some(code) if maybe_done(code) => {
                    now.insert(key, this(true));
                }
                // Refused by AWS: nothing changed; what stood before stands.
                Some(_) => match prior {
                    Some(Some(c)) => {
                        now.insert(key, c);
                    }
                    Some(None) => {
                        now.remove(&key);
                    }
                    None => {}
                },
            }
        } else if action == n.off && error_of(&e).is_none() {
            now.remove(&key);
            before.remove(&key);
        }
    }
    let mut out: Vec<Contained> = now.into_values().collect();
    out.sort_by(|a, b| a.at.cmp(&b.at));
    out
}
