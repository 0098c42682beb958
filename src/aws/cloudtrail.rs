//! CloudTrail: the event history (LookupEvents, page by page, paced to its quota, a throttled
//! page asked again) and whether trails log (DescribeTrails, GetTrailStatus). Returns rolecall's
//! own types; knows nothing of the screen.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_cloudtrail::types::{LookupAttribute, LookupAttributeKey};
use aws_sdk_cloudtrail::Client;
use chrono::{DateTime, Utc};
use futures::stream::Stream;

use super::target::RoleTarget;
use super::{AwsError, ErrorKind};

/// The most events a LookupEvents page holds (AWS's limit).
pub const PAGE_MAX: i32 = 50;

/// LookupEvents' quota: 2 calls a second per account and region (AWS's documented limit, not
/// adjustable). A region's pages are asked one after the other, and a call goes out no sooner
/// than a second after the answer to the call two before it: whenever AWS counted that one (its
/// arrival came before its answer), this one arrives more than a second later, whatever the
/// latency, a new connection's handshake or the jitter. Spacing calls by when they were sent
/// instead is not enough: a first call delayed by its connection's handshake arrives late, and
/// the third, sent a second after it, arrives less than a second after it (the emulator throttled
/// a third of the account-regions that way).
pub const QUOTA: (usize, Duration) = (2, Duration::from_secs(1));

/// How often a page AWS throttled (after the SDK's own retries) is asked again, after 1 s, 2 s,
/// 4 s, then 8 s each: throttling costs time, never an event.
pub const THROTTLE_RETRIES: u32 = 8;

/// What LookupEvents looks up: CloudTrail takes one attribute a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attribute {
    ResourceName,
    AccessKeyId,
    Username,
    EventName,
}

impl Attribute {
    fn key(self) -> LookupAttributeKey {
        match self {
            Attribute::ResourceName => LookupAttributeKey::ResourceName,
            Attribute::AccessKeyId => LookupAttributeKey::AccessKeyId,
            Attribute::Username => LookupAttributeKey::Username,
            Attribute::EventName => LookupAttributeKey::EventName,
        }
    }
}

/// One event as LookupEvents gives it; `document` is the CloudTrailEvent JSON, as text.
#[derive(Debug, Clone, Default)]
pub struct RawEvent {
    pub event_id: String,
    pub event_name: String,
    pub event_time: Option<DateTime<Utc>>,
    pub event_source: String,
    pub username: Option<String>,
    pub access_key_id: Option<String>,
    /// (type, name) of each resource the event names.
    pub resources: Vec<(String, String)>,
    pub document: Option<String>,
}

/// What to look up, where and over what time.
#[derive(Debug, Clone)]
pub struct EventLookup {
    pub region: String,
    pub attribute: Option<(Attribute, String)>,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

fn smithy_time(t: DateTime<Utc>) -> aws_smithy_types::DateTime {
    aws_smithy_types::DateTime::from_millis(t.timestamp_millis())
}

fn chrono_time(t: &aws_smithy_types::DateTime) -> Option<DateTime<Utc>> {
    super::assume::to_chrono(t)
}

/// CloudTrail in `region`, as the role.
pub fn client(target: &RoleTarget, region: &str) -> Client {
    Client::new(&target.config(region))
}

/// A CloudTrail call's error, with what to check.
fn error<E>(
    e: aws_sdk_cloudtrail::error::SdkError<E, aws_sdk_cloudtrail::config::http::HttpResponse>,
    op: &'static str,
    region: &str,
) -> AwsError
where
    E: aws_sdk_cloudtrail::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let e = AwsError::from_sdk(e, op, format!("region {region}"));
    match e.kind {
        ErrorKind::AccessDenied => e.with_hint(format!(
            "the role may not call cloudtrail:{op} in {region}: add it to the role's permission policy (and check any SCP on the account)"
        )),
        ErrorKind::Throttled => e.with_hint(format!(
            "CloudTrail allows {op} 2 calls a second per account and region, and kept refusing after rolecall waited: another tool may be calling it in this account; try again in a minute"
        )),
        _ => e,
    }
}

/// One page of LookupEvents, from `token` (`None`: the first), newest first; and the next
/// page's token.
pub async fn lookup_page(
    client: &Client,
    lookup: &EventLookup,
    token: Option<String>,
) -> Result<(Vec<RawEvent>, Option<String>), AwsError> {
    let mut call = client
        .lookup_events()
        .start_time(smithy_time(lookup.start))
        .end_time(smithy_time(lookup.end))
        .max_results(PAGE_MAX)
        .set_next_token(token);
    if let Some((attribute, value)) = &lookup.attribute {
        let attr = LookupAttribute::builder()
            .attribute_key(attribute.key())
            .attribute_value(value)
            .build()
            .map_err(|e| {
                AwsError::new(ErrorKind::Other, "LookupEvents", lookup.region.clone())
                    .with_message(e.to_string())
            })?;
        call = call.lookup_attributes(attr);
    }
    let out = call
        .send()
        .await
        .map_err(|e| error(e, "LookupEvents", &lookup.region))?;
    let events = out
        .events()
        .iter()
        .map(|e| RawEvent {
            event_id: e.event_id().unwrap_or_default().to_string(),
            event_name: e.event_name().unwrap_or_default().to_string(),
            event_time: e.event_time().and_then(chrono_time),
            event_source: e.event_source().unwrap_or_default().to_string(),
            username: e.username().map(str::to_string),
            access_key_id: e.access_key_id().map(str::to_string),
            resources: e
                .resources()
                .iter()
                .map(|r| {
                    (
                        r.resource_type().unwrap_or_default().to_string(),
                        r.resource_name().unwrap_or_default().to_string(),
                    )
                })
                .collect(),
            document: e.cloud_trail_event().map(str::to_string),
        })
        .collect();
    let next = out
        .next_token()
        .filter(|t| !t.is_empty())
        .map(str::to_string);
    Ok((events, next))
}

/// How long to wait before asking a throttled page again (`attempt` from 1).
pub fn throttle_delay(attempt: u32) -> Duration {
    Duration::from_secs(1 << attempt.saturating_sub(1).min(3))
}

/// Every page of `lookup` in its region, newest first, each as it comes: paced to [`QUOTA`] (the
/// quota is per account and region; each account's listing pages its own regions), a page AWS
/// throttled asked again after a pause (up to [`THROTTLE_RETRIES`] times), so no event is
/// skipped. After an error nothing more comes.
pub fn lookup_pages(
    client: Client,
    lookup: EventLookup,
) -> impl Stream<Item = Result<Vec<RawEvent>, AwsError>> + Send {
    struct Pager {
        client: Client,
        lookup: EventLookup,
        token: Option<String>,
        /// When the answers to the last calls came, oldest first (at most the quota's count).
        answered: std::collections::VecDeque<tokio::time::Instant>,
        done: bool,
    }
    let pager = Pager {
        client,
        lookup,
        token: None,
        answered: std::collections::VecDeque::new(),
        done: false,
    };
    futures::stream::unfold(pager, |mut p| async move {
        if p.done {
            return None;
        }
        let mut throttled = 0;
        loop {
            let (calls, per) = QUOTA;
            if p.answered.len() >= calls {
                if let Some(oldest) = p.answered.pop_front() {
                    tokio::time::sleep_until(oldest + per).await;
                }
            }
            let page = lookup_page(&p.client, &p.lookup, p.token.clone()).await;
            p.answered.push_back(tokio::time::Instant::now());
            match page {
                Ok((events, next)) => {
                    p.done = next.is_none();
                    p.token = next;
                    return Some((Ok(events), p));
                }
                Err(e) if e.kind == ErrorKind::Throttled && throttled < THROTTLE_RETRIES => {
                    throttled += 1;
                    tracing::debug!(region = %p.lookup.region, throttled, "LookupEvents throttled: this page again after a pause");
                    tokio::time::sleep(throttle_delay(throttled)).await;
                }
                Err(e) => {
                    p.done = true;
                    return Some((Err(e), p));
                }
            }
        }
    })
}

/// A trail and whether it logs now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrailStatus {
    pub name: String,
    pub arn: String,
    pub home_region: String,
    /// Logs every region of the account (else only its home region).
    pub multi_region: bool,
    pub logging: bool,
    pub stopped_at: Option<DateTime<Utc>>,
    pub latest_delivery: Option<DateTime<Utc>>,
}

impl TrailStatus {
    /// Whether it records `region`'s events.
    pub fn covers(&self, region: &str) -> bool {
        self.multi_region || self.home_region == region
    }
}

/// The account's trails that record events in `regions` (DescribeTrails in each, a
/// multi-region trail once), each with its status (GetTrailStatus, in its home region).
pub async fn trails(target: &RoleTarget, regions: &[String]) -> Result<Vec<TrailStatus>, AwsError> {
    let described = futures::future::join_all(regions.iter().map(|region| async move {
        let out = client(target, region)
            .describe_trails()
            .include_shadow_trails(true)
            .send()
            .await
            .map_err(|e| error(e, "DescribeTrails", region))?;
        Ok::<_, AwsError>(
            out.trail_list()
                .iter()
                .map(|t| {
                    (
                        t.trail_arn().unwrap_or_default().to_string(),
                        t.name().unwrap_or_default().to_string(),
                        t.home_region().unwrap_or(region).to_string(),
                        t.is_multi_region_trail().unwrap_or(false),
                    )
                })
                .collect::<Vec<_>>(),
        )
    }))
    .await;
    let mut unique = BTreeMap::new();
    for trails in described {
        for (arn, name, home, multi) in trails? {
            unique.entry(arn).or_insert((name, home, multi));
        }
    }
    let statuses = futures::future::join_all(unique.into_iter().map(
        |(arn, (name, home_region, multi_region))| async move {
            let out = client(target, &home_region)
                .get_trail_status()
                .name(&arn)
                .send()
                .await
                .map_err(|e| error(e, "GetTrailStatus", &home_region))?;
            Ok::<_, AwsError>(TrailStatus {
                name,
                arn,
                home_region,
                multi_region,
                logging: out.is_logging().unwrap_or(false),
                stopped_at: out.stop_logging_time().and_then(chrono_time),
                latest_delivery: out.latest_delivery_time().and_then(chrono_time),
            })
        },
    ))
    .await;
    statuses.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttled_pages_wait_longer_each_time_up_to_eight_seconds() {
        let waits: Vec<u64> = (1..=THROTTLE_RETRIES)
            .map(|a| throttle_delay(a).as_secs())
            .collect();
        assert_eq!(waits, [1, 2, 4, 8, 8, 8, 8, 8]);
        assert_eq!(QUOTA, (2, Duration::from_secs(1)));
    }

    #[test]
    fn a_trail_covers_its_home_region_or_every_region() {
        let t = TrailStatus {
            name: "main".into(),
            arn: "arn:aws:cloudtrail:us-east-1:222222222222:trail/main".into(),
            home_region: "us-east-1".into(),
            multi_region: false,
            logging: true,
            stopped_at: None,
            latest_delivery: None,
        };
        assert!(t.covers("us-east-1"));
        assert!(!t.covers("eu-west-1"));
        let all = TrailStatus {
            multi_region: true,
            ..t
        };
        assert!(all.covers("eu-west-1"));
    }
}
