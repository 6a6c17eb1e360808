//! Casewatch demo data: a deterministic synthetic history of a Chinese city bureau's cases, as
//! events of the interchange format v1 (`spec/events.md`).
//!
//! [`org`] gives the fictional organisation of 临江市公安局 (units and officers) for a seed;
//! [`events`] streams the events of any number of cases over the eighteen months before a given
//! "now". The mix is realistic — about 35% criminal and 65% public-order cases, most handled
//! correctly — and deliberately untidy where real records are: late custody admissions, late or
//! missing family notices and uploads, missing safety checks, one officer alone at an
//! interrogation, minors questioned without a guardian, lapsed freezes, entries made in error
//! and retracted. The statutory rules of `spec/rules.md` thus find both compliance and
//! violations.
//!
//! Architecture invariant: this crate does no IO and reads no clock; "now" is part of
//! [`DemoConfig`]. Its output depends only on `(cases, seed, now)`: the same configuration gives
//! byte-identical events. It does not depend on `casewatch-core` (only its tests do, to check
//! that every event validates).
//!
//! API boundary: [`DemoConfig`], [`events`] / [`Events`], [`org`] and the organisation types.
//! Names, places and id-card numbers are fictional (id-card numbers use the area prefix `99`).

mod admin;
mod case;
mod cause;
mod clock;
mod corrections;
mod criminal;
mod events;
mod names;
mod org;
mod property;
mod timeline;

#[cfg(test)]
mod tests;

pub use events::Events;
pub use org::{Officer, Org, Unit, UnitKind, org};

/// What history to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoConfig {
    /// How many cases (every case yields at least its `report.received`).
    pub cases: u64,
    /// The seed; different seeds give different histories and organisations.
    pub seed: u64,
    /// The instant the history ends: no event is later, and cases reported shortly before are
    /// still open with their clocks running.
    pub now: jiff::Timestamp,
}

/// A lazy iterator over the events of `cfg.cases` cases, case by case: all events of one case in
/// order of `at` (ties in a causally sensible order), then the next case. Cases are spread over
/// the ~18 months before `cfg.now` in order of their report; case ids are `A{year}-{serial}`
/// (`A2026-000123`), event ids `{case}-{nn}`. Units and officers are those of [`org`]`(cfg.seed)`.
///
/// Memory stays flat for any number of cases; the iterator does not borrow `cfg`.
pub fn events(cfg: &DemoConfig) -> Events {
    Events::new(cfg)
}
