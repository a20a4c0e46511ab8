//! Errors of the management API, and the one place any of them becomes a response: a
//! status and a JSON body that names the field concerned.
//!
//! ```json
//! {"error": {"code": "validation_failed", "message": "config.base_url: must be ...",
//!            "field": "config.base_url",
//!            "faults": [{"field": "config.base_url", "message": "must be ..."}]}}
//! ```

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode, header};
use http_body_util::Full;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::db::DatabaseError;
use crate::fault::Fault;
use crate::service::{Condition, ServiceError};

/// Why a request to the management API was refused.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    Unauthorized(&'static str),
    #[error("{0}")]
    NotFound(String),
    #[error("method not allowed; use {allow}")]
    MethodNotAllowed { allow: String },
    #[error("the body is larger than the limit of {limit} bytes")]
    PayloadTooLarge { limit: usize },
    /// Not JSON at all; a body of the wrong shape is `Unprocessable`.
    #[error("the body is not valid JSON: {0}")]
    MalformedJson(String),
    /// A query parameter or header that cannot be read.
    #[error("{field}: {message}")]
    BadRequest { field: String, message: String },
    #[error("{}", first_line(faults))]
    Unprocessable { faults: Vec<Fault> },
    #[error("{}", first_line(faults))]
    Conflict { faults: Vec<Fault> },
    /// `If-Match` names a version other than the stored one.
    #[error("{0}")]
    PreconditionFailed(String),
    #[error("the configuration database is unavailable")]
    Unavailable,
    #[error("internal error")]
    Internal,
}

fn first_line(faults: &[Fault]) -> String {
    match faults {
        [] => "refused".to_owned(),
        [only] => only.to_string(),
        [first, rest @ ..] => format!("{first} (and {} more)", rest.len()),
    }
}

impl From<ServiceError> for ApiError {
    fn from(error: ServiceError) -> Self {
        match error {
            ServiceError::NotFound { .. } => ApiError::NotFound(error.to_string()),
            ServiceError::Invalid { faults } => ApiError::Unprocessable { faults },
            ServiceError::Conflict { faults } => ApiError::Conflict { faults },
            ServiceError::Stale {
                failed: Condition::IfMatch,
                ..
            } => ApiError::PreconditionFailed(error.to_string()),
            ServiceError::Stale {
                failed: Condition::Version,
                ..
            } => ApiError::Conflict {
                faults: vec![Fault::field("version", error.to_string())],
            },
            ServiceError::Database(DatabaseError::Unreachable(reason)) => {
                tracing::warn!(error = %reason, "configuration database unreachable");
                ApiError::Unavailable
            }
            ServiceError::Database(error) => {
                tracing::error!(%error, "configuration database error");
                ApiError::Internal
            }
            ServiceError::Cipher(error) => {
                tracing::error!(%error, "cannot seal a secret value");
                ApiError::Internal
            }
            ServiceError::Random => {
                tracing::error!(%error, "cannot draw an API key");
                ApiError::Internal
            }
        }
    }
}

/// The body of every refusal.
#[derive(Serialize, ToSchema)]
#[schema(as = ManagementError)]
pub(crate) struct ErrorBody<'a> {
    error: ErrorDetail<'a>,
}

#[derive(Serialize, ToSchema)]
#[schema(as = ManagementErrorDetail)]
pub(crate) struct ErrorDetail<'a> {
    /// What kind of refusal: `unauthorized`, `not_found`, `validation_failed`, `conflict`,
    /// `version_mismatch`, ...
    code: &'static str,
    message: String,
    /// The field of the request concerned, when there is one.
    field: Option<&'a str>,
    faults: Vec<FaultBody<'a>>,
}

/// One thing wrong with the request.
#[derive(Serialize, ToSchema)]
#[schema(as = ManagementFault)]
struct FaultBody<'a> {
    field: &'a str,
    message: &'a str,
    /// Another resource, which the request would break or clash with.
    #[serde(skip_serializing_if = "Option::is_none")]
    resource: Option<ResourceBody<'a>>,
}

/// A resource a fault concerns.
#[derive(Serialize, ToSchema)]
#[schema(as = ManagementFaultResource)]
struct ResourceBody<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    id: Uuid,
    name: &'a str,
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::MalformedJson(_) | ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            ApiError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            ApiError::Unauthorized(_) => "unauthorized",
            ApiError::NotFound(_) => "not_found",
            ApiError::MethodNotAllowed { .. } => "method_not_allowed",
            ApiError::PayloadTooLarge { .. } => "request_too_large",
            ApiError::MalformedJson(_) => "invalid_json",
            ApiError::BadRequest { .. } => "bad_request",
            ApiError::Unprocessable { .. } => "validation_failed",
            ApiError::Conflict { .. } => "conflict",
            ApiError::PreconditionFailed(_) => "version_mismatch",
            ApiError::Unavailable => "database_unavailable",
            ApiError::Internal => "internal_error",
        }
    }

    fn faults(&self) -> &[Fault] {
        match self {
            ApiError::Unprocessable { faults } | ApiError::Conflict { faults } => faults,
            _ => &[],
        }
    }

    /// The request's own field this error is about: the first fault's that concerns the
    /// resource written, or the parameter, header or body.
    fn field(&self) -> Option<&str> {
        match self {
            ApiError::BadRequest { field, .. } => Some(field),
            ApiError::Unauthorized(_) => Some("Authorization"),
            ApiError::MalformedJson(_) | ApiError::PayloadTooLarge { .. } => Some("body"),
            _ => self
                .faults()
                .iter()
                .find(|fault| fault.resource.is_none() && !fault.field.is_empty())
                .map(|fault| fault.field.as_str()),
        }
    }

    pub fn into_response(self) -> Response<Full<Bytes>> {
        let faults = self
            .faults()
            .iter()
            .map(|fault| FaultBody {
                field: &fault.field,
                message: &fault.message,
                resource: fault.resource.as_ref().map(|resource| ResourceBody {
                    kind: resource.kind.collection(),
                    id: resource.id,
                    name: &resource.name,
                }),
            })
            .collect();
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code(),
                message: self.to_string(),
                field: self.field(),
                faults,
            },
        };
        let bytes = serde_json::to_vec(&body).unwrap_or_default();

        let mut response = Response::new(Full::new(Bytes::from(bytes)));
        *response.status_mut() = self.status();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        match &self {
            ApiError::Unauthorized(_) => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            ApiError::MethodNotAllowed { allow } => {
                if let Ok(allow) = HeaderValue::from_str(allow) {
                    headers.insert(header::ALLOW, allow);
                }
            }
            _ => {}
        }
        response
    }
}
