//! How a finding's state is stored, and read back as of an instant.
//!
//! An open clock's state is a function of time: running until its warning instant, warning until
//! its due, overdue from then on (the engine's rule, `eval.rs`). Its row stores `open` and the two
//! instants, and its state as of the timer's mark (`timer_mark`, the instant up to which every
//! transition is in the history and the counts) is derived when it is read, so that no
//! transition rewrites the row (`docs/performance-notes.md`, seventeenth round). The SQL form of
//! [`state_at`] is [`state_sql`], the row's next transition [`next_transition_sql`], and a filter
//! by state is [`states_condition`]; they must agree
//! (`the_sql_and_the_rust_forms_of_a_state_agree`).

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

/// The timer's mark as a scalar subquery: the instant up to which every transition of an open
/// clock is in the history and the counts (`timer_mark`, migration 11). Stored findings are read
/// in their state as of the mark.
pub(crate) const MARK: &str = "(SELECT at_us FROM timer_mark)";

/// [`state_at`] in SQL, as of the mark, over the columns of `findings` prefixed by `p`.
pub(crate) fn state_sql(p: &str) -> String {
    state_sql_at(p, MARK)
}

/// [`state_at`] in SQL, as of the instant `at` (an SQL expression), over the columns of
/// `findings` prefixed by `p`.
pub(crate) fn state_sql_at(p: &str, at: &str) -> String {
    format!(
        "CASE WHEN {p}state <> 'open' THEN {p}state WHEN {p}due_us <= {at} THEN 'overdue' \
         WHEN {p}warn_us <= {at} THEN 'warning' ELSE 'running' END"
    )
}

/// The next instant at which time alone changes the state of a row of `findings` (columns
/// prefixed by `p`), as of the mark: an open clock's warning instant until it passes, then its
/// due; NULL for every other row and for an overdue clock.
pub(crate) fn next_transition_sql(p: &str) -> String {
    format!(
        "CASE WHEN {p}state <> 'open' OR {p}due_us <= {MARK} THEN NULL \
         WHEN {p}warn_us <= {MARK} THEN {p}due_us ELSE {p}warn_us END"
    )
}

/// The conditions, one of which a row of `findings` meets when its state as of the mark is
/// `state`: an open clock's by its instants, any other's by its stored state. Each is a range of
/// the alert index of its own, so that a list can walk them apart. An unknown state matches
/// nothing.
pub(crate) fn state_arms(state: &str) -> Vec<String> {
    match State::parse(state) {
        Some(State::Running) => vec![
            "state = 'running'".to_owned(),
            format!("state = 'open' AND warn_us > {MARK} AND due_us > {MARK}"),
        ],
        Some(State::Warning) => {
            vec![format!(
                "state = 'open' AND warn_us <= {MARK} AND due_us > {MARK}"
            )]
        }
        Some(State::Overdue) => vec![format!("state = 'open' AND due_us <= {MARK}")],
        Some(other) => vec![format!("state = '{}'", other.as_str())],
        None => vec!["1 = 0".to_owned()],
    }
}

/// The condition that a row of `findings` is in one of `states` as of the mark.
pub(crate) fn states_condition(states: &[String]) -> String {
    let arms: Vec<String> = states
        .iter()
        .flat_map(|s| state_arms(s))
        .map(|arm| format!("({arm})"))
        .collect();
    format!("({})", arms.join(" OR "))
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

    /// A row as read back: row id, stored state, warning and due instants, state and next
    /// transition in SQL.
    type Read = (i64, String, Option<i64>, Option<i64>, String, Option<i64>);

    /// What [`next_transition_sql`] must give: the instant `state_at` next changes at, if time
    /// alone changes it.
    fn next_transition_at(
        stored: &str,
        warn_us: Option<i64>,
        due_us: Option<i64>,
        at_us: i64,
    ) -> Option<i64> {
        match state_at(stored, warn_us, due_us, at_us) {
            _ if stored != "open" => None,
            "running" => warn_us,
            "warning" => due_us,
            _ => None,
        }
    }

    /// Every row's state read through `state_sql` is `state_at`'s, its next transition through
    /// `next_transition_sql` the instant that state next changes at, and the row meets the
    /// condition of that state (`states_condition`, `state_arms`) and of no other, at every
    /// position of the mark.
    #[test]
    fn the_sql_and_the_rust_forms_of_a_state_agree() {
        let db = rusqlite::Connection::open_in_memory().unwrap();
        db.execute_batch(
            "CREATE TABLE timer_mark (id INTEGER PRIMARY KEY, at_us BIGINT NOT NULL);
             INSERT INTO timer_mark VALUES (1, 0);
             CREATE TABLE findings (state TEXT NOT NULL, warn_us BIGINT, due_us BIGINT);",
        )
        .unwrap();
        // Open clocks as the engine writes them (a warning instant at or before the due);
        // everything else with any instants.
        let mut rows: Vec<(&str, Option<i64>, Option<i64>)> = vec![
            ("open", Some(100), Some(200)),
            ("open", Some(200), Some(200)),
            ("open", Some(100), Some(100)),
        ];
        for stored in ["running", "met", "late", "violated", "passed"] {
            for warn in [None, Some(100)] {
                for due in [None, Some(200)] {
                    rows.push((stored, warn, due));
                }
            }
        }
        for (stored, warn, due) in &rows {
            db.execute(
                "INSERT INTO findings VALUES (?1, ?2, ?3)",
                rusqlite::params![stored, warn, due],
            )
            .unwrap();
        }
        for mark in [0, 99, 100, 150, 199, 200, 300] {
            db.execute("UPDATE timer_mark SET at_us = ?1", [mark])
                .unwrap();
            let sql = format!(
                "SELECT rowid, state, warn_us, due_us, {}, {} FROM findings",
                state_sql(""),
                next_transition_sql("")
            );
            let mut stmt = db.prepare(&sql).unwrap();
            let read: Vec<Read> = stmt
                .query_map([], |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                    ))
                })
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            assert_eq!(read.len(), rows.len());
            for (rowid, stored, warn, due, in_sql, next_in_sql) in read {
                let expected = state_at(&stored, warn, due, mark);
                assert_eq!(in_sql, expected, "{stored} {warn:?} {due:?} at {mark}");
                assert_eq!(
                    next_in_sql,
                    next_transition_at(&stored, warn, due, mark),
                    "{stored} {warn:?} {due:?} at {mark}: next transition"
                );
                for state in State::ALL {
                    let sql = format!(
                        "SELECT COUNT(*) FROM findings WHERE rowid = ?1 AND {}",
                        states_condition(&[state.as_str().to_owned()])
                    );
                    let n: i64 = db.query_row(&sql, [rowid], |r| r.get(0)).unwrap();
                    assert_eq!(
                        n == 1,
                        state.as_str() == expected,
                        "{stored} {warn:?} {due:?} at {mark}: {state:?}"
                    );
                }
            }
        }
        // No state matches `open` itself, nor an unknown name.
        assert_eq!(state_arms("open"), ["1 = 0"]);
    }
}
