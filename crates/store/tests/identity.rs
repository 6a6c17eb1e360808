//! The identity and audit contract — units, users, logins, sessions, tokens, the signed audit
//! chain, and filtering by unit subtree — run against every backend (SQLite always; PostgreSQL
//! when `CASEWATCH_TEST_POSTGRES` holds a URL).

// The whole file is test code, so that the workspace's test allowances (unwrap, panic,
// indexing) apply to its helpers too.
#![cfg(test)]

use casewatch_core::{Event, ParseOptions};
use casewatch_store::testing::{self, TestDb};
use casewatch_store::{
    ApiToken, AuditEntry, AuditKey, AuditQuery, CaseQuery, FindingQuery, NewUnit, NewUser, Session,
    StoreError, StoreOptions, UserChange,
};
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};
use sqlx::AssertSqlSafe;

fn t(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn now() -> Timestamp {
    t("2026-04-01T12:00:00+08:00")
}

fn us(s: &str) -> i64 {
    t(s).as_microsecond()
}

async fn each_backend() -> Vec<TestDb> {
    testing::all().await.expect("open test databases")
}

/// Runs SQL on the test database past the store (to tamper with it).
async fn raw(db: &TestDb, sql: &str) -> Result<(), sqlx::Error> {
    if db.label == "sqlite" {
        let pool = sqlx::SqlitePool::connect(&db.url).await?;
        sqlx::raw_sql(AssertSqlSafe(sql.to_owned()))
            .execute(&pool)
            .await?;
        pool.close().await;
    } else {
        let pool = sqlx::PgPool::connect(&db.url).await?;
        sqlx::raw_sql(AssertSqlSafe(sql.to_owned()))
            .execute(&pool)
            .await?;
        pool.close().await;
    }
    Ok(())
}

/// Lets the test edit the audit trail: SQLite drops the trigger, PostgreSQL disables it.
async fn allow_audit_updates(db: &TestDb) {
    let sql = if db.label == "sqlite" {
        "DROP TRIGGER audit_log_no_update"
    } else {
        "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update"
    };
    raw(db, sql).await.unwrap();
}

fn unit(id: &str, parent: Option<&str>, kind: &str) -> NewUnit {
    NewUnit {
        id: id.into(),
        name: format!("{id} 单位"),
        parent: parent.map(Into::into),
        kind: kind.into(),
    }
}

/// 市局 SJ → 分局 FJ1 → 派出所 P_1 and PX1; 警种 XZ under SJ.
async fn tree(db: &TestDb) {
    for u in [
        unit("SJ", None, "bureau"),
        unit("FJ1", Some("SJ"), "branch"),
        unit("P_1", Some("FJ1"), "station"),
        unit("PX1", Some("FJ1"), "station"),
        unit("XZ", Some("SJ"), "police_type"),
    ] {
        db.store.add_unit(&u).await.unwrap();
    }
}

fn user(id: &str, unit: &str, roles: &[&str]) -> NewUser {
    NewUser {
        id: id.into(),
        name: format!("民警{id}"),
        unit: unit.into(),
        roles: roles.iter().map(|r| (*r).to_owned()).collect(),
        password_hash: Some("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into()),
    }
}

fn invalid_message<T: std::fmt::Debug>(r: Result<T, StoreError>) -> String {
    match r {
        Err(StoreError::Invalid(m)) => m,
        other => panic!("expected Invalid, got {other:?}"),
    }
}

#[tokio::test]
async fn units_form_a_tree_with_paths() {
    for db in each_backend().await {
        let s = &db.store;
        tree(&db).await;
        let units = s.list_units().await.unwrap();
        let paths: Vec<&str> = units.iter().map(|u| u.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "/SJ/",
                "/SJ/FJ1/",
                "/SJ/FJ1/PX1/",
                "/SJ/FJ1/P_1/",
                "/SJ/XZ/"
            ],
            "{}: ordered by path",
            db.label
        );
        let p1 = s.get_unit("P_1").await.unwrap().unwrap();
        assert_eq!(
            (p1.parent.as_deref(), p1.kind.as_str()),
            (Some("FJ1"), "station")
        );
        assert_eq!(s.get_unit("nope").await.unwrap(), None);
        // Many paths at once: the registered units' (read, then kept), none for the others,
        // and a unit registered after a miss is found.
        let ids: Vec<String> = ["P_1", "LATER", "SJ", "P_1"].map(String::from).into();
        for _ in 0..2 {
            let some = s.unit_paths(&ids).await.unwrap();
            assert_eq!(some.len(), 2, "{}", db.label);
            assert_eq!(some.get("P_1"), Some(&p1.path));
            assert_eq!(some.get("SJ").map(String::as_str), Some("/SJ/"));
        }
        s.add_unit(&unit("LATER", Some("SJ"), "branch"))
            .await
            .unwrap();
        let later = s.unit_paths(&ids).await.unwrap();
        assert_eq!(
            later.get("LATER").map(String::as_str),
            Some("/SJ/LATER/"),
            "{}",
            db.label
        );
        assert!(s.unit_paths(&[]).await.unwrap().is_empty());

        let renamed = s.rename_unit("P_1", "  滨江派出所 ").await.unwrap();
        assert_eq!(
            (renamed.name.as_str(), renamed.path.as_str()),
            ("滨江派出所", "/SJ/FJ1/P_1/")
        );
        assert!(invalid_message(s.rename_unit("nope", "x").await).contains("`nope` 不存在"));
        assert!(invalid_message(s.rename_unit("SJ", " ").await).contains("不能为空"));

        let long = "x".repeat(129);
        let refused = [
            (unit("Q", Some("nope"), "station"), "上级单位 `nope` 不存在"),
            (unit("FJ1", Some("SJ"), "branch"), "单位编号 `FJ1` 已存在"),
            (unit("Q", Some("SJ"), "village"), "单位类型 `village` 无效"),
            (unit("a/b", None, "bureau"), "含有字符 `/`"),
            (unit("", None, "bureau"), "不能为空"),
            (unit(&long, None, "bureau"), "最多 128 个字符"),
            (unit("东湖", None, "bureau"), "含有字符 `东`"),
            (
                NewUnit {
                    name: "\t".into(),
                    ..unit("Q", None, "bureau")
                },
                "单位名称不能为空",
            ),
        ];
        for (u, expected) in refused {
            let message = invalid_message(s.add_unit(&u).await);
            assert!(message.contains(expected), "{}: {message}", db.label);
        }
        assert_eq!(
            s.list_units().await.unwrap().len(),
            6,
            "nothing was added besides the tree and LATER"
        );
    }
}

#[tokio::test]
async fn users_are_added_listed_and_changed() {
    for db in each_backend().await {
        let s = &db.store;
        tree(&db).await;
        assert_eq!(s.count_users().await.unwrap(), 0);
        let a = s
            .add_user(&user("000101", "P_1", &["officer", "officer"]), now())
            .await
            .unwrap();
        assert_eq!(a.unit_path, "/SJ/FJ1/P_1/", "{}", db.label);
        assert_eq!(a.roles, ["officer"], "repeats are dropped");
        assert_eq!(
            (a.failed_logins, a.locked_until_us, a.disabled),
            (0, None, false)
        );
        assert_eq!(a.created_at_us, now().as_microsecond());
        assert_eq!(a.password_changed_at_us, Some(now().as_microsecond()));
        s.add_user(&user("000102", "PX1", &["legal_officer"]), now())
            .await
            .unwrap();
        s.add_user(&user("000201", "XZ", &["leader"]), now())
            .await
            .unwrap();
        s.add_user(
            &NewUser {
                password_hash: None,
                ..user("admin", "SJ", &["admin"])
            },
            now(),
        )
        .await
        .unwrap();
        assert_eq!(s.count_users().await.unwrap(), 4);
        assert_eq!(s.get_user("000101").await.unwrap(), Some(a.clone()));
        assert_eq!(s.get_user("nope").await.unwrap(), None);
        let admin = s.get_user("admin").await.unwrap().unwrap();
        assert_eq!(
            (admin.password_hash, admin.password_changed_at_us),
            (None, None)
        );

        let ids = |users: Vec<casewatch_store::User>| -> Vec<String> {
            users.into_iter().map(|u| u.id).collect()
        };
        assert_eq!(
            ids(s.list_users(None).await.unwrap()),
            ["admin", "000102", "000101", "000201"],
            "{}: by unit path, then id",
            db.label
        );
        assert_eq!(
            ids(s.list_users(Some("/SJ/FJ1/")).await.unwrap()),
            ["000102", "000101"]
        );
        assert_eq!(
            ids(s.list_users(Some("/SJ/FJ1/P_1/")).await.unwrap()),
            ["000101"],
            "{}: `_` in a path is not a wildcard",
            db.label
        );
        assert!(invalid_message(s.list_users(Some("SJ")).await).contains("单位路径 `SJ` 无效"));
        assert!(invalid_message(s.list_users(Some("/SJ/%/")).await).contains("无效"));

        let refused = [
            (user("000101", "P_1", &["officer"]), "警号 `000101` 已存在"),
            (user("000999", "nope", &["officer"]), "单位 `nope` 不存在"),
            (user("000999", "P_1", &["chief"]), "角色 `chief` 无效"),
            (user("000 999", "P_1", &["officer"]), "警号 `000 999` 无效"),
        ];
        for (u, expected) in refused {
            let message = invalid_message(s.add_user(&u, now()).await);
            assert!(message.contains(expected), "{}: {message}", db.label);
        }

        let later = t("2026-04-02T09:00:00+08:00");
        let moved = s
            .update_user(
                "000101",
                &UserChange {
                    name: Some("王五".into()),
                    unit: Some("XZ".into()),
                    roles: Some(vec!["officer".into(), "legal_officer".into()]),
                    disabled: Some(true),
                    ..Default::default()
                },
                later,
            )
            .await
            .unwrap();
        assert_eq!(
            (
                moved.name.as_str(),
                moved.unit.as_str(),
                moved.unit_path.as_str(),
                moved.disabled
            ),
            ("王五", "XZ", "/SJ/XZ/", true),
            "{}",
            db.label
        );
        assert_eq!(moved.roles, ["officer", "legal_officer"]);
        assert_eq!(
            moved.password_changed_at_us, a.password_changed_at_us,
            "the password is unchanged"
        );
        assert_eq!(
            s.update_user("000101", &UserChange::default(), later)
                .await
                .unwrap(),
            moved,
            "an empty change changes nothing visible"
        );
        let messages = [
            (
                "nope",
                UserChange {
                    disabled: Some(true),
                    ..Default::default()
                },
                "用户 `nope` 不存在",
            ),
            (
                "000101",
                UserChange {
                    unit: Some("nope".into()),
                    ..Default::default()
                },
                "单位 `nope` 不存在",
            ),
            (
                "000101",
                UserChange {
                    roles: Some(vec!["root".into()]),
                    ..Default::default()
                },
                "角色 `root` 无效",
            ),
        ];
        for (id, change, expected) in messages {
            let message = invalid_message(s.update_user(id, &change, later).await);
            assert!(message.contains(expected), "{}: {message}", db.label);
        }
    }
}

#[tokio::test]
async fn login_failures_lock_the_user_until_a_success_or_a_new_password() {
    for db in each_backend().await {
        let s = &db.store;
        tree(&db).await;
        s.add_user(&user("000101", "P_1", &["officer"]), now())
            .await
            .unwrap();
        let lock = SignedDuration::from_mins(15);
        let f1 = s
            .record_login_failure("000101", now(), 3, lock)
            .await
            .unwrap();
        let f2 = s
            .record_login_failure("000101", now(), 3, lock)
            .await
            .unwrap();
        assert_eq!(
            (f1.failed_logins, f2.failed_logins, f2.locked_until_us),
            (1, 2, None),
            "{}",
            db.label
        );
        let at = t("2026-04-01T12:01:00+08:00");
        let f3 = s.record_login_failure("000101", at, 3, lock).await.unwrap();
        assert_eq!(
            (f3.failed_logins, f3.locked_until_us),
            (3, Some(us("2026-04-01T12:16:00+08:00"))),
            "{}: locked at the third failure",
            db.label
        );
        s.record_login_success("000101").await.unwrap();
        let ok = s.get_user("000101").await.unwrap().unwrap();
        assert_eq!((ok.failed_logins, ok.locked_until_us), (0, None));

        for _ in 0..3 {
            s.record_login_failure("000101", now(), 3, lock)
                .await
                .unwrap();
        }
        let reset = s
            .update_user(
                "000101",
                &UserChange {
                    password_hash: Some("$argon2id$new".into()),
                    ..Default::default()
                },
                at,
            )
            .await
            .unwrap();
        assert_eq!(
            (
                reset.failed_logins,
                reset.locked_until_us,
                reset.password_changed_at_us
            ),
            (0, None, Some(at.as_microsecond())),
            "{}: a new password clears the lock",
            db.label
        );
        assert!(
            invalid_message(s.record_login_failure("nope", now(), 3, lock).await)
                .contains("`nope` 不存在")
        );
    }
}

fn sha(n: u8) -> String {
    format!("{n:02x}").repeat(32)
}

#[tokio::test]
async fn sessions_are_created_touched_and_purged() {
    for db in each_backend().await {
        let s = &db.store;
        tree(&db).await;
        s.add_user(&user("000101", "P_1", &["officer"]), now())
            .await
            .unwrap();
        s.add_user(&user("000102", "P_1", &["officer"]), now())
            .await
            .unwrap();
        let session = |n: u8, user: &str, created: &str| Session {
            id_hash: sha(n),
            user_id: user.into(),
            csrf_token: format!("csrf-{n}"),
            created_at_us: us(created),
            last_seen_us: us(created),
            source: Some("10.1.2.3".into()),
        };
        let a = session(1, "000101", "2026-04-01T08:00:00+08:00");
        s.create_session(&a).await.unwrap();
        s.create_session(&session(2, "000101", "2026-04-01T11:00:00+08:00"))
            .await
            .unwrap();
        s.create_session(&session(3, "000102", "2026-03-31T08:00:00+08:00"))
            .await
            .unwrap();
        s.create_session(&session(4, "000102", "2026-04-01T11:50:00+08:00"))
            .await
            .unwrap();
        assert_eq!(
            s.get_session(&sha(1)).await.unwrap(),
            Some(a.clone()),
            "{}",
            db.label
        );
        assert_eq!(s.get_session(&sha(9)).await.unwrap(), None);

        assert!(invalid_message(s.create_session(&a).await).contains("会话已存在"));
        assert!(
            invalid_message(
                s.create_session(&session(5, "nope", "2026-04-01T08:00:00+08:00"))
                    .await
            )
            .contains("用户 `nope` 不存在")
        );
        let raw_id = Session {
            id_hash: "the-session-id-itself".into(),
            ..session(6, "000101", "2026-04-01T08:00:00+08:00")
        };
        assert!(invalid_message(s.create_session(&raw_id).await).contains("SHA-256"));

        s.touch_session(&sha(1), t("2026-04-01T11:55:00+08:00"))
            .await
            .unwrap();
        s.touch_session(&sha(1), t("2026-04-01T11:00:00+08:00"))
            .await
            .unwrap();
        assert_eq!(
            s.get_session(&sha(1)).await.unwrap().unwrap().last_seen_us,
            us("2026-04-01T11:55:00+08:00"),
            "{}: the last activity only moves forward",
            db.label
        );

        // Idle since before 10:00: session 3 only (session 1 was touched at 11:55).
        let purged = s
            .purge_sessions(
                t("2026-04-01T10:00:00+08:00"),
                t("2026-03-01T00:00:00+08:00"),
            )
            .await
            .unwrap();
        assert_eq!(purged, 1, "{}: session 3 (idle)", db.label);
        assert!(s.get_session(&sha(3)).await.unwrap().is_none());
        // Created before 09:00: session 1, however active.
        let purged = s
            .purge_sessions(
                t("2026-04-01T10:00:00+08:00"),
                t("2026-04-01T09:00:00+08:00"),
            )
            .await
            .unwrap();
        assert_eq!(purged, 1, "{}: session 1 (too old)", db.label);
        assert!(s.get_session(&sha(1)).await.unwrap().is_none());

        s.delete_session(&sha(4)).await.unwrap();
        assert!(s.get_session(&sha(4)).await.unwrap().is_none());
        assert_eq!(s.delete_user_sessions("000101").await.unwrap(), 1);
        assert!(s.get_session(&sha(2)).await.unwrap().is_none());
        assert_eq!(s.delete_user_sessions("000101").await.unwrap(), 0);
    }
}

#[tokio::test]
async fn tokens_are_created_used_and_revoked() {
    for db in each_backend().await {
        let s = &db.store;
        tree(&db).await;
        let token = ApiToken {
            id: "tk-1".into(),
            name: "案管系统接入".into(),
            secret_hash: sha(7),
            roles: vec!["ingest".into()],
            units: vec!["P_1".into(), "PX1".into()],
            created_by: "admin".into(),
            created_at_us: now().as_microsecond(),
            revoked_at_us: None,
            last_used_us: None,
        };
        s.create_token(&token).await.unwrap();
        s.create_token(&ApiToken {
            id: "tk-2".into(),
            created_at_us: now().as_microsecond() + 1,
            ..token.clone()
        })
        .await
        .unwrap();
        assert_eq!(
            s.get_token("tk-1").await.unwrap(),
            Some(token.clone()),
            "{}",
            db.label
        );
        let ids: Vec<String> = s
            .list_tokens()
            .await
            .unwrap()
            .into_iter()
            .map(|t| t.id)
            .collect();
        assert_eq!(ids, ["tk-1", "tk-2"]);

        let refused = [
            (token.clone(), "令牌编号 `tk-1` 已存在"),
            (
                ApiToken {
                    id: "tk-3".into(),
                    units: vec!["nope".into()],
                    ..token.clone()
                },
                "单位 `nope` 不存在",
            ),
            (
                ApiToken {
                    id: "tk-3".into(),
                    roles: vec!["god".into()],
                    ..token.clone()
                },
                "角色 `god` 无效",
            ),
            (
                ApiToken {
                    id: "tk-3".into(),
                    secret_hash: "secret".into(),
                    ..token.clone()
                },
                "SHA-256",
            ),
        ];
        for (tk, expected) in refused {
            let message = invalid_message(s.create_token(&tk).await);
            assert!(message.contains(expected), "{}: {message}", db.label);
        }

        s.touch_token("tk-1", now()).await.unwrap();
        assert_eq!(
            s.get_token("tk-1").await.unwrap().unwrap().last_used_us,
            Some(now().as_microsecond())
        );
        let later = t("2026-04-02T00:00:00+08:00");
        assert!(s.revoke_token("tk-1", later).await.unwrap(), "{}", db.label);
        assert!(
            !s.revoke_token("tk-1", now()).await.unwrap(),
            "already revoked"
        );
        assert!(!s.revoke_token("nope", now()).await.unwrap(), "unknown");
        assert_eq!(
            s.get_token("tk-1").await.unwrap().unwrap().revoked_at_us,
            Some(later.as_microsecond()),
            "the first revocation stands"
        );
    }
}

fn entry(at: &str, actor: &str, action: &str, target: Option<&str>, outcome: &str) -> AuditEntry {
    AuditEntry {
        at: t(at),
        actor: actor.into(),
        actor_kind: "user".into(),
        source: Some("10.1.2.3".into()),
        action: action.into(),
        target: target.map(Into::into),
        outcome: outcome.into(),
        details: json!({"reason": "核查", "fields": ["name", "unit"], "n": 2}),
    }
}

/// Five entries over three hours: logins, a case read, a denied read, an unmasking.
async fn audit_fixture(db: &TestDb) {
    let entries = [
        entry(
            "2026-04-01T08:00:00+08:00",
            "000101",
            "login",
            None,
            "success",
        ),
        entry(
            "2026-04-01T08:05:00+08:00",
            "000101",
            "case.read",
            Some("C1"),
            "success",
        ),
        entry(
            "2026-04-01T09:00:00+08:00",
            "000102",
            "case.read",
            Some("C1"),
            "denied",
        ),
        entry(
            "2026-04-01T10:00:00+08:00",
            "000101",
            "pii.unmask",
            Some("C1"),
            "success",
        ),
        entry(
            "2026-04-01T10:30:00+08:00",
            "000103",
            "login",
            None,
            "failure",
        ),
    ];
    for (i, e) in entries.iter().enumerate() {
        assert_eq!(
            db.store.append_audit(e).await.unwrap(),
            i as i64 + 1,
            "{}",
            db.label
        );
    }
}

#[tokio::test]
async fn the_audit_trail_is_chained_signed_and_filtered() {
    for db in each_backend().await {
        let s = &db.store;
        audit_fixture(&db).await;
        let q = |f: fn(&mut AuditQuery)| {
            let mut q = AuditQuery {
                page: 1,
                per_page: 50,
                ..Default::default()
            };
            f(&mut q);
            q
        };
        let seqs = |p: casewatch_store::Page<casewatch_store::AuditRow>| -> Vec<i64> {
            p.items.iter().map(|r| r.seq).collect()
        };
        let all = s.list_audit(&q(|_| {})).await.unwrap();
        assert_eq!(
            seqs(all.clone()),
            [5, 4, 3, 2, 1],
            "{}: newest first",
            db.label
        );
        let first = all.items.last().unwrap();
        assert_eq!(first.prev_hash, casewatch_store::audit::GENESIS);
        assert_eq!(
            first.details,
            entry(
                "2026-04-01T08:00:00+08:00",
                "000101",
                "login",
                None,
                "success"
            )
            .details
        );
        assert_eq!(first.at_us, us("2026-04-01T08:00:00+08:00"));
        assert_eq!(all.items[0].prev_hash, all.items[1].hash, "linked");

        let cases: [(AuditQuery, &[i64]); 7] = [
            (q(|q| q.actor = Some("000101".into())), &[4, 2, 1]),
            (q(|q| q.action = Some("case.read".into())), &[3, 2]),
            (q(|q| q.outcome = Some("denied".into())), &[3]),
            (q(|q| q.target = Some("C1".into())), &[4, 3, 2]),
            (
                q(|q| {
                    q.from_us = Some(us("2026-04-01T08:05:00+08:00"));
                    q.to_us = Some(us("2026-04-01T10:00:00+08:00"));
                }),
                &[3, 2],
            ),
            (
                q(|q| {
                    q.actor = Some("000101".into());
                    q.target = Some("C1".into());
                }),
                &[4, 2],
            ),
            (
                q(|q| {
                    q.page = 2;
                    q.per_page = 2;
                }),
                &[3, 2],
            ),
        ];
        for (query, expected) in cases {
            let page = s.list_audit(&query).await.unwrap();
            assert_eq!(seqs(page), expected, "{}: {query:?}", db.label);
        }
        assert_eq!(s.list_audit(&q(|q| q.per_page = 2)).await.unwrap().total, 5);

        let progress = std::sync::atomic::AtomicU64::new(0);
        let report = s
            .verify_audit(&|n| progress.store(n, std::sync::atomic::Ordering::Relaxed))
            .await
            .unwrap();
        assert_eq!(
            (report.n_entries, report.broken.clone()),
            (5, None),
            "{}",
            db.label
        );
        assert_eq!(report.head.as_deref(), Some(all.items[0].hash.as_str()));
        assert_eq!(progress.load(std::sync::atomic::Ordering::Relaxed), 5);
        let public = s.audit_public_key();
        let key_id = casewatch_store::audit::key_id(&hex_32(&public));
        assert_eq!(report.key_ids, std::slice::from_ref(&key_id));
        assert!(all.items.iter().all(|r| r.key_id == key_id));

        let refused = [
            (
                AuditEntry {
                    actor_kind: "robot".into(),
                    ..entry("2026-04-01T08:00:00+08:00", "x", "login", None, "success")
                },
                "操作者类型 `robot` 无效",
            ),
            (
                entry("2026-04-01T08:00:00+08:00", "x", "login", None, "maybe"),
                "结果 `maybe` 无效",
            ),
            (
                entry("2026-04-01T08:00:00+08:00", " ", "login", None, "success"),
                "操作者不能为空",
            ),
            (
                entry("2026-04-01T08:00:00+08:00", "x", "", None, "success"),
                "操作 `` 无效",
            ),
        ];
        for (e, expected) in refused {
            let message = invalid_message(s.append_audit(&e).await);
            assert!(message.contains(expected), "{}: {message}", db.label);
        }
        assert_eq!(s.list_audit(&q(|_| {})).await.unwrap().total, 5);
    }
}

fn hex_32(text: &str) -> [u8; 32] {
    let bytes: Vec<u8> = (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect();
    bytes.try_into().unwrap()
}

#[tokio::test]
async fn the_audit_trail_refuses_updates_and_deletes() {
    for db in each_backend().await {
        audit_fixture(&db).await;
        for sql in [
            "UPDATE audit_log SET outcome = 'success' WHERE seq = 3",
            "DELETE FROM audit_log WHERE seq = 5",
            "DELETE FROM audit_keys",
        ] {
            let refused = raw(&db, sql).await.unwrap_err().to_string();
            assert!(refused.contains("append-only"), "{}: {refused}", db.label);
        }
    }
}

#[tokio::test]
async fn a_tampered_audit_row_is_named_by_verify() {
    for db in each_backend().await {
        let s = &db.store;
        audit_fixture(&db).await;
        allow_audit_updates(&db).await;
        // Someone turns the denied read into a success.
        raw(
            &db,
            "UPDATE audit_log SET outcome = 'success' WHERE seq = 3",
        )
        .await
        .unwrap();
        let report = s.verify_audit(&|_| {}).await.unwrap();
        let broken = report.broken.expect("tampering is detected");
        assert_eq!((broken.seq, report.n_entries), (3, 2), "{}", db.label);
        assert!(
            broken.reason.contains("hash does not match"),
            "{}",
            broken.reason
        );
        assert_eq!(report.head, None);

        // Removing a row breaks the sequence.
        let other = testing::sqlite().await.unwrap();
        audit_fixture(&other).await;
        raw(
            &other,
            "DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE seq = 2",
        )
        .await
        .unwrap();
        let broken = other
            .store
            .verify_audit(&|_| {})
            .await
            .unwrap()
            .broken
            .unwrap();
        assert_eq!(broken.seq, 3);
        assert!(broken.reason.contains("sequence gap"), "{}", broken.reason);
    }
}

#[tokio::test]
async fn a_row_rehashed_without_the_key_fails_its_signature() {
    for db in each_backend().await {
        let s = &db.store;
        audit_fixture(&db).await;
        allow_audit_updates(&db).await;
        // The thief knows the hashing rule and recomputes the row's hash, but cannot sign.
        let mut row = s
            .list_audit(&AuditQuery {
                page: 1,
                per_page: 50,
                ..Default::default()
            })
            .await
            .unwrap()
            .items
            .into_iter()
            .find(|r| r.seq == 3)
            .unwrap();
        row.outcome = "success".into();
        let hash = casewatch_store::audit::entry_hash(&row);
        raw(
            &db,
            &format!("UPDATE audit_log SET outcome = 'success', hash = '{hash}' WHERE seq = 3"),
        )
        .await
        .unwrap();
        let broken = s.verify_audit(&|_| {}).await.unwrap().broken.unwrap();
        assert_eq!(broken.seq, 3, "{}", db.label);
        assert!(
            broken.reason.contains("signature does not verify"),
            "{}",
            broken.reason
        );

        // Signing with a key of the thief's own is caught too: it is not in audit_keys.
        let thief = AuditKey::from_bytes([42; 32]);
        let signature = thief.sign_hash(&hash).unwrap();
        raw(
            &db,
            &format!(
                "UPDATE audit_log SET signature = '{signature}', key_id = '{}' WHERE seq = 3",
                thief.key_id()
            ),
        )
        .await
        .unwrap();
        let broken = s.verify_audit(&|_| {}).await.unwrap().broken.unwrap();
        assert_eq!(broken.seq, 3, "{}", db.label);
        assert!(
            broken.reason.contains("hash does not match")
                || broken.reason.contains("not in audit_keys"),
            "{}",
            broken.reason
        );
    }
}

#[tokio::test]
async fn a_key_given_at_open_signs_and_earlier_keys_still_verify() {
    for db in each_backend().await {
        let generated = db.store.audit_public_key();
        db.store
            .append_audit(&entry(
                "2026-04-01T08:00:00+08:00",
                "000101",
                "login",
                None,
                "success",
            ))
            .await
            .unwrap();
        let key = AuditKey::from_bytes([5; 32]);
        let with_key = casewatch_store::open_with(
            &db.url,
            testing::standard_pack().unwrap(),
            StoreOptions {
                audit_key: Some(key.clone()),
                ..StoreOptions::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(with_key.audit_public_key(), key.public_key_hex());
        assert_ne!(with_key.audit_public_key(), generated);
        with_key
            .append_audit(&entry(
                "2026-04-01T09:00:00+08:00",
                "000101",
                "logout",
                None,
                "success",
            ))
            .await
            .unwrap();
        let report = db.store.verify_audit(&|_| {}).await.unwrap();
        assert_eq!((report.n_entries, report.broken), (2, None), "{}", db.label);
        let generated_id = casewatch_store::audit::key_id(&hex_32(&generated));
        assert_eq!(report.key_ids, [generated_id, key.key_id()]);

        // Without a key, the store goes on with the key it generated and kept.
        let reopened = casewatch_store::open(&db.url, testing::standard_pack().unwrap())
            .await
            .unwrap();
        assert_eq!(reopened.audit_public_key(), generated, "{}", db.label);

        // The given key's private half is not in the database.
        let leaked = format!(
            "SELECT 1 FROM audit_keys WHERE key_id = '{}' AND private_key IS NOT NULL",
            key.key_id()
        );
        let n: i64 = if db.label == "sqlite" {
            let pool = sqlx::SqlitePool::connect(&db.url).await.unwrap();
            sqlx::query_scalar(AssertSqlSafe(format!("SELECT COUNT(*) FROM ({leaked}) x")))
                .fetch_one(&pool)
                .await
                .unwrap()
        } else {
            let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
            sqlx::query_scalar(AssertSqlSafe(format!("SELECT COUNT(*) FROM ({leaked}) x")))
                .fetch_one(&pool)
                .await
                .unwrap()
        };
        assert_eq!(n, 0, "{}", db.label);
    }
}

fn ev(v: Value) -> Event {
    Event::parse(&v, ParseOptions { now: None }).unwrap_or_else(|e| panic!("{e:?}"))
}

/// A detained suspect in a case of `unit`: findings with the case's unit.
fn detained(case: &str, unit: &str) -> Vec<Event> {
    vec![
        ev(
            json!({"id":format!("{case}-1"),"type":"case.accepted","case":case,"at":"2026-03-01T09:00:00+08:00","unit":unit,"data":{"kind":"criminal","cause":"盗窃"}}),
        ),
        ev(
            json!({"id":format!("{case}-2"),"type":"person.registered","case":case,"subject":"P1","at":"2026-03-01T15:05:00+08:00","data":{"role":"suspect","name":"王某"}}),
        ),
        ev(
            json!({"id":format!("{case}-3"),"type":"detention.started","case":case,"subject":"P1","at":"2026-03-02T10:23:00+08:00"}),
        ),
    ]
}

#[tokio::test]
async fn cases_and_findings_filter_by_unit_subtree() {
    for db in each_backend().await {
        let s = &db.store;
        // Cases may arrive before their unit is registered: C-LATE's unit comes last.
        for (case, unit) in [
            ("C-P1", "P_1"),
            ("C-PX1", "PX1"),
            ("C-XZ", "XZ"),
            ("C-LATE", "LATE"),
            ("C-NONE", "ghost"),
        ] {
            s.append(&detained(case, unit), now()).await.unwrap();
        }
        tree(&db).await;

        let cases = |under: &str| {
            let query = CaseQuery {
                unit_under: Some(under.to_owned()),
                page: 1,
                per_page: 50,
                ..Default::default()
            };
            async move {
                let mut ids: Vec<String> = s
                    .list_cases(&query)
                    .await
                    .unwrap()
                    .items
                    .into_iter()
                    .map(|c| c.case_id)
                    .collect();
                ids.sort();
                ids
            }
        };
        let findings = |under: &str| {
            let query = FindingQuery {
                unit_under: Some(under.to_owned()),
                page: 1,
                per_page: 200,
                ..Default::default()
            };
            async move {
                let mut ids: Vec<String> = s
                    .list_findings(&query)
                    .await
                    .unwrap()
                    .items
                    .into_iter()
                    .map(|f| f.case_id)
                    .collect();
                ids.sort();
                ids.dedup();
                ids
            }
        };
        assert_eq!(
            cases("/SJ/").await,
            ["C-P1", "C-PX1", "C-XZ"],
            "{}",
            db.label
        );
        assert_eq!(cases("/SJ/FJ1/").await, ["C-P1", "C-PX1"], "{}", db.label);
        assert_eq!(
            cases("/SJ/FJ1/P_1/").await,
            ["C-P1"],
            "{}: `_` is no wildcard",
            db.label
        );
        assert_eq!(
            findings("/SJ/").await,
            ["C-P1", "C-PX1", "C-XZ"],
            "{}",
            db.label
        );
        assert_eq!(findings("/SJ/FJ1/P_1/").await, ["C-P1"], "{}", db.label);
        assert!(
            cases("/sj/").await.is_empty(),
            "{}: paths are case-sensitive",
            db.label
        );
        assert_eq!(cases("/").await.len(), 3, "every case of a registered unit");

        let summary = s
            .finding_summary(&[], Some("/SJ/FJ1/"), None)
            .await
            .unwrap();
        let units: std::collections::BTreeSet<Option<String>> =
            summary.iter().map(|r| r.unit.clone()).collect();
        assert_eq!(
            units,
            [Some("P_1".to_owned()), Some("PX1".to_owned())].into(),
            "{}",
            db.label
        );
        let everything = s.finding_summary(&[], None, None).await.unwrap();
        assert!(
            everything
                .iter()
                .any(|r| r.unit.as_deref() == Some("ghost"))
        );

        // The late unit is registered: its case and findings join the subtree.
        s.add_unit(&unit("LATE", Some("FJ1"), "station"))
            .await
            .unwrap();
        assert_eq!(
            cases("/SJ/FJ1/").await,
            ["C-LATE", "C-P1", "C-PX1"],
            "{}",
            db.label
        );
        assert_eq!(findings("/SJ/FJ1/LATE/").await, ["C-LATE"], "{}", db.label);
        // A new event keeps the path; a replay recomputes it from the units table.
        s.append(&[ev(json!({"id":"C-LATE-4","type":"custody.admitted","case":"C-LATE","subject":"P1","at":"2026-03-02T20:00:00+08:00"}))], now())
            .await
            .unwrap();
        assert_eq!(findings("/SJ/FJ1/LATE/").await, ["C-LATE"], "{}", db.label);
        s.replay(now(), &|_| {}).await.unwrap();
        assert_eq!(
            cases("/SJ/FJ1/").await,
            ["C-LATE", "C-P1", "C-PX1"],
            "{}",
            db.label
        );

        let bad = CaseQuery {
            unit_under: Some("/SJ/FJ1".into()),
            page: 1,
            per_page: 10,
            ..Default::default()
        };
        assert!(invalid_message(s.list_cases(&bad).await).contains("单位路径"));
        let bad = FindingQuery {
            unit_under: Some("%".into()),
            page: 1,
            per_page: 10,
            ..Default::default()
        };
        assert!(invalid_message(s.list_findings(&bad).await).contains("单位路径"));
        assert!(
            invalid_message(s.finding_summary(&[], Some("/a_%/"), None).await).contains("单位路径")
        );
    }
}

/// The SQL filter of each database and Cedar agree: for principals of every role at every unit
/// of a tree with awkward ids (`P_1` next to `P1`, `FJ1` next to `FJ10`), the cases, findings,
/// dashboard counts and coverage a scope lets through are exactly the cases whose unit Cedar
/// allows. (`casewatch-authz`'s property test checks the same on random trees against a model
/// of SQL; this runs the real statements.)
#[tokio::test]
async fn the_sql_scope_filter_agrees_with_cedar_on_each_database() {
    use casewatch_authz::{Action, Authorizer, Principal, Resource, Role, UnitPath, scope};
    let authz = Authorizer::standard().unwrap();
    for db in each_backend().await {
        let s = &db.store;
        tree(&db).await;
        for u in [
            unit("P1", Some("FJ1"), "station"),
            unit("FJ10", Some("SJ"), "branch"),
            unit("P9", Some("FJ10"), "station"),
            unit("OTHER", None, "bureau"),
        ] {
            s.add_unit(&u).await.unwrap();
        }
        let units = s.list_units().await.unwrap();
        let mut case_units = std::collections::BTreeMap::new();
        for u in &units {
            let case = format!("C-{}", u.id);
            s.append(&detained(&case, &u.id), now()).await.unwrap();
            case_units.insert(case, Some(UnitPath::parse(&u.path).unwrap()));
        }
        s.append(&detained("C-GHOST", "ghost"), now())
            .await
            .unwrap();
        case_units.insert("C-GHOST".to_owned(), None);

        let role_sets: Vec<Vec<Role>> = Role::ALL
            .iter()
            .map(|r| vec![*r])
            .chain([
                vec![Role::Officer, Role::Leader],
                vec![Role::Admin, Role::LegalOfficer],
            ])
            .collect();
        for home in &units {
            for roles in &role_sets {
                let p = Principal::user("P", UnitPath::parse(&home.path).unwrap(), roles.clone());
                for action in [Action::ReadCase, Action::ReadDashboard] {
                    let expected: Vec<String> = case_units
                        .iter()
                        .filter(|(_, unit)| {
                            unit.as_ref().is_some_and(|u| {
                                authz.is_allowed(&p, action, &Resource::OwnedBy(u.clone()))
                            })
                        })
                        .map(|(c, _)| c.clone())
                        .collect();
                    let sc = scope(&p, action);
                    let label = format!("{}: {} {roles:?} {action:?}", db.label, home.path);
                    let page = s
                        .list_cases(&CaseQuery {
                            scope: Some(sc.clone()),
                            page: 1,
                            per_page: 200,
                            ..Default::default()
                        })
                        .await
                        .unwrap();
                    let mut got: Vec<String> = page.items.into_iter().map(|c| c.case_id).collect();
                    got.sort();
                    assert_eq!(got, expected, "cases, {label}");
                    assert_eq!(page.total as usize, expected.len(), "total, {label}");

                    let mut got: Vec<String> = s
                        .list_findings(&FindingQuery {
                            scope: Some(sc.clone()),
                            page: 1,
                            per_page: 200,
                            ..Default::default()
                        })
                        .await
                        .unwrap()
                        .items
                        .into_iter()
                        .map(|f| f.case_id)
                        .collect();
                    got.sort();
                    got.dedup();
                    assert_eq!(got, expected, "findings, {label}");

                    let mut got: Vec<String> = s
                        .finding_summary(&[], None, Some(&sc))
                        .await
                        .unwrap()
                        .into_iter()
                        .filter_map(|r| r.unit.map(|u| format!("C-{u}")))
                        .collect();
                    got.sort();
                    got.dedup();
                    assert_eq!(got, expected, "summary, {label}");

                    let c = s.coverage(Some(&sc)).await.unwrap();
                    assert_eq!(c.cases as usize, expected.len(), "coverage, {label}");
                    assert_eq!(c.cases_watched as usize, expected.len(), "watched, {label}");
                }
            }
        }
    }
}

/// Audit entries appended concurrently are written in groups: every caller gets its own seq,
/// the seqs are 1..=n without gaps, and the chain verifies with every signature.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_audit_entries_are_chained_in_groups() {
    for db in each_backend().await {
        let mut set = tokio::task::JoinSet::new();
        for i in 0..60 {
            let store = std::sync::Arc::clone(&db.store);
            set.spawn(async move {
                let e = entry(
                    "2026-03-02T10:00:00+08:00",
                    &format!("user-{i}"),
                    "events.post",
                    None,
                    "success",
                );
                (i, store.append_audit(&e).await.unwrap())
            });
        }
        let mut seqs = Vec::new();
        while let Some(joined) = set.join_next().await {
            let (i, seq) = joined.unwrap();
            let row = db
                .store
                .list_audit(&AuditQuery {
                    actor: Some(format!("user-{i}")),
                    page: 1,
                    per_page: 10,
                    ..Default::default()
                })
                .await
                .unwrap();
            assert_eq!(row.items.len(), 1, "{}", db.label);
            assert_eq!(row.items[0].seq, seq, "{}: user-{i}'s own seq", db.label);
            seqs.push(seq);
        }
        seqs.sort_unstable();
        assert_eq!(seqs, (1..=60).collect::<Vec<i64>>(), "{}", db.label);
        let report = db.store.verify_audit(&|_| {}).await.unwrap();
        assert_eq!(
            (report.n_entries, report.broken),
            (60, None),
            "{}",
            db.label
        );
    }
}

/// A batch posted with its audit row (`append_audited`): stored in one transaction. The row is
/// chained whatever the batch's outcome (a refused batch was still posted), the rows of batches
/// written in one group each get their own link, and an entry that cannot be written stores
/// nothing.
#[tokio::test]
async fn a_batch_and_its_audit_row_are_written_together() {
    let batch = |case: &str, cause: &str| {
        vec![ev(
            json!({"id": format!("{case}-1"), "type":"case.accepted","case":case,"at":"2026-03-01T09:00:00+08:00","unit":"U-1","data":{"kind":"criminal","cause":cause}}),
        )]
    };
    let posted = |actor: &str| {
        entry(
            "2026-03-02T10:00:00+08:00",
            actor,
            "events.post",
            None,
            "success",
        )
    };
    let rows_of = |actor: &str| AuditQuery {
        actor: Some(actor.to_owned()),
        page: 1,
        per_page: 10,
        ..Default::default()
    };
    for db in each_backend().await {
        let s = &db.store;
        let out = s
            .append_audited(&batch("A-1", "盗窃"), now(), &posted("T-1"))
            .await
            .unwrap();
        assert_eq!(out.accepted, 1, "{}", db.label);
        assert_eq!(
            s.list_audit(&rows_of("T-1")).await.unwrap().total,
            1,
            "{}",
            db.label
        );

        // A conflict refuses the batch; its posting is still on record.
        let refused = s
            .append_audited(&batch("A-1", "诈骗"), now(), &posted("T-2"))
            .await;
        assert!(
            matches!(refused, Err(StoreError::Rejected(_))),
            "{}: {refused:?}",
            db.label
        );
        assert_eq!(
            s.list_audit(&rows_of("T-2")).await.unwrap().total,
            1,
            "{}",
            db.label
        );

        // An entry the chain refuses: neither it nor the batch is stored.
        let mut bad = posted("T-3");
        bad.outcome = "maybe".into();
        let r = s.append_audited(&batch("A-3", "盗窃"), now(), &bad).await;
        assert!(
            matches!(r, Err(StoreError::Invalid(_))),
            "{}: {r:?}",
            db.label
        );
        assert_eq!(s.count_events().await.unwrap(), 1, "{}", db.label);
        assert_eq!(
            s.list_audit(&rows_of("T-3")).await.unwrap().total,
            0,
            "{}",
            db.label
        );

        // Concurrent postings are grouped: every batch stored, every row linked in the chain.
        let mut set = tokio::task::JoinSet::new();
        for i in 0..40 {
            let store = std::sync::Arc::clone(s);
            let (b, e) = (batch(&format!("G-{i}"), "盗窃"), posted(&format!("G-{i}")));
            set.spawn(async move { store.append_audited(&b, now(), &e).await });
        }
        while let Some(joined) = set.join_next().await {
            assert_eq!(joined.unwrap().unwrap().accepted, 1, "{}", db.label);
        }
        assert_eq!(s.count_events().await.unwrap(), 41, "{}", db.label);
        for i in 0..40 {
            let rows = s.list_audit(&rows_of(&format!("G-{i}"))).await.unwrap();
            assert_eq!(rows.total, 1, "{}: G-{i}", db.label);
        }
        let report = s.verify_audit(&|_| {}).await.unwrap();
        assert_eq!(
            (report.n_entries, report.broken),
            (42, None),
            "{}",
            db.label
        );
    }
}
