//! Every account at once: `rolecall instances --all` / `volumes --all` and the TUI's every-account
//! view. One role per account (the first known one that needs no MFA code), assumed and listed in
//! all its regions; what fails is reported per account and region, and the rest is kept.
//!
//! How many accounts are in flight adapts, as TCP's window does: it starts at 256, grows by one
//! for each account listed until AWS first throttles (STS's AssumeRole quota, EC2's request
//! limits), then halves on a throttle and grows by one per window of accounts listed, never past
//! `defaults.concurrency`. AssumeRoles are paced apart from that ([`Pace`]): 500 a second at
//! first, half as many after a throttle. An account throttled past the SDK's own retries is
//! listed again later, after a pause that grows with each try: throttling costs time, never an
//! account.

use std::collections::VecDeque;
use std::future::Future;
use std::time::Duration;

use futures::stream::{self, FuturesUnordered, Stream, StreamExt};

use crate::aws::arn::RoleArn;
use crate::aws::assume::{assume_role, chained_cap};
use crate::aws::credentials::RoleCredentials;
use crate::aws::ec2::{Ec2Target, Listable, Listing};
use crate::aws::{Aws, AwsError};
use crate::case::{records, Journal};
use crate::config::Config;
use crate::resources::{AccountRow, Failure};
use crate::roles::Role;

/// Everything listed, sorted by account, and every failure.
#[derive(Debug, Clone)]
pub struct Inventory<T> {
    pub rows: Vec<AccountRow<T>>,
    pub failures: Vec<Failure>,
    /// Accounts listed (in whole or in part) out of those tried.
    pub accounts_ok: usize,
    pub accounts: usize,
    /// Accounts AWS throttled, listed again later.
    pub throttled: usize,
}

/// One account to list: the role to list it through and the regions to look in.
#[derive(Debug, Clone)]
pub struct Target {
    pub role: Role,
    pub account_name: Option<String>,
    pub regions: Vec<String>,
}

impl Target {
    /// The role's own regions, or `regions_override` when not empty.
    pub fn new(role: Role, config: &Config, regions_override: &[String]) -> Target {
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
        }
    }
}

/// One account's answer: its rows and what failed, as soon as it is in.
#[derive(Debug, Clone)]
pub struct Part<T> {
    /// The role the account was listed through, and in which regions.
    pub role: RoleArn,
    pub regions: Vec<String>,
    pub rows: Vec<AccountRow<T>>,
    pub failures: Vec<Failure>,
    /// Listed in whole or in part (at least one region answered).
    pub ok: bool,
    /// Times the account was throttled and listed again.
    pub throttled: u32,
}

impl<T> Part<T> {
    fn new(target: Target, outcome: Result<Listing<T>, AwsError>) -> Part<T> {
        let arn = &target.role.arn;
        match outcome {
            Err(e) => Part {
                failures: vec![Failure::new(arn, None, e)],
                rows: Vec::new(),
                ok: false,
                throttled: 0,
                role: arn.clone(),
                regions: target.regions,
            },
            Ok(listing) => {
                let account = arn.account_id().to_string();
                let role_arn = arn.to_string();
                let rows = listing
                    .items
                    .into_iter()
                    .map(|item| AccountRow {
                        account_id: account.clone(),
                        account_name: target.account_name.clone(),
                        role_arn: role_arn.clone(),
                        item,
                    })
                    .collect();
                let failures: Vec<Failure> = listing
                    .failures
                    .into_iter()
                    .map(|f| Failure::new(arn, Some(f.region), f.error))
                    .collect();
                Part {
                    ok: failures.len() < target.regions.len(),
                    throttled: 0,
                    rows,
                    failures,
                    role: arn.clone(),
                    regions: target.regions,
                }
            }
        }
    }
}

/// How many accounts may be in flight: additive increase, multiplicative decrease.
#[derive(Debug, Clone)]
pub struct Limit {
    ceiling: f64,
    now: f64,
    /// Growing by one per account until the first throttle, as TCP's slow start.
    slow_start: bool,
    last_cut: Option<tokio::time::Instant>,
}

/// Accounts in flight at first (or the ceiling, if lower). The one AWS quota a fan-out shares is
/// STS's AssumeRole rate per caller account (600 a second by default), which [`Pace`] keeps to;
/// 256 accounts, each an AssumeRole then its listings (~2 round trips), are enough to keep the
/// pace over a WAN. Each account's EC2 calls count against that account's own quota.
const START: usize = 256;
/// Never more calls in flight than this (accounts in flight × their regions): each is an open
/// connection, and a process may hold only so many files (see [`raise_open_file_limit`]).
pub const MAX_CALLS: usize = 1024;
/// Never fewer in flight than this (or the ceiling): throttling that does not ease with fewer
/// calls (a quota shared with other tools) would otherwise leave one account at a time.
const FLOOR: f64 = 8.0;
/// Times an account throttled past the SDK's retries is listed again.
const MAX_RETRIES: u32 = 8;

impl Limit {
    pub fn new(ceiling: usize) -> Limit {
        let ceiling = ceiling.max(1) as f64;
        Limit {
            ceiling,
            now: (START as f64).min(ceiling),
            slow_start: true,
            last_cut: None,
        }
    }

    pub fn current(&self) -> usize {
        (self.now.floor() as usize).max(1)
    }

    /// An account listed without a throttle.
    pub fn listed(&mut self) {
        self.now += if self.slow_start { 1.0 } else { 1.0 / self.now };
        self.now = self.now.min(self.ceiling);
    }

    /// An account throttled: half as many in flight, once per half second (the calls in flight
    /// when AWS started throttling all say so; that is one signal, not many).
    pub fn throttled(&mut self) {
        self.slow_start = false;
        let now = tokio::time::Instant::now();
        if self
            .last_cut
            .is_some_and(|t| now.duration_since(t) < Duration::from_millis(500))
        {
            return;
        }
        self.last_cut = Some(now);
        self.now = (self.now / 2.0).max(FLOOR.min(self.ceiling));
    }
}

/// AssumeRole calls paced at a rate. STS's quota is a rate per caller account (600 a second by
/// default), not a number of calls in flight: a fan-out that only limits accounts in flight either
/// asks less than the quota allows (each account waits for its listings) or, with more in
/// flight, bursts past it and is throttled, and the SDK's backoff then costs more than it gained.
/// Paced, AssumeRoles go out evenly at `rate`; a throttle halves the rate (once per half second),
/// each AssumeRole answered adds a little back, up to [`PACE_MAX`].
#[derive(Debug)]
pub struct Pace {
    state: std::sync::Mutex<PaceState>,
}

#[derive(Debug)]
struct PaceState {
    rate: f64,
    next: tokio::time::Instant,
    last_cut: Option<tokio::time::Instant>,
}

/// AssumeRoles a second at first: under STS's default quota of 600, with room for another tool.
pub const PACE_START: f64 = 500.0;
/// The most AssumeRoles a second rolecall asks for (a raised quota), and the fewest.
pub const PACE_MAX: f64 = 1000.0;
const PACE_MIN: f64 = 5.0;
/// AssumeRoles that may go out at once after a pause (a burst the quota's window allows).
const PACE_BURST: f64 = 32.0;

impl Default for Pace {
    fn default() -> Self {
        Pace {
            state: std::sync::Mutex::new(PaceState {
                rate: PACE_START,
                // The burst is there from the start.
                next: {
                    let now = tokio::time::Instant::now();
                    now.checked_sub(Duration::from_secs_f64(PACE_BURST / PACE_START))
                        .unwrap_or(now)
                },
                last_cut: None,
            }),
        }
    }
}

impl Pace {
    /// Waits for this AssumeRole's turn.
    pub async fn turn(&self) {
        let at = {
            let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
            let now = tokio::time::Instant::now();
            let gap = Duration::from_secs_f64(1.0 / s.rate);
            let earliest = now.checked_sub(gap.mul_f64(PACE_BURST)).unwrap_or(now);
            let at = s.next.max(earliest);
            s.next = at + gap;
            at
        };
        tokio::time::sleep_until(at).await;
    }

    /// An AssumeRole answered: `throttled` when STS said so (after the SDK's retries).
    pub fn answered(&self, throttled: bool) {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if !throttled {
            s.rate = (s.rate + 0.05).min(PACE_MAX);
            return;
        }
        let now = tokio::time::Instant::now();
        if s.last_cut
            .is_some_and(|t| now.duration_since(t) < Duration::from_millis(500))
        {
            return;
        }
        s.last_cut = Some(now);
        s.rate = (s.rate / 2.0).max(PACE_MIN);
    }

    pub fn rate(&self) -> f64 {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).rate
    }
}

/// An AssumeRole for a fan-out: at its turn, and telling the pace how it went.
pub async fn paced<T>(
    pace: &Pace,
    call: impl Future<Output = Result<T, AwsError>>,
) -> Result<T, AwsError> {
    pace.turn().await;
    let result = call.await;
    pace.answered(matches!(&result, Err(e) if e.kind == crate::aws::ErrorKind::Throttled));
    result
}

/// Raises the soft limit on open files towards the hard one (to 4 096 at most), as Go's runtime
/// does at start: a fan-out holds a connection per call in flight ([`MAX_CALLS`]), and many
/// systems start processes at 1 024. Returns the limit now in force.
pub fn raise_open_file_limit() -> std::io::Result<u64> {
    rlimit::increase_nofile_limit(4096)
}

/// The pause before listing a throttled account again: 0.5 s, 1 s, 2 s… up to 8 s.
fn retry_delay(attempt: u32) -> Duration {
    Duration::from_millis(500u64 << attempt.saturating_sub(1).min(4))
}

fn is_throttled<T>(outcome: &Result<Listing<T>, AwsError>) -> bool {
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
pub fn parts<T, S, C, CF, L, LF>(
    targets: S,
    ceiling: usize,
    credentials: C,
    list: L,
) -> impl Stream<Item = Part<T>>
where
    S: Stream<Item = Target> + Unpin,
    C: Fn(&Target) -> CF,
    CF: Future<Output = Result<RoleCredentials, AwsError>>,
    L: Fn(RoleCredentials, Vec<String>) -> LF + Clone,
    LF: Future<Output = Listing<T>>,
{
    let job = move |target: Target, attempt: u32| {
        let session = credentials(&target);
        let list = list.clone();
        async move {
            if attempt > 0 {
                tokio::time::sleep(retry_delay(attempt)).await;
            }
            let outcome = match session.await {
                Ok(c) => Ok(list(c, target.regions.clone()).await),
                Err(e) => Err(e),
            };
            (target, attempt, outcome)
        }
    };
    let queue: VecDeque<(Target, u32)> = VecDeque::new();
    let running = FuturesUnordered::new();
    stream::unfold(
        (
            queue,
            running,
            Limit::new(ceiling),
            job,
            0usize,
            Some(targets),
        ),
        |(mut queue, mut running, mut limit, job, mut calls, mut incoming)| async move {
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
                    let Some((target, _)) = queue.front() else {
                        break;
                    };
                    let regions = target.regions.len().max(1);
                    if calls > 0 && calls + regions > MAX_CALLS {
                        break;
                    }
                    if let Some((target, attempt)) = queue.pop_front() {
                        calls += regions;
                        running.push(job(target, attempt));
                    }
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
                calls -= target.regions.len().max(1);
                if is_throttled(&outcome) && attempt < MAX_RETRIES {
                    limit.throttled();
                    tracing::debug!(role = %target.role.arn, attempt, limit = limit.current(), "throttled: listed again later");
                    queue.push_back((target, attempt + 1));
                    continue;
                }
                limit.listed();
                let mut part = Part::new(target, outcome);
                part.throttled = attempt;
                return Some((part, (queue, running, limit, job, calls, incoming)));
            }
        },
    )
}

/// One role per account, as roles arrive: the first that needs no MFA code (an unattended run
/// cannot ask for one). Accounts whose every role needs MFA are kept apart, to report.
#[derive(Debug, Default)]
pub struct OnePerAccount {
    chosen: std::collections::HashSet<String>,
    mfa_only: Vec<Role>,
}

impl OnePerAccount {
    /// `role` if its account is to be listed through it.
    pub fn offer(&mut self, role: Role) -> Option<Role> {
        let account = role.arn.account_id();
        if self.chosen.contains(account) {
            return None;
        }
        if role.mfa_serial.is_some() {
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
#[allow(clippy::too_many_arguments)]
pub async fn fan_out<T: Listable + crate::resources::Resource>(
    aws: &Aws,
    config: &Config,
    journal: &Journal,
    roles: impl Stream<Item = Role> + Unpin,
    regions_override: &[String],
    progress: impl Fn(usize, usize),
) -> Inventory<T> {
    let concurrency = config.defaults.concurrency as usize;
    let accounts = std::cell::RefCell::new(OnePerAccount::default());
    let targets = roles.filter_map(|role| {
        let chosen = accounts.borrow_mut().offer(role);
        futures::future::ready(chosen.map(|r| Target::new(r, config, regions_override)))
    });
    let mut inventory = Inventory {
        rows: Vec::new(),
        failures: Vec::new(),
        accounts_ok: 0,
        accounts: 0,
        throttled: 0,
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
    let with = move |credentials, regions: Vec<String>| {
        let target = Ec2Target::new(aws.clone(), credentials, page_size);
        async move { T::list(&target, &regions).await }
    };
    let mut results = std::pin::pin!(parts(targets, concurrency, assume, with));
    let mut done = 0;
    while let Some(mut part) = results.next().await {
        done += 1;
        progress(done, accounts.borrow().chosen());
        // An account never listed (its AssumeRole failed) has that failure recorded already.
        if part.failures.iter().all(|f| f.region.is_some()) {
            let record = records::listed(
                &part.role,
                T::KIND.noun(),
                &part.regions,
                part.rows.len(),
                &part.failures,
            );
            if let Err(e) = journal.record(aws, record).await {
                part.rows.clear();
                part.ok = false;
                part.failures = vec![Failure::new(&part.role, None, unrecorded(&part.role, e))];
            }
        }
        inventory.accounts_ok += usize::from(part.ok);
        inventory.throttled += usize::from(part.throttled > 0);
        inventory.failures.extend(part.failures);
        inventory.rows.extend(part.rows);
    }
    let accounts = accounts.take();
    let mfa_only = accounts.mfa_only();
    inventory.accounts = accounts.chosen() + mfa_only.len();
    inventory.failures.extend(mfa_only.iter().map(|r| {
        Failure::needs_mfa(
            &r.arn,
            format!(
                "list it on its own: rolecall instances {} --token-code CODE",
                r.arn
            ),
        )
    }));
    // Stable output whatever order accounts answered in (each account's rows keep their order).
    inventory
        .rows
        .sort_by(|a, b| a.account_id.cmp(&b.account_id));
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

    #[tokio::test(start_paused = true)]
    async fn assume_roles_go_out_at_the_pace_and_a_throttle_halves_it() {
        let pace = Pace::default();
        let start = tokio::time::Instant::now();
        // A burst, then one every 2 ms (500 a second).
        for _ in 0..(PACE_BURST as usize + 100) {
            pace.turn().await;
        }
        let took = start.elapsed().as_secs_f64();
        assert!((0.195..0.203).contains(&took), "{took}");
        pace.answered(true);
        pace.answered(true);
        assert_eq!(
            pace.rate(),
            PACE_START / 2.0,
            "one cut for a wave of throttles"
        );
        tokio::time::advance(Duration::from_millis(600)).await;
        pace.answered(true);
        assert_eq!(pace.rate(), PACE_START / 4.0);
        for _ in 0..200 {
            pace.answered(false);
        }
        assert!((pace.rate() - (PACE_START / 4.0 + 10.0)).abs() < 1e-6);
        // At 135 a second, 27 turns after the burst take 0.2 s.
        let start = tokio::time::Instant::now();
        for _ in 0..(PACE_BURST as usize + 27) {
            pace.turn().await;
        }
        let took = start.elapsed().as_secs_f64();
        assert!((0.19..0.21).contains(&took), "{took}");
    }

    #[test]
    fn the_limit_grows_until_throttled_then_halves_to_its_floor() {
        let mut l = Limit::new(1024);
        assert_eq!(l.current(), 256);
        for _ in 0..2000 {
            l.listed();
        }
        assert_eq!(l.current(), 1024, "slow start, up to the ceiling");
        l.throttled();
        assert_eq!(l.current(), 512);
        l.throttled();
        assert_eq!(l.current(), 512, "one cut for the calls throttled at once");
        l.last_cut = None;
        for _ in 0..10 {
            l.throttled();
            l.last_cut = None;
        }
        assert_eq!(l.current(), 8, "never below the floor");
        for _ in 0..8 {
            l.listed();
        }
        assert_eq!(
            l.current(),
            8,
            "after a throttle, one more per window of accounts"
        );
        for _ in 0..20 {
            l.listed();
        }
        assert_eq!(l.current(), 10, "about one per window: 8 + 9 + 10 accounts");
        let mut small = Limit::new(4);
        assert_eq!(small.current(), 4);
        small.throttled();
        assert_eq!(small.current(), 4, "a ceiling under the floor is the floor");
        assert_eq!(retry_delay(1), Duration::from_millis(500));
        assert_eq!(retry_delay(9), Duration::from_millis(8000));
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
        let chosen: Vec<Role> = roles.into_iter().filter_map(|r| one.offer(r)).collect();
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
