//! `POST /api/v1/events`: batch ingestion of the event format v1.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode, header};
use casewatch_core::batch::{RawEvent, validate_batch};
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::AppState;
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
        (status = 401, description = "A bearer token that is unknown, wrong or revoked.", body = ErrorBody),
        (status = 403, description = "An event outside the units of the ingest token; nothing was stored.", body = ErrorBody),
        (status = 409, description = "An event id exists with different content; nothing was stored.", body = ErrorBody),
        (status = 413, description = "The body exceeds the configured limit.", body = ErrorBody),
        (status = 415, description = "Neither JSON nor JSON Lines.", body = ErrorBody),
    ),
    security((), ("token" = []))
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
    let caller = crate::auth::session::identify(&app, &headers, now).await?;
    if let crate::auth::session::Caller::Token { token } = &caller {
        check_token_scope(&app, token, &events, &raw).await?;
    }
    let out = app.store.append(&events, now).await.map_err(|e| {
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

/// An ingest token may post only events whose unit lies within the units it was created for.
/// Every event must name its unit; the first refusal of each event is listed.
async fn check_token_scope(
    app: &AppState,
    token: &casewatch_store::ApiToken,
    events: &[casewatch_core::Event],
    raw: &[RawEvent],
) -> Result<(), ApiError> {
    use casewatch_authz::{Action, Principal, Resource, Role, UnitPath};
    let mut paths = Vec::new();
    for u in &token.units {
        if let Some(unit) = app.store.get_unit(u).await?
            && let Ok(p) = UnitPath::parse(&unit.path)
        {
            paths.push(p);
        }
    }
    let Some(home) = paths.first().cloned() else {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "令牌没有可用的单位范围",
        ));
    };
    let principal = Principal::token(
        token.id.clone(),
        home,
        token.roles.iter().filter_map(|r| Role::parse(r).ok()),
        paths,
    );
    let mut cache: std::collections::HashMap<String, Option<UnitPath>> =
        std::collections::HashMap::new();
    let mut problems = Vec::new();
    for (index, e) in events.iter().enumerate() {
        let line = raw.get(index).and_then(|r| r.line);
        let Some(unit) = e.unit.as_ref().map(ToString::to_string) else {
            problems.push(serde_json::json!({"index": index, "line": line, "id": e.id.as_str(), "field": "unit", "code": "unit_required", "message": "通过令牌接入的事件必须填写 unit"}));
            continue;
        };
        if !cache.contains_key(&unit) {
            let path = app
                .store
                .get_unit(&unit)
                .await?
                .and_then(|u| UnitPath::parse(&u.path).ok());
            cache.insert(unit.clone(), path);
        }
        let allowed = cache.get(&unit).and_then(Option::as_ref).is_some_and(|p| {
            app.authz.is_allowed(
                &principal,
                Action::PostEvents,
                &Resource::OwnedBy(p.clone()),
            )
        });
        if !allowed {
            problems.push(serde_json::json!({"index": index, "line": line, "id": e.id.as_str(), "field": "unit", "code": "unit_not_allowed", "message": format!("令牌无权为单位 `{unit}` 接入事件")}));
        }
    }
    let outcome = if problems.is_empty() {
        "success"
    } else {
        "denied"
    };
    let details = serde_json::json!({"events": events.len(), "refused": problems.len()});
    crate::auth::trail::Actor::token(token.id.clone(), None)
        .record(app, "events.post", None, outcome, details)
        .await?;
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "unit_not_allowed",
            format!("{} 条事件超出令牌的单位范围，整批未保存", problems.len()),
        )
        .with_details(&problems))
    }
}
