//! Scenario files (`NAME.events.jsonl` + `NAME.expect.json`, `docs/spec/check.md`): reading them
//! and judging the engine's findings against them. Used by `casewatch check`, `casewatch rules
//! test` and the test suite.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use casewatch_core::time::{format_instant, parse_instant};
use casewatch_core::{Event, ParseOptions};
use jiff::Timestamp;
use serde::Serialize;
use serde_json::Value;

use crate::finding::Finding;
use crate::pack::Pack;
use crate::time::Calendar;

/// A line of an events file that is not a valid event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadLine {
    /// 1-based line number.
    pub line: usize,
    /// Why, with the field.
    pub reason: String,
}

/// Parses an events file (JSON Lines), in file order. `at` may lie anywhere in time.
pub fn parse_events(text: &str) -> Result<Vec<Event>, Vec<BadLine>> {
    let mut events = Vec::new();
    let mut bad = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Value>(line) {
            Ok(v) => match Event::parse(&v, ParseOptions { now: None }) {
                Ok(e) => events.push(e),
                Err(errs) => bad.extend(errs.into_iter().map(|e| BadLine {
                    line: line_no,
                    reason: if e.field.is_empty() {
                        e.message
                    } else {
                        format!("字段 {}：{}", e.field, e.message)
                    },
                })),
            },
            Err(e) => bad.push(BadLine {
                line: line_no,
                reason: format!("不是有效的 JSON：{e}"),
            }),
        }
    }
    if bad.is_empty() { Ok(events) } else { Err(bad) }
}

/// Evaluates every case of `events` at `now`; findings sorted by case, subject, rule.
pub fn evaluate_all(pack: &Pack, cal: &Calendar, events: &[Event], now: Timestamp) -> Vec<Finding> {
    let mut by_case: BTreeMap<&str, Vec<Event>> = BTreeMap::new();
    for e in events {
        by_case.entry(e.case.as_str()).or_default().push(e.clone());
    }
    let mut out = Vec::new();
    for evs in by_case.values() {
        let mut f = crate::evaluate(pack, cal, evs, now);
        f.sort_by(|a, b| {
            (&a.subject, &a.rule, a.started, &a.reference).cmp(&(
                &b.subject,
                &b.rule,
                b.started,
                &b.reference,
            ))
        });
        out.extend(f);
    }
    out
}

/// The output line of `casewatch check` for one finding (`check.md`).
#[derive(Debug, Serialize)]
pub struct CheckLine<'a> {
    /// Rule id.
    pub rule: &'a str,
    /// Case id.
    pub case: &'a str,
    /// Subject or null.
    pub subject: Option<&'a str>,
    /// Starting or triggering event.
    #[serde(rename = "ref")]
    pub reference: &'a str,
    /// State.
    pub state: &'a str,
    /// Clock start (+08:00) or null.
    pub started: Option<String>,
    /// Clock due (+08:00) or null.
    pub due: Option<String>,
    /// Chinese explanation.
    pub explain: &'a str,
}

impl<'a> From<&'a Finding> for CheckLine<'a> {
    fn from(f: &'a Finding) -> Self {
        CheckLine {
            rule: &f.rule,
            case: &f.case,
            subject: f.subject.as_deref(),
            reference: &f.reference,
            state: f.state.as_str(),
            started: f.started.map(format_instant),
            due: f.due.map(format_instant),
            explain: &f.explain,
        }
    }
}

/// A scenario on disk.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// Its name (file stem).
    pub name: String,
    /// The events file.
    pub events: PathBuf,
    /// The expectation file.
    pub expect: PathBuf,
}

/// Every scenario in `dir` and its subfolders, sorted by path.
pub fn find(dir: &Path) -> Vec<Scenario> {
    let mut out = Vec::new();
    let Ok(read) = std::fs::read_dir(dir) else {
        return out;
    };
    let mut paths: Vec<PathBuf> = read.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            out.extend(find(&p));
        } else if let Some(name) = p
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".events.jsonl"))
        {
            out.push(Scenario {
                name: name.to_owned(),
                events: p.clone(),
                expect: p.with_file_name(format!("{name}.expect.json")),
            });
        }
    }
    out
}

/// Runs a scenario and lists every way the findings differ from the expectation (empty: passes).
pub fn run(pack: &Pack, cal: &Calendar, sc: &Scenario) -> Vec<String> {
    let events_text = match std::fs::read_to_string(&sc.events) {
        Ok(t) => t,
        Err(e) => return vec![format!("无法读取 {}：{e}", sc.events.display())],
    };
    let expect_text = match std::fs::read_to_string(&sc.expect) {
        Ok(t) => t,
        Err(e) => return vec![format!("无法读取 {}：{e}", sc.expect.display())],
    };
    let events = match parse_events(&events_text) {
        Ok(e) => e,
        Err(bad) => {
            return bad
                .into_iter()
                .map(|b| format!("{} 第 {} 行：{}", sc.events.display(), b.line, b.reason))
                .collect();
        }
    };
    let expect: Value = match serde_json::from_str(&expect_text) {
        Ok(v) => v,
        Err(e) => return vec![format!("{} 不是有效的 JSON：{e}", sc.expect.display())],
    };
    let Some(at) = expect
        .get("at")
        .and_then(Value::as_str)
        .and_then(|s| parse_instant(s).ok())
    else {
        return vec![format!("{}：缺少有效的 `at`", sc.expect.display())];
    };
    let findings = evaluate_all(pack, cal, &events, at);
    let lines: Vec<Value> = findings
        .iter()
        .filter_map(|f| serde_json::to_value(CheckLine::from(f)).ok())
        .collect();
    let mut failures = Vec::new();
    for e in expect
        .get("expect")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if !lines.iter().any(|l| matches(l, e)) {
            let same_rule: Vec<String> = lines
                .iter()
                .filter(|l| l.get("rule") == e.get("rule") && l.get("case") == e.get("case"))
                .map(|l| format!("{} {} due={}", l["subject"], l["state"], l["due"]))
                .collect();
            failures.push(format!(
                "期望的结论未出现：{e}；同规则的实际结论：[{}]",
                same_rule.join("; ")
            ));
        }
    }
    for a in expect
        .get("absent")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(l) = lines.iter().find(|l| matches(l, a)) {
            failures.push(format!("不应出现的结论出现了：{l}"));
        }
    }
    failures
}

/// Whether an output line matches an expectation: every field the expectation names is equal,
/// instants compared as instants.
fn matches(line: &Value, want: &Value) -> bool {
    let Some(want) = want.as_object() else {
        return false;
    };
    want.iter().all(|(k, v)| {
        let got = line.get(k).unwrap_or(&Value::Null);
        if matches!(k.as_str(), "due" | "started") {
            let t = |x: &Value| x.as_str().and_then(|s| parse_instant(s).ok());
            return t(got) == t(v) && got.is_null() == v.is_null();
        }
        got == v
    })
}
