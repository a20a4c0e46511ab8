//! `POST /v1/completions`, the legacy text endpoint: one choice per prompt and `n`.
//!
//! Each prompt is answered with `Echo: <prompt>`, cut by `stop` and by `max_tokens` (16 unless
//! set, as the API's default), with the prompt in front when `echo` is set.

use std::borrow::Cow;

use http::Response;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::body::{self, MockBody, Rendered};
use crate::config::MockConfig;
use crate::error::ApiError;
use crate::inputs::{self, TextInput};
use crate::models::{self, ModelKind};
use crate::server::Exchange;
use crate::tokens;
use crate::validate::{self, Fields};

const DEFAULT_MAX_TOKENS: usize = 16;

#[derive(Debug)]
struct CompletionRequest<'a> {
    model: &'a str,
    prompts: Vec<TextInput>,
    n: usize,
    max_tokens: usize,
    stop: Vec<&'a str>,
    echo: bool,
    stream: bool,
    include_usage: bool,
}

impl<'a> CompletionRequest<'a> {
    fn parse(body: &'a Map<String, Value>) -> Result<Self, ApiError> {
        let fields = Fields::root(body);
        let model = fields.require_string("model")?;
        let prompts = inputs::parse(fields.require("prompt")?, "prompt")?;

        validate::sampling(&fields)?;
        fields.integer("logprobs", 0, 5)?;
        fields.string("suffix")?;
        let n = fields.count("n", 1, 128)?.unwrap_or(1);
        best_of(&fields, n)?;
        let (stream, include_usage) = validate::streaming(&fields)?;

        Ok(Self {
            model,
            prompts,
            n,
            max_tokens: fields
                .count("max_tokens", 0, usize::MAX)?
                .unwrap_or(DEFAULT_MAX_TOKENS),
            stop: validate::stop(&fields)?,
            echo: fields.bool("echo")?.unwrap_or(false),
            stream,
            include_usage,
        })
    }
}

fn best_of(fields: &Fields<'_>, n: usize) -> Result<(), ApiError> {
    match fields.count("best_of", 0, 20)? {
        Some(best_of) if best_of < n => {
            let message = "best_of must be greater than or equal to n.";
            Err(ApiError::invalid_request(message).with_param("best_of"))
        }
        _ => Ok(()),
    }
}

/// One choice of the reply.
#[derive(Debug, Clone, PartialEq, Eq)]
struct TextChoice {
    /// The prompt when `echo` is set, otherwise empty.
    echoed: String,
    generated: tokens::Generated,
}

#[derive(Debug, Clone, Copy, Serialize)]
struct Usage {
    prompt_tokens: usize,
    completion_tokens: usize,
    total_tokens: usize,
}

#[derive(Serialize)]
struct Completion<'a> {
    id: &'a str,
    object: &'static str,
    created: u64,
    model: &'a str,
    choices: Vec<Choice<'a>>,
    /// Always present on the whole body; on stream chunks only when usage was asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    usage: Option<Option<Usage>>,
}

#[derive(Serialize)]
struct Choice<'a> {
    text: Cow<'a, str>,
    index: usize,
    logprobs: Option<()>,
    finish_reason: Option<&'static str>,
}

pub(crate) fn respond(
    config: &MockConfig,
    body: &Map<String, Value>,
    exchange: &Exchange,
) -> Result<Response<MockBody>, ApiError> {
    Ok(render(config, body, exchange)?.into_response(&exchange.stream))
}

/// The reply to a valid request, before it is framed.
pub(crate) fn render(
    config: &MockConfig,
    body: &Map<String, Value>,
    exchange: &Exchange,
) -> Result<Rendered, ApiError> {
    let request = CompletionRequest::parse(body)?;
    models::check(config, request.model, ModelKind::Completion)?;

    let choices = choices(&request);
    let prompt_tokens: usize = request.prompts.iter().map(|prompt| prompt.tokens).sum();
    let completion_tokens: usize = choices
        .iter()
        .map(|choice| tokens::count(&choice.generated.text))
        .sum();
    let usage = Usage {
        prompt_tokens,
        completion_tokens,
        total_tokens: prompt_tokens + completion_tokens,
    };
    let reply = Reply {
        id: format!("cmpl-mock{:06}", exchange.serial),
        created: exchange.created,
        model: models::snapshot(request.model),
        choices,
        usage,
    };

    if request.stream {
        Ok(Rendered::Events(reply.chunks(request.include_usage)))
    } else {
        Ok(Rendered::Whole(body::value(&reply.whole())))
    }
}

/// `n` choices per prompt, numbered prompt by prompt as the API does.
fn choices(request: &CompletionRequest<'_>) -> Vec<TextChoice> {
    request
        .prompts
        .iter()
        .flat_map(|prompt| {
            let full = format!("Echo: {}", prompt.text);
            let generated = tokens::generate(&full, &request.stop, Some(request.max_tokens));
            let echoed = if request.echo {
                prompt.text.clone()
            } else {
                String::new()
            };
            std::iter::repeat_n(TextChoice { echoed, generated }, request.n)
        })
        .collect()
}

#[derive(Debug)]
struct Reply {
    id: String,
    created: u64,
    model: String,
    choices: Vec<TextChoice>,
    usage: Usage,
}

impl Reply {
    fn body<'a>(
        &'a self,
        choices: Vec<Choice<'a>>,
        usage: Option<Option<Usage>>,
    ) -> Completion<'a> {
        Completion {
            id: &self.id,
            object: "text_completion",
            created: self.created,
            model: &self.model,
            choices,
            usage,
        }
    }

    fn whole(&self) -> Completion<'_> {
        let choices = self
            .choices
            .iter()
            .enumerate()
            .map(|(index, choice)| Choice {
                text: Cow::Owned(format!("{}{}", choice.echoed, choice.generated.text)),
                index,
                logprobs: None,
                finish_reason: Some(choice.generated.finish_reason),
            })
            .collect();
        self.body(choices, Some(Some(self.usage)))
    }

    /// Streamed chunks keep the `text_completion` object name and carry text deltas; each
    /// choice ends with an empty chunk holding its finish reason.
    fn chunks(&self, include_usage: bool) -> Vec<Value> {
        let usage = include_usage.then_some(None);
        let event = |index: usize, text: &str, finish_reason: Option<&'static str>| {
            let choice = Choice {
                text: Cow::Borrowed(text),
                index,
                logprobs: None,
                finish_reason,
            };
            body::value(&self.body(vec![choice], usage))
        };

        let mut events = Vec::new();
        for (index, choice) in self.choices.iter().enumerate() {
            if !choice.echoed.is_empty() {
                events.push(event(index, &choice.echoed, None));
            }
            for piece in tokens::pieces(&choice.generated.text) {
                events.push(event(index, piece, None));
            }
            events.push(event(index, "", Some(choice.generated.finish_reason)));
        }

        if include_usage {
            events.push(body::value(&self.body(Vec::new(), Some(Some(self.usage)))));
        }
        events
    }
}
