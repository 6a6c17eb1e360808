//! The facts a condition sees, as CEL values: the event, the clock's start event, the case and
//! the subject, taken from the case ledger as it stood before the event.

use std::collections::HashMap;

use casewatch_core::event_type::FieldKind;
use casewatch_core::ledger::{CaseLedger, Measure};
use casewatch_core::time::format_instant;
use casewatch_core::{Event, EventType};
use cel::Value;
use jiff::Timestamp;

use crate::time::date_of;

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

/// JSON to CEL; `null` members are dropped so that `has()` means "known".
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

/// `event` (or `start`): the event's own fields.
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
        json_to_cel(&serde_json::Value::Object(e.data.clone())),
    );
    Value::from(m)
}

/// `case`: the case as it stood. `has_complainant` looks at the whole history.
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

/// The wire name of a measure.
pub fn measure_name(m: Measure) -> &'static str {
    match m {
        Measure::Summons => "summons",
        Measure::CompelledAppearance => "compelled_appearance",
        Measure::Questioning => "questioning",
        Measure::CriminalDetention => "criminal_detention",
        Measure::Arrest => "arrest",
        Measure::Bail => "bail",
        Measure::Surveillance => "surveillance",
        Measure::DesignatedSurveillance => "designated_surveillance",
        Measure::AdministrativeDetention => "administrative_detention",
    }
}

/// Whole years of age on the China date of `at`, from `YYYY-MM-DD`.
pub fn age_on(birth_date: &str, at: Timestamp) -> Option<i64> {
    let birth: jiff::civil::Date = birth_date.parse().ok()?;
    let day = date_of(at);
    let mut years = i64::from(day.year()) - i64::from(birth.year());
    // Not yet had this year's birthday (29 February counts as reached on 1 March).
    if (day.month(), day.day()) < (birth.month(), birth.day()) {
        years -= 1;
    }
    Some(years.max(0))
}

/// `subject`: a person, an item of property or a freeze, as the ledger holds it; `None` for a
/// subject the case does not know yet.
pub fn subject_value(l: &CaseLedger, subject: &str, at: Timestamp) -> Option<Value> {
    let mut m = Fields::new();
    put(&mut m, "id", s(subject));
    if let Some(p) = l.persons.get(subject) {
        put(&mut m, "kind", s("person"));
        put_opt(&mut m, "role", p.role.as_deref());
        put_opt(&mut m, "name", p.name.as_deref());
        let age = p.birth_date.as_deref().and_then(|b| age_on(b, at));
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

/// A sample value of a data field's type, for the prototype run that type-checks conditions.
fn sample(kind: FieldKind) -> Value {
    match kind {
        FieldKind::Str | FieldKind::NonEmptyStr => s("示例"),
        FieldKind::Bool => Value::Bool(false),
        FieldKind::OneOf(allowed) => s(allowed.first().copied().unwrap_or("")),
        FieldKind::IntOneOf(allowed) => Value::Int(allowed.first().copied().unwrap_or(1)),
        FieldKind::PositiveInt => Value::Int(1),
        FieldKind::NonNegativeNumber => Value::Float(1.0),
        FieldKind::Date => s("2000-01-01"),
        FieldKind::Instant => s("2026-01-01T00:00:00+08:00"),
        FieldKind::StrArray => Value::List(vec![s("O-1"), s("O-2")].into()),
        FieldKind::EventId => s("e-1"),
    }
}

/// A prototype `event` for the given types: every field present, with a value of its type.
pub fn prototype_event(types: &[EventType]) -> Value {
    let mut data = Fields::new();
    for t in types {
        for f in t.fields() {
            data.entry(f.name.to_owned())
                .or_insert_with(|| sample(f.kind));
        }
    }
    let mut m = Fields::new();
    for k in ["id", "type", "at", "subject", "unit", "officer"] {
        put(&mut m, k, s("x"));
    }
    put(&mut m, "date", s("2026-01-01"));
    put(&mut m, "data", Value::from(data));
    Value::from(m)
}

/// A prototype `case`.
pub fn prototype_case() -> Value {
    let mut m = Fields::new();
    for k in [
        "id",
        "kind",
        "cause",
        "stage",
        "accepted_date",
        "filed_date",
    ] {
        put(&mut m, k, s("x"));
    }
    for k in [
        "serious",
        "accepted",
        "filed",
        "on_scene",
        "has_complainant",
    ] {
        put(&mut m, k, Value::Bool(false));
    }
    put(&mut m, "n_recordings", Value::Int(0));
    put(&mut m, "n_persons", Value::Int(0));
    Value::from(m)
}

/// A prototype `subject` with the fields of persons, property and freezes together.
pub fn prototype_subject() -> Value {
    let mut m = Fields::new();
    for k in [
        "id",
        "kind",
        "role",
        "name",
        "measure",
        "state",
        "category",
        "seize_kind",
    ] {
        put(&mut m, k, s("x"));
    }
    for k in [
        "minor",
        "in_custody",
        "ever_in_custody",
        "in_area",
        "area_safety_checked",
        "area_info_collected",
        "area_health_checked",
    ] {
        put(&mut m, k, Value::Bool(false));
    }
    put(&mut m, "age", Value::Int(30));
    put(&mut m, "interrogations", Value::Int(0));
    put(
        &mut m,
        "measures_ever",
        Value::List(vec![s("arrest")].into()),
    );
    Value::from(m)
}
