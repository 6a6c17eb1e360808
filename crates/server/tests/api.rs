//! Black-box API tests: the real server on a random port, on every backend.

#![cfg(test)]

use std::sync::Arc;

use casewatch_core::time::FixedClock;
use casewatch_server::{AppState, ServerConfig};
use casewatch_store::testing::{self, TestDb};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A running server on a fresh database.
///
/// Every test app has the unit `SJ-R` (a 市局) with `U-1` below it, an ingest token for
/// `SJ-R` that [`TestApp::post`] sends, and a legal-department account `R-1` at `SJ-R` whose
/// session [`TestApp::get`] sends: the tests of ingestion and reading go through access
/// control like any client.
struct TestApp {
    base: String,
    client: reqwest::Client,
    db: TestDb,
    /// `Authorization` of the ingest token.
    bearer: String,
    /// `Cookie` of R-1's session.
    cookie: String,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

/// The secret of the test apps' ingest token `T-TEST`.
const TEST_SECRET: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

impl TestApp {
    async fn start(db: TestDb, body_limit: usize) -> TestApp {
        let clock = Arc::new(FixedClock("2026-04-01T12:00:00+08:00".parse().unwrap()));
        Self::start_with_clock(db, body_limit, clock).await
    }

    async fn start_with_clock(
        db: TestDb,
        body_limit: usize,
        clock: Arc<dyn casewatch_core::time::Clock>,
    ) -> TestApp {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state =
            AppState::new(Arc::clone(&db.store), clock, ServerConfig { body_limit }).unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(casewatch_server::serve(listener, state, async {
            let _ = rx.await;
        }));
        let mut app = TestApp {
            base: format!("http://{addr}"),
            client: reqwest::Client::new(),
            db,
            bearer: format!("Bearer T-TEST.{TEST_SECRET}"),
            cookie: String::new(),
            _shutdown: tx,
        };
        add_unit(&app, "SJ-R", None, "bureau").await;
        add_unit(&app, "U-1", Some("SJ-R"), "station").await;
        let token = casewatch_store::ApiToken {
            id: "T-TEST".into(),
            name: "测试接入".into(),
            secret_hash: casewatch_server::auth::password::digest(TEST_SECRET),
            roles: vec!["ingest".into()],
            units: vec!["SJ-R".into()],
            created_by: "test".into(),
            created_at_us: 0,
            revoked_at_us: None,
            last_used_us: None,
        };
        app.db.store.create_token(&token).await.unwrap();
        add_account(&app, "R-1", "SJ-R", "legal_dept").await;
        app.cookie = app.sign_in("R-1").await.0;
        app
    }

    /// Signs in with [`PASSWORD`]: the session's `Cookie` value and its CSRF token.
    async fn sign_in(&self, user: &str) -> (String, String) {
        let r = self
            .client
            .post(format!("{}/api/v1/auth/login", self.base))
            .json(&json!({"user": user, "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "login of {user}");
        let cookie = r.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        let me: Value = r.json().await.unwrap();
        (
            cookie,
            me["csrf_token"].as_str().unwrap_or_default().to_owned(),
        )
    }

    /// A GET with another session's cookie (or none, with `""`).
    async fn get_as(&self, cookie: &str, path: &str) -> (StatusCode, Value) {
        let mut req = self.client.get(format!("{}{path}", self.base));
        if !cookie.is_empty() {
            req = req.header("cookie", cookie);
        }
        let r = req.send().await.unwrap();
        let status = r.status();
        (status, r.json().await.unwrap_or(Value::Null))
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
            .header("authorization", &self.bearer)
            .body(body)
            .send()
            .await
            .unwrap();
        let status = r.status();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// A GET as R-1 (legal department at SJ-R).
    async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.get_as(&self.cookie, path).await
    }

    async fn n_events(&self) -> u64 {
        self.db.store.count_events().await.unwrap()
    }
}

/// The password of every account the tests create.
const PASSWORD: &str = "Jing-cha#2026";

/// Registers a unit of the tree.
async fn add_unit(app: &TestApp, id: &str, parent: Option<&str>, kind: &str) {
    let unit = casewatch_store::NewUnit {
        id: id.into(),
        name: format!("单位{id}"),
        parent: parent.map(Into::into),
        kind: kind.into(),
    };
    app.db.store.add_unit(&unit).await.unwrap();
}

/// Creates an account with one role and [`PASSWORD`].
async fn add_account(app: &TestApp, id: &str, unit: &str, role: &str) {
    let hash = casewatch_server::auth::password::hash_password(PASSWORD).unwrap();
    let user = casewatch_store::NewUser {
        id: id.into(),
        name: format!("民警{id}"),
        unit: unit.into(),
        roles: vec![role.into()],
        password_hash: Some(hash),
    };
    app.db
        .store
        .add_user(&user, jiff::Timestamp::now())
        .await
        .unwrap();
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
    // Every operation states its security: the schemes it accepts, or `{}` for public ones.
    let mut undeclared = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if op["security"].as_array().is_none_or(Vec::is_empty) {
                undeclared.push(format!("{method} {path}"));
            }
        }
    }
    assert!(undeclared.is_empty(), "no security stated: {undeclared:?}");
    insta::assert_json_snapshot!("openapi", doc);
}

#[tokio::test]
async fn the_web_ui_is_served_with_the_app_shell_for_its_routes() {
    let db = testing::sqlite().await.unwrap();
    let app = TestApp::start(db, 1024).await;
    let fetch = |path: &str| {
        let url = format!("{}{path}", app.base);
        let client = app.client.clone();
        async move { client.get(url).send().await.unwrap() }
    };
    let r = fetch("/").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"),
        "{csp}"
    );
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    let html = r.text().await.unwrap();
    assert!(html.contains("Casewatch 执法监督平台"));
    assert!(!html.contains("<script>"), "no inline script under the CSP");
    // A route of the single-page app reloads to the same shell.
    let deep = fetch("/cases/C1").await;
    assert_eq!(deep.status(), StatusCode::OK);
    assert_eq!(deep.text().await.unwrap(), html);
    // The entry script it names is served, cached for good (its name carries its hash).
    let script = html
        .split("src=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_owned();
    assert!(script.starts_with("/assets/"), "{script}");
    let js = fetch(&script).await;
    assert_eq!(js.status(), StatusCode::OK);
    assert!(
        js.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    assert!(
        js.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    // Unknown API paths stay JSON errors.
    let (status, err) = app.get("/api/v1/nothing").await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
}

#[tokio::test]
async fn alerts_findings_rules_coverage_and_calendar() {
    for app in TestApp::all().await {
        app.post("application/json", events().to_string()).await;
        // The detention at 2026-03-02 10:23 was evaluated at the receiving clock (2026-04-01 12:00):
        // its 24-hour clocks are overdue.
        let (status, page) = app.get("/api/v1/alerts?state=overdue").await;
        assert_eq!(status, StatusCode::OK, "{}: {page}", app.db.label);
        let rules: Vec<&str> = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["rule"].as_str().unwrap())
            .collect();
        assert!(
            rules.contains(&"criminal_detention_to_detention_house"),
            "{rules:?}"
        );
        let first = &page["items"][0];
        assert_eq!(first["state_zh"], "已超期");
        assert!(
            first["explain"].as_str().unwrap().contains("依据"),
            "{first}"
        );
        assert!(!first["basis"].as_str().unwrap().is_empty());
        let dues: Vec<&str> = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["due"].as_str().unwrap())
            .collect();
        let mut sorted = dues.clone();
        sorted.sort();
        assert_eq!(dues, sorted, "sorted by due");

        let (_, filtered) = app
            .get("/api/v1/alerts?state=all&rule=criminal_filing_review&case=C1")
            .await;
        assert_eq!(filtered["total"], 1);
        let (_, none) = app
            .get("/api/v1/alerts?state=all&due_before=2026-03-01T00:00:00%2B08:00")
            .await;
        assert_eq!(none["total"], 0);
        let (_, criminal) = app.get("/api/v1/alerts?state=all&kind=criminal").await;
        assert!(criminal["total"].as_u64().unwrap() > 0, "{criminal}");
        let (_, admin) = app
            .get("/api/v1/alerts?state=all&kind=administrative")
            .await;
        assert_eq!(admin["total"], 0, "C1 is a criminal case");
        let (status, err) = app.get("/api/v1/alerts?kind=civil").await;
        assert_eq!(
            (status, err["error"]["details"][0]["field"].as_str()),
            (StatusCode::BAD_REQUEST, Some("kind"))
        );
        let (status, err) = app.get("/api/v1/alerts?state=late,bogus").await;
        assert_eq!(
            (status, err["error"]["details"][0]["field"].as_str()),
            (StatusCode::BAD_REQUEST, Some("state"))
        );
        let (status, err) = app.get("/api/v1/alerts?due_after=yesterday").await;
        assert_eq!(
            (status, err["error"]["details"][0]["field"].as_str()),
            (StatusCode::BAD_REQUEST, Some("due_after"))
        );

        let (_, summary) = app.get("/api/v1/alerts/summary").await;
        assert!(
            summary["totals"]["overdue"].as_i64().unwrap() >= 3,
            "{summary}"
        );
        assert_eq!(summary["rows"][0]["unit"], "U-1");

        let (status, findings) = app.get("/api/v1/cases/C1/findings").await;
        assert_eq!(status, StatusCode::OK);
        let f = findings
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["rule"] == "criminal_detention_family_notice")
            .unwrap();
        assert_eq!(f["history"][0]["state"], "overdue");
        assert_eq!(f["history"][0]["cause"], "event");
        let (status, _) = app.get("/api/v1/cases/NOPE/findings").await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        let (_, pack) = app.get("/api/v1/rules").await;
        let rules = pack["rules"].as_array().unwrap();
        assert_eq!(rules.len(), 41);
        let r = rules
            .iter()
            .find(|r| r["id"] == "criminal_detention_to_detention_house")
            .unwrap();
        assert_eq!(
            (r["limit"].as_str(), r["kind"].as_str()),
            (Some("24小时"), Some("clock"))
        );
        assert!(r["basis"].as_str().unwrap().contains("刑诉法"));

        let (_, cov) = app.get("/api/v1/coverage").await;
        assert_eq!(cov["cases"], 1);
        assert!(cov["ratio"].as_f64().unwrap() > 0.0);
        assert!(
            cov["unwatched_types"]
                .as_array()
                .unwrap()
                .iter()
                .any(|t| t == "document.issued")
        );

        let (_, cal) = app.get("/api/v1/calendar").await;
        assert!(cal.as_array().unwrap().iter().any(|y| {
            y["year"] == 2026
                && y["rest_days"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|d| d == "2026-10-01")
        }));
    }
}

#[tokio::test]
async fn the_timer_moves_a_clock_to_overdue_at_its_instant_without_new_events() {
    let db = testing::sqlite().await.unwrap();
    let app =
        TestApp::start_with_clock(db, 1 << 20, Arc::new(casewatch_core::time::SystemClock)).await;
    let now = jiff::Timestamp::now();
    let fmt = |t: jiff::Timestamp| casewatch_core::time::format_instant(t);
    let due_back = now + jiff::SignedDuration::from_millis(1500);
    let batch = json!([
        {"id":"t1","type":"case.accepted","case":"T","at": fmt(now - jiff::SignedDuration::from_mins(10)),"unit":"U-1","data":{"kind":"criminal"}},
        {"id":"t2","type":"property.seized","case":"T","subject":"X1","at": fmt(now - jiff::SignedDuration::from_mins(9)),"data":{"kind":"obtain"}},
        {"id":"t3","type":"property.checked_out","case":"T","subject":"X1","at": fmt(now - jiff::SignedDuration::from_mins(8)),"data":{"due_back": fmt(due_back)}}
    ]);
    let (status, body) = app.post("application/json", batch.to_string()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let state = |page: &Value| page["items"][0]["state"].as_str().map(str::to_owned);
    let (_, before) = app
        .get("/api/v1/alerts?state=all&rule=property_overdue_use")
        .await;
    assert_eq!(state(&before).as_deref(), Some("warning"), "{before}");
    // Poll (bounded) until the timer has moved it; it must happen within about a second of due.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(8);
    loop {
        let (_, page) = app
            .get("/api/v1/alerts?state=all&rule=property_overdue_use")
            .await;
        if state(&page).as_deref() == Some("overdue") {
            let late_by = jiff::Timestamp::now().duration_since(due_back);
            assert!(
                late_by < jiff::SignedDuration::from_millis(2500),
                "transitioned {late_by:?} after due"
            );
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the timer did not fire: {page}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let (_, findings) = app.get("/api/v1/cases/T/findings").await;
    let f = findings
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "property_overdue_use")
        .unwrap();
    let states: Vec<&str> = f["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["warning", "overdue"]);
    assert_eq!(f["history"][1]["cause"], "timer");
}

#[tokio::test]
async fn alerts_filter_by_unit_subtree() {
    for app in TestApp::all().await {
        let s = &app.db.store;
        let unit = |id: &str, parent: Option<&str>, kind: &str| casewatch_store::NewUnit {
            id: id.into(),
            name: format!("单位{id}"),
            parent: parent.map(Into::into),
            kind: kind.into(),
        };
        s.add_unit(&unit("SJ", None, "bureau")).await.unwrap();
        add_account(&app, "L-SJ", "SJ", "legal_dept").await;
        s.add_unit(&unit("FJ1", Some("SJ"), "branch"))
            .await
            .unwrap();
        s.add_unit(&unit("PCS1", Some("FJ1"), "station"))
            .await
            .unwrap();
        s.add_unit(&unit("FJ2", Some("SJ"), "branch"))
            .await
            .unwrap();
        // `events()` is owned by U-1 (under SJ-R); a second case by the station under FJ1,
        // sent with a token for SJ.
        app.post("application/json", events().to_string()).await;
        let token = casewatch_store::ApiToken {
            id: "T-SJ".into(),
            name: "市局接入".into(),
            secret_hash: casewatch_server::auth::password::digest(TEST_SECRET),
            roles: vec!["ingest".into()],
            units: vec!["SJ".into()],
            created_by: "test".into(),
            created_at_us: 0,
            revoked_at_us: None,
            last_used_us: None,
        };
        s.create_token(&token).await.unwrap();
        let other = json!([
            {"id":"p1","type":"case.accepted","case":"C2","at":"2026-03-01T09:00:00+08:00","unit":"PCS1","data":{"kind":"criminal"}},
            {"id":"p2","type":"detention.started","case":"C2","subject":"P1","at":"2026-03-02T10:23:00+08:00","unit":"PCS1"}
        ]);
        let r = app
            .client
            .post(format!("{}/api/v1/events", app.base))
            .header("content-type", "application/json")
            .header("authorization", format!("Bearer T-SJ.{TEST_SECRET}"))
            .body(other.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{}", app.db.label);
        // A legal department at the top sees both trees' … only its own tree: SJ, not SJ-R.
        let (sj, _) = app.sign_in("L-SJ").await;
        let cases_of = |page: &Value| {
            let mut c: Vec<String> = page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["case_id"].as_str().unwrap().to_owned())
                .collect();
            c.dedup();
            c
        };
        let (_, under_fj1) = app.get_as(&sj, "/api/v1/alerts?state=all&unit=FJ1").await;
        assert_eq!(
            cases_of(&under_fj1),
            ["C2"],
            "{}: the station's case is under its branch",
            app.db.label
        );
        let (_, under_sj) = app
            .get_as(&sj, "/api/v1/alerts?state=all&unit=SJ&per_page=200")
            .await;
        assert_eq!(cases_of(&under_sj), ["C2"], "U-1 is in another tree");
        let (_, everything) = app
            .get_as(&sj, "/api/v1/alerts?state=all&per_page=200")
            .await;
        assert_eq!(
            cases_of(&everything),
            ["C2"],
            "the filter is within the scope"
        );
        let (_, under_fj2) = app.get_as(&sj, "/api/v1/alerts?state=all&unit=FJ2").await;
        assert_eq!(under_fj2["total"], 0);
        let (_, foreign) = app.get_as(&sj, "/api/v1/alerts?state=all&unit=U-1").await;
        assert_eq!(
            foreign["total"], 0,
            "a unit outside the reader's tree shows nothing"
        );
        let (_, exact) = app.get_as(&sj, "/api/v1/alerts?state=all&unit=PCS1").await;
        assert_eq!(cases_of(&exact), ["C2"]);
        let (_, summary) = app
            .get_as(&sj, "/api/v1/alerts/summary?state=all&unit=FJ1")
            .await;
        assert!(
            summary["rows"]
                .as_array()
                .unwrap()
                .iter()
                .all(|r| r["unit"] == "PCS1"),
            "{summary}"
        );
        let (status, _) = app.get_as(&sj, "/api/v1/alerts/summary?unit=NOPE").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
    }
}

mod auth {
    use super::*;

    async fn with_user(app: &TestApp) {
        add_unit(app, "SJ", None, "bureau").await;
        add_account(app, "O-1", "SJ", "legal_dept").await;
    }

    async fn login(app: &TestApp, password: &str) -> reqwest::Response {
        app.client
            .post(format!("{}/api/v1/auth/login", app.base))
            .json(&json!({"user": "O-1", "password": password}))
            .send()
            .await
            .unwrap()
    }

    fn session_of(r: &reqwest::Response) -> String {
        let c = r.headers()["set-cookie"].to_str().unwrap().to_owned();
        assert!(
            c.contains("HttpOnly") && c.contains("SameSite=Strict"),
            "{c}"
        );
        c.split(';').next().unwrap().to_owned()
    }

    #[tokio::test]
    async fn login_me_csrf_and_logout_are_audited() {
        for app in TestApp::all().await {
            with_user(&app).await;
            let r = login(&app, "Jing-cha#2026").await;
            assert_eq!(r.status(), StatusCode::OK, "{}", app.db.label);
            let cookie = session_of(&r);
            let me: Value = r.json().await.unwrap();
            assert_eq!(
                (me["id"].as_str(), me["roles"][0].as_str()),
                (Some("O-1"), Some("legal_dept"))
            );
            let csrf = me["csrf_token"].as_str().unwrap().to_owned();

            let r = app
                .client
                .get(format!("{}/api/v1/auth/me", app.base))
                .header("cookie", &cookie)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::OK);
            // A write without the CSRF token, or from another site, is refused.
            let r = app
                .client
                .post(format!("{}/api/v1/auth/logout", app.base))
                .header("cookie", &cookie)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::FORBIDDEN);
            let r = app
                .client
                .post(format!("{}/api/v1/auth/logout", app.base))
                .header("cookie", &cookie)
                .header("x-csrf-token", &csrf)
                .header("sec-fetch-site", "cross-site")
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::FORBIDDEN);
            let r = app
                .client
                .post(format!("{}/api/v1/auth/logout", app.base))
                .header("cookie", &cookie)
                .header("x-csrf-token", &csrf)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::NO_CONTENT);
            let r = app
                .client
                .get(format!("{}/api/v1/auth/me", app.base))
                .header("cookie", &cookie)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "the session is gone");

            let q = casewatch_store::AuditQuery {
                actor: Some("O-1".into()),
                action: None,
                outcome: None,
                target: None,
                from_us: None,
                to_us: None,
                page: 1,
                per_page: 50,
            };
            let trail: Vec<(String, String)> = app
                .db
                .store
                .list_audit(&q)
                .await
                .unwrap()
                .items
                .into_iter()
                .map(|r| (r.action, r.outcome))
                .collect();
            assert!(
                trail.contains(&("login".into(), "success".into())),
                "{trail:?}"
            );
            assert!(trail.contains(&("logout".into(), "denied".into())));
            assert!(trail.contains(&("logout".into(), "success".into())));
            assert!(
                app.db
                    .store
                    .verify_audit(&|_| {})
                    .await
                    .unwrap()
                    .broken
                    .is_none()
            );
        }
    }

    #[tokio::test]
    async fn the_audit_trail_is_for_admins_and_the_legal_department() {
        for app in TestApp::all().await {
            with_user(&app).await; // O-1: legal_dept at SJ
            let hash = casewatch_server::auth::password::hash_password("Jing-cha#2026").unwrap();
            let officer = casewatch_store::NewUser {
                id: "O-2".into(),
                name: "李四".into(),
                unit: "SJ".into(),
                roles: vec!["officer".into()],
                password_hash: Some(hash),
            };
            app.db
                .store
                .add_user(&officer, jiff::Timestamp::now())
                .await
                .unwrap();
            let anonymous = app
                .client
                .get(format!("{}/api/v1/audit", app.base))
                .send()
                .await
                .unwrap();
            assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);

            let r = app
                .client
                .post(format!("{}/api/v1/auth/login", app.base))
                .json(&json!({"user": "O-2", "password": "Jing-cha#2026"}))
                .send()
                .await
                .unwrap();
            let officer_cookie = session_of(&r);
            let denied = app
                .client
                .get(format!("{}/api/v1/audit", app.base))
                .header("cookie", &officer_cookie)
                .send()
                .await
                .unwrap();
            assert_eq!(denied.status(), StatusCode::FORBIDDEN, "{}", app.db.label);

            let cookie = session_of(&login(&app, "Jing-cha#2026").await);
            let page: Value = app
                .client
                .get(format!("{}/api/v1/audit?action=login", app.base))
                .header("cookie", &cookie)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            assert!(page["total"].as_u64().unwrap() >= 2, "{page}");
            assert_eq!(page["items"][0]["action"], "login");
            assert_eq!(page["items"][0]["signature"].as_str().unwrap().len(), 128);
            assert_eq!(page["public_key"].as_str().unwrap().len(), 64);
            let csv = app
                .client
                .get(format!("{}/api/v1/audit?format=csv", app.base))
                .header("cookie", &cookie)
                .send()
                .await
                .unwrap();
            assert!(
                csv.headers()["content-type"]
                    .to_str()
                    .unwrap()
                    .starts_with("text/csv")
            );
            let body = csv.text().await.unwrap();
            assert!(body.starts_with("seq,at,actor,actor_kind,source,action,target,outcome,details,hash,signature,key_id\n"));
            assert!(
                body.contains(",audit.read,") && body.contains(",denied,"),
                "reads and denials are audited: {body}"
            );
        }
    }

    #[tokio::test]
    async fn personal_data_is_masked_unless_unmasked_with_a_reason() {
        for app in TestApp::all().await {
            // R-1: legal_dept at SJ-R, the test app's reader.
            let s = &app.db.store;
            add_unit(&app, "PCS", Some("SJ-R"), "station").await;
            add_unit(&app, "OTHER", None, "bureau").await;
            add_account(&app, "O-9", "OTHER", "legal_dept").await;
            let batch = json!([
                {"id":"m1","type":"case.accepted","case":"M","at":"2026-03-01T09:00:00+08:00","unit":"PCS","data":{"kind":"criminal"}},
                {"id":"m2","type":"person.registered","case":"M","subject":"P1","at":"2026-03-01T10:00:00+08:00","data":{"role":"suspect","name":"王某","id_number":"310101199001011234"}}
            ]);
            app.post("application/json", batch.to_string()).await;

            let (_, masked) = app.get("/api/v1/cases/M").await;
            assert_eq!(
                masked["ledger"]["persons"]["P1"]["id_number"], "3101**********1234",
                "{}",
                app.db.label
            );
            assert_eq!(
                masked["timeline"][1]["data"]["id_number"], "3101**********1234",
                "masked in event data too"
            );
            let (status, _) = app
                .get_as("", "/api/v1/cases/M?unmask=true&reason=核对身份")
                .await;
            assert_eq!(status, StatusCode::UNAUTHORIZED);

            let cookie = app.cookie.clone();
            let get = |path: &str, cookie: &str| {
                let url = format!("{}{path}", app.base);
                let c = cookie.to_owned();
                let client = app.client.clone();
                async move { client.get(url).header("cookie", c).send().await.unwrap() }
            };
            assert_eq!(
                get("/api/v1/cases/M?unmask=true", &cookie).await.status(),
                StatusCode::BAD_REQUEST,
                "a reason is required"
            );
            let full: Value = get(
                "/api/v1/cases/M?unmask=true&reason=%E6%A0%B8%E5%AF%B9%E8%BA%AB%E4%BB%BD",
                &cookie,
            )
            .await
            .json()
            .await
            .unwrap();
            assert_eq!(
                full["ledger"]["persons"]["P1"]["id_number"],
                "310101199001011234"
            );

            let r = app
                .client
                .post(format!("{}/api/v1/auth/login", app.base))
                .json(&json!({"user": "O-9", "password": "Jing-cha#2026"}))
                .send()
                .await
                .unwrap();
            let outsider_cookie = session_of(&r);
            assert_eq!(
                get("/api/v1/cases/M?unmask=true&reason=x%20y", &outsider_cookie)
                    .await
                    .status(),
                StatusCode::NOT_FOUND,
                "another bureau's legal department does not see the case at all"
            );
            add_account(&app, "L-1", "SJ-R", "leader").await;
            let (leader, _) = app.sign_in("L-1").await;
            assert_eq!(
                get("/api/v1/cases/M?unmask=true&reason=x%20y", &leader)
                    .await
                    .status(),
                StatusCode::FORBIDDEN,
                "a leader reads the case but not its personal data"
            );
            assert_eq!(
                get("/api/v1/cases/M", &leader).await.status(),
                StatusCode::OK
            );

            let q = casewatch_store::AuditQuery {
                actor: None,
                action: Some("pii.unmask".into()),
                outcome: None,
                target: Some("M".into()),
                from_us: None,
                to_us: None,
                page: 1,
                per_page: 50,
            };
            let outcomes: Vec<String> = s
                .list_audit(&q)
                .await
                .unwrap()
                .items
                .into_iter()
                .map(|r| format!("{}:{}", r.actor, r.outcome))
                .collect();
            assert!(
                outcomes.contains(&"R-1:success".to_owned())
                    && outcomes.contains(&"L-1:denied".to_owned()),
                "{outcomes:?}"
            );
        }
    }

    #[tokio::test]
    async fn ingest_tokens_post_only_for_their_units() {
        for app in TestApp::all().await {
            let s = &app.db.store;
            let unit = |id: &str, parent: Option<&str>| casewatch_store::NewUnit {
                id: id.into(),
                name: id.into(),
                parent: parent.map(Into::into),
                kind: if parent.is_some() {
                    "station".into()
                } else {
                    "bureau".into()
                },
            };
            s.add_unit(&unit("SJ", None)).await.unwrap();
            s.add_unit(&unit("PCS1", Some("SJ"))).await.unwrap();
            s.add_unit(&unit("PCS2", Some("SJ"))).await.unwrap();
            let secret = "a".repeat(64);
            let token = casewatch_store::ApiToken {
                id: "tk-1".into(),
                name: "接警系统".into(),
                secret_hash: casewatch_server::auth::password::digest(&secret),
                roles: vec!["ingest".into()],
                units: vec!["PCS1".into()],
                created_by: "test".into(),
                created_at_us: 0,
                revoked_at_us: None,
                last_used_us: None,
            };
            s.create_token(&token).await.unwrap();
            let post = |body: Value, bearer: String| {
                let client = app.client.clone();
                let url = format!("{}/api/v1/events", app.base);
                async move {
                    client
                        .post(url)
                        .header("content-type", "application/json")
                        .header("authorization", bearer)
                        .body(body.to_string())
                        .send()
                        .await
                        .unwrap()
                }
            };
            let own = json!([{"id":"t1","type":"case.accepted","case":"T1","at":"2026-03-01T09:00:00+08:00","unit":"PCS1","data":{"kind":"criminal"}}]);
            let r = post(own, format!("Bearer tk-1.{secret}")).await;
            assert_eq!(r.status(), StatusCode::OK, "{}", app.db.label);
            let foreign = json!([
                {"id":"t2","type":"case.accepted","case":"T2","at":"2026-03-01T09:00:00+08:00","unit":"PCS2","data":{"kind":"criminal"}},
                {"id":"t3","type":"case.filed","case":"T9","at":"2026-03-01T10:00:00+08:00"},
                {"id":"t4","type":"case.filed","case":"T1","at":"2026-03-01T10:00:00+08:00"}
            ]);
            let r = post(foreign, format!("Bearer tk-1.{secret}")).await;
            assert_eq!(r.status(), StatusCode::FORBIDDEN);
            let body: Value = r.json().await.unwrap();
            let codes: Vec<&str> = body["error"]["details"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d["code"].as_str().unwrap())
                .collect();
            assert_eq!(
                codes,
                ["unit_not_allowed", "unit_required"],
                "t4 is T1's, of PCS1"
            );
            // Counted after the test app's own setup, which stores no events.
            assert_eq!(
                app.n_events().await,
                1,
                "nothing of the refused batch was stored"
            );
            let of_its_case = json!([{"id":"t4","type":"case.filed","case":"T1","at":"2026-03-01T10:00:00+08:00"}]);
            let r = post(of_its_case, format!("Bearer tk-1.{secret}")).await;
            assert_eq!(
                r.status(),
                StatusCode::OK,
                "an event without unit is its case's"
            );
            // A unit not yet registered belongs to no subtree; once registered under the
            // token's unit it is found (the server keeps registered units' paths, not misses).
            let later = json!([{"id":"t5","type":"case.accepted","case":"T5","at":"2026-03-01T09:00:00+08:00","unit":"PCS1-A","data":{"kind":"criminal"}}]);
            let r = post(later.clone(), format!("Bearer tk-1.{secret}")).await;
            assert_eq!(r.status(), StatusCode::FORBIDDEN, "{}", app.db.label);
            s.add_unit(&unit("PCS1-A", Some("PCS1"))).await.unwrap();
            let r = post(later, format!("Bearer tk-1.{secret}")).await;
            assert_eq!(r.status(), StatusCode::OK, "{}", app.db.label);
            let wrong = post(json!([]), "Bearer tk-1.wrong".into()).await;
            assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
            s.revoke_token("tk-1", jiff::Timestamp::now())
                .await
                .unwrap();
            let revoked = post(json!([]), format!("Bearer tk-1.{secret}")).await;
            let body: Value = revoked.json().await.unwrap();
            assert_eq!(body["error"]["code"], "token_revoked");
        }
    }

    #[tokio::test]
    async fn administrators_manage_their_subtree_over_the_api() {
        for app in TestApp::all().await {
            let s = &app.db.store;
            let unit = |id: &str, parent: Option<&str>, kind: &str| casewatch_store::NewUnit {
                id: id.into(),
                name: id.into(),
                parent: parent.map(Into::into),
                kind: kind.into(),
            };
            s.add_unit(&unit("SJ", None, "bureau")).await.unwrap();
            s.add_unit(&unit("FJ1", Some("SJ"), "branch"))
                .await
                .unwrap();
            s.add_unit(&unit("FJ2", Some("SJ"), "branch"))
                .await
                .unwrap();
            let hash = casewatch_server::auth::password::hash_password("Jing-cha#2026").unwrap();
            for (id, unit_id, role) in [("A-1", "FJ1", "admin"), ("L-1", "FJ1", "leader")] {
                let u = casewatch_store::NewUser {
                    id: id.into(),
                    name: id.into(),
                    unit: unit_id.into(),
                    roles: vec![role.into()],
                    password_hash: Some(hash.clone()),
                };
                s.add_user(&u, jiff::Timestamp::now()).await.unwrap();
            }
            let sign_in = |id: &'static str| {
                let client = app.client.clone();
                let url = format!("{}/api/v1/auth/login", app.base);
                async move {
                    let r = client
                        .post(url)
                        .json(&json!({"user": id, "password": "Jing-cha#2026"}))
                        .send()
                        .await
                        .unwrap();
                    let cookie = session_of(&r);
                    let me: Value = r.json().await.unwrap();
                    (cookie, me["csrf_token"].as_str().unwrap().to_owned())
                }
            };
            let (cookie, csrf) = sign_in("A-1").await;
            let post = |path: &str, body: Value, cookie: &str, csrf: &str| {
                app.client
                    .post(format!("{}{path}", app.base))
                    .header("cookie", cookie)
                    .header("x-csrf-token", csrf)
                    .json(&body)
                    .send()
            };
            let r = post(
                "/api/v1/units",
                json!({"id": "PCS1", "name": "滨江派出所", "parent": "FJ1", "kind": "station"}),
                &cookie,
                &csrf,
            )
            .await
            .unwrap();
            assert_eq!(r.status(), StatusCode::OK, "{}", app.db.label);
            let r = post(
                "/api/v1/units",
                json!({"id": "PCS2", "name": "外分局派出所", "parent": "FJ2", "kind": "station"}),
                &cookie,
                &csrf,
            )
            .await
            .unwrap();
            assert_eq!(r.status(), StatusCode::FORBIDDEN, "another branch");
            let r = post("/api/v1/users", json!({"id": "O-7", "name": "民警", "unit": "PCS1", "roles": ["officer"], "password": "short"}), &cookie, &csrf).await.unwrap();
            assert_eq!(
                r.status(),
                StatusCode::BAD_REQUEST,
                "the password policy applies"
            );
            let r = post("/api/v1/users", json!({"id": "O-7", "name": "民警", "unit": "PCS1", "roles": ["officer"], "password": "Jing-cha#2027"}), &cookie, &csrf).await.unwrap();
            assert_eq!(r.status(), StatusCode::OK);
            let users: Value = app
                .client
                .get(format!("{}/api/v1/users", app.base))
                .header("cookie", &cookie)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let ids: Vec<&str> = users
                .as_array()
                .unwrap()
                .iter()
                .map(|u| u["id"].as_str().unwrap())
                .collect();
            assert!(ids.contains(&"O-7") && ids.contains(&"A-1"), "{ids:?}");
            assert!(users[0].get("password_hash").is_none());
            let r = post(
                "/api/v1/tokens",
                json!({"name": "接警", "units": ["PCS1"]}),
                &cookie,
                &csrf,
            )
            .await
            .unwrap();
            let created: Value = r.json().await.unwrap();
            let id = created["id"].as_str().unwrap().to_owned();
            assert!(
                created["credential"]
                    .as_str()
                    .unwrap()
                    .starts_with(&format!("{id}."))
            );
            let r = app
                .client
                .delete(format!("{}/api/v1/tokens/{id}", app.base))
                .header("cookie", &cookie)
                .header("x-csrf-token", &csrf)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::NO_CONTENT);
            // Without the CSRF token, writes are refused.
            let r = app
                .client
                .post(format!("{}/api/v1/units", app.base))
                .header("cookie", &cookie)
                .json(&json!({"id": "X", "name": "X", "parent": "FJ1", "kind": "station"}))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::FORBIDDEN);
            // A leader is not an administrator.
            let (lcookie, lcsrf) = sign_in("L-1").await;
            let r = post(
                "/api/v1/units",
                json!({"id": "PCS3", "name": "x", "parent": "FJ1", "kind": "station"}),
                &lcookie,
                &lcsrf,
            )
            .await
            .unwrap();
            assert_eq!(r.status(), StatusCode::FORBIDDEN);
            let r = app
                .client
                .get(format!("{}/api/v1/users", app.base))
                .header("cookie", &lcookie)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::FORBIDDEN);
        }
    }

    #[tokio::test]
    async fn guessing_tokens_is_rate_limited_but_good_tokens_are_not() {
        let db = testing::sqlite().await.unwrap();
        let app = TestApp::start(db, 1 << 20).await;
        let get = |bearer: String| {
            let client = app.client.clone();
            let url = format!("{}/api/v1/calendar", app.base);
            async move {
                client
                    .get(url)
                    .header("authorization", bearer)
                    .send()
                    .await
                    .unwrap()
                    .status()
            }
        };
        // Successes cost nothing.
        for _ in 0..30 {
            assert_eq!(get(app.bearer.clone()).await, StatusCode::OK);
        }
        let mut statuses = Vec::new();
        for i in 0..25 {
            statuses.push(get(format!("Bearer T-TEST.guess{i}")).await);
        }
        assert_eq!(statuses[..20], [StatusCode::UNAUTHORIZED; 20]);
        assert_eq!(statuses[20..], [StatusCode::TOO_MANY_REQUESTS; 5]);
        assert_eq!(
            get(app.bearer.clone()).await,
            StatusCode::TOO_MANY_REQUESTS,
            "the address waits, whatever it sends"
        );
    }

    #[tokio::test]
    async fn repeated_failures_lock_the_account() {
        for app in TestApp::all().await {
            with_user(&app).await;
            for _ in 0..5 {
                assert_eq!(
                    login(&app, "wrong-password").await.status(),
                    StatusCode::UNAUTHORIZED
                );
            }
            let r = login(&app, "Jing-cha#2026").await;
            assert_eq!(
                r.status(),
                StatusCode::UNAUTHORIZED,
                "{}: locked even with the right password",
                app.db.label
            );
            let body: Value = r.json().await.unwrap();
            assert!(
                body["error"]["message"].as_str().unwrap().contains("锁定"),
                "{body}"
            );
            let unknown = app
                .client
                .post(format!("{}/api/v1/auth/login", app.base))
                .json(&json!({"user": "NOPE", "password": "x"}))
                .send()
                .await
                .unwrap();
            let body: Value = unknown.json().await.unwrap();
            assert_eq!(
                body["error"]["message"], "警号或密码错误",
                "no enumeration of 警号"
            );
        }
    }

    #[tokio::test]
    async fn sessions_expire_when_idle() {
        let db = testing::sqlite().await.unwrap();
        let clock = Arc::new(FixedClock("2026-04-01T12:00:00+08:00".parse().unwrap()));
        let app = TestApp::start_with_clock(db, 1 << 20, clock).await;
        with_user(&app).await;
        let r = login(&app, "Jing-cha#2026").await;
        let cookie = session_of(&r);
        // Make the session look idle for an hour by moving its last activity back in the store.
        let hash = {
            let id = cookie.split('=').nth(1).unwrap();
            casewatch_server::auth::password::digest(id)
        };
        let s = app.db.store.get_session(&hash).await.unwrap().unwrap();
        app.db.store.delete_session(&hash).await.unwrap();
        let stale = casewatch_store::Session {
            last_seen_us: s.last_seen_us - 3_600_000_000,
            created_at_us: s.created_at_us - 3_600_000_000,
            ..s
        };
        app.db.store.create_session(&stale).await.unwrap();
        let r = app
            .client
            .get(format!("{}/api/v1/auth/me", app.base))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"]["code"], "session_expired");
    }
}

/// Who may read and write what, endpoint by endpoint, on every backend: one account per role
/// placed so that own, child, parent and foreign units all exist.
mod access {
    use std::collections::BTreeSet;

    use super::*;

    /// ```text
    /// SJ-R 市局 ── U-1 派出所            (case C-U)
    ///          └─ FJ 分局 ── PCS-A 派出所 (case C-A)
    ///                    └─ PCS-B 派出所 (case C-B)
    /// OTHER 另一市局
    /// ```
    async fn city(app: &TestApp) -> Vec<(&'static str, String, String)> {
        add_unit(app, "FJ", Some("SJ-R"), "branch").await;
        add_unit(app, "PCS-A", Some("FJ"), "station").await;
        add_unit(app, "PCS-B", Some("FJ"), "station").await;
        add_unit(app, "OTHER", None, "bureau").await;
        for (case, unit) in [("C-U", "U-1"), ("C-A", "PCS-A"), ("C-B", "PCS-B")] {
            let batch = json!([
                {"id":format!("{case}-1"),"type":"case.accepted","case":case,"at":"2026-03-01T09:00:00+08:00","unit":unit,"data":{"kind":"criminal","cause":"盗窃"}},
                {"id":format!("{case}-2"),"type":"person.registered","case":case,"subject":"P1","at":"2026-03-01T10:00:00+08:00","data":{"role":"suspect","name":"王某","id_number":"310101199001011234"}},
                {"id":format!("{case}-3"),"type":"detention.started","case":case,"subject":"P1","at":"2026-03-02T10:23:00+08:00"}
            ]);
            let (status, body) = app.post("application/json", batch.to_string()).await;
            assert_eq!(status, StatusCode::OK, "{body}");
        }
        let mut who = Vec::new();
        for (name, id, unit, role) in [
            ("officer", "OF", "PCS-A", "officer"),
            ("legal_officer", "LO", "FJ", "legal_officer"),
            ("legal_dept", "LD", "FJ", "legal_dept"),
            ("leader", "LE", "SJ-R", "leader"),
            ("admin", "AD", "SJ-R", "admin"),
            ("foreign", "XO", "OTHER", "legal_dept"),
        ] {
            add_account(app, id, unit, role).await;
            let (cookie, csrf) = app.sign_in(id).await;
            who.push((name, cookie, csrf));
        }
        who.push(("anonymous", String::new(), String::new()));
        who
    }

    fn case_ids(v: &Value, field: &str) -> BTreeSet<String> {
        v["items"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|x| x[field].as_str().unwrap().to_owned())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// What each reader sees in the lists: `None` for a refusal with that status.
    fn expected(who: &str) -> Result<&'static [&'static str], StatusCode> {
        match who {
            "officer" => Ok(&["C-A"]),
            "legal_officer" | "legal_dept" => Ok(&["C-A", "C-B"]),
            "leader" => Ok(&["C-A", "C-B", "C-U"]),
            "admin" => Err(StatusCode::FORBIDDEN),
            "foreign" => Ok(&[]),
            _ => Err(StatusCode::UNAUTHORIZED),
        }
    }

    #[tokio::test]
    async fn every_reading_endpoint_by_role_and_unit() {
        for app in TestApp::all().await {
            let who = city(&app).await;
            for (name, cookie, _) in &who {
                let label = format!("{} {name}", app.db.label);
                let want = expected(name);
                let set =
                    |ids: &[&str]| ids.iter().map(|s| (*s).to_owned()).collect::<BTreeSet<_>>();

                let (status, page) = app.get_as(cookie, "/api/v1/cases").await;
                match want {
                    Ok(ids) => {
                        assert_eq!(status, StatusCode::OK, "cases, {label}");
                        assert_eq!(case_ids(&page, "case_id"), set(ids), "cases, {label}");
                        assert_eq!(page["total"], ids.len(), "total, {label}");
                    }
                    Err(code) => assert_eq!(status, code, "cases, {label}"),
                }
                let (status, page) = app
                    .get_as(cookie, "/api/v1/alerts?state=all&per_page=200")
                    .await;
                match want {
                    Ok(ids) => {
                        assert_eq!(status, StatusCode::OK, "alerts, {label}");
                        assert_eq!(case_ids(&page, "case_id"), set(ids), "alerts, {label}");
                    }
                    Err(code) => assert_eq!(status, code, "alerts, {label}"),
                }

                // A single case: readable, or 404 exactly as if it did not exist.
                for case in ["C-A", "C-B", "C-U"] {
                    for path in [
                        format!("/api/v1/cases/{case}"),
                        format!("/api/v1/cases/{case}/findings"),
                    ] {
                        let (status, body) = app.get_as(cookie, &path).await;
                        let (_, missing) = app.get_as(cookie, &path.replace(case, "C-NONE")).await;
                        match want {
                            Ok(ids) if ids.contains(&case) => {
                                assert_eq!(status, StatusCode::OK, "{path}, {label}");
                            }
                            Err(StatusCode::UNAUTHORIZED) => {
                                assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}, {label}");
                            }
                            _ => {
                                assert_eq!(status, StatusCode::NOT_FOUND, "{path}, {label}");
                                assert_eq!(
                                    body["error"]["message"]
                                        .as_str()
                                        .map(|m| m.replace(case, "C-NONE")),
                                    missing["error"]["message"].as_str().map(str::to_owned),
                                    "a denied case reads like a missing one, {label}"
                                );
                            }
                        }
                    }
                }

                // Dashboards: not for officers or administrators.
                let dash: Result<&[&str], StatusCode> = match *name {
                    "officer" | "admin" => Err(StatusCode::FORBIDDEN),
                    _ => want,
                };
                let (status, summary) =
                    app.get_as(cookie, "/api/v1/alerts/summary?state=all").await;
                let (cov_status, cov) = app.get_as(cookie, "/api/v1/coverage").await;
                match dash {
                    Ok(ids) => {
                        assert_eq!(
                            (status, cov_status),
                            (StatusCode::OK, StatusCode::OK),
                            "dashboards, {label}"
                        );
                        let units: BTreeSet<String> = summary["rows"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .map(|r| r["unit"].as_str().unwrap().to_owned())
                            .collect();
                        let of_cases: BTreeSet<String> = ids
                            .iter()
                            .map(|c| {
                                match *c {
                                    "C-A" => "PCS-A",
                                    "C-B" => "PCS-B",
                                    _ => "U-1",
                                }
                                .to_owned()
                            })
                            .collect();
                        assert_eq!(units, of_cases, "summary, {label}");
                        assert_eq!(cov["cases"], ids.len(), "coverage, {label}");
                    }
                    Err(code) => {
                        assert_eq!((status, cov_status), (code, code), "dashboards, {label}")
                    }
                }

                // The rule pack and the calendar: every signed-in user.
                for path in ["/api/v1/rules", "/api/v1/calendar"] {
                    let (status, _) = app.get_as(cookie, path).await;
                    let code = if *name == "anonymous" {
                        StatusCode::UNAUTHORIZED
                    } else {
                        StatusCode::OK
                    };
                    assert_eq!(status, code, "{path}, {label}");
                }
                // The audit trail: administrators and legal departments.
                let (status, _) = app.get_as(cookie, "/api/v1/audit").await;
                let code = match *name {
                    "admin" | "legal_dept" | "foreign" => StatusCode::OK,
                    "anonymous" => StatusCode::UNAUTHORIZED,
                    _ => StatusCode::FORBIDDEN,
                };
                assert_eq!(status, code, "audit, {label}");
            }

            // Denied single reads are in the audit trail.
            let q = casewatch_store::AuditQuery {
                actor: Some("OF".into()),
                action: Some("case.read".into()),
                outcome: Some("denied".into()),
                target: None,
                from_us: None,
                to_us: None,
                page: 1,
                per_page: 50,
            };
            let denied: BTreeSet<String> = app
                .db
                .store
                .list_audit(&q)
                .await
                .unwrap()
                .items
                .into_iter()
                .filter_map(|r| r.target)
                .collect();
            assert_eq!(
                denied,
                ["C-B".to_owned(), "C-U".to_owned()].into(),
                "{}",
                app.db.label
            );

            // A token reads only what its roles grant: an ingest token no cases, no rules.
            for path in ["/api/v1/cases", "/api/v1/rules", "/api/v1/alerts"] {
                let r = app
                    .client
                    .get(format!("{}{path}", app.base))
                    .header("authorization", &app.bearer)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), StatusCode::FORBIDDEN, "ingest token on {path}");
            }
        }
    }

    #[tokio::test]
    async fn recording_events_by_role_and_unit() {
        for app in TestApp::all().await {
            let who = city(&app).await;
            let session = |name: &str| {
                who.iter()
                    .find(|w| w.0 == name)
                    .map(|w| (w.1.clone(), w.2.clone()))
                    .unwrap()
            };
            let post = |cookie: String, csrf: Option<String>, body: Value| {
                let client = app.client.clone();
                let url = format!("{}/api/v1/events", app.base);
                async move {
                    let mut req = client
                        .post(url)
                        .header("content-type", "application/json")
                        .body(body.to_string());
                    if !cookie.is_empty() {
                        req = req.header("cookie", cookie);
                    }
                    if let Some(c) = csrf {
                        req = req.header("x-csrf-token", c);
                    }
                    let r = req.send().await.unwrap();
                    let status = r.status();
                    (status, r.json::<Value>().await.unwrap_or(Value::Null))
                }
            };
            let filed = |id: &str, case: &str| json!([{"id":id,"type":"case.filed","case":case,"at":"2026-03-03T09:00:00+08:00"}]);
            let n = app.n_events().await;

            let (cookie, csrf) = session("officer");
            let (status, body) = post(cookie.clone(), Some(csrf.clone()), filed("f1", "C-A")).await;
            assert_eq!(
                status,
                StatusCode::OK,
                "{}: an officer records his unit's case: {body}",
                app.db.label
            );
            let (status, body) = post(cookie.clone(), Some(csrf.clone()), filed("f2", "C-B")).await;
            assert_eq!(
                (status, body["error"]["details"][0]["code"].as_str()),
                (StatusCode::FORBIDDEN, Some("unit_not_allowed")),
                "another station's case"
            );
            let (status, body) = post(cookie.clone(), None, filed("f3", "C-A")).await;
            assert_eq!(
                (status, body["error"]["code"].as_str()),
                (StatusCode::FORBIDDEN, Some("csrf")),
                "no CSRF token"
            );
            let (status, _) = post(cookie, Some("wrong".into()), filed("f3", "C-A")).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "a wrong CSRF token");

            let (cookie, csrf) = session("legal_officer");
            let (status, _) = post(cookie, Some(csrf), filed("f4", "C-B")).await;
            assert_eq!(
                status,
                StatusCode::OK,
                "a legal officer records within his subtree"
            );
            for name in ["leader", "admin", "legal_dept", "foreign"] {
                let (cookie, csrf) = session(name);
                let (status, _) = post(cookie, Some(csrf), filed("f5", "C-A")).await;
                assert_eq!(status, StatusCode::FORBIDDEN, "{name} records no events");
            }
            let (status, body) = post(String::new(), None, filed("f6", "C-A")).await;
            assert_eq!(
                (status, body["error"]["code"].as_str()),
                (StatusCode::UNAUTHORIZED, Some("not_signed_in"))
            );
            assert_eq!(
                app.n_events().await,
                n + 2,
                "only the two allowed batches were stored"
            );
        }
    }
}

/// The endpoints of the web UI: live notices, statistics, administration, calendar, rule tests.
mod web_api;
