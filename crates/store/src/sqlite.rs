//! The SQLite backend: one file in WAL mode, the embedded default.

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Connection, Pool, Sqlite, Transaction};

/// A store on a SQLite file.
pub struct SqliteStore {
    /// Connections to the file; readers run concurrently with the single writer (WAL).
    pool: Pool<Sqlite>,
    /// Serializes this process's writers so they queue here instead of spinning on the file lock
    /// (shared with the checkpointer, which takes it to restart the WAL).
    write: Arc<tokio::sync::Mutex<()>>,
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
    /// Registered units' paths read so far: a path never changes once registered and units are
    /// never removed, so entries cannot go stale (see `unit_paths_in` in `sql_identity.rs`).
    known_unit_paths: std::sync::RwLock<HashMap<String, String>>,
    /// Wakes the background checkpointer ([`spawn_checkpointer`]) after a write.
    checkpoints: tokio::sync::mpsc::Sender<()>,
    /// The database file, for re-evaluation's direct readers ([`reeval`]); `None` when the
    /// database is not a file another connection can open (in memory).
    file: Option<std::path::PathBuf>,
}

/// Pages of WAL after which a writer checkpoints by itself (about 400 MB): only a safety net
/// for when the background checkpointer cannot restart the WAL (another process holding it).
const WAL_AUTOCHECKPOINT_PAGES: &str = "100000";
/// The least time between two background checkpoints, so that a stream of small commits
/// costs a checkpoint (and its fsync) per interval, not per commit.
const CHECKPOINT_PAUSE: Duration = Duration::from_millis(100);
/// Frames in the WAL (about 64 MiB of 4 KiB pages) past which the checkpointer restarts it
/// (`StoreOptions::wal_restart_frames` overrides it).
const WAL_RESTART_FRAMES: i64 = 16_384;
/// Passive passes at most before a restart, to catch up with the writer first.
const CATCH_UP_PASSES: usize = 4;
/// A passive pass that copied at most this many frames has caught up with the writer.
const CAUGHT_UP_FRAMES: i64 = 256;
/// The WAL file is cut back to this size when it restarts: above what a restart at
/// [`WAL_RESTART_FRAMES`] leaves, so that in the steady state it is never truncated (and its
/// blocks never freed and allocated again) and is only cut back after it grew past it.
const JOURNAL_SIZE_LIMIT: &str = "134217728";
/// How long the checkpointer's restart waits for readers to leave the WAL before it gives up
/// until its next turn (while it waits, this process's writer waits too).
const RESTART_BUSY_TIMEOUT: Duration = Duration::from_millis(20);

/// Starts the task that copies the WAL into the database file, off the writer's path, and keeps
/// the WAL short.
///
/// SQLite's own automatic checkpoint runs inside the `COMMIT` that crosses the threshold: that
/// commit copies the whole WAL and syncs the file, about 100 ms at the design load, once every
/// dozen groups of live events, and every append queued behind it waits (it made most of the
/// latency's p99). Here a dedicated connection runs `PRAGMA wal_checkpoint(PASSIVE)` after
/// writes, which neither waits for nor blocks readers and the writer.
///
/// A passive checkpoint never lets the WAL start over, though: SQLite restarts the log only when
/// a write transaction begins with every frame already copied and no reader inside the log, and
/// under a steady stream of groups the next group always begins before the copy has caught up.
/// The WAL then grew to the safety net's 400 MB, where the writer's own checkpoint and the
/// truncation of the file stalled two commits for 50 and 130 ms each time (measured: they were
/// the whole p99 of the latency benchmark). So once the WAL holds [`WAL_RESTART_FRAMES`], the
/// checkpointer catches up with passive passes, takes this process's writer mutex (`write`: no
/// group is in progress), copies the few frames the passive passes left and waits for readers to
/// leave the log (`wal_checkpoint(RESTART)`, at most [`RESTART_BUSY_TIMEOUT`]): the next group
/// writes from the start of the file again, into blocks already allocated.
///
/// Writes wake the task through the returned sender; the task ends when the store (the sender)
/// is dropped, and SQLite's close of the last connection does the final checkpoint.
fn spawn_checkpointer(
    options: SqliteConnectOptions,
    write: Arc<tokio::sync::Mutex<()>>,
    restart_frames: i64,
) -> tokio::sync::mpsc::Sender<()> {
    let (wake, mut woken) = tokio::sync::mpsc::channel::<()>(1);
    tokio::spawn(async move {
        let options = options.busy_timeout(RESTART_BUSY_TIMEOUT);
        let mut conn = match SqliteConnection::connect_with(&options).await {
            Ok(conn) => conn,
            Err(e) => {
                tracing::warn!(error = %e, "background checkpoints unavailable; SQLite checkpoints in the writer");
                return;
            }
        };
        while woken.recv().await.is_some() {
            if let Err(e) = checkpoint_pass(&mut conn, &write, restart_frames).await {
                tracing::warn!(error = %e, "background checkpoint failed");
            }
            tokio::time::sleep(CHECKPOINT_PAUSE).await;
        }
        let _ = conn.close().await;
    });
    wake
}

/// One turn of the checkpointer: a passive checkpoint, and, when the WAL is long, passive
/// passes until one finds little new to copy, then the restart under the writer mutex (which
/// therefore copies only the frames of the last moments while the writer waits).
async fn checkpoint_pass(
    conn: &mut SqliteConnection,
    write: &tokio::sync::Mutex<()>,
    restart_frames: i64,
) -> Result<(), sqlx::Error> {
    let (_, frames, mut copied) = checkpoint(conn, PASSIVE).await?;
    if frames < restart_frames {
        return Ok(());
    }
    for _ in 0..CATCH_UP_PASSES {
        let (_, _, now_copied) = checkpoint(conn, PASSIVE).await?;
        let fresh = now_copied - copied;
        copied = now_copied;
        if fresh <= CAUGHT_UP_FRAMES {
            break;
        }
    }
    let waited = std::time::Instant::now();
    let _writer = write.lock().await;
    let held = std::time::Instant::now();
    let (busy, frames, _) = checkpoint(conn, RESTART).await?;
    // How long the writer waited for this restart (`RUST_LOG=casewatch_store=debug`).
    tracing::debug!(
        busy,
        frames,
        wait_ms = (held - waited).as_secs_f64() * 1e3,
        held_ms = held.elapsed().as_secs_f64() * 1e3,
        "WAL restarted"
    );
    Ok(())
}

/// Copies what it can of the WAL, blocking neither readers nor the writer.
const PASSIVE: &str = "PRAGMA wal_checkpoint(PASSIVE)";
/// Copies all of the WAL (the caller holds the writer mutex) and waits for readers to leave it,
/// so that the next write transaction starts the WAL over.
const RESTART: &str = "PRAGMA wal_checkpoint(RESTART)";

/// Runs [`PASSIVE`] or [`RESTART`]; its row: whether it was blocked (1) or not (0),
/// the frames in the WAL and the frames copied into the database file (-1 and -1 when blocked).
async fn checkpoint(
    conn: &mut SqliteConnection,
    pragma: &'static str,
) -> Result<(i64, i64, i64), sqlx::Error> {
    sqlx::query_as(pragma).fetch_one(conn).await
}

type Db = Sqlite;
type StoreImpl = SqliteStore;
const BACKEND: Backend = Backend::Sqlite;
/// The findings table as the timer reads it: through the open clocks' index by warning instant,
/// and by due instant. SQLite cannot weigh a range of instants against `state = 'open'` and
/// otherwise walks every open clock through `findings_state_path` (2 s per statement among a
/// million clocks).
const FINDINGS_BY_WARN: &str = "findings INDEXED BY findings_open_warn";
const FINDINGS_BY_DUE: &str = "findings INDEXED BY findings_open_due";
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
    Migration {
        version: 8,
        name: "ledger_folded_on_read",
        sql: include_str!("../migrations/sqlite/0008_ledger_folded_on_read.sql"),
    },
    Migration {
        version: 9,
        name: "alert_index_without_settled",
        sql: include_str!("../migrations/sqlite/0009_alert_index_without_settled.sql"),
    },
    Migration {
        version: 10,
        name: "finding_digest",
        sql: include_str!("../migrations/sqlite/0010_finding_digest.sql"),
    },
    Migration {
        version: 11,
        name: "clock_states_as_of_the_mark",
        sql: include_str!("../migrations/common/0011_clock_states_as_of_the_mark.sql"),
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

/// [`begin_write`] on a connection the caller holds (a long job that writes chunk after chunk
/// keeps one connection, and with it its page cache: SQLite empties a connection's cache when it
/// begins a transaction after another connection wrote).
async fn begin_write_on(
    conn: &mut SqliteConnection,
) -> Result<Transaction<'_, Sqlite>, sqlx::Error> {
    conn.begin_with("BEGIN IMMEDIATE").await
}

/// The audit chain's write transaction. SQLite has one writer per file whatever the table, so
/// it is the same file lock as every other write.
async fn begin_audit_write(
    pool: &Pool<Sqlite>,
) -> Result<Transaction<'static, Sqlite>, sqlx::Error> {
    pool.begin_with("BEGIN IMMEDIATE").await
}

/// Takes the audit chain's lock inside a transaction that writes other things too: on SQLite
/// every write transaction already holds the file's one write lock.
async fn lock_audit_chain(_tx: &mut Transaction<'_, Sqlite>) -> Result<(), sqlx::Error> {
    Ok(())
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
            // Rows a query's worker thread may read ahead of its caller (sqlx's default is 50):
            // beyond it each row waits for the caller to take one, two thread wake-ups per row.
            // Re-evaluation streams thousands of case histories per chunk; the writer reads
            // hundreds of stored findings per group (`docs/performance-notes.md`, ninth round).
            .row_buffer_size(4096)
            // Checkpoints run in the background (`spawn_checkpointer`), not in the writer's
            // commits, and restart the WAL when it is long (see there).
            .pragma("wal_autocheckpoint", WAL_AUTOCHECKPOINT_PAGES)
            .pragma("journal_size_limit", JOURNAL_SIZE_LIMIT);
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options_db.clone())
            .await?;
        let file = Some(options_db.get_filename().to_path_buf()).filter(|f| f.is_file());
        Self::migrate(&pool).await?;
        let audit_key = Self::init_audit_key(&pool, options.audit_key).await?;
        let write = Arc::new(tokio::sync::Mutex::new(()));
        let store = Self {
            pool,
            checkpoints: spawn_checkpointer(
                options_db,
                Arc::clone(&write),
                options.wal_restart_frames.unwrap_or(WAL_RESTART_FRAMES),
            ),
            write,
            pack,
            calendar: std::sync::RwLock::new(Arc::new(Calendar::empty())),
            audit_key,
            pending: std::sync::Mutex::new(Vec::new()),
            audit_pending: std::sync::Mutex::new(Vec::new()),
            known_unit_paths: std::sync::RwLock::default(),
            file,
        };
        store.load_calendar().await?;
        Ok(store)
    }

    /// Evaluates every case again: with direct readers on the evaluating threads when the
    /// database is a file ([`reeval`]), else as PostgreSQL does.
    async fn reevaluate_backend(
        &self,
        now: Timestamp,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<ReevaluateReport, StoreError> {
        match &self.file {
            Some(file) => reeval::reevaluate(self, file, now, progress).await,
            None => self.reevaluate_impl(now, progress).await,
        }
    }

    /// The connection pool, for tests that must reach past the trait (tampering with the log).
    pub fn pool(&self) -> &Pool<Sqlite> {
        &self.pool
    }

    /// Called after a write transaction commits: wakes the background checkpointer (a wake
    /// already pending covers this write too).
    fn wrote(&self) {
        let _ = self.checkpoints.try_send(());
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

mod reeval;
