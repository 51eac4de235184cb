//! Engine conformance: the same small WASI programs on every wasm engine and mode must give the
//! same observable behaviour (stdout byte for byte, exit code, effects on the host), and every
//! attempt to leave a preopened directory must fail everywhere.

use wasmfaas_engines::{
    AotCache, EXIT_TRAP, Engine, Invocation, Mode, Preopen, Program, StdoutMode, WasmerEngine,
    WasmiEngine, WasmtimeEngine,
};
use wasmfaas_suite::build::NativeBuild;

mod common;

/// Every wasm engine and mode of this build (WasmEdge's where the build has it).
fn engines() -> Vec<(Box<dyn Engine>, Mode)> {
    let mut engines: Vec<(Box<dyn Engine>, Mode)> = vec![
        (Box::new(WasmtimeEngine::new()), Mode::Jit),
        (Box::new(WasmtimeEngine::new()), Mode::Aot),
        (Box::new(WasmtimeEngine::new()), Mode::Baseline),
        (Box::new(WasmiEngine::new()), Mode::Interp),
        (Box::new(WasmerEngine::new()), Mode::Jit),
        (Box::new(WasmerEngine::new()), Mode::Aot),
    ];
    for mode in [Mode::Interp, Mode::Aot] {
        if let Ok(wasmedge) = wasmfaas_engines::engine("wasmedge") {
            engines.push((wasmedge, mode));
        }
    }
    engines
}

/// Runs the conformance program with `args` on every engine; returns (environment, exit, stdout).
fn run_everywhere(
    args: &[&str],
    env: &[(&str, &str)],
    preopens: &[Preopen],
) -> Vec<(String, i32, String)> {
    let wasm = common::layout().wasm("conformance");
    let cache_dir = tempfile::tempdir().unwrap();
    let cache = AotCache::new(cache_dir.path());
    engines()
        .into_iter()
        .map(|(engine, mode)| {
            let program = match mode {
                Mode::Aot => cache.artifact_for(engine.as_ref(), &wasm).unwrap(),
                _ => Program::open(&wasm).unwrap(),
            };
            let invocation = Invocation {
                program_name: "conformance".into(),
                args: args.iter().map(|a| a.to_string()).collect(),
                env: env
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                preopens: preopens.to_vec(),
                stdin: Default::default(),
                stdout: StdoutMode::Capture { limit: 64 << 20 },
                limits: Default::default(),
            };
            let outcome = engine.run(&program, mode, &invocation).unwrap();
            let stdout = String::from_utf8(outcome.stdout.unwrap()).unwrap();
            (
                format!("{}-{mode}", engine.name()),
                outcome.exit_code,
                stdout,
            )
        })
        .collect()
}

/// Asserts every engine gave `expected` (exit code and stdout).
fn assert_all(results: &[(String, i32, String)], exit: i32, expected: &str) {
    for (environment, code, stdout) in results {
        assert_eq!((*code, stdout.as_str()), (exit, expected), "{environment}");
    }
}

#[test]
fn argv_arrives_whole_and_in_order() {
    let results = run_everywhere(&["args", "two words", "--flag=x", "ünïcode", ""], &[], &[]);
    assert_all(
        &results,
        0,
        "argv[0]=conformance\nargv[1]=args\nargv[2]=two words\nargv[3]=--flag=x\nargv[4]=ünïcode\nargv[5]=\n",
    );
}

#[test]
fn the_environment_is_exactly_what_was_given() {
    let results = run_everywhere(&["env"], &[("B_VAR", "x y"), ("A_VAR", "1=2")], &[]);
    assert_all(&results, 0, "A_VAR=1=2\nB_VAR=x y\n");
}

#[test]
fn files_inside_a_preopen_can_be_written_read_listed_and_removed() {
    for (environment, code, stdout) in {
        let dir = tempfile::tempdir().unwrap();
        let results = run_everywhere(
            &["files", "/work"],
            &[],
            &[Preopen {
                host: dir.path().into(),
                guest: "/work".into(),
            }],
        );
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            0,
            "the guest cleaned up after itself"
        );
        results
    } {
        assert_eq!(
            (code, stdout.as_str()),
            (
                0,
                "read=\"written by the guest\\n\" listed=[\"conformance.txt\"]\n"
            ),
            "{environment}"
        );
    }
}

#[test]
fn a_preopened_directory_is_listed_in_the_hosts_order() {
    // Enough entries that a listing takes several fd_readdir calls (a WASI libc reads 4 KiB at
    // a time), made out of name order, with a subdirectory opened below the preopen.
    let dir = tempfile::tempdir().unwrap();
    let mut names: Vec<String> = (0..300)
        .map(|i| format!("entry-{:03}", (i * 7) % 300))
        .collect();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    for name in &names {
        std::fs::write(dir.path().join(name), name).unwrap();
        std::fs::write(dir.path().join("sub").join(name), name).unwrap();
    }
    // What the program prints natively, listing the host directory itself.
    let native = wasmfaas_engines::NativeEngine;
    let program =
        Program::open(common::layout().native("conformance", NativeBuild::Glibc)).unwrap();
    let invocation = Invocation {
        program_name: "conformance".into(),
        args: vec!["list".into(), dir.path().to_str().unwrap().into()],
        stdout: StdoutMode::Capture { limit: 1 << 20 },
        ..Invocation::default()
    };
    let outcome = native.run(&program, Mode::Native, &invocation).unwrap();
    let host_order = String::from_utf8(outcome.stdout.unwrap()).unwrap();
    let printed: Vec<&str> = host_order.lines().collect();
    assert_eq!(printed.len(), 2 * 300 + 1, "{host_order}");
    names.push("sub/".into());
    names.sort();
    let top: Vec<&str> = printed
        .iter()
        .copied()
        .filter(|l| !l.contains("/e"))
        .collect();
    assert_ne!(
        top, names,
        "the host lists this directory in name order: the test proves nothing"
    );

    let results = run_everywhere(
        &["list", "/data"],
        &[],
        &[Preopen {
            host: dir.path().into(),
            guest: "/data".into(),
        }],
    );
    assert_all(&results, 0, &host_order);
}

#[test]
fn every_way_out_of_a_preopen_is_refused() {
    let outside = tempfile::tempdir().unwrap();
    let sandbox = outside.path().join("sandbox");
    std::fs::create_dir(&sandbox).unwrap();
    let secret = outside.path().join("outside.txt");
    std::fs::write(&secret, "outside").unwrap();
    std::os::unix::fs::symlink(outside.path(), sandbox.join("link-out")).unwrap();
    let secret = secret.to_str().unwrap();
    let preopen = Preopen {
        host: sandbox.clone(),
        guest: "/sandbox".into(),
    };
    let results = run_everywhere(&["escape", "/sandbox", secret], &[], &[preopen]);
    assert_all(
        &results,
        0,
        "dotdot: read=refused write=refused\nabsolute: read=refused write=refused\nsymlink: read=refused write=refused\n",
    );
    let written: Vec<_> = std::fs::read_dir(outside.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        written.len(),
        2,
        "nothing but outside.txt and sandbox/ outside: {written:?}"
    );

    // The control: the same probe run natively, with no sandbox, does get out.
    let native = wasmfaas_engines::NativeEngine;
    let program =
        Program::open(common::layout().native("conformance", NativeBuild::Glibc)).unwrap();
    let invocation = Invocation {
        program_name: "conformance".into(),
        args: vec![
            "escape".into(),
            sandbox.to_str().unwrap().into(),
            secret.into(),
        ],
        stdout: StdoutMode::Capture { limit: 1 << 20 },
        ..Invocation::default()
    };
    let outcome = native.run(&program, Mode::Native, &invocation).unwrap();
    assert_eq!(
        String::from_utf8(outcome.stdout.unwrap()).unwrap(),
        "dotdot: read=allowed write=allowed\nabsolute: read=allowed write=allowed\nsymlink: read=allowed write=allowed\n"
    );
}

#[test]
fn exit_codes_and_traps_are_the_same_everywhere() {
    assert_all(&run_everywhere(&["exit", "3"], &[], &[]), 3, "");
    assert_all(&run_everywhere(&["exit", "0"], &[], &[]), 0, "");
    assert_all(&run_everywhere(&["trap"], &[], &[]), EXIT_TRAP, "");
}

#[test]
fn large_stdout_arrives_complete() {
    let results = run_everywhere(&["bulk", "200000"], &[], &[]);
    let expected: String = (0..200_000).map(|i| format!("line {i:08}\n")).collect();
    assert_all(&results, 0, &expected);
}

#[test]
fn clocks_work() {
    assert_all(
        &run_everywhere(&["clock"], &[], &[]),
        0,
        "wall_after_2020=true monotonic=true\n",
    );
}
