//! One container the shim serves: what containerd created it with, and where it is in its
//! life (created, running, stopped with an exit status), which Wait blocks on.
use std::path::PathBuf;
use std::sync::{Condvar, Mutex};

use containerd_shim::api::Status;
use containerd_shim::protos::protobuf::well_known_types::timestamp::Timestamp;

/// containerd's fifos of the container's standard streams (empty: none).
#[derive(Debug, Clone, Default)]
pub struct StdioPaths {
    /// The guest's standard input.
    pub stdin: String,
    /// The guest's standard output.
    pub stdout: String,
    /// The guest's standard error.
    pub stderr: String,
}

/// How the init process ended.
#[derive(Debug, Clone)]
pub struct Exit {
    /// Its exit code, or 128 + the signal that ended it.
    pub status: u32,
    /// When the shim saw it.
    pub at: Timestamp,
}

impl Exit {
    /// An exit seen now.
    pub fn now(status: u32) -> Self {
        Self {
            status,
            at: Timestamp::now(),
        }
    }
}

#[derive(Debug, Clone)]
enum Phase {
    Created,
    Running,
    Stopped(Exit),
}

/// A container of this shim.
#[derive(Debug)]
pub struct Instance {
    /// Its id (containerd's container id).
    pub id: String,
    /// Its bundle folder.
    pub bundle: PathBuf,
    /// Its init process.
    pub pid: u32,
    /// Its streams.
    pub stdio: StdioPaths,
    /// Whether the shim mounted its root filesystem (and so unmounts it).
    pub mounted_rootfs: bool,
    phase: Mutex<Phase>,
    changed: Condvar,
}

impl Instance {
    /// A container just created, its init process `pid` waiting for start.
    pub fn created(
        id: String,
        bundle: PathBuf,
        pid: u32,
        stdio: StdioPaths,
        mounted_rootfs: bool,
    ) -> Self {
        Self {
            id,
            bundle,
            pid,
            stdio,
            mounted_rootfs,
            phase: Mutex::new(Phase::Created),
            changed: Condvar::new(),
        }
    }

    /// Its status, as containerd names it.
    pub fn status(&self) -> Status {
        match *self.lock() {
            Phase::Created => Status::CREATED,
            Phase::Running => Status::RUNNING,
            Phase::Stopped(_) => Status::STOPPED,
        }
    }

    /// How it ended, once it has.
    pub fn exit(&self) -> Option<Exit> {
        match &*self.lock() {
            Phase::Stopped(exit) => Some(exit.clone()),
            _ => None,
        }
    }

    /// The workload was started (unless it has already ended).
    pub fn set_running(&self) {
        let mut phase = self.lock();
        if matches!(*phase, Phase::Created) {
            *phase = Phase::Running;
        }
    }

    /// Its init process ended; `false` when that was already known.
    pub fn set_exited(&self, exit: Exit) -> bool {
        let mut phase = self.lock();
        if matches!(*phase, Phase::Stopped(_)) {
            return false;
        }
        *phase = Phase::Stopped(exit);
        self.changed.notify_all();
        true
    }

    /// Blocks until the init process has ended.
    pub fn wait(&self) -> Exit {
        let mut phase = self.lock();
        loop {
            if let Phase::Stopped(exit) = &*phase {
                return exit.clone();
            }
            phase = self
                .changed
                .wait(phase)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Phase> {
        // A panic elsewhere must not make every later request panic too.
        self.phase
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
