//! The refresher: keeps every session in the store alive by assuming its role again
//! `refresh_before` ahead of expiry, with exponential backoff and jitter on failure.
//!
//! Sessions of roles that need MFA cannot be renewed silently: the refresher says so once, at the
//! time it would have renewed, and the UI asks for a new code. Everything it does is reported as a
//! [`RefreshEvent`].

use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::mpsc;

use super::arn::RoleArn;
use super::assume::{assume_fresh, AssumeParams, Session};
use super::sessions::SessionStore;
use super::{AwsError, LazyAws};

/// Where "now" comes from: the system clock, or tokio's (pausable) one in tests.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// Wall time that moves with `tokio::time`: with a paused runtime, tests skip hours in no time.
pub struct TokioClock {
    wall: DateTime<Utc>,
    start: tokio::time::Instant,
}

impl TokioClock {
    pub fn starting_at(wall: DateTime<Utc>) -> Self {
        TokioClock {
            wall,
            start: tokio::time::Instant::now(),
        }
    }
}

impl Clock for TokioClock {
    fn now(&self) -> DateTime<Utc> {
        let elapsed = tokio::time::Instant::now() - self.start;
        self.wall + chrono::Duration::from_std(elapsed).unwrap_or_default()
    }
}

/// Something that can assume a role: STS, or a stand-in for the schedule tests.
pub trait Assumer: Send + Sync + 'static {
    fn assume(
        &self,
        params: &AssumeParams,
    ) -> impl Future<Output = Result<Session, AwsError>> + Send;

    /// Whether a role that needs an MFA code can be renewed without one: its device has an MFA
    /// session at hand.
    fn renewable(&self, _params: &AssumeParams) -> impl Future<Output = bool> + Send {
        async { false }
    }
}

/// Assumes roles through STS with the primary identity.
pub struct StsAssumer {
    pub aws: LazyAws,
}

impl Assumer for StsAssumer {
    async fn assume(&self, params: &AssumeParams) -> Result<Session, AwsError> {
        assume_fresh(&self.aws.get().await, params).await
    }

    async fn renewable(&self, params: &AssumeParams) -> bool {
        match &params.mfa_serial {
            Some(serial) => super::source::mfa_ready(&self.aws.get().await, serial).await,
            None => true,
        }
    }
}

#[derive(Debug, Clone)]
pub enum RefreshEvent {
    Refreshing {
        role: RoleArn,
    },
    Refreshed {
        role: RoleArn,
        assumed_arn: String,
        expiration: DateTime<Utc>,
    },
    Failed {
        role: RoleArn,
        error: AwsError,
        retry_in: Duration,
    },
    /// An MFA role's session nears its end: a new code is needed to go on.
    NeedsMfa {
        role: RoleArn,
        expiration: DateTime<Utc>,
    },
    /// The session ran out before it could be renewed.
    Expired {
        role: RoleArn,
    },
}

#[derive(Debug, Clone)]
pub struct RefreshPolicy {
    pub min_backoff: Duration,
    pub max_backoff: Duration,
    /// The longest the refresher sleeps before looking again (wall-clock jumps, e.g. a laptop's sleep).
    pub max_sleep: Duration,
    /// Seed for the jitter (tests); `None`: random.
    pub seed: Option<u64>,
}

impl Default for RefreshPolicy {
    fn default() -> Self {
        RefreshPolicy {
            min_backoff: Duration::from_secs(5),
            max_backoff: Duration::from_secs(300),
            max_sleep: Duration::from_secs(30),
            seed: None,
        }
    }
}

/// The wait before retry number `attempt` (1-based): doubling from `min_backoff` up to
/// `max_backoff`, then a random point in its upper half ("equal jitter"), so many sessions that
/// failed together do not retry together.
pub fn backoff(attempt: u32, policy: &RefreshPolicy, rng: &mut fastrand::Rng) -> Duration {
    let factor = 2u32.saturating_pow(attempt.saturating_sub(1).min(16));
    let base = policy
        .min_backoff
        .saturating_mul(factor)
        .min(policy.max_backoff);
    let half = base / 2;
    half + Duration::from_millis(rng.u64(0..=half.as_millis() as u64))
}

#[derive(Default)]
struct Track {
    /// The session (by its expiry) these notes are about; a new session starts afresh.
    expiration: Option<DateTime<Utc>>,
    attempts: u32,
    retry_at: Option<DateTime<Utc>>,
    mfa_warned: bool,
    expired_reported: bool,
}

fn to_std(d: chrono::Duration) -> Duration {
    d.to_std().unwrap_or(Duration::ZERO)
}

/// Runs until `events` has no receiver.
pub async fn run<C: Clock, A: Assumer>(
    store: SessionStore,
    assumer: A,
    clock: C,
    policy: RefreshPolicy,
    events: mpsc::UnboundedSender<RefreshEvent>,
) {
    let mut rng = policy
        .seed
        .map_or_else(fastrand::Rng::new, fastrand::Rng::with_seed);
    let mut tracks: HashMap<RoleArn, Track> = HashMap::new();
    loop {
        if events.is_closed() {
            return;
        }
        let now = clock.now();
        let entries = store.entries();
        tracks.retain(|arn, _| entries.iter().any(|e| &e.session.role_arn == arn));
        let mut wake = now + chrono::Duration::from_std(policy.max_sleep).unwrap_or_default();
        for entry in entries {
            let role = entry.session.role_arn.clone();
            let expiration = entry.session.expiration;
            let track = tracks.entry(role.clone()).or_default();
            if track.expiration != Some(expiration) {
                *track = Track {
                    expiration: Some(expiration),
                    ..Track::default()
                };
            }
            if now >= expiration && !track.expired_reported {
                track.expired_reported = true;
                let _ = events.send(RefreshEvent::Expired { role: role.clone() });
            }
            let before = chrono::Duration::from_std(entry.refresh_before).unwrap_or_default();
            let due = track.retry_at.unwrap_or(expiration - before);
            if now < due {
                wake = wake.min(due);
                continue;
            }
            if entry.params.mfa_serial.is_some() && !assumer.renewable(&entry.params).await {
                if !track.mfa_warned {
                    track.mfa_warned = true;
                    let _ = events.send(RefreshEvent::NeedsMfa { role, expiration });
                }
                continue;
            }
            let _ = events.send(RefreshEvent::Refreshing { role: role.clone() });
            match assumer.assume(&entry.params).await {
                Ok(session) => {
                    let (assumed_arn, expiration) =
                        (session.assumed_role_arn.clone(), session.expiration);
                    store.insert(session, &entry.params, entry.refresh_before);
                    let _ = events.send(RefreshEvent::Refreshed {
                        role,
                        assumed_arn,
                        expiration,
                    });
                }
                Err(error) => {
                    track.attempts += 1;
                    let retry_in = backoff(track.attempts, &policy, &mut rng);
                    let at = clock.now() + chrono::Duration::from_std(retry_in).unwrap_or_default();
                    track.retry_at = Some(at);
                    wake = wake.min(at);
                    tracing::warn!("refreshing {role} failed ({error}); retrying in {retry_in:?}");
                    let _ = events.send(RefreshEvent::Failed {
                        role,
                        error,
                        retry_in,
                    });
                }
            }
        }
        let sleep = to_std(wake - clock.now()).min(policy.max_sleep);
        tokio::select! {
            _ = tokio::time::sleep(sleep) => {}
            _ = store.changed() => {}
            _ = events.closed() => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::credentials::{Credentials, Secret};
    use crate::aws::ErrorKind;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Arc;

    fn t0() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-22T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    fn params(mfa: bool) -> AssumeParams {
        AssumeParams {
            role_arn: "arn:aws:iam::222222222222:role/R".parse().unwrap(),
            session_name: "t".into(),
            duration_seconds: 3600,
            external_id: None,
            mfa_serial: mfa.then(|| "arn:aws:iam::111111111111:mfa/alex".to_string()),
            token_code: None,
            source_identity: None,
            source: Default::default(),
        }
    }

    fn session(p: &AssumeParams, expiration: DateTime<Utc>, key: &str) -> Session {
        Session {
            role_arn: p.role_arn.clone(),
            assumed_role_arn: "arn:aws:sts::222222222222:assumed-role/R/t".into(),
            credentials: Credentials {
                access_key_id: key.into(),
                secret_access_key: Secret::new("s"),
                session_token: None,
                expiration: Some(expiration),
            },
            expiration,
        }
    }

    /// A fake whose sessions last an hour from the time it is asked.
    struct Hourly {
        calls: Arc<AtomicU32>,
        failures: u32,
        clock: Arc<TokioClock>,
    }

    impl Assumer for Hourly {
        async fn assume(&self, p: &AssumeParams) -> Result<Session, AwsError> {
            let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
            if n <= self.failures {
                return Err(AwsError::new(
                    ErrorKind::Throttled,
                    "AssumeRole",
                    p.role_arn.to_string(),
                ));
            }
            Ok(session(
                p,
                self.clock.now() + chrono::Duration::hours(1),
                &format!("ASIA{n}"),
            ))
        }
    }

    /// Hourly, with the MFA session at hand.
    struct WithMfaSession(Hourly);

    impl Assumer for WithMfaSession {
        async fn assume(&self, p: &AssumeParams) -> Result<Session, AwsError> {
            self.0.assume(p).await
        }
        async fn renewable(&self, _p: &AssumeParams) -> bool {
            true
        }
    }

    #[tokio::test(start_paused = true)]
    async fn mfa_sessions_renew_through_the_mfa_session_without_asking() {
        let clock = Arc::new(TokioClock::starting_at(t0()));
        let store = SessionStore::default();
        let p = params(true);
        store.insert(
            session(&p, t0() + chrono::Duration::hours(1), "ASIA0"),
            &p,
            Duration::from_secs(600),
        );
        let calls = Arc::new(AtomicU32::new(0));
        let (tx, mut rx) = mpsc::unbounded_channel();
        let assumer = WithMfaSession(Hourly {
            calls: calls.clone(),
            failures: 0,
            clock: clock.clone(),
        });
        tokio::spawn(run(
            store.clone(),
            assumer,
            SharedClock(clock.clone()),
            RefreshPolicy {
                seed: Some(7),
                ..RefreshPolicy::default()
            },
            tx,
        ));
        tokio::time::sleep(Duration::from_secs(3001)).await;
        assert_eq!(calls.load(Ordering::SeqCst), 1, "renewed");
        while let Ok(e) = rx.try_recv() {
            assert!(!matches!(e, RefreshEvent::NeedsMfa { .. }), "{e:?}");
        }
        assert_eq!(
            store.get(&p.role_arn).unwrap().credentials.access_key_id,
            "ASIA1"
        );
    }

    struct SharedClock(Arc<TokioClock>);
    impl Clock for SharedClock {
        fn now(&self) -> DateTime<Utc> {
            self.0.now()
        }
    }

    fn start(
        failures: u32,
        mfa: bool,
        refresh_before: u64,
    ) -> (
        SessionStore,
        Arc<AtomicU32>,
        mpsc::UnboundedReceiver<RefreshEvent>,
        Arc<TokioClock>,
    ) {
        let clock = Arc::new(TokioClock::starting_at(t0()));
        let store = SessionStore::default();
        let p = params(mfa);
        store.insert(
            session(&p, t0() + chrono::Duration::hours(1), "ASIA0"),
            &p,
            Duration::from_secs(refresh_before),
        );
        let calls = Arc::new(AtomicU32::new(0));
        let (tx, rx) = mpsc::unbounded_channel();
        let assumer = Hourly {
            calls: calls.clone(),
            failures,
            clock: clock.clone(),
        };
        let policy = RefreshPolicy {
            seed: Some(7),
            ..RefreshPolicy::default()
        };
        tokio::spawn(run(
            store.clone(),
            assumer,
            SharedClock(clock.clone()),
            policy,
            tx,
        ));
        (store, calls, rx, clock)
    }

    #[tokio::test(start_paused = true)]
    async fn refreshes_refresh_before_ahead_of_expiry() {
        let (store, calls, mut rx, clock) = start(0, false, 600);
        tokio::time::sleep(Duration::from_secs(2999)).await;
        assert_eq!(calls.load(Ordering::SeqCst), 0, "not before expiry - 600 s");
        tokio::time::sleep(Duration::from_secs(2)).await;
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert!(matches!(
            rx.recv().await,
            Some(RefreshEvent::Refreshing { .. })
        ));
        match rx.recv().await {
            Some(RefreshEvent::Refreshed { expiration, .. }) => {
                let lead = (expiration - clock.now()).num_seconds();
                assert!((3590..=3600).contains(&lead), "{lead}");
            }
            other => panic!("{other:?}"),
        }
        let arn = params(false).role_arn;
        assert_eq!(store.get(&arn).unwrap().credentials.access_key_id, "ASIA1");
        // And again an hour later, from the new expiry.
        tokio::time::sleep(Duration::from_secs(3000)).await;
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn failures_back_off_exponentially_with_jitter() {
        let (_store, calls, mut rx, _clock) = start(3, false, 600);
        tokio::time::sleep(Duration::from_secs(3000 + 60)).await;
        let mut waits = Vec::new();
        loop {
            match rx.recv().await {
                Some(RefreshEvent::Failed { retry_in, .. }) => waits.push(retry_in),
                Some(RefreshEvent::Refreshed { .. }) => break,
                Some(_) => {}
                None => panic!("refresher stopped"),
            }
        }
        assert_eq!(calls.load(Ordering::SeqCst), 4);
        let secs: Vec<f64> = waits.iter().map(|d| d.as_secs_f64()).collect();
        assert_eq!(secs.len(), 3);
        for (i, (s, base)) in secs.iter().zip([5.0, 10.0, 20.0]).enumerate() {
            assert!(
                *s >= base / 2.0 && *s <= base,
                "retry {i}: {s} not in [{}, {base}]",
                base / 2.0
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_session_that_cannot_be_renewed_expires_once() {
        let (_store, _calls, mut rx, _clock) = start(u32::MAX, false, 600);
        tokio::time::sleep(Duration::from_secs(3600 + 120)).await;
        let mut expired = 0;
        while let Ok(e) = rx.try_recv() {
            if matches!(e, RefreshEvent::Expired { .. }) {
                expired += 1;
            }
        }
        assert_eq!(expired, 1);
    }

    #[tokio::test(start_paused = true)]
    async fn mfa_sessions_ask_instead_of_refreshing() {
        let (_store, calls, mut rx, _clock) = start(0, true, 600);
        tokio::time::sleep(Duration::from_secs(3001)).await;
        assert!(matches!(
            rx.recv().await,
            Some(RefreshEvent::NeedsMfa { .. })
        ));
        tokio::time::sleep(Duration::from_secs(1000)).await;
        assert_eq!(
            calls.load(Ordering::SeqCst),
            0,
            "never renewed without a code"
        );
        let mut needs = 0;
        while let Ok(e) = rx.try_recv() {
            if matches!(e, RefreshEvent::NeedsMfa { .. }) {
                needs += 1;
            }
        }
        assert_eq!(needs, 0, "asked once per session");
    }

    #[test]
    fn backoff_doubles_and_caps() {
        let policy = RefreshPolicy::default();
        let mut rng = fastrand::Rng::with_seed(1);
        for (attempt, base) in [(1, 5), (2, 10), (3, 20), (7, 300), (40, 300)] {
            let d = backoff(attempt, &policy, &mut rng).as_secs_f64();
            assert!(
                d >= base as f64 / 2.0 && d <= base as f64,
                "attempt {attempt}: {d}"
            );
        }
    }
}
