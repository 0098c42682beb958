//! `rolecall case open|close|list|show|verify`: the case file from the command line.

use std::process::ExitCode;

use anyhow::bail;
use chrono::Utc;

use super::print::to_json;
use super::{CaseCommand, Ctx};
use crate::aws::identity::caller_identity;
use crate::case::verify::{verify, Verdict};
use crate::case::{Case, CaseId, Cases, Summary};

/// Who acts: the primary identity (a case records who opened and closed it).
async fn actor(ctx: &Ctx) -> anyhow::Result<String> {
    let me = caller_identity(&ctx.aws().await)
        .await
        .map_err(|e| anyhow::anyhow!("cannot tell who acts, which the case log records: {e}"))?;
    Ok(me.arn)
}

/// The case a subcommand is about: the one named, else `--case` / `ROLECALL_CASE`, else the
/// current one.
fn chosen(ctx: &Ctx, cases: &Cases, id: Option<&str>) -> anyhow::Result<Case> {
    let named = id.or(ctx.case.as_deref());
    match cases.pick(named)? {
        Some(case) => Ok(case),
        None => bail!(
            "no case is open: name one (rolecall case show ID), or open one (rolecall case open ID)"
        ),
    }
}

pub async fn run(ctx: &Ctx, command: CaseCommand) -> anyhow::Result<ExitCode> {
    let cases = Cases::locate(&ctx.config)?;
    match command {
        CaseCommand::Open { id, title } => {
            let id = CaseId::parse(&id)?;
            let actor = actor(ctx).await?;
            let (case, entry) = cases.open(&id, title.as_deref(), &actor, Utc::now())?;
            let verb = if entry.record.action == "case.reopen" {
                "reopened"
            } else {
                "opened"
            };
            eprintln!(
                "rolecall: {verb} case {id} in {}; it is the current case (rolecall case close ends it)",
                case.dir.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        CaseCommand::Close { id } => {
            let case = chosen(ctx, &cases, id.as_deref())?;
            let actor = actor(ctx).await?;
            cases.close(&case, &actor, Utc::now())?;
            let last = case.log.recorded_head().map(|h| h.hash).unwrap_or_default();
            eprintln!(
                "rolecall: closed case {}; the log's last hash, for the ticket: {last}",
                case.id
            );
            Ok(ExitCode::SUCCESS)
        }
        CaseCommand::List { json } => {
            let list = cases.list()?;
            if json {
                outln!("{}", to_json(&list));
            } else if list.is_empty() {
                outln!(
                    "No cases in {} yet: rolecall case open ID starts one.",
                    cases.root.display()
                );
            } else {
                for s in &list {
                    outln!("{}", line(s));
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        CaseCommand::Show { id, json } => {
            let case = chosen(ctx, &cases, id.as_deref())?;
            let current = cases.current()?.as_ref() == Some(&case.id);
            let s = case.summary(current)?;
            if json {
                outln!("{}", to_json(&s));
            } else {
                outln!("{}", line(&s));
                outln!("  folder     {}", s.dir.display());
                outln!("  log        {}", s.log.display());
                outln!("  opened     {} by {}", s.opened_at, s.opened_by);
                if let Some(c) = &s.closed_at {
                    outln!("  closed     {c}");
                }
                outln!("  entries    {}", s.entries);
                if let Some(h) = &s.last_hash {
                    outln!("  last hash  {h}  (write it into the ticket)");
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        CaseCommand::Verify { id } => {
            let case = chosen(ctx, &cases, id.as_deref())?;
            match verify(&case.log, case.id.as_str())? {
                Verdict::Holds {
                    entries,
                    last_hash,
                    notes,
                } => {
                    outln!(
                        "case {}: the chain of {entries} entries holds; the last entry's hash is {last_hash}",
                        case.id
                    );
                    for n in notes {
                        eprintln!("note: {n}");
                    }
                    Ok(ExitCode::SUCCESS)
                }
                Verdict::Broken { seq, line, reason } => {
                    let which = match seq {
                        Some(s) => format!("entry {s} (line {line})"),
                        None => format!("line {line}"),
                    };
                    bail!(
                        "case {}: the chain does not hold from {which}: {reason}\nhint: {}",
                        case.id,
                        "the log was changed after it was written; keep this copy as it is and compare with your backups and the hash in the ticket"
                    )
                }
            }
        }
    }
}

/// `IR-7  open  12 entries  "phishing on prod"` (`*` marks the current one).
fn line(s: &Summary) -> String {
    format!(
        "{}{}  {}  {} entries{}",
        if s.current { "* " } else { "  " },
        s.id,
        if s.closed_at.is_some() {
            "closed"
        } else {
            "open  "
        },
        s.entries,
        s.title
            .as_deref()
            .map(|t| format!("  \"{t}\""))
            .unwrap_or_default()
    )
}
