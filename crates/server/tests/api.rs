//! Black-box API tests: the real server on a random port, on every backend.

#![cfg(test)]

use std::sync::Arc;

use casewatch_core::time::FixedClock;
use casewatch_server::{AppState, ServerConfig};
use casewatch_store::testing::{self, TestDb};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A running server on a fresh database.
struct TestApp {
    base: String,
    client: reqwest::Client,
    db: TestDb,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

impl TestApp {
    async fn start(db: TestDb, body_limit: usize) -> TestApp {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = AppState {
            store: Arc::clone(&db.store),
            clock: Arc::new(FixedClock("2026-04-01T12:00:00+08:00".parse().unwrap())),
            config: Arc::new(ServerConfig { body_limit }),
            timer: Arc::new(tokio::sync::Notify::new()),
        };
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(casewatch_server::serve(listener, state, async {
            let _ = rx.await;
        }));
        TestApp {
            base: format!("http://{addr}"),
            client: reqwest::Client::new(),
            db,
            _shutdown: tx,
        }
    }

    async fn all() -> Vec<TestApp> {
        let mut apps = Vec::new();
        for db in testing::all().await.unwrap() {
            apps.push(TestApp::start(db, 16 * 1024 * 1024).await);
        }
        apps
    }

    async fn post(
        &self,
        content_type: &str,
        body: impl Into<reqwest::Body>,
    ) -> (StatusCode, Value) {
        let r = self
            .client
            .post(format!("{}/api/v1/events", self.base))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        let status = r.status();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        let r = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        let status = r.status();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    async fn n_events(&self) -> u64 {
        self.db.store.count_events().await.unwrap()
    }
}

fn events() -> Value {
    json!([
        {"id":"e1","type":"case.accepted","case":"C1","at":"2026-03-01T09:00:00+08:00","unit":"U-1","data":{"kind":"criminal","cause":"盗窃"}},
        {"id":"e2","type":"person.registered","case":"C1","subject":"P1","at":"2026-03-01T10:00:00+08:00","data":{"role":"suspect","name":"王某","birth_date":"2010-01-01"}},
        {"id":"e3","type":"detention.started","case":"C1","subject":"P1","at":"2026-03-02T10:23:00+08:00"}
    ])
}

#[tokio::test]
async fn ingest_json_then_ndjson_idempotently() {
    for app in TestApp::all().await {
        let (status, body) = app.post("application/json", events().to_string()).await;
        assert_eq!(status, StatusCode::OK, "{}: {body}", app.db.label);
        assert_eq!(
            body,
            json!({"accepted": 3, "duplicates": 0, "cases_touched": 1})
        );

        let lines: Vec<String> = events()
            .as_array()
            .unwrap()
            .iter()
            .map(Value::to_string)
            .collect();
        let ndjson = format!(
            "{}\n\n{}\n",
            lines.join("\n"),
            json!({"id":"e4","type":"custody.admitted","case":"C1","subject":"P1","at":"2026-03-03T09:00:00+08:00"})
        );
        let (status, body) = app
            .post("application/x-ndjson; charset=utf-8", ndjson)
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(
            (body["accepted"].as_u64(), body["duplicates"].as_u64()),
            (Some(1), Some(3))
        );
        assert_eq!(app.n_events().await, 4);
    }
}

#[tokio::test]
async fn a_bad_batch_stores_nothing_and_lists_every_problem() {
    for app in TestApp::all().await {
        let mut batch = events();
        let arr = batch.as_array_mut().unwrap();
        arr.push(json!({"id":"e4","type":"detention.begun","case":"C1","subject":"P1","at":"2026-03-02T10:23:00+08:00"}));
        arr.push(
            json!({"id":"e5","type":"case.filed","case":"C1","at":"2026-04-01T12:06:00+08:00"}),
        );
        let (status, body) = app.post("application/json", batch.to_string()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{}", app.db.label);
        assert_eq!(body["error"]["code"], "invalid_events");
        let details: Vec<(u64, &str, &str)> = body["error"]["details"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                (
                    d["index"].as_u64().unwrap(),
                    d["field"].as_str().unwrap(),
                    d["code"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            details,
            [(3, "type", "unknown_type"), (4, "at", "future_time")]
        );
        assert_eq!(app.n_events().await, 0, "{}: atomicity", app.db.label);
    }
}

#[tokio::test]
async fn conflicts_answer_409_with_the_line() {
    for app in TestApp::all().await {
        app.post("application/json", events().to_string()).await;
        let changed = json!({"id":"e3","type":"detention.started","case":"C1","subject":"P2","at":"2026-03-02T10:23:00+08:00"});
        let fresh =
            json!({"id":"e9","type":"case.filed","case":"C1","at":"2026-03-02T11:00:00+08:00"});
        let (status, body) = app
            .post("application/x-ndjson", format!("{fresh}\n{changed}\n"))
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{}: {body}", app.db.label);
        assert_eq!(body["error"]["code"], "event_conflict");
        assert_eq!(body["error"]["details"][0]["line"], 2);
        assert_eq!(body["error"]["details"][0]["id"], "e3");
        assert_eq!(
            app.n_events().await,
            3,
            "the fresh event of the refused batch was not stored"
        );
    }
}

#[tokio::test]
async fn malformed_bodies_and_content_types() {
    for app in TestApp::all().await {
        let (status, body) = app.post("application/json", "[{").await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("malformed_json"))
        );
        let (status, body) = app.post("application/x-ndjson", "{}\nnot json\n").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["error"]["details"][0]["line"], 2);
        let (status, body) = app.post("text/plain", "x").await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                Some("unsupported_media_type")
            )
        );
        let (status, body) = app.post("application/json", "42").await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("malformed_json"))
        );
    }
}

#[tokio::test]
async fn bodies_over_the_limit_get_413() {
    let db = testing::sqlite().await.unwrap();
    let app = TestApp::start(db, 1024).await;
    let big = json!([{"id":"e1","type":"x-note","case":"C1","at":"2026-03-01T09:00:00+08:00","data":{"text":"x".repeat(2000)}}]);
    let (status, body) = app.post("application/json", big.to_string()).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(body["error"]["code"], "body_too_large");
    assert_eq!(app.n_events().await, 0);
}

#[tokio::test]
async fn cases_list_detail_and_health() {
    for app in TestApp::all().await {
        app.post("application/json", events().to_string()).await;
        let (status, page) = app.get("/api/v1/cases?kind=criminal&q=盗窃").await;
        assert_eq!(status, StatusCode::OK, "{}", app.db.label);
        assert_eq!(page["total"], 1);
        assert_eq!(page["items"][0]["case_id"], "C1");
        assert_eq!(page["items"][0]["stage"], "accepted");
        assert_eq!(page["items"][0]["last_at"], "2026-03-02T10:23:00+08:00");

        let (status, case) = app.get("/api/v1/cases/C1").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(case["ledger"]["persons"]["P1"]["minor"], true);
        assert_eq!(
            case["ledger"]["persons"]["P1"]["measure"],
            "criminal_detention"
        );
        assert_eq!(case["timeline"].as_array().unwrap().len(), 3);
        assert_eq!(case["timeline"][2]["type_zh"], "刑事拘留");

        let (status, err) = app.get("/api/v1/cases/NOPE").await;
        assert_eq!(
            (status, err["error"]["code"].as_str()),
            (StatusCode::NOT_FOUND, Some("case_not_found"))
        );
        let (status, err) = app.get("/api/v1/cases?stage=open").await;
        assert_eq!(
            (status, err["error"]["details"][0]["field"].as_str()),
            (StatusCode::BAD_REQUEST, Some("stage"))
        );
        let (status, err) = app.get("/api/v1/cases?per_page=0").await;
        assert_eq!(
            (status, err["error"]["details"][0]["field"].as_str()),
            (StatusCode::BAD_REQUEST, Some("per_page"))
        );
        let (status, err) = app.get("/api/v1/cases?page=x").await;
        assert_eq!(
            (status, err["error"]["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("invalid_parameter"))
        );

        let (status, h) = app.get("/api/v1/health").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(h["backend"], app.db.label);
        let (status, err) = app.get("/api/v1/nothing").await;
        assert_eq!(
            (status, err["error"]["code"].as_str()),
            (StatusCode::NOT_FOUND, Some("not_found"))
        );
    }
}

#[tokio::test]
async fn a_retraction_is_shown_on_the_timeline() {
    for app in TestApp::all().await {
        app.post("application/json", events().to_string()).await;
        let r = json!([{"id":"r1","type":"event.retracted","case":"C1","at":"2026-03-02T11:00:00+08:00","data":{"target":"e3","reason":"误录"}}]);
        let (status, _) = app.post("application/json", r.to_string()).await;
        assert_eq!(status, StatusCode::OK);
        let (_, case) = app.get("/api/v1/cases/C1").await;
        assert_eq!(case["timeline"][2]["retracted_by"], "r1");
        assert_eq!(case["ledger"]["persons"]["P1"]["measure"], Value::Null);
        let bad = json!([{"id":"r2","type":"event.retracted","case":"C1","at":"2026-03-02T11:00:00+08:00","data":{"target":"zz","reason":"误录"}}]);
        let (status, body) = app.post("application/json", bad.to_string()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{}", app.db.label);
        assert_eq!(body["error"]["details"][0]["code"], "unknown_target");
    }
}

#[tokio::test]
async fn the_openapi_document_is_served_and_stable() {
    let db = testing::sqlite().await.unwrap();
    let app = TestApp::start(db, 1024).await;
    let (status, doc) = app.get("/api/v1/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    for path in [
        "/api/v1/events",
        "/api/v1/cases",
        "/api/v1/cases/{id}",
        "/api/v1/health",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} is documented");
    }
    insta::assert_json_snapshot!("openapi", doc);
}

#[tokio::test]
async fn the_case_browser_is_served_at_the_root() {
    let db = testing::sqlite().await.unwrap();
    let app = TestApp::start(db, 1024).await;
    let r = app
        .client
        .get(format!("{}/", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = r.text().await.unwrap();
    assert!(html.contains("Casewatch 执法监督平台"));
    assert!(html.contains("/api/v1/cases"));
}
