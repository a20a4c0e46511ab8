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
mod tests;
