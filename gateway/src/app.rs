//! The whole HTTP application: the snapshot route (with its limits), the
//! operator endpoints, the fallbacks, and the access layer around all.

use std::sync::Arc;

use axum::middleware::{from_fn, from_fn_with_state};
use axum::Router;

use crate::access;
use crate::error::ApiError;
use crate::limits::{self, Limits};
use crate::ops::ops_routes;
use crate::routes::{snapshot_routes, AppState};

pub(crate) fn app(state: Arc<AppState>, prefix: &str, limits: Limits) -> Router {
    let metrics = state.metrics.clone();
    snapshot_routes(state.clone(), prefix)
        .route_layer(from_fn_with_state(limits, limits::enforce))
        .merge(ops_routes(state))
        // After the merge, so every matched route records its template.
        .route_layer(from_fn(access::capture_route))
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .fallback(|| async { ApiError::RouteNotFound })
        .layer(from_fn_with_state(metrics, access::record))
}
