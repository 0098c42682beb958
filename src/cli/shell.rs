//! Fitting the shell: completion scripts and the man page.
//!
//! Completion is clap_complete's dynamic kind: the script `rolecall completions SHELL` prints
//! holds no command grammar; at each TAB the shell runs rolecall again with `COMPLETE=SHELL`, and
//! rolecall answers with the candidates before it parses anything. ROLE arguments so complete
//! to the role names and ARNs known today (the config's, `~/.aws/config`'s role profiles and the
//! organizations' cached lists),
//! read from local files only: no AWS call is made on a TAB.

use std::io::Write;

use clap::CommandFactory;
use clap_complete::engine::CompletionCandidate;
use clap_complete::env::{Bash, Elvish, EnvCompleter, Fish, Powershell, Zsh};

use super::args::{Cli, CompletionShell};

/// The environment variable the shell sets to ask rolecall for candidates (clap_complete's).
pub const COMPLETE_VAR: &str = "COMPLETE";

/// Answers a shell asking for candidates (`COMPLETE=bash rolecall -- …`) and exits; returns
/// when rolecall was not run for completion.
pub fn answer_completion_request() {
    clap_complete::CompleteEnv::with_factory(Cli::command)
        .var(COMPLETE_VAR)
        .complete();
}

/// `rolecall completions SHELL`: the script that registers rolecall's completion in `shell`.
pub fn completions(shell: CompletionShell) -> anyhow::Result<()> {
    let completer: &dyn EnvCompleter = match shell {
        CompletionShell::Bash => &Bash,
        CompletionShell::Zsh => &Zsh,
        CompletionShell::Fish => &Fish,
        CompletionShell::Powershell => &Powershell,
        CompletionShell::Elvish => &Elvish,
    };
    // The script calls this very binary back: the one the user ran, wherever it is installed.
    let me = std::env::current_exe()
        .ok()
        .and_then(|p| p.to_str().map(str::to_string))
        .unwrap_or_else(|| "rolecall".to_string());
    let mut script = Vec::new();
    completer.write_registration(COMPLETE_VAR, "rolecall", "rolecall", &me, &mut script)?;
    write_stdout(&script)
}

/// `rolecall man`: the man page, in roff.
pub fn man() -> anyhow::Result<()> {
    let mut page = Vec::new();
    clap_mangen::Man::new(Cli::command()).render(&mut page)?;
    write_stdout(&page)
}

fn write_stdout(bytes: &[u8]) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        // `rolecall man | head` closes the pipe early: not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        r => Ok(r?),
    }
}

/// What a ROLE argument may be: every known role's name, and its ARN, each with the account it
/// opens as help. A config that does not load gives no candidates (the TAB must not print
/// errors into the command line); the error shows when the command runs.
pub fn role_candidates() -> Vec<CompletionCandidate> {
    let explicit = std::env::var_os("ROLECALL_CONFIG").map(std::path::PathBuf::from);
    let Ok(config) = crate::config::load(explicit.as_deref()) else {
        return Vec::new();
    };
    let scope = crate::aws::AwsOptions::default().scope();
    let roles = crate::roles::known_locally(&config, &scope, false);
    let mut out = Vec::new();
    for role in &roles {
        let account = role.arn.account_id();
        let name = config.account(account).and_then(|a| a.name.as_deref());
        let label = match name.or(role.account_name.as_deref()) {
            Some(name) => format!("{name} ({account})"),
            None => account.to_string(),
        };
        if let Some(name) = &role.name {
            out.push(
                CompletionCandidate::new(name.as_str())
                    .help(Some(format!("{label}: {}", role.arn).into())),
            );
        }
        out.push(CompletionCandidate::new(role.arn.to_string()).help(Some(label.into())));
    }
    out
}
