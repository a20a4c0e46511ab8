//! The limits of `general`, on clients and on upstreams: the values each accepts, and the
//! `HUB_*` environment variables that set them. Database mode has no `general` section, so
//! there the variables are the only way to change a limit; in YAML mode they win over the
//! file.

use hub_core::config::GeneralConfig;

use crate::environment::Environment;
use crate::error::Fault;

/// One limit: its field under `general`, the variable that overrides it, and its bounds.
struct Limit {
    field: &'static str,
    variable: &'static str,
    min: u64,
    max: u64,
    value: fn(&GeneralConfig) -> u64,
}

const SECOND_MS: u64 = 1_000;
const HOUR_MS: u64 = 3_600 * SECOND_MS;
const KIB: u64 = 1024;
const MIB: u64 = 1024 * KIB;

/// Every limit. The bounds refuse what cannot work (zero, or a head buffer smaller than
/// hyper's 8 KiB minimum) and what no longer limits anything.
const LIMITS: [Limit; 16] = [
    Limit {
        field: "max_request_body_bytes",
        variable: "HUB_MAX_REQUEST_BODY_BYTES",
        min: 1,
        max: 1024 * MIB,
        value: |general| general.max_request_body_bytes,
    },
    Limit {
        field: "max_header_bytes",
        variable: "HUB_MAX_HEADER_BYTES",
        min: 8 * 1024,
        max: 16 * MIB,
        value: |general| general.max_header_bytes,
    },
    Limit {
        field: "max_headers",
        variable: "HUB_MAX_HEADERS",
        min: 8,
        max: 10_000,
        value: |general| u64::from(general.max_headers),
    },
    Limit {
        field: "max_messages",
        variable: "HUB_MAX_MESSAGES",
        min: 1,
        max: 1_000_000,
        value: |general| u64::from(general.max_messages),
    },
    Limit {
        field: "max_input_items",
        variable: "HUB_MAX_INPUT_ITEMS",
        min: 1,
        max: 1_000_000,
        value: |general| u64::from(general.max_input_items),
    },
    Limit {
        field: "max_connections",
        variable: "HUB_MAX_CONNECTIONS",
        min: 1,
        max: 1_000_000,
        value: |general| u64::from(general.max_connections),
    },
    Limit {
        field: "max_concurrent_requests",
        variable: "HUB_MAX_CONCURRENT_REQUESTS",
        min: 1,
        max: 1_000_000,
        value: |general| u64::from(general.max_concurrent_requests),
    },
    Limit {
        field: "max_buffered_body_bytes",
        variable: "HUB_MAX_BUFFERED_BODY_BYTES",
        min: MIB,
        max: 64 * 1024 * MIB,
        value: |general| general.max_buffered_body_bytes,
    },
    Limit {
        field: "header_read_timeout_ms",
        variable: "HUB_HEADER_READ_TIMEOUT_MS",
        min: 100,
        max: HOUR_MS,
        value: |general| general.header_read_timeout_ms,
    },
    Limit {
        field: "request_body_timeout_ms",
        variable: "HUB_REQUEST_BODY_TIMEOUT_MS",
        min: 100,
        max: HOUR_MS,
        value: |general| general.request_body_timeout_ms,
    },
    Limit {
        field: "idle_timeout_ms",
        variable: "HUB_IDLE_TIMEOUT_MS",
        min: 100,
        max: 24 * HOUR_MS,
        value: |general| general.idle_timeout_ms,
    },
    Limit {
        field: "http2_max_concurrent_streams",
        variable: "HUB_HTTP2_MAX_CONCURRENT_STREAMS",
        min: 1,
        max: 10_000,
        value: |general| u64::from(general.http2_max_concurrent_streams),
    },
    Limit {
        field: "max_upstream_response_bytes",
        variable: "HUB_MAX_UPSTREAM_RESPONSE_BYTES",
        min: KIB,
        max: 4096 * MIB,
        value: |general| general.max_upstream_response_bytes,
    },
    Limit {
        field: "max_upstream_event_bytes",
        variable: "HUB_MAX_UPSTREAM_EVENT_BYTES",
        min: KIB,
        max: 1024 * MIB,
        value: |general| general.max_upstream_event_bytes,
    },
    Limit {
        field: "max_upstream_stream_bytes",
        variable: "HUB_MAX_UPSTREAM_STREAM_BYTES",
        min: KIB,
        max: 1024 * 1024 * MIB,
        value: |general| general.max_upstream_stream_bytes,
    },
    Limit {
        field: "max_upstream_stream_seconds",
        variable: "HUB_MAX_UPSTREAM_STREAM_SECONDS",
        min: 1,
        max: 7 * 24 * 3_600,
        value: |general| general.max_upstream_stream_seconds,
    },
];

impl Limit {
    /// The fault of `value` when it is out of bounds.
    fn check(&self, value: u64) -> Option<String> {
        let fits = (self.min..=self.max).contains(&value);
        (!fits).then(|| format!("must be between {} and {}", self.min, self.max))
    }
}

/// Adds a fault for each limit of `general` out of its bounds, at `general.<field>`, and
/// one when the memory budget for bodies could never admit a body of the largest size.
pub(crate) fn check(general: &GeneralConfig, faults: &mut Vec<Fault>) {
    for limit in &LIMITS {
        if let Some(message) = limit.check((limit.value)(general)) {
            faults.push(Fault::new(format!("general.{}", limit.field), message));
        }
    }
    if general.max_buffered_body_bytes < general.max_request_body_bytes {
        let message = format!(
            "must be at least max_request_body_bytes ({})",
            general.max_request_body_bytes
        );
        faults.push(Fault::new("general.max_buffered_body_bytes", message));
    }
}

/// The limits the environment sets, as `general.<field>` and value. A variable that is not a
/// whole number within bounds is a fault at its own name and overrides nothing; an empty one
/// counts as unset, as an orchestrator that always passes the variable writes it.
pub(crate) fn overrides(env: &dyn Environment) -> (Vec<(String, u64)>, Vec<Fault>) {
    let mut values = Vec::new();
    let mut faults = Vec::new();
    for limit in &LIMITS {
        let raw = env.var(limit.variable).unwrap_or_default();
        let raw = raw.trim();
        if raw.is_empty() {
            continue;
        }
        let Ok(value) = raw.parse::<u64>() else {
            let message = format!("expected a whole number, found {raw:?}");
            faults.push(Fault::new(limit.variable, message));
            continue;
        };
        match limit.check(value) {
            Some(message) => faults.push(Fault::new(limit.variable, message)),
            None => values.push((format!("general.{}", limit.field), value)),
        }
    }
    (values, faults)
}
