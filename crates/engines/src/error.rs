//! Errors of the engines: each says what went wrong, with which file, and what to do.
use std::path::PathBuf;

/// Why a program could not be prepared or run. (A guest that exits non-zero or traps is not an
/// error: it is an [`crate::Outcome`].)
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// No engine of that name is compiled in.
    #[error("unknown engine {name:?}: this build has {known}")]
    UnknownEngine {
        /// The name asked for.
        name: String,
        /// The engines there are.
        known: String,
    },
    /// The engine has no such mode.
    #[error("engine {engine} has no mode {mode}: use one of {supported}")]
    UnsupportedMode {
        /// The engine.
        engine: &'static str,
        /// The mode asked for.
        mode: crate::Mode,
        /// The modes there are.
        supported: String,
    },
    /// A file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A file is not what the engine needs.
    #[error("{}: {problem}", path.display())]
    WrongKind {
        /// The file.
        path: PathBuf,
        /// What is wrong and what to do.
        problem: String,
    },
    /// The module does not validate or compile.
    #[error("{}: not a valid WebAssembly module: {reason}", path.display())]
    InvalidModule {
        /// The file.
        path: PathBuf,
        /// The engine's diagnosis.
        reason: String,
    },
    /// A precompiled artifact cannot be loaded: damaged, or made by another engine build.
    #[error(
        "{}: cannot load this {engine} artifact ({reason}): it is damaged, or was precompiled by another {engine} version or configuration; \
         compile it again from its .wasm (`wasmfaas run --mode aot MODULE.wasm` or `wasmfaas build`)",
        path.display()
    )]
    IncompatibleArtifact {
        /// The file.
        path: PathBuf,
        /// The engine.
        engine: &'static str,
        /// The engine's diagnosis.
        reason: String,
    },
    /// The module imports something WASI does not provide.
    #[error("{}: {reason}; only WASI preview 1 (wasi_snapshot_preview1) imports are provided", path.display())]
    UnknownImport {
        /// The file.
        path: PathBuf,
        /// The engine's diagnosis, naming the import.
        reason: String,
    },
    /// A preopened directory could not be opened.
    #[error("cannot open directory {} for the guest: {reason}", host.display())]
    Preopen {
        /// The host directory.
        host: PathBuf,
        /// Why.
        reason: String,
    },
    /// A native program could not be started.
    #[error("cannot start {}: {source}", path.display())]
    Spawn {
        /// The executable.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The AOT cache could not be used.
    #[error("AOT cache {}: {source}", path.display())]
    Cache {
        /// The cache file or folder.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Anything else the engine reported.
    #[error("{engine}: {message}")]
    Engine {
        /// The engine.
        engine: &'static str,
        /// Its message.
        message: String,
    },
}

impl EngineError {
    /// The module is not a WASI command: it has no `_start` to run.
    pub(crate) fn no_start(source: &std::path::Path) -> Self {
        EngineError::WrongKind {
            path: source.to_path_buf(),
            problem: "exports no `_start` function: it is not a WASI command module".into(),
        }
    }

    /// Refuses a module that imports anything from outside WASI preview 1, naming the import.
    pub(crate) fn check_wasi_imports(
        source: &std::path::Path,
        imports: impl IntoIterator<Item = (String, String)>,
    ) -> Result<(), Self> {
        match imports
            .into_iter()
            .find(|(module, _)| module != "wasi_snapshot_preview1")
        {
            None => Ok(()),
            Some((module, name)) => Err(EngineError::UnknownImport {
                path: source.to_path_buf(),
                reason: format!("the module imports `{module}::{name}`, which is not provided"),
            }),
        }
    }
}
