//! One error type for every AWS call rolecall makes: what failed, on what, why, and what to check.

use std::fmt;

use aws_sdk_sts::config::http::HttpResponse;
use aws_sdk_sts::error::{ProvideErrorMetadata, SdkError};

/// What kind of failure this was, as far as a responder needs to know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    AccessDenied,
    ExpiredToken,
    InvalidCredentials,
    NoCredentials,
    Throttled,
    Timeout,
    Network,
    RegionDisabled,
    /// A role that needs an MFA code, where none can be asked for.
    NeedsMfa,
    /// The service is not enabled where it was asked (Security Hub, GuardDuty): a place named,
    /// not a failure.
    NotEnabled,
    Other,
}

impl ErrorKind {
    /// A word for summaries when AWS gave no error code.
    pub fn word(self) -> &'static str {
        match self {
            ErrorKind::AccessDenied => "AccessDenied",
            ErrorKind::ExpiredToken => "ExpiredToken",
            ErrorKind::InvalidCredentials => "InvalidCredentials",
            ErrorKind::NoCredentials => "NoCredentials",
            ErrorKind::Throttled => "Throttled",
            ErrorKind::Timeout => "Timeout",
            ErrorKind::Network => "Network",
            ErrorKind::RegionDisabled => "RegionDisabled",
            ErrorKind::NeedsMfa => "MFA",
            ErrorKind::NotEnabled => "NotEnabled",
            ErrorKind::Other => "Other",
        }
    }
}

/// A failed AWS call. `Display` is one line; `hint` says what to check.
#[derive(Debug, Clone, thiserror::Error)]
pub struct AwsError {
    pub kind: ErrorKind,
    /// The API operation, e.g. `AssumeRole` or `DescribeInstances`.
    pub operation: &'static str,
    /// What it was called on: a role ARN, `region eu-west-1`, the primary identity.
    pub target: String,
    /// The service's error code, when the service answered.
    pub code: Option<String>,
    pub message: String,
    pub hint: Option<String>,
}

impl fmt::Display for AwsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.kind == ErrorKind::NotEnabled {
            // Not a failure: what is not there, and where.
            write!(f, "{}: ", self.target)?;
        } else {
            write!(f, "{} on {} failed: ", self.operation, self.target)?;
        }
        if let Some(code) = &self.code {
            write!(f, "{code}: ")?;
        }
        // Keep it one line whatever the service sent.
        let msg: String = self
            .message
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        f.write_str(&msg)
    }
}

impl AwsError {
    pub fn new(kind: ErrorKind, operation: &'static str, target: impl Into<String>) -> Self {
        let mut e = AwsError {
            kind,
            operation,
            target: target.into(),
            code: None,
            message: String::new(),
            hint: None,
        };
        e.hint = default_hint(&e);
        e
    }

    pub fn with_message(mut self, message: impl Into<String>) -> Self {
        self.message = message.into();
        self
    }

    pub fn with_code(mut self, code: impl Into<String>) -> Self {
        self.code = Some(code.into());
        self
    }

    /// The service's error code, or a word for the kind when there is none.
    pub fn code_or_kind(&self) -> String {
        self.code
            .clone()
            .unwrap_or_else(|| self.kind.word().to_string())
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Classifies an SDK error. `target` names what the call was about.
    pub fn from_sdk<E>(
        err: SdkError<E, HttpResponse>,
        operation: &'static str,
        target: String,
    ) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        // A connection refused for the server's certificate (a TLS-inspecting proxy's, most
        // often): said as that, with what to set, rather than as a network failure.
        if let Some(problem) = certificate_problem(&err) {
            return AwsError::new(ErrorKind::Network, operation, target)
                .with_message(problem.message())
                .with_hint(problem.hint());
        }
        // Only errors without a response body are shown in full: a body that failed to parse
        // may hold credentials (an AssumeRole answer), so it never reaches a message.
        let (kind, code, message) = match &err {
            SdkError::ServiceError(se) => {
                // Some AWS-compatible endpoints (moto's STS among them) nest the error one level
                // deeper than the SDK's parser looks; read just Code and Message from the body then.
                let raw = se.raw().body().bytes().map(String::from_utf8_lossy);
                let code = se
                    .err()
                    .code()
                    .map(str::to_string)
                    .or_else(|| raw.as_deref().and_then(|b| xml_element(b, "Code")));
                let message = se
                    .err()
                    .message()
                    .map(str::to_string)
                    .or_else(|| raw.as_deref().and_then(|b| xml_element(b, "Message")))
                    .unwrap_or_else(|| {
                        format!(
                            "the endpoint answered HTTP {} without an AWS error in the body",
                            se.raw().status().as_u16()
                        )
                    });
                (kind_from_code(code.as_deref()), code, message)
            }
            SdkError::ResponseError(re) => {
                // An endpoint that answers a JSON-protocol service (Organizations) with an XML
                // error, as moto does for IAM refusals: its Code and Message still say what
                // happened.
                let raw = re.raw().body().bytes().map(String::from_utf8_lossy);
                let code = raw.as_deref().and_then(|b| xml_element(b, "Code"));
                let message = raw.as_deref().and_then(|b| xml_element(b, "Message"));
                match (code, message) {
                    (Some(code), Some(message)) => {
                        (kind_from_code(Some(&code)), Some(code), message)
                    }
                    _ => (
                        ErrorKind::Other,
                        None,
                        format!(
                            "the answer (HTTP {}) could not be read",
                            re.raw().status().as_u16()
                        ),
                    ),
                }
            }
            SdkError::TimeoutError(_) => (ErrorKind::Timeout, None, "no answer in time".into()),
            SdkError::DispatchFailure(d) if d.is_timeout() => {
                (ErrorKind::Timeout, None, "connection timed out".into())
            }
            _ => {
                let full = error_chain(&err);
                let kind = if looks_like_missing_credentials(&full) {
                    ErrorKind::NoCredentials
                } else if matches!(err, SdkError::DispatchFailure(_)) {
                    ErrorKind::Network
                } else {
                    ErrorKind::Other
                };
                (kind, None, full)
            }
        };
        let mut e = AwsError::new(kind, operation, target).with_message(message);
        e.code = code;
        e.hint = default_hint(&e);
        e
    }
}

/// An error and its sources as one line, without the SDK's generic layers ("dispatch failure",
/// "other") and without `Debug` dumps of requests or responses.
pub fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cur = Some(err);
    while let Some(e) = cur {
        let text = e.to_string();
        let generic = matches!(
            text.as_str(),
            "dispatch failure" | "other" | "io" | "timeout"
        );
        if !generic && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        cur = e.source();
    }
    parts.join(": ")
}

/// Why a server's TLS certificate was refused: what rustls said of it, in the terms of what to do.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CertificateProblem {
    /// rustls' words for it (`invalid peer certificate: UnknownIssuer`).
    pub detail: String,
    pub cause: CertificateCause,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum CertificateCause {
    /// Signed by no certificate authority trusted here: a TLS-inspecting proxy's, most often.
    #[default]
    Issuer,
    /// For another host name.
    Name,
    /// Out of date, or not yet valid.
    Time,
    /// Anything else (revoked, unreadable).
    Other,
}

impl CertificateProblem {
    /// One line: the problem, and for an unknown issuer what to set.
    pub fn message(&self) -> String {
        let detail = &self.detail;
        match self.cause {
            CertificateCause::Issuer => match super::ca_bundle::in_use() {
                None => format!(
                    "the server's TLS certificate is not trusted ({detail}: signed by a certificate \
                     authority not trusted here); behind a TLS-inspecting proxy, set {} (or {} in \
                     the AWS profile) to the proxy's CA certificate (PEM)",
                    super::ca_bundle::ENV,
                    super::ca_bundle::PROFILE_KEY
                ),
                Some(bundle) => format!(
                    "the server's TLS certificate is not trusted ({detail}: signed by a certificate \
                     authority not trusted here, though {bundle} is in use); behind a \
                     TLS-inspecting proxy, that file must hold the proxy's CA certificate (PEM)"
                ),
            },
            CertificateCause::Name => format!(
                "the server's TLS certificate is not for the host asked for ({detail})"
            ),
            CertificateCause::Time => format!(
                "the server's TLS certificate is out of date ({detail})"
            ),
            CertificateCause::Other => {
                format!("the server's TLS certificate is not accepted ({detail})")
            }
        }
    }

    /// What to check.
    pub fn hint(&self) -> String {
        match self.cause {
            CertificateCause::Issuer => format!(
                "{} (or {} in ~/.aws/config) names a PEM file of certificate authorities trusted \
                 besides the system's, as the AWS CLI reads it; the proxy's CA certificate is the \
                 one your organisation installs in browsers",
                super::ca_bundle::ENV,
                super::ca_bundle::PROFILE_KEY
            ),
            CertificateCause::Name => {
                "check AWS_ENDPOINT_URL (and [console] federation_endpoint): the server answering is not the one named".into()
            }
            CertificateCause::Time => {
                "check this machine's clock; behind a TLS-inspecting proxy, the proxy's certificate may be the one out of date".into()
            }
            CertificateCause::Other => {
                "check the endpoint (AWS_ENDPOINT_URL) and, behind a TLS-inspecting proxy, the CA bundle (AWS_CA_BUNDLE)".into()
            }
        }
    }
}

/// When `err` (or an error under it) is a TLS handshake refused for the server's certificate:
/// why. Read from rustls' own error where the chain carries it (an `io::Error` holds it), else
/// from its words.
pub fn certificate_problem(err: &(dyn std::error::Error + 'static)) -> Option<CertificateProblem> {
    use rustls::CertificateError as C;
    let mut cur = Some(err);
    while let Some(e) = cur {
        let tls = e.downcast_ref::<rustls::Error>().or_else(|| {
            e.downcast_ref::<std::io::Error>()
                .and_then(|io| io.get_ref())
                .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        });
        if let Some(rustls::Error::InvalidCertificate(c)) = tls {
            let cause = match c {
                C::UnknownIssuer | C::BadSignature => CertificateCause::Issuer,
                C::NotValidForName | C::NotValidForNameContext { .. } => CertificateCause::Name,
                C::Expired
                | C::ExpiredContext { .. }
                | C::NotValidYet
                | C::NotValidYetContext { .. } => CertificateCause::Time,
                _ => CertificateCause::Other,
            };
            return Some(CertificateProblem {
                detail: format!("invalid peer certificate: {c}"),
                cause,
            });
        }
        let text = e.to_string();
        if let Some(at) = text.find("invalid peer certificate") {
            let detail = text[at..].to_string();
            let cause = if detail.contains("UnknownIssuer") || detail.contains("BadSignature") {
                CertificateCause::Issuer
            } else {
                CertificateCause::Other
            };
            return Some(CertificateProblem { detail, cause });
        }
        cur = e.source();
    }
    None
}

/// The text of the first `<name>…</name>` in an XML error body, if it is short and plain.
fn xml_element(body: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let start = body.find(&open)? + open.len();
    let end = start + body[start..].find(&format!("</{name}>"))?;
    let text = body[start..end].trim();
    (!text.is_empty() && text.len() <= 1024 && !text.contains('<')).then(|| text.to_string())
}

fn looks_like_missing_credentials(text: &str) -> bool {
    let t = text.to_ascii_lowercase();
    t.contains("no credentials")
        || t.contains("credential provider")
        || t.contains("credentials provider")
        || t.contains("loading credentials")
        || t.contains("failed to load credentials")
}

/// Maps service error codes (they differ between services) to a kind.
pub fn kind_from_code(code: Option<&str>) -> ErrorKind {
    match code.unwrap_or("") {
        "AccessDenied"
        | "AccessDeniedException"
        | "UnauthorizedOperation"
        | "UnauthorizedAccess" => ErrorKind::AccessDenied,
        "ExpiredToken" | "ExpiredTokenException" | "RequestExpired" | "TokenRefreshRequired" => {
            ErrorKind::ExpiredToken
        }
        "InvalidClientTokenId"
        | "AuthFailure"
        | "SignatureDoesNotMatch"
        | "UnrecognizedClientException"
        | "InvalidAccessKeyId"
        | "InvalidToken" => ErrorKind::InvalidCredentials,
        "Throttling"
        | "ThrottlingException"
        | "RequestLimitExceeded"
        | "TooManyRequestsException"
        | "RequestThrottled" => ErrorKind::Throttled,
        "OptInRequired" | "RegionDisabledException" => ErrorKind::RegionDisabled,
        _ => ErrorKind::Other,
    }
}

fn default_hint(e: &AwsError) -> Option<String> {
    let s = match e.kind {
        ErrorKind::AccessDenied => format!(
            "the credentials used for {} are not allowed to call {}: check the identity policy of the caller (`rolecall doctor ROLE` checks each step)",
            e.target, e.operation
        ),
        ErrorKind::ExpiredToken if matches!(e.operation, "AssumeRole" | "GetCallerIdentity") => {
            "the primary credentials have expired: renew them (aws sso login, a new MFA session, fresh keys in the environment) and try again".into()
        }
        ErrorKind::ExpiredToken => {
            "the role's session has expired: assume the role again (in the TUI, Enter on the role; the CLI assumes anew each run)".into()
        }
        ErrorKind::InvalidCredentials => {
            "the credentials are not valid here: check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE), and that the key was not deleted or rotated".into()
        }
        ErrorKind::NoCredentials => {
            "no AWS credentials were found: set AWS_PROFILE (see ~/.aws/config) or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run where an instance role is attached".into()
        }
        ErrorKind::Throttled => {
            "AWS is throttling these calls (the SDK already retried): wait a moment and try again".into()
        }
        ErrorKind::Timeout => {
            "no answer in time: check the network or VPN and AWS_ENDPOINT_URL; defaults.timeout_seconds sets the limit".into()
        }
        ErrorKind::Network => {
            "could not reach the AWS endpoint: check the network, proxy settings and AWS_ENDPOINT_URL".into()
        }
        ErrorKind::RegionDisabled => {
            "this region is not enabled for the account (opt-in region): enable it, or remove it from the role's regions".into()
        }
        ErrorKind::NotEnabled => {
            "enable Security Hub (or GuardDuty) in this account and region to have its findings, or configure [findings] via to read an aggregation region".into()
        }
        ErrorKind::Other | ErrorKind::NeedsMfa => return None,
    };
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_map_to_kinds() {
        assert_eq!(
            kind_from_code(Some("AccessDenied")),
            ErrorKind::AccessDenied
        );
        assert_eq!(
            kind_from_code(Some("UnauthorizedOperation")),
            ErrorKind::AccessDenied
        );
        assert_eq!(
            kind_from_code(Some("ExpiredToken")),
            ErrorKind::ExpiredToken
        );
        assert_eq!(
            kind_from_code(Some("RequestLimitExceeded")),
            ErrorKind::Throttled
        );
        assert_eq!(
            kind_from_code(Some("OptInRequired")),
            ErrorKind::RegionDisabled
        );
        assert_eq!(
            kind_from_code(Some("InvalidClientTokenId")),
            ErrorKind::InvalidCredentials
        );
        assert_eq!(kind_from_code(Some("Bogus")), ErrorKind::Other);
        assert_eq!(kind_from_code(None), ErrorKind::Other);
    }

    #[test]
    fn error_fields_from_a_nested_body() {
        let body = r#"<?xml version="1.0"?><ErrorResponse><Errors><Error><Code>AccessDenied</Code><Message>not authorized</Message></Error></Errors></ErrorResponse>"#;
        assert_eq!(xml_element(body, "Code").as_deref(), Some("AccessDenied"));
        assert_eq!(
            xml_element(body, "Message").as_deref(),
            Some("not authorized")
        );
        assert_eq!(xml_element(body, "RequestId"), None);
        assert_eq!(xml_element("<Code><x/></Code>", "Code"), None);
    }

    #[test]
    fn a_refused_certificate_is_found_under_the_io_error_that_carries_it() {
        #[derive(Debug, thiserror::Error)]
        #[error("TLS handshake failed")]
        struct Handshake(#[source] std::io::Error);
        let refused = |c: rustls::CertificateError| {
            Handshake(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                rustls::Error::InvalidCertificate(c),
            ))
        };
        let p = certificate_problem(&refused(rustls::CertificateError::UnknownIssuer)).unwrap();
        assert_eq!(p.cause, CertificateCause::Issuer);
        assert_eq!(p.detail, "invalid peer certificate: UnknownIssuer");
        let m = p.message();
        assert!(
            m.contains("not trusted (invalid peer certificate: UnknownIssuer"),
            "{m}"
        );
        assert!(m.contains("set AWS_CA_BUNDLE (or ca_bundle in the AWS profile) to the proxy's CA certificate (PEM)"), "{m}");
        assert!(p.hint().contains("AWS_CA_BUNDLE"));
        let p = certificate_problem(&refused(rustls::CertificateError::NotValidForName)).unwrap();
        assert_eq!(p.cause, CertificateCause::Name);
        assert!(p.hint().contains("AWS_ENDPOINT_URL"));
        let p = certificate_problem(&refused(rustls::CertificateError::Expired)).unwrap();
        assert_eq!(p.cause, CertificateCause::Time);
        // Only rustls' words: still found.
        let text = std::io::Error::other("io error: invalid peer certificate: UnknownIssuer");
        let p = certificate_problem(&text).unwrap();
        assert_eq!(p.cause, CertificateCause::Issuer);
        assert_eq!(p.detail, "invalid peer certificate: UnknownIssuer");
        // Not a certificate problem.
        let other = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        assert_eq!(certificate_problem(&other), None);
    }

    #[test]
    fn display_is_one_line() {
        let e = AwsError::new(
            ErrorKind::AccessDenied,
            "AssumeRole",
            "arn:aws:iam::222222222222:role/R",
        )
        .with_message("User: x is not authorized\n  to perform sts:AssumeRole");
        let s = e.to_string();
        assert!(!s.contains('\n'));
        assert!(s.starts_with("AssumeRole on arn:aws:iam::222222222222:role/R failed"));
        assert!(e.hint.unwrap().contains("identity policy"));
    }
}
