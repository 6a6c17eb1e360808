//! `GET /api/v1/cases` and `GET /api/v1/cases/{id}`: the case ledger.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use casewatch_core::ledger::Stage;
use casewatch_store::CaseQuery;

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::wire::{CaseDetail, CaseListParams, CasePage, CaseRow, TimelineEntry};

/// Lists cases by unit, kind, stage and free text, newest activity first.
#[utoipa::path(
    get,
    path = "/api/v1/cases",
    tag = "cases",
    params(CaseListParams),
    responses(
        (status = 200, description = "One page of cases with the total.", body = CasePage),
        (status = 400, description = "An invalid filter.", body = ErrorBody),
    )
)]
pub async fn list_cases(
    State(app): State<AppState>,
    params: Result<Query<CaseListParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<CasePage>, ApiError> {
    let Query(p) = params
        .map_err(|e| ApiError::bad_param("query", format!("查询参数无效：{}", e.body_text())))?;
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
    params(("id" = String, Path, description = "The case id")),
    responses(
        (status = 200, description = "The case.", body = CaseDetail),
        (status = 404, description = "No event names this case.", body = ErrorBody),
    )
)]
pub async fn get_case(
    State(app): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<CaseDetail>, ApiError> {
    let Some(ledger) = app.store.get_case(&id).await? else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "case_not_found",
            format!("案件 `{id}` 不存在"),
        ));
    };
    let timeline = TimelineEntry::timeline(app.store.case_events(&id).await?);
    Ok(Json(CaseDetail { ledger, timeline }))
}
