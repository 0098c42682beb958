//! A volume's details pane.

use super::table::{kv, or_dash, section, Details, Panes};
use super::Theme;
use crate::app::state::State;
use crate::resources::Volume;

impl Details for Volume {
    fn title(&self) -> String {
        format!(" {} {} ", self.volume_id, self.name)
    }

    fn panes(&self, _state: &State, theme: &Theme) -> Panes {
        panes(self, theme)
    }
}

fn panes(v: &Volume, theme: &Theme) -> Panes {
    let left = vec![
        kv("volume id", v.volume_id.clone(), theme),
        kv("state", v.state.clone(), theme),
        kv("size", format!("{} GiB", v.size_gib), theme),
        kv("type", v.volume_type.clone(), theme),
        kv(
            "iops",
            v.iops.map(|n| n.to_string()).unwrap_or_else(|| "-".into()),
            theme,
        ),
        kv("encrypted", if v.encrypted { "yes" } else { "no" }, theme),
        kv("kms key", or_dash(&v.kms_key_id), theme),
        kv(
            "region / AZ",
            format!("{} / {}", v.region, v.availability_zone),
            theme,
        ),
        kv(
            "attached to",
            if v.attached_to.is_empty() {
                "-".into()
            } else {
                v.attached_to.join(", ")
            },
            theme,
        ),
        kv("snapshot", or_dash(&v.snapshot_id), theme),
        kv(
            "created",
            v.create_time
                .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
                .unwrap_or_else(|| "-".into()),
            theme,
        ),
    ];
    let mut right = vec![section("tags", theme)];
    for (k, val) in &v.tags {
        right.push(kv(&format!("  {k}"), val.clone(), theme));
    }
    (left, right)
}
