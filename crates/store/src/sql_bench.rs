// Benchmark-only SQL ([`crate::bench::BenchStore`]), shared by both backends like
// `sql_common.rs`: each backend `include!`s this file after the others, in the same module. It
// uses `Db`, `StoreImpl`, `BACKEND` and `param` as `sql_common.rs` describes, and nothing here is
// called outside `casewatch bench`.

/// Rows per multi-row statement of the raw baseline: the event log's statement size (300 rows).
const RAW_CHUNK: usize = 300;
const SECOND_US: i64 = 1_000_000;
const HOUR_US: i64 = 3_600 * SECOND_US;
const YEAR_US: i64 = 365 * 24 * HOUR_US;

fn sql_text(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// The `INSERT … SELECT` that generates clocks `from..to` of `spec` (see [`crate::bench::ClockSpec`]).
/// Every value is a number computed here or a quoted string.
fn open_clocks_sql(spec: &crate::bench::ClockSpec, from: u64, to: u64) -> String {
    let n = i64::try_from(spec.n.max(1)).unwrap_or(i64::MAX);
    let burst = i64::try_from(spec.burst.min(spec.n)).unwrap_or(0);
    let (from, last) = (i64::try_from(from).unwrap_or(0), i64::try_from(to.max(from + 1) - 1).unwrap_or(0));
    let slot_burst = (SECOND_US / burst.max(1)).max(1);
    let slot_rest = (YEAR_US / (n - burst).max(1)).max(1);
    let t = spec.t_us;
    let rules: Vec<String> = spec.rules.iter().enumerate().map(|(i, r)| format!("({i}, {})", sql_text(r))).collect();
    let rules = if rules.is_empty() { "(0, 'criminal_detention_family_notice')".to_owned() } else { rules.join(", ") };
    let n_rules = spec.rules.len().max(1);
    let officers: Vec<String> = spec
        .officers
        .iter()
        .enumerate()
        .map(|(i, (o, u, p))| format!("({i}, {}, {}, {})", sql_text(o), sql_text(u), p.as_deref().map_or("NULL".to_owned(), sql_text)))
        .collect();
    let officers = if officers.is_empty() { "(0, NULL, 'U-0001', NULL)".to_owned() } else { officers.join(", ") };
    let n_officers = spec.officers.len().max(1);
    let (series, case_id, reference, started_text) = match BACKEND {
        Backend::Sqlite => (
            format!("WITH RECURSIVE s(k) AS (SELECT {from} UNION ALL SELECT k + 1 FROM s WHERE k < {last})"),
            "printf('TB2026-%07d', x.k)",
            "printf('TB2026-%07d-01', x.k)",
            "strftime('%Y年%m月%d日%H时%M分', x.started / 1000000 + 28800, 'unixepoch')",
        ),
        Backend::Postgres => (
            format!("WITH s(k) AS (SELECT generate_series({from}::bigint, {last}::bigint))"),
            "'TB2026-' || lpad(x.k::text, 7, '0')",
            "'TB2026-' || lpad(x.k::text, 7, '0') || '-01'",
            "to_char(to_timestamp(x.started / 1000000.0) AT TIME ZONE 'Asia/Shanghai', 'YYYY\"年\"MM\"月\"DD\"日\"HH24\"时\"MI\"分\"')",
        ),
    };
    // Pseudo-random but deterministic per clock: multiplicative hashes of k.
    format!(
        "{series}, \
         r(i, rule) AS (VALUES {rules}), \
         o(i, officer, unit, path) AS (VALUES {officers}), \
         b AS (SELECT k, \
             CASE WHEN k < {burst} THEN {t} + k * {slot_burst} + (k * 2654435761) % {slot_burst} \
                  ELSE {t} + {SECOND_US} + (k - {burst}) * {slot_rest} + (k * 2654435761) % {slot_rest} END AS next_at, \
             {HOUR_US} * (24 + (k * 40503) % 1440) AS lim, \
             ((k * 2654435761) / 128) % 2 AS warning \
           FROM s), \
         x AS (SELECT k, next_at, lim, warning, \
             CASE WHEN warning = 1 THEN next_at - lim ELSE next_at - lim * 3 / 4 END AS started, \
             CASE WHEN warning = 1 THEN next_at ELSE next_at + lim / 4 END AS due, \
             CASE WHEN warning = 1 THEN next_at - lim / 4 ELSE next_at END AS warn \
           FROM b) \
         INSERT INTO findings (case_id, rule, subject, ref, kind, state, started_us, due_us, warn_us, stopped_us, \
             next_at_us, unit, officer, explain, updated_at_us, unit_path) \
         SELECT {case_id}, r.rule, 'P1', {reference}, 'clock', 'open', \
             x.started, x.due, x.warn, NULL, NULL, o.unit, o.officer, \
             '自' || {started_text} || '起算（开始事件 ' || r.rule || '），期限' || (x.lim / {HOUR_US}) || '小时，按羁押期限计算不因节假日顺延；预警时点为期限的四分之三。', \
             {now}, o.path \
         FROM x JOIN r ON r.i = x.k % {n_rules} JOIN o ON o.i = (x.k * 7919) % {n_officers}",
        now = spec.now_us,
    )
}

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
        self.wrote();
        Ok(())
    }

    async fn drop_raw_table(&self) -> Result<(), StoreError> {
        sqlx::raw_sql("DROP TABLE IF EXISTS bench_raw_events").execute(&self.pool).await?;
        Ok(())
    }

    async fn generate_open_clocks(&self, spec: &crate::bench::ClockSpec, from: u64, to: u64) -> Result<(), StoreError> {
        let sql = open_clocks_sql(spec, from, to);
        // The writer mutex and lock, as every write of `findings` takes them.
        let _writer = self.write.lock().await;
        let mut tx = begin_write(&self.pool).await?;
        // As every writer of `findings` does, the timer's mark first comes to the instant the
        // clocks are generated as of.
        Self::advance_mark(&mut tx, spec.now_us).await?;
        sqlx::query(AssertSqlSafe(sql)).execute(&mut *tx).await?;
        // Counted like every other write of `findings`, in their states as of the mark (the
        // clocks' case ids are this range's).
        let last = to.max(from + 1) - 1;
        sqlx::query(AssertSqlSafe(format!(
            "INSERT INTO finding_counts (unit, rule, state, unit_path, n) \
             SELECT COALESCE(unit, ''), rule, {}, COALESCE(unit_path, ''), COUNT(*) FROM findings \
             WHERE case_id >= $1 AND case_id <= $2 GROUP BY unit, rule, 3, unit_path \
             ON CONFLICT (unit, rule, state) DO UPDATE SET n = finding_counts.n + excluded.n, unit_path = excluded.unit_path",
            state_sql("")
        )))
        .bind(format!("TB2026-{from:07}"))
        .bind(format!("TB2026-{last:07}"))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.wrote();
        Ok(())
    }

    async fn count_due_by_scan(&self, now_us: i64) -> Result<u64, StoreError> {
        // `+ 0` and `|| ''` keep both planners off the open clocks' indexes: every row is read.
        let n: i64 = sqlx::query(
            "SELECT COUNT(*) FROM findings, timer_mark m WHERE state || '' = 'open' \
             AND ((warn_us + 0 > m.at_us AND warn_us + 0 <= $1) OR (due_us + 0 > m.at_us AND due_us + 0 <= $1))",
        )
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
        // schema of the database. The tables the dashboard reads are also vacuumed, as autovacuum
        // would have done after a bulk load, so that their covering indexes answer without
        // visiting the rows (an index-only scan needs the visibility map). One statement each:
        // `VACUUM` cannot run inside the implicit transaction of a multi-statement query.
        if BACKEND == Backend::Postgres {
            for sql in [
                "VACUUM (ANALYZE) findings",
                "VACUUM (ANALYZE) cases",
                "VACUUM (ANALYZE) finding_counts",
                "ANALYZE events",
                "ANALYZE finding_history",
            ] {
                sqlx::raw_sql(sql).execute(&self.pool).await?;
            }
        }
        Ok(())
    }
}
