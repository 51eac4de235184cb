//! Creating a container in a process of its own: `wasmfaas-shim-creator`, installed beside the
//! shim, single-threaded, which calls libcontainer and exits once the container's init process
//! waits for start.
//!
//! Why a process: libcontainer forks (clone3) and the child allocates before it execs or runs
//! the guest. The shim serves ttrpc on several threads; a fork taken while another thread holds
//! the allocator's lock leaves the child waiting on it forever. A fresh process has one thread.
//! The init process it leaves behind is reparented to the shim (a child subreaper), whose
//! reaper sees its exit.
//!
//! Why another binary: the init process runs the guest, so the creator links the engines; the
//! shim, which containerd starts three times per container (`start`, the daemon, `delete`),
//! then links none and starts in less time.
use std::ffi::OsString;
use std::fs::{File, OpenOptions};
use std::os::fd::OwnedFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use containerd_shim::protos::ttrpc::Code;
use wasmfaas_container::{ContainerError, NewContainer, StateRoot};
use wasmfaas_engines::AotCache;
use wasmfaas_names::{SHIM_BINARY, SHIM_CREATOR_BINARY};

/// What the creator needs: the container, its bundle, the state root and containerd's fifos.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The container's id.
    pub id: String,
    /// Its bundle folder (config.json, rootfs).
    pub bundle: PathBuf,
    /// The libcontainer state root.
    pub state_root: PathBuf,
    /// containerd's fifos; an empty path is no stream (`ctr run -d`, /dev/null).
    pub stdin: String,
    /// See `stdin`.
    pub stdout: String,
    /// See `stdin`.
    pub stderr: String,
}

impl Request {
    /// The command that creates this container: `creator` given the fields.
    pub fn command(&self, creator: &Path) -> Command {
        let mut command = Command::new(creator);
        command
            .args(self.args())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        command
    }

    fn args(&self) -> [OsString; 6] {
        [
            self.id.clone().into(),
            self.bundle.clone().into(),
            self.state_root.clone().into(),
            self.stdin.clone().into(),
            self.stdout.clone().into(),
            self.stderr.clone().into(),
        ]
    }

    fn from_args(args: &[OsString]) -> Option<Self> {
        let [id, bundle, state_root, stdin, stdout, stderr] = args else {
            return None;
        };
        let text = |arg: &OsString| arg.to_str().map(str::to_owned);
        Some(Self {
            id: text(id)?,
            bundle: PathBuf::from(bundle),
            state_root: PathBuf::from(state_root),
            stdin: text(stdin)?,
            stdout: text(stdout)?,
            stderr: text(stderr)?,
        })
    }
}

/// The creator beside the running shim's binary, or why a container cannot be created.
pub fn creator_beside_shim() -> Result<PathBuf, String> {
    let shim = std::env::current_exe()
        .map_err(|e| format!("cannot find the shim's own binary to find its creator: {e}"))?;
    let creator = shim.with_file_name(SHIM_CREATOR_BINARY);
    if creator.is_file() {
        return Ok(creator);
    }
    Err(format!(
        "{} is not installed beside {}, and it creates the containers: install both binaries together (cargo build --release --workspace --bin {SHIM_BINARY} --bin {SHIM_CREATOR_BINARY})",
        creator.display(),
        shim.display()
    ))
}

/// The first argument that makes the creator compile a module into the AOT cache instead: it is
/// run again so to compile, since compilers start threads and the creator must fork with one.
const COMPILE: &str = "--compile";

/// `wasmfaas-shim-creator`'s main: creates the container its arguments name and returns the
/// exit code (0; 2 for a usage error; else [`exit_code_of`] with the reason on stderr). With
/// [`COMPILE`], compiles a module into the AOT cache.
pub fn main() -> i32 {
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    if let [flag, engine, module] = &args[..]
        && flag == COMPILE
    {
        return match compile(&engine.to_string_lossy(), Path::new(module)) {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("{e}");
                1
            }
        };
    }
    let Some(request) = Request::from_args(&args) else {
        eprintln!(
            "{SHIM_CREATOR_BINARY}: expected <id> <bundle> <state-root> <stdin> <stdout> <stderr> ({SHIM_BINARY} runs this itself)"
        );
        return 2;
    };
    match create(&request) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("{e}");
            exit_code_of(&e)
        }
    }
}

/// The creator's exit code for each kind of failure, so the shim answers containerd with the
/// status code of that kind (`ctr` then says "invalid argument", "already exists", ...).
fn exit_code_of(e: &ContainerError) -> i32 {
    match e {
        ContainerError::InvalidBundle { .. } => 10,
        ContainerError::AlreadyExists { .. } => 11,
        ContainerError::Unsupported { .. } => 12,
        _ => 1,
    }
}

/// The ttrpc status code of a creator's exit code ([`exit_code_of`]).
pub fn code_of_exit(code: i32) -> Code {
    match code {
        10 => Code::INVALID_ARGUMENT,
        11 => Code::ALREADY_EXISTS,
        12 => Code::UNIMPLEMENTED,
        _ => Code::UNKNOWN,
    }
}

/// Compiles `module` for `engine` into the node's AOT cache.
fn compile(engine: &str, module: &Path) -> Result<(), String> {
    let engine = wasmfaas_engines::engine(engine).map_err(|e| e.to_string())?;
    AotCache::new(AotCache::default_root())
        .artifact_for(engine.as_ref(), module)
        .map(drop)
        .map_err(|e| e.to_string())
}

/// [`compile`] in a process of its own, this binary run with [`COMPILE`].
fn compile_in_another_process(engine: &str, module: &Path) -> Result<(), String> {
    let exe =
        std::env::current_exe().map_err(|e| format!("cannot find {SHIM_CREATOR_BINARY}: {e}"))?;
    let out = Command::new(exe)
        .arg(COMPILE)
        .arg(engine)
        .arg(module)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| format!("cannot start {SHIM_CREATOR_BINARY} {COMPILE}: {e}"))?;
    if out.status.success() {
        return Ok(());
    }
    let message = String::from_utf8_lossy(&out.stderr).trim().to_owned();
    Err(if message.is_empty() {
        format!("compiling it for {engine} failed ({})", out.status)
    } else {
        message
    })
}

fn create(request: &Request) -> Result<(), ContainerError> {
    let precompiled = wasmfaas_container::precompile(
        &request.bundle,
        &AotCache::new(AotCache::default_root()),
        &compile_in_another_process,
    )
    .map_err(|problem| ContainerError::InvalidBundle { problem })?;
    if let Some(precompiled) = &precompiled {
        // The shim logs what a creator that succeeds says.
        eprintln!(
            "the module's compiled code: AOT cache {} ({})",
            precompiled.cache,
            precompiled.artifact.display()
        );
    }
    // Designed, and checked: libcontainer forks next, and a child of a process with another
    // thread can wait forever on a lock that thread held (loading an artifact starts none).
    let threads = threads_of_this_process();
    if threads != 1 {
        return Err(ContainerError::Unsupported {
            problem: format!(
                "{SHIM_CREATOR_BINARY} has {threads} threads where it forks container {}; it must have one (this is a bug of wasmfaas's)",
                request.id
            ),
        });
    }
    let mut precompiled = precompiled;
    // The namespace's state folder goes when its last container is deleted, so another shim
    // may remove it between our opening it and libcontainer making the container's folder in
    // it: then it is made again.
    let mut attempts = 0;
    loop {
        let root = StateRoot::open(&request.state_root)?;
        match create_in(request, &root, precompiled.take()) {
            Err(_) if !root.path().exists() && attempts < 3 => attempts += 1,
            outcome => return outcome,
        }
    }
}

/// How many threads this process has (`Threads:` of /proc/self/status; 0 if unreadable).
fn threads_of_this_process() -> usize {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("Threads:"))
                .and_then(|n| n.trim().parse().ok())
        })
        .unwrap_or(0)
}

fn create_in(
    request: &Request,
    root: &StateRoot,
    precompiled: Option<wasmfaas_container::Precompiled>,
) -> Result<(), ContainerError> {
    let invalid = |problem: String| ContainerError::InvalidBundle { problem };
    let stdio = wasmfaas_container::Stdio {
        stdin: open_stream(&request.stdin, Direction::In).map_err(invalid)?,
        stdout: open_stream(&request.stdout, Direction::Out).map_err(invalid)?,
        stderr: open_stream(&request.stderr, Direction::Out).map_err(invalid)?,
    };
    wasmfaas_container::build_with_stdio(
        &NewContainer {
            id: &request.id,
            bundle: &request.bundle,
            pid_file: None,
            console_socket: None,
            preserve_fds: 0,
            no_pivot: false,
            detach: true,
            systemd_cgroup: false,
        },
        root,
        stdio,
        precompiled,
    )
    .map(drop)
}

enum Direction {
    In,
    Out,
}

/// Opens one of containerd's fifos for the container. Output is opened read-write, so the open
/// neither waits for nor fails without a reader (ctr opens its end before it creates the
/// task); input is opened without waiting for a writer, then made blocking for the guest. No
/// stream is /dev/null: the container must not inherit the creator's stderr, a pipe the shim
/// reads to its end.
fn open_stream(path: &str, direction: Direction) -> Result<Option<OwnedFd>, String> {
    let path = if path.is_empty() { "/dev/null" } else { path };
    let opened: std::io::Result<File> = match direction {
        Direction::Out => OpenOptions::new().read(true).write(true).open(path),
        Direction::In => OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(path)
            .and_then(|file| {
                clear_nonblocking(&file)?;
                Ok(file)
            }),
    };
    opened.map(|file| Some(file.into())).map_err(|e| {
        format!(
            "cannot open the container's stream {}: {e}",
            Path::new(path).display()
        )
    })
}

fn clear_nonblocking(file: &File) -> std::io::Result<()> {
    use nix::fcntl::{FcntlArg, OFlag, fcntl};
    use std::os::fd::AsRawFd;
    let flags = fcntl(file.as_raw_fd(), FcntlArg::F_GETFL).map_err(std::io::Error::from)?;
    let flags = OFlag::from_bits_truncate(flags) & !OFlag::O_NONBLOCK;
    fcntl(file.as_raw_fd(), FcntlArg::F_SETFL(flags)).map_err(std::io::Error::from)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> Request {
        Request {
            id: "hello".into(),
            bundle: "/run/containerd/io.containerd.runtime.v2.task/default/hello".into(),
            state_root: "/run/containerd/wasmfaas/default".into(),
            stdin: String::new(),
            stdout: "/run/containerd/fifo/1/hello-stdout".into(),
            stderr: "/run/containerd/fifo/1/hello-stderr".into(),
        }
    }

    #[test]
    fn a_request_reads_back_from_its_arguments_even_with_empty_streams() {
        let written = request();
        assert_eq!(Request::from_args(&written.args()), Some(written));
    }

    #[test]
    fn arguments_that_are_not_a_whole_request_are_refused() {
        let args = request().args();
        assert_eq!(Request::from_args(&args[..5]), None, "five arguments");
        let mut seven = args.to_vec();
        seven.push("more".into());
        assert_eq!(Request::from_args(&seven), None, "seven arguments");
        assert_eq!(Request::from_args(&[]), None);
    }

    #[test]
    fn each_kind_of_failure_comes_back_as_its_status_code() {
        let invalid = ContainerError::InvalidBundle {
            problem: "no config.json".into(),
        };
        assert_eq!(code_of_exit(exit_code_of(&invalid)), Code::INVALID_ARGUMENT);
        assert_eq!(code_of_exit(1), Code::UNKNOWN);
        assert_eq!(code_of_exit(137), Code::UNKNOWN);
    }
}
