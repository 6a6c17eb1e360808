//! `GET /api/v1/health`.

use axum::Json;
use axum::extract::State;

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::wire::Health;

/// Whether the server and its database answer.
#[utoipa::path(
    get,
    path = "/api/v1/health",
    tag = "system",
    responses(
        (status = 200, description = "The server and its database answer.", body = Health),
        (status = 503, description = "The database does not answer.", body = ErrorBody),
    ),
    security(())
)]
pub async fn health(State(app): State<AppState>) -> Result<Json<Health>, ApiError> {
    app.store.ping().await?;
    let backend = match app.store.backend() {
        casewatch_store::Backend::Sqlite => "sqlite",
        casewatch_store::Backend::Postgres => "postgres",
    };
    Ok(Json(Health {
        status: "ok".into(),
        backend: backend.into(),
        version: env!("CARGO_PKG_VERSION").into(),
    }))
}
