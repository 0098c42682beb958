//! How fast a fan-out goes: how many accounts are in flight, and how fast AssumeRoles go out.
//!
//! Accounts in flight adapt as TCP's window does ([`Limit`]): 256 at first, one more for each
//! account listed until AWS first throttles (STS's AssumeRole quota, EC2's request limits), then
//! half as many on a throttle and one more per window of accounts listed, never past
//! `defaults.concurrency`. AssumeRoles are paced apart from that ([`Pace`]): 500 a second at
//! first, half as many after a throttle. Both cut once per wave of throttles ([`Cut`]). An
//! account throttled past the SDK's own retries is listed again after a pause that grows with
//! each try ([`retry_delay`]).

use std::future::Future;
use std::time::Duration;

use crate::aws::AwsError;

/// One cut for a wave of throttles: the calls in flight when AWS started throttling all say so,
/// and that is one signal, not many. A cut is due at most once per half second.
#[derive(Debug, Clone, Default)]
struct Cut {
    last: Option<tokio::time::Instant>,
}

impl Cut {
    /// Whether to cut now (and, if so, remember that it was cut).
    fn due(&mut self) -> bool {
        let now = tokio::time::Instant::now();
        if self
            .last
            .is_some_and(|t| now.duration_since(t) < Duration::from_millis(500))
        {
            return false;
        }
        self.last = Some(now);
        true
    }
}

/// How many accounts may be in flight: additive increase, multiplicative decrease.
#[derive(Debug, Clone)]
pub struct Limit {
    ceiling: f64,
    now: f64,
    /// Growing by one per account until the first throttle, as TCP's slow start.
    slow_start: bool,
    cut: Cut,
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
pub(super) const MAX_RETRIES: u32 = 8;

impl Limit {
    pub fn new(ceiling: usize) -> Limit {
        let ceiling = ceiling.max(1) as f64;
        Limit {
            ceiling,
            now: (START as f64).min(ceiling),
            slow_start: true,
            cut: Cut::default(),
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
        if self.cut.due() {
            self.now = (self.now / 2.0).max(FLOOR.min(self.ceiling));
        }
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
    cut: Cut,
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
                cut: Cut::default(),
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
        } else if s.cut.due() {
            s.rate = (s.rate / 2.0).max(PACE_MIN);
        }
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
pub(super) fn retry_delay(attempt: u32) -> Duration {
    Duration::from_millis(500u64 << attempt.saturating_sub(1).min(4))
}

#[cfg(test)]
mod tests {
    use super::*;

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
        l.cut = Cut::default();
        for _ in 0..10 {
            l.throttled();
            l.cut = Cut::default();
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
}
