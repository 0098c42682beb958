//! Every account at once: `rolecall instances --all` / `volumes --all` and the TUI's every-account
//! view. One role per account (the first known one that needs no MFA code), assumed and listed in
//! all its regions; what fails is reported per account and region, and the rest is kept.
//!
//! How fast it goes adapts to AWS's throttling (`flow`: accounts in flight, AssumeRoles paced);
//! an account throttled past the SDK's own retries is listed again later: throttling costs time,
//! never an account.

mod flow;
pub mod regions;

pub use flow::{paced, raise_open_file_limit, Limit, Pace, MAX_CALLS, PACE_MAX, PACE_START};
use flow::{retry_delay, MAX_RETRIES};

use std::collections::VecDeque;
use std::future::Future;

use futures::stream::{self, FuturesUnordered, Stream, StreamExt};
use tokio::sync::Semaphore;

use crate::aws::arn::RoleArn;
use crate::aws::assume::{assume_role, chained_cap};
use std::sync::Arc;

use crate::aws::credentials::RoleCredentials;
use crate::aws::target::{Listing, RoleTarget};
use crate::aws::{Aws, AwsError};
use crate::case::{records, CaseError, Entry, Journal};
use crate::config::Config;
use crate::config::ALL_REGIONS;
use crate::resources::{Failure, FindingFilter, Kind, Origin, Query, Reach, Row, Subject, Window};
use crate::roles::Role;

/// Everything listed, sorted by account, and every failure.
#[derive(Debug, Clone)]
pub struct Inventory {
    /// Each with the account and role it came through.
    pub rows: Vec<Row>,
    pub failures: Vec<Failure>,
    /// Accounts listed (in whole or in part) out of those tried.
    pub accounts_ok: usize,
    pub accounts: usize,
    /// Accounts AWS throttled, listed again later.
    pub throttled: usize,
    /// What the listings found worth saying, each naming its account (a stopped trail).
    pub notes: Vec<String>,
}

/// One account to list: the role to list it through, the regions to look in, and for a query
/// kind the time window (the same for every account of a listing).
#[derive(Debug, Clone)]
pub struct Target {
    pub role: Role,
    pub account_name: Option<String>,
    pub regions: Vec<String>,
    pub window: Option<Window>,
    /// What a query kind looks up (the same for every account of a listing).
    pub subject: Option<Subject>,
    /// Findings only: the severities and statuses asked for (`None`: any).
    pub findings: Option<FindingFilter>,
}

impl Target {
    /// The role's own regions, or `regions_override` when not empty.
    pub fn new(
        role: Role,
        config: &Config,
        regions_override: &[String],
        window: Option<Window>,
    ) -> Target {
        let regions = if regions_override.is_empty() {
            role.regions(&config.defaults)
        } else {
            regions_override.to_vec()
        };
        Target {
            account_name: config
                .account(role.arn.account_id())
                .and_then(|a| a.name.clone())
                .or_else(|| role.account_name.clone()),
            role,
            regions,
            window,
            subject: None,
            findings: None,
        }
    }

    /// The same target, looking up `subject`.
    pub fn about(self, subject: Option<Subject>) -> Target {
        Target { subject, ..self }
    }

    /// What listing this account asks for.
    pub fn query(&self) -> Query {
        Query {
            regions: self.regions.clone(),
            window: self.window,
            subject: self.subject.clone(),
            findings: self.findings.clone(),
        }
    }
}

/// One account's answer: its rows and what failed, as soon as it is in.
#[derive(Debug, Clone)]
pub struct Part {
    /// The role the account was listed through, in which regions, and (a query kind) over what
    /// time.
    pub role: RoleArn,
    pub regions: Vec<String>,
    pub window: Option<Window>,
    pub subject: Option<Subject>,
    /// The findings' filter it was listed with (findings only).
    pub findings: Option<FindingFilter>,
    /// Each with the account and role it came through.
    pub rows: Vec<Row>,
    pub failures: Vec<Failure>,
    /// What the listing found worth saying, each naming the account: "account 222222222222
    /// (prod): trail main stopped logging at …".
    pub notes: Vec<String>,
    /// Listed in whole or in part (at least one region answered).
    pub ok: bool,
    /// Times the account was throttled and listed again.
    pub throttled: u32,
    /// A session was had and the listing made (its AssumeRole did not fail).
    pub listed: bool,
}

impl Part {
    /// What listing `kind` through `role` (in `regions`) came to: the account's failure when no
    /// session could be had, else its rows (each with the account and role it came through,
    /// `account_name` being the account's name) and the regions that failed. A kind listed once
    /// per account fails as a whole account, not as a region.
    pub fn new(
        kind: Kind,
        role: &RoleArn,
        account_name: Option<String>,
        query: Query,
        outcome: Result<Listing<Row>, AwsError>,
    ) -> Part {
        let Query {
            regions,
            window,
            subject,
            findings,
        } = query;
        let listing = match outcome {
            Err(e) => {
                return Part {
                    failures: vec![Failure::new(role, None, e)],
                    rows: Vec::new(),
                    notes: Vec::new(),
                    subject,
                    findings,
                    ok: false,
                    throttled: 0,
                    listed: false,
                    role: role.clone(),
                    regions,
                    window,
                }
            }
            Ok(listing) => listing,
        };
        // "all", as the account answered it.
        let regions = listing.regions.clone().unwrap_or(regions);
        let account = match &account_name {
            Some(n) => format!("account {} ({n})", role.account_id()),
            None => format!("account {}", role.account_id()),
        };
        let notes = listing
            .notes
            .iter()
            .map(|n| format!("{account}: {n}"))
            .collect();
        let origin = Arc::new(Origin {
            account_id: role.account_id().to_string(),
            account_name,
            role_arn: role.to_string(),
        });
        let rows = listing
            .items
            .into_iter()
            .map(|row| row.through(origin.clone()))
            .collect();
        let (failures, ok) = failed(kind.about().reach, role, regions.len(), listing.failures);
        Part {
            ok,
            throttled: 0,
            listed: true,
            rows,
            failures,
            notes,
            role: role.clone(),
            regions,
            window,
            subject,
            findings,
        }
    }

    /// The regions a listing of `kind` looks in, as its record names them (`global` for a kind
    /// listed once per account).
    pub fn places(kind: Kind, regions: &[String]) -> Vec<String> {
        match kind.about().reach {
            Reach::Regional => regions.to_vec(),
            Reach::Global => vec!["global".to_string()],
        }
    }

    /// Records this listing of `kind` in the case log (nothing without a case), and gives the
    /// entry written. An account never listed (its AssumeRole failed) has that failure recorded
    /// already, and is not recorded again.
    pub async fn record(
        &self,
        kind: Kind,
        aws: &Aws,
        journal: &Journal,
    ) -> Result<Option<Entry>, CaseError> {
        if !self.listed {
            return Ok(None);
        }
        let mut record = records::listed(
            &self.role,
            kind.noun(),
            &Part::places(kind, &self.regions),
            self.rows.len(),
            &self.failures,
        );
        if let Some(w) = &self.window {
            record.params["window"] = serde_json::json!({
                "start": crate::time::rfc3339(&w.start),
                "end": crate::time::rfc3339(&w.end),
            });
        }
        if let Some(subject) = &self.subject {
            record.params["lookup"] = serde_json::json!(subject);
        }
        if let Some(f) = &self.findings {
            record.params["filter"] = serde_json::json!(f);
        }
        if !self.notes.is_empty() {
            record.result["notes"] = serde_json::json!(self.notes);
        }
        journal.record(aws, record).await
    }

    /// How many of its regions answered (listed, or said the region or service is not enabled
    /// there), out of how many it was to list: `None` when those were never found out (its
    /// session or its `regions = "all"` failed). A kind listed once per account counts as one
    /// place.
    pub fn regions_answered(&self, kind: Kind) -> (usize, Option<usize>) {
        if !self.listed || self.regions.as_slice() == [ALL_REGIONS] {
            return (0, None);
        }
        if kind.about().reach == Reach::Global {
            return (usize::from(self.ok), Some(1));
        }
        let failed = |r: &String| {
            self.failures.iter().any(|f| {
                f.region.as_ref() == Some(r) && f.error.kind != crate::aws::ErrorKind::NotEnabled
            })
        };
        let answered = self.regions.iter().filter(|r| !failed(r)).count();
        (answered, Some(self.regions.len()))
    }

    /// The first error, when nothing was listed at all: every region (or the account's one
    /// call) failed.
    pub fn all_failed(&self) -> Option<&AwsError> {
        if self.ok {
            return None;
        }
        self.failures.first().map(|f| &f.error)
    }
}

/// What failed of a listing through `role` in `regions` regions, and whether anything was
/// listed: a kind listed per region fails region by region; one listed once per account (IAM)
/// fails as the whole account.
fn failed(
    reach: Reach,
    role: &RoleArn,
    regions: usize,
    failures: Vec<crate::aws::target::RegionFailure>,
) -> (Vec<Failure>, bool) {
    let global = reach == Reach::Global;
    let failures: Vec<Failure> = failures
        .into_iter()
        .map(|f| Failure::new(role, (!global).then_some(f.region), f.error))
        .collect();
    let tried = if global { 1 } else { regions };
    // A region where the service is not enabled is named, but it answered: nothing there.
    let failed = failures
        .iter()
        .filter(|f| f.error.kind != crate::aws::ErrorKind::NotEnabled)
        .count();
    let ok = failed < tried;
    (failures, ok)
}

/// The failures of a listing in regions rolecall chose (`regions = "all"`, `regions` of them),
/// with those of a region the account has not enabled named as such, not as failures: it
/// answers OptInRequired, or (EC2) AuthFailure. The account's kept list of its regions may still
/// name a region it has since disabled. AuthFailure is also what credentials AWS refuses get
/// everywhere, so it means a disabled region only when another region answered otherwise.
/// (A region the user named is theirs to fix: its failure stays one, with the opt-in hint.)
pub fn not_enabled(
    regions: usize,
    failures: Vec<crate::aws::target::RegionFailure>,
) -> Vec<crate::aws::target::RegionFailure> {
    use crate::aws::ErrorKind;
    let auth_failure = |e: &AwsError| e.code.as_deref() == Some("AuthFailure");
    let refused = failures.iter().filter(|f| auth_failure(&f.error)).count();
    failures
        .into_iter()
        .map(|mut f| {
            let disabled = f.error.kind == ErrorKind::RegionDisabled
                || (auth_failure(&f.error) && refused < regions);
            if disabled && f.region != ALL_REGIONS {
                f.error.kind = ErrorKind::NotEnabled;
                f.error.message = format!(
                    "{} is not enabled for the account (an opt-in region): nothing listed there",
                    f.region
                );
                f.error.hint = Some(
                    "enable the region for the account to list it (Account settings, or account:EnableRegion); with regions = \"all\", rolecall asks the account's regions again within the hour".into(),
                );
            }
            f
        })
        .collect()
}

/// Lists `kind` through `role` (`target`: as the role) page by page, each page recorded before
/// it is given, with the entry written: what the CLI and the TUI do for one role. `chosen`: the
/// regions are those the account said it enabled (`regions = "all"`), see [`not_enabled`]. A kind listed
/// whole is one page; a query kind's pages come as AWS gives them. The rows carry the account
/// and role they came through. A page that cannot be recorded ends it.
pub fn list_role<'a>(
    aws: &'a Aws,
    journal: &'a Journal,
    kind: Kind,
    role: &'a RoleArn,
    target: &'a RoleTarget,
    query: &'a Query,
    chosen: bool,
) -> impl Stream<Item = Result<(Part, Option<Entry>), CaseError>> + 'a {
    let regional = kind.about().reach == Reach::Regional;
    let pages = kind
        .spec()
        .pages(target, query)
        .then(move |mut page| async move {
            if chosen && regional {
                page.failures = not_enabled(query.regions.len(), page.failures);
            }
            let part = Part::new(kind, role, None, query.clone(), Ok(page));
            let entry = part.record(kind, aws, journal).await?;
            Ok((part, entry))
        });
    // Nothing after a page that could not be recorded.
    pages.scan(false, |failed, item| {
        let stop = *failed;
        *failed |= item.is_err();
        futures::future::ready((!stop).then_some(item))
    })
}

/// The regions an account has without opting in to any: what `regions = "all"` is counted as
/// until the account says which it enabled.
pub const DEFAULT_REGIONS: usize = 17;

/// How many regions a listing in `regions` looks in, as far as is known before it runs:
/// `regions = "all"` counted as [`DEFAULT_REGIONS`].
pub fn planned_regions(regions: &[String]) -> usize {
    if regions == [ALL_REGIONS] {
        DEFAULT_REGIONS
    } else {
        regions.len()
    }
}

/// `query` with `regions = "all"` made into the regions the account of `role` has enabled
/// (`ec2:DescribeRegions`, asked of the account: the regions that need no opt-in and those it
/// opted in to; asked once and kept, see [`regions`]); any other query as it is. A kind listed
/// once per account needs no regions.
pub async fn concrete(
    kind: Kind,
    role: &RoleArn,
    target: &RoleTarget,
    query: &Query,
) -> Result<Query, AwsError> {
    if query.regions.as_slice() != [ALL_REGIONS] {
        return Ok(query.clone());
    }
    let home = target.primary_region();
    if kind.about().reach == Reach::Global {
        return Ok(Query {
            regions: vec![home],
            ..query.clone()
        });
    }
    let partition = crate::aws::arn::Partition::of_region(&home).unwrap_or(role.partition());
    let regions = regions::shared()
        .get(&target.scope(), role.account_id(), partition, || {
            crate::aws::ec2::enabled_regions(target, &home)
        })
        .await
        .map_err(|e| {
            let hint = "regions = \"all\" asks each account which regions it has enabled (ec2:DescribeRegions): allow it, or name the regions";
            e.with_hint(hint)
        })?;
    Ok(Query {
        regions,
        ..query.clone()
    })
}

/// Every page of `kind` for `query`, as one listing: what an account of an every-account
/// listing gives.
pub async fn whole(kind: Kind, role: &RoleArn, target: &RoleTarget, query: &Query) -> Listing<Row> {
    let resolved = match concrete(kind, role, target, query).await {
        Ok(q) => q,
        Err(error) => {
            return Listing {
                failures: vec![crate::aws::target::RegionFailure {
                    region: ALL_REGIONS.to_string(),
                    error,
                }],
                ..Listing::default()
            }
        }
    };
    let chosen = query.regions.as_slice() == [ALL_REGIONS];
    let query = &resolved;
    let mut pages = kind.spec().pages(target, query);
    let mut all = Listing::default();
    if query.regions.as_slice() != [ALL_REGIONS] {
        all.regions = Some(query.regions.clone());
    }
    while let Some(mut page) = pages.next().await {
        all.items.append(&mut page.items);
        all.failures.append(&mut page.failures);
        all.notes.append(&mut page.notes);
    }
    if chosen && kind.about().reach == Reach::Regional {
        all.failures = not_enabled(query.regions.len(), std::mem::take(&mut all.failures));
    }
    all
}

fn is_throttled(outcome: &Result<Listing<Row>, AwsError>) -> bool {
    use crate::aws::ErrorKind::Throttled;
    match outcome {
        Err(e) => e.kind == Throttled,
        Ok(l) => l.failures.iter().any(|f| f.error.kind == Throttled),
    }
}

/// Every target listed, at most `ceiling` accounts at a time (fewer while AWS throttles, see
/// [`Limit`]), each account's answer coming out as soon as it is in. Targets are listed as they
/// arrive (the CLI starts on the accounts it knows while discovery finds more). `credentials`
/// gets a target's session (assumes the role, or reuses a live session); `list` lists with it in
/// the target's regions. A throttled account is listed again later; its part says how often.
pub fn parts<S, C, CF, L, LF>(
    kind: Kind,
    targets: S,
    ceiling: usize,
    credentials: C,
    list: L,
) -> impl Stream<Item = Part>
where
    S: Stream<Item = Target> + Unpin,
    C: Fn(&Target) -> CF,
    CF: Future<Output = Result<RoleCredentials, AwsError>>,
    L: Fn(RoleArn, RoleCredentials, Query, Arc<Semaphore>) -> LF + Clone,
    LF: Future<Output = Listing<Row>>,
{
    // Calls in flight over every account: an account's AssumeRole holds one, each of its
    // regions' listings one while it runs. So an account waiting on its AssumeRole or its
    // regions holds no more than it uses, and the accounts in flight (`Limit`) need not be
    // cut to MAX_CALLS / regions: at 17 regions that left a third of the calls' room unused.
    let calls = Arc::new(Semaphore::new(MAX_CALLS));
    let job = move |target: Target, attempt: u32| {
        let session = credentials(&target);
        let list = list.clone();
        let calls = calls.clone();
        async move {
            if attempt > 0 {
                tokio::time::sleep(retry_delay(attempt)).await;
            }
            let session = {
                let _permit = calls.acquire().await.ok();
                session.await
            };
            let outcome = match session {
                Ok(c) => Ok(list(target.role.arn.clone(), c, target.query(), calls).await),
                Err(e) => Err(e),
            };
            (target, attempt, outcome)
        }
    };
    let queue: VecDeque<(Target, u32)> = VecDeque::new();
    let running = FuturesUnordered::new();
    stream::unfold(
        (queue, running, Limit::new(ceiling), job, Some(targets)),
        move |(mut queue, mut running, mut limit, job, mut incoming)| async move {
            loop {
                // Whatever has arrived, without waiting.
                while let Some(s) = incoming.as_mut() {
                    match futures::poll!(s.next()) {
                        std::task::Poll::Ready(Some(t)) => queue.push_back((t, 0)),
                        std::task::Poll::Ready(None) => incoming = None,
                        std::task::Poll::Pending => break,
                    }
                }
                while running.len() < limit.current() {
                    let Some((target, attempt)) = queue.pop_front() else {
                        break;
                    };
                    running.push(job(target, attempt));
                }
                let done = match incoming.as_mut() {
                    // Nothing to wait for but more targets.
                    Some(s) if running.is_empty() => {
                        match s.next().await {
                            Some(t) => queue.push_back((t, 0)),
                            None => incoming = None,
                        }
                        continue;
                    }
                    Some(s) => tokio::select! {
                        biased;
                        t = s.next() => {
                            match t {
                                Some(t) => queue.push_back((t, 0)),
                                None => incoming = None,
                            }
                            continue;
                        }
                        done = running.next() => done,
                    },
                    None => running.next().await,
                };
                let (target, attempt, outcome) = done?;
                if is_throttled(&outcome) && attempt < MAX_RETRIES {
                    limit.throttled();
                    tracing::debug!(role = %target.role.arn, attempt, limit = limit.current(), "throttled: listed again later");
                    queue.push_back((target, attempt + 1));
                    continue;
                }
                limit.listed();
                let query = target.query();
                let mut part =
                    Part::new(kind, &target.role.arn, target.account_name, query, outcome);
                part.throttled = attempt;
                return Some((part, (queue, running, limit, job, incoming)));
            }
        },
    )
}

/// One role per account, as roles arrive: the first that needs no MFA code (an unattended run
/// cannot ask for one), or whose MFA device has a session at hand (one code given for all).
/// Accounts whose every role needs a code are kept apart, to report.
#[derive(Debug, Default)]
pub struct OnePerAccount {
    chosen: std::collections::HashSet<String>,
    mfa_only: Vec<Role>,
}

impl OnePerAccount {
    /// `role` if its account is to be listed through it (`mfa_ready`: its MFA device has a
    /// session at hand, so it needs no code).
    pub fn offer(&mut self, role: Role, mfa_ready: bool) -> Option<Role> {
        let account = role.arn.account_id();
        if self.chosen.contains(account) {
            return None;
        }
        if role.mfa_serial.is_some() && !mfa_ready {
            if !self.mfa_only.iter().any(|m| m.arn.account_id() == account) {
                self.mfa_only.push(role);
            }
            return None;
        }
        self.chosen.insert(account.to_string());
        Some(role)
    }

    /// Accounts chosen so far.
    pub fn chosen(&self) -> usize {
        self.chosen.len()
    }

    /// The accounts reachable only with an MFA code.
    pub fn mfa_only(&self) -> Vec<Role> {
        self.mfa_only
            .iter()
            .filter(|m| !self.chosen.contains(m.arn.account_id()))
            .cloned()
            .collect()
    }
}

/// Lists every account through `roles`, at most `concurrency` accounts at a time.
/// `progress(done, total)` is called as accounts finish. Each AssumeRole and each account's
/// listing is recorded through `journal` (when a case is open) before it counts; an account
/// whose record cannot be written is reported failed with that error. `roles` may still be
/// arriving (discovery under way): each account is listed through the first of its roles that
/// needs no MFA code, as soon as that role arrives. Sessions are asked for an hour at most.
pub async fn fan_out(
    kind: Kind,
    aws: &Aws,
    config: &Config,
    journal: &Journal,
    roles: impl Stream<Item = Role> + Unpin,
    regions_override: &[String],
    progress: impl Fn(usize, usize),
) -> Inventory {
    let query = Query::of(kind, regions_override.to_vec(), chrono::Utc::now());
    fan_out_query(kind, aws, config, journal, roles, &query, progress).await
}

/// [`fan_out`] for a query: `query.regions` override each role's (when not empty), and a query
/// kind looks in `query.window` (its default when `None`) for `query.subject` in every account.
pub async fn fan_out_query(
    kind: Kind,
    aws: &Aws,
    config: &Config,
    journal: &Journal,
    roles: impl Stream<Item = Role> + Unpin,
    query: &Query,
    progress: impl Fn(usize, usize),
) -> Inventory {
    let regions_override = &query.regions[..];
    let concurrency = config.defaults.concurrency as usize;
    // One window for every account of a query kind's listing.
    let window = query
        .window
        .or_else(|| Query::of(kind, Vec::new(), chrono::Utc::now()).window);
    let subject = query.subject.clone();
    let findings = query.findings.clone();
    let accounts = std::cell::RefCell::new(OnePerAccount::default());
    let targets = roles
        .then(|role| {
            Box::pin(async move {
                let ready = match &role.mfa_serial {
                    Some(serial) => crate::aws::source::mfa_ready(aws, serial).await,
                    None => false,
                };
                (role, ready)
            })
        })
        .filter_map(|(role, ready)| {
            let chosen = accounts.borrow_mut().offer(role, ready);
            futures::future::ready(chosen.map(|r| Target {
                findings: findings.clone(),
                ..Target::new(r, config, regions_override, window).about(subject.clone())
            }))
        });
    let mut inventory = Inventory {
        rows: Vec::new(),
        failures: Vec::new(),
        accounts_ok: 0,
        accounts: 0,
        throttled: 0,
        notes: Vec::new(),
    };
    let pace = Pace::default();
    let assume = |target: &Target| {
        let requested = target.role.duration(&config.defaults);
        // A listing needs its session for seconds: an hour at most, which AWS grants whoever
        // the caller is (a role session's AssumeRole is capped there), so nothing waits to
        // learn who that is.
        let duration = chained_cap(requested, true).or(Some(requested));
        let params = target.role.assume_params(&config.defaults, duration, None);
        let pace = &pace;
        async move {
            let result = paced(pace, assume_role(aws, &params)).await;
            journal
                .record(aws, records::assumed("assume", &params, &result))
                .await
                .map_err(|e| unrecorded(&params.role_arn, e))?;
            result.map(|session| session.credentials.provider())
        }
    };
    let page_size = config.defaults.page_size;
    let with = move |role: RoleArn, credentials, query: Query, calls| {
        let target = RoleTarget::new(aws.clone(), credentials, page_size).sharing(calls);
        async move { whole(kind, &role, &target, &query).await }
    };
    let mut results = std::pin::pin!(parts(kind, targets, concurrency, assume, with));
    // Each account's rows apart, put together once at the end: one vector grown by doubling to
    // thousands of rows would copy them each time and take fresh memory for each size.
    let mut rows: Vec<Vec<Row>> = Vec::new();
    let mut done = 0;
    while let Some(mut part) = results.next().await {
        done += 1;
        progress(done, accounts.borrow().chosen());
        if let Err(e) = part.record(kind, aws, journal).await {
            part.rows.clear();
            part.ok = false;
            part.failures = vec![Failure::new(&part.role, None, unrecorded(&part.role, e))];
        }
        inventory.accounts_ok += usize::from(part.ok);
        inventory.throttled += usize::from(part.throttled > 0);
        inventory.failures.extend(part.failures);
        inventory.notes.extend(part.notes);
        if !part.rows.is_empty() {
            rows.push(part.rows);
        }
    }
    let accounts = accounts.take();
    let mfa_only = accounts.mfa_only();
    inventory.accounts = accounts.chosen() + mfa_only.len();
    inventory.failures.extend(mfa_only.iter().map(|r| {
        Failure::needs_mfa(
            &r.arn,
            format!(
                "list it on its own: rolecall {} {} --token-code CODE",
                kind.about().command,
                r.arn
            ),
        )
    }));
    // Stable output whatever order accounts answered in (each account's rows keep their order).
    // Only accounts with rows are kept, so each has a first row to sort by.
    rows.sort_by(|a, b| a[0].account_id().cmp(&b[0].account_id()));
    inventory.rows = Vec::with_capacity(rows.iter().map(Vec::len).sum());
    for mut r in rows {
        inventory.rows.append(&mut r);
    }
    inventory
        .failures
        .sort_by(|a, b| (&a.account_id, &a.region).cmp(&(&b.account_id, &b.region)));
    inventory
}

/// A record that could not be written, as the account's failure.
fn unrecorded(role: &RoleArn, e: crate::case::CaseError) -> AwsError {
    AwsError::new(crate::aws::ErrorKind::Other, "writing the case log", role.to_string())
        .with_message(e.to_string())
        .with_hint("what was not recorded is not reported: free disk space or fix the case folder's permissions")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn role(arn: &str, mfa: bool) -> Role {
        let mut r = crate::roles::resolve(&Config::default(), arn).unwrap();
        if mfa {
            r.mfa_serial = Some("arn:aws:iam::111111111111:mfa/me".into());
        }
        r
    }

    #[test]
    fn a_global_kind_fails_as_its_account_a_regional_one_by_region() {
        use crate::aws::target::RegionFailure;
        let arn: RoleArn = "arn:aws:iam::222222222222:role/R".parse().unwrap();
        let down = |region: &str| RegionFailure {
            region: region.into(),
            error: AwsError::new(crate::aws::ErrorKind::AccessDenied, "List", region),
        };
        // Per region: one of two failing leaves the listing ok; both failing does not.
        let (f, ok) = failed(Reach::Regional, &arn, 2, vec![down("eu-west-1")]);
        assert!(ok);
        assert_eq!(f[0].region.as_deref(), Some("eu-west-1"));
        let (_, ok) = failed(
            Reach::Regional,
            &arn,
            2,
            vec![down("eu-west-1"), down("us-east-1")],
        );
        assert!(!ok);
        // Once per account: its one call failing is the account's failure, whatever the regions.
        let (f, ok) = failed(Reach::Global, &arn, 3, vec![down("us-east-1")]);
        assert!(!ok);
        assert_eq!(f[0].region, None);
        assert_eq!(f[0].place(), "account 222222222222");
        assert_eq!(
            Part::places(Kind::Instances, &["eu-west-1".into()]),
            ["eu-west-1"]
        );
    }

    #[test]
    fn a_region_not_enabled_is_named_not_failed() {
        use crate::aws::target::RegionFailure;
        use crate::aws::ErrorKind;
        let arn: RoleArn = "arn:aws:iam::333333333333:role/R".parse().unwrap();
        let answer = |region: &str, code: &str| RegionFailure {
            region: region.into(),
            error: AwsError::new(
                crate::aws::error::kind_from_code(Some(code)),
                "DescribeInstances",
                format!("region {region}"),
            )
            .with_code(code),
        };
        // An opt-in region since disabled (a kept list still names it) among regions that
        // answered: named, and the listing is whole.
        let f = not_enabled(
            3,
            vec![
                answer("me-central-1", "AuthFailure"),
                answer("ap-east-1", "OptInRequired"),
            ],
        );
        assert!(f.iter().all(|f| f.error.kind == ErrorKind::NotEnabled));
        assert!(f[0].error.message.contains("me-central-1 is not enabled"));
        let (f, ok) = failed(Reach::Regional, &arn, 3, f);
        assert!(ok);
        assert_eq!(f[0].code(), "AuthFailure");
        // Every region refusing the credentials is what it says: they are not accepted.
        let f = not_enabled(
            2,
            vec![
                answer("eu-west-1", "AuthFailure"),
                answer("us-east-1", "AuthFailure"),
            ],
        );
        assert!(f
            .iter()
            .all(|f| f.error.kind == ErrorKind::InvalidCredentials));
        assert!(!failed(Reach::Regional, &arn, 2, f).1);
        // OptInRequired says it whatever else answered.
        let f = not_enabled(1, vec![answer("ap-east-1", "OptInRequired")]);
        assert_eq!(f[0].error.kind, ErrorKind::NotEnabled);
        // Other failures stay failures, and so does the account's own ("all": no region).
        let f = not_enabled(
            2,
            vec![
                answer("eu-west-1", "UnauthorizedOperation"),
                answer(ALL_REGIONS, "OptInRequired"),
            ],
        );
        assert_eq!(f[0].error.kind, ErrorKind::AccessDenied);
        assert_eq!(f[1].error.kind, ErrorKind::RegionDisabled);
    }

    #[test]
    fn one_role_per_account_prefers_roles_without_mfa() {
        let roles = vec![
            role("arn:aws:iam::222222222222:role/BreakGlass", true),
            role("arn:aws:iam::222222222222:role/Responder", false),
            role("arn:aws:iam::222222222222:role/Other", false),
            role("arn:aws:iam::333333333333:role/OnlyMfa", true),
            role("arn:aws:iam::444444444444:role/A", false),
        ];
        let mut one = OnePerAccount::default();
        let chosen: Vec<Role> = roles
            .clone()
            .into_iter()
            .filter_map(|r| one.offer(r, false))
            .collect();
        // With the MFA session at hand, an MFA role counts like any other.
        let mut with_mfa = OnePerAccount::default();
        let reached: Vec<Role> = roles
            .iter()
            .cloned()
            .filter_map(|r| with_mfa.offer(r, true))
            .collect();
        assert_eq!(reached.len(), 3);
        assert!(with_mfa.mfa_only().is_empty());
        let skipped = one.mfa_only();
        let names: Vec<String> = chosen.iter().map(|r| r.arn.to_string()).collect();
        assert_eq!(
            names,
            [
                "arn:aws:iam::222222222222:role/Responder",
                "arn:aws:iam::444444444444:role/A"
            ]
        );
        assert_eq!(skipped.len(), 1);
        assert_eq!(skipped[0].arn.account_id(), "333333333333");
    }
}
