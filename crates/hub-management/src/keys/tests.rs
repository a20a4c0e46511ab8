//! Tests of sealing: round trips, contexts, tampering, rotation, and keys refused.

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
fn debug_output_shows_key_ids_and_nothing_sealed() {
    let ring = Keyring::new(KEY_A, &[KEY_B]).unwrap();
    let sealed = ring.seal("sk-sealed-plaintext-01", "c").unwrap();
    let text = format!("{ring:?} {sealed:?} {ring:#?} {sealed:#?}");
    let ciphertext = STANDARD.encode(&sealed.ciphertext);
    for hidden in [KEY_A, KEY_B, "sk-sealed-plaintext-01", ciphertext.as_str()] {
        assert!(!text.contains(hidden), "{hidden} in {text}");
    }
    assert!(text.contains(ring.current_key_id()), "{text}");
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
