//! For fuzzing only, not a stable API: the crate's readers of upstream bytes and its request
//! translations, each fed data held in memory instead of a connection.
//!
//! Each function runs the same code an adapter runs on a live answer: the body arrives as
//! `pieces`, one body chunk each, so a fuzzer can also choose where the chunk boundaries fall.
//! `crates/hub-fuzz` is the only user.

use std::convert::Infallible;
use std::sync::OnceLock;
use std::time::Duration;

use aws_smithy_types::event_stream::Message;
use bytes::Bytes;
use futures_util::StreamExt;
use http::{HeaderMap, StatusCode};
use http_body_util::StreamBody;
use hub_core::chat::{ChatCompletion, ChatCompletionChunk, ChatCompletionRequest};
use hub_core::completion::Completion;
use hub_core::config::{GeneralConfig, ModelConfig};
use hub_core::embeddings::{EmbeddingsRequest, EmbeddingsResponse};
use hub_core::{ChatStream, Error};
use hyper::body::Frame;
use sse_stream::Sse;

pub use hub_core::config::ProviderType;

use crate::openai_wire::{self, OpenAiWire};
use crate::redact::Redactor;
use crate::upstream::Upstream;
use crate::{ClientSettings, HttpClient, UpstreamLimits, anthropic, azure, bedrock, vertex};

/// The most items a stream function collects: a decoder that yields more from the small
/// inputs a fuzzer makes has a bug of its own, and is cut off rather than left to fill memory.
pub const MAX_ITEMS: usize = 100_000;

/// The idle timeout of every stream; no body held in memory ever waits on it. The other
/// limits are the gateway's defaults.
const IDLE_TIMEOUT: Duration = Duration::from_secs(600);

/// The `created` stamp of every translated answer, so that two runs compare equal.
const CREATED: u64 = 1_700_000_000;

/// Bedrock's embeddings models of each family.
const TITAN: &str = "amazon.titan-embed-text-v2:0";
const COHERE: &str = "cohere.embed-english-v3";

/// The model every translation is for.
const MODEL: &str = "fuzz-model";

type MemoryBody =
    StreamBody<futures_util::stream::Iter<std::vec::IntoIter<Result<Frame<Bytes>, Infallible>>>>;

/// A body that delivers `pieces` as its chunks, in order, each at once.
fn body(pieces: &[&[u8]]) -> MemoryBody {
    let frames: Vec<_> = pieces
        .iter()
        .map(|piece| Ok(Frame::data(Bytes::copy_from_slice(piece))))
        .collect();
    StreamBody::new(futures_util::stream::iter(frames))
}

/// Runs `future` to its end on this thread's runtime.
fn block_on<F: Future>(future: F) -> F::Output {
    thread_local! {
        static RUNTIME: tokio::runtime::Runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("a current-thread runtime with a timer builds without I/O resources");
    }
    RUNTIME.with(|runtime| runtime.block_on(future))
}

/// An upstream named `fuzz`. Nothing is ever sent through its client.
fn upstream() -> Upstream {
    static CLIENT: OnceLock<HttpClient> = OnceLock::new();
    let client = CLIENT.get_or_init(|| {
        let settings = ClientSettings {
            connect_timeout: Duration::from_secs(1),
            limits: UpstreamLimits::from_config(&GeneralConfig::default()),
        };
        HttpClient::new(&settings).expect("the built-in TLS configuration is valid")
    });
    Upstream {
        provider: "fuzz".to_owned(),
        client: client.clone(),
        timeout: IDLE_TIMEOUT,
        redactor: Redactor::default(),
    }
}

fn model() -> ModelConfig {
    ModelConfig {
        key: MODEL.to_owned(),
        model_type: MODEL.to_owned(),
        provider: "fuzz".to_owned(),
        timeout_ms: None,
        first_byte_timeout_ms: None,
        params: [("deployment".to_owned(), MODEL.into())].into(),
    }
}

/// The server-sent events of a body, as the adapters' decoder reads them.
pub fn sse_events(pieces: &[&[u8]]) -> Vec<Result<Sse, String>> {
    let body = body(pieces);
    let upstream = upstream();
    block_on(async move {
        let events = upstream.events(body);
        let items = events.map(|event| event.map_err(|error| error.to_string()));
        items.take(MAX_ITEMS).collect().await
    })
}

/// The eventstream messages of a body, as Bedrock's decoder reads them; a message whose
/// headers do not make a frame Hub knows is an error item.
pub fn eventstream_messages(pieces: &[&[u8]]) -> Vec<Result<Message, String>> {
    let body = body(pieces);
    let upstream = upstream();
    block_on(async move {
        let frames = bedrock::FrameStream::new(body, upstream.stream_limits());
        let items = frames.map(|message| {
            let message = message.map_err(|error| error.to_string())?;
            bedrock::Frame::read(message.clone()).map_err(|error| error.to_string())?;
            Ok(message)
        });
        items.take(MAX_ITEMS).collect().await
    })
}

/// A provider's whole chat answer, `body`, as OpenAI's chat completion.
pub fn chat_answer(provider: ProviderType, body: &[u8]) -> Result<ChatCompletion, Error> {
    let upstream = upstream();
    match provider {
        ProviderType::OpenAi | ProviderType::Azure => openai_format(provider)?.decode(body),
        ProviderType::Anthropic => anthropic::answer(&upstream, body, CREATED),
        ProviderType::VertexAi => vertex::answer(&upstream, body, MODEL, CREATED),
        ProviderType::Bedrock => bedrock::answer(&upstream, &HeaderMap::new(), &model(), body),
    }
}

/// A provider's streamed chat answer, delivered in `pieces`, as OpenAI's chunks.
pub fn chat_stream(
    provider: ProviderType,
    pieces: &[&[u8]],
) -> Vec<Result<ChatCompletionChunk, Error>> {
    let upstream = upstream();
    let body = body(pieces);
    block_on(async move {
        let chunks = match provider {
            ProviderType::OpenAi => {
                let events = upstream.events(body);
                Ok(openai_wire::chunks(upstream, events))
            }
            ProviderType::Azure => {
                let events = upstream.events(body);
                Ok(azure::chat_chunks(openai_wire::chunks(upstream, events)))
            }
            ProviderType::Anthropic => {
                let translator = anthropic::Translator::new(&upstream.provider, CREATED, true);
                Ok(anthropic::chunks(&upstream, body, translator))
            }
            ProviderType::VertexAi => Ok(vertex::chat_chunks(
                upstream,
                body,
                MODEL.to_owned(),
                CREATED,
                true,
            )),
            ProviderType::Bedrock => {
                bedrock::chat_chunks(upstream, &HeaderMap::new(), &model(), body, true).await
            }
        };
        let chunks: ChatStream = match chunks {
            Ok(chunks) => chunks,
            Err(error) => return vec![Err(error)],
        };
        chunks.take(MAX_ITEMS).collect().await
    })
}

/// A provider's whole legacy completion answer, `body`, as OpenAI's; only the OpenAI-format
/// providers serve legacy completions.
pub fn completion_answer(provider: ProviderType, body: &[u8]) -> Result<Completion, Error> {
    openai_format(provider)?.decode(body)
}

/// A provider's streamed legacy completion answer, delivered in `pieces`, as OpenAI's chunks.
pub fn completion_stream(
    provider: ProviderType,
    pieces: &[&[u8]],
) -> Vec<Result<Completion, Error>> {
    let wire = match openai_format(provider) {
        Ok(wire) => wire,
        Err(error) => return vec![Err(error)],
    };
    let body = body(pieces);
    block_on(async move {
        let events = wire.upstream.events(body);
        let chunks = openai_wire::chunks(wire.upstream.clone(), events);
        let chunks = match provider {
            ProviderType::Azure => azure::completion_chunks(chunks),
            _ => chunks,
        };
        chunks.take(MAX_ITEMS).collect().await
    })
}

/// A provider's embeddings answer, `body`, as OpenAI's. Bedrock's is the answer of one call
/// for one text, read as Titan Text Embeddings v2's, else as Cohere Embed's.
pub fn embeddings_answer(provider: ProviderType, body: &[u8]) -> Result<EmbeddingsResponse, Error> {
    let upstream = upstream();
    match provider {
        ProviderType::OpenAi | ProviderType::Azure => openai_format(provider)?.decode(body),
        ProviderType::VertexAi => vertex::embeddings_answer(&upstream, body, MODEL),
        ProviderType::Bedrock => bedrock::embeddings_answer(&upstream, TITAN, body, None)
            .or_else(|_| bedrock::embeddings_answer(&upstream, COHERE, body, Some(3))),
        ProviderType::Anthropic => Err(Error::invalid_request("Anthropic serves no embeddings")),
    }
}

/// The wire of a provider that speaks OpenAI's format.
fn openai_format(provider: ProviderType) -> Result<OpenAiWire, Error> {
    let errors = match provider {
        ProviderType::OpenAi => openai_wire::error_body,
        ProviderType::Azure => azure::ERROR_PARSER,
        _ => return Err(Error::invalid_request("not an OpenAI-format provider")),
    };
    Ok(OpenAiWire::new(upstream(), HeaderMap::new(), errors))
}

/// A provider's error answer with `status` and `body`, as Hub's error.
pub fn error_answer(provider: ProviderType, status: StatusCode, body: &[u8]) -> Error {
    let upstream = upstream();
    match provider {
        ProviderType::OpenAi => upstream.status_error(status, None, body, openai_wire::error_body),
        ProviderType::Azure => upstream.status_error(status, None, body, azure::ERROR_PARSER),
        ProviderType::VertexAi => upstream.status_error(status, None, body, vertex::error_body),
        ProviderType::Anthropic => anthropic::status_error(&upstream.provider, status, None, body),
        ProviderType::Bedrock => {
            bedrock::status_error(&upstream.provider, status, &HeaderMap::new(), body)
        }
    }
}

/// The JSON bodies a provider is sent for a client's embeddings `request`: Bedrock's for
/// Titan Text Embeddings v2, then for Cohere Embed.
pub fn embeddings_request(
    provider: ProviderType,
    request: &EmbeddingsRequest,
) -> Result<Vec<Vec<u8>>, Error> {
    match provider {
        ProviderType::OpenAi | ProviderType::Azure => Ok(vec![encode(request)?]),
        ProviderType::VertexAi => Ok(vec![encode(&vertex::predict_request(request)?)?]),
        ProviderType::Bedrock => {
            // Both families translate, even when the first refuses the request.
            let titan = bedrock::embeddings_bodies(TITAN, request);
            let cohere = bedrock::embeddings_bodies(COHERE, request);
            Ok([titan?, cohere?].concat())
        }
        ProviderType::Anthropic => Err(Error::invalid_request("Anthropic serves no embeddings")),
    }
}

/// The JSON body a provider is sent for a client's chat `request`.
pub fn chat_request(
    provider: ProviderType,
    request: ChatCompletionRequest,
) -> Result<Vec<u8>, Error> {
    match provider {
        ProviderType::OpenAi => encode(&request),
        ProviderType::Azure => encode(&azure::chat_request(&model(), request)),
        ProviderType::Anthropic => {
            let settings = anthropic::Settings {
                default_max_tokens: 4096,
            };
            encode(&anthropic::translate(request, MODEL, settings)?)
        }
        ProviderType::VertexAi => encode(&vertex::chat_request(&request)?),
        ProviderType::Bedrock => bedrock::converse_body(&request),
    }
}

fn encode(body: &impl serde::Serialize) -> Result<Vec<u8>, Error> {
    serde_json::to_vec(body).map_err(|error| Error::Internal(format!("cannot encode: {error}")))
}
