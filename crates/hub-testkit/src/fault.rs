//! What a fault does to a request the mock has already read and recorded: the shared
//! [`Fault`], and the [`Misbehaviour`] an API's own fault type implements.

use std::convert::Infallible;
use std::fmt;

use bytes::Bytes;
use http::header::{HeaderValue, RETRY_AFTER};
use http::{Response, StatusCode};

use crate::body::{self, MockBody, StreamFault};
use crate::config::Fault;
use crate::server::Exchange;

/// A body that starts like a chat completion and breaks off, so it fails any JSON parser.
const NOT_JSON: &str = "{\"id\":\"chatcmpl-mock\",\"object\":\"chat.completion\",\"choices\":[";

/// What a load balancer in front of an API sends when the API behind it fails.
const HTML_PAGE: &str =
    "<html><head><title>502 Bad Gateway</title></head><body>Bad Gateway</body></html>";

/// How the server treats one request under the fault in force.
#[derive(Debug)]
pub(crate) enum Action {
    /// Send this response instead of the endpoint's.
    Answer(Response<MockBody>),
    /// Close the connection without answering.
    Reset,
    /// Never answer.
    Stall,
    /// Serve normally, a streamed body misbehaving as given.
    Stream(StreamFault),
}

/// A fault a test can inject into an emulator: what it makes of each request it strikes.
pub(crate) trait Misbehaviour: Clone + Send + fmt::Debug + 'static {
    /// What this fault makes of a request that would be answered in `exchange`.
    fn action(self, exchange: &Exchange) -> Action;
}

impl Misbehaviour for Fault {
    fn action(self, exchange: &Exchange) -> Action {
        let delay = exchange.stream.chunk_delay;
        match self {
            Fault::TruncateStream { after_chunks } => Action::Stream(StreamFault::Cut {
                after: after_chunks,
            }),
            Fault::CutMidEvent { after_events } => Action::Stream(StreamFault::CutMidEvent {
                after: after_events,
            }),
            Fault::StallStream { after_events } => Action::Stream(StreamFault::Stall {
                after: after_events,
            }),
            Fault::EndlessStream => Action::Stream(StreamFault::Endless),
            Fault::EndlessLine => Action::Stream(StreamFault::EndlessEvent {
                head: Bytes::from_static(b"data: {\"endless\":\""),
            }),
            Fault::ResetBeforeResponse => Action::Reset,
            Fault::Stall => Action::Stall,
            Fault::InvalidJson => Action::Answer(body::full(
                StatusCode::OK,
                "application/json",
                Bytes::from(NOT_JSON),
            )),
            Fault::NotJson { status } => Action::Answer(html_page(status)),
            Fault::Oversized { bytes } => Action::Answer(body::oversized(bytes, delay)),
            Fault::Status {
                status,
                body,
                retry_after,
            } => Action::Answer(status_response(status, &body, retry_after)),
        }
    }
}

/// An emulator that takes no faults at all.
impl Misbehaviour for Infallible {
    fn action(self, _: &Exchange) -> Action {
        match self {}
    }
}

/// An HTML error page with `status`, as a proxy in front of an API sends.
pub(crate) fn html_page(status: u16) -> Response<MockBody> {
    body::full(status_code(status), "text/html", Bytes::from(HTML_PAGE))
}

fn status_code(status: u16) -> StatusCode {
    StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

fn status_response(
    status: u16,
    body: &serde_json::Value,
    retry_after: Option<u64>,
) -> Response<MockBody> {
    let mut response = body::json(status_code(status), body);
    if let Some(seconds) = retry_after {
        response
            .headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}
