//! `casewatch unit …`, `casewatch user …`, `casewatch token …`, `casewatch audit …`: the
//! administration of units, accounts and machine tokens from the command line, each action
//! written to the audit trail.

use std::io::BufRead;
use std::process::ExitCode;

use casewatch_core::time::{format_instant, from_micros};
use casewatch_server::auth::password;
use casewatch_store::{
    ApiToken, AuditEntry, AuditQuery, NewUnit, NewUser, Store, StoreError, UserChange,
};
use clap::Subcommand;
use jiff::Timestamp;

/// `casewatch unit …`.
#[derive(Debug, Subcommand)]
pub enum UnitCommand {
    /// Register a unit (市局, 分局, 派出所 or 警种).
    Add {
        /// The unit id as events name it.
        id: String,
        /// The Chinese name.
        #[arg(long)]
        name: String,
        /// The unit above it (none for the 市局).
        #[arg(long)]
        parent: Option<String>,
        /// bureau (市局), branch (分局), station (派出所) or police_type (警种).
        #[arg(long)]
        kind: String,
    },
    /// List the unit tree.
    List,
}

/// `casewatch user …`.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account. Without --password-stdin a strong password is generated and shown once.
    Add {
        /// 警号 (the login name).
        id: String,
        /// The person's name.
        #[arg(long)]
        name: String,
        /// The unit.
        #[arg(long)]
        unit: String,
        /// Roles: officer, legal_officer, legal_dept, leader, admin, ingest (repeat the flag).
        #[arg(long = "role")]
        roles: Vec<String>,
        /// Shorthand for --role admin: creates the first administrator.
        #[arg(long)]
        admin: bool,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List accounts, optionally under a unit.
    List {
        /// Only accounts of this unit and the units below it.
        #[arg(long)]
        unit: Option<String>,
    },
    /// Set a new password (from standard input, or generated and shown once).
    SetPassword {
        /// 警号.
        id: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Disable an account and end its sessions.
    Disable {
        /// 警号.
        id: String,
    },
}

/// `casewatch token …`.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an API token; the secret is shown once.
    Create {
        /// What it is for, e.g. the sending system's name.
        #[arg(long)]
        name: String,
        /// Roles (usually ingest).
        #[arg(long = "role", default_value = "ingest")]
        roles: Vec<String>,
        /// Units it may act for (repeat the flag).
        #[arg(long = "unit", required = true)]
        units: Vec<String>,
    },
    /// List tokens (never their secrets).
    List,
    /// Revoke a token.
    Revoke {
        /// The token id.
        id: String,
    },
}

/// `casewatch audit …`.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Walk the audit trail, check every link and signature, name the first broken row.
    Verify,
    /// Create a new audit signing key file (readable by its owner only); point
    /// `audit_key_file` (or CASEWATCH_AUDIT_KEY_FILE) at it.
    Keygen {
        /// Where to write the key.
        #[arg(long)]
        out: std::path::PathBuf,
    },
    /// Show the newest audit rows.
    List {
        /// Only this actor.
        #[arg(long)]
        actor: Option<String>,
        /// Only this action.
        #[arg(long)]
        action: Option<String>,
        /// How many rows.
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
}

fn who() -> String {
    std::env::var("USER")
        .map(|u| format!("cli:{u}"))
        .unwrap_or_else(|_| "cli".to_owned())
}

async fn audit(
    store: &dyn Store,
    action: &str,
    target: &str,
    outcome: &str,
    details: serde_json::Value,
) -> Result<(), StoreError> {
    store
        .append_audit(&AuditEntry {
            at: Timestamp::now(),
            actor: who(),
            actor_kind: "system".into(),
            source: None,
            action: action.into(),
            target: Some(target.into()),
            outcome: outcome.into(),
            details,
        })
        .await
        .map(|_| ())
}

/// Reads a password from standard input, or generates one; checks the policy.
fn obtain_password(user_id: &str, from_stdin: bool) -> Result<(String, bool), String> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| format!("无法读取标准输入：{e}"))?;
        let pw = line.trim_end_matches(['\r', '\n']).to_owned();
        password::check_policy(user_id, &pw)
            .map_err(|p| format!("密码不符合要求：{}", p.join("；")))?;
        Ok((pw, false))
    } else {
        // 24 hex characters plus a fixed mix of classes: policy-compliant and unguessable.
        let secret = password::new_secret().map_err(|e| format!("无法生成随机密码：{e}"))?;
        Ok((
            format!("Cw-{}!", secret.get(..24).unwrap_or_default()),
            true,
        ))
    }
}

fn invalid(e: StoreError) -> Result<ExitCode, anyhow::Error> {
    match e {
        StoreError::Invalid(m) => {
            eprintln!("{m}");
            Ok(ExitCode::from(2))
        }
        other => Err(other.into()),
    }
}

/// Runs `casewatch unit …`.
pub async fn unit(store: &dyn Store, cmd: UnitCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        UnitCommand::Add {
            id,
            name,
            parent,
            kind,
        } => {
            match store
                .add_unit(&NewUnit {
                    id: id.clone(),
                    name,
                    parent,
                    kind,
                })
                .await
            {
                Ok(u) => {
                    audit(
                        store,
                        "unit.add",
                        &id,
                        "success",
                        serde_json::json!({"path": u.path}),
                    )
                    .await?;
                    outln!("已登记单位 {}（{}），路径 {}", u.id, u.name, u.path);
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => invalid(e),
            }
        }
        UnitCommand::List => {
            for u in store.list_units().await? {
                let depth = u.path.matches('/').count().saturating_sub(2);
                outln!("{}{} {}（{}）", "  ".repeat(depth), u.id, u.name, u.kind);
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Runs `casewatch user …`.
pub async fn user(store: &dyn Store, cmd: UserCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        UserCommand::Add {
            id,
            name,
            unit,
            mut roles,
            admin,
            password_stdin,
        } => {
            if admin && !roles.iter().any(|r| r == "admin") {
                roles.push("admin".into());
            }
            if roles.is_empty() {
                eprintln!(
                    "至少指定一个角色（--role officer|legal_officer|legal_dept|leader|admin|ingest，或 --admin）"
                );
                return Ok(ExitCode::from(2));
            }
            let (pw, generated) = match obtain_password(&id, password_stdin) {
                Ok(x) => x,
                Err(m) => {
                    eprintln!("{m}");
                    return Ok(ExitCode::from(2));
                }
            };
            let hash = password::hash_password(&pw)?;
            let new = NewUser {
                id: id.clone(),
                name,
                unit,
                roles: roles.clone(),
                password_hash: Some(hash),
            };
            match store.add_user(&new, Timestamp::now()).await {
                Ok(u) => {
                    audit(
                        store,
                        "user.add",
                        &id,
                        "success",
                        serde_json::json!({"unit": u.unit, "roles": roles}),
                    )
                    .await?;
                    outln!(
                        "已创建账号 {}（{}，{}，角色 {}）",
                        u.id,
                        u.name,
                        u.unit,
                        u.roles.join(",")
                    );
                    if generated {
                        outln!("初始密码（只显示这一次，请首次登录后修改）：{pw}");
                    }
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => invalid(e),
            }
        }
        UserCommand::List { unit } => {
            let under = match unit {
                Some(u) => match store.get_unit(&u).await? {
                    Some(unit) => Some(unit.path),
                    None => {
                        eprintln!("单位 `{u}` 不存在");
                        return Ok(ExitCode::from(2));
                    }
                },
                None => None,
            };
            for u in store.list_users(under.as_deref()).await? {
                let state = if u.disabled {
                    "（已停用）"
                } else if u
                    .locked_until_us
                    .is_some_and(|t| t > Timestamp::now().as_microsecond())
                {
                    "（已锁定）"
                } else {
                    ""
                };
                outln!(
                    "{}\t{}\t{}\t{}{state}",
                    u.id,
                    u.name,
                    u.unit,
                    u.roles.join(",")
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        UserCommand::SetPassword { id, password_stdin } => {
            let (pw, generated) = match obtain_password(&id, password_stdin) {
                Ok(x) => x,
                Err(m) => {
                    eprintln!("{m}");
                    return Ok(ExitCode::from(2));
                }
            };
            let change = UserChange {
                password_hash: Some(password::hash_password(&pw)?),
                ..UserChange::default()
            };
            match store.update_user(&id, &change, Timestamp::now()).await {
                Ok(_) => {
                    store.delete_user_sessions(&id).await?;
                    audit(
                        store,
                        "user.password",
                        &id,
                        "success",
                        serde_json::json!({}),
                    )
                    .await?;
                    outln!("已为 {id} 设置新密码，原有会话已失效");
                    if generated {
                        outln!("新密码（只显示这一次）：{pw}");
                    }
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => invalid(e),
            }
        }
        UserCommand::Disable { id } => {
            let change = UserChange {
                disabled: Some(true),
                ..UserChange::default()
            };
            match store.update_user(&id, &change, Timestamp::now()).await {
                Ok(_) => {
                    let n = store.delete_user_sessions(&id).await?;
                    audit(
                        store,
                        "user.disable",
                        &id,
                        "success",
                        serde_json::json!({"sessions_ended": n}),
                    )
                    .await?;
                    outln!("已停用 {id}，结束会话 {n} 个");
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => invalid(e),
            }
        }
    }
}

/// Runs `casewatch token …`.
pub async fn token(store: &dyn Store, cmd: TokenCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        TokenCommand::Create { name, roles, units } => {
            let id = format!(
                "tk-{}",
                password::new_secret()?.get(..12).unwrap_or_default()
            );
            let secret = password::new_secret()?;
            let token = ApiToken {
                id: id.clone(),
                name: name.clone(),
                secret_hash: password::digest(&secret),
                roles,
                units,
                created_by: who(),
                created_at_us: Timestamp::now().as_microsecond(),
                revoked_at_us: None,
                last_used_us: None,
            };
            match store.create_token(&token).await {
                Ok(()) => {
                    audit(store, "token.create", &id, "success", serde_json::json!({"name": name, "units": token.units, "roles": token.roles})).await?;
                    outln!("已创建令牌 {id}（{name}）。请求头 Authorization: Bearer {id}.{secret}");
                    outln!("令牌只显示这一次，请妥善保存");
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => invalid(e),
            }
        }
        TokenCommand::List => {
            for t in store.list_tokens().await? {
                let state = match t.revoked_at_us.and_then(from_micros) {
                    Some(at) => format!("已于 {} 撤销", format_instant(at)),
                    None => "有效".to_owned(),
                };
                outln!(
                    "{}\t{}\t{}\t{}\t{state}",
                    t.id,
                    t.name,
                    t.roles.join(","),
                    t.units.join(",")
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        TokenCommand::Revoke { id } => {
            if store.revoke_token(&id, Timestamp::now()).await? {
                audit(store, "token.revoke", &id, "success", serde_json::json!({})).await?;
                outln!("已撤销令牌 {id}");
                Ok(ExitCode::SUCCESS)
            } else {
                eprintln!("令牌 `{id}` 不存在或已撤销");
                Ok(ExitCode::from(2))
            }
        }
    }
}

/// Runs `casewatch audit …`.
pub async fn audit_cmd(store: &dyn Store, cmd: AuditCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        AuditCommand::Verify => {
            let report = store.verify_audit(&|_| {}).await?;
            match report.broken {
                None => {
                    outln!(
                        "审计链完整：{} 条记录，链头 {}，签名密钥 {}",
                        report.n_entries,
                        report.head.as_deref().unwrap_or("（空）"),
                        report.key_ids.join("、")
                    );
                    outln!("当前公钥：{}", store.audit_public_key());
                    Ok(ExitCode::SUCCESS)
                }
                Some(b) => {
                    outln!("审计链断裂：第 {} 条记录：{}", b.seq, b.reason);
                    Ok(ExitCode::from(3))
                }
            }
        }
        AuditCommand::Keygen { out } => {
            let key = casewatch_store::AuditKey::generate()?;
            let mut opts = std::fs::OpenOptions::new();
            opts.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
            let mut f = match opts.open(&out) {
                Ok(f) => f,
                Err(e) => {
                    eprintln!("无法创建 `{}`：{e}（不会覆盖已有文件）", out.display());
                    return Ok(ExitCode::from(2));
                }
            };
            std::io::Write::write_all(&mut f, format!("{}\n", key.to_hex()).as_bytes())?;
            outln!(
                "已生成审计签名密钥 {}（密钥编号 {}，公钥 {}）",
                out.display(),
                key.key_id(),
                key.public_key_hex()
            );
            outln!(
                "在配置中设置 audit_key_file = \"{}\"；公钥可交给检察院、督察等第三方用于核验导出的审计记录",
                out.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        AuditCommand::List {
            actor,
            action,
            limit,
        } => {
            let q = AuditQuery {
                actor,
                action,
                outcome: None,
                target: None,
                from_us: None,
                to_us: None,
                page: 1,
                per_page: limit.clamp(1, 1000),
            };
            for r in store.list_audit(&q).await?.items {
                let at = from_micros(r.at_us).map(format_instant).unwrap_or_default();
                outln!(
                    "{}\t{at}\t{}\t{}\t{}\t{}",
                    r.seq,
                    r.actor,
                    r.action,
                    r.target.unwrap_or_default(),
                    r.outcome
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
