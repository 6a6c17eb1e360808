//! The state of one case while it is generated, and the steps every kind of case shares:
//! the report, acceptance, persons, handling-area stays, interrogations, recordings, documents.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde_json::{Map, Value, json};

use crate::cause::Cause;
use crate::clock::{MIN, format_date, local_day};
use crate::names::{anonymised_name, id_number};
use crate::timeline::{Subject, Timeline};

/// A person registered in the case.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Person {
    /// The subject id.
    pub subject: Subject,
    /// Whether the person is under 18 throughout the case's first year.
    pub minor: bool,
}

/// An item seized in the case, until its fate is recorded.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Item {
    /// The subject id.
    pub subject: Subject,
    /// When it was seized.
    pub seized: i64,
    /// What becomes of it.
    pub fate: Fate,
}

/// What becomes of a seized item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fate {
    /// Evidence: goes with the file (随案移送), or back to its owner if the case is dropped.
    Evidence,
    /// Contraband or illegal gains: confiscated or destroyed (没收、销毁).
    Contraband,
}

/// A frozen account.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Account {
    /// The subject id.
    pub subject: Subject,
    /// When it was frozen.
    pub frozen: i64,
}

/// The age band of a newly registered person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Age {
    /// 14–17 years old at the case's start.
    Minor,
    /// 18–62, most in their twenties to forties.
    Adult,
}

/// One case being generated.
pub(crate) struct CaseCtx<'a> {
    /// The case's own random stream.
    pub rng: ChaCha8Rng,
    /// Where the events go.
    pub tl: &'a mut Timeline,
    /// The case id, for recording ids.
    pub case_id: &'a str,
    /// The handling area suspects are brought to.
    pub area: &'a str,
    /// The lead officer (主办民警).
    pub lead: &'a str,
    /// The second officer (协办民警).
    pub assist: &'a str,
    /// The cause of action.
    pub cause: Cause,
    /// Whether the case is serious (重大案件).
    pub serious: bool,
    /// Items seized and not yet settled.
    pub items: Vec<Item>,
    /// Accounts frozen.
    pub accounts: Vec<Account>,
    next_person: u8,
    next_item: u8,
    next_recording: u16,
}

impl<'a> CaseCtx<'a> {
    /// Starts a case.
    pub fn new(
        rng: ChaCha8Rng,
        tl: &'a mut Timeline,
        case_id: &'a str,
        area: &'a str,
        officers: (&'a str, &'a str),
        cause: Cause,
    ) -> Self {
        Self {
            rng,
            tl,
            case_id,
            area,
            lead: officers.0,
            assist: officers.1,
            cause,
            serious: false,
            items: Vec::new(),
            accounts: Vec::new(),
            next_person: 0,
            next_item: 0,
            next_recording: 0,
        }
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.rng.random_bool(p.clamp(0.0, 1.0))
    }

    /// A whole number in `0..100`, for splitting into outcome bands.
    pub fn roll(&mut self) -> u32 {
        self.rng.random_range(0..100)
    }

    /// An index in `0..n` (`n` > 0).
    pub fn rng_index(&mut self, n: usize) -> usize {
        self.rng.random_range(0..n.max(1))
    }

    /// A whole number between `lo` and `hi`, both included.
    pub fn between(&mut self, lo: u32, hi: u32) -> u32 {
        self.rng.random_range(lo..=hi.max(lo))
    }

    /// A random duration between `lo` and `hi` minutes, in seconds.
    pub fn mins(&mut self, lo: i64, hi: i64) -> i64 {
        self.rng.random_range(lo..=hi.max(lo)) * MIN
    }

    /// A random duration between `lo` and `hi` hours, to the minute, in seconds.
    pub fn hours(&mut self, lo: i64, hi: i64) -> i64 {
        self.mins(lo * 60, hi * 60)
    }

    /// A random duration between `lo` and `hi` days, to the minute, in seconds.
    pub fn days(&mut self, lo: i64, hi: i64) -> i64 {
        self.mins(lo * 1440, hi * 1440)
    }

    /// Adds an event.
    pub fn push(&mut self, at: i64, ty: &'static str, subject: Subject, data: Value) -> usize {
        self.tl.push(at, ty, subject, data)
    }

    /// Registers a person (`person.registered`).
    pub fn register(&mut self, at: i64, role: &'static str, age: Age, with_ids: bool) -> Person {
        self.next_person = self.next_person.saturating_add(1);
        let subject = Subject::Person(self.next_person);
        let today = local_day(at);
        let (years, extra_days) = match age {
            // At most 16 years and 364 days old: still a minor a year later.
            Age::Minor => (
                self.rng.random_range(14..=16),
                self.rng.random_range(0..365),
            ),
            Age::Adult => {
                let u: f64 = self.rng.random();
                #[expect(clippy::cast_possible_truncation, reason = "the value lies in 18..63")]
                let y = 18 + (u * u * 45.0) as i64;
                (y, self.rng.random_range(0..365))
            }
        };
        let birth = today - years * 365 - years / 4 - extra_days;
        let mut data = Map::with_capacity(4);
        data.insert("role".into(), Value::String(role.into()));
        data.insert("name".into(), Value::String(anonymised_name(&mut self.rng)));
        if with_ids || self.chance(0.6) {
            data.insert("birth_date".into(), Value::String(format_date(birth)));
            if self.chance(0.85) {
                data.insert(
                    "id_number".into(),
                    Value::String(id_number(&mut self.rng, birth)),
                );
            }
        }
        self.push(at, "person.registered", subject, Value::Object(data));
        Person {
            subject,
            minor: age == Age::Minor,
        }
    }

    /// A new item subject.
    pub fn new_item(&mut self) -> Subject {
        self.next_item = self.next_item.saturating_add(1);
        Subject::Item(self.next_item)
    }

    /// A new frozen-account subject.
    pub fn new_account(&mut self) -> Subject {
        Subject::Account(u8::try_from(self.accounts.len() + 1).unwrap_or(u8::MAX))
    }

    /// The report, the recording at the scene and the acceptance; returns when the case was
    /// accepted and when officers reached the scene (`None` for a report made elsewhere).
    pub fn open(&mut self, t0: i64, criminal: bool) -> (i64, Option<i64>) {
        let on_scene = self.chance(self.cause.on_scene_probability());
        let summary = self.cause.summary(&mut self.rng);
        self.push(
            t0,
            "report.received",
            Subject::None,
            json!({"summary": summary, "on_scene": on_scene}),
        );
        let arrival = if on_scene {
            let arrival = t0 + self.mins(6, 35);
            // About 4% of scenes are handled without switching the body camera on.
            if self.chance(0.96) {
                self.bodycam(arrival, Subject::None);
            }
            Some(arrival)
        } else {
            None
        };
        let accepted = if self.chance(0.97) {
            arrival.unwrap_or(t0) + self.mins(20, 300)
        } else {
            // Accepted only after the 24-hour review period.
            t0 + self.hours(25, 60)
        };
        self.serious = criminal && self.chance(self.cause.serious_probability());
        let kind = if criminal {
            "criminal"
        } else {
            "administrative"
        };
        let mut data = Map::with_capacity(4);
        data.insert("kind".into(), Value::String(kind.into()));
        data.insert("cause".into(), Value::String(self.cause.name().into()));
        data.insert(
            "receipt".into(),
            Value::String(format!("HZ{}", self.case_id.trim_start_matches('A'))),
        );
        if self.serious {
            data.insert("serious".into(), Value::Bool(true));
        }
        self.push(
            accepted,
            "case.accepted",
            Subject::None,
            Value::Object(data),
        );
        if self.chance(0.15) {
            let t = accepted + self.mins(2, 30);
            self.document(t, Subject::None, "受案回执");
        }
        (accepted, arrival)
    }

    /// A body-camera recording (`bodycam.recorded`) and, usually, its upload.
    pub fn bodycam(&mut self, at: i64, subject: Subject) {
        self.next_recording = self.next_recording.saturating_add(1);
        let recording = format!("{}-V{}", self.case_id, self.next_recording);
        self.push(
            at,
            "bodycam.recorded",
            subject,
            json!({ "recording": recording }),
        );
        let upload = match self.roll() {
            0..92 => Some(at + self.hours(1, 16)),
            92..97 => Some(at + self.hours(25, 72)),
            _ => None,
        };
        if let Some(t) = upload {
            self.push(
                t,
                "bodycam.uploaded",
                subject,
                json!({ "recording": recording }),
            );
        }
    }

    /// A legal document made and served (`document.issued`).
    pub fn document(&mut self, at: i64, subject: Subject, doc_type: &'static str) {
        self.push(
            at,
            "document.issued",
            subject,
            json!({"doc_type": doc_type, "served": true}),
        );
    }

    /// A person enters the handling area; the safety check, health check and information
    /// collection follow (each occasionally skipped). Returns when the person entered.
    pub fn enter_area(&mut self, at: i64, p: Person, suspect: bool) -> i64 {
        let s = p.subject;
        self.push(at, "area.entered", s, json!({ "area": self.area }));
        if self.chance(0.97) {
            let t = at + self.mins(2, 10);
            self.push(t, "area.safety_checked", s, Value::Null);
        }
        if self.chance(0.45) {
            let t = at + self.mins(10, 25);
            self.push(t, "area.health_checked", s, Value::Null);
        }
        if !suspect || self.chance(0.96) {
            let t = at + self.mins(25, 90);
            self.push(t, "area.info_collected", s, Value::Null);
        }
        at
    }

    /// The person leaves the handling area (`area.exited`).
    pub fn exit_area(&mut self, at: i64, p: Person, to: &'static str) {
        self.push(at, "area.exited", p.subject, json!({ "to": to }));
    }

    /// An interrogation (讯问) of a suspect or a questioning (询问) of anyone else; returns when
    /// it ended. `recorded` is the probability of audio-video recording.
    pub fn interrogate(&mut self, at: i64, p: Person, first: bool, recorded: f64) -> i64 {
        let mut officers = vec![Value::String(self.lead.into())];
        // About 3% of interrogations are done by one officer alone.
        if self.chance(0.97) {
            officers.push(Value::String(self.assist.into()));
        }
        let recorded = self.chance(recorded);
        let guardian = p.minor && self.chance(0.85);
        let rights = !first || self.chance(0.96);
        self.push(
            at,
            "interrogation.started",
            p.subject,
            json!({"officers": officers, "recorded": recorded, "guardian_present": guardian, "rights_notified": rights}),
        );
        let end = at + self.mins(35, 170);
        self.push(end, "interrogation.ended", p.subject, Value::Null);
        end
    }

    /// The family is told of a measure (`family.notified`): usually within hours, sometimes late,
    /// waived with approval, or never recorded.
    pub fn notify_family(&mut self, at: i64, p: Person, measure: &'static str, may_waive: bool) {
        match self.roll() {
            0..90 => {
                let t = at + self.mins(30, 18 * 60);
                self.push(
                    t,
                    "family.notified",
                    p.subject,
                    json!({ "measure": measure }),
                );
            }
            90..95 => {
                let t = at + self.hours(25, 50);
                self.push(
                    t,
                    "family.notified",
                    p.subject,
                    json!({ "measure": measure }),
                );
            }
            95..97 if may_waive && !p.minor => {
                let reason = if self.chance(0.5) {
                    "有碍侦查"
                } else {
                    "无住处、身份不明，无法通知"
                };
                let t = at + self.hours(2, 20);
                self.push(
                    t,
                    "family.notice_waived",
                    p.subject,
                    json!({"measure": measure, "reason": reason}),
                );
            }
            _ => {}
        }
    }

    /// The probability that a suspect's interrogation is recorded on audio and video.
    pub fn recorded_probability(&self) -> f64 {
        if self.serious { 0.96 } else { 0.75 }
    }
}
