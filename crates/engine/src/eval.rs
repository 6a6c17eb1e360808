//! The pure evaluator: (pack, calendar, a case's events, now) → findings.
//!
//! Events are walked in order of `at`, then arrival. Before each event is applied to the case
//! ledger, the rules that react to its type are asked, in this order: stops, extensions and pauses
//! of open clocks; starts of new clocks; checks. Conditions therefore see the case as it stood
//! before the event. When the walk is done, each clock's due is computed from its start, its limit,
//! the extensions that came in time and its pauses, and its state follows from `now`.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::sync::Arc;

use casewatch_core::event_type::SubjectRule;
use casewatch_core::fasthash::FastSet;
use casewatch_core::ids::Ref;
use casewatch_core::ledger::CaseLedger;
use casewatch_core::{Event, EventType};
use jiff::{SignedDuration, Timestamp};

use crate::explain;
use crate::expr::{Bindings, EventBindings};
use crate::facts::{CaseFacts, EventFacts, Facts, SubjectFacts};
use crate::finding::{Finding, State};
use crate::pack::{
    Amount, Check, Clock, ExtendAction, LimitSpec, Pack, Rule, RuleBody, RuleScope, Unit, Warning,
};
use crate::time::{
    Calendar, CalendarMode, Due, Limit, compute_due, date_of, pause_days, start_of_day, warning_at,
};

/// A clock while the walk goes on.
struct OpenClock<'p> {
    rule: &'p Rule,
    clock: &'p Clock,
    subject: Option<Arc<str>>,
    /// The starting event (borrowed from the case's events: a clock does not copy its event).
    start: &'p Event,
    /// The period in the limit's unit (after day extensions), for period limits.
    amount: i64,
    /// Months added by renewals, each counted from the last day of the period before it.
    added_months: Vec<i64>,
    n_extensions: i64,
    notes: Vec<String>,
    pauses: Vec<(Timestamp, Option<Timestamp>)>,
    stopped: Option<(Timestamp, EventType)>,
    problem: Option<String>,
}

/// Evaluates every rule of `pack` over one case's `events` at `now`. Events after `now` are
/// ignored; retracted events count as never received. Findings are sorted by subject, rule, start.
pub fn evaluate(pack: &Pack, cal: &Calendar, events: &[Event], now: Timestamp) -> Vec<Finding> {
    walk(pack, cal, events, now, true)
}

/// [`evaluate`] without the Chinese explanations (`Finding::explain` is left empty) and in no
/// particular order: the same findings otherwise. Re-evaluation compares findings by their digest
/// first (which does not depend on their order) and renders the explanations only for the cases
/// whose findings changed (formatting them was half of the evaluator's cost, sorting them a
/// twentieth of re-evaluation's instructions; `docs/performance-notes.md`).
pub fn evaluate_brief(
    pack: &Pack,
    cal: &Calendar,
    events: &[Event],
    now: Timestamp,
) -> Vec<Finding> {
    walk(pack, cal, events, now, false)
}

fn walk(
    pack: &Pack,
    cal: &Calendar,
    events: &[Event],
    now: Timestamp,
    explain: bool,
) -> Vec<Finding> {
    let mut evs: Vec<&Event> = events.iter().filter(|e| e.at <= now).collect();
    casewatch_core::event::sort_by_instant(&mut evs);
    let retracted: FastSet<&str> = evs
        .iter()
        .filter(|e| e.event_type == EventType::EventRetracted)
        .filter_map(|e| e.data_str("target"))
        .collect();
    let active: Vec<&Event> = evs
        .into_iter()
        .filter(|e| e.event_type != EventType::EventRetracted && !retracted.contains(e.id.as_str()))
        .collect();
    let Some(case_id) = active.first().map(|e| e.case.to_string()) else {
        return Vec::new();
    };
    let has_complainant = active.iter().any(|e| {
        e.event_type == EventType::PersonRegistered && e.data_str("role") == Some("complainant")
    });

    let mut walk = Walk {
        pack,
        cal,
        now,
        clocks: Vec::new(),
        findings: Vec::new(),
        first_seen: FastSet::default(),
        explain,
    };
    let mut state = CaseLedger::empty(&case_id);
    for e in active {
        let rules = pack.rules_for(&e.event_type);
        if !rules.is_empty() {
            // Conditions read these typed facts; the CEL values are built only if one of them
            // needs the interpreter.
            let facts = Facts {
                event: Some(EventFacts::new(e)),
                start: None,
                case: Some(CaseFacts::new(&state, has_complainant)),
                subject: e
                    .subject
                    .as_ref()
                    .and_then(|s| SubjectFacts::new(&state, s.as_str(), e.at)),
            };
            let bindings = EventBindings::new(&pack.env, facts);
            for &i in rules {
                if let Some(rule) = pack.rules.get(i) {
                    walk.step(rule, e, &bindings, &state);
                }
            }
        }
        state.apply_event(e);
    }
    walk.finish()
}

struct Walk<'p> {
    pack: &'p Pack,
    cal: &'p Calendar,
    now: Timestamp,
    clocks: Vec<OpenClock<'p>>,
    findings: Vec<Finding>,
    /// (rule id, scope key) pairs whose first start has been seen, for `first = true` starts.
    first_seen: FastSet<(Arc<str>, Option<Arc<str>>)>,
    /// Whether to write the explanations and sort the findings (see [`evaluate_brief`]).
    explain: bool,
}

fn in_force(rule: &Rule, at: Timestamp) -> bool {
    let d = date_of(at);
    rule.in_force.0.is_none_or(|from| d >= from) && rule.in_force.1.is_none_or(|until| d < until)
}

/// A check's state and the text of its explanation, given whether its requirement held.
fn verdict(check: &Check, held: Result<bool, String>) -> (State, Cow<'_, str>) {
    match held {
        Ok(true) => (State::Passed, Cow::Borrowed(check.passed.as_str())),
        Ok(false) => (State::Violated, Cow::Borrowed(check.violated.as_str())),
        Err(m) => (State::Violated, Cow::Owned(unevaluable(&m))),
    }
}

/// The explanation of a finding whose condition could not be evaluated.
fn unevaluable(reason: &str) -> String {
    format!("规则无法求值：{reason}")
}

/// A reference as a finding keeps it.
fn owned(r: Option<&Ref>) -> Option<Arc<str>> {
    r.map(Ref::shared)
}

fn holds(when: Option<&crate::expr::Expr>, b: &impl Bindings) -> Result<bool, String> {
    when.map_or(Ok(true), |w| w.holds(b))
}

impl<'p> Walk<'p> {
    fn step(&mut self, rule: &'p Rule, e: &'p Event, b: &EventBindings<'_>, state: &CaseLedger) {
        match &rule.body {
            RuleBody::Clock(clock) => {
                self.stops_and_extensions(rule, clock, e, b);
                self.starts(rule, clock, e, b);
            }
            RuleBody::Check(check) => {
                for t in check.triggers.iter().filter(|t| t.on == e.event_type) {
                    if !in_force(rule, e.at) {
                        continue;
                    }
                    match holds(t.when.as_ref(), b) {
                        Ok(true) => {}
                        Ok(false) => continue,
                        Err(m) => {
                            self.findings.push(self.check_finding(
                                rule,
                                e,
                                owned(e.subject.as_ref()),
                                State::Violated,
                                &unevaluable(&m),
                            ));
                            continue;
                        }
                    }
                    if check.for_each {
                        let subjects: BTreeSet<&str> = state
                            .persons
                            .keys()
                            .chain(state.property.keys())
                            .chain(state.freezes.keys())
                            .map(String::as_str)
                            .collect();
                        for s in subjects {
                            let Some(facts) = SubjectFacts::new(state, s, e.at) else {
                                continue;
                            };
                            let inner = b.with_subject(facts);
                            match holds(check.applies.as_ref(), &inner) {
                                Ok(true) => {}
                                Ok(false) => continue,
                                Err(m) => {
                                    self.findings.push(self.check_finding(
                                        rule,
                                        e,
                                        Some(Arc::from(s)),
                                        State::Violated,
                                        &unevaluable(&m),
                                    ));
                                    continue;
                                }
                            }
                            let (st, text) = verdict(check, check.require.holds(&inner));
                            self.findings.push(self.check_finding(
                                rule,
                                e,
                                Some(Arc::from(s)),
                                st,
                                &text,
                            ));
                        }
                    } else {
                        let (st, text) = verdict(check, check.require.holds(b));
                        let subject = match rule.scope {
                            RuleScope::Subject => owned(e.subject.as_ref()),
                            RuleScope::Case => None,
                        };
                        self.findings
                            .push(self.check_finding(rule, e, subject, st, &text));
                    }
                }
            }
        }
    }

    fn check_finding(
        &self,
        rule: &Rule,
        e: &Event,
        subject: Option<Arc<str>>,
        state: State,
        text: &str,
    ) -> Finding {
        Finding {
            rule: Arc::clone(&rule.id),
            case: e.case.shared(),
            subject,
            reference: e.id.shared(),
            state,
            started: None,
            due: None,
            warn_at: None,
            stopped: None,
            explain: if self.explain {
                explain::check(rule, e, state, text)
            } else {
                String::new()
            },
            unit: owned(e.unit.as_ref()),
            officer: owned(e.officer.as_ref()),
            next_transition: None,
        }
    }

    /// Whether an event concerns an open clock: same subject, or a case-level event for all.
    fn concerns(clock: &OpenClock<'_>, e: &Event) -> bool {
        match (&clock.subject, &e.subject) {
            (None, _) => true,
            (Some(_), _) if e.event_type.subject_rule() == SubjectRule::Forbidden => true,
            (Some(a), Some(b)) => **a == *b.as_str(),
            (Some(_), None) => false,
        }
    }

    fn stops_and_extensions(
        &mut self,
        rule: &'p Rule,
        clock: &'p Clock,
        e: &Event,
        b: &EventBindings<'_>,
    ) {
        let (cal, now) = (self.cal, self.now);
        for oc in self
            .clocks
            .iter_mut()
            .filter(|c| std::ptr::eq(c.rule, rule) && c.stopped.is_none())
        {
            if !Self::concerns(oc, e) {
                continue;
            }
            let inner = b.with_start(EventFacts::new(oc.start));
            // Pauses first: an appraisal that starts is not a stop.
            for (pstart, pend) in &clock.pauses {
                if *pstart == e.event_type && oc.pauses.last().is_none_or(|p| p.1.is_some()) {
                    oc.pauses.push((e.at, None));
                } else if *pend == e.event_type
                    && let Some(p) = oc.pauses.last_mut().filter(|p| p.1.is_none())
                {
                    p.1 = Some(e.at);
                }
            }
            for x in clock
                .extends
                .iter()
                .filter(|x| x.trigger.on == e.event_type)
            {
                match holds(x.trigger.when.as_ref(), &inner) {
                    Ok(true) => {}
                    Ok(false) => continue,
                    Err(m) => {
                        oc.problem = Some(m);
                        continue;
                    }
                }
                let due = current_due(oc, cal, now);
                if due.is_some_and(|d| e.at >= d.due) {
                    oc.notes.push(format!(
                        "{}于{}，已在期满之后，不能使期限恢复",
                        e.event_type.zh(),
                        explain::zh_time(e.at)
                    ));
                    continue;
                }
                if let Some(max) = &x.max {
                    match amount(max, &inner) {
                        Ok(m) if oc.n_extensions >= m => {
                            oc.notes.push(format!(
                                "{}于{}，超过可延长次数（{m}次），不予计算",
                                e.event_type.zh(),
                                explain::zh_time(e.at)
                            ));
                            continue;
                        }
                        Ok(_) => {}
                        Err(m) => {
                            oc.problem = Some(m);
                            continue;
                        }
                    }
                }
                match amount(&x.amount, &inner) {
                    Ok(n) if n > 0 => {
                        oc.n_extensions += 1;
                        let what = match x.action {
                            ExtendAction::SetDays => {
                                oc.amount = n;
                                format!("延长至{n}日")
                            }
                            ExtendAction::AddDays => {
                                oc.amount += n;
                                format!("延长{n}日")
                            }
                            ExtendAction::AddMonths => {
                                oc.amount += n;
                                format!("延长{n}个月")
                            }
                            ExtendAction::RenewMonths => {
                                oc.added_months.push(n);
                                format!("自原期限届满日起延长{n}个月")
                            }
                        };
                        oc.notes.push(format!(
                            "{}于{}经批准{what}",
                            e.event_type.zh(),
                            explain::zh_time(e.at)
                        ));
                    }
                    Ok(n) => oc.notes.push(format!(
                        "{}的延长期限 `{n}` 无效，不予计算",
                        e.event_type.zh()
                    )),
                    Err(m) => oc.problem = Some(m),
                }
            }
            for t in clock.stops.iter().filter(|t| t.on == e.event_type) {
                match holds(t.when.as_ref(), &inner) {
                    Ok(true) => {
                        oc.stopped = Some((e.at, e.event_type.clone()));
                        break;
                    }
                    Ok(false) => {}
                    Err(m) => oc.problem = Some(m),
                }
            }
        }
    }

    fn starts(&mut self, rule: &'p Rule, clock: &'p Clock, e: &'p Event, b: &EventBindings<'_>) {
        for t in clock.starts.iter().filter(|t| t.on == e.event_type) {
            if !in_force(rule, e.at) {
                continue;
            }
            let subject = match rule.scope {
                RuleScope::Subject => owned(e.subject.as_ref()),
                RuleScope::Case => None,
            };
            let problem = match holds(t.when.as_ref(), b) {
                Ok(true) => None,
                Ok(false) => continue,
                Err(m) => Some(m),
            };
            if t.first
                && !self
                    .first_seen
                    .insert((Arc::clone(&rule.id), subject.clone()))
            {
                continue;
            }
            let inner = b.with_start(EventFacts::new(e));
            let (amount, problem) = match &clock.limit {
                LimitSpec::Period(_, a) => match amount(a, &inner) {
                    Ok(n) => (n, problem),
                    Err(m) => (0, Some(m)),
                },
                _ => (0, problem),
            };
            self.clocks.push(OpenClock {
                rule,
                clock,
                subject,
                start: e,
                amount,
                added_months: Vec::new(),
                n_extensions: 0,
                notes: Vec::new(),
                pauses: Vec::new(),
                stopped: None,
                problem,
            });
            break;
        }
    }

    fn finish(mut self) -> Vec<Finding> {
        let dues: Vec<Option<Due>> = self
            .clocks
            .iter()
            .map(|c| current_due(c, self.cal, self.now))
            .collect();
        for (i, oc) in self.clocks.iter().enumerate() {
            let due = match &oc.clock.limit {
                LimitSpec::BeforeRule(other, offset) => self
                    .clocks
                    .iter()
                    .zip(&dues)
                    .find(|(c, _)| {
                        *c.rule.id == **other
                            && c.start.id == oc.start.id
                            && c.subject == oc.subject
                    })
                    .and_then(|(_, d)| d.clone())
                    .map(|d| Due {
                        due: d.due - *offset,
                        last_day: None,
                        shifted_from: None,
                        uncovered_years: d.uncovered_years,
                    }),
                _ => dues.get(i).cloned().flatten(),
            };
            let Some(due) = due else { continue };
            let t0 = oc.start.at;
            let warn = match oc.clock.warning {
                Warning::Fraction(f) => warning_at(t0, due.due, f),
                Warning::Before(d) => (due.due - d).max(t0),
            };
            let paused = oc.pauses.last().is_some_and(|p| p.1.is_none());
            let state = match oc.stopped {
                Some((at, _)) if at < due.due => State::Met,
                Some(_) => State::Late,
                None if paused => State::Running,
                None if self.now >= due.due => State::Overdue,
                None if self.now >= warn => State::Warning,
                None => State::Running,
            };
            let next_transition = match state {
                State::Running if paused => None,
                State::Running => Some(warn),
                State::Warning => Some(due.due),
                _ => None,
            };
            let explain = if self.explain {
                let mut notes = oc.notes.clone();
                let paused_days: i64 = oc
                    .pauses
                    .iter()
                    .filter_map(|(a, b)| b.map(|b| pause_days(*a, b)))
                    .sum();
                if paused_days > 0
                    && matches!(oc.clock.limit, LimitSpec::Period(u, _) if u != Unit::Hours)
                {
                    notes.push(format!("鉴定等期间中止计算{paused_days}日，期限相应顺延"));
                }
                explain::clock(
                    self.pack,
                    oc.rule,
                    oc.clock,
                    oc.start,
                    oc.amount,
                    &due,
                    state,
                    oc.stopped.as_ref(),
                    &notes,
                    paused,
                    oc.problem.as_deref(),
                )
            } else {
                String::new()
            };
            self.findings.push(Finding {
                rule: Arc::clone(&oc.rule.id),
                case: oc.start.case.shared(),
                subject: oc.subject.clone(),
                reference: oc.start.id.shared(),
                state,
                started: Some(t0),
                due: Some(due.due),
                warn_at: Some(warn),
                stopped: oc.stopped.as_ref().map(|s| s.0),
                explain,
                unit: owned(oc.start.unit.as_ref()),
                officer: owned(oc.start.officer.as_ref()),
                next_transition,
            });
        }
        if !self.explain {
            return self.findings;
        }
        self.findings.sort_by(|a, b| {
            (&a.subject, &a.rule, a.started, &a.reference).cmp(&(
                &b.subject,
                &b.rule,
                b.started,
                &b.reference,
            ))
        });
        self.findings
    }
}

fn amount(a: &Amount, b: &impl Bindings) -> Result<i64, String> {
    match a {
        Amount::Fixed(n) => Ok(*n),
        Amount::Expr(e) => e.amount(b),
    }
}

/// The due of a clock with what is known so far: extensions applied, closed pauses counted.
fn current_due(oc: &OpenClock<'_>, cal: &Calendar, _now: Timestamp) -> Option<Due> {
    let t0 = oc.start.at;
    match &oc.clock.limit {
        LimitSpec::Period(unit, _) => {
            let paused: i64 = oc
                .pauses
                .iter()
                .filter_map(|(a, b)| b.map(|b| pause_days(*a, b)))
                .sum();
            let limit = match unit {
                Unit::Hours => Limit::Hours(oc.amount),
                Unit::Days => Limit::Days(oc.amount),
                Unit::Months => Limit::Months(oc.amount),
                Unit::WorkingDays => Limit::WorkingDays(oc.amount),
            };
            let paused = if *unit == Unit::Hours { 0 } else { paused };
            if *unit == Unit::Months && !oc.added_months.is_empty() {
                // Each extension runs from the last day of the period before it (month-end rule
                // included); pauses and the holiday shift apply once, to the final last day.
                let fixed = |from: Timestamp, n: i64| {
                    compute_due(from, Limit::Months(n), CalendarMode::Fixed, 0, cal).last_day
                };
                let mut last = fixed(t0, oc.amount)?;
                for m in &oc.added_months {
                    last = fixed(start_of_day(last), *m)?;
                }
                let mut due = compute_due(
                    start_of_day(last),
                    Limit::Days(paused),
                    oc.clock.calendar,
                    0,
                    cal,
                );
                let base = compute_due(t0, Limit::Months(oc.amount), oc.clock.calendar, 0, cal);
                due.uncovered_years.extend(base.uncovered_years);
                due.uncovered_years.sort_unstable();
                due.uncovered_years.dedup();
                return Some(due);
            }
            Some(compute_due(t0, limit, oc.clock.calendar, paused, cal))
        }
        LimitSpec::At(field) => {
            let due = oc
                .start
                .data_str(field)
                .and_then(|s| casewatch_core::time::parse_instant(s).ok())?;
            Some(Due {
                due,
                last_day: None,
                shifted_from: None,
                uncovered_years: Vec::new(),
            })
        }
        // Resolved in `finish`, once every clock's own due is known.
        LimitSpec::BeforeRule(..) => Some(Due {
            due: t0 + SignedDuration::from_hours(24 * 365 * 100),
            last_day: None,
            shifted_from: None,
            uncovered_years: Vec::new(),
        }),
    }
}
