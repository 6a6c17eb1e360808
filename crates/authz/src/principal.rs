//! Who asks (principals) and on what (resources).

use std::collections::BTreeSet;

use crate::{Role, UnitPath};

/// Who asks: a signed-in user or an API token, as the server authenticated it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Principal {
    /// The user's 警号, or the token's id. Only named in decisions' diagnostics; no policy
    /// depends on it.
    pub id: String,
    /// The unit the user belongs to, or the unit that owns the token.
    pub unit: UnitPath,
    /// The roles held. An empty set may do nothing.
    pub roles: BTreeSet<Role>,
    /// A user or a token, with what only tokens have.
    pub kind: PrincipalKind,
}

/// Whether a principal is a person or a machine client.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PrincipalKind {
    /// A person signed in with a session.
    User,
    /// An API token of a machine client or integration.
    Token {
        /// With the `ingest` role: the units for which the token may send events, each with
        /// its whole subtree.
        ingest_units: Vec<UnitPath>,
    },
}

impl Principal {
    /// A signed-in user.
    pub fn user(
        id: impl Into<String>,
        unit: UnitPath,
        roles: impl IntoIterator<Item = Role>,
    ) -> Self {
        Self {
            id: id.into(),
            unit,
            roles: roles.into_iter().collect(),
            kind: PrincipalKind::User,
        }
    }

    /// An API token owned by `unit` that may send events for `ingest_units` if it holds the
    /// `ingest` role.
    pub fn token(
        id: impl Into<String>,
        unit: UnitPath,
        roles: impl IntoIterator<Item = Role>,
        ingest_units: Vec<UnitPath>,
    ) -> Self {
        Self {
            id: id.into(),
            unit,
            roles: roles.into_iter().collect(),
            kind: PrincipalKind::Token { ingest_units },
        }
    }

    /// Whether the principal holds `role`.
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
}

/// What an action applies to. Every decision on case data depends only on the unit that owns
/// the data, so a resource is that unit, or the system as a whole.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Resource {
    /// Data owned by a unit: a case (or its findings, property, persons) handled by the unit;
    /// the unit itself for events, users, tokens, dashboards, audit records. See each
    /// [`Action`](crate::Action) for which unit to pass.
    OwnedBy(UnitPath),
    /// The system as a whole: the rule pack.
    Global,
}
