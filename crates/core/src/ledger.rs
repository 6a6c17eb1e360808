//! The case ledger (案件全流程台账): a pure fold of a case's events into its current state.
//!
//! INVARIANT: [`CaseLedger::build`] depends only on the events given and their order (`at`, then
//! arrival). Incremental ingestion and `casewatch replay` both call it with the full event list of
//! the case, so the two can never disagree.

use std::collections::{BTreeMap, BTreeSet};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::event::Event;
use crate::event_type::EventType;
use crate::fasthash::FastSet;
use crate::ids::Ref;
use crate::time::{china_tz, format_instant, parse_instant};

/// An instant that serializes as RFC 3339 in `+08:00`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Instant(pub Timestamp);

impl Serialize for Instant {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format_instant(self.0))
    }
}

impl<'de> Deserialize<'de> for Instant {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        parse_instant(&s)
            .map(Instant)
            .map_err(serde::de::Error::custom)
    }
}

/// Where a case stands in its procedure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// 已接报: a report was received, not yet accepted.
    Reported,
    /// 已受案
    Accepted,
    /// 已立案
    Filed,
    /// 不予立案
    NotFiled,
    /// 已决定 (administrative decision made)
    Decided,
    /// 已移送审查起诉
    Transferred,
    /// 已结案 / 撤销
    Closed,
}

impl Stage {
    /// Every stage, in procedural order.
    pub const ALL: [Stage; 7] = [
        Stage::Reported,
        Stage::Accepted,
        Stage::Filed,
        Stage::NotFiled,
        Stage::Decided,
        Stage::Transferred,
        Stage::Closed,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Reported => "reported",
            Stage::Accepted => "accepted",
            Stage::Filed => "filed",
            Stage::NotFiled => "not_filed",
            Stage::Decided => "decided",
            Stage::Transferred => "transferred",
            Stage::Closed => "closed",
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<Stage> {
        Stage::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// The Chinese label.
    pub fn zh(self) -> &'static str {
        match self {
            Stage::Reported => "已接报",
            Stage::Accepted => "已受案",
            Stage::Filed => "已立案",
            Stage::NotFiled => "不予立案",
            Stage::Decided => "已决定",
            Stage::Transferred => "已移送起诉",
            Stage::Closed => "已结案",
        }
    }
}

/// A compulsory measure or restriction a person is under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// 传唤
    Summons,
    /// 拘传
    CompelledAppearance,
    /// 行政案件询问查证
    Questioning,
    /// 刑事拘留
    CriminalDetention,
    /// 逮捕
    Arrest,
    /// 取保候审
    Bail,
    /// 监视居住
    Surveillance,
    /// 指定居所监视居住
    DesignatedSurveillance,
    /// 行政拘留
    AdministrativeDetention,
}

/// One span of a measure in a person's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeasureSpan {
    /// The measure.
    pub measure: Measure,
    /// When it began.
    pub from: Instant,
    /// When it ended, if it has.
    pub to: Option<Instant>,
}

/// A person registered in the case (涉案人员).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Person {
    /// `suspect`, `victim`, `witness` or `complainant`; `None` until `person.registered`.
    pub role: Option<String>,
    /// The name as registered.
    pub name: Option<String>,
    /// Date of birth `YYYY-MM-DD`.
    pub birth_date: Option<String>,
    /// Under 18 at registration (the 18th birthday falls after the registration date).
    pub minor: bool,
    /// 身份证号 as sent (masked at the API edge by role).
    pub id_number: Option<String>,
    /// The measure the person is under now.
    pub measure: Option<Measure>,
    /// Since when the current measure applies.
    pub measure_since: Option<Instant>,
    /// Every measure, oldest first.
    pub measures: Vec<MeasureSpan>,
    /// Held in a detention house (羁押于看守所) now.
    pub in_custody: bool,
    /// Was ever admitted to a detention house in this case.
    #[serde(default)]
    pub ever_in_custody: bool,
    /// `requested`, `extended`, `approved`, `rejected` or `executed`: the arrest procedure's state.
    pub arrest: Option<String>,
    /// Months of investigative custody added by approved extensions.
    pub custody_extended_months: i64,
    /// The measures for which the family was notified (or notice was lawfully waived).
    pub family_notified: BTreeSet<String>,
    /// Number of interrogations / questionings started.
    pub interrogations: u32,
}

/// A seized, sealed or obtained item (涉案财物).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Property {
    /// `seize`, `seal` or `obtain`.
    pub kind: Option<String>,
    /// `cash`, `vehicle`, `phone`, …
    pub category: Option<String>,
    /// What it is.
    pub description: Option<String>,
    /// How many.
    pub quantity: Option<f64>,
    /// Custody state: `seized`, `stored`, `checked_out`, `returned`, `disposed`, `transferred`.
    pub state: String,
    /// Storage location once stored.
    pub location: Option<String>,
    /// When a checked-out item is due back.
    pub due_back: Option<Instant>,
    /// When it was seized.
    pub seized_at: Option<Instant>,
    /// Whether the seizure period was extended.
    pub seizure_extended: bool,
    /// When its state last changed.
    pub since: Option<Instant>,
}

/// A freeze of deposits, remittances or securities (冻结).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Freeze {
    /// `active` or `ended`.
    pub state: String,
    /// When it began.
    pub started_at: Instant,
    /// Months of the current term (default 6).
    pub months: i64,
    /// Number of renewals (续冻).
    pub renewals: u32,
    /// When the last renewal happened.
    pub renewed_at: Option<Instant>,
    /// When it ended (解冻).
    pub ended_at: Option<Instant>,
}

/// One stay of a person in the case-handling area (执法办案区).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AreaStay {
    /// The person.
    pub subject: String,
    /// The area id.
    pub area: Option<String>,
    /// When the person entered.
    pub entered_at: Instant,
    /// When the person left, if they have.
    pub exited_at: Option<Instant>,
    /// 人身安全检查 done during the stay.
    pub safety_checked: bool,
    /// 信息采集 done during the stay.
    pub info_collected: bool,
    /// 体检 done during the stay.
    pub health_checked: bool,
    /// Where the person went (`custody`, `released`, `transferred`).
    pub to: Option<String>,
}

/// A body-camera recording (执法记录仪资料).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Recording {
    /// The person filmed, if named.
    pub subject: Option<String>,
    /// When it was recorded.
    pub recorded_at: Option<Instant>,
    /// When it was uploaded to storage.
    pub uploaded_at: Option<Instant>,
}

/// A legal document (法律文书).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    /// The event that recorded it.
    pub event: String,
    /// The document type.
    pub doc_type: Option<String>,
    /// Whether it was served.
    pub served: bool,
    /// The person it concerns.
    pub subject: Option<String>,
    /// When.
    pub at: Instant,
}

/// An administrative decision (行政处罚决定).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    /// `warning`, `fine`, `detention`, `none`, …
    pub penalty: String,
    /// The fine's amount.
    pub amount: Option<f64>,
    /// When it was decided.
    pub at: Instant,
    /// When the fine was paid.
    pub paid_at: Option<Instant>,
}

/// A period during which case-handling time is suspended (鉴定).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pause {
    /// When the appraisal began.
    pub from: Instant,
    /// When it ended, if it has.
    pub to: Option<Instant>,
}

/// The current state of one case, built from its events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseLedger {
    /// The case id.
    pub case_id: String,
    /// `criminal` or `administrative`, once accepted.
    pub kind: Option<String>,
    /// 案由.
    pub cause: Option<String>,
    /// The procedural stage; `None` while only person or property facts are known.
    pub stage: Option<Stage>,
    /// The owning unit: that of `case.accepted`, else the first event that names one.
    pub unit: Option<String>,
    /// Every officer who acted in the case.
    pub officers: BTreeSet<String>,
    /// 回执号 for the citizen portal.
    pub receipt: Option<String>,
    /// Marked as a serious case on acceptance or filing.
    pub serious: bool,
    /// A `report.received` said officers went to the scene (民警到达现场处置).
    #[serde(default)]
    pub on_scene: bool,
    /// When the report was received.
    pub reported_at: Option<Instant>,
    /// When the case was accepted.
    pub accepted_at: Option<Instant>,
    /// When it was filed (立案).
    pub filed_at: Option<Instant>,
    /// When it was closed, transferred or not filed: the end of its handling.
    pub closed_at: Option<Instant>,
    /// The total criminal filing review period after an extension, in days.
    pub review_extended_days: Option<i64>,
    /// Number of approved extensions of the administrative handling period.
    pub handling_extensions: u32,
    /// Appraisal pauses.
    pub pauses: Vec<Pause>,
    /// The administrative decision.
    pub decision: Option<Decision>,
    /// Persons by subject id.
    pub persons: BTreeMap<String, Person>,
    /// Property by subject id.
    pub property: BTreeMap<String, Property>,
    /// Freezes by subject id.
    pub freezes: BTreeMap<String, Freeze>,
    /// Handling-area stays in order of entry.
    pub area_stays: Vec<AreaStay>,
    /// Recordings by recording id.
    pub recordings: BTreeMap<String, Recording>,
    /// Documents in order.
    pub documents: Vec<Document>,
    /// Events in the log for this case, retracted ones included.
    pub n_events: u32,
    /// Events retracted.
    pub n_retracted: u32,
    /// The earliest `at`.
    pub first_at: Option<Instant>,
    /// The latest `at`.
    pub last_at: Option<Instant>,
}

impl CaseLedger {
    /// An empty ledger for a case no event has touched yet.
    pub fn empty(case_id: &str) -> Self {
        Self {
            case_id: case_id.to_owned(),
            kind: None,
            cause: None,
            stage: None,
            unit: None,
            officers: BTreeSet::new(),
            receipt: None,
            serious: false,
            on_scene: false,
            reported_at: None,
            accepted_at: None,
            filed_at: None,
            closed_at: None,
            review_extended_days: None,
            handling_extensions: 0,
            pauses: Vec::new(),
            decision: None,
            persons: BTreeMap::new(),
            property: BTreeMap::new(),
            freezes: BTreeMap::new(),
            area_stays: Vec::new(),
            recordings: BTreeMap::new(),
            documents: Vec::new(),
            n_events: 0,
            n_retracted: 0,
            first_at: None,
            last_at: None,
        }
    }

    /// Builds the ledger of one case from all its events, given in arrival order. Events are
    /// applied in order of `at`, then of arrival; retracted events and retractions are skipped.
    pub fn build<'a>(case_id: &str, events: impl IntoIterator<Item = &'a Event>) -> Self {
        let mut events: Vec<&Event> = events.into_iter().collect();
        // A stable sort keeps arrival order among events of the same instant.
        crate::event::sort_by_instant(&mut events);
        let retracted: FastSet<&str> = events
            .iter()
            .filter(|e| e.event_type == EventType::EventRetracted)
            .filter_map(|e| e.data_str("target"))
            .collect();

        let mut l = Self::empty(case_id);
        l.n_events = u32::try_from(events.len()).unwrap_or(u32::MAX);
        l.first_at = events.first().map(|e| Instant(e.at));
        l.last_at = events.last().map(|e| Instant(e.at));
        for e in events {
            if retracted.contains(e.id.as_str()) {
                l.n_retracted += 1;
                continue;
            }
            l.apply(e);
        }
        l
    }

    /// Applies one event to the ledger, as [`CaseLedger::build`] does for each event in order.
    /// The supervision engine walks a case with it to know the state before each event.
    /// Retractions are the caller's business: the event given is taken as valid.
    pub fn apply_event(&mut self, e: &Event) {
        self.apply(e);
    }

    fn apply(&mut self, e: &Event) {
        use EventType as T;
        let at = Instant(e.at);
        if let Some(o) = &e.officer
            && !self.officers.contains(o.as_str())
        {
            self.officers.insert(o.to_string());
        }
        if let Some(u) = &e.unit
            && (self.unit.is_none() || e.event_type == T::CaseAccepted)
        {
            self.unit = Some(u.to_string());
        }
        let subject = e.subject.as_ref().map(Ref::as_str);
        let data_string = |k: &str| e.data_str(k).map(str::to_owned);

        match &e.event_type {
            T::ReportReceived => {
                self.on_scene |= e.data_bool("on_scene");
                self.reported_at.get_or_insert(at);
                self.stage.get_or_insert(Stage::Reported);
            }
            T::CaseAccepted => {
                self.kind = data_string("kind");
                if let Some(c) = data_string("cause") {
                    self.cause = Some(c);
                }
                if let Some(r) = data_string("receipt") {
                    self.receipt = Some(r);
                }
                self.serious |= e.data_bool("serious");
                self.accepted_at.get_or_insert(at);
                self.stage = Some(Stage::Accepted);
            }
            T::CaseReviewExtended => self.review_extended_days = e.data_i64("days"),
            T::CaseFiled => {
                self.serious |= e.data_bool("serious");
                self.filed_at.get_or_insert(at);
                self.stage = Some(Stage::Filed);
            }
            T::CaseNotFiled => {
                self.stage = Some(Stage::NotFiled);
                self.closed_at = Some(at);
            }
            T::CaseExtended => self.handling_extensions += 1,
            T::CaseDecided => {
                self.decision = Some(Decision {
                    penalty: data_string("penalty").unwrap_or_default(),
                    amount: e.data_get("amount").and_then(serde_json::Value::as_f64),
                    at,
                    paid_at: None,
                });
                self.stage = Some(Stage::Decided);
            }
            T::FinePaid => {
                if let Some(d) = &mut self.decision {
                    d.paid_at = Some(at);
                }
            }
            T::AppraisalStarted => self.pauses.push(Pause { from: at, to: None }),
            T::AppraisalEnded => {
                if let Some(p) = self.pauses.iter_mut().rev().find(|p| p.to.is_none()) {
                    p.to = Some(at);
                }
            }
            T::CaseTransferred => {
                self.stage = Some(Stage::Transferred);
                self.closed_at = Some(at);
            }
            T::CaseClosed => {
                self.stage = Some(Stage::Closed);
                self.closed_at = Some(at);
            }
            T::BodycamRecorded | T::BodycamUploaded => {
                if let Some(r) = data_string("recording") {
                    let rec = self.recordings.entry(r).or_default();
                    if rec.subject.is_none() {
                        rec.subject = subject.map(str::to_owned);
                    }
                    if e.event_type == T::BodycamRecorded {
                        rec.recorded_at = Some(at);
                    } else {
                        rec.uploaded_at = Some(at);
                    }
                }
            }
            T::DocumentIssued => self.documents.push(Document {
                event: e.id.to_string(),
                doc_type: data_string("doc_type"),
                served: e.data_bool("served"),
                subject: subject.map(str::to_owned),
                at,
            }),
            T::CaseComplainantNotified | T::EventRetracted | T::Extension(_) => {}
            _ => {
                if let Some(s) = subject {
                    self.apply_subject(e, s, at);
                }
            }
        }
    }

    fn apply_subject(&mut self, e: &Event, s: &str, at: Instant) {
        use EventType as T;
        let data_string = |k: &str| e.data_str(k).map(str::to_owned);
        match &e.event_type {
            T::PersonRegistered => {
                let p = self.person(s);
                p.role = data_string("role");
                if let Some(n) = data_string("name") {
                    p.name = Some(n);
                }
                if let Some(b) = data_string("birth_date") {
                    p.minor = is_minor_on(&b, at.0);
                    p.birth_date = Some(b);
                }
                if let Some(i) = data_string("id_number") {
                    p.id_number = Some(i);
                }
            }
            T::SummonsStarted => {
                let m = if e.data_str("mode") == Some("compelled") {
                    Measure::CompelledAppearance
                } else {
                    Measure::Summons
                };
                self.person(s).start_measure(m, at);
            }
            T::SummonsEnded => self
                .person(s)
                .end_measures(&[Measure::Summons, Measure::CompelledAppearance], at),
            T::QuestioningStarted => self.person(s).start_measure(Measure::Questioning, at),
            T::QuestioningEnded => self.person(s).end_measures(&[Measure::Questioning], at),
            T::DetentionStarted => self.person(s).start_measure(Measure::CriminalDetention, at),
            T::CustodyAdmitted => {
                let p = self.person(s);
                p.in_custody = true;
                p.ever_in_custody = true;
            }
            T::FamilyNotified | T::FamilyNoticeWaived => {
                if let Some(m) = data_string("measure") {
                    self.person(s).family_notified.insert(m);
                }
            }
            T::InterrogationStarted => self.person(s).interrogations += 1,
            T::ArrestRequested => self.person(s).arrest = Some("requested".into()),
            T::ArrestRequestExtended => {
                let p = self.person(s);
                if p.arrest.is_none() {
                    p.arrest = Some("extended".into());
                }
            }
            T::ArrestApproved => self.person(s).arrest = Some("approved".into()),
            T::ArrestRejected => self.person(s).arrest = Some("rejected".into()),
            T::ArrestExecuted => {
                let p = self.person(s);
                p.arrest = Some("executed".into());
                p.start_measure(Measure::Arrest, at);
            }
            T::CustodyExtended => {
                self.person(s).custody_extended_months += e.data_i64("months").unwrap_or(0)
            }
            T::BailStarted => {
                let p = self.person(s);
                p.in_custody = false;
                p.start_measure(Measure::Bail, at);
            }
            T::BailEnded => self.person(s).end_measures(&[Measure::Bail], at),
            T::SurveillanceStarted => {
                let p = self.person(s);
                p.in_custody = false;
                let m = if e.data_bool("designated") {
                    Measure::DesignatedSurveillance
                } else {
                    Measure::Surveillance
                };
                p.start_measure(m, at);
            }
            T::SurveillanceEnded => self.person(s).end_measures(
                &[Measure::Surveillance, Measure::DesignatedSurveillance],
                at,
            ),
            T::Released => {
                let p = self.person(s);
                p.in_custody = false;
                p.end_all(at);
            }
            T::AdminDetentionStarted => self
                .person(s)
                .start_measure(Measure::AdministrativeDetention, at),
            T::AdminDetentionEnded => self
                .person(s)
                .end_measures(&[Measure::AdministrativeDetention], at),
            T::AreaEntered => self.area_stays.push(AreaStay {
                subject: s.to_owned(),
                area: data_string("area"),
                entered_at: at,
                exited_at: None,
                safety_checked: false,
                info_collected: false,
                health_checked: false,
                to: None,
            }),
            T::AreaSafetyChecked => {
                if let Some(st) = self.open_stay(s) {
                    st.safety_checked = true;
                }
            }
            T::AreaInfoCollected => {
                if let Some(st) = self.open_stay(s) {
                    st.info_collected = true;
                }
            }
            T::AreaHealthChecked => {
                if let Some(st) = self.open_stay(s) {
                    st.health_checked = true;
                }
            }
            T::AreaExited => {
                let to = data_string("to");
                if let Some(st) = self.open_stay(s) {
                    st.exited_at = Some(at);
                    st.to = to;
                }
            }
            T::PropertySeized => {
                let p = self.property.entry(s.to_owned()).or_default();
                p.kind = data_string("kind");
                p.category = data_string("category");
                p.description = data_string("description");
                p.quantity = e.data_get("quantity").and_then(serde_json::Value::as_f64);
                p.seized_at = Some(at);
                p.set_state("seized", at);
            }
            T::PropertySeizureExtended => {
                self.property
                    .entry(s.to_owned())
                    .or_default()
                    .seizure_extended = true
            }
            T::PropertyStored => {
                let p = self.property.entry(s.to_owned()).or_default();
                if let Some(l) = data_string("location") {
                    p.location = Some(l);
                }
                p.due_back = None;
                p.set_state("stored", at);
            }
            T::PropertyCheckedOut => {
                let p = self.property.entry(s.to_owned()).or_default();
                p.due_back = e
                    .data_str("due_back")
                    .and_then(|d| parse_instant(d).ok())
                    .map(Instant);
                p.set_state("checked_out", at);
            }
            T::PropertyCheckedIn => {
                let p = self.property.entry(s.to_owned()).or_default();
                p.due_back = None;
                p.set_state("stored", at);
            }
            T::PropertyReturned => self
                .property
                .entry(s.to_owned())
                .or_default()
                .set_state("returned", at),
            T::PropertyDisposed => self
                .property
                .entry(s.to_owned())
                .or_default()
                .set_state("disposed", at),
            T::PropertyTransferred => self
                .property
                .entry(s.to_owned())
                .or_default()
                .set_state("transferred", at),
            T::FreezeStarted => {
                self.freezes.insert(
                    s.to_owned(),
                    Freeze {
                        state: "active".into(),
                        started_at: at,
                        months: e.data_i64("months").unwrap_or(6),
                        renewals: 0,
                        renewed_at: None,
                        ended_at: None,
                    },
                );
            }
            T::FreezeRenewed => {
                if let Some(f) = self.freezes.get_mut(s) {
                    f.renewals += 1;
                    f.renewed_at = Some(at);
                    f.months = e.data_i64("months").unwrap_or(6);
                }
            }
            T::FreezeEnded => {
                if let Some(f) = self.freezes.get_mut(s) {
                    f.state = "ended".into();
                    f.ended_at = Some(at);
                }
            }
            _ => {}
        }
    }

    fn person(&mut self, s: &str) -> &mut Person {
        self.persons.entry(s.to_owned()).or_default()
    }

    fn open_stay(&mut self, s: &str) -> Option<&mut AreaStay> {
        self.area_stays
            .iter_mut()
            .rev()
            .find(|st| st.subject == s && st.exited_at.is_none())
    }
}

impl Person {
    /// A new measure replaces the current one (detention → arrest → bail …).
    fn start_measure(&mut self, m: Measure, at: Instant) {
        self.end_all(at);
        self.measure = Some(m);
        self.measure_since = Some(at);
        self.measures.push(MeasureSpan {
            measure: m,
            from: at,
            to: None,
        });
    }

    fn end_measures(&mut self, which: &[Measure], at: Instant) {
        if self.measure.is_some_and(|m| which.contains(&m)) {
            self.end_all(at);
        }
    }

    fn end_all(&mut self, at: Instant) {
        if let Some(span) = self.measures.last_mut().filter(|s| s.to.is_none()) {
            span.to = Some(at);
        }
        self.measure = None;
        self.measure_since = None;
    }
}

impl Property {
    fn set_state(&mut self, state: &str, at: Instant) {
        state.clone_into(&mut self.state);
        self.since = Some(at);
    }
}

/// Whether a person born on `birth_date` (`YYYY-MM-DD`) is a minor on the Chinese calendar date of
/// `at`: their 18th birthday falls after that date. A person born on 29 February turns 18 on
/// 1 March of a common year.
pub fn is_minor_on(birth_date: &str, at: Timestamp) -> bool {
    let Ok(birth) = birth_date.parse::<jiff::civil::Date>() else {
        return false;
    };
    let day = at.to_zoned(china_tz()).date();
    let eighteenth = match birth.checked_add(jiff::Span::new().years(18)) {
        Ok(d) if d.day() == birth.day() => d,
        // 29 February + 18 years lands on 28 February in a common year; the birthday is then
        // reached only on 1 March.
        Ok(d) => d.tomorrow().unwrap_or(d),
        Err(_) => return false,
    };
    eighteenth > day
}

#[cfg(test)]
mod tests;
