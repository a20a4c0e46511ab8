//! The check AWS makes of every request: a SigV4 signature by a known key, scoped to this
//! region and to `bedrock`, made within five minutes of now; or a Bedrock API key.
//!
//! The signature is recomputed from the request as it arrived, with AWS's own `aws-sigv4`,
//! over exactly the headers the client says it signed. Nothing here comes from Hub's signer,
//! so a mistake in it (wrong service name, path encoding, a header added after signing)
//! shows as a 403 here as it would at AWS.

use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;
use http::request::Parts;

use super::AwsKey;
use super::error::AwsError;

/// How far a request's date may be from the clock, either way.
const MAX_SKEW: Duration = Duration::from_secs(5 * 60);

const SERVICE: &str = "bedrock";

/// What the emulator accepts.
#[derive(Debug, Clone, Copy)]
pub(super) struct Accepted<'a> {
    pub(super) region: &'a str,
    pub(super) keys: &'a [AwsKey],
    pub(super) api_keys: &'a [String],
    pub(super) echo_credentials: bool,
}

/// The parts of `Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=...,
/// Signature=...`.
#[derive(Debug)]
struct Authorization<'h> {
    access_key_id: &'h str,
    date: &'h str,
    region: &'h str,
    service: &'h str,
    terminator: &'h str,
    signed_headers: Vec<&'h str>,
    signature: &'h str,
}

pub(super) fn verify(
    parts: &Parts,
    body: &[u8],
    accepted: Accepted<'_>,
    now: SystemTime,
) -> Result<(), AwsError> {
    let verdict = check(parts, body, accepted, now);
    match verdict {
        Err(mut error) if accepted.echo_credentials => {
            let presented = |name| header(parts, name).unwrap_or_default();
            error.message = format!(
                "{} Authorization={} X-Amz-Security-Token={}",
                error.message,
                presented("authorization"),
                presented("x-amz-security-token")
            );
            Err(error)
        }
        verdict => verdict,
    }
}

fn check(
    parts: &Parts,
    body: &[u8],
    accepted: Accepted<'_>,
    now: SystemTime,
) -> Result<(), AwsError> {
    let Some(header) = header(parts, "authorization") else {
        return Err(AwsError::new(
            "MissingAuthenticationTokenException",
            "Missing Authentication Token",
        ));
    };
    if let Some(key) = header.strip_prefix("Bearer ") {
        return check_api_key(key.trim(), accepted.api_keys);
    }

    let authorization = parse(header)?;
    let key = known_key(parts, &authorization, accepted.keys)?;
    let time = check_date(parts, &authorization, accepted.region, now)?;
    check_signature(parts, body, &authorization, key, time)
}

fn header<'p>(parts: &'p Parts, name: &str) -> Option<&'p str> {
    parts
        .headers
        .get(name)
        .and_then(|value| value.to_str().ok())
}

fn invalid_token() -> AwsError {
    AwsError::new(
        "UnrecognizedClientException",
        "The security token included in the request is invalid.",
    )
}

fn check_api_key(key: &str, api_keys: &[String]) -> Result<(), AwsError> {
    if api_keys.iter().any(|known| known == key) {
        Ok(())
    } else {
        Err(invalid_token())
    }
}

fn parse(header: &str) -> Result<Authorization<'_>, AwsError> {
    let incomplete = |what: &str| {
        AwsError::new(
            "IncompleteSignatureException",
            format!("Authorization header requires '{what}' parameter. Authorization={header}"),
        )
    };
    let fields = header
        .strip_prefix("AWS4-HMAC-SHA256 ")
        .ok_or_else(|| incomplete("AWS4-HMAC-SHA256"))?;
    let field = |name: &str| {
        fields
            .split(',')
            .filter_map(|field| field.trim().split_once('='))
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value)
            .ok_or_else(|| incomplete(name))
    };

    let credential: Vec<&str> = field("Credential")?.split('/').collect();
    let [access_key_id, date, region, service, terminator] = credential[..] else {
        return Err(incomplete("Credential"));
    };
    Ok(Authorization {
        access_key_id,
        date,
        region,
        service,
        terminator,
        signed_headers: field("SignedHeaders")?.split(';').collect(),
        signature: field("Signature")?,
    })
}

/// The key the request names, with its session token presented and signed when it has one.
fn known_key<'k>(
    parts: &Parts,
    authorization: &Authorization<'_>,
    keys: &'k [AwsKey],
) -> Result<&'k AwsKey, AwsError> {
    let key = keys
        .iter()
        .find(|key| key.access_key_id == authorization.access_key_id)
        .ok_or_else(invalid_token)?;

    let presented = header(parts, "x-amz-security-token");
    let token_signed = authorization
        .signed_headers
        .contains(&"x-amz-security-token");
    match (&key.session_token, presented) {
        (None, None) => Ok(key),
        (Some(expected), Some(token)) if expected == token && token_signed => Ok(key),
        _ => Err(invalid_token()),
    }
}

/// The request's time, which must agree with the credential scope and the clock.
fn check_date(
    parts: &Parts,
    authorization: &Authorization<'_>,
    region: &str,
    now: SystemTime,
) -> Result<SystemTime, AwsError> {
    let invalid = |message: String| AwsError::new("InvalidSignatureException", message);
    let amz_date = header(parts, "x-amz-date").ok_or_else(|| {
        AwsError::new(
            "IncompleteSignatureException",
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
        )
    })?;
    let time = parse_amz_date(amz_date)
        .ok_or_else(|| invalid(format!("Invalid X-Amz-Date: {amz_date}")))?;

    if !amz_date.starts_with(authorization.date) || authorization.date.len() != 8 {
        return Err(invalid(format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date \
             from HTTP: '{}' != '{}', from '{amz_date}'.",
            authorization.date,
            &amz_date[..amz_date.len().min(8)]
        )));
    }
    if authorization.region != region {
        return Err(invalid(format!(
            "Credential should be scoped to a valid region, not '{}'.",
            authorization.region
        )));
    }
    if authorization.service != SERVICE || authorization.terminator != "aws4_request" {
        return Err(invalid(format!(
            "Credential should be scoped to correct service: '{SERVICE}'."
        )));
    }

    let skew = match now.duration_since(time) {
        Ok(behind) => behind,
        Err(ahead) => ahead.duration(),
    };
    if skew > MAX_SKEW {
        return Err(invalid(format!(
            "Signature expired: {amz_date} is not within 5 min. of the server's time."
        )));
    }
    Ok(time)
}

/// `20240101T000000Z` as a time.
fn parse_amz_date(text: &str) -> Option<SystemTime> {
    let digits = |range: std::ops::Range<usize>| {
        text.get(range)
            .filter(|part| part.bytes().all(|byte| byte.is_ascii_digit()))
    };
    let basic_shape = text.len() == 16 && text.as_bytes()[8] == b'T' && text.ends_with('Z');
    if !basic_shape {
        return None;
    }
    let extended = format!(
        "{}-{}-{}T{}:{}:{}Z",
        digits(0..4)?,
        digits(4..6)?,
        digits(6..8)?,
        digits(9..11)?,
        digits(11..13)?,
        digits(13..15)?
    );
    let time = DateTime::from_str(&extended, Format::DateTime).ok()?;
    SystemTime::try_from(time).ok()
}

fn check_signature(
    parts: &Parts,
    body: &[u8],
    authorization: &Authorization<'_>,
    key: &AwsKey,
    time: SystemTime,
) -> Result<(), AwsError> {
    let mismatch = || {
        AwsError::new(
            "InvalidSignatureException",
            "The request signature we calculated does not match the signature you provided. \
             Check your AWS Secret Access Key and signing method. Consult the service \
             documentation for details.",
        )
    };
    for required in ["host", "x-amz-date"] {
        if !authorization.signed_headers.contains(&required) {
            return Err(mismatch());
        }
    }

    let signed: Vec<(&str, &str)> = parts
        .headers
        .iter()
        .filter(|(name, _)| authorization.signed_headers.contains(&name.as_str()))
        .filter_map(|(name, value)| Some((name.as_str(), value.to_str().ok()?)))
        .collect();
    let all_present = authorization
        .signed_headers
        .iter()
        .all(|name| signed.iter().any(|(present, _)| present == name));
    if !all_present {
        return Err(mismatch());
    }

    let scope = Scope {
        region: authorization.region,
        time,
    };
    let expected = recompute(parts, body, &signed, key, scope).ok_or_else(mismatch)?;
    if expected == authorization.signature {
        Ok(())
    } else {
        Err(mismatch())
    }
}

/// Where and when a request was signed, as checked against the clock and the region.
#[derive(Debug, Clone, Copy)]
struct Scope<'a> {
    region: &'a str,
    time: SystemTime,
}

/// The signature AWS would compute for this request.
fn recompute(
    parts: &Parts,
    body: &[u8],
    signed: &[(&str, &str)],
    key: &AwsKey,
    scope: Scope<'_>,
) -> Option<String> {
    // The session token is among the signed headers as it arrived; an identity holding it
    // too would have aws-sigv4 add it a second time.
    let identity = Identity::from(Credentials::new(
        key.access_key_id.clone(),
        key.secret_access_key.clone(),
        None,
        None,
        "bedrock-mock",
    ));
    // Sign exactly the headers the client listed, not aws-sigv4's default selection.
    let mut settings = SigningSettings::default();
    settings.excluded_headers = None;
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(scope.region)
        .name(SERVICE)
        .time(scope.time)
        .settings(settings)
        .build()
        .ok()?
        .into();

    let target = parts
        .uri
        .path_and_query()
        .map_or("/", |target| target.as_str());
    let request = SignableRequest::new(
        parts.method.as_str(),
        target,
        signed.iter().copied(),
        SignableBody::Bytes(body),
    )
    .ok()?;
    let (_, signature) = sign(request, &params).ok()?.into_parts();
    Some(signature)
}
