//! The lazy stream of events: one case at a time, each from its own random stream.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::Value;

use crate::case::CaseCtx;
use crate::clock::{DAY, HOUR, MIN, day_start, local_day, local_year};
use crate::org::{Directory, build};
use crate::timeline::{CaseRefs, Timeline};
use crate::{DemoConfig, admin, cause::Cause, criminal};

/// How far back the history reaches: about eighteen months.
const HISTORY: i64 = 548 * DAY;

/// Relative frequency of reports by hour of day (Asia/Shanghai): quiet before dawn, busiest in
/// the evening.
const HOUR_WEIGHTS: [u32; 24] = [
    4, 3, 2, 2, 1, 1, 2, 3, 5, 6, 6, 6, 5, 5, 6, 6, 6, 7, 8, 9, 9, 8, 7, 5,
];

/// The events of a demo history, case by case; see [`crate::events`].
///
/// Memory stays flat however many cases are asked for: only the events of the current case are
/// held. Each case is generated from its own ChaCha stream (`stream = case index`), so the
/// output does not depend on how far the consumer has read.
#[derive(Debug)]
pub struct Events {
    cases: u64,
    now: i64,
    start: i64,
    seed: [u8; 32],
    dir: Directory,
    next_case: u64,
    year: i64,
    serial: u64,
    timeline: Timeline,
    /// The id of the case being written.
    case_id: String,
    /// The index in `dir.handlers` of its handling unit, and its two officers.
    handler: usize,
    lead: usize,
    assist: usize,
}

impl Events {
    pub(crate) fn new(cfg: &DemoConfig) -> Self {
        let now = cfg.now.as_second();
        let seed = ChaCha8Rng::seed_from_u64(cfg.seed).get_seed();
        Self {
            cases: cfg.cases,
            now,
            start: now - HISTORY,
            seed,
            dir: build(cfg.seed).1,
            next_case: 0,
            year: i64::MIN,
            serial: 0,
            timeline: Timeline::default(),
            case_id: String::new(),
            handler: 0,
            lead: 0,
            assist: 0,
        }
    }

    /// Generates case number `i` (0-based) into the timeline.
    fn generate(&mut self, i: u64) {
        let mut rng = ChaCha8Rng::from_seed(self.seed);
        rng.set_stream(i);
        let t0 = report_time(&mut rng, i, self.cases, self.start, self.now);
        // INVARIANT: report times never decrease with `i`, so per-year serials are in order.
        let year = local_year(t0);
        if year != self.year {
            self.year = year;
            self.serial = 0;
        }
        self.serial += 1;
        self.case_id = format!("A{year}-{:06}", self.serial);
        let cause = Cause::draw(&mut rng);
        self.handler = cause.handler(&mut rng, &self.dir);
        let Some(handler) = self.dir.handlers.get(self.handler) else {
            return;
        };
        let n = handler.officers.len().max(1);
        self.lead = rng.random_range(0..n);
        self.assist = (self.lead + rng.random_range(1..n.max(2))) % n;
        let lead = handler.officers.get(self.lead).map_or("", String::as_str);
        let assist = handler
            .officers
            .get(self.assist)
            .map_or(lead, String::as_str);

        self.timeline.clear();
        let mut ctx = CaseCtx::new(
            rng,
            &mut self.timeline,
            &self.case_id,
            &handler.area,
            (lead, assist),
            cause,
        );
        if cause.is_criminal() {
            criminal::run(&mut ctx, t0);
        } else {
            admin::run(&mut ctx, t0);
        }
        ctx.corrections();
        self.timeline.seal(self.now);
    }
}

impl Iterator for Events {
    type Item = Value;

    fn next(&mut self) -> Option<Value> {
        loop {
            if let Some(handler) = self.dir.handlers.get(self.handler) {
                let lead = handler.officers.get(self.lead).map_or("", String::as_str);
                let assist = handler
                    .officers
                    .get(self.assist)
                    .map_or(lead, String::as_str);
                let refs = CaseRefs {
                    case: &self.case_id,
                    unit: &handler.unit,
                    lead,
                    assist,
                };
                if let Some(v) = self.timeline.next_value(&refs) {
                    return Some(v);
                }
            }
            if self.next_case >= self.cases {
                return None;
            }
            let i = self.next_case;
            self.next_case += 1;
            self.generate(i);
        }
    }
}

/// When case `i` of `n` was reported: cases are spread evenly over the history, in order, each
/// at an hour of the day drawn from [`HOUR_WEIGHTS`], never later than a minute before `now`.
fn report_time(rng: &mut ChaCha8Rng, i: u64, n: u64, start: i64, now: i64) -> i64 {
    let u: f64 = rng.random();
    #[expect(
        clippy::cast_precision_loss,
        clippy::cast_possible_truncation,
        reason = "a position within the history window; f64 is exact to well under a second here"
    )]
    let pos = start + ((i as f64 + u) / n.max(1) as f64 * HISTORY as f64) as i64;
    let total: u32 = HOUR_WEIGHTS.iter().sum();
    let mut r = rng.random_range(0..total);
    let mut hour = 0;
    for (h, w) in HOUR_WEIGHTS.iter().enumerate() {
        if r < *w {
            hour = i64::try_from(h).unwrap_or(0);
            break;
        }
        r -= w;
    }
    let t = day_start(local_day(pos)) + hour * HOUR + rng.random_range(0..60) * MIN;
    if t < now - MIN {
        t
    } else {
        (pos - pos.rem_euclid(MIN)).min(now - MIN)
    }
}
