//! Administration over the API: units, users, API tokens (Cedar `manage_units`, `manage_users`,
//! `manage_tokens` in the administrator's unit subtree). Writes need the session's CSRF token and
//! are audited, refusals included.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode};
use casewatch_authz::{Action, Principal, Resource, UnitPath};
use casewatch_store::{ApiToken, NewUnit, NewUser, StoreError, Unit, User, UserChange};
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

/// An API token as administrators see it: never its secret or the secret's hash.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TokenInfo {
    /// Token id (the public part of the credential).
    pub id: String,
    /// What it is for.
    pub name: String,
    /// Roles.
    pub roles: Vec<String>,
    /// Units it acts for.
    pub units: Vec<String>,
    /// Who created it.
    pub created_by: String,
    /// When it was created (+08:00).
    pub created_at: Option<String>,
    /// When it was revoked (+08:00); null while it is valid.
    pub revoked_at: Option<String>,
    /// When it was last used (+08:00).
    pub last_used_at: Option<String>,
}

impl From<ApiToken> for TokenInfo {
    fn from(t: ApiToken) -> Self {
        let at = |us: i64| {
            casewatch_core::time::from_micros(us).map(casewatch_core::time::format_instant)
        };
        Self {
            id: t.id,
            name: t.name,
            roles: t.roles,
            units: t.units,
            created_by: t.created_by,
            created_at: at(t.created_at_us),
            revoked_at: t.revoked_at_us.and_then(at),
            last_used_at: t.last_used_us.and_then(at),
        }
    }
}

/// Changes to an account; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    /// A new name.
    pub name: Option<String>,
    /// A new unit (one the administrator manages).
    pub unit: Option<String>,
    /// New roles, replacing the old ones.
    pub roles: Option<Vec<String>>,
    /// Disable (true) or enable (false) the account; disabling ends its sessions.
    pub disabled: Option<bool>,
    /// A new password (policy-checked); it clears failed logins and any lock and ends the
    /// account's sessions.
    pub password: Option<String>,
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

/// Changes an account of a unit the administrator manages: name, unit, roles, disabled, or a
/// new password. Nobody changes his own account here (no self-grant).
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "admin", request_body = UserPatch,
    params(("id" = String, Path, description = "The account's 警号")),
    responses(
        (status = 200, body = UserInfo),
        (status = 400, description = "An empty change, an unknown role or unit, or a password that fails the policy; `details` names the field.", body = ErrorBody),
        (status = 401, description = "Not signed in.", body = ErrorBody),
        (status = 403, description = "The account or the new unit is outside the administrator's subtree, his own account, or no CSRF token.", body = ErrorBody),
        (status = 404, description = "No such account.", body = ErrorBody),
    ),
    security(("session" = [])))]
pub async fn update_user(
    State(app): State<AppState>,
    method: Method,
    headers: HeaderMap,
    Path(id): Path<String>,
    b: Result<Json<UserPatch>, JsonRejection>,
) -> Result<Json<UserInfo>, ApiError> {
    let p = admin(&app, &method, &headers).await?;
    let change = body(b)?;
    let Some(user) = app.store.get_user(&id).await? else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "user_not_found",
            format!("用户 `{id}` 不存在"),
        ));
    };
    let fields: Vec<&str> = [
        ("name", change.name.is_some()),
        ("unit", change.unit.is_some()),
        ("roles", change.roles.is_some()),
        ("disabled", change.disabled.is_some()),
        ("password", change.password.is_some()),
    ]
    .into_iter()
    .filter_map(|(f, set)| set.then_some(f))
    .collect();
    if let Some(unit) = &change.unit
        && app.store.get_unit(unit).await?.is_none()
    {
        return Err(ApiError::bad_param(
            "unit",
            format!("unit：单位 `{unit}` 未登记"),
        ));
    }
    let mut allowed = may(&app, &p, Action::ManageUsers, &user.unit).await?;
    if let Some(unit) = &change.unit {
        allowed = allowed && may(&app, &p, Action::ManageUsers, unit).await?;
    }
    if !allowed {
        audit(
            &app,
            &p,
            "user.update",
            &id,
            "denied",
            serde_json::json!({"fields": fields}),
        )
        .await?;
        return Err(forbidden());
    }
    if id == p.id {
        audit(
            &app,
            &p,
            "user.update",
            &id,
            "denied",
            serde_json::json!({"fields": fields, "reason": "self"}),
        )
        .await?;
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "self_grant",
            "不能为自己创建或修改账号",
        ));
    }
    if fields.is_empty() {
        return Err(ApiError::bad_param(
            "body",
            "请至少指定一项修改：name、unit、roles、disabled 或 password",
        ));
    }
    if let Some(roles) = &change.roles {
        if roles.is_empty() {
            return Err(ApiError::bad_param(
                "roles",
                "roles：至少保留一个角色；停用账号请用 disabled",
            ));
        }
        if let Some(bad) = roles
            .iter()
            .find(|r| !casewatch_store::ROLES.contains(&r.as_str()))
        {
            return Err(ApiError::bad_param(
                "roles",
                format!(
                    "roles：角色 `{bad}` 无效，应为 officer、legal_officer、legal_dept、leader、admin 或 ingest"
                ),
            ));
        }
    }
    let password_hash = match &change.password {
        Some(password) => {
            check_policy(&id, password)
                .map_err(|problems| ApiError::bad_param("password", problems.join("；")))?;
            Some(hash_password(password).map_err(|e| {
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "hashing", e.to_string())
            })?)
        }
        None => None,
    };
    let ends_sessions = change.disabled == Some(true) || password_hash.is_some();
    let updated = app
        .store
        .update_user(
            &id,
            &UserChange {
                name: change.name,
                unit: change.unit,
                roles: change.roles.clone(),
                password_hash,
                disabled: change.disabled,
            },
            app.clock.now(),
        )
        .await
        .map_err(invalid)?;
    let sessions_ended = if ends_sessions {
        app.store.delete_user_sessions(&id).await?
    } else {
        0
    };
    audit(
        &app,
        &p,
        "user.update",
        &id,
        "success",
        serde_json::json!({"fields": fields, "unit": updated.unit, "roles": updated.roles, "disabled": updated.disabled, "sessions_ended": sessions_ended}),
    )
    .await?;
    Ok(Json(updated.into()))
}

/// The API tokens all of whose units the administrator manages, revoked ones included, oldest
/// first; never a secret or its hash.
#[utoipa::path(get, path = "/api/v1/tokens", tag = "admin",
    responses(
        (status = 200, body = Vec<TokenInfo>),
        (status = 401, description = "Not signed in.", body = ErrorBody),
        (status = 403, description = "The caller manages no tokens.", body = ErrorBody),
    ),
    security(("session" = [])))]
pub async fn list_tokens(
    State(app): State<AppState>,
    method: Method,
    headers: HeaderMap,
) -> Result<Json<Vec<TokenInfo>>, ApiError> {
    let p = admin(&app, &method, &headers).await?;
    if casewatch_authz::scope(&p, Action::ManageTokens) == casewatch_authz::Scope::Nothing {
        return Err(forbidden());
    }
    let mut out = Vec::new();
    for token in app.store.list_tokens().await? {
        let mut all = !token.units.is_empty();
        for u in &token.units {
            all = all && may(&app, &p, Action::ManageTokens, u).await?;
        }
        if all {
            out.push(TokenInfo::from(token));
        }
    }
    Ok(Json(out))
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
