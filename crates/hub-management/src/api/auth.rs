//! Bearer-token authentication as a tower layer: every route but `/health`, `/openapi.json`
//! and `/swagger-ui` needs `Authorization: Bearer <token>`.
//!
//! The token is compared by HMAC under a key drawn at start, so the comparison takes the
//! same time however much of a wrong token matches.

use std::convert::Infallible;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{Request, Response, header};
use http_body_util::Full;
use hub_core::BoxFuture;
use ring::hmac;
use ring::rand::SystemRandom;
use secrecy::{ExposeSecret, SecretString};
use tower::{Layer, Service};

use super::error::ApiError;

/// How the API checks who calls it.
#[derive(Clone)]
pub enum AdminAuth {
    /// Calls must bear this token.
    Token(SecretString),
    /// Anyone may call: chosen on purpose with `HUB_ADMIN_AUTH=disabled`.
    Disabled,
}

impl std::fmt::Debug for AdminAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AdminAuth::Token(_) => f.write_str("Token(<redacted>)"),
            AdminAuth::Disabled => f.write_str("Disabled"),
        }
    }
}

/// What a presented token is checked against: its HMAC under a key of this process.
struct Expected {
    key: hmac::Key,
    tag: hmac::Tag,
}

/// Adds [`RequireBearer`] to a service.
#[derive(Clone)]
pub struct RequireBearerLayer {
    expected: Option<Arc<Expected>>,
}

impl std::fmt::Debug for RequireBearerLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequireBearerLayer")
            .field("enabled", &self.expected.is_some())
            .finish()
    }
}

impl RequireBearerLayer {
    /// Fails only when the system has no randomness for the comparison key.
    pub fn new(auth: &AdminAuth) -> Result<RequireBearerLayer, ring::error::Unspecified> {
        let expected = match auth {
            AdminAuth::Disabled => None,
            AdminAuth::Token(token) => {
                let key = hmac::Key::generate(hmac::HMAC_SHA256, &SystemRandom::new())?;
                let tag = hmac::sign(&key, token.expose_secret().as_bytes());
                Some(Arc::new(Expected { key, tag }))
            }
        };
        Ok(RequireBearerLayer { expected })
    }
}

impl<S> Layer<S> for RequireBearerLayer {
    type Service = RequireBearer<S>;

    fn layer(&self, inner: S) -> RequireBearer<S> {
        RequireBearer {
            inner,
            expected: self.expected.clone(),
        }
    }
}

/// Answers 401 to a request without the right bearer token, and passes the rest on.
#[derive(Clone)]
pub struct RequireBearer<S> {
    inner: S,
    expected: Option<Arc<Expected>>,
}

impl<S> std::fmt::Debug for RequireBearer<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequireBearer")
            .field("enabled", &self.expected.is_some())
            .finish_non_exhaustive()
    }
}

impl<S, B> Service<Request<B>> for RequireBearer<S>
where
    S: Service<Request<B>, Response = Response<Full<Bytes>>, Error = Infallible>,
    S::Future: Send + 'static,
{
    type Response = Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Response<Full<Bytes>>, Infallible>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let refusal = match &self.expected {
            Some(expected) if !is_open(request.uri().path()) => check(expected, &request),
            _ => Ok(()),
        };

        match refusal {
            Ok(()) => Box::pin(self.inner.call(request)),
            Err(error) => {
                tracing::debug!(path = request.uri().path(), %error, "refused");
                Box::pin(std::future::ready(Ok(error.into_response())))
            }
        }
    }
}

/// The health check, and the documentation, whose Authorize button is how a reader
/// presents a token.
fn is_open(path: &str) -> bool {
    path == "/health" || hub_core::openapi::is_documentation(path)
}

fn check<B>(expected: &Expected, request: &Request<B>) -> Result<(), ApiError> {
    let value = request
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or(ApiError::Unauthorized(
            "missing `Authorization: Bearer <token>`",
        ))?;
    let token = value
        .as_bytes()
        .strip_prefix(b"Bearer ")
        .ok_or(ApiError::Unauthorized(
            "`Authorization` must be `Bearer <token>`",
        ))?;

    hmac::verify(&expected.key, token, expected.tag.as_ref())
        .map_err(|_| ApiError::Unauthorized("the token is not valid"))
}
