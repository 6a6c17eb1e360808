//! The PostgreSQL backend, for a city's scale and for several servers sharing one database.

use std::time::Duration;

use sqlx::postgres::{PgConnection, PgPoolOptions};
use sqlx::{Connection, Pool, Postgres, Transaction};

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
    /// The key that signs new audit rows (given at open, or stored in `audit_keys`).
    audit_key: crate::AuditKey,
    /// Batches waiting for the writer: written together by the next append to take it.
    pending: std::sync::Mutex<Vec<Pending>>,
    /// Audit entries waiting for the audit writer: written together by the next to take it.
    audit_pending: std::sync::Mutex<Vec<PendingAudit>>,
    /// Registered units' paths read so far: a path never changes once registered and units are
    /// never removed, so entries cannot go stale (see `unit_paths_in` in `sql_identity.rs`).
    known_unit_paths: std::sync::RwLock<HashMap<String, String>>,
    /// Serializes this process's appends to the audit chain; across processes its own advisory
    /// lock does, so that an audited read never waits behind an import.
    audit_write: tokio::sync::Mutex<()>,
    /// Keeps the planner's statistics current when the server's autovacuum is off.
    analyzer: Arc<Analyzer>,
}

/// How often at most the store looks for tables whose statistics are stale (autovacuum's own
/// default is once a minute; an import grows the tables faster than that).
const ANALYZE_CHECK_EVERY: Duration = Duration::from_secs(10);

/// The store's own `ANALYZE` of its tables, for servers whose autovacuum is off.
///
/// Without statistics PostgreSQL's planner guesses: a lookup of a batch's cases
/// (`case_id IN (…)` on `findings`, `cases`) was estimated at most of the table and planned as a
/// sequential scan, so ingestion slowed down as the history grew, to 7,500 cases a minute at
/// 400,000 cases (measured; `docs/performance-notes.md`, eleventh round). The store then does
/// what autovacuum's analyze would: after a write, at most every [`ANALYZE_CHECK_EVERY`], it
/// analyzes, in the background, each table of its schema changed by more than 50 rows plus a
/// tenth of its size since it was last analyzed. Vacuuming stays the administrator's.
struct Analyzer {
    /// Whether the server's autovacuum is off (read at open); otherwise nothing is done here.
    enabled: bool,
    /// When the last look began.
    last: std::sync::Mutex<Option<std::time::Instant>>,
    /// Whether a look (and its analyzes) is in progress.
    running: std::sync::atomic::AtomicBool,
}

impl Analyzer {
    /// Reads whether the server's autovacuum is on; warns when it is not.
    async fn new(pool: &Pool<Postgres>) -> Result<Self, StoreError> {
        let autovacuum: String = sqlx::query_scalar("SELECT current_setting('autovacuum')")
            .fetch_one(pool)
            .await?;
        let enabled = autovacuum != "on";
        if enabled {
            tracing::warn!(
                "PostgreSQL's autovacuum is off: Casewatch analyzes its own tables as they grow; \
                 vacuuming them is left to the administrator"
            );
        }
        Ok(Self {
            enabled,
            last: std::sync::Mutex::new(None),
            running: std::sync::atomic::AtomicBool::new(false),
        })
    }

    /// Called after a write: starts a look in the background when one is due.
    fn after_write(self: &Arc<Self>, pool: &Pool<Postgres>) {
        use std::sync::atomic::Ordering;
        if !self.enabled {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        {
            let Ok(mut last) = self.last.lock() else {
                return;
            };
            if last.is_some_and(|at| at.elapsed() < ANALYZE_CHECK_EVERY) {
                return;
            }
            if self.running.swap(true, Ordering::AcqRel) {
                return;
            }
            *last = Some(std::time::Instant::now());
        }
        let (me, pool) = (Arc::clone(self), pool.clone());
        runtime.spawn(async move {
            if let Err(e) = analyze_stale(&pool).await {
                tracing::warn!(error = %e, "analyzing the store's tables failed");
            }
            me.running.store(false, Ordering::Release);
        });
    }
}

/// Analyzes every table of the store's schema whose statistics are stale by autovacuum's
/// default rule (more than 50 rows plus a tenth of the table changed since the last analyze).
async fn analyze_stale(pool: &Pool<Postgres>) -> Result<(), sqlx::Error> {
    let stale: Vec<String> = sqlx::query_scalar(
        "SELECT format('%I.%I', schemaname, relname) FROM pg_stat_user_tables \
         WHERE schemaname = current_schema() AND n_mod_since_analyze > 50 + 0.1 * n_live_tup",
    )
    .fetch_all(pool)
    .await?;
    for table in stale {
        let started = std::time::Instant::now();
        // The name comes from the server, quoted by `format('%I')`.
        sqlx::raw_sql(AssertSqlSafe(format!("ANALYZE {table}")))
            .execute(pool)
            .await?;
        tracing::debug!(table, ms = started.elapsed().as_millis() as u64, "analyzed");
    }
    Ok(())
}

type Db = Postgres;
type StoreImpl = PgStore;
const BACKEND: Backend = Backend::Postgres;
/// The findings table as the timer reads it by warning instant and by due instant (PostgreSQL's
/// planner finds the indexes itself).
const FINDINGS_BY_WARN: &str = "findings";
const FINDINGS_BY_DUE: &str = "findings";
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
    Migration {
        version: 4,
        name: "identity_and_audit",
        sql: include_str!("../migrations/postgres/0004_identity_and_audit.sql"),
    },
    Migration {
        version: 5,
        name: "case_history_and_digest",
        sql: include_str!("../migrations/postgres/0005_case_history_and_digest.sql"),
    },
    Migration {
        version: 6,
        name: "findings_by_state_and_path",
        sql: include_str!("../migrations/postgres/0006_findings_by_state_and_path.sql"),
    },
    Migration {
        version: 7,
        name: "finding_counts",
        sql: include_str!("../migrations/postgres/0007_finding_counts.sql"),
    },
    Migration {
        version: 8,
        name: "ledger_folded_on_read",
        sql: include_str!("../migrations/postgres/0008_ledger_folded_on_read.sql"),
    },
    Migration {
        version: 9,
        name: "alert_index_without_settled",
        sql: include_str!("../migrations/postgres/0009_alert_index_without_settled.sql"),
    },
    Migration {
        version: 10,
        name: "finding_digest",
        sql: include_str!("../migrations/postgres/0010_finding_digest.sql"),
    },
    Migration {
        version: 11,
        name: "clock_states_as_of_the_mark",
        sql: include_str!("../migrations/common/0011_clock_states_as_of_the_mark.sql"),
    },
];

/// The advisory lock that makes one writer at a time extend the chain, whichever server it runs
/// on ("CWLOG" in ASCII).
const WRITE_LOCK_KEY: i64 = 0x43_57_4c_4f_47;

/// The advisory lock that makes one writer at a time extend the audit chain ("CWAUD" in ASCII).
/// It is not the event log's lock: an audited read must not wait behind a large import.
const AUDIT_LOCK_KEY: i64 = 0x43_57_41_55_44;

/// The SQL dialect of authorization filters ([`casewatch_authz::Scope::sql`]).
const DIALECT: casewatch_authz::Dialect = casewatch_authz::Dialect::Postgres;

/// The i-th bind placeholder.
fn param(i: usize) -> String {
    format!("${i}")
}

async fn begin_write(pool: &Pool<Postgres>) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
    begin_locked(pool, WRITE_LOCK_KEY).await
}

/// [`begin_write`] on a connection the caller holds.
async fn begin_write_on(conn: &mut PgConnection) -> Result<Transaction<'_, Postgres>, sqlx::Error> {
    let mut tx = conn.begin().await?;
    take_lock(&mut tx, WRITE_LOCK_KEY).await?;
    Ok(tx)
}

/// The audit chain's write transaction, holding the audit advisory lock.
async fn begin_audit_write(
    pool: &Pool<Postgres>,
) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
    begin_locked(pool, AUDIT_LOCK_KEY).await
}

/// Takes the audit chain's advisory lock inside a transaction that writes other things too (the
/// event log's group, which then links its audit rows). Taken just before the commit, so that
/// audited reads wait for a commit, not for a whole group.
async fn lock_audit_chain(tx: &mut Transaction<'_, Postgres>) -> Result<(), sqlx::Error> {
    take_lock(tx, AUDIT_LOCK_KEY).await
}

/// A write transaction on the identity tables: no lock beyond the rows'; uniqueness is the
/// constraints' job.
async fn begin_identity_write(
    pool: &Pool<Postgres>,
) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
    pool.begin().await
}

async fn begin_locked(
    pool: &Pool<Postgres>,
    key: i64,
) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    take_lock(&mut tx, key).await?;
    Ok(tx)
}

/// Takes the advisory lock `key` until the transaction ends.
async fn take_lock(tx: &mut Transaction<'_, Postgres>, key: i64) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(key)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

impl PgStore {
    /// Connects to `url` and applies pending migrations.
    pub async fn open(url: &str, pack: Arc<Pack>) -> Result<Self, StoreError> {
        Self::open_with(url, pack, crate::StoreOptions::default()).await
    }

    /// Connects to `url` with options and applies pending migrations.
    pub async fn open_with(
        url: &str,
        pack: Arc<Pack>,
        options: crate::StoreOptions,
    ) -> Result<Self, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await?;
        Self::migrate(&pool).await?;
        let audit_key = Self::init_audit_key(&pool, options.audit_key).await?;
        let analyzer = Arc::new(Analyzer::new(&pool).await?);
        let store = Self {
            analyzer,
            pool,
            write: tokio::sync::Mutex::new(()),
            pack,
            calendar: std::sync::RwLock::new(Arc::new(Calendar::empty())),
            audit_key,
            pending: std::sync::Mutex::new(Vec::new()),
            audit_pending: std::sync::Mutex::new(Vec::new()),
            known_unit_paths: std::sync::RwLock::default(),
            audit_write: tokio::sync::Mutex::new(()),
        };
        store.load_calendar().await?;
        Ok(store)
    }

    /// The connection pool, for tests that must reach past the trait (tampering with the log).
    pub fn pool(&self) -> &Pool<Postgres> {
        &self.pool
    }

    /// The mutex that queues this process's audit appends (the audit chain's own).
    fn audit_mutex(&self) -> &tokio::sync::Mutex<()> {
        &self.audit_write
    }

    /// Called after a write transaction commits: PostgreSQL checkpoints by itself; the store
    /// analyzes its tables if autovacuum does not ([`Analyzer`]).
    fn wrote(&self) {
        self.analyzer.after_write(&self.pool);
    }

    /// Evaluates every case again (`reevaluate_impl`: chunks read through the pool).
    async fn reevaluate_backend(
        &self,
        now: Timestamp,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<ReevaluateReport, StoreError> {
        self.reevaluate_impl(now, progress).await
    }

    /// Identity writes need no process-wide queue on PostgreSQL.
    fn identity_mutex(&self) -> Option<&tokio::sync::Mutex<()>> {
        None
    }
}

include!("sql_common.rs");
include!("sql_identity.rs");
include!("sql_audit.rs");
include!("sql_bench.rs");
