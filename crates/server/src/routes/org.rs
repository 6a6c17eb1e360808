//! `GET /api/v1/org`: the unit tree, for names, filters and dashboard drill-down.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::access::Reader;
use crate::error::{ApiError, ErrorBody};

/// One unit of the tree.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OrgUnit {
    /// The unit id.
    pub id: String,
    /// Its name (e.g. 东湖分局).
    pub name: String,
    /// The parent unit's id; null at the top.
    pub parent: Option<String>,
    /// `bureau`, `branch`, `station` or `police_type`.
    pub kind: String,
    /// `/top/…/id/`.
    pub path: String,
}

/// Every registered unit. The organisation chart is not case content: any signed-in user or
/// token may read it (what each may see *in* a unit is decided elsewhere).
#[utoipa::path(
    get,
    path = "/api/v1/org",
    tag = "cases",
    responses(
        (status = 200, description = "The units, in path order.", body = Vec<OrgUnit>),
        (status = 401, description = "Not signed in.", body = ErrorBody),
    ),
    security(("session" = []), ("token" = []))
)]
pub async fn org(
    State(app): State<AppState>,
    _reader: Reader,
) -> Result<Json<Vec<OrgUnit>>, ApiError> {
    let mut units: Vec<OrgUnit> = app
        .store
        .list_units()
        .await?
        .into_iter()
        .map(|u| OrgUnit {
            id: u.id,
            name: u.name,
            parent: u.parent,
            kind: u.kind,
            path: u.path,
        })
        .collect();
    units.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(Json(units))
}
