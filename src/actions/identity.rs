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
    /// The key's user (a key), or the policy's name (a user or role).
    pub user: Option<String>,
    pub policy: Option<String>,
    /// The document rolecall wrote.
    pub document: Option<String>,
}

/// The last containment of `identity` in the scope's account that no release followed.
pub async fn history(
    scope: &Scope,
    identity: &Identity,
) -> Result<(Option<Contained>, Vec<String>), AwsError> {
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

/// The record names, by identity: what contains it, what releases it.
fn names(identity: &Identity) -> (&'static str, &'static str) {
    match identity {
        Identity::AccessKey(_) => ("isolate.key-deactivated", "release.key-activated"),
        Identity::User(_) => ("isolate.user-policy", "release.user-policy-removed"),
        Identity::Role(_) => ("isolate.role-policy", "release.role-policy-removed"),
    }
}

/// A step that AWS answered with an error did nothing; one that got no answer (a timeout, the
/// network) may have been done, so it counts as done: its release is offered, and undoes it
/// if it was.
fn counts(e: &Entry) -> bool {
    match e.record.result.get("error").and_then(Value::as_str) {
        None => true,
        Some(code) => matches!(code, "Timeout" | "Network"),
    }
}

fn contained(mut entries: Vec<Entry>, account: &str, identity: &Identity) -> Option<Contained> {
    let (on, off) = names(identity);
    entries.retain(|e| {
        e.record.account_id.as_deref() == Some(account)
            && e.record
                .target
                .first()
                .is_some_and(|t| same_name(identity, t))
            && (e.record.action == on || e.record.action == off)
            && counts(e)
    });
    entries.sort_by(|a, b| a.ts.cmp(&b.ts));
    let mut last = None;
    for e in entries {
        let p = &e.record.params;
        let text = |k: &str| p.get(k).and_then(Value::as_str).map(str::to_string);
        last = if e.record.action == on {
            Some(Contained {
                case: e.case.clone(),
                at: e.ts.clone(),
                user: text("user"),
                policy: text("policy"),
                document: text("document"),
            })
        } else {
            None
        };
    }
    last
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
    /// Set the key's status.
    Key {
        user: String,
        key: String,
        active: bool,
    },
    /// Put an inline policy (a new name, or rolecall's own one replaced: `replaced` holds what
    /// was there, recorded before it is overwritten).
    Put {
        owner: OwnerName,
        policy: String,
        document: String,
        replaced: Option<String>,
    },
    /// Delete rolecall's inline policy; `current` is what it holds now (recorded first).
    Delete {
        owner: OwnerName,
        policy: String,
        current: String,
    },
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

async fn plan_contain(
    scope: &Scope,
    identity: &Identity,
    done: Option<Contained>,
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
                "rolecall already contained {} in account {} (case {}, {}), and no release followed: nothing to do",
                identity.text(),
                scope.account(),
                c.case,
                c.at
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
                if let Some(c) = &done {
                    return Err(already(c));
                }
                return Err(refused(identity, format!("{key} of user {user} is already {}: nothing to do (rolecall did not deactivate it, so release will not activate it)", this.status), "look at who deactivated it: rolecall events ROLE --access-key KEY"));
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
                },
            });
            Ok(plan)
        }
        Identity::User(name) => {
            let (user, _) = iam_read::user(t, region, name).await?;
            let policy = quarantine_policy(case);
            let existing = inline_policy(t, region, Owner::User(name), &policy).await?;
            if existing.is_some() {
                if let Some(c) = &done {
                    return Err(already(c));
                }
                return Err(refused(identity, format!("user {name} already has an inline policy named {policy}, which rolecall's case logs did not write: it is left as it is"), "look at it (aws iam get-user-policy) before anything else"));
            }
            let document = deny_all().to_string();
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
            plan.calls = vec![
                checked(format!("iam:PutUserPolicy UserName={name} PolicyName={policy} PolicyDocument={document}"), &format!("{NO_DRY_RUN}; read: the user exists, the name {policy} is free")),
                checked(format!("iam:GetUserPolicy UserName={name} PolicyName={policy} (to check it is there)"), "a read"),
            ];
            notes.push("an explicit Deny wins over every Allow: the user's keys, password and sessions from sts:GetSessionToken can do nothing; roles it assumed before keep their sessions (revoke those roles' sessions too); nothing else of the user changes, and release removes exactly this policy".into());
            plan.facts = AnyFacts::Identity(Facts {
                identity: identity.clone(),
                release: false,
                step: Step::Put {
                    owner: OwnerName::User(name.clone()),
                    policy,
                    document,
                    replaced: None,
                },
            });
            Ok(plan)
        }
        Identity::Role(name) => {
            let role = iam_read::role(t, region, name).await?;
            if let Some(why) = &role.aws_managed {
                return Err(refused(identity, format!("{name} is {why}: rolecall does not change it"), "contain the identity that uses it instead (its user, or the permission set in Identity Center)"));
            }
            let policy = revoke_policy(case);
            let existing = inline_policy(t, region, Owner::Role(name), &policy).await?;
            let replaced = match (&existing, &done) {
                (None, _) => None,
                (Some(doc), Some(c)) if c.policy.as_deref() == Some(policy.as_str()) => {
                    notes.push(format!("rolecall revoked the role's sessions before ({}, case {}): the policy is replaced with one for now, its old document recorded first", c.at, c.case));
                    Some(doc.clone())
                }
                (Some(_), _) => {
                    return Err(refused(identity, format!("role {name} already has an inline policy named {policy}, which rolecall's case logs did not write: it is left as it is"), "look at it (aws iam get-role-policy) before anything else"));
                }
            };
            let time = super::now();
            let document = revoke_before(&time).to_string();
            let mut plan = scope.plan(
                action,
                format!("Revoke the sessions role {name} issued before {time}"),
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
            plan.calls = vec![
                checked(format!("iam:PutRolePolicy RoleName={name} PolicyName={policy} PolicyDocument={document}"), &format!("{NO_DRY_RUN}; read: the role exists and AWS does not manage it, the name {policy} is free")),
                checked(format!("iam:GetRolePolicy RoleName={name} PolicyName={policy} (to check it is there)"), "a read"),
            ];
            notes.push(format!("every session of the role issued before {time} (this plan's time) is denied everything; sessions issued later are not: plan again if the role may have been assumed since, and contain what assumes it (its trust: {})", role.trusted.join(", ")));
            plan.facts = AnyFacts::Identity(Facts {
                identity: identity.clone(),
                release: false,
                step: Step::Put {
                    owner: OwnerName::Role(name.clone()),
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
    done: Option<Contained>,
    notes: &mut Vec<String>,
) -> Result<Plan, AwsError> {
    let t = &scope.target;
    let region = &scope.region;
    let action = Action::Uncontain {
        identity: identity.clone(),
    };
    let Some(c) = done else {
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
    let from = format!("the log of case {} ({})", c.case, c.at);
    match identity {
        Identity::AccessKey(key) => {
            let user = c.user.clone().ok_or_else(|| {
                refused(
                    identity,
                    format!("{from} does not name the key's user"),
                    "activate it by hand",
                )
            })?;
            let keys = iam_read::access_keys(&t.iam(region), &user).await?;
            let Some(this) = keys.iter().find(|k| k.access_key_id == *key) else {
                return Err(refused(identity, format!("{key} is no longer a key of user {user}: it was deleted since rolecall deactivated it"), "look at who deleted it: rolecall events ROLE --access-key KEY"));
            };
            if this.status == "Active" {
                notes.push(format!("{key} is Active already (someone activated it since): release only records that"));
            }
            let mut plan = scope.plan(
                action,
                format!("Activate access key {key} of user {user} again"),
            );
            plan.resources = vec![format!(
                "access key {key} of user {user}: {} now; deactivated by rolecall per {from}",
                this.status
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
                },
            });
            Ok(plan)
        }
        Identity::User(name) | Identity::Role(name) => {
            let owner = match identity {
                Identity::User(_) => OwnerName::User(name.clone()),
                _ => OwnerName::Role(name.clone()),
            };
            let policy = c.policy.clone().ok_or_else(|| {
                refused(
                    identity,
                    format!("{from} does not name the policy"),
                    "remove it by hand",
                )
            })?;
            let current = inline_policy(t, region, owner.owner(), &policy).await?;
            let Some(current) = current else {
                return Err(refused(identity, format!("{} has no policy named {policy} any more (removed since {from}): nothing to undo", identity.text()), "look at who removed it: rolecall events ROLE --event DeletePolicy"));
            };
            let same = match (
                serde_json::from_str::<Value>(&current),
                c.document.as_deref().map(serde_json::from_str::<Value>),
            ) {
                (Ok(a), Some(Ok(b))) => a == b,
                _ => false,
            };
            if !same {
                notes.push(format!("the policy {policy} no longer holds what rolecall wrote (changed since): it is removed all the same, and what it holds now is recorded first"));
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
            let mut plan = scope.plan(action, format!("Remove {policy} from {}", identity.text()));
            plan.resources = vec![format!(
                "{}: the policy {policy}, put by rolecall per {from}",
                identity.text()
            )];
            plan.calls = vec![
                checked(
                    format!("{del}={name} PolicyName={policy}"),
                    &format!("{NO_DRY_RUN}; read: the policy is there"),
                ),
                checked(
                    format!("{get}={name} PolicyName={policy} (to check it is gone)"),
                    "a read",
                ),
            ];
            notes.push(format!(
                "only {policy} is removed: nothing else of the {} changes",
                match owner {
                    OwnerName::User(_) => "user",
                    OwnerName::Role(_) => "role",
                }
            ));
            plan.facts = AnyFacts::Identity(Facts {
                identity: identity.clone(),
                release: true,
                step: Step::Delete {
                    owner,
                    policy,
                    current,
                },
            });
            Ok(plan)
        }
    }
}

/// Runs the plan's one change, then checks it by a read. Each step is recorded before it is
/// reported; what was there before a change is recorded before it is made.
pub async fn run(scope: &Scope, f: Facts, progress: &dyn Progress) -> Outcome {
    let mut steps = Steps::new(scope, progress);
    let t = &scope.target;
    let region = &scope.region;
    let id = f.identity.id().to_string();
    let (on, off) = names(&f.identity);
    let verb = if f.release { "release" } else { "isolate" };
    let checked_name = format!("{verb}.identity-checked");
    match f.step {
        Step::Key { user, key, active } => {
            let name = if active { off } else { on };
            let record = Record::new(name).targets([id.clone()]).params(json!({
                "user": user,
                "key": key,
                "status": if active { "Active" } else { "Inactive" },
            }));
            if let Err(e) = set_key_status(t, region, &user, &key, active).await {
                let e = scope.denied(e, "iam:UpdateAccessKey");
                return steps
                    .fail(
                        e,
                        record,
                        vec![format!(
                            "set {key} {}",
                            if active { "Active" } else { "Inactive" }
                        )],
                    )
                    .await;
            }
            let status = if active { "Active" } else { "Inactive" };
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
            let name = on;
            if let Some(old) = &replaced {
                // Never lose an original: the old document first.
                let keep = Record::new(format!("{verb}.policy-replaced"))
                    .targets([id.clone()])
                    .params(json!({ "policy": policy, "document": old }));
                if let Err(e) = steps.done(format!("recorded the old {policy}"), keep).await {
                    return steps
                        .fail(e, Record::new(name), vec![format!("put {policy}")])
                        .await;
                }
            }
            let record = Record::new(name).targets([id.clone()]).params(json!({
                "policy": policy,
                "document": document,
            }));
            if let Err(e) = put_policy(t, region, owner.owner(), &policy, &document).await {
                let api = match owner {
                    OwnerName::User(_) => "iam:PutUserPolicy",
                    OwnerName::Role(_) => "iam:PutRolePolicy",
                };
                let e = scope.denied(e, api);
                return steps
                    .fail(
                        e,
                        record,
                        vec![format!("put {policy} on {}", f.identity.text())],
                    )
                    .await;
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
            verify(
                steps,
                scope,
                &f.identity,
                &owner,
                &policy,
                Some(&document),
                checked_name,
            )
            .await
        }
        Step::Delete {
            owner,
            policy,
            current,
        } => {
            // What it holds now, recorded before it is removed.
            let record = Record::new(off).targets([id.clone()]).params(json!({
                "policy": policy,
                "document": current,
            }));
            if let Err(e) = delete_policy(t, region, owner.owner(), &policy).await {
                let api = match owner {
                    OwnerName::User(_) => "iam:DeleteUserPolicy",
                    OwnerName::Role(_) => "iam:DeleteRolePolicy",
                };
                let e = scope.denied(e, api);
                return steps
                    .fail(
                        e,
                        record,
                        vec![format!("remove {policy} from {}", f.identity.text())],
                    )
                    .await;
            }
            if let Err(e) = steps
                .done(
                    format!("removed {policy} from {}", f.identity.text()),
                    record,
                )
                .await
            {
                return steps
                    .fail(e, Record::new(checked_name), vec!["the check".into()])
                    .await;
            }
            verify(
                steps,
                scope,
                &f.identity,
                &owner,
                &policy,
                None,
                checked_name,
            )
            .await
        }
    }
}

/// Reads the policy back: there with `document`, or gone (`None`).
async fn verify(
    mut steps: Steps<'_>,
    scope: &Scope,
    identity: &Identity,
    owner: &OwnerName,
    policy: &str,
    document: Option<&str>,
    checked_name: String,
) -> Outcome {
    let check = Record::new(checked_name).targets([identity.id().to_string()]);
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
            break;
        }
        tokio::time::sleep(wait).await;
        now = inline_policy(&scope.target, &scope.region, owner.owner(), policy).await;
    }
    let ok = settled(&now);
    if ok {
        let said = if document.is_some() {
            "is there"
        } else {
            "is gone"
        };
        let _ = steps
            .done(
                format!("checked: {policy} {said}"),
                check.result(json!({ "ok": true })),
            )
            .await;
        return steps.finish(
            json!({ "identity": identity, "policy": policy, "present": document.is_some() }),
        );
    }
    let e = AwsError::new(ErrorKind::Other, "reading the policy back", identity.text()).with_message(match now {
        Ok(Some(_)) if document.is_none() => format!("{policy} is still there after it was deleted"),
        Ok(Some(_)) => format!("{policy} does not hold what was written"),
        Ok(None) => format!("{policy} is not there after it was put"),
        Err(e) => format!("it could not be read back: {e}"),
    })
    .with_hint("look at the identity's inline policies in the console: the state is not the one asked for");
    steps.fail(e, check, Vec::new()).await
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
}
