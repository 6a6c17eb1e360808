//! Full re-evaluation: `Store::reevaluate` over the whole history, cases/s, against reading every
//! case's events once (`Store::case_histories` pages) without evaluating anything.

use std::time::Instant;

use jiff::Timestamp;
use serde_json::json;

use super::Cx;
use super::report::{BackendReport, Row};

/// Cases per page of the read-only baseline.
const PAGE: u32 = 1000;

/// Measures and reports.
pub async fn run(cx: &Cx<'_>, report: &mut BackendReport) -> anyhow::Result<()> {
    let phase = cx.phase("只读基线：逐页读取全部案件事件", cx.args.cases);
    let started = Instant::now();
    let mut after = String::new();
    let (mut read_cases, mut read_events) = (0u64, 0u64);
    loop {
        let page = cx.store.case_histories(&after, PAGE, None).await?;
        let Some(last) = page.last() else { break };
        after.clone_from(&last.case_id);
        read_cases += page.len() as u64;
        read_events += page.iter().map(|c| c.events.len() as u64).sum::<u64>();
        phase.set(read_cases);
    }
    let read_s = started.elapsed().as_secs_f64();
    let read_rate = read_cases as f64 / read_s;
    phase.finish(&format!("{read_cases} 个案件，{read_rate:.0} 案件/秒"));

    let phase = cx.phase("全量重新评估（reevaluate）", read_cases);
    let started = Instant::now();
    let out = cx
        .store
        .reevaluate(Timestamp::now(), &|n| phase.set(n))
        .await?;
    let secs = started.elapsed().as_secs_f64();
    let rate = out.n_cases as f64 / secs;
    phase.finish(&format!(
        "{} 个案件，{rate:.0} 案件/秒，{} 条结论有变化",
        out.n_cases, out.n_changed
    ));

    let mut row = Row::new(
        "reevaluate",
        cx.label,
        rate,
        "cases/s",
        Some(read_rate),
        "cases/s read-only",
    );
    if cx.label == "sqlite" {
        row = row.target("≥ 100 000 cases/s", rate >= 100_000.0);
    }
    report.row(row);
    report.top.insert("reevaluate_cases_per_s", rate);
    report.detail(
        "reevaluate",
        json!({
            "cases": out.n_cases,
            "changed": out.n_changed,
            "seconds": secs,
            "cases_per_s": rate,
            "read_only_cases": read_cases,
            "read_only_events": read_events,
            "read_only_seconds": read_s,
            "read_only_cases_per_s": read_rate,
            "ratio": rate / read_rate,
        }),
    );
    Ok(())
}
