//! Streaming readers for event files: JSON Lines, JSON arrays and CSV. Each reads a file once,
//! front to back, in constant memory, and hands out chunks of raw events with their line numbers.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use casewatch_core::FieldError;
use casewatch_core::batch::{EventProblem, RawEvent};
use serde::Deserialize;
use serde_json::{Map, Value};

/// The formats `casewatch import` reads, by file extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `.jsonl` / `.ndjson`: one event per line.
    JsonLines,
    /// `.json`: an array of events.
    JsonArray,
    /// `.csv`: columns `id,type,case,subject,at,unit,officer,data`, `data` as JSON.
    Csv,
}

impl Format {
    /// The format of a file by its extension.
    pub fn of(path: &Path) -> Option<Format> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "jsonl" | "ndjson" => Some(Format::JsonLines),
            "json" => Some(Format::JsonArray),
            "csv" => Some(Format::Csv),
            _ => None,
        }
    }
}

/// What a reader hands out.
pub enum Item {
    /// An event as read, not yet validated.
    Event(RawEvent),
    /// A record that could not be turned into an event but does not stop the file.
    Invalid(EventProblem),
}

/// A file that cannot be read on: it is not in its format from this line on.
#[derive(Debug)]
pub struct Malformed {
    /// The 1-based line.
    pub line: u64,
    /// What is wrong.
    pub message: String,
}

/// Reads `path` and calls `sink` for each item with the bytes read so far. Stops at the first
/// malformed spot.
pub fn read(path: &Path, format: Format, mut sink: impl FnMut(Item, u64)) -> Result<(), ReadError> {
    let file = File::open(path).map_err(ReadError::Io)?;
    match format {
        Format::JsonLines => read_lines(BufReader::with_capacity(1 << 16, file), &mut sink),
        Format::JsonArray => read_array(BufReader::with_capacity(1 << 16, file), &mut sink),
        Format::Csv => read_csv(file, &mut sink),
    }
}

/// Why a file could not be read.
#[derive(Debug)]
pub enum ReadError {
    /// The operating system failed.
    Io(io::Error),
    /// The content is not in the file's format.
    Malformed(Malformed),
}

fn malformed(line: u64, message: String) -> ReadError {
    ReadError::Malformed(Malformed { line, message })
}

fn read_lines(mut r: impl BufRead, sink: &mut impl FnMut(Item, u64)) -> Result<(), ReadError> {
    let mut buf = String::new();
    let mut line = 0u64;
    let mut bytes = 0u64;
    loop {
        buf.clear();
        let n = r.read_line(&mut buf).map_err(|e| {
            if e.kind() == io::ErrorKind::InvalidData {
                malformed(line + 1, "不是 UTF-8 文本".into())
            } else {
                ReadError::Io(e)
            }
        })?;
        if n == 0 {
            return Ok(());
        }
        line += 1;
        bytes += n as u64;
        let text = buf.trim_start_matches('\u{feff}').trim();
        if text.is_empty() {
            continue;
        }
        let value: Value = serde_json::from_str(text).map_err(|e| {
            malformed(
                line,
                format!("不是有效的 JSON（第 {} 列）：{e}", e.column()),
            )
        })?;
        sink(
            Item::Event(RawEvent {
                line: Some(line),
                value,
            }),
            bytes,
        );
    }
}

/// A reader that counts lines and bytes and can peek, so that a JSON array can be read one
/// element at a time without holding the array.
struct Counting<R> {
    inner: R,
    newlines: u64,
    bytes: u64,
}

impl<R: BufRead> Read for Counting<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(out)?;
        let read = out.get(..n).unwrap_or_default();
        self.newlines += read.iter().filter(|&&b| b == b'\n').count() as u64;
        self.bytes += n as u64;
        Ok(n)
    }
}

impl<R: BufRead> Counting<R> {
    /// Skips whitespace and returns the next byte without consuming it.
    fn peek_non_ws(&mut self) -> io::Result<Option<u8>> {
        loop {
            let buf = self.inner.fill_buf()?;
            let Some(&b) = buf.first() else {
                return Ok(None);
            };
            if matches!(b, b' ' | b'\t' | b'\r' | b'\n') {
                if b == b'\n' {
                    self.newlines += 1;
                }
                self.inner.consume(1);
                self.bytes += 1;
            } else {
                return Ok(Some(b));
            }
        }
    }

    fn skip(&mut self) {
        self.inner.consume(1);
        self.bytes += 1;
    }

    fn line(&self) -> u64 {
        self.newlines + 1
    }
}

fn read_array(r: impl BufRead, sink: &mut impl FnMut(Item, u64)) -> Result<(), ReadError> {
    let mut c = Counting {
        inner: r,
        newlines: 0,
        bytes: 0,
    };
    // A UTF-8 byte order mark may precede the array.
    if c.inner
        .fill_buf()
        .map_err(ReadError::Io)?
        .starts_with(&[0xEF, 0xBB, 0xBF])
    {
        c.inner.consume(3);
    }
    match c.peek_non_ws().map_err(ReadError::Io)? {
        Some(b'[') => c.skip(),
        _ => {
            return Err(malformed(
                c.line(),
                "JSON 文件应为事件数组（以 [ 开头）；单行一个事件请使用 .jsonl".into(),
            ));
        }
    }
    if c.peek_non_ws().map_err(ReadError::Io)? == Some(b']') {
        c.skip();
    } else {
        loop {
            c.peek_non_ws().map_err(ReadError::Io)?;
            let line = c.line();
            let mut de = serde_json::Deserializer::from_reader(&mut c);
            let value = Value::deserialize(&mut de).map_err(|e| {
                malformed(
                    line + e.line().saturating_sub(1) as u64,
                    format!("不是有效的 JSON：{e}"),
                )
            })?;
            // A number is only known to end when the next byte is read, and serde_json keeps
            // that byte: the separator after a number element is gone. Numbers are not events
            // (validation refuses them), so accept the missing separator here.
            let ate_separator = value.is_number();
            sink(
                Item::Event(RawEvent {
                    line: Some(line),
                    value,
                }),
                c.bytes,
            );
            match c.peek_non_ws().map_err(ReadError::Io)? {
                Some(b',') => c.skip(),
                Some(b']') => {
                    c.skip();
                    break;
                }
                _ if ate_separator => {}
                Some(other) => {
                    return Err(malformed(
                        c.line(),
                        format!("数组元素之间应为逗号，遇到 `{}`", char::from(other)),
                    ));
                }
                None => return Err(malformed(c.line(), "文件在数组结束（]）之前结束".into())),
            }
        }
    }
    match c.peek_non_ws().map_err(ReadError::Io)? {
        None => Ok(()),
        Some(_) => Err(malformed(c.line(), "数组结束（]）之后还有内容".into())),
    }
}

/// The columns of the CSV format, in the order `casewatch` writes them.
pub const CSV_COLUMNS: [&str; 8] = [
    "id", "type", "case", "subject", "at", "unit", "officer", "data",
];

fn read_csv(r: impl Read, sink: &mut impl FnMut(Item, u64)) -> Result<(), ReadError> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(r);
    let headers = rdr.headers().map_err(|e| csv_error(&e))?.clone();
    let names: Vec<String> = headers
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_owned())
        .collect();
    if let Some(unknown) = names.iter().find(|n| !CSV_COLUMNS.contains(&n.as_str())) {
        return Err(malformed(
            1,
            format!("未知列 `{unknown}`；允许的列：{}", CSV_COLUMNS.join(",")),
        ));
    }
    for required in ["id", "type", "case", "at"] {
        if !names.iter().any(|n| n == required) {
            return Err(malformed(1, format!("缺少必需的列 `{required}`")));
        }
    }
    let mut record = csv::StringRecord::new();
    let mut index = 0usize;
    loop {
        match rdr.read_record(&mut record) {
            Ok(false) => return Ok(()),
            Ok(true) => {}
            Err(e) => return Err(csv_error(&e)),
        }
        let pos = record
            .position()
            .map(|p| (p.line(), p.byte()))
            .unwrap_or_default();
        let mut obj = Map::new();
        let mut problem = None;
        for (name, cell) in names.iter().zip(record.iter()) {
            if cell.is_empty() {
                continue;
            }
            if name == "data" {
                match serde_json::from_str::<Value>(cell) {
                    Ok(v) => {
                        obj.insert("data".into(), v);
                    }
                    Err(e) => {
                        problem = Some(FieldError {
                            field: "data".into(),
                            code: "malformed_json",
                            message: format!("data 列不是有效的 JSON：{e}"),
                        });
                    }
                }
            } else {
                obj.insert(name.clone(), Value::String(cell.to_owned()));
            }
        }
        let item = match problem {
            Some(error) => Item::Invalid(EventProblem {
                index,
                line: Some(pos.0),
                id: obj.get("id").and_then(Value::as_str).map(str::to_owned),
                error,
            }),
            None => Item::Event(RawEvent {
                line: Some(pos.0),
                value: Value::Object(obj),
            }),
        };
        sink(item, pos.1);
        index += 1;
    }
}

fn csv_error(e: &csv::Error) -> ReadError {
    let line = e.position().map_or(1, csv::Position::line);
    match e.kind() {
        csv::ErrorKind::Utf8 { .. } => malformed(line, "不是 UTF-8 文本".into()),
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => malformed(
            line,
            format!("列数为 {len}，与表头的 {expected_len} 列不一致"),
        ),
        _ => malformed(line, format!("CSV 格式错误：{e}")),
    }
}

#[cfg(test)]
mod tests;
