//! `PUT /api/v1/calendar/{year}`.

use reqwest::Method;

use super::*;

/// The due of the filing review of `case` (a 3-day ordinary clock).
async fn filing_due(app: &TestApp, case: &str) -> String {
    let (_, page) = app
        .get(&format!(
            "/api/v1/alerts?state=all&rule=criminal_filing_review&case={case}"
        ))
        .await;
    page["items"][0]["due"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

fn accepted(case: &str) -> String {
    json!([{"id":format!("{case}-1"),"type":"case.accepted","case":case,"at":"2026-03-30T10:00:00+08:00","unit":"U-1","data":{"kind":"criminal"}}]).to_string()
}

#[tokio::test]
async fn top_level_administrators_put_a_year_and_later_evaluations_use_it() {
    for app in TestApp::all().await {
        add_account(&app, "AD", "SJ-R", "admin").await;
        add_account(&app, "AU", "U-1", "admin").await;
        let ad = app.sign_in("AD").await;
        let auth = (ad.0.as_str(), ad.1.as_str());
        let put = |year: &str, body: Value| {
            let path = format!("/api/v1/calendar/{year}");
            send(&app, Method::PUT, path, auth, Some(body))
        };

        let (status, year) = put(
            "2027",
            json!({"rest_days": ["2027-10-01", "2027-01-01"], "makeup_workdays": ["2027-09-26"]}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{}: {year}", app.db.label);
        assert_eq!(
            year,
            json!({"year": 2027, "rest_days": ["2027-01-01", "2027-10-01"], "makeup_workdays": ["2027-09-26"]})
        );
        let (_, cal) = app.get("/api/v1/calendar").await;
        assert!(cal.as_array().unwrap().iter().any(|y| y["year"] == 2027));

        // A case accepted on Monday 30 March has three days: due at the end of Thursday
        // 2 April. Declared a rest day, the due moves to the next working day for cases
        // evaluated afterwards; the case evaluated before keeps its due.
        app.post("application/json", accepted("K1")).await;
        let before = filing_due(&app, "K1").await;
        let (_, cal) = app.get("/api/v1/calendar").await;
        let y2026 = cal
            .as_array()
            .unwrap()
            .iter()
            .find(|y| y["year"] == 2026)
            .unwrap()
            .clone();
        let mut rest: Vec<Value> = y2026["rest_days"].as_array().unwrap().clone();
        rest.push(json!("2026-04-02"));
        let (status, _) = put(
            "2026",
            json!({"rest_days": rest, "makeup_workdays": y2026["makeup_workdays"]}),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        app.post("application/json", accepted("K2")).await;
        let after = filing_due(&app, "K2").await;
        assert_eq!(before, "2026-04-03T00:00:00+08:00", "{}", app.db.label);
        assert_eq!(
            after, "2026-04-04T00:00:00+08:00",
            "shifted past the new rest day"
        );
        assert_eq!(filing_due(&app, "K1").await, before);

        // Every problem, named by field and index.
        let (status, err) = put(
            "2027",
            json!({"rest_days": ["2027-01-01", "2027-02-30", "2028-01-01", "2027-01-01"], "makeup_workdays": ["2027-01-01", "2027-09-27"]}),
        )
        .await;
        assert_eq!(
            (status, err["error"]["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("invalid_calendar"))
        );
        assert_eq!(
            fields(&err),
            [
                "rest_days[1]",
                "rest_days[2]",
                "rest_days[3]",
                "makeup_workdays[0]",
                "makeup_workdays[0]",
                "makeup_workdays[1]"
            ]
        );
        assert!(
            err["error"]["details"][0]["message"]
                .as_str()
                .unwrap()
                .contains("rest_days[1]")
        );
        let (status, err) = put("20x7", json!({"rest_days": [], "makeup_workdays": []})).await;
        assert_eq!(
            (status, fields(&err)),
            (StatusCode::BAD_REQUEST, vec!["year".to_owned()])
        );
        let (status, err) = put("2027", json!({"rest_days": []})).await;
        assert_eq!(
            (status, err["error"]["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("invalid_body"))
        );

        // Only an administrator of a top-level unit, with the CSRF token.
        let au = app.sign_in("AU").await;
        let r1 = app.sign_in("R-1").await;
        let body = json!({"rest_days": [], "makeup_workdays": []});
        for (who, session) in [
            ("AU", (au.0.as_str(), au.1.as_str())),
            ("R-1", (r1.0.as_str(), r1.1.as_str())),
        ] {
            let (status, _) = send(
                &app,
                Method::PUT,
                "/api/v1/calendar/2028",
                session,
                Some(body.clone()),
            )
            .await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{who}");
        }
        let (status, err) = send(
            &app,
            Method::PUT,
            "/api/v1/calendar/2028",
            (auth.0, ""),
            Some(body.clone()),
        )
        .await;
        assert_eq!(
            (status, err["error"]["code"].as_str()),
            (StatusCode::FORBIDDEN, Some("csrf"))
        );
        let (status, _) = send(
            &app,
            Method::PUT,
            "/api/v1/calendar/2028",
            ("", ""),
            Some(body),
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let (_, cal) = app.get("/api/v1/calendar").await;
        assert!(
            !cal.as_array().unwrap().iter().any(|y| y["year"] == 2028),
            "nothing stored"
        );

        let trail = audited(&app, "calendar.put").await;
        assert_eq!(
            trail.iter().filter(|t| *t == "AD:success").count(),
            2,
            "{trail:?}"
        );
        assert!(
            trail.contains(&"AU:denied".to_owned()) && trail.contains(&"R-1:denied".to_owned())
        );
    }
}
