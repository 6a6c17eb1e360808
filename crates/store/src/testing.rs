//! Helpers for tests that need a fresh database of each kind. Used by this crate's contract tests
//! and by the server's API tests; harmless in production builds.

use std::sync::Arc;

use crate::{Store, StoreError};

/// The environment variable that holds a PostgreSQL URL for tests; PostgreSQL tests are skipped
/// (and say so) when it is unset.
pub const POSTGRES_ENV: &str = "CASEWATCH_TEST_POSTGRES";

/// A fresh database for one test. Keeps its temporary directory alive as long as it lives.
pub struct TestDb {
    /// The store.
    pub store: Arc<dyn Store>,
    /// The URL that opens the same database again.
    pub url: String,
    /// A label for assertion messages (`sqlite` or `postgres`).
    pub label: &'static str,
    _dir: Option<tempfile::TempDir>,
}

/// A fresh SQLite file in a new temporary directory.
pub async fn sqlite() -> Result<TestDb, StoreError> {
    let dir = tempfile::tempdir().map_err(|e| StoreError::Corrupt {
        at: "tempdir".into(),
        reason: e.to_string(),
    })?;
    let url = format!("sqlite://{}", dir.path().join("test.db").display());
    let store = crate::open(&url, standard_pack()?).await?;
    Ok(TestDb {
        store,
        url,
        label: "sqlite",
        _dir: Some(dir),
    })
}

/// A fresh schema in the PostgreSQL database named by [`POSTGRES_ENV`], or `None` when unset.
/// Schemas of earlier runs older than a day are dropped on the way.
pub async fn postgres() -> Result<Option<TestDb>, StoreError> {
    let Ok(base) = std::env::var(POSTGRES_ENV) else {
        return Ok(None);
    };
    let admin = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(&base)
        .await?;
    let now = jiff::Timestamp::now().as_second();
    let stale: Vec<String> = sqlx::query_scalar(
        "SELECT nspname::text FROM pg_namespace WHERE nspname LIKE 'cw\\_t\\_%'",
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
    let schema = format!("cw_t_{now}_{}", unique());
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(&admin)
        .await?;
    admin.close().await;
    let sep = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{sep}options=-c%20search_path%3D{schema}");
    let store = crate::open(&url, standard_pack()?).await?;
    Ok(Some(TestDb {
        store,
        url,
        label: "postgres",
        _dir: None,
    }))
}

/// The standard rule pack shipped in the binary.
pub fn standard_pack() -> Result<Arc<casewatch_engine::Pack>, StoreError> {
    casewatch_engine::Pack::standard()
        .map(Arc::new)
        .map_err(|e| StoreError::Invalid(e.to_string()))
}

/// Every backend available to this test run: SQLite always, PostgreSQL when configured.
pub async fn all() -> Result<Vec<TestDb>, StoreError> {
    let mut out = vec![sqlite().await?];
    match postgres().await? {
        Some(pg) => out.push(pg),
        None => eprintln!("{POSTGRES_ENV} is unset: PostgreSQL tests skipped"),
    }
    Ok(out)
}

fn unique() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    format!(
        "{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}
