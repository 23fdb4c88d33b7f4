//! Per-request limits on the snapshot route: a whole-request deadline and a
//! cap on requests handled at once. Over the cap a request waits for a slot
//! (FIFO); if its deadline passes while it waits, it gets 503 with
//! `retry-after: 1`, and if it passes while it is handled (body upload
//! included), 408.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::header::RETRY_AFTER;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::sync::Semaphore;
use tokio::time::{timeout_at, Instant};

use crate::error::ApiError;

#[derive(Clone, Debug)]
pub(crate) struct Limits {
    pub(crate) request_timeout: Option<Duration>,
    pub(crate) slots: Option<Arc<Semaphore>>,
}

impl Limits {
    pub(crate) fn new(request_timeout: Option<Duration>, max_concurrent: Option<usize>) -> Self {
        Self {
            request_timeout,
            slots: max_concurrent.map(|n| Arc::new(Semaphore::new(n))),
        }
    }
}

pub(crate) async fn enforce(
    State(limits): State<Limits>,
    request: Request,
    next: Next,
) -> Response {
    let deadline = limits.request_timeout.map(|t| Instant::now() + t);
    // Held until the handler's response exists.
    let _slot = match &limits.slots {
        None => None,
        Some(slots) => {
            let acquire = slots.clone().acquire_owned();
            let acquired = match deadline {
                Some(deadline) => timeout_at(deadline, acquire).await.ok(),
                None => Some(acquire.await),
            };
            match acquired {
                Some(Ok(permit)) => Some(permit),
                // Timed out in the queue (the semaphore is never closed).
                _ => return busy(),
            }
        }
    };
    match deadline {
        Some(deadline) => match timeout_at(deadline, next.run(request)).await {
            Ok(response) => response,
            Err(_) => ApiError::RequestTimeout.into_response(),
        },
        None => next.run(request).await,
    }
}

fn busy() -> Response {
    let mut response = ApiError::Busy.into_response();
    response
        .headers_mut()
        .insert(RETRY_AFTER, HeaderValue::from_static("1"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::middleware::from_fn_with_state;
    use axum::routing::get;
    use axum::Router;
    use tower::ServiceExt;

    /// A request still queued at its deadline gets 503 and `retry-after`.
    #[tokio::test]
    async fn queued_past_the_deadline_is_503() {
        let limits = Limits::new(Some(Duration::from_millis(100)), Some(1));
        let slots = limits.slots.clone().expect("slots");
        let _taken = slots.acquire_owned().await.expect("permit");
        let app = Router::new()
            .route("/", get(|| async { "ran" }))
            .route_layer(from_fn_with_state(limits, enforce));
        let request = axum::http::Request::get("/")
            .body(Body::empty())
            .expect("request");
        let response = app.oneshot(request).await.expect("infallible");
        assert_eq!(response.status(), 503);
        assert_eq!(response.headers()[RETRY_AFTER], "1");
    }
}
