//! Console links: the Switch Role page, and federated sign-in (the AWS federation endpoint's
//! `getSigninToken` / `login`), both landing on a console page for a region, service, instance or
//! volume, in the role's partition.
//!
//! Sign-in and the console page follow the link's region, as granted does: the region's own hosts
//! (`eu-west-1.signin.aws.amazon.com`, `eu-west-1.console.aws.amazon.com`), so console access does
//! not hang on us-east-1 during an outage there; the global hosts for a partition's home region
//! (us-east-1, us-gov-west-1, cn-north-1), which has no regional sign-in host, and for a link with
//! no region. The Switch Role page itself stays on the global sign-in host.

use std::time::Duration;

use url::Url;

use super::arn::{Partition, RoleArn};
use super::credentials::{Credentials, Secret};
use super::{AwsError, ErrorKind};

/// The colours the console's Switch Role page offers (red, orange, yellow, green, blue); a link
/// with another is ignored or refused by the page.
pub const CONSOLE_COLORS: [&str; 5] = ["F2B0A9", "FBBF93", "FAD791", "B7CA9D", "99BCE3"];

/// The console limits a switch-role display name to 64 characters.
const MAX_DISPLAY_NAME: usize = 64;

/// What `Issuer` says in a federated sign-in link: the console shows it on sign-out.
pub const ISSUER: &str = "https://github.com/rolecall";

/// A resource's page in its service's console: the `#` fragment after the service's home
/// (`#InstanceDetails:instanceId=i-…`), as its kind makes it (`crate::resources`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page(pub String);

/// Where in the console to land.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Destination {
    pub region: Option<String>,
    /// The console's name for a service: `ec2`, `s3`, `cloudtrail`… (the resource's service).
    pub service: Option<String>,
    pub resource: Option<Page>,
}

impl Destination {
    /// The console page in `partition`: the service's home in the region, or the resource's
    /// details page (`#InstanceDetails:instanceId=…`, `#VolumeDetails:volumeId=…`), on the
    /// region's console host ([`Partition::console_host_in`]).
    pub fn url(&self, partition: Partition) -> String {
        self.url_on(&partition.console_host_in(self.region.as_deref()))
    }

    /// The same page on the console host `host`.
    fn url_on(&self, host: &str) -> String {
        let service = match &self.service {
            Some(s) => s.as_str(),
            None if self.resource.is_some() => "ec2",
            None => "console",
        };
        let mut url = format!("https://{host}/{service}/home");
        if let Some(r) = &self.region {
            url.push_str("?region=");
            url.push_str(r);
        }
        if let Some(Page(fragment)) = &self.resource {
            url.push_str(fragment);
        }
        url
    }

    /// Checks what a user typed: region, service and resource id, each named in the error.
    pub fn validate(&self) -> Result<(), String> {
        if let Some(r) = &self.region {
            super::arn::validate_region(r).map_err(|e| format!("--region: {e}"))?;
        }
        if let Some(s) = &self.service {
            let ok = !s.is_empty()
                && s.len() <= 64
                && s.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            if !ok {
                return Err(format!(
                    "--service \"{s}\" is not a console service name (lower-case, like ec2, s3, cloudtrail)"
                ));
            }
        }
        match &self.resource {
            // Made by a kind from an id it checked; checked again here, as it goes into a URL.
            Some(Page(fragment)) => {
                let ok = fragment.strip_prefix('#').is_some_and(|f| {
                    !f.is_empty()
                        && f.bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b"-_:=".contains(&b))
                });
                if ok {
                    Ok(())
                } else {
                    Err(format!("\"{fragment}\" is not a console page"))
                }
            }
            None => Ok(()),
        }
    }
}

/// `https://signin.aws.amazon.com/switchrole?roleName=…&account=…&displayName=…[&color=…][&redirect_uri=…]`.
///
/// `roleName` keeps the role's path (`audit/Auditor`); the colour is only sent when it is one the
/// console offers, since others are ignored or rejected by the page. With a destination, the page
/// sends the browser there once the role is switched (on the region's console host). The page is
/// on the partition's global sign-in host: the browser is signed in there already, and the link
/// asks no endpoint for anything.
pub fn switch_role_url(
    arn: &RoleArn,
    display_name: &str,
    color: Option<&str>,
    destination: Option<&Destination>,
) -> String {
    let display: String = display_name.chars().take(MAX_DISPLAY_NAME).collect();
    let base = format!("https://{}/switchrole", arn.partition().signin_host());
    let mut params: Vec<(&str, String)> = vec![
        ("roleName", arn.name_with_path()),
        ("account", arn.account_id().to_string()),
        ("displayName", display),
    ];
    if let Some(c) = color
        .map(str::to_ascii_uppercase)
        .filter(|c| CONSOLE_COLORS.contains(&c.as_str()))
    {
        params.push(("color", c));
    }
    if let Some(d) = destination {
        params.push(("redirect_uri", d.url(arn.partition())));
    }
    match Url::parse_with_params(&base, &params) {
        Ok(u) => u.to_string(),
        // The base is built from fixed hosts; this cannot fail, but never panic over a link.
        Err(_) => base,
    }
}

/// The partition's federation endpoint for a sign-in in `region`: the region's own
/// (`https://eu-west-1.signin.aws.amazon.com/federation`), else the global one
/// (`https://signin.aws.amazon.com/federation` and the like) for the partition's home region, no
/// region, or a region outside the partition ([`Partition::signin_host_in`]).
pub fn federation_endpoint(partition: Partition, region: Option<&str>) -> Url {
    let text = format!("https://{}/federation", partition.signin_host_in(region));
    // The host is a fixed one, prefixed only with a region name that passed `validate_region`.
    Url::parse(&text).expect("a fixed, valid URL")
}

/// The federation endpoint and the console page (`Destination`) of a sign-in landing on
/// `destination`: both in the destination's region ([`federation_endpoint`], [`Destination::url`]).
/// A configured endpoint (`[console] federation_endpoint`) is used as it is, for every region; the
/// link then lands on the partition's global console host, since rolecall cannot tell which
/// region such an endpoint serves.
pub fn sign_in_target(
    partition: Partition,
    endpoint: Option<&Url>,
    destination: &Destination,
) -> (Url, String) {
    match endpoint {
        Some(endpoint) => (
            endpoint.clone(),
            destination.url_on(partition.console_host()),
        ),
        None => (
            federation_endpoint(partition, destination.region.as_deref()),
            destination.url(partition),
        ),
    }
}

/// The `getSigninToken` request for a role session. It carries the credentials, so it is a
/// [`Secret`]. No `SessionDuration`: the endpoint refuses it for AssumeRole credentials, and the
/// console session then lasts as long as the role session.
pub fn signin_token_request(endpoint: &Url, credentials: &Credentials) -> Result<Secret, String> {
    let Some(token) = &credentials.session_token else {
        return Err(
            "federated sign-in needs temporary credentials with a session token (a role session)"
                .into(),
        );
    };
    let session = serde_json::json!({
        "sessionId": credentials.access_key_id,
        "sessionKey": credentials.secret_access_key.expose(),
        "sessionToken": token.expose(),
    })
    .to_string();
    let mut url = endpoint.clone();
    url.query_pairs_mut()
        .append_pair("Action", "getSigninToken")
        .append_pair("Session", &session);
    Ok(Secret::new(url.to_string()))
}

/// The sign-in link: `…/federation?Action=login&Issuer=…&Destination=…&SigninToken=…`. Whoever
/// has it is signed in as the role until it expires, so it is a [`Secret`] too.
pub fn login_url(endpoint: &Url, destination: &str, token: &Secret) -> Secret {
    let mut url = endpoint.clone();
    url.query_pairs_mut()
        .append_pair("Action", "login")
        .append_pair("Issuer", ISSUER)
        .append_pair("Destination", destination)
        .append_pair("SigninToken", token.expose());
    Secret::new(url.to_string())
}

/// What a federated sign-in gave.
#[derive(Debug, Clone)]
pub enum SignIn {
    /// The browser was started on the sign-in link.
    Opened,
    /// The sign-in link, to copy or print: it grants the role's access.
    Link(Secret),
}

/// A sign-in link for a role session: asks the federation endpoint (`endpoint`, else the
/// partition's in the destination's region, see [`sign_in_target`]) for a sign-in token, for a
/// link on the same endpoint landing on `destination`. The one sign-in flow, for the CLI and the
/// TUI; [`open`] then opens it.
pub async fn sign_in(
    role: &RoleArn,
    credentials: &Credentials,
    endpoint: Option<&Url>,
    destination: &Destination,
    timeout: Duration,
) -> Result<Secret, AwsError> {
    let (endpoint, destination) = sign_in_target(role.partition(), endpoint, destination);
    federated_login_url(&endpoint, credentials, &destination, timeout).await
}

/// Opens a sign-in link in the browser (off the async threads: the opener may block).
pub async fn open(role: &RoleArn, link: &Secret) -> Result<(), AwsError> {
    let url = link.expose().to_string();
    let opened = tokio::task::spawn_blocking(move || open_in_browser(&url))
        .await
        .unwrap_or_else(|e| Err(format!("the opener failed: {e}")));
    opened.map_err(|message| {
        AwsError::new(ErrorKind::Other, "opening the browser", role.to_string())
            .with_message(message)
            .with_hint(
                "set BROWSER to your browser's command, or take the link instead (O in the TUI, --print on the command line)",
            )
    })
}

/// Asks the federation endpoint for a sign-in token for `credentials` and returns the sign-in
/// link to `destination`. `timeout` bounds the whole exchange.
pub async fn federated_login_url(
    endpoint: &Url,
    credentials: &Credentials,
    destination: &str,
    timeout: Duration,
) -> Result<Secret, AwsError> {
    let target = endpoint_name(endpoint);
    let fail = |kind, message: String| {
        AwsError::new(kind, "getSigninToken", target.clone()).with_message(message)
    };
    let request = signin_token_request(endpoint, credentials)
        .map_err(|m| fail(ErrorKind::InvalidCredentials, m))?;
    let client = client_for(endpoint).map_err(|m| fail(ErrorKind::Other, m))?;
    let answer = client
        .get(request.expose())
        .timeout(timeout)
        .send()
        .await
        .map_err(|e| {
            // The error names no URL: the request's holds the credentials.
            let e = e.without_url();
            if e.is_timeout() {
                fail(ErrorKind::Timeout, "no answer in time".into())
            } else if let Some(problem) = super::error::certificate_problem(&e) {
                // A TLS-inspecting proxy's certificate, most often: what to set.
                fail(ErrorKind::Network, problem.message()).with_hint(problem.hint())
            } else {
                fail(
                    ErrorKind::Network,
                    format!(
                        "cannot reach the federation endpoint: {}",
                        super::error::error_chain(&e)
                    ),
                )
            }
        })?;
    let status = answer.status().as_u16();
    if status != 200 {
        return Err(fail(
            ErrorKind::Other,
            format!("the federation endpoint answered HTTP {status}"),
        )
        .with_hint(
            "the endpoint refuses sessions that expired, that come from long-term user keys, or \
             that it cannot verify: assume the role again, and check [console] federation_endpoint",
        ));
    }
    let body = answer
        .bytes()
        .await
        .map_err(|_| fail(ErrorKind::Network, "the answer was cut off".into()))?;
    #[derive(serde::Deserialize)]
    struct Answer {
        #[serde(rename = "SigninToken")]
        signin_token: String,
    }
    let answer: Answer = serde_json::from_slice(&body).map_err(|_| {
        fail(
            ErrorKind::Other,
            "the federation endpoint's answer has no SigninToken".into(),
        )
    })?;
    let token = Secret::new(answer.signin_token);
    Ok(login_url(endpoint, destination, &token))
}

/// The client that may carry a sign-in request to `endpoint`. Over HTTPS, the process's client,
/// which honours `HTTPS_PROXY` (a proxy then only relays the encrypted bytes). Plain HTTP (a
/// local stand-in for the federation endpoint) only to a loopback address, and never through a
/// proxy: the request's query holds the credentials, which a proxy would read in clear.
fn client_for(endpoint: &Url) -> Result<&'static reqwest::Client, String> {
    match endpoint.scheme() {
        "https" => super::http::client(),
        "http" if is_loopback(endpoint) => {
            static DIRECT: std::sync::OnceLock<Result<reqwest::Client, String>> =
                std::sync::OnceLock::new();
            DIRECT
                .get_or_init(|| {
                    reqwest::Client::builder()
                        .no_proxy()
                        .redirect(reqwest::redirect::Policy::none())
                        .build()
                        .map_err(|e| {
                            format!(
                                "cannot set up an HTTP client: {}",
                                super::error::error_chain(&e)
                            )
                        })
                })
                .as_ref()
                .map_err(Clone::clone)
        }
        "http" => Err(format!(
            "{} is plain http on a host that is not this machine: a sign-in request carries credentials, so plain http is only for a loopback address (127.0.0.1, ::1, localhost); use https",
            endpoint_name(endpoint)
        )),
        other => Err(format!(
            "{} uses {other}: the federation endpoint must be https (or http on a loopback address)",
            endpoint_name(endpoint)
        )),
    }
}

/// Whether `url`'s host is this machine: 127.0.0.0/8, ::1 or `localhost`.
fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// Opens `url` in the browser: `$BROWSER` (a `:`-separated list; `%s` stands for the URL) if
/// set, else the platform's opener. Nothing the browser prints reaches the terminal.
pub fn open_in_browser(url: &str) -> Result<(), String> {
    webbrowser::open(url).map_err(|e| format!("cannot open a browser ({e})"))
}

/// `scheme://host[:port]/path` of an endpoint, for messages (never its query).
fn endpoint_name(endpoint: &Url) -> String {
    let mut shown = endpoint.clone();
    shown.set_query(None);
    shown.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arn(s: &str) -> RoleArn {
        s.parse().unwrap()
    }

    #[test]
    fn plain_role_with_colour() {
        let u = switch_role_url(
            &arn("arn:aws:iam::222222222222:role/ResponderRole"),
            "prod-responder",
            Some("b7ca9d"),
            None,
        );
        assert_eq!(
            u,
            "https://signin.aws.amazon.com/switchrole?roleName=ResponderRole&account=222222222222&displayName=prod-responder&color=B7CA9D"
        );
    }

    #[test]
    fn path_and_display_name_are_encoded() {
        let u = switch_role_url(
            &arn("arn:aws:iam::333333333333:role/audit/Auditor"),
            "Auditor @ staging & co",
            None,
            None,
        );
        assert_eq!(
            u,
            "https://signin.aws.amazon.com/switchrole?roleName=audit%2FAuditor&account=333333333333&displayName=Auditor+%40+staging+%26+co"
        );
    }

    #[test]
    fn unknown_colour_is_left_out() {
        let u = switch_role_url(
            &arn("arn:aws:iam::222222222222:role/R"),
            "x",
            Some("123456"),
            None,
        );
        assert!(!u.contains("color="), "{u}");
    }

    #[test]
    fn partitions_use_their_own_host() {
        let gov = switch_role_url(
            &arn("arn:aws-us-gov:iam::222222222222:role/R"),
            "x",
            None,
            None,
        );
        assert!(
            gov.starts_with("https://signin.amazonaws-us-gov.com/switchrole?"),
            "{gov}"
        );
        let cn = switch_role_url(&arn("arn:aws-cn:iam::222222222222:role/R"), "x", None, None);
        assert!(
            cn.starts_with("https://signin.amazonaws.cn/switchrole?"),
            "{cn}"
        );
    }

    #[test]
    fn display_name_is_cut_to_64_chars() {
        let long = "é".repeat(100);
        let u = switch_role_url(&arn("arn:aws:iam::222222222222:role/R"), &long, None, None);
        let parsed = Url::parse(&u).unwrap();
        let dn = parsed
            .query_pairs()
            .find(|(k, _)| k == "displayName")
            .unwrap()
            .1
            .to_string();
        assert_eq!(dn.chars().count(), 64);
    }

    fn query(u: &str) -> Vec<(String, String)> {
        Url::parse(u)
            .unwrap()
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }

    fn instance(id: &str, region: &str) -> Destination {
        Destination {
            region: Some(region.into()),
            service: Some("ec2".into()),
            resource: Some(Page(format!("#InstanceDetails:instanceId={id}"))),
        }
    }

    #[test]
    fn destinations_in_every_partition() {
        let i = instance("i-0123456789abcdef0", "eu-west-1");
        assert_eq!(
            i.url(Partition::Aws),
            "https://eu-west-1.console.aws.amazon.com/ec2/home?region=eu-west-1#InstanceDetails:instanceId=i-0123456789abcdef0"
        );
        let v = Destination {
            region: Some("us-gov-west-1".into()),
            service: None,
            resource: Some(Page("#VolumeDetails:volumeId=vol-0123456789abcdef0".into())),
        };
        assert_eq!(
            v.url(Partition::AwsUsGov),
            "https://console.amazonaws-us-gov.com/ec2/home?region=us-gov-west-1#VolumeDetails:volumeId=vol-0123456789abcdef0"
        );
        let s = Destination {
            region: Some("cn-north-1".into()),
            service: Some("cloudtrail".into()),
            resource: None,
        };
        assert_eq!(
            s.url(Partition::AwsCn),
            "https://console.amazonaws.cn/cloudtrail/home?region=cn-north-1"
        );
        assert_eq!(
            Destination::default().url(Partition::Aws),
            "https://console.aws.amazon.com/console/home"
        );
    }

    #[test]
    fn destinations_are_checked() {
        assert!(instance("i-0123456789abcdef0", "eu-west-1")
            .validate()
            .is_ok());
        assert!(instance("i-01234567", "eu-west-1").validate().is_ok());
        let e = instance("i-x&y=z", "eu-west-1").validate().unwrap_err();
        assert!(e.contains("not a console page"), "{e}");
        let e = instance("i-01234567", "Europe").validate().unwrap_err();
        assert!(e.starts_with("--region"), "{e}");
        let mut d = instance("i-01234567", "eu-west-1");
        d.service = Some("EC2!".into());
        assert!(d.validate().unwrap_err().contains("--service"));
    }

    #[test]
    fn switch_role_link_carries_the_destination() {
        let d = instance("i-0123456789abcdef0", "eu-west-1");
        let u = switch_role_url(
            &arn("arn:aws:iam::222222222222:role/ResponderRole"),
            "prod",
            None,
            Some(&d),
        );
        let q = query(&u);
        assert_eq!(
            q.last().unwrap(),
            &("redirect_uri".to_string(), d.url(Partition::Aws))
        );
        // Encoded once: the fragment and query of the console URL do not leak into the link's.
        assert!(u.contains("redirect_uri=https%3A%2F%2Feu-west-1.console.aws.amazon.com%2Fec2%2Fhome%3Fregion%3Deu-west-1%23InstanceDetails"), "{u}");
        // The Switch Role page itself stays on the global sign-in host.
        assert!(
            u.starts_with("https://signin.aws.amazon.com/switchrole?"),
            "{u}"
        );
        assert!(!u.contains('#'), "{u}");
    }

    fn creds(token: Option<&str>) -> Credentials {
        Credentials {
            access_key_id: "ASIAEXAMPLE".into(),
            secret_access_key: Secret::new("se/cr+et=key"),
            session_token: token.map(Secret::new),
            expiration: None,
        }
    }

    #[test]
    fn signin_token_request_holds_the_session_as_json() {
        let endpoint = federation_endpoint(Partition::Aws, None);
        let req = signin_token_request(&endpoint, &creds(Some("tok&en=="))).unwrap();
        assert_eq!(format!("{req:?}"), "Secret(** redacted **)");
        let url = req.expose();
        assert!(
            url.starts_with(
                "https://signin.aws.amazon.com/federation?Action=getSigninToken&Session="
            ),
            "{url}"
        );
        assert!(!url.contains("SessionDuration"), "{url}");
        let q = query(url);
        let session: serde_json::Value = serde_json::from_str(&q[1].1).unwrap();
        assert_eq!(
            session,
            serde_json::json!({"sessionId": "ASIAEXAMPLE", "sessionKey": "se/cr+et=key", "sessionToken": "tok&en=="})
        );
        let e = signin_token_request(&endpoint, &creds(None)).unwrap_err();
        assert!(e.contains("session token"), "{e}");
    }

    #[test]
    fn login_url_per_partition() {
        for (p, host) in [
            (Partition::Aws, "signin.aws.amazon.com"),
            (Partition::AwsUsGov, "signin.amazonaws-us-gov.com"),
            (Partition::AwsCn, "signin.amazonaws.cn"),
        ] {
            let dest = instance("i-01234567", "us-east-1").url(p);
            let link = login_url(&federation_endpoint(p, None), &dest, &Secret::new("T0k+/="));
            let url = link.expose();
            assert!(
                url.starts_with(&format!("https://{host}/federation?Action=login&")),
                "{url}"
            );
            let q = query(url);
            assert_eq!(q[1], ("Issuer".into(), ISSUER.into()));
            assert_eq!(q[2], ("Destination".into(), dest));
            assert_eq!(q[3], ("SigninToken".into(), "T0k+/=".into()));
        }
    }

    /// The federation endpoint and console host of a sign-in in `region`, and the sign-in host of
    /// a switch-role link to it.
    fn hosts(p: Partition, region: Option<&str>) -> (String, String, String) {
        let d = Destination {
            region: region.map(String::from),
            service: Some("ec2".into()),
            resource: None,
        };
        let (endpoint, page) = sign_in_target(p, None, &d);
        let arn = arn(&format!("arn:{p}:iam::222222222222:role/R"));
        let switch = switch_role_url(&arn, "x", None, Some(&d));
        let host = |u: &str| Url::parse(u).unwrap().host_str().unwrap().to_string();
        assert_eq!(endpoint.path(), "/federation");
        assert_eq!(endpoint.scheme(), "https");
        (host(endpoint.as_str()), host(&page), host(&switch))
    }

    #[test]
    fn sign_in_follows_the_region() {
        for (p, region, signin, console) in [
            // aws: us-east-1 is the global hosts' region; every other region has its own.
            (
                Partition::Aws,
                Some("us-east-1"),
                "signin.aws.amazon.com",
                "console.aws.amazon.com",
            ),
            (
                Partition::Aws,
                Some("eu-west-1"),
                "eu-west-1.signin.aws.amazon.com",
                "eu-west-1.console.aws.amazon.com",
            ),
            (
                Partition::Aws,
                Some("ap-southeast-2"),
                "ap-southeast-2.signin.aws.amazon.com",
                "ap-southeast-2.console.aws.amazon.com",
            ),
            (
                Partition::Aws,
                Some("us-west-2"),
                "us-west-2.signin.aws.amazon.com",
                "us-west-2.console.aws.amazon.com",
            ),
            (
                Partition::Aws,
                None,
                "signin.aws.amazon.com",
                "console.aws.amazon.com",
            ),
            // aws-us-gov: US-West is served by the global hosts, US-East has its own.
            (
                Partition::AwsUsGov,
                Some("us-gov-west-1"),
                "signin.amazonaws-us-gov.com",
                "console.amazonaws-us-gov.com",
            ),
            (
                Partition::AwsUsGov,
                Some("us-gov-east-1"),
                "us-gov-east-1.signin.amazonaws-us-gov.com",
                "us-gov-east-1.console.amazonaws-us-gov.com",
            ),
            // aws-cn: Beijing is served by the global hosts, Ningxia has its own.
            (
                Partition::AwsCn,
                Some("cn-north-1"),
                "signin.amazonaws.cn",
                "console.amazonaws.cn",
            ),
            (
                Partition::AwsCn,
                Some("cn-northwest-1"),
                "cn-northwest-1.signin.amazonaws.cn",
                "cn-northwest-1.console.amazonaws.cn",
            ),
            // A region outside the role's partition, or of a partition rolecall does not
            // know: no regional host is made up, the partition's global ones are used.
            (
                Partition::Aws,
                Some("us-gov-east-1"),
                "signin.aws.amazon.com",
                "console.aws.amazon.com",
            ),
            (
                Partition::Aws,
                Some("cn-northwest-1"),
                "signin.aws.amazon.com",
                "console.aws.amazon.com",
            ),
            (
                Partition::AwsUsGov,
                Some("eu-west-1"),
                "signin.amazonaws-us-gov.com",
                "console.amazonaws-us-gov.com",
            ),
            (
                Partition::AwsCn,
                Some("us-east-2"),
                "signin.amazonaws.cn",
                "console.amazonaws.cn",
            ),
            (
                Partition::Aws,
                Some("us-iso-east-1"),
                "signin.aws.amazon.com",
                "console.aws.amazon.com",
            ),
            (
                Partition::Aws,
                Some("eusc-de-east-1"),
                "signin.aws.amazon.com",
                "console.aws.amazon.com",
            ),
            (
                Partition::Aws,
                Some("Europe"),
                "signin.aws.amazon.com",
                "console.aws.amazon.com",
            ),
        ] {
            let (endpoint, page, switch) = hosts(p, region);
            assert_eq!(endpoint, signin, "{p} {region:?}");
            assert_eq!(page, console, "{p} {region:?}");
            assert_eq!(
                switch,
                p.signin_host(),
                "{p} {region:?}: switch role stays global"
            );
        }
    }

    #[test]
    fn whole_regional_urls() {
        let d = instance("i-0123456789abcdef0", "eu-west-1");
        let (endpoint, page) = sign_in_target(Partition::Aws, None, &d);
        assert_eq!(
            endpoint.as_str(),
            "https://eu-west-1.signin.aws.amazon.com/federation"
        );
        assert_eq!(
            page,
            "https://eu-west-1.console.aws.amazon.com/ec2/home?region=eu-west-1#InstanceDetails:instanceId=i-0123456789abcdef0"
        );
        // getSigninToken and the login link go to the same regional endpoint.
        let req = signin_token_request(&endpoint, &creds(Some("t"))).unwrap();
        assert!(
            req.expose().starts_with(
                "https://eu-west-1.signin.aws.amazon.com/federation?Action=getSigninToken&"
            ),
            "{}",
            req.expose()
        );
        let link = login_url(&endpoint, &page, &Secret::new("T"));
        assert!(
            link.expose()
                .starts_with("https://eu-west-1.signin.aws.amazon.com/federation?Action=login&"),
            "{}",
            link.expose()
        );
        assert_eq!(query(link.expose())[2], ("Destination".into(), page));

        let home = instance("i-0123456789abcdef0", "us-east-1");
        let (endpoint, page) = sign_in_target(Partition::Aws, None, &home);
        assert_eq!(
            endpoint.as_str(),
            "https://signin.aws.amazon.com/federation"
        );
        assert_eq!(
            page,
            "https://console.aws.amazon.com/ec2/home?region=us-east-1#InstanceDetails:instanceId=i-0123456789abcdef0"
        );
        assert_eq!(
            federation_endpoint(Partition::AwsUsGov, Some("us-gov-east-1")).as_str(),
            "https://us-gov-east-1.signin.amazonaws-us-gov.com/federation"
        );
        assert_eq!(
            federation_endpoint(Partition::AwsCn, Some("cn-north-1")).as_str(),
            "https://signin.amazonaws.cn/federation"
        );
    }

    #[test]
    fn a_configured_endpoint_overrides_every_region() {
        let configured = Url::parse("http://127.0.0.1:8080/federation").unwrap();
        for region in ["eu-west-1", "us-east-1"] {
            let d = instance("i-01234567", region);
            let (endpoint, page) = sign_in_target(Partition::Aws, Some(&configured), &d);
            assert_eq!(endpoint, configured);
            assert_eq!(
                page,
                format!("https://console.aws.amazon.com/ec2/home?region={region}#InstanceDetails:instanceId=i-01234567")
            );
        }
    }

    #[tokio::test]
    async fn plain_http_sign_in_only_to_this_machine_and_never_through_a_proxy() {
        for ok in [
            "http://127.0.0.1:9/federation",
            "http://127.8.0.1/federation",
            "http://[::1]:9/federation",
            "http://localhost:9/federation",
            "https://signin.aws.amazon.com/federation",
        ] {
            assert!(client_for(&Url::parse(ok).unwrap()).is_ok(), "{ok}");
        }
        for bad in [
            "http://10.0.0.1/federation",
            "http://signin.aws.amazon.com/federation",
            "http://localhost.example.com/federation",
            "ftp://127.0.0.1/federation",
        ] {
            let e = client_for(&Url::parse(bad).unwrap()).unwrap_err();
            assert!(e.contains("https"), "{bad}: {e}");
        }
        // Refused before any request: the error names the endpoint, never the credentials.
        let e = federated_login_url(
            &Url::parse("http://10.0.0.1/federation").unwrap(),
            &creds(Some("TOKEN-SECRET")),
            "https://console.aws.amazon.com/",
            Duration::from_secs(1),
        )
        .await
        .unwrap_err()
        .to_string();
        assert!(e.contains("http://10.0.0.1/federation"), "{e}");
        assert!(!e.contains("TOKEN-SECRET"), "{e}");
    }
}
