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
    let (anonymous, page) = rt.block_on(async {
        let client = reqwest::Client::new();
        let url = format!("http://{addr}/api/v1/cases?per_page=1");
        let anonymous = client.get(&url).send().await.unwrap().status();
        // The printed demo account of the city's legal department sees every case.
        let login = client
            .post(format!("http://{addr}/api/v1/auth/login"))
            .json(&serde_json::json!({"user": "O-900003", "password": "Demo#2026-legal_dept"}))
            .send()
            .await
            .unwrap();
        assert_eq!(login.status(), reqwest::StatusCode::OK);
        let cookie = login.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        let page: serde_json::Value = client
            .get(&url)
            .header("cookie", cookie)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        (anonymous, page)
    });
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(anonymous, reqwest::StatusCode::UNAUTHORIZED);
    assert_eq!(page["total"], 30);
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn check_prints_findings_as_json_lines_and_as_a_table() {
    let d = Dir::new();
    let events = repo().join("scenarios/detention-basic.events.jsonl");
    let out = d.run(&[
        "check",
        events.to_str().unwrap(),
        "--at",
        "2026-03-03T12:00:00+08:00",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let lines: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let keys: Vec<String> = lines[0].as_object().unwrap().keys().cloned().collect();
    assert_eq!(
        keys,
        [
            "rule", "case", "subject", "ref", "state", "started", "due", "explain"
        ]
    );
    let f = lines
        .iter()
        .find(|l| l["rule"] == "criminal_detention_to_detention_house")
        .unwrap();
    assert_eq!(
        (f["state"].as_str(), f["due"].as_str()),
        (Some("met"), Some("2026-03-03T10:23:00+08:00"))
    );
    assert!(f["explain"].as_str().unwrap().contains("拘留"));
    // Sorted by case, subject, rule.
    // A case-level finding (subject null) comes before the subjects' ones.
    let order: Vec<(Option<String>, String)> = lines
        .iter()
        .map(|l| {
            (
                l["subject"].as_str().map(str::to_owned),
                l["rule"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(order, sorted);

    let table = d.run(&[
        "check",
        events.to_str().unwrap(),
        "--at",
        "2026-03-03T12:00:00+08:00",
        "--format",
        "table",
    ]);
    assert!(text(&table.stdout).contains("按期完成"));
}

#[test]
fn check_refuses_a_malformed_line_with_its_number_and_prints_nothing() {
    let d = Dir::new();
    let f = d.write(
        "bad.jsonl",
        &format!("{GOOD_JSONL}{{\"id\":\"x\",\"type\":\"case.filed\"}}\nnot json\n"),
    );
    let out = d.run(&[
        "check",
        f.to_str().unwrap(),
        "--at",
        "2026-03-03T12:00:00+08:00",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty(), "nothing on standard output");
    let err = text(&out.stderr);
    assert!(err.contains("第 3 行：字段 case"), "{err}");
    assert!(err.contains("第 4 行：不是有效的 JSON"), "{err}");
    // Events after --at are ignored; `at` in the future of the real clock is allowed here.
    let future = d.write("f.jsonl", r#"{"id":"e1","type":"case.accepted","case":"C1","at":"2030-03-01T09:00:00+08:00","data":{"kind":"criminal"}}"#);
    let out = d.run(&[
        "check",
        future.to_str().unwrap(),
        "--at",
        "2030-03-02T09:00:00+08:00",
    ]);
    assert!(
        text(&out.stdout).contains("criminal_filing_review"),
        "{}",
        text(&out.stderr)
    );
    let out = d.run(&[
        "check",
        future.to_str().unwrap(),
        "--at",
        "2030-02-28T09:00:00+08:00",
    ]);
    assert!(out.stdout.is_empty());
}

#[test]
fn rules_validate_test_and_a_broken_pack() {
    let d = Dir::new();
    let pack = repo().join("rules/standard");
    let out = d.run(&["rules", "validate", pack.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("41 条规则"));
    let out = d.run(&["rules", "test", pack.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains(" passed, 0 failed"));

    // A copy of one rule with a typo in an event type.
    let broken = d.path("broken");
    std::fs::create_dir_all(broken.join("clocks")).unwrap();
    std::fs::write(broken.join("pack.toml"), "name = \"x\"\nversion = \"1\"\n").unwrap();
    let rule = std::fs::read_to_string(pack.join("clocks/property_handover.toml")).unwrap();
    std::fs::write(
        broken.join("clocks/property_handover.toml"),
        rule.replace("property.stored", "property.storred"),
    )
    .unwrap();
    let out = d.run(&["rules", "validate", broken.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("clocks/property_handover.toml:")
            && err.contains("[property_handover]")
            && err.contains("未知事件类型 `property.storred`"),
        "{err}"
    );
}

#[test]
fn reevaluate_diff_coverage_and_calendar_on_a_database() {
    let d = Dir::new();
    let db = d.db();
    let out = d.run(&[
        "demo",
        "--database",
        &db,
        "--cases",
        "40",
        "--seed",
        "5",
        "--now",
        "2026-11-22T12:00:00+08:00",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));

    let out = d.run(&["reevaluate", "--database", &db]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("重新评估完成：40 个案件"),
        "{}",
        text(&out.stdout)
    );

    // A changed pack: the property hand-over limit goes from 24 to 48 hours.
    let pack = repo().join("rules/standard");
    let changed = d.path("changed");
    for sub in ["clocks", "checks"] {
        std::fs::create_dir_all(changed.join(sub)).unwrap();
        for entry in std::fs::read_dir(pack.join(sub)).unwrap() {
            let p = entry.unwrap().path();
            std::fs::copy(&p, changed.join(sub).join(p.file_name().unwrap())).unwrap();
        }
    }
    std::fs::copy(pack.join("pack.toml"), changed.join("pack.toml")).unwrap();
    let f = changed.join("clocks/property_handover.toml");
    let text_rule = std::fs::read_to_string(&f).unwrap();
    assert!(text_rule.contains("hours = 24"));
    std::fs::write(&f, text_rule.replace("hours = 24", "hours = 48")).unwrap();
    let before = d.run(&["coverage", "--database", &db]);
    let out = d.run(&[
        "rules",
        "diff",
        "--database",
        &db,
        pack.to_str().unwrap(),
        changed.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report = text(&out.stdout);
    assert!(report.contains("未写入任何数据"), "{report}");
    for line in report.lines().skip(1).filter(|l| l.contains('\t')) {
        assert!(
            line.starts_with("property_handover\t"),
            "only the changed rule differs: {line}"
        );
    }
    let after = d.run(&["coverage", "--database", &db]);
    assert_eq!(before.stdout, after.stdout, "diff wrote nothing");
    assert!(
        text(&after.stdout).contains("合计\t40\t"),
        "{}",
        text(&after.stdout)
    );

    let cal = d.write(
        "2031.json",
        r#"{"years": {"2031": {"rest_days": ["2031-01-01"], "makeup_workdays": []}}}"#,
    );
    let out = d.run(&[
        "calendar",
        "import",
        "--database",
        &db,
        cal.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = d.run(&["calendar", "show", "--database", &db]);
    assert!(
        text(&out.stdout).contains("2031年：休息日 1 天：2031-01-01"),
        "{}",
        text(&out.stdout)
    );
    let bad = d.write(
        "bad.json",
        r#"{"years": {"2031": {"rest_days": ["2031-02-30"], "makeup_workdays": []}}}"#,
    );
    let out = d.run(&[
        "calendar",
        "import",
        "--database",
        &db,
        bad.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn units_users_tokens_and_the_audit_trail_from_the_command_line() {
    let d = Dir::new();
    let db = d.db();
    let run = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(["--database", db.as_str()]);
        d.run(&all)
    };
    assert!(
        run(&[
            "unit",
            "add",
            "SJ",
            "--name",
            "临江市公安局",
            "--kind",
            "bureau"
        ])
        .status
        .success()
    );
    assert!(
        run(&[
            "unit",
            "add",
            "FJ1",
            "--name",
            "东湖分局",
            "--kind",
            "branch",
            "--parent",
            "SJ"
        ])
        .status
        .success()
    );
    let bad = run(&[
        "unit",
        "add",
        "PCS1",
        "--name",
        "滨江派出所",
        "--kind",
        "station",
        "--parent",
        "NOPE",
    ]);
    assert_eq!(bad.status.code(), Some(2), "an unknown parent is refused");
    let tree = text(&run(&["unit", "list"]).stdout);
    assert!(
        tree.contains("SJ 临江市公安局") && tree.contains("  FJ1 东湖分局"),
        "{tree}"
    );

    // No account exists until an administrator is created; the generated password is shown once.
    let admin = run(&[
        "user",
        "add",
        "A-1",
        "--name",
        "管理员",
        "--unit",
        "SJ",
        "--admin",
    ]);
    assert!(admin.status.success(), "{}", text(&admin.stderr));
    assert!(text(&admin.stdout).contains("初始密码"));
    let weak = Command::new(BIN)
        .args([
            "user",
            "add",
            "O-1",
            "--name",
            "张三",
            "--unit",
            "FJ1",
            "--role",
            "officer",
            "--password-stdin",
            "--database",
            &db,
        ])
        .current_dir(d.tmp.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            c.stdin.take().unwrap().write_all(b"short\n")?;
            c.wait_with_output()
        })
        .unwrap();
    assert_eq!(weak.status.code(), Some(2));
    assert!(
        text(&weak.stderr).contains("至少 10 个字符"),
        "{}",
        text(&weak.stderr)
    );
    let users = text(&run(&["user", "list"]).stdout);
    assert!(
        users.contains("A-1\t管理员\tSJ\tadmin") && !users.contains("O-1"),
        "{users}"
    );

    let token = run(&["token", "create", "--name", "接警系统", "--unit", "FJ1"]);
    let out = text(&token.stdout);
    assert!(out.contains("Authorization: Bearer tk-"), "{out}");
    let id = out
        .split("已创建令牌 ")
        .nth(1)
        .and_then(|r| r.split('（').next())
        .unwrap()
        .to_owned();
    assert!(run(&["token", "revoke", &id]).status.success());
    assert!(text(&run(&["token", "list"]).stdout).contains("撤销"));

    let trail = text(&run(&["audit", "list"]).stdout);
    for action in ["unit.add", "user.add", "token.create", "token.revoke"] {
        assert!(trail.contains(action), "{action} is audited: {trail}");
    }
    let ok = run(&["audit", "verify"]);
    assert!(
        ok.status.success() && text(&ok.stdout).contains("审计链完整"),
        "{}",
        text(&ok.stdout)
    );
}

/// `casewatch bench` at a tiny size (as CI runs it): it finishes and writes the six top-level
/// numbers. Nothing about speed is asserted: the benchmark is not a timed test. `http` is left
/// out so that an installed `oha` does not add its 15 s.
#[test]
fn bench_at_a_tiny_size_writes_the_six_numbers() {
    let dir = Dir::new();
    let json = dir.path("bench.json");
    let scratch = dir.path("scratch");
    std::fs::create_dir(&scratch).unwrap();
    let out = dir.run(&[
        "bench",
        "--cases",
        "2000",
        "--dir",
        scratch.to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
        "--latency-secs",
        "1",
        "--clocks",
        "10000",
        "--only",
        "ingest,latency,timers,reevaluate,sweep,dashboard,memory",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let table = text(&out.stdout);
    assert!(
        table.contains("measurement") && table.contains("baseline"),
        "{table}"
    );
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    for key in [
        "ingest_ratio",
        "latency_p99_ms",
        "timer_burst_s",
        "reevaluate_cases_per_s",
        "sweep_ratio",
        "dashboard_p99_ms",
    ] {
        let x = v[key]
            .as_f64()
            .unwrap_or_else(|| panic!("{key} missing: {v}"));
        assert!(x.is_finite(), "{key} = {x}");
    }
    assert!(v["details"]["sqlite"]["rows"].as_array().unwrap().len() >= 6);
    // The database was made in `--dir` and deleted afterwards.
    assert_eq!(std::fs::read_dir(&scratch).unwrap().count(), 0);
}

/// `bench` stores a history of its own, so a database named with `--database` is refused with a
/// message saying where it measures instead, not silently ignored.
#[test]
fn bench_refuses_a_database_it_would_not_use() {
    let dir = Dir::new();
    let db = format!("sqlite://{}", dir.path("mine.db").display());
    let out = dir.run(&["--database", &db, "bench", "--cases", "10"]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("--database") && err.contains("--dir"), "{err}");
    assert!(!dir.path("mine.db").exists());
}

/// The benchmark on PostgreSQL alone (`--postgres-only`), when a test database is configured:
/// the figures are under `details.postgres` and the SQLite top-level numbers are null.
#[test]
fn bench_measures_postgres_alone_when_asked() {
    let Ok(base) = std::env::var("CASEWATCH_TEST_POSTGRES") else {
        return;
    };
    let dir = Dir::new();
    let json = dir.path("bench.json");
    let out = dir.run(&[
        "bench",
        "--cases",
        "300",
        "--postgres",
        &base,
        "--postgres-only",
        "--json",
        json.to_str().unwrap(),
        "--only",
        "ingest,reevaluate,sweep",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert!(v["ingest_ratio"].is_null(), "{v}");
    assert!(v["details"]["sqlite"].is_null(), "{v}");
    let rows = v["details"]["postgres"]["rows"].as_array().unwrap();
    let names: Vec<&str> = rows
        .iter()
        .filter_map(|r| r["measurement"].as_str())
        .collect();
    for m in ["ingest", "reevaluate"] {
        assert!(names.contains(&m), "{names:?}");
    }
    assert!(
        v["details"]["postgres"]["top"]["reevaluate_cases_per_s"]
            .as_f64()
            .is_some_and(|x| x > 0.0),
        "{v}"
    );
}
