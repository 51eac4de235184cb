//! The runtime's life cycle end to end, as containerd's shim drives it: real bundles, real
//! namespaces and cgroups, the suite's real artifacts. Needs root; without it each test says why
//! it skips (and fails under CI=true, so a CI run never passes without running them).
//!
//! The test process makes itself a child subreaper: a container's init process, left behind by
//! `create`, is re-parented to it, so the test can wait for it and read its exit code as
//! containerd's shim does.
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

mod common;
use common::project_root;

/// The longest any runtime command or container may take before the test fails (never hangs).
const LIMIT: Duration = Duration::from_secs(60);

/// Whether the tests can run: they need root. Under CI they must.
fn can_run() -> bool {
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    if !common::runs_here(
        "the runtime's lifecycle tests",
        (!root).then(|| "root (namespaces, cgroups, mounts)".to_owned()),
    ) {
        return false;
    }
    // SAFETY: prctl with PR_SET_CHILD_SUBREAPER changes only this process's reaping.
    unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) };
    true
}

/// A built artifact of the suite, e.g. `wasm/hello.wasm`.
fn artifact(relative: &str) -> PathBuf {
    let path = project_root().join("artifacts").join(relative);
    assert!(
        path.is_file(),
        "{} is missing: build the suite first with `cargo run --release -- build` (wasmfaas build)",
        path.display()
    );
    path
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

/// One test's folder: container state (`--root`), bundles, the containers' output.
struct Fixture {
    dir: tempfile::TempDir,
    name: &'static str,
}

/// What a bundle holds and how its container runs.
struct BundleSpec<'a> {
    /// Files put in the root filesystem: (path in the rootfs, content).
    files: Vec<(&'a str, Vec<u8>)>,
    args: Vec<&'a str>,
    env: Vec<String>,
    annotations: Vec<(&'a str, &'a str)>,
    /// Host directories bind-mounted at guest paths.
    binds: Vec<(PathBuf, &'a str)>,
}

impl<'a> BundleSpec<'a> {
    fn new(file: &'a str, content: Vec<u8>, args: &[&'a str]) -> Self {
        Self {
            files: vec![(file, content)],
            args: args.to_vec(),
            env: vec!["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".into()],
            annotations: Vec::new(),
            binds: Vec::new(),
        }
    }

    fn annotate(mut self, key: &'a str, value: &'a str) -> Self {
        self.annotations.push((key, value));
        self
    }
}

/// What a runtime command did.
struct Output {
    code: i32,
    stdout: String,
    stderr: String,
    /// Where stdout and stderr went: a container created by the command writes there later.
    files: (PathBuf, PathBuf),
}

impl Output {
    /// stdout and stderr as they are now.
    fn reread(&self) -> (String, String) {
        (
            std::fs::read_to_string(&self.files.0).unwrap(),
            std::fs::read_to_string(&self.files.1).unwrap(),
        )
    }
}

impl Fixture {
    fn new(name: &'static str) -> Self {
        let dir = tempfile::Builder::new()
            .prefix(&format!("wasmfaas-runtime-{name}-"))
            .tempdir()
            .expect("a temporary folder");
        std::fs::create_dir(dir.path().join("root")).unwrap();
        Self { dir, name }
    }

    fn root(&self) -> PathBuf {
        self.dir.path().join("root")
    }

    /// A container id unique on this machine, so parallel tests and runs never collide.
    fn id(&self, suffix: &str) -> String {
        format!("wfrt-{}-{}-{}", self.name, suffix, std::process::id())
    }

    /// Writes a bundle like `runc spec` makes (readonly rootfs, pid/net/ipc/uts/mount
    /// namespaces, the usual mounts), with a cgroup of the container's own.
    fn bundle(&self, id: &str, spec: &BundleSpec) -> PathBuf {
        let bundle = self.dir.path().join(format!("bundle-{id}"));
        let rootfs = bundle.join("rootfs");
        std::fs::create_dir_all(&rootfs).unwrap();
        for (path, content) in &spec.files {
            let file = rootfs.join(path.trim_start_matches('/'));
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(&file, content).unwrap();
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        let mut mounts = vec![
            json!({"destination": "/proc", "type": "proc", "source": "proc"}),
            json!({"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]}),
            json!({"destination": "/dev/pts", "type": "devpts", "source": "devpts", "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]}),
            json!({"destination": "/dev/shm", "type": "tmpfs", "source": "shm", "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]}),
            json!({"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]}),
        ];
        for (host, guest) in &spec.binds {
            std::fs::create_dir_all(rootfs.join(guest.trim_start_matches('/'))).unwrap();
            mounts.push(json!({"destination": guest, "type": "bind", "source": host, "options": ["rbind", "rw"]}));
        }
        let caps = json!(["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]);
        let annotations: serde_json::Map<String, Value> = spec
            .annotations
            .iter()
            .map(|(k, v)| ((*k).to_owned(), json!(v)))
            .collect();
        let config = json!({
            "ociVersion": "1.0.2",
            "process": {
                "terminal": false,
                "user": {"uid": 0, "gid": 0},
                "args": spec.args,
                "env": spec.env,
                "cwd": "/",
                "capabilities": {"bounding": caps, "effective": caps, "permitted": caps},
                "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
                "noNewPrivileges": true
            },
            "root": {"path": "rootfs", "readonly": true},
            "hostname": "wasmfaas",
            "mounts": mounts,
            "annotations": annotations,
            "linux": {
                "cgroupsPath": cgroup_name(id),
                "resources": {"devices": [{"allow": false, "access": "rwm"}]},
                "namespaces": [{"type": "pid"}, {"type": "network"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}],
                "maskedPaths": ["/proc/kcore", "/proc/keys", "/sys/firmware"],
                "readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]
            }
        });
        std::fs::write(
            bundle.join("config.json"),
            serde_json::to_vec_pretty(&config).unwrap(),
        )
        .unwrap();
        bundle
    }

    /// Runs `wasmfaas-runtime --root ROOT ARGS`, its stdout and stderr to files (a container
    /// started by it keeps them), and fails the test if it takes longer than [`LIMIT`].
    fn runtime(&self, args: &[&str]) -> Output {
        self.runtime_with(args, &[], Stdio::null())
    }

    fn runtime_with(&self, args: &[&str], globals: &[&str], stdin: Stdio) -> Output {
        let stamp = format!("{:?}", Instant::now()).replace(|c: char| !c.is_alphanumeric(), "");
        let out_path = self.dir.path().join(format!("out-{stamp}"));
        let err_path = self.dir.path().join(format!("err-{stamp}"));
        let mut child = Command::new(env!("CARGO_BIN_EXE_wasmfaas-runtime"))
            .arg("--root")
            .arg(self.root())
            .args(globals)
            .args(args)
            .stdin(stdin)
            .stdout(std::fs::File::create(&out_path).unwrap())
            .stderr(std::fs::File::create(&err_path).unwrap())
            .spawn()
            .expect("wasmfaas-runtime starts");
        let started = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if started.elapsed() > LIMIT {
                child.kill().ok();
                panic!("wasmfaas-runtime {args:?} did not finish within {LIMIT:?}");
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        Output {
            code: status.code().unwrap_or(-1),
            stdout: std::fs::read_to_string(&out_path).unwrap(),
            stderr: std::fs::read_to_string(&err_path).unwrap(),
            files: (out_path, err_path),
        }
    }

    fn state(&self, id: &str) -> Value {
        let out = self.runtime(&["state", id]);
        assert_eq!(out.code, 0, "state {id}: {}", out.stderr);
        serde_json::from_str(&out.stdout)
            .unwrap_or_else(|e| panic!("state is JSON: {e}: {}", out.stdout))
    }

    /// Nothing of ours is left: no state in `--root`, no cgroup of the container.
    fn assert_clean(&self, id: &str) {
        let left: Vec<_> = std::fs::read_dir(self.root())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert!(left.is_empty(), "state left in --root: {left:?}");
        let cgroups = cgroup_dirs(id);
        assert!(cgroups.is_empty(), "cgroups left: {cgroups:?}");
    }
}

fn cgroup_name(id: &str) -> String {
    format!("/{id}")
}

/// The container's cgroup folders under every hierarchy mounted in /sys/fs/cgroup (v1
/// controllers, the v2 unified tree, or /sys/fs/cgroup itself on a pure v2 host).
fn cgroup_dirs(id: &str) -> Vec<PathBuf> {
    let base = Path::new("/sys/fs/cgroup");
    let mut dirs = vec![base.join(id)];
    for entry in std::fs::read_dir(base).unwrap().flatten() {
        dirs.push(entry.path().join(id));
    }
    dirs.into_iter().filter(|d| d.exists()).collect()
}

/// Waits for a container's init process (re-parented to this subreaper) and returns its exit
/// code (128 + signal when killed).
fn wait_exit(pid: i32) -> i32 {
    let started = Instant::now();
    loop {
        let mut status = 0;
        // SAFETY: waitpid on a pid with a valid status pointer.
        let got = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
        assert!(
            got >= 0,
            "waitpid {pid}: {} (is it a child of this subreaper?)",
            std::io::Error::last_os_error()
        );
        if got == pid {
            if libc::WIFEXITED(status) {
                return libc::WEXITSTATUS(status);
            }
            if libc::WIFSIGNALED(status) {
                return 128 + libc::WTERMSIG(status);
            }
        }
        if started.elapsed() > LIMIT {
            // SAFETY: kill of the container's init process.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            panic!("container process {pid} did not exit within {LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn process_exists(pid: i32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

/// create → state created (pid, pid file) → start → exit code → state stopped → delete →
/// nothing left. Returns the exit code and the container's stdout and stderr.
fn lifecycle(fx: &Fixture, id: &str, bundle: &Path) -> (i32, String, String) {
    let pid_file = fx.dir.path().join(format!("{id}.pid"));
    let create = fx.runtime(&[
        "create",
        "--bundle",
        bundle.to_str().unwrap(),
        "--pid-file",
        pid_file.to_str().unwrap(),
        id,
    ]);
    assert_eq!(create.code, 0, "create {id}: {}", create.stderr);
    let state = fx.state(id);
    assert_eq!(state["status"], "created", "{state}");
    assert_eq!(state["id"], id);
    let pid = state["pid"]
        .as_i64()
        .expect("a created container has a pid") as i32;
    assert!(pid > 0);
    assert_eq!(
        std::fs::read_to_string(&pid_file).unwrap().trim(),
        pid.to_string(),
        "the pid file holds the init process's pid"
    );
    assert!(
        !cgroup_dirs(id).is_empty(),
        "a created container has its cgroup"
    );
    let start = fx.runtime(&["start", id]);
    assert_eq!(start.code, 0, "start {id}: {}", start.stderr);
    let code = wait_exit(pid);
    let state = fx.state(id);
    assert_eq!(state["status"], "stopped", "{state}");
    let delete = fx.runtime(&["delete", id]);
    assert_eq!(delete.code, 0, "delete {id}: {}", delete.stderr);
    assert!(!process_exists(pid));
    fx.assert_clean(id);
    // The container's stdio is create's.
    let (stdout, stderr) = create.reread();
    (code, stdout, stderr)
}

/// The whole lifecycle of a bundle whose entrypoint is the built `artifact` (the hello program).
fn hello_lifecycle(fixture: &'static str, artifact_path: &str, entrypoint: &str) {
    if !can_run() {
        return;
    }
    let fx = Fixture::new(fixture);
    let id = fx.id("hello");
    let bytes = std::fs::read(artifact(artifact_path)).unwrap();
    let bundle = fx.bundle(&id, &BundleSpec::new(entrypoint, bytes, &[entrypoint]));
    let (code, stdout, _) = lifecycle(&fx, &id, &bundle);
    assert_eq!(code, 0);
    assert_eq!(stdout, "hello from wasmfaas\n");
}

#[test]
fn wasm_container_lifecycle() {
    hello_lifecycle("wasm", "wasm/hello.wasm", "/hello.wasm");
}

#[test]
fn native_container_lifecycle() {
    hello_lifecycle("native", "native-static/hello", "/hello");
}

#[test]
fn guest_exit_codes_and_traps_are_the_containers() {
    if !can_run() {
        return;
    }
    let fx = Fixture::new("exit");
    let wasm = std::fs::read(artifact("wasm/conformance.wasm")).unwrap();
    let id = fx.id("seven");
    let bundle = fx.bundle(
        &id,
        &BundleSpec::new(
            "/conformance.wasm",
            wasm.clone(),
            &["/conformance.wasm", "exit", "7"],
        ),
    );
    assert_eq!(lifecycle(&fx, &id, &bundle).0, 7);
    let id = fx.id("trap");
    let bundle = fx.bundle(
        &id,
        &BundleSpec::new("/conformance.wasm", wasm, &["/conformance.wasm", "trap"]),
    );
    let (code, _, stderr) = lifecycle(&fx, &id, &bundle);
    assert_eq!(code, 134, "a trap is exit code 134");
    assert!(stderr.contains("the guest trapped"), "{stderr}");
}

#[test]
fn argv_env_and_bind_mounts_reach_the_guest() {
    if !can_run() {
        return;
    }
    let fx = Fixture::new("wasi");
    let wasm = std::fs::read(artifact("wasm/conformance.wasm")).unwrap();
    let id = fx.id("args");
    let bundle = fx.bundle(
        &id,
        &BundleSpec::new(
            "/bin/conformance.wasm",
            wasm.clone(),
            &["conformance.wasm", "args", "two words"],
        ),
    );
    let (code, stdout, stderr) = lifecycle(&fx, &id, &bundle);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        stdout,
        "argv[0]=conformance\nargv[1]=args\nargv[2]=two words\n"
    );

    let id = fx.id("env");
    let mut spec = BundleSpec::new(
        "/conformance.wasm",
        wasm.clone(),
        &["/conformance.wasm", "env"],
    );
    spec.env = vec!["GREETING=hello=world".into(), "EMPTY=".into()];
    let bundle = fx.bundle(&id, &spec);
    let (code, stdout, stderr) = lifecycle(&fx, &id, &bundle);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout, "EMPTY=\nGREETING=hello=world\n");

    let id = fx.id("files");
    let data = fx.dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let mut spec = BundleSpec::new(
        "/conformance.wasm",
        wasm,
        &["/conformance.wasm", "files", "/data"],
    );
    spec.binds.push((data.clone(), "/data"));
    let bundle = fx.bundle(&id, &spec);
    let (code, stdout, stderr) = lifecycle(&fx, &id, &bundle);
    assert_eq!(
        code, 0,
        "the guest uses the bind mount /data: {stdout}{stderr}"
    );
    assert!(stdout.contains("conformance.txt"), "{stdout}");
}

/// The primes up to 100 and their count, as prime-numbers prints them.
fn primes_to_100() -> String {
    let primes: Vec<u32> = (2..=100u32)
        .filter(|n| (2..*n).all(|d| n % d != 0))
        .collect();
    let mut text: String = primes.iter().map(|p| format!("{p}\n")).collect();
    text.push_str(&format!("count: {}\n", primes.len()));
    text
}

/// `run` of prime-numbers in one engine and mode; checks its output and that nothing is left.
fn run_prime_numbers(
    fx: &Fixture,
    label: &str,
    file: &str,
    annotations: &[(&'static str, &'static str)],
) {
    let name = format!("/prime-numbers.{}", file.rsplit('.').next().unwrap());
    let id = fx.id(label);
    let mut spec = BundleSpec::new(
        &name,
        std::fs::read(artifact(file)).unwrap(),
        &[&name, "100"],
    );
    for (k, v) in annotations {
        spec = spec.annotate(k, v);
    }
    let bundle = fx.bundle(&id, &spec);
    let out = fx.runtime(&["run", "--bundle", bundle.to_str().unwrap(), &id]);
    assert_eq!(out.code, 0, "{label}: {}", out.stderr);
    assert_eq!(out.stdout, primes_to_100(), "{label}");
    fx.assert_clean(&id);
}

#[test]
fn every_engine_runs_a_suite_function() {
    if !can_run() {
        return;
    }
    let fx = Fixture::new("engines");
    run_prime_numbers(&fx, "wasmtime-jit", "wasm/prime-numbers.wasm", &[]);
    run_prime_numbers(&fx, "wasmtime-aot", "aot/wasmtime/prime-numbers.cwasm", &[]);
    run_prime_numbers(
        &fx,
        "wasmer-jit",
        "wasm/prime-numbers.wasm",
        &[("run.oci.handler", "wasmer")],
    );
    run_prime_numbers(&fx, "wasmer-aot", "aot/wasmer/prime-numbers.wasmer", &[]);
    run_prime_numbers(
        &fx,
        "wasmi",
        "wasm/prime-numbers.wasm",
        &[
            ("run.oci.handler", "wasmi"),
            ("module.wasm.image/variant", "compat-smart"),
        ],
    );
    run_prime_numbers(
        &fx,
        "wasmtime-baseline",
        "wasm/prime-numbers.wasm",
        &[
            ("run.oci.handler", "wasmtime"),
            ("wasmfaas.mode", "baseline"),
        ],
    );
}

/// Creates and starts a container that runs until stopped; returns its init pid.
fn start_forever(fx: &Fixture, id: &str, spec: &BundleSpec, stdin: Stdio) -> i32 {
    let bundle = fx.bundle(id, spec);
    let create = fx.runtime_with(
        &["create", "--bundle", bundle.to_str().unwrap(), id],
        &[],
        stdin,
    );
    assert_eq!(create.code, 0, "create {id}: {}", create.stderr);
    let pid = fx.state(id)["pid"].as_i64().unwrap() as i32;
    let start = fx.runtime(&["start", id]);
    assert_eq!(start.code, 0, "start {id}: {}", start.stderr);
    std::thread::sleep(Duration::from_millis(300));
    let state = fx.state(id);
    assert_eq!(state["status"], "running", "{state}");
    assert!(process_exists(pid));
    pid
}

#[test]
fn kill_stops_a_running_wasm_guest() {
    if !can_run() {
        return;
    }
    let fx = Fixture::new("kill");
    let id = fx.id("loop");
    let pid = start_forever(
        &fx,
        &id,
        &BundleSpec::new("/loop.wasm", LOOP_WASM.to_vec(), &["/loop.wasm"]),
        Stdio::null(),
    );
    let ps = fx.runtime(&["ps", "--format", "json", &id]);
    assert_eq!(ps.code, 0, "{}", ps.stderr);
    let pids: Vec<i32> = serde_json::from_str(&ps.stdout).unwrap();
    assert!(pids.contains(&pid), "ps lists the init process: {pids:?}");
    // SIGTERM, the default, as `ctr task kill` sends it: the guest ends as a process would.
    let kill = fx.runtime(&["kill", &id]);
    assert_eq!(kill.code, 0, "{}", kill.stderr);
    assert_eq!(wait_exit(pid), 128 + libc::SIGTERM);
    assert_eq!(fx.state(&id)["status"], "stopped");
    let again = fx.runtime(&["kill", &id, "KILL"]);
    assert_ne!(again.code, 0);
    assert!(
        again.stderr.contains("container not running"),
        "{}",
        again.stderr
    );
    let delete = fx.runtime(&["delete", &id]);
    assert_eq!(delete.code, 0, "{}", delete.stderr);
    fx.assert_clean(&id);
}

/// CVE-2019-5736: a process in the container's pid namespace (a sidecar sharing a pod's pid
/// namespace) must not reach the runtime's own binary through `/proc/<pid>/exe` of a running
/// WebAssembly guest, whose init process is this runtime for the guest's whole life. The runtime
/// stays non-dumpable after setting up the container, so the kernel refuses the open to anyone
/// without `CAP_SYS_PTRACE`. The control, a dumpable process with the same capabilities, shows
/// the refusal comes from that and not from how this test opens the file.
#[test]
fn a_running_wasm_guest_does_not_expose_the_runtime_binary() {
    if !can_run() {
        return;
    }
    let fx = Fixture::new("exe");
    let id = fx.id("loop");
    let guest = start_forever(
        &fx,
        &id,
        &BundleSpec::new("/loop.wasm", LOOP_WASM.to_vec(), &["/loop.wasm"]),
        Stdio::null(),
    );
    let mut control = with_container_capabilities(Command::new("sleep").arg("60"))
        .spawn()
        .expect("spawn sleep");
    std::thread::sleep(Duration::from_millis(100));

    let control_open = open_exe_as_container(control.id() as i32);
    let guest_open = open_exe_as_container(guest);
    control.kill().ok();
    control.wait().ok();
    let delete = fx.runtime(&["delete", "--force", &id]);
    assert_eq!(delete.code, 0, "{}", delete.stderr);
    assert_eq!(wait_exit(guest), 128 + libc::SIGKILL);
    fx.assert_clean(&id);

    assert!(
        control_open.as_ref().is_ok_and(|head| head == b"\x7fELF"),
        "control: a dumpable process with the container's capabilities is readable: {control_open:?}"
    );
    let refused =
        guest_open.expect_err("the runtime's binary must not be readable from the container");
    assert!(refused.contains("Permission denied"), "{refused}");
}

/// The capabilities the test bundles give their containers (`CAP_AUDIT_WRITE`, `CAP_KILL`,
/// `CAP_NET_BIND_SERVICE`): root's other capabilities are dropped from the bounding set before
/// exec, so the command runs as root with exactly these.
fn with_container_capabilities(command: &mut Command) -> &mut Command {
    use std::os::unix::process::CommandExt;
    const KEEP: [libc::c_ulong; 3] = [5, 10, 29]; // CAP_KILL, CAP_NET_BIND_SERVICE, CAP_AUDIT_WRITE
    // SAFETY: prctl only, between fork and exec.
    unsafe {
        command.pre_exec(|| {
            for cap in 0..64 {
                if !KEEP.contains(&cap)
                    && libc::prctl(libc::PR_CAPBSET_DROP, cap, 0, 0, 0) != 0
                    && std::io::Error::last_os_error().raw_os_error() != Some(libc::EINVAL)
                {
                    return Err(std::io::Error::last_os_error());
                }
            }
            Ok(())
        })
    }
}

/// The first four bytes of `/proc/<pid>/exe`, read by a process with the container's
/// capabilities; the reader's stderr when it cannot.
fn open_exe_as_container(pid: i32) -> Result<Vec<u8>, String> {
    let out = with_container_capabilities(
        Command::new("head")
            .args(["-c", "4"])
            .arg(format!("/proc/{pid}/exe")),
    )
    .output()
    .expect("spawn head");
    if out.status.success() {
        Ok(out.stdout)
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

#[test]
fn delete_force_removes_running_containers() {
    if !can_run() {
        return;
    }
    let fx = Fixture::new("force");
    let id = fx.id("wasm");
    let pid = start_forever(
        &fx,
        &id,
        &BundleSpec::new("/loop.wasm", LOOP_WASM.to_vec(), &["/loop.wasm"]),
        Stdio::null(),
    );
    let refused = fx.runtime(&["delete", &id]);
    assert_ne!(
        refused.code, 0,
        "a running container is not deleted without --force"
    );
    assert!(refused.stderr.contains("running"), "{}", refused.stderr);
    let delete = fx.runtime(&["delete", "--force", &id]);
    assert_eq!(delete.code, 0, "{}", delete.stderr);
    assert_eq!(wait_exit(pid), 128 + libc::SIGKILL);
    fx.assert_clean(&id);

    // A native process blocked reading a stdin that never ends.
    let id = fx.id("native");
    let (reader, writer) = std::io::pipe().unwrap();
    let spec = BundleSpec::new(
        "/conformance",
        std::fs::read(artifact("native-static/conformance")).unwrap(),
        &["/conformance", "stdin"],
    );
    let pid = start_forever(&fx, &id, &spec, Stdio::from(reader));
    let delete = fx.runtime(&["delete", "--force", &id]);
    assert_eq!(delete.code, 0, "{}", delete.stderr);
    assert_eq!(wait_exit(pid), 128 + libc::SIGKILL);
    drop(writer);
    fx.assert_clean(&id);
    // --force of a container that is gone is not an error, as with runc.
    assert_eq!(fx.runtime(&["delete", "--force", &id]).code, 0);
}

/// `create` fails with `message` in its stderr and in the JSON log's last error line, quickly,
/// leaving nothing behind (no state, no cgroup, no pid file).
fn assert_create_fails(fx: &Fixture, id: &str, bundle: &Path, message: &str) {
    let log = fx.dir.path().join(format!("{id}.log.json"));
    let pid_file = fx.dir.path().join(format!("{id}.pid"));
    let out = fx.runtime_with(
        &[
            "create",
            "--bundle",
            bundle.to_str().unwrap(),
            "--pid-file",
            pid_file.to_str().unwrap(),
            id,
        ],
        &["--log", log.to_str().unwrap(), "--log-format", "json"],
        Stdio::null(),
    );
    assert_ne!(out.code, 0, "create {id} must fail");
    assert!(
        out.stderr.contains(message),
        "stderr of create {id} says {message:?}: {}",
        out.stderr
    );
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    let text = std::fs::read_to_string(&log).unwrap();
    let last_error: Value = text
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .rfind(|l| l["level"] == "error")
        .unwrap_or_else(|| panic!("the log has an error line: {text}"));
    assert!(
        last_error["msg"].as_str().unwrap().contains(message),
        "{last_error}"
    );
    assert!(last_error["time"].is_string());
    assert!(
        !pid_file.exists(),
        "no pid file for a container that was not created"
    );
    fx.assert_clean(id);
}

#[test]
fn bad_bundles_fail_create_with_a_clear_message() {
    if !can_run() {
        return;
    }
    let fx = Fixture::new("bad");
    let wasm = std::fs::read(artifact("wasm/hello.wasm")).unwrap();

    let id = fx.id("noconfig");
    let bundle = fx.bundle(
        &id,
        &BundleSpec::new("/hello.wasm", wasm.clone(), &["/hello.wasm"]),
    );
    std::fs::remove_file(bundle.join("config.json")).unwrap();
    assert_create_fails(&fx, &id, &bundle, "no config.json");

    let id = fx.id("text");
    let bundle = fx.bundle(
        &id,
        &BundleSpec::new(
            "/hello.wasm",
            b"hello, not a module\n".to_vec(),
            &["/hello.wasm"],
        ),
    );
    assert_create_fails(
        &fx,
        &id,
        &bundle,
        "neither a native ELF executable nor a WebAssembly module",
    );

    let id = fx.id("missing");
    let bundle = fx.bundle(
        &id,
        &BundleSpec::new("/hello.wasm", wasm.clone(), &["/other.wasm"]),
    );
    assert_create_fails(
        &fx,
        &id,
        &bundle,
        "the entrypoint /other.wasm (process.args[0]) is not a file",
    );

    let id = fx.id("corrupt");
    let bundle = fx.bundle(
        &id,
        &BundleSpec::new(
            "/hello.wasm",
            wasm[..wasm.len() / 2].to_vec(),
            &["/hello.wasm"],
        ),
    );
    assert_create_fails(&fx, &id, &bundle, "not a valid WebAssembly module");

    let id = fx.id("engine");
    let spec = BundleSpec::new("/hello.wasm", wasm.clone(), &["/hello.wasm"])
        .annotate("run.oci.handler", "v8");
    let bundle = fx.bundle(&id, &spec);
    assert_create_fails(&fx, &id, &bundle, "run.oci.handler=v8: unknown engine");

    // A runtime built with the `wasmedge` feature runs such a container instead.
    if cfg!(not(feature = "wasmedge")) {
        let id = fx.id("wasmedge");
        let spec = BundleSpec::new("/hello.wasm", wasm.clone(), &["/hello.wasm"])
            .annotate("run.oci.handler", "wasmedge");
        let bundle = fx.bundle(&id, &spec);
        assert_create_fails(&fx, &id, &bundle, "no WasmEdge engine");
    }

    let id = fx.id("artifact");
    let cwasm = std::fs::read(artifact("aot/wasmtime/hello.cwasm")).unwrap();
    let spec = BundleSpec::new("/hello.cwasm", cwasm, &["/hello.cwasm"])
        .annotate("run.oci.handler", "wasmer");
    let bundle = fx.bundle(&id, &spec);
    assert_create_fails(&fx, &id, &bundle, "asks for another engine");
}

#[test]
fn unknown_containers_systemd_cgroups_and_features() {
    if !can_run() {
        return;
    }
    let fx = Fixture::new("misc");
    let out = fx.runtime(&["state", "no-such-container"]);
    assert_ne!(out.code, 0);
    assert!(
        out.stderr
            .contains("container no-such-container does not exist"),
        "{}",
        out.stderr
    );
    let out = fx.runtime(&["start", "no-such-container"]);
    assert_ne!(out.code, 0);
    if !Path::new("/run/systemd/system").exists() {
        let id = fx.id("systemd");
        let wasm = std::fs::read(artifact("wasm/hello.wasm")).unwrap();
        let bundle = fx.bundle(&id, &BundleSpec::new("/hello.wasm", wasm, &["/hello.wasm"]));
        let out = fx.runtime_with(
            &["create", "--bundle", bundle.to_str().unwrap(), &id],
            &["--systemd-cgroup"],
            Stdio::null(),
        );
        assert_ne!(out.code, 0);
        assert!(
            out.stderr.contains("systemd is not running"),
            "{}",
            out.stderr
        );
        fx.assert_clean(&id);
    }
    let out = fx.runtime(&["features"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let features: Value = serde_json::from_str(&out.stdout).unwrap();
    assert!(features["ociVersionMax"].is_string());
    assert!(
        features["annotations"]["org.wasmfaas.runtime.engines"]
            .as_str()
            .unwrap()
            .contains("wasmtime")
    );
}
