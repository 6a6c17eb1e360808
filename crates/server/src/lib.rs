//! Casewatch's HTTP API: ingestion, the case ledger and health, described by an OpenAPI document
//! at `/api/v1/openapi.json`.
//!
//! Architecture invariant: this crate is the only one that knows HTTP and wire formats. It
//! converts between wire types ([`wire`]) and domain/storage types at the edge, and every failure
//! leaves as an [`error::ApiError`].

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use casewatch_core::time::Clock;
use casewatch_store::Store;
use tokio::net::TcpListener;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub mod assets;
pub mod auth;
pub mod error;
pub mod live;
pub mod privacy;
pub mod routes;
pub mod scheduler;
pub mod wire;

/// Settings of the HTTP server.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The largest request body accepted, in bytes (default 16 MiB); larger ones get 413.
    pub body_limit: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            body_limit: 16 * 1024 * 1024,
        }
    }
}

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub store: Arc<dyn Store>,
    /// Where "now" comes from (the receiving clock of ingestion).
    pub clock: Arc<dyn Clock>,
    /// Server settings.
    pub config: Arc<ServerConfig>,
    /// Wakes the timer when ingestion may have added an earlier warning or due instant.
    pub timer: Arc<tokio::sync::Notify>,
    /// Session and lockout settings.
    pub auth: Arc<auth::session::AuthConfig>,
    /// Limits login attempts per client address.
    pub login_limiter: Arc<auth::rate_limit::RateLimiter>,
    /// Limits failed bearer-token authentications per client address (token guessing).
    pub token_limiter: Arc<auth::rate_limit::RateLimiter>,
    /// The Cedar policies (`policies/`).
    pub authz: Arc<casewatch_authz::Authorizer>,
    /// Notices that findings changed, sent by ingestion and the timer to the open
    /// `/api/v1/alerts/stream`s; [`live::Notice::Closing`] at shutdown.
    pub notices: live::Notices,
}

impl AppState {
    /// The state for a store, a clock and server settings, with default authentication settings
    /// and the standard policies.
    pub fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        config: ServerConfig,
    ) -> Result<Self, casewatch_authz::AuthzError> {
        Ok(Self {
            store,
            clock,
            config: Arc::new(config),
            timer: Arc::new(tokio::sync::Notify::new()),
            auth: Arc::new(auth::session::AuthConfig::default()),
            login_limiter: Arc::new(auth::rate_limit::RateLimiter::new(10, 20)),
            token_limiter: Arc::new(auth::rate_limit::RateLimiter::new(20, 20)),
            authz: Arc::new(casewatch_authz::Authorizer::standard()?),
            notices: live::channel(),
        })
    }
}

#[derive(OpenApi)]
#[openapi(
    modifiers(&SecuritySchemes),
    info(
        title = "Casewatch 执法监督平台 API",
        description = "Ingestion of case-handling events (format v1), the case ledger, and the findings of the supervision engine.",
        license(name = "Apache-2.0")
    ),
    tags(
        (name = "events", description = "事件接入 Event ingestion"),
        (name = "cases", description = "案件台账 Case ledger"),
        (name = "alerts", description = "预警与监督结论 Alerts and findings"),
        (name = "rules", description = "规则包 Rule pack"),
        (name = "auth", description = "登录与会话 Sign-in and sessions"),
        (name = "admin", description = "单位、账号与令牌管理 Units, users and tokens"),
        (name = "system", description = "系统 System"),
    )
)]
struct ApiDoc;

/// Declares the two ways to authenticate: the session cookie of a signed-in user, and the bearer
/// token of a machine client.
struct SecuritySchemes;

impl utoipa::Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{
            ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme,
        };
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                auth::session::COOKIE,
                "Session cookie set by POST /api/v1/auth/login; writes also need the X-CSRF-Token header.",
            ))),
        );
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "API token `<id>.<secret>` created with `casewatch token create`.",
                    ))
                    .build(),
            ),
        );
    }
}

/// The API routes with their OpenAPI description.
fn api() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(routes::events::post_events))
        .routes(routes!(routes::cases::list_cases))
        .routes(routes!(routes::cases::get_case))
        .routes(routes!(routes::health::health))
        .routes(routes!(routes::auth::login))
        .routes(routes!(routes::auth::logout))
        .routes(routes!(routes::auth::me))
        .routes(routes!(routes::audit::list_audit))
        .routes(routes!(routes::admin::list_units, routes::admin::add_unit))
        .routes(routes!(routes::admin::list_users, routes::admin::add_user))
        .routes(routes!(
            routes::admin::list_tokens,
            routes::admin::create_token
        ))
        .routes(routes!(routes::admin::update_user))
        .routes(routes!(routes::admin::revoke_token))
        .routes(routes!(routes::alerts::list_alerts))
        .routes(routes!(routes::alerts::summary))
        .routes(routes!(routes::alerts::stream::stream))
        .routes(routes!(routes::alerts::stats::stats))
        .routes(routes!(routes::alerts::case_findings))
        .routes(routes!(routes::alerts::rules))
        .routes(routes!(routes::rules::test_rules))
        .routes(routes!(routes::rules::diff_rules))
        .routes(routes!(routes::supervision::coverage))
        .routes(routes!(routes::supervision::calendar))
        .routes(routes!(routes::supervision::put_calendar_year))
        .routes(routes!(routes::org::org))
        .split_for_parts()
}

/// The OpenAPI document of the API.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api().1
}

/// The complete application: API, OpenAPI document, limits and tracing.
pub fn app(state: AppState) -> Router {
    let (router, doc) = api();
    let doc = Arc::new(doc);
    router
        .route(
            "/api/v1/openapi.json",
            axum::routing::get(move || {
                let doc = Arc::clone(&doc);
                async move { axum::Json(doc.as_ref().clone()) }
            }),
        )
        .fallback(fallback)
        .layer(DefaultBodyLimit::max(state.config.body_limit))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::hardening::limit_bad_tokens,
        ))
        .layer(axum::middleware::from_fn(auth::hardening::security_headers))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// GETs outside the API serve the web UI; anything else unknown is a 404 in the API's shape.
async fn fallback(method: axum::http::Method, uri: axum::http::Uri) -> axum::response::Response {
    use axum::response::IntoResponse;
    if method == axum::http::Method::GET && !uri.path().starts_with("/api/") {
        return assets::serve(uri).await;
    }
    error::ApiError::new(
        axum::http::StatusCode::NOT_FOUND,
        "not_found",
        format!("路径 `{}` 不存在", uri.path()),
    )
    .into_response()
}

/// Serves the application on `listener` until `shutdown` completes, then drains open requests.
///
/// The timer runs beside it for as long as it serves.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let timer = tokio::spawn(scheduler::run(
        Arc::clone(&state.store),
        Arc::clone(&state.clock),
        Arc::clone(&state.timer),
        state.notices.clone(),
    ));
    // Open alert streams never end on their own: tell them to, or the graceful shutdown waits.
    let notices = state.notices.clone();
    let shutdown = async move {
        shutdown.await;
        let _ = notices.send(live::Notice::Closing);
    };
    let served = axum::serve(
        listener,
        app(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await;
    timer.abort();
    served
}
