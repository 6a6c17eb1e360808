//! Whole-crate tests: every event validates with the core's own validation, the history is
//! deterministic, and the mix contains what the rules need to see.

use std::collections::{BTreeMap, HashMap, HashSet};

use casewatch_core::{Event, ParseOptions};
use jiff::Timestamp;
use jiff::civil::Date;
use serde_json::Value;

use super::*;

fn now() -> Timestamp {
    "2026-03-10T12:00:00+08:00".parse().unwrap()
}

fn cfg(cases: u64, seed: u64) -> DemoConfig {
    DemoConfig {
        cases,
        seed,
        now: now(),
    }
}

/// Generates and parses a history, checking every event on the way.
fn parsed(cases: u64, seed: u64) -> Vec<Event> {
    let opts = ParseOptions { now: Some(now()) };
    events(&cfg(cases, seed))
        .map(|v| Event::parse(&v, opts).unwrap_or_else(|e| panic!("invalid event {v}: {e:#?}")))
        .collect()
}

fn text(cases: u64, seed: u64, now: Timestamp) -> String {
    let mut out = String::new();
    for v in events(&DemoConfig { cases, seed, now }) {
        out.push_str(&v.to_string());
        out.push('\n');
    }
    out
}

#[test]
fn every_event_validates_and_is_in_the_past() {
    let evs = parsed(2000, 7);
    assert!(evs.len() > 2000 * 8, "only {} events", evs.len());
    let now = now();
    assert!(evs.iter().all(|e| e.at <= now));
    // Every case is reported within the eighteen months before now.
    let earliest = evs.iter().map(|e| e.at).min().unwrap();
    let span = now.duration_since(earliest).as_hours();
    assert!(
        (24 * 520..=24 * 560).contains(&span),
        "history spans {span} hours"
    );
}

#[test]
fn cases_are_counted_ordered_and_uniquely_numbered() {
    let evs = parsed(2000, 11);
    let mut ids = HashSet::new();
    let mut cases: Vec<String> = Vec::new();
    let mut last: Option<(&str, Timestamp)> = None;
    for e in &evs {
        assert!(
            ids.insert(e.id.as_str().to_owned()),
            "duplicate id {}",
            e.id
        );
        let case = e.case.as_str();
        assert!(
            e.id.as_str().starts_with(&format!("{case}-")),
            "{} not of {case}",
            e.id
        );
        match last {
            Some((c, at)) if c == case => assert!(e.at >= at, "{} out of order", e.id),
            _ => {
                assert!(
                    !cases.iter().any(|c| c == case),
                    "case {case} is not contiguous"
                );
                cases.push(case.to_owned());
                assert_eq!(
                    e.event_type.as_str(),
                    "report.received",
                    "{case} starts with {}",
                    e.id
                );
            }
        }
        last = Some((case, e.at));
    }
    assert_eq!(cases.len(), 2000);
    // Case ids are A{year}-{serial}, serials counting up within each year.
    let mut serials: BTreeMap<&str, u32> = BTreeMap::new();
    for c in &cases {
        let (year, serial) = c.strip_prefix('A').and_then(|r| r.split_once('-')).unwrap();
        assert_eq!(year.len(), 4);
        assert_eq!(serial.len(), 6);
        let serial: u32 = serial.parse().unwrap();
        let prev = serials.insert(year, serial).unwrap_or(0);
        assert_eq!(serial, prev + 1, "{c}");
    }
    assert_eq!(
        serials.keys().copied().collect::<Vec<_>>(),
        ["2024", "2025", "2026"]
    );
}

#[test]
fn output_is_deterministic_and_depends_on_the_seed() {
    let a = text(500, 42, now());
    assert_eq!(a, text(500, 42, now()));
    assert_ne!(a, text(500, 43, now()));
    assert_ne!(org(42), org(43));
    assert_eq!(org(42), org(42));
}

#[test]
fn reading_is_lazy() {
    // Ten million cases: the first hundred events come at once and nothing is built ahead.
    let first: Vec<Value> = events(&cfg(10_000_000, 1)).take(100).collect();
    assert_eq!(first.len(), 100);
    let case = first[0]["case"].as_str().unwrap();
    assert!(case.starts_with("A2024-"), "{case}");
}

#[test]
fn events_name_the_handling_unit_and_its_officers() {
    let o = org(5);
    let unit_of: HashMap<&str, &str> = o
        .officers
        .iter()
        .map(|x| (x.id.as_str(), x.unit.as_str()))
        .collect();
    let kinds: HashMap<&str, UnitKind> = o.units.iter().map(|u| (u.id.as_str(), u.kind)).collect();
    let mut unit_per_case: HashMap<String, String> = HashMap::new();
    for e in parsed(1000, 5) {
        let unit = e.unit.as_ref().unwrap().as_str();
        let officer = e.officer.as_ref().unwrap().as_str();
        assert_eq!(unit_of.get(officer), Some(&unit), "{} by {officer}", e.id);
        assert!(
            matches!(kinds[unit], UnitKind::Station | UnitKind::PoliceType),
            "{unit}"
        );
        let prev = unit_per_case
            .entry(e.case.as_str().to_owned())
            .or_insert_with(|| unit.to_owned());
        assert_eq!(prev, unit);
        if let Some(officers) = e.data.get("officers").and_then(Value::as_array) {
            for x in officers {
                assert_eq!(unit_of.get(x.as_str().unwrap()), Some(&unit));
            }
        }
    }
}

#[test]
fn the_organisation_has_the_expected_shape() {
    let o = org(3);
    let count = |k: UnitKind| o.units.iter().filter(|u| u.kind == k).count();
    assert_eq!(count(UnitKind::Bureau), 1);
    assert_eq!(count(UnitKind::Branch), 6);
    assert!((24..=36).contains(&count(UnitKind::Station)));
    assert_eq!(count(UnitKind::PoliceType), 12);
    assert_eq!(o.units[0].id, "U-0001");
    assert_eq!(o.units[0].name, "临江市公安局");
    let ids: HashSet<&str> = o.units.iter().map(|u| u.id.as_str()).collect();
    for u in &o.units {
        assert!(
            u.id.chars()
                .all(|c| c.is_ascii_alphanumeric() || "._:-".contains(c))
        );
        if let Some(p) = &u.parent {
            assert!(ids.contains(p.as_str()));
        }
        let n = o.officers.iter().filter(|x| x.unit == u.id).count();
        assert!((10..=30).contains(&n), "{} has {n} officers", u.name);
    }
    let badges: HashSet<&str> = o.officers.iter().map(|x| x.id.as_str()).collect();
    assert_eq!(badges.len(), o.officers.len());
    assert!(
        o.officers
            .iter()
            .all(|x| x.id.len() == 8 && x.id.starts_with("O-"))
    );
    for s in o.units.iter().filter(|u| u.kind == UnitKind::Station) {
        assert!(s.name.ends_with("派出所"), "{}", s.name);
    }
}

/// Whether the person born on `birth` is under 18 at `at`.
fn minor_at(birth: &str, at: Timestamp) -> bool {
    let birth: Date = birth.parse().unwrap();
    let day = at
        .to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::Offset::constant(8)))
        .date();
    birth.saturating_add(jiff::Span::new().years(18)) > day
}

#[test]
fn the_mix_exercises_the_rules() {
    let evs = parsed(3000, 9);
    let mut by_type: HashMap<&str, usize> = HashMap::new();
    for e in &evs {
        *by_type.entry(e.event_type.as_str()).or_default() += 1;
    }
    for t in [
        "report.received",
        "case.accepted",
        "case.review_extended",
        "case.filed",
        "case.not_filed",
        "case.complainant_notified",
        "case.extended",
        "case.decided",
        "fine.paid",
        "appraisal.started",
        "appraisal.ended",
        "case.transferred",
        "case.closed",
        "person.registered",
        "summons.started",
        "summons.ended",
        "questioning.started",
        "questioning.ended",
        "detention.started",
        "custody.admitted",
        "family.notified",
        "family.notice_waived",
        "interrogation.started",
        "interrogation.ended",
        "arrest.requested",
        "arrest.request_extended",
        "arrest.approved",
        "arrest.rejected",
        "arrest.executed",
        "custody.extension_requested",
        "custody.extended",
        "bail.started",
        "bail.ended",
        "surveillance.started",
        "surveillance.ended",
        "released",
        "admin_detention.started",
        "admin_detention.ended",
        "area.entered",
        "area.safety_checked",
        "area.info_collected",
        "area.health_checked",
        "area.exited",
        "property.seized",
        "property.seizure_extended",
        "property.stored",
        "property.checked_out",
        "property.checked_in",
        "property.returned",
        "property.disposed",
        "property.transferred",
        "freeze.started",
        "freeze.renewed",
        "freeze.ended",
        "bodycam.recorded",
        "bodycam.uploaded",
        "document.issued",
        "event.retracted",
    ] {
        assert!(
            by_type.get(t).copied().unwrap_or(0) > 0,
            "no `{t}` in the mix: {by_type:?}"
        );
    }

    // About 35% criminal cases.
    let accepted: Vec<&Event> = evs
        .iter()
        .filter(|e| e.event_type.as_str() == "case.accepted")
        .collect();
    let criminal = accepted
        .iter()
        .filter(|e| e.data_str("kind") == Some("criminal"))
        .count();
    let share = criminal * 100 / accepted.len();
    assert!((30..=40).contains(&share), "{share}% criminal");

    // Some suspects are minors, by birth date at their registration; a few minors are
    // interrogated without a guardian.
    let suspects: Vec<&Event> = evs
        .iter()
        .filter(|e| {
            e.event_type.as_str() == "person.registered" && e.data_str("role") == Some("suspect")
        })
        .collect();
    assert!(suspects.iter().all(|e| e.data_str("birth_date").is_some()));
    let minors: HashSet<(&str, &str)> = suspects
        .iter()
        .filter(|e| minor_at(e.data_str("birth_date").unwrap(), e.at))
        .map(|e| (e.case.as_str(), e.subject.as_ref().unwrap().as_str()))
        .collect();
    let share = minors.len() * 1000 / suspects.len();
    assert!((25..=80).contains(&share), "{share}‰ minors");
    let minor_interrogations: Vec<&Event> = evs
        .iter()
        .filter(|e| e.event_type.as_str() == "interrogation.started")
        .filter(|e| minors.contains(&(e.case.as_str(), e.subject.as_ref().unwrap().as_str())))
        .collect();
    assert!(
        minor_interrogations
            .iter()
            .any(|e| e.data_bool("guardian_present"))
    );
    assert!(
        minor_interrogations
            .iter()
            .any(|e| !e.data_bool("guardian_present"))
    );

    // One officer alone now and then; most interrogations by two.
    let interrogations: Vec<&Event> = evs
        .iter()
        .filter(|e| e.event_type.as_str() == "interrogation.started")
        .collect();
    let alone = interrogations
        .iter()
        .filter(|e| {
            e.data_get("officers")
                .and_then(Value::as_array)
                .unwrap()
                .len()
                < 2
        })
        .count();
    assert!(
        alone > 0 && alone * 100 < interrogations.len() * 6,
        "{alone} of {}",
        interrogations.len()
    );

    // Id-card numbers are 18 characters.
    let ids: Vec<&str> = evs.iter().filter_map(|e| e.data_str("id_number")).collect();
    assert!(!ids.is_empty());
    assert!(
        ids.iter()
            .all(|n| n.chars().count() == 18 && n.starts_with("99"))
    );

    // Designated residential surveillance occurs.
    assert!(
        evs.iter()
            .any(|e| e.event_type.as_str() == "surveillance.started" && e.data_bool("designated"))
    );
}

#[test]
fn retractions_target_earlier_events_of_their_case() {
    let evs = parsed(5000, 13);
    let mut seen: HashMap<&str, Timestamp> = HashMap::new();
    let mut n = 0;
    for e in &evs {
        if e.event_type.as_str() == "event.retracted" {
            let target = e.data_str("target").unwrap();
            assert!(target.starts_with(&format!("{}-", e.case)));
            assert!(
                seen.get(target).is_some_and(|at| *at <= e.at),
                "{} retracts unseen {target}",
                e.id
            );
            assert_eq!(e.data_str("reason"), Some("误录"));
            n += 1;
        }
        seen.insert(e.id.as_str(), e.at);
    }
    assert!(n > 20, "{n} retractions");
    assert!(evs.iter().any(|e| e.event_type.as_str().starts_with("x-")));
}

/// Some steps are late, as in real life, but most are on time.
#[test]
fn late_steps_are_the_exception() {
    let evs = parsed(5000, 17);
    let mut detained: HashMap<(&str, &str), Timestamp> = HashMap::new();
    let (mut on_time, mut late) = (0, 0);
    for e in &evs {
        let key = (
            e.case.as_str(),
            e.subject.as_ref().map_or("", |s| s.as_str()),
        );
        match e.event_type.as_str() {
            "detention.started" => {
                detained.insert(key, e.at);
            }
            "custody.admitted" => {
                if let Some(det) = detained.remove(&key) {
                    if e.at.duration_since(det).as_hours() < 24 {
                        on_time += 1;
                    } else {
                        late += 1;
                    }
                }
            }
            _ => {}
        }
    }
    let share = late * 1000 / (on_time + late);
    assert!(
        (40..=130).contains(&share),
        "{late} late of {}",
        on_time + late
    );
}

#[test]
fn cases_near_now_are_still_open() {
    let evs = parsed(2000, 21);
    let last_case = evs.last().unwrap().case.as_str().to_owned();
    let types: Vec<&str> = evs
        .iter()
        .filter(|e| e.case.as_str() == last_case)
        .map(|e| e.event_type.as_str())
        .collect();
    assert!(
        !types.contains(&"case.closed") && !types.contains(&"case.transferred"),
        "{types:?}"
    );
}

/// The binary form the store keeps beside the log gives back exactly what validation made of each
/// event, and so does re-parsing the canonical JSON (the two ways the store reads events back).
#[test]
fn every_event_survives_the_binary_form_and_the_canonical_json() {
    let events = parsed(300, 11);
    let back =
        casewatch_core::event::binary::decode(&casewatch_core::event::binary::encode(&events))
            .expect("decodes");
    assert_eq!(back, events);
    for e in &events {
        let v: Value = serde_json::from_str(&e.canonical_json()).unwrap();
        assert_eq!(
            &Event::parse(&v, ParseOptions { now: None }).unwrap(),
            e,
            "{}",
            e.canonical_json()
        );
    }
}

/// The canonical text (what the hash chain covers) is byte for byte what the first
/// implementation wrote: a map of the present fields, keys sorted at every depth, serde_json's
/// escaping. Kept here as the reference the faster writer is held to.
#[test]
fn the_canonical_text_is_unchanged() {
    fn reference(e: &Event) -> String {
        fn write(v: &Value, out: &mut String) {
            match v {
                Value::Object(m) => {
                    let mut keys: Vec<&String> = m.keys().collect();
                    keys.sort();
                    out.push('{');
                    for (i, k) in keys.iter().enumerate() {
                        if i > 0 {
                            out.push(',');
                        }
                        out.push_str(&Value::String((*k).clone()).to_string());
                        out.push(':');
                        write(&m[*k], out);
                    }
                    out.push('}');
                }
                Value::Array(a) => {
                    out.push('[');
                    for (i, x) in a.iter().enumerate() {
                        if i > 0 {
                            out.push(',');
                        }
                        write(x, out);
                    }
                    out.push(']');
                }
                other => out.push_str(&other.to_string()),
            }
        }
        let mut m = serde_json::Map::new();
        m.insert("id".into(), Value::String(e.id.to_string()));
        m.insert("type".into(), Value::String(e.event_type.to_string()));
        m.insert("case".into(), Value::String(e.case.to_string()));
        if let Some(s) = &e.subject {
            m.insert("subject".into(), Value::String(s.to_string()));
        }
        m.insert(
            "at".into(),
            Value::String(casewatch_core::time::format_instant(e.at)),
        );
        if let Some(u) = &e.unit {
            m.insert("unit".into(), Value::String(u.to_string()));
        }
        if let Some(o) = &e.officer {
            m.insert("officer".into(), Value::String(o.to_string()));
        }
        if !e.data.is_empty() {
            m.insert("data".into(), Value::Object(e.data.to_map()));
        }
        let mut out = String::new();
        write(&Value::Object(m), &mut out);
        out
    }
    let mut events = parsed(300, 5);
    let odd = serde_json::json!({
        "id": "E-odd", "type": "x-note", "case": "C-1", "subject": "引号\"与\\反斜杠",
        "at": "2026-03-02T10:23:45.5+08:00", "unit": "U-1", "officer": "O-1",
        "data": {"z": [1.5, -2, null, true, {"b": "\n", "a": "é"}], "a": "\u{7f}\u{1}"}
    });
    events.push(Event::parse(&odd, ParseOptions { now: None }).expect("valid"));
    for e in &events {
        assert_eq!(e.canonical_json(), reference(e));
        let (text, hash) = e.canonical_json_and_hash();
        assert_eq!(
            (text, hash.as_str()),
            (reference(e), e.content_hash().as_str())
        );
    }
}
