//! The KMS key evidence is re-encrypted with before it is shared: a snapshot under the account's
//! default `aws/ebs` key cannot be shared, one under a customer-managed key whose policy lets
//! the forensic account use it can.

use aws_sdk_kms::types::{KeySpec, KeyUsageType, Tag};
use serde_json::json;

use crate::aws::ec2::Ec2Target;
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
    t: &Ec2Target,
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

/// Creates a key with `policy` and `tags`, and names it `alias`; returns its ARN.
pub async fn create_key(
    t: &Ec2Target,
    region: &str,
    alias: &str,
    description: &str,
    policy: &serde_json::Value,
    tags: &[(String, String)],
) -> Result<String, AwsError> {
    let kms = t.kms(region);
    let out = kms
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
    let arn = meta.arn().unwrap_or(meta.key_id()).to_string();
    kms.create_alias()
        .alias_name(alias)
        .target_key_id(&arn)
        .send()
        .await
        .map_err(|e| kms_error(e, "CreateAlias", alias.to_string()))?;
    Ok(arn)
}

/// A key's policy, as JSON.
pub async fn key_policy(
    t: &Ec2Target,
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
