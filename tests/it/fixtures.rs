//! Fixed data for the pure update tests and the render snapshots: the demo config, a fixed
//! clock, and instances and volumes as the emulator would return them.
#![allow(dead_code)]

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset, TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use rolecall::app::msg::SessionMeta;
use rolecall::app::state::TreeRow;
use rolecall::app::update::{init, update};
pub use rolecall::app::{Answer, Effect, Job, Msg, Rows, Slot, State, Work};
use rolecall::aws::arn::RoleArn;
use rolecall::aws::identity::Identity;
use rolecall::aws::target::Listing;
use rolecall::config::Config;
use rolecall::inventory::Part;
pub use rolecall::resources::{Failure, Instance, Kind, Resource, Row, Volume};

pub const PROD: &str = "arn:aws:iam::222222222222:role/ResponderRole";
pub const BREAKGLASS: &str = "arn:aws:iam::222222222222:role/BreakGlass";
pub const STAGING: &str = "arn:aws:iam::333333333333:role/audit/Auditor";
pub const EMPTY: &str = "arn:aws:iam::444444444444:role/ResponderRole";

pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 18, 0, 0).unwrap()
}

pub fn config() -> Config {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/demo/config.toml");
    rolecall::config::load(Some(std::path::Path::new(path))).expect("demo config")
}

pub fn arn(s: &str) -> RoleArn {
    s.parse().unwrap()
}

/// A state as after start-up: the primary identity known.
pub fn state(size: (u16, u16)) -> State {
    let mut s = State::new(&config(), now(), FixedOffset::east_opt(0).unwrap(), size);
    let fx = init(&mut s);
    let id = started(&fx).id;
    update(&mut s, identity_answer(id, Ok(responder())));
    s
}

/// The primary identity of the demo: the responder's IAM user.
pub fn responder() -> Identity {
    Identity {
        account: "111111111111".into(),
        arn: "arn:aws:iam::111111111111:user/responder".into(),
        user_id: "AIDAEXAMPLE".into(),
    }
}

/// The identity job's answer.
pub fn identity_answer(id: u64, result: Result<Identity, rolecall::aws::AwsError>) -> Msg {
    Msg::Job {
        slot: Slot::Identity,
        id,
        answer: Answer::Identity(result),
    }
}

pub fn key(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

pub fn code(c: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

/// Sends keys, returning every effect asked for.
pub fn type_keys(s: &mut State, keys: &str) -> Vec<Effect> {
    keys.chars().flat_map(|c| update(s, key(c))).collect()
}

/// A session of `role` that ends in `minutes`, as the store would report it.
pub fn session_meta(role: &str, minutes: i64) -> SessionMeta {
    SessionMeta {
        mfa_session: None,
        assumed_arn: format!(
            "{}/rolecall",
            role.replace(":iam:", ":sts:")
                .replace(":role/", ":assumed-role/")
        ),
        expiration: now() + chrono::Duration::minutes(minutes),
    }
}

/// Answers the job assuming `role` with a session that ends in `minutes` (starting one first
/// when none runs, as when the session came some other way); returns the effects.
pub fn answer_assume(s: &mut State, role: &str, minutes: i64) -> Vec<Effect> {
    let slot = Slot::Assume(arn(role));
    let id = match s.jobs.running(&slot) {
        Some(id) => id,
        None => {
            let role = s.role(&arn(role)).expect("known role").clone();
            match s.jobs.start(Work::Assume {
                role: Box::new(role),
                token_code: None,
                duration: None,
            }) {
                Effect::Start(job) => job.id,
                other => panic!("{other:?}"),
            }
        }
    };
    update(
        s,
        Msg::Job {
            slot,
            id,
            answer: Answer::Assumed {
                role: arn(role),
                result: Ok(session_meta(role, minutes)),
            },
        },
    )
}

/// Listed rows, nothing failed unless `failures` says so.
pub fn rows<T: Resource>(items: Vec<T>, failures: Vec<Failure>) -> Rows {
    Rows {
        rows: items.into_iter().map(Row::new).collect(),
        keys: vec![],
        ok: true,
        failures,
        throttled: false,
        more: false,
        notes: vec![],
        answered: None,
    }
}

/// The answer of role listing job `request`.
pub fn listed(kind: Kind, request: u64, rows: Rows) -> Msg {
    Msg::Job {
        slot: Slot::List(kind),
        id: request,
        answer: Answer::Listed(rows),
    }
}

pub fn listed_instances(request: u64, items: Vec<Instance>) -> Msg {
    listed(Kind::Instances, request, rows(items, vec![]))
}

pub fn listed_volumes(request: u64, items: Vec<Volume>) -> Msg {
    listed(Kind::Volumes, request, rows(items, vec![]))
}

/// A region of `role` that failed with `error`.
pub fn region_failure(role: &str, region: &str, error: rolecall::aws::AwsError) -> Failure {
    Failure::new(&arn(role), Some(region.into()), error)
}

/// One account's answer to every-account job `request` of `kind`.
pub fn every(kind: Kind, request: u64, part: Part) -> Msg {
    Msg::Job {
        slot: Slot::Every(kind),
        id: request,
        answer: Answer::Listed(part_rows(kind, part)),
    }
}

/// One account's answer to every-account job `request` (of instances).
pub fn every_instances(request: u64, part: Part) -> Msg {
    every(Kind::Instances, request, part)
}

pub fn every_volumes(request: u64, part: Part) -> Msg {
    every(Kind::Volumes, request, part)
}

/// What the runtime sends of an account's answer (`work.rs`, `Work::Every`).
fn part_rows(kind: Kind, part: Part) -> Rows {
    let (regions, of) = part.regions_answered(kind);
    let answered = Some(rolecall::app::msg::Answered {
        role: part.role.clone(),
        regions,
        of,
    });
    Rows {
        rows: part.rows,
        keys: vec![],
        failures: part.failures,
        ok: part.ok,
        throttled: part.throttled > 0,
        more: false,
        notes: part.notes,
        answered,
    }
}

/// The job a set of effects starts, when it is the only effect.
pub fn started(fx: &[Effect]) -> &Job {
    match fx {
        [Effect::Start(job)] => job,
        other => panic!("expected one job, got {other:?}"),
    }
}

/// The role listing a set of effects starts: its id, kind, role and regions.
pub fn listing_job(fx: &[Effect]) -> (u64, Kind, String, Vec<String>) {
    match fx {
        [Effect::Start(Job {
            id,
            work:
                Work::List {
                    kind,
                    role,
                    regions,
                    ..
                },
        })] => (*id, *kind, role.to_string(), regions.clone()),
        other => panic!("expected a listing, got {other:?}"),
    }
}

pub fn instance(id: &str, name: &str, state: &str, region: &str, ip: u8) -> Instance {
    let mut tags = BTreeMap::new();
    tags.insert("Name".to_string(), name.to_string());
    tags.insert("team".to_string(), "frontend".to_string());
    Instance {
        instance_id: id.into(),
        name: name.into(),
        state: state.into(),
        instance_type: "t3.micro".into(),
        region: region.into(),
        availability_zone: format!("{region}a"),
        private_ip: Some(format!("10.0.0.{ip}")),
        public_ip: (state == "running").then(|| format!("54.214.0.{ip}")),
        launch_time: Some(now() - chrono::Duration::hours(ip as i64)),
        volume_ids: vec![format!("vol-{ip:017}")],
        tags,
        image_id: Some("ami-03cf127a".into()),
        vpc_id: Some("vpc-1234".into()),
        subnet_id: Some("subnet-1234".into()),
        key_name: None,
        platform: Some("Linux/UNIX".into()),
        architecture: Some("x86_64".into()),
        iam_instance_profile: None,
        private_dns_name: Some(format!("ip-10-0-0-{ip}.ec2.internal")),
        public_dns_name: None,
        security_groups: vec!["sg-1234".into()],
    }
}

pub fn prod_instances() -> Vec<Instance> {
    vec![
        instance("i-0000000000000000a", "web-1", "running", "us-east-1", 1),
        instance("i-0000000000000000b", "web-2", "running", "us-east-1", 2),
        instance("i-0000000000000000c", "db-1", "stopped", "us-east-1", 3),
        instance("i-0000000000000000d", "eu-web-1", "running", "eu-west-1", 4),
    ]
}

pub fn volume(id: &str, name: &str, attached: Option<&str>, size: i32) -> Volume {
    Volume {
        volume_id: id.into(),
        name: name.into(),
        size_gib: size,
        volume_type: "gp3".into(),
        state: if attached.is_some() {
            "in-use"
        } else {
            "available"
        }
        .into(),
        encrypted: attached.is_some(),
        region: "us-east-1".into(),
        availability_zone: "us-east-1a".into(),
        attached_to: attached.into_iter().map(String::from).collect(),
        snapshot_id: None,
        iops: Some(3000),
        create_time: Some(now() - chrono::Duration::days(3)),
        kms_key_id: None,
        tags: BTreeMap::from([("Name".to_string(), name.to_string())]),
    }
}

/// Moves the tree cursor to the role with this ARN.
pub fn select_role(s: &mut rolecall::app::State, role: &str) {
    let rows = s.tree_rows();
    let target = rows
        .iter()
        .position(|r| match r {
            TreeRow::Role(a, i) => s.accounts[*a].roles[*i].arn.to_string() == role,
            _ => false,
        })
        .expect("role in tree");
    while s.tree.selected != target {
        let k = if s.tree.selected < target { 'j' } else { 'k' };
        update(s, key(k));
    }
}

/// Opens prod's instances with a fresh session; returns the listing request id.
pub fn open_prod(s: &mut rolecall::app::State) -> u64 {
    select_role(s, PROD);
    let fx = update(s, code(KeyCode::Enter));
    assert!(
        matches!(&fx[..], [Effect::Start(Job { work: Work::Assume { role, token_code: None, duration: None }, .. })] if role.arn.to_string() == PROD),
        "{fx:?}"
    );
    let fx = answer_assume(s, PROD, 60);
    let (request, kind, role, regions) = listing_job(&fx);
    assert_eq!((kind, role.as_str()), (Kind::Instances, PROD));
    assert_eq!(regions, ["us-east-1", "eu-west-1"]);
    request
}

/// One account's answer to an every-account listing, as the runtime sends it: `items` listed
/// through `role` in its regions.
pub fn part<T: Resource>(s: &State, role: &str, items: Vec<T>) -> Part {
    let role = s.role(&arn(role)).expect("known role").clone();
    let account_name = s
        .account(role.arn.account_id())
        .and_then(|a| a.name.clone());
    let listing = Listing {
        items: items.into_iter().map(Row::new).collect(),
        failures: vec![],
        notes: vec![],
        regions: None,
    };
    let query = rolecall::resources::Query {
        regions: role.regions(&s.defaults),
        window: None,
        subject: None,
        findings: None,
    };
    Part::new(T::KIND, &role.arn, account_name, query, Ok(listing))
}

/// An account's answer when it could not be listed at all.
pub fn failed_part(role: &str, error: rolecall::aws::AwsError) -> Part {
    let query = rolecall::resources::Query {
        regions: vec!["us-east-1".into()],
        window: None,
        subject: None,
        findings: None,
    };
    Part::new(Kind::Instances, &arn(role), None, query, Err(error))
}

/// Staging's two instances, in their own address range.
pub fn staging_instances() -> Vec<Instance> {
    let mut a = instance(
        "i-0000000000000001a",
        "audit-box",
        "running",
        "us-east-1",
        21,
    );
    a.tags.insert("case".into(), "legal-hold".into());
    let b = instance("i-0000000000000001b", "web-stg", "stopped", "us-east-1", 22);
    vec![a, b]
}

/// An organization's roles, as discovery sends them: `n` accounts, one role each.
pub fn organization_groups(n: usize) -> Vec<rolecall::roles::AccountRoles> {
    use rolecall::roles::{group, merge, Role, RoleSource};
    let org: Vec<Role> = (0..n)
        .map(|i| Role {
            name: Some(format!("workload-{i:03}")),
            source: RoleSource::Organization,
            account_name: Some(format!("Workload {i:03}")),
            ..Role::from_arn(arn(&format!(
                "arn:aws:iam::{:012}:role/IR/Responder",
                700_000_000_000u64 + i as u64
            )))
        })
        .collect();
    group(&config(), merge(&config(), &[], &org, &[]))
}

pub fn discovered(s: &mut rolecall::app::State, groups: Vec<rolecall::roles::AccountRoles>) {
    let id = s.jobs.running(&Slot::Identity).unwrap();
    update(
        s,
        Msg::Job {
            slot: Slot::Identity,
            id,
            answer: Answer::Discovered {
                organizations_due: None,
                organizations_read: None,
                mfa_sessions: vec![],
                groups,
                warnings: vec![],
            },
        },
    );
}

/// The table views, as tests name them.
pub const INSTANCES: rolecall::app::state::View = rolecall::app::state::View::Table {
    kind: Kind::Instances,
    every: false,
};
pub const VOLUMES: rolecall::app::state::View = rolecall::app::state::View::Table {
    kind: Kind::Volumes,
    every: false,
};
pub const ALL_INSTANCES: rolecall::app::state::View = rolecall::app::state::View::Table {
    kind: Kind::Instances,
    every: true,
};
pub const ALL_VOLUMES: rolecall::app::state::View = rolecall::app::state::View::Table {
    kind: Kind::Volumes,
    every: true,
};

/// The resource of a row, as a `T`.
pub fn as_<T: Resource>(row: &Row) -> &T {
    row.get::<T>().expect("a row of that kind")
}
