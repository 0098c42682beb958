//! The command line: clap's definitions (`args`), a file for each group of subcommands, and the
//! printers (`print`). Without a subcommand, the TUI opens.

/// `println!` that does not panic when the reader has gone (`rolecall instances | head -1`):
/// the command goes on (an action is never cut short by a closed pipe), only its output is lost.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

/// `print!`, as [`outln`].
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout().lock(), $($arg)*);
    }};
}

mod act;
mod args;
mod assume;
mod case;
mod console;
mod doctor;
mod findings;
mod init;
mod listing;
mod login;
pub mod print;
mod roles;
mod sessions;
pub mod shell;
mod whois;

use std::process::ExitCode;
use std::time::Duration;

pub use args::{
    parse_duration, ActArgs, AssumeFormat, CaseCommand, Cli, Command, ConsoleTarget, ListArgs,
};

use crate::actions::Action;
use crate::aws::arn::validate_region;
use crate::aws::{Aws, AwsOptions};
use crate::case::{Cases, Journal};
use crate::config::{self, Config};

/// What every subcommand works from: the config, the AWS options, the global flags.
pub struct Ctx {
    pub config: Config,
    pub opts: AwsOptions,
    /// `--region`, in order (empty: each role's own).
    pub regions: Vec<String>,
    pub profile: Option<String>,
    /// `--case` / `ROLECALL_CASE`.
    pub case: Option<String>,
    /// `--read-only`.
    pub read_only: bool,
    /// Where this run's actions are recorded (nowhere without a case).
    pub journal: Journal,
    /// The one AWS setup of the run: the sessions roles are reached through (an MFA session,
    /// a `via` role's) are made once for every command step.
    aws: crate::aws::LazyAws,
}

impl Ctx {
    /// The primary identity's AWS setup (no network call yet).
    pub async fn aws(&self) -> Aws {
        self.aws.get().await
    }

    /// The role a ROLE argument means, among the roles known without AWS. An Identity Center
    /// role is known by name only from its portal's list: when `[[sso]]` portals are configured
    /// and the name (or the `via` role it is reached through) is not among those known, the
    /// portals are read (and their lists kept) and the name looked for again; what kept a portal
    /// from being read (no token: `rolecall login`) is said with the error.
    pub async fn resolve_role(&self, arg: &str) -> anyhow::Result<crate::roles::Role> {
        use crate::aws::source::Source;
        use crate::roles::ResolveError;
        let scope = self.opts.scope();
        let first = crate::roles::resolve_with_profiles(&self.config, &scope, arg);
        let unknown = match &first {
            Err(ResolveError::Unknown { .. }) => true,
            Ok(role) => matches!(role.reach, Source::Unresolved(_)),
            Err(ResolveError::BadArn { .. }) => false,
        };
        if !unknown || self.config.sso.is_empty() {
            return Ok(first?);
        }
        let read = crate::sso::read(&self.aws().await, &self.config, &scope, true).await;
        let roles = crate::roles::known_with(&self.config, &scope, false, read.roles);
        let again = crate::roles::resolve_in(&self.config, &roles, arg);
        if read.warnings.is_empty() {
            return Ok(again?);
        }
        let warnings = read.warnings.join("\n");
        match again {
            Ok(role) if !matches!(role.reach, Source::Unresolved(_)) => Ok(role),
            Ok(role) => anyhow::bail!(
                "{}: reached from {}\n{warnings}",
                role.arn,
                role.reach.describe()
            ),
            Err(e) => anyhow::bail!("{e}\n{warnings}"),
        }
    }

    /// How the CLI reads `[[organization]]`s: the cache while it is fresh, the case log for
    /// a `via` role's AssumeRole.
    pub fn orgs<'a>(
        &'a self,
        aws: &'a Aws,
        primary: &'a crate::aws::identity::Identity,
    ) -> crate::organization::Reader<'a> {
        crate::organization::Reader {
            aws,
            identity: primary,
            scope: self.opts.scope(),
            freshness: crate::organization::Freshness::CacheIfFresh,
            journal: &self.journal,
            live: None,
        }
    }

    /// `--region` when given, else the role's regions.
    pub fn regions_for(&self, role: &crate::roles::Role) -> Vec<String> {
        if self.regions.is_empty() {
            role.regions(&self.config.defaults)
        } else {
            self.regions.clone()
        }
    }

    /// The first `--region`, else the role's first region; none when that is "all" (an
    /// action acts in one region, named).
    pub fn region_for(&self, role: &crate::roles::Role) -> Option<String> {
        self.regions_for(role)
            .into_iter()
            .next()
            .filter(|r| r != config::ALL_REGIONS)
    }
}

impl Ctx {
    /// Records what was just done in the case's log, before it is reported (nothing without a
    /// case); when the log cannot be written, says so and what was done.
    pub async fn record(&self, aws: &Aws, record: crate::case::Record) -> anyhow::Result<()> {
        let action = record.action.clone();
        self.journal.record(aws, record).await.map_err(|e| {
            anyhow::anyhow!(
                "{action} was done but could not be recorded, so it is not reported: {e}"
            )
        })?;
        Ok(())
    }
}

/// The AWS options the config and flags ask for.
fn aws_options(config: &Config, profile: Option<String>, region: Option<String>) -> AwsOptions {
    let d = &config.defaults;
    AwsOptions {
        profile,
        region,
        timeout: Some(Duration::from_secs(d.timeout_seconds.into())),
        connect_timeout: Some(Duration::from_secs(d.connect_timeout_seconds.into())),
        max_attempts: Some(d.max_attempts),
        // With Identity Center configured, rolecall works without primary credentials.
        sso_only: !config.sso.is_empty() || !crate::aws::profiles::sso_profiles().0.is_empty(),
        session_cache: config.sessions.cache,
        ..AwsOptions::default()
    }
}

/// The commands that need neither config nor AWS.
fn offline(command: &Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Completions { shell } => shell::completions(*shell)?,
        Command::Man => shell::man()?,
        _ => anyhow::bail!("this command needs the config and AWS"),
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs one subcommand (or the TUI); the result's error is printed by `main`.
pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    // These read no config: a broken one must not keep the shell from completing.
    if let Some(c @ (Command::Completions { .. } | Command::Man)) = &cli.command {
        return offline(c);
    }
    let config_path = config::locate(cli.config.as_deref()).map(|(p, _)| p);
    let mut config = config::load(cli.config.as_deref())?;
    // --read-only refuses every action, in the TUI as in the CLI.
    config.defaults.read_only |= cli.read_only;
    for r in &cli.regions {
        if r == config::ALL_REGIONS {
            if cli.regions.len() > 1 {
                anyhow::bail!(
                    "--region all means every region each account has enabled, so it stands alone"
                );
            }
            continue;
        }
        validate_region(r).map_err(|e| anyhow::anyhow!("--region: {e}"))?;
    }
    if let Some(p) = &cli.profile {
        if !matches!(cli.command, Some(Command::Link { .. })) {
            crate::aws::check_profile(p).map_err(|e| anyhow::anyhow!("--profile: {e}"))?;
        }
    }
    // The primary setup's region: the first --region named (not "all", which is no region).
    let first = cli
        .regions
        .first()
        .filter(|r| *r != config::ALL_REGIONS)
        .cloned();
    let opts = aws_options(&config, cli.profile.clone(), first);
    // AWS_CA_BUNDLE (or the profile's ca_bundle), read now: one that cannot be used is said
    // before any call, not as every call failing for a certificate.
    crate::aws::ca_bundle::init(opts.profile.as_deref()).map_err(|e| anyhow::anyhow!(e))?;
    let Some(command) = cli.command else {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let theme = crate::ui::Theme::new(no_color);
        let journal = Journal::new(Cases::locate(&config)?.pick(cli.case.as_deref())?);
        return Ok(
            match crate::app::runtime::run(config, opts, theme, journal).await? {
                crate::app::runtime::Exit::Quit => ExitCode::SUCCESS,
                crate::app::runtime::Exit::Signal(n) => ExitCode::from(128 + n as u8),
            },
        );
    };
    // The case this run records in: named, else the current one. `case` manages cases itself.
    let journal = match &command {
        Command::Case { .. } => Journal::default(),
        _ => Journal::new(Cases::locate(&config)?.pick(cli.case.as_deref())?),
    };
    let ctx = Ctx {
        config,
        aws: crate::aws::LazyAws::new(opts.clone()),
        opts,
        regions: cli.regions,
        profile: cli.profile,
        case: cli.case,
        read_only: cli.read_only,
        journal,
    };
    match command {
        c @ (Command::Completions { .. } | Command::Man) => offline(&c),
        Command::Case { command } => case::run(&ctx, command).await,
        Command::Init { write } => init::init(&ctx, write, config_path.as_deref()).await,
        Command::Roles { json } => roles::roles(&ctx, json).await,
        Command::Login { sso, no_browser } => login::login(&ctx, sso.as_deref(), no_browser).await,
        Command::Sessions { clear, json } => sessions::sessions(&ctx, clear, json),
        Command::Policy {
            actions: true,
            json,
            ..
        } => Ok(roles::action_policy(json)),
        Command::Policy { role, json, .. } => roles::policy(&ctx, role.as_deref(), json).await,
        Command::Doctor {
            role,
            token_code,
            json,
        } => doctor::doctor(&ctx, role.as_deref(), token_code, json).await,
        Command::Assume {
            role,
            format,
            duration,
            token_code,
        } => assume::assume(&ctx, &role, format, duration, token_code).await,
        Command::Exec {
            role,
            duration,
            token_code,
            command,
        } => assume::exec(&ctx, &role, duration, token_code, &command).await,
        Command::List(list) => {
            let (kind, args) = list.into_parts();
            listing::list(&ctx, kind, args).await
        }
        Command::Whois {
            key,
            json,
            token_code,
        } => whois::whois(&ctx, &key, json, token_code).await,
        Command::Findings {
            list,
            severity,
            status,
            since,
        } => findings::findings(&ctx, list, severity, status, since).await,
        Command::Link { role, json, target } => console::link(&ctx, &role, json, &target).await,
        Command::Snapshot {
            role,
            instance,
            volume,
            share_with,
            ask,
        } => {
            let action = Action::Snapshot {
                instance,
                volume,
                share_with,
            };
            act::act(&ctx, &role, action, ask.into()).await
        }
        Command::Isolate { role, what, ask } => {
            let action = what.action(false)?;
            act::act(&ctx, &role, action, ask.into()).await
        }
        Command::Release { role, what, ask } => {
            let action = what.action(true)?;
            act::act(&ctx, &role, action, ask.into()).await
        }
        Command::Capture {
            role,
            instance,
            wake,
            ask,
        } => act::act(&ctx, &role, Action::Capture { instance, wake }, ask.into()).await,
        Command::FindingStatus {
            role,
            finding,
            status,
            note,
            undo,
            ask,
        } => {
            let action = match (status, undo) {
                (_, true) => Action::FindingRestore { finding },
                (Some(status), false) => Action::FindingStatus {
                    finding,
                    status,
                    note,
                },
                (None, false) => {
                    anyhow::bail!("say what to do: --status S [--note TEXT], or --undo")
                }
            };
            act::act(&ctx, &role, action, ask.into()).await
        }
        Command::Console {
            role,
            print,
            target,
            duration,
            token_code,
        } => console::console(&ctx, &role, print, &target, duration, token_code).await,
    }
}
