//! The routes of the HTTP surface: which method and path go where.

use http::Method;

use crate::error::GatewayError;
use crate::operation::Operation;

/// Where a request goes.
pub(crate) enum Route {
    Operation(Operation),
    Models,
    Model(String),
    Health,
    Metrics,
}

impl Route {
    /// Whether a client may call the route without an access key: probes and scrapers
    /// call these without one, and they hold no credential and no prompt.
    pub(crate) fn is_open(&self) -> bool {
        match self {
            Route::Health | Route::Metrics => true,
            Route::Operation(_) | Route::Models | Route::Model(_) => false,
        }
    }
}

/// Maps a method and path to a route. Paths are served under both `/api/v1` and `/v1`, so a
/// client's base URL may end in either.
pub(crate) fn route(method: &Method, path: &str) -> Result<Route, GatewayError> {
    let path = path.trim_end_matches('/');
    if path == "/health" {
        return allow(method, &Method::GET, "GET").map(|()| Route::Health);
    }
    if path == "/metrics" {
        return allow(method, &Method::GET, "GET").map(|()| Route::Metrics);
    }

    let api_path = path
        .strip_prefix("/api/v1")
        .or_else(|| path.strip_prefix("/v1"))
        .ok_or_else(|| unknown_route(path))?;
    match api_path {
        "/chat/completions" => {
            allow(method, &Method::POST, "POST").map(|()| Route::Operation(Operation::Chat))
        }
        "/completions" => {
            allow(method, &Method::POST, "POST").map(|()| Route::Operation(Operation::Completion))
        }
        "/embeddings" => {
            allow(method, &Method::POST, "POST").map(|()| Route::Operation(Operation::Embeddings))
        }
        "/models" => allow(method, &Method::GET, "GET").map(|()| Route::Models),
        _ => match api_path.strip_prefix("/models/") {
            Some(id) if !id.is_empty() => {
                allow(method, &Method::GET, "GET").map(|()| Route::Model(id.to_owned()))
            }
            _ => Err(unknown_route(path)),
        },
    }
}

/// Whether `path` is a probe (`/health`, `/metrics`): answered even when the gateway is
/// serving as many requests as it allows.
pub(crate) fn is_probe(path: &str) -> bool {
    matches!(path.trim_end_matches('/'), "/health" | "/metrics")
}

fn allow(method: &Method, expected: &Method, allow: &'static str) -> Result<(), GatewayError> {
    if method == expected {
        Ok(())
    } else {
        Err(GatewayError::MethodNotAllowed { allow })
    }
}

pub(crate) fn unknown_route(path: &str) -> GatewayError {
    GatewayError::NotFound {
        message: format!("Unknown request URL: {path}."),
        code: "unknown_url",
    }
}
