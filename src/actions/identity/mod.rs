//! Containment of identities, as AWS's credential-compromise playbook asks: an access key set
//! `Inactive` (never deleted), a user denied everything by an inline policy
//! (`rolecall-quarantine-<case>`, as aws_ir does), a role's sessions issued before now revoked
//! by an inline policy on `aws:TokenIssueTime` (`rolecall-revoke-sessions-<case>`, what the IAM
//! console's "Revoke active sessions" writes as `AWSRevokeOlderSessions`). `release` undoes
//! each exactly: the key set `Active` again, or that one policy removed and nothing else.
//!
//! IAM has no DryRun. A plan says so, and checks by reads what it can: the key, user or role
//! exists, the policy name is free (or holds what rolecall's logs say it wrote), the key is
//! not the one rolecall signs with. What rolecall did is known from its case logs, never from
//! anything an intruder can write (names, tags, descriptions, policy documents).
//!
//! Refused: revoking the sessions of the role rolecall acts as (or the primary identity's
//! role), quarantining the primary user, deactivating the key rolecall signs with or the last
//! active key of the user it runs as, and changing roles AWS manages (service-linked,
//! `AWSReservedSSO_*`).
//!
//! `history`: what the case logs say rolecall did; `plan`: the plans of a containment and of
//! its release; `run`: their steps.

mod history;
mod plan;
mod run;

use history::*;
pub use history::{history, Contained};
use plan::*;
pub use run::run;

use serde::Serialize;
use serde_json::{json, Value};

use super::{checked, Action, Facts as AnyFacts, Outcome, Plan, Progress, Scope, Steps};
use crate::aws::act::iam::{delete_policy, inline_policy, put_policy, set_key_status, Owner};
use crate::aws::iam::{self as iam_read, is_missing};
use crate::aws::{AwsError, ErrorKind};
use crate::case::{Entry, Record};

/// An identity rolecall contains.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Identity {
    AccessKey(String),
    User(String),
    Role(String),
}

impl Identity {
    pub fn id(&self) -> &str {
        match self {
            Identity::AccessKey(s) | Identity::User(s) | Identity::Role(s) => s,
        }
    }

    /// "access key AKIA…", "user ci-deploy", "role WebAppRole".
    pub fn text(&self) -> String {
        match self {
            Identity::AccessKey(k) => format!("access key {k}"),
            Identity::User(u) => format!("user {u}"),
            Identity::Role(r) => format!("role {r}"),
        }
    }

    /// Checked before any call is made of it.
    pub fn check(&self) -> Result<(), AwsError> {
        use crate::aws::act::ids;
        match self {
            Identity::AccessKey(k) => {
                ids::access_key(k)?;
                if k.starts_with("ASIA") {
                    return Err(refused(
                        self,
                        format!("{k} is a temporary key (ASIA…): IAM cannot deactivate it; it ends when its session does"),
                        "revoke the sessions of the role that issued it (rolecall whois KEY names the account; rolecall isolate ROLE --role NAME); nothing was asked of AWS",
                    ));
                }
                Ok(())
            }
            Identity::User(u) => ids::iam_name(u, "user"),
            Identity::Role(r) => ids::iam_name(r, "role"),
        }
    }
}

/// The inline policy that denies a user everything, in a case.
pub fn quarantine_policy(case: &str) -> String {
    format!("rolecall-quarantine-{case}")
}

/// The inline policy that revokes a role's older sessions, in a case.
pub fn revoke_policy(case: &str) -> String {
    format!("rolecall-revoke-sessions-{case}")
}

/// Deny everything.
pub fn deny_all() -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "RolecallQuarantine",
            "Effect": "Deny",
            "Action": "*",
            "Resource": "*"
        }]
    })
}

/// Deny everything to sessions issued before `time` (as the IAM console's "Revoke active
/// sessions" does).
pub fn revoke_before(time: &str) -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "RolecallRevokeOlderSessions",
            "Effect": "Deny",
            "Action": ["*"],
            "Resource": ["*"],
            "Condition": {"DateLessThan": {"aws:TokenIssueTime": time}}
        }]
    })
}

fn refused(identity: &Identity, message: String, hint: &str) -> AwsError {
    AwsError::new(ErrorKind::Other, "planning", identity.text())
        .with_message(message)
        .with_hint(hint.to_string())
}

/// What the run does, found by the plan.
#[derive(Debug, Clone)]
pub struct Facts {
    pub identity: Identity,
    pub release: bool,
    pub step: Step,
}

#[derive(Debug, Clone)]
pub enum Step {
    /// Set the key's status (`prior`: its status when planned).
    Key {
        user: String,
        key: String,
        active: bool,
        prior: String,
    },
    /// Put an inline policy (a new name, or rolecall's own one replaced: `replaced` holds what
    /// was there, recorded before it is overwritten).
    Put {
        owner: OwnerName,
        policy: String,
        document: Document,
        replaced: Option<String>,
    },
    /// Delete rolecall's inline policies: each name and what it holds now (recorded first).
    Delete {
        owner: OwnerName,
        policies: Vec<(String, String)>,
    },
}

/// The document a `Put` writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Document {
    /// Exactly this (a user's deny-all).
    Fixed(String),
    /// Deny the sessions issued before the run: the time is taken just before the call, so
    /// sessions issued between the plan and the confirmation are revoked too.
    RevokeBeforeRun,
}

/// How the plan shows a time taken when it runs.
pub const RUN_TIME: &str = "<the time of the run>";

impl Document {
    /// As the plan shows it.
    pub fn shown(&self) -> String {
        match self {
            Document::Fixed(d) => d.clone(),
            Document::RevokeBeforeRun => revoke_before(RUN_TIME).to_string(),
        }
    }

    /// What the run writes.
    fn made(&self) -> String {
        match self {
            Document::Fixed(d) => d.clone(),
            Document::RevokeBeforeRun => revoke_before(&super::now()).to_string(),
        }
    }
}

/// Whose policy, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OwnerName {
    User(String),
    Role(String),
}

impl OwnerName {
    fn owner(&self) -> Owner<'_> {
        match self {
            OwnerName::User(u) => Owner::User(u),
            OwnerName::Role(r) => Owner::Role(r),
        }
    }
}

/// The primary identity's user or role in the scope's account, if it is one there.
fn primary_in_account(scope: &Scope) -> crate::aws::discovery::Caller {
    use crate::aws::discovery::Caller;
    let account = scope.role.account_id();
    if scope.actor.split(':').nth(4) != Some(account) {
        return Caller::Other;
    }
    Caller::from_arn(&scope.actor)
}

/// Why containing `identity` would cut rolecall off, before anything is read: the key it signs
/// with, the user it runs as, the role it acts as or runs as. `acting`: the role the action
/// goes through; `me`: the primary identity, when it is in the same account.
pub fn oneself(
    identity: &Identity,
    acting: &str,
    me: &crate::aws::discovery::Caller,
    signing_key: Option<&str>,
) -> Option<(String, &'static str)> {
    use crate::aws::discovery::Caller;
    let other = "contain it from another identity (another profile, an SSO session, another role)";
    match identity {
        Identity::AccessKey(key) if signing_key == Some(key.as_str()) => Some((
            format!("{key} is the key rolecall itself signs with: deactivating it would cut rolecall off mid-incident"),
            other,
        )),
        // IAM names are unique whatever their case, and found whatever the case asked.
        Identity::User(name) if matches!(me, Caller::User { name: mine } if mine.eq_ignore_ascii_case(name)) => Some((
            format!("{name} is the user rolecall runs as: denying it everything would cut rolecall off"),
            other,
        )),
        Identity::Role(name) if name.eq_ignore_ascii_case(acting) => Some((
            format!("{name} is the role rolecall is acting as: revoking its sessions would revoke rolecall's own"),
            "act through another role in that account",
        )),
        Identity::Role(name) if matches!(me, Caller::Role { name: mine } if mine.eq_ignore_ascii_case(name)) => Some((
            format!("{name} is the primary identity's role: revoking its sessions would cut rolecall off"),
            other,
        )),
        _ => None,
    }
}

/// Why deactivating `key` of `user` would lock rolecall out: it is the last active key of the
/// user rolecall runs as (signing, say, with a session made from it).
pub fn last_key(
    key: &str,
    user: &str,
    keys: &[iam_read::KeyFacts],
    me: &crate::aws::discovery::Caller,
) -> Option<(String, &'static str)> {
    use crate::aws::discovery::Caller;
    let Caller::User { name } = me else {
        return None;
    };
    let others = keys
        .iter()
        .filter(|k| k.status == "Active" && k.access_key_id != key)
        .count();
    (name.eq_ignore_ascii_case(user) && others == 0).then(|| {
        (
            format!("{key} is the last active key of user {user}, whom rolecall runs as: rolecall would lock itself out"),
            "contain it from another identity",
        )
    })
}

/// How long a read-back waits, again and again, for IAM to show a change (IAM is eventually
/// consistent; changes usually show within seconds).
const SETTLE: [std::time::Duration; 4] = [
    std::time::Duration::from_millis(500),
    std::time::Duration::from_secs(1),
    std::time::Duration::from_secs(2),
    std::time::Duration::from_secs(4),
];

const NO_DRY_RUN: &str = "not checked before the run: IAM has no DryRun";

/// Plans containing (or, `release`, releasing) an identity.
pub async fn plan(scope: &Scope, action: Action) -> Result<Plan, AwsError> {
    let (identity, release) = match &action {
        Action::Contain { identity } => (identity.clone(), false),
        Action::Uncontain { identity } => (identity.clone(), true),
        _ => {
            return Err(AwsError::new(
                ErrorKind::Other,
                "planning",
                action.target().to_string(),
            ))
        }
    };
    identity.check()?;
    let (done, unread) = history(scope, &identity).await?;
    let mut notes = vec![
        "IAM has no DryRun: the plan checked by reads what it could (that it exists, what is there now); the permission itself is known only when the call is made (rolecall doctor checks it with iam:SimulatePrincipalPolicy where the role may call it)".to_string(),
    ];
    if !unread.is_empty() {
        notes.push(format!(
            "the logs of case(s) {} could not be read: what rolecall did there is not known",
            unread.join(", ")
        ));
    }
    let mut plan = if release {
        plan_release(scope, &identity, done, &mut notes).await?
    } else {
        plan_contain(scope, &identity, done, &mut notes).await?
    };
    plan.action = action;
    plan.notes.extend(notes);
    Ok(plan)
}

/// The two documents are the same policy (as JSON, whatever the spacing or key order).
fn same_document(now: &str, written: Option<&str>) -> bool {
    match (
        serde_json::from_str::<Value>(now),
        written.map(serde_json::from_str::<Value>),
    ) {
        (Ok(a), Some(Ok(b))) => a == b,
        _ => false,
    }
}

/// The outstanding rolecall policies of a user or role that are there now, each with what it
/// holds now (read: the logs say what rolecall wrote, IAM says what is there).
async fn present(
    scope: &Scope,
    owner: &OwnerName,
    done: &[Contained],
) -> Result<Vec<(Contained, String)>, AwsError> {
    let mut out = Vec::new();
    for c in done {
        let Some(policy) = &c.policy else { continue };
        if let Some(doc) =
            inline_policy(&scope.target, &scope.region, owner.owner(), policy).await?
        {
            out.push((c.clone(), doc));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_deny_as_documented() {
        let d = deny_all();
        assert_eq!(d["Statement"][0]["Effect"], "Deny");
        assert_eq!(d["Statement"][0]["Action"], "*");
        let r = revoke_before("2026-12-04T22:00:00Z");
        assert_eq!(
            r["Statement"][0]["Condition"]["DateLessThan"]["aws:TokenIssueTime"],
            "2026-12-04T22:00:00Z"
        );
        assert_eq!(quarantine_policy("IR-7"), "rolecall-quarantine-IR-7");
    }

    #[test]
    fn rolecall_never_contains_itself() {
        use crate::aws::discovery::Caller;
        let me = Caller::User {
            name: "responder".into(),
        };
        let key = |k: &str| Identity::AccessKey(k.into());
        assert!(oneself(
            &key("AKIAIOSFODNN7EXAMPLE"),
            "Responder",
            &me,
            Some("AKIAIOSFODNN7EXAMPLE")
        )
        .is_some());
        assert!(oneself(
            &key("AKIAIOSFODNN7EXAMPLE"),
            "Responder",
            &me,
            Some("ASIAIOSFODNN7EXAMPLE")
        )
        .is_none());
        assert!(oneself(&Identity::User("responder".into()), "Responder", &me, None).is_some());
        assert!(oneself(&Identity::User("alice".into()), "Responder", &me, None).is_none());
        assert!(oneself(
            &Identity::Role("Responder".into()),
            "Responder",
            &Caller::Other,
            None
        )
        .is_some());
        let role = Caller::Role {
            name: "InstanceRole".into(),
        };
        assert!(oneself(
            &Identity::Role("InstanceRole".into()),
            "Responder",
            &role,
            None
        )
        .is_some());
        assert!(oneself(&Identity::Role("WebApp".into()), "Responder", &role, None).is_none());
        // A user elsewhere, or a role in another account, is no one rolecall is.
        assert!(oneself(
            &Identity::User("responder".into()),
            "Responder",
            &Caller::Other,
            None
        )
        .is_none());
    }

    #[test]
    fn the_last_active_key_of_rolecalls_own_user_is_kept() {
        use crate::aws::discovery::Caller;
        let k = |id: &str, status: &str| iam_read::KeyFacts {
            access_key_id: id.into(),
            status: status.into(),
            created: None,
            last_used: None,
        };
        let me = Caller::User {
            name: "responder".into(),
        };
        let one = [
            k("AKIAAAAAAAAAAAAAAAAA", "Active"),
            k("AKIABBBBBBBBBBBBBBBB", "Inactive"),
        ];
        assert!(last_key("AKIAAAAAAAAAAAAAAAAA", "responder", &one, &me).is_some());
        assert!(last_key("AKIAAAAAAAAAAAAAAAAA", "someone", &one, &me).is_none());
        let two = [
            k("AKIAAAAAAAAAAAAAAAAA", "Active"),
            k("AKIABBBBBBBBBBBBBBBB", "Active"),
        ];
        assert!(last_key("AKIAAAAAAAAAAAAAAAAA", "responder", &two, &me).is_none());
        assert!(last_key("AKIAAAAAAAAAAAAAAAAA", "responder", &one, &Caller::Other).is_none());
    }

    #[test]
    fn temporary_keys_and_bad_names_are_refused_before_any_call() {
        assert!(Identity::AccessKey("ASIAIOSFODNN7EXAMPLE".into())
            .check()
            .is_err());
        assert!(Identity::AccessKey("AKIAIOSFODNN7EXAMPLE".into())
            .check()
            .is_ok());
        assert!(Identity::AccessKey("AKIA../../etc".into()).check().is_err());
        assert!(Identity::User("a/b".into()).check().is_err());
        assert!(Identity::Role("WebAppRole".into()).check().is_ok());
    }

    /// A log entry of `case` at second `t`, in account 777777777777.
    fn entry(
        case: &str,
        t: u32,
        action: &str,
        target: &str,
        params: Value,
        error: Option<&str>,
    ) -> Entry {
        let mut record = Record::new(action).targets([target]).params(params);
        record.account_id = Some("777777777777".into());
        if let Some(code) = error {
            record = record.result(json!({ "error": code, "message": "m" }));
        }
        Entry {
            seq: t as u64,
            ts: format!("2026-01-01T00:00:{t:02}.000Z"),
            case: case.into(),
            actor: "me".into(),
            record,
            host: "h".into(),
            rolecall: "0".into(),
            prev: String::new(),
        }
    }

    fn pol(name: &str) -> Value {
        json!({ "policy": name, "document": deny_all().to_string() })
    }

    #[test]
    fn every_outstanding_policy_of_every_case_is_kept() {
        let user = Identity::User("mallory".into());
        let log = vec![
            entry(
                "A",
                1,
                "isolate.user-policy-putting",
                "mallory",
                pol("rolecall-quarantine-A"),
                None,
            ),
            entry(
                "A",
                2,
                "isolate.user-policy",
                "mallory",
                pol("rolecall-quarantine-A"),
                None,
            ),
            entry(
                "B",
                3,
                "isolate.user-policy-putting",
                "Mallory",
                pol("rolecall-quarantine-B"),
                None,
            ),
            entry(
                "B",
                4,
                "isolate.user-policy",
                "Mallory",
                pol("rolecall-quarantine-B"),
                None,
            ),
        ];
        let c = contained(log.clone(), "777777777777", &user);
        let names: Vec<_> = c.iter().filter_map(|c| c.policy.clone()).collect();
        assert_eq!(names, ["rolecall-quarantine-A", "rolecall-quarantine-B"]);
        assert!(c.iter().all(|c| !c.maybe));
        // B released: A's stays.
        let mut more = log.clone();
        more.push(entry(
            "B",
            5,
            "release.user-policy-removed",
            "mallory",
            pol("rolecall-quarantine-B"),
            None,
        ));
        let c = contained(more, "777777777777", &user);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].case, "A");
        // Another account's records are not this one's.
        assert!(contained(log, "222222222222", &user).is_empty());
    }

    #[test]
    fn a_release_that_got_no_answer_is_not_a_release() {
        let key = Identity::AccessKey("AKIAAAAAAAAAAAAAAAAA".into());
        let k = json!({ "user": "leaky", "key": "AKIAAAAAAAAAAAAAAAAA" });
        let log = |release_error: Option<&str>| {
            vec![
                entry(
                    "A",
                    1,
                    "isolate.key-deactivated",
                    "AKIAAAAAAAAAAAAAAAAA",
                    k.clone(),
                    None,
                ),
                entry(
                    "A",
                    2,
                    "release.key-activating",
                    "AKIAAAAAAAAAAAAAAAAA",
                    k.clone(),
                    None,
                ),
                entry(
                    "A",
                    3,
                    "release.key-activated",
                    "AKIAAAAAAAAAAAAAAAAA",
                    k.clone(),
                    release_error,
                ),
            ]
        };
        for code in ["Timeout", "Network", "AccessDenied"] {
            assert_eq!(
                contained(log(Some(code)), "777777777777", &key).len(),
                1,
                "{code}"
            );
        }
        assert!(contained(log(None), "777777777777", &key).is_empty());
        // A release intent with nothing after it (rolecall stopped): still contained.
        let mut cut = log(None);
        cut.pop();
        assert_eq!(contained(cut, "777777777777", &key).len(), 1);
    }

    #[test]
    fn a_containment_counts_from_its_intent_unless_aws_refused_it() {
        let key = Identity::AccessKey("AKIAAAAAAAAAAAAAAAAA".into());
        let k = json!({ "user": "leaky", "key": "AKIAAAAAAAAAAAAAAAAA" });
        let intent = entry(
            "A",
            1,
            "isolate.key-deactivating",
            "AKIAAAAAAAAAAAAAAAAA",
            k.clone(),
            None,
        );
        // Rolecall stopped after the intent: maybe done.
        let c = contained(vec![intent.clone()], "777777777777", &key);
        assert_eq!(c.len(), 1);
        assert!(c[0].maybe);
        assert_eq!(c[0].user.as_deref(), Some("leaky"));
        // No answer, or AWS failing on its side: maybe done.
        for code in ["Timeout", "Network", "ServiceFailure", "InternalFailure"] {
            let failed = entry(
                "A",
                2,
                "isolate.key-deactivated",
                "AKIAAAAAAAAAAAAAAAAA",
                k.clone(),
                Some(code),
            );
            let c = contained(vec![intent.clone(), failed], "777777777777", &key);
            assert!(c.len() == 1 && c[0].maybe, "{code}");
        }
        // Refused: nothing was done.
        let refused = entry(
            "A",
            2,
            "isolate.key-deactivated",
            "AKIAAAAAAAAAAAAAAAAA",
            k.clone(),
            Some("AccessDenied"),
        );
        assert!(contained(vec![intent, refused], "777777777777", &key).is_empty());
        // A refused replace of a role's revocation leaves the earlier one standing.
        let role = Identity::Role("StolenRole".into());
        let p = pol("rolecall-revoke-sessions-A");
        let log = vec![
            entry(
                "A",
                1,
                "isolate.role-policy-putting",
                "StolenRole",
                p.clone(),
                None,
            ),
            entry("A", 2, "isolate.role-policy", "StolenRole", p.clone(), None),
            entry(
                "B",
                3,
                "isolate.role-policy-putting",
                "StolenRole",
                p.clone(),
                None,
            ),
            entry(
                "B",
                4,
                "isolate.role-policy",
                "StolenRole",
                p,
                Some("AccessDenied"),
            ),
        ];
        let c = contained(log, "777777777777", &role);
        assert_eq!(c.len(), 1);
        assert_eq!((c[0].case.as_str(), c[0].maybe), ("A", false));
    }

    #[test]
    fn a_revocation_is_planned_with_the_time_of_the_run() {
        let shown = Document::RevokeBeforeRun.shown();
        assert!(shown.contains(RUN_TIME), "{shown}");
        let made = Document::RevokeBeforeRun.made();
        assert!(!made.contains(RUN_TIME), "{made}");
        let v: Value = serde_json::from_str(&made).unwrap();
        let t = v["Statement"][0]["Condition"]["DateLessThan"]["aws:TokenIssueTime"]
            .as_str()
            .unwrap();
        assert!(chrono::DateTime::parse_from_rfc3339(t).is_ok(), "{t}");
        assert!(same_document(
            &deny_all().to_string(),
            Some(
                r#"{"Version":"2012-10-17","Statement":[{"Sid":"RolecallQuarantine","Effect":"Deny","Action":"*","Resource":"*"}]}"#
            )
        ));
        assert!(!same_document(&deny_all().to_string(), None));
    }
}
