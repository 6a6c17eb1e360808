//! Tests of PostgreSQL's migrations, which need the migration list.

use super::*;

/// A database at schema version 8 (a finding's state still in `findings`) keeps every column of
/// its findings through migration 9, which moves the state to `finding_state`.
#[tokio::test]
async fn findings_keep_every_column_when_their_state_moves_to_its_own_table()
-> Result<(), Box<dyn std::error::Error>> {
    let Some(url) = crate::testing::postgres_schema().await? else {
        eprintln!("skipped: {} is not set", crate::testing::POSTGRES_ENV);
        return Ok(());
    };
    {
        let pool = PgPoolOptions::new()
            .max_connections(1)
            .connect(&url)
            .await?;
        sqlx::raw_sql(
            "CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at_us BIGINT NOT NULL)",
        )
        .execute(&pool)
        .await?;
        for m in MIGRATIONS.iter().filter(|m| m.version <= 8) {
            sqlx::raw_sql(m.sql).execute(&pool).await?;
            sqlx::query("INSERT INTO schema_migrations VALUES ($1, $2, 0)")
                .bind(m.version)
                .bind(m.name)
                .execute(&pool)
                .await?;
        }
        sqlx::raw_sql(
            "INSERT INTO findings (case_id, rule, subject, ref, kind, state, started_us, due_us, warn_us, \
             stopped_us, next_at_us, unit, officer, explain, updated_at_us, unit_path) VALUES \
             ('A2026-0001', 'r1', 'P1', 'E-1', 'clock', 'warning', 10, 100, 50, NULL, 100, 'U-1', 'O-1', '说明', 7, '/U-1/'), \
             ('A2026-0001', 'r2', '', 'E-2', 'check', 'violated', NULL, NULL, NULL, NULL, NULL, NULL, NULL, '说明二', 8, NULL); \
             INSERT INTO finding_counts (unit, rule, state, unit_path, n) VALUES ('U-1', 'r1', 'warning', '/U-1/', 1)",
        )
        .execute(&pool)
        .await?;
        pool.close().await;
    }

    let store = PgStore::open(&url, crate::testing::standard_pack()?).await?;
    let rows = store.case_findings("A2026-0001").await?;
    let got: Vec<_> = rows
        .iter()
        .map(|r| {
            (
                r.rule.as_str(),
                r.subject.as_deref(),
                r.reference.as_str(),
                r.kind.as_str(),
                r.state.as_str(),
                (
                    r.started_us,
                    r.due_us,
                    r.warn_us,
                    r.stopped_us,
                    r.next_at_us,
                ),
                (r.unit.as_deref(), r.officer.as_deref()),
                r.explain.as_str(),
                r.updated_at_us,
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "r2",
                None,
                "E-2",
                "check",
                "violated",
                (None, None, None, None, None),
                (None, None),
                "说明二",
                8
            ),
            (
                "r1",
                Some("P1"),
                "E-1",
                "clock",
                "warning",
                (Some(10), Some(100), Some(50), None, Some(100)),
                (Some("U-1"), Some("O-1")),
                "说明",
                7
            ),
        ]
    );
    // The timer finds the clock through the new table's due-time index.
    assert_eq!(
        store.next_wakeup().await?,
        casewatch_core::time::from_micros(100)
    );
    // And the alert list through its state index.
    let page = store
        .list_findings(&FindingQuery {
            states: vec!["warning".into()],
            unit_under: Some("/U-1/".into()),
            per_page: 10,
            page: 1,
            ..FindingQuery::default()
        })
        .await?;
    assert_eq!(page.items.len(), 1, "{page:?}");
    Ok(())
}
