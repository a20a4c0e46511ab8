//! `application/vnd.amazon.eventstream` responses: frames written by AWS's
//! `aws-smithy-eventstream`, sent one by one with real time between them, and the exception
//! frame and endless prelude the faults send.

use aws_smithy_eventstream::frame::write_message_to;
use aws_smithy_types::event_stream::{Header, HeaderValue, Message};
use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::{Response, StatusCode};
use serde_json::Value;

use crate::body::{self, MockBody, StreamPlan};

/// Bedrock pads event payloads with a `p` member so their lengths reveal nothing; clients
/// must ignore members they do not know, so the emulator pads too.
const PADDING: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0";

/// One event frame: `:event-type`, `:content-type` and `:message-type` headers, a JSON payload.
pub(super) fn event(event_type: &str, mut payload: Value) -> Bytes {
    if let Some(members) = payload.as_object_mut() {
        members.insert("p".to_owned(), Value::from(&PADDING[..event_type.len()]));
    }
    let headers = vec![
        string_header(":event-type", event_type),
        string_header(":content-type", "application/json"),
        string_header(":message-type", "event"),
    ];
    encode(headers, payload.to_string())
}

/// One exception frame, such as `throttlingException`, with a `{"message": ...}` payload.
pub(super) fn exception(exception_type: &str, message: &str) -> Bytes {
    let headers = vec![
        string_header(":exception-type", exception_type),
        string_header(":content-type", "application/json"),
        string_header(":message-type", "exception"),
    ];
    encode(
        headers,
        serde_json::json!({ "message": message }).to_string(),
    )
}

fn string_header(name: &'static str, value: &str) -> Header {
    Header::new(name, HeaderValue::String(value.to_owned().into()))
}

fn encode(headers: Vec<Header>, payload: String) -> Bytes {
    let mut bytes = Vec::with_capacity(payload.len() + 128);
    write_message_to(&Message::new_from_parts(headers, payload), &mut bytes)
        .expect("the emulator's frames are far below the format's size limits");
    Bytes::from(bytes)
}

/// A `200` eventstream response of `frames`, sent as `plan` says.
pub(super) fn response(frames: Vec<Bytes>, plan: &StreamPlan) -> Response<MockBody> {
    let mut response = Response::new(body::paced_body(frames, plan));
    *response.status_mut() = StatusCode::OK;
    response.headers_mut().insert(
        CONTENT_TYPE,
        http::HeaderValue::from_static("application/vnd.amazon.eventstream"),
    );
    response
}

/// The prelude of a frame announcing 16 MiB with no headers: valid, and within the format's
/// limits, so only a decoder bounding frames below that refuses it at once.
pub(super) fn huge_prelude() -> Bytes {
    let mut prelude = Vec::with_capacity(12);
    prelude.extend_from_slice(&(16_u32 * 1024 * 1024).to_be_bytes());
    prelude.extend_from_slice(&0_u32.to_be_bytes());
    let crc = crc32fast::hash(&prelude);
    prelude.extend_from_slice(&crc.to_be_bytes());
    Bytes::from(prelude)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The frame botocore decoded (`vectors/eventstream.txt` in hub-providers), without the
    /// padding member the emulator adds.
    const BOTOCORE_FRAME: &str = concat!(
        "000000760000005296d5fade0b3a6576656e742d7479706507000c6d6573736167655374617274",
        "0d3a636f6e74656e742d747970650700106170706c69636174696f6e2f6a736f6e0d3a6d657373",
        "6167652d747970650700056576656e747b22726f6c65223a22617373697374616e74227d6fa8c599"
    );

    #[test]
    fn frames_are_encoded_as_botocore_reads_them() {
        let headers = vec![
            string_header(":event-type", "messageStart"),
            string_header(":content-type", "application/json"),
            string_header(":message-type", "event"),
        ];
        let frame = encode(headers, r#"{"role":"assistant"}"#.to_owned());
        let hex: String = frame.iter().map(|byte| format!("{byte:02x}")).collect();
        assert_eq!(hex, BOTOCORE_FRAME);
    }

    #[test]
    fn events_carry_padding() {
        let frame = event("messageStart", serde_json::json!({"role": "assistant"}));
        let text = String::from_utf8_lossy(&frame);
        assert!(text.contains(r#""p":"abcdefghijkl""#), "{text}");
    }
}
