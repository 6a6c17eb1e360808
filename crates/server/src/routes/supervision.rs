//! `GET /api/v1/coverage` (监督覆盖率) and `GET /api/v1/calendar` (the holiday calendar).

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::access::Reader;
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
    let scope = reader.scope(casewatch_authz::Action::ReadDashboard)?;
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
