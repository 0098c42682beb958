//! IAM policy documents, read and written: which roles an identity policy lets the caller
//! assume, and the two policies a cross-account setup needs (the primary side's permission, the
//! secondary role's trust). Pure: no AWS calls here.

use serde_json::{json, Value};

use super::arn::RoleArn;

/// One policy document and where it came from ("inline policy assume of user responder").
#[derive(Debug, Clone)]
pub struct PolicyDoc {
    pub source: String,
    pub document: Value,
}

/// What the caller's identity policies say about `sts:AssumeRole`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Analysis {
    /// Role ARNs listed in full in Allow statements, with the policy that lists them.
    pub allowed: Vec<(RoleArn, String)>,
    /// Resource patterns with wildcards in Allow statements (not roles one can list or link).
    pub wildcards: Vec<(String, String)>,
    /// Resource patterns of Deny statements that cover sts:AssumeRole.
    pub denied: Vec<(String, String)>,
    /// Resources of Allow statements that are neither role ARNs nor patterns.
    pub invalid: Vec<(String, String)>,
}

/// What the identity policies decide for one role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Allowed { policy: String },
    AllowedByPattern { pattern: String, policy: String },
    Denied { pattern: String, policy: String },
    NotAllowed,
}

/// IAM's wildcard match: `*` any run of characters, `?` one character.
pub fn glob(pattern: &str, text: &str, ignore_case: bool) -> bool {
    let norm = |s: &str| {
        if ignore_case {
            s.to_ascii_lowercase()
        } else {
            s.to_string()
        }
    };
    let (p, t): (Vec<char>, Vec<char>) = (
        norm(pattern).chars().collect(),
        norm(text).chars().collect(),
    );
    // Iterative match with backtracking to the last `*`.
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// A string or a list of strings, as IAM allows for Action and Resource.
fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|x| x.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

/// Whether a statement's Action / NotAction covers `sts:AssumeRole`.
fn covers_assume_role(statement: &Value) -> bool {
    const ACTION: &str = "sts:AssumeRole";
    if let Some(actions) = statement.get("Action") {
        strings(Some(actions)).iter().any(|a| glob(a, ACTION, true))
    } else if let Some(not) = statement.get("NotAction") {
        !strings(Some(not)).iter().any(|a| glob(a, ACTION, true))
    } else {
        false
    }
}

fn statements(document: &Value) -> Vec<&Value> {
    match document.get("Statement") {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(s @ Value::Object(_)) => vec![s],
        _ => Vec::new(),
    }
}

/// Reads the Allow and Deny statements about sts:AssumeRole out of `docs`.
pub fn analyze(docs: &[PolicyDoc]) -> Analysis {
    let mut a = Analysis::default();
    for doc in docs {
        for st in statements(&doc.document) {
            if !covers_assume_role(st) {
                continue;
            }
            let effect = st.get("Effect").and_then(Value::as_str).unwrap_or("");
            // NotResource: everything but some; treat as a pattern over all roles.
            let resources = match st.get("Resource") {
                Some(r) => strings(Some(r)),
                None if st.get("NotResource").is_some() => vec!["*".to_string()],
                None => Vec::new(),
            };
            for r in resources {
                let entry = (r.clone(), doc.source.clone());
                if effect.eq_ignore_ascii_case("Deny") {
                    a.denied.push(entry);
                } else if !effect.eq_ignore_ascii_case("Allow") {
                    continue;
                } else if r.contains('*') || r.contains('?') {
                    a.wildcards.push(entry);
                } else {
                    match r.parse::<RoleArn>() {
                        Ok(arn) if !a.allowed.iter().any(|(x, _)| x == &arn) => {
                            a.allowed.push((arn, doc.source.clone()))
                        }
                        Ok(_) => {}
                        Err(_) => a.invalid.push(entry),
                    }
                }
            }
        }
    }
    a
}

impl Analysis {
    /// What these policies decide for `arn`: an explicit Deny wins, then a full ARN, then a
    /// pattern.
    pub fn verdict(&self, arn: &RoleArn) -> Verdict {
        let text = arn.to_string();
        if let Some((pattern, policy)) = self.denied.iter().find(|(p, _)| glob(p, &text, false)) {
            return Verdict::Denied {
                pattern: pattern.clone(),
                policy: policy.clone(),
            };
        }
        if let Some((_, policy)) = self.allowed.iter().find(|(a, _)| a == arn) {
            return Verdict::Allowed {
                policy: policy.clone(),
            };
        }
        if let Some((pattern, policy)) = self.wildcards.iter().find(|(p, _)| glob(p, &text, false))
        {
            return Verdict::AllowedByPattern {
                pattern: pattern.clone(),
                policy: policy.clone(),
            };
        }
        Verdict::NotAllowed
    }

    /// The roles listed in full and not denied: what discovery reports.
    pub fn assumable(&self) -> Vec<(RoleArn, String)> {
        self.allowed
            .iter()
            .filter(|(arn, _)| !matches!(self.verdict(arn), Verdict::Denied { .. }))
            .cloned()
            .collect()
    }

    /// What a responder should know: patterns that are not roles, denied roles, bad resources.
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (p, source) in &self.wildcards {
            out.push(format!(
                "{source} allows sts:AssumeRole on the pattern {p}: not a role rolecall can list or link; name the roles in full (rolecall policy prints such a policy)"
            ));
        }
        for (arn, source) in &self.allowed {
            if let Verdict::Denied { pattern, policy } = self.verdict(arn) {
                out.push(format!(
                    "{arn} is allowed by {source} but denied by {policy} ({pattern}): left out"
                ));
            }
        }
        for (r, source) in &self.invalid {
            out.push(format!(
                "{source} allows sts:AssumeRole on {r}, which is not a role ARN"
            ));
        }
        out
    }
}

/// A policy document as IAM returns it: URL-encoded JSON (or plain JSON, as some emulators send).
pub fn decode_document(text: &str) -> Result<Value, String> {
    let trimmed = text.trim_start();
    let json = if trimmed.starts_with('{') {
        trimmed.to_string()
    } else {
        percent_encoding::percent_decode_str(text)
            .decode_utf8()
            .map_err(|e| format!("the policy document is not UTF-8: {e}"))?
            .into_owned()
    };
    serde_json::from_str(&json).map_err(|e| format!("the policy document is not JSON: {e}"))
}

/// The primary side: the caller may assume exactly these roles (full ARNs, no wildcards).
/// With `source_identity`, the caller may also set SourceIdentity on those sessions.
pub fn primary_policy(roles: &[RoleArn], source_identity: bool) -> Value {
    let resources: Vec<String> = roles.iter().map(ToString::to_string).collect();
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "RolecallAssumeRoles",
            "Effect": "Allow",
            "Action": actions(source_identity),
            "Resource": resources,
        }]
    })
}

/// sts:AssumeRole, and sts:SetSourceIdentity when SourceIdentity is sent.
fn actions(source_identity: bool) -> Value {
    if source_identity {
        json!(["sts:AssumeRole", "sts:SetSourceIdentity"])
    } else {
        json!("sts:AssumeRole")
    }
}

/// The secondary side: role `arn` trusts `principal` (an IAM role or user ARN), with the external
/// ID and MFA conditions the role is used with; with `source_identity`, the caller may set
/// SourceIdentity (else AWS refuses the AssumeRole that sends one).
pub fn trust_policy(
    principal: &str,
    external_id: Option<&str>,
    mfa: bool,
    source_identity: bool,
) -> Value {
    let mut statement = json!({
        "Sid": "RolecallTrustPrimary",
        "Effect": "Allow",
        "Principal": { "AWS": principal },
        "Action": actions(source_identity),
    });
    let mut condition = serde_json::Map::new();
    if let Some(id) = external_id {
        condition.insert("StringEquals".into(), json!({ "sts:ExternalId": id }));
    }
    if mfa {
        condition.insert(
            "Bool".into(),
            json!({ "aws:MultiFactorAuthPresent": "true" }),
        );
    }
    if !condition.is_empty() {
        statement["Condition"] = Value::Object(condition);
    }
    json!({ "Version": "2012-10-17", "Statement": [statement] })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(source: &str, document: Value) -> PolicyDoc {
        PolicyDoc {
            source: source.into(),
            document,
        }
    }

    fn arn(s: &str) -> RoleArn {
        s.parse().unwrap()
    }

    #[test]
    fn globs() {
        assert!(glob("sts:*", "sts:AssumeRole", true));
        assert!(glob("*", "sts:AssumeRole", true));
        assert!(glob("STS:assume*", "sts:AssumeRole", true));
        assert!(glob("sts:Assume?ole", "sts:AssumeRole", true));
        assert!(!glob("sts:AssumeRoleWithSAML", "sts:AssumeRole", true));
        assert!(!glob("sts:AssumeRole", "sts:AssumeRoleWithSAML", true));
        assert!(glob(
            "arn:aws:iam::*:role/ReadOnly*",
            "arn:aws:iam::222222222222:role/ReadOnlyX",
            false
        ));
        assert!(!glob(
            "arn:aws:iam::*:role/ReadOnly*",
            "arn:aws:iam::222222222222:role/readonly",
            false
        ));
        assert!(glob("a*b*c", "aXbYbZc", false));
        assert!(!glob("a*b*c", "aXbYbZ", false));
    }

    #[test]
    fn allow_lists_wildcards_and_denies() {
        let docs = vec![
            doc(
                "inline policy a of role R",
                json!({
                    "Version": "2012-10-17",
                    "Statement": [
                        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "arn:aws:iam::222222222222:role/One"},
                        {"Effect": "Allow", "Action": ["ec2:Describe*", "sts:*"], "Resource": ["arn:aws:iam::333333333333:role/p/Two", "arn:aws:iam::*:role/ReadOnly*"]},
                        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:iam::444444444444:role/NotThis"},
                        {"Effect": "Deny", "Action": "sts:AssumeRole", "Resource": "arn:aws:iam::555555555555:role/*"},
                    ]
                }),
            ),
            doc(
                "managed policy M",
                json!({
                    "Statement": {"Effect": "Allow", "Action": "*", "Resource": ["arn:aws:iam::555555555555:role/Sandbox", "arn:aws:s3:::bucket"]}
                }),
            ),
        ];
        let a = analyze(&docs);
        let found: Vec<String> = a.assumable().iter().map(|(r, _)| r.to_string()).collect();
        assert_eq!(
            found,
            [
                "arn:aws:iam::222222222222:role/One",
                "arn:aws:iam::333333333333:role/p/Two"
            ]
        );
        assert_eq!(
            a.verdict(&arn("arn:aws:iam::555555555555:role/Sandbox")),
            Verdict::Denied {
                pattern: "arn:aws:iam::555555555555:role/*".into(),
                policy: "inline policy a of role R".into(),
            }
        );
        assert!(matches!(
            a.verdict(&arn("arn:aws:iam::666666666666:role/ReadOnlyAudit")),
            Verdict::AllowedByPattern { .. }
        ));
        assert_eq!(
            a.verdict(&arn("arn:aws:iam::444444444444:role/NotThis")),
            Verdict::NotAllowed
        );
        let w = a.warnings().join("\n");
        assert!(w.contains("pattern arn:aws:iam::*:role/ReadOnly*"), "{w}");
        assert!(
            w.contains(
                "arn:aws:iam::555555555555:role/Sandbox is allowed by managed policy M but denied"
            ),
            "{w}"
        );
        assert!(
            w.contains("arn:aws:s3:::bucket, which is not a role ARN"),
            "{w}"
        );
    }

    #[test]
    fn not_action_and_garbage() {
        let a = analyze(&[doc(
            "p",
            json!({"Statement": [
                {"Effect": "Allow", "NotAction": "iam:*", "Resource": "arn:aws:iam::222222222222:role/A"},
                {"Effect": "Allow", "NotAction": "sts:*", "Resource": "arn:aws:iam::222222222222:role/B"},
                {"Effect": "Allow"},
                "not an object",
            ]}),
        )]);
        assert_eq!(a.allowed.len(), 1);
        assert_eq!(a.allowed[0].0.name(), "A");
        assert!(analyze(&[doc("p", json!(null))]).allowed.is_empty());
    }

    #[test]
    fn documents_decode_encoded_or_plain() {
        let plain = r#"{"Version":"2012-10-17","Statement":[]}"#;
        let encoded = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D";
        assert_eq!(
            decode_document(plain).unwrap(),
            decode_document(encoded).unwrap()
        );
        assert!(decode_document("%7Bnope").unwrap_err().contains("not JSON"));
    }

    #[test]
    fn generated_policies() {
        let p = primary_policy(
            &[
                arn("arn:aws:iam::222222222222:role/A"),
                arn("arn:aws:iam::333333333333:role/x/B"),
            ],
            false,
        );
        assert_eq!(p["Version"], "2012-10-17");
        assert_eq!(
            p["Statement"][0]["Resource"],
            json!([
                "arn:aws:iam::222222222222:role/A",
                "arn:aws:iam::333333333333:role/x/B"
            ])
        );
        // What the generator writes, the analyzer reads back.
        let a = analyze(&[doc("generated", p)]);
        assert_eq!(a.assumable().len(), 2);
        assert!(a.warnings().is_empty());

        let t = trust_policy(
            "arn:aws:iam::111111111111:role/Ir",
            Some("ext-1"),
            true,
            false,
        );
        assert_eq!(
            t["Statement"][0]["Principal"]["AWS"],
            "arn:aws:iam::111111111111:role/Ir"
        );
        assert_eq!(
            t["Statement"][0]["Condition"]["StringEquals"]["sts:ExternalId"],
            "ext-1"
        );
        assert_eq!(
            t["Statement"][0]["Condition"]["Bool"]["aws:MultiFactorAuthPresent"],
            "true"
        );
        let plain = trust_policy("arn:aws:iam::111111111111:user/u", None, false, false);
        assert_eq!(plain["Statement"][0]["Action"], json!("sts:AssumeRole"));
        let with = trust_policy("arn:aws:iam::111111111111:user/u", None, false, true);
        assert_eq!(
            with["Statement"][0]["Action"],
            json!(["sts:AssumeRole", "sts:SetSourceIdentity"])
        );
        assert!(plain["Statement"][0].get("Condition").is_none());
    }
}
