//! Waiting for a run's process, and killing it when it outlives its deadline.
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// Reaps the child `pid` (ours, or an orphan we adopted as subreaper), with its resource usage.
pub(super) fn wait4(pid: libc::pid_t) -> std::io::Result<(libc::c_int, libc::rusage)> {
    let mut status = 0;
    // SAFETY: rusage is plain old data; zeroed is a valid value for wait4 to overwrite.
    let mut rusage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: pid is our own unreaped child; both pointers are valid for the call.
        let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut rusage) };
        if reaped == pid {
            return Ok((status, rusage));
        }
        let error = std::io::Error::last_os_error();
        if error.kind() != std::io::ErrorKind::Interrupted {
            return Err(error);
        }
    }
}

/// Kills a run that outlives its deadline. One thread for the whole bench, armed and disarmed
/// per run, so a run costs a lock, not a thread spawn.
pub(super) struct Watchdog {
    shared: Arc<(Mutex<WatchState>, Condvar)>,
}

#[derive(Default)]
struct WatchState {
    armed: Option<(libc::pid_t, Instant)>,
    fired: bool,
}

impl Watchdog {
    pub(super) fn start() -> Self {
        let shared = Arc::new((Mutex::new(WatchState::default()), Condvar::new()));
        let watched = Arc::downgrade(&shared);
        std::thread::Builder::new()
            .name("run-watchdog".into())
            .spawn(move || {
                loop {
                    let Some(shared) = watched.upgrade() else {
                        return;
                    };
                    let (lock, wake) = &*shared;
                    let state = lock.lock().unwrap_or_else(|p| p.into_inner());
                    let wait = match state.armed {
                        Some((_, deadline)) => deadline.saturating_duration_since(Instant::now()),
                        None => Duration::from_secs(1),
                    };
                    let (mut state, _) = wake
                        .wait_timeout(state, wait)
                        .unwrap_or_else(|p| p.into_inner());
                    if let Some((pid, deadline)) = state.armed
                        && Instant::now() >= deadline
                    {
                        // SAFETY: sending a signal has no memory-safety preconditions; the pid
                        // is our child, armed until it has been reaped.
                        unsafe { libc::kill(pid, libc::SIGKILL) };
                        state.fired = true;
                        state.armed = None;
                    }
                }
            })
            .expect("the watchdog thread starts");
        Self { shared }
    }

    pub(super) fn arm(&self, pid: libc::pid_t, deadline: Instant) {
        let (lock, wake) = &*self.shared;
        let mut state = lock.lock().unwrap_or_else(|p| p.into_inner());
        state.armed = Some((pid, deadline));
        state.fired = false;
        wake.notify_one();
    }

    /// Disarms; returns whether the run was killed.
    pub(super) fn disarm(&self) -> bool {
        let (lock, _) = &*self.shared;
        let mut state = lock.lock().unwrap_or_else(|p| p.into_inner());
        state.armed = None;
        state.fired
    }
    /// Waits for `child`, started at `started`, killing it at `deadline`: how it ended, how long
    /// it took, and whether the watchdog killed it. The child is reaped here (its rusage is
    /// the run's), so std's handle is dropped without waiting again.
    pub(super) fn wait_child(
        &self,
        child: std::process::Child,
        started: Instant,
        deadline: Instant,
    ) -> Reaped {
        let pid = child.id() as libc::pid_t;
        self.arm(pid, deadline);
        let status = wait4(pid);
        let total = started.elapsed();
        let timed_out = self.disarm();
        drop(child);
        Reaped {
            status,
            total,
            timed_out,
        }
    }
}

/// How a child waited for by [`Watchdog::wait_child`] ended.
pub(super) struct Reaped {
    /// Its wait status and resource usage.
    pub(super) status: std::io::Result<(libc::c_int, libc::rusage)>,
    /// From its start to its end.
    pub(super) total: std::time::Duration,
    /// Whether the watchdog killed it.
    pub(super) timed_out: bool,
}
