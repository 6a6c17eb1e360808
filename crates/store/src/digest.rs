//! The digest of a case's findings (`cases.fdigest`): what re-evaluation compares before it loads
//! a single stored finding.
//!
//! The digest covers every column a finding row is written with except the explanation and the
//! write instant, plus the fingerprint of each finding's rule and of the holiday calendar (the two
//! inputs of the explanation that are not findings' columns) and the number of the case's events
//! already in effect. Equal digests therefore mean equal rows, explanations included: the
//! explanation is a function of the rule, the calendar, the events and the state.
//!
//! Per finding, the rule enters as the first 8 bytes of its fingerprint (which covers the rule's
//! id), and the unit and its path only when the case has no unit of its own (otherwise they are
//! the case's, which enter once; `docs/performance-notes.md`, eleventh round). Each finding is
//! hashed on its own (foldhash) and the hashes are summed, so the digest does not depend on the
//! findings' order and the evaluator does not sort them for it (sixteenth round). Changing what
//! the digest covers, or how, makes every stored case digest stale once, which costs the next
//! re-evaluation a row-by-row comparison of every case (rows compare by their own digest,
//! [`of_row`], and are rewritten only if that changed too), never a wrong row.
//!
//! Whoever writes a case's findings through `write_findings` stores the digest of what it wrote.
//! A finding enters it with its state as stored (`state.rs`: an open clock as `open`, whatever
//! time has made of it since, and without its next transition, which follows from its instants),
//! so a case whose clocks only moved with time keeps its digest. Unit registration changes a
//! single column (unit path) without touching the digest; the next evaluation computes the new
//! path, sees a different digest and compares row by row, so a stale digest costs time, never
//! correctness.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
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

fn put_opt_us(h: &mut Vec<u8>, t: Option<i64>) {
    match t {
        None => h.extend_from_slice(&[0]),
        Some(t) => {
            h.extend_from_slice(&[1]);
            h.extend_from_slice(&t.to_le_bytes());
        }
    }
}

/// The digest of a case's `findings` as `write_findings` stores them, in any order: `case_unit`
/// (the ledger's unit) takes precedence over a finding's own, and `paths` gives each unit's path.
/// `in_effect` is the number of the case's events dated at or before the evaluation instant.
///
/// Each finding is hashed on its own and the hashes are added (mod 2⁶⁴) to the hash of the
/// case's part, so that the evaluator need not sort its findings first (`evaluate_brief`).
pub(crate) fn of_findings(
    fp: &Fingerprints,
    findings: &[Finding],
    case_unit: Option<&str>,
    paths: &HashMap<String, String>,
    in_effect: usize,
) -> i64 {
    let case_path = case_unit.and_then(|u| paths.get(u)).map(String::as_str);
    let mut h = hasher();
    h.write(&fp.calendar);
    h.write_u64(in_effect as u64);
    h.write_u64(findings.len() as u64);
    hash_opt_str(&mut h, case_unit);
    hash_opt_str(&mut h, case_path);
    let mut sum = h.finish();
    for f in findings {
        let mut h = hasher();
        match fp.rules.get(&*f.rule) {
            Some(r) => h.write(r),
            None => {
                h.write(&[0u8; 8]);
                hash_str(&mut h, &f.rule);
            }
        }
        hash_opt_str(&mut h, f.subject.as_deref());
        hash_str(&mut h, &f.reference);
        h.write_u8(u8::from(f.started.is_some()));
        hash_str(&mut h, crate::state::stored_state(f));
        for t in [f.started, f.due, f.warn_at, f.stopped] {
            hash_opt_us(&mut h, t.map(jiff::Timestamp::as_microsecond));
        }
        if case_unit.is_none() {
            let unit = f.unit.as_deref();
            hash_opt_str(&mut h, unit);
            hash_opt_str(&mut h, unit.and_then(|u| paths.get(u)).map(String::as_str));
        }
        hash_opt_str(&mut h, f.officer.as_deref());
        sum = sum.wrapping_add(h.finish());
    }
    i64::from_ne_bytes(sum.to_ne_bytes())
}

/// A hasher for [`of_findings`]: foldhash's quality variant with a fixed seed. These digests
/// detect change and protect nothing against a forger (the event log's SHA-256 chain does that);
/// two different sets of findings share one with a probability of about 2⁻⁶⁴. foldhash does not
/// promise the same values across its versions: an upgrade that changes them makes the stored
/// case digests stale once (see the module's head).
fn hasher() -> impl Hasher {
    /// Any fixed value: the digests must not change between runs of one binary.
    const SEED: u64 = 0x6361_7365_7761_7463;
    foldhash::quality::FixedState::with_seed(SEED).build_hasher()
}

fn hash_str(h: &mut impl Hasher, s: &str) {
    h.write_u64(s.len() as u64);
    h.write(s.as_bytes());
}

fn hash_opt_str(h: &mut impl Hasher, s: Option<&str>) {
    match s {
        None => h.write_u8(0),
        Some(s) => {
            h.write_u8(1);
            hash_str(h, s);
        }
    }
}

fn hash_opt_us(h: &mut impl Hasher, t: Option<i64>) {
    match t {
        None => h.write_u8(0),
        Some(t) => {
            h.write_u8(1);
            h.write_i64(t);
        }
    }
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
    /// The bytes of a row's digest in the making ([`of_row`]).
    static ROW_BUF: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

#[cfg(test)]
mod tests {
    use casewatch_engine::finding::State;
    use jiff::Timestamp;

    use super::*;

    fn finding(rule: &str, reference: &str, state: State, due_s: i64) -> Finding {
        let t = |s: i64| Timestamp::from_second(s).ok();
        Finding {
            rule: Arc::from(rule),
            case: Arc::from("C-1"),
            subject: Some(Arc::from("P1")),
            reference: Arc::from(reference),
            state,
            started: t(1_000),
            due: t(due_s),
            warn_at: t(due_s - 100),
            stopped: None,
            explain: String::new(),
            unit: Some(Arc::from("U-1")),
            officer: Some(Arc::from("O-1")),
            next_transition: t(due_s - 100),
        }
    }

    /// The digest depends on the findings and not on their order; it moves with any column
    /// the case's rows are written with, and not with time's moves of an open clock.
    #[test]
    fn a_case_digest_ignores_order_and_sees_every_column() {
        let pack = crate::testing::standard_pack().expect("standard pack");
        let cal = Calendar::standard();
        let fp = Fingerprints::new(&pack, &cal);
        let rule = pack
            .rules
            .first()
            .map(|r| r.id.to_string())
            .expect("a rule");
        let paths: HashMap<String, String> = [("U-1".to_owned(), "/U-0/U-1/".to_owned())].into();
        let fs = vec![
            finding(&rule, "E-1", State::Running, 90_000),
            finding(&rule, "E-2", State::Warning, 80_000),
            finding("other", "E-3", State::Met, 70_000),
        ];
        let d =
            |fs: &[Finding], unit: Option<&str>, n: usize| of_findings(&fp, fs, unit, &paths, n);
        let base = d(&fs, None, 7);
        let mut reversed = fs.clone();
        reversed.reverse();
        assert_eq!(d(&reversed, None, 7), base);

        let mut changed: Vec<Vec<Finding>> = Vec::new();
        for i in 0..8 {
            let mut v = fs.clone();
            if let Some(f) = v.get_mut(1) {
                match i {
                    0 => f.state = State::Met,
                    1 => f.due = Timestamp::from_second(80_001).ok(),
                    2 => f.warn_at = None,
                    3 => f.stopped = Timestamp::from_second(5_000).ok(),
                    4 => {
                        // Paused: time no longer moves it.
                        f.state = State::Running;
                        f.next_transition = None;
                    }
                    5 => f.officer = Some(Arc::from("O-2")),
                    6 => f.unit = Some(Arc::from("U-2")),
                    _ => f.subject = None,
                }
            }
            changed.push(v);
        }
        // A clock that only moved with time keeps the digest: its row did not change.
        let mut later = fs.clone();
        if let Some(f) = later.get_mut(1) {
            f.state = State::Overdue;
            f.next_transition = None;
        }
        assert_eq!(d(&later, None, 7), base);

        let mut seen = vec![base];
        for v in &changed {
            let x = d(v, None, 7);
            assert!(!seen.contains(&x), "{v:?}");
            seen.push(x);
        }
        assert_ne!(d(&fs, None, 8), base, "events in effect");
        assert_ne!(d(&fs, Some("U-1"), 7), base, "the case's unit");
        assert_ne!(d(&fs[..2], None, 7), base, "a finding fewer");
        // Moving a column's value from one finding to another changes the digest.
        let mut swapped = fs.clone();
        if let [a, b, ..] = swapped.as_mut_slice() {
            std::mem::swap(&mut a.due, &mut b.due);
        }
        assert_ne!(d(&swapped, None, 7), base);
    }
}
