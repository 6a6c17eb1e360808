//! An event's `data` object: its members in the order sent, in a flat list.
//!
//! `data` objects hold a handful of members (1.5 on average in the demo history, rarely more than
//! six). A `serde_json::Map` keeps them in an `IndexMap` (a dependency turns on serde_json's
//! `preserve_order`): two allocations per object, one per key, and a SipHash of every key on
//! insertion. Re-evaluation decodes every event of every case, and building those maps was a
//! seventh of its time (`docs/performance-notes.md`, twelfth round). Here a `data` object is one
//! vector of pairs; the names of the fields an event type declares are `&'static str`, so that
//! reading a stored event allocates nothing for them. Lookups compare keys in order.
//!
//! Equality is that of JSON objects: the same members with equal values, in any order.

use std::borrow::Cow;

use serde::de::{Deserialize, Deserializer};
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value};

/// A member's name: one of the names an event type declares, or an owned string.
pub type Key = Cow<'static, str>;

/// The `data` object of an event. Keys are unique; the order is the order sent.
#[derive(Debug, Clone, Default)]
pub struct Data(Vec<(Key, Value)>);

impl Data {
    /// An empty object.
    pub const fn new() -> Self {
        Self(Vec::new())
    }

    /// An empty object with room for `n` members.
    pub fn with_capacity(n: usize) -> Self {
        Self(Vec::with_capacity(n))
    }

    /// The number of members.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no members.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The member `key`, if present.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// Whether `key` is a member.
    pub fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// Sets the member `key` (in its place, if it was present; otherwise last) and returns its
    /// previous value.
    pub fn insert(&mut self, key: impl Into<Key>, value: Value) -> Option<Value> {
        let key = key.into();
        match self.0.iter_mut().find(|(k, _)| *k == key) {
            Some((_, v)) => Some(std::mem::replace(v, value)),
            None => {
                self.0.push((key, value));
                None
            }
        }
    }

    /// Appends a member known not to be present yet (the caller checked with
    /// [`Data::contains_key`]).
    pub(crate) fn push_new(&mut self, key: Key, value: Value) {
        debug_assert!(!self.contains_key(&key));
        self.0.push((key, value));
    }

    /// The members in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &Value)> {
        self.0.iter().map(|(k, v)| (k.as_ref(), v))
    }

    /// The names of the members in order.
    pub fn keys(&self) -> impl ExactSizeIterator<Item = &str> {
        self.0.iter().map(|(k, _)| k.as_ref())
    }

    /// The values of the members in order.
    pub fn values(&self) -> impl ExactSizeIterator<Item = &Value> {
        self.0.iter().map(|(_, v)| v)
    }

    /// The object as a JSON map, in the same order.
    pub fn to_map(&self) -> Map<String, Value> {
        self.0
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }
}

impl PartialEq for Data {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().all(|(k, v)| other.get(k) == Some(v))
    }
}

impl From<Map<String, Value>> for Data {
    /// The members of a JSON map (whose keys are unique), in its order.
    fn from(m: Map<String, Value>) -> Self {
        Self(m.into_iter().map(|(k, v)| (Key::Owned(k), v)).collect())
    }
}

impl Serialize for Data {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.len()))?;
        for (k, v) in self.iter() {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

impl<'de> Deserialize<'de> for Data {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Map::<String, Value>::deserialize(d).map(Self::from)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn data(v: Value) -> Data {
        match v {
            Value::Object(m) => Data::from(m),
            _ => Data::new(),
        }
    }

    #[test]
    fn keeps_the_order_sent_and_replaces_in_place() {
        let mut d = data(json!({"b": 1, "a": 2}));
        assert_eq!(d.keys().collect::<Vec<_>>(), ["b", "a"]);
        assert_eq!(d.insert("b", json!(3)), Some(json!(1)));
        assert_eq!(d.insert("c", json!(4)), None);
        assert_eq!(d.keys().collect::<Vec<_>>(), ["b", "a", "c"]);
        assert_eq!(d.get("b"), Some(&json!(3)));
        assert_eq!(d.get("z"), None);
        assert!(d.contains_key("c"));
        assert_eq!(d.len(), 3);
    }

    #[test]
    fn equality_ignores_order_as_json_objects_do() {
        assert_eq!(
            data(json!({"a": 1, "b": [1]})),
            data(json!({"b": [1], "a": 1}))
        );
        assert_ne!(data(json!({"a": 1})), data(json!({"a": 2})));
        assert_ne!(data(json!({"a": 1})), data(json!({"a": 1, "b": 1})));
        assert_eq!(
            data(json!({"x": {"y": true}})).to_map(),
            json!({"x": {"y": true}})
                .as_object()
                .cloned()
                .unwrap_or_default()
        );
    }

    #[test]
    fn serializes_as_an_object_in_order() {
        let d = data(json!({"z": "1", "a": null}));
        assert_eq!(
            serde_json::to_string(&d).unwrap_or_default(),
            r#"{"z":"1","a":null}"#
        );
        let back: Data = serde_json::from_str(r#"{"z":"1","a":null}"#).unwrap_or_default();
        assert_eq!(back, d);
        assert!(serde_json::from_str::<Data>("[1]").is_err());
    }
}
