//! Creating a container in a process of its own: the shim's binary run again with
//! [`SUBCOMMAND`], single-threaded, which calls libcontainer and exits once the container's
//! init process waits for start.
//!
//! Why: libcontainer forks (clone3) and the child allocates before it execs or runs the guest.
//! The shim serves ttrpc on several threads; a fork taken while another thread holds the
//! allocator's lock leaves the child waiting on it forever. A fresh process has one thread.
//! The init process it leaves behind is reparented to the shim (a child subreaper), whose
//! reaper sees its exit.
use std::ffi::OsString;
use std::fs::{File, OpenOptions};
use std::os::fd::OwnedFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use containerd_shim::protos::ttrpc::Code;
use wasmfaas_container::{ContainerError, NewContainer, StateRoot};

/// The first argument that makes the shim's binary create a container instead of serving.
pub const SUBCOMMAND: &str = "create-container";

/// What the creator needs: the container, its bundle, the state root and containerd's fifos.
#[derive(Debug, Clone)]
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
    /// The command that creates this container: the running binary, [`SUBCOMMAND`], the fields.
    pub fn command(&self) -> Command {
        let mut command = Command::new("/proc/self/exe");
        command
            .arg(SUBCOMMAND)
            .arg(&self.id)
            .arg(&self.bundle)
            .arg(&self.state_root)
            .args([&self.stdin, &self.stdout, &self.stderr])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        command
    }

    fn from_args(args: &[OsString]) -> Option<Self> {
        let text = |i: usize| args.get(i).and_then(|a| a.to_str()).map(str::to_owned);
        Some(Self {
            id: text(0)?,
            bundle: PathBuf::from(args.get(1)?),
            state_root: PathBuf::from(args.get(2)?),
            stdin: text(3)?,
            stdout: text(4)?,
            stderr: text(5)?,
        })
    }
}

/// When this process was started as the creator: creates the container and returns the exit
/// code (0, or 1 with the reason on stderr). `None`: this is the shim itself.
pub fn run_if_asked() -> Option<i32> {
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    if args.first().is_none_or(|a| a != SUBCOMMAND) {
        return None;
    }
    let Some(request) = Request::from_args(&args[1..]) else {
        eprintln!(
            "{SUBCOMMAND}: expected <id> <bundle> <state-root> <stdin> <stdout> <stderr> (containerd-shim-wasmfaas-v1 runs this itself)"
        );
        return Some(2);
    };
    match create(&request) {
        Ok(()) => Some(0),
        Err(e) => {
            eprintln!("{e}");
            Some(exit_code_of(&e))
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

fn create(request: &Request) -> Result<(), ContainerError> {
    // The namespace's state folder goes when its last container is deleted, so another shim
    // may remove it between our opening it and libcontainer making the container's folder in
    // it: then it is made again.
    let mut attempts = 0;
    loop {
        let root = StateRoot::open(&request.state_root)?;
        match create_in(request, &root) {
            Err(_) if !root.path().exists() && attempts < 3 => attempts += 1,
            outcome => return outcome,
        }
    }
}

fn create_in(request: &Request, root: &StateRoot) -> Result<(), ContainerError> {
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
