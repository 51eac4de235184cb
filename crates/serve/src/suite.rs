//! The suite's functions as the gateway serves them (`wasmfaas serve --suite`): each with its
//! `paper` arguments and inputs, its module or native binary from `wasmfaas build`.
use wasmfaas_engines::Mode;
use wasmfaas_suite::build::NativeBuild;
use wasmfaas_suite::{Layout, Size};

use crate::functions::{Code, DEFAULT_TIMEOUT, FunctionSpec};

/// Why the suite cannot be served.
#[derive(Debug, thiserror::Error)]
#[error("{} is missing: build the suite first with `wasmfaas build`", path.display())]
pub struct NotBuilt {
    /// The missing file or folder.
    pub path: std::path::PathBuf,
}

/// Every suite function at `size`, run by `engine` in `mode`.
pub fn functions(
    layout: &Layout,
    size: Size,
    engine: &str,
    mode: Mode,
) -> Result<Vec<FunctionSpec>, NotBuilt> {
    wasmfaas_suite::functions()
        .iter()
        .map(|function| {
            let code = if mode == Mode::Native {
                // The paper's native build: glibc, dynamically linked.
                Code::Binary(layout.native(function.name, NativeBuild::Glibc))
            } else {
                Code::Module(layout.wasm(function.name))
            };
            if !code.path().is_file() {
                return Err(NotBuilt {
                    path: code.path().to_path_buf(),
                });
            }
            let templates = function.arg_templates(size);
            let reads_inputs = templates.iter().any(|a| a.contains("{input}"));
            let inputs = layout.inputs(size);
            if reads_inputs && !wasmfaas_suite::inputs::are_complete(&inputs) {
                return Err(NotBuilt { path: inputs });
            }
            Ok(FunctionSpec {
                name: function.name.to_owned(),
                code,
                engine: engine.to_owned(),
                mode,
                args: templates.iter().map(|a| a.to_string()).collect(),
                env: Vec::new(),
                dirs: Vec::new(),
                inputs: reads_inputs.then_some(inputs),
                output: templates.iter().any(|a| a.contains("{output}")),
                timeout: DEFAULT_TIMEOUT,
                max_memory: None,
            })
        })
        .collect()
}
