//! Wire types: what the API sends and takes, separate from storage and domain types.

use casewatch_core::ledger::CaseLedger;
use casewatch_core::time::{format_instant, from_micros};
use casewatch_store::{CaseSummary, StoredEvent};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Counts of an accepted batch.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct IngestResult {
    /// Events newly stored.
    pub accepted: u64,
    /// Events already stored with the same content (no-ops).
    pub duplicates: u64,
    /// Cases whose ledger was updated.
    pub cases_touched: u64,
}

/// Filters and paging of the case list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CaseListParams {
    /// Only cases owned by this unit id.
    pub unit: Option<String>,
    /// `criminal` or `administrative`.
    pub kind: Option<String>,
    /// `reported`, `accepted`, `filed`, `not_filed`, `decided`, `transferred` or `closed`.
    pub stage: Option<String>,
    /// Free text matched against the case id and the cause (案由).
    pub q: Option<String>,
    /// Page, from 1 (default 1).
    pub page: Option<u32>,
    /// Page size, 1–200 (default 20).
    pub per_page: Option<u32>,
}

/// A row of the case list.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CaseRow {
    /// The case id.
    pub case_id: String,
    /// `criminal` or `administrative`.
    pub kind: Option<String>,
    /// 案由.
    pub cause: Option<String>,
    /// The stage's wire name.
    pub stage: Option<String>,
    /// The owning unit.
    pub unit: Option<String>,
    /// Events in the log for the case.
    pub n_events: i64,
    /// The earliest event instant (RFC 3339, +08:00).
    pub first_at: Option<String>,
    /// The latest event instant (RFC 3339, +08:00).
    pub last_at: Option<String>,
}

impl From<CaseSummary> for CaseRow {
    fn from(s: CaseSummary) -> Self {
        let fmt = |us: Option<i64>| us.and_then(from_micros).map(format_instant);
        Self {
            case_id: s.case_id,
            kind: s.kind,
            cause: s.cause,
            stage: s.stage,
            unit: s.unit,
            n_events: s.n_events,
            first_at: fmt(s.first_at_us),
            last_at: fmt(s.last_at_us),
        }
    }
}

/// One page of cases.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CasePage {
    /// The rows.
    pub items: Vec<CaseRow>,
    /// Cases matching the filters, over all pages.
    pub total: u64,
    /// This page, from 1.
    pub page: u32,
    /// The page size.
    pub per_page: u32,
}

/// A case: its ledger and its timeline.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseDetail {
    /// The ledger (案件全流程台账): kind, cause, stage, unit, officers, persons with measures,
    /// property, freezes, handling-area stays, recordings, documents.
    #[schema(value_type = Object)]
    pub ledger: CaseLedger,
    /// Every event of the case in order of `at`, retracted ones marked.
    pub timeline: Vec<TimelineEntry>,
}

/// One event on a case's timeline.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TimelineEntry {
    /// Position in the log.
    pub seq: i64,
    /// The event id.
    pub id: String,
    /// The event type.
    #[serde(rename = "type")]
    pub event_type: String,
    /// The type's Chinese name.
    pub type_zh: String,
    /// When it happened (RFC 3339, +08:00).
    pub at: String,
    /// When Casewatch received it (RFC 3339, +08:00).
    pub recorded_at: Option<String>,
    /// Person or property id.
    pub subject: Option<String>,
    /// Acting unit.
    pub unit: Option<String>,
    /// Acting officer.
    pub officer: Option<String>,
    /// Type-specific data.
    #[schema(value_type = Object)]
    pub data: casewatch_core::event::Data,
    /// The retraction that voids this event, if any.
    pub retracted_by: Option<String>,
}

impl TimelineEntry {
    /// The timeline of a case from its stored events (already in order).
    pub fn timeline(events: Vec<StoredEvent>) -> Vec<Self> {
        let retractions: std::collections::HashMap<String, String> = events
            .iter()
            .filter(|s| s.event.event_type == casewatch_core::EventType::EventRetracted)
            .filter_map(|s| {
                s.event
                    .data_str("target")
                    .map(|t| (t.to_owned(), s.event.id.to_string()))
            })
            .collect();
        events
            .into_iter()
            .map(|s| {
                let e = s.event;
                Self {
                    seq: s.seq,
                    retracted_by: retractions.get(e.id.as_str()).cloned(),
                    id: e.id.to_string(),
                    type_zh: e.event_type.zh().to_owned(),
                    event_type: e.event_type.to_string(),
                    at: format_instant(e.at),
                    recorded_at: from_micros(s.recorded_at_us).map(format_instant),
                    subject: e.subject.map(|x| x.to_string()),
                    unit: e.unit.map(|x| x.to_string()),
                    officer: e.officer.map(|x| x.to_string()),
                    data: e.data,
                }
            })
            .collect()
    }
}

/// The server's health.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Health {
    /// `ok`.
    pub status: String,
    /// `sqlite` or `postgres`.
    pub backend: String,
    /// The server's version.
    pub version: String,
}
