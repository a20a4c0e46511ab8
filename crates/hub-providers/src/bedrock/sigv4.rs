//! SigV4 signing of Bedrock calls, done by AWS's own `aws-sigv4` crate, and the path encoding
//! that the signature covers.
//!
//! Bedrock's signing name is `bedrock`, not the `bedrock-runtime` of its host. The canonical
//! path is the sent path encoded once more (`%3A` becomes `%253A`), which is `aws-sigv4`'s
//! default `PercentEncodingMode::Double`. A session token is added as `X-Amz-Security-Token`
//! before signing, so it is signed too.

use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use http::Request;
use tracing::subscriber::NoSubscriber;

/// The service name in the credential scope.
const SIGNING_NAME: &str = "bedrock";

/// Headers that carry a credential and must never appear in debug output.
const SECRET_HEADERS: [&str; 2] = ["authorization", "x-amz-security-token"];

/// The signature could not be computed.
#[derive(Debug, thiserror::Error)]
#[error("cannot sign the request: {0}")]
pub(super) struct SigningFailed(String);

/// Signs `request`, whose body is `body`, adding `X-Amz-Date`, `Authorization` and, with
/// temporary credentials, `X-Amz-Security-Token`.
///
/// Every header already on the request is signed, and `host` is derived from the URI as the
/// client will send it; so the request must not gain headers after this.
pub(super) fn sign_request<B>(
    request: &mut Request<B>,
    body: &[u8],
    credentials: &Credentials,
    region: &str,
    time: SystemTime,
) -> Result<(), SigningFailed> {
    let identity = Identity::from(credentials.clone());
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(SIGNING_NAME)
        .time(time)
        .settings(SigningSettings::default())
        .build()
        .map_err(|error| SigningFailed(error.to_string()))?
        .into();

    let uri = request.uri().to_string();
    let headers = request
        .headers()
        .iter()
        .filter_map(|(name, value)| Some((name.as_str(), value.to_str().ok()?)));
    let signable = SignableRequest::new(
        request.method().as_str(),
        uri,
        headers,
        SignableBody::Bytes(body),
    )
    .map_err(|error| SigningFailed(error.to_string()))?;
    // aws-sigv4 logs its parameters at trace level, the access key id among them; no log
    // filter a user sets may bring that out, so it signs with tracing switched off.
    let signed =
        tracing::subscriber::with_default(NoSubscriber::default(), || sign(signable, &params));
    let (instructions, _signature) = signed
        .map_err(|error| SigningFailed(error.to_string()))?
        .into_parts();

    instructions.apply_to_request_http1x(request);
    hide_secrets(request.headers_mut());
    Ok(())
}

fn hide_secrets(headers: &mut http::HeaderMap) {
    for name in SECRET_HEADERS {
        if let Some(value) = headers.get_mut(name) {
            value.set_sensitive(true);
        }
    }
}

/// A model id, inference-profile id or ARN as one URI path segment: every byte but the
/// unreserved `A-Z a-z 0-9 - . _ ~` is percent-encoded, as botocore renders URI labels. So
/// `anthropic.claude-3-haiku-20240307-v1:0` becomes `anthropic.claude-3-haiku-20240307-v1%3A0`,
/// and an ARN's `/` and `:` are encoded too.
pub(super) fn encode_label(label: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut encoded = String::with_capacity(label.len() * 3 / 2);
    for byte in label.bytes() {
        let unreserved = byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~');
        if unreserved {
            encoded.push(char::from(byte));
        } else {
            encoded.push('%');
            encoded.push(char::from(HEX[usize::from(byte >> 4)]));
            encoded.push(char::from(HEX[usize::from(byte & 0x0f)]));
        }
    }
    encoded
}

#[cfg(test)]
mod tests;
