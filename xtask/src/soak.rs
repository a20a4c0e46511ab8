//! `cargo xtask soak [--seconds N] [--rate R] [--profile NAME]`: the real gateway under a
//! steady mix of good calls, upstream failures and clients that leave, for minutes, then a
//! check that it leaked nothing.
//!
//! The gateway binary runs as users run it; the emulators (OpenAI, Anthropic, Bedrock, and
//! OpenAI ones that fail, reset, stall or break their streams) and the load run in this
//! process, so the emulators' own connection counts can be read. Through the run, the
//! gateway's RSS and its `/metrics` gauges are sampled. After it, the gateway must be back
//! at its starting in-flight and open-connection gauges, hold no connection to an emulator
//! whose answers broke, have no more runtime tasks than after warm-up (beyond its pooled
//! upstream connections), and its RSS must have levelled off after warm-up. Any of these
//! failing, or a call hanging, exits non-zero.

mod load;
mod upstreams;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use self::load::{Load, Tally};
use self::upstreams::Upstream;
use crate::bench::{Process, rss_kib, target_dir};
use crate::{cargo, say};

/// Long enough for a leak of a few bytes per call to show, short enough to run by hand.
const DEFAULT_SECONDS: u64 = 180;
/// Calls per second: steady, and light enough for a shared two-core machine.
const DEFAULT_RATE: u32 = 30;
/// The share of the run before memory is expected to have settled.
const WARM_UP_SHARE: f64 = 0.2;
/// How often RSS and the gauges are sampled.
const SAMPLE_EVERY: Duration = Duration::from_secs(2);
/// Growth after warm-up that counts as a leak: this share of the warm RSS, plus a margin.
const GROWTH_SHARE: f64 = 0.10;
const GROWTH_MARGIN_KIB: f64 = 4.0 * 1024.0;
/// Runtime tasks allowed above the warm count at the end, beyond pooled connections.
const TASK_SLACK: f64 = 8.0;

/// The soak's settings, from its arguments.
#[derive(Debug)]
struct Settings {
    seconds: u64,
    rate: u32,
    profile: String,
}

impl Settings {
    fn parse(args: &[String]) -> anyhow::Result<Settings> {
        let mut settings = Settings {
            seconds: DEFAULT_SECONDS,
            rate: DEFAULT_RATE,
            profile: "dev".to_owned(),
        };
        let mut args = args.iter();
        while let Some(flag) = args.next() {
            let value = args
                .next()
                .with_context(|| format!("{flag} needs a value"))?;
            match flag.as_str() {
                "--seconds" => settings.seconds = value.parse().context("--seconds")?,
                "--rate" => settings.rate = value.parse().context("--rate")?,
                "--profile" => settings.profile.clone_from(value),
                other => bail!("unknown soak flag `{other}`"),
            }
        }
        if settings.seconds == 0 || settings.rate == 0 {
            bail!("--seconds and --rate must be greater than 0");
        }
        Ok(settings)
    }

    /// Where cargo puts the binaries of this profile.
    fn bin_dir(&self) -> PathBuf {
        let dir = if self.profile == "dev" {
            "debug"
        } else {
            &self.profile
        };
        target_dir().join(dir)
    }
}

pub(crate) fn run(args: &[String]) -> anyhow::Result<()> {
    let settings = Settings::parse(args)?;
    cargo(&[
        "build",
        "--profile",
        &settings.profile,
        "-p",
        "hub-gateway",
        "--bin",
        "hub-gateway",
    ])?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let report = runtime.block_on(soak(&settings))?;
    report.print(&settings);
    report.verdict()
}

/// One sample of the gateway through the run.
#[derive(Debug, Clone, Copy)]
struct Sample {
    at_seconds: f64,
    rss_kib: u64,
    in_flight: f64,
    tasks: f64,
}

/// What the soak measured.
#[derive(Debug)]
struct Report {
    tally: Tally,
    samples: Vec<Sample>,
    warm: Sample,
    baseline: Gauges,
    after: Gauges,
    broken_connections: usize,
    pooled_connections: usize,
}

async fn soak(settings: &Settings) -> anyhow::Result<Report> {
    let upstreams = upstreams::start().await?;
    let out = target_dir().join("soak");
    std::fs::create_dir_all(&out)?;
    let config = out.join("config.yaml");
    std::fs::write(&config, upstreams::config(&upstreams))?;
    let binary = settings.bin_dir().join("hub-gateway");
    let log = out.join("gateway.log");
    let gateway =
        tokio::task::spawn_blocking(move || Process::gateway(&binary, &config, &log)).await??;
    say(&format!(
        "xtask: soaking {} for {} s at {} calls/s (log in {})",
        gateway.addr,
        settings.seconds,
        settings.rate,
        out.join("gateway.log").display()
    ));

    let baseline = Gauges::scrape(gateway.addr).await?;
    let (tally, samples) = drive(settings, &gateway).await?;
    let warm_at = settings.seconds as f64 * WARM_UP_SHARE;
    let warm = samples
        .iter()
        .find(|sample| sample.at_seconds >= warm_at)
        .or(samples.last())
        .copied()
        .context("no sample was taken")?;

    let after = settle(gateway.addr, &upstreams, &baseline).await?;
    let count = |poolable: bool| -> usize {
        upstreams
            .iter()
            .filter(|upstream| upstream.poolable == poolable)
            .map(|upstream| upstream.emulator.open_connections())
            .sum()
    };
    Ok(Report {
        tally,
        samples,
        warm,
        baseline,
        after,
        broken_connections: count(false),
        pooled_connections: count(true),
    })
}

/// Sends the mix at the steady rate for the run's length, sampling as it goes.
async fn drive(settings: &Settings, gateway: &Process) -> anyhow::Result<(Tally, Vec<Sample>)> {
    let started = Instant::now();
    let length = Duration::from_secs(settings.seconds);
    let mut load = Load::new(gateway.addr);
    let mut calls = tokio::time::interval(Duration::from_secs(1) / settings.rate);
    calls.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut sampling = tokio::time::interval(SAMPLE_EVERY);
    let mut samples = Vec::new();

    while started.elapsed() < length {
        tokio::select! {
            _ = calls.tick() => load.send_next(),
            _ = sampling.tick() => {
                let gauges = Gauges::scrape(gateway.addr).await?;
                samples.push(Sample {
                    at_seconds: started.elapsed().as_secs_f64(),
                    rss_kib: rss_kib(gateway.pid())?,
                    in_flight: gauges.in_flight,
                    tasks: gauges.tasks,
                });
            }
        }
    }
    Ok((load.finish().await, samples))
}

/// Waits up to 30 s for the gateway to be back at `baseline` and the emulators whose answers
/// broke to have no connection left; returns the gauges as they were last read.
async fn settle(
    gateway: SocketAddr,
    upstreams: &[Upstream],
    baseline: &Gauges,
) -> anyhow::Result<Gauges> {
    let mut gauges = Gauges::scrape(gateway).await?;
    for _ in 0..300 {
        let broken: usize = upstreams
            .iter()
            .filter(|upstream| !upstream.poolable)
            .map(|upstream| upstream.emulator.open_connections())
            .sum();
        let back = gauges.in_flight == baseline.in_flight
            && gauges.open_connections == baseline.open_connections;
        if back && broken == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        gauges = Gauges::scrape(gateway).await?;
    }
    Ok(gauges)
}

/// The gateway's own gauges, read from `/metrics`.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Gauges {
    in_flight: f64,
    open_connections: f64,
    tasks: f64,
}

impl Gauges {
    /// Scrapes on a connection of its own, closed after the answer, which the open
    /// connections gauge counts the same way each time.
    async fn scrape(gateway: SocketAddr) -> anyhow::Result<Gauges> {
        let mut stream = TcpStream::connect(gateway).await?;
        let request = "GET /metrics HTTP/1.1\r\nhost: hub\r\nconnection: close\r\n\r\n";
        stream.write_all(request.as_bytes()).await?;
        let mut text = String::new();
        stream.read_to_string(&mut text).await?;
        let gauge = |name: &str| {
            text.lines()
                .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
                .unwrap_or(0.0)
        };
        Ok(Gauges {
            in_flight: gauge("hub_requests_in_flight"),
            open_connections: gauge("hub_open_connections"),
            tasks: gauge("hub_runtime_alive_tasks"),
        })
    }
}

impl Report {
    /// RSS growth after warm-up, in KiB per minute, by least squares.
    fn slope_kib_per_minute(&self) -> f64 {
        let points: Vec<(f64, f64)> = self
            .samples
            .iter()
            .filter(|sample| sample.at_seconds >= self.warm.at_seconds)
            .map(|sample| (sample.at_seconds, sample.rss_kib as f64))
            .collect();
        let n = points.len() as f64;
        if n < 2.0 {
            return 0.0;
        }
        let mean_x = points.iter().map(|p| p.0).sum::<f64>() / n;
        let mean_y = points.iter().map(|p| p.1).sum::<f64>() / n;
        let covariance: f64 = points.iter().map(|p| (p.0 - mean_x) * (p.1 - mean_y)).sum();
        let variance: f64 = points.iter().map(|p| (p.0 - mean_x).powi(2)).sum();
        if variance == 0.0 {
            0.0
        } else {
            covariance / variance * 60.0
        }
    }

    /// Growth the slope predicts over the run after warm-up, in KiB.
    fn projected_growth_kib(&self) -> f64 {
        let last = self.samples.last().map_or(0.0, |sample| sample.at_seconds);
        self.slope_kib_per_minute() * (last - self.warm.at_seconds) / 60.0
    }

    fn print(&self, settings: &Settings) {
        let rss: Vec<u64> = self.samples.iter().map(|sample| sample.rss_kib).collect();
        let mib = |kib: u64| kib as f64 / 1024.0;
        let peak_tasks = self.samples.iter().map(|s| s.tasks).fold(0.0, f64::max);
        let peak_in_flight = self.samples.iter().map(|s| s.in_flight).fold(0.0, f64::max);
        say("");
        say(&format!(
            "soak: {} calls in {} s at {} calls/s; {} unexpected, {} hung",
            self.tally.sent(),
            settings.seconds,
            settings.rate,
            self.tally.unexpected,
            self.tally.hung
        ));
        for (kind, outcomes) in &self.tally.outcomes {
            say(&format!("  {kind:<22} {outcomes:?}"));
        }
        say(&format!(
            "RSS MiB: start {:.1}, after warm-up ({:.0} s) {:.1}, end {:.1}, max {:.1}; \
             slope after warm-up {:.1} KiB/min",
            mib(rss.first().copied().unwrap_or(0)),
            self.warm.at_seconds,
            mib(self.warm.rss_kib),
            mib(rss.last().copied().unwrap_or(0)),
            mib(rss.iter().copied().max().unwrap_or(0)),
            self.slope_kib_per_minute()
        ));
        say(&format!(
            "in flight: baseline {}, peak {peak_in_flight}, after {}",
            self.baseline.in_flight, self.after.in_flight
        ));
        say(&format!(
            "open client connections: baseline {}, after {}",
            self.baseline.open_connections, self.after.open_connections
        ));
        say(&format!(
            "runtime tasks: baseline {}, after warm-up {}, peak {peak_tasks}, after {} \
             ({} pooled upstream connections)",
            self.baseline.tasks, self.warm.tasks, self.after.tasks, self.pooled_connections
        ));
        say(&format!(
            "upstream connections left on broken emulators: {}",
            self.broken_connections
        ));
    }

    fn verdict(&self) -> anyhow::Result<()> {
        let mut leaks = Vec::new();
        if self.after.in_flight != self.baseline.in_flight {
            leaks.push("requests still in flight");
        }
        if self.after.open_connections != self.baseline.open_connections {
            leaks.push("client connections still open");
        }
        if self.broken_connections > 0 {
            leaks.push("upstream connections to broken emulators still open");
        }
        let task_limit = self.warm.tasks + self.pooled_connections as f64 + TASK_SLACK;
        if self.after.tasks > task_limit {
            leaks.push("runtime tasks above the warm count");
        }
        let allowed = self.warm.rss_kib as f64 * GROWTH_SHARE + GROWTH_MARGIN_KIB;
        if self.projected_growth_kib() > allowed {
            leaks.push("RSS kept growing after warm-up");
        }
        if self.tally.hung > 0 {
            leaks.push("calls hung");
        }
        if leaks.is_empty() {
            say("soak: no leak");
            Ok(())
        } else {
            bail!("soak found: {}", leaks.join("; "))
        }
    }
}
