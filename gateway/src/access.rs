//! One access record and one metrics update per request. The record holds
//! method, route template, status, body sizes, duration and the scope ids of
//! a verified token; never a header value, a token or a body.

use std::convert::Infallible;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use axum::body::HttpBody;
use axum::extract::{FromRequestParts, MatchedPath, Request, State};
use axum::http::header::CONTENT_LENGTH;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;

use crate::metrics::{FinishedRequest, Metrics};
use crate::ops::{HEALTHZ_PATH, METRICS_PATH, READYZ_PATH};
use crate::token::VerifiedToken;

/// Target of the access records, e.g. `RUST_LOG=info,snapshot_gateway::access=off`.
pub const ACCESS_TARGET: &str = "snapshot_gateway::access";

/// Route label of requests no route matched (404 fallback, 405).
const UNMATCHED: &str = "unmatched";

/// What the handlers learn about a request that the access record needs.
/// Shared through the request's extensions; handlers take it as an extractor.
#[derive(Clone, Default, Debug)]
pub(crate) struct RequestContext(Arc<Mutex<Facts>>);

#[derive(Default, Debug)]
struct Facts {
    route: Option<String>,
    org: Option<String>,
    agent: Option<String>,
    conversation: Option<String>,
    run_id: Option<i64>,
    body_bytes: Option<u64>,
}

impl RequestContext {
    fn with<R>(&self, f: impl FnOnce(&mut Facts) -> R) -> R {
        // A panic elsewhere cannot make these plain fields inconsistent.
        f(&mut self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// The scope and run of a token that verified.
    pub(crate) fn record_token(&self, token: &VerifiedToken) {
        self.with(|facts| {
            if let Some(scope) = &token.scope {
                facts.org = Some(scope.organization_id.clone());
                facts.agent = Some(scope.agent_id.clone());
                facts.conversation = Some(scope.conversation_id.clone());
            }
            facts.run_id = token.run_id;
        });
    }

    pub(crate) fn record_body_bytes(&self, bytes: usize) {
        self.with(|facts| facts.body_bytes = Some(bytes as u64));
    }
}

impl<S: Send + Sync> FromRequestParts<S> for RequestContext {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        // Outside the access layer (never in `serve`) records go nowhere.
        Ok(parts.extensions.get::<Self>().cloned().unwrap_or_default())
    }
}

/// Inner layer (`route_layer`): notes the matched route template, which only
/// exists once the router has matched.
pub(crate) async fn capture_route(request: Request, next: Next) -> Response {
    if let (Some(path), Some(context)) = (
        request.extensions().get::<MatchedPath>(),
        request.extensions().get::<RequestContext>(),
    ) {
        let route = path.as_str().to_owned();
        context.with(|facts| facts.route = Some(route));
    }
    next.run(request).await
}

/// Outer layer: times the request, then writes its record and metrics. If
/// the client goes away first, the guard records it as status 499.
pub(crate) async fn record(
    State(metrics): State<Metrics>,
    mut request: Request,
    next: Next,
) -> Response {
    let context = RequestContext::default();
    request.extensions_mut().insert(context.clone());
    let declared_in = request
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    metrics.request_started();
    let mut guard = Pending {
        metrics,
        context,
        method: request.method().as_str().to_owned(),
        started: Instant::now(),
        declared_in,
        done: false,
    };
    let response = next.run(request).await;
    let bytes_out = response.body().size_hint().exact().unwrap_or(0);
    guard.finish(response.status().as_u16(), bytes_out);
    response
}

struct Pending {
    metrics: Metrics,
    context: RequestContext,
    method: String,
    started: Instant,
    declared_in: Option<u64>,
    done: bool,
}

impl Pending {
    fn finish(&mut self, status: u16, bytes_out: u64) {
        self.done = true;
        let seconds = self.started.elapsed().as_secs_f64();
        let context = self.context.clone();
        context.with(|facts| {
            let route = facts.route.as_deref().unwrap_or(UNMATCHED);
            // Bytes the handler read; else what the client declared.
            let bytes_in = facts.body_bytes.or(self.declared_in).unwrap_or(0);
            self.metrics.request_finished(&FinishedRequest {
                method: &self.method,
                route,
                status,
                seconds,
                bytes_in,
                bytes_out,
            });
            let duration_ms = (seconds * 1e6).round() / 1e3;
            if is_probe(route) {
                // Probes and scrapes every few seconds would drown the rest.
                tracing::debug!(
                    target: ACCESS_TARGET,
                    method = %self.method, route, status, bytes_in, bytes_out, duration_ms,
                    "request"
                );
            } else {
                tracing::info!(
                    target: ACCESS_TARGET,
                    method = %self.method,
                    route,
                    status,
                    bytes_in,
                    bytes_out,
                    duration_ms,
                    org = facts.org.as_deref(),
                    agent = facts.agent.as_deref(),
                    conversation = facts.conversation.as_deref(),
                    run_id = facts.run_id,
                    "request"
                );
            }
        });
    }
}

fn is_probe(route: &str) -> bool {
    matches!(route, HEALTHZ_PATH | READYZ_PATH | METRICS_PATH)
}

impl Drop for Pending {
    fn drop(&mut self) {
        if !self.done {
            // The connection closed before the answer (nginx's 499).
            self.finish(499, 0);
        }
    }
}
