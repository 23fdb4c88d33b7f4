//! The three routes of the contract on `{prefix}/worker/transcript/snapshot`.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::header::{AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde_json::json;

use crate::error::ApiError;
use crate::store::Store;
use crate::token::{Scope, TokenVerifier, VerifiedToken};
use crate::validate::{parse_write_request, MAX_BODY_BYTES};

/// The route below the configurable prefix.
pub const SNAPSHOT_PATH: &str = "/worker/transcript/snapshot";

const NDJSON: &str = "application/x-ndjson; charset=utf-8";

pub(crate) struct AppState {
    pub(crate) store: Store,
    pub(crate) verifier: TokenVerifier,
}

/// `prefix` is already normalised: empty or `/segment[/segment…]`.
pub(crate) fn router(state: Arc<AppState>, prefix: &str) -> Router {
    Router::new()
        .route(
            &format!("{prefix}{SNAPSHOT_PATH}"),
            get(read_snapshot)
                .post(write_snapshot)
                .delete(clear_snapshots),
        )
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .fallback(|| async { ApiError::RouteNotFound })
        .with_state(state)
}

/// GET: the latest `completed` snapshot of the token's scope, byte for byte.
async fn read_snapshot(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let scope = scope_of(&authenticate(&state.verifier, &headers)?)?;
    let jsonl = state
        .store
        .latest_completed(&scope)
        .await?
        .ok_or(ApiError::NotFound)?;
    // A String body is sized exactly, so hyper sets content-length itself.
    Ok(([(CONTENT_TYPE, HeaderValue::from_static(NDJSON))], jsonl).into_response())
}

/// POST: store one run's snapshot. The token is checked before the body is
/// read, so unauthenticated clients cannot make the gateway buffer 32 MiB.
async fn write_snapshot(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<serde_json::Value>, ApiError> {
    let token = authenticate(&state.verifier, &headers)?;
    let scope = scope_of(&token)?;
    let bytes = read_body(&headers, body).await?;
    let request = parse_write_request(&bytes)?;
    match token.run_id {
        Some(bound) if bound == request.run_id => {}
        Some(_) => return Err(ApiError::Forbidden("token is bound to another run")),
        None => return Err(ApiError::Forbidden("a per-run token is required to write")),
    }
    // The run is bound to this scope by the token's signature, which covers
    // both; there is no separate run registry to consult.
    let id = state
        .store
        .insert(
            &scope,
            request.run_id,
            request.terminal_status,
            &request.snapshot_jsonl,
        )
        .await?
        .ok_or(ApiError::Conflict)?;
    tracing::info!(
        run_id = request.run_id,
        status = request.terminal_status.as_str(),
        bytes = request.snapshot_jsonl.len(),
        "snapshot stored"
    );
    Ok(Json(json!({ "id": id })))
}

/// DELETE: remove every snapshot of the scope; idempotent.
async fn clear_snapshots(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
) -> Result<Json<serde_json::Value>, ApiError> {
    let scope = scope_of(&authenticate(&state.verifier, &headers)?)?;
    let deleted = state.store.delete_scope(&scope).await?;
    Ok(Json(json!({ "deleted": deleted })))
}

/// `Authorization: Bearer <token>` (scheme case-insensitive) → verified token.
fn authenticate(verifier: &TokenVerifier, headers: &HeaderMap) -> Result<VerifiedToken, ApiError> {
    let value = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or(ApiError::Unauthorized)?;
    let (scheme, token) = value.trim().split_once(' ').ok_or(ApiError::Unauthorized)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(ApiError::Unauthorized);
    }
    verifier.verify(token.trim()).map_err(|err| {
        // The reason only (expired, bad signature…), never the token.
        tracing::debug!(reason = %err, "token rejected");
        ApiError::Unauthorized
    })
}

fn scope_of(token: &VerifiedToken) -> Result<Scope, ApiError> {
    token.scope.clone().ok_or(ApiError::MissingScope)
}

/// Buffers the body up to [`MAX_BODY_BYTES`]; beyond it, 413.
async fn read_body(headers: &HeaderMap, body: Body) -> Result<Bytes, ApiError> {
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > MAX_BODY_BYTES as u64) {
        return Err(ApiError::PayloadTooLarge);
    }
    match Limited::new(body, MAX_BODY_BYTES).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(err) if err.is::<LengthLimitError>() => Err(ApiError::PayloadTooLarge),
        Err(_) => Err(ApiError::BadRequest("could not read the request body")),
    }
}
