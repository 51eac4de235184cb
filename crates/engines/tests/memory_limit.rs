//! `Limits::max_memory` on every engine that runs wasm: growth within the limit goes through,
//! growth beyond it stops the run with what it asked for, and on wasmer (whose engine every run
//! shares) one run's limit never reaches another run.
use std::path::{Path, PathBuf};

use wasmfaas_engines::{
    EXIT_MEMORY_LIMIT, Engine, EngineError, Invocation, Limits, Mode, Outcome, Program, StdoutMode,
    Stopped,
};

const MIB: u64 = 1 << 20;
const PAGE: u64 = 64 << 10;

/// A WASI command that starts with one page of memory, grows it to `pages` pages in one
/// `memory.grow`, and traps if that fails (as Rust's allocator failure does).
fn grower(pages: u64) -> String {
    format!(
        r#"(module (memory (export "memory") 1)
  (func (export "_start")
    (if (i32.eq (memory.grow (i32.const {})) (i32.const -1)) (then unreachable))))"#,
        pages - 1
    )
}

/// The module of `wat` as the engine runs it in `mode`: the `.wasm`, or its AOT artifact.
fn program(engine: &dyn Engine, mode: Mode, dir: &Path, name: &str, wat: &str) -> Program {
    let bytes = wat::parse_str(wat).expect("valid wat");
    let path: PathBuf = if mode == Mode::Aot {
        let artifact = engine.precompile(&bytes).expect("precompiles");
        let path = dir.join(format!("{name}.{}", engine.artifact_extension()));
        std::fs::write(&path, artifact).unwrap();
        path
    } else {
        let path = dir.join(format!("{name}.wasm"));
        std::fs::write(&path, bytes).unwrap();
        path
    };
    Program::open(path).expect("opens")
}

fn run(engine: &dyn Engine, mode: Mode, program: &Program, max_memory: Option<u64>) -> Outcome {
    run_or_refuse(engine, mode, program, max_memory).expect("runs")
}

fn run_or_refuse(
    engine: &dyn Engine,
    mode: Mode,
    program: &Program,
    max_memory: Option<u64>,
) -> Result<Outcome, EngineError> {
    let invocation = Invocation {
        program_name: "grower".into(),
        stdout: StdoutMode::Capture { limit: 1 << 10 },
        limits: Limits {
            max_memory,
            ..Limits::default()
        },
        ..Invocation::default()
    };
    engine.run(program, mode, &invocation)
}

/// Every engine and mode that runs wasm and takes a memory limit.
fn limited_engines() -> Vec<(Box<dyn Engine>, Mode)> {
    [
        ("wasmer", Mode::Jit),
        ("wasmer", Mode::Aot),
        ("wasmtime", Mode::Jit),
        ("wasmtime", Mode::Aot),
        ("wasmi", Mode::Interp),
    ]
    .into_iter()
    .map(|(name, mode)| (wasmfaas_engines::engine(name).expect("engine"), mode))
    .collect()
}

#[test]
fn growth_up_to_the_limit_goes_through() {
    let dir = tempfile::tempdir().unwrap();
    for (engine, mode) in limited_engines() {
        let label = format!("{}-{mode}", engine.name());
        // 16 MiB, well within; 64 MiB, exactly the limit.
        for pages in [16 * MIB / PAGE, 64 * MIB / PAGE] {
            let name = format!("grow{pages}");
            let program = program(engine.as_ref(), mode, dir.path(), &name, &grower(pages));
            let outcome = run(engine.as_ref(), mode, &program, Some(64 * MIB));
            assert_eq!(
                (outcome.exit_code, outcome.stopped, outcome.trap),
                (0, None, None),
                "{label}, {pages} pages"
            );
        }
    }
}

#[test]
fn growth_beyond_the_limit_stops_the_run_with_what_it_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let pages = 64 * MIB / PAGE + 1;
    for (engine, mode) in limited_engines() {
        let label = format!("{}-{mode}", engine.name());
        let program = program(engine.as_ref(), mode, dir.path(), "over", &grower(pages));
        let outcome = run(engine.as_ref(), mode, &program, Some(64 * MIB));
        assert_eq!(outcome.exit_code, EXIT_MEMORY_LIMIT, "{label}");
        assert_eq!(
            outcome.stopped,
            Some(Stopped::MemoryLimit {
                limit: 64 * MIB,
                requested: Some(pages * PAGE)
            }),
            "{label}"
        );
    }
}

#[test]
fn an_initial_memory_over_the_limit_is_refused_before_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let wat = r#"(module (memory (export "memory") 2048) (func (export "_start")))"#;
    for (engine, mode) in limited_engines() {
        let label = format!("{}-{mode}", engine.name());
        let program = program(engine.as_ref(), mode, dir.path(), "big", wat);
        let refused = run_or_refuse(engine.as_ref(), mode, &program, Some(64 * MIB));
        assert!(refused.is_err(), "{label}: {refused:?}");
    }
    // wasmer's refusal says which limit and what to do.
    let wasmer = wasmfaas_engines::engine("wasmer").unwrap();
    let program = program(wasmer.as_ref(), Mode::Jit, dir.path(), "big", wat);
    let message = run_or_refuse(wasmer.as_ref(), Mode::Jit, &program, Some(64 * MIB))
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("big.wasm: it asks for 128 MiB of memory, over the limit of 64 MiB"),
        "{message}"
    );
}

/// wasmer's tunables belong to its engine, which all runs share: each run must still get its
/// own limit, or none, even while another limited run is going on.
#[test]
fn on_wasmer_a_limit_holds_for_its_own_run_only() {
    let dir = tempfile::tempdir().unwrap();
    let engine = wasmfaas_engines::engine("wasmer").unwrap();
    let (within, over) = (16 * MIB / PAGE, 128 * MIB / PAGE);
    let program_within = program(
        engine.as_ref(),
        Mode::Jit,
        dir.path(),
        "within",
        &grower(within),
    );
    let program_over = program(
        engine.as_ref(),
        Mode::Jit,
        dir.path(),
        "over",
        &grower(over),
    );
    std::thread::scope(|scope| {
        let limited = scope.spawn(|| {
            (0..5)
                .map(|_| run(engine.as_ref(), Mode::Jit, &program_over, Some(64 * MIB)).stopped)
                .collect::<Vec<_>>()
        });
        let unlimited = scope.spawn(|| {
            (0..5)
                .map(|_| run(engine.as_ref(), Mode::Jit, &program_over, None).exit_code)
                .collect::<Vec<_>>()
        });
        let roomy = scope.spawn(|| {
            (0..5)
                .map(|_| run(engine.as_ref(), Mode::Jit, &program_within, Some(256 * MIB)).stopped)
                .collect::<Vec<_>>()
        });
        let stopped = Some(Stopped::MemoryLimit {
            limit: 64 * MIB,
            requested: Some(over * PAGE),
        });
        assert_eq!(limited.join().unwrap(), vec![stopped; 5]);
        assert_eq!(unlimited.join().unwrap(), vec![0; 5]);
        assert_eq!(roomy.join().unwrap(), vec![None; 5]);
    });
}

/// WasmEdge enforces the limit itself (its configuration's page limit): growth within it goes
/// through, growth beyond it stops the run as on the other engines, except that WasmEdge does not
/// say what was asked for, and an initial memory over it is refused.
#[cfg(feature = "wasmedge")]
#[test]
fn on_wasmedge_the_limit_holds() {
    let dir = tempfile::tempdir().unwrap();
    let engine = wasmfaas_engines::engine("wasmedge").unwrap();
    for mode in [Mode::Interp, Mode::Aot] {
        let label = format!("wasmedge-{mode}");
        for pages in [16 * MIB / PAGE, 64 * MIB / PAGE] {
            let name = format!("grow{pages}-{mode}");
            let program = program(engine.as_ref(), mode, dir.path(), &name, &grower(pages));
            let outcome = run(engine.as_ref(), mode, &program, Some(64 * MIB));
            assert_eq!(
                (outcome.exit_code, outcome.stopped, outcome.trap),
                (0, None, None),
                "{label}, {pages} pages"
            );
        }
        let over = 64 * MIB / PAGE + 1;
        let name = format!("over-{mode}");
        let grows = program(engine.as_ref(), mode, dir.path(), &name, &grower(over));
        let outcome = run(engine.as_ref(), mode, &grows, Some(64 * MIB));
        assert_eq!(outcome.exit_code, EXIT_MEMORY_LIMIT, "{label}");
        assert_eq!(
            outcome.stopped,
            Some(Stopped::MemoryLimit {
                limit: 64 * MIB,
                requested: None
            }),
            "{label}"
        );
        // A guest that copes with the refusal and exits 0 was not stopped.
        let copes = grower(over).replace("(then unreachable)", "(then nop)");
        let name = format!("copes-{mode}");
        let copes = program(engine.as_ref(), mode, dir.path(), &name, &copes);
        let outcome = run(engine.as_ref(), mode, &copes, Some(64 * MIB));
        assert_eq!((outcome.exit_code, outcome.stopped), (0, None), "{label}");
        assert_eq!(
            run(engine.as_ref(), mode, &grows, None).exit_code,
            0,
            "{label}"
        );

        let wat = r#"(module (memory (export "memory") 2048) (func (export "_start")))"#;
        let name = format!("big-{mode}");
        let big = program(engine.as_ref(), mode, dir.path(), &name, wat);
        let message = run_or_refuse(engine.as_ref(), mode, &big, Some(64 * MIB))
            .unwrap_err()
            .to_string();
        assert!(
            message.contains("asks for 128 MiB of memory, over the limit of 64 MiB"),
            "{label}: {message}"
        );
    }
}
