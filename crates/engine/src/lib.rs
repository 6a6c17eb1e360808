//! The supervision engine: statutory time, rule packs, and the pure evaluation of a case's
//! events into findings.
//!
//! Architecture invariant: no IO beyond reading a pack's files in [`pack::Pack::load`], no clock.
//! [`evaluate`] is a function of (pack, calendar, events, now).

pub mod coverage;
pub mod diff;
pub mod eval;
pub mod explain;
pub mod expr;
pub mod facts;
pub mod finding;
pub mod pack;
mod predicate;
pub mod scenario;
mod standard;
pub mod time;

pub use eval::{evaluate, evaluate_brief};
pub use finding::{Finding, State};
pub use pack::{Pack, PackError, PackProblem};
