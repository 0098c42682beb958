//! IAM users, their access keys (and each key's last use), sign-in and MFA.

use aws_sdk_iam::types::EntityType;
use chrono::{DateTime, Utc};
use futures::stream::{self, StreamExt};
use serde::Serialize;

use super::*;
use crate::aws::target::RoleTarget;
use crate::aws::{AwsError, ErrorKind};

/// How many users' details are read at once (IAM's own rate limits are low).
const IN_FLIGHT: usize = 8;

/// When and where an access key was last used (`iam:GetAccessKeyLastUsed`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyUse {
    pub date: Option<DateTime<Utc>>,
    pub service: Option<String>,
    pub region: Option<String>,
}

/// An access key of a user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyFacts {
    pub access_key_id: String,
    /// `Active` or `Inactive`.
    pub status: String,
    pub created: Option<DateTime<Utc>>,
    /// `None` when it could not be read; a key never used has a `KeyUse` with no date.
    pub last_used: Option<KeyUse>,
}

/// An IAM user and what can be known of its credentials.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserFacts {
    pub user_name: String,
    pub arn: String,
    pub user_id: String,
    pub path: String,
    pub created: Option<DateTime<Utc>>,
    pub password_last_used: Option<DateTime<Utc>>,
    /// Has a password (a login profile); `None`: could not be read.
    pub console_access: Option<bool>,
    /// Its MFA devices' serial numbers; `None`: could not be read.
    pub mfa: Option<Vec<String>>,
    pub access_keys: Vec<KeyFacts>,
    /// Its groups; `None`: not read (unknown, not none).
    pub groups: Option<Vec<String>>,
    /// Its attached and inline policies; `None`: not read (unknown, not none).
    pub policies: Option<Vec<PolicyRef>>,
    /// The latest of its password's and its keys' last use.
    pub last_activity: Option<DateTime<Utc>>,
}

impl UserFacts {
    fn with_activity(mut self) -> UserFacts {
        self.last_activity = self
            .access_keys
            .iter()
            .filter_map(|k| k.last_used.as_ref()?.date)
            .chain(self.password_last_used)
            .max();
        self
    }
}

/// What an account's user listing gives: the users, and what could not be read (each once).
#[derive(Debug, Default)]
pub struct Users {
    pub users: Vec<UserFacts>,
    pub errors: Vec<AwsError>,
}

/// How much of each user to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Depth {
    /// Keys and their last use only (the access-key listing).
    Keys,
    /// Everything: keys, sign-in, MFA, groups and policies.
    Full,
}

/// Every user of the account. A user whose details cannot all be read is listed with what
/// could be; the errors are given once each.
pub async fn list_users(
    target: &RoleTarget,
    region: &str,
    depth: Depth,
) -> Result<Users, AwsError> {
    let iam = target.iam(region);
    let listed: Vec<aws_sdk_iam::types::User> = iam
        .list_users()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| iam_error(e, "ListUsers", "the account's users"))?;
    let mut errors: Vec<AwsError> = Vec::new();
    // Groups and policies of every user in one paginated call.
    let mut details = std::collections::HashMap::new();
    if depth == Depth::Full {
        match authorization(&iam, EntityType::User).await {
            Ok(pages) => {
                for page in pages {
                    for u in page.user_detail_list() {
                        let groups = u.group_list().to_vec();
                        let policies = policies_of(
                            u.attached_managed_policies(),
                            u.user_policy_list().iter().filter_map(|p| p.policy_name()),
                        );
                        details.insert(
                            u.user_name().unwrap_or_default().to_string(),
                            (groups, policies),
                        );
                    }
                }
            }
            Err(e) => errors.push(e),
        }
    }
    let reads = stream::iter(listed.into_iter().map(|u| {
        let iam = iam.clone();
        async move {
            let base = base_user(&u);
            read_user(&iam, base, depth).await
        }
    }))
    .buffered(IN_FLIGHT)
    .collect::<Vec<_>>()
    .await;
    let mut users = Vec::with_capacity(reads.len());
    for (mut user, errs) in reads {
        if let Some((groups, policies)) = details.remove(&user.user_name) {
            user.groups = Some(groups);
            user.policies = Some(policies);
        }
        for e in errs {
            if !errors
                .iter()
                .any(|o| o.operation == e.operation && o.kind == e.kind)
            {
                errors.push(e);
            }
        }
        users.push(user.with_activity());
    }
    users.sort_by(|a, b| a.user_name.cmp(&b.user_name));
    Ok(Users { users, errors })
}

/// One user, everything about it (for `whois` and the actions' plans).
pub async fn user(
    target: &RoleTarget,
    region: &str,
    name: &str,
) -> Result<(UserFacts, Vec<AwsError>), AwsError> {
    let iam = target.iam(region);
    let out = iam
        .get_user()
        .user_name(name)
        .send()
        .await
        .map_err(|e| iam_error(e, "GetUser", &format!("user {name}")))?;
    let Some(u) = out.user() else {
        return Err(
            AwsError::new(ErrorKind::Other, "GetUser", format!("user {name}"))
                .with_message("the answer held no user"),
        );
    };
    let (mut user, mut errors) = read_user(&iam, base_user(u), Depth::Full).await;
    match user_policies(&iam, name).await {
        Ok((groups, policies)) => {
            user.groups = Some(groups);
            user.policies = Some(policies);
        }
        Err(e) => errors.push(e),
    }
    Ok((user.with_activity(), errors))
}

/// The user an access key belongs to, in the account the role is in (`iam:GetAccessKeyLastUsed`
/// names it, for any key of the account).
pub async fn key_owner(
    target: &RoleTarget,
    region: &str,
    key: &str,
) -> Result<(String, KeyUse), AwsError> {
    let out = target
        .iam(region)
        .get_access_key_last_used()
        .access_key_id(key)
        .send()
        .await
        .map_err(|e| iam_error(e, "GetAccessKeyLastUsed", &format!("access key {key}")))?;
    let Some(user) = out.user_name().filter(|u| !u.is_empty()) else {
        return Err(AwsError::new(
            ErrorKind::Other,
            "GetAccessKeyLastUsed",
            format!("access key {key}"),
        )
        .with_code("NoSuchEntity")
        .with_message(
            "IAM named no user for this key: it is not a key of an IAM user in this account",
        ));
    };
    Ok((user.to_string(), key_use(out.access_key_last_used())))
}

fn key_use(u: Option<&aws_sdk_iam::types::AccessKeyLastUsed>) -> KeyUse {
    let known = |s: &str| (!s.is_empty() && s != "N/A").then(|| s.to_string());
    KeyUse {
        date: u.and_then(|u| u.last_used_date()).and_then(time),
        service: u.and_then(|u| known(u.service_name())),
        region: u.and_then(|u| known(u.region())),
    }
}

fn base_user(u: &aws_sdk_iam::types::User) -> UserFacts {
    UserFacts {
        user_name: u.user_name().to_string(),
        arn: u.arn().to_string(),
        user_id: u.user_id().to_string(),
        path: u.path().to_string(),
        created: time(u.create_date()),
        password_last_used: u.password_last_used().and_then(time),
        console_access: None,
        mfa: None,
        access_keys: Vec::new(),
        groups: None,
        policies: None,
        last_activity: None,
    }
}

/// A user's keys (with their last use) and, at `Full` depth, sign-in and MFA.
async fn read_user(
    iam: &aws_sdk_iam::Client,
    mut user: UserFacts,
    depth: Depth,
) -> (UserFacts, Vec<AwsError>) {
    let name = user.user_name.clone();
    let what = format!("user {name}");
    let mut errors = Vec::new();
    match access_keys_read(iam, &name).await {
        Ok((keys, unread)) => {
            user.access_keys = keys;
            errors.extend(unread);
        }
        Err(e) => errors.push(e),
    }
    if depth == Depth::Full {
        match iam.get_login_profile().user_name(&name).send().await {
            Ok(_) => user.console_access = Some(true),
            Err(e) => {
                let e = iam_error(e, "GetLoginProfile", &what);
                if is_missing(&e) {
                    user.console_access = Some(false);
                } else {
                    errors.push(e);
                }
            }
        }
        let devices: Result<Vec<aws_sdk_iam::types::MfaDevice>, _> = iam
            .list_mfa_devices()
            .user_name(&name)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await;
        match devices {
            Ok(devices) => {
                user.mfa = Some(
                    devices
                        .iter()
                        .map(|d| d.serial_number().to_string())
                        .collect(),
                );
            }
            Err(e) => errors.push(iam_error(e, "ListMFADevices", &what)),
        }
    }
    (user, errors)
}

/// A user's access keys, each with its last use (`None` where it could not be read).
pub async fn access_keys(iam: &aws_sdk_iam::Client, user: &str) -> Result<Vec<KeyFacts>, AwsError> {
    access_keys_read(iam, user).await.map(|(keys, _)| keys)
}

/// A user's access keys, each with its last use, and why a last use could not be read (a key
/// whose last use is not known is never shown as never used).
pub async fn access_keys_read(
    iam: &aws_sdk_iam::Client,
    user: &str,
) -> Result<(Vec<KeyFacts>, Vec<AwsError>), AwsError> {
    let listed: Vec<aws_sdk_iam::types::AccessKeyMetadata> = iam
        .list_access_keys()
        .user_name(user)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| iam_error(e, "ListAccessKeys", &format!("user {user}")))?;
    let mut keys = Vec::new();
    let mut errors: Vec<AwsError> = Vec::new();
    for k in &listed {
        let id = k.access_key_id().unwrap_or_default().to_string();
        let last_used = match iam
            .get_access_key_last_used()
            .access_key_id(&id)
            .send()
            .await
        {
            Ok(o) => Some(key_use(o.access_key_last_used())),
            Err(e) => {
                let e = iam_error(e, "GetAccessKeyLastUsed", &format!("access key {id}"));
                // One error of a kind is enough to say why.
                if !errors.iter().any(|o| o.kind == e.kind && o.code == e.code) {
                    errors.push(e);
                }
                None
            }
        };
        keys.push(KeyFacts {
            status: k
                .status()
                .map(|s| s.as_str().to_string())
                .unwrap_or_default(),
            created: k.create_date().and_then(time),
            last_used,
            access_key_id: id,
        });
    }
    keys.sort_by(|a, b| a.access_key_id.cmp(&b.access_key_id));
    Ok((keys, errors))
}

/// A user's groups and policies (for one user: three small calls, each page by page, rather
/// than the account's whole authorization details).
async fn user_policies(
    iam: &aws_sdk_iam::Client,
    name: &str,
) -> Result<(Vec<String>, Vec<PolicyRef>), AwsError> {
    let what = format!("user {name}");
    let groups: Vec<aws_sdk_iam::types::Group> = iam
        .list_groups_for_user()
        .user_name(name)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| iam_error(e, "ListGroupsForUser", &what))?;
    let attached: Vec<aws_sdk_iam::types::AttachedPolicy> = iam
        .list_attached_user_policies()
        .user_name(name)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| iam_error(e, "ListAttachedUserPolicies", &what))?;
    let inline: Vec<String> = iam
        .list_user_policies()
        .user_name(name)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| iam_error(e, "ListUserPolicies", &what))?;
    Ok((
        groups.iter().map(|g| g.group_name().to_string()).collect(),
        policies_of(&attached, inline.iter().map(String::as_str)),
    ))
}
