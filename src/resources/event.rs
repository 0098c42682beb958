//! CloudTrail events: who did what, read from LookupEvents over a time window (a query kind),
//! newest first, page by page, each region of a role paced to LookupEvents' quota; looked up by
//! one resource, access key, user or event name (`Query::subject`). The listing also says when
//! no trail logs a region or a trail stopped logging (a note, not a failure).
//!
//! Everything in an event is what the caller sent (user agent, names, parameters): shown,
//! escaped of control characters on screen, never acted on.

use std::future::Future;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::stream::{Stream, StreamExt};
use serde::Serialize;
use serde_json::Value;

use super::fields::{column, field, look, one_role_only, Field, Look};
use super::fields::{or_dash, search_lines, time_text};
use super::{About, DetailLine, Details, Kind, Lookup, Query, Reach, Resource, Subject, Window};
use crate::aws::cloudtrail::{self, Attribute, EventLookup, RawEvent, TrailStatus};
use crate::aws::target::{Listing, RegionFailure, RoleTarget};

/// How far back events are looked for by default; CloudTrail keeps 90 days.
pub const DEFAULT_WINDOW: Duration = Duration::from_secs(7 * 86_400);
/// What CloudTrail's event history keeps.
pub const KEPT: Duration = Duration::from_secs(90 * 86_400);

/// A resource an event names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EventResource {
    #[serde(rename = "type")]
    pub kind: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    pub event_id: String,
    pub event_time: Option<DateTime<Utc>>,
    pub event_name: String,
    /// The service called (`ec2.amazonaws.com`).
    pub event_source: String,
    /// The identity's name as CloudTrail gives it (a user, a role session).
    pub username: Option<String>,
    /// The identity's ARN (`userIdentity.arn`).
    pub identity_arn: Option<String>,
    pub access_key_id: Option<String>,
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
    pub region: String,
    pub resources: Vec<EventResource>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    /// The account the event was recorded in (`recipientAccountId`).
    pub account_id: Option<String>,
    /// The whole CloudTrail event document.
    pub cloudtrail_event: Value,
}

/// Text from the caller, for a terminal: control characters (escape sequences) shown as `�`.
fn clean(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { '\u{fffd}' } else { c })
        .collect()
}

fn cell(s: &Option<String>) -> String {
    or_dash(&clean(s.as_deref().unwrap_or("")))
}

fn text(s: &Option<String>) -> String {
    s.clone().unwrap_or_default()
}

impl Event {
    /// Who: the identity's ARN, else its name.
    fn who(&self) -> String {
        cell(&self.identity_arn.clone().or_else(|| self.username.clone()))
    }

    fn resources_text(&self, sep: &str) -> String {
        self.resources
            .iter()
            .map(|r| r.name.as_str())
            .collect::<Vec<_>>()
            .join(sep)
    }

    /// An event as LookupEvents gave it in `region`, with what its document says.
    fn from_raw(raw: RawEvent, region: &str) -> Event {
        let doc: Value = raw
            .document
            .as_deref()
            .and_then(|d| serde_json::from_str(d).ok())
            .unwrap_or(Value::Null);
        let s = |v: &Value| v.as_str().filter(|s| !s.is_empty()).map(str::to_string);
        Event {
            event_id: raw.event_id,
            event_time: raw.event_time,
            event_name: raw.event_name,
            event_source: raw.event_source,
            username: raw.username,
            identity_arn: s(&doc["userIdentity"]["arn"]),
            access_key_id: raw
                .access_key_id
                .filter(|k| !k.is_empty())
                .or_else(|| s(&doc["userIdentity"]["accessKeyId"])),
            source_ip: s(&doc["sourceIPAddress"]),
            user_agent: s(&doc["userAgent"]),
            region: s(&doc["awsRegion"]).unwrap_or_else(|| region.to_string()),
            resources: raw
                .resources
                .into_iter()
                .map(|(kind, name)| EventResource { kind, name })
                .collect(),
            error_code: s(&doc["errorCode"]),
            error_message: s(&doc["errorMessage"]),
            account_id: s(&doc["recipientAccountId"]),
            cloudtrail_event: doc,
        }
    }
}

/// The lookup attribute a subject is.
fn attribute(subject: &Subject) -> (Attribute, String) {
    let a = match subject {
        Subject::Resource(_) => Attribute::ResourceName,
        Subject::AccessKey(_) => Attribute::AccessKeyId,
        Subject::User(_) => Attribute::Username,
        Subject::Event(_) => Attribute::EventName,
    };
    (a, subject.value().to_string())
}

impl Resource for Event {
    const KIND: Kind = Kind::Events;
    const ABOUT: About = About {
        one: "event",
        noun: "events",
        command: "events",
        aliases: &["trail", "cloudtrail", "history"],
        // `t` opens the events of any table's selected row (a row action, app/keys.rs); the
        // kind itself is opened with `:events`.
        key: None,
        reach: Reach::Regional,
        window: Some(DEFAULT_WINDOW),
        id_prefix: "",
    };

    #[rustfmt::skip]
    const FIELDS: &'static [Field<Event>] = &[
        Field { name: "event_time", value: |e| time_text(&e.event_time),
            column: column("TIME (UTC)", 19, 0, |e, _| e.event_time.map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string()).unwrap_or_else(|| "-".into()), |a, b| a.event_time.cmp(&b.event_time)) },
        Field { name: "event_name", value: |e| e.event_name.clone(),
            column: look(column("EVENT", 22, 0, |e, _| or_dash(&clean(&e.event_name)), |a, b| a.event_name.cmp(&b.event_name)), Look::Name) },
        Field { name: "username", value: |e| text(&e.username),
            column: column("WHO", 38, 0, |e, _| e.who(), |a, b| a.who().cmp(&b.who())) },
        Field { name: "access_key_id", value: |e| text(&e.access_key_id),
            column: column("ACCESS KEY", 20, 2, |e, _| cell(&e.access_key_id), |a, b| a.access_key_id.cmp(&b.access_key_id)) },
        Field { name: "source_ip", value: |e| text(&e.source_ip),
            column: column("SOURCE IP", 15, 3, |e, _| cell(&e.source_ip), |a, b| a.source_ip.cmp(&b.source_ip)) },
        Field { name: "user_agent", value: |e| text(&e.user_agent),
            column: one_role_only(column("USER AGENT", 20, 6, |e, _| cell(&e.user_agent), |a, b| a.user_agent.cmp(&b.user_agent))) },
        Field { name: "region", value: |e| e.region.clone(),
            column: column("REGION", 10, 5, |e, _| e.region.clone(), |a, b| a.region.cmp(&b.region)) },
        Field { name: "resources", value: |e| e.resources.iter().map(|r| format!("{}={}", r.kind, r.name)).collect::<Vec<_>>().join(";"),
            column: column("RESOURCES", 21, 1, |e, _| or_dash(&clean(&e.resources_text(","))), |a, b| a.resources.len().cmp(&b.resources.len()).then_with(|| a.resources_text(",").cmp(&b.resources_text(",")))) },
        Field { name: "error_code", value: |e| text(&e.error_code),
            column: column("ERROR", 14, 4, |e, _| cell(&e.error_code), |a, b| a.error_code.cmp(&b.error_code)) },
        field("event_id", |e| e.event_id.clone()),
        field("event_source", |e| e.event_source.clone()),
        field("identity_arn", |e| text(&e.identity_arn)),
        field("error_message", |e| text(&e.error_message)),
        field("account_id", |e| text(&e.account_id)),
        field("cloudtrail_event", |e| if e.cloudtrail_event.is_null() { String::new() } else { e.cloudtrail_event.to_string() }),
    ];

    fn id(&self) -> &str {
        &self.event_id
    }

    fn region(&self) -> &str {
        &self.region
    }

    fn search_text(&self) -> String {
        let o = |s: &Option<String>| s.clone().unwrap_or_default();
        let fields = [
            self.event_id.clone(),
            self.event_name.clone(),
            self.event_source.clone(),
            o(&self.username),
            o(&self.identity_arn),
            o(&self.access_key_id),
            o(&self.source_ip),
            o(&self.user_agent),
            self.region.clone(),
            o(&self.error_code),
        ];
        search_lines(
            fields
                .iter()
                .map(String::as_str)
                .chain(self.resources.iter().map(|r| r.name.as_str())),
            &Default::default(),
        )
    }

    fn list(target: &RoleTarget, regions: &[String]) -> impl Future<Output = Listing<Self>> + Send {
        let query = Query::of(Kind::Events, regions.to_vec(), Utc::now());
        async move {
            let mut all = Listing::default();
            let mut pages = std::pin::pin!(Self::pages(target, &query));
            while let Some(mut page) = pages.next().await {
                all.items.append(&mut page.items);
                all.failures.append(&mut page.failures);
                all.notes.append(&mut page.notes);
            }
            all
        }
    }

    /// The trails' health first (its own page, with no rows), beside each region's events,
    /// page by page as LookupEvents gives them (newest first in each region).
    fn pages<'a>(
        target: &'a RoleTarget,
        query: &'a Query,
    ) -> impl Stream<Item = Listing<Self>> + Send + 'a {
        let window = query
            .window
            .unwrap_or_else(|| Window::last(DEFAULT_WINDOW, Utc::now()));
        let attribute = query.subject.as_ref().map(attribute);
        let health = futures::stream::once(trail_notes(target, &query.regions)).boxed();
        let regions = query.regions.iter().map(move |region| {
            let lookup = EventLookup {
                region: region.clone(),
                attribute: attribute.clone(),
                start: window.start,
                end: window.end,
            };
            let region = region.clone();
            cloudtrail::lookup_pages(cloudtrail::client(target, &region), lookup)
                .map(move |page| match page {
                    Ok(raw) => Listing {
                        items: raw
                            .into_iter()
                            .map(|r| Event::from_raw(r, &region))
                            .collect(),
                        ..Listing::default()
                    },
                    Err(error) => Listing {
                        failures: vec![RegionFailure {
                            region: region.clone(),
                            error,
                        }],
                        ..Listing::default()
                    },
                })
                .boxed()
        });
        futures::stream::select(health, futures::stream::select_all(regions))
    }

    fn details(&self, ctx: &Lookup) -> Details {
        let pair = DetailLine::pair;
        let mut left = vec![
            pair("time", ctx.when(self.event_time.as_ref())),
            pair("event", clean(&self.event_name)),
            pair("service", clean(&self.event_source)),
            pair("who", self.who()),
            pair("user name", clean(&text(&self.username))),
            pair("access key", clean(&text(&self.access_key_id))),
            pair("source IP", clean(&text(&self.source_ip))),
            pair("user agent", clean(&text(&self.user_agent))),
            pair("region", self.region.clone()),
            pair("account", clean(&text(&self.account_id))),
            pair("error", clean(&text(&self.error_code))),
            pair("error message", clean(&text(&self.error_message))),
            pair("event id", self.event_id.clone()),
            DetailLine::section("resources"),
        ];
        left.extend(
            self.resources
                .iter()
                .map(|r| DetailLine::Text(format!("  {} {}", clean(&r.name), clean(&r.kind)))),
        );
        if self.resources.is_empty() {
            left.push(DetailLine::Text("  none".into()));
        }
        let mut right = vec![DetailLine::section("CloudTrailEvent")];
        // serde_json escapes control characters inside strings: the document is safe to show.
        let doc = serde_json::to_string_pretty(&self.cloudtrail_event).unwrap_or_default();
        right.extend(doc.lines().map(|l| DetailLine::Text(l.to_string())));
        Details {
            title: format!(" {} {} ", clean(&self.event_name), self.event_id),
            left,
            right,
        }
    }

    fn console_page(id: &str) -> (&'static str, String) {
        ("cloudtrailv2", format!("#/events/{id}"))
    }

    /// Event ids are UUIDs: 8-4-4-4-12 hex digits.
    fn check_id(id: &str) -> Result<(), String> {
        let groups: Vec<&str> = id.split('-').collect();
        let ok = groups.len() == 5
            && groups
                .iter()
                .zip([8, 4, 4, 4, 12])
                .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()));
        if ok {
            Ok(())
        } else {
            Err("a CloudTrail event id: a UUID (8-4-4-4-12 hex digits)".into())
        }
    }

    fn example() -> Self {
        let doc = serde_json::json!({
            "eventVersion": "1.08",
            "userIdentity": {
                "type": "IAMUser",
                "principalId": "AIDAEXAMPLE",
                "arn": "arn:aws:iam::222222222222:user/deploy",
                "accountId": "222222222222",
                "accessKeyId": "AKIAIOSFODNN7EXAMPLE",
                "userName": "deploy"
            },
            "eventTime": "2026-11-20T09:14:03Z",
            "eventSource": "ec2.amazonaws.com",
            "eventName": "RunInstances",
            "awsRegion": "us-east-1",
            "sourceIPAddress": "203.0.113.7",
            "userAgent": "aws-cli/2.15.0",
            "requestParameters": {"instanceType": "t3.micro"},
            "eventID": "3f2a9c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b",
            "readOnly": false,
            "eventType": "AwsApiCall",
            "recipientAccountId": "222222222222"
        });
        Event::from_raw(
            RawEvent {
                event_id: "3f2a9c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b".into(),
                event_name: "RunInstances".into(),
                event_time: DateTime::parse_from_rfc3339("2026-11-20T09:14:03Z")
                    .ok()
                    .map(|t| t.with_timezone(&Utc)),
                event_source: "ec2.amazonaws.com".into(),
                username: Some("deploy".into()),
                access_key_id: Some("AKIAIOSFODNN7EXAMPLE".into()),
                resources: vec![("AWS::EC2::Instance".into(), "i-0123456789abcdef0".into())],
                document: Some(doc.to_string()),
            },
            "us-east-1",
        )
    }
}

/// What the trails say of `regions`, as notes: a trail that is not logging (when it stopped,
/// its last delivery), regions no trail logs, or that the trails could not be read (a warning,
/// not a failure: the events are listed all the same).
async fn trail_notes(target: &RoleTarget, regions: &[String]) -> Listing<Event> {
    let notes = match cloudtrail::trails(target, regions).await {
        Ok(trails) => health(&trails, regions),
        Err(e) => vec![format!(
            "whether a trail logs is unknown: {e} (the role may not call cloudtrail:DescribeTrails and cloudtrail:GetTrailStatus)"
        )],
    };
    Listing {
        notes,
        regions: None,
        ..Listing::default()
    }
}

/// Notes on the trails of `regions`: each trail covering them that is not logging, and the
/// regions no trail covers.
fn health(trails: &[TrailStatus], regions: &[String]) -> Vec<String> {
    let at = |t: &Option<DateTime<Utc>>| t.map(|t| crate::time::rfc3339(&t));
    let mut notes: Vec<String> = trails
        .iter()
        .filter(|t| !t.logging && regions.iter().any(|r| t.covers(r)))
        .map(|t| {
            let mut n = format!(
                "trail {} ({}) stopped logging",
                clean(&t.name),
                t.home_region
            );
            if let Some(when) = at(&t.stopped_at) {
                n.push_str(&format!(" at {when}"));
            }
            if let Some(last) = at(&t.latest_delivery) {
                n.push_str(&format!(", its last delivery {last}"));
            }
            n
        })
        .collect();
    let bare: Vec<&str> = regions
        .iter()
        .filter(|r| !trails.iter().any(|t| t.logging && t.covers(r)))
        .filter(|r| !trails.iter().any(|t| t.covers(r)))
        .map(String::as_str)
        .collect();
    if !bare.is_empty() {
        notes.push(format!(
            "no trail logs {}: only CloudTrail's 90-day event history holds what happens there",
            bare.join(", ")
        ));
    }
    notes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trail(name: &str, home: &str, multi: bool, logging: bool) -> TrailStatus {
        TrailStatus {
            name: name.into(),
            arn: format!("arn:aws:cloudtrail:{home}:222222222222:trail/{name}"),
            home_region: home.into(),
            multi_region: multi,
            logging,
            stopped_at: (!logging).then(|| {
                DateTime::parse_from_rfc3339("2026-11-21T03:00:00Z")
                    .unwrap()
                    .with_timezone(&Utc)
            }),
            latest_delivery: None,
        }
    }

    #[test]
    fn a_stopped_trail_and_an_unlogged_region_are_named() {
        let regions = vec!["us-east-1".to_string(), "eu-west-1".to_string()];
        let notes = health(&[trail("main", "us-east-1", false, false)], &regions);
        assert_eq!(
            notes,
            [
                "trail main (us-east-1) stopped logging at 2026-11-21T03:00:00Z",
                "no trail logs eu-west-1: only CloudTrail's 90-day event history holds what happens there"
            ]
        );
        // One logging multi-region trail covers both; a stopped one beside it is still named.
        let notes = health(
            &[
                trail("org", "us-east-1", true, true),
                trail("local", "eu-west-1", false, false),
            ],
            &regions,
        );
        assert_eq!(
            notes,
            ["trail local (eu-west-1) stopped logging at 2026-11-21T03:00:00Z"]
        );
        assert!(health(&[trail("org", "us-east-1", true, true)], &regions).is_empty());
        // A trail of another region says nothing of these.
        let notes = health(&[trail("ap", "ap-southeast-2", false, false)], &regions);
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(notes[0].starts_with("no trail logs us-east-1, eu-west-1"));
    }

    #[test]
    fn an_event_reads_its_document() {
        let e = Event::example();
        assert_eq!(e.source_ip.as_deref(), Some("203.0.113.7"));
        assert_eq!(e.user_agent.as_deref(), Some("aws-cli/2.15.0"));
        assert_eq!(
            e.identity_arn.as_deref(),
            Some("arn:aws:iam::222222222222:user/deploy")
        );
        assert_eq!(e.account_id.as_deref(), Some("222222222222"));
        assert_eq!(e.cloudtrail_event["eventName"], "RunInstances");
        // A document that is not JSON leaves those empty, never fails the row.
        let raw = RawEvent {
            event_id: "x".into(),
            document: Some("{not json".into()),
            ..RawEvent::default()
        };
        let e = Event::from_raw(raw, "eu-west-1");
        assert_eq!(e.region, "eu-west-1");
        assert_eq!(e.cloudtrail_event, Value::Null);
        assert_eq!(e.source_ip, None);
    }

    #[test]
    fn text_from_the_caller_cannot_reach_the_terminal() {
        let mut e = Event::example();
        e.user_agent = Some("curl\u{1b}]52;c;ZXZpbA==\u{7}".into());
        let cells: Vec<String> = (0..9)
            .map(|c| crate::resources::Item::cell(&e, c, false, Utc::now()).0)
            .collect();
        assert!(cells.iter().all(|c| !c.chars().any(char::is_control)));
        assert!(cells.iter().any(|c| c.starts_with("curl\u{fffd}]52")));
    }

    #[test]
    fn event_ids_are_uuids() {
        assert!(Event::check_id("3f2a9c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b").is_ok());
        for bad in [
            "",
            "3f2a9c1e",
            "3f2a9c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6",
            "../../x",
        ] {
            assert!(Event::check_id(bad).is_err(), "{bad}");
        }
    }
}
