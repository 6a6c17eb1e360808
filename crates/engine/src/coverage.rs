//! Supervision coverage (监督覆盖率): which share of what happens in cases the rules watch.
//!
//! Definition. A case's *steps* are its events that record a procedural fact: every event of a
//! known type except corrections (`event.retracted`) and the events a retraction voids; sender
//! extensions (`x-…`) count as steps, because they are facts the pack does not read. A step is
//! *covered* when the pack watches its type: a rule reacts to it (starts, stops, extends or pauses
//! a clock, or triggers a check), or a rule's condition reads a fact that events of that type
//! establish (`subject.area_safety_checked` comes from `area.safety_checked`, `subject.minor`
//! from `person.registered`, …). A case's coverage is covered steps / steps; a unit's and the
//! whole system's are the same ratio over all their cases' steps (not an average of ratios). The
//! unwatched types name where the pack should grow.

use std::collections::BTreeMap;

use casewatch_core::event_type::TypeTable;
use casewatch_core::fasthash::FastSet;
use casewatch_core::{Event, EventType};
use serde::Serialize;

use crate::pack::{Amount, LimitSpec, Pack, RuleBody};

/// Which event types establish each fact a condition can read (`facts.rs`).
const FACT_SOURCES: &[(&str, &[&str])] = &[
    ("case.kind", &["case.accepted"]),
    ("case.cause", &["case.accepted"]),
    ("case.serious", &["case.accepted", "case.filed"]),
    ("case.accepted", &["case.accepted"]),
    ("case.filed", &["case.filed"]),
    ("case.on_scene", &["report.received"]),
    ("case.has_complainant", &["person.registered"]),
    (
        "case.n_recordings",
        &["bodycam.recorded", "bodycam.uploaded"],
    ),
    ("case.n_persons", &["person.registered"]),
    ("subject.role", &["person.registered"]),
    ("subject.name", &["person.registered"]),
    ("subject.age", &["person.registered"]),
    ("subject.minor", &["person.registered"]),
    (
        "subject.in_custody",
        &[
            "custody.admitted",
            "released",
            "bail.started",
            "surveillance.started",
        ],
    ),
    ("subject.ever_in_custody", &["custody.admitted"]),
    ("subject.interrogations", &["interrogation.started"]),
    ("subject.in_area", &["area.entered", "area.exited"]),
    ("subject.area_safety_checked", &["area.safety_checked"]),
    ("subject.area_info_collected", &["area.info_collected"]),
    ("subject.area_health_checked", &["area.health_checked"]),
    (
        "subject.measure",
        &[
            "summons.started",
            "summons.ended",
            "questioning.started",
            "questioning.ended",
            "detention.started",
            "arrest.executed",
            "bail.started",
            "bail.ended",
            "surveillance.started",
            "surveillance.ended",
            "released",
            "admin_detention.started",
            "admin_detention.ended",
        ],
    ),
    (
        "subject.state",
        &[
            "property.seized",
            "property.stored",
            "property.checked_out",
            "property.checked_in",
            "property.returned",
            "property.disposed",
            "property.transferred",
            "freeze.started",
            "freeze.ended",
        ],
    ),
];

/// The source text of every condition and amount of the pack.
fn expression_sources(pack: &Pack) -> Vec<&str> {
    let mut out = Vec::new();
    for r in &pack.rules {
        match &r.body {
            RuleBody::Clock(c) => {
                for t in c.starts.iter().chain(&c.stops) {
                    out.extend(t.when.as_ref().map(|e| e.source.as_str()));
                }
                for x in &c.extends {
                    out.extend(x.trigger.when.as_ref().map(|e| e.source.as_str()));
                    for a in std::iter::once(&x.amount).chain(&x.max) {
                        if let Amount::Expr(e) = a {
                            out.push(e.source.as_str());
                        }
                    }
                }
                if let LimitSpec::Period(_, Amount::Expr(e)) = &c.limit {
                    out.push(e.source.as_str());
                }
            }
            RuleBody::Check(c) => {
                for t in &c.triggers {
                    out.extend(t.when.as_ref().map(|e| e.source.as_str()));
                }
                out.push(c.require.source.as_str());
                out.extend(c.applies.as_ref().map(|e| e.source.as_str()));
            }
        }
    }
    out
}

/// A set of event types, looked up by a known type's position rather than by hashing its name:
/// coverage asks it once per event of every case it counts.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Watched(TypeTable<bool>);

impl Watched {
    /// Whether `t` is in the set.
    pub fn contains(&self, t: &EventType) -> bool {
        self.0.get(t).copied().unwrap_or(false)
    }

    fn insert(&mut self, t: &EventType) {
        *self.0.get_mut(t) = true;
    }
}

/// The event types the pack watches: those rules react to, and those whose facts they read.
pub fn watched_types(pack: &Pack) -> Watched {
    let mut types = Watched::default();
    for t in casewatch_core::event_type::KNOWN_TYPES {
        if !pack.rules_for(t).is_empty() {
            types.insert(t);
        }
    }
    let sources = expression_sources(pack);
    for (fact, from) in FACT_SOURCES {
        // A fact name is followed by a non-identifier character (or the end) where it is read.
        let read = sources.iter().any(|src| {
            src.match_indices(fact).any(|(i, _)| {
                !src.get(i + fact.len()..)
                    .and_then(|rest| rest.chars().next())
                    .is_some_and(|c| c.is_alphanumeric() || c == '_')
            })
        });
        if read {
            for t in from.iter().filter_map(|t| EventType::parse(t)) {
                types.insert(&t);
            }
        }
    }
    types
}

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
    of_case_with(&watched_types(pack), events)
}

/// [`of_case`] with the watched types computed once (see [`watched_types`]).
pub fn of_case_with(watched: &Watched, events: &[Event]) -> CaseCoverage {
    let mut c = CaseCoverage::default();
    for e in steps(events) {
        c.steps += 1;
        if watched.contains(&e.event_type) {
            c.covered += 1;
        } else if let Some(n) = c.uncovered.get_mut(e.event_type.as_str()) {
            *n += 1;
        } else {
            c.uncovered.insert(e.event_type.to_string(), 1);
        }
    }
    c
}

/// The steps of a case and how many of them are covered: [`of_case_with`] without the uncovered
/// types by name, for the store's counters.
pub fn counts_with(watched: &Watched, events: &[Event]) -> (u32, u32) {
    steps(events).fold((0, 0), |(steps, covered), e| {
        (
            steps + 1,
            covered + u32::from(watched.contains(&e.event_type)),
        )
    })
}

/// The events that count as steps: neither retractions nor retracted.
fn steps(events: &[Event]) -> impl Iterator<Item = &Event> {
    let retracted: FastSet<&str> = events
        .iter()
        .filter(|e| e.event_type == EventType::EventRetracted)
        .filter_map(|e| e.data_str("target"))
        .collect();
    events.iter().filter(move |e| {
        e.event_type != EventType::EventRetracted && !retracted.contains(e.id.as_str())
    })
}

/// The event types of the format that no rule of the pack reacts to.
pub fn unwatched_types(pack: &Pack) -> Vec<&'static str> {
    let watched = watched_types(pack);
    casewatch_core::event_type::KNOWN_TYPES
        .iter()
        .filter(|t| **t != EventType::EventRetracted && !watched.contains(t))
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
        let watched = watched_types(&pack);
        assert_eq!(counts_with(&watched, &events), (c.steps, c.covered));
        assert!(watched.contains(&EventType::CaseAccepted));
        assert!(!watched.contains(&EventType::Extension("x-note".into())));
        assert!(unwatched_types(&pack).contains(&"document.issued"));
        assert!(!unwatched_types(&pack).contains(&"detention.started"));
        assert!(
            !unwatched_types(&pack).contains(&"area.safety_checked"),
            "read through subject.area_safety_checked"
        );
        assert!(
            !unwatched_types(&pack).contains(&"person.registered"),
            "read through subject.role and subject.minor"
        );
    }
}
