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
