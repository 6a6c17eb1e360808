//! Statutory periods: from a start instant and a limit to the instant the limit is exceeded.
//!
//! The rules are those of `rules.md` §1, summarised in the documentation of [`crate::time`].
//! Every function here is total: arithmetic that would leave jiff's range (years -9999..=9999)
//! saturates at the end of that range instead of failing.

use jiff::civil::{Date, Time};
use jiff::{SignedDuration, Span, Timestamp};
use serde::{Deserialize, Serialize};

use casewatch_core::time::china_tz;

use super::calendar::Calendar;

/// Nanoseconds in a day of 24 hours.
const NANOS_PER_DAY: i128 = 86_400 * 1_000_000_000;

/// Nanoseconds in a minute.
const NANOS_PER_MINUTE: i128 = 60 * 1_000_000_000;

/// The resolution at which [`warning_at`] reads its fraction: parts per billion.
const FRACTION_SCALE: f64 = 1e9;

/// How a clock's last day treats rest days.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CalendarMode {
    /// A period whose last day, if a rest day, moves to the next working day (days and months
    /// limits only).
    Ordinary,
    /// A period during which the person's liberty is restricted (羁押、拘留、留置 and the like):
    /// it never moves for holidays (刑事诉讼法 105; 行政案件程序规定 35).
    Custody,
    /// A period fixed by the rule that never moves for holidays.
    Fixed,
}

/// The length of a statutory period. A negative count is read as zero.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Limit {
    /// `N` hours from the start instant, to the nanosecond.
    Hours(i64),
    /// `N` days, not counting the day of the start instant.
    Days(i64),
    /// `N` months, to the same day of the month (or the last day of a shorter month).
    Months(i64),
    /// `N` working days, counted from the day after the day of the start instant.
    WorkingDays(i64),
}

/// When a period ends, and how that was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Due {
    /// The first instant at which the limit is exceeded: for a day-based limit, 00:00 (+08:00) of
    /// the day after `last_day`.
    pub due: Timestamp,
    /// For day, month and working-day limits: the last day of the period, after pauses and any
    /// holiday shift. `None` for hour limits.
    pub last_day: Option<Date>,
    /// The last day before the holiday shift, when the last day was shifted.
    pub shifted_from: Option<Date>,
    /// Years the computation consulted the calendar for but the calendar does not cover, so that
    /// only Saturdays and Sundays were taken as rest days there; ascending, without repeats.
    pub uncovered_years: Vec<i32>,
}

/// Computes when a period that starts at `t0` ends.
///
/// `pause_days` (see [`pause_days`]) lengthens a day-based period before the holiday shift: as
/// calendar days for days and months limits, as working days for working-day limits. Hour limits
/// ignore it, as does a negative value.
///
/// `uncovered_years` lists the years from the day of `t0` through the final last day that `cal`
/// does not cover, for the computations that consult the calendar: working-day limits in every
/// mode, and days and months limits in [`CalendarMode::Ordinary`]. Custody and fixed days or
/// months, and hour limits, do not depend on the calendar and report none.
pub fn compute_due(
    t0: Timestamp,
    limit: Limit,
    mode: CalendarMode,
    pause_days: i64,
    cal: &Calendar,
) -> Due {
    let start = date_of(t0);
    let pause = pause_days.max(0);
    match limit {
        Limit::Hours(n) => Due {
            due: add_hours(t0, n.max(0)),
            last_day: None,
            shifted_from: None,
            uncovered_years: Vec::new(),
        },
        Limit::Days(n) => {
            let unshifted = add_days(start, n.max(0).saturating_add(pause));
            finish_calendar_period(start, unshifted, mode, cal)
        }
        Limit::Months(n) => {
            let unshifted = add_days(add_months(start, n.max(0)), pause);
            finish_calendar_period(start, unshifted, mode, cal)
        }
        Limit::WorkingDays(n) => {
            let last_day = nth_working_day_after(start, n.max(0).saturating_add(pause), cal);
            Due {
                due: end_of_day(last_day),
                last_day: Some(last_day),
                shifted_from: None,
                uncovered_years: uncovered_years(cal, start, last_day),
            }
        }
    }
}

/// Whole days between a pause's start and end, a started day counting as a whole day:
/// `ceil((end - start) / 24 h)`, and 0 when `end <= start`.
pub fn pause_days(start: Timestamp, end: Timestamp) -> i64 {
    let nanos = end.as_nanosecond() - start.as_nanosecond();
    if nanos <= 0 {
        return 0;
    }
    // The span of jiff's timestamps is about 7.3 million days, so the quotient fits an i64.
    i64::try_from((nanos + NANOS_PER_DAY - 1) / NANOS_PER_DAY).unwrap_or(i64::MAX)
}

/// The instant a clock enters warning: `t0 + fraction × (due − t0)`, floored to the whole minute.
///
/// The fraction is read to nine decimal places, so that `0.7` of ten minutes is exactly seven
/// minutes rather than a float's 6.999… minutes floored to six. It is clamped to `0.0..=1.0`; a
/// NaN is read as `1.0` (no early warning).
pub fn warning_at(t0: Timestamp, due: Timestamp, fraction: f64) -> Timestamp {
    let fraction = if fraction.is_nan() {
        1.0
    } else {
        fraction.clamp(0.0, 1.0)
    };
    // An integer in 0..=1e9 after the clamp and the rounding, so the cast is exact.
    let parts_per_billion = (fraction * FRACTION_SCALE).round() as i128;
    let span = due.as_nanosecond() - t0.as_nanosecond();
    // |span| < 2^69 and parts_per_billion <= 2^30, so the product fits an i128.
    let offset = (span * parts_per_billion).div_euclid(1_000_000_000);
    let at = t0.as_nanosecond() + offset;
    let floored = at - at.rem_euclid(NANOS_PER_MINUTE);
    Timestamp::from_nanosecond(floored).unwrap_or(Timestamp::MIN)
}

/// The China (+08:00) calendar date of an instant.
pub fn date_of(t: Timestamp) -> Date {
    china_tz().to_datetime(t).date()
}

/// 00:00 (+08:00) of `d`, saturating at [`Timestamp::MIN`] for the first day jiff can represent
/// (whose midnight in +08:00 lies before the earliest timestamp).
pub fn start_of_day(d: Date) -> Timestamp {
    china_tz()
        .to_timestamp(d.to_datetime(Time::midnight()))
        .unwrap_or(Timestamp::MIN)
}

/// 24:00 (+08:00) of `d`, i.e. 00:00 of the next day; [`Timestamp::MAX`] for the last
/// representable day.
fn end_of_day(d: Date) -> Timestamp {
    match d.tomorrow() {
        Ok(next) => start_of_day(next),
        Err(_) => Timestamp::MAX,
    }
}

/// Applies the holiday shift of an ordinary clock to a days or months period and builds its
/// [`Due`].
fn finish_calendar_period(start: Date, unshifted: Date, mode: CalendarMode, cal: &Calendar) -> Due {
    match mode {
        CalendarMode::Custody | CalendarMode::Fixed => Due {
            due: end_of_day(unshifted),
            last_day: Some(unshifted),
            shifted_from: None,
            uncovered_years: Vec::new(),
        },
        CalendarMode::Ordinary => {
            let last_day = first_working_day_from(unshifted, cal);
            Due {
                due: end_of_day(last_day),
                last_day: Some(last_day),
                shifted_from: (last_day != unshifted).then_some(unshifted),
                uncovered_years: uncovered_years(cal, start, last_day),
            }
        }
    }
}

/// `d` if it is a working day, else the first working day after the run of rest days it begins.
fn first_working_day_from(d: Date, cal: &Calendar) -> Date {
    let mut day = d;
    while cal.is_rest_day(day) {
        match day.tomorrow() {
            Ok(next) => day = next,
            // The end of jiff's range: nothing later exists to shift to.
            Err(_) => break,
        }
    }
    day
}

/// The `n`-th working day after `start` (`start` itself when `n` is 0), or the last
/// representable day if the count runs past it.
fn nth_working_day_after(start: Date, n: i64, cal: &Calendar) -> Date {
    let mut day = start;
    let mut remaining = n;
    while remaining > 0 {
        match day.tomorrow() {
            Ok(next) => day = next,
            Err(_) => break,
        }
        if cal.is_working_day(day) {
            remaining -= 1;
        }
    }
    day
}

/// `d + n` calendar days, saturating at [`Date::MAX`]; `n` is not negative.
fn add_days(d: Date, n: i64) -> Date {
    Span::new()
        .try_days(n)
        .ok()
        .and_then(|span| d.checked_add(span).ok())
        .unwrap_or(Date::MAX)
}

/// The same day of the month `n` months after `d`; the last day of the target month when `d` is
/// the last day of its month or the target month is shorter. Saturates at [`Date::MAX`].
fn add_months(d: Date, n: i64) -> Date {
    let month_index = i64::from(d.year()) * 12 + i64::from(d.month()) - 1;
    let target = month_index.checked_add(n).and_then(|index| {
        let year = i16::try_from(index.div_euclid(12)).ok()?;
        let month = i8::try_from(index.rem_euclid(12) + 1).ok()?;
        Date::new(year, month, 1).ok()
    });
    let Some(first_of_target) = target else {
        return Date::MAX;
    };
    let days_in_target = first_of_target.days_in_month();
    let day = if d.day() == d.days_in_month() {
        days_in_target
    } else {
        d.day().min(days_in_target)
    };
    Date::new(first_of_target.year(), first_of_target.month(), day).unwrap_or(first_of_target)
}

/// `t0 + n` hours, saturating at [`Timestamp::MAX`]; `n` is not negative.
fn add_hours(t0: Timestamp, n: i64) -> Timestamp {
    n.checked_mul(3600)
        .and_then(|secs| t0.checked_add(SignedDuration::from_secs(secs)).ok())
        .unwrap_or(Timestamp::MAX)
}

/// The years from `from` through `to` that `cal` does not cover.
fn uncovered_years(cal: &Calendar, from: Date, to: Date) -> Vec<i32> {
    (i32::from(from.year())..=i32::from(to.year()))
        .filter(|year| !cal.covers(*year))
        .collect()
}
