//! The results of a benchmark run: one [`Row`] per figure with its baseline, the table printed
//! at the end, and the JSON file.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};

/// The top-level numbers of the JSON file (SQLite figures), in the order the issue lists them.
pub const TOP_LEVEL: [&str; 6] = [
    "ingest_ratio",
    "latency_p99_ms",
    "timer_burst_s",
    "reevaluate_cases_per_s",
    "sweep_ratio",
    "dashboard_p99_ms",
];

/// One figure with the baseline measured beside it.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// The measurement (`ingest`, `latency p99`, …).
    pub measurement: String,
    /// `sqlite` or `postgres`.
    pub backend: String,
    /// The figure.
    pub figure: f64,
    /// Its unit (`events/s`, `ms`, …).
    pub unit: String,
    /// The baseline, in its own unit.
    pub baseline: Option<f64>,
    /// What the baseline is, with its unit.
    pub baseline_what: String,
    /// `figure / baseline`.
    pub ratio: Option<f64>,
    /// The target, as text (`ratio ≥ 0.5`), if the issue sets one.
    pub target: Option<String>,
    /// Whether the target is met.
    pub met: Option<bool>,
}

impl Row {
    /// A figure and its baseline; the ratio is `figure / baseline`.
    pub fn new(
        measurement: &str,
        backend: &str,
        figure: f64,
        unit: &str,
        baseline: Option<f64>,
        baseline_what: &str,
    ) -> Self {
        let ratio = baseline.filter(|b| *b > 0.0).map(|b| figure / b);
        Self {
            measurement: measurement.to_owned(),
            backend: backend.to_owned(),
            figure,
            unit: unit.to_owned(),
            baseline,
            baseline_what: baseline_what.to_owned(),
            ratio,
            target: None,
            met: None,
        }
    }

    /// Sets the target and whether it is met.
    pub fn target(mut self, text: &str, met: bool) -> Self {
        self.target = Some(text.to_owned());
        self.met = Some(met);
        self
    }
}

/// What one backend's run produced.
#[derive(Debug, Default)]
pub struct BackendReport {
    /// The table rows.
    pub rows: Vec<Row>,
    /// Top-level numbers by key ([`TOP_LEVEL`]).
    pub top: BTreeMap<&'static str, f64>,
    /// Everything measured, by measurement.
    pub details: Map<String, Value>,
}

impl BackendReport {
    /// Adds a row.
    pub fn row(&mut self, row: Row) {
        self.rows.push(row);
    }

    /// Adds the details of one measurement.
    pub fn detail(&mut self, name: &str, value: Value) {
        self.details.insert(name.to_owned(), value);
    }
}

/// A number for the table: three significant digits, thousands grouped.
pub fn num(x: f64) -> String {
    if !x.is_finite() {
        return "—".to_owned();
    }
    let abs = x.abs();
    if abs >= 1000.0 {
        let rounded = x.round();
        group(rounded)
    } else if abs >= 100.0 {
        format!("{x:.0}")
    } else if abs >= 10.0 {
        format!("{x:.1}")
    } else if abs >= 1.0 {
        format!("{x:.2}")
    } else if abs == 0.0 {
        "0".to_owned()
    } else {
        format!("{x:.3}")
    }
}

fn group(x: f64) -> String {
    let digits = format!("{:.0}", x.abs());
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(' ');
        }
        out.push(c);
    }
    if x < 0.0 { format!("-{out}") } else { out }
}

/// The table of every row, as lines of text.
pub fn table(rows: &[Row]) -> Vec<String> {
    let header = [
        "measurement",
        "backend",
        "figure",
        "baseline",
        "ratio",
        "target",
        "met?",
    ];
    let cells: Vec<[String; 7]> = rows
        .iter()
        .map(|r| {
            [
                r.measurement.clone(),
                r.backend.clone(),
                format!("{} {}", num(r.figure), r.unit),
                match r.baseline {
                    Some(b) => format!("{} {}", num(b), r.baseline_what),
                    None => r.baseline_what.clone(),
                },
                r.ratio.map(num).unwrap_or_else(|| "—".into()),
                r.target.clone().unwrap_or_else(|| "—".into()),
                match r.met {
                    Some(true) => "yes".into(),
                    Some(false) => "NO".into(),
                    None => "—".into(),
                },
            ]
        })
        .collect();
    let mut widths = header.map(|h| h.chars().count());
    for row in &cells {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cols: Vec<&str>| {
        cols.iter()
            .zip(widths)
            .map(|(c, w)| format!("{c}{}", " ".repeat(w.saturating_sub(c.chars().count()))))
            .collect::<Vec<_>>()
            .join(" | ")
            .trim_end()
            .to_owned()
    };
    let mut out = vec![line(header.to_vec())];
    out.push(
        widths
            .iter()
            .map(|w| "-".repeat(*w))
            .collect::<Vec<_>>()
            .join("-|-"),
    );
    for row in &cells {
        out.push(line(row.iter().map(String::as_str).collect()));
    }
    out
}

/// Percentile by nearest rank of sorted samples (`p` in 0–100); NaN when there are none.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted
        .get(rank.clamp(1, sorted.len()) - 1)
        .copied()
        .unwrap_or(f64::NAN)
}

/// Sorts samples for [`percentile`].
pub fn sorted(mut v: Vec<f64>) -> Vec<f64> {
    v.sort_by(f64::total_cmp);
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_by_nearest_rank() {
        let v = sorted((1..=200).map(f64::from).collect());
        assert_eq!(percentile(&v, 50.0), 100.0);
        assert_eq!(percentile(&v, 99.0), 198.0);
        assert_eq!(percentile(&v, 100.0), 200.0);
        assert!(percentile(&[], 99.0).is_nan());
    }

    #[test]
    fn numbers_for_people() {
        assert_eq!(num(1_234_567.0), "1 234 567");
        assert_eq!(num(0.5123), "0.512");
        assert_eq!(num(42.31), "42.3");
    }
}
