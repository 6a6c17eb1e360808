//! Events: parsing and validating the interchange format v1, and their canonical form.
//!
//! "Parse, don't validate": [`Event::parse`] turns an untrusted JSON value into an [`Event`] or
//! into the complete list of what is wrong with it. Every later layer takes the parsed type.

use jiff::{SignedDuration, Timestamp};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::event_type::{EventType, FieldKind, FieldSpec, SubjectRule};
use crate::ids::{CaseId, EventId, Ref};
use crate::time::{format_instant, parse_instant};

/// How far in the future of the receiving clock an event's `at` may lie.
pub const MAX_FUTURE_SKEW: SignedDuration = SignedDuration::from_mins(5);

/// The top-level keys of an event; any other key is refused rather than silently dropped.
const TOP_LEVEL_KEYS: &[&str] = &[
    "id", "type", "case", "subject", "at", "unit", "officer", "data",
];

/// One event of the interchange format v1, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// The sender's unique id.
    pub id: EventId,
    /// What happened.
    pub event_type: EventType,
    /// The case it happened in.
    pub case: CaseId,
    /// The person or property it concerns, for the types that have one.
    pub subject: Option<Ref>,
    /// When it happened.
    pub at: Timestamp,
    /// The acting unit.
    pub unit: Option<Ref>,
    /// The acting officer (警号).
    pub officer: Option<Ref>,
    /// Type-specific facts; typed fields are checked, unknown keys are kept as sent.
    pub data: Data,
}

/// Sorts events by their instant, keeping arrival order among events of the same instant (a
/// stable sort), without the sort's scratch allocation when they are in order already, as a
/// stored history almost always is.
pub fn sort_by_instant<E: std::borrow::Borrow<Event>>(events: &mut [E]) {
    if !events.is_sorted_by_key(|e| e.borrow().at) {
        events.sort_by_key(|e| e.borrow().at);
    }
}

/// What is wrong with one field of one event.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    /// The field's path: `id`, `at`, `data.days`, or empty for the event as a whole.
    pub field: String,
    /// A stable machine code (`required`, `wrong_type`, `unknown_type`, …).
    pub code: &'static str,
    /// A sentence in Chinese for people, naming the offending value in backticks.
    pub message: String,
}

impl FieldError {
    fn new(field: impl Into<String>, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            code,
            message: message.into(),
        }
    }
}

/// Options of validation that depend on where the event comes from.
#[derive(Debug, Clone, Copy)]
pub struct ParseOptions {
    /// The receiving clock's "now". `None` disables the future check (`casewatch check`, which
    /// evaluates histories at an arbitrary instant).
    pub now: Option<Timestamp>,
}

impl Event {
    /// Parses and validates one event, collecting every problem rather than stopping at the first.
    pub fn parse(value: &Value, opts: ParseOptions) -> Result<Self, Vec<FieldError>> {
        let Some(obj) = value.as_object() else {
            return Err(vec![FieldError::new(
                "",
                "not_object",
                "事件必须是 JSON 对象",
            )]);
        };
        let mut errs = Vec::new();

        for key in obj.keys() {
            if !TOP_LEVEL_KEYS.contains(&key.as_str()) {
                errs.push(FieldError::new(
                    key.clone(),
                    "unknown_field",
                    format!("未知字段 `{key}`；事件只有 id、type、case、subject、at、unit、officer、data 字段，类型相关的内容应放在 data 中"),
                ));
            }
        }

        let id = required_str(obj, "id", &mut errs).and_then(|s| {
            EventId::parse(s)
                .map_err(|e| {
                    errs.push(FieldError::new(
                        "id",
                        "invalid_id",
                        format!("事件编号 `{s}` {}", zh_id_error(&e)),
                    ))
                })
                .ok()
        });
        let case = required_str(obj, "case", &mut errs).and_then(|s| {
            CaseId::parse(s)
                .map_err(|e| {
                    errs.push(FieldError::new(
                        "case",
                        "invalid_id",
                        format!("案件编号 `{s}` {}", zh_id_error(&e)),
                    ))
                })
                .ok()
        });
        let event_type = required_str(obj, "type", &mut errs).and_then(|s| {
            let t = EventType::parse(s);
            if t.is_none() {
                errs.push(FieldError::new(
                    "type",
                    "unknown_type",
                    format!("未知事件类型 `{s}`；自定义类型须以 `x-` 开头"),
                ));
            }
            t
        });
        let at = required_str(obj, "at", &mut errs).and_then(|s| match parse_instant(s) {
            Ok(t) => Some(t),
            Err(m) => {
                errs.push(FieldError::new("at", "invalid_time", m));
                None
            }
        });
        if let (Some(at), Some(now)) = (at, opts.now)
            && at > now + MAX_FUTURE_SKEW
        {
            errs.push(FieldError::new(
                "at",
                "future_time",
                format!(
                    "发生时间 `{}` 晚于接收时间 {} 超过 5 分钟",
                    format_instant(at),
                    format_instant(now)
                ),
            ));
        }
        let subject = optional_ref(obj, "subject", &mut errs);
        let unit = optional_ref(obj, "unit", &mut errs);
        let officer = optional_ref(obj, "officer", &mut errs);

        let data = match obj.get("data") {
            None | Some(Value::Null) => Data::new(),
            Some(Value::Object(m)) => Data::from(m.clone()),
            Some(_) => {
                errs.push(FieldError::new(
                    "data",
                    "wrong_type",
                    "data 必须是 JSON 对象",
                ));
                Data::new()
            }
        };

        if let Some(t) = &event_type {
            match (t.subject_rule(), &subject) {
                (SubjectRule::Required, None)
                    if matches!(obj.get("subject"), None | Some(Value::Null)) =>
                {
                    errs.push(FieldError::new(
                        "subject",
                        "required",
                        format!("`{t}` 事件必须填写 subject（人员或财物编号）"),
                    ))
                }
                (SubjectRule::Forbidden, Some(s)) => errs.push(FieldError::new(
                    "subject",
                    "subject_not_allowed",
                    format!("`{t}` 是案件级事件，不应填写 subject（收到 `{s}`）"),
                )),
                _ => {}
            }
            for spec in t.fields() {
                check_field(spec, data.get(spec.name), &mut errs);
            }
        }

        match (id, event_type, case, at) {
            (Some(id), Some(event_type), Some(case), Some(at)) if errs.is_empty() => Ok(Self {
                id,
                event_type,
                case,
                subject,
                at,
                unit,
                officer,
                data,
            }),
            _ => Err(errs),
        }
    }

    /// The canonical JSON text of the event's content: keys sorted at every depth, `at` in
    /// `+08:00`, absent optional fields left out. Two submissions are "the same content" exactly
    /// when their canonical texts are equal; the hash chain covers this text.
    pub fn canonical_json(&self) -> String {
        // Written directly, top-level keys in sorted order (at, case, data, id, officer, subject,
        // type, unit); the same bytes as sorting a map of them (the hash chain depends on it).
        let mut out: Vec<u8> = Vec::with_capacity(256);
        out.extend_from_slice(b"{\"at\":");
        write_json_str(&format_instant(self.at), &mut out);
        out.extend_from_slice(b",\"case\":");
        write_json_str(self.case.as_str(), &mut out);
        if !self.data.is_empty() {
            out.extend_from_slice(b",\"data\":");
            write_canonical_members(self.data.iter(), &mut out);
        }
        out.extend_from_slice(b",\"id\":");
        write_json_str(self.id.as_str(), &mut out);
        for (key, value) in [("officer", &self.officer), ("subject", &self.subject)] {
            if let Some(v) = value {
                out.extend_from_slice(b",\"");
                out.extend_from_slice(key.as_bytes());
                out.extend_from_slice(b"\":");
                write_json_str(v.as_str(), &mut out);
            }
        }
        out.extend_from_slice(b",\"type\":");
        write_json_str(self.event_type.as_str(), &mut out);
        if let Some(u) = &self.unit {
            out.extend_from_slice(b",\"unit\":");
            write_json_str(u.as_str(), &mut out);
        }
        out.push(b'}');
        String::from_utf8(out)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    }

    /// [`Event::canonical_json`] and its SHA-256, hex-encoded ([`Event::content_hash`]), computed
    /// once.
    pub fn canonical_json_and_hash(&self) -> (String, String) {
        let text = self.canonical_json();
        let hash = hex::encode(Sha256::digest(text.as_bytes()));
        (text, hash)
    }

    /// SHA-256 of [`Event::canonical_json`], hex-encoded.
    pub fn content_hash(&self) -> String {
        hex::encode(Sha256::digest(self.canonical_json().as_bytes()))
    }

    /// A string field of `data`, if present and a string.
    pub fn data_str(&self, key: &str) -> Option<&str> {
        self.data.get(key).and_then(Value::as_str)
    }

    /// A member of `data`, if present (see [`member`]).
    pub fn data_get(&self, key: &str) -> Option<&Value> {
        self.data.get(key)
    }

    /// A boolean field of `data`; absent or null counts as `false`.
    pub fn data_bool(&self, key: &str) -> bool {
        self.data.get(key).and_then(Value::as_bool).unwrap_or(false)
    }

    /// An integer field of `data`, if present.
    pub fn data_i64(&self, key: &str) -> Option<i64> {
        self.data.get(key).and_then(Value::as_i64)
    }
}

/// Objects with at most this many members are searched in order rather than through their hash
/// index.
const SCAN_MEMBERS: usize = 12;

/// The member `key` of a JSON object. Same answer as `Map::get`, but a small object (as `data`
/// objects are: a handful of members) is searched by comparing keys in order: the map's index
/// hashes the key with SipHash (a dependency turns on serde_json's `preserve_order`, and with it
/// std's `RandomState`), which cost more than the comparisons and was a tenth of re-evaluation's
/// instructions (`docs/performance-notes.md`, seventh round).
pub fn member<'m>(m: &'m Map<String, Value>, key: &str) -> Option<&'m Value> {
    if m.len() <= SCAN_MEMBERS {
        m.iter().find(|(k, _)| k.as_str() == key).map(|(_, v)| v)
    } else {
        m.get(key)
    }
}

/// A JSON string literal, escaped as serde_json escapes it.
fn write_json_str(s: &str, out: &mut Vec<u8>) {
    // Writing a `str` into a `Vec` cannot fail.
    let _ = serde_json::to_writer(&mut *out, s);
}

/// An object with its keys sorted at every depth, whatever map order serde_json was built with.
fn write_canonical_map(m: &Map<String, Value>, out: &mut Vec<u8>) {
    write_canonical_members(m.iter().map(|(k, v)| (k.as_str(), v)), out);
}

/// Writes a JSON object of `members` (unique keys) with its keys sorted.
fn write_canonical_members<'m>(
    members: impl Iterator<Item = (&'m str, &'m Value)>,
    out: &mut Vec<u8>,
) {
    let mut members: Vec<(&str, &Value)> = members.collect();
    members.sort_unstable_by_key(|(k, _)| *k);
    out.push(b'{');
    for (i, (k, v)) in members.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_json_str(k, out);
        out.push(b':');
        write_canonical(v, out);
    }
    out.push(b'}');
}

/// Writes JSON with object keys sorted at every depth.
fn write_canonical(v: &Value, out: &mut Vec<u8>) {
    match v {
        Value::Object(m) => write_canonical_map(m, out),
        Value::Array(a) => {
            out.push(b'[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical(x, out);
            }
            out.push(b']');
        }
        Value::String(s) => write_json_str(s, out),
        // Numbers, booleans and null: serde_json's own text; writing into a `Vec` cannot fail.
        other => {
            let _ = serde_json::to_writer(&mut *out, other);
        }
    }
}

fn zh_id_error(e: &crate::ids::IdError) -> String {
    use crate::ids::IdError;
    match e {
        IdError::Empty => "不能为空".into(),
        IdError::TooLong(n) => format!("长度为 {n}，最多 128 个字符"),
        IdError::BadChar(c) => format!("含有字符 `{c}`；只允许字母、数字和 . _ : -"),
    }
}

fn required_str<'a>(
    obj: &'a Map<String, Value>,
    key: &str,
    errs: &mut Vec<FieldError>,
) -> Option<&'a str> {
    match obj.get(key) {
        None | Some(Value::Null) => {
            errs.push(FieldError::new(
                key,
                "required",
                format!("缺少必填字段 `{key}`"),
            ));
            None
        }
        Some(Value::String(s)) => Some(s),
        Some(other) => {
            errs.push(FieldError::new(
                key,
                "wrong_type",
                format!("字段 `{key}` 应为字符串，收到 {}", json_kind(other)),
            ));
            None
        }
    }
}

fn optional_ref(obj: &Map<String, Value>, key: &str, errs: &mut Vec<FieldError>) -> Option<Ref> {
    match obj.get(key) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => match Ref::parse(s) {
            Ok(r) => Some(r),
            Err(e) => {
                use crate::ids::RefError;
                let why = match e {
                    RefError::Empty => "不能为空".to_owned(),
                    RefError::TooLong(n) => format!("长度为 {n}，最多 128 个字符"),
                    RefError::Control => "含有控制字符".to_owned(),
                };
                errs.push(FieldError::new(
                    key,
                    "invalid_id",
                    format!("字段 `{key}` {why}"),
                ));
                None
            }
        },
        Some(other) => {
            errs.push(FieldError::new(
                key,
                "wrong_type",
                format!("字段 `{key}` 应为字符串，收到 {}", json_kind(other)),
            ));
            None
        }
    }
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "布尔值",
        Value::Number(_) => "数字",
        Value::String(_) => "字符串",
        Value::Array(_) => "数组",
        Value::Object(_) => "对象",
    }
}

/// Checks one typed `data` field. A `null` counts as absent: senders often write `null` for
/// "not known", and the rules treat an absent fact and an unknown one alike.
fn check_field(spec: &FieldSpec, value: Option<&Value>, errs: &mut Vec<FieldError>) {
    let path = format!("data.{}", spec.name);
    let v = match value {
        None | Some(Value::Null) => {
            if spec.required {
                errs.push(FieldError::new(
                    path,
                    "required",
                    format!("缺少必填字段 `data.{}`", spec.name),
                ));
            }
            return;
        }
        Some(v) => v,
    };
    let wrong = |expected: &str| {
        FieldError::new(
            path.clone(),
            "wrong_type",
            format!(
                "字段 `data.{}` 应为{expected}，收到 {}",
                spec.name,
                json_kind(v)
            ),
        )
    };
    match spec.kind {
        FieldKind::Str => {
            if !v.is_string() {
                errs.push(wrong("字符串"));
            }
        }
        FieldKind::NonEmptyStr => match v.as_str() {
            Some(s) if s.trim().is_empty() => errs.push(FieldError::new(
                path.clone(),
                "required",
                format!("字段 `data.{}` 不能为空", spec.name),
            )),
            Some(_) => {}
            None => errs.push(wrong("字符串")),
        },
        FieldKind::Bool => {
            if !v.is_boolean() {
                errs.push(wrong("布尔值 true 或 false"));
            }
        }
        FieldKind::OneOf(allowed) => match v.as_str() {
            Some(s) if allowed.contains(&s) => {}
            Some(s) => errs.push(FieldError::new(
                path.clone(),
                "not_allowed",
                format!(
                    "字段 `data.{}` 的值 `{s}` 不在允许范围内（{}）",
                    spec.name,
                    allowed.join("、")
                ),
            )),
            None => errs.push(wrong("字符串")),
        },
        FieldKind::IntOneOf(allowed) => match v.as_i64() {
            Some(n) if allowed.contains(&n) => {}
            Some(n) => errs.push(FieldError::new(
                path.clone(),
                "not_allowed",
                format!(
                    "字段 `data.{}` 的值 `{n}` 不在允许范围内（{}）",
                    spec.name,
                    allowed
                        .iter()
                        .map(i64::to_string)
                        .collect::<Vec<_>>()
                        .join("、")
                ),
            )),
            None => errs.push(wrong("整数")),
        },
        FieldKind::PositiveInt => match v.as_i64() {
            Some(n) if n >= 1 => {}
            Some(n) => errs.push(FieldError::new(
                path.clone(),
                "out_of_range",
                format!("字段 `data.{}` 应为正整数，收到 `{n}`", spec.name),
            )),
            None => errs.push(wrong("正整数")),
        },
        FieldKind::NonNegativeNumber => match v.as_f64() {
            Some(n) if n >= 0.0 => {}
            Some(n) => errs.push(FieldError::new(
                path.clone(),
                "out_of_range",
                format!("字段 `data.{}` 不能为负数，收到 `{n}`", spec.name),
            )),
            None => errs.push(wrong("数字")),
        },
        FieldKind::Date => match v.as_str() {
            Some(s) if s.len() == 10 && s.parse::<jiff::civil::Date>().is_ok() => {}
            Some(s) => errs.push(FieldError::new(
                path.clone(),
                "invalid_date",
                format!(
                    "字段 `data.{}` 的值 `{s}` 不是有效日期（格式 YYYY-MM-DD）",
                    spec.name
                ),
            )),
            None => errs.push(wrong("日期字符串")),
        },
        FieldKind::Instant => match v.as_str() {
            Some(s) => {
                if let Err(m) = parse_instant(s) {
                    errs.push(FieldError::new(
                        path.clone(),
                        "invalid_time",
                        format!("字段 `data.{}`：{m}", spec.name),
                    ));
                }
            }
            None => errs.push(wrong("时间字符串")),
        },
        FieldKind::StrArray => match v.as_array() {
            Some(a)
                if a.iter()
                    .all(|x| x.as_str().is_some_and(|s| !s.trim().is_empty())) => {}
            _ => errs.push(wrong("非空字符串数组")),
        },
        FieldKind::EventId => match v.as_str() {
            Some(s) => {
                if let Err(e) = EventId::parse(s) {
                    errs.push(FieldError::new(
                        path.clone(),
                        "invalid_id",
                        format!(
                            "字段 `data.{}` 的事件编号 `{s}` {}",
                            spec.name,
                            zh_id_error(&e)
                        ),
                    ));
                }
            }
            None => errs.push(wrong("事件编号字符串")),
        },
    }
}

#[cfg(test)]
mod tests;

pub mod binary;
mod data;

pub use data::{Data, Key};
