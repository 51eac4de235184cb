//! `Invocation::stdin` on every engine and mode: the guest reads the given bytes to end of file
//! (as a CGI program reads a request body), and echoes them; natively, `cat` does the same.
use std::sync::Arc;

use wasmfaas_engines::{Engine, Invocation, Mode, Program, StdinMode, StdoutMode};

/// A WASI command that copies stdin to stdout, 1 KiB at a time, until a read returns nothing.
const ECHO: &str = r#"(module
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (loop $again
      (i32.store (i32.const 0) (i32.const 64))
      (i32.store (i32.const 4) (i32.const 1024))
      (if (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 16)) (then unreachable))
      (if (i32.eqz (i32.load (i32.const 16))) (then return))
      (i32.store (i32.const 32) (i32.const 64))
      (i32.store (i32.const 36) (i32.load (i32.const 16)))
      (if (call $fd_write (i32.const 1) (i32.const 32) (i32.const 1) (i32.const 48)) (then unreachable))
      (br $again))))"#;

/// More than one read's worth, and not a multiple of it.
fn body() -> Vec<u8> {
    (0..5000u32).map(|i| (i % 251) as u8).collect()
}

fn echo(engine: &dyn Engine, mode: Mode, program: &Program, input: &[u8]) -> Vec<u8> {
    let invocation = Invocation {
        program_name: "echo".into(),
        stdin: StdinMode::Bytes(Arc::from(input)),
        stdout: StdoutMode::Capture { limit: 1 << 20 },
        ..Invocation::default()
    };
    let outcome = engine
        .run(program, mode, &invocation)
        .unwrap_or_else(|e| panic!("{} {mode}: {e}", engine.name()));
    assert_eq!(outcome.exit_code, 0, "{} {mode}", engine.name());
    outcome.stdout.expect("captured")
}

#[test]
fn every_engine_gives_the_guest_its_stdin_bytes_then_end_of_file() {
    let dir = tempfile::tempdir().unwrap();
    let wasm = wat::parse_str(ECHO).unwrap();
    let input = body();
    let mut ran = Vec::new();
    for engine in wasmfaas_engines::registry() {
        for &mode in engine.modes() {
            let program = match mode {
                Mode::Native => Program::open("/bin/cat").expect("cat is there"),
                Mode::Aot => {
                    let path = dir
                        .path()
                        .join(format!("echo.{}", engine.artifact_extension()));
                    std::fs::write(&path, engine.precompile(&wasm).unwrap()).unwrap();
                    Program::open(path).unwrap()
                }
                _ => {
                    let path = dir.path().join("echo.wasm");
                    std::fs::write(&path, &wasm).unwrap();
                    Program::open(path).unwrap()
                }
            };
            assert_eq!(
                echo(engine.as_ref(), mode, &program, &input),
                input,
                "{} {mode}",
                engine.name()
            );
            // Empty stdin is an immediate end of file, not a hang.
            assert!(echo(engine.as_ref(), mode, &program, &[]).is_empty());
            ran.push(format!("{}-{mode}", engine.name()));
        }
    }
    assert!(ran.len() >= 7, "{ran:?}");
}
