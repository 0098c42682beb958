//! IAM access keys, a row each: whose key, its status, when it was made and last used (date,
//! service, region). Listed once per account, from its users (`crate::aws::iam`): the row `X`
//! deactivates, and where a key id typed into `/` lands in every account at once.

use std::future::Future;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::fields::{age, column, look, Field, Look};
use super::fields::{opt, or_dash, or_empty, search_lines, time_text, when_text};
use super::user::{iam_listing, GLOBAL};
use super::{About, DetailLine, Details, Kind, Lookup, Reach, Resource};
use crate::aws::iam::{list_users, Depth, KeyUse};
use crate::aws::target::{Listing, RoleTarget};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccessKey {
    pub access_key_id: String,
    pub user_name: String,
    pub user_arn: String,
    /// `Active` or `Inactive`.
    pub status: String,
    pub created: Option<DateTime<Utc>>,
    /// When it was last used (`None`: never, or not read: see `last_used_read`), by which
    /// service, in which region.
    pub last_used: Option<DateTime<Utc>>,
    /// Its last use was read (`iam:GetAccessKeyLastUsed` answered): when false, an empty
    /// `last_used` is unknown, not never.
    pub last_used_read: bool,
    pub last_used_service: Option<String>,
    pub last_used_region: Option<String>,
}

impl AccessKey {
    fn of(user: &str, arn: &str, k: crate::aws::iam::KeyFacts) -> AccessKey {
        let last_used_read = k.last_used.is_some();
        let used = k.last_used.unwrap_or(KeyUse {
            date: None,
            service: None,
            region: None,
        });
        AccessKey {
            access_key_id: k.access_key_id,
            user_name: user.to_string(),
            user_arn: arn.to_string(),
            status: k.status,
            created: k.created,
            last_used: used.date,
            last_used_read,
            last_used_service: used.service,
            last_used_region: used.region,
        }
    }
}

fn used(k: &AccessKey) -> Option<&DateTime<Utc>> {
    k.last_used.as_ref()
}

impl Resource for AccessKey {
    const KIND: Kind = Kind::AccessKeys;
    const ABOUT: About = About {
        one: "access key",
        noun: "access keys",
        command: "access-keys",
        aliases: &["keys", "key"],
        key: None,
        reach: Reach::Global,
        window: None,
        id_prefix: "AKIA",
    };

    #[rustfmt::skip]
    const FIELDS: &'static [Field<AccessKey>] = &[
        Field { name: "access_key_id", value: |k| k.access_key_id.clone(),
            column: column("ACCESS KEY", 20, 0, |k, _| k.access_key_id.clone(), |a, b| a.access_key_id.cmp(&b.access_key_id)) },
        Field { name: "user_name", value: |k| k.user_name.clone(),
            column: look(column("USER", 18, 0, |k, _| k.user_name.clone(), |a, b| a.user_name.cmp(&b.user_name)), Look::Name) },
        Field { name: "status", value: |k| k.status.clone(),
            column: look(column("STATUS", 8, 0, |k, _| k.status.to_lowercase(), |a, b| a.status.cmp(&b.status)), Look::State) },
        Field { name: "last_used", value: |k| time_text(&k.last_used),
            column: column("USED", 5, 0, |k, now| if k.last_used_read { age(used(k), now) } else { "?".into() }, |a, b| used(a).cmp(&used(b))) },
        Field { name: "last_used_read", value: |k| k.last_used_read.to_string(),
            column: None },
        Field { name: "last_used_service", value: |k| opt(&k.last_used_service),
            column: column("BY", 8, 3, |k, _| or_dash(&opt(&k.last_used_service)), |a, b| a.last_used_service.cmp(&b.last_used_service)) },
        Field { name: "last_used_region", value: |k| opt(&k.last_used_region),
            column: column("FROM", 10, 4, |k, _| or_dash(&opt(&k.last_used_region)), |a, b| a.last_used_region.cmp(&b.last_used_region)) },
        Field { name: "created", value: |k| time_text(&k.created),
            column: column("AGE", 5, 2, |k, now| age(k.created.as_ref(), now), |a, b| a.created.cmp(&b.created)) },
        Field { name: "user_arn", value: |k| k.user_arn.clone(),
            column: None },
    ];

    fn id(&self) -> &str {
        &self.access_key_id
    }

    fn region(&self) -> &str {
        GLOBAL
    }

    fn search_text(&self) -> String {
        search_lines(
            [
                self.access_key_id.as_str(),
                &self.user_name,
                &self.user_arn,
                &self.status,
                or_empty(&self.last_used_service),
                or_empty(&self.last_used_region),
            ]
            .into_iter(),
            &Default::default(),
        )
    }

    fn list(target: &RoleTarget, regions: &[String]) -> impl Future<Output = Listing<Self>> + Send {
        iam_listing(regions, move |region| async move {
            let u = list_users(target, &region, Depth::Keys).await?;
            let mut items: Vec<AccessKey> = u
                .users
                .into_iter()
                .flat_map(|user| {
                    let (name, arn) = (user.user_name, user.arn);
                    user.access_keys
                        .into_iter()
                        .map(move |k| AccessKey::of(&name, &arn, k))
                })
                .collect();
            items.sort_by(|a, b| {
                (&a.user_name, &a.access_key_id).cmp(&(&b.user_name, &b.access_key_id))
            });
            Ok((items, u.errors))
        })
    }

    fn details(&self, _ctx: &Lookup) -> Details {
        let pair = DetailLine::pair;
        let when = when_text;
        Details {
            title: format!(" {} {} ", self.access_key_id, self.user_name),
            left: vec![
                pair("access key", self.access_key_id.clone()),
                pair("user", self.user_name.clone()),
                pair("user arn", self.user_arn.clone()),
                pair("status", self.status.clone()),
                pair("created", when(self.created.as_ref())),
            ],
            right: vec![
                DetailLine::section("last used"),
                pair(
                    "when",
                    if self.last_used_read {
                        when(used(self))
                    } else {
                        "not read (iam:GetAccessKeyLastUsed failed)".into()
                    },
                ),
                pair("service", opt(&self.last_used_service)),
                pair("region", opt(&self.last_used_region)),
            ],
        }
    }

    fn example() -> Self {
        let t = DateTime::parse_from_rfc3339("2026-11-30T10:00:00Z")
            .map(|t| t.with_timezone(&Utc))
            .ok();
        AccessKey {
            access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
            user_name: "ci-deploy".into(),
            user_arn: "arn:aws:iam::222222222222:user/ci-deploy".into(),
            status: "Active".into(),
            created: t,
            last_used: t,
            last_used_read: true,
            last_used_service: Some("s3".into()),
            last_used_region: Some("us-east-1".into()),
        }
    }

    fn console_page(id: &str) -> (&'static str, String) {
        // The IAM console has no page per key: its user's security credentials list it.
        ("iam", format!("#/users?filter={id}"))
    }

    fn check_id(id: &str) -> Result<(), String> {
        crate::aws::act::ids::access_key(id)
            .map_err(|_| "AKIA and 16 upper-case letters and digits".to_string())
    }
}
