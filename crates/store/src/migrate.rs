//! Embedded, append-only migrations. A migration once landed is never edited: a change is a new
//! file with the next version number. Each backend lists its own files (the dialects differ in
//! types and triggers) and applies pending ones at start, each in its own transaction. A
//! migration whose SQL is the same on both lives once, in `migrations/common/`, and both lists
//! name it.

/// One migration: its version, its name, and its SQL (one or more statements).
pub(crate) struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sql: &'static str,
}
