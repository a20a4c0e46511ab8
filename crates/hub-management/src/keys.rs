//! Sealing secret values at rest: AES-256-GCM under a key from the environment.
//!
//! Each sealed value records the id of the key that sealed it, so keys can rotate: the
//! current key (`HUB_SECRET_KEY`) seals, and it or any previous key
//! (`HUB_PREVIOUS_SECRET_KEYS`) opens. A key's id is derived from the key itself, so
//! nothing else has to be configured. Every value is bound to the place it is stored (its
//! context, such as `provider/<id>/api_key`), so a sealed value copied to another row does
//! not open there.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::digest::{SHA256, digest};
use ring::rand::{SecureRandom, SystemRandom};
use secrecy::SecretString;

/// The variable holding the key that seals new values.
pub const SECRET_KEY_VAR: &str = "HUB_SECRET_KEY";
/// The variable holding keys that still open values sealed before a rotation.
pub const PREVIOUS_SECRET_KEYS_VAR: &str = "HUB_PREVIOUS_SECRET_KEYS";

const KEY_LEN: usize = 32;

/// Why a key from the environment was refused. The key itself is never part of the message.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("{variable} is not set; give it 32 random bytes in base64 (`openssl rand -base64 32`)")]
    Missing { variable: &'static str },
    #[error("{variable} is not valid base64; give it 32 random bytes in base64")]
    NotBase64 { variable: &'static str },
    #[error("{variable} must hold 32 bytes in base64, not {length}")]
    WrongLength {
        variable: &'static str,
        length: usize,
    },
}

/// Why a value could not be sealed or opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CipherError {
    /// The value was sealed under a key that is neither current nor listed as previous.
    #[error(
        "sealed under key {key_id}, which is neither HUB_SECRET_KEY nor one of \
         HUB_PREVIOUS_SECRET_KEYS"
    )]
    UnknownKey { key_id: String },
    /// The ciphertext, its nonce or its context do not match: altered, or moved from
    /// another row.
    #[error("cannot be opened: the stored value was altered or belongs elsewhere")]
    Tampered,
    /// The system's random source failed.
    #[error("no randomness available to seal a value")]
    Random,
}

/// One AES-256-GCM key and its id.
struct SecretKey {
    id: String,
    key: LessSafeKey,
}

impl SecretKey {
    fn from_base64(variable: &'static str, encoded: &str) -> Result<SecretKey, KeyError> {
        let bytes = STANDARD
            .decode(encoded.trim())
            .map_err(|_| KeyError::NotBase64 { variable })?;
        if bytes.len() != KEY_LEN {
            return Err(KeyError::WrongLength {
                variable,
                length: bytes.len(),
            });
        }

        let unbound = UnboundKey::new(&AES_256_GCM, &bytes).map_err(|_| KeyError::WrongLength {
            variable,
            length: bytes.len(),
        })?;
        Ok(SecretKey {
            id: key_id(&bytes),
            key: LessSafeKey::new(unbound),
        })
    }
}

/// A short, stable name for a key: a hash of it under a label of its own, so the id says
/// nothing about the key and cannot collide with another use of the same hash.
fn key_id(key: &[u8]) -> String {
    let mut labelled = b"hub secret key id\0".to_vec();
    labelled.extend_from_slice(key);
    let hash = digest(&SHA256, &labelled);
    let hex: String = hash.as_ref()[..6]
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    format!("k{hex}")
}

/// A value sealed under one key: what is stored, never the value itself.
#[derive(Clone, PartialEq, Eq)]
pub struct Sealed {
    pub key_id: String,
    pub nonce: Vec<u8>,
    pub ciphertext: Vec<u8>,
}

impl fmt::Debug for Sealed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sealed")
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

/// The keys a process holds: the current one, which seals, and previous ones, which only
/// open.
pub struct Keyring {
    current: SecretKey,
    previous: Vec<SecretKey>,
    random: SystemRandom,
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let previous: Vec<&str> = self.previous.iter().map(|key| key.id.as_str()).collect();
        f.debug_struct("Keyring")
            .field("current", &self.current.id)
            .field("previous", &previous)
            .finish()
    }
}

impl Keyring {
    /// A keyring of `current` and any `previous` keys, each 32 bytes in base64.
    pub fn new(current: &str, previous: &[&str]) -> Result<Keyring, KeyError> {
        let current = SecretKey::from_base64(SECRET_KEY_VAR, current)?;
        let previous = previous
            .iter()
            .map(|key| SecretKey::from_base64(PREVIOUS_SECRET_KEYS_VAR, key))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Keyring {
            current,
            previous,
            random: SystemRandom::new(),
        })
    }

    /// The keyring the environment describes: `HUB_SECRET_KEY`, and the comma-separated
    /// `HUB_PREVIOUS_SECRET_KEYS` when set.
    pub fn from_env(env: &dyn hub_config::Environment) -> Result<Keyring, KeyError> {
        let current = env
            .var(SECRET_KEY_VAR)
            .filter(|value| !value.trim().is_empty())
            .ok_or(KeyError::Missing {
                variable: SECRET_KEY_VAR,
            })?;
        let previous = env.var(PREVIOUS_SECRET_KEYS_VAR).unwrap_or_default();
        let previous: Vec<&str> = previous
            .split(',')
            .map(str::trim)
            .filter(|key| !key.is_empty())
            .collect();
        Keyring::new(&current, &previous)
    }

    /// The id of the key that seals new values.
    pub fn current_key_id(&self) -> &str {
        &self.current.id
    }

    /// Seals `plaintext` under the current key, bound to `context`.
    pub fn seal(&self, plaintext: &str, context: &str) -> Result<Sealed, CipherError> {
        let mut nonce = [0u8; NONCE_LEN];
        self.random
            .fill(&mut nonce)
            .map_err(|_| CipherError::Random)?;

        let mut in_out = plaintext.as_bytes().to_vec();
        self.current
            .key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(context.as_bytes()),
                &mut in_out,
            )
            .map_err(|_| CipherError::Tampered)?;
        Ok(Sealed {
            key_id: self.current.id.clone(),
            nonce: nonce.to_vec(),
            ciphertext: in_out,
        })
    }

    /// Opens a value sealed under any key of the ring, bound to `context`.
    pub fn open(&self, sealed: &Sealed, context: &str) -> Result<SecretString, CipherError> {
        let key = std::iter::once(&self.current)
            .chain(&self.previous)
            .find(|key| key.id == sealed.key_id)
            .ok_or_else(|| CipherError::UnknownKey {
                key_id: sealed.key_id.clone(),
            })?;
        let nonce =
            Nonce::try_assume_unique_for_key(&sealed.nonce).map_err(|_| CipherError::Tampered)?;

        let mut in_out = sealed.ciphertext.clone();
        let plaintext = key
            .key
            .open_in_place(nonce, Aad::from(context.as_bytes()), &mut in_out)
            .map_err(|_| CipherError::Tampered)?;
        let text = std::str::from_utf8(plaintext).map_err(|_| CipherError::Tampered)?;
        Ok(SecretString::from(text))
    }

    /// Whether `sealed` is under a key other than the current one, and so due for
    /// re-sealing after a rotation.
    pub fn is_stale(&self, sealed: &Sealed) -> bool {
        sealed.key_id != self.current.id
    }
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    const KEY_A: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    const KEY_B: &str = "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=";

    #[test]
    fn seals_and_opens_in_the_same_context() {
        let keyring = Keyring::new(KEY_A, &[]).unwrap();
        let sealed = keyring.seal("sk-live-123", "provider/1/api_key").unwrap();

        assert_eq!(sealed.key_id, keyring.current_key_id());
        assert!(!contains(&sealed.ciphertext, b"sk-live-123"));
        let opened = keyring.open(&sealed, "provider/1/api_key").unwrap();
        assert_eq!(opened.expose_secret(), "sk-live-123");
    }

    #[test]
    fn every_seal_draws_a_new_nonce() {
        let keyring = Keyring::new(KEY_A, &[]).unwrap();
        let first = keyring.seal("same", "c").unwrap();
        let second = keyring.seal("same", "c").unwrap();
        assert_ne!(first.nonce, second.nonce);
        assert_ne!(first.ciphertext, second.ciphertext);
    }

    #[test]
    fn refuses_another_context_or_an_altered_value() {
        let keyring = Keyring::new(KEY_A, &[]).unwrap();
        let sealed = keyring.seal("sk-live-123", "provider/1/api_key").unwrap();

        let moved = keyring.open(&sealed, "provider/2/api_key");
        assert_eq!(moved.unwrap_err(), CipherError::Tampered);

        let mut altered = sealed.clone();
        altered.ciphertext[0] ^= 1;
        assert_eq!(
            keyring.open(&altered, "provider/1/api_key").unwrap_err(),
            CipherError::Tampered
        );
    }

    #[test]
    fn a_rotated_ring_opens_old_values_and_seals_under_the_new_key() {
        let old = Keyring::new(KEY_A, &[]).unwrap();
        let sealed = old.seal("v", "c").unwrap();

        let rotated = Keyring::new(KEY_B, &[KEY_A]).unwrap();
        assert!(rotated.is_stale(&sealed));
        assert_eq!(rotated.open(&sealed, "c").unwrap().expose_secret(), "v");
        assert_eq!(
            rotated.seal("v", "c").unwrap().key_id,
            rotated.current_key_id()
        );

        let forgotten = Keyring::new(KEY_B, &[]).unwrap();
        assert!(matches!(
            forgotten.open(&sealed, "c").unwrap_err(),
            CipherError::UnknownKey { .. }
        ));
    }

    #[test]
    fn key_ids_differ_per_key_and_do_not_reveal_it() {
        let a = Keyring::new(KEY_A, &[]).unwrap();
        let b = Keyring::new(KEY_B, &[]).unwrap();
        assert_ne!(a.current_key_id(), b.current_key_id());
        assert_eq!(a.current_key_id().len(), 13);
        assert!(!format!("{a:?}").contains(KEY_A));
    }

    #[test]
    fn refuses_malformed_keys_without_echoing_them() {
        let short = STANDARD.encode([7u8; 16]);
        let error = Keyring::new(&short, &[]).unwrap_err();
        assert_eq!(
            error.to_string(),
            "HUB_SECRET_KEY must hold 32 bytes in base64, not 16"
        );

        let error = Keyring::new("not base64!", &[]).unwrap_err();
        assert!(!error.to_string().contains("not base64!"), "{error}");

        let error = Keyring::new(KEY_A, &["???"]).unwrap_err();
        assert!(
            error.to_string().starts_with("HUB_PREVIOUS_SECRET_KEYS"),
            "{error}"
        );
    }

    #[test]
    fn reads_the_environment() {
        let env = std::collections::BTreeMap::from([
            (SECRET_KEY_VAR.to_owned(), KEY_B.to_owned()),
            (PREVIOUS_SECRET_KEYS_VAR.to_owned(), format!(" {KEY_A} ,")),
        ]);
        let keyring = Keyring::from_env(&env).unwrap();
        let old = Keyring::new(KEY_A, &[]).unwrap().seal("v", "c").unwrap();
        assert!(keyring.open(&old, "c").is_ok());

        let error = Keyring::from_env(&std::collections::BTreeMap::new()).unwrap_err();
        assert!(error.to_string().starts_with("HUB_SECRET_KEY is not set"));
    }

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack
            .windows(needle.len())
            .any(|window| window == needle)
    }
}
