//! The error every loading and validation step returns: a list of faults, each with the path
//! of the value it concerns.

use std::fmt;

/// One thing wrong with a configuration, at the path of the value concerned
/// (`pipelines[0].plugins[2].model-router.models[1]`), or at a file or an environment
/// variable when the fault is there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    pub path: String,
    pub message: String,
}

impl Fault {
    pub(crate) fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Fault {
            path: path.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

/// Why a configuration was refused: every fault found, never just the first, so an operator
/// can fix a file in one pass. Displayed as one `path: message` line per fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    faults: Vec<Fault>,
}

impl ConfigError {
    /// The faults, in the order they were found; never empty.
    pub fn faults(&self) -> &[Fault] {
        &self.faults
    }

    /// An error of `faults`, which must not be empty.
    pub(crate) fn new(faults: Vec<Fault>) -> Self {
        debug_assert!(!faults.is_empty(), "an error without faults");
        ConfigError { faults }
    }

    /// `Ok` when nothing was found wrong.
    pub(crate) fn check(faults: Vec<Fault>) -> Result<(), ConfigError> {
        if faults.is_empty() {
            Ok(())
        } else {
            Err(ConfigError::new(faults))
        }
    }
}

impl From<Fault> for ConfigError {
    fn from(fault: Fault) -> Self {
        ConfigError {
            faults: vec![fault],
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, fault) in self.faults.iter().enumerate() {
            if index > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{fault}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

/// Appends a map key to a path: `providers[0]` and `key` give `providers[0].key`.
pub(crate) fn field(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

/// Appends a list index to a path: `providers` and `0` give `providers[0]`.
pub(crate) fn index(path: &str, position: usize) -> String {
    format!("{path}[{position}]")
}

/// Lists names for a message: `` `a`, `b` or `c` ``.
pub(crate) fn one_of(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|name| format!("`{name}`")).collect();
    match quoted.as_slice() {
        [] => "nothing".to_owned(),
        [only] => only.clone(),
        [init @ .., last] => format!("one of {} or {last}", init.join(", ")),
    }
}
