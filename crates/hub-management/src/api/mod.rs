//! The management API over raw hyper: routes as a tower service, bearer authentication as a
//! tower layer, and a server that stops without dropping a request.

mod auth;
mod error;
#[doc(hidden)]
pub mod fuzzing;
mod input;
mod openapi;
mod routes;
mod storable;

use std::future::Future;
use std::time::Duration;

use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tower::Layer;

pub use auth::{AdminAuth, RequireBearer, RequireBearerLayer};
pub use error::ApiError;
pub use input::MAX_BODY_BYTES;
pub use routes::Routes;

use crate::service::Management;

/// The management API: its routes behind authentication.
pub type ManagementApi = RequireBearer<Routes>;

/// The API for `management`, guarded by `auth`.
///
/// # Errors
///
/// Fails only when the system has no randomness to key the token comparison with.
pub fn management_api(
    management: Management,
    auth: &AdminAuth,
) -> Result<ManagementApi, ring::error::Unspecified> {
    Ok(RequireBearerLayer::new(auth)?.layer(Routes::new(management)))
}

/// Serves `api` on `listener` over HTTP/1.1 and HTTP/2 until `shutdown` completes, then
/// stops accepting and lets requests in flight finish.
pub async fn serve(listener: TcpListener, api: ManagementApi, shutdown: impl Future<Output = ()>) {
    let builder = auto::Builder::new(TokioExecutor::new());
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);

    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let service = TowerToHyperService::new(api.clone());
                    let connection = builder.serve_connection(TokioIo::new(stream), service);
                    let connection = graceful.watch(connection.into_owned());
                    tokio::spawn(async move {
                        if let Err(error) = connection.await {
                            tracing::debug!(%error, %peer, "connection ended with an error");
                        }
                    });
                }
                Err(error) => {
                    // Out of file descriptors, most likely: pause rather than spin.
                    tracing::warn!(%error, "could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            () = &mut shutdown => break,
        }
    }

    drop(listener);
    graceful.shutdown().await;
}
