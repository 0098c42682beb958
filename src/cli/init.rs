//! `rolecall init [--write]`: a starter config from what discovery finds today (the roles in
//! the caller's IAM policies and the role profiles of `~/.aws/config`, with the config's own):
//! an `[[account]]` per account, a `[[role]]` per role with a short unique name, the external ID
//! and MFA serial a profile gives. Printed, or written where rolecall looks for its config (never
//! over a file that exists). Whatever it writes is read back with rolecall's own loader.

use std::collections::HashSet;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Context};

use super::Ctx;
use crate::aws::identity::caller_identity;
use crate::roles::{self, AccountRoles, Role, RoleSource};

/// A TOML string, quoted and escaped.
fn quoted(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// A name the config accepts (1–64 characters, no spaces): lower case, runs of anything but
/// letters, digits, `-`, `_` and `.` made one `-`.
fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let out = out.trim_matches('-').to_string();
    let mut out: String = out.chars().take(64).collect();
    if out.is_empty() {
        out.push_str("role");
    }
    out
}

/// Short unique names: a role's own name (from the config or its profile) where it has one,
/// else its role name, with the account's name or id in front where that name is taken twice.
fn names(groups: &[AccountRoles]) -> Vec<Vec<String>> {
    let base = |r: &Role| slug(r.arn.name());
    let mut count: std::collections::HashMap<String, usize> = Default::default();
    for g in groups {
        for r in g.roles.iter().filter(|r| r.name.is_none()) {
            *count.entry(base(r)).or_default() += 1;
        }
    }
    let mut taken: HashSet<String> = groups
        .iter()
        .flat_map(|g| g.roles.iter().filter_map(|r| r.name.clone()))
        .collect();
    groups
        .iter()
        .map(|g| {
            g.roles
                .iter()
                .map(|r| {
                    if let Some(n) = &r.name {
                        return n.clone();
                    }
                    let b = base(r);
                    let mut name = if count.get(&b).copied().unwrap_or(0) > 1 || taken.contains(&b)
                    {
                        slug(&format!("{}-{b}", g.name.as_deref().unwrap_or(&g.id)))
                    } else {
                        b
                    };
                    let stem = name.clone();
                    let mut n = 2;
                    while taken.contains(&name) {
                        name = format!("{stem}-{n}");
                        n += 1;
                    }
                    taken.insert(name.clone());
                    name
                })
                .collect()
        })
        .collect()
}

fn source_text(r: &Role) -> &'static str {
    match r.source {
        RoleSource::Config => "rolecall's config",
        RoleSource::AwsConfig => "a role profile in ~/.aws/config",
        RoleSource::Policy => "the caller's IAM policies",
        RoleSource::Argument => "the command line",
        RoleSource::Organization => "an [[organization]]",
        RoleSource::Sso => "IAM Identity Center",
    }
}

/// The starter config's text.
pub fn render(primary_arn: &str, region: Option<&str>, groups: &[AccountRoles]) -> String {
    let mut t = String::new();
    t.push_str(&format!(
        "# rolecall config, started by `rolecall init` from what {primary_arn} can see:\n\
         # the roles in its IAM policies and the role profiles of ~/.aws/config. Keep what you\n\
         # need; every key is explained in config.example.toml.\n\n\
         [defaults]\n\
         # Regions listed for a role that names none; the word \"all\": each account's enabled regions.\n\
         # regions = [{}]\n\
         # RoleSessionName: it shows in the secondary accounts' CloudTrail; your own name is a good one.\n\
         # session_name = \"rolecall\"\n\
         # SourceIdentity on every AssumeRole: CloudTrail ties what each role session did to you\n\
         # (the roles' trust policies must allow sts:SetSourceIdentity; `rolecall policy` writes it).\n\
         # source_identity = \"your-user-name\"\n\
         # duration_seconds = 3600\n",
        quoted(region.unwrap_or("us-east-1"))
    ));
    let names = names(groups);
    for (g, names) in groups.iter().zip(names) {
        t.push_str(&format!("\n[[account]]\nid = {}\n", quoted(&g.id)));
        match &g.name {
            Some(n) => t.push_str(&format!("name = {}\n", quoted(n))),
            None => t.push_str(
                "# name = \"…\"  (a name for it, shown in the tree and in console links)\n",
            ),
        }
        if let Some(c) = &g.color {
            t.push_str(&format!("color = {}\n", quoted(c)));
        }
        for (r, name) in g.roles.iter().zip(names) {
            t.push_str(&format!(
                "\n# from {}\n[[role]]\narn = {}\nname = {}\n",
                source_text(r),
                quoted(&r.arn.to_string()),
                quoted(&name)
            ));
            if let Some(x) = &r.external_id {
                t.push_str(&format!("external_id = {}\n", quoted(x)));
            }
            if let Some(m) = &r.mfa_serial {
                t.push_str(&format!("mfa_serial = {}\n", quoted(m)));
            }
            if let Some(d) = r.duration_seconds {
                t.push_str(&format!("duration_seconds = {d}\n"));
            }
            if let Some(rs) = &r.regions {
                let list: Vec<String> = rs.iter().map(|r| quoted(r)).collect();
                t.push_str(&format!("regions = [{}]\n", list.join(", ")));
            }
            if let Some(s) = &r.session_name {
                t.push_str(&format!("session_name = {}\n", quoted(s)));
            }
        }
    }
    t
}

/// Writes `text` to `path`, which must not exist: the folder made for its owner only, the
/// file readable by its owner only (external IDs are not for everyone).
fn write_new(path: &Path, text: &str) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        crate::files::create_private_dir(dir)
            .with_context(|| format!("cannot make the folder {}", dir.display()))?;
    }
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    let mut f = match o.open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => bail!(
            "{} exists, and rolecall init never writes over a config: run `rolecall init` (without --write) to print the starter config, and copy what you need into it",
            path.display()
        ),
        Err(e) => return Err(e).with_context(|| format!("cannot create {}", path.display())),
    };
    f.write_all(text.as_bytes())
        .and_then(|()| f.sync_all())
        .with_context(|| format!("cannot write {}", path.display()))
}

/// `rolecall init [--write]`; `path`: where rolecall looks for its config.
pub async fn init(ctx: &Ctx, write: bool, path: Option<&Path>) -> anyhow::Result<ExitCode> {
    let aws = ctx.aws().await;
    let primary = caller_identity(&aws).await?;
    let known = roles::discover(&ctx.config, &ctx.orgs(&aws, &primary)).await;
    for w in &known.warnings {
        eprintln!("warning: {w}");
    }
    let found: Vec<Role> = known
        .roles
        .into_iter()
        // An organization's roles come from its [[organization]] table, not [[role]]s.
        .filter(|r| !matches!(r.source, RoleSource::Argument | RoleSource::Organization))
        .collect();
    let count = found.len();
    let groups = roles::group(&ctx.config, found);
    let text = render(&primary.arn, aws.region(), &groups);
    // Whatever init gives must load: a mistake here is rolecall's, and says so.
    crate::config::parse(&text, Path::new("<rolecall init>")).map_err(|e| {
        anyhow::anyhow!("the starter config does not load ({e}): a rolecall bug, please report it")
    })?;
    if count == 0 {
        eprintln!(
            "note: no role found in the caller's IAM policies or in ~/.aws/config: add [[role]] tables by hand (rolecall policy ARN prints what IAM needs)"
        );
    }
    if !write {
        out!("{text}");
        return Ok(ExitCode::SUCCESS);
    }
    let Some(path) = path else {
        bail!("no config folder on this platform: pass --config PATH to say where to write");
    };
    write_new(path, &text)?;
    let config = crate::config::load_from(path, true)?;
    eprintln!(
        "rolecall: wrote {} role(s) in {} account(s) to {}",
        config.roles.len(),
        config.accounts.len(),
        path.display()
    );
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn role(arn: &str, name: Option<&str>) -> Role {
        let mut r = Role::from_policy(arn.parse().expect("arn"));
        r.name = name.map(String::from);
        r
    }

    #[test]
    fn names_are_short_unique_and_loadable() {
        let groups = vec![
            AccountRoles {
                id: "222222222222".into(),
                name: Some("Prod Main".into()),
                color: None,
                roles: vec![
                    role("arn:aws:iam::222222222222:role/ResponderRole", None),
                    role("arn:aws:iam::222222222222:role/team/Break+Glass", None),
                ],
            },
            AccountRoles {
                id: "333333333333".into(),
                name: None,
                color: None,
                roles: vec![
                    role("arn:aws:iam::333333333333:role/ResponderRole", None),
                    role("arn:aws:iam::333333333333:role/Auditor", Some("auditor")),
                    role("arn:aws:iam::333333333333:role/x/Auditor", None),
                ],
            },
        ];
        assert_eq!(
            names(&groups),
            [
                vec!["prod-main-responderrole", "break-glass"],
                vec![
                    "333333333333-responderrole",
                    "auditor",
                    "333333333333-auditor"
                ],
            ]
        );
        let text = render(
            "arn:aws:iam::111111111111:user/a \"b\"",
            Some("eu-west-1"),
            &groups,
        );
        let c = crate::config::parse(&text, Path::new("t.toml")).expect("loads");
        assert_eq!(c.roles.len(), 5);
        assert_eq!(c.accounts.len(), 2);
        assert!(text.contains("# regions = [\"eu-west-1\"]"), "{text}");
    }

    #[test]
    fn slugs_fit_the_config() {
        assert_eq!(slug("  Weird//Name!! "), "weird-name");
        assert_eq!(slug("***"), "role");
        assert_eq!(slug(&"a".repeat(80)).len(), 64);
    }
}
