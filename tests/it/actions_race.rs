//! Two isolations racing in one VPC, driven in-process (the library's plan and run, against the
//! emulator): both planned to make the case's quarantine group; the one that runs second finds
//! it made and uses it (it has no rule) instead of stopping after tagging and protecting its
//! instance. And one that finds it with a rule stops before any interface depends on it.

use rolecall::actions::{self, Action, Facts, Quiet, Scope};
use rolecall::aws::arn::RoleArn;
use rolecall::aws::assume::{assume_role, AssumeParams};
use rolecall::aws::credentials::{Credentials, Secret};
use rolecall::aws::target::RoleTarget;
use rolecall::aws::{Aws, AwsOptions};
use rolecall::case::{CaseId, Cases, Journal};
use rolecall::config::{CaseConfig, Defaults};

use crate::common::emulator;
use crate::common::lab::Lab;

async fn scope_in(lab: &Lab<'_>, case: &str) -> Scope {
    let emu = lab.emu;
    let aws = Aws::load(&AwsOptions {
        region: Some("us-east-1".into()),
        endpoint_url: Some(emu.endpoint.clone()),
        credentials: Some(Credentials {
            access_key_id: lab.world("access_key_id"),
            secret_access_key: Secret::new(lab.world("secret_access_key")),
            session_token: None,
            expiration: None,
        }),
        ..Default::default()
    })
    .await;
    let role: RoleArn = emu.world["lab"]["roles"]["lab-ir"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let session = assume_role(
        &aws,
        &AssumeParams {
            role_arn: role.clone(),
            session_name: "race-test".into(),
            duration_seconds: 900,
            external_id: None,
            mfa_serial: None,
            token_code: None,
            source_identity: None,
            source: Default::default(),
        },
    )
    .await
    .unwrap();
    let actor = "arn:aws:iam::111111111111:user/lab-responder";
    let cases = Cases {
        root: lab.dir.path().join("race-cases"),
    };
    let (case_dir, _) = cases
        .open(
            &CaseId::parse(case).unwrap(),
            None,
            actor,
            chrono::Utc::now(),
        )
        .unwrap();
    let journal = Journal::new(Some(case_dir));
    journal.set_actor(actor);
    Scope {
        target: RoleTarget::new(aws.clone(), session.credentials.provider(), 100),
        aws,
        role,
        account_name: None,
        region: "us-east-1".into(),
        journal,
        case_id: case.into(),
        actor: actor.into(),
        case: CaseConfig::default(),
        defaults: Defaults::default(),
    }
}

/// Makes the case's quarantine group as another run would, with `rule` an ingress rule or none.
fn make_group(lab: &Lab, case: &str, rule: bool) -> String {
    let v = lab.aws(&format!(
        "g = ec2.create_security_group(GroupName='rolecall-quarantine-{case}', Description='q', VpcId={vpc:?})['GroupId']\n\
         out = [r['SecurityGroupRuleId'] for r in ec2.describe_security_group_rules(Filters=[{{'Name': 'group-id', 'Values': [g]}}])['SecurityGroupRules'] if r['IsEgress']]\n\
         out and ec2.revoke_security_group_egress(GroupId=g, SecurityGroupRuleIds=out)\n\
         {rule}\n\
         print(json.dumps(g))",
        vpc = lab.world("vpc"),
        rule = if rule {
            "ec2.authorize_security_group_ingress(GroupId=g, IpPermissions=[{'IpProtocol': 'tcp', 'FromPort': 22, 'ToPort': 22, 'IpRanges': [{'CidrIp': '0.0.0.0/0'}]}])"
        } else {
            ""
        },
    ));
    v.as_str().unwrap().to_string()
}

fn new_instance(lab: &Lab) -> String {
    let v = lab.aws(
        "image = ec2.describe_images(Owners=['amazon'])['Images'][0]['ImageId']\n\
         print(json.dumps(ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, InstanceType='t3.micro')['Instances'][0]['InstanceId']))",
    );
    v.as_str().unwrap().to_string()
}

#[tokio::test]
async fn a_group_made_meanwhile_by_another_run_is_used_and_one_with_a_rule_is_not() {
    let emu = emulator();
    let lab = Lab::open(emu, "", "");
    let instance = new_instance(&lab);
    let scope = scope_in(&lab, "IR-RACE").await;
    let plan = actions::plan(
        &scope,
        Action::Isolate {
            instance: instance.clone(),
        },
    )
    .await
    .unwrap();
    assert!(
        plan.calls
            .iter()
            .any(|c| c.contains("ec2:CreateSecurityGroup")),
        "{:?}",
        plan.calls
    );
    // The other run makes the group between this plan and its run.
    let theirs = make_group(&lab, "IR-RACE", false);
    let outcome = actions::run(&scope, plan, &Quiet).await;
    assert!(outcome.ok, "{outcome:?}");
    assert_eq!(
        outcome.result["quarantine_groups"][lab.world("vpc")],
        theirs.as_str(),
        "{outcome:?}"
    );
    assert!(
        outcome.created.is_empty(),
        "nothing made twice: {outcome:?}"
    );

    // The same race, but the group found has a rule: no interface is moved to it.
    let instance = new_instance(&lab);
    let scope = scope_in(&lab, "IR-RACE2").await;
    let plan = actions::plan(
        &scope,
        Action::Isolate {
            instance: instance.clone(),
        },
    )
    .await
    .unwrap();
    assert!(matches!(plan.facts, Facts::Isolate(_)));
    make_group(&lab, "IR-RACE2", true);
    let outcome = actions::run(&scope, plan, &Quiet).await;
    assert!(!outcome.ok, "{outcome:?}");
    let error = outcome.error.clone().unwrap();
    assert!(error.contains("rule"), "{error}");
    assert!(
        outcome
            .not_done
            .iter()
            .any(|n| n.contains("to the quarantine group")),
        "{outcome:?}"
    );
}
