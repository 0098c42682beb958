//! What each action writes into the log, said once for the CLI and the TUI. Never a secret: no
//! keys, tokens, sign-in links or MFA codes; only that they were used.

use serde_json::json;

use super::Record;
use crate::aws::arn::RoleArn;
use crate::aws::assume::{AssumeParams, Session};
use crate::aws::console::Destination;
use crate::aws::AwsError;
use crate::resources::Failure;

/// An AssumeRole (`action`: `assume`, or `session.refresh` when the refresher renewed it).
pub fn assumed(action: &str, params: &AssumeParams, result: &Result<Session, AwsError>) -> Record {
    let record = Record::new(action).role(&params.role_arn).params(json!({
        "session_name": params.session_name,
        "duration_seconds": params.duration_seconds,
        "external_id": params.external_id.is_some(),
        "mfa": params.token_code.is_some(),
    }));
    match result {
        Ok(s) => record
            .session(&s.assumed_role_arn)
            .result(json!({ "expiration": crate::time::rfc3339(&s.expiration) })),
        Err(e) => record.failed(e),
    }
}

/// A listing of a role's `what` in `regions`: how many rows, which regions failed.
pub fn listed(
    role: &RoleArn,
    what: &str,
    regions: &[String],
    rows: usize,
    failures: &[Failure],
) -> Record {
    let failed: Vec<_> = failures
        .iter()
        .map(|f| json!({ "region": f.region, "error": f.code() }))
        .collect();
    Record::new("list")
        .role(role)
        .params(json!({
            "what": what,
            "regions": regions,
        }))
        .result(json!({ "rows": rows, "failed": failed }))
}

/// A switch-role link was copied or printed (it holds no credentials).
pub fn switch_link(role: &RoleArn, url: &str) -> Record {
    Record::new("link.switch-role")
        .role(role)
        .params(json!({ "url": url }))
}

/// A federated console sign-in was made as `role`: for whom, where, and how it was used
/// (`opened`, `copied`, `printed`) — never the link, which is a credential.
pub fn signed_in(
    role: &RoleArn,
    session_arn: Option<&str>,
    destination: &Destination,
    how: &str,
) -> Record {
    let mut r = Record::new("console.signin").role(role).params(json!({
        "destination": destination.url(role.partition()),
        "link": how,
    }));
    if let Some(region) = &destination.region {
        r = r.region(region);
    }
    if let Some(s) = session_arn {
        r = r.session(s);
    }
    r
}

/// An export's files: where, how many rows, and their hashes.
pub fn exported(view: &str, e: &super::export::Exported) -> Record {
    Record::new("export")
        .params(json!({ "view": view }))
        .result(json!({
            "rows": e.rows,
            "files": [
                { "path": e.csv, "sha256": e.csv_sha256 },
                { "path": e.json, "sha256": e.json_sha256 },
            ],
        }))
}
