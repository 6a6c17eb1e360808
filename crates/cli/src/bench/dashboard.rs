//! Dashboard and list reads over HTTP as the legal department at the top of the bureau: counts by
//! unit subtree, the alert list of a branch filtered by state and sorted by due, and case pages
//! of random cases; 200 sequential requests each after 10 unmeasured ones, p99. Baseline: the
//! round trip of `GET /api/v1/health`.

use serde_json::json;

use super::Cx;
use super::history::Rng;
use super::ingest::History;
use super::report::{BackendReport, Row, percentile, sorted};
use super::server::Server;

/// Measured requests per endpoint.
const REQUESTS: usize = 200;
/// Unmeasured requests before them.
const WARMUP: usize = 10;

/// Measures and reports.
pub async fn run(
    cx: &Cx<'_>,
    server: &Server,
    history: &History,
    report: &mut BackendReport,
) -> anyhow::Result<()> {
    let phase = cx.phase("看板与列表（dashboard）", 4 * (REQUESTS + WARMUP) as u64);
    let health = sorted(server.health_ms(REQUESTS + WARMUP).await?.split_off(WARMUP));
    let health_p99 = percentile(&health, 99.0);
    phase.set((REQUESTS + WARMUP) as u64);
    let branch = cx.branch_unit();
    let mut rng = Rng::new(cx.args.seed);
    let endpoints = [
        ("dashboard: alerts/summary", "summary"),
        ("dashboard: alert list (branch, overdue+warning)", "alerts"),
        ("dashboard: case page", "case"),
    ];
    let mut worst = 0.0f64;
    let mut details = serde_json::Map::new();
    for (k, (name, key)) in endpoints.iter().enumerate() {
        let mut samples = Vec::with_capacity(REQUESTS);
        for i in 0..REQUESTS + WARMUP {
            let path = match *key {
                "summary" => "/api/v1/alerts/summary".to_owned(),
                "alerts" => format!("/api/v1/alerts?unit={branch}&state=overdue,warning"),
                _ => format!(
                    "/api/v1/cases/{}",
                    rng.pick(&history.case_ids)
                        .map_or("A0000-000001", String::as_str)
                ),
            };
            let ms = server.get_ms(&path).await?;
            if i >= WARMUP {
                samples.push(ms);
            }
        }
        phase.set(((k + 2) * (REQUESTS + WARMUP)) as u64);
        let s = sorted(samples);
        let p99 = percentile(&s, 99.0);
        worst = worst.max(p99);
        report.row(
            Row::new(
                name,
                cx.label,
                p99,
                "ms p99",
                Some(health_p99),
                "ms health p99",
            )
            .target("≤ 50 ms", p99 <= 50.0),
        );
        details.insert(
            (*key).to_owned(),
            json!({
                "p50_ms": percentile(&s, 50.0),
                "p99_ms": p99,
                "max_ms": percentile(&s, 100.0),
            }),
        );
    }
    phase.finish(&format!("最差 p99 {worst:.1} 毫秒"));
    report.top.insert("dashboard_p99_ms", worst);
    details.insert("requests_each".into(), json!(REQUESTS));
    details.insert("branch".into(), json!(branch));
    details.insert("health_p50_ms".into(), json!(percentile(&health, 50.0)));
    details.insert("health_p99_ms".into(), json!(health_p99));
    details.insert("worst_p99_ms".into(), json!(worst));
    report.detail("dashboard", serde_json::Value::Object(details));
    Ok(())
}
