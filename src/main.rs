use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;

use rolecall::aws::AwsError;
use rolecall::cli::Cli;

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
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

/// Logs go to stderr, filtered by `ROLECALL_LOG` (e.g. `debug`, `rolecall=trace`). By default only
/// rolecall's own warnings and everyone's errors: the SDK's warnings about each credential source
/// it tried repeat what rolecall's own error message says.
fn init_logging() {
    let filter = EnvFilter::try_from_env("ROLECALL_LOG")
        .unwrap_or_else(|_| EnvFilter::new("error,rolecall=warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}
