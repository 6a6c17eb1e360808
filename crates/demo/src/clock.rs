//! Instants as Unix seconds, written in China Standard Time.
//!
//! The generator works on plain `i64` seconds rather than [`jiff::Timestamp`]: it creates
//! millions of instants per second, and integer arithmetic plus a hand-written RFC 3339 writer is
//! several times cheaper than going through a time-zone aware type. Asia/Shanghai has had no
//! daylight saving time since 1991, so a fixed `+08:00` is exact.

use std::fmt::Write as _;

/// One minute in seconds.
pub(crate) const MIN: i64 = 60;
/// One hour in seconds.
pub(crate) const HOUR: i64 = 60 * MIN;
/// One day in seconds.
pub(crate) const DAY: i64 = 24 * HOUR;
/// The offset of China Standard Time from UTC.
const CST_OFFSET: i64 = 8 * HOUR;

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
pub(crate) const fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The proleptic Gregorian `(year, month, day)` of a count of days since 1970-01-01.
pub(crate) const fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + if month <= 2 { 1 } else { 0 };
    (year, month, day)
}

/// The Asia/Shanghai calendar day (days since 1970-01-01) an instant falls on.
pub(crate) const fn local_day(secs: i64) -> i64 {
    (secs + CST_OFFSET).div_euclid(DAY)
}

/// The instant of 00:00 Asia/Shanghai on a calendar day.
pub(crate) const fn day_start(day: i64) -> i64 {
    day * DAY - CST_OFFSET
}

/// The Asia/Shanghai calendar year an instant falls in.
pub(crate) const fn local_year(secs: i64) -> i64 {
    civil_from_days(local_day(secs)).0
}

/// 2026-01-01T00:00:00+08:00, from when the revised public-order law applies (`rules.md`).
pub(crate) const LAW_2026: i64 = day_start(days_from_civil(2026, 1, 1));

/// Writes an instant as RFC 3339 in `+08:00`, e.g. `2026-03-01T10:23:00+08:00`.
pub(crate) fn format_cst(secs: i64) -> String {
    let local = secs + CST_OFFSET;
    let (y, mo, d) = civil_from_days(local.div_euclid(DAY));
    let sod = local.rem_euclid(DAY);
    let mut s = String::with_capacity(25);
    push_year(&mut s, y);
    s.push('-');
    push2(&mut s, mo);
    s.push('-');
    push2(&mut s, d);
    s.push('T');
    push2(&mut s, sod / HOUR);
    s.push(':');
    push2(&mut s, sod % HOUR / MIN);
    s.push(':');
    push2(&mut s, sod % MIN);
    s.push_str("+08:00");
    s
}

/// Writes a calendar day as `YYYY-MM-DD`.
pub(crate) fn format_date(day: i64) -> String {
    let (y, mo, d) = civil_from_days(day);
    let mut s = String::with_capacity(10);
    push_year(&mut s, y);
    s.push('-');
    push2(&mut s, mo);
    s.push('-');
    push2(&mut s, d);
    s
}

/// Writes a calendar day as `YYYYMMDD`, the form inside an id-card number.
pub(crate) fn compact_date(day: i64, out: &mut String) {
    let (y, mo, d) = civil_from_days(day);
    push_year(out, y);
    push2(out, mo);
    push2(out, d);
}

fn push_year(s: &mut String, y: i64) {
    if (1000..=9999).contains(&y) {
        push2(s, y / 100);
        push2(s, y % 100);
    } else {
        // Outside the years a demo can sensibly cover; still write something rather than fail.
        let _ = write!(s, "{y:04}");
    }
}

/// Pushes a number in 0..100 as two digits.
fn push2(s: &mut String, n: i64) {
    let n = n.rem_euclid(100);
    s.push(digit(n / 10));
    s.push(digit(n % 10));
}

fn digit(n: i64) -> char {
    char::from_digit(u32::try_from(n).unwrap_or(0), 10).unwrap_or('0')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_conversions_round_trip() {
        for day in -800_000..800_000 {
            let (y, m, d) = civil_from_days(day);
            assert_eq!(days_from_civil(y, m, d), day);
        }
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(civil_from_days(days_from_civil(2024, 2, 29)), (2024, 2, 29));
    }

    #[test]
    fn formatting_matches_jiff() {
        let tz = jiff::tz::TimeZone::fixed(jiff::tz::Offset::constant(8));
        for secs in (1_600_000_000_i64..1_900_000_000).step_by(7_777_777) {
            let ts = jiff::Timestamp::from_second(secs).unwrap();
            let want = ts
                .to_zoned(tz.clone())
                .strftime("%Y-%m-%dT%H:%M:%S%:z")
                .to_string();
            assert_eq!(format_cst(secs), want);
            assert_eq!(format_date(local_day(secs)), want.get(..10).unwrap());
        }
        assert_eq!(format_cst(LAW_2026), "2026-01-01T00:00:00+08:00");
        assert_eq!(local_year(LAW_2026 - 1), 2025);
    }
}
