//! An instance's details pane.

use super::table::{kv, or_dash, section, Details, Panes};
use super::Theme;
use crate::app::state::State;
use crate::resources::{age, Instance};
use ratatui::text::Line;

impl Details for Instance {
    fn title(&self) -> String {
        format!(" {} {} ", self.instance_id, self.name)
    }

    fn panes(&self, state: &State, theme: &Theme) -> Panes {
        panes(self, state, theme)
    }
}

/// The instance's details: what it is and its tags (left), where it is and its disks (right).
fn panes(i: &Instance, state: &State, theme: &Theme) -> Panes {
    let launched = i
        .launch_time
        .map(|t| {
            format!(
                "{} ({} ago)",
                t.with_timezone(&state.tz).format("%Y-%m-%d %H:%M:%S"),
                age(Some(&t), state.now)
            )
        })
        .unwrap_or_else(|| "-".into());
    let mut left = vec![
        kv("instance id", i.instance_id.clone(), theme),
        kv("state", i.state.clone(), theme),
        kv("type", i.instance_type.clone(), theme),
        kv(
            "region / AZ",
            format!("{} / {}", i.region, i.availability_zone),
            theme,
        ),
        kv("launched", launched, theme),
        kv("image", or_dash(&i.image_id), theme),
        kv("platform", or_dash(&i.platform), theme),
        kv("architecture", or_dash(&i.architecture), theme),
        kv("key pair", or_dash(&i.key_name), theme),
        kv("IAM profile", or_dash(&i.iam_instance_profile), theme),
        Line::default(),
        section("tags", theme),
    ];
    for (k, v) in &i.tags {
        left.push(kv(&format!("  {k}"), v.clone(), theme));
    }
    let mut right = vec![
        section("network", theme),
        kv("vpc", or_dash(&i.vpc_id), theme),
        kv("subnet", or_dash(&i.subnet_id), theme),
        kv("private ip", or_dash(&i.private_ip), theme),
        kv("private dns", or_dash(&i.private_dns_name), theme),
        kv("public ip", or_dash(&i.public_ip), theme),
        kv("public dns", or_dash(&i.public_dns_name), theme),
        kv("security groups", i.security_groups.join(", "), theme),
        Line::default(),
        section("volumes", theme),
    ];
    for id in &i.volume_ids {
        let known = state.volumes.items.iter().find(|v| &v.volume_id == id);
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
        right.push(Line::from(format!("  {text}")));
    }
    (left, right)
}
