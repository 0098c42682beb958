//! An EC2 instance's fields and columns.

use super::{age, ip_key, joined, opt, or_dash, or_empty, search_lines, tags_text, time_text};
use super::{column, field, look, one_role_only, Field, Instance, Look, Resource};

impl Resource for Instance {
    const KIND: super::Kind = super::Kind::Instances;

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
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    pub fn sample() -> Instance {
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
}
