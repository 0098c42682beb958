//! IAM roles: their trust, last use, instance profiles, and whether AWS manages them.

use aws_sdk_iam::types::EntityType;
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::*;
use crate::aws::target::RoleTarget;
use crate::aws::{AwsError, ErrorKind};

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

/// The principals a trust policy names, `Type:value` each, in order and once.
pub fn principals(document: &str) -> Vec<String> {
    let Ok(doc) = crate::aws::policy::decode_document(document) else {
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
