//! Notices that findings changed, for pages that stay live (`GET /api/v1/alerts/stream`).
//!
//! Ingestion and the timer send a [`Notice`] on the broadcast channel in [`AppState`]; every open
//! stream receives it and tells its client to reload. A notice carries counts only, never case
//! content: what the client may see it reads again through the ordinary, scoped endpoints.
//!
//! [`AppState`]: crate::AppState

use casewatch_core::time::format_instant;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;
use utoipa::ToSchema;

/// Notices a slow stream may fall behind by before it skips some (it is then told to reload).
const CAPACITY: usize = 256;

/// The sending side of the notices; cloned into every place that changes findings.
pub type Notices = broadcast::Sender<Notice>;

/// A new channel with no stream open.
pub fn channel() -> Notices {
    broadcast::channel(CAPACITY).0
}

/// What is broadcast to open streams.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// Findings changed.
    Changed(Change),
    /// The server is shutting down: streams end, so that the graceful shutdown does not wait
    /// for clients that never hang up.
    Closing,
}

/// The body of a notice: why and how much changed, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Change {
    /// `event` (a batch of events was stored), `timer` (clocks reached their warning or due
    /// instant), or `lagged` (this stream missed notices; reload anyway).
    pub cause: String,
    /// How much changed: cases touched by the batch (`event`), findings moved plus cases
    /// evaluated again (`timer`), notices missed (`lagged`). A hint, not a figure to show.
    pub changed: u64,
    /// When (+08:00).
    pub at: String,
}

impl Change {
    /// A change of `changed` things for `cause` at `at`.
    pub fn new(cause: &str, changed: u64, at: Timestamp) -> Self {
        Self {
            cause: cause.to_owned(),
            changed,
            at: format_instant(at),
        }
    }
}

/// Tells open streams that `changed` things changed for `cause`; nothing when nothing changed.
pub fn changed(notices: &Notices, cause: &str, changed: u64, at: Timestamp) {
    if changed > 0 {
        // An error only means that no stream is open: nobody to tell.
        let _ = notices.send(Notice::Changed(Change::new(cause, changed, at)));
    }
}
