//! `casewatch demo` and `serve --demo`: a synthetic city bureau's history, imported in batches.

use std::sync::Arc;

use anyhow::Context;
use casewatch_core::{Event, ParseOptions};
use casewatch_store::Store;
use jiff::Timestamp;

const BATCH: usize = 5000;

/// Generates `cases` cases with `seed` ending at `now`, stores them, and returns a description of
/// what was made (units, officers, counts) for the terminal.
pub async fn generate(
    store: &Arc<dyn Store>,
    cases: u64,
    seed: u64,
    now: Timestamp,
    progress: bool,
) -> anyhow::Result<String> {
    let cfg = casewatch_demo::DemoConfig { cases, seed, now };
    let org = casewatch_demo::org(seed);
    let pb = if progress {
        indicatif::ProgressBar::new(cases)
    } else {
        indicatif::ProgressBar::hidden()
    };
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "生成演示数据 [{bar:30}] {pos}/{len} 案件 {per_sec}",
    ) {
        pb.set_style(style.progress_chars("=> "));
    }
    let mut batch: Vec<Event> = Vec::with_capacity(BATCH);
    let mut n_events = 0u64;
    let mut accepted = 0u64;
    let mut seen_cases = 0u64;
    let mut last_case = String::new();
    for value in casewatch_demo::events(&cfg) {
        let event = Event::parse(&value, ParseOptions { now: Some(now) })
            .map_err(|errs| anyhow::anyhow!("演示数据生成了无效事件 {value}：{errs:?}"))?;
        if event.case.as_str() != last_case {
            last_case = event.case.to_string();
            seen_cases += 1;
            pb.set_position(seen_cases);
        }
        batch.push(event);
        n_events += 1;
        if batch.len() >= BATCH {
            accepted += store
                .append(&batch, now)
                .await
                .context("写入演示数据失败")?
                .accepted;
            batch.clear();
        }
    }
    if !batch.is_empty() {
        accepted += store
            .append(&batch, now)
            .await
            .context("写入演示数据失败")?
            .accepted;
    }
    pb.finish_and_clear();
    Ok(format!(
        "演示数据：{} 个单位，{} 名民警，{} 个案件，{} 个事件（新增 {}，种子 {seed}）",
        org.units.len(),
        org.officers.len(),
        cases,
        n_events,
        accepted
    ))
}

/// Writes the demo history as JSON Lines, for imports and benchmarks; returns the event count.
pub fn write_jsonl(
    path: &std::path::Path,
    cases: u64,
    seed: u64,
    now: Timestamp,
) -> anyhow::Result<u64> {
    use std::io::Write;
    let file =
        std::fs::File::create(path).with_context(|| format!("无法创建 `{}`", path.display()))?;
    let mut w = std::io::BufWriter::with_capacity(1 << 20, file);
    let mut n = 0u64;
    for value in casewatch_demo::events(&casewatch_demo::DemoConfig { cases, seed, now }) {
        serde_json::to_writer(&mut w, &value)?;
        w.write_all(b"\n")?;
        n += 1;
    }
    w.flush()
        .with_context(|| format!("无法写入 `{}`", path.display()))?;
    Ok(n)
}

/// The demo accounts: one per role, with known passwords, printed at `--demo` start.
const DEMO_ACCOUNTS: [(&str, &str, &str); 5] = [
    ("O-900001", "演示民警", "officer"),
    ("O-900002", "演示法制员", "legal_officer"),
    ("O-900003", "演示法制部门", "legal_dept"),
    ("O-900004", "演示领导", "leader"),
    ("O-900005", "演示管理员", "admin"),
];

/// Registers the demo bureau's unit tree and one account per role (and an ingest token), and
/// returns what to print. Idempotent: what exists already is left as it is.
pub async fn register_org(store: &Arc<dyn Store>, seed: u64) -> anyhow::Result<String> {
    use casewatch_demo::UnitKind;
    use casewatch_store::{NewUnit, NewUser, StoreError};

    let org = casewatch_demo::org(seed);
    for u in &org.units {
        let kind = match u.kind {
            UnitKind::Bureau => "bureau",
            UnitKind::Branch => "branch",
            UnitKind::Station => "station",
            UnitKind::PoliceType => "police_type",
        };
        let new = NewUnit {
            id: u.id.clone(),
            name: u.name.clone(),
            parent: u.parent.clone(),
            kind: kind.into(),
        };
        match store.add_unit(&new).await {
            Ok(_) => {}
            Err(StoreError::Invalid(_)) if store.get_unit(&u.id).await?.is_some() => {}
            Err(e) => return Err(e.into()),
        }
    }
    let root = org
        .units
        .iter()
        .find(|u| u.parent.is_none())
        .map(|u| u.id.clone())
        .unwrap_or_default();
    let branch = org
        .units
        .iter()
        .find(|u| u.kind == UnitKind::Branch)
        .map(|u| u.id.clone())
        .unwrap_or_else(|| root.clone());
    let station = org
        .units
        .iter()
        .find(|u| u.kind == UnitKind::Station)
        .map(|u| u.id.clone())
        .unwrap_or_else(|| root.clone());
    // The demo officer is a rostered officer of the station, so that his own cases, clocks and
    // warnings fill his dashboard.
    let rostered = org.officers.iter().find(|o| o.unit == station);
    let mut lines = vec!["演示账号（仅用于演示，密码已公开）：".to_owned()];
    for (id, name, role) in DEMO_ACCOUNTS {
        let (id, name) = match (role, rostered) {
            ("officer", Some(o)) => (o.id.as_str(), o.name.as_str()),
            _ => (id, name),
        };
        let unit = match role {
            "officer" | "legal_officer" => station.clone(),
            "leader" => branch.clone(),
            _ => root.clone(),
        };
        let password = format!("Demo#2026-{role}");
        if store.get_user(id).await?.is_none() {
            let hash = casewatch_server::auth::password::hash_password(&password)?;
            let new = NewUser {
                id: id.into(),
                name: name.into(),
                unit: unit.clone(),
                roles: vec![role.into()],
                password_hash: Some(hash),
            };
            store.add_user(&new, Timestamp::now()).await?;
        }
        lines.push(format!(
            "  {role:<14} 警号 {id}  密码 {password}  单位 {unit}"
        ));
    }
    Ok(lines.join("\n"))
}
