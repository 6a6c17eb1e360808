//! The SQL side of authorization: which units' data a principal may see for an action, as a
//! value and as a `WHERE` fragment for list endpoints.
//!
//! [`scope`] restates the policy files in Rust, one line per permit policy ([`GRANTS`]). The
//! property test `tests/agreement.rs` checks on random unit trees and principals that it agrees
//! with Cedar's decisions for every action; change both together.

use crate::{Action, Principal, PrincipalKind, Role, UnitPath};

/// Which units a grant reaches, relative to the principal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reach {
    /// Exactly the principal's own unit (`resource.unit == principal.unit`).
    OwnUnit,
    /// The principal's unit and every unit below it (`resource in principal.unit`).
    OwnSubtree,
    /// [`Reach::OwnUnit`], for users only (`principal is User`).
    UserOwnUnit,
    /// [`Reach::OwnSubtree`], for users only (`principal is User`).
    UserOwnSubtree,
    /// A token's ingest units with their subtrees (`resource in principal.ingest_units`);
    /// nothing for a user.
    IngestUnits,
    /// A global resource, for users only (`principal is User`).
    UsersGlobally,
    /// A global resource, if the principal's unit is top-level (`principal.unit.top_level`).
    TopLevelGlobally,
}

/// The permit policies of `policies/*.cedar`, one row per role and action.
const GRANTS: &[(Role, Action, Reach)] = &[
    // officer.cedar
    (Role::Officer, Action::ReadCase, Reach::OwnUnit),
    (Role::Officer, Action::ReadPersonalData, Reach::OwnUnit),
    (Role::Officer, Action::PostEvents, Reach::UserOwnUnit),
    // legal_officer.cedar
    (Role::LegalOfficer, Action::ReadCase, Reach::OwnSubtree),
    (
        Role::LegalOfficer,
        Action::ReadPersonalData,
        Reach::OwnSubtree,
    ),
    (Role::LegalOfficer, Action::ReadDashboard, Reach::OwnSubtree),
    (
        Role::LegalOfficer,
        Action::PostEvents,
        Reach::UserOwnSubtree,
    ),
    // legal_dept.cedar
    (Role::LegalDept, Action::ReadCase, Reach::OwnSubtree),
    (Role::LegalDept, Action::ReadPersonalData, Reach::OwnSubtree),
    (Role::LegalDept, Action::ReadDashboard, Reach::OwnSubtree),
    (Role::LegalDept, Action::ReadAudit, Reach::OwnSubtree),
    (
        Role::LegalDept,
        Action::ChangeRules,
        Reach::TopLevelGlobally,
    ),
    // leader.cedar
    (Role::Leader, Action::ReadCase, Reach::OwnSubtree),
    (Role::Leader, Action::ReadDashboard, Reach::OwnSubtree),
    // admin.cedar
    (Role::Admin, Action::ManageUnits, Reach::OwnSubtree),
    (Role::Admin, Action::ManageUsers, Reach::OwnSubtree),
    (Role::Admin, Action::ManageTokens, Reach::OwnSubtree),
    (Role::Admin, Action::ReadAudit, Reach::OwnSubtree),
    // ingest.cedar
    (Role::Ingest, Action::PostEvents, Reach::IngestUnits),
    // rule_pack.cedar
    (Role::Officer, Action::ReadRules, Reach::UsersGlobally),
    (Role::LegalOfficer, Action::ReadRules, Reach::UsersGlobally),
    (Role::LegalDept, Action::ReadRules, Reach::UsersGlobally),
    (Role::Leader, Action::ReadRules, Reach::UsersGlobally),
    (Role::Admin, Action::ReadRules, Reach::UsersGlobally),
];

/// The units whose data a principal may see for one action: the SQL counterpart of
/// [`Authorizer::is_allowed`](crate::Authorizer::is_allowed).
///
/// For an action on data owned by units, `scope(p, a).allows(u)` equals
/// `is_allowed(p, a, &Resource::OwnedBy(u))` for every unit `u`; for a global action
/// ([`Action::is_global`]) the scope is [`Scope::Everything`] exactly when
/// `is_allowed(p, a, &Resource::Global)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// No unit at all.
    Nothing,
    /// Every unit (and, for global actions, the global resource).
    Everything,
    /// The listed subtrees and single units.
    ///
    /// [`scope`] returns these sorted, without duplicates and without a path that another
    /// path already covers, never both empty; [`Scope::allows`] and [`Scope::sql`] are
    /// correct for any value.
    Within {
        /// Units whose whole subtree is in scope.
        subtrees: Vec<UnitPath>,
        /// Single units in scope, without the units below them.
        units: Vec<UnitPath>,
    },
}

/// The scope of `principal` for `action`: the union of what each of his roles grants.
pub fn scope(principal: &Principal, action: Action) -> Scope {
    let mut subtrees = Vec::new();
    let mut units = Vec::new();
    let mut global = false;
    let grants = GRANTS
        .iter()
        .filter(|(role, a, _)| *a == action && principal.has(*role));
    for (_, _, reach) in grants {
        match reach {
            Reach::OwnUnit => units.push(principal.unit.clone()),
            Reach::OwnSubtree => subtrees.push(principal.unit.clone()),
            Reach::UserOwnUnit if principal.kind == PrincipalKind::User => {
                units.push(principal.unit.clone());
            }
            Reach::UserOwnSubtree if principal.kind == PrincipalKind::User => {
                subtrees.push(principal.unit.clone());
            }
            Reach::UserOwnUnit | Reach::UserOwnSubtree => {}
            Reach::IngestUnits => {
                if let PrincipalKind::Token { ingest_units } = &principal.kind {
                    subtrees.extend(ingest_units.iter().cloned());
                }
            }
            Reach::UsersGlobally => global |= principal.kind == PrincipalKind::User,
            Reach::TopLevelGlobally => global |= principal.unit.is_top_level(),
        }
    }
    if global {
        Scope::Everything
    } else {
        Scope::within(subtrees, units)
    }
}

impl Scope {
    /// The scope of these subtrees and units, normalized: sorted, without duplicates or
    /// covered paths; [`Scope::Nothing`] if both are empty.
    pub fn within(mut subtrees: Vec<UnitPath>, mut units: Vec<UnitPath>) -> Scope {
        subtrees.sort();
        subtrees.dedup();
        // Sorted, an ancestor comes before its descendants, so keeping each path that no kept
        // path covers keeps exactly the outermost ones.
        let mut outer: Vec<UnitPath> = Vec::new();
        for s in subtrees {
            if !outer.iter().any(|o| s.is_within(o)) {
                outer.push(s);
            }
        }
        units.sort();
        units.dedup();
        units.retain(|u| !outer.iter().any(|o| u.is_within(o)));
        if outer.is_empty() && units.is_empty() {
            Scope::Nothing
        } else {
            Scope::Within {
                subtrees: outer,
                units,
            }
        }
    }

    /// Whether data owned by `unit` is in scope: the in-memory meaning of [`Scope::sql`].
    pub fn allows(&self, unit: &UnitPath) -> bool {
        match self {
            Scope::Nothing => false,
            Scope::Everything => true,
            Scope::Within { subtrees, units } => {
                subtrees.iter().any(|s| unit.is_within(s)) || units.contains(unit)
            }
        }
    }

    /// A boolean SQL expression, for a `WHERE` clause, that holds for the rows whose `column`
    /// (a unit path) is in scope, and the values to bind to its placeholders, in order.
    ///
    /// `column` is pasted as is: pass an identifier from the code, never user input.
    /// `placeholder(i)` writes the i-th bind placeholder (`$i` for PostgreSQL, `?` for
    /// SQLite); numbering starts at `first_param` and there is one placeholder per bind value,
    /// none reused, so positional `?` works. A row whose column is NULL is never in scope.
    ///
    /// The subtree test differs by database, so that each can use an ordinary index on the
    /// column and the filter stays exact:
    ///
    /// - PostgreSQL: `col LIKE '/A/B/%' ESCAPE '\'`, with `\`, `%` and `_` of the path
    ///   escaped. PostgreSQL's `LIKE` is case-sensitive; an index with `text_pattern_ops` (or
    ///   the `"C"` collation) serves it.
    /// - SQLite: `(col >= '/A/B/' AND col < '/A/B0' AND substr(col, 1, 6) = '/A/B/')`. SQLite's
    ///   `LIKE` is case-insensitive for ASCII (`/U-1/%` would match `/u-1/x/`) and cannot use a
    ///   `BINARY` index; the range can (`'0'` is the character after `'/'`) and is exact under
    ///   `BINARY`, the default collation. The `substr` equality keeps the filter exact even if
    ///   the column were declared with another collation.
    ///
    /// Single units become `col IN (…)` on both.
    pub fn sql(
        &self,
        dialect: Dialect,
        column: &str,
        first_param: usize,
        placeholder: impl Fn(usize) -> String,
    ) -> (String, Vec<String>) {
        let (subtrees, units) = match self {
            Scope::Nothing => return ("1 = 0".to_owned(), Vec::new()),
            Scope::Everything => return ("1 = 1".to_owned(), Vec::new()),
            Scope::Within { subtrees, units } => (subtrees, units),
        };
        let mut next = first_param;
        let mut param = || {
            let p = placeholder(next);
            next += 1;
            p
        };
        let mut terms = Vec::new();
        let mut binds = Vec::new();
        for s in subtrees {
            let path = s.as_str();
            match dialect {
                Dialect::Postgres => {
                    terms.push(format!("{column} LIKE {} ESCAPE '\\'", param()));
                    binds.push(format!("{}%", escape_like(path)));
                }
                Dialect::Sqlite => {
                    let (lo, hi, eq) = (param(), param(), param());
                    terms.push(format!(
                        "({column} >= {lo} AND {column} < {hi} AND substr({column}, 1, {}) = {eq})",
                        path.chars().count()
                    ));
                    binds.extend([path.to_owned(), upper_bound(s), path.to_owned()]);
                }
            }
        }
        if !units.is_empty() {
            let list: Vec<String> = units.iter().map(|_| param()).collect();
            terms.push(format!("{column} IN ({})", list.join(", ")));
            binds.extend(units.iter().map(|u| u.as_str().to_owned()));
        }
        if terms.is_empty() {
            return ("1 = 0".to_owned(), Vec::new());
        }
        (format!("({})", terms.join(" OR ")), binds)
    }
}

/// The database a SQL fragment is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// SQLite (3.x, as bundled by sqlx).
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// `s` with the `LIKE` wildcards `%` and `_` and the escape character `\` escaped.
fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '\\' | '%' | '_') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The smallest string above every path that starts with `path`: the path with its trailing
/// `/` replaced by `0`, the next character.
fn upper_bound(path: &UnitPath) -> String {
    let s = path.as_str();
    // INVARIANT: a unit path ends with `/`.
    format!("{}0", s.strip_suffix('/').unwrap_or(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> UnitPath {
        UnitPath::parse(s).unwrap()
    }

    #[test]
    fn within_normalizes() {
        let s = Scope::within(
            vec![u("/A/B/"), u("/A/"), u("/C/D/"), u("/A/"), u("/AB/")],
            vec![u("/A/X/"), u("/E/"), u("/E/"), u("/C/")],
        );
        assert_eq!(
            s,
            Scope::Within {
                subtrees: vec![u("/A/"), u("/AB/"), u("/C/D/")],
                units: vec![u("/C/"), u("/E/")],
            }
        );
        assert_eq!(Scope::within(vec![], vec![]), Scope::Nothing);
    }

    #[test]
    fn sql_text_and_binds() {
        let dollar = |i: usize| format!("${i}");
        for d in [Dialect::Sqlite, Dialect::Postgres] {
            assert_eq!(
                Scope::Nothing.sql(d, "unit_path", 1, dollar),
                ("1 = 0".to_owned(), vec![])
            );
            assert_eq!(
                Scope::Everything.sql(d, "unit_path", 1, dollar),
                ("1 = 1".to_owned(), vec![])
            );
            let empty = Scope::Within {
                subtrees: vec![],
                units: vec![],
            };
            assert_eq!(
                empty.sql(d, "unit_path", 1, dollar),
                ("1 = 0".to_owned(), vec![])
            );
        }

        let s = Scope::Within {
            subtrees: vec![u("/U-1/U-3/"), u(r"/a%_b\/")],
            units: vec![u("/U-9/"), u("/U-8/U-7/")],
        };
        let (text, binds) = s.sql(Dialect::Sqlite, "c.unit_path", 3, dollar);
        assert_eq!(
            text,
            "((c.unit_path >= $3 AND c.unit_path < $4 AND substr(c.unit_path, 1, 9) = $5) \
             OR (c.unit_path >= $6 AND c.unit_path < $7 AND substr(c.unit_path, 1, 7) = $8) \
             OR c.unit_path IN ($9, $10))"
        );
        assert_eq!(
            binds,
            [
                "/U-1/U-3/",
                "/U-1/U-30",
                "/U-1/U-3/",
                r"/a%_b\/",
                r"/a%_b\0",
                r"/a%_b\/",
                "/U-9/",
                "/U-8/U-7/"
            ]
        );

        let (text, binds) = s.sql(Dialect::Postgres, "unit_path", 1, dollar);
        assert_eq!(
            text,
            r"(unit_path LIKE $1 ESCAPE '\' OR unit_path LIKE $2 ESCAPE '\' OR unit_path IN ($3, $4))"
        );
        assert_eq!(binds, ["/U-1/U-3/%", r"/a\%\_b\\/%", "/U-9/", "/U-8/U-7/"]);

        let question = |_| "?".to_owned();
        let (text, binds) =
            Scope::within(vec![], vec![u("/东湖/")]).sql(Dialect::Sqlite, "unit_path", 1, question);
        assert_eq!(text, "(unit_path IN (?))");
        assert_eq!(binds, ["/东湖/"]);
        let (text, _) =
            Scope::within(vec![u("/东湖/")], vec![]).sql(Dialect::Sqlite, "unit_path", 1, question);
        assert_eq!(
            text,
            "((unit_path >= ? AND unit_path < ? AND substr(unit_path, 1, 4) = ?))"
        );
    }
}
