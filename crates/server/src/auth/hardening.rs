//! Web hardening: security headers on every response, and the cross-site request check for
//! cookie-authenticated writes (Origin / Sec-Fetch-Site, plus the session's CSRF token).

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::Response;

/// The Content-Security-Policy of the web UI: everything from our own origin, nothing inline
/// except styles (Element Plus sets style attributes), no framing.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; \
                       connect-src 'self'; font-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; \
                       frame-ancestors 'none'";

/// Limits bearer-token guessing: a client address whose requests with an `Authorization` header
/// failed authentication (401) too often gets 429 for a while, before its token is even looked
/// up. Successful requests cost nothing, so a busy ingest client is never slowed.
pub async fn limit_bad_tokens(
    axum::extract::State(app): axum::extract::State<crate::AppState>,
    req: Request,
    next: Next,
) -> Response {
    use axum::response::IntoResponse;
    if !req.headers().contains_key(header::AUTHORIZATION) {
        return next.run(req).await;
    }
    let key = req
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map_or_else(|| "?".to_owned(), |a| a.0.ip().to_string());
    let now = std::time::Instant::now();
    if let Err(wait) = app.token_limiter.peek(&key, now) {
        return crate::error::ApiError::new(
            axum::http::StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!(
                "令牌认证失败次数过多，请 {} 秒后再试",
                wait.as_secs().max(1)
            ),
        )
        .into_response();
    }
    let res = next.run(req).await;
    if res.status() == axum::http::StatusCode::UNAUTHORIZED {
        app.token_limiter.charge(&key, now);
    }
    res
}

/// Adds the security headers to every response.
pub async fn security_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=()"),
    );
    res
}

/// Why a cookie-authenticated write was refused as cross-site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CsrfRefusal {
    /// The browser says the request came from another site.
    CrossSite,
    /// The Origin header names another host.
    ForeignOrigin(String),
    /// The CSRF token header is missing or wrong.
    BadToken,
}

/// Checks a state-changing request authenticated by session cookie. Safe methods pass. Requests
/// must come from our own origin (Sec-Fetch-Site `same-origin`, or an Origin whose host is ours)
/// and carry the session's token in `X-CSRF-Token`.
pub fn check_csrf(
    method: &Method,
    headers: &HeaderMap,
    session_token: &str,
) -> Result<(), CsrfRefusal> {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(());
    }
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok())
        && site != "same-origin"
        && site != "none"
    {
        return Err(CsrfRefusal::CrossSite);
    }
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        let host = headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let origin_host = origin.split("://").nth(1).unwrap_or(origin);
        if origin == "null" || origin_host != host {
            return Err(CsrfRefusal::ForeignOrigin(origin.to_owned()));
        }
    }
    let sent = headers
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if sent.is_empty() || !constant_time_eq(sent.as_bytes(), session_token.as_bytes()) {
        return Err(CsrfRefusal::BadToken);
    }
    Ok(())
}

/// Compares two byte strings in time independent of where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn writes_need_our_origin_and_the_token() {
        let ok = headers(&[
            ("host", "cw.local:8080"),
            ("origin", "http://cw.local:8080"),
            ("sec-fetch-site", "same-origin"),
            ("x-csrf-token", "t0k"),
        ]);
        assert_eq!(check_csrf(&Method::POST, &ok, "t0k"), Ok(()));
        assert_eq!(
            check_csrf(&Method::GET, &HeaderMap::new(), "t0k"),
            Ok(()),
            "reads pass"
        );
        let cross = headers(&[
            ("host", "cw.local:8080"),
            ("sec-fetch-site", "cross-site"),
            ("x-csrf-token", "t0k"),
        ]);
        assert_eq!(
            check_csrf(&Method::POST, &cross, "t0k"),
            Err(CsrfRefusal::CrossSite)
        );
        let foreign = headers(&[
            ("host", "cw.local:8080"),
            ("origin", "http://evil.example"),
            ("x-csrf-token", "t0k"),
        ]);
        assert!(matches!(
            check_csrf(&Method::DELETE, &foreign, "t0k"),
            Err(CsrfRefusal::ForeignOrigin(_))
        ));
        let no_token = headers(&[
            ("host", "cw.local:8080"),
            ("origin", "http://cw.local:8080"),
        ]);
        assert_eq!(
            check_csrf(&Method::POST, &no_token, "t0k"),
            Err(CsrfRefusal::BadToken)
        );
        let wrong = headers(&[("host", "cw.local:8080"), ("x-csrf-token", "t0j")]);
        assert_eq!(
            check_csrf(&Method::PUT, &wrong, "t0k"),
            Err(CsrfRefusal::BadToken)
        );
    }
}
