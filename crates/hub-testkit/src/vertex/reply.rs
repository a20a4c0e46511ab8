//! The deterministic "model" behind the generate methods, and its answers as Vertex writes
//! them: whole, or as the events of a stream.
//!
//! It follows the OpenAI emulator's rules: `Echo: <last user text>`; a function call when the
//! mode is `ANY`, or when it is `AUTO`, the user spoke last (not with function responses) and
//! mentioned "weather"; JSON built from the schema when JSON was asked for. Proto3 JSON leaves
//! out default values, so candidate 0 carries no `index`.

use serde_json::{Map, Value, json};

use super::generate::{Generate, Mode};
use crate::chat::{example_object, mentions_weather};
use crate::tokens::{self, Generated};

/// What every candidate of the reply says.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Answer {
    Text(Generated),
    Call {
        name: String,
        args: Map<String, Value>,
    },
}

impl Answer {
    fn finish_reason(&self) -> &'static str {
        match self {
            Answer::Text(generated) if generated.finish_reason == "length" => "MAX_TOKENS",
            // Gemini reports STOP when it calls a function, too.
            Answer::Text(_) | Answer::Call { .. } => "STOP",
        }
    }

    fn tokens(&self) -> usize {
        match self {
            Answer::Text(generated) => tokens::count(&generated.text),
            Answer::Call { args, .. } => {
                tokens::count(&Value::Object(args.clone()).to_string()).max(1)
            }
        }
    }
}

/// What names the reply: the model answering, and the response's id and time.
#[derive(Debug)]
pub(super) struct Envelope {
    pub(super) model: String,
    pub(super) response_id: String,
    pub(super) create_time: String,
}

pub(super) fn answer(request: &Generate<'_>) -> Answer {
    if let Some((name, parameters)) = chosen_function(request) {
        return Answer::Call {
            name: name.to_owned(),
            args: example_object(parameters),
        };
    }

    let echo = format!("Echo: {}", last_user_text(request));
    let full = match request.json {
        None => echo,
        Some(None) => json!({ "echo": echo }).to_string(),
        Some(Some(schema)) => Value::Object(example_object(Some(schema))).to_string(),
    };
    Answer::Text(tokens::generate(&full, &request.stop, request.max_tokens))
}

fn chosen_function<'r>(request: &'r Generate<'_>) -> Option<(&'r str, Option<&'r Value>)> {
    let declared = |name: &str| request.functions.iter().find(|(f, _)| *f == name).copied();
    match &request.mode {
        Mode::None => None,
        Mode::Any(allowed) => match allowed.first() {
            Some(name) => declared(name),
            None => request.functions.first().copied(),
        },
        Mode::Auto => {
            // After function responses the model answers in text, or a loop would never end.
            let user_spoke_last = request
                .turns
                .last()
                .is_some_and(|turn| turn.role == "user" && turn.responses == 0);
            let asks = user_spoke_last && mentions_weather(&last_user_text(request));
            asks.then(|| request.functions.first().copied()).flatten()
        }
    }
}

/// The text parts of the last user turn that has any, joined by spaces.
fn last_user_text(request: &Generate<'_>) -> String {
    request
        .turns
        .iter()
        .rev()
        .find(|turn| turn.role == "user" && !turn.texts.is_empty())
        .map(|turn| turn.texts.join(" "))
        .unwrap_or_default()
}

fn usage(request: &Generate<'_>, answer: &Answer) -> Value {
    let texts = request.turns.iter().flat_map(|turn| &turn.texts);
    let prompt: usize = texts
        .chain(&request.instructions)
        .map(|text| tokens::count(text))
        .sum();
    let candidates = answer.tokens() * request.candidates;
    json!({
        "promptTokenCount": prompt,
        "candidatesTokenCount": candidates,
        "totalTokenCount": prompt + candidates,
        "trafficType": "ON_DEMAND",
    })
}

fn parts(answer: &Answer, piece: Option<&str>) -> Value {
    match (answer, piece) {
        (Answer::Call { name, args }, _) => json!([{"functionCall": {"name": name, "args": args}}]),
        (Answer::Text(_), Some(piece)) => json!([{"text": piece}]),
        (Answer::Text(generated), None) => json!([{"text": generated.text}]),
    }
}

fn candidate(index: usize, parts: Value, finish_reason: Option<&str>) -> Value {
    let mut candidate = json!({"content": {"role": "model", "parts": parts}});
    if index > 0 {
        candidate["index"] = json!(index);
    }
    if let Some(reason) = finish_reason {
        candidate["finishReason"] = json!(reason);
        candidate["avgLogprobs"] = json!(-0.125);
    }
    candidate
}

fn response(envelope: &Envelope, candidates: Vec<Value>, usage: Option<Value>) -> Value {
    let mut response = json!({
        "candidates": candidates,
        "modelVersion": envelope.model,
        "createTime": envelope.create_time,
        "responseId": envelope.response_id,
    });
    if let Some(usage) = usage {
        response["usageMetadata"] = usage;
    }
    response
}

/// The `GenerateContentResponse` of `generateContent`.
pub(super) fn whole(request: &Generate<'_>, answer: &Answer, envelope: &Envelope) -> Value {
    let candidates = (0..request.candidates)
        .map(|index| candidate(index, parts(answer, None), Some(answer.finish_reason())))
        .collect();
    response(envelope, candidates, Some(usage(request, answer)))
}

/// The events of `streamGenerateContent`: text one word per event, a call in one event, and
/// the finish reason and usage on the last.
pub(super) fn events(request: &Generate<'_>, answer: &Answer, envelope: &Envelope) -> Vec<Value> {
    let pieces: Vec<Option<&str>> = match answer {
        Answer::Text(generated) => tokens::pieces(&generated.text)
            .into_iter()
            .map(Some)
            .collect(),
        Answer::Call { .. } => vec![None],
    };
    // An answer cut to nothing still ends with an event that says why.
    let pieces = if pieces.is_empty() {
        vec![Some("")]
    } else {
        pieces
    };

    let last = pieces.len() - 1;
    pieces
        .iter()
        .enumerate()
        .map(|(position, piece)| {
            let finish = (position == last).then(|| answer.finish_reason());
            let candidates = (0..request.candidates)
                .map(|index| candidate(index, parts(answer, *piece), finish))
                .collect();
            let usage = (position == last).then(|| usage(request, answer));
            response(envelope, candidates, usage)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vertex::generate::Turn;

    fn request<'a>(turns: Vec<Turn<'a>>, mode: Mode<'a>) -> Generate<'a> {
        Generate {
            turns,
            instructions: Vec::new(),
            functions: vec![("get_weather", None)],
            mode,
            candidates: 1,
            max_tokens: None,
            stop: Vec::new(),
            json: None,
        }
    }

    fn turn<'a>(role: &'a str, texts: Vec<&'a str>, responses: usize) -> Turn<'a> {
        Turn {
            role,
            texts,
            calls: 0,
            responses,
        }
    }

    #[test]
    fn the_weather_brings_a_call_unless_results_came_last() {
        let asks = request(vec![turn("user", vec!["Weather in Paris?"], 0)], Mode::Auto);
        assert!(matches!(answer(&asks), Answer::Call { .. }));

        let answered = request(
            vec![
                turn("user", vec!["Weather in Paris?"], 0),
                Turn {
                    calls: 1,
                    ..turn("model", Vec::new(), 0)
                },
                turn("user", vec!["thanks"], 1),
            ],
            Mode::Auto,
        );
        let Answer::Text(reply) = answer(&answered) else {
            panic!("a text answer after the results");
        };
        assert_eq!(reply.text, "Echo: thanks");
    }

    #[test]
    fn a_stream_ends_with_the_finish_reason_and_usage() {
        let asks = request(vec![turn("user", vec!["one two"], 0)], Mode::None);
        let envelope = Envelope {
            model: "gemini".to_owned(),
            response_id: "r".to_owned(),
            create_time: "t".to_owned(),
        };

        let events = events(&asks, &answer(&asks), &envelope);

        assert_eq!(events.len(), 3);
        assert!(events[0]["candidates"][0].get("finishReason").is_none());
        assert_eq!(events[2]["candidates"][0]["finishReason"], "STOP");
        assert_eq!(events[2]["usageMetadata"]["candidatesTokenCount"], 3);
    }
}
