//! OpenAI embedding requests beside the InvokeModel bodies they become, and the answers read
//! back.

use hub_core::embeddings::EmbeddingsRequest;
use serde_json::{Value, json};

use super::*;

fn request(value: Value) -> EmbeddingsRequest {
    serde_json::from_value(value).unwrap()
}

fn bodies(model: &str, value: Value) -> Result<Vec<Value>, Error> {
    let family = Family::of(model)?;
    let calls = calls(family, &request(value))?;
    Ok(calls
        .iter()
        .map(|call| match call {
            Call::Titan(body) => serde_json::to_value(body).unwrap(),
            Call::Cohere(body) => serde_json::to_value(body).unwrap(),
        })
        .collect())
}

fn refused_param(model: &str, value: Value) -> String {
    match bodies(model, value) {
        Err(Error::InvalidRequest { param, .. }) => param.unwrap_or_default(),
        other => panic!("expected a 400, got {other:?}"),
    }
}

#[test]
fn titan_takes_one_input_per_call() {
    let openai = json!({"model": "e", "input": ["hello", "world"], "dimensions": 256,
                        "encoding_format": "base64", "user": "u"});
    assert_eq!(
        bodies("amazon.titan-embed-text-v2:0", openai).unwrap(),
        vec![
            json!({"inputText": "hello", "dimensions": 256}),
            json!({"inputText": "world", "dimensions": 256}),
        ]
    );
}

#[test]
fn cohere_takes_batches_of_96() {
    let texts: Vec<String> = (0..200).map(|n| format!("text {n}")).collect();
    let openai = json!({"model": "e", "input": texts, "input_type": "search_query"});
    let bodies = bodies("cohere.embed-english-v3", openai).unwrap();

    assert_eq!(bodies.len(), 3);
    assert_eq!(bodies[0]["texts"].as_array().unwrap().len(), 96);
    assert_eq!(bodies[2]["texts"].as_array().unwrap().len(), 8);
    assert_eq!(bodies[2]["texts"][7], "text 199");
    let mut keys: Vec<&String> = bodies[0].as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(keys, ["embedding_types", "input_type", "texts"]);
    assert_eq!(bodies[0]["input_type"], "search_query");
    assert_eq!(bodies[0]["embedding_types"], json!(["float"]));
}

#[test]
fn cohere_v4_takes_dimensions_as_output_dimension() {
    let openai = json!({"model": "e", "input": "hi", "dimensions": 512});
    assert_eq!(
        bodies("us.cohere.embed-v4:0", openai).unwrap(),
        vec![json!({"texts": ["hi"], "input_type": "search_document",
                    "embedding_types": ["float"], "output_dimension": 512})]
    );
}

#[test]
fn what_cannot_be_translated_is_refused_by_name() {
    let titan = "amazon.titan-embed-text-v2:0";
    assert_eq!(
        refused_param(titan, json!({"model": "e", "input": [1, 2, 3]})),
        "input"
    );
    assert_eq!(
        refused_param(titan, json!({"model": "e", "input": [""]})),
        "input"
    );
    assert_eq!(
        refused_param(
            titan,
            json!({"model": "e", "input": "x", "input_type": "q"})
        ),
        "input_type"
    );
    assert_eq!(
        refused_param(
            "amazon.titan-embed-text-v1",
            json!({"model": "e", "input": "x", "dimensions": 8})
        ),
        "dimensions"
    );
    assert_eq!(
        refused_param(
            "cohere.embed-multilingual-v3",
            json!({"model": "e", "input": "x", "dimensions": 8})
        ),
        "dimensions"
    );
    assert_eq!(
        refused_param("amazon.nova-lite-v1:0", json!({"model": "e", "input": "x"})),
        "model"
    );
}

#[test]
fn answers_are_read_in_order_with_their_tokens() {
    let titan = Call::Titan(TitanRequest {
        input_text: "a".to_owned(),
        dimensions: None,
    });
    let cohere = |texts: &[&str]| {
        Call::Cohere(CohereRequest {
            texts: texts.iter().map(|text| (*text).to_owned()).collect(),
            input_type: "search_document".to_owned(),
            truncate: None,
            embedding_types: ["float"],
            output_dimension: None,
        })
    };

    let first = read_answer(
        &titan,
        br#"{"embedding":[0.5,0.25],"inputTextTokenCount":3}"#,
        None,
    );
    let by_type =
        br#"{"id":"x","embeddings":{"float":[[1.0],[2.0]]},"response_type":"embeddings_by_type"}"#;
    let second = read_answer(&cohere(&["b", "c"]), by_type, Some(4));
    let plain = read_answer(&cohere(&["d"]), br#"{"embeddings":[[3.0]]}"#, None);

    let (data, usage) = collect(vec![first.unwrap(), second.unwrap(), plain.unwrap()]);
    let indices: Vec<u32> = data.iter().map(|item| item.index).collect();
    assert_eq!(indices, [0, 1, 2, 3]);
    assert_eq!(data[2].embedding, EmbeddingVector::Float(vec![2.0]));
    assert_eq!(usage.prompt_tokens, 7);
}

#[test]
fn an_answer_with_the_wrong_number_of_vectors_is_refused() {
    let call = Call::Titan(TitanRequest {
        input_text: "a".to_owned(),
        dimensions: None,
    });
    let answer = read_answer(&call, br#"{"embedding":[],"inputTextTokenCount":1}"#, None);
    assert!(answer.is_ok(), "an empty vector is still one vector");

    let call = Call::Cohere(CohereRequest {
        texts: vec!["a".to_owned(), "b".to_owned()],
        input_type: "search_document".to_owned(),
        truncate: None,
        embedding_types: ["float"],
        output_dimension: None,
    });
    let error = read_answer(&call, br#"{"embeddings":{"float":[[1.0]]}}"#, None).unwrap_err();
    assert_eq!(error, "1 vectors for 2 inputs");
}
