//! `GET /api/v1/audit`: the audit trail for administrators and the legal department, as JSON or
//! CSV (for inspectors: each row carries its hash and signature).

#![expect(
    unused_qualifications,
    reason = "utoipa's path macro qualifies parameter types declared in the same module"
)]

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use casewatch_authz::{Action, Resource};
use casewatch_core::time::{format_instant, from_micros, parse_instant};
use casewatch_store::{AuditQuery, AuditRow};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::auth::session::identify;
use crate::auth::trail::Actor;
use crate::error::{ApiError, ErrorBody};

/// Filters of the audit list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// Only this actor (警号 or token id).
    pub actor: Option<String>,
    /// Only this action, e.g. `login`, `user.add`.
    pub action: Option<String>,
    /// `success`, `denied` or `failure`.
    pub outcome: Option<String>,
    /// Only this target.
    pub target: Option<String>,
    /// At or after (RFC 3339).
    pub from: Option<String>,
    /// Before (RFC 3339).
    pub to: Option<String>,
    /// `json` (default) or `csv`.
    pub format: Option<String>,
    /// Page, from 1.
    pub page: Option<u32>,
    /// Page size, 1–1000 (default 100).
    pub per_page: Option<u32>,
}

/// One audit row.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AuditItem {
    /// Position in the trail.
    pub seq: i64,
    /// When (RFC 3339, +08:00).
    pub at: Option<String>,
    /// Who.
    pub actor: String,
    /// `user`, `token`, `system` or `anonymous`.
    pub actor_kind: String,
    /// From where.
    pub source: Option<String>,
    /// What.
    pub action: String,
    /// On what.
    pub target: Option<String>,
    /// `success`, `denied` or `failure`.
    pub outcome: String,
    /// Details.
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
    /// The row's hash (chain).
    pub hash: String,
    /// Ed25519 signature of the hash.
    pub signature: String,
    /// The signing key's id.
    pub key_id: String,
}

/// One page of the audit trail.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AuditPage {
    /// Rows, newest first.
    pub items: Vec<AuditItem>,
    /// Rows matching the filters.
    pub total: u64,
    /// The public key rows are signed with now (hex).
    pub public_key: String,
}

fn item(r: AuditRow) -> AuditItem {
    AuditItem {
        seq: r.seq,
        at: from_micros(r.at_us).map(format_instant),
        actor: r.actor,
        actor_kind: r.actor_kind,
        source: r.source,
        action: r.action,
        target: r.target,
        outcome: r.outcome,
        details: r.details,
        hash: r.hash,
        signature: r.signature,
        key_id: r.key_id,
    }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// The audit trail, newest first, for administrators and the legal department of the user's
/// unit; reading it is itself audited.
#[utoipa::path(
    get,
    path = "/api/v1/audit",
    tag = "auth",
    params(AuditParams),
    responses(
        (status = 200, description = "Audit rows (JSON, or CSV with `format=csv`).", body = AuditPage),
        (status = 400, description = "An invalid filter.", body = ErrorBody),
        (status = 401, description = "Not signed in.", body = ErrorBody),
        (status = 403, description = "The role may not read the audit trail.", body = ErrorBody),
    ),
    security(("session" = []))
)]
pub async fn list_audit(
    State(app): State<AppState>,
    headers: HeaderMap,
    params: Result<Query<AuditParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let now = app.clock.now();
    let caller = identify(&app, &headers, now).await?;
    let Some(principal) = caller.principal() else {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "not_signed_in",
            "请先登录",
        ));
    };
    let allowed = app.authz.is_allowed(
        &principal,
        Action::ReadAudit,
        &Resource::OwnedBy(principal.unit.clone()),
    );
    let actor = Actor::user(principal.id.clone(), None);
    if !allowed {
        actor
            .record(&app, "audit.read", None, "denied", serde_json::json!({}))
            .await?;
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "当前角色无权查看审计日志",
        ));
    }
    let Query(p) = params
        .map_err(|e| ApiError::bad_param("query", format!("查询参数无效：{}", e.body_text())))?;
    let time = |field: &str, v: Option<&str>| -> Result<Option<i64>, ApiError> {
        v.map(|s| {
            parse_instant(s)
                .map(|t| t.as_microsecond())
                .map_err(|m| ApiError::bad_param(field, format!("{field}：{m}")))
        })
        .transpose()
    };
    let q = AuditQuery {
        actor: p.actor,
        action: p.action,
        outcome: p.outcome,
        target: p.target,
        from_us: time("from", p.from.as_deref())?,
        to_us: time("to", p.to.as_deref())?,
        page: p.page.unwrap_or(1).max(1),
        per_page: p.per_page.unwrap_or(100).clamp(1, 1000),
    };
    let csv = match p.format.as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(other) => {
            return Err(ApiError::bad_param(
                "format",
                format!("格式 `{other}` 无效：应为 json 或 csv"),
            ));
        }
    };
    let page = app.store.list_audit(&q).await?;
    let details =
        serde_json::json!({"format": if csv { "csv" } else { "json" }, "rows": page.items.len()});
    actor
        .record(&app, "audit.read", None, "success", details)
        .await?;
    if csv {
        let mut out = String::from(
            "seq,at,actor,actor_kind,source,action,target,outcome,details,hash,signature,key_id\n",
        );
        for r in page.items.into_iter().map(item) {
            let fields = [
                r.seq.to_string(),
                r.at.unwrap_or_default(),
                r.actor,
                r.actor_kind,
                r.source.unwrap_or_default(),
                r.action,
                r.target.unwrap_or_default(),
                r.outcome,
                r.details.to_string(),
                r.hash,
                r.signature,
                r.key_id,
            ];
            out.push_str(
                &fields
                    .iter()
                    .map(|f| csv_field(f))
                    .collect::<Vec<_>>()
                    .join(","),
            );
            out.push('\n');
        }
        return Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], out).into_response());
    }
    Ok(Json(AuditPage {
        items: page.items.into_iter().map(item).collect(),
        total: page.total,
        public_key: app.store.audit_public_key(),
    })
    .into_response())
}
