//! `cargo xtask bench`: the gateway's cost, measured against the emulator it fronts.
//!
//! Builds the binaries in the `profiling` profile, starts `hub-mock` emulators and a gateway
//! on loopback, drives both with `hub-load`, and reports each figure beside its baseline (the
//! same load sent straight to the emulator) in one table. The raw figures are written as
//! JSON under `target/bench/` with the commit they measure. This machine is shared and
//! noisy: read ratios and the gateway's own CPU time, which noise disturbs least.

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context, bail};
use serde_json::{Value, json};

use crate::{cargo, say};

/// Requests for the CPU and throughput figures.
const REQUESTS: usize = 20_000;
/// Fixed offered rates for the latency figures, per second.
const RATES: [u32; 4] = [500, 1_000, 2_000, 4_000];
/// Seconds at each rate.
const RATE_SECONDS: f64 = 5.0;
/// The paced emulator's delay between stream events, in milliseconds.
const PACING_MS: u64 = 10;
/// Streams held open at once for the memory figure.
const HELD_STREAMS: usize = 1_000;

const CHAT: &str = r#"{"messages":[{"role":"user","content":"Say hello to the benchmark please"}],"max_tokens":16"#;
const STREAM: &str = r#"{"stream":true,"messages":[{"role":"user","content":"one two three four five six seven eight nine ten eleven twelve"}]"#;
const HELD: &str = r#"{"stream":true,"messages":[{"role":"user","content":"a b c d e"}]"#;

pub(crate) fn run(_args: &[String]) -> anyhow::Result<()> {
    cargo(&[
        "build",
        "--profile",
        "profiling",
        "-p",
        "hub-gateway",
        "-p",
        "hub-testkit",
        "--bin",
        "hub-gateway",
        "--bin",
        "hub-mock",
        "--bin",
        "hub-load",
    ])?;
    let bin = target_dir().join("profiling");
    let out = target_dir().join("bench");
    std::fs::create_dir_all(&out)?;

    let bench = Bench::start(&bin, &out)?;
    let figures = bench.measure()?;

    let commit = git_commit();
    let report = json!({"commit": commit, "figures": figures});
    let path = out.join(format!("bench-{commit}.json"));
    std::fs::write(&path, serde_json::to_string_pretty(&report)?)?;
    std::fs::write(
        out.join("latest.json"),
        serde_json::to_string_pretty(&report)?,
    )?;
    print_table(&figures);
    say(&format!("xtask: raw figures in {}", path.display()));
    Ok(())
}

/// The processes under test, killed when dropped.
struct Bench {
    load: PathBuf,
    fast: Process,
    paced: Process,
    /// Serves only the held streams; kept so that it stops with the rest.
    _slow: Process,
    gateway: Process,
}

impl Bench {
    fn start(bin: &Path, out: &Path) -> anyhow::Result<Bench> {
        let mock = bin.join("hub-mock");
        let fast = Process::mock(&mock, &[])?;
        let paced = Process::mock(&mock, &["--chunk-delay-ms", &PACING_MS.to_string()])?;
        let slow = Process::mock(&mock, &["--chunk-delay-ms", "1000"])?;

        let config = out.join("config.yaml");
        std::fs::write(&config, gateway_config(fast.addr, paced.addr, slow.addr))?;
        let gateway =
            Process::gateway(&bin.join("hub-gateway"), &config, &out.join("gateway.log"))?;

        Ok(Bench {
            load: bin.join("hub-load"),
            fast,
            paced,
            _slow: slow,
            gateway,
        })
    }

    fn measure(&self) -> anyhow::Result<Value> {
        let idle_kib = rss_kib(self.gateway.pid())?;
        say("xtask: warming up");
        self.closed(&self.direct(CHAT), 16, 2_000)?;
        self.closed(&self.via("fast", CHAT), 16, 2_000)?;

        say("xtask: CPU time per request");
        let cpu = self.cpu()?;
        say("xtask: throughput");
        let throughput = json!({
            "direct": self.closed(&self.direct(CHAT), 64, REQUESTS)?,
            "via_gateway": self.closed(&self.via("fast", CHAT), 64, REQUESTS)?,
        });
        say("xtask: latency at fixed rates");
        let latency = self.latency()?;
        say("xtask: streaming");
        let streaming = json!({
            "direct": self.hub_load(&self.paced_direct(STREAM), &["stream", "--requests", "50"])?,
            "via_gateway": self.hub_load(&self.via("paced", STREAM), &["stream", "--requests", "50"])?,
            "pacing_ms": PACING_MS,
        });
        say("xtask: memory with 1,000 open streams");
        let memory = self.memory(idle_kib)?;

        Ok(json!({
            "cpu": cpu, "throughput": throughput, "latency": latency,
            "streaming": streaming, "memory": memory,
        }))
    }

    /// CPU time of each process per request, from its own accounting in `/proc`.
    fn cpu(&self) -> anyhow::Result<Value> {
        let before = (
            cpu_seconds(self.gateway.pid())?,
            cpu_seconds(self.fast.pid())?,
        );
        self.closed(&self.via("fast", CHAT), 16, REQUESTS)?;
        let after = (
            cpu_seconds(self.gateway.pid())?,
            cpu_seconds(self.fast.pid())?,
        );
        let gateway_us = (after.0 - before.0) * 1e6 / REQUESTS as f64;

        let before_direct = cpu_seconds(self.fast.pid())?;
        self.closed(&self.direct(CHAT), 16, REQUESTS)?;
        let emulator_us = (cpu_seconds(self.fast.pid())? - before_direct) * 1e6 / REQUESTS as f64;

        Ok(json!({
            "gateway_us_per_request": gateway_us,
            "emulator_us_per_request": emulator_us,
            "emulator_us_per_request_via_gateway": (after.1 - before.1) * 1e6 / REQUESTS as f64,
        }))
    }

    fn latency(&self) -> anyhow::Result<Value> {
        let mut rows = Vec::new();
        for rate in RATES {
            let args = [
                "open",
                "--rate",
                &rate.to_string(),
                "--seconds",
                &RATE_SECONDS.to_string(),
            ];
            let direct = self.hub_load(&self.direct(CHAT), &args)?;
            let via = self.hub_load(&self.via("fast", CHAT), &args)?;
            rows.push(json!({"rate": rate, "direct": direct, "via_gateway": via}));
        }
        Ok(Value::Array(rows))
    }

    fn memory(&self, idle_kib: u64) -> anyhow::Result<Value> {
        let target = self.via("held", HELD);
        let mut held = Command::new(&self.load)
            .args(["hold", "--streams", &HELD_STREAMS.to_string()])
            .args(&target)
            .stdout(Stdio::piped())
            .spawn()
            .context("cannot start hub-load")?;
        let stdout = held.stdout.take().context("hub-load's stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let opened: Value = serde_json::from_str(&lines.next().context("hub-load said nothing")??)?;
        let open_kib = rss_kib(self.gateway.pid())?;
        let done: Value = serde_json::from_str(&lines.next().context("hub-load stopped early")??)?;
        held.wait()?;

        Ok(json!({
            "idle_kib": idle_kib,
            "open_streams": opened["streams"],
            "with_open_streams_kib": open_kib,
            "stream_errors": done["errors"],
            "after_load_kib": rss_kib(self.gateway.pid())?,
        }))
    }

    fn closed(
        &self,
        target: &[String],
        concurrency: usize,
        requests: usize,
    ) -> anyhow::Result<Value> {
        let args = [
            "closed",
            "--concurrency",
            &concurrency.to_string(),
            "--requests",
            &requests.to_string(),
        ];
        self.hub_load(target, &args)
    }

    fn hub_load(&self, target: &[String], args: &[&str]) -> anyhow::Result<Value> {
        let output = Command::new(&self.load).args(args).args(target).output()?;
        if !output.status.success() {
            bail!(
                "hub-load failed: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        let report: Value = serde_json::from_slice(&output.stdout)?;
        let errors = report["errors"].as_u64().unwrap_or(0);
        if errors > 0 {
            say(&format!(
                "xtask: warning: {errors} requests failed in {args:?}"
            ));
        }
        Ok(report)
    }

    /// Arguments aiming hub-load at the fast emulator itself.
    fn direct(&self, body: &str) -> Vec<String> {
        target(self.fast.addr, "gpt-4o", body, true)
    }

    fn paced_direct(&self, body: &str) -> Vec<String> {
        target(self.paced.addr, "gpt-4o", body, true)
    }

    /// Arguments aiming hub-load at the gateway, for the model with key `model`.
    fn via(&self, model: &str, body: &str) -> Vec<String> {
        target(self.gateway.addr, model, body, false)
    }
}

/// hub-load's target arguments. `body` is a chat request without its model, which is added.
fn target(addr: SocketAddr, model: &str, body: &str, auth: bool) -> Vec<String> {
    let mut args = vec![
        "--url".to_owned(),
        format!("http://{addr}/v1/chat/completions"),
        "--body".to_owned(),
        format!(r#"{body},"model":"{model}"}}"#),
    ];
    if auth {
        args.extend([
            "--header".to_owned(),
            "authorization: Bearer bench".to_owned(),
        ]);
    }
    args
}

fn gateway_config(fast: SocketAddr, paced: SocketAddr, slow: SocketAddr) -> String {
    format!(
        r#"providers:
  - {{ key: fast, type: openai, api_key: bench, base_url: "http://{fast}/v1" }}
  - {{ key: paced, type: openai, api_key: bench, base_url: "http://{paced}/v1" }}
  - {{ key: slow, type: openai, api_key: bench, base_url: "http://{slow}/v1" }}
models:
  - {{ key: fast, type: gpt-4o, provider: fast }}
  - {{ key: paced, type: gpt-4o, provider: paced }}
  - {{ key: held, type: gpt-4o, provider: slow }}
pipelines:
  - name: default
    type: chat
    plugins:
      - model-router: {{ models: [fast, paced, held] }}
"#
    )
}

/// A child process and the address it serves; killed when dropped.
pub(crate) struct Process {
    child: Option<Child>,
    pub(crate) addr: SocketAddr,
}

impl Process {
    fn mock(binary: &Path, extra: &[&str]) -> anyhow::Result<Process> {
        let addr = free_port()?;
        let child = Command::new(binary)
            .args(["--addr", &addr.to_string()])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("cannot start {}", binary.display()))?;
        Process::ready(child, addr)
    }

    pub(crate) fn gateway(binary: &Path, config: &Path, log: &Path) -> anyhow::Result<Process> {
        let addr = free_port()?;
        let child = Command::new(binary)
            .env("CONFIG_FILE_PATH", config)
            .env("HOST", "127.0.0.1")
            .env("PORT", addr.port().to_string())
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(log)?)
            .spawn()
            .with_context(|| format!("cannot start {}", binary.display()))?;
        Process::ready(child, addr)
    }

    /// Waits up to 10 s for the process to accept connections.
    #[expect(
        clippy::disallowed_methods,
        reason = "xtask runs no async runtime: blocking this thread is the point"
    )]
    fn ready(child: Child, addr: SocketAddr) -> anyhow::Result<Process> {
        let process = Process {
            child: Some(child),
            addr,
        };
        for _ in 0..200 {
            if TcpStream::connect(addr).is_ok() {
                return Ok(process);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        bail!("nothing listens on {addr} 10 s after start")
    }

    pub(crate) fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A port free now on loopback. Another process could take it before it is used; on a
/// bench machine that risk is accepted.
pub(crate) fn free_port() -> anyhow::Result<SocketAddr> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?)
}

/// User plus system CPU time of a process, in seconds, from `/proc/<pid>/stat`.
fn cpu_seconds(pid: u32) -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // The command name may hold spaces; the fields after it are fixed.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .context("an unexpected /proc stat line")?
        .1
        .split_whitespace()
        .collect();
    let ticks: f64 = fields[11].parse::<f64>()? + fields[12].parse::<f64>()?;
    Ok(ticks / clock_ticks_per_second())
}

/// `sysconf(_SC_CLK_TCK)`, asked of `getconf` since this crate forbids unsafe code.
fn clock_ticks_per_second() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|output| String::from_utf8(output.stdout).ok())
        .and_then(|text| text.trim().parse().ok())
        .unwrap_or(100.0)
}

/// Resident memory of a process, in KiB.
pub(crate) fn rss_kib(pid: u32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let line = status
        .lines()
        .find(|line| line.starts_with("VmRSS:"))
        .context("no VmRSS in /proc status")?;
    Ok(line
        .split_whitespace()
        .nth(1)
        .context("an empty VmRSS")?
        .parse()?)
}

pub(crate) fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"),
        PathBuf::from,
    )
}

fn git_commit() -> String {
    Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()
        .and_then(|output| String::from_utf8(output.stdout).ok())
        .map_or_else(|| "unknown".to_owned(), |commit| commit.trim().to_owned())
}

fn print_table(figures: &Value) {
    let number = |value: &Value| value.as_f64().unwrap_or(f64::NAN);
    let cpu = &figures["cpu"];
    let mut rows: Vec<(String, String, String)> = vec![(
        "CPU per request (µs)".into(),
        format!("{:.1}", number(&cpu["gateway_us_per_request"])),
        format!("emulator {:.1}", number(&cpu["emulator_us_per_request"])),
    )];

    let direct = number(&figures["throughput"]["direct"]["throughput"]);
    let via = number(&figures["throughput"]["via_gateway"]["throughput"]);
    rows.push((
        "throughput (req/s)".into(),
        format!("{via:.0}"),
        format!("direct {direct:.0}, ratio {:.2}", via / direct),
    ));

    for row in figures["latency"].as_array().into_iter().flatten() {
        let (d, v) = (
            &row["direct"]["latency_us"],
            &row["via_gateway"]["latency_us"],
        );
        let added = |q: &str| (number(&v[q]) - number(&d[q])) / 1000.0;
        rows.push((
            format!("added latency @ {} req/s (ms)", row["rate"]),
            format!(
                "p50 {:.3} p90 {:.3} p99 {:.3} max {:.3}",
                added("p50"),
                added("p90"),
                added("p99"),
                added("max")
            ),
            format!(
                "achieved {:.0} req/s",
                number(&row["via_gateway"]["achieved_rate"])
            ),
        ));
    }

    let streaming = &figures["streaming"];
    let first = |side: &str| number(&streaming[side]["first_byte_us"]["p50"]) / 1000.0;
    rows.push((
        "added time to first byte (ms, p50)".into(),
        format!("{:.3}", first("via_gateway") - first("direct")),
        format!("direct {:.3}", first("direct")),
    ));
    rows.push((
        "stream frame gap (ms, p50)".into(),
        format!(
            "{:.1}",
            number(&streaming["via_gateway"]["frame_gap_us"]["p50"]) / 1000.0
        ),
        format!("emulator paces {PACING_MS} ms"),
    ));

    let memory = &figures["memory"];
    let mib = |key: &str| number(&memory[key]) / 1024.0;
    rows.push((
        "RSS idle (MiB)".into(),
        format!("{:.1}", mib("idle_kib")),
        "target 30".into(),
    ));
    rows.push((
        format!("RSS with {HELD_STREAMS} open streams (MiB)"),
        format!("{:.1}", mib("with_open_streams_kib")),
        "target 150".into(),
    ));

    let width = rows
        .iter()
        .map(|row| row.0.chars().count())
        .max()
        .unwrap_or(0);
    say("");
    for (figure, value, baseline) in rows {
        say(&format!("{figure:<width$}  {value:<44}  {baseline}"));
    }
}
