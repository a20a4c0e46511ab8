//! The soak's traffic: calls at a steady rate, in a fixed mix of whole answers, streams,
//! upstream failures and clients that leave mid-stream, each checked for what it should get.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use http::{Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use tokio::task::JoinSet;

/// No call should take longer; one that does is a hang.
const CALL_DEADLINE: Duration = Duration::from_secs(30);

/// What a call should end with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// A whole answer with this status.
    Status(StatusCode),
    /// A stream that ends with `[DONE]`.
    Stream,
    /// A stream that ends with an error event instead of `[DONE]`.
    BrokenStream,
    /// The client reads the first chunk and leaves.
    Leave,
}

/// One kind of call: the model (named after its emulator), streamed or not, and what the
/// client should see.
const MIX: [(&str, bool, Expect); 12] = [
    ("openai", false, Expect::Status(StatusCode::OK)),
    ("openai", true, Expect::Stream),
    ("anthropic", false, Expect::Status(StatusCode::OK)),
    ("anthropic", true, Expect::Stream),
    ("bedrock", false, Expect::Status(StatusCode::OK)),
    ("bedrock", true, Expect::Stream),
    ("failing", false, Expect::Status(StatusCode::BAD_GATEWAY)),
    ("resetting", true, Expect::Status(StatusCode::BAD_GATEWAY)),
    (
        "stalling",
        false,
        Expect::Status(StatusCode::GATEWAY_TIMEOUT),
    ),
    ("stream-stalling", true, Expect::BrokenStream),
    ("cutting", true, Expect::BrokenStream),
    ("slow", true, Expect::Leave),
];

/// What the calls got, by kind.
#[derive(Debug, Default)]
pub(super) struct Tally {
    /// Calls by `model/streamed` and outcome.
    pub(super) outcomes: BTreeMap<String, BTreeMap<&'static str, u64>>,
    pub(super) unexpected: u64,
    pub(super) hung: u64,
}

impl Tally {
    pub(super) fn sent(&self) -> u64 {
        self.outcomes.values().flat_map(BTreeMap::values).sum()
    }
}

type HttpClient = Client<HttpConnector, Full<Bytes>>;

/// The calls of one soak, sent and counted.
pub(super) struct Load {
    client: HttpClient,
    url: String,
    calls: JoinSet<()>,
    tally: Arc<Mutex<Tally>>,
    next: usize,
}

impl Load {
    pub(super) fn new(gateway: SocketAddr) -> Load {
        Load {
            client: Client::builder(TokioExecutor::new())
                .pool_max_idle_per_host(64)
                .build_http(),
            url: format!("http://{gateway}/v1/chat/completions"),
            calls: JoinSet::new(),
            tally: Arc::default(),
            next: 0,
        }
    }

    /// Sends the next call of the mix without waiting for it.
    pub(super) fn send_next(&mut self) {
        let (model, stream, expect) = MIX[self.next % MIX.len()];
        self.next += 1;
        let body = format!(
            r#"{{"model":"{model}","stream":{stream},"max_tokens":64,"messages":[{{"role":"user","content":"one two three four five six seven eight"}}]}}"#
        );
        let request = Request::post(&self.url)
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(body)))
            .expect("a request of constant parts");
        let client = self.client.clone();
        let tally = Arc::clone(&self.tally);
        let kind = format!("{model}/{}", if stream { "stream" } else { "whole" });

        self.calls.spawn(async move {
            let outcome = tokio::time::timeout(CALL_DEADLINE, call(&client, request, expect)).await;
            let mut tally = tally.lock().unwrap_or_else(PoisonError::into_inner);
            let outcome = match outcome {
                Ok(outcome) => outcome,
                Err(_) => {
                    tally.hung += 1;
                    "hung"
                }
            };
            if outcome != "expected" {
                tally.unexpected += 1;
            }
            *tally
                .outcomes
                .entry(kind)
                .or_default()
                .entry(outcome)
                .or_default() += 1;
        });
        while self.calls.try_join_next().is_some() {}
    }

    /// Waits for every call still running, drops the client's pooled connections, and
    /// returns the tally.
    pub(super) async fn finish(mut self) -> Tally {
        while self.calls.join_next().await.is_some() {}
        drop(self.client);
        let tally = self.tally.lock().unwrap_or_else(PoisonError::into_inner);
        Tally {
            outcomes: tally.outcomes.clone(),
            unexpected: tally.unexpected,
            hung: tally.hung,
        }
    }
}

/// Sends one call and says whether it ended as `expect` says.
async fn call(client: &HttpClient, request: Request<Full<Bytes>>, expect: Expect) -> &'static str {
    let Ok(response) = client.request(request).await else {
        return "connection failed";
    };
    let status = response.status();
    let mut body = response.into_body();

    if expect == Expect::Leave {
        let first = body.frame().await;
        let left_mid_stream = status == StatusCode::OK && matches!(first, Some(Ok(_)));
        return if left_mid_stream {
            "expected"
        } else {
            "no first chunk"
        };
    }
    let Ok(collected) = body.collect().await else {
        return "body broke";
    };
    let text = collected.to_bytes();
    let done = text.ends_with(b"data: [DONE]\n\n");
    let error_event = text
        .windows(b"data: {\"error\"".len())
        .any(|window| window == b"data: {\"error\"");

    let as_expected = match expect {
        Expect::Status(expected) => status == expected,
        Expect::Stream => status == StatusCode::OK && done,
        Expect::BrokenStream => status == StatusCode::OK && error_event && !done,
        Expect::Leave => false,
    };
    if as_expected {
        "expected"
    } else {
        "wrong answer"
    }
}
