//! The rule pack's own tests and the dry run of a changed pack: `GET /api/v1/rules/test`,
//! `POST /api/v1/rules/diff`. (The pack itself is `GET /api/v1/rules`, in `alerts.rs`.)

use std::collections::{BTreeMap, BTreeSet};

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use casewatch_authz::Action;
use casewatch_engine::Pack;
use casewatch_engine::diff::PackDiff;
use casewatch_engine::scenario::{self, Difference};
use casewatch_engine::time::Calendar;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::access::{Reader, Writer, forbidden};
use crate::error::{ApiError, ErrorBody};

/// Cases evaluated per step of a dry run.
const DIFF_PAGE: u32 = 500;
/// Examples kept per rule and unit in a dry run.
const DIFF_EXAMPLES: usize = 5;

/// The result of running the pack's scenarios.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RulesTest {
    /// Pack name.
    pub pack: String,
    /// Pack version.
    pub version: String,
    /// Scenarios that pass.
    pub passed: usize,
    /// Scenarios that fail.
    pub failed: usize,
    /// Every scenario, by path.
    pub scenarios: Vec<ScenarioResult>,
    /// Rules without a scenario of their own.
    pub rules_without_scenarios: Vec<String>,
}

/// One scenario's outcome.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ScenarioResult {
    /// The rule whose scenario it is (its folder under `scenarios/`).
    pub rule: Option<String>,
    /// The scenario's name.
    pub name: String,
    /// Its events file in the pack, e.g. `scenarios/bail_max_duration/met.events.jsonl`.
    pub file: String,
    /// Whether the findings match the expectation.
    pub passed: bool,
    /// Every difference, in Chinese (empty when it passes).
    pub problems: Vec<String>,
    /// The same differences as data.
    pub differences: Vec<ScenarioDifference>,
}

/// How a scenario's findings differ from its expectation.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ScenarioDifference {
    /// `missing` (an expected finding did not arise), `unexpected` (a finding arose that must
    /// not), or `unreadable` (the scenario's files are invalid).
    pub kind: String,
    /// The difference in Chinese.
    pub message: String,
    /// The expectation (`missing`) or the `absent` entry (`unexpected`).
    #[schema(value_type = Option<Object>)]
    pub expected: Option<Value>,
    /// The findings of the same rule and case that did arise (`missing`), or the finding that
    /// must not (`unexpected`), as `casewatch check` lines.
    #[schema(value_type = Vec<Object>)]
    pub actual: Vec<Value>,
}

impl From<Difference> for ScenarioDifference {
    fn from(d: Difference) -> Self {
        let message = d.to_string();
        let (kind, expected, actual) = match d {
            Difference::Unreadable { .. } => ("unreadable", None, Vec::new()),
            Difference::Missing {
                expected,
                same_rule,
            } => ("missing", Some(expected), same_rule),
            Difference::Unexpected { absent, actual } => ("unexpected", Some(absent), vec![actual]),
        };
        Self {
            kind: kind.to_owned(),
            message,
            expected,
            actual,
        }
    }
}

/// Runs the scenarios the rule pack in force carries (`scenarios/<rule>/…`; the standard
/// pack's are built into the server) with the shipped holiday calendar, as `casewatch rules
/// test` does, and reports each scenario's differences. For every role that reads the rules.
#[utoipa::path(
    get,
    path = "/api/v1/rules/test",
    tag = "rules",
    responses(
        (status = 200, description = "Every scenario's outcome.", body = RulesTest),
        (status = 401, description = "Not signed in.", body = ErrorBody),
        (status = 403, description = "The caller may not read the rule pack (API tokens).", body = ErrorBody),
    ),
    security(("session" = []), ("token" = []))
)]
pub async fn test_rules(
    State(app): State<AppState>,
    reader: Reader,
) -> Result<Json<RulesTest>, ApiError> {
    if !reader.may_globally(&app, Action::ReadRules) {
        return Err(forbidden(Action::ReadRules));
    }
    let pack = app.store.pack();
    let report = tokio::task::spawn_blocking(move || run_scenarios(&pack))
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "running the rule scenarios failed");
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "rules_test_failed",
                "运行规则场景失败",
            )
        })?;
    Ok(Json(report))
}

fn run_scenarios(pack: &Pack) -> RulesTest {
    let cal = Calendar::standard();
    let scenarios: Vec<ScenarioResult> = scenario::of_pack(pack)
        .iter()
        .map(|sc| {
            let differences = scenario::judge(pack, &cal, sc);
            ScenarioResult {
                rule: sc.rule.map(str::to_owned),
                name: sc.name.to_owned(),
                file: sc.events_file.to_owned(),
                passed: differences.is_empty(),
                problems: differences.iter().map(ToString::to_string).collect(),
                differences: differences.into_iter().map(Into::into).collect(),
            }
        })
        .collect();
    let with: BTreeSet<&str> = scenarios.iter().filter_map(|s| s.rule.as_deref()).collect();
    let passed = scenarios.iter().filter(|s| s.passed).count();
    RulesTest {
        pack: pack.name.clone(),
        version: pack.version.clone(),
        passed,
        failed: scenarios.len() - passed,
        rules_without_scenarios: pack
            .rules
            .iter()
            .filter(|r| !with.contains(&*r.id))
            .map(|r| r.id.to_string())
            .collect(),
        scenarios,
    }
}

/// A changed rule pack to try.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RulesChange {
    /// Files that replace or add to the files of the pack in force, by path in the pack
    /// (`pack.toml`, `clocks/<rule id>.toml`, `checks/<rule id>.toml`).
    #[serde(default)]
    pub files: BTreeMap<String, String>,
    /// Paths of the pack in force to leave out.
    #[serde(default)]
    pub delete: Vec<String>,
}

/// What a changed pack would change in the stored cases.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RulesDiff {
    /// The changed pack's name.
    pub pack: String,
    /// Its version.
    pub version: String,
    /// Cases evaluated (those the caller may read).
    pub cases: u64,
    /// Rules only in the changed pack.
    pub rules_added: Vec<String>,
    /// Rules only in the pack in force.
    pub rules_removed: Vec<String>,
    /// Rules in both whose file text differs.
    pub rules_changed: Vec<String>,
    /// Per rule and unit, only where something changes; sorted by rule, then unit.
    pub changes: Vec<RuleUnitChange>,
}

/// How one rule's findings in one unit's cases would change.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RuleUnitChange {
    /// Rule id.
    pub rule: String,
    /// The rule's Chinese name (from the changed pack, else the pack in force).
    pub rule_name: String,
    /// The cases' owning unit (null: none).
    pub unit: Option<String>,
    /// Findings that would newly arise.
    pub appear: u64,
    /// Findings that would no longer arise.
    pub disappear: u64,
    /// Findings whose state would change.
    pub change_state: u64,
    /// The first few, in case order.
    pub examples: Vec<DiffExample>,
}

/// One finding a changed pack would change.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DiffExample {
    /// Case id.
    pub case_id: String,
    /// Person or property id; null for a case-level rule.
    pub subject: Option<String>,
    /// The starting or triggering event.
    #[serde(rename = "ref")]
    pub reference: String,
    /// State under the pack in force (null: does not arise).
    pub before: Option<String>,
    /// State under the changed pack (null: does not arise).
    pub after: Option<String>,
}

/// A dry run of a changed rule pack for the legal department that may change it (Cedar
/// `change_rules`): the pack in force with the given files replaced, added or deleted is built
/// and checked in memory (400 with every problem, by file, rule and line:column, if it is
/// invalid), then every stored case the caller may read is evaluated under both packs at the
/// current instant, as `casewatch rules diff` does. Nothing is stored; the run is audited
/// (`rules.dry_run`).
#[utoipa::path(
    post,
    path = "/api/v1/rules/diff",
    tag = "rules",
    request_body = RulesChange,
    responses(
        (status = 200, description = "What would change, per rule and unit.", body = RulesDiff),
        (status = 400, description = "A malformed body, no change, or an invalid pack; `details` lists every problem with `file`, `rule`, `line`, `column`, `message`.", body = ErrorBody),
        (status = 401, description = "Not signed in.", body = ErrorBody),
        (status = 403, description = "The caller may not change the rule pack (only the legal department of a top-level unit), or no CSRF token.", body = ErrorBody),
        (status = 503, description = "The database does not answer.", body = ErrorBody),
    ),
    security(("session" = []), ("token" = []))
)]
pub async fn diff_rules(
    State(app): State<AppState>,
    Writer(writer): Writer,
    body: Result<Json<RulesChange>, JsonRejection>,
) -> Result<Json<RulesDiff>, ApiError> {
    if !writer.may_globally(&app, Action::ChangeRules) {
        writer
            .actor
            .record(&app, "rules.dry_run", None, "denied", serde_json::json!({}))
            .await?;
        return Err(forbidden(Action::ChangeRules));
    }
    let scope = writer.scope(Action::ReadCase)?;
    let Json(change) = body.map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_body",
            format!("请求体无效：{}", e.body_text()),
        )
    })?;
    let old = app.store.pack();
    let new = changed_pack(&old, &change);
    let summary = serde_json::json!({
        "files": change.files.keys().collect::<Vec<_>>(),
        "delete": change.delete,
    });
    let new = match new {
        Ok(p) => p,
        Err(e) => {
            let mut details = summary;
            if let Some(obj) = details.as_object_mut() {
                obj.insert("problems".into(), e.details.len().into());
            }
            writer
                .actor
                .record(&app, "rules.dry_run", None, "failure", details)
                .await?;
            return Err(e);
        }
    };
    let new = std::sync::Arc::new(new);
    let cal = app.store.calendar();
    let now = app.clock.now();
    let mut diff = PackDiff::new(DIFF_EXAMPLES);
    let mut after = String::new();
    loop {
        let page = app
            .store
            .case_histories(&after, DIFF_PAGE, Some(&scope))
            .await?;
        let Some(last) = page.last() else { break };
        after.clone_from(&last.case_id);
        // Evaluation is CPU work: off the async threads, one page at a time.
        let (old, new, cal) = (old.clone(), new.clone(), cal.clone());
        diff = tokio::task::spawn_blocking(move || {
            for case in &page {
                diff.add_case(
                    &old,
                    &new,
                    &cal,
                    &case.case_id,
                    case.unit.as_deref(),
                    &case.events,
                    now,
                );
            }
            diff
        })
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "rule pack dry run failed");
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "dry_run_failed",
                "规则试运行失败",
            )
        })?;
    }
    let report = report(&old, &new, diff);
    let mut details = summary;
    if let Some(obj) = details.as_object_mut() {
        obj.insert("cases".into(), report.cases.into());
        obj.insert("changes".into(), report.changes.len().into());
    }
    writer
        .actor
        .record(&app, "rules.dry_run", None, "success", details)
        .await?;
    Ok(Json(report))
}

/// The text of a rule's file in a pack.
fn rule_text<'a>(pack: &'a Pack, id: &str) -> Option<&'a String> {
    pack.rule(id).and_then(|r| pack.files.get(&r.file))
}

/// The pack in force with the change applied, built and checked in memory.
fn changed_pack(old: &Pack, change: &RulesChange) -> Result<Pack, ApiError> {
    if change.files.is_empty() && change.delete.is_empty() {
        return Err(ApiError::bad_param(
            "files",
            "files：请至少提供一个要修改或新增的文件，或在 delete 中列出要删除的文件",
        ));
    }
    let mut files = old.files.clone();
    let mut problems = Vec::new();
    for (i, path) in change.delete.iter().enumerate() {
        if files.remove(path).is_none() {
            problems.push(serde_json::json!({
                "field": format!("delete[{i}]"), "file": path, "rule": null, "line": null, "column": null,
                "code": "unknown_file", "message": format!("delete[{i}]：规则包中没有文件 `{path}`"),
            }));
        }
    }
    if !problems.is_empty() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_rule_pack",
            format!("要删除的文件有 {} 处问题", problems.len()),
        )
        .with_details(&problems));
    }
    files.extend(change.files.clone());
    Pack::from_files(files).map_err(|e| {
        let details: Vec<Value> =
            e.0.iter()
                .map(|p| {
                    serde_json::json!({
                        "field": format!("files.{}", p.file), "file": p.file, "rule": p.rule,
                        "line": p.position.map(|x| x.0), "column": p.position.map(|x| x.1),
                        "code": "invalid_rule", "message": p.to_string(),
                    })
                })
                .collect();
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_rule_pack",
            format!("修改后的规则包有 {} 处问题，未试运行", details.len()),
        )
        .with_details(&details)
    })
}

fn report(old: &Pack, new: &Pack, diff: PackDiff) -> RulesDiff {
    let ids = |p: &Pack| -> BTreeSet<String> { p.rules.iter().map(|r| r.id.to_string()).collect() };
    let (before, after) = (ids(old), ids(new));
    let rules_changed = before
        .intersection(&after)
        .filter(|id| rule_text(old, id) != rule_text(new, id))
        .cloned()
        .collect();
    let name = |id: &str| {
        new.rule(id)
            .or_else(|| old.rule(id))
            .map(|r| r.name.clone())
            .unwrap_or_default()
    };
    let state = |s: Option<casewatch_engine::State>| s.map(|s| s.as_str().to_owned());
    RulesDiff {
        pack: new.name.clone(),
        version: new.version.clone(),
        cases: diff.n_cases,
        rules_added: after.difference(&before).cloned().collect(),
        rules_removed: before.difference(&after).cloned().collect(),
        rules_changed,
        changes: diff
            .cells
            .into_iter()
            .map(|((rule, unit), cell)| RuleUnitChange {
                rule_name: name(&rule),
                rule,
                unit,
                appear: cell.appear,
                disappear: cell.disappear,
                change_state: cell.change,
                examples: cell
                    .examples
                    .into_iter()
                    .map(|e| DiffExample {
                        case_id: e.case,
                        subject: e.subject,
                        reference: e.reference,
                        before: state(e.before),
                        after: state(e.after),
                    })
                    .collect(),
            })
            .collect(),
    }
}
