//! Loads and validates Hub's configuration.
//!
//! A YAML file (or text) is parsed through figment, `${NAME}` references in its string values
//! are replaced from an [`Environment`], variables such as `TRACE_CONTENT_ENABLED` and
//! `HUB_MAX_CONNECTIONS` override what the file says, and the result is checked as a whole by
//! [`validate`]. Database mode
//! hands [`load_value`] the configuration it assembles from its tables, in the file's shape,
//! so both are read and checked by the same code. A refused configuration comes
//! back as a [`ConfigError`] listing every fault with its path.
//!
//! This crate never does network I/O and never knows a provider's wire format: it checks
//! that settings are present and well-formed, not that they work.
//!
//! ```
//! use std::collections::BTreeMap;
//!
//! let yaml = r#"
//! providers:
//!   - key: openai
//!     type: openai
//!     api_key: ${OPENAI_API_KEY}
//! models:
//!   - key: gpt-4o
//!     type: gpt-4o
//!     provider: openai
//! pipelines:
//!   - name: default
//!     type: chat
//!     plugins:
//!       - model-router:
//!           models: [gpt-4o]
//! "#;
//! let env = BTreeMap::from([("OPENAI_API_KEY".to_owned(), "sk-test".to_owned())]);
//!
//! let config = hub_config::load_str(yaml, &env).unwrap();
//! assert_eq!(config.providers[0].api_key.as_deref(), Some("sk-test"));
//!
//! let error = hub_config::load_str(yaml, &BTreeMap::new()).unwrap_err();
//! assert_eq!(
//!     error.to_string(),
//!     "providers[0].api_key: environment variable OPENAI_API_KEY is not set"
//! );
//! ```

mod environment;
mod error;
mod expand;
mod limits;
mod load;
mod validate;
mod yaml;

pub use environment::{Environment, ProcessEnvironment};
pub use error::{ConfigError, Fault};
pub use load::{load_file, load_str, load_value};
pub use validate::{access_key_fault, validate};
pub use yaml::Yaml;
