//! Event→finding latency under a sustained load over HTTP. Findings commit in the same
//! transaction as the events, so a batch's latency is its HTTP round trip.
//!
//! A paced sender posts 25 events every 5 ms (5 000 events/s) as NDJSON with the ingest token,
//! each batch on its own request over a pool of connections (at most [`IN_FLIGHT`] at once),
//! for `--latency-secs` (batches that cannot be sent in that time because every connection
//! waits for the server are left out and counted). The events are new: demo cases under the prefix `L-`, in the order of
//! their instants across cases, as a live feed delivers them, so that each batch touches cases
//! with stored history. Baseline: the round trip of `GET /api/v1/health`, measured just before.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::report::{BackendReport, Row, percentile, sorted};
use super::server::Server;
use super::{Cx, history};

/// Events per request.
const BATCH: usize = 25;
/// Interval between requests: 25 events every 5 ms is 5 000 events/s.
const INTERVAL: Duration = Duration::from_millis(5);
/// Requests in flight at most (connections of the pool).
const IN_FLIGHT: usize = 32;
/// A retraction whose target went out this many batches before it is dropped from the load:
/// the two requests could be processed out of order on different connections.
const REORDER_WINDOW: usize = 64;

/// One request's outcome: scheduled, sent and answered instants (s since the start), status,
/// events accepted.
struct Sample {
    scheduled: f64,
    sent: f64,
    done: f64,
    ok: bool,
    accepted: u64,
}

/// Measures and reports.
pub async fn run(cx: &Cx<'_>, server: &Server, report: &mut BackendReport) -> anyhow::Result<()> {
    let secs = cx.args.latency_secs;
    let n_batches = ((secs / INTERVAL.as_secs_f64()).ceil() as usize).max(1);
    let now = jiff::Timestamp::now();
    let events = history::live_events(n_batches * BATCH, cx.args.seed, now, "L-");
    let (bodies, dropped) = batches(&events);

    let health = sorted(server.health_ms(200).await?);
    let health_p99 = percentile(&health, 99.0);

    let phase = cx.phase(
        &format!("延迟：每秒 5000 个事件，持续 {secs} 秒"),
        bodies.len() as u64,
    );
    let url = Arc::new(format!("{}/api/v1/events", server.base));
    let gate = Arc::new(tokio::sync::Semaphore::new(IN_FLIGHT));
    let start = Instant::now();
    let mut tasks = Vec::with_capacity(bodies.len());
    let mut max_lag = 0.0f64;
    // The load lasts `secs` whatever happens: when the server falls behind and every connection
    // is busy, the batches still due are not sent (and counted), rather than the run stretching.
    let end = start + Duration::from_secs_f64(secs);
    let n_bodies = bodies.len();
    let mut unsent = 0;
    for (i, body) in bodies.into_iter().enumerate() {
        let due = start + INTERVAL * u32::try_from(i).unwrap_or(u32::MAX);
        tokio::time::sleep_until(due.into()).await;
        let permit =
            match tokio::time::timeout_at(end.into(), Arc::clone(&gate).acquire_owned()).await {
                Ok(permit) => permit?,
                Err(_) => {
                    unsent = n_bodies - i;
                    break;
                }
            };
        max_lag = max_lag.max(start.elapsed().as_secs_f64() - (due - start).as_secs_f64());
        let (client, url, bearer) = (
            server.client.clone(),
            Arc::clone(&url),
            server.bearer.clone(),
        );
        let scheduled = (due - start).as_secs_f64();
        tasks.push(tokio::spawn(async move {
            let sent = start.elapsed().as_secs_f64();
            let r = client
                .post(url.as_str())
                .header("content-type", "application/x-ndjson")
                .header("authorization", bearer)
                .body(body)
                .send()
                .await;
            let (ok, accepted) = match r {
                Ok(r) if r.status().is_success() => {
                    let v: Value = r.json().await.unwrap_or(Value::Null);
                    (true, v.get("accepted").and_then(Value::as_u64).unwrap_or(0))
                }
                Ok(r) => {
                    let status = r.status();
                    let body = r.text().await.unwrap_or_default();
                    tracing::warn!(%status, %body, "batch refused");
                    (false, 0)
                }
                Err(e) => {
                    tracing::warn!(error = %e, "batch failed");
                    (false, 0)
                }
            };
            drop(permit);
            Sample {
                scheduled,
                sent,
                done: start.elapsed().as_secs_f64(),
                ok,
                accepted,
            }
        }));
        phase.set(i as u64 + 1);
    }
    let sending_s = start.elapsed().as_secs_f64();
    let mut samples = Vec::with_capacity(tasks.len());
    for t in tasks {
        if let Ok(Ok(s)) = tokio::time::timeout(Duration::from_secs(300), t).await {
            samples.push(s);
        }
    }
    let ok: Vec<&Sample> = samples.iter().filter(|s| s.ok).collect();
    let errors = samples.len() - ok.len();
    let rtt = sorted(ok.iter().map(|s| (s.done - s.sent) * 1000.0).collect());
    let from_schedule = sorted(ok.iter().map(|s| (s.done - s.scheduled) * 1000.0).collect());
    let accepted: u64 = ok.iter().map(|s| s.accepted).sum();
    let last_done = samples.iter().map(|s| s.done).fold(0.0, f64::max);
    let achieved = accepted as f64 / last_done.max(f64::EPSILON);
    let (p50, p99) = (percentile(&rtt, 50.0), percentile(&rtt, 99.0));
    phase.finish(&format!(
        "p50 {p50:.1} 毫秒，p99 {p99:.1} 毫秒，实际 {achieved:.0} 事件/秒，{errors} 个失败"
    ));

    report.row(
        Row::new(
            "latency p99 (5000 ev/s)",
            cx.label,
            p99,
            "ms",
            Some(health_p99),
            "ms health p99",
        )
        .target("≤ 50 ms", p99 <= 50.0 && errors == 0),
    );
    report.row(Row::new(
        "latency p50 (5000 ev/s)",
        cx.label,
        p50,
        "ms",
        Some(percentile(&health, 50.0)),
        "ms health p50",
    ));
    report.row(
        Row::new(
            "latency: achieved rate",
            cx.label,
            achieved,
            "events/s",
            Some(5000.0),
            "events/s offered",
        )
        .target("≥ 5000 events/s", achieved >= 4950.0),
    );
    report.top.insert("latency_p99_ms", p99);
    report.detail(
        "latency",
        json!({
            "offered_events_per_s": 5000,
            "batch_events": BATCH,
            "interval_ms": INTERVAL.as_secs_f64() * 1000.0,
            "max_in_flight": IN_FLIGHT,
            "requests": samples.len(),
            "requests_not_sent": unsent,
            "errors": errors,
            "events_accepted": accepted,
            "retractions_dropped": dropped,
            "sending_s": sending_s,
            "last_answer_s": last_done,
            "achieved_events_per_s": achieved,
            "sender_max_lag_ms": max_lag * 1000.0,
            "rtt_p50_ms": p50,
            "rtt_p90_ms": percentile(&rtt, 90.0),
            "rtt_p99_ms": p99,
            "rtt_max_ms": percentile(&rtt, 100.0),
            "from_schedule_p50_ms": percentile(&from_schedule, 50.0),
            "from_schedule_p99_ms": percentile(&from_schedule, 99.0),
            "health_p50_ms": percentile(&health, 50.0),
            "health_p99_ms": health_p99,
        }),
    );
    Ok(())
}

/// NDJSON bodies of [`BATCH`] events, and how many retractions were left out because their
/// target went out in one of the [`REORDER_WINDOW`] batches before.
fn batches(events: &[Value]) -> (Vec<String>, usize) {
    let mut batch_of: HashMap<&str, usize> = HashMap::new();
    let mut bodies = Vec::new();
    let mut dropped = 0;
    let mut body = String::new();
    let mut in_batch = 0;
    for v in events {
        let index = bodies.len();
        if let Some(target) = v.pointer("/data/target").and_then(Value::as_str)
            && v.get("type").and_then(Value::as_str) == Some("event.retracted")
            && batch_of
                .get(target)
                .is_some_and(|b| *b < index && index - *b <= REORDER_WINDOW)
        {
            dropped += 1;
            continue;
        }
        if let Some(id) = v.get("id").and_then(Value::as_str) {
            batch_of.insert(id, index);
        }
        body.push_str(&v.to_string());
        body.push('\n');
        in_batch += 1;
        if in_batch == BATCH {
            bodies.push(std::mem::take(&mut body));
            in_batch = 0;
        }
    }
    if !body.is_empty() {
        bodies.push(body);
    }
    (bodies, dropped)
}
