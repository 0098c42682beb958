//! `rolecall doctor`: each step of assuming a role checked, with what to fix. The checks are
//! here; `report` prints them.

mod report;

use serde::Serialize;

pub use report::doctor;

use crate::aws::assume::{access_denied_hint, assume_fresh, chained_cap, CHAINED_MAX_SECONDS};
use crate::aws::credentials::TokenCode;
use crate::aws::discovery::max_session_duration;
use crate::aws::ec2::describe_regions;
use crate::aws::identity::{caller_identity, Identity};
use crate::aws::policy::Verdict;
use crate::aws::target::RoleTarget;
use crate::aws::{Aws, ErrorKind, FALLBACK_REGION};
use crate::cli::print::rfc3339;
use crate::cli::roles::chosen;
use crate::config::Config;
use crate::roles::{self, Known, Role};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Warn,
    Fail,
}

/// One step of `rolecall doctor`.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// The role it is about; `None` for the primary side.
    pub role: Option<String>,
    pub check: &'static str,
    pub status: Status,
    pub detail: String,
    pub fix: Option<String>,
}

struct Report {
    checks: Vec<Check>,
    role: Option<String>,
}

impl Report {
    fn add(
        &mut self,
        check: &'static str,
        status: Status,
        detail: impl Into<String>,
        fix: Option<String>,
    ) {
        self.checks.push(Check {
            role: self.role.clone(),
            check,
            status,
            detail: detail.into(),
            fix,
        });
    }
}

/// Where the primary credentials come from, as far as the environment tells.
fn credential_source(profile: Option<&str>) -> String {
    if std::env::var_os("AWS_ACCESS_KEY_ID").is_some() {
        "the environment (AWS_ACCESS_KEY_ID)".into()
    } else if let Some(p) = profile {
        format!("profile {p} of the AWS config files")
    } else if std::env::var_os("AWS_WEB_IDENTITY_TOKEN_FILE").is_some() {
        "web identity (AWS_WEB_IDENTITY_TOKEN_FILE)".into()
    } else if std::env::var_os("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI").is_some()
        || std::env::var_os("AWS_CONTAINER_CREDENTIALS_FULL_URI").is_some()
    {
        "the container's credentials endpoint".into()
    } else {
        "the default chain (default profile, SSO, or the instance role)".into()
    }
}

/// Each `[[sso]]` portal: is there a token (as `aws sso login` or `rolecall login` keeps it),
/// until when, and can it be refreshed. No call: reading the portal is the roles' check.
fn check_sso(r: &mut Report, config: &crate::config::Config) {
    let files = crate::aws::profiles::ProfileFiles::read();
    for entry in &config.sso {
        let name = "IAM Identity Center";
        let label = entry.label();
        let portal = match files
            .as_ref()
            .map_err(Clone::clone)
            .and_then(|f| crate::sso::portal(entry, f))
        {
            Ok(p) => p,
            Err(e) => {
                r.add(
                    name,
                    Status::Fail,
                    e,
                    Some("fix [[sso]] or the [sso-session] of ~/.aws/config".into()),
                );
                continue;
            }
        };
        match crate::aws::sso::token_status(&portal) {
            Ok((until, refreshable)) if until > chrono::Utc::now() => r.add(
                name,
                Status::Ok,
                format!(
                    "{label}: signed in until {}{}",
                    crate::time::rfc3339(&until),
                    if refreshable { ", refreshable" } else { "" }
                ),
                None,
            ),
            Ok((until, true)) => r.add(
                name,
                Status::Ok,
                format!(
                    "{label}: the token ended {}; its refresh token renews it at the next call",
                    crate::time::rfc3339(&until)
                ),
                None,
            ),
            Ok((until, false)) => r.add(
                name,
                Status::Fail,
                format!(
                    "{label}: the token ended {} and cannot be refreshed",
                    crate::time::rfc3339(&until)
                ),
                Some(portal.login_hint()),
            ),
            Err(e) => r.add(
                name,
                Status::Fail,
                format!("{label}: {e}"),
                Some(portal.login_hint()),
            ),
        }
    }
}

/// Every check, in order; a failed step stops the ones that need it.
pub async fn run_checks(
    ctx: &crate::cli::Ctx,
    aws: &Aws,
    profile: Option<&str>,
    role: Option<&str>,
    token_code: Option<TokenCode>,
) -> Vec<Check> {
    let config = &ctx.config;
    let mut r = Report {
        checks: Vec::new(),
        role: None,
    };
    check_sso(&mut r, config);
    let source = credential_source(profile);
    match aws.find_credentials().await {
        Ok(found) => r.add(
            "credentials",
            Status::Ok,
            format!(
                "found in {source}{}",
                if found.temporary {
                    "; temporary (session token)"
                } else {
                    ""
                }
            ),
            None,
        ),
        Err(_) if aws.sso_only() => {
            r.add(
                "credentials",
                Status::Warn,
                "no primary credentials: rolecall works through IAM Identity Center alone",
                None,
            );
            return r.checks;
        }
        Err(e) => {
            r.add(
                "credentials",
                Status::Fail,
                format!("none found ({e})"),
                Some("set AWS_PROFILE (see ~/.aws/config) or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, run aws sso login, or run where an instance role is attached".into()),
            );
            return r.checks;
        }
    }
    // Behind a TLS-inspecting proxy: which CA bundle the calls trust (a failure says so too).
    if let Some(bundle) = crate::aws::ca_bundle::in_use() {
        r.add(
            "CA bundle",
            Status::Ok,
            format!(
                "{} certificate(s) of {bundle}, trusted besides the system's",
                bundle.len()
            ),
            None,
        );
    }
    let primary: Identity = match caller_identity(aws).await {
        Ok(id) => {
            r.add(
                "primary identity",
                Status::Ok,
                format!("{} (account {})", id.arn, id.account),
                None,
            );
            id
        }
        Err(e) => {
            r.add(
                "primary identity",
                Status::Fail,
                e.to_string(),
                e.hint.clone(),
            );
            return r.checks;
        }
    };
    // The organizations are read now, not from the cache: can the identity read them?
    let orgs = crate::organization::Reader {
        freshness: crate::organization::Freshness::Reread,
        ..ctx.orgs(aws, &primary)
    };
    let known = roles::discover(config, &orgs).await;
    for o in &known.organizations {
        check_organization(&mut r, o);
    }
    match &known.discovery.analysis {
        Some(a) => r.add(
            "identity policies",
            Status::Ok,
            format!(
                "read for {}: {} role(s) listed in full, {} pattern(s), {} deny(s)",
                known.discovery.caller.describe(),
                a.allowed.len(),
                a.wildcards.len(),
                a.denied.len()
            ),
            None,
        ),
        None => r.add(
            "identity policies",
            Status::Warn,
            known.discovery.warnings.first().cloned().unwrap_or_default(),
            Some("allow the caller iam:ListRolePolicies, iam:GetRolePolicy, iam:ListAttachedRolePolicies, iam:GetPolicy, iam:GetPolicyVersion on itself (users: the User and Group equivalents), or configure the roles".into()),
        ),
    }
    for w in known
        .warnings
        .iter()
        .filter(|w| w.contains("pattern") || w.contains("denied"))
    {
        r.add("identity policies", Status::Warn, w.clone(), None);
    }
    let roles = match chosen(config, &known, role) {
        // An organization's roles are one role deployed everywhere: one of them is checked,
        // not a thousand.
        Ok(roles) if role.is_none() => {
            let (org, mut own): (Vec<Role>, Vec<Role>) = roles
                .into_iter()
                .partition(|r| r.source == roles::RoleSource::Organization);
            if org.len() > 1 {
                r.add(
                    "organization",
                    Status::Ok,
                    format!(
                        "{} of its {} roles checked below; the others are the same role in other accounts",
                        org[0].arn,
                        org.len()
                    ),
                    Some("rolecall doctor NAME checks another one".into()),
                );
            }
            own.extend(org.into_iter().next());
            own
        }
        Ok(roles) => roles,
        Err(e) => {
            r.add("role", Status::Fail, e.to_string(), Some("give a full role ARN (arn:aws:iam::123456789012:role/NAME) or a known name (rolecall roles lists them)".into()));
            return r.checks;
        }
    };
    if roles.is_empty() {
        r.add(
            "roles",
            Status::Warn,
            "no roles known: none configured, in AWS config profiles, or in your policies",
            Some("rolecall doctor arn:aws:iam::123456789012:role/NAME checks one".into()),
        );
    }
    for role in roles {
        r.role = Some(format!("{} ({})", role.arn, role.source.as_str()));
        check_role(
            &mut r,
            config,
            aws,
            &primary,
            &known,
            &role,
            token_code.clone(),
        )
        .await;
    }
    r.checks
}

/// What one `[[organization]]` gave: how many accounts, read as whom, or why it could not be read.
fn check_organization(r: &mut Report, o: &crate::organization::Report) {
    let name = "organization";
    let role = &o.role_name;
    match (&o.error, &o.list) {
        (Some(e), list) => r.add(
            name,
            Status::Warn,
            format!(
                "role {role}: organizations:ListAccounts as {} failed: {e}{}",
                o.read_as,
                match list {
                    Some(l) => format!(
                        "; the list read at {} is used",
                        crate::cli::print::rfc3339(&l.read_at)
                    ),
                    None => String::new(),
                }
            ),
            e.hint.clone(),
        ),
        (None, Some(l)) if l.accounts.is_empty() => r.add(
            name,
            Status::Warn,
            format!("role {role}: read as {}, the organization lists no accounts", o.read_as),
            Some("read it as a role in the management account (or a delegated administrator account): set `via`".into()),
        ),
        (None, Some(l)) => r.add(
            name,
            Status::Ok,
            format!(
                "role {role}: {} accounts read as {}: {} role{} ({} suspended, {} excluded left out)",
                l.accounts.len(),
                l.read_by,
                o.active,
                if o.active == 1 { "" } else { "s" },
                o.inactive,
                o.excluded
            ),
            None,
        ),
        (None, None) => {}
    }
}

async fn check_role(
    r: &mut Report,
    config: &Config,
    aws: &Aws,
    primary: &Identity,
    known: &Known,
    role: &Role,
    token_code: Option<TokenCode>,
) {
    r.add(
        "role ARN",
        Status::Ok,
        format!(
            "well formed: account {}, role {}",
            role.arn.account_id(),
            role.arn.name_with_path()
        ),
        None,
    );
    identity_policy(r, known, role);

    let requested = role.duration(&config.defaults);
    let duration = match chained_cap(requested, primary.is_assumed_role()) {
        Some(cap) => {
            r.add(
                "session duration",
                Status::Warn,
                format!("{requested} s asked, but the caller is a role session: AWS grants chained sessions at most {CHAINED_MAX_SECONDS} s, so rolecall asks for {cap} s"),
                Some("set duration_seconds to 3600 or less for this role, or run from long-term credentials".into()),
            );
            cap
        }
        None => requested,
    };

    let token = match (&role.mfa_serial, token_code) {
        (Some(_), Some(code)) => Some(code),
        (Some(serial), None) => {
            r.add(
                "AssumeRole",
                Status::Warn,
                format!("not tried: the role needs a code from MFA device {serial}"),
                Some(format!("rolecall doctor {} --token-code 123456", role.arn)),
            );
            return;
        }
        (None, _) => None,
    };
    let params = role.assume_params(&config.defaults, Some(duration), token);
    // Asked of AWS, not taken from the session cache: the check is that AssumeRole works.
    let session = match assume_fresh(aws, &params).await {
        Ok(s) => {
            let mut needs = Vec::new();
            if role.external_id.is_some() {
                needs.push("external ID");
            }
            if role.mfa_serial.is_some() {
                needs.push("MFA");
            }
            r.add(
                "AssumeRole",
                Status::Ok,
                format!(
                    "assumed as {}{}; expires {}",
                    s.assumed_role_arn,
                    if needs.is_empty() {
                        String::new()
                    } else {
                        format!(" (with {})", needs.join(" and "))
                    },
                    rfc3339(&s.expiration)
                ),
                None,
            );
            s
        }
        Err(e) => {
            let fix = match e.kind {
                ErrorKind::AccessDenied => Some(access_denied_hint(&params)),
                _ => e.hint.clone(),
            };
            let duration_problem =
                e.message.contains("DurationSeconds") || e.message.contains("MaxSessionDuration");
            r.add("AssumeRole", Status::Fail, e.to_string(), fix);
            if duration_problem {
                r.add(
                    "session duration",
                    Status::Fail,
                    format!("{duration} s is more than the role allows"),
                    Some(
                        "lower duration_seconds, or raise the role's Maximum session duration"
                            .into(),
                    ),
                );
            }
            return;
        }
    };

    let region = role
        .regions(&config.defaults)
        .into_iter()
        .next()
        .unwrap_or_else(|| FALLBACK_REGION.into());
    let credentials = session.credentials.provider();
    let target = RoleTarget::new(aws.clone(), credentials.clone(), config.defaults.page_size);
    match describe_regions(&target, &region).await {
        Ok(regions) => r.add("read in the account", Status::Ok, format!("ec2:DescribeRegions in {region}: {} regions visible", regions.len()), None),
        Err(e) => r.add("read in the account", Status::Fail, e.to_string(), e.hint.clone().or_else(|| Some("give the role a policy allowing ec2:Describe* (the AWS managed ReadOnlyAccess covers it)".into()))),
    }
    check_actions(r, &target, &region).await;
    check_iam_actions(r, &target, &region, &role.arn.to_string()).await;
    match max_session_duration(aws, &credentials, &role.arn).await {
        Ok(max) if duration > max => r.add(
            "session duration",
            Status::Fail,
            format!("rolecall asks for {duration} s but the role's maximum session duration is {max} s"),
            Some(format!("set duration_seconds to {max} or less, or raise the role's Maximum session duration")),
        ),
        Ok(max) => r.add("session duration", Status::Ok, format!("{duration} s asked; the role allows up to {max} s"), None),
        Err(e) => r.add(
            "session duration",
            Status::Warn,
            format!("the role's maximum could not be read ({}); {duration} s was granted", e.code.as_deref().unwrap_or("error")),
            None,
        ),
    }
}

/// Whether the caller's identity policies let it assume the role, as discovery read them.
fn identity_policy(r: &mut Report, known: &Known, role: &Role) {
    match known
        .discovery
        .analysis
        .as_ref()
        .map(|a| a.verdict(&role.arn))
    {
        Some(Verdict::Allowed { policy }) => r.add(
            "identity policy",
            Status::Ok,
            format!("sts:AssumeRole allowed by {policy}"),
            None,
        ),
        Some(Verdict::AllowedByPattern { pattern, policy }) => r.add(
            "identity policy",
            Status::Warn,
            format!("allowed only by the pattern {pattern} in {policy}"),
            Some(format!(
                "list {} in full (rolecall policy prints the policy)",
                role.arn
            )),
        ),
        Some(Verdict::Denied { pattern, policy }) => r.add(
            "identity policy",
            Status::Fail,
            format!("sts:AssumeRole is denied by {policy} ({pattern})"),
            Some("remove or narrow that Deny statement".into()),
        ),
        Some(Verdict::NotAllowed) => r.add(
            "identity policy",
            Status::Fail,
            format!(
                "no identity policy of {} allows sts:AssumeRole on {}",
                known.discovery.caller.describe(),
                role.arn
            ),
            Some(format!(
                "attach the permission policy from `rolecall policy {}`",
                role.arn
            )),
        ),
        None => r.add(
            "identity policy",
            Status::Warn,
            "not checked: the caller's policies could not be read",
            None,
        ),
    }
}

/// Which identity actions the role may run. IAM has no DryRun: the role's own policies are run
/// through IAM's simulator (`iam:SimulatePrincipalPolicy`, which the role may not be allowed to
/// call; then this says it could not check). The simulator sees identity policies, not SCPs.
async fn check_iam_actions(r: &mut Report, target: &RoleTarget, region: &str, role: &str) {
    use crate::actions::policy::ACTIONS;
    let asked: Vec<&crate::actions::policy::Needs> = ACTIONS
        .iter()
        .filter(|n| n.calls.iter().all(|c| c.starts_with("iam:")))
        .collect();
    let calls: Vec<&str> = asked
        .iter()
        .flat_map(|n| n.calls.iter().copied())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let answers = match crate::aws::iam::simulate(target, region, role, &calls).await {
        Ok(a) => a,
        Err(e) => {
            r.add(
                "identity actions",
                Status::Warn,
                format!("could not check (IAM has no DryRun, and its policy simulator answered: {e})"),
                Some("allow iam:SimulatePrincipalPolicy on the role itself to let doctor check them; rolecall policy --actions lists what each needs".into()),
            );
            return;
        }
    };
    for n in asked {
        let denied: Vec<&str> = n
            .calls
            .iter()
            .copied()
            .filter(|c| {
                !answers
                    .iter()
                    .any(|(a, d)| a.eq_ignore_ascii_case(c) && d == "allowed")
            })
            .collect();
        let check = match n.action {
            "isolate --access-key" => "action isolate --access-key",
            "isolate --user" => "action isolate --user",
            "isolate --role" => "action isolate --role",
            _ => "IAM reads (whois, users, iam-roles)",
        };
        if denied.is_empty() {
            r.add(
                check,
                Status::Ok,
                format!("may: {} (IAM's policy simulator)", n.calls.join(", ")),
                None,
            );
        } else {
            r.add(
                check,
                Status::Warn,
                format!("may not: {} (IAM's policy simulator)", denied.join(", ")),
                crate::actions::probe::statement_for(n.action).map(|s| {
                    format!("add to the role's permission policy {s} (rolecall policy --actions prints them all)")
                }),
            );
        }
    }
}

/// Which responder actions the role may run, tried with DryRun on one of its instances. A role
/// that may not act is no fault (a read-only role is a choice), so refusals are warnings.
async fn check_actions(r: &mut Report, target: &RoleTarget, region: &str) {
    use crate::actions::probe::{probe, statement_for};
    let probed = match probe(target, region).await {
        Ok(Some(p)) => p,
        Ok(None) => {
            r.add(
                "actions",
                Status::Warn,
                format!("not checked: no running or stopped instance in {region} to try DryRun on"),
                None,
            );
            return;
        }
        Err(e) => {
            r.add(
                "actions",
                Status::Warn,
                format!("not checked: {e}"),
                e.hint.clone(),
            );
            return;
        }
    };
    for a in &probed.actions {
        let check = match a.action {
            "snapshot" => "action snapshot",
            "isolate" => "action isolate",
            _ => "action capture",
        };
        let on = format!(
            "tried on {} in {region}, changes with DryRun",
            probed.instance
        );
        let denied = a.denied();
        let unknown = a.unknown();
        if !denied.is_empty() {
            r.add(
                check,
                Status::Warn,
                format!("may not: {} refused ({on})", denied.join(", ")),
                statement_for(a.action).map(|s| {
                    format!(
                        "add to the role's permission policy {s} (rolecall policy --actions prints them all)"
                    )
                }),
            );
        } else if let Some((api, e)) = unknown.first() {
            r.add(
                check,
                Status::Warn,
                format!("could not tell: {api}: {e}"),
                e.hint.clone(),
            );
        } else {
            let apis: Vec<&str> = a.calls.iter().map(|c| c.api).collect();
            r.add(
                check,
                Status::Ok,
                format!("may: {} allowed ({on})", apis.join(", ")),
                None,
            );
        }
    }
}
