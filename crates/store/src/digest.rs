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
//! Per finding, the rule enters as the first 8 bytes of its fingerprint (which covers the rule's
//! id), and the unit and its path only when the case has no unit of its own (otherwise they are
//! the case's, which enter once): about 130 bytes per finding instead of 220, the SHA-256 being a
//! tenth of re-evaluation's CPU (`docs/performance-notes.md`, eleventh round). Changing what
//! the digest covers makes every stored digest stale once, which costs the next re-evaluation a
//! row-by-row comparison of every case, never a wrong row.
//!
//! Whoever writes a case's findings through `write_findings` stores the digest of what it wrote.
//! The timer pass and unit registration change single columns (state, unit path) without touching
//! the digest; the next evaluation computes the new state or path, sees a different digest and
//! compares row by row, so a stale digest costs time, never correctness.

use std::collections::HashMap;
use std::sync::Arc;

use casewatch_core::fasthash::FastMap;

use casewatch_engine::time::Calendar;
use casewatch_engine::{Finding, Pack};
use sha2::{Digest, Sha256};

/// The fingerprints of the rules and of the calendar in force.
pub(crate) struct Fingerprints {
    /// The first 8 bytes of each rule's fingerprint.
    rules: FastMap<Arc<str>, [u8; 8]>,
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
                (Arc::clone(&r.id), first_eight(h.finalize().into()))
            })
            .collect();
        Self {
            rules,
            calendar: Sha256::digest(format!("{cal:?}").as_bytes()).into(),
        }
    }
}

fn put_str(h: &mut Vec<u8>, s: &str) {
    h.extend_from_slice(&(s.len() as u64).to_le_bytes());
    h.extend_from_slice(s.as_bytes());
}

fn put_opt_str(h: &mut Vec<u8>, s: Option<&str>) {
    match s {
        None => h.extend_from_slice(&[0]),
        Some(s) => {
            h.extend_from_slice(&[1]);
            put_str(h, s);
        }
    }
}

fn put_opt_time(h: &mut Vec<u8>, t: Option<jiff::Timestamp>) {
    put_opt_us(h, t.map(|t| t.as_microsecond()));
}

fn put_opt_us(h: &mut Vec<u8>, t: Option<i64>) {
    match t {
        None => h.extend_from_slice(&[0]),
        Some(t) => {
            h.extend_from_slice(&[1]);
            h.extend_from_slice(&t.to_le_bytes());
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
    // The bytes are gathered first, in a buffer each thread keeps, and hashed once: one SHA-256
    // call per case instead of a dozen small updates per finding.
    BUF.with_borrow_mut(|buf| {
        buf.clear();
        let h = &mut *buf;
        h.extend_from_slice(&fp.calendar);
        h.extend_from_slice(&(in_effect as u64).to_le_bytes());
        h.extend_from_slice(&(findings.len() as u64).to_le_bytes());
        let case_path = case_unit.and_then(|u| paths.get(u)).map(String::as_str);
        put_opt_str(h, case_unit);
        put_opt_str(h, case_path);
        for f in findings {
            match fp.rules.get(&*f.rule) {
                Some(r) => h.extend_from_slice(r),
                None => {
                    h.extend_from_slice(&[0u8; 8]);
                    put_str(h, &f.rule);
                }
            }
            put_opt_str(h, f.subject.as_deref());
            put_str(h, &f.reference);
            h.extend_from_slice(&[u8::from(f.started.is_some())]);
            put_str(h, f.state.as_str());
            put_opt_time(h, f.started);
            put_opt_time(h, f.due);
            put_opt_time(h, f.warn_at);
            put_opt_time(h, f.stopped);
            put_opt_time(h, f.next_transition);
            if case_unit.is_none() {
                let unit = f.unit.as_deref();
                put_opt_str(h, unit);
                put_opt_str(h, unit.and_then(|u| paths.get(u)).map(String::as_str));
            }
            put_opt_str(h, f.officer.as_deref());
        }
        i64::from_le_bytes(first_eight(Sha256::digest(&*buf).into()))
    })
}

/// The digest of what an evaluation writes in one finding row and the timer never changes: kind,
/// instants, unit, officer and explanation (the key is the row's identity; state, next
/// transition and unit path are compared as columns, since the timer and unit registration
/// change them in place). Stored in `findings.digest`, so that a writer compares a new finding
/// with the stored one without reading the explanation back.
pub(crate) fn of_row(row: &crate::FindingRow) -> i64 {
    ROW_BUF.with_borrow_mut(|h| {
        h.clear();
        put_str(h, &row.kind);
        put_opt_us(h, row.started_us);
        put_opt_us(h, row.due_us);
        put_opt_us(h, row.warn_us);
        put_opt_us(h, row.stopped_us);
        put_opt_str(h, row.unit.as_deref());
        put_opt_str(h, row.officer.as_deref());
        put_str(h, &row.explain);
        i64::from_le_bytes(first_eight(Sha256::digest(&*h).into()))
    })
}

/// The first 8 bytes of a SHA-256.
fn first_eight(sha: [u8; 32]) -> [u8; 8] {
    let mut first = [0u8; 8];
    for (d, s) in first.iter_mut().zip(sha) {
        *d = s;
    }
    first
}

thread_local! {
    /// The bytes of the digest in the making, kept by each thread between cases.
    static BUF: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    /// The bytes of a row's digest in the making ([`of_row`]).
    static ROW_BUF: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}
