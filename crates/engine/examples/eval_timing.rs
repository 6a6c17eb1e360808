//! Temporary timing harness (not to be committed).
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::time::Instant;

use casewatch_engine::time::Calendar;
use casewatch_engine::{Pack, scenario};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let events_path = args.get(1).cloned().unwrap_or_else(|| "/tmp/cwpred/demo.jsonl".into());
    let dump = args.get(2).cloned();
    let reps: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(3);
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules/standard");
    let pack = Pack::load(&root).unwrap();
    let cal = Calendar::standard();
    let text = std::fs::read_to_string(&events_path).unwrap();
    let events = scenario::parse_events(&text).unwrap();
    let now = casewatch_core::time::parse_instant("2026-06-01T00:00:00+08:00").unwrap();
    let mut by_case: BTreeMap<String, Vec<casewatch_core::Event>> = BTreeMap::new();
    for e in events {
        by_case.entry(e.case.to_string()).or_default().push(e);
    }
    let cases: Vec<Vec<casewatch_core::Event>> = by_case.into_values().collect();
    if let Some(d) = dump {
        let mut f = std::io::BufWriter::new(std::fs::File::create(d).unwrap());
        for c in &cases {
            for x in casewatch_engine::evaluate(&pack, &cal, c, now) {
                writeln!(f, "{x:?}").unwrap();
            }
        }
    }
    for _ in 0..reps {
        let t = Instant::now();
        let mut n = 0usize;
        for c in &cases {
            n += casewatch_engine::evaluate(&pack, &cal, c, now).len();
        }
        let el = t.elapsed();
        println!(
            "{} cases, {} findings, {:.3}s, {:.0} cases/s, {:.1} us/case",
            cases.len(),
            n,
            el.as_secs_f64(),
            cases.len() as f64 / el.as_secs_f64(),
            el.as_secs_f64() * 1e6 / cases.len() as f64
        );
    }
}
