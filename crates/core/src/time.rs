//! Instants on the wire and in storage.
//!
//! Instants are kept as UTC [`Timestamp`]s. On the wire and in canonical form they are written in
//! China Standard Time (`+08:00`): Asia/Shanghai has had no daylight saving time since 1991, so a
//! fixed offset is exact for every case this system handles and needs no time-zone database.

use jiff::tz::{Offset, TimeZone};
use jiff::{Timestamp, Zoned};

/// UTC+08:00, the offset of Asia/Shanghai.
pub const CST: Offset = Offset::constant(8);

/// The time zone every statutory period is computed in.
pub fn china_tz() -> TimeZone {
    TimeZone::fixed(CST)
}

/// Parses an RFC 3339 instant that carries an offset (`Z` or `±hh:mm`).
pub fn parse_instant(s: &str) -> Result<Timestamp, String> {
    // jiff accepts a few ISO 8601 forms beyond RFC 3339; we insist on the date-time separator and
    // an explicit offset so that a local time without zone is never silently taken as UTC.
    if !s.contains(['T', 't']) {
        return Err(format!(
            "`{s}` 不是 RFC 3339 时间（缺少日期与时间之间的 T）"
        ));
    }
    s.parse::<Timestamp>().map_err(|_| {
        format!("`{s}` 不是带时区偏移的 RFC 3339 时间（例如 2026-03-01T10:23:00+08:00）")
    })
}

/// Writes an instant as RFC 3339 in `+08:00`, with fractional seconds only when present.
pub fn format_instant(ts: Timestamp) -> String {
    let z: Zoned = ts.to_zoned(china_tz());
    if ts.subsec_nanosecond() == 0 {
        z.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string()
    } else {
        z.strftime("%Y-%m-%dT%H:%M:%S%.f%:z").to_string()
    }
}

/// Microseconds since the Unix epoch, the storage form of an instant (sortable, dialect-neutral).
pub fn to_micros(ts: Timestamp) -> i64 {
    ts.as_microsecond()
}

/// The inverse of [`to_micros`]; `None` outside the representable range.
pub fn from_micros(us: i64) -> Option<Timestamp> {
    Timestamp::from_microsecond(us).ok()
}

/// Writes an instant the Chinese way for people: `2026年3月2日 10:23`.
pub fn format_zh(ts: Timestamp) -> String {
    ts.to_zoned(china_tz())
        .strftime("%Y年%-m月%-d日 %H:%M")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_round_trip_in_cst() -> Result<(), String> {
        let t = parse_instant("2026-03-01T02:23:00Z")?;
        assert_eq!(format_instant(t), "2026-03-01T10:23:00+08:00");
        let t = parse_instant("2026-03-01T10:23:00.250+08:00")?;
        assert_eq!(format_instant(t), "2026-03-01T10:23:00.25+08:00");
        assert_eq!(format_zh(t), "2026年3月1日 10:23");
        assert_eq!(from_micros(to_micros(t)), Some(t));
        Ok(())
    }

    #[test]
    fn instants_need_an_offset() {
        assert!(parse_instant("2026-03-01T10:23:00").is_err());
        assert!(parse_instant("2026-03-01").is_err());
        assert!(parse_instant("yesterday").is_err());
    }
}

/// Where "now" comes from. The server uses [`SystemClock`]; tests set a [`FixedClock`].
pub trait Clock: Send + Sync {
    /// The current instant.
    fn now(&self) -> Timestamp;
}

/// The system's wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// A clock that always answers the same instant.
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub Timestamp);

impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        self.0
    }
}
