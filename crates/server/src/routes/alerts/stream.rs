//! `GET /api/v1/alerts/stream`: server-sent events telling a page that findings changed, so
//! that the warning centre and the dashboards reload without the user reloading.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, Sse};
use casewatch_authz::Action;
use futures_util::Stream;
use tokio::sync::broadcast::Receiver;
use tokio::sync::broadcast::error::RecvError;
use tokio::time::{Interval, MissedTickBehavior};

use crate::AppState;
use crate::auth::access::Reader;
use crate::auth::password::digest;
use crate::auth::session::{COOKIE, cookie};
use crate::error::{ApiError, ErrorBody};
use crate::live::{Change, Notice};

/// How often an idle stream sends a comment, so that proxies keep it open; the credential it
/// was opened with is checked again at each.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// The credential a stream was opened with.
#[derive(Debug, Clone)]
enum Credential {
    /// The SHA-256 of a session id, as stored.
    Session(String),
    /// An API token id.
    Token(String),
}

/// One open stream.
struct Live {
    app: AppState,
    notices: Receiver<Notice>,
    ticker: Interval,
    credential: Credential,
    /// Whether the opening comment was sent.
    opened: bool,
}

/// Notices that findings changed, as server-sent events: each event's `data` is a [`Change`]
/// (`{"cause", "changed", "at"}`), with counts only, never case content; a comment every 15 s
/// keeps the connection open. Open to readers with some `read_case` scope. The stream ends at
/// shutdown, and at a keep-alive once its session has ended (logout, 12-hour limit, account
/// disabled) or its token was revoked; browsers then reconnect and sign in again.
#[utoipa::path(
    get,
    path = "/api/v1/alerts/stream",
    tag = "alerts",
    responses(
        (status = 200, description = "An endless `text/event-stream`; each event's data is one notice.", content_type = "text/event-stream", body = Change),
        (status = 401, description = "Not signed in.", body = ErrorBody),
        (status = 403, description = "The caller's roles read no cases.", body = ErrorBody),
    ),
    security(("session" = []), ("token" = []))
)]
pub async fn stream(
    State(app): State<AppState>,
    reader: Reader,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    reader.scope(Action::ReadCase)?;
    let credential = if reader.actor.kind == "token" {
        Credential::Token(reader.actor.id.clone())
    } else {
        Credential::Session(digest(&cookie(&headers, COOKIE).unwrap_or_default()))
    };
    let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + KEEP_ALIVE, KEEP_ALIVE);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let live = Live {
        notices: app.notices.subscribe(),
        app,
        ticker,
        credential,
        opened: false,
    };
    Ok(Sse::new(futures_util::stream::unfold(live, next)))
}

/// The next event of a stream, `None` when it ends.
async fn next(mut live: Live) -> Option<(Result<Event, Infallible>, Live)> {
    if !live.opened {
        // A first comment makes the connection visibly open at once.
        live.opened = true;
        return Some((Ok(Event::default().comment("connected")), live));
    }
    let event = tokio::select! {
        received = live.notices.recv() => match received {
            Ok(Notice::Changed(change)) => data(&change),
            Ok(Notice::Closing) | Err(RecvError::Closed) => return None,
            Err(RecvError::Lagged(missed)) => data(&Change::new("lagged", missed, live.app.clock.now())),
        },
        _ = live.ticker.tick() => {
            if !still_valid(&live.app, &live.credential).await {
                return None;
            }
            Event::default().comment("keep-alive")
        }
    };
    Some((Ok(event), live))
}

fn data(change: &Change) -> Event {
    Event::default().data(serde_json::to_string(change).unwrap_or_default())
}

/// Whether the stream's credential still stands. A database that does not answer keeps the
/// stream open: it carries no case content, and the client would only reconnect into the
/// same failure.
async fn still_valid(app: &AppState, credential: &Credential) -> bool {
    let now_us = app.clock.now().as_microsecond();
    match credential {
        Credential::Session(hash) => {
            let session = match app.store.get_session(hash).await {
                Ok(Some(s)) => s,
                Ok(None) => return false,
                Err(e) => {
                    tracing::warn!(error = %e, "alert stream: cannot check the session");
                    return true;
                }
            };
            let limit = i64::try_from(app.auth.absolute_timeout.as_micros()).unwrap_or(i64::MAX);
            if now_us.saturating_sub(session.created_at_us) > limit {
                return false;
            }
            match app.store.get_user(&session.user_id).await {
                Ok(user) => user.is_some_and(|u| !u.disabled),
                Err(_) => true,
            }
        }
        Credential::Token(id) => match app.store.get_token(id).await {
            Ok(token) => token.is_some_and(|t| t.revoked_at_us.is_none()),
            Err(_) => true,
        },
    }
}
