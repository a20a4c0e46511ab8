//! `/v1/embeddings`: deterministic vectors, float and base64 encodings, input rules.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hub_testkit::{MockConfig, OpenAiMock};
use serde_json::{Value, json};

use crate::client;

fn vector(reply: &Value, index: usize) -> Vec<f32> {
    let embedding = reply["data"][index]["embedding"]
        .as_array()
        .expect("a float array");
    embedding
        .iter()
        .map(|component| component.as_f64().expect("a number") as f32)
        .collect()
}

#[tokio::test]
async fn float_embeddings_are_deterministic() {
    let mock = client::mock().await;
    let request =
        json!({"model": "text-embedding-3-small", "input": ["hello world", "bye", "hello world"]});

    let reply = client::post(&mock, "/v1/embeddings", &request).await;

    assert_eq!(reply.status, 200);
    let body = reply.json();
    assert_eq!(body["object"], "list");
    assert_eq!(body["model"], "text-embedding-3-small");
    assert_eq!(
        body["usage"],
        json!({"prompt_tokens": 5, "total_tokens": 5})
    );
    assert_eq!(body["data"][1]["object"], "embedding");
    assert_eq!(body["data"][1]["index"], 1);
    assert_eq!(vector(&body, 0).len(), 8);
    assert_eq!(vector(&body, 0), vector(&body, 2));
    assert_ne!(vector(&body, 0), vector(&body, 1));
}

#[tokio::test]
async fn base64_embeddings_hold_the_same_little_endian_floats() {
    let mock = client::mock().await;
    let float = json!({"model": "text-embedding-3-large", "input": "same text", "dimensions": 4});
    let mut base64 = float.clone();
    base64["encoding_format"] = json!("base64");

    let float = client::post(&mock, "/v1/embeddings", &float).await.json();
    let base64 = client::post(&mock, "/v1/embeddings", &base64).await.json();

    let encoded = base64["data"][0]["embedding"]
        .as_str()
        .expect("a base64 string");
    let bytes = STANDARD.decode(encoded).expect("valid base64");
    let decoded: Vec<f32> = bytes
        .chunks_exact(4)
        .map(|chunk| f32::from_le_bytes(chunk.try_into().expect("four bytes")))
        .collect();
    assert_eq!(decoded, vector(&float, 0));
    assert_eq!(decoded.len(), 4);
}

#[tokio::test]
async fn embedding_inputs_are_checked() {
    let config = MockConfig {
        models: vec![
            "text-embedding-3-small".to_owned(),
            "text-embedding-ada-002".to_owned(),
        ],
        ..MockConfig::default()
    };
    let mock = OpenAiMock::start(config).await.expect("the mock starts");
    let model = "text-embedding-3-small";
    let too_many = vec!["x"; 2049];
    let cases = [
        (
            json!({"model": model}),
            "input",
            Some("missing_required_parameter"),
        ),
        (
            json!({"input": "x"}),
            "model",
            Some("missing_required_parameter"),
        ),
        (json!({"model": model, "input": ""}), "input", None),
        (json!({"model": model, "input": ["a", ""]}), "input", None),
        (
            json!({"model": model, "input": []}),
            "input",
            Some("empty_array"),
        ),
        (
            json!({"model": model, "input": too_many}),
            "input",
            Some("array_above_max_length"),
        ),
        (
            json!({"model": model, "input": "x", "encoding_format": "hex"}),
            "encoding_format",
            Some("invalid_value"),
        ),
        (
            json!({"model": model, "input": "x", "dimensions": 0}),
            "dimensions",
            Some("integer_below_min_value"),
        ),
        (
            json!({"model": "text-embedding-ada-002", "input": "x", "dimensions": 4}),
            "dimensions",
            None,
        ),
    ];

    for (request, param, code) in cases {
        let reply = client::post(&mock, "/v1/embeddings", &request).await;

        assert_eq!(reply.status, 400, "{request}");
        let error = reply.error();
        assert_eq!(error["param"], param, "{request}");
        assert_eq!(error["code"].as_str(), code, "{request}");
    }
}
