//! The routes of the HTTP surface: which method and path go where.
//!
//! [`ROUTES`] is the one list of what the gateway serves: the router matches requests against
//! it and the OpenAPI spec is built from it, so no route can be served undocumented.

use http::Method;
use hub_core::openapi::match_path;

use crate::error::GatewayError;
use crate::operation::Operation;

/// Where a request goes.
pub(crate) enum Route {
    Operation(Operation),
    Models,
    Model(String),
    Health,
    Metrics,
    Spec,
    SwaggerUi,
}

impl Route {
    /// Whether a client may call the route without an access key: probes, scrapers and
    /// readers of the documentation call these without one, and they hold no credential and
    /// no prompt.
    pub(crate) fn is_open(&self) -> bool {
        match self {
            Route::Health | Route::Metrics | Route::Spec | Route::SwaggerUi => true,
            Route::Operation(_) | Route::Models | Route::Model(_) => false,
        }
    }
}

/// What a path of [`ROUTES`] serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    Operation(Operation),
    Models,
    Model,
    Health,
    Metrics,
    Spec,
    SwaggerUi,
    SwaggerAsset,
}

/// The prefix of the OpenAI-compatible API. `/v1` is an alias, so a client's base URL may end
/// in either.
pub(crate) const API_PREFIX: &str = "/api/v1";
const API_ALIAS: &str = "/v1";

/// Every route: its one method, its path as an OpenAPI template, and what it serves.
#[rustfmt::skip]
pub(crate) const ROUTES: &[(&str, &str, Target)] = &[
    ("POST", "/api/v1/chat/completions",  Target::Operation(Operation::Chat)),
    ("POST", "/api/v1/completions",       Target::Operation(Operation::Completion)),
    ("POST", "/api/v1/embeddings",        Target::Operation(Operation::Embeddings)),
    ("GET",  "/api/v1/models",            Target::Models),
    ("GET",  "/api/v1/models/{model}",    Target::Model),
    ("GET",  "/health",                   Target::Health),
    ("GET",  "/metrics",                  Target::Metrics),
    ("GET",  "/openapi.json",             Target::Spec),
    ("GET",  "/swagger-ui",               Target::SwaggerUi),
    ("GET",  "/swagger-ui/{file}",        Target::SwaggerAsset),
];

/// Maps a method and path to a route.
pub(crate) fn route(method: &Method, path: &str) -> Result<Route, GatewayError> {
    let trimmed = path.trim_end_matches('/');
    let mut allow = None;
    for (verb, template, target) in ROUTES {
        let Some(parameter) = matches(template, trimmed) else {
            continue;
        };
        if method.as_str() != *verb {
            allow = Some(*verb);
            continue;
        }
        return Ok(match target {
            Target::Operation(operation) => Route::Operation(*operation),
            Target::Models => Route::Models,
            Target::Model => Route::Model(parameter.unwrap_or_default().to_owned()),
            Target::Health => Route::Health,
            Target::Metrics => Route::Metrics,
            Target::Spec => Route::Spec,
            Target::SwaggerUi | Target::SwaggerAsset => Route::SwaggerUi,
        });
    }
    Err(match allow {
        // Each path has one method, so the one that did not match is the one to use.
        Some(allow) => GatewayError::MethodNotAllowed { allow },
        None => unknown_route(trimmed),
    })
}

/// Whether `path` is a probe (`/health`, `/metrics`): answered even when the gateway is
/// serving as many requests as it allows.
pub(crate) fn is_probe(path: &str) -> bool {
    matches!(path.trim_end_matches('/'), "/health" | "/metrics")
}

/// Matches `path` against `template`, reading `/v1` as `/api/v1`.
fn matches<'a>(template: &str, path: &'a str) -> Option<Option<&'a str>> {
    match template.strip_prefix(API_PREFIX) {
        Some(template) => {
            let rest = path
                .strip_prefix(API_PREFIX)
                .or_else(|| path.strip_prefix(API_ALIAS))?;
            match_path(template, rest)
        }
        None => match_path(template, path),
    }
}

pub(crate) fn unknown_route(path: &str) -> GatewayError {
    GatewayError::NotFound {
        message: format!("Unknown request URL: {path}."),
        code: "unknown_url",
    }
}
