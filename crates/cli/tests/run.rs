//! `wasmfaas run` as a user meets it: exit codes, stdio, and one clear line for bad input. Every
//! case of a program given by path runs twice: as `wasmfaas run --engine E` and as E's lean
//! runner `wasmfaas-run-E` (what `process` runs), which must behave the same.
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

mod common;

use common::{EXIT_ERROR, built, wasmfaas};

/// The lean runner of `engine`, which `cargo test --workspace` builds beside wasmfaas.
fn runner(engine: &str) -> PathBuf {
    let path =
        Path::new(env!("CARGO_BIN_EXE_wasmfaas")).with_file_name(format!("wasmfaas-run-{engine}"));
    assert!(
        path.is_file(),
        "{} is not built: run the tests with `cargo test --workspace`, or build it with `cargo build --release --workspace --bin wasmfaas-run-{engine}`",
        path.display()
    );
    path
}

/// Runs `args` with `engine` both ways, stdin closed: `wasmfaas run --engine E ARGS` and
/// `wasmfaas-run-E ARGS`. Each output comes with the way's name, for assertion messages.
fn both(engine: &str, args: &[&str]) -> [(String, Output); 2] {
    let mut full = vec!["run", "--engine", engine];
    full.extend_from_slice(args);
    let lean = Command::new(runner(engine))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("the runner starts");
    [
        (format!("wasmfaas run --engine {engine}"), wasmfaas(&full)),
        (format!("wasmfaas-run-{engine}"), lean),
    ]
}

const EXIT_TRAP: i32 = 134;

/// A module written in the text format, saved as a binary `.wasm` in `dir`.
fn module(dir: &Path, name: &str, wat: &str) -> PathBuf {
    let path = dir.join(format!("{name}.wasm"));
    std::fs::write(&path, wat::parse_str(wat).expect("valid wat")).unwrap();
    path
}

/// Asserts the `way` run (wasmfaas or a runner) refused with exit 125 and one line on stderr
/// containing every `needle`.
fn assert_clear_error(out: &Output, needles: &[&str], way: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(EXIT_ERROR),
        "{way}: stderr: {stderr}"
    );
    assert_eq!(
        stderr.trim_end().lines().count(),
        1,
        "{way}: one line expected, got:\n{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{way}: {stderr}");
    for needle in needles {
        assert!(
            stderr.contains(needle),
            "{way}: {needle:?} not in: {stderr}"
        );
    }
}

const EXIT_WITH_7: &str = r#"(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start") (call $exit (i32.const 7))))"#;

/// Every WebAssembly engine and mode of this build but WasmEdge's (a feature, with no runner).
const ENGINE_MODES: [(&str, &str); 6] = [
    ("wasmtime", "jit"),
    ("wasmtime", "aot"),
    ("wasmtime", "baseline"),
    ("wasmi", "interp"),
    ("wasmer", "jit"),
    ("wasmer", "aot"),
];

#[test]
fn the_guest_exit_code_is_wasmfaas_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let path = module(dir.path(), "exit7", EXIT_WITH_7);
    let cache = dir.path().join("cache");
    for (engine, mode) in ENGINE_MODES {
        let args = [
            "--mode",
            mode,
            "--cache-dir",
            cache.to_str().unwrap(),
            path.to_str().unwrap(),
        ];
        for (way, out) in both(engine, &args) {
            assert_eq!(
                out.status.code(),
                Some(7),
                "{way} --mode {mode}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
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
    for engine in ["wasmtime", "wasmi", "wasmer"] {
        for (way, out) in both(engine, &[path.to_str().unwrap()]) {
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(EXIT_TRAP), "{way}: {stderr}");
            assert!(stderr.contains("trapped"), "{way}: {stderr}");
        }
    }
    let out = wasmfaas(&["run", path.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("unreachable"), "{stderr}");
}

#[test]
fn stdout_args_and_env_reach_the_guest() {
    built();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let hello = root.join("artifacts/wasm/hello.wasm");
    // whatlang takes its text as arguments: they must arrive as separate arguments, in order.
    let whatlang = root.join("artifacts/wasm/whatlang.wasm");
    let text = [
        "Der", "schnelle", "braune", "Fuchs", "springt", "über", "den", "faulen", "Hund",
    ];
    for engine in ["wasmtime", "wasmi", "wasmer"] {
        for (way, out) in both(engine, &[hello.to_str().unwrap()]) {
            assert!(out.status.success(), "{way}");
            assert_eq!(
                String::from_utf8_lossy(&out.stdout),
                "hello from wasmfaas\n",
                "{way}"
            );
        }
        let mut args = vec![whatlang.to_str().unwrap(), "--"];
        args.extend(text);
        for (way, out) in both(engine, &args) {
            assert_eq!(
                String::from_utf8_lossy(&out.stdout),
                "texts: 1\nlanguages: deu=1\n",
                "{way}"
            );
        }
    }
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
    for engine in ["wasmtime", "wasmi", "wasmer"] {
        for (way, out) in both(engine, &["./no-such-module.wasm"]) {
            assert_clear_error(&out, &["no-such-module.wasm", "cannot read"], &way);
        }
    }
}

#[test]
fn a_file_that_is_not_wasm_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.wasm");
    std::fs::write(&path, "just some text\n").unwrap();
    for (engine, mode) in ENGINE_MODES {
        for (way, out) in both(engine, &["--mode", mode, path.to_str().unwrap()]) {
            assert_clear_error(&out, &["notes.wasm", "neither a WebAssembly module"], &way);
        }
    }
}

#[test]
fn an_import_wasi_does_not_provide_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = module(
        dir.path(),
        "needs-env",
        r#"(module (import "env" "host_magic" (func)) (func (export "_start")))"#,
    );
    let cache = dir.path().join("cache");
    for (engine, mode) in ENGINE_MODES {
        let args = [
            "--mode",
            mode,
            "--cache-dir",
            cache.to_str().unwrap(),
            path.to_str().unwrap(),
        ];
        for (way, out) in both(engine, &args) {
            assert_clear_error(&out, &["needs-env", "env::host_magic"], &way);
        }
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
    for (way, out) in both("wasmtime", &["--mode", "aot", path.to_str().unwrap()]) {
        assert_clear_error(
            &out,
            &[
                "foreign.cwasm",
                "another wasmtime version or configuration",
                "compile it again",
            ],
            &way,
        );
    }
    // And a .cwasm is not run as JIT input by mistake.
    for (way, out) in both("wasmtime", &["--mode", "jit", path.to_str().unwrap()]) {
        assert_clear_error(&out, &["--mode aot"], &way);
    }
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
    for (way, out) in both("wasmtime", &["--mode", "aot", path.to_str().unwrap()]) {
        assert_clear_error(&out, &["cut.cwasm"], &way);
    }
}

#[test]
fn an_unknown_function_lists_the_suite() {
    assert_clear_error(
        &wasmfaas(&["run", "matmult"]),
        &["unknown function \"matmult\"", "matmul", "n-body"],
        "wasmfaas run",
    );
}

#[test]
fn a_bad_dir_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = module(dir.path(), "exit7", EXIT_WITH_7);
    for (way, out) in both(
        "wasmtime",
        &["--dir", "/no/such/dir:/data", path.to_str().unwrap()],
    ) {
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{way}: clap's usage error: {stderr}"
        );
        assert!(
            stderr.contains("/no/such/dir") && stderr.contains("not an existing directory"),
            "{way}: {stderr}"
        );
    }
    for (way, out) in both("wasmi", &["--dir", ":/data", path.to_str().unwrap()]) {
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("expected HOST[:GUEST]"), "{way}: {stderr}");
    }
}

#[test]
fn unknown_engine_and_mode_are_refused() {
    assert_clear_error(
        &wasmfaas(&["run", "hello", "--engine", "v8"]),
        &["unknown engine \"v8\"", "wasmtime"],
        "wasmfaas run",
    );
    assert_clear_error(
        &wasmfaas(&["run", "hello", "--engine", "native", "--mode", "aot"]),
        &["no mode aot"],
        "wasmfaas run",
    );
    for (engine, mode, modes) in [
        ("wasmi", "jit", "interp"),
        ("wasmer", "interp", "jit, aot"),
        ("wasmtime", "native", "jit, aot, baseline"),
    ] {
        for (way, out) in both(engine, &["--mode", mode, "./module.wasm"]) {
            assert_clear_error(
                &out,
                &[&format!(
                    "engine {engine} has no mode {mode}: use one of {modes}"
                )],
                &way,
            );
        }
    }
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
    for (engine, mode) in ENGINE_MODES {
        let args = [
            "--mode",
            mode,
            "--timeout",
            "1s",
            "--cache-dir",
            cache.to_str().unwrap(),
            path.to_str().unwrap(),
        ];
        for (way, out) in both(engine, &args) {
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(
                out.status.code(),
                Some(124),
                "{way} --mode {mode}: {stderr}"
            );
            assert!(
                stderr.contains("time limit of 1s"),
                "{way} --mode {mode}: {stderr}"
            );
        }
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
        let mut args = vec!["--mode", mode];
        args.extend_from_slice(limit);
        args.extend([
            "--cache-dir",
            cache.to_str().unwrap(),
            path.to_str().unwrap(),
        ]);
        both(engine, &args)
    };
    for (engine, mode) in engines {
        for (way, out) in run(engine, mode, &["--max-memory", "64MiB"]) {
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(
                out.status.code(),
                Some(137),
                "{way} --mode {mode}: {stderr}"
            );
            assert!(
                stderr.contains("it asked for 4096 MiB of memory, over the limit of 64 MiB"),
                "{way} --mode {mode}: {stderr}"
            );
        }
        // Without the limit the same module gets its memory.
        for (way, out) in run(engine, mode, &[]) {
            assert_eq!(
                out.status.code(),
                Some(0),
                "{way} --mode {mode}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}

#[test]
fn bad_limits_are_refused() {
    for (way, out) in both("wasmtime", &["--timeout", "soon", "./module.wasm"]) {
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{way}: {stderr}");
        assert!(stderr.contains("bad duration \"soon\""), "{way}: {stderr}");
    }
    for (way, out) in both("wasmer", &["--max-memory", "64 parsecs", "./module.wasm"]) {
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{way}: {stderr}");
        assert!(stderr.contains("bad size"), "{way}: {stderr}");
    }
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
        "wasmfaas run",
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
        let args = ["--mode", mode, conformance.to_str().unwrap(), "--", "stdin"];
        let mut full = vec!["run", "--engine", engine];
        full.extend(args);
        for (way, mut command) in [
            ("wasmfaas run", Command::new(env!("CARGO_BIN_EXE_wasmfaas"))),
            ("runner", Command::new(runner(engine))),
        ] {
            command.args(if way == "runner" {
                &args[..]
            } else {
                &full[..]
            });
            let mut child = command
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
                "{way} {engine}-{mode}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}

/// The WASI conformance program, case by case: every engine and mode, run by `wasmfaas run` and
/// by the runner, prints the same bytes and exits with the same code.
#[test]
fn the_wasi_conformance_program_sees_the_same_on_every_runner() {
    built();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let conformance = root.join("artifacts/wasm/conformance.wasm");
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    std::fs::write(dir.path().join("outside.txt"), "secret").unwrap();
    std::os::unix::fs::symlink(dir.path(), data.join("link-out")).unwrap();
    for i in 0..40 {
        std::fs::write(data.join(format!("entry-{:02}", (i * 7) % 40)), "").unwrap();
    }
    let outside = dir.path().join("outside.txt");
    let preopen = format!("{}:/data", data.display());
    let cases: [(&str, Vec<&str>); 8] = [
        ("args", vec!["args", "two words", "x"]),
        ("env", vec!["env"]),
        ("files", vec!["files", "/data"]),
        ("list", vec!["list", "/data"]),
        ("escape", vec!["escape", "/data", outside.to_str().unwrap()]),
        ("exit", vec!["exit", "7"]),
        ("bulk", vec!["bulk", "20000"]),
        ("clock", vec!["clock"]),
    ];
    for (case, guest) in &cases {
        let mut seen: Option<(String, Option<i32>, String)> = None;
        for (engine, mode) in ENGINE_MODES {
            let mut args = vec![
                "--mode",
                mode,
                "--cache-dir",
                cache.to_str().unwrap(),
                "--dir",
                &preopen,
                "--env",
                "GREETING=hello there",
                "--env",
                "EMPTY=",
                conformance.to_str().unwrap(),
                "--",
            ];
            args.extend(guest.iter().copied());
            for (way, out) in both(engine, &args) {
                let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
                let now = (stdout, out.status.code(), format!("{way} --mode {mode}"));
                match &seen {
                    None => seen = Some(now),
                    Some(first) => assert_eq!(
                        (&now.0, now.1),
                        (&first.0, first.1),
                        "{case}: {} differs from {}: {}",
                        now.2,
                        first.2,
                        String::from_utf8_lossy(&out.stderr)
                    ),
                }
            }
        }
        let (stdout, code, _) = seen.unwrap();
        // What each case must print, whatever the engine.
        let expected_code = if *case == "exit" { 7 } else { 0 };
        assert_eq!(code, Some(expected_code), "{case}: {stdout}");
        match *case {
            "args" => assert_eq!(
                stdout,
                "argv[0]=conformance\nargv[1]=args\nargv[2]=two words\nargv[3]=x\n"
            ),
            "env" => assert_eq!(stdout, "EMPTY=\nGREETING=hello there\n"),
            "files" => assert!(
                stdout.starts_with("read=\"written by the guest\\n\""),
                "{stdout}"
            ),
            "escape" => assert!(
                !stdout.contains("allowed") && stdout.lines().count() == 3,
                "{stdout}"
            ),
            // The host's own order, which is not the names' order.
            "list" => assert_eq!(
                stdout,
                std::fs::read_dir(&data)
                    .unwrap()
                    .map(|e| format!("{}\n", e.unwrap().file_name().to_string_lossy()))
                    .collect::<String>()
            ),
            "bulk" => assert_eq!(stdout.lines().count(), 20000),
            "clock" => assert_eq!(stdout, "wall_after_2020=true monotonic=true\n"),
            _ => {}
        }
    }
}

#[test]
fn an_artifact_of_one_engine_is_refused_by_the_other() {
    built();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let cwasm = root.join("artifacts/aot/wasmtime/hello.cwasm");
    let wasmer_artifact = root.join("artifacts/aot/wasmer/hello.wasmer");
    for (engine, args, needles) in [
        (
            "wasmer",
            ["--mode", "aot", cwasm.to_str().unwrap()],
            ["hello.cwasm", "is a wasmtime precompiled artifact"],
        ),
        (
            "wasmtime",
            ["--mode", "aot", wasmer_artifact.to_str().unwrap()],
            ["hello.wasmer", "is a wasmer precompiled artifact"],
        ),
        (
            "wasmi",
            ["--mode", "interp", wasmer_artifact.to_str().unwrap()],
            ["hello.wasmer", "wasmi interprets WebAssembly modules"],
        ),
    ] {
        for (way, out) in both(engine, &args) {
            assert_clear_error(&out, &needles, &way);
        }
    }
    // And each engine runs its own.
    for (engine, artifact) in [("wasmer", &wasmer_artifact), ("wasmtime", &cwasm)] {
        for (way, out) in both(engine, &["--mode", "aot", artifact.to_str().unwrap()]) {
            assert!(
                out.status.success(),
                "{way}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert_eq!(
                String::from_utf8_lossy(&out.stdout),
                "hello from wasmfaas\n"
            );
        }
    }
}

#[test]
fn a_truncated_wasmer_artifact_is_refused() {
    built();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let artifact = std::fs::read(root.join("artifacts/aot/wasmer/hello.wasmer")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cut.wasmer");
    std::fs::write(&path, &artifact[..artifact.len() / 2]).unwrap();
    for (way, out) in both("wasmer", &["--mode", "aot", path.to_str().unwrap()]) {
        assert_clear_error(
            &out,
            &[
                "cut.wasmer",
                "damaged, or was precompiled by another wasmer version",
            ],
            &way,
        );
    }
}
