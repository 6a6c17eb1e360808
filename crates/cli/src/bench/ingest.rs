//! Ingestion: the whole generated history through validation (`Event::parse`) and
//! `Store::append` in batches of the import's size, against the raw multi-row insert of the same
//! rows into a bare table with the same primary key, batch by batch in the same database.
//! Also the peak resident memory while it runs.

use std::time::Instant;

use casewatch_core::time::to_micros;
use casewatch_core::{Event, ParseOptions};
use casewatch_store::bench::RawEventRow;
use jiff::Timestamp;
use serde_json::json;

use super::report::{BackendReport, Row};
use super::{Cx, Measure, sys};

/// Events per transaction: the batch size of `casewatch import` (its `--batch-size` default)
/// and of `casewatch demo`.
const BATCH: usize = 5000;
/// Case ids kept for the dashboard's case pages.
const SAMPLE: u64 = 1000;

/// What was stored, for later measurements.
pub struct History {
    /// Sampled case ids, spread over the history.
    pub case_ids: Vec<String>,
}

/// Stores the history (always) and reports ingestion and its memory (when selected).
pub async fn run(cx: &Cx<'_>, report: &mut BackendReport) -> anyhow::Result<History> {
    let raw = cx.sel.has(Measure::Ingest);
    let now = Timestamp::now();
    let cfg = casewatch_demo::DemoConfig {
        cases: cx.args.cases,
        seed: cx.args.seed,
        now,
    };
    if raw {
        cx.bench.create_raw_table().await?;
    }
    let rss_before = sys::rss_mib();
    let hwm_reset = sys::reset_peak();
    let sampler = sys::RssSampler::start();
    let phase = cx.phase("写入历史（ingest）", cx.args.cases);

    let every = (cx.args.cases / SAMPLE).max(1);
    let mut case_ids = Vec::new();
    let (mut n_events, mut n_cases, mut n_bytes) = (0u64, 0u64, 0u64);
    let (mut parse_s, mut append_s, mut raw_s, mut generate_s) = (0.0, 0.0, 0.0, 0.0);
    let mut last_case = String::new();
    let mut values = Vec::with_capacity(BATCH);
    let mut source = casewatch_demo::events(&cfg);
    loop {
        let t = Instant::now();
        values.clear();
        values.extend(source.by_ref().take(BATCH));
        generate_s += t.elapsed().as_secs_f64();
        if values.is_empty() {
            break;
        }

        // Validation, as every ingestion path does it.
        let t = Instant::now();
        let events = values
            .iter()
            .map(|v| Event::parse(v, ParseOptions { now: Some(now) }))
            .collect::<Result<Vec<Event>, _>>()
            .map_err(|errs| anyhow::anyhow!("演示数据生成了无效事件：{errs:?}"))?;
        parse_s += t.elapsed().as_secs_f64();

        for e in &events {
            if e.case.as_str() != last_case {
                last_case = e.case.to_string();
                if n_cases % every == 0 {
                    case_ids.push(last_case.clone());
                }
                n_cases += 1;
            }
        }
        n_events += events.len() as u64;

        if raw {
            let rows: Vec<RawEventRow> = events
                .iter()
                .map(|e| RawEventRow {
                    id: e.id.to_string(),
                    case_id: e.case.to_string(),
                    event_type: e.event_type.to_string(),
                    at_us: to_micros(e.at),
                    body: e.canonical_json(),
                })
                .collect();
            n_bytes += rows.iter().map(|r| r.body.len() as u64 + 1).sum::<u64>();
            let t = Instant::now();
            cx.bench.insert_raw(&rows).await?;
            raw_s += t.elapsed().as_secs_f64();
        }

        let t = Instant::now();
        cx.store.append(&events, Timestamp::now()).await?;
        append_s += t.elapsed().as_secs_f64();
        phase.set(n_cases);
    }
    let sampled_peak = sampler.finish().await;
    let hwm = sys::peak_rss_mib();
    // The raw table stays: the database is thrown away after the run, and dropping 4 million
    // rows costs SQLite seconds that the run's budget is short of (its pages, freed, would stay
    // interleaved with the log's anyway).
    let full_s = parse_s + append_s;
    let full_rate = n_events as f64 / full_s;
    let raw_rate = n_events as f64 / raw_s;
    phase.finish(&format!(
        "{n_cases} 个案件，{n_events} 个事件，{full_rate:.0} 事件/秒"
    ));

    if raw {
        let ratio = full_rate / raw_rate;
        report.row(
            Row::new(
                "ingest",
                cx.label,
                full_rate,
                "events/s",
                Some(raw_rate),
                "events/s raw insert",
            )
            .target("ratio ≥ 0.5", ratio >= 0.5),
        );
        report.top.insert("ingest_ratio", ratio);
    }
    let peak = if hwm_reset {
        hwm.unwrap_or(sampled_peak).max(sampled_peak)
    } else {
        sampled_peak
    };
    if cx.sel.has(Measure::Memory) {
        report.row(Row::new(
            "memory: peak RSS during ingest",
            cx.label,
            peak,
            "MiB",
            rss_before,
            "MiB before",
        ));
    }
    report.detail(
        "ingest",
        json!({
            "cases": n_cases,
            "events": n_events,
            "batch": BATCH,
            "jsonl_bytes": if raw { Some(n_bytes) } else { None },
            "generate_s": generate_s,
            "parse_s": parse_s,
            "append_s": append_s,
            "full_s": full_s,
            "full_events_per_s": full_rate,
            "raw_s": if raw { Some(raw_s) } else { None },
            "raw_events_per_s": if raw { Some(raw_rate) } else { None },
            "ratio": if raw { Some(full_rate / raw_rate) } else { None },
            "rss_before_mib": rss_before,
            "peak_rss_mib": peak,
            "peak_rss_sampled_mib": sampled_peak,
            "vm_hwm_reset": hwm_reset,
            "vm_hwm_mib": hwm,
        }),
    );
    Ok(History { case_ids })
}
