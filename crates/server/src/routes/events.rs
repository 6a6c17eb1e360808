//! `POST /api/v1/events`: batch ingestion of the event format v1.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, Method, StatusCode, header};
use casewatch_core::batch::{RawEvent, validate_batch};
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::hardening::check_csrf;
use crate::auth::session::Caller;
use crate::auth::trail::Actor;
use crate::error::{ApiError, ErrorBody};
use crate::wire::IngestResult;

/// One event of the interchange format v1 (`spec/events.md`). Documented here for clients; the
/// server reads the body as raw JSON so that it can report every problem of every event.
#[derive(Debug, Deserialize, ToSchema)]
#[expect(
    dead_code,
    reason = "a schema for the OpenAPI document; requests are parsed as raw JSON"
)]
pub struct EventIn {
    /// Unique id chosen by the sender, 1–128 characters `[A-Za-z0-9._:-]`.
    id: String,
    /// The event type, e.g. `detention.started`; `x-…` for extensions.
    #[serde(rename = "type")]
    event_type: String,
    /// The case id.
    case: String,
    /// The person or property id, for person and property events.
    subject: Option<String>,
    /// When it happened: RFC 3339 with an offset, at most 5 minutes in the future.
    at: String,
    /// The acting unit.
    unit: Option<String>,
    /// The acting officer (警号).
    officer: Option<String>,
    /// Type-specific data.
    #[schema(value_type = Object)]
    data: Option<serde_json::Map<String, Value>>,
}

/// Ingests a batch of events, stored whole or not at all.
#[utoipa::path(
    post,
    path = "/api/v1/events",
    tag = "events",
    request_body(
        description = "A JSON array of events (or one event object), or JSON Lines with one event per line.",
        content((Vec<EventIn> = "application/json"), (String = "application/x-ndjson"))
    ),
    responses(
        (status = 200, description = "The batch was stored (or was entirely duplicates).", body = IngestResult),
        (status = 400, description = "Malformed body or invalid events; nothing was stored. `details` lists every problem by `index` (0-based), `line`, `id`, `field`, `code`.", body = ErrorBody),
        (status = 401, description = "No credentials, or a bearer token that is unknown, wrong or revoked, or an expired session.", body = ErrorBody),
        (status = 403, description = "An event outside the units the caller may record events for (an `ingest` token's units; an officer's own unit), or a cookie-authenticated request without the CSRF token; nothing was stored.", body = ErrorBody),
        (status = 409, description = "An event id exists with different content; nothing was stored.", body = ErrorBody),
        (status = 413, description = "The body exceeds the configured limit.", body = ErrorBody),
        (status = 415, description = "Neither JSON nor JSON Lines.", body = ErrorBody),
    ),
    security(("token" = []), ("session" = []))
)]
pub async fn post_events(
    State(app): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<IngestResult>, ApiError> {
    let body = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                format!("请求体超过上限 {} 字节，请分批发送", app.config.body_limit),
            )
        } else {
            ApiError::new(StatusCode::BAD_REQUEST, "unreadable_body", "无法读取请求体")
        }
    })?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default();
    let raw = match content_type.as_str() {
        "application/json" => parse_json(&body)?,
        "application/x-ndjson"
        | "application/jsonl"
        | "application/json-lines"
        | "application/jsonlines" => parse_lines(&body)?,
        other => {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                format!(
                    "不支持的内容类型 `{other}`：请使用 application/json 或 application/x-ndjson"
                ),
            ));
        }
    };

    let now = app.clock.now();
    let caller = crate::auth::session::identify(&app, &headers, now).await?;
    let actor = match &caller {
        Caller::Anonymous => {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "not_signed_in",
                "接入事件须使用 API 令牌（Authorization: Bearer）或登录",
            ));
        }
        Caller::User { user, session } => {
            if check_csrf(&Method::POST, &headers, &session.csrf_token).is_err() {
                return Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    "csrf",
                    "跨站请求或缺少 X-CSRF-Token",
                ));
            }
            Actor::user(user.id.clone(), None)
        }
        Caller::Token { token } => Actor::token(token.id.clone(), None),
    };
    let events = validate_batch(&raw, Some(now)).map_err(|problems| {
        let n_events = problems
            .iter()
            .map(|p| p.index)
            .collect::<std::collections::BTreeSet<_>>()
            .len();
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_events",
            format!(
                "{n_events} 条事件无效（共 {} 处问题），整批未保存",
                problems.len()
            ),
        )
        .with_details(&problems)
    })?;
    let audit = check_scope(&app, &caller, &actor, &events, &raw).await?;
    let out = app
        .store
        .append_audited(&events, now, &audit)
        .await
        .map_err(|e| {
            let mut err = ApiError::from(e);
            // Storage knows positions, not lines: add the lines of the source.
            for d in &mut err.details {
                let line = d
                    .get("index")
                    .and_then(Value::as_u64)
                    .and_then(|i| raw.get(usize::try_from(i).ok()?))
                    .and_then(|r| r.line);
                if let (Some(obj), Some(line)) = (d.as_object_mut(), line) {
                    obj.insert("line".into(), line.into());
                }
            }
            err
        })?;
    if out.accepted > 0 {
        app.timer.notify_one();
    }
    crate::live::changed(&app.notices, "event", out.cases_touched, now);
    tracing::info!(
        accepted = out.accepted,
        duplicates = out.duplicates,
        cases = out.cases_touched,
        "ingested batch"
    );
    Ok(Json(IngestResult {
        accepted: out.accepted,
        duplicates: out.duplicates,
        cases_touched: out.cases_touched,
    }))
}

fn malformed(message: String) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "malformed_json", message)
}

fn parse_json(body: &[u8]) -> Result<Vec<RawEvent>, ApiError> {
    let v: Value = serde_json::from_slice(body).map_err(|e| {
        malformed(format!(
            "JSON 格式错误：第 {} 行第 {} 列：{e}",
            e.line(),
            e.column()
        ))
    })?;
    Ok(match v {
        Value::Array(items) => items
            .into_iter()
            .map(|value| RawEvent { line: None, value })
            .collect(),
        value @ Value::Object(_) => vec![RawEvent { line: None, value }],
        _ => return Err(malformed("请求体应为事件数组或单个事件对象".into())),
    })
}

fn parse_lines(body: &[u8]) -> Result<Vec<RawEvent>, ApiError> {
    let text = std::str::from_utf8(body).map_err(|_| malformed("请求体不是 UTF-8 文本".into()))?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let n = i as u64 + 1;
        if line.trim().is_empty() {
            continue;
        }
        let value: Value = serde_json::from_str(line)
            .map_err(|e| malformed(format!("第 {n} 行不是有效的 JSON：第 {} 列：{e}", e.column())).with_details(&[serde_json::json!({"line": n, "field": "", "code": "malformed_json", "message": e.to_string()})]))?;
        out.push(RawEvent {
            line: Some(n),
            value,
        });
    }
    Ok(out)
}

/// A caller may post only events of the units it may record events for (`post_events`): an
/// `ingest` token those it was issued for with their subtrees, an officer his own unit. An
/// event's unit is the one it names, else its case's: named by an earlier event of the batch,
/// else stored. The first refusal of each event is listed. A refused attempt is audited here; an
/// allowed one returns its audit entry, which is stored with the batch.
async fn check_scope(
    app: &AppState,
    caller: &Caller,
    actor: &Actor,
    events: &[casewatch_core::Event],
    raw: &[RawEvent],
) -> Result<casewatch_store::AuditEntry, ApiError> {
    use std::collections::HashMap;

    use casewatch_authz::{Action, Resource};
    let Some(principal) = crate::auth::access::principal_of(app, caller).await? else {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "账号或令牌的单位未登记，无权接入事件",
        ));
    };
    // The stored units of the cases whose events name none, in one query.
    let unnamed: Vec<String> = events
        .iter()
        .filter(|e| e.unit.is_none())
        .map(|e| e.case.to_string())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let stored_units = app.store.case_units(&unnamed).await?;
    // Each event's unit: its own, else the first named by an earlier event of its case in this
    // batch, else the case's stored unit.
    let mut case_units: HashMap<String, Option<String>> = HashMap::new();
    let units: Vec<Option<String>> = events
        .iter()
        .map(|e| {
            let case = e.case.to_string();
            match &e.unit {
                Some(u) => {
                    let u = u.to_string();
                    case_units.entry(case).or_insert_with(|| Some(u.clone()));
                    Some(u)
                }
                None => case_units
                    .entry(case)
                    .or_insert_with_key(|case| stored_units.get(case).cloned().flatten())
                    .clone(),
            }
        })
        .collect();
    // The paths of every unit named, in one query (a batch names a dozen units: one round trip
    // each was a third of the live path's statements).
    let named: Vec<String> = units.iter().flatten().cloned().collect();
    let paths = crate::auth::access::unit_paths(app, &named).await?;
    let mut problems = Vec::new();
    for (index, (e, unit)) in events.iter().zip(&units).enumerate() {
        let line = raw.get(index).and_then(|r| r.line);
        let Some(unit) = unit else {
            problems.push(serde_json::json!({"index": index, "line": line, "id": e.id.as_str(), "field": "unit", "code": "unit_required", "message": "事件及其案件均未注明单位：请填写 unit"}));
            continue;
        };
        let allowed = paths.get(unit).is_some_and(|p| {
            app.authz.is_allowed(
                &principal,
                Action::PostEvents,
                &Resource::OwnedBy(p.clone()),
            )
        });
        if !allowed {
            problems.push(serde_json::json!({"index": index, "line": line, "id": e.id.as_str(), "field": "unit", "code": "unit_not_allowed", "message": format!("无权为单位 `{unit}` 接入事件")}));
        }
    }
    let details = serde_json::json!({"events": events.len(), "refused": problems.len()});
    if problems.is_empty() {
        Ok(actor.entry(app, "events.post", None, "success", details))
    } else {
        actor
            .record(app, "events.post", None, "denied", details)
            .await?;
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "unit_not_allowed",
            format!("{} 条事件超出可接入的单位范围，整批未保存", problems.len()),
        )
        .with_details(&problems))
    }
}
