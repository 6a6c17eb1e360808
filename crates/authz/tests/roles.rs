//! What each role may do, on a small city: one table per role, checked by one helper against
//! both Cedar and the SQL scope.
//!
//! ```text
//! /CITY/              市局 (top level)
//! ├── /CITY/EAST/     东湖分局
//! │   ├── /CITY/EAST/ST1/   派出所
//! │   └── /CITY/EAST/ST2/   派出所
//! └── /CITY/WEST/     西城分局
//!     └── /CITY/WEST/ST3/   派出所
//! ```
//! Most principals sit at `/CITY/EAST/`, so that "own", "child" (`ST1`), "sibling" (`WEST`)
//! and "parent" (`CITY`) units all exist.

#![cfg(test)]

mod common;

use casewatch_authz::{Action, Authorizer, Resource, Scope, scope};
use common::{action, principal, resource, unit};

/// Checks rows `principal | action | resource | allow/deny`: Cedar's decision, and that the
/// SQL scope agrees with it.
fn check(rows: &str) {
    let authz = Authorizer::standard().unwrap();
    let mut failures = Vec::new();
    for row in rows
        .lines()
        .map(str::trim)
        .filter(|r| !r.is_empty() && !r.starts_with('#'))
    {
        let cols: Vec<&str> = row.split('|').map(str::trim).collect();
        let [who, what, on, want] = cols[..] else {
            panic!("malformed row `{row}`");
        };
        let (p, a, r) = (principal(who), action(what), resource(on));
        let want = match want {
            "allow" => true,
            "deny" => false,
            _ => panic!("`{want}` is neither allow nor deny in `{row}`"),
        };
        let got = authz.is_allowed(&p, a, &r);
        let scoped = match &r {
            Resource::OwnedBy(u) => scope(&p, a).allows(u),
            Resource::Global => scope(&p, a) == Scope::Everything,
        };
        if got != want || (a.is_global() == matches!(r, Resource::Global) && scoped != want) {
            failures.push(format!("{row}: cedar {got}, scope {scoped}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn officer_reads_cases_of_exactly_his_unit() {
    check(
        "
        user officer @ /CITY/EAST/ | read_case          | /CITY/EAST/      | allow
        user officer @ /CITY/EAST/ | read_case          | /CITY/EAST/ST1/  | deny
        user officer @ /CITY/EAST/ | read_case          | /CITY/WEST/      | deny
        user officer @ /CITY/EAST/ | read_case          | /CITY/           | deny
        user officer @ /CITY/EAST/ | read_personal_data | /CITY/EAST/      | allow
        user officer @ /CITY/EAST/ | read_personal_data | /CITY/EAST/ST1/  | deny
        user officer @ /CITY/EAST/ | read_dashboard     | /CITY/EAST/      | deny
        user officer @ /CITY/EAST/ | read_audit         | /CITY/EAST/      | deny
        user officer @ /CITY/EAST/ | post_events        | /CITY/EAST/      | allow
        user officer @ /CITY/EAST/ | post_events        | /CITY/EAST/ST1/  | deny
        user officer @ /CITY/EAST/ | post_events        | /CITY/WEST/      | deny
        token officer @ /CITY/EAST/ -> /CITY/EAST/ | post_events | /CITY/EAST/ | deny
        user officer @ /CITY/EAST/ | manage_users       | /CITY/EAST/      | deny
        user officer @ /CITY/EAST/ | read_rules         | -                | allow
        user officer @ /CITY/EAST/ | change_rules       | -                | deny
        ",
    );
}

#[test]
fn legal_officer_supervises_his_subtree() {
    check(
        "
        user legal_officer @ /CITY/EAST/ | read_case          | /CITY/EAST/     | allow
        user legal_officer @ /CITY/EAST/ | read_case          | /CITY/EAST/ST1/ | allow
        user legal_officer @ /CITY/EAST/ | read_case          | /CITY/WEST/     | deny
        user legal_officer @ /CITY/EAST/ | read_case          | /CITY/          | deny
        user legal_officer @ /CITY/EAST/ | read_personal_data | /CITY/EAST/ST2/ | allow
        user legal_officer @ /CITY/EAST/ | read_personal_data | /CITY/WEST/ST3/ | deny
        user legal_officer @ /CITY/EAST/ | read_dashboard     | /CITY/EAST/ST1/ | allow
        user legal_officer @ /CITY/EAST/ | read_dashboard     | /CITY/          | deny
        user legal_officer @ /CITY/EAST/ | read_audit         | /CITY/EAST/     | deny
        user legal_officer @ /CITY/EAST/ | manage_users       | /CITY/EAST/     | deny
        user legal_officer @ /CITY/EAST/ | read_rules         | -               | allow
        user legal_officer @ /CITY/EAST/ | change_rules       | -               | deny
        ",
    );
}

#[test]
fn legal_dept_supervises_its_subtree_and_the_top_level_one_changes_rules() {
    check(
        "
        user legal_dept @ /CITY/EAST/ | read_case          | /CITY/EAST/     | allow
        user legal_dept @ /CITY/EAST/ | read_case          | /CITY/EAST/ST1/ | allow
        user legal_dept @ /CITY/EAST/ | read_case          | /CITY/WEST/     | deny
        user legal_dept @ /CITY/EAST/ | read_case          | /CITY/          | deny
        user legal_dept @ /CITY/EAST/ | read_personal_data | /CITY/EAST/ST1/ | allow
        user legal_dept @ /CITY/EAST/ | read_personal_data | /CITY/WEST/     | deny
        user legal_dept @ /CITY/EAST/ | read_dashboard     | /CITY/EAST/     | allow
        user legal_dept @ /CITY/EAST/ | read_dashboard     | /CITY/          | deny
        user legal_dept @ /CITY/EAST/ | read_audit         | /CITY/EAST/ST2/ | allow
        user legal_dept @ /CITY/EAST/ | read_audit         | /CITY/WEST/     | deny
        user legal_dept @ /CITY/EAST/ | manage_units       | /CITY/EAST/     | deny
        user legal_dept @ /CITY/EAST/ | read_rules         | -               | allow
        user legal_dept @ /CITY/EAST/ | change_rules       | -               | deny
        user legal_dept @ /CITY/      | change_rules       | -               | allow
        user legal_dept @ /CITY/      | read_case          | /CITY/WEST/ST3/ | allow
        user legal_dept @ /CITY/      | read_audit         | /CITY/WEST/ST3/ | allow
        user leader @ /CITY/          | change_rules       | -               | deny
        token legal_dept @ /CITY/ ->  | change_rules       | -               | allow
        ",
    );
}

#[test]
fn leader_sees_his_subtree_with_personal_data_masked() {
    check(
        "
        user leader @ /CITY/EAST/ | read_case          | /CITY/EAST/     | allow
        user leader @ /CITY/EAST/ | read_case          | /CITY/EAST/ST1/ | allow
        user leader @ /CITY/EAST/ | read_case          | /CITY/WEST/     | deny
        user leader @ /CITY/EAST/ | read_case          | /CITY/          | deny
        user leader @ /CITY/EAST/ | read_personal_data | /CITY/EAST/     | deny
        user leader @ /CITY/EAST/ | read_dashboard     | /CITY/EAST/ST2/ | allow
        user leader @ /CITY/EAST/ | read_dashboard     | /CITY/WEST/     | deny
        user leader @ /CITY/EAST/ | read_audit         | /CITY/EAST/     | deny
        user leader @ /CITY/      | read_case          | /CITY/WEST/ST3/ | allow
        user leader @ /CITY/EAST/ | read_rules         | -               | allow
        ",
    );
}

#[test]
fn admin_manages_his_subtree_and_reads_no_case_content() {
    check(
        "
        user admin @ /CITY/EAST/ | manage_units       | /CITY/EAST/     | allow
        user admin @ /CITY/EAST/ | manage_units       | /CITY/EAST/ST1/ | allow
        user admin @ /CITY/EAST/ | manage_units       | /CITY/WEST/     | deny
        user admin @ /CITY/EAST/ | manage_units       | /CITY/          | deny
        user admin @ /CITY/EAST/ | manage_users       | /CITY/EAST/ST2/ | allow
        user admin @ /CITY/EAST/ | manage_users       | /CITY/WEST/ST3/ | deny
        user admin @ /CITY/EAST/ | manage_tokens      | /CITY/EAST/     | allow
        user admin @ /CITY/EAST/ | manage_tokens      | /CITY/          | deny
        user admin @ /CITY/EAST/ | read_audit         | /CITY/EAST/ST1/ | allow
        user admin @ /CITY/EAST/ | read_audit         | /CITY/          | deny
        user admin @ /CITY/EAST/ | read_case          | /CITY/EAST/     | deny
        user admin @ /CITY/EAST/ | read_personal_data | /CITY/EAST/     | deny
        user admin @ /CITY/EAST/ | read_dashboard     | /CITY/EAST/     | deny
        user admin @ /CITY/EAST/ | post_events        | /CITY/EAST/     | deny
        user admin @ /CITY/      | read_case          | /CITY/EAST/ST1/ | deny
        user admin @ /CITY/      | change_rules       | -               | deny
        user admin @ /CITY/      | read_rules         | -               | allow
        # Roles add up: an administrator who is also an officer reads his unit's cases, no more.
        user admin,officer @ /CITY/EAST/ | read_case    | /CITY/EAST/     | allow
        user admin,officer @ /CITY/EAST/ | read_case    | /CITY/EAST/ST1/ | deny
        user admin,officer @ /CITY/EAST/ | manage_users | /CITY/EAST/ST1/ | allow
        ",
    );
}

#[test]
fn ingest_tokens_post_for_their_units_only() {
    check(
        "
        token ingest @ /CITY/ -> /CITY/EAST/ST1/ /CITY/WEST/ | post_events | /CITY/EAST/ST1/ | allow
        token ingest @ /CITY/ -> /CITY/EAST/ST1/ /CITY/WEST/ | post_events | /CITY/WEST/     | allow
        token ingest @ /CITY/ -> /CITY/EAST/ST1/ /CITY/WEST/ | post_events | /CITY/WEST/ST3/ | allow
        token ingest @ /CITY/ -> /CITY/EAST/ST1/ /CITY/WEST/ | post_events | /CITY/EAST/ST2/ | deny
        token ingest @ /CITY/ -> /CITY/EAST/ST1/ /CITY/WEST/ | post_events | /CITY/EAST/     | deny
        token ingest @ /CITY/ -> /CITY/EAST/ST1/ /CITY/WEST/ | post_events | /CITY/          | deny
        token ingest @ /CITY/ -> /CITY/EAST/ST1/ /CITY/WEST/ | read_case   | /CITY/EAST/ST1/ | deny
        token ingest @ /CITY/ -> /CITY/EAST/ST1/ /CITY/WEST/ | read_rules  | -               | deny
        # The token's own unit grants nothing by itself.
        token ingest @ /CITY/EAST/ ->                        | post_events | /CITY/EAST/     | deny
        # Ingest units without the ingest role grant nothing.
        token officer @ /CITY/EAST/ -> /CITY/EAST/           | post_events | /CITY/EAST/     | deny
        token officer @ /CITY/EAST/ -> /CITY/EAST/           | read_case   | /CITY/EAST/     | allow
        token officer @ /CITY/EAST/ -> /CITY/EAST/           | read_rules  | -               | deny
        # Only tokens ingest.
        user ingest @ /CITY/EAST/                            | post_events | /CITY/EAST/     | deny
        ",
    );
}

#[test]
fn no_role_no_access() {
    let rows: String = Action::ALL
        .into_iter()
        .map(|a| {
            let on = if a.is_global() { "-" } else { "/CITY/EAST/" };
            format!("user @ /CITY/EAST/ | {a} | {on} | deny\n")
        })
        .collect();
    check(&rows);
}

#[test]
fn a_resource_of_the_wrong_kind_is_an_error_and_a_denial() {
    let authz = Authorizer::standard().unwrap();
    let p = principal("user legal_dept,officer,admin @ /CITY/");
    for a in Action::ALL {
        let wrong = if a.is_global() {
            resource("/CITY/")
        } else {
            Resource::Global
        };
        assert!(authz.decide(&p, a, &wrong).is_err(), "{a}");
        assert!(!authz.is_allowed(&p, a, &wrong), "{a}");
    }
}

#[test]
fn decisions_name_the_policies_that_allowed_them() {
    let authz = Authorizer::standard().unwrap();
    let p = principal("user officer,legal_officer @ /CITY/EAST/");
    let d = authz
        .decide(&p, Action::ReadCase, &resource("/CITY/EAST/"))
        .unwrap();
    assert!(d.allowed);
    assert_eq!(
        d.policies,
        [
            "legal-officer-reads-cases-of-his-subtree",
            "officer-reads-cases-of-his-unit"
        ]
    );
    let d = authz
        .decide(&p, Action::ReadAudit, &resource("/CITY/EAST/"))
        .unwrap();
    assert!(!d.allowed);
    assert!(d.policies.is_empty());
}

#[test]
fn scopes_for_list_endpoints() {
    let cases = [
        (
            "user officer @ /CITY/EAST/",
            Action::ReadCase,
            Scope::within(vec![], vec![unit("/CITY/EAST/")]),
        ),
        (
            "user officer,leader @ /CITY/EAST/",
            Action::ReadCase,
            Scope::within(vec![unit("/CITY/EAST/")], vec![]),
        ),
        (
            "user leader @ /CITY/EAST/",
            Action::ReadPersonalData,
            Scope::Nothing,
        ),
        ("user admin @ /CITY/", Action::ReadCase, Scope::Nothing),
        (
            "token ingest @ /CITY/ -> /CITY/WEST/ST3/ /CITY/EAST/ /CITY/WEST/",
            Action::PostEvents,
            Scope::within(vec![unit("/CITY/EAST/"), unit("/CITY/WEST/")], vec![]),
        ),
        (
            "user legal_dept @ /CITY/",
            Action::ChangeRules,
            Scope::Everything,
        ),
        (
            "user legal_dept @ /CITY/EAST/",
            Action::ChangeRules,
            Scope::Nothing,
        ),
        (
            "user officer @ /CITY/EAST/",
            Action::ReadRules,
            Scope::Everything,
        ),
    ];
    for (who, a, want) in cases {
        assert_eq!(scope(&principal(who), a), want, "{who} {a}");
    }
}
