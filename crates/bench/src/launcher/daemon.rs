//! A private containerd: its own root, state, sockets and config under the bench's work
//! folder, started for the bench and stopped with it, leaving no process, mount or folder.
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::BenchError;

/// How long containerd gets to serve its socket, and to stop.
const START_TIMEOUT: Duration = Duration::from_secs(30);
const STOP_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest path a Unix socket may have (sun_path, with its terminating NUL).
const SOCKET_PATH_MAX: usize = 107;
/// containerd's metadata databases: what a pristine state is restored from.
const DATABASES: [&str; 2] = [
    "io.containerd.metadata.v1.bolt/meta.db",
    "io.containerd.snapshotter.v1.overlayfs/metadata.db",
];
/// The overlayfs snapshotter's snapshot folders, named by the ids its database hands out.
const SNAPSHOTS: &str = "io.containerd.snapshotter.v1.overlayfs/snapshots";

/// A containerd daemon of our own.
#[derive(Debug)]
pub struct Containerd {
    dir: PathBuf,
    binary: PathBuf,
    ctr: PathBuf,
    socket: PathBuf,
    child: Option<Child>,
    /// Copies of the metadata databases taken by [`Containerd::save_pristine`].
    pristine: Option<PathBuf>,
    /// The snapshot folders of the pristine state (the images' layers).
    pristine_snapshots: Vec<std::ffi::OsString>,
}

impl Containerd {
    /// Starts containerd (`binary`) with everything under `dir`, and waits until it answers
    /// `ctr` on its socket.
    pub fn start(dir: &Path, binary: &Path, ctr: &Path) -> Result<Containerd, BenchError> {
        let socket = dir.join("containerd.sock");
        let length = socket.as_os_str().len() + ".ttrpc".len();
        if length > SOCKET_PATH_MAX {
            return Err(BenchError::Selection(format!(
                "the private containerd's socket {} would be {length} bytes long, over the {SOCKET_PATH_MAX} a Unix socket allows: use a shorter --output folder",
                socket.display()
            )));
        }
        std::fs::create_dir_all(dir).map_err(|e| BenchError::io(dir, e))?;
        let config = dir.join("config.toml");
        // Version 2 is what containerd 1.6 and 1.7 read. The CRI plugin is off: it serves
        // Kubernetes, and would make every start slower and need CNI.
        let toml = format!(
            "version = 2\nroot = \"{root}\"\nstate = \"{state}\"\ndisabled_plugins = [\"io.containerd.grpc.v1.cri\"]\n\n[grpc]\n  address = \"{socket}\"\n\n[ttrpc]\n  address = \"{socket}.ttrpc\"\n\n[plugins]\n  [plugins.\"io.containerd.internal.v1.opt\"]\n    path = \"{opt}\"\n",
            root = dir.join("root").display(),
            state = dir.join("state").display(),
            socket = socket.display(),
            opt = dir.join("opt").display(),
        );
        std::fs::write(&config, toml).map_err(|e| BenchError::io(&config, e))?;
        let mut containerd = Containerd {
            dir: dir.to_path_buf(),
            binary: binary.to_path_buf(),
            ctr: ctr.to_path_buf(),
            socket,
            child: None,
            pristine: None,
            pristine_snapshots: Vec::new(),
        };
        containerd.spawn()?;
        Ok(containerd)
    }

    /// Its gRPC socket, for `ctr --address`.
    pub fn address(&self) -> &Path {
        &self.socket
    }

    fn spawn(&mut self) -> Result<(), BenchError> {
        let log_path = self.dir.join("containerd.log");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .map_err(|e| BenchError::io(&log_path, e))?;
        let log_err = log.try_clone().map_err(|e| BenchError::io(&log_path, e))?;
        let mut command = Command::new(&self.binary);
        command
            .arg("--config")
            .arg(self.dir.join("config.toml"))
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err)
            // Its own process group: a Ctrl-C at the terminal stops the bench, which then
            // stops containerd, rather than killing containerd under a running container.
            .process_group(0);
        // SAFETY: the closure runs in the child between fork and exec and only calls prctl,
        // which is async-signal-safe.
        unsafe {
            command.pre_exec(|| {
                // If the bench dies without stopping it (a second Ctrl-C, a crash), containerd
                // gets SIGTERM and shuts down.
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM, 0, 0, 0) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = command.spawn().map_err(|e| {
            BenchError::Selection(format!(
                "cannot start containerd ({}): {e}",
                self.binary.display()
            ))
        })?;
        self.child = Some(child);
        let deadline = Instant::now() + START_TIMEOUT;
        // The socket appears before containerd serves on it: wait until ctr gets an answer.
        loop {
            let answered = Command::new(&self.ctr)
                .arg("--address")
                .arg(&self.socket)
                .arg("version")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .process_group(0)
                .status()
                .is_ok_and(|s| s.success());
            if answered {
                return Ok(());
            }
            let exited = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten());
            if exited.is_some() || Instant::now() > deadline {
                let log = std::fs::read_to_string(&log_path).unwrap_or_default();
                let last: Vec<&str> = log.lines().rev().take(3).collect();
                self.stop();
                return Err(BenchError::Selection(format!(
                    "the private containerd did not start ({}); its log {}: {}",
                    exited.map_or_else(
                        || format!("no answer within {START_TIMEOUT:?}"),
                        |s| s.to_string()
                    ),
                    log_path.display(),
                    last.into_iter().rev().collect::<Vec<_>>().join(" | ")
                )));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Stops the daemon (SIGTERM, then SIGKILL after a grace period) and what it left.
    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            // SAFETY: sending a signal has no memory-safety preconditions; the pid is our
            // unreaped child.
            unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
            let deadline = Instant::now() + STOP_TIMEOUT;
            while child.try_wait().ok().flatten().is_none() {
                if Instant::now() > deadline {
                    let _ = child.kill();
                    let _ = child.wait();
                    break;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        kill_shims(&self.socket);
        unmount_under(&self.dir);
    }

    /// Keeps a copy of the metadata as it is now (images imported, no containers), to restore
    /// before runs.
    pub fn save_pristine(&mut self) -> Result<(), BenchError> {
        self.stop();
        let pristine = self.dir.join("pristine");
        for database in DATABASES {
            let from = self.dir.join("root").join(database);
            let to = pristine.join(database);
            if let Some(parent) = to.parent() {
                std::fs::create_dir_all(parent).map_err(|e| BenchError::io(parent, e))?;
            }
            std::fs::copy(&from, &to).map_err(|e| BenchError::io(&from, e))?;
        }
        self.pristine = Some(pristine);
        self.pristine_snapshots = self.snapshots()?;
        self.spawn()
    }

    fn snapshots(&self) -> Result<Vec<std::ffi::OsString>, BenchError> {
        let folder = self.dir.join("root").join(SNAPSHOTS);
        let entries = std::fs::read_dir(&folder).map_err(|e| BenchError::io(&folder, e))?;
        Ok(entries.flatten().map(|e| e.file_name()).collect())
    }

    /// Restarts containerd on the saved pristine metadata and an empty state folder, as the
    /// paper's scripts restored a saved containerd state before each run.
    pub fn restore_pristine(&mut self) -> Result<(), BenchError> {
        let Some(pristine) = self.pristine.clone() else {
            return self.save_pristine();
        };
        self.stop();
        let state = self.dir.join("state");
        if state.exists() {
            std::fs::remove_dir_all(&state).map_err(|e| BenchError::io(&state, e))?;
        }
        for database in DATABASES {
            let from = pristine.join(database);
            let to = self.dir.join("root").join(database);
            std::fs::copy(&from, &to).map_err(|e| BenchError::io(&to, e))?;
        }
        // The restored database hands out the same snapshot ids again: the folders of the
        // containers since then must go with it.
        let folder = self.dir.join("root").join(SNAPSHOTS);
        for snapshot in self.snapshots()? {
            if !self.pristine_snapshots.contains(&snapshot) {
                let path = folder.join(&snapshot);
                std::fs::remove_dir_all(&path).map_err(|e| BenchError::io(&path, e))?;
            }
        }
        self.spawn()
    }
}

impl Drop for Containerd {
    fn drop(&mut self) {
        self.stop();
        // Its root holds the unpacked images (a Debian root per function): not worth keeping.
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Kills containerd shims still serving containers of the daemon at `socket` (they outlive
/// containerd by design; ours must not).
fn kill_shims(socket: &Path) {
    let needle = socket.as_os_str().as_encoded_bytes();
    let Ok(processes) = std::fs::read_dir("/proc") else {
        return;
    };
    for process in processes.flatten() {
        let Ok(pid) = process.file_name().to_string_lossy().parse::<libc::pid_t>() else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(process.path().join("cmdline")) else {
            continue;
        };
        let is_shim = cmdline.starts_with(b"/usr/bin/containerd-shim")
            || cmdline.split(|&b| b == 0).next().is_some_and(|arg0| {
                arg0.ends_with(b"containerd-shim-runc-v2")
                    || arg0.ends_with(wasmfaas_names::SHIM_BINARY.as_bytes())
            });
        if is_shim && cmdline.windows(needle.len()).any(|w| w == needle) {
            // SAFETY: sending a signal has no memory-safety preconditions.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
    }
}

/// Unmounts whatever is still mounted under `dir` (a container's root left by a crash), the
/// deepest first.
pub(crate) fn unmount_under(dir: &Path) {
    let Ok(mountinfo) = std::fs::read_to_string("/proc/self/mountinfo") else {
        return;
    };
    let mut mounts: Vec<&str> = mountinfo
        .lines()
        .filter_map(|line| line.split(' ').nth(4))
        .filter(|point| Path::new(point).starts_with(dir))
        .collect();
    mounts.sort_by_key(|p| std::cmp::Reverse(p.len()));
    for point in mounts {
        if let Ok(point) = std::ffi::CString::new(point) {
            // SAFETY: `point` is a valid NUL-terminated path for the duration of the call.
            unsafe { libc::umount2(point.as_ptr(), libc::MNT_DETACH) };
        }
    }
}

/// Where containerd's runc shim keeps the runtime's state (`--root`), one folder per namespace.
pub(crate) const SHIM_RUNTIME_ROOT: &str = "/run/containerd/runc";

/// Removes the runtime state folder of namespace `name`: the runc shim makes one per namespace
/// and leaves it, empty, after its last container.
pub(crate) fn remove_shim_state(name: &str) {
    // remove_dir, not remove_dir_all: a folder still holding a container's state is not ours
    // to delete.
    let _ = std::fs::remove_dir(Path::new(SHIM_RUNTIME_ROOT).join(name));
}

/// Removes the (empty) cgroup folders called `name` at the top of each hierarchy: containerd
/// makes one per namespace and leaves it when the daemon stops.
pub(crate) fn remove_cgroups(name: &str) {
    let root = Path::new("/sys/fs/cgroup");
    let mut candidates = vec![root.join(name)];
    if let Ok(hierarchies) = std::fs::read_dir(root) {
        candidates.extend(hierarchies.flatten().map(|h| h.path().join(name)));
    }
    for candidate in candidates {
        // rmdir of a cgroup removes it only when it has no processes and no children.
        let _ = std::fs::remove_dir(candidate);
    }
}
