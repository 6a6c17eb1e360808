//! `GET /api/v1/cases` and `GET /api/v1/cases/{id}`: the case ledger.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use casewatch_core::ledger::Stage;
use casewatch_store::CaseQuery;

use crate::AppState;
use crate::auth::access::{Reader, case_not_found};
use crate::error::{ApiError, ErrorBody};
use crate::wire::{CaseDetail, CaseListParams, CasePage, CaseRow, TimelineEntry};

/// Lists the cases the caller may read, by unit, kind, stage and free text, newest activity
/// first.
#[utoipa::path(
    get,
    path = "/api/v1/cases",
    tag = "cases",
    params(CaseListParams),
    responses(
        (status = 200, description = "One page of the cases the caller may read, with the total.", body = CasePage),
        (status = 400, description = "An invalid filter.", body = ErrorBody),
        (status = 401, description = "Not signed in.", body = ErrorBody),
        (status = 403, description = "The caller's roles read no cases.", body = ErrorBody),
    ),
    security(("session" = []), ("token" = []))
)]
pub async fn list_cases(
    State(app): State<AppState>,
    reader: Reader,
    params: Result<Query<CaseListParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<CasePage>, ApiError> {
    let Query(p) = params
        .map_err(|e| ApiError::bad_param("query", format!("查询参数无效：{}", e.body_text())))?;
    let scope = reader.scope(casewatch_authz::Action::ReadCase)?;
    if let Some(kind) = &p.kind
        && kind != "criminal"
        && kind != "administrative"
    {
        return Err(ApiError::bad_param(
            "kind",
            format!("案件类型 `{kind}` 无效：应为 criminal 或 administrative"),
        ));
    }
    if let Some(stage) = &p.stage
        && Stage::parse(stage).is_none()
    {
        return Err(ApiError::bad_param(
            "stage",
            format!(
                "案件阶段 `{stage}` 无效：应为 reported、accepted、filed、not_filed、decided、transferred 或 closed"
            ),
        ));
    }
    let per_page = p.per_page.unwrap_or(20);
    if !(1..=200).contains(&per_page) {
        return Err(ApiError::bad_param(
            "per_page",
            format!("每页条数 `{per_page}` 无效：应为 1 到 200"),
        ));
    }
    let page = p.page.unwrap_or(1);
    if page == 0 {
        return Err(ApiError::bad_param("page", "页码从 1 开始"));
    }
    let query = CaseQuery {
        unit: p.unit,
        kind: p.kind,
        stage: p.stage,
        text: p.q,
        unit_under: None,
        scope: Some(scope),
        page,
        per_page,
    };
    let result = app.store.list_cases(&query).await?;
    Ok(Json(CasePage {
        items: result.items.into_iter().map(CaseRow::from).collect(),
        total: result.total,
        page: result.page,
        per_page: result.per_page,
    }))
}

/// One case: its ledger and timeline.
#[utoipa::path(
    get,
    path = "/api/v1/cases/{id}",
    tag = "cases",
    params(
        ("id" = String, Path, description = "The case id"),
        ("unmask" = Option<bool>, Query, description = "Show personal data (身份证号, phones, addresses) unmasked: only for roles allowed to, with a reason; audited."),
        ("reason" = Option<String>, Query, description = "Why the personal data is needed (required with unmask)."),
    ),
    responses(
        (status = 200, description = "The case, personal data masked unless unmasked.", body = CaseDetail),
        (status = 400, description = "Unmasking without a reason.", body = ErrorBody),
        (status = 401, description = "Not signed in.", body = ErrorBody),
        (status = 403, description = "The role may not see this case's personal data.", body = ErrorBody),
        (status = 404, description = "No such case, or one the caller may not read (the same answer; the attempt is audited).", body = ErrorBody),
    ),
    security(("session" = []), ("token" = []))
)]
pub async fn get_case(
    State(app): State<AppState>,
    reader: Reader,
    Path(id): Path<String>,
    q: Result<Query<UnmaskParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let Query(q) =
        q.map_err(|e| ApiError::bad_param("query", format!("查询参数无效：{}", e.body_text())))?;
    let ledger = readable_case(&app, &reader, &id, "case.read").await?;
    let unmask = if q.unmask.unwrap_or(false) {
        unmask_allowed(
            &app,
            &reader,
            &id,
            ledger.unit.as_deref(),
            q.reason.as_deref(),
        )
        .await?;
        true
    } else {
        false
    };
    let timeline = TimelineEntry::timeline(app.store.case_events(&id).await?);
    let mut doc = serde_json::to_value(CaseDetail { ledger, timeline }).map_err(|e| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "serialization",
            e.to_string(),
        )
    })?;
    if !unmask {
        crate::privacy::mask_json(&mut doc);
    }
    Ok(Json(doc))
}

/// Query parameters of an unmasking read.
#[derive(Debug, serde::Deserialize)]
pub struct UnmaskParams {
    /// Show personal data unmasked.
    pub unmask: Option<bool>,
    /// Why.
    pub reason: Option<String>,
}

/// The ledger of a case the reader may read; a missing case and a denied one get the same
/// 404. Every attempt is audited as `action` (`case.read`, `case.findings`…), with its outcome.
pub async fn readable_case(
    app: &AppState,
    reader: &Reader,
    id: &str,
    action: &str,
) -> Result<casewatch_core::ledger::CaseLedger, ApiError> {
    let ledger = app.store.get_case(id).await?;
    let allowed = match &ledger {
        Some(l) => {
            reader
                .may(app, casewatch_authz::Action::ReadCase, l.unit.as_deref())
                .await?
        }
        None => false,
    };
    let (outcome, details) = match (&ledger, allowed) {
        (None, _) => ("failure", serde_json::json!({"reason": "not_found"})),
        (Some(_), false) => ("denied", serde_json::json!({})),
        (Some(_), true) => ("success", serde_json::json!({})),
    };
    reader
        .actor
        .record(app, action, Some(id), outcome, details)
        .await?;
    match ledger {
        Some(l) if allowed => Ok(l),
        _ => Err(case_not_found(id)),
    }
}

/// Checks and audits an explicit unmasking of a case's personal data.
async fn unmask_allowed(
    app: &AppState,
    reader: &Reader,
    case_id: &str,
    unit: Option<&str>,
    reason: Option<&str>,
) -> Result<(), ApiError> {
    let reason = reason.map(str::trim).filter(|r| r.chars().count() >= 2);
    let allowed = reader
        .may(app, casewatch_authz::Action::ReadPersonalData, unit)
        .await?;
    let outcome = if allowed && reason.is_some() {
        "success"
    } else {
        "denied"
    };
    reader
        .actor
        .record(
            app,
            "pii.unmask",
            Some(case_id),
            outcome,
            serde_json::json!({"reason": reason}),
        )
        .await?;
    if !allowed {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "当前角色无权查看该案件的完整个人信息",
        ));
    }
    if reason.is_none() {
        return Err(ApiError::bad_param("reason", "查看完整个人信息须说明理由"));
    }
    Ok(())
}
