//! The facts a condition sees: the event, the clock's start event, the case and the subject, taken
//! from the case ledger as it stood before the event.
//!
//! They are held typed and borrowed ([`Facts`]): the native conditions of the predicate module
//! read them field by field, and the interpreter gets CEL values built from them
//! ([`EventFacts::to_cel`] and the like) only when it is asked. The CEL values are made from the
//! typed accessors, so both see the same names and the same semantics.
//!
//! Invariant: a fact that is unknown is absent (`get` gives `None`, the CEL map has no such key,
//! `has()` is false); booleans that are unknown are `false`.

use std::borrow::Cow;
use std::collections::HashMap;

use casewatch_core::event_type::FieldKind;
use casewatch_core::ledger::{CaseLedger, Measure, MeasureSpan};
use casewatch_core::{Event, EventType};
use cel::Value;
use jiff::Timestamp;

use crate::time::date_of;

mod variables;

pub use variables::{CaseFacts, CaseField, EventFacts, EventField, SubjectFacts, SubjectField};

type Fields = HashMap<String, Value>;

fn s(v: &str) -> Value {
    Value::String(v.to_owned().into())
}

fn put(m: &mut Fields, k: &str, v: Value) {
    m.insert(k.to_owned(), v);
}

/// One fact as a condition sees it: the typed counterpart of a CEL value.
#[derive(Debug, Clone, PartialEq)]
pub enum Fact<'a> {
    /// `null` (only as an element of a list: `null` members of objects are absent).
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A JSON number that is not an `i64`.
    Float(f64),
    /// A string; owned when computed (dates, instants).
    Str(Cow<'a, str>),
    /// A list.
    List(FactList<'a>),
    /// A JSON object.
    Map(FactMap<'a>),
}

fn text(v: &str) -> Fact<'_> {
    Fact::Str(Cow::Borrowed(v))
}

impl<'a> Fact<'a> {
    /// A JSON value as a fact, as [`json_to_cel`] converts it.
    pub fn from_json(v: &'a serde_json::Value) -> Fact<'a> {
        match v {
            serde_json::Value::Null => Fact::Null,
            serde_json::Value::Bool(b) => Fact::Bool(*b),
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(i) => Fact::Int(i),
                None => Fact::Float(n.as_f64().unwrap_or(0.0)),
            },
            serde_json::Value::String(x) => text(x),
            serde_json::Value::Array(a) => Fact::List(FactList::Json(a)),
            serde_json::Value::Object(o) => Fact::Map(FactMap::Json(o)),
        }
    }

    /// The CEL value of this fact.
    pub fn to_cel(&self) -> Value {
        match self {
            Fact::Null => Value::Null,
            Fact::Bool(b) => Value::Bool(*b),
            Fact::Int(i) => Value::Int(*i),
            Fact::Float(f) => Value::Float(*f),
            Fact::Str(x) => s(x),
            Fact::List(l) => Value::List(l.iter().map(|x| x.to_cel()).collect::<Vec<_>>().into()),
            Fact::Map(m) => Value::from(
                m.iter()
                    .map(|(k, v)| (k.to_owned(), v.to_cel()))
                    .collect::<Fields>(),
            ),
        }
    }
}

/// A list fact, borrowed from where it is kept.
#[derive(Debug, Clone, Copy)]
pub enum FactList<'a> {
    /// A JSON array.
    Json(&'a [serde_json::Value]),
    /// A person's measures, as their wire names (`measures_ever`).
    Measures(&'a [MeasureSpan]),
}

impl PartialEq for FactList<'_> {
    /// Element by element, as the facts themselves compare (for tests; CEL equality is the
    /// predicate module's).
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().zip(other.iter()).all(|(a, b)| a == b)
    }
}

impl<'a> FactList<'a> {
    /// The number of elements.
    pub fn len(&self) -> usize {
        match self {
            FactList::Json(a) => a.len(),
            FactList::Measures(m) => m.len(),
        }
    }

    /// Whether the list has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The elements in order.
    pub fn iter(&self) -> impl Iterator<Item = Fact<'a>> + use<'a> {
        let (json, measures): (&'a [serde_json::Value], &'a [MeasureSpan]) = match *self {
            FactList::Json(a) => (a, &[]),
            FactList::Measures(m) => (&[], m),
        };
        json.iter()
            .map(Fact::from_json)
            .chain(measures.iter().map(|sp| text(measure_name(sp.measure))))
    }
}

/// A JSON object fact: an event's `data` or an object inside it. Its `null` members are absent,
/// so that `has()` means "known".
#[derive(Debug, Clone, Copy)]
pub enum FactMap<'a> {
    /// An object inside `data`.
    Json(&'a serde_json::Map<String, serde_json::Value>),
    /// An event's `data` itself.
    Data(&'a casewatch_core::event::Data),
}

impl PartialEq for FactMap<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().all(|(k, v)| other.get(k).as_ref() == Some(&v))
    }
}

impl<'a> FactMap<'a> {
    /// The member `key`, unless it is absent or `null`.
    pub fn get(&self, key: &str) -> Option<Fact<'a>> {
        match *self {
            Self::Json(m) => casewatch_core::event::member(m, key),
            Self::Data(d) => d.get(key),
        }
        .filter(|v| !v.is_null())
        .map(Fact::from_json)
    }

    /// Every member, `null` ones included.
    fn members(&self) -> impl Iterator<Item = (&'a str, &'a serde_json::Value)> + use<'a> {
        let (json, data) = match *self {
            Self::Json(m) => (Some(m), None),
            Self::Data(d) => (None, Some(d)),
        };
        json.into_iter()
            .flat_map(|m| m.iter().map(|(k, v)| (k.as_str(), v)))
            .chain(data.into_iter().flat_map(casewatch_core::event::Data::iter))
    }

    /// The number of members that are not `null`.
    pub fn len(&self) -> usize {
        self.members().filter(|(_, v)| !v.is_null()).count()
    }

    /// Whether every member is `null`.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The members that are not `null`.
    pub fn iter(&self) -> impl Iterator<Item = (&'a str, Fact<'a>)> + use<'a> {
        self.members()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| (k, Fact::from_json(v)))
    }
}

/// Everything a condition may see. A variable that is `None` is not declared: naming it is an
/// error, as in CEL.
#[derive(Debug, Clone, Copy, Default)]
pub struct Facts<'a> {
    /// `event`.
    pub event: Option<EventFacts<'a>>,
    /// `start`: the clock's start event, in stop, extend and limit expressions.
    pub start: Option<EventFacts<'a>>,
    /// `case`.
    pub case: Option<CaseFacts<'a>>,
    /// `subject`, when the event has one the case knows.
    pub subject: Option<SubjectFacts<'a>>,
}

/// JSON to CEL; `null` members are dropped so that `has()` means "known".
pub fn json_to_cel(v: &serde_json::Value) -> Value {
    Fact::from_json(v).to_cel()
}

/// `event` (or `start`): the event's own fields.
pub fn event_value(e: &Event) -> Value {
    EventFacts::new(e).to_cel()
}

/// `case`: the case as it stood. `has_complainant` looks at the whole history.
pub fn case_value(l: &CaseLedger, has_complainant: bool) -> Value {
    CaseFacts::new(l, has_complainant).to_cel()
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
    SubjectFacts::new(l, subject, at).map(|f| f.to_cel())
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

#[cfg(test)]
mod tests;
#[cfg(test)]
pub(crate) mod world;
