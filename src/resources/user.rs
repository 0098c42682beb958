//! IAM users: each with its access keys (status, last use), console access, MFA, groups and
//! policies. IAM is global: listed once per account. Read in `crate::aws::iam` (shared with
//! `whois` and the identity actions); this file is how they show.

use std::future::Future;

use chrono::{DateTime, Utc};

use super::fields::{age, column, field, look, one_role_only, Field, Look};
use super::fields::{or_dash, search_lines, time_text, when_text};
use super::{About, DetailLine, Details, Kind, Lookup, Reach, Resource};
use crate::aws::iam::{list_users, Depth, KeyFacts, PolicyRef};
use crate::aws::target::{Listing, RegionFailure, RoleTarget};

pub use crate::aws::iam::UserFacts as User;

/// The region IAM's calls are signed for, when a role has none.
pub(super) const IAM_REGION: &str = "us-east-1";

/// Where a global kind's rows (and failures) are: not in a region.
pub(super) const GLOBAL: &str = "global";

fn known(b: Option<bool>) -> String {
    match b {
        Some(true) => "yes",
        Some(false) => "no",
        None => "?",
    }
    .to_string()
}

/// "2 (1 active)".
fn keys_cell(keys: &[KeyFacts]) -> String {
    if keys.is_empty() {
        return "-".into();
    }
    let active = keys.iter().filter(|k| k.status == "Active").count();
    format!("{} ({active} active)", keys.len())
}

/// "AKIA…:Active:2026-11-30T10:00:00Z;…" (the CSV's): the last use empty when never, `?` when
/// it could not be read.
pub(super) fn keys_text(keys: &[KeyFacts]) -> String {
    keys.iter()
        .map(|k| {
            let used = k
                .last_used
                .as_ref()
                .map_or_else(|| "?".to_string(), |u| time_text(&u.date));
            format!("{}:{}:{used}", k.access_key_id, k.status)
        })
        .collect::<Vec<_>>()
        .join(";")
}

pub(super) fn policies_text(p: &[PolicyRef]) -> String {
    p.iter().map(PolicyRef::text).collect::<Vec<_>>().join(";")
}

impl Resource for User {
    const KIND: Kind = Kind::Users;
    const ABOUT: About = About {
        one: "IAM user",
        noun: "IAM users",
        command: "users",
        aliases: &["user", "iam-users"],
        key: Some('u'),
        reach: Reach::Global,
        window: None,
        id_prefix: "",
    };

    #[rustfmt::skip]
    const FIELDS: &'static [Field<User>] = &[
        Field { name: "user_name", value: |u| u.user_name.clone(),
            column: look(column("USER", 20, 0, |u, _| u.user_name.clone(), |a, b| a.user_name.cmp(&b.user_name)), Look::Name) },
        Field { name: "access_keys", value: |u| keys_text(&u.access_keys),
            column: column("KEYS", 12, 0, |u, _| keys_cell(&u.access_keys), |a, b| a.access_keys.len().cmp(&b.access_keys.len())) },
        Field { name: "console_access", value: |u| u.console_access.map(|b| b.to_string()).unwrap_or_default(),
            column: column("CONSOLE", 7, 3, |u, _| known(u.console_access), |a, b| a.console_access.cmp(&b.console_access)) },
        Field { name: "mfa", value: |u| u.mfa.as_ref().map(|m| m.join(";")).unwrap_or_default(),
            column: column("MFA", 4, 4, |u, _| known(u.mfa.as_ref().map(|m| !m.is_empty())), |a, b| a.mfa.cmp(&b.mfa)) },
        Field { name: "last_activity", value: |u| time_text(&u.last_activity),
            column: column("ACTIVE", 7, 0, |u, now| age(u.last_activity.as_ref(), now), |a, b| a.last_activity.cmp(&b.last_activity)) },
        Field { name: "created", value: |u| time_text(&u.created),
            column: column("AGE", 5, 2, |u, now| age(u.created.as_ref(), now), |a, b| a.created.cmp(&b.created)) },
        Field { name: "groups", value: |u| u.groups.as_ref().map(|g| g.join(";")).unwrap_or_default(),
            column: one_role_only(column("GROUPS", 20, 1, |u, _| u.groups.as_ref().map_or("?".into(), |g| or_dash(&g.join(","))), |a, b| a.groups.cmp(&b.groups))) },
        field("arn", |u| u.arn.clone()),
        field("user_id", |u| u.user_id.clone()),
        field("path", |u| u.path.clone()),
        field("password_last_used", |u| time_text(&u.password_last_used)),
        field("policies", |u| u.policies.as_deref().map(policies_text).unwrap_or_default()),
    ];

    fn id(&self) -> &str {
        &self.user_name
    }

    fn region(&self) -> &str {
        GLOBAL
    }

    fn search_text(&self) -> String {
        let fields = [self.user_name.as_str(), &self.arn, &self.user_id];
        search_lines(
            fields
                .into_iter()
                .chain(self.access_keys.iter().map(|k| k.access_key_id.as_str()))
                .chain(self.groups.iter().flatten().map(String::as_str))
                .chain(self.policies.iter().flatten().map(|p| p.name.as_str())),
            &Default::default(),
        )
    }

    fn list(target: &RoleTarget, regions: &[String]) -> impl Future<Output = Listing<Self>> + Send {
        iam_listing(regions, move |region| async move {
            let u = list_users(target, &region, Depth::Full).await?;
            Ok((u.users, u.errors))
        })
    }

    fn details(&self, _ctx: &Lookup) -> Details {
        details(self)
    }

    fn example() -> Self {
        let t = DateTime::parse_from_rfc3339("2026-11-30T10:00:00Z")
            .map(|t| t.with_timezone(&Utc))
            .ok();
        User {
            user_name: "ci-deploy".into(),
            arn: "arn:aws:iam::222222222222:user/ci-deploy".into(),
            user_id: "AIDAEXAMPLEUSERID0001".into(),
            path: "/".into(),
            created: t,
            password_last_used: None,
            console_access: Some(false),
            mfa: Some(Vec::new()),
            access_keys: vec![KeyFacts {
                access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
                status: "Active".into(),
                created: t,
                last_used: Some(crate::aws::iam::KeyUse {
                    date: t,
                    service: Some("s3".into()),
                    region: Some("us-east-1".into()),
                }),
            }],
            groups: Some(vec!["deployers".into()]),
            policies: Some(vec![PolicyRef {
                name: "AmazonS3FullAccess".into(),
                arn: Some("arn:aws:iam::aws:policy/AmazonS3FullAccess".into()),
            }]),
            last_activity: t,
        }
    }

    fn console_page(id: &str) -> (&'static str, String) {
        ("iam", format!("#/users/details/{id}"))
    }

    fn check_id(id: &str) -> Result<(), String> {
        crate::aws::act::ids::iam_name(id, "user")
            .map_err(|_| "a user name: 1 to 64 letters, digits and +=,.@_-".to_string())
    }
}

/// Failures of a kind listed once per account: not in a region.
/// What could not be read of rows that were listed (a key's last use, a user's groups): notes,
/// not failures, so the rows still show, with what is unknown marked `?`.
pub(super) fn unread_notes(errors: Vec<crate::aws::AwsError>) -> Vec<String> {
    errors
        .into_iter()
        .map(|e| {
            let hint = e
                .hint
                .clone()
                .map(|h| format!(" ({h})"))
                .unwrap_or_default();
            format!("{e}{hint}: what it would have said is shown as unknown (?)")
        })
        .collect()
}

/// What an IAM kind lists: once per account, with IAM signed for the role's first region.
/// `read` gives the rows and what could not be read of them (said as notes: the rows show it
/// as unknown), or why nothing could be listed (the account's one failure).
pub(super) async fn iam_listing<T, F, Fut>(regions: &[String], read: F) -> Listing<T>
where
    F: FnOnce(String) -> Fut,
    Fut: Future<Output = Result<(Vec<T>, Vec<crate::aws::AwsError>), crate::aws::AwsError>>,
{
    let region = regions
        .first()
        .cloned()
        .unwrap_or_else(|| IAM_REGION.into());
    match read(region).await {
        Ok((items, unread)) => Listing {
            items,
            notes: unread_notes(unread),
            ..Listing::default()
        },
        Err(error) => Listing {
            failures: vec![RegionFailure {
                region: GLOBAL.into(),
                error,
            }],
            ..Listing::default()
        },
    }
}

fn when(t: &Option<DateTime<Utc>>) -> String {
    when_text(t.as_ref())
}

fn details(u: &User) -> Details {
    let pair = DetailLine::pair;
    let left = vec![
        pair("user", u.user_name.clone()),
        pair("arn", u.arn.clone()),
        pair("created", when(&u.created)),
        pair("console", known(u.console_access)),
        pair("password used", when(&u.password_last_used)),
        pair(
            "mfa",
            match &u.mfa {
                Some(m) if m.is_empty() => "none".into(),
                Some(m) => m.join(", "),
                None => "?".into(),
            },
        ),
        pair(
            "groups",
            match &u.groups {
                Some(g) if g.is_empty() => "none".into(),
                Some(g) => g.join(", "),
                None => "? (not read)".into(),
            },
        ),
    ];
    let mut right = vec![DetailLine::section("access keys")];
    if u.access_keys.is_empty() {
        right.push(DetailLine::Text("none".into()));
    }
    for k in &u.access_keys {
        right.push(DetailLine::Text(format!(
            "{}  {}",
            k.access_key_id, k.status
        )));
        right.push(DetailLine::Text(format!("  created {}", when(&k.created))));
        right.push(DetailLine::Text(match &k.last_used {
            Some(used) if used.date.is_some() => format!(
                "  last used {} ({} in {})",
                when(&used.date),
                used.service.as_deref().unwrap_or("?"),
                used.region.as_deref().unwrap_or("?")
            ),
            Some(_) => "  never used".into(),
            None => "  last use not read".into(),
        }));
    }
    right.push(DetailLine::section("policies"));
    match &u.policies {
        None => right.push(DetailLine::Text("? (not read)".into())),
        Some(p) if p.is_empty() => right.push(DetailLine::Text("none".into())),
        Some(p) => right.extend(p.iter().map(|p| DetailLine::Text(p.text()))),
    }
    Details {
        title: format!(" {} ", u.user_name),
        left,
        right,
    }
}
