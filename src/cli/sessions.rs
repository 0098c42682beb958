//! `rolecall sessions [--clear] [--json]`: the sessions kept between runs (`[sessions] cache`),
//! shown without a secret, or dropped.

use std::path::Path;
use std::process::ExitCode;

use chrono::Utc;
use serde_json::json;

use super::print::{sessions_table, to_json};
use super::Ctx;
use crate::aws::session_cache::{self, CacheKind, SessionCache};

/// How to turn the cache on, said where there is none.
fn how_to_turn_on(config: Option<&Path>) -> String {
    let file = config
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "the config file".into());
    format!(
        "No session cache: each run assumes its roles anew ([sessions] cache is \"none\"). To keep \
         sessions until they expire, set in {file}:\n  [sessions]\n  cache = \"keyring\"   # the OS \
         keyring; or \"file\": a file readable by you only, in the data dir"
    )
}

pub fn sessions(ctx: &Ctx, clear: bool, json: bool) -> anyhow::Result<ExitCode> {
    let config_file = ctx
        .config
        .source
        .clone()
        .or_else(|| crate::config::locate(None).map(|(p, _)| p));
    let Some(kind) = ctx.config.sessions.cache else {
        if clear {
            // Sessions an earlier setting kept are still dropped: --clear is what is run after
            // an incident.
            let n = clear_left_behind();
            report_cleared(n, json);
        } else if json {
            outln!("{}", to_json(&json!({"cache": "none", "sessions": []})));
        } else {
            outln!("{}", how_to_turn_on(config_file.as_deref()));
        }
        return Ok(ExitCode::SUCCESS);
    };
    let cache = SessionCache::open(kind, &ctx.opts.scope()).map_err(anyhow::Error::msg)?;
    if clear {
        let n = cache.clear().map_err(anyhow::Error::msg)?;
        report_cleared(n, json);
        return Ok(ExitCode::SUCCESS);
    }
    let list = cache.list().map_err(anyhow::Error::msg)?;
    if json {
        let doc = json!({
            "cache": kind.name(),
            "location": cache.location(),
            "sessions": list,
        });
        outln!("{}", to_json(&doc));
    } else if list.is_empty() {
        outln!(
            "No session is kept ([sessions] cache = \"{}\", in {}): the next assume keeps one.",
            kind.name(),
            cache.location().display()
        );
    } else {
        out!("{}", sessions_table(&list, Utc::now()));
    }
    Ok(ExitCode::SUCCESS)
}

fn report_cleared(n: usize, json: bool) {
    if json {
        outln!("{}", to_json(&json!({ "cleared": n })));
    } else {
        let s = if n == 1 { "" } else { "s" };
        eprintln!("rolecall: dropped {n} kept session{s}");
    }
}

/// With no cache configured: drops what a cache set before kept, where its folder is still
/// there (a keyring that cannot be opened has nothing of rolecall's to drop).
fn clear_left_behind() -> usize {
    let Some(dir) = session_cache::data_dir() else {
        return 0;
    };
    let mut n = 0;
    for (kind, folder) in [
        (CacheKind::File, session_cache::FILE_DIR),
        (CacheKind::Keyring, session_cache::INDEX_DIR),
    ] {
        if !dir.join(folder).is_dir() {
            continue;
        }
        match SessionCache::open_in(kind, "", &dir).and_then(|c| c.clear()) {
            Ok(k) => n += k,
            Err(e) => eprintln!("rolecall: {e}"),
        }
    }
    n
}
