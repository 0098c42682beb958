//! Role profiles in the AWS config file (`~/.aws/config`, or `AWS_CONFIG_FILE`): profiles that
//! set `role_arn`, as the AWS CLI uses them.

use super::arn::RoleArn;

/// A profile that assumes a role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileRole {
    pub profile: String,
    pub arn: RoleArn,
    pub external_id: Option<String>,
    pub mfa_serial: Option<String>,
    pub duration_seconds: Option<u32>,
    pub session_name: Option<String>,
    pub region: Option<String>,
}

/// The role profiles, by profile name, and a warning for each one rolecall cannot use. A missing
/// file is no error: there are just no such profiles.
pub async fn role_profiles() -> (Vec<ProfileRole>, Vec<String>) {
    use aws_runtime::env_config::file::EnvConfigFiles;
    use aws_types::os_shim_internal::{Env, Fs};

    let set = match aws_config::profile::load(
        &Fs::real(),
        &Env::real(),
        &EnvConfigFiles::default(),
        None,
    )
    .await
    {
        Ok(set) => set,
        Err(e) => {
            return (
                Vec::new(),
                vec![format!(
                    "cannot read the AWS config file for role profiles: {}",
                    super::error::error_chain(&e)
                )],
            )
        }
    };
    let mut names: Vec<&str> = set.profiles().collect();
    names.sort_unstable();
    let mut roles = Vec::new();
    let mut warnings = Vec::new();
    for name in names {
        let Some(p) = set.get_profile(name) else {
            continue;
        };
        let Some(arn) = p.get("role_arn") else {
            continue;
        };
        let arn: RoleArn = match arn.parse() {
            Ok(a) => a,
            Err(e) => {
                warnings.push(format!("AWS config profile {name}: role_arn {e}"));
                continue;
            }
        };
        let duration_seconds = match p.get("duration_seconds").map(str::parse::<u32>) {
            None => None,
            Some(Ok(d))
                if (crate::config::MIN_DURATION..=crate::config::MAX_DURATION).contains(&d) =>
            {
                Some(d)
            }
            Some(_) => {
                warnings.push(format!(
                    "AWS config profile {name}: duration_seconds must be 900 to 43200; using the default"
                ));
                None
            }
        };
        let owned = |k: &str| p.get(k).map(str::to_string);
        roles.push(ProfileRole {
            profile: name.to_string(),
            arn,
            external_id: owned("external_id"),
            mfa_serial: owned("mfa_serial"),
            duration_seconds,
            session_name: owned("role_session_name"),
            region: owned("region"),
        });
    }
    (roles, warnings)
}
