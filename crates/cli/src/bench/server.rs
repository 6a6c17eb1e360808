//! The real server, started in-process on `127.0.0.1:0` over the benchmark's database, with an
//! ingest token and a signed-in legal-department user at the top of the demo bureau.

use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use casewatch_core::time::SystemClock;
use casewatch_store::Store;

/// The demo account of the legal department at the bureau (`demo::register_org`).
const LEGAL_DEPT: (&str, &str) = ("O-900003", "Demo#2026-legal_dept");
/// The id of the benchmark's ingest token.
const TOKEN_ID: &str = "T-BENCH";

/// A running server and the credentials to talk to it.
pub struct Server {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// The client every request goes through (keeps connections open).
    pub client: reqwest::Client,
    /// `Authorization` header of the ingest token.
    pub bearer: String,
    /// `Cookie` header of the legal department's session.
    pub cookie: String,
    /// Wakes the server's timer (as ingestion does).
    pub timer: Arc<tokio::sync::Notify>,
    shutdown: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Server {
    /// Starts the server on `store` (whose units and demo accounts are registered), creates the
    /// ingest token for the bureau and signs in.
    pub async fn start(store: Arc<dyn Store>, root_unit: &str) -> anyhow::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let state = casewatch_server::AppState::new(
            Arc::clone(&store),
            Arc::new(SystemClock),
            casewatch_server::ServerConfig::default(),
        )
        .map_err(|e| anyhow::anyhow!("访问策略无效：{e}"))?;
        let timer = Arc::clone(&state.timer);
        let (shutdown, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(casewatch_server::serve(listener, state, async {
            let _ = rx.await;
        }));
        let secret = casewatch_server::auth::password::new_secret()
            .map_err(|e| anyhow::anyhow!("无法生成令牌：{e}"))?;
        if store.get_token(TOKEN_ID).await?.is_none() {
            store
                .create_token(&casewatch_store::ApiToken {
                    id: TOKEN_ID.into(),
                    name: "性能测试接入".into(),
                    secret_hash: casewatch_server::auth::password::digest(&secret),
                    roles: vec!["ingest".into()],
                    units: vec![root_unit.to_owned()],
                    created_by: "bench".into(),
                    created_at_us: jiff::Timestamp::now().as_microsecond(),
                    revoked_at_us: None,
                    last_used_us: None,
                })
                .await?;
        }
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(64)
            .build()?;
        let base = format!("http://{addr}");
        let r = client
            .post(format!("{base}/api/v1/auth/login"))
            .json(&serde_json::json!({"user": LEGAL_DEPT.0, "password": LEGAL_DEPT.1}))
            .send()
            .await
            .context("登录失败")?;
        anyhow::ensure!(r.status().is_success(), "登录失败：{}", r.status());
        let cookie = r
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(str::to_owned)
            .context("登录未返回会话")?;
        Ok(Self {
            base,
            client,
            bearer: format!("Bearer {TOKEN_ID}.{secret}"),
            cookie,
            timer,
            shutdown,
            task,
        })
    }

    /// A GET as the signed-in user; the round trip in ms, or an error for a status other than 200.
    pub async fn get_ms(&self, path: &str) -> anyhow::Result<f64> {
        let started = Instant::now();
        let r = self
            .client
            .get(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .send()
            .await?;
        let status = r.status();
        let _ = r.bytes().await?;
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        anyhow::ensure!(status.is_success(), "GET {path}：{status}");
        Ok(ms)
    }

    /// The round trips of `n` sequential `GET /api/v1/health`, ms: the baseline of every HTTP
    /// figure (the server and the database answer, nothing else).
    pub async fn health_ms(&self, n: usize) -> anyhow::Result<Vec<f64>> {
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            out.push(self.get_ms("/api/v1/health").await?);
        }
        Ok(out)
    }

    /// Stops the server and waits for it.
    pub async fn stop(self) -> anyhow::Result<()> {
        let _ = self.shutdown.send(());
        match tokio::time::timeout(std::time::Duration::from_secs(30), self.task).await {
            Ok(joined) => joined??,
            Err(_) => anyhow::bail!("服务未在 30 秒内停止"),
        }
        Ok(())
    }
}
