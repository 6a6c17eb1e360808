//! `GET /api/v1/tokens`, `GET /api/v1/users`, `PATCH /api/v1/users/{id}`.

use reqwest::Method;

use super::*;

async fn token(app: &TestApp, id: &str, units: &[&str]) {
    let token = casewatch_store::ApiToken {
        id: id.into(),
        name: format!("接入{id}"),
        secret_hash: casewatch_server::auth::password::digest("s"),
        roles: vec!["ingest".into()],
        units: units.iter().map(|u| (*u).to_owned()).collect(),
        created_by: "test".into(),
        created_at_us: 1_775_016_000_000_000,
        revoked_at_us: None,
        last_used_us: None,
    };
    app.db.store.create_token(&token).await.unwrap();
}

fn ids(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn administrators_list_the_tokens_of_their_subtree_without_secrets() {
    for app in TestApp::all().await {
        add_unit(&app, "OTHER", None, "bureau").await;
        token(&app, "T-U1", &["U-1"]).await;
        token(&app, "T-MIX", &["U-1", "OTHER"]).await;
        token(&app, "T-OTHER", &["OTHER"]).await;
        add_account(&app, "AD", "SJ-R", "admin").await;
        add_account(&app, "AU", "U-1", "admin").await;
        let top = app.sign_in("AD").await;
        let (status, list) = app.get_as(&top.0, "/api/v1/tokens").await;
        assert_eq!(status, StatusCode::OK, "{}: {list}", app.db.label);
        assert_eq!(ids(&list), ["T-TEST", "T-U1"], "every unit in the subtree");
        assert!(list[0].get("secret_hash").is_none());
        assert_eq!(list[1]["units"], json!(["U-1"]));
        assert_eq!(list[1]["created_at"], "2026-04-01T12:00:00+08:00");
        assert_eq!(list[1]["revoked_at"], Value::Null);
        let (lower, _) = app.sign_in("AU").await;
        let (_, theirs) = app.get_as(&lower, "/api/v1/tokens").await;
        assert_eq!(ids(&theirs), ["T-U1"]);

        let (status, _) = send(
            &app,
            Method::DELETE,
            "/api/v1/tokens/T-U1",
            (&top.0, &top.1),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (_, list) = app.get_as(&top.0, "/api/v1/tokens").await;
        assert!(list[1]["revoked_at"].as_str().is_some(), "{list}");

        let (status, _) = app.get("/api/v1/tokens").await;
        assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "a legal department is no administrator"
        );
        let (status, _) = app.get_as("", "/api/v1/tokens").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
}

#[tokio::test]
async fn administrators_change_roles_disable_and_reset_passwords_in_their_subtree() {
    for app in TestApp::all().await {
        add_unit(&app, "OTHER", None, "bureau").await;
        add_account(&app, "AD", "SJ-R", "admin").await;
        add_account(&app, "O-1", "U-1", "officer").await;
        add_account(&app, "XO", "OTHER", "officer").await;
        let ad = app.sign_in("AD").await;
        let auth = (ad.0.as_str(), ad.1.as_str());
        let patch = |id: &str, body: Value| {
            let path = format!("/api/v1/users/{id}");
            send(&app, Method::PATCH, path, auth, Some(body))
        };

        // GET /users shows roles, unit and the disabled and locked state.
        let (_, users) = app.get_as(auth.0, "/api/v1/users").await;
        let o1 = users
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["id"] == "O-1")
            .unwrap();
        assert_eq!(
            (
                &o1["unit"],
                &o1["roles"],
                &o1["disabled"],
                &o1["locked_until_us"]
            ),
            (
                &json!("U-1"),
                &json!(["officer"]),
                &json!(false),
                &Value::Null
            ),
            "{}",
            app.db.label
        );

        let (status, user) = patch(
            "O-1",
            json!({"roles": ["legal_officer", "officer"], "name": "王五"}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{user}");
        assert_eq!(
            (user["roles"].clone(), user["name"].clone()),
            (json!(["legal_officer", "officer"]), json!("王五"))
        );

        for (body, field) in [
            (json!({}), "body"),
            (json!({"roles": ["sheriff"]}), "roles"),
            (json!({"roles": []}), "roles"),
            (json!({"password": "short"}), "password"),
            (json!({"unit": "NOPE"}), "unit"),
        ] {
            let (status, err) = patch("O-1", body.clone()).await;
            assert_eq!(
                (status, fields(&err)),
                (StatusCode::BAD_REQUEST, vec![field.to_owned()]),
                "{body}"
            );
        }
        let (status, _) = patch("O-1", json!({"nickname": "x"})).await;
        assert_eq!(
            status,
            StatusCode::BAD_REQUEST,
            "unknown fields are refused"
        );

        // Disabling ends the account's sessions at once; a new password lets it back in.
        let (o1_session, _) = app.sign_in("O-1").await;
        let (status, user) = patch("O-1", json!({"disabled": true})).await;
        assert_eq!(
            (status, user["disabled"].clone()),
            (StatusCode::OK, json!(true))
        );
        let (status, _) = app.get_as(&o1_session, "/api/v1/auth/me").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let (status, _) = patch(
            "O-1",
            json!({"disabled": false, "password": "Xin-mima#2027"}),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        let r = app
            .client
            .post(format!("{}/api/v1/auth/login", app.base))
            .json(&json!({"user": "O-1", "password": "Xin-mima#2027"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "the new password works");

        // Not outside the subtree, not to a unit outside it, not oneself, not without CSRF.
        let (status, _) = patch("XO", json!({"disabled": true})).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = patch("O-1", json!({"unit": "OTHER"})).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, err) = patch("AD", json!({"roles": ["admin", "legal_dept"]})).await;
        assert_eq!(
            (status, err["error"]["code"].as_str()),
            (StatusCode::FORBIDDEN, Some("self_grant"))
        );
        let (status, _) = patch("NOPE", json!({"disabled": true})).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, err) = send(
            &app,
            Method::PATCH,
            "/api/v1/users/O-1",
            (auth.0, ""),
            Some(json!({"disabled": true})),
        )
        .await;
        assert_eq!(
            (status, err["error"]["code"].as_str()),
            (StatusCode::FORBIDDEN, Some("csrf"))
        );
        let r1 = app.sign_in("R-1").await;
        let (status, _) = send(
            &app,
            Method::PATCH,
            "/api/v1/users/O-1",
            (&r1.0, &r1.1),
            Some(json!({"disabled": true})),
        )
        .await;
        assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "a legal department is no administrator"
        );

        let trail = audited(&app, "user.update").await;
        assert_eq!(
            trail.iter().filter(|t| *t == "AD:success").count(),
            3,
            "{trail:?}"
        );
        assert!(
            trail.contains(&"AD:denied".to_owned()) && trail.contains(&"R-1:denied".to_owned())
        );
    }
}
