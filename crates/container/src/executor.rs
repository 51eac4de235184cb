//! The executor libcontainer calls in the container's init process: WebAssembly in our engines,
//! everything else through libcontainer's default executor (execvp of the entrypoint).
//!
//! libcontainer calls [`Executor::validate`] after namespaces, cgroups and the root filesystem
//! are in place and before the init process waits for `start`; its error fails `create`. So
//! that is where the workload is classified and a WebAssembly program is loaded: read, compiled
//! (jit, baseline, interp) or deserialised (aot). [`Executor::exec`] runs after `start`, in the
//! same process, and only instantiates and executes what was loaded.
use std::cell::RefCell;
use std::io::Write;
use std::rc::Rc;

use libcontainer::oci_spec::runtime::Spec;
use libcontainer::workload::default::DefaultExecutor;
use libcontainer::workload::{Executor, ExecutorError, ExecutorValidationError};
use wasmfaas_engines::{Engine, Invocation, Loaded, Mode};

use crate::precompiled::Precompiled;
use crate::workload::{self, Workload};

/// A WebAssembly program loaded at create time, waiting for start.
struct Prepared {
    engine: Box<dyn Engine>,
    loaded: Loaded,
    invocation: Invocation,
}

/// What validate decided, kept for exec.
enum Decision {
    Native,
    Wasm(Box<Prepared>),
}

/// The runtime's executor. Cloning shares the decision: libcontainer clones the executor into
/// the init process, where validate and exec then run on the same value.
#[derive(Clone, Default)]
pub struct RuntimeExecutor {
    decision: Rc<RefCell<Option<Decision>>>,
    precompiled: Rc<RefCell<Option<Precompiled>>>,
}

impl RuntimeExecutor {
    /// A new executor that has decided nothing yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// An executor that runs `precompiled` (loaded from the AOT cache before the container was
    /// built) when the workload is its module in jit mode, instead of compiling it again.
    pub fn with_precompiled(precompiled: Option<Precompiled>) -> Self {
        Self {
            precompiled: Rc::new(RefCell::new(precompiled)),
            ..Self::default()
        }
    }

    fn decide(&self, spec: &Spec) -> Result<(), String> {
        let decision = match workload::classify(spec)? {
            Workload::Native => {
                DefaultExecutor {}
                    .validate(spec)
                    .map_err(|e| e.to_string())?;
                Decision::Native
            }
            Workload::Wasm(plan) if self.precompiled_for(plan.engine, plan.mode) => {
                let precompiled = self.precompiled.borrow_mut().take().expect("checked above");
                tracing::info!(
                    program = %plan.program.path.display(),
                    engine = plan.engine,
                    mode = %plan.mode,
                    artifact = %precompiled.artifact.display(),
                    cache = %precompiled.cache,
                    "loaded the WebAssembly program's compiled code from the AOT cache at create"
                );
                Decision::Wasm(Box::new(Prepared {
                    engine: precompiled.engine,
                    loaded: precompiled.loaded,
                    invocation: plan.invocation,
                }))
            }
            Workload::Wasm(plan) => {
                let engine = wasmfaas_engines::engine(plan.engine).map_err(|e| e.to_string())?;
                let loaded = engine
                    .load(&plan.program, plan.mode)
                    .map_err(|e| e.to_string())?;
                let p = loaded.phases;
                tracing::info!(
                    program = %plan.program.path.display(),
                    engine = plan.engine,
                    mode = %plan.mode,
                    load_ms = p.load.as_secs_f64() * 1e3,
                    compile_ms = p.compile.as_secs_f64() * 1e3,
                    "loaded the WebAssembly program at create"
                );
                Decision::Wasm(Box::new(Prepared {
                    engine,
                    loaded,
                    invocation: plan.invocation,
                }))
            }
        };
        *self.decision.borrow_mut() = Some(decision);
        Ok(())
    }

    fn precompiled_for(&self, engine: &str, mode: Mode) -> bool {
        mode == Mode::Jit
            && self
                .precompiled
                .borrow()
                .as_ref()
                .is_some_and(|p| p.engine.name() == engine)
    }
}

impl Executor for RuntimeExecutor {
    fn validate(&self, spec: &Spec) -> Result<(), ExecutorValidationError> {
        self.decide(spec)
            .map_err(ExecutorValidationError::ArgValidationError)
    }

    fn exec(&self, spec: &Spec) -> Result<(), ExecutorError> {
        if self.decision.borrow().is_none() {
            // libcontainer validates before it execs; should a path skip that, decide now.
            self.decide(spec).map_err(ExecutorError::Other)?;
        }
        let decision = self.decision.borrow_mut().take();
        match decision {
            Some(Decision::Wasm(prepared)) => run_wasm(&prepared),
            _ => DefaultExecutor {}.exec(spec),
        }
    }
}

/// Runs the loaded program and ends the init process with the guest's exit code: the container's
/// exit code is the guest's, and a trap is 134 with its message on the container's stderr.
fn run_wasm(prepared: &Prepared) -> Result<(), ExecutorError> {
    exit_on_termination_signals();
    let outcome = prepared
        .engine
        .run_loaded(&prepared.loaded, &prepared.invocation)
        .map_err(|e| {
            // Start has returned by now, so the container's stderr is where anyone will look.
            eprintln!("wasmfaas-runtime: {e}");
            ExecutorError::Other(e.to_string())
        })?;
    if let Some(trap) = &outcome.trap {
        eprintln!("wasmfaas-runtime: the guest trapped: {trap}");
    }
    let p = outcome.phases;
    tracing::info!(
        exit_code = outcome.exit_code,
        instantiate_ms = p.instantiate.as_secs_f64() * 1e3,
        execute_ms = p.execute.as_secs_f64() * 1e3,
        "the WebAssembly guest exited"
    );
    std::io::stdout().flush().ok();
    std::io::stderr().flush().ok();
    std::process::exit(outcome.exit_code & 0xff)
}

/// The init process is pid 1 of its pid namespace, where the kernel drops every signal that has
/// no handler; a native program installs its own, a WebAssembly guest cannot. So SIGTERM, SIGINT
/// and SIGHUP end the guest as they would end a plain process: exit code 128 + the signal.
fn exit_on_termination_signals() {
    extern "C" fn terminate(signal: libc::c_int) {
        // SAFETY: _exit is async-signal-safe.
        unsafe { libc::_exit(128 + signal) }
    }
    for signal in [libc::SIGTERM, libc::SIGINT, libc::SIGHUP] {
        // SAFETY: the handler only calls _exit; installing it and unblocking the signal (a
        // parent may have blocked it) change no Rust-visible state.
        unsafe {
            libc::signal(signal, terminate as *const () as libc::sighandler_t);
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            libc::sigaddset(&mut set, signal);
            libc::sigprocmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
        }
    }
}
