//! `casewatch import FILE...`: validate every file completely, then store them in batches.
//!
//! A file is read twice. The first pass validates every event without touching the database, so
//! that a file with any invalid event stores nothing. The second pass stores it in batches of
//! `batch_size`, each batch one transaction. Should storage refuse a batch (an id that exists with
//! other content), the batches before it stay stored and the summary says so; re-running the
//! import after the fix is safe, because events already stored are recognised as duplicates.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use casewatch_core::batch::{EventProblem, RawEvent, validate_batch};
use casewatch_core::time::Clock;
use casewatch_store::{Store, StoreError};
use indicatif::{ProgressBar, ProgressStyle};

use crate::source::{self, Format, Item, ReadError};

/// How many problems are printed before the rest are only counted.
const MAX_PRINTED: usize = 50;

/// The outcome of importing files.
#[derive(Debug, Default)]
pub struct Summary {
    /// Events read.
    pub read: u64,
    /// Events stored.
    pub accepted: u64,
    /// Events already stored (no-ops).
    pub duplicates: u64,
}

/// Why an import failed.
#[derive(Debug)]
pub enum ImportError {
    /// Input is invalid; the message names file, line and field. Nothing of that file was
    /// stored, or, for a storage conflict, only the batches listed.
    Invalid(String),
    /// Anything else (IO, database).
    Other(anyhow::Error),
}

impl From<anyhow::Error> for ImportError {
    fn from(e: anyhow::Error) -> Self {
        ImportError::Other(e)
    }
}

/// Settings of an import.
pub struct ImportOptions {
    /// Events per transaction.
    pub batch_size: usize,
    /// Whether to draw progress bars (on a terminal).
    pub progress: bool,
}

/// Imports `files` into `store`.
pub async fn import(
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    files: &[PathBuf],
    opts: &ImportOptions,
) -> Result<Summary, ImportError> {
    let mut formats = Vec::new();
    for f in files {
        let format = Format::of(f).ok_or_else(|| {
            ImportError::Invalid(format!(
                "{}：无法识别的文件类型；支持 .jsonl、.json、.csv",
                f.display()
            ))
        })?;
        formats.push((f.clone(), format));
    }
    // Pass 1: validate everything before storing anything.
    for (path, format) in &formats {
        validate_file(path, *format, clock.now(), opts).await?;
    }
    // Pass 2: store.
    let mut total = Summary::default();
    for (path, format) in &formats {
        let s = store_file(&store, &clock, path, *format, opts).await?;
        total.read += s.read;
        total.accepted += s.accepted;
        total.duplicates += s.duplicates;
    }
    Ok(total)
}

fn bar(path: &Path, phase: &str, show: bool) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let len = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let pb = ProgressBar::new(len);
    if let Ok(style) = ProgressStyle::with_template(
        "{prefix} {msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} 剩余 {eta}",
    ) {
        pb.set_style(style.progress_chars("=> "));
    }
    pb.set_prefix(phase.to_owned());
    pb.set_message(path.display().to_string());
    pb
}

/// Messages from the reading thread.
enum Msg {
    Chunk(Vec<RawEvent>, Vec<EventProblem>, u64),
    Done(Result<(), ReadError>),
}

/// Reads a file on a blocking thread and hands out chunks of `size` events through a bounded
/// channel, so that memory holds at most a few chunks whatever the file's size.
fn spawn_reader(path: PathBuf, format: Format, size: usize) -> tokio::sync::mpsc::Receiver<Msg> {
    let (tx, rx) = tokio::sync::mpsc::channel(2);
    std::thread::spawn(move || {
        let mut events = Vec::with_capacity(size);
        let mut problems = Vec::new();
        let mut index = 0usize;
        let mut last_bytes = 0u64;
        let result = source::read(&path, format, |item, bytes| {
            last_bytes = bytes;
            match item {
                Item::Event(e) => events.push(e),
                Item::Invalid(mut p) => {
                    p.index = index;
                    problems.push(p);
                }
            }
            index += 1;
            if events.len() >= size {
                let chunk = std::mem::replace(&mut events, Vec::with_capacity(size));
                // A closed channel means the consumer gave up; the read simply ends with it.
                let _ = tx.blocking_send(Msg::Chunk(chunk, std::mem::take(&mut problems), bytes));
            }
        });
        let _ = tx.blocking_send(Msg::Chunk(events, problems, last_bytes));
        let _ = tx.blocking_send(Msg::Done(result));
    });
    rx
}

fn describe(path: &Path, p: &EventProblem, offset: usize) -> String {
    let place = match p.line {
        Some(line) => format!("第 {line} 行"),
        None => format!("第 {} 个事件", offset + p.index + 1),
    };
    let field = if p.error.field.is_empty() {
        String::new()
    } else {
        format!("，字段 {}", p.error.field)
    };
    let id =
        p.id.as_deref()
            .map(|i| format!("（事件 {i}）"))
            .unwrap_or_default();
    format!(
        "{}：{place}{field}{id}：{} [{}]",
        path.display(),
        p.error.message,
        p.error.code
    )
}

fn read_failure(path: &Path, e: ReadError) -> ImportError {
    match e {
        ReadError::Io(e) => ImportError::Invalid(format!("{}：无法读取：{e}", path.display())),
        ReadError::Malformed(m) => ImportError::Invalid(format!(
            "{}：第 {} 行：{}",
            path.display(),
            m.line,
            m.message
        )),
    }
}

async fn validate_file(
    path: &Path,
    format: Format,
    now: jiff::Timestamp,
    opts: &ImportOptions,
) -> Result<(), ImportError> {
    let pb = bar(path, "校验", opts.progress);
    let mut rx = spawn_reader(path.to_owned(), format, opts.batch_size);
    let mut printed: Vec<String> = Vec::new();
    let mut n_problems = 0usize;
    let mut offset = 0usize;
    while let Some(msg) = rx.recv().await {
        match msg {
            Msg::Chunk(raw, mut problems, bytes) => {
                if let Err(more) = validate_batch(&raw, Some(now)) {
                    problems.extend(more.into_iter().map(|mut p| {
                        p.index += offset;
                        p
                    }));
                }
                n_problems += problems.len();
                for p in problems
                    .iter()
                    .take(MAX_PRINTED.saturating_sub(printed.len()))
                {
                    printed.push(describe(path, p, 0));
                }
                offset += raw.len();
                pb.set_position(bytes);
            }
            Msg::Done(result) => {
                pb.finish_and_clear();
                result.map_err(|e| read_failure(path, e))?;
            }
        }
    }
    if n_problems == 0 {
        return Ok(());
    }
    let mut msg = printed.join("\n");
    if n_problems > printed.len() {
        msg.push_str(&format!(
            "\n……另有 {} 处问题未列出",
            n_problems - printed.len()
        ));
    }
    msg.push_str(&format!(
        "\n{}：共 {n_problems} 处问题，未导入任何事件",
        path.display()
    ));
    Err(ImportError::Invalid(msg))
}

async fn store_file(
    store: &Arc<dyn Store>,
    clock: &Arc<dyn Clock>,
    path: &Path,
    format: Format,
    opts: &ImportOptions,
) -> Result<Summary, ImportError> {
    let started = Instant::now();
    let pb = bar(path, "导入", opts.progress);
    let mut rx = spawn_reader(path.to_owned(), format, opts.batch_size);
    let mut s = Summary::default();
    let mut offset = 0usize;
    while let Some(msg) = rx.recv().await {
        match msg {
            Msg::Chunk(raw, _, bytes) => {
                if raw.is_empty() {
                    continue;
                }
                let now = clock.now();
                // The file was validated in pass 1; only the clock moved since.
                let events = validate_batch(&raw, Some(now)).map_err(|problems| {
                    let lines: Vec<String> = problems
                        .iter()
                        .take(MAX_PRINTED)
                        .map(|p| describe(path, p, offset))
                        .collect();
                    ImportError::Invalid(lines.join("\n"))
                })?;
                match store.append(&events, now).await {
                    Ok(out) => {
                        s.accepted += out.accepted;
                        s.duplicates += out.duplicates;
                    }
                    Err(StoreError::Rejected(problems)) => {
                        pb.finish_and_clear();
                        let mut lines: Vec<String> = problems
                            .iter()
                            .take(MAX_PRINTED)
                            .map(|p| {
                                let ep = EventProblem {
                                    index: p.index,
                                    line: raw.get(p.index).and_then(|r| r.line),
                                    id: Some(p.id.clone()),
                                    error: p.error.clone(),
                                };
                                describe(path, &ep, offset)
                            })
                            .collect();
                        lines.push(format!(
                            "{}：该批次（第 {} 至 {} 个事件）未保存；此前已保存 {} 个事件。修正后重新导入即可，已保存的事件会被识别为重复而跳过",
                            path.display(),
                            offset + 1,
                            offset + raw.len(),
                            s.accepted
                        ));
                        return Err(ImportError::Invalid(lines.join("\n")));
                    }
                    Err(e) => {
                        return Err(ImportError::Other(
                            anyhow::Error::new(e)
                                .context(format!("{}：写入数据库失败", path.display())),
                        ));
                    }
                }
                s.read += raw.len() as u64;
                offset += raw.len();
                pb.set_position(bytes);
            }
            Msg::Done(result) => {
                pb.finish_and_clear();
                result.map_err(|e| read_failure(path, e))?;
            }
        }
    }
    let secs = started.elapsed().as_secs_f64().max(1e-9);
    tracing::info!(file = %path.display(), read = s.read, accepted = s.accepted, duplicates = s.duplicates, secs, "imported");
    Ok(s)
}

/// Prints the summary line of an import.
pub fn summary_line(s: &Summary, secs: f64) -> String {
    let rate = s.read as f64 / secs.max(1e-9);
    format!(
        "导入完成：读取 {} 个事件，新增 {}，重复 {}，用时 {:.1} 秒（{:.0} 个/秒）",
        s.read, s.accepted, s.duplicates, secs, rate
    )
}

/// Opens the store for a command, with the database URL in the error if it fails.
///
/// The audit trail is signed with the key in `audit_key_file` when the configuration names one
/// (see `casewatch audit keygen`).
pub async fn open_store(
    cfg: &crate::config::Config,
    rules: Option<&Path>,
) -> anyhow::Result<Arc<dyn Store>> {
    let url = cfg.database_url.as_str();
    let pack = crate::rules_cmd::load_pack(rules).map_err(|m| anyhow::anyhow!(m))?;
    let audit_key = match &cfg.audit_key_file {
        Some(path) => {
            let bytes = std::fs::read(path)
                .with_context(|| format!("无法读取审计签名密钥文件 `{}`", path.display()))?;
            Some(
                casewatch_store::AuditKey::parse(&bytes)
                    .with_context(|| format!("审计签名密钥文件 `{}` 无效", path.display()))?,
            )
        }
        None => None,
    };
    casewatch_store::open_with(
        url,
        Arc::new(pack),
        casewatch_store::StoreOptions {
            audit_key,
            ..casewatch_store::StoreOptions::default()
        },
    )
    .await
    .with_context(|| format!("无法打开数据库 `{}`", redact(url)))
}

/// A database URL with its password hidden, for messages and logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let creds = url.get(scheme + 3..at).unwrap_or_default();
            match creds.split_once(':') {
                Some((user, _)) => format!(
                    "{}{user}:***{}",
                    url.get(..scheme + 3).unwrap_or_default(),
                    url.get(at..).unwrap_or_default()
                ),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}
