//! `wasmfaas run` as a user meets it: exit codes, stdio, and one clear line for bad input.
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

mod common;

use common::{EXIT_ERROR, built, wasmfaas};

const EXIT_TRAP: i32 = 134;

/// A module written in the text format, saved as a binary `.wasm` in `dir`.
fn module(dir: &Path, name: &str, wat: &str) -> PathBuf {
    let path = dir.join(format!("{name}.wasm"));
    std::fs::write(&path, wat::parse_str(wat).expect("valid wat")).unwrap();
    path
}

/// Asserts wasmfaas refused with exit 125 and one line on stderr containing every `needle`.
fn assert_clear_error(out: &Output, needles: &[&str]) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(EXIT_ERROR), "stderr: {stderr}");
    assert_eq!(
        stderr.trim_end().lines().count(),
        1,
        "one line expected, got:\n{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    for needle in needles {
        assert!(stderr.contains(needle), "{needle:?} not in: {stderr}");
    }
}

const EXIT_WITH_7: &str = r#"(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start") (call $exit (i32.const 7))))"#;

#[test]
fn the_guest_exit_code_is_wasmfaas_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let path = module(dir.path(), "exit7", EXIT_WITH_7);
    for mode in ["jit", "aot", "baseline"] {
        let out = wasmfaas(&[
            "run",
            "--mode",
            mode,
            "--cache-dir",
            dir.path().join("cache").to_str().unwrap(),
            path.to_str().unwrap(),
        ]);
        assert_eq!(
            out.status.code(),
            Some(7),
            "{mode}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn a_trap_is_reported_with_its_own_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let path = module(
        dir.path(),
        "trap",
        r#"(module (memory (export "memory") 1) (func (export "_start") unreachable))"#,
    );
    let out = wasmfaas(&["run", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(EXIT_TRAP));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("trapped") && stderr.contains("unreachable"),
        "{stderr}"
    );
}

#[test]
fn stdout_args_and_env_reach_the_guest() {
    built();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let hello = root.join("artifacts/wasm/hello.wasm");
    let out = wasmfaas(&["run", hello.to_str().unwrap()]);
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "hello from wasmfaas\n"
    );
    // whatlang takes its text as arguments: they must arrive as separate arguments, in order.
    let whatlang = root.join("artifacts/wasm/whatlang.wasm");
    let out = wasmfaas(&[
        "run",
        whatlang.to_str().unwrap(),
        "--",
        "Der",
        "schnelle",
        "braune",
        "Fuchs",
        "springt",
        "über",
        "den",
        "faulen",
        "Hund",
    ]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "texts: 1\nlanguages: deu=1\n"
    );
}

#[test]
fn suite_functions_run_checked_on_every_engine_and_mode() {
    built();
    for engine_mode in [
        ["native", "native"],
        ["wasmtime", "jit"],
        ["wasmtime", "aot"],
        ["wasmtime", "baseline"],
    ] {
        let out = wasmfaas(&[
            "run",
            "matmul",
            "--size",
            "small",
            "--engine",
            engine_mode[0],
            "--mode",
            engine_mode[1],
            "--timing",
        ]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{engine_mode:?}: {stderr}");
        assert!(
            stderr.contains("check passed") && stderr.contains("timing: load"),
            "{stderr}"
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains("trace: "));
    }
}

#[test]
fn a_missing_file_is_named() {
    assert_clear_error(
        &wasmfaas(&["run", "./no-such-module.wasm"]),
        &["no-such-module.wasm", "cannot read"],
    );
}

#[test]
fn a_file_that_is_not_wasm_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.wasm");
    std::fs::write(&path, "just some text\n").unwrap();
    assert_clear_error(
        &wasmfaas(&["run", path.to_str().unwrap()]),
        &["notes.wasm", "neither a WebAssembly module"],
    );
    assert_clear_error(
        &wasmfaas(&["run", "--mode", "aot", path.to_str().unwrap()]),
        &["notes.wasm"],
    );
}

#[test]
fn an_import_wasi_does_not_provide_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = module(
        dir.path(),
        "needs-env",
        r#"(module (import "env" "host_magic" (func)) (func (export "_start")))"#,
    );
    for mode in ["jit", "aot"] {
        let out = wasmfaas(&[
            "run",
            "--mode",
            mode,
            "--cache-dir",
            dir.path().join("cache").to_str().unwrap(),
            path.to_str().unwrap(),
        ]);
        assert_clear_error(&out, &["needs-env", "env::host_magic", "WASI"]);
    }
}

#[test]
fn an_artifact_of_another_wasmtime_configuration_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let wasm = wat::parse_str(EXIT_WITH_7).unwrap();
    // Fuel metering changes the code wasmtime generates: such an artifact must not be loaded.
    let mut config = wasmtime::Config::new();
    config.consume_fuel(true);
    let foreign = wasmtime::Engine::new(&config)
        .unwrap()
        .precompile_module(&wasm)
        .unwrap();
    let path = dir.path().join("foreign.cwasm");
    std::fs::write(&path, foreign).unwrap();
    let out = wasmfaas(&["run", "--mode", "aot", path.to_str().unwrap()]);
    assert_clear_error(
        &out,
        &[
            "foreign.cwasm",
            "another wasmtime version or configuration",
            "compile it again",
        ],
    );
    // And a .cwasm is not run as JIT input by mistake.
    assert_clear_error(
        &wasmfaas(&["run", "--mode", "jit", path.to_str().unwrap()]),
        &["--mode aot"],
    );
}

#[test]
fn a_truncated_artifact_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let wasm = wat::parse_str(EXIT_WITH_7).unwrap();
    let artifact = wasmtime::Engine::default()
        .precompile_module(&wasm)
        .unwrap();
    let path = dir.path().join("cut.cwasm");
    std::fs::write(&path, &artifact[..artifact.len() / 2]).unwrap();
    let out = wasmfaas(&["run", "--mode", "aot", path.to_str().unwrap()]);
    assert_clear_error(&out, &["cut.cwasm"]);
}

#[test]
fn an_unknown_function_lists_the_suite() {
    assert_clear_error(
        &wasmfaas(&["run", "matmult"]),
        &["unknown function \"matmult\"", "matmul", "n-body"],
    );
}

#[test]
fn a_bad_dir_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = module(dir.path(), "exit7", EXIT_WITH_7);
    let out = wasmfaas(&["run", "--dir", "/no/such/dir:/data", path.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "clap's usage error: {stderr}");
    assert!(
        stderr.contains("/no/such/dir") && stderr.contains("not an existing directory"),
        "{stderr}"
    );
    let out = wasmfaas(&["run", "--dir", ":/data", path.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("expected HOST[:GUEST]"));
}

#[test]
fn unknown_engine_and_mode_are_refused() {
    assert_clear_error(
        &wasmfaas(&["run", "hello", "--engine", "v8"]),
        &["unknown engine \"v8\"", "wasmtime"],
    );
    assert_clear_error(
        &wasmfaas(&["run", "hello", "--engine", "native", "--mode", "aot"]),
        &["no mode aot"],
    );
}

const INFINITE_LOOP: &str =
    r#"(module (memory (export "memory") 1) (func (export "_start") (loop $spin (br $spin))))"#;

/// Grows memory by 65 535 pages (4 GiB) and traps if that fails.
const GROW_4_GIB: &str = r#"(module (memory (export "memory") 1)
  (func (export "_start")
    (if (i32.eq (memory.grow (i32.const 65535)) (i32.const -1)) (then unreachable))))"#;

#[test]
fn a_runaway_guest_is_stopped_at_its_timeout_on_every_engine() {
    let dir = tempfile::tempdir().unwrap();
    let path = module(dir.path(), "spin", INFINITE_LOOP);
    let cache = dir.path().join("cache");
    for (engine, mode) in [
        ("wasmtime", "jit"),
        ("wasmtime", "aot"),
        ("wasmtime", "baseline"),
        ("wasmi", "interp"),
        ("wasmer", "jit"),
        ("wasmer", "aot"),
    ] {
        let out = wasmfaas(&[
            "run",
            "--engine",
            engine,
            "--mode",
            mode,
            "--timeout",
            "1s",
            "--cache-dir",
            cache.to_str().unwrap(),
            path.to_str().unwrap(),
        ]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(124), "{engine}-{mode}: {stderr}");
        assert!(
            stderr.contains("time limit of 1s"),
            "{engine}-{mode}: {stderr}"
        );
    }
}

#[test]
fn a_native_runaway_is_killed_at_its_timeout() {
    let out = wasmfaas(&[
        "run",
        "--engine",
        "native",
        "--timeout",
        "300ms",
        "/bin/sleep",
        "--",
        "30",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(124), "{stderr}");
    assert!(stderr.contains("time limit of 300ms"), "{stderr}");
}

#[test]
fn a_4_gib_allocation_is_refused_under_max_memory() {
    let dir = tempfile::tempdir().unwrap();
    let path = module(dir.path(), "grow", GROW_4_GIB);
    let cache = dir.path().join("cache");
    let engines = [
        ("wasmtime", "jit"),
        ("wasmtime", "aot"),
        ("wasmi", "interp"),
        ("wasmer", "jit"),
        ("wasmer", "aot"),
    ];
    let run = |engine: &str, mode: &str, limit: &[&str]| {
        let mut args = vec!["run", "--engine", engine, "--mode", mode];
        args.extend_from_slice(limit);
        args.extend([
            "--cache-dir",
            cache.to_str().unwrap(),
            path.to_str().unwrap(),
        ]);
        wasmfaas(&args)
    };
    for (engine, mode) in engines {
        let out = run(engine, mode, &["--max-memory", "64MiB"]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(137), "{engine}-{mode}: {stderr}");
        assert!(
            stderr.contains("it asked for 4096 MiB of memory, over the limit of 64 MiB"),
            "{engine}-{mode}: {stderr}"
        );
        // Without the limit the same module gets its memory.
        let out = run(engine, mode, &[]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{engine}-{mode}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn bad_limits_are_refused() {
    let out = wasmfaas(&["run", "hello", "--timeout", "soon"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad duration \"soon\""));
    let out = wasmfaas(&["run", "hello", "--max-memory", "64 parsecs"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad size"));
    assert_clear_error(
        &wasmfaas(&[
            "run",
            "hello",
            "--engine",
            "native",
            "--max-memory",
            "64MiB",
        ]),
        &["does not apply to --engine native"],
    );
}

#[test]
fn stdin_reaches_the_guest_on_every_engine() {
    built();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let conformance = root.join("artifacts/wasm/conformance.wasm");
    let input = "one\ntwo\nthree\n".repeat(1000);
    for (engine, mode) in [
        ("wasmtime", "jit"),
        ("wasmtime", "baseline"),
        ("wasmi", "interp"),
        ("wasmer", "jit"),
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_wasmfaas"))
            .args([
                "run",
                "--engine",
                engine,
                "--mode",
                mode,
                conformance.to_str().unwrap(),
                "--",
                "stdin",
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "stdin bytes=14000 lines=3000\n",
            "{engine}-{mode}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn an_artifact_of_one_engine_is_refused_by_the_other() {
    built();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let cwasm = root.join("artifacts/aot/wasmtime/hello.cwasm");
    let wasmer_artifact = root.join("artifacts/aot/wasmer/hello.wasmer");
    assert_clear_error(
        &wasmfaas(&[
            "run",
            "--engine",
            "wasmer",
            "--mode",
            "aot",
            cwasm.to_str().unwrap(),
        ]),
        &["hello.cwasm", "is a wasmtime precompiled artifact"],
    );
    assert_clear_error(
        &wasmfaas(&[
            "run",
            "--engine",
            "wasmtime",
            "--mode",
            "aot",
            wasmer_artifact.to_str().unwrap(),
        ]),
        &["hello.wasmer", "is a wasmer precompiled artifact"],
    );
    assert_clear_error(
        &wasmfaas(&[
            "run",
            "--engine",
            "wasmi",
            wasmer_artifact.to_str().unwrap(),
        ]),
        &["hello.wasmer", "wasmi interprets WebAssembly modules"],
    );
    // And each engine runs its own.
    assert!(
        wasmfaas(&[
            "run",
            "--engine",
            "wasmer",
            "--mode",
            "aot",
            wasmer_artifact.to_str().unwrap()
        ])
        .status
        .success()
    );
}

#[test]
fn a_truncated_wasmer_artifact_is_refused() {
    built();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let artifact = std::fs::read(root.join("artifacts/aot/wasmer/hello.wasmer")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cut.wasmer");
    std::fs::write(&path, &artifact[..artifact.len() / 2]).unwrap();
    assert_clear_error(
        &wasmfaas(&[
            "run",
            "--engine",
            "wasmer",
            "--mode",
            "aot",
            path.to_str().unwrap(),
        ]),
        &[
            "cut.wasmer",
            "damaged, or was precompiled by another wasmer version",
        ],
    );
}
