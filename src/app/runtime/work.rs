//! What each job does: the AWS calls behind a `Work`, turned into answers. All of the TUI's I/O
//! with AWS happens here, in tasks, never in the UI loop.

use std::time::Duration;

use futures::StreamExt;

use super::jobs::Reply;
use crate::app::effect::Work;
use crate::app::msg::{Answer, Listed, Msg, Rows, SessionMeta};
use crate::app::state::search_keys;
use crate::aws::arn::RoleArn;
use crate::aws::assume::{assume_role, AssumeParams};
use crate::aws::console::{self, Destination, SignIn};
use crate::aws::ec2::{Ec2Target, Listable};
use crate::aws::identity::caller_identity;
use crate::aws::sessions::SessionStore;
use crate::aws::{AwsError, ErrorKind, LazyAws};
use crate::config::Config;
use crate::inventory::{self, Part, Target};
use crate::resources::{AccountRow, Failure, Instance, Kind, Resource, Volume};

/// What jobs work with: the primary identity's AWS setup (loaded once, by the first job that
/// needs it), the sessions, and the settings.
#[derive(Clone)]
pub struct Context {
    pub aws: LazyAws,
    pub store: SessionStore,
    pub settings: Config,
}

impl Context {
    /// Where and as whom to list a role's resources: its credentials come from the store on
    /// every call, so a refresh in the middle of a listing is picked up.
    async fn target(&self, role: &RoleArn) -> Ec2Target {
        Ec2Target::new(
            self.aws.get().await,
            self.store.provider(role),
            self.settings.defaults.page_size,
        )
    }

    /// Assumes a role and hands the session to the store (whose refresher keeps it alive); the
    /// UI gets what it may know of it.
    async fn start_session(
        &self,
        params: &AssumeParams,
        refresh_before: Duration,
    ) -> Result<SessionMeta, AwsError> {
        let session = assume_role(&self.aws.get().await, params).await?;
        let meta = SessionMeta {
            assumed_arn: session.assumed_role_arn.clone(),
            expiration: session.expiration,
        };
        self.store.insert(session, params, refresh_before);
        Ok(meta)
    }
}

pub async fn run(ctx: Context, work: Work, reply: Reply) {
    match work {
        Work::Identity => {
            let result = caller_identity(&ctx.aws.get().await).await;
            reply.answer(Answer::Identity(result));
        }
        Work::Discover(identity) => {
            let known =
                crate::roles::discover(&ctx.settings, &ctx.aws.get().await, &identity).await;
            let groups = crate::roles::group(&ctx.settings, known.roles);
            reply.answer(Answer::Discovered {
                groups,
                warnings: known.warnings,
            });
        }
        Work::Assume {
            role,
            token_code,
            duration,
        } => {
            let defaults = &ctx.settings.defaults;
            let params = role.assume_params(defaults, duration, token_code);
            let result = ctx
                .start_session(&params, role.refresh_before(defaults))
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
        } => match kind {
            Kind::Instances => {
                list::<Instance>(&ctx, role, regions, &reply, Listed::Instances).await
            }
            Kind::Volumes => list::<Volume>(&ctx, role, regions, &reply, Listed::Volumes).await,
        },
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
            match kind {
                Kind::Instances => every.list::<Instance>(targets, Listed::EveryInstance).await,
                Kind::Volumes => every.list::<Volume>(targets, Listed::EveryVolume).await,
            }
        }
        Work::Console {
            role,
            destination,
            open,
        } => {
            let result = sign_in(&ctx, &role, &destination, open).await;
            reply.answer(Answer::Console { role, result });
        }
    }
}

/// A role's resources in its regions, with its live session.
async fn list<T: Resource + Listable>(
    ctx: &Context,
    role: RoleArn,
    regions: Vec<String>,
    reply: &Reply,
    wrap: fn(Rows<T>) -> Listed,
) {
    let listing = T::list(&ctx.target(&role).await, &regions).await;
    let failures: Vec<Failure> = listing
        .failures
        .into_iter()
        .map(|f| Failure::new(&role, Some(f.region), f.error))
        .collect();
    let keys = search_keys(&listing.items);
    reply.answer(Answer::Listed(wrap(Rows {
        ok: failures.len() < regions.len(),
        rows: listing.items,
        keys,
        failures,
    })));
}

/// Federated sign-in with the role's live session.
async fn sign_in(
    ctx: &Context,
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
    let timeout = Duration::from_secs(ctx.settings.defaults.timeout_seconds.into());
    let endpoint = ctx.settings.console.federation_endpoint.as_ref();
    console::sign_in(
        role,
        &session.credentials,
        endpoint,
        destination,
        timeout,
        open,
    )
    .await
}

/// An every-account listing: assumes the roles without a session (each new session goes to
/// the store, where the refresher keeps it, and to the UI as `Msg::Session`), then lists each
/// account, `concurrency` at a time, answering with each account's rows as soon as they are in.
struct Every {
    ctx: Context,
    reply: Reply,
    assume: Vec<(RoleArn, Option<u32>)>,
    concurrency: usize,
}

impl Every {
    async fn list<T: Resource + Listable>(
        self,
        targets: Vec<Target>,
        wrap: fn(Rows<AccountRow<T>>) -> Listed,
    ) {
        let Every {
            ctx,
            reply,
            assume,
            concurrency,
        } = self;
        let base = ctx.aws.get().await;
        let defaults = &ctx.settings.defaults;
        let session = |t: &Target| {
            let plan = assume
                .iter()
                .find(|(arn, _)| arn == &t.role.arn)
                .map(|a| a.1);
            let role = t.role.clone();
            let (ctx, reply) = (ctx.clone(), reply.clone());
            async move {
                if let Some(duration) = plan {
                    let params = role.assume_params(&ctx.settings.defaults, duration, None);
                    let refresh_before = role.refresh_before(&ctx.settings.defaults);
                    let result = ctx.start_session(&params, refresh_before).await;
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
        let page_size = defaults.page_size;
        let with = |credentials, regions: Vec<String>| {
            let target = Ec2Target::new(base.clone(), credentials, page_size);
            async move { T::list(&target, &regions).await }
        };
        let mut parts = std::pin::pin!(inventory::parts(targets, concurrency, session, with));
        while let Some(Part { rows, failures, ok }) = parts.next().await {
            let keys = search_keys(&rows);
            if !reply.answer(Answer::Listed(wrap(Rows {
                rows,
                keys,
                failures,
                ok,
            }))) {
                break;
            }
        }
    }
}
