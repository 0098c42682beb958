//! What `update` asks for: jobs to start or stop, and the clipboard. The runtime does it.

use crate::actions::{Action, Plan};
use crate::aws::arn::RoleArn;
use crate::aws::console::Destination;
use crate::aws::credentials::{Secret, TokenCode};
use crate::aws::identity::Identity;
use crate::inventory::Target;
use crate::resources::{Kind, Row, Subject, Window};
use crate::roles::Role;

/// Work `update` asks for.
#[derive(Debug, Clone)]
pub enum Effect {
    /// Start a job; the job already in its slot is stopped (its answers are stale anyway).
    Start(Job),
    /// Stop the job in a slot: the user left what it was for.
    Cancel(Slot),
    /// Put text on the clipboard (OSC 52).
    Copy(String),
    /// Put a credential on the clipboard (OSC 52); redacted in `Debug`.
    CopySecret(Secret),
}

/// Where a job runs: one job per slot, a new one replaces the one before. Answers carry the
/// slot and the job's id; `update` drops those of a job that is no longer the slot's.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Slot {
    /// Who am I, then which roles can I reach.
    Identity,
    /// One role's session being assumed.
    Assume(RoleArn),
    /// One role's table of a kind.
    List(Kind),
    /// Every account's table of a kind.
    Every(Kind),
    /// A federated console sign-in.
    Console,
    /// A switch-role link being recorded before it is copied.
    Copy,
    /// An export being written.
    Export,
    /// A case being opened or closed.
    Case,
    /// The case log being read.
    Log,
    /// An action being planned (reads and DryRun checks).
    Plan,
    /// Responder action number n, running.
    Action(u64),
    /// A note being recorded in the case log (the finding an investigation starts from).
    Note,
}

/// A job: an id (unique in the run), and its work.
#[derive(Debug, Clone)]
pub struct Job {
    pub id: u64,
    pub work: Work,
}

impl Job {
    pub fn slot(&self) -> Slot {
        self.work.slot()
    }
}

/// What a job does.
#[derive(Debug, Clone)]
pub enum Work {
    /// GetCallerIdentity with the primary credentials.
    Identity,
    /// Find the roles the identity may assume (policies, AWS config profiles).
    /// Which roles it reaches; `reread`: the organizations from AWS now, not a fresh cache.
    Discover { identity: Identity, reread: bool },
    /// Assume a role; its session goes to the store (the refresher keeps it).
    Assume {
        /// (Boxed: a role is the largest thing an effect carries.)
        role: Box<Role>,
        token_code: Option<TokenCode>,
        /// Overrides the role's duration (role chaining caps it at one hour).
        duration: Option<u32>,
    },
    /// List a role's resources of a kind with its live session.
    List {
        kind: Kind,
        role: RoleArn,
        regions: Vec<String>,
        /// A query kind's time window.
        window: Option<Window>,
        /// What a query kind looks up (`t`: the row's resource).
        subject: Option<Subject>,
    },
    /// List every account at once, `concurrency` accounts at a time, each account's rows
    /// answered as soon as they are in. The roles in `assume` are assumed first (with that
    /// duration, `None`: the role's own); the others have a live session.
    Every {
        kind: Kind,
        targets: Vec<Target>,
        assume: Vec<(RoleArn, Option<u32>)>,
        concurrency: usize,
    },
    /// Sign in to the console as `role` (its live session) and open `destination` in the
    /// browser, or (`open: false`) answer with the link to copy.
    Console {
        role: RoleArn,
        destination: Destination,
        open: bool,
    },
    /// Record a switch-role link in the case log, then answer with it to copy.
    CopyLink { role: RoleArn, url: String },
    /// Write `rows` as `name.csv` and `name.json` (in the case's exports, else the data dir's)
    /// and record them; `view` says what they are.
    Export {
        view: String,
        name: String,
        rows: ExportRows,
    },
    /// Open (or reopen) a case and record in it from now on.
    OpenCase { id: String, title: Option<String> },
    /// Close the open case.
    CloseCase,
    /// Read the case's log.
    ReadLog,
    /// Plan a responder action as `role` in `region` (reads, and DryRun of every change).
    /// `toggle`: `X`'s isolation is a release of what rolecall's logs say it isolated; without
    /// it the action is planned as it is (the revocation offered after an isolation).
    PlanAction {
        role: RoleArn,
        region: String,
        action: Action,
        toggle: bool,
    },
    /// Carry out a plan the responder said yes to; `n` numbers it in the jobs view.
    RunAction {
        n: u64,
        role: RoleArn,
        region: String,
        /// The case it was planned in: run only while that case is the open one.
        case: String,
        plan: Box<Plan>,
    },
    /// Record this in the case log (the finding an investigation starts from).
    Note(Box<crate::case::Record>),
}

/// Rows to export, as a table shows them (filter and sort applied).
#[derive(Debug, Clone)]
pub struct ExportRows {
    pub kind: Kind,
    /// Every account's rows (with the account and role of each).
    pub every: bool,
    pub rows: Vec<Row>,
}

impl Work {
    pub fn slot(&self) -> Slot {
        match self {
            Work::Identity | Work::Discover { .. } => Slot::Identity,
            Work::Assume { role, .. } => Slot::Assume(role.arn.clone()),
            Work::List { kind, .. } => Slot::List(*kind),
            Work::Every { kind, .. } => Slot::Every(*kind),
            Work::Console { .. } => Slot::Console,
            Work::CopyLink { .. } => Slot::Copy,
            Work::Export { .. } => Slot::Export,
            Work::OpenCase { .. } | Work::CloseCase => Slot::Case,
            Work::ReadLog => Slot::Log,
            Work::PlanAction { .. } => Slot::Plan,
            Work::RunAction { n, .. } => Slot::Action(*n),
            Work::Note(_) => Slot::Note,
        }
    }
}
