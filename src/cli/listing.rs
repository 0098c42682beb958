//! `rolecall instances`, `volumes`, `security-groups` (every kind of `crate::resources`): one
//! role's, or every account's (`--all`).

use std::io::IsTerminal;
use std::process::ExitCode;

use anyhow::bail;

use super::assume::assume_for;
use super::print::{account_rows_table, resource_table};
use super::{Ctx, ListArgs};
use crate::aws::identity::caller_identity;
use crate::aws::target::RoleTarget;
use crate::aws::{AwsError, ErrorKind};
use crate::inventory::Part;
use crate::resources::{write_csv, FindingFilter, Kind, Query, Reach, Row, Window};
use futures::StreamExt;

/// How rows are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Table,
    Json,
    Csv,
}

impl Format {
    /// The rows as JSON or CSV (the same fields, by the same names) on stdout, written as they
    /// are made: at a thousand accounts the JSON is megabytes, not worth holding (twice) first.
    fn print_rows(self, kind: Kind, every: bool, rows: &[Row]) -> anyhow::Result<()> {
        use std::io::Write as _;
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        let written = match self {
            Format::Csv => write_csv(kind, every, rows, &mut out).map_err(anyhow::Error::from),
            _ => serde_json::to_writer_pretty(&mut out, rows)
                .map_err(anyhow::Error::from)
                .and_then(|()| Ok(out.write_all(b"\n")?)),
        };
        // A closed pipe (`| head`) is the reader's choice, not an error.
        match written.and_then(|()| Ok(out.flush()?)) {
            Err(e) if is_broken_pipe(&e) => Ok(()),
            other => other,
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            || c.downcast_ref::<serde_json::Error>()
                .and_then(|j| j.io_error_kind())
                == Some(std::io::ErrorKind::BrokenPipe)
            || c.downcast_ref::<csv::Error>().is_some_and(
                |e| matches!(e.kind(), csv::ErrorKind::Io(io) if io.kind() == std::io::ErrorKind::BrokenPipe),
            )
    })
}

/// What a listing asks for besides its [`ListArgs`]: the findings' filter, regions that replace
/// the role's (the delegated administrator's aggregation region).
#[derive(Debug, Clone, Default)]
pub struct Ask {
    pub findings: Option<FindingFilter>,
    pub regions: Option<Vec<String>>,
}

/// Lists `kind` through a role, or in every account (`--all`).
pub async fn list(ctx: &Ctx, kind: Kind, args: ListArgs) -> anyhow::Result<ExitCode> {
    list_asking(ctx, kind, args, Ask::default()).await
}

/// Rows of a kind that starts sorted (findings: severest first), in that order; `every`: rows
/// with their account first.
fn sorted(kind: Kind, every: bool, rows: &mut [Row]) {
    if let Some(c) = kind.spec().default_sort() {
        let c = c + usize::from(every);
        rows.sort_by(|a, b| a.compare(b, c));
    }
}

/// Prints what failed: a place where the service is not enabled as a note (its hint once, after
/// them: [`not_enabled_hint`]), the rest as warnings.
fn warn(place: Option<String>, e: &AwsError) {
    if e.kind == ErrorKind::NotEnabled {
        eprintln!(
            "note: {}: {}",
            place.unwrap_or_else(|| e.target.clone()),
            e.message
        );
        return;
    }
    match place {
        Some(p) => eprintln!("warning: {p}: {e}"),
        None => eprintln!("warning: {e}"),
    }
    if let Some(h) = &e.hint {
        eprintln!("  hint: {h}");
    }
}

/// The hint of the places where the service is not enabled, once.
fn not_enabled_hint<'a>(mut errors: impl Iterator<Item = &'a AwsError>) {
    if let Some(h) = errors
        .find(|e| e.kind == ErrorKind::NotEnabled)
        .and_then(|e| e.hint.as_ref())
    {
        eprintln!("  hint: {h}");
    }
}

/// [`list`], with a filter or regions of its own.
pub async fn list_asking(
    ctx: &Ctx,
    kind: Kind,
    args: ListArgs,
    ask: Ask,
) -> anyhow::Result<ExitCode> {
    let ListArgs {
        role,
        all,
        json,
        csv,
        token_code,
        subject,
        since,
    } = args;
    let format = match (json, csv) {
        (true, _) => Format::Json,
        (_, true) => Format::Csv,
        _ => Format::Table,
    };
    // A query kind's window: --since up to now, else its default.
    let now = chrono::Utc::now();
    let mut query = Query::of(kind, ctx.regions.clone(), now).about(subject);
    if let (Some(span), Some(_)) = (since, query.window) {
        query.window = Some(Window::last(span, now));
    }
    query.findings = ask.findings;
    if all {
        if let Some(code) = token_code {
            mfa_for_all(ctx, code).await?;
        }
        return everywhere(ctx, kind, format, &query).await;
    }
    let role = ctx.resolve_role(&role.unwrap_or_default()).await?;
    let aws = ctx.aws().await;
    let session = assume_for(ctx, &aws, &role, None, token_code).await?;
    let regions = ask
        .regions
        .clone()
        .unwrap_or_else(|| ctx.regions_for(&role));
    let target = RoleTarget::new(
        aws.clone(),
        session.credentials.provider(),
        ctx.config.defaults.page_size,
    );
    let query = Query {
        regions: regions.clone(),
        ..query
    };
    // regions = "all": the regions the account has enabled, asked of it.
    let chosen = query.regions.as_slice() == [crate::config::ALL_REGIONS];
    let query = crate::inventory::concrete(kind, &role.arn, &target, &query)
        .await
        .map_err(|e| {
            anyhow::anyhow!(
                "{e}{}",
                e.hint
                    .as_ref()
                    .map(|h| format!("\nhint: {h}"))
                    .unwrap_or_default()
            )
        })?;
    let regions = query.regions.clone();
    let pages =
        crate::inventory::list_role(&aws, &ctx.journal, kind, &role.arn, &target, &query, chosen);
    let mut pages = std::pin::pin!(pages);
    // Every page, recorded as it came; printed together.
    let mut part: Option<Part> = None;
    while let Some(page) = pages.next().await {
        let (page, _) = page.map_err(|e| {
            anyhow::anyhow!("list was done but could not be recorded, so it is not reported: {e}")
        })?;
        part = Some(match part {
            None => page,
            Some(mut all) => {
                all.rows.extend(page.rows);
                all.failures.extend(page.failures);
                all.notes.extend(page.notes);
                all
            }
        });
    }
    let Some(mut part) = part else {
        bail!("{} listed nothing: no page came back", role.arn);
    };
    // Listed when some place answered: pages come one region at a time, so whether every
    // region failed is known only from all of them. A region where the service is not enabled
    // answered (nothing there): it is named, not counted as failed.
    let places = Part::places(kind, &regions);
    let failed_in = |f: &&crate::resources::Failure| f.error.kind != ErrorKind::NotEnabled;
    let failed = places
        .iter()
        .filter(|p| match kind.about().reach {
            Reach::Regional => part
                .failures
                .iter()
                .filter(failed_in)
                .any(|f| f.region.as_ref() == Some(p)),
            Reach::Global => part.failures.iter().any(|f| failed_in(&f)),
        })
        .count();
    part.ok = failed < places.len();
    for n in &part.notes {
        eprintln!("warning: {n}");
    }
    for f in &part.failures {
        warn(None, &f.error);
    }
    not_enabled_hint(part.failures.iter().map(|f| &f.error));
    if let Some(first) = part.all_failed() {
        let place = match kind.about().reach {
            Reach::Regional => format!("every region of {}", role.arn),
            Reach::Global => role.arn.to_string(),
        };
        bail!(AwsError {
            target: place,
            ..first.clone()
        });
    }
    // A role's rows are printed without the account they came through (`--all` has it), in
    // their kind's order: findings severest first, another query kind's newest first,
    // whatever region each came from.
    let mut rows: Vec<Row> = part.rows.into_iter().map(Row::alone).collect();
    ordered(kind, &mut rows);
    if format != Format::Table {
        format.print_rows(kind, false, &rows)?;
    } else if rows.is_empty() {
        let account = ctx
            .config
            .account(role.arn.account_id())
            .and_then(|a| a.name.clone())
            .map(|n| format!(" ({n})"))
            .unwrap_or_default();
        let ok: Vec<String> = Part::places(kind, &regions)
            .into_iter()
            .filter(|r| {
                !part
                    .failures
                    .iter()
                    .any(|f| f.region.as_ref() == Some(r) && f.error.kind != ErrorKind::NotEnabled)
            })
            .collect();
        outln!(
            "No {} in account {}{account} in {}.",
            kind.noun(),
            role.arn.account_id(),
            ok.join(", ")
        );
    } else {
        out!("{}", resource_table(kind, &rows, chrono::Utc::now()));
    }
    Ok(ExitCode::SUCCESS)
}

/// A role's rows in their kind's order: its own when it has one (findings: severest first),
/// else a query kind's newest first (its first column is its time); a kind listed whole keeps
/// the order it was listed in.
fn ordered(kind: Kind, rows: &mut [Row]) {
    if kind.spec().default_sort().is_some() {
        sorted(kind, false, rows);
    } else if kind.about().window.is_some() {
        rows.sort_by(|a, b| b.compare(a, 0));
    }
}

/// `--all --token-code CODE`: the primary IAM user's MFA session, made once with the code
/// (sts:GetSessionToken), through which every role that asks for that device is reached.
async fn mfa_for_all(ctx: &Ctx, code: crate::aws::credentials::TokenCode) -> anyhow::Result<()> {
    let roles = crate::roles::known_locally(&ctx.config, &ctx.opts.scope(), false);
    let mut serials: Vec<&str> = roles
        .iter()
        .filter_map(|r| r.mfa_serial.as_deref())
        .collect();
    serials.sort_unstable();
    serials.dedup();
    let serial = match serials[..] {
        [one] => one,
        [] => bail!("--token-code: no known role has an mfa_serial, so there is no MFA device to send the code for"),
        _ => bail!(
            "--token-code: the roles name {} MFA devices ({}); one code is for one device: list with --all and no code (MFA roles are left out), or give the roles one mfa_serial",
            serials.len(),
            serials.join(", ")
        ),
    };
    let aws = ctx.aws().await;
    match crate::aws::source::mfa_session(&aws, serial, Some(&code)).await? {
        Some(_) => Ok(()),
        None => bail!(
            "--token-code with --all needs a primary IAM user with a long-term access key: its MFA session (sts:GetSessionToken) then reaches every MFA role; a role or SSO session as the primary cannot make one"
        ),
    }
}

/// `--all`: every known account, a progress bar on stderr when a person watches it, failures per
/// account and region on stderr. Fails only when every account failed.
async fn everywhere(
    ctx: &Ctx,
    kind: Kind,
    format: Format,
    query: &Query,
) -> anyhow::Result<ExitCode> {
    let machine = format != Format::Table;
    let what = kind.noun();
    let aws = ctx.aws().await;
    // With a case open, who acts goes into every record: known before the first.
    let early = match ctx.journal.case() {
        Some(_) => {
            let id = caller_identity(&aws).await?;
            ctx.journal.set_actor(&id.arn);
            Some(id)
        }
        None => None,
    };
    // The accounts known without asking AWS are listed at once, while who we are and discovery
    // (the caller's IAM policies, an organization's list when its cache is old) find more: each
    // of their round trips would otherwise come before the first account's.
    let (tx, rx) = futures::channel::mpsc::unbounded();
    for role in crate::roles::known_locally(&ctx.config, &ctx.opts.scope(), true) {
        let _ = tx.unbounded_send(role);
    }
    let discovery = async {
        let primary = match early {
            Some(id) => id,
            None => caller_identity(&aws).await?,
        };
        let known = crate::roles::discover(&ctx.config, &ctx.orgs(&aws, &primary)).await;
        for role in &known.roles {
            let _ = tx.unbounded_send(role.clone());
        }
        drop(tx);
        Ok::<_, crate::aws::AwsError>(known)
    };
    // A bar for a person watching stderr; never when the JSON goes to a pipe.
    let show = std::io::stderr().is_terminal() && (!machine || std::io::stdout().is_terminal());
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
    ctx.journal.check()?;
    let listing = crate::inventory::fan_out_query(
        kind,
        &aws,
        &ctx.config,
        &ctx.journal,
        rx,
        query,
        |done, total| {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        },
    );
    let mut listing = std::pin::pin!(listing);
    let mut discovery = std::pin::pin!(discovery);
    // Credentials that do not work end it with the identity call's error, not one per account.
    let (known, mut inventory) = tokio::select! {
        known = &mut discovery => {
            let known = known.inspect_err(|_| bar.finish_and_clear())?;
            (known, listing.await)
        }
        inventory = &mut listing => (discovery.await?, inventory),
    };
    bar.finish_and_clear();
    // What discovery could not read (an organization's list, an Identity Center portal whose
    // token is missing or expired) is what `rolecall roles` shows; when it leaves no role to list
    // through, it is the reason, and said here.
    if known.roles.is_empty() {
        if !known.warnings.is_empty() {
            for w in &known.warnings {
                eprintln!("warning: {w}");
            }
            bail!("no roles known to list {what} through: see the warnings above");
        }
        bail!("no roles known to list {what} through: add [[role]] tables to the config, or see `rolecall roles`");
    }
    for f in &inventory.failures {
        warn(Some(f.place()), &f.error);
    }
    for n in &inventory.notes {
        eprintln!("warning: {n}");
    }
    not_enabled_hint(inventory.failures.iter().map(|f| &f.error));
    eprintln!(
        "rolecall: {} {what} in {} of {} accounts{}",
        inventory.rows.len(),
        inventory.accounts_ok,
        inventory.accounts,
        match inventory.throttled {
            0 => String::new(),
            n => format!(" ({n} throttled by AWS, listed again after a pause)"),
        }
    );
    if inventory.accounts_ok == 0 {
        bail!("no account could be listed; see the warnings above");
    }
    if kind.spec().default_sort().is_some() {
        sorted(kind, true, &mut inventory.rows);
    } else if kind.about().window.is_some() {
        // A query kind's rows newest first within each account.
        inventory.rows.sort_by(|a, b| {
            a.account_id()
                .cmp(&b.account_id())
                .then_with(|| b.item().compare(a.item(), 0, false))
        });
    }
    match format {
        // A kind in an order of its own (findings, severest first) is one table in that order,
        // its rows naming their accounts; the others, a table per account.
        Format::Table if kind.spec().default_sort().is_some() => {
            let rows: Vec<Row> = inventory.rows.iter().cloned().map(Row::alone).collect();
            out!("{}", resource_table(kind, &rows, chrono::Utc::now()))
        }
        Format::Table => out!(
            "{}",
            account_rows_table(kind, &inventory.rows, chrono::Utc::now())
        ),
        _ => format.print_rows(kind, true, &inventory.rows)?,
    }
    Ok(ExitCode::SUCCESS)
}
