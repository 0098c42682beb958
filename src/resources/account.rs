//! Rows of the every-account view and of `--all`: a resource with the account and role it was
//! listed through; and what could not be listed.

use std::cmp::Ordering;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{columns, head, Head, Look, Resource, Tabular};
use crate::aws::AwsError;

/// One row with the account and role it was listed through.
#[derive(Debug, Clone, Serialize)]
pub struct AccountRow<T> {
    pub account_id: String,
    /// The account's name in the config, if it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_name: Option<String>,
    pub role_arn: String,
    #[serde(flatten)]
    pub item: T,
}

/// The every-account table: ACCOUNT, then the resource's columns marked `every`.
fn every<T: Resource>() -> impl Iterator<Item = &'static super::Column<T>> {
    columns::<T>().filter(|c| c.every)
}

impl<T: Resource> Tabular for AccountRow<T> {
    const KIND: super::Kind = <T as Resource>::KIND;

    fn heads() -> Vec<Head> {
        let mut heads = vec![Head {
            title: "ACCOUNT",
            width: 12,
            drop: 0,
        }];
        heads.extend(every::<T>().map(head));
        heads
    }

    /// ACCOUNT shows the account's name, else its id.
    fn cell(&self, column: usize, now: DateTime<Utc>) -> (String, Look) {
        match column {
            0 => (
                self.account_name
                    .clone()
                    .unwrap_or_else(|| self.account_id.clone()),
                Look::Account,
            ),
            c => match every::<T>().nth(c - 1) {
                Some(col) => ((col.cell)(&self.item, now), col.look),
                None => (String::new(), Look::Plain),
            },
        }
    }

    /// ACCOUNT sorts by the name shown (accounts without one by id, after the named ones).
    fn compare(&self, o: &Self, column: usize) -> Ordering {
        let by_item = |c: usize| {
            every::<T>()
                .nth(c)
                .map_or(Ordering::Equal, |col| (col.cmp)(&self.item, &o.item))
                .then_with(|| Resource::id(&self.item).cmp(Resource::id(&o.item)))
        };
        match column {
            0 => (
                self.account_name.is_none(),
                &self.account_name,
                &self.account_id,
            )
                .cmp(&(o.account_name.is_none(), &o.account_name, &o.account_id))
                .then_with(|| by_item(0)),
            c => by_item(c - 1).then_with(|| self.account_id.cmp(&o.account_id)),
        }
    }

    fn id(&self) -> &str {
        Resource::id(&self.item)
    }

    fn region(&self) -> &str {
        Resource::region(&self.item)
    }

    /// The resource's own, then the account id, the account's name and the role's ARN: `/prod`
    /// or `/2222` narrows to one account.
    fn search_text(&self) -> String {
        let mut out = self.item.search_text();
        for f in [
            self.account_id.as_str(),
            self.account_name.as_deref().unwrap_or(""),
            &self.role_arn,
        ] {
            if !f.is_empty() {
                out.push_str(&f.to_lowercase());
                out.push('\n');
            }
        }
        out
    }

    fn account_id(&self) -> Option<&str> {
        Some(&self.account_id)
    }

    fn role_arn(&self) -> Option<&str> {
        Some(&self.role_arn)
    }

    fn csv_header() -> Vec<&'static str> {
        let mut h = vec!["account_id", "account_name", "role_arn"];
        h.extend(T::FIELDS.iter().map(|f| f.name));
        h
    }

    fn csv_record(&self) -> Vec<String> {
        let mut r = vec![
            self.account_id.clone(),
            self.account_name.clone().unwrap_or_default(),
            self.role_arn.clone(),
        ];
        r.extend(T::FIELDS.iter().map(|f| (f.value)(&self.item)));
        r
    }
}

/// What could not be listed: a whole account (AssumeRole failed, MFA needed) or one region.
#[derive(Debug, Clone)]
pub struct Failure {
    pub account_id: String,
    pub role_arn: String,
    /// `None` when the whole account failed.
    pub region: Option<String>,
    pub error: AwsError,
}

impl Failure {
    pub fn new(role: &crate::aws::arn::RoleArn, region: Option<String>, error: AwsError) -> Self {
        Failure {
            account_id: role.account_id().to_string(),
            role_arn: role.to_string(),
            region,
            error,
        }
    }

    /// An account skipped because every role into it needs an MFA code; `hint` says what to do.
    pub fn needs_mfa(role: &crate::aws::arn::RoleArn, hint: String) -> Self {
        let error = AwsError::new(
            crate::aws::ErrorKind::NeedsMfa,
            "AssumeRole",
            role.to_string(),
        )
        .with_message("skipped: every role into this account needs an MFA code")
        .with_hint(hint);
        Failure::new(role, None, error)
    }

    /// The error's code (`AccessDenied`…), or its kind when AWS gave none: a word for summaries.
    pub fn code(&self) -> String {
        self.error.code_or_kind()
    }

    /// "account 222222222222 region eu-west-1" or "account 222222222222".
    pub fn place(&self) -> String {
        match &self.region {
            Some(r) => format!("account {} region {r}", self.account_id),
            None => format!("account {}", self.account_id),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::{Instance, Volume};

    #[test]
    fn every_account_columns_are_the_resources_own() {
        fn check<T: Resource>() {
            let heads = AccountRow::<T>::heads();
            assert_eq!(heads[0].title, "ACCOUNT");
            assert!(heads.len() <= 9, "1-9 sort by every column");
            let own: Vec<&str> = T::heads().iter().map(|h| h.title).collect();
            assert!(heads[1..].iter().all(|h| own.contains(&h.title)));
        }
        check::<Instance>();
        check::<Volume>();
    }
}
