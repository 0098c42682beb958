//! What each job does: the AWS calls behind a `Work`, each recorded in the case log (when a
//! case is open) before it is answered, and turned into answers. All of the TUI's I/O with AWS
//! and the case file happens here, in tasks, never in the UI loop.

use std::time::Duration;

use futures::StreamExt;

use super::jobs::Reply;
use crate::actions;
use crate::app::effect::{ExportRows, Work};
use crate::app::msg::{Answer, Answered, CaseInfo, Msg, Rows, SessionMeta};
use crate::app::state::search_keys;
use crate::aws::arn::RoleArn;
use crate::aws::assume::{assume_role, AssumeParams, Session};
use crate::aws::console::{self, Destination, SignIn};
use crate::aws::identity::{caller_identity, Identity};
use crate::aws::refresh::Assumer;
use crate::aws::sessions::SessionStore;
use crate::aws::target::RoleTarget;
use crate::aws::{Aws, AwsError, ErrorKind, LazyAws};
use crate::case::{export, records, CaseError, CaseId, Cases, Journal, Record};
use crate::config::Config;
use crate::inventory::{self, Part, Target};
use crate::resources::{Kind, Query, Row};

/// What jobs work with: the primary identity's AWS setup (loaded once, by the first job that
/// needs it), the sessions, the case log, and the settings.
#[derive(Clone)]
pub struct Context {
    pub aws: LazyAws,
    pub store: SessionStore,
    pub journal: Journal,
    pub settings: Config,
    /// `AwsOptions::scope`: which cached organization lists are the primary identity's.
    pub scope: String,
}

/// A case log that could not be written, as the UI shows errors: what failed and what to check.
fn log_error(e: CaseError) -> AwsError {
    AwsError::new(ErrorKind::Other, "writing the case log", "the case file")
        .with_message(e.to_string())
        .with_hint("nothing more was done: free disk space or fix the case folder's permissions, or :case close to go on without one")
}

impl Context {
    /// Where and as whom to list a role's resources: its credentials come from the store on
    /// every call, so a refresh in the middle of a listing is picked up.
    async fn target(&self, role: &RoleArn) -> RoleTarget {
        RoleTarget::new(
            self.aws.get().await,
            self.store.provider(role),
            self.settings.defaults.page_size,
        )
    }

    /// Records in the case log (nothing without a case), and tells the UI what was written.
    async fn record(&self, reply: &Reply, record: Record) -> Result<(), AwsError> {
        match self.journal.record(&self.aws.get().await, record).await {
            Ok(Some(entry)) => {
                reply.tell(Msg::Logged(entry));
                Ok(())
            }
            Ok(None) => Ok(()),
            Err(e) => Err(log_error(e)),
        }
    }

    /// Assumes a role, records it, and hands the session to the store (whose refresher keeps it
    /// alive); the UI gets what it may know of it. A session that could not be recorded is not
    /// kept.
    async fn start_session(
        &self,
        reply: &Reply,
        params: &AssumeParams,
        refresh_before: Duration,
    ) -> Result<SessionMeta, AwsError> {
        self.journal.check().map_err(log_error)?;
        let result = assume_role(&self.aws.get().await, params).await;
        self.record(reply, records::assumed("assume", params, &result))
            .await?;
        let session = result?;
        let aws = self.aws.get().await;
        let mfa_session = match &params.mfa_serial {
            Some(serial) => crate::aws::source::mfa_session_until(&aws, serial)
                .await
                .map(|until| (serial.clone(), until)),
            None => None,
        };
        let meta = SessionMeta {
            assumed_arn: session.assumed_role_arn.clone(),
            expiration: session.expiration,
            mfa_session,
        };
        self.store.insert(session, params, refresh_before);
        Ok(meta)
    }
}

pub async fn run(ctx: Context, work: Work, reply: Reply) {
    match work {
        Work::Identity => {
            let result = caller_identity(&ctx.aws.get().await).await;
            if let Ok(id) = &result {
                ctx.journal.set_actor(&id.arn);
            }
            reply.answer(Answer::Identity(result));
        }
        Work::Discover { identity, reread } => discover(&ctx, &identity, reread, &reply).await,
        Work::Assume {
            role,
            token_code,
            duration,
        } => {
            let defaults = &ctx.settings.defaults;
            let params = role.assume_params(defaults, duration, token_code);
            let result = ctx
                .start_session(&reply, &params, role.refresh_before(defaults))
                .await;
            reply.answer(Answer::Assumed {
                role: params.role_arn,
                result,
            });
        }
        Work::List {
            kind,
            role,
            regions,
            window,
            subject,
        } => {
            let query = Query {
                regions,
                window,
                subject,
                findings: None,
            };
            list(&ctx, kind, role, query, &reply).await
        }
        Work::Every {
            kind,
            targets,
            assume,
            concurrency,
        } => {
            let every = Every {
                ctx,
                reply,
                assume,
                concurrency,
            };
            every.list(kind, targets).await
        }
        Work::Console {
            role,
            destination,
            open,
        } => {
            let result = sign_in(&ctx, &reply, &role, &destination, open).await;
            reply.answer(Answer::Console { role, result });
        }
        Work::Note(record) => {
            let what = record.action.clone();
            let result = ctx.record(&reply, *record).await.map(|()| what);
            reply.answer(Answer::Noted(result));
        }
        Work::CopyLink { role, url } => {
            let result = ctx
                .record(&reply, records::switch_link(&role, &url))
                .await
                .map(|()| url);
            reply.answer(Answer::Copied(result));
        }
        Work::Export { view, name, rows } => {
            let result = export_rows(&ctx, &reply, &view, &name, rows).await;
            reply.answer(Answer::Exported(result));
        }
        Work::OpenCase { id, title } => {
            let result = open_case(&ctx, &reply, &id, title.as_deref()).await;
            reply.answer(Answer::Case(result));
        }
        Work::CloseCase => {
            let result = close_case(&ctx).await.map(|()| None);
            reply.answer(Answer::Case(result));
        }
        Work::PlanAction {
            role,
            region,
            action,
            toggle,
        } => {
            let result = match scope(&ctx, &role, &region).await {
                // X isolates, or releases what the case logs say rolecall isolated.
                Ok(scope) if toggle => actions::plan_isolate_or_release(&scope, action)
                    .await
                    .map(Box::new),
                Ok(scope) => actions::plan(&scope, action).await.map(Box::new),
                Err(e) => Err(e),
            };
            reply.answer(Answer::Planned(result));
        }
        Work::RunAction {
            n,
            role,
            region,
            case,
            plan,
        } => {
            let outcome = match scope(&ctx, &role, &region).await {
                // Planned in another case than the open one: not run (its records would go
                // elsewhere than its plan's).
                Ok(scope) if scope.case_id != case => actions::Outcome {
                    error: Some(format!(
                        "planned in case {case}, but case {} is open now: nothing was done",
                        scope.case_id
                    )),
                    not_done: plan.calls.clone(),
                    ..Default::default()
                },
                Ok(scope) => {
                    let steps = Steps {
                        reply: reply.clone(),
                        n,
                    };
                    actions::run(&scope, *plan, &steps).await
                }
                Err(e) => actions::Outcome {
                    error: Some(format!("{e}: nothing was done")),
                    ..Default::default()
                },
            };
            reply.answer(Answer::Acted { n, outcome });
        }
        Work::ReadLog => {
            let result = match ctx.journal.case() {
                None => Ok(Vec::new()),
                Some(case) => tokio::task::spawn_blocking(move || case.log.entries())
                    .await
                    .unwrap_or_else(|e| {
                        Err(CaseError::Io {
                            path: Default::default(),
                            message: e.to_string(),
                        })
                    })
                    .map_err(|e| e.to_string()),
            };
            reply.answer(Answer::Log(result));
        }
    }
}

/// Which roles the identity reaches: the config's, the AWS config file's, its IAM policies', and
/// the organizations' (their cache while fresh, unless `reread`).
async fn discover(ctx: &Context, identity: &Identity, reread: bool, reply: &Reply) {
    let aws = ctx.aws.get().await;
    let orgs = crate::organization::Reader {
        aws: &aws,
        identity,
        scope: ctx.scope.clone(),
        freshness: if reread {
            crate::organization::Freshness::Reread
        } else {
            crate::organization::Freshness::CacheIfFresh
        },
        journal: &ctx.journal,
        live: Some(&ctx.store),
    };
    let known = crate::roles::discover(&ctx.settings, &orgs).await;
    let organizations_due = known
        .organizations
        .iter()
        .map(|r| r.due)
        .chain(known.sso_due)
        .min();
    let organizations_read = crate::organization::oldest_read(&known.organizations);
    // MFA sessions a session cache kept from an earlier run: their roles need no code now.
    let mut serials: Vec<&str> = known
        .roles
        .iter()
        .filter_map(|r| r.mfa_serial.as_deref())
        .collect();
    serials.sort_unstable();
    serials.dedup();
    let mut mfa_sessions = Vec::new();
    for serial in serials {
        if let Some(until) = crate::aws::source::mfa_session_until(&aws, serial).await {
            mfa_sessions.push((serial.to_string(), until));
        }
    }
    let groups = crate::roles::group(&ctx.settings, known.roles);
    reply.answer(Answer::Discovered {
        groups,
        organizations_due,
        organizations_read,
        warnings: known.warnings,
        mfa_sessions,
    });
}

/// A role's resources of `kind` in its regions, with its live session; each page recorded
/// before it is shown. A kind listed whole answers once; a query kind a page at a time, then
/// once more to say it is done.
async fn list(ctx: &Context, kind: Kind, role: RoleArn, query: Query, reply: &Reply) {
    if let Err(e) = ctx.journal.check() {
        reply.answer(Answer::Failed(log_error(e)));
        return;
    }
    let aws = ctx.aws.get().await;
    let target = ctx.target(&role).await;
    let paged = query.window.is_some();
    let chosen = query.regions.as_slice() == [crate::config::ALL_REGIONS];
    // regions = "all": the regions the account has enabled, asked of it.
    let query = match inventory::concrete(kind, &role, &target, &query).await {
        Ok(q) => q,
        Err(e) => {
            reply.answer(Answer::Failed(e));
            return;
        }
    };
    let mut pages = std::pin::pin!(inventory::list_role(
        &aws,
        &ctx.journal,
        kind,
        &role,
        &target,
        &query,
        chosen,
    ));
    let mut all = Rows::default();
    while let Some(page) = pages.next().await {
        let (part, entry) = match page {
            Ok(page) => page,
            Err(e) => {
                reply.answer(Answer::Failed(log_error(e)));
                return;
            }
        };
        if let Some(entry) = entry {
            reply.tell(Msg::Logged(entry));
        }
        // A role's own table: its rows without the account they came through.
        let rows: Vec<Row> = part.rows.into_iter().map(Row::alone).collect();
        all.keys.extend(search_keys(&rows));
        all.rows.extend(rows);
        all.failures.extend(part.failures);
        all.notes.extend(part.notes);
        all.ok |= part.ok;
        if paged {
            let ok = all.ok;
            let page = std::mem::replace(
                &mut all,
                Rows {
                    ok,
                    ..Rows::default()
                },
            );
            if !reply.answer(Answer::Listed(Rows { more: true, ..page })) {
                return;
            }
        }
    }
    reply.answer(Answer::Listed(all));
}

/// Federated sign-in with the role's live session, recorded before the link is opened or
/// handed over for copying.
async fn sign_in(
    ctx: &Context,
    reply: &Reply,
    role: &RoleArn,
    destination: &Destination,
    open: bool,
) -> Result<SignIn, AwsError> {
    let Some(session) = ctx.store.get(role) else {
        return Err(
            AwsError::new(ErrorKind::ExpiredToken, "getSigninToken", role.to_string())
                .with_message("the role has no session"),
        );
    };
    ctx.journal.check().map_err(log_error)?;
    let timeout = Duration::from_secs(ctx.settings.defaults.timeout_seconds.into());
    let endpoint = ctx.settings.console.federation_endpoint.as_ref();
    let link = console::sign_in(role, &session.credentials, endpoint, destination, timeout).await?;
    let how = if open { "opened" } else { "copied" };
    let record = records::signed_in(role, Some(&session.assumed_role_arn), destination, how);
    ctx.record(reply, record).await?;
    if open {
        console::open(role, &link).await?;
        Ok(SignIn::Opened)
    } else {
        Ok(SignIn::Link(link))
    }
}

/// Writes what a table shows as CSV and JSON, into the case's `exports/` (no case: the
/// platform data dir's), and records the files and their hashes. An export that cannot be
/// recorded is removed.
async fn export_rows(
    ctx: &Context,
    reply: &Reply,
    view: &str,
    name: &str,
    rows: ExportRows,
) -> Result<export::Exported, String> {
    ctx.journal.check().map_err(|e| e.to_string())?;
    let dir = match ctx.journal.case() {
        Some(case) => case.exports(),
        None => directories::ProjectDirs::from("", "", "rolecall")
            .map(|d| d.data_local_dir().join("exports"))
            .ok_or("no platform data folder for exports (is HOME set?)")?,
    };
    let name = name.to_string();
    let ExportRows { kind, every, rows } = rows;
    let written =
        tokio::task::spawn_blocking(move || export::write(&dir, &name, kind, every, &rows))
            .await
            .map_err(|e| format!("the export stopped: {e}"))?
            .map_err(|e| e.to_string())?;
    if let Err(e) = ctx.record(reply, records::exported(view, &written)).await {
        export::remove(&written);
        return Err(format!("the export was removed again: {e}"));
    }
    Ok(written)
}

/// `:case open ID [title]`: opens (or reopens) the case; from now on jobs record in it.
async fn open_case(
    ctx: &Context,
    reply: &Reply,
    id: &str,
    title: Option<&str>,
) -> Result<Option<CaseInfo>, String> {
    let id = CaseId::parse(id).map_err(|e| e.to_string())?;
    let cases = Cases::locate(&ctx.settings).map_err(|e| e.to_string())?;
    let actor = match ctx.journal.actor() {
        Some(a) => a,
        None => {
            caller_identity(&ctx.aws.get().await)
                .await
                .map_err(|e| format!("cannot tell who opens the case: {e}"))?
                .arn
        }
    };
    let title = title.map(str::to_string);
    let (case, entry) = tokio::task::spawn_blocking(move || {
        cases.open(&id, title.as_deref(), &actor, chrono::Utc::now())
    })
    .await
    .map_err(|e| e.to_string())?
    .map_err(|e| e.to_string())?;
    let info = CaseInfo::of(&case);
    ctx.journal.set_case(Some(case));
    reply.tell(Msg::Logged(entry));
    Ok(Some(info))
}

/// `:case close`: closes the case; jobs record nothing any more.
async fn close_case(ctx: &Context) -> Result<(), String> {
    let Some(case) = ctx.journal.case() else {
        return Err("no case is open".into());
    };
    let cases = Cases::locate(&ctx.settings).map_err(|e| e.to_string())?;
    let actor = match ctx.journal.actor() {
        Some(a) => a,
        None => {
            caller_identity(&ctx.aws.get().await)
                .await
                .map_err(|e| format!("cannot tell who closes the case: {e}"))?
                .arn
        }
    };
    let closing = case.clone();
    tokio::task::spawn_blocking(move || cases.close(&closing, &actor, chrono::Utc::now()))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
    ctx.journal.set_case(None);
    Ok(())
}

/// An every-account listing: assumes the roles without a session (each new session recorded,
/// put in the store, where the refresher keeps it, and sent to the UI as `Msg::Session`), then
/// lists each account, `concurrency` at a time, recording and answering with each account's
/// rows as soon as they are in.
struct Every {
    ctx: Context,
    reply: Reply,
    assume: Vec<(RoleArn, Option<u32>)>,
    concurrency: usize,
}

impl Every {
    async fn list(self, kind: Kind, targets: Vec<Target>) {
        let Every {
            ctx,
            reply,
            assume,
            concurrency,
        } = self;
        if let Err(e) = ctx.journal.check() {
            reply.answer(Answer::Failed(log_error(e)));
            return;
        }
        let base = ctx.aws.get().await;
        let pace = std::sync::Arc::new(inventory::Pace::default());
        let session = |t: &Target| {
            let plan = assume
                .iter()
                .find(|(arn, _)| arn == &t.role.arn)
                .map(|a| a.1);
            let role = t.role.clone();
            let (ctx, reply, pace) = (ctx.clone(), reply.clone(), pace.clone());
            async move {
                if let Some(duration) = plan {
                    let defaults = &ctx.settings.defaults;
                    let params = role.assume_params(defaults, duration, None);
                    let refresh_before = role.refresh_before(defaults);
                    let result =
                        inventory::paced(&pace, ctx.start_session(&reply, &params, refresh_before))
                            .await;
                    let failed = result.as_ref().err().cloned();
                    reply.tell(Msg::Session {
                        role: role.arn.clone(),
                        result,
                    });
                    if let Some(e) = failed {
                        return Err(e);
                    }
                }
                Ok(ctx.store.provider(&role.arn))
            }
        };
        let page_size = ctx.settings.defaults.page_size;
        let with = |role: RoleArn, credentials, query: Query, calls| {
            let target = RoleTarget::new(base.clone(), credentials, page_size).sharing(calls);
            async move { inventory::whole(kind, &role, &target, &query).await }
        };
        let mut parts = std::pin::pin!(inventory::parts(
            kind,
            futures::stream::iter(targets),
            concurrency,
            session,
            with,
        ));
        while let Some(part) = parts.next().await {
            match part.record(kind, &base, &ctx.journal).await {
                Ok(Some(entry)) => {
                    reply.tell(Msg::Logged(entry));
                }
                Ok(None) => {}
                Err(e) => {
                    reply.answer(Answer::Failed(log_error(e)));
                    break;
                }
            }
            let (regions, of) = part.regions_answered(kind);
            let answered = Some(Answered {
                role: part.role.clone(),
                regions,
                of,
            });
            let Part {
                rows,
                failures,
                ok,
                throttled,
                notes,
                ..
            } = part;
            let keys = search_keys(&rows);
            if !reply.answer(Answer::Listed(Rows {
                rows,
                keys,
                failures,
                ok,
                throttled: throttled > 0,
                more: false,
                notes,
                answered,
            })) {
                break;
            }
        }
    }
}

/// Where an action acts: the role's live session, the open case, who acts.
async fn scope(ctx: &Context, role: &RoleArn, region: &str) -> Result<actions::Scope, AwsError> {
    let aws = ctx.aws.get().await;
    let Some(case) = ctx.journal.case() else {
        return Err(AwsError::new(ErrorKind::Other, "acting", role.to_string())
            .with_message("no case is open; :case open ID first"));
    };
    let actor = match ctx.journal.actor() {
        Some(a) => a,
        None => {
            let me = caller_identity(&aws).await?;
            ctx.journal.set_actor(&me.arn);
            me.arn
        }
    };
    Ok(actions::Scope {
        target: RoleTarget::new(
            aws.clone(),
            ctx.store.provider(role),
            ctx.settings.defaults.page_size,
        ),
        aws,
        account_name: ctx
            .settings
            .account(role.account_id())
            .and_then(|a| a.name.clone()),
        role: role.clone(),
        region: region.to_string(),
        journal: ctx.journal.clone(),
        case_id: case.id.to_string(),
        actor,
        case: ctx.settings.case.clone(),
        defaults: ctx.settings.defaults.clone(),
    })
}

/// A running action's steps, sent to the UI as they are done.
struct Steps {
    reply: Reply,
    n: u64,
}

impl actions::Progress for Steps {
    fn step(&self, text: String) {
        self.reply.tell(Msg::ActionStep { n: self.n, text });
    }
}

/// The refresher's way to assume: through STS, each renewal recorded in the case log first (a
/// renewal that cannot be recorded fails, and is retried; the session on screen stays).
pub struct RecordedAssumer {
    pub aws: LazyAws,
    pub journal: Journal,
}

impl Assumer for RecordedAssumer {
    async fn assume(&self, params: &AssumeParams) -> Result<Session, AwsError> {
        let aws: Aws = self.aws.get().await;
        self.journal.check().map_err(log_error)?;
        let result = assume_role(&aws, params).await;
        self.journal
            .record(&aws, records::assumed("session.refresh", params, &result))
            .await
            .map_err(log_error)?;
        result
    }
}
