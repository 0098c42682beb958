//! `rolecall whois KEY`: whose access key is it. `sts:GetAccessKeyInfo` gives its account,
//! called as the primary identity, which needs that permission in its own policy (none in the
//! key's account; `rolecall policy --actions` lists it); through a role rolecall knows in that
//! account (the next one when a role may not read IAM; the primary identity itself in its own
//! account), `iam:GetAccessKeyLastUsed` names the user; then the user whole: its keys and their last use, groups, policies, MFA, console
//! access. A temporary key (`ASIA…`) or an account no known role reaches gets what is known
//! and what to do next, never a bare error.

use std::process::ExitCode;

use serde::Serialize;
use serde_json::json;

use super::assume::assume_for;
use super::print::to_json;
use super::Ctx;
use crate::aws::credentials::TokenCode;
use crate::aws::iam::{self, KeyFacts, UserFacts};
use crate::aws::identity::{caller_identity, key_account};
use crate::aws::target::RoleTarget;
use crate::aws::ErrorKind;
use crate::case::Record;

/// The key's user: its facts, and `name` (the same as `user_name`), as the JSON has it
/// (`user { name, arn, … }`).
#[derive(Debug, Serialize)]
pub struct WhoisUser {
    pub name: String,
    #[serde(flatten)]
    pub facts: UserFacts,
}

impl std::ops::Deref for WhoisUser {
    type Target = UserFacts;
    fn deref(&self) -> &UserFacts {
        &self.facts
    }
}

/// What `whois` found.
#[derive(Debug, Serialize)]
pub struct Whois {
    pub access_key_id: String,
    pub account_id: String,
    pub account_name: Option<String>,
    /// `iam-user` (AKIA…) or `temporary` (ASIA…).
    pub kind: &'static str,
    pub user: Option<WhoisUser>,
    /// This key, as its user's keys list it.
    pub key: Option<KeyFacts>,
    /// The role (or the primary identity) the user was read through.
    pub reached_as: Option<String>,
    /// The roles rolecall knows in the account.
    pub roles_in_account: Vec<String>,
    /// What could not be read, or what to do next.
    pub notes: Vec<String>,
}

pub async fn whois(
    ctx: &Ctx,
    key: &str,
    json_out: bool,
    token_code: Option<TokenCode>,
) -> anyhow::Result<ExitCode> {
    // Checked before any call is made of it.
    crate::aws::act::ids::access_key(key)?;
    let aws = ctx.aws().await;
    let me = caller_identity(&aws).await?;
    ctx.journal.set_actor(&me.arn);
    let account = key_account(&aws, key).await.map_err(|e| {
        if e.kind == ErrorKind::AccessDenied {
            let hint = format!(
                "the primary identity ({}) may not call sts:GetAccessKeyInfo, which names a key's account: allow it in that identity's own policy (rolecall policy --actions, the primary identity's part); nothing else was asked",
                me.arn
            );
            e.with_hint(hint)
        } else {
            e
        }
    })?;
    let known = crate::roles::discover(&ctx.config, &ctx.orgs(&aws, &me)).await;
    let roles: Vec<&crate::roles::Role> = known
        .roles
        .iter()
        .filter(|r| r.arn.account_id() == account)
        .collect();
    let account_name = ctx
        .config
        .account(&account)
        .and_then(|a| a.name.clone())
        .or_else(|| roles.iter().find_map(|r| r.account_name.clone()));
    let temporary = key.starts_with("ASIA");
    let mut found = Whois {
        access_key_id: key.to_string(),
        account_id: account.clone(),
        account_name,
        kind: if temporary { "temporary" } else { "iam-user" },
        user: None,
        key: None,
        reached_as: None,
        roles_in_account: roles.iter().map(|r| r.arn.to_string()).collect(),
        notes: Vec::new(),
    };
    let place = match &found.account_name {
        Some(n) => format!("{account} ({n})"),
        None => account.clone(),
    };
    if temporary {
        found.notes.push(format!(
            "{key} is a temporary key (ASIA…): STS issued it to a role session or a federated user in account {place}; IAM has no owner to read for it"
        ));
        found.notes.push(format!(
            "next: its session's AssumeRole (or GetSessionToken) event in CloudTrail names who made it: rolecall events ROLE --access-key {key} in account {place}; to cut it off, revoke that role's sessions: rolecall isolate ROLE --role NAME"
        ));
    } else {
        read_owner(ctx, &aws, &me, &roles, key, token_code, &mut found).await;
    }
    let record = Record::new("whois")
        .targets([key.to_string()])
        .params(json!({ "account_id": account }))
        .result(json!({
            "kind": found.kind,
            "user": found.user.as_ref().map(|u| u.arn.clone()),
            "reached_as": found.reached_as,
        }));
    ctx.record(&aws, record).await?;
    if json_out {
        outln!("{}", to_json(&found));
    } else {
        print(&found);
    }
    Ok(ExitCode::SUCCESS)
}

/// Reads the key's user through the first role in the account that may (one that is assumed
/// but denied the IAM reads gives way to the next), or the primary identity in its own account.
async fn read_owner(
    ctx: &Ctx,
    aws: &crate::aws::Aws,
    me: &crate::aws::identity::Identity,
    roles: &[&crate::roles::Role],
    key: &str,
    mut token_code: Option<TokenCode>,
    found: &mut Whois,
) {
    let page_size = ctx.config.defaults.page_size;
    let mut failed: Vec<String> = Vec::new();
    let mut tried = false;
    for role in roles {
        let session = match assume_for(ctx, aws, role, None, token_code.take()).await {
            Ok(s) => s,
            Err(e) => {
                failed.push(format!("could not assume {}: {e:#}", role.arn));
                continue;
            }
        };
        let region = ctx
            .region_for(role)
            .unwrap_or_else(|| "us-east-1".to_string());
        let target = RoleTarget::new(aws.clone(), session.credentials.provider(), page_size);
        tried = true;
        if read_as(
            &role.arn.to_string(),
            &target,
            &region,
            key,
            found,
            &mut failed,
        )
        .await
        {
            return;
        }
    }
    if me.account == found.account_id {
        if let Some(t) = RoleTarget::primary(aws.clone(), page_size) {
            let region = aws.region().unwrap_or("us-east-1").to_string();
            tried = true;
            if read_as(&me.arn, &t, &region, key, found, &mut failed).await {
                return;
            }
        }
    }
    let place = found.account_id.clone();
    found.notes.extend(failed);
    found.notes.push(if found.roles_in_account.is_empty() {
        format!("rolecall knows no role in account {place}, so the key's user cannot be read: add one ([[role]] in the config, or an [[organization]] that covers the account), then run whois again")
    } else if tried {
        format!("no role rolecall knows in account {place} may read the key's user (above): give one iam:GetAccessKeyLastUsed and the IAM reads (rolecall policy --actions, iam-read), then run whois again")
    } else {
        format!("no role rolecall knows in account {place} could be assumed (above): fix that (rolecall doctor ROLE), then run whois again")
    });
    found.notes.push(format!("meanwhile: the key's owner can deactivate it, or anyone with iam:UpdateAccessKey in account {place}"));
}

/// Reads the key's user as `as_whom`: `false` when it may not (AccessDenied, noted in `failed`:
/// the next role is tried), `true` when this is the answer, whatever it is.
async fn read_as(
    as_whom: &str,
    target: &RoleTarget,
    region: &str,
    key: &str,
    found: &mut Whois,
    failed: &mut Vec<String>,
) -> bool {
    let place = found.account_id.clone();
    let owner = match iam::key_owner(target, region, key).await {
        Ok((user, _)) => user,
        Err(e) if e.kind == ErrorKind::AccessDenied => {
            failed.push(format!("{as_whom} may not read the key's user: {e}"));
            return false;
        }
        Err(e) => {
            found.reached_as = Some(as_whom.to_string());
            found.notes.push(if iam::is_missing(&e) {
                format!("IAM in account {place} knows no user with {key}: it was deleted, or it is the account's root user's key (look at the root user's security credentials)")
            } else {
                format!("the key's user could not be read as {as_whom}: {e}{}", e.hint.as_ref().map(|h| format!(" ({h})")).unwrap_or_default())
            });
            return true;
        }
    };
    found.reached_as = Some(as_whom.to_string());
    found.notes.append(failed);
    match iam::user(target, region, &owner).await {
        Ok((user, errors)) => {
            for e in errors {
                found.notes.push(format!("not read: {e}"));
            }
            found.key = user
                .access_keys
                .iter()
                .find(|k| k.access_key_id == key)
                .cloned();
            found.notes.push(format!(
                "next: rolecall events ROLE --access-key {key} (what it did); rolecall isolate ROLE --access-key {key} (deactivate it; release undoes it), --user {owner} (deny the user everything)"
            ));
            found.user = Some(WhoisUser {
                name: user.user_name.clone(),
                facts: user,
            });
        }
        Err(e) => found.notes.push(format!(
            "the key belongs to user {owner}, who could not be read: {e}"
        )),
    }
    true
}

fn when(t: &Option<chrono::DateTime<chrono::Utc>>) -> String {
    crate::resources::when_text(t.as_ref())
}

fn print(w: &Whois) {
    let account = match &w.account_name {
        Some(n) => format!("{} ({n})", w.account_id),
        None => w.account_id.clone(),
    };
    outln!("access key  {}", w.access_key_id);
    outln!("account     {account}");
    outln!(
        "kind        {}",
        if w.kind == "temporary" {
            "temporary (STS)"
        } else {
            "an IAM user's key"
        }
    );
    if let Some(k) = &w.key {
        outln!("status      {}", k.status);
        outln!("created     {}", when(&k.created));
        match &k.last_used {
            Some(u) if u.date.is_some() => outln!(
                "last used   {} ({} in {})",
                when(&u.date),
                u.service.as_deref().unwrap_or("?"),
                u.region.as_deref().unwrap_or("?")
            ),
            Some(_) => outln!("last used   never"),
            None => outln!("last used   not read"),
        }
    }
    if let Some(u) = &w.user {
        outln!();
        outln!("user        {} ({})", u.user_name, u.arn);
        outln!("created     {}", when(&u.created));
        outln!(
            "console     {}",
            match u.console_access {
                Some(true) => format!("yes (password last used {})", when(&u.password_last_used)),
                Some(false) => "no".into(),
                None => "not read".into(),
            }
        );
        outln!(
            "mfa         {}",
            match &u.mfa {
                Some(m) if m.is_empty() => "none".to_string(),
                Some(m) => m.join(", "),
                None => "not read".into(),
            }
        );
        outln!(
            "groups      {}",
            match &u.groups {
                None => "not read".to_string(),
                Some(g) if g.is_empty() => "-".to_string(),
                Some(g) => g.join(", "),
            }
        );
        outln!(
            "policies    {}",
            match &u.policies {
                None => "not read".to_string(),
                Some(p) if p.is_empty() => "-".to_string(),
                Some(p) => p.iter().map(|p| p.text()).collect::<Vec<_>>().join(", "),
            }
        );
        outln!("keys:");
        for k in &u.access_keys {
            let used = match &k.last_used {
                Some(x) if x.date.is_some() => format!(
                    "last used {} ({} in {})",
                    when(&x.date),
                    x.service.as_deref().unwrap_or("?"),
                    x.region.as_deref().unwrap_or("?")
                ),
                Some(_) => "never used".into(),
                None => "last use not read".into(),
            };
            let this = if k.access_key_id == w.access_key_id {
                "  <- this key"
            } else {
                ""
            };
            outln!(
                "  {}  {:<8}  created {}  {used}{this}",
                k.access_key_id,
                k.status,
                when(&k.created)
            );
        }
    }
    if let Some(r) = &w.reached_as {
        outln!();
        outln!("read as     {r}");
    }
    for n in &w.notes {
        eprintln!("rolecall: {n}");
    }
}
