//! What `casewatch bench` needs beyond the [`Store`] contract, and nothing else uses: the raw
//! insert that ingestion is compared with, bulk loading of synthetic open clocks, a full scan of
//! the due-time column, the naive per-rule SQL sweep ([`naive`]) and a fresh PostgreSQL schema
//! per run.
//!
//! API boundary: the benchmark reaches the database only through [`BenchStore`] (implemented by
//! both backends in `sql_bench.rs`) and the [`Store`] it is opened with ([`open`]). None of this
//! is used by the server or the other commands; the tables and indexes it creates are named
//! `bench_*` and dropped again.

use std::sync::Arc;

use casewatch_engine::Pack;

use crate::{Store, StoreError};

pub mod naive;

/// One row of the raw baseline: what an event row minimally is (the primary key, the indexed
/// columns the log keeps, and the canonical JSON), with none of Casewatch's work.
#[derive(Debug, Clone)]
pub struct RawEventRow {
    /// The event id (primary key).
    pub id: String,
    /// The case id.
    pub case_id: String,
    /// The event type.
    pub event_type: String,
    /// The event's instant, µs since the epoch.
    pub at_us: i64,
    /// The canonical JSON.
    pub body: String,
}

/// How to generate synthetic open clocks ([`BenchStore::generate_open_clocks`]): `findings`
/// rows of kind `clock` stored `open` (running or warning as of the generation instant
/// `now_us`), as ingestion writes them, with realistic columns (rule, unit and its path,
/// officer, an explanation as long as real ones).
///
/// Clock `k` of `n`: the first `burst` have their next instant (the warning of a running clock,
/// the due of a warning one) spread over `[t_us, t_us + 1 s)`, the others over the year after;
/// in order of `k`, each at a pseudo-random offset within its slot. Limits run from a day to
/// two months, the warning at three quarters. Case ids are `TB2026-{k:07}`.
#[derive(Debug, Clone)]
pub struct ClockSpec {
    /// Clocks in all.
    pub n: u64,
    /// Clocks coming due within the first second.
    pub burst: u64,
    /// The instant T, µs.
    pub t_us: i64,
    /// When the rows are written, µs.
    pub now_us: i64,
    /// Clock rules to choose from.
    pub rules: Vec<String>,
    /// Officers to choose from: (officer, unit, the unit's path).
    pub officers: Vec<(String, String, Option<String>)>,
}

/// Benchmark-only operations on a store's database.
#[async_trait::async_trait]
pub trait BenchStore: Send + Sync {
    /// Creates the bare table of the raw baseline (`bench_raw_events`), dropping an old one.
    async fn create_raw_table(&self) -> Result<(), StoreError>;

    /// Inserts rows into `bench_raw_events` in one transaction, with multi-row `INSERT`s of the
    /// same size as the event log's.
    async fn insert_raw(&self, rows: &[RawEventRow]) -> Result<(), StoreError>;

    /// Drops `bench_raw_events`.
    async fn drop_raw_table(&self) -> Result<(), StoreError>;

    /// Generates clocks `from..to` of `spec` into `findings` in one transaction, in SQL (no
    /// rows cross the connection).
    async fn generate_open_clocks(
        &self,
        spec: &ClockSpec,
        from: u64,
        to: u64,
    ) -> Result<(), StoreError>;

    /// Counts the open clocks with a warning or due instant after the timer's mark and by `now_us`
    /// by reading every row (the open clocks' indexes are deliberately not used): what a periodic
    /// sweep over clocks costs.
    async fn count_due_by_scan(&self, now_us: i64) -> Result<u64, StoreError>;

    /// Runs one query of the naive sweep and returns how many rows it produced.
    async fn run_naive(&self, sql: &str) -> Result<u64, StoreError>;

    /// Creates (`true`) or drops (`false`) the index on `events (type, case_id)` that a deployed
    /// naive system would keep for its per-rule queries (`bench_naive_events_type`).
    async fn set_naive_index(&self, present: bool) -> Result<(), StoreError>;

    /// Refreshes the planner's statistics and the visibility map of the dashboard's tables after
    /// a bulk load, as PostgreSQL's autovacuum does on its own a little later (`VACUUM (ANALYZE)`,
    /// `ANALYZE`); nothing on SQLite, which Casewatch never analyzes.
    async fn analyze(&self) -> Result<(), StoreError>;
}

/// Opens the database `url` names like [`crate::open`], as both a [`Store`] and a
/// [`BenchStore`] (the same object). Audit rows are signed with a key made for the run and
/// kept nowhere: the database is thrown away afterwards.
pub async fn open(
    url: &str,
    pack: Arc<Pack>,
) -> Result<(Arc<dyn Store>, Arc<dyn BenchStore>), StoreError> {
    let options = crate::StoreOptions {
        audit_key: Some(crate::AuditKey::generate()?),
        ..crate::StoreOptions::default()
    };
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let store = Arc::new(crate::postgres::PgStore::open_with(url, pack, options).await?);
        let bench: Arc<dyn BenchStore> = store.clone();
        Ok((store, bench))
    } else {
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .unwrap_or(url);
        if path.contains("://") {
            return Err(StoreError::BadUrl(url.to_owned()));
        }
        let store = Arc::new(crate::sqlite::SqliteStore::open_with(path, pack, options).await?);
        let bench: Arc<dyn BenchStore> = store.clone();
        Ok((store, bench))
    }
}

/// A fresh schema in the PostgreSQL database at `base_url`: (the URL that opens it, its name).
/// Schemas of earlier benchmark runs older than a day are dropped on the way.
pub async fn create_pg_schema(base_url: &str) -> Result<(String, String), StoreError> {
    let admin = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(base_url)
        .await?;
    let now = jiff::Timestamp::now().as_second();
    let stale: Vec<String> = sqlx::query_scalar(
        "SELECT nspname::text FROM pg_namespace WHERE nspname LIKE 'cw\\_bench\\_%'",
    )
    .fetch_all(&admin)
    .await?;
    for name in stale {
        let created = name
            .split('_')
            .nth(2)
            .and_then(|s| s.parse::<i64>().ok())
            .unwrap_or(0);
        if now - created > 86_400 {
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "DROP SCHEMA IF EXISTS {name} CASCADE"
            )))
            .execute(&admin)
            .await?;
        }
    }
    let schema = format!("cw_bench_{now}_{}", std::process::id());
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(&admin)
        .await?;
    admin.close().await;
    let sep = if base_url.contains('?') { '&' } else { '?' };
    Ok((
        format!("{base_url}{sep}options=-c%20search_path%3D{schema}"),
        schema,
    ))
}

/// Drops a schema made by [`create_pg_schema`] with everything in it.
pub async fn drop_pg_schema(base_url: &str, schema: &str) -> Result<(), StoreError> {
    if !schema.starts_with("cw_bench_")
        || !schema
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return Err(StoreError::Invalid(format!(
            "`{schema}` is not a benchmark schema"
        )));
    }
    let admin = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(base_url)
        .await?;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "DROP SCHEMA IF EXISTS {schema} CASCADE"
    )))
    .execute(&admin)
    .await?;
    admin.close().await;
    Ok(())
}
