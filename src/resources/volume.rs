//! An EBS volume's fields and columns.

use super::{column, field, look, one_role_only, Field, Look, Resource, Volume};
use super::{joined, opt, or_dash, or_empty, search_lines, tags_text, time_text};

fn yes_no(b: bool) -> String {
    if b { "yes" } else { "no" }.to_string()
}

impl Resource for Volume {
    const KIND: super::Kind = super::Kind::Volumes;

    #[rustfmt::skip]
    const FIELDS: &'static [Field<Volume>] = &[
        Field { name: "volume_id", value: |v| v.volume_id.clone(),
            column: column("VOLUME ID", 21, 0, |v, _| v.volume_id.clone(), |a, b| a.volume_id.cmp(&b.volume_id)) },
        Field { name: "name", value: |v| v.name.clone(),
            column: look(column("NAME", 14, 0, |v, _| or_dash(&v.name), |a, b| a.name.cmp(&b.name)), Look::Name) },
        Field { name: "size_gib", value: |v| v.size_gib.to_string(),
            column: column("SIZE", 8, 0, |v, _| format!("{} GiB", v.size_gib), |a, b| a.size_gib.cmp(&b.size_gib)) },
        Field { name: "volume_type", value: |v| v.volume_type.clone(),
            column: column("TYPE", 5, 3, |v, _| or_dash(&v.volume_type), |a, b| a.volume_type.cmp(&b.volume_type)) },
        Field { name: "state", value: |v| v.state.clone(),
            column: look(column("STATE", 9, 0, |v, _| v.state.clone(), |a, b| a.state.cmp(&b.state)), Look::State) },
        Field { name: "encrypted", value: |v| v.encrypted.to_string(),
            column: column("ENC", 3, 4, |v, _| yes_no(v.encrypted), |a, b| a.encrypted.cmp(&b.encrypted)) },
        Field { name: "attached_to", value: |v| joined(&v.attached_to, ";"),
            column: column("ATTACHED TO", 19, 1, |v, _| or_dash(&joined(&v.attached_to, ",")), |a, b| a.attached_to.cmp(&b.attached_to)) },
        Field { name: "snapshot_id", value: |v| opt(&v.snapshot_id),
            column: one_role_only(column("SNAPSHOT", 22, 6, |v, _| or_dash(&opt(&v.snapshot_id)), |a, b| a.snapshot_id.cmp(&b.snapshot_id))) },
        Field { name: "availability_zone", value: |v| v.availability_zone.clone(),
            column: column("AZ", 11, 5, |v, _| or_dash(&v.availability_zone), |a, b| a.availability_zone.cmp(&b.availability_zone)) },
        field("region", |v| v.region.clone()),
        field("iops", |v| v.iops.map(|n| n.to_string()).unwrap_or_default()),
        field("create_time", |v| time_text(&v.create_time)),
        field("kms_key_id", |v| opt(&v.kms_key_id)),
        field("tags", |v| tags_text(&v.tags)),
    ];

    fn id(&self) -> &str {
        &self.volume_id
    }

    fn region(&self) -> &str {
        &self.region
    }

    fn search_text(&self) -> String {
        let fields = [
            self.volume_id.as_str(),
            &self.name,
            &self.volume_type,
            &self.state,
            &self.availability_zone,
            or_empty(&self.snapshot_id),
            or_empty(&self.kms_key_id),
        ];
        search_lines(
            fields
                .into_iter()
                .chain(self.attached_to.iter().map(String::as_str)),
            &self.tags,
        )
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    pub fn sample() -> Volume {
        Volume {
            volume_id: "vol-0123456789abcdef0".into(),
            name: "db".into(),
            size_gib: 8,
            volume_type: "gp3".into(),
            state: "in-use".into(),
            encrypted: false,
            region: "us-east-1".into(),
            availability_zone: "us-east-1a".into(),
            attached_to: vec!["i-0123456789abcdef0".into()],
            snapshot_id: None,
            iops: Some(3000),
            create_time: None,
            kms_key_id: None,
            tags: [("Name".to_string(), "db".to_string())].into(),
        }
    }
}
