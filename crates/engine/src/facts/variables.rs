//! The variables a condition sees (`event`, `start`, `case`, `subject`): their fields, and each
//! variable's facts read from the event or the case ledger, field by field.

use std::borrow::Cow;

use casewatch_core::Event;
use casewatch_core::ledger::{AreaStay, CaseLedger, Freeze, Person, Property};
use casewatch_core::time::format_instant;
use cel::Value;
use jiff::Timestamp;

use super::{Fact, FactList, FactMap, Fields, age_on, measure_name, put, text};
use crate::time::date_of;

/// Declares the fields of one variable: an enum with their CEL names.
macro_rules! fields {
    (
        $(#[$doc:meta])*
        $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal,)* }
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vdoc])* $variant,)*
        }

        impl $name {
            /// Every field.
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];
            /// The CEL names, in the order of [`Self::ALL`].
            pub const NAMES: &'static [&'static str] = &[$($text,)*];

            /// The CEL name.
            pub fn name(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)*
                }
            }

            /// The field with this CEL name.
            pub fn parse(name: &str) -> Option<Self> {
                match name {
                    $($text => Some($name::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

fields! {
    /// The fields of `event` and `start`.
    EventField {
        /// The sender's event id.
        Id = "id",
        /// The event type.
        Type = "type",
        /// RFC 3339, +08:00.
        At = "at",
        /// `YYYY-MM-DD`, Shanghai.
        Date = "date",
        /// The subject, when the event has one.
        Subject = "subject",
        /// The acting unit, when given.
        Unit = "unit",
        /// The acting officer, when given.
        Officer = "officer",
        /// The event's data.
        Data = "data",
    }
}

fields! {
    /// The fields of `case`.
    CaseField {
        /// The case id.
        Id = "id",
        /// `criminal` or `administrative`, once known.
        Kind = "kind",
        /// 案由, once known.
        Cause = "cause",
        /// The procedural stage, once known.
        Stage = "stage",
        /// Marked as serious.
        Serious = "serious",
        /// Accepted (受案).
        Accepted = "accepted",
        /// Filed (立案).
        Filed = "filed",
        /// The acceptance date, when accepted.
        AcceptedDate = "accepted_date",
        /// The filing date, when filed.
        FiledDate = "filed_date",
        /// A `report.received` had `on_scene`.
        OnScene = "on_scene",
        /// A complainant at any time in the history.
        HasComplainant = "has_complainant",
        /// Recordings so far.
        NRecordings = "n_recordings",
        /// Persons so far.
        NPersons = "n_persons",
    }
}

fields! {
    /// The fields of `subject`: persons, property and freezes share one namespace; `kind` tells.
    SubjectField {
        /// The subject id.
        Id = "id",
        /// `person`, `property` or `freeze`.
        Kind = "kind",
        /// A person's role.
        Role = "role",
        /// A person's name.
        Name = "name",
        /// A person's age in whole years at the event's date, when the birth date is known.
        Age = "age",
        /// A person under 18 at the event's date.
        Minor = "minor",
        /// A person's current measure.
        Measure = "measure",
        /// Every measure a person has been under.
        MeasuresEver = "measures_ever",
        /// A person in custody now.
        InCustody = "in_custody",
        /// A person ever in custody.
        EverInCustody = "ever_in_custody",
        /// Interrogations of a person before this event.
        Interrogations = "interrogations",
        /// A person inside the handling area.
        InArea = "in_area",
        /// Safety check done during the current stay.
        AreaSafetyChecked = "area_safety_checked",
        /// Information collected during the current stay.
        AreaInfoCollected = "area_info_collected",
        /// Health check done during the current stay.
        AreaHealthChecked = "area_health_checked",
        /// The state of property or a freeze.
        State = "state",
        /// The category of property.
        Category = "category",
        /// How property was taken (seize, seal, …).
        SeizeKind = "seize_kind",
    }
}

/// Builds the CEL map of a variable from its present fields.
fn fields_to_cel<'a, F: Copy>(
    all: &[F],
    name: impl Fn(F) -> &'static str,
    get: impl Fn(F) -> Option<Fact<'a>>,
) -> Value {
    let mut m = Fields::with_capacity(all.len());
    for &f in all {
        if let Some(v) = get(f) {
            put(&mut m, name(f), v.to_cel());
        }
    }
    Value::from(m)
}

/// `event` (or `start`): the event's own fields.
#[derive(Debug, Clone, Copy)]
pub struct EventFacts<'a> {
    event: &'a Event,
}

impl<'a> EventFacts<'a> {
    /// The facts of `event`.
    pub fn new(event: &'a Event) -> Self {
        EventFacts { event }
    }

    /// A field, or `None` when it is unknown.
    pub fn get(&self, field: EventField) -> Option<Fact<'a>> {
        let e = self.event;
        match field {
            EventField::Id => Some(text(e.id.as_str())),
            EventField::Type => Some(text(e.event_type.as_str())),
            EventField::At => Some(Fact::Str(Cow::Owned(format_instant(e.at)))),
            EventField::Date => Some(Fact::Str(Cow::Owned(date_of(e.at).to_string()))),
            EventField::Subject => e.subject.as_ref().map(|x| text(x.as_str())),
            EventField::Unit => e.unit.as_ref().map(|x| text(x.as_str())),
            EventField::Officer => e.officer.as_ref().map(|x| text(x.as_str())),
            EventField::Data => Some(Fact::Map(FactMap::Data(&e.data))),
        }
    }

    /// The CEL value.
    pub fn to_cel(&self) -> Value {
        fields_to_cel(EventField::ALL, EventField::name, |f| self.get(f))
    }
}

/// `case`: the case as it stood.
#[derive(Debug, Clone, Copy)]
pub struct CaseFacts<'a> {
    ledger: &'a CaseLedger,
    has_complainant: bool,
}

fn count(n: usize) -> Fact<'static> {
    Fact::Int(i64::try_from(n).unwrap_or(i64::MAX))
}

impl<'a> CaseFacts<'a> {
    /// The facts of the case in `ledger`; `has_complainant` looks at the whole history.
    pub fn new(ledger: &'a CaseLedger, has_complainant: bool) -> Self {
        CaseFacts {
            ledger,
            has_complainant,
        }
    }

    /// A field, or `None` when it is unknown.
    pub fn get(&self, field: CaseField) -> Option<Fact<'a>> {
        let l = self.ledger;
        let date = |t: Option<casewatch_core::ledger::Instant>| {
            t.map(|t| Fact::Str(Cow::Owned(date_of(t.0).to_string())))
        };
        match field {
            CaseField::Id => Some(text(&l.case_id)),
            CaseField::Kind => l.kind.as_deref().map(text),
            CaseField::Cause => l.cause.as_deref().map(text),
            CaseField::Stage => l.stage.map(|st| text(st.as_str())),
            CaseField::Serious => Some(Fact::Bool(l.serious)),
            CaseField::Accepted => Some(Fact::Bool(l.accepted_at.is_some())),
            CaseField::Filed => Some(Fact::Bool(l.filed_at.is_some())),
            CaseField::AcceptedDate => date(l.accepted_at),
            CaseField::FiledDate => date(l.filed_at),
            CaseField::OnScene => Some(Fact::Bool(l.on_scene)),
            CaseField::HasComplainant => Some(Fact::Bool(self.has_complainant)),
            CaseField::NRecordings => Some(count(l.recordings.len())),
            CaseField::NPersons => Some(count(l.persons.len())),
        }
    }

    /// The CEL value.
    pub fn to_cel(&self) -> Value {
        fields_to_cel(CaseField::ALL, CaseField::name, |f| self.get(f))
    }
}

/// `subject`: a person, an item of property or a freeze, as the ledger holds it.
#[derive(Debug, Clone, Copy)]
pub struct SubjectFacts<'a> {
    id: &'a str,
    /// The event's instant, at which ages are counted.
    at: Timestamp,
    kind: SubjectKind<'a>,
}

#[derive(Debug, Clone, Copy)]
enum SubjectKind<'a> {
    Person {
        person: &'a Person,
        /// The person's open stay in the handling area.
        stay: Option<&'a AreaStay>,
    },
    Property(&'a Property),
    Freeze(&'a Freeze),
}

impl<'a> SubjectFacts<'a> {
    /// The facts of `subject` in `ledger` at the instant `at`; `None` for a subject the case
    /// does not know yet.
    pub fn new(ledger: &'a CaseLedger, subject: &str, at: Timestamp) -> Option<Self> {
        let (id, kind) = if let Some((id, person)) = ledger.persons.get_key_value(subject) {
            let stay = ledger
                .area_stays
                .iter()
                .rev()
                .find(|st| st.subject == subject && st.exited_at.is_none());
            (id, SubjectKind::Person { person, stay })
        } else if let Some((id, p)) = ledger.property.get_key_value(subject) {
            (id, SubjectKind::Property(p))
        } else if let Some((id, f)) = ledger.freezes.get_key_value(subject) {
            (id, SubjectKind::Freeze(f))
        } else {
            return None;
        };
        Some(SubjectFacts { id, at, kind })
    }

    /// A field, or `None` when it is unknown or does not apply to this kind of subject.
    pub fn get(&self, field: SubjectField) -> Option<Fact<'a>> {
        use SubjectField as F;
        match (self.kind, field) {
            (_, F::Id) => Some(text(self.id)),
            (SubjectKind::Person { .. }, F::Kind) => Some(text("person")),
            (SubjectKind::Property(_), F::Kind) => Some(text("property")),
            (SubjectKind::Freeze(_), F::Kind) => Some(text("freeze")),
            (SubjectKind::Person { person, stay }, f) => {
                let stay_has =
                    |check: fn(&AreaStay) -> bool| Some(Fact::Bool(stay.is_some_and(check)));
                match f {
                    F::Role => person.role.as_deref().map(text),
                    F::Name => person.name.as_deref().map(text),
                    F::Age => self.age(person).map(Fact::Int),
                    F::Minor => Some(Fact::Bool(self.age(person).is_some_and(|a| a < 18))),
                    F::Measure => person.measure.map(|m| text(measure_name(m))),
                    F::MeasuresEver => Some(Fact::List(FactList::Measures(&person.measures))),
                    F::InCustody => Some(Fact::Bool(person.in_custody)),
                    F::EverInCustody => Some(Fact::Bool(person.ever_in_custody)),
                    F::Interrogations => Some(Fact::Int(i64::from(person.interrogations))),
                    F::InArea => Some(Fact::Bool(stay.is_some())),
                    F::AreaSafetyChecked => stay_has(|st| st.safety_checked),
                    F::AreaInfoCollected => stay_has(|st| st.info_collected),
                    F::AreaHealthChecked => stay_has(|st| st.health_checked),
                    _ => None,
                }
            }
            (SubjectKind::Property(p), F::State) => Some(text(&p.state)),
            (SubjectKind::Property(p), F::Category) => p.category.as_deref().map(text),
            (SubjectKind::Property(p), F::SeizeKind) => p.kind.as_deref().map(text),
            (SubjectKind::Freeze(f), F::State) => Some(text(&f.state)),
            _ => None,
        }
    }

    fn age(&self, person: &Person) -> Option<i64> {
        person
            .birth_date
            .as_deref()
            .and_then(|b| age_on(b, self.at))
    }

    /// The CEL value.
    pub fn to_cel(&self) -> Value {
        fields_to_cel(SubjectField::ALL, SubjectField::name, |f| self.get(f))
    }
}
