//! The least permissions each action needs in the role's account, for `rolecall policy
//! --actions` and for the hints of refusals. Describe calls take no resource-level permissions,
//! so everything is `Resource: *` here; narrow it by tags where your organisation does.

use serde_json::{json, Value};

/// An action's name and what it calls.
pub struct Needs {
    pub action: &'static str,
    pub why: &'static str,
    pub calls: &'static [&'static str],
}

pub const ACTIONS: &[Needs] = &[
    Needs {
        action: "snapshot",
        why: "snapshots of an instance's volumes, tagged with the case",
        calls: &[
            "ec2:DescribeInstances",
            "ec2:DescribeVolumes",
            "ec2:DescribeSnapshots",
            "ec2:CreateSnapshot",
            "ec2:CreateSnapshots",
            "ec2:CreateTags",
        ],
    },
    Needs {
        action: "share",
        why: "sharing snapshots with the forensic account, re-encrypted under a key it may use",
        calls: &[
            "ec2:ModifySnapshotAttribute",
            "ec2:DescribeSnapshotAttribute",
            "ec2:CopySnapshot",
            // The copies: tagged as they are made, followed to completed.
            "ec2:CreateTags",
            "ec2:DescribeSnapshots",
            "kms:CreateKey",
            // CreateKey with tags.
            "kms:TagResource",
            "kms:CreateAlias",
            "kms:DescribeKey",
            // A case key found by its alias: does its policy let the forensic account use it?
            "kms:GetKeyPolicy",
            "kms:CreateGrant",
            "kms:Decrypt",
            "kms:ReEncrypt*",
            "kms:GenerateDataKey*",
        ],
    },
    Needs {
        action: "isolate",
        why: "the quarantine group, the interfaces' groups, termination protection (release too)",
        calls: &[
            "ec2:DescribeInstances",
            "ec2:DescribeInstanceAttribute",
            "ec2:DescribeSecurityGroups",
            "ec2:DescribeSecurityGroupRules",
            "ec2:CreateSecurityGroup",
            "ec2:RevokeSecurityGroupEgress",
            "ec2:ModifyNetworkInterfaceAttribute",
            "ec2:ModifyInstanceAttribute",
            "ec2:CreateTags",
        ],
    },
    Needs {
        action: "isolate --access-key",
        why: "an access key set Inactive, found by its id (release: set Active again)",
        calls: &[
            "iam:GetAccessKeyLastUsed",
            "iam:ListAccessKeys",
            "iam:UpdateAccessKey",
        ],
    },
    Needs {
        action: "isolate --user",
        why: "the user's inline deny-all policy, put and checked (release: removed)",
        calls: &[
            "iam:GetUser",
            "iam:ListAccessKeys",
            "iam:GetAccessKeyLastUsed",
            "iam:GetLoginProfile",
            "iam:ListMFADevices",
            "iam:ListGroupsForUser",
            "iam:ListAttachedUserPolicies",
            "iam:ListUserPolicies",
            "iam:GetUserPolicy",
            "iam:PutUserPolicy",
            "iam:DeleteUserPolicy",
        ],
    },
    Needs {
        action: "isolate --role",
        why: "the role's inline policy revoking older sessions, put and checked (release: removed)",
        calls: &[
            "iam:GetRole",
            "iam:GetRolePolicy",
            "iam:PutRolePolicy",
            "iam:DeleteRolePolicy",
        ],
    },
    Needs {
        action: "iam-read",
        why: "reading IAM, for whois, the users, access-keys and iam-roles listings and the plans above",
        calls: &[
            "iam:ListUsers",
            "iam:GetAccountAuthorizationDetails",
            "iam:GetUser",
            "iam:ListAccessKeys",
            "iam:GetAccessKeyLastUsed",
            "iam:GetLoginProfile",
            "iam:ListMFADevices",
            "iam:ListGroupsForUser",
            "iam:ListAttachedUserPolicies",
            "iam:ListUserPolicies",
            "iam:GetRole",
            "iam:GetInstanceProfile",
            // doctor: IAM has no DryRun, its policy simulator says what the role may do.
            "iam:SimulatePrincipalPolicy",
        ],
    },
    Needs {
        action: "capture",
        why: "the instance's description, console output and screenshot",
        calls: &[
            "ec2:DescribeInstances",
            "ec2:GetConsoleOutput",
            "ec2:GetConsoleScreenshot",
        ],
    },
    Needs {
        action: "finding-status",
        why: "a Security Hub finding's workflow status and note, read first and checked after (--undo too)",
        calls: &["securityhub:GetFindings", "securityhub:BatchUpdateFindings"],
    },
];

/// What the primary identity itself (the user or role rolecall runs as, which assumes the
/// others) calls beyond sts:AssumeRole: `sts:GetAccessKeyInfo` names the account of a key for
/// `whois` and `isolate --access-key`. It is an STS call of the caller's own, in no other
/// account, so it is in the primary identity's policy, not in any role's.
pub const PRIMARY: &[Needs] = &[Needs {
    action: "whois",
    why: "the account of an access key (whois; isolate --access-key checks it first)",
    calls: &["sts:GetAccessKeyInfo"],
}];

/// What the forensic account's role (`[case] forensic_role`) does with a shared snapshot: copy
/// it into its account, under its own key, reading the share key the other account granted it.
pub const FORENSIC: &[Needs] = &[Needs {
    action: "forensic-copy",
    why: "copying a shared snapshot into the forensic account",
    calls: &[
        "ec2:CopySnapshot",
        "ec2:DescribeSnapshots",
        "ec2:CreateTags",
        "kms:DescribeKey",
        "kms:CreateGrant",
        "kms:Decrypt",
        "kms:ReEncrypt*",
        "kms:GenerateDataKey*",
    ],
}];

/// One `Allow` statement per action.
pub fn statements(needs: &[Needs]) -> Vec<Value> {
    needs
        .iter()
        .map(|n| {
            let sid: String = n
                .action
                .split(|c: char| !c.is_ascii_alphanumeric())
                .map(|w| {
                    let mut c = w.chars();
                    c.next()
                        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                        .unwrap_or_default()
                })
                .collect();
            json!({
                "Sid": format!("Rolecall{sid}"),
                "Effect": "Allow",
                "Action": n.calls,
                "Resource": "*",
            })
        })
        .collect()
}

/// A policy document of `needs`.
pub fn document(needs: &[Needs]) -> Value {
    json!({ "Version": "2012-10-17", "Statement": statements(needs) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_has_a_named_statement_of_its_calls() {
        let doc = document(ACTIONS);
        let statements = doc["Statement"].as_array().expect("statements");
        assert_eq!(statements.len(), ACTIONS.len());
        assert_eq!(statements[0]["Sid"], "RolecallSnapshot");
        assert!(statements
            .iter()
            .any(|s| s["Sid"] == "RolecallIsolateAccessKey"));
        for s in statements {
            let sid = s["Sid"].as_str().unwrap_or_default();
            assert!(sid.chars().all(|c| c.is_ascii_alphanumeric()), "{sid}");
        }
        assert_eq!(
            document(FORENSIC)["Statement"][0]["Sid"],
            "RolecallForensicCopy"
        );
        // whois asks STS as the primary identity: its own policy, never a role's.
        assert_eq!(document(PRIMARY)["Statement"][0]["Sid"], "RolecallWhois");
        assert!(ACTIONS
            .iter()
            .all(|n| !n.calls.contains(&"sts:GetAccessKeyInfo")));
        for (s, n) in statements.iter().zip(ACTIONS) {
            assert_eq!(s["Action"].as_array().map(Vec::len), Some(n.calls.len()));
            assert_eq!(s["Effect"], "Allow");
        }
    }

    /// Every AWS operation the actions' calls name (`src/aws/act/`, read as text) is in the
    /// policy `rolecall policy --actions` prints: a call added without its permission fails here.
    #[test]
    fn every_call_the_actions_make_is_in_the_policy() {
        let sources = [
            ("ec2", include_str!("../aws/act/network.rs")),
            ("ec2", include_str!("../aws/act/evidence.rs")),
            ("ec2", include_str!("../aws/act/capture.rs")),
            ("kms", include_str!("../aws/act/kms.rs")),
            ("iam", include_str!("../aws/act/iam.rs")),
            ("iam", include_str!("../aws/iam/mod.rs")),
            ("iam", include_str!("../aws/iam/users.rs")),
            ("iam", include_str!("../aws/iam/roles.rs")),
            ("securityhub", include_str!("../aws/act/securityhub.rs")),
        ];
        let verbs = [
            "Describe", "Create", "Modify", "Revoke", "Get", "Copy", "Tag", "Update", "Put",
            "Delete", "List", "Batch",
        ];
        let mut found = Vec::new();
        for (service, text) in sources {
            for quoted in text.split('"').skip(1).step_by(2) {
                let is_op = verbs.iter().any(|v| quoted.starts_with(v))
                    && quoted.len() > 6
                    && quoted.chars().all(|c| c.is_ascii_alphanumeric());
                if is_op {
                    found.push(format!("{service}:{quoted}"));
                }
            }
        }
        // CreateKey with tags is authorized as kms:TagResource too.
        found.push("kms:TagResource".into());
        assert!(found.len() >= 20, "{found:?}");
        let all: Vec<&str> = ACTIONS
            .iter()
            .chain(FORENSIC)
            .chain(PRIMARY)
            .flat_map(|n| n.calls.iter().copied())
            .collect();
        for call in &found {
            assert!(
                all.iter().any(|p| crate::aws::policy::glob(p, call, true)),
                "{call} is called but not in rolecall policy --actions"
            );
        }
    }
}
