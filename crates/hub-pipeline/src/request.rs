//! Reading a client's request: content type, size limit and deadline, JSON into Hub's
//! types, and the checks and adjustments made before it enters a pipeline.

use std::pin::pin;
use std::sync::Arc;

use bytes::{Buf, Bytes, BytesMut};
use http::{HeaderMap, header};
use http_body::Body;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use hub_core::chat::{ChatCompletionRequest, StreamOptions};
use hub_core::completion::{CompletionRequest, Prompt};
use hub_core::embeddings::{EmbeddingsRequest, EncodingFormat};
use serde::de::DeserializeOwned;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::GatewayError;
use crate::limits::RequestLimits;
use crate::operation::{Operation, OperationRequest};
use crate::telemetry::metrics;

/// Reads a JSON body within the size limit and the time limit of `limits`, taking the
/// memory it holds from `budget`, the gateway's byte budget for bodies shared by every
/// request. The permit returned keeps those bytes taken; drop it when the request and what
/// was decoded from it are gone.
///
/// Nothing is allocated from the declared length: chunks are kept as they arrive, so a client
/// that announces a large body and sends little costs only what it sent, and only until the
/// deadline.
pub(crate) async fn read_body_within<B>(
    headers: &HeaderMap,
    body: B,
    limits: &RequestLimits,
    budget: &Arc<Semaphore>,
) -> Result<(Bytes, Option<OwnedSemaphorePermit>), GatewayError>
where
    B: Body,
    B::Error: std::error::Error + Send + Sync + 'static,
{
    let read = read_json_body(headers, body, limits.max_body_bytes, budget);
    tokio::time::timeout(limits.body_timeout, read)
        .await
        .map_err(|_| GatewayError::RequestTimeout {
            timeout_ms: limits.body_timeout.as_millis(),
        })?
}

/// Reads a JSON body of at most `limit` bytes, within `budget`.
async fn read_json_body<B>(
    headers: &HeaderMap,
    body: B,
    limit: u64,
    budget: &Arc<Semaphore>,
) -> Result<(Bytes, Option<OwnedSemaphorePermit>), GatewayError>
where
    B: Body,
    B::Error: std::error::Error + Send + Sync + 'static,
{
    if !is_json(headers) {
        return Err(GatewayError::UnsupportedMediaType);
    }
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit) {
        return Err(GatewayError::PayloadTooLarge { limit });
    }

    let limit_usize = usize::try_from(limit).unwrap_or(usize::MAX);
    let mut body = pin!(Limited::new(body, limit_usize));
    let mut chunks = Vec::new();
    let mut taken: Option<OwnedSemaphorePermit> = None;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|error| {
            if error.is::<LengthLimitError>() {
                GatewayError::PayloadTooLarge { limit }
            } else {
                GatewayError::BodyRead(error.to_string())
            }
        })?;
        let Ok(mut data) = frame.into_data() else {
            continue;
        };
        // Validation keeps the body limit, and so every chunk, within u32.
        let size =
            u32::try_from(data.remaining()).map_err(|_| GatewayError::PayloadTooLarge { limit })?;
        let more = Arc::clone(budget)
            .try_acquire_many_owned(size)
            .map_err(|_| {
                metrics::refused("max_buffered_body_bytes");
                GatewayError::BodiesOverBudget
            })?;
        match &mut taken {
            Some(permit) => permit.merge(more),
            None => taken = Some(more),
        }
        chunks.push(data.copy_to_bytes(data.remaining()));
    }
    Ok((concat(chunks), taken))
}

/// The chunks as one buffer; a body that came in one chunk is not copied.
fn concat(mut chunks: Vec<Bytes>) -> Bytes {
    if chunks.len() == 1 {
        return chunks.pop().unwrap_or_default();
    }
    let mut whole = BytesMut::with_capacity(chunks.iter().map(Bytes::len).sum());
    for chunk in &chunks {
        whole.extend_from_slice(chunk);
    }
    whole.freeze()
}

/// Decodes a request body, naming the missing or malformed field where serde can tell.
pub(crate) fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, GatewayError> {
    serde_json::from_slice(body).map_err(|error| {
        let message = error.to_string();
        let param = missing_field(&message).map(str::to_owned);
        let message = if error.is_syntax() || error.is_eof() {
            format!("We could not parse the JSON body of your request: {message}")
        } else {
            format!("Invalid request body: {message}")
        };
        GatewayError::BadRequest {
            message,
            param,
            code: None,
        }
    })
}

/// `application/json`, with or without parameters such as `charset`.
fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json"))
}

/// The field of serde's "missing field `model` at line 1 column 2".
fn missing_field(message: &str) -> Option<&str> {
    let rest = message.strip_prefix("missing field `")?;
    rest.split('`').next()
}

/// A decoded request, and what the answer must respect of the client's wishes.
pub(crate) struct Prepared {
    pub(crate) request: OperationRequest,
    pub(crate) client_wants_usage: bool,
    pub(crate) encoding: EncodingFormat,
}

pub(crate) fn prepare(
    operation: Operation,
    body: &[u8],
    limits: &RequestLimits,
) -> Result<Prepared, GatewayError> {
    match operation {
        Operation::Chat => {
            let mut request: ChatCompletionRequest = decode(body)?;
            check_chat(&request, limits)?;
            let client_wants_usage =
                ask_for_usage(request.is_stream(), &mut request.stream_options);
            Ok(Prepared {
                request: OperationRequest::Chat(request),
                client_wants_usage,
                encoding: EncodingFormat::Float,
            })
        }
        Operation::Completion => {
            let mut request: CompletionRequest = decode(body)?;
            require_model(&request.model)?;
            check_length(
                "prompt",
                prompt_items(&request.prompt),
                limits.max_input_items,
            )?;
            let client_wants_usage =
                ask_for_usage(request.is_stream(), &mut request.stream_options);
            Ok(Prepared {
                request: OperationRequest::Completion(request),
                client_wants_usage,
                encoding: EncodingFormat::Float,
            })
        }
        Operation::Embeddings => {
            let request: EmbeddingsRequest = decode(body)?;
            require_model(&request.model)?;
            check_length(
                "input",
                prompt_items(&request.input),
                limits.max_input_items,
            )?;
            Ok(Prepared {
                encoding: request.encoding_format.unwrap_or_default(),
                request: OperationRequest::Embeddings(request),
                client_wants_usage: false,
            })
        }
    }
}

fn check_chat(request: &ChatCompletionRequest, limits: &RequestLimits) -> Result<(), GatewayError> {
    require_model(&request.model)?;
    if request.messages.is_empty() {
        return Err(bad_param(
            "'messages' must contain at least one message.",
            "messages",
        ));
    }
    check_length("messages", request.messages.len(), limits.max_messages)
}

/// Each item of a list input is a unit of upstream work (an embedding, a completion), so its
/// length is bounded apart from the body's size.
fn check_length(param: &str, length: usize, max: usize) -> Result<(), GatewayError> {
    if length <= max {
        return Ok(());
    }
    Err(GatewayError::BadRequest {
        message: format!(
            "'{param}' holds {length} items; this gateway accepts at most {max} in one request."
        ),
        param: Some(param.to_owned()),
        code: Some("array_above_max_length"),
    })
}

/// How many inputs a prompt holds: a text or one token list is one.
fn prompt_items(prompt: &Prompt) -> usize {
    match prompt {
        Prompt::Text(_) | Prompt::Tokens(_) => 1,
        Prompt::Texts(texts) => texts.len(),
        Prompt::TokenLists(lists) => lists.len(),
    }
}

fn require_model(model: &str) -> Result<(), GatewayError> {
    if model.is_empty() {
        return Err(bad_param("'model' must not be empty.", "model"));
    }
    Ok(())
}

fn bad_param(message: &str, param: &str) -> GatewayError {
    GatewayError::BadRequest {
        message: message.to_owned(),
        param: Some(param.to_owned()),
        code: None,
    }
}

/// Streams always ask the upstream for usage, so tokens can be counted; returns whether
/// the client asked for it too.
fn ask_for_usage(stream: bool, options: &mut Option<StreamOptions>) -> bool {
    if !stream {
        return false;
    }
    let options = options.get_or_insert_with(StreamOptions::default);
    let client_wants_usage = options.include_usage == Some(true);
    options.include_usage = Some(true);
    client_wants_usage
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;
    use hub_core::chat::ChatCompletionRequest;

    use super::*;

    #[test]
    fn missing_fields_are_named_as_the_param() {
        let error = decode::<ChatCompletionRequest>(br#"{"model":"m"}"#).unwrap_err();
        let GatewayError::BadRequest { param, .. } = error else {
            panic!("{error:?}")
        };
        assert_eq!(param.as_deref(), Some("messages"));
    }

    #[test]
    fn json_content_types_may_carry_a_charset() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("Application/JSON; charset=utf-8"),
        );
        assert!(is_json(&headers));
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        assert!(!is_json(&headers));
    }
}
