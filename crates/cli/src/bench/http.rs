//! Alert-list throughput with `oha` (10 s, its default 50 connections, the session cookie)
//! against the in-process server, beside `oha` on `GET /api/v1/health` for 5 s. Skipped, and
//! said so, when `oha` is not on `PATH` (`scripts/bench` installs it).

use std::path::PathBuf;

use anyhow::Context;
use serde_json::{Value, json};

use super::Cx;
use super::report::{BackendReport, Row};
use super::server::Server;

/// Measures and reports.
pub async fn run(cx: &Cx<'_>, server: &Server, report: &mut BackendReport) -> anyhow::Result<()> {
    let Some(oha) = find_on_path("oha") else {
        eprintln!(
            "[{}] http：跳过（skipped (install oha: scripts/bench installs it)）",
            cx.label
        );
        report.detail(
            "http",
            json!({ "skipped": "skipped (install oha: scripts/bench installs it)" }),
        );
        return Ok(());
    };
    let phase = cx.phase("HTTP 吞吐（oha）", 0);
    let alerts = format!(
        "{}/api/v1/alerts?unit={}&state=overdue,warning",
        server.base,
        cx.branch_unit()
    );
    let cookie = format!("cookie: {}", server.cookie);
    let list = oha_run(&oha, &alerts, "10s", Some(&cookie)).await?;
    let health = oha_run(&oha, &format!("{}/api/v1/health", server.base), "5s", None).await?;
    let rps = |v: &Value| {
        v.pointer("/summary/requestsPerSec")
            .and_then(Value::as_f64)
            .unwrap_or(f64::NAN)
    };
    let (list_rps, health_rps) = (rps(&list), rps(&health));
    phase.finish(&format!("{list_rps:.0} 请求/秒"));
    report.row(Row::new(
        "http: alert list (oha)",
        cx.label,
        list_rps,
        "req/s",
        Some(health_rps),
        "req/s health",
    ));
    report.detail(
        "http",
        json!({
            "url": alerts,
            "alert_list": summary(&list),
            "health": summary(&health),
        }),
    );
    Ok(())
}

/// The parts of oha's JSON worth keeping.
fn summary(v: &Value) -> Value {
    let part = |key: &str| v.get(key).cloned().unwrap_or(Value::Null);
    json!({
        "summary": part("summary"),
        "latencyPercentiles": part("latencyPercentiles"),
        "statusCodeDistribution": part("statusCodeDistribution"),
        "errorDistribution": part("errorDistribution"),
    })
}

/// Runs `oha -z DURATION --no-tui --output-format json [-H HEADER] URL` and parses its output.
async fn oha_run(
    oha: &std::path::Path,
    url: &str,
    duration: &str,
    header: Option<&str>,
) -> anyhow::Result<Value> {
    let mut cmd = std::process::Command::new(oha);
    cmd.args(["-z", duration, "--no-tui", "--output-format", "json"]);
    if let Some(h) = header {
        cmd.args(["-H", h]);
    }
    cmd.arg(url);
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await?
        .context("无法运行 oha")?;
    anyhow::ensure!(
        out.status.success(),
        "oha 失败：{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).context("无法解析 oha 的 JSON 输出")
}

/// The first executable `name` on `PATH`.
fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}
