//! SQLite's write-ahead log is copied into the database file in the background, not by the
//! writer's commits (`spawn_checkpointer` in `src/sqlite.rs`).

#![cfg(test)]

use std::str::FromStr;
use std::time::{Duration, Instant};

use casewatch_core::{Event, ParseOptions};
use casewatch_store::testing;
use serde_json::json;
use sqlx::Connection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};

fn case_events(case: &str) -> Vec<Event> {
    [
        json!({"id": format!("{case}-1"), "type":"case.accepted","case":case,"at":"2026-03-01T09:00:00+08:00","unit":"U-1","data":{"kind":"criminal","cause":"盗窃"}}),
        json!({"id": format!("{case}-2"), "type":"person.registered","case":case,"subject":"P1","at":"2026-03-01T10:00:00+08:00","data":{"role":"suspect","name":"王某"}}),
        json!({"id": format!("{case}-3"), "type":"detention.started","case":case,"subject":"P1","at":"2026-03-02T10:23:00+08:00"}),
    ]
    .iter()
    .map(|v| Event::parse(v, ParseOptions { now: None }).unwrap())
    .collect()
}

/// While the store stays open (no connection closes, and the WAL stays far below the writers'
/// own checkpoint threshold), the database file catches up with every committed page: the
/// file's length becomes `page_count × page_size` as a reader sees them.
#[tokio::test]
async fn committed_pages_reach_the_database_file_in_the_background() {
    let db = testing::sqlite().await.unwrap();
    let now: jiff::Timestamp = "2026-04-01T12:00:00+08:00".parse().unwrap();
    for i in 0..60 {
        db.store
            .append(&case_events(&format!("A2026-{i:04}")), now)
            .await
            .unwrap();
    }
    let path = db.url.strip_prefix("sqlite://").unwrap().to_owned();
    let mut reader =
        SqliteConnection::connect_with(&SqliteConnectOptions::from_str(&db.url).unwrap())
            .await
            .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (pages, page_size): (i64, i64) = sqlx::query_as(
            "SELECT (SELECT page_count FROM pragma_page_count()), (SELECT page_size FROM pragma_page_size())",
        )
        .fetch_one(&mut reader)
        .await
        .unwrap();
        let file = std::fs::metadata(&path).unwrap().len();
        let wal = std::fs::metadata(format!("{path}-wal")).map_or(0, |m| m.len());
        assert!(
            pages > 50,
            "the schema and 60 cases take more than 50 pages: {pages}"
        );
        if file == u64::try_from(pages * page_size).unwrap() {
            assert!(wal > 0, "the WAL is still in use: the store is open");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the database file holds {file} bytes of {pages} × {page_size} after 20 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    reader.close().await.unwrap();
}

/// Frames in the WAL file: its length less the 32-byte header, over a frame's 24-byte header
/// and page.
fn wal_frames(wal_len: u64, page_size: u64) -> u64 {
    wal_len.saturating_sub(32) / (24 + page_size)
}

/// Under a steady stream of appends the WAL starts over from the beginning of its file once it
/// holds the configured number of frames, instead of growing until the writer's own checkpoint
/// (and the truncation of a long file) stalls a commit.
#[tokio::test]
async fn the_wal_restarts_under_a_steady_stream_of_appends() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("test.db").display());
    let store = casewatch_store::open_with(
        &url,
        testing::standard_pack().unwrap(),
        casewatch_store::StoreOptions {
            wal_restart_frames: Some(64),
            ..casewatch_store::StoreOptions::default()
        },
    )
    .await
    .unwrap();
    let now: jiff::Timestamp = "2026-04-01T12:00:00+08:00".parse().unwrap();
    let wal = dir.path().join("test.db-wal");
    let mut reader = SqliteConnection::connect_with(&SqliteConnectOptions::from_str(&url).unwrap())
        .await
        .unwrap();
    let (page_size,): (i64,) = sqlx::query_as("PRAGMA page_size")
        .fetch_one(&mut reader)
        .await
        .unwrap();
    let page_size = u64::try_from(page_size).unwrap();
    // Four writers append back to back for two seconds: the writer is never idle, so SQLite
    // never finds the WAL fully copied at the start of a write transaction by itself.
    let store = std::sync::Arc::new(store);
    let deadline = Instant::now() + Duration::from_secs(2);
    let mut writers = Vec::new();
    for w in 0..4 {
        let store = std::sync::Arc::clone(&store);
        writers.push(tokio::spawn(async move {
            let mut i = 0;
            while Instant::now() < deadline {
                store
                    .append(&case_events(&format!("B{w}-{i:05}")), now)
                    .await
                    .unwrap();
                i += 1;
            }
            i
        }));
    }
    let mut commits = 0;
    for w in writers {
        commits += w.await.unwrap();
    }
    let (pages,): (i64,) = sqlx::query_as("PRAGMA page_count")
        .fetch_one(&mut reader)
        .await
        .unwrap();
    let frames = wal_frames(std::fs::metadata(&wal).unwrap().len(), page_size);
    assert!(pages > 50, "the appends were stored: {pages} pages");
    // Each append rewrites a dozen pages or more, so a WAL that never restarts holds more than
    // ten frames per page of the database (measured: 37,215 frames for 2,797 pages); one that
    // restarts every 64 frames holds what arrives between two turns of the checkpointer (2,906
    // frames for 2,928 pages).
    assert!(
        frames < 4 * u64::try_from(pages).unwrap(),
        "the WAL file holds {frames} frames for {pages} pages after {commits} appends: it did not restart"
    );
    reader.close().await.unwrap();
}
