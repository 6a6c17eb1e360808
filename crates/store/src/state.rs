//! How a finding's state is stored, and read back as of an instant.
//!
//! An open clock's state is a function of time: running until its warning instant, warning until
//! its due, overdue from then on (the engine's rule, `eval.rs`). Its row stores `open` and the two
//! instants, and its state as of the timer's mark (`timer_mark`, the instant up to which every
//! transition is in the history and the counts) is derived when it is read, so that no
//! transition rewrites the row (`docs/performance-notes.md`, seventeenth round). The SQL form of
//! [`state_at`] is `state_sql` in `sql_common.rs`; the two must agree
//! (`the_sql_and_the_rust_forms_of_a_state_agree` in the store's tests).

use casewatch_engine::{Finding, State};

/// What a finding's row stores as its state: `open` for a clock that time alone moves (running,
/// warning or overdue, and not paused); the state itself otherwise. A paused clock stays
/// `running`: time does not move it (it has no next transition).
pub(crate) fn stored_state(f: &Finding) -> &'static str {
    match f.state {
        State::Running if f.next_transition.is_none() => "running",
        State::Running | State::Warning | State::Overdue => "open",
        other => other.as_str(),
    }
}

/// The state of a finding stored as `stored` ([`stored_state`]) as of `at_us`.
pub(crate) fn state_at(
    stored: &str,
    warn_us: Option<i64>,
    due_us: Option<i64>,
    at_us: i64,
) -> &str {
    if stored != "open" {
        stored
    } else if due_us.is_some_and(|d| d <= at_us) {
        "overdue"
    } else if warn_us.is_some_and(|w| w <= at_us) {
        "warning"
    } else {
        "running"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_open_clock_moves_with_time_and_nothing_else_does() {
        let (warn, due) = (Some(100), Some(200));
        assert_eq!(state_at("open", warn, due, 99), "running");
        assert_eq!(state_at("open", warn, due, 100), "warning");
        assert_eq!(state_at("open", warn, due, 199), "warning");
        assert_eq!(state_at("open", warn, due, 200), "overdue");
        // A clock that warns at its due is never in warning.
        assert_eq!(state_at("open", due, due, 200), "overdue");
        for stored in ["running", "met", "late", "violated", "passed"] {
            assert_eq!(state_at(stored, warn, due, 1_000), stored);
        }
    }
}
