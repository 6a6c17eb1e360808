//! Generated cases at one event, for property tests of the facts and of the conditions over
//! them: a case ledger, an event, maybe a clock's start event and the subject a condition sees,
//! with JSON data of every shape.

use casewatch_core::ids::{CaseId, EventId, Ref};
use casewatch_core::ledger::{
    AreaStay, CaseLedger, Freeze, Instant, Measure, MeasureSpan, Person, Property, Recording, Stage,
};
use casewatch_core::{Event, EventType};
use jiff::Timestamp;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::{Config, RngSeed, TestRunner};

/// What the generator may put where: object keys, strings and integers, usually taken from the
/// expressions under test so that their comparisons hit.
#[derive(Debug, Clone)]
pub(crate) struct Vocab {
    pub keys: Vec<String>,
    pub strings: Vec<String>,
    pub ints: Vec<i64>,
}

impl Default for Vocab {
    fn default() -> Self {
        let own = |xs: &[&str]| xs.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
        Vocab {
            keys: own(&["kind", "days", "officers", "list", "obj", "measure", "x"]),
            strings: own(&["", "x", "示例", "seize", "criminal", "O-1", "O-2"]),
            ints: vec![0, 1, 2, 6, 18, 24],
        }
    }
}

/// A person, an item of property or a freeze, as plain data.
#[derive(Debug, Clone)]
pub(crate) enum SubjectSpec {
    Person {
        role: Option<String>,
        name: Option<String>,
        birth_date: Option<String>,
        measure: Option<Measure>,
        measures: Vec<Measure>,
        in_custody: bool,
        ever_in_custody: bool,
        interrogations: u32,
        /// (safety checked, info collected, health checked, exited).
        stay: Option<(bool, bool, bool, bool)>,
    },
    Property {
        state: String,
        category: Option<String>,
        kind: Option<String>,
    },
    Freeze {
        state: String,
    },
}

/// A generated case at one event, as plain data (so that a failing one prints readably).
#[derive(Debug, Clone)]
pub(crate) struct World {
    /// Seconds from 2026-01-01T00:00:00+08:00.
    pub at: i64,
    pub event_subject: Option<String>,
    pub unit: Option<String>,
    pub officer: Option<String>,
    pub data: serde_json::Map<String, serde_json::Value>,
    /// The clock's start event: seconds, data.
    pub start: Option<(i64, serde_json::Map<String, serde_json::Value>)>,
    pub kind: Option<String>,
    pub cause: Option<String>,
    pub stage: Option<Stage>,
    pub serious: bool,
    pub on_scene: bool,
    pub accepted_at: Option<i64>,
    pub filed_at: Option<i64>,
    pub has_complainant: bool,
    pub n_recordings: usize,
    pub subjects: Vec<(String, SubjectSpec)>,
    /// The subject the condition sees; may be one the case does not know.
    pub subject: String,
    /// Bind the subject in an inner scope, as `for_each` does, rather than with the event.
    pub subject_inner: bool,
}

const MEASURES: [Measure; 9] = [
    Measure::Summons,
    Measure::CompelledAppearance,
    Measure::Questioning,
    Measure::CriminalDetention,
    Measure::Arrest,
    Measure::Bail,
    Measure::Surveillance,
    Measure::DesignatedSurveillance,
    Measure::AdministrativeDetention,
];

fn instant(secs: i64) -> Timestamp {
    // 2026-01-01T00:00:00+08:00
    Timestamp::from_second(1_767_196_800 + secs).unwrap()
}

fn json_leaf(v: &Vocab) -> BoxedStrategy<serde_json::Value> {
    use serde_json::json;
    prop_oneof![
        1 => Just(serde_json::Value::Null),
        2 => any::<bool>().prop_map(serde_json::Value::Bool),
        2 => select(v.ints.clone()).prop_map(|i| json!(i)),
        1 => (-3i64..30).prop_map(|i| json!(i)),
        1 => select(vec![2.5f64, 3.0, -0.0, 18.0, 1e20]).prop_map(|f| json!(f)),
        1 => Just(json!(u64::MAX)),
        4 => select(v.strings.clone()).prop_map(serde_json::Value::String),
    ]
    .boxed()
}

/// Usually a leaf, else a list or an object of up to three levels.
fn json(v: &Vocab) -> BoxedStrategy<serde_json::Value> {
    let keys = v.keys.clone();
    let nested = json_leaf(v).prop_recursive(3, 24, 4, move |inner| {
        let keys = keys.clone();
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::Array),
            prop::collection::vec((select(keys), inner), 0..4)
                .prop_map(|kv| serde_json::Value::Object(kv.into_iter().collect())),
        ]
    });
    prop_oneof![3 => json_leaf(v), 1 => nested].boxed()
}

/// Each key of the vocabulary, usually present.
fn data(v: &Vocab) -> BoxedStrategy<serde_json::Map<String, serde_json::Value>> {
    let keys = v.keys.clone();
    prop::collection::vec(prop::option::weighted(0.6, json(v)), keys.len())
        .prop_map(move |values| {
            keys.iter()
                .zip(values)
                .filter_map(|(k, v)| v.map(|v| (k.clone(), v)))
                .collect()
        })
        .boxed()
}

fn opt_str(v: &Vocab) -> BoxedStrategy<Option<String>> {
    prop::option::weighted(0.8, select(v.strings.clone())).boxed()
}

/// Around 2026-01-01, where the pack's dates lie: two years either side.
fn secs() -> BoxedStrategy<i64> {
    prop_oneof![
        -63_072_000i64..63_072_000,
        -172_800i64..172_800,
        Just(-1),
        Just(0),
    ]
    .boxed()
}

fn subject_spec(v: &Vocab) -> BoxedStrategy<SubjectSpec> {
    let birth = prop::option::of(prop_oneof![
        (1990i32..2025, 1u8..13, 1u8..29).prop_map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}")),
        Just("2008-01-01".to_owned()),
        Just("2010-01-01".to_owned()),
        Just("2008-02-29".to_owned()),
        Just("not a date".to_owned()),
    ]);
    let measure = select(MEASURES.to_vec());
    let person = (
        (opt_str(v), opt_str(v), birth),
        (
            prop::option::of(measure.clone()),
            prop::collection::vec(measure, 0..3),
        ),
        (any::<bool>(), any::<bool>(), 0u32..3),
        prop::option::of(any::<(bool, bool, bool, bool)>()),
    )
        .prop_map(
            |(
                (role, name, birth_date),
                (measure, measures),
                (in_custody, ever_in_custody, interrogations),
                stay,
            )| SubjectSpec::Person {
                role,
                name,
                birth_date,
                measure,
                measures,
                in_custody,
                ever_in_custody,
                interrogations,
                stay,
            },
        );
    let property =
        (select(v.strings.clone()), opt_str(v), opt_str(v)).prop_map(|(state, category, kind)| {
            SubjectSpec::Property {
                state,
                category,
                kind,
            }
        });
    let freeze = select(v.strings.clone()).prop_map(|state| SubjectSpec::Freeze { state });
    prop_oneof![3 => person, 1 => property, 1 => freeze].boxed()
}

/// Cases at one event, over the vocabulary `v`.
pub(crate) fn world(v: &Vocab) -> BoxedStrategy<World> {
    let ids = select(vec!["P-1", "P-2", "X-1", "X-2"]).prop_map(str::to_owned);
    let event = (
        secs(),
        prop::option::of(ids.clone()),
        prop::option::of(Just("U-1".to_owned())),
        prop::option::of(select(vec!["O-1".to_owned(), "O-2".to_owned()])),
        data(v),
        prop::option::of((secs(), data(v))),
    );
    let case = (
        (
            prop::option::weighted(
                0.8,
                select(vec![
                    "criminal".to_owned(),
                    "administrative".to_owned(),
                    "x".to_owned(),
                ]),
            ),
            opt_str(v),
            prop::option::of(select(Stage::ALL.to_vec())),
        ),
        (any::<bool>(), any::<bool>(), any::<bool>()),
        (
            prop::option::of(secs()),
            prop::option::of(secs()),
            0usize..3,
        ),
    );
    // Subjects P-1, P-2, … in order; the condition's is usually one of them.
    let subjects = (
        prop::collection::vec(subject_spec(v), 0..4).prop_map(|specs| {
            specs
                .into_iter()
                .enumerate()
                .map(|(i, spec)| (format!("P-{}", i + 1), spec))
                .collect::<Vec<_>>()
        }),
        select(vec!["P-1", "P-1", "P-2", "X-1"]).prop_map(str::to_owned),
        any::<bool>(),
    );
    (event, case, subjects)
        .prop_map(
            |(
                (at, event_subject, unit, officer, data, start),
                (
                    (kind, cause, stage),
                    (serious, on_scene, has_complainant),
                    (accepted_at, filed_at, n_recordings),
                ),
                (subjects, subject, subject_inner),
            )| World {
                at,
                event_subject,
                unit,
                officer,
                data,
                start,
                kind,
                cause,
                stage,
                serious,
                on_scene,
                accepted_at,
                filed_at,
                has_complainant,
                n_recordings,
                subjects,
                subject,
                subject_inner,
            },
        )
        .boxed()
}

impl World {
    /// The event the condition is evaluated on.
    pub(crate) fn event(&self) -> Event {
        Event {
            id: EventId::parse("e-2").unwrap(),
            event_type: EventType::parse("detention.started").unwrap(),
            case: CaseId::parse("C-1").unwrap(),
            subject: self
                .event_subject
                .as_deref()
                .map(|s| Ref::parse(s).unwrap()),
            at: instant(self.at),
            unit: self.unit.as_deref().map(|s| Ref::parse(s).unwrap()),
            officer: self.officer.as_deref().map(|s| Ref::parse(s).unwrap()),
            data: self.data.clone().into(),
        }
    }

    /// The clock's start event, if any.
    pub(crate) fn start_event(&self) -> Option<Event> {
        self.start.as_ref().map(|(at, data)| Event {
            id: EventId::parse("e-1").unwrap(),
            at: instant(*at),
            data: data.clone().into(),
            ..self.event()
        })
    }

    /// The case as it stood.
    pub(crate) fn ledger(&self) -> CaseLedger {
        let mut l = CaseLedger::empty("C-1");
        l.kind = self.kind.clone();
        l.cause = self.cause.clone();
        l.stage = self.stage;
        l.serious = self.serious;
        l.on_scene = self.on_scene;
        l.accepted_at = self.accepted_at.map(|s| Instant(instant(s)));
        l.filed_at = self.filed_at.map(|s| Instant(instant(s)));
        for i in 0..self.n_recordings {
            l.recordings.insert(format!("R-{i}"), Recording::default());
        }
        let t0 = Instant(instant(-86_400));
        for (id, spec) in &self.subjects {
            match spec.clone() {
                SubjectSpec::Person {
                    role,
                    name,
                    birth_date,
                    measure,
                    measures,
                    in_custody,
                    ever_in_custody,
                    interrogations,
                    stay,
                } => {
                    l.persons.insert(
                        id.clone(),
                        Person {
                            role,
                            name,
                            birth_date,
                            measure,
                            measures: measures
                                .into_iter()
                                .map(|measure| MeasureSpan {
                                    measure,
                                    from: t0,
                                    to: None,
                                })
                                .collect(),
                            in_custody,
                            ever_in_custody,
                            interrogations,
                            ..Person::default()
                        },
                    );
                    if let Some((safety, info, health, exited)) = stay {
                        l.area_stays.push(AreaStay {
                            subject: id.clone(),
                            area: None,
                            entered_at: t0,
                            exited_at: exited.then_some(t0),
                            safety_checked: safety,
                            info_collected: info,
                            health_checked: health,
                            to: None,
                        });
                    }
                }
                SubjectSpec::Property {
                    state,
                    category,
                    kind,
                } => {
                    l.property.insert(
                        id.clone(),
                        Property {
                            kind,
                            category,
                            state,
                            ..Property::default()
                        },
                    );
                }
                SubjectSpec::Freeze { state } => {
                    l.freezes.insert(
                        id.clone(),
                        Freeze {
                            state,
                            started_at: t0,
                            months: 6,
                            renewals: 0,
                            renewed_at: None,
                            ended_at: None,
                        },
                    );
                }
            }
        }
        l
    }
}

/// Runs `check` on `cases` generated worlds. The seed is fixed, so that a run is reproducible
/// and the tallies of the differential tests are the same on every machine; failures are not
/// persisted.
pub(crate) fn run_worlds(
    v: &Vocab,
    cases: u32,
    check: impl Fn(World) -> Result<(), TestCaseError>,
) {
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        rng_seed: RngSeed::Fixed(20_260_101),
        ..Config::default()
    });
    if let Err(e) = runner.run(&world(v), check) {
        panic!("{e}");
    }
}
