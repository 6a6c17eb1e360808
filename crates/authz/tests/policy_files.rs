//! Loading the policy folder: the repository's folder loads, and each kind of mistake is
//! reported with its file and position.

#![cfg(test)]

use std::path::{Path, PathBuf};

use casewatch_authz::{Authorizer, AuthzError, PolicyProblem};

fn policies_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies")
}

/// A copy of the repository's policy folder in a temporary directory.
fn copy_of_policies() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(policies_dir()).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, tmp.path().join(path.file_name().unwrap())).unwrap();
    }
    tmp
}

/// Loads a copy of the policy folder after `edit` and returns its problems, one per line.
fn problems_after(edit: impl FnOnce(&Path)) -> String {
    let tmp = copy_of_policies();
    edit(tmp.path());
    match Authorizer::load(tmp.path()) {
        Ok(_) => "loaded".to_owned(),
        Err(AuthzError::Policies(problems)) => problems
            .iter()
            .map(PolicyProblem::to_string)
            .collect::<Vec<_>>()
            .join("\n"),
        Err(e) => format!("other error: {e}"),
    }
}

/// Replaces `from` by `to` in `file` (which must contain it).
fn replace(dir: &Path, file: &str, from: &str, to: &str) {
    let path = dir.join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "`{from}` is not in {file}");
    std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
}

fn write(dir: &Path, file: &str, text: &str) {
    std::fs::write(dir.join(file), text).unwrap();
}

#[test]
fn the_repository_folder_loads_and_is_the_embedded_one() {
    let loaded = Authorizer::load(&policies_dir()).unwrap();
    let standard = Authorizer::standard().unwrap();
    assert_eq!(loaded.policy_ids(), standard.policy_ids());
    assert_eq!(
        standard.policy_ids(),
        [
            "admin-manages-units-users-tokens-of-his-subtree",
            "every-role-reads-rules",
            "ingest-token-posts-events-for-its-units",
            "leader-reads-cases-of-his-subtree",
            "leader-reads-dashboards-of-his-subtree",
            "legal-dept-reads-cases-of-its-subtree",
            "legal-dept-reads-dashboards-and-audit-of-its-subtree",
            "legal-officer-reads-cases-of-his-subtree",
            "legal-officer-reads-dashboards-of-his-subtree",
            "legal-officer-records-events-of-his-subtree",
            "officer-reads-cases-of-his-unit",
            "officer-records-events-of-his-unit",
            "top-level-legal-dept-changes-rules",
        ]
    );
}

#[test]
fn a_syntax_error_names_file_line_and_column() {
    let got = problems_after(|d| {
        replace(
            d,
            "officer.cedar",
            "resource is Case\n)",
            "resource is Case\n",
        )
    });
    // Line 14 held the `)` that closes the scope; `when` on line 15 is the first wrong token.
    assert!(
        got.starts_with("officer.cedar:15:1: unexpected token `when`: expected "),
        "{got}"
    );
    assert!(got.contains("`)`"), "{got}");
}

#[test]
fn an_unknown_attribute_names_file_line_column_and_policy() {
    let got = problems_after(|d| {
        replace(
            d,
            "leader.cedar",
            "resource in principal.unit };",
            "resource in principal.units };",
        )
    });
    assert!(
        got.starts_with("leader.cedar:12:20 [leader-reads-cases-of-his-subtree]: ")
            && got.contains("attribute `units`")
            && got.contains("did you mean `unit`?"),
        "{got}"
    );
}

#[test]
fn an_unknown_action_or_role_type_is_refused() {
    let got = problems_after(|d| {
        replace(
            d,
            "admin.cedar",
            "Action::\"manage_units\"",
            "Action::\"manage_unit\"",
        )
    });
    assert!(
        got.starts_with("admin.cedar:") && got.contains("manage_unit"),
        "{got}"
    );
}

#[test]
fn every_policy_needs_a_unique_id() {
    let got = problems_after(|d| {
        replace(
            d,
            "leader.cedar",
            "@id(\"leader-reads-dashboards-of-his-subtree\")\n",
            "",
        )
    });
    assert_eq!(
        got,
        "leader.cedar:14:1: the policy has no `@id(\"...\")` annotation"
    );

    let got = problems_after(|d| {
        write(
            d,
            "zz_extra.cedar",
            "// A copy.\n@id(\"officer-reads-cases-of-his-unit\")\npermit (principal, action, resource);\n",
        );
    });
    assert_eq!(
        got,
        "zz_extra.cedar:2:1 [officer-reads-cases-of-his-unit]: the id is already used in `officer.cedar`"
    );
}

#[test]
fn schema_mistakes_name_the_schema_file() {
    let got = problems_after(|d| {
        replace(
            d,
            "casewatch.cedarschema",
            "unit: Unit,\n};\n\n// An API",
            "unit: Unitt,\n};\n\n// An API",
        )
    });
    assert!(
        got.starts_with("casewatch.cedarschema:26:11: failed to resolve type: Unitt"),
        "{got}"
    );

    let got =
        problems_after(|d| replace(d, "casewatch.cedarschema", "entity Role;", "entity Role"));
    assert!(got.starts_with("casewatch.cedarschema:"), "{got}");

    let got = problems_after(|d| std::fs::remove_file(d.join("casewatch.cedarschema")).unwrap());
    assert_eq!(got, "casewatch.cedarschema: the schema file is missing");
}

#[test]
fn an_empty_folder_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), "README.md", "nothing");
    let err = Authorizer::load(tmp.path()).unwrap_err().to_string();
    assert_eq!(
        err,
        "2 problem(s) in the policies:\ncasewatch.cedarschema: the schema file is missing\n*.cedar: there is no policy file"
    );
    let missing = Authorizer::load(&tmp.path().join("nope")).unwrap_err();
    assert!(matches!(missing, AuthzError::Io { .. }), "{missing}");
}

#[test]
fn templates_are_refused() {
    let got = problems_after(|d| {
        write(
            d,
            "zz_template.cedar",
            "@id(\"t\")\npermit (principal == ?principal, action, resource);\n",
        );
    });
    assert_eq!(
        got,
        "zz_template.cedar:1:1: templates (`?principal`, `?resource`) are not used"
    );
}
