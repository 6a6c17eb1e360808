//! The digest of a case's findings (`cases.fdigest`): what re-evaluation compares before it loads
//! a single stored finding.
//!
//! The digest covers every column a finding row is written with except the explanation and the
//! write instant, plus the fingerprint of each finding's rule and of the holiday calendar (the two
//! inputs of the explanation that are not findings' columns) and the number of the case's events
//! already in effect. Equal digests therefore mean equal rows, explanations included: the
//! explanation is a function of the rule, the calendar, the events and the state. Findings come
//! from the evaluator in a fixed order, so the digest is order-sensitive and cheap.
//!
//! Whoever writes a case's findings through `write_findings` stores the digest of what it wrote.
//! The timer pass and unit registration change single columns (state, unit path) without touching
//! the digest; the next evaluation computes the new state or path, sees a different digest and
//! compares row by row, so a stale digest costs time, never correctness.

use std::collections::HashMap;

use casewatch_engine::time::Calendar;
use casewatch_engine::{Finding, Pack};
use sha2::{Digest, Sha256};

/// The fingerprints of the rules and of the calendar in force.
pub(crate) struct Fingerprints {
    rules: HashMap<String, [u8; 32]>,
    calendar: [u8; 32],
}

impl Fingerprints {
    /// Each rule's fingerprint is the SHA-256 of the file it was compiled from (all of that file's
    /// rules change together, which only costs a re-comparison), or of its compiled form when the
    /// pack was built without files.
    pub(crate) fn new(pack: &Pack, cal: &Calendar) -> Self {
        let rules = pack
            .rules
            .iter()
            .map(|r| {
                let mut h = Sha256::new();
                h.update(r.id.as_bytes());
                h.update([0]);
                match pack.files.get(&r.file) {
                    Some(text) => h.update(text.as_bytes()),
                    None => h.update(format!("{r:?}").as_bytes()),
                }
                (r.id.clone(), h.finalize().into())
            })
            .collect();
        Self {
            rules,
            calendar: Sha256::digest(format!("{cal:?}").as_bytes()).into(),
        }
    }
}

fn put_str(h: &mut Sha256, s: &str) {
    h.update((s.len() as u64).to_le_bytes());
    h.update(s.as_bytes());
}

fn put_opt_str(h: &mut Sha256, s: Option<&str>) {
    match s {
        None => h.update([0]),
        Some(s) => {
            h.update([1]);
            put_str(h, s);
        }
    }
}

fn put_opt_time(h: &mut Sha256, t: Option<jiff::Timestamp>) {
    match t {
        None => h.update([0]),
        Some(t) => {
            h.update([1]);
            h.update(t.as_microsecond().to_le_bytes());
        }
    }
}

/// The digest of a case's `findings` as `write_findings` stores them: `case_unit` (the ledger's
/// unit) takes precedence over a finding's own, and `paths` gives each unit's path. `in_effect`
/// is the number of the case's events dated at or before the evaluation instant.
pub(crate) fn of_findings(
    fp: &Fingerprints,
    findings: &[Finding],
    case_unit: Option<&str>,
    paths: &HashMap<String, String>,
    in_effect: usize,
) -> i64 {
    let mut h = Sha256::new();
    h.update(fp.calendar);
    h.update((in_effect as u64).to_le_bytes());
    h.update((findings.len() as u64).to_le_bytes());
    for f in findings {
        put_str(&mut h, &f.rule);
        match fp.rules.get(&f.rule) {
            Some(r) => h.update(r),
            None => h.update([0u8; 32]),
        }
        put_opt_str(&mut h, f.subject.as_deref());
        put_str(&mut h, &f.reference);
        h.update([u8::from(f.started.is_some())]);
        put_str(&mut h, f.state.as_str());
        put_opt_time(&mut h, f.started);
        put_opt_time(&mut h, f.due);
        put_opt_time(&mut h, f.warn_at);
        put_opt_time(&mut h, f.stopped);
        put_opt_time(&mut h, f.next_transition);
        let unit = case_unit.or(f.unit.as_deref());
        put_opt_str(&mut h, unit);
        put_opt_str(&mut h, unit.and_then(|u| paths.get(u)).map(String::as_str));
        put_opt_str(&mut h, f.officer.as_deref());
    }
    let out: [u8; 32] = h.finalize().into();
    let mut first = [0u8; 8];
    for (d, s) in first.iter_mut().zip(out) {
        *d = s;
    }
    i64::from_le_bytes(first)
}
