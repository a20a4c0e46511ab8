//! Rejections, answered with OpenAI's error body `{"error":{"message","type","param","code"}}`.

use http::{Method, Response, StatusCode};
use serde::Serialize;

use crate::body::{self, MockBody};
use crate::server::{BodyError, MAX_BODY_BYTES};

const INVALID_REQUEST: &str = "invalid_request_error";

/// One rejection: the status and the four fields of OpenAI's `Error` object.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{status} {kind}: {message}")]
pub(crate) struct ApiError {
    status: StatusCode,
    kind: &'static str,
    message: String,
    param: Option<String>,
    code: Option<&'static str>,
}

#[derive(Serialize)]
struct Envelope<'a> {
    error: Detail<'a>,
}

#[derive(Serialize)]
struct Detail<'a> {
    message: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
    param: Option<&'a str>,
    code: Option<&'a str>,
}

impl ApiError {
    /// A `400 invalid_request_error` with no param and no code; refine with the `with_*` methods.
    pub(crate) fn invalid_request(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            kind: INVALID_REQUEST,
            message: message.into(),
            param: None,
            code: None,
        }
    }

    pub(crate) fn with_status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    pub(crate) fn with_param(mut self, param: impl Into<String>) -> Self {
        self.param = Some(param.into());
        self
    }

    pub(crate) fn with_code(mut self, code: &'static str) -> Self {
        self.code = Some(code);
        self
    }

    pub(crate) fn missing(param: &str) -> Self {
        Self::invalid_request(format!("Missing required parameter: '{param}'."))
            .with_param(param)
            .with_code("missing_required_parameter")
    }

    pub(crate) fn model_not_found(model: &str) -> Self {
        let message =
            format!("The model `{model}` does not exist or you do not have access to it.");
        Self::invalid_request(message)
            .with_status(StatusCode::NOT_FOUND)
            .with_param("model")
            .with_code("model_not_found")
    }

    pub(crate) fn unknown_url(method: &Method, path: &str) -> Self {
        Self::invalid_request(format!("Invalid URL ({method} {path})"))
            .with_status(StatusCode::NOT_FOUND)
    }

    /// The refusal of a body the server could not read.
    pub(crate) fn unreadable_body(error: BodyError) -> Self {
        match error {
            BodyError::TooLarge => {
                let message = format!("The request body exceeds {MAX_BODY_BYTES} bytes.");
                Self::invalid_request(message).with_status(StatusCode::PAYLOAD_TOO_LARGE)
            }
            // The client broke off mid-body; it will most likely never read this answer.
            BodyError::Unreadable => Self::invalid_request("The request body could not be read."),
        }
    }

    pub(crate) fn method_not_allowed(method: &Method, path: &str) -> Self {
        Self::invalid_request(format!("Method {method} is not allowed for {path}."))
            .with_status(StatusCode::METHOD_NOT_ALLOWED)
    }

    /// The field the rejection names, for unit tests that check which field was refused.
    #[cfg(test)]
    pub(crate) fn param(&self) -> Option<&str> {
        self.param.as_deref()
    }

    pub(crate) fn into_response(self) -> Response<MockBody> {
        let envelope = Envelope {
            error: Detail {
                message: &self.message,
                kind: self.kind,
                param: self.param.as_deref(),
                code: self.code,
            },
        };
        body::json(self.status, &envelope)
    }
}
