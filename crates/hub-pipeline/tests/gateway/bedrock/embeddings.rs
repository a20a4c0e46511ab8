//! Embeddings through InvokeModel: Titan one input per call, Cohere in batches, and float and
//! base64 answers that agree.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http::StatusCode;
use serde_json::{Value, json};

use super::harness::BedrockHarness;

fn floats(embedding: &Value) -> Vec<f32> {
    match embedding {
        Value::String(text) => STANDARD
            .decode(text)
            .expect("base64")
            .chunks_exact(4)
            .map(|bytes| f32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
            .collect(),
        Value::Array(values) => values
            .iter()
            .map(|value| value.as_f64().expect("a number") as f32)
            .collect(),
        other => panic!("not an embedding: {other}"),
    }
}

#[tokio::test]
async fn titan_embeds_each_input_and_base64_agrees_with_float() {
    let hub = BedrockHarness::start().await;
    let request = |format: &str| {
        json!({"model": "titan", "input": ["hello world", "goodbye"], "dimensions": 256,
               "encoding_format": format})
    };

    let plain = hub.post("/v1/embeddings", &request("float")).await;
    let packed = hub.post("/v1/embeddings", &request("base64")).await;

    assert_eq!(plain.status, StatusCode::OK, "{:?}", plain.body);
    let (plain, packed) = (plain.json(), packed.json());
    assert_eq!(plain["model"], "amazon.titan-embed-text-v2:0");
    assert_eq!(
        plain["usage"],
        json!({"prompt_tokens": 3, "total_tokens": 3})
    );
    assert_eq!(plain["data"][1]["index"], 1);
    for index in 0..2 {
        let float = floats(&plain["data"][index]["embedding"]);
        assert_eq!(float.len(), 256);
        assert_eq!(float, floats(&packed["data"][index]["embedding"]));
    }
    assert!(packed["data"][0]["embedding"].is_string());
    assert_ne!(plain["data"][0]["embedding"], plain["data"][1]["embedding"]);

    let sent: Vec<Value> = hub.mock.requests().iter().map(|r| r.body.clone()).collect();
    assert_eq!(sent.len(), 4, "one InvokeModel per input");
    assert_eq!(
        sent[0],
        json!({"inputText": "hello world", "dimensions": 256})
    );
    hub.stop().await;
}

#[tokio::test]
async fn cohere_embeds_a_batch_in_one_call() {
    let hub = BedrockHarness::start().await;
    let request = json!({"model": "cohere", "input": ["a b", "c"], "input_type": "search_query"});

    let reply = hub.post("/v1/embeddings", &request).await;

    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    let body = reply.json();
    assert_eq!(body["data"].as_array().unwrap().len(), 2);
    assert_eq!(
        body["usage"]["prompt_tokens"], 3,
        "from the token count header"
    );
    let sent = hub.mock.requests();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].path, "/model/cohere.embed-english-v3/invoke");
    assert_eq!(sent[0].body["input_type"], "search_query");
    hub.stop().await;
}

#[tokio::test]
async fn token_inputs_are_refused_before_any_call() {
    let hub = BedrockHarness::start().await;

    let reply = hub
        .post(
            "/v1/embeddings",
            &json!({"model": "titan", "input": [1, 2, 3]}),
        )
        .await;

    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.error()["param"], "input");
    assert!(hub.mock.requests().is_empty());
    hub.stop().await;
}
