//! Responder actions: preserve evidence (`snapshot`), contain an instance (`isolate`, and
//! `release` to undo it), save what it shows (`capture`), set a finding's workflow status
//! (`finding-status`, `--undo` to put it back). For the CLI and the TUI alike.
//!
//! Held to a forensic standard: nothing runs unless a case is open and `read_only` is off; a
//! [`plan`] is made first from reads alone, with every change it will make named and checked
//! with `DryRun` (a refusal says which permission is missing and the statement to add); the
//! caller shows it and asks; [`run`] then does each step, recording it in the case log before
//! it is reported, and stops at the first failure, saying what was and was not done and naming
//! what it made.

pub mod capture;
pub mod finding;
pub mod identity;
pub mod isolate;
pub mod policy;
pub mod probe;
pub mod snapshot;

use serde::Serialize;

use crate::aws::arn::RoleArn;
use crate::aws::target::RoleTarget;
use crate::aws::{Aws, AwsError, ErrorKind};
use crate::case::{Journal, Record};
use crate::config::{CaseConfig, Defaults};

/// What to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "lowercase")]
pub enum Action {
    /// Snapshot every volume of an instance, or one volume; share with `share_with` (else the
    /// case's forensic account) when there is one.
    Snapshot {
        instance: Option<String>,
        volume: Option<String>,
        share_with: Option<String>,
    },
    /// Swap the instance's security groups for the quarantine group, protect it and its volumes.
    Isolate { instance: String },
    /// Put back the security groups isolation replaced.
    Release { instance: String },
    /// Save the instance's description, console output and a screenshot.
    Capture { instance: String, wake: bool },
    /// Contain an identity: a key deactivated, a user denied everything, a role's older
    /// sessions revoked.
    #[serde(rename = "isolate-identity")]
    Contain { identity: identity::Identity },
    /// Undo what `Contain` did, exactly.
    #[serde(rename = "release-identity")]
    Uncontain { identity: identity::Identity },
    /// Set a Security Hub finding's workflow status, with a note (`None`: one naming the case).
    #[serde(rename = "finding-status")]
    FindingStatus {
        finding: String,
        status: String,
        note: Option<String>,
    },
    /// Put back the status (and note) rolecall's last change of the finding replaced.
    #[serde(rename = "release-finding")]
    FindingRestore { finding: String },
}

impl Action {
    pub fn name(&self) -> &'static str {
        match self {
            Action::Snapshot { .. } => "snapshot",
            Action::Isolate { .. } | Action::Contain { .. } => "isolate",
            Action::Release { .. } | Action::Uncontain { .. } | Action::FindingRestore { .. } => {
                "release"
            }
            Action::Capture { .. } => "capture",
            Action::FindingStatus { .. } => "finding-status",
        }
    }

    /// The instance or volume it is about.
    pub fn target(&self) -> &str {
        match self {
            Action::Snapshot {
                instance, volume, ..
            } => instance.as_deref().or(volume.as_deref()).unwrap_or(""),
            Action::Isolate { instance }
            | Action::Release { instance }
            | Action::Capture { instance, .. } => instance,
            Action::Contain { identity } | Action::Uncontain { identity } => identity.id(),
            Action::FindingStatus { finding, .. } | Action::FindingRestore { finding } => finding,
        }
    }
}

/// Why no action may run now, if that is so: rolecall is read-only unless a case is open, and
/// `read_only` refuses them even then.
pub fn refusal(case_open: bool, read_only: bool) -> Option<String> {
    if read_only {
        return Some(
            "read-only: --read-only (or [defaults] read_only = true) refuses every action; run without it to act"
                .into(),
        );
    }
    if !case_open {
        return Some(
            "no case is open, and rolecall changes nothing outside a case: open one (rolecall case open ID, or :case open ID in the TUI) and try again"
                .into(),
        );
    }
    None
}

/// Whom and where an action acts as, and where it is recorded.
#[derive(Clone)]
pub struct Scope {
    /// The primary identity (to assume the forensic role).
    pub aws: Aws,
    /// The role's session in its account.
    pub target: RoleTarget,
    pub role: RoleArn,
    pub account_name: Option<String>,
    pub region: String,
    pub journal: Journal,
    pub case_id: String,
    /// The primary identity's ARN.
    pub actor: String,
    pub case: CaseConfig,
    pub defaults: Defaults,
}

impl Scope {
    /// "222222222222 (prod)".
    pub fn account(&self) -> String {
        match &self.account_name {
            Some(n) => format!("{} ({n})", self.role.account_id()),
            None => self.role.account_id().to_string(),
        }
    }

    /// A plan of `action` in this scope (its account, role, region), to fill in:
    /// `Plan { calls, .. scope.plan(action, title) }`.
    fn plan(&self, action: Action, title: String) -> Plan {
        Plan {
            action,
            title,
            account: self.account(),
            role: self.role.to_string(),
            region: self.region.clone(),
            resources: Vec::new(),
            calls: Vec::new(),
            notes: Vec::new(),
            next: None,
            facts: Facts::None,
        }
    }

    /// Records a step in the case log.
    async fn record(&self, mut record: Record) -> Result<(), AwsError> {
        if record.role_arn.is_none() {
            record = record.role(&self.role);
        }
        if record.region.is_none() {
            record = record.region(&self.region);
        }
        // The case the action was planned in, still open: a case closed (or another opened)
        // meanwhile would take the rest of the steps unrecorded.
        if self.journal.case().map(|c| c.id.to_string()).as_deref() != Some(&self.case_id) {
            return Err(
                AwsError::new(ErrorKind::Other, "writing the case log", "the case file")
                    .with_message(format!(
                        "case {} is no longer the open case, so this step cannot be recorded in it",
                        self.case_id
                    ))
                    .with_hint("reopen the case (rolecall case open ID) and look at what was made"),
            );
        }
        self.journal
            .record(&self.aws, record)
            .await
            .map(|_| ())
            .map_err(|e| {
                AwsError::new(ErrorKind::Other, "writing the case log", "the case file")
                    .with_message(e.to_string())
            })
    }

    /// An AccessDenied (or UnauthorizedOperation) on `api` explained: which permission the role
    /// lacks, and the statement to add to its policy.
    fn denied(&self, e: AwsError, api: &str) -> AwsError {
        if e.kind != ErrorKind::AccessDenied {
            return e;
        }
        let statement = serde_json::json!({
            "Effect": "Allow",
            "Action": api,
            "Resource": "*"
        });
        let hint = format!(
            "role {} may not call {api} in account {}. Add to its permission policy: {statement} (rolecall policy --actions prints what every action needs)",
            self.role,
            self.account()
        );
        e.with_hint(hint)
    }
}

/// What an action will do, made from reads and DryRun checks alone: shown before asking.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub action: Action,
    /// "Snapshot every volume of i-0abc (web-1)".
    pub title: String,
    pub account: String,
    pub role: String,
    pub region: String,
    /// The resources it acts on, a line each.
    pub resources: Vec<String>,
    /// The calls it will make, in order, a line each.
    pub calls: Vec<String>,
    /// What the responder should know before saying yes.
    pub notes: Vec<String>,
    /// What to offer once this is done (in this scope): after an instance is isolated, its
    /// instance role's sessions revoked.
    #[serde(skip)]
    pub next: Option<Action>,
    #[serde(skip)]
    pub facts: Facts,
}

impl Plan {
    /// The plan as lines for a confirmation.
    pub fn lines(&self) -> Vec<String> {
        let mut out = vec![
            self.title.clone(),
            format!(
                "account {}, region {}, as role {}",
                self.account, self.region, self.role
            ),
            String::new(),
        ];
        out.extend(self.resources.iter().map(|r| format!("  {r}")));
        out.push(String::new());
        out.push("calls, in order:".into());
        out.extend(
            self.calls
                .iter()
                .enumerate()
                .map(|(i, c)| format!("  {}. {c}", i + 1)),
        );
        if !self.notes.is_empty() {
            out.push(String::new());
            out.extend(self.notes.iter().map(|n| format!("note: {n}")));
        }
        out
    }
}

/// What each action found while planning, for the run.
#[derive(Debug, Clone, Default)]
pub enum Facts {
    #[default]
    None,
    Snapshot(snapshot::Facts),
    Isolate(isolate::Facts),
    Release(isolate::ReleaseFacts),
    /// Boxed: an instance's whole description.
    Capture(Box<capture::Facts>),
    Identity(identity::Facts),
    Finding(finding::Facts),
}

/// Progress of a running action, as it goes.
pub trait Progress: Send + Sync {
    fn step(&self, text: String);
}

/// Progress nobody watches.
pub struct Quiet;

impl Progress for Quiet {
    fn step(&self, _text: String) {}
}

/// How an action ended: what was done (each step recorded), what was not, what it made.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Outcome {
    pub ok: bool,
    pub done: Vec<String>,
    pub not_done: Vec<String>,
    /// Everything it made (snapshots, copies, groups, keys, files): to find or undo it.
    pub created: Vec<String>,
    pub error: Option<String>,
    /// The action's own result (e.g. the snapshots, as `--json` prints them).
    pub result: serde_json::Value,
    /// What the plan said to offer once it is done ([`Plan::next`]); only when it finished.
    #[serde(skip)]
    pub next: Option<Action>,
}

impl Outcome {
    /// One line for a status bar.
    pub fn summary(&self, action: &Action) -> String {
        match &self.error {
            None => format!(
                "{} of {} done: {}",
                action.name(),
                action.target(),
                self.done.last().cloned().unwrap_or_default()
            ),
            Some(e) => format!(
                "{} of {} stopped after {} step{}: {e}{}",
                action.name(),
                action.target(),
                self.done.len(),
                if self.done.len() == 1 { "" } else { "s" },
                if self.created.is_empty() {
                    String::new()
                } else {
                    format!("; made: {}", self.created.join(", "))
                }
            ),
        }
    }
}

/// Steps as they are done: each recorded before it counts.
struct Steps<'a> {
    scope: &'a Scope,
    progress: &'a dyn Progress,
    outcome: Outcome,
}

impl<'a> Steps<'a> {
    fn new(scope: &'a Scope, progress: &'a dyn Progress) -> Self {
        Steps {
            scope,
            progress,
            outcome: Outcome::default(),
        }
    }

    /// Something was made: it is named in the outcome whatever happens next.
    fn made(&mut self, id: impl Into<String>) {
        self.outcome.created.push(id.into());
    }

    /// A step done: recorded, then reported. A record that cannot be written fails the step.
    async fn done(&mut self, text: impl Into<String>, record: Record) -> Result<(), AwsError> {
        let text = text.into();
        if let Err(e) = self.scope.record(record).await {
            // Done all the same: said, so it is neither lost nor taken for not done.
            self.outcome
                .done
                .push(format!("{text} (done, but not recorded in the case log)"));
            return Err(e);
        }
        self.progress.step(text.clone());
        self.outcome.done.push(text);
        Ok(())
    }

    /// Something the plan named that will not be done, though the action goes on.
    fn skip(&mut self, text: impl Into<String>) {
        let text = text.into();
        self.progress.step(format!("not done: {text}"));
        self.outcome.not_done.push(text);
    }

    fn say(&self, text: impl Into<String>) {
        self.progress.step(text.into());
    }

    /// Stops here: `error` for the step that failed, `not_done` for what is left.
    async fn fail(mut self, e: AwsError, failed: Record, not_done: Vec<String>) -> Outcome {
        // The failure itself is recorded too (when the log can be written).
        let _ = self.scope.record(failed.failed(&e)).await;
        let mut text = e.to_string();
        if let Some(h) = &e.hint {
            text.push_str(" — ");
            text.push_str(h);
        }
        self.outcome.error = Some(text);
        self.outcome.not_done.extend(not_done);
        self.outcome.ok = false;
        self.outcome
    }

    fn finish(mut self, result: serde_json::Value) -> Outcome {
        self.outcome.ok = true;
        self.outcome.result = result;
        self.outcome
    }
}

/// Every id and the region an action is given, checked before any call or path is made of them.
pub fn check_input(region: &str, action: &Action) -> Result<(), AwsError> {
    use crate::aws::act::ids;
    ids::region(region)?;
    match action {
        Action::Snapshot {
            instance,
            volume,
            share_with,
        } => {
            if let Some(i) = instance {
                ids::instance(i)?;
            }
            if let Some(v) = volume {
                ids::volume(v)?;
            }
            if let Some(a) = share_with {
                ids::account(a, "--share-with")?;
            }
            Ok(())
        }
        Action::Isolate { instance }
        | Action::Release { instance }
        | Action::Capture { instance, .. } => ids::instance(instance),
        Action::Contain { identity } | Action::Uncontain { identity } => identity.check(),
        Action::FindingStatus {
            finding,
            status,
            note,
        } => {
            ids::finding_id(finding)?;
            ids::workflow_status(status)?;
            match note {
                Some(n) => ids::finding_note(n),
                None => Ok(()),
            }
        }
        Action::FindingRestore { finding } => ids::finding_id(finding),
    }
}

/// A plan reads, and checks changes with DryRun: whatever stopped it, nothing changed.
fn nothing_changed(planned: Result<Plan, AwsError>) -> Result<Plan, AwsError> {
    planned.map_err(|e| {
        let hint = match &e.hint {
            Some(h) => format!("{h} (nothing was changed)"),
            None => "nothing was changed".to_string(),
        };
        e.with_hint(hint)
    })
}

/// Makes the plan of `action`: reads what it acts on, and checks each change with DryRun.
pub async fn plan(scope: &Scope, action: Action) -> Result<Plan, AwsError> {
    if let Err(e) = check_input(&scope.region, &action) {
        return nothing_changed(Err(e));
    }
    let planned = match &action {
        Action::Snapshot { .. } => snapshot::plan(scope, action).await,
        Action::Isolate { .. } => isolate::plan(scope, action).await,
        Action::Release { .. } => isolate::plan_release(scope, action).await,
        Action::Capture { .. } => capture::plan(scope, action).await,
        Action::Contain { .. } | Action::Uncontain { .. } => identity::plan(scope, action).await,
        Action::FindingStatus { .. } | Action::FindingRestore { .. } => {
            finding::plan(scope, action).await
        }
    };
    nothing_changed(planned)
}

/// `X` in the TUI: an isolation, or a release when rolecall's case logs say it isolated the
/// instance (never its tags); any other action is planned as it is.
pub async fn plan_isolate_or_release(scope: &Scope, action: Action) -> Result<Plan, AwsError> {
    if let Action::Contain { identity } = &action {
        if let Err(e) = check_input(&scope.region, &action) {
            return nothing_changed(Err(e));
        }
        // Released when rolecall's logs say it contained it (and nothing undid that since).
        let action = match identity::history(scope, identity).await {
            Ok((done, _)) if !done.is_empty() => Action::Uncontain {
                identity: identity.clone(),
            },
            Ok(_) => action,
            Err(e) => return nothing_changed(Err(e)),
        };
        return plan(scope, action).await;
    }
    let Action::Isolate { instance } = action else {
        return plan(scope, action).await;
    };
    if let Err(e) = crate::aws::act::ids::region(&scope.region)
        .and_then(|()| crate::aws::act::ids::instance(&instance))
    {
        return nothing_changed(Err(e));
    }
    nothing_changed(isolate::plan_toggle(scope, instance).await)
}

/// Carries out a plan the responder said yes to.
pub async fn run(scope: &Scope, plan: Plan, progress: &dyn Progress) -> Outcome {
    let mut start = Record::new(format!("{}.start", plan.action.name()))
        .targets([plan.action.target().to_string()])
        .params(serde_json::json!({ "calls": plan.calls }));
    start.params["notes"] = serde_json::json!(plan.notes);
    if let Err(e) = scope.record(start).await {
        return Outcome {
            error: Some(format!("{e}: nothing was done")),
            not_done: plan.calls.clone(),
            ..Outcome::default()
        };
    }
    let next = plan.next.clone();
    let mut outcome = match plan.facts {
        Facts::Snapshot(f) => snapshot::run(scope, f, progress).await,
        Facts::Isolate(f) => isolate::run(scope, f, progress).await,
        Facts::Release(f) => isolate::run_release(scope, f, progress).await,
        Facts::Capture(f) => capture::run(scope, *f, progress).await,
        Facts::Identity(f) => identity::run(scope, f, progress).await,
        Facts::Finding(f) => finding::run(scope, f, progress).await,
        Facts::None => Outcome {
            error: Some("nothing to do".into()),
            ..Outcome::default()
        },
    };
    if outcome.error.is_none() {
        outcome.next = next;
    }
    outcome
}

/// A call of a plan, with how it was checked before asking: `checked: DryRun`, `a read`, `not
/// checked before the run: why`. The plan never claims a check it did not make.
pub(crate) fn checked(call: impl Into<String>, how: &str) -> String {
    format!("{} [{how}]", call.into())
}

/// The time, as tags and descriptions have it.
fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}
