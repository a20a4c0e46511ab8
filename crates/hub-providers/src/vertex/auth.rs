//! Vertex AI's credentials: an API key, or a service account that trades a signed JWT for an
//! OAuth2 access token.
//!
//! The service-account flow is Google's: a JWT (RS256, `kid` the key's id) whose claims name
//! the account (`iss`), the `cloud-platform` scope, the token endpoint (`aud`) and an hour of
//! validity, posted to the key file's `token_uri` as a `jwt-bearer` grant. The token that comes
//! back is shared by every request of the provider and fetched again shortly before it
//! expires. Reading it is lock-free; a refresh is made by one request while the others that
//! need it wait for that one, so a burst of requests costs a single token call.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use arc_swap::ArcSwapOption;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use bytes::Bytes;
use http::{HeaderValue, Method, Request, StatusCode, Uri, header};
use http_body_util::Full;
use hub_core::{Error, ErrorBody};
use ring::rand::SystemRandom;
use ring::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use serde::Deserialize;
use serde_json::json;
use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::BuildError;
use crate::upstream::{MAX_ERROR_BYTES, Upstream};

/// The scope Vertex AI calls need.
const CLOUD_PLATFORM: &str = "https://www.googleapis.com/auth/cloud-platform";

/// The token endpoint of a key file that names none.
const GOOGLE_TOKEN_URI: &str = "https://oauth2.googleapis.com/token";

/// `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer`, form-encoded.
const JWT_BEARER_GRANT: &str = "urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer";

/// How long a signed assertion is valid: Google's maximum.
const ASSERTION_LIFETIME_SECS: u64 = 3600;

/// How long before its expiry a token is replaced, so that no request carries one that
/// expires on the way. Short-lived tokens are replaced halfway through their life instead.
const REFRESH_MARGIN: Duration = Duration::from_secs(300);

/// The longest a token call may take, whatever the provider's own timeout.
const TOKEN_TIMEOUT: Duration = Duration::from_secs(30);

/// The fields of a service-account key file that Hub uses.
#[derive(Deserialize)]
struct KeyFile {
    #[serde(rename = "type")]
    kind: String,
    client_email: String,
    private_key: String,
    #[serde(default)]
    private_key_id: Option<String>,
    #[serde(default)]
    token_uri: Option<String>,
}

/// A service account that can sign token requests.
pub(super) struct ServiceAccount {
    email: String,
    key_id: Option<String>,
    key: RsaKeyPair,
    token_uri: Uri,
    rng: SystemRandom,
}

/// The private key never reaches a log.
impl fmt::Debug for ServiceAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceAccount")
            .field("email", &self.email)
            .field("token_uri", &self.token_uri)
            .finish_non_exhaustive()
    }
}

impl ServiceAccount {
    /// Reads a key file's JSON; `field` names the setting it came from in errors, which never
    /// quote the file.
    pub(super) fn from_json(json: &str, field: &'static str) -> Result<Self, BuildError> {
        let invalid = |message: String| BuildError::InvalidSetting { field, message };
        let file: KeyFile = serde_json::from_str(json)
            .map_err(|error| invalid(format!("not a service-account key file: {error}")))?;
        if file.kind != "service_account" {
            return Err(invalid(format!(
                "the key file's type is `{}`, not `service_account`",
                file.kind
            )));
        }

        let der = pkcs8_der(&file.private_key)
            .ok_or_else(|| invalid("`private_key` is not a PEM `PRIVATE KEY`".to_owned()))?;
        let key = RsaKeyPair::from_pkcs8(&der)
            .map_err(|error| invalid(format!("`private_key` is not a usable RSA key: {error}")))?;
        let token_uri = file.token_uri.as_deref().unwrap_or(GOOGLE_TOKEN_URI);
        let token_uri = token_uri
            .parse()
            .map_err(|_| invalid("`token_uri` is not a URL".to_owned()))?;

        Ok(ServiceAccount {
            email: file.client_email,
            key_id: file.private_key_id,
            key,
            token_uri,
            rng: SystemRandom::new(),
        })
    }

    /// The signed JWT that asks for a token, issued at `now` (Unix seconds).
    fn assertion(&self, now: u64) -> Result<String, Error> {
        let header = match &self.key_id {
            Some(key_id) => json!({"alg": "RS256", "typ": "JWT", "kid": key_id}),
            None => json!({"alg": "RS256", "typ": "JWT"}),
        };
        let claims = json!({
            "iss": self.email,
            "scope": CLOUD_PLATFORM,
            "aud": self.token_uri.to_string(),
            "iat": now,
            "exp": now + ASSERTION_LIFETIME_SECS,
        });
        let signed = format!("{}.{}", encode(&header), encode(&claims));

        let mut signature = vec![0; self.key.public().modulus_len()];
        self.key
            .sign(
                &RSA_PKCS1_SHA256,
                &self.rng,
                signed.as_bytes(),
                &mut signature,
            )
            .map_err(|_| Error::Internal("could not sign the token request".to_owned()))?;
        Ok(format!("{signed}.{}", URL_SAFE_NO_PAD.encode(signature)))
    }
}

fn encode(value: &serde_json::Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

/// The DER inside a PEM `PRIVATE KEY` block (PKCS#8), as Google's key files hold it.
fn pkcs8_der(pem: &str) -> Option<Vec<u8>> {
    let body = pem
        .trim()
        .strip_prefix("-----BEGIN PRIVATE KEY-----")?
        .strip_suffix("-----END PRIVATE KEY-----")?;
    let base64: String = body.chars().filter(|c| !c.is_whitespace()).collect();
    STANDARD.decode(base64).ok()
}

/// An access token ready to be sent, and when to stop sending it.
struct AccessToken {
    header: HeaderValue,
    refresh_at: Instant,
}

/// Access tokens for one service account, shared by every request of a provider.
pub(super) struct TokenSource {
    account: ServiceAccount,
    upstream: Upstream,
    current: ArcSwapOption<AccessToken>,
    refreshing: Mutex<()>,
}

impl fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSource")
            .field("account", &self.account)
            .finish_non_exhaustive()
    }
}

/// The token endpoint's answer.
#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default)]
    token_type: Option<String>,
    /// Seconds; some servers send it as a string.
    #[serde(default)]
    expires_in: Option<serde_json::Value>,
}

/// The token endpoint's refusal: `{"error": "invalid_grant", "error_description": "..."}`.
#[derive(Deserialize)]
struct TokenError {
    error: String,
    #[serde(default)]
    error_description: Option<String>,
}

impl TokenSource {
    pub(super) fn new(account: ServiceAccount, upstream: Upstream) -> Self {
        TokenSource {
            account,
            upstream,
            current: ArcSwapOption::empty(),
            refreshing: Mutex::new(()),
        }
    }

    /// `Bearer <token>`, fetching a token first when there is none or it is due for refresh.
    pub(super) async fn bearer(&self) -> Result<HeaderValue, Error> {
        if let Some(token) = self.fresh() {
            return Ok(token);
        }

        let _refresh = self.refreshing.lock().await;
        // Another request may have refreshed the token while this one waited.
        if let Some(token) = self.fresh() {
            return Ok(token);
        }
        let token = self.fetch().await?;
        let header = token.header.clone();
        self.current.store(Some(Arc::new(token)));
        Ok(header)
    }

    fn fresh(&self) -> Option<HeaderValue> {
        let current = self.current.load();
        let token = current.as_ref()?;
        (Instant::now() < token.refresh_at).then(|| token.header.clone())
    }

    async fn fetch(&self) -> Result<AccessToken, Error> {
        let requested = Instant::now();
        let deadline = requested + self.upstream.timeout.min(TOKEN_TIMEOUT);
        let request = self.token_request()?;

        let response = self
            .upstream
            .send(request, deadline)
            .await
            .map_err(about_token)?;
        let status = response.status();
        let body = self
            .upstream
            .read_body(response.into_body(), MAX_ERROR_BYTES, deadline)
            .await
            .map_err(about_token)?;
        if !status.is_success() {
            return Err(self.refused(status, &body));
        }
        self.token(&body, requested)
    }

    fn token_request(&self) -> Result<Request<Full<Bytes>>, Error> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_secs());
        let assertion = self.account.assertion(now)?;
        // The assertion is base64url and dots, which form encoding leaves as they are.
        let body = format!("grant_type={JWT_BEARER_GRANT}&assertion={assertion}");

        Request::builder()
            .method(Method::POST)
            .uri(self.account.token_uri.clone())
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT, "application/json")
            .body(Full::new(Bytes::from(body)))
            .map_err(|error| Error::Internal(format!("cannot build the token request: {error}")))
    }

    fn token(&self, body: &[u8], requested: Instant) -> Result<AccessToken, Error> {
        let answer: TokenResponse = serde_json::from_slice(body).map_err(|error| {
            self.upstream
                .protocol(format!("the token endpoint sent no token: {error}"))
        })?;
        let bearer = answer.token_type.as_deref().unwrap_or("Bearer");
        if !bearer.eq_ignore_ascii_case("bearer") {
            let message = format!("the token endpoint sent a `{bearer}` token, not a bearer");
            return Err(self.upstream.protocol(message));
        }

        let mut header =
            HeaderValue::try_from(format!("Bearer {}", answer.access_token)).map_err(|_| {
                self.upstream
                    .protocol("the access token is not a header value")
            })?;
        header.set_sensitive(true);
        self.upstream.redactor.learn(&answer.access_token);
        let lifetime = lifetime(answer.expires_in.as_ref());
        Ok(AccessToken {
            header,
            refresh_at: requested + refresh_after(lifetime),
        })
    }

    /// The error for a token endpoint that refused: Hub's credentials are at fault, so the
    /// client sees a bad gateway; a failing endpoint may be retried.
    fn refused(&self, status: StatusCode, body: &[u8]) -> Error {
        let reason = match serde_json::from_slice::<TokenError>(body) {
            Ok(TokenError {
                error,
                error_description: Some(description),
            }) => format!("{error}: {description}"),
            Ok(TokenError { error, .. }) => error,
            Err(_) => format!("status {status}"),
        };
        let message = format!("the token endpoint refused the service account: {reason}");
        let body = Box::new(ErrorBody::new("authentication_error", message));

        let provider = self.upstream.provider.clone();
        if status.is_server_error() {
            let retry_after = None;
            let status = status.as_u16();
            Error::UpstreamStatus {
                provider,
                status,
                body,
                retry_after,
            }
        } else {
            Error::UpstreamReported { provider, body }
        }
    }
}

/// Says that a connection failure happened on the way to the token endpoint.
fn about_token(error: Error) -> Error {
    match error {
        Error::UpstreamUnreachable { provider, message } => Error::UpstreamUnreachable {
            provider,
            message: format!("token endpoint: {message}"),
        },
        other => other,
    }
}

/// A token's lifetime from `expires_in`, an hour when the endpoint does not say.
fn lifetime(expires_in: Option<&serde_json::Value>) -> Duration {
    let seconds = match expires_in {
        Some(serde_json::Value::Number(number)) => number.as_f64(),
        Some(serde_json::Value::String(text)) => text.trim().parse().ok(),
        _ => None,
    };
    seconds
        .filter(|seconds| seconds.is_finite() && *seconds >= 0.0)
        .map_or(Duration::from_secs(3600), Duration::from_secs_f64)
}

/// How long after it was requested a token of `lifetime` is replaced.
fn refresh_after(lifetime: Duration) -> Duration {
    lifetime - REFRESH_MARGIN.min(lifetime / 2)
}

#[cfg(test)]
mod tests;
