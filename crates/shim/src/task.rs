//! The task API containerd calls (`ctr run`, `ctr task kill/ps/metrics`, the CRI): Create,
//! Start, Wait, State, Kill, Pids, Stats, Delete, Connect, Shutdown. Exec, Pause, Checkpoint
//! and the rest answer "not implemented", as containerd expects of a shim without them.
use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use containerd_shim::api::{self, Status};
use containerd_shim::monitor::{Subject, Topic};
use containerd_shim::protos::protobuf::MessageField;
use containerd_shim::protos::ttrpc::{self, Code};
use containerd_shim::{ExitSignal, TtrpcContext, TtrpcResult};
use libcontainer::signal::Signal;
use wasmfaas_container::{ContainerError, StateRoot};

use crate::creator;
use crate::events::Events;
use crate::instance::{Exit, Instance, StdioPaths};
use crate::rootfs;

/// The task service of one shim process: its containers (one, or a pod's), by id.
pub struct TaskService {
    instances: Arc<Mutex<HashMap<String, Arc<Instance>>>>,
    events: Arc<Events>,
    state_root: PathBuf,
    exit: Arc<ExitSignal>,
}

impl TaskService {
    /// The service; its containers' state under `state_root`, their events through `events`,
    /// and `exit` signalled when containerd shuts the last one's shim down.
    pub fn new(events: Events, state_root: PathBuf, exit: Arc<ExitSignal>) -> Self {
        let service = Self {
            instances: Arc::default(),
            events: Arc::new(events),
            state_root,
            exit,
        };
        service.watch_exits();
        service
    }

    /// The reaper (containerd-shim's SIGCHLD loop) reports every child that ends; the ones
    /// that are our containers' init processes become their exits, published once.
    fn watch_exits(&self) {
        let subscription =
            match containerd_shim::synchronous::monitor::monitor_subscribe(Topic::Pid) {
                Ok(subscription) => subscription,
                Err(e) => {
                    log::error!("cannot watch the containers' exits: {e}");
                    return;
                }
            };
        let instances = Arc::clone(&self.instances);
        let events = Arc::clone(&self.events);
        std::thread::Builder::new()
            .name("exits".into())
            .spawn(move || {
                for event in subscription.rx.iter() {
                    let Subject::Pid(pid) = event.subject else {
                        continue;
                    };
                    let instance = lock(&instances)
                        .values()
                        .find(|i| i.pid as i32 == pid)
                        .cloned();
                    if let Some(instance) = instance {
                        let exit = Exit::now(event.exit_code as u32);
                        if instance.set_exited(exit.clone()) {
                            events.exited(&instance, &exit);
                        }
                    }
                }
            })
            .map(drop)
            .unwrap_or_else(|e| log::error!("cannot watch the containers' exits: {e}"));
    }

    fn instance(&self, id: &str, exec_id: &str) -> TtrpcResult<Arc<Instance>> {
        if !exec_id.is_empty() {
            return Err(status(
                Code::NOT_FOUND,
                format!("container {id} has no exec process {exec_id} (this shim runs no exec)"),
            ));
        }
        lock(&self.instances)
            .get(id)
            .cloned()
            .ok_or_else(|| status(Code::NOT_FOUND, format!("container {id} does not exist")))
    }

    fn root(&self) -> TtrpcResult<StateRoot> {
        StateRoot::open(&self.state_root).map_err(container_status)
    }

    /// Runs the creator and waits for it; the reaper reaps it, so its exit comes from the
    /// monitor, subscribed before it starts so it cannot be missed.
    fn run_creator(&self, request: &creator::Request) -> TtrpcResult<()> {
        let creator = creator::creator_beside_shim().map_err(|e| {
            status(
                Code::FAILED_PRECONDITION,
                format!("container {}: {e}", request.id),
            )
        })?;
        let subscription = containerd_shim::synchronous::monitor::monitor_subscribe(Topic::Pid)
            .map_err(|e| status(Code::INTERNAL, format!("cannot watch the creator: {e}")))?;
        log::debug!("create {}: running the creator", request.id);
        let mut child = request.command(&creator).spawn().map_err(|e| {
            status(
                Code::INTERNAL,
                format!(
                    "cannot start the container's creator ({}): {e}",
                    creator.display()
                ),
            )
        })?;
        let mut message = String::new();
        if let Some(mut stderr) = child.stderr.take() {
            stderr.read_to_string(&mut message).ok();
        }
        let code = containerd_shim::synchronous::monitor::wait_pid(child.id() as i32, subscription);
        let message = message.trim();
        if code == 0 {
            if !message.is_empty() {
                log::info!("create {}: {message}", request.id);
            }
            return Ok(());
        }
        let message = if message.is_empty() {
            format!(
                "creating container {} failed (exit status {code})",
                request.id
            )
        } else {
            message.to_owned()
        };
        Err(status(creator::code_of_exit(code), message))
    }
}

impl containerd_shim::Task for TaskService {
    fn create(
        &self,
        _ctx: &TtrpcContext,
        req: api::CreateTaskRequest,
    ) -> TtrpcResult<api::CreateTaskResponse> {
        log::debug!("create {}: requested", req.id);
        if req.terminal {
            return Err(status(
                Code::UNIMPLEMENTED,
                format!(
                    "container {}: a terminal (ctr run -t) is not supported by {}; run without -t",
                    req.id,
                    wasmfaas_names::SHIM_BINARY
                ),
            ));
        }
        if lock(&self.instances).contains_key(&req.id) {
            return Err(status(
                Code::ALREADY_EXISTS,
                format!("container {} already exists", req.id),
            ));
        }
        let bundle = PathBuf::from(&req.bundle);
        let mounted_rootfs = !req.rootfs.is_empty();
        rootfs::mount(&bundle, &req.rootfs).map_err(|e| status(Code::INVALID_ARGUMENT, e))?;
        let stdio = StdioPaths {
            stdin: req.stdin.clone(),
            stdout: req.stdout.clone(),
            stderr: req.stderr.clone(),
        };
        let request = creator::Request {
            id: req.id.clone(),
            bundle: bundle.clone(),
            state_root: self.state_root.clone(),
            stdin: stdio.stdin.clone(),
            stdout: stdio.stdout.clone(),
            stderr: stdio.stderr.clone(),
        };
        let created = self.run_creator(&request).and_then(|()| {
            let container = self.root()?.load(&req.id).map_err(container_status)?;
            container.pid().map(|p| p.as_raw() as u32).ok_or_else(|| {
                status(
                    Code::INTERNAL,
                    format!("container {} was created without an init process", req.id),
                )
            })
        });
        let pid = match created {
            Ok(pid) => pid,
            Err(e) => {
                // Nothing of a container that failed is left: its state, cgroup, mounts.
                remove_container(&self.state_root, &req.id);
                if mounted_rootfs {
                    rootfs::unmount(&bundle).ok();
                }
                return Err(e);
            }
        };
        let instance = Arc::new(Instance::created(
            req.id.clone(),
            bundle,
            pid,
            stdio,
            mounted_rootfs,
        ));
        lock(&self.instances).insert(req.id.clone(), Arc::clone(&instance));
        self.events.created(&instance);
        log::debug!("create {}: created, init process {pid}", req.id);
        Ok(api::CreateTaskResponse {
            pid,
            ..Default::default()
        })
    }

    fn start(
        &self,
        _ctx: &TtrpcContext,
        req: api::StartRequest,
    ) -> TtrpcResult<api::StartResponse> {
        let instance = self.instance(&req.id, &req.exec_id)?;
        if instance.status() != Status::CREATED {
            return Err(status(
                Code::FAILED_PRECONDITION,
                format!("container {} cannot start: it is not created", req.id),
            ));
        }
        let mut container = self.root()?.load(&req.id).map_err(container_status)?;
        container
            .start()
            .map_err(|e| container_status(ContainerError::libcontainer(&req.id, "start", &e)))?;
        instance.set_running();
        self.events.started(&instance);
        log::debug!("start {}: started", req.id);
        Ok(api::StartResponse {
            pid: instance.pid,
            ..Default::default()
        })
    }

    fn wait(&self, _ctx: &TtrpcContext, req: api::WaitRequest) -> TtrpcResult<api::WaitResponse> {
        let instance = self.instance(&req.id, &req.exec_id)?;
        let exit = instance.wait();
        log::debug!("wait {}: exited with {}", req.id, exit.status);
        Ok(api::WaitResponse {
            exit_status: exit.status,
            exited_at: MessageField::some(exit.at),
            ..Default::default()
        })
    }

    fn state(
        &self,
        _ctx: &TtrpcContext,
        req: api::StateRequest,
    ) -> TtrpcResult<api::StateResponse> {
        let instance = self.instance(&req.id, &req.exec_id)?;
        let exit = instance.exit();
        Ok(api::StateResponse {
            id: instance.id.clone(),
            bundle: instance.bundle.display().to_string(),
            pid: instance.pid,
            status: instance.status().into(),
            stdin: instance.stdio.stdin.clone(),
            stdout: instance.stdio.stdout.clone(),
            stderr: instance.stdio.stderr.clone(),
            terminal: false,
            exit_status: exit.as_ref().map_or(0, |e| e.status),
            exited_at: exit.map(|e| e.at).into(),
            ..Default::default()
        })
    }

    fn kill(&self, _ctx: &TtrpcContext, req: api::KillRequest) -> TtrpcResult<api::Empty> {
        let instance = self.instance(&req.id, &req.exec_id)?;
        if instance.status() == Status::STOPPED {
            // containerd reads NotFound as "already finished".
            return Err(status(
                Code::NOT_FOUND,
                format!("container {}: process already finished", req.id),
            ));
        }
        let signal = Signal::try_from(req.signal as i32).map_err(|_| {
            status(
                Code::INVALID_ARGUMENT,
                format!("kill {}: {} is not a signal", req.id, req.signal),
            )
        })?;
        let mut container = self.root()?.load(&req.id).map_err(container_status)?;
        container
            .kill(signal, req.all)
            .map_err(|e| container_status(ContainerError::libcontainer(&req.id, "kill", &e)))?;
        Ok(api::Empty::default())
    }

    fn pids(&self, _ctx: &TtrpcContext, req: api::PidsRequest) -> TtrpcResult<api::PidsResponse> {
        self.instance(&req.id, "")?;
        let container = self.root()?.load(&req.id).map_err(container_status)?;
        let pids = wasmfaas_container::processes(&container).map_err(container_status)?;
        Ok(api::PidsResponse {
            processes: pids
                .into_iter()
                .map(|pid| containerd_shim::protos::api::ProcessInfo {
                    pid: pid as u32,
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        })
    }

    /// The container's cgroup statistics (`ctr task metrics`, the kubelet's container stats).
    fn stats(
        &self,
        _ctx: &TtrpcContext,
        req: api::StatsRequest,
    ) -> TtrpcResult<api::StatsResponse> {
        self.instance(&req.id, "")?;
        let container = self.root()?.load(&req.id).map_err(container_status)?;
        let statistics = wasmfaas_container::statistics(&container).map_err(container_status)?;
        let stats = crate::stats::to_any(&statistics).map_err(|e| status(Code::INTERNAL, e))?;
        Ok(api::StatsResponse {
            stats: MessageField::some(stats),
            ..Default::default()
        })
    }

    fn delete(
        &self,
        _ctx: &TtrpcContext,
        req: api::DeleteRequest,
    ) -> TtrpcResult<api::DeleteResponse> {
        let instance = self.instance(&req.id, &req.exec_id)?;
        if instance.status() == Status::RUNNING {
            return Err(status(
                Code::FAILED_PRECONDITION,
                format!("container {} is running; kill it first", req.id),
            ));
        }
        remove_container(&self.state_root, &req.id);
        if instance.mounted_rootfs {
            rootfs::unmount(&instance.bundle).map_err(|e| status(Code::INTERNAL, e))?;
        }
        // A created container that never started was killed by the delete above.
        let exit = instance.exit().unwrap_or_else(|| Exit::now(137));
        lock(&self.instances).remove(&req.id);
        self.events.deleted(&instance, &exit);
        log::debug!("delete {}: deleted", req.id);
        Ok(api::DeleteResponse {
            pid: instance.pid,
            exit_status: exit.status,
            exited_at: MessageField::some(exit.at),
            ..Default::default()
        })
    }

    fn connect(
        &self,
        _ctx: &TtrpcContext,
        req: api::ConnectRequest,
    ) -> TtrpcResult<api::ConnectResponse> {
        let task_pid = lock(&self.instances).get(&req.id).map_or(0, |i| i.pid);
        Ok(api::ConnectResponse {
            shim_pid: std::process::id(),
            task_pid,
            version: env!("CARGO_PKG_VERSION").to_owned(),
            ..Default::default()
        })
    }

    fn shutdown(&self, _ctx: &TtrpcContext, _req: api::ShutdownRequest) -> TtrpcResult<api::Empty> {
        // A pod's shim serves its other containers until the last is deleted.
        if lock(&self.instances).is_empty() {
            self.exit.signal();
        }
        Ok(api::Empty::default())
    }
}

/// Removes container `id`'s processes, cgroup and state, if it has any (what a failed create
/// or a dead shim leaves), and the namespace's state folder with its last container.
pub fn remove_container(state_root: &Path, id: &str) {
    // Not StateRoot::open, which would make the folder it is asked to clean.
    if state_root.join(id).exists()
        && let Ok(root) = StateRoot::open(state_root)
    {
        match root.load(id) {
            Ok(mut container) => {
                if let Err(e) = container.delete(true) {
                    log::warn!(
                        "deleting container {id}: {}",
                        wasmfaas_container::explain(&e)
                    );
                }
            }
            Err(e) => log::warn!("deleting container {id}: {e}"),
        }
        // State libcontainer could not read is still ours to remove.
        std::fs::remove_dir_all(root.container_dir(id)).ok();
    }
    // Removing a folder that is not empty fails, so this takes the last container's; a creator
    // that loses this race to it starts again (creator.rs).
    std::fs::remove_dir(state_root).ok();
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn status(code: Code, message: impl ToString) -> ttrpc::Error {
    ttrpc::Error::RpcStatus(ttrpc::get_status(code, message))
}

/// A container error as the status containerd maps to its own error kinds.
fn container_status(e: ContainerError) -> ttrpc::Error {
    let code = match &e {
        ContainerError::InvalidBundle { .. } => Code::INVALID_ARGUMENT,
        ContainerError::NotFound { .. } => Code::NOT_FOUND,
        ContainerError::AlreadyExists { .. } => Code::ALREADY_EXISTS,
        ContainerError::WrongState { .. } => Code::FAILED_PRECONDITION,
        ContainerError::Unsupported { .. } => Code::UNIMPLEMENTED,
        _ => Code::UNKNOWN,
    };
    status(code, e)
}
