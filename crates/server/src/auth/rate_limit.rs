//! A small token-bucket rate limiter keyed by client (IP) and purpose, for the login and token
//! endpoints. In memory: each server limits its own clients; the account lockout in the database
//! is what holds across servers.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Allows `burst` requests at once and `per_minute` sustained per key.
#[derive(Debug)]
pub struct RateLimiter {
    burst: f64,
    per_sec: f64,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

impl RateLimiter {
    /// A limiter with the given burst and sustained rate.
    pub fn new(burst: u32, per_minute: u32) -> Self {
        Self {
            burst: f64::from(burst),
            per_sec: f64::from(per_minute) / 60.0,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token for `key` at `now`; `Err(wait)` says how long until the next one.
    pub fn check(&self, key: &str, now: Instant) -> Result<(), Duration> {
        self.take(key, now, true)
    }

    /// Whether `key` has a token at `now`, without taking it; `Err(wait)` as for
    /// [`RateLimiter::check`]. With [`RateLimiter::charge`], limits only failures: peek before
    /// the attempt, charge after a failed one.
    pub fn peek(&self, key: &str, now: Instant) -> Result<(), Duration> {
        self.take(key, now, false)
    }

    /// Takes one token for `key` at `now` if there is one.
    pub fn charge(&self, key: &str, now: Instant) {
        let _ = self.take(key, now, true);
    }

    fn take(&self, key: &str, now: Instant, consume: bool) -> Result<(), Duration> {
        let mut map = match self.buckets.lock() {
            Ok(m) => m,
            Err(poisoned) => poisoned.into_inner(),
        };
        // Keep memory bounded: forget buckets that have refilled completely.
        if map.len() > 10_000 {
            let full_after = Duration::from_secs_f64(self.burst / self.per_sec.max(1e-9));
            map.retain(|_, (_, last)| now.duration_since(*last) < full_after);
        }
        let (tokens, last) = map.entry(key.to_owned()).or_insert((self.burst, now));
        let refill = now.duration_since(*last).as_secs_f64() * self.per_sec;
        *tokens = (*tokens + refill).min(self.burst);
        *last = now;
        if *tokens >= 1.0 {
            if consume {
                *tokens -= 1.0;
            }
            Ok(())
        } else {
            Err(Duration::from_secs_f64(
                (1.0 - *tokens) / self.per_sec.max(1e-9),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bursts_then_refills() {
        let rl = RateLimiter::new(3, 60);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(rl.check("1.2.3.4:login", t0).is_ok());
        }
        let wait = rl.check("1.2.3.4:login", t0).unwrap_err();
        assert!(wait <= Duration::from_secs(1));
        assert!(rl.check("5.6.7.8:login", t0).is_ok(), "keys are separate");
        assert!(
            rl.check("1.2.3.4:login", t0 + Duration::from_secs(1))
                .is_ok(),
            "one token per second"
        );
    }

    #[test]
    fn peeking_takes_nothing_and_charging_does() {
        let rl = RateLimiter::new(2, 60);
        let t0 = Instant::now();
        for _ in 0..5 {
            assert!(rl.peek("k", t0).is_ok());
        }
        rl.charge("k", t0);
        rl.charge("k", t0);
        assert!(rl.peek("k", t0).is_err());
        rl.charge("k", t0);
        assert!(rl.peek("k", t0 + Duration::from_secs(1)).is_ok());
    }
}
