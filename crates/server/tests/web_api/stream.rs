//! `GET /api/v1/alerts/stream`.

use std::time::Duration;

use super::*;

/// An open event stream, read chunk by chunk.
struct Stream {
    response: reqwest::Response,
    buffer: String,
}

impl Stream {
    async fn open(app: &TestApp, cookie: &str) -> Stream {
        let response = app
            .client
            .get(format!("{}/api/v1/alerts/stream", app.base))
            .header("cookie", cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{}", app.db.label);
        assert_eq!(response.headers()["content-type"], "text/event-stream");
        let mut stream = Stream {
            response,
            buffer: String::new(),
        };
        assert_eq!(
            stream.next(Duration::from_secs(2)).await.as_deref(),
            Some(": connected"),
            "the stream opens with a comment"
        );
        stream
    }

    /// The next event (its lines), or `None` if none arrives within `wait` or the stream ends.
    async fn next(&mut self, wait: Duration) -> Option<String> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let event = self.buffer[..end].to_owned();
                self.buffer.drain(..end + 2);
                return Some(event);
            }
            let chunk = tokio::time::timeout_at(deadline, self.response.chunk())
                .await
                .ok()?
                .ok()??;
            self.buffer.push_str(&String::from_utf8_lossy(&chunk));
        }
    }

    /// The next notice's data, skipping comments.
    async fn notice(&mut self, wait: Duration) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let event = self.next(left).await?;
            if let Some(data) = event.strip_prefix("data: ") {
                return Some(serde_json::from_str(data).unwrap());
            }
        }
    }
}

#[tokio::test]
async fn a_batch_of_events_is_announced_within_two_seconds_without_case_content() {
    for app in TestApp::all().await {
        let (status, _) = app.get_as("", "/api/v1/alerts/stream").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{}", app.db.label);
        add_account(&app, "AD", "SJ-R", "admin").await;
        let (admin, _) = app.sign_in("AD").await;
        let (status, body) = app.get_as(&admin, "/api/v1/alerts/stream").await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (StatusCode::FORBIDDEN, Some("forbidden")),
            "an administrator reads no cases"
        );

        let mut stream = Stream::open(&app, &app.cookie).await;
        let sent = std::time::Instant::now();
        let (status, _) = app.post("application/json", events().to_string()).await;
        assert_eq!(status, StatusCode::OK);
        let notice = stream.notice(Duration::from_secs(2)).await;
        assert!(sent.elapsed() < Duration::from_secs(2));
        let notice = notice.unwrap_or_else(|| panic!("{}: no notice within 2 s", app.db.label));
        assert_eq!(notice["cause"], "event");
        assert_eq!(notice["changed"], 1, "one case touched");
        assert_eq!(notice["at"], "2026-04-01T12:00:00+08:00");
        assert_eq!(
            notice.as_object().map(|o| o.len()),
            Some(3),
            "counts only: {notice}"
        );
        // Duplicates change nothing: no notice.
        app.post("application/json", events().to_string()).await;
        assert_eq!(stream.notice(Duration::from_millis(300)).await, None);

        // At shutdown the stream ends instead of holding the server open.
        drop(app);
        let end = tokio::time::timeout(Duration::from_secs(2), stream.response.chunk()).await;
        assert!(
            matches!(end, Ok(Ok(None)) | Ok(Err(_))),
            "the stream ended: {end:?}"
        );
    }
}

#[tokio::test]
async fn a_timer_transition_is_announced() {
    let mut dbs = vec![testing::sqlite().await.unwrap()];
    dbs.extend(testing::postgres().await.unwrap());
    for db in dbs {
        let app =
            TestApp::start_with_clock(db, 1 << 20, Arc::new(casewatch_core::time::SystemClock))
                .await;
        let mut stream = Stream::open(&app, &app.cookie).await;
        let now = jiff::Timestamp::now();
        let fmt = casewatch_core::time::format_instant;
        let due_back = now + jiff::SignedDuration::from_millis(1200);
        let batch = json!([
            {"id":"t1","type":"case.accepted","case":"T","at": fmt(now - jiff::SignedDuration::from_mins(10)),"unit":"U-1","data":{"kind":"criminal"}},
            {"id":"t2","type":"property.seized","case":"T","subject":"X1","at": fmt(now - jiff::SignedDuration::from_mins(9)),"data":{"kind":"obtain"}},
            {"id":"t3","type":"property.checked_out","case":"T","subject":"X1","at": fmt(now - jiff::SignedDuration::from_mins(8)),"data":{"due_back": fmt(due_back)}}
        ]);
        let (status, body) = app.post("application/json", batch.to_string()).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let first = stream.notice(Duration::from_secs(2)).await.unwrap();
        assert_eq!(first["cause"], "event", "{}", app.db.label);
        // The clock comes due 1.2 s after it was sent; the timer moves it and says so.
        let timer = stream.notice(Duration::from_secs(4)).await;
        let timer = timer.unwrap_or_else(|| panic!("{}: no timer notice", app.db.label));
        assert_eq!(timer["cause"], "timer");
        assert!(timer["changed"].as_u64().unwrap() >= 1, "{timer}");
    }
}
