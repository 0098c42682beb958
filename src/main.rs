use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;

use clap::Parser;
use tracing_subscriber::EnvFilter;

use rolecall::aws::AwsError;
use rolecall::cli::Cli;

fn main() -> ExitCode {
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
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(rolecall::commands::run(cli)) {
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

/// Logs go to stderr (CLI) or `file` (TUI), filtered by `ROLECALL_LOG` (e.g. `debug`,
/// `rolecall=trace`). By default only rolecall's own warnings and everyone's errors: the SDK's
/// warnings about each credential source it tried repeat what rolecall's own error says.
///
/// The SDK's HTTP layers are capped below debug whatever `ROLECALL_LOG` says: at debug and trace
/// they log request headers and response bodies, which hold credentials; so is the browser
/// opener, which logs the sign-in link it opens.
fn init_logging(file: Option<&Path>) -> std::io::Result<()> {
    let mut filter = EnvFilter::try_from_env("ROLECALL_LOG")
        .unwrap_or_else(|_| EnvFilter::new("error,rolecall=warn"));
    for target in [
        "aws_smithy_runtime",
        "aws_smithy_runtime_api",
        "aws_smithy_http_client",
        "aws_smithy_http",
        "aws_sigv4",
        "aws_runtime",
        "hyper",
        "hyper_util",
        "h2",
        "rustls",
        // Logs the command line it starts, sign-in links included.
        "webbrowser",
    ] {
        if let Ok(d) = format!("{target}=info").parse() {
            filter = filter.add_directive(d);
        }
    }
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    match file {
        Some(path) => {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            let f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)?;
            builder.with_writer(Mutex::new(f)).with_ansi(false).init();
        }
        None => builder
            .with_writer(std::io::stderr)
            .with_ansi(std::io::stderr().is_terminal())
            .init(),
    }
    Ok(())
}
