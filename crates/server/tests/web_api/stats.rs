//! `GET /api/v1/alerts/stats`.

use super::*;

#[tokio::test]
async fn the_trend_has_every_day_and_the_top_rules_their_names() {
    for app in TestApp::all().await {
        // Evaluated at the receiving clock (2026-04-01 12:00): the detention's 24-hour clocks
        // became overdue today.
        app.post("application/json", events().to_string()).await;
        let (status, stats) = app.get("/api/v1/alerts/stats").await;
        assert_eq!(status, StatusCode::OK, "{}: {stats}", app.db.label);
        let trend = stats["trend"].as_array().unwrap();
        assert_eq!(trend.len(), 30, "30 days by default");
        assert_eq!(
            (stats["from"].as_str(), stats["to"].as_str()),
            (Some("2026-03-03"), Some("2026-04-01"))
        );
        assert_eq!(trend[0]["day"], "2026-03-03");
        assert_eq!(trend[29]["day"], "2026-04-01");
        let today = &trend[29];
        assert!(today["overdue"].as_i64().unwrap() >= 3, "{today}");
        for day in &trend[..29] {
            assert_eq!(
                (&day["warning"], &day["overdue"], &day["violated"]),
                (&json!(0), &json!(0), &json!(0)),
                "zeros included: {day}"
            );
        }
        let top = stats["top_rules"].as_array().unwrap();
        assert!(!top.is_empty() && top.len() <= 10);
        let totals: Vec<i64> = top.iter().map(|r| r["total"].as_i64().unwrap()).collect();
        assert!(
            totals.windows(2).all(|w| w[0] >= w[1]),
            "most first: {totals:?}"
        );
        let r = top
            .iter()
            .find(|r| r["rule"] == "criminal_detention_family_notice")
            .unwrap();
        assert_eq!(
            (r["name"].as_str(), r["overdue"].as_i64()),
            (Some("拘留通知家属"), Some(1))
        );

        let (_, week) = app.get("/api/v1/alerts/stats?days=7&unit=U-1").await;
        assert_eq!(week["trend"].as_array().unwrap().len(), 7);
        assert_eq!(week["trend"][6]["overdue"], today["overdue"]);
        for (query, field) in [
            ("days=0", "days"),
            ("days=367", "days"),
            ("days=abc", "days"),
            ("unit=NOPE", "unit"),
        ] {
            let (status, body) = app.get(&format!("/api/v1/alerts/stats?{query}")).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
            assert_eq!(fields(&body), [field], "{query}: {body}");
        }

        // Within the reader's scope only; not for officers, administrators or anonymous.
        add_unit(&app, "OTHER", None, "bureau").await;
        add_account(&app, "XO", "OTHER", "legal_dept").await;
        let (foreign, _) = app.sign_in("XO").await;
        let (status, theirs) = app.get_as(&foreign, "/api/v1/alerts/stats").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(theirs["trend"][29]["overdue"], 0);
        assert_eq!(theirs["top_rules"], json!([]));
        for (id, role) in [("OF", "officer"), ("AD", "admin")] {
            add_account(&app, id, "U-1", role).await;
            let (cookie, _) = app.sign_in(id).await;
            let (status, _) = app.get_as(&cookie, "/api/v1/alerts/stats").await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{role}");
        }
        let (status, _) = app.get_as("", "/api/v1/alerts/stats").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
}
