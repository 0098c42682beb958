//! The TUI at scale: filter, sort and draw a 100 000-instance table, and the heap it takes.
//! `cargo bench --bench scale` (scripts/bench runs it and prints the figures).
//!
//! Targets (issue "Scale and speed"): filter under 20 ms per keystroke, a frame under 4 ms.

#![allow(clippy::unwrap_used)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{FixedOffset, TimeZone, Utc};
use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::Terminal;

use rolecall::app::state::filter::visible;
use rolecall::app::state::{search_keys, View};
use rolecall::app::update::update;
use rolecall::app::State;
use rolecall::app::{Answer, Effect, Msg, Rows, Slot, Work};
use rolecall::aws::target::Listing;
use rolecall::config::Config;
use rolecall::inventory::Part;
use rolecall::resources::Kind;
use rolecall::resources::{Instance, Row};
use rolecall::ui::{draw, Theme};

/// Counts live heap bytes and their peak, for the memory figure.
struct Counting;
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

const N: usize = 100_000;

/// Instances shaped like real ones: names, tags, IPs, volumes, in four regions.
fn instances(n: usize) -> Vec<Instance> {
    let regions = ["us-east-1", "eu-west-1", "ap-southeast-2", "us-west-2"];
    let launched = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    (0..n)
        .map(|i| {
            let region = regions[i % regions.len()];
            let mut tags = BTreeMap::new();
            tags.insert("Name".to_string(), format!("node-{i:06}"));
            tags.insert(
                "team".to_string(),
                ["web", "data", "batch", "ops"][i % 4].to_string(),
            );
            tags.insert(
                "env".to_string(),
                if i % 3 == 0 { "prod" } else { "staging" }.to_string(),
            );
            Instance {
                instance_id: format!("i-{:017x}", i * 7919),
                name: format!("node-{i:06}"),
                state: if i % 10 == 0 { "stopped" } else { "running" }.into(),
                instance_type: ["t3.micro", "m5.large", "c5.xlarge"][i % 3].into(),
                region: region.into(),
                availability_zone: format!("{region}a"),
                private_ip: Some(format!(
                    "10.{}.{}.{}",
                    i / 65536 % 256,
                    i / 256 % 256,
                    i % 256
                )),
                public_ip: (i % 5 == 0)
                    .then(|| format!("54.{}.{}.{}", i / 65536 % 256, i / 256 % 256, i % 256)),
                launch_time: Some(launched + chrono::Duration::minutes(i as i64)),
                volume_ids: vec![format!("vol-{:017x}", i * 104729)],
                tags,
                image_id: Some("ami-0123456789abcdef0".into()),
                vpc_id: Some("vpc-0123456789abcdef0".into()),
                subnet_id: Some("subnet-0123456789abcdef0".into()),
                key_name: None,
                platform: None,
                architecture: Some("x86_64".into()),
                iam_instance_profile: None,
                private_dns_name: Some(format!(
                    "ip-10-0-{}-{}.ec2.internal",
                    i / 256 % 256,
                    i % 256
                )),
                public_dns_name: None,
                security_groups: vec!["sg-0123456789abcdef0".into()],
            }
        })
        .collect()
}

/// The same, as rows of a table.
fn rows(n: usize) -> Vec<Row> {
    // (A vector of their own, as `Listing::map` makes: `collect` would keep the instances'.)
    let mut rows = Vec::with_capacity(n);
    rows.extend(instances(n).into_iter().map(Row::new));
    rows
}

fn state_with(items: Vec<Row>, size: (u16, u16)) -> State {
    let now = Utc.with_ymd_and_hms(2026, 11, 22, 18, 0, 0).unwrap();
    let mut s = State::new(
        &Config::default(),
        now,
        FixedOffset::east_opt(0).unwrap(),
        size,
    );
    s.view = View::of_role(Kind::Instances);
    let t = s.tables.get_mut(Kind::Instances);
    t.role = Some(
        "arn:aws:iam::222222222222:role/ResponderRole"
            .parse()
            .unwrap(),
    );
    t.regions = vec!["us-east-1".into(), "eu-west-1".into()];
    t.set_items(items);
    t.refresh(usize::from(size.1));
    s.current = s.tables.get(Kind::Instances).role.clone();
    s
}

fn memory_report() {
    let before = LIVE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let s = state_with(rows(N), (200, 50));
    let live = LIVE.load(Ordering::Relaxed) - before;
    let peak = PEAK.load(Ordering::Relaxed) - before;
    println!(
        "memory: {N} instances in the TUI state: {:.1} MiB live ({} bytes/instance), {:.1} MiB peak while loading",
        live as f64 / 1048576.0,
        live / N,
        peak as f64 / 1048576.0
    );
    drop(s);
}

fn benches(c: &mut Criterion) {
    memory_report();
    let items = rows(N);
    let keys: Vec<String> = items.iter().map(Row::search_text).collect();
    c.bench_function(
        "filter 100k instances (one keystroke, \"node-0999\")",
        |b| b.iter(|| black_box(visible(&items, &keys, black_box("node-0999"), None))),
    );
    c.bench_function("filter 100k instances by IP (\"10.1.2\")", |b| {
        b.iter(|| black_box(visible(&items, &keys, black_box("10.1.2"), None)))
    });
    c.bench_function("sort 100k instances by name", |b| {
        b.iter(|| black_box(visible(&items, &keys, "", Some((0, true)))))
    });
    c.bench_function("search keys for 100k instances (once per listing)", |b| {
        b.iter(|| black_box(items.iter().map(Row::search_text).collect::<Vec<_>>()))
    });
    every_account(c);
    let mut s = state_with(items, (200, 50));
    let theme = Theme::new(false);
    let mut terminal = Terminal::new(TestBackend::new(200, 50)).unwrap();
    c.bench_function("draw a frame of the 100k-instance table (200x50)", |b| {
        b.iter(|| {
            // Scroll a row each frame, as a held-down j does.
            let t = s.tables.get_mut(Kind::Instances);
            t.list.selected = (t.list.selected + 1) % N;
            t.list.scroll_into_view(N, 48);
            terminal.draw(|f| draw(f, &s, &theme)).unwrap();
        })
    });
}

/// 100k instances over 40 accounts, as the every-account view holds them.
fn account_parts(items: Vec<Instance>, accounts: usize) -> Vec<Part> {
    let per = items.len() / accounts;
    let mut items = items.into_iter();
    (0..accounts)
        .map(|a| {
            let arn: rolecall::aws::arn::RoleArn = format!(
                "arn:aws:iam::{:012}:role/Inventory",
                100_000_000_000u64 + a as u64
            )
            .parse()
            .unwrap();
            let listing = Listing {
                items: items.by_ref().take(per).map(Row::new).collect(),
                failures: vec![],
                notes: vec![],
                regions: None,
            };
            let query = rolecall::resources::Query {
                regions: vec!["us-east-1".into()],
                window: None,
                subject: None,
                findings: None,
            };
            Part::new(
                Kind::Instances,
                &arn,
                Some(format!("account-{a:02}")),
                query,
                Ok(listing),
            )
        })
        .collect()
}

/// One account's answer to every-account job `request`.
fn part_msg(request: u64, part: Part, keys: Vec<String>) -> Msg {
    Msg::Job {
        slot: Slot::Every(Kind::Instances),
        id: request,
        answer: Answer::Listed(Rows {
            rows: part.rows,
            keys,
            failures: part.failures,
            ok: part.ok,
            throttled: false,
            more: false,
            notes: vec![],
            answered: None,
        }),
    }
}

/// A copy of the state whose table has room for another account's rows, as a growing `Vec`
/// has most of the time (a clone has none, and the copy to grow it would swamp the figure).
fn with_room(s: &State) -> State {
    let mut s = s.clone();
    let t = &mut s.every_mut(Kind::Instances).table;
    t.items.reserve(N / 40);
    t.keys.reserve(N / 40);
    s
}

/// The every-account view: 39 of 40 accounts in, then the last one's 2 500 rows arrive (what
/// the UI thread does per account answered), with the search keys made by the listing task or
/// (as before) in `update`; then a keystroke of filter over all 100k.
fn every_account(c: &mut Criterion) {
    let mut parts = account_parts(instances(N), 40);
    let last = parts.pop().unwrap();
    let mut s = state_with(Vec::new(), (200, 50));
    let request = match &update(&mut s, Msg::Key(KeyEvent::from(KeyCode::Char('a'))))[..] {
        [Effect::Start(job)] => job.id,
        _ => {
            // No roles in an empty config: start the listing by hand.
            s.view = View::every(Kind::Instances);
            let work = Work::Every {
                kind: Kind::Instances,
                targets: vec![],
                assume: vec![],
                concurrency: 1,
            };
            match s.jobs.start(work) {
                Effect::Start(job) => job.id,
                _ => unreachable!("start starts a job"),
            }
        }
    };
    s.every_mut(Kind::Instances).accounts = 40;
    for p in parts {
        let keys = search_keys(&p.rows);
        update(&mut s, part_msg(request, p, keys));
    }
    let last_keys = search_keys(&last.rows);
    c.bench_function(
        "every account: the 40th account's 2.5k rows arrive, keys made by the task",
        |b| {
            b.iter_batched(
                || (with_room(&s), last.clone(), last_keys.clone()),
                |(mut s, part, keys)| {
                    update(&mut s, part_msg(request, part, keys));
                    s
                },
                BatchSize::LargeInput,
            )
        },
    );
    c.bench_function(
        "every account: the 40th account's 2.5k rows arrive, keys made in update",
        |b| {
            b.iter_batched(
                || (with_room(&s), last.clone()),
                |(mut s, part)| {
                    update(&mut s, part_msg(request, part, vec![]));
                    s
                },
                BatchSize::LargeInput,
            )
        },
    );
    let keys = search_keys(&last.rows);
    update(&mut s, part_msg(request, last, keys));
    let t = &s.every(Kind::Instances).table;
    assert_eq!(t.items.len(), N);
    c.bench_function(
        "every account: filter 100k rows of 40 accounts (\"10.1.2\")",
        |b| {
            b.iter(|| {
                black_box(visible(
                    &t.items,
                    &t.keys,
                    black_box("10.1.2"),
                    Some((0, false)),
                ))
            })
        },
    );
}

/// An organization at every region: 1 000 accounts × 17 regions × 3 instances (51 000 rows) in
/// the every-account view. A filter keystroke over all of them, and a frame of the view.
fn organization_every_region(c: &mut Criterion) {
    const ACCOUNTS: usize = 1_000;
    const ROWS: usize = ACCOUNTS * 17 * 3;
    let parts = account_parts(instances(ROWS), ACCOUNTS);
    let mut s = state_with(Vec::new(), (200, 50));
    s.view = View::every(Kind::Instances);
    let work = Work::Every {
        kind: Kind::Instances,
        targets: vec![],
        assume: vec![],
        concurrency: 1,
    };
    let request = match s.jobs.start(work) {
        Effect::Start(job) => job.id,
        _ => unreachable!("start starts a job"),
    };
    s.every_mut(Kind::Instances).accounts = ACCOUNTS;
    for p in parts {
        let keys = search_keys(&p.rows);
        update(&mut s, part_msg(request, p, keys));
    }
    let t = &s.every(Kind::Instances).table;
    assert_eq!(t.items.len(), ROWS);
    c.bench_function(
        "1 000 accounts x 17 regions: filter 51k rows, one keystroke (\"10.1.2\")",
        |b| {
            b.iter(|| {
                black_box(visible(
                    &t.items,
                    &t.keys,
                    black_box("10.1.2"),
                    Some((0, false)),
                ))
            })
        },
    );
    let theme = Theme::new(false);
    let mut terminal = Terminal::new(TestBackend::new(200, 50)).unwrap();
    c.bench_function(
        "1 000 accounts x 17 regions: draw a frame of the 51k-row view (200x50)",
        |b| {
            b.iter(|| {
                let t = &mut s.every_mut(Kind::Instances).table;
                t.list.selected = (t.list.selected + 1) % ROWS;
                t.list.scroll_into_view(ROWS, 48);
                terminal.draw(|f| draw(f, &s, &theme)).unwrap();
            })
        },
    );
}

/// A config of `n` accounts, each with a name and one role, as an organization's would be.
fn thousand_accounts_config(n: usize) -> Config {
    let mut text = String::new();
    for i in 0..n {
        let id = 900_000_000_000u64 + i as u64;
        text.push_str(&format!(
            "[[account]]\nid = \"{id}\"\nname = \"acct-{i:04}-{}\"\n\n[[role]]\narn = \"arn:aws:iam::{id}:role/IR/Responder\"\nname = \"responder-{i:04}\"\n\n",
            ["prod", "staging", "dev", "sandbox"][i % 4]
        ));
    }
    rolecall::config::parse(&text, std::path::Path::new("bench.toml")).unwrap()
}

/// The TUI's first frame with an organization of 1 000 accounts in the cache: reading the cache,
/// making the roles, merging, grouping and the tree's state (what `runtime::run` does before
/// its first draw).
fn organization_start(c: &mut Criterion, now: chrono::DateTime<Utc>, offset: FixedOffset) {
    use rolecall::aws::organizations::OrgAccount;
    use rolecall::organization::{remember, AccountList};
    let cache = tempfile::tempdir().unwrap();
    // (criterion runs one benchmark at a time, in this one thread.)
    std::env::set_var("XDG_CACHE_HOME", cache.path());
    let config = rolecall::config::parse(
        "[[organization]]\nrole_name = \"IR/Responder\"\nvia = \"arn:aws:iam::123123123123:role/OrgReader\"\n",
        std::path::Path::new("bench.toml"),
    )
    .unwrap();
    let list = AccountList {
        read_at: now,
        read_by: "arn:aws:sts::123123123123:assumed-role/OrgReader/rolecall".into(),
        accounts: (0..1000)
            .map(|i| OrgAccount {
                id: format!("{}", 900_000_000_000u64 + i),
                name: format!(
                    "Workload {i:04} {}",
                    ["prod", "staging", "dev", "sandbox"][i as usize % 4]
                ),
                status: if i % 97 == 0 { "SUSPENDED" } else { "ACTIVE" }.into(),
            })
            .collect(),
    };
    remember(&config.organizations[0], "bench", &list).unwrap();
    c.bench_function(
        "tree of 1 000 accounts from a cached organization: the state of the first frame",
        |b| {
            b.iter(|| {
                let mut s = State::new(&config, now, offset, (120, 30));
                s.set_roles(rolecall::roles::at_start(&config, "bench").0);
                assert!(s.accounts.len() > 900);
                black_box(s)
            })
        },
    );
}

/// The tree at a thousand accounts × one role: the first frame's state, a filter keystroke, a
/// frame.
fn thousand_accounts(c: &mut Criterion) {
    let config = thousand_accounts_config(1000);
    let now = Utc.with_ymd_and_hms(2026, 11, 22, 18, 0, 0).unwrap();
    let offset = FixedOffset::east_opt(0).unwrap();
    c.bench_function(
        "tree of 1 000 accounts: the state of the first frame",
        |b| b.iter(|| black_box(State::new(&config, now, offset, (120, 30)))),
    );
    let theme = Theme::new(false);
    let mut terminal = Terminal::new(TestBackend::new(120, 30)).unwrap();
    let mut s = State::new(&config, now, offset, (120, 30));
    c.bench_function("tree of 1 000 accounts: draw a frame (120x30)", |b| {
        b.iter(|| {
            terminal.draw(|f| draw(f, &s, &theme)).unwrap();
        })
    });
    update(&mut s, key('/'));
    for ch in "acct-07".chars() {
        update(&mut s, key(ch));
    }
    // One more character and back: two keystrokes on a 1 000-account tree already filtered.
    c.bench_function(
        "tree of 1 000 accounts: filter, two keystrokes (\"acct-07\" + \"5\", backspace)",
        |b| b.iter(|| type_and_erase(&mut s, '5')),
    );
    update(
        &mut s,
        Msg::Key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE)),
    );
    update(&mut s, key('/'));
    c.bench_function(
        "tree of 1 000 accounts: filter, first keystroke (\"p\", backspace)",
        |b| b.iter(|| type_and_erase(&mut s, 'p')),
    );
    organization_start(c, now, offset);
}

/// One keystroke in the filter and its backspace.
fn type_and_erase(s: &mut State, c: char) {
    update(s, key(c));
    update(
        s,
        Msg::Key(KeyEvent::new(KeyCode::Backspace, KeyModifiers::NONE)),
    );
}

fn key(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

criterion_group! {
    name = scale;
    config = Criterion::default().sample_size(20).measurement_time(std::time::Duration::from_secs(4));
    targets = benches, thousand_accounts, organization_every_region
}
criterion_main!(scale);
