//! The three routes of the contract on `{prefix}/worker/transcript/snapshot`.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::header::{AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, IF_MATCH, IF_NONE_MATCH};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde_json::json;

use crate::access::RequestContext;
use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::store::{SnapshotVersion, Store, StoreError, WriteOutcome};
use crate::token::{Scope, TokenVerifier, VerifiedToken};
use crate::validate::{parse_write_request, TerminalStatus, MAX_BODY_BYTES};
use crate::version::{SnapshotDigest, TagList, WritePreconditions};

/// The route below the configurable prefix.
pub const SNAPSHOT_PATH: &str = "/worker/transcript/snapshot";

const NDJSON: &str = "application/x-ndjson; charset=utf-8";

/// The run id of the snapshot an `etag` names.
pub const SNAPSHOT_RUN_ID: HeaderName = HeaderName::from_static("x-snapshot-run-id");
/// RFC 9530 digest of the body GET sends.
pub const REPR_DIGEST: HeaderName = HeaderName::from_static("repr-digest");

pub(crate) struct AppState {
    pub(crate) store: Store,
    pub(crate) verifier: TokenVerifier,
    pub(crate) metrics: Metrics,
}

/// The snapshot route alone. `prefix` is already normalised: empty or
/// `/segment[/segment…]`.
pub(crate) fn snapshot_routes(state: Arc<AppState>, prefix: &str) -> Router {
    Router::new()
        .route(
            &format!("{prefix}{SNAPSHOT_PATH}"),
            get(read_snapshot)
                .post(write_snapshot)
                .delete(clear_snapshots),
        )
        .with_state(state)
}

/// GET: the latest `completed` snapshot of the scope, byte for byte, named by
/// its `etag`. With `If-None-Match` naming it: 304, from metadata alone.
async fn read_snapshot(
    State(state): State<Arc<AppState>>,
    context: RequestContext,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let scope = scope_of(&authenticate(&state.verifier, &context, &headers)?)?;
    // A malformed field is ignored: the client gets the full answer.
    let if_none_match = tag_list(&headers, &IF_NONE_MATCH).filter(|t| *t != TagList::Malformed);
    if let Some(tags) = &if_none_match {
        let version = state
            .store
            .latest_completed_version(&scope)
            .await?
            .ok_or(ApiError::NotFound)?;
        if !tags.if_none_match_passes(Some(version.digest)) {
            return not_modified(&version);
        }
    }
    let (version, jsonl) = state
        .store
        .latest_completed(&scope)
        .await?
        .ok_or(ApiError::NotFound)?;
    // A newer write between the two queries may be the client's own.
    if let Some(tags) = &if_none_match {
        if !tags.if_none_match_passes(Some(version.digest)) {
            return not_modified(&version);
        }
    }
    state.metrics.snapshot_read(jsonl.len());
    let mut response = (
        [
            (CONTENT_TYPE, HeaderValue::from_static(NDJSON)),
            (REPR_DIGEST, header_value(version.digest.repr_digest())?),
        ],
        // A String body is sized exactly, so hyper sets content-length itself.
        jsonl,
    )
        .into_response();
    insert_version_headers(response.headers_mut(), version.digest, version.run_id)?;
    Ok(response)
}

/// 304 with the validator headers and no body.
fn not_modified(version: &SnapshotVersion) -> Result<Response, ApiError> {
    let mut response = StatusCode::NOT_MODIFIED.into_response();
    insert_version_headers(response.headers_mut(), version.digest, version.run_id)?;
    Ok(response)
}

/// POST: store one run's snapshot. The token is checked before the body is
/// read, so unauthenticated clients cannot make the gateway buffer 32 MiB.
/// Order: 401 · 400 scope · 413/400 body · 403 run binding · 409 duplicate
/// · 412 precondition · 200.
async fn write_snapshot(
    State(state): State<Arc<AppState>>,
    context: RequestContext,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let token = authenticate(&state.verifier, &context, &headers)?;
    let scope = scope_of(&token)?;
    let bytes = read_body(&headers, body).await?;
    context.record_body_bytes(bytes.len());
    let request = parse_write_request(&bytes)?;
    match token.run_id {
        Some(bound) if bound == request.run_id => {}
        Some(_) => return Err(ApiError::Forbidden("token is bound to another run")),
        None => return Err(ApiError::Forbidden("a per-run token is required to write")),
    }
    let preconditions = WritePreconditions {
        if_match: tag_list(&headers, &IF_MATCH),
        if_none_match: tag_list(&headers, &IF_NONE_MATCH),
    };
    // The run is bound to this scope by the token's signature, which covers
    // both; there is no separate run registry to consult.
    let outcome = state
        .store
        .write(
            &scope,
            request.run_id,
            request.terminal_status,
            &request.snapshot_jsonl,
            &preconditions,
        )
        .await?;
    match outcome {
        WriteOutcome::Stored { id, digest, pruned } => {
            state
                .metrics
                .snapshot_written(request.snapshot_jsonl.len(), pruned);
            tracing::info!(
                run_id = request.run_id,
                status = request.terminal_status.as_str(),
                bytes = request.snapshot_jsonl.len(),
                pruned,
                "snapshot stored"
            );
            let mut response = Json(json!({ "id": id })).into_response();
            // Only a completed snapshot is a version GET can serve; naming a
            // failed one would make the writer's next If-Match fail.
            if request.terminal_status == TerminalStatus::Completed {
                insert_version_headers(response.headers_mut(), digest, request.run_id)?;
            }
            Ok(response)
        }
        WriteOutcome::Duplicate => Err(ApiError::Conflict),
        WriteOutcome::PreconditionFailed(latest) => {
            tracing::info!(
                run_id = request.run_id,
                latest_run_id = latest.map(|v| v.run_id),
                "snapshot not stored: precondition failed"
            );
            precondition_failed(latest)
        }
    }
}

/// 412 naming the latest completed version (null fields when there is none).
fn precondition_failed(latest: Option<SnapshotVersion>) -> Result<Response, ApiError> {
    let body = json!({
        "error": "the latest completed snapshot is not the version named by the precondition",
        "latestRunId": latest.map(|v| v.run_id),
        "etag": latest.map(|v| v.digest.etag()),
    });
    let mut response = (StatusCode::PRECONDITION_FAILED, Json(body)).into_response();
    if let Some(version) = latest {
        insert_version_headers(response.headers_mut(), version.digest, version.run_id)?;
    }
    Ok(response)
}

fn insert_version_headers(
    headers: &mut HeaderMap,
    digest: SnapshotDigest,
    run_id: i64,
) -> Result<(), ApiError> {
    headers.insert(axum::http::header::ETAG, header_value(digest.etag())?);
    headers.insert(SNAPSHOT_RUN_ID, HeaderValue::from(run_id));
    Ok(())
}

/// Base64 and the fixed prefixes are always valid header bytes; the error
/// arm only keeps a panic off the request path.
fn header_value(value: String) -> Result<HeaderValue, ApiError> {
    HeaderValue::try_from(value).map_err(|_| ApiError::Internal(StoreError::BadHeaderValue))
}

/// All lines of a conditional header as one list; `None` when absent.
fn tag_list(headers: &HeaderMap, name: &HeaderName) -> Option<TagList> {
    TagList::from_lines(headers.get_all(name).iter().map(HeaderValue::as_bytes))
}

/// DELETE: remove every snapshot of the scope; idempotent.
async fn clear_snapshots(
    State(state): State<Arc<AppState>>,
    context: RequestContext,
    headers: HeaderMap,
) -> Result<Json<serde_json::Value>, ApiError> {
    let scope = scope_of(&authenticate(&state.verifier, &context, &headers)?)?;
    let deleted = state.store.delete_scope(&scope).await?;
    Ok(Json(json!({ "deleted": deleted })))
}

/// `Authorization: Bearer <token>` (scheme case-insensitive) → verified token.
/// A verified token's scope and run go to the request's access record.
fn authenticate(
    verifier: &TokenVerifier,
    context: &RequestContext,
    headers: &HeaderMap,
) -> Result<VerifiedToken, ApiError> {
    let value = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or(ApiError::Unauthorized)?;
    let (scheme, token) = value.trim().split_once(' ').ok_or(ApiError::Unauthorized)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(ApiError::Unauthorized);
    }
    let verified = verifier.verify(token.trim()).map_err(|err| {
        // The reason only (expired, bad signature…), never the token.
        tracing::debug!(reason = %err, "token rejected");
        ApiError::Unauthorized
    })?;
    context.record_token(&verified);
    Ok(verified)
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
