//! Fuzzing, as property tests: the config loader and the role ARN parser take any input and give
//! a value or a clear, located error — never a panic.
//!
//! The seed corpus is in tests/it/corpus (config files and ARNs, each replayed as is and mutated);
//! proptest keeps every input that ever failed in tests/it/fuzz.proptest-regressions and replays
//! those first. `PROPTEST_CASES=100000 cargo test --test fuzz` runs a longer campaign.

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use proptest::test_runner::{Config as RunnerConfig, FileFailurePersistence};
use rolecall::aws::arn::{validate_mfa_serial, validate_region, validate_session_name, RoleArn};

const PATH: &str = "/etc/rolecall/fuzz.toml";

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/corpus")
}

/// The seed config files, by name.
fn seeds() -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = std::fs::read_dir(corpus_dir().join("config"))
        .expect("tests/it/corpus/config")
        .flatten()
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read_to_string(e.path()).unwrap(),
            )
        })
        .collect();
    out.sort();
    assert!(out.len() >= 4, "the corpus has its seed files");
    out
}

fn arn_seeds() -> Vec<String> {
    std::fs::read_to_string(corpus_dir().join("arns.txt"))
        .expect("tests/it/corpus/arns.txt")
        .lines()
        .map(str::to_string)
        .collect()
}

/// Parses `src`; an error must be `PATH:line:column: message` with the position inside `src`.
fn check_config(src: &str) -> Result<(), TestCaseError> {
    let Err(e) = rolecall::config::parse(src, Path::new(PATH)) else {
        return Ok(());
    };
    let msg = e.to_string();
    let rest = msg
        .strip_prefix(PATH)
        .and_then(|r| r.strip_prefix(':'))
        .ok_or_else(|| TestCaseError::fail(format!("error without the file: {msg}")))?;
    let mut parts = rest.splitn(3, ':');
    let line: usize = parts
        .next()
        .unwrap_or("")
        .parse()
        .map_err(|_| TestCaseError::fail(format!("error without a line: {msg}")))?;
    let column: usize = parts
        .next()
        .unwrap_or("")
        .parse()
        .map_err(|_| TestCaseError::fail(format!("error without a column: {msg}")))?;
    let text = parts.next().unwrap_or("").trim();
    let lines = src.split('\n').count();
    prop_assert!((1..=lines).contains(&line), "line {line} of {lines}: {msg}");
    let line_len = src
        .split('\n')
        .nth(line - 1)
        .map_or(0, |l| l.chars().count());
    prop_assert!(
        (1..=line_len + 1).contains(&column),
        "column {column} of a {line_len}-character line: {msg}"
    );
    prop_assert!(!text.is_empty(), "no message: {msg}");
    Ok(())
}

/// Pieces of TOML and of rolecall's keys, for mutations that get past the TOML parser.
const TOKENS: &[&str] = &[
    "[defaults]\n",
    "[[role]]\n",
    "[[account]]\n",
    "[console]\n",
    "arn = ",
    "name = ",
    "regions = ",
    "duration_seconds = ",
    "refresh_before_seconds = ",
    "mfa_serial = ",
    "external_id = ",
    "color = ",
    "id = ",
    "\"arn:aws:iam::222222222222:role/R\"",
    "\"222222222222\"",
    "[\"us-east-1\", \"eu-west-1\"]",
    "-1",
    "0",
    "43201",
    "9223372036854775807",
    "1e3",
    "true",
    "\"\"",
    "'''",
    "\"\"\"",
    "\"",
    "[",
    "]",
    "{",
    "}",
    ",",
    "=",
    "#",
    "\n",
    "\r\n",
    "\t",
    "é",
    "東京",
    "\u{0}",
    "\u{feff}",
    "\\u0000",
];

#[derive(Debug, Clone)]
enum Mutation {
    DeleteLine(usize),
    DuplicateLine(usize),
    Insert(usize, String),
    Token(usize, usize),
    Truncate(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<usize>().prop_map(Mutation::DeleteLine),
        any::<usize>().prop_map(Mutation::DuplicateLine),
        (any::<usize>(), ".{0,8}").prop_map(|(at, s)| Mutation::Insert(at, s)),
        (any::<usize>(), 0..TOKENS.len()).prop_map(|(at, t)| Mutation::Token(at, t)),
        any::<usize>().prop_map(Mutation::Truncate),
    ]
}

/// The nearest char boundary at or before `at % (len + 1)`.
fn boundary(s: &str, at: usize) -> usize {
    let mut i = at % (s.len() + 1);
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn apply(src: &str, m: &Mutation) -> String {
    let mut lines: Vec<&str> = src.split('\n').collect();
    match m {
        Mutation::DeleteLine(i) => {
            let i = i % lines.len();
            lines.remove(i);
            lines.join("\n")
        }
        Mutation::DuplicateLine(i) => {
            let i = i % lines.len();
            lines.insert(i, lines[i]);
            lines.join("\n")
        }
        Mutation::Insert(at, s) => {
            let i = boundary(src, *at);
            format!("{}{s}{}", &src[..i], &src[i..])
        }
        Mutation::Token(at, t) => {
            let i = boundary(src, *at);
            format!("{}{}{}", &src[..i], TOKENS[*t], &src[i..])
        }
        Mutation::Truncate(at) => src[..boundary(src, *at)].to_string(),
    }
}

fn runner(cases: u32) -> RunnerConfig {
    RunnerConfig {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource(
            "proptest-regressions",
        ))),
        ..RunnerConfig::default()
    }
}

/// The config seeds that are valid configs; every other seed must be refused with a located
/// error (`wrong-types.toml`: values of the wrong type; `edges.toml`: an error after multi-byte
/// text, whose column must still be right).
const VALID_CONFIGS: &[&str] = &["demo.toml", "example.toml"];

/// The seed ARNs that are role ARNs; every other line of `arns.txt` must be refused with an error
/// that quotes it.
const VALID_ARNS: &[&str] = &[
    "arn:aws:iam::222222222222:role/ResponderRole",
    "arn:aws:iam::333333333333:role/audit/Auditor",
    "arn:aws-us-gov:iam::123456789012:role/a/b/c/R+=,.@-_",
    "arn:aws-cn:iam::123456789012:role/R",
];

#[test]
fn the_corpus_replays_cleanly() {
    let seeds = seeds();
    for v in VALID_CONFIGS {
        assert!(seeds.iter().any(|(n, _)| n == v), "{v} is in the corpus");
    }
    for (name, text) in &seeds {
        let parsed = rolecall::config::parse(text, Path::new(PATH));
        if VALID_CONFIGS.contains(&name.as_str()) {
            if let Err(e) = parsed {
                panic!("{name} is a valid config, yet: {e}");
            }
        } else {
            let e = match parsed {
                Ok(_) => panic!("{name} must be refused, and was accepted"),
                Err(e) => e.to_string(),
            };
            assert!(e.starts_with(&format!("{PATH}:")), "{name}: {e}");
            check_config(text).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }
    let arns = arn_seeds();
    for v in VALID_ARNS {
        assert!(arns.iter().any(|a| a == v), "{v} is in the corpus");
    }
    assert!(
        arns.len() > VALID_ARNS.len() + 5,
        "the corpus has near misses"
    );
    for arn in &arns {
        match arn.parse::<RoleArn>() {
            Ok(parsed) => {
                assert!(VALID_ARNS.contains(&arn.as_str()), "{arn} was accepted");
                assert_eq!(parsed.to_string(), *arn);
            }
            Err(e) => {
                assert!(
                    !VALID_ARNS.contains(&arn.as_str()),
                    "{arn} was refused: {e}"
                );
                assert!(e.to_string().contains(arn.as_str()), "{arn}: {e}");
            }
        }
    }
}

proptest! {
    #![proptest_config(runner(2000))]

    /// Mutated seed files: deleted and repeated lines, inserted text and TOML tokens, cut short.
    #[test]
    fn mutated_configs_give_a_config_or_a_located_error(
        seed in 0usize..64,
        mutations in prop::collection::vec(mutation(), 1..6),
    ) {
        let seeds = seeds();
        let mut src = seeds[seed % seeds.len()].1.clone();
        for m in &mutations {
            src = apply(&src, m);
        }
        check_config(&src)?;
    }

    /// Text that is barely TOML at all.
    #[test]
    fn arbitrary_text_gives_a_located_error(src in "(\\PC|\n){0,200}") {
        check_config(&src)?;
    }
}

proptest! {
    #![proptest_config(runner(3000))]

    /// Any text: a role ARN that prints back as it was given, or an error that quotes it; and
    /// the region, session name and MFA serial checks agree with the rules they state.
    #[test]
    fn any_string_parses_to_an_arn_that_prints_back_or_an_error(
        s in prop_oneof![
            "\\PC{0,120}",
            "[a-z]{2}(-[a-z]{1,9}){1,2}-[0-9]{1,2}",
            "[a-zA-Z0-9_+=,.@é /:-]{0,70}",
            "arn:aws:iam::[0-9]{12}:(mfa|role)/[a-zA-Z0-9_+=,.@-]{0,8}",
        ]
    ) {
        match s.parse::<RoleArn>() {
            Ok(arn) => {
                prop_assert_eq!(arn.to_string(), s.clone());
                prop_assert!(s.starts_with("arn:") && s.contains(":role/"), "accepted {}", s);
            }
            Err(e) => prop_assert!(e.to_string().contains(&s), "the error quotes the input: {}", e),
        }
        let name_char = |c: char| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c);
        let region_rule = s.len() <= 32
            && s.matches('-').count() >= 2
            && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && s.starts_with(|c: char| c.is_ascii_lowercase())
            && s.ends_with(|c: char| c.is_ascii_digit())
            && !s.contains("--");
        let session_rule = (2..=64).contains(&s.len()) && s.chars().all(name_char);
        for (what, got, rule) in [
            ("region", validate_region(&s), region_rule),
            ("session name", validate_session_name(&s), session_rule),
        ] {
            match got {
                Ok(()) => prop_assert!(rule, "{} {:?} accepted against its rule", what, s),
                Err(e) => {
                    prop_assert!(!rule, "{} {:?} refused: {}", what, s, e);
                    prop_assert!(e.to_string().contains(&s), "the error quotes the input: {}", e);
                }
            }
        }
        // An MFA device ARN (arn:PARTITION:iam::ACCOUNT:mfa/NAME), or a hardware serial: 9 to
        // 256 of the name characters, '/' and ':'.
        let serial_rule = match s.strip_prefix("arn:") {
            Some(rest) => {
                let p: Vec<&str> = rest.splitn(5, ':').collect();
                p.len() == 5
                    && ["aws", "aws-cn", "aws-us-gov"].contains(&p[0])
                    && p[1] == "iam"
                    && p[2].is_empty()
                    && p[3].len() == 12
                    && p[3].bytes().all(|b| b.is_ascii_digit())
                    && p[4].strip_prefix("mfa/").is_some_and(|n| !n.is_empty())
            }
            None => {
                (9..=256).contains(&s.len())
                    && s.chars().all(|c| name_char(c) || c == '/' || c == ':')
            }
        };
        match validate_mfa_serial(&s) {
            Ok(()) => prop_assert!(serial_rule, "MFA serial {:?} accepted against its rule", s),
            Err(e) => {
                prop_assert!(!serial_rule, "MFA serial {:?} refused: {}", s, e);
                let e = e.to_string();
                prop_assert!(e.contains(&s), "the error names the input: {}", e);
            }
        }
    }

    /// Near misses: ARN-shaped strings with the wrong partition, service, region, account,
    /// resource type or characters.
    #[test]
    fn arn_shaped_strings_are_judged_consistently(
        s in "arn:(aws|aws-cn|aws-us-gov|aws-iso|)?:(iam|sts|)?:(us-east-1|)?:[0-9*]{10,13}:(role|user|assumed-role)?/[a-zA-Z0-9_+=,.@/*é-]{0,70}"
    ) {
        match s.parse::<RoleArn>() {
            Ok(arn) => {
                prop_assert_eq!(arn.to_string(), s.clone());
                prop_assert_eq!(arn.account_id().len(), 12);
                prop_assert!(arn.account_id().bytes().all(|b| b.is_ascii_digit()));
                prop_assert!(!arn.name().is_empty() && arn.name().len() <= 64);
                prop_assert!(!arn.name().contains('/'));
            }
            Err(e) => prop_assert!(e.to_string().contains(&s), "the error quotes the input: {}", e),
        }
    }

    /// Every well-formed role ARN parses to its parts.
    #[test]
    fn well_formed_arns_parse_to_their_parts(
        partition in prop::sample::select(vec!["aws", "aws-cn", "aws-us-gov"]),
        account in "[0-9]{12}",
        path in prop::collection::vec("[a-zA-Z0-9_+=,.@-]{1,12}", 0..4),
        name in "[a-zA-Z0-9_+=,.@-]{1,64}",
    ) {
        let full = if path.is_empty() { name.clone() } else { format!("{}/{name}", path.join("/")) };
        let s = format!("arn:{partition}:iam::{account}:role/{full}");
        let arn: RoleArn = s.parse().map_err(|e| TestCaseError::fail(format!("{s}: {e}")))?;
        prop_assert_eq!(arn.partition().as_str(), partition);
        prop_assert_eq!(arn.account_id(), account.as_str());
        prop_assert_eq!(arn.name(), name.as_str());
        prop_assert_eq!(arn.name_with_path(), full);
        prop_assert_eq!(arn.to_string(), s);
    }
}
