//! Timers: `--clocks` synthetic open clocks (default 1 000 000) are generated in SQL into the
//! open clocks' indexes (`findings.warn_us`, `findings.due_us`) with realistic columns
//! (`casewatch_store::bench::ClockSpec`), spread over the next year from an instant T one hour
//! ahead, in order of that instant as ingestion creates clocks roughly in time order; a tenth of them cross their warning or due instant within the
//! second [T, T + 1 s). `Store::advance_timers(T + 1 s)` is timed until all are transitioned.
//! Baseline: one full scan of the due-time column without its index (what a periodic sweep over
//! the clocks reads on every pass).
//!
//! Then, with nothing due, the in-process server's timer is woken and the process's CPU time is
//! read over 3 s of idleness; baseline: what a once-a-second sweep doing the full scan would
//! spend in those 3 s. Memory: resident memory after loading the clocks and running the timer
//! pass, against before, per million clocks.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use casewatch_core::time::{from_micros, to_micros};
use casewatch_engine::pack::RuleBody;
use casewatch_store::bench::ClockSpec;
use jiff::Timestamp;
use serde_json::json;

use super::report::{BackendReport, Row};
use super::server::Server;
use super::{Cx, Measure, sys};

/// Clocks per insert transaction.
const CHUNK: u64 = 50_000;
const SECOND_US: i64 = 1_000_000;
const HOUR_US: i64 = 3_600 * SECOND_US;

/// Measures and reports.
pub async fn run(cx: &Cx<'_>, server: &Server, report: &mut BackendReport) -> anyhow::Result<()> {
    let n = cx.args.clocks.max(10);
    let burst = n / 10;
    let pack = cx.store.pack();
    let rules: Vec<String> = pack
        .rules
        .iter()
        .filter(|r| matches!(r.body, RuleBody::Clock(_)))
        .map(|r| r.id.to_string())
        .collect();
    let paths: HashMap<String, String> = cx
        .store
        .list_units()
        .await?
        .into_iter()
        .map(|u| (u.id, u.path))
        .collect();
    let now = Timestamp::now();
    let t_us = to_micros(now) + HOUR_US;
    let spec = ClockSpec {
        n,
        burst,
        t_us,
        now_us: to_micros(now),
        rules,
        officers: cx
            .org
            .officers
            .iter()
            .map(|o| (o.id.clone(), o.unit.clone(), paths.get(&o.unit).cloned()))
            .collect(),
    };

    // Settle before reading memory: let the allocator return what earlier phases freed.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_before = sys::rss_mib();
    let phase = cx.phase(&format!("载入 {n} 个未结时钟"), n);
    let started = Instant::now();
    let mut i = 0u64;
    while i < n {
        let end = (i + CHUNK).min(n);
        cx.bench.generate_open_clocks(&spec, i, end).await?;
        i = end;
        phase.set(i);
    }
    let load_s = started.elapsed().as_secs_f64();
    phase.finish(&format!("{:.0} 个/秒", n as f64 / load_s));
    cx.bench.analyze().await?;

    let at = from_micros(t_us + SECOND_US).unwrap_or(now);
    let started = Instant::now();
    let due_by_scan = cx.bench.count_due_by_scan(t_us + SECOND_US).await?;
    let scan_s = started.elapsed().as_secs_f64();

    let phase = cx.phase(&format!("{burst} 个时钟在同一秒到期：advance_timers"), 0);
    let started = Instant::now();
    let out = cx.store.advance_timers(at).await?;
    let burst_s = started.elapsed().as_secs_f64();
    phase.finish(&format!("{} 个转换，{burst_s:.2} 秒", out.transitioned));
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_after = sys::rss_mib();

    // Idle: nothing is due before T; wake the server's timer so that it recomputes its sleep.
    let phase = cx.phase("空闲 3 秒的进程 CPU", 0);
    server.timer.notify_one();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let cpu0 = sys::cpu_ms();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let cpu1 = sys::cpu_ms();
    let idle_ms = match (cpu0, cpu1) {
        (Some(a), Some(b)) => b - a,
        _ => f64::NAN,
    };
    phase.finish(&format!("{idle_ms:.0} 毫秒 CPU"));

    if cx.sel.has(Measure::Timers) {
        report.row(
            Row::new(
                &format!("timers: burst of {burst} among {n}"),
                cx.label,
                burst_s,
                "s",
                Some(scan_s),
                "s full scan",
            )
            .target("≤ 2 s", burst_s <= 2.0 && out.transitioned >= burst),
        );
        report.row(
            Row::new(
                "timers: idle CPU over 3 s",
                cx.label,
                idle_ms,
                "ms CPU",
                Some(scan_s * 3.0 * 1000.0),
                "ms per-second sweep",
            )
            .target("≈ 0 (≤ 10 ms)", idle_ms <= 10.0),
        );
        report.top.insert("timer_burst_s", burst_s);
    }
    let per_million = match (rss_before, rss_after) {
        (Some(b), Some(a)) => Some((a - b) * 1_000_000.0 / n as f64),
        _ => None,
    };
    if cx.sel.has(Measure::Memory)
        && let Some(pm) = per_million
    {
        report.row(Row::new(
            "memory: RSS per million open clocks",
            cx.label,
            pm,
            "MiB",
            rss_before,
            "MiB RSS before",
        ));
    }
    report.detail(
        "timers",
        json!({
            "clocks": n,
            "burst": burst,
            "t_us": t_us,
            "load_s": load_s,
            "load_clocks_per_s": n as f64 / load_s,
            "full_scan_s": scan_s,
            "full_scan_due": due_by_scan,
            "burst_s": burst_s,
            "transitioned": out.transitioned,
            "cases_reevaluated": out.cases_reevaluated,
            "idle_cpu_ms_over_3s": idle_ms,
            "cpu_resolution_ms": 10,
            "rss_before_mib": rss_before,
            "rss_after_mib": rss_after,
            "rss_per_million_clocks_mib": per_million,
        }),
    );
    Ok(())
}
