//! The legacy `/v1/completions` endpoint, whole and streamed.

use serde_json::{Value, json};

use crate::client::{self, chunks};

fn completion(prompt: Value) -> Value {
    json!({"model": "gpt-3.5-turbo-instruct", "prompt": prompt})
}

#[tokio::test]
async fn a_completion_echoes_the_prompt() {
    let mock = client::mock().await;

    let reply = client::post(&mock, "/v1/completions", &completion(json!("Say this"))).await;

    assert_eq!(reply.status, 200);
    let body = reply.json();
    assert!(
        body["id"]
            .as_str()
            .is_some_and(|id| id.starts_with("cmpl-"))
    );
    assert_eq!(body["object"], "text_completion");
    assert_eq!(body["model"], "gpt-3.5-turbo-instruct");
    assert_eq!(
        body["choices"],
        json!([{"text": "Echo: Say this", "index": 0, "logprobs": null, "finish_reason": "stop"}])
    );
    assert_eq!(
        body["usage"],
        json!({"prompt_tokens": 2, "completion_tokens": 3, "total_tokens": 5})
    );
}

#[tokio::test]
async fn max_tokens_defaults_to_sixteen() {
    let mock = client::mock().await;
    let prompt = vec!["word"; 20].join(" ");

    let body = client::post(&mock, "/v1/completions", &completion(json!(prompt)))
        .await
        .json();

    assert_eq!(body["choices"][0]["finish_reason"], "length");
    assert_eq!(body["usage"]["completion_tokens"], 16);
}

#[tokio::test]
async fn echo_puts_the_prompt_in_front() {
    let mock = client::mock().await;
    let mut request = completion(json!("Hi"));
    request["echo"] = json!(true);

    let body = client::post(&mock, "/v1/completions", &request)
        .await
        .json();

    assert_eq!(body["choices"][0]["text"], "HiEcho: Hi");
}

#[tokio::test]
async fn every_prompt_shape_is_answered() {
    let mock = client::mock().await;
    let mut request = completion(json!([[1, 2], [3]]));
    request["n"] = json!(2);

    let body = client::post(&mock, "/v1/completions", &request)
        .await
        .json();

    let texts: Vec<&Value> = body["choices"]
        .as_array()
        .expect("choices")
        .iter()
        .map(|c| &c["text"])
        .collect();
    assert_eq!(texts, ["Echo: 1 2", "Echo: 1 2", "Echo: 3", "Echo: 3"]);
    assert_eq!(body["usage"]["prompt_tokens"], 3);
}

#[tokio::test]
async fn completion_fields_are_checked() {
    let mock = client::mock().await;
    let mut bool_logprobs = completion(json!("x"));
    bool_logprobs["logprobs"] = json!(true);
    let mut too_many_logprobs = completion(json!("x"));
    too_many_logprobs["logprobs"] = json!(6);
    let cases = [
        (json!({"model": "gpt-3.5-turbo-instruct"}), "prompt"),
        (completion(json!([true])), "prompt"),
        (completion(json!([])), "prompt"),
        (bool_logprobs, "logprobs"),
        (too_many_logprobs, "logprobs"),
    ];

    for (request, param) in cases {
        let reply = client::post(&mock, "/v1/completions", &request).await;

        assert_eq!(reply.status, 400, "{request}");
        assert_eq!(reply.error()["param"], param, "{request}");
    }
}

#[tokio::test]
async fn a_streamed_completion_sends_text_deltas_then_done() {
    let mock = client::mock().await;
    let mut request = completion(json!("Go"));
    request["stream"] = json!(true);
    request["stream_options"] = json!({"include_usage": true});

    let reply = client::post(&mock, "/v1/completions", &request).await;

    let chunks = chunks(&reply);
    assert!(
        chunks
            .iter()
            .all(|chunk| chunk["object"] == "text_completion")
    );
    let texts: Vec<&Value> = chunks[..3]
        .iter()
        .map(|chunk| &chunk["choices"][0]["text"])
        .collect();
    assert_eq!(texts, ["Echo:", " Go", ""]);
    assert_eq!(chunks[2]["choices"][0]["finish_reason"], "stop");
    assert_eq!(chunks[3]["choices"], json!([]));
    assert_eq!(
        chunks[3]["usage"],
        json!({"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3})
    );
    assert!(chunks[..3].iter().all(|chunk| chunk["usage"].is_null()));
}
