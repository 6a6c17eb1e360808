// The audit trail, shared by both backends like `sql_common.rs` (included after it, in the same
// module). The hashing and signing rules are in `audit.rs`; this file stores and walks the chain.
//
// Each backend defines besides what `sql_common.rs` needs:
// - `async fn begin_audit_write(pool) -> Transaction`: the transaction that extends the audit
//   chain, holding its lock (SQLite: `BEGIN IMMEDIATE`, the file's one write lock; PostgreSQL: an
//   advisory lock of its own, so that audited reads never wait behind an import);
// - `fn audit_mutex(&self) -> &Mutex<()>`: this process's queue for that lock.
//
// INVARIANT: one writer extends the audit chain at a time, so `seq` is gap-free and each row's
// `prev_hash` is the hash of `seq − 1`.

/// The columns of an audit row, in the order [`audit_row`] reads them.
const AUDIT_COLUMNS: &str = "seq, at_us, actor, actor_kind, source, action, target, outcome, details, prev_hash, hash, signature, key_id";

/// The longest action name accepted, in characters.
const MAX_ACTION_CHARS: usize = 128;

/// Reads an audit row and its stored `details` text.
fn audit_row(r: &<Db as sqlx::Database>::Row) -> Result<(AuditRow, String), StoreError> {
    let seq: i64 = r.try_get(0)?;
    let details_text: String = r.try_get(8)?;
    let details: serde_json::Value = serde_json::from_str(&details_text).map_err(|e| corrupt(format!("audit_log.seq={seq}"), format!("details is not JSON: {e}")))?;
    let row = AuditRow {
        seq,
        at_us: r.try_get(1)?,
        actor: r.try_get(2)?,
        actor_kind: r.try_get(3)?,
        source: r.try_get(4)?,
        action: r.try_get(5)?,
        target: r.try_get(6)?,
        outcome: r.try_get(7)?,
        details,
        prev_hash: r.try_get(9)?,
        hash: r.try_get(10)?,
        signature: r.try_get(11)?,
        key_id: r.try_get(12)?,
    };
    Ok((row, details_text))
}

fn check_audit_entry(e: &AuditEntry) -> Result<(), StoreError> {
    if !crate::AUDIT_ACTOR_KINDS.contains(&e.actor_kind.as_str()) {
        return Err(StoreError::Invalid(format!("审计记录的操作者类型 `{}` 无效：应为 {}", e.actor_kind, crate::AUDIT_ACTOR_KINDS.join("、"))));
    }
    if !crate::AUDIT_OUTCOMES.contains(&e.outcome.as_str()) {
        return Err(StoreError::Invalid(format!("审计记录的结果 `{}` 无效：应为 {}", e.outcome, crate::AUDIT_OUTCOMES.join("、"))));
    }
    if e.actor.trim().is_empty() {
        return Err(StoreError::Invalid("审计记录的操作者不能为空".into()));
    }
    if e.action.trim().is_empty() || e.action.chars().count() > MAX_ACTION_CHARS {
        return Err(StoreError::Invalid(format!("审计记录的操作 `{}` 无效：应为 1 到 {MAX_ACTION_CHARS} 个字符", e.action)));
    }
    Ok(())
}

/// An entry checked and ready for the writer: a copy with its details' canonical JSON (what its
/// row stores and its hash covers).
fn prepared_audit_entry(e: &AuditEntry) -> Result<(AuditEntry, String), StoreError> {
    check_audit_entry(e)?;
    Ok((e.clone(), crate::audit::canonical_json(&e.details)))
}

/// Checks one stored audit row against the chain and the keys; `Some(reason)` names what is broken.
fn check_audit_link(
    row: &AuditRow,
    details_text: &str,
    expected_seq: i64,
    prev: &str,
    keys: &HashMap<String, Result<String, String>>,
) -> Option<String> {
    if row.seq != expected_seq {
        return Some(format!("sequence gap: expected row {expected_seq}, found {} (rows were removed)", row.seq));
    }
    if row.prev_hash != prev {
        return Some("prev_hash does not match the hash of the previous row".into());
    }
    if crate::audit::canonical_json(&row.details) != details_text {
        return Some("details is not in canonical form (it was edited)".into());
    }
    if crate::audit::entry_hash(row) != row.hash {
        return Some("hash does not match the row's content (a field, prev_hash or seq changed)".into());
    }
    match keys.get(&row.key_id) {
        None => Some(format!("signed with key `{}`, which is not in audit_keys", row.key_id)),
        Some(Err(reason)) => Some(reason.clone()),
        Some(Ok(public)) => crate::audit::check_signature(public, &row.hash, &row.signature).err().map(|why| {
            format!("signature does not verify with key `{}` ({why}): the row was re-hashed or re-signed without the server's key", row.key_id)
        }),
    }
}

/// An audit entry waiting for the writer (see `append_audit_impl`), with its canonical details.
struct PendingAudit {
    entry: AuditEntry,
    details: String,
    reply: tokio::sync::oneshot::Sender<Result<i64, StoreError>>,
}

impl StoreImpl {
    /// Chooses the key that signs audit rows, at open, and records its public half.
    ///
    /// A key passed by the caller is used as is; only its public key is stored. Otherwise the
    /// newest key whose private half the store keeps is used, and at the very first open one is
    /// generated and kept (with a warning: the database alone can then forge a consistent trail).
    async fn init_audit_key(pool: &Pool<Db>, given: Option<crate::AuditKey>) -> Result<crate::AuditKey, StoreError> {
        let now_us = to_micros(Timestamp::now());
        let mut tx = begin_write(pool).await?;
        let key = match given {
            Some(key) => {
                sqlx::query("INSERT INTO audit_keys (key_id, public_key, private_key, created_at_us) VALUES ($1, $2, NULL, $3) ON CONFLICT (key_id) DO NOTHING")
                    .bind(key.key_id())
                    .bind(key.public_key_hex())
                    .bind(now_us)
                    .execute(&mut *tx)
                    .await?;
                key
            }
            None => {
                let stored = sqlx::query(
                    "SELECT key_id, public_key, private_key FROM audit_keys WHERE private_key IS NOT NULL ORDER BY created_at_us DESC, key_id DESC LIMIT 1",
                )
                .fetch_optional(&mut *tx)
                .await?;
                match stored {
                    Some(row) => {
                        let key_id: String = row.try_get(0)?;
                        let public: String = row.try_get(1)?;
                        let private: String = row.try_get(2)?;
                        let key = crate::AuditKey::parse(private.as_bytes()).map_err(|e| corrupt(format!("audit_keys.key_id={key_id}"), e.to_string()))?;
                        if key.key_id() != key_id || key.public_key_hex() != public {
                            return Err(corrupt(format!("audit_keys.key_id={key_id}"), "the private key does not match the stored public key"));
                        }
                        tracing::warn!(key_id = %key_id, "the audit signing key is kept in the database: pass a key file so that whoever copies the database cannot re-sign the audit trail");
                        key
                    }
                    None => {
                        let key = crate::AuditKey::generate()?;
                        sqlx::query("INSERT INTO audit_keys (key_id, public_key, private_key, created_at_us) VALUES ($1, $2, $3, $4)")
                            .bind(key.key_id())
                            .bind(key.public_key_hex())
                            .bind(key.to_hex())
                            .bind(now_us)
                            .execute(&mut *tx)
                            .await?;
                        tracing::warn!(key_id = %key.key_id(), "generated an audit signing key and kept it in the database: pass a key file so that whoever copies the database cannot re-sign the audit trail");
                        key
                    }
                }
            }
        };
        tx.commit().await?;
        Ok(key)
    }

    /// Appends one audit row. Entries that arrive while another is being written wait for the
    /// writer together and are then written in one transaction (group commit), each with its own
    /// link, hash and signature, in arrival order.
    async fn append_audit_impl(&self, e: &AuditEntry) -> Result<i64, StoreError> {
        let (entry, details) = prepared_audit_entry(e)?;
        let (reply, mut answer) = tokio::sync::oneshot::channel();
        self.pending_audit().push(PendingAudit { entry, details, reply });
        let _writer = self.audit_mutex().lock().await;
        if let Some(seq) = answered(&mut answer) {
            return seq;
        }
        let group = std::mem::take(&mut *self.pending_audit());
        let (entries, replies): (Vec<_>, Vec<_>) = group.into_iter().map(|p| ((p.entry, p.details), p.reply)).unzip();
        let written = self.write_audit_group(&entries).await.map(|seqs| seqs.into_iter().map(Ok).collect());
        answer_group(replies, written);
        unanswered(answer).await
    }

    /// The queue of audit entries waiting for the writer.
    fn pending_audit(&self) -> std::sync::MutexGuard<'_, Vec<PendingAudit>> {
        self.audit_pending.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Writes audit entries (each with its canonical details) in one transaction; their seqs.
    async fn write_audit_group(&self, entries: &[(AuditEntry, String)]) -> Result<Vec<i64>, StoreError> {
        let mut tx = begin_audit_write(&self.pool).await?;
        let seqs = self.write_audit_rows(&mut tx, entries).await?;
        tx.commit().await?;
        self.wrote();
        Ok(seqs)
    }

    /// Links, signs and inserts audit rows in a transaction that holds the audit chain's lock.
    async fn write_audit_rows(&self, tx: &mut Transaction<'_, Db>, entries: &[(AuditEntry, String)]) -> Result<Vec<i64>, StoreError> {
        let head = sqlx::query("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetch_optional(&mut **tx).await?;
        let (mut last_seq, mut prev_hash): (i64, String) = match head {
            Some(row) => (row.try_get(0)?, row.try_get(1)?),
            None => (0, crate::audit::GENESIS.to_owned()),
        };
        let mut seqs = Vec::with_capacity(entries.len());
        let mut rows = Vec::with_capacity(entries.len());
        for (e, details) in entries {
            let mut row = AuditRow {
                seq: last_seq + 1,
                at_us: to_micros(e.at),
                actor: e.actor.clone(),
                actor_kind: e.actor_kind.clone(),
                source: e.source.clone(),
                action: e.action.clone(),
                target: e.target.clone(),
                outcome: e.outcome.clone(),
                details: e.details.clone(),
                prev_hash: prev_hash.clone(),
                hash: String::new(),
                signature: String::new(),
                key_id: self.audit_key.key_id(),
            };
            row.hash = crate::audit::entry_hash(&row);
            row.signature = self.audit_key.sign_hash(&row.hash)?;
            last_seq = row.seq;
            prev_hash.clone_from(&row.hash);
            seqs.push(row.seq);
            rows.push((row, details));
        }
        // One statement for a group's entries (a live feed audits every request).
        for chunk in rows.chunks(INSERT_CHUNK) {
            let sql = format!("INSERT INTO audit_log ({AUDIT_COLUMNS}) VALUES {}", row_placeholders(chunk.len(), 13));
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for (row, details) in chunk {
                q = q
                    .bind(row.seq)
                    .bind(row.at_us)
                    .bind(row.actor.clone())
                    .bind(row.actor_kind.clone())
                    .bind(row.source.clone())
                    .bind(row.action.clone())
                    .bind(row.target.clone())
                    .bind(row.outcome.clone())
                    .bind((*details).clone())
                    .bind(row.prev_hash.clone())
                    .bind(row.hash.clone())
                    .bind(row.signature.clone())
                    .bind(row.key_id.clone());
            }
            q.execute(&mut **tx).await?;
        }
        Ok(seqs)
    }

    async fn list_audit_impl(&self, query: &AuditQuery) -> Result<Page<AuditRow>, StoreError> {
        let mut clauses: Vec<String> = Vec::new();
        let mut binds: Vec<(Option<String>, Option<i64>)> = Vec::new();
        for (col, val) in [("actor", &query.actor), ("action", &query.action), ("outcome", &query.outcome), ("target", &query.target)] {
            if let Some(v) = val {
                binds.push((Some(v.clone()), None));
                clauses.push(format!("{col} = {}", param(binds.len())));
            }
        }
        if let Some(from) = query.from_us {
            binds.push((None, Some(from)));
            clauses.push(format!("at_us >= {}", param(binds.len())));
        }
        if let Some(to) = query.to_us {
            binds.push((None, Some(to)));
            clauses.push(format!("at_us < {}", param(binds.len())));
        }
        let where_sql = if clauses.is_empty() { String::new() } else { format!("WHERE {}", clauses.join(" AND ")) };
        let mut count = sqlx::query(AssertSqlSafe(format!("SELECT COUNT(*) FROM audit_log {where_sql}")));
        for (s, i) in &binds {
            count = match (s, i) {
                (Some(s), _) => count.bind(s.clone()),
                (None, i) => count.bind(*i),
            };
        }
        let total: i64 = count.fetch_one(&self.pool).await?.try_get(0)?;
        let per_page = query.per_page.clamp(1, 1000);
        let page = query.page.max(1);
        let sql = format!(
            "SELECT {AUDIT_COLUMNS} FROM audit_log {where_sql} ORDER BY seq DESC LIMIT {} OFFSET {}",
            param(binds.len() + 1),
            param(binds.len() + 2)
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for (s, i) in &binds {
            q = match (s, i) {
                (Some(s), _) => q.bind(s.clone()),
                (None, i) => q.bind(*i),
            };
        }
        let rows = q.bind(i64::from(per_page)).bind(i64::from(page - 1) * i64::from(per_page)).fetch_all(&self.pool).await?;
        let items = rows.iter().map(|r| audit_row(r).map(|(row, _)| row)).collect::<Result<Vec<_>, _>>()?;
        Ok(Page { items, total: u64::try_from(total).unwrap_or(0), page, per_page })
    }

    /// Every key in `audit_keys`: its public key, or why it cannot be trusted.
    async fn audit_keys(&self) -> Result<HashMap<String, Result<String, String>>, StoreError> {
        let rows = sqlx::query("SELECT key_id, public_key FROM audit_keys").fetch_all(&self.pool).await?;
        let mut keys = HashMap::with_capacity(rows.len());
        for r in &rows {
            let key_id: String = r.try_get(0)?;
            let public: String = r.try_get(1)?;
            let derived = hex::decode(&public).ok().and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok()).map(|b| crate::audit::key_id(&b));
            let checked = if derived.as_deref() == Some(key_id.as_str()) {
                Ok(public)
            } else {
                Err(format!("the public key stored for `{key_id}` does not match its id (audit_keys was altered)"))
            };
            keys.insert(key_id, checked);
        }
        Ok(keys)
    }

    async fn verify_audit_impl(&self, progress: &(dyn Fn(u64) + Sync)) -> Result<AuditVerifyReport, StoreError> {
        let keys = self.audit_keys().await?;
        let mut expected_seq = 1i64;
        let mut prev = crate::audit::GENESIS.to_owned();
        let mut n = 0u64;
        let mut key_ids: Vec<String> = Vec::new();
        loop {
            let rows = sqlx::query(AssertSqlSafe(format!("SELECT {AUDIT_COLUMNS} FROM audit_log WHERE seq >= $1 ORDER BY seq LIMIT $2")))
                .bind(expected_seq)
                .bind(VERIFY_PAGE)
                .fetch_all(&self.pool)
                .await?;
            if rows.is_empty() {
                break;
            }
            for r in &rows {
                let seq: i64 = r.try_get(0)?;
                let broken = |reason: String| AuditVerifyReport {
                    n_entries: n,
                    head: None,
                    broken: Some(crate::AuditBrokenLink { seq, reason }),
                    key_ids: key_ids.clone(),
                };
                let (row, details_text) = match audit_row(r) {
                    Ok(parsed) => parsed,
                    Err(StoreError::Corrupt { reason, .. }) => return Ok(broken(reason)),
                    Err(other) => return Err(other),
                };
                if let Some(reason) = check_audit_link(&row, &details_text, expected_seq, &prev, &keys) {
                    return Ok(broken(reason));
                }
                if !key_ids.contains(&row.key_id) {
                    key_ids.push(row.key_id);
                }
                prev = row.hash;
                expected_seq = seq + 1;
                n += 1;
            }
            progress(n);
        }
        Ok(AuditVerifyReport { n_entries: n, head: (n > 0).then_some(prev), broken: None, key_ids })
    }
}
