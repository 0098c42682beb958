//! An instance's network and attributes: its interfaces and their security groups, the
//! quarantine group, termination protection and what happens to its volumes on termination.

use aws_sdk_ec2::types::{
    AttributeBooleanValue, EbsInstanceBlockDeviceSpecification, Filter,
    InstanceBlockDeviceMappingSpecification, IpPermission, IpRange, ResourceType,
};

use super::{ec2_tags, send, tag_spec};
use crate::aws::ec2::region_error;
use crate::aws::target::RoleTarget;
use crate::aws::{AwsError, ErrorKind};

/// A network interface and its groups.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Interface {
    pub id: String,
    pub vpc_id: String,
    pub device_index: i32,
    /// Its security groups, sorted.
    pub groups: Vec<String>,
}

/// A volume attached to an instance.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Attached {
    pub device: String,
    pub volume_id: String,
    pub delete_on_termination: bool,
}

/// What isolation needs to know of an instance.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct InstanceNet {
    pub instance_id: String,
    pub name: String,
    pub state: String,
    pub vpc_id: Option<String>,
    pub interfaces: Vec<Interface>,
    pub volumes: Vec<Attached>,
    pub tags: std::collections::BTreeMap<String, String>,
    /// Its instance profile's ARN: the role whose credentials the instance hands out.
    pub instance_profile: Option<String>,
}

impl InstanceNet {
    /// The groups of its interface `eni` now (none when it has no such interface).
    pub fn groups_of(&self, eni: &str) -> Vec<String> {
        self.interfaces
            .iter()
            .find(|i| i.id == eni)
            .map(|i| i.groups.clone())
            .unwrap_or_default()
    }
}

fn not_found(op: &'static str, id: &str) -> AwsError {
    AwsError::new(ErrorKind::Other, op, id.to_string())
        .with_code("InvalidInstanceID.NotFound")
        .with_message(format!("no instance {id} in this account and region"))
        .with_hint("check the instance id and --region (or the row's region in the TUI)")
}

/// The instance's interfaces (with their groups), attached volumes and tags.
pub async fn describe(
    t: &RoleTarget,
    region: &str,
    instance: &str,
) -> Result<InstanceNet, AwsError> {
    let out = t
        .ec2(region)
        .describe_instances()
        .instance_ids(instance)
        .send()
        .await
        .map_err(|e| region_error(e, "DescribeInstances", region))?;
    out.reservations()
        .iter()
        .flat_map(|r| r.instances())
        .next()
        .map(net_of)
        .ok_or_else(|| not_found("DescribeInstances", instance))
}

/// One running or stopped instance of the region, if there is any (to check permissions on
/// with DryRun): the first of a page of five.
pub async fn sample(t: &RoleTarget, region: &str) -> Result<Option<InstanceNet>, AwsError> {
    let out = t
        .ec2(region)
        .describe_instances()
        .filters(
            Filter::builder()
                .name("instance-state-name")
                .values("running")
                .values("stopped")
                .build(),
        )
        .max_results(5)
        .send()
        .await
        .map_err(|e| region_error(e, "DescribeInstances", region))?;
    Ok(out
        .reservations()
        .iter()
        .flat_map(|r| r.instances())
        .next()
        .map(net_of))
}

fn net_of(i: &aws_sdk_ec2::types::Instance) -> InstanceNet {
    let tags: std::collections::BTreeMap<String, String> = i
        .tags()
        .iter()
        .filter_map(|t| {
            Some((
                t.key()?.to_string(),
                t.value().unwrap_or_default().to_string(),
            ))
        })
        .collect();
    let mut interfaces: Vec<Interface> = i
        .network_interfaces()
        .iter()
        .map(|n| {
            let mut groups: Vec<String> = n
                .groups()
                .iter()
                .filter_map(|g| g.group_id().map(str::to_string))
                .collect();
            groups.sort();
            groups.dedup();
            Interface {
                id: n.network_interface_id().unwrap_or_default().to_string(),
                vpc_id: n.vpc_id().or(i.vpc_id()).unwrap_or_default().to_string(),
                device_index: n.attachment().and_then(|a| a.device_index()).unwrap_or(0),
                groups,
            }
        })
        .collect();
    interfaces.sort_by_key(|n| n.device_index);
    InstanceNet {
        instance_id: i.instance_id().unwrap_or_default().to_string(),
        name: tags.get("Name").cloned().unwrap_or_default(),
        state: i
            .state()
            .and_then(|s| s.name())
            .map(|n| n.as_str().to_string())
            .unwrap_or_default(),
        vpc_id: i.vpc_id().map(str::to_string),
        volumes: i
            .block_device_mappings()
            .iter()
            .filter_map(|m| {
                let ebs = m.ebs()?;
                Some(Attached {
                    device: m.device_name().unwrap_or_default().to_string(),
                    volume_id: ebs.volume_id()?.to_string(),
                    delete_on_termination: ebs.delete_on_termination().unwrap_or(false),
                })
            })
            .collect(),
        interfaces,
        tags,
        instance_profile: i
            .iam_instance_profile()
            .and_then(|p| p.arn())
            .map(str::to_string),
    }
}

/// A security group found by name in a VPC, and how many rules it has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub id: String,
    pub rules: usize,
}

/// The rules of a group: (rule id, egress?).
async fn rules(t: &RoleTarget, region: &str, group: &str) -> Result<Vec<(String, bool)>, AwsError> {
    let out = t
        .ec2(region)
        .describe_security_group_rules()
        .filters(Filter::builder().name("group-id").values(group).build())
        .send()
        .await
        .map_err(|e| region_error(e, "DescribeSecurityGroupRules", region))?;
    Ok(out
        .security_group_rules()
        .iter()
        .filter_map(|r| {
            Some((
                r.security_group_rule_id()?.to_string(),
                r.is_egress().unwrap_or(false),
            ))
        })
        .collect())
}

/// How many rules (in and out) group `id` has.
pub async fn group_rules(t: &RoleTarget, region: &str, id: &str) -> Result<usize, AwsError> {
    Ok(rules(t, region, id).await?.len())
}

/// The group called `name` in `vpc`, if there is one.
pub async fn find_group(
    t: &RoleTarget,
    region: &str,
    vpc: &str,
    name: &str,
) -> Result<Option<Group>, AwsError> {
    let out = t
        .ec2(region)
        .describe_security_groups()
        .filters(Filter::builder().name("group-name").values(name).build())
        .filters(Filter::builder().name("vpc-id").values(vpc).build())
        .send()
        .await
        .map_err(|e| region_error(e, "DescribeSecurityGroups", region))?;
    match out.security_groups().iter().find_map(|g| g.group_id()) {
        Some(id) => Ok(Some(Group {
            id: id.to_string(),
            rules: rules(t, region, id).await?.len(),
        })),
        None => Ok(None),
    }
}

/// ec2:CreateSecurityGroup in `vpc`, tagged; returns its id.
pub async fn create_group(
    t: &RoleTarget,
    region: &str,
    vpc: &str,
    name: &str,
    description: &str,
    tags: &[(String, String)],
    dry_run: bool,
) -> Result<Option<String>, AwsError> {
    let call = t
        .ec2(region)
        .create_security_group()
        .group_name(name)
        .description(description)
        .vpc_id(vpc)
        .tag_specifications(tag_spec(ResourceType::SecurityGroup, tags))
        .dry_run(dry_run)
        .send();
    send(dry_run, "CreateSecurityGroup", region, call, |o| {
        o.group_id().unwrap_or_default().to_string()
    })
    .await
}

/// ec2:RevokeSecurityGroupEgress of every outbound rule of a group (a new group has one that
/// allows everything); returns the rules revoked.
pub async fn revoke_egress(
    t: &RoleTarget,
    region: &str,
    group: &str,
    dry_run: bool,
) -> Result<Option<Vec<String>>, AwsError> {
    let egress: Vec<String> = rules(t, region, group)
        .await?
        .into_iter()
        .filter(|(_, out)| *out)
        .map(|(id, _)| id)
        .collect();
    if egress.is_empty() {
        return Ok(Some(egress));
    }
    let call = t
        .ec2(region)
        .revoke_security_group_egress()
        .group_id(group)
        .set_security_group_rule_ids(Some(egress.clone()))
        .dry_run(dry_run)
        .send();
    send(dry_run, "RevokeSecurityGroupEgress", region, call, |_| {
        egress
    })
    .await
}

/// ec2:RevokeSecurityGroupEgress with DryRun of the rule every new group has (all traffic to
/// 0.0.0.0/0) on `group`, an existing group of the VPC: the permission checked before the
/// quarantine group exists. Nothing changes.
pub async fn check_revoke_egress(
    t: &RoleTarget,
    region: &str,
    group: &str,
) -> Result<(), AwsError> {
    let all = IpPermission::builder()
        .ip_protocol("-1")
        .ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build())
        .build();
    let call = t
        .ec2(region)
        .revoke_security_group_egress()
        .group_id(group)
        .ip_permissions(all)
        .dry_run(true)
        .send();
    send(true, "RevokeSecurityGroupEgress", region, call, |_| ())
        .await
        .map(|_| ())
}

/// ec2:ModifyNetworkInterfaceAttribute: the interface's groups become exactly `groups`.
pub async fn set_groups(
    t: &RoleTarget,
    region: &str,
    interface: &str,
    groups: &[String],
    dry_run: bool,
) -> Result<Option<()>, AwsError> {
    let call = t
        .ec2(region)
        .modify_network_interface_attribute()
        .network_interface_id(interface)
        .set_groups(Some(groups.to_vec()))
        .dry_run(dry_run)
        .send();
    send(
        dry_run,
        "ModifyNetworkInterfaceAttribute",
        region,
        call,
        |_| (),
    )
    .await
}

/// ec2:ModifyInstanceAttribute DisableApiTermination=true: the instance cannot be terminated
/// until this is turned off.
pub async fn protect_from_termination(
    t: &RoleTarget,
    region: &str,
    instance: &str,
    dry_run: bool,
) -> Result<Option<()>, AwsError> {
    let call = t
        .ec2(region)
        .modify_instance_attribute()
        .instance_id(instance)
        .disable_api_termination(AttributeBooleanValue::builder().value(true).build())
        .dry_run(dry_run)
        .send();
    send(dry_run, "ModifyInstanceAttribute", region, call, |_| ()).await
}

/// ec2:ModifyInstanceAttribute BlockDeviceMappings DeleteOnTermination=false: the volumes on
/// these devices outlive the instance.
pub async fn keep_volumes(
    t: &RoleTarget,
    region: &str,
    instance: &str,
    devices: &[String],
    dry_run: bool,
) -> Result<Option<()>, AwsError> {
    let mappings = devices
        .iter()
        .map(|d| {
            InstanceBlockDeviceMappingSpecification::builder()
                .device_name(d)
                .ebs(
                    EbsInstanceBlockDeviceSpecification::builder()
                        .delete_on_termination(false)
                        .build(),
                )
                .build()
        })
        .collect();
    let call = t
        .ec2(region)
        .modify_instance_attribute()
        .instance_id(instance)
        .set_block_device_mappings(Some(mappings))
        .dry_run(dry_run)
        .send();
    send(dry_run, "ModifyInstanceAttribute", region, call, |_| ()).await
}

/// Whether the instance is protected from termination (ec2:DescribeInstanceAttribute).
pub async fn termination_protected(
    t: &RoleTarget,
    region: &str,
    instance: &str,
) -> Result<bool, AwsError> {
    let out = t
        .ec2(region)
        .describe_instance_attribute()
        .instance_id(instance)
        .attribute(aws_sdk_ec2::types::InstanceAttributeName::DisableApiTermination)
        .send()
        .await
        .map_err(|e| region_error(e, "DescribeInstanceAttribute", region))?;
    Ok(out
        .disable_api_termination()
        .and_then(|v| v.value())
        .unwrap_or(false))
}

/// ec2:CreateTags on a resource.
pub async fn tag(
    t: &RoleTarget,
    region: &str,
    resource: &str,
    tags: &[(String, String)],
    dry_run: bool,
) -> Result<Option<()>, AwsError> {
    let call = t
        .ec2(region)
        .create_tags()
        .resources(resource)
        .set_tags(Some(ec2_tags(tags)))
        .dry_run(dry_run)
        .send();
    send(dry_run, "CreateTags", region, call, |_| ()).await
}
