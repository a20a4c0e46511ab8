//! Traces exported over OTLP with the GenAI conventions, and metrics scraped from
//! `/metrics`, after known traffic.

use std::collections::HashMap;

use http::{Method, StatusCode};
use hub_testkit::{Fault, MockConfig, OpenAiMock};
use serde_json::{Value, json};

use crate::common::{Harness, MOCK_KEY, chat};
use crate::otlp::{Collector, ReceivedSpan};

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const CLIENT_SPAN_ID: &str = "00f067aa0ba902b7";

/// The gateway with pipeline `default` traced to `collector`, routing `chat-model` (the first
/// emulator) then `backup-model` (`backup`) with `ordered_fallback`.
async fn traced(collector: &Collector, backup: &OpenAiMock, content: bool) -> Harness {
    let endpoint = format!("http://{}", collector.addr);
    let backup_url = backup.base_url();
    Harness::start_with(MockConfig::default(), move |config| {
        config["general"] = json!({"trace_content_enabled": content});
        config["providers"].as_array_mut().expect("providers").push(json!({
            "key": "backup", "type": "openai", "api_key": MOCK_KEY, "base_url": backup_url
        }));
        config["models"].as_array_mut().expect("models").push(json!({
            "key": "backup-model", "type": "gpt-4o-mini", "provider": "backup"
        }));
        config["pipelines"][0]["plugins"] = json!([
            {"tracing": {"endpoint": endpoint, "api_key": "collector-key",
                         "headers": {"x-team": "platform"}}},
            {"logging": {"level": "debug"}},
            {"model-router": {"models": ["chat-model", "backup-model"], "strategy": "ordered_fallback"}}
        ]);
    })
    .await
}

async fn backup() -> OpenAiMock {
    OpenAiMock::start(MockConfig {
        api_key: Some(MOCK_KEY.to_owned()),
        ..MockConfig::default()
    })
    .await
    .expect("the backup emulator starts")
}

fn by_trace(spans: &[ReceivedSpan], trace_id: &str) -> Vec<ReceivedSpan> {
    spans
        .iter()
        .filter(|span| span.trace_id == trace_id)
        .cloned()
        .collect()
}

#[tokio::test]
async fn a_retried_request_is_one_server_span_over_two_attempts() {
    let collector = Collector::start().await;
    let backup = backup().await;
    let hub = traced(&collector, &backup, false).await;
    hub.mock.set_fault(Some(Fault::Status {
        status: 500,
        body: json!({"error": {"message": "boom", "type": "server_error", "param": null, "code": null}}),
        retry_after: None,
    }));
    let traceparent = format!("00-{TRACE_ID}-{CLIENT_SPAN_ID}-01");

    let reply = hub
        .post_with(
            "/v1/chat/completions",
            &[("traceparent", &traceparent)],
            &chat("chat-model", "secret prompt"),
        )
        .await;

    assert_eq!(reply.status, StatusCode::OK);
    let spans = by_trace(&collector.spans(3).await, TRACE_ID);
    assert_eq!(spans.len(), 3, "{spans:#?}");
    let server = spans
        .iter()
        .find(|span| span.kind == 2)
        .expect("a server span");
    assert_eq!(server.name, "chat chat-model");
    assert_eq!(
        server.parent_span_id, CLIENT_SPAN_ID,
        "the client's trace is continued"
    );
    assert_eq!(server.attributes["gen_ai.operation.name"], "chat");
    assert_eq!(server.attributes["gen_ai.provider.name"], "openai");
    assert_eq!(server.attributes["gen_ai.request.model"], "chat-model");
    assert_eq!(
        server.attributes["gen_ai.response.model"],
        "gpt-4o-mini-2024-08-06"
    );
    assert_eq!(
        server.attributes["gen_ai.response.finish_reasons"],
        "[stop]"
    );
    assert!(server.attributes["gen_ai.response.id"].starts_with("chatcmpl-"));
    assert!(
        server.attributes["gen_ai.usage.input_tokens"]
            .parse::<u64>()
            .unwrap()
            > 0
    );
    assert!(
        server.attributes["gen_ai.usage.output_tokens"]
            .parse::<u64>()
            .unwrap()
            > 0
    );
    assert!(!server.attributes.contains_key("hub.export"));

    let mut attempts: Vec<&ReceivedSpan> = spans.iter().filter(|span| span.kind == 3).collect();
    attempts.sort_by_key(|span| span.attributes["hub.attempt"].clone());
    assert_eq!(attempts[0].name, "chat gpt-4o");
    assert_eq!(attempts[0].attributes["error.type"], "500");
    assert_eq!(attempts[0].status_code, 2);
    assert_eq!(attempts[1].name, "chat gpt-4o-mini");
    assert!(!attempts[1].attributes.contains_key("error.type"));
    assert!(
        attempts
            .iter()
            .all(|span| span.parent_span_id == server.span_id)
    );

    let upstream = backup.requests().pop().expect("the backup served the call");
    let sent = upstream
        .header("traceparent")
        .expect("traceparent goes upstream");
    assert_eq!(sent, format!("00-{TRACE_ID}-{}-01", attempts[1].span_id));

    let headers = collector.headers.lock().unwrap()[0].clone();
    assert_eq!(headers["authorization"], "Bearer collector-key");
    assert_eq!(headers["x-team"], "platform");
    assert!(spans.iter().all(|span| {
        span.attributes
            .values()
            .all(|v| !v.contains("secret prompt"))
    }));
    hub.stop().await;
}

#[tokio::test]
async fn a_stream_span_ends_with_the_stream_and_records_its_first_chunk() {
    let collector = Collector::start().await;
    let backup = backup().await;
    let hub = traced(&collector, &backup, false).await;
    let mut request = chat("chat-model", "one two three");
    request["stream"] = json!(true);

    let reply = hub.post("/v1/chat/completions", &request).await;

    assert_eq!(reply.events().last().map(String::as_str), Some("[DONE]"));
    let spans = collector.spans(2).await;
    let server = spans
        .iter()
        .find(|span| span.kind == 2)
        .expect("a server span");
    assert_eq!(server.attributes["gen_ai.request.stream"], "true");
    assert!(
        server.attributes["gen_ai.response.time_to_first_chunk"]
            .parse::<f64>()
            .unwrap()
            > 0.0
    );
    assert!(
        server.attributes["gen_ai.usage.output_tokens"]
            .parse::<u64>()
            .unwrap()
            > 0
    );
    assert_eq!(
        server.attributes["gen_ai.response.finish_reasons"],
        "[stop]"
    );
    hub.stop().await;
}

#[tokio::test]
async fn content_is_traced_only_when_enabled() {
    let collector = Collector::start().await;
    let backup = backup().await;
    let hub = traced(&collector, &backup, true).await;

    hub.post(
        "/v1/chat/completions",
        &chat("chat-model", "tell me a secret"),
    )
    .await;

    let spans = collector.spans(2).await;
    let server = spans
        .iter()
        .find(|span| span.kind == 2)
        .expect("a server span");
    assert!(server.attributes["gen_ai.input.messages"].contains("tell me a secret"));
    assert!(server.attributes["gen_ai.output.messages"].contains("Echo: tell me a secret"));
    hub.stop().await;
}

#[tokio::test]
async fn a_provider_error_quoting_the_prompt_is_traced_only_with_content() {
    for content in [false, true] {
        let collector = Collector::start().await;
        let backup = backup().await;
        let hub = traced(&collector, &backup, content).await;
        hub.mock.set_fault(Some(Fault::Status {
            status: 400,
            body: json!({"error": {"message": "may not say: tell me a secret",
                                   "type": "invalid_request_error", "param": null,
                                   "code": "content_filter"}}),
            retry_after: None,
        }));

        let reply = hub
            .post(
                "/v1/chat/completions",
                &chat("chat-model", "tell me a secret"),
            )
            .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST);
        let message = reply.json()["error"]["message"].clone();
        assert_eq!(message, "may not say: tell me a secret");

        let spans = collector.spans(2).await;
        for span in &spans {
            assert_eq!(span.status_code, 2, "{span:?}");
            let expected = if content {
                "mock-openai: upstream answered 400: may not say: tell me a secret"
            } else {
                "mock-openai: upstream answered 400 (invalid_request_error, content_filter)"
            };
            assert_eq!(span.status_message, expected, "{span:?}");
        }
        hub.stop().await;
    }
}

/// The value of the series of `name` whose labels include `labels`.
fn sample(scrape: &prometheus_parse::Scrape, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    scrape
        .samples
        .iter()
        .filter(|sample| sample.metric == name)
        .find(|sample| {
            labels
                .iter()
                .all(|(key, value)| sample.labels.get(key) == Some(*value))
        })
        .map(|sample| match &sample.value {
            prometheus_parse::Value::Counter(value)
            | prometheus_parse::Value::Gauge(value)
            | prometheus_parse::Value::Untyped(value) => *value,
            prometheus_parse::Value::Histogram(buckets) => {
                buckets.last().map_or(0.0, |bucket| bucket.count)
            }
            prometheus_parse::Value::Summary(_) => f64::NAN,
        })
}

#[tokio::test]
async fn metrics_count_known_traffic() {
    let hub = Harness::start_with(MockConfig::default(), |config| {
        config["pipelines"][0]["name"] = json!("metered");
    })
    .await;
    let header = [("x-traceloop-pipeline", "metered")];
    let mut stream = chat("chat-model", "one two three");
    stream["stream"] = json!(true);

    for _ in 0..2 {
        hub.post_with("/v1/chat/completions", &header, &chat("chat-model", "hi"))
            .await;
    }
    hub.post_with("/v1/chat/completions", &header, &stream)
        .await;
    let missing = hub
        .post_with("/v1/chat/completions", &header, &chat("nope", "hi"))
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);

    let reply = hub.call(Method::GET, "/metrics", &[], "").await;
    assert_eq!(reply.status, StatusCode::OK);
    let text = String::from_utf8(reply.body.to_vec()).unwrap();
    let lines = text.lines().map(|line| Ok(line.to_owned()));
    let scrape = prometheus_parse::Scrape::parse(lines).expect("valid Prometheus text");

    let served = [
        ("pipeline", "metered"),
        ("model", "chat-model"),
        ("status", "200"),
    ];
    assert_eq!(
        sample(&scrape, "hub_requests_total", &served),
        Some(3.0),
        "{text}"
    );
    let refused = [
        ("pipeline", "metered"),
        ("model", "none"),
        ("status", "404"),
    ];
    assert_eq!(sample(&scrape, "hub_requests_total", &refused), Some(1.0));
    let labels: HashMap<&str, &str> = HashMap::from([
        ("gen_ai_operation_name", "chat"),
        ("gen_ai_provider_name", "openai"),
        ("gen_ai_request_model", "gpt-4o"),
        ("gen_ai_token_type", "output"),
    ]);
    let labels: Vec<(&str, &str)> = labels.into_iter().collect();
    assert!(
        sample(&scrape, "gen_ai_client_token_usage_count", &labels) >= Some(3.0),
        "{text}"
    );
    let chat = [
        ("gen_ai_operation_name", "chat"),
        ("gen_ai_request_model", "gpt-4o"),
    ];
    assert!(
        sample(
            &scrape,
            "gen_ai_client_operation_time_to_first_chunk_count",
            &chat
        ) >= Some(1.0)
    );
    assert!(
        sample(
            &scrape,
            "hub_gateway_overhead_seconds_count",
            &[("pipeline", "metered")]
        ) >= Some(3.0)
    );
    assert!(text.contains("# TYPE hub_requests_in_flight gauge"));
    assert!(text.contains("# TYPE hub_open_connections gauge"));
    assert!(
        sample(&scrape, "hub_runtime_alive_tasks", &[]) >= Some(1.0),
        "the server task at least: {text}"
    );
    hub.stop().await;
}

#[tokio::test]
async fn retries_fallbacks_and_upstream_errors_are_counted() {
    let backup = backup().await;
    let backup_url = backup.base_url();
    let hub = Harness::start_with(MockConfig::default(), move |config| {
        config["pipelines"][0]["name"] = json!("resilient");
        config["providers"]
            .as_array_mut()
            .expect("providers")
            .push(json!({
                "key": "backup", "type": "openai", "api_key": MOCK_KEY, "base_url": backup_url
            }));
        config["models"]
            .as_array_mut()
            .expect("models")
            .push(json!({
                "key": "backup-model", "type": "gpt-4o", "provider": "backup"
            }));
        config["pipelines"][0]["plugins"][1] = json!({"model-router": {
            "models": ["chat-model", "backup-model"], "strategy": "ordered_fallback",
            "retry": {"max_retries": 1, "initial_backoff_ms": 1, "max_backoff_ms": 1}}});
    })
    .await;
    hub.mock.set_fault(Some(Fault::Status {
        status: 503,
        body: Value::Null,
        retry_after: None,
    }));

    let reply = hub
        .post_with(
            "/v1/chat/completions",
            &[("x-traceloop-pipeline", "resilient")],
            &chat("chat-model", "hi"),
        )
        .await;

    assert_eq!(reply.status, StatusCode::OK);
    let text = String::from_utf8(
        hub.call(Method::GET, "/metrics", &[], "")
            .await
            .body
            .to_vec(),
    )
    .unwrap();
    let scrape = prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_owned()))).unwrap();
    let model = [("pipeline", "resilient"), ("model", "chat-model")];
    assert_eq!(
        sample(&scrape, "hub_retries_total", &model),
        Some(1.0),
        "{text}"
    );
    assert_eq!(sample(&scrape, "hub_fallbacks_total", &model), Some(1.0));
    let errors = [
        ("provider", "mock-openai"),
        ("model", "chat-model"),
        ("kind", "503"),
    ];
    assert!(sample(&scrape, "hub_upstream_errors_total", &errors) >= Some(2.0));
    hub.stop().await;
}
