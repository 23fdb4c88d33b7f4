//! Operator endpoints at the root, outside the prefix, the token check and
//! the request limits, so probes and scrapes work when the gateway is busy:
//! `GET /healthz`, `GET /readyz`, `GET /metrics`.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;

use crate::metrics::CONTENT_TYPE as METRICS_CONTENT_TYPE;
use crate::routes::AppState;

pub const HEALTHZ_PATH: &str = "/healthz";
pub const READYZ_PATH: &str = "/readyz";
pub const METRICS_PATH: &str = "/metrics";

/// A probe must answer before a typical orchestrator's 5 s probe timeout.
const READY_CHECK_TIMEOUT: Duration = Duration::from_secs(3);

pub(crate) fn ops_routes(state: Arc<AppState>) -> Router {
    Router::new()
        .route(HEALTHZ_PATH, get(healthz))
        .route(READYZ_PATH, get(readyz))
        .route(METRICS_PATH, get(metrics))
        .with_state(state)
}

/// The process is up and serving HTTP; touches nothing else.
async fn healthz() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok" }))
}

/// 200 when the database answers and has every built-in migration; else
/// 503 with the reason (no URL, no credentials).
async fn readyz(State(state): State<Arc<AppState>>) -> Response {
    let checked = tokio::time::timeout(READY_CHECK_TIMEOUT, state.store.check_ready()).await;
    let failure = match checked {
        Ok(Ok(())) => return Json(json!({ "status": "ready" })).into_response(),
        Ok(Err(reason)) => reason,
        Err(_) => format!("database did not answer within {READY_CHECK_TIMEOUT:?}"),
    };
    tracing::warn!(reason = %failure, "not ready");
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Json(json!({ "status": "unavailable", "reason": failure })),
    )
        .into_response()
}

/// Prometheus text format. The stored-snapshot gauges come from one query
/// at scrape time, so they are right across replicas and after restarts.
async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    let totals = match tokio::time::timeout(READY_CHECK_TIMEOUT, state.store.stored_totals()).await
    {
        Ok(Ok(totals)) => Some(totals),
        Ok(Err(err)) => {
            tracing::warn!(error = %err, "metrics: cannot count stored snapshots");
            None
        }
        Err(_) => None,
    };
    match state.metrics.render(totals) {
        Ok(text) => ([(CONTENT_TYPE, METRICS_CONTENT_TYPE)], text).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}
