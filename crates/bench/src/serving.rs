//! The serving benchmark: `wasmfaas serve` under load from `hey`, per executor, function and
//! concurrency: requests per second, latency percentiles and the gateway's own overhead.
//!
//! Each executor gets a server of its own (`wasmfaas serve --suite` on a free loopback port);
//! each function is warmed with a few requests, then loaded for a fixed time at each
//! concurrency. A row reaches `serving.csv` when its load ends.
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::BenchError;

/// The file of a run set that holds the serving benchmark's rows.
pub const SERVING_FILE: &str = "serving.csv";

/// What runs the requests of one server: an engine and mode, in a fresh instance or process per
/// request, or in a fresh container per request (`wasmfaas serve --container`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServingExecutor {
    /// The engine: `wasmtime`, `wasmer`, `wasmi` or `native`.
    pub engine: String,
    /// Its mode.
    pub mode: String,
    /// A container per request, through containerd and wasmfaas's shim.
    pub container: bool,
}

impl ServingExecutor {
    fn new(engine: &str, mode: &str, container: bool) -> Self {
        Self {
            engine: engine.to_owned(),
            mode: mode.to_owned(),
            container,
        }
    }

    /// Its name as the gateway gives it: `wasmtime-aot`, `native`, `container/native`, …
    pub fn name(&self) -> String {
        let name = ServingRow::executor_name(&self.engine, &self.mode);
        if self.container {
            format!("container/{name}")
        } else {
            name
        }
    }
}

/// What the serving benchmark runs.
#[derive(Debug, Clone)]
pub struct ServingPlan {
    /// The executors, each with a server of its own.
    pub executors: Vec<ServingExecutor>,
    /// The suite functions loaded.
    pub functions: Vec<String>,
    /// The numbers of concurrent clients.
    pub concurrencies: Vec<u32>,
    /// How long each load lasts.
    pub duration: Duration,
    /// The suite's size (`small`, `paper`, `large`).
    pub size: String,
}

impl ServingPlan {
    /// hello and one function of each kind (micro, real-world, I/O-bound), four executors (six
    /// with `containers`: a native and a WebAssembly container per request), at concurrency 1,
    /// 8 and 64, for `duration` each.
    pub fn standard(size: &str, duration: Duration, containers: bool) -> Self {
        let mut executors = vec![
            ServingExecutor::new("wasmtime", "aot", false),
            ServingExecutor::new("wasmer", "aot", false),
            ServingExecutor::new("wasmi", "interp", false),
            ServingExecutor::new("native", "native", false),
        ];
        if containers {
            executors.push(ServingExecutor::new("native", "native", true));
            executors.push(ServingExecutor::new("wasmtime", "aot", true));
        }
        Self {
            executors,
            functions: ["hello", "matmul", "whatlang", "diskio"]
                .map(String::from)
                .to_vec(),
            concurrencies: vec![1, 8, 64],
            duration,
            size: size.to_owned(),
        }
    }
}

/// One load: an executor, a function, a concurrency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServingRow {
    /// The executor (`wasmtime-aot`, `native`, …).
    pub executor: String,
    /// The function.
    pub function: String,
    /// Concurrent clients.
    pub concurrency: u32,
    /// Responses received.
    pub responses: u64,
    /// Of them, 200.
    pub ok: u64,
    /// Of them, 503 (the gateway full).
    pub rejected: u64,
    /// Requests that got no response, or another status.
    pub errors: u64,
    /// Responses per second.
    pub requests_per_second: f64,
    /// Median latency, ms.
    pub p50_ms: f64,
    /// 99th percentile latency, ms.
    pub p99_ms: f64,
    /// The gateway's mean overhead per request in this load (slot granted to instance ready), µs.
    pub overhead_us: Option<f64>,
}

impl ServingRow {
    /// The executor's name as the gateway gives it for `(engine, mode)`.
    pub fn executor_name(engine: &str, mode: &str) -> String {
        if engine == "native" {
            "native".into()
        } else {
            format!("{engine}-{mode}")
        }
    }
}

/// Reads a run set's serving rows (none when it has no serving file).
pub fn read_rows(dir: &Path) -> Result<Vec<ServingRow>, BenchError> {
    let path = dir.join(SERVING_FILE);
    let file = match std::fs::File::open(&path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(BenchError::io(&path, e)),
    };
    csv::Reader::from_reader(file)
        .deserialize()
        .collect::<Result<Vec<ServingRow>, _>>()
        .map_err(|e| BenchError::RunSet {
            path,
            problem: format!("is not a valid serving table: {e}"),
        })
}

/// Runs `plan` with the `wasmfaas` binary at `wasmfaas` on the project at `project`, appending
/// each row to the run set's serving file in `dir` as it is measured; `progress` hears one line
/// per load.
pub fn run(
    plan: &ServingPlan,
    wasmfaas: &Path,
    project: &Path,
    dir: &Path,
    mut progress: impl FnMut(&str),
) -> Result<Vec<ServingRow>, BenchError> {
    let hey = wasmfaas_oci::find_tool("hey").ok_or_else(|| BenchError::Serving {
        executor: "all".into(),
        problem: "the serving benchmark loads the gateway with hey, which is not installed (apt-get install hey)".into(),
    })?;
    let path = dir.join(SERVING_FILE);
    let exists = path.exists();
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(|e| BenchError::io(&path, e))?;
    let mut writer = csv::WriterBuilder::new()
        .has_headers(!exists)
        .from_writer(file);
    let mut rows = Vec::new();
    for served in &plan.executors {
        let executor = served.name();
        let fail = |problem: String| BenchError::Serving {
            executor: executor.clone(),
            problem,
        };
        let log = dir.join(format!("serve-{}.log", executor.replace('/', "-")));
        let server = Server::start(wasmfaas, project, served, &plan.size, &log).map_err(fail)?;
        for function in &plan.functions {
            let url = format!("http://{}/{function}", server.addr);
            // Warm: the first requests map the function's pool slot and page in its code.
            load(&hey, &url, 1, Load::Requests(20)).map_err(fail)?;
            for &concurrency in &plan.concurrencies {
                let before = overhead(server.addr, function).map_err(fail)?;
                let mut row =
                    load(&hey, &url, concurrency, Load::For(plan.duration)).map_err(fail)?;
                let after = overhead(server.addr, function).map_err(fail)?;
                row.executor = executor.clone();
                row.function = function.clone();
                row.overhead_us = match (before, after) {
                    (Some((s0, c0)), Some((s1, c1))) if c1 > c0 => {
                        Some((s1 - s0) / (c1 - c0) * 1e6)
                    }
                    _ => None,
                };
                writer
                    .serialize(&row)
                    .and_then(|()| Ok(writer.flush()?))
                    .map_err(|e| BenchError::RunSet {
                        path: path.clone(),
                        problem: format!("cannot write a serving row: {e}"),
                    })?;
                progress(&format!(
                    "serving {executor} /{function} c={concurrency}: {:.0} req/s, p99 {:.2} ms",
                    row.requests_per_second, row.p99_ms
                ));
                rows.push(row);
            }
        }
        server.stop().map_err(fail)?;
    }
    Ok(rows)
}

/// A `wasmfaas serve` of the suite on a free loopback port, killed if dropped unstopped.
struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Server {
    fn start(
        wasmfaas: &Path,
        project: &Path,
        executor: &ServingExecutor,
        size: &str,
        log: &Path,
    ) -> Result<Server, String> {
        let log_file = std::fs::File::create(log)
            .map_err(|e| format!("cannot write {}: {e}", log.display()))?;
        let (engine, mode) = (executor.engine.as_str(), executor.mode.as_str());
        let mut command = Command::new(wasmfaas);
        command.arg("serve");
        if executor.container {
            command.arg("--container");
        }
        let child = command
            .args([
                "--suite", "--engine", engine, "--mode", mode, "--size", size,
            ])
            .args([
                "--addr",
                "127.0.0.1:0",
                "--max-concurrency",
                "64",
                "--max-queue",
                "4096",
            ])
            .arg("--project")
            .arg(project)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log_file)
            .spawn()
            .map_err(|e| format!("cannot run {}: {e}", wasmfaas.display()))?;
        let mut server = Server {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        };
        // AOT artifacts are compiled at the first start; the cache makes later ones quick.
        let deadline = Instant::now() + Duration::from_secs(600);
        loop {
            let text = std::fs::read_to_string(log).unwrap_or_default();
            if let Some(addr) = text
                .lines()
                .find_map(|l| l.strip_prefix("wasmfaas: listening on http://"))
            {
                server.addr = addr
                    .parse()
                    .map_err(|e| format!("the server printed a bad address {addr:?}: {e}"))?;
                return Ok(server);
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                let last = text.lines().last().unwrap_or("").to_owned();
                return Err(format!(
                    "wasmfaas serve exited ({status}) before listening: {last} (log: {})",
                    log.display()
                ));
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "wasmfaas serve did not listen within 10 minutes (log: {})",
                    log.display()
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// SIGTERM, then the exit: in-flight requests finish first.
    fn stop(mut self) -> Result<(), String> {
        // SAFETY: kill(2) on our own child's pid.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let status = self
            .child
            .wait()
            .map_err(|e| format!("cannot wait for wasmfaas serve: {e}"))?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("wasmfaas serve ended with {status} after SIGTERM"))
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.child.kill().ok();
            self.child.wait().ok();
        }
    }
}

enum Load {
    Requests(u32),
    For(Duration),
}

/// One load with hey, its summary parsed.
fn load(hey: &Path, url: &str, concurrency: u32, load: Load) -> Result<ServingRow, String> {
    let mut command = Command::new(hey);
    command.args(["-c", &concurrency.to_string(), "-t", "60"]);
    match load {
        Load::Requests(n) => command.args(["-n", &n.max(concurrency).to_string()]),
        Load::For(duration) => command.args(["-z", &format!("{}ms", duration.as_millis())]),
    };
    let out = command
        .arg(url)
        .output()
        .map_err(|e| format!("cannot run hey: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "hey failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    parse_hey(&String::from_utf8_lossy(&out.stdout)).map(|mut row| {
        row.concurrency = concurrency;
        row
    })
}

/// The numbers of hey's summary: requests/s, the 50% and 99% latencies, the status counts and
/// the errors.
fn parse_hey(summary: &str) -> Result<ServingRow, String> {
    let number = |prefix: &str| -> Option<f64> {
        summary.lines().find_map(|l| {
            l.trim()
                .strip_prefix(prefix)?
                .split_whitespace()
                .next()?
                .parse()
                .ok()
        })
    };
    let mut row = ServingRow {
        executor: String::new(),
        function: String::new(),
        concurrency: 0,
        responses: 0,
        ok: 0,
        rejected: 0,
        errors: 0,
        requests_per_second: number("Requests/sec:")
            .ok_or_else(|| format!("hey printed no Requests/sec:\n{summary}"))?,
        p50_ms: number("50% in").unwrap_or(f64::NAN) * 1e3,
        p99_ms: number("99% in").unwrap_or(f64::NAN) * 1e3,
        overhead_us: None,
    };
    let mut section = "";
    for line in summary.lines() {
        let trimmed = line.trim();
        if trimmed.ends_with("distribution:") {
            section = trimmed;
            continue;
        }
        let Some(rest) = trimmed.strip_prefix('[') else {
            continue;
        };
        let Some((key, tail)) = rest.split_once(']') else {
            continue;
        };
        let count: u64 = tail
            .split_whitespace()
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        match (section, key) {
            ("Status code distribution:", "200") => row.ok += count,
            ("Status code distribution:", "503") => row.rejected += count,
            ("Status code distribution:", _) => row.errors += count,
            ("Error distribution:", _) => {
                // hey prints the count inside the brackets of an error line.
                row.errors += key.parse::<u64>().unwrap_or(1);
                continue;
            }
            _ => continue,
        }
        row.responses += count;
    }
    Ok(row)
}

/// The gateway's overhead histogram of `function` so far: (sum in seconds, count).
fn overhead(addr: SocketAddr, function: &str) -> Result<Option<(f64, f64)>, String> {
    let mut stream =
        TcpStream::connect(addr).map_err(|e| format!("cannot reach the gateway at {addr}: {e}"))?;
    stream.set_read_timeout(Some(Duration::from_secs(10))).ok();
    stream
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
        .map_err(|e| format!("cannot ask for the metrics: {e}"))?;
    let mut text = String::new();
    stream
        .read_to_string(&mut text)
        .map_err(|e| format!("cannot read the metrics: {e}"))?;
    let value = |name: &str| -> Option<f64> {
        let key = format!("wasmfaas_overhead_seconds_{name}{{function=\"{function}\"}} ");
        text.lines()
            .find_map(|l| l.strip_prefix(&key)?.trim().parse().ok())
    };
    Ok(value("sum").zip(value("count")))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SUMMARY: &str = "
Summary:
  Total:\t5.0012 secs
  Slowest:\t0.0512 secs
  Fastest:\t0.0001 secs
  Average:\t0.0071 secs
  Requests/sec:\t8707.6147

Latency distribution:
  10% in 0.0021 secs
  50% in 0.0061 secs
  99% in 0.0233 secs

Status code distribution:
  [200]\t43000 responses
  [503]\t538 responses

Error distribution:
  [12]\tGet \"http://127.0.0.1:1/hello\": context deadline exceeded
";

    #[test]
    fn heys_summary_gives_the_rates_latencies_and_counts() {
        let row = parse_hey(SUMMARY).unwrap();
        assert_eq!(row.requests_per_second, 8707.6147);
        assert!((row.p50_ms - 6.1).abs() < 1e-9 && (row.p99_ms - 23.3).abs() < 1e-9);
        assert_eq!(
            (row.ok, row.rejected, row.errors, row.responses),
            (43000, 538, 12, 43538)
        );
        assert!(
            parse_hey("no summary")
                .unwrap_err()
                .contains("Requests/sec")
        );
    }
}
