//! `rolecall init`: a starter config from what the primary identity can see, printed or
//! written, and loadable by rolecall itself.

use std::collections::BTreeSet;
use std::path::Path;

use crate::common::{emulator, run, Emulator};
use serde_json::Value;

/// rolecall as the primary user with no config of its own: the platform config dir is `xdg`,
/// and `~/.aws/config` holds one role profile with an external ID and an MFA serial.
fn bare(emu: &Emulator, xdg: &Path) -> std::process::Command {
    let (key, secret) = emu.primary_key();
    let aws_config = xdg.join("aws-config");
    if !aws_config.exists() {
        std::fs::write(
            &aws_config,
            format!(
                "[profile staging-ext]\nrole_arn = {}\nexternal_id = rolecall-demo-4242\n\
                 mfa_serial = arn:aws:iam::111111111111:mfa/responder\nsource_profile = default\n",
                emu.role_arn("staging-auditor")
            ),
        )
        .unwrap();
    }
    let mut cmd = emu.bare_command();
    cmd.env("AWS_ACCESS_KEY_ID", key)
        .env("AWS_SECRET_ACCESS_KEY", secret)
        .env("XDG_CONFIG_HOME", xdg)
        .env("AWS_CONFIG_FILE", &aws_config);
    cmd
}

fn arns(roles_json: &Value) -> BTreeSet<String> {
    roles_json["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|a| a["roles"].as_array().unwrap().iter())
        .map(|r| r["arn"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn init_prints_a_config_that_loads_and_lists_the_same_roles() {
    let emu = emulator();
    let dir = tempfile::tempdir().unwrap();
    let out = run(bare(emu, dir.path()).arg("init")).ok();
    let text = out.stdout;
    // The profile's external ID and MFA serial, under the profile's name.
    let staging = text
        .split("[[role]]")
        .find(|r| r.contains("role/audit/Auditor"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(staging.contains("name = \"staging-ext\""), "{staging}");
    assert!(
        staging.contains("external_id = \"rolecall-demo-4242\""),
        "{staging}"
    );
    assert!(
        staging.contains("mfa_serial = \"arn:aws:iam::111111111111:mfa/responder\""),
        "{staging}"
    );
    assert!(text.contains("# from the caller's IAM policies"), "{text}");
    // Loaded by rolecall: the same roles as discovery finds with no config at all.
    let written = dir.path().join("starter.toml");
    std::fs::write(&written, &text).unwrap();
    let with = run(bare(emu, dir.path())
        .env("ROLECALL_CONFIG", &written)
        .args(["roles", "--json"]))
    .ok()
    .json();
    let without = run(bare(emu, dir.path()).args(["roles", "--json"]))
        .ok()
        .json();
    assert_eq!(arns(&with), arns(&without));
    let sources: BTreeSet<&str> = with["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|a| a["roles"].as_array().unwrap().iter())
        .map(|r| r["source"].as_str().unwrap())
        .collect();
    assert_eq!(
        sources,
        BTreeSet::from(["config"]),
        "every role now comes from the file"
    );
    // Names are unique (the loader would refuse duplicates) and none is empty.
    let names: Vec<&str> = with["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|a| a["roles"].as_array().unwrap().iter())
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert!(names.iter().all(|n| !n.is_empty()), "{names:?}");
}

#[test]
fn init_write_creates_the_config_once_and_never_overwrites() {
    let emu = emulator();
    let dir = tempfile::tempdir().unwrap();
    let out = run(bare(emu, dir.path()).args(["init", "--write"])).ok();
    let path = dir.path().join("rolecall/config.toml");
    assert!(
        out.stderr.contains(&format!("to {}", path.display())),
        "{}",
        out.stderr
    );
    let first = std::fs::read_to_string(&path).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    // rolecall now reads it from its usual place.
    let roles = run(bare(emu, dir.path()).args(["roles", "--json"]))
        .ok()
        .json();
    assert!(arns(&roles).contains(&emu.role_arn("staging-auditor")));
    // A second --write refuses, says where the file is, and leaves it as it was.
    let again = run(bare(emu, dir.path()).args(["init", "--write"])).fails();
    assert!(again.stderr.contains("exists"), "{}", again.stderr);
    assert!(
        again.stderr.contains(&path.display().to_string()),
        "{}",
        again.stderr
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), first);
}
