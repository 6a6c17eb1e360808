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
    /// The database failed under one of re-evaluation's direct SQLite readers.
    #[error("database error: {0}")]
    DirectRead(String),
    /// The batch was written in one transaction with others (group commit) and that transaction
    /// failed: nothing of it was stored, and it may be sent again.
    #[error("the write this batch was grouped with failed, nothing was stored: {0}")]
    Interrupted(String),
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
    /// Only cases whose owning unit lies in this subtree: a [`Unit::path`] (`/…/`). Cases whose
    /// unit is not registered have no path and never match.
    pub unit_under: Option<String>,
    /// What the caller may see ([`casewatch_authz::scope`] of `read_case`), filtered in SQL;
    /// `None` for trusted callers (the command line) only.
    pub scope: Option<casewatch_authz::Scope>,
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
    /// Only findings whose unit lies in this subtree: a [`Unit::path`] (`/…/`). Findings whose
    /// unit is not registered have no path and never match.
    pub unit_under: Option<String>,
    /// What the caller may see ([`casewatch_authz::scope`] of `read_case`), filtered in SQL;
    /// `None` for trusted callers (the command line) only.
    pub scope: Option<casewatch_authz::Scope>,
    /// Only findings whose starting or triggering event this officer recorded.
    pub officer: Option<String>,
    /// Only this case.
    pub case_id: Option<String>,
    /// Only findings of cases of this kind (`criminal`, `administrative`).
    pub case_kind: Option<String>,
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

/// Which findings dashboard statistics count ([`Store::transitions_by_day`],
/// [`Store::findings_by_rule`](crate::Store::findings_by_rule)).
///
/// [`Store::transitions_by_day`]: crate::Store::transitions_by_day
#[derive(Debug, Clone, Default)]
pub struct StatsQuery {
    /// Only these states (empty: all).
    pub states: Vec<String>,
    /// Only findings whose unit lies in this subtree: a [`Unit::path`] (`/…/`).
    pub unit_under: Option<String>,
    /// What the caller may see ([`casewatch_authz::scope`] of `read_dashboard`), filtered in
    /// SQL; `None` for trusted callers only.
    pub scope: Option<casewatch_authz::Scope>,
}

/// How many findings moved into one state on one calendar day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DayCount {
    /// The calendar day in Asia/Shanghai (+08:00), as days since 1970-01-01.
    pub day: i64,
    /// The state moved into.
    pub state: String,
    /// How many transitions.
    pub count: i64,
}

/// How many findings of one rule are in one state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleCount {
    /// The rule id.
    pub rule: String,
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

/// The kinds of unit: 市局 (city bureau), 分局 (branch), 派出所 (police station), 警种 (a
/// specialised unit such as 刑侦支队).
pub const UNIT_KINDS: &[&str] = &["bureau", "branch", "station", "police_type"];

/// The roles a user or token may hold: 办案民警, 法制员, 法制部门, 领导, 管理员, and machine ingestion.
pub const ROLES: &[&str] = &[
    "officer",
    "legal_officer",
    "legal_dept",
    "leader",
    "admin",
    "ingest",
];

/// Who an audit entry's actor is.
pub const AUDIT_ACTOR_KINDS: &[&str] = &["user", "token", "system", "anonymous"];

/// How an audited action ended.
pub const AUDIT_OUTCOMES: &[&str] = &["success", "denied", "failure"];

/// A unit to register.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewUnit {
    /// The unit id: 1–128 characters of `[A-Za-z0-9._:-]`, as events name it.
    pub id: String,
    /// The Chinese name, e.g. `东湖分局`.
    pub name: String,
    /// The unit above it; `None` for a root (the 市局).
    pub parent: Option<String>,
    /// One of [`UNIT_KINDS`].
    pub kind: String,
}

/// A registered unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unit {
    /// The unit id.
    pub id: String,
    /// The Chinese name.
    pub name: String,
    /// The unit above it; `None` for a root.
    pub parent: Option<String>,
    /// One of [`UNIT_KINDS`].
    pub kind: String,
    /// `/root/…/id/`: the parent's path followed by `id/`. Every unit of a subtree has the
    /// subtree root's path as a prefix.
    ///
    /// INVARIANT: a path never changes (units are renamed, never moved), so the paths copied
    /// into cases, findings and users' answers stay true.
    pub path: String,
}

/// A user (民警) to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    /// 警号 (police number), the login name: 1–128 characters of `[A-Za-z0-9._:-]`.
    pub id: String,
    /// The person's name.
    pub name: String,
    /// The unit the user belongs to; it must be registered.
    pub unit: String,
    /// Roles from [`ROLES`]; repeats are dropped.
    pub roles: Vec<String>,
    /// The Argon2id PHC string, or `None` for a user who cannot log in with a password yet.
    pub password_hash: Option<String>,
}

/// A stored user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    /// 警号.
    pub id: String,
    /// The person's name.
    pub name: String,
    /// The user's unit.
    pub unit: String,
    /// The path of the user's unit ([`Unit::path`]).
    pub unit_path: String,
    /// Roles from [`ROLES`].
    pub roles: Vec<String>,
    /// The Argon2id PHC string. Never serialized.
    #[serde(skip_serializing)]
    pub password_hash: Option<String>,
    /// Failed logins since the last success (or password change).
    pub failed_logins: i64,
    /// Logins are refused until this instant, µs since the epoch.
    pub locked_until_us: Option<i64>,
    /// A disabled user cannot log in.
    pub disabled: bool,
    /// When the user was created, µs.
    pub created_at_us: i64,
    /// When the password was last set, µs.
    pub password_changed_at_us: Option<i64>,
}

/// Changes to a user; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserChange {
    /// A new name.
    pub name: Option<String>,
    /// A new unit; it must be registered.
    pub unit: Option<String>,
    /// New roles, replacing the old ones.
    pub roles: Option<Vec<String>>,
    /// A new Argon2id PHC string. Setting it also clears failed logins and any lock.
    pub password_hash: Option<String>,
    /// Disable or enable the user.
    pub disabled: Option<bool>,
}

/// A login session. The session id itself is never stored, only its SHA-256: a copy of the
/// database opens no session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// Hex SHA-256 of the session id held in the cookie.
    pub id_hash: String,
    /// The user (警号).
    pub user_id: String,
    /// The CSRF token bound to the session.
    pub csrf_token: String,
    /// When the session was created (absolute timeout), µs.
    pub created_at_us: i64,
    /// The last request (idle timeout), µs.
    pub last_seen_us: i64,
    /// Where the login came from (IP address).
    pub source: Option<String>,
}

/// An API token for machine clients and integrations. The secret is stored as its SHA-256 only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiToken {
    /// The token id (public part): 1–128 characters of `[A-Za-z0-9._:-]`.
    pub id: String,
    /// What the token is for.
    pub name: String,
    /// Hex SHA-256 of the secret. Never serialized.
    #[serde(skip_serializing)]
    pub secret_hash: String,
    /// Roles from [`ROLES`].
    pub roles: Vec<String>,
    /// The registered units it may act for.
    pub units: Vec<String>,
    /// Who created it (a user id).
    pub created_by: String,
    /// When it was created, µs.
    pub created_at_us: i64,
    /// When it was revoked, µs; a revoked token authenticates nobody.
    pub revoked_at_us: Option<i64>,
    /// When it was last used, µs.
    pub last_used_us: Option<i64>,
}

/// One thing to record in the audit trail.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEntry {
    /// When it happened.
    pub at: jiff::Timestamp,
    /// Who: a user id, a token id, `system`, or what an anonymous caller claimed to be.
    pub actor: String,
    /// One of [`AUDIT_ACTOR_KINDS`].
    pub actor_kind: String,
    /// From where: the client's IP address.
    pub source: Option<String>,
    /// What, e.g. `login`, `case.read`, `user.update`, `pii.unmask`.
    pub action: String,
    /// On what: a case id, user id, unit id …
    pub target: Option<String>,
    /// One of [`AUDIT_OUTCOMES`].
    pub outcome: String,
    /// Anything else worth keeping (a reason, the fields changed). Never a secret.
    pub details: serde_json::Value,
}

/// A stored audit row, with its link and signature.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditRow {
    /// Position in the trail (1-based, gap-free).
    pub seq: i64,
    /// When it happened, µs since the epoch.
    pub at_us: i64,
    /// Who.
    pub actor: String,
    /// One of [`AUDIT_ACTOR_KINDS`].
    pub actor_kind: String,
    /// From where.
    pub source: Option<String>,
    /// What.
    pub action: String,
    /// On what.
    pub target: Option<String>,
    /// One of [`AUDIT_OUTCOMES`].
    pub outcome: String,
    /// Anything else.
    pub details: serde_json::Value,
    /// The hash of the row before (64 zeros for the first).
    pub prev_hash: String,
    /// The chain hash ([`crate::audit::entry_hash`]).
    pub hash: String,
    /// The Ed25519 signature of `hash`, hex.
    pub signature: String,
    /// Which key signed ([`crate::audit::key_id`]).
    pub key_id: String,
}

/// Filters and paging of the audit trail.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditQuery {
    /// Only this actor.
    pub actor: Option<String>,
    /// Only this action.
    pub action: Option<String>,
    /// Only this outcome.
    pub outcome: Option<String>,
    /// Only this target.
    pub target: Option<String>,
    /// At or after, µs.
    pub from_us: Option<i64>,
    /// Strictly before, µs.
    pub to_us: Option<i64>,
    /// 1-based page.
    pub page: u32,
    /// Page size, 1–1000.
    pub per_page: u32,
}

/// The result of walking the audit chain and checking every signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditVerifyReport {
    /// Rows checked and found intact (before the first broken one).
    pub n_entries: u64,
    /// The hash of the last row, if the whole trail is intact: publish it to detect a later
    /// truncation of the tail.
    pub head: Option<String>,
    /// The first broken link, if any.
    pub broken: Option<AuditBrokenLink>,
    /// The ids of the keys that signed the rows checked, in order of first use: compare them
    /// with the keys you trust.
    pub key_ids: Vec<String>,
}

/// Where the audit chain breaks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditBrokenLink {
    /// The sequence number of the first row that fails.
    pub seq: i64,
    /// Why it fails.
    pub reason: String,
}
