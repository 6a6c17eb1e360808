// Benchmark-only SQL ([`crate::bench::BenchStore`]), shared by both backends like
// `sql_common.rs`: each backend `include!`s this file after the others, in the same module. It
// uses `Db`, `StoreImpl`, `BACKEND` and `param` as `sql_common.rs` describes, and nothing here is
// called outside `casewatch bench`.

/// Rows per multi-row statement of the raw baseline: the event log's statement size (300 rows).
const RAW_CHUNK: usize = 300;
/// Rows per multi-row statement when loading synthetic clocks (16 columns × 300 rows of binds).
const CLOCK_CHUNK: usize = 300;

/// `($1,…,$c),($c+1,…)` for `rows` rows of `cols` columns, in this backend's placeholders.
fn bench_rows(rows: usize, cols: usize) -> String {
    (0..rows)
        .map(|r| format!("({})", (r * cols + 1..=r * cols + cols).map(param).collect::<Vec<_>>().join(",")))
        .collect::<Vec<_>>()
        .join(",")
}

#[async_trait::async_trait]
impl crate::bench::BenchStore for StoreImpl {
    async fn create_raw_table(&self) -> Result<(), StoreError> {
        sqlx::raw_sql("DROP TABLE IF EXISTS bench_raw_events").execute(&self.pool).await?;
        sqlx::raw_sql(
            "CREATE TABLE bench_raw_events (id TEXT PRIMARY KEY, case_id TEXT NOT NULL, type TEXT NOT NULL, \
             at_us BIGINT NOT NULL, body TEXT NOT NULL)",
        )
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn insert_raw(&self, rows: &[crate::bench::RawEventRow]) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        for chunk in rows.chunks(RAW_CHUNK) {
            let sql = format!("INSERT INTO bench_raw_events (id, case_id, type, at_us, body) VALUES {}", bench_rows(chunk.len(), 5));
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for r in chunk {
                q = q.bind(r.id.clone()).bind(r.case_id.clone()).bind(r.event_type.clone()).bind(r.at_us).bind(r.body.clone());
            }
            q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn drop_raw_table(&self) -> Result<(), StoreError> {
        sqlx::raw_sql("DROP TABLE IF EXISTS bench_raw_events").execute(&self.pool).await?;
        Ok(())
    }

    async fn insert_open_clocks(&self, rows: &[crate::bench::OpenClockRow]) -> Result<(), StoreError> {
        // The writer mutex and lock, as every write of `findings` takes them.
        let _writer = self.write.lock().await;
        let mut tx = begin_write(&self.pool).await?;
        for chunk in rows.chunks(CLOCK_CHUNK) {
            let sql = format!(
                "INSERT INTO findings (case_id, rule, subject, ref, kind, state, started_us, due_us, warn_us, stopped_us, \
                 next_at_us, unit, officer, explain, updated_at_us, unit_path) VALUES {}",
                bench_rows(chunk.len(), 16)
            );
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for r in chunk {
                q = q
                    .bind(r.case_id.clone())
                    .bind(r.rule.clone())
                    .bind(r.subject.clone())
                    .bind(r.reference.clone())
                    .bind("clock")
                    .bind(r.state.clone())
                    .bind(r.started_us)
                    .bind(r.due_us)
                    .bind(r.warn_us)
                    .bind(None::<i64>)
                    .bind(r.next_at_us)
                    .bind(r.unit.clone())
                    .bind(r.officer.clone())
                    .bind(r.explain.clone())
                    .bind(r.updated_at_us)
                    .bind(r.unit_path.clone());
            }
            q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn count_due_by_scan(&self, now_us: i64) -> Result<u64, StoreError> {
        // `+ 0` keeps both planners off the due-time index: every row is read.
        let n: i64 = sqlx::query("SELECT COUNT(*) FROM findings WHERE next_at_us + 0 <= $1")
            .bind(now_us)
            .fetch_one(&self.pool)
            .await?
            .try_get(0)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn run_naive(&self, sql: &str) -> Result<u64, StoreError> {
        let rows = sqlx::query(AssertSqlSafe(sql.to_owned())).fetch_all(&self.pool).await?;
        Ok(rows.len() as u64)
    }

    async fn set_naive_index(&self, present: bool) -> Result<(), StoreError> {
        let sql = if present {
            "CREATE INDEX IF NOT EXISTS bench_naive_events_type ON events (type, case_id)"
        } else {
            "DROP INDEX IF EXISTS bench_naive_events_type"
        };
        sqlx::raw_sql(sql).execute(&self.pool).await?;
        Ok(())
    }

    async fn analyze(&self) -> Result<(), StoreError> {
        // Only this store's tables (the search path's schema); a bare `ANALYZE` would visit every
        // schema of the database.
        if BACKEND == Backend::Postgres {
            sqlx::raw_sql("ANALYZE events; ANALYZE cases; ANALYZE findings; ANALYZE finding_history").execute(&self.pool).await?;
        }
        Ok(())
    }
}
