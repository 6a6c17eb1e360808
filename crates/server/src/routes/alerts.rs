//! Findings: `GET /api/v1/alerts`, `/api/v1/alerts/summary`, `/api/v1/cases/{id}/findings`,
//! and the rule pack at `GET /api/v1/rules`; dashboard statistics ([`stats`]) and the live
//! notices ([`stream`]).

#![expect(
    unused_qualifications,
    reason = "utoipa's path macro qualifies parameter types declared in the same module"
)]

pub mod stats;
pub mod stream;
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use casewatch_core::time::{format_instant, from_micros, parse_instant};
use casewatch_engine::State as FindingState;
use casewatch_engine::pack::{LimitSpec, RuleBody, Unit, Warning};
use casewatch_store::{FindingQuery, FindingRow};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::auth::access::Reader;
use crate::error::{ApiError, ErrorBody};

/// The states an alert list shows when none is asked for: what needs action.
const ACTIONABLE: [&str; 3] = ["overdue", "warning", "violated"];

/// Filters of the alert list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AlertParams {
    /// Comma-separated states (`running`, `warning`, `overdue`, `met`, `late`, `violated`, `passed`), or `all`. Default: `overdue,warning,violated`.
    pub state: Option<String>,
    /// Rule id.
    pub rule: Option<String>,
    /// A unit id: findings of cases owned by this unit and every unit below it (a unit not in
    /// the unit tree matches exactly).
    pub unit: Option<String>,
    /// The officer of the starting or triggering event.
    pub officer: Option<String>,
    /// Case id.
    pub case: Option<String>,
    /// Case kind: `criminal` or `administrative`.
    pub kind: Option<String>,
    /// Due strictly before this instant (RFC 3339).
    pub due_before: Option<String>,
    /// Due at or after this instant (RFC 3339).
    pub due_after: Option<String>,
    /// Page, from 1.
    pub page: Option<u32>,
    /// Page size, 1–200 (default 50).
    pub per_page: Option<u32>,
}

/// One finding.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Alert {
    /// Case id.
    pub case_id: String,
    /// Rule id.
    pub rule: String,
    /// The rule's Chinese name.
    pub rule_name: String,
    /// The rule's legal basis.
    pub basis: String,
    /// Person or property id; null for a case-level rule.
    pub subject: Option<String>,
    /// The event that started the clock or triggered the check.
    #[serde(rename = "ref")]
    pub reference: String,
    /// `clock` or `check`.
    pub kind: String,
    /// State.
    pub state: String,
    /// The state in Chinese.
    pub state_zh: String,
    /// Clock start.
    pub started: Option<String>,
    /// Clock due.
    pub due: Option<String>,
    /// Warning instant.
    pub warn_at: Option<String>,
    /// When the clock stopped.
    pub stopped: Option<String>,
    /// The case's owning unit.
    pub unit: Option<String>,
    /// The officer of the starting or triggering event.
    pub officer: Option<String>,
    /// How due was computed, or why the check holds or fails (Chinese).
    pub explain: String,
    /// The state history, oldest first (only on a case's findings).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history: Option<Vec<HistoryEntry>>,
}

/// One change of a finding's state.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct HistoryEntry {
    /// The new state (`removed` when a finding stopped arising, e.g. after a retraction).
    pub state: String,
    /// When it took effect.
    pub at: Option<String>,
    /// `event`, `timer`, `reevaluate` or `replay`.
    pub cause: String,
}

/// One page of alerts.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AlertPage {
    /// Findings sorted by due (checks last).
    pub items: Vec<Alert>,
    /// Findings matching the filters.
    pub total: u64,
    /// This page.
    pub page: u32,
    /// Page size.
    pub per_page: u32,
}

fn fmt(us: Option<i64>) -> Option<String> {
    us.and_then(from_micros).map(format_instant)
}

fn to_alert(app: &AppState, f: FindingRow) -> Alert {
    let pack = app.store.pack();
    let rule = pack.rule(&f.rule);
    Alert {
        rule_name: rule.map(|r| r.name.clone()).unwrap_or_default(),
        basis: rule.map(|r| r.basis.clone()).unwrap_or_default(),
        state_zh: FindingState::parse(&f.state)
            .map_or_else(|| f.state.clone(), |s| s.zh().to_owned()),
        started: fmt(f.started_us),
        due: fmt(f.due_us),
        warn_at: fmt(f.warn_us),
        stopped: fmt(f.stopped_us),
        case_id: f.case_id,
        rule: f.rule,
        subject: f.subject,
        reference: f.reference,
        kind: f.kind,
        state: f.state,
        unit: f.unit,
        officer: f.officer,
        explain: f.explain,
        history: None,
    }
}

fn parse_states(raw: Option<&str>) -> Result<Vec<String>, ApiError> {
    match raw.map(str::trim) {
        None | Some("") => Ok(ACTIONABLE.iter().map(|s| (*s).to_owned()).collect()),
        Some("all") => Ok(Vec::new()),
        Some(list) => list
            .split(',')
            .map(|s| {
                let s = s.trim();
                FindingState::parse(s).map(|st| st.as_str().to_owned()).ok_or_else(|| {
                    ApiError::bad_param("state", format!("状态 `{s}` 无效：应为 running、warning、overdue、met、late、violated、passed 或 all"))
                })
            })
            .collect(),
    }
}

fn parse_time(field: &str, raw: Option<&str>) -> Result<Option<i64>, ApiError> {
    raw.map(|s| {
        parse_instant(s)
            .map(|t| t.as_microsecond())
            .map_err(|m| ApiError::bad_param(field, format!("{field}：{m}")))
    })
    .transpose()
}

/// Findings by filter, sorted by due.
#[utoipa::path(
    get,
    path = "/api/v1/alerts",
    tag = "alerts",
    params(AlertParams),
    responses(
        (status = 200, description = "One page of the findings of cases the caller may read.", body = AlertPage),
        (status = 400, description = "An invalid filter.", body = ErrorBody),
        (status = 401, description = "Not signed in.", body = ErrorBody),
        (status = 403, description = "The caller's roles read no cases.", body = ErrorBody),
    ),
    security(("session" = []), ("token" = []))
)]
pub async fn list_alerts(
    State(app): State<AppState>,
    reader: Reader,
    params: Result<Query<AlertParams>, QueryRejection>,
) -> Result<Json<AlertPage>, ApiError> {
    let Query(p) = params
        .map_err(|e| ApiError::bad_param("query", format!("查询参数无效：{}", e.body_text())))?;
    let scope = reader.scope(casewatch_authz::Action::ReadCase)?;
    let per_page = p.per_page.unwrap_or(50);
    if !(1..=200).contains(&per_page) {
        return Err(ApiError::bad_param(
            "per_page",
            format!("每页条数 `{per_page}` 无效：应为 1 到 200"),
        ));
    }
    let page = p.page.unwrap_or(1);
    if page == 0 {
        return Err(ApiError::bad_param("page", "页码从 1 开始"));
    }
    let under = subtree_of(&app, p.unit.as_deref()).await?;
    let query = FindingQuery {
        states: parse_states(p.state.as_deref())?,
        rule: p.rule,
        unit: if under.is_some() {
            None
        } else {
            p.unit.clone()
        },
        officer: p.officer,
        case_id: p.case,
        case_kind: match p.kind.as_deref() {
            None | Some("") => None,
            Some(k @ ("criminal" | "administrative")) => Some(k.to_owned()),
            Some(other) => {
                return Err(ApiError::bad_param(
                    "kind",
                    format!("案件类型 `{other}` 无效：应为 criminal 或 administrative"),
                ));
            }
        },
        due_before_us: parse_time("due_before", p.due_before.as_deref())?,
        due_after_us: parse_time("due_after", p.due_after.as_deref())?,
        unit_under: under,
        scope: Some(scope),
        page,
        per_page,
    };
    let result = app.store.list_findings(&query).await?;
    Ok(Json(AlertPage {
        items: result
            .items
            .into_iter()
            .map(|f| to_alert(&app, f))
            .collect(),
        total: result.total,
        page: result.page,
        per_page: result.per_page,
    }))
}

/// States for the summary.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SummaryParams {
    /// Comma-separated states, or `all`. Default: `overdue,warning,violated`.
    pub state: Option<String>,
    /// Only cases owned by this unit and the units below it.
    pub unit: Option<String>,
}

/// The unit-tree path of a unit id, for subtree filters; `None` when no unit is given or the
/// unit is not registered (then the caller filters by the exact id).
pub(crate) async fn subtree_of(
    app: &AppState,
    unit: Option<&str>,
) -> Result<Option<String>, ApiError> {
    match unit {
        Some(id) => Ok(app.store.get_unit(id).await?.map(|u| u.path)),
        None => Ok(None),
    }
}

/// Counts of findings by unit and state.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Summary {
    /// One row per unit and state.
    pub rows: Vec<SummaryCell>,
    /// Totals per state over all units.
    pub totals: std::collections::BTreeMap<String, i64>,
}

/// One unit and state.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SummaryCell {
    /// The unit (null: cases without one).
    pub unit: Option<String>,
    /// The state.
    pub state: String,
    /// How many findings.
    pub count: i64,
}

/// Counts of findings by unit and state, for dashboards.
#[utoipa::path(
    get,
    path = "/api/v1/alerts/summary",
    tag = "alerts",
    params(SummaryParams),
    responses(
        (status = 200, description = "Counts by unit and state, of the units whose dashboards the caller may read.", body = Summary),
        (status = 400, description = "An invalid state.", body = ErrorBody),
        (status = 401, description = "Not signed in.", body = ErrorBody),
        (status = 403, description = "The caller's roles read no dashboards.", body = ErrorBody),
    ),
    security(("session" = []), ("token" = []))
)]
pub async fn summary(
    State(app): State<AppState>,
    reader: Reader,
    params: Result<Query<SummaryParams>, QueryRejection>,
) -> Result<Json<Summary>, ApiError> {
    let Query(p) = params
        .map_err(|e| ApiError::bad_param("query", format!("查询参数无效：{}", e.body_text())))?;
    let scope = reader.scope(casewatch_authz::Action::ReadDashboard)?;
    let states = parse_states(p.state.as_deref())?;
    let under = subtree_of(&app, p.unit.as_deref()).await?;
    if p.unit.is_some() && under.is_none() {
        return Err(ApiError::bad_param(
            "unit",
            format!("单位 `{}` 未登记", p.unit.unwrap_or_default()),
        ));
    }
    let rows = app
        .store
        .finding_summary(&states, under.as_deref(), Some(&scope))
        .await?;
    let mut totals = std::collections::BTreeMap::new();
    for r in &rows {
        *totals.entry(r.state.clone()).or_insert(0) += r.count;
    }
    Ok(Json(Summary {
        rows: rows
            .into_iter()
            .map(|r| SummaryCell {
                unit: r.unit,
                state: r.state,
                count: r.count,
            })
            .collect(),
        totals,
    }))
}

/// Every finding of one case, with its history.
#[utoipa::path(
    get,
    path = "/api/v1/cases/{id}/findings",
    tag = "alerts",
    params(("id" = String, Path, description = "The case id")),
    responses(
        (status = 200, description = "The case's findings with their state history.", body = Vec<Alert>),
        (status = 401, description = "Not signed in.", body = ErrorBody),
        (status = 404, description = "No such case, or one the caller may not read (the same answer; the attempt is audited).", body = ErrorBody),
    ),
    security(("session" = []), ("token" = []))
)]
pub async fn case_findings(
    State(app): State<AppState>,
    reader: Reader,
    Path(id): Path<String>,
) -> Result<Json<Vec<Alert>>, ApiError> {
    crate::routes::cases::readable_case(&app, &reader, &id, "case.findings").await?;
    let mut out = Vec::new();
    for f in app.store.case_findings(&id).await? {
        let history = app
            .store
            .finding_history(&f.case_id, &f.rule, f.subject.as_deref(), &f.reference)
            .await?
            .into_iter()
            .map(|(state, at, cause)| HistoryEntry {
                state,
                at: fmt(Some(at)),
                cause,
            })
            .collect();
        let mut a = to_alert(&app, f);
        a.history = Some(history);
        out.push(a);
    }
    Ok(Json(out))
}

/// A rule of the pack, for people.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RuleInfo {
    /// Stable id.
    pub id: String,
    /// Chinese name.
    pub name: String,
    /// `clock` or `check`.
    pub kind: String,
    /// Legal basis.
    pub basis: String,
    /// Verification status from the legal catalogue.
    pub status: String,
    /// What the rule requires.
    pub description: Option<String>,
    /// Guideline link.
    pub guideline: Option<String>,
    /// The limit in words (clocks), e.g. `24小时`, `3日`.
    pub limit: Option<String>,
    /// `ordinary`, `custody` or `fixed` (clocks).
    pub calendar: Option<String>,
    /// Warning rule in words (clocks).
    pub warning: Option<String>,
    /// In force from (YYYY-MM-DD).
    pub in_force_from: Option<String>,
    /// In force until, exclusive (YYYY-MM-DD).
    pub in_force_until: Option<String>,
}

/// The rule pack.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RulePack {
    /// Pack name.
    pub name: String,
    /// Pack version.
    pub version: String,
    /// The rules.
    pub rules: Vec<RuleInfo>,
}

/// The rule pack in force, with every rule's legal basis.
#[utoipa::path(
    get,
    path = "/api/v1/rules",
    tag = "rules",
    responses(
        (status = 200, description = "The rule pack.", body = RulePack),
        (status = 401, description = "Not signed in.", body = ErrorBody),
        (status = 403, description = "The caller may not read the rule pack (API tokens).", body = ErrorBody),
    ),
    security(("session" = []), ("token" = []))
)]
pub async fn rules(
    State(app): State<AppState>,
    reader: Reader,
) -> Result<Json<RulePack>, ApiError> {
    if !reader.may_globally(&app, casewatch_authz::Action::ReadRules) {
        return Err(crate::auth::access::forbidden(
            casewatch_authz::Action::ReadRules,
        ));
    }
    let pack = app.store.pack();
    let rules = pack
        .rules
        .iter()
        .map(|r| {
            let (kind, limit, calendar, warning) = match &r.body {
                RuleBody::Clock(c) => {
                    let limit = match &c.limit {
                        LimitSpec::Period(unit, amount) => {
                            let n = match amount {
                                casewatch_engine::pack::Amount::Fixed(n) => n.to_string(),
                                casewatch_engine::pack::Amount::Expr(e) => {
                                    format!("（{}）", e.source)
                                }
                            };
                            format!(
                                "{n}{}",
                                match unit {
                                    Unit::Hours => "小时",
                                    Unit::Days => "日",
                                    Unit::Months => "个月",
                                    Unit::WorkingDays => "个工作日",
                                }
                            )
                        }
                        LimitSpec::At(field) => format!("以开始事件的 {field} 为限"),
                        LimitSpec::BeforeRule(other, offset) => {
                            format!("{other} 期满前 {} 小时", offset.as_hours())
                        }
                    };
                    let calendar = match c.calendar {
                        casewatch_engine::time::CalendarMode::Ordinary => "ordinary",
                        casewatch_engine::time::CalendarMode::Custody => "custody",
                        casewatch_engine::time::CalendarMode::Fixed => "fixed",
                    };
                    let warning = match c.warning {
                        Warning::Fraction(f) => format!("期限经过 {:.0}% 时预警", f * 100.0),
                        Warning::Before(d) => format!("期满前 {} 小时预警", d.as_hours()),
                    };
                    (
                        "clock",
                        Some(limit),
                        Some(calendar.to_owned()),
                        Some(warning),
                    )
                }
                RuleBody::Check(_) => ("check", None, None, None),
            };
            RuleInfo {
                id: r.id.to_string(),
                name: r.name.clone(),
                kind: kind.into(),
                basis: r.basis.clone(),
                status: r.status.clone(),
                description: r.description.clone(),
                guideline: r.guideline.clone(),
                limit,
                calendar,
                warning,
                in_force_from: r.in_force.0.map(|d| d.to_string()),
                in_force_until: r.in_force.1.map(|d| d.to_string()),
            }
        })
        .collect();
    Ok(Json(RulePack {
        name: pack.name.clone(),
        version: pack.version.clone(),
        rules,
    }))
}
