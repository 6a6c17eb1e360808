//! Persistence for Casewatch: the append-only, hash-chained event log and the case ledger
//! projection, on SQLite (embedded default) and PostgreSQL.
//!
//! API boundary: [`Store`] is the only way the rest of the system touches a database. It takes
//! validated domain types ([`casewatch_core::Event`]) and returns plain data; it knows nothing of
//! HTTP. Both backends run the same contract tests (`tests/contract.rs`).

use std::sync::Arc;

use casewatch_core::{CaseLedger, Event};
use casewatch_engine::Pack;
use casewatch_engine::time::Calendar;
use jiff::Timestamp;

mod migrate;
pub mod postgres;
pub mod sqlite;
pub mod testing;
mod types;

pub use types::*;

/// The storage interface. One implementation per database; the same contract holds for each.
#[async_trait::async_trait]
pub trait Store: Send + Sync {
    /// Which database this is.
    fn backend(&self) -> Backend;

    /// Appends a batch of validated events, all received at `recorded_at`, in one transaction:
    /// the whole batch is stored, or nothing is. Resending an event with the same content is a
    /// no-op; with different content it is a conflict that rejects the batch. The ledger of every
    /// touched case is rebuilt in the same transaction.
    async fn append(
        &self,
        batch: &[Event],
        recorded_at: Timestamp,
    ) -> Result<AppendOutcome, StoreError>;

    /// The number of events in the log.
    async fn count_events(&self) -> Result<u64, StoreError>;

    /// Walks the hash chain from the first event and reports the first broken link, if any.
    /// `progress` is called with the number of events checked so far.
    async fn verify(&self, progress: &(dyn Fn(u64) + Sync)) -> Result<VerifyReport, StoreError>;

    /// Rebuilds every projection from the log, in one transaction. `progress` is called with the
    /// number of cases rebuilt so far.
    /// Findings are evaluated again at `now`; their history keeps what was observed before.
    async fn replay(
        &self,
        now: Timestamp,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<ReplayReport, StoreError>;

    /// Lists cases by filter, newest activity first, with the total count.
    async fn list_cases(&self, query: &CaseQuery) -> Result<Page<CaseSummary>, StoreError>;

    /// The ledger of one case, `None` if no event names it.
    async fn get_case(&self, case_id: &str) -> Result<Option<CaseLedger>, StoreError>;

    /// Every stored event of a case, in order of `at` then arrival (the timeline).
    async fn case_events(&self, case_id: &str) -> Result<Vec<StoredEvent>, StoreError>;

    /// Every case's ledger as stored, ordered by case id (for equivalence checks and exports).
    async fn dump_ledgers(&self) -> Result<Vec<(String, String)>, StoreError>;

    /// A cheap round trip that proves the database answers.
    async fn ping(&self) -> Result<(), StoreError>;

    /// The rule pack this store evaluates with.
    fn pack(&self) -> Arc<Pack>;

    /// The holiday calendar as stored.
    fn calendar(&self) -> Arc<Calendar>;

    /// Adds or replaces one year of the holiday calendar. Findings are not re-evaluated here:
    /// run `reevaluate` to apply the change to open clocks.
    async fn put_calendar_year(
        &self,
        year: i32,
        rest_days: Vec<jiff::civil::Date>,
        makeup_workdays: Vec<jiff::civil::Date>,
        source: &str,
    ) -> Result<(), StoreError>;

    /// Moves every finding whose warning or due instant is at or before `now` to its new state,
    /// and evaluates again the cases whose future-dated events `now` has reached. Idempotent:
    /// a transition is written once, whoever runs it.
    async fn advance_timers(&self, now: Timestamp) -> Result<TimerOutcome, StoreError>;

    /// The earliest instant at which [`Store::advance_timers`] has work, if any.
    async fn next_wakeup(&self) -> Result<Option<Timestamp>, StoreError>;

    /// Evaluates every case again with the store's pack at `now` and writes what changed.
    async fn reevaluate(
        &self,
        now: Timestamp,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<ReevaluateReport, StoreError>;

    /// Findings by filter, sorted by due (checks last).
    async fn list_findings(&self, query: &FindingQuery) -> Result<Page<FindingRow>, StoreError>;

    /// Every finding of one case.
    async fn case_findings(&self, case_id: &str) -> Result<Vec<FindingRow>, StoreError>;

    /// Finding counts by unit and state, for the states given (all when empty).
    async fn finding_summary(&self, states: &[String]) -> Result<Vec<SummaryRow>, StoreError>;

    /// The state history of one finding, oldest first: (state, instant µs, cause).
    async fn finding_history(
        &self,
        case_id: &str,
        rule: &str,
        subject: Option<&str>,
        reference: &str,
    ) -> Result<Vec<(String, i64, String)>, StoreError>;

    /// Supervision coverage overall and per unit (`casewatch_engine::coverage`).
    async fn coverage(&self) -> Result<CoverageReport, StoreError>;

    /// Up to `limit` cases with ids after `after`, with their events, in id order.
    async fn case_histories(&self, after: &str, limit: u32)
    -> Result<Vec<CaseHistory>, StoreError>;
}

/// Opens the database that `url` names, applying pending migrations.
///
/// `sqlite://PATH` (or a bare path ending in `.db`) opens or creates a SQLite file in WAL mode;
/// `postgres://…` or `postgresql://…` connects to PostgreSQL.
///
/// Every ingested batch is evaluated with `pack` in the same transaction.
pub async fn open(url: &str, pack: Arc<Pack>) -> Result<Arc<dyn Store>, StoreError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(postgres::PgStore::open(url, pack).await?))
    } else if let Some(path) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    {
        Ok(Arc::new(sqlite::SqliteStore::open(path, pack).await?))
    } else if !url.contains("://") {
        Ok(Arc::new(sqlite::SqliteStore::open(url, pack).await?))
    } else {
        Err(StoreError::BadUrl(url.to_owned()))
    }
}
