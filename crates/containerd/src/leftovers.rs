//! What containerd leaves by design and a private one must not: shims (they outlive the daemon
//! so that containers survive its restart), mounts of containers' roots, namespace cgroups and
//! the runc shim's state folders.
use std::path::Path;

/// A shim process serving a daemon's containers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shim {
    /// Its process id.
    pub pid: libc::pid_t,
    /// Its command line, arguments joined by spaces.
    pub command_line: String,
}

/// The command name every shim's `/proc/<pid>/stat` shows: the kernel keeps the first 15 bytes
/// of the program's name, and all our shims' names are longer. A walk of `/proc` need read a
/// command line only where the name is this.
pub const SHIM_COMMAND_NAME: &str = "containerd-shim";

/// The shim at `pid` if it serves the daemon at `address`, from its command line.
pub fn shim_of(pid: libc::pid_t, address: &Path) -> Option<Shim> {
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    is_shim_of(&cmdline, address.as_os_str().as_encoded_bytes()).then(|| Shim {
        pid,
        command_line: String::from_utf8_lossy(&cmdline)
            .trim_end_matches('\0')
            .replace('\0', " "),
    })
}

/// Whether a process's `/proc/<pid>/cmdline` is a shim's serving the daemon at `address`:
/// its program is a `containerd-shim*` binary (runc's from Debian, ours from wherever it was
/// built), and its arguments name the daemon's socket.
fn is_shim_of(cmdline: &[u8], address: &[u8]) -> bool {
    let program = cmdline.split(|&b| b == 0).next().unwrap_or_default();
    let name = program.rsplit(|&b| b == b'/').next().unwrap_or_default();
    name.starts_with(b"containerd-shim")
        && !address.is_empty()
        && cmdline.windows(address.len()).any(|w| w == address)
}

/// The shims serving containers of the daemon at `address` (its gRPC socket).
pub fn shims_of(address: &Path) -> Vec<Shim> {
    let Ok(processes) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    processes
        .flatten()
        .filter_map(|process| shim_of(process.file_name().to_string_lossy().parse().ok()?, address))
        .collect()
}

/// Kills the shims still serving containers of the daemon at `address`.
pub fn kill_shims(address: &Path) {
    for shim in shims_of(address) {
        // SAFETY: sending a signal has no memory-safety preconditions.
        unsafe { libc::kill(shim.pid, libc::SIGKILL) };
    }
}

/// Unmounts whatever is still mounted under `dir` (a container's root left by a crash), the
/// deepest first.
pub fn unmount_under(dir: &Path) {
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
pub const RUNC_SHIM_STATE_ROOT: &str = "/run/containerd/runc";

/// Removes the runc shim's state folder of `namespace`: it makes one per namespace and leaves
/// it, empty, after its last container.
pub fn remove_runc_shim_state(namespace: &str) {
    // remove_dir, not remove_dir_all: a folder still holding a container's state is not ours
    // to delete.
    let _ = std::fs::remove_dir(Path::new(RUNC_SHIM_STATE_ROOT).join(namespace));
}

/// Removes the (empty) cgroup folders called `namespace` at the top of each hierarchy:
/// containerd makes one per namespace (its containers' parent) and leaves it when it stops.
pub fn remove_namespace_cgroups(namespace: &str) {
    let root = Path::new("/sys/fs/cgroup");
    let mut candidates = vec![root.join(namespace)];
    if let Ok(hierarchies) = std::fs::read_dir(root) {
        candidates.extend(hierarchies.flatten().map(|h| h.path().join(namespace)));
    }
    for candidate in candidates {
        // rmdir of a cgroup removes it only when it has no processes and no children.
        let _ = std::fs::remove_dir(candidate);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shim_shows_the_same_truncated_command_name() {
        // The kernel keeps 15 bytes of a program's name (TASK_COMM_LEN less the NUL).
        for shim in [wasmfaas_names::SHIM_BINARY, "containerd-shim-runc-v2"] {
            assert_eq!(&shim[..15], SHIM_COMMAND_NAME, "{shim}");
        }
        let own = std::fs::read_to_string("/proc/self/stat").unwrap();
        let name = &own[own.find('(').unwrap() + 1..own.rfind(')').unwrap()];
        assert!(name.len() <= 15, "{name}");
    }

    fn cmdline(args: &[&str]) -> Vec<u8> {
        args.iter()
            .flat_map(|a| [a.as_bytes(), b"\0"].concat())
            .collect()
    }

    const ADDRESS: &[u8] = b"/tmp/wfs-x/c/containerd.sock";

    #[test]
    fn every_shim_of_the_daemon_is_known_by_program_and_socket() {
        let runc = cmdline(&[
            "/usr/bin/containerd-shim-runc-v2",
            "-namespace",
            "wasmfaas-1",
            "-id",
            "wasmfaas-hello-1",
            "-address",
            "/tmp/wfs-x/c/containerd.sock",
        ]);
        let ours = cmdline(&[
            "/work/main/target/release/containerd-shim-wasmfaas-v1",
            "-namespace",
            "t",
            "-address",
            "/tmp/wfs-x/c/containerd.sock",
            "-publish-binary",
            "/usr/bin/containerd",
        ]);
        assert!(is_shim_of(&runc, ADDRESS));
        assert!(is_shim_of(&ours, ADDRESS));
    }

    #[test]
    fn other_processes_and_other_daemons_shims_are_not() {
        let ctr = cmdline(&[
            "ctr",
            "--address",
            "/tmp/wfs-x/c/containerd.sock",
            "version",
        ]);
        let containerd = cmdline(&["containerd", "--config", "/tmp/wfs-x/c/config.toml"]);
        let elsewhere = cmdline(&[
            "/usr/bin/containerd-shim-runc-v2",
            "-address",
            "/run/containerd/containerd.sock",
        ]);
        // A program whose folder, not its name, mentions a shim.
        let folder = cmdline(&[
            "/opt/containerd-shim-tools/bin/sleep",
            "/tmp/wfs-x/c/containerd.sock",
        ]);
        for other in [ctr, containerd, elsewhere, folder] {
            assert!(
                !is_shim_of(&other, ADDRESS),
                "{}",
                String::from_utf8_lossy(&other)
            );
        }
    }
}
