//! Supervision coverage (监督覆盖率): which share of what happens in cases the rules watch.
//!
//! Definition. A case's *steps* are its events that record a procedural fact: every event of a
//! known type except corrections (`event.retracted`) and the events a retraction voids; sender
//! extensions (`x-…`) count as steps, because they are facts the pack does not read. A step is
//! *covered* when at least one rule of the pack reacts to its type — it starts, stops, extends or
//! pauses a clock, or triggers a check. A case's coverage is covered steps / steps; a unit's and
//! the whole system's are the same ratio over all their cases' steps (not an average of ratios).
//! The uncovered types name where the pack should grow.

use std::collections::{BTreeMap, HashSet};

use casewatch_core::{Event, EventType};
use serde::Serialize;

use crate::pack::Pack;

/// The coverage of one case.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CaseCoverage {
    /// Steps recorded.
    pub steps: u32,
    /// Steps some rule reacts to.
    pub covered: u32,
    /// Steps no rule reacts to, by event type.
    pub uncovered: BTreeMap<String, u32>,
}

impl CaseCoverage {
    /// covered / steps; 1.0 for a case without steps.
    pub fn ratio(&self) -> f64 {
        if self.steps == 0 {
            1.0
        } else {
            f64::from(self.covered) / f64::from(self.steps)
        }
    }
}

/// The coverage of one case's events under `pack`.
pub fn of_case(pack: &Pack, events: &[Event]) -> CaseCoverage {
    let retracted: HashSet<&str> = events
        .iter()
        .filter(|e| e.event_type == EventType::EventRetracted)
        .filter_map(|e| e.data_str("target"))
        .collect();
    let mut c = CaseCoverage::default();
    for e in events {
        if e.event_type == EventType::EventRetracted || retracted.contains(e.id.as_str()) {
            continue;
        }
        c.steps += 1;
        if pack.rules_for(e.event_type.as_str()).is_empty() {
            *c.uncovered.entry(e.event_type.to_string()).or_default() += 1;
        } else {
            c.covered += 1;
        }
    }
    c
}

/// The event types of the format that no rule of the pack reacts to.
pub fn unwatched_types(pack: &Pack) -> Vec<&'static str> {
    casewatch_core::event_type::KNOWN_TYPES
        .iter()
        .filter(|t| **t != EventType::EventRetracted && pack.rules_for(t.as_str()).is_empty())
        .map(EventType::as_str)
        .collect()
}

#[cfg(test)]
mod tests {
    use casewatch_core::ParseOptions;
    use serde_json::json;

    use super::*;

    fn ev(v: serde_json::Value) -> Event {
        Event::parse(&v, ParseOptions { now: None }).unwrap()
    }

    #[test]
    fn steps_that_no_rule_reads_are_uncovered_and_retractions_do_not_count() {
        let pack = Pack::standard().unwrap();
        let events = vec![
            ev(
                json!({"id":"1","type":"case.accepted","case":"C","at":"2026-03-01T09:00:00+08:00","data":{"kind":"criminal"}}),
            ),
            ev(json!({"id":"2","type":"x-note","case":"C","at":"2026-03-01T09:10:00+08:00"})),
            ev(
                json!({"id":"3","type":"document.issued","case":"C","at":"2026-03-01T09:20:00+08:00","data":{"doc_type":"受案回执"}}),
            ),
            ev(
                json!({"id":"4","type":"detention.started","case":"C","subject":"P1","at":"2026-03-01T10:00:00+08:00"}),
            ),
            ev(
                json!({"id":"5","type":"event.retracted","case":"C","at":"2026-03-01T11:00:00+08:00","data":{"target":"4","reason":"误录"}}),
            ),
        ];
        let c = of_case(&pack, &events);
        assert_eq!((c.steps, c.covered), (3, 1));
        assert_eq!(c.uncovered.get("x-note"), Some(&1));
        assert_eq!(c.uncovered.get("document.issued"), Some(&1));
        assert!((c.ratio() - 1.0 / 3.0).abs() < 1e-9);
        assert!(unwatched_types(&pack).contains(&"document.issued"));
        assert!(!unwatched_types(&pack).contains(&"detention.started"));
    }
}
