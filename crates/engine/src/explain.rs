//! Chinese explanations of findings: how a due was computed, why a check holds or fails.
//! Example: 拘留执行于2026年3月2日 10:23，依据刑诉法 91，3日，羁押期间不因节假日顺延，期满2026年3月5日24:00。

use casewatch_core::time::format_zh;
use casewatch_core::{Event, EventType};
use jiff::{SignedDuration, Timestamp};

use crate::finding::State;
use crate::pack::{Clock, LimitSpec, Pack, Rule, Unit};
use crate::time::{CalendarMode, Due, date_of};

/// An instant the Chinese way: `2026年3月2日 10:23`.
pub fn zh_time(t: Timestamp) -> String {
    format_zh(t)
}

/// The end of a period: an instant at 00:00 is written as 24:00 of the day before, the way
/// statutory periods are spoken of (期满3月5日24:00).
pub fn zh_end(t: Timestamp) -> String {
    let z = t.to_zoned(casewatch_core::time::china_tz());
    if z.hour() == 0 && z.minute() == 0 && z.second() == 0 {
        let day = date_of(t).yesterday().unwrap_or(date_of(t));
        format!("{}年{}月{}日24:00", day.year(), day.month(), day.day())
    } else {
        zh_time(t)
    }
}

fn zh_date(d: jiff::civil::Date) -> String {
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
}

fn zh_span(d: SignedDuration) -> String {
    let h = d.as_hours();
    if h % 24 == 0 {
        format!("{}日", h / 24)
    } else {
        format!("{h}小时")
    }
}

/// The explanation of a clock finding.
#[expect(
    clippy::too_many_arguments,
    reason = "one sentence is built from every part of the clock"
)]
pub fn clock(
    pack: &Pack,
    rule: &Rule,
    clock: &Clock,
    start: &Event,
    amount: i64,
    due: &Due,
    state: State,
    stopped: Option<&(Timestamp, EventType)>,
    notes: &[String],
    paused: bool,
    problem: Option<&str>,
) -> String {
    let mut s = format!(
        "{}于{}，依据{}",
        start.event_type.zh(),
        zh_time(start.at),
        rule.basis
    );
    if let Some(d) = &rule.description {
        s.push('（');
        s.push_str(d);
        s.push('）');
    }
    s.push('，');
    let day_based = match &clock.limit {
        LimitSpec::Period(unit, _) => {
            s.push_str(&match unit {
                Unit::Hours => format!("{amount}小时"),
                Unit::Days => format!("{amount}日"),
                Unit::Months => format!("{amount}个月"),
                Unit::WorkingDays => format!("{amount}个工作日"),
            });
            *unit != Unit::Hours
        }
        LimitSpec::At(field) => {
            s.push_str(&format!("以 {field} 所载时间为限"));
            false
        }
        LimitSpec::BeforeRule(other, offset) => {
            let name = pack.rule(other).map_or(other.as_str(), |r| r.name.as_str());
            s.push_str(&format!("应在{name}期满{}前", zh_span(*offset)));
            false
        }
    };
    for n in notes {
        s.push('，');
        s.push_str(n);
    }
    if day_based {
        match clock.calendar {
            CalendarMode::Custody => s.push_str("，羁押期间不因节假日顺延"),
            CalendarMode::Fixed => s.push_str("，期限不因节假日顺延"),
            CalendarMode::Ordinary => {
                if let (Some(from), Some(to)) = (due.shifted_from, due.last_day) {
                    s.push_str(&format!(
                        "，期满日{}为节假日，顺延至{}",
                        zh_date(from),
                        zh_date(to)
                    ));
                }
            }
        }
    }
    s.push_str(&format!("，期满{}", zh_end(due.due)));
    if !due.uncovered_years.is_empty() {
        let years: Vec<String> = due
            .uncovered_years
            .iter()
            .map(ToString::to_string)
            .collect();
        s.push_str(&format!(
            "（{}年节假日安排未录入，仅按周末计算）",
            years.join("、")
        ));
    }
    match (state, stopped) {
        (State::Met, Some((at, t))) => {
            s.push_str(&format!("；{}于{}，按期完成", t.zh(), zh_time(*at)))
        }
        (State::Late, Some((at, t))) => {
            s.push_str(&format!("；{}于{}，已超期", t.zh(), zh_time(*at)))
        }
        // Open clocks say nothing of their state here: the timer moves them to warning and
        // overdue without evaluating again, and the explanation must stay true meanwhile.
        (State::Running, _) if paused => s.push_str("；期限中止计算中（鉴定等）"),
        _ => {}
    }
    if let Some(p) = problem {
        s.push_str(&format!("；注意：{p}"));
    }
    s.push('。');
    s
}

/// The explanation of a check finding.
pub fn check(rule: &Rule, e: &Event, state: State, text: &str) -> String {
    let verdict = if state == State::Passed {
        "符合"
    } else {
        "不符合"
    };
    format!(
        "{}于{}：{}（{}，依据{}）。",
        e.event_type.zh(),
        zh_time(e.at),
        text,
        verdict,
        rule.basis
    )
}
