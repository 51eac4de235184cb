//! WasmEdge's AOT artifacts, in builds with the `wasmedge` feature: native code WasmEdge 0.17
//! could not link from "universal wasm" runs natively, and an artifact WasmEdge would quietly
//! interpret, or cannot use at all, is refused with a clear error.
#![cfg(feature = "wasmedge")]

use std::path::Path;

use wasmfaas_engines::{Engine, EngineError, Invocation, Mode, Outcome, Program, StdoutMode};

/// A WASI command whose native code calls libm's `fmax` (WasmEdge lowers `f64.max` so): in a
/// universal wasm that call shifted WasmEdge's table of functions, and it fell back to its
/// interpreter. It exits with code 7 when `max(2.5, 7.0)` is 7.
const USES_FMAX: &str = r#"(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func $pick (param f64 f64) (result f64) (f64.max (local.get 0) (local.get 1)))
  (func (export "_start")
    (call $exit (i32.trunc_f64_s (call $pick (f64.const 2.5) (f64.const 7.0))))))"#;

fn wasmedge() -> Box<dyn Engine> {
    wasmfaas_engines::engine("wasmedge").expect("a build with the wasmedge feature has it")
}

/// `USES_FMAX` compiled ahead of time by `engine`.
fn fmax_artifact(engine: &dyn Engine) -> Vec<u8> {
    engine
        .precompile(&wat::parse_str(USES_FMAX).unwrap())
        .expect("compiles")
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> Program {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    Program::open(path).expect("opens")
}

fn run(engine: &dyn Engine, program: &Program) -> Result<Outcome, EngineError> {
    let invocation = Invocation {
        program_name: "t".into(),
        stdout: StdoutMode::Capture { limit: 1 << 10 },
        ..Invocation::default()
    };
    engine.run(program, Mode::Aot, &invocation)
}

#[test]
fn native_code_calling_libm_runs_natively() {
    let dir = tempfile::tempdir().unwrap();
    let engine = wasmedge();
    let artifact = fmax_artifact(engine.as_ref());
    let program = write(dir.path(), "fmax.wasmedge", &artifact);
    // A fallback to the interpreter would be refused at load, so this is the native code.
    let outcome = run(engine.as_ref(), &program).expect("runs as AOT");
    assert_eq!((outcome.exit_code, outcome.trap), (7, None));
}

#[test]
fn an_artifact_wasmedge_would_interpret_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let engine = wasmedge();
    // Our header and this build's fingerprint, but a plain module behind them: WasmEdge would
    // run it in its interpreter with only a warning. It never reaches WasmEdge.
    let mut bytes = b"wasmfaas-wasmedge-aot\n".to_vec();
    bytes.extend_from_slice(engine.artifact_fingerprint().as_bytes());
    bytes.push(b'\n');
    bytes.extend_from_slice(&wat::parse_str(USES_FMAX).unwrap());
    let program = write(dir.path(), "plain.wasmedge", &bytes);
    let message = run(engine.as_ref(), &program).unwrap_err().to_string();
    assert!(
        message.contains("plain.wasmedge") && message.contains("native code is not"),
        "{message}"
    );
}

#[test]
fn truncated_and_foreign_artifacts_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let engine = wasmedge();
    let artifact = fmax_artifact(engine.as_ref());
    let truncated = write(dir.path(), "cut.wasmedge", &artifact[..artifact.len() / 2]);
    let message = run(engine.as_ref(), &truncated).unwrap_err().to_string();
    assert!(
        message.contains("cut.wasmedge") && message.contains("cut short"),
        "{message}"
    );

    let mut foreign = artifact.clone();
    let at = b"wasmfaas-wasmedge-aot\n".len();
    foreign[at..at + 8].copy_from_slice(b"wasmedgX");
    let foreign = write(dir.path(), "foreign.wasmedge", &foreign);
    let message = run(engine.as_ref(), &foreign).unwrap_err().to_string();
    assert!(message.contains("made by"), "{message}");

    let wasmtime = wasmfaas_engines::engine("wasmtime").unwrap();
    let cwasm = write(dir.path(), "fmax.cwasm", &fmax_artifact(wasmtime.as_ref()));
    let message = run(engine.as_ref(), &cwasm).unwrap_err().to_string();
    assert!(message.contains("fmax.cwasm"), "{message}");
}
