//! `POST /api/v1/auth/login`, `POST /api/v1/auth/logout`, `GET /api/v1/auth/me`.

use axum::Json;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use casewatch_store::Session;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::hardening::check_csrf;
use crate::auth::password::{digest, new_secret, verify_password};
use crate::auth::session::{Caller, clear_cookie, identify, session_cookie};
use crate::auth::trail::Actor;
use crate::error::{ApiError, ErrorBody};

/// Credentials.
#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginRequest {
    /// 警号.
    pub user: String,
    /// Password.
    pub password: String,
}

/// The signed-in user.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Me {
    /// 警号.
    pub id: String,
    /// Name.
    pub name: String,
    /// Unit id.
    pub unit: String,
    /// Roles.
    pub roles: Vec<String>,
    /// The token to send as `X-CSRF-Token` with every write made with the session cookie.
    pub csrf_token: String,
    /// The password was set by an administrator and should be changed.
    pub must_change_password: bool,
}

/// The client's address, when the server was started with connection info.
fn source(ext: &axum::http::Extensions) -> Option<String> {
    ext.get::<ConnectInfo<std::net::SocketAddr>>()
        .map(|a| a.0.ip().to_string())
}

/// Signs in with 警号 and password; sets the session cookie (HttpOnly, SameSite=Strict).
#[utoipa::path(
    post,
    path = "/api/v1/auth/login",
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in; the session cookie is set.", body = Me),
        (status = 401, description = "Wrong 警号 or password, or the account is locked or disabled.", body = ErrorBody),
        (status = 429, description = "Too many attempts from this address.", body = ErrorBody),
    ),
    security(())
)]
pub async fn login(
    State(app): State<AppState>,
    ext: axum::http::Extensions,
    body: Result<Json<LoginRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    let src = source(&ext);
    let key = format!("{}:login", src.as_deref().unwrap_or("?"));
    if let Err(wait) = app.login_limiter.check(&key, std::time::Instant::now()) {
        Actor::anonymous("anonymous", src)
            .record(
                &app,
                "login",
                None,
                "denied",
                serde_json::json!({"reason": "rate_limited"}),
            )
            .await?;
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!("尝试过于频繁，请 {} 秒后再试", wait.as_secs().max(1)),
        ));
    }
    let Json(req) = body.map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_body",
            format!("请求体无效：{}", e.body_text()),
        )
    })?;
    let now = app.clock.now();
    let fail = |reason: &'static str| {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "login_failed",
            match reason {
                "locked" => "账号已被锁定，请稍后再试或联系管理员",
                "disabled" => "账号已停用，请联系管理员",
                _ => "警号或密码错误",
            },
        )
    };
    let user = app.store.get_user(&req.user).await.ok().flatten();
    let Some(user) = user else {
        // The same answer and audit as a wrong password: no enumeration of 警号.
        Actor::anonymous(&req.user, src)
            .record(
                &app,
                "login",
                None,
                "failure",
                serde_json::json!({"reason": "unknown_user"}),
            )
            .await?;
        return Err(fail("password"));
    };
    if user.disabled {
        Actor::user(&user.id, src)
            .record(
                &app,
                "login",
                None,
                "denied",
                serde_json::json!({"reason": "disabled"}),
            )
            .await?;
        return Err(fail("disabled"));
    }
    if user
        .locked_until_us
        .is_some_and(|t| t > now.as_microsecond())
    {
        Actor::user(&user.id, src)
            .record(
                &app,
                "login",
                None,
                "denied",
                serde_json::json!({"reason": "locked"}),
            )
            .await?;
        return Err(fail("locked"));
    }
    let ok = user
        .password_hash
        .as_deref()
        .is_some_and(|h| verify_password(&req.password, h));
    if !ok {
        let after = app
            .store
            .record_login_failure(&user.id, now, app.auth.max_failures, app.auth.lock_for)
            .await?;
        let locked = after
            .locked_until_us
            .is_some_and(|t| t > now.as_microsecond());
        Actor::user(&user.id, src).record(&app, "login", None, "failure", serde_json::json!({"reason": "password", "failed_logins": after.failed_logins, "locked": locked})).await?;
        return Err(fail(if locked { "locked" } else { "password" }));
    }
    app.store.record_login_success(&user.id).await?;
    let id = new_secret().map_err(|e| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "no_randomness",
            format!("无法生成会话：{e}"),
        )
    })?;
    let csrf = new_secret().map_err(|e| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "no_randomness",
            format!("无法生成会话：{e}"),
        )
    })?;
    let session = Session {
        id_hash: digest(&id),
        user_id: user.id.clone(),
        csrf_token: csrf.clone(),
        created_at_us: now.as_microsecond(),
        last_seen_us: now.as_microsecond(),
        source: src.clone(),
    };
    app.store.create_session(&session).await?;
    Actor::user(&user.id, src)
        .record(&app, "login", None, "success", serde_json::json!({}))
        .await?;
    let me = Me {
        must_change_password: user.password_changed_at_us.is_none(),
        id: user.id,
        name: user.name,
        unit: user.unit,
        roles: user.roles,
        csrf_token: csrf,
    };
    let mut res = Json(me).into_response();
    if let Ok(v) = HeaderValue::from_str(&session_cookie(&id, &app.auth)) {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(res)
}

/// Ends the session.
#[utoipa::path(
    post,
    path = "/api/v1/auth/logout",
    tag = "auth",
    responses(
        (status = 204, description = "Signed out; the cookie is cleared."),
        (status = 401, description = "No session.", body = ErrorBody),
        (status = 403, description = "A cross-site request or a missing CSRF token.", body = ErrorBody),
    ),
    security(("session" = []))
)]
pub async fn logout(
    State(app): State<AppState>,
    ext: axum::http::Extensions,
    method: axum::http::Method,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let Caller::User { user, session } = identify(&app, &headers, app.clock.now()).await? else {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "not_signed_in",
            "未登录",
        ));
    };
    if check_csrf(&method, &headers, &session.csrf_token).is_err() {
        Actor::user(&user.id, source(&ext))
            .record(
                &app,
                "logout",
                None,
                "denied",
                serde_json::json!({"reason": "csrf"}),
            )
            .await?;
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "csrf",
            "跨站请求或缺少 X-CSRF-Token",
        ));
    }
    app.store.delete_session(&session.id_hash).await?;
    Actor::user(&user.id, source(&ext))
        .record(&app, "logout", None, "success", serde_json::json!({}))
        .await?;
    let mut res = StatusCode::NO_CONTENT.into_response();
    if let Ok(v) = HeaderValue::from_str(&clear_cookie(&app.auth)) {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(res)
}

/// The signed-in user.
#[utoipa::path(
    get,
    path = "/api/v1/auth/me",
    tag = "auth",
    responses(
        (status = 200, description = "The signed-in user.", body = Me),
        (status = 401, description = "Not signed in, or the session expired.", body = ErrorBody),
    ),
    security(("session" = []))
)]
pub async fn me(State(app): State<AppState>, headers: HeaderMap) -> Result<Json<Me>, ApiError> {
    match identify(&app, &headers, app.clock.now()).await? {
        Caller::User { user, session } => Ok(Json(Me {
            must_change_password: user.password_changed_at_us.is_none(),
            id: user.id,
            name: user.name,
            unit: user.unit,
            roles: user.roles,
            csrf_token: session.csrf_token,
        })),
        _ => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "not_signed_in",
            "未登录",
        )),
    }
}
