//! Prometheus metrics: their names, units, buckets, and the recorder that serves them.
//!
//! Every label value comes from the configuration (pipeline, provider and model keys,
//! provider types) or from a fixed set (operations, statuses, error kinds), never from
//! what a client sends, so the number of series stays bounded.

use std::sync::Arc;
use std::time::Duration;

use metrics::{counter, gauge, histogram};
use metrics_exporter_prometheus::{BuildError, Matcher, PrometheusBuilder, PrometheusHandle};

/// Requests by pipeline, operation, provider, model and status.
pub(crate) const REQUESTS: &str = "hub_requests_total";
/// Time from a request's arrival to its answer's end (a stream's last event), in seconds.
pub(crate) const REQUEST_DURATION: &str = "hub_request_duration_seconds";
/// Requests being served, streams until their end.
pub(crate) const IN_FLIGHT: &str = "hub_requests_in_flight";
/// Client connections open.
pub(crate) const OPEN_CONNECTIONS: &str = "hub_open_connections";
/// Connections closed and requests refused because a limit was reached, by limit.
pub(crate) const REFUSED: &str = "hub_refused_total";
/// Tasks alive on the async runtime, read when `/metrics` is scraped: a count that keeps
/// growing under a steady load is a task leak.
pub(crate) const RUNTIME_TASKS: &str = "hub_runtime_alive_tasks";
/// Time the gateway itself spent on a request: until the answer was ready to send, less
/// the time spent waiting on upstreams, in seconds.
pub(crate) const OVERHEAD: &str = "hub_gateway_overhead_seconds";
/// Failed upstream attempts by provider, model and kind.
pub(crate) const UPSTREAM_ERRORS: &str = "hub_upstream_errors_total";
/// Further attempts on the same model after a failure.
pub(crate) const RETRIES: &str = "hub_retries_total";
/// Moves from a failed model to the next candidate.
pub(crate) const FALLBACKS: &str = "hub_fallbacks_total";
/// Tokens by type, per the OpenTelemetry GenAI conventions.
pub(crate) const TOKEN_USAGE: &str = "gen_ai_client_token_usage";
/// Duration of each upstream operation, in seconds, per the GenAI conventions.
pub(crate) const OPERATION_DURATION: &str = "gen_ai_client_operation_duration";
/// Time from the request to a stream's first chunk, in seconds, per the GenAI conventions.
pub(crate) const TIME_TO_FIRST_CHUNK: &str = "gen_ai_client_operation_time_to_first_chunk";

/// The GenAI conventions' buckets for token counts.
const TOKEN_BUCKETS: [f64; 14] = [
    1.0,
    4.0,
    16.0,
    64.0,
    256.0,
    1024.0,
    4096.0,
    16384.0,
    65536.0,
    262_144.0,
    1_048_576.0,
    4_194_304.0,
    16_777_216.0,
    67_108_864.0,
];

/// The GenAI conventions' buckets for operation durations, in seconds.
const DURATION_BUCKETS: [f64; 14] = [
    0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
];

/// Buckets for the gateway's own time, in seconds: from 10 µs, where Hub aims to be.
const OVERHEAD_BUCKETS: [f64; 12] = [
    0.000_01, 0.000_025, 0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025,
    0.1,
];

/// Installs the process's metrics recorder and returns the handle that renders the
/// Prometheus text. Call once, before serving.
///
/// # Errors
///
/// Fails when a recorder is already installed.
pub fn install() -> Result<PrometheusHandle, BuildError> {
    let builder = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Full(TOKEN_USAGE.to_owned()), &TOKEN_BUCKETS)?
        .set_buckets_for_metric(
            Matcher::Full(OPERATION_DURATION.to_owned()),
            &DURATION_BUCKETS,
        )?
        .set_buckets_for_metric(
            Matcher::Full(TIME_TO_FIRST_CHUNK.to_owned()),
            &DURATION_BUCKETS,
        )?
        .set_buckets_for_metric(
            Matcher::Full(REQUEST_DURATION.to_owned()),
            &DURATION_BUCKETS,
        )?
        .set_buckets_for_metric(Matcher::Full(OVERHEAD.to_owned()), &OVERHEAD_BUCKETS)?;
    let handle = builder.install_recorder()?;
    describe();
    Ok(handle)
}

fn describe() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};

    describe_counter!(
        REQUESTS,
        "Requests by pipeline, operation, provider, model and status."
    );
    describe_histogram!(
        REQUEST_DURATION,
        Unit::Seconds,
        "Time from arrival to the answer's end."
    );
    describe_gauge!(IN_FLIGHT, "Requests being served, streams until their end.");
    describe_gauge!(OPEN_CONNECTIONS, "Client connections open.");
    describe_counter!(
        REFUSED,
        "Connections closed and requests refused at a limit, by limit."
    );
    describe_gauge!(
        RUNTIME_TASKS,
        "Tasks alive on the async runtime, read at scrape time."
    );
    describe_histogram!(
        OVERHEAD,
        Unit::Seconds,
        "Gateway time per request, upstream waits excluded."
    );
    describe_counter!(UPSTREAM_ERRORS, "Failed upstream attempts by kind.");
    describe_counter!(
        RETRIES,
        "Further attempts on the same model after a failure."
    );
    describe_counter!(
        FALLBACKS,
        "Moves from a failed model to the next candidate."
    );
    describe_histogram!(TOKEN_USAGE, "Tokens used, by type (input, output).");
    describe_histogram!(
        OPERATION_DURATION,
        Unit::Seconds,
        "Duration of upstream operations."
    );
    describe_histogram!(
        TIME_TO_FIRST_CHUNK,
        Unit::Seconds,
        "Time to a stream's first chunk."
    );
}

/// The labels of a request, all from the configuration or fixed sets.
#[derive(Debug, Clone)]
pub(crate) struct RequestLabels {
    pub(crate) pipeline: Arc<str>,
    pub(crate) operation: &'static str,
    /// The provider and model keys that served the request; `none` when none did.
    pub(crate) provider: Arc<str>,
    pub(crate) model: Arc<str>,
}

/// Records a finished request.
pub(crate) fn request_finished(labels: &RequestLabels, status: u16, elapsed: Duration) {
    let status = status.to_string();
    counter!(REQUESTS,
        "pipeline" => labels.pipeline.to_string(), "operation" => labels.operation,
        "provider" => labels.provider.to_string(), "model" => labels.model.to_string(),
        "status" => status.clone())
    .increment(1);
    histogram!(REQUEST_DURATION,
        "pipeline" => labels.pipeline.to_string(), "operation" => labels.operation,
        "status" => status)
    .record(elapsed.as_secs_f64());
}

/// The GenAI conventions' labels of an upstream operation.
#[derive(Debug, Clone, Copy)]
pub(crate) struct OperationLabels<'a> {
    pub(crate) operation: &'static str,
    /// The provider's name in the conventions, such as `aws.bedrock`.
    pub(crate) provider: &'static str,
    /// The provider's own model id, from the configuration.
    pub(crate) model: &'a str,
}

/// Records one upstream attempt's duration: to the whole answer, or to a stream's first
/// chunk. `error_type` is set when it failed.
pub(crate) fn operation_finished(
    labels: &OperationLabels<'_>,
    elapsed: Duration,
    error_type: Option<String>,
) {
    let histogram = match error_type {
        Some(error_type) => histogram!(OPERATION_DURATION,
            "gen_ai_operation_name" => labels.operation, "gen_ai_provider_name" => labels.provider,
            "gen_ai_request_model" => labels.model.to_owned(), "error_type" => error_type),
        None => histogram!(OPERATION_DURATION,
            "gen_ai_operation_name" => labels.operation, "gen_ai_provider_name" => labels.provider,
            "gen_ai_request_model" => labels.model.to_owned()),
    };
    histogram.record(elapsed.as_secs_f64());
}

/// Records a request's tokens, one point per type.
pub(crate) fn tokens(labels: &OperationLabels<'_>, input: u64, output: Option<u64>) {
    let points = [("input", Some(input)), ("output", output)];
    for (token_type, count) in points {
        let Some(count) = count else { continue };
        histogram!(TOKEN_USAGE,
            "gen_ai_operation_name" => labels.operation, "gen_ai_provider_name" => labels.provider,
            "gen_ai_request_model" => labels.model.to_owned(), "gen_ai_token_type" => token_type)
        .record(count as f64);
    }
}

/// Records a stream's time to first chunk.
pub(crate) fn first_chunk(labels: &OperationLabels<'_>, elapsed: Duration) {
    histogram!(TIME_TO_FIRST_CHUNK,
        "gen_ai_operation_name" => labels.operation, "gen_ai_provider_name" => labels.provider,
        "gen_ai_request_model" => labels.model.to_owned())
    .record(elapsed.as_secs_f64());
}

/// Records the gateway's own time on a request.
pub(crate) fn overhead(pipeline: &str, elapsed: Duration) {
    histogram!(OVERHEAD, "pipeline" => pipeline.to_owned()).record(elapsed.as_secs_f64());
}

/// Records a failed upstream attempt; `kind` is its `error.type`.
pub(crate) fn upstream_error(provider: &str, model: &str, kind: String) {
    counter!(UPSTREAM_ERRORS, "provider" => provider.to_owned(), "model" => model.to_owned(), "kind" => kind)
        .increment(1);
}

/// Records a retry of `model`, or a fallback away from it.
pub(crate) fn retried(pipeline: &str, model: &str, fallback: bool) {
    let name = if fallback { FALLBACKS } else { RETRIES };
    counter!(name, "pipeline" => pipeline.to_owned(), "model" => model.to_owned()).increment(1);
}

/// Moves the in-flight gauge.
pub(crate) fn in_flight(delta: f64) {
    gauge!(IN_FLIGHT).increment(delta);
}

/// Sets the runtime gauges from the runtime serving this call.
pub(crate) fn runtime() {
    let Ok(handle) = tokio::runtime::Handle::try_current() else {
        return;
    };
    gauge!(RUNTIME_TASKS).set(handle.metrics().num_alive_tasks() as f64);
}

/// Moves the open-connections gauge.
pub(crate) fn connections(delta: f64) {
    gauge!(OPEN_CONNECTIONS).increment(delta);
}

/// The metrics of one request, recorded when it ends: at once for a whole answer, at the
/// stream's end for a stream, or when dropped unfinished (the client left). While it lives
/// the request counts as in flight.
#[derive(Debug)]
pub(crate) struct Meter {
    labels: RequestLabels,
    /// The GenAI labels, once a model has been chosen.
    operation: Option<(&'static str, Arc<str>)>,
    started: std::time::Instant,
    first_chunk_seen: bool,
    status: u16,
}

impl Meter {
    /// Starts metering a request that arrived at `started`.
    pub(crate) fn start(
        pipeline: Arc<str>,
        operation: &'static str,
        started: std::time::Instant,
    ) -> Self {
        in_flight(1.0);
        let none: Arc<str> = Arc::from("none");
        Meter {
            labels: RequestLabels {
                pipeline,
                operation,
                provider: Arc::clone(&none),
                model: none,
            },
            operation: None,
            started,
            first_chunk_seen: false,
            status: 200,
        }
    }

    /// The pipeline the request went through.
    pub(crate) fn pipeline(&self) -> Arc<str> {
        Arc::clone(&self.labels.pipeline)
    }

    /// Names the model that served the request.
    pub(crate) fn served_by(&mut self, route: &crate::snapshot::Route) {
        self.labels.provider = Arc::clone(&route.provider_key);
        self.labels.model = Arc::clone(&route.key);
        let provider = super::spans::provider_name(route.provider.provider_type());
        self.operation = Some((provider, Arc::from(route.model.model_type.as_str())));
    }

    /// Records the tokens of the answer.
    pub(crate) fn usage(&self, input: u64, output: Option<u64>) {
        if let Some(labels) = self.operation_labels() {
            tokens(&labels, input, output);
        }
    }

    /// Records time to first chunk the first time it is called.
    pub(crate) fn chunk(&mut self) {
        if self.first_chunk_seen {
            return;
        }
        self.first_chunk_seen = true;
        if let Some(labels) = self.operation_labels() {
            first_chunk(&labels, self.started.elapsed());
        }
    }

    /// Records the request as ended with `status`; a meter dropped without it records the
    /// status the answer was sent with.
    pub(crate) fn finish(mut self, status: u16) {
        self.status = status;
    }

    fn operation_labels(&self) -> Option<OperationLabels<'_>> {
        self.operation
            .as_ref()
            .map(|(provider, model)| OperationLabels {
                operation: self.labels.operation,
                provider,
                model,
            })
    }
}

impl Drop for Meter {
    fn drop(&mut self) {
        request_finished(&self.labels, self.status, self.started.elapsed());
        in_flight(-1.0);
    }
}

/// Counts a connection or request refused because `limit`, the name of a `general` setting,
/// was reached.
pub(crate) fn refused(limit: &'static str) {
    counter!(REFUSED, "limit" => limit).increment(1);
}
