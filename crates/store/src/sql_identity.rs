// Units, users, sessions and API tokens, shared by both backends like `sql_common.rs`: each backend
// `include!`s this file after `sql_common.rs`, in the same module, and defines besides what
// `sql_common.rs` needs:
// - `async fn begin_identity_write(pool) -> Transaction`: SQLite `BEGIN IMMEDIATE` (a read then a
//   write never fails to upgrade); PostgreSQL a plain transaction (constraints keep ids unique);
// - `fn identity_mutex(&self) -> Option<&Mutex<()>>`: SQLite queues identity writes behind its one
//   writer mutex; PostgreSQL needs no queue.
//
// Registering a unit is the exception: it also fills `unit_path` in `cases` and `findings`, so it
// takes the event log's write lock, the one `rebuild_cases` runs under. Otherwise a case rebuilt
// concurrently could read "no such unit" and overwrite the path just filled.

/// The columns of a unit, in the order [`unit_row`] reads them.
const UNIT_COLUMNS: &str = "id, name, parent, kind, path";

/// The query of a user with the path of its unit, in the order [`user_row`] reads them.
const USER_SELECT: &str = "SELECT u.id, u.name, u.unit, n.path, u.roles, u.password_hash, u.failed_logins, \
     u.locked_until_us, u.disabled, u.created_at_us, u.password_changed_at_us FROM users u JOIN units n ON n.id = u.unit";

/// The columns of a token, in the order [`token_row`] reads them.
const TOKEN_COLUMNS: &str = "id, name, secret_hash, roles, units, created_by, created_at_us, revoked_at_us, last_used_us";

/// The longest name (unit, person, token) accepted, in characters.
const MAX_NAME_CHARS: usize = 200;

fn unit_row(r: &<Db as sqlx::Database>::Row) -> Result<Unit, sqlx::Error> {
    Ok(Unit { id: r.try_get(0)?, name: r.try_get(1)?, parent: r.try_get(2)?, kind: r.try_get(3)?, path: r.try_get(4)? })
}

fn user_row(r: &<Db as sqlx::Database>::Row) -> Result<User, StoreError> {
    let id: String = r.try_get(0)?;
    let roles: String = r.try_get(4)?;
    Ok(User {
        roles: serde_json::from_str(&roles).map_err(|e| corrupt(format!("users.id={id}"), e.to_string()))?,
        id,
        name: r.try_get(1)?,
        unit: r.try_get(2)?,
        unit_path: r.try_get(3)?,
        password_hash: r.try_get(5)?,
        failed_logins: r.try_get(6)?,
        locked_until_us: r.try_get(7)?,
        disabled: r.try_get(8)?,
        created_at_us: r.try_get(9)?,
        password_changed_at_us: r.try_get(10)?,
    })
}

fn session_row(r: &<Db as sqlx::Database>::Row) -> Result<Session, sqlx::Error> {
    Ok(Session {
        id_hash: r.try_get(0)?,
        user_id: r.try_get(1)?,
        csrf_token: r.try_get(2)?,
        created_at_us: r.try_get(3)?,
        last_seen_us: r.try_get(4)?,
        source: r.try_get(5)?,
    })
}

fn token_row(r: &<Db as sqlx::Database>::Row) -> Result<ApiToken, StoreError> {
    let id: String = r.try_get(0)?;
    let list = |i: usize| -> Result<Vec<String>, StoreError> {
        let text: String = r.try_get(i)?;
        serde_json::from_str(&text).map_err(|e| corrupt(format!("api_tokens.id={id}"), e.to_string()))
    };
    Ok(ApiToken {
        roles: list(3)?,
        units: list(4)?,
        name: r.try_get(1)?,
        secret_hash: r.try_get(2)?,
        created_by: r.try_get(5)?,
        created_at_us: r.try_get(6)?,
        revoked_at_us: r.try_get(7)?,
        last_used_us: r.try_get(8)?,
        id,
    })
}

fn invalid(message: String) -> StoreError {
    StoreError::Invalid(message)
}

/// Checks an id (unit, user, token) against the event format's id rule: 1–128 characters of
/// `[A-Za-z0-9._:-]`. `what` names it in the message (`单位编号`, `警号` …).
fn check_ident(what: &str, id: &str) -> Result<(), StoreError> {
    use casewatch_core::ids::IdError;
    casewatch_core::ids::CaseId::parse(id).map(|_| ()).map_err(|e| {
        let why = match e {
            IdError::Empty => "不能为空".to_owned(),
            IdError::TooLong(n) => format!("长度为 {n}，最多 128 个字符"),
            IdError::BadChar(c) => format!("含有字符 `{c}`；只允许字母、数字和 . _ : -"),
        };
        invalid(format!("{what} `{id}` 无效：{why}"))
    })
}

/// Checks a display name: not blank, no control characters, at most [`MAX_NAME_CHARS`]. Returns
/// it trimmed.
fn check_name(what: &str, name: &str) -> Result<String, StoreError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(invalid(format!("{what}不能为空")));
    }
    if name.chars().any(char::is_control) {
        return Err(invalid(format!("{what}含有控制字符")));
    }
    let n = name.chars().count();
    if n > MAX_NAME_CHARS {
        return Err(invalid(format!("{what}长度为 {n}，最多 {MAX_NAME_CHARS} 个字符")));
    }
    Ok(name.to_owned())
}

/// Checks roles against [`crate::ROLES`] and drops repeats, keeping the first occurrence.
fn check_roles(roles: &[String]) -> Result<Vec<String>, StoreError> {
    let mut out: Vec<String> = Vec::with_capacity(roles.len());
    for r in roles {
        if !crate::ROLES.contains(&r.as_str()) {
            return Err(invalid(format!("角色 `{r}` 无效：应为 {}", crate::ROLES.join("、"))));
        }
        if !out.contains(r) {
            out.push(r.clone());
        }
    }
    Ok(out)
}

/// Checks that a value is a SHA-256 in hex (64 hex digits), so that a raw secret is never stored
/// by mistake.
fn check_sha256_hex(what: &str, value: &str) -> Result<(), StoreError> {
    if value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(())
    } else {
        Err(invalid(format!("{what}应为 SHA-256 的十六进制形式（64 位），不能保存原文")))
    }
}

/// Checks a unit path used as a subtree filter: `/` (every registered unit) or `/id/…/id/`.
fn check_unit_path(path: &str) -> Result<(), StoreError> {
    let inner = path.strip_prefix('/').and_then(|p| p.strip_suffix('/'));
    let ok = path == "/"
        || inner.is_some_and(|inner| {
            inner.split('/').all(|seg| {
                !seg.is_empty() && seg.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '-'))
            })
        });
    if ok { Ok(()) } else { Err(invalid(format!("单位路径 `{path}` 无效：应形如 /市局/分局/"))) }
}

/// The SQL condition keeping rows whose unit path column `col` lies in the subtree `under`, with
/// its values, to be bound from parameter `first` on.
///
/// `LIKE prefix%` (wildcards in the prefix escaped) lets PostgreSQL use the `text_pattern_ops`
/// index; the exact comparison of the leading characters is there because SQLite's `LIKE`
/// ignores ASCII case, which would let `/a/` match the subtree of unit `A`.
fn subtree_condition(col: &str, under: &str, first: usize) -> Result<(String, Vec<String>), StoreError> {
    check_unit_path(under)?;
    let escaped = under.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    let (like, len, exact) = (param(first), param(first + 1), param(first + 2));
    Ok((
        format!("({col} LIKE {like} ESCAPE '\\' AND substr({col}, 1, length(CAST({len} AS TEXT))) = {exact})"),
        vec![format!("{escaped}%"), under.to_owned(), under.to_owned()],
    ))
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    e.as_database_error().is_some_and(|d| d.is_unique_violation())
}

/// A value bound to a dynamically built statement.
enum SqlValue {
    Text(String),
    Int(i64),
    Bool(bool),
}

impl StoreImpl {
    /// Waits for this process's turn to write identity tables (SQLite only).
    async fn identity_guard(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        match self.identity_mutex() {
            Some(m) => Some(m.lock().await),
            None => None,
        }
    }

    /// The paths of the registered units among `units` (unknown ones are left out): those read
    /// before from the store's memory, the others in one query per 500, and remembered. A
    /// registered unit's path never changes and units are never removed, so an entry cannot go
    /// stale; an unregistered unit is read again next time. Callers read on connections whose
    /// transaction inserts no units, so what they remember is committed. Takes owned ids: a
    /// borrowing iterator held across the awaits makes the future's `Send` bound unprovable.
    async fn unit_paths_in(&self, conn: &mut <Db as sqlx::Database>::Connection, units: HashSet<String>) -> Result<HashMap<String, String>, StoreError> {
        let (out, wanted) = self.kept_unit_paths(units);
        self.read_unit_paths(conn, wanted, out).await
    }

    /// Reads the paths of `wanted` (units not kept) into `out`, and keeps them.
    async fn read_unit_paths(&self, conn: &mut <Db as sqlx::Database>::Connection, wanted: Vec<String>, mut out: HashMap<String, String>) -> Result<HashMap<String, String>, StoreError> {
        let mut found: Vec<(String, String)> = Vec::new();
        for chunk in wanted.chunks(LOOKUP_CHUNK) {
            let sql = format!("SELECT id, path FROM units WHERE id IN ({})", placeholders(1, chunk.len()));
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for id in chunk {
                q = q.bind(id.clone());
            }
            for row in q.fetch_all(&mut *conn).await? {
                found.push((row.try_get(0)?, row.try_get(1)?));
            }
        }
        if !found.is_empty() {
            let mut known = self.known_unit_paths.write().unwrap_or_else(std::sync::PoisonError::into_inner);
            for (id, path) in found {
                known.insert(id.clone(), path.clone());
                out.insert(id, path);
            }
        }
        Ok(out)
    }

    /// The kept paths among `units`, and the units the store has not kept (to be read).
    fn kept_unit_paths(&self, units: HashSet<String>) -> (HashMap<String, String>, Vec<String>) {
        let mut out = HashMap::with_capacity(units.len());
        let mut wanted = Vec::new();
        let known = self.known_unit_paths.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        for u in units {
            match known.get(&u) {
                Some(p) => {
                    out.insert(u, p.clone());
                }
                None => wanted.push(u),
            }
        }
        (out, wanted)
    }

    async fn get_unit_in<'e, E>(exec: E, id: &str) -> Result<Option<Unit>, StoreError>
    where
        E: sqlx::Executor<'e, Database = Db>,
    {
        let row = sqlx::query(AssertSqlSafe(format!("SELECT {UNIT_COLUMNS} FROM units WHERE id = $1")))
            .bind(id.to_owned())
            .fetch_optional(exec)
            .await?;
        Ok(row.as_ref().map(unit_row).transpose()?)
    }

    async fn add_unit_impl(&self, u: &NewUnit) -> Result<Unit, StoreError> {
        check_ident("单位编号", &u.id)?;
        let name = check_name("单位名称", &u.name)?;
        if !crate::UNIT_KINDS.contains(&u.kind.as_str()) {
            return Err(invalid(format!("单位类型 `{}` 无效：应为 {}", u.kind, crate::UNIT_KINDS.join("、"))));
        }
        // The event log's lock: see the head of this file.
        let _writer = self.write.lock().await;
        let mut tx = begin_write(&self.pool).await?;
        if Self::get_unit_in(&mut *tx, &u.id).await?.is_some() {
            return Err(invalid(format!("单位编号 `{}` 已存在", u.id)));
        }
        let path = match &u.parent {
            None => format!("/{}/", u.id),
            Some(parent) => match Self::get_unit_in(&mut *tx, parent).await? {
                Some(p) => format!("{}{}/", p.path, u.id),
                None => return Err(invalid(format!("上级单位 `{parent}` 不存在"))),
            },
        };
        sqlx::query("INSERT INTO units (id, name, parent, kind, path) VALUES ($1, $2, $3, $4, $5)")
            .bind(u.id.clone())
            .bind(name.clone())
            .bind(u.parent.clone())
            .bind(u.kind.clone())
            .bind(path.clone())
            .execute(&mut *tx)
            .await
            .map_err(|e| if is_unique_violation(&e) { invalid(format!("单位编号 `{}` 已存在", u.id)) } else { e.into() })?;
        // Cases and findings that named the unit before it was registered.
        for table in ["cases", "findings"] {
            sqlx::query(AssertSqlSafe(format!("UPDATE {table} SET unit_path = $1 WHERE unit = $2")))
                .bind(path.clone())
                .bind(u.id.clone())
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("UPDATE finding_counts SET unit_path = $1 WHERE unit = $2")
            .bind(path.clone())
            .bind(u.id.clone())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Unit { id: u.id.clone(), name, parent: u.parent.clone(), kind: u.kind.clone(), path })
    }

    async fn list_units_impl(&self) -> Result<Vec<Unit>, StoreError> {
        let rows = sqlx::query(AssertSqlSafe(format!("SELECT {UNIT_COLUMNS} FROM units ORDER BY path")))
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(unit_row).collect::<Result<Vec<_>, _>>()?)
    }

    async fn rename_unit_impl(&self, id: &str, name: &str) -> Result<Unit, StoreError> {
        let name = check_name("单位名称", name)?;
        let _guard = self.identity_guard().await;
        let mut tx = begin_identity_write(&self.pool).await?;
        let done = sqlx::query("UPDATE units SET name = $1 WHERE id = $2")
            .bind(name)
            .bind(id.to_owned())
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(invalid(format!("单位 `{id}` 不存在")));
        }
        let unit = Self::get_unit_in(&mut *tx, id).await?.ok_or_else(|| corrupt(format!("units.id={id}"), "vanished"))?;
        tx.commit().await?;
        Ok(unit)
    }

    async fn get_user_in<'e, E>(exec: E, id: &str) -> Result<Option<User>, StoreError>
    where
        E: sqlx::Executor<'e, Database = Db>,
    {
        let row = sqlx::query(AssertSqlSafe(format!("{USER_SELECT} WHERE u.id = $1")))
            .bind(id.to_owned())
            .fetch_optional(exec)
            .await?;
        row.as_ref().map(user_row).transpose()
    }

    async fn add_user_impl(&self, u: &NewUser, now: Timestamp) -> Result<User, StoreError> {
        check_ident("警号", &u.id)?;
        let name = check_name("姓名", &u.name)?;
        let roles = check_roles(&u.roles)?;
        let now_us = to_micros(now);
        let duplicate = || invalid(format!("警号 `{}` 已存在", u.id));
        let _guard = self.identity_guard().await;
        let mut tx = begin_identity_write(&self.pool).await?;
        if Self::get_unit_in(&mut *tx, &u.unit).await?.is_none() {
            return Err(invalid(format!("单位 `{}` 不存在", u.unit)));
        }
        let exists = sqlx::query("SELECT 1 FROM users WHERE id = $1").bind(u.id.clone()).fetch_optional(&mut *tx).await?;
        if exists.is_some() {
            return Err(duplicate());
        }
        sqlx::query(
            "INSERT INTO users (id, name, unit, roles, password_hash, failed_logins, locked_until_us, disabled, \
             created_at_us, password_changed_at_us, updated_at_us) VALUES ($1, $2, $3, $4, $5, 0, NULL, $6, $7, $8, $9)",
        )
        .bind(u.id.clone())
        .bind(name)
        .bind(u.unit.clone())
        .bind(serde_json::to_string(&roles).map_err(|e| invalid(e.to_string()))?)
        .bind(u.password_hash.clone())
        .bind(false)
        .bind(now_us)
        .bind(u.password_hash.as_ref().map(|_| now_us))
        .bind(now_us)
        .execute(&mut *tx)
        .await
        .map_err(|e| if is_unique_violation(&e) { duplicate() } else { e.into() })?;
        let user = Self::get_user_in(&mut *tx, &u.id).await?.ok_or_else(|| corrupt(format!("users.id={}", u.id), "vanished"))?;
        tx.commit().await?;
        Ok(user)
    }

    async fn list_users_impl(&self, under: Option<&str>) -> Result<Vec<User>, StoreError> {
        let (where_sql, binds) = match under {
            Some(under) => {
                let (condition, values) = subtree_condition("n.path", under, 1)?;
                (format!("WHERE {condition}"), values)
            }
            None => (String::new(), Vec::new()),
        };
        let mut q = sqlx::query(AssertSqlSafe(format!("{USER_SELECT} {where_sql} ORDER BY n.path, u.id")));
        for b in binds {
            q = q.bind(b);
        }
        q.fetch_all(&self.pool).await?.iter().map(user_row).collect()
    }

    async fn update_user_impl(&self, id: &str, change: &UserChange, now: Timestamp) -> Result<User, StoreError> {
        let now_us = to_micros(now);
        // Only the columns that change are written, in one statement: two administrators
        // changing different fields at once both keep their change.
        let mut sets: Vec<(&str, SqlValue)> = vec![("updated_at_us", SqlValue::Int(now_us))];
        if let Some(name) = &change.name {
            sets.push(("name", SqlValue::Text(check_name("姓名", name)?)));
        }
        if let Some(unit) = &change.unit {
            sets.push(("unit", SqlValue::Text(unit.clone())));
        }
        if let Some(roles) = &change.roles {
            let roles = check_roles(roles)?;
            sets.push(("roles", SqlValue::Text(serde_json::to_string(&roles).map_err(|e| invalid(e.to_string()))?)));
        }
        if let Some(hash) = &change.password_hash {
            sets.push(("password_hash", SqlValue::Text(hash.clone())));
            sets.push(("password_changed_at_us", SqlValue::Int(now_us)));
            sets.push(("failed_logins", SqlValue::Int(0)));
        }
        if let Some(disabled) = change.disabled {
            sets.push(("disabled", SqlValue::Bool(disabled)));
        }
        let _guard = self.identity_guard().await;
        let mut tx = begin_identity_write(&self.pool).await?;
        if let Some(unit) = &change.unit
            && Self::get_unit_in(&mut *tx, unit).await?.is_none()
        {
            return Err(invalid(format!("单位 `{unit}` 不存在")));
        }
        let mut assignments: Vec<String> = sets.iter().enumerate().map(|(i, (col, _))| format!("{col} = {}", param(i + 1))).collect();
        if change.password_hash.is_some() {
            assignments.push("locked_until_us = NULL".into());
        }
        let sql = format!("UPDATE users SET {} WHERE id = {}", assignments.join(", "), param(sets.len() + 1));
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for (_, v) in sets {
            q = match v {
                SqlValue::Text(s) => q.bind(s),
                SqlValue::Int(i) => q.bind(i),
                SqlValue::Bool(b) => q.bind(b),
            };
        }
        if q.bind(id.to_owned()).execute(&mut *tx).await?.rows_affected() == 0 {
            return Err(invalid(format!("用户 `{id}` 不存在")));
        }
        let user = Self::get_user_in(&mut *tx, id).await?.ok_or_else(|| corrupt(format!("users.id={id}"), "vanished"))?;
        tx.commit().await?;
        Ok(user)
    }

    async fn record_login_failure_impl(&self, id: &str, now: Timestamp, max_failures: i64, lock_for: jiff::SignedDuration) -> Result<User, StoreError> {
        let until = now.checked_add(lock_for).map_err(|e| invalid(format!("锁定时长 `{lock_for}` 无效：{e}")))?;
        let _guard = self.identity_guard().await;
        let mut tx = begin_identity_write(&self.pool).await?;
        // One statement: concurrent failures each count.
        let done = sqlx::query(
            "UPDATE users SET failed_logins = failed_logins + 1, \
             locked_until_us = CASE WHEN failed_logins + 1 >= $1 THEN $2 ELSE locked_until_us END WHERE id = $3",
        )
        .bind(max_failures)
        .bind(to_micros(until))
        .bind(id.to_owned())
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(invalid(format!("用户 `{id}` 不存在")));
        }
        let user = Self::get_user_in(&mut *tx, id).await?.ok_or_else(|| corrupt(format!("users.id={id}"), "vanished"))?;
        tx.commit().await?;
        Ok(user)
    }

    async fn record_login_success_impl(&self, id: &str) -> Result<(), StoreError> {
        let _guard = self.identity_guard().await;
        let done = sqlx::query("UPDATE users SET failed_logins = 0, locked_until_us = NULL WHERE id = $1")
            .bind(id.to_owned())
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(invalid(format!("用户 `{id}` 不存在")));
        }
        Ok(())
    }

    async fn create_session_impl(&self, s: &Session) -> Result<(), StoreError> {
        check_sha256_hex("会话标识的摘要", &s.id_hash)?;
        let _guard = self.identity_guard().await;
        let mut tx = begin_identity_write(&self.pool).await?;
        let user = sqlx::query("SELECT 1 FROM users WHERE id = $1").bind(s.user_id.clone()).fetch_optional(&mut *tx).await?;
        if user.is_none() {
            return Err(invalid(format!("用户 `{}` 不存在", s.user_id)));
        }
        sqlx::query(
            "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at_us, last_seen_us, source) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(s.id_hash.clone())
        .bind(s.user_id.clone())
        .bind(s.csrf_token.clone())
        .bind(s.created_at_us)
        .bind(s.last_seen_us)
        .bind(s.source.clone())
        .execute(&mut *tx)
        .await
        .map_err(|e| if is_unique_violation(&e) { invalid("会话已存在".into()) } else { e.into() })?;
        tx.commit().await?;
        Ok(())
    }

    async fn get_session_impl(&self, id_hash: &str) -> Result<Option<Session>, StoreError> {
        let row = sqlx::query("SELECT id_hash, user_id, csrf_token, created_at_us, last_seen_us, source FROM sessions WHERE id_hash = $1")
            .bind(id_hash.to_owned())
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(session_row).transpose()?)
    }

    async fn touch_session_impl(&self, id_hash: &str, now: Timestamp) -> Result<(), StoreError> {
        let now_us = to_micros(now);
        let _guard = self.identity_guard().await;
        // Only forward: a slow request finishing late does not move the last activity back.
        sqlx::query("UPDATE sessions SET last_seen_us = $1 WHERE id_hash = $2 AND last_seen_us < $3")
            .bind(now_us)
            .bind(id_hash.to_owned())
            .bind(now_us)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Deletes the sessions whose `col` (`id_hash` or `user_id`) is `value`; returns how many.
    async fn delete_sessions_where(&self, col: &'static str, value: &str) -> Result<u64, StoreError> {
        let _guard = self.identity_guard().await;
        let done = sqlx::query(AssertSqlSafe(format!("DELETE FROM sessions WHERE {col} = $1")))
            .bind(value.to_owned())
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    async fn purge_sessions_impl(&self, idle_before: Timestamp, created_before: Timestamp) -> Result<u64, StoreError> {
        let _guard = self.identity_guard().await;
        let done = sqlx::query("DELETE FROM sessions WHERE last_seen_us < $1 OR created_at_us < $2")
            .bind(to_micros(idle_before))
            .bind(to_micros(created_before))
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    async fn create_token_impl(&self, t: &ApiToken) -> Result<(), StoreError> {
        check_ident("令牌编号", &t.id)?;
        let name = check_name("令牌名称", &t.name)?;
        check_sha256_hex("令牌密钥的摘要", &t.secret_hash)?;
        let roles = check_roles(&t.roles)?;
        let duplicate = || invalid(format!("令牌编号 `{}` 已存在", t.id));
        let _guard = self.identity_guard().await;
        let mut tx = begin_identity_write(&self.pool).await?;
        let known = self.unit_paths_in(&mut tx, t.units.iter().cloned().collect()).await?;
        if let Some(unknown) = t.units.iter().find(|u| !known.contains_key(*u)) {
            return Err(invalid(format!("单位 `{unknown}` 不存在")));
        }
        let exists = sqlx::query("SELECT 1 FROM api_tokens WHERE id = $1").bind(t.id.clone()).fetch_optional(&mut *tx).await?;
        if exists.is_some() {
            return Err(duplicate());
        }
        let json = |v: &[String]| serde_json::to_string(v).map_err(|e| invalid(e.to_string()));
        sqlx::query(AssertSqlSafe(format!("INSERT INTO api_tokens ({TOKEN_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")))
            .bind(t.id.clone())
            .bind(name)
            .bind(t.secret_hash.clone())
            .bind(json(&roles)?)
            .bind(json(&t.units)?)
            .bind(t.created_by.clone())
            .bind(t.created_at_us)
            .bind(t.revoked_at_us)
            .bind(t.last_used_us)
            .execute(&mut *tx)
            .await
            .map_err(|e| if is_unique_violation(&e) { duplicate() } else { e.into() })?;
        tx.commit().await?;
        Ok(())
    }

    async fn get_token_impl(&self, id: &str) -> Result<Option<ApiToken>, StoreError> {
        let row = sqlx::query(AssertSqlSafe(format!("SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE id = $1")))
            .bind(id.to_owned())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(token_row).transpose()
    }

    async fn list_tokens_impl(&self) -> Result<Vec<ApiToken>, StoreError> {
        let rows = sqlx::query(AssertSqlSafe(format!("SELECT {TOKEN_COLUMNS} FROM api_tokens ORDER BY created_at_us, id")))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(token_row).collect()
    }

    async fn revoke_token_impl(&self, id: &str, now: Timestamp) -> Result<bool, StoreError> {
        let _guard = self.identity_guard().await;
        let done = sqlx::query("UPDATE api_tokens SET revoked_at_us = $1 WHERE id = $2 AND revoked_at_us IS NULL")
            .bind(to_micros(now))
            .bind(id.to_owned())
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn touch_token_impl(&self, id: &str, now: Timestamp) -> Result<(), StoreError> {
        let _guard = self.identity_guard().await;
        sqlx::query("UPDATE api_tokens SET last_used_us = $1 WHERE id = $2")
            .bind(to_micros(now))
            .bind(id.to_owned())
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
