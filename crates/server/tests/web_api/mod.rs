//! The endpoints the web UI needs beyond reading cases and findings: live notices and dashboard
//! statistics. Every test runs on every backend (`TestApp::all`).

use super::*;

mod stats;
mod stream;

/// The `field` of every detail of an error answer.
fn fields(body: &Value) -> Vec<String> {
    body["error"]["details"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|d| d["field"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}
