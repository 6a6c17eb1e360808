//! A criminal case (刑事案件): filing review, bringing suspects in, detention and the arrest
//! procedure, bail and residential surveillance, investigative custody, and the end of the case
//! by transfer for prosecution (移送审查起诉) or withdrawal (撤销案件).

use serde_json::{Value, json};

use crate::case::{Age, CaseCtx, Fate, Person};
use crate::cause::Cause;
use crate::clock::DAY;
use crate::property::{Seizure, Settlement};
use crate::timeline::Subject;

mod evidence;
mod measures;

use evidence::seize_evidence;
use measures::{Hold, bring_in};

/// Generates one criminal case reported at `t0`.
pub(crate) fn run(c: &mut CaseCtx<'_>, t0: i64) {
    let (accepted, arrival) = c.open(t0, true);
    let cause = c.cause;
    let in_act = arrival.is_some() && cause.caught_in_act();

    let reg = accepted + c.mins(3, 40);
    let role = match cause {
        Cause::Theft | Cause::Fraud | Cause::Injury | Cause::Robbery | Cause::IllegalDeposits
            if c.chance(0.7) =>
        {
            Some("complainant")
        }
        Cause::Theft | Cause::Injury | Cause::Robbery | Cause::Provocation => Some("victim"),
        _ => None,
    };
    let victim = role.map(|role| c.register(reg, role, Age::Adult, false));
    if let Some(v) = victim
        && c.chance(0.3)
    {
        let t = reg + c.mins(10, 180);
        c.interrogate(t, v, false, 0.3);
    }
    if c.chance(0.12) {
        let t = reg + c.mins(5, 120);
        c.register(t, "witness", Age::Adult, false);
    }
    if cause == Cause::Injury {
        let t = accepted + c.days(1, 3);
        appraisal(c, t, "伤情鉴定", 7, 25);
    }

    let complainant = victim.filter(|_| role == Some("complainant"));
    let Some(filed) = review(c, accepted, in_act, complainant) else {
        return;
    };

    if !c.chance(cause.solve_probability()) {
        unsolved(c, filed);
        return;
    }

    let n_suspects = match (cause, c.roll()) {
        (Cause::DrunkDriving, _) | (_, 0..72) => 1,
        (_, 72..92) => 2,
        _ => 3,
    };
    let first_catch = if in_act {
        accepted + c.mins(1, 15)
    } else if cause == Cause::Theft {
        filed + c.hours(2, 60 * 24)
    } else {
        filed + c.hours(2, 20 * 24)
    };
    let mut holds: Vec<(Person, Hold)> = Vec::with_capacity(n_suspects);
    for k in 0..n_suspects {
        let catch = if k == 0 {
            first_catch
        } else if in_act {
            first_catch + c.mins(1, 20)
        } else {
            first_catch + c.hours(0, 48)
        };
        let minor_possible = !matches!(cause, Cause::DrunkDriving | Cause::IllegalDeposits);
        let age = if minor_possible && c.chance(0.06) {
            Age::Minor
        } else {
            Age::Adult
        };
        let p = c.register(catch, "suspect", age, true);
        let hold = bring_in(c, p, catch, filed, !in_act);
        holds.push((p, hold));
    }
    seize_evidence(c, first_catch, filed);
    if matches!(
        cause,
        Cause::Fraud | Cause::AidingCyberCrime | Cause::IllegalDeposits | Cause::DrugTrafficking
    ) && c.chance(if cause == Cause::DrugTrafficking {
        0.15
    } else {
        0.6
    }) {
        let n = if cause == Cause::IllegalDeposits {
            3
        } else {
            1
        };
        for _ in 0..n {
            let t = (first_catch + c.hours(2, 72)).max(filed + c.hours(1, 48));
            c.freeze(t);
        }
    }
    if cause == Cause::DrunkDriving {
        let t = first_catch + c.mins(40, 150);
        appraisal(c, t, "血液酒精含量鉴定", 3, 10);
    }
    dispose(c, &holds);
}

/// 立案审查: files the case (usually within three days, now and then with an approved
/// extension, sometimes late), or refuses to file it and tells the complainant. Returns when the
/// case was filed, or `None` if it was not.
fn review(
    c: &mut CaseCtx<'_>,
    accepted: i64,
    quick: bool,
    complainant: Option<Person>,
) -> Option<i64> {
    if !quick && c.chance(if complainant.is_some() { 0.08 } else { 0.02 }) {
        let t = accepted + c.hours(10, 70);
        c.push(t, "case.not_filed", Subject::None, Value::Null);
        if let Some(p) = complainant {
            let notified = match c.roll() {
                0..88 => Some(t + c.hours(2, 48)),
                88..95 => Some(t + c.days(4, 6)),
                _ => None,
            };
            if let Some(n) = notified {
                c.push(n, "case.complainant_notified", Subject::None, Value::Null);
                c.document(n, p.subject, "不予立案通知书");
            }
        }
        if c.chance(0.8) {
            let closed = t + c.days(5, 20);
            c.push(
                closed,
                "case.closed",
                Subject::None,
                json!({ "reason": "不予立案" }),
            );
        }
        return None;
    }
    let filed = if quick {
        accepted + c.mins(30, 300)
    } else {
        match c.roll() {
            0..82 => accepted + c.hours(1, 60),
            82..90 => {
                let t = accepted + c.hours(30, 66);
                c.push(
                    t,
                    "case.review_extended",
                    Subject::None,
                    json!({ "days": 7 }),
                );
                accepted + c.days(4, 6)
            }
            90..95
                if matches!(
                    c.cause,
                    Cause::Fraud | Cause::AidingCyberCrime | Cause::IllegalDeposits
                ) =>
            {
                let t = accepted + c.hours(30, 66);
                c.push(
                    t,
                    "case.review_extended",
                    Subject::None,
                    json!({ "days": 30 }),
                );
                accepted + c.days(8, 28)
            }
            90..95 => accepted + c.hours(1, 60),
            // Filed after the three days without an extension.
            _ => accepted + c.days(4, 6),
        }
    };
    let data = if c.serious {
        json!({ "serious": true })
    } else {
        Value::Null
    };
    c.push(filed, "case.filed", Subject::None, data);
    if c.chance(0.3) {
        let t = filed + c.mins(5, 60);
        c.document(t, Subject::None, "立案决定书");
    }
    Some(filed)
}

/// An unsolved case: surveillance video is obtained, accounts may be frozen, and now and then
/// the case is dropped after months.
fn unsolved(c: &mut CaseCtx<'_>, filed: i64) {
    if c.chance(0.5) {
        let t = filed + c.hours(2, 72);
        let what = Seizure {
            kind: "obtain",
            category: "document",
            description: "案发地周边监控视频".into(),
            quantity: Some(1),
            fate: Fate::Evidence,
        };
        c.seize(t, what, false);
    }
    if matches!(c.cause, Cause::Fraud | Cause::AidingCyberCrime) && c.chance(0.5) {
        let t = filed + c.days(1, 10);
        c.freeze(t);
    }
    if c.chance(0.15) {
        let t = filed + c.days(60, 400);
        c.settle_items(t, Settlement::Drop);
        c.settle_accounts(Some(t));
        c.push(
            t,
            "case.closed",
            Subject::None,
            json!({ "reason": "撤销案件" }),
        );
    } else {
        c.settle_accounts(None);
    }
}

/// 鉴定 from `at` for `lo`–`hi` days.
fn appraisal(c: &mut CaseCtx<'_>, at: i64, kind: &'static str, lo: i64, hi: i64) {
    c.push(
        at,
        "appraisal.started",
        Subject::None,
        json!({ "kind": kind }),
    );
    let end = at + c.days(lo, hi);
    c.push(
        end,
        "appraisal.ended",
        Subject::None,
        json!({ "kind": kind }),
    );
}

/// Ends the case: transfer for prosecution when anyone is still under a measure (with custody
/// extensions when the investigation runs long), otherwise maybe withdrawal.
fn dispose(c: &mut CaseCtx<'_>, holds: &[(Person, Hold)]) {
    let latest_exec = holds
        .iter()
        .filter_map(|(_, h)| {
            if let Hold::Arrested(t) = h {
                Some(*t)
            } else {
                None
            }
        })
        .max();
    let latest_start = holds
        .iter()
        .filter_map(|(_, h)| match h {
            Hold::Bail(t) | Hold::Watch(t, _) => Some(*t),
            _ => None,
        })
        .max();
    let (end, overrun) = match (latest_exec, latest_start) {
        // The investigation of arrested suspects: mostly within two months, some needing the
        // one- or two-month extension, a few running over without one.
        (Some(exec), _) => match c.roll() {
            0..75 => (exec + c.days(20, 52), false),
            75..97 => (exec + c.days(56, 85), false),
            _ => (exec + c.days(63, 72), true),
        },
        (None, Some(start)) => match c.roll() {
            0..97 => (start + c.days(30, 170), false),
            _ => (start + c.days(370, 400), true),
        },
        (None, None) => {
            let last = holds
                .iter()
                .filter_map(|(_, h)| {
                    if let Hold::Free(t) = h {
                        Some(*t)
                    } else {
                        None
                    }
                })
                .max();
            let last = last.unwrap_or_default();
            if c.chance(0.5) {
                let t = last + c.days(10, 90);
                c.settle_items(t, Settlement::Drop);
                c.settle_accounts(Some(t));
                c.push(
                    t,
                    "case.closed",
                    Subject::None,
                    json!({ "reason": "撤销案件" }),
                );
            } else {
                c.settle_accounts(None);
            }
            return;
        }
    };
    for (p, hold) in holds {
        if let Hold::Arrested(exec) = *hold
            && end - exec > 55 * DAY
            && !overrun
        {
            extend_custody(c, *p, exec, end);
        }
    }
    let transfer = c.chance(0.88);
    let how = if transfer {
        Settlement::Transfer
    } else {
        Settlement::Drop
    };
    c.settle_items(end, how);
    c.settle_accounts(Some(end));
    if transfer {
        c.push(end, "case.transferred", Subject::None, Value::Null);
        if c.chance(0.3) {
            c.document(end, Subject::None, "起诉意见书");
        }
    }
    for (p, hold) in holds {
        // After a transfer the procuratorate decides anew and the police measure is lifted;
        // on withdrawal everybody is set free before the case is closed (now and then one is
        // forgotten in the records).
        let t = if transfer {
            end + c.hours(2, 72)
        } else {
            end - c.hours(1, 48)
        };
        if !transfer && c.chance(0.03) {
            continue;
        }
        // A measure that began late (after a second arrest request was refused) ends after it began.
        let t = match *hold {
            Hold::Arrested(s) | Hold::Bail(s) | Hold::Watch(s, _) | Hold::Free(s) => {
                t.max(s + c.hours(1, 24))
            }
        };
        match *hold {
            Hold::Arrested(_) if !transfer => {
                c.push(t, "released", p.subject, Value::Null);
            }
            Hold::Bail(_) => {
                c.push(t, "bail.ended", p.subject, Value::Null);
            }
            Hold::Watch(_, designated) => {
                c.push(
                    t,
                    "surveillance.ended",
                    p.subject,
                    json!({ "designated": designated }),
                );
            }
            _ => {}
        }
    }
    if !transfer {
        c.push(
            end,
            "case.closed",
            Subject::None,
            json!({ "reason": "撤销案件" }),
        );
    }
}

/// 提请延长侦查羁押期限 (usually at least seven days before the two months run out) and the
/// approval of one or two more months.
fn extend_custody(c: &mut CaseCtx<'_>, p: Person, exec: i64, end: i64) {
    let (req, approved) = if c.chance(0.9) {
        let req = exec + c.days(40, 51);
        (req, req + c.days(2, 5))
    } else {
        let req = exec + c.days(54, 57);
        (req, req + c.hours(6, 20))
    };
    c.push(req, "custody.extension_requested", p.subject, Value::Null);
    let months = if end - exec > 85 * DAY { 2 } else { 1 };
    c.push(
        approved,
        "custody.extended",
        p.subject,
        json!({ "months": months }),
    );
}
