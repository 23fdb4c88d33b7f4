//! Errors: what a request can fail with (each maps to one status and a small
//! `{"error": "..."}` body) and what starting the gateway can fail with.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::store::StoreError;
use crate::token::TokenError;

/// A request-level failure. Messages are fixed strings: nothing from the
/// request (least of all the token) is echoed back.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("missing, invalid or expired token")]
    Unauthorized,
    #[error("token lacks scope (organization, agent, conversation)")]
    MissingScope,
    #[error("{0}")]
    BadRequest(&'static str),
    #[error("snapshot too large")]
    PayloadTooLarge,
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("no completed snapshot for this scope")]
    NotFound,
    #[error("route not found")]
    RouteNotFound,
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("a snapshot for this run already exists")]
    Conflict,
    #[error("request took longer than the request timeout")]
    RequestTimeout,
    #[error("too many requests in progress; retry later")]
    Busy,
    #[error("internal error")]
    Internal(#[source] StoreError),
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::MissingScope | Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound | Self::RouteNotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict => StatusCode::CONFLICT,
            Self::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            Self::Busy => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        Self::Internal(err)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let Self::Internal(source) = &self {
            // The cause goes to the log only; the client gets a fixed message.
            tracing::error!(error = %source, "request failed");
        }
        let body = serde_json::json!({ "error": self.to_string() });
        (self.status(), Json(body)).into_response()
    }
}

/// Why the gateway (or one of its helpers) could not start or stop.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    #[error("invalid prefix {0:?}: use a path like /lobu (no '{{', '}}', '*', '?', '#')")]
    InvalidPrefix(String),
    #[error(transparent)]
    Token(#[from] TokenError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: std::net::SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("server failed: {0}")]
    Serve(#[source] std::io::Error),
    #[error("TLS set-up failed: {0}")]
    Tls(String),
    #[error("server task failed: {0}")]
    Join(#[from] tokio::task::JoinError),
}
