//! `hub-load`: the load generator of `cargo xtask bench`, kept beside the emulators it drives.
//!
//! ```text
//! hub-load closed --url URL --body JSON --concurrency 32 --requests 20000
//! hub-load open   --url URL --body JSON --rate 2000 --seconds 5
//! hub-load stream --url URL --body JSON --requests 200
//! hub-load hold   --url URL --body JSON --streams 1000
//! ```
//!
//! Each mode prints one JSON object with its figures on stdout (`hold` prints one when every
//! stream has started and one when all have ended). Open loop sends each request at its
//! scheduled time whatever happened to the ones before, and measures latency from that
//! time, so a slow response cannot hide the requests that should have been sent meanwhile.

use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use clap::{Args, Parser, Subcommand};
use http::{Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};
use tokio::sync::Barrier;
use tokio::task::JoinSet;

#[derive(Debug, Parser)]
#[command(name = "hub-load", version)]
struct Cli {
    #[command(subcommand)]
    mode: Mode,
}

#[derive(Debug, Subcommand)]
enum Mode {
    /// `concurrency` workers send `requests` requests back to back.
    Closed {
        #[command(flatten)]
        target: Target,
        #[arg(long, default_value_t = 32)]
        concurrency: usize,
        #[arg(long, default_value_t = 10_000)]
        requests: usize,
    },
    /// Requests at a fixed rate for a fixed time, whatever the answers' pace.
    Open {
        #[command(flatten)]
        target: Target,
        #[arg(long)]
        rate: f64,
        #[arg(long, default_value_t = 5.0)]
        seconds: f64,
    },
    /// Streamed requests one after another: time to first byte, and gaps between chunks.
    Stream {
        #[command(flatten)]
        target: Target,
        #[arg(long, default_value_t = 100)]
        requests: usize,
    },
    /// `streams` streams open at once, held until they end.
    Hold {
        #[command(flatten)]
        target: Target,
        #[arg(long, default_value_t = 1000)]
        streams: usize,
    },
}

/// Where requests go and what they carry.
#[derive(Debug, Clone, Args)]
struct Target {
    #[arg(long)]
    url: String,
    /// The JSON body POSTed.
    #[arg(long)]
    body: String,
    /// Extra headers, `name: value`.
    #[arg(long = "header")]
    headers: Vec<String>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let report = match cli.mode {
        Mode::Closed {
            target,
            concurrency,
            requests,
        } => closed(target, concurrency, requests).await?,
        Mode::Open {
            target,
            rate,
            seconds,
        } => open(target, rate, seconds).await?,
        Mode::Stream { target, requests } => stream(target, requests).await?,
        Mode::Hold { target, streams } => hold(target, streams).await?,
    };
    emit(&report)
}

fn emit(report: &Value) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{report}")?;
    stdout.flush()?;
    Ok(())
}

/// A client and the request it repeats.
#[derive(Clone)]
struct Sender {
    client: Client<HttpConnector, Full<Bytes>>,
    target: Arc<Target>,
    body: Bytes,
}

impl Sender {
    fn new(target: Target) -> Self {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let client = Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(usize::MAX)
            .build(connector);
        Sender {
            client,
            body: Bytes::from(target.body.clone()),
            target: Arc::new(target),
        }
    }

    fn request(&self) -> anyhow::Result<Request<Full<Bytes>>> {
        let mut request =
            Request::post(&self.target.url).header("content-type", "application/json");
        for header in &self.target.headers {
            let (name, value) = header
                .split_once(':')
                .ok_or_else(|| anyhow::anyhow!("a header is `name: value`, not {header:?}"))?;
            request = request.header(name.trim(), value.trim());
        }
        Ok(request.body(Full::new(self.body.clone()))?)
    }

    /// Sends one request and reads the whole answer; `true` when it succeeded.
    async fn send(&self) -> bool {
        let Ok(request) = self.request() else {
            return false;
        };
        match self.client.request(request).await {
            Ok(response) => {
                let ok = response.status() == StatusCode::OK;
                ok && response.into_body().collect().await.is_ok()
            }
            Err(_) => false,
        }
    }
}

async fn closed(target: Target, concurrency: usize, requests: usize) -> anyhow::Result<Value> {
    let sender = Sender::new(target);
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();

    let mut workers = JoinSet::new();
    for _ in 0..concurrency {
        let (sender, next) = (sender.clone(), Arc::clone(&next));
        workers.spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0_usize;
            while next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < requests {
                let sent = Instant::now();
                if sender.send().await {
                    latencies.push(sent.elapsed());
                } else {
                    errors += 1;
                }
            }
            (latencies, errors)
        });
    }
    let (latencies, errors) = gather(workers).await;

    let seconds = started.elapsed().as_secs_f64();
    Ok(json!({
        "requests": latencies.len() + errors,
        "errors": errors,
        "seconds": seconds,
        "throughput": latencies.len() as f64 / seconds,
        "latency_us": percentiles(latencies),
    }))
}

async fn open(target: Target, rate: f64, seconds: f64) -> anyhow::Result<Value> {
    anyhow::ensure!(
        rate > 0.0 && seconds > 0.0,
        "rate and seconds must be positive"
    );
    let sender = Sender::new(target);
    let total = (rate * seconds) as usize;
    let started = tokio::time::Instant::now();

    let mut requests = JoinSet::new();
    for index in 0..total {
        let scheduled = started + Duration::from_secs_f64(index as f64 / rate);
        tokio::time::sleep_until(scheduled).await;
        let sender = sender.clone();
        requests.spawn(async move {
            let ok = sender.send().await;
            // From when the request should have left, not when it did.
            (ok, scheduled.elapsed())
        });
    }
    let mut latencies = Vec::with_capacity(total);
    let mut errors = 0_usize;
    while let Some(done) = requests.join_next().await {
        match done {
            Ok((true, latency)) => latencies.push(latency),
            _ => errors += 1,
        }
    }

    Ok(json!({
        "offered_rate": rate,
        "achieved_rate": latencies.len() as f64 / started.elapsed().as_secs_f64(),
        "requests": total,
        "errors": errors,
        "latency_us": percentiles(latencies),
    }))
}

async fn stream(target: Target, requests: usize) -> anyhow::Result<Value> {
    let sender = Sender::new(target);
    let mut first_bytes = Vec::with_capacity(requests);
    let mut gaps = Vec::new();
    let mut chunks = 0_usize;

    for _ in 0..requests {
        let sent = Instant::now();
        let response = sender.client.request(sender.request()?).await?;
        anyhow::ensure!(
            response.status() == StatusCode::OK,
            "status {}",
            response.status()
        );
        let mut body = response.into_body();
        let mut last: Option<Instant> = None;
        while let Some(frame) = body.frame().await {
            if frame?.data_ref().is_none_or(Bytes::is_empty) {
                continue;
            }
            let now = Instant::now();
            match last {
                None => first_bytes.push(sent.elapsed()),
                Some(previous) => gaps.push(now - previous),
            }
            last = Some(now);
            chunks += 1;
        }
    }

    Ok(json!({
        "requests": requests,
        "frames": chunks,
        "first_byte_us": percentiles(first_bytes),
        "frame_gap_us": percentiles(gaps),
    }))
}

async fn hold(target: Target, streams: usize) -> anyhow::Result<Value> {
    let sender = Sender::new(target);
    let started = Arc::new(Barrier::new(streams + 1));

    let mut tasks = JoinSet::new();
    for _ in 0..streams {
        let (sender, started) = (sender.clone(), Arc::clone(&started));
        tasks.spawn(async move {
            let mut body = match sender.request() {
                Ok(request) => match sender.client.request(request).await {
                    Ok(response) if response.status() == StatusCode::OK => {
                        Some(response.into_body())
                    }
                    _ => None,
                },
                Err(_) => None,
            };
            let first = match body.as_mut() {
                Some(body) => matches!(body.frame().await, Some(Ok(_))),
                None => false,
            };
            started.wait().await;
            let mut rest_ok = first;
            if let Some(mut body) = body {
                while let Some(frame) = body.frame().await {
                    rest_ok &= frame.is_ok();
                }
            }
            rest_ok
        });
    }

    started.wait().await;
    emit(&json!({"event": "open", "streams": streams}))?;
    let mut failed = 0_usize;
    while let Some(done) = tasks.join_next().await {
        if !matches!(done, Ok(true)) {
            failed += 1;
        }
    }
    Ok(json!({"event": "done", "streams": streams, "errors": failed}))
}

async fn gather(mut workers: JoinSet<(Vec<Duration>, usize)>) -> (Vec<Duration>, usize) {
    let mut latencies = Vec::new();
    let mut errors = 0;
    while let Some(done) = workers.join_next().await {
        if let Ok((some, failed)) = done {
            latencies.extend(some);
            errors += failed;
        }
    }
    (latencies, errors)
}

/// p50, p90, p99 and max, in microseconds.
fn percentiles(mut samples: Vec<Duration>) -> Value {
    if samples.is_empty() {
        return Value::Null;
    }
    samples.sort_unstable();
    let at = |quantile: f64| {
        let index = ((samples.len() - 1) as f64 * quantile).round() as usize;
        samples[index].as_secs_f64() * 1e6
    };
    json!({"p50": at(0.50), "p90": at(0.90), "p99": at(0.99), "max": at(1.0), "count": samples.len()})
}
