//! The functions file: which functions the gateway serves, what runs each, and its limits.
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
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use wasmfaas_engines::{Mode, Preopen};

/// Where a function's inputs are seen by a WebAssembly guest, as for the suite.
pub const GUEST_INPUT: &str = "/input";
/// Where a function's per-request output folder is seen by a WebAssembly guest.
pub const GUEST_OUTPUT: &str = "/output";

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

/// A functions file that cannot be served, said with the file, the function and the field.
#[derive(Debug, thiserror::Error)]
#[error("{}: {}{problem}", file.display(), place(function, field))]
pub struct FunctionsFileError {
    /// The file.
    pub file: PathBuf,
    /// The function, when the problem is in one.
    pub function: Option<String>,
    /// The field, when the problem is in one.
    pub field: Option<&'static str>,
    /// What is wrong and what to do.
    pub problem: String,
}

fn place(function: &Option<String>, field: &Option<&'static str>) -> String {
    match (function, field) {
        (Some(function), Some(field)) => format!("function {function:?}, field `{field}`: "),
        (Some(function), None) => format!("function {function:?}: "),
        (None, Some(field)) => format!("field `{field}`: "),
        (None, None) => String::new(),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default, rename = "function")]
    functions: Vec<toml::Table>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFunction {
    name: String,
    module: Option<PathBuf>,
    artifact: Option<PathBuf>,
    binary: Option<PathBuf>,
    engine: Option<String>,
    mode: Option<String>,
    #[serde(default)]
    args: Vec<String>,
    #[serde(default)]
    env: BTreeMap<String, String>,
    #[serde(default)]
    dirs: Vec<String>,
    inputs: Option<PathBuf>,
    #[serde(default)]
    output: bool,
    timeout: Option<String>,
    max_memory: Option<String>,
}

/// Reads and checks a functions file: every path exists, every engine and mode is known, no
/// name is given twice.
pub fn read(file: &Path) -> Result<Vec<FunctionSpec>, FunctionsFileError> {
    let error = |function: Option<&str>, field, problem: String| FunctionsFileError {
        file: file.to_path_buf(),
        function: function.map(str::to_owned),
        field,
        problem,
    };
    let text = std::fs::read_to_string(file)
        .map_err(|e| error(None, None, format!("cannot read it: {e}")))?;
    let raw: RawFile = toml::from_str(&text).map_err(|e| {
        error(
            None,
            None,
            format!("{}: expected [[function]] tables", e.message()),
        )
    })?;
    if raw.functions.is_empty() {
        return Err(error(None, None, "declares no [[function]]".into()));
    }
    let base = file.parent().unwrap_or(Path::new("."));
    let mut specs: Vec<FunctionSpec> = Vec::new();
    for (index, table) in raw.functions.into_iter().enumerate() {
        let label = match table.get("name") {
            Some(toml::Value::String(name)) => name.clone(),
            _ => format!("#{}", index + 1),
        };
        let function: RawFunction = toml::Value::Table(table)
            .try_into()
            .map_err(|e: toml::de::Error| error(Some(&label), None, e.message().to_owned()))?;
        let spec = function
            .resolve(base)
            .map_err(|(field, problem)| error(Some(&label), Some(field), problem))?;
        if specs.iter().any(|s| s.name == spec.name) {
            return Err(error(
                Some(&label),
                Some("name"),
                "is declared twice: give each function its own name".into(),
            ));
        }
        specs.push(spec);
    }
    Ok(specs)
}

type FieldError = (&'static str, String);

impl RawFunction {
    fn resolve(self, base: &Path) -> Result<FunctionSpec, FieldError> {
        check_name(&self.name).map_err(|p| ("name", p))?;
        let existing = |field: &'static str, path: PathBuf| {
            let path = base.join(path);
            if path.is_file() {
                Ok(path)
            } else {
                Err((field, format!("{} is not a file", path.display())))
            }
        };
        let code = match (self.module, self.artifact, self.binary) {
            (Some(module), None, None) => Code::Module(existing("module", module)?),
            (None, Some(artifact), None) => Code::Artifact(existing("artifact", artifact)?),
            (None, None, Some(binary)) => Code::Binary(existing("binary", binary)?),
            (None, None, None) => {
                return Err((
                    "module",
                    "none of `module`, `artifact` or `binary` is given: say what runs the function"
                        .into(),
                ));
            }
            _ => {
                return Err((
                    "module",
                    "give one of `module`, `artifact` and `binary`, not several".into(),
                ));
            }
        };
        let engine = match (&code, self.engine) {
            (_, Some(engine)) => engine,
            (Code::Binary(_), None) => "native".to_owned(),
            (_, None) => "wasmtime".to_owned(),
        };
        let known = wasmfaas_engines::engine(&engine).map_err(|e| ("engine", e.to_string()))?;
        let mode = match self.mode {
            Some(mode) => mode.parse::<Mode>().map_err(|p| ("mode", p))?,
            None if matches!(code, Code::Artifact(_)) => Mode::Aot,
            None => known.modes()[0],
        };
        known
            .check_mode(mode)
            .map_err(|e| ("mode", e.to_string()))?;
        match (&code, mode) {
            (Code::Binary(_), Mode::Native)
            | (Code::Module(_), _)
            | (Code::Artifact(_), Mode::Aot) => {}
            (Code::Binary(_), _) => {
                return Err(("engine", "a `binary` runs with engine \"native\"".into()));
            }
            (Code::Artifact(_), _) => {
                return Err(("mode", "an `artifact` runs in mode \"aot\"".into()));
            }
        }
        if matches!(code, Code::Module(_)) && mode == Mode::Native {
            return Err((
                "engine",
                "a `module` runs on a WebAssembly engine, not \"native\"".into(),
            ));
        }
        let dirs = self
            .dirs
            .iter()
            .map(|spec| {
                let spec = match spec.split_once(':') {
                    Some((host, guest)) => format!("{}:{guest}", base.join(host).display()),
                    None => base.join(spec).display().to_string(),
                };
                spec.parse::<Preopen>()
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|p| ("dirs", p))?;
        let inputs = match self.inputs {
            Some(dir) => {
                let dir = base.join(dir);
                if !dir.is_dir() {
                    return Err(("inputs", format!("{} is not a folder", dir.display())));
                }
                Some(dir)
            }
            None => None,
        };
        let timeout = match self.timeout {
            Some(spec) => humantime::parse_duration(&spec).map_err(|e| {
                (
                    "timeout",
                    format!("bad duration {spec:?}: {e}; e.g. 5s, 500ms"),
                )
            })?,
            None => DEFAULT_TIMEOUT,
        };
        let max_memory = self
            .max_memory
            .map(|spec| wasmfaas_engines::parse_bytes(&spec))
            .transpose()
            .map_err(|p| ("max_memory", p))?;
        if mode == Mode::Native && max_memory.is_some() {
            return Err((
                "max_memory",
                "limits a WebAssembly guest's linear memory; a native process has none".into(),
            ));
        }
        Ok(FunctionSpec {
            name: self.name,
            code,
            engine,
            mode,
            args: self.args,
            env: self.env.into_iter().collect(),
            dirs,
            inputs,
            output: self.output,
            timeout,
            max_memory,
        })
    }
}

/// A name is one path segment: letters, digits, `-`, `_` and `.`, not starting with `.`.
fn check_name(name: &str) -> Result<(), String> {
    let valid = !name.is_empty()
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if valid && name != "metrics" {
        Ok(())
    } else if name == "metrics" {
        Err("\"metrics\" is the gateway's own route: choose another name".into())
    } else {
        Err(format!(
            "{name:?} is not a route segment: use letters, digits, '-', '_' and '.'"
        ))
    }
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
    fn bad_files_name_the_function_and_the_field() {
        let cases = [
            (
                "[[function]]\nname = \"a\"\nmodul = \"hello.wasm\"\n",
                "function \"a\": unknown field `modul`",
            ),
            (
                "[[function]]\nname = \"a\"\nmodule = \"missing.wasm\"\n",
                "function \"a\", field `module`: ",
            ),
            (
                "[[function]]\nname = \"a\"\n",
                "function \"a\", field `module`: none of `module`, `artifact` or `binary` is given",
            ),
            (
                "[[function]]\nname = \"a\"\nmodule = \"hello.wasm\"\nengine = \"v8\"\n",
                "function \"a\", field `engine`: unknown engine",
            ),
            (
                "[[function]]\nname = \"a\"\nmodule = \"hello.wasm\"\nengine = \"wasmi\"\nmode = \"aot\"\n",
                "function \"a\", field `mode`: engine wasmi has no mode aot",
            ),
            (
                "[[function]]\nname = \"a\"\nmodule = \"hello.wasm\"\ntimeout = \"soon\"\n",
                "function \"a\", field `timeout`: bad duration \"soon\"",
            ),
            (
                "[[function]]\nname = \"a\"\nmodule = \"hello.wasm\"\nmax_memory = \"lots\"\n",
                "function \"a\", field `max_memory`: bad size \"lots\"",
            ),
            (
                "[[function]]\nname = \"a\"\nmodule = \"hello.wasm\"\nargs = \"x\"\n",
                "function \"a\": invalid type",
            ),
            (
                "[[function]]\nname = \"a b\"\nmodule = \"hello.wasm\"\n",
                "function \"a b\", field `name`: \"a b\" is not a route segment",
            ),
            (
                "[[function]]\nname = \"metrics\"\nmodule = \"hello.wasm\"\n",
                "field `name`: \"metrics\" is the gateway's own route",
            ),
            (
                "[[function]]\nname = \"a\"\nmodule = \"hello.wasm\"\n[[function]]\nname = \"a\"\nmodule = \"hello.wasm\"\n",
                "function \"a\", field `name`: is declared twice",
            ),
            (
                "[[function]]\nmodule = \"hello.wasm\"\n",
                "function \"#1\": missing field `name`",
            ),
            ("[server]\nport = 1\n", "unknown field `server`"),
            ("", "declares no [[function]]"),
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
