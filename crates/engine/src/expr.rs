//! CEL conditions and amounts: compiling, checking every reference against what the engine
//! provides, and evaluating.
//!
//! The `cel` crate has no static type checker, so a pack is checked in two steps: every variable
//! and field an expression names must be one the engine provides for that position (and, for
//! `event.data.*` and `start.data.*`, one the event types of that position carry), and the
//! expression is then run once against a prototype of those variables with a value of the right
//! type in every field, which surfaces type errors (`"a" > 3`) and results of the wrong type.
//!
//! An expression that keeps to the subset of the predicate module is also compiled natively, and
//! the evaluator asks `Expr::holds` and `Expr::amount` with `Bindings`: the native form
//! answers from the typed facts, and the interpreter, with a CEL context the bindings build on
//! first need, answers only what the native form cannot (an expression outside the subset, or an
//! error, whose message is the interpreter's).

use std::cell::OnceCell;
use std::collections::BTreeSet;
use std::sync::Arc;

use cel::common::ast::{EntryExpr, Expr as Ast, IdedExpr};
use cel::{Context, Env, Program, Value};

use crate::facts::{CaseField, EventFacts, EventField, Facts, SubjectFacts, SubjectField};
use crate::predicate::Native;

/// A compiled CEL expression with its source.
pub struct Expr {
    /// The expression as written in the rule file.
    pub source: String,
    program: Program,
    /// The native form, when the expression keeps to the predicate module's subset.
    native: Option<Native>,
}

impl std::fmt::Debug for Expr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Expr({:?})", self.source)
    }
}

/// What went wrong with an expression; `column` is 1-based within the expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExprError {
    /// 1-based column in the expression, when known.
    pub column: Option<usize>,
    /// What is wrong, in Chinese.
    pub message: String,
}

/// The fields the engine provides under each variable.
pub const EVENT_FIELDS: &[&str] = EventField::NAMES;
/// The fields of `case`.
pub const CASE_FIELDS: &[&str] = CaseField::NAMES;
/// The fields of `subject` (persons, property and freezes share one namespace; `kind` tells).
pub const SUBJECT_FIELDS: &[&str] = SubjectField::NAMES;

/// Which variables an expression may use, and which `data` fields `event` and `start` carry there.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// `event` is available; its `data` may hold these fields.
    pub event: Option<BTreeSet<&'static str>>,
    /// `start` is available; its `data` may hold these fields.
    pub start: Option<BTreeSet<&'static str>>,
    /// `case` is available.
    pub case: bool,
    /// `subject` is available.
    pub subject: bool,
}

impl Expr {
    /// Compiles `source` and checks its references against `scope`.
    pub fn compile(env: &Arc<Env>, source: &str, scope: &Scope) -> Result<Expr, ExprError> {
        let program = env.compile(source).map_err(|errs| {
            let first = errs.errors.first();
            ExprError {
                column: first.map(|e| usize::try_from(e.pos.1).unwrap_or(0) + 1),
                message: format!(
                    "CEL 语法错误：{}",
                    first
                        .map(|e| e.msg.clone())
                        .unwrap_or_else(|| errs.to_string())
                ),
            }
        })?;
        let mut bound = Vec::new();
        check_refs(program.expression(), scope, &mut bound, &program)?;
        let native = Native::compile(program.expression());
        Ok(Expr {
            source: source.to_owned(),
            program,
            native,
        })
    }

    /// Whether the expression is evaluated natively (the interpreter only reports its errors).
    pub fn is_native(&self) -> bool {
        self.native.is_some()
    }

    /// The native form, if any.
    #[cfg(test)]
    pub(crate) fn native(&self) -> Option<&Native> {
        self.native.as_ref()
    }

    /// The parsed expression.
    #[cfg(test)]
    pub(crate) fn ast(&self) -> &IdedExpr {
        self.program.expression()
    }

    /// Runs the interpreter.
    #[cfg(test)]
    pub(crate) fn execute(&self, ctx: &Context<'_, '_>) -> cel::ResolveResult {
        self.program.execute(ctx)
    }

    /// Evaluates to a boolean over `b`: natively when it can, else with the interpreter.
    pub(crate) fn holds(&self, b: &impl Bindings) -> Result<bool, String> {
        if let Some(Ok(v)) = self.native.as_ref().map(|n| n.eval_bool(b.facts())) {
            return Ok(v);
        }
        self.eval_bool(b.context())
    }

    /// Evaluates to an integer over `b`: natively when it can, else with the interpreter.
    pub(crate) fn amount(&self, b: &impl Bindings) -> Result<i64, String> {
        if let Some(Ok(v)) = self.native.as_ref().map(|n| n.eval_int(b.facts())) {
            return Ok(v);
        }
        self.eval_int(b.context())
    }

    /// Evaluates to a boolean; any error or non-boolean result is an error naming the expression.
    pub fn eval_bool(&self, ctx: &Context<'_, '_>) -> Result<bool, String> {
        match self.program.execute(ctx) {
            Ok(Value::Bool(b)) => Ok(b),
            Ok(other) => Err(format!(
                "条件 `{}` 的结果应为布尔值，得到 {other:?}",
                self.source
            )),
            Err(e) => Err(format!("条件 `{}` 求值出错：{e}", self.source)),
        }
    }

    /// Evaluates to an integer.
    pub fn eval_int(&self, ctx: &Context<'_, '_>) -> Result<i64, String> {
        match self.program.execute(ctx) {
            Ok(Value::Int(n)) => Ok(n),
            Ok(Value::UInt(n)) => i64::try_from(n).map_err(|e| e.to_string()),
            Ok(other) => Err(format!(
                "表达式 `{}` 的结果应为整数，得到 {other:?}",
                self.source
            )),
            Err(e) => Err(format!("表达式 `{}` 求值出错：{e}", self.source)),
        }
    }
}

/// The variables a condition sees: typed facts, and the CEL context for the interpreter, built
/// from them the first time it is needed.
pub(crate) trait Bindings {
    /// The typed facts.
    fn facts(&self) -> &Facts<'_>;
    /// The CEL context with the same variables.
    fn context(&self) -> &Context<'_, '_>;
}

/// The variables at one event: `event`, `case` and, when the case knows it, `subject`.
pub(crate) struct EventBindings<'a> {
    facts: Facts<'a>,
    env: &'a Arc<Env>,
    /// Built on first need, then shared by every condition on the event.
    context: OnceCell<Context<'static, 'static>>,
}

impl<'a> EventBindings<'a> {
    /// Bindings of `facts`, for expressions compiled for `env`.
    pub(crate) fn new(env: &'a Arc<Env>, facts: Facts<'a>) -> Self {
        EventBindings {
            facts,
            env,
            context: OnceCell::new(),
        }
    }

    fn cel(&self) -> &Context<'static, 'static> {
        self.context.get_or_init(|| {
            let mut ctx = Context::with_env(Arc::clone(self.env));
            let f = &self.facts;
            if let Some(x) = f.event {
                ctx.add_variable_from_value("event", x.to_cel());
            }
            if let Some(x) = f.start {
                ctx.add_variable_from_value("start", x.to_cel());
            }
            if let Some(x) = f.case {
                ctx.add_variable_from_value("case", x.to_cel());
            }
            if let Some(x) = f.subject {
                ctx.add_variable_from_value("subject", x.to_cel());
            }
            ctx
        })
    }

    /// These bindings with `start`, a clock's start event.
    pub(crate) fn with_start(&self, start: EventFacts<'a>) -> InnerBindings<'_, 'a> {
        InnerBindings {
            outer: self,
            facts: Facts {
                start: Some(start),
                ..self.facts
            },
            added: Added::Start,
            context: OnceCell::new(),
        }
    }

    /// These bindings with another `subject`.
    pub(crate) fn with_subject(&self, subject: SubjectFacts<'a>) -> InnerBindings<'_, 'a> {
        InnerBindings {
            outer: self,
            facts: Facts {
                subject: Some(subject),
                ..self.facts
            },
            added: Added::Subject,
            context: OnceCell::new(),
        }
    }
}

impl Bindings for EventBindings<'_> {
    fn facts(&self) -> &Facts<'_> {
        &self.facts
    }

    fn context(&self) -> &Context<'_, '_> {
        self.cel()
    }
}

/// The variable an inner scope adds to, or replaces in, its event's.
#[derive(Debug, Clone, Copy)]
enum Added {
    Start,
    Subject,
}

/// An event's variables with one added or replaced; its CEL context is an inner scope of the
/// event's.
pub(crate) struct InnerBindings<'o, 'a> {
    outer: &'o EventBindings<'a>,
    facts: Facts<'a>,
    added: Added,
    context: OnceCell<Context<'o, 'static>>,
}

impl Bindings for InnerBindings<'_, '_> {
    fn facts(&self) -> &Facts<'_> {
        &self.facts
    }

    fn context(&self) -> &Context<'_, '_> {
        self.context.get_or_init(|| {
            let mut ctx = self.outer.cel().new_inner_scope();
            let (name, value) = match self.added {
                Added::Start => ("start", self.facts.start.map(|x| x.to_cel())),
                Added::Subject => ("subject", self.facts.subject.map(|x| x.to_cel())),
            };
            if let Some(v) = value {
                ctx.add_variable_from_value(name, v);
            }
            ctx
        })
    }
}

fn column_of(program: &Program, id: u64) -> Option<usize> {
    program
        .source_info()
        .offset_for(id)
        .map(|(start, _)| usize::try_from(start).unwrap_or(0) + 1)
}

/// The dotted path of a select chain rooted at an identifier: `event.data.kind` → ["event", "data", "kind"].
fn path_of(e: &IdedExpr) -> Option<Vec<&str>> {
    match &e.expr {
        Ast::Ident(name) => Some(vec![name.as_str()]),
        Ast::Select(sel) => {
            let mut p = path_of(&sel.operand)?;
            p.push(sel.field.as_str());
            Some(p)
        }
        _ => None,
    }
}

fn check_path(path: &[&str], scope: &Scope, bound: &[String]) -> Result<(), String> {
    let Some((&root, rest)) = path.split_first() else {
        return Ok(());
    };
    if bound.iter().any(|b| b == root) {
        return Ok(());
    }
    let (fields, data): (&[&str], Option<&BTreeSet<&'static str>>) = match root {
        "event" => match &scope.event {
            Some(d) => (EVENT_FIELDS, Some(d)),
            None => return Err("此处不能使用 `event`".into()),
        },
        "start" => match &scope.start {
            Some(d) => (EVENT_FIELDS, Some(d)),
            None => {
                return Err(
                    "此处不能使用 `start`（只用于 stop、extend、limit 中的开始事件）".into(),
                );
            }
        },
        "case" if scope.case => (CASE_FIELDS, None),
        "subject" if scope.subject => (SUBJECT_FIELDS, None),
        "case" | "subject" => return Err(format!("此处不能使用 `{root}`")),
        other => {
            return Err(format!(
                "未知变量 `{other}`；可用变量：event、start、case、subject"
            ));
        }
    };
    let Some((&field, rest)) = rest.split_first() else {
        return Ok(());
    };
    if !fields.contains(&field) {
        return Err(format!(
            "`{root}` 没有字段 `{field}`；可用字段：{}",
            fields.join("、")
        ));
    }
    if field == "data"
        && let (Some(allowed), Some(&key)) = (data, rest.first())
        && !allowed.contains(key)
    {
        let list: Vec<&str> = allowed.iter().copied().collect();
        return Err(format!(
            "`{root}.data` 没有字段 `{key}`；这些事件类型的 data 字段：{}",
            if list.is_empty() {
                "（无）".to_owned()
            } else {
                list.join("、")
            }
        ));
    }
    Ok(())
}

fn check_refs(
    e: &IdedExpr,
    scope: &Scope,
    bound: &mut Vec<String>,
    program: &Program,
) -> Result<(), ExprError> {
    let fail = |message: String| ExprError {
        column: column_of(program, e.id),
        message,
    };
    match &e.expr {
        Ast::Ident(_) | Ast::Select(_) => {
            if let Some(path) = path_of(e) {
                return check_path(&path, scope, bound).map_err(fail);
            }
            if let Ast::Select(sel) = &e.expr {
                check_refs(&sel.operand, scope, bound, program)?;
            }
            Ok(())
        }
        Ast::Call(call) => {
            if let Some(t) = &call.target {
                check_refs(t, scope, bound, program)?;
            }
            for a in &call.args {
                check_refs(a, scope, bound, program)?;
            }
            Ok(())
        }
        Ast::Comprehension(c) => {
            check_refs(&c.iter_range, scope, bound, program)?;
            check_refs(&c.accu_init, scope, bound, program)?;
            let before = bound.len();
            bound.push(c.iter_var.clone());
            if let Some(v2) = &c.iter_var2 {
                bound.push(v2.clone());
            }
            bound.push(c.accu_var.clone());
            let r = check_refs(&c.loop_cond, scope, bound, program)
                .and_then(|()| check_refs(&c.loop_step, scope, bound, program))
                .and_then(|()| check_refs(&c.result, scope, bound, program));
            bound.truncate(before);
            r
        }
        Ast::List(l) => l
            .elements
            .iter()
            .try_for_each(|x| check_refs(x, scope, bound, program)),
        Ast::Map(m) => m.entries.iter().try_for_each(|entry| match &entry.expr {
            EntryExpr::MapEntry(me) => {
                check_refs(&me.key, scope, bound, program)?;
                check_refs(&me.value, scope, bound, program)
            }
            EntryExpr::StructField(sf) => check_refs(&sf.value, scope, bound, program),
        }),
        Ast::Struct(s) => s.entries.iter().try_for_each(|entry| match &entry.expr {
            EntryExpr::MapEntry(me) => check_refs(&me.value, scope, bound, program),
            EntryExpr::StructField(sf) => check_refs(&sf.value, scope, bound, program),
        }),
        Ast::Literal(_) | Ast::Unspecified => Ok(()),
    }
}
