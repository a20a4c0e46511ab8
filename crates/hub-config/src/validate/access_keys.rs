//! Rules for `general.access_keys`: each key named once, given once, and long enough that its
//! SHA-256 digest protects it.
//!
//! No message repeats a key or a digest: a fault goes to the log and the terminal.

use std::collections::HashMap;

use hub_core::config::{AccessKeyConfig, MIN_ACCESS_KEY_CHARS};

use super::{Faults, check_not_empty, check_unique};
use crate::error::{field, index};

const PATH: &str = "general.access_keys";

pub(super) fn check_access_keys(keys: &[AccessKeyConfig], faults: &mut Faults) {
    for (position, key) in keys.iter().enumerate() {
        check_access_key(key, &index(PATH, position), faults);
    }

    let names = keys.iter().map(|key| key.name.as_str());
    check_unique(
        names,
        |position| field(&index(PATH, position), "name"),
        faults,
    );
    check_distinct_keys(keys, faults);
}

fn check_access_key(key: &AccessKeyConfig, path: &str, faults: &mut Faults) {
    check_not_empty(&key.name, &field(path, "name"), faults);

    match (&key.key, &key.key_sha256) {
        (None, None) => faults.add(path, "give `key` or `key_sha256`"),
        (Some(_), Some(_)) => faults.add(
            field(path, "key_sha256"),
            "give `key` or `key_sha256`, not both",
        ),
        (Some(plain), None) => {
            if let Err(message) = access_key_fault(plain) {
                faults.add(field(path, "key"), message);
            }
        }
        (None, Some(digest)) => {
            if !is_sha256_hex(digest) {
                faults.add(
                    field(path, "key_sha256"),
                    "must be a SHA-256 digest: 64 hexadecimal digits, as `sha256sum` prints",
                );
            }
        }
    }
}

/// Whether `key` may serve as an access key: long enough not to be guessed, and made of the
/// characters a client can send in an `Authorization` header without quoting. The error
/// never holds the key.
pub fn access_key_fault(key: &str) -> Result<(), String> {
    if key.is_empty() {
        return Err("must not be empty".to_owned());
    }
    if !key.bytes().all(|byte| byte.is_ascii_graphic()) {
        return Err("may hold only visible ASCII characters, without spaces".to_owned());
    }
    if key.len() < MIN_ACCESS_KEY_CHARS {
        return Err(format!(
            "is shorter than {MIN_ACCESS_KEY_CHARS} characters; make one with \
             `openssl rand -hex 32`"
        ));
    }
    Ok(())
}

fn is_sha256_hex(digest: &str) -> bool {
    digest.len() == 64 && digest.bytes().all(|byte| byte.is_ascii_hexdigit())
}

/// A key given twice would let one client pass under two names; the second use is the fault.
fn check_distinct_keys(keys: &[AccessKeyConfig], faults: &mut Faults) {
    let mut first_use: HashMap<String, usize> = HashMap::new();
    for (position, key) in keys.iter().enumerate() {
        let (identity, name) = match (&key.key, &key.key_sha256) {
            (Some(plain), None) => (format!("key:{plain}"), "key"),
            (None, Some(digest)) => (
                format!("sha256:{}", digest.to_ascii_lowercase()),
                "key_sha256",
            ),
            _ => continue,
        };
        match first_use.get(&identity) {
            Some(&first) => faults.add(
                field(&index(PATH, position), name),
                format!("the same key as {}", index(PATH, first)),
            ),
            None => {
                first_use.insert(identity, position);
            }
        }
    }
}
