//! The native evaluation against the interpreter: every expression of the standard pack, and a
//! table of corners of the subset, on generated cases. They must agree on every input: the same
//! value, or the interpreter fails where the native form is undecided. The evaluator's entry
//! points ([`Expr::holds`], [`Expr::amount`]) must give exactly what the interpreter gives, error
//! messages included.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use cel::common::ast::{EntryExpr, Expr as Ast, IdedExpr, LiteralValue};
use cel::{Env, Value};
use proptest::prelude::*;

use crate::expr::{Bindings, EventBindings, Expr, Scope};
use crate::facts::world::{Vocab, World, run_worlds};
use crate::facts::{CaseFacts, EventFacts, Facts, SubjectFacts};
use crate::pack::{Amount, LimitSpec, Pack, RuleBody};

/// An expression under test.
struct Case<'e> {
    /// Where it comes from, for messages.
    place: String,
    expr: &'e Expr,
    /// An amount (integer) rather than a condition.
    int: bool,
}

/// What an expression gave over all generated cases, to show the cases reach its branches.
#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    truths: usize,
    falsities: usize,
    others: usize,
    errors: usize,
}

fn standard_pack() -> Pack {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules/standard");
    Pack::load(&dir).unwrap_or_else(|e| panic!("{e}"))
}

/// Every expression of `pack`.
fn expressions<'p>(pack: &'p Pack) -> Vec<Case<'p>> {
    let mut out = Vec::new();
    for rule in &pack.rules {
        let mut add = |what: &str, expr: &'p Expr, int: bool| {
            out.push(Case {
                place: format!("{} {what}", rule.id),
                expr,
                int,
            });
        };
        match &rule.body {
            RuleBody::Clock(c) => {
                for t in c.starts.iter().chain(&c.stops) {
                    if let Some(w) = &t.when {
                        add("when", w, false);
                    }
                }
                if let LimitSpec::Period(_, Amount::Expr(e)) = &c.limit {
                    add("limit", e, true);
                }
                for x in &c.extends {
                    if let Some(w) = &x.trigger.when {
                        add("extend.when", w, false);
                    }
                    if let Amount::Expr(e) = &x.amount {
                        add("extend", e, true);
                    }
                    if let Some(Amount::Expr(e)) = &x.max {
                        add("extend.max", e, true);
                    }
                }
            }
            RuleBody::Check(c) => {
                for t in &c.triggers {
                    if let Some(w) = &t.when {
                        add("when", w, false);
                    }
                }
                add("require", &c.require, false);
                if let Some(a) = &c.applies {
                    add("applies", a, false);
                }
            }
        }
    }
    out
}

/// The keys, strings and integers the expressions mention, so that generated facts meet them.
fn vocab_of(cases: &[Case<'_>]) -> Vocab {
    fn walk(
        e: &IdedExpr,
        keys: &mut BTreeSet<String>,
        strs: &mut BTreeSet<String>,
        ints: &mut BTreeSet<i64>,
    ) {
        match &e.expr {
            Ast::Literal(LiteralValue::String(s)) => {
                strs.insert(s.inner().to_owned());
            }
            Ast::Literal(LiteralValue::Int(i)) => {
                let i = *i.inner();
                ints.extend([i - 1, i, i + 1]);
            }
            Ast::Literal(_) | Ast::Ident(_) | Ast::Unspecified => {}
            Ast::Select(s) => {
                keys.insert(s.field.clone());
                walk(&s.operand, keys, strs, ints);
            }
            Ast::Call(c) => {
                c.target.iter().for_each(|t| walk(t, keys, strs, ints));
                c.args.iter().for_each(|a| walk(a, keys, strs, ints));
            }
            Ast::List(l) => l.elements.iter().for_each(|x| walk(x, keys, strs, ints)),
            Ast::Comprehension(c) => {
                for x in [
                    &c.iter_range,
                    &c.accu_init,
                    &c.loop_cond,
                    &c.loop_step,
                    &c.result,
                ] {
                    walk(x, keys, strs, ints);
                }
            }
            Ast::Map(m) => m.entries.iter().for_each(|en| {
                if let EntryExpr::MapEntry(me) = &en.expr {
                    walk(&me.key, keys, strs, ints);
                    walk(&me.value, keys, strs, ints);
                }
            }),
            Ast::Struct(_) => {}
        }
    }
    let (mut keys, mut strs, mut ints) = (BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
    for c in cases {
        walk(c.expr.ast(), &mut keys, &mut strs, &mut ints);
    }
    keys.insert("x".into());
    strs.extend(["".into(), "x".into(), "示例".into()]);
    ints.extend([0, 1]);
    Vocab {
        keys: keys.into_iter().collect(),
        strings: strs.into_iter().collect(),
        ints: ints.into_iter().collect(),
    }
}

/// One expression on one set of bindings.
fn agree<B: Bindings>(case: &Case<'_>, b: &B, tally: &mut Tally) -> Result<(), TestCaseError> {
    let interpreted = case.expr.execute(b.context());
    match &interpreted {
        Ok(Value::Bool(true)) => tally.truths += 1,
        Ok(Value::Bool(false)) => tally.falsities += 1,
        Ok(_) => tally.others += 1,
        Err(_) => tally.errors += 1,
    }
    if let Some(native) = case.expr.native() {
        match (native.eval(b.facts()), &interpreted) {
            (Ok(fact), Ok(value)) => {
                let got = fact.to_cel();
                prop_assert!(
                    got == *value && got.type_of().to_string() == value.type_of().to_string(),
                    "{}: `{}` natively {got:?}, interpreted {value:?}",
                    case.place,
                    case.expr.source
                );
            }
            (Err(_), Err(_)) => {}
            (native, interpreted) => prop_assert!(
                false,
                "{}: `{}` natively {native:?}, interpreted {interpreted:?}",
                case.place,
                case.expr.source
            ),
        }
    }
    // The evaluator's entry points answer exactly as the interpreter alone would.
    if case.int {
        let (got, want) = (case.expr.amount(b), case.expr.eval_int(b.context()));
        prop_assert!(same_answer(&got, &want), "{got:?} != {want:?}");
    } else {
        let (got, want) = (case.expr.holds(b), case.expr.eval_bool(b.context()));
        prop_assert!(same_answer(&got, &want), "{got:?} != {want:?}");
    }
    Ok(())
}

/// The same value, or the same error message. A message that shows a CEL map lists its entries
/// in hash order, which differs from one run of the interpreter to the next: such messages are
/// the same when they are permutations of each other.
fn same_answer<T: PartialEq>(a: &Result<T, String>, b: &Result<T, String>) -> bool {
    match (a, b) {
        (Ok(x), Ok(y)) => x == y,
        (Err(x), Err(y)) => {
            let sorted = |s: &str| {
                let mut c: Vec<char> = s.chars().collect();
                c.sort_unstable();
                c
            };
            x == y || (x.contains("Map {") && sorted(x) == sorted(y))
        }
        _ => false,
    }
}

/// One case on one generated world, bound the ways the evaluator binds: at the event, with a
/// clock's start, or with another subject in an inner scope.
fn agree_on(
    env: &Arc<Env>,
    case: &Case<'_>,
    w: &World,
    tally: &mut Tally,
) -> Result<(), TestCaseError> {
    let event = w.event();
    let start = w.start_event();
    let ledger = w.ledger();
    let subject = SubjectFacts::new(&ledger, &w.subject, event.at);
    let inner_subject = subject.filter(|_| w.subject_inner && start.is_none());
    let facts = Facts {
        event: Some(EventFacts::new(&event)),
        start: None,
        case: Some(CaseFacts::new(&ledger, w.has_complainant)),
        subject: if inner_subject.is_some() {
            None
        } else {
            subject
        },
    };
    let outer = EventBindings::new(env, facts);
    match (&start, inner_subject) {
        (Some(s), _) => agree(case, &outer.with_start(EventFacts::new(s)), tally),
        (None, Some(sub)) => agree(case, &outer.with_subject(sub), tally),
        (None, None) => agree(case, &outer, tally),
    }
}

/// Runs every case on generated worlds, each over its own vocabulary so that its comparisons
/// hit, and returns what each gave.
fn differential(env: &Arc<Env>, cases: &[Case<'_>], worlds: u32) -> Vec<Tally> {
    cases
        .iter()
        .map(|case| {
            let tally = RefCell::new(Tally::default());
            run_worlds(&vocab_of(std::slice::from_ref(case)), worlds, |w| {
                agree_on(env, case, &w, &mut tally.borrow_mut())
            });
            tally.into_inner()
        })
        .collect()
}

#[test]
fn every_expression_of_the_standard_pack_is_native() {
    let pack = standard_pack();
    let cases = expressions(&pack);
    assert!(cases.len() >= 50, "{} expressions", cases.len());
    let interpreted: Vec<String> = cases
        .iter()
        .filter(|c| !c.expr.is_native())
        .map(|c| format!("{}: `{}`", c.place, c.expr.source))
        .collect();
    assert!(interpreted.is_empty(), "{}", interpreted.join("\n"));
}

#[test]
fn the_standard_pack_agrees_with_the_interpreter() {
    let pack = standard_pack();
    let cases = expressions(&pack);
    let tallies = differential(&pack.env, &cases, 1000);
    // The generated cases must reach both answers of every condition and a value of every
    // amount, or the agreement above would prove little.
    for (case, t) in cases.iter().zip(&tallies) {
        let reached = if case.int {
            t.others > 0
        } else {
            t.truths > 0 && t.falsities > 0
        };
        assert!(
            reached,
            "{}: `{}` reached only {t:?}",
            case.place, case.expr.source
        );
    }
}

/// Corners of the subset beyond what the standard pack uses.
const NATIVE: &[&str] = &[
    // comparisons across types: `==` is false, ordering fails
    "event.data.kind == 1",
    "event.data.kind != null",
    "event.data.x == null",
    "event.data.days > 3",
    "event.data.days >= 2.5",
    "event.data.days == 3.0",
    "event.data.kind < \"m\"",
    "event.data.flag < true",
    "event.data.list == event.data.obj",
    "event.data.obj == event.data.obj2",
    "event.data.list == event.data.officers",
    // selection and presence below data
    "event.data.obj.kind == \"seize\"",
    "has(event.data.obj.kind)",
    "has(event.data.list.kind)",
    "has(event.data.kind.x)",
    "has(event.data)",
    // in, size
    "event.data.kind in event.data.obj",
    "event.data.days in event.data.obj",
    "event.data.obj in event.data.list",
    "event.data.kind in event.data.list",
    "event.data.kind in event.data.kind",
    "event.data.days in [1, 2.5, \"x\", null, true]",
    "size(event.data.kind) == 2",
    "size(event.data.obj) > 0",
    "size(event.data.days) > 0",
    // macros, with errors inside, shadowing, nesting
    "event.data.list.exists(x, x == \"x\")",
    "event.data.list.all(x, x > 1)",
    "event.data.obj.exists(k, k == \"kind\")",
    "event.data.list.exists(x, x.kind == \"seize\")",
    "event.data.list.all(x, has(x.kind))",
    "event.data.list.exists(event, event == 1)",
    "event.data.list.all(a, event.data.list.exists(b, a == b))",
    "event.data.kind.exists(x, true)",
    // connectives with errors on either side
    "!event.data.flag",
    "event.data.flag || event.data.kind == \"x\"",
    "event.data.kind == \"x\" && event.data.flag",
    "event.data.days > 1 || event.data.flag",
    "event.data.days > 1 && event.data.flag",
    "(has(event.data.obj) ? event.data.obj : event.data).kind == \"x\"",
    // the engine's own variables
    "subject.age >= 18 || subject.minor",
    "subject.state == \"ended\" && subject.kind == \"freeze\"",
    "has(subject.role) || has(subject.state)",
    "subject.measures_ever.exists(m, m == \"arrest\")",
    "\"arrest\" in subject.measures_ever",
    "size(subject.measures_ever) >= 1",
    "case.accepted_date < event.date",
    "start.date <= event.date && start.at < event.at",
    "case.n_persons > case.n_recordings",
    "event.subject == subject.id",
];

/// Amounts among the corners.
const NATIVE_AMOUNTS: &[&str] = &[
    "event.data.flag ? event.data.days : 0",
    "has(start.data.months) ? start.data.months : 6",
    "size(event.data.list)",
];

/// Outside the subset: left whole to the interpreter.
const INTERPRETED: &[&str] = &[
    "case.n_persons + 1 > 2",
    "event.data.kind.startsWith(\"s\")",
    "event.data.list.map(x, x) == event.data.list",
    "event.data.list.exists_one(x, x == 1)",
    "int(event.data.days) > 1",
    "event.data.list[0] == 1",
    "event.data.days == 1u",
    "event.data.list == [\"x\"]",
    "event.data.kind in [event.data.x]",
    "size(event) > 0",
    "event.data.kind.size() == 1",
];

#[test]
fn the_corners_of_the_subset_agree_with_the_interpreter() {
    let env = Arc::new(Env::stdlib());
    let keys: BTreeSet<&'static str> = [
        "kind", "days", "flag", "x", "obj", "obj2", "list", "officers", "months",
    ]
    .into_iter()
    .collect();
    let scope = Scope {
        event: Some(keys.clone()),
        start: Some(keys),
        case: true,
        subject: true,
    };
    let compiled: Vec<Expr> = NATIVE
        .iter()
        .chain(NATIVE_AMOUNTS)
        .chain(INTERPRETED)
        .map(|src| Expr::compile(&env, src, &scope).unwrap_or_else(|e| panic!("`{src}`: {e:?}")))
        .collect();
    let n_native = NATIVE.len() + NATIVE_AMOUNTS.len();
    for (i, e) in compiled.iter().enumerate() {
        assert_eq!(e.is_native(), i < n_native, "`{}`", e.source);
    }
    let cases: Vec<Case<'_>> = compiled
        .iter()
        .map(|expr| Case {
            place: "table".into(),
            expr,
            int: NATIVE_AMOUNTS.contains(&expr.source.as_str()),
        })
        .collect();
    let tallies = differential(&env, &cases, 500);
    for (case, t) in cases.iter().zip(&tallies).take(n_native) {
        assert!(
            t.truths + t.falsities + t.others > 0,
            "`{}` never gave a value: {t:?}",
            case.expr.source
        );
    }
}
