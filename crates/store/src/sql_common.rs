// The storage implementation shared by both backends, compiled once per backend.
//
// `sqlite.rs` and `postgres.rs` each `include!` this file after defining:
// - `type Db` (the sqlx database) and `type StoreImpl` (their store struct, with fields `pool`
//   and `write`),
// - `const BACKEND: Backend` and `const MIGRATIONS: &[Migration]`,
// - `async fn begin_write(pool) -> Transaction`, which starts a transaction that holds the
//   database-wide write lock (SQLite: `BEGIN IMMEDIATE`; PostgreSQL: an advisory lock), so that
//   exactly one writer extends the hash chain at a time, across processes and servers; and
//   `begin_write_on(conn)`, the same on a connection the caller holds,
// - `const FINDINGS_BY_WARN: &str` and `const FINDINGS_BY_DUE: &str`: `findings` as the timer
//   reads the open clocks by warning instant and by due instant (SQLite names the index),
// - `fn param(i) -> String`, the i-th bind placeholder (`$i` on PostgreSQL; `?` on SQLite, whose
//   lookup of numbered or named parameters is linear per bind and made a 3 900-parameter insert
//   quadratic: 63 % of import time before the change).
//
// `sql_identity.rs` (units, users, sessions, tokens) and `sql_audit.rs` (the signed audit chain)
// are included after this file, in the same module; their heads list what else a backend defines.
//
// Both dialects accept `$N` placeholders (sqlx-sqlite maps `$N` to the N-th argument), `ON
// CONFLICT … DO UPDATE SET x = excluded.x`, and the same DML; only DDL and locking differ. Writing
// the SQL once keeps the two backends from drifting apart; the contract tests run on both.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use casewatch_core::chain::{GENESIS, link_hash};
use casewatch_core::event::binary;
use casewatch_core::ledger::CaseLedger;
use casewatch_core::time::to_micros;
use casewatch_core::{Event, EventType, FieldError, ParseOptions};
use casewatch_engine::time::Calendar;
use casewatch_engine::{Finding, Pack};
use jiff::Timestamp;
use futures_util::TryStreamExt;
use sqlx::{AssertSqlSafe, Row};

use crate::migrate::Migration;
use crate::state::{
    MARK, next_transition_sql, state_arms, state_at, state_sql, state_sql_at, states_condition,
    stored_state,
};
use crate::{
    ApiToken, AppendOutcome, AuditEntry, AuditQuery, AuditRow, AuditVerifyReport, Backend,
    BatchProblem, BrokenLink, CaseHistory, CaseQuery, CaseSummary, CoverageReport, DayCount,
    FindingQuery, FindingRow, NewUnit, NewUser, Page, ReevaluateReport, ReplayReport, RuleCount,
    Session, StatsQuery, Store, StoreError, StoredEvent, SummaryRow, TimerOutcome, Unit,
    UnitCoverage, User, UserChange, VerifyReport,
};

/// Rows per multi-row statement: 13 columns × 300 rows stays under both databases' bind limits.
const INSERT_CHUNK: usize = 300;
/// Keys per `IN (…)` lookup.
const LOOKUP_CHUNK: usize = 500;
/// Cases rebuilt per query during replay and ingestion.
const CASE_CHUNK: usize = 200;
/// Events read per page while verifying the chain.
const VERIFY_PAGE: i64 = 5000;

/// The states in which a finding is settled without a problem: a clock stopped in time, a check
/// that passed. They are most findings (95 % of the demo history's), and the alert index
/// (`findings_state_path`) leaves them out: a finding that settles so leaves the index instead of
/// moving within it, and a check that passes never enters it (migration 9).
const SETTLED: [&str; 2] = ["met", "passed"];
/// The alert index's condition, word for word: SQLite uses a partial index only for a query
/// that states its condition.
const UNSETTLED: &str = "state NOT IN ('met', 'passed')";

/// The columns of a finding row as [`finding_row`] reads them, over `findings` prefixed by `p`:
/// the state and the next transition as of the mark.
fn finding_select(p: &str) -> String {
    format!(
        "{p}case_id, {p}rule, {p}subject, {p}ref, {p}kind, {state}, {p}started_us, {p}due_us, {p}warn_us, \
         {p}stopped_us, {next}, {p}unit, {p}officer, {p}explain, {p}updated_at_us",
        state = state_sql(p),
        next = next_transition_sql(p)
    )
}

/// The condition that lets a query of these states walk the alert index: [`UNSETTLED`] when
/// none of them is settled (it then adds nothing to the query's meaning), none otherwise.
fn alert_index_term<'a>(mut states: impl Iterator<Item = &'a str>) -> Option<&'static str> {
    (!states.any(|st| SETTLED.contains(&st))).then_some(UNSETTLED)
}

/// The queries' condition, the migration's index and the engine's state names agree: a query
/// whose condition differed by a word would no longer walk the partial index on SQLite.
#[cfg(test)]
#[test]
fn the_alert_index_condition_is_the_same_everywhere() {
    let quoted: Vec<String> = SETTLED.iter().map(|s| format!("'{s}'")).collect();
    assert_eq!(UNSETTLED, format!("state NOT IN ({})", quoted.join(", ")));
    for s in SETTLED {
        assert!(casewatch_engine::State::parse(s).is_some(), "{s}");
    }
    // The latest migration that builds the alert index.
    let index = MIGRATIONS
        .iter()
        .rev()
        .find(|m| m.sql.contains("CREATE INDEX findings_state_path"))
        .map(|m| m.sql);
    assert!(
        index.is_some_and(|sql| sql.contains(&format!("WHERE {UNSETTLED};"))),
        "{index:?}"
    );
}

/// A finding's primary key: case, rule, subject (`""` for none), reference.
type FindingKey = (String, String, String, String);

/// A stored finding as a writer compares it with a new one ([`StoreImpl::stored_findings`]).
struct StoredFinding {
    /// As stored ([`stored_state`]).
    state: String,
    warn_us: Option<i64>,
    due_us: Option<i64>,
    unit: Option<String>,
    path: Option<String>,
    /// `None` for rows written before findings had digests: they compare as different.
    digest: Option<i64>,
}

/// A row of `finding_history` to write: a finding's key, the state it entered and when.
struct HistoryEntry {
    case_id: String,
    rule: String,
    /// `""` for a case-level finding, as in the key columns.
    subject: String,
    reference: String,
    state: String,
    at_us: i64,
}

impl HistoryEntry {
    /// The entry of `row` into `state` at `at_us`.
    fn of(row: &FindingRow, state: &str, at_us: i64) -> Self {
        Self {
            case_id: row.case_id.clone(),
            rule: row.rule.clone(),
            subject: row.subject.clone().unwrap_or_default(),
            reference: row.reference.clone(),
            state: state.to_owned(),
            at_us,
        }
    }
}

/// The columns a writer stores of a finding row (the state as [`stored_state`] gives it). The
/// next transition is derived when the row is read; `next_at_us` is no longer written and stays
/// NULL (migration 11).
const FINDING_COLUMNS: &str = "case_id, rule, subject, ref, kind, state, started_us, due_us, warn_us, stopped_us, unit, officer, explain, updated_at_us";

fn finding_row(r: &<Db as sqlx::Database>::Row) -> Result<FindingRow, sqlx::Error> {
    let subject: String = r.try_get(2)?;
    Ok(FindingRow {
        case_id: r.try_get(0)?,
        rule: r.try_get(1)?,
        subject: (!subject.is_empty()).then_some(subject),
        reference: r.try_get(3)?,
        kind: r.try_get(4)?,
        state: r.try_get(5)?,
        started_us: r.try_get(6)?,
        due_us: r.try_get(7)?,
        warn_us: r.try_get(8)?,
        stopped_us: r.try_get(9)?,
        next_at_us: r.try_get(10)?,
        unit: r.try_get(11)?,
        officer: r.try_get(12)?,
        explain: r.try_get(13)?,
        updated_at_us: r.try_get(14)?,
    })
}

/// `$start, $start+1, …` (or `?, ?, …` on SQLite) for `n` parameters.
fn placeholders(start: usize, n: usize) -> String {
    (start..start + n).map(param).collect::<Vec<_>>().join(",")
}

/// `($1,…,$c),($c+1,…)` for `rows` rows of `cols` columns.
fn row_placeholders(rows: usize, cols: usize) -> String {
    (0..rows)
        .map(|r| format!("({})", placeholders(r * cols + 1, cols)))
        .collect::<Vec<_>>()
        .join(",")
}

fn corrupt(at: impl Into<String>, reason: impl Into<String>) -> StoreError {
    StoreError::Corrupt {
        at: at.into(),
        reason: reason.into(),
    }
}

/// Changes to `finding_counts` gathered during one write: (unit, rule, state) → (unit path,
/// change in count), with `""` for no unit and for an unregistered one (see migration 0007).
#[derive(Default)]
struct CountDelta(HashMap<(String, String, String), (String, i64)>);

impl CountDelta {
    /// Counts `n` more (or fewer) findings of `rule` in `state` naming `unit` at `path`.
    fn add(&mut self, unit: Option<&str>, rule: &str, state: &str, path: Option<&str>, n: i64) {
        let key = (
            unit.unwrap_or_default().to_owned(),
            rule.to_owned(),
            state.to_owned(),
        );
        let entry = self.0.entry(key).or_default();
        path.unwrap_or_default().clone_into(&mut entry.0);
        entry.1 += n;
    }

    /// Writes the changes in key order (concurrent writers meet the rows in the same order).
    async fn apply(self, tx: &mut Transaction<'_, Db>) -> Result<(), StoreError> {
        let mut rows: Vec<_> = self.0.into_iter().filter(|(_, (_, n))| *n != 0).collect();
        rows.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        for chunk in rows.chunks(INSERT_CHUNK) {
            let sql = format!(
                "INSERT INTO finding_counts (unit, rule, state, unit_path, n) VALUES {} \
                 ON CONFLICT (unit, rule, state) DO UPDATE SET n = finding_counts.n + excluded.n, unit_path = excluded.unit_path",
                row_placeholders(chunk.len(), 5)
            );
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for ((unit, rule, state), (path, n)) in chunk {
                q = q
                    .bind(unit.clone())
                    .bind(rule.clone())
                    .bind(state.clone())
                    .bind(path.clone())
                    .bind(*n);
            }
            q.execute(&mut **tx).await?;
        }
        Ok(())
    }
}

/// A batch waiting for the writer (see `append_impl`).
struct Pending {
    events: Vec<Event>,
    /// Each event's canonical JSON and content hash, computed before waiting.
    bodies: Vec<String>,
    hashes: Vec<String>,
    recorded_at: Timestamp,
    /// The audit row of the request, with its canonical details, written with the group.
    audit: Option<(AuditEntry, String)>,
    reply: tokio::sync::oneshot::Sender<Result<AppendOutcome, StoreError>>,
}

/// The batches of one group commit, end to end: `lens` and `ats` give each batch's length and
/// instant of recording, in arrival order.
struct Group {
    events: Vec<Event>,
    bodies: Vec<String>,
    hashes: Vec<String>,
    lens: Vec<usize>,
    ats: Vec<Timestamp>,
    /// The batches' audit rows, in arrival order.
    audits: Vec<(AuditEntry, String)>,
}

impl Group {
    /// Whether checking the batches together finds what checking them one after the other
    /// would: a retraction may name an event of its own or an earlier batch (or the log), but one
    /// of a later batch would not exist yet when its own batch was checked.
    fn mergeable(&self) -> bool {
        let mut batch_of: HashMap<&str, usize> = HashMap::new();
        let mut b = 0;
        let mut left = self.lens.first().copied().unwrap_or(0);
        let mut owner = Vec::with_capacity(self.events.len());
        for e in &self.events {
            while left == 0 {
                b += 1;
                left = self.lens.get(b).copied().unwrap_or(usize::MAX);
            }
            left -= 1;
            batch_of.entry(e.id.as_str()).or_insert(b);
            owner.push(b);
        }
        self.events.iter().zip(owner).all(|(e, b)| {
            e.event_type != EventType::EventRetracted
                || e.data_str("target")
                    .and_then(|t| batch_of.get(t))
                    .is_none_or(|tb| *tb <= b)
        })
    }
}

/// After waiting for the writer: the answer of an earlier writer that took this request into its
/// group, if there was one (`None`: this caller writes the group).
fn answered<T>(
    answer: &mut tokio::sync::oneshot::Receiver<Result<T, StoreError>>,
) -> Option<Result<T, StoreError>> {
    match answer.try_recv() {
        Ok(outcome) => Some(outcome),
        Err(tokio::sync::oneshot::error::TryRecvError::Closed) => Some(Err(
            StoreError::Interrupted("the writer that took this request stopped before answering".into()),
        )),
        Err(tokio::sync::oneshot::error::TryRecvError::Empty) => None,
    }
}

/// The answer to this caller's own request, once it has written the group holding it.
async fn unanswered<T>(
    answer: tokio::sync::oneshot::Receiver<Result<T, StoreError>>,
) -> Result<T, StoreError> {
    answer
        .await
        .unwrap_or_else(|_| Err(StoreError::Interrupted("the request was not answered".into())))
}

/// Answers each request of a group with its outcome; when the group's transaction failed, the
/// first gets the error and the others [`StoreError::Interrupted`] (nothing of theirs stored).
/// A caller that went away is not answered (what it asked for was done all the same).
fn answer_group<T>(
    replies: Vec<tokio::sync::oneshot::Sender<Result<T, StoreError>>>,
    written: Result<Vec<Result<T, StoreError>>, StoreError>,
) {
    match written {
        Ok(outcomes) => {
            for (reply, outcome) in replies.into_iter().zip(outcomes) {
                let _ = reply.send(outcome);
            }
        }
        Err(e) => {
            let message = e.to_string();
            let mut first = Some(e);
            for reply in replies {
                let err = first
                    .take()
                    .unwrap_or_else(|| StoreError::Interrupted(message.clone()));
                let _ = reply.send(Err(err));
            }
        }
    }
}

/// Parses a stored event body back into the domain type.
fn parse_body(seq: i64, body: &str) -> Result<Event, String> {
    let v: serde_json::Value =
        serde_json::from_str(body).map_err(|e| format!("body is not JSON: {e}"))?;
    Event::parse(&v, ParseOptions { now: None }).map_err(|errs| {
        let first = errs
            .first()
            .map(|e| format!("{}: {}", e.field, e.message))
            .unwrap_or_default();
        format!("event {seq} no longer validates: {first}")
    })
}

/// A case's events as ingestion and replay rebuild it.
struct CaseEvents {
    case_id: String,
    /// The highest seq among its events.
    last_seq: i64,
    /// Its events in the binary form, in log order (`cases.history`).
    history: Vec<u8>,
    /// Its events in evaluation order (`at`, then log order).
    events: Vec<Event>,
}

/// Which cases [`StoreImpl::read_histories`] reads.
#[derive(Clone, Copy)]
enum Pick<'a> {
    /// Those whose id sorts after this one (paging through every case).
    After(&'a str),
    /// The one with this id.
    Only(&'a str),
}

/// Cases re-evaluated per transaction.
const REEVALUATE_CHUNK: usize = 2000;

/// One case to evaluate again: what is stored of it.
struct ReevalInput {
    head: ReevalHead,
    /// Its events in the binary form, in log order.
    history: Vec<u8>,
    /// Whether `history` was built from the log just now (none was stored) and is to be stored.
    history_is_new: bool,
}

/// A case's row as re-evaluation reads it, without its history.
struct ReevalHead {
    case_id: String,
    /// The highest seq of its events when read.
    last_seq: i64,
    unit: Option<String>,
    steps: i64,
    covered: i64,
    /// The digest of its findings as last written.
    fdigest: Option<i64>,
}

/// One case evaluated again.
struct ReevalOutput {
    case_id: String,
    /// The highest seq of the events evaluated.
    last_seq: i64,
    unit: Option<String>,
    /// The findings with their explanations, if their digest differs from the stored one.
    findings: Option<Vec<Finding>>,
    fdigest: i64,
    /// The new coverage figures, if they differ from the stored ones.
    coverage_changed: Option<(i64, i64)>,
    /// The binary history, for a case that had none stored.
    history: Option<Vec<u8>>,
}

impl ReevalOutput {
    /// Whether anything of the case's row is to be written.
    fn changed(&self) -> bool {
        self.findings.is_some() || self.coverage_changed.is_some() || self.history.is_some()
    }
}

/// What every evaluation of a re-evaluation pass shares.
struct ReevalContext {
    pack: Arc<Pack>,
    cal: Arc<Calendar>,
    fp: crate::digest::Fingerprints,
    watched: casewatch_engine::coverage::Watched,
    /// Every registered unit's path.
    paths: HashMap<String, String>,
}

/// Evaluates one case again: without explanations first, and, only if the digest of the result
/// differs from the stored one, in full.
fn reevaluate_one(
    cx: &ReevalContext,
    input: ReevalInput,
    now: Timestamp,
) -> Result<ReevalOutput, StoreError> {
    let mut out = reevaluate_history(cx, input.head, &input.history, now)?;
    out.history = input.history_is_new.then_some(input.history);
    Ok(out)
}

/// Evaluates one case again from its binary history (borrowed where the database hands it over):
/// without explanations first, and, only if the digest of the result differs from the stored
/// one, in full.
fn reevaluate_history(
    cx: &ReevalContext,
    head: ReevalHead,
    history: &[u8],
    now: Timestamp,
) -> Result<ReevalOutput, StoreError> {
    let mut events = binary::decode(history).map_err(|e| {
        corrupt(
            format!("cases.case_id={}.history", head.case_id),
            e.to_string(),
        )
    })?;
    casewatch_core::event::sort_by_instant(&mut events);
    let (steps, covered) = casewatch_engine::coverage::counts_with(&cx.watched, &events);
    let (steps, covered) = (i64::from(steps), i64::from(covered));
    let brief = casewatch_engine::evaluate_brief(&cx.pack, &cx.cal, &events, now);
    let in_effect = events.iter().filter(|e| e.at <= now).count();
    let fdigest = crate::digest::of_findings(
        &cx.fp,
        &brief,
        head.unit.as_deref(),
        &cx.paths,
        in_effect,
    );
    let findings = (head.fdigest != Some(fdigest))
        .then(|| casewatch_engine::evaluate(&cx.pack, &cx.cal, &events, now));
    Ok(ReevalOutput {
        findings,
        fdigest,
        coverage_changed: ((steps, covered) != (head.steps, head.covered))
            .then_some((steps, covered)),
        history: None,
        last_seq: head.last_seq,
        case_id: head.case_id,
        unit: head.unit,
    })
}

/// Evaluates cases again on every available core; returns the cases with something to write, in
/// order.
fn reevaluate_on_every_core(
    cx: &ReevalContext,
    cases: Vec<ReevalInput>,
    now: Timestamp,
) -> Result<Vec<ReevalOutput>, StoreError> {
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .max(1);
    let per = cases.len().div_ceil(threads).max(1);
    let mut parts: Vec<Vec<ReevalInput>> = Vec::new();
    let mut rest = cases;
    while rest.len() > per {
        let tail = rest.split_off(per);
        parts.push(rest);
        rest = tail;
    }
    parts.push(rest);
    std::thread::scope(|scope| {
        let handles: Vec<_> = parts
            .into_iter()
            .map(|part| {
                scope.spawn(|| {
                    let mut out = Vec::new();
                    for input in part {
                        let o = reevaluate_one(cx, input, now)?;
                        if o.changed() {
                            out.push(o);
                        }
                    }
                    Ok::<_, StoreError>(out)
                })
            })
            .collect();
        let mut out = Vec::new();
        for h in handles {
            match h.join() {
                Ok(r) => out.extend(r?),
                Err(_) => return Err(corrupt("reevaluate", "an evaluation thread failed")),
            }
        }
        Ok(out)
    })
}

/// One case rebuilt for a write: its ledger (whose columns the list reads), findings and the
/// other columns of its row.
struct Rebuilt {
    case: CaseEvents,
    ledger: CaseLedger,
    findings: Vec<Finding>,
    steps: i64,
    covered: i64,
    /// The instant of its earliest event dated after `now` (allowed up to 5 minutes ahead), when
    /// it must be evaluated again.
    reeval_at: Option<i64>,
    /// How many of its events are in effect at `now`.
    in_effect: usize,
}

/// Builds a case's ledger and evaluates it at `now` (pure: runs on any thread).
fn rebuild_one(
    pack: &Pack,
    cal: &Calendar,
    watched: &casewatch_engine::coverage::Watched,
    case: CaseEvents,
    now: Timestamp,
) -> Result<Rebuilt, StoreError> {
    let ledger = CaseLedger::build(&case.case_id, &case.events);
    let findings = casewatch_engine::evaluate(pack, cal, &case.events, now);
    let (steps, covered) = casewatch_engine::coverage::counts_with(watched, &case.events);
    // Events dated after `now` (allowed up to 5 minutes ahead) count from their instant.
    let reeval_at = case
        .events
        .iter()
        .map(|e| e.at)
        .filter(|at| *at > now)
        .min()
        .map(to_micros);
    let in_effect = case.events.iter().filter(|e| e.at <= now).count();
    Ok(Rebuilt {
        case,
        ledger,
        findings,
        steps: i64::from(steps),
        covered: i64::from(covered),
        reeval_at,
        in_effect,
    })
}

fn problem(
    index: usize,
    id: &str,
    field: &str,
    code: &'static str,
    message: String,
) -> BatchProblem {
    BatchProblem {
        index,
        id: id.to_owned(),
        error: FieldError {
            field: field.to_owned(),
            code,
            message,
        },
    }
}

impl StoreImpl {
    /// Applies every migration not yet recorded, in version order, under the write lock.
    async fn migrate(pool: &Pool<Db>) -> Result<(), StoreError> {
        let mut tx = begin_write(pool).await?;
        sqlx::raw_sql(
            "CREATE TABLE IF NOT EXISTS schema_migrations (\
             version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at_us BIGINT NOT NULL)",
        )
        .execute(&mut *tx)
        .await?;
        let applied: HashSet<i64> = sqlx::query("SELECT version FROM schema_migrations")
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(|r| r.try_get::<i64, _>(0))
            .collect::<Result<_, _>>()?;
        for m in MIGRATIONS {
            if applied.contains(&m.version) {
                continue;
            }
            sqlx::raw_sql(m.sql)
                .execute(&mut *tx)
                .await
                .map_err(|source| StoreError::Migration {
                    version: m.version,
                    source,
                })?;
            sqlx::query(
                "INSERT INTO schema_migrations (version, name, applied_at_us) VALUES ($1, $2, $3)",
            )
            .bind(m.version)
            .bind(m.name)
            .bind(to_micros(Timestamp::now()))
            .execute(&mut *tx)
            .await?;
            tracing::info!(version = m.version, name = m.name, "applied migration");
        }
        tx.commit().await?;
        Ok(())
    }

    /// Loads the events of the given cases from the log: (case id, highest seq, events in log
    /// order).
    async fn load_cases(
        tx: &mut Transaction<'_, Db>,
        chunk: &[String],
    ) -> Result<Vec<(String, i64, Vec<Event>)>, StoreError> {
        let sql = format!(
            "SELECT seq, case_id, body FROM events WHERE case_id IN ({}) ORDER BY case_id, seq",
            placeholders(1, chunk.len())
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for c in chunk {
            q = q.bind(c.clone());
        }
        let rows = q.fetch_all(&mut **tx).await?;
        let mut by_case: Vec<(String, i64, Vec<Event>)> = Vec::new();
        for row in &rows {
            let seq: i64 = row.try_get(0)?;
            let case_id: String = row.try_get(1)?;
            let body: String = row.try_get(2)?;
            let event =
                parse_body(seq, &body).map_err(|r| corrupt(format!("events.seq={seq}"), r))?;
            match by_case.last_mut() {
                Some((c, last_seq, evs)) if *c == case_id => {
                    *last_seq = (*last_seq).max(seq);
                    evs.push(event);
                }
                _ => by_case.push((case_id, seq, vec![event])),
            }
        }
        Ok(by_case)
    }

    /// The events of the given cases with their binary history: from `cases.history` plus the
    /// `fresh` events of this transaction (by case, in log order, with their seq), or, for a case
    /// without a stored history (stored before the column existed, or during replay), from the
    /// log. Every case with events in the log has a `cases` row once its transaction commits
    /// (append and replay rebuild what they touch), so a case with no row and fresh events is new.
    async fn load_histories(
        tx: &mut Transaction<'_, Db>,
        chunk: &[String],
        fresh: &HashMap<&str, Vec<(i64, &Event)>>,
    ) -> Result<Vec<CaseEvents>, StoreError> {
        let sql = format!(
            "SELECT case_id, last_seq, history FROM cases WHERE case_id IN ({})",
            placeholders(1, chunk.len())
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for c in chunk {
            q = q.bind(c.clone());
        }
        let mut stored: HashMap<String, (i64, Vec<u8>)> = HashMap::new();
        for row in q.fetch_all(&mut **tx).await? {
            let case_id: String = row.try_get(0)?;
            let history: Option<Vec<u8>> = row.try_get(2)?;
            if let Some(h) = history {
                stored.insert(case_id, (row.try_get(1)?, h));
            }
        }
        let mut out = Vec::with_capacity(chunk.len());
        let mut from_log = Vec::new();
        for case_id in chunk {
            let new = fresh.get(case_id.as_str());
            let (last_seq, blob, mut events) = match stored.remove(case_id) {
                Some((last_seq, blob)) => {
                    let events = binary::decode(&blob).map_err(|e| {
                        corrupt(format!("cases.case_id={case_id}.history"), e.to_string())
                    })?;
                    (last_seq, blob, events)
                }
                None if new.is_some() => (0, Vec::new(), Vec::new()),
                None => {
                    from_log.push(case_id.clone());
                    continue;
                }
            };
            let mut blob = blob;
            let mut last_seq = last_seq;
            for (seq, e) in new.into_iter().flatten() {
                if *seq > last_seq {
                    binary::encode_into(std::slice::from_ref(*e), &mut blob);
                    events.push((*e).clone());
                    last_seq = *seq;
                }
            }
            casewatch_core::event::sort_by_instant(&mut events);
            out.push(CaseEvents {
                case_id: case_id.clone(),
                last_seq,
                history: blob,
                events,
            });
        }
        if !from_log.is_empty() {
            for (case_id, last_seq, mut events) in Self::load_cases(tx, &from_log).await? {
                let history = binary::encode(&events);
                casewatch_core::event::sort_by_instant(&mut events);
                out.push(CaseEvents {
                    case_id,
                    last_seq,
                    history,
                    events,
                });
            }
        }
        Ok(out)
    }

    /// Rebuilds and upserts the ledgers (and binary histories) of the given cases, evaluates them
    /// with the pack at `now`, and writes what changed in their findings. `fresh` holds the events
    /// this transaction added, by case (see [`Self::load_histories`]). Returns the number of
    /// events read and of findings changed.
    async fn rebuild_cases(
        &self,
        tx: &mut Transaction<'_, Db>,
        case_ids: &[String],
        now: Timestamp,
        cause: &str,
        fresh: &HashMap<&str, Vec<(i64, &Event)>>,
    ) -> Result<(u64, u64), StoreError> {
        let (pack, cal) = (Arc::clone(&self.pack), self.calendar());
        let fp = crate::digest::Fingerprints::new(&pack, &cal);
        let watched = Arc::new(casewatch_engine::coverage::watched_types(&pack));
        let now_us = to_micros(now);
        let mut n_events = 0u64;
        let mut n_changed = 0u64;
        for chunk in case_ids.chunks(CASE_CHUNK) {
            let by_case = Self::load_histories(tx, chunk, fresh).await?;
            n_events += by_case.iter().map(|c| c.events.len() as u64).sum::<u64>();
            // The chunk is evaluated on a blocking thread while this one reads the findings it
            // had: the writer's connection and the evaluation run on two cores.
            let (p, c, w) = (Arc::clone(&pack), Arc::clone(&cal), Arc::clone(&watched));
            let evaluation = tokio::task::spawn_blocking(move || {
                by_case
                    .into_iter()
                    .map(|case| rebuild_one(&p, &c, &w, case, now))
                    .collect::<Result<Vec<_>, _>>()
            });
            let existing = Self::stored_findings(tx, chunk).await?;
            let rebuilt = evaluation
                .await
                .map_err(|e| corrupt("rebuild", format!("evaluation stopped: {e}")))??;
            let units: HashSet<String> = rebuilt
                .iter()
                .filter_map(|r| r.ledger.unit.clone())
                .chain(
                    rebuilt
                        .iter()
                        .flat_map(|r| &r.findings)
                        .filter_map(|f| f.unit.as_deref().map(str::to_owned)),
                )
                .collect();
            let paths = self.unit_paths_in(tx, units).await?;
            let mut evaluated: Vec<(String, Option<String>, Vec<Finding>)> =
                Vec::with_capacity(rebuilt.len());
            let mut rest = rebuilt.into_iter().peekable();
            while rest.peek().is_some() {
                let rows: Vec<Rebuilt> = rest.by_ref().take(INSERT_CHUNK / 2).collect();
                let sql = format!(
                    "INSERT INTO cases (case_id, kind, cause, stage, unit, n_events, first_at_us, last_at_us, last_seq, reeval_at_us, n_steps, n_covered, unit_path, history, fdigest) \
                     VALUES {} ON CONFLICT (case_id) DO UPDATE SET kind = excluded.kind, cause = excluded.cause, \
                     stage = excluded.stage, unit = excluded.unit, n_events = excluded.n_events, \
                     first_at_us = excluded.first_at_us, last_at_us = excluded.last_at_us, \
                     last_seq = excluded.last_seq, reeval_at_us = excluded.reeval_at_us, \
                     n_steps = excluded.n_steps, n_covered = excluded.n_covered, unit_path = excluded.unit_path, \
                     history = excluded.history, fdigest = excluded.fdigest",
                    row_placeholders(rows.len(), 15)
                );
                let mut q = sqlx::query(AssertSqlSafe(sql));
                for r in rows {
                    let Rebuilt {
                        case: c,
                        ledger,
                        findings,
                        steps,
                        covered,
                        reeval_at,
                        in_effect,
                    } = r;
                    let fdigest = crate::digest::of_findings(
                        &fp,
                        &findings,
                        ledger.unit.as_deref(),
                        &paths,
                        in_effect,
                    );
                    let path = ledger.unit.as_ref().and_then(|u| paths.get(u)).cloned();
                    q = q
                        .bind(c.case_id.clone())
                        .bind(ledger.kind)
                        .bind(ledger.cause)
                        .bind(ledger.stage.map(|s| s.as_str().to_owned()))
                        .bind(ledger.unit.clone())
                        .bind(i64::from(ledger.n_events))
                        .bind(ledger.first_at.map(|t| to_micros(t.0)))
                        .bind(ledger.last_at.map(|t| to_micros(t.0)))
                        .bind(c.last_seq)
                        .bind(reeval_at)
                        .bind(steps)
                        .bind(covered)
                        .bind(path)
                        .bind(c.history)
                        .bind(fdigest);
                    evaluated.push((c.case_id, ledger.unit, findings));
                }
                q.execute(&mut **tx).await?;
            }
            n_changed +=
                Self::write_findings_against(tx, &evaluated, existing, &paths, now_us, cause)
                    .await?;
        }
        Ok((n_events, n_changed))
    }

    /// Writes the findings of whole cases: inserts new ones, updates changed ones, removes those
    /// that no longer arise, and records every change of state in the history. `paths` holds the
    /// path of every registered unit the findings name.
    async fn write_findings(
        tx: &mut Transaction<'_, Db>,
        cases: &[(String, Option<String>, Vec<Finding>)],
        paths: &HashMap<String, String>,
        now_us: i64,
        cause: &str,
    ) -> Result<u64, StoreError> {
        let ids: Vec<String> = cases.iter().map(|c| c.0.clone()).collect();
        let existing = Self::stored_findings(tx, &ids).await?;
        Self::write_findings_against(tx, cases, existing, paths, now_us, cause).await
    }

    /// What a writer needs of the stored findings of the given cases to compare them with new
    /// ones: key, stored state, instants, unit, unit path and digest (`digest::of_row`), not
    /// the explanation (reading whole rows was a quarter of the live writer's time).
    async fn stored_findings(
        tx: &mut Transaction<'_, Db>,
        ids: &[String],
    ) -> Result<HashMap<FindingKey, StoredFinding>, StoreError> {
        let mut existing: HashMap<FindingKey, StoredFinding> = HashMap::new();
        if ids.is_empty() {
            return Ok(existing);
        }
        let sql = format!(
            "SELECT case_id, rule, subject, ref, state, warn_us, due_us, unit, unit_path, digest FROM findings WHERE case_id IN ({})",
            placeholders(1, ids.len())
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for id in ids {
            q = q.bind(id.clone());
        }
        for row in q.fetch_all(&mut **tx).await? {
            let key: FindingKey = (
                row.try_get(0)?,
                row.try_get(1)?,
                row.try_get(2)?,
                row.try_get(3)?,
            );
            let stored = StoredFinding {
                state: row.try_get(4)?,
                warn_us: row.try_get(5)?,
                due_us: row.try_get(6)?,
                unit: row.try_get(7)?,
                path: row.try_get(8)?,
                digest: row.try_get(9)?,
            };
            existing.insert(key, stored);
        }
        Ok(existing)
    }

    /// [`Self::write_findings`] given the cases' stored findings ([`Self::stored_findings`]),
    /// which must be all of them.
    ///
    /// The timer's mark is first brought to `now_us` ([`Self::advance_mark`]), so that the
    /// transitions due by then are in the history and the counts, and the old and the new
    /// findings compare in their states as of the same instant: the mark (later than `now_us`
    /// when another writer's clock ran ahead).
    async fn write_findings_against(
        tx: &mut Transaction<'_, Db>,
        cases: &[(String, Option<String>, Vec<Finding>)],
        mut existing: HashMap<FindingKey, StoredFinding>,
        paths: &HashMap<String, String>,
        now_us: i64,
        cause: &str,
    ) -> Result<u64, StoreError> {
        if cases.is_empty() {
            return Ok(0);
        }
        let (mark, _) = Self::advance_mark(tx, now_us).await?;
        let mut upserts: Vec<(FindingRow, Option<String>, i64)> = Vec::new();
        let mut history: Vec<HistoryEntry> = Vec::new();
        let mut counts = CountDelta::default();
        for (case_id, unit, findings) in cases {
            for f in findings {
                let row = FindingRow {
                    case_id: case_id.clone(),
                    rule: f.rule.to_string(),
                    subject: f.subject.as_deref().map(str::to_owned),
                    reference: f.reference.to_string(),
                    kind: if f.started.is_some() {
                        "clock".into()
                    } else {
                        "check".into()
                    },
                    state: stored_state(f).to_owned(),
                    started_us: f.started.map(to_micros),
                    due_us: f.due.map(to_micros),
                    warn_us: f.warn_at.map(to_micros),
                    stopped_us: f.stopped.map(to_micros),
                    next_at_us: None,
                    unit: unit
                        .clone()
                        .or_else(|| f.unit.as_deref().map(str::to_owned)),
                    officer: f.officer.as_deref().map(str::to_owned),
                    explain: f.explain.clone(),
                    updated_at_us: now_us,
                };
                let key = (
                    case_id.clone(),
                    row.rule.clone(),
                    row.subject.clone().unwrap_or_default(),
                    row.reference.clone(),
                );
                let path = row.unit.as_ref().and_then(|u| paths.get(u)).cloned();
                let digest = crate::digest::of_row(&row);
                let state = state_at(&row.state, row.warn_us, row.due_us, mark);
                match existing.remove(&key) {
                    Some(old) => {
                        let same = old.digest == Some(digest)
                            && old.state == row.state
                            && old.path == path;
                        if !same {
                            let was = state_at(&old.state, old.warn_us, old.due_us, mark);
                            if was != state {
                                history.push(HistoryEntry::of(&row, state, now_us));
                            }
                            if (&old.unit, was, &old.path) != (&row.unit, state, &path) {
                                let (u, p) = (old.unit.as_deref(), old.path.as_deref());
                                counts.add(u, &row.rule, was, p, -1);
                                let (u, p) = (row.unit.as_deref(), path.as_deref());
                                counts.add(u, &row.rule, state, p, 1);
                            }
                            upserts.push((row, path, digest));
                        }
                    }
                    None => {
                        history.push(HistoryEntry::of(&row, state, now_us));
                        let (u, p) = (row.unit.as_deref(), path.as_deref());
                        counts.add(u, &row.rule, state, p, 1);
                        upserts.push((row, path, digest));
                    }
                }
            }
        }
        let changed = upserts.len() as u64 + existing.len() as u64;
        for chunk in upserts.chunks(INSERT_CHUNK / 2) {
            let sql = format!(
                "INSERT INTO findings ({FINDING_COLUMNS}, unit_path, digest) VALUES {} ON CONFLICT (case_id, rule, subject, ref) DO UPDATE SET \
                 kind = excluded.kind, state = excluded.state, started_us = excluded.started_us, due_us = excluded.due_us, \
                 warn_us = excluded.warn_us, stopped_us = excluded.stopped_us, \
                 unit = excluded.unit, officer = excluded.officer, explain = excluded.explain, updated_at_us = excluded.updated_at_us, \
                 unit_path = excluded.unit_path, digest = excluded.digest",
                row_placeholders(chunk.len(), 16)
            );
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for (r, path, digest) in chunk {
                q = q
                    .bind(r.case_id.clone())
                    .bind(r.rule.clone())
                    .bind(r.subject.clone().unwrap_or_default())
                    .bind(r.reference.clone())
                    .bind(r.kind.clone())
                    .bind(r.state.clone())
                    .bind(r.started_us)
                    .bind(r.due_us)
                    .bind(r.warn_us)
                    .bind(r.stopped_us)
                    .bind(r.unit.clone())
                    .bind(r.officer.clone())
                    .bind(r.explain.clone())
                    .bind(r.updated_at_us)
                    .bind(path.clone())
                    .bind(*digest);
            }
            q.execute(&mut **tx).await?;
        }
        for ((case_id, rule, subject, reference), old) in existing {
            let (u, p) = (old.unit.as_deref(), old.path.as_deref());
            let was = state_at(&old.state, old.warn_us, old.due_us, mark);
            counts.add(u, &rule, was, p, -1);
            sqlx::query("DELETE FROM findings WHERE case_id = $1 AND rule = $2 AND subject = $3 AND ref = $4")
                .bind(case_id.clone())
                .bind(rule.clone())
                .bind(subject.clone())
                .bind(reference.clone())
                .execute(&mut **tx)
                .await?;
            history.push(HistoryEntry {
                case_id,
                rule,
                subject,
                reference,
                state: "removed".into(),
                at_us: now_us,
            });
        }
        Self::write_history(tx, &history, now_us, cause).await?;
        counts.apply(tx).await?;
        Ok(changed)
    }

    async fn write_history(
        tx: &mut Transaction<'_, Db>,
        rows: &[HistoryEntry],
        now_us: i64,
        cause: &str,
    ) -> Result<(), StoreError> {
        for chunk in rows.chunks(INSERT_CHUNK / 2) {
            let sql = format!(
                "INSERT INTO finding_history (case_id, rule, subject, ref, state, at_us, recorded_at_us, cause) VALUES {}",
                row_placeholders(chunk.len(), 8)
            );
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for h in chunk {
                q = q
                    .bind(h.case_id.clone())
                    .bind(h.rule.clone())
                    .bind(h.subject.clone())
                    .bind(h.reference.clone())
                    .bind(h.state.clone())
                    .bind(h.at_us)
                    .bind(now_us)
                    .bind(cause.to_owned());
            }
            q.execute(&mut **tx).await?;
        }
        Ok(())
    }

    /// The batch checks that need the stored log: duplicates and conflicts by id, and retraction
    /// targets. Returns which positions are new, the number of no-op duplicates, and the problems.
    async fn check_against_log(
        tx: &mut Transaction<'_, Db>,
        batch: &[Event],
        hashes: &[String],
    ) -> Result<(Vec<bool>, u64, Vec<BatchProblem>), StoreError> {
        let mut problems = Vec::new();
        let mut duplicates = 0u64;
        let mut is_new = vec![true; batch.len()];

        // Repeats inside the batch.
        let mut first_by_id: HashMap<&str, usize> = HashMap::new();
        for (i, (e, h)) in batch.iter().zip(hashes).enumerate() {
            match first_by_id.get(e.id.as_str()) {
                Some(&j) => {
                    if let Some(slot) = is_new.get_mut(i) {
                        *slot = false;
                    }
                    if hashes.get(j) == Some(h) {
                        duplicates += 1;
                    } else {
                        problems.push(problem(
                            i,
                            e.id.as_str(),
                            "id",
                            "conflict",
                            format!("事件编号 `{}` 在本批第 {} 条已出现，内容不同", e.id, j + 1),
                        ));
                    }
                }
                None => {
                    first_by_id.insert(e.id.as_str(), i);
                }
            }
        }

        // Events already in the log.
        let firsts: Vec<(&str, usize)> = first_by_id.iter().map(|(k, v)| (*k, *v)).collect();
        for chunk in firsts.chunks(LOOKUP_CHUNK) {
            let sql = format!(
                "SELECT id, content_hash FROM events WHERE id IN ({})",
                placeholders(1, chunk.len())
            );
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for (id, _) in chunk {
                q = q.bind((*id).to_owned());
            }
            for row in q.fetch_all(&mut **tx).await? {
                let id: String = row.try_get(0)?;
                let stored_hash: String = row.try_get(1)?;
                let Some(&i) = first_by_id.get(id.as_str()) else {
                    continue;
                };
                if let Some(slot) = is_new.get_mut(i) {
                    *slot = false;
                }
                if hashes.get(i) == Some(&stored_hash) {
                    duplicates += 1;
                } else {
                    problems.push(problem(
                        i,
                        &id,
                        "id",
                        "conflict",
                        format!(
                            "事件编号 `{id}` 已存在且内容不同；更正请发送 event.retracted 和新事件"
                        ),
                    ));
                }
            }
        }

        // Retractions: the target must exist, in the same case, and not be a retraction itself.
        let retractions: Vec<(usize, &Event, &str)> = batch
            .iter()
            .enumerate()
            .filter(|(i, e)| {
                e.event_type == EventType::EventRetracted && is_new.get(*i) == Some(&true)
            })
            .filter_map(|(i, e)| e.data_str("target").map(|t| (i, e, t)))
            .collect();
        if !retractions.is_empty() {
            let mut known: HashMap<String, (String, String)> = batch
                .iter()
                .map(|e| {
                    (
                        e.id.to_string(),
                        (e.case.to_string(), e.event_type.to_string()),
                    )
                })
                .collect();
            let targets: Vec<&str> = retractions.iter().map(|(_, _, t)| *t).collect();
            for chunk in targets.chunks(LOOKUP_CHUNK) {
                let sql = format!(
                    "SELECT id, case_id, type FROM events WHERE id IN ({})",
                    placeholders(1, chunk.len())
                );
                let mut q = sqlx::query(AssertSqlSafe(sql));
                for t in chunk {
                    q = q.bind((*t).to_owned());
                }
                for row in q.fetch_all(&mut **tx).await? {
                    known.insert(row.try_get(0)?, (row.try_get(1)?, row.try_get(2)?));
                }
            }
            for (i, e, target) in retractions {
                match known.get(target) {
                    None => problems.push(problem(
                        i,
                        e.id.as_str(),
                        "data.target",
                        "unknown_target",
                        format!("要撤回的事件 `{target}` 不存在"),
                    )),
                    Some((case, _)) if case != e.case.as_str() => problems.push(problem(
                        i,
                        e.id.as_str(),
                        "data.target",
                        "wrong_case",
                        format!(
                            "要撤回的事件 `{target}` 属于案件 `{case}`，不属于 `{}`",
                            e.case
                        ),
                    )),
                    Some((_, ty)) if ty == "event.retracted" => problems.push(problem(
                        i,
                        e.id.as_str(),
                        "data.target",
                        "retract_retraction",
                        format!(
                            "事件 `{target}` 本身是撤回事件，不能再撤回；请重新发送原事件（新编号）"
                        ),
                    )),
                    Some(_) => {}
                }
            }
        }
        problems.sort_by_key(|p| p.index);
        Ok((is_new, duplicates, problems))
    }

    /// Appends one batch. Batches that arrive while another is being written wait for the
    /// writer together and are then written in one transaction (group commit: one commit and one
    /// pass over the touched cases for all of them), with the outcome each would have had alone.
    async fn append_impl(
        &self,
        batch: &[Event],
        recorded_at: Timestamp,
        audit: Option<&AuditEntry>,
    ) -> Result<AppendOutcome, StoreError> {
        let audit = audit.map(prepared_audit_entry).transpose()?;
        if batch.is_empty() && audit.is_none() {
            return Ok(AppendOutcome::default());
        }
        let (bodies, hashes): (Vec<String>, Vec<String>) =
            batch.iter().map(Event::canonical_json_and_hash).unzip();
        let (reply, mut answer) = tokio::sync::oneshot::channel();
        self.pending_batches().push(Pending {
            events: batch.to_vec(),
            bodies,
            hashes,
            recorded_at,
            audit,
            reply,
        });
        let _writer = self.write.lock().await;
        if let Some(outcome) = answered(&mut answer) {
            return outcome;
        }
        let group = std::mem::take(&mut *self.pending_batches());
        self.write_group(group).await;
        unanswered(answer).await
    }

    /// Writes a group's audit rows in its transaction, after taking the audit chain's lock (a
    /// no-op on SQLite, whose one write lock the transaction holds already).
    async fn write_group_audits(
        &self,
        tx: &mut Transaction<'_, Db>,
        audits: &[(AuditEntry, String)],
    ) -> Result<(), StoreError> {
        if audits.is_empty() {
            return Ok(());
        }
        lock_audit_chain(tx).await?;
        self.write_audit_rows(tx, audits).await?;
        Ok(())
    }

    /// The queue of batches waiting for the writer.
    fn pending_batches(&self) -> std::sync::MutexGuard<'_, Vec<Pending>> {
        self.pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Writes a group of batches in one transaction and answers each. When the transaction
    /// fails, the first batch gets the error and the others [`StoreError::Interrupted`].
    async fn write_group(&self, group: Vec<Pending>) {
        let mut lens = Vec::with_capacity(group.len());
        let mut ats = Vec::with_capacity(group.len());
        let mut replies = Vec::with_capacity(group.len());
        let (mut events, mut bodies, mut hashes) = (Vec::new(), Vec::new(), Vec::new());
        let mut audits = Vec::new();
        for p in group {
            audits.extend(p.audit);
            lens.push(p.events.len());
            ats.push(p.recorded_at);
            replies.push(p.reply);
            events.extend(p.events);
            bodies.extend(p.bodies);
            hashes.extend(p.hashes);
        }
        let g = Group {
            events,
            bodies,
            hashes,
            lens,
            ats,
            audits,
        };
        let started = std::time::Instant::now();
        let outcome = self.write_group_tx(&g).await;
        // What an operator needs to see whether the writer keeps up (`RUST_LOG=casewatch_store=debug`).
        tracing::debug!(
            batches = g.lens.len(),
            events = g.events.len(),
            ms = started.elapsed().as_secs_f64() * 1e3,
            ok = outcome.is_ok(),
            "group written"
        );
        if outcome.is_ok() {
            self.wrote();
        }
        answer_group(replies, outcome);
    }

    /// The transaction of [`Self::write_group`]: the batches checked together and written as
    /// one when that is equivalent to writing them one after the other (no problem in any, no
    /// retraction of an event of a later batch); otherwise one after the other, each checked
    /// against the log as the earlier ones left it. `Err` only when the transaction fails.
    async fn write_group_tx(
        &self,
        g: &Group,
    ) -> Result<Vec<Result<AppendOutcome, StoreError>>, StoreError> {
        let mut tx = begin_write(&self.pool).await?;
        let at_us: Vec<i64> = g
            .lens
            .iter()
            .zip(&g.ats)
            .flat_map(|(n, at)| std::iter::repeat_n(to_micros(*at), *n))
            .collect();
        if g.lens.len() > 1 && g.mergeable() {
            let (is_new, _, problems) =
                Self::check_against_log(&mut tx, &g.events, &g.hashes).await?;
            // The group is evaluated as of its latest batch (a group has at least two).
            if let (true, Some(now)) = (problems.is_empty(), g.ats.iter().copied().max()) {
                self.write_events(&mut tx, &g.events, &g.bodies, &g.hashes, &is_new, &at_us, now)
                    .await?;
                self.write_group_audits(&mut tx, &g.audits).await?;
                tx.commit().await?;
                let mut out = Vec::with_capacity(g.lens.len());
                let mut from = 0;
                for n in &g.lens {
                    let range = from..from + n;
                    from += n;
                    let new = is_new.get(range.clone()).unwrap_or_default();
                    let events = g.events.get(range).unwrap_or_default();
                    let accepted = new.iter().filter(|b| **b).count() as u64;
                    let cases: HashSet<&str> = events
                        .iter()
                        .zip(new)
                        .filter(|(_, b)| **b)
                        .map(|(e, _)| e.case.as_str())
                        .collect();
                    out.push(Ok(AppendOutcome {
                        accepted,
                        duplicates: *n as u64 - accepted,
                        cases_touched: cases.len() as u64,
                    }));
                }
                return Ok(out);
            }
        }
        let mut out = Vec::with_capacity(g.lens.len());
        let mut from = 0;
        for (n, at) in g.lens.iter().zip(&g.ats) {
            let range = from..from + n;
            from += n;
            let (Some(events), Some(bodies), Some(hashes), Some(at_us)) = (
                g.events.get(range.clone()),
                g.bodies.get(range.clone()),
                g.hashes.get(range.clone()),
                at_us.get(range),
            ) else {
                return Err(corrupt("append", "a batch outside its group"));
            };
            let (is_new, duplicates, problems) =
                Self::check_against_log(&mut tx, events, hashes).await?;
            if !problems.is_empty() {
                out.push(Err(StoreError::Rejected(problems)));
                continue;
            }
            let touched = self
                .write_events(&mut tx, events, bodies, hashes, &is_new, at_us, *at)
                .await?;
            out.push(Ok(AppendOutcome {
                accepted: is_new.iter().filter(|b| **b).count() as u64,
                duplicates,
                cases_touched: touched,
            }));
        }
        self.write_group_audits(&mut tx, &g.audits).await?;
        tx.commit().await?;
        Ok(out)
    }

    /// Appends the new ones among `events` (`is_new`) to the log, each recorded at its instant in
    /// `at_us`, and rebuilds the cases they touch as of `now`. Returns the number of cases.
    #[expect(clippy::too_many_arguments, reason = "the columns of one batch, each its own slice")]
    async fn write_events(
        &self,
        tx: &mut Transaction<'_, Db>,
        events: &[Event],
        bodies: &[String],
        hashes: &[String],
        is_new: &[bool],
        at_us: &[i64],
        now: Timestamp,
    ) -> Result<u64, StoreError> {
        let head = sqlx::query("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&mut **tx)
            .await?;
        let (mut seq, mut prev): (i64, String) = match head {
            Some(row) => (row.try_get(0)?, row.try_get(1)?),
            None => (0, GENESIS.to_owned()),
        };
        let fresh: Vec<(&Event, &String, &String, i64)> = events
            .iter()
            .zip(hashes)
            .zip(bodies)
            .zip(is_new)
            .zip(at_us)
            .filter(|((_, new), _)| **new)
            .map(|((((e, hash), body), _), at)| (e, hash, body, *at))
            .collect();
        let mut touched: Vec<String> = Vec::new();
        let mut by_case: HashMap<&str, Vec<(i64, &Event)>> = HashMap::new();
        for chunk in fresh.chunks(INSERT_CHUNK) {
            let sql = format!(
                "INSERT INTO events (seq, id, case_id, type, subject, at_us, recorded_at_us, unit, officer, body, content_hash, prev_hash, hash) VALUES {}",
                row_placeholders(chunk.len(), 13)
            );
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for (e, content_hash, body, recorded_at_us) in chunk {
                seq += 1;
                let hash = link_hash(&prev, seq, *recorded_at_us, content_hash);
                q = q
                    .bind(seq)
                    .bind(e.id.to_string())
                    .bind(e.case.to_string())
                    .bind(e.event_type.to_string())
                    .bind(e.subject.as_ref().map(ToString::to_string))
                    .bind(to_micros(e.at))
                    .bind(*recorded_at_us)
                    .bind(e.unit.as_ref().map(ToString::to_string))
                    .bind(e.officer.as_ref().map(ToString::to_string))
                    .bind((*body).clone())
                    .bind((*content_hash).clone())
                    .bind(std::mem::replace(&mut prev, hash.clone()))
                    .bind(hash);
                let of_case = by_case.entry(e.case.as_str()).or_default();
                if of_case.is_empty() {
                    touched.push(e.case.to_string());
                }
                of_case.push((seq, *e));
            }
            q.execute(&mut **tx).await?;
        }
        self.rebuild_cases(tx, &touched, now, "event", &by_case)
            .await?;
        Ok(touched.len() as u64)
    }

    async fn verify_impl(
        &self,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<VerifyReport, StoreError> {
        let mut expected_seq = 1i64;
        let mut prev = GENESIS.to_owned();
        let mut n = 0u64;
        loop {
            let rows = sqlx::query(
                "SELECT seq, id, case_id, type, subject, at_us, recorded_at_us, unit, officer, body, content_hash, prev_hash, hash \
                 FROM events WHERE seq >= $1 ORDER BY seq LIMIT $2",
            )
            .bind(expected_seq)
            .bind(VERIFY_PAGE)
            .fetch_all(&self.pool)
            .await?;
            if rows.is_empty() {
                break;
            }
            for row in &rows {
                let seq: i64 = row.try_get(0)?;
                let id: String = row.try_get(1)?;
                let broken = |reason: String| BrokenLink {
                    seq,
                    id: id.clone(),
                    reason,
                };
                if let Some(reason) = check_link(row, expected_seq, &prev)? {
                    return Ok(VerifyReport {
                        n_events: n,
                        head: None,
                        broken: Some(broken(reason)),
                    });
                }
                prev = row.try_get(12)?;
                expected_seq = seq + 1;
                n += 1;
            }
            progress(n);
        }
        Ok(VerifyReport {
            n_events: n,
            head: (n > 0).then_some(prev),
            broken: None,
        })
    }

    async fn replay_impl(
        &self,
        now: Timestamp,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<ReplayReport, StoreError> {
        let _writer = self.write.lock().await;
        let mut tx = begin_write(&self.pool).await?;
        sqlx::query("DELETE FROM cases").execute(&mut *tx).await?;
        let mut last = String::new();
        let mut n_cases = 0u64;
        let mut n_events = 0u64;
        loop {
            let ids: Vec<String> = sqlx::query(
                "SELECT DISTINCT case_id FROM events WHERE case_id > $1 ORDER BY case_id LIMIT $2",
            )
            .bind(last.clone())
            .bind(CASE_CHUNK as i64 * 5)
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(|r| r.try_get::<String, _>(0))
            .collect::<Result<_, _>>()?;
            let Some(tail) = ids.last() else { break };
            last.clone_from(tail);
            n_events += self
                .rebuild_cases(&mut tx, &ids, now, "replay", &HashMap::new())
                .await?
                .0;
            n_cases += ids.len() as u64;
            progress(n_cases);
        }
        tx.commit().await?;
        self.wrote();
        Ok(ReplayReport { n_events, n_cases })
    }

    fn calendar(&self) -> Arc<Calendar> {
        match self.calendar.read() {
            Ok(c) => Arc::clone(&c),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    fn set_calendar(&self, cal: Calendar) {
        match self.calendar.write() {
            Ok(mut c) => *c = Arc::new(cal),
            Err(poisoned) => *poisoned.into_inner() = Arc::new(cal),
        }
    }

    /// Loads the holiday calendar, first adding every shipped year the database lacks.
    async fn load_calendar(&self) -> Result<(), StoreError> {
        let shipped = Calendar::standard();
        let rows =
            sqlx::query("SELECT year, rest_days, makeup_days FROM calendar_years ORDER BY year")
                .fetch_all(&self.pool)
                .await?;
        let mut cal = Calendar::empty();
        let mut stored = HashSet::new();
        for r in &rows {
            let year: i32 = r
                .try_get::<i64, _>(0)
                .map(|y| i32::try_from(y).unwrap_or(0))
                .or_else(|_| r.try_get::<i32, _>(0))?;
            let rest: String = r.try_get(1)?;
            let makeup: String = r.try_get(2)?;
            let parse = |text: &str| -> Result<Vec<jiff::civil::Date>, StoreError> {
                let list: Vec<String> = serde_json::from_str(text)
                    .map_err(|e| corrupt(format!("calendar_years.year={year}"), e.to_string()))?;
                list.iter()
                    .map(|d| {
                        d.parse().map_err(|_| {
                            corrupt(
                                format!("calendar_years.year={year}"),
                                format!("bad date `{d}`"),
                            )
                        })
                    })
                    .collect()
            };
            cal.add_year(year, parse(&rest)?, parse(&makeup)?)
                .map_err(|e| corrupt(format!("calendar_years.year={year}"), e.to_string()))?;
            stored.insert(year);
        }
        for year in shipped.years() {
            if stored.contains(&year) {
                continue;
            }
            if let Some((rest, makeup)) = shipped.year(year) {
                self.write_calendar_year(year, &rest, &makeup, "shipped")
                    .await?;
                cal.add_year(year, rest, makeup)
                    .map_err(|e| corrupt("calendar", e.to_string()))?;
            }
        }
        self.set_calendar(cal);
        Ok(())
    }

    async fn write_calendar_year(
        &self,
        year: i32,
        rest: &[jiff::civil::Date],
        makeup: &[jiff::civil::Date],
        source: &str,
    ) -> Result<(), StoreError> {
        let to_json = |d: &[jiff::civil::Date]| {
            serde_json::to_string(&d.iter().map(ToString::to_string).collect::<Vec<_>>())
                .unwrap_or_else(|_| "[]".into())
        };
        let mut tx = begin_write(&self.pool).await?;
        sqlx::query(
            "INSERT INTO calendar_years (year, rest_days, makeup_days, source, updated_at_us) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (year) DO UPDATE SET rest_days = excluded.rest_days, makeup_days = excluded.makeup_days, \
             source = excluded.source, updated_at_us = excluded.updated_at_us",
        )
        .bind(year)
        .bind(to_json(rest))
        .bind(to_json(makeup))
        .bind(source.to_owned())
        .bind(to_micros(Timestamp::now()))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn put_calendar_year_impl(
        &self,
        year: i32,
        rest: Vec<jiff::civil::Date>,
        makeup: Vec<jiff::civil::Date>,
        source: &str,
    ) -> Result<(), StoreError> {
        let mut cal = (*self.calendar()).clone();
        cal.add_year(year, rest.clone(), makeup.clone())
            .map_err(|e| StoreError::Invalid(e.to_string()))?;
        let _writer = self.write.lock().await;
        self.write_calendar_year(year, &rest, &makeup, source)
            .await?;
        self.set_calendar(cal);
        Ok(())
    }

    /// Brings the timer's mark to `now` ([`Self::advance_mark`]: every transition of an open
    /// clock due by then goes into the history and the counts), then evaluates in full the cases
    /// whose future-dated events have come due.
    async fn advance_timers_impl(&self, now: Timestamp) -> Result<TimerOutcome, StoreError> {
        let now_us = to_micros(now);
        let mut out = TimerOutcome {
            transitioned: self.advance_mark_to(now_us).await?,
            ..TimerOutcome::default()
        };
        loop {
            let _writer = self.write.lock().await;
            let mut tx = begin_write(&self.pool).await?;
            // Cases whose future-dated events have come due are evaluated in full.
            let due_cases: Vec<String> = sqlx::query("SELECT case_id FROM cases WHERE reeval_at_us IS NOT NULL AND reeval_at_us <= $1 LIMIT 500")
                .bind(now_us)
                .fetch_all(&mut *tx)
                .await?
                .iter()
                .map(|r| r.try_get::<String, _>(0))
                .collect::<Result<_, _>>()?;
            if due_cases.is_empty() {
                break;
            }
            self.rebuild_cases(&mut tx, &due_cases, now, "timer", &HashMap::new())
                .await?;
            out.cases_reevaluated += due_cases.len() as u64;
            tx.commit().await?;
            self.wrote();
            if due_cases.len() < 500 {
                break;
            }
        }
        Ok(out)
    }

    /// [`Self::advance_mark`] in a write transaction of its own; returns how many clocks changed
    /// state. A pass that moves none is not committed: a mark with no transition between it
    /// and `now_us` gives every row the same state as `now_us` would, and an idle server's
    /// wake-ups then write nothing.
    async fn advance_mark_to(&self, now_us: i64) -> Result<u64, StoreError> {
        let _writer = self.write.lock().await;
        let mut tx = begin_write(&self.pool).await?;
        let (_, moved) = Self::advance_mark(&mut tx, now_us).await?;
        if moved > 0 {
            tx.commit().await?;
            self.wrote();
        } else {
            tx.rollback().await?;
        }
        Ok(moved)
    }

    /// Moves the timer's mark from where it stands to `now_us`, if that is later, inside a
    /// write transaction; returns the mark it leaves and how many clocks changed state.
    ///
    /// A clock stored `open` changes state when its warning or due instant passes, and its row
    /// says so without being written ([`state_at`]); what the timer writes is the history (each
    /// transition at the instant it took effect, a clock past both instants getting both rows),
    /// the counts, and the mark. The clocks are found through the indexes of the open clocks'
    /// warning and due instants, which only evaluations write, so a burst of transitions rewrites
    /// no finding. Every writer of `findings` calls this first, under the write lock, so the mark
    /// never moves past a transition that is not yet written, and a transition is written once
    /// whichever writer or server comes first.
    async fn advance_mark(
        tx: &mut Transaction<'_, Db>,
        now_us: i64,
    ) -> Result<(i64, u64), StoreError> {
        // An open clock whose warning instant, or whose due, is in (from, to].
        let warns_in = |from: &str, to: &str| {
            format!("state = 'open' AND warn_us > {from} AND warn_us <= {to}")
        };
        let dues_in = |from: &str, to: &str| {
            format!("state = 'open' AND due_us > {from} AND due_us <= {to}")
        };
        // Most calls are a live writer's, a few milliseconds after the last, with no clock due
        // in between: one statement moves the mark then.
        let quiet = sqlx::query(AssertSqlSafe(format!(
            "UPDATE timer_mark SET at_us = $1 WHERE id = 1 AND at_us < $1 \
             AND NOT EXISTS (SELECT 1 FROM {FINDINGS_BY_WARN} WHERE {}) \
             AND NOT EXISTS (SELECT 1 FROM {FINDINGS_BY_DUE} WHERE {})",
            warns_in("timer_mark.at_us", "$1"),
            dues_in("timer_mark.at_us", "$1"),
        )))
        .bind(now_us)
        .execute(&mut **tx)
        .await?
        .rows_affected();
        if quiet == 1 {
            return Ok((now_us, 0));
        }
        // The mark stands at or after `now_us`, or clocks move.
        let old: i64 = sqlx::query("SELECT at_us FROM timer_mark WHERE id = 1")
            .fetch_one(&mut **tx)
            .await?
            .try_get(0)?;
        if now_us <= old {
            return Ok((old, 0));
        }
        // From here `$1` is the old mark and `$2` the new one.
        let (warns, dues) = (warns_in("$1", "$2"), dues_in("$1", "$2"));
        // A clock that warns at its due only becomes overdue.
        for sql in [
            format!(
                "INSERT INTO finding_history (case_id, rule, subject, ref, state, at_us, recorded_at_us, cause) \
                 SELECT case_id, rule, subject, ref, 'warning', warn_us, $2, 'timer' FROM {FINDINGS_BY_WARN} \
                 WHERE {warns} AND warn_us < due_us"
            ),
            format!(
                "INSERT INTO finding_history (case_id, rule, subject, ref, state, at_us, recorded_at_us, cause) \
                 SELECT case_id, rule, subject, ref, 'overdue', due_us, $2, 'timer' FROM {FINDINGS_BY_DUE} \
                 WHERE {dues}"
            ),
        ] {
            sqlx::query(AssertSqlSafe(sql))
                .bind(old)
                .bind(now_us)
                .execute(&mut **tx)
                .await?;
        }
        // The counts move from each clock's state as of the old mark to its state now. The two
        // sets are disjoint: those whose warning instant passed, and those whose due alone did.
        let (from, to) = (state_sql_at("", "$1"), state_sql_at("", "$2"));
        let mut counts = CountDelta::default();
        let mut moved = 0u64;
        for (table, condition) in [
            (FINDINGS_BY_WARN, warns),
            (FINDINGS_BY_DUE, format!("{dues} AND warn_us <= $1")),
        ] {
            let groups = sqlx::query(AssertSqlSafe(format!(
                "SELECT unit, rule, unit_path, {from}, {to}, COUNT(*) FROM {table} \
                 WHERE {condition} GROUP BY unit, rule, unit_path, 4, 5"
            )))
            .bind(old)
            .bind(now_us)
            .fetch_all(&mut **tx)
            .await?;
            for r in &groups {
                let (unit, rule, path): (Option<String>, String, Option<String>) =
                    (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?);
                let (was, is, n): (String, String, i64) =
                    (r.try_get(3)?, r.try_get(4)?, r.try_get(5)?);
                counts.add(unit.as_deref(), &rule, &was, path.as_deref(), -n);
                counts.add(unit.as_deref(), &rule, &is, path.as_deref(), n);
                moved += u64::try_from(n).unwrap_or(0);
            }
        }
        counts.apply(tx).await?;
        Self::set_mark(tx, now_us).await?;
        Ok((now_us, moved))
    }

    async fn set_mark(tx: &mut Transaction<'_, Db>, at_us: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE timer_mark SET at_us = $1 WHERE id = 1")
            .bind(at_us)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    async fn next_wakeup_impl(&self) -> Result<Option<Timestamp>, StoreError> {
        let mut next: Vec<i64> = Vec::new();
        for sql in [
            format!("SELECT MIN(warn_us) FROM {FINDINGS_BY_WARN} WHERE state = 'open' AND warn_us > {MARK}"),
            format!("SELECT MIN(due_us) FROM {FINDINGS_BY_DUE} WHERE state = 'open' AND due_us > {MARK}"),
            "SELECT MIN(reeval_at_us) FROM cases WHERE reeval_at_us IS NOT NULL".to_owned(),
        ] {
            let at: Option<i64> = sqlx::query(AssertSqlSafe(sql))
                .fetch_one(&self.pool)
                .await?
                .try_get(0)?;
            next.extend(at);
        }
        Ok(next
            .into_iter()
            .min()
            .and_then(casewatch_core::time::from_micros))
    }

    /// Evaluates every case again: in chunks, each in its own write transaction. Each case's
    /// binary history is decoded and evaluated on every core without explanations; only a case
    /// whose findings' digest differs from the stored one is evaluated in full and compared row by
    /// row, and only findings and coverage figures that change are written (the ledger does not
    /// depend on the pack and is not rewritten). A case stored before binary histories existed is
    /// read from the log once and gets its history stored.
    async fn reevaluate_impl(
        &self,
        now: Timestamp,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<ReevaluateReport, StoreError> {
        let cx = Arc::new(self.reeval_context().await?);
        let now_us = to_micros(now);
        let mut last = String::new();
        let mut report = ReevaluateReport::default();
        // Reading a chunk overlaps the evaluation of the one before: each transaction reads the
        // next chunk, sets it evaluating, then writes what the previous chunk's evaluation found.
        // A case appended to between its read and that write was rebuilt by its writer, with
        // the same pack, and is left as that writer left it (its `last_seq` tells).
        type Evaluation = tokio::task::JoinHandle<Result<Vec<ReevalOutput>, StoreError>>;
        let mut pending: Option<(Evaluation, u64)> = None;
        let mut exhausted = false;
        // One connection for every chunk: its page cache stays valid from one chunk to the next
        // (a pooled connection per chunk began with an emptied cache and read every page back,
        // allocating and freeing them through the C heap).
        let mut conn = self.pool.acquire().await?;
        loop {
            let _writer = self.write.lock().await;
            let mut tx = begin_write_on(&mut conn).await?;
            let mut next: Option<(Evaluation, u64)> = None;
            if !exhausted {
                let cases = Self::read_reeval_chunk(&mut tx, &last).await?;
                match cases.last() {
                    None => exhausted = true,
                    Some(tail) => {
                        last.clone_from(&tail.head.case_id);
                        let n = cases.len() as u64;
                        let shared = Arc::clone(&cx);
                        next = Some((
                            tokio::task::spawn_blocking(move || {
                                reevaluate_on_every_core(&shared, cases, now)
                            }),
                            n,
                        ));
                    }
                }
            }
            let Some((evaluation, n)) = pending.take() else {
                tx.commit().await?;
                match next {
                    Some(p) => {
                        pending = Some(p);
                        continue;
                    }
                    None => break,
                }
            };
            let outputs = evaluation
                .await
                .map_err(|e| corrupt("reevaluate", format!("evaluation stopped: {e}")))??;
            report.n_changed += Self::write_reevaluated(&mut tx, outputs, &cx, now_us).await?;
            tx.commit().await?;
            self.wrote();
            report.n_cases += n;
            progress(report.n_cases);
            pending = next;
            if pending.is_none() && exhausted {
                break;
            }
        }
        Ok(report)
    }

    /// What every evaluation of a re-evaluation pass shares: the pack, the calendar and every
    /// registered unit's path.
    async fn reeval_context(&self) -> Result<ReevalContext, StoreError> {
        let (pack, cal) = (Arc::clone(&self.pack), self.calendar());
        let paths: HashMap<String, String> = sqlx::query("SELECT id, path FROM units")
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect::<Result<_, sqlx::Error>>()?;
        Ok(ReevalContext {
            fp: crate::digest::Fingerprints::new(&pack, &cal),
            watched: casewatch_engine::coverage::watched_types(&pack),
            pack,
            cal,
            paths,
        })
    }

    /// Writes what re-evaluation found for cases (inside the caller's write transaction): the
    /// digest, coverage and new history of each case's row and the findings that changed. A case
    /// appended to since it was read was rebuilt by its writer, with the same pack, and is left as
    /// that writer left it (its `last_seq` tells). Returns how many findings changed.
    async fn write_reevaluated(
        tx: &mut Transaction<'_, Db>,
        outputs: Vec<ReevalOutput>,
        cx: &ReevalContext,
        now_us: i64,
    ) -> Result<u64, StoreError> {
        let current = Self::last_seqs(tx, &outputs).await?;
        let mut evaluated = Vec::new();
        for out in outputs {
            if current.get(&out.case_id) != Some(&out.last_seq) {
                continue;
            }
            let (steps, covered) = out.coverage_changed.unzip();
            sqlx::query("UPDATE cases SET fdigest = $1, n_steps = COALESCE($2, n_steps), n_covered = COALESCE($3, n_covered), history = COALESCE($4, history) WHERE case_id = $5")
                .bind(out.fdigest)
                .bind(steps)
                .bind(covered)
                .bind(out.history)
                .bind(out.case_id.clone())
                .execute(&mut **tx)
                .await?;
            if let Some(findings) = out.findings {
                evaluated.push((out.case_id, out.unit, findings));
            }
        }
        Self::write_findings(tx, &evaluated, &cx.paths, now_us, "reevaluate").await
    }

    /// The next chunk of cases to re-evaluate after `last`, with their binary histories (read
    /// from the log for a case that has none stored).
    async fn read_reeval_chunk(
        tx: &mut Transaction<'_, Db>,
        last: &str,
    ) -> Result<Vec<ReevalInput>, StoreError> {
        // Streamed, not fetched whole: each row (a copy of its history made by SQLite's
        // allocator) is dropped as soon as it is converted, so the chunk's megabytes are not
        // held twice and the C heap does not shrink and grow again on every chunk
        // (`docs/performance-notes.md`, seventh round).
        let mut rows = sqlx::query("SELECT case_id, last_seq, unit, n_steps, n_covered, fdigest, history FROM cases WHERE case_id > $1 ORDER BY case_id LIMIT $2")
            .bind(last.to_owned())
            .bind(REEVALUATE_CHUNK as i64)
            .fetch(&mut **tx);
        let mut cases = Vec::with_capacity(REEVALUATE_CHUNK);
        while let Some(r) = rows.try_next().await? {
            let history: Option<Vec<u8>> = r.try_get(6)?;
            cases.push(ReevalInput {
                head: ReevalHead {
                    case_id: r.try_get(0)?,
                    last_seq: r.try_get(1)?,
                    unit: r.try_get(2)?,
                    steps: r.try_get(3)?,
                    covered: r.try_get(4)?,
                    fdigest: r.try_get(5)?,
                },
                history_is_new: history.is_none(),
                history: history.unwrap_or_default(),
            });
        }
        drop(rows);
        Self::histories_from_log(tx, &mut cases).await?;
        Ok(cases)
    }

    /// Builds the binary history, from the log, of every case of `cases` that had none stored
    /// (`history_is_new`: stored before binary histories existed).
    async fn histories_from_log(
        tx: &mut Transaction<'_, Db>,
        cases: &mut [ReevalInput],
    ) -> Result<(), StoreError> {
        let without_history: Vec<(String, usize)> = cases
            .iter()
            .enumerate()
            .filter(|(_, c)| c.history_is_new)
            .map(|(i, c)| (c.head.case_id.clone(), i))
            .collect();
        for chunk in without_history.chunks(CASE_CHUNK) {
            let ids: Vec<String> = chunk.iter().map(|(id, _)| id.clone()).collect();
            let index: HashMap<&str, usize> =
                chunk.iter().map(|(id, i)| (id.as_str(), *i)).collect();
            for (case_id, last_seq, events) in Self::load_cases(tx, &ids).await? {
                if let Some(c) = index.get(case_id.as_str()).and_then(|i| cases.get_mut(*i)) {
                    c.history = binary::encode(&events);
                    c.head.last_seq = last_seq;
                }
            }
        }
        Ok(())
    }

    /// The current `last_seq` of the cases of `outputs`.
    async fn last_seqs(
        tx: &mut Transaction<'_, Db>,
        outputs: &[ReevalOutput],
    ) -> Result<HashMap<String, i64>, StoreError> {
        let mut out = HashMap::with_capacity(outputs.len());
        for chunk in outputs.chunks(LOOKUP_CHUNK) {
            let sql = format!(
                "SELECT case_id, last_seq FROM cases WHERE case_id IN ({})",
                placeholders(1, chunk.len())
            );
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for o in chunk {
                q = q.bind(o.case_id.clone());
            }
            for row in q.fetch_all(&mut **tx).await? {
                out.insert(row.try_get(0)?, row.try_get(1)?);
            }
        }
        Ok(out)
    }

    async fn list_findings_impl(
        &self,
        query: &FindingQuery,
    ) -> Result<Page<FindingRow>, StoreError> {
        let mut clauses: Vec<String> = Vec::new();
        let mut binds: Vec<(Option<String>, Option<i64>)> = Vec::new();
        for (col, val) in [
            ("rule", &query.rule),
            ("unit", &query.unit),
            ("officer", &query.officer),
            ("case_id", &query.case_id),
        ] {
            if let Some(v) = val {
                binds.push((Some(v.clone()), None));
                clauses.push(format!("{col} = {}", param(binds.len())));
            }
        }
        if let Some(kind) = &query.case_kind {
            binds.push((Some(kind.clone()), None));
            clauses.push(format!(
                "case_id IN (SELECT case_id FROM cases WHERE kind = {})",
                param(binds.len())
            ));
        }
        if let Some(b) = query.due_before_us {
            binds.push((None, Some(b)));
            clauses.push(format!("due_us < {}", param(binds.len())));
        }
        if let Some(a) = query.due_after_us {
            binds.push((None, Some(a)));
            clauses.push(format!("due_us >= {}", param(binds.len())));
        }
        if let Some(under) = query.unit_under.as_deref() {
            let (condition, values) = subtree_condition("unit_path", under, binds.len() + 1)?;
            binds.extend(values.into_iter().map(|v| (Some(v), None)));
            clauses.push(condition);
        }
        if let Some(scope) = &query.scope {
            let (condition, values) = scope.sql(DIALECT, "unit_path", binds.len() + 1, param);
            binds.extend(values.into_iter().map(|v| (Some(v), None)));
            clauses.push(condition);
        }
        // The states come last, and differ between the two tables: `finding_counts` holds the
        // states as of the mark, `findings` the stored ones, from which a condition on the
        // instants tells them ([`states_condition`]). Only the counts' form binds parameters.
        let mut count_clauses = clauses.clone();
        let mut count_binds = binds.clone();
        if !query.states.is_empty() {
            let mut ph = Vec::new();
            for st in &query.states {
                count_binds.push((Some(st.clone()), None));
                ph.push(param(count_binds.len()));
            }
            count_clauses.push(format!("state IN ({})", ph.join(",")));
            clauses.push(states_condition(&query.states));
            // Implied by the states: it lets the query walk the alert index.
            clauses.extend(alert_index_term(query.states.iter().map(String::as_str)).map(str::to_owned));
        }
        let where_of = |clauses: &[String]| {
            if clauses.is_empty() {
                String::new()
            } else {
                format!("WHERE {}", clauses.join(" AND "))
            }
        };
        let (where_sql, count_where) = (where_of(&clauses), where_of(&count_clauses));
        // Filters by state, rule, unit and subtree alone are counted in `finding_counts`, whose
        // columns have the same names; the others count the matching findings.
        let counted = query.officer.is_none()
            && query.case_id.is_none()
            && query.case_kind.is_none()
            && query.due_before_us.is_none()
            && query.due_after_us.is_none();
        let mut count = sqlx::query(AssertSqlSafe(if counted {
            format!("SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM finding_counts {count_where}")
        } else {
            format!("SELECT COUNT(*) FROM findings {where_sql}")
        }));
        for (s, i) in if counted { &count_binds } else { &binds } {
            count = match (s, i) {
                (Some(s), _) => count.bind(s.clone()),
                (None, i) => count.bind(*i),
            };
        }
        let total: i64 = count.fetch_one(&self.pool).await?.try_get(0)?;
        let per_page = query.per_page.clamp(1, 200);
        let page = query.page.max(1);
        let offset = i64::from(page - 1) * i64::from(per_page);
        if counted && query.rule.is_none() && query.unit.is_none() {
            let pairs = self
                .alert_pairs(&count_where, &count_binds, offset + i64::from(per_page))
                .await?;
            if let Some(pairs) = pairs {
                let items = self
                    .list_by_pairs(&pairs, offset, i64::from(per_page))
                    .await?;
                return Ok(Page {
                    items,
                    total: u64::try_from(total).unwrap_or(0),
                    page,
                    per_page,
                });
            }
        }
        // A deferred join: the page's keys are chosen and sorted from the covering index
        // (`findings_state_path`, or another whose columns suffice) and only that page's rows are
        // read, instead of sorting every matching row with its explanation.
        let sql = format!(
            "SELECT {} FROM findings f JOIN (SELECT case_id, rule, subject, ref, due_us FROM findings {where_sql} \
             ORDER BY CASE WHEN due_us IS NULL THEN 1 ELSE 0 END, due_us, case_id, rule, subject, ref LIMIT {} OFFSET {}) k \
             ON f.case_id = k.case_id AND f.rule = k.rule AND f.subject = k.subject AND f.ref = k.ref \
             ORDER BY CASE WHEN k.due_us IS NULL THEN 1 ELSE 0 END, k.due_us, k.case_id, k.rule, k.subject, k.ref",
            finding_select("f."),
            param(binds.len() + 1),
            param(binds.len() + 2)
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for (s, i) in &binds {
            q = match (s, i) {
                (Some(s), _) => q.bind(s.clone()),
                (None, i) => q.bind(*i),
            };
        }
        let rows = q
            .bind(i64::from(per_page))
            .bind(i64::from(page - 1) * i64::from(per_page))
            .fetch_all(&self.pool)
            .await?;
        let items = rows
            .iter()
            .map(finding_row)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Page {
            items,
            total: u64::try_from(total).unwrap_or(0),
            page,
            per_page,
        })
    }

    /// The (state, unit path) pairs holding the findings a list filtered by state and subtree or
    /// scope alone (`where_sql` over `finding_counts`) can show, when walking each pair's keys in
    /// due order beats sorting them all: at most 64 pairs, every path registered (a finding of
    /// an unregistered unit has no path to walk) and a page no deeper than 1,000 rows.
    async fn alert_pairs(
        &self,
        where_sql: &str,
        binds: &[(Option<String>, Option<i64>)],
        depth: i64,
    ) -> Result<Option<Vec<(String, String)>>, StoreError> {
        if where_sql.is_empty() || depth > 1000 {
            return Ok(None);
        }
        let mut q = sqlx::query(AssertSqlSafe(format!(
            "SELECT state, unit_path FROM finding_counts {where_sql} GROUP BY state, unit_path HAVING SUM(n) > 0"
        )));
        for (s, i) in binds {
            q = match (s, i) {
                (Some(s), _) => q.bind(s.clone()),
                (None, i) => q.bind(*i),
            };
        }
        let mut pairs = Vec::new();
        for r in q.fetch_all(&self.pool).await? {
            let (state, path): (String, String) = (r.try_get(0)?, r.try_get(1)?);
            if path.is_empty() || pairs.len() == 64 {
                return Ok(None);
            }
            pairs.push((state, path));
        }
        Ok(Some(pairs))
    }

    /// One page of the findings of the given (state, unit path) pairs sorted by due: the first
    /// `offset + limit` keys of each pair in index order (`findings_state_path`: within a pair the
    /// unit is fixed, so its order is the list's), merged and cut to the page. Findings without
    /// a due come last, as in the list.
    async fn list_by_pairs(
        &self,
        pairs: &[(String, String)],
        offset: i64,
        limit: i64,
    ) -> Result<Vec<FindingRow>, StoreError> {
        if pairs.is_empty() {
            return Ok(Vec::new());
        }
        let depth = offset + limit;
        let mut parts = Vec::with_capacity(pairs.len() * 2);
        // The unit path each part binds, in order.
        let mut binds: Vec<&str> = Vec::with_capacity(pairs.len() * 2);
        for (state, path) in pairs {
            // A pair of an unsettled state walks the alert index, whose condition the query
            // must state in so many words for SQLite to use it; a settled one (most findings of
            // the pair's unit) walks the unit's findings in due order and skips the others.
            let indexed = alert_index_term(std::iter::once(state.as_str()))
                .map(|term| format!(" AND {term}"))
                .unwrap_or_default();
            // Each arm of the state's condition is a range of the index of its own.
            for arm in state_arms(state) {
                for (cond, order) in [
                    ("due_us IS NOT NULL", "due_us, unit, case_id, rule, subject, ref"),
                    ("due_us IS NULL", "unit, case_id, rule, subject, ref"),
                ] {
                    binds.push(path);
                    let (n, p) = (binds.len(), param(binds.len()));
                    parts.push(format!(
                        "SELECT * FROM (SELECT case_id, rule, subject, ref, due_us FROM findings \
                         WHERE {arm} AND unit_path = {p} AND {cond}{indexed} ORDER BY {order} LIMIT {depth}) b{n}"
                    ));
                }
            }
        }
        let sql = format!(
            "SELECT {} FROM findings f JOIN ({}) k \
             ON f.case_id = k.case_id AND f.rule = k.rule AND f.subject = k.subject AND f.ref = k.ref \
             ORDER BY CASE WHEN k.due_us IS NULL THEN 1 ELSE 0 END, k.due_us, k.case_id, k.rule, k.subject, k.ref \
             LIMIT {limit} OFFSET {offset}",
            finding_select("f."),
            parts.join(" UNION ALL ")
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for path in binds {
            q = q.bind(path.to_owned());
        }
        let rows = q.fetch_all(&self.pool).await?;
        Ok(rows
            .iter()
            .map(finding_row)
            .collect::<Result<Vec<_>, _>>()?)
    }

    async fn case_findings_impl(&self, case_id: &str) -> Result<Vec<FindingRow>, StoreError> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {} FROM findings WHERE case_id = $1 ORDER BY subject, rule, started_us, ref",
            finding_select("")
        )))
        .bind(case_id.to_owned())
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(finding_row)
            .collect::<Result<Vec<_>, _>>()?)
    }

    async fn finding_summary_impl(
        &self,
        states: &[String],
        under: Option<&str>,
        scope: Option<&casewatch_authz::Scope>,
    ) -> Result<Vec<SummaryRow>, StoreError> {
        let mut clauses: Vec<String> = Vec::new();
        let mut binds: Vec<String> = states.to_vec();
        if !states.is_empty() {
            clauses.push(format!("state IN ({})", placeholders(1, states.len())));
        }
        if let Some(under) = under {
            let (condition, values) = subtree_condition("unit_path", under, binds.len() + 1)?;
            binds.extend(values);
            clauses.push(condition);
        }
        if let Some(scope) = scope {
            let (condition, values) = scope.sql(DIALECT, "unit_path", binds.len() + 1, param);
            binds.extend(values);
            clauses.push(condition);
        }
        let where_sql = if clauses.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", clauses.join(" AND "))
        };
        let mut q = sqlx::query(AssertSqlSafe(format!(
            "SELECT NULLIF(unit, ''), state, CAST(SUM(n) AS BIGINT) FROM finding_counts {where_sql} \
             GROUP BY unit, state HAVING SUM(n) > 0 ORDER BY unit, state"
        )));
        for b in binds {
            q = q.bind(b);
        }
        let rows = q.fetch_all(&self.pool).await?;
        Ok(rows
            .iter()
            .map(|r| {
                Ok(SummaryRow {
                    unit: r.try_get(0)?,
                    state: r.try_get(1)?,
                    count: r.try_get(2)?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?)
    }

    async fn finding_history_impl(
        &self,
        case_id: &str,
        rule: &str,
        subject: Option<&str>,
        reference: &str,
    ) -> Result<Vec<(String, i64, String)>, StoreError> {
        let rows = sqlx::query(
            "SELECT state, at_us, cause FROM finding_history WHERE case_id = $1 AND rule = $2 AND subject = $3 AND ref = $4 ORDER BY id",
        )
        .bind(case_id.to_owned())
        .bind(rule.to_owned())
        .bind(subject.unwrap_or_default().to_owned())
        .bind(reference.to_owned())
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
            .collect::<Result<Vec<_>, sqlx::Error>>()?)
    }

    /// The `WHERE` conditions and binds of a [`StatsQuery`] over the unit path column `col`,
    /// numbering placeholders from `first`.
    fn stats_conditions(
        query: &StatsQuery,
        state_col: &str,
        path_col: &str,
        first: usize,
    ) -> Result<(Vec<String>, Vec<String>), StoreError> {
        let mut clauses = Vec::new();
        let mut binds: Vec<String> = Vec::new();
        if !query.states.is_empty() {
            clauses.push(format!(
                "{state_col} IN ({})",
                placeholders(first, query.states.len())
            ));
            binds.extend(query.states.iter().cloned());
        }
        if let Some(under) = query.unit_under.as_deref() {
            let (condition, values) = subtree_condition(path_col, under, first + binds.len())?;
            binds.extend(values);
            clauses.push(condition);
        }
        if let Some(scope) = &query.scope {
            let (condition, values) = scope.sql(DIALECT, path_col, first + binds.len(), param);
            binds.extend(values);
            clauses.push(condition);
        }
        Ok((clauses, binds))
    }

    async fn transitions_by_day_impl(
        &self,
        from_us: i64,
        to_us: i64,
        query: &StatsQuery,
    ) -> Result<Vec<DayCount>, StoreError> {
        // The calendar day in +08:00, as days since 1970-01-01: integer division, the same on
        // both databases (instants are after 1970, so truncation is the floor).
        const DAY: &str = "(h.at_us + 28800000000) / 86400000000";
        let (mut clauses, binds) = Self::stats_conditions(query, "h.state", "f.unit_path", 3)?;
        clauses.insert(
            0,
            format!("h.at_us >= {} AND h.at_us < {}", param(1), param(2)),
        );
        let sql = format!(
            "SELECT {DAY}, h.state, COUNT(*) FROM finding_history h \
             JOIN findings f ON f.case_id = h.case_id AND f.rule = h.rule AND f.subject = h.subject AND f.ref = h.ref \
             WHERE {} GROUP BY {DAY}, h.state ORDER BY 1, 2",
            clauses.join(" AND ")
        );
        let mut q = sqlx::query(AssertSqlSafe(sql)).bind(from_us).bind(to_us);
        for b in binds {
            q = q.bind(b);
        }
        let rows = q.fetch_all(&self.pool).await?;
        Ok(rows
            .iter()
            .map(|r| {
                Ok(DayCount {
                    day: r.try_get(0)?,
                    state: r.try_get(1)?,
                    count: r.try_get(2)?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?)
    }

    async fn findings_by_rule_impl(
        &self,
        query: &StatsQuery,
    ) -> Result<Vec<RuleCount>, StoreError> {
        let (clauses, binds) = Self::stats_conditions(query, "state", "unit_path", 1)?;
        let where_sql = if clauses.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", clauses.join(" AND "))
        };
        let mut q = sqlx::query(AssertSqlSafe(format!(
            "SELECT rule, state, CAST(SUM(n) AS BIGINT) FROM finding_counts {where_sql} \
             GROUP BY rule, state HAVING SUM(n) > 0 ORDER BY rule, state"
        )));
        for b in binds {
            q = q.bind(b);
        }
        let rows = q.fetch_all(&self.pool).await?;
        Ok(rows
            .iter()
            .map(|r| {
                Ok(RuleCount {
                    rule: r.try_get(0)?,
                    state: r.try_get(1)?,
                    count: r.try_get(2)?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?)
    }

    async fn case_histories_impl(
        &self,
        after: &str,
        limit: u32,
        scope: Option<&casewatch_authz::Scope>,
    ) -> Result<Vec<CaseHistory>, StoreError> {
        self.read_histories(Pick::After(after), limit, scope).await
    }

    /// Up to `limit` of the cases `pick` names, in id order, each with its events in evaluation
    /// order: from the binary history, or from the log for a case that has none stored.
    async fn read_histories(
        &self,
        pick: Pick<'_>,
        limit: u32,
        scope: Option<&casewatch_authz::Scope>,
    ) -> Result<Vec<CaseHistory>, StoreError> {
        let (condition, values) = match scope {
            Some(s) => s.sql(DIALECT, "unit_path", 2, param),
            None => ("1 = 1".to_owned(), Vec::new()),
        };
        let mut tx = self.pool.begin().await?;
        // Binds in the order of their placeholders in the text: SQLite's `?` are positional.
        let mut q = sqlx::query(AssertSqlSafe(format!(
            "SELECT case_id, unit, history FROM cases WHERE case_id {} {} AND {condition} ORDER BY case_id LIMIT {}",
            match pick {
                Pick::After(_) => ">",
                Pick::Only(_) => "=",
            },
            param(1),
            param(values.len() + 2)
        )))
        .bind(match pick {
            Pick::After(id) | Pick::Only(id) => id.to_owned(),
        });
        for v in values {
            q = q.bind(v);
        }
        let rows = q.bind(i64::from(limit)).fetch_all(&mut *tx).await?;
        let mut out = Vec::with_capacity(rows.len());
        // Cases without a stored binary history (stored before it existed) are read from the log.
        let mut from_log: Vec<(String, usize)> = Vec::new();
        for r in &rows {
            let case_id: String = r.try_get(0)?;
            let history: Option<Vec<u8>> = r.try_get(2)?;
            let events = match history {
                Some(blob) => binary::decode(&blob).map_err(|e| {
                    corrupt(format!("cases.case_id={case_id}.history"), e.to_string())
                })?,
                None => {
                    from_log.push((case_id.clone(), out.len()));
                    Vec::new()
                }
            };
            out.push(CaseHistory {
                case_id,
                unit: r.try_get(1)?,
                events,
            });
        }
        drop(rows);
        for chunk in from_log.chunks(CASE_CHUNK) {
            let ids: Vec<String> = chunk.iter().map(|(id, _)| id.clone()).collect();
            let index: HashMap<&str, usize> =
                chunk.iter().map(|(id, i)| (id.as_str(), *i)).collect();
            for (id, _, events) in Self::load_cases(&mut tx, &ids).await? {
                if let Some(c) = index.get(id.as_str()).and_then(|i| out.get_mut(*i)) {
                    c.events = events;
                }
            }
        }
        tx.commit().await?;
        for c in &mut out {
            casewatch_core::event::sort_by_instant(&mut c.events);
        }
        Ok(out)
    }

    async fn coverage_impl(
        &self,
        scope: Option<&casewatch_authz::Scope>,
    ) -> Result<CoverageReport, StoreError> {
        let (condition, values) = match scope {
            Some(s) => s.sql(DIALECT, "unit_path", 1, param),
            None => ("1 = 1".to_owned(), Vec::new()),
        };
        let mut q = sqlx::query(AssertSqlSafe(format!(
            "SELECT unit, COUNT(*), CAST(COALESCE(SUM(n_steps), 0) AS BIGINT), CAST(COALESCE(SUM(n_covered), 0) AS BIGINT) FROM cases WHERE {condition} GROUP BY unit ORDER BY unit"
        )));
        for v in &values {
            q = q.bind(v.clone());
        }
        let rows = q.fetch_all(&self.pool).await?;
        let mut units = Vec::new();
        for r in &rows {
            // SUM is NUMERIC in PostgreSQL: the query casts it back to BIGINT for both backends.
            let steps: i64 = r.try_get(2)?;
            let covered: i64 = r.try_get(3)?;
            units.push(UnitCoverage {
                unit: r.try_get(0)?,
                cases: r.try_get(1)?,
                steps,
                covered,
            });
        }
        let mut q = sqlx::query(AssertSqlSafe(format!(
            "SELECT COUNT(DISTINCT case_id) FROM findings WHERE {condition}"
        )));
        for v in values {
            q = q.bind(v);
        }
        let watched: i64 = q.fetch_one(&self.pool).await?.try_get(0)?;
        Ok(CoverageReport {
            cases: units.iter().map(|u| u.cases).sum(),
            cases_watched: watched,
            steps: units.iter().map(|u| u.steps).sum(),
            covered: units.iter().map(|u| u.covered).sum(),
            units,
        })
    }

    async fn list_cases_impl(&self, query: &CaseQuery) -> Result<Page<CaseSummary>, StoreError> {
        let mut clauses: Vec<String> = Vec::new();
        let mut binds: Vec<String> = Vec::new();
        for (col, val) in [
            ("unit", &query.unit),
            ("kind", &query.kind),
            ("stage", &query.stage),
        ] {
            if let Some(v) = val {
                binds.push(v.clone());
                clauses.push(format!("{col} = {}", param(binds.len())));
            }
        }
        if let Some(text) = query
            .text
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            let escaped = text
                .to_lowercase()
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            // Bound twice rather than referenced twice: SQLite's `?` cannot repeat a parameter.
            binds.push(format!("%{escaped}%"));
            binds.push(format!("%{escaped}%"));
            let (a, b) = (param(binds.len() - 1), param(binds.len()));
            clauses.push(format!(
                "(LOWER(case_id) LIKE {a} ESCAPE '\\' OR LOWER(COALESCE(cause, '')) LIKE {b} ESCAPE '\\')"
            ));
        }
        if let Some(under) = query.unit_under.as_deref() {
            let (condition, values) = subtree_condition("unit_path", under, binds.len() + 1)?;
            binds.extend(values);
            clauses.push(condition);
        }
        if let Some(scope) = &query.scope {
            let (condition, values) = scope.sql(DIALECT, "unit_path", binds.len() + 1, param);
            binds.extend(values);
            clauses.push(condition);
        }
        let where_sql = if clauses.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", clauses.join(" AND "))
        };

        let mut count = sqlx::query(AssertSqlSafe(format!(
            "SELECT COUNT(*) FROM cases {where_sql}"
        )));
        for b in &binds {
            count = count.bind(b.clone());
        }
        let total: i64 = count.fetch_one(&self.pool).await?.try_get(0)?;

        let per_page = query.per_page.clamp(1, 200);
        let page = query.page.max(1);
        let sql = format!(
            "SELECT case_id, kind, cause, stage, unit, n_events, first_at_us, last_at_us FROM cases {where_sql} \
             ORDER BY last_at_us DESC, case_id LIMIT {} OFFSET {}",
            param(binds.len() + 1),
            param(binds.len() + 2)
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for b in &binds {
            q = q.bind(b.clone());
        }
        let rows = q
            .bind(i64::from(per_page))
            .bind(i64::from(page - 1) * i64::from(per_page))
            .fetch_all(&self.pool)
            .await?;
        let items = rows
            .iter()
            .map(|r| {
                Ok(CaseSummary {
                    case_id: r.try_get(0)?,
                    kind: r.try_get(1)?,
                    cause: r.try_get(2)?,
                    stage: r.try_get(3)?,
                    unit: r.try_get(4)?,
                    n_events: r.try_get(5)?,
                    first_at_us: r.try_get(6)?,
                    last_at_us: r.try_get(7)?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
        Ok(Page {
            items,
            total: u64::try_from(total).unwrap_or(0),
            page,
            per_page,
        })
    }

    /// The ledger is not stored: it is the fold of the case's binary history (read from the log
    /// for a case stored before histories existed), which costs microseconds per event and
    /// spares every append rewriting a kilobyte or two of JSON per case.
    async fn get_case_impl(&self, case_id: &str) -> Result<Option<CaseLedger>, StoreError> {
        let mut page = self.read_histories(Pick::Only(case_id), 1, None).await?;
        Ok(page
            .pop()
            .map(|c| CaseLedger::build(&c.case_id, &c.events)))
    }

    async fn case_events_impl(&self, case_id: &str) -> Result<Vec<StoredEvent>, StoreError> {
        let rows = sqlx::query("SELECT seq, recorded_at_us, hash, body FROM events WHERE case_id = $1 ORDER BY at_us, seq")
            .bind(case_id.to_owned())
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                let seq: i64 = r.try_get(0)?;
                let body: String = r.try_get(3)?;
                Ok(StoredEvent {
                    seq,
                    recorded_at_us: r.try_get(1)?,
                    hash: r.try_get(2)?,
                    event: parse_body(seq, &body)
                        .map_err(|reason| corrupt(format!("events.seq={seq}"), reason))?,
                })
            })
            .collect()
    }

    async fn dump_ledgers_impl(&self) -> Result<Vec<(String, String)>, StoreError> {
        let mut out = Vec::new();
        let mut after = String::new();
        loop {
            let page = self.read_histories(Pick::After(&after), 1000, None).await?;
            let Some(last) = page.last() else { break };
            after.clone_from(&last.case_id);
            for c in page {
                let ledger = CaseLedger::build(&c.case_id, &c.events);
                let json = serde_json::to_string(&ledger)
                    .map_err(|e| corrupt(format!("cases.case_id={}", c.case_id), e.to_string()))?;
                out.push((c.case_id, json));
            }
        }
        Ok(out)
    }
}

/// Checks one stored event against the chain; `Some(reason)` names what is broken.
fn check_link(
    row: &<Db as sqlx::Database>::Row,
    expected_seq: i64,
    prev: &str,
) -> Result<Option<String>, StoreError> {
    let seq: i64 = row.try_get(0)?;
    let body: String = row.try_get(9)?;
    let content_hash: String = row.try_get(10)?;
    let prev_hash: String = row.try_get(11)?;
    let hash: String = row.try_get(12)?;
    if seq != expected_seq {
        return Ok(Some(format!(
            "sequence gap: expected event {expected_seq}, found {seq} (events were removed)"
        )));
    }
    if prev_hash != prev {
        return Ok(Some(
            "prev_hash does not match the hash of the previous event".into(),
        ));
    }
    let event = match parse_body(seq, &body) {
        Ok(e) => e,
        Err(reason) => return Ok(Some(reason)),
    };
    if event.canonical_json() != body {
        return Ok(Some(
            "the stored content is not in canonical form (it was edited)".into(),
        ));
    }
    if event.content_hash() != content_hash {
        return Ok(Some(
            "content_hash does not match the stored content".into(),
        ));
    }
    let columns: [(&str, Option<String>, Option<String>); 6] = [
        ("id", row.try_get(1)?, Some(event.id.to_string())),
        ("case_id", row.try_get(2)?, Some(event.case.to_string())),
        ("type", row.try_get(3)?, Some(event.event_type.to_string())),
        (
            "subject",
            row.try_get(4)?,
            event.subject.as_ref().map(ToString::to_string),
        ),
        (
            "unit",
            row.try_get(7)?,
            event.unit.as_ref().map(ToString::to_string),
        ),
        (
            "officer",
            row.try_get(8)?,
            event.officer.as_ref().map(ToString::to_string),
        ),
    ];
    for (name, stored, hashed) in columns {
        if stored != hashed {
            return Ok(Some(format!(
                "column `{name}` differs from the hashed content"
            )));
        }
    }
    let at_us: i64 = row.try_get(5)?;
    if at_us != to_micros(event.at) {
        return Ok(Some(
            "column `at_us` differs from the hashed content".into(),
        ));
    }
    let recorded_at_us: i64 = row.try_get(6)?;
    if link_hash(prev, seq, recorded_at_us, &content_hash) != hash {
        return Ok(Some(
            "hash does not match (prev_hash, seq, recorded_at or content changed)".into(),
        ));
    }
    Ok(None)
}

#[async_trait::async_trait]
impl Store for StoreImpl {
    fn backend(&self) -> Backend {
        BACKEND
    }

    async fn append(
        &self,
        batch: &[Event],
        recorded_at: Timestamp,
    ) -> Result<AppendOutcome, StoreError> {
        self.append_impl(batch, recorded_at, None).await
    }

    async fn append_audited(
        &self,
        batch: &[Event],
        recorded_at: Timestamp,
        audit: &AuditEntry,
    ) -> Result<AppendOutcome, StoreError> {
        self.append_impl(batch, recorded_at, Some(audit)).await
    }

    async fn count_events(&self) -> Result<u64, StoreError> {
        let n: i64 = sqlx::query("SELECT COUNT(*) FROM events")
            .fetch_one(&self.pool)
            .await?
            .try_get(0)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn verify(&self, progress: &(dyn Fn(u64) + Sync)) -> Result<VerifyReport, StoreError> {
        self.verify_impl(progress).await
    }

    async fn replay(
        &self,
        now: Timestamp,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<ReplayReport, StoreError> {
        self.replay_impl(now, progress).await
    }

    async fn list_cases(&self, query: &CaseQuery) -> Result<Page<CaseSummary>, StoreError> {
        self.list_cases_impl(query).await
    }

    async fn get_case(&self, case_id: &str) -> Result<Option<CaseLedger>, StoreError> {
        self.get_case_impl(case_id).await
    }

    async fn case_units(
        &self,
        case_ids: &[String],
    ) -> Result<HashMap<String, Option<String>>, StoreError> {
        let mut out = HashMap::new();
        for chunk in case_ids.chunks(LOOKUP_CHUNK) {
            let sql = format!(
                "SELECT case_id, unit FROM cases WHERE case_id IN ({})",
                placeholders(1, chunk.len())
            );
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for id in chunk {
                q = q.bind(id.clone());
            }
            for r in q.fetch_all(&self.pool).await? {
                out.insert(r.try_get(0)?, r.try_get(1)?);
            }
        }
        Ok(out)
    }

    async fn case_events(&self, case_id: &str) -> Result<Vec<StoredEvent>, StoreError> {
        self.case_events_impl(case_id).await
    }

    async fn dump_ledgers(&self) -> Result<Vec<(String, String)>, StoreError> {
        self.dump_ledgers_impl().await
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }
    fn pack(&self) -> Arc<Pack> {
        Arc::clone(&self.pack)
    }

    fn calendar(&self) -> Arc<Calendar> {
        StoreImpl::calendar(self)
    }

    async fn put_calendar_year(
        &self,
        year: i32,
        rest_days: Vec<jiff::civil::Date>,
        makeup_workdays: Vec<jiff::civil::Date>,
        source: &str,
    ) -> Result<(), StoreError> {
        self.put_calendar_year_impl(year, rest_days, makeup_workdays, source)
            .await
    }

    async fn advance_timers(&self, now: Timestamp) -> Result<TimerOutcome, StoreError> {
        self.advance_timers_impl(now).await
    }

    async fn next_wakeup(&self) -> Result<Option<Timestamp>, StoreError> {
        self.next_wakeup_impl().await
    }

    async fn reevaluate(
        &self,
        now: Timestamp,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<ReevaluateReport, StoreError> {
        // What time alone did by `now` is the timer's, written first; the pass then compares
        // what the evaluation changes.
        self.advance_mark_to(to_micros(now)).await?;
        self.reevaluate_backend(now, progress).await
    }

    async fn list_findings(&self, query: &FindingQuery) -> Result<Page<FindingRow>, StoreError> {
        self.list_findings_impl(query).await
    }

    async fn case_findings(&self, case_id: &str) -> Result<Vec<FindingRow>, StoreError> {
        self.case_findings_impl(case_id).await
    }

    async fn finding_summary(
        &self,
        states: &[String],
        under: Option<&str>,
        scope: Option<&casewatch_authz::Scope>,
    ) -> Result<Vec<SummaryRow>, StoreError> {
        self.finding_summary_impl(states, under, scope).await
    }

    async fn finding_history(
        &self,
        case_id: &str,
        rule: &str,
        subject: Option<&str>,
        reference: &str,
    ) -> Result<Vec<(String, i64, String)>, StoreError> {
        self.finding_history_impl(case_id, rule, subject, reference)
            .await
    }

    async fn case_histories(
        &self,
        after: &str,
        limit: u32,
        scope: Option<&casewatch_authz::Scope>,
    ) -> Result<Vec<CaseHistory>, StoreError> {
        self.case_histories_impl(after, limit, scope).await
    }

    async fn transitions_by_day(
        &self,
        from_us: i64,
        to_us: i64,
        query: &StatsQuery,
    ) -> Result<Vec<DayCount>, StoreError> {
        self.transitions_by_day_impl(from_us, to_us, query).await
    }

    async fn findings_by_rule(&self, query: &StatsQuery) -> Result<Vec<RuleCount>, StoreError> {
        self.findings_by_rule_impl(query).await
    }

    async fn coverage(
        &self,
        scope: Option<&casewatch_authz::Scope>,
    ) -> Result<CoverageReport, StoreError> {
        self.coverage_impl(scope).await
    }

    // Identity and audit: `sql_identity.rs`, `sql_audit.rs`.

    async fn add_unit(&self, unit: &NewUnit) -> Result<Unit, StoreError> {
        self.add_unit_impl(unit).await
    }

    async fn list_units(&self) -> Result<Vec<Unit>, StoreError> {
        self.list_units_impl().await
    }

    async fn get_unit(&self, id: &str) -> Result<Option<Unit>, StoreError> {
        Self::get_unit_in(&self.pool, id).await
    }

    async fn unit_paths(&self, ids: &[String]) -> Result<HashMap<String, String>, StoreError> {
        // Units seen before cost no connection at all (the common case: a live feed's units).
        let (out, wanted) = self.kept_unit_paths(ids.iter().cloned().collect());
        if wanted.is_empty() {
            return Ok(out);
        }
        let mut conn = self.pool.acquire().await?;
        self.read_unit_paths(&mut conn, wanted, out).await
    }

    async fn rename_unit(&self, id: &str, name: &str) -> Result<Unit, StoreError> {
        self.rename_unit_impl(id, name).await
    }

    async fn add_user(&self, user: &NewUser, now: Timestamp) -> Result<User, StoreError> {
        self.add_user_impl(user, now).await
    }

    async fn get_user(&self, id: &str) -> Result<Option<User>, StoreError> {
        Self::get_user_in(&self.pool, id).await
    }

    async fn list_users(&self, under_path: Option<&str>) -> Result<Vec<User>, StoreError> {
        self.list_users_impl(under_path).await
    }

    async fn update_user(
        &self,
        id: &str,
        change: &UserChange,
        now: Timestamp,
    ) -> Result<User, StoreError> {
        self.update_user_impl(id, change, now).await
    }

    async fn count_users(&self) -> Result<u64, StoreError> {
        let n: i64 = sqlx::query("SELECT COUNT(*) FROM users")
            .fetch_one(&self.pool)
            .await?
            .try_get(0)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn record_login_failure(
        &self,
        id: &str,
        now: Timestamp,
        max_failures: i64,
        lock_for: jiff::SignedDuration,
    ) -> Result<User, StoreError> {
        self.record_login_failure_impl(id, now, max_failures, lock_for)
            .await
    }

    async fn record_login_success(&self, id: &str) -> Result<(), StoreError> {
        self.record_login_success_impl(id).await
    }

    async fn create_session(&self, session: &Session) -> Result<(), StoreError> {
        self.create_session_impl(session).await
    }

    async fn get_session(&self, id_hash: &str) -> Result<Option<Session>, StoreError> {
        self.get_session_impl(id_hash).await
    }

    async fn touch_session(&self, id_hash: &str, now: Timestamp) -> Result<(), StoreError> {
        self.touch_session_impl(id_hash, now).await
    }

    async fn delete_session(&self, id_hash: &str) -> Result<(), StoreError> {
        self.delete_sessions_where("id_hash", id_hash)
            .await
            .map(|_| ())
    }

    async fn delete_user_sessions(&self, user_id: &str) -> Result<u64, StoreError> {
        self.delete_sessions_where("user_id", user_id).await
    }

    async fn purge_sessions(
        &self,
        idle_before: Timestamp,
        created_before: Timestamp,
    ) -> Result<u64, StoreError> {
        self.purge_sessions_impl(idle_before, created_before).await
    }

    async fn create_token(&self, token: &ApiToken) -> Result<(), StoreError> {
        self.create_token_impl(token).await
    }

    async fn get_token(&self, id: &str) -> Result<Option<ApiToken>, StoreError> {
        self.get_token_impl(id).await
    }

    async fn list_tokens(&self) -> Result<Vec<ApiToken>, StoreError> {
        self.list_tokens_impl().await
    }

    async fn revoke_token(&self, id: &str, now: Timestamp) -> Result<bool, StoreError> {
        self.revoke_token_impl(id, now).await
    }

    async fn touch_token(&self, id: &str, now: Timestamp) -> Result<(), StoreError> {
        self.touch_token_impl(id, now).await
    }

    async fn append_audit(&self, entry: &AuditEntry) -> Result<i64, StoreError> {
        self.append_audit_impl(entry).await
    }

    async fn list_audit(&self, query: &AuditQuery) -> Result<Page<AuditRow>, StoreError> {
        self.list_audit_impl(query).await
    }

    async fn verify_audit(
        &self,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<AuditVerifyReport, StoreError> {
        self.verify_audit_impl(progress).await
    }

    fn audit_public_key(&self) -> String {
        self.audit_key.public_key_hex()
    }
}
