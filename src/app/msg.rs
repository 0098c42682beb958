//! What flows into `update` (messages) and out of it (effects).

use chrono::{DateTime, Utc};
use crossterm::event::{KeyEvent, MouseEvent};

use crate::aws::arn::RoleArn;
use crate::aws::console::Destination;
use crate::aws::credentials::Secret;
use crate::aws::ec2::{Instance, Listing, Volume};
use crate::aws::identity::Identity;
use crate::aws::refresh::RefreshEvent;
use crate::aws::AwsError;
use crate::inventory::{Part, Target};
use crate::roles::Role;

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
    Identity(Result<Identity, AwsError>),
    Assumed {
        role: RoleArn,
        result: Result<SessionMeta, AwsError>,
    },
    /// A role's instances; `keys`: each row's search text, computed by the task (empty:
    /// computed on arrival).
    Instances {
        request: u64,
        role: RoleArn,
        listing: Listing<Instance>,
        keys: Vec<String>,
    },
    Volumes {
        request: u64,
        role: RoleArn,
        listing: Listing<Volume>,
        keys: Vec<String>,
    },
    /// One account's answer to an every-account listing, with its rows' search keys.
    AllInstances {
        request: u64,
        part: Part<Instance>,
        keys: Vec<String>,
    },
    AllVolumes {
        request: u64,
        part: Part<Volume>,
        keys: Vec<String>,
    },
    /// A session the every-account listing started (or could not): recorded like `Assumed`,
    /// without a status line for each account.
    Session {
        role: RoleArn,
        result: Result<SessionMeta, AwsError>,
    },
    /// What the session refresher did.
    Refresh(RefreshEvent),
    /// Every role found: the config's, the AWS config file's role profiles and those listed in
    /// the caller's IAM policies, grouped by account; and what discovery warns about.
    Discovered {
        groups: Vec<crate::roles::AccountRoles>,
        warnings: Vec<String>,
    },
    /// A federated console sign-in was opened, or its link made.
    Console {
        role: RoleArn,
        result: Result<ConsoleDone, AwsError>,
    },
}

#[derive(Debug, Clone)]
pub enum ConsoleDone {
    /// The browser was started on the sign-in link.
    Opened,
    /// The sign-in link, to copy.
    Link(Secret),
}

/// What a listing lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Instances,
    Volumes,
}

/// What the UI knows of a session: never the credentials themselves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionMeta {
    pub assumed_arn: String,
    pub expiration: DateTime<Utc>,
}

/// Work `update` asks for; the runtime does it.
#[derive(Debug, Clone)]
pub enum Effect {
    LoadIdentity,
    /// Find the roles the identity may assume (policies, AWS config profiles).
    Discover(Identity),
    Assume {
        role: Role,
        token_code: Option<Secret>,
        /// Overrides the role's duration (role chaining caps it at one hour).
        duration: Option<u32>,
    },
    ListInstances {
        request: u64,
        role: RoleArn,
        regions: Vec<String>,
    },
    ListVolumes {
        request: u64,
        role: RoleArn,
        regions: Vec<String>,
    },
    /// List every account at once, `concurrency` accounts at a time, each answering as
    /// `Msg::AllInstances` / `Msg::AllVolumes`. The roles in `assume` are assumed first (with
    /// that duration, `None`: the role's own); the others have a live session.
    ListAll {
        request: u64,
        kind: Kind,
        targets: Vec<Target>,
        assume: Vec<(RoleArn, Option<u32>)>,
        concurrency: usize,
    },
    /// The user left the view: stop the listing in flight.
    CancelListing,
    /// The user left the every-account view: stop its listing.
    CancelAll,
    /// Put text on the clipboard (OSC 52).
    Copy(String),
    /// Put a credential on the clipboard (OSC 52); redacted in `Debug`.
    CopySecret(Secret),
    /// Sign in to the console as `role` (its live session) and open `destination` in the
    /// browser, or (`open: false`) send the link back to copy.
    Console {
        role: RoleArn,
        destination: Destination,
        open: bool,
    },
}
