//! `GET /api/v1/rules/test` and `POST /api/v1/rules/diff`.

use reqwest::Method;

use super::*;

#[tokio::test]
async fn the_packs_own_scenarios_run_in_the_server() {
    for app in TestApp::all().await {
        let (status, report) = app.get("/api/v1/rules/test").await;
        assert_eq!(status, StatusCode::OK, "{}: {report}", app.db.label);
        let scenarios = report["scenarios"].as_array().unwrap();
        assert!(
            scenarios.len() >= 82,
            "two or more per rule: {}",
            scenarios.len()
        );
        assert_eq!(
            (report["failed"].as_u64(), report["passed"].as_u64()),
            (Some(0), Some(scenarios.len() as u64))
        );
        assert_eq!(report["rules_without_scenarios"], json!([]));
        let one = scenarios
            .iter()
            .find(|s| {
                s["file"] == "scenarios/criminal_filing_review/national_day_shift.events.jsonl"
            })
            .unwrap();
        assert_eq!(
            (
                one["rule"].as_str(),
                one["name"].as_str(),
                one["passed"].as_bool(),
                one["problems"].clone()
            ),
            (
                Some("criminal_filing_review"),
                Some("national_day_shift"),
                Some(true),
                json!([])
            )
        );

        // Every person with a role; not an ingest token, not anonymous.
        add_account(&app, "OF", "U-1", "officer").await;
        let (officer, _) = app.sign_in("OF").await;
        assert_eq!(
            app.get_as(&officer, "/api/v1/rules/test").await.0,
            StatusCode::OK
        );
        let r = app
            .client
            .get(format!("{}/api/v1/rules/test", app.base))
            .header("authorization", &app.bearer)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        assert_eq!(
            app.get_as("", "/api/v1/rules/test").await.0,
            StatusCode::UNAUTHORIZED
        );
    }
}

/// The standard pack's file of a rule.
fn rule_file(id: &str) -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../rules/standard/clocks/");
    std::fs::read_to_string(format!("{path}{id}.toml")).unwrap()
}

#[tokio::test]
async fn a_dry_run_of_a_changed_pack_counts_what_would_change_and_writes_nothing() {
    for app in TestApp::all().await {
        app.post("application/json", events().to_string()).await;
        // A case of another bureau, outside the legal department's scope.
        add_unit(&app, "OTHER", None, "bureau").await;
        app.db
            .store
            .create_token(&casewatch_store::ApiToken {
                id: "T-O".into(),
                name: "另一市局".into(),
                secret_hash: casewatch_server::auth::password::digest(TEST_SECRET),
                roles: vec!["ingest".into()],
                units: vec!["OTHER".into()],
                created_by: "test".into(),
                created_at_us: 0,
                revoked_at_us: None,
                last_used_us: None,
            })
            .await
            .unwrap();
        let foreign = json!([
            {"id":"o1","type":"case.accepted","case":"CO","at":"2026-03-01T09:00:00+08:00","unit":"OTHER","data":{"kind":"criminal"}},
            {"id":"o2","type":"detention.started","case":"CO","subject":"P1","at":"2026-03-02T10:23:00+08:00"}
        ]);
        let r = app
            .client
            .post(format!("{}/api/v1/events", app.base))
            .header("content-type", "application/json")
            .header("authorization", format!("Bearer T-O.{TEST_SECRET}"))
            .body(foreign.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);

        let r1 = app.sign_in("R-1").await;
        let auth = (r1.0.as_str(), r1.1.as_str());
        let dry_run =
            |body: Value| send(&app, Method::POST, "/api/v1/rules/diff", auth, Some(body));
        let (_, before) = app.get("/api/v1/alerts?state=all&per_page=200").await;

        // 24 hours become 31 days: C1's family notice, overdue since 3 March, is no longer.
        let id = "criminal_detention_family_notice";
        let changed = rule_file(id).replace("hours = 24", "hours = 744");
        let (status, diff) =
            dry_run(json!({"files": {format!("clocks/{id}.toml"): changed}})).await;
        assert_eq!(status, StatusCode::OK, "{}: {diff}", app.db.label);
        assert_eq!(diff["cases"], 1, "only the cases the caller reads");
        assert_eq!(diff["rules_changed"], json!([id]));
        let changes = diff["changes"].as_array().unwrap();
        assert_eq!(changes.len(), 1, "{diff}");
        let c = &changes[0];
        assert_eq!(
            (
                c["rule"].as_str(),
                c["rule_name"].as_str(),
                c["unit"].as_str()
            ),
            (Some(id), Some("拘留通知家属"), Some("U-1"))
        );
        assert_eq!(
            (
                c["appear"].as_u64(),
                c["disappear"].as_u64(),
                c["change_state"].as_u64()
            ),
            (Some(0), Some(0), Some(1))
        );
        let example = &c["examples"][0];
        assert_eq!(
            (
                example["case_id"].as_str(),
                example["subject"].as_str(),
                example["before"].as_str()
            ),
            (Some("C1"), Some("P1"), Some("overdue"))
        );
        assert_ne!(example["after"], "overdue");

        // Deleting a rule: its findings disappear.
        let (status, diff) = dry_run(json!({"delete": [format!("clocks/{id}.toml")]})).await;
        assert_eq!(status, StatusCode::OK, "{diff}");
        assert_eq!(diff["rules_removed"], json!([id]));
        assert_eq!(diff["changes"][0]["disappear"], 1);

        // An invalid pack: every problem with its file, rule and position; nothing runs.
        let broken = changed.replace("family.notified", "family.notifed");
        let (status, err) = dry_run(json!({"files": {
            format!("clocks/{id}.toml"): broken,
            "checks/x.toml": "id = \"x\"\nname = ",
            "notes.txt": "hello",
        }}))
        .await;
        assert_eq!(
            (status, err["error"]["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("invalid_rule_pack"))
        );
        let details = err["error"]["details"].as_array().unwrap();
        let typo = details
            .iter()
            .find(|d| d["message"].as_str().unwrap().contains("family.notifed"))
            .unwrap_or_else(|| panic!("{err}"));
        assert_eq!(
            (typo["file"].as_str(), typo["rule"].as_str()),
            (
                Some("clocks/criminal_detention_family_notice.toml"),
                Some(id)
            )
        );
        assert!(
            typo["line"].as_u64().is_some() && typo["column"].as_u64().is_some(),
            "{typo}"
        );
        let toml = details
            .iter()
            .find(|d| d["file"] == "checks/x.toml")
            .unwrap();
        assert_eq!(toml["line"], 2, "{toml}");
        assert!(details.iter().any(|d| d["file"] == "notes.txt"));
        let (status, err) = dry_run(json!({"delete": ["clocks/nope.toml"]})).await;
        assert_eq!(
            (status, fields(&err)),
            (StatusCode::BAD_REQUEST, vec!["delete[0]".to_owned()])
        );
        let (status, err) = dry_run(json!({})).await;
        assert_eq!(
            (status, fields(&err)),
            (StatusCode::BAD_REQUEST, vec!["files".to_owned()])
        );

        let (_, after) = app.get("/api/v1/alerts?state=all&per_page=200").await;
        assert_eq!(before, after, "nothing was written");

        // Only the legal department of a top-level unit, with the CSRF token.
        let body = json!({"files": {format!("clocks/{id}.toml"): rule_file(id)}});
        let (status, err) = send(
            &app,
            Method::POST,
            "/api/v1/rules/diff",
            (auth.0, ""),
            Some(body.clone()),
        )
        .await;
        assert_eq!(
            (status, err["error"]["code"].as_str()),
            (StatusCode::FORBIDDEN, Some("csrf"))
        );
        add_account(&app, "LU", "U-1", "legal_dept").await;
        add_account(&app, "OF", "U-1", "officer").await;
        for who in ["LU", "OF"] {
            let s = app.sign_in(who).await;
            let (status, _) = send(
                &app,
                Method::POST,
                "/api/v1/rules/diff",
                (&s.0, &s.1),
                Some(body.clone()),
            )
            .await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{who}");
        }
        let (status, _) = send(
            &app,
            Method::POST,
            "/api/v1/rules/diff",
            ("", ""),
            Some(body),
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);

        let trail = audited(&app, "rules.dry_run").await;
        for outcome in ["R-1:success", "R-1:failure", "LU:denied", "OF:denied"] {
            assert!(trail.contains(&outcome.to_owned()), "{outcome}: {trail:?}");
        }
    }
}
