//! The client-facing limits of `general`, in the units the server uses.
//!
//! Request limits travel in each snapshot, so a reload changes them for the next request.
//! Connection limits are read once, when [`crate::serve`] starts: hyper's builder, the
//! connection and in-flight counts are fixed for the life of the listener.

use std::time::Duration;

use hub_core::config::GeneralConfig;
use tokio::sync::Semaphore;

/// hyper refuses a connection buffer smaller than this (it panics); validation refuses such a
/// `max_header_bytes` already, and the clamp keeps an unvalidated one from taking a server down.
const HYPER_MIN_BUF_SIZE: usize = 8 * 1024;

/// What one request may ask of the gateway.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RequestLimits {
    pub(crate) max_body_bytes: u64,
    /// Read once, when the [`crate::Gateway`] is made: the memory budget it shares.
    pub(crate) max_buffered_body_bytes: usize,
    pub(crate) body_timeout: Duration,
    pub(crate) max_messages: usize,
    pub(crate) max_input_items: usize,
}

impl From<&GeneralConfig> for RequestLimits {
    fn from(general: &GeneralConfig) -> Self {
        RequestLimits {
            max_body_bytes: general.max_request_body_bytes,
            max_buffered_body_bytes: usize::try_from(general.max_buffered_body_bytes)
                .unwrap_or(usize::MAX)
                .min(Semaphore::MAX_PERMITS),
            body_timeout: Duration::from_millis(general.request_body_timeout_ms),
            max_messages: count(general.max_messages),
            max_input_items: count(general.max_input_items),
        }
    }
}

/// What clients may hold of the server: connections, requests in flight, and time.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ConnectionLimits {
    pub(crate) max_header_bytes: usize,
    pub(crate) max_headers: usize,
    pub(crate) max_connections: usize,
    pub(crate) max_concurrent_requests: usize,
    pub(crate) header_read_timeout: Duration,
    pub(crate) idle_timeout: Duration,
    pub(crate) http2_max_concurrent_streams: u32,
}

impl From<&GeneralConfig> for ConnectionLimits {
    fn from(general: &GeneralConfig) -> Self {
        let max_header_bytes = usize::try_from(general.max_header_bytes).unwrap_or(usize::MAX);
        ConnectionLimits {
            max_header_bytes: max_header_bytes.max(HYPER_MIN_BUF_SIZE),
            max_headers: count(general.max_headers),
            max_connections: count(general.max_connections),
            max_concurrent_requests: count(general.max_concurrent_requests),
            header_read_timeout: Duration::from_millis(general.header_read_timeout_ms),
            idle_timeout: Duration::from_millis(general.idle_timeout_ms),
            http2_max_concurrent_streams: general.http2_max_concurrent_streams,
        }
    }
}

fn count(limit: u32) -> usize {
    usize::try_from(limit).unwrap_or(usize::MAX)
}
