//! How long to wait before retrying the same model.

use std::time::Duration;

use hub_core::config::RetryConfig;
use rand::Rng;

/// The wait before retry number `retry` (0 for the first): exponential backoff with full
/// jitter, so that many clients failing together do not retry together, or the provider's
/// `retry-after` when it asks for longer.
pub(crate) fn backoff(config: &RetryConfig, retry: u32, retry_after: Option<Duration>) -> Duration {
    let ceiling = config
        .initial_backoff_ms
        .saturating_mul(1_u64 << retry.min(32))
        .min(config.max_backoff_ms);
    let jittered = Duration::from_millis(rand::rng().random_range(0..=ceiling));
    retry_after.map_or(jittered, |asked| asked.max(jittered))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_stays_under_the_ceiling() {
        let config = RetryConfig {
            initial_backoff_ms: 100,
            max_backoff_ms: 1_000,
            ..RetryConfig::default()
        };
        for _ in 0..200 {
            assert!(backoff(&config, 0, None) <= Duration::from_millis(100));
            assert!(backoff(&config, 2, None) <= Duration::from_millis(400));
            assert!(backoff(&config, 40, None) <= Duration::from_millis(1_000));
        }
    }

    #[test]
    fn retry_after_is_honoured_when_longer() {
        let config = RetryConfig::default();
        let asked = Duration::from_secs(3);
        assert!(backoff(&config, 0, Some(asked)) >= asked);
    }
}
