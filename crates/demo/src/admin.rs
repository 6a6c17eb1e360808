//! An administrative (public-order) case (治安案件): questioning after summons, the decision,
//! fine payment or administrative detention, and closure.

use serde_json::{Map, Value, json};

use crate::case::{Age, CaseCtx, Fate, Person};
use crate::cause::Cause;
use crate::clock::{DAY, HOUR, LAW_2026};
use crate::property::{Seizure, Settlement};
use crate::timeline::Subject;

/// 行政处罚: what a suspect gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Penalty {
    /// 警告
    Warning,
    /// 罚款, in yuan.
    Fine(u32),
    /// 行政拘留, in days.
    Detention(u32),
    /// 不予处罚
    None,
}

impl Penalty {
    fn draw(c: &mut CaseCtx<'_>) -> Self {
        let r = c.roll();
        // Below the first bound detention, then fine, then warning; the rest is no penalty.
        let (fine, warning, none) = match c.cause {
            Cause::Assault => (55, 85, 95),
            Cause::PettyTheft => (40, 80, 95),
            Cause::Gambling => (30, 90, 100),
            Cause::DrugUse => (85, 95, 100),
            Cause::Prostitution => (50, 95, 100),
            Cause::PublicDisorder => (25, 60, 100),
            Cause::PropertyDamage => (40, 90, 100),
            _ => (60, 90, 100),
        };
        let fine_amount = match c.cause {
            Cause::Gambling => 500 * c.between(1, 6),
            Cause::Prostitution => 500 * c.between(1, 10),
            Cause::DrugUse => 2000,
            _ => 100 * c.between(2, 10),
        };
        let long = matches!(c.cause, Cause::DrugUse | Cause::Prostitution);
        match r {
            _ if r < fine => Self::Detention(if long {
                c.between(10, 15)
            } else {
                c.between(3, 10)
            }),
            _ if r < warning => Self::Fine(fine_amount),
            _ if r < none => Self::Warning,
            _ => Self::None,
        }
    }
}

/// Generates one administrative case reported at `t0`.
pub(crate) fn run(c: &mut CaseCtx<'_>, t0: i64) {
    let (accepted, arrival) = c.open(t0, false);
    let cause = c.cause;
    // From 2026 the handling period of a public-order case runs from its filing (立案).
    let start = if accepted >= LAW_2026 {
        let t = accepted + c.mins(20, 600);
        c.push(t, "case.filed", Subject::None, Value::Null);
        t
    } else {
        accepted
    };
    if matches!(
        cause,
        Cause::Assault | Cause::PettyTheft | Cause::PropertyDamage | Cause::PettyProvocation
    ) && c.chance(0.9)
    {
        let t = accepted + c.mins(3, 40);
        let v = c.register(t, "victim", Age::Adult, false);
        if c.chance(0.3) {
            let q = t + c.mins(10, 240);
            c.interrogate(q, v, false, 0.3);
        }
    }
    if c.chance(0.12) {
        let t = accepted + c.mins(5, 120);
        c.register(t, "witness", Age::Adult, false);
    }

    if !c.chance(cause.solve_probability()) {
        if c.chance(0.6) {
            let t = start + c.days(10, 60);
            c.push(
                t,
                "case.closed",
                Subject::None,
                json!({ "reason": "终止调查" }),
            );
        }
        return;
    }

    // Most public-order cases have one offender; fights often two, gambling tables more.
    let n_suspects = match (cause, c.roll()) {
        (Cause::Gambling, 0..60) | (Cause::Prostitution, 0..70) => 2,
        (Cause::Gambling, _) => 3,
        (Cause::Assault, 0..65) | (Cause::Prostitution, _) | (_, 0..86) => 1,
        (Cause::Assault, 65..96) | (_, 86..98) => 2,
        _ => 3,
    };
    let in_act = arrival.is_some() && cause.caught_in_act();
    let first = if in_act {
        accepted + c.mins(1, 20)
    } else {
        accepted + c.hours(2, 72)
    };
    let mut suspects: Vec<(Person, i64, Penalty)> = Vec::with_capacity(n_suspects);
    for k in 0..n_suspects {
        let catch = if k == 0 {
            first
        } else if in_act {
            first + c.mins(1, 30)
        } else {
            first + c.hours(0, 48)
        };
        let minor_p = match cause {
            Cause::Assault
            | Cause::PettyTheft
            | Cause::PettyProvocation
            | Cause::PropertyDamage => 0.07,
            Cause::Prostitution => 0.0,
            _ => 0.02,
        };
        let age = if c.chance(minor_p) {
            Age::Minor
        } else {
            Age::Adult
        };
        let p = c.register(catch, "suspect", age, true);
        let penalty = Penalty::draw(c);
        let q_end = question(c, p, catch, matches!(penalty, Penalty::Detention(_)));
        suspects.push((p, q_end, penalty));
    }
    seize(c, first);

    let last_questioned = suspects.iter().map(|s| s.1).max().unwrap_or(first);
    let (decided, quick) = match c.roll() {
        0..65 => (last_questioned, true),
        65..85 => (start + c.days(2, 25), false),
        85..93 if matches!(cause, Cause::Assault | Cause::PettyProvocation) => {
            let t = accepted + c.days(1, 3);
            c.push(
                t,
                "appraisal.started",
                Subject::None,
                json!({ "kind": "伤情鉴定" }),
            );
            let end = t + c.days(7, 30);
            c.push(
                end,
                "appraisal.ended",
                Subject::None,
                json!({ "kind": "伤情鉴定" }),
            );
            (end + c.days(1, 10), false)
        }
        85..97 => {
            let t = start + c.days(20, 28);
            c.push(t, "case.extended", Subject::None, json!({ "days": 30 }));
            (start + c.days(32, 58), false)
        }
        // Decided after the thirty days without an extension.
        _ => (start + c.days(32, 45), false),
    };
    let mut done = decided;
    let mut last_decided = decided;
    for &(p, q_end, penalty) in &suspects {
        // Quick cases (快速办理) are decided right after each suspect's questioning; the others
        // once the investigation is complete, with the suspect sent home meanwhile.
        let (at, exit) = if quick {
            let at = q_end + c.mins(20, 180);
            (at, at + c.mins(10, 60))
        } else {
            (decided.max(q_end + DAY), q_end + c.mins(5, 20))
        };
        let to = if quick && matches!(penalty, Penalty::Detention(_)) {
            "transferred"
        } else {
            "released"
        };
        c.exit_area(exit, p, to);
        last_decided = last_decided.max(at);
        done = done.max(decide(c, p, at, penalty));
    }
    c.settle_items(last_decided, Settlement::Decision);
    if c.chance(0.92) {
        let reason = if suspects.iter().all(|s| s.2 == Penalty::None) {
            "不予处罚"
        } else {
            "处罚执行完毕"
        };
        let t = done + c.days(1, 15);
        c.push(t, "case.closed", Subject::None, json!({ "reason": reason }));
    }
}

/// 询问查证: questioning after summons, in the handling area; usually within its time limit
/// (8 hours, 24 if detention may follow, from 2026 12 for complex cases). Returns its end.
fn question(c: &mut CaseCtx<'_>, p: Person, at: i64, may_detain: bool) -> i64 {
    let complex = c.chance(if c.cause == Cause::Gambling {
        0.2
    } else {
        0.05
    });
    c.push(
        at,
        "questioning.started",
        p.subject,
        json!({"may_detain": may_detain, "complex": complex}),
    );
    if c.chance(0.1) {
        c.notify_family(at, p, "summons", false);
    }
    let enter_at = at + c.mins(5, 25);
    let entered = c.enter_area(enter_at, p, true);
    // From 2026 questioning in the handling area must be filmed; before, many stations did not.
    let recorded = if entered >= LAW_2026 { 0.95 } else { 0.6 };
    let start = entered + c.mins(15, 50);
    let i_end = c.interrogate(start, p, true, recorded);
    let limit = if may_detain {
        24 * HOUR
    } else if complex && at >= LAW_2026 {
        12 * HOUR
    } else {
        8 * HOUR
    };
    let end = if c.chance(0.97) {
        i_end + c.mins(10, 60)
    } else {
        at + limit + c.mins(30, 300)
    };
    c.push(end, "questioning.ended", p.subject, Value::Null);
    end
}

/// 行政处罚决定 for one suspect and its execution; returns when it was fully carried out.
fn decide(c: &mut CaseCtx<'_>, p: Person, at: i64, penalty: Penalty) -> i64 {
    let person = match p.subject {
        Subject::Person(n) => format!("P{n}"),
        _ => String::new(),
    };
    let mut data = Map::with_capacity(4);
    let (name, amount, days) = match penalty {
        Penalty::Warning => ("warning", None, None),
        Penalty::Fine(a) => ("fine", Some(a), None),
        Penalty::Detention(d) => ("detention", None, Some(d)),
        Penalty::None => ("none", None, None),
    };
    data.insert("penalty".into(), Value::String(name.into()));
    if let Some(a) = amount {
        data.insert("amount".into(), Value::from(a));
    }
    if let Some(d) = days {
        data.insert("days".into(), Value::from(d));
    }
    data.insert("person".into(), Value::String(person.clone()));
    c.push(at, "case.decided", Subject::None, Value::Object(data));
    if penalty != Penalty::None && c.chance(0.3) {
        let t = at + c.mins(5, 60);
        c.document(t, p.subject, "行政处罚决定书");
    }
    match penalty {
        Penalty::Fine(amount) => {
            let paid = match c.roll() {
                0..88 => Some(at + c.hours(1, 14 * 24)),
                88..94 => Some(at + c.days(16, 40)),
                _ => None,
            };
            if let Some(t) = paid {
                c.push(
                    t,
                    "fine.paid",
                    Subject::None,
                    json!({"amount": amount, "person": person}),
                );
                return t;
            }
            at
        }
        Penalty::Detention(days) => {
            let start = at + c.mins(30, 180);
            c.push(
                start,
                "admin_detention.started",
                p.subject,
                json!({ "days": days }),
            );
            c.notify_family(start, p, "administrative_detention", false);
            let end = start + i64::from(days) * DAY;
            c.push(
                end,
                "admin_detention.ended",
                p.subject,
                json!({ "days": days }),
            );
            c.push(end, "released", p.subject, Value::Null);
            end
        }
        Penalty::Warning | Penalty::None => at,
    }
}

/// What public-order cases typically seize: stakes, drug paraphernalia, stolen goods.
fn seize(c: &mut CaseCtx<'_>, at: i64) {
    let (kind, category, description, quantity, fate, to_owner, p): (
        &str,
        &str,
        &str,
        u32,
        Fate,
        bool,
        f64,
    ) = match c.cause {
        Cause::Gambling => (
            "seize",
            "cash",
            "赌资",
            100 * c.between(5, 200),
            Fate::Contraband,
            false,
            0.9,
        ),
        Cause::Prostitution => (
            "seize",
            "cash",
            "嫖资",
            100 * c.between(2, 10),
            Fate::Contraband,
            false,
            0.5,
        ),
        Cause::DrugUse => (
            "seize",
            "other",
            "吸毒工具",
            1,
            Fate::Contraband,
            false,
            0.6,
        ),
        Cause::PettyTheft => (
            "seize",
            "other",
            "被盗商品",
            c.between(1, 6),
            Fate::Evidence,
            true,
            0.7,
        ),
        Cause::Assault => ("seize", "weapon", "木棍", 1, Fate::Evidence, false, 0.1),
        _ => return,
    };
    if c.chance(p) {
        let t = at + c.mins(20, 120);
        let what = Seizure {
            kind,
            category,
            description: description.into(),
            quantity: Some(quantity),
            fate,
        };
        c.seize(t, what, to_owner);
    }
    if c.cause == Cause::Gambling && c.chance(0.3) {
        let t = at + c.mins(20, 120);
        let what = Seizure {
            kind: "seize",
            category: "other",
            description: "麻将机".into(),
            quantity: Some(1),
            fate: Fate::Contraband,
        };
        c.seize(t, what, false);
    }
}
