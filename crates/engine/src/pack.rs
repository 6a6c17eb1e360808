//! Rule packs: reading a folder of TOML rule files, checking every part, and compiling it into
//! the form the evaluator runs. The format is documented in `docs/rule-pack-format.md`.

use std::collections::{BTreeMap, BTreeSet};

use std::path::{Path, PathBuf};
use std::sync::Arc;

use casewatch_core::EventType;
use casewatch_core::event_type::{FieldKind, TypeTable};
use cel::{Context, Env};
use jiff::SignedDuration;
use jiff::civil::Date;
use serde::Deserialize;
use toml::Spanned;

use crate::expr::{Expr, Scope};
use crate::facts;
use crate::time::CalendarMode;

/// One problem of a pack: which file, which rule, where, what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackProblem {
    /// The file, relative to the pack folder.
    pub file: String,
    /// The rule id, when known.
    pub rule: Option<String>,
    /// 1-based line and column in the file, when known.
    pub position: Option<(usize, usize)>,
    /// What is wrong, in Chinese.
    pub message: String,
}

impl std::fmt::Display for PackProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some((l, c)) = self.position {
            write!(f, ":{l}:{c}")?;
        }
        if let Some(r) = &self.rule {
            write!(f, " [{r}]")?;
        }
        write!(f, "：{}", self.message)
    }
}

/// A pack that failed to load, with every problem found.
#[derive(Debug, thiserror::Error)]
#[error("规则包有 {} 处问题：\n{}", .0.len(), .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
pub struct PackError(pub Vec<PackProblem>);

/// A compiled rule pack.
pub struct Pack {
    /// Name from `pack.toml`.
    pub name: String,
    /// Version from `pack.toml`.
    pub version: String,
    /// Description from `pack.toml`.
    pub description: String,
    /// The rules, sorted by id.
    pub rules: Vec<Rule>,
    /// The files the pack was built from, by path relative to the pack folder (`pack.toml`,
    /// `clocks/*.toml`, `checks/*.toml`, and the scenarios under `scenarios/`), so that a changed
    /// pack can be built from them with some replaced ([`Pack::from_files`]) and the pack's own
    /// scenarios run ([`crate::scenario::of_pack`]) without its folder. Empty for a pack made by
    /// [`Pack::compile`].
    pub files: BTreeMap<String, String>,
    /// The CEL environment every expression was compiled for.
    pub(crate) env: Arc<Env>,
    /// For each event type, the rules that react to it.
    pub(crate) by_type: TypeTable<Vec<usize>>,
}

/// Whether a rule watches a case or each of its subjects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleScope {
    /// One finding per case (and occurrence).
    Case,
    /// One finding per person or item (and occurrence).
    Subject,
}

/// One rule.
#[derive(Debug)]
pub struct Rule {
    /// Stable id (shared with every finding of the rule).
    pub id: Arc<str>,
    /// Chinese name.
    pub name: String,
    /// Legal basis.
    pub basis: String,
    /// Verification status from the catalogue.
    pub status: String,
    /// Guideline link.
    pub guideline: Option<String>,
    /// What the rule requires, in Chinese.
    pub description: Option<String>,
    /// The rule applies to starting/triggering events dated in `[from, until)`.
    pub in_force: (Option<Date>, Option<Date>),
    /// Case or subject.
    pub scope: RuleScope,
    /// The clock or check itself.
    pub body: RuleBody,
    /// The file it came from, relative to the pack.
    pub file: String,
}

/// A clock or a check.
#[derive(Debug)]
pub enum RuleBody {
    /// A deadline.
    Clock(Clock),
    /// A checkpoint.
    Check(Check),
}

/// An event type with an optional condition.
#[derive(Debug)]
pub struct Trigger {
    /// The event type.
    pub on: EventType,
    /// The condition.
    pub when: Option<Expr>,
    /// Only the first matching occurrence in the scope counts.
    pub first: bool,
}

/// An integer written as a literal or as a CEL expression.
#[derive(Debug)]
pub enum Amount {
    /// A literal.
    Fixed(i64),
    /// An expression.
    Expr(Expr),
}

/// The unit of a period limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Hours.
    Hours,
    /// Days.
    Days,
    /// Months.
    Months,
    /// Working days.
    WorkingDays,
}

/// How the limit of a clock is given.
#[derive(Debug)]
pub enum LimitSpec {
    /// A period from the start.
    Period(Unit, Amount),
    /// The instant in a data field of the start event.
    At(String),
    /// The due of another clock of the same start event, minus an offset.
    BeforeRule(String, SignedDuration),
}

/// When a clock turns to warning.
#[derive(Debug, Clone, Copy)]
pub enum Warning {
    /// At this fraction of the period.
    Fraction(f64),
    /// This long before due.
    Before(SignedDuration),
}

/// What an extension does to the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExtendAction {
    /// Sets the total in days.
    SetDays,
    /// Adds days.
    AddDays,
    /// Adds months to the total, counted from the start.
    AddMonths,
    /// Adds months counted from the last day of the current period (续冻: renewal).
    RenewMonths,
}

/// An approved extension.
#[derive(Debug)]
pub struct Extend {
    /// The event and its condition.
    pub trigger: Trigger,
    /// What it does.
    pub action: ExtendAction,
    /// By how much.
    pub amount: Amount,
    /// At most this many extensions count.
    pub max: Option<Amount>,
}

/// A clock rule.
#[derive(Debug)]
pub struct Clock {
    /// Holiday handling.
    pub calendar: CalendarMode,
    /// Warning instant.
    pub warning: Warning,
    /// What starts it.
    pub starts: Vec<Trigger>,
    /// What stops it.
    pub stops: Vec<Trigger>,
    /// Its limit.
    pub limit: LimitSpec,
    /// Extensions.
    pub extends: Vec<Extend>,
    /// Pauses: (start type, end type).
    pub pauses: Vec<(EventType, EventType)>,
}

/// A check rule.
#[derive(Debug)]
pub struct Check {
    /// What triggers it.
    pub triggers: Vec<Trigger>,
    /// What must hold.
    pub require: Expr,
    /// Explanation when it holds.
    pub passed: String,
    /// Explanation when it fails.
    pub violated: String,
    /// Evaluate for each subject of the case.
    pub for_each: bool,
    /// With `for_each`: which subjects.
    pub applies: Option<Expr>,
}

impl std::fmt::Debug for Pack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pack")
            .field("name", &self.name)
            .field("version", &self.version)
            .field("rules", &self.rules)
            .finish_non_exhaustive()
    }
}

impl Pack {
    /// The rule with this id.
    pub fn rule(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| &*r.id == id)
    }

    /// The indexes of the rules that react to events of this type.
    pub fn rules_for(&self, event_type: &EventType) -> &[usize] {
        self.by_type.get(event_type).map_or(&[], Vec::as_slice)
    }

    /// Loads and checks the pack in `dir`: reads `pack.toml`, `clocks/*.toml`, `checks/*.toml`
    /// and the scenario files under `scenarios/`, then builds the pack as [`Pack::from_files`].
    pub fn load(dir: &Path) -> Result<Pack, PackError> {
        let mut problems = Vec::new();
        let mut files = BTreeMap::new();
        let mut read = |rel: String, path: &Path, problems: &mut Vec<PackProblem>| {
            match std::fs::read_to_string(path) {
                Ok(text) => {
                    files.insert(rel, text);
                }
                Err(e) => problems.push(PackProblem {
                    file: rel,
                    rule: None,
                    position: None,
                    message: format!("无法读取 {}：{e}", path.display()),
                }),
            }
        };
        read("pack.toml".into(), &dir.join("pack.toml"), &mut problems);
        for sub in ["clocks", "checks"] {
            for p in sorted_entries(&dir.join(sub)) {
                if p.extension().is_some_and(|x| x == "toml") {
                    read(format!("{sub}/{}", file_name(&p)), &p, &mut problems);
                }
            }
        }
        let mut folders = vec![(dir.join("scenarios"), "scenarios".to_owned())];
        while let Some((folder, rel)) = folders.pop() {
            for p in sorted_entries(&folder) {
                let name = file_name(&p);
                if p.is_dir() {
                    folders.push((p.clone(), format!("{rel}/{name}")));
                } else if is_scenario_file(&name) {
                    read(format!("{rel}/{name}"), &p, &mut problems);
                }
            }
        }
        if !files.keys().any(|f| file_kind(f) == Some(FileKind::Rule)) && problems.is_empty() {
            problems.push(PackProblem {
                file: dir.display().to_string(),
                rule: None,
                position: None,
                message: "规则包中没有规则（clocks/*.toml、checks/*.toml）".into(),
            });
            return Err(PackError(problems));
        }
        Self::build(files, problems)
    }

    /// Builds and checks a pack given as files by path relative to the pack folder: `pack.toml`,
    /// `clocks/<rule id>.toml`, `checks/<rule id>.toml`, and scenario files
    /// (`scenarios/…/<name>.events.jsonl`, `<name>.expect.json`). Any other path is a problem.
    /// The checks are those of [`Pack::load`], which reads a folder into such a map and calls
    /// the same code; every problem names its file, and its rule and line:column when known.
    pub fn from_files(files: BTreeMap<String, String>) -> Result<Pack, PackError> {
        Self::build(files, Vec::new())
    }

    /// [`Pack::from_files`], with the problems met while reading the files.
    fn build(
        files: BTreeMap<String, String>,
        mut problems: Vec<PackProblem>,
    ) -> Result<Pack, PackError> {
        for path in files.keys() {
            if file_kind(path).is_none() {
                problems.push(PackProblem {
                    file: path.clone(),
                    rule: None,
                    position: None,
                    message: "不是规则包的文件：应为 pack.toml、clocks/<规则编号>.toml、checks/<规则编号>.toml，或 scenarios/ 下的 .events.jsonl、.expect.json 场景文件".into(),
                });
            }
        }
        let (name, version, description) = match files.get("pack.toml") {
            Some(text) => match toml::from_str::<PackMeta>(text) {
                Ok(m) => (m.name, m.version, m.description.unwrap_or_default()),
                Err(e) => {
                    problems.push(toml_problem("pack.toml", text, &e));
                    (String::new(), String::new(), String::new())
                }
            },
            None => {
                if !problems.iter().any(|p| p.file == "pack.toml") {
                    problems.push(PackProblem {
                        file: "pack.toml".into(),
                        rule: None,
                        position: None,
                        message: "缺少 pack.toml（规则包的名称与版本）".into(),
                    });
                }
                (String::new(), String::new(), String::new())
            }
        };
        let sources: Vec<(&str, &str)> = files
            .iter()
            .filter(|(f, _)| file_kind(f) == Some(FileKind::Rule))
            .map(|(f, t)| (f.as_str(), t.as_str()))
            .collect();
        if sources.is_empty() {
            problems.push(PackProblem {
                file: "clocks/".into(),
                rule: None,
                position: None,
                message: "规则包中没有规则（clocks/*.toml、checks/*.toml）".into(),
            });
            return Err(PackError(problems));
        }
        match Self::compile(name, version, description, &sources) {
            Ok(mut pack) if problems.is_empty() => {
                pack.files = files;
                Ok(pack)
            }
            Ok(_) => Err(PackError(problems)),
            Err(PackError(more)) => {
                problems.extend(more);
                Err(PackError(problems))
            }
        }
    }

    /// Compiles rule files given as (file name, text) pairs.
    pub fn compile(
        name: String,
        version: String,
        description: String,
        files: &[(&str, &str)],
    ) -> Result<Pack, PackError> {
        let env = Arc::new(Env::stdlib());
        let mut problems = Vec::new();
        let mut rules = Vec::new();
        for (file, text) in files {
            match toml::from_str::<RuleFile>(text) {
                Ok(rf) => {
                    let mut c = Compiler {
                        env: &env,
                        file,
                        text,
                        rule: rf.id.get_ref().clone(),
                        problems: &mut problems,
                    };
                    if let Some(rule) = c.rule(rf) {
                        rules.push(rule);
                    }
                }
                Err(e) => problems.push(toml_problem(file, text, &e)),
            }
        }
        rules.sort_by(|a, b| a.id.cmp(&b.id));
        for pair in rules.windows(2) {
            if let [a, b] = pair
                && a.id == b.id
            {
                problems.push(PackProblem {
                    file: b.file.clone(),
                    rule: Some(b.id.to_string()),
                    position: None,
                    message: format!("规则编号重复：`{}` 也在 {} 中", a.id, a.file),
                });
            }
        }
        // A relative limit must name another clock of the pack.
        for r in &rules {
            if let RuleBody::Clock(Clock {
                limit: LimitSpec::BeforeRule(other, _),
                ..
            }) = &r.body
            {
                let ok = **other != *r.id
                    && rules.iter().any(|x| *x.id == **other && matches!(&x.body, RuleBody::Clock(c) if !matches!(c.limit, LimitSpec::BeforeRule(..))));
                if !ok {
                    problems.push(PackProblem {
                        file: r.file.clone(),
                        rule: Some(r.id.to_string()),
                        position: None,
                        message: format!("limit.before_rule 指向的 `{other}` 不是本包中另一条以期限计算的计时规则"),
                    });
                }
            }
        }
        if !problems.is_empty() {
            return Err(PackError(problems));
        }
        let mut by_type: TypeTable<Vec<usize>> = TypeTable::default();
        for (i, r) in rules.iter().enumerate() {
            let mut types: Vec<&EventType> = Vec::new();
            match &r.body {
                RuleBody::Clock(c) => {
                    types.extend(c.starts.iter().chain(&c.stops).map(|t| &t.on));
                    types.extend(c.extends.iter().map(|x| &x.trigger.on));
                    types.extend(c.pauses.iter().flat_map(|(a, b)| [a, b]));
                }
                RuleBody::Check(c) => types.extend(c.triggers.iter().map(|t| &t.on)),
            }
            for t in types {
                let rules = by_type.get_mut(t);
                // A rule naming a type twice (a start and a stop, say) is listed once.
                if rules.last() != Some(&i) {
                    rules.push(i);
                }
            }
        }
        Ok(Pack {
            name,
            version,
            description,
            rules,
            files: BTreeMap::new(),
            env,
            by_type,
        })
    }

    /// The standard pack v1 (`rules/standard`), shipped in the binary with its scenarios.
    pub fn standard() -> Result<Pack, PackError> {
        Self::from_files(
            crate::standard::FILES
                .iter()
                .map(|(path, text)| ((*path).to_owned(), (*text).to_owned()))
                .collect(),
        )
    }
}

/// What a file of a pack is, by its path relative to the pack folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FileKind {
    /// `pack.toml`.
    Meta,
    /// `clocks/<id>.toml` or `checks/<id>.toml`.
    Rule,
    /// A scenario file under `scenarios/`.
    Scenario,
}

/// The kind of a pack file, `None` for a path that has no place in a pack. Paths use `/`, have
/// no empty, `.` or `..` segment, and no backslash.
fn file_kind(path: &str) -> Option<FileKind> {
    let segments: Vec<&str> = path.split('/').collect();
    if path.contains('\\')
        || segments
            .iter()
            .any(|s| s.is_empty() || *s == "." || *s == "..")
    {
        return None;
    }
    match segments.as_slice() {
        ["pack.toml"] => Some(FileKind::Meta),
        ["clocks" | "checks", name] if name.len() > ".toml".len() && name.ends_with(".toml") => {
            Some(FileKind::Rule)
        }
        ["scenarios", .., name] if segments.len() > 2 && is_scenario_file(name) => {
            Some(FileKind::Scenario)
        }
        _ => None,
    }
}

/// Whether a file name is one of a scenario's two files.
fn is_scenario_file(name: &str) -> bool {
    [".events.jsonl", ".expect.json"]
        .iter()
        .any(|ext| name.len() > ext.len() && name.ends_with(ext))
}

/// The entries of a folder, sorted; none if it cannot be read.
fn sorted_entries(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    paths
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PackMeta {
    name: String,
    version: String,
    description: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    id: Spanned<String>,
    name: String,
    kind: Spanned<String>,
    basis: String,
    status: String,
    guideline: Option<String>,
    description: Option<String>,
    in_force: Option<Spanned<InForceFile>>,
    scope: Option<Spanned<String>>,
    calendar: Option<Spanned<String>>,
    warning: Option<Spanned<f64>>,
    warning_before: Option<Spanned<SpanFile>>,
    #[serde(default)]
    start: Vec<TriggerFile>,
    #[serde(default)]
    stop: Vec<TriggerFile>,
    limit: Option<Spanned<LimitFile>>,
    #[serde(default)]
    extend: Vec<ExtendFile>,
    #[serde(default)]
    pause: Vec<PauseFile>,
    #[serde(default)]
    trigger: Vec<TriggerFile>,
    require: Option<Spanned<String>>,
    passed: Option<String>,
    violated: Option<String>,
    for_each: Option<Spanned<String>>,
    applies: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InForceFile {
    from: Option<String>,
    until: Option<String>,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(deny_unknown_fields)]
struct SpanFile {
    days: Option<i64>,
    hours: Option<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TriggerFile {
    on: Spanned<String>,
    when: Option<Spanned<String>>,
    #[serde(default)]
    first: bool,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum IntOrExpr {
    Int(i64),
    Expr(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LimitFile {
    hours: Option<Spanned<IntOrExpr>>,
    days: Option<Spanned<IntOrExpr>>,
    months: Option<Spanned<IntOrExpr>>,
    working_days: Option<Spanned<IntOrExpr>>,
    at: Option<Spanned<String>>,
    before_rule: Option<Spanned<String>>,
    offset: Option<SpanFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExtendFile {
    on: Spanned<String>,
    when: Option<Spanned<String>>,
    set_days: Option<Spanned<IntOrExpr>>,
    add_days: Option<Spanned<IntOrExpr>>,
    add_months: Option<Spanned<IntOrExpr>>,
    renew_months: Option<Spanned<IntOrExpr>>,
    max: Option<Spanned<IntOrExpr>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PauseFile {
    start: Spanned<String>,
    end: Spanned<String>,
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset.min(text.len())).unwrap_or_default();
    let line = before.matches('\n').count() + 1;
    let col = before.rfind('\n').map_or(before.chars().count(), |i| {
        before.get(i + 1..).unwrap_or_default().chars().count()
    }) + 1;
    (line, col)
}

fn toml_problem(file: &str, text: &str, e: &toml::de::Error) -> PackProblem {
    PackProblem {
        file: file.to_owned(),
        rule: None,
        position: e.span().map(|s| line_col(text, s.start)),
        message: format!("TOML 格式错误：{}", e.message()),
    }
}

/// Longest period a limit may have: anything longer is a typo (e.g. hours for days).
const MAX_HOURS: i64 = 24 * 31;
const MAX_DAYS: i64 = 3 * 366;
const MAX_MONTHS: i64 = 36;

struct Compiler<'a> {
    env: &'a Arc<Env>,
    file: &'a str,
    text: &'a str,
    rule: String,
    problems: &'a mut Vec<PackProblem>,
}

impl Compiler<'_> {
    fn err(&mut self, span: Option<std::ops::Range<usize>>, message: String) {
        self.problems.push(PackProblem {
            file: self.file.to_owned(),
            rule: Some(self.rule.clone()),
            position: span.map(|s| line_col(self.text, s.start)),
            message,
        });
    }

    fn event_type(&mut self, s: &Spanned<String>) -> Option<EventType> {
        match EventType::parse(s.get_ref()) {
            Some(EventType::Extension(_)) => {
                self.err(
                    Some(s.span()),
                    format!("扩展事件类型 `{}` 不驱动规则", s.get_ref()),
                );
                None
            }
            Some(t) => Some(t),
            None => {
                self.err(Some(s.span()), format!("未知事件类型 `{}`", s.get_ref()));
                None
            }
        }
    }

    fn data_fields(types: &[EventType]) -> BTreeSet<&'static str> {
        types
            .iter()
            .flat_map(|t| t.fields().iter().map(|f| f.name))
            .collect()
    }

    /// Compiles an expression and runs it once on the prototype, reporting problems at its place.
    fn expr(
        &mut self,
        s: &Spanned<String>,
        scope: &Scope,
        event_types: &[EventType],
        start_types: &[EventType],
        want_int: bool,
    ) -> Option<Expr> {
        let span = s.span();
        match Expr::compile(self.env, s.get_ref(), scope) {
            Ok(e) => {
                let mut ctx = Context::with_env(Arc::clone(self.env));
                if scope.event.is_some() {
                    ctx.add_variable_from_value("event", facts::prototype_event(event_types));
                }
                if scope.start.is_some() {
                    ctx.add_variable_from_value("start", facts::prototype_event(start_types));
                }
                if scope.case {
                    ctx.add_variable_from_value("case", facts::prototype_case());
                }
                if scope.subject {
                    ctx.add_variable_from_value("subject", facts::prototype_subject());
                }
                let checked = if want_int {
                    e.eval_int(&ctx).map(|_| ())
                } else {
                    e.eval_bool(&ctx).map(|_| ())
                };
                match checked {
                    Ok(()) => Some(e),
                    Err(m) => {
                        self.err(Some(span), format!("类型错误：{m}"));
                        None
                    }
                }
            }
            Err(e) => {
                // The expression sits inside quotes: its first character is one column right of the span.
                let (line, col) = line_col(self.text, span.start);
                self.problems.push(PackProblem {
                    file: self.file.to_owned(),
                    rule: Some(self.rule.clone()),
                    position: Some((line, col + e.column.unwrap_or(1))),
                    message: format!("`{}`：{}", s.get_ref(), e.message),
                });
                None
            }
        }
    }

    fn trigger(
        &mut self,
        t: &TriggerFile,
        scope_of: impl Fn(&[EventType]) -> Scope,
        start_types: &[EventType],
    ) -> Option<Trigger> {
        let on = self.event_type(&t.on)?;
        let when = match &t.when {
            Some(w) => Some(self.expr(
                w,
                &scope_of(std::slice::from_ref(&on)),
                std::slice::from_ref(&on),
                start_types,
                false,
            )?),
            None => None,
        };
        Some(Trigger {
            on,
            when,
            first: t.first,
        })
    }

    fn amount(
        &mut self,
        a: &Spanned<IntOrExpr>,
        scope: &Scope,
        event_types: &[EventType],
        start_types: &[EventType],
    ) -> Option<Amount> {
        match a.get_ref() {
            IntOrExpr::Int(n) => Some(Amount::Fixed(*n)),
            IntOrExpr::Expr(src) => {
                let s = Spanned::new(a.span(), src.clone());
                self.expr(&s, scope, event_types, start_types, true)
                    .map(Amount::Expr)
            }
        }
    }

    fn rule(&mut self, rf: RuleFile) -> Option<Rule> {
        let n_before = self.problems.len();
        let id = rf.id.get_ref().clone();
        if id.is_empty()
            || !id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            self.err(
                Some(rf.id.span()),
                format!("规则编号 `{id}` 只能由小写字母、数字和下划线组成"),
            );
        }
        let stem = Path::new(self.file)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        if stem != id {
            self.err(
                Some(rf.id.span()),
                format!("规则编号 `{id}` 与文件名 `{stem}` 不一致"),
            );
        }
        let in_force = match &rf.in_force {
            Some(sp) => {
                let f = sp.get_ref();
                let parse = |c: &mut Self, v: &Option<String>| match v {
                    None => None,
                    Some(d) => match d.parse::<Date>() {
                        Ok(d) => Some(d),
                        Err(_) => {
                            c.err(
                                Some(sp.span()),
                                format!("in_force 的日期 `{d}` 无效（YYYY-MM-DD）"),
                            );
                            None
                        }
                    },
                };
                let from = parse(self, &f.from);
                let until = parse(self, &f.until);
                if let (Some(a), Some(b)) = (from, until)
                    && a >= b
                {
                    self.err(
                        Some(sp.span()),
                        format!("in_force 的开始日期 {a} 不早于结束日期 {b}"),
                    );
                }
                (from, until)
            }
            None => (None, None),
        };
        let kind = rf.kind.get_ref().as_str();
        let body = match kind {
            "clock" => self.clock(&rf).map(RuleBody::Clock),
            "check" => self.check(&rf).map(RuleBody::Check),
            other => {
                self.err(
                    Some(rf.kind.span()),
                    format!("kind `{other}` 无效：应为 clock 或 check"),
                );
                None
            }
        };
        let subject_events = match &body {
            Some(RuleBody::Clock(c)) => c
                .starts
                .iter()
                .all(|t| t.on.subject_rule() == casewatch_core::event_type::SubjectRule::Required),
            Some(RuleBody::Check(c)) => {
                c.for_each
                    || c.triggers.iter().all(|t| {
                        t.on.subject_rule() == casewatch_core::event_type::SubjectRule::Required
                    })
            }
            None => false,
        };
        let scope = match rf.scope.as_ref().map(|s| (s.get_ref().as_str(), s.span())) {
            None => {
                if subject_events {
                    RuleScope::Subject
                } else {
                    RuleScope::Case
                }
            }
            Some(("case", _)) => RuleScope::Case,
            Some(("subject", span)) => {
                if !subject_events {
                    self.err(
                        Some(span),
                        "scope = \"subject\" 要求所有开始/触发事件都带有 subject".into(),
                    );
                }
                RuleScope::Subject
            }
            Some((other, span)) => {
                self.err(
                    Some(span),
                    format!("scope `{other}` 无效：应为 case 或 subject"),
                );
                RuleScope::Case
            }
        };
        if self.problems.len() > n_before {
            return None;
        }
        Some(Rule {
            id: id.into(),
            name: rf.name,
            basis: rf.basis,
            status: rf.status,
            guideline: rf.guideline,
            description: rf.description,
            in_force,
            scope,
            body: body?,
            file: self.file.to_owned(),
        })
    }

    fn clock(&mut self, rf: &RuleFile) -> Option<Clock> {
        for (present, field) in [
            (!rf.trigger.is_empty(), "trigger"),
            (rf.require.is_some(), "require"),
            (rf.for_each.is_some(), "for_each"),
        ] {
            if present {
                self.err(None, format!("计时规则（clock）不使用 `{field}`"));
            }
        }
        if rf.start.is_empty() {
            self.err(Some(rf.kind.span()), "计时规则缺少 [[start]]".into());
        }
        if rf.stop.is_empty() {
            self.err(Some(rf.kind.span()), "计时规则缺少 [[stop]]".into());
        }
        let event_scope = |types: &[EventType]| Scope {
            event: Some(Self::data_fields(types)),
            start: None,
            case: true,
            subject: true,
        };
        let starts: Vec<Trigger> = rf
            .start
            .iter()
            .filter_map(|t| self.trigger(t, event_scope, &[]))
            .collect();
        let start_types: Vec<EventType> = starts.iter().map(|t| t.on.clone()).collect();
        let start_fields = Self::data_fields(&start_types);
        let with_start = |types: &[EventType]| Scope {
            event: Some(Self::data_fields(types)),
            start: Some(start_fields.clone()),
            case: true,
            subject: true,
        };
        let stops: Vec<Trigger> = rf
            .stop
            .iter()
            .filter_map(|t| self.trigger(t, with_start, &start_types))
            .collect();

        let calendar = match rf
            .calendar
            .as_ref()
            .map(|c| (c.get_ref().as_str(), c.span()))
        {
            None | Some(("ordinary", _)) => CalendarMode::Ordinary,
            Some(("custody", _)) => CalendarMode::Custody,
            Some(("fixed", _)) => CalendarMode::Fixed,
            Some((other, span)) => {
                self.err(
                    Some(span),
                    format!("calendar `{other}` 无效：应为 ordinary、custody 或 fixed"),
                );
                CalendarMode::Ordinary
            }
        };
        let warning = match (&rf.warning, &rf.warning_before) {
            (Some(_), Some(b)) => {
                self.err(
                    Some(b.span()),
                    "warning 与 warning_before 只能写一个".into(),
                );
                Warning::Fraction(0.75)
            }
            (Some(w), None) => {
                let f = *w.get_ref();
                if !(f > 0.0 && f < 1.0) {
                    self.err(
                        Some(w.span()),
                        format!("warning `{f}` 应在 0 与 1 之间（期限的比例）"),
                    );
                }
                Warning::Fraction(f)
            }
            (None, Some(b)) => match self.span(b.get_ref()) {
                Some(d) if d.is_positive() => Warning::Before(d),
                _ => {
                    self.err(
                        Some(b.span()),
                        "warning_before 应为正的时长，例如 { days = 7 }".into(),
                    );
                    Warning::Fraction(0.75)
                }
            },
            (None, None) => Warning::Fraction(0.75),
        };

        let limit_scope = Scope {
            event: None,
            start: Some(start_fields.clone()),
            case: true,
            subject: false,
        };
        let limit = match &rf.limit {
            None => {
                self.err(Some(rf.kind.span()), "计时规则缺少 [limit]".into());
                None
            }
            Some(l) => self.limit(l, &limit_scope, &start_types),
        };
        if let Some(LimitSpec::Period(Unit::Hours, _)) = &limit
            && !rf.pause.is_empty()
        {
            self.err(
                None,
                "按小时计算的期限不能设置 [[pause]]（中止只适用于按日、月计算的期限）".into(),
            );
        }
        let mut extends = Vec::new();
        for x in &rf.extend {
            let ext_scope = |types: &[EventType]| Scope {
                event: Some(Self::data_fields(types)),
                start: Some(start_fields.clone()),
                case: true,
                subject: true,
            };
            let Some(trigger) = self.trigger(
                &TriggerFile {
                    on: x.on.clone(),
                    when: x.when.clone(),
                    first: false,
                },
                ext_scope,
                &start_types,
            ) else {
                continue;
            };
            let actions = [
                (&x.set_days, ExtendAction::SetDays),
                (&x.add_days, ExtendAction::AddDays),
                (&x.add_months, ExtendAction::AddMonths),
                (&x.renew_months, ExtendAction::RenewMonths),
            ];
            let given: Vec<_> = actions.iter().filter(|(a, _)| a.is_some()).collect();
            let [(Some(amount), action)] = given.as_slice() else {
                self.err(
                    Some(x.on.span()),
                    "[[extend]] 需要且只能有一个 set_days、add_days、add_months 或 renew_months"
                        .into(),
                );
                continue;
            };
            match (&limit, action) {
                (
                    Some(LimitSpec::Period(Unit::Days, _)),
                    ExtendAction::SetDays | ExtendAction::AddDays,
                )
                | (
                    Some(LimitSpec::Period(Unit::Months, _)),
                    ExtendAction::AddMonths | ExtendAction::RenewMonths,
                ) => {}
                (Some(_), _) => {
                    self.err(Some(amount.span()), "延长方式与期限单位不符：set_days/add_days 用于按日计算的期限，add_months/renew_months 用于按月计算的期限".into());
                    continue;
                }
                (None, _) => continue,
            }
            let amount_scope = Scope {
                event: Some(Self::data_fields(std::slice::from_ref(&trigger.on))),
                start: Some(start_fields.clone()),
                case: true,
                subject: false,
            };
            let Some(amount) = self.amount(
                amount,
                &amount_scope,
                std::slice::from_ref(&trigger.on),
                &start_types,
            ) else {
                continue;
            };
            let max = match &x.max {
                Some(m) => match self.amount(m, &limit_scope, &[], &start_types) {
                    Some(a) => Some(a),
                    None => continue,
                },
                None => None,
            };
            extends.push(Extend {
                trigger,
                action: *action,
                amount,
                max,
            });
        }
        let mut pauses = Vec::new();
        for p in &rf.pause {
            if let (Some(a), Some(b)) = (self.event_type(&p.start), self.event_type(&p.end)) {
                pauses.push((a, b));
            }
        }
        Some(Clock {
            calendar,
            warning,
            starts,
            stops,
            limit: limit?,
            extends,
            pauses,
        })
    }

    fn span(&mut self, s: &SpanFile) -> Option<SignedDuration> {
        let h = s
            .hours
            .unwrap_or(0)
            .checked_add(s.days.unwrap_or(0).checked_mul(24)?)?;
        Some(SignedDuration::from_hours(h))
    }

    fn limit(
        &mut self,
        l: &Spanned<LimitFile>,
        scope: &Scope,
        start_types: &[EventType],
    ) -> Option<LimitSpec> {
        let f = l.get_ref();
        let periods = [
            (&f.hours, Unit::Hours, MAX_HOURS),
            (&f.days, Unit::Days, MAX_DAYS),
            (&f.months, Unit::Months, MAX_MONTHS),
            (&f.working_days, Unit::WorkingDays, MAX_DAYS),
        ];
        let n_given = periods.iter().filter(|(a, _, _)| a.is_some()).count()
            + usize::from(f.at.is_some())
            + usize::from(f.before_rule.is_some());
        if n_given != 1 {
            self.err(
                Some(l.span()),
                "[limit] 需要且只能有一个：hours、days、months、working_days、at 或 before_rule"
                    .into(),
            );
            return None;
        }
        if let Some(at) = &f.at {
            let ok = !start_types.is_empty()
                && start_types.iter().all(|t| {
                    t.fields()
                        .iter()
                        .any(|x| x.name == at.get_ref() && x.kind == FieldKind::Instant)
                });
            if !ok {
                self.err(
                    Some(at.span()),
                    format!(
                        "limit.at：开始事件的 data 中没有时间字段 `{}`",
                        at.get_ref()
                    ),
                );
                return None;
            }
            return Some(LimitSpec::At(at.get_ref().clone()));
        }
        if let Some(rule) = &f.before_rule {
            let offset = f
                .offset
                .and_then(|o| self.span(&o))
                .unwrap_or(SignedDuration::ZERO);
            if offset.is_negative() {
                self.err(Some(rule.span()), "limit.offset 不能为负".into());
            }
            return Some(LimitSpec::BeforeRule(rule.get_ref().clone(), offset));
        }
        for (amount, unit, max) in periods {
            let Some(a) = amount else { continue };
            if let IntOrExpr::Int(n) = a.get_ref()
                && (*n <= 0 || *n > max)
            {
                self.err(
                    Some(a.span()),
                    format!("期限 `{n}` 不合理：应为 1 到 {max}"),
                );
                return None;
            }
            let amount = self.amount(a, scope, &[], start_types)?;
            return Some(LimitSpec::Period(unit, amount));
        }
        None
    }

    fn check(&mut self, rf: &RuleFile) -> Option<Check> {
        for (present, field) in [
            (!rf.start.is_empty(), "start"),
            (!rf.stop.is_empty(), "stop"),
            (rf.limit.is_some(), "limit"),
            (!rf.extend.is_empty(), "extend"),
            (!rf.pause.is_empty(), "pause"),
            (rf.calendar.is_some(), "calendar"),
        ] {
            if present {
                self.err(None, format!("检查规则（check）不使用 `{field}`"));
            }
        }
        if rf.trigger.is_empty() {
            self.err(Some(rf.kind.span()), "检查规则缺少 [[trigger]]".into());
        }
        let scope = |types: &[EventType]| Scope {
            event: Some(Self::data_fields(types)),
            start: None,
            case: true,
            subject: true,
        };
        let triggers: Vec<Trigger> = rf
            .trigger
            .iter()
            .filter_map(|t| self.trigger(t, scope, &[]))
            .collect();
        let types: Vec<EventType> = triggers.iter().map(|t| t.on.clone()).collect();
        let for_each = match rf
            .for_each
            .as_ref()
            .map(|s| (s.get_ref().as_str(), s.span()))
        {
            None => false,
            Some(("subject", _)) => true,
            Some((other, span)) => {
                self.err(
                    Some(span),
                    format!("for_each `{other}` 无效：只支持 subject"),
                );
                false
            }
        };
        let applies = match &rf.applies {
            Some(a) if for_each => Some(self.expr(a, &scope(&types), &types, &[], false)?),
            Some(a) => {
                self.err(Some(a.span()), "applies 只与 for_each 一起使用".into());
                None
            }
            None => None,
        };
        let require = match &rf.require {
            Some(r) => self.expr(r, &scope(&types), &types, &[], false),
            None => {
                self.err(Some(rf.kind.span()), "检查规则缺少 require".into());
                None
            }
        };
        let passed = rf.passed.clone().unwrap_or_else(|| "符合要求".into());
        let violated = rf.violated.clone().unwrap_or_else(|| "不符合要求".into());
        Some(Check {
            triggers,
            require: require?,
            passed,
            violated,
            for_each,
            applies,
        })
    }
}
