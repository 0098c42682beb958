//! The plans: a containment (from reads: IAM has no DryRun) and its release (from the case
//! logs).

use super::*;

pub(super) async fn plan_contain(
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

pub(super) async fn plan_release(
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
