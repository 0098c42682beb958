//! What a query kind's listing is about (`Query::subject`): one resource, access key, user or
//! event name. CloudTrail's LookupEvents takes exactly one such attribute; a kind that has no use
//! for one ignores it. Every value is checked here, before a call is made of it.

use serde::Serialize;

/// One thing to look up. `Display`: "resource i-0abc…", "access key AKIA…".
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "attribute", content = "value", rename_all = "snake_case")]
pub enum Subject {
    /// A resource by its name or id: an instance, a volume, a security group, a user's name.
    Resource(String),
    /// An access key id (AKIA… long-term, ASIA… temporary).
    AccessKey(String),
    /// The name of the identity that made the calls (an IAM user, a role session).
    User(String),
    /// An API call's name (`RunInstances`).
    Event(String),
}

impl Subject {
    /// A resource name: 1 to 2 000 characters (CloudTrail's limit), no control characters.
    pub fn resource(s: &str) -> Result<Subject, String> {
        let ok = !s.is_empty() && s.chars().count() <= 2000 && !s.chars().any(char::is_control);
        if ok {
            Ok(Subject::Resource(s.to_string()))
        } else {
            Err(format!(
                "{:?} is not a resource name: 1 to 2000 characters, no control characters (an id like i-0123456789abcdef0, a name, an ARN)",
                s
            ))
        }
    }

    /// An access key id: AKIA (a user's) or ASIA (a session's) and 16 upper-case letters or
    /// digits.
    pub fn access_key(s: &str) -> Result<Subject, String> {
        let ok = s.len() == 20
            && (s.starts_with("AKIA") || s.starts_with("ASIA"))
            && s[4..]
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
        if ok {
            Ok(Subject::AccessKey(s.to_string()))
        } else {
            Err(format!(
                "{:?} is not an access key id: AKIA or ASIA and 16 upper-case letters or digits (e.g. AKIAIOSFODNN7EXAMPLE)",
                s
            ))
        }
    }

    /// A user or session name: 1 to 64 of IAM's characters (letters, digits, `+=,.@_-`).
    pub fn user(s: &str) -> Result<Subject, String> {
        let ok = (1..=64).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b));
        if ok {
            Ok(Subject::User(s.to_string()))
        } else {
            Err(format!(
                "{:?} is not a user name: 1 to 64 letters, digits or +=,.@_- (an IAM user's or a role session's name)",
                s
            ))
        }
    }

    /// An event name: 1 to 128 letters or digits (`RunInstances`, `ConsoleLogin`).
    pub fn event(s: &str) -> Result<Subject, String> {
        let ok = (1..=128).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric());
        if ok {
            Ok(Subject::Event(s.to_string()))
        } else {
            Err(format!(
                "{:?} is not an event name: letters and digits, as CloudTrail names API calls (e.g. RunInstances)",
                s
            ))
        }
    }

    /// The value looked up.
    pub fn value(&self) -> &str {
        match self {
            Subject::Resource(v) | Subject::AccessKey(v) | Subject::User(v) | Subject::Event(v) => {
                v
            }
        }
    }

    /// "resource", "access key", "user", "event".
    pub fn what(&self) -> &'static str {
        match self {
            Subject::Resource(_) => "resource",
            Subject::AccessKey(_) => "access key",
            Subject::User(_) => "user",
            Subject::Event(_) => "event",
        }
    }
}

impl std::fmt::Display for Subject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.what(), self.value())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_attribute_is_checked_before_use() {
        assert!(Subject::access_key("AKIAIOSFODNN7EXAMPLE").is_ok());
        assert!(Subject::access_key("ASIA0123456789ABCDEF").is_ok());
        for bad in [
            "AKIAIOSFODNN7EXAMPL",
            "AKIAIOSFODNN7EXAMPLEX",
            "AKIAiosfodnn7example",
            "AGPAIOSFODNN7EXAMPLE",
            "AKIA../../etc/passwd",
            "",
        ] {
            assert!(Subject::access_key(bad).is_err(), "{bad}");
        }
        assert!(Subject::user("alice@example.com").is_ok());
        assert!(Subject::user("a b").is_err());
        assert!(Subject::user(&"a".repeat(65)).is_err());
        assert!(Subject::event("RunInstances").is_ok());
        assert!(Subject::event("Run Instances").is_err());
        assert!(Subject::event("").is_err());
        assert!(Subject::resource("i-0123456789abcdef0").is_ok());
        assert!(Subject::resource("arn:aws:s3:::bucket/key with space").is_ok());
        assert!(Subject::resource("x\u{1b}[2J").is_err());
        assert!(Subject::resource("").is_err());
        assert!(Subject::resource(&"x".repeat(2001)).is_err());
        let e = Subject::access_key("nope").unwrap_err();
        assert!(e.contains("AKIA or ASIA"), "{e}");
    }

    #[test]
    fn it_says_what_it_looks_up() {
        let s = Subject::access_key("AKIAIOSFODNN7EXAMPLE").unwrap();
        assert_eq!(s.to_string(), "access key AKIAIOSFODNN7EXAMPLE");
        assert_eq!(
            serde_json::to_value(&s).unwrap(),
            serde_json::json!({"attribute": "access_key", "value": "AKIAIOSFODNN7EXAMPLE"})
        );
    }
}
