//! The CLI subcommands: glue between config, the AWS layer and the printers.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context};

use crate::aws::arn::validate_region;
use crate::aws::assume::{assume_role, chained_cap, Session, CHAINED_MAX_SECONDS};
use crate::aws::credentials::TokenCode;
use crate::aws::ec2::{list_instances, list_volumes, Ec2Target, Listing};
use crate::aws::identity::caller_identity;
use crate::aws::{console, load_config, AwsOptions};
use crate::cli::{AssumeFormat, Cli, Command};
use crate::config::{self, Config};
use crate::output;
use crate::roles::{self, Role};

/// Runs one subcommand; the result's error is printed by `main`.
pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let config = config::load(cli.config.as_deref())?;
    for r in &cli.regions {
        validate_region(r).map_err(|e| anyhow::anyhow!("--region: {e}"))?;
    }
    if let Some(p) = &cli.profile {
        if !matches!(cli.command, Some(Command::Link { .. })) {
            crate::aws::check_profile(p)
                .await
                .map_err(|e| anyhow::anyhow!("--profile: {e}"))?;
        }
    }
    let opts = AwsOptions {
        profile: cli.profile.clone(),
        region: cli.regions.first().cloned(),
        timeout: Some(Duration::from_secs(config.defaults.timeout_seconds.into())),
        connect_timeout: Some(Duration::from_secs(
            config.defaults.connect_timeout_seconds.into(),
        )),
        max_attempts: Some(config.defaults.max_attempts),
        ..AwsOptions::default()
    };

    let Some(command) = cli.command else {
        let theme =
            crate::ui::Theme::new(std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()));
        return Ok(match crate::app::runtime::run(config, opts, theme).await? {
            crate::app::runtime::Exit::Quit => ExitCode::SUCCESS,
            crate::app::runtime::Exit::Signal(n) => ExitCode::from(128 + n as u8),
        });
    };
    match command {
        Command::Link { role, json, target } => {
            let role = roles::resolve_with_profiles(&config, &role).await?;
            let destination = destination(&config, &role, &cli.regions, &target, false)?;
            let account = config.account(role.arn.account_id());
            let display = role.display_name(account.and_then(|a| a.name.as_deref()));
            let color = account.and_then(|a| a.color.as_deref());
            let url = console::switch_role_url(&role.arn, &display, color, destination.as_ref());
            if json {
                println!(
                    "{}",
                    output::to_json(&serde_json::json!({"role_arn": role.arn, "url": url}))
                );
            } else {
                println!("{url}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Console {
            role,
            print,
            target,
            duration,
            token_code,
        } => {
            let role = roles::resolve_with_profiles(&config, &role).await?;
            let destination =
                destination(&config, &role, &cli.regions, &target, true)?.unwrap_or_default();
            let sdk = load_config(&opts).await;
            let session = assume(&sdk, &config, &role, duration, token_code).await?;
            let timeout = Duration::from_secs(config.defaults.timeout_seconds.into());
            let endpoint = config.console.federation_endpoint.as_ref();
            let signed = console::sign_in(
                &role.arn,
                &session.credentials,
                endpoint,
                &destination,
                timeout,
                !print,
            )
            .await?;
            let expires = output::rfc3339(&session.expiration);
            match signed {
                console::SignIn::Link(link) => {
                    eprintln!(
                        "rolecall: this link signs anyone who opens it in as {} until {expires}; do not share it",
                        role.arn
                    );
                    println!("{}", link.expose());
                }
                console::SignIn::Opened => eprintln!(
                    "rolecall: opened the console as {} (session until {expires})",
                    role.arn
                ),
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Policy { role, json } => {
            let sdk = load_config(&opts).await;
            crate::doctor::policy(&config, &sdk, role.as_deref(), json).await
        }
        Command::Doctor {
            role,
            token_code,
            json,
        } => {
            let sdk = load_config(&opts).await;
            crate::doctor::doctor(
                &config,
                &sdk,
                cli.profile.as_deref(),
                role.as_deref(),
                token_code,
                json,
            )
            .await
        }
        Command::Roles { json } => {
            let sdk = load_config(&opts).await;
            let primary = caller_identity(&sdk).await?;
            let known = roles::discover(&config, &sdk, &primary).await;
            let warnings = known.warnings;
            let groups = roles::group(&config, known.roles);
            if json {
                println!(
                    "{}",
                    output::roles_json(&primary, &groups, &config.defaults, &warnings)
                );
            } else {
                print!(
                    "{}",
                    output::roles_table(&primary, &groups, &config.defaults, &warnings)
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Assume {
            role,
            format,
            duration,
            token_code,
        } => {
            let role = roles::resolve_with_profiles(&config, &role).await?;
            let sdk = load_config(&opts).await;
            let session = assume(&sdk, &config, &role, duration, token_code).await?;
            eprintln!(
                "rolecall: assumed {} ({}); expires {}",
                role.arn,
                session.assumed_role_arn,
                output::rfc3339(&session.expiration)
            );
            match format {
                AssumeFormat::Env => print!("{}", output::credentials_env(&session)),
                AssumeFormat::CredentialProcess => {
                    println!("{}", output::credentials_process(&session))
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Exec {
            role,
            duration,
            token_code,
            command,
        } => {
            let role = roles::resolve_with_profiles(&config, &role).await?;
            let sdk = load_config(&opts).await;
            let session = assume(&sdk, &config, &role, duration, token_code).await?;
            let region = cli
                .regions
                .first()
                .cloned()
                .or_else(|| role.regions(&config.defaults).into_iter().next())
                .unwrap_or_else(|| crate::aws::FALLBACK_REGION.to_string());
            exec(&session, &region, &command).await
        }
        Command::Instances {
            role,
            all,
            json,
            token_code,
        } => {
            let now = chrono::Utc::now();
            if all {
                return everywhere(
                    &opts,
                    &config,
                    &cli.regions,
                    json,
                    "instances",
                    |t, r| async move { list_instances(&t, &r).await },
                    |rows| output::account_rows_table(rows, now),
                )
                .await;
            }
            let role = role.unwrap_or_default();
            let (role, target, regions) =
                role_target(&opts, &config, &role, &cli.regions, token_code).await?;
            let listing = list_instances(&target, &regions).await;
            finish_listing(
                &role,
                &config,
                &regions,
                listing,
                json,
                "instances",
                |items| output::resource_table(items, now),
            )
        }
        Command::Volumes {
            role,
            all,
            json,
            token_code,
        } => {
            if all {
                return everywhere(
                    &opts,
                    &config,
                    &cli.regions,
                    json,
                    "volumes",
                    |t, r| async move { list_volumes(&t, &r).await },
                    |rows| output::account_rows_table(rows, chrono::Utc::now()),
                )
                .await;
            }
            let role = role.unwrap_or_default();
            let (role, target, regions) =
                role_target(&opts, &config, &role, &cli.regions, token_code).await?;
            let listing = list_volumes(&target, &regions).await;
            finish_listing(
                &role,
                &config,
                &regions,
                listing,
                json,
                "volumes",
                |items| output::resource_table(items, chrono::Utc::now()),
            )
        }
    }
}

/// `instances --all` / `volumes --all`: every known account, a progress bar on stderr when a
/// person watches it, failures per account and region on stderr. Fails only when every account
/// failed.
#[allow(clippy::too_many_arguments)]
async fn everywhere<T, Fut>(
    opts: &AwsOptions,
    config: &Config,
    regions: &[String],
    json: bool,
    what: &str,
    list: impl Fn(Ec2Target, Vec<String>) -> Fut,
    table: impl Fn(&[crate::resources::AccountRow<T>]) -> String,
) -> anyhow::Result<ExitCode>
where
    T: serde::Serialize + Clone + Send + 'static,
    Fut: std::future::Future<Output = Listing<T>>,
{
    let sdk = load_config(opts).await;
    let primary = caller_identity(&sdk).await?;
    let known = roles::discover(config, &sdk, &primary).await;
    if known.roles.is_empty() {
        bail!("no roles known to list {what} through: add [[role]] tables to the config, or see `rolecall roles`");
    }
    // A bar for a person watching stderr; never when the JSON goes to a pipe.
    let show = std::io::stderr().is_terminal() && (!json || std::io::stdout().is_terminal());
    let bar = if show {
        indicatif::ProgressBar::new(0)
    } else {
        indicatif::ProgressBar::hidden()
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} {bar:30} {pos}/{len} accounts  {elapsed}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let inventory = crate::inventory::fan_out(
        &sdk,
        config,
        &known.roles,
        regions,
        primary.is_assumed_role(),
        config.defaults.concurrency as usize,
        list,
        |done, total| {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        },
    )
    .await;
    bar.finish_and_clear();
    for f in &inventory.failures {
        eprintln!("warning: {}: {}", f.place(), f.error);
        if let Some(h) = &f.error.hint {
            eprintln!("  hint: {h}");
        }
    }
    eprintln!(
        "rolecall: {} {what} in {} of {} accounts",
        inventory.rows.len(),
        inventory.accounts_ok,
        inventory.accounts
    );
    if inventory.accounts_ok == 0 {
        bail!("no account could be listed; see the warnings above");
    }
    if json {
        println!("{}", output::to_json(&inventory.rows));
    } else {
        print!("{}", table(&inventory.rows));
    }
    Ok(ExitCode::SUCCESS)
}

/// Where a console link lands: `--region` (else the role's first region), `--service`,
/// `--instance` / `--volume`. `None` for a bare switch-role link with none of them.
fn destination(
    config: &Config,
    role: &Role,
    cli_regions: &[String],
    target: &crate::cli::ConsoleTarget,
    always: bool,
) -> anyhow::Result<Option<console::Destination>> {
    let resource = match (&target.instance, &target.volume) {
        (Some(id), _) => Some(console::Resource::Instance(id.clone())),
        (None, Some(id)) => Some(console::Resource::Volume(id.clone())),
        (None, None) => None,
    };
    let asked = !cli_regions.is_empty() || target.service.is_some() || resource.is_some();
    if !asked && !always {
        return Ok(None);
    }
    let region = cli_regions
        .first()
        .cloned()
        .or_else(|| role.regions(&config.defaults).into_iter().next());
    let d = console::Destination {
        region,
        service: target.service.clone(),
        resource,
    };
    d.validate().map_err(anyhow::Error::msg)?;
    Ok(Some(d))
}

/// Resolves a role, assumes it, and says where to list: its regions unless `--region` overrides.
async fn role_target(
    opts: &AwsOptions,
    config: &Config,
    arg: &str,
    cli_regions: &[String],
    token_code: Option<TokenCode>,
) -> anyhow::Result<(Role, Ec2Target, Vec<String>)> {
    let role = roles::resolve_with_profiles(config, arg).await?;
    let sdk = load_config(opts).await;
    let session = assume(&sdk, config, &role, None, token_code).await?;
    let regions = if cli_regions.is_empty() {
        role.regions(&config.defaults)
    } else {
        cli_regions.to_vec()
    };
    let target = Ec2Target {
        base: sdk,
        credentials: session.credentials.provider(),
        page_size: config.defaults.page_size,
    };
    Ok((role, target, regions))
}

/// Prints a listing; failed regions go to stderr. Fails only when every region failed.
fn finish_listing<T: serde::Serialize>(
    role: &Role,
    config: &Config,
    regions: &[String],
    listing: Listing<T>,
    json: bool,
    what: &str,
    table: impl Fn(&[T]) -> String,
) -> anyhow::Result<ExitCode> {
    for f in &listing.failures {
        eprintln!("warning: {}", f.error);
        if let Some(h) = &f.error.hint {
            eprintln!("  hint: {h}");
        }
    }
    if !listing.failures.is_empty() && listing.failures.len() == regions.len() {
        let first = &listing.failures[0].error;
        bail!(crate::aws::AwsError {
            target: format!("every region of {}", role.arn),
            ..first.clone()
        });
    }
    if json {
        println!("{}", output::to_json(&listing.items));
    } else if listing.items.is_empty() {
        let account = config
            .account(role.arn.account_id())
            .and_then(|a| a.name.clone())
            .map(|n| format!(" ({n})"))
            .unwrap_or_default();
        let ok: Vec<&str> = regions
            .iter()
            .filter(|r| !listing.failures.iter().any(|f| &f.region == *r))
            .map(String::as_str)
            .collect();
        println!(
            "No {what} in account {}{account} in {}.",
            role.arn.account_id(),
            ok.join(", ")
        );
    } else {
        print!("{}", table(&listing.items));
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs `command` with the session's credentials and `region` in its environment (and no
/// profile, so nothing outranks them), and returns its exit status.
async fn exec(session: &Session, region: &str, command: &[String]) -> anyhow::Result<ExitCode> {
    let Some((program, args)) = command.split_first() else {
        bail!("exec: give the command to run after --");
    };
    let c = &session.credentials;
    let mut cmd = tokio::process::Command::new(program);
    cmd.args(args)
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_DEFAULT_PROFILE")
        .env("AWS_ACCESS_KEY_ID", &c.access_key_id)
        .env("AWS_SECRET_ACCESS_KEY", c.secret_access_key.expose())
        .env("AWS_REGION", region)
        .env("AWS_DEFAULT_REGION", region)
        .env(
            "AWS_CREDENTIAL_EXPIRATION",
            output::rfc3339(&session.expiration),
        );
    match &c.session_token {
        Some(t) => cmd.env("AWS_SESSION_TOKEN", t.expose()),
        None => cmd.env_remove("AWS_SESSION_TOKEN"),
    };
    let status = cmd
        .status()
        .await
        .with_context(|| format!("exec: cannot run \"{program}\" (is it on PATH?)"))?;
    if let Some(code) = status.code() {
        return Ok(ExitCode::from(code.clamp(0, 255) as u8));
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = status.signal() {
            return Ok(ExitCode::from((128 + sig).clamp(0, 255) as u8));
        }
    }
    Ok(ExitCode::FAILURE)
}

/// Assumes `role`, asking for an MFA code on the terminal when the role needs one and none was given.
async fn assume(
    sdk: &aws_config::SdkConfig,
    config: &Config,
    role: &Role,
    duration: Option<u32>,
    token_code: Option<TokenCode>,
) -> anyhow::Result<Session> {
    let token_code = match (&role.mfa_serial, token_code) {
        (_, Some(code)) => Some(code),
        (Some(serial), None) => Some(prompt_token_code(&role.arn.to_string(), serial)?),
        (None, None) => None,
    };
    let mut duration = duration;
    let requested = duration.unwrap_or_else(|| role.duration(&config.defaults));
    if requested > CHAINED_MAX_SECONDS {
        // Only a long session can run into the chaining cap: ask who we are just then.
        if let Ok(me) = caller_identity(sdk).await {
            if let Some(cap) = chained_cap(requested, me.is_assumed_role()) {
                eprintln!(
                    "rolecall: {} is itself a role session; AWS grants chained sessions at most {cap} s, so asking for {cap} s instead of {requested} s",
                    me.arn
                );
                duration = Some(cap);
            }
        }
    }
    let params = role.assume_params(&config.defaults, duration, token_code);
    Ok(assume_role(sdk, &params).await?)
}

/// Asks for the MFA code on the terminal, without echoing it.
fn prompt_token_code(role: &str, serial: &str) -> anyhow::Result<TokenCode> {
    if !std::io::stdin().is_terminal() {
        bail!(
            "{role} needs an MFA code (mfa_serial = {serial}): pass --token-code CODE with the current code from that device"
        );
    }
    let line = rpassword::prompt_password(format!("MFA code for {serial}: "))
        .context("reading the MFA code")?;
    TokenCode::parse(&line).map_err(anyhow::Error::msg)
}
