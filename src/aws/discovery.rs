//! Discovery: which roles the primary identity may assume, read from its own IAM policies (the
//! way Cado Response lists assumable roles), and its IAM principal for trust policies.

use aws_sdk_iam::Client;
use futures::future::try_join_all;

use super::credentials::RoleCredentials;
use super::identity::Identity;
use super::policy::{analyze, decode_document, Analysis, PolicyDoc};
use super::{Aws, AwsError, ErrorKind};

/// The IAM principal behind a caller identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// An IAM user, by name (its path is not needed for IAM calls).
    User { name: String },
    /// An IAM role, from an assumed-role session `arn:aws:sts::ACCT:assumed-role/NAME/SESSION`.
    Role { name: String },
    /// The account's root user: no identity policies, may assume any role trusting the account.
    Root,
    /// Federated users and anything else without IAM policies of its own.
    Other,
}

impl Caller {
    pub fn from_arn(arn: &str) -> Caller {
        let resource = arn.splitn(6, ':').nth(5).unwrap_or("");
        if resource == "root" {
            return Caller::Root;
        }
        if let Some(rest) = resource.strip_prefix("assumed-role/") {
            if let Some((name, _session)) = rest.split_once('/') {
                return Caller::Role {
                    name: name.to_string(),
                };
            }
        }
        if arn.contains(":iam::") {
            if let Some(rest) = resource.strip_prefix("user/") {
                return Caller::User {
                    name: rest.rsplit('/').next().unwrap_or(rest).to_string(),
                };
            }
        }
        Caller::Other
    }

    pub fn describe(&self) -> String {
        match self {
            Caller::User { name } => format!("user {name}"),
            Caller::Role { name } => format!("role {name}"),
            Caller::Root => "the root user".into(),
            Caller::Other => "this identity".into(),
        }
    }
}

/// What the identity policies allowed, or why they could not be read.
#[derive(Debug, Clone)]
pub struct Discovery {
    pub caller: Caller,
    /// `None` when the policies could not be read (the reason is in `warnings`).
    pub analysis: Option<Analysis>,
    pub warnings: Vec<String>,
}

/// Reads the caller's identity policies and analyses them. Never fails: a caller who may not
/// read its own policies gets one warning saying so, and discovery carries on without them.
pub async fn discover(aws: &Aws, identity: &Identity) -> Discovery {
    let caller = Caller::from_arn(&identity.arn);
    let mut warnings = Vec::new();
    let analysis = match &caller {
        // No primary identity (Identity Center only): no policies to read.
        _ if identity.is_nobody() => None,
        Caller::Root | Caller::Other => {
            warnings.push(format!(
                "{} has no IAM policies of its own to read roles from ({})",
                caller.describe(),
                identity.arn
            ));
            None
        }
        _ => match read_policies(aws, &caller).await {
            Ok(docs) => {
                let a = analyze(&docs);
                warnings.extend(a.warnings());
                Some(a)
            }
            Err(e) => {
                warnings.push(format!(
                    "cannot read the IAM policies of {} to find assumable roles: {e}",
                    caller.describe()
                ));
                None
            }
        },
    };
    Discovery {
        caller,
        analysis,
        warnings,
    }
}

fn iam_err<E>(
    e: aws_sdk_iam::error::SdkError<E, aws_sdk_iam::config::http::HttpResponse>,
    op: &'static str,
    target: &str,
) -> AwsError
where
    E: aws_sdk_iam::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let mut err = AwsError::from_sdk(e, op, target.to_string());
    if err.kind == ErrorKind::AccessDenied {
        err.hint = Some(format!(
            "allow iam:{op} on the caller itself to let rolecall read its policies (or list the roles in the config)"
        ));
    }
    err
}

/// The inline and attached policies of one role, user or group: the same three IAM calls for
/// each, on builders of different types (`$by` names the owner: `role_name`, `user_name`…).
/// Inline documents are fetched in parallel.
macro_rules! owned {
    ($iam:expr, $owner:expr, $name:expr, $by:ident,
     $list:ident / $list_op:literal, $get:ident / $get_op:literal, $attached:ident / $attached_op:literal) => {{
        let (iam, t, name) = ($iam, $owner, $name);
        let names = iam
            .$list()
            .$by(name)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| iam_err(e, $list_op, t))?;
        let inline_docs = try_join_all(names.into_iter().map(|p| async move {
            let out = iam
                .$get()
                .$by(name)
                .policy_name(&p)
                .send()
                .await
                .map_err(|e| iam_err(e, $get_op, t))?;
            Ok::<_, AwsError>((p, out.policy_document().to_string()))
        }))
        .await?;
        let attached = iam
            .$attached()
            .$by(name)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| iam_err(e, $attached_op, t))?;
        owned_policies(iam, t, inline_docs, attached).await?
    }};
}

/// Every identity policy of the caller: inline and attached managed ones (their default
/// version), and for a user those of its groups too.
pub async fn read_policies(aws: &Aws, caller: &Caller) -> Result<Vec<PolicyDoc>, AwsError> {
    let iam = &Client::new(aws.sdk());
    let mut docs = Vec::new();
    match caller {
        Caller::Role { name } => docs.extend(owned!(
            iam,
            &format!("role {name}"),
            name,
            role_name,
            list_role_policies / "ListRolePolicies",
            get_role_policy / "GetRolePolicy",
            list_attached_role_policies / "ListAttachedRolePolicies"
        )),
        Caller::User { name } => {
            let t = &format!("user {name}");
            docs.extend(owned!(
                iam,
                t,
                name,
                user_name,
                list_user_policies / "ListUserPolicies",
                get_user_policy / "GetUserPolicy",
                list_attached_user_policies / "ListAttachedUserPolicies"
            ));
            let groups = iam
                .list_groups_for_user()
                .user_name(name)
                .into_paginator()
                .items()
                .send()
                .try_collect()
                .await
                .map_err(|e| iam_err(e, "ListGroupsForUser", t))?;
            for g in groups {
                let group = g.group_name();
                docs.extend(owned!(
                    iam,
                    &format!("group {group} (of user {name})"),
                    group,
                    group_name,
                    list_group_policies / "ListGroupPolicies",
                    get_group_policy / "GetGroupPolicy",
                    list_attached_group_policies / "ListAttachedGroupPolicies"
                ));
            }
        }
        Caller::Root | Caller::Other => {}
    }
    Ok(docs)
}

/// The documents of one role's, user's or group's policies: its inline ones (name and
/// document, as fetched) and the default versions of the managed ones `attached` to it.
async fn owned_policies(
    iam: &Client,
    owner: &str,
    inline_docs: Vec<(String, String)>,
    attached: Vec<aws_sdk_iam::types::AttachedPolicy>,
) -> Result<Vec<PolicyDoc>, AwsError> {
    let mut docs = Vec::new();
    for (policy, document) in inline_docs {
        docs.push(inline(&policy, owner, &document)?);
    }
    for p in attached {
        docs.push(managed(iam, p.policy_arn().unwrap_or_default(), owner).await?);
    }
    Ok(docs)
}

fn inline(policy: &str, owner: &str, document: &str) -> Result<PolicyDoc, AwsError> {
    let source = format!("inline policy {policy} of {owner}");
    let document = decode_document(document).map_err(|m| {
        AwsError::new(ErrorKind::Other, "GetPolicy", source.clone()).with_message(m)
    })?;
    Ok(PolicyDoc { source, document })
}

/// A managed policy's default version.
async fn managed(iam: &Client, arn: &str, owner: &str) -> Result<PolicyDoc, AwsError> {
    let policy = iam
        .get_policy()
        .policy_arn(arn)
        .send()
        .await
        .map_err(|e| iam_err(e, "GetPolicy", arn))?;
    let version = policy
        .policy()
        .and_then(|p| p.default_version_id())
        .unwrap_or("v1")
        .to_string();
    let out = iam
        .get_policy_version()
        .policy_arn(arn)
        .version_id(&version)
        .send()
        .await
        .map_err(|e| iam_err(e, "GetPolicyVersion", arn))?;
    let text = out
        .policy_version()
        .and_then(|v| v.document())
        .unwrap_or_default();
    let source = format!("managed policy {arn} ({version}, attached to {owner})");
    let document = decode_document(text).map_err(|m| {
        AwsError::new(ErrorKind::Other, "GetPolicyVersion", source.clone()).with_message(m)
    })?;
    Ok(PolicyDoc { source, document })
}

/// The IAM ARN a trust policy names for this caller: the role's ARN (with its path, read with
/// iam:GetRole when allowed) rather than the STS session ARN, or the user's ARN.
pub async fn principal_arn(aws: &Aws, identity: &Identity) -> (String, Option<String>) {
    let partition = identity.arn.split(':').nth(1).unwrap_or("aws");
    match Caller::from_arn(&identity.arn) {
        Caller::Role { name } => {
            let iam = Client::new(aws.sdk());
            match iam.get_role().role_name(&name).send().await {
                Ok(out) => match out.role() {
                    Some(r) => (r.arn().to_string(), None),
                    None => (format!("arn:{partition}:iam::{}:role/{name}", identity.account), None),
                },
                Err(e) => (
                    format!("arn:{partition}:iam::{}:role/{name}", identity.account),
                    Some(format!(
                        "cannot read role {name} ({}): if it has a path, add it to the Principal ARN",
                        AwsError::from_sdk(e, "GetRole", format!("role {name}"))
                    )),
                ),
            }
        }
        Caller::Root => (
            format!("arn:{partition}:iam::{}:root", identity.account),
            None,
        ),
        _ => (identity.arn.clone(), None),
    }
}

/// A role's maximum session duration, read in its own account with its own session
/// (iam:GetRole on itself; often not allowed, hence the error).
pub async fn max_session_duration(
    aws: &Aws,
    credentials: &RoleCredentials,
    role: &super::arn::RoleArn,
) -> Result<u32, AwsError> {
    let conf = aws_sdk_iam::config::Builder::from(aws.sdk())
        .credentials_provider(credentials.sdk())
        .build();
    let out = Client::from_conf(conf)
        .get_role()
        .role_name(role.name())
        .send()
        .await
        .map_err(|e| AwsError::from_sdk(e, "GetRole", role.to_string()))?;
    Ok(out
        .role()
        .and_then(|r| r.max_session_duration())
        .map_or(3600, |d| d as u32))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callers_from_arns() {
        assert_eq!(
            Caller::from_arn("arn:aws:sts::111111111111:assumed-role/Responder/i-0abc"),
            Caller::Role {
                name: "Responder".into()
            }
        );
        assert_eq!(
            Caller::from_arn("arn:aws:iam::111111111111:user/team/alice"),
            Caller::User {
                name: "alice".into()
            }
        );
        assert_eq!(
            Caller::from_arn("arn:aws:iam::111111111111:root"),
            Caller::Root
        );
        assert_eq!(
            Caller::from_arn("arn:aws:sts::111111111111:federated-user/bob"),
            Caller::Other
        );
        assert_eq!(Caller::from_arn("garbage"), Caller::Other);
    }
}
