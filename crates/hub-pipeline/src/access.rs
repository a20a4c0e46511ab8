//! Client access keys: with keys configured, an API request must carry one of them as
//! `Authorization: Bearer <key>`.
//!
//! Keys are held only as SHA-256 digests. A presented key is hashed and its digest compared
//! with every configured one in constant time and without stopping at a match, so neither
//! the time taken nor the work done tells a caller how close a guess came, or which key it
//! resembled. A fast hash is enough: keys are long random strings (validation refuses short
//! ones), which no one can recover from their digest, so a slow password hash would cost
//! every request and protect nothing more.

use std::sync::Arc;

use http::{HeaderMap, header};
use hub_core::config::AccessKeyConfig;
use sha2::{Digest, Sha256};
use subtle::{Choice, ConditionallySelectable, ConstantTimeEq};

use crate::error::GatewayError;

type KeyDigest = [u8; 32];

/// The keys a snapshot knows, by name. A disabled key matches nothing, but keeps the
/// gateway closed.
#[derive(Default)]
pub(crate) struct AccessKeys {
    keys: Vec<Known>,
}

struct Known {
    name: Arc<str>,
    digest: KeyDigest,
    enabled: Choice,
}

/// The digests are not secret, but no log needs them either.
impl std::fmt::Debug for AccessKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.keys.iter().map(|key| &*key.name).collect();
        f.debug_struct("AccessKeys").field("names", &names).finish()
    }
}

/// A configured key that cannot be used: a digest that validation should have refused.
#[derive(Debug, thiserror::Error)]
#[error("general.access_keys[{index}]: give `key`, or `key_sha256` as 64 hexadecimal digits")]
pub struct AccessKeyError {
    pub index: usize,
}

impl AccessKeys {
    pub(crate) fn new(configured: &[AccessKeyConfig]) -> Result<AccessKeys, AccessKeyError> {
        let keys = configured
            .iter()
            .enumerate()
            .map(|(index, key)| {
                let digest = match (&key.key, &key.key_sha256) {
                    (Some(plain), _) => Some(digest_of(plain.as_bytes())),
                    (None, Some(hex_digest)) => decode_digest(hex_digest),
                    (None, None) => None,
                };
                Ok(Known {
                    name: Arc::from(key.name.as_str()),
                    digest: digest.ok_or(AccessKeyError { index })?,
                    enabled: Choice::from(u8::from(key.enabled)),
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(AccessKeys { keys })
    }

    /// Whether every client is served, with or without a key: only when no key is
    /// configured at all, enabled or not.
    pub(crate) fn is_open(&self) -> bool {
        self.keys.is_empty()
    }

    /// The name of the key the request bears. `None` when no keys are configured.
    pub(crate) fn check(&self, headers: &HeaderMap) -> Result<Option<Arc<str>>, GatewayError> {
        if self.is_open() {
            return Ok(None);
        }
        let presented = bearer(headers).ok_or(GatewayError::Unauthorized {
            message: "Missing API key: send it as `Authorization: Bearer <key>`.",
        })?;
        let presented = digest_of(presented);

        let mut found = Choice::from(0);
        let mut position = 0u32;
        for (index, key) in self.keys.iter().enumerate() {
            let same = key.digest.ct_eq(&presented) & key.enabled;
            position.conditional_assign(&(index as u32), same);
            found |= same;
        }

        if bool::from(found) {
            Ok(self
                .keys
                .get(position as usize)
                .map(|key| Arc::clone(&key.name)))
        } else {
            Err(GatewayError::Unauthorized {
                message: "The API key provided is not valid.",
            })
        }
    }
}

/// The token of `Authorization: Bearer <token>`; the scheme's case does not matter
/// (RFC 9110 section 11.1).
fn bearer(headers: &HeaderMap) -> Option<&[u8]> {
    let value = headers.get(header::AUTHORIZATION)?.as_bytes();
    let (scheme, token) = value.split_at_checked(b"Bearer ".len())?;
    let token = token.trim_ascii();
    let is_bearer = scheme.eq_ignore_ascii_case(b"Bearer ");
    (is_bearer && !token.is_empty()).then_some(token)
}

fn digest_of(key: &[u8]) -> KeyDigest {
    Sha256::digest(key).into()
}

fn decode_digest(text: &str) -> Option<KeyDigest> {
    let mut digest = [0; 32];
    hex::decode_to_slice(text, &mut digest).ok()?;
    Some(digest)
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;

    const KEY: &str = "hub-test-key-0123456789abcdef0123456789";
    const RETIRED: &str = "hub-retired-key-0123456789abcdef012345";

    fn keys() -> AccessKeys {
        let digest = hex::encode(digest_of(b"hub-second-key-0123456789abcdef012345"));
        AccessKeys::new(&[
            AccessKeyConfig {
                name: "first".to_owned(),
                key: Some(KEY.to_owned()),
                key_sha256: None,
                enabled: true,
            },
            AccessKeyConfig {
                name: "second".to_owned(),
                key: None,
                key_sha256: Some(digest.to_ascii_uppercase()),
                enabled: true,
            },
            AccessKeyConfig {
                name: "retired".to_owned(),
                key: Some(RETIRED.to_owned()),
                key_sha256: None,
                enabled: false,
            },
        ])
        .unwrap()
    }

    fn check(keys: &AccessKeys, authorization: Option<&str>) -> Result<Option<String>, String> {
        let mut headers = HeaderMap::new();
        if let Some(value) = authorization {
            headers.insert(header::AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        }
        keys.check(&headers)
            .map(|name| name.map(|name| name.to_string()))
            .map_err(|error| error.to_string())
    }

    #[test]
    fn a_listed_key_is_known_by_its_name() {
        let keys = keys();
        let second = "Bearer hub-second-key-0123456789abcdef012345";

        assert_eq!(
            check(&keys, Some(&format!("Bearer {KEY}"))),
            Ok(Some("first".into()))
        );
        assert_eq!(
            check(&keys, Some(&format!("bearer  {KEY} "))),
            Ok(Some("first".into()))
        );
        assert_eq!(check(&keys, Some(second)), Ok(Some("second".into())));
    }

    #[test]
    fn anything_else_is_refused_without_repeating_it() {
        let keys = keys();
        for authorization in [
            None,
            Some("Bearer "),
            Some(KEY),
            Some(&format!("Basic {KEY}")),
            Some(&format!("Bearer {KEY}x")),
            Some(&format!("Bearer {}", &KEY[..KEY.len() - 1])),
            Some(&format!("Bearer {RETIRED}")),
        ] {
            let refusal = check(&keys, authorization).unwrap_err();
            assert!(!refusal.contains("hub-"), "{refusal}");
        }
    }

    #[test]
    fn with_every_key_disabled_no_request_passes() {
        let locked = AccessKeys::new(&[AccessKeyConfig {
            name: "retired".to_owned(),
            key: Some(RETIRED.to_owned()),
            key_sha256: None,
            enabled: false,
        }])
        .unwrap();
        assert!(!locked.is_open());
        assert!(check(&locked, None).is_err());
        assert!(check(&locked, Some(&format!("Bearer {RETIRED}"))).is_err());
    }

    #[test]
    fn without_keys_every_request_passes() {
        let open = AccessKeys::default();
        assert!(open.is_open());
        assert_eq!(check(&open, None), Ok(None));
    }

    #[test]
    fn a_malformed_digest_is_refused_when_built() {
        let error = AccessKeys::new(&[AccessKeyConfig {
            name: "bad".to_owned(),
            key: None,
            key_sha256: Some("abc".to_owned()),
            enabled: true,
        }])
        .unwrap_err();
        assert_eq!(error.index, 0);
    }
}
