//! Admission: every request is counted on its connection (for the idle timer), and a request
//! other than a probe takes one of the `max_concurrent_requests` slots or is refused with 503
//! at once. Both are held by the response body, so a stream counts until its last event.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use http::{Request, Response};
use http_body::{Body, Frame, SizeHint};
use pin_project_lite::pin_project;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tower::Service;

use super::connection::{Activity, InFlight};
use crate::error::GatewayError;
use crate::gateway::ResponseBody;
use crate::routes::is_probe;
use crate::telemetry::metrics;

/// Admits requests to `S` for one connection.
#[derive(Debug, Clone)]
pub(crate) struct Admission<S> {
    inner: S,
    slots: Arc<Semaphore>,
    activity: Activity,
}

impl<S> Admission<S> {
    /// `slots` is shared by every connection; `activity` is this connection's.
    pub(super) fn new(inner: S, slots: Arc<Semaphore>, activity: &Activity) -> Self {
        Admission {
            inner,
            slots,
            activity: activity.clone(),
        }
    }
}

impl<S, B> Service<Request<B>> for Admission<S>
where
    S: Service<Request<B>, Response = Response<ResponseBody>, Error = Infallible>,
{
    type Response = Response<Held<ResponseBody>>;
    type Error = Infallible;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let in_flight = self.activity.begin();

        // Probes are answered even at the limit: an orchestrator must see an overloaded
        // gateway as alive, and its metrics as readable.
        let slot = if is_probe(request.uri().path()) {
            None
        } else {
            match Arc::clone(&self.slots).try_acquire_owned() {
                Ok(slot) => Some(slot),
                Err(_) => {
                    metrics::refused("max_concurrent_requests");
                    return ResponseFuture::Refused {
                        guard: Some(Guard {
                            _in_flight: in_flight,
                            _slot: None,
                        }),
                    };
                }
            }
        };

        ResponseFuture::Admitted {
            future: self.inner.call(request),
            guard: Some(Guard {
                _in_flight: in_flight,
                _slot: slot,
            }),
        }
    }
}

/// What an admitted request holds until its answer ends; both are released when dropped.
#[derive(Debug)]
pub(crate) struct Guard {
    _in_flight: InFlight,
    _slot: Option<OwnedSemaphorePermit>,
}

pin_project! {
    /// The answer of [`Admission`]: the inner service's, or 503 at once.
    #[project = Projection]
    pub(crate) enum ResponseFuture<F> {
        Admitted { #[pin] future: F, guard: Option<Guard> },
        Refused { guard: Option<Guard> },
    }
}

impl<F> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<ResponseBody>, Infallible>>,
{
    type Output = Result<Response<Held<ResponseBody>>, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let (response, guard) = match self.project() {
            Projection::Admitted { future, guard } => (ready!(future.poll(cx))?, guard.take()),
            Projection::Refused { guard } => {
                (GatewayError::Overloaded.into_response(), guard.take())
            }
        };
        Poll::Ready(Ok(response.map(|body| Held { body, guard })))
    }
}

pin_project! {
    /// A response body that holds its request's [`Guard`] until it is dropped.
    pub(crate) struct Held<B> {
        #[pin]
        body: B,
        guard: Option<Guard>,
    }
}

impl<B: Body> Body for Held<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        self.project().body.poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}
