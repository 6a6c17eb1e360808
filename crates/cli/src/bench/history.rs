//! The synthetic history: the demo generator's city bureau, and extra cases for the live load
//! under their own id prefix so that they never collide with the stored ones.

use casewatch_core::time::parse_instant;
use jiff::Timestamp;
use serde_json::Value;

/// A tiny deterministic generator (SplitMix64) for the benchmark's own random choices: case ids
/// to read, instants of synthetic clocks.
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        Self(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next_u64() % n }
    }

    /// An element of a slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        let i = usize::try_from(self.below(items.len() as u64)).unwrap_or(0);
        items.get(i)
    }
}

/// Prefixes the event id, the case id and a retraction's target of a demo event with `prefix`,
/// making a new case out of a stored one's twin.
pub fn prefixed(mut v: Value, prefix: &str) -> Value {
    for key in ["id", "case"] {
        if let Some(Value::String(s)) = v.get_mut(key) {
            *s = format!("{prefix}{s}");
        }
    }
    if let Some(Value::String(t)) = v.get_mut("data").and_then(|d| d.get_mut("target")) {
        *t = format!("{prefix}{t}");
    }
    v
}

/// New events for a live load: the events of enough demo cases (with `prefix` on their ids)
/// to give `n` events, ordered by their instant across cases as a live feed delivers them
/// (a case's events keep their order), and cut at `n`.
pub fn live_events(n: usize, seed: u64, now: Timestamp, prefix: &str) -> Vec<Value> {
    // About 22 events per demo case: ask for enough cases with room to spare.
    let cases = (n as u64 / 12).max(4);
    let cfg = casewatch_demo::DemoConfig { cases, seed, now };
    let mut events: Vec<(i64, usize, Value)> = casewatch_demo::events(&cfg)
        .enumerate()
        .map(|(i, v)| {
            let at = v
                .get("at")
                .and_then(Value::as_str)
                .and_then(|s| parse_instant(s).ok())
                .map_or(0, |t| t.as_microsecond());
            (at, i, prefixed(v, prefix))
        })
        .collect();
    events.sort_by_key(|(at, i, _)| (*at, *i));
    events.truncate(n);
    events.into_iter().map(|(_, _, v)| v).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixing_reaches_ids_cases_and_retraction_targets() {
        let v = serde_json::json!({"id": "A-1", "case": "A", "data": {"target": "A-0"}});
        let p = prefixed(v, "L-");
        assert_eq!(p["id"], "L-A-1");
        assert_eq!(p["case"], "L-A");
        assert_eq!(p["data"]["target"], "L-A-0");
    }

    #[test]
    fn live_events_come_in_time_order() {
        let now: Timestamp = "2026-04-01T12:00:00+08:00".parse().unwrap();
        let events = live_events(500, 1, now, "L-");
        assert_eq!(events.len(), 500);
        let ats: Vec<i64> = events
            .iter()
            .map(|v| {
                parse_instant(v["at"].as_str().unwrap())
                    .unwrap()
                    .as_microsecond()
            })
            .collect();
        assert!(ats.windows(2).all(|w| w[0] <= w[1]));
    }
}
