//! Validation of a whole configuration, wherever it came from: a YAML file or, in database
//! mode, rows assembled into the same model.
//!
//! Every rule runs and every fault is kept, each at the path of the value it concerns.

use std::collections::{BTreeMap, HashMap};

use hub_core::config::{
    GeneralConfig, HubConfig, ModelConfig, ModelRouterConfig, PipelineConfig, PluginConfig,
    ProviderConfig, ProviderType, RetryConfig, RouterStrategy, TracingConfig,
};

use crate::error::{ConfigError, Fault, field, index, one_of};
use crate::limits;

mod access_keys;

pub use access_keys::access_key_fault;

/// The fields every provider type takes; the type's own are in
/// [`ProviderType::known_params`].
const PROVIDER_FIELDS: [&str; 6] = [
    "key",
    "type",
    "api_key",
    "base_url",
    "connect_timeout_ms",
    "timeout_ms",
];

/// The fields every model takes; those specific to its provider's type are in
/// [`ProviderType::known_model_params`].
const MODEL_FIELDS: [&str; 5] = [
    "key",
    "type",
    "provider",
    "timeout_ms",
    "first_byte_timeout_ms",
];

/// Checks `config` as a whole, and reports every fault found.
pub fn validate(config: &HubConfig) -> Result<(), ConfigError> {
    let mut faults = Faults::default();

    check_general(&config.general, &mut faults);
    check_providers(&config.providers, &mut faults);
    check_models(config, &mut faults);
    check_pipelines(config, &mut faults);

    ConfigError::check(faults.0)
}

#[derive(Default)]
struct Faults(Vec<Fault>);

impl Faults {
    fn add(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.0.push(Fault::new(path, message));
    }
}

fn check_general(general: &GeneralConfig, faults: &mut Faults) {
    limits::check(general, &mut faults.0);
    access_keys::check_access_keys(&general.access_keys, faults);
}

fn check_providers(providers: &[ProviderConfig], faults: &mut Faults) {
    for (position, provider) in providers.iter().enumerate() {
        check_provider(provider, &index("providers", position), faults);
    }

    let keys = providers.iter().map(|provider| provider.key.as_str());
    check_unique(
        keys,
        |position| field(&index("providers", position), "key"),
        faults,
    );
}

fn check_provider(provider: &ProviderConfig, path: &str, faults: &mut Faults) {
    check_not_empty(&provider.key, &field(path, "key"), faults);
    if provider.api_key.as_deref().is_some_and(str::is_empty) {
        faults.add(field(path, "api_key"), "must not be empty when given");
    }
    if let Some(url) = &provider.base_url {
        check_http_url(url, &field(path, "base_url"), faults);
    }
    for (name, timeout) in [
        ("connect_timeout_ms", provider.connect_timeout_ms),
        ("timeout_ms", provider.timeout_ms),
    ] {
        if timeout == Some(0) {
            faults.add(field(path, name), "must be greater than 0");
        }
    }

    check_params(provider, path, faults);

    match provider.provider_type {
        ProviderType::Anthropic => check_anthropic(provider, path, faults),
        ProviderType::Azure => check_azure(provider, path, faults),
        ProviderType::Bedrock => check_bedrock(provider, path, faults),
        ProviderType::VertexAi => check_vertex(provider, path, faults),
        ProviderType::OpenAi => {}
    }
}

fn check_params(provider: &ProviderConfig, path: &str, faults: &mut Faults) {
    let owner = format!("provider type {}", provider.provider_type);
    let known = provider.provider_type.known_params();
    check_settings(
        &provider.params,
        &PROVIDER_FIELDS,
        known,
        &owner,
        path,
        faults,
    );
}

/// Type-specific settings arrive in a catch-all map, so a misspelt common field lands there
/// too; the message lists both kinds.
fn check_settings(
    params: &BTreeMap<String, serde_json::Value>,
    common: &[&str],
    known: &[&str],
    owner: &str,
    path: &str,
    faults: &mut Faults,
) {
    for (name, value) in params {
        if !known.contains(&name.as_str()) {
            let expected: Vec<&str> = common.iter().chain(known).copied().collect();
            let message = format!("unknown field for {owner}; expected {}", one_of(&expected));
            faults.add(field(path, name), message);
        } else if !value.is_string() {
            faults.add(field(path, name), "must be a string (quote it)");
        }
    }
}

/// Anthropic's API refuses every call without a key, and needs an output limit for requests
/// that set none.
fn check_anthropic(provider: &ProviderConfig, path: &str, faults: &mut Faults) {
    if provider.api_key.is_none() {
        faults.add(
            field(path, "api_key"),
            "required for provider type anthropic",
        );
    }

    let max_tokens = provider.param_str("default_max_tokens").map(str::trim);
    let positive = |text: &str| text.parse::<u32>().is_ok_and(|tokens| tokens > 0);
    if let Some(text) = max_tokens.filter(|text| !text.is_empty() && !positive(text)) {
        faults.add(
            field(path, "default_max_tokens"),
            format!("must be a positive integer, such as \"4096\" (got {text:?})"),
        );
    }
}

fn check_azure(provider: &ProviderConfig, path: &str, faults: &mut Faults) {
    if !has_param(provider, "resource_name") && provider.base_url.is_none() {
        faults.add(
            path,
            "provider type azure needs `resource_name` or `base_url`",
        );
    }
    if !has_param(provider, "api_version") {
        faults.add(
            field(path, "api_version"),
            "required for provider type azure",
        );
    }
    match (
        provider.api_key.is_some(),
        has_param(provider, "azure_ad_token"),
    ) {
        (false, false) => faults.add(
            path,
            "provider type azure needs `api_key` or `azure_ad_token`",
        ),
        (true, true) => faults.add(
            field(path, "azure_ad_token"),
            "give `api_key` or `azure_ad_token`, not both",
        ),
        _ => {}
    }
}

fn check_bedrock(provider: &ProviderConfig, path: &str, faults: &mut Faults) {
    if !has_param(provider, "region") && provider.base_url.is_none() {
        faults.add(path, "provider type bedrock needs `region` or `base_url`");
    }

    let key_id = aws_param(provider, path, "aws_access_key_id", faults);
    let secret = aws_param(provider, path, "aws_secret_access_key", faults);
    let token = aws_param(provider, path, "aws_session_token", faults);

    if key_id != secret {
        faults.add(
            path,
            "`aws_access_key_id` and `aws_secret_access_key` go together: give both, or \
             neither to use the AWS credential chain",
        );
    }
    if token && !(key_id && secret) {
        faults.add(
            field(path, "aws_session_token"),
            "only meaningful with `aws_access_key_id` and `aws_secret_access_key`",
        );
    }
}

/// Whether a Bedrock credential is given, in the lower-case spelling or the original Hub's
/// upper-case one; giving both spellings is a fault, as one would silently win.
fn aws_param(provider: &ProviderConfig, path: &str, lower: &str, faults: &mut Faults) -> bool {
    let upper = lower.to_ascii_uppercase();
    let (has_lower, has_upper) = (has_param(provider, lower), has_param(provider, &upper));

    if has_lower && has_upper {
        faults.add(
            field(path, &upper),
            format!("give `{lower}` or `{upper}`, not both"),
        );
    }
    has_lower || has_upper
}

fn check_vertex(provider: &ProviderConfig, path: &str, faults: &mut Faults) {
    for name in ["project_id", "location"] {
        if !has_param(provider, name) {
            faults.add(field(path, name), "required for provider type vertexai");
        }
    }

    let given = [
        has_param(provider, "credentials_path"),
        has_param(provider, "credentials_json"),
        provider.api_key.is_some(),
    ];
    match given.iter().filter(|given| **given).count() {
        0 => faults.add(
            path,
            "provider type vertexai needs `credentials_path`, `credentials_json` or `api_key`",
        ),
        1 => {}
        _ => faults.add(
            path,
            "give one of `credentials_path`, `credentials_json` or `api_key`, not several",
        ),
    }
}

/// Whether a type-specific setting is given. An empty string counts as not given, so
/// `${NAME:-}` can leave an optional setting out; a value that is not a string counts as
/// given, as it is reported on its own.
fn has_param(provider: &ProviderConfig, name: &str) -> bool {
    is_given(&provider.params, name)
}

fn is_given(params: &BTreeMap<String, serde_json::Value>, name: &str) -> bool {
    match params.get(name) {
        None => false,
        Some(serde_json::Value::String(value)) => !value.trim().is_empty(),
        Some(_) => true,
    }
}

fn check_models(config: &HubConfig, faults: &mut Faults) {
    let providers = first_by_name(config.providers.iter().map(|p| (p.key.as_str(), p)));

    for (position, model) in config.models.iter().enumerate() {
        check_model(model, &index("models", position), &providers, faults);
    }

    let keys = config.models.iter().map(|model| model.key.as_str());
    check_unique(
        keys,
        |position| field(&index("models", position), "key"),
        faults,
    );
}

fn check_model(
    model: &ModelConfig,
    path: &str,
    providers: &HashMap<&str, &ProviderConfig>,
    faults: &mut Faults,
) {
    check_not_empty(&model.key, &field(path, "key"), faults);
    check_not_empty(&model.model_type, &field(path, "type"), faults);
    for (name, timeout) in [
        ("timeout_ms", model.timeout_ms),
        ("first_byte_timeout_ms", model.first_byte_timeout_ms),
    ] {
        if timeout == Some(0) {
            faults.add(field(path, name), "must be greater than 0");
        }
    }

    let Some(provider) = providers.get(model.provider.as_str()) else {
        let message = if model.provider.is_empty() {
            "must not be empty".to_owned()
        } else {
            format!("no provider named {:?}", model.provider)
        };
        faults.add(field(path, "provider"), message);
        return;
    };

    check_model_params(model, path, provider, faults);
}

/// Azure addresses a model by the deployment an operator made of it, not by its id.
fn check_model_params(
    model: &ModelConfig,
    path: &str,
    provider: &ProviderConfig,
    faults: &mut Faults,
) {
    let provider_type = provider.provider_type;
    let owner = format!("a model of provider type {provider_type}");
    let known = provider_type.known_model_params();
    check_settings(&model.params, &MODEL_FIELDS, known, &owner, path, faults);

    if provider_type == ProviderType::Azure {
        check_deployment(model, path, provider, faults);
    }
}

/// A deployment name becomes a segment of the request path, so it may hold only what Azure
/// allows in one (letters, digits, `-`, `_` and `.`) and must not be a dot segment.
fn check_deployment(
    model: &ModelConfig,
    path: &str,
    provider: &ProviderConfig,
    faults: &mut Faults,
) {
    if !is_given(&model.params, "deployment") {
        let message = format!("required for a model of azure provider {:?}", provider.key);
        faults.add(field(path, "deployment"), message);
        return;
    }

    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    let unusable = |name: &str| !name.chars().all(allowed) || name == "." || name == "..";
    let name = model
        .params
        .get("deployment")
        .and_then(|value| value.as_str());
    if name.is_some_and(unusable) {
        faults.add(
            field(path, "deployment"),
            "may hold only letters, digits, `-`, `_` and `.`, and is not `.` or `..`",
        );
    }
}

fn check_pipelines(config: &HubConfig, faults: &mut Faults) {
    let models = first_by_name(config.models.iter().map(|m| (m.key.as_str(), m)));

    for (position, pipeline) in config.pipelines.iter().enumerate() {
        check_pipeline(pipeline, &index("pipelines", position), &models, faults);
    }

    let names = config
        .pipelines
        .iter()
        .map(|pipeline| pipeline.name.as_str());
    check_unique(
        names,
        |position| field(&index("pipelines", position), "name"),
        faults,
    );
}

fn check_pipeline(
    pipeline: &PipelineConfig,
    path: &str,
    models: &HashMap<&str, &ModelConfig>,
    faults: &mut Faults,
) {
    check_not_empty(&pipeline.name, &field(path, "name"), faults);

    let mut first_of_kind: HashMap<&str, usize> = HashMap::new();
    for (position, plugin) in pipeline.plugins.iter().enumerate() {
        let plugin_path = index(&field(path, "plugins"), position);
        let kind = plugin_kind(plugin);

        match first_of_kind.get(kind) {
            Some(first) => faults.add(
                &plugin_path,
                format!(
                    "a second `{kind}` plugin (the first is plugins[{first}]); a pipeline has \
                     at most one of each kind"
                ),
            ),
            None => {
                first_of_kind.insert(kind, position);
            }
        }

        let plugin_path = field(&plugin_path, kind);
        match plugin {
            PluginConfig::Logging(_) => {}
            PluginConfig::Tracing(tracing) => check_tracing(tracing, &plugin_path, faults),
            PluginConfig::ModelRouter(router) => {
                check_router(router, &plugin_path, models, faults);
            }
        }
    }

    if pipeline.model_router().is_none() {
        faults.add(
            path,
            "no `model-router` plugin; a pipeline cannot serve requests without one",
        );
    }
}

/// The name a plugin is written with in YAML.
fn plugin_kind(plugin: &PluginConfig) -> &'static str {
    match plugin {
        PluginConfig::Logging(_) => "logging",
        PluginConfig::Tracing(_) => "tracing",
        PluginConfig::ModelRouter(_) => "model-router",
    }
}

fn check_tracing(tracing: &TracingConfig, path: &str, faults: &mut Faults) {
    check_http_url(&tracing.endpoint, &field(path, "endpoint"), faults);
    if tracing.api_key.as_deref().is_some_and(str::is_empty) {
        faults.add(field(path, "api_key"), "must not be empty when given");
    }

    let headers_path = field(path, "headers");
    for (name, value) in &tracing.headers {
        if http::HeaderName::from_bytes(name.as_bytes()).is_err() {
            faults.add(field(&headers_path, name), "not a valid HTTP header name");
        } else if http::HeaderValue::from_str(value).is_err() {
            faults.add(field(&headers_path, name), "not a valid HTTP header value");
        }
    }
}

fn check_router(
    router: &ModelRouterConfig,
    path: &str,
    models: &HashMap<&str, &ModelConfig>,
    faults: &mut Faults,
) {
    let models_path = field(path, "models");
    if router.models.is_empty() {
        faults.add(&models_path, "must name at least one model");
    }

    for (position, name) in router.models.iter().enumerate() {
        if !models.contains_key(name.as_str()) {
            faults.add(
                index(&models_path, position),
                format!("no model named {name:?}"),
            );
        }
    }

    let names = router.models.iter().map(String::as_str);
    check_unique(names, |position| index(&models_path, position), faults);

    check_weights(router, path, faults);
    check_retry(&router.retry, &field(path, "retry"), faults);
    if router.ejection.cooldown_ms == 0 && router.ejection.consecutive_failures > 0 {
        let path = field(&field(path, "ejection"), "cooldown_ms");
        faults.add(path, "must be greater than 0 while ejection is on");
    }
}

/// Weights name the router's own models, are positive, and mean something only to the
/// strategy that draws by weight.
fn check_weights(router: &ModelRouterConfig, path: &str, faults: &mut Faults) {
    let weights_path = field(path, "weights");
    if !router.weights.is_empty() && router.strategy != RouterStrategy::WeightedRandom {
        let message = format!(
            "weights apply only to strategy `weighted_random`, not `{}`",
            router.strategy.as_str()
        );
        faults.add(&weights_path, message);
    }
    for (model, weight) in &router.weights {
        if !router.models.contains(model) {
            faults.add(
                field(&weights_path, model),
                "not one of this router's models",
            );
        } else if *weight == 0 {
            faults.add(field(&weights_path, model), "must be at least 1");
        }
    }
}

fn check_retry(retry: &RetryConfig, path: &str, faults: &mut Faults) {
    if retry.initial_backoff_ms > retry.max_backoff_ms {
        let message = "must not be greater than max_backoff_ms";
        faults.add(field(path, "initial_backoff_ms"), message);
    }
    if retry.max_attempts == Some(0) {
        faults.add(field(path, "max_attempts"), "must be at least 1");
    }
    if retry.max_elapsed_ms == 0 {
        faults.add(field(path, "max_elapsed_ms"), "must be greater than 0");
    }
}

/// Reports each repeated name at its later uses, at `path_of(position)`. Empty names are
/// reported on their own.
fn check_unique<'a>(
    names: impl Iterator<Item = &'a str>,
    path_of: impl Fn(usize) -> String,
    faults: &mut Faults,
) {
    let mut first_use: HashMap<&str, usize> = HashMap::new();
    for (position, name) in names.enumerate() {
        if name.trim().is_empty() {
            continue;
        }
        match first_use.get(name) {
            Some(&first) => {
                let message = format!("{name:?} is already used at {}", path_of(first));
                faults.add(path_of(position), message);
            }
            None => {
                first_use.insert(name, position);
            }
        }
    }
}

/// Looks items up by name; where names repeat, the first wins, as that fault is reported
/// on its own.
fn first_by_name<'a, T>(items: impl Iterator<Item = (&'a str, &'a T)>) -> HashMap<&'a str, &'a T> {
    let mut by_name = HashMap::new();
    for (name, item) in items {
        by_name.entry(name).or_insert(item);
    }
    by_name
}

fn check_not_empty(value: &str, path: &str, faults: &mut Faults) {
    if value.trim().is_empty() {
        faults.add(path, "must not be empty");
    }
}

/// Checks that a value is an absolute http or https URL. The value is not repeated in the
/// message: a URL may carry credentials.
fn check_http_url(url: &str, path: &str, faults: &mut Faults) {
    let absolute_http = url.parse::<http::Uri>().is_ok_and(|uri| {
        let http_scheme = matches!(uri.scheme_str(), Some("http" | "https"));
        http_scheme && uri.host().is_some_and(|host| !host.is_empty())
    });

    if !absolute_http {
        faults.add(
            path,
            "must be an absolute http or https URL, such as https://host:port/path",
        );
    }
}

#[cfg(test)]
mod tests;
