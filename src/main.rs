/// mimalloc rather than the system's: a fan-out's CPU went a quarter to glibc's malloc and free
/// (perf, 1 000 accounts), as the SDK allocates per call; see the README's scale benchmark.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;

use clap::Parser;
use tracing_subscriber::EnvFilter;

use rolecall::aws::AwsError;
use rolecall::cli::Cli;

/// The stack of every thread that makes AWS calls. The Security Hub SDK reads a finding's
/// resource details (hundreds of optional shapes) in one function whose frame is megabytes in a
/// debug build (6 MiB measured): more than a thread's default 2 MiB, or the main thread's 8.
/// Address space only: what is not used is never committed.
const STACK: usize = 64 << 20;

fn main() -> ExitCode {
    // A shell asking for completions (COMPLETE=bash rolecall -- …) is answered here, before
    // anything else runs.
    rolecall::cli::shell::answer_completion_request();
    let cli = Cli::parse();
    let log_file = if cli.command.is_none() {
        // The TUI owns the screen: logs go to a file.
        match log_path() {
            Some(path) => Some(path),
            None => {
                eprintln!("error: no home directory to keep rolecall's log in; set HOME");
                return ExitCode::FAILURE;
            }
        }
    } else {
        None
    };
    if let Err(e) = init_logging(log_file.as_deref()) {
        eprintln!("error: cannot open the log file: {e}");
        return ExitCode::FAILURE;
    }
    // A fan-out holds a connection per call in flight; 1 024 open files is not enough for it.
    match rolecall::inventory::raise_open_file_limit() {
        Ok(n) => tracing::debug!(open_files = n, "open file limit"),
        Err(e) => tracing::debug!("open file limit not raised: {e}"),
    }
    // A command runs on one thread: its work is waiting on AWS, and a fan-out's thousands of
    // calls cost a fifth less CPU without tasks and memory passing between threads (perf, 1 000
    // accounts: futex wake-ups, the allocator's cross-thread frees), in the same wall time. A
    // sweep of every account (`--all`) runs on a thread per core: at 1 000 accounts x 17
    // regions the SDK's work per call (signing, XML) outgrows one core, and the sweep is CPU-bound
    // (README, Benchmarks). The TUI keeps a thread per core: drawing and keys go on while
    // answers are read. ROLECALL_WORKERS=N runs a command on N threads instead (1: one thread;
    // the TUI takes N of 2 or more), which the benchmark compares.
    let workers = match std::env::var("ROLECALL_WORKERS") {
        Err(_) => None,
        Ok(v) => match v.trim().parse::<usize>() {
            Ok(n) if (1..=1024).contains(&n) => Some(n),
            _ => {
                eprintln!("error: ROLECALL_WORKERS={v:?}: give a number of threads from 1 to 1024, or unset it");
                return ExitCode::FAILURE;
            }
        },
    };
    let one_thread = match (workers, &cli.command) {
        (_, None) => false,
        (Some(n), Some(_)) => n == 1,
        (None, Some(command)) => !command.sweeps_every_account(),
    };
    let mut builder = if one_thread {
        tokio::runtime::Builder::new_current_thread()
    } else {
        let mut b = tokio::runtime::Builder::new_multi_thread();
        if let Some(n) = workers.filter(|n| *n >= 2) {
            b.worker_threads(n);
        }
        b
    };
    let runtime = match builder.enable_all().thread_stack_size(STACK).build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    // The command (or the TUI's loop) runs on a thread with the stack its AWS calls need.
    let ran = std::thread::Builder::new()
        .name("rolecall".into())
        .stack_size(STACK)
        .spawn(move || runtime.block_on(rolecall::cli::run(cli)))
        .map_err(|e| anyhow::anyhow!("cannot start rolecall's thread: {e}"))
        .and_then(|t| {
            t.join()
                .unwrap_or_else(|_| Err(anyhow::anyhow!("rolecall's thread panicked")))
        });
    match ran {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            if let Some(hint) = e.downcast_ref::<AwsError>().and_then(|a| a.hint.as_ref()) {
                eprintln!("hint: {hint}");
            }
            ExitCode::FAILURE
        }
    }
}

/// `rolecall.log` in the platform's local data dir (e.g. ~/.local/share/rolecall/).
fn log_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "rolecall")
        .map(|d| d.data_local_dir().join("rolecall.log"))
}

/// Opens the TUI's log for appending, readable by its owner only (the folder too): it names
/// roles, accounts and errors, which are nobody else's business.
fn private_log(path: &Path) -> std::io::Result<std::fs::File> {
    if let Some(parent) = path.parent() {
        rolecall::files::create_private_dir(parent)?;
    }
    let mut file = std::fs::OpenOptions::new();
    file.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        file.mode(0o600);
        let f = file.open(path)?;
        // A log made before (or by another umask) is narrowed too.
        f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        Ok(f)
    }
    #[cfg(not(unix))]
    {
        file.open(path)
    }
}

/// Crates whose logs below `info` hold secrets, capped at `info` whatever `ROLECALL_LOG` says:
/// every `aws_*` crate (the SDK, smithy, SigV4: at debug and trace they log request headers and
/// bodies — AssumeRole's `TokenCode` and `ExternalId`, signatures — and response bodies, which
/// hold credentials), the HTTP and TLS layers under them, the browser opener (it logs the
/// command line it starts, sign-in links included) and reqwest (its debug logs name the URLs it
/// fetches; a sign-in request carries credentials).
const CAPPED: &[&str] = &[
    "hyper",
    "hyper_util",
    "h2",
    "http",
    "http_body",
    "tower",
    "rustls",
    "webbrowser",
    "reqwest",
];

/// Whether a log target is one of [`CAPPED`]'s, or a module of one (`aws_smithy_runtime::client::
/// orchestrator`): the cap goes by the crate, so no more specific filter gets under it.
fn capped(target: &str) -> bool {
    let krate = target.split("::").next().unwrap_or(target);
    krate.starts_with("aws_") || krate.starts_with("aws-") || CAPPED.contains(&krate)
}

/// Logs go to stderr (CLI) or `file` (TUI), filtered by `ROLECALL_LOG` (e.g. `debug`,
/// `rolecall=trace`). By default only rolecall's own warnings and everyone's errors: the SDK's
/// warnings about each credential source it tried repeat what rolecall's own error says.
///
/// [`CAPPED`] crates log nothing below `info`, whatever `ROLECALL_LOG` says: the cap is a filter
/// of its own in front of `ROLECALL_LOG`'s, not a directive in it, since a directive for a more
/// specific target (`aws_smithy_runtime::client::orchestrator=trace`) would win over one for the
/// crate.
fn init_logging(file: Option<&Path>) -> std::io::Result<()> {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let filter = EnvFilter::try_from_env("ROLECALL_LOG")
        .unwrap_or_else(|_| EnvFilter::new("error,rolecall=warn"));
    let cap = tracing_subscriber::filter::filter_fn(|m| {
        *m.level() <= tracing::Level::INFO || !capped(m.target())
    });
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    match file {
        Some(path) => {
            let f = private_log(path)?;
            builder
                .with_writer(Mutex::new(f))
                .with_ansi(false)
                .finish()
                .with(cap)
                .init();
        }
        None => builder
            .with_writer(std::io::stderr)
            .with_ansi(std::io::stderr().is_terminal())
            .finish()
            .with(cap)
            .init(),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::capped;

    #[test]
    fn every_module_of_a_capped_crate_is_capped() {
        for t in [
            "aws_smithy_runtime",
            "aws_smithy_runtime::client::orchestrator",
            "aws_smithy_http_client::hyper_legacy",
            "aws_sdk_sts::operation::assume_role",
            "aws_sigv4::http_request::sign",
            "aws_config::profile",
            "hyper_util::client::legacy::pool",
            "reqwest::connect",
            "webbrowser",
        ] {
            assert!(capped(t), "{t}");
        }
        for t in [
            "rolecall",
            "rolecall::aws::assume",
            "tokio::runtime",
            "hyperion",
        ] {
            assert!(!capped(t), "{t}");
        }
    }
}
