//! A fast static gateway: one loopback listener per snapshot size, so every
//! client, the reference one included, picks a size by port alone (the
//! reference bench's URL is fixed to `http://127.0.0.1:PORT/lobu`).
//!
//! GET answers the snapshot from memory with a `content-length` and an
//! `etag` (`"sha256-<base64>"` of the snapshot), or `304` with no body when
//! `if-none-match` names that etag, as a gateway with snapshot versions does;
//! under the `/lobu-digest` prefix it also sends `repr-digest` (RFC 9530), so
//! a row can measure the component checking it. Clients that send no
//! `if-none-match` (curl, the reference, every full-hydrate row) get the same
//! body as before plus one header. POST drains and counts the body (hyper
//! answers `expect: 100-continue` when the body is first read, so curl's large
//! POSTs do not stall); DELETE answers 200.

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use base64::Engine as _;
use bytes::Bytes;
use http_body_util::BodyExt;
use sha2::{Digest as _, Sha256};
use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

const ROUTE: &str = "/lobu/worker/transcript/snapshot";
/// The same snapshot with `repr-digest` on every 200.
const DIGEST_ROUTE: &str = "/lobu-digest/worker/transcript/snapshot";

/// One listener's snapshot, its validators, and the size of the last POST
/// body it drained.
#[derive(Clone)]
struct Snapshot {
    body: Bytes,
    etag: HeaderValue,
    repr_digest: HeaderValue,
    last_post: Arc<AtomicU64>,
}

/// `if-none-match` names `etag` (a list, `*`, or a weak form of it).
fn matches(headers: &HeaderMap, etag: &HeaderValue) -> bool {
    let etag = etag.to_str().unwrap_or_default();
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim())
        .any(|t| t == "*" || t.trim_start_matches("W/") == etag)
}

fn answer(s: &Snapshot, headers: &HeaderMap, digest: bool) -> axum::response::Response {
    if matches(headers, &s.etag) {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, s.etag.clone())]).into_response();
    }
    let mut r = (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/x-ndjson"),
            ),
            (header::ETAG, s.etag.clone()),
        ],
        // `Body::from(Bytes)` has an exact size, so hyper sends content-length.
        s.body.clone(),
    )
        .into_response();
    if digest {
        r.headers_mut().insert("repr-digest", s.repr_digest.clone());
    }
    r
}

async fn snapshot(State(s): State<Snapshot>, headers: HeaderMap) -> axum::response::Response {
    answer(&s, &headers, false)
}

async fn snapshot_with_digest(
    State(s): State<Snapshot>,
    headers: HeaderMap,
) -> axum::response::Response {
    answer(&s, &headers, true)
}

/// For the orchestrator's check that a write sent its whole body (the
/// reference client reports no failure); reading it resets it.
async fn last_post(State(s): State<Snapshot>) -> String {
    s.last_post.swap(0, Ordering::SeqCst).to_string()
}

async fn drain(State(s): State<Snapshot>, body: Body) -> impl IntoResponse {
    let mut body = body;
    let mut got: u64 = 0;
    while let Some(frame) = body.frame().await {
        match frame {
            Ok(f) => got += f.data_ref().map_or(0, |d| d.len() as u64),
            Err(_) => return (StatusCode::BAD_REQUEST, String::new()),
        }
    }
    s.last_post.store(got, Ordering::SeqCst);
    (StatusCode::OK, format!("{{\"id\":1,\"got\":{got}}}"))
}

async fn delete() -> impl IntoResponse {
    (StatusCode::OK, "{\"deleted\":1}")
}

/// Serves `<dir>/<size>.jsonl` for every size given; prints `port <size>
/// <port>` per listener, then `ready`, and runs until killed.
pub fn run(dir: &Path, sizes: &[u64]) -> std::io::Result<()> {
    // One thread: the gateway serves one client at a time and should take
    // as little of the 2-core machine from the client under test as it can.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let mut servers = Vec::new();
        for &size in sizes {
            let body = Bytes::from(std::fs::read(dir.join(format!("{size}.jsonl")))?);
            // Computed once here, so no request pays for hashing.
            let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(&body));
            let header = |v: String| HeaderValue::try_from(v).map_err(std::io::Error::other);
            let app = Router::new()
                .route(ROUTE, get(snapshot).post(drain).delete(delete))
                .route(DIGEST_ROUTE, get(snapshot_with_digest))
                .route("/bench/last-post", get(last_post))
                .with_state(Snapshot {
                    body,
                    etag: header(format!("\"sha256-{hash}\""))?,
                    repr_digest: header(format!("sha-256=:{hash}:"))?,
                    last_post: Arc::default(),
                });
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
            println!("port {size} {}", listener.local_addr()?.port());
            servers.push(tokio::spawn(
                async move { axum::serve(listener, app).await },
            ));
        }
        println!("ready");
        std::io::stdout().flush()?;
        for s in servers {
            s.await.map_err(std::io::Error::other)??;
        }
        Ok(())
    })
}
