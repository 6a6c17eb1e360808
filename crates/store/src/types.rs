//! Plain data that crosses the storage boundary.

use casewatch_core::FieldError;
use serde::Serialize;

/// The database behind a [`crate::Store`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// An embedded SQLite file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

/// What storage failed at.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The batch was refused as a whole: conflicts with stored events or bad retractions.
    #[error("the batch was rejected: {} problem(s)", .0.len())]
    Rejected(Vec<BatchProblem>),
    /// A value given to storage is invalid (e.g. a calendar year).
    #[error("{0}")]
    Invalid(String),
    /// The database URL names no supported database.
    #[error("unsupported database url `{0}`: use sqlite://PATH or postgres://…")]
    BadUrl(String),
    /// A stored row could not be read back as the domain type: the database was altered outside
    /// Casewatch.
    #[error("stored data is corrupt at {at}: {reason}")]
    Corrupt {
        /// Where (table and key).
        at: String,
        /// What is wrong.
        reason: String,
    },
    /// A migration failed.
    #[error("migration {version} failed: {source}")]
    Migration {
        /// The migration's version.
        version: i64,
        /// The database error.
        source: sqlx::Error,
    },
    /// The database failed.
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
}

/// One reason a batch was refused by storage, by position in the batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BatchProblem {
    /// The 0-based position of the event in the batch.
    pub index: usize,
    /// The event's id.
    pub id: String,
    /// What is wrong, with field and code.
    pub error: FieldError,
}

/// What an append stored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct AppendOutcome {
    /// Events newly stored.
    pub accepted: u64,
    /// Events already stored with the same content (no-ops).
    pub duplicates: u64,
    /// Cases whose ledger was rebuilt.
    pub cases_touched: u64,
}

/// The result of walking the hash chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    /// Events checked.
    pub n_events: u64,
    /// The hash of the last event, if the chain is intact.
    pub head: Option<String>,
    /// The first broken link, if any.
    pub broken: Option<BrokenLink>,
}

/// Where the chain breaks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BrokenLink {
    /// The sequence number of the first event that fails.
    pub seq: i64,
    /// Its event id.
    pub id: String,
    /// Why it fails.
    pub reason: String,
}

/// What a replay rebuilt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ReplayReport {
    /// Events read.
    pub n_events: u64,
    /// Cases rebuilt.
    pub n_cases: u64,
}

/// Filters and paging for the case list.
#[derive(Debug, Clone, Default)]
pub struct CaseQuery {
    /// Only cases owned by this unit.
    pub unit: Option<String>,
    /// `criminal` or `administrative`.
    pub kind: Option<String>,
    /// A stage wire name.
    pub stage: Option<String>,
    /// Free text matched against the case id and the cause.
    pub text: Option<String>,
    /// 1-based page.
    pub page: u32,
    /// Page size, 1–200.
    pub per_page: u32,
}

/// One page of results with the total count.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Page<T> {
    /// The rows of this page.
    pub items: Vec<T>,
    /// Rows matching the filter, over all pages.
    pub total: u64,
    /// This page, 1-based.
    pub page: u32,
    /// The page size.
    pub per_page: u32,
}

/// A row of the case list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaseSummary {
    /// The case id.
    pub case_id: String,
    /// `criminal` or `administrative`.
    pub kind: Option<String>,
    /// 案由.
    pub cause: Option<String>,
    /// The stage's wire name.
    pub stage: Option<String>,
    /// The owning unit.
    pub unit: Option<String>,
    /// Events in the log for this case.
    pub n_events: i64,
    /// The earliest `at`, µs since the epoch.
    pub first_at_us: Option<i64>,
    /// The latest `at`, µs since the epoch.
    pub last_at_us: Option<i64>,
}

/// An event as stored in the log.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEvent {
    /// Position in the log (1-based, gap-free).
    pub seq: i64,
    /// When Casewatch received it.
    pub recorded_at_us: i64,
    /// The chain hash.
    pub hash: String,
    /// The event.
    pub event: casewatch_core::Event,
}

/// A stored finding (the alert list's row).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FindingRow {
    /// The case.
    pub case_id: String,
    /// The rule id.
    pub rule: String,
    /// The person or property; `None` for a case-level rule.
    pub subject: Option<String>,
    /// The starting or triggering event.
    pub reference: String,
    /// `clock` or `check`.
    pub kind: String,
    /// The state's wire name.
    pub state: String,
    /// Clock start, µs.
    pub started_us: Option<i64>,
    /// Clock due, µs.
    pub due_us: Option<i64>,
    /// Warning instant, µs.
    pub warn_us: Option<i64>,
    /// When the clock stopped, µs.
    pub stopped_us: Option<i64>,
    /// The next instant at which time alone changes the state, µs.
    pub next_at_us: Option<i64>,
    /// The case's owning unit.
    pub unit: Option<String>,
    /// The officer of the starting or triggering event.
    pub officer: Option<String>,
    /// How due was computed, or why the check holds or fails.
    pub explain: String,
    /// When the row last changed, µs.
    pub updated_at_us: i64,
}

/// Filters of the alert list.
#[derive(Debug, Clone, Default)]
pub struct FindingQuery {
    /// Only these states (empty: all).
    pub states: Vec<String>,
    /// Only this rule.
    pub rule: Option<String>,
    /// Only cases owned by this unit.
    pub unit: Option<String>,
    /// Only findings whose starting or triggering event this officer recorded.
    pub officer: Option<String>,
    /// Only this case.
    pub case_id: Option<String>,
    /// Due strictly before, µs.
    pub due_before_us: Option<i64>,
    /// Due at or after, µs.
    pub due_after_us: Option<i64>,
    /// 1-based page.
    pub page: u32,
    /// Page size, 1–200.
    pub per_page: u32,
}

/// One cell of the dashboard summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SummaryRow {
    /// The unit (or `None` for cases without one).
    pub unit: Option<String>,
    /// The state.
    pub state: String,
    /// How many findings.
    pub count: i64,
}

/// What a run of the timer did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct TimerOutcome {
    /// Findings moved to warning or overdue.
    pub transitioned: u64,
    /// Cases evaluated again because an event's instant was reached.
    pub cases_reevaluated: u64,
}

/// What a re-evaluation changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ReevaluateReport {
    /// Cases evaluated.
    pub n_cases: u64,
    /// Findings inserted, changed or removed.
    pub n_changed: u64,
}

/// One case's events, for evaluations outside the store (`rules diff`).
#[derive(Debug, Clone)]
pub struct CaseHistory {
    /// The case.
    pub case_id: String,
    /// The owning unit.
    pub unit: Option<String>,
    /// Every event, in order of `at` then arrival.
    pub events: Vec<casewatch_core::Event>,
}

/// Supervision coverage of one unit's cases.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnitCoverage {
    /// The owning unit (`None`: cases without one).
    pub unit: Option<String>,
    /// Cases.
    pub cases: i64,
    /// Steps recorded in them.
    pub steps: i64,
    /// Steps some rule reacts to.
    pub covered: i64,
}

/// Supervision coverage overall and per unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CoverageReport {
    /// Cases.
    pub cases: i64,
    /// Cases with at least one finding.
    pub cases_watched: i64,
    /// Steps recorded.
    pub steps: i64,
    /// Steps some rule reacts to.
    pub covered: i64,
    /// Per unit.
    pub units: Vec<UnitCoverage>,
}
