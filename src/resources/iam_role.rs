//! IAM roles: who may assume each (its trust policy's principals), when it was last used, its
//! policies and instance profiles, and whether AWS manages it. Listed once per account
//! (`iam:GetAccountAuthorizationDetails`, read in `crate::aws::iam`).

use std::future::Future;

use chrono::{DateTime, Utc};

use super::fields::when_text;
use super::fields::{age, column, field, look, one_role_only, Field, Look};
use super::fields::{opt, or_dash, search_lines, time_text};
use super::user::{iam_listing, policies_text, GLOBAL};
use super::{About, DetailLine, Details, Kind, Lookup, Reach, Resource};
use crate::aws::iam::{list_roles, PolicyRef};
use crate::aws::target::{Listing, RoleTarget};

pub use crate::aws::iam::RoleFacts as IamRole;

/// "AWS:arn:aws:iam::111111111111:root" → "111111111111:root"; services and others as they are.
fn short(p: &str) -> String {
    match p.strip_prefix("AWS:arn:") {
        // partition:iam::ACCOUNT:RESOURCE → ACCOUNT:RESOURCE
        Some(rest) => rest
            .splitn(4, ':')
            .nth(3)
            .map_or(p.to_string(), str::to_string),
        None => p.strip_prefix("Service:").map_or(p.to_string(), |s| {
            s.trim_end_matches(".amazonaws.com").to_string()
        }),
    }
}

impl Resource for IamRole {
    const KIND: Kind = Kind::IamRoles;
    const ABOUT: About = About {
        one: "IAM role",
        noun: "IAM roles",
        command: "iam-roles",
        aliases: &["iam-role"],
        key: None,
        reach: Reach::Global,
        window: None,
        id_prefix: "",
    };

    #[rustfmt::skip]
    const FIELDS: &'static [Field<IamRole>] = &[
        Field { name: "role_name", value: |r| r.role_name.clone(),
            column: look(column("ROLE", 26, 0, |r, _| r.role_name.clone(), |a, b| a.role_name.cmp(&b.role_name)), Look::Name) },
        Field { name: "trusted", value: |r| r.trusted.join(";"),
            column: column("TRUSTED", 30, 0, |r, _| or_dash(&r.trusted.iter().map(|p| short(p)).collect::<Vec<_>>().join(",")), |a, b| a.trusted.cmp(&b.trusted)) },
        Field { name: "last_used", value: |r| time_text(&r.last_used),
            column: column("USED", 5, 0, |r, now| age(r.last_used.as_ref(), now), |a, b| a.last_used.cmp(&b.last_used)) },
        Field { name: "created", value: |r| time_text(&r.created),
            column: column("AGE", 5, 2, |r, now| age(r.created.as_ref(), now), |a, b| a.created.cmp(&b.created)) },
        Field { name: "aws_managed", value: |r| opt(&r.aws_managed),
            column: one_role_only(column("AWS", 3, 1, |r, _| if r.aws_managed.is_some() { "yes" } else { "no" }.into(), |a, b| a.aws_managed.is_some().cmp(&b.aws_managed.is_some()))) },
        field("arn", |r| r.arn.clone()),
        field("path", |r| r.path.clone()),
        field("last_used_region", |r| opt(&r.last_used_region)),
        field("max_session_duration", |r| r.max_session_duration.map(|d| d.to_string()).unwrap_or_default()),
        field("policies", |r| policies_text(&r.policies)),
        field("instance_profiles", |r| r.instance_profiles.join(";")),
    ];

    fn id(&self) -> &str {
        &self.role_name
    }

    fn region(&self) -> &str {
        GLOBAL
    }

    fn search_text(&self) -> String {
        search_lines(
            [self.role_name.as_str(), &self.arn, &self.path]
                .into_iter()
                .chain(self.trusted.iter().map(String::as_str))
                .chain(self.policies.iter().map(|p| p.name.as_str()))
                .chain(self.instance_profiles.iter().map(String::as_str)),
            &Default::default(),
        )
    }

    fn list(target: &RoleTarget, regions: &[String]) -> impl Future<Output = Listing<Self>> + Send {
        iam_listing(regions, move |region| async move {
            Ok((list_roles(target, &region).await?, Vec::new()))
        })
    }

    fn details(&self, _ctx: &Lookup) -> Details {
        let pair = DetailLine::pair;
        let when = |t: &Option<DateTime<Utc>>| when_text(t.as_ref());
        let mut left = vec![
            pair("role", self.role_name.clone()),
            pair("arn", self.arn.clone()),
            pair("created", when(&self.created)),
            pair(
                "last used",
                match &self.last_used_region {
                    Some(r) => format!("{} in {r}", when(&self.last_used)),
                    None => when(&self.last_used),
                },
            ),
            pair("instance profiles", self.instance_profiles.join(", ")),
        ];
        if let Some(why) = &self.aws_managed {
            left.push(pair("managed by AWS", why.clone()));
        }
        let mut right = vec![DetailLine::section("trusted (may assume it)")];
        right.extend(self.trusted.iter().map(|p| DetailLine::Text(p.clone())));
        right.push(DetailLine::section("policies"));
        right.extend(self.policies.iter().map(|p| DetailLine::Text(p.text())));
        Details {
            title: format!(" {} ", self.role_name),
            left,
            right,
        }
    }

    fn example() -> Self {
        let t = DateTime::parse_from_rfc3339("2026-11-30T10:00:00Z")
            .map(|t| t.with_timezone(&Utc))
            .ok();
        IamRole {
            role_name: "WebAppRole".into(),
            arn: "arn:aws:iam::222222222222:role/WebAppRole".into(),
            path: "/".into(),
            created: t,
            trusted: vec!["Service:ec2.amazonaws.com".into()],
            last_used: t,
            last_used_region: Some("us-east-1".into()),
            max_session_duration: Some(3600),
            policies: vec![PolicyRef {
                name: "AmazonS3ReadOnlyAccess".into(),
                arn: Some("arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess".into()),
            }],
            instance_profiles: vec!["WebAppProfile".into()],
            aws_managed: None,
        }
    }

    fn console_page(id: &str) -> (&'static str, String) {
        ("iam", format!("#/roles/details/{id}"))
    }

    fn check_id(id: &str) -> Result<(), String> {
        crate::aws::act::ids::iam_name(id, "role")
            .map_err(|_| "a role name: 1 to 64 letters, digits and +=,.@_-".to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn principals_shortened_for_the_table() {
        assert_eq!(
            short("AWS:arn:aws:iam::111111111111:root"),
            "111111111111:root"
        );
        assert_eq!(short("Service:ec2.amazonaws.com"), "ec2");
        assert_eq!(short("*"), "*");
    }
}
