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

#[test]
fn the_corpus_replays_cleanly() {
    for (name, text) in seeds() {
        check_config(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    for arn in arn_seeds() {
        if let Ok(parsed) = arn.parse::<RoleArn>() {
            assert_eq!(parsed.to_string(), arn);
        }
    }
    // The seeds are what they claim: the demo and example configs are valid, the broken one is not.
    let seeds = seeds();
    let get = |n: &str| &seeds.iter().find(|(name, _)| name == n).unwrap().1;
    assert!(rolecall::config::parse(get("demo.toml"), Path::new(PATH)).is_ok());
    assert!(rolecall::config::parse(get("example.toml"), Path::new(PATH)).is_ok());
    assert!(rolecall::config::parse(get("wrong-types.toml"), Path::new(PATH)).is_err());
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

    #[test]
    fn any_string_parses_to_an_arn_that_prints_back_or_an_error(s in "\\PC{0,120}") {
        if let Ok(arn) = s.parse::<RoleArn>() {
            prop_assert_eq!(arn.to_string(), s.clone());
        } else {
            let e = s.parse::<RoleArn>().unwrap_err().to_string();
            prop_assert!(!e.is_empty());
        }
        let _ = validate_region(&s);
        let _ = validate_session_name(&s);
        let _ = validate_mfa_serial(&s);
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
