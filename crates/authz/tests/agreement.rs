//! The SQL filter and Cedar agree: on random unit trees, for random principals (any roles, any
//! unit, users and tokens), every action and every unit, `scope(p, a).allows(u)` is Cedar's
//! decision, and so is the generated SQL fragment of each dialect, run by a small interpreter
//! with the databases' semantics: `>=`, `<` bytewise (SQLite's `BINARY`), `substr` in
//! characters, PostgreSQL's case-sensitive `LIKE` with `\` escapes.

#![cfg(test)]

use std::collections::BTreeSet;

use casewatch_authz::{
    Action, Authorizer, Dialect, Principal, Resource, Role, Scope, UnitPath, scope,
};
use proptest::prelude::*;

/// Unit ids chosen to be awkward: prefixes of each other, differing only in case, SQL
/// wildcards and the escape character, non-ASCII.
const IDS: &[&str] = &[
    "A", "a", "A0", "A1", "AB", "U-1", "%", "_", "東湖", "U_1", "a\\b",
];

/// A random forest of units: each unit hangs below an earlier one, or is a new top.
fn tree() -> impl Strategy<Value = Vec<UnitPath>> {
    prop::collection::vec(
        (
            0..IDS.len(),
            prop::option::weighted(0.85, any::<prop::sample::Index>()),
        ),
        1..14,
    )
    .prop_map(|specs| {
        let mut units: Vec<UnitPath> = Vec::new();
        for (id, parent) in specs {
            let id = IDS[id];
            let path = match parent {
                Some(ix) if !units.is_empty() => units[ix.index(units.len())].child(id),
                _ => UnitPath::top(id),
            };
            let path = path.unwrap();
            if !units.contains(&path) {
                units.push(path);
            }
        }
        units
    })
}

/// A tree and a principal placed in it (his unit, and a token's ingest units, from the tree).
fn tree_and_principal() -> impl Strategy<Value = (Vec<UnitPath>, Principal)> {
    tree().prop_flat_map(|units| {
        let n = units.len();
        let roles = prop::collection::btree_set(prop::sample::select(Role::ALL.to_vec()), 0..4);
        let token = prop::option::of(prop::collection::vec(0..n, 0..3));
        (Just(units), roles, 0..n, token).prop_map(|(units, roles, own, token)| {
            let own = units[own].clone();
            let p = match token {
                None => Principal::user("P-1", own, roles),
                Some(ix) => {
                    let ingest = ix.into_iter().map(|i| units[i].clone()).collect();
                    Principal::token("T-1", own, roles, ingest)
                }
            };
            (units, p)
        })
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn sql_filter_and_cedar_agree((units, p) in tree_and_principal()) {
        let authz = standard();
        for a in Action::ALL {
            let s = scope(&p, a);
            if a.is_global() {
                prop_assert_eq!(
                    authz.is_allowed(&p, a, &Resource::Global),
                    s == Scope::Everything,
                    "{} on the global resource: scope {:?}", a, s
                );
                continue;
            }
            prop_assert!(s != Scope::Everything);
            let sqlite = s.sql(Dialect::Sqlite, "unit_path", 1, |i| format!("?{i}"));
            let postgres = s.sql(Dialect::Postgres, "unit_path", 1, |i| format!("?{i}"));
            for u in &units {
                let cedar = authz.is_allowed(&p, a, &Resource::OwnedBy(u.clone()));
                prop_assert_eq!(cedar, s.allows(u), "{} on {}: scope {:?}", a, u, s);
                for (sql, binds) in [&sqlite, &postgres] {
                    prop_assert_eq!(cedar, sql_holds(sql, binds, u.as_str()), "{} on {}: {} {:?}", a, u, sql, binds);
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 100, ..ProptestConfig::default() })]

    /// Remembered decisions are Cedar's: asked twice (the second answer from the memo), every
    /// decision equals one asked of Cedar directly, errors included.
    #[test]
    fn memoized_decisions_are_cedars((units, p) in tree_and_principal()) {
        let authz = standard();
        let mut resources: Vec<Resource> = units.iter().cloned().map(Resource::OwnedBy).collect();
        resources.push(Resource::Global);
        for a in Action::ALL {
            for r in &resources {
                let cedar = authz.decide_uncached(&p, a, r).map_err(|e| e.to_string());
                for time in ["first", "second"] {
                    let memo = authz.decide(&p, a, r).map_err(|e| e.to_string());
                    prop_assert_eq!(&memo, &cedar, "{} on {:?}, {} time", a, r, time);
                }
            }
        }
    }
}

/// One authorizer for the whole test binary: loading validates every policy.
fn standard() -> &'static Authorizer {
    static AUTHZ: std::sync::OnceLock<Authorizer> = std::sync::OnceLock::new();
    AUTHZ.get_or_init(|| Authorizer::standard().unwrap())
}

/// Evaluates a fragment of the shape [`Scope::sql`] writes, with `?i` placeholders, on one
/// value of the column: `1 = 0`, `1 = 1`, or `(term OR term …)` where a term is
/// `(col >= ?i AND col < ?j AND substr(col, 1, n) = ?k)`, `col LIKE ?i ESCAPE '\'` or
/// `col IN (?i, …)`.
fn sql_holds(sql: &str, binds: &[String], value: &str) -> bool {
    let bind = |p: &str| -> &str {
        let i: usize = p.trim().strip_prefix('?').unwrap().parse().unwrap();
        &binds[i - 1]
    };
    match sql {
        "1 = 0" => return false,
        "1 = 1" => return true,
        _ => {}
    }
    let body = sql.strip_prefix('(').unwrap().strip_suffix(')').unwrap();
    body.split(" OR ").any(|term| {
        if let Some(list) = term.strip_prefix("unit_path IN (") {
            let list = list.strip_suffix(')').unwrap();
            return list.split(", ").any(|p| value == bind(p));
        }
        if let Some(rest) = term.strip_prefix("unit_path LIKE ") {
            let pattern = bind(rest.strip_suffix(" ESCAPE '\\'").unwrap());
            return like(
                &pattern.chars().collect::<Vec<_>>(),
                &value.chars().collect::<Vec<_>>(),
            );
        }
        let inner = term.strip_prefix('(').unwrap().strip_suffix(')').unwrap();
        let parts: Vec<&str> = inner.split(" AND ").collect();
        let [ge, lt, sub] = parts[..] else {
            panic!("unexpected term `{term}`")
        };
        let lo = bind(ge.strip_prefix("unit_path >= ").unwrap());
        let hi = bind(lt.strip_prefix("unit_path < ").unwrap());
        let (len, eq) = sub
            .strip_prefix("substr(unit_path, 1, ")
            .unwrap()
            .split_once(") = ")
            .unwrap();
        let len: usize = len.parse().unwrap();
        let prefix: String = value.chars().take(len).collect();
        // Rust compares strings bytewise, as SQLite's BINARY collation does. Under it the range
        // alone is exact (it is what an index serves); `substr` only guards other collations.
        let in_range = value >= lo && value < hi;
        assert_eq!(
            in_range,
            prefix == bind(eq),
            "range and prefix disagree on `{value}`: {term}"
        );
        in_range && prefix == bind(eq)
    })
}

/// PostgreSQL's `LIKE` with `\` as escape character: `%` any run, `_` any one character.
fn like(pattern: &[char], value: &[char]) -> bool {
    match pattern {
        [] => value.is_empty(),
        ['%', rest @ ..] => (0..=value.len()).any(|i| like(rest, &value[i..])),
        ['_', rest @ ..] => !value.is_empty() && like(rest, &value[1..]),
        ['\\', c, rest @ ..] | [c, rest @ ..] => {
            value.first() == Some(c) && like(rest, &value[1..])
        }
    }
}

#[test]
fn the_interpreter_reads_what_sql_writes() {
    let u = |s: &str| UnitPath::parse(s).unwrap();
    let s = Scope::within(vec![u("/A/"), u("/x%_\\/")], vec![u("/B/C/")]);
    for dialect in [Dialect::Sqlite, Dialect::Postgres] {
        let (sql, binds) = s.sql(dialect, "unit_path", 1, |i| format!("?{i}"));
        let holds = |v: &str| sql_holds(&sql, &binds, v);
        assert!(
            holds("/A/") && holds("/A/x/") && holds("/B/C/") && holds("/x%_\\/y/"),
            "{sql}"
        );
        assert!(
            !holds("/A1/") && !holds("/a/") && !holds("/B/") && !holds("/B/C/D/"),
            "{sql}"
        );
        assert!(
            !holds("/xy_\\/") && !holds("/x%a\\/") && !holds("/x%_a/"),
            "{sql}"
        );
    }
    let roles: BTreeSet<Role> = BTreeSet::new();
    let nobody = Principal {
        id: "x".into(),
        unit: u("/A/"),
        roles,
        kind: casewatch_authz::PrincipalKind::User,
    };
    assert_eq!(scope(&nobody, Action::ReadCase), Scope::Nothing);
}
