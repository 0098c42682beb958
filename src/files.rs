//! Files rolecall keeps (case logs, evidence, exports, the organization cache): folders for
//! their owner only, whole-file writes that survive a crash, and hashes of what was written.
//!
//! Durability: a file is fsynced before it is renamed into place, and the folder holding it is
//! fsynced after, so the rename survives a crash; a folder that is made is fsynced with the
//! folder it is made in, so its own entry does too. A failed fsync is an error: a write that may
//! not have reached the disk is not reported done.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;

use sha2::{Digest, Sha256};

/// The SHA-256 of some bytes (a file's, or a log line's without its newline), in hex.
pub fn file_hash(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Creates a folder (and its parents) readable by its owner only (`0700`). Every folder it
/// makes is fsynced, and so is the folder it was made in, so that the new folders are still
/// there after a crash. An fsync that fails is an error.
pub fn create_private_dir(path: &Path) -> std::io::Result<()> {
    // The folders missing, from the outermost in.
    let mut missing = Vec::new();
    let mut at = Some(path);
    while let Some(p) = at {
        if p.as_os_str().is_empty() || p.is_dir() {
            break;
        }
        missing.push(p.to_path_buf());
        at = p.parent();
    }
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(path)?;
    for made in missing.iter().rev() {
        sync_dir(made)?;
        if let Some(parent) = made.parent().filter(|p| !p.as_os_str().is_empty()) {
            sync_dir(parent)?;
        }
    }
    Ok(())
}

/// Creates one folder that must not exist yet (`AlreadyExists` if it does), `0700`, and fsyncs
/// it and the folder it is made in: for a folder of its own per capture, never shared with an
/// earlier one.
pub fn create_new_private_dir(path: &Path) -> std::io::Result<()> {
    let mut b = std::fs::DirBuilder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(path)?;
    sync_dir(path)?;
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => sync_dir(parent),
        _ => Ok(()),
    }
}

/// Fsyncs a folder: the names in it (a file renamed in, a folder made) survive a crash.
pub fn sync_dir(path: &Path) -> std::io::Result<()> {
    #[cfg(test)]
    if let Some(e) = fault::take(path) {
        return Err(e);
    }
    let dir = File::open(path).map_err(|e| {
        std::io::Error::new(e.kind(), format!("cannot open the folder to fsync it: {e}"))
    })?;
    dir.sync_all()
        .map_err(|e| std::io::Error::new(e.kind(), format!("fsync of the folder failed: {e}")))?;
    #[cfg(test)]
    fault::synced(path);
    Ok(())
}

/// Writes `bytes` to `path` through a temporary file and a rename, fsynced, `0600`, then fsyncs
/// the folder. The temporary file's name is this process's and this call's own: two writers of
/// one file (the TUI and a command refreshing the same organization cache) each rename a whole
/// file, the last one wins, and neither writes into the other's.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let seq = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = path.with_file_name(format!(".{name}.{}-{seq}.tmp", std::process::id()));
    let written = (|| {
        let mut o = OpenOptions::new();
        o.create_new(true).write(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            o.mode(0o600);
        }
        let mut f = o.open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written?;
    // The rename itself is durable once the folder is.
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => sync_dir(dir),
        _ => sync_dir(Path::new(".")),
    }
}

/// A JSON file a cache keeps (`what` names the cache in the warning): its value, or `None` when
/// there is none or it cannot be read as one (then a warning, and the cache is asked anew).
pub fn load_json<T: serde::de::DeserializeOwned>(path: &Path, what: &str) -> Option<T> {
    let text = std::fs::read_to_string(path).ok()?;
    match serde_json::from_str(&text) {
        Ok(value) => Some(value),
        Err(e) => {
            tracing::warn!("ignoring {what} {}: {e}", path.display());
            None
        }
    }
}

/// Writes `value` as JSON readable by the user only, in a folder that is the user's only,
/// replacing the old file whole: a reader never sees half a file.
pub fn save_json<T: serde::Serialize>(path: &Path, value: &T) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        create_private_dir(dir)?;
    }
    write_atomically(path, serde_json::to_string(value)?.as_bytes())
}

/// Test-only: which folders were fsynced, and a failure to give for one of them.
#[cfg(test)]
pub(crate) mod fault {
    use std::cell::RefCell;
    use std::path::{Path, PathBuf};

    thread_local! {
        static FAIL: RefCell<Option<PathBuf>> = const { RefCell::new(None) };
        static SYNCED: RefCell<Vec<PathBuf>> = const { RefCell::new(Vec::new()) };
    }

    /// The next fsync of `path` (on this thread) fails.
    pub fn fail_sync_of(path: &Path) {
        FAIL.with(|f| *f.borrow_mut() = Some(path.to_path_buf()));
    }

    pub(super) fn take(path: &Path) -> Option<std::io::Error> {
        FAIL.with(|f| {
            let mut f = f.borrow_mut();
            (f.as_deref() == Some(path)).then(|| {
                *f = None;
                std::io::Error::other("injected: the folder's fsync failed")
            })
        })
    }

    pub(super) fn synced(path: &Path) {
        SYNCED.with(|s| s.borrow_mut().push(path.to_path_buf()));
    }

    /// The folders fsynced on this thread so far (and forgets them).
    pub fn synced_dirs() -> Vec<PathBuf> {
        SYNCED.with(|s| std::mem::take(&mut *s.borrow_mut()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writers_of_one_file_each_rename_a_whole_file_and_leave_no_temporary_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("org.json");
        let contents: Vec<Vec<u8>> = (0..8u8).map(|i| vec![b'a' + i; 64 * 1024]).collect();
        std::thread::scope(|s| {
            for c in &contents {
                let path = &path;
                s.spawn(move || {
                    for _ in 0..20 {
                        write_atomically(path, c).unwrap();
                    }
                });
            }
        });
        let read = std::fs::read(&path).unwrap();
        assert!(contents.contains(&read), "one writer's whole file");
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["org.json"]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn a_write_that_fails_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        // The target is a folder: the rename fails after the temporary file was written.
        let path = dir.path().join("taken");
        std::fs::create_dir(&path).unwrap();
        std::fs::write(path.join("inside"), b"x").unwrap();
        assert!(write_atomically(&path, b"data").is_err());
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["taken"]);
    }

    #[test]
    fn folders_made_are_fsynced_with_the_folder_they_are_made_in() {
        let dir = tempfile::tempdir().unwrap();
        let top = dir.path().join("case");
        let inner = top.join("evidence").join("i-0123456789abcdef0");
        fault::synced_dirs();
        create_private_dir(&inner).unwrap();
        let synced = fault::synced_dirs();
        for d in [
            dir.path(),
            top.as_path(),
            &top.join("evidence"),
            inner.as_path(),
        ] {
            assert!(
                synced.iter().any(|s| s == d),
                "{} in {synced:?}",
                d.display()
            );
        }
        // Already there: nothing to make durable.
        create_private_dir(&inner).unwrap();
        assert_eq!(fault::synced_dirs(), Vec::<std::path::PathBuf>::new());
        // One folder of its own: made, fsynced with its parent; never one that exists.
        let stamp = inner.join("20261129T213000Z");
        create_new_private_dir(&stamp).unwrap();
        assert_eq!(fault::synced_dirs(), [stamp.clone(), inner.clone()]);
        let e = create_new_private_dir(&stamp).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::AlreadyExists);
    }

    #[test]
    fn a_folder_fsync_that_fails_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let made = dir.path().join("exports");
        fault::fail_sync_of(&made);
        let e = create_private_dir(&made).unwrap_err();
        assert!(e.to_string().contains("fsync"), "{e}");
        // A file renamed into a folder whose fsync fails: the write is not reported done.
        fault::fail_sync_of(&made);
        let e = write_atomically(&made.join("rows.csv"), b"a,b\n").unwrap_err();
        assert!(e.to_string().contains("fsync"), "{e}");
    }
}
