//! Who is calling: a user with a session cookie, a machine with an API token, or nobody.
//!
//! Sessions live in the database (only the SHA-256 of the id the cookie carries), expire after
//! [`AuthConfig::idle_timeout`] without a request (the last request is recorded at most every 30 s,
//! so expiry may come up to that much late) and [`AuthConfig::absolute_timeout`] after login, and
//! carry a CSRF token that cookie-authenticated writes must echo. API tokens are sent as
//! `Authorization: Bearer <id>.<secret>`; only the secret's SHA-256 is stored.

use axum::http::{HeaderMap, StatusCode, header};
use casewatch_store::{ApiToken, Session, User};
use jiff::{SignedDuration, Timestamp};

use crate::AppState;
use crate::auth::hardening::constant_time_eq;
use crate::auth::password::digest;
use crate::error::ApiError;

/// The session cookie's name.
pub const COOKIE: &str = "cw_session";

/// Settings of authentication.
#[derive(Debug, Clone)]
pub struct AuthConfig {
    /// A session ends after this long without a request.
    pub idle_timeout: SignedDuration,
    /// A session ends this long after login, whatever its activity.
    pub absolute_timeout: SignedDuration,
    /// Failed logins in a row that lock an account.
    pub max_failures: i64,
    /// How long a locked account stays locked.
    pub lock_for: SignedDuration,
    /// Mark cookies `Secure` (set when served behind TLS).
    pub secure_cookies: bool,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            idle_timeout: SignedDuration::from_mins(30),
            absolute_timeout: SignedDuration::from_hours(12),
            max_failures: 5,
            lock_for: SignedDuration::from_mins(15),
            secure_cookies: false,
        }
    }
}

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub enum Caller {
    /// No credentials were sent.
    Anonymous,
    /// A user with a live session.
    User {
        /// The account.
        user: User,
        /// The session.
        session: Session,
    },
    /// A machine client with an API token.
    Token {
        /// The token (its secret hash included, never serialized).
        token: ApiToken,
    },
}

fn unauthorized(code: &'static str, message: &str) -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, code, message)
}

impl Caller {
    /// The signed-in user as an authorization principal; `None` for anyone else (tokens are
    /// checked against their own unit scope where they may act).
    pub fn principal(&self) -> Option<casewatch_authz::Principal> {
        use casewatch_authz::{Principal, Role, UnitPath};
        match self {
            Caller::User { user, .. } => {
                let unit = UnitPath::parse(&user.unit_path).ok()?;
                Some(Principal::user(
                    user.id.clone(),
                    unit,
                    user.roles.iter().filter_map(|r| Role::parse(r).ok()),
                ))
            }
            Caller::Token { .. } | Caller::Anonymous => None,
        }
    }
}

/// The value of one cookie.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// The `Set-Cookie` value that starts a session.
pub fn session_cookie(id: &str, cfg: &AuthConfig) -> String {
    let secure = if cfg.secure_cookies { "; Secure" } else { "" };
    format!(
        "{COOKIE}={id}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
        cfg.absolute_timeout.as_secs()
    )
}

/// The `Set-Cookie` value that ends a session in the browser.
pub fn clear_cookie(cfg: &AuthConfig) -> String {
    let secure = if cfg.secure_cookies { "; Secure" } else { "" };
    format!("{COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{secure}")
}

/// Identifies the caller from the request's credentials. Credentials that are present but
/// invalid (an expired session, a revoked token) are refused with 401 rather than treated as
/// anonymous, so that a client learns to log in again.
pub async fn identify(
    app: &AppState,
    headers: &HeaderMap,
    now: Timestamp,
) -> Result<Caller, ApiError> {
    if let Some(auth) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        let Some(credential) = auth.strip_prefix("Bearer ") else {
            return Err(unauthorized(
                "bad_credentials",
                "Authorization 头应为 Bearer 令牌",
            ));
        };
        let (id, secret) = credential
            .trim()
            .split_once('.')
            .unwrap_or((credential, ""));
        let token = app.store.get_token(id).await?;
        return match token {
            Some(t)
                if t.revoked_at_us.is_none()
                    && constant_time_eq(digest(secret).as_bytes(), t.secret_hash.as_bytes()) =>
            {
                if stale(t.last_used_us, now) {
                    app.store.touch_token(&t.id, now).await?;
                }
                Ok(Caller::Token { token: t })
            }
            Some(t) if t.revoked_at_us.is_some() => {
                Err(unauthorized("token_revoked", "令牌已撤销"))
            }
            _ => Err(unauthorized("bad_credentials", "令牌无效")),
        };
    }
    let Some(id) = cookie(headers, COOKIE).filter(|c| !c.is_empty()) else {
        return Ok(Caller::Anonymous);
    };
    let id_hash = digest(&id);
    let Some(session) = app.store.get_session(&id_hash).await? else {
        return Err(unauthorized("session_expired", "会话已失效，请重新登录"));
    };
    let now_us = now.as_microsecond();
    let idle = now_us - session.last_seen_us > app.auth.idle_timeout.as_micros() as i64;
    let too_old = now_us - session.created_at_us > app.auth.absolute_timeout.as_micros() as i64;
    if idle || too_old {
        app.store.delete_session(&id_hash).await?;
        return Err(unauthorized("session_expired", "会话已超时，请重新登录"));
    }
    let user = match app.store.get_user(&session.user_id).await? {
        Some(u) if !u.disabled => u,
        _ => {
            app.store.delete_session(&id_hash).await?;
            return Err(unauthorized("session_expired", "账号已停用，请联系管理员"));
        }
    };
    if stale(Some(session.last_seen_us), now) {
        app.store.touch_session(&id_hash, now).await?;
    }
    Ok(Caller::User { user, session })
}

/// How old a recorded "last seen" may be before a request writes a new one. Writing it on every
/// request put a write transaction, queued behind ingestion's, in front of every read and every
/// batch of events; idle timeouts are counted in minutes, so a session's last activity known to
/// within this much expires it at most this much late.
const TOUCH_EVERY_US: i64 = 30_000_000;

/// Whether a last-seen instant is older than [`TOUCH_EVERY_US`].
fn stale(last_us: Option<i64>, now: Timestamp) -> bool {
    last_us.is_none_or(|l| now.as_microsecond() - l >= TOUCH_EVERY_US)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_seen_is_written_at_most_every_30_seconds() {
        let now: Timestamp = "2026-04-01T12:00:00+08:00".parse().unwrap();
        let us = now.as_microsecond();
        assert!(stale(None, now), "never seen");
        assert!(!stale(Some(us), now));
        assert!(!stale(Some(us - 29_999_999), now));
        assert!(stale(Some(us - 30_000_000), now));
    }
}
