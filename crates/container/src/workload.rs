//! What a container runs: a WebAssembly program in one of our engines, or a native process.
//!
//! The entrypoint's bytes decide: a WebAssembly module or a precompiled artifact of one of our
//! engines runs in that engine; a native executable runs as a normal Linux container. The
//! annotations choose the engine and mode, and mark a container as WebAssembly so that an
//! entrypoint that is neither gets a message about WebAssembly.
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use libcontainer::oci_spec::runtime::Spec;
use wasmfaas_engines::{Invocation, Limits, Mode, Preopen, Program, ProgramKind, StdoutMode};

pub use wasmfaas_names::annotation::{
    HANDLER as ANNOTATION_HANDLER, MODE as ANNOTATION_MODE, VARIANT as ANNOTATION_VARIANT,
};

/// The engines a container can ask for with [`ANNOTATION_HANDLER`].
#[cfg(not(feature = "wasmedge"))]
pub const ENGINES: &[&str] = &["wasmtime", "wasmer", "wasmi"];
/// The engines a container can ask for with [`ANNOTATION_HANDLER`] (WasmEdge built in).
#[cfg(feature = "wasmedge")]
pub const ENGINES: &[&str] = &["wasmtime", "wasmer", "wasmi", "wasmedge"];
/// The engine of a WebAssembly module when the annotations name none.
pub const DEFAULT_ENGINE: &str = "wasmtime";

/// The search path used when the container's environment has no `PATH` (runc's default).
const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// What the annotations of a container ask for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hints {
    /// The annotations mark the container as WebAssembly.
    pub wasm: bool,
    /// The engine asked for, if any.
    pub engine: Option<&'static str>,
    /// The mode asked for, if any.
    pub mode: Option<Mode>,
}

impl Hints {
    /// Reads and checks the annotations; an unknown engine or mode is an error that says which
    /// annotation is wrong and what it may be.
    pub fn from_annotations(annotations: Option<&HashMap<String, String>>) -> Result<Self, String> {
        let mut hints = Hints::default();
        let Some(annotations) = annotations else {
            return Ok(hints);
        };
        if let Some(variant) = annotations.get(ANNOTATION_VARIANT) {
            hints.wasm = matches!(variant.as_str(), "compat" | "compat-smart");
        }
        if let Some(handler) = annotations.get(ANNOTATION_HANDLER) {
            hints.wasm = true;
            let name = handler.trim().to_ascii_lowercase();
            hints.engine = match name.as_str() {
                "" | "wasm" => None,
                "wasmedge" if cfg!(not(feature = "wasmedge")) => {
                    return Err(format!(
                        "annotation {ANNOTATION_HANDLER}={handler}: this build of wasmfaas-runtime has no WasmEdge engine \
                         (WasmEdge is in no package registry); use {ANNOTATION_HANDLER}=wasmtime, wasmer or wasmi"
                    ));
                }
                other => Some(
                    ENGINES.iter().copied().find(|e| *e == other).ok_or_else(|| {
                        format!(
                            "annotation {ANNOTATION_HANDLER}={handler}: unknown engine; use wasmtime, wasmer, wasmi \
                             (or wasm for the default, {DEFAULT_ENGINE})"
                        )
                    })?,
                ),
            };
        }
        if let Some(mode) = annotations.get(ANNOTATION_MODE) {
            let parsed: Mode = mode
                .trim()
                .parse()
                .map_err(|e| format!("annotation {ANNOTATION_MODE}={mode}: {e}"))?;
            if parsed == Mode::Native {
                return Err(format!(
                    "annotation {ANNOTATION_MODE}={mode}: native is not a WebAssembly mode; \
                     a native executable runs natively without it"
                ));
            }
            hints.wasm = true;
            hints.mode = Some(parsed);
        }
        Ok(hints)
    }
}

/// What a container's init process does once started.
#[derive(Debug)]
pub enum Workload {
    /// Exec the entrypoint, as runc does.
    Native,
    /// Run a WebAssembly program in one of our engines.
    Wasm(Box<WasmPlan>),
}

/// A WebAssembly program, the engine and mode to run it in, and its WASI view.
#[derive(Debug)]
pub struct WasmPlan {
    /// The module or artifact.
    pub program: Program,
    /// The engine's name.
    pub engine: &'static str,
    /// The engine's mode.
    pub mode: Mode,
    /// argv, env, preopened directories; stdio is the container's.
    pub invocation: Invocation,
}

/// Finds the entrypoint as execvp would: a name with a slash as is (relative to the working
/// directory), any other name on the container's `PATH`.
pub fn resolve_entrypoint(arg0: &str, env: &[String]) -> Result<PathBuf, String> {
    resolve_entrypoint_in(Path::new("/"), arg0, env)
}

/// [`resolve_entrypoint`] in the root filesystem at `root`, seen from outside the container; the
/// path returned is the container's. Outside it (`root` is not `/`) a relative name with a slash
/// cannot be resolved: the working directory is the container's.
pub fn resolve_entrypoint_in(root: &Path, arg0: &str, env: &[String]) -> Result<PathBuf, String> {
    if arg0.is_empty() {
        return Err(
            "process.args[0] is empty: the bundle's config.json names no program to run".into(),
        );
    }
    let in_root = |path: &Path| root.join(path.strip_prefix("/").unwrap_or(path));
    if arg0.contains('/') {
        let path = PathBuf::from(arg0);
        if path.is_relative() && root != Path::new("/") {
            return Err(format!(
                "the entrypoint {arg0} (process.args[0]) is relative to the container's working directory"
            ));
        }
        return if in_root(&path).is_file() {
            Ok(path)
        } else {
            Err(format!(
                "the entrypoint {arg0} (process.args[0]) is not a file in the container's root filesystem: \
                 check the image's entrypoint or the bundle's config.json"
            ))
        };
    }
    let path_var = env
        .iter()
        .find_map(|e| e.strip_prefix("PATH="))
        .unwrap_or(DEFAULT_PATH);
    path_var
        .split(':')
        .filter(|dir| !dir.is_empty())
        .map(|dir| Path::new(dir).join(arg0))
        .find(|candidate| in_root(candidate).is_file())
        .ok_or_else(|| {
            format!(
                "the entrypoint {arg0} (process.args[0]) is not in the container's root filesystem \
                 (searched PATH={path_var}): check the image's entrypoint or the bundle's config.json"
            )
        })
}

/// Decides what the container runs, from its spec and its entrypoint's bytes. Runs in the
/// container's init process, after the root filesystem is in place, so paths are the container's.
pub fn classify(spec: &Spec) -> Result<Workload, String> {
    let hints = Hints::from_annotations(spec.annotations().as_ref())?;
    let process = spec
        .process()
        .as_ref()
        .ok_or("the bundle's config.json has no `process`: nothing to run")?;
    let args = process.args().as_deref().unwrap_or_default();
    let arg0 = args
        .first()
        .ok_or("process.args is empty: the bundle's config.json names no program to run")?;
    let env = process.env().as_deref().unwrap_or_default();
    let path = resolve_entrypoint(arg0, env)?;
    let program = Program::open(&path).map_err(|e| format!("the entrypoint: {e}"))?;
    match program.kind {
        ProgramKind::Elf => Ok(Workload::Native),
        ProgramKind::Unknown if starts_with_shebang(&path) => Ok(Workload::Native),
        ProgramKind::WasmEdgeArtifact if cfg!(not(feature = "wasmedge")) => Err(format!(
            "the entrypoint {} is a WasmEdge precompiled artifact, and this build of wasmfaas-runtime has no WasmEdge engine \
             (WasmEdge is in no package registry: build with the `wasmedge` feature)",
            path.display()
        )),
        ProgramKind::WasmModule
        | ProgramKind::WasmtimeArtifact
        | ProgramKind::WasmerArtifact
        | ProgramKind::WasmEdgeArtifact => {
            plan(spec, program, &hints).map(|plan| Workload::Wasm(Box::new(plan)))
        }
        ProgramKind::WasmComponent => Err(format!(
            "the entrypoint {} is a WebAssembly component; wasmfaas-runtime runs WASI preview 1 core modules \
             (build for wasm32-wasip1)",
            path.display()
        )),
        ProgramKind::Unknown => Err(format!(
            "the entrypoint {} (process.args[0]) is neither a native ELF executable nor a WebAssembly module{}: \
             check the image's entrypoint",
            path.display(),
            if hints.wasm {
                " (the annotations mark this container as WebAssembly)"
            } else {
                ""
            }
        )),
    }
}

fn starts_with_shebang(path: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 2];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok_and(|()| &head == b"#!")
}

/// Chooses engine and mode for a WebAssembly program and builds its invocation.
fn plan(spec: &Spec, program: Program, hints: &Hints) -> Result<WasmPlan, String> {
    let source = program.path.display().to_string();
    let (engine, mode) = match program.kind {
        ProgramKind::WasmtimeArtifact
        | ProgramKind::WasmerArtifact
        | ProgramKind::WasmEdgeArtifact => {
            let engine = match program.kind {
                ProgramKind::WasmtimeArtifact => "wasmtime",
                ProgramKind::WasmerArtifact => "wasmer",
                _ => "wasmedge",
            };
            if let Some(asked) = hints.engine.filter(|asked| *asked != engine) {
                return Err(format!(
                    "the entrypoint {source} is {}, but annotation {ANNOTATION_HANDLER}={asked} asks for another engine: \
                     use {ANNOTATION_HANDLER}={engine}, or an image with the .wasm module",
                    program.kind.describe()
                ));
            }
            if let Some(asked) = hints.mode.filter(|asked| *asked != Mode::Aot) {
                return Err(format!(
                    "the entrypoint {source} is {}, which only runs in mode aot, but annotation {ANNOTATION_MODE}={asked} asks for another",
                    program.kind.describe()
                ));
            }
            (engine, Mode::Aot)
        }
        _ => {
            let name = hints.engine.unwrap_or(DEFAULT_ENGINE);
            let engine = wasmfaas_engines::engine(name).map_err(|e| e.to_string())?;
            let mode = hints.mode.unwrap_or(engine.modes()[0]);
            if mode == Mode::Aot {
                return Err(format!(
                    "annotation {ANNOTATION_MODE}=aot: the entrypoint {source} is a WebAssembly module, not a precompiled \
                     artifact; put the {name} artifact in the image (`wasmfaas images` makes aot-{name} images) or drop the annotation"
                ));
            }
            if !engine.modes().contains(&mode) {
                let modes: Vec<&str> = engine.modes().iter().map(|m| m.as_str()).collect();
                return Err(format!(
                    "annotation {ANNOTATION_MODE}={mode}: engine {name} has no such mode; use one of {}",
                    modes.join(", ")
                ));
            }
            (name, mode)
        }
    };
    let invocation = invocation(spec)?;
    Ok(WasmPlan {
        program,
        engine,
        mode,
        invocation,
    })
}

/// The guest's argv, environment and directories from the spec.
fn invocation(spec: &Spec) -> Result<Invocation, String> {
    let process = spec.process().as_ref().ok_or("no process")?;
    let args = process.args().as_deref().unwrap_or_default();
    let arg0 = args.first().map(String::as_str).unwrap_or_default();
    // As `wasmfaas run` names a guest: the file's name without its extension, so a function
    // sees the same argv[0] however it is launched.
    let program_name = Path::new(arg0)
        .file_stem()
        .map_or_else(|| arg0.to_owned(), |s| s.to_string_lossy().into_owned());
    let env = process
        .env()
        .as_deref()
        .unwrap_or_default()
        .iter()
        .map(|var| match var.split_once('=') {
            Some((k, v)) => (k.to_owned(), v.to_owned()),
            None => (var.clone(), String::new()),
        })
        .collect();
    Ok(Invocation {
        program_name,
        args: args.iter().skip(1).cloned().collect(),
        env,
        preopens: preopens(spec),
        stdin: Default::default(),
        stdout: StdoutMode::Inherit,
        limits: Limits::default(),
    })
}

/// The bind mounts of directories, each preopened at its destination: inside the container the
/// destination is where the host directory is, so it is both the host and the guest path.
/// Mounts the kernel provides (proc, sysfs, tmpfs, devpts, …) and bind mounts of single files
/// (resolv.conf, hosts) are not directories a WASI guest is given.
pub fn preopens(spec: &Spec) -> Vec<Preopen> {
    let mut preopens: Vec<Preopen> = Vec::new();
    for mount in spec.mounts().as_deref().unwrap_or_default() {
        let is_bind = mount.typ().as_deref() == Some("bind")
            || mount
                .options()
                .as_deref()
                .unwrap_or_default()
                .iter()
                .any(|o| o == "bind" || o == "rbind");
        let destination = mount.destination();
        if !is_bind || !destination.is_dir() {
            continue;
        }
        let guest = destination.to_string_lossy().into_owned();
        if preopens.iter().all(|p| p.guest != guest) {
            preopens.push(Preopen {
                host: destination.clone(),
                guest,
            });
        }
    }
    preopens
}

#[cfg(test)]
mod tests {
    use super::*;

    fn annotations(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn hints_from_annotations() {
        assert_eq!(Hints::from_annotations(None).unwrap(), Hints::default());
        let compat = annotations(&[(ANNOTATION_VARIANT, "compat-smart")]);
        assert!(Hints::from_annotations(Some(&compat)).unwrap().wasm);
        let wasmer = annotations(&[(ANNOTATION_HANDLER, "wasmer"), (ANNOTATION_MODE, "jit")]);
        let hints = Hints::from_annotations(Some(&wasmer)).unwrap();
        assert_eq!(hints.engine, Some("wasmer"));
        assert_eq!(hints.mode, Some(Mode::Jit));
        let wasm = annotations(&[(ANNOTATION_HANDLER, "wasm")]);
        assert_eq!(Hints::from_annotations(Some(&wasm)).unwrap().engine, None);
    }

    #[test]
    fn bad_annotations_say_what_to_use() {
        let edge = annotations(&[(ANNOTATION_HANDLER, "wasmedge")]);
        if cfg!(feature = "wasmedge") {
            let hints = Hints::from_annotations(Some(&edge)).unwrap();
            assert_eq!(hints.engine, Some("wasmedge"));
        } else {
            let err = Hints::from_annotations(Some(&edge)).unwrap_err();
            assert!(err.contains("no WasmEdge"), "{err}");
        }
        let unknown = annotations(&[(ANNOTATION_HANDLER, "v8")]);
        let err = Hints::from_annotations(Some(&unknown)).unwrap_err();
        assert!(
            err.contains("unknown engine") && err.contains("wasmtime, wasmer, wasmi"),
            "{err}"
        );
        let mode = annotations(&[(ANNOTATION_MODE, "fast")]);
        assert!(Hints::from_annotations(Some(&mode)).is_err());
    }

    #[test]
    fn entrypoint_is_found_on_path() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("hello.wasm"), b"\0asm\x01\0\0\0").unwrap();
        let env = vec![format!("PATH=/nonexistent:{}", dir.path().display())];
        assert_eq!(
            resolve_entrypoint("hello.wasm", &env).unwrap(),
            dir.path().join("hello.wasm")
        );
        let err = resolve_entrypoint("missing", &env).unwrap_err();
        assert!(err.contains("searched PATH="), "{err}");
        let absolute = dir.path().join("hello.wasm").display().to_string();
        assert!(resolve_entrypoint(&absolute, &[]).is_ok());
    }

    #[test]
    fn entrypoint_is_found_in_a_root_filesystem_seen_from_outside() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("usr/bin")).unwrap();
        std::fs::write(root.path().join("usr/bin/hello.wasm"), b"\0asm\x01\0\0\0").unwrap();
        let env = vec!["PATH=/bin:/usr/bin".to_owned()];
        assert_eq!(
            resolve_entrypoint_in(root.path(), "hello.wasm", &env).unwrap(),
            Path::new("/usr/bin/hello.wasm"),
            "the container's path"
        );
        assert_eq!(
            resolve_entrypoint_in(root.path(), "/usr/bin/hello.wasm", &[]).unwrap(),
            Path::new("/usr/bin/hello.wasm")
        );
        assert!(resolve_entrypoint_in(root.path(), "/hello.wasm", &[]).is_err());
        let err = resolve_entrypoint_in(root.path(), "usr/bin/hello.wasm", &[]).unwrap_err();
        assert!(err.contains("working directory"), "{err}");
    }
}
