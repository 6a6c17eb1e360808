//! The timer: moves clocks to warning and overdue at their instants.
//!
//! It sleeps until the earliest warning or due instant after the store's timer mark
//! (`next_wakeup`), wakes early when ingestion may have added an earlier one (gathering the
//! wake-ups of a tenth of a second), and on start catches up with everything that came due while
//! the server was down. With nothing due it sleeps: there is no periodic sweep over clocks or
//! cases. A pass moves the mark under the store's write lock, so several servers on one database
//! never write a transition twice. After a pass that changed findings it tells open alert
//! streams ([`crate::live`]).

use std::sync::Arc;
use std::time::Duration;

use casewatch_core::time::Clock;
use casewatch_store::Store;
use tokio::sync::Notify;

/// The longest single sleep: guards against a wall clock that jumps (NTP, suspend).
const MAX_SLEEP: Duration = Duration::from_secs(600);

/// How long the timer lets ingestion's wake-ups gather before it reads the open clocks' instants
/// again.
/// Under a live feed every batch wakes it; reading the index after each (two queries, each a
/// round trip to a database thread) was a tenth of the live path's statements. A clock that an
/// ingested event makes due at once is already evaluated as due by its ingestion; only an
/// instant a fraction of a second ahead can be reached this much later.
const GATHER: Duration = Duration::from_millis(100);

/// Runs until the task is dropped.
pub async fn run(
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    wake: Arc<Notify>,
    notices: crate::live::Notices,
) {
    loop {
        // Only a pass with something due writes: ingestion wakes the timer after every batch
        // (it may have added an earlier instant), and a write transaction per wake would queue
        // in front of the next batches.
        let mut next = store.next_wakeup().await;
        let now = clock.now();
        if next.as_ref().map_or(true, |n| n.is_some_and(|t| t <= now)) {
            match store.advance_timers(now).await {
                Ok(out) if out.transitioned > 0 || out.cases_reevaluated > 0 => {
                    tracing::info!(
                        transitioned = out.transitioned,
                        cases = out.cases_reevaluated,
                        "timers advanced"
                    );
                    crate::live::changed(
                        &notices,
                        "timer",
                        out.transitioned + out.cases_reevaluated,
                        now,
                    );
                }
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "advancing timers failed; retrying"),
            }
            next = store.next_wakeup().await;
        }
        let sleep = match next {
            Ok(Some(next)) => {
                let ms = (next.as_millisecond() - clock.now().as_millisecond()).max(0);
                Some(Duration::from_millis(u64::try_from(ms).unwrap_or(0)).min(MAX_SLEEP))
            }
            Ok(None) => None,
            Err(e) => {
                tracing::error!(error = %e, "reading the next timer instant failed");
                Some(Duration::from_secs(5))
            }
        };
        match sleep {
            Some(d) => {
                tokio::select! {
                    () = tokio::time::sleep(d) => {}
                    () = wake.notified() => tokio::time::sleep(GATHER).await,
                }
            }
            None => {
                wake.notified().await;
                tokio::time::sleep(GATHER).await;
            }
        }
    }
}
