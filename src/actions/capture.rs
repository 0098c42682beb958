//! Capture: what an instance shows of itself, saved in a folder of its own in the case folder,
//! `evidence/<instance>/<UTC time, 20261129T213000Z>/`, with each file's SHA-256 in the log:
//! its description (JSON, read at capture time), its console output (decoded), and a screenshot
//! of its console where the API gives one. A capture never replaces an earlier one's files.
//! Nothing about the instance changes (unless `wake`, which sends it a keystroke to take the
//! screenshot).

use std::path::{Path, PathBuf};

use serde_json::json;

use super::{checked, Action, Facts as AnyFacts, Outcome, Plan, Progress, Scope, Steps};
use crate::aws::act::{capture, network};
use crate::aws::{AwsError, ErrorKind};
use crate::case::Record;
use crate::files::{file_hash, write_atomically};
use crate::resources::describe_instance;
use crate::resources::Instance;

#[derive(Debug, Clone)]
pub struct Facts {
    /// As the plan found it; the run describes it again, and saves that.
    pub instance: Instance,
    /// `evidence/<instance>/` in the case folder: each capture makes a folder of its own in it.
    pub dir: PathBuf,
    pub wake: bool,
}

/// How a capture's folder is named: the UTC time it starts, to the second.
const FOLDER_TIME: &str = "%Y%m%dT%H%M%SZ";

pub async fn plan(scope: &Scope, action: Action) -> Result<Plan, AwsError> {
    let Action::Capture { instance, wake } = &action else {
        return Err(AwsError::new(ErrorKind::Other, "planning", "capture"));
    };
    let t = &scope.target;
    let region = &scope.region;
    let found = describe_instance(t, region, instance)
        .await?
        .ok_or_else(|| {
            AwsError::new(
                ErrorKind::Other,
                "DescribeInstances",
                format!("region {region}"),
            )
            .with_message(format!("no instance {instance} in this account and region"))
        })?;
    let Some(case) = scope.journal.case() else {
        return Err(AwsError::new(ErrorKind::Other, "planning", "capture")
            .with_message("no case is open: captures go into the case folder"));
    };
    let dir = case.dir.join("evidence").join(instance);
    // GetConsoleOutput is a read, made now: a refusal is explained before anything is written.
    crate::aws::act::capture::console_output(t, region, instance)
        .await
        .map(|_| ())
        .map_err(|e| scope.denied(e, "ec2:GetConsoleOutput"))?;
    // GetConsoleScreenshot takes DryRun (with WakeUp as the run sends it): a refusal stops the
    // plan; an instance type without screenshots is said, and the rest is captured.
    let screenshot = match capture::check_screenshot(t, region, instance, *wake).await {
        Ok(()) => "checked: DryRun".to_string(),
        Err(e) if e.kind == ErrorKind::AccessDenied => {
            return Err(scope.denied(e, "ec2:GetConsoleScreenshot"))
        }
        Err(e) => format!(
            "not checked before the run: the DryRun answered {}",
            e.code.clone().unwrap_or_else(|| e.message.clone())
        ),
    };
    let calls = vec![
        checked(
            format!(
                "ec2:DescribeInstances {instance}, twice (its description, its network interfaces), at capture time → instance.json"
            ),
            "a read",
        ),
        checked(
            format!("ec2:GetConsoleOutput {instance} Latest=true → console.log (decoded)"),
            "checked: a read, made now",
        ),
        checked(
            format!(
                "ec2:GetConsoleScreenshot {instance} WakeUp={wake} → screenshot.jpg (where the instance type gives one)"
            ),
            &screenshot,
        ),
        "each file's SHA-256 into the case log".into(),
    ];
    let mut notes = vec![format!(
        "files go to a folder of this capture's own, {}/<UTC time it starts, like {}>/: earlier captures stay as they are",
        dir.display(),
        chrono::Utc::now().format(FOLDER_TIME)
    )];
    if *wake {
        notes
            .push("WakeUp sends the instance a keystroke: a (small) change to it, recorded".into());
    }
    let title = format!(
        "Capture {instance}{}",
        if found.name.is_empty() {
            String::new()
        } else {
            format!(" ({})", found.name)
        }
    );
    let resources = vec![format!("instance {instance}, {}", found.state)];
    let wake = *wake;
    Ok(Plan {
        resources,
        calls,
        notes,
        facts: AnyFacts::Capture(Box::new(Facts {
            instance: found,
            dir,
            wake,
        })),
        ..scope.plan(action, title)
    })
}

/// Writes one evidence file and records its hash.
async fn save(
    steps: &mut Steps<'_>,
    dir: &std::path::Path,
    name: &str,
    bytes: &[u8],
    instance: &str,
    what: &str,
) -> Result<(), AwsError> {
    let path = dir.join(name);
    let io = |e: std::io::Error| {
        AwsError::new(
            ErrorKind::Other,
            "writing evidence",
            path.display().to_string(),
        )
        .with_message(e.to_string())
    };
    if path.exists() {
        // Never over evidence already hashed in the log.
        return Err(io(std::io::Error::new(
            std::io::ErrorKind::AlreadyExists,
            "a file of that name is there already; it is left as it is",
        )));
    }
    write_atomically(&path, bytes).map_err(io)?;
    steps.made(path.display().to_string());
    let sha = file_hash(bytes);
    let record = Record::new("capture.file")
        .targets([instance.to_string()])
        .params(json!({ "what": what }))
        .result(json!({ "path": path, "sha256": sha, "bytes": bytes.len() }));
    steps
        .done(
            format!("saved {what} as {} ({} bytes)", path.display(), bytes.len()),
            record,
        )
        .await
}

/// Makes the folder of one capture, `<dir>/<UTC time>/`, private; never one that exists (two
/// captures in the same second: `…Z-2`, `…Z-3`, …).
fn capture_dir(dir: &Path) -> Result<PathBuf, AwsError> {
    let err = |path: &Path, e: String| {
        AwsError::new(
            ErrorKind::Other,
            "writing evidence",
            path.display().to_string(),
        )
        .with_message(e)
    };
    crate::case::export::private_dir(dir).map_err(|e| err(dir, e.to_string()))?;
    let stamp = chrono::Utc::now().format(FOLDER_TIME).to_string();
    for n in 1..=100 {
        let path = if n == 1 {
            dir.join(&stamp)
        } else {
            dir.join(format!("{stamp}-{n}"))
        };
        // Made, and its name made durable in the instance's folder, before anything is put in it.
        match crate::files::create_new_private_dir(&path) {
            Ok(()) => return Ok(path),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(err(&path, e.to_string())),
        }
    }
    Err(err(
        dir,
        format!("no free folder name for {stamp}: 100 captures this second"),
    ))
}

pub async fn run(scope: &Scope, f: Facts, progress: &dyn Progress) -> Outcome {
    let mut steps = Steps::new(scope, progress);
    let t = &scope.target;
    let region = scope.region.as_str();
    let id = f.instance.instance_id.clone();
    let all = vec![
        "instance.json".to_string(),
        "console.log".to_string(),
        "screenshot.jpg".to_string(),
    ];
    // The instance as it is now, not as the plan found it: that is the evidence.
    let described = match describe_instance(t, region, &id).await {
        Ok(Some(instance)) => network::describe(t, region, &id)
            .await
            .map(|net| (instance, net)),
        Ok(None) => Err(
            AwsError::new(ErrorKind::Other, "DescribeInstances", id.clone()).with_message(format!(
                "instance {id} is no longer in this account and region"
            )),
        ),
        Err(e) => Err(e),
    };
    let (instance, net) = match described {
        Ok(d) => d,
        Err(e) => {
            return steps
                .fail(e, Record::new("capture.describe").targets([id]), all)
                .await
        }
    };
    let dir = match capture_dir(&f.dir) {
        Ok(d) => d,
        Err(e) => {
            return steps
                .fail(e, Record::new("capture.file").targets([id]), all)
                .await
        }
    };
    let description = json!({
        "instance": instance,
        "network": net,
        "captured_at": super::now(),
        "captured_by": scope.actor,
        "account_id": scope.role.account_id(),
        "role_arn": scope.role.to_string(),
        "region": region,
    });
    let text = serde_json::to_vec_pretty(&description).unwrap_or_default();
    if let Err(e) = save(
        &mut steps,
        &dir,
        "instance.json",
        &text,
        &id,
        "the instance's description",
    )
    .await
    {
        return steps
            .fail(e, Record::new("capture.file").targets([id]), all)
            .await;
    }
    let mut missing = Vec::new();
    match capture::console_output(t, region, &id).await {
        Ok(Some(bytes)) => {
            if let Err(e) = save(
                &mut steps,
                &dir,
                "console.log",
                &bytes,
                &id,
                "the console output",
            )
            .await
            {
                return steps
                    .fail(
                        e,
                        Record::new("capture.file").targets([id]),
                        all[1..].to_vec(),
                    )
                    .await;
            }
        }
        Ok(None) => missing.push("console.log: the instance has no console output yet".to_string()),
        Err(e) => missing.push(format!("console.log: {e}")),
    }
    match capture::console_screenshot(t, region, &id, f.wake).await {
        Ok(bytes) => {
            if let Err(e) = save(
                &mut steps,
                &dir,
                "screenshot.jpg",
                &bytes,
                &id,
                "a console screenshot",
            )
            .await
            {
                return steps
                    .fail(e, Record::new("capture.file").targets([id]), vec![])
                    .await;
            }
        }
        Err(e) => missing.push(format!(
            "screenshot.jpg: {} (not every instance type gives one)",
            e.code.clone().unwrap_or_else(|| e.to_string())
        )),
    }
    if !missing.is_empty() {
        let record = Record::new("capture.missing")
            .targets([id.clone()])
            .result(json!({ "missing": missing }));
        if let Err(e) = steps
            .done(format!("not saved: {}", missing.join("; ")), record)
            .await
        {
            return steps.fail(e, Record::new("capture.log"), vec![]).await;
        }
    }
    let mut outcome = steps.finish(json!({
        "instance_id": id,
        "dir": dir,
        "files": outcome_files(&dir),
        "missing": missing,
    }));
    outcome.not_done = missing;
    outcome
}

fn outcome_files(dir: &std::path::Path) -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.ends_with(".tmp"))
        .collect();
    files.sort();
    files
}
