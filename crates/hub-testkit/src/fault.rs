//! What each [`Fault`] does to a request the mock has already read and recorded.

use bytes::Bytes;
use http::header::{HeaderValue, RETRY_AFTER};
use http::{Response, StatusCode};

use crate::body::{self, MockBody};
use crate::config::Fault;

/// A body that starts like a chat completion and breaks off, so it fails any JSON parser.
const NOT_JSON: &str = "{\"id\":\"chatcmpl-mock\",\"object\":\"chat.completion\",\"choices\":[";

/// How the server treats one request under the fault in force.
#[derive(Debug)]
pub(crate) enum Action {
    /// Send this response instead of the endpoint's.
    Answer(Response<MockBody>),
    /// Close the connection without answering.
    Reset,
    /// Never answer.
    Stall,
    /// Serve normally, cutting a streamed body after this many events when given.
    Serve { cut_after: Option<usize> },
}

pub(crate) fn action(fault: Option<Fault>) -> Action {
    match fault {
        None => Action::Serve { cut_after: None },
        Some(Fault::TruncateStream { after_chunks }) => Action::Serve {
            cut_after: Some(after_chunks),
        },
        Some(Fault::ResetBeforeResponse) => Action::Reset,
        Some(Fault::Stall) => Action::Stall,
        Some(Fault::InvalidJson) => Action::Answer(body::full(
            StatusCode::OK,
            "application/json",
            Bytes::from(NOT_JSON),
        )),
        Some(Fault::Status {
            status,
            body,
            retry_after,
        }) => Action::Answer(status_response(status, &body, retry_after)),
    }
}

fn status_response(
    status: u16,
    body: &serde_json::Value,
    retry_after: Option<u64>,
) -> Response<MockBody> {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = body::json(status, body);
    if let Some(seconds) = retry_after {
        response
            .headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}
