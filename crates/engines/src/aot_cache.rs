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

    /// Where the artifact of `module` for `engine` lives, whether or not it is there yet.
    pub fn artifact_path_of(
        &self,
        engine: &dyn Engine,
        module: &Path,
    ) -> Result<PathBuf, EngineError> {
        self.read_module(engine, module).map(|(path, _)| path)
    }

    /// The artifact of `module` for `engine`: from the cache, or compiled now and stored.
    pub fn artifact_for(&self, engine: &dyn Engine, module: &Path) -> Result<Program, EngineError> {
        let (path, wasm) = self.read_module(engine, module)?;
        if !path.is_file() {
            let artifact = engine
                .precompile(&wasm)
                .map_err(|e| blame_the_module_if_invalid(e, module, &wasm))?;
            write_atomically(&path, &artifact)?;
        }
        let mut program = Program::open(&path)?;
        program.source = module.to_path_buf();
        Ok(program)
    }

    /// The artifact's path for `module`, and the module's bytes.
    fn read_module(
        &self,
        engine: &dyn Engine,
        module: &Path,
    ) -> Result<(PathBuf, Vec<u8>), EngineError> {
        let wasm = std::fs::read(module).map_err(|source| EngineError::Read {
            path: module.to_path_buf(),
            source,
        })?;
        let digest = hex::encode(Sha256::digest(&wasm));
        Ok((self.artifact_path(engine, &digest), wasm))
    }
}

/// A failed precompile is the module's fault only if the module does not validate; otherwise
/// (a missing engine library, an engine limit) the engine's own error says what to do.
fn blame_the_module_if_invalid(error: EngineError, module: &Path, wasm: &[u8]) -> EngineError {
    match (&error, validate(wasm)) {
        (EngineError::Engine { .. }, Err(reason)) => EngineError::InvalidModule {
            path: module.to_path_buf(),
            reason,
        },
        _ => error,
    }
}

/// Whether `wasm` is a valid module of the WebAssembly standard (SIMD included), and if not, why:
/// the engines share the standard, so this tells a bad module from an engine failure. wasmparser
/// (the validator wasmtime uses) rather than an engine, so that a runner of one engine links no
/// other.
fn validate(wasm: &[u8]) -> Result<(), String> {
    wasmparser::Validator::new_with_features(wasmparser::WasmFeatures::default())
        .validate_all(wasm)
        .map(|_| ())
        .map_err(|e| e.to_string())
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Invocation, Mode, Outcome, WasmtimeEngine};

    /// An engine whose compiler is missing, as a WasmEdge build is without its library.
    struct CompilerMissing;

    impl Engine for CompilerMissing {
        fn name(&self) -> &'static str {
            "compiler-missing"
        }
        fn version(&self) -> String {
            "0".into()
        }
        fn modes(&self) -> &'static [Mode] {
            &[Mode::Aot]
        }
        fn precompile(&self, _wasm: &[u8]) -> Result<Vec<u8>, EngineError> {
            Err(EngineError::Engine {
                engine: "compiler-missing",
                message: "cannot load libcompiler.so: install it".into(),
            })
        }
        fn artifact_fingerprint(&self) -> String {
            "compiler-missing-0".into()
        }
        fn artifact_extension(&self) -> &'static str {
            "bin"
        }
        fn run(&self, _: &Program, _: Mode, _: &Invocation) -> Result<Outcome, EngineError> {
            unreachable!("the test never runs a program")
        }
    }

    fn module_file(dir: &Path, bytes: &[u8]) -> PathBuf {
        let path = dir.join("module.wasm");
        std::fs::write(&path, bytes).unwrap();
        path
    }

    #[test]
    fn a_module_that_does_not_validate_is_named_as_invalid() {
        let dir = tempfile::tempdir().unwrap();
        let module = module_file(dir.path(), b"\0asm\x01\0\0\0\x01\xff");
        let cache = AotCache::new(dir.path().join("cache"));
        let error = cache
            .artifact_for(&WasmtimeEngine::new(), &module)
            .unwrap_err();
        assert!(
            matches!(&error, EngineError::InvalidModule { path, .. } if path == &module),
            "{error}"
        );
        assert!(
            !cache.root().join("aot").exists(),
            "nothing is cached for a bad module"
        );
    }

    #[test]
    fn an_engine_that_fails_on_a_valid_module_keeps_its_own_error() {
        let dir = tempfile::tempdir().unwrap();
        let module = module_file(dir.path(), &wat::parse_str("(module)").unwrap());
        let cache = AotCache::new(dir.path().join("cache"));
        let error = cache.artifact_for(&CompilerMissing, &module).unwrap_err();
        let message = error.to_string();
        assert!(message.contains("cannot load libcompiler.so"), "{message}");
        assert!(
            !message.contains("not a valid WebAssembly module"),
            "{message}"
        );
    }
}
