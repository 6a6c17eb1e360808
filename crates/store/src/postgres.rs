//! The PostgreSQL backend, for a city's scale and for several servers sharing one database.

use std::time::Duration;

use sqlx::postgres::PgPoolOptions;
use sqlx::{Pool, Postgres, Transaction};

/// A store on a PostgreSQL database.
pub struct PgStore {
    /// Connections to the server.
    pool: Pool<Postgres>,
    /// Serializes this process's writers; across processes the advisory lock does.
    write: tokio::sync::Mutex<()>,
    /// The rule pack every batch is evaluated with.
    pack: Arc<Pack>,
    /// The holiday calendar, loaded from the database at open and replaced when a year changes.
    calendar: std::sync::RwLock<Arc<Calendar>>,
}

type Db = Postgres;
type StoreImpl = PgStore;
const BACKEND: Backend = Backend::Postgres;
const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "event_log_and_ledger",
        sql: include_str!("../migrations/postgres/0001_event_log_and_ledger.sql"),
    },
    Migration {
        version: 2,
        name: "findings_and_calendar",
        sql: include_str!("../migrations/postgres/0002_findings_and_calendar.sql"),
    },
    Migration {
        version: 3,
        name: "coverage",
        sql: include_str!("../migrations/postgres/0003_coverage.sql"),
    },
];

/// The advisory lock that makes one writer at a time extend the chain, whichever server it runs
/// on ("CWLOG" in ASCII).
const WRITE_LOCK_KEY: i64 = 0x43_57_4c_4f_47;

/// The i-th bind placeholder.
fn param(i: usize) -> String {
    format!("${i}")
}

async fn begin_write(pool: &Pool<Postgres>) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(WRITE_LOCK_KEY)
        .execute(&mut *tx)
        .await?;
    Ok(tx)
}

impl PgStore {
    /// Connects to `url` and applies pending migrations.
    pub async fn open(url: &str, pack: Arc<Pack>) -> Result<Self, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await?;
        let store = Self {
            pool,
            write: tokio::sync::Mutex::new(()),
            pack,
            calendar: std::sync::RwLock::new(Arc::new(Calendar::empty())),
        };
        store.migrate().await?;
        store.load_calendar().await?;
        Ok(store)
    }

    /// The connection pool, for tests that must reach past the trait (tampering with the log).
    pub fn pool(&self) -> &Pool<Postgres> {
        &self.pool
    }
}

include!("sql_common.rs");
