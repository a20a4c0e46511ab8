//! The checks a `GenerateContentRequest` must pass, each with Vertex's reason.

use serde_json::json;

use super::*;

fn parse(body: Value) -> Result<(), String> {
    let body = body.as_object().expect("test bodies are objects");
    Generate::parse(body)
        .map(|_| ())
        .map_err(|error| error.message().to_owned())
}

fn user(text: &str) -> Value {
    json!({"role": "user", "parts": [{"text": text}]})
}

#[test]
fn a_conversation_with_a_function_round_trip_passes() {
    let body = json!({
        "contents": [
            user("Weather in Paris?"),
            {"role": "model", "parts": [{"functionCall": {"name": "get_weather",
                                                          "args": {"city": "Paris"}}}]},
            {"role": "user", "parts": [
                {"functionResponse": {"name": "get_weather", "response": {"result": "rain"}}},
                {"text": "thanks"}]}
        ],
        "systemInstruction": {"parts": [{"text": "Be terse."}]},
        "tools": [{"functionDeclarations": [{"name": "get_weather",
            "parameters": {"type": "OBJECT", "properties": {"city": {"type": "STRING"}},
                           "required": ["city"]}}]}],
        "toolConfig": {"functionCallingConfig": {"mode": "ANY",
                                                 "allowedFunctionNames": ["get_weather"]}},
        "generationConfig": {"temperature": 0.2, "candidateCount": 2, "maxOutputTokens": 10,
                             "stopSequences": ["END"], "seed": 42,
                             "responseMimeType": "application/json",
                             "responseSchema": {"type": "OBJECT"}}
    });

    assert_eq!(parse(body), Ok(()));
}

#[test]
fn each_rule_has_its_reason() {
    let call = json!({"role": "model", "parts": [{"functionCall": {"name": "f"}}]});
    let answer = json!({"role": "user", "parts": [{"functionResponse": {"name": "f",
                                                                        "response": {}}}]});
    let cases = [
        (json!({}), "contents must hold at least one item."),
        (
            json!({"contents": [{"role": "assistant", "parts": [{"text": "x"}]}]}),
            "Please use a valid role: user, model.",
        ),
        (
            json!({"contents": [{"role": "user", "parts": [{"text": "x", "fileData": {}}]}]}),
            "contents[0].parts[0].data: a part must hold exactly one of text, inlineData, \
             fileData, functionCall or functionResponse.",
        ),
        (
            json!({"contents": [user("x"), answer.clone()]}),
            "Please ensure that function response turn comes immediately after a function call \
             turn.",
        ),
        (
            json!({"contents": [user("x"), call.clone(),
                   {"role": "user", "parts": [
                       {"functionResponse": {"name": "f", "response": {}}},
                       {"functionResponse": {"name": "f", "response": {}}}]}]}),
            "Please ensure that the number of function response parts is equal to the number \
             of function call parts of the function call turn.",
        ),
        (
            json!({"contents": [{"role": "user", "parts": [{"functionCall": {"name": "f"}}]}]}),
            "contents[0].parts[0].functionCall: a functionCall part is not allowed in a user \
             turn.",
        ),
        (
            json!({"contents": [user("x")], "generation_config": {}}),
            "Invalid JSON payload received. Unknown name \"generation_config\": Cannot find \
             field.",
        ),
        (
            json!({"contents": [user("x")], "generationConfig": {"temperature": 2.5}}),
            "Invalid value at 'generationConfig.temperature': 2.5 is out of range [0, 2]",
        ),
        (
            json!({"contents": [user("x")],
                   "tools": [{"functionDeclarations": [{"name": "f"}]}],
                   "toolConfig": {"functionCallingConfig": {"mode": "AUTO",
                                                            "allowedFunctionNames": ["f"]}}}),
            "allowed_function_names should only be set when the Mode is ANY.",
        ),
        (
            json!({"contents": [user("x")], "generationConfig": {"responseSchema": {}}}),
            "response_mime_type must be application/json or text/x.enum when response_schema \
             is set.",
        ),
        (
            json!({"contents": [{"parts": [{"inlineData": {"mimeType": "image/png",
                                                           "data": "not base64!"}}]}]}),
            "Invalid value at 'contents[0].parts[0].inlineData.data': invalid base64 data",
        ),
    ];

    for (body, reason) in cases {
        assert_eq!(parse(body.clone()), Err(reason.to_owned()), "{body}");
    }
}

#[test]
fn the_request_is_reduced_to_what_the_reply_needs() {
    let body = json!({
        "contents": [user("hello there")],
        "tools": [{"functionDeclarations": [{"name": "f"}, {"name": "g"}]}],
        "toolConfig": {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["g"]}},
        "generationConfig": {"candidateCount": 3, "responseMimeType": "application/json"}
    });
    let body = body.as_object().unwrap();

    let request = Generate::parse(body).unwrap();

    assert_eq!(request.turns[0].texts, ["hello there"]);
    assert_eq!(request.mode, Mode::Any(vec!["g"]));
    assert_eq!(request.candidates, 3);
    assert_eq!(request.json, Some(None));
}
