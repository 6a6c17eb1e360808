//! The endpoints the web UI needs beyond reading cases and findings: live notices, dashboard
//! statistics, token and account administration, the holiday calendar, and the rule pack's
//! tests and dry run. Every test runs on every backend (`TestApp::all`).

use super::*;

mod admin;
mod calendar;
mod rules;
mod stats;
mod stream;

/// A request with a session's cookie and CSRF token (either may be empty) and a JSON body.
async fn send(
    app: &TestApp,
    method: reqwest::Method,
    path: impl std::fmt::Display,
    (cookie, csrf): (&str, &str),
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = app.client.request(method, format!("{}{path}", app.base));
    if !cookie.is_empty() {
        req = req.header("cookie", cookie);
    }
    if !csrf.is_empty() {
        req = req.header("x-csrf-token", csrf);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await.unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// The audit outcomes of one action, as `actor:outcome`.
async fn audited(app: &TestApp, action: &str) -> Vec<String> {
    let q = casewatch_store::AuditQuery {
        actor: None,
        action: Some(action.into()),
        outcome: None,
        target: None,
        from_us: None,
        to_us: None,
        page: 1,
        per_page: 200,
    };
    app.db
        .store
        .list_audit(&q)
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|r| format!("{}:{}", r.actor, r.outcome))
        .collect()
}

/// The `field` of every detail of an error answer.
fn fields(body: &Value) -> Vec<String> {
    body["error"]["details"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|d| d["field"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}
