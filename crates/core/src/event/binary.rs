//! A compact binary form of validated events, for re-reading what is already stored.
//!
//! The canonical JSON (`Event::canonical_json`) stays the source of truth: it is what the hash
//! chain covers and what `verify` checks. Beside it the store keeps each case's events in this
//! form, so that re-evaluation and ingestion read typed facts back without parsing JSON and
//! validating again (JSON parsing and validation were 28 % of re-evaluation before;
//! `docs/performance-notes.md`). [`decode`] of [`encode`] gives back an equal [`Event`].
//!
//! Layout: one version byte ([`VERSION`]), then the events one after another. An event is `id`,
//! `type`, `case` (strings), `subject` (optional string), `at` (seconds as 8 bytes little-endian,
//! then nanoseconds as 4), `unit`, `officer` (optional strings) and `data` (an object). Strings
//! are a varint length and UTF-8 bytes; an optional string is a byte 0 (absent) or 1 and the
//! string; a JSON value is a tag byte (0 null, 1 false, 2 true, 3 i64, 4 u64, 5 f64 — 8 bytes
//! little-endian each —, 6 string, 7 array: varint count and values, 8 object: varint count and
//! key/value pairs in map order).

use jiff::Timestamp;
use serde_json::{Map, Number, Value};

use crate::event::{Data, Event, Key};
use crate::event_type::EventType;
use crate::ids::{CaseId, EventId, Ref};

/// The format's version, the first byte of every encoding.
pub const VERSION: u8 = 1;

/// Nesting deeper than this is refused when decoding (the interchange format's own limit on
/// `data` is far lower; this only keeps a damaged blob from recursing without end).
const MAX_DEPTH: usize = 64;

/// Appends the binary form of `events` (after the version byte, if `out` is empty) to `out`.
pub fn encode_into(events: &[Event], out: &mut Vec<u8>) {
    if out.is_empty() {
        out.push(VERSION);
    }
    for e in events {
        put_str(out, e.id.as_str());
        put_str(out, e.event_type.as_str());
        put_str(out, e.case.as_str());
        put_opt(out, e.subject.as_ref().map(Ref::as_str));
        out.extend_from_slice(&e.at.as_second().to_le_bytes());
        out.extend_from_slice(&e.at.subsec_nanosecond().to_le_bytes());
        put_opt(out, e.unit.as_ref().map(Ref::as_str));
        put_opt(out, e.officer.as_ref().map(Ref::as_str));
        put_members(out, e.data.len(), e.data.iter());
    }
}

/// The binary form of `events`.
pub fn encode(events: &[Event]) -> Vec<u8> {
    let mut out = Vec::with_capacity(1 + events.len() * 160);
    encode_into(events, &mut out);
    out
}

/// Why a binary form could not be read back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("binary event form damaged at byte {at}: {reason}")]
pub struct DecodeError {
    /// The byte offset where reading failed.
    pub at: usize,
    /// What was wrong there.
    pub reason: &'static str,
}

/// Reads back every event of an encoding made by [`encode`] or [`encode_into`].
pub fn decode(bytes: &[u8]) -> Result<Vec<Event>, DecodeError> {
    let mut r = Reader {
        bytes,
        pos: 0,
        case: None,
        refs: Vec::with_capacity(RECENT_REFS),
    };
    match r.byte()? {
        VERSION => {}
        _ => return Err(r.fail("unknown version")),
    }
    // About 110 bytes per event in practice: one allocation instead of a doubling series (an
    // `Event` is a few hundred bytes to move).
    let mut events = Vec::with_capacity(bytes.len() / 96 + 1);
    while r.pos < bytes.len() {
        events.push(r.event()?);
    }
    Ok(events)
}

fn put_varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    put_varint(out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

fn put_opt(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        None => out.push(0),
        Some(s) => {
            out.push(1);
            put_str(out, s);
        }
    }
}

fn put_map(out: &mut Vec<u8>, m: &Map<String, Value>) {
    put_members(out, m.len(), m.iter().map(|(k, v)| (k.as_str(), v)));
}

fn put_members<'m>(
    out: &mut Vec<u8>,
    n: usize,
    members: impl Iterator<Item = (&'m str, &'m Value)>,
) {
    put_varint(out, n as u64);
    for (k, v) in members {
        put_str(out, k);
        put_value(out, v);
    }
}

fn put_value(out: &mut Vec<u8>, v: &Value) {
    match v {
        Value::Null => out.push(0),
        Value::Bool(false) => out.push(1),
        Value::Bool(true) => out.push(2),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                out.push(3);
                out.extend_from_slice(&i.to_le_bytes());
            } else if let Some(u) = n.as_u64() {
                out.push(4);
                out.extend_from_slice(&u.to_le_bytes());
            } else {
                out.push(5);
                out.extend_from_slice(&n.as_f64().unwrap_or(f64::NAN).to_le_bytes());
            }
        }
        Value::String(s) => {
            out.push(6);
            put_str(out, s);
        }
        Value::Array(a) => {
            out.push(7);
            put_varint(out, a.len() as u64);
            for x in a {
                put_value(out, x);
            }
        }
        Value::Object(m) => {
            out.push(8);
            put_map(out, m);
        }
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    /// The case of the event read last: a history's events share it.
    case: Option<CaseId>,
    /// References read recently (units, officers, subjects repeat within a case), most recent
    /// last: a repeat is cloned instead of checked and parsed again.
    refs: Vec<Ref>,
}

/// How many recent references [`Reader`] keeps.
const RECENT_REFS: usize = 8;

impl<'a> Reader<'a> {
    fn fail(&self, reason: &'static str) -> DecodeError {
        DecodeError {
            at: self.pos,
            reason,
        }
    }

    fn byte(&mut self) -> Result<u8, DecodeError> {
        let b = *self
            .bytes
            .get(self.pos)
            .ok_or_else(|| self.fail("unexpected end"))?;
        self.pos += 1;
        Ok(b)
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        let s = self
            .pos
            .checked_add(n)
            .and_then(|end| self.bytes.get(self.pos..end))
            .ok_or_else(|| self.fail("unexpected end"))?;
        self.pos += n;
        Ok(s)
    }

    fn fixed<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let s = self.take(N)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    fn varint(&mut self) -> Result<u64, DecodeError> {
        // Lengths below 128, nearly all of them, are one byte.
        if let Some(&b) = self.bytes.get(self.pos)
            && b < 0x80
        {
            self.pos += 1;
            return Ok(u64::from(b));
        }
        let mut n = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            n |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return Ok(n);
            }
        }
        Err(self.fail("varint too long"))
    }

    fn len(&mut self) -> Result<usize, DecodeError> {
        let n = self.varint()?;
        usize::try_from(n)
            .ok()
            .filter(|n| *n <= self.bytes.len() - self.pos)
            .ok_or_else(|| self.fail("length beyond the end"))
    }

    fn str(&mut self) -> Result<&'a str, DecodeError> {
        let s = self.raw_str()?;
        std::str::from_utf8(s).map_err(|_| self.fail("string is not UTF-8"))
    }

    /// A string's bytes, not yet checked to be UTF-8.
    fn raw_str(&mut self) -> Result<&'a [u8], DecodeError> {
        let n = self.len()?;
        self.take(n)
    }

    /// An optional reference; one equal byte for byte to a recent one is that one again (its
    /// bytes were checked when it was first read).
    fn opt_ref(&mut self) -> Result<Option<Ref>, DecodeError> {
        match self.byte()? {
            0 => return Ok(None),
            1 => {}
            _ => return Err(self.fail("bad option tag")),
        }
        let raw = self.raw_str()?;
        if let Some(r) = self
            .refs
            .iter()
            .rev()
            .find(|r| r.as_str().as_bytes() == raw)
        {
            return Ok(Some(r.clone()));
        }
        let r = std::str::from_utf8(raw)
            .ok()
            .and_then(|s| Ref::parse(s).ok())
            .ok_or_else(|| self.fail("invalid reference"))?;
        if self.refs.len() == RECENT_REFS {
            self.refs.remove(0);
        }
        self.refs.push(r.clone());
        Ok(Some(r))
    }

    /// The case id, which is usually the previous event's.
    fn case_id(&mut self) -> Result<CaseId, DecodeError> {
        let raw = self.raw_str()?;
        if let Some(c) = self.case.as_ref().filter(|c| c.as_str().as_bytes() == raw) {
            return Ok(c.clone());
        }
        let c = std::str::from_utf8(raw)
            .ok()
            .and_then(|s| CaseId::parse(s).ok())
            .ok_or_else(|| self.fail("invalid case id"))?;
        self.case = Some(c.clone());
        Ok(c)
    }

    fn event(&mut self) -> Result<Event, DecodeError> {
        let id = EventId::parse(self.str()?).map_err(|_| self.fail("invalid event id"))?;
        let ty = self.raw_str()?;
        let event_type =
            EventType::parse_bytes(ty).ok_or_else(|| self.fail("unknown event type"))?;
        let case = self.case_id()?;
        let subject = self.opt_ref()?;
        let secs = i64::from_le_bytes(self.fixed()?);
        let nanos = i32::from_le_bytes(self.fixed()?);
        let at = Timestamp::new(secs, nanos).map_err(|_| self.fail("instant out of range"))?;
        let unit = self.opt_ref()?;
        let officer = self.opt_ref()?;
        let data = self.data(&event_type)?;
        Ok(Event {
            id,
            event_type,
            case,
            subject,
            at,
            unit,
            officer,
            data,
        })
    }

    /// An event's `data`: the names of the fields its type declares are the declaration's own
    /// `&'static str`, compared byte for byte (they were checked to be UTF-8 when written).
    fn data(&mut self, event_type: &EventType) -> Result<Data, DecodeError> {
        let n = self.len()?;
        let mut d = Data::with_capacity(n);
        let fields = event_type.fields();
        for _ in 0..n {
            let raw = self.raw_str()?;
            let key: Key = match fields.iter().find(|f| f.name.as_bytes() == raw) {
                Some(f) => Key::Borrowed(f.name),
                None => Key::Owned(
                    std::str::from_utf8(raw)
                        .map_err(|_| self.fail("string is not UTF-8"))?
                        .to_owned(),
                ),
            };
            if d.contains_key(&key) {
                return Err(self.fail("duplicate key"));
            }
            let v = self.value(1)?;
            d.push_new(key, v);
        }
        Ok(d)
    }

    fn map(&mut self, depth: usize) -> Result<Map<String, Value>, DecodeError> {
        let n = self.len()?;
        let mut m = Map::with_capacity(n);
        for _ in 0..n {
            let k = self.str()?.to_owned();
            let v = self.value(depth + 1)?;
            m.insert(k, v);
        }
        Ok(m)
    }

    fn value(&mut self, depth: usize) -> Result<Value, DecodeError> {
        if depth > MAX_DEPTH {
            return Err(self.fail("nested too deeply"));
        }
        Ok(match self.byte()? {
            0 => Value::Null,
            1 => Value::Bool(false),
            2 => Value::Bool(true),
            3 => Value::Number(i64::from_le_bytes(self.fixed()?).into()),
            4 => Value::Number(u64::from_le_bytes(self.fixed()?).into()),
            5 => {
                let f = f64::from_le_bytes(self.fixed()?);
                Value::Number(Number::from_f64(f).ok_or_else(|| self.fail("non-finite number"))?)
            }
            6 => Value::String(self.str()?.to_owned()),
            7 => {
                let n = self.len()?;
                let mut a = Vec::with_capacity(n);
                for _ in 0..n {
                    a.push(self.value(depth + 1)?);
                }
                Value::Array(a)
            }
            8 => Value::Object(self.map(depth)?),
            _ => return Err(self.fail("unknown value tag")),
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::ParseOptions;

    fn event(v: Value) -> Event {
        Event::parse(&v, ParseOptions { now: None }).expect("valid event")
    }

    #[test]
    fn round_trips_every_field_and_value_kind() {
        let events = vec![
            event(json!({
                "id": "E-1", "type": "case.accepted", "case": "C-1",
                "at": "2026-03-02T10:23:45.123456789+08:00", "unit": "派出所-1", "officer": "010203",
                "data": {"kind": "criminal", "cause": "盗窃", "n": -3, "big": 18446744073709551615u64,
                         "f": 1.5, "t": true, "no": false, "nil": null,
                         "list": [1, "二", {"x": [null]}], "obj": {"b": 1, "a": 2}}
            })),
            event(json!({
                "id": "E-2", "type": "x-local.note", "case": "C-1",
                "at": "2026-03-02T10:24:00+08:00"
            })),
        ];
        let bytes = encode(&events);
        assert_eq!(bytes.first(), Some(&VERSION));
        assert_eq!(decode(&bytes).expect("decodes"), events);
        // Appending to an existing encoding is the same as encoding everything at once.
        let mut split = encode(&events[..1]);
        encode_into(&events[1..], &mut split);
        assert_eq!(split, bytes);
        // Map order survives, so the canonical text (and its hash) is unchanged.
        let back = decode(&bytes).expect("decodes");
        assert_eq!(back[0].canonical_json(), events[0].canonical_json());
        let keys: Vec<&str> = back[0].data.keys().collect();
        let sent: Vec<&str> = events[0].data.keys().collect();
        assert_eq!(keys, sent);
    }

    #[test]
    fn repeated_and_changing_references_decode_as_sent() {
        // More distinct units and officers than the reader keeps, repeated out of order, and
        // events of two cases interleaved: the recent-reference cache must never answer for a
        // different string.
        let events: Vec<Event> = (0..60)
            .map(|i| {
                event(json!({
                    "id": format!("E-{i}"), "type": "person.registered",
                    "case": if i % 7 == 3 { "C-2" } else { "C-1" },
                    "subject": format!("P{}", i % 11),
                    "at": "2026-03-02T10:23:45+08:00",
                    "unit": format!("U-{}", (i * 5) % 13),
                    "officer": format!("{:06}", (i * 3) % 17),
                    "data": {"role": "suspect", "name": "张三"}
                }))
            })
            .collect();
        assert_eq!(decode(&encode(&events)).expect("decodes"), events);
        // A changed or damaged repeat of a cached reference is read and checked, not taken from
        // the cache.
        let same_unit: Vec<Event> = (0..2)
            .map(|i| {
                event(json!({
                    "id": format!("E-{i}"), "type": "case.accepted", "case": "C-1",
                    "at": "2026-03-02T10:23:45+08:00", "unit": "U-0",
                    "data": {"kind": "criminal", "cause": "盗窃"}
                }))
            })
            .collect();
        let mut bytes = encode(&same_unit);
        let second = encode(&same_unit[..1]).len();
        let p = bytes
            .get(second..)
            .and_then(|tail| tail.windows(3).position(|w| w == b"U-0"))
            .map(|p| second + p + 1)
            .expect("the second event names its unit");
        bytes[p] = b' ';
        let back = decode(&bytes).expect("`U 0` is a valid reference");
        assert_eq!(back[1].unit.as_ref().map(Ref::as_str), Some("U 0"));
        bytes[p] = 0xff;
        assert_eq!(decode(&bytes).unwrap_err().reason, "invalid reference");
    }

    #[test]
    fn the_empty_history_is_one_byte() {
        assert_eq!(encode(&[]), vec![VERSION]);
        assert_eq!(decode(&[VERSION]).expect("decodes"), Vec::<Event>::new());
    }

    #[test]
    fn damage_is_reported_with_its_offset_not_a_panic() {
        let bytes = encode(&[event(json!({
            "id": "E-1", "type": "case.accepted", "case": "C-1",
            "at": "2026-03-02T10:23:45+08:00", "data": {"kind": "criminal", "cause": "盗窃"}
        }))]);
        assert_eq!(
            decode(&[]).unwrap_err().reason,
            "unexpected end",
            "no version byte"
        );
        assert_eq!(decode(&[9]).unwrap_err().reason, "unknown version");
        // (Only the version byte is the empty history.)
        for cut in 2..bytes.len() {
            let err = decode(&bytes[..cut]).expect_err("a truncated blob is refused");
            assert!(err.at <= cut, "{err} for a cut at {cut}");
        }
        let mut bad = bytes.clone();
        bad[2] = 0xff; // inside the id: no longer UTF-8 or a valid id
        assert!(decode(&bad).is_err());
        // A huge length is refused before anything is allocated.
        assert_eq!(
            decode(&[VERSION, 0xff, 0xff, 0xff, 0xff, 0x0f])
                .unwrap_err()
                .reason,
            "length beyond the end"
        );
    }

    #[test]
    fn a_repeated_data_key_is_damage() {
        // Two keys of the same length: the second rewritten in place to the first.
        let bytes = encode(&[event(json!({
            "id": "E-1", "type": "case.accepted", "case": "C-1",
            "at": "2026-03-02T10:23:45+08:00", "data": {"kind": "criminal", "zzzz": "x"}
        }))]);
        let at = bytes
            .windows(4)
            .position(|w| w == b"zzzz")
            .expect("the second key is in the blob");
        let mut bad = bytes.clone();
        bad[at..at + 4].copy_from_slice(b"kind");
        assert_eq!(decode(&bad).unwrap_err().reason, "duplicate key");
    }
}
