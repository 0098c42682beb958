//! The KMS key evidence is re-encrypted with before it is shared: a snapshot under the account's
//! default `aws/ebs` key cannot be shared, one under a customer-managed key whose policy lets
//! the forensic account use it can.

use aws_sdk_kms::types::{KeySpec, KeyUsageType, Tag};
use serde_json::json;

use crate::aws::policy::glob;
use crate::aws::target::RoleTarget;
use crate::aws::{AwsError, ErrorKind};

fn kms_error<E>(
    e: aws_sdk_kms::error::SdkError<E, aws_sdk_kms::config::http::HttpResponse>,
    op: &'static str,
    target: String,
) -> AwsError
where
    E: aws_sdk_kms::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    AwsError::from_sdk(e, op, target)
}

/// The key policy of an evidence key in `account`: the account keeps full control, and
/// `forensic_account` may use the key for EBS (decrypt, re-encrypt, make data keys, grants for
/// AWS resources) but not manage it.
pub fn evidence_key_policy(
    account: &str,
    forensic_account: &str,
    partition: &str,
) -> serde_json::Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AccountAdmin",
                "Effect": "Allow",
                "Principal": {"AWS": format!("arn:{partition}:iam::{account}:root")},
                "Action": "kms:*",
                "Resource": "*"
            },
            {
                "Sid": "ForensicAccountUse",
                "Effect": "Allow",
                "Principal": {"AWS": format!("arn:{partition}:iam::{forensic_account}:root")},
                "Action": ["kms:Decrypt", "kms:DescribeKey", "kms:ReEncrypt*", "kms:GenerateDataKey*"],
                "Resource": "*"
            },
            {
                "Sid": "ForensicAccountGrants",
                "Effect": "Allow",
                "Principal": {"AWS": format!("arn:{partition}:iam::{forensic_account}:root")},
                "Action": "kms:CreateGrant",
                "Resource": "*",
                "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}}
            }
        ]
    })
}

/// The key an alias names (its ARN), or `None` when there is no such alias.
pub async fn key_by_alias(
    t: &RoleTarget,
    region: &str,
    alias: &str,
) -> Result<Option<String>, AwsError> {
    match t.kms(region).describe_key().key_id(alias).send().await {
        Ok(out) => Ok(out
            .key_metadata()
            .map(|m| m.arn().unwrap_or(m.key_id()).to_string())),
        Err(e) => {
            let e = kms_error(e, "DescribeKey", alias.to_string());
            if e.code.as_deref() == Some("NotFoundException") {
                Ok(None)
            } else {
                Err(e)
            }
        }
    }
}

/// Creates a key with `policy` and `tags`; returns its ARN as soon as KMS answers. Naming it
/// is a call of its own ([`create_alias`]), so a key that could not be named is still known.
pub async fn create_key(
    t: &RoleTarget,
    region: &str,
    description: &str,
    policy: &serde_json::Value,
    tags: &[(String, String)],
) -> Result<String, AwsError> {
    let out = t
        .kms(region)
        .create_key()
        .description(description)
        .key_spec(KeySpec::SymmetricDefault)
        .key_usage(KeyUsageType::EncryptDecrypt)
        .policy(policy.to_string())
        .set_tags(Some(
            tags.iter()
                .filter_map(|(k, v)| Tag::builder().tag_key(k).tag_value(v).build().ok())
                .collect(),
        ))
        .send()
        .await
        .map_err(|e| kms_error(e, "CreateKey", format!("region {region}")))?;
    let meta = out.key_metadata().ok_or_else(|| {
        AwsError::new(ErrorKind::Other, "CreateKey", format!("region {region}"))
            .with_message("the answer held no key")
    })?;
    Ok(meta.arn().unwrap_or(meta.key_id()).to_string())
}

/// Names `key` `alias` (kms:CreateAlias).
pub async fn create_alias(
    t: &RoleTarget,
    region: &str,
    alias: &str,
    key: &str,
) -> Result<(), AwsError> {
    t.kms(region)
        .create_alias()
        .alias_name(alias)
        .target_key_id(key)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| kms_error(e, "CreateAlias", alias.to_string()))
}

/// The alias of a case's evidence key for `forensic_account`: one per case and forensic
/// account (`alias/rolecall-<case>-<account>`). KMS alias names allow only letters, digits,
/// `/`, `_` and `-`, and a case id may hold `.`: each `.` becomes `/`, which no case id holds, so
/// two cases never share an alias (`IR-2026.1` → `alias/rolecall-IR-2026/1-999999999999`).
pub fn evidence_alias(case_id: &str, forensic_account: &str) -> String {
    let case: String = case_id
        .chars()
        .map(|c| match c {
            'a'..='z' | 'A'..='Z' | '0'..='9' | '_' | '-' => c,
            '.' => '/',
            _ => '_',
        })
        .collect();
    format!("alias/rolecall-{case}-{forensic_account}")
}

/// What the forensic account must be allowed to do with a key to copy a snapshot encrypted
/// under it (what [`evidence_key_policy`] grants, action by action).
pub const FORENSIC_USE: &[&str] = &[
    "kms:Decrypt",
    "kms:DescribeKey",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:CreateGrant",
];

/// The actions of [`FORENSIC_USE`] a key policy does not let `account` use: none when the
/// account (its root, the bare id, any of its roles or users, or `*`) is allowed each one by an
/// `Allow` statement and no unconditional `Deny` takes it back. Conditions on an `Allow` are
/// taken as met (the one rolecall writes, `kms:GrantIsForAWSResource`, is met by EBS).
pub fn ungranted(policy: &serde_json::Value, account: &str) -> Vec<&'static str> {
    let statements: Vec<&serde_json::Value> = match policy.get("Statement") {
        Some(serde_json::Value::Array(a)) => a.iter().collect(),
        Some(s @ serde_json::Value::Object(_)) => vec![s],
        _ => Vec::new(),
    };
    let effect = |s: &serde_json::Value, e: &str| {
        s.get("Effect")
            .and_then(serde_json::Value::as_str)
            .is_some_and(|x| x.eq_ignore_ascii_case(e))
    };
    FORENSIC_USE
        .iter()
        .copied()
        .filter(|action| {
            let allowed = statements
                .iter()
                .any(|s| effect(s, "Allow") && names(s, account) && covers(s, action));
            let denied = statements.iter().any(|s| {
                effect(s, "Deny")
                    && s.get("Condition").is_none()
                    && names(s, account)
                    && covers(s, action)
            });
            !allowed || denied
        })
        .collect()
}

fn strings(v: Option<&serde_json::Value>) -> Vec<&str> {
    match v {
        Some(serde_json::Value::String(s)) => vec![s.as_str()],
        Some(serde_json::Value::Array(a)) => a.iter().filter_map(|x| x.as_str()).collect(),
        _ => Vec::new(),
    }
}

/// Whether a statement's `Principal` takes in `account` (a `NotPrincipal` never does).
fn names(statement: &serde_json::Value, account: &str) -> bool {
    let principals = match statement.get("Principal") {
        Some(serde_json::Value::String(s)) => vec![s.as_str()],
        Some(p @ serde_json::Value::Object(_)) => strings(p.get("AWS")),
        _ => Vec::new(),
    };
    principals.iter().any(|p| {
        let parts: Vec<&str> = p.split(':').collect();
        *p == "*"
            || *p == account
            || (parts.len() >= 6 && parts[0] == "arn" && parts[2] == "iam" && parts[4] == account)
    })
}

/// Whether a statement's `Action` (or `NotAction`) takes in `action`.
fn covers(statement: &serde_json::Value, action: &str) -> bool {
    if let Some(a) = statement.get("Action") {
        strings(Some(a)).iter().any(|p| glob(p, action, true))
    } else if let Some(not) = statement.get("NotAction") {
        !strings(Some(not)).iter().any(|p| glob(p, action, true))
    } else {
        false
    }
}

/// A key's policy, as JSON.
pub async fn key_policy(
    t: &RoleTarget,
    region: &str,
    key: &str,
) -> Result<serde_json::Value, AwsError> {
    let out = t
        .kms(region)
        .get_key_policy()
        .key_id(key)
        .policy_name("default")
        .send()
        .await
        .map_err(|e| kms_error(e, "GetKeyPolicy", key.to_string()))?;
    Ok(out
        .policy()
        .and_then(|p| serde_json::from_str(p).ok())
        .unwrap_or(serde_json::Value::Null))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_alias_is_one_per_case_and_account_and_a_valid_name() {
        assert_eq!(
            evidence_alias("IR-SNAP", "999999999999"),
            "alias/rolecall-IR-SNAP-999999999999"
        );
        let a = evidence_alias("IR-2026.1", "999999999999");
        assert_eq!(a, "alias/rolecall-IR-2026/1-999999999999");
        assert!(a
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '_' | '-')));
        assert_ne!(a, evidence_alias("IR-2026_1", "999999999999"));
        assert_ne!(a, evidence_alias("IR-2026-1", "999999999999"));
        assert_ne!(a, evidence_alias("IR-2026.1", "888888888888"));
    }

    #[test]
    fn the_evidence_policy_grants_the_forensic_account_and_no_other() {
        let p = evidence_key_policy("777777777777", "999999999999", "aws");
        assert!(ungranted(&p, "999999999999").is_empty());
        assert_eq!(ungranted(&p, "888888888888"), FORENSIC_USE);
    }

    #[test]
    fn a_default_or_narrow_policy_is_not_a_grant() {
        let default = json!({"Version": "2012-10-17", "Id": "key-default-1", "Statement": [{
            "Sid": "Enable IAM User Permissions", "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::777777777777:root"}, "Action": "kms:*", "Resource": "*"}]});
        assert_eq!(ungranted(&default, "999999999999"), FORENSIC_USE);
        let narrow = json!({"Statement": {"Effect": "Allow",
            "Principal": {"AWS": ["999999999999"]}, "Action": ["kms:Decrypt", "kms:DescribeKey"], "Resource": "*"}});
        assert_eq!(
            ungranted(&narrow, "999999999999"),
            [
                "kms:ReEncryptFrom",
                "kms:ReEncryptTo",
                "kms:GenerateDataKey",
                "kms:GenerateDataKeyWithoutPlaintext",
                "kms:CreateGrant"
            ]
        );
        let role = json!({"Statement": [{"Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::999999999999:role/ForensicCopier"}, "Action": "kms:*", "Resource": "*"}]});
        assert!(ungranted(&role, "999999999999").is_empty());
        let denied = json!({"Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*"},
            {"Effect": "Deny", "Principal": {"AWS": "999999999999"}, "Action": "kms:CreateGrant", "Resource": "*"}]});
        assert_eq!(ungranted(&denied, "999999999999"), ["kms:CreateGrant"]);
        assert_eq!(
            ungranted(&serde_json::Value::Null, "999999999999"),
            FORENSIC_USE
        );
    }
}
