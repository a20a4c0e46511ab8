//! Rejections in Bedrock's rest-json shape: the status of the exception, a `{"message": ...}`
//! body, and the exception's name in `x-amzn-ErrorType`.

use bytes::Bytes;
use http::header::HeaderValue;
use http::{Response, StatusCode};

use crate::body::{self, MockBody};

/// One exception, as Bedrock Runtime (or AWS's front end, for auth) answers it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{status} {name}: {message}")]
pub(crate) struct AwsError {
    pub(crate) status: StatusCode,
    pub(crate) name: String,
    pub(crate) message: String,
}

impl AwsError {
    /// The exception `name` with the status Bedrock gives it (botocore's service model);
    /// a name outside the model is a 500.
    pub(crate) fn new(name: &str, message: impl Into<String>) -> Self {
        AwsError {
            status: status_of(name),
            name: name.to_owned(),
            message: message.into(),
        }
    }

    pub(crate) fn validation(message: impl Into<String>) -> Self {
        AwsError::new("ValidationException", message)
    }

    /// The response, without the request id the API adds to every answer.
    pub(crate) fn into_response(self) -> Response<MockBody> {
        let body = serde_json::json!({ "message": self.message }).to_string();
        let mut response = body::full(self.status, "application/json", Bytes::from(body));
        let kind = format!(
            "{}:http://internal.amazon.com/coral/com.amazon.bedrock/",
            self.name
        );
        if let Ok(kind) = HeaderValue::from_str(&kind) {
            response.headers_mut().insert("x-amzn-errortype", kind);
        }
        response
    }
}

/// The HTTP status of each exception Bedrock Runtime and AWS's request signing can raise.
pub(crate) fn status_of(name: &str) -> StatusCode {
    let status = match name {
        "ValidationException" | "ServiceQuotaExceededException" | "SerializationException" => 400,
        "AccessDeniedException"
        | "UnrecognizedClientException"
        | "InvalidSignatureException"
        | "IncompleteSignatureException"
        | "MissingAuthenticationTokenException" => 403,
        "ResourceNotFoundException" | "UnknownOperationException" => 404,
        "ModelTimeoutException" => 408,
        "UnsupportedMediaTypeException" => 415,
        "ModelErrorException" | "ModelStreamErrorException" => 424,
        "ThrottlingException" | "ModelNotReadyException" => 429,
        "ServiceUnavailableException" => 503,
        _ => 500,
    };
    StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}
