//! Times the evaluator over a history, single-threaded, the way a re-evaluation of every case
//! runs it.
//!
//! ```text
//! casewatch demo --cases 20000 --seed 7 --now 2026-06-01T00:00:00+08:00 --out /tmp/demo.jsonl
//! cargo run --release -p casewatch-engine --example eval_timing -- /tmp/demo.jsonl \
//!     [--at 2026-06-01T00:00:00+08:00] [--reps 3] [--dump findings.txt]
//! ```
//!
//! `--dump` writes every finding (`Debug`, one per line, cases in id order), so that two builds
//! can be compared for identical output.

use std::collections::BTreeMap;
use std::error::Error;
use std::io::Write;
use std::path::Path;
use std::time::Instant;

use casewatch_core::Event;
use casewatch_core::time::parse_instant;
use casewatch_engine::time::Calendar;
use casewatch_engine::{Pack, evaluate, scenario};

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let mut events_path = None;
    let (mut at, mut reps, mut dump) = ("2026-06-01T00:00:00+08:00".to_owned(), 3u32, None);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--at" => at = args.next().ok_or("--at needs an instant")?,
            "--reps" => reps = args.next().ok_or("--reps needs a number")?.parse()?,
            "--dump" => dump = Some(args.next().ok_or("--dump needs a file")?),
            _ => events_path = Some(a),
        }
    }
    let events_path =
        events_path.ok_or("usage: eval_timing EVENTS.jsonl [--at T] [--reps N] [--dump FILE]")?;
    let now = parse_instant(&at).map_err(|e| format!("--at: {e}"))?;
    let pack = Pack::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules/standard"))?;
    let cal = Calendar::standard();
    let text = std::fs::read_to_string(&events_path)?;
    let events = scenario::parse_events(&text).map_err(|bad| format!("{} bad lines", bad.len()))?;
    let mut by_case: BTreeMap<String, Vec<Event>> = BTreeMap::new();
    for e in events {
        by_case.entry(e.case.to_string()).or_default().push(e);
    }
    let cases: Vec<Vec<Event>> = by_case.into_values().collect();
    if let Some(path) = dump {
        let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
        for c in &cases {
            for f in evaluate(&pack, &cal, c, now) {
                writeln!(out, "{f:?}")?;
            }
        }
        out.flush()?;
    }
    for _ in 0..reps {
        let t = Instant::now();
        let n_findings: usize = cases
            .iter()
            .map(|c| evaluate(&pack, &cal, c, now).len())
            .sum();
        let secs = t.elapsed().as_secs_f64();
        let n = cases.len() as f64;
        println!(
            "{} cases, {n_findings} findings: {secs:.3} s, {:.0} cases/s, {:.1} µs/case",
            cases.len(),
            n / secs,
            secs * 1e6 / n
        );
    }
    Ok(())
}
