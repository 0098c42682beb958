//! Findings: where incidents start. Read from Security Hub (`GetFindings`, the ASFF format) page
//! by page over a time window (a query kind); in a region where Security Hub is not enabled,
//! from GuardDuty (`ListDetectors`, `ListFindings`, `GetFindings`) into the same rows; a region
//! with neither is named as such (not a failure: [`ErrorKind::NotEnabled`]).
//!
//! The filters (severity, workflow status, the window) are sent to AWS as its API documents them
//! *and* applied here again: the emulator's Security Hub ignores them, and a finding outside what
//! was asked for must never be shown as if it matched.
//!
//! A finding's fields are written by whoever may import findings (any product, any principal
//! with `securityhub:BatchImportFindings`): its resource is only ever *looked up* (its id checked
//! to be one of a kind's, in the finding's own account), never acted on because a finding says so.

use std::collections::BTreeMap;
use std::future::Future;

use chrono::{DateTime, Utc};
use futures::stream::Stream;
use serde::Serialize;

use super::fields::{age, column, field, joined, look, one_role_only, or_dash, time_text, Field};
use super::{About, DetailLine, Details, Kind, Lookup, Query, Reach, Resource, Window};
use crate::aws::target::{Listing, RegionFailure, RoleTarget};
use crate::aws::{AwsError, ErrorKind};

/// A finding, as Security Hub's ASFF has it (GuardDuty's own findings mapped into it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The product's id of it: an ARN for AWS's products.
    pub id: String,
    pub title: String,
    /// CRITICAL, HIGH, MEDIUM, LOW or INFORMATIONAL.
    pub severity: String,
    /// GuardDuty, Inspector, Security Hub, Config…
    pub product: String,
    pub types: Vec<String>,
    pub resources: Vec<FindingResource>,
    /// The account the finding is about.
    pub account_id: String,
    pub region: String,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
    /// NEW, NOTIFIED, RESOLVED or SUPPRESSED.
    pub workflow_status: String,
    /// ACTIVE or ARCHIVED.
    pub record_state: String,
    /// What Security Hub's BatchUpdateFindings names it by, with `id`.
    pub product_arn: String,
    pub description: String,
    /// Where rolecall read it: `securityhub`, or `guardduty` (Security Hub off).
    pub source: String,
    /// The remediation's text and link.
    pub remediation: Option<String>,
    /// The latest note on it, and who wrote it.
    pub note: Option<String>,
    pub product_fields: BTreeMap<String, String>,
}

/// A resource a finding is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FindingResource {
    /// ASFF's type: AwsEc2Instance, AwsEc2Volume, AwsEc2SecurityGroup, AwsIamUser…
    #[serde(rename = "type")]
    pub kind: String,
    /// Usually its ARN.
    pub id: String,
    pub region: String,
    /// For an access key: the user it belongs to (only when its principal is an IAM user).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// For an access key: its id, as the finding's details give it (ASFF's
    /// `Details.AwsIamAccessKey.AccessKeyId`, GuardDuty's `accessKeyDetails.accessKeyId`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_key_id: Option<String>,
}

/// The severities, severest first.
pub const SEVERITIES: [&str; 5] = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL"];
/// The workflow statuses a finding can have.
pub const STATUSES: [&str; 4] = ["NEW", "NOTIFIED", "RESOLVED", "SUPPRESSED"];

/// 4 for CRITICAL … 0 for INFORMATIONAL (and anything unknown).
pub fn severity_rank(label: &str) -> u8 {
    SEVERITIES
        .iter()
        .position(|s| *s == label)
        .map_or(0, |i| (SEVERITIES.len() - 1 - i) as u8)
}

/// What a findings listing asks for besides the window: severities and workflow statuses (empty:
/// any), always active records only. Checked words only ([`FindingFilter::parse`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FindingFilter {
    pub severities: Vec<String>,
    pub statuses: Vec<String>,
}

impl FindingFilter {
    /// `CRITICAL,high` and `NEW,NOTIFIED` as given on the command line; the error names the
    /// flag and the words it takes.
    pub fn parse(severity: Option<&str>, status: Option<&str>) -> Result<FindingFilter, String> {
        fn words(
            text: Option<&str>,
            flag: &str,
            known: &[&'static str],
        ) -> Result<Vec<String>, String> {
            let Some(text) = text else {
                return Ok(Vec::new());
            };
            let mut out = Vec::new();
            for w in text.split(',').map(str::trim) {
                let up = w.to_ascii_uppercase();
                match known.iter().find(|k| **k == up) {
                    Some(k) if !out.contains(&k.to_string()) => out.push(k.to_string()),
                    Some(_) => {}
                    None => {
                        return Err(format!(
                            "{flag} {text:?}: {w:?} is not one of {}",
                            known.join(", ")
                        ))
                    }
                }
            }
            Ok(out)
        }
        Ok(FindingFilter {
            severities: words(severity, "--severity", &SEVERITIES)?,
            statuses: words(status, "--status", &STATUSES)?,
        })
    }

    /// Whether `f` is what was asked for (over `window`): what rolecall checks on its side.
    pub fn keeps(&self, f: &Finding, window: Option<&Window>) -> bool {
        f.record_state == "ACTIVE"
            && (self.severities.is_empty() || self.severities.contains(&f.severity))
            && (self.statuses.is_empty() || self.statuses.contains(&f.workflow_status))
            && match (window, &f.updated_at) {
                (Some(w), Some(t)) => *t >= w.start && *t <= w.end,
                _ => true,
            }
    }
}

/// Orders findings severest first, then newest (then by id).
pub fn severest_first(a: &Finding, b: &Finding) -> std::cmp::Ordering {
    severity_rank(&b.severity)
        .cmp(&severity_rank(&a.severity))
        .then_with(|| b.updated_at.cmp(&a.updated_at))
        .then_with(|| a.id.cmp(&b.id))
}

/// "TTPs/Command and Control/CryptoCurrency:EC2-BitcoinTool.B!DNS" → its last part.
fn short_type(t: &str) -> &str {
    t.rsplit('/').next().unwrap_or(t)
}

/// The last part of an ARN's resource (`…:instance/i-0abc` → `i-0abc`) or of ASFF's other ids
/// (`AWS::IAM::AccessKey:AKIA…` → `AKIA…`), or the id as it is.
fn short_id(id: &str) -> &str {
    if id.starts_with("arn:") || id.starts_with("AWS::") {
        id.rsplit(['/', ':']).next().unwrap_or(id)
    } else {
        id
    }
}

/// An access key resource's key id: the details' own, else the last part of its id (ASFF's
/// `AWS::IAM::AccessKey:AKIA…`, or the bare key id GuardDuty's mapping gives).
fn access_key_of(r: &FindingResource) -> Option<String> {
    r.access_key_id
        .clone()
        .or_else(|| r.id.rsplit([':', '/']).next().map(str::to_string))
        .filter(|k| !k.is_empty())
}

impl FindingResource {
    /// "Ec2Instance i-0abc".
    pub fn text(&self) -> String {
        let t = self.kind.strip_prefix("Aws").unwrap_or(&self.kind);
        format!("{t} {}", short_id(&self.id))
    }
}

/// Where Enter on a finding goes: the kind that lists its resource (by its command, so kinds
/// added later are found), the resource's id as that kind has it, and its region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opens {
    pub kind: Kind,
    pub id: String,
    pub region: String,
}

impl Finding {
    /// The first resource rolecall has a kind for, with an id that kind accepts, in the
    /// finding's own account: what Enter opens. `None`: only the finding (and its console link).
    pub fn opens(&self) -> Option<Opens> {
        self.resources.iter().find_map(|r| {
            // An ARN naming another account than the finding's is not followed.
            if let Some(account) = r.id.strip_prefix("arn:").and_then(|a| a.split(':').nth(3)) {
                if !account.is_empty() && account != self.account_id {
                    return None;
                }
            }
            let region = if r.region.is_empty() {
                self.region.clone()
            } else {
                r.region.clone()
            };
            crate::aws::arn::validate_region(&region).ok()?;
            // Where each resource type is listed, best first: an access key's own row (the
            // access-keys table lists users' long-term keys, AKIA…), else (a session's key,
            // ASIA…, which no table lists) its user's.
            let candidates: Vec<(&str, Option<String>)> = match r.kind.as_str() {
                "AwsEc2Instance" => vec![("instances", Some(short_id(&r.id).to_string()))],
                "AwsEc2Volume" => vec![("volumes", Some(short_id(&r.id).to_string()))],
                "AwsEc2SecurityGroup" => {
                    vec![("security-groups", Some(short_id(&r.id).to_string()))]
                }
                // arn:aws:iam::222222222222:user/automation/ci-deploy: the name is its last part.
                "AwsIamUser" => vec![("users", Some(short_id(&r.id).to_string()))],
                "AwsIamRole" => vec![("iam-roles", Some(short_id(&r.id).to_string()))],
                "AwsIamAccessKey" => vec![
                    (
                        "access-keys",
                        access_key_of(r).filter(|k| k.starts_with("AKIA")),
                    ),
                    ("users", r.user.clone()),
                ],
                _ => return None,
            };
            candidates.into_iter().find_map(|(command, id)| {
                let id = id?;
                let kind = Kind::named(command)?;
                // The kind's own check of its ids: a finding's text never becomes a path or
                // call unchecked.
                kind.spec().console_page(&id).ok()?;
                Some(Opens {
                    kind,
                    id,
                    region: region.clone(),
                })
            })
        })
    }

    /// What the case log records of the finding that opened an investigation.
    pub fn record_params(&self) -> serde_json::Value {
        serde_json::json!({
            "finding_id": self.id,
            "product_arn": self.product_arn,
            "title": self.title,
            "severity": self.severity,
            "account_id": self.account_id,
            "region": self.region,
            "resources": self.resources,
        })
    }
}

fn resources_text(rs: &[FindingResource]) -> String {
    rs.iter()
        .map(|r| format!("{} {} {}", r.kind, r.id, r.region))
        .collect::<Vec<_>>()
        .join(";")
}

fn first_resource(f: &Finding) -> String {
    match f.resources.as_slice() {
        [] => "-".into(),
        [one] => one.text(),
        [one, more @ ..] => format!("{} +{}", one.text(), more.len()),
    }
}

impl Resource for Finding {
    const KIND: Kind = Kind::Findings;
    const ABOUT: About = About {
        one: "finding",
        noun: "findings",
        command: "findings",
        aliases: &["finding", "fi"],
        key: Some('F'),
        reach: Reach::Regional,
        window: Some(std::time::Duration::from_secs(30 * 86_400)),
        id_prefix: "",
    };

    #[rustfmt::skip]
    const FIELDS: &'static [Field<Finding>] = &[
        Field { name: "severity", value: |f| f.severity.clone(),
            column: column("SEV", 8, 0, |f, _| f.severity.clone(), severest_first) },
        Field { name: "title", value: |f| f.title.clone(),
            column: look(column("TITLE", 40, 0, |f, _| or_dash(&f.title), |a, b| a.title.cmp(&b.title)), super::Look::Name) },
        Field { name: "product", value: |f| f.product.clone(),
            column: column("PRODUCT", 11, 3, |f, _| or_dash(&f.product), |a, b| a.product.cmp(&b.product)) },
        Field { name: "types", value: |f| joined(&f.types, ";"),
            column: column("TYPE", 26, 4, |f, _| or_dash(f.types.first().map_or("", |t| short_type(t))), |a, b| a.types.cmp(&b.types)) },
        Field { name: "resources", value: |f| resources_text(&f.resources),
            column: column("RESOURCE", 30, 1, |f, _| first_resource(f), |a, b| first_resource(a).cmp(&first_resource(b))) },
        Field { name: "account_id", value: |f| f.account_id.clone(),
            column: one_role_only(column("ACCOUNT", 12, 2, |f, _| or_dash(&f.account_id), |a, b| a.account_id.cmp(&b.account_id))) },
        Field { name: "region", value: |f| f.region.clone(),
            column: one_role_only(column("REGION", 12, 5, |f, _| or_dash(&f.region), |a, b| a.region.cmp(&b.region))) },
        Field { name: "updated_at", value: |f| time_text(&f.updated_at),
            column: column("UPDATED", 7, 0, |f, now| age(f.updated_at.as_ref(), now), |a, b| a.updated_at.cmp(&b.updated_at)) },
        Field { name: "workflow_status", value: |f| f.workflow_status.clone(),
            column: look(column("STATUS", 9, 2, |f, _| or_dash(&f.workflow_status), |a, b| a.workflow_status.cmp(&b.workflow_status)), super::Look::State) },
        field("id", |f| f.id.clone()),
        field("created_at", |f| time_text(&f.created_at)),
        field("record_state", |f| f.record_state.clone()),
        field("product_arn", |f| f.product_arn.clone()),
        field("description", |f| f.description.clone()),
        field("source", |f| f.source.clone()),
        field("remediation", |f| f.remediation.clone().unwrap_or_default()),
        field("note", |f| f.note.clone().unwrap_or_default()),
        field("product_fields", |f| super::fields::tags_text(&f.product_fields)),
    ];

    fn id(&self) -> &str {
        &self.id
    }

    fn region(&self) -> &str {
        &self.region
    }

    fn search_text(&self) -> String {
        let fields = [
            self.id.as_str(),
            &self.title,
            &self.severity,
            &self.product,
            &self.account_id,
            &self.region,
            &self.workflow_status,
        ];
        let resources: Vec<&str> = self
            .resources
            .iter()
            .flat_map(|r| [r.kind.as_str(), r.id.as_str(), short_id(&r.id)])
            .collect();
        super::fields::search_lines(
            fields
                .into_iter()
                .chain(self.types.iter().map(String::as_str))
                .chain(resources),
            &BTreeMap::new(),
        )
    }

    fn list(target: &RoleTarget, regions: &[String]) -> impl Future<Output = Listing<Self>> + Send {
        let query = Query {
            regions: regions.to_vec(),
            window: None,
            subject: None,
            findings: None,
        };
        async move {
            let mut all = Listing::default();
            let mut cursor = Cursor::default();
            while let Some(mut page) = cursor.next(target, &query).await {
                all.items.append(&mut page.items);
                all.failures.append(&mut page.failures);
            }
            all.items.sort_by(severest_first);
            all
        }
    }

    fn pages<'a>(
        target: &'a RoleTarget,
        query: &'a Query,
    ) -> impl Stream<Item = Listing<Self>> + Send + 'a {
        futures::stream::unfold(Cursor::default(), move |mut cursor| async move {
            let page = cursor.next(target, query).await?;
            Some((page, cursor))
        })
    }

    fn details(&self, ctx: &Lookup) -> Details {
        details(self, ctx)
    }

    fn console_page(id: &str) -> (&'static str, String) {
        // Security Hub's findings page, searching for this id.
        (
            "securityhub",
            format!(
                "#/findings?search=Id%3D%255Coperator%255C%253AEQUALS%255C%253A{}",
                percent(id)
            ),
        )
    }

    /// An ASFF id: 1 to 512 characters, letters, digits and `:/._-+=@`; never a `..` part (it
    /// goes into a console link).
    fn check_id(id: &str) -> Result<(), String> {
        crate::aws::act::ids::finding_id(id).map_err(|_| "a finding id: 1 to 512 letters, digits and :/._-+=@ (e.g. arn:aws:guardduty:us-east-1:222222222222:detector/…/finding/…)".into())
    }

    fn default_sort() -> Option<usize> {
        Some(0)
    }

    fn example() -> Self {
        let t = |s: &str| {
            DateTime::parse_from_rfc3339(s)
                .ok()
                .map(|t| t.with_timezone(&Utc))
        };
        Finding {
            id: "arn:aws:guardduty:us-east-1:222222222222:detector/6ab6e6ee780ed494f3b7ca56acdc74df/finding/0ac6e6ee7a1c4e02b5a0c2f6a0f0c001".into(),
            title: "Bitcoin-related domain name queried by EC2 instance i-0123456789abcdef0".into(),
            severity: "HIGH".into(),
            product: "GuardDuty".into(),
            types: vec!["TTPs/Command and Control/CryptoCurrency:EC2-BitcoinTool.B!DNS".into()],
            resources: vec![FindingResource {
                kind: "AwsEc2Instance".into(),
                id: "arn:aws:ec2:us-east-1:222222222222:instance/i-0123456789abcdef0".into(),
                region: "us-east-1".into(),
                user: None,
                access_key_id: None,
            }],
            account_id: "222222222222".into(),
            region: "us-east-1".into(),
            created_at: t("2026-11-22T10:00:00Z"),
            updated_at: t("2026-11-22T11:00:00Z"),
            workflow_status: "NEW".into(),
            record_state: "ACTIVE".into(),
            product_arn: "arn:aws:securityhub:us-east-1::product/aws/guardduty".into(),
            description: "EC2 instance i-0123456789abcdef0 is querying a domain name that is associated with Bitcoin-related activity.".into(),
            source: "securityhub".into(),
            remediation: None,
            note: None,
            product_fields: BTreeMap::new(),
        }
    }
}

/// Percent-encodes everything but unreserved characters (RFC 3986).
fn percent(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The whole finding: what it is (left), its resources, types, remediation and the product's
/// own fields (right).
fn details(f: &Finding, ctx: &Lookup) -> Details {
    let pair = DetailLine::pair;
    let mut left = vec![
        pair("severity", f.severity.clone()),
        pair("title", f.title.clone()),
        pair("product", f.product.clone()),
        pair("account", f.account_id.clone()),
        pair("region", f.region.clone()),
        pair("created", ctx.when(f.created_at.as_ref())),
        pair("updated", ctx.when(f.updated_at.as_ref())),
        pair("workflow", f.workflow_status.clone()),
        pair("record", f.record_state.clone()),
        pair("read from", f.source.clone()),
        pair("id", f.id.clone()),
        pair("product arn", f.product_arn.clone()),
        DetailLine::Blank,
        DetailLine::section("description"),
        DetailLine::Text(format!("  {}", f.description)),
    ];
    if let Some(n) = &f.note {
        left.push(DetailLine::Blank);
        left.push(pair("note", n.clone()));
    }
    left.push(DetailLine::Blank);
    match f.opens() {
        Some(o) => left.push(DetailLine::Text(format!(
            "  Enter opens {} {} in {} (account {})",
            o.kind.about().one,
            o.id,
            o.region,
            f.account_id
        ))),
        None => left.push(DetailLine::Text(
            "  rolecall lists none of its resources: o opens the finding in the console".into(),
        )),
    }
    let mut right = vec![DetailLine::section("resources")];
    for r in &f.resources {
        right.push(DetailLine::Text(format!("  {} {}", r.kind, r.id)));
        if let Some(u) = &r.user {
            right.push(DetailLine::Text(format!("    user {u}")));
        }
    }
    right.push(DetailLine::Blank);
    right.push(DetailLine::section("types"));
    right.extend(f.types.iter().map(|t| DetailLine::Text(format!("  {t}"))));
    if let Some(r) = &f.remediation {
        right.push(DetailLine::Blank);
        right.push(DetailLine::section("remediation"));
        right.push(DetailLine::Text(format!("  {r}")));
    }
    if !f.product_fields.is_empty() {
        right.push(DetailLine::Blank);
        right.push(DetailLine::section("product fields"));
        right.extend(
            f.product_fields
                .iter()
                .map(|(k, v)| DetailLine::Pair(format!("  {k}"), v.clone())),
        );
    }
    Details {
        title: format!(" {} {} ", f.severity, f.title),
        left,
        right,
    }
}

// ---- reading them ----

/// Where the findings of a region come from.
#[derive(Debug, Clone)]
enum Source {
    Hub,
    GuardDuty(String),
}

/// A listing's place: the region it is in, where that region's findings come from, and the next
/// page's token.
#[derive(Debug, Default)]
struct Cursor {
    region: usize,
    source: Option<Source>,
    token: Option<String>,
}

impl Cursor {
    /// The next page: of the current region's source, else the next region's first.
    async fn next(&mut self, target: &RoleTarget, query: &Query) -> Option<Listing<Finding>> {
        let region = query.regions.get(self.region)?.clone();
        let filter = query.findings.clone().unwrap_or_default();
        let window = query.window;
        // The calls run in a task of their own, as the EC2 listings' regions do: polled deep in
        // an every-account listing, the SDK's futures overflowed a worker thread's stack.
        let fetch = fetch(
            target.clone(),
            region.clone(),
            self.source.clone(),
            self.token.take(),
            filter.clone(),
            window,
        );
        let (page, source) = match tokio::spawn(fetch).await {
            Ok(done) => done,
            Err(e) => (
                Err(
                    AwsError::new(ErrorKind::Other, "GetFindings", format!("region {region}"))
                        .with_message(format!("the listing's task ended: {e}")),
                ),
                None,
            ),
        };
        self.source = source;
        let mut listing = Listing::default();
        match page {
            Ok((items, token)) => {
                listing.items = items
                    .into_iter()
                    .filter(|f| filter.keeps(f, window.as_ref()))
                    .collect();
                listing.items.sort_by(severest_first);
                self.token = token;
            }
            Err(error) => {
                listing.failures.push(RegionFailure {
                    region: region.clone(),
                    error,
                });
                self.token = None;
            }
        }
        if self.token.is_none() {
            self.region += 1;
            self.source = None;
        }
        Some(listing)
    }
}

/// One page of a region's findings from `source` (`None`: Security Hub, else GuardDuty where
/// Security Hub is not enabled), and where the next page comes from.
async fn fetch(
    target: RoleTarget,
    region: String,
    source: Option<Source>,
    token: Option<String>,
    filter: FindingFilter,
    window: Option<Window>,
) -> (Page, Option<Source>) {
    match source {
        Some(Source::GuardDuty(d)) => {
            let page = guardduty_page(&target, &region, &d, &filter, window, token).await;
            (page, Some(Source::GuardDuty(d)))
        }
        None | Some(Source::Hub) => {
            let first = source.is_none();
            match hub_page(&target, &region, &filter, window, token).await {
                Ok(page) => (Ok(page), Some(Source::Hub)),
                Err(e) if first && not_subscribed(&e) => {
                    match guardduty_detector(&target, &region).await {
                        Ok(Some(d)) => {
                            let page =
                                guardduty_page(&target, &region, &d, &filter, window, None).await;
                            (page, Some(Source::GuardDuty(d)))
                        }
                        Ok(None) => (Err(not_enabled(&region)), None),
                        Err(e) => (Err(e), None),
                    }
                }
                Err(e) => (Err(e), None),
            }
        }
    }
}

/// A page's findings and the next page's token.
type Page = Result<(Vec<Finding>, Option<String>), AwsError>;

fn not_subscribed(e: &AwsError) -> bool {
    matches!(e.code.as_deref(), Some("InvalidAccessException"))
}

/// Neither Security Hub nor GuardDuty answers in `region`: named, not a failure.
fn not_enabled(region: &str) -> AwsError {
    AwsError::new(
        ErrorKind::NotEnabled,
        "GetFindings",
        format!("region {region}"),
    )
    .with_code("NotEnabled")
    .with_message(
        "neither Security Hub nor GuardDuty is enabled here, so there are no findings to read",
    )
}

/// A Security Hub or GuardDuty error, with what to check.
fn service_error<E>(
    e: aws_smithy_runtime_api::client::result::SdkError<
        E,
        aws_smithy_runtime_api::client::orchestrator::HttpResponse,
    >,
    service: &str,
    op: &'static str,
    region: &str,
) -> AwsError
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata
        + std::error::Error
        + Send
        + Sync
        + 'static,
{
    let e = AwsError::from_sdk(e, op, format!("region {region}"));
    match e.kind {
        ErrorKind::AccessDenied => e.with_hint(format!(
            "the role may not call {service}:{op} in {region}: findings need securityhub:GetFindings, and guardduty:ListDetectors, guardduty:ListFindings and guardduty:GetFindings where Security Hub is off, in the role's permission policy (and no SCP denying them)"
        )),
        _ => e,
    }
}

fn time(s: Option<&str>) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s?)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

fn rfc3339(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Security Hub's label for a normalized severity (0-100), when a product gives no label.
fn label_of_normalized(n: i32) -> &'static str {
    match n {
        90.. => "CRITICAL",
        70..=89 => "HIGH",
        40..=69 => "MEDIUM",
        1..=39 => "LOW",
        _ => "INFORMATIONAL",
    }
}

/// GuardDuty's label for its severity (1.0-10.0).
fn label_of_guardduty(s: f64) -> &'static str {
    if s >= 9.0 {
        "CRITICAL"
    } else if s >= 7.0 {
        "HIGH"
    } else if s >= 4.0 {
        "MEDIUM"
    } else if s >= 1.0 {
        "LOW"
    } else {
        "INFORMATIONAL"
    }
}

/// One page of Security Hub's findings, filtered as asked (GetFindings).
async fn hub_page(
    target: &RoleTarget,
    region: &str,
    filter: &FindingFilter,
    window: Option<Window>,
    token: Option<String>,
) -> Result<(Vec<Finding>, Option<String>), AwsError> {
    use aws_sdk_securityhub::types::{
        AwsSecurityFindingFilters, DateFilter, SortCriterion, SortOrder, StringFilter,
        StringFilterComparison,
    };
    let eq = |v: &str| {
        StringFilter::builder()
            .value(v)
            .comparison(StringFilterComparison::Equals)
            .build()
    };
    let mut filters = AwsSecurityFindingFilters::builder().record_state(eq("ACTIVE"));
    for s in &filter.severities {
        filters = filters.severity_label(eq(s));
    }
    for s in &filter.statuses {
        filters = filters.workflow_status(eq(s));
    }
    if let Some(w) = window {
        filters = filters.updated_at(
            DateFilter::builder()
                .start(rfc3339(&w.start))
                .end(rfc3339(&w.end))
                .build(),
        );
    }
    let client = aws_sdk_securityhub::Client::new(&target.config(region));
    let out = client
        .get_findings()
        .filters(filters.build())
        .sort_criteria(
            SortCriterion::builder()
                .field("SeverityNormalized")
                .sort_order(SortOrder::Descending)
                .build(),
        )
        .max_results(target.page_size().clamp(1, 100))
        .set_next_token(token)
        .send()
        .await
        .map_err(|e| service_error(e, "securityhub", "GetFindings", region))?;
    let items = out.findings().iter().map(|f| from_hub(f, region)).collect();
    let next = out
        .next_token()
        .filter(|t| !t.is_empty())
        .map(str::to_string);
    Ok((items, next))
}

fn from_hub(f: &aws_sdk_securityhub::types::AwsSecurityFinding, region: &str) -> Finding {
    fn key(
        r: &aws_sdk_securityhub::types::Resource,
    ) -> Option<&aws_sdk_securityhub::types::AwsIamAccessKeyDetails> {
        r.details().and_then(|d| d.aws_iam_access_key())
    }
    let severity = f
        .severity()
        .and_then(|s| {
            s.label()
                .map(|l| l.as_str().to_string())
                .or_else(|| s.normalized().map(|n| label_of_normalized(n).to_string()))
        })
        .unwrap_or_else(|| "INFORMATIONAL".into());
    let resources = f
        .resources()
        .iter()
        .map(|r| FindingResource {
            kind: r.r#type().unwrap_or_default().to_string(),
            id: r.id().unwrap_or_default().to_string(),
            region: r.region().unwrap_or_default().to_string(),
            user: key(r)
                .filter(|k| k.principal_type().is_none_or(|t| t == "IAMUser"))
                .and_then(|k| k.principal_name())
                .map(str::to_string),
            access_key_id: key(r).and_then(|k| k.access_key_id()).map(str::to_string),
        })
        .collect();
    let remediation = f.remediation().and_then(|r| r.recommendation()).map(|r| {
        [r.text(), r.url()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ")
    });
    Finding {
        id: f.id().unwrap_or_default().to_string(),
        title: f.title().unwrap_or_default().to_string(),
        severity,
        product: f.product_name().unwrap_or_default().to_string(),
        types: f.types().to_vec(),
        resources,
        account_id: f.aws_account_id().unwrap_or_default().to_string(),
        region: f.region().unwrap_or(region).to_string(),
        created_at: time(f.created_at()),
        updated_at: time(f.updated_at()),
        workflow_status: f
            .workflow()
            .and_then(|w| w.status())
            .map(|s| s.as_str().to_string())
            .unwrap_or_else(|| "NEW".into()),
        record_state: f
            .record_state()
            .map(|s| s.as_str().to_string())
            .unwrap_or_else(|| "ACTIVE".into()),
        product_arn: f.product_arn().unwrap_or_default().to_string(),
        description: f.description().unwrap_or_default().to_string(),
        source: "securityhub".into(),
        remediation,
        note: f.note().map(|n| {
            format!(
                "{} (by {})",
                n.text().unwrap_or_default(),
                n.updated_by().unwrap_or_default()
            )
        }),
        product_fields: f
            .product_fields()
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default(),
    }
}

/// The region's GuardDuty detector, if GuardDuty is on there (ListDetectors).
async fn guardduty_detector(target: &RoleTarget, region: &str) -> Result<Option<String>, AwsError> {
    let client = aws_sdk_guardduty::Client::new(&target.config(region));
    let out = client
        .list_detectors()
        .send()
        .await
        .map_err(|e| service_error(e, "guardduty", "ListDetectors", region))?;
    Ok(out.detector_ids().first().cloned())
}

/// One page of GuardDuty's findings (ListFindings, then GetFindings of its ids).
async fn guardduty_page(
    target: &RoleTarget,
    region: &str,
    detector: &str,
    filter: &FindingFilter,
    window: Option<Window>,
    token: Option<String>,
) -> Result<(Vec<Finding>, Option<String>), AwsError> {
    use aws_sdk_guardduty::types::{Condition, FindingCriteria, OrderBy, SortCriteria};
    let mut criteria = FindingCriteria::builder().criterion(
        "service.archived",
        Condition::builder().equals("false").build(),
    );
    if let Some(w) = window {
        criteria = criteria.criterion(
            "updatedAt",
            Condition::builder()
                .greater_than_or_equal(w.start.timestamp_millis())
                .less_than_or_equal(w.end.timestamp_millis())
                .build(),
        );
    }
    // The lowest severity asked for, as GuardDuty's number: the labels are ranges of it.
    let floor = filter
        .severities
        .iter()
        .map(|s| match s.as_str() {
            "CRITICAL" => 9,
            "HIGH" => 7,
            "MEDIUM" => 4,
            "LOW" => 1,
            _ => 0,
        })
        .min();
    if let Some(floor) = floor.filter(|f| *f > 0) {
        criteria = criteria.criterion(
            "severity",
            Condition::builder().greater_than_or_equal(floor).build(),
        );
    }
    let client = aws_sdk_guardduty::Client::new(&target.config(region));
    let listed = client
        .list_findings()
        .detector_id(detector)
        .finding_criteria(criteria.build())
        .sort_criteria(
            SortCriteria::builder()
                .attribute_name("severity")
                .order_by(OrderBy::Desc)
                .build(),
        )
        .max_results(target.page_size().clamp(1, 50))
        .set_next_token(token)
        .send()
        .await
        .map_err(|e| service_error(e, "guardduty", "ListFindings", region))?;
    let next = listed
        .next_token()
        .filter(|t| !t.is_empty())
        .map(str::to_string);
    if listed.finding_ids().is_empty() {
        return Ok((Vec::new(), next));
    }
    let got = client
        .get_findings()
        .detector_id(detector)
        .set_finding_ids(Some(listed.finding_ids().to_vec()))
        .send()
        .await
        .map_err(|e| service_error(e, "guardduty", "GetFindings", region))?;
    let items = got
        .findings()
        .iter()
        .map(|f| from_guardduty(f, region))
        .collect();
    Ok((items, next))
}

/// A GuardDuty finding as Security Hub would show it: its ARN as id, GuardDuty's product ARN,
/// the type under TTPs, workflow NEW (GuardDuty has none), archived as ARCHIVED.
fn from_guardduty(f: &aws_sdk_guardduty::types::Finding, region: &str) -> Finding {
    let region = f.region().unwrap_or(region).to_string();
    let account = f.account_id().unwrap_or_default().to_string();
    let resource = f.resource();
    let resources = resource
        .map(|r| {
            let kind = r.resource_type().unwrap_or_default();
            if let Some(i) = r.instance_details().and_then(|i| i.instance_id()) {
                vec![FindingResource {
                    kind: "AwsEc2Instance".into(),
                    id: format!("arn:aws:ec2:{region}:{account}:instance/{i}"),
                    region: region.clone(),
                    user: None,
                    access_key_id: None,
                }]
            } else if let Some(k) = r.access_key_details() {
                vec![FindingResource {
                    kind: "AwsIamAccessKey".into(),
                    id: k.access_key_id().unwrap_or_default().to_string(),
                    region: region.clone(),
                    user: k
                        .user_name()
                        .filter(|_| k.user_type().is_none_or(|t| t == "IAMUser"))
                        .map(str::to_string),
                    access_key_id: k.access_key_id().map(str::to_string),
                }]
            } else {
                vec![FindingResource {
                    kind: format!("GuardDuty{kind}"),
                    id: String::new(),
                    region: region.clone(),
                    user: None,
                    access_key_id: None,
                }]
            }
        })
        .unwrap_or_default();
    let archived = f.service().and_then(|s| s.archived()).unwrap_or(false);
    Finding {
        id: f.arn().or(f.id()).unwrap_or_default().to_string(),
        title: f.title().unwrap_or_default().to_string(),
        severity: label_of_guardduty(f.severity().unwrap_or(0.0)).into(),
        product: "GuardDuty".into(),
        types: f.r#type().map(|t| vec![t.to_string()]).unwrap_or_default(),
        resources,
        account_id: account.clone(),
        created_at: time(f.created_at()),
        updated_at: time(f.updated_at()),
        workflow_status: "NEW".into(),
        record_state: if archived { "ARCHIVED" } else { "ACTIVE" }.into(),
        product_arn: format!("arn:aws:securityhub:{region}::product/aws/guardduty"),
        description: f.description().unwrap_or_default().to_string(),
        source: "guardduty".into(),
        remediation: None,
        note: None,
        product_fields: BTreeMap::new(),
        region,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_are_checked_and_named() {
        let f = FindingFilter::parse(Some("high, CRITICAL,high"), Some("NEW")).unwrap();
        assert_eq!(f.severities, ["HIGH", "CRITICAL"]);
        assert_eq!(f.statuses, ["NEW"]);
        let e = FindingFilter::parse(Some("HIGH,SEVERE"), None).unwrap_err();
        assert!(e.contains("--severity") && e.contains("SEVERE"), "{e}");
        let e = FindingFilter::parse(None, Some("OPEN")).unwrap_err();
        assert!(e.contains("--status") && e.contains("NOTIFIED"), "{e}");
    }

    #[test]
    fn kept_only_when_active_asked_for_and_in_the_window() {
        let f = Finding::example();
        let now = f.updated_at.unwrap();
        let w = Window::last(std::time::Duration::from_secs(3600), now);
        let any = FindingFilter::default();
        assert!(any.keeps(&f, Some(&w)));
        let high = FindingFilter::parse(Some("HIGH"), Some("NEW,NOTIFIED")).unwrap();
        assert!(high.keeps(&f, Some(&w)));
        let crit = FindingFilter::parse(Some("CRITICAL"), None).unwrap();
        assert!(!crit.keeps(&f, Some(&w)));
        let later = Window::last(
            std::time::Duration::from_secs(60),
            now + chrono::Duration::hours(2),
        );
        assert!(!any.keeps(&f, Some(&later)), "updated before the window");
        let archived = Finding {
            record_state: "ARCHIVED".into(),
            ..f.clone()
        };
        assert!(!any.keeps(&archived, None));
    }

    #[test]
    fn severest_then_newest() {
        let a = Finding::example();
        let mut b = a.clone();
        b.id = "b".into();
        b.severity = "CRITICAL".into();
        let mut c = a.clone();
        c.id = "c".into();
        c.updated_at = a.updated_at.map(|t| t + chrono::Duration::hours(1));
        let mut v = [a.clone(), b.clone(), c.clone()];
        v.sort_by(severest_first);
        let ids: Vec<&str> = v.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(ids, ["b", "c", a.id.as_str()]);
    }

    #[test]
    fn a_finding_opens_its_resource_in_its_own_account_only() {
        let f = Finding::example();
        let o = f.opens().unwrap();
        assert_eq!(o.kind, Kind::Instances);
        assert_eq!(o.id, "i-0123456789abcdef0");
        assert_eq!(o.region, "us-east-1");
        // Another account's instance (an imported finding may say anything): not followed.
        let mut other = f.clone();
        other.resources[0].id =
            "arn:aws:ec2:us-east-1:999999999999:instance/i-0123456789abcdef0".into();
        assert_eq!(other.opens(), None);
        // An id that is not an instance's: not followed.
        let mut bad = f.clone();
        bad.resources[0].id = "arn:aws:ec2:us-east-1:222222222222:instance/i-../../x".into();
        assert_eq!(bad.opens(), None);
        // A resource rolecall has no kind for.
        let mut bucket = f;
        bucket.resources[0].kind = "AwsS3Bucket".into();
        assert_eq!(bucket.opens(), None);
    }

    #[test]
    fn a_finding_on_an_identity_opens_its_user_role_or_key() {
        let on = |kind: &str, id: &str, user: Option<&str>, key: Option<&str>| {
            let mut f = Finding::example();
            f.resources = vec![FindingResource {
                kind: kind.into(),
                id: id.into(),
                region: "us-east-1".into(),
                user: user.map(str::to_string),
                access_key_id: key.map(str::to_string),
            }];
            f.opens().map(|o| (o.kind, o.id))
        };
        // A user's ARN, with its path: its name is the last part.
        assert_eq!(
            on(
                "AwsIamUser",
                "arn:aws:iam::222222222222:user/automation/ci-deploy",
                None,
                None
            ),
            Some((Kind::Users, "ci-deploy".into()))
        );
        assert_eq!(
            on(
                "AwsIamRole",
                "arn:aws:iam::222222222222:role/WebAppRole",
                None,
                None
            ),
            Some((Kind::IamRoles, "WebAppRole".into()))
        );
        // An access key: the details' key id, else the resource id's last part.
        let key = "AKIAIOSFODNN7EXAMPLE";
        for (id, details) in [
            ("AWS::IAM::AccessKey:AKIAIOSFODNN7EXAMPLE", None),
            (key, None),
            ("AWS::IAM::AccessKey:whatever", Some(key)),
        ] {
            assert_eq!(
                on("AwsIamAccessKey", id, Some("ci-deploy"), details),
                Some((Kind::AccessKeys, key.into())),
                "{id}"
            );
        }
        // A session's key (ASIA…) is in no table: its user's row, when the principal is one.
        let session = "AWS::IAM::AccessKey:ASIAIOSFODNN7EXAMPLE";
        assert_eq!(
            on("AwsIamAccessKey", session, Some("ci-deploy"), None),
            Some((Kind::Users, "ci-deploy".into()))
        );
        assert_eq!(on("AwsIamAccessKey", session, None, None), None);
        // Another account's user, or a name IAM would refuse: not followed.
        assert_eq!(
            on(
                "AwsIamUser",
                "arn:aws:iam::999999999999:user/ci-deploy",
                None,
                None
            ),
            None
        );
        assert_eq!(
            on(
                "AwsIamUser",
                "arn:aws:iam::222222222222:user/a b",
                None,
                None
            ),
            None
        );
        assert_eq!(
            on(
                "AwsIamAccessKey",
                "AWS::IAM::AccessKey:AKIA../x",
                None,
                None
            ),
            None
        );
    }

    #[test]
    fn finding_ids_and_links() {
        let id = Finding::example().id;
        assert!(Finding::check_id(&id).is_ok());
        for bad in ["", "a b", "x/../y", "x\ny", &"a".repeat(513)] {
            assert!(Finding::check_id(bad).is_err(), "{bad:?}");
        }
        let (service, page) = Finding::console_page("arn:aws:x:1/y");
        assert_eq!(service, "securityhub");
        assert!(page.ends_with("arn%3Aaws%3Ax%3A1%2Fy"), "{page}");
        assert_eq!(label_of_guardduty(8.0), "HIGH");
        assert_eq!(label_of_guardduty(9.5), "CRITICAL");
        assert_eq!(label_of_normalized(40), "MEDIUM");
        assert_eq!(
            short_type("TTPs/Command and Control/CryptoCurrency:EC2-BitcoinTool.B!DNS"),
            "CryptoCurrency:EC2-BitcoinTool.B!DNS"
        );
    }
}
