//! The `casewatch` binary as a user runs it.

#![cfg(test)]

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_casewatch");

struct Dir {
    tmp: tempfile::TempDir,
}

impl Dir {
    fn new() -> Dir {
        Dir {
            tmp: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.tmp.path().join(name)
    }

    fn write(&self, name: &str, content: &str) -> PathBuf {
        let p = self.path(name);
        std::fs::File::create(&p)
            .unwrap()
            .write_all(content.as_bytes())
            .unwrap();
        p
    }

    fn db(&self) -> String {
        format!("sqlite://{}", self.path("t.db").display())
    }

    /// Runs the binary in this directory with no database variable from the caller's environment.
    fn run(&self, args: &[&str]) -> Output {
        Command::new(BIN)
            .args(args)
            .current_dir(self.tmp.path())
            .env_remove("CASEWATCH_DATABASE_URL")
            .output()
            .unwrap()
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

const GOOD_JSONL: &str = r#"{"id":"e1","type":"case.accepted","case":"C1","at":"2026-03-01T09:00:00+08:00","data":{"kind":"criminal"}}
{"id":"e2","type":"person.registered","case":"C1","subject":"P1","at":"2026-03-01T10:00:00+08:00","data":{"role":"suspect","name":"王某"}}
"#;

fn count_cases(dir: &Dir) -> usize {
    // `replay` prints the number of cases it rebuilt: a read-only way to count from outside.
    let out = dir.run(&["replay", "--database", &dir.db()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    s.split("重建完成：")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(usize::MAX)
}

#[test]
fn import_all_three_formats() {
    let d = Dir::new();
    let jsonl = d.write("a.jsonl", GOOD_JSONL);
    let json = d.write("b.json", r#"[{"id":"e3","type":"detention.started","case":"C1","subject":"P1","at":"2026-03-02T10:23:00+08:00"}]"#);
    let csv = d.write(
        "c.csv",
        "id,type,case,subject,at,unit,officer,data\ne4,case.accepted,C2,,2026-03-01T09:00:00+08:00,U1,O1,\"{\"\"kind\"\":\"\"administrative\"\"}\"\n",
    );
    let out = d.run(&[
        "import",
        "--database",
        &d.db(),
        jsonl.to_str().unwrap(),
        json.to_str().unwrap(),
        csv.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("读取 4 个事件，新增 4，重复 0"),
        "{}",
        text(&out.stdout)
    );
    let again = d.run(&["import", "--database", &d.db(), jsonl.to_str().unwrap()]);
    assert!(
        text(&again.stdout).contains("新增 0，重复 2"),
        "{}",
        text(&again.stdout)
    );
    assert_eq!(count_cases(&d), 2);
}

#[test]
fn bad_input_names_file_line_and_field_and_stores_nothing() {
    let d = Dir::new();
    let bad = d.write(
        "bad.jsonl",
        &format!(
            "{GOOD_JSONL}{}\n",
            r#"{"id":"e3","type":"detention.started","case":"C1","at":"2026-03-02T10:23:00+08:00"}"#
        ),
    );
    let out = d.run(&["import", "--database", &d.db(), bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("bad.jsonl：第 3 行，字段 subject"), "{err}");
    assert!(err.contains("未导入任何事件"), "{err}");
    assert_eq!(count_cases(&d), 0, "nothing of the file was stored");

    let broken = d.write("broken.json", "[{\"id\":\"x\"},\n oops]");
    let out = d.run(&["import", "--database", &d.db(), broken.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("broken.json：第 2 行"),
        "{}",
        text(&out.stderr)
    );

    let unknown = d.write("x.txt", "");
    let out = d.run(&["import", "--database", &d.db(), unknown.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("无法识别的文件类型"));
}

#[test]
fn a_conflict_in_a_later_batch_keeps_earlier_batches_and_says_so() {
    let d = Dir::new();
    let first = d.write("a.jsonl", GOOD_JSONL);
    assert!(
        d.run(&["import", "--database", &d.db(), first.to_str().unwrap()])
            .status
            .success()
    );
    let mut lines = String::new();
    for i in 0..5 {
        lines.push_str(&format!("{{\"id\":\"n{i}\",\"type\":\"case.filed\",\"case\":\"K{i}\",\"at\":\"2026-03-01T09:00:00+08:00\"}}\n"));
    }
    lines.push_str(r#"{"id":"e1","type":"case.accepted","case":"C1","at":"2026-03-01T09:00:00+08:00","data":{"kind":"administrative"}}"#);
    let second = d.write("b.jsonl", &lines);
    let out = d.run(&[
        "import",
        "--database",
        &d.db(),
        "--batch-size",
        "2",
        second.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("b.jsonl：第 6 行，字段 id（事件 e1）"),
        "{err}"
    );
    assert!(err.contains("此前已保存 4 个事件"), "{err}");
}

#[test]
fn the_database_comes_from_flag_env_or_config_file() {
    let d = Dir::new();
    let f = d.write("a.jsonl", GOOD_JSONL);
    // The environment variable.
    let env_db = format!("sqlite://{}", d.path("env.db").display());
    let out = Command::new(BIN)
        .args(["import", f.to_str().unwrap()])
        .current_dir(d.tmp.path())
        .env("CASEWATCH_DATABASE_URL", &env_db)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(d.path("env.db").exists());
    // The config file in the working directory.
    d.write("casewatch.toml", "database_url = \"sqlite://file.db\"\n");
    assert!(d.run(&["import", f.to_str().unwrap()]).status.success());
    assert!(d.path("file.db").exists());
    // The flag wins over both.
    let out = Command::new(BIN)
        .args(["import", "--database", &d.db(), f.to_str().unwrap()])
        .current_dir(d.tmp.path())
        .env("CASEWATCH_DATABASE_URL", &env_db)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(d.path("t.db").exists());
    assert!(
        !d.path("casewatch.db").exists(),
        "the default was never used"
    );
}

#[test]
fn demo_verify_and_a_tampered_log() {
    let d = Dir::new();
    let out = d.run(&[
        "demo",
        "--database",
        &d.db(),
        "--cases",
        "50",
        "--seed",
        "3",
        "--now",
        "2026-11-22T12:00:00+08:00",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("50 个案件"));
    let ok = d.run(&["verify", "--database", &d.db()]);
    assert!(ok.status.success());
    assert!(text(&ok.stdout).contains("哈希链完整"));

    tamper(&d.path("t.db"));
    let bad = d.run(&["verify", "--database", &d.db()]);
    assert_eq!(bad.status.code(), Some(3));
    assert!(
        text(&bad.stdout).contains("哈希链断裂：第 7 个事件"),
        "{}",
        text(&bad.stdout)
    );
}

/// Edits event 7 behind Casewatch's back, as an intruder with file access would.
fn tamper(db: &Path) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let pool = sqlx_pool(db).await;
        sqlx::query("DROP TRIGGER events_no_update")
            .execute(&pool)
            .await
            .unwrap();
        sqlx::query("UPDATE events SET recorded_at_us = recorded_at_us + 1 WHERE seq = 7")
            .execute(&pool)
            .await
            .unwrap();
    });
}

async fn sqlx_pool(db: &Path) -> sqlx::SqlitePool {
    sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display()))
        .await
        .unwrap()
}

#[test]
fn serve_demo_starts_with_data_and_answers() {
    let d = Dir::new();
    let mut child = Command::new(BIN)
        .args([
            "serve",
            "--database",
            &d.db(),
            "--listen",
            "127.0.0.1:0",
            "--demo",
            "--demo-cases",
            "30",
        ])
        .current_dir(d.tmp.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut addr = None;
    for line in BufReader::new(stdout).lines().map_while(Result::ok) {
        if let Some(rest) = line.split("http://").nth(1) {
            addr = rest.split('/').next().map(str::to_owned);
            break;
        }
    }
    let addr = addr.expect("the server prints its address");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let page: serde_json::Value = rt.block_on(async {
        reqwest::get(format!("http://{addr}/api/v1/cases?per_page=1"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    });
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(page["total"], 30);
}
