//! Shared harness: one in-process gateway per test on a fresh database of
//! the chosen backend (a temp SQLite file, or a new database on this test
//! binary's shared PostgreSQL cluster), plus a plain HTTP client.

// Each test binary uses a different subset of these helpers.
#![allow(dead_code, unused_macros)]

pub mod process;

use std::time::Duration;

use reqwest::{Client, Response};
use serde_json::Value;
use snapshot_gateway::{mint_token, serve, Backend, GatewayConfig, RunningGateway, TokenClaims};

pub const SECRET: &str = "test-secret-do-not-use";
pub const HOUR: Duration = Duration::from_secs(3600);

/// Runs each named `async fn name(backend: Backend)` once per backend:
/// `sqlite::name` and `postgres::name`.
macro_rules! both_backends {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(snapshot_gateway::Backend::Sqlite).await;
                }
            )+
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(snapshot_gateway::Backend::Postgres).await;
                }
            )+
        }
    };
}

/// A database URL for `backend`, fresh and empty. The returned guard keeps a
/// SQLite temp dir alive.
pub async fn fresh_database(backend: Backend) -> (String, Option<tempfile::TempDir>) {
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().expect("temp dir");
            let path = dir.path().join("snapshots.db");
            (path.to_string_lossy().into_owned(), Some(dir))
        }
        Backend::Postgres => {
            let url = pg_cluster::fresh_database()
                .await
                .expect("PostgreSQL test cluster");
            (url, None)
        }
    }
}

/// The (org, agent, conversation) a test writes under.
#[derive(Clone, Debug)]
pub struct Scope {
    pub org: String,
    pub agent: String,
    pub conversation: String,
}

impl Scope {
    pub fn new(org: &str, agent: &str, conversation: &str) -> Self {
        Self {
            org: org.into(),
            agent: agent.into(),
            conversation: conversation.into(),
        }
    }

    pub fn default_scope() -> Self {
        Self::new("org-1", "agent-1", "conv-1")
    }

    pub fn run_token(&self, run_id: i64) -> String {
        self.token_with(SECRET, Some(run_id), HOUR)
    }

    pub fn deployment_token(&self) -> String {
        self.token_with(SECRET, None, HOUR)
    }

    pub fn token_with(&self, secret: &str, run_id: Option<i64>, ttl: Duration) -> String {
        let mut claims = TokenClaims::deployment(&self.org, &self.agent, &self.conversation, ttl);
        claims.run_id = run_id;
        mint_token(secret, &claims).expect("mint token")
    }
}

pub struct TestGateway {
    pub gateway: RunningGateway,
    pub client: Client,
    /// The `--database` value it runs on.
    pub database: String,
    _sqlite_dir: Option<tempfile::TempDir>,
}

impl TestGateway {
    pub async fn start(backend: Backend) -> Self {
        Self::start_with_prefix(backend, "").await
    }

    pub async fn start_with_prefix(backend: Backend, prefix: &str) -> Self {
        let (database, dir) = fresh_database(backend).await;
        Self::start_on(backend, database, dir, prefix).await
    }

    /// Starts on an existing database (`dir` keeps a SQLite temp dir alive).
    pub async fn start_on(
        backend: Backend,
        database: String,
        dir: Option<tempfile::TempDir>,
        prefix: &str,
    ) -> Self {
        let prefix = prefix.to_owned();
        Self::start_configured_on(backend, database, dir, move |c| c.with_prefix(prefix)).await
    }

    /// A fresh database and a config the test adjusts (retention, limits…).
    pub async fn start_configured(
        backend: Backend,
        configure: impl FnOnce(GatewayConfig) -> GatewayConfig,
    ) -> Self {
        let (database, dir) = fresh_database(backend).await;
        Self::start_configured_on(backend, database, dir, configure).await
    }

    pub async fn start_configured_on(
        backend: Backend,
        database: String,
        dir: Option<tempfile::TempDir>,
        configure: impl FnOnce(GatewayConfig) -> GatewayConfig,
    ) -> Self {
        let config = configure(GatewayConfig::new(
            "127.0.0.1:0".parse().expect("addr"),
            database.clone(),
            SECRET,
        ));
        let gateway = serve(config).await.expect("gateway starts");
        assert_eq!(gateway.backend(), backend);
        Self {
            gateway,
            client: client(),
            database,
            _sqlite_dir: dir,
        }
    }

    /// A pool on the gateway's database, to look at rows directly.
    pub async fn db(&self) -> sqlx::AnyPool {
        db_pool(&self.database).await
    }

    /// `{origin}{path}` for the root endpoints (`/healthz`, `/metrics`…).
    pub fn root_url(&self, path: &str) -> String {
        format!("{}{path}", self.gateway.origin())
    }

    /// GET a root endpoint (`/healthz`, `/readyz`, `/metrics`) without a token.
    pub async fn get_root(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.root_url(path))
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {path}: {e}"))
    }

    pub fn url(&self) -> String {
        self.gateway.snapshot_url()
    }

    pub async fn get(&self, token: Option<&str>) -> Response {
        send(self.client.get(self.url()), token).await
    }

    pub async fn delete(&self, token: Option<&str>) -> Response {
        send(self.client.delete(self.url()), token).await
    }

    pub async fn post_json(&self, token: Option<&str>, body: &Value) -> Response {
        self.post_raw(token, body.to_string().into_bytes()).await
    }

    /// GET with extra request headers (e.g. `if-none-match`).
    pub async fn get_with(&self, token: &str, headers: &[(&str, &str)]) -> Response {
        let mut request = self.client.get(self.url());
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        send(request, Some(token)).await
    }

    /// POSTs a snapshot for `run_id` with that run's token and extra headers
    /// (e.g. `if-match`).
    pub async fn write_with(
        &self,
        scope: &Scope,
        run_id: i64,
        jsonl: &str,
        headers: &[(&str, &str)],
    ) -> Response {
        let mut request = self
            .client
            .post(self.url())
            .header("content-type", "application/json")
            .body(write_body("completed", jsonl, run_id).to_string());
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        send(request, Some(&scope.run_token(run_id))).await
    }

    pub async fn post_raw(&self, token: Option<&str>, body: Vec<u8>) -> Response {
        let request = self
            .client
            .post(self.url())
            .header("content-type", "application/json")
            .body(body);
        send(request, token).await
    }

    /// POSTs a snapshot for `run_id` with that run's token; returns the status.
    pub async fn write(&self, scope: &Scope, run_id: i64, status: &str, jsonl: &str) -> u16 {
        let body = write_body(status, jsonl, run_id);
        let token = scope.run_token(run_id);
        self.post_json(Some(&token), &body).await.status().as_u16()
    }
}

/// A sqlx pool on a `--database` value as the tests pass it (a SQLite path
/// or a `postgres://` URL).
pub async fn db_pool(database: &str) -> sqlx::AnyPool {
    sqlx::any::install_default_drivers();
    let url = if database.starts_with("postgres") {
        database.to_owned()
    } else {
        format!("sqlite://{database}")
    };
    sqlx::any::AnyPoolOptions::new()
        .max_connections(2)
        .connect(&url)
        .await
        .expect("test connects to the database")
}

/// A client that ignores proxy settings from the environment: everything
/// here talks to 127.0.0.1.
pub fn client() -> Client {
    Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(60))
        .build()
        .expect("http client")
}

async fn send(request: reqwest::RequestBuilder, token: Option<&str>) -> Response {
    let request = match token {
        Some(token) => request.bearer_auth(token),
        None => request,
    };
    request.send().await.expect("request reaches the gateway")
}

pub fn write_body(status: &str, jsonl: &str, run_id: i64) -> Value {
    serde_json::json!({"terminalStatus": status, "snapshotJsonl": jsonl, "runId": run_id})
}

/// The etag the gateway must give `bytes`, computed here independently:
/// `"sha256-<standard base64 of SHA-256>"`.
pub fn expected_etag(bytes: &[u8]) -> String {
    format!("\"sha256-{}\"", sha256_base64(bytes))
}

pub fn sha256_base64(bytes: &[u8]) -> String {
    use base64::Engine;
    use sha2::Digest;
    base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(bytes))
}

/// A response header as text, if present.
pub fn header(response: &Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// Status and parsed JSON body of a response.
pub async fn status_json(response: Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let bytes = response.bytes().await.expect("body");
    let json = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| panic!("JSON body, got {:?}", String::from_utf8_lossy(&bytes)));
    (status, json)
}

/// Asserts a `{"error": "..."}` body with the given status.
pub async fn assert_error(response: Response, expected: u16) {
    let (status, body) = status_json(response).await;
    assert_eq!(status, expected, "body: {body}");
    assert!(body["error"].is_string(), "error body: {body}");
}
