//! `GET /api/v1/coverage` (监督覆盖率), and the holiday calendar: `GET /api/v1/calendar`,
//! `PUT /api/v1/calendar/{year}`.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use casewatch_authz::{Action, Resource};
use casewatch_engine::time::year_lists::parse_year_lists;
use casewatch_store::StoreError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::access::{Reader, Writer};
use crate::error::{ApiError, ErrorBody};

/// Coverage of one unit's cases.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct UnitCoverage {
    /// The owning unit (null: cases without one).
    pub unit: Option<String>,
    /// Cases.
    pub cases: i64,
    /// Steps (events other than corrections) recorded in them.
    pub steps: i64,
    /// Steps some rule reacts to.
    pub covered: i64,
    /// covered / steps.
    pub ratio: f64,
}

/// Supervision coverage: of the steps recorded in cases, the share some rule of the pack watches.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Coverage {
    /// Cases.
    pub cases: i64,
    /// Cases with at least one finding.
    pub cases_watched: i64,
    /// Steps recorded.
    pub steps: i64,
    /// Steps some rule reacts to.
    pub covered: i64,
    /// covered / steps (1 when there are no steps).
    pub ratio: f64,
    /// Event types of the format that no rule reads.
    pub unwatched_types: Vec<String>,
    /// Per unit.
    pub units: Vec<UnitCoverage>,
}

fn ratio(covered: i64, steps: i64) -> f64 {
    if steps == 0 {
        1.0
    } else {
        covered as f64 / steps as f64
    }
}

/// Supervision coverage overall and per unit, over the units whose dashboards the caller may
/// read; the definition is in `docs/coverage.md`.
#[utoipa::path(
    get,
    path = "/api/v1/coverage",
    tag = "alerts",
    responses(
        (status = 200, description = "Coverage overall and per unit.", body = Coverage),
        (status = 401, description = "Not signed in.", body = ErrorBody),
        (status = 403, description = "The caller's roles read no dashboards.", body = ErrorBody),
        (status = 503, description = "The database does not answer.", body = ErrorBody),
    ),
    security(("session" = []), ("token" = []))
)]
pub async fn coverage(
    State(app): State<AppState>,
    reader: Reader,
) -> Result<Json<Coverage>, ApiError> {
    let scope = reader.scope(Action::ReadDashboard)?;
    let c = app.store.coverage(Some(&scope)).await?;
    let pack = app.store.pack();
    Ok(Json(Coverage {
        cases: c.cases,
        cases_watched: c.cases_watched,
        steps: c.steps,
        covered: c.covered,
        ratio: ratio(c.covered, c.steps),
        unwatched_types: casewatch_engine::coverage::unwatched_types(&pack)
            .into_iter()
            .map(str::to_owned)
            .collect(),
        units: c
            .units
            .into_iter()
            .map(|u| UnitCoverage {
                ratio: ratio(u.covered, u.steps),
                unit: u.unit,
                cases: u.cases,
                steps: u.steps,
                covered: u.covered,
            })
            .collect(),
    }))
}

/// One year of the holiday calendar.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CalendarYear {
    /// The year.
    pub year: i32,
    /// Official rest days (法定节假日及调休放假), YYYY-MM-DD.
    pub rest_days: Vec<String>,
    /// Make-up workdays on weekends (调休上班), YYYY-MM-DD.
    pub makeup_workdays: Vec<String>,
}

/// The holiday calendar the statutory periods are computed with. Years it lacks are computed
/// with weekends only, and findings say so.
#[utoipa::path(
    get,
    path = "/api/v1/calendar",
    tag = "rules",
    responses(
        (status = 200, description = "Every year of the calendar.", body = Vec<CalendarYear>),
        (status = 401, description = "Not signed in.", body = ErrorBody),
    ),
    security(("session" = []), ("token" = []))
)]
pub async fn calendar(State(app): State<AppState>, _reader: Reader) -> Json<Vec<CalendarYear>> {
    let cal = app.store.calendar();
    Json(
        cal.years()
            .into_iter()
            .filter_map(|y| {
                cal.year(y).map(|(rest, makeup)| CalendarYear {
                    year: y,
                    rest_days: rest.iter().map(ToString::to_string).collect(),
                    makeup_workdays: makeup.iter().map(ToString::to_string).collect(),
                })
            })
            .collect(),
    )
}

/// One year of the holiday calendar to store.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CalendarYearIn {
    /// Official rest days (法定节假日及调休放假), YYYY-MM-DD, any order; no date twice.
    pub rest_days: Vec<String>,
    /// Make-up workdays (调休上班), Saturdays or Sundays, YYYY-MM-DD.
    pub makeup_workdays: Vec<String>,
}

/// Adds or replaces one year of the holiday calendar. Only administrators of a top-level unit
/// (Cedar `manage_units` on their own unit, which has no unit above it): one calendar serves
/// every unit. Evaluations from now on use it; clocks already computed keep their due until
/// their case changes or `casewatch reevaluate` runs. Audited (`calendar.put`), refusals
/// included.
#[utoipa::path(
    put,
    path = "/api/v1/calendar/{year}",
    tag = "rules",
    params(("year" = i32, Path, description = "The year, e.g. 2027")),
    request_body = CalendarYearIn,
    responses(
        (status = 200, description = "The year as stored, dates sorted.", body = CalendarYear),
        (status = 400, description = "An invalid year, body or date; `details` lists every problem with its `field` (`rest_days[3]`), `code` and message.", body = ErrorBody),
        (status = 401, description = "Not signed in.", body = ErrorBody),
        (status = 403, description = "Not an administrator of a top-level unit, or no CSRF token.", body = ErrorBody),
        (status = 503, description = "The database does not answer.", body = ErrorBody),
    ),
    security(("session" = []), ("token" = []))
)]
pub async fn put_calendar_year(
    State(app): State<AppState>,
    Writer(writer): Writer,
    Path(year): Path<String>,
    body: Result<Json<CalendarYearIn>, JsonRejection>,
) -> Result<Json<CalendarYear>, ApiError> {
    let p = &writer.principal;
    let allowed = p.unit.is_top_level()
        && app
            .authz
            .is_allowed(p, Action::ManageUnits, &Resource::OwnedBy(p.unit.clone()));
    if !allowed {
        writer
            .actor
            .record(
                &app,
                "calendar.put",
                Some(&year),
                "denied",
                serde_json::json!({}),
            )
            .await?;
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "只有最高层单位的管理员可以修改节假日安排",
        ));
    }
    let year_n = year
        .parse::<i32>()
        .ok()
        .filter(|y| (1900..=2200).contains(y))
        .ok_or_else(|| {
            ApiError::bad_param(
                "year",
                format!("year：年份 `{year}` 无效，应为 1900 到 2200 之间的整数"),
            )
        })?;
    let Json(lists) = body.map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_body",
            format!("请求体无效：{}", e.body_text()),
        )
    })?;
    let (rest, makeup) = parse_year_lists(year_n, &lists.rest_days, &lists.makeup_workdays)
        .map_err(|problems| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_calendar",
                format!(
                    "{year_n} 年的节假日安排有 {} 处问题，未保存",
                    problems.len()
                ),
            )
            .with_details(&problems)
        })?;
    let replaced = app.store.calendar().covers(year_n);
    app.store
        .put_calendar_year(
            year_n,
            rest.clone(),
            makeup.clone(),
            &format!("api:{}", writer.actor.id),
        )
        .await
        .map_err(|e| match e {
            StoreError::Invalid(m) => ApiError::new(StatusCode::BAD_REQUEST, "invalid_calendar", m),
            other => other.into(),
        })?;
    writer
        .actor
        .record(
            &app,
            "calendar.put",
            Some(&year),
            "success",
            serde_json::json!({"rest_days": rest.len(), "makeup_workdays": makeup.len(), "replaced": replaced}),
        )
        .await?;
    Ok(Json(CalendarYear {
        year: year_n,
        rest_days: rest.iter().map(ToString::to_string).collect(),
        makeup_workdays: makeup.iter().map(ToString::to_string).collect(),
    }))
}
