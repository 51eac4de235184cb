//! How containerd runs the shim: `start` (spawn the serving process, or find the pod's),
//! serving the task API until Shutdown, and `delete` (clean up after a shim that died).
use std::path::Path;
use std::sync::Arc;

use containerd_shim::api::DeleteResponse;
use containerd_shim::protos::protobuf::MessageField;
use containerd_shim::protos::protobuf::well_known_types::timestamp::Timestamp;
use containerd_shim::publisher::RemotePublisher;
use containerd_shim::synchronous::util::{read_address, write_address};
use containerd_shim::{Config, Error, ExitSignal, Flags, StartOpts};

use crate::events::Events;
use crate::task::{TaskService, remove_container};
use crate::{rootfs, state_root_of};

/// The shim, as containerd-shim's `run` drives it.
pub struct WasmfaasShim {
    exit: Arc<ExitSignal>,
    namespace: String,
    id: String,
}

impl containerd_shim::Shim for WasmfaasShim {
    type T = TaskService;

    fn new(_runtime_id: &str, args: &Flags, _config: &mut Config) -> Self {
        Self {
            exit: Arc::default(),
            namespace: args.namespace.clone(),
            id: args.id.clone(),
        }
    }

    /// containerd runs `start` in the container's bundle: a pod's containers (the CRI's
    /// sandbox annotation) share one serving process, found by its socket, others get their own.
    fn start_shim(&mut self, opts: StartOpts) -> Result<String, Error> {
        let grouping = sandbox_id(Path::new("config.json")).unwrap_or_else(|| opts.id.clone());
        let (_pid, address) = containerd_shim::spawn(opts, &grouping, Vec::new())?;
        // The serving process reads it back to remove its socket when it exits, and `delete`
        // after a crash.
        write_address(&address)?;
        Ok(address)
    }

    /// After the serving process died (killed, say): its container's processes, cgroup and
    /// state go, and the root filesystem is unmounted. containerd runs this in the bundle.
    fn delete_shim(&mut self) -> Result<DeleteResponse, Error> {
        remove_container(&state_root_of(&self.namespace), &self.id);
        if let Ok(bundle) = std::env::current_dir() {
            rootfs::unmount(&bundle).map_err(Error::Other)?;
        }
        // A killed serving process leaves its socket: a later shim of the same id (or pod) would
        // find it in use and wait a second for an answer before it takes the address over.
        if let Ok(address) = read_address() {
            let socket = address.trim_start_matches("unix://");
            if Path::new(socket).exists() {
                std::fs::remove_file(socket).ok();
            }
        }
        Ok(DeleteResponse {
            // What runc's shim reports for a task whose shim is gone: killed.
            exit_status: 128 + libc::SIGKILL as u32,
            exited_at: MessageField::some(Timestamp::now()),
            ..Default::default()
        })
    }

    fn wait(&mut self) {
        self.exit.wait();
    }

    fn create_task_service(&self, publisher: RemotePublisher) -> TaskService {
        TaskService::new(
            Events::new(publisher, self.namespace.clone()),
            state_root_of(&self.namespace),
            Arc::clone(&self.exit),
        )
    }
}

/// The pod a container belongs to, by the CRI's annotation in its bundle's config.json.
fn sandbox_id(config: &Path) -> Option<String> {
    let text = std::fs::read_to_string(config).ok()?;
    let spec: serde_json::Value = serde_json::from_str(&text).ok()?;
    spec.get("annotations")?
        .get(wasmfaas_names::CRI_SANDBOX_ID)?
        .as_str()
        .map(str::to_owned)
}
