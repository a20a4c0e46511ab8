//! Streams that break after the head has gone, for every stream format: each ends with one
//! OpenAI error event and no `[DONE]`, never hangs, and leaves no upstream connection open.

use std::time::Duration;

use serde_json::json;

use super::upstreams::{Misbehaviour, PROVIDERS, Upstream, message, stream_failure};

/// Limits small enough to cross in a test, on the emulator's provider, `providers[0]`.
fn small_limits(config: &mut serde_json::Value) {
    config["general"] = json!({
        "max_upstream_event_bytes": 65536,
        "max_upstream_stream_bytes": 262_144,
        "max_upstream_stream_seconds": 1,
    });
    config["providers"][0]["timeout_ms"] = json!(300);
}

/// Plays `misbehaviour` against every provider type on a streamed call; returns each
/// provider's name and the message of the error event that ended its stream.
async fn each_stream_ends(misbehaviour: Misbehaviour, delay: Duration) -> Vec<(String, String)> {
    let mut messages = Vec::new();
    for provider in PROVIDERS {
        let upstream = Upstream::start(provider, delay, small_limits).await;
        upstream.set(misbehaviour);

        let reply = upstream.chat(true).await;

        let error = stream_failure(&reply);
        let text = message(&error).to_owned();
        assert!(text.starts_with(upstream.name()), "{provider:?}: {text}");
        upstream.settles(0).await;
        messages.push((upstream.name().to_owned(), text));
        upstream.stop().await;
    }
    messages
}

#[tokio::test]
async fn a_stream_cut_in_the_middle_of_an_event_ends_with_an_error_event() {
    for (name, text) in each_stream_ends(Misbehaviour::CutMidEvent, Duration::ZERO).await {
        assert!(
            text.starts_with(&format!("{name}: upstream unreachable")),
            "{text}"
        );
    }
}

#[tokio::test]
async fn a_stream_that_stalls_ends_at_the_idle_timeout() {
    for (name, text) in each_stream_ends(Misbehaviour::StallMidStream, Duration::ZERO).await {
        assert_eq!(text, format!("{name}: upstream timed out after 300 ms"));
    }
}

#[tokio::test]
async fn an_endless_stream_ends_at_the_stream_size_limit() {
    for (name, text) in each_stream_ends(Misbehaviour::EndlessStream, Duration::ZERO).await {
        assert_eq!(
            text,
            format!(
                "{name}: upstream sent a malformed response: \
                 the stream is larger than 262144 bytes"
            )
        );
    }
}

#[tokio::test]
async fn an_event_that_never_ends_fails_at_the_event_size_limit() {
    for (name, text) in each_stream_ends(Misbehaviour::EndlessEvent, Duration::ZERO).await {
        assert_eq!(
            text,
            format!(
                "{name}: upstream sent a malformed response: \
                 a stream event is larger than 65536 bytes"
            )
        );
    }
}

/// Events every 20 ms never trip the 300 ms idle timeout: only the stream's own time limit
/// ends it.
#[tokio::test]
async fn a_steady_trickle_ends_at_the_stream_time_limit() {
    let trickle = Duration::from_millis(20);
    for (name, text) in each_stream_ends(Misbehaviour::EndlessStream, trickle).await {
        assert_eq!(text, format!("{name}: upstream timed out after 1000 ms"));
    }
}
