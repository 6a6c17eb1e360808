//! Evaluating the native tree over typed facts, with the interpreter's semantics.

use std::cmp::Ordering;

use super::{Field, Node, Op, Outcome, Undecided};
use crate::facts::{Fact, Facts};

/// The comprehension variables in scope, innermost first.
struct Locals<'l, 's> {
    value: Fact<'s>,
    outer: Option<&'l Locals<'l, 's>>,
}

fn field<'s>(facts: &Facts<'s>, f: Field) -> Result<Option<Fact<'s>>, Undecided> {
    Ok(match f {
        Field::Event(x) => facts.event.ok_or(Undecided)?.get(x),
        Field::Start(x) => facts.start.ok_or(Undecided)?.get(x),
        Field::Case(x) => facts.case.ok_or(Undecided)?.get(x),
        Field::Subject(x) => facts.subject.ok_or(Undecided)?.get(x),
    })
}

fn truth(v: Outcome<'_>) -> Result<bool, Undecided> {
    match v? {
        Fact::Bool(b) => Ok(b),
        _ => Err(Undecided),
    }
}

/// Evaluates `node` over `facts`.
pub(super) fn evaluate<'s>(node: &'s Node, facts: &Facts<'s>) -> Outcome<'s> {
    eval(node, facts, None)
}

fn eval<'s>(node: &'s Node, facts: &Facts<'s>, locals: Option<&Locals<'_, 's>>) -> Outcome<'s> {
    match node {
        Node::Lit(l) => Ok(l.fact()),
        Node::Field(f) => field(facts, *f)?.ok_or(Undecided),
        Node::HasField(f) => Ok(Fact::Bool(field(facts, *f)?.is_some())),
        Node::Local(depth) => {
            let mut scope = locals;
            for _ in 0..*depth {
                scope = scope.and_then(|l| l.outer);
            }
            scope.map(|l| l.value.clone()).ok_or(Undecided)
        }
        Node::Select(x, key) => match eval(x, facts, locals)? {
            Fact::Map(m) => m.get(key).ok_or(Undecided),
            _ => Err(Undecided),
        },
        Node::Has(x, key) => match eval(x, facts, locals)? {
            Fact::Map(m) => Ok(Fact::Bool(m.get(key).is_some())),
            _ => Err(Undecided),
        },
        Node::Not(x) => truth(eval(x, facts, locals)).map(|b| Fact::Bool(!b)),
        Node::And(a, b) => {
            let left = truth(eval(a, facts, locals));
            if left == Ok(false) {
                return Ok(Fact::Bool(false));
            }
            match (left, truth(eval(b, facts, locals))) {
                (_, Ok(false)) => Ok(Fact::Bool(false)),
                (Ok(true), Ok(true)) => Ok(Fact::Bool(true)),
                _ => Err(Undecided),
            }
        }
        Node::Or(a, b) => {
            let left = truth(eval(a, facts, locals));
            if left == Ok(true) {
                return Ok(Fact::Bool(true));
            }
            match (left, truth(eval(b, facts, locals))) {
                (_, Ok(true)) => Ok(Fact::Bool(true)),
                (Ok(false), Ok(false)) => Ok(Fact::Bool(false)),
                _ => Err(Undecided),
            }
        }
        Node::Cond(c, a, b) => {
            if truth(eval(c, facts, locals))? {
                eval(a, facts, locals)
            } else {
                eval(b, facts, locals)
            }
        }
        Node::Compare(op, a, b) => {
            let a = eval(a, facts, locals)?;
            let b = eval(b, facts, locals)?;
            let holds = match op {
                Op::Eq => equal(&a, &b),
                Op::Ne => !equal(&a, &b),
                Op::Lt => compare(&a, &b)? == Ordering::Less,
                Op::Le => compare(&a, &b)? != Ordering::Greater,
                Op::Gt => compare(&a, &b)? == Ordering::Greater,
                Op::Ge => compare(&a, &b)? != Ordering::Less,
            };
            Ok(Fact::Bool(holds))
        }
        Node::InList(x, items) => {
            let x = eval(x, facts, locals)?;
            Ok(Fact::Bool(items.iter().any(|i| equal(&i.fact(), &x))))
        }
        Node::In(x, container) => {
            let x = eval(x, facts, locals)?;
            match eval(container, facts, locals)? {
                Fact::List(l) => Ok(Fact::Bool(l.iter().any(|i| equal(&i, &x)))),
                // Objects have string keys: other keys of the kinds a map may be looked up with
                // are simply not there; anything else cannot be looked up.
                Fact::Map(m) => match &x {
                    Fact::Str(k) => Ok(Fact::Bool(m.get(k).is_some())),
                    Fact::Int(_) | Fact::Float(_) | Fact::Bool(_) => Ok(Fact::Bool(false)),
                    Fact::Null | Fact::List(_) | Fact::Map(_) => Err(Undecided),
                },
                _ => Err(Undecided),
            }
        }
        Node::Size(x) => {
            let n = match eval(x, facts, locals)? {
                Fact::Str(s) => s.chars().count(),
                Fact::List(l) => l.len(),
                Fact::Map(m) => m.len(),
                _ => return Err(Undecided),
            };
            Ok(Fact::Int(i64::try_from(n).unwrap_or(i64::MAX)))
        }
        Node::Quantifier { all, range, body } => match eval(range, facts, locals)? {
            Fact::List(l) => quantify(*all, l.iter(), body, facts, locals),
            Fact::Map(m) => quantify(
                *all,
                m.iter().map(|(k, _)| Fact::Str(k.into())),
                body,
                facts,
                locals,
            ),
            _ => Err(Undecided),
        },
    }
}

/// `exists` (or, with `all`, `all`) over `items`: the first element that decides (true for
/// exists, false for all) wins over any error beside it; otherwise an error wins over the neutral
/// answer.
fn quantify<'s>(
    all: bool,
    items: impl Iterator<Item = Fact<'s>>,
    body: &'s Node,
    facts: &Facts<'s>,
    locals: Option<&Locals<'_, 's>>,
) -> Outcome<'s> {
    let decisive = !all;
    let mut failed = false;
    for value in items {
        let scope = Locals {
            value,
            outer: locals,
        };
        match truth(eval(body, facts, Some(&scope))) {
            Ok(b) if b == decisive => return Ok(Fact::Bool(decisive)),
            Ok(_) => {}
            Err(Undecided) => failed = true,
        }
    }
    if failed {
        Err(Undecided)
    } else {
        Ok(Fact::Bool(!decisive))
    }
}

/// CEL equality: never fails; values of different types are unequal, except that ints and
/// doubles compare as numbers.
fn equal(a: &Fact<'_>, b: &Fact<'_>) -> bool {
    match (a, b) {
        (Fact::Null, Fact::Null) => true,
        (Fact::Bool(x), Fact::Bool(y)) => x == y,
        (Fact::Str(x), Fact::Str(y)) => x == y,
        (Fact::Int(_) | Fact::Float(_), Fact::Int(_) | Fact::Float(_)) => {
            compare(a, b) == Ok(Ordering::Equal)
        }
        (Fact::List(x), Fact::List(y)) => {
            x.len() == y.len() && x.iter().zip(y.iter()).all(|(p, q)| equal(&p, &q))
        }
        (Fact::Map(x), Fact::Map(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| equal(&v, &w)))
        }
        _ => false,
    }
}

/// CEL ordering: int and double with each other, string with string, bool with bool; anything
/// else (and NaN) fails.
fn compare(a: &Fact<'_>, b: &Fact<'_>) -> Result<Ordering, Undecided> {
    // CEL compares an int with a double as f64, rounding the int.
    let as_f64 = |i: i64| i as f64;
    match (a, b) {
        (Fact::Int(x), Fact::Int(y)) => Ok(x.cmp(y)),
        (Fact::Int(x), Fact::Float(y)) => as_f64(*x).partial_cmp(y).ok_or(Undecided),
        (Fact::Float(x), Fact::Int(y)) => x.partial_cmp(&as_f64(*y)).ok_or(Undecided),
        (Fact::Float(x), Fact::Float(y)) => x.partial_cmp(y).ok_or(Undecided),
        (Fact::Str(x), Fact::Str(y)) => Ok(x.as_ref().cmp(y.as_ref())),
        (Fact::Bool(x), Fact::Bool(y)) => Ok(x.cmp(y)),
        _ => Err(Undecided),
    }
}
