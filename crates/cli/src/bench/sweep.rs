//! The naive baseline (`casewatch_store::bench::naive`): one SQL query per rule of the pack over
//! the whole event and case tables, run as the full sweep a cron job runs every minute, against
//! the incremental engine's cost of keeping every finding current over the same minute.
//!
//! Incremental cost per minute = one minute of events at the design load, stored one event per
//! `Store::append` (validation, log, ledger, evaluation and findings included), plus one timer
//! pass. The design load is 1 000 000 new cases a year of about 23 events each:
//! 1e6 × 23 / 525 600 ≈ 44 events a minute. A larger sample of new events is stored and its
//! cost scaled to 44. sweep_ratio = naive cost per minute (one sweep) / incremental cost per
//! minute.

use std::time::Instant;

use casewatch_core::{Event, ParseOptions};
use jiff::Timestamp;
use serde_json::json;

use super::report::{BackendReport, Row};
use super::{Cx, history};

/// Events a minute at the design load: 1 million cases a year × 23 events / 525 600 minutes.
pub const EVENTS_PER_MINUTE: f64 = 1_000_000.0 * 23.0 / 525_600.0;
/// Events stored, one per append, to measure the incremental cost.
const SAMPLE: usize = 2000;

/// Measures and reports.
pub async fn run(cx: &Cx<'_>, report: &mut BackendReport) -> anyhow::Result<()> {
    // The index a deployed naive system keeps for its per-rule queries; built outside the timing.
    let phase = cx.phase("朴素基线：建立 events(type) 索引", 0);
    let t = Instant::now();
    cx.bench.set_naive_index(true).await?;
    let index_s = t.elapsed().as_secs_f64();
    phase.finish("完成");

    let now = Timestamp::now();
    let plan = casewatch_store::bench::naive::plan(
        &cx.store.pack(),
        cx.store.backend(),
        now.as_microsecond(),
    );
    let phase = cx.phase("朴素基线：每条规则一条 SQL 的全量扫描", plan.len() as u64);
    let mut per_rule = Vec::with_capacity(plan.len());
    let started = Instant::now();
    for (i, q) in plan.iter().enumerate() {
        let t = Instant::now();
        let rows = cx.bench.run_naive(&q.sql).await?;
        per_rule.push(json!({
            "rule": q.rule,
            "kind": q.kind,
            "rows": rows,
            "seconds": t.elapsed().as_secs_f64(),
            "conditions_left_out": q.ignored,
        }));
        phase.set(i as u64 + 1);
    }
    let sweep_s = started.elapsed().as_secs_f64();
    phase.finish(&format!("{} 条查询，{sweep_s:.2} 秒", plan.len()));
    cx.bench.set_naive_index(false).await?;

    // Incremental upkeep: new events one per append, then one timer pass.
    let n = SAMPLE
        .min(usize::try_from(cx.args.cases / 4).unwrap_or(SAMPLE))
        .max(100);
    let events: Vec<Event> = history::live_events(n, cx.args.seed, now, "S-")
        .iter()
        .map(|v| Event::parse(v, ParseOptions { now: Some(now) }))
        .collect::<Result<_, _>>()
        .map_err(|errs| anyhow::anyhow!("演示数据生成了无效事件：{errs:?}"))?;
    let phase = cx.phase("增量：逐个事件写入", events.len() as u64);
    let started = Instant::now();
    for (i, e) in events.iter().enumerate() {
        cx.store
            .append(std::slice::from_ref(e), Timestamp::now())
            .await?;
        if i % 100 == 0 {
            phase.set(i as u64);
        }
    }
    let append_s = started.elapsed().as_secs_f64();
    let per_event_s = append_s / events.len() as f64;
    phase.finish(&format!("每个事件 {:.2} 毫秒", per_event_s * 1000.0));
    let t = Instant::now();
    let timer = cx.store.advance_timers(Timestamp::now()).await?;
    let timer_s = t.elapsed().as_secs_f64();

    let incremental_s = per_event_s * EVENTS_PER_MINUTE + timer_s;
    let ratio = sweep_s / incremental_s;
    report.row(
        Row::new(
            "sweep: naive / incremental per minute",
            cx.label,
            sweep_s,
            "s naive sweep",
            Some(incremental_s),
            "s incremental",
        )
        .target("ratio ≥ 10", ratio >= 10.0),
    );
    report.top.insert("sweep_ratio", ratio);
    report.detail(
        "sweep",
        json!({
            "definition": "sweep_ratio = naive sweep seconds (one full sweep, run every minute) / incremental seconds per minute (44 events stored one per append at the design load + one timer pass)",
            "naive_sweep_s": sweep_s,
            "naive_queries": plan.len(),
            "naive_index_build_s": index_s,
            "naive_simplifications": "no holiday calendar (due = start + limit; months = 30.44 days, working days = 7/5 calendar days), no extensions, pauses or retractions; conditions needing the ledger left out (listed per rule)",
            "per_rule": per_rule,
            "events_per_minute": EVENTS_PER_MINUTE,
            "incremental_sample_events": events.len(),
            "incremental_append_s": append_s,
            "incremental_per_event_ms": per_event_s * 1000.0,
            "timer_pass_s": timer_s,
            "timer_pass_transitioned": timer.transitioned,
            "incremental_per_minute_s": incremental_s,
            "ratio": ratio,
        }),
    );
    Ok(())
}
