//! The kernel's share of starting a container: what any OCI runtime must make the kernel do for a
//! `runc spec` bundle, done by the smallest possible program, then the bundle's `/fn` executed.
//!
//! Why it exists: issue #6 asks `oci/wasmtime-aot` to start a container in at most half of
//! `crun run`'s time. This program has no runtime logic, no state files, no configuration parsing
//! and a single process start, so its time is a lower bound for every runtime that honours the
//! same config (namespaces, a cgroup in every v1 hierarchy or in the v2 one, the mounts, devices,
//! masked and read-only paths, pivot_root). Compare it with crun in one run:
//!
//! ```text
//! cargo build --release --workspace --example container_setup_floor
//! hyperfine -N 'target/release/examples/container_setup_floor BUNDLE' 'crun run -b BUNDLE id'
//! ```
//!
//! `--phases` prints the time of each step on stderr (one run), to see where the kernel spends it.
//! Linux only, as root. The bundle must be the `runc spec` default with `process.args = ["/fn"]`
//! and a static `/fn`; the config file itself is not read. On cgroup v2 the device rules (an
//! eBPF program in real runtimes) are left out, so the bound is a little lower there.

use std::ffi::CString;
use std::io::{Error, ErrorKind};
use std::path::Path;
use std::time::Instant;

/// The v1 controllers a runc-spec container joins (each is its own hierarchy here).
const V1_CONTROLLERS: &[&str] = &[
    "blkio", "cpu", "cpuacct", "cpuset", "devices", "freezer", "memory", "pids",
];

/// `runc spec`'s masked paths: /dev/null is bound over files, a read-only tmpfs over directories.
const MASKED_PATHS: &[&str] = &[
    "/proc/acpi",
    "/proc/asound",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/sys/firmware",
    "/proc/scsi",
];

/// `runc spec`'s read-only paths: bound onto themselves, then remounted read-only.
const READONLY_PATHS: &[&str] = &[
    "/proc/bus",
    "/proc/fs",
    "/proc/irq",
    "/proc/sys",
    "/proc/sysrq-trigger",
];

/// The device nodes every OCI runtime creates in a container's /dev (major, minor).
const DEVICES: &[(&str, u32, u32)] = &[
    ("null", 1, 3),
    ("zero", 1, 5),
    ("full", 1, 7),
    ("random", 1, 8),
    ("urandom", 1, 9),
    ("tty", 5, 0),
];

/// The device cgroup's allow list of a runc-spec container: its own nodes, ptys, and mknod.
const DEVICE_RULES: &[&str] = &[
    "c *:* m",
    "b *:* m",
    "c 1:3 rwm",
    "c 1:5 rwm",
    "c 1:7 rwm",
    "c 1:8 rwm",
    "c 1:9 rwm",
    "c 5:0 rwm",
    "c 5:1 rwm",
    "c 5:2 rwm",
    "c 136:* rwm",
    "c 10:200 rwm",
];

fn main() {
    if let Err(error) = run() {
        eprintln!("container_setup_floor: {error}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Error> {
    let mut args = std::env::args().skip(1);
    let bundle = args.next().ok_or_else(|| {
        Error::new(
            ErrorKind::InvalidInput,
            "usage: container_setup_floor BUNDLE [--phases]",
        )
    })?;
    let phases = args.next().as_deref() == Some("--phases");
    let rootfs = format!("{}/rootfs", bundle.trim_end_matches('/'));
    let mut clock = Phases::new(phases);

    let name = format!("setup-floor-{}", std::process::id());
    let unified = Path::new("/sys/fs/cgroup/cgroup.controllers").exists();
    let hierarchies: Vec<String> = if unified {
        vec![String::new()]
    } else {
        V1_CONTROLLERS.iter().map(|c| format!("{c}/")).collect()
    };
    let mut cgroups = Cgroups(Vec::new());
    for hierarchy in &hierarchies {
        let dir = format!("/sys/fs/cgroup/{hierarchy}{name}");
        std::fs::create_dir(&dir).map_err(|e| context(e, &dir))?;
        cgroups.0.push(dir);
    }
    for dir in &cgroups.0 {
        if dir.contains("/cpuset/") {
            for file in ["cpuset.cpus", "cpuset.mems"] {
                let parent = std::fs::read(format!("/sys/fs/cgroup/cpuset/{file}"))?;
                std::fs::write(format!("{dir}/{file}"), parent)?;
            }
        }
        if dir.contains("/devices/") {
            std::fs::write(format!("{dir}/devices.deny"), "a")?;
            for rule in DEVICE_RULES {
                std::fs::write(format!("{dir}/devices.allow"), rule)?;
            }
        }
    }
    clock.mark("cgroups created");

    // The child waits on this pipe until it is in its cgroups, as a runtime's init process does.
    let mut pipe = [0; 2];
    check(
        unsafe { libc::pipe2(pipe.as_mut_ptr(), libc::O_CLOEXEC) },
        "pipe2",
    )?;
    check(unsafe { libc::unshare(libc::CLONE_NEWPID) }, "unshare(pid)")?;
    let pid = check(unsafe { libc::fork() }, "fork")?;
    if pid == 0 {
        unsafe { libc::close(pipe[1]) };
        let mut byte = 0u8;
        unsafe { libc::read(pipe[0], (&mut byte as *mut u8).cast(), 1) };
        // The parent's marks continue in the parent; the child's start when it may go on.
        clock.last = Instant::now();
        let error = child(&rootfs, unified, &mut clock);
        eprintln!("container_setup_floor: in the container: {error}");
        unsafe { libc::_exit(1) };
    }
    clock.mark("forked into a new pid namespace");
    for dir in &cgroups.0 {
        std::fs::write(format!("{dir}/cgroup.procs"), pid.to_string())
            .map_err(|e| context(e, dir))?;
    }
    clock.mark("child joined its cgroups");
    unsafe { libc::close(pipe[1]) };

    let mut status = 0;
    check(unsafe { libc::waitpid(pid, &mut status, 0) }, "waitpid")?;
    clock.mark("container exited");
    cgroups.remove()?;
    clock.mark("cgroups removed");
    if !libc::WIFEXITED(status) || libc::WEXITSTATUS(status) != 0 {
        return Err(Error::other(format!(
            "the container failed (wait status {status})"
        )));
    }
    Ok(())
}

/// The container's cgroup folders, removed when dropped so that a failed run leaves none behind.
struct Cgroups(Vec<String>);

impl Cgroups {
    fn remove(&mut self) -> Result<(), Error> {
        for dir in self.0.drain(..) {
            std::fs::remove_dir(&dir).map_err(|e| context(e, &dir))?;
        }
        Ok(())
    }
}

impl Drop for Cgroups {
    fn drop(&mut self) {
        for dir in &self.0 {
            let _ = std::fs::remove_dir(dir);
        }
    }
}

/// Everything the init process does between the namespaces and the exec; returns only on error.
fn child(rootfs: &str, unified: bool, clock: &mut Phases) -> Error {
    match setup(rootfs, unified, clock) {
        Ok(()) => {
            let path = cstr("/fn");
            let argv = [path.as_ptr(), std::ptr::null()];
            let envp = [std::ptr::null()];
            unsafe { libc::execve(path.as_ptr(), argv.as_ptr(), envp.as_ptr()) };
            context(Error::last_os_error(), "/fn")
        }
        Err(error) => error,
    }
}

fn setup(rootfs: &str, unified: bool, clock: &mut Phases) -> Result<(), Error> {
    let flags = libc::CLONE_NEWNS | libc::CLONE_NEWUTS | libc::CLONE_NEWIPC | libc::CLONE_NEWNET;
    check(unsafe { libc::unshare(flags) }, "unshare")?;
    check(
        unsafe { libc::sethostname(c"runc".as_ptr(), 4) },
        "sethostname",
    )?;
    clock.mark("namespaces");

    mount(None, "/", None, libc::MS_REC | libc::MS_SLAVE, None)?;
    mount(
        Some(rootfs),
        rootfs,
        None,
        libc::MS_BIND | libc::MS_REC,
        None,
    )?;
    let at = |path: &str| format!("{rootfs}{path}");
    let nosuid = libc::MS_NOSUID;
    let noexec_nodev = libc::MS_NOSUID | libc::MS_NOEXEC | libc::MS_NODEV;
    mount(Some("proc"), &at("/proc"), Some("proc"), 0, None)?;
    mount(
        Some("tmpfs"),
        &at("/dev"),
        Some("tmpfs"),
        nosuid | libc::MS_STRICTATIME,
        Some("mode=755,size=65536k"),
    )?;
    for dir in ["/dev/pts", "/dev/shm", "/dev/mqueue"] {
        std::fs::create_dir(at(dir)).map_err(|e| context(e, dir))?;
    }
    mount(
        Some("devpts"),
        &at("/dev/pts"),
        Some("devpts"),
        libc::MS_NOSUID | libc::MS_NOEXEC,
        Some("newinstance,ptmxmode=0666,mode=0620,gid=5"),
    )?;
    mount(
        Some("shm"),
        &at("/dev/shm"),
        Some("tmpfs"),
        noexec_nodev,
        Some("mode=1777,size=65536k"),
    )?;
    mount(
        Some("mqueue"),
        &at("/dev/mqueue"),
        Some("mqueue"),
        noexec_nodev,
        None,
    )?;
    mount(
        Some("sysfs"),
        &at("/sys"),
        Some("sysfs"),
        noexec_nodev | libc::MS_RDONLY,
        None,
    )?;
    if unified {
        mount(
            Some("cgroup2"),
            &at("/sys/fs/cgroup"),
            Some("cgroup2"),
            noexec_nodev | libc::MS_RDONLY,
            None,
        )?;
        clock.mark("mounts");
        return finish(rootfs, clock);
    }
    // A cgroup v1 mount without a cgroup namespace: a tmpfs with each hierarchy bound into it.
    mount(
        Some("tmpfs"),
        &at("/sys/fs/cgroup"),
        Some("tmpfs"),
        noexec_nodev,
        Some("mode=755"),
    )?;
    for controller in V1_CONTROLLERS {
        let target = at(&format!("/sys/fs/cgroup/{controller}"));
        std::fs::create_dir(&target).map_err(|e| context(e, &target))?;
        let source = format!("/sys/fs/cgroup/{controller}");
        mount(
            Some(&source),
            &target,
            None,
            libc::MS_BIND | libc::MS_REC,
            None,
        )?;
        let readonly = libc::MS_BIND | libc::MS_REMOUNT | libc::MS_RDONLY | noexec_nodev;
        mount(None, &target, None, readonly, None)?;
    }
    clock.mark("mounts");
    finish(rootfs, clock)
}

/// The steps after the mounts: devices, pivot_root, masked and read-only paths, attributes.
fn finish(rootfs: &str, clock: &mut Phases) -> Result<(), Error> {
    let at = |path: &str| format!("{rootfs}{path}");
    for (name, major, minor) in DEVICES {
        let path = cstr(&at(&format!("/dev/{name}")));
        let device = libc::makedev(*major, *minor);
        check(
            unsafe { libc::mknod(path.as_ptr(), libc::S_IFCHR | 0o666, device) },
            name,
        )?;
    }
    for (link, target) in [
        ("/dev/fd", "/proc/self/fd"),
        ("/dev/stdin", "/proc/self/fd/0"),
        ("/dev/stdout", "/proc/self/fd/1"),
        ("/dev/stderr", "/proc/self/fd/2"),
        ("/dev/ptmx", "pts/ptmx"),
    ] {
        std::os::unix::fs::symlink(target, at(link)).map_err(|e| context(e, link))?;
    }
    clock.mark("devices");

    std::env::set_current_dir(rootfs).map_err(|e| context(e, rootfs))?;
    check(
        unsafe { libc::syscall(libc::SYS_pivot_root, c".".as_ptr(), c".".as_ptr()) as i32 },
        "pivot_root",
    )?;
    check(
        unsafe { libc::umount2(c".".as_ptr(), libc::MNT_DETACH) },
        "umount of the old root",
    )?;
    std::env::set_current_dir("/")?;
    clock.mark("pivot_root");

    for path in MASKED_PATHS {
        match std::fs::metadata(path) {
            Ok(meta) if meta.is_dir() => {
                mount(Some("tmpfs"), path, Some("tmpfs"), libc::MS_RDONLY, None)?
            }
            Ok(_) => mount(Some("/dev/null"), path, None, libc::MS_BIND, None)?,
            Err(_) => {}
        }
    }
    for path in READONLY_PATHS {
        if std::fs::metadata(path).is_ok() {
            mount(Some(path), path, None, libc::MS_BIND | libc::MS_REC, None)?;
            let readonly = libc::MS_BIND | libc::MS_REMOUNT | libc::MS_RDONLY;
            mount(Some(path), path, None, readonly, None)?;
        }
    }
    clock.mark("masked and read-only paths");

    let limit = libc::rlimit {
        rlim_cur: 1024,
        rlim_max: 1024,
    };
    check(
        unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) },
        "setrlimit",
    )?;
    check(
        unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) },
        "no_new_privs",
    )?;
    clock.mark("process attributes");
    Ok(())
}

fn mount(
    source: Option<&str>,
    target: &str,
    fstype: Option<&str>,
    flags: libc::c_ulong,
    data: Option<&str>,
) -> Result<(), Error> {
    let source = source.map(cstr);
    let fstype = fstype.map(cstr);
    let data = data.map(cstr);
    let target_c = cstr(target);
    let pointer = |value: &Option<CString>| value.as_ref().map_or(std::ptr::null(), |c| c.as_ptr());
    let result = unsafe {
        libc::mount(
            pointer(&source),
            target_c.as_ptr(),
            pointer(&fstype),
            flags,
            pointer(&data).cast(),
        )
    };
    check(result, target).map(drop)
}

fn cstr(text: &str) -> CString {
    CString::new(text).expect("paths here have no NUL byte")
}

fn check(result: i32, what: &str) -> Result<i32, Error> {
    if result < 0 {
        Err(context(Error::last_os_error(), what))
    } else {
        Ok(result)
    }
}

fn context(error: Error, what: &str) -> Error {
    Error::new(error.kind(), format!("{what}: {error}"))
}

/// Prints the time since the previous mark on stderr when asked to; otherwise costs nothing.
struct Phases {
    enabled: bool,
    last: Instant,
}

impl Phases {
    fn new(enabled: bool) -> Self {
        Phases {
            enabled,
            last: Instant::now(),
        }
    }

    fn mark(&mut self, what: &str) {
        if self.enabled {
            let now = Instant::now();
            eprintln!("{:>8.3} ms  {what}", (now - self.last).as_secs_f64() * 1e3);
            self.last = now;
        }
    }
}
