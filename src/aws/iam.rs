//! IAM as a role sees it: users, their access keys and sign-in, roles and their trust, read for
//! the `users`, `access-keys` and `iam-roles` listings, `whois` and the identity actions. IAM is
//! global: one endpoint per partition, called here with the role's first region for signing.
//!
//! Everything returned is rolecall's own types ([`UserFacts`], [`KeyFacts`], [`RoleFacts`]);
//! the kinds in `crate::resources` make rows of them.

use aws_sdk_iam::types::EntityType;
use chrono::{DateTime, Utc};
use futures::stream::{self, StreamExt};
use serde::Serialize;

use super::target::RoleTarget;
use super::{AwsError, ErrorKind};

/// How many users' details are read at once (IAM's own rate limits are low).
const IN_FLIGHT: usize = 8;

/// An IAM call's error, naming the call and what it was about; AccessDenied says the permission.
pub fn iam_error<E>(
    e: aws_sdk_iam::error::SdkError<E, aws_sdk_iam::config::http::HttpResponse>,
    op: &'static str,
    target: &str,
) -> AwsError
where
    E: aws_sdk_iam::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let e = AwsError::from_sdk(e, op, target.to_string());
    if e.kind == ErrorKind::AccessDenied {
        let hint = format!(
            "the role may not call iam:{op}: add it to the role's permission policy (rolecall policy --actions lists what each command needs)"
        );
        return e.with_hint(hint);
    }
    e
}

/// The error means "there is no such thing" (IAM's `NoSuchEntity`).
pub fn is_missing(e: &AwsError) -> bool {
    e.code.as_deref() == Some("NoSuchEntity")
}

fn time(t: &aws_smithy_types::DateTime) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(t.secs(), t.subsec_nanos())
}

/// A policy attached to a user or role, or written inline in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicyRef {
    pub name: String,
    /// `None` for an inline policy.
    pub arn: Option<String>,
}

impl PolicyRef {
    /// "ReadOnlyAccess" or "inline:rolecall-quarantine-IR-1".
    pub fn text(&self) -> String {
        match &self.arn {
            Some(_) => self.name.clone(),
            None => format!("inline:{}", self.name),
        }
    }
}

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

fn policies_of<'a>(
    attached: &[aws_sdk_iam::types::AttachedPolicy],
    inline: impl Iterator<Item = &'a str>,
) -> Vec<PolicyRef> {
    let mut out: Vec<PolicyRef> = attached
        .iter()
        .map(|p| PolicyRef {
            name: p.policy_name().unwrap_or_default().to_string(),
            arn: p.policy_arn().map(str::to_string),
        })
        .collect();
    out.extend(inline.map(|n| PolicyRef {
        name: n.to_string(),
        arn: None,
    }));
    out
}

async fn authorization(
    iam: &aws_sdk_iam::Client,
    filter: EntityType,
) -> Result<Vec<aws_sdk_iam::operation::get_account_authorization_details::GetAccountAuthorizationDetailsOutput>, AwsError>{
    iam.get_account_authorization_details()
        .filter(filter)
        .into_paginator()
        .send()
        .try_collect()
        .await
        .map_err(|e| iam_error(e, "GetAccountAuthorizationDetails", "the account's IAM"))
}

/// An IAM role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoleFacts {
    pub role_name: String,
    pub arn: String,
    pub path: String,
    pub created: Option<DateTime<Utc>>,
    /// Who may assume it, from its trust policy: `AWS:arn…`, `Service:ec2.amazonaws.com`,
    /// `Federated:…`.
    pub trusted: Vec<String>,
    pub last_used: Option<DateTime<Utc>>,
    pub last_used_region: Option<String>,
    pub max_session_duration: Option<i32>,
    pub policies: Vec<PolicyRef>,
    pub instance_profiles: Vec<String>,
    /// Why AWS manages it (service-linked, Identity Center), if it does: rolecall never changes
    /// such a role.
    pub aws_managed: Option<String>,
}

/// Why a role (by name and path) is AWS's to manage, if it is: service-linked roles (path
/// `/aws-service-role/`), Identity Center's (`AWSReservedSSO_…`, path `/aws-reserved/`). The
/// path is set when the role is made, and those paths are AWS's alone.
pub fn managed_by_aws(name: &str, path: &str) -> Option<&'static str> {
    if path.starts_with("/aws-service-role/") {
        Some("a service-linked role (AWS manages it)")
    } else if path.starts_with("/aws-reserved/") || name.starts_with("AWSReservedSSO_") {
        Some("an IAM Identity Center role (AWSReservedSSO_*: Identity Center manages it)")
    } else {
        None
    }
}

impl RoleFacts {
    fn with_managed(mut self) -> RoleFacts {
        self.aws_managed = managed_by_aws(&self.role_name, &self.path).map(str::to_string);
        self
    }
}

/// Every role of the account, with its trust and last use (one paginated call).
pub async fn list_roles(target: &RoleTarget, region: &str) -> Result<Vec<RoleFacts>, AwsError> {
    let iam = target.iam(region);
    let pages = authorization(&iam, EntityType::Role).await?;
    let mut roles: Vec<RoleFacts> = pages
        .iter()
        .flat_map(|p| p.role_detail_list())
        .map(|r| RoleFacts {
            role_name: r.role_name().unwrap_or_default().to_string(),
            arn: r.arn().unwrap_or_default().to_string(),
            path: r.path().unwrap_or_default().to_string(),
            created: r.create_date().and_then(time),
            trusted: r
                .assume_role_policy_document()
                .map(principals)
                .unwrap_or_default(),
            last_used: r
                .role_last_used()
                .and_then(|u| u.last_used_date())
                .and_then(time),
            last_used_region: r
                .role_last_used()
                .and_then(|u| u.region())
                .map(str::to_string),
            max_session_duration: None,
            policies: policies_of(
                r.attached_managed_policies(),
                r.role_policy_list().iter().filter_map(|p| p.policy_name()),
            ),
            instance_profiles: r
                .instance_profile_list()
                .iter()
                .map(|p| p.instance_profile_name().to_string())
                .collect(),
            aws_managed: None,
        })
        .map(RoleFacts::with_managed)
        .collect();
    roles.sort_by(|a, b| a.role_name.cmp(&b.role_name));
    Ok(roles)
}

/// One role (`iam:GetRole`): its path, trust and last use.
pub async fn role(target: &RoleTarget, region: &str, name: &str) -> Result<RoleFacts, AwsError> {
    let out = target
        .iam(region)
        .get_role()
        .role_name(name)
        .send()
        .await
        .map_err(|e| iam_error(e, "GetRole", &format!("role {name}")))?;
    let Some(r) = out.role() else {
        return Err(
            AwsError::new(ErrorKind::Other, "GetRole", format!("role {name}"))
                .with_message("the answer held no role"),
        );
    };
    Ok(RoleFacts {
        role_name: r.role_name().to_string(),
        arn: r.arn().to_string(),
        path: r.path().to_string(),
        created: time(r.create_date()),
        trusted: r
            .assume_role_policy_document()
            .map(principals)
            .unwrap_or_default(),
        last_used: r
            .role_last_used()
            .and_then(|u| u.last_used_date())
            .and_then(time),
        last_used_region: r
            .role_last_used()
            .and_then(|u| u.region())
            .map(str::to_string),
        max_session_duration: r.max_session_duration(),
        policies: Vec::new(),
        instance_profiles: Vec::new(),
        aws_managed: None,
    }
    .with_managed())
}

/// The roles of an instance profile (by its ARN, as DescribeInstances gives it).
pub async fn instance_profile_roles(
    target: &RoleTarget,
    region: &str,
    profile_arn: &str,
) -> Result<Vec<RoleFacts>, AwsError> {
    // arn:aws:iam::ACCOUNT:instance-profile/PATH/NAME: the name is the last part.
    let name = profile_arn.rsplit('/').next().unwrap_or_default();
    crate::aws::act::ids::iam_name(name, "instance profile")?;
    let out = target
        .iam(region)
        .get_instance_profile()
        .instance_profile_name(name)
        .send()
        .await
        .map_err(|e| iam_error(e, "GetInstanceProfile", &format!("instance profile {name}")))?;
    Ok(out
        .instance_profile()
        .map(|p| {
            p.roles()
                .iter()
                .map(|r| {
                    RoleFacts {
                        role_name: r.role_name().to_string(),
                        arn: r.arn().to_string(),
                        path: r.path().to_string(),
                        created: time(r.create_date()),
                        trusted: Vec::new(),
                        last_used: None,
                        last_used_region: None,
                        max_session_duration: None,
                        policies: Vec::new(),
                        instance_profiles: vec![name.to_string()],
                        aws_managed: None,
                    }
                    .with_managed()
                })
                .collect()
        })
        .unwrap_or_default())
}

/// What IAM's policy simulator says of each action for a principal (`iam:SimulatePrincipalPolicy`
/// on its own identity policies, every resource): `allowed`, `implicitDeny` or `explicitDeny`.
/// IAM has no DryRun: this is how a permission is known before the call.
pub async fn simulate(
    target: &RoleTarget,
    region: &str,
    principal: &str,
    actions: &[&str],
) -> Result<Vec<(String, String)>, AwsError> {
    let out = target
        .iam(region)
        .simulate_principal_policy()
        .policy_source_arn(principal)
        .set_action_names(Some(actions.iter().map(|a| a.to_string()).collect()))
        .send()
        .await
        .map_err(|e| iam_error(e, "SimulatePrincipalPolicy", principal))?;
    Ok(out
        .evaluation_results()
        .iter()
        .map(|r| {
            (
                r.eval_action_name().to_string(),
                r.eval_decision().as_str().to_string(),
            )
        })
        .collect())
}

/// The principals a trust policy names, `Type:value` each, in order and once.
pub fn principals(document: &str) -> Vec<String> {
    let Ok(doc) = super::policy::decode_document(document) else {
        return Vec::new();
    };
    let statements = match &doc["Statement"] {
        serde_json::Value::Array(a) => a.clone(),
        v @ serde_json::Value::Object(_) => vec![v.clone()],
        _ => Vec::new(),
    };
    let mut out: Vec<String> = Vec::new();
    for s in statements.iter().filter(|s| s["Effect"] == "Allow") {
        match &s["Principal"] {
            serde_json::Value::String(p) => out.push(p.clone()),
            serde_json::Value::Object(m) => {
                for (kind, v) in m {
                    let values = match v {
                        serde_json::Value::Array(a) => a
                            .iter()
                            .filter_map(|x| x.as_str())
                            .map(str::to_string)
                            .collect(),
                        serde_json::Value::String(x) => vec![x.clone()],
                        _ => Vec::new(),
                    };
                    out.extend(values.into_iter().map(|x| format!("{kind}:{x}")));
                }
            }
            _ => {}
        }
    }
    let mut seen = std::collections::HashSet::new();
    out.retain(|p| seen.insert(p.clone()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trust_principals_of_every_shape() {
        let doc = r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111111111111:root","arn:aws:iam::111111111111:user/a"],"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"},
            {"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::999999999999:root"},"Action":"sts:AssumeRole"},
            {"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}]}"#;
        assert_eq!(
            principals(doc),
            vec![
                "AWS:arn:aws:iam::111111111111:root",
                "AWS:arn:aws:iam::111111111111:user/a",
                "Service:ec2.amazonaws.com",
                "*"
            ]
        );
        let encoded = "%7B%22Statement%22%3A%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22Federated%22%3A%22cognito-identity.amazonaws.com%22%7D%7D%7D";
        assert_eq!(
            principals(encoded),
            vec!["Federated:cognito-identity.amazonaws.com"]
        );
        assert!(principals("not json").is_empty());
    }

    #[test]
    fn aws_managed_roles() {
        assert!(managed_by_aws(
            "AWSServiceRoleForSupport",
            "/aws-service-role/support.amazonaws.com/"
        )
        .is_some());
        assert!(managed_by_aws(
            "AWSReservedSSO_Admin_0123456789abcdef",
            "/aws-reserved/sso.amazonaws.com/"
        )
        .is_some());
        assert!(managed_by_aws("AWSReservedSSO_Admin_0123456789abcdef", "/").is_some());
        assert!(managed_by_aws("WebAppRole", "/").is_none());
    }
}
