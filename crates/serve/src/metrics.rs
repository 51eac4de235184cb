//! The gateway's metrics, in Prometheus's text format at `/metrics`.
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// The content type of [`Metrics::encode`]'s text.
pub const CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    function: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FunctionLabels {
    function: String,
}

type Histograms = Family<FunctionLabels, Histogram, fn() -> Histogram>;

/// Buckets from 10 µs to about 21 s, doubling: a pooled instance's start and a container's
/// both fall inside.
fn seconds_histogram() -> Histogram {
    Histogram::new(exponential_buckets(10e-6, 2.0, 22))
}

/// Requests by function and status, their latency, the gateway's own overhead, in-flight.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Histograms,
    overhead: Histograms,
    in_flight: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        let latency: Histograms = Family::new_with_constructor(seconds_histogram);
        let overhead: Histograms = Family::new_with_constructor(seconds_histogram);
        let in_flight = Gauge::default();
        registry.register(
            "wasmfaas_requests",
            "Requests answered, by function (the route's first segment) and HTTP status",
            requests.clone(),
        );
        registry.register(
            "wasmfaas_request_duration_seconds",
            "Time from a request's head read to its response ready, by function",
            latency.clone(),
        );
        registry.register(
            "wasmfaas_overhead_seconds",
            "The gateway's own cost per request: from its slot granted to its instance (or process) ready to run, by function",
            overhead.clone(),
        );
        registry.register(
            "wasmfaas_in_flight",
            "Requests admitted and not yet answered (running or queued for a slot)",
            in_flight.clone(),
        );
        Self {
            registry,
            requests,
            latency,
            overhead,
            in_flight,
        }
    }
}

impl Metrics {
    /// Counts one answered request.
    pub fn answered(&self, function: &str, status: u16, latency: Duration) {
        self.requests
            .get_or_create(&RequestLabels {
                function: function.to_owned(),
                status,
            })
            .inc();
        self.latency
            .get_or_create(&FunctionLabels {
                function: function.to_owned(),
            })
            .observe(latency.as_secs_f64());
    }

    /// Records the gateway's overhead of one request of `function`.
    pub fn overhead(&self, function: &str, overhead: Duration) {
        self.overhead
            .get_or_create(&FunctionLabels {
                function: function.to_owned(),
            })
            .observe(overhead.as_secs_f64());
    }

    /// The gauge of requests in flight.
    pub fn in_flight(&self) -> &Gauge {
        &self.in_flight
    }

    /// The metrics in Prometheus's text format (0.0.4).
    pub fn encode(&self) -> String {
        let mut text = String::new();
        // Writing to a String cannot fail.
        prometheus_client::encoding::prometheus_text::encode(&mut text, &self.registry).ok();
        text
    }
}
