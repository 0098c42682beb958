//! EC2 instances: read from DescribeInstances, listed in each of a role's regions.

use std::collections::BTreeMap;
use std::future::Future;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::fields::{
    age, ip_key, joined, opt, or_dash, or_empty, search_lines, tags_text, time_text,
};
use super::fields::{column, field, look, one_role_only, Field, Look};
use super::{About, DetailLine, Details, Kind, Lookup, Reach, Resource, Volume};
use crate::aws::ec2::{region_error, tag_map, time};
use crate::aws::target::{every_page, per_region, Listing, RoleTarget};
use crate::aws::AwsError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Instance {
    pub instance_id: String,
    /// The `Name` tag, empty when there is none.
    pub name: String,
    pub state: String,
    pub instance_type: String,
    pub region: String,
    pub availability_zone: String,
    pub private_ip: Option<String>,
    pub public_ip: Option<String>,
    pub launch_time: Option<DateTime<Utc>>,
    pub volume_ids: Vec<String>,
    pub tags: BTreeMap<String, String>,
    pub image_id: Option<String>,
    pub vpc_id: Option<String>,
    pub subnet_id: Option<String>,
    pub key_name: Option<String>,
    pub platform: Option<String>,
    pub architecture: Option<String>,
    pub iam_instance_profile: Option<String>,
    pub private_dns_name: Option<String>,
    pub public_dns_name: Option<String>,
    pub security_groups: Vec<String>,
}

impl Resource for Instance {
    const KIND: Kind = Kind::Instances;
    const ABOUT: About = About {
        one: "instance",
        noun: "instances",
        command: "instances",
        aliases: &["inst", "ec2", "i"],
        key: Some('i'),
        reach: Reach::Regional,
        window: None,
        id_prefix: "i-",
    };

    #[rustfmt::skip]
    const FIELDS: &'static [Field<Instance>] = &[
        Field { name: "name", value: |i| i.name.clone(),
            column: look(column("NAME", 16, 0, |i, _| or_dash(&i.name), |a, b| a.name.cmp(&b.name)), Look::Name) },
        Field { name: "instance_id", value: |i| i.instance_id.clone(),
            column: column("INSTANCE ID", 19, 0, |i, _| i.instance_id.clone(), |a, b| a.instance_id.cmp(&b.instance_id)) },
        Field { name: "state", value: |i| i.state.clone(),
            column: look(column("STATE", 13, 0, |i, _| i.state.clone(), |a, b| a.state.cmp(&b.state)), Look::State) },
        Field { name: "instance_type", value: |i| i.instance_type.clone(),
            column: column("TYPE", 11, 4, |i, _| or_dash(&i.instance_type), |a, b| a.instance_type.cmp(&b.instance_type)) },
        Field { name: "availability_zone", value: |i| i.availability_zone.clone(),
            column: column("AZ", 11, 3, |i, _| or_dash(&i.availability_zone), |a, b| a.availability_zone.cmp(&b.availability_zone)) },
        Field { name: "private_ip", value: |i| opt(&i.private_ip),
            column: column("PRIVATE IP", 15, 1, |i, _| or_dash(&opt(&i.private_ip)), |a, b| ip_key(&a.private_ip).cmp(&ip_key(&b.private_ip))) },
        Field { name: "public_ip", value: |i| opt(&i.public_ip),
            column: column("PUBLIC IP", 15, 5, |i, _| or_dash(&opt(&i.public_ip)), |a, b| ip_key(&a.public_ip).cmp(&ip_key(&b.public_ip))) },
        // Youngest first reads as "smallest age" first.
        Field { name: "launch_time", value: |i| time_text(&i.launch_time),
            column: column("AGE", 4, 2, |i, now| age(i.launch_time.as_ref(), now), |a, b| b.launch_time.cmp(&a.launch_time)) },
        Field { name: "volume_ids", value: |i| joined(&i.volume_ids, ";"),
            column: one_role_only(column("VOLS", 4, 6, |i, _| i.volume_ids.len().to_string(), |a, b| a.volume_ids.len().cmp(&b.volume_ids.len()))) },
        field("region", |i| i.region.clone()),
        field("tags", |i| tags_text(&i.tags)),
        field("image_id", |i| opt(&i.image_id)),
        field("vpc_id", |i| opt(&i.vpc_id)),
        field("subnet_id", |i| opt(&i.subnet_id)),
        field("key_name", |i| opt(&i.key_name)),
        field("platform", |i| opt(&i.platform)),
        field("architecture", |i| opt(&i.architecture)),
        field("iam_instance_profile", |i| opt(&i.iam_instance_profile)),
        field("private_dns_name", |i| opt(&i.private_dns_name)),
        field("public_dns_name", |i| opt(&i.public_dns_name)),
        field("security_groups", |i| joined(&i.security_groups, ";")),
    ];

    fn id(&self) -> &str {
        &self.instance_id
    }

    fn region(&self) -> &str {
        &self.region
    }

    fn search_text(&self) -> String {
        let fields = [
            self.instance_id.as_str(),
            &self.name,
            &self.state,
            &self.instance_type,
            &self.availability_zone,
            or_empty(&self.private_ip),
            or_empty(&self.public_ip),
            or_empty(&self.private_dns_name),
            or_empty(&self.public_dns_name),
            or_empty(&self.vpc_id),
            or_empty(&self.subnet_id),
            or_empty(&self.image_id),
        ];
        search_lines(
            fields
                .into_iter()
                .chain(self.volume_ids.iter().map(String::as_str)),
            &self.tags,
        )
    }

    fn list(target: &RoleTarget, regions: &[String]) -> impl Future<Output = Listing<Self>> + Send {
        list(target, regions)
    }

    fn details(&self, ctx: &Lookup) -> Details {
        details(self, ctx)
    }

    fn example() -> Self {
        Instance {
            instance_id: "i-0123456789abcdef0".into(),
            name: "web-1".into(),
            state: "running".into(),
            instance_type: "t3.micro".into(),
            region: "us-east-1".into(),
            availability_zone: "us-east-1a".into(),
            private_ip: Some("10.0.3.17".into()),
            public_ip: None,
            launch_time: None,
            volume_ids: vec!["vol-1".into()],
            tags: [("Name".to_string(), "web-1".to_string())].into(),
            image_id: None,
            vpc_id: None,
            subnet_id: None,
            key_name: None,
            platform: None,
            architecture: None,
            iam_instance_profile: None,
            private_dns_name: None,
            public_dns_name: None,
            security_groups: vec![],
        }
    }

    fn console_page(id: &str) -> (&'static str, String) {
        ("ec2", format!("#InstanceDetails:instanceId={id}"))
    }
}

/// The instance's details: what it is and its tags (left), where it is and its disks (right).
fn details(i: &Instance, ctx: &Lookup) -> Details {
    let pair = DetailLine::pair;
    let mut left = vec![
        pair("instance id", i.instance_id.clone()),
        pair("state", i.state.clone()),
        pair("type", i.instance_type.clone()),
        pair(
            "region / AZ",
            format!("{} / {}", i.region, i.availability_zone),
        ),
        pair("launched", ctx.when(i.launch_time.as_ref())),
        pair("image", opt(&i.image_id)),
        pair("platform", opt(&i.platform)),
        pair("architecture", opt(&i.architecture)),
        pair("key pair", opt(&i.key_name)),
        pair("IAM profile", opt(&i.iam_instance_profile)),
        DetailLine::Blank,
    ];
    left.extend(DetailLine::tags(&i.tags));
    let mut right = vec![
        DetailLine::section("network"),
        pair("vpc", opt(&i.vpc_id)),
        pair("subnet", opt(&i.subnet_id)),
        pair("private ip", opt(&i.private_ip)),
        pair("private dns", opt(&i.private_dns_name)),
        pair("public ip", opt(&i.public_ip)),
        pair("public dns", opt(&i.public_dns_name)),
        pair("security groups", i.security_groups.join(", ")),
        DetailLine::Blank,
        DetailLine::section("volumes"),
    ];
    for id in &i.volume_ids {
        let known = (ctx.find)(Kind::Volumes, id).and_then(|r| r.get::<Volume>());
        let text = match known {
            Some(v) => format!(
                "{id}  {} GiB {} {}{}",
                v.size_gib,
                v.volume_type,
                v.state,
                if v.encrypted { " encrypted" } else { "" }
            ),
            None => id.clone(),
        };
        right.push(DetailLine::Text(format!("  {text}")));
    }
    Details {
        title: format!(" {} {} ", i.instance_id, i.name),
        left,
        right,
    }
}

/// Every instance in `regions` (all pages), sorted by region, then name, then id.
async fn list(target: &RoleTarget, regions: &[String]) -> Listing<Instance> {
    let page_size = target.page_size();
    let mut listing = per_region(target, regions, |region| {
        let ec2 = target.listing_ec2(&region);
        async move {
            let mut rows = Vec::new();
            every_page(
                |token| {
                    ec2.client
                        .describe_instances()
                        .max_results(page_size)
                        .set_next_token(token)
                        .customize()
                        .config_override(ec2.here())
                        .send()
                },
                |page| {
                    for r in page.reservations() {
                        for i in r.instances() {
                            rows.push(instance_from_sdk(i, &region));
                        }
                    }
                    page.next_token
                },
            )
            .await
            .map_err(|e| region_error(e, "DescribeInstances", &region))?;
            Ok(rows)
        }
    })
    .await;
    listing.items.sort_by(|a, b| {
        (&a.region, &a.name, &a.instance_id).cmp(&(&b.region, &b.name, &b.instance_id))
    });
    listing
}

/// One instance, as the listings show it (ec2:DescribeInstances).
pub async fn describe_instance(
    target: &RoleTarget,
    region: &str,
    id: &str,
) -> Result<Option<Instance>, AwsError> {
    let out = target
        .ec2(region)
        .describe_instances()
        .instance_ids(id)
        .send()
        .await
        .map_err(|e| region_error(e, "DescribeInstances", region))?;
    Ok(out
        .reservations()
        .iter()
        .flat_map(|r| r.instances())
        .next()
        .map(|i| instance_from_sdk(i, region)))
}

fn instance_from_sdk(i: &aws_sdk_ec2::types::Instance, region: &str) -> Instance {
    let tags = tag_map(i.tags());
    Instance {
        instance_id: i.instance_id().unwrap_or_default().to_string(),
        name: tags.get("Name").cloned().unwrap_or_default(),
        state: i
            .state()
            .and_then(|s| s.name())
            .map(|n| n.as_str().to_string())
            .unwrap_or_else(|| "unknown".into()),
        instance_type: i
            .instance_type()
            .map(|t| t.as_str().to_string())
            .unwrap_or_default(),
        region: region.to_string(),
        availability_zone: i
            .placement()
            .and_then(|p| p.availability_zone())
            .unwrap_or_default()
            .to_string(),
        private_ip: i.private_ip_address().map(str::to_string),
        public_ip: i.public_ip_address().map(str::to_string),
        launch_time: i.launch_time().and_then(time),
        volume_ids: i
            .block_device_mappings()
            .iter()
            .filter_map(|m| m.ebs().and_then(|e| e.volume_id()).map(str::to_string))
            .collect(),
        tags,
        image_id: i.image_id().map(str::to_string),
        vpc_id: i.vpc_id().map(str::to_string),
        subnet_id: i.subnet_id().map(str::to_string),
        key_name: i.key_name().map(str::to_string),
        platform: i.platform_details().map(str::to_string),
        architecture: i.architecture().map(|a| a.as_str().to_string()),
        iam_instance_profile: i
            .iam_instance_profile()
            .and_then(|p| p.arn())
            .map(str::to_string),
        private_dns_name: i
            .private_dns_name()
            .filter(|s| !s.is_empty())
            .map(str::to_string),
        public_dns_name: i
            .public_dns_name()
            .filter(|s| !s.is_empty())
            .map(str::to_string),
        security_groups: i
            .security_groups()
            .iter()
            .filter_map(|g| g.group_id().map(str::to_string))
            .collect(),
    }
}
