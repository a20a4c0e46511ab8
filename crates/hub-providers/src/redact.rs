//! Keeps the credentials an adapter sends out of the errors it returns.
//!
//! Upstreams quote refused credentials back: OpenAI shows the start and end of a wrong key,
//! AWS answers a signature mismatch with the canonical request, signed session token
//! included, and a misbehaving OpenAI-compatible server may echo anything. An error's text
//! reaches the client, the access log and the span, so every error an adapter returns, and
//! every error its streams yield later, passes through the adapter's [`Redactor`] first.
//! It knows the credentials of the provider's configuration from the start, and learns the
//! ones fetched at run time (OAuth2 access tokens, AWS credentials from the chain) as they
//! arrive.
//!
//! A credential is replaced wherever it appears whole, and so are the long runs of its start
//! or its end that truncated echoes show (`sk-proj-abcdefgh...`): any stretch of text that
//! agrees with the credential's first or last [`MIN_FRAGMENT_CHARS`] characters, extended as
//! far as it keeps agreeing.

use std::fmt;
use std::future::Future;
use std::ops::Range;
use std::sync::Arc;

use arc_swap::ArcSwap;
use futures_util::StreamExt;
use hub_core::config::ProviderConfig;
use hub_core::embeddings::EmbeddingsResponse;
use hub_core::{ChatResponse, CompletionResponse, Error, ErrorBody};

/// What a credential is replaced with.
pub(crate) const REDACTED: &str = "[redacted]";

/// Values shorter than this are not searched for: they would match ordinary words, and no
/// provider issues credentials this short.
const MIN_SECRET_CHARS: usize = 8;

/// The shortest start or end of a credential that is redacted on its own. A quarter of a
/// short key, and far less of a long one, but more than the three and four characters that
/// OpenAI shows on purpose and that identify a key without giving it away.
pub(crate) const MIN_FRAGMENT_CHARS: usize = 12;

/// The type-specific settings that hold a credential, besides `api_key`.
const CREDENTIAL_PARAMS: [&str; 7] = [
    "azure_ad_token",
    "aws_access_key_id",
    "aws_secret_access_key",
    "aws_session_token",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
];

/// How many credentials learned at run time are kept, newest first: enough for a token that
/// was replaced while calls made with the old one were still answering.
const LEARNED_KEPT: usize = 8;

/// The credentials one provider sends, shared by its adapter, token source and credential
/// cache. Cloning shares the set.
#[derive(Clone, Default)]
pub(crate) struct Redactor {
    secrets: Arc<ArcSwap<Secrets>>,
}

#[derive(Debug, Default)]
struct Secrets {
    configured: Vec<String>,
    learned: Vec<String>,
}

impl Secrets {
    fn all(&self) -> impl Iterator<Item = &str> {
        self.configured
            .iter()
            .chain(&self.learned)
            .map(String::as_str)
    }
}

// Written by hand: the set is made of secrets, and how many is all a log needs.
impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secrets = self.secrets.load();
        f.debug_struct("Redactor")
            .field("configured", &secrets.configured.len())
            .field("learned", &secrets.learned.len())
            .finish()
    }
}

impl Redactor {
    /// A redactor for the credentials written in a provider's configuration.
    pub(crate) fn for_provider(config: &ProviderConfig) -> Self {
        let params = CREDENTIAL_PARAMS
            .iter()
            .filter_map(|name| config.param_str(name));
        Self::with(config.api_key.as_deref().into_iter().chain(params))
    }

    /// A redactor for these credentials.
    pub(crate) fn with<'a>(credentials: impl IntoIterator<Item = &'a str>) -> Self {
        let mut configured: Vec<String> = Vec::new();
        for credential in credentials {
            if is_searched(credential) && !configured.iter().any(|known| known == credential) {
                configured.push(credential.to_owned());
            }
        }
        let secrets = Secrets {
            configured,
            learned: Vec::new(),
        };
        Redactor {
            secrets: Arc::new(ArcSwap::from_pointee(secrets)),
        }
    }

    /// Adds a credential obtained at run time, forgetting the oldest learned one past
    /// [`LEARNED_KEPT`].
    pub(crate) fn learn(&self, credential: &str) {
        if !is_searched(credential) {
            return;
        }
        self.secrets.rcu(|current| {
            if current.all().any(|known| known == credential) {
                return Arc::clone(current);
            }
            let mut learned = Vec::with_capacity(LEARNED_KEPT);
            learned.push(credential.to_owned());
            learned.extend(current.learned.iter().take(LEARNED_KEPT - 1).cloned());
            Arc::new(Secrets {
                configured: current.configured.clone(),
                learned,
            })
        });
    }

    /// `text` with every credential and long fragment of one replaced by [`REDACTED`].
    pub(crate) fn text(&self, text: &str) -> String {
        let mut text = text.to_owned();
        self.scrub(&mut text);
        text
    }

    fn scrub(&self, text: &mut String) {
        let secrets = self.secrets.load();
        // Whole credentials first: a fragment of one may begin another that shares its
        // prefix, such as two tokens from one issuer.
        for fragments in [false, true] {
            for secret in secrets.all() {
                if let Some(redacted) = redact(text, secret, fragments) {
                    *text = redacted;
                }
            }
        }
    }

    /// The error with every text it carries scrubbed; which provider answered stays.
    pub(crate) fn error(&self, mut error: Error) -> Error {
        match &mut error {
            Error::InvalidRequest { message, param } => {
                self.scrub(message);
                if let Some(param) = param {
                    self.scrub(param);
                }
            }
            Error::UpstreamStatus { body, .. } | Error::UpstreamReported { body, .. } => {
                self.scrub_body(body);
            }
            Error::UpstreamUnreachable { message, .. }
            | Error::UpstreamProtocol { message, .. }
            | Error::Internal(message) => self.scrub(message),
            Error::UpstreamTimeout { .. } => {}
        }
        error
    }

    fn scrub_body(&self, body: &mut ErrorBody) {
        let detail = &mut body.error;
        self.scrub(&mut detail.message);
        self.scrub(&mut detail.kind);
        for field in [&mut detail.param, &mut detail.code].into_iter().flatten() {
            self.scrub(field);
        }
    }

    /// Runs an adapter's call and scrubs its error, or the errors its stream yields later.
    pub(crate) async fn guard<T: Scrub>(
        &self,
        call: impl Future<Output = Result<T, Error>>,
    ) -> Result<T, Error> {
        match call.await {
            Ok(answer) => Ok(answer.scrub(self)),
            Err(error) => Err(self.error(error)),
        }
    }
}

/// An answer whose later errors, if it can have any, pass through a [`Redactor`].
pub(crate) trait Scrub: Sized {
    fn scrub(self, redactor: &Redactor) -> Self;
}

impl Scrub for ChatResponse {
    fn scrub(self, redactor: &Redactor) -> Self {
        match self {
            ChatResponse::Stream(stream) => {
                let redactor = redactor.clone();
                let stream = stream.map(move |item| item.map_err(|error| redactor.error(error)));
                ChatResponse::Stream(Box::pin(stream))
            }
            complete @ ChatResponse::Complete(_) => complete,
        }
    }
}

impl Scrub for CompletionResponse {
    fn scrub(self, redactor: &Redactor) -> Self {
        match self {
            CompletionResponse::Stream(stream) => {
                let redactor = redactor.clone();
                let stream = stream.map(move |item| item.map_err(|error| redactor.error(error)));
                CompletionResponse::Stream(Box::pin(stream))
            }
            complete @ CompletionResponse::Complete(_) => complete,
        }
    }
}

impl Scrub for EmbeddingsResponse {
    fn scrub(self, _: &Redactor) -> Self {
        self
    }
}

fn is_searched(credential: &str) -> bool {
    credential.chars().count() >= MIN_SECRET_CHARS
}

/// `text` with `secret` replaced, or the long runs of its start or end when `fragments` is
/// set; `None` when it holds none of them.
fn redact(text: &str, secret: &str, fragments: bool) -> Option<String> {
    let found = if fragments {
        fragments_of(text, secret)
    } else {
        text.match_indices(secret)
            .map(|(start, found)| start..start + found.len())
            .collect()
    };
    let ranges = merge(found, text);
    if ranges.is_empty() {
        return None;
    }

    let mut redacted = String::with_capacity(text.len());
    let mut copied = 0;
    for range in ranges {
        redacted.push_str(&text[copied..range.start]);
        redacted.push_str(REDACTED);
        copied = range.end;
    }
    redacted.push_str(&text[copied..]);
    Some(redacted)
}

/// Where a long run of the start or the end of `secret` appears in `text`.
fn fragments_of(text: &str, secret: &str) -> Vec<Range<usize>> {
    let mut ranges = Vec::new();
    let (Some(head), Some(tail)) = (head(secret), tail(secret)) else {
        return ranges;
    };
    let (text_bytes, secret_bytes) = (text.as_bytes(), secret.as_bytes());

    for (start, _) in text.match_indices(head) {
        let agreeing = text_bytes[start..]
            .iter()
            .zip(secret_bytes)
            .take_while(|(a, b)| a == b)
            .count();
        ranges.push(start..start + agreeing);
    }
    for (start, found) in text.match_indices(tail) {
        let end = start + found.len();
        let agreeing = text_bytes[..end]
            .iter()
            .rev()
            .zip(secret_bytes.iter().rev())
            .take_while(|(a, b)| a == b)
            .count();
        ranges.push(end - agreeing..end);
    }
    ranges
}

/// The first [`MIN_FRAGMENT_CHARS`] characters of a credential longer than that.
fn head(secret: &str) -> Option<&str> {
    let (end, _) = secret.char_indices().nth(MIN_FRAGMENT_CHARS)?;
    Some(&secret[..end])
}

/// The last [`MIN_FRAGMENT_CHARS`] characters of a credential longer than that.
fn tail(secret: &str) -> Option<&str> {
    let (start, _) = secret.char_indices().rev().nth(MIN_FRAGMENT_CHARS - 1)?;
    (start > 0).then(|| &secret[start..])
}

/// The ranges sorted, joined where they touch or overlap, and widened to whole characters.
fn merge(mut ranges: Vec<Range<usize>>, text: &str) -> Vec<Range<usize>> {
    ranges.sort_by_key(|range| range.start);
    let mut merged: Vec<Range<usize>> = Vec::with_capacity(ranges.len());
    for mut range in ranges {
        while !text.is_char_boundary(range.start) {
            range.start -= 1;
        }
        while !text.is_char_boundary(range.end) {
            range.end += 1;
        }
        match merged.last_mut() {
            Some(last) if range.start <= last.end => last.end = last.end.max(range.end),
            _ => merged.push(range),
        }
    }
    merged
}

#[cfg(test)]
mod tests;
