//! The typed facts against the CEL values the engine built before they existed, on generated
//! cases.

use std::collections::HashMap;

use casewatch_core::Event;
use casewatch_core::ledger::CaseLedger;
use casewatch_core::time::format_instant;
use cel::Value;
use jiff::Timestamp;
use proptest::prelude::*;

use super::world::{Vocab, run_worlds};
use super::{
    CaseField, EventField, SubjectField, case_value, event_value, measure_name, subject_value,
};
use crate::time::date_of;

/// The CEL values as the engine built them before the typed facts: the oracle.
mod legacy {
    use super::*;

    type Fields = HashMap<String, Value>;

    fn s(v: &str) -> Value {
        Value::String(v.to_owned().into())
    }

    fn put(m: &mut Fields, k: &str, v: Value) {
        m.insert(k.to_owned(), v);
    }

    fn put_opt(m: &mut Fields, k: &str, v: Option<&str>) {
        if let Some(v) = v {
            put(m, k, s(v));
        }
    }

    pub fn json_to_cel(v: &serde_json::Value) -> Value {
        match v {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(i) => Value::Int(i),
                None => Value::Float(n.as_f64().unwrap_or(0.0)),
            },
            serde_json::Value::String(x) => s(x),
            serde_json::Value::Array(a) => {
                Value::List(a.iter().map(json_to_cel).collect::<Vec<_>>().into())
            }
            serde_json::Value::Object(o) => {
                let m: Fields = o
                    .iter()
                    .filter(|(_, v)| !v.is_null())
                    .map(|(k, v)| (k.clone(), json_to_cel(v)))
                    .collect();
                Value::from(m)
            }
        }
    }

    pub fn event_value(e: &Event) -> Value {
        let mut m = Fields::new();
        put(&mut m, "id", s(e.id.as_str()));
        put(&mut m, "type", s(e.event_type.as_str()));
        put(&mut m, "at", s(&format_instant(e.at)));
        put(&mut m, "date", s(&date_of(e.at).to_string()));
        put_opt(&mut m, "subject", e.subject.as_ref().map(|x| x.as_str()));
        put_opt(&mut m, "unit", e.unit.as_ref().map(|x| x.as_str()));
        put_opt(&mut m, "officer", e.officer.as_ref().map(|x| x.as_str()));
        put(
            &mut m,
            "data",
            json_to_cel(&serde_json::Value::Object(e.data.to_map())),
        );
        Value::from(m)
    }

    pub fn case_value(l: &CaseLedger, has_complainant: bool) -> Value {
        let mut m = Fields::new();
        put(&mut m, "id", s(&l.case_id));
        put_opt(&mut m, "kind", l.kind.as_deref());
        put_opt(&mut m, "cause", l.cause.as_deref());
        put_opt(&mut m, "stage", l.stage.map(|st| st.as_str()));
        put(&mut m, "serious", Value::Bool(l.serious));
        put(&mut m, "accepted", Value::Bool(l.accepted_at.is_some()));
        put(&mut m, "filed", Value::Bool(l.filed_at.is_some()));
        if let Some(t) = l.accepted_at {
            put(&mut m, "accepted_date", s(&date_of(t.0).to_string()));
        }
        if let Some(t) = l.filed_at {
            put(&mut m, "filed_date", s(&date_of(t.0).to_string()));
        }
        put(&mut m, "on_scene", Value::Bool(l.on_scene));
        put(&mut m, "has_complainant", Value::Bool(has_complainant));
        put(
            &mut m,
            "n_recordings",
            Value::Int(i64::try_from(l.recordings.len()).unwrap_or(i64::MAX)),
        );
        put(
            &mut m,
            "n_persons",
            Value::Int(i64::try_from(l.persons.len()).unwrap_or(i64::MAX)),
        );
        Value::from(m)
    }

    pub fn subject_value(l: &CaseLedger, subject: &str, at: Timestamp) -> Option<Value> {
        let mut m = Fields::new();
        put(&mut m, "id", s(subject));
        if let Some(p) = l.persons.get(subject) {
            put(&mut m, "kind", s("person"));
            put_opt(&mut m, "role", p.role.as_deref());
            put_opt(&mut m, "name", p.name.as_deref());
            let age = p
                .birth_date
                .as_deref()
                .and_then(|b| crate::facts::age_on(b, at));
            if let Some(a) = age {
                put(&mut m, "age", Value::Int(a));
            }
            put(&mut m, "minor", Value::Bool(age.is_some_and(|a| a < 18)));
            put_opt(&mut m, "measure", p.measure.map(measure_name));
            let ever: Vec<Value> = p
                .measures
                .iter()
                .map(|sp| s(measure_name(sp.measure)))
                .collect();
            put(&mut m, "measures_ever", Value::List(ever.into()));
            put(&mut m, "in_custody", Value::Bool(p.in_custody));
            put(&mut m, "ever_in_custody", Value::Bool(p.ever_in_custody));
            put(
                &mut m,
                "interrogations",
                Value::Int(i64::from(p.interrogations)),
            );
            let stay = l
                .area_stays
                .iter()
                .rev()
                .find(|st| st.subject == subject && st.exited_at.is_none());
            put(&mut m, "in_area", Value::Bool(stay.is_some()));
            put(
                &mut m,
                "area_safety_checked",
                Value::Bool(stay.is_some_and(|st| st.safety_checked)),
            );
            put(
                &mut m,
                "area_info_collected",
                Value::Bool(stay.is_some_and(|st| st.info_collected)),
            );
            put(
                &mut m,
                "area_health_checked",
                Value::Bool(stay.is_some_and(|st| st.health_checked)),
            );
        } else if let Some(p) = l.property.get(subject) {
            put(&mut m, "kind", s("property"));
            put(&mut m, "state", s(&p.state));
            put_opt(&mut m, "category", p.category.as_deref());
            put_opt(&mut m, "seize_kind", p.kind.as_deref());
        } else if let Some(f) = l.freezes.get(subject) {
            put(&mut m, "kind", s("freeze"));
            put(&mut m, "state", s(&f.state));
        } else {
            return None;
        }
        Some(Value::from(m))
    }
}

#[test]
fn the_typed_facts_give_the_cel_values_the_engine_always_gave() {
    run_worlds(&Vocab::default(), 2000, |w| {
        let e = w.event();
        prop_assert_eq!(event_value(&e), legacy::event_value(&e));
        let l = w.ledger();
        prop_assert_eq!(
            case_value(&l, w.has_complainant),
            legacy::case_value(&l, w.has_complainant)
        );
        for id in w.subjects.iter().map(|(id, _)| id).chain([&w.subject]) {
            prop_assert_eq!(
                subject_value(&l, id, e.at),
                legacy::subject_value(&l, id, e.at)
            );
        }
        let v = serde_json::Value::Object(w.data.clone());
        prop_assert_eq!(super::json_to_cel(&v), legacy::json_to_cel(&v));
        Ok(())
    });
}

#[test]
fn the_field_names_are_those_documented() {
    assert_eq!(
        EventField::NAMES,
        [
            "id", "type", "at", "date", "subject", "unit", "officer", "data"
        ]
    );
    assert_eq!(
        CaseField::NAMES,
        [
            "id",
            "kind",
            "cause",
            "stage",
            "serious",
            "accepted",
            "filed",
            "accepted_date",
            "filed_date",
            "on_scene",
            "has_complainant",
            "n_recordings",
            "n_persons",
        ]
    );
    assert_eq!(
        SubjectField::NAMES,
        [
            "id",
            "kind",
            "role",
            "name",
            "age",
            "minor",
            "measure",
            "measures_ever",
            "in_custody",
            "ever_in_custody",
            "interrogations",
            "in_area",
            "area_safety_checked",
            "area_info_collected",
            "area_health_checked",
            "state",
            "category",
            "seize_kind",
        ]
    );
    for (all, names) in [
        (
            EventField::ALL.iter().map(|f| f.name()).collect::<Vec<_>>(),
            EventField::NAMES,
        ),
        (
            CaseField::ALL.iter().map(|f| f.name()).collect(),
            CaseField::NAMES,
        ),
        (
            SubjectField::ALL.iter().map(|f| f.name()).collect(),
            SubjectField::NAMES,
        ),
    ] {
        assert_eq!(all, names);
    }
    assert_eq!(EventField::parse("data"), Some(EventField::Data));
    assert_eq!(CaseField::parse("nope"), None);
}
