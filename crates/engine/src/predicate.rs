//! Native conditions: a CEL expression that keeps to a simple subset, compiled when the pack is
//! loaded into a tree that is evaluated directly over typed [`Facts`], without building a CEL
//! context or any CEL value. A condition evaluated this way costs a fraction of a microsecond;
//! the interpreter costs one to fifty.
//!
//! The subset: literals (bool, int, double, string, null); fields of `event`, `start`, `case` and
//! `subject`, and members of JSON objects below them (`event.data.x.y`); `has()`; `==`, `!=`,
//! `<`, `<=`, `>`, `>=`; `&&`, `||`, `!`; `?:`; `in` (a list literal, or any list or object);
//! `size()`; the `exists` and `all` macros. An expression with anything else is left whole to
//! the interpreter.
//!
//! Invariant: where [`Native`] gives a value, the interpreter gives the same value on the same
//! facts; where the interpreter fails, `Native` gives [`Undecided`], and nowhere else (but for a
//! value of the wrong type, which `eval_bool` and `eval_int` also leave undecided). Callers then
//! ask the interpreter, so that an error keeps the interpreter's own message. The
//! semantics followed are those of the pinned `cel` crate: `&&` and `||` are commutative with
//! respect to errors (`error && false` is `false`), `exists` is true if any element is, `all` false
//! if any element is; `==` never fails and is false across types (ints and doubles compare as
//! numbers); ordering is defined for int/double, string and bool pairs only; selecting an absent
//! field fails, testing it with `has()` gives false. The differential tests (`predicate/tests.rs`)
//! hold this against the interpreter, on generated cases, for every expression of the standard
//! pack and for a table of corners.

use cel::common::ast::IdedExpr;

use crate::facts::{CaseField, EventField, Fact, Facts, SubjectField};

mod compile;
mod eval;

/// The native evaluation cannot give the interpreter's answer: the interpreter fails here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Undecided;

type Outcome<'s> = Result<Fact<'s>, Undecided>;

/// A compiled condition or amount.
#[derive(Debug)]
pub(crate) struct Native {
    root: Node,
}

#[derive(Debug)]
enum Node {
    Lit(Lit),
    /// A field of one of the variables.
    Field(Field),
    /// A comprehension variable, counted from the innermost.
    Local(usize),
    /// A member of a JSON object: `x.key`.
    Select(Box<Node>, Box<str>),
    /// `has(event.field)`.
    HasField(Field),
    /// `has(x.key)`.
    Has(Box<Node>, Box<str>),
    Not(Box<Node>),
    And(Box<Node>, Box<Node>),
    Or(Box<Node>, Box<Node>),
    Cond(Box<Node>, Box<Node>, Box<Node>),
    Compare(Op, Box<Node>, Box<Node>),
    /// `x in [literal, …]`.
    InList(Box<Node>, Box<[Lit]>),
    /// `x in y`, `y` a list or an object.
    In(Box<Node>, Box<Node>),
    Size(Box<Node>),
    /// `range.exists(v, body)` or, with `all`, `range.all(v, body)`.
    Quantifier {
        all: bool,
        range: Box<Node>,
        body: Box<Node>,
    },
}

#[derive(Debug)]
enum Lit {
    Null,
    Bool(bool),
    Int(i64),
    Double(f64),
    Str(Box<str>),
}

impl Lit {
    fn fact(&self) -> Fact<'_> {
        match self {
            Lit::Null => Fact::Null,
            Lit::Bool(b) => Fact::Bool(*b),
            Lit::Int(i) => Fact::Int(*i),
            Lit::Double(d) => Fact::Float(*d),
            Lit::Str(s) => Fact::Str(s.as_ref().into()),
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Field {
    Event(EventField),
    Start(EventField),
    Case(CaseField),
    Subject(SubjectField),
}

#[derive(Debug, Clone, Copy)]
enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Native {
    /// Compiles `ast` when it keeps to the subset; `None` leaves it to the interpreter.
    pub(crate) fn compile(ast: &IdedExpr) -> Option<Native> {
        let mut locals = Vec::new();
        compile::compile(ast, &mut locals).map(|root| Native { root })
    }

    /// Evaluates to a value.
    #[cfg(test)]
    pub(crate) fn eval<'s>(&'s self, facts: &Facts<'s>) -> Outcome<'s> {
        eval::evaluate(&self.root, facts)
    }

    /// Evaluates to a boolean; `Undecided` where the interpreter fails or gives no boolean.
    pub(crate) fn eval_bool(&self, facts: &Facts<'_>) -> Result<bool, Undecided> {
        match eval::evaluate(&self.root, facts)? {
            Fact::Bool(b) => Ok(b),
            _ => Err(Undecided),
        }
    }

    /// Evaluates to an integer; `Undecided` where the interpreter fails or gives no integer.
    pub(crate) fn eval_int(&self, facts: &Facts<'_>) -> Result<i64, Undecided> {
        match eval::evaluate(&self.root, facts)? {
            Fact::Int(n) => Ok(n),
            _ => Err(Undecided),
        }
    }
}

#[cfg(test)]
mod tests;
