//! Authorization for Casewatch: who may do what to which unit's data.
//!
//! The rules are Cedar policies kept as files in the repository's `policies/` folder (one file
//! per role, a schema, and a README for the legal department). [`Authorizer`] loads and
//! validates them and decides single requests; [`scope`] gives the same answer as a set of
//! units, and [`Scope::sql`] as a `WHERE` fragment, for list endpoints that must filter in SQL.
//!
//! Architecture invariant: no IO except reading a policy folder in [`Authorizer::load`]; no
//! HTTP, no SQL execution, no clock. The server authenticates, builds a [`Principal`], and asks.
//!
//! # The model
//!
//! - Units form a tree; a unit is named by its materialized path ([`UnitPath`],
//!   `/U-0001/U-0003/U-0017/`). In Cedar each unit is a `Unit` entity whose parent is the unit
//!   above it, with the full path as entity id, so `X in Y` for units is exactly "Y's path is a
//!   prefix of X's path", which is what the SQL filter tests.
//! - A principal is a `User` (a person, by 警号) or a `Token` (a machine client), member of
//!   one `Role` entity per role held, with attribute `unit`; a token also has `ingest_units`.
//! - Every decision on case data depends only on the unit that owns the data, so a
//!   [`Resource`] is that unit ([`Resource::OwnedBy`]) or the system ([`Resource::Global`]).
//!   Case-data actions present it to Cedar as a `Case` entity in that unit, so that policies
//!   read `resource is Case`; the other unit actions present the `Unit` itself.
//!
//! # Policy decisions (see `policies/README.md` for the table)
//!
//! - `officer` reads cases (and unmasked personal data) of exactly his own unit, not of the
//!   units below it: colleagues of one unit share cases (teams, shifts, hand-overs), so "his
//!   own cases" would be too narrow a security boundary; the UI shows his own cases first.
//! - `legal_officer`, `legal_dept`, `leader` read cases and dashboards of their unit's subtree;
//!   leaders see personal data masked (no `read_personal_data`).
//! - `admin` manages units, users and tokens and reads the audit trail of his unit's subtree
//!   (a 分局 administrator manages the 分局). No policy lets `admin` read case content.
//! - `legal_dept` also reads the audit trail of its subtree (the inspector of law enforcement),
//!   and only the legal department of a top-level unit changes the rule pack.
//! - `ingest` works only on a token, for the token's ingest units and their subtrees. A user
//!   holding `ingest` gets nothing from it. No person posts events yet: UI forms (a later
//!   issue) should get their own, narrower action.
//! - Every person with a role reads the rule pack; tokens do not.
//! - Policies only `permit`; nothing is allowed unless some policy allows it. A policy that
//!   errs during evaluation makes the decision an error, hence a denial (fail closed).
//!
//! # The SQL filter
//!
//! [`Scope::sql`] writes a different subtree test for each [`Dialect`]: `LIKE 'prefix%'` (with
//! wildcards escaped) on PostgreSQL, a range plus a `substr` equality on SQLite, whose `LIKE`
//! is case-insensitive and cannot use an ordinary index. Both are exact and index-friendly.

mod authorizer;
mod error;
mod load;
mod principal;
mod role;
mod scope;
mod unit_path;

pub use authorizer::{Authorizer, Decision};
pub use error::{AuthzError, PolicyProblem};
pub use load::{POLICY_EXTENSION, SCHEMA_FILE};
pub use principal::{Principal, PrincipalKind, Resource};
pub use role::{Action, Role, UnknownRole};
pub use scope::{Dialect, Scope, scope};
pub use unit_path::{MAX_DEPTH, MAX_UNIT_ID_LEN, UnitPath, UnitPathError};
