//! `casewatch bench`: performance at city scale, each figure beside a baseline measured in the
//! same run on the same data (issue 6; `docs/benchmarks.md` explains every figure).
//!
//! A run generates the demo bureau's history (`casewatch_demo`), stores it through the real
//! ingestion path into a fresh SQLite database in a temporary directory and, with `--postgres`,
//! into a fresh PostgreSQL schema, and measures on each: ingestion ([`ingest`]), full
//! re-evaluation ([`reevaluate`]), the naive per-rule sweep against incremental upkeep
//! ([`sweep`]), event→finding latency under load ([`latency`]), dashboard reads ([`dashboard`]),
//! alert-list throughput with `oha` ([`http`]), and a burst of timers over a million open clocks
//! with idle CPU and memory ([`timers`]). It prints a table and writes `--json FILE`.
//!
//! The benchmark is not a test: nothing here fails because a target is missed. It fails only
//! when a measurement cannot be taken.

use std::collections::HashSet;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use casewatch_store::Store;
use casewatch_store::bench::BenchStore;
use serde_json::{Map, Value, json};

mod dashboard;
mod history;
mod http;
mod ingest;
mod latency;
mod reevaluate;
mod report;
mod server;
mod sweep;
mod sys;
mod timers;

use report::{BackendReport, TOP_LEVEL};

/// Options of `casewatch bench`.
#[derive(Debug, Clone, clap::Args)]
pub struct BenchArgs {
    /// Cases of synthetic history (about 22 events each). The design point is 10 000 000.
    #[arg(long, default_value_t = 200_000, value_name = "N")]
    pub cases: u64,
    /// Seed of the synthetic history (and of the benchmark's random choices).
    #[arg(long, default_value_t = 42, value_name = "S")]
    pub seed: u64,
    /// Also measure on PostgreSQL, in a fresh schema of this database (dropped afterwards).
    #[arg(long, value_name = "URL")]
    pub postgres: Option<String>,
    /// Measure only on PostgreSQL (with `--postgres`), not on SQLite; the top-level numbers of
    /// the JSON file, which are SQLite's, are then null.
    #[arg(long, requires = "postgres")]
    pub postgres_only: bool,
    /// Write the results as JSON to this file.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Folder for SQLite's benchmark database: a fresh file, deleted afterwards (the benchmark
    /// never uses `--database`). About 3 GB per 100 000 cases. Default: the system's temporary
    /// folder.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Only these measurements (comma-separated): ingest, latency, timers, reevaluate, sweep,
    /// dashboard, http, memory. The history is stored either way.
    #[arg(long, value_name = "NAME,...")]
    pub only: Option<String>,
    /// Seconds of sustained load for the latency measurement.
    #[arg(long, default_value_t = 10.0, value_name = "S")]
    pub latency_secs: f64,
    /// Open clocks stored for the timer burst (a tenth of them warn or fall due in the
    /// same second).
    #[arg(long, default_value_t = 1_000_000, value_name = "N")]
    pub clocks: u64,
}

/// The measurements, by the name `--only` takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Measure {
    /// Events/s through `Store::append` against a raw insert.
    Ingest,
    /// Event→finding latency under 5 000 events/s over HTTP.
    Latency,
    /// A burst of clocks coming due; idle CPU.
    Timers,
    /// Full re-evaluation, cases/s.
    Reevaluate,
    /// The naive per-rule sweep against incremental upkeep.
    Sweep,
    /// Dashboard and list reads over HTTP, p99.
    Dashboard,
    /// Alert-list requests/s with `oha`.
    Http,
    /// Resident memory per million open clocks and during ingestion.
    Memory,
}

const MEASURES: [(Measure, &str); 8] = [
    (Measure::Ingest, "ingest"),
    (Measure::Latency, "latency"),
    (Measure::Timers, "timers"),
    (Measure::Reevaluate, "reevaluate"),
    (Measure::Sweep, "sweep"),
    (Measure::Dashboard, "dashboard"),
    (Measure::Http, "http"),
    (Measure::Memory, "memory"),
];

/// The measurements selected by `--only` (all without it).
#[derive(Debug, Clone)]
pub struct Selection(HashSet<Measure>);

impl Selection {
    fn parse(only: Option<&str>) -> anyhow::Result<Self> {
        let Some(list) = only else {
            return Ok(Self(MEASURES.iter().map(|(m, _)| *m).collect()));
        };
        let mut set = HashSet::new();
        for name in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let m = MEASURES
                .iter()
                .find(|(_, n)| *n == name)
                .map(|(m, _)| *m)
                .with_context(|| {
                    let names: Vec<&str> = MEASURES.iter().map(|(_, n)| *n).collect();
                    format!("--only：未知的测量 `{name}`；可选：{}", names.join("、"))
                })?;
            set.insert(m);
        }
        Ok(Self(set))
    }

    /// Whether `m` is selected.
    pub fn has(&self, m: Measure) -> bool {
        self.0.contains(&m)
    }
}

/// Progress on standard error: a bar on a terminal, plain lines otherwise.
pub struct Progress {
    tty: bool,
}

/// One phase's progress.
pub struct Phase {
    pb: indicatif::ProgressBar,
    label: String,
    len: u64,
    started: Instant,
    /// When a plain progress line was last printed.
    last: std::sync::Mutex<Instant>,
}

impl Progress {
    /// Starts a phase of `len` steps (0: unknown).
    pub fn phase(&self, label: String, len: u64) -> Phase {
        let pb = if self.tty {
            let pb = indicatif::ProgressBar::new(len);
            let template = if len > 0 {
                "{prefix} [{bar:30}] {pos}/{len} {per_sec} {elapsed}"
            } else {
                "{prefix} {pos} {elapsed}"
            };
            if let Ok(style) = indicatif::ProgressStyle::with_template(template) {
                pb.set_style(style.progress_chars("=> "));
            }
            pb.set_prefix(label.clone());
            pb
        } else {
            eprintln!("{label} …");
            indicatif::ProgressBar::hidden()
        };
        Phase {
            pb,
            label,
            len,
            started: Instant::now(),
            last: std::sync::Mutex::new(Instant::now()),
        }
    }
}

impl Phase {
    /// Reports `pos` steps done.
    pub fn set(&self, pos: u64) {
        if !self.pb.is_hidden() {
            self.pb.set_position(pos);
            return;
        }
        let Ok(mut last) = self.last.lock() else {
            return;
        };
        if last.elapsed() >= Duration::from_secs(10) {
            *last = Instant::now();
            if self.len > 0 {
                eprintln!("{}：{pos}/{}", self.label, self.len);
            } else {
                eprintln!("{}：{pos}", self.label);
            }
        }
    }

    /// Ends the phase with a one-line summary.
    pub fn finish(self, summary: &str) {
        self.pb.finish_and_clear();
        eprintln!(
            "{}：{summary}（{:.1} 秒）",
            self.label,
            self.started.elapsed().as_secs_f64()
        );
    }
}

/// What every measurement of one backend shares.
pub struct Cx<'a> {
    /// The options.
    pub args: &'a BenchArgs,
    /// `sqlite` or `postgres`.
    pub label: &'static str,
    /// The database.
    pub store: Arc<dyn Store>,
    /// The benchmark's own SQL on the same database.
    pub bench: Arc<dyn BenchStore>,
    /// Progress output.
    pub progress: &'a Progress,
    /// The demo bureau.
    pub org: casewatch_demo::Org,
    /// Selected measurements.
    pub sel: &'a Selection,
}

impl Cx<'_> {
    /// Starts a phase labelled with the backend.
    pub fn phase(&self, what: &str, len: u64) -> Phase {
        self.progress.phase(format!("[{}] {what}", self.label), len)
    }

    /// The bureau (root of the unit tree).
    pub fn root_unit(&self) -> String {
        self.org
            .units
            .iter()
            .find(|u| u.parent.is_none())
            .map(|u| u.id.clone())
            .unwrap_or_default()
    }

    /// The first district branch (分局): the unit the alert list is filtered by.
    pub fn branch_unit(&self) -> String {
        self.org
            .units
            .iter()
            .find(|u| u.kind == casewatch_demo::UnitKind::Branch)
            .map(|u| u.id.clone())
            .unwrap_or_else(|| self.root_unit())
    }
}

/// Runs `casewatch bench`.
pub async fn run(args: BenchArgs, rules: Option<&Path>) -> anyhow::Result<ExitCode> {
    let sel = Selection::parse(args.only.as_deref())?;
    anyhow::ensure!(args.cases > 0, "--cases 应大于 0");
    anyhow::ensure!(
        args.latency_secs > 0.0 && args.latency_secs.is_finite(),
        "--latency-secs 应大于 0"
    );
    let pack = Arc::new(crate::rules_cmd::load_pack(rules).map_err(|m| anyhow::anyhow!(m))?);
    let progress = Progress {
        tty: std::io::stderr().is_terminal(),
    };
    let machine = sys::machine();
    let started = Instant::now();
    eprintln!(
        "casewatch bench：{} 个案件，种子 {}；机器 {} × {}，1 分钟负载 {}",
        args.cases,
        args.seed,
        field(&machine, "cpus"),
        machine.get("cpu").and_then(Value::as_str).unwrap_or("?"),
        field(&machine, "load_average_1m")
    );

    let mut reports: Vec<(&'static str, Result<BackendReport, String>)> = Vec::new();

    if !args.postgres_only {
        let dir = match &args.dir {
            Some(parent) => tempfile::tempdir_in(parent)
                .with_context(|| format!("--dir：无法在 `{}` 中创建临时目录", parent.display()))?,
            None => tempfile::tempdir().context("无法创建临时目录")?,
        };
        let url = format!("sqlite://{}", dir.path().join("bench.db").display());
        let sqlite = run_backend(&args, &sel, &progress, "sqlite", &url, &pack).await;
        if let Err(e) = &sqlite {
            eprintln!("[sqlite] 失败：{e:#}");
        }
        reports.push(("sqlite", sqlite.map_err(|e| format!("{e:#}"))));
        drop(dir);
    }

    if let Some(base) = &args.postgres {
        let pg = match casewatch_store::bench::create_pg_schema(base).await {
            Ok((url, schema)) => {
                let out = run_backend(&args, &sel, &progress, "postgres", &url, &pack).await;
                if let Err(e) = casewatch_store::bench::drop_pg_schema(base, &schema).await {
                    eprintln!("[postgres] 无法删除临时 schema `{schema}`：{e}");
                }
                out
            }
            Err(e) => Err(anyhow::Error::from(e).context("无法创建 PostgreSQL schema")),
        };
        if let Err(e) = &pg {
            eprintln!("[postgres] 失败：{e:#}");
        }
        reports.push(("postgres", pg.map_err(|e| format!("{e:#}"))));
    }

    let rows: Vec<report::Row> = reports
        .iter()
        .filter_map(|(_, r)| r.as_ref().ok())
        .flat_map(|r| r.rows.iter().cloned())
        .collect();
    outln!();
    for line in report::table(&rows) {
        outln!("{line}");
    }
    outln!();
    outln!(
        "ratio = figure / baseline. sweep: naive per-rule SQL sweep per minute ÷ incremental upkeep per minute (44 events + one timer pass); see docs/benchmarks.md."
    );
    let elapsed = started.elapsed().as_secs_f64();
    outln!(
        "用时 {elapsed:.0} 秒；1 分钟负载 开始 {} 结束 {}（机器与其他构建共享）",
        field(&machine, "load_average_1m"),
        sys::load_average().map_or("?".into(), |l| l.to_string())
    );

    if let Some(path) = &args.json {
        let doc = json_document(&args, &sel, &reports, machine, elapsed);
        let text = serde_json::to_string_pretty(&doc)?;
        std::fs::write(path, text).with_context(|| format!("无法写入 `{}`", path.display()))?;
        eprintln!("结果已写入 {}", path.display());
    }
    let failed = reports.iter().any(|(_, r)| r.is_err());
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// A field of a JSON object for messages (`null` when absent).
fn field(v: &Value, key: &str) -> Value {
    v.get(key).cloned().unwrap_or(Value::Null)
}

/// Every measurement on one database.
async fn run_backend(
    args: &BenchArgs,
    sel: &Selection,
    progress: &Progress,
    label: &'static str,
    url: &str,
    pack: &Arc<casewatch_engine::Pack>,
) -> anyhow::Result<BackendReport> {
    let (store, bench) = casewatch_store::bench::open(url, Arc::clone(pack))
        .await
        .with_context(|| format!("无法打开 {label} 数据库"))?;
    // Units first, as `serve --demo` does, so that cases get their unit paths as they arrive.
    crate::demo::register_org(&store, args.seed).await?;
    let cx = Cx {
        args,
        label,
        store: Arc::clone(&store),
        bench,
        progress,
        org: casewatch_demo::org(args.seed),
        sel,
    };
    let mut report = BackendReport::default();
    let mut rss = Map::new();
    let mut note_rss = |phase: &str| {
        rss.insert(phase.to_owned(), json!(sys::rss_mib()));
    };
    note_rss("start");
    let history = ingest::run(&cx, &mut report).await?;
    cx.bench.analyze().await?;
    note_rss("after ingest");
    if sel.has(Measure::Reevaluate) {
        reevaluate::run(&cx, &mut report).await?;
        note_rss("after reevaluate");
    }
    if sel.has(Measure::Sweep) {
        sweep::run(&cx, &mut report).await?;
        note_rss("after sweep");
    }
    let clocks = sel.has(Measure::Timers) || sel.has(Measure::Memory);
    let served = [Measure::Latency, Measure::Dashboard, Measure::Http]
        .iter()
        .any(|m| sel.has(*m));
    if served || clocks {
        let server = server::Server::start(Arc::clone(&store), &cx.root_unit()).await?;
        let result = async {
            if sel.has(Measure::Latency) {
                latency::run(&cx, &server, &mut report).await?;
                note_rss("after latency");
            }
            if sel.has(Measure::Dashboard) {
                dashboard::run(&cx, &server, &history, &mut report).await?;
                note_rss("after dashboard");
            }
            if sel.has(Measure::Http) {
                http::run(&cx, &server, &mut report).await?;
                note_rss("after http");
            }
            if clocks {
                timers::run(&cx, &server, &mut report).await?;
                note_rss("after timers");
            }
            anyhow::Ok(())
        }
        .await;
        server.stop().await?;
        result?;
    }
    report.detail("rss_mib_by_phase", Value::Object(rss));
    Ok(report)
}

/// The JSON file: the six top-level numbers (SQLite), then everything per backend.
fn json_document(
    args: &BenchArgs,
    sel: &Selection,
    reports: &[(&'static str, Result<BackendReport, String>)],
    machine: Value,
    elapsed: f64,
) -> Value {
    let mut doc = Map::new();
    let sqlite = reports
        .iter()
        .find(|(l, _)| *l == "sqlite")
        .and_then(|(_, r)| r.as_ref().ok());
    for key in TOP_LEVEL {
        let v = sqlite.and_then(|r| r.top.get(key)).copied();
        doc.insert(key.to_owned(), v.map_or(Value::Null, |x| json!(x)));
    }
    let mut details = Map::new();
    details.insert(
        "command".into(),
        json!(std::env::args().collect::<Vec<_>>().join(" ")),
    );
    details.insert("cases".into(), json!(args.cases));
    details.insert("seed".into(), json!(args.seed));
    details.insert("latency_secs".into(), json!(args.latency_secs));
    details.insert("clocks".into(), json!(args.clocks));
    details.insert(
        "measurements".into(),
        json!(
            MEASURES
                .iter()
                .filter(|(m, _)| sel.has(*m))
                .map(|(_, n)| *n)
                .collect::<Vec<_>>()
        ),
    );
    details.insert("machine".into(), machine);
    details.insert("load_average_1m_at_end".into(), json!(sys::load_average()));
    details.insert("elapsed_s".into(), json!(elapsed));
    for (label, r) in reports {
        let v = match r {
            Ok(r) => {
                let mut m = r.details.clone();
                m.insert("rows".into(), json!(r.rows));
                m.insert(
                    "top".into(),
                    json!(
                        r.top
                            .iter()
                            .map(|(k, v)| ((*k).to_owned(), json!(*v)))
                            .collect::<Map<_, _>>()
                    ),
                );
                Value::Object(m)
            }
            Err(e) => json!({ "error": e }),
        };
        details.insert((*label).to_owned(), v);
    }
    doc.insert("details".into(), Value::Object(details));
    Value::Object(doc)
}
