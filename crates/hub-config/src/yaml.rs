//! YAML as a figment [`Format`], read by `serde_norway`.
//!
//! figment's own `yaml` feature reads through `serde_yaml`, which its author archived.

use figment::providers::Format;
use serde::de::DeserializeOwned;
use serde_norway::{Mapping, Value};

/// The YAML format for figment: `Yaml::string(text)` or `Yaml::file(path)` is a provider.
///
/// A key given twice in one mapping is an error rather than a silent override, and an empty
/// document reads as an empty mapping.
#[derive(Debug, Clone, Copy)]
pub struct Yaml;

impl Format for Yaml {
    type Error = serde_norway::Error;

    const NAME: &'static str = "YAML";

    fn from_str<T: DeserializeOwned>(string: &str) -> Result<T, Self::Error> {
        // serde_norway's own `Value` refuses duplicate keys; deserializing straight into a
        // map type would keep the last one.
        let value: Value = serde_norway::from_str(string)?;

        let value = match value {
            Value::Null => Value::Mapping(Mapping::new()),
            value => value,
        };
        T::deserialize(value)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use figment::Figment;

    use super::*;

    #[test]
    fn is_a_figment_provider() {
        let figment = Figment::from(Yaml::string("name: hub\nport: 3000\n"));
        let read: BTreeMap<String, serde_norway::Value> = figment.extract().unwrap();
        assert_eq!(read["name"], "hub");
        assert_eq!(read["port"], 3000);
    }

    #[test]
    fn refuses_a_key_given_twice() {
        let error = Yaml::from_str::<BTreeMap<String, u32>>("a: 1\nb: 2\na: 3\n").unwrap_err();
        assert!(
            error.to_string().contains("duplicate entry with key \"a\""),
            "{error}"
        );
    }

    #[test]
    fn reads_an_empty_document_as_an_empty_mapping() {
        for text in ["", "# only a comment\n", "---\n"] {
            let read: BTreeMap<String, u32> = Yaml::from_str(text).unwrap();
            assert!(read.is_empty(), "{text:?}");
        }
    }
}
