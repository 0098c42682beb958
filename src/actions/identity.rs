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
        let (entries, unread) = super::isolate::history::every_entry(case, &identity.text())?;
        Ok((contained(entries, &account, &identity), unread))
    })
    .await
    .map_err(|e| {
        AwsError::new(ErrorKind::Other, "reading the case logs", about).with_message(e.to_string())
    })?
}

/// The logged target is this identity: a key exactly, a user or role whatever its case (IAM
/// names are unique regardless of case).
fn same_name(identity: &Identity, logged: &str) -> bool {
    match identity {
        Identity::AccessKey(k) => k == logged,
        Identity::User(n) | Identity::Role(n) => n.eq_ignore_ascii_case(logged),
    }
}

/// The record names of an identity's containment: the intent written before each change, and
/// the result written after it.
#[derive(Debug, Clone, Copy)]
struct Names {
    /// Before the change that contains it.
    on_intent: &'static str,
    /// The change that contains it, made (or failed).
    on: &'static str,
    /// Before the change that releases it.
    off_intent: &'static str,
    /// The change that releases it, made (or failed).
    off: &'static str,
}

fn names(identity: &Identity) -> Names {
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
fn error_of(e: &Entry) -> Option<&str> {
    e.record.result.get("error").and_then(Value::as_str)
}

/// A change that got no answer (a timeout, the network) or an answer that AWS failed on its
/// side (a 5xx: IAM's ServiceFailure) may have been made: a containment that ended so counts
/// as made (its release is offered, and undoes it if it was).
fn maybe_done(code: &str) -> bool {
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
fn contained(mut entries: Vec<Entry>, account: &str, identity: &Identity) -> Vec<Contained> {
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

async fn plan_contain(
    scope: &Scope,
    identity: &Identity,
    done: Vec<Contained>,
    notes: &mut Vec<String>,
) -> Result<Plan, AwsError> {
    let t = &scope.target;
    let region = &scope.region;
    let me = primary_in_account(scope);
    let case = &scope.case_id;
    let action = Action::Contain {
        identity: identity.clone(),
    };
    let already = |c: &Contained| {
        refused(
            identity,
            format!(
                "rolecall already contained {} in account {} (case {}, {}{}), and no release followed: nothing to do",
                identity.text(),
                scope.account(),
                c.case,
                c.at,
                if c.maybe { "; the log does not say it finished, and IAM shows it done" } else { "" }
            ),
            "rolecall release ROLE with the same target undoes it",
        )
    };
    let signing = scope.aws.primary_key_id().await;
    if let Some((why, hint)) = oneself(identity, scope.role.name(), &me, signing.as_deref()) {
        return Err(refused(
            identity,
            format!("{why} (account {})", scope.account()),
            hint,
        ));
    }
    match identity {
        Identity::AccessKey(key) => {
            // Whose account first (sts:GetAccessKeyInfo, on the primary identity): a key of
            // another account is refused with where to act, before IAM here is asked of it.
            match crate::aws::identity::key_account(&scope.aws, key).await {
                Ok(account) if account != scope.role.account_id() => {
                    return Err(refused(
                        identity,
                        format!("{key} belongs to account {account}, not {}", scope.account()),
                        &format!("act through a role there (rolecall whois {key} names the account and the roles rolecall knows in it); nothing was changed"),
                    ));
                }
                Ok(_) => {}
                Err(e) => notes.push(format!(
                    "which account {key} is of could not be checked ({e}): IAM's reads in account {} decide whether it is a key here",
                    scope.account()
                )),
            }
            let (user, _) = iam_read::key_owner(t, region, key).await.map_err(|e| {
                if is_missing(&e) {
                    e.with_hint(format!("{key} is not a key of a user in account {}: rolecall whois {key} finds its account", scope.account()))
                } else {
                    e
                }
            })?;
            let keys = iam_read::access_keys(&t.iam(region), &user).await?;
            let Some(this) = keys.iter().find(|k| k.access_key_id == *key) else {
                return Err(refused(
                    identity,
                    format!("{key} is not among the keys of user {user}"),
                    "list them with rolecall users ROLE",
                ));
            };
            if let Some((why, hint)) = last_key(key, &user, &keys, &me) {
                return Err(refused(identity, why, hint));
            }
            if this.status != "Active" {
                if let Some(c) = done.last() {
                    return Err(already(c));
                }
                return Err(refused(identity, format!("{key} of user {user} is already {}: nothing to do (rolecall did not deactivate it, so release will not activate it)", this.status), "look at who deactivated it: rolecall events ROLE --access-key KEY"));
            }
            if let Some(c) = done.last() {
                notes.push(if c.maybe {
                    format!("case {} ({}) set out to deactivate it and the log does not say it did; it is Active now: this deactivates it", c.case, c.at)
                } else {
                    format!("rolecall deactivated it (case {}, {}) and it is Active again (someone activated it since): this deactivates it again", c.case, c.at)
                });
            }
            let mut plan = scope.plan(
                action,
                format!("Deactivate access key {key} of user {user}"),
            );
            plan.resources = vec![
                format!(
                    "access key {key}: Active now, created {}",
                    this.created.map(|t| t.to_rfc3339()).unwrap_or_default()
                ),
                format!("its user: {user}"),
            ];
            plan.calls = vec![
                checked(
                    format!(
                        "iam:UpdateAccessKey UserName={user} AccessKeyId={key} Status=Inactive"
                    ),
                    NO_DRY_RUN,
                ),
                checked(
                    format!("iam:ListAccessKeys UserName={user} (to check it is Inactive)"),
                    "a read",
                ),
            ];
            notes.push("the key is deactivated, never deleted: release sets it Active again; requests signed with it fail from now on, and sessions it already made (sts:GetSessionToken, AssumeRole) last until they expire: revoke those roles' sessions too".into());
            plan.facts = AnyFacts::Identity(Facts {
                identity: identity.clone(),
                release: false,
                step: Step::Key {
                    user,
                    key: key.clone(),
                    active: false,
                    prior: this.status.clone(),
                },
            });
            Ok(plan)
        }
        Identity::User(name) => {
            let (user, _) = iam_read::user(t, region, name).await?;
            let owner = OwnerName::User(name.clone());
            let there = present(scope, &owner, &done).await?;
            // A deny rolecall wrote, still as it wrote it (in this case or another): done.
            if let Some((c, _)) = there
                .iter()
                .find(|(c, doc)| same_document(doc, c.document.as_deref()))
            {
                return Err(already(c));
            }
            let document = deny_all().to_string();
            // A rolecall policy that holds something else now (rewritten, say to Allow *):
            // what it holds is recorded, and the deny put back under the same name.
            let (policy, replaced) = match there.into_iter().next() {
                Some((c, doc)) => {
                    let policy = c.policy.clone().unwrap_or_default();
                    notes.push(format!("rolecall put {policy} on the user (case {}, {}), and it no longer holds what rolecall wrote (changed since): what it holds now is recorded first, then the deny is put back", c.case, c.at));
                    (policy, Some(doc))
                }
                None => {
                    let policy = quarantine_policy(case);
                    if inline_policy(t, region, Owner::User(name), &policy)
                        .await?
                        .is_some()
                    {
                        return Err(refused(identity, format!("user {name} already has an inline policy named {policy}, which rolecall's case logs did not write: it is left as it is"), "look at it (aws iam get-user-policy) before anything else"));
                    }
                    (policy, None)
                }
            };
            let mut plan = scope.plan(
                action,
                format!("Quarantine user {name}: deny it everything"),
            );
            plan.resources = vec![
                format!("user {} ({})", user.user_name, user.arn),
                format!(
                    "{} access key(s), {} active; console access: {}",
                    user.access_keys.len(),
                    user.access_keys
                        .iter()
                        .filter(|k| k.status == "Active")
                        .count(),
                    user.console_access
                        .map_or("unknown", |b| if b { "yes" } else { "no" })
                ),
            ];
            let free = if replaced.is_some() {
                format!("{policy} is rolecall's, and is replaced")
            } else {
                format!("the name {policy} is free")
            };
            plan.calls = vec![
                checked(format!("iam:PutUserPolicy UserName={name} PolicyName={policy} PolicyDocument={document}"), &format!("{NO_DRY_RUN}; read: the user exists, {free}")),
                checked(format!("iam:GetUserPolicy UserName={name} PolicyName={policy} (to check it is there)"), "a read"),
            ];
            notes.push("an explicit Deny wins over every Allow: the user's keys, password and sessions from sts:GetSessionToken can do nothing; roles it assumed before keep their sessions (revoke those roles' sessions too); nothing else of the user changes, and release removes exactly this policy".into());
            plan.facts = AnyFacts::Identity(Facts {
                identity: identity.clone(),
                release: false,
                step: Step::Put {
                    owner,
                    policy,
                    document: Document::Fixed(document),
                    replaced,
                },
            });
            Ok(plan)
        }
        Identity::Role(name) => {
            let role = iam_read::role(t, region, name).await?;
            if let Some(why) = &role.aws_managed {
                return Err(refused(identity, format!("{name} is {why}: rolecall does not change it"), "contain the identity that uses it instead (its user, or the permission set in Identity Center)"));
            }
            let owner = OwnerName::Role(name.clone());
            let mut there = present(scope, &owner, &done).await?;
            // One revocation is enough: the one there is replaced with one for the run's time
            // (this case's if there is one, else the latest), never a second name added.
            let mine = revoke_policy(case);
            let pick = there
                .iter()
                .position(|(c, _)| c.policy.as_deref() == Some(mine.as_str()))
                .or_else(|| there.len().checked_sub(1));
            let (policy, replaced) = match pick.map(|i| there.remove(i)) {
                Some((c, doc)) => {
                    let policy = c.policy.clone().unwrap_or_default();
                    notes.push(format!("rolecall revoked the role's sessions before with {policy} ({}, case {}): the policy is replaced with one for the run's time, its old document recorded first", c.at, c.case));
                    (policy, Some(doc))
                }
                None => {
                    if inline_policy(t, region, Owner::Role(name), &mine)
                        .await?
                        .is_some()
                    {
                        return Err(refused(identity, format!("role {name} already has an inline policy named {mine}, which rolecall's case logs did not write: it is left as it is"), "look at it (aws iam get-role-policy) before anything else"));
                    }
                    (mine, None)
                }
            };
            for (c, _) in &there {
                notes.push(format!(
                    "rolecall's {} (case {}, {}) stays too; release removes every one",
                    c.policy.as_deref().unwrap_or_default(),
                    c.case,
                    c.at
                ));
            }
            let document = Document::RevokeBeforeRun;
            let mut plan = scope.plan(
                action,
                format!("Revoke the sessions role {name} issued before the time of the run"),
            );
            plan.resources = vec![
                format!("role {} ({})", role.role_name, role.arn),
                format!("trusted: {}", role.trusted.join(", ")),
                format!(
                    "last used: {}",
                    role.last_used
                        .map(|t| t.to_rfc3339())
                        .unwrap_or_else(|| "never (or not known)".into())
                ),
            ];
            let free = if replaced.is_some() {
                format!("{policy} is rolecall's, and is replaced")
            } else {
                format!("the name {policy} is free")
            };
            plan.calls = vec![
                checked(format!("iam:PutRolePolicy RoleName={name} PolicyName={policy} PolicyDocument={}", document.shown()), &format!("{NO_DRY_RUN}; read: the role exists and AWS does not manage it, {free}")),
                checked(format!("iam:GetRolePolicy RoleName={name} PolicyName={policy} (to check it is there)"), "a read"),
            ];
            notes.push(format!("{RUN_TIME} is taken when the run starts, just before iam:PutRolePolicy (the case log records the exact document): every session of the role issued before it is denied everything; sessions issued later are not: plan again if the role may have been assumed since, and contain what assumes it (its trust: {})", role.trusted.join(", ")));
            plan.facts = AnyFacts::Identity(Facts {
                identity: identity.clone(),
                release: false,
                step: Step::Put {
                    owner,
                    policy,
                    document,
                    replaced,
                },
            });
            Ok(plan)
        }
    }
}

async fn plan_release(
    scope: &Scope,
    identity: &Identity,
    done: Vec<Contained>,
    notes: &mut Vec<String>,
) -> Result<Plan, AwsError> {
    let t = &scope.target;
    let region = &scope.region;
    let action = Action::Uncontain {
        identity: identity.clone(),
    };
    let Some(last) = done.last().cloned() else {
        return Err(refused(
            identity,
            format!(
                "rolecall's case logs hold no containment of {} in account {} that was not released: nothing to undo",
                identity.text(),
                scope.account()
            ),
            "release only undoes what rolecall did (rolecall case log shows what it did)",
        ));
    };
    let from = |c: &Contained| format!("the log of case {} ({})", c.case, c.at);
    match identity {
        Identity::AccessKey(key) => {
            let user = last.user.clone().ok_or_else(|| {
                refused(
                    identity,
                    format!("{} does not name the key's user", from(&last)),
                    "activate it by hand",
                )
            })?;
            let keys = iam_read::access_keys(&t.iam(region), &user).await?;
            let Some(this) = keys.iter().find(|k| k.access_key_id == *key) else {
                return Err(refused(identity, format!("{key} is no longer a key of user {user}: it was deleted since rolecall deactivated it"), "look at who deleted it: rolecall events ROLE --access-key KEY"));
            };
            if this.status == "Active" {
                notes.push(format!("{key} is Active already (someone activated it since, or rolecall's deactivation never happened): release only records that"));
            }
            notes.push("activating it makes it usable again by whoever holds its secret: release a leaked key only when it was a false positive (AWS's playbook rotates a leaked key, then deletes it)".into());
            let mut plan = scope.plan(
                action,
                format!("Activate access key {key} of user {user} again"),
            );
            plan.resources = vec![format!(
                "access key {key} of user {user}: {} now; deactivated by rolecall per {}",
                this.status,
                from(&last)
            )];
            plan.calls = vec![
                checked(
                    format!("iam:UpdateAccessKey UserName={user} AccessKeyId={key} Status=Active"),
                    NO_DRY_RUN,
                ),
                checked(
                    format!("iam:ListAccessKeys UserName={user} (to check it is Active)"),
                    "a read",
                ),
            ];
            plan.facts = AnyFacts::Identity(Facts {
                identity: identity.clone(),
                release: true,
                step: Step::Key {
                    user,
                    key: key.clone(),
                    active: true,
                    prior: this.status.clone(),
                },
            });
            Ok(plan)
        }
        Identity::User(name) | Identity::Role(name) => {
            let owner = match identity {
                Identity::User(_) => OwnerName::User(name.clone()),
                _ => OwnerName::Role(name.clone()),
            };
            let there = present(scope, &owner, &done).await?;
            for c in &done {
                if !there.iter().any(|(p, _)| p.policy == c.policy) {
                    notes.push(format!(
                        "{} has no policy named {} any more (removed since {}): nothing to remove there",
                        identity.text(),
                        c.policy.as_deref().unwrap_or("(unnamed)"),
                        from(c)
                    ));
                }
            }
            if there.is_empty() {
                return Err(refused(identity, format!("{} has none of the policies rolecall's logs say it put ({}) any more: nothing to undo", identity.text(), done.iter().filter_map(|c| c.policy.clone()).collect::<Vec<_>>().join(", ")), "look at who removed it: rolecall events ROLE --event DeletePolicy"));
            }
            let (del, get) = match owner {
                OwnerName::User(_) => (
                    "iam:DeleteUserPolicy UserName",
                    "iam:GetUserPolicy UserName",
                ),
                OwnerName::Role(_) => (
                    "iam:DeleteRolePolicy RoleName",
                    "iam:GetRolePolicy RoleName",
                ),
            };
            let names: Vec<String> = there.iter().filter_map(|(c, _)| c.policy.clone()).collect();
            let mut plan = scope.plan(
                action,
                format!("Remove {} from {}", names.join(" and "), identity.text()),
            );
            let mut policies = Vec::new();
            for (c, current) in there {
                let policy = c.policy.clone().unwrap_or_default();
                plan.resources.push(format!(
                    "{}: the policy {policy}, put by rolecall per {}",
                    identity.text(),
                    from(&c)
                ));
                if !same_document(&current, c.document.as_deref()) {
                    notes.push(format!("the policy {policy} no longer holds what rolecall wrote (changed since): it is removed all the same, and what it holds now is recorded first"));
                }
                plan.calls.push(checked(
                    format!("{del}={name} PolicyName={policy}"),
                    &format!("{NO_DRY_RUN}; read: the policy is there"),
                ));
                plan.calls.push(checked(
                    format!("{get}={name} PolicyName={policy} (to check it is gone)"),
                    "a read",
                ));
                policies.push((policy, current));
            }
            notes.push(format!(
                "only rolecall's {} removed: nothing else of the {} changes",
                if policies.len() == 1 {
                    "policy is"
                } else {
                    "policies are"
                },
                match owner {
                    OwnerName::User(_) => "user",
                    OwnerName::Role(_) => "role",
                }
            ));
            plan.facts = AnyFacts::Identity(Facts {
                identity: identity.clone(),
                release: true,
                step: Step::Delete { owner, policies },
            });
            Ok(plan)
        }
    }
}

/// Records what is about to be changed, before the call: a run that stops after the call and
/// before its result is recorded still leaves the change in the log (as maybe made).
async fn intend(steps: &Steps<'_>, record: Record) -> Result<(), AwsError> {
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
async fn read_back(
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
