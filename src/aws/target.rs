//! Where and as whom a role's calls go, for every service rolecall calls: the primary setup
//! (endpoint, timeouts, retries, the one shared HTTP client and its connection pool) and the
//! role's credentials. And what a listing across regions gives back.

use std::future::Future;
use std::sync::Arc;

use aws_config::{Region, SdkConfig};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;

use super::credentials::RoleCredentials;
use super::{Aws, AwsError};

/// A role's clients: one per service and region, made on demand from the primary setup and the
/// role's credentials (read from the session store on every call, so a refresh in the middle of
/// a listing is picked up); EC2's listings share one per account (`listing_ec2`). Every client
/// shares the primary setup's HTTP client.
#[derive(Clone)]
pub struct RoleTarget {
    aws: Aws,
    credentials: RoleCredentials,
    /// MaxResults per page (5..=1000) for the listings that page.
    page_size: i32,
    /// The calls a fan-out lets be in flight at once, over every account: a region's listing
    /// holds one while it runs (`None`: no bound but the regions').
    calls: Option<Arc<Semaphore>>,
    /// The one EC2 client the role's listings share, every region's call naming its region
    /// (`Ec2::here`): made once per account rather than once per account and region.
    listing_ec2: Arc<std::sync::OnceLock<aws_sdk_ec2::Client>>,
}

impl RoleTarget {
    pub fn new(aws: Aws, credentials: RoleCredentials, page_size: i32) -> Self {
        RoleTarget {
            aws,
            credentials,
            page_size,
            calls: None,
            listing_ec2: Arc::default(),
        }
    }

    /// The same target, its regions' listings sharing `calls` with every other account's.
    pub fn sharing(self, calls: Arc<Semaphore>) -> Self {
        RoleTarget {
            calls: Some(calls),
            ..self
        }
    }

    /// Room for one call, when the target shares the fan-out's calls in flight: held while the
    /// call runs.
    pub async fn call_permit(&self) -> Option<OwnedSemaphorePermit> {
        permit(self.calls.clone()).await
    }

    /// The primary identity's own clients, for its own account (`None` without credentials).
    pub fn primary(aws: Aws, page_size: i32) -> Option<Self> {
        let provider = aws.sdk().credentials_provider()?;
        Some(RoleTarget {
            aws,
            credentials: RoleCredentials::new(provider),
            page_size,
            calls: None,
            listing_ec2: Arc::default(),
        })
    }

    /// The primary setup's region (else us-east-1): where an account-wide question, such as
    /// which regions it has enabled, is asked.
    pub fn primary_region(&self) -> String {
        self.aws
            .region()
            .filter(|r| super::arn::validate_region(r).is_ok())
            .unwrap_or("us-east-1")
            .to_string()
    }

    /// Which primary identity and endpoint these calls go as (`AwsOptions::scope`): keys what
    /// is kept of their answers (each account's enabled regions).
    pub fn scope(&self) -> String {
        self.aws.opts.scope()
    }

    /// MaxResults per page.
    pub fn page_size(&self) -> i32 {
        self.page_size
    }

    /// The primary setup as the role, in `region`: what any service's client is made from
    /// (`aws_sdk_x::Client::new(&target.config(region))`).
    pub fn config(&self, region: &str) -> SdkConfig {
        self.aws
            .sdk()
            .to_builder()
            .region(Region::new(region.to_string()))
            .credentials_provider(self.credentials.sdk())
            .build()
    }

    /// EC2 in `region`, as the role, for a call or two (an action's). (Made straight from the
    /// primary setup, without the copy `config` makes.)
    pub fn ec2(&self, region: &str) -> aws_sdk_ec2::Client {
        let conf = aws_sdk_ec2::config::Builder::from(self.aws.sdk())
            .region(Region::new(region.to_string()))
            .credentials_provider(self.credentials.sdk())
            .build();
        aws_sdk_ec2::Client::from_conf(conf)
    }

    /// EC2 in `region` for a listing: the role's one listing client, and the region each call
    /// names (`.customize().config_override(ec2.here())`).
    pub fn listing_ec2(&self, region: &str) -> Ec2 {
        let client = self
            .listing_ec2
            .get_or_init(|| self.ec2(&self.primary_region()))
            .clone();
        Ec2 {
            client,
            region: Region::new(region.to_string()),
        }
    }

    /// IAM, as the role (IAM is global: `region` only picks the partition and signs).
    pub fn iam(&self, region: &str) -> aws_sdk_iam::Client {
        aws_sdk_iam::Client::new(&self.config(region))
    }

    /// KMS in `region`, as the role.
    pub fn kms(&self, region: &str) -> aws_sdk_kms::Client {
        aws_sdk_kms::Client::new(&self.config(region))
    }
}

/// EC2 as a role, in one region: a client made for another region, and the override that
/// sends its calls to this one (endpoint and signing region).
#[derive(Clone)]
pub struct Ec2 {
    pub client: aws_sdk_ec2::Client,
    region: Region,
}

impl Ec2 {
    /// The override that sends a call to this region, with this region's retry budget (the
    /// SDK names a client's `ec2-<region>` when it is built; an override of the region alone
    /// would leave every region drawing on the client's first region's).
    pub fn here(&self) -> aws_sdk_ec2::config::Builder {
        aws_sdk_ec2::config::Builder::default()
            .region(self.region.clone())
            .retry_partition(aws_sdk_ec2::config::retry::RetryPartition::new(format!(
                "ec2-{}",
                self.region
            )))
    }
}

/// Every page of a listing that pages by NextToken: `call(token)` asks for one page, `take(page)`
/// keeps its rows and gives the next token. It stops at a missing or empty token, or one that
/// comes back unchanged, as the SDK's paginators do (which cannot send a call elsewhere than
/// their client's region, as `Ec2::here` does).
pub async fn every_page<P, E, C, Fut, T>(mut call: C, mut take: T) -> Result<(), E>
where
    C: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = Result<P, E>>,
    T: FnMut(P) -> Option<String>,
{
    let mut token: Option<String> = None;
    loop {
        let page = call(token.clone()).await?;
        let next = take(page).filter(|t| !t.is_empty());
        if next.is_none() || next == token {
            return Ok(());
        }
        token = next;
    }
}

/// A place among `calls` (none without them). A closed semaphore is never made: without a
/// permit, the call goes anyway.
async fn permit(calls: Option<Arc<Semaphore>>) -> Option<OwnedSemaphorePermit> {
    match calls {
        Some(c) => c.acquire_owned().await.ok(),
        None => None,
    }
}

/// A region (or, for a kind listed once per account, the account's one call) that failed.
#[derive(Debug, Clone)]
pub struct RegionFailure {
    pub region: String,
    pub error: AwsError,
}

/// What came back from every region: the rows of those that answered, and those that failed.
#[derive(Debug, Clone)]
pub struct Listing<T> {
    pub items: Vec<T>,
    pub failures: Vec<RegionFailure>,
    /// What the listing found worth saying that is not a failure: a trail that stopped logging,
    /// a check that was not allowed. One line each, without the account (its listing adds it).
    pub notes: Vec<String>,
    /// The regions listed, when they were found out rather than given: `regions = "all"`
    /// made into the account's enabled regions.
    pub regions: Option<Vec<String>>,
}

impl<T> Default for Listing<T> {
    fn default() -> Self {
        Listing {
            items: Vec::new(),
            failures: Vec::new(),
            notes: Vec::new(),
            regions: None,
        }
    }
}

impl<T> Listing<T> {
    /// The same listing with each row changed by `f`. (Into a vector of its own: `collect`
    /// would reuse the old rows' allocation for the new, smaller rows, and keep all of it.)
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Listing<U> {
        let mut items = Vec::with_capacity(self.items.len());
        items.extend(self.items.into_iter().map(f));
        Listing {
            items,
            failures: self.failures,
            notes: self.notes,
            regions: self.regions,
        }
    }
}

/// Runs `job` for every region of `target` at once (as many as the fan-out's calls in flight
/// allow, when it shares them) and gathers rows and failures, regions in the given order.
pub async fn per_region<T, F, Fut>(target: &RoleTarget, regions: &[String], job: F) -> Listing<T>
where
    T: Send + 'static,
    F: Fn(String) -> Fut,
    Fut: Future<Output = Result<Vec<T>, AwsError>> + Send + 'static,
{
    let mut set = JoinSet::new();
    for (i, region) in regions.iter().enumerate() {
        let fut = job(region.clone());
        let region = region.clone();
        let calls = target.calls.clone();
        set.spawn(async move {
            let _permit = permit(calls).await;
            (i, region, fut.await)
        });
    }
    let mut results = Vec::with_capacity(regions.len());
    while let Some(joined) = set.join_next().await {
        match joined {
            Ok(r) => results.push(r),
            Err(e) => tracing::error!("a region task failed: {e}"),
        }
    }
    results.sort_by_key(|(i, _, _)| *i);
    let mut listing = Listing::default();
    for (_, region, result) in results {
        match result {
            Ok(mut rows) => listing.items.append(&mut rows),
            Err(error) => listing.failures.push(RegionFailure { region, error }),
        }
    }
    listing
}

#[cfg(test)]
mod tests {
    use super::every_page;

    /// Pages by token from a list of (rows, next token) answers; records the tokens asked with.
    async fn paged(answers: Vec<(u32, Option<&str>)>) -> (Vec<u32>, Vec<Option<String>>, bool) {
        let mut asked = Vec::new();
        let mut rows = Vec::new();
        let mut answers = answers.into_iter();
        let result = every_page(
            |token: Option<String>| {
                asked.push(token);
                let next = answers.next();
                async move { next.ok_or("asked past the last page") }
            },
            |(row, next): (u32, Option<&str>)| {
                rows.push(row);
                next.map(str::to_string)
            },
        )
        .await;
        (rows, asked, result.is_ok())
    }

    #[tokio::test]
    async fn every_page_follows_tokens_and_stops_at_none_empty_or_repeated() {
        let (rows, asked, ok) = paged(vec![(1, Some("a")), (2, Some("b")), (3, None)]).await;
        assert_eq!(rows, [1, 2, 3]);
        assert_eq!(asked, [None, Some("a".into()), Some("b".into())]);
        assert!(ok);

        let (rows, _, ok) = paged(vec![(1, Some("a")), (2, Some(""))]).await;
        assert_eq!(rows, [1, 2], "an empty token is the last page");
        assert!(ok);

        // A token that comes back unchanged would ask for the same page for ever.
        let (rows, asked, ok) = paged(vec![(1, Some("a")), (2, Some("a")), (3, None)]).await;
        assert_eq!(rows, [1, 2]);
        assert_eq!(asked.len(), 2);
        assert!(ok);
    }

    #[tokio::test]
    async fn every_page_stops_at_the_first_error() {
        let mut calls = 0;
        let result: Result<(), &str> = every_page(
            |_| {
                calls += 1;
                async move {
                    if calls == 2 {
                        Err("throttled")
                    } else {
                        Ok(calls)
                    }
                }
            },
            |_| Some(String::from("more")),
        )
        .await;
        assert_eq!(result, Err("throttled"));
        assert_eq!(calls, 2);
    }
}
