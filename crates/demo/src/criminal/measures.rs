//! The measures against a suspect: bringing in (传唤 / 拘传), 刑事拘留 with custody, family
//! notice and interrogation, 提请批准逮捕 and the procuratorate's decision, 取保候审 and
//! 监视居住.

use serde_json::{Value, json};

use crate::case::{CaseCtx, Person};
use crate::cause::Cause;

/// Where a suspect stands once the first measures are taken.
#[derive(Debug, Clone, Copy)]
pub(super) enum Hold {
    /// Arrested (逮捕) and executed at the instant given.
    Arrested(i64),
    /// On bail (取保候审) since the instant given.
    Bail(i64),
    /// Under residential surveillance (监视居住) since the instant given; designated or not.
    Watch(i64, bool),
    /// Free since the instant given, with no measure running.
    Free(i64),
}

/// Brings a suspect in (传唤 / 拘传) to the handling area, interrogates, and takes the first
/// measure. `record` says whether officers film the arrest on the body camera.
pub(super) fn bring_in(
    c: &mut CaseCtx<'_>,
    p: Person,
    catch: i64,
    filed: i64,
    record: bool,
) -> Hold {
    let mode = if c.chance(0.12) {
        "compelled"
    } else {
        "summons"
    };
    let serious_summons = c.serious && c.chance(0.3);
    c.push(
        catch,
        "summons.started",
        p.subject,
        json!({"mode": mode, "serious": serious_summons}),
    );
    if record && c.chance(0.3) {
        c.bodycam(catch, p.subject);
    }
    let enter_at = catch + c.mins(5, 25);
    let entered = c.enter_area(enter_at, p, true);
    let rec = c.recorded_probability();
    let start = entered + c.mins(15, 50);
    let i_end = c.interrogate(start, p, true, rec);

    let r = c.roll();
    let (detain, bail, watch) = match (c.cause, p.minor) {
        (Cause::DrunkDriving, _) => (15, 93, 96),
        (_, true) => (25, 80, 85),
        _ => (58, 83, 88),
    };
    if r < detain {
        return detention(c, p, catch, i_end, filed);
    }
    let (t, hold, to) = if r < bail {
        let t = i_end + c.mins(30, 180);
        c.push(t, "bail.started", p.subject, Value::Null);
        if c.chance(0.3) {
            let t = t + c.mins(5, 30);
            c.document(t, p.subject, "取保候审决定书");
        }
        (t, Hold::Bail(t), "released")
    } else if r < watch {
        let t = i_end + c.mins(60, 240);
        let designated = surveillance(c, p, t);
        (
            t,
            Hold::Watch(t, designated),
            if designated {
                "transferred"
            } else {
                "released"
            },
        )
    } else {
        let t = i_end + c.mins(10, 90);
        (t, Hold::Free(t), "released")
    };
    c.push(t, "summons.ended", p.subject, Value::Null);
    let exit = t + c.mins(5, 20);
    c.exit_area(exit, p, to);
    hold
}

/// 监视居住 from `t`; designated residence (指定居所) for about a quarter, whose family must be
/// told. Returns whether it is designated.
fn surveillance(c: &mut CaseCtx<'_>, p: Person, t: i64) -> bool {
    let designated = c.chance(0.25);
    c.push(
        t,
        "surveillance.started",
        p.subject,
        json!({ "designated": designated }),
    );
    if designated {
        c.notify_family(t, p, "residential_surveillance", true);
    }
    designated
}

/// 刑事拘留 after the first interrogation: custody, family notice, the interrogation within 24
/// hours, then the arrest request or another measure.
fn detention(c: &mut CaseCtx<'_>, p: Person, catch: i64, i_end: i64, filed: i64) -> Hold {
    let mut det = (i_end + c.mins(10, 90)).max(filed + c.mins(10, 40));
    if c.chance(0.02) {
        // Held on the summons past its twelve hours before the detention was approved.
        det = det.max(catch + c.hours(13, 20));
    }
    c.push(det, "detention.started", p.subject, Value::Null);
    c.push(det, "summons.ended", p.subject, Value::Null);
    if c.chance(0.15) {
        let t = det + c.mins(1, 20);
        c.document(t, p.subject, "拘留证");
    }
    c.notify_family(det, p, "detention", true);
    // About 8% reach the detention house only after the 24 hours; most of those are
    // interrogated again in the handling area before they leave it. About 3% of detainees are
    // interrogated only after the 24 hours.
    let late_admission = c.chance(0.08);
    let late_interrogation = c.chance(0.03);
    let rec = c.recorded_probability();
    let mut exit = det + c.mins(20, 180);
    if late_admission && !late_interrogation {
        let q = det + c.mins(10, 30);
        let q_end = c.interrogate(q, p, false, rec);
        exit = exit.max(q_end + c.mins(10, 40));
    }
    c.exit_area(exit, p, "custody");
    let admitted = if late_admission {
        det + c.hours(25, 40)
    } else {
        exit + c.mins(30, 240)
    };
    c.push(admitted, "custody.admitted", p.subject, Value::Null);
    if !late_admission || late_interrogation {
        let q = if late_interrogation {
            det + c.hours(25, 40)
        } else {
            admitted + c.mins(60, 8 * 60)
        };
        let q = q.max(admitted + c.mins(20, 60));
        c.interrogate(q, p, false, rec);
    }

    let r = c.roll();
    let (arrest, bail, watch) = if p.minor { (30, 80, 85) } else { (62, 85, 90) };
    if r < arrest {
        return request_arrest(c, p, det);
    }
    let t = det + c.hours(20, 70);
    if r < bail {
        c.push(t, "bail.started", p.subject, Value::Null);
        Hold::Bail(t)
    } else if r < watch {
        let designated = surveillance(c, p, t);
        Hold::Watch(t, designated)
    } else {
        c.push(t, "released", p.subject, Value::Null);
        Hold::Free(t)
    }
}

/// 提请批准逮捕 within three days of detention (or seven, or thirty, with approval), the
/// procuratorate's decision within seven days, and the arrest or the release.
fn request_arrest(c: &mut CaseCtx<'_>, p: Person, det: i64) -> Hold {
    let req = match c.roll() {
        0..64 => det + c.hours(20, 70),
        64..89 => {
            let t = det + c.hours(30, 66);
            c.push(
                t,
                "arrest.request_extended",
                p.subject,
                json!({ "days": 7 }),
            );
            det + c.days(4, 6)
        }
        89..97 => {
            let t = det + c.hours(30, 66);
            c.push(
                t,
                "arrest.request_extended",
                p.subject,
                json!({ "days": 30 }),
            );
            det + c.days(8, 28)
        }
        // Requested after the three days without an extension.
        _ => det + c.days(4, 5),
    };
    c.push(req, "arrest.requested", p.subject, Value::Null);
    if c.chance(0.15) {
        let t = req + c.mins(10, 120);
        c.document(t, p.subject, "提请批准逮捕书");
    }
    let decided = if c.chance(0.99) {
        req + c.hours(30, 150)
    } else {
        req + c.days(8, 9)
    };
    if c.chance(0.86) {
        c.push(decided, "arrest.approved", p.subject, Value::Null);
        let exec = decided + c.mins(60, 480);
        c.push(exec, "arrest.executed", p.subject, Value::Null);
        if c.chance(0.15) {
            let t = exec + c.mins(1, 30);
            c.document(t, p.subject, "逮捕证");
        }
        let admitted = if c.chance(0.98) {
            exec + c.mins(30, 300)
        } else {
            exec + c.hours(25, 30)
        };
        c.push(admitted, "custody.admitted", p.subject, Value::Null);
        c.notify_family(exec, p, "arrest", true);
        let q = if c.chance(0.97) {
            exec + c.hours(2, 20)
        } else {
            exec + c.hours(25, 40)
        };
        let rec = c.recorded_probability();
        let q = q.max(admitted + c.mins(10, 60));
        c.interrogate(q, p, false, rec);
        Hold::Arrested(exec)
    } else {
        c.push(decided, "arrest.rejected", p.subject, Value::Null);
        let t = if c.chance(0.95) {
            decided + c.mins(60, 600)
        } else {
            decided + c.hours(13, 30)
        };
        if c.chance(0.7) {
            c.push(t, "bail.started", p.subject, Value::Null);
            Hold::Bail(t)
        } else {
            c.push(t, "released", p.subject, Value::Null);
            Hold::Free(t)
        }
    }
}
