//! Running a suite function: the program and invocation for an engine and mode, and its check.
use std::path::{Path, PathBuf};

use wasmfaas_engines::{
    AotCache, Engine, EngineError, Invocation, Mode, Outcome, Preopen, Program, StdoutMode,
};

use crate::build::{NativeBuild, aot_is_current};
use crate::function::{GUEST_INPUT, GUEST_OUTPUT};
use crate::{Function, Layout, Size, UserFunction, inputs};

/// The most standard output a suite run keeps for its check (large prime-numbers prints ~2.5 MB).
pub const STDOUT_LIMIT: usize = 256 << 20;

/// Why a suite function could not be run.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// A build artifact is missing.
    #[error("{} is missing: build the suite first with `wasmfaas build`", path.display())]
    NotBuilt {
        /// The missing file.
        path: PathBuf,
    },
    /// The inputs of a size were not generated.
    #[error("the inputs of size {size} are missing in {}: generate them with `wasmfaas build --size {size}`", path.display())]
    NoInputs {
        /// The size.
        size: Size,
        /// Where they should be.
        path: PathBuf,
    },
    /// A user's function lacks what the environment runs (a module, a binary).
    #[error("{0}")]
    NoCode(String),
    /// The engine failed.
    #[error(transparent)]
    Engine(#[from] EngineError),
}

/// One run of a suite function, ready to start.
#[derive(Debug)]
pub struct PreparedRun {
    /// The program to run (module, artifact or native binary).
    pub program: Program,
    /// Its command line, directories and stdio.
    pub invocation: Invocation,
    /// The host folder of the inputs.
    pub inputs_dir: PathBuf,
}

/// Prepares `function` at `size` for `engine` in `mode`, writing its output files to
/// `output_dir`. Native code is the binary of `native` (which WebAssembly ignores). For AOT,
/// uses the artifact `wasmfaas build` made when it is current for this engine, else compiles
/// one through `cache`.
#[allow(clippy::too_many_arguments)]
pub fn prepare(
    layout: &Layout,
    function: &Function,
    size: Size,
    engine: &dyn Engine,
    mode: Mode,
    native: NativeBuild,
    output_dir: &Path,
    cache: &AotCache,
) -> Result<PreparedRun, RunError> {
    if let Some(user) = function.user {
        return prepare_user(user, engine, mode, output_dir, cache);
    }
    let existing = |path: PathBuf| {
        if path.is_file() {
            Ok(path)
        } else {
            Err(RunError::NotBuilt { path })
        }
    };
    let (program, args, preopens, inputs_dir) = if mode == Mode::Native {
        let inputs_dir = checked_inputs(layout, function, size)?.unwrap_or(layout.inputs(size));
        let program = Program::open(existing(layout.native(function.name, native))?)?;
        let args = function.args(size, &path_str(&inputs_dir), &path_str(output_dir));
        (program, args, Vec::new(), inputs_dir)
    } else {
        let wasm = existing(layout.wasm(function.name))?;
        let program = match mode {
            Mode::Aot => {
                let built = layout.aot(engine.name(), function.name, engine.artifact_extension());
                if aot_is_current(&built, &wasm, engine) {
                    Program::open(built)?
                } else {
                    cache.artifact_for(engine, &wasm)?
                }
            }
            _ => Program::open(wasm)?,
        };
        let guest = guest_view(layout, function, size, output_dir)?;
        (program, guest.args, guest.preopens, guest.inputs_dir)
    };
    let invocation = Invocation {
        program_name: function.name.to_owned(),
        args,
        env: Vec::new(),
        preopens,
        stdin: Default::default(),
        stdout: StdoutMode::Capture {
            limit: STDOUT_LIMIT,
        },
        limits: Default::default(),
    };
    Ok(PreparedRun {
        program,
        invocation,
        inputs_dir,
    })
}

/// Prepares a user's function: its files and folders from its manifest, AOT artifacts through
/// `cache` (content-addressed, so two manifests cannot mix them up).
fn prepare_user(
    user: &UserFunction,
    engine: &dyn Engine,
    mode: Mode,
    output_dir: &Path,
    cache: &AotCache,
) -> Result<PreparedRun, RunError> {
    let (path, invocation) = user
        .invocation(mode, output_dir)
        .map_err(RunError::NoCode)?;
    let program = if mode == Mode::Aot {
        cache.artifact_for(engine, &path)?
    } else {
        Program::open(path)?
    };
    Ok(PreparedRun {
        program,
        invocation,
        inputs_dir: user.inputs_dir(),
    })
}

/// How a function sees its files when it runs isolated (WebAssembly, a container): its
/// arguments name guest paths, and the host folders are mapped there.
#[derive(Debug, Clone)]
pub struct GuestView {
    /// The function's arguments, naming `/input` and `/output`.
    pub args: Vec<String>,
    /// The host folders and their guest paths: the output folder (writable), and the inputs
    /// (read-only) when the function reads any.
    pub preopens: Vec<Preopen>,
    /// The host folder of the inputs.
    pub inputs_dir: PathBuf,
}

/// The guest view of `function` at `size` writing to `output_dir`; its inputs must have been
/// generated.
pub fn guest_view(
    layout: &Layout,
    function: &Function,
    size: Size,
    output_dir: &Path,
) -> Result<GuestView, RunError> {
    if let Some(user) = function.user {
        return Ok(GuestView {
            args: user.args(GUEST_INPUT, GUEST_OUTPUT),
            preopens: user.preopens(output_dir),
            inputs_dir: user.inputs_dir(),
        });
    }
    let inputs = checked_inputs(layout, function, size)?;
    let mut preopens = vec![Preopen {
        host: output_dir.to_path_buf(),
        guest: GUEST_OUTPUT.into(),
    }];
    if let Some(inputs) = &inputs {
        preopens.push(Preopen {
            host: inputs.clone(),
            guest: GUEST_INPUT.into(),
        });
    }
    Ok(GuestView {
        args: function.args(size, GUEST_INPUT, GUEST_OUTPUT),
        preopens,
        inputs_dir: inputs.unwrap_or_else(|| layout.inputs(size)),
    })
}

/// The inputs folder of `size` when `function` reads inputs (checked complete), else `None`.
fn checked_inputs(
    layout: &Layout,
    function: &Function,
    size: Size,
) -> Result<Option<PathBuf>, RunError> {
    let inputs_dir = layout.inputs(size);
    let needs_inputs = function
        .arg_templates(size)
        .iter()
        .any(|a| a.contains("{input}"));
    if !needs_inputs {
        return Ok(None);
    }
    if !inputs::are_complete(&inputs_dir) {
        return Err(RunError::NoInputs {
            size,
            path: inputs_dir,
        });
    }
    Ok(Some(inputs_dir))
}

/// Runs a prepared run on `engine` in `mode`.
pub fn run(prepared: &PreparedRun, engine: &dyn Engine, mode: Mode) -> Result<Outcome, RunError> {
    Ok(engine.run(&prepared.program, mode, &prepared.invocation)?)
}

fn path_str(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}
