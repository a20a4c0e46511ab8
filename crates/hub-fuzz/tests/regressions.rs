//! Inputs that once broke a target, each run through it again. A test is named for what
//! its input holds; the fix it checks is named in its comment.

fn run(target: &str, input: &[u8]) {
    let target = hub_fuzz::find(target).expect("a target of that name");
    (target.run)(input);
}

/// An integer too long for `u64` is read as a float; serde_json read such numbers to a
/// neighbouring float, so an unmodelled field reached the upstream changed. Fixed by
/// serde_json's `float_roundtrip`.
#[test]
fn completion_request_with_a_66_digit_integer_in_an_unknown_field() {
    let digits = "6".repeat(66);
    let body = format!(r#"{{"model":"m","prompt":"p","mabest_-ox_tokens":{digits}}}"#);
    run("completion_request", body.as_bytes());
}

/// The same, found inside a token list of an unknown field.
#[test]
fn embeddings_request_with_a_95_digit_integer_in_a_nested_array() {
    let digits = "1".repeat(95);
    let body = format!(r#"{{"model":"m","input":[[1,2]],"iorm5ut":[[{digits},2]]}}"#);
    run("embeddings_request", body.as_bytes());
}

/// Token counts near `u64::MAX`: adding the cached ones to the prompt's overflowed.
#[test]
fn anthropic_answer_with_a_token_count_near_u64_max() {
    let body = br#"{"id":"m","model":"c","content":[],"stop_reason":"end_turn",
        "usage":{"input_tokens":18446744073709551615,"output_tokens":1,
        "cache_read_input_tokens":1,"cache_creation_input_tokens":1}}"#;
    run("anthropic_answer", body);
}

/// The same in Converse's usage.
#[test]
fn bedrock_answer_with_a_token_count_near_u64_max() {
    let body = br#"{"output":{"message":{"role":"assistant","content":[]}},"stopReason":"end_turn",
        "usage":{"inputTokens":18446744073709551615,"outputTokens":1,"cacheReadInputTokens":1}}"#;
    run("bedrock_answer", body);
}

/// The same in Vertex's usage metadata, where thoughts are added to the candidates' count.
#[test]
fn vertexai_answer_with_a_token_count_near_u64_max() {
    let body = br#"{"candidates":[{"content":{"parts":[{"text":"a"}]},"finishReason":"STOP"}],
        "usageMetadata":{"promptTokenCount":1,"candidatesTokenCount":18446744073709551615,
        "thoughtsTokenCount":1}}"#;
    run("vertexai_answer", body);
}
