//! One year of the holiday calendar as people type it (a form of the web UI): the two lists of
//! `YYYY-MM-DD` strings, parsed and checked with every problem named by list and index in
//! Chinese, so that the form can point at the entry. The checks are those of
//! [`Calendar::add_year`](super::Calendar::add_year), which still guards the calendar itself.

use std::collections::BTreeMap;

use jiff::civil::{Date, Weekday};
use serde::Serialize;

use super::calendar::{is_weekend, parse_iso_date};

/// One problem of an entry of the lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ListProblem {
    /// The entry: `rest_days[3]`, `makeup_workdays[0]`, or `year`.
    pub field: String,
    /// A stable code: `year_out_of_range`, `invalid_date`, `date_outside_year`,
    /// `duplicate_date`, `in_both_lists`, `makeup_not_weekend`.
    pub code: &'static str,
    /// What is wrong, in Chinese, starting with the field.
    pub message: String,
}

/// Parses and checks the lists of `year`: every entry is a date written `YYYY-MM-DD` in that
/// year, no date is listed twice in one list or in both lists, and every make-up workday is a
/// Saturday or Sunday. Every problem is reported. On success, both lists sorted.
pub fn parse_year_lists(
    year: i32,
    rest_days: &[String],
    makeup_workdays: &[String],
) -> Result<(Vec<Date>, Vec<Date>), Vec<ListProblem>> {
    let mut problems = Vec::new();
    let valid_year = i16::try_from(year)
        .ok()
        .is_some_and(|y| Date::new(y, 1, 1).is_ok());
    if !valid_year {
        problems.push(problem(
            "year",
            "year_out_of_range",
            format!("年份 `{year}` 超出可用范围"),
        ));
        return Err(problems);
    }
    let rest = parse_list(year, "rest_days", rest_days, &mut problems);
    let makeup = parse_list(year, "makeup_workdays", makeup_workdays, &mut problems);
    for (date, &i) in &makeup {
        let field = format!("makeup_workdays[{i}]");
        if let Some(j) = rest.get(date) {
            problems.push(problem(
                &field,
                "in_both_lists",
                format!("{date} 同时列在 rest_days[{j}] 中：一天不能既放假又调休上班"),
            ));
        }
        if !is_weekend(*date) {
            problems.push(problem(
                &field,
                "makeup_not_weekend",
                format!(
                    "调休上班日 {date} 是{}，调休上班日应为周六或周日",
                    weekday_zh(date.weekday())
                ),
            ));
        }
    }
    problems.sort_by_key(|a| field_order(&a.field));
    if problems.is_empty() {
        Ok((rest.into_keys().collect(), makeup.into_keys().collect()))
    } else {
        Err(problems)
    }
}

/// The valid, distinct dates of one list with the index of their first entry; a problem for
/// every other entry.
fn parse_list(
    year: i32,
    list: &str,
    texts: &[String],
    problems: &mut Vec<ListProblem>,
) -> BTreeMap<Date, usize> {
    let mut dates = BTreeMap::new();
    for (i, text) in texts.iter().enumerate() {
        let field = format!("{list}[{i}]");
        let Some(date) = parse_iso_date(text.trim()) else {
            problems.push(problem(
                &field,
                "invalid_date",
                format!("`{text}` 不是 YYYY-MM-DD 格式的有效日期"),
            ));
            continue;
        };
        if i32::from(date.year()) != year {
            problems.push(problem(
                &field,
                "date_outside_year",
                format!("{date} 不属于 {year} 年"),
            ));
            continue;
        }
        if let Some(j) = dates.get(&date) {
            problems.push(problem(
                &field,
                "duplicate_date",
                format!("{date} 与 {list}[{j}] 重复"),
            ));
            continue;
        }
        dates.insert(date, i);
    }
    dates
}

fn problem(field: &str, code: &'static str, detail: String) -> ListProblem {
    ListProblem {
        field: field.to_owned(),
        code,
        message: format!("{field}：{detail}"),
    }
}

/// Problems in the order of the form: the year, the rest days by index, the make-up workdays
/// by index.
fn field_order(field: &str) -> (u8, usize) {
    let index = |s: &str| {
        s.strip_suffix(']')
            .and_then(|s| s.parse::<usize>().ok())
            .unwrap_or(0)
    };
    match field.split_once('[') {
        Some(("rest_days", i)) => (1, index(i)),
        Some((_, i)) => (2, index(i)),
        None => (0, 0),
    }
}

fn weekday_zh(d: Weekday) -> &'static str {
    match d {
        Weekday::Monday => "星期一",
        Weekday::Tuesday => "星期二",
        Weekday::Wednesday => "星期三",
        Weekday::Thursday => "星期四",
        Weekday::Friday => "星期五",
        Weekday::Saturday => "星期六",
        Weekday::Sunday => "星期日",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn good_lists_come_back_sorted() {
        let (rest, makeup) = parse_year_lists(
            2027,
            &strings(&["2027-10-01", "2027-01-01", " 2027-10-02 "]),
            &strings(&["2027-09-26"]),
        )
        .unwrap();
        assert_eq!(
            rest.iter().map(ToString::to_string).collect::<Vec<_>>(),
            ["2027-01-01", "2027-10-01", "2027-10-02"]
        );
        assert_eq!(makeup.len(), 1);
    }

    #[test]
    fn every_problem_is_named_by_list_and_index() {
        let err = parse_year_lists(
            2027,
            &strings(&[
                "2027-01-01",
                "2027-02-30",
                "2026-12-31",
                "2027-01-01",
                "2027-10-02",
            ]),
            &strings(&["2027-10-02", "2027-09-27", "27-09-26"]),
        )
        .unwrap_err();
        let got: Vec<(&str, &str)> = err.iter().map(|p| (p.field.as_str(), p.code)).collect();
        assert_eq!(
            got,
            [
                ("rest_days[1]", "invalid_date"),
                ("rest_days[2]", "date_outside_year"),
                ("rest_days[3]", "duplicate_date"),
                ("makeup_workdays[0]", "in_both_lists"),
                ("makeup_workdays[1]", "makeup_not_weekend"),
                ("makeup_workdays[2]", "invalid_date"),
            ]
        );
        assert_eq!(
            err.get(2).map(|p| p.message.as_str()),
            Some("rest_days[3]：2027-01-01 与 rest_days[0] 重复")
        );
        assert!(
            err.get(3)
                .is_some_and(|p| p.message.contains("rest_days[4]"))
        );
        assert_eq!(
            parse_year_lists(99_999, &[], &[])
                .unwrap_err()
                .first()
                .map(|p| p.code),
            Some("year_out_of_range")
        );
    }
}
