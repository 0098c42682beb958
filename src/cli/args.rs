//! Command-line definitions (clap).

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};
use clap_complete::engine::ArgValueCandidates;

use crate::cli::shell::role_candidates;

use crate::aws::credentials::TokenCode;
use crate::resources::{Kind, Subject};

#[derive(Debug, Parser)]
#[command(
    name = "rolecall",
    version,
    about = "Assume cross-account AWS roles and browse EC2 instances and EBS volumes across accounts",
    long_about = "Assume cross-account AWS roles and browse EC2 instances and EBS volumes across accounts.\n\n\
        The primary identity comes from the standard AWS chain (environment, --profile / AWS_PROFILE, \
        SSO, instance role); AWS_ENDPOINT_URL is honoured. A ROLE argument is a full role ARN or the \
        name of a [[role]] in the config file.",
    after_help = "Examples:\n  rolecall                  (the TUI: ? lists its keys)\n  rolecall roles\n  eval \"$(rolecall assume prod-responder)\"\n  rolecall instances prod-responder --region eu-west-1 --json\n  rolecall exec prod-responder -- aws ec2 describe-instances\n  rolecall link arn:aws:iam::222222222222:role/ResponderRole\n  rolecall doctor prod-responder\n  rolecall policy --json\n  rolecall console prod-responder --region eu-west-1 --instance i-0123456789abcdef0"
)]
pub struct Cli {
    /// Config file [default: config.toml in the platform config dir, e.g. ~/.config/rolecall/]
    #[arg(long, global = true, env = "ROLECALL_CONFIG", value_name = "PATH")]
    pub config: Option<PathBuf>,

    /// AWS profile for the primary identity (from ~/.aws/config)
    #[arg(long, global = true, env = "AWS_PROFILE", value_name = "NAME")]
    pub profile: Option<String>,

    /// The case to record this run in (else the current one: rolecall case open)
    #[arg(long, global = true, env = "ROLECALL_CASE", value_name = "ID")]
    pub case: Option<String>,

    /// Refuse every action that changes things (snapshot, isolate, release, capture), even in
    /// an open case ([defaults] read_only does the same)
    #[arg(long, global = true)]
    pub read_only: bool,

    /// Region to work in; repeat it to list several (instances, volumes, security groups)
    #[arg(long = "region", global = true, value_name = "REGION")]
    pub regions: Vec<String>,

    /// Without a command, the full-screen TUI opens
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start a config from the roles found today (the caller's IAM policies, ~/.aws/config role
    /// profiles): print it, or --write it where rolecall looks for its config
    Init {
        /// Write it to the config file (the platform config dir, or --config / $ROLECALL_CONFIG);
        /// a file that exists is never written over
        #[arg(long)]
        write: bool,
    },
    /// Print the script that completes rolecall's commands and ROLE arguments (role names and
    /// ARNs from the config and ~/.aws/config) in a shell: eval "$(rolecall completions bash)"
    Completions {
        #[arg(value_enum)]
        shell: CompletionShell,
    },
    /// Print rolecall's man page (roff): rolecall man > ~/.local/share/man/man1/rolecall.1
    Man,
    /// Show the primary identity and the roles it can assume, grouped by account
    Roles {
        /// Print JSON instead of a table
        #[arg(long)]
        json: bool,
    },
    /// Assume a role and print its temporary credentials
    Assume {
        /// Role name from the config, or a full role ARN
        #[arg(add = ArgValueCandidates::new(role_candidates))]
        role: String,
        /// How to print the credentials
        #[arg(long, value_enum, default_value_t = AssumeFormat::Env)]
        format: AssumeFormat,
        /// Session duration, in seconds or as "1h", "90m" (900s to 12h)
        #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
        duration: Option<u32>,
        /// Current code of the MFA device named by the role's mfa_serial
        #[arg(long, value_name = "CODE", value_parser = TokenCode::parse)]
        token_code: Option<TokenCode>,
    },
    #[command(flatten)]
    List(List),
    /// List Security Hub's findings (GuardDuty's where Security Hub is off) of the role's account
    /// in its regions, or of every account (--all: through [findings] via when set), severest
    /// first, then newest
    Findings {
        #[command(flatten)]
        list: ListArgs,
        /// Only these severities: CRITICAL,HIGH,MEDIUM,LOW,INFORMATIONAL
        #[arg(long, value_name = "LIST")]
        severity: Option<String>,
        /// Only these workflow statuses: NEW,NOTIFIED,RESOLVED,SUPPRESSED
        #[arg(long, value_name = "LIST")]
        status: Option<String>,
        /// Updated in this span up to now, e.g. 7d, 24h (default 30d; at most 90d)
        #[arg(long, value_name = "SPAN", value_parser = super::findings::parse_since)]
        since: Option<std::time::Duration>,
    },
    /// Show the sessions kept between runs ([sessions] cache): what each is for, its access
    /// key id (never a secret) and when it expires; --clear drops them all
    Sessions {
        /// Drop every kept session (of every profile and endpoint)
        #[arg(long)]
        clear: bool,
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
    /// Run a command with the role's credentials in its environment; exits with its status
    Exec {
        /// Role name from the config, or a full role ARN
        #[arg(add = ArgValueCandidates::new(role_candidates))]
        role: String,
        /// Session duration, in seconds or as "1h", "90m" (900s to 12h)
        #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
        duration: Option<u32>,
        /// Current code of the MFA device named by the role's mfa_serial
        #[arg(long, value_name = "CODE", value_parser = TokenCode::parse)]
        token_code: Option<TokenCode>,
        /// The command and its arguments, after `--`
        #[arg(required = true, last = true, value_name = "CMD")]
        command: Vec<String>,
    },
    /// Print the console's switch-role link for a role (no credentials: sign in to the primary
    /// account in the browser first)
    Link {
        /// Role name from the config, or a full role ARN
        #[arg(add = ArgValueCandidates::new(role_candidates))]
        role: String,
        /// Print JSON instead of the bare link
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        target: ConsoleTarget,
    },
    /// Print the IAM policies cross-account access needs: the primary side's permission to
    /// assume each role (ARNs in full), and each role's trust policy
    Policy {
        /// Only this role (name or ARN); default: every known role
        #[arg(add = ArgValueCandidates::new(role_candidates))]
        role: Option<String>,
        /// Print {"primary_policy": …, "trust_policies": {ARN: …}} as JSON
        #[arg(long)]
        json: bool,
        /// Print instead what the responder actions (snapshot, share, isolate, capture) need in
        /// the secondary accounts' roles, and the forensic account's role; calls nothing
        #[arg(long, conflicts_with = "role")]
        actions: bool,
    },
    /// Check each step of assuming a role and say what to fix: credentials, identity, identity
    /// policies, AssumeRole (external ID, MFA), a read in the account, session duration
    Doctor {
        /// Only this role (name or ARN); default: every known role
        #[arg(add = ArgValueCandidates::new(role_candidates))]
        role: Option<String>,
        /// Current code of the MFA device, for roles with mfa_serial
        #[arg(long, value_name = "CODE", value_parser = TokenCode::parse)]
        token_code: Option<TokenCode>,
        /// Print the checks as JSON
        #[arg(long)]
        json: bool,
    },
    /// The case file: a verifiable log of what was done, and where exports go
    Case {
        #[command(subcommand)]
        command: CaseCommand,
    },
    /// Snapshot an instance's volumes (or one volume) as evidence, tagged with the case, and
    /// share them with the forensic account (needs an open case)
    #[command(group(clap::ArgGroup::new("what").required(true).args(["instance", "volume"])))]
    Snapshot {
        /// Role name from the config, or a full role ARN
        #[arg(add = ArgValueCandidates::new(role_candidates))]
        role: String,
        /// Every EBS volume of this instance
        #[arg(long, value_name = "ID")]
        instance: Option<String>,
        /// This volume
        #[arg(long, value_name = "ID")]
        volume: Option<String>,
        /// Share the snapshots with this account (else [case] forensic_account, if set)
        #[arg(long, value_name = "ACCOUNT")]
        share_with: Option<String>,
        #[command(flatten)]
        ask: ActArgs,
    },
    /// Contain (needs an open case): an instance (only a quarantine security group on every
    /// interface, originals recorded; termination protection on; volumes kept), an access key
    /// (set Inactive, never deleted), a user (an inline deny-all policy), or a role (its sessions
    /// issued before now revoked)
    Isolate {
        /// Role name from the config, or a full role ARN: the role rolecall acts as
        #[arg(add = ArgValueCandidates::new(role_candidates))]
        role: String,
        #[command(flatten)]
        what: ContainTarget,
        #[command(flatten)]
        ask: ActArgs,
    },
    /// Undo `isolate` exactly, from rolecall's case logs: the instance's groups put back, the
    /// key set Active again, the user's or role's rolecall policy removed (and nothing else)
    Release {
        /// Role name from the config, or a full role ARN
        #[arg(add = ArgValueCandidates::new(role_candidates))]
        role: String,
        #[command(flatten)]
        what: ContainTarget,
        #[command(flatten)]
        ask: ActArgs,
    },
    /// Set a Security Hub finding's workflow status with a note (needs an open case): read first
    /// (GetFindings), then BatchUpdateFindings; --undo puts back what rolecall's last change of
    /// it replaced, from the case logs
    #[command(
        name = "finding-status",
        group(clap::ArgGroup::new("change").required(true).args(["status", "undo"])),
        after_help = "Examples:
  rolecall finding-status prod-responder arn:aws:guardduty:us-east-1:222222222222:detector/…/finding/… --status RESOLVED --note \"instance isolated, snapshots in IR-7\"
  rolecall finding-status prod-responder arn:aws:guardduty:… --undo"
    )]
    FindingStatus {
        /// Role name from the config, or a full role ARN: of the account the finding was read in
        /// (its own, or the delegated administrator's); --region the region it was read in
        #[arg(add = ArgValueCandidates::new(role_candidates))]
        role: String,
        /// The finding's id (ASFF Id: `rolecall findings ROLE --json` shows it)
        finding: String,
        /// NEW, NOTIFIED, RESOLVED or SUPPRESSED
        #[arg(long, value_name = "STATUS", value_parser = parse_workflow_status)]
        status: Option<String>,
        /// The note (1 to 512 characters, one line); default: one naming the case and status
        #[arg(long, value_name = "TEXT", requires = "status")]
        note: Option<String>,
        /// Put back the status and note rolecall's last change of the finding replaced
        #[arg(long, conflicts_with_all = ["status", "note"])]
        undo: bool,
        #[command(flatten)]
        ask: ActArgs,
    },
    /// Sign in to IAM Identity Center: the device authorization flow (a code to confirm in the
    /// browser), then the token is kept where `aws sso login` keeps it (~/.aws/sso/cache)
    Login {
        /// Which portal: an [[sso]] session name or start URL, or an [sso-session] of
        /// ~/.aws/config (default: the only [[sso]] of the config)
        #[arg(long, value_name = "SESSION|URL")]
        sso: Option<String>,
        /// Print the link instead of opening a browser
        #[arg(long)]
        no_browser: bool,
    },
    /// Whose access key is it: the account (sts:GetAccessKeyInfo), then, through a role rolecall
    /// knows there, its user, the user's keys and their last use, groups, policies, MFA, console
    /// access
    Whois {
        /// The access key id (AKIA… or ASIA…; never the secret)
        key: String,
        /// Print JSON
        #[arg(long)]
        json: bool,
        /// Current code of the MFA device named by the role's mfa_serial
        #[arg(long, value_name = "CODE", value_parser = TokenCode::parse)]
        token_code: Option<TokenCode>,
    },
    /// Save an instance's description, console output and console screenshot into the case
    /// folder, each file's SHA-256 in the log (needs an open case)
    Capture {
        /// Role name from the config, or a full role ARN
        #[arg(add = ArgValueCandidates::new(role_candidates))]
        role: String,
        #[arg(long, value_name = "ID")]
        instance: String,
        /// Wake a sleeping instance for the screenshot (sends it a keystroke)
        #[arg(long)]
        wake: bool,
        #[command(flatten)]
        ask: ActArgs,
    },
    /// Open the AWS console signed in as the role (federated sign-in), on a region, service,
    /// instance or volume
    #[command(
        long_about = "Open the AWS console signed in as the role, through the partition's federation endpoint \
        (getSigninToken, then an Action=login link), landing on the page for --region, --service, \
        --instance or --volume. The browser is $BROWSER if set, else the platform's opener.\n\n\
        The sign-in link is a credential: anyone who has it is signed in as the role until the \
        session ends. --print prints it instead of opening it; keep it out of chats and tickets."
    )]
    Console {
        /// Role name from the config, or a full role ARN
        #[arg(add = ArgValueCandidates::new(role_candidates))]
        role: String,
        /// Print the sign-in link instead of opening a browser (it grants the role's access)
        #[arg(long)]
        print: bool,
        #[command(flatten)]
        target: ConsoleTarget,
        /// Session length to ask for (the console session ends with it), e.g. 3600, 1h
        #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
        duration: Option<u32>,
        /// Current code of the MFA device named by the role's mfa_serial
        #[arg(long, value_name = "CODE", value_parser = TokenCode::parse)]
        token_code: Option<TokenCode>,
    },
}

impl Command {
    /// Whether it lists every account at once (`--all`): a sweep of thousands of calls, whose
    /// client CPU (the SDK's work per call) can outgrow one core.
    pub fn sweeps_every_account(&self) -> bool {
        match self {
            Command::List(l) => l.is_every_account(),
            Command::Findings { list, .. } => list.all,
            _ => false,
        }
    }
}

/// The case file's subcommands.
#[derive(Debug, Subcommand)]
pub enum CaseCommand {
    /// Open a case (or reopen one) and make it the current one: from now on what rolecall does
    /// is recorded in its log
    Open {
        /// Letters, digits, '-', '_' and '.', 1 to 64 characters (e.g. IR-2026-0042)
        id: String,
        /// What the case is about
        #[arg(long)]
        title: Option<String>,
    },
    /// Close a case (default: the current one); nothing is recorded in it any more
    Close {
        /// The case (default: --case, else the current one)
        id: Option<String>,
    },
    /// List the cases
    List {
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
    /// Show a case: its folder, log, entries and the last entry's hash (for the ticket)
    Show {
        /// The case (default: --case, else the current one)
        id: Option<String>,
        /// Print JSON: {"id","title","dir","log","opened_at","entries","last_hash",…}
        #[arg(long)]
        json: bool,
    },
    /// Check the log's chain: exits 0 when it holds, 1 naming the first entry that does not
    Verify {
        /// The case (default: --case, else the current one)
        id: Option<String>,
    },
}

/// What `isolate` and `release` act on: exactly one.
#[derive(Debug, Clone, clap::Args)]
#[group(required = true, multiple = false)]
pub struct ContainTarget {
    /// An EC2 instance (i-…)
    #[arg(long, value_name = "ID")]
    pub instance: Option<String>,
    /// An IAM user's access key (AKIA…)
    #[arg(long, value_name = "KEY")]
    pub access_key: Option<String>,
    /// An IAM user, by name
    #[arg(long, value_name = "NAME")]
    pub user: Option<String>,
    /// An IAM role, by name: the sessions it issued before now
    #[arg(long = "role", value_name = "NAME")]
    pub iam_role: Option<String>,
}

impl ContainTarget {
    /// The action on it: isolation, or (`release`) its undoing.
    pub fn action(self, release: bool) -> anyhow::Result<crate::actions::Action> {
        use crate::actions::identity::Identity;
        use crate::actions::Action;
        let identity = match self {
            ContainTarget {
                instance: Some(instance),
                ..
            } => {
                return Ok(if release {
                    Action::Release { instance }
                } else {
                    Action::Isolate { instance }
                })
            }
            ContainTarget {
                access_key: Some(k),
                ..
            } => Identity::AccessKey(k),
            ContainTarget { user: Some(u), .. } => Identity::User(u),
            ContainTarget {
                iam_role: Some(r), ..
            } => Identity::Role(r),
            _ => anyhow::bail!("name what to act on: --instance, --access-key, --user or --role"),
        };
        Ok(if release {
            Action::Uncontain { identity }
        } else {
            Action::Contain { identity }
        })
    }
}

/// What every action takes.
#[derive(Debug, Clone, clap::Args)]
pub struct ActArgs {
    /// Do it without asking (needed when there is no terminal to ask on)
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Check every call with DryRun and print the plan; change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Print the result as JSON
    #[arg(long)]
    pub json: bool,
    /// Current code of the MFA device named by the role's mfa_serial
    #[arg(long, value_name = "CODE", value_parser = TokenCode::parse)]
    pub token_code: Option<TokenCode>,
}

/// The listings: a command per kind (`crate::resources`), all taking [`ListArgs`].
#[derive(Debug, Subcommand)]
pub enum List {
    /// List the EC2 instances of the role's account in each of its regions
    Instances(ListArgs),
    /// List the EBS volumes of the role's account in each of its regions
    Volumes(ListArgs),
    /// List the security groups of the role's account in each of its regions: inbound and
    /// outbound rules, and the instances using each
    #[command(name = "security-groups", visible_alias = "sg")]
    SecurityGroups(ListArgs),
    /// List the IAM users of the role's account: access keys (status, last use), console
    /// access, MFA, groups, policies
    Users(ListArgs),
    /// List the IAM access keys of the role's account, a row each: user, status, last use
    #[command(name = "access-keys")]
    AccessKeys(ListArgs),
    /// List the IAM roles of the role's account: who may assume each, last used, policies
    #[command(name = "iam-roles")]
    IamRoles(ListArgs),
    /// Who did what: CloudTrail events (LookupEvents) of a resource, an access key, a user or
    /// an API call, over the last --since (default 7d), newest first, in each of the role's
    /// regions; says when no trail logs or a trail stopped logging
    #[command(
        after_help = "Examples:\n  rolecall events prod-responder --resource i-0123456789abcdef0\n  rolecall events --all --access-key AKIAIOSFODNN7EXAMPLE --since 30d --json\n  rolecall events prod-responder --event StopLogging --region us-east-1"
    )]
    Events(EventArgs),
}

impl List {
    /// Whether it lists every account at once (`--all`).
    pub fn is_every_account(&self) -> bool {
        match self {
            List::Instances(a)
            | List::Volumes(a)
            | List::SecurityGroups(a)
            | List::Users(a)
            | List::AccessKeys(a)
            | List::IamRoles(a) => a.all,
            List::Events(e) => e.list.all,
        }
    }

    /// The kind it lists, and how.
    pub fn into_parts(self) -> (Kind, ListArgs) {
        match self {
            List::Instances(a) => (Kind::Instances, a),
            List::Volumes(a) => (Kind::Volumes, a),
            List::SecurityGroups(a) => (Kind::SecurityGroups, a),
            List::Users(a) => (Kind::Users, a),
            List::AccessKeys(a) => (Kind::AccessKeys, a),
            List::IamRoles(a) => (Kind::IamRoles, a),
            List::Events(e) => {
                let subject = [e.resource, e.access_key, e.user, e.event]
                    .into_iter()
                    .flatten()
                    .next();
                (
                    Kind::Events,
                    ListArgs {
                        subject,
                        since: e.since,
                        ..e.list
                    },
                )
            }
        }
    }
}

/// What `events` takes besides a listing's arguments: one thing to look up (CloudTrail takes
/// one a call), and how far back. Each is checked before any call.
#[derive(Debug, Clone, clap::Args)]
#[command(group(clap::ArgGroup::new("lookup").multiple(false).args(["resource", "access_key", "user", "event"])))]
pub struct EventArgs {
    #[command(flatten)]
    pub list: ListArgs,
    /// Events naming this resource: an instance, volume or security group id, a user's or
    /// role's name, an ARN (IAM's events are in us-east-1: --region us-east-1)
    #[arg(long, value_name = "ID", value_parser = Subject::resource)]
    pub resource: Option<Subject>,
    /// Events of this access key id (AKIA… or ASIA…): what a leaked key did
    #[arg(long, value_name = "KEY", value_parser = Subject::access_key)]
    pub access_key: Option<Subject>,
    /// Events of this user or role session name
    #[arg(long, value_name = "NAME", value_parser = Subject::user)]
    pub user: Option<Subject>,
    /// Events of this API call (e.g. StopLogging, ConsoleLogin, RunInstances)
    #[arg(long, value_name = "NAME", value_parser = Subject::event)]
    pub event: Option<Subject>,
    /// How far back to look, e.g. 12h, 7d, 30d (default 7d; CloudTrail keeps 90d)
    #[arg(long, value_name = "DURATION", value_parser = parse_since)]
    pub since: Option<std::time::Duration>,
}

/// `--status`: a workflow status, in any case (`resolved` is RESOLVED).
pub fn parse_workflow_status(s: &str) -> Result<String, String> {
    let up = s.to_ascii_uppercase();
    if crate::resources::STATUSES.contains(&up.as_str()) {
        Ok(up)
    } else {
        Err(format!(
            "{s:?} is not a workflow status: NEW, NOTIFIED, RESOLVED or SUPPRESSED"
        ))
    }
}

/// `--since`: a humantime span ("12h", "30d"), more than nothing and no more than the 90 days
/// CloudTrail keeps.
pub fn parse_since(s: &str) -> Result<std::time::Duration, String> {
    let d = humantime::parse_duration(s)
        .map_err(|e| format!("\"{s}\" is not a duration ({e}); use e.g. 12h, 7d, 30d"))?;
    if d.is_zero() {
        return Err("a window of nothing finds nothing: use e.g. 12h, 7d".into());
    }
    if d > crate::resources::EVENTS_KEPT {
        return Err(format!(
            "{s} is more than CloudTrail keeps: its event history holds 90 days (90d at most)"
        ));
    }
    Ok(d)
}

/// What `instances`, `volumes` and the other listings take.
#[derive(Debug, Clone, clap::Args)]
pub struct ListArgs {
    /// Role name from the config, or a full role ARN (or --all)
    #[arg(required_unless_present = "all")]
    #[arg(add = ArgValueCandidates::new(role_candidates))]
    pub role: Option<String>,
    /// Every known account at once (one role per account, defaults.concurrency accounts in
    /// flight); rows carry the account id and role
    #[arg(long, conflicts_with = "role")]
    pub all: bool,
    /// Print JSON instead of a table
    #[arg(long)]
    pub json: bool,
    /// Print CSV instead of a table: a header of the JSON field names, a row per resource,
    /// lists joined with ';', tags as key=value;key=value
    #[arg(long, conflicts_with = "json")]
    pub csv: bool,
    /// Current code of the MFA device named by the role's mfa_serial (with --all: one code for
    /// every MFA role, through the primary IAM user's MFA session)
    #[arg(long, value_name = "CODE", value_parser = TokenCode::parse)]
    pub token_code: Option<TokenCode>,
    /// What a query kind looks up (`events --access-key …`); set by `List::into_parts`.
    #[arg(skip)]
    pub subject: Option<Subject>,
    /// How far back a query kind looks (`events --since`); its default when `None`.
    #[arg(skip)]
    pub since: Option<std::time::Duration>,
}

/// Where in the console a link lands; the region is the global --region (else the role's first).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ConsoleTarget {
    /// Console service page, e.g. ec2, cloudtrail, s3 (default: the console home; the
    /// resource's own with --instance/--volume/--security-group)
    #[arg(long, value_name = "SERVICE")]
    pub service: Option<String>,
    /// Land on this instance's details page
    #[arg(long, value_name = "ID", conflicts_with_all = ["volume", "security_group"])]
    pub instance: Option<String>,
    /// Land on this volume's details page
    #[arg(long, value_name = "ID", conflicts_with = "security_group")]
    pub volume: Option<String>,
    /// Land on this security group's page
    #[arg(long, value_name = "ID")]
    pub security_group: Option<String>,
}

impl ConsoleTarget {
    /// The resource to land on: its kind, the option that named it, and its id.
    pub fn resource(&self) -> Option<(Kind, &'static str, &str)> {
        [
            (Kind::Instances, "--instance", &self.instance),
            (Kind::Volumes, "--volume", &self.volume),
            (
                Kind::SecurityGroups,
                "--security-group",
                &self.security_group,
            ),
        ]
        .into_iter()
        .find_map(|(kind, flag, id)| Some((kind, flag, id.as_deref()?)))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AssumeFormat {
    /// `export AWS_ACCESS_KEY_ID=…` lines, for `eval "$(rolecall assume ROLE)"`
    Env,
    /// The JSON that `credential_process` in ~/.aws/config expects
    CredentialProcess,
}

/// Parses a session duration: plain seconds or a humantime span ("1h", "90m"), 900s..=12h.
pub fn parse_duration(s: &str) -> Result<u32, String> {
    let secs = match s.parse::<u64>() {
        Ok(n) => n,
        Err(_) => humantime::parse_duration(s)
            .map_err(|e| format!("\"{s}\" is not a duration ({e}); use seconds or e.g. 1h, 90m"))?
            .as_secs(),
    };
    let (min, max) = (
        u64::from(crate::config::MIN_DURATION),
        u64::from(crate::config::MAX_DURATION),
    );
    if (min..=max).contains(&secs) {
        Ok(secs as u32)
    } else {
        Err(format!(
            "{secs} seconds is outside what AWS grants: 900 (15m) to 43200 (12h), and no more than the role's maximum session duration"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("3600"), Ok(3600));
        assert_eq!(parse_duration("1h"), Ok(3600));
        assert_eq!(parse_duration("90m"), Ok(5400));
        assert!(parse_duration("60").unwrap_err().contains("900"));
        assert!(parse_duration("13h").is_err());
        assert!(parse_duration("soon")
            .unwrap_err()
            .contains("not a duration"));
    }

    #[test]
    fn since_is_at_most_what_cloudtrail_keeps() {
        assert_eq!(
            parse_since("7d"),
            Ok(std::time::Duration::from_secs(7 * 86_400))
        );
        assert_eq!(
            parse_since("90d"),
            Ok(std::time::Duration::from_secs(90 * 86_400))
        );
        assert!(parse_since("91d").unwrap_err().contains("90 days"));
        assert!(parse_since("0s").is_err());
        assert!(parse_since("a week")
            .unwrap_err()
            .contains("not a duration"));
    }

    #[test]
    fn events_take_one_lookup_checked_before_any_call() {
        let parse = |args: &[&str]| Cli::try_parse_from(["rolecall", "events"].iter().chain(args));
        let cli = parse(&[
            "prod",
            "--access-key",
            "AKIAIOSFODNN7EXAMPLE",
            "--since",
            "30d",
        ])
        .unwrap();
        let Some(Command::List(list)) = cli.command else {
            panic!("a listing")
        };
        let (kind, args) = list.into_parts();
        assert_eq!(kind, Kind::Events);
        assert_eq!(
            args.subject,
            Some(Subject::AccessKey("AKIAIOSFODNN7EXAMPLE".into()))
        );
        assert_eq!(
            args.since,
            Some(std::time::Duration::from_secs(30 * 86_400))
        );
        let e = parse(&["prod", "--access-key", "akia123"])
            .unwrap_err()
            .to_string();
        assert!(e.contains("--access-key"), "{e}");
        let e = parse(&["prod", "--user", "a", "--event", "RunInstances"])
            .unwrap_err()
            .to_string();
        assert!(e.contains("cannot be used with"), "{e}");
        let e = parse(&["prod", "--since", "100d"]).unwrap_err().to_string();
        assert!(e.contains("--since") && e.contains("90 days"), "{e}");
        assert!(parse(&["--all", "--access-key", "ASIA0123456789ABCDEF"]).is_ok());
    }
}

/// The shells `rolecall completions` writes for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CompletionShell {
    Bash,
    Zsh,
    Fish,
    Powershell,
    Elvish,
}
