//! The `casewatch` binary.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use casewatch_core::time::{Clock, SystemClock};
use clap::{Parser, Subcommand};

/// `println!` that ends the process quietly when standard output is closed (`casewatch … | head`)
/// instead of panicking, as command-line tools do.
macro_rules! outln {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        if let Err(e) = writeln!(std::io::stdout().lock(), $($t)*) {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                std::process::exit(0);
            }
        }
    }};
}

/// `print!` with the same handling of a closed standard output.
macro_rules! out {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        if let Err(e) = write!(std::io::stdout().lock(), $($t)*) {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                std::process::exit(0);
            }
        }
    }};
}

/// mimalloc instead of glibc's malloc: the evaluator and ingestion allocate many small, short-lived
/// strings (`docs/performance-notes.md`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod admin_cmd;
mod bench;
mod config;
mod demo;
mod import;
mod rules_cmd;
mod source;

/// Casewatch 执法监督平台: continuous supervision of police case handling.
#[derive(Debug, Parser)]
#[command(name = "casewatch", version, about)]
struct Cli {
    /// Database URL: `sqlite://PATH` or `postgres://USER@HOST/DB`. Default: `sqlite://casewatch.db`;
    /// also `CASEWATCH_DATABASE_URL` or `database_url` in the config file.
    #[arg(long, global = true, value_name = "URL")]
    database: Option<String>,
    /// Configuration file (TOML). Default: `casewatch.toml` in the working directory, if present.
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Rule pack folder to evaluate with. Default: the standard pack built into the binary.
    #[arg(long, global = true, value_name = "DIR")]
    rules: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Start the HTTP server (API at /api/v1, OpenAPI at /api/v1/openapi.json).
    Serve {
        /// Address to listen on. Default `127.0.0.1:8080`.
        #[arg(long, value_name = "ADDR")]
        listen: Option<String>,
        /// Largest request body in bytes. Default 16 MiB.
        #[arg(long, value_name = "BYTES")]
        body_limit: Option<usize>,
        /// Fill an empty database with demo data before serving.
        #[arg(long)]
        demo: bool,
        /// Cases of demo data for `--demo`.
        #[arg(long, default_value_t = 2000, value_name = "N")]
        demo_cases: u64,
        /// Seed of demo data for `--demo`.
        #[arg(long, default_value_t = 42, value_name = "S")]
        demo_seed: u64,
    },
    /// Import events from .jsonl, .json or .csv files (validated whole first, then stored in batches).
    Import {
        /// Files to import.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// Events per transaction.
        #[arg(long, default_value_t = 5000, value_name = "N")]
        batch_size: usize,
    },
    /// Evaluate a rule pack over a file of events at an instant and print every finding.
    Check {
        /// Events, one JSON object per line.
        #[arg(value_name = "EVENTS.jsonl")]
        events: PathBuf,
        /// The evaluation instant ("now"), RFC 3339 with offset.
        #[arg(long, value_name = "T")]
        at: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = CheckFormat::Jsonl)]
        format: CheckFormat,
    },
    /// Work with rule packs.
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
    /// Walk the event log's hash chain and name the first broken link.
    Verify,
    /// Rebuild every projection (the case ledger and findings) from the event log.
    Replay,
    /// Supervision coverage (监督覆盖率) overall and per unit.
    Coverage,
    /// The unit tree (市局 → 分局 → 派出所, 警种).
    Unit {
        #[command(subcommand)]
        command: admin_cmd::UnitCommand,
    },
    /// Accounts: `user add --admin` creates the first administrator.
    User {
        #[command(subcommand)]
        command: admin_cmd::UserCommand,
    },
    /// API tokens for machine ingestion and integrations.
    Token {
        #[command(subcommand)]
        command: admin_cmd::TokenCommand,
    },
    /// The tamper-evident audit trail.
    Audit {
        #[command(subcommand)]
        command: admin_cmd::AuditCommand,
    },
    /// The holiday calendar in the database.
    Calendar {
        #[command(subcommand)]
        command: CalendarCommand,
    },
    /// Evaluate every case again with the rule pack (`--rules`, default the standard pack) and
    /// store what changed, with its history.
    Reevaluate,
    /// Generate a synthetic history for a city bureau and import it.
    Demo {
        /// Number of cases.
        #[arg(long, value_name = "N")]
        cases: u64,
        /// Random seed: the same seed gives the same history.
        #[arg(long, value_name = "S")]
        seed: u64,
        /// The instant the history ends at (RFC 3339). Default: now.
        #[arg(long, value_name = "T")]
        now: Option<String>,
        /// Write the events to this JSON Lines file instead of importing them.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Measure performance at city scale on a synthetic history, each figure beside a baseline
    /// measured in the same run (docs/benchmarks.md).
    Bench(bench::BenchArgs),
}

/// Output formats of `check`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum CheckFormat {
    /// One JSON object per finding.
    Jsonl,
    /// A tab-separated table for people.
    Table,
}

#[derive(Debug, Subcommand)]
enum CalendarCommand {
    /// List the years and their rest days and make-up workdays.
    Show,
    /// Add or replace years from a file in the format of `data/holidays-cn.json`.
    Import {
        /// The file.
        file: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum RulesCommand {
    /// Check a pack and report every problem with file, rule and position.
    Validate {
        /// The pack folder.
        dir: PathBuf,
    },
    /// Run the scenarios of a pack (DIR/scenarios/**).
    Test {
        /// The pack folder.
        dir: PathBuf,
    },
    /// Evaluate the stored history under two packs and report, per rule and unit, how many
    /// findings would appear, disappear or change state. Writes nothing.
    Diff {
        /// The pack in force.
        old: PathBuf,
        /// The changed pack.
        new: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The benchmark's long queries are expected: sqlx's slow-statement warnings would bury its
    // progress lines.
    let default_level = match cli.command {
        Command::Serve { .. } => "info",
        Command::Bench(_) => "warn,sqlx::query=error",
        _ => "warn",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_level));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("错误：无法启动运行时：{e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("错误：{e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    // The engine commands need no database and no configuration.
    match &cli.command {
        Command::Check { events, at, format } => {
            let rules = &cli.rules;
            return Ok(rules_cmd::check(
                events,
                at,
                rules.as_deref(),
                matches!(format, CheckFormat::Table),
            ));
        }
        Command::Rules {
            command: RulesCommand::Validate { dir },
        } => return Ok(rules_cmd::validate(dir)),
        Command::Rules {
            command: RulesCommand::Test { dir },
        } => return Ok(rules_cmd::test(dir)),
        Command::Bench(args) => {
            // The benchmark stores a history of its own: measuring in the named database would
            // mix it with what is there, so the option is refused rather than ignored.
            anyhow::ensure!(
                cli.database.is_none(),
                "bench 不使用 --database：它在新建的 SQLite 文件中生成并测量自己的历史数据\
                 （文件位置见 --dir），指定 --postgres 时另在该数据库新建的 schema 中测量，结束后删除"
            );
            return bench::run(args.clone(), cli.rules.as_deref()).await;
        }
        _ => {}
    }
    let (listen, body_limit) = match &cli.command {
        Command::Serve {
            listen, body_limit, ..
        } => (listen.clone(), *body_limit),
        _ => (None, None),
    };
    let cfg = config::load(
        cli.config.as_deref(),
        &config::Overrides {
            database_url: cli.database.clone(),
            listen,
            body_limit,
        },
    )?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let progress = std::io::stderr().is_terminal();

    match cli.command {
        Command::Serve {
            demo,
            demo_cases,
            demo_seed,
            ..
        } => {
            let store = import::open_store(&cfg, cli.rules.as_deref()).await?;
            if demo {
                outln!("{}", demo::register_org(&store, demo_seed).await?);
                let n = store.count_events().await?;
                if n == 0 {
                    let org = demo::generate(&store, demo_cases, demo_seed, clock.now(), progress)
                        .await?;
                    outln!("{org}");
                } else {
                    eprintln!("数据库已有 {n} 个事件，不再生成演示数据");
                }
            }
            let addr: SocketAddr = cfg
                .listen
                .parse()
                .with_context(|| format!("监听地址 `{}` 无效", cfg.listen))?;
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("无法监听 {addr}"))?;
            let local = listener.local_addr()?;
            outln!(
                "Casewatch 已启动：http://{local}/  （API 文档：http://{local}/api/v1/openapi.json）"
            );
            tracing::info!(%local, database = %import::redact(&cfg.database_url), "listening");
            let state = casewatch_server::AppState::new(
                store,
                clock,
                casewatch_server::ServerConfig {
                    body_limit: cfg.body_limit,
                },
            )
            .map_err(|e| anyhow::anyhow!("访问策略无效：{e}"))?;
            casewatch_server::serve(listener, state, shutdown_signal()).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Import { files, batch_size } => {
            let store = import::open_store(&cfg, cli.rules.as_deref()).await?;
            let started = Instant::now();
            let opts = import::ImportOptions {
                batch_size: batch_size.max(1),
                progress,
            };
            match import::import(store, clock, &files, &opts).await {
                Ok(summary) => {
                    outln!(
                        "{}",
                        import::summary_line(&summary, started.elapsed().as_secs_f64())
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Err(import::ImportError::Invalid(msg)) => {
                    eprintln!("{msg}");
                    Ok(ExitCode::from(2))
                }
                Err(import::ImportError::Other(e)) => Err(e),
            }
        }
        Command::Verify => {
            let store = import::open_store(&cfg, cli.rules.as_deref()).await?;
            let total = store.count_events().await?;
            let pb = counter(total, "校验哈希链", progress);
            let report = store.verify(&|n| pb.set_position(n)).await?;
            pb.finish_and_clear();
            match report.broken {
                None => {
                    outln!(
                        "哈希链完整：{} 个事件，链头 {}",
                        report.n_events,
                        report.head.as_deref().unwrap_or("（空）")
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Some(b) => {
                    outln!(
                        "哈希链断裂：第 {} 个事件（编号 {}）：{}",
                        b.seq,
                        b.id,
                        b.reason
                    );
                    outln!("此前 {} 个事件完整", report.n_events);
                    Ok(ExitCode::from(3))
                }
            }
        }
        Command::Replay => {
            let store = import::open_store(&cfg, cli.rules.as_deref()).await?;
            let started = Instant::now();
            let pb = counter(0, "重建台账", progress);
            let report = store.replay(clock.now(), &|n| pb.set_position(n)).await?;
            pb.finish_and_clear();
            outln!(
                "重建完成：{} 个案件，{} 个事件，用时 {:.1} 秒",
                report.n_cases,
                report.n_events,
                started.elapsed().as_secs_f64()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Unit { command } => {
            let store = import::open_store(&cfg, cli.rules.as_deref()).await?;
            admin_cmd::unit(store.as_ref(), command).await
        }
        Command::User { command } => {
            let store = import::open_store(&cfg, cli.rules.as_deref()).await?;
            admin_cmd::user(store.as_ref(), command).await
        }
        Command::Token { command } => {
            let store = import::open_store(&cfg, cli.rules.as_deref()).await?;
            admin_cmd::token(store.as_ref(), command).await
        }
        Command::Audit { command } => {
            let store = import::open_store(&cfg, cli.rules.as_deref()).await?;
            admin_cmd::audit_cmd(store.as_ref(), command).await
        }
        Command::Coverage => {
            let store = import::open_store(&cfg, cli.rules.as_deref()).await?;
            let c = store.coverage(None).await?;
            let pct = |covered: i64, steps: i64| {
                if steps == 0 {
                    100.0
                } else {
                    covered as f64 * 100.0 / steps as f64
                }
            };
            outln!("单位\t案件\t步骤\t已监督\t覆盖率");
            for u in &c.units {
                outln!(
                    "{}\t{}\t{}\t{}\t{:.1}%",
                    u.unit.as_deref().unwrap_or("—"),
                    u.cases,
                    u.steps,
                    u.covered,
                    pct(u.covered, u.steps)
                );
            }
            outln!(
                "合计\t{}\t{}\t{}\t{:.1}%（有监督结论的案件 {} 件）",
                c.cases,
                c.steps,
                c.covered,
                pct(c.covered, c.steps),
                c.cases_watched
            );
            let unwatched = casewatch_engine::coverage::unwatched_types(&store.pack());
            outln!("尚无规则监督的事件类型：{}", unwatched.join("、"));
            Ok(ExitCode::SUCCESS)
        }
        Command::Calendar { command } => {
            let store = import::open_store(&cfg, cli.rules.as_deref()).await?;
            match command {
                CalendarCommand::Show => {
                    let cal = store.calendar();
                    for y in cal.years() {
                        if let Some((rest, makeup)) = cal.year(y) {
                            let list = |d: &[jiff::civil::Date]| {
                                d.iter()
                                    .map(ToString::to_string)
                                    .collect::<Vec<_>>()
                                    .join(" ")
                            };
                            outln!("{y}年：休息日 {} 天：{}", rest.len(), list(&rest));
                            outln!("{y}年：调休上班 {} 天：{}", makeup.len(), list(&makeup));
                        }
                    }
                    Ok(ExitCode::SUCCESS)
                }
                CalendarCommand::Import { file } => {
                    let text = std::fs::read_to_string(&file)
                        .with_context(|| format!("无法读取 `{}`", file.display()))?;
                    let cal = match casewatch_engine::time::Calendar::from_json(&text) {
                        Ok(c) => c,
                        Err(e) => {
                            eprintln!("{}：{e}", file.display());
                            return Ok(ExitCode::from(2));
                        }
                    };
                    for y in cal.years() {
                        if let Some((rest, makeup)) = cal.year(y) {
                            store
                                .put_calendar_year(y, rest, makeup, &file.display().to_string())
                                .await?;
                            outln!("已写入 {y} 年的节假日安排");
                        }
                    }
                    outln!("已保存。已有案件的期限请运行 `casewatch reevaluate` 按新日历重新计算");
                    Ok(ExitCode::SUCCESS)
                }
            }
        }
        Command::Reevaluate => {
            let store = import::open_store(&cfg, cli.rules.as_deref()).await?;
            let started = Instant::now();
            let pb = counter(0, "重新评估", progress);
            let report = store
                .reevaluate(clock.now(), &|n| pb.set_position(n))
                .await?;
            pb.finish_and_clear();
            outln!(
                "重新评估完成：{} 个案件，{} 条结论有变化，用时 {:.1} 秒",
                report.n_cases,
                report.n_changed,
                started.elapsed().as_secs_f64()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Rules {
            command: RulesCommand::Diff { old, new },
        } => {
            let store = import::open_store(&cfg, None).await?;
            rules_cmd::diff(store.as_ref(), &old, &new, clock.now(), progress).await
        }
        Command::Check { .. } | Command::Rules { .. } | Command::Bench(_) => Ok(ExitCode::SUCCESS),
        Command::Demo {
            cases,
            seed,
            now,
            out,
        } => {
            let now = match now {
                Some(s) => casewatch_core::time::parse_instant(&s)
                    .map_err(|m| anyhow::anyhow!("--now：{m}"))?,
                None => clock.now(),
            };
            if let Some(path) = out {
                let n = demo::write_jsonl(&path, cases, seed, now)?;
                outln!("已写入 {n} 个事件到 {}", path.display());
                return Ok(ExitCode::SUCCESS);
            }
            let store = import::open_store(&cfg, cli.rules.as_deref()).await?;
            outln!("{}", demo::register_org(&store, seed).await?);
            let org = demo::generate(&store, cases, seed, now, progress).await?;
            outln!("{org}");
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// A progress counter on standard error, hidden when it is not a terminal.
fn counter(total: u64, what: &str, show: bool) -> indicatif::ProgressBar {
    if !show {
        return indicatif::ProgressBar::hidden();
    }
    let pb = if total > 0 {
        indicatif::ProgressBar::new(total)
    } else {
        indicatif::ProgressBar::no_length()
    };
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{prefix} {pos}/{len} {per_sec} {elapsed}")
    {
        pb.set_style(style);
    }
    pb.set_prefix(what.to_owned());
    pb
}

/// Completes on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down");
}
