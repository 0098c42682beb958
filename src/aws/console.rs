//! Console links: the Switch Role page of the role's partition.

use url::Url;

use super::arn::RoleArn;
use crate::config::CONSOLE_COLORS;

/// The console limits a switch-role display name to 64 characters.
const MAX_DISPLAY_NAME: usize = 64;

/// `https://signin.aws.amazon.com/switchrole?roleName=…&account=…&displayName=…[&color=…]`.
///
/// `roleName` keeps the role's path (`audit/Auditor`); the colour is only sent when it is one the
/// console offers, since others are ignored or rejected by the page.
pub fn switch_role_url(arn: &RoleArn, display_name: &str, color: Option<&str>) -> String {
    let display: String = display_name.chars().take(MAX_DISPLAY_NAME).collect();
    let base = format!("https://{}/switchrole", arn.partition().signin_host());
    let mut params: Vec<(&str, String)> = vec![
        ("roleName", arn.name_with_path()),
        ("account", arn.account_id().to_string()),
        ("displayName", display),
    ];
    if let Some(c) = color
        .map(str::to_ascii_uppercase)
        .filter(|c| CONSOLE_COLORS.contains(&c.as_str()))
    {
        params.push(("color", c));
    }
    match Url::parse_with_params(&base, &params) {
        Ok(u) => u.to_string(),
        // The base is built from fixed hosts; this cannot fail, but never panic over a link.
        Err(_) => base,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arn(s: &str) -> RoleArn {
        s.parse().unwrap()
    }

    #[test]
    fn plain_role_with_colour() {
        let u = switch_role_url(
            &arn("arn:aws:iam::222222222222:role/ResponderRole"),
            "prod-responder",
            Some("b7ca9d"),
        );
        assert_eq!(
            u,
            "https://signin.aws.amazon.com/switchrole?roleName=ResponderRole&account=222222222222&displayName=prod-responder&color=B7CA9D"
        );
    }

    #[test]
    fn path_and_display_name_are_encoded() {
        let u = switch_role_url(
            &arn("arn:aws:iam::333333333333:role/audit/Auditor"),
            "Auditor @ staging & co",
            None,
        );
        assert_eq!(
            u,
            "https://signin.aws.amazon.com/switchrole?roleName=audit%2FAuditor&account=333333333333&displayName=Auditor+%40+staging+%26+co"
        );
    }

    #[test]
    fn unknown_colour_is_left_out() {
        let u = switch_role_url(
            &arn("arn:aws:iam::222222222222:role/R"),
            "x",
            Some("123456"),
        );
        assert!(!u.contains("color="), "{u}");
    }

    #[test]
    fn partitions_use_their_own_host() {
        let gov = switch_role_url(&arn("arn:aws-us-gov:iam::222222222222:role/R"), "x", None);
        assert!(
            gov.starts_with("https://signin.amazonaws-us-gov.com/switchrole?"),
            "{gov}"
        );
        let cn = switch_role_url(&arn("arn:aws-cn:iam::222222222222:role/R"), "x", None);
        assert!(
            cn.starts_with("https://signin.amazonaws.cn/switchrole?"),
            "{cn}"
        );
    }

    #[test]
    fn display_name_is_cut_to_64_chars() {
        let long = "é".repeat(100);
        let u = switch_role_url(&arn("arn:aws:iam::222222222222:role/R"), &long, None);
        let parsed = Url::parse(&u).unwrap();
        let dn = parsed
            .query_pairs()
            .find(|(k, _)| k == "displayName")
            .unwrap()
            .1
            .to_string();
        assert_eq!(dn.chars().count(), 64);
    }
}
