//! The closed list of event types of the interchange format v1 (`spec/events.md`), each with the
//! shape of its `subject` and `data`. The table is the single source: validation, the OpenAPI
//! description and the ledger all read it.

use std::fmt;

/// Whether an event type carries a `subject`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubjectRule {
    /// Case events: a `subject` is refused.
    Forbidden,
    /// Person, handling-area and property events: a `subject` is required.
    Required,
    /// Recordings and documents: a person may be named.
    Optional,
}

/// The type a `data` field must have when present.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// Any string.
    Str,
    /// A string that is not blank.
    NonEmptyStr,
    /// `true` or `false`.
    Bool,
    /// One of the listed strings.
    OneOf(&'static [&'static str]),
    /// One of the listed integers.
    IntOneOf(&'static [i64]),
    /// An integer ≥ 1.
    PositiveInt,
    /// A number ≥ 0.
    NonNegativeNumber,
    /// A calendar date `YYYY-MM-DD`.
    Date,
    /// An RFC 3339 instant with an offset.
    Instant,
    /// An array of non-empty strings.
    StrArray,
    /// An event id (`[A-Za-z0-9._:-]`, 1–128).
    EventId,
}

/// One field of an event type's `data`.
#[derive(Debug, Clone, Copy)]
pub struct FieldSpec {
    /// The key in `data`.
    pub name: &'static str,
    /// The type its value must have.
    pub kind: FieldKind,
    /// Whether the event is refused without it.
    pub required: bool,
}

const fn req(name: &'static str, kind: FieldKind) -> FieldSpec {
    FieldSpec {
        name,
        kind,
        required: true,
    }
}

const fn opt(name: &'static str, kind: FieldKind) -> FieldSpec {
    FieldSpec {
        name,
        kind,
        required: false,
    }
}

use FieldKind::{
    Bool, Date, EventId as Eid, Instant, IntOneOf, NonEmptyStr, NonNegativeNumber, OneOf,
    PositiveInt, Str, StrArray,
};
use SubjectRule::{Forbidden, Optional, Required};

const MEASURES: &[&str] = &[
    "detention",
    "arrest",
    "residential_surveillance",
    "administrative_detention",
    "summons",
];

macro_rules! event_types {
    ($( $(#[$doc:meta])* $variant:ident = $name:literal, $zh:literal, $subject:expr, [$($field:expr),* $(,)?]; )*) => {
        /// A known event type of the interchange format v1, or an extension type (`x-…`).
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum EventType {
            $( $(#[$doc])* $variant, )*
            /// A sender-defined type starting with `x-`: stored and shown, drives no rule.
            Extension(String),
        }

        /// Every known type, in the order of `events.md`.
        pub const KNOWN_TYPES: &[EventType] = &[$(EventType::$variant),*];

        /// The known types' positions in [`KNOWN_TYPES`], by name.
        enum Position { $( $variant, )* }

        impl EventType {
            /// Parses a type name; `None` for a name that is neither known nor `x-…`.
            pub fn parse(s: &str) -> Option<Self> {
                match s {
                    $( $name => Some(Self::$variant), )*
                    other if other.len() > 2 && other.starts_with("x-") => Some(Self::Extension(other.to_owned())),
                    _ => None,
                }
            }

            /// [`EventType::parse`] of a name given as bytes (a stored history's): a known
            /// name is recognised without checking the bytes as UTF-8 first.
            pub fn parse_bytes(b: &[u8]) -> Option<Self> {
                $( if b == $name.as_bytes() { return Some(Self::$variant); } )*
                std::str::from_utf8(b).ok().and_then(Self::parse)
            }

            /// The position of a known type in [`KNOWN_TYPES`] (a dense index for tables by
            /// type); `None` for an extension type.
            pub fn index(&self) -> Option<usize> {
                match self {
                    $( Self::$variant => Some(Position::$variant as usize), )*
                    Self::Extension(_) => None,
                }
            }

            /// The wire name.
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $name, )*
                    Self::Extension(s) => s,
                }
            }

            /// The Chinese name shown to users.
            pub fn zh(&self) -> &str {
                match self {
                    $( Self::$variant => $zh, )*
                    Self::Extension(_) => "扩展事件",
                }
            }

            /// Whether the type carries a subject.
            pub fn subject_rule(&self) -> SubjectRule {
                match self {
                    $( Self::$variant => $subject, )*
                    Self::Extension(_) => Optional,
                }
            }

            /// The typed fields of `data`; other keys are kept as sent.
            pub fn fields(&self) -> &'static [FieldSpec] {
                match self {
                    $( Self::$variant => { const F: &[FieldSpec] = &[$($field),*]; F } )*
                    Self::Extension(_) => &[],
                }
            }
        }
    };
}

event_types! {
    /// 警情接报
    ReportReceived = "report.received", "警情接报", Forbidden, [opt("summary", Str), opt("on_scene", Bool)];
    /// 受案
    CaseAccepted = "case.accepted", "受案", Forbidden, [
        req("kind", OneOf(&["criminal", "administrative"])), opt("cause", Str), opt("receipt", Str), opt("serious", Bool)];
    /// 延长立案审查期限
    CaseReviewExtended = "case.review_extended", "延长立案审查期限", Forbidden, [req("days", IntOneOf(&[7, 30]))];
    /// 立案
    CaseFiled = "case.filed", "立案", Forbidden, [opt("serious", Bool)];
    /// 不予立案
    CaseNotFiled = "case.not_filed", "不予立案", Forbidden, [];
    /// 不予立案通知送达
    CaseComplainantNotified = "case.complainant_notified", "不予立案通知送达", Forbidden, [];
    /// 行政案件延长办案期限
    CaseExtended = "case.extended", "延长办案期限", Forbidden, [opt("days", PositiveInt)];
    /// 行政处罚决定 / 不予处罚
    CaseDecided = "case.decided", "行政处罚决定", Forbidden, [req("penalty", NonEmptyStr), opt("amount", NonNegativeNumber)];
    /// 罚款缴纳
    FinePaid = "fine.paid", "罚款缴纳", Forbidden, [opt("amount", NonNegativeNumber)];
    /// 鉴定开始
    AppraisalStarted = "appraisal.started", "鉴定开始", Forbidden, [opt("kind", Str)];
    /// 鉴定结束
    AppraisalEnded = "appraisal.ended", "鉴定结束", Forbidden, [opt("kind", Str)];
    /// 移送审查起诉
    CaseTransferred = "case.transferred", "移送审查起诉", Forbidden, [];
    /// 结案 / 撤销案件 / 终止侦查
    CaseClosed = "case.closed", "结案", Forbidden, [opt("reason", Str)];
    /// 登记涉案人员
    PersonRegistered = "person.registered", "登记涉案人员", Required, [
        req("role", OneOf(&["suspect", "victim", "witness", "complainant"])), opt("name", Str),
        opt("birth_date", Date), opt("id_number", Str)];
    /// 传唤 / 拘传到案
    SummonsStarted = "summons.started", "传唤到案", Required, [req("mode", OneOf(&["summons", "compelled"])), opt("serious", Bool)];
    /// 传唤 / 拘传结束
    SummonsEnded = "summons.ended", "传唤结束", Required, [];
    /// 行政案件询问查证开始
    QuestioningStarted = "questioning.started", "询问查证开始", Required, [opt("may_detain", Bool), opt("complex", Bool)];
    /// 询问查证结束
    QuestioningEnded = "questioning.ended", "询问查证结束", Required, [];
    /// 刑事拘留执行
    DetentionStarted = "detention.started", "刑事拘留", Required, [];
    /// 送看守所羁押
    CustodyAdmitted = "custody.admitted", "送看守所羁押", Required, [];
    /// 通知家属
    FamilyNotified = "family.notified", "通知家属", Required, [req("measure", OneOf(MEASURES))];
    /// 无法通知 / 有碍侦查不通知
    FamilyNoticeWaived = "family.notice_waived", "不通知家属", Required, [req("measure", OneOf(MEASURES)), req("reason", NonEmptyStr)];
    /// 讯问 / 询问开始
    InterrogationStarted = "interrogation.started", "讯问开始", Required, [
        opt("officers", StrArray), opt("recorded", Bool), opt("guardian_present", Bool), opt("rights_notified", Bool)];
    /// 讯问 / 询问结束
    InterrogationEnded = "interrogation.ended", "讯问结束", Required, [];
    /// 提请批准逮捕
    ArrestRequested = "arrest.requested", "提请批准逮捕", Required, [];
    /// 延长提请批准逮捕期限
    ArrestRequestExtended = "arrest.request_extended", "延长提请批捕期限", Required, [req("days", IntOneOf(&[7, 30]))];
    /// 批准逮捕
    ArrestApproved = "arrest.approved", "批准逮捕", Required, [];
    /// 不批准逮捕
    ArrestRejected = "arrest.rejected", "不批准逮捕", Required, [];
    /// 执行逮捕
    ArrestExecuted = "arrest.executed", "执行逮捕", Required, [];
    /// 提请批准延长侦查羁押期限
    CustodyExtensionRequested = "custody.extension_requested", "提请延长羁押期限", Required, [];
    /// 延长侦查羁押期限
    CustodyExtended = "custody.extended", "延长侦查羁押期限", Required, [req("months", IntOneOf(&[1, 2]))];
    /// 取保候审开始
    BailStarted = "bail.started", "取保候审", Required, [];
    /// 取保候审解除
    BailEnded = "bail.ended", "解除取保候审", Required, [];
    /// 监视居住开始
    SurveillanceStarted = "surveillance.started", "监视居住", Required, [opt("designated", Bool)];
    /// 监视居住解除
    SurveillanceEnded = "surveillance.ended", "解除监视居住", Required, [opt("designated", Bool)];
    /// 释放
    Released = "released", "释放", Required, [];
    /// 行政拘留执行
    AdminDetentionStarted = "admin_detention.started", "行政拘留", Required, [opt("days", PositiveInt)];
    /// 行政拘留期满
    AdminDetentionEnded = "admin_detention.ended", "行政拘留期满", Required, [opt("days", PositiveInt)];
    /// 进入办案区
    AreaEntered = "area.entered", "进入办案区", Required, [opt("area", Str)];
    /// 人身安全检查
    AreaSafetyChecked = "area.safety_checked", "人身安全检查", Required, [];
    /// 信息采集
    AreaInfoCollected = "area.info_collected", "信息采集", Required, [];
    /// 体检 / 健康询问
    AreaHealthChecked = "area.health_checked", "体检", Required, [];
    /// 离开办案区
    AreaExited = "area.exited", "离开办案区", Required, [opt("to", OneOf(&["custody", "released", "transferred"]))];
    /// 扣押 / 查封 / 调取
    PropertySeized = "property.seized", "扣押财物", Required, [
        req("kind", OneOf(&["seize", "seal", "obtain"])),
        opt("category", OneOf(&["cash", "vehicle", "phone", "drug", "weapon", "document", "other"])),
        opt("description", Str), opt("quantity", NonNegativeNumber), opt("list", Bool), opt("witness", Str)];
    /// 延长扣押期限
    PropertySeizureExtended = "property.seizure_extended", "延长扣押期限", Required, [];
    /// 移交涉案财物管理中心 / 入库
    PropertyStored = "property.stored", "财物入库", Required, [opt("location", Str)];
    /// 出库 (调用)
    PropertyCheckedOut = "property.checked_out", "财物出库", Required, [opt("purpose", Str), req("due_back", Instant)];
    /// 归还入库
    PropertyCheckedIn = "property.checked_in", "财物归还入库", Required, [opt("purpose", Str)];
    /// 发还
    PropertyReturned = "property.returned", "财物发还", Required, [];
    /// 处置
    PropertyDisposed = "property.disposed", "财物处置", Required, [opt("method", Str)];
    /// 随案移送
    PropertyTransferred = "property.transferred", "财物随案移送", Required, [];
    /// 冻结
    FreezeStarted = "freeze.started", "冻结", Required, [opt("months", PositiveInt)];
    /// 续冻
    FreezeRenewed = "freeze.renewed", "续冻", Required, [opt("months", PositiveInt)];
    /// 解冻
    FreezeEnded = "freeze.ended", "解冻", Required, [];
    /// 现场执法记录
    BodycamRecorded = "bodycam.recorded", "现场执法记录", Optional, [req("recording", NonEmptyStr)];
    /// 执法记录上传存储
    BodycamUploaded = "bodycam.uploaded", "执法记录上传", Optional, [req("recording", NonEmptyStr)];
    /// 法律文书制作 / 送达
    DocumentIssued = "document.issued", "法律文书", Optional, [opt("doc_type", Str), opt("served", Bool)];
    /// 撤回误录事件
    EventRetracted = "event.retracted", "撤回误录事件", Forbidden, [req("target", Eid), req("reason", NonEmptyStr)];
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for EventType {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// Values by event type: a known type's in a vector by its position ([`EventType::index`]), an
/// extension type's in a map by name. The evaluation path looks types up once per event, and a
/// position is cheaper than hashing the name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeTable<V> {
    known: Vec<V>,
    extensions: crate::fasthash::FastMap<String, V>,
}

impl<V: Default> Default for TypeTable<V> {
    fn default() -> Self {
        Self {
            known: KNOWN_TYPES.iter().map(|_| V::default()).collect(),
            extensions: crate::fasthash::FastMap::default(),
        }
    }
}

impl<V> TypeTable<V> {
    /// The value of `t`, if one was ever made (every known type has one).
    pub fn get(&self, t: &EventType) -> Option<&V> {
        match t.index() {
            Some(i) => self.known.get(i),
            None => self.extensions.get(t.as_str()),
        }
    }
}

impl<V: Default> TypeTable<V> {
    /// The value of `t`, made with `V::default()` if there was none.
    pub fn get_mut(&mut self, t: &EventType) -> &mut V {
        match t.index().and_then(|i| self.known.get_mut(i)) {
            Some(v) => v,
            None => self.extensions.entry(t.to_string()).or_default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for t in KNOWN_TYPES {
            assert_eq!(EventType::parse(t.as_str()).as_ref(), Some(t));
        }
        assert_eq!(KNOWN_TYPES.len(), 58);
        for t in KNOWN_TYPES {
            assert_eq!(
                EventType::parse_bytes(t.as_str().as_bytes()).as_ref(),
                Some(t)
            );
        }
        assert_eq!(
            EventType::parse_bytes(b"x-sms.sent"),
            Some(EventType::Extension("x-sms.sent".into()))
        );
        assert_eq!(EventType::parse_bytes(b"case.opened"), None);
        assert_eq!(EventType::parse_bytes(&[0x78, 0x2d, 0xff]), None);
    }

    #[test]
    fn a_type_table_keeps_known_and_extension_types_apart() {
        let mut t: TypeTable<u32> = TypeTable::default();
        let ext = EventType::Extension("x-sms.sent".into());
        assert_eq!(t.get(&EventType::CaseAccepted), Some(&0));
        assert_eq!(t.get(&ext), None);
        *t.get_mut(&EventType::CaseAccepted) += 2;
        *t.get_mut(&ext) += 1;
        assert_eq!(t.get(&EventType::CaseAccepted), Some(&2));
        assert_eq!(t.get(&EventType::CaseFiled), Some(&0));
        assert_eq!(t.get(&ext), Some(&1));
        assert_eq!(t.get(&EventType::Extension("x-other".into())), None);
    }

    #[test]
    fn a_known_type_s_index_is_its_position() {
        for (i, t) in KNOWN_TYPES.iter().enumerate() {
            assert_eq!(t.index(), Some(i), "{t}");
        }
        assert_eq!(EventType::Extension("x-a".into()).index(), None);
    }

    #[test]
    fn unknown_types_are_refused_but_extensions_kept() {
        assert_eq!(EventType::parse("case.opened"), None);
        assert_eq!(EventType::parse("x-"), None);
        assert_eq!(
            EventType::parse("x-sms.sent"),
            Some(EventType::Extension("x-sms.sent".into()))
        );
    }
}
