//! The gateway: routes `/<function>` to its executor, admits or refuses, runs the request in a
//! fresh instance and answers with what the function printed.
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::http::{HeaderValue, Request, Response, StatusCode, header};
use tokio::sync::Semaphore;
use wasmfaas_engines::{Invocation, Limits, Outcome, Preopen, StdinMode, StdoutMode, Stopped};

use crate::executor::Executor;
use crate::functions::{FunctionSpec, GUEST_INPUT, GUEST_OUTPUT};
use crate::metrics::Metrics;
use crate::{cgi, metrics};

/// How much the gateway admits and how long it waits.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Requests that run at once (each holds an instance or a process).
    pub max_concurrency: usize,
    /// Requests that may wait for a slot; beyond them, 503 with `Retry-After`.
    pub max_queue: usize,
    /// The largest request body, in bytes (413 beyond).
    pub max_body: usize,
    /// The most standard output a function may write per request.
    pub max_response: usize,
    /// The longest a client may take to send its body (408 beyond).
    pub body_timeout: Duration,
    /// Where each request's output folder is kept, as `<dir>/<request id>` (else removed).
    pub keep_outputs: Option<PathBuf>,
}

/// One function and what runs it.
pub struct Served {
    /// The function.
    pub spec: FunctionSpec,
    /// Its executor.
    pub executor: Arc<dyn Executor>,
}

/// The gateway's state, shared by every connection.
pub struct Gateway {
    functions: BTreeMap<String, Served>,
    settings: Settings,
    /// Requests running or waiting: `max_concurrency + max_queue` permits.
    admitted: Arc<Semaphore>,
    /// Requests running: `max_concurrency` permits.
    running: Arc<Semaphore>,
    metrics: Metrics,
    next_id: AtomicU64,
    id_prefix: String,
}

/// A response before its request id is added.
type Answer = Response<Full<Bytes>>;

impl Gateway {
    /// A gateway serving `functions`.
    pub fn new(functions: Vec<Served>, settings: Settings) -> Self {
        let started = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        Self {
            functions: functions
                .into_iter()
                .map(|served| (served.spec.name.clone(), served))
                .collect(),
            admitted: Arc::new(Semaphore::new(
                settings.max_concurrency + settings.max_queue,
            )),
            running: Arc::new(Semaphore::new(settings.max_concurrency)),
            settings,
            metrics: Metrics::default(),
            next_id: AtomicU64::new(1),
            id_prefix: format!("{:x}", started.as_secs()),
        }
    }

    /// The functions served, by name.
    pub fn functions(&self) -> impl Iterator<Item = &Served> {
        self.functions.values()
    }

    /// Answers one request; logs it and counts it.
    pub async fn handle(
        self: Arc<Self>,
        request: Request<Incoming>,
        remote: SocketAddr,
        local: SocketAddr,
    ) -> Result<Answer, std::convert::Infallible> {
        let received = Instant::now();
        let id = format!(
            "{}-{}",
            self.id_prefix,
            self.next_id.fetch_add(1, Ordering::Relaxed)
        );
        let method = request.method().clone();
        let path = request.uri().path().to_owned();
        let (function, answer, exit_code) = match path.as_str() {
            "/metrics" => ("metrics".to_owned(), self.metrics_page(), None),
            _ => {
                let name = path
                    .trim_start_matches('/')
                    .split('/')
                    .next()
                    .unwrap_or("")
                    .to_owned();
                let (answer, exit_code) = self.call(&name, request, remote, local, &id).await;
                (name, answer, exit_code)
            }
        };
        let mut answer = answer;
        if let Ok(value) = HeaderValue::from_str(&id) {
            answer.headers_mut().insert("x-request-id", value);
        }
        let status = answer.status().as_u16();
        let latency = received.elapsed();
        let known = self.functions.contains_key(&function);
        // Unknown names are counted together, so a scan cannot grow the metrics without bound.
        self.metrics
            .answered(if known { &function } else { "(unknown)" }, status, latency);
        tracing::info!(
            target: "wasmfaas_serve::request",
            request_id = %id,
            method = %method,
            path = %path,
            function = %function,
            status,
            exit_code = %exit_code.map_or_else(|| "-".to_owned(), |c| c.to_string()),
            duration_us = latency.as_micros() as u64,
            "request"
        );
        Ok(answer)
    }

    fn metrics_page(&self) -> Answer {
        let mut answer = Response::new(Full::new(Bytes::from(self.metrics.encode())));
        answer.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(metrics::CONTENT_TYPE),
        );
        answer
    }

    async fn call(
        &self,
        name: &str,
        request: Request<Incoming>,
        remote: SocketAddr,
        local: SocketAddr,
        id: &str,
    ) -> (Answer, Option<i32>) {
        let Some(served) = self.functions.get(name) else {
            let known: Vec<&str> = self.functions.keys().map(String::as_str).collect();
            return (
                text(
                    StatusCode::NOT_FOUND,
                    format!(
                        "no function {name:?} here; this gateway serves /{}",
                        known.join(", /")
                    ),
                ),
                None,
            );
        };
        let Ok(admitted) = self.admitted.clone().try_acquire_owned() else {
            let mut answer = text(
                StatusCode::SERVICE_UNAVAILABLE,
                format!(
                    "the gateway is at its limit ({} running, {} waiting): retry later",
                    self.settings.max_concurrency, self.settings.max_queue
                ),
            );
            answer
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            return (answer, None);
        };
        self.metrics.in_flight().inc();
        let answer = self.admitted_call(served, request, remote, local, id).await;
        self.metrics.in_flight().dec();
        drop(admitted);
        answer
    }

    async fn admitted_call(
        &self,
        served: &Served,
        request: Request<Incoming>,
        remote: SocketAddr,
        local: SocketAddr,
        id: &str,
    ) -> (Answer, Option<i32>) {
        let spec = &served.spec;
        let (parts, body) = request.into_parts();
        let claimed = parts
            .headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        let too_large = || {
            text(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    "the body is over the limit of {} bytes (--max-body)",
                    self.settings.max_body
                ),
            )
        };
        if claimed.is_some_and(|length| length > self.settings.max_body as u64) {
            return (too_large(), None);
        }
        let collected = tokio::time::timeout(
            self.settings.body_timeout,
            Limited::new(body, self.settings.max_body).collect(),
        )
        .await;
        let body = match collected {
            Err(_) => {
                let limit = self.settings.body_timeout;
                return (
                    text(
                        StatusCode::REQUEST_TIMEOUT,
                        format!("the body did not arrive within {limit:?}"),
                    ),
                    None,
                );
            }
            Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => return (too_large(), None),
            Ok(Err(e)) => {
                return (
                    text(
                        StatusCode::BAD_REQUEST,
                        format!("cannot read the body: {e}"),
                    ),
                    None,
                );
            }
            Ok(Ok(collected)) => collected.to_bytes(),
        };
        let Ok(slot) = self.running.clone().acquire_owned().await else {
            return (
                text(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "the gateway is shutting down".into(),
                ),
                None,
            );
        };
        let slot_granted = Instant::now();
        let script_name = format!("/{}", spec.name);
        let path_info = parts.uri.path()[script_name.len()..].to_owned();
        let mut env = spec.env.clone();
        env.extend(cgi::variables(
            &parts,
            &script_name,
            &path_info,
            body.len(),
            remote,
            local,
        ));
        let output = match self.output_folder(spec, id) {
            Ok(output) => output,
            Err(e) => {
                return (
                    text(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        format!("cannot make the request's output folder: {e}"),
                    ),
                    None,
                );
            }
        };
        let invocation = invocation(
            spec,
            served.executor.sees_host_paths(),
            &parts,
            env,
            body,
            output.as_ref().map(OutputFolder::path),
            self.settings.max_response,
        );
        let executor = served.executor.clone();
        let ready_after = slot_granted.elapsed();
        // The run is a task of its own: a guest answered at its deadline (one whose engine
        // cannot stop it) goes on in it, holding its slot and output folder until it ends.
        let run = tokio::spawn(async move {
            let result = executor.invoke(invocation).await;
            drop(slot);
            drop(output);
            result
        });
        // A guest whose engine cannot stop it is answered at its deadline, with a margin for the
        // engines that stop it themselves to do so first.
        let deadline = spec.timeout + spec.timeout / 20 + Duration::from_millis(20);
        let result = match tokio::time::timeout(deadline, run).await {
            Err(_) => return (timed_out(spec, served.executor.stops_at_deadline()), None),
            Ok(Err(e)) => {
                return (
                    text(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        format!("the run of {} failed: {e}", spec.name),
                    ),
                    None,
                );
            }
            Ok(Ok(result)) => result,
        };
        match result {
            Err(e) => (
                text(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!("cannot run {}: {e}", spec.name),
                ),
                None,
            ),
            Ok(outcome) => {
                self.metrics
                    .overhead(&spec.name, ready_after + outcome.phases.instantiate);
                (
                    answer_of(spec, &outcome, served.executor.stops_at_deadline()),
                    Some(outcome.exit_code),
                )
            }
        }
    }

    fn output_folder(
        &self,
        spec: &FunctionSpec,
        id: &str,
    ) -> std::io::Result<Option<OutputFolder>> {
        if !spec.output {
            return Ok(None);
        }
        Ok(Some(match &self.settings.keep_outputs {
            Some(dir) => {
                let path = dir.join(id);
                std::fs::create_dir_all(&path)?;
                OutputFolder::Kept(path)
            }
            None => OutputFolder::Temporary(
                tempfile::Builder::new()
                    .prefix("wasmfaas-serve-")
                    .tempdir()?,
            ),
        }))
    }
}

/// A request's output folder: removed with the request, or kept for inspection.
enum OutputFolder {
    Temporary(tempfile::TempDir),
    Kept(PathBuf),
}

impl OutputFolder {
    fn path(&self) -> &std::path::Path {
        match self {
            OutputFolder::Temporary(dir) => dir.path(),
            OutputFolder::Kept(path) => path,
        }
    }
}

/// The invocation of one request: the function's arguments then the query's, its environment
/// then the CGI variables, the body on stdin, its folders (as host paths to a `native` process).
fn invocation(
    spec: &FunctionSpec,
    native: bool,
    parts: &hyper::http::request::Parts,
    env: Vec<(String, String)>,
    body: Bytes,
    output: Option<&std::path::Path>,
    max_response: usize,
) -> Invocation {
    // A WebAssembly guest or a container sees its folders at fixed guest paths; a native
    // process at the host's.
    let input = match (&spec.inputs, native) {
        (Some(dir), true) => dir.display().to_string(),
        _ => GUEST_INPUT.to_owned(),
    };
    let output_arg = match (output, native) {
        (Some(dir), true) => dir.display().to_string(),
        _ => GUEST_OUTPUT.to_owned(),
    };
    let mut args: Vec<String> = spec
        .args
        .iter()
        .map(|a| {
            a.replace("{input}", &input)
                .replace("{output}", &output_arg)
        })
        .collect();
    args.extend(cgi::query_args(parts.uri.query()));
    let mut preopens = if native {
        Vec::new()
    } else {
        spec.dirs.clone()
    };
    if !native {
        if let Some(dir) = &spec.inputs {
            preopens.push(Preopen {
                host: dir.clone(),
                guest: GUEST_INPUT.into(),
            });
        }
        if let Some(dir) = output {
            preopens.push(Preopen {
                host: dir.to_path_buf(),
                guest: GUEST_OUTPUT.into(),
            });
        }
    }
    Invocation {
        program_name: spec.name.clone(),
        args,
        env,
        preopens,
        stdin: StdinMode::Bytes(Arc::from(body.as_ref())),
        stdout: StdoutMode::Capture {
            limit: max_response,
        },
        limits: Limits {
            timeout: Some(spec.timeout),
            max_memory: spec.max_memory,
        },
    }
}

/// The response of a finished run: the function's own, or why it failed.
fn answer_of(spec: &FunctionSpec, outcome: &Outcome, stops_at_deadline: bool) -> Answer {
    let name = &spec.name;
    let failed = |message: String| {
        let mut answer = text(StatusCode::INTERNAL_SERVER_ERROR, message);
        if let Ok(code) = HeaderValue::from_str(&outcome.exit_code.to_string()) {
            answer.headers_mut().insert("x-wasmfaas-exit-code", code);
        }
        answer
    };
    match (outcome.stopped, &outcome.trap, outcome.exit_code) {
        (Some(Stopped::Timeout(_)), _, _) => timed_out(spec, stops_at_deadline),
        (Some(stopped), _, _) => failed(format!("{name} was {stopped}")),
        (None, Some(trap), _) => failed(format!("{name} trapped: {trap}")),
        (None, None, 0) => {
            let stdout = outcome.stdout.clone().unwrap_or_default();
            match cgi::reply(stdout) {
                Ok(reply) => {
                    let mut answer = Response::new(Full::new(Bytes::from(reply.body)));
                    *answer.status_mut() = reply.status;
                    for (header, value) in reply.headers {
                        answer.headers_mut().append(header, value);
                    }
                    answer
                }
                Err(problem) => text(
                    StatusCode::BAD_GATEWAY,
                    format!("{name} answered with a malformed CGI response: {problem}"),
                ),
            }
        }
        (None, None, code) => failed(format!("{name} exited with code {code}")),
    }
}

fn timed_out(spec: &FunctionSpec, stopped: bool) -> Answer {
    let detail = if stopped {
        "and was stopped"
    } else {
        "; its engine cannot stop it, so it keeps its slot until it ends"
    };
    text(
        StatusCode::GATEWAY_TIMEOUT,
        format!(
            "{} ran past its deadline of {:?} {detail}",
            spec.name, spec.timeout
        ),
    )
}

fn text(status: StatusCode, message: String) -> Answer {
    let mut answer = Response::new(Full::new(Bytes::from(message + "\n")));
    *answer.status_mut() = status;
    answer.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    answer
}
