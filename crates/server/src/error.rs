//! The one error type of the HTTP edge.
//!
//! Every failure leaves the server as `{"error": {"code", "message", "details"}}` with a stable
//! machine `code` (the UI maps it to its own text) and a Chinese `message` for people. Use
//! [`ApiError`] in every handler; never answer a bare status or a panic.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use casewatch_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

/// An error answer.
#[derive(Debug)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// The stable machine code.
    pub code: &'static str,
    /// A sentence for people, in Chinese.
    pub message: String,
    /// Itemized problems (invalid events, invalid parameters).
    pub details: Vec<serde_json::Value>,
}

/// The JSON body of every error answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorObject,
}

/// The error object.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorObject {
    /// Stable machine code, e.g. `invalid_events`, `event_conflict`, `case_not_found`.
    pub code: String,
    /// A sentence in Chinese for people.
    pub message: String,
    /// Itemized problems; for events: `index`, `line`, `id`, `field`, `code`, `message`.
    pub details: Vec<serde_json::Value>,
}

impl ApiError {
    /// An error with no details.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            details: Vec::new(),
        }
    }

    /// Adds itemized details.
    pub fn with_details<T: Serialize>(mut self, details: &[T]) -> Self {
        self.details = details
            .iter()
            .filter_map(|d| serde_json::to_value(d).ok())
            .collect();
        self
    }

    /// 400 for a bad query parameter.
    pub fn bad_param(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_parameter",
            message.clone(),
        )
        .with_details(&[
            serde_json::json!({"field": field, "code": "invalid_parameter", "message": message}),
        ])
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Rejected(problems) => {
                let all_conflicts = problems.iter().all(|p| p.error.code == "conflict");
                let details: Vec<serde_json::Value> = problems
                    .iter()
                    .map(|p| {
                        serde_json::json!({
                            "index": p.index, "line": null, "id": p.id,
                            "field": p.error.field, "code": p.error.code, "message": p.error.message,
                        })
                    })
                    .collect();
                let (status, code, message) = if all_conflicts {
                    (
                        StatusCode::CONFLICT,
                        "event_conflict",
                        format!(
                            "{} 条事件与已保存的同编号事件内容不同，整批未保存",
                            problems.len()
                        ),
                    )
                } else {
                    (
                        StatusCode::BAD_REQUEST,
                        "invalid_events",
                        format!("{} 处问题，整批未保存", problems.len()),
                    )
                };
                Self {
                    status,
                    code,
                    message,
                    details,
                }
            }
            other => {
                // The cause goes to the log, not to the client: it may name tables or hosts.
                tracing::error!(error = %other, "storage failure");
                Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "storage_unavailable",
                    "数据库暂时不可用，请稍后重试",
                )
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorObject {
                code: self.code.to_owned(),
                message: self.message,
                details: self.details,
            },
        };
        (self.status, Json(body)).into_response()
    }
}
