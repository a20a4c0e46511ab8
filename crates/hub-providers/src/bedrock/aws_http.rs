//! Hub's pooled HTTP client offered to the AWS credential providers (`aws-config`), so that
//! fetching credentials from STS, the container endpoint or instance metadata goes through the
//! same rustls-on-ring stack as every other call, and no second TLS stack enters the build.

use std::time::Duration;

use aws_smithy_runtime_api::client::http::{
    HttpClient as SmithyHttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};

use crate::HttpClient;

/// Used when a provider sets no timeout of its own: credential endpoints answer quickly.
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Credential responses are a few hundred bytes; anything near this is not one.
const MAX_BODY_BYTES: usize = 1024 * 1024;

/// [`HttpClient`] as the AWS SDK's client abstraction.
#[derive(Debug, Clone)]
pub(super) struct AwsHttpClient {
    client: HttpClient,
}

impl AwsHttpClient {
    pub(super) fn new(client: HttpClient) -> Self {
        AwsHttpClient { client }
    }
}

impl SmithyHttpClient for AwsHttpClient {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        _components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        // Instance metadata asks for a one-second connect timeout, so that a machine that is
        // not on EC2 gives up quickly; the whole exchange is held to connect plus read time.
        let connect = settings
            .connect_timeout()
            .unwrap_or(DEFAULT_CONNECT_TIMEOUT);
        let read = settings.read_timeout().unwrap_or(DEFAULT_READ_TIMEOUT);
        SharedHttpConnector::new(Connector {
            client: self.client.clone(),
            timeout: connect + read,
        })
    }
}

#[derive(Debug)]
struct Connector {
    client: HttpClient,
    timeout: Duration,
}

impl HttpConnector for Connector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let client = self.client.clone();
        let timeout = self.timeout;
        HttpConnectorFuture::new(async move {
            match tokio::time::timeout(timeout, exchange(client, request)).await {
                Ok(result) => result,
                Err(_) => Err(ConnectorError::timeout(
                    format!("no answer within {} ms", timeout.as_millis()).into(),
                )),
            }
        })
    }
}

async fn exchange(
    client: HttpClient,
    request: HttpRequest,
) -> Result<HttpResponse, ConnectorError> {
    let request = request
        .try_into_http1x()
        .map_err(|error| ConnectorError::user(error.into()))?;
    let (parts, body) = request.into_parts();
    // Credential requests are small and built in memory, never streamed.
    let body = body
        .bytes()
        .map(Bytes::copy_from_slice)
        .ok_or_else(|| ConnectorError::user("streaming request bodies are not supported".into()))?;

    let response = client
        .send(http::Request::from_parts(parts, Full::new(body)))
        .await
        .map_err(|error| ConnectorError::io(error.into()))?;

    let (parts, body) = response.into_parts();
    let body = Limited::new(body, MAX_BODY_BYTES)
        .collect()
        .await
        .map_err(ConnectorError::io)?
        .to_bytes();
    HttpResponse::try_from(http::Response::from_parts(parts, SdkBody::from(body)))
        .map_err(|error| ConnectorError::other(error.into(), None))
}
