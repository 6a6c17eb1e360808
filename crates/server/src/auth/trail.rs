//! Writing the audit trail from request handlers: one helper, so that every entry carries the
//! same fields the same way.

use casewatch_store::AuditEntry;

use crate::AppState;
use crate::error::ApiError;

/// Who did what is being recorded.
#[derive(Debug, Clone)]
pub struct Actor {
    /// A 警号, a token id, or what an anonymous caller claimed to be.
    pub id: String,
    /// `user`, `token` or `anonymous`.
    pub kind: &'static str,
    /// The client's address, when known.
    pub source: Option<String>,
}

impl Actor {
    /// A signed-in user.
    pub fn user(id: impl Into<String>, source: Option<String>) -> Self {
        Self {
            id: id.into(),
            kind: "user",
            source,
        }
    }

    /// A machine client with an API token.
    pub fn token(id: impl Into<String>, source: Option<String>) -> Self {
        Self {
            id: id.into(),
            kind: "token",
            source,
        }
    }

    /// Someone not signed in, by the name they gave.
    pub fn anonymous(claimed: impl Into<String>, source: Option<String>) -> Self {
        Self {
            id: claimed.into(),
            kind: "anonymous",
            source,
        }
    }

    /// Appends an entry. A request whose entry cannot be written fails: what cannot be
    /// accounted for is not done.
    pub async fn record(
        &self,
        app: &AppState,
        action: &str,
        target: Option<&str>,
        outcome: &str,
        details: serde_json::Value,
    ) -> Result<(), ApiError> {
        let entry = self.entry(app, action, target, outcome, details);
        app.store.append_audit(&entry).await?;
        Ok(())
    }

    /// The entry [`Actor::record`] would append, for a write that stores it in its own
    /// transaction (`Store::append_audited`).
    pub fn entry(
        &self,
        app: &AppState,
        action: &str,
        target: Option<&str>,
        outcome: &str,
        details: serde_json::Value,
    ) -> AuditEntry {
        AuditEntry {
            at: app.clock.now(),
            actor: self.id.clone(),
            actor_kind: self.kind.to_owned(),
            source: self.source.clone(),
            action: action.to_owned(),
            target: target.map(str::to_owned),
            outcome: outcome.to_owned(),
            details,
        }
    }
}
