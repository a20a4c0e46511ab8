//! AWS credentials for signing: static keys from the configuration, or the standard AWS
//! credential chain, cached and refreshed before they expire.
//!
//! The chain is `aws-config`'s default one: environment variables, the shared `credentials`
//! and `config` profile files (static keys, `credential_process`, role chains), web identity
//! tokens (Kubernetes service accounts, through STS `AssumeRoleWithWebIdentity`), the
//! container credentials endpoint (ECS, EKS Pod Identity), and EC2 instance metadata
//! (IMDSv2). It is built on first use, since building it is asynchronous, and its HTTP calls
//! go through Hub's own client ([`AwsHttpClient`]). Profiles that sign in through IAM Identity
//! Center (SSO) are not read: `aws-config`'s `sso` feature would bring a second set of digest
//! crates for a source that belongs on a developer's machine, not a gateway's.
//!
//! One cache is shared by every request of a provider. Reading it takes no lock; only a
//! refresh does, so that concurrent requests wait for one fetch instead of each making one.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use arc_swap::ArcSwapOption;
use aws_config::Region;
use aws_config::default_provider::credentials::DefaultCredentialsChain;
use aws_config::provider_config::ProviderConfig;
use aws_credential_types::Credentials;
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider, future};
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use tokio::sync::{Mutex, OnceCell};

use super::aws_http::AwsHttpClient;
use crate::HttpClient;
use crate::redact::Redactor;
use crate::upstream::error_chain;

/// Credentials are replaced once they have less than this left, so a request signed now
/// does not reach AWS with a token that expired on the way. The AWS SDKs refresh in the
/// same window.
const REFRESH_BEFORE_EXPIRY: Duration = Duration::from_secs(5 * 60);

/// When a refresh fails, credentials with at least this long left are still used, so that a
/// credential endpoint's brief outage does not fail requests that could have been signed.
const STILL_USABLE_FOR: Duration = Duration::from_secs(10);

/// The credentials one provider signs with, fetched when needed and kept until due.
pub(super) struct CredentialCache {
    provider: SharedCredentialsProvider,
    current: ArcSwapOption<Credentials>,
    refreshing: Mutex<()>,
    /// Told every credential fetched, so that no upstream error can quote one.
    redactor: Redactor,
}

impl CredentialCache {
    /// A cache over any credential source.
    pub(super) fn new(provider: impl ProvideCredentials + 'static) -> Self {
        CredentialCache {
            provider: SharedCredentialsProvider::new(provider),
            current: ArcSwapOption::empty(),
            refreshing: Mutex::new(()),
            redactor: Redactor::default(),
        }
    }

    /// The same cache, telling `redactor` each credential it fetches.
    pub(super) fn learning_into(mut self, redactor: Redactor) -> Self {
        self.redactor = redactor;
        self
    }

    /// Keys written in the configuration; they never expire.
    pub(super) fn fixed(
        access_key_id: &str,
        secret_access_key: &str,
        session_token: Option<&str>,
    ) -> Self {
        let credentials = Credentials::new(
            access_key_id,
            secret_access_key,
            session_token.map(str::to_owned),
            None,
            "hub-config",
        );
        CredentialCache::new(credentials)
    }

    /// The standard AWS credential chain, with STS in `region`.
    pub(super) fn chain(region: &str, client: HttpClient) -> Self {
        CredentialCache::new(LazyChain {
            region: region.to_owned(),
            client,
            chain: OnceCell::new(),
        })
    }

    /// Credentials valid for a while yet: the cached ones, or fresh ones when they are due.
    pub(super) async fn get(&self) -> Result<Credentials, CredentialsError> {
        if let Some(current) = self.fresh() {
            return Ok(current);
        }

        let _refreshing = self.refreshing.lock().await;
        // Another request may have refreshed them while this one waited for the lock.
        if let Some(current) = self.fresh() {
            return Ok(current);
        }

        match self.provider.provide_credentials().await {
            Ok(credentials) => {
                self.learn(&credentials);
                self.current.store(Some(Arc::new(credentials.clone())));
                Ok(credentials)
            }
            Err(error) => self.fallback(error),
        }
    }

    fn learn(&self, credentials: &Credentials) {
        self.redactor.learn(credentials.access_key_id());
        self.redactor.learn(credentials.secret_access_key());
        if let Some(token) = credentials.session_token() {
            self.redactor.learn(token);
        }
    }

    fn fresh(&self) -> Option<Credentials> {
        let current = self.current.load_full()?;
        let fresh = remaining(&current).is_none_or(|left| left > REFRESH_BEFORE_EXPIRY);
        fresh.then(|| Credentials::clone(&current))
    }

    fn fallback(&self, error: CredentialsError) -> Result<Credentials, CredentialsError> {
        let current = self.current.load_full();
        match current {
            Some(current) if remaining(&current).is_none_or(|left| left > STILL_USABLE_FOR) => {
                // The credential source's answer may quote the credentials still in use.
                let error = self.redactor.text(&error_chain(&error));
                tracing::warn!(
                    %error,
                    "AWS credentials could not be refreshed; using the current ones meanwhile"
                );
                Ok(Credentials::clone(&current))
            }
            _ => Err(error),
        }
    }
}

/// How long the credentials remain valid, zero once expired; `None` when they never expire.
fn remaining(credentials: &Credentials) -> Option<Duration> {
    let expiry = credentials.expiry()?;
    Some(
        expiry
            .duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

// Written by hand: the cache holds secrets, and which source it reads is all a log needs.
impl fmt::Debug for CredentialCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CredentialCache")
            .field("cached", &self.current.load().is_some())
            .finish_non_exhaustive()
    }
}

/// `aws-config`'s default chain, built when credentials are first asked for.
#[derive(Debug)]
struct LazyChain {
    region: String,
    client: HttpClient,
    chain: OnceCell<DefaultCredentialsChain>,
}

impl LazyChain {
    async fn build(&self) -> DefaultCredentialsChain {
        let http = SharedHttpClient::new(AwsHttpClient::new(self.client.clone()));
        let config = ProviderConfig::without_region().with_http_client(http);
        DefaultCredentialsChain::builder()
            .configure(config)
            .region(Region::new(self.region.clone()))
            .build()
            .await
    }
}

impl ProvideCredentials for LazyChain {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(async move {
            let chain = self.chain.get_or_init(|| self.build()).await;
            chain.provide_credentials().await
        })
    }
}

#[cfg(test)]
mod tests;
