//! Administration over the API: units, users, API tokens (Cedar `manage_units`, `manage_users`,
//! `manage_tokens` in the administrator's unit subtree). Writes need the session's CSRF token.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode};
use casewatch_authz::{Action, Principal, Resource, UnitPath};
use casewatch_store::{ApiToken, NewUnit, NewUser, StoreError, Unit, User};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::hardening::check_csrf;
use crate::auth::password::{check_policy, digest, hash_password, new_secret};
use crate::auth::session::{Caller, identify};
use crate::auth::trail::Actor;
use crate::error::{ApiError, ErrorBody};

/// A unit of the tree.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct UnitInfo {
    /// Id.
    pub id: String,
    /// Chinese name.
    pub name: String,
    /// Parent unit.
    pub parent: Option<String>,
    /// bureau, branch, station or police_type.
    pub kind: String,
    /// Path in the tree, e.g. `/SJ/FJ1/`.
    pub path: String,
}

impl From<Unit> for UnitInfo {
    fn from(u: Unit) -> Self {
        Self {
            id: u.id,
            name: u.name,
            parent: u.parent,
            kind: u.kind,
            path: u.path,
        }
    }
}

/// A new unit.
#[derive(Debug, Deserialize, ToSchema)]
pub struct UnitIn {
    /// Id as events name it.
    pub id: String,
    /// Chinese name.
    pub name: String,
    /// Parent unit (required unless the caller administers everything).
    pub parent: Option<String>,
    /// bureau, branch, station or police_type.
    pub kind: String,
}

/// An account, without its password hash.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct UserInfo {
    /// 警号.
    pub id: String,
    /// Name.
    pub name: String,
    /// Unit.
    pub unit: String,
    /// Roles.
    pub roles: Vec<String>,
    /// Disabled.
    pub disabled: bool,
    /// Locked until (µs), if locked.
    pub locked_until_us: Option<i64>,
}

impl From<User> for UserInfo {
    fn from(u: User) -> Self {
        Self {
            id: u.id,
            name: u.name,
            unit: u.unit,
            roles: u.roles,
            disabled: u.disabled,
            locked_until_us: u.locked_until_us,
        }
    }
}

/// A new account.
#[derive(Debug, Deserialize, ToSchema)]
pub struct UserIn {
    /// 警号.
    pub id: String,
    /// Name.
    pub name: String,
    /// Unit.
    pub unit: String,
    /// Roles.
    pub roles: Vec<String>,
    /// Initial password (policy-checked); the user should change it.
    pub password: String,
}

/// A new API token.
#[derive(Debug, Deserialize, ToSchema)]
pub struct TokenIn {
    /// What it is for.
    pub name: String,
    /// Units it may act for.
    pub units: Vec<String>,
    /// Roles (default: ingest).
    pub roles: Option<Vec<String>>,
}

/// A created token: the secret is shown once.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TokenCreated {
    /// Token id.
    pub id: String,
    /// `Authorization: Bearer <credential>`.
    pub credential: String,
}

/// The signed-in administrator, after the CSRF check for writes.
async fn admin(
    app: &AppState,
    method: &Method,
    headers: &HeaderMap,
) -> Result<Principal, ApiError> {
    let caller = identify(app, headers, app.clock.now()).await?;
    if let Caller::User { session, .. } = &caller
        && check_csrf(method, headers, &session.csrf_token).is_err()
    {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "csrf",
            "跨站请求或缺少 X-CSRF-Token",
        ));
    }
    caller
        .principal()
        .ok_or_else(|| ApiError::new(StatusCode::UNAUTHORIZED, "not_signed_in", "请先登录"))
}

/// Whether the principal may do `action` on things of the unit `unit_id`.
async fn may(
    app: &AppState,
    p: &Principal,
    action: Action,
    unit_id: &str,
) -> Result<bool, ApiError> {
    let Some(unit) = app.store.get_unit(unit_id).await? else {
        return Ok(false);
    };
    Ok(UnitPath::parse(&unit.path)
        .is_ok_and(|path| app.authz.is_allowed(p, action, &Resource::OwnedBy(path))))
}

async fn audit(
    app: &AppState,
    p: &Principal,
    action: &str,
    target: &str,
    outcome: &str,
    details: serde_json::Value,
) -> Result<(), ApiError> {
    Actor::user(p.id.clone(), None)
        .record(app, action, Some(target), outcome, details)
        .await
}

fn forbidden() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "forbidden",
        "当前角色或单位无权进行此项管理",
    )
}

fn invalid(e: StoreError) -> ApiError {
    match e {
        StoreError::Invalid(m) => ApiError::new(StatusCode::BAD_REQUEST, "invalid", m),
        other => other.into(),
    }
}

fn body<T>(b: Result<Json<T>, JsonRejection>) -> Result<T, ApiError> {
    b.map(|Json(x)| x).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_body",
            format!("请求体无效：{}", e.body_text()),
        )
    })
}

/// The units the administrator manages.
#[utoipa::path(get, path = "/api/v1/units", tag = "admin",
    responses((status = 200, body = Vec<UnitInfo>), (status = 401, body = ErrorBody)),
    security(("session" = [])))]
pub async fn list_units(
    State(app): State<AppState>,
    method: Method,
    headers: HeaderMap,
) -> Result<Json<Vec<UnitInfo>>, ApiError> {
    let p = admin(&app, &method, &headers).await?;
    let mut out = Vec::new();
    for u in app.store.list_units().await? {
        if UnitPath::parse(&u.path).is_ok_and(|path| {
            app.authz
                .is_allowed(&p, Action::ManageUnits, &Resource::OwnedBy(path))
        }) {
            out.push(UnitInfo::from(u));
        }
    }
    Ok(Json(out))
}

/// Registers a unit under one the administrator manages.
#[utoipa::path(post, path = "/api/v1/units", tag = "admin", request_body = UnitIn,
    responses((status = 200, body = UnitInfo), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("session" = [])))]
pub async fn add_unit(
    State(app): State<AppState>,
    method: Method,
    headers: HeaderMap,
    b: Result<Json<UnitIn>, JsonRejection>,
) -> Result<Json<UnitInfo>, ApiError> {
    let p = admin(&app, &method, &headers).await?;
    let u = body(b)?;
    let Some(parent) = u.parent.clone() else {
        return Err(forbidden());
    };
    if !may(&app, &p, Action::ManageUnits, &parent).await? {
        audit(
            &app,
            &p,
            "unit.add",
            &u.id,
            "denied",
            serde_json::json!({"parent": parent}),
        )
        .await?;
        return Err(forbidden());
    }
    let unit = app
        .store
        .add_unit(&NewUnit {
            id: u.id.clone(),
            name: u.name,
            parent: Some(parent),
            kind: u.kind,
        })
        .await
        .map_err(invalid)?;
    audit(
        &app,
        &p,
        "unit.add",
        &u.id,
        "success",
        serde_json::json!({"path": unit.path}),
    )
    .await?;
    Ok(Json(unit.into()))
}

/// The accounts the administrator manages.
#[utoipa::path(get, path = "/api/v1/users", tag = "admin",
    responses((status = 200, body = Vec<UserInfo>), (status = 401, body = ErrorBody)),
    security(("session" = [])))]
pub async fn list_users(
    State(app): State<AppState>,
    method: Method,
    headers: HeaderMap,
) -> Result<Json<Vec<UserInfo>>, ApiError> {
    let p = admin(&app, &method, &headers).await?;
    if !app
        .authz
        .is_allowed(&p, Action::ManageUsers, &Resource::OwnedBy(p.unit.clone()))
    {
        return Err(forbidden());
    }
    let users = app
        .store
        .list_users(Some(p.unit.as_str()))
        .await
        .map_err(invalid)?;
    Ok(Json(users.into_iter().map(UserInfo::from).collect()))
}

/// Creates an account in a unit the administrator manages.
#[utoipa::path(post, path = "/api/v1/users", tag = "admin", request_body = UserIn,
    responses((status = 200, body = UserInfo), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("session" = [])))]
pub async fn add_user(
    State(app): State<AppState>,
    method: Method,
    headers: HeaderMap,
    b: Result<Json<UserIn>, JsonRejection>,
) -> Result<Json<UserInfo>, ApiError> {
    let p = admin(&app, &method, &headers).await?;
    let u = body(b)?;
    if !may(&app, &p, Action::ManageUsers, &u.unit).await? {
        audit(
            &app,
            &p,
            "user.add",
            &u.id,
            "denied",
            serde_json::json!({"unit": u.unit}),
        )
        .await?;
        return Err(forbidden());
    }
    if u.id == p.id {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "self_grant",
            "不能为自己创建或修改账号",
        ));
    }
    check_policy(&u.id, &u.password)
        .map_err(|problems| ApiError::bad_param("password", problems.join("；")))?;
    let hash = hash_password(&u.password)
        .map_err(|e| ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "hashing", e.to_string()))?;
    let new = NewUser {
        id: u.id.clone(),
        name: u.name,
        unit: u.unit,
        roles: u.roles.clone(),
        password_hash: Some(hash),
    };
    let user = app
        .store
        .add_user(&new, app.clock.now())
        .await
        .map_err(invalid)?;
    audit(
        &app,
        &p,
        "user.add",
        &u.id,
        "success",
        serde_json::json!({"unit": user.unit, "roles": u.roles}),
    )
    .await?;
    Ok(Json(user.into()))
}

/// Creates an API token for units the administrator manages; the secret is shown once.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "admin", request_body = TokenIn,
    responses((status = 200, body = TokenCreated), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("session" = [])))]
pub async fn create_token(
    State(app): State<AppState>,
    method: Method,
    headers: HeaderMap,
    b: Result<Json<TokenIn>, JsonRejection>,
) -> Result<Json<TokenCreated>, ApiError> {
    let p = admin(&app, &method, &headers).await?;
    let t = body(b)?;
    for u in &t.units {
        if !may(&app, &p, Action::ManageTokens, u).await? {
            audit(
                &app,
                &p,
                "token.create",
                u,
                "denied",
                serde_json::json!({"name": t.name}),
            )
            .await?;
            return Err(forbidden());
        }
    }
    let rand = |_| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "no_randomness",
            "无法生成令牌",
        )
    };
    let id = format!(
        "tk-{}",
        new_secret().map_err(rand)?.get(..12).unwrap_or_default()
    );
    let secret = new_secret().map_err(rand)?;
    let token = ApiToken {
        id: id.clone(),
        name: t.name.clone(),
        secret_hash: digest(&secret),
        roles: t.roles.unwrap_or_else(|| vec!["ingest".into()]),
        units: t.units,
        created_by: p.id.clone(),
        created_at_us: app.clock.now().as_microsecond(),
        revoked_at_us: None,
        last_used_us: None,
    };
    app.store.create_token(&token).await.map_err(invalid)?;
    audit(
        &app,
        &p,
        "token.create",
        &id,
        "success",
        serde_json::json!({"name": t.name, "units": token.units}),
    )
    .await?;
    Ok(Json(TokenCreated {
        credential: format!("{id}.{secret}"),
        id,
    }))
}

/// Revokes an API token of units the administrator manages.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "admin",
    params(("id" = String, Path, description = "Token id")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("session" = [])))]
pub async fn revoke_token(
    State(app): State<AppState>,
    method: Method,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let p = admin(&app, &method, &headers).await?;
    let Some(token) = app.store.get_token(&id).await? else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "token_not_found",
            format!("令牌 `{id}` 不存在"),
        ));
    };
    for u in &token.units {
        if !may(&app, &p, Action::ManageTokens, u).await? {
            audit(
                &app,
                &p,
                "token.revoke",
                &id,
                "denied",
                serde_json::json!({}),
            )
            .await?;
            return Err(forbidden());
        }
    }
    app.store.revoke_token(&id, app.clock.now()).await?;
    audit(
        &app,
        &p,
        "token.revoke",
        &id,
        "success",
        serde_json::json!({}),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
