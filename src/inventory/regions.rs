//! Which regions each account has enabled, for `regions = "all"`: asked of the account
//! (ec2:DescribeRegions, which names the opt-in regions it enabled) once, and kept.
//!
//! Kept twice: in the process, shared by every listing (the CLI's fan-out, the TUI's views), so
//! that listings of one account at the same time wait for one call rather than each making one;
//! and on disk next to the organization's list (`regions/` in the platform cache dir, one small
//! `0600` file per account and scope), so the next run asks nothing. An answer is kept for the
//! organization list's default `max_age`: an account that enables a region is listed there
//! within the hour. Nothing secret is kept: the account id, its partition and region names.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::aws::arn::Partition;
use crate::aws::AwsError;

/// How long an account's answer is kept: as long as the organization's list is by default.
pub const MAX_AGE: Duration = crate::config::DEFAULT_ORGANIZATION_MAX_AGE;

/// One account's enabled regions as it answered them, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enabled {
    pub read_at: DateTime<Utc>,
    pub account: String,
    /// `aws`, `aws-us-gov`, `aws-cn`: the partition whose regions these are.
    pub partition: String,
    pub regions: Vec<String>,
}

impl Enabled {
    fn fresh(&self, now: DateTime<Utc>, max_age: Duration) -> bool {
        (now - self.read_at).to_std().unwrap_or_default() < max_age
    }
}

/// Whose answer: an account in a partition, read in a scope (`AwsOptions::scope`: another
/// profile or endpoint keeps answers of its own).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    scope: String,
    account: String,
    partition: Partition,
}

/// The accounts' enabled regions: in memory, on disk (`dir`, none: memory only), and asked.
pub struct EnabledRegions {
    dir: Option<PathBuf>,
    max_age: Duration,
    /// One slot per account: whoever holds its lock asks, the others wait and read the answer.
    held: crate::slots::Slots<Key, Enabled>,
}

/// Where the answers are kept: `regions/` in the platform cache dir, beside `organizations/`.
pub fn cache_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "rolecall").map(|d| d.cache_dir().join("regions"))
}

/// The process's own: what every listing consults.
pub fn shared() -> &'static EnabledRegions {
    static SHARED: OnceLock<EnabledRegions> = OnceLock::new();
    SHARED.get_or_init(|| EnabledRegions::new(cache_dir(), MAX_AGE))
}

impl EnabledRegions {
    pub fn new(dir: Option<PathBuf>, max_age: Duration) -> Self {
        EnabledRegions {
            dir,
            max_age,
            held: Default::default(),
        }
    }

    /// The file of `key`'s answer: named by a hash of scope, partition and account.
    fn file(&self, key: &Key) -> Option<PathBuf> {
        let name = format!("{}\n{}\n{}", key.scope, key.partition, key.account);
        let hash = hex::encode(Sha256::digest(name.as_bytes()));
        self.dir
            .as_ref()
            .map(|d| d.join(format!("{}.json", &hash[..16])))
    }

    /// The regions `account` has enabled in `partition`: kept ones younger than the max age,
    /// else `ask`'s answer (then kept). Asked once however many listings want it at once; an
    /// answer that failed is not kept (the next listing asks again).
    pub async fn get<F, Fut>(
        &self,
        scope: &str,
        account: &str,
        partition: Partition,
        ask: F,
    ) -> Result<Vec<String>, AwsError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Vec<String>, AwsError>>,
    {
        self.get_at(scope, account, partition, Utc::now, ask).await
    }

    async fn get_at<F, Fut>(
        &self,
        scope: &str,
        account: &str,
        partition: Partition,
        now: impl Fn() -> DateTime<Utc>,
        ask: F,
    ) -> Result<Vec<String>, AwsError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Vec<String>, AwsError>>,
    {
        let key = Key {
            scope: scope.to_string(),
            account: account.to_string(),
            partition,
        };
        let slot = self.held.slot(&key);
        let mut slot = slot.lock().await;
        if let Some(e) = slot.as_ref().filter(|e| e.fresh(now(), self.max_age)) {
            return Ok(e.regions.clone());
        }
        let path = self.file(&key);
        let on_disk = path
            .as_deref()
            .and_then(|p| crate::files::load_json::<Enabled>(p, "the regions cache"))
            .filter(|e| {
                e.account == account
                && e.partition == partition.as_str()
                && !e.regions.is_empty()
                // A file is not AWS's answer: a region name that is not one is not called.
                && e
                    .regions
                    .iter()
                    .all(|r| crate::aws::arn::validate_region(r).is_ok())
                && e.fresh(now(), self.max_age)
            });
        if let Some(e) = on_disk {
            let regions = e.regions.clone();
            *slot = Some(e);
            return Ok(regions);
        }
        let regions = ask().await?;
        let answer = Enabled {
            read_at: now(),
            account: account.to_string(),
            partition: partition.as_str().to_string(),
            regions: regions.clone(),
        };
        // An account that named no region is asked again next time rather than listed nowhere
        // for an hour.
        if !regions.is_empty() {
            if let Some(path) = path {
                let kept = answer.clone();
                let saved = tokio::task::spawn_blocking(move || {
                    crate::files::save_json(&path, &kept).map(|_| path)
                })
                .await
                .map_err(std::io::Error::other)
                .and_then(|r| r);
                if let Err(e) = saved {
                    tracing::warn!(
                        "cannot keep account {account}'s enabled regions in {}: {e} (check that folder's permissions)",
                        self.dir.as_deref().unwrap_or(Path::new("")).display()
                    );
                }
            }
            *slot = Some(answer);
        }
        Ok(regions)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    const SCOPE: &str = "profile=default;key=AKIA;endpoint=";

    /// A file the cache wrote in `dir`.
    fn first_file(dir: &Path) -> PathBuf {
        std::fs::read_dir(dir)
            .unwrap()
            .next()
            .expect("a kept answer")
            .unwrap()
            .path()
    }

    async fn answer(calls: &AtomicUsize) -> Result<Vec<String>, AwsError> {
        calls.fetch_add(1, Ordering::SeqCst);
        tokio::task::yield_now().await;
        Ok(vec!["eu-west-1".to_string(), "me-central-1".to_string()])
    }

    #[tokio::test]
    async fn an_account_is_asked_once_then_read_from_memory_and_disk() {
        let dir = tempfile::tempdir().unwrap();
        let cache = EnabledRegions::new(Some(dir.path().join("regions")), MAX_AGE);
        let calls = AtomicUsize::new(0);
        // Ten listings of one account at once: one call.
        let all = futures::future::join_all(
            (0..10).map(|_| cache.get(SCOPE, "111111111111", Partition::Aws, || answer(&calls))),
        )
        .await;
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        for got in all {
            assert_eq!(got.unwrap(), ["eu-west-1", "me-central-1"]);
        }
        // Another account is asked of its own.
        cache
            .get(SCOPE, "222222222222", Partition::Aws, || answer(&calls))
            .await
            .unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        // A new process (nothing in memory) reads the disk.
        let again = EnabledRegions::new(Some(dir.path().join("regions")), MAX_AGE);
        let got = again
            .get(SCOPE, "111111111111", Partition::Aws, || answer(&calls))
            .await
            .unwrap();
        assert_eq!(got, ["eu-west-1", "me-central-1"]);
        assert_eq!(calls.load(Ordering::SeqCst), 2, "read from the disk");
        let files = std::fs::read_dir(dir.path().join("regions"))
            .unwrap()
            .count();
        assert_eq!(files, 2, "one file per account");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let file = first_file(&dir.path().join("regions"));
            let mode = std::fs::metadata(file).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[tokio::test]
    async fn an_old_answer_is_asked_again_and_a_scope_or_partition_has_its_own() {
        let dir = tempfile::tempdir().unwrap();
        let cache = EnabledRegions::new(Some(dir.path().to_path_buf()), MAX_AGE);
        let calls = AtomicUsize::new(0);
        let t0 = Utc::now();
        let at = |t: DateTime<Utc>| move || t;
        let get = |scope: &'static str, partition, t| {
            cache.get_at(scope, "111111111111", partition, at(t), || answer(&calls))
        };
        get(SCOPE, Partition::Aws, t0).await.unwrap();
        get(SCOPE, Partition::Aws, t0 + chrono::Duration::minutes(59))
            .await
            .unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 1, "fresh for the hour");
        get(SCOPE, Partition::Aws, t0 + chrono::Duration::minutes(61))
            .await
            .unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 2, "asked again after it");
        // The disk's copy is old too for a process that starts later.
        let later = t0 + chrono::Duration::minutes(61 + 61);
        let other = EnabledRegions::new(Some(dir.path().to_path_buf()), MAX_AGE);
        other
            .get_at(SCOPE, "111111111111", Partition::Aws, at(later), || {
                answer(&calls)
            })
            .await
            .unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 3, "an old file is not used");
        // Another profile or endpoint, another partition: asked of their own.
        let t = t0 + chrono::Duration::minutes(62);
        get("profile=other;key=;endpoint=", Partition::Aws, t)
            .await
            .unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 4);
        get(SCOPE, Partition::AwsUsGov, t).await.unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 5);
        // A broken file is ignored (and replaced).
        for f in std::fs::read_dir(dir.path()).unwrap() {
            std::fs::write(f.unwrap().path(), "not json").unwrap();
        }
        let fresh = EnabledRegions::new(Some(dir.path().to_path_buf()), MAX_AGE);
        fresh
            .get(SCOPE, "111111111111", Partition::Aws, || answer(&calls))
            .await
            .unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 6);
    }

    #[tokio::test]
    async fn a_failed_answer_is_not_kept() {
        let cache = EnabledRegions::new(None, MAX_AGE);
        let calls = AtomicUsize::new(0);
        let denied = || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(AwsError::new(
                crate::aws::ErrorKind::AccessDenied,
                "DescribeRegions",
                "region us-east-1",
            ))
        };
        assert!(cache
            .get(SCOPE, "111111111111", Partition::Aws, denied)
            .await
            .is_err());
        let got = cache
            .get(SCOPE, "111111111111", Partition::Aws, || answer(&calls))
            .await
            .unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_kept_file_naming_something_that_is_not_a_region_is_asked_again() {
        let dir = tempfile::tempdir().unwrap();
        let cache = EnabledRegions::new(Some(dir.path().to_path_buf()), MAX_AGE);
        let calls = AtomicUsize::new(0);
        cache
            .get(SCOPE, "111111111111", Partition::Aws, || answer(&calls))
            .await
            .unwrap();
        // Someone rewrites the kept answer: a host of their own among the regions.
        let file = first_file(dir.path());
        let text = std::fs::read_to_string(&file).unwrap();
        std::fs::write(&file, text.replace("me-central-1", "evil.example/x#")).unwrap();
        let again = EnabledRegions::new(Some(dir.path().to_path_buf()), MAX_AGE);
        let got = again
            .get(SCOPE, "111111111111", Partition::Aws, || answer(&calls))
            .await
            .unwrap();
        assert_eq!(got, ["eu-west-1", "me-central-1"]);
        assert_eq!(calls.load(Ordering::SeqCst), 2, "asked again, not read");
    }
}
