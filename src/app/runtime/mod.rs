//! The runtime: the main loop (terminal events and ticks in, frames out) and the jobs that turn
//! effects into answers. All I/O of the TUI happens here and in `work`.

mod jobs;
mod work;

pub use work::RecordedAssumer;

use std::io::Write;
use std::time::Duration;

use chrono::Utc;
use crossterm::event::{Event, EventStream, KeyEventKind};
use futures::StreamExt;
use tokio::sync::mpsc;

use super::effect::Effect;
use super::msg::{CaseInfo, Msg};
use super::state::State;
use super::update::{init, update};
use crate::aws::refresh::{self, RefreshPolicy, SystemClock};
use crate::aws::sessions::SessionStore;
use crate::aws::{AwsOptions, LazyAws};
use crate::case::Journal;
use crate::config::Config;
use crate::tui::Tui;
use crate::ui::{self, Theme};

/// Runs effects. Holds what the UI must not: the AWS setup and the credentials.
pub struct Runtime {
    jobs: jobs::Jobs,
}

impl Runtime {
    /// Also starts the session refresher, whose reports arrive as `Msg::Refresh`.
    pub fn new(
        tx: mpsc::UnboundedSender<Msg>,
        opts: AwsOptions,
        settings: &Config,
        journal: Journal,
    ) -> Self {
        let scope = opts.scope();
        let aws = LazyAws::new(opts);
        let store = SessionStore::default();
        let (events_tx, mut events) = mpsc::unbounded_channel();
        tokio::spawn(refresh::run(
            store.clone(),
            work::RecordedAssumer {
                aws: aws.clone(),
                journal: journal.clone(),
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
        let context = work::Context {
            aws,
            store,
            journal,
            settings: settings.clone(),
            scope,
        };
        Runtime {
            jobs: jobs::Jobs::new(tx, context),
        }
    }

    /// Starts or stops a job; only the clipboard is written (to `out`) before returning.
    pub fn run(&mut self, effect: Effect, out: &mut impl Write) {
        match effect {
            Effect::Start(job) => self.jobs.start(job),
            Effect::Cancel(slot) => self.jobs.cancel(&slot),
            Effect::Copy(text) => copy(out, text),
            Effect::CopySecret(secret) => copy(out, secret.expose().to_string()),
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

/// Runs the TUI until the user quits or a signal arrives; what is done is recorded through
/// `journal` (in the case it names, if any).
pub async fn run(
    config: Config,
    opts: AwsOptions,
    theme: Theme,
    journal: Journal,
) -> anyhow::Result<Exit> {
    let mut tui = Tui::enter()?;
    let (tx, mut rx) = mpsc::unbounded_channel::<Msg>();
    let size = tui.size()?;
    let tz = *chrono::Local::now().offset();
    let case = journal.case().as_ref().map(CaseInfo::of);
    let mut state = State::with_case(&config, case, Utc::now(), tz, size);
    // The organizations' cached lists, however old: the tree shows them in the first frame, and
    // discovery reads them again when they are older than their max_age.
    if !config.organizations.is_empty() {
        let (groups, read_at) = crate::roles::at_start(&config, &opts.scope());
        state.set_roles(groups);
        state.organizations_read = read_at;
    }
    let mut runtime = Runtime::new(tx.clone(), opts, &config, journal);

    // The first frame, before any answer.
    tui.draw(|f| ui::draw(f, &state, &theme))?;
    for effect in init(&mut state) {
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
