//! The SQLite backend: one file in WAL mode, the embedded default.

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Pool, Sqlite, Transaction};

/// A store on a SQLite file.
pub struct SqliteStore {
    /// Connections to the file; readers run concurrently with the single writer (WAL).
    pool: Pool<Sqlite>,
    /// Serializes this process's writers so they queue here instead of spinning on the file lock.
    write: tokio::sync::Mutex<()>,
    /// The rule pack every batch is evaluated with.
    pack: Arc<Pack>,
    /// The holiday calendar, loaded from the database at open and replaced when a year changes.
    calendar: std::sync::RwLock<Arc<Calendar>>,
    /// The key that signs new audit rows (given at open, or stored in `audit_keys`).
    audit_key: crate::AuditKey,
    /// Batches waiting for the writer: written together by the next append to take it.
    pending: std::sync::Mutex<Vec<Pending>>,
    /// Audit entries waiting for the audit writer: written together by the next to take it.
    audit_pending: std::sync::Mutex<Vec<PendingAudit>>,
}

type Db = Sqlite;
type StoreImpl = SqliteStore;
const BACKEND: Backend = Backend::Sqlite;
/// The findings table as the timer reads it: through the due-time index. SQLite cannot weigh
/// `next_at_us <= ?` against `state = 'running'` and otherwise walks every running clock through
/// `findings_state_path` (2 s per statement among a million clocks).
const FINDINGS_BY_NEXT: &str = "findings INDEXED BY findings_next";
const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "event_log_and_ledger",
        sql: include_str!("../migrations/sqlite/0001_event_log_and_ledger.sql"),
    },
    Migration {
        version: 2,
        name: "findings_and_calendar",
        sql: include_str!("../migrations/sqlite/0002_findings_and_calendar.sql"),
    },
    Migration {
        version: 3,
        name: "coverage",
        sql: include_str!("../migrations/sqlite/0003_coverage.sql"),
    },
    Migration {
        version: 4,
        name: "identity_and_audit",
        sql: include_str!("../migrations/sqlite/0004_identity_and_audit.sql"),
    },
    Migration {
        version: 5,
        name: "case_history_and_digest",
        sql: include_str!("../migrations/sqlite/0005_case_history_and_digest.sql"),
    },
    Migration {
        version: 6,
        name: "findings_by_state_and_path",
        sql: include_str!("../migrations/sqlite/0006_findings_by_state_and_path.sql"),
    },
    Migration {
        version: 7,
        name: "finding_counts",
        sql: include_str!("../migrations/sqlite/0007_finding_counts.sql"),
    },
];

/// The i-th bind placeholder: plain `?`, bound in order. SQLite resolves `$N` and `?N` through
/// a linear search per bind, which a multi-row insert of thousands of parameters turns quadratic.
/// The SQL dialect of authorization filters ([`casewatch_authz::Scope::sql`]).
const DIALECT: casewatch_authz::Dialect = casewatch_authz::Dialect::Sqlite;

fn param(_i: usize) -> String {
    "?".to_owned()
}

/// `BEGIN IMMEDIATE` takes the file's write lock up front: a transaction that reads the chain
/// head and then writes can never fail to upgrade because another process wrote in between.
async fn begin_write(pool: &Pool<Sqlite>) -> Result<Transaction<'static, Sqlite>, sqlx::Error> {
    pool.begin_with("BEGIN IMMEDIATE").await
}

/// The audit chain's write transaction. SQLite has one writer per file whatever the table, so
/// it is the same file lock as every other write.
async fn begin_audit_write(
    pool: &Pool<Sqlite>,
) -> Result<Transaction<'static, Sqlite>, sqlx::Error> {
    pool.begin_with("BEGIN IMMEDIATE").await
}

/// A write transaction on the identity tables (users, sessions, tokens): `BEGIN IMMEDIATE`, so
/// that a read followed by a write never fails to upgrade its lock.
async fn begin_identity_write(
    pool: &Pool<Sqlite>,
) -> Result<Transaction<'static, Sqlite>, sqlx::Error> {
    pool.begin_with("BEGIN IMMEDIATE").await
}

impl SqliteStore {
    /// Opens (creating if needed) the SQLite file at `path` and applies pending migrations.
    pub async fn open(path: &str, pack: Arc<Pack>) -> Result<Self, StoreError> {
        Self::open_with(path, pack, crate::StoreOptions::default()).await
    }

    /// Opens (creating if needed) the SQLite file at `path` with options, and applies pending
    /// migrations.
    pub async fn open_with(
        path: &str,
        pack: Arc<Pack>,
        options: crate::StoreOptions,
    ) -> Result<Self, StoreError> {
        let options_db = SqliteConnectOptions::from_str(&format!("sqlite://{path}"))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(30))
            .foreign_keys(true)
            // Statement journals (multi-row upserts inside a transaction) in memory, not in a
            // temporary file: they were 8 % of ingestion.
            .pragma("temp_store", "memory")
            // 64 MiB of page cache per connection (the default is 2 MiB): the indexes of a city's
            // history do not fit in 2 MiB, and every insert into them then reads pages back.
            .pragma("cache_size", "-65536")
            // Checkpoint every ~40 MB of WAL instead of every 4 MB: pages rewritten by
            // consecutive batches are copied into the database once.
            .pragma("wal_autocheckpoint", "10000");
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options_db)
            .await?;
        Self::migrate(&pool).await?;
        let audit_key = Self::init_audit_key(&pool, options.audit_key).await?;
        let store = Self {
            pool,
            write: tokio::sync::Mutex::new(()),
            pack,
            calendar: std::sync::RwLock::new(Arc::new(Calendar::empty())),
            audit_key,
            pending: std::sync::Mutex::new(Vec::new()),
            audit_pending: std::sync::Mutex::new(Vec::new()),
        };
        store.load_calendar().await?;
        Ok(store)
    }

    /// The connection pool, for tests that must reach past the trait (tampering with the log).
    pub fn pool(&self) -> &Pool<Sqlite> {
        &self.pool
    }

    /// The mutex that queues this process's audit appends: the one writer mutex, since the
    /// file has one writer.
    fn audit_mutex(&self) -> &tokio::sync::Mutex<()> {
        &self.write
    }

    /// The mutex that queues this process's identity writes: the one writer mutex, so that they
    /// wait in line instead of spinning on the file lock.
    fn identity_mutex(&self) -> Option<&tokio::sync::Mutex<()>> {
        Some(&self.write)
    }
}

include!("sql_common.rs");
include!("sql_identity.rs");
include!("sql_audit.rs");
include!("sql_bench.rs");
