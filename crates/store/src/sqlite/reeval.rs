//! Re-evaluation on SQLite with direct readers: each evaluating thread reads its own ranges of
//! cases through its own read-only connection and decodes every history where SQLite hands it
//! over, without a copy; only the cases whose findings, coverage or history change travel to the
//! writer.
//!
//! Through the pool, each history was copied twice by sqlx and handed from the connection's
//! worker thread to the evaluating threads: reading and converting rows took a quarter of the
//! CPU of a re-evaluation on two cores (`docs/performance-notes.md`, ninth and eleventh rounds).
//!
//! The readers read outside any write transaction. That is safe for the same reason as in the
//! pipelined path (`reevaluate_impl`): the writer writes a case only if its `last_seq` is still the
//! one that was read; a case appended to since was rebuilt by its own writer, with the same pack.

use std::path::Path;
use std::sync::{Arc, Mutex};

use rusqlite::OpenFlags;

use super::{
    ReevalContext, ReevalHead, ReevalInput, ReevalOutput, ReevaluateReport, SqliteStore,
    StoreError, begin_write, corrupt, reevaluate_history, reevaluate_one,
};
use casewatch_core::time::to_micros;
use jiff::Timestamp;

/// Chunks evaluated but not yet written that the readers may hold before they wait.
const CHUNKS_AHEAD: usize = 4;

/// Row ids per range. A range is about 10 ms of one thread's work: the last ranges of a pass
/// leave one core idle while the other finishes its own, so they are kept short.
const RANGE_ROWS: i64 = 500;

/// The highest row id of `cases` when the pass starts: the ranges end there.
const LAST_ROWID_SQL: &str = "SELECT COALESCE(MAX(rowid), 0) FROM cases";
/// A range's cases, in the table's own order, with what re-evaluation needs of each. Row ids,
/// not case ids: ranging over `case_id` went through its index and then looked each row up in the
/// table, a b-tree seek per case that was a seventh of the readers' time.
const RANGE_SQL: &str = "SELECT case_id, last_seq, unit, n_steps, n_covered, fdigest, history FROM cases WHERE rowid >= ?1 AND rowid < ?2 ORDER BY rowid";
/// The schema's version, which `VACUUM` (the one statement that may renumber the row ids of a
/// table without an integer key) changes.
const SCHEMA_VERSION_SQL: &str = "PRAGMA schema_version";

/// One range of cases read and evaluated.
#[derive(Default)]
struct Chunk {
    /// Cases read.
    n: u64,
    /// The cases with something to write.
    outputs: Vec<ReevalOutput>,
    /// Cases stored before binary histories existed: their histories are built from the log by
    /// the writer's side, through the pool.
    from_log: Vec<ReevalInput>,
}

/// Evaluates every case of the SQLite file `file` again (see the module's head).
pub(super) async fn reevaluate(
    store: &SqliteStore,
    file: &Path,
    now: Timestamp,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<ReevaluateReport, StoreError> {
    let cx = Arc::new(store.reeval_context().await?);
    let now_us = to_micros(now);
    let (send, mut recv) = tokio::sync::mpsc::channel(CHUNKS_AHEAD);
    let readers = {
        let (cx, file) = (Arc::clone(&cx), file.to_owned());
        tokio::task::spawn_blocking(move || read_everything(&cx, &file, now, &send))
    };
    let mut report = ReevaluateReport::default();
    while let Some(chunk) = recv.recv().await {
        let Chunk {
            n,
            mut outputs,
            from_log,
        } = chunk;
        if !from_log.is_empty() {
            outputs.extend(evaluate_from_log(store, &cx, from_log, now).await?);
        }
        if !outputs.is_empty() {
            let _writer = store.write.lock().await;
            let mut tx = begin_write(&store.pool).await?;
            report.n_changed +=
                SqliteStore::write_reevaluated(&mut tx, outputs, &cx, now_us).await?;
            tx.commit().await?;
            store.wrote();
        }
        report.n_cases += n;
        progress(report.n_cases);
    }
    readers
        .await
        .map_err(|e| corrupt("reevaluate", format!("the readers stopped: {e}")))??;
    Ok(report)
}

/// Builds the histories of cases stored before binary histories existed from the log, and
/// evaluates them.
async fn evaluate_from_log(
    store: &SqliteStore,
    cx: &Arc<ReevalContext>,
    mut cases: Vec<ReevalInput>,
    now: Timestamp,
) -> Result<Vec<ReevalOutput>, StoreError> {
    let mut tx = store.pool.begin().await?;
    SqliteStore::histories_from_log(&mut tx, &mut cases).await?;
    tx.commit().await?;
    let cx = Arc::clone(cx);
    tokio::task::spawn_blocking(move || {
        cases
            .into_iter()
            .map(|c| reevaluate_one(&cx, c, now))
            .collect::<Result<Vec<_>, _>>()
    })
    .await
    .map_err(|e| corrupt("reevaluate", format!("an evaluation stopped: {e}")))?
}

/// The ranges of row ids the threads take, up to the last row of `cases` when the pass started.
/// Cases created later were evaluated by their own writer with the same pack.
struct Ranges {
    /// The first row id of the next range; past `last` once every range was taken (or a thread
    /// failed and closed it).
    next: i64,
    last: i64,
    /// The schema's version when the pass started: row ids name the same rows while it holds.
    schema: i64,
}

/// Reads and evaluates every case on every available core; each thread sends its chunks to the
/// writer. Returns the first thread's error, after every thread stopped (a failing thread closes
/// the ranges so that the others take no new one).
fn read_everything(
    cx: &ReevalContext,
    file: &Path,
    now: Timestamp,
    send: &tokio::sync::mpsc::Sender<Chunk>,
) -> Result<(), StoreError> {
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .max(1);
    let ranges = {
        let conn = open_reader(file)?;
        let tx = conn.unchecked_transaction().map_err(direct)?;
        let last = tx
            .query_row(LAST_ROWID_SQL, (), |r| r.get(0))
            .map_err(direct)?;
        let schema = tx
            .query_row(SCHEMA_VERSION_SQL, (), |r| r.get(0))
            .map_err(direct)?;
        Mutex::new(Ranges {
            next: 1,
            last,
            schema,
        })
    };
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let r = read_ranges(cx, file, &ranges, now, send);
                    if r.is_err()
                        && let Ok(mut g) = ranges.lock()
                    {
                        g.next = i64::MAX;
                    }
                    r
                })
            })
            .collect();
        let mut first = Ok(());
        for h in handles {
            let r = h
                .join()
                .unwrap_or_else(|_| Err(corrupt("reevaluate", "a reading thread failed")));
            if first.is_ok() {
                first = r;
            }
        }
        first
    })
}

/// A read-only connection to the file.
fn open_reader(file: &Path) -> Result<rusqlite::Connection, StoreError> {
    let conn = rusqlite::Connection::open_with_flags(
        file,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(direct)?;
    conn.busy_timeout(std::time::Duration::from_secs(30))
        .map_err(direct)?;
    Ok(conn)
}

/// One thread's work: takes ranges until none is left, reads each through its own connection
/// and evaluates its cases. Stops early, without an error, when the writer's side no longer
/// receives (it failed).
fn read_ranges(
    cx: &ReevalContext,
    file: &Path,
    ranges: &Mutex<Ranges>,
    now: Timestamp,
    send: &tokio::sync::mpsc::Sender<Chunk>,
) -> Result<(), StoreError> {
    let conn = open_reader(file)?;
    let mut range = conn.prepare(RANGE_SQL).map_err(direct)?;
    let mut version = conn.prepare(SCHEMA_VERSION_SQL).map_err(direct)?;
    while let Some((from, to, schema)) = next_range(ranges)? {
        // The range is read in one snapshot with the schema's version: a `VACUUM` since the
        // pass started may have given the rows other ids, and a range read after it could miss
        // cases or read them twice.
        let tx = conn.unchecked_transaction().map_err(direct)?;
        let now_schema: i64 = version.query_row((), |r| r.get(0)).map_err(direct)?;
        if now_schema != schema {
            return Err(StoreError::DirectRead(
                "the database was compacted (VACUUM) while re-evaluation read it; run \
                 re-evaluation again"
                    .into(),
            ));
        }
        let mut rows = range.query((from, to)).map_err(direct)?;
        let mut chunk = Chunk::default();
        while let Some(row) = rows.next().map_err(direct)? {
            let head = ReevalHead {
                case_id: row.get(0).map_err(direct)?,
                last_seq: row.get(1).map_err(direct)?,
                unit: row.get(2).map_err(direct)?,
                steps: row.get(3).map_err(direct)?,
                covered: row.get(4).map_err(direct)?,
                fdigest: row.get(5).map_err(direct)?,
            };
            chunk.n += 1;
            let history = row
                .get_ref(6)
                .map_err(direct)?
                .as_blob_or_null()
                .map_err(|e| {
                    corrupt(
                        format!("cases.case_id={}.history", head.case_id),
                        e.to_string(),
                    )
                })?;
            match history {
                Some(history) => {
                    let out = reevaluate_history(cx, head, history, now)?;
                    if out.changed() {
                        chunk.outputs.push(out);
                    }
                }
                None => chunk.from_log.push(ReevalInput {
                    head,
                    history: Vec::new(),
                    history_is_new: true,
                }),
            }
        }
        drop(rows);
        tx.commit().map_err(direct)?;
        if chunk.n > 0 && send.blocking_send(chunk).is_err() {
            return Ok(());
        }
    }
    Ok(())
}

/// Takes the next range of row ids: `[from, to)` and the schema version they belong to.
fn next_range(ranges: &Mutex<Ranges>) -> Result<Option<(i64, i64, i64)>, StoreError> {
    let mut g = ranges
        .lock()
        .map_err(|_| corrupt("reevaluate", "a reading thread failed"))?;
    if g.next > g.last {
        return Ok(None);
    }
    let from = g.next;
    let to = from.saturating_add(RANGE_ROWS);
    g.next = to;
    Ok(Some((from, to, g.schema)))
}

/// A direct reader's error.
fn direct(e: rusqlite::Error) -> StoreError {
    StoreError::DirectRead(format!("re-evaluation's reader: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A range read after the schema's version moved (what `VACUUM` does, which may renumber
    /// the rows) is refused with a message saying so, not read with row ids that may name other
    /// rows.
    #[tokio::test]
    async fn a_range_read_after_the_schema_changed_is_refused() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let file = dir.path().join("t.db");
        let pack = crate::testing::standard_pack().expect("standard pack");
        let store = SqliteStore::open(&format!("sqlite://{}", file.display()), pack)
            .await
            .expect("store");
        let cx = store.reeval_context().await.expect("context");
        let schema: i64 = open_reader(&file)
            .expect("reader")
            .query_row(SCHEMA_VERSION_SQL, (), |r| r.get(0))
            .expect("schema version");
        let (send, _recv) = tokio::sync::mpsc::channel(CHUNKS_AHEAD);
        let read = |schema| {
            let ranges = Mutex::new(Ranges {
                next: 1,
                last: 1,
                schema,
            });
            read_ranges(&cx, &file, &ranges, Timestamp::now(), &send)
        };
        assert!(read(schema).is_ok());
        let err = read(schema - 1).expect_err("a stale schema version");
        assert!(err.to_string().contains("VACUUM"), "{err}");
    }
}
