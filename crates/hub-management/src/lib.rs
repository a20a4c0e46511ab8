//! Hub's database mode: the configuration kept in PostgreSQL, changed through the
//! management API, and followed by every running gateway.
//!
//! - [`Database`] pools connections and applies the schema of `migrations/`, embedded in
//!   the binary ([`MIGRATIONS`]).
//! - [`Management`] lists, reads and changes providers, model definitions, pipelines,
//!   secrets and the API keys clients present to gateways (stored only as digests). Every
//!   write runs in one transaction, serialized with every other write, and is refused unless
//!   the whole configuration it leaves passes the same validation a YAML file does
//!   (`hub_config::load_value`).
//! - [`api`] serves [`Management`] as a REST API over hyper, behind a bearer token.
//! - [`DatabaseSource`] is the gateway's side: it yields the same validated
//!   [`hub_core::config::HubConfig`] a YAML file yields, and follows changes through
//!   `LISTEN/NOTIFY` and polling, keeping the last good configuration through outages and
//!   refused changes.
//! - [`Keyring`] seals credentials and secrets with AES-256-GCM under `HUB_SECRET_KEY`;
//!   no value is stored in the clear, and none is returned by the API or written to a log.
//!
//! This is the only crate that knows SQL. It never builds a gateway: the gateway hands
//! [`DatabaseSource::follow`] a function that does.

pub mod api;
mod assemble;
mod credentials;
mod db;
mod fault;
mod keys;
mod rotate;
mod rows;
mod schema;
mod service;
mod source;

pub use credentials::MASK;
pub use db::{Database, DatabaseError, MIGRATIONS};
pub use fault::{Fault, ResourceKind, ResourceRef};
pub use keys::{CipherError, KeyError, Keyring, PREVIOUS_SECRET_KEYS_VAR, SECRET_KEY_VAR, Sealed};
pub use rotate::RotationReport;
pub use service::{
    ApiKey, ApiKeyChanges, Condition, CreatedApiKey, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Management,
    ModelChanges, ModelDefinition, NewApiKey, NewModel, NewPipeline, NewProvider, NewSecret, Page,
    PageRequest, Pipeline, PipelineChanges, PluginInput, PluginType, PluginView, Precondition,
    Provider, ProviderChanges, Secret, SecretChanges, ServiceError,
};
pub use source::{
    DatabaseSource, FollowSettings, LoadedConfig, METRIC_DATABASE_UP, METRIC_RELOADS,
    METRIC_REVISION, METRIC_SNAPSHOT_AGE, SourceError,
};
