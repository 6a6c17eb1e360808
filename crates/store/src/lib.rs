//! Persistence for Casewatch: the append-only, hash-chained event log and the case ledger
//! projection, on SQLite (embedded default) and PostgreSQL.
//!
//! API boundary: [`Store`] is the only way the rest of the system touches a database. It takes
//! validated domain types ([`casewatch_core::Event`]) and returns plain data; it knows nothing of
//! HTTP. Both backends run the same contract tests (`tests/contract.rs`).

use std::sync::Arc;

use casewatch_core::{CaseLedger, Event};
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
    async fn replay(&self, progress: &(dyn Fn(u64) + Sync)) -> Result<ReplayReport, StoreError>;

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
}

/// Opens the database that `url` names, applying pending migrations.
///
/// `sqlite://PATH` (or a bare path ending in `.db`) opens or creates a SQLite file in WAL mode;
/// `postgres://…` or `postgresql://…` connects to PostgreSQL.
pub async fn open(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(postgres::PgStore::open(url).await?))
    } else if let Some(path) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    {
        Ok(Arc::new(sqlite::SqliteStore::open(path).await?))
    } else if !url.contains("://") {
        Ok(Arc::new(sqlite::SqliteStore::open(url).await?))
    } else {
        Err(StoreError::BadUrl(url.to_owned()))
    }
}
