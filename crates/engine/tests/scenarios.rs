//! Every scenario of the project runs through the standard pack: the shared public scenarios
//! (`scenarios/`) and each rule's own (`rules/standard/scenarios/<rule>/`).

#![cfg(test)]

use std::path::Path;

use casewatch_engine::Pack;
use casewatch_engine::scenario;
use casewatch_engine::time::Calendar;

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

fn run_all(dir: &Path) -> (usize, Vec<String>) {
    let pack = Pack::load(&root().join("rules/standard")).unwrap_or_else(|e| panic!("{e}"));
    let cal = Calendar::standard();
    let scenarios = scenario::find(dir);
    let mut failures = Vec::new();
    for sc in &scenarios {
        for f in scenario::run(&pack, &cal, sc) {
            failures.push(format!("{}: {f}", sc.events.display()));
        }
    }
    (scenarios.len(), failures)
}

#[test]
fn the_public_scenarios_pass() {
    let (n, failures) = run_all(&root().join("scenarios"));
    assert!(n >= 8, "found {n} public scenarios");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_rule_has_scenarios_of_its_own_and_they_pass() {
    let pack = Pack::load(&root().join("rules/standard")).unwrap_or_else(|e| panic!("{e}"));
    let dir = root().join("rules/standard/scenarios");
    for rule in &pack.rules {
        let own = scenario::find(&dir.join(&*rule.id));
        assert!(
            own.len() >= 2,
            "rule {} has {} scenarios of its own; at least 2 (happy path and boundary)",
            rule.id,
            own.len()
        );
    }
    let (_, failures) = run_all(&dir);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_embedded_standard_pack_equals_the_folder() {
    let folder = Pack::load(&root().join("rules/standard")).unwrap_or_else(|e| panic!("{e}"));
    let embedded = Pack::standard().unwrap_or_else(|e| panic!("{e}"));
    let ids = |p: &Pack| p.rules.iter().map(|r| r.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&folder), ids(&embedded));
}

#[test]
fn the_embedded_pack_carries_its_scenarios_and_they_pass() {
    let embedded = Pack::standard().unwrap_or_else(|e| panic!("{e}"));
    let folder = Pack::load(&root().join("rules/standard")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        embedded.files, folder.files,
        "the same files, read or embedded"
    );
    let own = scenario::of_pack(&embedded);
    let on_disk = scenario::find(&root().join("rules/standard/scenarios"));
    assert_eq!(own.len(), on_disk.len());
    assert!(own.iter().all(|s| s.rule.is_some() && s.expect.is_some()));
    let cal = Calendar::standard();
    let failures: Vec<String> = own
        .iter()
        .flat_map(|s| scenario::judge(&embedded, &cal, s))
        .map(|d| d.to_string())
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
