//! Dashboard statistics and scoped case histories, on every backend: each answer is held equal
//! to a model computed from the plain per-finding reads (`list_findings`, `finding_history`).

#![cfg(test)]

use std::collections::{BTreeMap, BTreeSet};

use casewatch_authz::{Scope, UnitPath};
use casewatch_core::{Event, ParseOptions};
use casewatch_store::testing::{self, TestDb};
use casewatch_store::{FindingQuery, NewUnit, StatsQuery};
use jiff::Timestamp;
use serde_json::json;

fn t(s: &str) -> Timestamp {
    s.parse().unwrap()
}

/// 市局 SJ → 分局 FJ → 派出所 PA; 派出所 PB under SJ; another bureau OTHER.
async fn tree(db: &TestDb) {
    for (id, parent, kind) in [
        ("SJ", None, "bureau"),
        ("FJ", Some("SJ"), "branch"),
        ("PA", Some("FJ"), "station"),
        ("PB", Some("SJ"), "station"),
        ("OTHER", None, "bureau"),
    ] {
        let unit = NewUnit {
            id: id.into(),
            name: format!("{id} 单位"),
            parent: parent.map(Into::into),
            kind: kind.into(),
        };
        db.store.add_unit(&unit).await.unwrap();
    }
}

/// A criminal detention of case `case` at `unit`, with its 24-hour clocks.
fn detained(case: &str, unit: &str) -> Vec<Event> {
    [
        json!({"id":format!("{case}-1"),"type":"case.accepted","case":case,"at":"2026-03-01T09:00:00+08:00","unit":unit,"data":{"kind":"criminal","cause":"盗窃"}}),
        json!({"id":format!("{case}-2"),"type":"person.registered","case":case,"subject":"P1","at":"2026-03-01T15:05:00+08:00","data":{"role":"suspect","name":"王某"}}),
        json!({"id":format!("{case}-3"),"type":"detention.started","case":case,"subject":"P1","at":"2026-03-02T10:23:00+08:00"}),
    ]
    .iter()
    .map(|v| Event::parse(v, ParseOptions { now: None }).unwrap())
    .collect()
}

/// Three cases, at PA, PB and OTHER; the timer runs past their 24-hour dues.
async fn history(db: &TestDb) {
    tree(db).await;
    for (case, unit) in [("CA", "PA"), ("CB", "PB"), ("CX", "OTHER")] {
        db.store
            .append(&detained(case, unit), t("2026-03-02T10:30:00+08:00"))
            .await
            .unwrap();
    }
    let out = db
        .store
        .advance_timers(t("2026-03-04T09:00:00+08:00"))
        .await
        .unwrap();
    assert!(out.transitioned > 0, "{}", db.label);
}

fn path(s: &str) -> UnitPath {
    UnitPath::parse(s).unwrap()
}

const DAY_US: i64 = 86_400_000_000;
const OFFSET_US: i64 = 28_800_000_000;

/// The model: every finding's history read one by one, counted by day and state.
async fn model(
    db: &TestDb,
    from_us: i64,
    to_us: i64,
    states: &[&str],
    units: &[&str],
) -> BTreeMap<(i64, String), i64> {
    let q = FindingQuery {
        page: 1,
        per_page: 200,
        ..FindingQuery::default()
    };
    let mut out = BTreeMap::new();
    for f in db.store.list_findings(&q).await.unwrap().items {
        if !units.contains(&f.unit.as_deref().unwrap_or_default()) {
            continue;
        }
        let hist = db
            .store
            .finding_history(&f.case_id, &f.rule, f.subject.as_deref(), &f.reference)
            .await
            .unwrap();
        for (state, at, _) in hist {
            if states.contains(&state.as_str()) && (from_us..to_us).contains(&at) {
                *out.entry(((at + OFFSET_US).div_euclid(DAY_US), state))
                    .or_default() += 1;
            }
        }
    }
    out
}

#[tokio::test]
async fn transitions_by_day_agree_with_each_findings_history() {
    for db in testing::all().await.unwrap() {
        history(&db).await;
        let states = ["warning", "overdue", "violated"];
        let from = t("2026-03-01T00:00:00+08:00").as_microsecond();
        let to = t("2026-03-05T00:00:00+08:00").as_microsecond();
        let cases = [
            (None, None, vec!["PA", "PB", "OTHER"]),
            (
                Some(Scope::within(vec![path("/SJ/")], vec![])),
                None,
                vec!["PA", "PB"],
            ),
            (
                Some(Scope::within(vec![path("/SJ/")], vec![])),
                Some("/SJ/FJ/".to_owned()),
                vec!["PA"],
            ),
            (
                Some(Scope::within(vec![], vec![path("/SJ/PB/")])),
                None,
                vec!["PB"],
            ),
            (Some(Scope::Nothing), None, vec![]),
        ];
        for (scope, under, units) in cases {
            let label = format!("{} {scope:?} {under:?}", db.label);
            let query = StatsQuery {
                states: states.iter().map(|s| (*s).to_owned()).collect(),
                unit_under: under,
                scope,
            };
            let got: BTreeMap<(i64, String), i64> = db
                .store
                .transitions_by_day(from, to, &query)
                .await
                .unwrap()
                .into_iter()
                .map(|c| ((c.day, c.state), c.count))
                .collect();
            assert_eq!(got, model(&db, from, to, &states, &units).await, "{label}");
            if units.contains(&"PA") {
                // Each case's 24-hour clocks are overdue on 3 March (+08:00).
                let march_3 = (t("2026-03-03T12:00:00+08:00").as_microsecond() + OFFSET_US)
                    .div_euclid(DAY_US);
                assert!(
                    got.get(&(march_3, "overdue".to_owned())).copied() >= Some(3),
                    "{label}: {got:?}"
                );
            }
        }
        // The range is half-open and applies to the transition's instant.
        let one_day = StatsQuery {
            states: vec!["overdue".into()],
            ..StatsQuery::default()
        };
        let from = t("2026-03-04T00:00:00+08:00").as_microsecond();
        let rows = db
            .store
            .transitions_by_day(from, from + DAY_US, &one_day)
            .await
            .unwrap();
        assert!(
            rows.iter().all(|r| r.day == (from + OFFSET_US) / DAY_US),
            "{rows:?}"
        );
    }
}

#[tokio::test]
async fn findings_by_rule_agree_with_the_finding_list() {
    for db in testing::all().await.unwrap() {
        history(&db).await;
        let states = vec!["overdue".to_owned(), "warning".to_owned()];
        let query = StatsQuery {
            states: states.clone(),
            unit_under: Some("/SJ/".into()),
            scope: Some(Scope::within(vec![path("/SJ/")], vec![])),
        };
        let got: Vec<(String, String, i64)> = db
            .store
            .findings_by_rule(&query)
            .await
            .unwrap()
            .into_iter()
            .map(|c| (c.rule, c.state, c.count))
            .collect();
        let q = FindingQuery {
            states,
            unit_under: Some("/SJ/".into()),
            page: 1,
            per_page: 200,
            ..FindingQuery::default()
        };
        let mut want: BTreeMap<(String, String), i64> = BTreeMap::new();
        for f in db.store.list_findings(&q).await.unwrap().items {
            *want.entry((f.rule, f.state)).or_default() += 1;
        }
        let want: Vec<(String, String, i64)> =
            want.into_iter().map(|((r, s), n)| (r, s, n)).collect();
        assert!(!want.is_empty(), "{}", db.label);
        assert_eq!(got, want, "{}", db.label);
    }
}

#[tokio::test]
async fn case_histories_stay_within_the_scope_page_by_page() {
    for db in testing::all().await.unwrap() {
        history(&db).await;
        let scope = Scope::within(vec![path("/SJ/")], vec![]);
        let mut seen = Vec::new();
        let mut after = String::new();
        loop {
            let page = db
                .store
                .case_histories(&after, 1, Some(&scope))
                .await
                .unwrap();
            let Some(last) = page.last() else { break };
            after.clone_from(&last.case_id);
            assert_eq!(page.len(), 1);
            assert_eq!(last.events.len(), 3, "{}", db.label);
            seen.push(last.case_id.clone());
        }
        assert_eq!(seen, ["CA", "CB"], "{}", db.label);
        let all: BTreeSet<String> = db
            .store
            .case_histories("", 10, None)
            .await
            .unwrap()
            .into_iter()
            .map(|c| c.case_id)
            .collect();
        assert_eq!(all.len(), 3);
        let none = db
            .store
            .case_histories("", 10, Some(&Scope::Nothing))
            .await
            .unwrap();
        assert!(none.is_empty());
    }
}

/// The alert list of a subtree (or a scope) filtered by state walks each unit's keys in due
/// order and merges them; every page is held equal to a model: all findings read at once,
/// filtered by state and unit path, sorted by due (none last) then key, and cut into pages.
#[tokio::test]
async fn alert_pages_agree_with_a_sorted_model() {
    for db in testing::all().await.unwrap() {
        tree(&db).await;
        // Detentions at three instants in five units, so that dues tie across cases and units.
        let units = ["PA", "PB", "FJ", "SJ", "OTHER"];
        for i in 0..15 {
            let unit = units[i % units.len()];
            let hour = 8 + (i % 3);
            let case = format!("C{i:02}");
            let mut events = vec![
                json!({"id":format!("{case}-1"),"type":"case.accepted","case":case,"at":"2026-03-01T09:00:00+08:00","unit":unit,"data":{"kind":"criminal","cause":"盗窃"}}),
                json!({"id":format!("{case}-2"),"type":"person.registered","case":case,"subject":"P1","at":"2026-03-01T15:05:00+08:00","data":{"role":"suspect","name":"王某"}}),
                json!({"id":format!("{case}-3"),"type":"detention.started","case":case,"subject":"P1","at":format!("2026-03-02T{hour:02}:00:00+08:00")}),
            ];
            // Every other family is notified in time: a settled (met) finding, which the
            // alert index leaves out and its lists find through the unit's findings.
            if i % 2 == 0 {
                events.push(json!({"id":format!("{case}-4"),"type":"family.notified","case":case,"subject":"P1","at":"2026-03-02T11:00:00+08:00","data":{"measure":"detention"}}));
            }
            let events: Vec<Event> = events
                .iter()
                .map(|v| Event::parse(v, ParseOptions { now: None }).unwrap())
                .collect();
            db.store
                .append(&events, t("2026-03-02T12:00:00+08:00"))
                .await
                .unwrap();
        }
        // 18 h after 08:00 and 09:00, not 10:00: some clocks warn, the rest run.
        db.store
            .advance_timers(t("2026-03-03T03:30:00+08:00"))
            .await
            .unwrap();
        let path_of = |unit: &str| match unit {
            "SJ" => "/SJ/",
            "FJ" => "/SJ/FJ/",
            "PA" => "/SJ/FJ/PA/",
            "PB" => "/SJ/PB/",
            _ => "/OTHER/",
        };
        let everything = db
            .store
            .list_findings(&FindingQuery {
                page: 1,
                per_page: 200,
                ..FindingQuery::default()
            })
            .await
            .unwrap()
            .items;
        assert!(
            everything.iter().any(|f| f.state == "warning"),
            "{}",
            db.label
        );
        assert!(
            everything.iter().any(|f| f.state == "running"),
            "{}",
            db.label
        );
        assert!(everything.iter().any(|f| f.state == "met"), "{}", db.label);
        let states_sets: [&[&str]; 6] = [
            &["warning"],
            &["running", "warning"],
            &[],
            &["met"],
            &["met", "warning"],
            &["passed"],
        ];
        for under in ["/SJ/", "/SJ/FJ/", "/OTHER/"] {
            for states in states_sets {
                let mut want: Vec<_> = everything
                    .iter()
                    .filter(|f| states.is_empty() || states.contains(&f.state.as_str()))
                    .filter(|f| path_of(f.unit.as_deref().unwrap_or_default()).starts_with(under))
                    .collect();
                want.sort_by_key(|f| {
                    (
                        f.due_us.is_none(),
                        f.due_us,
                        f.case_id.clone(),
                        f.rule.clone(),
                        f.subject.clone(),
                        f.reference.clone(),
                    )
                });
                for per_page in [1u32, 4, 7, 50] {
                    for page in 1..=(want.len() as u32 / per_page + 2) {
                        for scoped in [false, true] {
                            let q = FindingQuery {
                                states: states.iter().map(|s| (*s).to_owned()).collect(),
                                unit_under: (!scoped).then(|| under.to_owned()),
                                scope: scoped.then(|| Scope::Within {
                                    subtrees: vec![path(under)],
                                    units: vec![],
                                }),
                                page,
                                per_page,
                                ..FindingQuery::default()
                            };
                            let got = db.store.list_findings(&q).await.unwrap();
                            let keys = |f: &casewatch_store::FindingRow| {
                                (
                                    f.case_id.clone(),
                                    f.rule.clone(),
                                    f.subject.clone(),
                                    f.reference.clone(),
                                )
                            };
                            let want_page: Vec<_> = want
                                .iter()
                                .skip(((page - 1) * per_page) as usize)
                                .take(per_page as usize)
                                .map(|f| keys(f))
                                .collect();
                            let got_page: Vec<_> = got.items.iter().map(keys).collect();
                            assert_eq!(
                                got_page, want_page,
                                "{}: under {under}, states {states:?}, page {page} of {per_page}, scoped {scoped}",
                                db.label
                            );
                            assert_eq!(got.total, want.len() as u64, "{}", db.label);
                        }
                    }
                }
            }
        }
    }
}
