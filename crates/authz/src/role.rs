//! Roles and actions, with the names the policy files use for them.

use std::fmt;

/// A role a user or token holds. Roles add up: a principal may do what any of his roles allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// 办案民警 (case officer): the cases of his own unit.
    Officer,
    /// 法制员 (station legal officer): the cases and dashboards of his unit's subtree.
    LegalOfficer,
    /// 法制部门 (legal department): cases, dashboards and audit of its unit's subtree; at the
    /// top-level bureau also the rule pack.
    LegalDept,
    /// 领导 (leader): dashboards and cases of his unit's subtree, personal data masked.
    Leader,
    /// 管理员 (administrator): units, users, tokens and audit of his unit's subtree; no case
    /// content.
    Admin,
    /// A machine client that sends events; only meaningful on an API token.
    Ingest,
}

/// A role name that is not one of [`Role::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown role `{0}`; the roles are officer, legal_officer, legal_dept, leader, admin, ingest"
)]
pub struct UnknownRole(pub String);

impl Role {
    /// Every role, in declaration order.
    pub const ALL: [Role; 6] = [
        Role::Officer,
        Role::LegalOfficer,
        Role::LegalDept,
        Role::Leader,
        Role::Admin,
        Role::Ingest,
    ];

    /// The role's name in the policy files, the database and the API: `legal_officer` ….
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Officer => "officer",
            Role::LegalOfficer => "legal_officer",
            Role::LegalDept => "legal_dept",
            Role::Leader => "leader",
            Role::Admin => "admin",
            Role::Ingest => "ingest",
        }
    }

    /// The role's Chinese title, as the UI shows it.
    pub fn title_zh(self) -> &'static str {
        match self {
            Role::Officer => "办案民警",
            Role::LegalOfficer => "法制员",
            Role::LegalDept => "法制部门",
            Role::Leader => "领导",
            Role::Admin => "管理员",
            Role::Ingest => "数据接入",
        }
    }

    /// Parses a role name as [`Role::as_str`] writes it.
    pub fn parse(s: &str) -> Result<Role, UnknownRole> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| UnknownRole(s.to_owned()))
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Role {
    type Err = UnknownRole;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::parse(s)
    }
}

/// What a principal asks to do. Each action applies either to data owned by a unit
/// ([`Resource::OwnedBy`](crate::Resource::OwnedBy)) or to the whole system
/// ([`Resource::Global`](crate::Resource::Global)); see [`Action::is_global`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Action {
    /// Read a case and its parts (ledger, timeline, findings, property, persons) with personal
    /// data masked. Resource: the case's handling unit.
    ReadCase,
    /// Unmask personal data of a case: 身份证号, phone numbers, addresses. Resource: the case's
    /// handling unit. The server audits every use, with its reason.
    ReadPersonalData,
    /// Send events of cases handled by a unit. Resource: that unit.
    PostEvents,
    /// Create, rename or move units. Resource: the unit changed, or the parent of a new one.
    ManageUnits,
    /// Create users, change their roles, lock or unlock them. Resource: the user's unit.
    ManageUsers,
    /// Issue or revoke API tokens. Resource: the token's unit and each of its ingest units.
    ManageTokens,
    /// Read the audit trail. Resource: the unit an audit record concerns.
    ReadAudit,
    /// Read the rule pack and guidelines. Resource: global.
    ReadRules,
    /// Change the rule pack. Resource: global.
    ChangeRules,
    /// Read dashboards and statistics. Resource: the unit the figures are about.
    ReadDashboard,
}

impl Action {
    /// Every action, in declaration order.
    pub const ALL: [Action; 10] = [
        Action::ReadCase,
        Action::ReadPersonalData,
        Action::PostEvents,
        Action::ManageUnits,
        Action::ManageUsers,
        Action::ManageTokens,
        Action::ReadAudit,
        Action::ReadRules,
        Action::ChangeRules,
        Action::ReadDashboard,
    ];

    /// The action's name in the policy files: `read_case` ….
    pub fn as_str(self) -> &'static str {
        match self {
            Action::ReadCase => "read_case",
            Action::ReadPersonalData => "read_personal_data",
            Action::PostEvents => "post_events",
            Action::ManageUnits => "manage_units",
            Action::ManageUsers => "manage_users",
            Action::ManageTokens => "manage_tokens",
            Action::ReadAudit => "read_audit",
            Action::ReadRules => "read_rules",
            Action::ChangeRules => "change_rules",
            Action::ReadDashboard => "read_dashboard",
        }
    }

    /// Whether the action applies to the whole system (the rule pack) rather than to data
    /// owned by a unit.
    pub fn is_global(self) -> bool {
        matches!(self, Action::ReadRules | Action::ChangeRules)
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_names_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Ok(r));
        }
        assert_eq!(
            Role::parse("Officer"),
            Err(UnknownRole("Officer".to_owned()))
        );
    }
}
