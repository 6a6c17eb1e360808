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

/// A synthetic open clock for the due-time index: a `findings` row of kind `clock` in state
/// `running` or `warning` with `next_at_us` set, as ingestion writes them.
#[derive(Debug, Clone)]
pub struct OpenClockRow {
    /// The case id.
    pub case_id: String,
    /// A clock rule of the pack.
    pub rule: String,
    /// The subject (`""` for case clocks).
    pub subject: String,
    /// The starting event's id.
    pub reference: String,
    /// `running` or `warning`.
    pub state: String,
    /// Clock start, µs.
    pub started_us: i64,
    /// Due instant, µs.
    pub due_us: i64,
    /// Warning instant, µs.
    pub warn_us: i64,
    /// The next instant at which time alone changes the state: `warn_us` when running, `due_us`
    /// when warning.
    pub next_at_us: i64,
    /// The acting unit.
    pub unit: String,
    /// The unit's path in the unit tree.
    pub unit_path: Option<String>,
    /// The acting officer.
    pub officer: Option<String>,
    /// The explanation text (as long as real ones).
    pub explain: String,
    /// When the row was written, µs.
    pub updated_at_us: i64,
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

    /// Inserts synthetic open clocks into `findings` in one transaction.
    async fn insert_open_clocks(&self, rows: &[OpenClockRow]) -> Result<(), StoreError>;

    /// Counts the findings with `next_at_us <= now_us` by reading every row (the due-time index
    /// is deliberately not used): what a periodic sweep over clocks costs.
    async fn count_due_by_scan(&self, now_us: i64) -> Result<u64, StoreError>;

    /// Runs one query of the naive sweep and returns how many rows it produced.
    async fn run_naive(&self, sql: &str) -> Result<u64, StoreError>;

    /// Creates (`true`) or drops (`false`) the index on `events (type, case_id)` that a deployed
    /// naive system would keep for its per-rule queries (`bench_naive_events_type`).
    async fn set_naive_index(&self, present: bool) -> Result<(), StoreError>;

    /// Refreshes the planner's statistics after a bulk load, as PostgreSQL's autovacuum does on
    /// its own a little later (`ANALYZE`); nothing on SQLite, which Casewatch never analyzes.
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
