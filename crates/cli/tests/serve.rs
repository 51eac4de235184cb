//! `wasmfaas serve` as an operator meets it: the suite over HTTP on every executor, deadlines,
//! memory limits, backpressure, shutdown, and clients that send nonsense.
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

mod common;

use common::built;
use wasmfaas_suite::{Layout, Size};

/// A `wasmfaas serve` process on a free loopback port, stopped (SIGKILL) when dropped.
struct Server {
    child: Child,
    addr: SocketAddr,
    stderr: Arc<Mutex<Vec<String>>>,
}

impl Server {
    fn start(args: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_wasmfaas"))
            .arg("serve")
            .args(["--addr", "127.0.0.1:0"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("wasmfaas runs");
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let lines = BufReader::new(child.stderr.take().unwrap());
        let kept = stderr.clone();
        std::thread::spawn(move || {
            for line in lines.lines().map_while(Result::ok) {
                if let Some(addr) = line.strip_prefix("wasmfaas: listening on http://") {
                    tx.send(addr.parse::<SocketAddr>().unwrap()).ok();
                }
                kept.lock().unwrap().push(line);
            }
        });
        let Ok(addr) = rx.recv_timeout(Duration::from_secs(300)) else {
            let status = child.wait().unwrap();
            std::thread::sleep(Duration::from_millis(100));
            panic!(
                "wasmfaas serve did not start ({status}):\n{}",
                stderr.lock().unwrap().join("\n")
            );
        };
        Server {
            child,
            addr,
            stderr,
        }
    }

    fn log(&self) -> String {
        self.stderr.lock().unwrap().join("\n")
    }

    /// The log once `ready` says it holds what is awaited, or after ten seconds as it is.
    fn log_when(&self, ready: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let log = self.log();
            if ready(&log) || Instant::now() > deadline {
                return log;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Sends SIGTERM and waits for the exit code.
    fn terminate(mut self) -> (Option<i32>, String) {
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let status = self.child.wait().unwrap();
        std::thread::sleep(Duration::from_millis(100));
        (status.code(), self.log())
    }

    fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

/// A response as read off the wire.
#[derive(Debug)]
struct Reply {
    status: u16,
    head: String,
    body: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().find_map(|line| {
            let (n, v) = line.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Sends `raw` on a new connection and reads the response to the connection's end.
fn exchange(addr: SocketAddr, raw: &[u8]) -> std::io::Result<Reply> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(120)))?;
    stream.write_all(raw)?;
    let mut bytes = Vec::new();
    stream.read_to_end(&mut bytes)?;
    parse_reply(&bytes).ok_or_else(|| {
        std::io::Error::other(format!(
            "no HTTP response in {:?}",
            String::from_utf8_lossy(&bytes)
        ))
    })
}

fn parse_reply(bytes: &[u8]) -> Option<Reply> {
    let end = bytes.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&bytes[..end]).into_owned();
    let status = head.split_whitespace().nth(1)?.parse().ok()?;
    Some(Reply {
        status,
        head,
        body: bytes[end + 4..].to_vec(),
    })
}

/// `METHOD path` with `body`, one request per connection.
fn request(addr: SocketAddr, method: &str, path: &str, body: &[u8]) -> Reply {
    let mut raw = format!(
        "{method} {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\nContent-Length: {}\r\nX-Test: yes\r\n\r\n",
        body.len()
    )
    .into_bytes();
    raw.extend_from_slice(body);
    exchange(addr, &raw).unwrap_or_else(|e| panic!("{method} {path}: {e}"))
}

fn get(addr: SocketAddr, path: &str) -> Reply {
    request(addr, "GET", path, b"")
}

/// A functions file in `dir` with these `[[function]]` tables.
fn functions_file(dir: &Path, tables: &str) -> PathBuf {
    let file = dir.join("functions.toml");
    std::fs::write(&file, tables).unwrap();
    file
}

fn wat_module(dir: &Path, name: &str, wat: &str) {
    std::fs::write(
        dir.join(format!("{name}.wasm")),
        wat::parse_str(wat).unwrap(),
    )
    .unwrap();
}

/// A server of the functions file `tables`, in a folder that also holds these WAT `modules`.
fn serving(modules: &[(&str, &str)], tables: &str, args: &[&str]) -> (tempfile::TempDir, Server) {
    let dir = tempfile::tempdir().unwrap();
    for (name, wat) in modules {
        wat_module(dir.path(), name, wat);
    }
    let file = functions_file(dir.path(), tables);
    let mut all = vec!["--functions", file.to_str().unwrap()];
    all.extend_from_slice(args);
    let server = Server::start(&all);
    (dir, server)
}

/// Writes its standard input back, after CGI headers: the body reaches the guest.
const ECHO: &str = r#"(module
  (import "wasi_snapshot_preview1" "fd_read" (func $read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 2)
  (data (i32.const 0) "Content-Type: text/x-echo\n\n")
  (func (export "_start") (local $n i32)
    ;; iovec at 64: the header
    (i32.store (i32.const 64) (i32.const 0)) (i32.store (i32.const 68) (i32.const 27))
    (drop (call $write (i32.const 1) (i32.const 64) (i32.const 1) (i32.const 80)))
    (block $done (loop $more
      ;; iovec at 96: 64 KiB at 65536
      (i32.store (i32.const 96) (i32.const 65536)) (i32.store (i32.const 100) (i32.const 65536))
      (drop (call $read (i32.const 0) (i32.const 96) (i32.const 1) (i32.const 104)))
      (local.set $n (i32.load (i32.const 104)))
      (br_if $done (i32.eqz (local.get $n)))
      (i32.store (i32.const 100) (local.get $n))
      (drop (call $write (i32.const 1) (i32.const 96) (i32.const 1) (i32.const 80)))
      (br $more)))))"#;

/// Never ends.
const SPIN: &str =
    r#"(module (memory (export "memory") 1) (func (export "_start") (loop $l (br $l))))"#;

/// Grows its memory a page at a time until refused, then traps.
const MEMORY_BOMB: &str = r#"(module (memory (export "memory") 1)
  (func (export "_start")
    (loop $l (br_if $l (i32.ne (memory.grow (i32.const 16)) (i32.const -1))))
    unreachable))"#;

/// Requests every suite function of `server` (serving `--suite --size small --keep-outputs
/// keep`) and checks each answer as `run` checks a run: 200, then the function's check of its
/// stdout and output files.
fn every_function_answers_and_passes_its_check(server: &Server, keep: &Path, executor: &str) {
    let layout = Layout::in_project(env!("CARGO_MANIFEST_DIR").to_owned() + "/../..");
    let inputs = layout.inputs(Size::Small);
    for function in wasmfaas_suite::functions() {
        let reply = get(server.addr, &format!("/{}", function.name));
        assert_eq!(
            reply.status,
            200,
            "{executor} {}: {}\n{}",
            function.name,
            reply.text(),
            server.log()
        );
        let id = reply.header("x-request-id").expect("a request id");
        let output = keep.join(id);
        std::fs::create_dir_all(&output).unwrap();
        let verdict = wasmfaas_suite::check(function, Size::Small, &reply.body, &output, &inputs);
        assert!(verdict.is_ok(), "{executor}: {}", verdict.unwrap_err());
    }
}

#[test]
fn every_suite_function_is_served_on_each_executor_with_its_output_checked() {
    built();
    for (engine, mode) in [
        ("wasmtime", "aot"),
        ("wasmtime", "jit"),
        ("wasmer", "aot"),
        ("wasmi", "interp"),
        ("native", "native"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let keep = dir.path().join("outputs");
        let cache = dir.path().join("cache");
        let server = Server::start(&[
            "--suite",
            "--size",
            "small",
            "--engine",
            engine,
            "--mode",
            mode,
            "--keep-outputs",
            keep.to_str().unwrap(),
            "--cache-dir",
            cache.to_str().unwrap(),
        ]);
        every_function_answers_and_passes_its_check(&server, &keep, &format!("{engine}-{mode}"));
        let metrics = get(server.addr, "/metrics").text();
        assert!(
            metrics.contains("wasmfaas_requests_total{function=\"matmul\",status=\"200\"} 1"),
            "{metrics}"
        );
        assert!(
            metrics.contains("wasmfaas_overhead_seconds_count{function=\"hello\"} 1"),
            "{metrics}"
        );
        // The request's log line is written as its response goes out: it may trail the reply.
        let log = server.log_when(|log| log.contains("function=matmul"));
        assert!(
            log.contains(&format!("serving /matmul ({engine}-{mode})"))
                || (engine == "native" && log.contains("serving /matmul (native)")),
            "{log}"
        );
        assert!(
            log.contains("request_id=")
                && log.contains("function=matmul")
                && log.contains("status=200"),
            "{log}"
        );
    }
}

/// Whether containers can run here (root, containerd and ctr); says why not, and fails under
/// CI=true, where they must.
fn containers_here(test: &str) -> bool {
    // SAFETY: geteuid has no preconditions.
    let missing = if unsafe { libc::geteuid() } != 0 {
        Some("root")
    } else if wasmfaas_oci::find_tool("containerd").is_none()
        || wasmfaas_oci::find_tool("ctr").is_none()
    {
        Some("containerd and ctr")
    } else {
        None
    };
    if let Some(missing) = missing {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{test} needs {missing}; CI provides it"
        );
        eprintln!("skipped: {test} needs {missing}");
        return false;
    }
    true
}

/// What the private containerd of the gateway with process id `pid` may leave: its folder and
/// the processes that name it (the daemon, shims).
fn assert_no_container_left(pid: u32, log: &str) {
    let prefix = format!("wfs-serve-{pid}-");
    let folders: Vec<_> = std::fs::read_dir("/tmp")
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
        .map(|e| e.path())
        .collect();
    assert!(
        folders.is_empty(),
        "the private containerd's folder left: {folders:?}\n{log}"
    );
    let shims: Vec<String> = std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| std::fs::read(e.path().join("cmdline")).ok())
        .map(|c| String::from_utf8_lossy(&c).replace('\0', " "))
        .filter(|c| c.contains(&prefix))
        .collect();
    assert!(
        shims.is_empty(),
        "processes of the private containerd left: {shims:?}"
    );
}

#[test]
fn every_suite_function_is_served_in_a_fresh_container_with_its_output_checked() {
    if !containers_here("serving in containers") {
        return;
    }
    built();
    for (engine, mode, executor) in [
        ("native", "native", "container/native"),
        ("wasmtime", "aot", "container/wasmtime-aot"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let keep = dir.path().join("outputs");
        let server = Server::start(&[
            "--suite",
            "--size",
            "small",
            "--engine",
            engine,
            "--mode",
            mode,
            "--container",
            "--keep-outputs",
            keep.to_str().unwrap(),
        ]);
        every_function_answers_and_passes_its_check(&server, &keep, executor);
        // The body reaches the container's stdin, which ends when it has all of it.
        let echoed = request(server.addr, "POST", "/hello", b"ignored");
        assert_eq!(echoed.status, 200, "{}", echoed.text());
        let log = server.log();
        assert!(
            log.contains(&format!("serving /matmul ({executor})")),
            "{log}"
        );
        let pid = server.child.id();
        let (code, log) = server.terminate();
        assert_eq!(code, Some(0), "{log}");
        assert_no_container_left(pid, &log);
    }
}

#[test]
fn a_runaway_container_is_killed_at_its_deadline_and_the_next_request_runs() {
    if !containers_here("serving in containers") {
        return;
    }
    let (_dir, server) = serving(
        &[("spin", SPIN), ("echo", ECHO)],
        r#"
[[function]]
name = "spin"
module = "spin.wasm"
engine = "wasmtime"
mode = "jit"
timeout = "2s"

[[function]]
name = "echo"
module = "echo.wasm"
engine = "wasmtime"
mode = "jit"
"#,
        &["--container", "--max-concurrency", "1"],
    );
    let started = Instant::now();
    let reply = get(server.addr, "/spin");
    let took = started.elapsed();
    assert_eq!(reply.status, 504, "{}", reply.text());
    assert!(
        took < Duration::from_millis(2200),
        "answered {took:?} after the request, past the deadline + 10%"
    );
    let echoed = request(server.addr, "POST", "/echo", b"still here");
    assert_eq!(echoed.status, 200, "{}\n{}", echoed.text(), server.log());
    assert_eq!(echoed.text(), "still here");
    let pid = server.child.id();
    let (code, log) = server.terminate();
    assert_eq!(code, Some(0), "{log}");
    assert_no_container_left(pid, &log);
}

#[test]
fn the_request_reaches_the_guest_as_cgi_does() {
    let (_dir, server) = serving(
        &[("echo", ECHO)],
        r#"
[[function]]
name = "echo"
module = "echo.wasm"

[[function]]
name = "env"
binary = "/usr/bin/env"
env = { FROM_FILE = "1" }

[[function]]
name = "args"
binary = "/bin/echo"
args = ["first"]
"#,
        &[],
    );
    let body: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    let echoed = request(server.addr, "POST", "/echo", &body);
    assert_eq!(echoed.status, 200, "{}", echoed.text());
    assert_eq!(echoed.header("content-type"), Some("text/x-echo"));
    assert!(
        echoed.body == body,
        "the body came back changed ({} bytes)",
        echoed.body.len()
    );

    // The query's parts are env's arguments: one more variable for it to set.
    let env = request(
        server.addr,
        "PUT",
        "/env/extra/path?FROM_QUERY=a%20b",
        b"xyz",
    )
    .text();
    for line in [
        "REQUEST_METHOD=PUT",
        "QUERY_STRING=FROM_QUERY=a%20b",
        "FROM_QUERY=a b",
        "PATH_INFO=/extra/path",
        "SCRIPT_NAME=/env",
        "CONTENT_LENGTH=3",
        "HTTP_X_TEST=yes",
        "FROM_FILE=1",
        "GATEWAY_INTERFACE=CGI/1.1",
    ] {
        assert!(env.lines().any(|l| l == line), "{line} not in:\n{env}");
    }
    assert_eq!(
        get(server.addr, "/args?second&third%20word").text(),
        "first second third word\n"
    );
}

#[test]
fn a_runaway_guest_gets_504_within_its_deadline_and_the_next_request_succeeds() {
    let (_dir, server) = serving(
        &[("spin", SPIN), ("echo", ECHO)],
        r#"
[[function]]
name = "spin-wasmtime"
module = "spin.wasm"
timeout = "1s"

[[function]]
name = "spin-wasmi"
module = "spin.wasm"
engine = "wasmi"
timeout = "1s"

[[function]]
name = "echo"
module = "echo.wasm"
"#,
        &["--max-concurrency", "1"],
    );
    for function in ["spin-wasmtime", "spin-wasmi"] {
        let started = Instant::now();
        let reply = get(server.addr, &format!("/{function}"));
        let took = started.elapsed();
        assert_eq!(reply.status, 504, "{function}: {}", reply.text());
        assert!(
            reply
                .text()
                .contains("ran past its deadline of 1s and was stopped"),
            "{}",
            reply.text()
        );
        // The issue's bound: the deadline plus 10%.
        assert!(
            took <= Duration::from_millis(1100),
            "{function}: answered after {took:?}"
        );
        // With one slot, this succeeds only if the runaway gave its slot back.
        let next = request(server.addr, "POST", "/echo", b"still here");
        assert_eq!(
            (next.status, next.body.as_slice()),
            (200, &b"still here"[..]),
            "{function}"
        );
    }
}

#[test]
fn a_memory_bomb_gets_an_error_and_the_server_stays_up() {
    let (_dir, server) = serving(
        &[("bomb", MEMORY_BOMB), ("echo", ECHO)],
        r#"
[[function]]
name = "bomb"
module = "bomb.wasm"
max_memory = "16MiB"

[[function]]
name = "bomb-wasmi"
module = "bomb.wasm"
engine = "wasmi"
max_memory = "16MiB"

[[function]]
name = "echo"
module = "echo.wasm"
"#,
        &[],
    );
    for function in ["bomb", "bomb-wasmi"] {
        let reply = get(server.addr, &format!("/{function}"));
        assert_eq!(reply.status, 500, "{}", reply.text());
        assert!(
            reply.text().contains("over the limit of 16 MiB"),
            "{}",
            reply.text()
        );
        assert_eq!(reply.header("x-wasmfaas-exit-code"), Some("137"));
        assert_eq!(request(server.addr, "POST", "/echo", b"up").status, 200);
    }
}

/// A function that takes `seconds` (a native sleep per request).
fn sleeper(dir: &Path, seconds: &str) -> PathBuf {
    functions_file(
        dir,
        &format!(
            "[[function]]\nname = \"sleep\"\nbinary = \"/bin/sleep\"\nargs = [\"{seconds}\"]\n"
        ),
    )
}

#[test]
fn beyond_the_concurrency_limit_requests_get_503_and_none_hangs() {
    let dir = tempfile::tempdir().unwrap();
    let file = sleeper(dir.path(), "0.5");
    let server = Server::start(&[
        "--functions",
        file.to_str().unwrap(),
        "--max-concurrency",
        "2",
        "--max-queue",
        "1",
    ]);
    let addr = server.addr;
    let clients: Vec<_> = (0..8)
        .map(|_| {
            std::thread::spawn(move || {
                exchange(
                    addr,
                    b"GET /sleep HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
                )
            })
        })
        .collect();
    let replies: Vec<Reply> = clients
        .into_iter()
        .map(|c| c.join().unwrap().expect("every client is answered"))
        .collect();
    let ok = replies.iter().filter(|r| r.status == 200).count();
    let refused: Vec<&Reply> = replies.iter().filter(|r| r.status == 503).collect();
    assert_eq!(ok + refused.len(), 8, "{replies:?}");
    assert!(
        ok >= 3 && !refused.is_empty(),
        "{ok} answered, {} refused",
        refused.len()
    );
    assert!(refused.iter().all(|r| r.header("retry-after") == Some("1")));
    let metrics = get(addr, "/metrics").text();
    let counted = format!(
        "wasmfaas_requests_total{{function=\"sleep\",status=\"503\"}} {}",
        refused.len()
    );
    assert!(metrics.contains(&counted), "{counted} not in:\n{metrics}");
}

#[test]
fn sigterm_during_a_load_finishes_in_flight_requests_refuses_new_ones_and_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let file = sleeper(dir.path(), "1");
    // A wasmer function too: its engine has a runtime of its own, which must go cleanly.
    wat_module(dir.path(), "echo", ECHO);
    let mut tables = std::fs::read_to_string(&file).unwrap();
    tables.push_str("[[function]]\nname = \"echo\"\nmodule = \"echo.wasm\"\nengine = \"wasmer\"\n");
    std::fs::write(&file, tables).unwrap();
    let server = Server::start(&[
        "--functions",
        file.to_str().unwrap(),
        "--max-concurrency",
        "4",
    ]);
    let addr = server.addr;
    let clients: Vec<_> = (0..4)
        .map(|_| {
            std::thread::spawn(move || exchange(addr, b"GET /sleep HTTP/1.1\r\nHost: t\r\n\r\n"))
        })
        .collect();
    // Until all four are running.
    let deadline = Instant::now() + Duration::from_secs(10);
    while !get(addr, "/metrics")
        .text()
        .contains("wasmfaas_in_flight 4")
    {
        assert!(
            Instant::now() < deadline,
            "the four requests never ran together"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let pid = server.child.id() as i32;
    unsafe { libc::kill(pid, libc::SIGTERM) };
    std::thread::sleep(Duration::from_millis(200));
    assert!(
        TcpStream::connect(addr).is_err(),
        "a new connection was accepted during the shutdown"
    );
    for client in clients {
        let reply = client
            .join()
            .unwrap()
            .expect("an in-flight request is answered");
        assert_eq!(reply.status, 200, "{}", reply.text());
    }
    let (code, log) = server.terminate();
    assert_eq!(code, Some(0), "{log}");
    assert!(
        log.contains("every request in flight was answered"),
        "{log}"
    );
}

#[test]
fn clients_that_send_nonsense_get_the_right_status_and_the_server_stays_up() {
    let (_dir, server) = serving(
        &[("echo", ECHO)],
        "[[function]]\nname = \"echo\"\nmodule = \"echo.wasm\"\n",
        &[
            "--max-body",
            "1KiB",
            "--max-head",
            "8KiB",
            "--read-timeout",
            "1s",
        ],
    );
    let addr = server.addr;
    let status = |raw: &[u8]| exchange(addr, raw).map(|r| r.status).unwrap_or(0);
    assert_eq!(get(addr, "/nothing").status, 404);
    assert!(
        get(addr, "/nothing")
            .text()
            .contains("this gateway serves /echo")
    );
    assert_eq!(status(b"GARBAGE\r\n\r\n"), 400);
    assert_eq!(status(b"GET /echo HTTP/1.1\r\nBad Header\r\n\r\n"), 400);
    let huge = format!(
        "GET /echo HTTP/1.1\r\nHost: t\r\nX-Big: {}\r\n\r\n",
        "a".repeat(10_000)
    );
    assert_eq!(status(huge.as_bytes()), 431);
    assert_eq!(request(addr, "POST", "/echo", &[b'x'; 2048]).status, 413);
    let chunked = b"POST /echo HTTP/1.1\r\nHost: t\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n800\r\n".to_vec();
    let mut chunked = chunked;
    chunked.extend_from_slice(&[b'y'; 2048]);
    chunked.extend_from_slice(b"\r\n0\r\n\r\n");
    assert_eq!(status(&chunked), 413);

    // Slowloris: a byte a second never completes a head; the connection is closed.
    let mut slow = TcpStream::connect(addr).unwrap();
    slow.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let started = Instant::now();
    let mut closed = false;
    for byte in b"GET /echo HTTP/1.1\r\nHost: slow\r\n".iter() {
        if slow.write_all(&[*byte]).is_err() {
            closed = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(500));
        if started.elapsed() > Duration::from_secs(5) {
            break;
        }
    }
    let mut rest = Vec::new();
    let read = slow.read_to_end(&mut rest);
    assert!(
        closed || read.is_ok(),
        "the slow connection was not closed: {read:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "closed only after {:?}",
        started.elapsed()
    );
    // A body sent slower than the read timeout: 408.
    let mut slow_body = TcpStream::connect(addr).unwrap();
    slow_body
        .write_all(b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nab")
        .unwrap();
    let mut bytes = Vec::new();
    slow_body.read_to_end(&mut bytes).ok();
    assert_eq!(parse_reply(&bytes).map(|r| r.status), Some(408));

    assert_eq!(
        request(addr, "POST", "/echo", b"fine").status,
        200,
        "{}",
        server.log()
    );
}

#[test]
fn ten_thousand_malformed_requests_leave_the_server_answering_and_its_memory_flat() {
    use rand::{Rng, SeedableRng};
    let (_dir, server) = serving(
        &[("echo", ECHO)],
        "[[function]]\nname = \"echo\"\nmodule = \"echo.wasm\"\n",
        &["--max-body", "4KiB", "--read-timeout", "1s"],
    );
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0x5eed);
    let pieces: [&[u8]; 12] = [
        b"GET ",
        b"POST ",
        b"/echo",
        b"/",
        b" HTTP/1.1",
        b"\r\n",
        b"Host: x",
        b"Content-Length: 99999999999",
        b"Transfer-Encoding: chunked",
        b"\0\xff",
        b": ",
        b"\r\n\r\n",
    ];
    let mut baseline = 0;
    for i in 0..10_000 {
        let mut raw = Vec::new();
        for _ in 0..rng.random_range(1..12) {
            if rng.random_bool(0.2) {
                let n = rng.random_range(1..64);
                raw.extend((0..n).map(|_| rng.random::<u8>()));
            } else {
                raw.extend_from_slice(pieces[rng.random_range(0..pieces.len())]);
            }
        }
        raw.extend_from_slice(b"\r\n\r\n");
        if let Ok(mut stream) = TcpStream::connect(server.addr) {
            stream.set_read_timeout(Some(Duration::from_secs(5))).ok();
            stream.write_all(&raw).ok();
            stream.shutdown(std::net::Shutdown::Write).ok();
            let mut sink = Vec::new();
            stream.read_to_end(&mut sink).ok();
        }
        if i == 1_000 {
            baseline = server.rss_kib();
        }
    }
    assert_eq!(
        request(server.addr, "POST", "/echo", b"alive").status,
        200,
        "{}",
        server.log()
    );
    let grown = server.rss_kib().saturating_sub(baseline);
    assert!(
        grown < 8 * 1024,
        "memory grew by {grown} KiB over 9,000 malformed requests"
    );
}

#[test]
fn a_bad_functions_file_is_one_line_naming_the_file_function_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let file = functions_file(
        dir.path(),
        "[[function]]\nname = \"a\"\nmodule = \"missing.wasm\"\n",
    );
    let out = Command::new(env!("CARGO_BIN_EXE_wasmfaas"))
        .args(["serve", "--functions", file.to_str().unwrap()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(common::EXIT_ERROR), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains(&format!(
            "{}: function \"a\", field `module`: ",
            file.display()
        )),
        "{stderr}"
    );
}
