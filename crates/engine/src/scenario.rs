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

/// One way a scenario's findings differ from its expectation.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Difference {
    /// The scenario cannot be read or judged: a file is missing or invalid.
    Unreadable {
        /// Why, in Chinese.
        reason: String,
    },
    /// An expected finding did not arise.
    Missing {
        /// The expectation (the fields it names).
        expected: Value,
        /// The findings that did arise for the same rule and case (`check` output lines).
        same_rule: Vec<Value>,
    },
    /// A finding arose that the scenario says must not.
    Unexpected {
        /// The `absent` entry it matches.
        absent: Value,
        /// The finding (a `check` output line).
        actual: Value,
    },
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Difference::Unreadable { reason } => write!(f, "{reason}"),
            Difference::Missing {
                expected,
                same_rule,
            } => {
                let same: Vec<String> = same_rule
                    .iter()
                    .map(|l| {
                        let field = |k: &str| l.get(k).unwrap_or(&Value::Null);
                        format!(
                            "{} {} due={}",
                            field("subject"),
                            field("state"),
                            field("due")
                        )
                    })
                    .collect();
                write!(
                    f,
                    "期望的结论未出现：{expected}；同规则的实际结论：[{}]",
                    same.join("; ")
                )
            }
            Difference::Unexpected { actual, .. } => write!(f, "不应出现的结论出现了：{actual}"),
        }
    }
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
    let source = ScenarioText {
        name: &sc.name,
        rule: None,
        events_file: &sc.events.display().to_string(),
        events: &events_text,
        expect_file: &sc.expect.display().to_string(),
        expect: Some(&expect_text),
    };
    judge(pack, cal, &source)
        .iter()
        .map(ToString::to_string)
        .collect()
}

/// A scenario held in memory, as a pack carries its own ([`Pack::files`]).
#[derive(Debug, Clone, Copy)]
pub struct ScenarioText<'a> {
    /// Its name (the file stem).
    pub name: &'a str,
    /// The rule whose scenario it is: the folder directly under `scenarios/`, if any.
    pub rule: Option<&'a str>,
    /// The events file's path, for messages.
    pub events_file: &'a str,
    /// The events (JSON Lines).
    pub events: &'a str,
    /// The expectation file's path, for messages.
    pub expect_file: &'a str,
    /// The expectation (`docs/spec/check.md`); `None` when the file is missing.
    pub expect: Option<&'a str>,
}

/// The scenarios a pack carries (`scenarios/…/<name>.events.jsonl` with `<name>.expect.json`
/// among [`Pack::files`]), sorted by path.
pub fn of_pack(pack: &Pack) -> Vec<ScenarioText<'_>> {
    pack.files
        .iter()
        .filter_map(|(path, text)| {
            let stem = path.strip_suffix(".events.jsonl")?;
            let mut parts = stem.split('/');
            if parts.next() != Some("scenarios") {
                return None;
            }
            let rest: Vec<&str> = parts.collect();
            let name = *rest.last()?;
            let rule = if rest.len() > 1 {
                rest.first().copied()
            } else {
                None
            };
            let (expect_file, expect) = pack
                .files
                .get_key_value(&format!("{stem}.expect.json"))
                .map_or((None, None), |(k, v)| (Some(k.as_str()), Some(v.as_str())));
            Some(ScenarioText {
                name,
                rule,
                events_file: path,
                events: text,
                expect_file: expect_file.unwrap_or(path),
                expect,
            })
        })
        .collect()
}

/// Judges a scenario held in memory: every way the findings differ from the expectation
/// (empty: passes). [`run`] reads a scenario's files and calls this.
pub fn judge(pack: &Pack, cal: &Calendar, sc: &ScenarioText<'_>) -> Vec<Difference> {
    let unreadable = |reason: String| vec![Difference::Unreadable { reason }];
    let Some(expect_text) = sc.expect else {
        return unreadable(format!("{} 缺少对应的 .expect.json 文件", sc.events_file));
    };
    let events = match parse_events(sc.events) {
        Ok(e) => e,
        Err(bad) => {
            return bad
                .into_iter()
                .map(|b| Difference::Unreadable {
                    reason: format!("{} 第 {} 行：{}", sc.events_file, b.line, b.reason),
                })
                .collect();
        }
    };
    let expect: Value = match serde_json::from_str(expect_text) {
        Ok(v) => v,
        Err(e) => return unreadable(format!("{} 不是有效的 JSON：{e}", sc.expect_file)),
    };
    let Some(at) = expect
        .get("at")
        .and_then(Value::as_str)
        .and_then(|s| parse_instant(s).ok())
    else {
        return unreadable(format!("{}：缺少有效的 `at`", sc.expect_file));
    };
    let findings = evaluate_all(pack, cal, &events, at);
    let lines: Vec<Value> = findings
        .iter()
        .filter_map(|f| serde_json::to_value(CheckLine::from(f)).ok())
        .collect();
    let mut differences = Vec::new();
    for e in expect
        .get("expect")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if !lines.iter().any(|l| matches(l, e)) {
            let same_rule: Vec<Value> = lines
                .iter()
                .filter(|l| l.get("rule") == e.get("rule") && l.get("case") == e.get("case"))
                .cloned()
                .collect();
            differences.push(Difference::Missing {
                expected: e.clone(),
                same_rule,
            });
        }
    }
    for a in expect
        .get("absent")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(l) = lines.iter().find(|l| matches(l, a)) {
            differences.push(Difference::Unexpected {
                absent: a.clone(),
                actual: l.clone(),
            });
        }
    }
    differences
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
