//! Findings: what the engine says about one rule, case, subject and occurrence.

use std::sync::Arc;

use jiff::Timestamp;
use serde::Serialize;

/// The state of a finding (`check.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Clock open, before its warning instant.
    Running,
    /// Clock open, at or after its warning instant and before due.
    Warning,
    /// Clock open at or after due.
    Overdue,
    /// Clock stopped before due.
    Met,
    /// Clock stopped at or after due.
    Late,
    /// A checkpoint failed.
    Violated,
    /// A checkpoint holds.
    Passed,
}

impl State {
    /// Every state.
    pub const ALL: [State; 7] = [
        State::Running,
        State::Warning,
        State::Overdue,
        State::Met,
        State::Late,
        State::Violated,
        State::Passed,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Running => "running",
            State::Warning => "warning",
            State::Overdue => "overdue",
            State::Met => "met",
            State::Late => "late",
            State::Violated => "violated",
            State::Passed => "passed",
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<State> {
        State::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// The Chinese label.
    pub fn zh(self) -> &'static str {
        match self {
            State::Running => "进行中",
            State::Warning => "预警",
            State::Overdue => "已超期",
            State::Met => "按期完成",
            State::Late => "超期完成",
            State::Violated => "不符合",
            State::Passed => "符合",
        }
    }

    /// Whether the clock is still open (its state can change with time alone).
    pub fn is_open(self) -> bool {
        matches!(self, State::Running | State::Warning | State::Overdue)
    }
}

/// One finding.
///
/// Its names are shared strings: the rule's id is the pack's, the case, subject, reference, unit
/// and officer those of the events, so that a case's findings (fourteen on average in the demo
/// history) cost no copy of any of them (`docs/performance-notes.md`, twelfth round).
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// The rule id.
    pub rule: Arc<str>,
    /// The case id.
    pub case: Arc<str>,
    /// The person or property, for subject rules.
    pub subject: Option<Arc<str>>,
    /// The event that started the clock or triggered the check.
    pub reference: Arc<str>,
    /// The state at the evaluation instant.
    pub state: State,
    /// Clock start.
    pub started: Option<Timestamp>,
    /// Clock due.
    pub due: Option<Timestamp>,
    /// When the clock turns to warning.
    pub warn_at: Option<Timestamp>,
    /// When the clock stopped.
    pub stopped: Option<Timestamp>,
    /// How due was computed, or why the check holds or fails, in Chinese.
    pub explain: String,
    /// The acting unit of the starting or triggering event.
    pub unit: Option<Arc<str>>,
    /// The acting officer of the starting or triggering event.
    pub officer: Option<Arc<str>>,
    /// The next instant at which time alone changes the state (warning, then due), if any.
    pub next_transition: Option<Timestamp>,
}
