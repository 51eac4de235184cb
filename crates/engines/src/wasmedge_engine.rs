//! WasmEdge: its interpreter (`interp`) and its LLVM ahead-of-time compiler (`aot`), through
//! WasmEdge's C API (the `wasmedge-sys` bindings), WASI through WasmEdge's own WASI module.
//!
//! Only in builds with the `wasmedge` feature: WasmEdge is in no package registry, so it loads a
//! libwasmedge built from source, at run time (see the README, "Engines and environments", and
//! [`crate::wasmedge_library`]).
//!
//! An AOT artifact is the shared library WasmEdge's compiler makes (the native code, with the
//! module embedded) behind a header of ours: [`crate::program::WASMEDGE_ARTIFACT_MAGIC`], then
//! the fingerprint of the WasmEdge build that compiled it and a newline. The header lets every
//! engine tell the artifact apart (bare, it would pass for a native program), and lets this one
//! refuse an artifact from another WasmEdge build. WasmEdge loads native code only with dlopen,
//! so loading hands it the library through a memory file; and since WasmEdge falls back to its
//! interpreter, with a warning only, for native code it cannot link, this engine watches its log
//! and refuses such a load rather than measure the interpreter as `aot`.
use std::cell::Cell;
use std::ffi::{CStr, CString};
use std::io::Read;
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use wasmedge_sys::ffi;

use crate::program::WASMEDGE_ARTIFACT_MAGIC;
use crate::wasmedge_library::{self, api};
use crate::{
    EXIT_TRAP, Engine, EngineError, Invocation, Loaded, Mode, Outcome, Phases, Program,
    ProgramKind, StdoutMode, Stopped,
};

const NAME: &str = "wasmedge";

/// The bytes of a wasm page.
const PAGE: u64 = 64 << 10;

/// The WasmEdge engine, embedded. It holds nothing between runs: each load makes WasmEdge's
/// configuration, loader and validator, each run its executor, store and WASI module.
#[derive(Debug, Default)]
pub struct WasmEdgeEngine;

impl WasmEdgeEngine {
    /// The engine: interpreter, and AOT at LLVM's `O3`.
    pub fn new() -> Self {
        Self
    }

    /// Loads libwasmedge now rather than on first use. A process that will lose sight of the
    /// host's filesystem before it runs WasmEdge (a container's init process, after pivot_root)
    /// must call it while it can still see the library; its children inherit it.
    pub fn load_library() -> Result<(), EngineError> {
        library_version().map(|_| ())
    }
}

fn engine_error(e: impl std::fmt::Display) -> EngineError {
    EngineError::Engine {
        engine: NAME,
        message: e.to_string(),
    }
}

/// The version of the libwasmedge this process runs with, loading it on first use; then also
/// WasmEdge's log is routed to [`on_log`] (WasmEdge prints every trap on stderr, which the other
/// engines do not). Fails, saying why, where the library cannot be loaded.
fn library_version() -> Result<&'static str, EngineError> {
    static VERSION: OnceLock<String> = OnceLock::new();
    let api = wasmedge_library::load().map_err(engine_error)?;
    Ok(VERSION.get_or_init(|| {
        // SAFETY: plain calls; the callback is a function for the life of the process, and the
        // version is a static C string. The level is set after the callback, whose new logger
        // would otherwise start at WasmEdge's default level.
        unsafe {
            (api.WasmEdge_LogSetCallback)(Some(on_log));
            if tracing::enabled!(target: "wasmedge", tracing::Level::DEBUG) {
                (api.WasmEdge_LogSetDebugLevel)();
            } else {
                // Warnings too: the fallback to the interpreter is one.
                (api.WasmEdge_LogSetLevel)(ffi::WasmEdge_LogLevel_Warn);
            }
            CStr::from_ptr((api.WasmEdge_VersionGet)())
                .to_string_lossy()
                .into_owned()
        }
    }))
}

thread_local! {
    /// Whether WasmEdge refused a memory growth past the configured page limit (`--max-memory`)
    /// on this thread since the flag was last taken.
    static GROWTH_REFUSED: Cell<bool> = const { Cell::new(false) };
    /// Whether WasmEdge fell back to its interpreter for a module loaded in AOT mode on this
    /// thread since the flag was last taken.
    static FELL_BACK: Cell<bool> = const { Cell::new(false) };
}

/// Checks that `bytes` is a whole 64-bit little-endian ELF file: its program headers, the
/// segments they load and its section headers all lie within it. A truncated library would
/// otherwise be mapped past its end and crash the process inside dlopen.
fn check_library(bytes: &[u8]) -> Result<(), String> {
    let len = bytes.len() as u64;
    let u16_at = |at: u64| -> Option<u64> {
        let at = usize::try_from(at).ok()?;
        Some(u16::from_le_bytes(bytes.get(at..at + 2)?.try_into().ok()?).into())
    };
    let u32_at = |at: u64| -> Option<u64> {
        let at = usize::try_from(at).ok()?;
        Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?).into())
    };
    let u64_at = |at: u64| -> Option<u64> {
        let at = usize::try_from(at).ok()?;
        Some(u64::from_le_bytes(bytes.get(at..at + 8)?.try_into().ok()?))
    };
    let within = |offset: u64, size: u64| offset.checked_add(size).is_some_and(|end| end <= len);
    if !bytes.starts_with(b"\x7fELF\x02\x01") {
        return Err("its native code is not a 64-bit little-endian ELF library".into());
    }
    let truncated = || format!("its native code is cut short ({len} bytes): rebuild it");
    let header = (|| {
        Some((
            u64_at(32)?,
            u16_at(54)?,
            u16_at(56)?,
            u64_at(40)?,
            u16_at(58)?,
            u16_at(60)?,
        ))
    })();
    let Some((ph_offset, ph_size, ph_count, sh_offset, sh_size, sh_count)) = header else {
        return Err(truncated());
    };
    if !within(ph_offset, ph_size * ph_count) || !within(sh_offset, sh_size * sh_count) {
        return Err(truncated());
    }
    const PT_LOAD: u64 = 1;
    for i in 0..ph_count {
        let at = ph_offset + i * ph_size;
        let segment = (|| Some((u32_at(at)?, u64_at(at + 8)?, u64_at(at + 32)?)))();
        match segment {
            Some((PT_LOAD, offset, size)) if !within(offset, size) => return Err(truncated()),
            Some(_) => {}
            None => return Err(truncated()),
        }
    }
    Ok(())
}

/// An anonymous memory file holding `bytes`, closed on exec.
fn memory_file(bytes: &[u8]) -> std::io::Result<std::fs::File> {
    use std::io::Write;
    use std::os::fd::FromRawFd;
    // SAFETY: a static name; the descriptor returned is new and owned by the File.
    let fd = unsafe { libc::memfd_create(c"wasmfaas-wasmedge-aot".as_ptr(), libc::MFD_CLOEXEC) };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: `fd` was just created and nothing else owns it.
    let mut file = unsafe { std::fs::File::from_raw_fd(fd) };
    file.write_all(bytes)?;
    Ok(file)
}

/// WasmEdge's log, as debug events of target `wasmedge` (`WASMFAAS_LOG=wasmedge=debug` shows
/// them). The one thing WasmEdge tells about a growth its page limit refused is an error in this
/// log (`memory.grow` just gives the guest -1): the sink also notes it for the running thread,
/// which is the one executing the guest (WasmEdge logs synchronously).
unsafe extern "C" fn on_log(message: *const ffi::WasmEdge_LogMessage) {
    // SAFETY: WasmEdge passes a valid message whose text lives for the call.
    let text = unsafe {
        let text = &(*message).Message;
        std::slice::from_raw_parts(text.Buf.cast::<u8>(), text.Length as usize)
    };
    tracing::debug!(target: "wasmedge", "{}", String::from_utf8_lossy(text));
    let says = |words: &[u8]| text.windows(words.len()).any(|w| w == words);
    if says(b"Memory grow page failed, exceeded limited") {
        GROWTH_REFUSED.set(true);
    }
    if says(b"falling back to interpreter") {
        FELL_BACK.set(true);
    }
}

/// The message of a WasmEdge result.
fn message(result: ffi::WasmEdge_Result) -> String {
    // SAFETY: WasmEdge returns a static C string for every result.
    unsafe { CStr::from_ptr((api().WasmEdge_ResultGetMessage)(result)) }
        .to_string_lossy()
        .into_owned()
}

/// `Ok` for success (and for a WASI `proc_exit`, which WasmEdge reports as "terminated").
fn check(result: ffi::WasmEdge_Result) -> Result<(), String> {
    // SAFETY: a plain value.
    if unsafe { (api().WasmEdge_ResultOK)(result) } {
        Ok(())
    } else {
        Err(message(result))
    }
}

/// Owners of WasmEdge contexts: each deletes its context when dropped.
macro_rules! owned {
    ($name:ident, $context:ident, $delete:ident) => {
        struct $name(*mut ffi::$context);

        impl $name {
            /// Takes a context WasmEdge created, failing on NULL.
            fn new(context: *mut ffi::$context, what: &str) -> Result<Self, EngineError> {
                if context.is_null() {
                    Err(engine_error(format!("cannot create the {what}")))
                } else {
                    Ok(Self(context))
                }
            }
        }

        impl Drop for $name {
            fn drop(&mut self) {
                // SAFETY: the context came from WasmEdge's create call and is deleted once.
                unsafe { (api().$delete)(self.0) }
            }
        }
    };
}

owned!(Config, WasmEdge_ConfigureContext, WasmEdge_ConfigureDelete);
owned!(Loader, WasmEdge_LoaderContext, WasmEdge_LoaderDelete);
owned!(
    Validator,
    WasmEdge_ValidatorContext,
    WasmEdge_ValidatorDelete
);
owned!(Executor, WasmEdge_ExecutorContext, WasmEdge_ExecutorDelete);
owned!(Store, WasmEdge_StoreContext, WasmEdge_StoreDelete);
owned!(
    Instance,
    WasmEdge_ModuleInstanceContext,
    WasmEdge_ModuleInstanceDelete
);
owned!(Compiler, WasmEdge_CompilerContext, WasmEdge_CompilerDelete);
owned!(
    AstModule,
    WasmEdge_ASTModuleContext,
    WasmEdge_ASTModuleDelete
);

// SAFETY: a loaded and validated AST module is not changed after loading: runs only read it
// (each run instantiates it in a store of its own).
unsafe impl Send for AstModule {}
// SAFETY: as above: shared only for reading.
unsafe impl Sync for AstModule {}

/// A WasmEdge configuration for `mode`, with a memory limit in bytes if given.
fn config(mode: Mode, max_memory: Option<u64>) -> Result<Config, EngineError> {
    library_version()?;
    // SAFETY: creating and setting a fresh configuration.
    unsafe {
        let config = Config::new((api().WasmEdge_ConfigureCreate)(), "WasmEdge configuration")?;
        let run_mode = if mode == Mode::Aot {
            ffi::WasmEdge_RunMode_AOT
        } else {
            ffi::WasmEdge_RunMode_Interpreter
        };
        (api().WasmEdge_ConfigureSetRunMode)(config.0, run_mode);
        (api().WasmEdge_ConfigureCompilerSetOptimizationLevel)(
            config.0,
            ffi::WasmEdge_CompilerOptimizationLevel_O3,
        );
        // A shared library, not "universal wasm": WasmEdge 0.17 finds the functions of a
        // universal wasm by counting the object's symbols that start with `f`, so a libm call
        // in the native code (`fmax`, for f64.max) shifts them all and it silently falls back
        // to its interpreter (linear-equations, fuzzysearch, imageprocessing); from a shared
        // library it looks each function up by name.
        (api().WasmEdge_ConfigureCompilerSetOutputFormat)(
            config.0,
            ffi::WasmEdge_CompilerOutputFormat_Native,
        );
        if let Some(limit) = max_memory {
            (api().WasmEdge_ConfigureSetMaxMemoryPage)(config.0, limit / PAGE);
        }
        Ok(config)
    }
}

/// A module loaded and validated for a mode; what [`Loaded`] keeps for this engine.
struct Module {
    ast: AstModule,
}

/// Parses and validates `bytes` (a module, or in AOT mode WasmEdge's shared library).
fn parse(program: &Program, mode: Mode, bytes: &[u8]) -> Result<AstModule, EngineError> {
    let config = config(mode, None)?;
    let invalid = |reason: String| match mode {
        Mode::Aot => EngineError::IncompatibleArtifact {
            path: program.path.clone(),
            engine: NAME,
            reason,
        },
        _ => EngineError::InvalidModule {
            path: program.source.clone(),
            reason,
        },
    };
    let len = u32::try_from(bytes.len()).map_err(|_| invalid("larger than 4 GiB".into()))?;
    // SAFETY: the contexts are used while alive; `bytes` outlives the parse, which copies; the
    // memory file outlives the parse, which dlopens it (the mapping outlives the file).
    unsafe {
        let loader = Loader::new((api().WasmEdge_LoaderCreate)(config.0), "WasmEdge loader")?;
        let mut ast = std::ptr::null_mut();
        FELL_BACK.set(false);
        if mode == Mode::Aot {
            // WasmEdge runs native code only from a shared library it dlopens by path, and
            // dlopen crashes on a truncated one rather than failing.
            check_library(bytes).map_err(&invalid)?;
            let library = memory_file(bytes)
                .map_err(|e| invalid(format!("cannot hand the native code to WasmEdge: {e}")))?;
            let path = c_string(
                format!("/proc/self/fd/{}", library.as_raw_fd()),
                "the library's path",
            )?;
            check((api().WasmEdge_LoaderParseFromFile)(
                loader.0,
                &mut ast,
                path.as_ptr(),
            ))
            .map_err(&invalid)?;
        } else {
            check((api().WasmEdge_LoaderParseFromBytes)(
                loader.0,
                &mut ast,
                (api().WasmEdge_BytesWrap)(bytes.as_ptr(), len),
            ))
            .map_err(&invalid)?;
        }
        let ast = AstModule::new(ast, "WasmEdge module")?;
        // WasmEdge interprets, with a warning only, native code it cannot link: an `aot` run
        // that is not one would be measured under the wrong name.
        if mode == Mode::Aot && FELL_BACK.take() {
            return Err(invalid(
                "WasmEdge cannot link its native code and would interpret the module instead, \
                 which is not an AOT run (WASMFAAS_LOG=wasmedge=debug shows why)"
                    .into(),
            ));
        }
        let validator = Validator::new(
            (api().WasmEdge_ValidatorCreate)(config.0),
            "WasmEdge validator",
        )?;
        check((api().WasmEdge_ValidatorValidate)(validator.0, ast.0)).map_err(invalid)?;
        Ok(ast)
    }
}

/// The imports of a module, as (module, name).
fn imports(ast: &AstModule) -> Vec<(String, String)> {
    let name = |s: ffi::WasmEdge_String| {
        // SAFETY: WasmEdge strings point at `Length` bytes owned by the AST module.
        let bytes = unsafe { std::slice::from_raw_parts(s.Buf.cast::<u8>(), s.Length as usize) };
        String::from_utf8_lossy(bytes).into_owned()
    };
    // SAFETY: the AST module is alive; the import contexts belong to it.
    unsafe {
        let count = (api().WasmEdge_ASTModuleListImportsLength)(ast.0);
        let mut list = vec![std::ptr::null(); count as usize];
        (api().WasmEdge_ASTModuleListImports)(ast.0, list.as_mut_ptr(), count);
        list.into_iter()
            .map(|import| {
                (
                    name((api().WasmEdge_ImportTypeGetModuleName)(import)),
                    name((api().WasmEdge_ImportTypeGetExternalName)(import)),
                )
            })
            .collect()
    }
}

/// The largest initial size in bytes of the memories `ast` exports.
fn exported_memory_bytes(ast: &AstModule) -> u64 {
    // SAFETY: the AST module is alive; the export and type contexts belong to it.
    unsafe {
        let count = (api().WasmEdge_ASTModuleListExportsLength)(ast.0);
        let mut list = vec![std::ptr::null(); count as usize];
        (api().WasmEdge_ASTModuleListExports)(ast.0, list.as_mut_ptr(), count);
        list.into_iter()
            .map(|export| (api().WasmEdge_ExportTypeGetMemoryType)(ast.0, export))
            .filter(|memory| !memory.is_null())
            .map(|memory| (api().WasmEdge_LimitGetMin)((api().WasmEdge_MemoryTypeGetLimit)(memory)))
            .max()
            .map_or(0, |pages| pages.saturating_mul(PAGE))
    }
}

/// A C string for WasmEdge, refusing interior NULs with a message naming `what`.
fn c_string(value: String, what: &str) -> Result<CString, EngineError> {
    CString::new(value).map_err(|_| engine_error(format!("{what} contains a NUL byte")))
}

/// Standard output captured through a pipe: a thread reads up to the limit, then closes its end
/// so that further writes by the guest fail.
struct Capture {
    writer: OwnedFd,
    reader: std::thread::JoinHandle<Vec<u8>>,
}

impl Capture {
    fn new(limit: usize) -> Result<Self, EngineError> {
        let (reader, writer) = std::io::pipe().map_err(engine_error)?;
        let reader = std::thread::spawn(move || {
            let mut kept = Vec::new();
            // Errors end the capture like the end of the stream does.
            let _ = reader.take(limit as u64).read_to_end(&mut kept);
            kept
        });
        Ok(Self {
            writer: writer.into(),
            reader,
        })
    }

    /// Closes the guest's end and returns what was written.
    fn finish(self) -> Vec<u8> {
        drop(self.writer);
        self.reader.join().unwrap_or_default()
    }
}

impl Engine for WasmEdgeEngine {
    fn name(&self) -> &'static str {
        NAME
    }

    fn version(&self) -> String {
        library_version().map_or_else(|e| format!("unavailable: {e}"), str::to_owned)
    }

    fn modes(&self) -> &'static [Mode] {
        &[Mode::Interp, Mode::Aot]
    }

    fn precompile(&self, wasm: &[u8]) -> Result<Vec<u8>, EngineError> {
        let config = config(Mode::Aot, None)?;
        // WasmEdge's compiler writes to a file: a temporary one, removed once read.
        static COUNT: AtomicU64 = AtomicU64::new(0);
        let out = std::env::temp_dir().join(format!(
            "wasmfaas-wasmedge-{}-{}.so",
            std::process::id(),
            COUNT.fetch_add(1, Ordering::Relaxed)
        ));
        let out_c = c_string(out.to_string_lossy().into_owned(), "the temporary path")?;
        let len = u32::try_from(wasm.len()).map_err(|_| engine_error("module over 4 GiB"))?;
        // SAFETY: the contexts are used while alive; `wasm` outlives the call.
        unsafe {
            let compiler = Compiler::new(
                (api().WasmEdge_CompilerCreate)(config.0),
                "WasmEdge AOT compiler",
            )?;
            check((api().WasmEdge_CompilerCompileFromBytes)(
                compiler.0,
                (api().WasmEdge_BytesWrap)(wasm.as_ptr(), len),
                out_c.as_ptr(),
            ))
            .map_err(|e| {
                let _ = std::fs::remove_file(&out);
                engine_error(e)
            })?;
        }
        let library = std::fs::read(&out).map_err(engine_error);
        let _ = std::fs::remove_file(&out);
        let library = library?;
        let mut artifact = Vec::with_capacity(library.len() + 64);
        artifact.extend_from_slice(WASMEDGE_ARTIFACT_MAGIC);
        artifact.extend_from_slice(self.artifact_fingerprint().as_bytes());
        artifact.push(b'\n');
        artifact.extend_from_slice(&library);
        Ok(artifact)
    }

    fn artifact_fingerprint(&self) -> String {
        format!("{NAME}-{}-llvm-o3-shared-library", self.version())
    }

    fn artifact_extension(&self) -> &'static str {
        "wasmedge"
    }

    fn can_interrupt(&self) -> bool {
        // WasmEdge can stop a guest from another thread only with code compiled interruptible,
        // which costs speed; the CLI's watchdog ends the process instead.
        false
    }

    fn load(&self, program: &Program, mode: Mode) -> Result<Loaded, EngineError> {
        let wrong = |problem: String| EngineError::WrongKind {
            path: program.source.clone(),
            problem,
        };
        match (mode, program.kind) {
            (Mode::Interp, ProgramKind::WasmModule)
            | (Mode::Aot, ProgramKind::WasmEdgeArtifact) => {}
            (Mode::Interp | Mode::Aot, ProgramKind::WasmEdgeArtifact | ProgramKind::WasmModule) => {
                return Err(wrong(match program.kind {
                    ProgramKind::WasmModule => "is a module, not a precompiled artifact: compile it first (the AOT cache does this)".into(),
                    _ => "is a WasmEdge precompiled artifact: run it with --mode aot, not --mode interp".into(),
                }));
            }
            (Mode::Interp | Mode::Aot, kind) => {
                return Err(wrong(format!(
                    "is {}; wasmedge runs WebAssembly modules (.wasm) and its own artifacts",
                    kind.describe()
                )));
            }
            (mode, _) => return Err(self.unsupported_mode(mode)),
        }
        let mut phases = Phases::default();
        let started = Instant::now();
        let bytes = std::fs::read(&program.path).map_err(|source| EngineError::Read {
            path: program.path.clone(),
            source,
        })?;
        let body = if mode == Mode::Aot {
            let rest = bytes
                .get(WASMEDGE_ARTIFACT_MAGIC.len()..)
                .unwrap_or_default();
            let newline = rest.iter().position(|&b| b == b'\n').unwrap_or(0);
            let (fingerprint, body) = (&rest[..newline], &rest[newline + 1..]);
            // Without the library the fingerprint would name its absence: say that instead.
            library_version()?;
            let expected = self.artifact_fingerprint();
            if fingerprint != expected.as_bytes() {
                return Err(EngineError::IncompatibleArtifact {
                    path: program.path.clone(),
                    engine: NAME,
                    reason: format!(
                        "made by {}, this is {expected}",
                        String::from_utf8_lossy(fingerprint)
                    ),
                });
            }
            body
        } else {
            &bytes[..]
        };
        // Interpreted: parsing and validating is WasmEdge's whole preparation, its "compile".
        // AOT: loading the native code from the artifact is its load.
        let parse_started = Instant::now();
        let ast = parse(program, mode, body)?;
        if mode == Mode::Aot {
            phases.load = started.elapsed();
        } else {
            phases.load = parse_started - started;
            phases.compile = parse_started.elapsed();
        }
        Ok(Loaded {
            program: program.clone(),
            mode,
            module: Some(Box::new(Module { ast })),
            phases,
        })
    }

    fn run_loaded(&self, loaded: &Loaded, invocation: &Invocation) -> Result<Outcome, EngineError> {
        if invocation.limits.timeout.is_some() {
            return Err(engine_error(
                "wasmedge cannot interrupt a running guest: enforce the time limit outside the engine",
            ));
        }
        let (program, mut phases) = (&loaded.program, loaded.phases);
        let module: &Module = loaded.module(NAME)?;
        let started = Instant::now();
        EngineError::check_wasi_imports(&program.source, imports(&module.ast))?;
        let max_memory = invocation.limits.max_memory;
        // WasmEdge's page limit holds for growth only, and it silently shrinks an initial memory
        // over the limit: such a module is refused here, as the other engines refuse it (a WASI
        // command exports its memory).
        if let Some(limit) = max_memory {
            let asked = exported_memory_bytes(&module.ast);
            if asked > limit {
                return Err(engine_error(format!(
                    "cannot instantiate {}: it asks for {} MiB of memory, over the limit of {} MiB (--max-memory); raise the limit",
                    program.source.display(),
                    asked >> 20,
                    limit >> 20
                )));
            }
        }
        let config = config(loaded.mode, max_memory)?;

        let args = invocation
            .argv()
            .into_iter()
            .map(|a| c_string(a, "an argument"))
            .collect::<Result<Vec<_>, _>>()?;
        let envs = invocation
            .env
            .iter()
            .map(|(k, v)| c_string(format!("{k}={v}"), "an environment variable"))
            .collect::<Result<Vec<_>, _>>()?;
        // WasmEdge maps GUEST:HOST; the host path is given absolute so that a `:` in the guest
        // path is the only one that can confuse it.
        let preopens = invocation
            .preopens
            .iter()
            .map(|p| {
                let host = std::path::absolute(&p.host).map_err(|e| EngineError::Preopen {
                    host: p.host.clone(),
                    reason: e.to_string(),
                })?;
                c_string(format!("{}:{}", p.guest, host.display()), "a directory")
            })
            .collect::<Result<Vec<_>, _>>()?;
        let pointers = |v: &[CString]| v.iter().map(|s| s.as_ptr()).collect::<Vec<_>>();
        let (args_p, envs_p, preopens_p) = (pointers(&args), pointers(&envs), pointers(&preopens));

        let capture = match invocation.stdout {
            StdoutMode::Inherit => None,
            StdoutMode::Capture { limit } => Some(Capture::new(limit)?),
        };
        let stdout_fd = capture.as_ref().map_or(1, |c| c.writer.as_raw_fd());

        // SAFETY: every context is used while alive and deleted after those that use it (the
        // WASI module and store outlive the executor's calls; drop order below is explicit).
        let (exit_code, trap) = unsafe {
            let wasi = Instance::new(
                (api().WasmEdge_ModuleInstanceCreateWASIWithFds)(
                    args_p.as_ptr(),
                    args_p.len() as u32,
                    envs_p.as_ptr(),
                    envs_p.len() as u32,
                    preopens_p.as_ptr(),
                    preopens_p.len() as u32,
                    0,
                    stdout_fd,
                    2,
                ),
                "WASI module",
            )?;
            let store = Store::new((api().WasmEdge_StoreCreate)(), "WasmEdge store")?;
            let executor = Executor::new(
                (api().WasmEdge_ExecutorCreate)(config.0, std::ptr::null_mut()),
                "WasmEdge executor",
            )?;
            check((api().WasmEdge_ExecutorRegisterImport)(
                executor.0, store.0, wasi.0,
            ))
            .map_err(engine_error)?;
            let mut instance = std::ptr::null_mut();
            check((api().WasmEdge_ExecutorInstantiate)(
                executor.0,
                &mut instance,
                store.0,
                module.ast.0,
            ))
            .map_err(|reason| {
                engine_error(match max_memory {
                    Some(limit) => format!(
                        "cannot instantiate {}: {reason} (the memory limit is {} MiB, --max-memory)",
                        program.source.display(),
                        limit >> 20
                    ),
                    None => format!("cannot instantiate {}: {reason}", program.source.display()),
                })
            })?;
            let instance = Instance::new(instance, "module instance")?;
            let start_name = (api().WasmEdge_StringCreateByCString)(c"_start".as_ptr());
            let start = (api().WasmEdge_ModuleInstanceFindFunction)(instance.0, start_name);
            (api().WasmEdge_StringDelete)(start_name);
            if start.is_null() {
                return Err(EngineError::no_start(&program.source));
            }
            phases.instantiate = started.elapsed();

            let started = Instant::now();
            GROWTH_REFUSED.set(false);
            let result = (api().WasmEdge_ExecutorInvoke)(
                executor.0,
                start,
                std::ptr::null(),
                0,
                std::ptr::null_mut(),
                0,
            );
            phases.execute = started.elapsed();
            let outcome = match check(result) {
                Ok(()) => (
                    (api().WasmEdge_ModuleInstanceWASIGetExitCode)(wasi.0) as i32,
                    None,
                ),
                Err(trap) => (EXIT_TRAP, Some(trap)),
            };
            drop(instance);
            drop(executor);
            drop(store);
            drop(wasi);
            outcome
        };
        // A guest whose growth was refused traps or exits non-zero, depending on how it handles
        // the failure; one that copes and exits 0 was not stopped. WasmEdge does not say what
        // was asked for.
        let stopped = max_memory
            .filter(|_| GROWTH_REFUSED.take() && exit_code != 0)
            .map(|limit| Stopped::MemoryLimit {
                limit,
                requested: None,
            });
        let exit_code = stopped.map_or(exit_code, Stopped::exit_code);
        Ok(Outcome {
            exit_code,
            trap,
            stdout: capture.map(Capture::finish),
            phases,
            stopped,
        })
    }
}
