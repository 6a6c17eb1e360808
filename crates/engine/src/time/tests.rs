//! Worked examples and properties of the due computation, against the shipped calendar.

use casewatch_core::time::{format_instant, parse_instant};
use jiff::civil::{Date, date};
use jiff::{Timestamp, ToSpan};
use proptest::prelude::*;

use super::*;

use CalendarMode::{Custody, Fixed, Ordinary};
use Limit::{Days, Hours, Months, WorkingDays};

fn ts(text: &str) -> Timestamp {
    parse_instant(text).expect("test instant parses")
}

/// One worked example: what [`compute_due`] must answer with the shipped calendar.
struct Case {
    t0: &'static str,
    limit: Limit,
    mode: CalendarMode,
    pause: i64,
    due: &'static str,
    last_day: Option<Date>,
    shifted_from: Option<Date>,
    uncovered: &'static [i32],
}

/// A case with no pause, no shift and no uncovered year; the table overrides what differs.
const fn case(
    t0: &'static str,
    limit: Limit,
    mode: CalendarMode,
    due: &'static str,
    last_day: Option<Date>,
) -> Case {
    Case {
        t0,
        limit,
        mode,
        pause: 0,
        due,
        last_day,
        shifted_from: None,
        uncovered: &[],
    }
}

fn check(cases: &[Case]) {
    let cal = Calendar::standard();
    for c in cases {
        let got = compute_due(ts(c.t0), c.limit, c.mode, c.pause, &cal);
        let label = format!("{} {:?} {:?} pause {}", c.t0, c.limit, c.mode, c.pause);
        assert_eq!(format_instant(got.due), c.due, "due of {label}");
        assert_eq!(got.last_day, c.last_day, "last day of {label}");
        assert_eq!(got.shifted_from, c.shifted_from, "shifted from of {label}");
        assert_eq!(
            got.uncovered_years, c.uncovered,
            "uncovered years of {label}"
        );
    }
}

#[test]
fn worked_examples() {
    check(&[
        // (1) The last day, 1 October 2025, falls in the National Day holiday (1–8 October).
        Case {
            shifted_from: Some(date(2025, 10, 1)),
            ..case(
                "2025-09-28T15:00:00+08:00",
                Days(3),
                Ordinary,
                "2025-10-10T00:00:00+08:00",
                Some(date(2025, 10, 9)),
            )
        },
        // The same period for a person in custody does not move.
        case(
            "2025-09-28T15:00:00+08:00",
            Days(3),
            Custody,
            "2025-10-02T00:00:00+08:00",
            Some(date(2025, 10, 1)),
        ),
        // (2) From the last day of January: the last day of March.
        case(
            "2024-01-31T16:00:00+08:00",
            Months(2),
            Custody,
            "2024-04-01T00:00:00+08:00",
            Some(date(2024, 3, 31)),
        ),
        // (3) Ends inside the Spring Festival holiday, but custody never shifts.
        case(
            "2026-02-10T09:00:00+08:00",
            Days(7),
            Custody,
            "2026-02-18T00:00:00+08:00",
            Some(date(2026, 2, 17)),
        ),
        // (4) 7 March 2026 is a Saturday: the period ends on Monday 9 March.
        Case {
            shifted_from: Some(date(2026, 3, 7)),
            ..case(
                "2026-01-06T10:00:00+08:00",
                Days(60),
                Ordinary,
                "2026-03-10T00:00:00+08:00",
                Some(date(2026, 3, 9)),
            )
        },
        // (5) Hours are exact and never shifted, even into a weekend.
        case(
            "2026-04-01T15:00:00+08:00",
            Hours(24),
            Ordinary,
            "2026-04-02T15:00:00+08:00",
            None,
        ),
        case(
            "2026-04-03T15:00:00+08:00",
            Hours(24),
            Ordinary,
            "2026-04-04T15:00:00+08:00",
            None,
        ),
        // Hours ignore pauses.
        Case {
            pause: 3,
            ..case(
                "2026-04-01T15:00:00+08:00",
                Hours(48),
                Fixed,
                "2026-04-03T15:00:00+08:00",
                None,
            )
        },
    ]);
}

#[test]
fn months_end_on_the_same_day_or_the_end_of_the_month() {
    check(&[
        // (6) No 30 February: the last day of February. 28 February 2026 is a Saturday but a
        // make-up workday, so even an ordinary clock does not shift.
        case(
            "2026-01-30T10:00:00+08:00",
            Months(1),
            Ordinary,
            "2026-03-01T00:00:00+08:00",
            Some(date(2026, 2, 28)),
        ),
        case(
            "2024-01-30T10:00:00+08:00",
            Months(1),
            Fixed,
            "2024-03-01T00:00:00+08:00",
            Some(date(2024, 2, 29)),
        ),
        // From the last day of a month: the last day of the target month.
        case(
            "2024-02-29T10:00:00+08:00",
            Months(1),
            Fixed,
            "2024-04-01T00:00:00+08:00",
            Some(date(2024, 3, 31)),
        ),
        case(
            "2025-04-30T10:00:00+08:00",
            Months(1),
            Fixed,
            "2025-06-01T00:00:00+08:00",
            Some(date(2025, 5, 31)),
        ),
        // An ordinary day of the month, across a year end.
        case(
            "2025-11-15T10:00:00+08:00",
            Months(3),
            Custody,
            "2026-02-16T00:00:00+08:00",
            Some(date(2026, 2, 15)),
        ),
        // Pauses add calendar days after the month arithmetic, before the shift.
        Case {
            pause: 2,
            ..case(
                "2024-01-31T10:00:00+08:00",
                Months(1),
                Fixed,
                "2024-03-03T00:00:00+08:00",
                Some(date(2024, 3, 2)),
            )
        },
        Case {
            pause: 2,
            shifted_from: Some(date(2024, 3, 2)),
            ..case(
                "2024-01-31T10:00:00+08:00",
                Months(1),
                Ordinary,
                "2024-03-05T00:00:00+08:00",
                Some(date(2024, 3, 4)),
            )
        },
    ]);
}

#[test]
fn uncovered_years_count_weekends_only_and_are_reported() {
    check(&[
        // (7) 2031 is not in the calendar: 1 January is a working day there, and Saturday
        // 4 January 2031 still shifts to Monday 6 January.
        Case {
            shifted_from: Some(date(2031, 1, 4)),
            uncovered: &[2031],
            ..case(
                "2031-01-01T10:00:00+08:00",
                Days(3),
                Ordinary,
                "2031-01-07T00:00:00+08:00",
                Some(date(2031, 1, 6)),
            )
        },
        Case {
            uncovered: &[2030, 2031],
            ..case(
                "2030-12-31T10:00:00+08:00",
                WorkingDays(1),
                Fixed,
                "2031-01-02T00:00:00+08:00",
                Some(date(2031, 1, 1)),
            )
        },
        // From a covered year into an uncovered one, and on past it.
        Case {
            uncovered: &[2027, 2028],
            ..case(
                "2026-12-20T10:00:00+08:00",
                Days(400),
                Ordinary,
                "2028-01-25T00:00:00+08:00",
                Some(date(2028, 1, 24)),
            )
        },
        // A custody period does not consult the calendar and reports nothing.
        case(
            "2031-01-01T10:00:00+08:00",
            Days(3),
            Custody,
            "2031-01-05T00:00:00+08:00",
            Some(date(2031, 1, 4)),
        ),
    ]);
}

#[test]
fn working_days_skip_holidays_and_count_make_up_workdays() {
    check(&[
        // (8) 1–8 October 2025 are rest days; Saturday 11 October is a make-up workday.
        case(
            "2025-09-30T10:00:00+08:00",
            WorkingDays(3),
            Ordinary,
            "2025-10-12T00:00:00+08:00",
            Some(date(2025, 10, 11)),
        ),
        // Spring Festival 2026: Saturday 14 February works, 15–23 February rest.
        case(
            "2026-02-13T10:00:00+08:00",
            WorkingDays(2),
            Custody,
            "2026-02-25T00:00:00+08:00",
            Some(date(2026, 2, 24)),
        ),
        // Pauses add working days.
        Case {
            pause: 1,
            ..case(
                "2026-02-13T10:00:00+08:00",
                WorkingDays(1),
                Ordinary,
                "2026-02-25T00:00:00+08:00",
                Some(date(2026, 2, 24)),
            )
        },
        // Counting starts the day after the day of t0, even late in the evening.
        case(
            "2026-03-02T23:59:00+08:00",
            WorkingDays(1),
            Ordinary,
            "2026-03-04T00:00:00+08:00",
            Some(date(2026, 3, 3)),
        ),
    ]);
}

#[test]
fn zero_and_negative_counts_end_on_the_day_of_t0() {
    check(&[
        case(
            "2026-04-01T15:00:00+08:00",
            Days(0),
            Fixed,
            "2026-04-02T00:00:00+08:00",
            Some(date(2026, 4, 1)),
        ),
        case(
            "2026-04-01T15:00:00+08:00",
            Days(-5),
            Fixed,
            "2026-04-02T00:00:00+08:00",
            Some(date(2026, 4, 1)),
        ),
        case(
            "2026-04-01T15:00:00+08:00",
            Months(-1),
            Custody,
            "2026-04-02T00:00:00+08:00",
            Some(date(2026, 4, 1)),
        ),
        case(
            "2026-04-01T15:00:00+08:00",
            Hours(-3),
            Fixed,
            "2026-04-01T15:00:00+08:00",
            None,
        ),
        // Saturday 4 April 2026: a zero working-day period still ends that day.
        case(
            "2026-04-04T15:00:00+08:00",
            WorkingDays(0),
            Ordinary,
            "2026-04-05T00:00:00+08:00",
            Some(date(2026, 4, 4)),
        ),
        // A zero-day ordinary period starting on a rest day shifts like any other.
        Case {
            shifted_from: Some(date(2026, 4, 4)),
            ..case(
                "2026-04-04T15:00:00+08:00",
                Days(0),
                Ordinary,
                "2026-04-08T00:00:00+08:00",
                Some(date(2026, 4, 7)),
            )
        },
        // A negative pause is no pause.
        Case {
            pause: -4,
            ..case(
                "2026-04-01T15:00:00+08:00",
                Days(1),
                Custody,
                "2026-04-03T00:00:00+08:00",
                Some(date(2026, 4, 2)),
            )
        },
    ]);
}

#[test]
fn the_day_of_t0_is_the_china_date() {
    // 16:30 UTC is 00:30 the next day in China.
    let t0 = ts("2026-03-01T16:30:00Z");
    assert_eq!(date_of(t0), date(2026, 3, 2));
    assert_eq!(
        format_instant(start_of_day(date(2026, 3, 2))),
        "2026-03-02T00:00:00+08:00"
    );
    let got = compute_due(t0, Days(1), Fixed, 0, &Calendar::standard());
    assert_eq!(format_instant(got.due), "2026-03-04T00:00:00+08:00");
}

#[test]
fn warning_is_at_the_fraction_floored_to_the_minute() {
    // (1) continued: the warning comes well before the last day.
    let t0 = ts("2025-09-28T15:00:00+08:00");
    let due = compute_due(t0, Days(3), Ordinary, 0, &Calendar::standard()).due;
    let warning = warning_at(t0, due, 0.75);
    assert!(warning < ts("2025-10-09T12:00:00+08:00"));
    // 75% of 273 hours is 204 h 45 min.
    assert_eq!(format_instant(warning), "2025-10-07T03:45:00+08:00");

    let t0 = ts("2026-04-01T10:00:20+08:00");
    let due = ts("2026-04-01T10:10:20+08:00");
    // 0.7 is not exact in binary; seven minutes must not become six.
    assert_eq!(
        format_instant(warning_at(t0, due, 0.7)),
        "2026-04-01T10:07:00+08:00"
    );
    assert_eq!(
        format_instant(warning_at(t0, due, 0.75)),
        "2026-04-01T10:07:00+08:00"
    );
    assert_eq!(
        format_instant(warning_at(t0, due, 0.0)),
        "2026-04-01T10:00:00+08:00"
    );
    assert_eq!(
        format_instant(warning_at(t0, due, 1.0)),
        "2026-04-01T10:10:00+08:00"
    );
    // Out-of-range fractions are clamped; NaN means no early warning.
    assert_eq!(warning_at(t0, due, 2.0), warning_at(t0, due, 1.0));
    assert_eq!(warning_at(t0, due, -1.0), warning_at(t0, due, 0.0));
    assert_eq!(warning_at(t0, due, f64::NAN), warning_at(t0, due, 1.0));
}

#[test]
fn pause_days_count_started_days() {
    let start = ts("2026-04-01T10:00:00+08:00");
    let at = |text: &str| pause_days(start, ts(text));
    assert_eq!(at("2026-04-01T09:00:00+08:00"), 0);
    assert_eq!(at("2026-04-01T10:00:00+08:00"), 0);
    assert_eq!(at("2026-04-01T10:00:01+08:00"), 1);
    assert_eq!(at("2026-04-02T10:00:00+08:00"), 1);
    assert_eq!(at("2026-04-02T10:00:01+08:00"), 2);
    assert_eq!(at("2026-04-11T09:00:00+08:00"), 10);
}

#[test]
fn extreme_inputs_saturate_instead_of_failing() {
    let cal = Calendar::standard();
    let t0 = ts("2026-04-01T10:00:00+08:00");
    for limit in [Hours(i64::MAX), Days(i64::MAX), Months(i64::MAX)] {
        for mode in [Ordinary, Custody, Fixed] {
            let got = compute_due(t0, limit, mode, i64::MAX, &cal);
            assert_eq!(got.due, Timestamp::MAX, "{limit:?} {mode:?}");
        }
    }
    let got = compute_due(Timestamp::MAX, Days(1), Ordinary, 0, &cal);
    assert_eq!(got.last_day, Some(Date::MAX));
    assert_eq!(got.due, Timestamp::MAX);
    assert_eq!(start_of_day(Date::MIN), Timestamp::MIN);
    assert!(pause_days(Timestamp::MIN, Timestamp::MAX) > 7_000_000);
    assert!(warning_at(Timestamp::MIN, Timestamp::MAX, 0.5) > Timestamp::MIN);
}

#[test]
fn calendar_mode_is_lowercase_on_the_wire() {
    assert_eq!(
        serde_json::to_string(&[Ordinary, Custody, Fixed]).expect("serializes"),
        r#"["ordinary","custody","fixed"]"#
    );
    let mode: CalendarMode = serde_json::from_str(r#""custody""#).expect("deserializes");
    assert_eq!(mode, Custody);
    assert!(serde_json::from_str::<CalendarMode>(r#""Custody""#).is_err());
}

/// Seconds since the epoch of 2024-01-01T00:00+08:00 and 2027-01-01T00:00+08:00.
const COVERED: std::ops::Range<i64> = 1_704_038_400..1_798_732_800;

/// Seconds since the epoch of 2020-01-01T00:00+08:00 and 2035-01-01T00:00+08:00.
const WIDE: std::ops::Range<i64> = 1_577_808_000..2_051_193_600;

fn instant(range: std::ops::Range<i64>) -> impl Strategy<Value = Timestamp> {
    range.prop_map(|s| Timestamp::from_second(s).expect("in range"))
}

fn calendar_limit() -> impl Strategy<Value = Limit> {
    prop_oneof![(0i64..400).prop_map(Days), (0i64..36).prop_map(Months)]
}

fn any_limit() -> impl Strategy<Value = Limit> {
    prop_oneof![
        (-5i64..10_000).prop_map(Hours),
        (-5i64..400).prop_map(Days),
        (-5i64..36).prop_map(Months),
        (-5i64..150).prop_map(WorkingDays),
    ]
}

fn any_mode() -> impl Strategy<Value = CalendarMode> {
    prop_oneof![Just(Ordinary), Just(Custody), Just(Fixed)]
}

/// The unshifted last day by plain date arithmetic, written independently of `period.rs`.
fn plain_last_day(t0: Timestamp, limit: Limit, pause: i64) -> Date {
    let start = date_of(t0);
    let end = match limit {
        Days(n) => start.checked_add(n.days()).expect("in range"),
        Months(n) => {
            if start == start.last_of_month() {
                start
                    .first_of_month()
                    .checked_add(n.months())
                    .expect("in range")
                    .last_of_month()
            } else {
                // jiff clamps 30 February to 28 or 29 February.
                start.checked_add(n.months()).expect("in range")
            }
        }
        other => unreachable!("not a calendar limit: {other:?}"),
    };
    end.checked_add(pause.days()).expect("in range")
}

proptest! {
    #[test]
    fn custody_and_fixed_clocks_never_shift(
        t0 in instant(WIDE),
        limit in calendar_limit(),
        pause in 0i64..30,
        fixed in any::<bool>(),
    ) {
        let mode = if fixed { Fixed } else { Custody };
        let got = compute_due(t0, limit, mode, pause, &Calendar::standard());
        let last = plain_last_day(t0, limit, pause);
        prop_assert_eq!(got.last_day, Some(last));
        prop_assert_eq!(got.due, start_of_day(last.tomorrow().expect("in range")));
        prop_assert_eq!(got.shifted_from, None);
        prop_assert_eq!(&got, &compute_due(t0, limit, mode, pause, &Calendar::empty()));
    }

    #[test]
    fn ordinary_clocks_end_on_a_working_day(
        t0 in instant(COVERED),
        limit in calendar_limit(),
        pause in 0i64..30,
    ) {
        let cal = Calendar::standard();
        let got = compute_due(t0, limit, Ordinary, pause, &cal);
        let last = got.last_day.expect("a calendar limit has a last day");
        prop_assert!(cal.is_working_day(last), "{last} is a rest day");
        let plain = plain_last_day(t0, limit, pause);
        prop_assert!(last >= plain);
        // Every day skipped by the shift is a rest day.
        let mut day = plain;
        while day < last {
            prop_assert!(cal.is_rest_day(day), "{day} was skipped but is a working day");
            day = day.tomorrow().expect("in range");
        }
        prop_assert_eq!(got.shifted_from, (last != plain).then_some(plain));
        prop_assert_eq!(got.due, start_of_day(last.tomorrow().expect("in range")));
    }

    #[test]
    fn working_day_clocks_end_on_a_working_day(
        t0 in instant(WIDE),
        n in 1i64..150,
        mode in any_mode(),
    ) {
        let cal = Calendar::standard();
        let got = compute_due(t0, WorkingDays(n), mode, 0, &cal);
        let last = got.last_day.expect("a working-day limit has a last day");
        prop_assert!(cal.is_working_day(last));
        prop_assert_eq!(got.shifted_from, None);
        let mut count = 0;
        let mut day = date_of(t0);
        while day < last {
            day = day.tomorrow().expect("in range");
            if cal.is_working_day(day) {
                count += 1;
            }
        }
        prop_assert_eq!(count, n);
    }

    #[test]
    fn due_never_moves_earlier_when_t0_moves_later(
        t0 in instant(WIDE),
        later_by in 0i64..(90 * 86_400),
        limit in any_limit(),
        mode in any_mode(),
        pause in 0i64..20,
    ) {
        let cal = Calendar::standard();
        let t1 = t0.checked_add(later_by.seconds()).expect("in range");
        let a = compute_due(t0, limit, mode, pause, &cal);
        let b = compute_due(t1, limit, mode, pause, &cal);
        prop_assert!(a.due <= b.due, "{} then {}", a.due, b.due);
        prop_assert!(a.due >= t0);
    }

    #[test]
    fn uncovered_years_are_exactly_the_missing_ones(
        t0 in instant(WIDE),
        limit in any_limit(),
        mode in any_mode(),
    ) {
        let cal = Calendar::standard();
        let got = compute_due(t0, limit, mode, 0, &cal);
        let consults = matches!(limit, WorkingDays(_))
            || (mode == Ordinary && matches!(limit, Days(_) | Months(_)));
        let expected: Vec<i32> = match got.last_day {
            Some(last) if consults => (i32::from(date_of(t0).year())..=i32::from(last.year()))
                .filter(|y| !(2024..=2026).contains(y))
                .collect(),
            _ => Vec::new(),
        };
        prop_assert_eq!(got.uncovered_years, expected);
    }

    #[test]
    fn pause_days_are_non_negative_and_monotone(
        start in instant(WIDE),
        a in -1_000_000i64..10_000_000,
        extra in 0i64..10_000_000,
    ) {
        let end1 = start.checked_add(a.seconds()).expect("in range");
        let end2 = end1.checked_add(extra.seconds()).expect("in range");
        let (d1, d2) = (pause_days(start, end1), pause_days(start, end2));
        prop_assert!(d1 >= 0);
        prop_assert!(d1 <= d2);
        // A started day counts whole: the pause fits in d1 days but not in d1 - 1.
        prop_assert!(end1 <= start.checked_add((d1 * 24).hours()).expect("in range"));
    }

    #[test]
    fn warning_lies_between_start_and_due(
        t0 in instant(WIDE),
        limit in any_limit(),
        fraction in 0.0f64..=1.0,
    ) {
        let due = compute_due(t0, limit, Ordinary, 0, &Calendar::standard()).due;
        let warning = warning_at(t0, due, fraction);
        prop_assert!(warning <= due);
        prop_assert!(warning > t0.checked_sub(1.minute()).expect("in range"));
        prop_assert_eq!(warning.as_second() % 60, 0);
        prop_assert_eq!(warning.subsec_nanosecond(), 0);
    }
}
