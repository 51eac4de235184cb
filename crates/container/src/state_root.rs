//! The folder of container state (runc's `--root`): one subfolder per container.
use std::path::{Path, PathBuf};

use libcontainer::container::Container;

use crate::ContainerError;

/// A state root, created if missing (mode 0700) and made absolute.
#[derive(Debug, Clone)]
pub struct StateRoot {
    path: PathBuf,
}

impl StateRoot {
    /// The state root at `path`, created if it is missing.
    pub fn open(path: &Path) -> Result<Self, ContainerError> {
        use std::os::unix::fs::DirBuilderExt;
        let problem = |what: &str, e: std::io::Error| ContainerError::StateRoot {
            path: path.to_path_buf(),
            problem: format!("{what}: {e}"),
        };
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(path)
            .map_err(|e| problem("cannot create the state folder", e))?;
        let path = std::fs::canonicalize(path).map_err(|e| problem("cannot resolve it", e))?;
        Ok(Self { path })
    }

    /// The folder itself.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The state folder of container `id`.
    pub fn container_dir(&self, id: &str) -> PathBuf {
        self.path.join(id)
    }

    /// The container `id`, with its status refreshed from its init process.
    pub fn load(&self, id: &str) -> Result<Container, ContainerError> {
        let dir = self.container_dir(id);
        if !dir.join("state.json").exists() {
            return Err(ContainerError::NotFound {
                id: id.to_owned(),
                root: self.path.clone(),
            });
        }
        Container::load(dir).map_err(|e| ContainerError::CorruptState {
            id: id.to_owned(),
            problem: e.to_string(),
        })
    }
}
