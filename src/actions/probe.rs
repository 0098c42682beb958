//! Which responder actions a role may run, found the way the actions themselves find out:
//! each change they make tried with `DryRun` on one of the account's own instances, so
//! nothing changes (for `rolecall doctor`). Reads are made for real. KMS has no DryRun and
//! sharing needs a snapshot, so `share` is not probed.

use super::policy::ACTIONS;
use crate::aws::act::{capture, evidence, network};
use crate::aws::target::RoleTarget;
use crate::aws::{AwsError, ErrorKind};

/// What one call said.
#[derive(Debug, Clone)]
pub enum Answer {
    /// `DryRunOperation` (or, for a read, an answer): the role may.
    Allowed,
    /// AccessDenied / UnauthorizedOperation: the role may not.
    Denied(AwsError),
    /// Anything else: not known.
    Unknown(AwsError),
}

/// One call tried for one action.
#[derive(Debug, Clone)]
pub struct Call {
    pub api: &'static str,
    pub answer: Answer,
}

/// An action and its calls, as tried.
#[derive(Debug, Clone)]
pub struct ActionProbe {
    pub action: &'static str,
    pub calls: Vec<Call>,
}

impl ActionProbe {
    /// The calls the role may not make.
    pub fn denied(&self) -> Vec<&'static str> {
        self.calls
            .iter()
            .filter(|c| matches!(c.answer, Answer::Denied(_)))
            .map(|c| c.api)
            .collect()
    }

    /// The calls whose answer told nothing, with it.
    pub fn unknown(&self) -> Vec<(&'static str, &AwsError)> {
        self.calls
            .iter()
            .filter_map(|c| match &c.answer {
                Answer::Unknown(e) => Some((c.api, e)),
                _ => None,
            })
            .collect()
    }
}

/// What a probe found: the instance it tried on, and each action's calls.
#[derive(Debug, Clone)]
pub struct Probed {
    pub instance: String,
    pub actions: Vec<ActionProbe>,
}

fn answer<T>(result: Result<Option<T>, AwsError>) -> Answer {
    match result {
        Ok(_) => Answer::Allowed,
        Err(e)
            if e.kind == ErrorKind::AccessDenied
                || e.code.as_deref() == Some("UnauthorizedOperation") =>
        {
            Answer::Denied(e)
        }
        Err(e) => Answer::Unknown(e),
    }
}

/// Tries the actions' calls in `region` on one of its instances; `None` when the region has
/// none to try on.
pub async fn probe(t: &RoleTarget, region: &str) -> Result<Option<Probed>, AwsError> {
    let Some(net) = network::sample(t, region).await? else {
        return Ok(None);
    };
    let i = net.instance_id.as_str();
    let mark = vec![("rolecall:doctor".to_string(), "dry-run".to_string())];
    let mut snapshot = vec![
        Call {
            api: "ec2:CreateSnapshots",
            answer: answer(
                evidence::create_snapshots(t, region, i, "rolecall doctor", &mark, true).await,
            ),
        },
        Call {
            api: "ec2:CreateTags",
            answer: answer(network::tag(t, region, i, &mark, true).await),
        },
    ];
    if let Some(v) = net.volumes.first() {
        snapshot.push(Call {
            api: "ec2:CreateSnapshot",
            answer: answer(
                evidence::create_snapshot(t, region, &v.volume_id, "rolecall doctor", &mark, true)
                    .await,
            ),
        });
    }
    let mut isolate = vec![Call {
        api: "ec2:ModifyInstanceAttribute",
        answer: answer(network::protect_from_termination(t, region, i, true).await),
    }];
    if let Some(eni) = net.interfaces.first() {
        isolate.push(Call {
            api: "ec2:CreateSecurityGroup",
            answer: answer(
                network::create_group(
                    t,
                    region,
                    &eni.vpc_id,
                    "rolecall-doctor-check",
                    "rolecall doctor: DryRun only",
                    &mark,
                    true,
                )
                .await,
            ),
        });
        // The quarantine group's outbound rule is revoked as isolation runs: checked on a
        // group the instance has (DryRun, nothing changes).
        if let Some(g) = eni.groups.first() {
            isolate.push(Call {
                api: "ec2:RevokeSecurityGroupEgress",
                answer: answer(network::check_revoke_egress(t, region, g).await.map(Some)),
            });
        }
        isolate.push(Call {
            api: "ec2:ModifyNetworkInterfaceAttribute",
            answer: answer(network::set_groups(t, region, &eni.id, &eni.groups, true).await),
        });
    }
    let capture = vec![Call {
        api: "ec2:GetConsoleOutput",
        answer: answer(capture::console_output(t, region, i).await.map(Some)),
    }];
    let actions = [
        ("snapshot", snapshot),
        ("isolate", isolate),
        ("capture", capture),
    ]
    .into_iter()
    .map(|(action, calls)| ActionProbe { action, calls })
    .collect();
    Ok(Some(Probed {
        instance: net.instance_id,
        actions,
    }))
}

/// The statement of `rolecall policy --actions` for `action`, as one line of JSON.
pub fn statement_for(action: &str) -> Option<String> {
    let i = ACTIONS.iter().position(|n| n.action == action)?;
    super::policy::statements(ACTIONS)
        .get(i)
        .map(ToString::to_string)
}
