//! The certificate authorities every HTTPS call trusts besides the system's: the PEM file named
//! by `AWS_CA_BUNDLE`, else by the selected profile's `ca_bundle` key, as the AWS CLI reads them.
//! Behind a TLS-inspecting proxy, the proxy's CA certificate goes there.
//!
//! Read once per process, before any call ([`init`]); the SDK's HTTP client and the console
//! sign-in's both trust what it holds.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;

/// The environment variable, as the AWS CLI names it.
pub const ENV: &str = "AWS_CA_BUNDLE";
/// The profile key, as the AWS CLI names it.
pub const PROFILE_KEY: &str = "ca_bundle";

/// Where the bundle was named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// `AWS_CA_BUNDLE`.
    Env,
    /// The `ca_bundle` key of this AWS profile.
    Profile(String),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Env => f.write_str(ENV),
            Source::Profile(p) => write!(f, "{PROFILE_KEY} of AWS profile \"{p}\""),
        }
    }
}

/// A CA bundle, read and checked: every certificate in it can be trusted as a root.
#[derive(Debug)]
pub struct CaBundle {
    pub path: PathBuf,
    pub source: Source,
    /// Each certificate's PEM section, as the file has it.
    pem: Vec<Vec<u8>>,
    der: Vec<CertificateDer<'static>>,
}

impl CaBundle {
    /// Reads the bundle at `path`; the errors name the file and where it was named.
    pub fn read(path: &Path, source: Source) -> Result<CaBundle, String> {
        let bytes = std::fs::read(path).map_err(|e| {
            format!(
                "cannot read the CA bundle {} ({source}): {e}; {source} must name a PEM file of \
                 the certificate authorities to trust (behind a TLS-inspecting proxy, its CA \
                 certificate)",
                path.display()
            )
        })?;
        CaBundle::parse(path, source, &bytes)
    }

    /// Checks a bundle's text: PEM, with at least one certificate, each of which can be a root.
    /// Sections other than certificates (a key, a CRL) are passed over, as the AWS CLI does.
    pub fn parse(path: &Path, source: Source, bytes: &[u8]) -> Result<CaBundle, String> {
        let fail = |what: String| {
            format!(
                "the CA bundle {} ({source}) {what}",
                path.display(),
                source = source
            )
        };
        let mut pem = Vec::new();
        let mut der = Vec::new();
        let mut roots = rustls::RootCertStore::empty();
        for (n, section) in certificate_sections(bytes).enumerate() {
            let n = n + 1;
            let cert = CertificateDer::from_pem_slice(section).map_err(|e| {
                fail(format!(
                    "has a certificate (the {}) that is not valid PEM: {e}",
                    ordinal(n)
                ))
            })?;
            roots.add(cert.clone()).map_err(|e| {
                fail(format!(
                    "has a certificate (the {}) that cannot be a certificate authority: {e}",
                    ordinal(n)
                ))
            })?;
            pem.push(section.to_vec());
            der.push(cert);
        }
        if der.is_empty() {
            return Err(fail(
                "holds no certificate: it must be PEM, with one or more \
                 -----BEGIN CERTIFICATE----- sections (the certificate authorities to trust)"
                    .into(),
            ));
        }
        Ok(CaBundle {
            path: path.to_path_buf(),
            source,
            pem,
            der,
        })
    }

    /// How many certificates it holds.
    pub fn len(&self) -> usize {
        self.der.len()
    }

    pub fn is_empty(&self) -> bool {
        self.der.is_empty()
    }

    /// Each certificate as PEM (what the SDK's HTTP client takes).
    pub(crate) fn pem(&self) -> impl Iterator<Item = &[u8]> {
        self.pem.iter().map(Vec::as_slice)
    }

    /// Each certificate as DER (what the console sign-in's client takes).
    pub(crate) fn der(&self) -> impl Iterator<Item = &[u8]> {
        self.der.iter().map(|c| c.as_ref())
    }
}

impl fmt::Display for CaBundle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the CA bundle {} ({})", self.path.display(), self.source)
    }
}

/// "1st", "2nd", …
fn ordinal(n: usize) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// Each `-----BEGIN CERTIFICATE-----` … `-----END CERTIFICATE-----` of `bytes` (an unended one
/// runs to the end, so it is read, and refused, rather than passed over).
fn certificate_sections(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    const BEGIN: &[u8] = b"-----BEGIN CERTIFICATE-----";
    const END: &[u8] = b"-----END CERTIFICATE-----";
    let mut rest = bytes;
    std::iter::from_fn(move || {
        let start = memchr::memmem::find(rest, BEGIN)?;
        let from = &rest[start..];
        let len = memchr::memmem::find(&from[BEGIN.len()..], END)
            .map(|e| BEGIN.len() + e + END.len())
            .unwrap_or(from.len());
        let (section, after) = from.split_at(len);
        rest = after;
        Some(section)
    })
}

/// Where the bundle is named for `profile` (else `AWS_PROFILE`, else `default`): `AWS_CA_BUNDLE`
/// wins over the profile's `ca_bundle`, as in the AWS CLI. No file is read but the AWS config.
pub fn locate(profile: Option<&str>) -> Result<Option<(PathBuf, Source)>, String> {
    let home = |p: &str, source: &Source| {
        super::profiles::expand_home(p)
            .ok_or_else(|| format!("{source} names {p}, but there is no home directory (HOME)"))
    };
    if let Some(p) = std::env::var(ENV).ok().filter(|v| !v.trim().is_empty()) {
        return home(p.trim(), &Source::Env).map(|path| Some((path, Source::Env)));
    }
    let profile = profile
        .map(str::to_string)
        .or_else(|| std::env::var("AWS_PROFILE").ok().filter(|v| !v.is_empty()))
        .unwrap_or_else(|| "default".into());
    // AWS config files rolecall cannot parse (the SDK may still): said, and no bundle from them,
    // rather than no start.
    let files = match super::profiles::ProfileFiles::read() {
        Ok(f) => f,
        Err(e) => {
            tracing::warn!("{PROFILE_KEY} of AWS profile \"{profile}\" not read: {e}");
            return Ok(None);
        }
    };
    match files.value(&profile, PROFILE_KEY) {
        Some(p) => {
            let source = Source::Profile(profile.clone());
            home(p, &source).map(|path| Some((path, source)))
        }
        None => Ok(None),
    }
}

/// Reads the bundle named for `profile` ([`locate`]), if one is.
pub fn load(profile: Option<&str>) -> Result<Option<CaBundle>, String> {
    match locate(profile)? {
        Some((path, source)) => CaBundle::read(&path, source).map(Some),
        None => Ok(None),
    }
}

static BUNDLE: OnceLock<Result<Option<Arc<CaBundle>>, String>> = OnceLock::new();

/// Reads the process's bundle, once: the first call's `profile` (the one rolecall runs as) is
/// the one read; later calls return what it found. Called at start-up, so that a bundle that
/// cannot be used is said before any call is made.
pub fn init(profile: Option<&str>) -> Result<Option<Arc<CaBundle>>, String> {
    BUNDLE
        .get_or_init(|| load(profile).map(|b| b.map(Arc::new)))
        .clone()
}

/// The process's bundle ([`init`] with the environment's profile if nothing read it yet). One
/// that could not be read is left out here: start-up already said why.
pub fn current() -> Option<Arc<CaBundle>> {
    init(None).unwrap_or_else(|e| {
        tracing::warn!("no CA bundle: {e}");
        None
    })
}

/// The bundle in use, if it was read already (without reading it).
pub fn in_use() -> Option<Arc<CaBundle>> {
    BUNDLE
        .get()
        .and_then(|b| b.as_ref().ok().cloned().flatten())
}

#[cfg(test)]
mod tests {
    use super::*;

    // A self-signed CA (openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256).
    const CA: &str = "-----BEGIN CERTIFICATE-----
MIIBjTCCATOgAwIBAgIUOXmJaFg4PZhytexV+HTCc57wiAcwCgYIKoZIzj0EAwIw
GzEZMBcGA1UEAwwQcm9sZWNhbGwgdGVzdCBDQTAgFw0yNjEyMDUwMjQ0NDZaGA8y
MTI2MTExMTAyNDQ0NlowGzEZMBcGA1UEAwwQcm9sZWNhbGwgdGVzdCBDQTBZMBMG
ByqGSM49AgEGCCqGSM49AwEHA0IABNRc3hDzMsvo0p3SFO2cRA78meGEFfrhkY5q
E0N6OZsfzH9/xzjJs/0KsF9PMEQA/WUlm0JHp4NkrAN8woF4tiSjUzBRMB0GA1Ud
DgQWBBSJpaHj21fxMAXcD4RHI6Y2wDW8VjAfBgNVHSMEGDAWgBSJpaHj21fxMAXc
D4RHI6Y2wDW8VjAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0gAMEUCIQDI
neCSR4WVyvaAFVHBFgSnQ7XDuaA0XWJF+MG9v4o+KwIgSFv9Of9Vtprm6n2r9uiv
ygiHw1E9hN5KcRDA9vpMyUo=
-----END CERTIFICATE-----
";

    fn parse(text: &str) -> Result<CaBundle, String> {
        CaBundle::parse(Path::new("/x/ca.pem"), Source::Env, text.as_bytes())
    }

    #[test]
    fn every_certificate_of_a_bundle_is_kept_and_other_sections_passed_over() {
        let text = format!("# the proxy's CA\n{CA}-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n{CA}");
        let b = parse(&text).unwrap();
        assert_eq!(b.len(), 2);
        assert_eq!(b.pem().next().unwrap(), CA.trim_end().as_bytes());
        assert_eq!(b.to_string(), "the CA bundle /x/ca.pem (AWS_CA_BUNDLE)");
    }

    #[test]
    fn sections_are_found_among_other_text() {
        let text = format!("junk\n{CA}\n# a comment\n{CA}-----BEGIN CERTIFICATE-----\nAAAA");
        let sections: Vec<_> = certificate_sections(text.as_bytes()).collect();
        assert_eq!(sections.len(), 3);
        assert!(sections[0].starts_with(b"-----BEGIN CERTIFICATE-----"));
        assert!(sections[0].ends_with(b"-----END CERTIFICATE-----"));
        assert_eq!(sections[2], b"-----BEGIN CERTIFICATE-----\nAAAA");
    }

    #[test]
    fn a_file_without_a_certificate_is_refused_naming_it_and_the_variable() {
        for text in [
            "",
            "not a certificate\n",
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        ] {
            let e = parse(text).unwrap_err();
            assert!(e.contains("/x/ca.pem"), "{e}");
            assert!(e.contains("AWS_CA_BUNDLE"), "{e}");
            assert!(e.contains("holds no certificate"), "{e}");
        }
    }

    #[test]
    fn a_broken_certificate_is_refused_saying_which() {
        let e = parse("-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n").unwrap_err();
        assert!(e.contains("the 1st") && e.contains("not valid PEM"), "{e}");
        // Valid base64, but not a certificate.
        let e =
            parse("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n").unwrap_err();
        assert!(e.contains("cannot be a certificate authority"), "{e}");
        assert!(e.contains("/x/ca.pem (AWS_CA_BUNDLE)"), "{e}");
    }

    #[test]
    fn the_source_is_named_as_the_aws_cli_names_it() {
        assert_eq!(Source::Env.to_string(), "AWS_CA_BUNDLE");
        assert_eq!(
            Source::Profile("corp".into()).to_string(),
            "ca_bundle of AWS profile \"corp\""
        );
        assert_eq!(ordinal(1), "1st");
        assert_eq!(ordinal(12), "12th");
        assert_eq!(ordinal(23), "23rd");
    }

    #[test]
    fn an_unreadable_file_is_refused_naming_it() {
        let e = CaBundle::read(
            Path::new("/nonexistent/rolecall-ca.pem"),
            Source::Profile("corp".into()),
        )
        .unwrap_err();
        assert!(
            e.contains("cannot read the CA bundle /nonexistent/rolecall-ca.pem"),
            "{e}"
        );
        assert!(e.contains("ca_bundle of AWS profile \"corp\""), "{e}");
    }
}
