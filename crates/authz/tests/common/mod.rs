//! Helpers shared by the test binaries.

#![cfg(test)]

use casewatch_authz::{Action, Principal, Resource, Role, UnitPath};

/// A unit path from a literal.
pub fn unit(s: &str) -> UnitPath {
    UnitPath::parse(s).unwrap()
}

/// A principal from a compact description:
/// `user officer,admin @ /CITY/EAST/` or `token ingest @ /CITY/ -> /CITY/EAST/ /CITY/WEST/`.
pub fn principal(spec: &str) -> Principal {
    let (kind, rest) = spec.split_once(' ').unwrap();
    let (roles, rest) = rest.split_once('@').unwrap();
    let roles: Vec<Role> = roles
        .split(',')
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(|r| Role::parse(r).unwrap())
        .collect();
    let (own, ingest) = rest.split_once("->").unwrap_or((rest, ""));
    let own = unit(own.trim());
    match kind {
        "user" => {
            assert!(ingest.is_empty(), "users have no ingest units: {spec}");
            Principal::user("P-1", own, roles)
        }
        "token" => Principal::token(
            "T-1",
            own,
            roles,
            ingest.split_whitespace().map(unit).collect(),
        ),
        _ => panic!("`{kind}` is neither user nor token"),
    }
}

/// A resource from `-` (global) or a unit path.
pub fn resource(s: &str) -> Resource {
    if s == "-" {
        Resource::Global
    } else {
        Resource::OwnedBy(unit(s))
    }
}

/// An action from its policy name.
pub fn action(s: &str) -> Action {
    Action::ALL
        .into_iter()
        .find(|a| a.as_str() == s)
        .unwrap_or_else(|| panic!("unknown action `{s}`"))
}
