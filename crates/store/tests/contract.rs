//! The storage contract, run against every backend (SQLite always; PostgreSQL when

#![cfg(test)]
//! `CASEWATCH_TEST_POSTGRES` holds a URL).

use casewatch_core::{Event, ParseOptions};
use casewatch_store::testing::{self, TestDb};
use casewatch_store::{CaseQuery, StoreError};
use jiff::Timestamp;
use serde_json::{Value, json};

fn ev(v: Value) -> Event {
    Event::parse(&v, ParseOptions { now: None }).unwrap_or_else(|e| panic!("{e:?}"))
}

fn now() -> Timestamp {
    "2026-04-01T12:00:00+08:00".parse().unwrap()
}

fn case_events(case: &str) -> Vec<Event> {
    vec![
        ev(
            json!({"id": format!("{case}-1"), "type":"case.accepted","case":case,"at":"2026-03-01T09:00:00+08:00","unit":"U-1","data":{"kind":"criminal","cause":"盗窃"}}),
        ),
        ev(
            json!({"id": format!("{case}-2"), "type":"person.registered","case":case,"subject":"P1","at":"2026-03-01T10:00:00+08:00","data":{"role":"suspect","name":"王某"}}),
        ),
        ev(
            json!({"id": format!("{case}-3"), "type":"detention.started","case":case,"subject":"P1","at":"2026-03-02T10:23:00+08:00"}),
        ),
    ]
}

async fn each_backend() -> Vec<TestDb> {
    testing::all().await.expect("open test databases")
}

/// Appends the batches concurrently (4 threads): they queue behind the writer and are written
/// in groups. Returns each batch's outcome, by position.
async fn append_concurrently(
    db: &TestDb,
    batches: &[Vec<Event>],
) -> Vec<Result<casewatch_store::AppendOutcome, StoreError>> {
    let mut set = tokio::task::JoinSet::new();
    for (i, b) in batches.iter().cloned().enumerate() {
        let store = std::sync::Arc::clone(&db.store);
        set.spawn(async move { (i, store.append(&b, now()).await) });
    }
    let mut outcomes: Vec<Option<_>> = (0..batches.len()).map(|_| None).collect();
    while let Some(joined) = set.join_next().await {
        let (i, r) = joined.unwrap();
        outcomes[i] = Some(r);
    }
    outcomes.into_iter().map(Option::unwrap).collect()
}

/// Appends that arrive while another is being written are written together (group commit);
/// each still gets the outcome it would have had alone: a repeat is a no-op, a conflict rejects
/// its own batch only, a retraction of an event sent in a later batch is refused, and the log
/// and ledgers are those of appending the accepted batches one by one.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_appends_are_grouped_with_their_own_outcomes() {
    for db in each_backend().await {
        let label = db.label;
        // Round 1, without problems (the group is checked and written as one): 40 cases and a
        // repeat of the first.
        let mut first: Vec<Vec<Event>> = (0..40).map(|i| case_events(&format!("G{i}"))).collect();
        first.push(case_events("G0"));
        let outcomes1 = append_concurrently(&db, &first).await;
        for (i, o) in outcomes1.iter().enumerate().take(40).skip(1) {
            let o = o
                .as_ref()
                .unwrap_or_else(|e| panic!("{label}: batch {i}: {e:?}"));
            assert_eq!(
                (o.accepted, o.duplicates, o.cases_touched),
                (3, 0, 1),
                "{label}: {i}"
            );
        }
        // The repeat and its original: one stored, one a no-op, in either order.
        let (a, b) = (
            outcomes1[0].as_ref().unwrap(),
            outcomes1[40].as_ref().unwrap(),
        );
        assert_eq!(
            (a.accepted + b.accepted, a.duplicates + b.duplicates),
            (3, 3),
            "{label}"
        );

        // Round 2, with problems (each batch is checked after the ones before it): two new cases,
        // a retraction of an event of one of them (refused if it is written first), a conflict
        // with a stored event, and two batches conflicting with each other.
        let mut second: Vec<Vec<Event>> = vec![case_events("H0"), case_events("H1")];
        second.push(vec![ev(
            json!({"id":"H0-r","type":"event.retracted","case":"H0","at":"2026-03-03T09:00:00+08:00","data":{"target":"H0-3","reason":"误录"}}),
        )]);
        let other_cause = |id: &str, case: &str, cause: &str| {
            ev(
                json!({"id":id,"type":"case.accepted","case":case,"at":"2026-03-01T09:00:00+08:00","unit":"U-2","data":{"kind":"criminal","cause":cause}}),
            )
        };
        second.push(vec![other_cause("G1-1", "G1", "诈骗")]);
        second.push(vec![other_cause("K-1", "K", "诈骗")]);
        second.push(vec![other_cause("K-1", "K", "抢劫")]);
        let outcomes = append_concurrently(&db, &second).await;
        assert_eq!(outcomes[0].as_ref().unwrap().accepted, 3, "{label}");
        assert_eq!(outcomes[1].as_ref().unwrap().accepted, 3, "{label}");
        match &outcomes[2] {
            Ok(o) => assert_eq!(o.accepted, 1, "{label}"),
            Err(StoreError::Rejected(p)) => assert_eq!(p[0].error.code, "unknown_target"),
            Err(e) => panic!("{label}: {e:?}"),
        }
        let conflict = |o: &Result<_, StoreError>| matches!(o, Err(StoreError::Rejected(p)) if p[0].error.code == "conflict");
        assert!(conflict(&outcomes[3]), "{label}: {:?}", outcomes[3]);
        assert!(
            conflict(&outcomes[4]) != conflict(&outcomes[5]),
            "{label}: exactly one of two conflicting batches is stored: {:?}",
            &outcomes[4..]
        );
        assert!(
            db.store.verify(&|_| {}).await.unwrap().broken.is_none(),
            "{label}"
        );

        // The same accepted batches appended one by one give the same log and ledgers.
        let one_by_one = testing::sqlite().await.unwrap();
        let mut stored = 0;
        let rounds = first
            .iter()
            .zip(&outcomes1)
            .chain(second.iter().zip(&outcomes));
        for (b, o) in rounds {
            if let Ok(o) = o
                && o.accepted > 0
            {
                one_by_one.store.append(b, now()).await.unwrap();
                stored += o.accepted;
            }
        }
        assert_eq!(db.store.count_events().await.unwrap(), stored, "{label}");
        assert_eq!(
            db.store.dump_ledgers().await.unwrap(),
            one_by_one.store.dump_ledgers().await.unwrap(),
            "{label}"
        );
    }
}

#[tokio::test]
async fn append_is_idempotent_by_id_and_content() {
    for db in each_backend().await {
        let s = &db.store;
        let out = s.append(&case_events("C1"), now()).await.unwrap();
        assert_eq!(
            (out.accepted, out.duplicates, out.cases_touched),
            (3, 0, 1),
            "{}",
            db.label
        );
        let again = s.append(&case_events("C1"), now()).await.unwrap();
        assert_eq!((again.accepted, again.duplicates), (0, 3), "{}", db.label);
        // The same instant written in UTC is the same content.
        let utc = ev(
            json!({"id":"C1-3","type":"detention.started","case":"C1","subject":"P1","at":"2026-03-02T02:23:00Z"}),
        );
        assert_eq!(
            s.append(&[utc], now()).await.unwrap().duplicates,
            1,
            "{}",
            db.label
        );
        assert_eq!(s.count_events().await.unwrap(), 3, "{}", db.label);
    }
}

/// A batch partly in the log stores the rest once, counts the known events as duplicates and
/// keeps the chain whole and gap-free, whichever position the known events hold.
#[tokio::test]
async fn a_batch_partly_in_the_log_stores_the_rest_once() {
    for db in each_backend().await {
        let s = &db.store;
        let label = db.label;
        let c1 = case_events("C1");
        s.append(&c1[..2], now()).await.unwrap();
        // The stored two come after new events.
        let mut batch = case_events("C2");
        batch.extend(c1.iter().cloned());
        let out = s.append(&batch, now()).await.unwrap();
        assert_eq!(
            (out.accepted, out.duplicates, out.cases_touched),
            (4, 2, 2),
            "{label}"
        );
        assert_eq!(s.count_events().await.unwrap(), 6, "{label}");
        let report = s.verify(&|_| {}).await.unwrap();
        assert!(report.broken.is_none(), "{label}: {report:?}");
        let ids: Vec<String> = s
            .case_events("C1")
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.event.id.to_string())
            .collect();
        assert_eq!(ids, ["C1-1", "C1-2", "C1-3"], "{label}");
        // C1's third event is in its findings: the detention clock it starts.
        let findings = s.case_findings("C1").await.unwrap();
        assert!(
            findings.iter().any(|f| f.reference == "C1-3"),
            "{label}: {findings:?}"
        );
        let out = s.append(&case_events("C3"), now()).await.unwrap();
        assert_eq!((out.accepted, out.duplicates), (3, 0), "{label}");
        assert!(s.verify(&|_| {}).await.unwrap().broken.is_none(), "{label}");
    }
}

#[tokio::test]
async fn a_conflict_rejects_the_whole_batch() {
    for db in each_backend().await {
        let s = &db.store;
        s.append(&case_events("C1"), now()).await.unwrap();
        let mut batch = case_events("C2");
        batch.push(ev(json!({"id":"C1-3","type":"detention.started","case":"C1","subject":"P2","at":"2026-03-02T10:23:00+08:00"})));
        match s.append(&batch, now()).await {
            Err(StoreError::Rejected(problems)) => {
                assert_eq!(problems.len(), 1, "{}", db.label);
                assert_eq!(problems[0].index, 3);
                assert_eq!(problems[0].error.field, "id");
                assert_eq!(problems[0].error.code, "conflict");
                assert!(
                    problems[0]
                        .error
                        .message
                        .contains("`C1-3` 已存在且内容不同")
                );
            }
            other => panic!("{}: expected a conflict, got {other:?}", db.label),
        }
        assert_eq!(
            s.count_events().await.unwrap(),
            3,
            "{}: nothing of the batch was stored",
            db.label
        );
        assert!(s.get_case("C2").await.unwrap().is_none(), "{}", db.label);
    }
}

#[tokio::test]
async fn repeats_inside_one_batch() {
    for db in each_backend().await {
        let s = &db.store;
        let mut batch = case_events("C1");
        batch.push(batch[0].clone());
        let out = s.append(&batch, now()).await.unwrap();
        assert_eq!((out.accepted, out.duplicates), (3, 1), "{}", db.label);

        let mut bad = case_events("C2");
        bad.push(ev(
            json!({"id":"C2-1","type":"case.filed","case":"C2","at":"2026-03-01T09:00:00+08:00"}),
        ));
        let Err(StoreError::Rejected(p)) = s.append(&bad, now()).await else {
            panic!("{}", db.label)
        };
        assert_eq!((p[0].index, p[0].error.code), (3, "conflict"));
        assert!(
            p[0].error.message.contains("本批第 1 条"),
            "{}",
            p[0].error.message
        );
    }
}

#[tokio::test]
async fn retractions_need_a_real_target_in_the_same_case() {
    for db in each_backend().await {
        let s = &db.store;
        s.append(&case_events("C1"), now()).await.unwrap();
        s.append(&case_events("C2"), now()).await.unwrap();
        let retract = |id: &str, case: &str, target: &str| {
            ev(
                json!({"id":id,"type":"event.retracted","case":case,"at":"2026-03-03T09:00:00+08:00","data":{"target":target,"reason":"误录"}}),
            )
        };
        let cases = [
            (retract("r1", "C1", "nope"), "unknown_target"),
            (retract("r2", "C1", "C2-3"), "wrong_case"),
        ];
        for (e, code) in cases {
            let Err(StoreError::Rejected(p)) = s.append(&[e], now()).await else {
                panic!("{}", db.label)
            };
            assert_eq!(
                (p[0].error.field.as_str(), p[0].error.code),
                ("data.target", code),
                "{}",
                db.label
            );
        }
        s.append(&[retract("r3", "C1", "C1-3")], now())
            .await
            .unwrap();
        let l = s.get_case("C1").await.unwrap().unwrap();
        assert_eq!(
            l.persons["P1"].measure, None,
            "{}: the detention was retracted",
            db.label
        );
        assert_eq!(l.n_retracted, 1);
        let Err(StoreError::Rejected(p)) = s.append(&[retract("r4", "C1", "r3")], now()).await
        else {
            panic!()
        };
        assert_eq!(p[0].error.code, "retract_retraction");
        // A retraction and its target may arrive in the same batch.
        let mut batch = case_events("C3");
        batch.push(retract("r5", "C3", "C3-2"));
        s.append(&batch, now()).await.unwrap();
        assert!(
            s.get_case("C3")
                .await
                .unwrap()
                .unwrap()
                .persons
                .get("P1")
                .is_some_and(|p| p.role.is_none())
        );
    }
}

#[tokio::test]
async fn the_ledger_and_timeline_are_readable() {
    for db in each_backend().await {
        let s = &db.store;
        s.append(&case_events("C1"), now()).await.unwrap();
        let l = s.get_case("C1").await.unwrap().unwrap();
        assert_eq!(l.kind.as_deref(), Some("criminal"));
        assert_eq!(l.unit.as_deref(), Some("U-1"));
        let tl = s.case_events("C1").await.unwrap();
        let ids: Vec<&str> = tl.iter().map(|e| e.event.id.as_str()).collect();
        assert_eq!(ids, ["C1-1", "C1-2", "C1-3"], "{}", db.label);
        assert_eq!(tl[0].seq, 1);
        assert!(s.get_case("none").await.unwrap().is_none());
    }
}

#[tokio::test]
async fn cases_filter_and_page() {
    for db in each_backend().await {
        let s = &db.store;
        for i in 0..12 {
            let mut evs = case_events(&format!("K{i:02}"));
            if i % 3 == 0 {
                evs[0] = ev(
                    json!({"id": format!("K{i:02}-1"), "type":"case.accepted","case":format!("K{i:02}"),"at":"2026-03-01T09:00:00+08:00","unit":"U-2","data":{"kind":"administrative","cause":"殴打他人"}}),
                );
            }
            s.append(&evs, now()).await.unwrap();
        }
        let q = |f: fn(&mut CaseQuery)| {
            let mut q = CaseQuery {
                page: 1,
                per_page: 5,
                ..CaseQuery::default()
            };
            f(&mut q);
            q
        };
        let all = s.list_cases(&q(|_| {})).await.unwrap();
        assert_eq!((all.total, all.items.len()), (12, 5), "{}", db.label);
        let p3 = s.list_cases(&q(|q| q.page = 3)).await.unwrap();
        assert_eq!(p3.items.len(), 2);
        let admin = s
            .list_cases(&q(|q| q.kind = Some("administrative".into())))
            .await
            .unwrap();
        assert_eq!(admin.total, 4);
        let unit = s
            .list_cases(&q(|q| q.unit = Some("U-2".into())))
            .await
            .unwrap();
        assert_eq!(unit.total, 4);
        let stage = s
            .list_cases(&q(|q| q.stage = Some("accepted".into())))
            .await
            .unwrap();
        assert_eq!(stage.total, 12);
        let text = s
            .list_cases(&q(|q| q.text = Some("殴打".into())))
            .await
            .unwrap();
        assert_eq!(text.total, 4, "{}: free text over the cause", db.label);
        let by_id = s
            .list_cases(&q(|q| q.text = Some("k1".into())))
            .await
            .unwrap();
        assert_eq!(
            by_id.total, 2,
            "{}: free text over the id, case-insensitive",
            db.label
        );
        let wild = s
            .list_cases(&q(|q| q.text = Some("%".into())))
            .await
            .unwrap();
        assert_eq!(wild.total, 0, "{}: LIKE wildcards are literal", db.label);
    }
}

#[tokio::test]
async fn verify_names_the_first_broken_link() {
    for db in each_backend().await {
        let s = &db.store;
        s.append(&case_events("C1"), now()).await.unwrap();
        s.append(&case_events("C2"), now()).await.unwrap();
        let ok = s.verify(&|_| {}).await.unwrap();
        assert_eq!((ok.n_events, ok.broken.clone()), (6, None), "{}", db.label);
        assert!(ok.head.is_some());

        let tampered = r#"{"at":"2026-03-02T10:23:00+08:00","case":"C2","id":"C2-3","subject":"P9","type":"detention.started"}"#;
        if db.label == "sqlite" {
            let pool = sqlx::SqlitePool::connect(&db.url).await.unwrap();
            let refused = sqlx::query("UPDATE events SET body = 'x' WHERE seq = 6")
                .execute(&pool)
                .await;
            assert!(refused.unwrap_err().to_string().contains("append-only"));
            sqlx::query("DROP TRIGGER events_no_update")
                .execute(&pool)
                .await
                .unwrap();
            sqlx::query("UPDATE events SET body = $1 WHERE seq = 6")
                .bind(tampered)
                .execute(&pool)
                .await
                .unwrap();
        } else {
            let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
            let refused = sqlx::query("UPDATE events SET body = 'x' WHERE seq = 6")
                .execute(&pool)
                .await;
            assert!(refused.unwrap_err().to_string().contains("append-only"));
            sqlx::query("ALTER TABLE events DISABLE TRIGGER events_no_update")
                .execute(&pool)
                .await
                .unwrap();
            sqlx::query("UPDATE events SET body = $1 WHERE seq = 6")
                .bind(tampered)
                .execute(&pool)
                .await
                .unwrap();
        }
        let bad = s.verify(&|_| {}).await.unwrap();
        let broken = bad.broken.expect("tampering is detected");
        assert_eq!(
            (broken.seq, broken.id.as_str()),
            (6, "C2-3"),
            "{}",
            db.label
        );
        assert!(
            broken.reason.contains("content_hash") || broken.reason.contains("subject"),
            "{}",
            broken.reason
        );
    }
}

#[tokio::test]
async fn replay_rebuilds_the_same_ledger_as_incremental_ingestion() {
    let org_now: Timestamp = "2026-11-22T12:00:00+08:00".parse().unwrap();
    let cfg = casewatch_demo::DemoConfig {
        cases: 300,
        seed: 7,
        now: org_now,
    };
    let events: Vec<Event> = casewatch_demo::events(&cfg)
        .map(|v| {
            Event::parse(&v, ParseOptions { now: Some(org_now) })
                .unwrap_or_else(|e| panic!("{e:?}"))
        })
        .collect();
    for db in each_backend().await {
        let s = &db.store;
        // Uneven batches so that cases straddle batch boundaries.
        for chunk in events.chunks(97) {
            s.append(chunk, org_now).await.unwrap();
        }
        let incremental = s.dump_ledgers().await.unwrap();
        assert_eq!(incremental.len(), 300, "{}", db.label);
        let report = s.replay(org_now, &|_| {}).await.unwrap();
        assert_eq!(report.n_cases, 300);
        assert_eq!(report.n_events, events.len() as u64);
        let replayed = s.dump_ledgers().await.unwrap();
        assert!(
            incremental == replayed,
            "{}: replay differs from incremental ingestion",
            db.label
        );
        assert!(s.verify(&|_| {}).await.unwrap().broken.is_none());
    }
}

mod supervision {
    use super::*;

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    /// A detention at 2026-03-02 10:23: three 24-hour clocks (custody, family notice, first
    /// interrogation), warning at 18 h, due at 24 h.
    fn detained() -> Vec<Event> {
        vec![
            ev(
                json!({"id":"d1","type":"case.accepted","case":"D","at":"2026-03-01T09:00:00+08:00","unit":"U-1","data":{"kind":"criminal","cause":"盗窃"}}),
            ),
            ev(json!({"id":"d2","type":"case.filed","case":"D","at":"2026-03-01T15:00:00+08:00"})),
            ev(
                json!({"id":"d3","type":"person.registered","case":"D","subject":"P1","at":"2026-03-01T15:05:00+08:00","data":{"role":"suspect","name":"王某"}}),
            ),
            ev(
                json!({"id":"d4","type":"detention.started","case":"D","subject":"P1","at":"2026-03-02T10:23:00+08:00","officer":"O-7"}),
            ),
        ]
    }

    /// Retracts the detention `d4` of [`detained`] at 11:00.
    fn retract_d4() -> Event {
        ev(
            json!({"id":"r1","type":"event.retracted","case":"D","at":"2026-03-02T11:00:00+08:00","data":{"target":"d4","reason":"误录"}}),
        )
    }

    /// Runs one statement on the test database behind the store's back; `$1`, if present, is
    /// bound to a damaged binary history.
    async fn execute(db: &TestDb, sql: &'static str) {
        let damaged: Vec<u8> = vec![1, 0xff];
        if db.label == "sqlite" {
            let pool = sqlx::SqlitePool::connect(&db.url).await.unwrap();
            let mut q = sqlx::query(sql);
            if sql.contains("$1") {
                q = q.bind(damaged);
            }
            q.execute(&pool).await.unwrap();
        } else {
            let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
            let mut q = sqlx::query(sql);
            if sql.contains("$1") {
                q = q.bind(damaged);
            }
            q.execute(&pool).await.unwrap();
        }
    }

    /// The test database opened again with the standard pack, the text of its first-interrogation
    /// rule revised (its explanation cites "刑规 128（修订）"; dues and states are unchanged).
    async fn open_with_revised_rule(db: &TestDb) -> std::sync::Arc<dyn casewatch_store::Store> {
        const FILE: &str = "clocks/criminal_detention_first_interrogation.toml";
        let mut files = testing::standard_pack().unwrap().files.clone();
        let text = files
            .get(FILE)
            .unwrap()
            .replace("刑规 128", "刑规 128（修订）");
        files.insert(FILE.to_owned(), text);
        let changed = std::sync::Arc::new(casewatch_engine::Pack::from_files(files).unwrap());
        casewatch_store::open(&db.url, changed).await.unwrap()
    }

    fn state_of(rows: &[casewatch_store::FindingRow], rule: &str) -> String {
        rows.iter()
            .find(|f| f.rule == rule)
            .map(|f| f.state.clone())
            .unwrap_or_default()
    }

    #[tokio::test]
    async fn ingestion_evaluates_the_case_in_the_same_transaction() {
        for db in each_backend().await {
            let s = &db.store;
            s.append(&detained(), t("2026-03-02T10:30:00+08:00"))
                .await
                .unwrap();
            let rows = s.case_findings("D").await.unwrap();
            assert_eq!(
                state_of(&rows, "criminal_detention_to_detention_house"),
                "running",
                "{}",
                db.label
            );
            assert_eq!(state_of(&rows, "criminal_filing_review"), "met");
            let f = rows
                .iter()
                .find(|f| f.rule == "criminal_detention_to_detention_house")
                .unwrap();
            assert_eq!(
                f.unit.as_deref(),
                Some("U-1"),
                "findings carry the case's unit"
            );
            assert_eq!(f.officer.as_deref(), Some("O-7"));
            assert_eq!(
                f.next_at_us,
                Some(t("2026-03-03T04:23:00+08:00").as_microsecond()),
                "the warning instant is indexed"
            );
            // The stop arrives: met, and no longer an open clock.
            let admitted = ev(
                json!({"id":"d5","type":"custody.admitted","case":"D","subject":"P1","at":"2026-03-02T20:00:00+08:00"}),
            );
            s.append(&[admitted], t("2026-03-02T20:01:00+08:00"))
                .await
                .unwrap();
            let rows = s.case_findings("D").await.unwrap();
            let f = rows
                .iter()
                .find(|f| f.rule == "criminal_detention_to_detention_house")
                .unwrap();
            assert_eq!(
                (f.state.as_str(), f.next_at_us),
                ("met", None),
                "{}",
                db.label
            );
            let hist = s
                .finding_history(
                    "D",
                    "criminal_detention_to_detention_house",
                    Some("P1"),
                    "d4",
                )
                .await
                .unwrap();
            let states: Vec<&str> = hist.iter().map(|h| h.0.as_str()).collect();
            assert_eq!(states, ["running", "met"]);
        }
    }

    #[tokio::test]
    async fn timers_catch_up_after_a_restart_and_never_fire_twice() {
        for db in each_backend().await {
            let s = &db.store;
            s.append(&detained(), t("2026-03-02T10:30:00+08:00"))
                .await
                .unwrap();
            assert_eq!(
                s.next_wakeup().await.unwrap(),
                Some(t("2026-03-03T04:23:00+08:00")),
                "{}",
                db.label
            );
            // Nothing is due yet.
            assert_eq!(
                s.advance_timers(t("2026-03-03T04:22:59+08:00"))
                    .await
                    .unwrap()
                    .transitioned,
                0
            );
            // The server was down past both the warning and the due instant: at start it catches up.
            let reopened = casewatch_store::open(&db.url, testing::standard_pack().unwrap())
                .await
                .unwrap();
            let out = reopened
                .advance_timers(t("2026-03-04T09:00:00+08:00"))
                .await
                .unwrap();
            assert_eq!(out.transitioned, 3, "{}: three 24-hour clocks", db.label);
            let again = reopened
                .advance_timers(t("2026-03-04T09:00:01+08:00"))
                .await
                .unwrap();
            assert_eq!(again.transitioned, 0, "{}: nothing fires twice", db.label);
            let rows = reopened.case_findings("D").await.unwrap();
            assert_eq!(
                state_of(&rows, "criminal_detention_family_notice"),
                "overdue"
            );
            let hist = reopened
                .finding_history("D", "criminal_detention_family_notice", Some("P1"), "d4")
                .await
                .unwrap();
            let steps: Vec<(&str, i64, &str)> = hist
                .iter()
                .map(|h| (h.0.as_str(), h.1, h.2.as_str()))
                .collect();
            assert_eq!(
                steps,
                [
                    (
                        "running",
                        t("2026-03-02T10:30:00+08:00").as_microsecond(),
                        "event"
                    ),
                    (
                        "warning",
                        t("2026-03-03T04:23:00+08:00").as_microsecond(),
                        "timer"
                    ),
                    (
                        "overdue",
                        t("2026-03-03T10:23:00+08:00").as_microsecond(),
                        "timer"
                    ),
                ],
                "{}: each transition is dated at its own instant",
                db.label
            );
            // The arrest-request clock (3 days, custody) is next.
            assert_eq!(
                reopened.next_wakeup().await.unwrap(),
                Some(t("2026-03-05T02:35:00+08:00"))
            );
        }
    }

    /// The timer's transitions rewrite no finding row; a writer that comes before the timer
    /// writes the same transitions, dated and caused alike, and the timer then has none left.
    #[tokio::test]
    async fn the_timer_rewrites_no_finding_and_a_writer_before_it_writes_its_transitions() {
        let (at, later) = (
            t("2026-03-02T10:30:00+08:00"),
            t("2026-03-04T09:00:00+08:00"),
        );
        let other = || {
            vec![ev(
                json!({"id":"x1","type":"case.accepted","case":"X","at":"2026-03-04T08:00:00+08:00","unit":"U-1","data":{"kind":"criminal","cause":"诈骗"}}),
            )]
        };
        for (by_timer, by_writer) in each_backend().await.into_iter().zip(each_backend().await) {
            let label = by_timer.label;
            for db in [&by_timer, &by_writer] {
                db.store.append(&detained(), at).await.unwrap();
            }
            let before = by_timer.store.case_findings("D").await.unwrap();
            let out = by_timer.store.advance_timers(later).await.unwrap();
            assert_eq!(out.transitioned, 3, "{label}");
            let after = by_timer.store.case_findings("D").await.unwrap();
            assert_eq!(before.len(), after.len());
            for (b, a) in before.iter().zip(&after) {
                assert_eq!(
                    a.updated_at_us, b.updated_at_us,
                    "{label}: {} rewritten",
                    a.rule
                );
            }
            assert_eq!(
                state_of(&after, "criminal_detention_family_notice"),
                "overdue"
            );
            by_timer.store.append(&other(), later).await.unwrap();

            // The other store's first write at that instant is an event of another case.
            by_writer.store.append(&other(), later).await.unwrap();
            let out = by_writer.store.advance_timers(later).await.unwrap();
            assert_eq!(out.transitioned, 0, "{label}: the writer wrote them");
            assert_eq!(
                by_writer.store.case_findings("D").await.unwrap(),
                after,
                "{label}"
            );
            for f in &after {
                let (subject, reference) = (f.subject.as_deref(), f.reference.as_str());
                assert_eq!(
                    by_writer
                        .store
                        .finding_history("D", &f.rule, subject, reference)
                        .await
                        .unwrap(),
                    by_timer
                        .store
                        .finding_history("D", &f.rule, subject, reference)
                        .await
                        .unwrap(),
                    "{label}: {}",
                    f.rule
                );
            }
            assert_eq!(
                by_writer
                    .store
                    .finding_summary(&[], None, None)
                    .await
                    .unwrap(),
                by_timer
                    .store
                    .finding_summary(&[], None, None)
                    .await
                    .unwrap(),
                "{label}: the counts"
            );
        }
    }

    #[tokio::test]
    async fn a_retraction_removes_the_findings_of_the_retracted_event() {
        for db in each_backend().await {
            let s = &db.store;
            s.append(&detained(), t("2026-03-02T10:30:00+08:00"))
                .await
                .unwrap();
            s.append(&[retract_d4()], t("2026-03-02T11:00:00+08:00"))
                .await
                .unwrap();
            let rows = s.case_findings("D").await.unwrap();
            assert!(
                rows.iter().all(|f| f.reference != "d4"),
                "{}: {rows:?}",
                db.label
            );
            let hist = s
                .finding_history("D", "criminal_detention_family_notice", Some("P1"), "d4")
                .await
                .unwrap();
            assert_eq!(hist.last().map(|h| h.0.as_str()), Some("removed"));
        }
    }

    #[tokio::test]
    async fn alerts_filter_sort_and_count() {
        for db in each_backend().await {
            let s = &db.store;
            s.append(&detained(), t("2026-03-02T10:30:00+08:00"))
                .await
                .unwrap();
            s.advance_timers(t("2026-03-03T12:00:00+08:00"))
                .await
                .unwrap();
            let q = casewatch_store::FindingQuery {
                states: vec!["overdue".into()],
                page: 1,
                per_page: 50,
                ..Default::default()
            };
            let page = s.list_findings(&q).await.unwrap();
            assert_eq!(page.total, 3, "{}", db.label);
            let q = casewatch_store::FindingQuery {
                states: vec![],
                unit: Some("U-1".into()),
                page: 1,
                per_page: 50,
                ..Default::default()
            };
            let all = s.list_findings(&q).await.unwrap();
            let dues: Vec<Option<i64>> = all.items.iter().map(|f| f.due_us).collect();
            let mut sorted = dues.clone();
            sorted.sort_by_key(|d| (d.is_none(), *d));
            assert_eq!(dues, sorted, "sorted by due, checks last");
            let summary = s
                .finding_summary(&["overdue".to_owned()], None, None)
                .await
                .unwrap();
            assert_eq!(
                summary,
                [casewatch_store::SummaryRow {
                    unit: Some("U-1".into()),
                    state: "overdue".into(),
                    count: 3
                }]
            );
        }
    }

    /// Every finding, counted by unit and state from the rows themselves.
    async fn recount(s: &dyn casewatch_store::Store) -> Vec<casewatch_store::SummaryRow> {
        let mut counts: std::collections::BTreeMap<(Option<String>, String), i64> =
            std::collections::BTreeMap::new();
        let mut page = 1;
        loop {
            let q = casewatch_store::FindingQuery {
                page,
                per_page: 200,
                ..Default::default()
            };
            let p = s.list_findings(&q).await.unwrap();
            for f in &p.items {
                *counts.entry((f.unit.clone(), f.state.clone())).or_default() += 1;
            }
            if p.items.len() < 200 {
                break;
            }
            page += 1;
        }
        counts
            .into_iter()
            .map(|((unit, state), count)| casewatch_store::SummaryRow { unit, state, count })
            .collect()
    }

    /// The dashboard's counts are kept beside the findings (`finding_counts`): after each kind of
    /// write (ingestion, a retraction, timers, unit registration, re-evaluation, replay) they
    /// agree with the rows, and the alert list's total agrees with its items.
    #[tokio::test]
    async fn counts_follow_every_write_of_findings() {
        for db in each_backend().await {
            let s = db.store.as_ref();
            let check = |step: &'static str| async move {
                let want = recount(s).await;
                let got = s.finding_summary(&[], None, None).await.unwrap();
                assert_eq!(got, want, "{}: after {step}", db.label);
                for state in ["running", "warning", "overdue", "met"] {
                    let q = casewatch_store::FindingQuery {
                        states: vec![state.into()],
                        page: 1,
                        per_page: 200,
                        ..Default::default()
                    };
                    let p = s.list_findings(&q).await.unwrap();
                    assert_eq!(
                        p.total,
                        p.items.len() as u64,
                        "{}: {step}, {state}",
                        db.label
                    );
                }
                want
            };
            s.append(&detained(), t("2026-03-02T10:30:00+08:00"))
                .await
                .unwrap();
            let first = check("ingestion").await;
            assert!(first.iter().any(|r| r.state == "running"), "{first:?}");
            let other: Vec<Event> = detained()
                .iter()
                .map(|e| {
                    let mut v: Value = serde_json::from_str(&e.canonical_json()).unwrap();
                    v["id"] = json!(format!("x{}", e.id.as_str()));
                    v["case"] = json!("E");
                    ev(v)
                })
                .collect();
            s.append(&other, t("2026-03-02T10:30:00+08:00"))
                .await
                .unwrap();
            s.append(&[retract_d4()], t("2026-03-02T11:00:00+08:00"))
                .await
                .unwrap();
            check("a retraction").await;
            s.advance_timers(t("2026-03-03T05:00:00+08:00"))
                .await
                .unwrap();
            let warned = check("the warning instant").await;
            assert!(warned.iter().any(|r| r.state == "warning"), "{warned:?}");
            s.advance_timers(t("2026-03-03T12:00:00+08:00"))
                .await
                .unwrap();
            let due = check("the due instant").await;
            assert!(due.iter().any(|r| r.state == "overdue"), "{due:?}");
            let unit = casewatch_store::NewUnit {
                id: "U-1".into(),
                name: "一所".into(),
                parent: None,
                kind: "station".into(),
            };
            s.add_unit(&unit).await.unwrap();
            let under = s.finding_summary(&[], Some("/U-1/"), None).await.unwrap();
            assert_eq!(under, due, "{}: the subtree holds every finding", db.label);
            assert!(
                s.finding_summary(&[], Some("/U-2/"), None)
                    .await
                    .unwrap()
                    .is_empty()
            );
            s.reevaluate(t("2026-03-05T00:00:00+08:00"), &|_| {})
                .await
                .unwrap();
            check("re-evaluation").await;
            s.replay(t("2026-03-05T00:00:00+08:00"), &|_| {})
                .await
                .unwrap();
            check("replay").await;
        }
    }

    #[tokio::test]
    async fn the_calendar_lives_in_the_database_and_can_be_extended() {
        for db in each_backend().await {
            let s = &db.store;
            assert!(
                s.calendar().covers(2026),
                "{}: seeded from the shipped data",
                db.label
            );
            assert!(!s.calendar().covers(2031));
            let d = |x: &str| x.parse::<jiff::civil::Date>().unwrap();
            s.put_calendar_year(2031, vec![d("2031-01-01")], vec![], "test")
                .await
                .unwrap();
            assert!(s.calendar().is_rest_day(d("2031-01-01")));
            let reopened = casewatch_store::open(&db.url, testing::standard_pack().unwrap())
                .await
                .unwrap();
            assert!(reopened.calendar().covers(2031), "{}: stored", db.label);
            let bad = s
                .put_calendar_year(2032, vec![d("2031-05-01")], vec![], "test")
                .await;
            assert!(matches!(bad, Err(StoreError::Invalid(_))), "{bad:?}");
        }
    }

    #[tokio::test]
    async fn reevaluation_applies_the_pack_to_the_whole_history() {
        for db in each_backend().await {
            let s = &db.store;
            s.append(&detained(), t("2026-03-02T10:30:00+08:00"))
                .await
                .unwrap();
            let report = s
                .reevaluate(t("2026-03-04T00:00:00+08:00"), &|_| {})
                .await
                .unwrap();
            assert_eq!(report.n_cases, 1);
            // Only time moved since the case was written: its clocks' transitions are the
            // timer's, written before the pass, which finds no finding of its own to change.
            assert_eq!(report.n_changed, 0, "{}: {report:?}", db.label);
            let rows = s.case_findings("D").await.unwrap();
            assert_eq!(
                state_of(&rows, "criminal_detention_first_interrogation"),
                "overdue"
            );
            let hist = s
                .finding_history(
                    "D",
                    "criminal_detention_first_interrogation",
                    Some("P1"),
                    "d4",
                )
                .await
                .unwrap();
            let moves: Vec<(&str, &str)> =
                hist.iter().map(|h| (h.0.as_str(), h.2.as_str())).collect();
            assert_eq!(
                moves.last(),
                Some(&("overdue", "timer")),
                "{}: {moves:?}",
                db.label
            );
            let again = s
                .reevaluate(t("2026-03-04T00:00:00+08:00"), &|_| {})
                .await
                .unwrap();
            assert_eq!(again.n_changed, 0, "{}: nothing changes twice", db.label);
        }
    }

    /// Re-evaluation skips a case whose findings' digest is unchanged; a rule whose text changed
    /// (only its explanation differs: same due, same state) must still be rewritten.
    #[tokio::test]
    async fn reevaluation_rewrites_explanations_of_a_changed_rule_only() {
        for db in each_backend().await {
            let at = t("2026-03-02T12:00:00+08:00");
            db.store.append(&detained(), at).await.unwrap();
            let before = db.store.case_findings("D").await.unwrap();

            let s = open_with_revised_rule(&db).await;
            let report = s.reevaluate(at, &|_| {}).await.unwrap();
            assert_eq!(report.n_changed, 1, "{}: {report:?}", db.label);
            let after = s.case_findings("D").await.unwrap();
            for (b, a) in before.iter().zip(&after) {
                if a.rule == "criminal_detention_first_interrogation" {
                    assert!(a.explain.contains("刑规 128（修订）"), "{}", a.explain);
                    assert_eq!((a.due_us, &a.state), (b.due_us, &b.state));
                } else {
                    assert_eq!(a.explain, b.explain, "{}", a.rule);
                }
            }
            let again = s.reevaluate(at, &|_| {}).await.unwrap();
            assert_eq!(again.n_changed, 0, "{}", db.label);
        }
    }

    /// Re-evaluation reads the cases in ranges (on SQLite, each range on whichever reading
    /// thread takes it): every case is evaluated once, cases without a stored history among
    /// them are read from the log, and a changed rule is rewritten in every case.
    #[tokio::test]
    async fn reevaluation_covers_every_case_across_its_ranges() {
        const CASES: usize = 4_500;
        for db in each_backend().await {
            let at = t("2026-03-02T12:00:00+08:00");
            let ids: Vec<String> = (0..CASES).map(|i| format!("C{i:04}")).collect();
            for chunk in ids.chunks(500) {
                let batch: Vec<Event> = chunk.iter().flat_map(|id| case_events(id)).collect();
                db.store.append(&batch, at).await.unwrap();
            }
            execute(
                &db,
                "UPDATE cases SET history = NULL WHERE case_id IN ('C0000', 'C2500', 'C4499')",
            )
            .await;

            let s = open_with_revised_rule(&db).await;
            let seen = std::sync::atomic::AtomicU64::new(0);
            let report = s
                .reevaluate(at, &|n| seen.store(n, std::sync::atomic::Ordering::Relaxed))
                .await
                .unwrap();
            assert_eq!(report.n_cases, CASES as u64, "{}", db.label);
            assert_eq!(report.n_changed, CASES as u64, "{}: {report:?}", db.label);
            assert_eq!(seen.into_inner(), CASES as u64, "{}: progress", db.label);
            for id in ["C0000", "C1999", "C2000", "C2500", "C4499"] {
                let rows = s.case_findings(id).await.unwrap();
                let f = rows
                    .iter()
                    .find(|f| f.rule == "criminal_detention_first_interrogation")
                    .unwrap_or_else(|| panic!("{}: {id}: {rows:?}", db.label));
                assert!(f.explain.contains("刑规 128（修订）"), "{}: {id}", db.label);
            }
            let again = s.reevaluate(at, &|_| {}).await.unwrap();
            assert_eq!(
                (again.n_cases, again.n_changed),
                (CASES as u64, 0),
                "{}",
                db.label
            );
        }
    }

    /// The ledger is not stored: reading a case folds its events, from the binary history or,
    /// without one, from the log; a damaged history is named, not a panic or a wrong ledger.
    #[tokio::test]
    async fn a_case_is_read_as_the_fold_of_its_events() {
        for db in each_backend().await {
            let at = t("2026-03-02T12:00:00+08:00");
            let mut events = detained();
            // Out of order on purpose: the fold is in the order of `at`.
            events.reverse();
            db.store.append(&events, at).await.unwrap();
            events.sort_by_key(|e| e.at);
            let expected = casewatch_core::ledger::CaseLedger::build("D", &events);
            assert_eq!(
                db.store.get_case("D").await.unwrap().as_ref(),
                Some(&expected),
                "{}",
                db.label
            );
            assert_eq!(db.store.get_case("C").await.unwrap(), None, "{}", db.label);
            assert_eq!(db.store.get_case("D0").await.unwrap(), None, "{}", db.label);

            execute(&db, "UPDATE cases SET history = NULL WHERE case_id = 'D'").await;
            assert_eq!(
                db.store.get_case("D").await.unwrap().as_ref(),
                Some(&expected),
                "{}: read from the log",
                db.label
            );

            execute(&db, "UPDATE cases SET history = $1 WHERE case_id = 'D'").await;
            let err = db.store.get_case("D").await.unwrap_err();
            assert!(
                matches!(&err, StoreError::Corrupt { at, .. } if at.contains("case_id=D")),
                "{}: {err}",
                db.label
            );
        }
    }

    /// One number read behind the store's back.
    async fn scalar(db: &TestDb, sql: String) -> i64 {
        let sql = sqlx::AssertSqlSafe(sql);
        if db.label == "sqlite" {
            let pool = sqlx::SqlitePool::connect(&db.url).await.unwrap();
            sqlx::query_scalar(sql).fetch_one(&pool).await.unwrap()
        } else {
            let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
            sqlx::query_scalar(sql).fetch_one(&pool).await.unwrap()
        }
    }

    /// A writer compares new findings with the stored ones by their digest (`findings.digest`)
    /// instead of reading the explanations back. Rows stored before findings had digests compare
    /// as different once: the next write of their case gives them one, with no history row
    /// (their state did not change); after that, a write that changes nothing leaves every row
    /// as it was.
    #[tokio::test]
    async fn findings_are_compared_by_digest_and_old_rows_get_one_once() {
        for db in each_backend().await {
            let at = |s: &str| -> Timestamp { t(&format!("2026-03-02T{s}:00+08:00")) };
            db.store.append(&detained(), at("12:00")).await.unwrap();
            let history = "SELECT COUNT(*) FROM finding_history WHERE case_id = 'D'".to_owned();
            let without = "SELECT COUNT(*) FROM findings WHERE digest IS NULL".to_owned();
            let rows = scalar(&db, "SELECT COUNT(*) FROM findings".into()).await;
            let entries = scalar(&db, history.clone()).await;
            assert!(rows >= 3, "{}: {rows} findings", db.label);
            assert_eq!(scalar(&db, without.clone()).await, 0, "{}", db.label);

            execute(&db, "UPDATE findings SET digest = NULL").await;
            db.store.replay(at("12:10"), &|_| {}).await.unwrap();
            assert_eq!(scalar(&db, without.clone()).await, 0, "{}", db.label);
            assert_eq!(scalar(&db, history.clone()).await, entries, "{}", db.label);
            let written_at = casewatch_core::time::to_micros(at("12:10"));
            let at_replay =
                format!("SELECT COUNT(*) FROM findings WHERE updated_at_us = {written_at}");
            assert_eq!(
                scalar(&db, at_replay.clone()).await,
                rows,
                "{}: rewritten once",
                db.label
            );

            db.store.replay(at("12:20"), &|_| {}).await.unwrap();
            assert_eq!(
                scalar(&db, at_replay).await,
                rows,
                "{}: left as they were",
                db.label
            );
            assert_eq!(scalar(&db, history).await, entries, "{}", db.label);
        }
    }

    /// A damaged binary history is reported as corruption naming the case, not a panic, and
    /// `replay` rebuilds it from the log.
    #[tokio::test]
    async fn a_damaged_history_is_named_and_replay_rebuilds_it() {
        for db in each_backend().await {
            let at = t("2026-03-02T12:00:00+08:00");
            db.store.append(&detained(), at).await.unwrap();
            execute(&db, "UPDATE cases SET history = NULL WHERE case_id = 'D'").await;
            // Without a stored history the case is read from the log, and gets its history back.
            let r = db.store.reevaluate(at, &|_| {}).await.unwrap();
            assert_eq!((r.n_cases, r.n_changed), (1, 0), "{}", db.label);
            let more = ev(
                json!({"id":"d5","type":"interrogation.started","case":"D","subject":"P1","at":"2026-03-02T11:00:00+08:00"}),
            );
            db.store.append(&[more], at).await.unwrap();
            let rows = db.store.case_findings("D").await.unwrap();
            assert_eq!(
                state_of(&rows, "criminal_detention_first_interrogation"),
                "met",
                "{}",
                db.label
            );

            execute(&db, "UPDATE cases SET history = $1 WHERE case_id = 'D'").await;
            let err = db.store.reevaluate(at, &|_| {}).await.unwrap_err();
            assert!(
                matches!(&err, StoreError::Corrupt { at, .. } if at.contains("case_id=D")),
                "{}: {err}",
                db.label
            );
            db.store.replay(at, &|_| {}).await.unwrap();
            let r = db.store.reevaluate(at, &|_| {}).await.unwrap();
            assert_eq!(r.n_changed, 0, "{}", db.label);
        }
    }
}

#[tokio::test]
async fn coverage_counts_steps_the_rules_watch() {
    for db in each_backend().await {
        let s = &db.store;
        s.append(&case_events("C1"), now()).await.unwrap();
        let note =
            ev(json!({"id":"n1","type":"x-note","case":"C1","at":"2026-03-02T11:00:00+08:00"}));
        s.append(&[note], now()).await.unwrap();
        let c = s.coverage(None).await.unwrap();
        // case.accepted, person.registered and detention.started are watched (a rule reacts to
        // them or reads a fact they establish, `docs/coverage.md`); x-note is not.
        assert_eq!(
            (c.cases, c.steps, c.covered),
            (1, 4, 3),
            "{}: {c:?}",
            db.label
        );
        assert_eq!(c.cases_watched, 1);
        assert_eq!(c.units.len(), 1);
        assert_eq!(c.units[0].unit.as_deref(), Some("U-1"));
    }
}

/// On a PostgreSQL server whose autovacuum is off (as on the test machine), the store analyzes
/// its own tables as they grow, so that the planner does not guess at lookups of a batch's cases.
#[tokio::test]
async fn postgres_tables_are_analyzed_when_autovacuum_is_off() {
    let Some(db) = testing::postgres().await.unwrap() else {
        eprintln!("PostgreSQL tests skipped");
        return;
    };
    let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
    let autovacuum: String = sqlx::query_scalar("SELECT current_setting('autovacuum')")
        .fetch_one(&pool)
        .await
        .unwrap();
    if autovacuum == "on" {
        eprintln!("autovacuum is on: the server analyzes the tables itself");
        return;
    }
    let analyzed = || async {
        sqlx::query_scalar::<_, bool>(
            "SELECT last_analyze IS NOT NULL FROM pg_stat_user_tables \
             WHERE schemaname = current_schema() AND relname = 'findings'",
        )
        .fetch_one(&pool)
        .await
        .unwrap()
    };
    assert!(!analyzed().await, "a fresh schema was never analyzed");
    // Each append is a write after which the store may look (at most every 10 s).
    for round in 0..30 {
        let batch: Vec<Event> = (0..100)
            .flat_map(|i| case_events(&format!("S{round:02}-{i:03}")))
            .collect();
        db.store.append(&batch, now()).await.unwrap();
        if analyzed().await {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
    panic!("findings was not analyzed within 30 s of writes");
}
