//! The benchmark: the run matrix over functions × environments, launchers that start and time
//! cold runs, the run set on disk, statistics, the paper's published data and claims, and the
//! report.
//!
//! A library never prints: progress reaches the caller through [`Observer`].
use std::path::{Path, PathBuf};

pub mod analysis;
pub mod claims;
pub mod density;
mod driver;
pub mod environment;
mod host;
pub mod launcher;
mod machine;
pub mod paper;
mod plan;
pub mod report;
pub mod runner_start;
pub mod runset;
mod sample;
pub mod serving;

pub use driver::{BenchContext, Completion, Observer, execute, is_runset, new_meta};
pub use environment::{Base, Environment, LauncherKind};
pub use host::Host;
pub use machine::{CgroupLayout, Cgroups, Machine};
pub use plan::{Job, PlanSpec, TimeBudget};
pub use runset::{RunSet, RunSetMeta};
pub use sample::{LifecycleNs, PhaseNs, Sample};

/// Why a bench or report could not go on.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// A function, environment or option that does not select anything valid.
    #[error("{0}")]
    Selection(String),
    /// A cell cannot be run (missing build, inputs, engine error while preparing).
    #[error("cannot prepare {cell}: {problem}")]
    Prepare {
        /// The cell (`function in environment`).
        cell: String,
        /// What is wrong.
        problem: String,
    },
    /// A run could not be started or measured.
    #[error("{cell}: {problem}")]
    Run {
        /// The cell.
        cell: String,
        /// What went wrong.
        problem: String,
    },
    /// A run set folder is missing, corrupt or in use.
    #[error("run set {}: {problem}", path.display())]
    RunSet {
        /// The file or folder.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// Nothing to analyse.
    #[error("{0}")]
    NoData(String),
    /// The serving benchmark could not run an executor's server or load it.
    #[error("serving benchmark, {executor}: {problem}")]
    Serving {
        /// The executor (`wasmtime-aot`, `native`, …).
        executor: String,
        /// What went wrong.
        problem: String,
    },
    /// The bench's private containerd could not be started or restored.
    #[error("{0}")]
    Containerd(#[from] wasmfaas_containerd::Error),
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

impl BenchError {
    /// An I/O error on `path`.
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        BenchError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}
