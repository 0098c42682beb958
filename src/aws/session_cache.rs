//! Sessions kept between runs (`[sessions] cache`), so that `assume`, `exec`, a
//! `credential_process` profile, the listings and the TUI use a session that has not expired
//! instead of assuming the role again.
//!
//! Two stores:
//! - `keyring`: the OS keyring (the `keyring` crate: the kernel's keyutils on Linux, the Keychain
//!   on macOS, the Credential Manager on Windows) holds each session. The keyring cannot list what
//!   it holds, so an index of what is not secret (label, role, access key id, expiration) is kept
//!   in `session-index/` in the platform data dir, a file per session; the secrets are only in the
//!   keyring.
//! - `file`: `sessions/` (`0700`) in the platform data dir, a `0600` file per session, written
//!   whole (a temporary file renamed into place). A folder or file that others may read or write,
//!   or that another user owns, is refused rather than read.
//!
//! A session is stored under an id the caller's key (an opaque string: a hash of the request)
//! makes with the scope (`AwsOptions::scope`: profile, access key id, endpoint), so that an
//! emulator's or another profile's sessions are never used for this one's. Nothing a warning or
//! error here says holds a secret: not the session, and not what a corrupt entry held.

use std::collections::HashMap;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use keyring::credential::{CredentialBuilder, CredentialPersistence};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::assume::Session;
use super::credentials::{Credentials, Secret};

/// Where sessions are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheKind {
    /// The OS keyring, with an index of what is not secret in the data dir.
    Keyring,
    /// A `0600` file per session in a `0700` folder of the data dir.
    File,
}

impl CacheKind {
    /// As `[sessions] cache` names it.
    pub fn name(self) -> &'static str {
        match self {
            CacheKind::Keyring => "keyring",
            CacheKind::File => "file",
        }
    }
}

/// What `rolecall sessions` shows of a kept session: never a secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CachedSession {
    /// What the session is for: a role ARN, or e.g. "MFA session for arn:…:mfa/alex".
    pub label: String,
    pub role_arn: String,
    pub assumed_role_arn: String,
    /// The session's access key id (an identifier, not a secret).
    pub access_key_id: String,
    pub expiration: DateTime<Utc>,
    pub expired: bool,
}

/// The keyring's service name for rolecall's entries (the user name is the session's id).
const SERVICE: &str = "rolecall";
/// The version of what is stored; anything else is dropped.
const VERSION: u32 = 1;
/// The file store's folder in the data dir.
pub const FILE_DIR: &str = "sessions";
/// The keyring index's folder in the data dir.
pub const INDEX_DIR: &str = "session-index";
/// No stored session is longer than this; a longer file is not read.
const MAX_ENTRY_BYTES: u64 = 64 * 1024;
/// A temporary file of an interrupted write this old is removed (it may hold a session).
const STALE_TEMPORARY: Duration = Duration::from_secs(600);

/// The platform data dir (`~/.local/share/rolecall` on Linux): where the file store and the
/// keyring's index are.
pub fn data_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "rolecall").map(|d| d.data_local_dir().to_path_buf())
}

/// The sessions kept between runs, in one store, for one scope. Cloning shares the store.
#[derive(Clone)]
pub struct SessionCache {
    /// A hash of the scope: stored with each session, so a listing shows this scope's only.
    scope: String,
    store: Store,
    /// Expired sessions are removed at the first `put` (of this cache and its clones) only: a
    /// fan-out over a thousand accounts puts a thousand sessions, and must not read every stored
    /// one each time.
    pruned: Arc<std::sync::Once>,
}

#[derive(Clone)]
enum Store {
    File { dir: PathBuf },
    Keyring(KeyringStore),
}

#[derive(Clone)]
struct KeyringStore {
    index: PathBuf,
    builder: Arc<CredentialBuilder>,
    /// One entry per id, made once and reused: a store whose entries hold their own state (the
    /// crate's mock) then behaves as the OS keyring does.
    entries: Arc<Mutex<HashMap<String, Arc<keyring::Entry>>>>,
}

impl std::fmt::Debug for SessionCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = f.debug_struct("SessionCache");
        d.field("kind", &self.kind().name())
            .field("location", &self.location());
        d.finish_non_exhaustive()
    }
}

/// What is not secret about a session: the index entry, and the first part of a stored one.
#[derive(Serialize, Deserialize)]
struct Meta {
    version: u32,
    /// A hash of the scope it was assumed in.
    scope: String,
    label: String,
    role_arn: String,
    assumed_role_arn: String,
    access_key_id: String,
    expiration: DateTime<Utc>,
}

/// A session as stored (a file of the file store, an entry of the keyring). No `Debug`: it
/// holds the secrets.
#[derive(Serialize, Deserialize)]
struct Stored {
    #[serde(flatten)]
    meta: Meta,
    secret_access_key: String,
    #[serde(default)]
    session_token: Option<String>,
}

impl Meta {
    fn cached(&self, now: DateTime<Utc>) -> CachedSession {
        CachedSession {
            label: self.label.clone(),
            role_arn: self.role_arn.clone(),
            assumed_role_arn: self.assumed_role_arn.clone(),
            access_key_id: self.access_key_id.clone(),
            expiration: self.expiration,
            expired: self.expiration <= now,
        }
    }
}

impl Stored {
    fn new(scope: &str, label: &str, s: &Session) -> Stored {
        Stored {
            meta: Meta {
                version: VERSION,
                scope: scope.to_string(),
                label: label.to_string(),
                role_arn: s.role_arn.to_string(),
                assumed_role_arn: s.assumed_role_arn.clone(),
                access_key_id: s.credentials.access_key_id.clone(),
                expiration: s.expiration,
            },
            secret_access_key: s.credentials.secret_access_key.expose().to_string(),
            session_token: s
                .credentials
                .session_token
                .as_ref()
                .map(|t| t.expose().to_string()),
        }
    }

    fn credentials(self) -> Credentials {
        Credentials {
            access_key_id: self.meta.access_key_id,
            secret_access_key: Secret::new(self.secret_access_key),
            session_token: self.session_token.map(Secret::new),
            expiration: Some(self.meta.expiration),
        }
    }

    fn session(self) -> Result<Session, String> {
        let role_arn = self
            .meta
            .role_arn
            .parse()
            .map_err(|e| format!("its role ARN is not one ({e})"))?;
        Ok(Session {
            role_arn,
            assumed_role_arn: self.meta.assumed_role_arn,
            credentials: Credentials {
                access_key_id: self.meta.access_key_id,
                secret_access_key: Secret::new(self.secret_access_key),
                session_token: self.session_token.map(Secret::new),
                expiration: Some(self.meta.expiration),
            },
            expiration: self.meta.expiration,
        })
    }
}

/// What is wrong with a stored entry that does not parse, without what it holds (serde's own
/// message may quote the text, and the text holds secrets).
fn unreadable(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let what = match e.classify() {
        Category::Io => "could not be read",
        Category::Syntax => "is not JSON",
        Category::Data => "is not a session rolecall wrote",
        Category::Eof => "is cut short",
    };
    format!("it {what} (line {}, column {})", e.line(), e.column())
}

/// A keyring error, described without anything an entry held.
fn keyring_error(e: &keyring::Error) -> String {
    match e {
        keyring::Error::PlatformFailure(inner) => format!("the keyring failed: {inner}"),
        keyring::Error::NoStorageAccess(inner) => format!("the keyring refused access: {inner}"),
        keyring::Error::NoEntry => "no such entry".into(),
        keyring::Error::BadEncoding(_) => "the entry is not text".into(),
        keyring::Error::TooLong(what, max) => {
            format!("the {what} is longer than the keyring takes ({max})")
        }
        keyring::Error::Invalid(what, why) => format!("the {what} is refused: {why}"),
        keyring::Error::Ambiguous(items) => format!("{} entries match", items.len()),
        _ => "the keyring failed".into(),
    }
}

fn hex_sha256(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// Whether a file or folder is this user's alone: owned by whoever runs rolecall, and neither
/// readable nor writable by anyone else.
#[cfg(unix)]
fn check_private(meta: &std::fs::Metadata, what: &str, path: &Path) -> Result<(), String> {
    use std::os::unix::fs::MetadataExt;
    let me = rustix::process::geteuid().as_raw();
    if meta.uid() != me {
        return Err(format!(
            "{what} {} belongs to another user (uid {}, not {me}), so rolecall keeps no session in it",
            path.display(),
            meta.uid()
        ));
    }
    let mode = meta.mode() & 0o777;
    if mode & 0o077 != 0 {
        let want = if meta.is_dir() { "700" } else { "600" };
        return Err(format!(
            "{what} {} can be read or written by others (mode {mode:o}), so rolecall keeps no session in it: `chmod {want}` it, or remove it",
            path.display()
        ));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_: &std::fs::Metadata, _: &str, _: &Path) -> Result<(), String> {
    // The data dir is the user's own profile folder.
    Ok(())
}

/// Makes the folder (`0700`) if it is not there and checks it is this user's alone.
fn private_folder(dir: &Path) -> Result<(), String> {
    crate::files::create_private_dir(dir)
        .map_err(|e| format!("cannot make the folder {}: {e}", dir.display()))?;
    let meta = std::fs::metadata(dir)
        .map_err(|e| format!("cannot read the folder {}: {e}", dir.display()))?;
    if !meta.is_dir() {
        return Err(format!("{} is not a folder", dir.display()));
    }
    check_private(&meta, "the folder", dir)
}

/// A stored file's text, checked to be this user's alone (on the file opened, not its name);
/// `None` when there is none.
fn read_private(path: &Path) -> Result<Option<String>, String> {
    let f = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot open {}: {e}", path.display())),
    };
    let meta = f
        .metadata()
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if !meta.is_file() {
        return Err(format!("{} is not a file", path.display()));
    }
    check_private(&meta, "the file", path)?;
    if meta.len() > MAX_ENTRY_BYTES {
        return Err(format!(
            "{} is longer than any session ({} bytes)",
            path.display(),
            meta.len()
        ));
    }
    let mut text = String::new();
    f.take(MAX_ENTRY_BYTES)
        .read_to_string(&mut text)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    Ok(Some(text))
}

/// The ids stored in a folder (`<id>.json`), and the temporary files of interrupted writes.
fn stored_ids(dir: &Path) -> Result<(Vec<String>, Vec<PathBuf>), String> {
    let read = match std::fs::read_dir(dir) {
        Ok(r) => r,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Default::default()),
        Err(e) => return Err(format!("cannot read the folder {}: {e}", dir.display())),
    };
    let (mut ids, mut temporary) = (Vec::new(), Vec::new());
    for entry in read.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') && name.ends_with(".tmp") {
            temporary.push(entry.path());
        } else if let Some(id) = name.strip_suffix(".json") {
            if !id.is_empty() && id.bytes().all(|b| b.is_ascii_hexdigit()) {
                ids.push(id.to_string());
            }
        }
    }
    ids.sort();
    Ok((ids, temporary))
}

fn remove_quietly(path: &Path) {
    if let Err(e) = std::fs::remove_file(path) {
        if e.kind() != std::io::ErrorKind::NotFound {
            tracing::warn!("cannot remove {}: {e}", path.display());
        }
    }
}

/// Removes the temporary files of writes interrupted long enough ago (they may hold a session).
fn remove_stale_temporary(files: &[PathBuf]) {
    for path in files {
        let old = std::fs::metadata(path)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > STALE_TEMPORARY);
        if old {
            remove_quietly(path);
        }
    }
}

/// What to do with a stored session asked for.
enum Verdict {
    Use(Box<Stored>),
    /// Expires within the margin, or another scope's: not used, kept.
    Keep,
    /// Expired, unreadable, of another version: removed (with the reason, if one is to be said).
    Drop(Option<String>),
}

impl SessionCache {
    /// The store `kind` in the platform data dir, for `scope` (`AwsOptions::scope`). An error
    /// says why it cannot be used and what to set instead; rolecall then goes on without one.
    pub fn open(kind: CacheKind, scope: &str) -> Result<SessionCache, String> {
        let dir = data_dir().ok_or_else(|| {
            format!(
                "[sessions] cache = \"{}\": this platform has no data dir to keep sessions in (is HOME set?); remove [sessions] cache",
                kind.name()
            )
        })?;
        SessionCache::open_in(kind, scope, &dir)
    }

    /// As [`SessionCache::open`], in `data_dir` (what [`data_dir`] gives, in tests a folder of
    /// their own).
    pub fn open_in(kind: CacheKind, scope: &str, data_dir: &Path) -> Result<SessionCache, String> {
        match kind {
            CacheKind::File => {
                let dir = data_dir.join(FILE_DIR);
                private_folder(&dir).map_err(|e| format!("[sessions] cache = \"file\": {e}"))?;
                Ok(SessionCache {
                    scope: hex_sha256(scope),
                    store: Store::File { dir },
                    pruned: Arc::new(std::sync::Once::new()),
                })
            }
            CacheKind::Keyring => {
                let builder = keyring::default::default_credential_builder();
                if matches!(
                    builder.persistence(),
                    CredentialPersistence::EntryOnly | CredentialPersistence::ProcessOnly
                ) {
                    return Err(no_keyring(
                        "this build of rolecall has no OS keyring for this platform",
                        data_dir,
                    ));
                }
                SessionCache::with_keyring(builder, scope, data_dir)
            }
        }
    }

    /// The keyring store through `builder` (the platform's, or the crate's mock in tests),
    /// checked by reading an entry that is not there.
    fn with_keyring(
        builder: Box<CredentialBuilder>,
        scope: &str,
        data_dir: &Path,
    ) -> Result<SessionCache, String> {
        let probe = builder
            .build(None, SERVICE, "probe")
            .map(keyring::Entry::new_with_credential)
            .and_then(|e| e.get_secret().map(|_| ()));
        match probe {
            Ok(()) | Err(keyring::Error::NoEntry) => {}
            Err(e) => return Err(no_keyring(&keyring_error(&e), data_dir)),
        }
        let index = data_dir.join(INDEX_DIR);
        crate::files::create_private_dir(&index).map_err(|e| {
            format!(
                "[sessions] cache = \"keyring\": cannot make the folder {} for the index of kept sessions: {e}",
                index.display()
            )
        })?;
        Ok(SessionCache {
            scope: hex_sha256(scope),
            store: Store::Keyring(KeyringStore {
                index,
                builder: Arc::from(builder),
                entries: Default::default(),
            }),
            pruned: Arc::new(std::sync::Once::new()),
        })
    }

    pub fn kind(&self) -> CacheKind {
        match self.store {
            Store::File { .. } => CacheKind::File,
            Store::Keyring(_) => CacheKind::Keyring,
        }
    }

    /// The folder of the file store, or of the keyring's index.
    pub fn location(&self) -> &Path {
        match &self.store {
            Store::File { dir } => dir,
            Store::Keyring(k) => &k.index,
        }
    }

    /// The id a session is stored under: the caller's key in this scope.
    fn id(&self, key: &str) -> String {
        hex_sha256(&format!("{}\n{key}", self.scope))[..32].to_string()
    }

    /// The session kept for `key`, if there is one that does not expire within `margin`. An
    /// entry that cannot be read is dropped, with a warning.
    pub fn get(&self, key: &str, margin: Duration) -> Option<Session> {
        let stored = self.get_stored(key, margin)?;
        match stored.session() {
            Ok(s) => Some(s),
            Err(why) => {
                tracing::warn!(
                    "dropping a kept session ({} store): {why}",
                    self.kind().name()
                );
                self.remove(key);
                None
            }
        }
    }

    /// The credentials kept for `key` by `put_credentials` (an MFA session), if they do not
    /// expire within `margin`.
    pub fn get_credentials(&self, key: &str, margin: Duration) -> Option<Credentials> {
        self.get_stored(key, margin).map(Stored::credentials)
    }

    /// Keeps credentials that are not a role's session (the primary's MFA session, from
    /// GetSessionToken) for `key`; `of` is what they are of (the MFA device's ARN), shown by
    /// `rolecall sessions`. Credentials without an expiration are not kept.
    pub fn put_credentials(&self, key: &str, label: &str, of: &str, c: &Credentials) {
        let Some(expiration) = c.expiration else {
            return;
        };
        let stored = Stored {
            meta: Meta {
                version: VERSION,
                scope: self.scope.clone(),
                label: label.to_string(),
                role_arn: of.to_string(),
                assumed_role_arn: of.to_string(),
                access_key_id: c.access_key_id.clone(),
                expiration,
            },
            secret_access_key: c.secret_access_key.expose().to_string(),
            session_token: c.session_token.as_ref().map(|t| t.expose().to_string()),
        };
        self.put_stored(key, label, stored);
    }

    fn get_stored(&self, key: &str, margin: Duration) -> Option<Stored> {
        let id = self.id(key);
        let stored = match &self.store {
            Store::File { dir } => {
                let path = dir.join(format!("{id}.json"));
                match read_private(&path) {
                    Ok(Some(text)) => serde_json::from_str::<Stored>(&text),
                    Ok(None) => return None,
                    Err(e) => {
                        tracing::warn!("not using a kept session: {e}");
                        return None;
                    }
                }
            }
            Store::Keyring(k) => match k.entry(&id).and_then(|e| e.get_secret()) {
                Ok(bytes) => serde_json::from_slice::<Stored>(&bytes),
                Err(keyring::Error::NoEntry) => {
                    // Gone from the keyring (keyutils' are at a reboot): so from the index too.
                    remove_quietly(&k.index_file(&id));
                    return None;
                }
                Err(e) => {
                    tracing::warn!(
                        "not using the kept session {id}: the OS keyring did not give it ({})",
                        keyring_error(&e)
                    );
                    return None;
                }
            },
        };
        let verdict = match stored {
            Ok(stored) => self.judge(stored, margin, Utc::now()),
            Err(e) => Verdict::Drop(Some(unreadable(&e))),
        };
        match verdict {
            Verdict::Use(stored) => Some(*stored),
            Verdict::Keep => None,
            Verdict::Drop(why) => {
                if let Some(why) = why {
                    tracing::warn!(
                        "dropping the kept session {id} ({} store): {why}",
                        self.kind().name()
                    );
                }
                self.remove_id(&id);
                None
            }
        }
    }

    fn judge(&self, stored: Stored, margin: Duration, now: DateTime<Utc>) -> Verdict {
        if stored.meta.version != VERSION {
            return Verdict::Drop(Some(format!(
                "it was written by another version of rolecall ({})",
                stored.meta.version
            )));
        }
        if stored.meta.scope != self.scope {
            return Verdict::Keep;
        }
        if stored.meta.expiration <= now {
            return Verdict::Drop(None);
        }
        let margin = chrono::Duration::from_std(margin).unwrap_or(chrono::Duration::MAX);
        if now
            .checked_add_signed(margin)
            .is_none_or(|t| stored.meta.expiration <= t)
        {
            return Verdict::Keep;
        }
        Verdict::Use(Box::new(stored))
    }

    /// Keeps `session` for `key`; `label` is what `rolecall sessions` shows for it. Expired
    /// sessions are removed on the way (at the first put). A failure is a warning: the session is only not kept.
    pub fn put(&self, key: &str, label: &str, session: &Session) {
        self.put_stored(key, label, Stored::new(&self.scope, label, session));
    }

    fn put_stored(&self, key: &str, label: &str, stored: Stored) {
        let id = self.id(key);
        self.pruned.call_once(|| self.prune(Utc::now()));
        let result = match &self.store {
            Store::File { dir } => serde_json::to_vec(&stored)
                .map_err(|e| format!("cannot write it: {}", unreadable(&e)))
                .and_then(|bytes| {
                    crate::files::write_atomically(&dir.join(format!("{id}.json")), &bytes)
                        .map_err(|e| format!("cannot write {}: {e}", dir.display()))
                }),
            Store::Keyring(k) => k.put(&id, &stored),
        };
        if let Err(e) = result {
            tracing::warn!(
                "the session for {label} is not kept ({} store): {e}",
                self.kind().name()
            );
        }
    }

    /// The sessions kept in this scope (metadata only), soonest to expire first, the expired
    /// ones included.
    pub fn list(&self) -> Result<Vec<CachedSession>, String> {
        let now = Utc::now();
        let mut out = Vec::new();
        for (id, meta) in self.metas()? {
            if meta.scope != self.scope {
                continue;
            }
            if let Store::Keyring(k) = &self.store {
                // An index entry whose secret is gone (keyutils' go at a reboot) is no session.
                if let Ok(Err(keyring::Error::NoEntry)) = k.entry(&id).map(|e| e.get_secret()) {
                    remove_quietly(&k.index_file(&id));
                    continue;
                }
            }
            out.push(meta.cached(now));
        }
        out.sort_by(|a, b| a.expiration.cmp(&b.expiration).then(a.label.cmp(&b.label)));
        Ok(out)
    }

    /// Every stored entry's metadata (every scope's), by id; unreadable ones are dropped and
    /// ones that are not this user's alone skipped, with a warning.
    fn metas(&self) -> Result<Vec<(String, Meta)>, String> {
        let dir = self.location();
        let (ids, temporary) = stored_ids(dir)?;
        remove_stale_temporary(&temporary);
        let mut out = Vec::new();
        for id in ids {
            let path = dir.join(format!("{id}.json"));
            let text = match read_private(&path) {
                Ok(Some(text)) => text,
                Ok(None) => continue,
                Err(e) => {
                    tracing::warn!("skipping a kept session: {e}");
                    continue;
                }
            };
            match serde_json::from_str::<Meta>(&text) {
                Ok(meta) if meta.version == VERSION => out.push((id, meta)),
                Ok(_) => {
                    tracing::warn!(
                        "dropping {}: it was written by another version of rolecall",
                        path.display()
                    );
                    self.remove_id(&id);
                }
                Err(e) => {
                    tracing::warn!("dropping {}: {}", path.display(), unreadable(&e));
                    self.remove_id(&id);
                }
            }
        }
        Ok(out)
    }

    /// Removes the expired sessions (of every scope).
    fn prune(&self, now: DateTime<Utc>) {
        match self.metas() {
            Ok(metas) => {
                for (id, meta) in metas {
                    if meta.expiration <= now {
                        self.remove_id(&id);
                    }
                }
            }
            Err(e) => tracing::warn!("cannot look for expired sessions to remove: {e}"),
        }
    }

    /// Drops every kept session, of every scope (and any temporary file of an interrupted
    /// write); says how many sessions there were.
    pub fn clear(&self) -> Result<usize, String> {
        let dir = self.location();
        let (ids, temporary) = stored_ids(dir)?;
        for path in &temporary {
            remove_quietly(path);
        }
        let mut failed = Vec::new();
        for id in &ids {
            if let Err(e) = self.try_remove_id(id) {
                failed.push(e);
            }
        }
        if failed.is_empty() {
            Ok(ids.len())
        } else {
            Err(format!(
                "{} of {} kept sessions could not be removed: {}",
                failed.len(),
                ids.len(),
                failed.join("; ")
            ))
        }
    }

    /// Drops the session kept for `key`, if any.
    pub fn remove(&self, key: &str) {
        self.remove_id(&self.id(key));
    }

    fn remove_id(&self, id: &str) {
        if let Err(e) = self.try_remove_id(id) {
            tracing::warn!("{e}");
        }
    }

    fn try_remove_id(&self, id: &str) -> Result<(), String> {
        let file = self.location().join(format!("{id}.json"));
        if let Store::Keyring(k) = &self.store {
            match k.entry(id).and_then(|e| e.delete_credential()) {
                Ok(()) | Err(keyring::Error::NoEntry) => {}
                Err(e) => {
                    return Err(format!(
                        "cannot remove the kept session {id} from the OS keyring: {}",
                        keyring_error(&e)
                    ))
                }
            }
        }
        match std::fs::remove_file(&file) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(format!("cannot remove {}: {e}", file.display())),
        }
    }
}

/// Why `[sessions] cache = "keyring"` cannot be used, and what to set instead.
fn no_keyring(why: &str, data_dir: &Path) -> String {
    format!(
        "[sessions] cache = \"keyring\": the OS keyring cannot be used here ({why}), so no session is kept between runs. \
         Where there is none (a container, a server without a secret service), set [sessions] cache = \"file\" \
         (a file readable by you only, in {}) or remove [sessions] cache",
        data_dir.join(FILE_DIR).display()
    )
}

impl KeyringStore {
    fn index_file(&self, id: &str) -> PathBuf {
        self.index.join(format!("{id}.json"))
    }

    fn entry(&self, id: &str) -> keyring::Result<Arc<keyring::Entry>> {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(e) = entries.get(id) {
            return Ok(e.clone());
        }
        let entry = Arc::new(keyring::Entry::new_with_credential(
            self.builder.build(None, SERVICE, id)?,
        ));
        entries.insert(id.to_string(), entry.clone());
        Ok(entry)
    }

    /// The index entry first, then the secret: every secret in the keyring is in the index,
    /// so `clear` finds it.
    fn put(&self, id: &str, stored: &Stored) -> Result<(), String> {
        let index = self.index_file(id);
        let meta = serde_json::to_vec(&stored.meta)
            .map_err(|e| format!("cannot write it: {}", unreadable(&e)))?;
        crate::files::write_atomically(&index, &meta)
            .map_err(|e| format!("cannot write {}: {e}", index.display()))?;
        let secret = serde_json::to_vec(stored)
            .map_err(|e| format!("cannot write it: {}", unreadable(&e)))?;
        let set = self.entry(id).and_then(|e| e.set_secret(&secret));
        if let Err(e) = set {
            remove_quietly(&index);
            return Err(format!("the OS keyring refused it ({})", keyring_error(&e)));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::arn::RoleArn;

    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY";
    const TOKEN: &str = "FwoGZXIvYXdzEJr//////////wEaDEXAMPLETOKENxyz";

    fn session(expires_in: chrono::Duration) -> Session {
        let expiration = Utc::now() + expires_in;
        let role_arn: RoleArn = "arn:aws:iam::222222222222:role/IR/Responder"
            .parse()
            .unwrap();
        Session {
            role_arn,
            assumed_role_arn: "arn:aws:sts::222222222222:assumed-role/Responder/rolecall".into(),
            credentials: Credentials {
                access_key_id: "ASIAEXAMPLEKEYID0001".into(),
                secret_access_key: Secret::new(SECRET),
                session_token: Some(Secret::new(TOKEN)),
                expiration: Some(expiration),
            },
            expiration,
        }
    }

    fn mock(scope: &str, data: &Path) -> SessionCache {
        SessionCache::with_keyring(keyring::mock::default_credential_builder(), scope, data)
            .unwrap()
    }

    fn file(scope: &str, data: &Path) -> SessionCache {
        SessionCache::open_in(CacheKind::File, scope, data).unwrap()
    }

    /// Every file under `dir` and what it holds.
    fn files(dir: &Path) -> Vec<(PathBuf, String)> {
        let mut out = Vec::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap().flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    out.push((p.clone(), std::fs::read_to_string(&p).unwrap()));
                }
            }
        }
        out
    }

    const HOUR: chrono::Duration = chrono::Duration::hours(1);
    const MARGIN: Duration = Duration::from_secs(600);

    fn same(a: &Session, b: &Session) {
        assert_eq!(a.role_arn, b.role_arn);
        assert_eq!(a.assumed_role_arn, b.assumed_role_arn);
        assert_eq!(a.credentials, b.credentials);
        assert_eq!(a.expiration, b.expiration);
    }

    #[test]
    fn both_stores_give_back_what_they_kept_until_it_expires_within_the_margin() {
        for kind in [CacheKind::File, CacheKind::Keyring] {
            let data = tempfile::tempdir().unwrap();
            let cache = match kind {
                CacheKind::File => file("profile=default", data.path()),
                CacheKind::Keyring => mock("profile=default", data.path()),
            };
            assert_eq!(cache.kind(), kind);
            assert!(cache.get("k1", MARGIN).is_none(), "{kind:?}: nothing yet");
            let s = session(HOUR);
            cache.put("k1", "arn:aws:iam::222222222222:role/IR/Responder", &s);
            same(&cache.get("k1", MARGIN).expect("kept"), &s);
            // A clone shares the store.
            same(&cache.clone().get("k1", MARGIN).expect("kept"), &s);
            // Another key, another session.
            assert!(cache.get("k2", MARGIN).is_none());
            // Expiring within the margin: not used, but still listed.
            let soon = session(chrono::Duration::minutes(5));
            cache.put("k2", "soon", &soon);
            assert!(cache.get("k2", MARGIN).is_none(), "{kind:?}: within margin");
            same(
                &cache
                    .get("k2", Duration::from_secs(60))
                    .expect("outside a 1 min margin"),
                &soon,
            );
            let listed = cache.list().unwrap();
            assert_eq!(
                listed.iter().map(|c| c.label.as_str()).collect::<Vec<_>>(),
                ["soon", "arn:aws:iam::222222222222:role/IR/Responder"],
                "{kind:?}: soonest first"
            );
            assert_eq!(listed[1].access_key_id, "ASIAEXAMPLEKEYID0001");
            assert_eq!(
                listed[1].role_arn,
                "arn:aws:iam::222222222222:role/IR/Responder"
            );
            assert!(!listed[1].expired);
            // Expired: dropped when asked for.
            cache.put("k3", "gone", &session(-chrono::Duration::minutes(1)));
            assert!(cache
                .list()
                .unwrap()
                .iter()
                .any(|c| c.label == "gone" && c.expired));
            assert!(cache.get("k3", Duration::ZERO).is_none());
            assert!(!cache.list().unwrap().iter().any(|c| c.label == "gone"));
            // Removed, then cleared.
            cache.remove("k2");
            assert!(cache.get("k2", Duration::ZERO).is_none());
            assert_eq!(cache.clear().unwrap(), 1, "{kind:?}");
            assert!(cache.get("k1", MARGIN).is_none(), "{kind:?}: cleared");
            assert!(cache.list().unwrap().is_empty());
        }
    }

    #[test]
    fn another_scope_never_sees_a_session() {
        for kind in [CacheKind::File, CacheKind::Keyring] {
            let data = tempfile::tempdir().unwrap();
            let (real, emulator) = match kind {
                CacheKind::File => (
                    file("profile=default;key=AKIAREAL;endpoint=", data.path()),
                    file(
                        "profile=default;key=AKIAREAL;endpoint=http://127.0.0.1:5000",
                        data.path(),
                    ),
                ),
                CacheKind::Keyring => {
                    let real = mock("profile=default;key=AKIAREAL;endpoint=", data.path());
                    // The same keyring, another scope.
                    let emulator = SessionCache {
                        scope: hex_sha256(
                            "profile=default;key=AKIAREAL;endpoint=http://127.0.0.1:5000",
                        ),
                        store: real.store.clone(),
                        pruned: Arc::new(std::sync::Once::new()),
                    };
                    (real, emulator)
                }
            };
            real.put("k", "real", &session(HOUR));
            assert!(emulator.get("k", MARGIN).is_none(), "{kind:?}");
            assert!(emulator.list().unwrap().is_empty(), "{kind:?}");
            assert_eq!(real.list().unwrap().len(), 1);
            // clear drops every scope's.
            assert_eq!(emulator.clear().unwrap(), 1);
            assert!(real.get("k", MARGIN).is_none());
        }
    }

    #[test]
    fn the_keyring_holds_the_secrets_and_the_index_only_what_is_not_secret() {
        let data = tempfile::tempdir().unwrap();
        let cache = mock("s", data.path());
        let s = session(HOUR);
        cache.put(
            "k",
            "MFA session for arn:aws:iam::111111111111:mfa/alex",
            &s,
        );
        let on_disk = files(data.path());
        assert_eq!(on_disk.len(), 1, "{on_disk:?}");
        let (path, text) = &on_disk[0];
        assert!(path.starts_with(data.path().join(INDEX_DIR)));
        assert!(text.contains("ASIAEXAMPLEKEYID0001") && text.contains("mfa/alex"));
        assert!(!text.contains(SECRET) && !text.contains(TOKEN), "{text}");
        // The secret is in the keyring entry, and nowhere else.
        let id = cache.id("k");
        let Store::Keyring(k) = &cache.store else {
            panic!("keyring")
        };
        let held = String::from_utf8(k.entry(&id).unwrap().get_secret().unwrap()).unwrap();
        assert!(held.contains(SECRET) && held.contains(TOKEN));
        // An entry gone from the keyring (a reboot, for keyutils) is gone from the listing too.
        k.entry(&id).unwrap().delete_credential().unwrap();
        assert!(cache.list().unwrap().is_empty());
        assert!(files(data.path()).is_empty());
    }

    #[test]
    fn a_keyring_that_fails_is_warned_of_and_never_fatal() {
        use keyring::mock::MockCredential;
        let data = tempfile::tempdir().unwrap();
        let cache = mock("s", data.path());
        let Store::Keyring(k) = &cache.store else {
            panic!("keyring")
        };
        let id = cache.id("k");
        let fail = |e: keyring::Error| {
            let entry = k.entry(&id).unwrap();
            let m: &MockCredential = entry.get_credential().downcast_ref().unwrap();
            m.set_error(e);
        };
        // Refused on put: not kept, and no index entry left behind.
        fail(keyring::Error::NoStorageAccess("locked".into()));
        cache.put("k", "r", &session(HOUR));
        assert!(cache.get("k", MARGIN).is_none());
        assert!(cache.list().unwrap().is_empty());
        // Kept, then unreadable once: not used this time, kept for the next.
        cache.put("k", "r", &session(HOUR));
        fail(keyring::Error::PlatformFailure("busy".into()));
        assert!(cache.get("k", MARGIN).is_none());
        assert!(cache.get("k", MARGIN).is_some());
        // What the keyring holds is not a session: dropped.
        k.entry(&id)
            .unwrap()
            .set_secret(b"{\"not\": \"a session\"}")
            .unwrap();
        assert!(cache.get("k", MARGIN).is_none());
        assert!(cache.list().unwrap().is_empty());
        assert!(matches!(
            k.entry(&id).unwrap().get_secret(),
            Err(keyring::Error::NoEntry)
        ));
    }

    /// A keyring that cannot be reached, as keyutils in a container whose seccomp forbids it.
    struct Unreachable;
    impl keyring::credential::CredentialBuilderApi for Unreachable {
        fn build(
            &self,
            _: Option<&str>,
            _: &str,
            _: &str,
        ) -> keyring::Result<Box<keyring::Credential>> {
            Err(keyring::Error::PlatformFailure(
                "Operation not permitted (os error 1)".into(),
            ))
        }
        fn as_any(&self) -> &dyn std::any::Any {
            self
        }
    }

    #[test]
    fn no_keyring_says_what_to_set_instead() {
        let data = tempfile::tempdir().unwrap();
        let e = SessionCache::with_keyring(Box::new(Unreachable), "s", data.path()).unwrap_err();
        assert!(e.starts_with("[sessions] cache = \"keyring\""), "{e}");
        assert!(e.contains("Operation not permitted"), "{e}");
        assert!(e.contains("[sessions] cache = \"file\""), "{e}");
    }

    #[cfg(unix)]
    #[test]
    fn the_file_store_is_private_and_refuses_what_others_can_read() {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let data = tempfile::tempdir().unwrap();
        let cache = file("s", data.path());
        let dir = data.path().join(FILE_DIR);
        assert_eq!(cache.location(), dir);
        assert_eq!(mode(&dir), 0o700);
        cache.put("k", "r", &session(HOUR));
        let stored = dir.join(format!("{}.json", cache.id("k")));
        assert_eq!(mode(&stored), 0o600);
        let held = std::fs::read_to_string(&stored).unwrap();
        assert!(held.contains(SECRET) && held.contains(TOKEN));
        // Only that file, nothing else anywhere.
        assert_eq!(files(data.path()).len(), 1);

        // A file others may read is not read (nor removed).
        std::fs::set_permissions(&stored, std::fs::Permissions::from_mode(0o640)).unwrap();
        assert!(cache.get("k", MARGIN).is_none());
        assert!(cache.list().unwrap().is_empty());
        assert!(stored.exists());
        std::fs::set_permissions(&stored, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert!(cache.get("k", MARGIN).is_some());

        // A folder others may read: refused when opened.
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let e = SessionCache::open_in(CacheKind::File, "s", data.path()).unwrap_err();
        assert!(
            e.contains("[sessions] cache = \"file\"") && e.contains("mode 755"),
            "{e}"
        );
        assert!(e.contains("chmod 700"), "{e}");
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
        // clear removes even a file it would not read.
        std::fs::set_permissions(&stored, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert_eq!(cache.clear().unwrap(), 1);
        assert!(!stored.exists());
    }

    #[test]
    fn a_corrupt_file_is_dropped_without_quoting_it() {
        let data = tempfile::tempdir().unwrap();
        let cache = file("s", data.path());
        cache.put("k", "r", &session(HOUR));
        let stored = cache.location().join(format!("{}.json", cache.id("k")));
        // Cut short, and with the secret in it: the error must not quote it.
        let text = std::fs::read_to_string(&stored).unwrap();
        crate::files::write_atomically(&stored, &text.as_bytes()[..text.len() - 5]).unwrap();
        assert!(cache.get("k", MARGIN).is_none());
        assert!(!stored.exists(), "dropped");
        // A value of the wrong type: serde's message would quote the string.
        let bad = text.replace("\"version\":1", &format!("\"version\":\"{SECRET}\""));
        assert_ne!(bad, text);
        let e = serde_json::from_str::<Stored>(&bad).err().unwrap();
        assert!(e.to_string().contains(SECRET), "serde quotes it: {e}");
        assert!(!unreadable(&e).contains(SECRET));
        crate::files::write_atomically(&stored, bad.as_bytes()).unwrap();
        assert!(cache.list().unwrap().is_empty());
        assert!(!stored.exists(), "dropped");
        // Another version's: dropped too.
        cache.put("k", "r", &session(HOUR));
        let text = std::fs::read_to_string(&stored).unwrap();
        let other = text.replace("\"version\":1", "\"version\":2");
        crate::files::write_atomically(&stored, other.as_bytes()).unwrap();
        assert!(cache.get("k", MARGIN).is_none());
        assert!(!stored.exists());
    }

    #[test]
    fn putting_removes_expired_sessions_and_stale_temporary_files() {
        let data = tempfile::tempdir().unwrap();
        let cache = file("s", data.path());
        cache.put("old", "old", &session(-HOUR));
        let stale = cache.location().join(".x.json.1-0.tmp");
        std::fs::write(&stale, SECRET).unwrap();
        let long_ago = std::time::SystemTime::now() - Duration::from_secs(3600);
        File::options()
            .write(true)
            .open(&stale)
            .unwrap()
            .set_modified(long_ago)
            .unwrap();
        // Another run (another SessionCache) prunes at its first put.
        let next = file("s", data.path());
        next.put("new", "new", &session(HOUR));
        let names: Vec<String> = files(data.path())
            .into_iter()
            .map(|(p, _)| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, [format!("{}.json", cache.id("new"))]);
    }

    #[test]
    fn a_cache_can_be_shared_by_tasks() {
        fn shared<T: Send + Sync + Clone + 'static>() {}
        shared::<SessionCache>();
    }

    #[test]
    fn debug_shows_no_secret() {
        let data = tempfile::tempdir().unwrap();
        for cache in [file("s", data.path()), mock("s", data.path())] {
            cache.put("k", "r", &session(HOUR));
            let got = cache.get("k", MARGIN).unwrap();
            let dbg = format!("{cache:?} {got:?} {:?}", cache.list().unwrap());
            assert!(!dbg.contains(SECRET) && !dbg.contains(TOKEN), "{dbg}");
            assert!(dbg.contains("SessionCache"));
        }
    }
}
