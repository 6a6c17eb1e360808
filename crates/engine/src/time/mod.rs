//! Statutory time: the holiday calendar and the computation of due instants (`rules.md` §1).
//!
//! Everything is computed on the China calendar at the fixed offset +08:00
//! ([`casewatch_core::time::china_tz`]); Asia/Shanghai has had no daylight saving time since
//! 1991, so no time-zone database is needed. Instants are [`jiff::Timestamp`]s, days are
//! [`jiff::civil::Date`]s in +08:00.
//!
//! # The rules
//!
//! A clock starts at an instant `t0`; its `due` is the first instant at which the limit is
//! exceeded.
//! - **Hours** `N`: `due = t0 + N hours`, to the nanosecond; never shifted, pauses ignored.
//! - **Days** `N`: the day of `t0` is not counted; the last day is day(`t0`) + `N`, and `due` is
//!   00:00 of the day after it (24:00 of the last day).
//! - **Months** `N`: the last day is the same day of the month `N` months after day(`t0`), or the
//!   last day of the target month when day(`t0`) is the last day of its month or the target month
//!   is shorter (31 January + 1 month is 28 or 29 February; 29 February + 1 month is 31 March).
//! - **Working days** `N`: counting starts the day after day(`t0`) and only working days count;
//!   the last day is the `N`-th working day, so it never needs a holiday shift.
//! - **Holiday shift**: only days and months limits of [`CalendarMode::Ordinary`] clocks: a last
//!   day that is a rest day moves to the first working day after the run of rest days.
//!   [`CalendarMode::Custody`] and [`CalendarMode::Fixed`] clocks never shift.
//! - **Rest days** are those of the [`Calendar`]: listed rest days, and Saturdays and Sundays not
//!   listed as make-up workdays. A year the calendar lacks is computed with weekends only, and
//!   [`Due::uncovered_years`] names it.
//! - **Warning** at `t0 + fraction × (due − t0)`, floored to the minute ([`warning_at`]).
//!
//! # Readings chosen where the rules are silent
//!
//! - **Pauses** are counted by [`pause_days`] as `ceil((end − start) / 24 h)`, a started day
//!   counting as a whole day, measured as a duration rather than in calendar dates (a pause from
//!   23:00 to 01:00 the next day is one day, not two). They are added before the holiday shift:
//!   as calendar days to days and months limits (after the month arithmetic), as further working
//!   days to working-day limits; hour limits ignore them.
//! - **Zero and negative counts**: a negative `N` (and a negative pause) is read as 0. A limit of
//!   0 days, months or working days has the day of `t0` itself as its last day, so the clock is
//!   due at the next midnight (after an ordinary clock's holiday shift).
//! - **Uncovered years** are reported only by computations that consult the calendar
//!   (working-day limits, and ordinary days and months limits), for every year from day(`t0`)
//!   through the final last day; a custody or fixed period does not depend on the calendar.
//! - **Range**: arithmetic that would leave jiff's range (years -9999..=9999) saturates at its
//!   end; no function here fails or panics.

pub mod calendar;
pub mod period;
pub mod year_lists;

pub use calendar::{Calendar, CalendarError};
pub use period::{
    CalendarMode, Due, Limit, compute_due, date_of, pause_days, start_of_day, warning_at,
};

#[cfg(test)]
mod tests;
