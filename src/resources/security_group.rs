//! Security groups: read from DescribeSecurityGroups, with their inbound and outbound rules and
//! the instances using each (their network interfaces, from DescribeNetworkInterfaces), listed
//! in each of a role's regions.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::future::Future;

use serde::Serialize;

use super::fields::{column, field, look, one_role_only, Field, Look};
use super::fields::{joined, opt, or_dash, search_lines, tags_text};
use super::{About, DetailLine, Details, Kind, Lookup, Reach, Resource};
use crate::aws::ec2::{region_error, tag_map};
use crate::aws::target::{every_page, per_region, Ec2, Listing, RoleTarget};
use crate::aws::AwsError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SecurityGroup {
    pub group_id: String,
    pub group_name: String,
    pub vpc_id: Option<String>,
    /// Written by whoever made the group: shown, never acted on.
    pub description: String,
    pub region: String,
    /// The account that owns it.
    pub owner_id: Option<String>,
    pub inbound: Vec<Rule>,
    pub outbound: Vec<Rule>,
    /// Instances with a network interface in the group.
    pub instance_ids: Vec<String>,
    /// Network interfaces in the group that no instance has (load balancers, Lambda, endpoints…).
    pub other_interfaces: usize,
    pub tags: BTreeMap<String, String>,
}

/// One permission of a group: a protocol and port range, and whom it lets in (inbound) or out
/// (outbound).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rule {
    /// `tcp`, `udp`, `icmp`, `icmpv6`, `all`, or the protocol's number.
    pub protocol: String,
    /// The port range (for ICMP: type and code); `None` for every port.
    pub from_port: Option<i32>,
    pub to_port: Option<i32>,
    /// IPv4 and IPv6 ranges.
    pub cidrs: Vec<String>,
    /// Security groups (`sg-…`, with `account/` in front for another account's).
    pub groups: Vec<String>,
    /// Managed prefix lists (`pl-…`).
    pub prefix_lists: Vec<String>,
}

impl Rule {
    /// "tcp 22", "tcp 1024-65535", "all", "icmp 8/0".
    pub fn ports(&self) -> String {
        let proto = &self.protocol;
        match (self.from_port, self.to_port) {
            _ if proto == "all" => "all".to_string(),
            (None, _) | (Some(-1), _) => format!("{proto} all"),
            (Some(f), Some(t)) if proto.starts_with("icmp") => format!("{proto} {f}/{t}"),
            (Some(f), Some(t)) if f == t => format!("{proto} {f}"),
            (Some(0), Some(65535)) => format!("{proto} all"),
            (Some(f), Some(t)) => format!("{proto} {f}-{t}"),
            (Some(f), None) => format!("{proto} {f}"),
        }
    }

    /// Whom it names: CIDRs, groups and prefix lists.
    pub fn peers(&self) -> Vec<&str> {
        self.cidrs
            .iter()
            .chain(&self.groups)
            .chain(&self.prefix_lists)
            .map(String::as_str)
            .collect()
    }

    /// "tcp 22 0.0.0.0/0,sg-1": a rule on one line, as the CSV and the details pane show it.
    pub fn text(&self) -> String {
        let peers = self.peers();
        if peers.is_empty() {
            self.ports()
        } else {
            format!("{} {}", self.ports(), peers.join(","))
        }
    }

    /// Open to the whole internet (`0.0.0.0/0` or `::/0`).
    pub fn is_open(&self) -> bool {
        self.cidrs.iter().any(|c| c == "0.0.0.0/0" || c == "::/0")
    }
}

fn rules_text(rules: &[Rule]) -> String {
    rules.iter().map(Rule::text).collect::<Vec<_>>().join(";")
}

/// The IN column: how many rules, and `!` when one lets the whole internet in.
fn inbound_cell(rules: &[Rule]) -> String {
    let open = if rules.iter().any(Rule::is_open) {
        " !"
    } else {
        ""
    };
    format!("{}{open}", rules.len())
}

impl Resource for SecurityGroup {
    const KIND: Kind = Kind::SecurityGroups;
    const ABOUT: About = About {
        one: "security group",
        noun: "security groups",
        command: "security-groups",
        aliases: &["sg", "sgs", "groups"],
        key: None,
        reach: Reach::Regional,
        window: None,
        id_prefix: "sg-",
    };

    #[rustfmt::skip]
    const FIELDS: &'static [Field<SecurityGroup>] = &[
        Field { name: "group_name", value: |g| g.group_name.clone(),
            column: look(column("NAME", 18, 0, |g, _| or_dash(&g.group_name), |a, b| a.group_name.cmp(&b.group_name)), Look::Name) },
        Field { name: "group_id", value: |g| g.group_id.clone(),
            column: column("GROUP ID", 20, 0, |g, _| g.group_id.clone(), |a, b| a.group_id.cmp(&b.group_id)) },
        Field { name: "vpc_id", value: |g| opt(&g.vpc_id),
            column: column("VPC", 21, 3, |g, _| or_dash(&opt(&g.vpc_id)), |a, b| a.vpc_id.cmp(&b.vpc_id)) },
        Field { name: "region", value: |g| g.region.clone(),
            column: column("REGION", 14, 5, |g, _| g.region.clone(), |a, b| a.region.cmp(&b.region)) },
        Field { name: "inbound", value: |g| rules_text(&g.inbound),
            column: column("IN", 4, 0, |g, _| inbound_cell(&g.inbound), |a, b| a.inbound.len().cmp(&b.inbound.len())) },
        Field { name: "outbound", value: |g| rules_text(&g.outbound),
            column: column("OUT", 3, 2, |g, _| g.outbound.len().to_string(), |a, b| a.outbound.len().cmp(&b.outbound.len())) },
        Field { name: "instance_ids", value: |g| joined(&g.instance_ids, ";"),
            column: column("INST", 4, 1, |g, _| g.instance_ids.len().to_string(), |a, b| a.instance_ids.len().cmp(&b.instance_ids.len())) },
        Field { name: "description", value: |g| g.description.clone(),
            column: one_role_only(column("DESCRIPTION", 24, 4, |g, _| or_dash(&g.description), |a, b| a.description.cmp(&b.description))) },
        field("owner_id", |g| opt(&g.owner_id)),
        field("other_interfaces", |g| g.other_interfaces.to_string()),
        field("tags", |g| tags_text(&g.tags)),
    ];

    fn id(&self) -> &str {
        &self.group_id
    }

    fn region(&self) -> &str {
        &self.region
    }

    /// Id, name, VPC, description, instances, tags, and each rule's ports and peers: `/22`,
    /// `/0.0.0.0/0` or `/tcp 3389` finds the groups that have such a rule.
    fn search_text(&self) -> String {
        let fields = [
            self.group_id.as_str(),
            &self.group_name,
            self.vpc_id.as_deref().unwrap_or(""),
            &self.description,
        ];
        let rules: Vec<String> = self
            .inbound
            .iter()
            .chain(&self.outbound)
            .flat_map(|r| {
                let mut words = vec![r.ports()];
                words.extend(r.from_port.filter(|p| *p >= 0).map(|p| p.to_string()));
                words.extend(r.peers().into_iter().map(str::to_string));
                words
            })
            .collect();
        search_lines(
            fields
                .into_iter()
                .chain(self.instance_ids.iter().map(String::as_str))
                .chain(rules.iter().map(String::as_str)),
            &self.tags,
        )
    }

    fn list(target: &RoleTarget, regions: &[String]) -> impl Future<Output = Listing<Self>> + Send {
        list(target, regions)
    }

    fn details(&self, _ctx: &Lookup) -> Details {
        details(self)
    }

    fn example() -> Self {
        SecurityGroup {
            group_id: "sg-0123456789abcdef0".into(),
            group_name: "web".into(),
            vpc_id: Some("vpc-0123456789abcdef0".into()),
            description: "web servers".into(),
            region: "us-east-1".into(),
            owner_id: Some("222222222222".into()),
            inbound: vec![
                Rule {
                    protocol: "tcp".into(),
                    from_port: Some(443),
                    to_port: Some(443),
                    cidrs: vec!["0.0.0.0/0".into()],
                    groups: vec![],
                    prefix_lists: vec![],
                },
                Rule {
                    protocol: "tcp".into(),
                    from_port: Some(22),
                    to_port: Some(22),
                    cidrs: vec![],
                    groups: vec!["sg-0aaaaaaaaaaaaaaaa".into()],
                    prefix_lists: vec!["pl-12345678".into()],
                },
            ],
            outbound: vec![Rule {
                protocol: "all".into(),
                from_port: None,
                to_port: None,
                cidrs: vec!["0.0.0.0/0".into()],
                groups: vec![],
                prefix_lists: vec![],
            }],
            instance_ids: vec!["i-0123456789abcdef0".into()],
            other_interfaces: 0,
            tags: BTreeMap::new(),
        }
    }

    fn console_page(id: &str) -> (&'static str, String) {
        ("ec2", format!("#SecurityGroup:groupId={id}"))
    }
}

/// The group (left), its rules and the instances using it (right).
fn details(g: &SecurityGroup) -> Details {
    let pair = DetailLine::pair;
    let mut left = vec![
        pair("group id", g.group_id.clone()),
        pair("name", g.group_name.clone()),
        pair("vpc", opt(&g.vpc_id)),
        pair("region", g.region.clone()),
        pair("owner", opt(&g.owner_id)),
        pair("description", g.description.clone()),
        DetailLine::Blank,
        DetailLine::section("instances"),
    ];
    left.extend(
        g.instance_ids
            .iter()
            .map(|i| DetailLine::Text(format!("  {i}"))),
    );
    if g.instance_ids.is_empty() {
        left.push(DetailLine::Text("  none".into()));
    }
    if g.other_interfaces > 0 {
        left.push(DetailLine::Text(format!(
            "  and {} other network interface{}",
            g.other_interfaces,
            if g.other_interfaces == 1 { "" } else { "s" }
        )));
    }
    left.push(DetailLine::Blank);
    left.extend(DetailLine::tags(&g.tags));
    let mut right = Vec::new();
    for (title, rules, way) in [
        ("inbound rules", &g.inbound, "from"),
        ("outbound rules", &g.outbound, "to"),
    ] {
        right.push(DetailLine::section(title));
        if rules.is_empty() {
            right.push(DetailLine::Text("  none".into()));
        }
        for r in rules {
            let peers = r.peers();
            let peers = if peers.is_empty() {
                "-".to_string()
            } else {
                peers.join(", ")
            };
            // Who may come in from anywhere is what a responder looks for first.
            let open = if r.is_open() && way == "from" {
                "  (internet)"
            } else {
                ""
            };
            right.push(DetailLine::Text(format!(
                "  {:<10} {way} {peers}{open}",
                r.ports()
            )));
        }
        right.push(DetailLine::Blank);
    }
    Details {
        title: format!(" {} {} ", g.group_id, g.group_name),
        left,
        right,
    }
}

/// Every security group in `regions` (all pages), with the instances whose network interfaces
/// are in it; sorted by region, then name, then id.
async fn list(target: &RoleTarget, regions: &[String]) -> Listing<SecurityGroup> {
    let page_size = target.page_size();
    let mut listing = per_region(target, regions, |region| {
        let ec2 = target.listing_ec2(&region);
        async move {
            let users = users(&ec2, &region, page_size).await?;
            let mut rows = Vec::new();
            every_page(
                |token| {
                    ec2.client
                        .describe_security_groups()
                        .max_results(page_size)
                        .set_next_token(token)
                        .customize()
                        .config_override(ec2.here())
                        .send()
                },
                |page| {
                    for g in page.security_groups() {
                        rows.push(from_sdk(g, &region, &users));
                    }
                    page.next_token
                },
            )
            .await
            .map_err(|e| region_error(e, "DescribeSecurityGroups", &region))?;
            Ok(rows)
        }
    })
    .await;
    listing.items.sort_by(|a, b| {
        (&a.region, &a.group_name, &a.group_id).cmp(&(&b.region, &b.group_name, &b.group_id))
    });
    listing
}

/// Who uses each group in a region: the instances (and the count of other interfaces) of every
/// network interface, by group id.
#[derive(Default)]
struct Users {
    instances: HashMap<String, BTreeSet<String>>,
    others: HashMap<String, usize>,
}

async fn users(ec2: &Ec2, region: &str, page_size: i32) -> Result<Users, AwsError> {
    let mut users = Users::default();
    every_page(
        |token| {
            ec2.client
                .describe_network_interfaces()
                .max_results(page_size)
                .set_next_token(token)
                .customize()
                .config_override(ec2.here())
                .send()
        },
        |page| {
            for eni in page.network_interfaces() {
                let instance = eni.attachment().and_then(|a| a.instance_id());
                for g in eni.groups().iter().filter_map(|g| g.group_id()) {
                    match instance {
                        Some(i) => {
                            users
                                .instances
                                .entry(g.to_string())
                                .or_default()
                                .insert(i.to_string());
                        }
                        None => *users.others.entry(g.to_string()).or_default() += 1,
                    }
                }
            }
            page.next_token
        },
    )
    .await
    .map_err(|e| region_error(e, "DescribeNetworkInterfaces", region))?;
    Ok(users)
}

fn from_sdk(g: &aws_sdk_ec2::types::SecurityGroup, region: &str, users: &Users) -> SecurityGroup {
    let id = g.group_id().unwrap_or_default().to_string();
    let owner = g.owner_id();
    SecurityGroup {
        group_name: g.group_name().unwrap_or_default().to_string(),
        vpc_id: g.vpc_id().filter(|v| !v.is_empty()).map(str::to_string),
        description: g.description().unwrap_or_default().to_string(),
        region: region.to_string(),
        owner_id: owner.map(str::to_string),
        inbound: g.ip_permissions().iter().map(|p| rule(p, owner)).collect(),
        outbound: g
            .ip_permissions_egress()
            .iter()
            .map(|p| rule(p, owner))
            .collect(),
        instance_ids: users
            .instances
            .get(&id)
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default(),
        other_interfaces: users.others.get(&id).copied().unwrap_or(0),
        tags: tag_map(g.tags()),
        group_id: id,
    }
}

/// A permission as rolecall shows it; a group of another account than `owner` is named with its
/// account (`222222222222/sg-…`).
fn rule(p: &aws_sdk_ec2::types::IpPermission, owner: Option<&str>) -> Rule {
    let protocol = match p.ip_protocol().unwrap_or("-1") {
        "-1" => "all",
        "6" => "tcp",
        "17" => "udp",
        "1" => "icmp",
        "58" => "icmpv6",
        other => other,
    }
    .to_string();
    let all_ports = protocol == "all";
    Rule {
        from_port: p.from_port().filter(|_| !all_ports),
        to_port: p.to_port().filter(|_| !all_ports),
        protocol,
        cidrs: p
            .ip_ranges()
            .iter()
            .filter_map(|r| r.cidr_ip())
            .chain(p.ipv6_ranges().iter().filter_map(|r| r.cidr_ipv6()))
            .map(str::to_string)
            .collect(),
        groups: p
            .user_id_group_pairs()
            .iter()
            .filter_map(|pair| {
                let id = pair.group_id()?;
                Some(match pair.user_id() {
                    Some(user) if Some(user) != owner => format!("{user}/{id}"),
                    _ => id.to_string(),
                })
            })
            .collect(),
        prefix_lists: p
            .prefix_list_ids()
            .iter()
            .filter_map(|l| l.prefix_list_id())
            .map(str::to_string)
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_read_as_ports_and_peers() {
        let g = SecurityGroup::example();
        assert_eq!(g.inbound[0].text(), "tcp 443 0.0.0.0/0");
        assert_eq!(
            g.inbound[1].text(),
            "tcp 22 sg-0aaaaaaaaaaaaaaaa,pl-12345678"
        );
        assert_eq!(g.outbound[0].text(), "all 0.0.0.0/0");
        assert_eq!(inbound_cell(&g.inbound), "2 !");
        let range = Rule {
            from_port: Some(1024),
            to_port: Some(2048),
            ..g.inbound[1].clone()
        };
        assert_eq!(range.ports(), "tcp 1024-2048");
    }

    #[test]
    fn a_port_or_a_cidr_finds_the_group() {
        let text = SecurityGroup::example().search_text();
        for word in [
            "22",
            "tcp 443",
            "0.0.0.0/0",
            "sg-0aaaaaaaaaaaaaaaa",
            "i-0123456789abcdef0",
        ] {
            assert!(text.contains(word), "{word} in {text}");
        }
    }
}
