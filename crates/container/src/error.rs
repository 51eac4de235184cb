//! Why a container operation failed, by kind, so a runtime prints one line and a shim can map
//! the kind to a status code.
use std::path::PathBuf;

/// A failed container operation.
#[derive(Debug, thiserror::Error)]
pub enum ContainerError {
    /// The bundle (its folder, config.json, root filesystem, process or annotations) is wrong.
    #[error("{problem}")]
    InvalidBundle {
        /// What is wrong, naming the file.
        problem: String,
    },
    /// No container of that id in the state root.
    #[error("container {id} does not exist (no state in {})", root.display())]
    NotFound {
        /// The container.
        id: String,
        /// The state root searched.
        root: PathBuf,
    },
    /// A container of that id exists already.
    #[error("container {id} already exists (state in {}); delete it first", dir.display())]
    AlreadyExists {
        /// The container.
        id: String,
        /// Its state folder.
        dir: PathBuf,
    },
    /// The operation needs the container in another state.
    #[error("cannot {operation} container {id}: {why}")]
    WrongState {
        /// The container.
        id: String,
        /// What was asked: start, kill, delete.
        operation: &'static str,
        /// Its state and what would allow the operation.
        why: String,
    },
    /// The host lacks what the request needs.
    #[error("{problem}")]
    Unsupported {
        /// What is missing and what to do.
        problem: String,
    },
    /// The state root cannot be used.
    #[error("{}: {problem}", path.display())]
    StateRoot {
        /// The folder.
        path: PathBuf,
        /// What failed.
        problem: String,
    },
    /// A container's state cannot be read.
    #[error("container {id}: cannot read its state: {problem}")]
    CorruptState {
        /// The container.
        id: String,
        /// libcontainer's error.
        problem: String,
    },
    /// libcontainer failed; `message` is the init process's own words where it has them.
    #[error("cannot {operation} container {id}: {message}")]
    Libcontainer {
        /// The container.
        id: String,
        /// What was asked: create, start, kill, delete.
        operation: &'static str,
        /// The explanation ([`explain`]).
        message: String,
    },
}

impl ContainerError {
    /// A libcontainer error of `operation` on container `id`, explained.
    pub fn libcontainer(
        id: &str,
        operation: &'static str,
        e: &libcontainer::error::LibcontainerError,
    ) -> Self {
        Self::Libcontainer {
            id: id.to_owned(),
            operation,
            message: explain(e),
        }
    }
}

/// The message of a libcontainer error: the init process's own words when it has them, without
/// the layers of "failed to …" that wrap them.
pub fn explain(e: &libcontainer::error::LibcontainerError) -> String {
    let text = e.to_string();
    const FROM_INIT: &str = "error in executing process : ";
    if let Some(at) = text.find(FROM_INIT) {
        return text[at + FROM_INIT.len()..].to_owned();
    }
    let mut chain = vec![text];
    let mut source = std::error::Error::source(e);
    while let Some(inner) = source {
        let inner_text = inner.to_string();
        if !chain.iter().any(|c| c.contains(&inner_text)) {
            chain.push(inner_text);
        }
        source = inner.source();
    }
    chain.join(": ")
}
