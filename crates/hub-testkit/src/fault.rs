//! What each [`Fault`] does to a request the mock has already read and recorded.

use std::time::Duration;

use bytes::Bytes;
use http::header::{HeaderValue, RETRY_AFTER};
use http::{Response, StatusCode};

use crate::body::{self, MockBody, StreamFault};
use crate::config::Fault;

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
    Serve { stream: Option<StreamFault> },
}

/// What `fault` makes of a request; `delay` paces the bodies a fault produces.
pub(crate) fn action(fault: Option<Fault>, delay: Duration) -> Action {
    let serve = |fault| Action::Serve {
        stream: Some(fault),
    };
    match fault {
        None => Action::Serve { stream: None },
        Some(Fault::TruncateStream { after_chunks }) => serve(StreamFault::Cut {
            after: after_chunks,
        }),
        Some(Fault::CutMidEvent { after_events }) => serve(StreamFault::CutMidEvent {
            after: after_events,
        }),
        Some(Fault::StallStream { after_events }) => serve(StreamFault::Stall {
            after: after_events,
        }),
        Some(Fault::EndlessStream) => serve(StreamFault::Endless),
        Some(Fault::EndlessLine) => serve(StreamFault::EndlessEvent {
            head: Bytes::from_static(b"data: {\"endless\":\""),
        }),
        Some(Fault::ResetBeforeResponse) => Action::Reset,
        Some(Fault::Stall) => Action::Stall,
        Some(Fault::InvalidJson) => Action::Answer(body::full(
            StatusCode::OK,
            "application/json",
            Bytes::from(NOT_JSON),
        )),
        Some(Fault::NotJson { status }) => Action::Answer(html_page(status)),
        Some(Fault::Oversized { bytes }) => Action::Answer(body::oversized(bytes, delay)),
        Some(Fault::Status {
            status,
            body,
            retry_after,
        }) => Action::Answer(status_response(status, &body, retry_after)),
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
