//! The holiday calendar: which dates are rest days (休息日) and which are working days.
//!
//! A date is a rest day if it is in the official rest-day list of its year, or is a Saturday or
//! Sunday that is not in the make-up-workday (调休上班) list of its year. For a year the calendar
//! does not cover, only Saturdays and Sundays are rest days; callers report such years.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use jiff::civil::{Date, Weekday};
use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, Visitor};

/// The calendar shipped with Casewatch (`data/holidays-cn.json`, 2024–2026).
const STANDARD_JSON: &str = include_str!("../../../../data/holidays-cn.json");

/// The name of the rest-day list in the JSON format, used in error messages.
const REST_DAYS: &str = "rest_days";

/// The name of the make-up-workday list in the JSON format, used in error messages.
const MAKEUP_WORKDAYS: &str = "makeup_workdays";

/// Why a holiday calendar, or one year of it, was refused.
#[derive(thiserror::Error, Debug)]
pub enum CalendarError {
    /// The text is not JSON, or not of the shape `{"years": {"2026": {"rest_days": [..],
    /// "makeup_workdays": [..]}}}`.
    #[error("the holiday calendar is not JSON of the expected shape: {0}")]
    Json(#[from] serde_json::Error),
    /// A key under `years` is not a year written in plain digits.
    #[error("`{key}` under `years` is not a year (expected a number such as `2026`)")]
    YearKey {
        /// The key as written.
        key: String,
    },
    /// The same year appears twice under `years`.
    #[error("year {year} appears twice under `years`")]
    DuplicateYear {
        /// The repeated year.
        year: i32,
    },
    /// The year cannot hold a date (it is outside -9999..=9999).
    #[error("year {year} is outside the supported range -9999..=9999")]
    YearOutOfRange {
        /// The year given.
        year: i32,
    },
    /// A list entry is not a date written `YYYY-MM-DD`.
    #[error("`{text}` in `{list}` of year {year} is not a date of the form YYYY-MM-DD")]
    InvalidDate {
        /// The year whose list holds the entry.
        year: i32,
        /// `rest_days` or `makeup_workdays`.
        list: &'static str,
        /// The entry as written.
        text: String,
    },
    /// A date is listed under a year it does not belong to.
    #[error("{date} is listed in `{list}` of year {year} but belongs to year {}", date.year())]
    DateOutsideYear {
        /// The year whose list holds the date.
        year: i32,
        /// `rest_days` or `makeup_workdays`.
        list: &'static str,
        /// The misplaced date.
        date: Date,
    },
    /// A date is listed twice in the same list (most likely a typo for another date).
    #[error("{date} appears twice in `{list}` of year {year}")]
    DuplicateDate {
        /// The year whose list holds the date.
        year: i32,
        /// `rest_days` or `makeup_workdays`.
        list: &'static str,
        /// The repeated date.
        date: Date,
    },
    /// A date is listed both as a rest day and as a make-up workday.
    #[error("{date} is listed both in `rest_days` and in `makeup_workdays` of year {year}")]
    InBothLists {
        /// The year whose lists hold the date.
        year: i32,
        /// The date listed twice.
        date: Date,
    },
    /// A make-up workday falls on a weekday, where it would change nothing.
    #[error(
        "make-up workday {date} of year {year} is a {weekday:?}; make-up workdays are Saturdays or Sundays"
    )]
    MakeupNotWeekend {
        /// The year whose list holds the date.
        year: i32,
        /// The make-up workday.
        date: Date,
        /// Its day of the week.
        weekday: Weekday,
    },
}

/// The official lists of one year.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
struct YearLists {
    /// Dates declared rest days; may include Saturdays and Sundays inside a holiday run.
    rest_days: BTreeSet<Date>,
    /// Saturdays and Sundays declared working days (调休上班).
    makeup_workdays: BTreeSet<Date>,
}

/// The official rest days and make-up workdays of the years it covers.
///
/// INVARIANT: every year's lists were validated by [`Calendar::add_year`]: all dates lie in that
/// year, no date is in both lists, and every make-up workday is a Saturday or Sunday.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Calendar {
    /// The covered years and their lists.
    years: BTreeMap<i32, YearLists>,
}

impl Calendar {
    /// An empty calendar: no year is covered, so only Saturdays and Sundays are rest days.
    pub fn empty() -> Calendar {
        Calendar::default()
    }

    /// Parses the format of `data/holidays-cn.json`:
    /// `{"years": {"2024": {"rest_days": ["2024-01-01", ..], "makeup_workdays": [..]}, ..}}`.
    ///
    /// Other top-level keys (`description`, `sources`) are ignored. Each year object must have
    /// exactly the two lists, so that a misspelt list name is an error rather than a silently
    /// empty list. Each year is validated as in [`Calendar::add_year`].
    pub fn from_json(text: &str) -> Result<Calendar, CalendarError> {
        let file: CalendarFile = serde_json::from_str(text)?;
        let mut calendar = Calendar::empty();
        for (key, lists) in file.years.0 {
            let year = parse_year_key(&key)?;
            if calendar.covers(year) {
                return Err(CalendarError::DuplicateYear { year });
            }
            let rest_days = parse_dates(year, REST_DAYS, &lists.rest_days)?;
            let makeup_workdays = parse_dates(year, MAKEUP_WORKDAYS, &lists.makeup_workdays)?;
            calendar.add_year(year, rest_days, makeup_workdays)?;
        }
        Ok(calendar)
    }

    /// The calendar shipped with Casewatch (`data/holidays-cn.json`, covering 2024–2026).
    ///
    /// The file is compiled in and a unit test checks that it parses, so the empty-calendar
    /// fallback is never taken in a tested build; it exists only because this function cannot
    /// fail.
    pub fn standard() -> Calendar {
        Calendar::from_json(STANDARD_JSON).unwrap_or_default()
    }

    /// Sets the lists of `year`, replacing any lists it had.
    ///
    /// Refused, leaving the calendar unchanged, when: the year cannot hold a date; a date lies
    /// outside `year`; a date appears twice in one list (most likely a typo for another date); a
    /// date is in both lists; or a make-up workday is not a Saturday or Sunday (it would change
    /// nothing, so it is a mistake). A rest day may be any day of the week, because the official
    /// lists include the Saturdays and Sundays inside a holiday run.
    pub fn add_year(
        &mut self,
        year: i32,
        rest_days: Vec<Date>,
        makeup_workdays: Vec<Date>,
    ) -> Result<(), CalendarError> {
        let year_i16 = i16::try_from(year).map_err(|_| CalendarError::YearOutOfRange { year })?;
        if Date::new(year_i16, 1, 1).is_err() {
            return Err(CalendarError::YearOutOfRange { year });
        }
        let rest_days = collect_list(year, REST_DAYS, rest_days)?;
        let makeup_workdays = collect_list(year, MAKEUP_WORKDAYS, makeup_workdays)?;
        if let Some(&date) = rest_days.intersection(&makeup_workdays).next() {
            return Err(CalendarError::InBothLists { year, date });
        }
        if let Some(&date) = makeup_workdays.iter().find(|d| !is_weekend(**d)) {
            return Err(CalendarError::MakeupNotWeekend {
                year,
                date,
                weekday: date.weekday(),
            });
        }
        self.years.insert(
            year,
            YearLists {
                rest_days,
                makeup_workdays,
            },
        );
        Ok(())
    }

    /// Whether the calendar has the official lists of `year`.
    pub fn covers(&self, year: i32) -> bool {
        self.years.contains_key(&year)
    }

    /// The covered years, ascending.
    pub fn years(&self) -> Vec<i32> {
        self.years.keys().copied().collect()
    }

    /// The rest days and the make-up workdays of `year`, each sorted; `None` if not covered.
    pub fn year(&self, year: i32) -> Option<(Vec<Date>, Vec<Date>)> {
        self.years.get(&year).map(|lists| {
            (
                lists.rest_days.iter().copied().collect(),
                lists.makeup_workdays.iter().copied().collect(),
            )
        })
    }

    /// Whether `d` is a rest day: a listed rest day, or a Saturday or Sunday not listed as a
    /// make-up workday. In a year the calendar does not cover, Saturdays and Sundays only.
    pub fn is_rest_day(&self, d: Date) -> bool {
        match self.years.get(&i32::from(d.year())) {
            Some(lists) => {
                lists.rest_days.contains(&d)
                    || (is_weekend(d) && !lists.makeup_workdays.contains(&d))
            }
            None => is_weekend(d),
        }
    }

    /// Whether `d` is a working day, i.e. not a rest day.
    pub fn is_working_day(&self, d: Date) -> bool {
        !self.is_rest_day(d)
    }

    /// Writes the calendar in the format read by [`Calendar::from_json`] (years ascending, dates
    /// sorted, pretty-printed); `Calendar::from_json(&c.to_json())` gives back `c`.
    pub fn to_json(&self) -> String {
        let mut years = serde_json::Map::new();
        for (year, lists) in &self.years {
            let mut entry = serde_json::Map::new();
            entry.insert(REST_DAYS.to_owned(), dates_to_json(&lists.rest_days));
            entry.insert(
                MAKEUP_WORKDAYS.to_owned(),
                dates_to_json(&lists.makeup_workdays),
            );
            years.insert(year.to_string(), serde_json::Value::Object(entry));
        }
        let mut root = serde_json::Map::new();
        root.insert("years".to_owned(), serde_json::Value::Object(years));
        format!("{:#}", serde_json::Value::Object(root))
    }
}

/// Saturday or Sunday.
pub(super) fn is_weekend(d: Date) -> bool {
    matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday)
}

/// Checks that every date of a list lies in `year` and none is repeated.
fn collect_list(
    year: i32,
    list: &'static str,
    dates: Vec<Date>,
) -> Result<BTreeSet<Date>, CalendarError> {
    let mut set = BTreeSet::new();
    for date in dates {
        if i32::from(date.year()) != year {
            return Err(CalendarError::DateOutsideYear { year, list, date });
        }
        if !set.insert(date) {
            return Err(CalendarError::DuplicateDate { year, list, date });
        }
    }
    Ok(set)
}

/// A JSON array of `YYYY-MM-DD` strings.
fn dates_to_json(dates: &BTreeSet<Date>) -> serde_json::Value {
    serde_json::Value::Array(
        dates
            .iter()
            .map(|d| serde_json::Value::String(d.to_string()))
            .collect(),
    )
}

/// Reads a key under `years`: plain decimal digits, optionally negative, as `i32` writes it.
fn parse_year_key(key: &str) -> Result<i32, CalendarError> {
    match key.parse::<i32>() {
        // Requiring the canonical spelling refuses `+2024` and `02024`, which would otherwise be
        // silent aliases of `2024`.
        Ok(year) if year.to_string() == key => Ok(year),
        _ => Err(CalendarError::YearKey {
            key: key.to_owned(),
        }),
    }
}

/// Reads the dates of one list, each strictly `YYYY-MM-DD`.
fn parse_dates(
    year: i32,
    list: &'static str,
    texts: &[String],
) -> Result<Vec<Date>, CalendarError> {
    texts
        .iter()
        .map(|text| {
            parse_iso_date(text).ok_or_else(|| CalendarError::InvalidDate {
                year,
                list,
                text: text.clone(),
            })
        })
        .collect()
}

/// Parses exactly `YYYY-MM-DD`. jiff's own parser also accepts other ISO 8601 spellings, which
/// have no place in this file.
pub(super) fn parse_iso_date(text: &str) -> Option<Date> {
    let shape_ok = text.len() == 10
        && text.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        });
    if !shape_ok {
        return None;
    }
    let year: i16 = text.get(0..4)?.parse().ok()?;
    let month: i8 = text.get(5..7)?.parse().ok()?;
    let day: i8 = text.get(8..10)?.parse().ok()?;
    Date::new(year, month, day).ok()
}

/// The parts of the calendar file this module reads.
#[derive(Deserialize)]
struct CalendarFile {
    /// The covered years, in file order, duplicates kept so that they can be refused.
    years: YearEntries,
}

/// The lists of one year as written in the file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct YearFile {
    /// Official rest days, `YYYY-MM-DD`.
    rest_days: Vec<String>,
    /// Make-up workdays, `YYYY-MM-DD`.
    makeup_workdays: Vec<String>,
}

/// The entries of the `years` object in file order. A map type would silently keep only the
/// last of two entries for the same year.
struct YearEntries(Vec<(String, YearFile)>);

impl<'de> Deserialize<'de> for YearEntries {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        /// Collects the entries of a JSON object.
        struct EntriesVisitor;

        impl<'de> Visitor<'de> for EntriesVisitor {
            type Value = YearEntries;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object mapping years to their rest days and make-up workdays")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<YearEntries, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry::<String, YearFile>()? {
                    entries.push(entry);
                }
                Ok(YearEntries(entries))
            }
        }

        deserializer.deserialize_map(EntriesVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn the_shipped_calendar_parses() {
        let cal = Calendar::from_json(STANDARD_JSON).expect("data/holidays-cn.json parses");
        assert_eq!(cal.years(), vec![2024, 2025, 2026]);
        assert_eq!(Calendar::standard(), cal);
        let (rest, makeup) = cal.year(2025).expect("2025 is covered");
        assert_eq!(rest.len(), 28);
        assert_eq!(makeup.len(), 5);
        assert!(rest.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn rest_and_working_days() {
        let cal = Calendar::standard();
        // National Day holiday 2025, including the Saturday and Sunday inside it.
        for day in 1..=8 {
            assert!(cal.is_rest_day(date(2025, 10, day)), "2025-10-{day:02}");
        }
        assert!(cal.is_working_day(date(2025, 10, 9)));
        // Make-up workdays are Sundays/Saturdays that are working days.
        assert!(cal.is_working_day(date(2025, 9, 28)));
        assert!(cal.is_working_day(date(2025, 10, 11)));
        // An ordinary weekend and an ordinary weekday.
        assert!(cal.is_rest_day(date(2025, 10, 12)));
        assert!(cal.is_working_day(date(2025, 10, 13)));
        // An uncovered year: weekends only, even on 1 January.
        assert!(!cal.covers(2031));
        assert!(cal.is_working_day(date(2031, 1, 1)));
        assert!(cal.is_rest_day(date(2031, 1, 4)));
    }

    #[test]
    fn json_round_trips() {
        let cal = Calendar::standard();
        let text = cal.to_json();
        assert_eq!(Calendar::from_json(&text).expect("round trip"), cal);
        assert_eq!(
            Calendar::from_json(&Calendar::empty().to_json()).expect("empty"),
            Calendar::empty()
        );
    }

    #[test]
    fn add_year_replaces_and_validates() {
        let mut cal = Calendar::standard();
        cal.add_year(2026, vec![date(2026, 1, 5)], vec![])
            .expect("valid year");
        assert_eq!(cal.year(2026), Some((vec![date(2026, 1, 5)], vec![])));
        assert!(cal.is_rest_day(date(2026, 1, 5)));
        assert!(cal.is_working_day(date(2026, 10, 1)));

        let before = cal.clone();
        let err = |r: Result<(), CalendarError>| r.expect_err("refused").to_string();
        assert_eq!(
            err(cal.add_year(2027, vec![date(2026, 12, 31)], vec![])),
            "2026-12-31 is listed in `rest_days` of year 2027 but belongs to year 2026"
        );
        assert_eq!(
            err(cal.add_year(2027, vec![date(2027, 2, 6)], vec![date(2027, 2, 6)])),
            "2027-02-06 is listed both in `rest_days` and in `makeup_workdays` of year 2027"
        );
        assert_eq!(
            err(cal.add_year(2027, vec![], vec![date(2027, 2, 8)])),
            "make-up workday 2027-02-08 of year 2027 is a Monday; make-up workdays are Saturdays or Sundays"
        );
        assert_eq!(
            err(cal.add_year(2027, vec![date(2027, 1, 1), date(2027, 1, 1)], vec![])),
            "2027-01-01 appears twice in `rest_days` of year 2027"
        );
        assert_eq!(
            err(cal.add_year(20270, vec![], vec![])),
            "year 20270 is outside the supported range -9999..=9999"
        );
        assert_eq!(cal, before);
    }

    #[test]
    fn from_json_reports_precise_errors() {
        let check = |text: &str, expected: &str| {
            let message = Calendar::from_json(text).expect_err("refused").to_string();
            assert!(
                message.contains(expected),
                "`{message}` should contain `{expected}`"
            );
        };
        check("[]", "not JSON of the expected shape");
        check(r#"{"description": "x"}"#, "missing field `years`");
        check(
            r#"{"years": {"+2024": {"rest_days": [], "makeup_workdays": []}}}"#,
            "`+2024` under `years` is not a year",
        );
        check(
            r#"{"years": {"2024": {"rest_days": [], "makeup_workdays": []},
                          "2024": {"rest_days": [], "makeup_workdays": []}}}"#,
            "year 2024 appears twice",
        );
        check(
            r#"{"years": {"2024": {"rest_days": ["2024-02-30"], "makeup_workdays": []}}}"#,
            "`2024-02-30` in `rest_days` of year 2024 is not a date of the form YYYY-MM-DD",
        );
        check(
            r#"{"years": {"2024": {"rest_days": [], "makeup_workdays": ["20240204"]}}}"#,
            "`20240204` in `makeup_workdays` of year 2024 is not a date",
        );
        check(
            r#"{"years": {"2024": {"rest_days": [], "make_up_workdays": []}}}"#,
            "unknown field `make_up_workdays`",
        );
        check(
            r#"{"years": {"2024": {"rest_days": ["2025-01-01"], "makeup_workdays": []}}}"#,
            "2025-01-01 is listed in `rest_days` of year 2024 but belongs to year 2025",
        );
    }

    #[test]
    fn other_top_level_keys_are_ignored() {
        let cal = Calendar::from_json(
            r#"{"description": "test", "sources": [1, 2],
                "years": {"2030": {"rest_days": ["2030-01-01"], "makeup_workdays": []}}}"#,
        )
        .expect("valid");
        assert_eq!(cal.years(), vec![2030]);
        assert!(cal.is_rest_day(date(2030, 1, 1)));
    }
}
