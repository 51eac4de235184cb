//! The shim through a real containerd (a private one, its own root, state and socket): `ctr
//! run --rm --runtime <the shim>` as a user runs it, WebAssembly guests in each engine and a
//! native entrypoint, their output and exit codes; `ctr task metrics` and `ctr task kill`; a
//! shim killed mid-run; bad bundles; a shim installed without its creator; a jit-mode module
//! compiled once for the node's containers. After each: no shim process or socket, container
//! state, cgroup or mount is left.
//! Needs root, containerd and ctr; without them each test says why it skips (and fails under
//! CI=true).
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use wasmfaas_containerd::{Containerd, Options};

/// The longest a ctr command may take before the test fails: the shim never hangs containerd.
const LIMIT: Duration = Duration::from_secs(60);
/// The shim's binary, built by cargo for these tests.
const SHIM: &str = env!("CARGO_BIN_EXE_containerd-shim-wasmfaas-v1");

/// The project's root folder (the suite's artifacts are under it).
fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("crates/shim is two levels below the project root")
        .to_path_buf()
}

/// A built artifact of the suite, e.g. `wasm/hello.wasm`.
fn artifact(relative: &str) -> Vec<u8> {
    let path = project_root().join("artifacts").join(relative);
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; build the suite first with `cargo run --release -- build`",
            path.display()
        )
    })
}

/// A private containerd and ctr talking to it, in a namespace of the test's.
struct Node {
    daemon: Option<Containerd>,
    namespace: String,
    dir: tempfile::TempDir,
}

impl Node {
    /// The node, or `None` (having said why) where the tests cannot run.
    fn start(name: &str) -> Option<Self> {
        // SAFETY: geteuid has no preconditions.
        let found = if unsafe { libc::geteuid() } != 0 {
            Err("root (namespaces, cgroups, mounts)".to_owned())
        } else {
            Options::from_path().map_err(|e| format!("{e}, and runc"))
        };
        let options = match found {
            Ok(options) => options,
            Err(missing) => {
                assert!(
                    std::env::var("CI").as_deref() != Ok("true"),
                    "the shim's tests need {missing}; CI provides it"
                );
                eprintln!("skipped: the shim's tests need {missing}");
                return None;
            }
        };
        // Short: containerd's socket path must fit a sockaddr_un.
        let dir = tempfile::Builder::new()
            .prefix(&format!("wfs-{name}-"))
            .tempdir_in("/tmp")
            .unwrap();
        // The shim's AOT cache, the node's own: the tests leave nothing in the user's.
        let options = options.with_env("WASMFAAS_CACHE", dir.path().join("aot-cache"));
        let daemon = Containerd::start(&dir.path().join("c"), options)
            .unwrap_or_else(|e| panic!("the private containerd: {e}"));
        Some(Self {
            daemon: Some(daemon),
            namespace: format!("wasmfaas-shim-test-{name}"),
            dir,
        })
    }

    fn address(&self) -> &Path {
        self.daemon.as_ref().unwrap().address()
    }

    /// Runs `ctr <args>`, bounded by [`LIMIT`].
    fn ctr(&self, args: &[&str]) -> Output {
        let mut command = self.daemon.as_ref().unwrap().ctr();
        command.args(["--namespace", &self.namespace]).args(args);
        bounded(command, &format!("ctr {}", args.join(" ")))
    }

    /// A root filesystem folder holding `files` (path in the rootfs, content, executable).
    fn rootfs(&self, name: &str, files: &[(&str, Vec<u8>)]) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let rootfs = self.dir.path().join("rootfs").join(name);
        for folder in ["proc", "dev", "sys", "tmp"] {
            std::fs::create_dir_all(rootfs.join(folder)).unwrap();
        }
        for (path, content) in files {
            let file = rootfs.join(path.trim_start_matches('/'));
            std::fs::write(&file, content).unwrap();
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        rootfs
    }

    /// `ctr run --rm` of `args` in `rootfs` through the shim, with `annotations`.
    fn run(&self, id: &str, rootfs: &Path, annotations: &[&str], args: &[&str]) -> Output {
        self.run_through(Path::new(SHIM), id, rootfs, annotations, args)
    }

    /// [`Node::run`] through the shim binary at `shim`.
    fn run_through(
        &self,
        shim: &Path,
        id: &str,
        rootfs: &Path,
        annotations: &[&str],
        args: &[&str],
    ) -> Output {
        let rootfs = rootfs.to_str().unwrap();
        let shim = shim.to_str().unwrap();
        let mut ctr_args = vec!["run", "--rm", "--runtime", shim];
        for annotation in annotations {
            ctr_args.extend(["--annotation", annotation]);
        }
        // ctr's spec for a bare rootfs has no environment; libcontainer wants a PATH to exec.
        ctr_args.extend(["--env", "PATH=/usr/bin:/bin", "--rootfs", rootfs, id]);
        ctr_args.extend(args);
        self.ctr(&ctr_args)
    }

    /// Fails the test if anything of container `id` is left: its shim, its state, its cgroup,
    /// its task in containerd, a mount under the node's folder.
    fn assert_nothing_left(&self, id: &str) {
        let deadline = Instant::now() + Duration::from_secs(10);
        // The shim exits once containerd has shut it down, just after ctr returns.
        while !self.shims().is_empty() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert_eq!(self.shims(), Vec::<i32>::new(), "shim processes left");
        let socket =
            containerd_shim::socket_address(self.address().to_str().unwrap(), &self.namespace, id);
        let socket = socket.trim_start_matches("unix://");
        assert!(
            !Path::new(socket).exists(),
            "the shim's socket left: {socket}"
        );
        let state = wasmfaas_shim::state_root_of(&self.namespace);
        assert!(!state.exists(), "container state left: {}", state.display());
        let cgroups: Vec<PathBuf> = std::fs::read_dir("/sys/fs/cgroup")
            .unwrap()
            .flatten()
            .map(|hierarchy| hierarchy.path().join(&self.namespace).join(id))
            .filter(|dir| dir.exists())
            .collect();
        assert!(cgroups.is_empty(), "cgroups left: {cgroups:?}");
        let tasks = self.ctr(&["task", "ls", "--quiet"]);
        let tasks = String::from_utf8_lossy(&tasks.stdout);
        assert!(
            !tasks.lines().any(|t| t == id),
            "task {id} left in containerd"
        );
        let mounts = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
        let under = self.dir.path().to_str().unwrap();
        assert!(
            !mounts.lines().any(|m| m.contains(under)),
            "mounts left under {under}"
        );
    }

    /// The pids of this node's shims.
    fn shims(&self) -> Vec<i32> {
        wasmfaas_containerd::shims_of(self.address())
            .into_iter()
            .map(|shim| shim.pid)
            .collect()
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        // Stopped before the folder goes: containerd's state is inside it.
        self.daemon.take();
        // containerd makes a cgroup per namespace (the containers' parent) and leaves it, with
        // runc's shim as with ours: the test's namespace goes with the test.
        wasmfaas_containerd::remove_namespace_cgroups(&self.namespace);
    }
}

/// Runs `command` with its output captured, failing the test after [`LIMIT`].
fn bounded(mut command: Command, what: &str) -> Output {
    use std::os::unix::process::CommandExt;
    command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let child = command.spawn().unwrap_or_else(|e| panic!("{what}: {e}"));
    let pid = child.id() as i32;
    let (done, waited) = std::sync::mpsc::channel();
    std::thread::spawn(move || done.send(child.wait_with_output()));
    match waited.recv_timeout(LIMIT) {
        Ok(output) => output.unwrap_or_else(|e| panic!("{what}: {e}")),
        Err(_) => {
            // SAFETY: sending a signal has no memory-safety preconditions.
            unsafe { libc::kill(-pid, libc::SIGKILL) };
            panic!("{what} took over {LIMIT:?}: the shim hangs containerd");
        }
    }
}

/// What the suite's hello prints.
const HELLO_OUTPUT: &str = "hello from wasmfaas\n";

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn wasm_guests_run_in_each_engine_with_their_output_and_exit_code() {
    let Some(node) = Node::start("engines") else {
        return;
    };
    let hello = artifact("wasm/hello.wasm");
    let expected = HELLO_OUTPUT;
    let rootfs = node.rootfs("hello", &[("/hello.wasm", hello)]);
    for (i, engine) in ["wasmtime", "wasmer", "wasmi"].iter().enumerate() {
        let id = format!("hello-{i}");
        let annotation = format!("{}={engine}", wasmfaas_names::annotation::HANDLER);
        let out = node.run(&id, &rootfs, &[&annotation], &["/hello.wasm"]);
        assert!(
            out.status.success(),
            "{engine}: {:?} {}",
            out.status,
            text(&out.stderr)
        );
        assert_eq!(text(&out.stdout), expected, "{engine}'s output");
        node.assert_nothing_left(&id);
    }
    let conformance = artifact("wasm/conformance.wasm");
    let rootfs = node.rootfs("conformance", &[("/conformance.wasm", conformance)]);
    let out = node.run("exit", &rootfs, &[], &["/conformance.wasm", "exit", "7"]);
    assert_eq!(out.status.code(), Some(7), "{}", text(&out.stderr));
    node.assert_nothing_left("exit");
    let out = node.run("trap", &rootfs, &[], &["/conformance.wasm", "trap"]);
    assert_eq!(
        out.status.code(),
        Some(134),
        "a trap is 134: {}",
        text(&out.stderr)
    );
    assert!(
        text(&out.stderr).contains("the guest trapped"),
        "{}",
        text(&out.stderr)
    );
    node.assert_nothing_left("trap");
}

#[test]
fn a_native_entrypoint_is_execed_as_a_container() {
    let Some(node) = Node::start("native") else {
        return;
    };
    let rootfs = node.rootfs("native", &[("/hello", artifact("native-static/hello"))]);
    let out = node.run("native", &rootfs, &[], &["/hello"]);
    assert!(
        out.status.success(),
        "{:?} {}",
        out.status,
        text(&out.stderr)
    );
    assert_eq!(text(&out.stdout), HELLO_OUTPUT);
    node.assert_nothing_left("native");
}

/// A WebAssembly command that loops forever: a guest that only a signal stops.
const LOOP_WASM: &[u8] = &[
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
    0x01, 0x04, 0x01, 0x60, 0x00, 0x00, // types: () -> ()
    0x03, 0x02, 0x01, 0x00, // functions: one of type 0
    0x05, 0x03, 0x01, 0x00, 0x01, // memory: one page
    0x07, 0x13, 0x02, // exports: two
    0x06, b'_', b's', b't', b'a', b'r', b't', 0x00, 0x00, // "_start" = func 0
    0x06, b'm', b'e', b'm', b'o', b'r', b'y', 0x02, 0x00, // "memory" = memory 0
    0x0a, 0x09, 0x01, 0x07, 0x00, // code: one body of 7 bytes, no locals
    0x03, 0x40, 0x0c, 0x00, 0x0b, 0x0b, // loop; br 0; end; end
];

/// Starts the looping guest detached (`ctr run -d`) and waits until containerd says it runs.
fn start_forever(node: &Node, id: &str) {
    let rootfs = node.rootfs(id, &[("/loop.wasm", LOOP_WASM.to_vec())]);
    let rootfs = rootfs.to_str().unwrap();
    let out = node.ctr(&[
        "run",
        "-d",
        "--runtime",
        SHIM,
        "--rootfs",
        rootfs,
        id,
        "/loop.wasm",
    ]);
    assert!(out.status.success(), "ctr run -d: {}", text(&out.stderr));
    assert_eq!(task_status(node, id).as_deref(), Some("RUNNING"));
}

/// The task's status in `ctr task ls` (RUNNING, STOPPED, ...).
fn task_status(node: &Node, id: &str) -> Option<String> {
    task_field(node, id, 2)
}

/// Column `n` of the task's line in `ctr task ls` (TASK, PID, STATUS).
fn task_field(node: &Node, id: &str, n: usize) -> Option<String> {
    let out = node.ctr(&["task", "ls"]);
    text(&out.stdout).lines().find_map(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        (fields.first() == Some(&id)).then(|| fields.get(n).unwrap_or(&"").to_string())
    })
}

/// Whether `pid` is a live process (a zombie awaiting its reaper is not).
fn alive(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        !stat
            .rsplit(')')
            .next()
            .unwrap_or("")
            .trim_start()
            .starts_with('Z')
    })
}

/// Waits until the task is STOPPED (then deletes it) or gone (containerd removes the task of a
/// shim that died), then deletes its container.
fn wait_stopped_and_delete(node: &Node, id: &str) {
    let deadline = Instant::now() + LIMIT;
    loop {
        match task_status(node, id).as_deref() {
            Some("STOPPED") => {
                let out = node.ctr(&["task", "delete", id]);
                assert!(
                    out.status.success(),
                    "ctr task delete: {}",
                    text(&out.stderr)
                );
                break;
            }
            None => break,
            Some(_) => {}
        }
        assert!(Instant::now() < deadline, "task {id} did not stop");
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = node.ctr(&["container", "delete", id]);
    assert!(
        out.status.success(),
        "ctr container delete: {}",
        text(&out.stderr)
    );
}

#[test]
fn ctr_task_kill_ends_a_running_guest() {
    let Some(node) = Node::start("kill") else {
        return;
    };
    start_forever(&node, "forever");
    let out = node.ctr(&["task", "ps", "forever"]);
    assert!(out.status.success(), "ctr task ps: {}", text(&out.stderr));
    assert!(
        text(&out.stdout).lines().count() >= 2,
        "ctr task ps lists the guest: {}",
        text(&out.stdout)
    );
    let metrics = metrics_of(&node, "forever");
    assert!(
        metrics["cpu"]["usage"]["total"].as_u64() > Some(0),
        "a running guest has used CPU: {metrics}"
    );
    assert!(
        metrics["memory"]["usage"]["usage"].as_u64() > Some(0),
        "and holds memory: {metrics}"
    );
    let out = node.ctr(&["task", "kill", "--signal", "SIGKILL", "forever"]);
    assert!(out.status.success(), "ctr task kill: {}", text(&out.stderr));
    wait_stopped_and_delete(&node, "forever");
    node.assert_nothing_left("forever");
}

/// `ctr task metrics --format json` of task `id`: the cgroup statistics the shim reports.
fn metrics_of(node: &Node, id: &str) -> serde_json::Value {
    let out = node.ctr(&["task", "metrics", "--format", "json", id]);
    assert!(
        out.status.success(),
        "ctr task metrics: {}",
        text(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "ctr task metrics printed no JSON ({e}): {}",
            text(&out.stdout)
        )
    })
}

#[test]
fn a_shim_killed_mid_run_leaves_nothing_behind() {
    let Some(node) = Node::start("shimkill") else {
        return;
    };
    // The pid makes the id this run's: its fifos are found by it below.
    let id = format!("orphan-{}", std::process::id());
    start_forever(&node, &id);
    let guest: i32 = task_field(&node, &id, 1).unwrap().parse().unwrap();
    assert!(alive(guest));
    let shims = node.shims();
    assert_eq!(shims.len(), 1, "one shim serves the container: {shims:?}");
    // SAFETY: sending a signal has no memory-safety preconditions.
    unsafe { libc::kill(shims[0], libc::SIGKILL) };
    // containerd sees the shim's socket close, runs `shim delete`, and marks the task stopped.
    wait_stopped_and_delete(&node, &id);
    let deadline = Instant::now() + Duration::from_secs(10);
    while alive(guest) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(!alive(guest), "the guest of a killed shim is killed too");
    node.assert_nothing_left(&id);
    // ctr made the task's fifos (`ctr run -d`), and containerd removed the task after the
    // shim died without a client to remove them: ctr's leftovers, with runc's shim too.
    for fifos in std::fs::read_dir("/run/containerd/fifo")
        .into_iter()
        .flatten()
        .flatten()
    {
        if fifos.path().join(format!("{id}-stdin")).exists() {
            std::fs::remove_dir_all(fifos.path()).ok();
        }
    }
}

#[test]
fn a_bad_entrypoint_fails_create_with_a_clear_message_and_leaves_nothing() {
    let Some(node) = Node::start("bad") else {
        return;
    };
    let rootfs = node.rootfs(
        "text",
        &[("/notes.txt", b"neither ELF nor wasm\n".to_vec())],
    );
    let out = node.run("text", &rootfs, &[], &["/notes.txt"]);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("/notes.txt"),
        "the message names the entrypoint: {stderr}"
    );
    node.assert_nothing_left("text");
    let corrupt = [b"\0asm\x01\0\0\0".as_slice(), b"not a module"].concat();
    let rootfs = node.rootfs("corrupt", &[("/bad.wasm", corrupt)]);
    let out = node.run("corrupt", &rootfs, &[], &["/bad.wasm"]);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("bad.wasm"),
        "the message names the module: {stderr}"
    );
    node.assert_nothing_left("corrupt");
    let rootfs = node.rootfs("engine", &[("/hello.wasm", artifact("wasm/hello.wasm"))]);
    let annotation = format!("{}=nosuchengine", wasmfaas_names::annotation::HANDLER);
    let out = node.run("engine", &rootfs, &[&annotation], &["/hello.wasm"]);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("nosuchengine"),
        "the message names the engine: {stderr}"
    );
    node.assert_nothing_left("engine");
}

#[test]
fn a_shim_installed_without_its_creator_fails_create_naming_it_and_leaves_nothing() {
    let Some(node) = Node::start("alone") else {
        return;
    };
    // The shim alone in a folder, as a user who installed only containerd-shim-wasmfaas-v1.
    let alone = node.dir.path().join("bin");
    std::fs::create_dir_all(&alone).unwrap();
    let shim = alone.join(wasmfaas_names::SHIM_BINARY);
    std::fs::copy(SHIM, &shim).unwrap();
    let rootfs = node.rootfs("alone", &[("/hello.wasm", artifact("wasm/hello.wasm"))]);
    let out = node.run_through(&shim, "alone", &rootfs, &[], &["/hello.wasm"]);
    assert!(!out.status.success(), "a run without the creator succeeded");
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(wasmfaas_names::SHIM_CREATOR_BINARY) && stderr.contains("install"),
        "the message names the missing binary and what to do: {stderr}"
    );
    node.assert_nothing_left("alone");
}

#[test]
fn a_jit_module_is_compiled_for_the_first_container_and_loaded_by_the_next() {
    let Some(node) = Node::start("aot") else {
        return;
    };
    let rootfs = node.rootfs("aot", &[("/hello.wasm", artifact("wasm/hello.wasm"))]);
    for engine in ["wasmtime", "wasmer"] {
        let handler = format!("{}={engine}", wasmfaas_names::annotation::HANDLER);
        let mode = format!("{}=jit", wasmfaas_names::annotation::MODE);
        for (run, expected) in [(1, "miss"), (2, "hit")] {
            let id = format!("aot-{engine}-{run}");
            let out = node.run(&id, &rootfs, &[&handler, &mode], &["/hello.wasm"]);
            assert!(out.status.success(), "{id}: {}", text(&out.stderr));
            assert_eq!(text(&out.stdout).trim(), "hello from wasmfaas");
            let said = format!("create {id}: the module's compiled code: AOT cache {expected}");
            let log = node.daemon.as_ref().unwrap().log();
            assert!(log.contains(&said), "containerd's log has {said:?}: {log}");
            node.assert_nothing_left(&id);
        }
    }
    let cached: Vec<_> = walk(&node.dir.path().join("aot-cache"));
    assert_eq!(
        cached.len(),
        2,
        "one artifact per engine, in the node's cache: {cached:?}"
    );
}

/// The files under `dir`, at any depth.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}
