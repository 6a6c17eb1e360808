//! Upgrading a database written before open clocks were stored as `open` (migration 11): its
//! stored states keep their meaning, the transitions the old timer had not yet written are
//! written as it would have, and the counts hold the states as of the new timer's mark.
//! PostgreSQL runs the same file (`migrations/common/`).

#![cfg(test)]

use casewatch_core::time::to_micros;
use casewatch_store::testing;
use jiff::Timestamp;

fn t(s: &str) -> i64 {
    to_micros(s.parse::<Timestamp>().unwrap())
}

/// Applies the SQLite migrations up to and including `last` to a fresh file, as an older binary
/// would have, recording them.
async fn database_at_version(url: &str, last: i64) -> sqlx::SqlitePool {
    use sqlx::sqlite::SqliteConnectOptions;
    use std::str::FromStr;
    let options = SqliteConnectOptions::from_str(url)
        .unwrap()
        .create_if_missing(true);
    let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
    sqlx::raw_sql(
        "CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at_us BIGINT NOT NULL)",
    )
    .execute(&pool)
    .await
    .unwrap();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/sqlite");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for path in files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let version: i64 = name[..4].parse().unwrap();
        if version > last {
            continue;
        }
        let sql = std::fs::read_to_string(&path).unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&pool)
            .await
            .unwrap();
        sqlx::query("INSERT INTO schema_migrations VALUES ($1, $2, 0)")
            .bind(version)
            .bind(name)
            .execute(&pool)
            .await
            .unwrap();
    }
    pool
}

/// A clock as a version-10 database stored it: case, state, warning instant, due, next instant.
type OldClock = (
    &'static str,
    &'static str,
    Option<i64>,
    Option<i64>,
    Option<i64>,
);

#[tokio::test]
async fn open_clocks_keep_their_states_across_the_upgrade() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("old.db").display());
    let pool = database_at_version(&url, 10).await;
    // Written last at 12:00 (the old timer's latest pass): a running clock whose warning
    // instant (11:30) it had not yet moved, one that runs on, one in warning, one overdue, a
    // paused one (no next transition), one met.
    let (w, d) = (t("2026-03-02T11:30:00Z"), t("2026-03-02T18:00:00Z"));
    let noon = t("2026-03-02T12:00:00Z");
    let rows: [OldClock; 6] = [
        ("pending", "running", Some(w), Some(d), Some(w)),
        (
            "later",
            "running",
            Some(d),
            Some(d + 3_600_000_000),
            Some(d),
        ),
        ("warning", "warning", Some(w), Some(d), Some(d)),
        ("overdue", "overdue", Some(w - 7_200_000_000), Some(w), None),
        ("paused", "running", Some(w), Some(d), None),
        ("met", "met", Some(w), Some(d), None),
    ];
    for (case, state, warn, due, next) in rows {
        sqlx::query(
            "INSERT INTO findings (case_id, rule, subject, ref, kind, state, started_us, due_us, warn_us, stopped_us, \
             next_at_us, unit, officer, explain, updated_at_us, unit_path) \
             VALUES ($1, 'r', 'P1', 'e', 'clock', $2, 0, $3, $4, NULL, $5, 'U-1', 'O-1', '', $6, '/U-1/')",
        )
        .bind(case)
        .bind(state)
        .bind(due)
        .bind(warn)
        .bind(next)
        .bind(noon)
        .execute(&pool)
        .await
        .unwrap();
    }
    sqlx::raw_sql(
        "INSERT INTO finding_counts (unit, rule, state, unit_path, n) \
         SELECT unit, rule, state, unit_path, COUNT(*) FROM findings GROUP BY unit, rule, state, unit_path",
    )
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;

    let store = casewatch_store::open(&url, testing::standard_pack().unwrap())
        .await
        .unwrap();
    let mut seen = Vec::new();
    for case in ["pending", "later", "warning", "overdue", "paused", "met"] {
        let rows = store.case_findings(case).await.unwrap();
        let [f] = rows.as_slice() else {
            panic!("{case}: {rows:?}")
        };
        seen.push((case, f.state.clone(), f.next_at_us));
    }
    assert_eq!(
        seen,
        [
            ("pending", "warning".to_owned(), Some(d)),
            ("later", "running".to_owned(), Some(d)),
            ("warning", "warning".to_owned(), Some(d)),
            ("overdue", "overdue".to_owned(), None),
            ("paused", "running".to_owned(), None),
            ("met", "met".to_owned(), None),
        ]
    );
    // The transition the old timer owed is in the history, at its instant, once.
    let history = store
        .finding_history("pending", "r", Some("P1"), "e")
        .await
        .unwrap();
    assert_eq!(history, [("warning".to_owned(), w, "timer".to_owned())]);
    for case in ["later", "warning", "overdue", "paused", "met"] {
        let h = store
            .finding_history(case, "r", Some("P1"), "e")
            .await
            .unwrap();
        assert!(h.is_empty(), "{case}: {h:?}");
    }
    // The counts agree with the rows.
    let summary = store.finding_summary(&[], None, None).await.unwrap();
    let mut counts: Vec<(String, i64)> = summary.into_iter().map(|r| (r.state, r.count)).collect();
    counts.sort();
    let expected: Vec<(String, i64)> = [("met", 1), ("overdue", 1), ("running", 2), ("warning", 2)]
        .into_iter()
        .map(|(s, n)| (s.to_owned(), n))
        .collect();
    assert_eq!(counts, expected);
    // The timer wakes at the next instant after the mark, and moves the clocks due then.
    assert_eq!(store.next_wakeup().await.unwrap().map(to_micros), Some(d));
    let out = store
        .advance_timers(casewatch_core::time::from_micros(d).unwrap())
        .await
        .unwrap();
    // The pending clock and the warning one become overdue; the one that warns at that due
    // instant starts warning.
    assert_eq!(out.transitioned, 3);
}
