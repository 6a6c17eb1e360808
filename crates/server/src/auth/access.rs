//! Access to case content: the [`Reader`] extractor that every reading endpoint takes, and the
//! checks it offers.
//!
//! A reader is a signed-in user or an API token, as an authorization principal. Lists filter in
//! SQL by [`Reader::scope`] (the SQL counterpart of the Cedar policies, `casewatch_authz::scope`);
//! single reads ask Cedar through [`Reader::may`]. A case the reader may not see is answered as if
//! it did not exist ([`case_not_found`]), and the attempt is audited by the handler. A request
//! that changes something takes a [`Writer`]: a reader whose session request also passed the
//! CSRF check.

use std::collections::HashMap;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::StatusCode;
use axum::http::request::Parts;
use casewatch_authz::{Action, Principal, Resource, Role, Scope, UnitPath};

use crate::AppState;
use crate::auth::hardening::check_csrf;
use crate::auth::session::{Caller, identify};
use crate::auth::trail::Actor;
use crate::error::ApiError;

/// A signed-in user or an API token, allowed to call reading endpoints (what it may read is
/// decided per action and unit).
#[derive(Debug, Clone)]
pub struct Reader {
    /// Who, as the policies see him.
    pub principal: Principal,
    /// Who, as the audit trail records him (with the client's address).
    pub actor: Actor,
}

impl FromRequestParts<AppState> for Reader {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, ApiError> {
        let caller = identify(app, &parts.headers, app.clock.now()).await?;
        Reader::of(parts, app, &caller).await
    }
}

/// A [`Reader`] sending a request that changes something (or writes the audit trail on
/// purpose): a signed-in user's request must pass the cross-site check with the session's
/// CSRF token (403 `csrf`); a bearer token is never sent by a browser on its own, so it needs
/// none. What the writer may change is decided per action, as for a reader.
#[derive(Debug, Clone)]
pub struct Writer(pub Reader);

impl FromRequestParts<AppState> for Writer {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, ApiError> {
        let caller = identify(app, &parts.headers, app.clock.now()).await?;
        if let Caller::User { session, .. } = &caller
            && check_csrf(&parts.method, &parts.headers, &session.csrf_token).is_err()
        {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "csrf",
                "跨站请求或缺少 X-CSRF-Token",
            ));
        }
        Reader::of(parts, app, &caller).await.map(Writer)
    }
}

/// The paths of the registered units among `ids`, by id (unregistered ones, and paths that do
/// not parse, are absent). The store keeps registered units' paths ([`Store::unit_paths`]), so
/// a request's units cost no query once they have been seen.
///
/// [`Store::unit_paths`]: casewatch_store::Store::unit_paths
pub async fn unit_paths(
    app: &AppState,
    ids: &[String],
) -> Result<HashMap<String, UnitPath>, ApiError> {
    Ok(app
        .store
        .unit_paths(ids)
        .await?
        .into_iter()
        .filter_map(|(id, path)| Some((id, UnitPath::parse(&path).ok()?)))
        .collect())
}

/// The caller as an authorization principal: a user with his unit and roles, a token with the
/// units it was issued for (the first is its home unit). `None` for anonymous callers and for
/// a user or token whose unit is no longer in the unit tree.
pub async fn principal_of(app: &AppState, caller: &Caller) -> Result<Option<Principal>, ApiError> {
    match caller {
        Caller::Anonymous => Ok(None),
        Caller::User { .. } => Ok(caller.principal()),
        Caller::Token { token } => {
            let known = unit_paths(app, &token.units).await?;
            let paths: Vec<UnitPath> = token
                .units
                .iter()
                .filter_map(|u| known.get(u).cloned())
                .collect();
            let Some(home) = paths.first().cloned() else {
                return Ok(None);
            };
            Ok(Some(Principal::token(
                token.id.clone(),
                home,
                token.roles.iter().filter_map(|r| Role::parse(r).ok()),
                paths,
            )))
        }
    }
}

impl Reader {
    /// The reader that `caller` is; 401 for anonymous callers.
    async fn of(parts: &Parts, app: &AppState, caller: &Caller) -> Result<Self, ApiError> {
        let source = parts
            .extensions
            .get::<ConnectInfo<std::net::SocketAddr>>()
            .map(|a| a.0.ip().to_string());
        let actor = match caller {
            Caller::User { user, .. } => Actor::user(user.id.clone(), source),
            Caller::Token { token } => Actor::token(token.id.clone(), source),
            Caller::Anonymous => {
                return Err(ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "not_signed_in",
                    "请先登录",
                ));
            }
        };
        let principal = principal_of(app, caller).await?.ok_or_else(|| {
            ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "账号或令牌的单位未登记，无权访问",
            )
        })?;
        Ok(Self { principal, actor })
    }

    /// The units whose data the reader may see for `action`, for a SQL filter. A reader whose
    /// roles grant the action nowhere is refused (403): an empty list would hide that the
    /// page is closed to him.
    pub fn scope(&self, action: Action) -> Result<Scope, ApiError> {
        match casewatch_authz::scope(&self.principal, action) {
            Scope::Nothing => Err(forbidden(action)),
            s => Ok(s),
        }
    }

    /// Whether the reader may do `action` on data of the unit with id `unit`. Data without a
    /// unit, or of a unit not in the unit tree, belongs to no subtree: only a global grant
    /// reaches it, and no read grant is global.
    pub async fn may(
        &self,
        app: &AppState,
        action: Action,
        unit: Option<&str>,
    ) -> Result<bool, ApiError> {
        let Some(unit) = unit else {
            return Ok(false);
        };
        let Some(path) = unit_paths(app, &[unit.to_owned()]).await?.remove(unit) else {
            return Ok(false);
        };
        Ok(app
            .authz
            .is_allowed(&self.principal, action, &Resource::OwnedBy(path)))
    }

    /// Whether the reader may use a global resource (the rule pack) for `action`.
    pub fn may_globally(&self, app: &AppState, action: Action) -> bool {
        app.authz
            .is_allowed(&self.principal, action, &Resource::Global)
    }
}

/// The refusal of an action the reader's roles grant nowhere.
pub fn forbidden(action: Action) -> ApiError {
    let what = match action {
        Action::ReadCase => "查看案件",
        Action::ReadPersonalData => "查看完整个人信息",
        Action::ReadDashboard => "查看统计与驾驶舱",
        Action::ReadAudit => "查看审计日志",
        Action::ReadRules => "查看规则",
        Action::ChangeRules => "修改规则",
        Action::PostEvents => "接入事件",
        Action::ManageUnits | Action::ManageUsers | Action::ManageTokens => "进行管理操作",
    };
    ApiError::new(
        StatusCode::FORBIDDEN,
        "forbidden",
        format!("当前角色无权{what}"),
    )
}

/// The answer for a case that does not exist, or that the reader may not see: the same.
pub fn case_not_found(id: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "case_not_found",
        format!("案件 `{id}` 不存在"),
    )
}
