//! EBS volumes: read from DescribeVolumes, listed in each of a role's regions.

use std::collections::BTreeMap;
use std::future::Future;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::fields::{column, field, look, one_role_only, Field, Look};
use super::fields::{joined, opt, or_dash, or_empty, search_lines, tags_text, time_text};
use super::{About, DetailLine, Details, Kind, Lookup, Reach, Resource};
use crate::aws::ec2::{region_error, tag_map, time};
use crate::aws::target::{every_page, per_region, Listing, RoleTarget};
use crate::aws::AwsError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Volume {
    pub volume_id: String,
    pub name: String,
    pub size_gib: i32,
    pub volume_type: String,
    pub state: String,
    pub encrypted: bool,
    pub region: String,
    pub availability_zone: String,
    /// Instance ids this volume is attached to (several for multi-attach io1/io2).
    pub attached_to: Vec<String>,
    pub snapshot_id: Option<String>,
    pub iops: Option<i32>,
    pub create_time: Option<DateTime<Utc>>,
    pub kms_key_id: Option<String>,
    pub tags: BTreeMap<String, String>,
}

fn yes_no(b: bool) -> String {
    if b { "yes" } else { "no" }.to_string()
}

impl Resource for Volume {
    const KIND: Kind = Kind::Volumes;
    const ABOUT: About = About {
        one: "volume",
        noun: "volumes",
        command: "volumes",
        aliases: &["vol", "ebs", "v"],
        key: Some('v'),
        reach: Reach::Regional,
        window: None,
        id_prefix: "vol-",
    };

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

    fn list(target: &RoleTarget, regions: &[String]) -> impl Future<Output = Listing<Self>> + Send {
        list(target, regions)
    }

    fn details(&self, _ctx: &Lookup) -> Details {
        details(self)
    }

    fn example() -> Self {
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

    fn console_page(id: &str) -> (&'static str, String) {
        ("ec2", format!("#VolumeDetails:volumeId={id}"))
    }
}

fn details(v: &Volume) -> Details {
    let pair = DetailLine::pair;
    let left = vec![
        pair("volume id", v.volume_id.clone()),
        pair("state", v.state.clone()),
        pair("size", format!("{} GiB", v.size_gib)),
        pair("type", v.volume_type.clone()),
        pair("iops", v.iops.map(|n| n.to_string()).unwrap_or_default()),
        pair("encrypted", yes_no(v.encrypted)),
        pair("kms key", opt(&v.kms_key_id)),
        pair(
            "region / AZ",
            format!("{} / {}", v.region, v.availability_zone),
        ),
        pair("attached to", v.attached_to.join(", ")),
        pair("snapshot", opt(&v.snapshot_id)),
        pair(
            "created",
            v.create_time
                .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
                .unwrap_or_default(),
        ),
    ];
    Details {
        title: format!(" {} {} ", v.volume_id, v.name),
        left,
        right: DetailLine::tags(&v.tags),
    }
}

/// Volumes by id, as the listings show them (ec2:DescribeVolumes).
pub async fn describe_volumes(
    target: &RoleTarget,
    region: &str,
    ids: &[String],
) -> Result<Vec<Volume>, AwsError> {
    let out = target
        .ec2(region)
        .describe_volumes()
        .set_volume_ids(Some(ids.to_vec()))
        .send()
        .await
        .map_err(|e| region_error(e, "DescribeVolumes", region))?;
    Ok(out
        .volumes()
        .iter()
        .map(|v| volume_from_sdk(v, region))
        .collect())
}

/// Every EBS volume in `regions` (all pages), sorted by region, then name, then id.
async fn list(target: &RoleTarget, regions: &[String]) -> Listing<Volume> {
    let page_size = target.page_size();
    let mut listing = per_region(target, regions, |region| {
        let ec2 = target.listing_ec2(&region);
        async move {
            let mut rows = Vec::new();
            every_page(
                |token| {
                    ec2.client
                        .describe_volumes()
                        .max_results(page_size)
                        .set_next_token(token)
                        .customize()
                        .config_override(ec2.here())
                        .send()
                },
                |page| {
                    for v in page.volumes() {
                        rows.push(volume_from_sdk(v, &region));
                    }
                    page.next_token
                },
            )
            .await
            .map_err(|e| region_error(e, "DescribeVolumes", &region))?;
            Ok(rows)
        }
    })
    .await;
    listing.items.sort_by(|a, b| {
        (&a.region, &a.name, &a.volume_id).cmp(&(&b.region, &b.name, &b.volume_id))
    });
    listing
}

fn volume_from_sdk(v: &aws_sdk_ec2::types::Volume, region: &str) -> Volume {
    let tags = tag_map(v.tags());
    Volume {
        volume_id: v.volume_id().unwrap_or_default().to_string(),
        name: tags.get("Name").cloned().unwrap_or_default(),
        size_gib: v.size().unwrap_or_default(),
        volume_type: v
            .volume_type()
            .map(|t| t.as_str().to_string())
            .unwrap_or_default(),
        state: v
            .state()
            .map(|s| s.as_str().to_string())
            .unwrap_or_else(|| "unknown".into()),
        encrypted: v.encrypted().unwrap_or(false),
        region: region.to_string(),
        availability_zone: v.availability_zone().unwrap_or_default().to_string(),
        attached_to: v
            .attachments()
            .iter()
            .filter_map(|a| a.instance_id().map(str::to_string))
            .collect(),
        snapshot_id: v
            .snapshot_id()
            .filter(|s| !s.is_empty())
            .map(str::to_string),
        iops: v.iops(),
        create_time: v.create_time().and_then(time),
        kms_key_id: v.kms_key_id().map(str::to_string),
        tags,
    }
}
