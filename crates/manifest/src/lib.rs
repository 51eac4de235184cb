//! The function manifest: a TOML file declaring a user's own functions, so that `wasmfaas
//! bench`, `run`, `images`, `build` and `serve` treat them as they treat the suite's.
//!
//! ```toml
//! [[function]]
//! name = "wordfreq"
//! summary = "Count the words of a text"
//! # A path relative to this file, or a path and the command that makes it:
//! module = { path = "wordfreq/target/wasm32-wasip1/release/wordfreq.wasm", build = "cargo build --release --target wasm32-wasip1" }
//! binary = "wordfreq/target/release/wordfreq"
//! args = ["{input}/text.txt", "{output}/counts.tsv"]  # {input} and {output} name the folders below
//! env = { LANG = "C" }
//! inputs = "wordfreq/inputs"   # seen at /input
//! output = true                # a fresh folder per run, seen at /output
//! check = "same"               # "same", "none" or { command = "..." }
//! tolerance = 1e-9             # with "same": numbers in stdout may differ this much
//! reference = "native"         # with "same": whose output is right, "native" or an engine
//! timeout = "10s"
//! max_memory = "64MiB"
//! # What `wasmfaas serve` runs it with (default: wasmtime for a module, else native):
//! engine = "wasmtime"
//! mode = "aot"
//! ```
mod build;
mod error;
mod parse;

use std::path::{Path, PathBuf};
use std::time::Duration;

use wasmfaas_engines::{Mode, Preopen};

pub use error::ManifestError;

/// Where a function's inputs are seen by a WebAssembly guest, as for the suite.
pub const GUEST_INPUT: &str = "/input";
/// Where a function's output folder is seen by a WebAssembly guest, as for the suite.
pub const GUEST_OUTPUT: &str = "/output";

/// A manifest file and the functions it declares, in the file's order.
#[derive(Debug, Clone)]
pub struct Manifest {
    /// The file, as given.
    pub file: PathBuf,
    /// Its functions.
    pub functions: Vec<FunctionDecl>,
}

/// One declared function; every path is resolved against the manifest's folder.
#[derive(Debug, Clone)]
pub struct FunctionDecl {
    /// Its name: a route segment, a file name, the key of its samples.
    pub name: String,
    /// What it does, in one line.
    pub summary: Option<String>,
    /// The WebAssembly module (`.wasm`).
    pub module: Option<Source>,
    /// The native executable.
    pub binary: Option<Source>,
    /// An engine's precompiled artifact, for `wasmfaas serve` only.
    pub artifact: Option<PathBuf>,
    /// The engine `wasmfaas serve` runs it with.
    pub engine: Option<String>,
    /// The mode `wasmfaas serve` runs it in.
    pub mode: Option<Mode>,
    /// Its arguments; `{input}` and `{output}` name its folders.
    pub args: Vec<String>,
    /// Its environment.
    pub env: Vec<(String, String)>,
    /// Further host folders a WebAssembly guest sees (a native process sees the host's paths).
    pub dirs: Vec<Preopen>,
    /// The folder of its inputs, seen at [`GUEST_INPUT`].
    pub inputs: Option<PathBuf>,
    /// Whether each run gets a fresh output folder, seen at [`GUEST_OUTPUT`].
    pub output: bool,
    /// How a run's output is judged.
    pub check: Check,
    /// The longest one run may take.
    pub timeout: Option<Duration>,
    /// The most linear memory one instance may have.
    pub max_memory: Option<u64>,
}

/// A file of a function, and the command that makes it when it is built from source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// The file.
    pub path: PathBuf,
    /// A shell command, run in the manifest's folder, that makes the file.
    pub build: Option<String>,
}

/// How a run's output is judged.
#[derive(Debug, Clone, PartialEq)]
pub enum Check {
    /// Its stdout and output folder equal the reference's.
    Same {
        /// Whose output is right.
        reference: Reference,
        /// How far numbers in stdout may differ, relative to the larger (absolute below 1).
        tolerance: Option<f64>,
    },
    /// A shell command, given the run's stdout on stdin and its folders in
    /// `WASMFAAS_OUTPUT`/`WASMFAAS_INPUT`; exit 0 passes.
    Command(String),
    /// Not checked: the report marks its runs as unchecked.
    None,
}

/// The run whose output `same` compares with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reference {
    /// The native binary, run as a process.
    Native,
    /// The module on this engine, in its first mode.
    Engine(String),
}

impl std::fmt::Display for Reference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reference::Native => f.write_str("native"),
            Reference::Engine(engine) => f.write_str(engine),
        }
    }
}

impl Manifest {
    /// Reads and checks `file`: its syntax, every field's type and meaning, distinct names, and
    /// that every file without a build command exists.
    pub fn read(file: &Path) -> Result<Manifest, ManifestError> {
        parse::read(file)
    }

    /// The folder its paths and build commands are relative to.
    pub fn dir(&self) -> &Path {
        match self.file.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        }
    }

    /// Runs every build command (each distinct command once, in the file's order), then checks
    /// that the files they make exist.
    pub fn build(&self) -> Result<(), ManifestError> {
        build::build(self)
    }

    /// The function called `name`.
    pub fn function(&self, name: &str) -> Option<&FunctionDecl> {
        self.functions.iter().find(|f| f.name == name)
    }

    /// An error about `function`'s `field` in this file.
    pub fn error(
        &self,
        function: &str,
        field: Option<&'static str>,
        problem: String,
    ) -> ManifestError {
        ManifestError {
            file: self.file.clone(),
            function: Some(function.to_owned()),
            field,
            problem,
        }
    }
}

impl FunctionDecl {
    /// Whether its arguments name `{input}`.
    pub fn reads_inputs(&self) -> bool {
        self.args.iter().any(|a| a.contains("{input}"))
    }
}
