//! Validation of a batch: every event is checked, and the batch is refused as a whole with the
//! list of every invalid event if any one is invalid.

use jiff::Timestamp;
use serde::Serialize;
use serde_json::Value;

use crate::event::{Event, FieldError, ParseOptions};

/// One problem of one event in a batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EventProblem {
    /// The 0-based position of the event in the batch.
    pub index: usize,
    /// The 1-based line in the file or request body, where the source has lines.
    pub line: Option<u64>,
    /// The event's id, when it could be read.
    pub id: Option<String>,
    /// What is wrong.
    #[serde(flatten)]
    pub error: FieldError,
}

/// An event as read from a source, before validation.
#[derive(Debug, Clone)]
pub struct RawEvent {
    /// The 1-based line it came from, where the source has lines.
    pub line: Option<u64>,
    /// The JSON value.
    pub value: Value,
}

/// Validates every event of a batch received at `now` (`None`: no future check).
pub fn validate_batch(
    raw: &[RawEvent],
    now: Option<Timestamp>,
) -> Result<Vec<Event>, Vec<EventProblem>> {
    let mut events = Vec::with_capacity(raw.len());
    let mut problems = Vec::new();
    for (index, r) in raw.iter().enumerate() {
        match Event::parse(&r.value, ParseOptions { now }) {
            Ok(e) => events.push(e),
            Err(errs) => {
                let id = r.value.get("id").and_then(Value::as_str).map(str::to_owned);
                problems.extend(errs.into_iter().map(|error| EventProblem {
                    index,
                    line: r.line,
                    id: id.clone(),
                    error,
                }));
            }
        }
    }
    if problems.is_empty() {
        Ok(events)
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn one_bad_event_refuses_the_batch_and_every_problem_is_listed() {
        let raw = vec![
            RawEvent {
                line: Some(1),
                value: json!({"id":"a","type":"case.filed","case":"C","at":"2026-03-01T00:00:00Z"}),
            },
            RawEvent {
                line: Some(2),
                value: json!({"id":"b","type":"case.filed","case":"C"}),
            },
            RawEvent {
                line: Some(3),
                value: json!({"id":"c","type":"nope","case":"C","at":"2026-03-01T00:00:00Z"}),
            },
        ];
        let problems = validate_batch(&raw, None).unwrap_err();
        let got: Vec<(usize, Option<u64>, &str, &str)> = problems
            .iter()
            .map(|p| (p.index, p.line, p.error.field.as_str(), p.error.code))
            .collect();
        assert_eq!(
            got,
            [
                (1, Some(2), "at", "required"),
                (2, Some(3), "type", "unknown_type")
            ]
        );
        assert_eq!(problems[0].id.as_deref(), Some("b"));
    }
}
