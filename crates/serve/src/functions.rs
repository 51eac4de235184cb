//! The functions the gateway serves, read from a function manifest (the `wasmfaas-manifest`
//! format `bench` and `run` read too): what runs each, and its limits.
//!
//! ```toml
//! [[function]]
//! name = "hello"
//! module = "hello.wasm"        # or artifact = "hello.cwasm", or binary = "hello"
//! engine = "wasmtime"          # wasmtime, wasmer, wasmi or native
//! mode = "aot"                 # the engine's modes; default its first
//! args = ["--greeting", "hi"]  # {input} and {output} name the folders below
//! env = { LANG = "C" }
//! dirs = ["data:/data"]        # HOST:GUEST, relative to this file
//! inputs = "inputs"            # seen at /input
//! output = true                # a fresh folder per request, seen at /output
//! timeout = "5s"
//! max_memory = "64MiB"
//! ```
//!
//! A function declaring both a `module` and a `binary` (as a bench manifest does) is served by
//! its `engine`: the binary for `native`, else the module. Its `check` is the bench's and is not
//! used here.
use std::path::{Path, PathBuf};
use std::time::Duration;

use wasmfaas_engines::{Mode, Preopen};
use wasmfaas_manifest::{FunctionDecl, Manifest};

pub use wasmfaas_manifest::{GUEST_INPUT, GUEST_OUTPUT, ManifestError as FunctionsFileError};

/// The longest a request may run when its function states no timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// What runs a function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Code {
    /// A WebAssembly module (`.wasm`), compiled by the engine (for AOT: once, at start).
    Module(PathBuf),
    /// An engine's precompiled artifact (a wasmtime `.cwasm`, a wasmer `.wasmu`).
    Artifact(PathBuf),
    /// A native executable, run as a process per request.
    Binary(PathBuf),
}

impl Code {
    /// The file.
    pub fn path(&self) -> &Path {
        match self {
            Code::Module(path) | Code::Artifact(path) | Code::Binary(path) => path,
        }
    }
}

/// One function the gateway serves, at `/<name>`.
#[derive(Debug, Clone)]
pub struct FunctionSpec {
    /// Its name, the first segment of its route.
    pub name: String,
    /// What runs it.
    pub code: Code,
    /// The engine: `wasmtime`, `wasmer`, `wasmi` or `native`.
    pub engine: String,
    /// The engine's mode.
    pub mode: Mode,
    /// Its arguments before the query's; `{input}` and `{output}` name its folders.
    pub args: Vec<String>,
    /// Its environment, before the request's CGI variables.
    pub env: Vec<(String, String)>,
    /// Host folders the guest sees (a native process sees the host's paths).
    pub dirs: Vec<Preopen>,
    /// The folder of its inputs, seen at [`GUEST_INPUT`].
    pub inputs: Option<PathBuf>,
    /// Whether each request gets a fresh output folder, seen at [`GUEST_OUTPUT`].
    pub output: bool,
    /// The longest one request may run.
    pub timeout: Duration,
    /// The most linear memory one instance may have.
    pub max_memory: Option<u64>,
}

/// Reads and checks a functions file (a manifest), runs its build commands, and works out what
/// serves each function: every path exists, every engine and mode is known and fits the code.
pub fn read(file: &Path) -> Result<Vec<FunctionSpec>, FunctionsFileError> {
    let manifest = Manifest::read(file)?;
    manifest.build()?;
    manifest
        .functions
        .iter()
        .map(|decl| {
            served(decl)
                .map_err(|(field, problem)| manifest.error(&decl.name, Some(field), problem))
        })
        .collect()
}

type FieldError = (&'static str, String);

/// How the gateway serves a declared function.
fn served(decl: &FunctionDecl) -> Result<FunctionSpec, FieldError> {
    if decl.name == "metrics" {
        return Err((
            "name",
            "\"metrics\" is the gateway's own route: choose another name".into(),
        ));
    }
    let module = decl.module.as_ref().map(|s| s.path.clone());
    let binary = decl.binary.as_ref().map(|s| s.path.clone());
    let code = match (decl.engine.as_deref(), &decl.artifact, module, binary) {
        (Some("native"), _, _, Some(binary)) => Code::Binary(binary),
        (Some("native"), ..) => {
            return Err((
                "binary",
                "engine \"native\" runs a `binary`, and none is given".into(),
            ));
        }
        (_, Some(artifact), _, _) => Code::Artifact(artifact.clone()),
        (_, None, Some(module), _) => Code::Module(module),
        (None, None, None, Some(binary)) => Code::Binary(binary),
        (Some(engine), None, None, Some(_)) => {
            return Err((
                "engine",
                format!(
                    "engine {engine:?} runs a `module` or an `artifact`; a `binary` runs with engine \"native\""
                ),
            ));
        }
        (_, None, None, None) => {
            return Err((
                "module",
                "say what runs the function: a `module`, an `artifact` or a `binary`".into(),
            ));
        }
    };
    let engine = match (&code, &decl.engine) {
        (_, Some(engine)) => engine.clone(),
        (Code::Binary(_), None) => "native".to_owned(),
        (_, None) => "wasmtime".to_owned(),
    };
    let known = wasmfaas_engines::engine(&engine).map_err(|e| ("engine", e.to_string()))?;
    let mode = match decl.mode {
        Some(mode) => mode,
        None if matches!(code, Code::Artifact(_)) => Mode::Aot,
        None => known.modes()[0],
    };
    known
        .check_mode(mode)
        .map_err(|e| ("mode", e.to_string()))?;
    if matches!(code, Code::Artifact(_)) && mode != Mode::Aot {
        return Err(("mode", "an `artifact` runs in mode \"aot\"".into()));
    }
    if mode == Mode::Native && decl.max_memory.is_some() {
        return Err((
            "max_memory",
            "limits a WebAssembly guest's linear memory; a native process has none".into(),
        ));
    }
    Ok(FunctionSpec {
        name: decl.name.clone(),
        code,
        engine,
        mode,
        args: decl.args.clone(),
        env: decl.env.clone(),
        dirs: decl.dirs.clone(),
        inputs: decl.inputs.clone(),
        output: decl.output,
        timeout: decl.timeout.unwrap_or(DEFAULT_TIMEOUT),
        max_memory: decl.max_memory,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file_with(text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("hello.wasm"), b"\0asm\x01\0\0\0").unwrap();
        let file = dir.path().join("functions.toml");
        std::fs::write(&file, text).unwrap();
        (dir, file)
    }

    fn error_of(text: &str) -> String {
        let (_dir, file) = file_with(text);
        let message = read(&file).unwrap_err().to_string();
        message
            .strip_prefix(&format!("{}: ", file.display()))
            .unwrap_or(&message)
            .to_owned()
    }

    #[test]
    fn a_function_gets_its_defaults_and_paths_relative_to_the_file() {
        let (dir, file) = file_with("[[function]]\nname = \"hello\"\nmodule = \"hello.wasm\"\n");
        let specs = read(&file).unwrap();
        assert_eq!(specs.len(), 1);
        let hello = &specs[0];
        assert_eq!(hello.code, Code::Module(dir.path().join("hello.wasm")));
        assert_eq!((hello.engine.as_str(), hello.mode), ("wasmtime", Mode::Jit));
        assert_eq!(hello.timeout, DEFAULT_TIMEOUT);
        assert!(!hello.output && hello.inputs.is_none() && hello.max_memory.is_none());
    }

    #[test]
    fn a_bench_manifests_function_is_served_by_its_engine() {
        let (dir, file) = file_with(
            "[[function]]\nname = \"both\"\nmodule = \"hello.wasm\"\nbinary = \"hello.wasm\"\ncheck = \"same\"\nsummary = \"x\"\n\
             [[function]]\nname = \"natively\"\nmodule = \"hello.wasm\"\nbinary = \"hello.wasm\"\nengine = \"native\"\n",
        );
        let specs = read(&file).unwrap();
        let path = dir.path().join("hello.wasm");
        assert_eq!(specs[0].code, Code::Module(path.clone()));
        assert_eq!(specs[0].engine, "wasmtime");
        assert_eq!(specs[1].code, Code::Binary(path));
        assert_eq!(
            (specs[1].engine.as_str(), specs[1].mode),
            ("native", Mode::Native)
        );
    }

    /// What the gateway adds to the manifest's own checks (those are tested in
    /// `wasmfaas-manifest`): its route, and code, engine and mode that fit together.
    #[test]
    fn what_cannot_be_served_names_the_function_and_the_field() {
        let cases = [
            (
                "[[function]]\nname = \"metrics\"\nmodule = \"hello.wasm\"\n",
                "field `name`: \"metrics\" is the gateway's own route",
            ),
            (
                "[[function]]\nname = \"a\"\nmodule = \"hello.wasm\"\nengine = \"wasmi\"\nmode = \"aot\"\n",
                "function \"a\", field `mode`: engine wasmi has no mode aot",
            ),
            (
                "[[function]]\nname = \"a\"\nbinary = \"hello.wasm\"\nengine = \"wasmer\"\n",
                "function \"a\", field `engine`: engine \"wasmer\" runs a `module` or an `artifact`",
            ),
            (
                "[[function]]\nname = \"a\"\nmodule = \"hello.wasm\"\nengine = \"native\"\n",
                "function \"a\", field `binary`: engine \"native\" runs a `binary`",
            ),
            (
                "[[function]]\nname = \"a\"\nbinary = \"hello.wasm\"\nmax_memory = \"1MiB\"\n",
                "function \"a\", field `max_memory`: limits a WebAssembly guest's linear memory",
            ),
            (
                "[[function]]\nname = \"a\"\nmodule = \"missing.wasm\"\n",
                "function \"a\", field `module`: ",
            ),
        ];
        for (text, expected) in cases {
            let message = error_of(text);
            assert!(
                message.contains(expected),
                "{text:?}\n  gave: {message}\n  want: {expected}"
            );
        }
    }
}
