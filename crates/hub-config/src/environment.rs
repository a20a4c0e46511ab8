//! Where `${NAME}` references and overrides such as `TRACE_CONTENT_ENABLED` are read from.
//!
//! Loading takes the environment as a value rather than reading the process's own, so tests
//! and embedding services can hand in exactly the variables they mean.

use std::collections::{BTreeMap, HashMap};

/// A source of environment variables.
pub trait Environment {
    /// The value of `name`, or `None` when it is not set.
    fn var(&self, name: &str) -> Option<String>;
}

/// The process's own environment. A variable whose value is not valid UTF-8 reads as unset.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessEnvironment;

impl Environment for ProcessEnvironment {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
}

impl Environment for HashMap<String, String> {
    fn var(&self, name: &str) -> Option<String> {
        self.get(name).cloned()
    }
}

impl Environment for BTreeMap<String, String> {
    fn var(&self, name: &str) -> Option<String> {
        self.get(name).cloned()
    }
}

impl<F> Environment for F
where
    F: Fn(&str) -> Option<String>,
{
    fn var(&self, name: &str) -> Option<String> {
        self(name)
    }
}
