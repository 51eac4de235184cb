//! The task events containerd waits for (`ctr run` waits for TaskExit; the CRI's container
//! status follows TaskCreate, TaskStart and TaskDelete), published over containerd's ttrpc.
use containerd_shim::Context;
use containerd_shim::protos::events::task::{TaskCreate, TaskDelete, TaskExit, TaskIO, TaskStart};
use containerd_shim::protos::protobuf::{MessageDyn, MessageField};
use containerd_shim::protos::topics;
use containerd_shim::publisher::RemotePublisher;

use crate::instance::{Exit, Instance};

/// containerd's event service, for one namespace.
pub struct Events {
    publisher: RemotePublisher,
    namespace: String,
}

impl Events {
    /// Events of `namespace`, sent through `publisher`.
    pub fn new(publisher: RemotePublisher, namespace: String) -> Self {
        Self {
            publisher,
            namespace,
        }
    }

    /// The container was created, its init process waiting for start.
    pub fn created(&self, instance: &Instance) {
        let event = TaskCreate {
            container_id: instance.id.clone(),
            bundle: instance.bundle.display().to_string(),
            io: MessageField::some(TaskIO {
                stdin: instance.stdio.stdin.clone(),
                stdout: instance.stdio.stdout.clone(),
                stderr: instance.stdio.stderr.clone(),
                terminal: false,
                ..Default::default()
            }),
            pid: instance.pid,
            ..Default::default()
        };
        self.send(topics::TASK_CREATE_EVENT_TOPIC, Box::new(event));
    }

    /// The workload started.
    pub fn started(&self, instance: &Instance) {
        let event = TaskStart {
            container_id: instance.id.clone(),
            pid: instance.pid,
            ..Default::default()
        };
        self.send(topics::TASK_START_EVENT_TOPIC, Box::new(event));
    }

    /// The init process exited.
    pub fn exited(&self, instance: &Instance, exit: &Exit) {
        let event = TaskExit {
            container_id: instance.id.clone(),
            id: instance.id.clone(),
            pid: instance.pid,
            exit_status: exit.status,
            exited_at: MessageField::some(exit.at.clone()),
            ..Default::default()
        };
        self.send(topics::TASK_EXIT_EVENT_TOPIC, Box::new(event));
    }

    /// The task was deleted.
    pub fn deleted(&self, instance: &Instance, exit: &Exit) {
        let event = TaskDelete {
            container_id: instance.id.clone(),
            id: instance.id.clone(),
            pid: instance.pid,
            exit_status: exit.status,
            exited_at: MessageField::some(exit.at.clone()),
            ..Default::default()
        };
        self.send(topics::TASK_DELETE_EVENT_TOPIC, Box::new(event));
    }

    /// A lost event is logged, not fatal: containerd asks for the task's state when it needs it.
    fn send(&self, topic: &str, event: Box<dyn MessageDyn>) {
        if let Err(e) = self
            .publisher
            .publish(Context::default(), topic, &self.namespace, event)
        {
            log::warn!("cannot publish {topic}: {e}");
        }
    }
}
