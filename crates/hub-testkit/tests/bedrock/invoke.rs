//! InvokeModel for Titan and Cohere embeddings.

use serde_json::json;

use crate::client::{Signing, call, mock};

const TITAN: &str = "amazon.titan-embed-text-v2:0";
const COHERE: &str = "cohere.embed-english-v3";

#[tokio::test]
async fn titan_embeds_one_text_deterministically() {
    let mock = mock().await;
    let body = json!({"inputText": "hello world", "dimensions": 256});

    let first = call(&mock, TITAN, "invoke", &body, &Signing::valid()).await;
    let again = call(&mock, TITAN, "invoke", &body, &Signing::valid()).await;

    assert_eq!(first.status, 200);
    let answer = first.json();
    assert_eq!(answer["embedding"].as_array().unwrap().len(), 256);
    assert_eq!(answer["inputTextTokenCount"], 2);
    assert_eq!(first.headers["x-amzn-bedrock-input-token-count"], "2");
    assert_eq!(answer, again.json());
}

#[tokio::test]
async fn titan_refuses_what_the_model_refuses() {
    let mock = mock().await;
    let cases = [
        (
            json!({"inputText": "x", "texts": ["x"]}),
            "extraneous key [texts]",
        ),
        (json!({"inputText": ""}), "minLength"),
        (json!({"dimensions": 256}), "required key [inputText]"),
        (
            json!({"inputText": "x", "dimensions": 300}),
            "not a valid enum value",
        ),
    ];
    for (body, expected) in cases {
        let reply = call(&mock, TITAN, "invoke", &body, &Signing::valid()).await;
        assert_eq!(
            (reply.status, reply.exception().as_str()),
            (400, "ValidationException")
        );
        let message = reply.json()["message"].as_str().unwrap().to_owned();
        assert!(message.contains(expected), "{body}: {message}");
    }
}

#[tokio::test]
async fn cohere_embeds_a_batch_by_type() {
    let mock = mock().await;
    let body = json!({"texts": ["a b", "c"], "input_type": "search_document",
                      "embedding_types": ["float"]});

    let reply = call(&mock, COHERE, "invoke", &body, &Signing::valid()).await;

    assert_eq!(reply.status, 200, "{:?}", reply.body);
    let answer = reply.json();
    assert_eq!(answer["response_type"], "embeddings_by_type");
    let vectors = answer["embeddings"]["float"].as_array().unwrap();
    assert_eq!(vectors.len(), 2);
    assert_eq!(vectors[0].as_array().unwrap().len(), 1024);
    assert_eq!(reply.headers["x-amzn-bedrock-input-token-count"], "3");
}

#[tokio::test]
async fn cohere_needs_its_input_type_and_at_most_96_texts() {
    let mock = mock().await;
    let missing = json!({"texts": ["a"]});
    let reply = call(&mock, COHERE, "invoke", &missing, &Signing::valid()).await;
    assert!(
        reply.json()["message"]
            .as_str()
            .unwrap()
            .contains("[input_type]")
    );

    let texts: Vec<String> = (0..97).map(|n| n.to_string()).collect();
    let too_many = json!({"texts": texts, "input_type": "search_query"});
    let reply = call(&mock, COHERE, "invoke", &too_many, &Signing::valid()).await;
    assert_eq!(reply.status, 400);
}

#[tokio::test]
async fn chat_and_embedding_models_keep_to_their_operations() {
    let mock = mock().await;
    let reply = call(
        &mock,
        TITAN,
        "converse",
        &crate::client::user("x"),
        &Signing::valid(),
    )
    .await;
    assert_eq!(reply.status, 400);
    let reply = call(
        &mock,
        "amazon.nova-lite-v1:0",
        "invoke",
        &json!({"inputText": "x"}),
        &Signing::valid(),
    )
    .await;
    assert_eq!(reply.status, 400);
}
