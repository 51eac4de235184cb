//! The AOT cache: a module compiled ahead of time once per engine build and configuration.
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::{Engine, EngineError, Program};

/// Precompiled artifacts on disk, keyed by the engine's fingerprint (name, version,
/// configuration) and the module's SHA-256, so a changed module, engine or configuration never
/// reuses a stale artifact.
#[derive(Debug, Clone)]
pub struct AotCache {
    root: PathBuf,
}

impl AotCache {
    /// A cache rooted at `root` (created on first use).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// `$WASMFAAS_CACHE`, else `$XDG_CACHE_HOME/wasmfaas`, else `~/.cache/wasmfaas`.
    pub fn default_root() -> PathBuf {
        let env = |k| {
            std::env::var_os(k)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        env("WASMFAAS_CACHE")
            .or_else(|| env("XDG_CACHE_HOME").map(|p| p.join("wasmfaas")))
            .or_else(|| env("HOME").map(|p| p.join(".cache/wasmfaas")))
            .unwrap_or_else(|| std::env::temp_dir().join("wasmfaas-cache"))
    }

    /// The folder of the cache.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where the artifact of a module with this digest lives for `engine`.
    pub fn artifact_path(&self, engine: &dyn Engine, module_digest: &str) -> PathBuf {
        self.root
            .join("aot")
            .join(engine.artifact_fingerprint())
            .join(format!("{module_digest}.{}", engine.artifact_extension()))
    }

    /// The artifact of `module` for `engine`: from the cache, or compiled now and stored.
    pub fn artifact_for(&self, engine: &dyn Engine, module: &Path) -> Result<Program, EngineError> {
        let wasm = std::fs::read(module).map_err(|source| EngineError::Read {
            path: module.to_path_buf(),
            source,
        })?;
        let digest = hex::encode(Sha256::digest(&wasm));
        let path = self.artifact_path(engine, &digest);
        if !path.is_file() {
            let artifact = engine.precompile(&wasm).map_err(|e| match e {
                EngineError::Engine { message, .. } => EngineError::InvalidModule {
                    path: module.to_path_buf(),
                    reason: message,
                },
                other => other,
            })?;
            write_atomically(&path, &artifact)?;
        }
        let mut program = Program::open(&path)?;
        program.source = module.to_path_buf();
        Ok(program)
    }
}

/// Writes `bytes` to `path` through a temporary file and a rename, so a concurrent reader never
/// sees half an artifact.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), EngineError> {
    let cache_err = |source| EngineError::Cache {
        path: path.to_path_buf(),
        source,
    };
    let parent = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(cache_err)?;
    let temporary = parent.join(format!(
        ".{}.{}.tmp",
        path.file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("artifact"),
        std::process::id()
    ));
    std::fs::write(&temporary, bytes).map_err(cache_err)?;
    std::fs::rename(&temporary, path).map_err(cache_err)
}
