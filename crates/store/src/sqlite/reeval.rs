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

use rusqlite::{OpenFlags, OptionalExtension};

use super::{
    REEVALUATE_CHUNK, ReevalContext, ReevalHead, ReevalInput, ReevalOutput, ReevaluateReport,
    SqliteStore, StoreError, begin_write, corrupt, reevaluate_history, reevaluate_one,
};
use casewatch_core::time::to_micros;
use jiff::Timestamp;

/// Chunks evaluated but not yet written that the readers may hold before they wait.
const CHUNKS_AHEAD: usize = 4;

/// The last case of the next range: `REEVALUATE_CHUNK` cases after the cursor.
const BOUND_SQL: &str =
    "SELECT case_id FROM cases WHERE case_id > ?1 ORDER BY case_id LIMIT 1 OFFSET ?2";
/// A range's cases with what re-evaluation needs of each.
const RANGE_SQL: &str = "SELECT case_id, last_seq, unit, n_steps, n_covered, fdigest, history FROM cases WHERE case_id > ?1 AND case_id <= ?2 ORDER BY case_id";
/// The last range: every case after the cursor.
const TAIL_SQL: &str = "SELECT case_id, last_seq, unit, n_steps, n_covered, fdigest, history FROM cases WHERE case_id > ?1 ORDER BY case_id";

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

/// Reads and evaluates every case on every available core; each thread sends its chunks to the
/// writer. Returns the first thread's error, after every thread stopped (a failing thread closes
/// the cursor so that the others take no new range).
fn read_everything(
    cx: &ReevalContext,
    file: &Path,
    now: Timestamp,
    send: &tokio::sync::mpsc::Sender<Chunk>,
) -> Result<(), StoreError> {
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .max(1);
    // The case id after which the next range starts; `None` once every range was taken.
    let cursor = Mutex::new(Some(String::new()));
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let r = read_ranges(cx, file, &cursor, now, send);
                    if r.is_err()
                        && let Ok(mut c) = cursor.lock()
                    {
                        *c = None;
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

/// One thread's work: takes ranges from the cursor until none is left, reads each through its
/// own connection and evaluates its cases. Stops early, without an error, when the writer's
/// side no longer receives (it failed).
fn read_ranges(
    cx: &ReevalContext,
    file: &Path,
    cursor: &Mutex<Option<String>>,
    now: Timestamp,
    send: &tokio::sync::mpsc::Sender<Chunk>,
) -> Result<(), StoreError> {
    let conn = rusqlite::Connection::open_with_flags(
        file,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(direct)?;
    conn.busy_timeout(std::time::Duration::from_secs(30))
        .map_err(direct)?;
    let mut bound = conn.prepare(BOUND_SQL).map_err(direct)?;
    let mut range = conn.prepare(RANGE_SQL).map_err(direct)?;
    let mut tail = conn.prepare(TAIL_SQL).map_err(direct)?;
    while let Some((after, upto)) = next_range(cursor, &mut bound)? {
        let mut rows = match &upto {
            Some(upto) => range.query((&after, upto)),
            None => tail.query((&after,)),
        }
        .map_err(direct)?;
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
        if send.blocking_send(chunk).is_err() {
            return Ok(());
        }
    }
    Ok(())
}

/// Takes the next range of cases from the cursor: the case id it starts after and the last case
/// id it holds (`None` for the last range, which holds every case after the start).
fn next_range(
    cursor: &Mutex<Option<String>>,
    bound: &mut rusqlite::Statement<'_>,
) -> Result<Option<(String, Option<String>)>, StoreError> {
    let mut cursor = cursor
        .lock()
        .map_err(|_| corrupt("reevaluate", "a reading thread failed"))?;
    let Some(after) = cursor.take() else {
        return Ok(None);
    };
    let upto: Option<String> = bound
        .query_row((&after, REEVALUATE_CHUNK as i64 - 1), |r| r.get(0))
        .optional()
        .map_err(direct)?;
    cursor.clone_from(&upto);
    Ok(Some((after, upto)))
}

/// A direct reader's error.
fn direct(e: rusqlite::Error) -> StoreError {
    StoreError::DirectRead(format!("re-evaluation's reader: {e}"))
}
