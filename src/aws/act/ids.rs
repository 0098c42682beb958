//! The ids a responder action is given, checked before any call or path is built from them:
//! an id is joined into request parameters, tags and the capture folder's path, so a typo (or
//! `../`) must stop here, naming the thing and what to check.

use crate::aws::arn::{validate_account_id, validate_region};
use crate::aws::{AwsError, ErrorKind};

/// 40 characters of letters, digits, `/` and `+`: the shape of a secret access key, pasted
/// where its id was asked for.
pub fn looks_like_secret(s: &str) -> bool {
    s.len() == 40
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'/' || b == b'+')
}

fn invalid(what: &str, id: &str, expected: &str, check: &str) -> AwsError {
    // A secret is never echoed: not to the screen, not to a log that keeps the error.
    if looks_like_secret(id) {
        return AwsError::new(ErrorKind::Other, "checking the input", what.to_string())
            .with_message(format!(
                "the value given looks like a secret access key (not shown), not {what}: expected {expected}"
            ))
            .with_hint(format!(
                "{check}; if that was a secret key, treat it as exposed (it may be in your shell history): rotate it; nothing was asked of AWS"
            ));
    }
    AwsError::new(
        ErrorKind::Other,
        "checking the input",
        format!("{what} {id:?}"),
    )
    .with_message(format!("\"{id}\" is not {what}: expected {expected}"))
    .with_hint(format!("{check}; nothing was asked of AWS"))
}

/// `prefix` then 8 or 17 lowercase hex digits (EC2's short and long ids).
fn ec2_id(id: &str, prefix: &str) -> bool {
    id.strip_prefix(prefix).is_some_and(|hex| {
        matches!(hex.len(), 8 | 17)
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

/// An instance id: `i-` and 8 or 17 hex digits.
pub fn instance(id: &str) -> Result<(), AwsError> {
    if ec2_id(id, "i-") {
        return Ok(());
    }
    Err(invalid(
        "an instance id",
        id,
        "i- and 8 or 17 hex digits, like i-0123456789abcdef0",
        "copy the id from rolecall instances ROLE (or the console)",
    ))
}

/// A volume id: `vol-` and 8 or 17 hex digits.
pub fn volume(id: &str) -> Result<(), AwsError> {
    if ec2_id(id, "vol-") {
        return Ok(());
    }
    Err(invalid(
        "a volume id",
        id,
        "vol- and 8 or 17 hex digits, like vol-0123456789abcdef0",
        "copy the id from rolecall volumes ROLE (or the console)",
    ))
}

/// A snapshot id: `snap-` and 8 or 17 hex digits.
pub fn snapshot(id: &str) -> Result<(), AwsError> {
    if ec2_id(id, "snap-") {
        return Ok(());
    }
    Err(invalid(
        "a snapshot id",
        id,
        "snap- and 8 or 17 hex digits",
        "check the snapshot id",
    ))
}

/// An account id: 12 digits.
pub fn account(id: &str, what: &str) -> Result<(), AwsError> {
    validate_account_id(id).map_err(|_| {
        invalid(
            what,
            id,
            "an account id, exactly 12 digits",
            "check the account id (the forensic account's, for sharing)",
        )
    })
}

/// An access key id: `AKIA` (a user's long-term key) or `ASIA` (temporary credentials) and 16
/// more upper-case letters and digits, 20 in all.
pub fn access_key(id: &str) -> Result<(), AwsError> {
    let ok = id.len() == 20
        && (id.starts_with("AKIA") || id.starts_with("ASIA"))
        && id
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    if ok {
        return Ok(());
    }
    Err(invalid(
        "an access key id",
        id,
        "AKIA (a user's key) or ASIA (temporary credentials) and 16 upper-case letters and digits, like AKIAIOSFODNN7EXAMPLE",
        "copy the key id whole (it is never the secret key)",
    ))
}

/// An IAM user, role or instance profile name: 1 to 64 letters, digits and `+=,.@_-`.
pub fn iam_name(name: &str, what: &str) -> Result<(), AwsError> {
    let ok = (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b));
    if ok {
        return Ok(());
    }
    Err(invalid(
        &format!("an IAM {what} name"),
        name,
        "1 to 64 letters, digits and +=,.@_- (the name, not the ARN)",
        &format!("copy the {what}'s name from rolecall users ROLE or iam-roles ROLE"),
    ))
}

/// A Security Hub finding id (ASFF `Id`): 1 to 512 letters, digits and `:/._-+=@`, never a
/// `.` or `..` part (it goes into a console link too).
pub fn finding_id(id: &str) -> Result<(), AwsError> {
    let ok = (1..=512).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b":/._-+=@".contains(&b))
        && !id.split(['/', ':']).any(|part| part == ".." || part == ".");
    if ok {
        return Ok(());
    }
    Err(invalid(
        "a finding id",
        id,
        "1 to 512 letters, digits and :/._-+=@, like arn:aws:guardduty:us-east-1:222222222222:detector/…/finding/…",
        "copy the id whole from rolecall findings ROLE --json (its \"id\")",
    ))
}

/// A finding's workflow status: NEW, NOTIFIED, RESOLVED or SUPPRESSED.
pub fn workflow_status(status: &str) -> Result<(), AwsError> {
    if crate::resources::STATUSES.contains(&status) {
        return Ok(());
    }
    Err(invalid(
        "a workflow status",
        status,
        "NEW, NOTIFIED, RESOLVED or SUPPRESSED",
        "give one of those four words",
    ))
}

/// The longest note Security Hub takes (`NoteUpdate.Text`).
pub const NOTE_MAX: usize = 512;

/// A finding's note: 1 to 512 characters, not only spaces, no control characters (no newlines:
/// it is one line in the plan, the case log and the console).
pub fn finding_note(note: &str) -> Result<(), AwsError> {
    let n = note.chars().count();
    let why = if note.trim().is_empty() {
        Some("it is empty".to_string())
    } else if n > NOTE_MAX {
        Some(format!("it is {n} characters long"))
    } else if note.chars().any(char::is_control) {
        Some("it holds a control character (a newline, a tab, an escape)".to_string())
    } else {
        None
    };
    match why {
        None => Ok(()),
        Some(why) => Err(AwsError::new(ErrorKind::Other, "checking the input", "the note")
            .with_message(format!(
                "the note is not one Security Hub takes: {why}; a note is 1 to {NOTE_MAX} characters on one line"
            ))
            .with_hint("shorten it or put it on one line; nothing was asked of AWS")),
    }
}

/// A region name, like `us-east-1`.
pub fn region(name: &str) -> Result<(), AwsError> {
    validate_region(name).map_err(|_| {
        invalid(
            "a region",
            name,
            "a region name like us-east-1 or eu-west-2",
            "check --region, the role's regions in the config, and region in ~/.aws/config",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_checked_by_shape() {
        assert!(instance("i-0123456789abcdef0").is_ok());
        assert!(instance("i-0123abcd").is_ok());
        for bad in [
            "",
            "i-",
            "i-0123456789ABCDEF0",
            "i-../../etc",
            "i-0123456789abcdef",
            "vol-0123456789abcdef0",
            "i-0123456789abcdef0 ",
        ] {
            let e = instance(bad).unwrap_err();
            assert!(e.to_string().contains("instance id"), "{bad}: {e}");
        }
        assert!(volume("vol-0123456789abcdef0").is_ok());
        assert!(volume("i-0123456789abcdef0").is_err());
        assert!(snapshot("snap-0123abcd").is_ok());
        assert!(account("999999999999", "--share-with").is_ok());
        assert!(account("99999999999", "--share-with").is_err());
        assert!(account("9999999999991", "--share-with").is_err());
        assert!(region("us-east-1").is_ok());
        assert!(region("us-east-1/../x").is_err());
        assert!(region("US-EAST-1").is_err());
        let finding = "arn:aws:guardduty:us-east-1:222222222222:detector/6ab6/finding/0ac6";
        assert!(finding_id(finding).is_ok());
        for bad in ["", "a b", "x/../y", "x/./y", "x\ny", &"a".repeat(513)] {
            assert!(finding_id(bad).is_err(), "{bad:?}");
        }
        assert!(workflow_status("RESOLVED").is_ok());
        assert!(workflow_status("resolved").is_err());
        assert!(workflow_status("OPEN").is_err());
        assert!(finding_note("contained: keys deactivated, see IR-7").is_ok());
        assert!(
            finding_note(&"é".repeat(NOTE_MAX)).is_ok(),
            "characters, not bytes"
        );
        for (bad, says) in [
            ("", "empty"),
            ("   ", "empty"),
            ("two\nlines", "control"),
            ("\u{1b}[2J", "control"),
        ] {
            let e = finding_note(bad).unwrap_err().to_string();
            assert!(e.contains(says), "{bad:?}: {e}");
        }
        let long = "a".repeat(NOTE_MAX + 1);
        assert!(finding_note(&long).unwrap_err().to_string().contains("513"));
    }

    #[test]
    fn a_secret_key_given_for_an_id_is_never_echoed() {
        let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
        for e in [
            access_key(secret).unwrap_err(),
            iam_name(secret, "user").unwrap_err(),
            instance(secret).unwrap_err(),
        ] {
            let text = format!("{e} {} {:?}", e.hint.clone().unwrap_or_default(), e);
            assert!(!text.contains(secret), "{text}");
            assert!(
                text.contains("looks like a secret access key (not shown)"),
                "{text}"
            );
        }
        // A typo is still shown, to be corrected.
        assert!(access_key("AKIA123")
            .unwrap_err()
            .to_string()
            .contains("AKIA123"));
    }
}
