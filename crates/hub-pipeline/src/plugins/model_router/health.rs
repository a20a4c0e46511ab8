//! What the router knows of each model's recent behaviour: consecutive failures, whether it
//! is ejected, and a moving average of its latency. Lock-free, shared by every request.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use hub_core::config::EjectionConfig;

/// Weight of the newest sample in the latency average.
const LATENCY_SMOOTHING: f64 = 0.3;

/// A model's health, kept beside its route.
#[derive(Debug, Default)]
pub(crate) struct ModelHealth {
    consecutive_failures: AtomicU32,
    /// Until when, in milliseconds of [`now_ms`], the model is skipped; 0 when it is not
    /// ejected.
    ejected_until_ms: AtomicU64,
    /// Until when a probe of an ejected model is in flight; other requests keep skipping it
    /// meanwhile. A probe that never reports back (its client left) expires on its own.
    probe_until_ms: AtomicU64,
    /// The moving average of time to first byte in microseconds, as `f64` bits; 0 before
    /// the first sample.
    latency_us: AtomicU64,
}

impl ModelHealth {
    /// Whether a request may be sent to the model now. After its cooldown an ejected model
    /// takes exactly one request, the probe, until that probe reports back.
    pub(crate) fn admits(&self, ejection: &EjectionConfig) -> bool {
        let now = now_ms();
        let ejected_until = self.ejected_until_ms.load(Ordering::Acquire);
        if ejected_until == 0 {
            return true;
        }
        if now < ejected_until {
            return false;
        }

        let probe_until = self.probe_until_ms.load(Ordering::Acquire);
        now >= probe_until
            && self
                .probe_until_ms
                .compare_exchange(
                    probe_until,
                    now + ejection.cooldown_ms,
                    Ordering::AcqRel,
                    Ordering::Acquire,
                )
                .is_ok()
    }

    /// Records a served attempt: the model is healthy again.
    pub(crate) fn record_success(&self, latency: Duration) {
        self.consecutive_failures.store(0, Ordering::Release);
        self.ejected_until_ms.store(0, Ordering::Release);
        self.probe_until_ms.store(0, Ordering::Release);
        self.record_latency(latency);
    }

    /// Records a failed attempt, ejecting the model when it has failed too often in a row,
    /// or when it was on probation.
    pub(crate) fn record_failure(&self, ejection: &EjectionConfig) {
        let failures = self.consecutive_failures.fetch_add(1, Ordering::AcqRel) + 1;
        if ejection.consecutive_failures == 0 {
            return;
        }

        let on_probation = self.ejected_until_ms.load(Ordering::Acquire) != 0;
        if on_probation || failures >= ejection.consecutive_failures {
            let until = now_ms() + ejection.cooldown_ms;
            self.ejected_until_ms.store(until.max(1), Ordering::Release);
            self.probe_until_ms.store(0, Ordering::Release);
            tracing::warn!(
                failures,
                cooldown_ms = ejection.cooldown_ms,
                "model ejected"
            );
        }
    }

    /// The moving average of latency in microseconds; 0 when nothing was measured yet, so
    /// an unmeasured model is tried early.
    pub(crate) fn latency_us(&self) -> f64 {
        f64::from_bits(self.latency_us.load(Ordering::Acquire))
    }

    fn record_latency(&self, latency: Duration) {
        let sample = latency.as_secs_f64() * 1e6;
        // A lost update under contention costs one sample of an average, not correctness.
        let previous = self.latency_us();
        let next = if previous == 0.0 {
            sample
        } else {
            previous + LATENCY_SMOOTHING * (sample - previous)
        };
        self.latency_us.store(next.to_bits(), Ordering::Release);
    }
}

/// Milliseconds since the first call, from a monotonic clock.
fn now_ms() -> u64 {
    static START: OnceLock<Instant> = OnceLock::new();
    let elapsed = START.get_or_init(Instant::now).elapsed();
    u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    impl ModelHealth {
        fn is_ejected(&self) -> bool {
            now_ms() < self.ejected_until_ms.load(Ordering::Acquire)
        }
    }

    fn ejection(consecutive_failures: u32, cooldown_ms: u64) -> EjectionConfig {
        EjectionConfig {
            consecutive_failures,
            cooldown_ms,
        }
    }

    #[test]
    fn a_model_is_ejected_after_consecutive_failures_only() {
        let health = ModelHealth::default();
        let config = ejection(2, 60_000);

        health.record_failure(&config);
        health.record_success(Duration::from_millis(1));
        health.record_failure(&config);
        assert!(health.admits(&config), "failures were not consecutive");

        health.record_failure(&config);
        assert!(!health.admits(&config));
        assert!(health.is_ejected());
    }

    #[test]
    fn after_the_cooldown_one_probe_is_admitted() {
        let health = ModelHealth::default();
        let config = ejection(1, 1);
        health.record_failure(&config);
        while health.is_ejected() {
            std::hint::spin_loop();
        }

        assert!(health.admits(&config), "the probe");
        assert!(!health.admits(&config), "only one probe at a time");

        health.record_success(Duration::from_millis(1));
        assert!(health.admits(&config) && health.admits(&config));
    }

    #[test]
    fn a_failed_probe_ejects_again() {
        let health = ModelHealth::default();
        let config = ejection(3, 1);
        for _ in 0..3 {
            health.record_failure(&config);
        }
        while health.is_ejected() {
            std::hint::spin_loop();
        }
        assert!(health.admits(&config));

        health.record_failure(&ejection(3, 60_000));
        assert!(health.is_ejected(), "one failure on probation is enough");
    }

    #[test]
    fn zero_failures_turns_ejection_off() {
        let health = ModelHealth::default();
        for _ in 0..100 {
            health.record_failure(&ejection(0, 60_000));
        }
        assert!(health.admits(&ejection(0, 60_000)));
    }

    #[test]
    fn latency_is_a_moving_average() {
        let health = ModelHealth::default();
        health.record_success(Duration::from_millis(10));
        health.record_success(Duration::from_millis(20));
        assert!((health.latency_us() - 13_000.0).abs() < 1.0);
    }
}
