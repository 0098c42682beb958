//! The library's AWS layer used directly against the emulator: cross-account isolation, paging,
//! partial failure, and secrets kept out of Debug output.

use crate::common::emulator;
use rolecall::aws::arn::RoleArn;
use rolecall::aws::assume::{assume_role, AssumeParams};
use rolecall::aws::credentials::{Credentials, Secret};
use rolecall::aws::identity::caller_identity;
use rolecall::aws::target::RoleTarget;
use rolecall::aws::{Aws, AwsOptions};
use rolecall::resources::{Instance, Resource, Volume};

/// The emulator's endpoint and the primary's keys, passed in: nothing read from the
/// environment.
fn primary_options() -> AwsOptions {
    let emu = emulator();
    let (key, secret) = emu.primary_key();
    AwsOptions {
        region: Some("us-east-1".into()),
        endpoint_url: Some(emu.endpoint.clone()),
        credentials: Some(Credentials {
            access_key_id: key.into(),
            secret_access_key: Secret::new(secret),
            session_token: None,
            expiration: None,
        }),
        ..Default::default()
    }
}

async fn primary_config() -> Aws {
    Aws::load(&primary_options()).await
}

fn params(arn: &str) -> AssumeParams {
    AssumeParams {
        role_arn: arn.parse::<RoleArn>().unwrap(),
        session_name: "library-test".into(),
        duration_seconds: 900,
        external_id: None,
        mfa_serial: None,
        token_code: None,
        source_identity: None,
        source: Default::default(),
    }
}

#[tokio::test]
async fn each_role_sees_only_its_own_account() {
    let emu = emulator();
    let base = primary_config().await;
    let me = caller_identity(&base).await.unwrap();
    assert_eq!(me.account, "111111111111");
    assert!(!me.is_assumed_role());

    for (role, account) in [
        ("prod-responder", "222222222222"),
        ("staging-auditor", "333333333333"),
    ] {
        let session = assume_role(&base, &params(&emu.role_arn(role)))
            .await
            .unwrap();
        assert!(session
            .assumed_role_arn
            .contains(&format!("::{account}:assumed-role/")));
        let target = RoleTarget::new(base.clone(), session.credentials.provider(), 5);
        let listing = Instance::list(&target, &["us-east-1".into(), "eu-west-1".into()]).await;
        assert!(listing.failures.is_empty(), "{:?}", listing.failures);
        let mut got: Vec<String> = listing
            .items
            .iter()
            .map(|i| i.instance_id.clone())
            .collect();
        let mut want = emu.instance_ids(account);
        got.sort();
        want.sort();
        assert_eq!(got, want, "{role}");
    }
}

#[tokio::test]
async fn sessions_keep_secrets_out_of_debug() {
    let emu = emulator();
    let base = primary_config().await;
    let session = assume_role(&base, &params(&emu.role_arn("empty")))
        .await
        .unwrap();
    let secret = session.credentials.secret_access_key.expose().to_string();
    let token = session
        .credentials
        .session_token
        .as_ref()
        .unwrap()
        .expose()
        .to_string();
    let shown = format!("{session:?}");
    assert!(!shown.contains(&secret), "{shown}");
    assert!(!shown.contains(&token), "{shown}");
    assert!(shown.contains(&session.credentials.access_key_id));
    let left = (session.expiration - chrono::Utc::now()).num_seconds();
    assert!((800..=900).contains(&left), "{left}");
}

#[tokio::test]
async fn a_bad_region_fails_alone() {
    let emu = emulator();
    let base = primary_config().await;
    let session = assume_role(&base, &params(&emu.role_arn("prod-responder")))
        .await
        .unwrap();
    let target = RoleTarget::new(base, session.credentials.provider(), 1000);
    let listing = Volume::list(&target, &["ap-nowhere-9".into(), "us-east-1".into()]).await;
    assert_eq!(listing.failures.len(), 1);
    assert_eq!(listing.failures[0].region, "ap-nowhere-9");
    assert_eq!(listing.failures[0].error.operation, "DescribeVolumes");
    assert!(listing.items.iter().all(|v| v.region == "us-east-1"));
    assert_eq!(
        listing.items.len(),
        5,
        "3 root volumes, the data volume and the loose one"
    );
}

/// A real refresh against the emulator: a 900 s session renewed 897 s ahead is renewed within
/// seconds; the expiry moves, the credentials change, and listing through the store keeps working.
#[tokio::test]
async fn the_refresher_renews_a_session_for_real() {
    use rolecall::aws::refresh::{self, RefreshEvent, RefreshPolicy, StsAssumer, SystemClock};
    use rolecall::aws::sessions::SessionStore;
    use std::time::Duration;

    let emu = emulator();
    let lazy = rolecall::aws::LazyAws::new(primary_options());
    let base = lazy.get().await;
    let p = params(&emu.role_arn("prod-responder"));
    let first = assume_role(&base, &p).await.unwrap();
    let store = SessionStore::default();
    store.insert(first.clone(), &p, Duration::from_secs(897));

    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(refresh::run(
        store.clone(),
        StsAssumer { aws: lazy.clone() },
        SystemClock,
        RefreshPolicy::default(),
        tx,
    ));
    let refreshed = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            match rx.recv().await {
                Some(RefreshEvent::Refreshed { expiration, .. }) => return expiration,
                Some(RefreshEvent::Failed { error, .. }) => panic!("refresh failed: {error}"),
                Some(_) => {}
                None => panic!("refresher stopped"),
            }
        }
    })
    .await
    .expect("a refresh within 30 s");
    assert!(refreshed > first.expiration, "the expiry moved");
    let now = store.get(&p.role_arn).unwrap();
    assert_ne!(
        now.credentials.access_key_id,
        first.credentials.access_key_id
    );

    let target = RoleTarget::new(base, store.provider(&p.role_arn), 1000);
    let listing = Instance::list(&target, &["us-east-1".into()]).await;
    assert!(listing.failures.is_empty(), "{:?}", listing.failures);
    assert_eq!(listing.items.len(), 3);
}

/// With a case open, the refresher records every renewal before the new session is used.
#[tokio::test]
async fn the_refresher_records_each_renewal_in_the_case() {
    use rolecall::app::runtime::RecordedAssumer;
    use rolecall::aws::refresh::{self, RefreshEvent, RefreshPolicy, SystemClock};
    use rolecall::aws::sessions::SessionStore;
    use rolecall::case::{CaseId, Cases, Journal};
    use std::time::Duration;

    let emu = emulator();
    let dir = tempfile::tempdir().unwrap();
    let cases = Cases {
        root: dir.path().to_path_buf(),
    };
    let id = CaseId::parse("IR-R").unwrap();
    let (case, _) = cases
        .open(
            &id,
            None,
            "arn:aws:iam::111111111111:user/responder",
            chrono::Utc::now(),
        )
        .unwrap();
    let journal = Journal::new(Some(case.clone()));
    journal.set_actor("arn:aws:iam::111111111111:user/responder");
    let lazy = rolecall::aws::LazyAws::new(primary_options());
    let p = params(&emu.role_arn("prod-responder"));
    let first = assume_role(&lazy.get().await, &p).await.unwrap();
    let store = SessionStore::default();
    store.insert(first, &p, Duration::from_secs(897));
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(refresh::run(
        store,
        RecordedAssumer { aws: lazy, journal },
        SystemClock,
        RefreshPolicy::default(),
        tx,
    ));
    tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            match rx.recv().await {
                Some(RefreshEvent::Refreshed { .. }) => return,
                Some(RefreshEvent::Failed { error, .. }) => panic!("refresh failed: {error}"),
                Some(_) => {}
                None => panic!("refresher stopped"),
            }
        }
    })
    .await
    .expect("a refresh within 30 s");
    let entries = case.log.entries().unwrap();
    let last = entries.last().unwrap();
    assert_eq!(last.record.action, "session.refresh");
    assert_eq!(
        last.record.role_arn.as_deref(),
        Some(emu.role_arn("prod-responder").as_str())
    );
    assert!(last
        .record
        .session_arn
        .as_deref()
        .unwrap()
        .contains(":assumed-role/ResponderRole/"));
}
