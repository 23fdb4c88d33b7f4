//! Prometheus metrics, served on `GET /metrics` in the text format 0.0.4.
//! Counts of 304/409/412/413/403 are `http_requests_total` by `status`.

use std::sync::Arc;

use prometheus_client::encoding::{prometheus_text, EncodeLabelSet};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use crate::store::StoredTotals;

/// `Content-Type` of `/metrics`.
pub const CONTENT_TYPE: &str = prometheus_text::CONTENT_TYPE;

/// Latency buckets (seconds): 1 ms to 10 s.
const LATENCY_BUCKETS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 7.5, 10.0,
];
/// Snapshot size buckets (bytes): 1 KiB to the 4 MiB cap, by 4.
const SIZE_BUCKETS: [f64; 7] = [
    1024.0, 4096.0, 16384.0, 65536.0, 262144.0, 1048576.0, 4194304.0,
];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

/// Every metric the gateway exports; cheap to clone (shared handles).
#[derive(Clone)]
pub struct Metrics {
    registry: Arc<Registry>,
    requests: Family<RequestLabels, Counter>,
    duration: HistogramFamily<RouteLabels>,
    in_flight: Gauge,
    request_bytes: Counter,
    response_bytes: Counter,
    snapshot_bytes_in: Counter,
    snapshot_bytes_out: Counter,
    snapshot_size: Histogram,
    pruned: Counter,
    stored: Gauge,
    stored_bytes: Gauge,
    database_up: Gauge,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("snapshot_gateway");
        let requests = Family::<RequestLabels, Counter>::default();
        let duration: HistogramFamily<RouteLabels> =
            Family::new_with_constructor(|| Histogram::new(LATENCY_BUCKETS));
        let metrics = Self {
            requests,
            duration,
            in_flight: Gauge::default(),
            request_bytes: Counter::default(),
            response_bytes: Counter::default(),
            snapshot_bytes_in: Counter::default(),
            snapshot_bytes_out: Counter::default(),
            snapshot_size: Histogram::new(SIZE_BUCKETS),
            pruned: Counter::default(),
            stored: Gauge::default(),
            stored_bytes: Gauge::default(),
            database_up: Gauge::default(),
            registry: Arc::new(Registry::default()),
        };
        registry.register(
            "http_requests",
            "HTTP requests answered, by method, route template and status",
            metrics.requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time from request head to response head, by method and route template",
            metrics.duration.clone(),
        );
        registry.register(
            "http_requests_in_flight",
            "Requests being handled now (including those waiting for a slot)",
            metrics.in_flight.clone(),
        );
        registry.register(
            "http_request_body_bytes",
            "Request body bytes read",
            metrics.request_bytes.clone(),
        );
        registry.register(
            "http_response_body_bytes",
            "Response body bytes sent",
            metrics.response_bytes.clone(),
        );
        registry.register(
            "snapshot_bytes_written",
            "snapshotJsonl bytes stored by POST",
            metrics.snapshot_bytes_in.clone(),
        );
        registry.register(
            "snapshot_bytes_read",
            "Snapshot bytes served by GET 200",
            metrics.snapshot_bytes_out.clone(),
        );
        registry.register(
            "snapshot_write_size_bytes",
            "Size of each stored snapshot",
            metrics.snapshot_size.clone(),
        );
        registry.register(
            "snapshots_pruned",
            "Snapshots whose bytes retention dropped (by this process)",
            metrics.pruned.clone(),
        );
        registry.register(
            "stored_snapshots",
            "Snapshots holding bytes in the database (all replicas), read at scrape",
            metrics.stored.clone(),
        );
        registry.register(
            "stored_snapshot_bytes",
            "Bytes of the snapshots in stored_snapshots, read at scrape",
            metrics.stored_bytes.clone(),
        );
        registry.register(
            "database_up",
            "1 if the scrape's database query succeeded, else 0",
            metrics.database_up.clone(),
        );
        Self {
            registry: Arc::new(registry),
            ..metrics
        }
    }

    pub(crate) fn request_started(&self) {
        self.in_flight.inc();
    }

    pub(crate) fn request_finished(&self, finished: &FinishedRequest<'_>) {
        self.in_flight.dec();
        self.requests
            .get_or_create(&RequestLabels {
                method: method_label(finished.method).to_owned(),
                route: finished.route.to_owned(),
                status: finished.status.to_string(),
            })
            .inc();
        self.duration
            .get_or_create(&RouteLabels {
                method: method_label(finished.method).to_owned(),
                route: finished.route.to_owned(),
            })
            .observe(finished.seconds);
        self.request_bytes.inc_by(finished.bytes_in);
        self.response_bytes.inc_by(finished.bytes_out);
    }

    pub(crate) fn snapshot_written(&self, bytes: usize, pruned: u64) {
        self.snapshot_bytes_in.inc_by(bytes as u64);
        self.snapshot_size.observe(bytes as f64);
        self.pruned.inc_by(pruned);
    }

    pub(crate) fn snapshot_read(&self, bytes: usize) {
        self.snapshot_bytes_out.inc_by(bytes as u64);
    }

    /// The text exposition; `totals` is `None` when the database did not answer.
    pub(crate) fn render(&self, totals: Option<StoredTotals>) -> Result<String, std::fmt::Error> {
        match totals {
            Some(totals) => {
                self.stored.set(totals.snapshots);
                self.stored_bytes.set(totals.bytes);
                self.database_up.set(1);
            }
            None => {
                self.database_up.set(0);
            }
        }
        let mut out = String::new();
        prometheus_text::encode(&mut out, &self.registry)?;
        Ok(out)
    }
}

/// Standard methods as they are; anything else one label, so a client
/// inventing methods cannot create unbounded series.
fn method_label(method: &str) -> &str {
    match method {
        "GET" | "HEAD" | "POST" | "PUT" | "DELETE" | "PATCH" | "OPTIONS" => method,
        _ => "OTHER",
    }
}

/// One answered request, as the access layer saw it.
pub(crate) struct FinishedRequest<'a> {
    pub method: &'a str,
    pub route: &'a str,
    pub status: u16,
    pub seconds: f64,
    pub bytes_in: u64,
    pub bytes_out: u64,
}
