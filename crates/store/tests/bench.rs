//! The benchmark's own SQL (`casewatch_store::bench`) runs on each database: the raw baseline,
//! synthetic clocks, the full scan of the open clocks' instants and every query of the naive sweep.
//! Correctness of the naive sweep is not asserted (it is a cost baseline, simplified on
//! purpose); that it runs, and finds open clocks in demo data, is.

#![cfg(test)]

use std::sync::Arc;

use casewatch_core::time::to_micros;
use casewatch_core::{Event, ParseOptions};
use casewatch_store::bench::{self, BenchStore, ClockSpec, RawEventRow};
use casewatch_store::{Backend, Store, testing};
use jiff::Timestamp;

fn now() -> Timestamp {
    "2026-04-01T12:00:00+08:00".parse().unwrap()
}

fn demo_events(cases: u64) -> Vec<Event> {
    let cfg = casewatch_demo::DemoConfig {
        cases,
        seed: 7,
        now: now(),
    };
    casewatch_demo::events(&cfg)
        .map(|v| Event::parse(&v, ParseOptions { now: None }).unwrap())
        .collect()
}

async fn exercise(store: Arc<dyn Store>, bench: Arc<dyn BenchStore>, label: &str) {
    let events = demo_events(60);
    store.append(&events, now()).await.unwrap();

    bench.create_raw_table().await.unwrap();
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
    bench.insert_raw(&rows).await.unwrap();
    assert!(
        bench.insert_raw(&rows[..1]).await.is_err(),
        "{label}: same primary key"
    );
    bench.drop_raw_table().await.unwrap();

    let now_us = to_micros(now());
    bench.set_naive_index(true).await.unwrap();
    let plan = bench::naive::plan(&store.pack(), store.backend(), now_us);
    let mut clock_rows = 0;
    for q in &plan {
        let n = bench
            .run_naive(&q.sql)
            .await
            .unwrap_or_else(|e| panic!("{label}: {}: {e}\n{}", q.rule, q.sql));
        if q.kind == "clock" {
            clock_rows += n;
        }
    }
    assert!(clock_rows > 0, "{label}: demo data has open or late clocks");
    bench.set_naive_index(false).await.unwrap();

    // The demo's own transitions by now are written first: the timer's mark stands at now, and
    // the burst comes after it.
    store
        .advance_timers(casewatch_core::time::from_micros(now_us).unwrap())
        .await
        .unwrap();
    let before = bench.count_due_by_scan(now_us + 1_000_000).await.unwrap();
    let spec = ClockSpec {
        n: 7000,
        burst: 700,
        t_us: now_us + 1,
        now_us,
        rules: vec![
            "criminal_detention_family_notice".into(),
            "bail_max_duration".into(),
        ],
        officers: vec![
            ("O-1".into(), "U-0001".into(), Some("/U-0001/".into())),
            ("O-2".into(), "U-0002".into(), None),
        ],
    };
    bench.generate_open_clocks(&spec, 0, 4000).await.unwrap();
    bench.generate_open_clocks(&spec, 4000, 7000).await.unwrap();
    for k in [0, 699, 700, 6999] {
        let rows = store
            .case_findings(&format!("TB2026-{k:07}"))
            .await
            .unwrap();
        let [f] = rows.as_slice() else {
            panic!("{label}: clock {k}: {rows:?}")
        };
        let (warn, due, next) = (f.warn_us.unwrap(), f.due_us.unwrap(), f.next_at_us.unwrap());
        assert!(f.started_us.unwrap() < warn && warn < due, "{label}: {f:?}");
        match f.state.as_str() {
            "running" => assert_eq!(next, warn),
            "warning" => assert_eq!(next, due),
            other => panic!("{label}: state {other}"),
        }
        assert_eq!(next < now_us + 1_000_000, k < 700, "{label}: {f:?}");
        assert!(f.explain.contains("小时"), "{label}: {f:?}");
    }
    assert_eq!(
        bench.count_due_by_scan(now_us + 1_000_000).await.unwrap(),
        before + 700,
        "{label}"
    );
    let out = store
        .advance_timers(casewatch_core::time::from_micros(now_us + 1_000_000).unwrap())
        .await
        .unwrap();
    assert!(out.transitioned >= 700, "{label}");
    // Nothing is left due, and a second pass moves nothing.
    assert_eq!(
        bench.count_due_by_scan(now_us + 1_000_000).await.unwrap(),
        0,
        "{label}"
    );
    let again = store
        .advance_timers(casewatch_core::time::from_micros(now_us + 1_000_000).unwrap())
        .await
        .unwrap();
    assert_eq!(again.transitioned, 0, "{label}");
    bench.analyze().await.unwrap();
}

#[tokio::test]
async fn bench_sql_runs_on_each_database() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let (store, b) = bench::open(&url, testing::standard_pack().unwrap())
        .await
        .unwrap();
    assert_eq!(store.backend(), Backend::Sqlite);
    exercise(store, b, "sqlite").await;

    match std::env::var(testing::POSTGRES_ENV) {
        Ok(base) => {
            let (url, schema) = bench::create_pg_schema(&base).await.unwrap();
            let (store, b) = bench::open(&url, testing::standard_pack().unwrap())
                .await
                .unwrap();
            assert_eq!(store.backend(), Backend::Postgres);
            exercise(store, b, "postgres").await;
            bench::drop_pg_schema(&base, &schema).await.unwrap();
        }
        Err(_) => eprintln!("{} is unset: PostgreSQL skipped", testing::POSTGRES_ENV),
    }
}
