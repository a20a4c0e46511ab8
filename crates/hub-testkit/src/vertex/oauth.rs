//! The OAuth2 token endpoint: the JWT-bearer grant a service account makes, checked as Google
//! checks it, and the access tokens it issues.
//!
//! A grant is refused unless its JWT is signed (RS256) by the test service account's key and
//! names that key (`kid`), the account (`iss`), this endpoint (`aud`) and the `cloud-platform`
//! scope, was issued no later than now and expires after now, within an hour of its issue.
//! Refusals are OAuth2's: `400 {"error": "invalid_grant", "error_description": ...}`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use http::header::{CONTENT_TYPE, HOST};
use http::request::Parts;
use http::{Method, Response, StatusCode};
use ring::signature::{RSA_PKCS1_2048_8192_SHA256, UnparsedPublicKey};
use serde_json::{Value, json};
use tokio::time::Instant;

use super::{TEST_SERVICE_ACCOUNT_EMAIL, TEST_SERVICE_ACCOUNT_KEY_ID};
use crate::body::{self, MockBody};

/// The test service account's public key (PKCS#1 PEM).
const TEST_PUBLIC_KEY: &str = include_str!("../../fixtures/test-service-account-public.pem");

const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
const CLOUD_PLATFORM: &str = "https://www.googleapis.com/auth/cloud-platform";

/// How far a client's clock may run ahead of the endpoint's.
const CLOCK_SKEW_SECS: u64 = 60;

/// The tokens issued, and when each expires.
#[derive(Debug)]
pub(super) struct Tokens {
    lifetime: Duration,
    issued: Mutex<HashMap<String, Instant>>,
    serial: AtomicU64,
    public_key: Vec<u8>,
}

/// An OAuth2 refusal.
#[derive(Debug)]
struct Refusal {
    error: &'static str,
    description: String,
}

fn refuse(error: &'static str, description: impl Into<String>) -> Refusal {
    Refusal {
        error,
        description: description.into(),
    }
}

impl Tokens {
    pub(super) fn new(lifetime: Duration) -> Self {
        let base64: String = TEST_PUBLIC_KEY
            .lines()
            .filter(|line| !line.starts_with("-----"))
            .collect();
        let public_key = STANDARD
            .decode(base64)
            .expect("the fixture public key is valid base64");
        Self {
            lifetime,
            issued: Mutex::new(HashMap::new()),
            serial: AtomicU64::new(1),
            public_key,
        }
    }

    /// Whether `token` was issued here and has not expired.
    pub(super) fn is_valid(&self, token: &str) -> bool {
        let issued = self.issued.lock().unwrap_or_else(PoisonError::into_inner);
        issued
            .get(token)
            .is_some_and(|expires| Instant::now() < *expires)
    }

    /// Answers a request to the token endpoint.
    pub(super) fn grant(&self, parts: &Parts, body: &[u8]) -> Response<MockBody> {
        match self.check_grant(parts, body) {
            Ok(()) => self.issue(),
            Err(refusal) => {
                let body = json!({"error": refusal.error,
                                  "error_description": refusal.description});
                body::json(StatusCode::BAD_REQUEST, &body)
            }
        }
    }

    fn issue(&self) -> Response<MockBody> {
        let token = format!("ya29.mock-{}", self.serial.fetch_add(1, Ordering::Relaxed));
        let expires = Instant::now() + self.lifetime;
        self.issued
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(token.clone(), expires);

        let body = json!({"access_token": token, "expires_in": self.lifetime.as_secs(),
                          "token_type": "Bearer"});
        body::json(StatusCode::OK, &body)
    }

    fn check_grant(&self, parts: &Parts, body: &[u8]) -> Result<(), Refusal> {
        let form_encoded = parts
            .headers
            .get(CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| value.starts_with("application/x-www-form-urlencoded"));
        if parts.method != Method::POST || !form_encoded {
            return Err(refuse(
                "invalid_request",
                "Expected a POST of application/x-www-form-urlencoded.",
            ));
        }

        let form = form(body);
        let grant_type = form.get("grant_type").map(String::as_str);
        if grant_type != Some(JWT_BEARER) {
            let got = grant_type.unwrap_or_default();
            return Err(refuse(
                "unsupported_grant_type",
                format!("Invalid grant_type: {got}"),
            ));
        }
        let assertion = form
            .get("assertion")
            .ok_or_else(|| refuse("invalid_request", "Missing required parameter: assertion"))?;

        let host = parts.headers.get(HOST).and_then(|h| h.to_str().ok());
        let audience = format!("http://{}{}", host.unwrap_or_default(), parts.uri.path());
        self.check_jwt(assertion, &audience)
    }

    fn check_jwt(&self, jwt: &str, audience: &str) -> Result<(), Refusal> {
        let invalid = || {
            refuse(
                "invalid_grant",
                "Invalid JWT: not three base64url segments.",
            )
        };
        let (signed, signature) = jwt.rsplit_once('.').ok_or_else(invalid)?;
        let (header, claims) = signed.split_once('.').ok_or_else(invalid)?;
        let header = segment(header).ok_or_else(invalid)?;
        let claims = segment(claims).ok_or_else(invalid)?;
        let signature = URL_SAFE_NO_PAD.decode(signature).map_err(|_| invalid())?;

        check_header(&header)?;
        UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, &self.public_key)
            .verify(signed.as_bytes(), &signature)
            .map_err(|_| refuse("invalid_grant", "Invalid JWT Signature."))?;
        check_claims(&claims, audience)
    }
}

fn check_header(header: &Value) -> Result<(), Refusal> {
    if header["alg"] != "RS256" {
        return Err(refuse(
            "invalid_grant",
            "Invalid JWT: the algorithm must be RS256.",
        ));
    }
    if header["kid"] != TEST_SERVICE_ACCOUNT_KEY_ID {
        return Err(refuse(
            "invalid_grant",
            "Invalid JWT: the key id is not the account's.",
        ));
    }
    Ok(())
}

fn check_claims(claims: &Value, audience: &str) -> Result<(), Refusal> {
    if claims["iss"] != TEST_SERVICE_ACCOUNT_EMAIL {
        return Err(refuse("invalid_grant", "Invalid email or User ID"));
    }
    if claims["aud"] != audience {
        return Err(refuse(
            "invalid_grant",
            format!("Invalid JWT audience; expected {audience}"),
        ));
    }
    let scopes = claims["scope"].as_str().unwrap_or_default();
    if !scopes.split(' ').any(|scope| scope == CLOUD_PLATFORM) {
        return Err(refuse(
            "invalid_scope",
            "Invalid OAuth scope or ID token audience provided.",
        ));
    }

    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs());
    let (Some(iat), Some(exp)) = (claims["iat"].as_u64(), claims["exp"].as_u64()) else {
        return Err(refuse(
            "invalid_grant",
            "Invalid JWT: iat and exp must be numbers.",
        ));
    };
    let timely = iat <= now + CLOCK_SKEW_SECS && now < exp && exp > iat && exp - iat <= 3600;
    if !timely {
        return Err(refuse(
            "invalid_grant",
            "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable \
             timeframe. Check your iat and exp values in the JWT claim.",
        ));
    }
    Ok(())
}

/// A base64url JSON segment of a JWT.
fn segment(text: &str) -> Option<Value> {
    let bytes = URL_SAFE_NO_PAD.decode(text).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// The fields of an `application/x-www-form-urlencoded` body.
fn form(body: &[u8]) -> HashMap<String, String> {
    String::from_utf8_lossy(body)
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(name, value)| (percent_decode(name), percent_decode(value)))
        .collect()
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let escaped = bytes
            .get(index + 1..index + 3)
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match (bytes[index], escaped) {
            (b'%', Some(byte)) => {
                decoded.push(byte);
                index += 3;
            }
            (b'+', _) => {
                decoded.push(b' ');
                index += 1;
            }
            (byte, _) => {
                decoded.push(byte);
                index += 1;
            }
        }
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

#[cfg(test)]
mod tests;
