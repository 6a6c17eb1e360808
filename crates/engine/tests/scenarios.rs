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

/// `evaluate_brief` gives the findings of `evaluate`, without explanations and in no particular
/// order, for every case of every scenario, at instants before, during and long after each
/// case's events.
#[test]
fn brief_evaluation_gives_the_same_findings_unsorted_and_unexplained() {
    let pack = Pack::load(&root().join("rules/standard")).unwrap_or_else(|e| panic!("{e}"));
    let cal = Calendar::standard();
    let mut scenarios = scenario::find(&root().join("scenarios"));
    scenarios.extend(scenario::find(&root().join("rules/standard/scenarios")));
    assert!(scenarios.len() > 50, "{} scenarios", scenarios.len());
    let key = |f: &casewatch_engine::Finding| {
        (
            f.subject.clone(),
            f.rule.clone(),
            f.started,
            f.reference.clone(),
        )
    };
    let mut compared = 0;
    for sc in &scenarios {
        let text = std::fs::read_to_string(&sc.events).unwrap();
        let events = scenario::parse_events(&text).unwrap_or_else(|e| panic!("{e:?}"));
        let mut by_case: std::collections::BTreeMap<&str, Vec<casewatch_core::Event>> =
            std::collections::BTreeMap::new();
        for e in &events {
            by_case.entry(e.case.as_str()).or_default().push(e.clone());
        }
        for evs in by_case.values() {
            let (Some(first), Some(last)) = (
                evs.iter().map(|e| e.at).min(),
                evs.iter().map(|e| e.at).max(),
            ) else {
                continue;
            };
            let day = jiff::SignedDuration::from_hours(24);
            for now in [first, last, last + day, last + day * 40, last + day * 800] {
                let mut full = casewatch_engine::evaluate(&pack, &cal, evs, now);
                for f in &mut full {
                    f.explain.clear();
                }
                let mut brief = casewatch_engine::evaluate_brief(&pack, &cal, evs, now);
                brief.sort_by_key(key);
                full.sort_by_key(key);
                assert_eq!(brief, full, "{} at {now}", sc.events.display());
                compared += 1;
            }
        }
    }
    assert!(compared > 250, "{compared} evaluations compared");
}
