//! `casewatch demo` and `serve --demo`: a synthetic city bureau's history, imported in batches.

use std::sync::Arc;

use anyhow::Context;
use casewatch_core::{Event, ParseOptions};
use casewatch_store::Store;
use jiff::Timestamp;

const BATCH: usize = 5000;

/// Generates `cases` cases with `seed` ending at `now`, stores them, and returns a description of
/// what was made (units, officers, counts) for the terminal.
pub async fn generate(
    store: &Arc<dyn Store>,
    cases: u64,
    seed: u64,
    now: Timestamp,
    progress: bool,
) -> anyhow::Result<String> {
    let cfg = casewatch_demo::DemoConfig { cases, seed, now };
    let org = casewatch_demo::org(seed);
    let pb = if progress {
        indicatif::ProgressBar::new(cases)
    } else {
        indicatif::ProgressBar::hidden()
    };
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "生成演示数据 [{bar:30}] {pos}/{len} 案件 {per_sec}",
    ) {
        pb.set_style(style.progress_chars("=> "));
    }
    let mut batch: Vec<Event> = Vec::with_capacity(BATCH);
    let mut n_events = 0u64;
    let mut accepted = 0u64;
    let mut seen_cases = 0u64;
    let mut last_case = String::new();
    for value in casewatch_demo::events(&cfg) {
        let event = Event::parse(&value, ParseOptions { now: Some(now) })
            .map_err(|errs| anyhow::anyhow!("演示数据生成了无效事件 {value}：{errs:?}"))?;
        if event.case.as_str() != last_case {
            last_case = event.case.to_string();
            seen_cases += 1;
            pb.set_position(seen_cases);
        }
        batch.push(event);
        n_events += 1;
        if batch.len() >= BATCH {
            accepted += store
                .append(&batch, now)
                .await
                .context("写入演示数据失败")?
                .accepted;
            batch.clear();
        }
    }
    if !batch.is_empty() {
        accepted += store
            .append(&batch, now)
            .await
            .context("写入演示数据失败")?
            .accepted;
    }
    pb.finish_and_clear();
    Ok(format!(
        "演示数据：{} 个单位，{} 名民警，{} 个案件，{} 个事件（新增 {}，种子 {seed}）",
        org.units.len(),
        org.officers.len(),
        cases,
        n_events,
        accepted
    ))
}

/// Writes the demo history as JSON Lines, for imports and benchmarks; returns the event count.
pub fn write_jsonl(
    path: &std::path::Path,
    cases: u64,
    seed: u64,
    now: Timestamp,
) -> anyhow::Result<u64> {
    use std::io::Write;
    let file =
        std::fs::File::create(path).with_context(|| format!("无法创建 `{}`", path.display()))?;
    let mut w = std::io::BufWriter::with_capacity(1 << 20, file);
    let mut n = 0u64;
    for value in casewatch_demo::events(&casewatch_demo::DemoConfig { cases, seed, now }) {
        serde_json::to_writer(&mut w, &value)?;
        w.write_all(b"\n")?;
        n += 1;
    }
    w.flush()
        .with_context(|| format!("无法写入 `{}`", path.display()))?;
    Ok(n)
}
