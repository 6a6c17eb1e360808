//! Casewatch's domain: the event interchange format, its validation and canonical form, the hash
//! chain, and the case ledger fold.
//!
//! Architecture invariant: this crate does no IO and reads no clock. Every function that needs
//! "now" takes it as a parameter. It knows nothing of HTTP or SQL.

pub mod batch;
pub mod chain;
pub mod event;
pub mod event_type;
pub mod fasthash;
pub mod ids;
pub mod ledger;
pub mod time;

pub use event::{Event, FieldError, ParseOptions};
pub use event_type::EventType;
pub use ledger::CaseLedger;
