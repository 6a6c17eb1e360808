//! `GET /api/v1/alerts/stats`: the dashboard's trend of warnings, overdue clocks and violated
//! checks per day, and the rules that fire most.

#![expect(
    unused_qualifications,
    reason = "utoipa's path macro qualifies parameter types declared in the same module"
)]
use std::collections::BTreeMap;

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use casewatch_authz::Action;
use casewatch_store::StatsQuery;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::auth::access::Reader;
use crate::error::{ApiError, ErrorBody};

/// The states the statistics count: what needs action.
const STATES: [&str; 3] = ["warning", "overdue", "violated"];
/// A day in microseconds.
const DAY_US: i64 = 86_400_000_000;
/// Asia/Shanghai's offset from UTC (+08:00, no daylight saving) in microseconds.
const OFFSET_US: i64 = 28_800_000_000;
/// Rules listed in `top_rules`.
const TOP_RULES: usize = 10;

/// Which days and units.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatsParams {
    /// Days of the trend, ending today (+08:00): 1–366, default 30.
    pub days: Option<String>,
    /// A unit id: only findings of this unit and the units below it.
    pub unit: Option<String>,
}

/// One day of the trend: transitions into each state that day (Asia/Shanghai).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TrendDay {
    /// The day, YYYY-MM-DD.
    pub day: String,
    /// Clocks that reached their warning instant.
    pub warning: i64,
    /// Clocks that became overdue.
    pub overdue: i64,
    /// Checks found violated.
    pub violated: i64,
}

/// A rule with many findings that need action.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TopRule {
    /// Rule id.
    pub rule: String,
    /// The rule's Chinese name.
    pub name: String,
    /// Findings now in warning.
    pub warning: i64,
    /// Findings now overdue.
    pub overdue: i64,
    /// Findings now violated.
    pub violated: i64,
    /// The three together.
    pub total: i64,
}

/// Dashboard statistics.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Stats {
    /// The first day of the trend, YYYY-MM-DD.
    pub from: String,
    /// The last day of the trend (today, +08:00), YYYY-MM-DD.
    pub to: String,
    /// The unit filter, if any.
    pub unit: Option<String>,
    /// Every day from `from` to `to`, days without transitions included.
    pub trend: Vec<TrendDay>,
    /// Up to 10 rules with the most findings now in warning, overdue or violated, most first.
    pub top_rules: Vec<TopRule>,
}

/// Transitions per day into warning, overdue and violated over the last `days` days, and the
/// rules with the most findings that need action now, of the units whose dashboards the caller
/// may read. A transition counts on the day it took effect; the history of a finding that no
/// longer arises (after a retraction) is not counted.
#[utoipa::path(
    get,
    path = "/api/v1/alerts/stats",
    tag = "alerts",
    params(StatsParams),
    responses(
        (status = 200, description = "The trend and the top rules.", body = Stats),
        (status = 400, description = "`days` outside 1–366, or a unit that is not registered; `details` names the field.", body = ErrorBody),
        (status = 401, description = "Not signed in.", body = ErrorBody),
        (status = 403, description = "The caller's roles read no dashboards.", body = ErrorBody),
        (status = 503, description = "The database does not answer.", body = ErrorBody),
    ),
    security(("session" = []), ("token" = []))
)]
pub async fn stats(
    State(app): State<AppState>,
    reader: Reader,
    params: Result<Query<StatsParams>, QueryRejection>,
) -> Result<Json<Stats>, ApiError> {
    let Query(p) = params
        .map_err(|e| ApiError::bad_param("query", format!("查询参数无效：{}", e.body_text())))?;
    let scope = reader.scope(Action::ReadDashboard)?;
    let days = match p.days.as_deref().map(str::trim) {
        None | Some("") => 30,
        Some(text) => text
            .parse::<i64>()
            .ok()
            .filter(|d| (1..=366).contains(d))
            .ok_or_else(|| {
                ApiError::bad_param(
                    "days",
                    format!("days：天数 `{text}` 无效，应为 1 到 366 的整数"),
                )
            })?,
    };
    let under = super::subtree_of(&app, p.unit.as_deref()).await?;
    if let (Some(unit), None) = (&p.unit, &under) {
        return Err(ApiError::bad_param(
            "unit",
            format!("unit：单位 `{unit}` 未登记"),
        ));
    }
    let today = (app.clock.now().as_microsecond() + OFFSET_US).div_euclid(DAY_US);
    let first = today - days + 1;
    let query = StatsQuery {
        states: STATES.iter().map(|s| (*s).to_owned()).collect(),
        unit_under: under,
        scope: Some(scope),
    };
    let counts = app
        .store
        .transitions_by_day(
            first * DAY_US - OFFSET_US,
            (today + 1) * DAY_US - OFFSET_US,
            &query,
        )
        .await?;
    let mut trend: BTreeMap<i64, TrendDay> = (first..=today)
        .map(|d| {
            let day = TrendDay {
                day: date_of(d),
                warning: 0,
                overdue: 0,
                violated: 0,
            };
            (d, day)
        })
        .collect();
    for c in counts {
        if let Some(day) = trend.get_mut(&c.day) {
            match c.state.as_str() {
                "warning" => day.warning += c.count,
                "overdue" => day.overdue += c.count,
                "violated" => day.violated += c.count,
                _ => {}
            }
        }
    }
    let pack = app.store.pack();
    let mut rules: BTreeMap<String, TopRule> = BTreeMap::new();
    for c in app.store.findings_by_rule(&query).await? {
        let rule = rules.entry(c.rule.clone()).or_insert_with(|| TopRule {
            name: pack
                .rule(&c.rule)
                .map(|r| r.name.clone())
                .unwrap_or_default(),
            rule: c.rule.clone(),
            warning: 0,
            overdue: 0,
            violated: 0,
            total: 0,
        });
        match c.state.as_str() {
            "warning" => rule.warning += c.count,
            "overdue" => rule.overdue += c.count,
            "violated" => rule.violated += c.count,
            _ => continue,
        }
        rule.total += c.count;
    }
    let mut top_rules: Vec<TopRule> = rules.into_values().collect();
    // Most first; ties by rule id, so the order is stable.
    top_rules.sort_by(|a, b| b.total.cmp(&a.total).then_with(|| a.rule.cmp(&b.rule)));
    top_rules.truncate(TOP_RULES);
    Ok(Json(Stats {
        from: date_of(first),
        to: date_of(today),
        unit: p.unit,
        trend: trend.into_values().collect(),
        top_rules,
    }))
}

/// The date `days` days after 1970-01-01, YYYY-MM-DD.
fn date_of(days: i64) -> String {
    jiff::Span::new()
        .try_days(days)
        .ok()
        .and_then(|span| jiff::civil::date(1970, 1, 1).checked_add(span).ok())
        .map(|d| d.to_string())
        .unwrap_or_default()
}
