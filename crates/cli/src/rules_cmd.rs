//! `casewatch check` and `casewatch rules validate|test`: the engine without a database.

use std::path::Path;
use std::process::ExitCode;

use casewatch_core::time::parse_instant;
use casewatch_engine::Pack;
use casewatch_engine::scenario::{self, CheckLine};
use casewatch_engine::time::Calendar;

/// Loads the pack in `dir`, or the standard pack shipped in the binary.
pub fn load_pack(dir: Option<&Path>) -> Result<Pack, String> {
    match dir {
        Some(d) => Pack::load(d).map_err(|e| e.to_string()),
        None => Pack::standard().map_err(|e| e.to_string()),
    }
}

/// `casewatch check EVENTS --at T [--rules DIR] [--format jsonl|table]`.
pub fn check(events: &Path, at: &str, rules: Option<&Path>, table: bool) -> ExitCode {
    let now = match parse_instant(at) {
        Ok(t) => t,
        Err(m) => {
            eprintln!("--at：{m}");
            return ExitCode::from(2);
        }
    };
    let text = match std::fs::read_to_string(events) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("{}：无法读取：{e}", events.display());
            return ExitCode::from(2);
        }
    };
    let parsed = match scenario::parse_events(&text) {
        Ok(p) => p,
        Err(bad) => {
            for b in bad {
                eprintln!("{}：第 {} 行：{}", events.display(), b.line, b.reason);
            }
            return ExitCode::from(2);
        }
    };
    let pack = match load_pack(rules) {
        Ok(p) => p,
        Err(m) => {
            eprintln!("{m}");
            return ExitCode::from(2);
        }
    };
    let findings = scenario::evaluate_all(&pack, &Calendar::standard(), &parsed, now);
    let mut out = String::new();
    if table {
        out.push_str("规则\t案件\t对象\t状态\t期满\t说明\n");
        for f in &findings {
            let line = CheckLine::from(f);
            out.push_str(&format!(
                "{}\t{}\t{}\t{}\t{}\t{}\n",
                line.rule,
                line.case,
                line.subject.unwrap_or("—"),
                f.state.zh(),
                line.due.as_deref().unwrap_or("—"),
                line.explain
            ));
        }
    } else {
        for f in &findings {
            match serde_json::to_string(&CheckLine::from(f)) {
                Ok(s) => {
                    out.push_str(&s);
                    out.push('\n');
                }
                Err(e) => {
                    eprintln!("无法输出结论：{e}");
                    return ExitCode::FAILURE;
                }
            }
        }
    }
    out!("{out}");
    ExitCode::SUCCESS
}

/// `casewatch rules validate DIR`.
pub fn validate(dir: &Path) -> ExitCode {
    match Pack::load(dir) {
        Ok(pack) => {
            let clocks = pack
                .rules
                .iter()
                .filter(|r| matches!(r.body, casewatch_engine::pack::RuleBody::Clock(_)))
                .count();
            outln!(
                "规则包有效：{} {}，{} 条规则（计时 {clocks}，检查 {}）",
                pack.name,
                pack.version,
                pack.rules.len(),
                pack.rules.len() - clocks
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(2)
        }
    }
}

/// `casewatch rules test DIR`: runs the scenarios under `DIR/scenarios`.
pub fn test(dir: &Path) -> ExitCode {
    let pack = match Pack::load(dir) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let cal = Calendar::standard();
    let scenarios = scenario::find(&dir.join("scenarios"));
    let mut failed = 0usize;
    for sc in &scenarios {
        let failures = scenario::run(&pack, &cal, sc);
        if failures.is_empty() {
            outln!("通过  {}", sc.events.display());
        } else {
            failed += 1;
            outln!("失败  {}", sc.events.display());
            for f in failures {
                outln!("      {f}");
            }
        }
    }
    let without: Vec<&str> = pack
        .rules
        .iter()
        .filter(|r| {
            !scenarios.iter().any(|s| {
                s.events
                    .parent()
                    .and_then(|p| p.file_name())
                    .is_some_and(|n| n == &*r.id)
            })
        })
        .map(|r| &*r.id)
        .collect();
    if !without.is_empty() {
        outln!("没有自己场景的规则：{}", without.join("、"));
    }
    outln!("{} passed, {failed} failed", scenarios.len() - failed);
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// `casewatch rules diff OLD NEW`: evaluates every stored case under both packs, in memory.
pub async fn diff(
    store: &dyn casewatch_store::Store,
    old: &Path,
    new: &Path,
    now: jiff::Timestamp,
    progress: bool,
) -> anyhow::Result<ExitCode> {
    let old_pack = Pack::load(old).map_err(|e| anyhow::anyhow!("{}：{e}", old.display()))?;
    let new_pack = Pack::load(new).map_err(|e| anyhow::anyhow!("{}：{e}", new.display()))?;
    let cal = store.calendar();
    let pb = if progress {
        indicatif::ProgressBar::no_length()
    } else {
        indicatif::ProgressBar::hidden()
    };
    let mut diff = casewatch_engine::diff::PackDiff::new(0);
    let mut after = String::new();
    loop {
        let page = store.case_histories(&after, 500, None).await?;
        let Some(last) = page.last() else { break };
        after.clone_from(&last.case_id);
        for case in &page {
            diff.add_case(
                &old_pack,
                &new_pack,
                &cal,
                &case.case_id,
                case.unit.as_deref(),
                &case.events,
                now,
            );
        }
        pb.set_position(diff.n_cases);
    }
    pb.finish_and_clear();
    outln!("规则\t单位\t新增\t消失\t状态变化");
    for ((rule, unit), cell) in &diff.cells {
        outln!(
            "{rule}\t{}\t{}\t{}\t{}",
            unit.as_deref().unwrap_or("—"),
            cell.appear,
            cell.disappear,
            cell.change
        );
    }
    outln!(
        "共评估 {} 个案件；{} 个规则与单位组合有变化（未写入任何数据）",
        diff.n_cases,
        diff.cells.len()
    );
    Ok(ExitCode::SUCCESS)
}
