//! ARNs rolecall works with: IAM roles (what it assumes), STS/IAM caller ARNs (who it is), MFA serials.
//!
//! Parsing is strict and every error says which part is wrong, because a typo in an ARN is the most
//! common reason a cross-account setup fails with an unhelpful AccessDenied.

use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};

/// An AWS partition: decides which sign-in and console hosts a link uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Partition {
    Aws,
    AwsUsGov,
    AwsCn,
}

impl Partition {
    pub fn as_str(self) -> &'static str {
        match self {
            Partition::Aws => "aws",
            Partition::AwsUsGov => "aws-us-gov",
            Partition::AwsCn => "aws-cn",
        }
    }

    /// Host of the console sign-in service (switch-role and federation pages).
    pub fn signin_host(self) -> &'static str {
        match self {
            Partition::Aws => "signin.aws.amazon.com",
            Partition::AwsUsGov => "signin.amazonaws-us-gov.com",
            Partition::AwsCn => "signin.amazonaws.cn",
        }
    }

    /// Host of the management console.
    pub fn console_host(self) -> &'static str {
        match self {
            Partition::Aws => "console.aws.amazon.com",
            Partition::AwsUsGov => "console.amazonaws-us-gov.com",
            Partition::AwsCn => "console.amazonaws.cn",
        }
    }

    /// The region the partition's global sign-in and console hosts are in: it has no regional
    /// sign-in host of its own (`signin.aws.amazon.com` is us-east-1's).
    pub fn home_region(self) -> &'static str {
        match self {
            Partition::Aws => "us-east-1",
            Partition::AwsUsGov => "us-gov-west-1",
            Partition::AwsCn => "cn-north-1",
        }
    }

    /// The partition a region is in, among the three rolecall knows: `None` for the regions of
    /// other partitions (`us-iso-east-1`, `eusc-de-east-1`…) and for names it cannot place.
    pub fn of_region(region: &str) -> Option<Partition> {
        validate_region(region).ok()?;
        let mut parts = region.split('-');
        match (parts.next()?, parts.next()?) {
            ("us", "gov") => Some(Partition::AwsUsGov),
            ("cn", _) => Some(Partition::AwsCn),
            (_, next) if next.starts_with("iso") => None,
            ("us" | "ca" | "mx" | "sa" | "eu" | "il" | "me" | "af" | "ap", _) => {
                Some(Partition::Aws)
            }
            _ => None,
        }
    }

    /// `region`, when the partition has sign-in and console hosts of its own there: a region of
    /// this partition other than its home region.
    fn regional(self, region: Option<&str>) -> Option<&str> {
        region.filter(|r| *r != self.home_region() && Partition::of_region(r) == Some(self))
    }

    /// The sign-in host for `region`: the region's own (`eu-west-1.signin.aws.amazon.com`,
    /// `us-gov-east-1.signin.amazonaws-us-gov.com`), else the global [`Self::signin_host`] (the
    /// home region, no region, or one outside the partition).
    pub fn signin_host_in(self, region: Option<&str>) -> String {
        match self.regional(region) {
            Some(r) => format!("{r}.{}", self.signin_host()),
            None => self.signin_host().to_string(),
        }
    }

    /// The console host for `region`, chosen as [`Self::signin_host_in`] chooses:
    /// `eu-west-1.console.aws.amazon.com`, else the global [`Self::console_host`].
    pub fn console_host_in(self, region: Option<&str>) -> String {
        match self.regional(region) {
            Some(r) => format!("{r}.{}", self.console_host()),
            None => self.console_host().to_string(),
        }
    }
}

impl FromStr for Partition {
    type Err = ArnError;
    fn from_str(s: &str) -> Result<Self, ArnError> {
        match s {
            "aws" => Ok(Partition::Aws),
            "aws-us-gov" => Ok(Partition::AwsUsGov),
            "aws-cn" => Ok(Partition::AwsCn),
            other => Err(ArnError::new(format!(
                "unknown partition \"{other}\" (expected aws, aws-us-gov or aws-cn)"
            ))),
        }
    }
}

impl fmt::Display for Partition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why an ARN (or account id) was rejected; the message names the part that is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ArnError(String);

impl ArnError {
    fn new(msg: impl Into<String>) -> Self {
        ArnError(msg.into())
    }
}

/// Checks a 12-digit AWS account id.
pub fn validate_account_id(id: &str) -> Result<(), ArnError> {
    if id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(ArnError::new(format!(
            "account id \"{id}\" must be exactly 12 digits"
        )))
    }
}

/// Characters IAM allows in role and user names (`[\w+=,.@-]`).
fn is_iam_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_+=,.@-".contains(c)
}

/// An IAM role ARN: `arn:PARTITION:iam::ACCOUNT:role[/PATH]/NAME`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RoleArn {
    partition: Partition,
    account_id: String,
    /// The path without its outer slashes, e.g. `audit` or `a/b`; empty for `/`.
    path: String,
    name: String,
}

impl RoleArn {
    /// The role `name_with_path` (`IR/Responder`) in `account`.
    pub fn new(
        partition: Partition,
        account: &str,
        name_with_path: &str,
    ) -> Result<RoleArn, ArnError> {
        format!(
            "arn:{}:iam::{account}:role/{}",
            partition.as_str(),
            name_with_path.trim_matches('/')
        )
        .parse()
    }

    pub fn partition(&self) -> Partition {
        self.partition
    }
    pub fn account_id(&self) -> &str {
        &self.account_id
    }
    /// The role's name without its path (`Auditor`).
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The role's path, `/` or `/audit/`.
    pub fn path(&self) -> String {
        if self.path.is_empty() {
            "/".to_string()
        } else {
            format!("/{}/", self.path)
        }
    }
    /// Name with path as the console's Switch Role page wants it (`audit/Auditor`).
    pub fn name_with_path(&self) -> String {
        if self.path.is_empty() {
            self.name.clone()
        } else {
            format!("{}/{}", self.path, self.name)
        }
    }
}

impl FromStr for RoleArn {
    type Err = ArnError;

    fn from_str(s: &str) -> Result<Self, ArnError> {
        let parts: Vec<&str> = s.splitn(6, ':').collect();
        if parts.len() != 6 || parts[0] != "arn" {
            return Err(ArnError::new(format!(
                "\"{s}\" is not a role ARN (expected arn:aws:iam::123456789012:role/NAME)"
            )));
        }
        let partition: Partition = parts[1]
            .parse()
            .map_err(|e| ArnError::new(format!("\"{s}\": {e}")))?;
        if parts[2] != "iam" {
            return Err(ArnError::new(format!(
                "\"{s}\": service is \"{}\", a role ARN has \"iam\"",
                parts[2]
            )));
        }
        if !parts[3].is_empty() {
            return Err(ArnError::new(format!(
                "\"{s}\": IAM ARNs have no region, found \"{}\"",
                parts[3]
            )));
        }
        validate_account_id(parts[4]).map_err(|e| ArnError::new(format!("\"{s}\": {e}")))?;
        let resource = parts[5];
        let Some(rest) = resource.strip_prefix("role/") else {
            return Err(ArnError::new(format!(
                "\"{s}\": resource \"{resource}\" is not a role (expected role/NAME or role/PATH/NAME)"
            )));
        };
        let (path, name) = match rest.rsplit_once('/') {
            Some((path, name)) => (path, name),
            None => ("", rest),
        };
        if name.is_empty() || name.len() > 64 || !name.chars().all(is_iam_name_char) {
            return Err(ArnError::new(format!(
                "\"{s}\": role name \"{name}\" must be 1 to 64 characters of letters, digits and _+=,.@-"
            )));
        }
        let has_path = rest.contains('/');
        if path.len() > 510
            || (has_path && path.split('/').any(str::is_empty))
            || !path.chars().all(|c| ('!'..='~').contains(&c))
        {
            return Err(ArnError::new(format!(
                "\"{s}\": role path \"/{path}/\" is not a valid IAM path"
            )));
        }
        Ok(RoleArn {
            partition,
            account_id: parts[4].to_string(),
            path: path.to_string(),
            name: name.to_string(),
        })
    }
}

impl fmt::Display for RoleArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "arn:{}:iam::{}:role/{}",
            self.partition,
            self.account_id,
            self.name_with_path()
        )
    }
}

impl Serialize for RoleArn {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Checks an `mfa_serial`: a virtual device ARN (`arn:aws:iam::123456789012:mfa/NAME`) or the
/// serial number of a hardware device (9 to 256 characters of `[\w+=/:,.@-]`).
pub fn validate_mfa_serial(s: &str) -> Result<(), ArnError> {
    if let Some(rest) = s.strip_prefix("arn:") {
        let parts: Vec<&str> = rest.splitn(5, ':').collect();
        if parts.len() != 5 {
            return Err(ArnError::new(format!(
                "\"{s}\" is not an MFA device ARN (expected arn:aws:iam::123456789012:mfa/NAME)"
            )));
        }
        parts[0]
            .parse::<Partition>()
            .map_err(|e| ArnError::new(format!("\"{s}\": {e}")))?;
        if parts[1] != "iam" || !parts[2].is_empty() {
            return Err(ArnError::new(format!(
                "\"{s}\" is not an IAM MFA device ARN (expected arn:aws:iam::123456789012:mfa/NAME)"
            )));
        }
        validate_account_id(parts[3]).map_err(|e| ArnError::new(format!("\"{s}\": {e}")))?;
        match parts[4].strip_prefix("mfa/") {
            Some(name) if !name.is_empty() => Ok(()),
            _ => Err(ArnError::new(format!(
                "\"{s}\": resource must be mfa/DEVICE-NAME"
            ))),
        }
    } else if (9..=256).contains(&s.len())
        && s.chars()
            .all(|c| is_iam_name_char(c) || c == '/' || c == ':')
    {
        Ok(())
    } else {
        Err(ArnError::new(format!(
            "\"{s}\" is neither an MFA device ARN (arn:aws:iam::123456789012:mfa/NAME) nor a hardware serial number"
        )))
    }
}

/// Checks a region name such as `us-east-1`, `eu-central-2` or `us-gov-west-1`.
pub fn validate_region(region: &str) -> Result<(), ArnError> {
    let ok = region.len() <= 32
        && region.matches('-').count() >= 2
        && region
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && region.starts_with(|c: char| c.is_ascii_lowercase())
        && region.ends_with(|c: char| c.is_ascii_digit())
        && !region.contains("--");
    if ok {
        Ok(())
    } else {
        Err(ArnError::new(format!(
            "\"{region}\" is not a region name (expected something like us-east-1 or eu-west-2)"
        )))
    }
}

/// Checks a RoleSessionName: 2 to 64 characters of `[\w+=,.@-]`.
pub fn validate_session_name(name: &str) -> Result<(), ArnError> {
    if (2..=64).contains(&name.len()) && name.chars().all(is_iam_name_char) {
        Ok(())
    } else {
        Err(ArnError::new(format!(
            "session name \"{name}\" must be 2 to 64 characters of letters, digits and _+=,.@-"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_plain_role() {
        let arn: RoleArn = "arn:aws:iam::222222222222:role/ResponderRole"
            .parse()
            .unwrap();
        assert_eq!(arn.partition(), Partition::Aws);
        assert_eq!(arn.account_id(), "222222222222");
        assert_eq!(arn.name(), "ResponderRole");
        assert_eq!(arn.path(), "/");
        assert_eq!(arn.name_with_path(), "ResponderRole");
        assert_eq!(
            arn.to_string(),
            "arn:aws:iam::222222222222:role/ResponderRole"
        );
    }

    #[test]
    fn parses_role_with_path_and_partitions() {
        let arn: RoleArn = "arn:aws-us-gov:iam::123456789012:role/audit/team/Auditor"
            .parse()
            .unwrap();
        assert_eq!(arn.partition(), Partition::AwsUsGov);
        assert_eq!(arn.path(), "/audit/team/");
        assert_eq!(arn.name(), "Auditor");
        assert_eq!(arn.name_with_path(), "audit/team/Auditor");
        assert_eq!(
            arn.to_string(),
            "arn:aws-us-gov:iam::123456789012:role/audit/team/Auditor"
        );
        let cn: RoleArn = "arn:aws-cn:iam::123456789012:role/R".parse().unwrap();
        assert_eq!(cn.partition(), Partition::AwsCn);
    }

    #[test]
    fn rejects_malformed_arns_naming_the_part() {
        let cases = [
            ("ResponderRole", "not a role ARN"),
            ("arn:aws:iam::2222:role/R", "12 digits"),
            ("arn:aws:iam::22222222222a:role/R", "12 digits"),
            ("arn:aws-mars:iam::222222222222:role/R", "unknown partition"),
            ("arn:aws:sts::222222222222:role/R", "service is \"sts\""),
            ("arn:aws:iam:us-east-1:222222222222:role/R", "no region"),
            ("arn:aws:iam::222222222222:user/alex", "is not a role"),
            ("arn:aws:iam::222222222222:role/", "role name"),
            ("arn:aws:iam::222222222222:role/Bad Name", "role name"),
            ("arn:aws:iam::222222222222:role/a//R", "path"),
            ("arn:aws:iam::222222222222:role/Read*", "role name"),
        ];
        for (input, want) in cases {
            let err = input.parse::<RoleArn>().unwrap_err().to_string();
            assert!(err.contains(want), "{input}: {err} should mention {want}");
        }
    }

    #[test]
    fn role_name_length_limit() {
        let ok = format!("arn:aws:iam::222222222222:role/{}", "a".repeat(64));
        assert!(ok.parse::<RoleArn>().is_ok());
        let long = format!("arn:aws:iam::222222222222:role/{}", "a".repeat(65));
        assert!(long.parse::<RoleArn>().is_err());
    }

    #[test]
    fn mfa_serials() {
        assert!(validate_mfa_serial("arn:aws:iam::111111111111:mfa/alex").is_ok());
        assert!(validate_mfa_serial("GAHT12345678").is_ok());
        assert!(validate_mfa_serial("arn:aws:iam::111111111111:user/alex").is_err());
        assert!(validate_mfa_serial("arn:aws:iam::1111:mfa/alex").is_err());
        assert!(validate_mfa_serial("123").is_err());
    }

    #[test]
    fn regions_and_session_names() {
        for ok in ["us-east-1", "eu-central-2", "us-gov-west-1", "cn-north-1"] {
            assert!(validate_region(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "us-east",
            "mars-1",
            "US-EAST-1",
            "useast1",
            "us east 1",
            "us--east-1",
        ] {
            assert!(validate_region(bad).is_err(), "{bad}");
        }
        assert!(validate_session_name("rolecall").is_ok());
        assert!(validate_session_name("alex@example.com").is_ok());
        assert!(validate_session_name("x").is_err());
        assert!(validate_session_name("has space").is_err());
        assert!(validate_session_name(&"a".repeat(65)).is_err());
    }

    #[test]
    fn regions_are_placed_in_their_partition() {
        for (region, partition) in [
            ("us-east-1", Some(Partition::Aws)),
            ("eu-west-1", Some(Partition::Aws)),
            ("ap-southeast-7", Some(Partition::Aws)),
            ("mx-central-1", Some(Partition::Aws)),
            ("il-central-1", Some(Partition::Aws)),
            ("us-gov-west-1", Some(Partition::AwsUsGov)),
            ("us-gov-east-1", Some(Partition::AwsUsGov)),
            ("cn-north-1", Some(Partition::AwsCn)),
            ("cn-northwest-1", Some(Partition::AwsCn)),
            ("us-iso-east-1", None),
            ("us-isob-east-1", None),
            ("eu-isoe-west-1", None),
            ("eusc-de-east-1", None),
            ("xx-west-1", None),
            ("Europe", None),
            ("eu.evil.com-1", None),
        ] {
            assert_eq!(Partition::of_region(region), partition, "{region}");
        }
        assert_eq!(
            Partition::Aws.signin_host_in(Some("eu-west-1")),
            "eu-west-1.signin.aws.amazon.com"
        );
        assert_eq!(
            Partition::Aws.console_host_in(Some("us-east-1")),
            "console.aws.amazon.com"
        );
    }
}
