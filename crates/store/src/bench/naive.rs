//! The naive baseline of `casewatch bench`: what deployed supervision systems do — one SQL query
//! per rule over the whole event and case tables, run as a full sweep by a cron job — written
//! honestly for the rule pack in force, on the same database.
//!
//! Each clock rule becomes one query that finds every starting event (by type, with its `when`
//! condition where it translates), looks up the first stopping event after it in the same case
//! (and subject, for subject rules), computes `due = start + limit` and returns the instances
//! still open (running or overdue at `now`) or stopped late. Each check rule becomes one query
//! returning the triggering events whose requirement does not hold (the cases missing the step).
//!
//! The translation is deliberately simpler than the engine, which makes the naive queries
//! cheaper, not dearer, than a faithful port (so the comparison does not flatter Casewatch): no
//! holiday calendar (due is `start + limit`; months count as 30.44 days, working days as 7/5
//! calendar days), no extensions, pauses or retractions, and conditions on facts that need the
//! ledger (a person's age, custody, measures) are left out. [`NaiveQuery::ignored`] lists, per
//! rule, the conditions that were left out in whole or in part.

use casewatch_engine::Pack;
use casewatch_engine::pack::{Amount, LimitSpec, Rule, RuleBody, RuleScope, Trigger, Unit};

use crate::Backend;

/// One rule's query.
#[derive(Debug, Clone)]
pub struct NaiveQuery {
    /// The rule id.
    pub rule: String,
    /// `clock` or `check`.
    pub kind: &'static str,
    /// The SQL, in the backend's dialect, with `now` written in.
    pub sql: String,
    /// Conditions (CEL source) left out in whole or in part.
    pub ignored: Vec<String>,
}

/// One query per rule of `pack`, for `backend`, evaluated at `now_us`.
pub fn plan(pack: &Pack, backend: Backend, now_us: i64) -> Vec<NaiveQuery> {
    pack.rules
        .iter()
        .map(|rule| {
            let mut cx = Cx {
                backend,
                ignored: Vec::new(),
            };
            let (kind, sql) = match &rule.body {
                RuleBody::Clock(_) => ("clock", clock_sql(&mut cx, pack, rule, now_us)),
                RuleBody::Check(_) => ("check", check_sql(&mut cx, rule)),
            };
            NaiveQuery {
                rule: rule.id.to_string(),
                kind,
                sql,
                ignored: cx.ignored,
            }
        })
        .collect()
}

const HOUR_US: i64 = 3_600_000_000;
const DAY_US: i64 = 86_400_000_000;
/// An average month (365.2425 / 12 days).
const MONTH_US: i64 = 2_629_746_000_000;

fn clock_sql(cx: &mut Cx, pack: &Pack, rule: &Rule, now_us: i64) -> String {
    let RuleBody::Clock(clock) = &rule.body else {
        return String::new();
    };
    let starts = cx.triggers("s", None, &clock.starts);
    let stops = cx.triggers("p", Some("s"), &clock.stops);
    let subject = match rule.scope {
        RuleScope::Subject => "AND p.subject = s.subject",
        RuleScope::Case => "",
    };
    let due = cx.due(pack, &clock.limit, 0);
    format!(
        "SELECT x.case_id, x.subject, x.started_us, x.due_us, x.stopped_us, \
         CASE WHEN x.stopped_us IS NOT NULL THEN 'late' WHEN x.due_us <= {now_us} THEN 'overdue' ELSE 'running' END AS state \
         FROM (SELECT s.case_id, s.subject, s.at_us AS started_us, {due} AS due_us, \
         (SELECT MIN(p.at_us) FROM events p WHERE p.case_id = s.case_id {subject} AND p.at_us >= s.at_us AND {stops}) AS stopped_us \
         FROM events s WHERE {starts}) x \
         WHERE x.stopped_us IS NULL OR x.stopped_us > x.due_us"
    )
}

fn check_sql(cx: &mut Cx, rule: &Rule) -> String {
    let RuleBody::Check(check) = &rule.body else {
        return String::new();
    };
    let triggers = cx.triggers("t", None, &check.triggers);
    let require = match &*rule.id {
        // Written by hand, as a deployment would: the ternary over subject kinds does not
        // translate. A measure or seizure of the case with no matching end before the closure.
        "closure_cleanup" => "NOT EXISTS (SELECT 1 FROM events m WHERE m.case_id = t.case_id AND m.at_us <= t.at_us \
             AND m.type IN ('detention.started', 'arrest.executed', 'bail.started', 'surveillance.started', 'property.seized', 'freeze.started') \
             AND NOT EXISTS (SELECT 1 FROM events n WHERE n.case_id = m.case_id AND n.subject = m.subject AND n.at_us >= m.at_us AND n.at_us <= t.at_us \
             AND n.type IN ('released', 'bail.ended', 'surveillance.ended', 'case.transferred', 'property.returned', 'property.disposed', 'property.transferred', 'freeze.ended')))"
            .to_owned(),
        _ => cx
            .condition(&check.require.source, "t", None)
            .unwrap_or_else(|| "1 = 1".to_owned()),
    };
    format!("SELECT t.case_id, t.subject, t.id FROM events t WHERE {triggers} AND NOT ({require})")
}

/// The translation context: the dialect, and what was left out.
struct Cx {
    backend: Backend,
    ignored: Vec<String>,
}

impl Cx {
    /// `(a.type = 'x' AND cond) OR a.type = 'y' …` for a list of triggers.
    fn triggers(&mut self, alias: &str, start: Option<&str>, triggers: &[Trigger]) -> String {
        let parts: Vec<String> = triggers
            .iter()
            .map(|t| {
                let ty = format!("{alias}.type = '{}'", t.on);
                match &t.when {
                    None => ty,
                    Some(e) => match self.condition(&e.source, alias, start) {
                        Some(c) => format!("({ty} AND {c})"),
                        None => ty,
                    },
                }
            })
            .collect();
        if parts.is_empty() {
            "1 = 0".to_owned()
        } else {
            format!("({})", parts.join(" OR "))
        }
    }

    /// A CEL condition as SQL over the event aliased `ev` (and the start event `start`), or
    /// `None` when nothing of it translates. Records what was left out.
    fn condition(&mut self, source: &str, ev: &str, start: Option<&str>) -> Option<String> {
        let Some(ast) = parse(source) else {
            self.ignored.push(source.to_owned());
            return None;
        };
        let mut tr = Tr {
            backend: self.backend,
            ev,
            start,
            partial: false,
        };
        let sql = tr.boolean(&ast);
        if sql.is_none() || tr.partial {
            self.ignored.push(source.to_owned());
        }
        sql
    }

    /// The due instant of a clock, in terms of the start event `s`.
    fn due(&mut self, pack: &Pack, limit: &LimitSpec, depth: u8) -> String {
        match limit {
            LimitSpec::Period(unit, amount) => {
                let n = match amount {
                    Amount::Fixed(n) => n.to_string(),
                    Amount::Expr(e) => {
                        let tr = parse(&e.source).and_then(|ast| {
                            Tr {
                                backend: self.backend,
                                ev: "s",
                                start: Some("s"),
                                partial: false,
                            }
                            .value(&ast, true)
                        });
                        match tr {
                            Some(v) => v,
                            None => {
                                self.ignored.push(e.source.clone());
                                largest_literal(&e.source).to_string()
                            }
                        }
                    }
                };
                let per = match unit {
                    Unit::Hours => HOUR_US.to_string(),
                    Unit::Days => DAY_US.to_string(),
                    Unit::Months => MONTH_US.to_string(),
                    Unit::WorkingDays => format!("{DAY_US} * 7 / 5"),
                };
                format!("(s.at_us + ({n}) * {per})")
            }
            LimitSpec::At(field) => self.instant("s", field),
            LimitSpec::BeforeRule(other, offset) => {
                let base = pack
                    .rule(other)
                    .and_then(|r| match &r.body {
                        RuleBody::Clock(c) if depth < 2 => {
                            Some(self.due(pack, &c.limit, depth + 1))
                        }
                        _ => None,
                    })
                    .unwrap_or_else(|| "s.at_us".to_owned());
                format!("({base} - {})", offset.as_micros())
            }
        }
    }

    /// An instant held as text in a data field of the event aliased `alias`, as µs.
    fn instant(&self, alias: &str, field: &str) -> String {
        if !is_name(field) {
            return format!("{alias}.at_us");
        }
        match self.backend {
            Backend::Sqlite => format!(
                "CAST((julianday(json_extract({alias}.body, '$.data.{field}')) - 2440587.5) * 86400000000 AS INTEGER)"
            ),
            Backend::Postgres => format!(
                "CAST(EXTRACT(EPOCH FROM CAST({alias}.body::jsonb #>> '{{data,{field}}}' AS timestamptz)) * 1000000 AS BIGINT)"
            ),
        }
    }
}

/// The largest integer literal in `source` (1 when there is none): a stand-in for a limit that
/// does not translate, erring towards later dues (fewer overdue rows, not more work).
fn largest_literal(source: &str) -> i64 {
    source
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|s| s.parse::<i64>().ok())
        .max()
        .unwrap_or(1)
}

fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

// --- A parser for the CEL subset the rule files use ------------------------------------------

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    Int(i64),
    Sym(&'static str),
}

const SYMBOLS: [&str; 17] = [
    "&&", "||", "==", "!=", "<=", ">=", "<", ">", "!", "(", ")", "[", "]", ",", "?", ":", ".",
];

fn lex(src: &str) -> Option<Vec<Tok>> {
    let mut out = Vec::new();
    let mut rest = src;
    while let Some(c) = rest.chars().next() {
        if c.is_whitespace() {
            rest = rest.get(c.len_utf8()..)?;
        } else if c == '"' {
            let body = rest.get(1..)?;
            let end = body.find('"')?;
            let text = body.get(..end)?;
            if text.contains('\\') {
                return None;
            }
            out.push(Tok::Str(text.to_owned()));
            rest = body.get(end + 1..)?;
        } else if c.is_ascii_digit() {
            let end = rest
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(rest.len());
            out.push(Tok::Int(rest.get(..end)?.parse().ok()?));
            rest = rest.get(end..)?;
        } else if c.is_ascii_alphabetic() || c == '_' {
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            out.push(Tok::Ident(rest.get(..end)?.to_owned()));
            rest = rest.get(end..)?;
        } else {
            let sym = SYMBOLS.iter().find(|s| rest.starts_with(**s))?;
            out.push(Tok::Sym(sym));
            rest = rest.get(sym.len()..)?;
        }
    }
    Some(out)
}

#[derive(Debug, Clone)]
enum Ast {
    And(Box<Ast>, Box<Ast>),
    Or(Box<Ast>, Box<Ast>),
    Not(Box<Ast>),
    Cond(Box<Ast>, Box<Ast>, Box<Ast>),
    Cmp(&'static str, Box<Ast>, Box<Ast>),
    Path(Vec<String>),
    Has(Vec<String>),
    Size(Box<Ast>),
    Str(String),
    Int(i64),
    Bool(bool),
    /// Something outside the subset (a method call, a list, `in`).
    Opaque,
}

fn parse(src: &str) -> Option<Ast> {
    let mut p = Parser {
        toks: lex(src)?,
        i: 0,
    };
    let ast = p.expr()?;
    (p.i == p.toks.len()).then_some(ast)
}

struct Parser {
    toks: Vec<Tok>,
    i: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.i)
    }

    fn eat(&mut self, sym: &str) -> bool {
        if matches!(self.peek(), Some(Tok::Sym(s)) if *s == sym) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn expr(&mut self) -> Option<Ast> {
        let c = self.or()?;
        if self.eat("?") {
            let a = self.expr()?;
            if !self.eat(":") {
                return None;
            }
            let b = self.expr()?;
            return Some(Ast::Cond(Box::new(c), Box::new(a), Box::new(b)));
        }
        Some(c)
    }

    fn or(&mut self) -> Option<Ast> {
        let mut l = self.and()?;
        while self.eat("||") {
            l = Ast::Or(Box::new(l), Box::new(self.and()?));
        }
        Some(l)
    }

    fn and(&mut self) -> Option<Ast> {
        let mut l = self.unary()?;
        while self.eat("&&") {
            l = Ast::And(Box::new(l), Box::new(self.unary()?));
        }
        Some(l)
    }

    fn unary(&mut self) -> Option<Ast> {
        if self.eat("!") {
            return Some(Ast::Not(Box::new(self.unary()?)));
        }
        self.cmp()
    }

    fn cmp(&mut self) -> Option<Ast> {
        let l = self.primary()?;
        for op in ["==", "!=", "<=", ">=", "<", ">"] {
            if self.eat(op) {
                let r = self.primary()?;
                return Some(Ast::Cmp(op, Box::new(l), Box::new(r)));
            }
        }
        if matches!(self.peek(), Some(Tok::Ident(s)) if s == "in") {
            self.i += 1;
            self.primary()?;
            return Some(Ast::Opaque);
        }
        Some(l)
    }

    /// Skips from an opening bracket to its partner.
    fn skip_group(&mut self, open: &str, close: &str) -> Option<()> {
        let mut depth = 0usize;
        loop {
            match self.peek()? {
                Tok::Sym(s) if *s == open => depth += 1,
                Tok::Sym(s) if *s == close => {
                    depth = depth.checked_sub(1)?;
                    if depth == 0 {
                        self.i += 1;
                        return Some(());
                    }
                }
                _ => {}
            }
            self.i += 1;
        }
    }

    fn path(&mut self, first: String) -> Option<Ast> {
        let mut path = vec![first];
        while self.eat(".") {
            let Some(Tok::Ident(name)) = self.peek().cloned() else {
                return None;
            };
            self.i += 1;
            if matches!(self.peek(), Some(Tok::Sym("("))) {
                self.skip_group("(", ")")?;
                return Some(Ast::Opaque);
            }
            path.push(name);
        }
        Some(Ast::Path(path))
    }

    fn primary(&mut self) -> Option<Ast> {
        match self.peek()?.clone() {
            Tok::Sym("(") => {
                self.i += 1;
                let e = self.expr()?;
                self.eat(")").then_some(e)
            }
            Tok::Sym("[") => {
                self.skip_group("[", "]")?;
                Some(Ast::Opaque)
            }
            Tok::Str(s) => {
                self.i += 1;
                Some(Ast::Str(s))
            }
            Tok::Int(n) => {
                self.i += 1;
                Some(Ast::Int(n))
            }
            Tok::Ident(name) => {
                self.i += 1;
                match name.as_str() {
                    "true" => Some(Ast::Bool(true)),
                    "false" => Some(Ast::Bool(false)),
                    "has" | "size" => {
                        if !self.eat("(") {
                            return None;
                        }
                        let inner = self.expr()?;
                        if !self.eat(")") {
                            return None;
                        }
                        if name == "size" {
                            return Some(Ast::Size(Box::new(inner)));
                        }
                        match inner {
                            Ast::Path(p) => Some(Ast::Has(p)),
                            _ => Some(Ast::Opaque),
                        }
                    }
                    _ => self.path(name),
                }
            }
            Tok::Sym(_) => None,
        }
    }
}

// --- SQL generation ----------------------------------------------------------------------------

/// Translates one expression; `partial` is set when a conjunct was left out.
struct Tr<'a> {
    backend: Backend,
    /// The alias of the event the expression is about (`event`, and `subject`/`case` by it).
    ev: &'a str,
    /// The alias of the clock's start event (`start`), in stop conditions and limits.
    start: Option<&'a str>,
    partial: bool,
}

impl Tr<'_> {
    fn boolean(&mut self, a: &Ast) -> Option<String> {
        match a {
            Ast::And(l, r) => match (self.boolean(l), self.boolean(r)) {
                (Some(l), Some(r)) => Some(format!("({l} AND {r})")),
                (Some(x), None) | (None, Some(x)) => {
                    self.partial = true;
                    Some(x)
                }
                (None, None) => None,
            },
            Ast::Or(l, r) => Some(format!("({} OR {})", self.boolean(l)?, self.boolean(r)?)),
            Ast::Not(x) => Some(format!("NOT ({})", self.boolean(x)?)),
            Ast::Cond(c, a, b) => Some(format!(
                "(CASE WHEN {} THEN {} ELSE {} END)",
                self.boolean(c)?,
                self.boolean(a)?,
                self.boolean(b)?
            )),
            Ast::Cmp(op, l, r) => self.compare(op, l, r),
            Ast::Path(p) => self.fact(p),
            Ast::Has(p) => self.has(p),
            Ast::Bool(true) => Some("1 = 1".to_owned()),
            Ast::Bool(false) => Some("1 = 0".to_owned()),
            _ => None,
        }
    }

    fn compare(&mut self, op: &str, l: &Ast, r: &Ast) -> Option<String> {
        // `subject.role == "x"`: the subject's registration says so.
        if let (Ast::Path(p), Ast::Str(s)) = (l, r)
            && p.len() == 2
            && p.first().is_some_and(|x| x == "subject")
            && p.get(1).is_some_and(|x| x == "role")
            && op == "=="
        {
            let role = self.json_text("q", "role");
            return Some(self.subject_exists(
                "person.registered",
                &format!("AND {role} = {}", quote(s)),
                false,
            ));
        }
        let numeric = matches!(l, Ast::Int(_)) || matches!(r, Ast::Int(_));
        let (l, r) = (self.value(l, numeric)?, self.value(r, numeric)?);
        let op = match op {
            "==" => "=",
            "!=" => "<>",
            other => other,
        };
        Some(format!("{l} {op} {r}"))
    }

    /// A value: a literal, an event data field, a date, a count.
    fn value(&mut self, a: &Ast, numeric: bool) -> Option<String> {
        match a {
            Ast::Str(s) => Some(quote(s)),
            Ast::Int(n) => Some(n.to_string()),
            Ast::Cond(c, x, y) => Some(format!(
                "(CASE WHEN {} THEN {} ELSE {} END)",
                self.boolean(c)?,
                self.value(x, numeric)?,
                self.value(y, numeric)?
            )),
            Ast::Size(inner) => match inner.as_ref() {
                Ast::Path(p) => {
                    let (alias, field) = self.data_field(p)?;
                    Some(self.json_len(alias, field))
                }
                _ => None,
            },
            Ast::Path(p) => {
                let parts: Vec<&str> = p.iter().map(String::as_str).collect();
                match parts.as_slice() {
                    [_, "date"] => {
                        let alias = self.alias_of(p.first()?)?;
                        Some(self.local_date(alias))
                    }
                    ["case", "kind"] => Some(format!(
                        "(SELECT c.kind FROM cases c WHERE c.case_id = {}.case_id)",
                        self.ev
                    )),
                    ["case", "n_recordings"] => Some(self.count("bodycam.recorded", false, "<=")),
                    ["subject", "interrogations"] => {
                        Some(self.count("interrogation.started", true, "<"))
                    }
                    ["subject", "age"] => Some(self.age()),
                    ["case", "accepted_date"] => {
                        let date = self.local_date("q");
                        Some(format!(
                            "(SELECT MIN({date}) FROM events q WHERE q.case_id = {}.case_id AND q.type = 'case.accepted')",
                            self.ev
                        ))
                    }
                    _ => {
                        let (alias, field) = self.data_field(p)?;
                        Some(if numeric {
                            self.json_num(alias, field)
                        } else {
                            self.json_text(alias, field)
                        })
                    }
                }
            }
            _ => None,
        }
    }

    /// A bare boolean fact.
    fn fact(&mut self, p: &[String]) -> Option<String> {
        let parts: Vec<&str> = p.iter().map(String::as_str).collect();
        match parts.as_slice() {
            ["case", "filed"] => Some(self.case_exists("case.filed", "")),
            ["case", "serious"] => {
                let serious = self.json_true("q", "serious");
                Some(self.case_exists("case.filed", &format!("AND {serious}")))
            }
            ["case", "on_scene"] => {
                let on_scene = self.json_true("q", "on_scene");
                Some(self.case_exists("report.received", &format!("AND {on_scene}")))
            }
            ["case", "has_complainant"] => {
                let role = self.json_text("q", "role");
                Some(format!(
                    "EXISTS (SELECT 1 FROM events q WHERE q.case_id = {}.case_id AND q.type = 'person.registered' AND {role} = 'complainant')",
                    self.ev
                ))
            }
            ["subject", "minor"] => Some(format!("{} < 18", self.age())),
            ["subject", "area_safety_checked"] => {
                Some(self.subject_exists("area.safety_checked", "", true))
            }
            ["subject", "area_info_collected"] => {
                Some(self.subject_exists("area.info_collected", "", true))
            }
            ["subject", "in_area"] => Some(format!(
                "{} > {}",
                self.count("area.entered", true, "<="),
                self.count("area.exited", true, "<")
            )),
            _ => {
                let (alias, field) = self.data_field(p)?;
                Some(self.json_true(alias, field))
            }
        }
    }

    fn has(&mut self, p: &[String]) -> Option<String> {
        let parts: Vec<&str> = p.iter().map(String::as_str).collect();
        match parts.as_slice() {
            ["case", "kind"] => Some(format!(
                "(SELECT c.kind FROM cases c WHERE c.case_id = {}.case_id) IS NOT NULL",
                self.ev
            )),
            ["subject", "role"] => Some(self.subject_exists("person.registered", "", false)),
            ["subject", "age"] => Some(format!("{} IS NOT NULL", self.age())),
            ["case", "accepted_date"] => Some(self.case_exists("case.accepted", "")),
            _ => {
                let (alias, field) = self.data_field(p)?;
                Some(format!("{} IS NOT NULL", self.json_text(alias, field)))
            }
        }
    }

    /// `event.data.f` / `start.data.f`: the alias and the field.
    fn data_field<'s>(&self, p: &'s [String]) -> Option<(&str, &'s str)> {
        match p {
            [root, data, field] if data == "data" && is_name(field) => {
                Some((self.alias_of(root)?, field.as_str()))
            }
            _ => None,
        }
    }

    fn alias_of(&self, root: &str) -> Option<&str> {
        match root {
            "event" => Some(self.ev),
            "start" => self.start,
            _ => None,
        }
    }

    fn case_exists(&self, ty: &str, extra: &str) -> String {
        format!(
            "EXISTS (SELECT 1 FROM events q WHERE q.case_id = {ev}.case_id AND q.type = '{ty}' AND q.at_us <= {ev}.at_us {extra})",
            ev = self.ev
        )
    }

    fn subject_exists(&self, ty: &str, extra: &str, before: bool) -> String {
        let when = if before {
            format!("AND q.at_us <= {}.at_us", self.ev)
        } else {
            String::new()
        };
        format!(
            "EXISTS (SELECT 1 FROM events q WHERE q.case_id = {ev}.case_id AND q.subject = {ev}.subject AND q.type = '{ty}' {when} {extra})",
            ev = self.ev
        )
    }

    fn count(&self, ty: &str, subject: bool, cmp: &str) -> String {
        let subject = if subject {
            format!("AND q.subject = {}.subject", self.ev)
        } else {
            String::new()
        };
        format!(
            "(SELECT COUNT(*) FROM events q WHERE q.case_id = {ev}.case_id {subject} AND q.type = '{ty}' AND q.at_us {cmp} {ev}.at_us)",
            ev = self.ev
        )
    }

    /// The subject's age in whole years on the event's date in +08:00, from its registration's
    /// birth date.
    fn age(&self) -> String {
        let ev = self.ev;
        let years = match self.backend {
            Backend::Sqlite => format!(
                "CAST((julianday(date({ev}.at_us / 1000000 + 28800, 'unixepoch')) - julianday(json_extract(q.body, '$.data.birth_date'))) / 365.25 AS INTEGER)"
            ),
            Backend::Postgres => format!(
                "CAST(EXTRACT(YEAR FROM age(CAST(to_timestamp({ev}.at_us / 1000000.0) AT TIME ZONE 'Asia/Shanghai' AS date), \
                 CAST(q.body::jsonb #>> '{{data,birth_date}}' AS date))) AS BIGINT)"
            ),
        };
        format!(
            "(SELECT {years} FROM events q WHERE q.case_id = {ev}.case_id AND q.subject = {ev}.subject AND q.type = 'person.registered' LIMIT 1)"
        )
    }

    fn json_text(&self, alias: &str, field: &str) -> String {
        match self.backend {
            Backend::Sqlite => format!("json_extract({alias}.body, '$.data.{field}')"),
            Backend::Postgres => format!("({alias}.body::jsonb #>> '{{data,{field}}}')"),
        }
    }

    fn json_num(&self, alias: &str, field: &str) -> String {
        match self.backend {
            Backend::Sqlite => self.json_text(alias, field),
            Backend::Postgres => format!("CAST({} AS BIGINT)", self.json_text(alias, field)),
        }
    }

    fn json_true(&self, alias: &str, field: &str) -> String {
        match self.backend {
            Backend::Sqlite => format!("{} = 1", self.json_text(alias, field)),
            Backend::Postgres => format!("{} = 'true'", self.json_text(alias, field)),
        }
    }

    fn json_len(&self, alias: &str, field: &str) -> String {
        match self.backend {
            Backend::Sqlite => {
                format!("COALESCE(json_array_length({alias}.body, '$.data.{field}'), 0)")
            }
            Backend::Postgres => format!(
                "(CASE WHEN jsonb_typeof({alias}.body::jsonb #> '{{data,{field}}}') = 'array' \
                 THEN jsonb_array_length({alias}.body::jsonb #> '{{data,{field}}}') ELSE 0 END)"
            ),
        }
    }

    /// The calendar date in +08:00 of the event aliased `alias`, as `YYYY-MM-DD`.
    fn local_date(&self, alias: &str) -> String {
        match self.backend {
            Backend::Sqlite => format!("date({alias}.at_us / 1000000 + 28800, 'unixepoch')"),
            Backend::Postgres => format!(
                "to_char(to_timestamp({alias}.at_us / 1000000.0) AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD')"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_of_the_standard_pack_gets_a_query() {
        let pack = Pack::standard().unwrap();
        let plan = plan(&pack, Backend::Sqlite, 0);
        assert_eq!(plan.len(), pack.rules.len());
        assert!(plan.iter().all(|q| q.sql.starts_with("SELECT")));
    }

    #[test]
    fn simple_conditions_translate_and_the_rest_is_reported() {
        let mut cx = Cx {
            backend: Backend::Sqlite,
            ignored: Vec::new(),
        };
        let sql = cx
            .condition(r#"event.data.measure == "detention""#, "p", None)
            .unwrap();
        assert_eq!(sql, "json_extract(p.body, '$.data.measure') = 'detention'");
        assert!(cx.ignored.is_empty());
        let sql = cx
            .condition(
                r#"has(subject.role) && subject.role == "suspect" && subject.minor"#,
                "t",
                None,
            )
            .unwrap();
        assert!(sql.contains("person.registered"), "{sql}");
        assert_eq!(cx.ignored.len(), 0, "{:?}", cx.ignored);
        let sql = cx
            .condition(
                r#"has(subject.age) && subject.age < (event.date < "2026-01-01" ? 16 : 18)"#,
                "t",
                None,
            )
            .unwrap();
        assert!(sql.contains("< (CASE WHEN"), "{sql}");
        cx.condition("subject.in_custody", "t", None);
        assert_eq!(cx.ignored, ["subject.in_custody"]);
    }
}
