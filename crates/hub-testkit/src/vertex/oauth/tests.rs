//! The token endpoint's checks on the JWT a service account signs.

use ring::rand::SystemRandom;
use ring::signature::{RSA_PKCS1_SHA256, RsaKeyPair};

use super::*;

const AUDIENCE: &str = "http://127.0.0.1:9/token";
const PRIVATE_KEY: &str = include_str!("../../../fixtures/test-service-account-key.pem");

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn claims() -> Value {
    json!({"iss": TEST_SERVICE_ACCOUNT_EMAIL, "aud": AUDIENCE, "iat": now(),
           "exp": now() + 3600, "scope": CLOUD_PLATFORM})
}

fn header() -> Value {
    json!({"alg": "RS256", "typ": "JWT", "kid": TEST_SERVICE_ACCOUNT_KEY_ID})
}

/// A JWT signed with the test account's key, as a service account makes one.
fn sign(header: &Value, claims: &Value) -> String {
    let base64: String = PRIVATE_KEY
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .collect();
    let key = RsaKeyPair::from_pkcs8(&STANDARD.decode(base64).unwrap()).unwrap();
    let signed = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let mut signature = vec![0; key.public().modulus_len()];
    key.sign(
        &RSA_PKCS1_SHA256,
        &SystemRandom::new(),
        signed.as_bytes(),
        &mut signature,
    )
    .unwrap();
    format!("{signed}.{}", URL_SAFE_NO_PAD.encode(signature))
}

fn check(jwt: &str) -> Result<(), String> {
    let tokens = Tokens::new(Duration::from_secs(60));
    tokens
        .check_jwt(jwt, AUDIENCE)
        .map_err(|refusal| format!("{}: {}", refusal.error, refusal.description))
}

#[test]
fn a_jwt_signed_by_the_test_account_is_granted() {
    assert_eq!(check(&sign(&header(), &claims())), Ok(()));
}

#[test]
fn a_tampered_signature_is_refused() {
    let jwt = sign(&header(), &claims());
    let mut other = claims();
    other["scope"] = json!(format!(
        "{CLOUD_PLATFORM} https://www.googleapis.com/auth/drive"
    ));
    let (_, signature) = jwt.rsplit_once('.').unwrap();
    let forged = format!(
        "{}.{}.{signature}",
        URL_SAFE_NO_PAD.encode(header().to_string()),
        URL_SAFE_NO_PAD.encode(other.to_string())
    );

    assert_eq!(
        check(&forged),
        Err("invalid_grant: Invalid JWT Signature.".to_owned())
    );
}

#[test]
fn each_claim_is_checked() {
    let edits: [(&str, Value, &str); 6] = [
        (
            "iss",
            json!("someone@else.iam.gserviceaccount.com"),
            "invalid_grant",
        ),
        (
            "aud",
            json!("https://oauth2.googleapis.com/token"),
            "invalid_grant",
        ),
        (
            "scope",
            json!("https://www.googleapis.com/auth/drive"),
            "invalid_scope",
        ),
        ("exp", json!(now() - 10), "invalid_grant"),
        ("iat", json!(now() + 600), "invalid_grant"),
        ("exp", json!(now() + 7200), "invalid_grant"),
    ];

    for (claim, value, error) in edits {
        let mut claims = claims();
        claims[claim] = value;
        let refused = check(&sign(&header(), &claims)).unwrap_err();
        assert!(refused.starts_with(error), "{claim}: {refused}");
    }
}

#[test]
fn a_foreign_key_id_or_algorithm_is_refused() {
    let mut wrong_kid = header();
    wrong_kid["kid"] = json!("another-key");
    assert!(check(&sign(&wrong_kid, &claims())).is_err());

    let mut wrong_alg = header();
    wrong_alg["alg"] = json!("HS256");
    assert!(check(&sign(&wrong_alg, &claims())).is_err());
}

#[test]
fn form_bodies_are_percent_decoded() {
    let form = form(b"grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&a=b+c");

    assert_eq!(form["grant_type"], JWT_BEARER);
    assert_eq!(form["a"], "b c");
}
