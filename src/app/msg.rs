//! What flows into `update`: input, the clock, and what jobs and the refresher report.

use chrono::{DateTime, Utc};
use crossterm::event::{KeyEvent, MouseEvent};

use super::effect::Slot;
use crate::actions::{Outcome, Plan};
use crate::aws::arn::RoleArn;
use crate::aws::console::SignIn;
use crate::aws::identity::Identity;
use crate::aws::refresh::RefreshEvent;
use crate::aws::AwsError;
use crate::case::export::Exported;
use crate::case::Entry;
use crate::resources::{Failure, Row};

/// Everything that can change the state.
#[derive(Debug, Clone)]
pub enum Msg {
    Key(KeyEvent),
    Mouse(MouseEvent),
    Resize(u16, u16),
    /// The clock, for countdowns and the spinner; the only source of time for `update`.
    Tick(DateTime<Utc>),
    /// A signal (SIGTERM, SIGHUP, SIGINT; its number) or a lost terminal: leave cleanly.
    Terminate(i32),
    /// An answer of job `id` in `slot`: taken only while that job is still the slot's.
    Job {
        slot: Slot,
        id: u64,
        answer: Answer,
    },
    /// A session a job put in the store (or could not): recorded whichever job it was, since
    /// the store holds it now. The every-account listing sends one per role it assumes.
    Session {
        role: RoleArn,
        result: Result<SessionMeta, AwsError>,
    },
    /// What the session refresher did.
    Refresh(RefreshEvent),
    /// An entry a job wrote to the case log.
    Logged(Entry),
    /// A step of running action `n`.
    ActionStep {
        n: u64,
        text: String,
    },
}

/// What a job answers.
#[derive(Debug, Clone)]
pub enum Answer {
    Identity(Result<Identity, AwsError>),
    /// Every role found: the config's, the AWS config file's role profiles and those listed in
    /// the caller's IAM policies, grouped by account; and what discovery warns about.
    Discovered {
        groups: Vec<crate::roles::AccountRoles>,
        warnings: Vec<String>,
        /// When an organization's account list is next due to be read again (its `max_age`).
        organizations_due: Option<DateTime<Utc>>,
        /// When the oldest organization's list shown was read.
        organizations_read: Option<DateTime<Utc>>,
        /// The MFA sessions at hand (kept from an earlier run, `[sessions] cache`): device, end.
        mfa_sessions: Vec<(String, DateTime<Utc>)>,
    },
    Assumed {
        role: RoleArn,
        result: Result<SessionMeta, AwsError>,
    },
    /// Rows of a listing (of the slot's kind): a role's (all of them at once) or one account's
    /// in an every-account listing (one answer per account).
    Listed(Rows),
    /// A federated console sign-in was opened, or its link made.
    Console {
        role: RoleArn,
        result: Result<SignIn, AwsError>,
    },
    /// The job could not do its work (the case log could not be written); nothing was shown.
    Failed(AwsError),
    /// A switch-role link, recorded, to copy.
    Copied(Result<String, AwsError>),
    /// An export's files.
    Exported(Result<Exported, String>),
    /// The case now open (`None`: closed).
    Case(Result<Option<CaseInfo>, String>),
    /// The case log's entries.
    Log(Result<Vec<Entry>, String>),
    /// What an action would do (or why it may not).
    Planned(Result<Box<Plan>, AwsError>),
    /// A note recorded in the case log (its action's name), or why it was not.
    Noted(Result<String, AwsError>),
    /// How action `n` ended.
    Acted {
        n: u64,
        outcome: Outcome,
    },
}

/// What the UI shows of the open case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseInfo {
    pub id: String,
    pub dir: std::path::PathBuf,
}

impl CaseInfo {
    pub fn of(case: &crate::case::Case) -> CaseInfo {
        CaseInfo {
            id: case.id.to_string(),
            dir: case.dir.clone(),
        }
    }
}

/// Listed rows: each with its search text (computed by the job, off the UI thread; empty:
/// computed on arrival), and what failed (regions, or the whole account).
#[derive(Debug, Clone, Default)]
pub struct Rows {
    pub rows: Vec<Row>,
    pub keys: Vec<String>,
    pub failures: Vec<Failure>,
    /// Listed in whole or in part (at least one region answered).
    pub ok: bool,
    /// AWS throttled it and it was listed again after a pause (every-account listings).
    pub throttled: bool,
    /// A page of a role's listing with more to come (a query kind's); the last answer has
    /// `false`.
    pub more: bool,
    /// What the listing found worth saying, each naming its account (a stopped trail).
    pub notes: Vec<String>,
    /// An every-account listing's account: how many of its regions answered.
    pub answered: Option<Answered>,
}

/// How many regions of one account of an every-account listing answered (listed, or said the
/// region or service is not enabled there), out of how many it was to list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answered {
    /// The role it was listed through: whose planned count the real one replaces.
    pub role: RoleArn,
    pub regions: usize,
    /// `None`: never found out (its session, or its `regions = "all"`, failed).
    pub of: Option<usize>,
}

/// What the UI knows of a session: never the credentials themselves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionMeta {
    pub assumed_arn: String,
    pub expiration: DateTime<Utc>,
    /// The MFA session the role was reached through (its device and when it ends): every role
    /// that asks for that device is then reached without a code.
    pub mfa_session: Option<(String, DateTime<Utc>)>,
}
