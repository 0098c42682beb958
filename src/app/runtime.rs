//! The runtime: turns effects into tokio tasks whose results come back as messages, and runs the
//! main loop (terminal events and ticks in, frames out). All I/O of the TUI happens here.

use std::io::Write;
use std::time::Duration;

use chrono::Utc;
use crossterm::event::{Event, EventStream, KeyEventKind};
use futures::StreamExt;
use tokio::sync::mpsc;
use tokio::task::AbortHandle;

use super::msg::{ConsoleDone, Effect, Kind, Msg, SessionMeta};
use super::state::{search_keys, State};

use super::update::{init, update};
use crate::aws::arn::RoleArn;
use crate::aws::assume::assume_role;
use crate::aws::ec2::{list_instances, list_volumes, Ec2Target, Listing};
use crate::aws::identity::caller_identity;
use crate::aws::refresh::{self, RefreshPolicy, StsAssumer, SystemClock};
use crate::aws::sessions::SessionStore;
use crate::aws::{console, AwsError, AwsOptions, ErrorKind, LazyConfig};
use crate::config::{Config, ConsoleConfig, Defaults};
use crate::inventory::{self, Part, Target};
use crate::tui::Tui;
use crate::ui::{self, Theme};

/// Runs effects. Holds what the UI must not: the SDK config and the credentials.
pub struct Runtime {
    tx: mpsc::UnboundedSender<Msg>,
    config: LazyConfig,
    defaults: Defaults,
    console: ConsoleConfig,
    /// The config file, for merging discovered roles with it.
    settings: Config,
    store: SessionStore,
    listing: Option<AbortHandle>,
    /// The every-account listing, apart: it goes on while a single role's listing comes and goes.
    all: Option<AbortHandle>,
}

impl Runtime {
    /// Also starts the session refresher, whose reports arrive as `Msg::Refresh`.
    pub fn new(tx: mpsc::UnboundedSender<Msg>, opts: AwsOptions, settings: &Config) -> Self {
        let config = LazyConfig::new(opts);
        let store = SessionStore::default();
        let (events_tx, mut events) = mpsc::unbounded_channel();
        tokio::spawn(refresh::run(
            store.clone(),
            StsAssumer {
                config: config.clone(),
            },
            SystemClock,
            RefreshPolicy::default(),
            events_tx,
        ));
        let forward = tx.clone();
        tokio::spawn(async move {
            while let Some(event) = events.recv().await {
                if forward.send(Msg::Refresh(event)).is_err() {
                    break;
                }
            }
        });
        Runtime {
            tx,
            config,
            defaults: settings.defaults.clone(),
            console: settings.console.clone(),
            settings: settings.clone(),
            store,
            listing: None,
            all: None,
        }
    }

    /// Starts `effect`; only `Copy` writes (to `out`) before returning.
    pub fn run(&mut self, effect: Effect, out: &mut impl Write) {
        let tx = self.tx.clone();
        let lazy = self.config.clone();
        let config = move || {
            let lazy = lazy.clone();
            async move { lazy.get().await }
        };
        match effect {
            Effect::LoadIdentity => {
                tokio::spawn(async move {
                    let result = caller_identity(&config().await).await;
                    let _ = tx.send(Msg::Identity(result));
                });
            }
            Effect::Discover(identity) => {
                let settings = self.settings.clone();
                tokio::spawn(async move {
                    let known = crate::roles::discover(&settings, &config().await, &identity).await;
                    let groups = crate::roles::group(&settings, known.roles);
                    let _ = tx.send(Msg::Discovered {
                        groups,
                        warnings: known.warnings,
                    });
                });
            }
            Effect::Assume {
                role,
                token_code,
                duration,
            } => {
                let params = role.assume_params(&self.defaults, duration, token_code);
                let refresh_before = role.refresh_before(&self.defaults);
                let store = self.store.clone();
                tokio::spawn(async move {
                    let result =
                        start_session(&store, &config().await, &params, refresh_before).await;
                    let _ = tx.send(Msg::Assumed {
                        role: params.role_arn,
                        result,
                    });
                });
            }
            Effect::ListInstances {
                request,
                role,
                regions,
            } => {
                let target = self.target(&role);
                self.replace_listing(tokio::spawn(async move {
                    let listing = list_instances(&target.await, &regions).await;
                    let keys = search_keys(&listing.items);
                    let _ = tx.send(Msg::Instances {
                        request,
                        role,
                        listing,
                        keys,
                    });
                }));
            }
            Effect::ListVolumes {
                request,
                role,
                regions,
            } => {
                let target = self.target(&role);
                self.replace_listing(tokio::spawn(async move {
                    let listing = list_volumes(&target.await, &regions).await;
                    let keys = search_keys(&listing.items);
                    let _ = tx.send(Msg::Volumes {
                        request,
                        role,
                        listing,
                        keys,
                    });
                }));
            }
            Effect::ListAll {
                request,
                kind,
                targets,
                assume,
                concurrency,
            } => {
                let every = Every {
                    tx,
                    config: self.config.clone(),
                    store: self.store.clone(),
                    defaults: self.defaults.clone(),
                    assume,
                    concurrency,
                };
                let task = match kind {
                    Kind::Instances => tokio::spawn(every.list(
                        targets,
                        |t, r| async move { list_instances(&t, &r).await },
                        move |part, keys| Msg::AllInstances {
                            request,
                            part,
                            keys,
                        },
                    )),
                    Kind::Volumes => tokio::spawn(every.list(
                        targets,
                        |t, r| async move { list_volumes(&t, &r).await },
                        move |part, keys| Msg::AllVolumes {
                            request,
                            part,
                            keys,
                        },
                    )),
                };
                if let Some(old) = self.all.replace(task.abort_handle()) {
                    old.abort();
                }
            }
            Effect::CancelListing => {
                if let Some(h) = self.listing.take() {
                    h.abort();
                }
            }
            Effect::CancelAll => {
                if let Some(h) = self.all.take() {
                    h.abort();
                }
            }
            Effect::Copy(text) => copy(out, text),
            Effect::CopySecret(secret) => copy(out, secret.expose().to_string()),
            Effect::Console {
                role,
                destination,
                open,
            } => {
                let store = self.store.clone();
                let endpoint = self.console.federation_endpoint.clone();
                let timeout = Duration::from_secs(self.defaults.timeout_seconds.into());
                tokio::spawn(async move {
                    let result = async {
                        let Some(session) = store.get(&role) else {
                            return Err(AwsError::new(
                                ErrorKind::ExpiredToken,
                                "getSigninToken",
                                role.to_string(),
                            )
                            .with_message("the role has no session"));
                        };
                        let partition = role.partition();
                        let endpoint =
                            endpoint.unwrap_or_else(|| console::federation_endpoint(partition));
                        let link = console::federated_login_url(
                            &endpoint,
                            &session.credentials,
                            &destination.url(partition),
                            timeout,
                        )
                        .await?;
                        if !open {
                            return Ok(ConsoleDone::Link(link));
                        }
                        let url = link.expose().to_string();
                        let opened =
                            tokio::task::spawn_blocking(move || console::open_in_browser(&url))
                                .await
                                .unwrap_or_else(|e| Err(format!("the opener failed: {e}")));
                        opened.map(|()| ConsoleDone::Opened).map_err(|message| {
                            AwsError::new(ErrorKind::Other, "opening the browser", role.to_string())
                                .with_message(message)
                                .with_hint(
                                    "set BROWSER to your browser's command, or press O to copy the link",
                                )
                        })
                    }
                    .await;
                    let _ = tx.send(Msg::Console { role, result });
                });
            }
        }
    }

    /// Where and as whom to list a role's resources: its credentials come from the store on
    /// every call, so a refresh in the middle of a listing is picked up.
    fn target(
        &self,
        role: &RoleArn,
    ) -> impl std::future::Future<Output = Ec2Target> + Send + 'static {
        let config = self.config.clone();
        let credentials = self.store.provider(role);
        let page_size = self.defaults.page_size;
        async move {
            Ec2Target {
                base: config.get().await,
                credentials,
                page_size,
            }
        }
    }

    /// One listing at a time: a new one aborts the one before.
    fn replace_listing(&mut self, handle: tokio::task::JoinHandle<()>) {
        if let Some(old) = self.listing.replace(handle.abort_handle()) {
            old.abort();
        }
    }
}

/// Assumes a role and hands the session to the store (whose refresher keeps it alive); the UI
/// gets what it may know of it.
async fn start_session(
    store: &SessionStore,
    sdk: &aws_config::SdkConfig,
    params: &crate::aws::assume::AssumeParams,
    refresh_before: Duration,
) -> Result<SessionMeta, AwsError> {
    let session = assume_role(sdk, params).await?;
    let meta = SessionMeta {
        assumed_arn: session.assumed_role_arn.clone(),
        expiration: session.expiration,
    };
    store.insert(session, params, refresh_before);
    Ok(meta)
}

/// An every-account listing: assumes the roles without a session (each new session goes to
/// the store, where the refresher keeps it, and to the UI as `Msg::Session`), then lists each
/// account, `concurrency` at a time, sending each account's rows as soon as they are in.
struct Every {
    tx: mpsc::UnboundedSender<Msg>,
    config: LazyConfig,
    store: SessionStore,
    defaults: Defaults,
    assume: Vec<(RoleArn, Option<u32>)>,
    concurrency: usize,
}

impl Every {
    async fn list<T, L, LF>(
        self,
        targets: Vec<Target>,
        list: L,
        message: impl Fn(Part<T>, Vec<String>) -> Msg,
    ) where
        T: crate::resources::Resource,
        L: Fn(Ec2Target, Vec<String>) -> LF + Clone,
        LF: std::future::Future<Output = Listing<T>>,
    {
        let Every {
            tx,
            config,
            store,
            defaults,
            assume,
            concurrency,
        } = self;
        let base = config.get().await;
        let session = |t: &Target| {
            let plan = assume
                .iter()
                .find(|(arn, _)| arn == &t.role.arn)
                .map(|a| a.1);
            let role = t.role.clone();
            let (store, base, tx, defaults) =
                (store.clone(), base.clone(), tx.clone(), defaults.clone());
            async move {
                if let Some(duration) = plan {
                    let params = role.assume_params(&defaults, duration, None);
                    let refresh_before = role.refresh_before(&defaults);
                    let result = start_session(&store, &base, &params, refresh_before).await;
                    let failed = result.as_ref().err().cloned();
                    let _ = tx.send(Msg::Session {
                        role: role.arn.clone(),
                        result,
                    });
                    if let Some(e) = failed {
                        return Err(e);
                    }
                }
                Ok(store.provider(&role.arn))
            }
        };
        let page_size = defaults.page_size;
        let with = |credentials, regions| {
            list(
                Ec2Target {
                    base: base.clone(),
                    credentials,
                    page_size,
                },
                regions,
            )
        };
        let mut parts = std::pin::pin!(inventory::parts(targets, concurrency, session, with));
        while let Some(part) = parts.next().await {
            let keys = search_keys(&part.rows);
            if tx.send(message(part, keys)).is_err() {
                break;
            }
        }
    }
}

/// How the TUI ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Quit,
    Signal(i32),
}

/// Writes `text` to the clipboard with OSC 52 (the terminal, or tmux, keeps it).
fn copy(out: &mut impl Write, text: String) {
    let copy = crossterm::clipboard::CopyToClipboard::to_clipboard_from(text);
    if let Err(e) = crossterm::execute!(out, copy) {
        tracing::warn!("could not write the clipboard sequence: {e}");
    }
}

/// Runs the TUI until the user quits or a signal arrives.
pub async fn run(config: Config, opts: AwsOptions, theme: Theme) -> anyhow::Result<Exit> {
    let mut tui = Tui::enter()?;
    let (tx, mut rx) = mpsc::unbounded_channel::<Msg>();
    let size = tui.size()?;
    let tz = *chrono::Local::now().offset();
    let mut state = State::new(&config, Utc::now(), tz, size);
    let mut runtime = Runtime::new(tx.clone(), opts, &config);

    // The first frame, before any answer.
    tui.draw(|f| ui::draw(f, &state, &theme))?;
    for effect in init() {
        runtime.run(effect, &mut std::io::stdout());
    }

    let input = tokio::spawn(read_input(tx.clone()));
    let ticker = tokio::spawn(tick(tx.clone()));
    let signals = tokio::spawn(watch_signals(tx.clone()));
    let mut exit = Exit::Quit;

    while let Some(first) = rx.recv().await {
        // Handle everything that is waiting, then draw once.
        let mut batch = vec![first];
        while let Ok(m) = rx.try_recv() {
            batch.push(m);
        }
        for msg in batch {
            if let Msg::Terminate(signal) = msg {
                exit = Exit::Signal(signal);
            }
            for effect in update(&mut state, msg) {
                runtime.run(effect, &mut std::io::stdout());
            }
        }
        if state.should_quit {
            break;
        }
        tui.draw(|f| ui::draw(f, &state, &theme))?;
    }
    input.abort();
    ticker.abort();
    signals.abort();
    drop(tui);
    Ok(exit)
}

async fn read_input(tx: mpsc::UnboundedSender<Msg>) {
    let mut events = EventStream::new();
    while let Some(event) = events.next().await {
        let msg = match event {
            Ok(Event::Key(k)) if k.kind == KeyEventKind::Press => Msg::Key(k),
            Ok(Event::Mouse(m)) => Msg::Mouse(m),
            Ok(Event::Resize(w, h)) => Msg::Resize(w, h),
            Ok(_) => continue,
            Err(e) => {
                tracing::error!("reading the terminal failed: {e}");
                Msg::Terminate(HANGUP)
            }
        };
        if tx.send(msg).is_err() {
            break;
        }
    }
}

async fn tick(tx: mpsc::UnboundedSender<Msg>) {
    let mut interval = tokio::time::interval(Duration::from_millis(250));
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        if tx.send(Msg::Tick(Utc::now())).is_err() {
            break;
        }
    }
}

/// SIGHUP's number: the terminal went away.
const HANGUP: i32 = 1;

/// Turns SIGTERM, SIGHUP and SIGINT into a clean exit (the exit status says which: 128 + n).
/// In raw mode Ctrl-C is a key, not SIGINT; a SIGINT still comes from `kill -INT`.
#[cfg(unix)]
async fn watch_signals(tx: mpsc::UnboundedSender<Msg>) {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut term), Ok(mut hup), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::hangup()),
        signal(SignalKind::interrupt()),
    ) else {
        tracing::warn!("cannot watch for signals; the terminal is still restored on exit");
        return;
    };
    let n = tokio::select! {
        _ = term.recv() => 15,
        _ = hup.recv() => HANGUP,
        _ = int.recv() => 2,
    };
    let _ = tx.send(Msg::Terminate(n));
}

#[cfg(not(unix))]
async fn watch_signals(_tx: mpsc::UnboundedSender<Msg>) {}
