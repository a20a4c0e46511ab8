//! The content-filter annotations Azure adds to OpenAI's answers.
//!
//! A whole answer gains `prompt_filter_results` and, per choice, `content_filter_results`. A
//! stream opens with a chunk whose `choices` is empty and which carries only the prompt's
//! results, gives each content chunk its filter results, and sends an annotation-only choice
//! without a `delta` before each finish, as Azure's asynchronous filter does.

use serde_json::{Map, Value, json};

use crate::body::Rendered;

/// The filter results of a prompt; `violent` marks it as the filter would refuse it.
pub(super) fn prompt_results(violent: bool) -> Value {
    let violence = if violent {
        json!({"filtered": true, "severity": "medium"})
    } else {
        json!({"filtered": false, "severity": "safe"})
    };
    json!({
        "hate": {"filtered": false, "severity": "safe"},
        "jailbreak": {"filtered": false, "detected": false},
        "self_harm": {"filtered": false, "severity": "safe"},
        "sexual": {"filtered": false, "severity": "safe"},
        "violence": violence,
    })
}

fn completion_results() -> Value {
    json!({
        "hate": {"filtered": false, "severity": "safe"},
        "protected_material_code": {"filtered": false, "detected": false},
        "protected_material_text": {"filtered": false, "detected": false},
        "self_harm": {"filtered": false, "severity": "safe"},
        "sexual": {"filtered": false, "severity": "safe"},
        "violence": {"filtered": false, "severity": "safe"},
    })
}

fn prompt_filter_results() -> Value {
    json!([{"prompt_index": 0, "content_filter_results": prompt_results(false)}])
}

/// A chat answer as Azure annotates it.
pub(super) fn annotate_chat(rendered: Rendered) -> Rendered {
    match rendered {
        Rendered::Whole(mut body) => {
            annotate_whole(&mut body);
            Rendered::Whole(body)
        }
        Rendered::Events(chunks) => {
            let mut annotated = vec![prompt_filter_chunk()];
            for mut chunk in chunks {
                if let Some(offsets) = annotation_before_finish(&chunk) {
                    annotated.push(offsets);
                }
                annotate_choices(&mut chunk, has_content);
                annotated.push(chunk);
            }
            Rendered::Events(annotated)
        }
    }
}

/// A legacy completion as Azure annotates it: the prompt's results first.
pub(super) fn annotate_completion(rendered: Rendered) -> Rendered {
    match rendered {
        Rendered::Whole(mut body) => {
            annotate_whole(&mut body);
            Rendered::Whole(body)
        }
        Rendered::Events(chunks) => {
            let opening = std::iter::once(prompt_filter_chunk());
            Rendered::Events(opening.chain(chunks).collect())
        }
    }
}

fn annotate_whole(body: &mut Value) {
    annotate_choices(body, |_| true);
    if let Some(body) = body.as_object_mut() {
        body.insert("prompt_filter_results".to_owned(), prompt_filter_results());
    }
}

/// Adds completion filter results to each choice `wanted` picks.
fn annotate_choices(body: &mut Value, wanted: fn(&Map<String, Value>) -> bool) {
    let choices = body.get_mut("choices").and_then(Value::as_array_mut);
    for choice in choices.into_iter().flatten() {
        if let Some(choice) = choice.as_object_mut()
            && wanted(choice)
        {
            choice.insert("content_filter_results".to_owned(), completion_results());
        }
    }
}

fn has_content(choice: &Map<String, Value>) -> bool {
    choice
        .get("delta")
        .and_then(|delta| delta.get("content"))
        .and_then(Value::as_str)
        .is_some_and(|content| !content.is_empty())
}

/// The chunk Azure opens a stream with: no choices, no id, only the prompt's results.
fn prompt_filter_chunk() -> Value {
    json!({"choices": [], "created": 0, "id": "", "model": "", "object": "",
           "prompt_filter_results": prompt_filter_results()})
}

/// For a finish chunk, the annotation Azure sends just before it: the same envelope, and a
/// choice without `delta` holding only filter offsets and results.
fn annotation_before_finish(chunk: &Value) -> Option<Value> {
    let choice = chunk.get("choices")?.get(0)?;
    choice
        .get("finish_reason")
        .filter(|reason| !reason.is_null())?;

    let annotation = json!({
        "index": choice.get("index").cloned().unwrap_or(json!(0)),
        "finish_reason": null,
        "content_filter_offsets": {"check_offset": 0, "start_offset": 0, "end_offset": 1},
        "content_filter_results": completion_results(),
    });
    let mut chunk = chunk.clone();
    chunk["choices"] = json!([annotation]);
    Some(chunk)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(delta: Value, finish_reason: Value) -> Value {
        json!({"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m",
               "choices": [{"index": 0, "delta": delta, "logprobs": null,
                            "finish_reason": finish_reason}]})
    }

    #[test]
    fn a_stream_opens_with_the_prompt_results_and_annotates_before_finishing() {
        let chunks = vec![
            chunk(json!({"role": "assistant", "content": ""}), Value::Null),
            chunk(json!({"content": "Hi"}), Value::Null),
            chunk(json!({}), json!("stop")),
        ];

        let Rendered::Events(annotated) = annotate_chat(Rendered::Events(chunks)) else {
            panic!("a stream stays a stream");
        };

        assert_eq!(annotated.len(), 5);
        assert_eq!(annotated[0]["choices"], json!([]));
        assert!(annotated[0]["prompt_filter_results"].is_array());
        assert!(annotated[1]["choices"][0]["content_filter_results"].is_null());
        assert!(annotated[2]["choices"][0]["content_filter_results"].is_object());
        assert!(annotated[3]["choices"][0].get("delta").is_none());
        assert_eq!(annotated[4]["choices"][0]["finish_reason"], "stop");
    }

    #[test]
    fn a_whole_answer_carries_prompt_and_choice_results() {
        let body = json!({"choices": [{"index": 0, "message": {"content": "Hi"}}]});

        let Rendered::Whole(annotated) = annotate_chat(Rendered::Whole(body)) else {
            panic!("a whole answer stays whole");
        };

        assert!(annotated["prompt_filter_results"][0]["content_filter_results"].is_object());
        assert!(annotated["choices"][0]["content_filter_results"]["violence"].is_object());
    }
}
