//! The YAML configuration an operator writes, through loading, `${NAME}` expansion and
//! validation.

use std::collections::BTreeMap;

/// Loads `data` as a configuration file. Its leading comment lines of the form
/// `# NAME=value` are the environment its `${NAME}` references read, so a fuzzer varies the
/// file and its environment together, and the file stays valid YAML.
pub(crate) fn load(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let env: BTreeMap<String, String> = text
        .lines()
        .map_while(|line| line.strip_prefix("# "))
        .filter_map(|line| line.split_once('='))
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect();

    if let Ok(config) = hub_config::load_str(text, &env) {
        hub_config::validate(&config).expect("a loaded configuration stays valid");
    }
}
