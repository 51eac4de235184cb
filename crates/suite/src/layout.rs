//! Where the suite's source, built artifacts and generated inputs live.
use std::path::{Path, PathBuf};

use crate::Size;
use crate::build::NativeBuild;

/// The suite on disk: `functions/` (source) and the artifacts folder (build output).
#[derive(Debug, Clone)]
pub struct Layout {
    /// The functions' workspace.
    pub source: PathBuf,
    /// Built modules, AOT artifacts, native binaries and inputs.
    pub artifacts: PathBuf,
}

impl Layout {
    /// The layout of a project checkout at `root` (`root/functions`, `root/artifacts`).
    pub fn in_project(root: impl AsRef<Path>) -> Self {
        let root = root.as_ref();
        Self {
            source: root.join("functions"),
            artifacts: root.join("artifacts"),
        }
    }

    /// `$WASMFAAS_HOME` if set, else the checkout this binary was built from.
    pub fn default_project_root() -> PathBuf {
        std::env::var_os("WASMFAAS_HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
                root.canonicalize().unwrap_or(root)
            })
    }

    /// The WebAssembly module of `function`.
    pub fn wasm(&self, function: &str) -> PathBuf {
        self.artifacts.join("wasm").join(format!("{function}.wasm"))
    }

    /// The native binary of `function` as `build` links it.
    pub fn native(&self, function: &str, build: NativeBuild) -> PathBuf {
        self.artifacts.join(build.dir()).join(function)
    }

    /// The AOT artifact of `function` for the engine called `engine`.
    pub fn aot(&self, engine: &str, function: &str, extension: &str) -> PathBuf {
        self.artifacts
            .join("aot")
            .join(engine)
            .join(format!("{function}.{extension}"))
    }

    /// The folder of generated inputs for `size`.
    pub fn inputs(&self, size: Size) -> PathBuf {
        self.artifacts.join("inputs").join(size.as_str())
    }
}
