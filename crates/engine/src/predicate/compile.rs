//! From the parsed CEL expression to the native tree, for the subset the module admits.

use cel::common::ast::{
    CallExpr, ComprehensionExpr, Expr as Ast, IdedExpr, LiteralValue, operators,
};

use super::{Field, Lit, Node, Op};
use crate::facts::{CaseField, EventField, SubjectField};

fn boxed(e: &IdedExpr, locals: &mut Vec<String>) -> Option<Box<Node>> {
    compile(e, locals).map(Box::new)
}

/// The field `name` of the variable `root`.
fn field_of(root: &str, name: &str) -> Option<Field> {
    match root {
        "event" => EventField::parse(name).map(Field::Event),
        "start" => EventField::parse(name).map(Field::Start),
        "case" => CaseField::parse(name).map(Field::Case),
        "subject" => SubjectField::parse(name).map(Field::Subject),
        _ => None,
    }
}

/// The name of a variable of the engine's (not a comprehension's) that `e` names.
fn is_root<'e>(e: &'e IdedExpr, locals: &[String]) -> Option<&'e str> {
    match &e.expr {
        Ast::Ident(name) if !locals.contains(name) => Some(name),
        _ => None,
    }
}

pub(super) fn compile(e: &IdedExpr, locals: &mut Vec<String>) -> Option<Node> {
    match &e.expr {
        Ast::Literal(l) => literal(l).map(Node::Lit),
        Ast::Ident(name) => locals.iter().rev().position(|l| l == name).map(Node::Local),
        Ast::Select(sel) => {
            if let Some(root) = is_root(&sel.operand, locals) {
                // A variable itself is only ever selected from, or tested.
                let field = field_of(root, &sel.field)?;
                return Some(if sel.test {
                    Node::HasField(field)
                } else {
                    Node::Field(field)
                });
            }
            let operand = boxed(&sel.operand, locals)?;
            let key: Box<str> = sel.field.as_str().into();
            Some(if sel.test {
                Node::Has(operand, key)
            } else {
                Node::Select(operand, key)
            })
        }
        Ast::Call(call) => compile_call(call, locals),
        Ast::Comprehension(c) => compile_quantifier(c, locals),
        Ast::List(_) | Ast::Map(_) | Ast::Struct(_) | Ast::Unspecified => None,
    }
}

fn literal(l: &LiteralValue) -> Option<Lit> {
    Some(match l {
        LiteralValue::Null => Lit::Null,
        LiteralValue::Boolean(b) => Lit::Bool(*b.inner()),
        LiteralValue::Int(i) => Lit::Int(*i.inner()),
        LiteralValue::Double(d) => Lit::Double(*d.inner()),
        LiteralValue::String(s) => Lit::Str(s.inner().into()),
        LiteralValue::Bytes(_) | LiteralValue::UInt(_) => return None,
    })
}

fn compile_call(call: &CallExpr, locals: &mut Vec<String>) -> Option<Node> {
    if call.target.is_some() {
        return None;
    }
    let op = |o: Op, args: &[IdedExpr], locals: &mut Vec<String>| match args {
        [a, b] => Some(Node::Compare(o, boxed(a, locals)?, boxed(b, locals)?)),
        _ => None,
    };
    let args = call.args.as_slice();
    match (call.func_name.as_str(), args) {
        (operators::LOGICAL_AND, [a, b]) => Some(Node::And(boxed(a, locals)?, boxed(b, locals)?)),
        (operators::LOGICAL_OR, [a, b]) => Some(Node::Or(boxed(a, locals)?, boxed(b, locals)?)),
        (operators::LOGICAL_NOT, [a]) => Some(Node::Not(boxed(a, locals)?)),
        (operators::CONDITIONAL, [c, a, b]) => Some(Node::Cond(
            boxed(c, locals)?,
            boxed(a, locals)?,
            boxed(b, locals)?,
        )),
        (operators::EQUALS, _) => op(Op::Eq, args, locals),
        (operators::NOT_EQUALS, _) => op(Op::Ne, args, locals),
        (operators::LESS, _) => op(Op::Lt, args, locals),
        (operators::LESS_EQUALS, _) => op(Op::Le, args, locals),
        (operators::GREATER, _) => op(Op::Gt, args, locals),
        (operators::GREATER_EQUALS, _) => op(Op::Ge, args, locals),
        (operators::IN, [x, list]) => match &list.expr {
            Ast::List(l) if l.optional_indices.is_empty() => {
                let items = l
                    .elements
                    .iter()
                    .map(|el| match &el.expr {
                        Ast::Literal(lit) => literal(lit),
                        _ => None,
                    })
                    .collect::<Option<Box<[Lit]>>>()?;
                Some(Node::InList(boxed(x, locals)?, items))
            }
            Ast::List(_) => None,
            _ => Some(Node::In(boxed(x, locals)?, boxed(list, locals)?)),
        },
        ("size", [x]) => Some(Node::Size(boxed(x, locals)?)),
        _ => None,
    }
}

fn is_ident(e: &IdedExpr, name: &str) -> bool {
    matches!(&e.expr, Ast::Ident(n) if n == name)
}

fn is_bool(e: &IdedExpr, value: bool) -> bool {
    matches!(&e.expr, Ast::Literal(LiteralValue::Boolean(b)) if *b.inner() == value)
}

/// `call` is `name(args…)` with no target.
fn call_of<'e>(e: &'e IdedExpr, name: &str) -> Option<&'e [IdedExpr]> {
    match &e.expr {
        Ast::Call(c) if c.target.is_none() && c.func_name == name => Some(&c.args),
        _ => None,
    }
}

/// The `exists` and `all` macros, recognised by the exact shape the parser expands them to;
/// any other comprehension is left to the interpreter.
fn compile_quantifier(c: &ComprehensionExpr, locals: &mut Vec<String>) -> Option<Node> {
    let accu = c.accu_var.as_str();
    if c.iter_var2.is_some() || !is_ident(&c.result, accu) || c.iter_var == accu {
        return None;
    }
    let all = if is_bool(&c.accu_init, false) {
        false
    } else if is_bool(&c.accu_init, true) {
        true
    } else {
        return None;
    };
    // exists: `@not_strictly_false(!@result)`, step `@result || body`;
    // all: `@not_strictly_false(@result)`, step `@result && body`.
    let cond = match call_of(&c.loop_cond, operators::NOT_STRICTLY_FALSE)? {
        [x] => x,
        _ => return None,
    };
    let cond_ok = if all {
        is_ident(cond, accu)
    } else {
        matches!(call_of(cond, operators::LOGICAL_NOT), Some([x]) if is_ident(x, accu))
    };
    let step_op = if all {
        operators::LOGICAL_AND
    } else {
        operators::LOGICAL_OR
    };
    let body = match call_of(&c.loop_step, step_op)? {
        [a, body] if is_ident(a, accu) => body,
        _ => return None,
    };
    if !cond_ok {
        return None;
    }
    let range = boxed(&c.iter_range, locals)?;
    locals.push(c.iter_var.clone());
    let body = boxed(body, locals);
    locals.pop();
    Some(Node::Quantifier {
        all,
        range,
        body: body?,
    })
}
