//! Persistence for Casewatch: the append-only, hash-chained event log and the case ledger
//! projection, the identity tables (units, users, sessions, API tokens) and the signed,
//! hash-chained audit trail ([`audit`]), on SQLite (embedded default) and PostgreSQL.
//!
//! API boundary: [`Store`] is the only way the rest of the system touches a database. It takes
//! validated domain types ([`casewatch_core::Event`]) and returns plain data; it knows nothing of
//! HTTP. Both backends run the same contract tests (`tests/contract.rs`, `tests/identity.rs`).

use std::collections::HashMap;
use std::sync::Arc;

use casewatch_core::{CaseLedger, Event};
use casewatch_engine::Pack;
use casewatch_engine::time::Calendar;
use jiff::Timestamp;

pub mod audit;
pub mod bench;
mod digest;
mod migrate;
pub mod postgres;
pub mod sqlite;
mod state;
pub mod testing;
mod types;

pub use audit::AuditKey;
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

    /// [`Store::append`] with the audit row of the request that posted the batch, written in the
    /// same transaction: when the transaction commits, the row is in the audit chain whatever the
    /// batch's outcome (a refused batch was still posted); when it fails, neither is stored. One
    /// wait for the writer instead of two (the audit chain and the log share SQLite's one writer).
    async fn append_audited(
        &self,
        batch: &[Event],
        recorded_at: Timestamp,
        audit: &AuditEntry,
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

    /// The owning unit of each stored case among `case_ids` (`None` if the case has no unit);
    /// a case no event names is absent. One query per 500 ids.
    async fn case_units(
        &self,
        case_ids: &[String],
    ) -> Result<HashMap<String, Option<String>>, StoreError>;

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

    /// Finding counts by unit and state, for the states given (all when empty), of the units
    /// under the unit path `under` (all units when `None`) and within `scope` (unrestricted
    /// when `None`: trusted callers only).
    async fn finding_summary(
        &self,
        states: &[String],
        under: Option<&str>,
        scope: Option<&casewatch_authz::Scope>,
    ) -> Result<Vec<SummaryRow>, StoreError>;

    /// The state history of one finding, oldest first: (state, instant µs, cause).
    async fn finding_history(
        &self,
        case_id: &str,
        rule: &str,
        subject: Option<&str>,
        reference: &str,
    ) -> Result<Vec<(String, i64, String)>, StoreError>;

    /// Supervision coverage overall and per unit (`casewatch_engine::coverage`), of the cases
    /// within `scope` (all when `None`: trusted callers only).
    async fn coverage(
        &self,
        scope: Option<&casewatch_authz::Scope>,
    ) -> Result<CoverageReport, StoreError>;

    /// Transitions recorded in the findings' history into one of `query.states` with an instant
    /// in `[from_us, to_us)`, counted by calendar day in Asia/Shanghai (+08:00) and state, of
    /// the findings in `query`'s subtree and scope (both applied to the finding's unit path).
    /// The history of a finding that no longer arises (after a retraction) is not counted.
    /// Sorted by day, then state; days without transitions are absent.
    async fn transitions_by_day(
        &self,
        from_us: i64,
        to_us: i64,
        query: &StatsQuery,
    ) -> Result<Vec<DayCount>, StoreError>;

    /// Current findings in one of `query.states`, in `query`'s subtree and scope, counted by
    /// rule and state; sorted by rule, then state.
    async fn findings_by_rule(&self, query: &StatsQuery) -> Result<Vec<RuleCount>, StoreError>;

    /// Up to `limit` cases with ids after `after`, with their events, in id order; only the
    /// cases within `scope` (all when `None`: trusted callers only; a case whose unit is not
    /// registered is within no scope).
    async fn case_histories(
        &self,
        after: &str,
        limit: u32,
        scope: Option<&casewatch_authz::Scope>,
    ) -> Result<Vec<CaseHistory>, StoreError>;

    // --- Units -----------------------------------------------------------------------------

    /// Registers a unit under its parent and fills the unit path of the cases and findings that
    /// already name it (cases may arrive before their unit is registered). `Invalid`, with a
    /// Chinese message, for a bad id or kind, an empty name, a duplicate id or an unknown parent.
    async fn add_unit(&self, unit: &NewUnit) -> Result<Unit, StoreError>;

    /// Every unit, ordered by path (so parents come before their children).
    async fn list_units(&self) -> Result<Vec<Unit>, StoreError>;

    /// One unit, `None` if it is not registered.
    async fn get_unit(&self, id: &str) -> Result<Option<Unit>, StoreError>;

    /// The paths of the registered units among `ids`, by id (unregistered ones are absent). A
    /// registered unit's path never changes, so the store keeps the paths it has read and asks
    /// the database only for the others, in one query: what every ingestion request needs for
    /// its token's units and the units its events name.
    async fn unit_paths(&self, ids: &[String]) -> Result<HashMap<String, String>, StoreError>;

    /// Renames a unit; its id and path stay. `Invalid` for an unknown unit or an empty name.
    async fn rename_unit(&self, id: &str, name: &str) -> Result<Unit, StoreError>;

    // --- Users -----------------------------------------------------------------------------

    /// Creates a user. `Invalid` for a bad or duplicate id, an empty name, an unknown unit or
    /// an unknown role.
    async fn add_user(&self, user: &NewUser, now: Timestamp) -> Result<User, StoreError>;

    /// One user, `None` if unknown.
    async fn get_user(&self, id: &str) -> Result<Option<User>, StoreError>;

    /// The users whose unit path starts with `under_path` (every user when `None`), ordered by
    /// unit path then id.
    async fn list_users(&self, under_path: Option<&str>) -> Result<Vec<User>, StoreError>;

    /// Applies a change to a user. A new password hash also sets `password_changed_at_us` to
    /// `now` and clears failed logins and any lock. `Invalid` for an unknown user, unit or role.
    async fn update_user(
        &self,
        id: &str,
        change: &UserChange,
        now: Timestamp,
    ) -> Result<User, StoreError>;

    /// The number of users (0 means no account exists yet).
    async fn count_users(&self) -> Result<u64, StoreError>;

    /// Counts a failed login; when the count reaches `max_failures` (and on every failure after
    /// it until a success), the user is locked until `now + lock_for`. `Invalid` for an unknown user.
    async fn record_login_failure(
        &self,
        id: &str,
        now: Timestamp,
        max_failures: i64,
        lock_for: jiff::SignedDuration,
    ) -> Result<User, StoreError>;

    /// Resets the failed-login count and clears any lock.
    async fn record_login_success(&self, id: &str) -> Result<(), StoreError>;

    // --- Sessions --------------------------------------------------------------------------

    /// Stores a new session. `Invalid` for an unknown user or an `id_hash` already stored.
    async fn create_session(&self, session: &Session) -> Result<(), StoreError>;

    /// The session whose id hashes to `id_hash`, whatever its age: the caller applies timeouts.
    async fn get_session(&self, id_hash: &str) -> Result<Option<Session>, StoreError>;

    /// Sets the session's last activity to `now`.
    async fn touch_session(&self, id_hash: &str, now: Timestamp) -> Result<(), StoreError>;

    /// Ends one session (logout).
    async fn delete_session(&self, id_hash: &str) -> Result<(), StoreError>;

    /// Ends every session of a user; returns how many there were.
    async fn delete_user_sessions(&self, user_id: &str) -> Result<u64, StoreError>;

    /// Deletes sessions idle since before `idle_before` or created before `created_before`;
    /// returns how many.
    async fn purge_sessions(
        &self,
        idle_before: Timestamp,
        created_before: Timestamp,
    ) -> Result<u64, StoreError>;

    // --- API tokens ------------------------------------------------------------------------

    /// Stores a new token. `Invalid` for a bad or duplicate id, an unknown role or unit.
    async fn create_token(&self, token: &ApiToken) -> Result<(), StoreError>;

    /// One token, revoked or not; `None` if unknown.
    async fn get_token(&self, id: &str) -> Result<Option<ApiToken>, StoreError>;

    /// Every token, oldest first.
    async fn list_tokens(&self) -> Result<Vec<ApiToken>, StoreError>;

    /// Revokes a token; `false` if it is unknown or was already revoked.
    async fn revoke_token(&self, id: &str, now: Timestamp) -> Result<bool, StoreError>;

    /// Records that a token was used at `now`.
    async fn touch_token(&self, id: &str, now: Timestamp) -> Result<(), StoreError>;

    // --- Audit trail -----------------------------------------------------------------------

    /// Appends one entry to the audit trail, linked to the previous row and signed with the
    /// store's key ([`audit`]); returns its `seq`. Runs its own short transaction under the
    /// audit chain's lock, so it may be called at any time outside another store call.
    /// `Invalid` for an unknown actor kind or outcome, or an empty actor or action.
    async fn append_audit(&self, entry: &AuditEntry) -> Result<i64, StoreError>;

    /// Audit rows by filter, newest first, with the total count.
    async fn list_audit(&self, query: &AuditQuery) -> Result<Page<AuditRow>, StoreError>;

    /// Walks the audit chain from the first row, checking links, hashes and every signature
    /// against the public keys in `audit_keys`, and names the first broken row. `progress` is
    /// called with the number of rows checked so far.
    async fn verify_audit(
        &self,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<AuditVerifyReport, StoreError>;

    /// The hex public key that signs new audit rows, for third parties to verify exports.
    fn audit_public_key(&self) -> String;
}

/// How to open a store beyond its URL and rule pack.
#[derive(Debug, Clone, Default)]
pub struct StoreOptions {
    /// The key that signs audit rows. A deployment should pass its own, read from a file only
    /// the server's account may read ([`AuditKey::parse`]): its private half is never written
    /// to the database, so a database thief cannot re-sign a doctored trail. When `None`, the
    /// newest key stored in `audit_keys` is used, or one is generated and stored there at first
    /// open. The public key of every key ever used stays in `audit_keys` for verification.
    pub audit_key: Option<AuditKey>,
    /// SQLite only: the frames in the write-ahead log past which the background checkpointer
    /// restarts it (`None`: 16,384, about 64 MiB). Tests set a small value to see restarts.
    pub wal_restart_frames: Option<i64>,
}

/// Opens the database that `url` names, applying pending migrations, with default options
/// (see [`open_with`]).
///
/// `sqlite://PATH` (or a bare path ending in `.db`) opens or creates a SQLite file in WAL mode;
/// `postgres://…` or `postgresql://…` connects to PostgreSQL.
///
/// Every ingested batch is evaluated with `pack` in the same transaction.
pub async fn open(url: &str, pack: Arc<Pack>) -> Result<Arc<dyn Store>, StoreError> {
    open_with(url, pack, StoreOptions::default()).await
}

/// Opens the database that `url` names, like [`open`], with options (the audit signing key).
pub async fn open_with(
    url: &str,
    pack: Arc<Pack>,
    options: StoreOptions,
) -> Result<Arc<dyn Store>, StoreError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(
            postgres::PgStore::open_with(url, pack, options).await?,
        ))
    } else if let Some(path) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    {
        Ok(Arc::new(
            sqlite::SqliteStore::open_with(path, pack, options).await?,
        ))
    } else if !url.contains("://") {
        Ok(Arc::new(
            sqlite::SqliteStore::open_with(url, pack, options).await?,
        ))
    } else {
        Err(StoreError::BadUrl(url.to_owned()))
    }
}
