use serde_json::json;

use super::*;
use crate::event::ParseOptions;

fn ev(v: serde_json::Value) -> Event {
    Event::parse(&v, ParseOptions { now: None }).unwrap_or_else(|e| panic!("{e:?}"))
}

fn history() -> Vec<Event> {
    vec![
        ev(
            json!({"id":"1","type":"report.received","case":"C1","at":"2026-03-01T08:00:00+08:00","unit":"U-PS1","data":{"on_scene":true}}),
        ),
        ev(
            json!({"id":"2","type":"case.accepted","case":"C1","at":"2026-03-01T09:00:00+08:00","unit":"U-PS2","officer":"O1","data":{"kind":"criminal","cause":"盗窃"}}),
        ),
        ev(
            json!({"id":"3","type":"case.filed","case":"C1","at":"2026-03-01T15:00:00+08:00","officer":"O2"}),
        ),
        ev(
            json!({"id":"4","type":"person.registered","case":"C1","subject":"P1","at":"2026-03-01T15:05:00+08:00","data":{"role":"suspect","name":"王某","birth_date":"2008-03-02"}}),
        ),
        ev(
            json!({"id":"5","type":"detention.started","case":"C1","subject":"P1","at":"2026-03-02T10:23:00+08:00"}),
        ),
        ev(
            json!({"id":"6","type":"custody.admitted","case":"C1","subject":"P1","at":"2026-03-03T09:00:00+08:00"}),
        ),
        ev(
            json!({"id":"7","type":"arrest.executed","case":"C1","subject":"P1","at":"2026-03-08T09:00:00+08:00"}),
        ),
        ev(
            json!({"id":"8","type":"property.seized","case":"C1","subject":"X1","at":"2026-03-02T11:00:00+08:00","data":{"kind":"seize","category":"phone","description":"手机一部"}}),
        ),
        ev(
            json!({"id":"9","type":"property.stored","case":"C1","subject":"X1","at":"2026-03-02T16:00:00+08:00","data":{"location":"A-3"}}),
        ),
        ev(
            json!({"id":"10","type":"area.entered","case":"C1","subject":"P1","at":"2026-03-02T10:30:00+08:00","data":{"area":"BA-1"}}),
        ),
        ev(
            json!({"id":"11","type":"area.safety_checked","case":"C1","subject":"P1","at":"2026-03-02T10:35:00+08:00"}),
        ),
        ev(
            json!({"id":"12","type":"area.exited","case":"C1","subject":"P1","at":"2026-03-02T18:00:00+08:00","data":{"to":"custody"}}),
        ),
        ev(
            json!({"id":"13","type":"bodycam.recorded","case":"C1","at":"2026-03-01T08:10:00+08:00","data":{"recording":"R1"}}),
        ),
        ev(json!({"id":"14","type":"x-note","case":"C1","at":"2026-03-01T08:11:00+08:00"})),
    ]
}

#[test]
fn the_fold_tracks_stage_persons_property_and_stays() {
    let l = CaseLedger::build("C1", &history());
    assert_eq!(l.kind.as_deref(), Some("criminal"));
    assert_eq!(l.cause.as_deref(), Some("盗窃"));
    assert_eq!(l.stage, Some(Stage::Filed));
    assert_eq!(
        l.unit.as_deref(),
        Some("U-PS2"),
        "the accepting unit owns the case"
    );
    assert_eq!(l.officers.iter().cloned().collect::<Vec<_>>(), ["O1", "O2"]);
    let p = &l.persons["P1"];
    assert!(
        p.minor,
        "18th birthday 2026-03-02 falls after registration on 03-01"
    );
    assert_eq!(p.measure, Some(Measure::Arrest));
    assert!(p.in_custody);
    assert_eq!(p.measures.len(), 2);
    assert_eq!(p.measures[0].to, Some(p.measures[1].from));
    let x = &l.property["X1"];
    assert_eq!(x.state, "stored");
    assert_eq!(x.location.as_deref(), Some("A-3"));
    assert_eq!(l.area_stays.len(), 1);
    assert!(l.area_stays[0].safety_checked && !l.area_stays[0].info_collected);
    assert_eq!(l.recordings["R1"].uploaded_at, None);
    assert_eq!(l.n_events, 14);
}

#[test]
fn the_fold_does_not_depend_on_arrival_order_across_instants() {
    let mut shuffled = history();
    shuffled.reverse();
    assert_eq!(
        CaseLedger::build("C1", &history()),
        CaseLedger::build("C1", &shuffled)
    );
}

#[test]
fn a_retracted_event_counts_as_never_received() {
    let mut h = history();
    h.push(ev(json!({"id":"15","type":"event.retracted","case":"C1","at":"2026-03-09T09:00:00+08:00","data":{"target":"7","reason":"误录"}})));
    let l = CaseLedger::build("C1", &h);
    assert_eq!(l.persons["P1"].measure, Some(Measure::CriminalDetention));
    assert_eq!(l.persons["P1"].arrest, None);
    assert_eq!(l.n_retracted, 1);
}

#[test]
fn closing_and_release() {
    let mut h = history();
    h.push(ev(json!({"id":"16","type":"released","case":"C1","subject":"P1","at":"2026-03-10T09:00:00+08:00"})));
    h.push(ev(
        json!({"id":"17","type":"case.closed","case":"C1","at":"2026-03-11T09:00:00+08:00"}),
    ));
    let l = CaseLedger::build("C1", &h);
    assert_eq!(l.stage, Some(Stage::Closed));
    assert_eq!(l.persons["P1"].measure, None);
    assert!(!l.persons["P1"].in_custody);
    assert!(l.closed_at.is_some());
}

#[test]
fn minors_by_birth_date() {
    let t = |s: &str| s.parse::<Timestamp>().unwrap();
    // The 18th birthday itself: no longer a minor on that Shanghai date, even just after midnight.
    assert!(!is_minor_on("2008-03-02", t("2026-03-02T00:00:00+08:00")));
    assert!(is_minor_on("2008-03-02", t("2026-03-01T23:59:59+08:00")));
    // 16:30 UTC on 1 March is already 2 March in Shanghai.
    assert!(!is_minor_on("2008-03-02", t("2026-03-01T16:30:00Z")));
    // Born on 29 February: 18 on 1 March of a common year.
    assert!(is_minor_on("2008-02-29", t("2026-02-28T12:00:00+08:00")));
    assert!(!is_minor_on("2008-02-29", t("2026-03-01T00:00:00+08:00")));
}

#[test]
fn the_ledger_round_trips_through_json() {
    let l = CaseLedger::build("C1", &history());
    let s = serde_json::to_string(&l).unwrap();
    let back: CaseLedger = serde_json::from_str(&s).unwrap();
    assert_eq!(back, l);
}
