//! The daemon: its config, its start (answering `ctr` before it is handed out), its stop, and
//! the pristine state the bench restores before runs.
use std::ffi::OsString;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::Error;
use crate::leftovers::{kill_shims, unmount_under};

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
/// The daemon's log, stdout and stderr both, in its folder.
const LOG: &str = "containerd.log";

/// How to start a private containerd: which binaries, and what its config adds.
#[derive(Debug, Clone)]
pub struct Options {
    binary: PathBuf,
    ctr: PathBuf,
    cri: bool,
    config: String,
    path_first: Vec<PathBuf>,
    env: Vec<(String, OsString)>,
}

impl Options {
    /// containerd at `binary`, answered through `ctr`; the CRI plugin off, nothing added.
    pub fn new(binary: impl Into<PathBuf>, ctr: impl Into<PathBuf>) -> Self {
        Options {
            binary: binary.into(),
            ctr: ctr.into(),
            cri: false,
            config: String::new(),
            path_first: Vec::new(),
            env: Vec::new(),
        }
    }

    /// containerd and ctr as found on PATH.
    pub fn from_path() -> Result<Self, Error> {
        let find = |tool: &'static str| on_path(tool).ok_or(Error::NotInstalled { tool });
        Ok(Options::new(find("containerd")?, find("ctr")?))
    }

    /// Turns the CRI plugin on (what a Kubernetes node runs); it is off by default because it
    /// makes every start slower and wants CNI.
    pub fn with_cri(mut self) -> Self {
        self.cri = true;
        self
    }

    /// Appends `toml` to the config (tables only: the top-level keys are the daemon's), e.g.
    /// the CRI plugin's settings or a deploy snippet.
    pub fn with_config(mut self, toml: &str) -> Self {
        self.config.push('\n');
        self.config.push_str(toml);
        self
    }

    /// Puts `dir` first on the daemon's PATH, where containerd looks shims up by runtime name.
    pub fn with_path_first(mut self, dir: impl Into<PathBuf>) -> Self {
        self.path_first.push(dir.into());
        self
    }

    /// Sets `key` to `value` in the daemon's environment, which the shims it starts inherit
    /// (e.g. `WASMFAAS_CACHE`, where wasmfaas's shim keeps compiled modules).
    pub fn with_env(mut self, key: &str, value: impl Into<OsString>) -> Self {
        self.env.push((key.to_owned(), value.into()));
        self
    }

    /// The `ctr` binary these options answer through.
    pub fn ctr(&self) -> &Path {
        &self.ctr
    }
}

/// A containerd daemon of our own, stopped (and its folder removed) when dropped.
#[derive(Debug)]
pub struct Containerd {
    dir: PathBuf,
    options: Options,
    socket: PathBuf,
    child: Option<Child>,
    /// Copies of the metadata databases taken by [`Containerd::save_pristine`].
    pristine: Option<PathBuf>,
    /// The snapshot folders of the pristine state (the images' layers).
    pristine_snapshots: Vec<OsString>,
}

impl Containerd {
    /// Starts containerd with everything under `dir` (root, state, sockets, config, log), and
    /// waits until it answers `ctr` on its socket.
    pub fn start(dir: &Path, options: Options) -> Result<Containerd, Error> {
        let socket = dir.join("containerd.sock");
        let length = socket.as_os_str().len() + ".ttrpc".len();
        if length > SOCKET_PATH_MAX {
            return Err(Error::SocketTooLong {
                socket,
                length,
                max: SOCKET_PATH_MAX,
            });
        }
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let config = dir.join("config.toml");
        // Version 2 is what containerd 1.6 and 1.7 read.
        let disabled = if options.cri {
            ""
        } else {
            "disabled_plugins = [\"io.containerd.grpc.v1.cri\"]\n"
        };
        let toml = format!(
            "version = 2\nroot = \"{root}\"\nstate = \"{state}\"\n{disabled}\n[grpc]\n  address = \"{socket}\"\n\n[ttrpc]\n  address = \"{socket}.ttrpc\"\n\n[plugins.\"io.containerd.internal.v1.opt\"]\n  path = \"{opt}\"\n{extra}",
            root = dir.join("root").display(),
            state = dir.join("state").display(),
            socket = socket.display(),
            opt = dir.join("opt").display(),
            extra = options.config,
        );
        std::fs::write(&config, toml).map_err(|e| Error::io(&config, e))?;
        let mut containerd = Containerd {
            dir: dir.to_path_buf(),
            options,
            socket,
            child: None,
            pristine: None,
            pristine_snapshots: Vec::new(),
        };
        containerd.spawn()?;
        Ok(containerd)
    }

    /// Its gRPC socket, for `ctr --address` and CRI clients.
    pub fn address(&self) -> &Path {
        &self.socket
    }

    /// The folder everything of it is in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// A `ctr` command addressed to it (stdin closed); the caller adds the namespace and
    /// arguments.
    pub fn ctr(&self) -> Command {
        let mut command = Command::new(&self.options.ctr);
        command
            .arg("--address")
            .arg(&self.socket)
            .stdin(Stdio::null());
        command
    }
}

/// `ctr` (at `ctr`) addressed to the containerd at `address`, in `namespace`: for a daemon of
/// ours or a running one.
pub fn ctr_in(ctr: &Path, address: &Path, namespace: &str) -> Command {
    let mut command = Command::new(ctr);
    command
        .arg("--address")
        .arg(address)
        .arg("--namespace")
        .arg(namespace);
    command
}

impl Containerd {
    /// What it has logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join(LOG)).unwrap_or_default()
    }

    fn spawn(&mut self) -> Result<(), Error> {
        let log_path = self.dir.join(LOG);
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .map_err(|e| Error::io(&log_path, e))?;
        let log_err = log.try_clone().map_err(|e| Error::io(&log_path, e))?;
        let mut command = Command::new(&self.options.binary);
        command
            .arg("--config")
            .arg(self.dir.join("config.toml"))
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err)
            // Its own process group: a Ctrl-C at the terminal stops the bench, which then
            // stops containerd, rather than killing containerd under a running container.
            .process_group(0);
        command.envs(self.options.env.iter().map(|(k, v)| (k, v)));
        if !self.options.path_first.is_empty() {
            let path = std::env::var_os("PATH").unwrap_or_default();
            let dirs = self
                .options
                .path_first
                .iter()
                .cloned()
                .chain(std::env::split_paths(&path));
            if let Ok(joined) = std::env::join_paths(dirs) {
                command.env("PATH", joined);
            }
        }
        // SAFETY: the closure runs in the child between fork and exec and only calls prctl,
        // which is async-signal-safe.
        unsafe {
            command.pre_exec(|| {
                // If its owner dies without stopping it (a second Ctrl-C, a crash, a test's
                // panic), containerd gets SIGTERM and shuts down.
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM, 0, 0, 0) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = command.spawn().map_err(|source| Error::Spawn {
            binary: self.options.binary.clone(),
            source,
        })?;
        self.child = Some(child);
        let deadline = Instant::now() + START_TIMEOUT;
        // The socket appears before containerd serves on it: wait until ctr gets an answer.
        loop {
            let answered = self
                .ctr()
                .arg("version")
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
                let log = self.log();
                let last: Vec<&str> = log.lines().rev().take(3).collect();
                self.stop();
                return Err(Error::NotServing {
                    why: exited.map_or_else(
                        || format!("no answer within {START_TIMEOUT:?}"),
                        |s| s.to_string(),
                    ),
                    log: log_path,
                    last_lines: last.into_iter().rev().collect::<Vec<_>>().join(" | "),
                });
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Stops the daemon (SIGTERM, then SIGKILL after a grace period) and what it left: the
    /// shims serving its containers, mounts under its folder.
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
    pub fn save_pristine(&mut self) -> Result<(), Error> {
        self.stop();
        let pristine = self.dir.join("pristine");
        for database in DATABASES {
            let from = self.dir.join("root").join(database);
            let to = pristine.join(database);
            // A plugin makes its database at first use (the snapshotter's at the first
            // image): one not made yet is restored by removing it.
            if !from.exists() {
                continue;
            }
            if let Some(parent) = to.parent() {
                std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
            }
            std::fs::copy(&from, &to).map_err(|e| Error::io(&from, e))?;
        }
        self.pristine = Some(pristine);
        self.pristine_snapshots = self.snapshots()?;
        self.spawn()
    }

    fn snapshots(&self) -> Result<Vec<OsString>, Error> {
        let folder = self.dir.join("root").join(SNAPSHOTS);
        if !folder.exists() {
            return Ok(Vec::new());
        }
        let entries = std::fs::read_dir(&folder).map_err(|e| Error::io(&folder, e))?;
        Ok(entries.flatten().map(|e| e.file_name()).collect())
    }

    /// Restarts containerd on the saved pristine metadata and an empty state folder, as the
    /// paper's scripts restored a saved containerd state before each run (saving it first if
    /// nothing was saved).
    pub fn restore_pristine(&mut self) -> Result<(), Error> {
        let Some(pristine) = self.pristine.clone() else {
            return self.save_pristine();
        };
        self.stop();
        let state = self.dir.join("state");
        if state.exists() {
            std::fs::remove_dir_all(&state).map_err(|e| Error::io(&state, e))?;
        }
        for database in DATABASES {
            let from = pristine.join(database);
            let to = self.dir.join("root").join(database);
            if from.exists() {
                std::fs::copy(&from, &to).map_err(|e| Error::io(&to, e))?;
            } else if to.exists() {
                std::fs::remove_file(&to).map_err(|e| Error::io(&to, e))?;
            }
        }
        // The restored database hands out the same snapshot ids again: the folders of the
        // containers since then must go with it.
        let folder = self.dir.join("root").join(SNAPSHOTS);
        for snapshot in self.snapshots()? {
            if !self.pristine_snapshots.contains(&snapshot) {
                let path = folder.join(&snapshot);
                std::fs::remove_dir_all(&path).map_err(|e| Error::io(&path, e))?;
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

/// `tool`'s path on PATH, if it is there.
fn on_path(tool: &str) -> Option<PathBuf> {
    let paths = std::env::var_os("PATH")?;
    std::env::split_paths(&paths)
        .map(|dir| dir.join(tool))
        .find(|candidate| candidate.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_too_deep_for_a_socket_is_refused_before_anything_starts() {
        let deep = Path::new("/tmp").join("d".repeat(120));
        let error = Containerd::start(&deep, Options::new("/nonexistent/containerd", "ctr"))
            .expect_err("a 120-byte folder fits no socket");
        assert!(matches!(error, Error::SocketTooLong { .. }), "{error:?}");
        assert!(error.to_string().contains("shorter folder"), "{error}");
        assert!(!deep.exists(), "nothing is made for a refused start");
    }

    #[test]
    fn a_missing_binary_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let error = Containerd::start(
            &dir.path().join("c"),
            Options::new("/nonexistent/containerd", "/nonexistent/ctr"),
        )
        .expect_err("no containerd there");
        assert!(matches!(error, Error::Spawn { .. }), "{error:?}");
        assert!(
            error.to_string().contains("/nonexistent/containerd"),
            "{error}"
        );
    }
}
