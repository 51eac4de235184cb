//! Every function of the suite in every environment (native, wasmtime, wasmer, wasmi, and WasmEdge
//! in builds that have it; small, and paper for the AOT ones): each run exits 0 and passes its
//! output check. The suite is built once per test binary (cargo is incremental, so an unchanged
//! suite costs seconds).
use wasmfaas_engines::{
    AotCache, Engine, Mode, NativeEngine, WasmerEngine, WasmiEngine, WasmtimeEngine,
};
use wasmfaas_suite::build::NativeBuild;
use wasmfaas_suite::{Layout, Size, functions, runner};

mod common;
use common::layout;

/// Runs every function at `size` on `engine` in `mode` (native code: the `native` build);
/// returns the failures, one line each.
fn run_all(engine: &dyn Engine, mode: Mode, native: NativeBuild, size: Size) -> Vec<String> {
    let layout = layout();
    let cache_dir = tempfile::tempdir().unwrap();
    let cache = AotCache::new(cache_dir.path());
    let mut failures = Vec::new();
    for function in functions() {
        let output = tempfile::tempdir().unwrap();
        let result = runner::prepare(
            layout,
            function,
            size,
            engine,
            mode,
            native,
            output.path(),
            &cache,
        )
        .and_then(|prepared| {
            runner::run(&prepared, engine, mode).map(|outcome| (prepared, outcome))
        });
        match result {
            Err(e) => failures.push(format!("{}: {e}", function.name)),
            Ok((_, outcome)) if outcome.exit_code != 0 => failures.push(format!(
                "{}: exit code {} {:?}",
                function.name, outcome.exit_code, outcome.trap
            )),
            Ok((prepared, outcome)) => {
                let stdout = outcome.stdout.unwrap_or_default();
                if let Err(e) = wasmfaas_suite::check(
                    function,
                    size,
                    &stdout,
                    output.path(),
                    &prepared.inputs_dir,
                ) {
                    failures.push(e.to_string());
                }
            }
        }
    }
    failures
}

/// One test per environment and size: every function runs there and passes its check.
macro_rules! every_function_passes {
    ($($test:ident: $engine:expr, $mode:expr, $size:expr;)*) => {$(
        #[test]
        fn $test() {
            let failures = run_all(&$engine, $mode, NativeBuild::Glibc, $size);
            assert!(failures.is_empty(), "{failures:#?}");
        }
    )*};
}

every_function_passes! {
    natively_small: NativeEngine, Mode::Native, Size::Small;
    natively_paper: NativeEngine, Mode::Native, Size::Paper;
    in_wasmtime_jit_small: WasmtimeEngine::new(), Mode::Jit, Size::Small;
    in_wasmtime_aot_small: WasmtimeEngine::new(), Mode::Aot, Size::Small;
    in_wasmtime_baseline_small: WasmtimeEngine::new(), Mode::Baseline, Size::Small;
    in_wasmtime_aot_paper: WasmtimeEngine::new(), Mode::Aot, Size::Paper;
    in_wasmi_small: WasmiEngine::new(), Mode::Interp, Size::Small;
    in_wasmer_jit_small: WasmerEngine::new(), Mode::Jit, Size::Small;
    in_wasmer_aot_small: WasmerEngine::new(), Mode::Aot, Size::Small;
    in_wasmer_aot_paper: WasmerEngine::new(), Mode::Aot, Size::Paper;
}

/// The static (musl) binaries, which the `native-static` images and `process/native-static` run.
#[test]
fn natively_static_small_and_paper() {
    for size in [Size::Small, Size::Paper] {
        let failures = run_all(&NativeEngine, Mode::Native, NativeBuild::Static, size);
        assert!(failures.is_empty(), "{size}: {failures:#?}");
    }
}

/// Both native builds are what they say: the glibc one asks for the dynamic loader, the
/// static one does not.
#[test]
fn the_glibc_binary_is_dynamic_and_the_musl_one_static() {
    let layout = layout();
    let has_interpreter = |build: NativeBuild| {
        let elf = std::fs::read(layout.native("hello", build)).unwrap();
        // An ELF64 program header of type PT_INTERP (3) names the dynamic loader.
        let phoff = u64::from_le_bytes(elf[32..40].try_into().unwrap()) as usize;
        let phentsize = u16::from_le_bytes(elf[54..56].try_into().unwrap()) as usize;
        let phnum = u16::from_le_bytes(elf[56..58].try_into().unwrap()) as usize;
        (0..phnum).any(|i| {
            let at = phoff + i * phentsize;
            u32::from_le_bytes(elf[at..at + 4].try_into().unwrap()) == 3
        })
    };
    assert!(has_interpreter(NativeBuild::Glibc));
    assert!(!has_interpreter(NativeBuild::Static));
}

/// WasmEdge, in builds that have it (the `wasmedge` feature of wasmfaas-engines): every function
/// at size small, interpreted and AOT-compiled.
#[test]
fn in_wasmedge_interp_and_aot_small() {
    let Ok(engine) = wasmfaas_engines::engine("wasmedge") else {
        eprintln!("skipped: this build has no WasmEdge engine (the `wasmedge` feature)");
        return;
    };
    for mode in [Mode::Interp, Mode::Aot] {
        let failures = run_all(engine.as_ref(), mode, NativeBuild::Glibc, Size::Small);
        assert!(failures.is_empty(), "wasmedge-{mode}: {failures:#?}");
    }
}

#[test]
fn checks_refuse_tampered_output() {
    let layout = layout();
    let cache_dir = tempfile::tempdir().unwrap();
    let cache = AotCache::new(cache_dir.path());
    for function in functions() {
        let output = tempfile::tempdir().unwrap();
        let prepared = runner::prepare(
            layout,
            function,
            Size::Small,
            &NativeEngine,
            Mode::Native,
            NativeBuild::Glibc,
            output.path(),
            &cache,
        )
        .unwrap();
        let outcome = runner::run(&prepared, &NativeEngine, Mode::Native).unwrap();
        let stdout = outcome.stdout.unwrap();
        let check = |stdout: &[u8]| {
            wasmfaas_suite::check(
                function,
                Size::Small,
                stdout,
                output.path(),
                &prepared.inputs_dir,
            )
        };
        check(&stdout).unwrap_or_else(|e| panic!("true output refused: {e}"));
        assert!(
            check(b"").is_err(),
            "{}: empty stdout accepted",
            function.name
        );
        // Change the leading digit of the first number printed: every check reads it exactly.
        let text = String::from_utf8(stdout.clone()).unwrap();
        if let Some(at) = text.find(|c: char| c.is_ascii_digit() && c != '0') {
            assert!(
                check(&bump_digit(&text, at)).is_err(),
                "{}: a changed first number was accepted",
                function.name
            );
        }
        // Change the last digit printed, where the function's output is exact (the others end
        // with floating-point values that their checks compare within a stated tolerance).
        let inexact = ["float-operation", "linear-equations", "matmul", "n-body"];
        if !inexact.contains(&function.name)
            && let Some(at) = text.rfind(|c: char| c.is_ascii_digit())
        {
            assert!(
                check(&bump_digit(&text, at)).is_err(),
                "{}: a changed last digit was accepted",
                function.name
            );
        }
    }
}

/// `text` with the digit at byte `at` changed to another digit.
fn bump_digit(text: &str, at: usize) -> Vec<u8> {
    let mut bytes = text.as_bytes().to_vec();
    bytes[at] = if bytes[at] == b'9' {
        b'1'
    } else {
        bytes[at] + 1
    };
    bytes
}

#[test]
fn a_wrong_output_file_fails_the_check() {
    let layout = layout();
    let cache_dir = tempfile::tempdir().unwrap();
    let cache = AotCache::new(cache_dir.path());
    let function = wasmfaas_suite::find("audio-sine-wave").unwrap();
    let output = tempfile::tempdir().unwrap();
    let prepared = runner::prepare(
        layout,
        function,
        Size::Small,
        &NativeEngine,
        Mode::Native,
        NativeBuild::Glibc,
        output.path(),
        &cache,
    )
    .unwrap();
    let outcome = runner::run(&prepared, &NativeEngine, Mode::Native).unwrap();
    let wav = output.path().join("sine.wav");
    let mut bytes = std::fs::read(&wav).unwrap();
    // Sample 100 (little-endian i16 after the 44-byte header) moved by 2 LSB: beyond tolerance.
    let at = 44 + 2 * 100;
    let sample = i16::from_le_bytes([bytes[at], bytes[at + 1]]).wrapping_add(2);
    bytes[at..at + 2].copy_from_slice(&sample.to_le_bytes());
    std::fs::write(&wav, bytes).unwrap();
    let err = wasmfaas_suite::check(
        function,
        Size::Small,
        &outcome.stdout.unwrap(),
        output.path(),
        &prepared.inputs_dir,
    )
    .unwrap_err();
    assert!(err.to_string().contains("sample 100"), "{err}");
}

#[test]
fn a_missing_build_is_reported_with_the_command_to_run() {
    let empty = tempfile::tempdir().unwrap();
    let layout = Layout::in_project(empty.path());
    let cache = AotCache::new(empty.path().join("cache"));
    let function = wasmfaas_suite::find("matmul").unwrap();
    let err = runner::prepare(
        &layout,
        function,
        Size::Small,
        &WasmtimeEngine::new(),
        Mode::Jit,
        NativeBuild::Glibc,
        empty.path(),
        &cache,
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("matmul.wasm is missing")
            && err.to_string().contains("wasmfaas build"),
        "{err}"
    );
    let function = wasmfaas_suite::find("checksum").unwrap();
    let err = runner::prepare(
        &layout,
        function,
        Size::Large,
        &NativeEngine,
        Mode::Native,
        NativeBuild::Glibc,
        empty.path(),
        &cache,
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("wasmfaas build --size large"),
        "{err}"
    );
}

/// A read-only bind mount of `source`, unmounted when dropped (containers mount inputs so).
struct ReadOnlyMount(tempfile::TempDir);

impl ReadOnlyMount {
    fn of(source: &std::path::Path) -> Option<ReadOnlyMount> {
        let target = tempfile::tempdir().unwrap();
        let mount = |args: &[&std::ffi::OsStr]| {
            std::process::Command::new("mount")
                .args(args)
                .status()
                .is_ok_and(|s| s.success())
        };
        let path = target.path().as_os_str().to_owned();
        if !mount(&["--bind".as_ref(), source.as_os_str(), &path]) {
            return None;
        }
        let mounted = ReadOnlyMount(target);
        mount(&["-o".as_ref(), "remount,bind,ro".as_ref(), &path]).then_some(mounted)
    }
}

impl Drop for ReadOnlyMount {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg(self.0.path())
            .status();
    }
}

#[test]
fn every_engine_reads_inputs_from_a_read_only_mount() {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI runs the tests as root"
        );
        eprintln!("skipped: a read-only bind mount needs root");
        return;
    }
    let layout = layout();
    let inputs = layout.inputs(Size::Small);
    let mount = ReadOnlyMount::of(&inputs).expect("a read-only bind mount of the inputs");
    let cache_dir = tempfile::tempdir().unwrap();
    let cache = AotCache::new(cache_dir.path());
    let engines: [(Box<dyn Engine>, Mode); 3] = [
        (Box::new(WasmtimeEngine::new()), Mode::Jit),
        (Box::new(WasmerEngine::new()), Mode::Jit),
        (Box::new(WasmiEngine::new()), Mode::Interp),
    ];
    let mut failures = Vec::new();
    for (engine, mode) in &engines {
        for name in [
            "checksum",
            "fuzzysearch",
            "imageprocessing",
            "zip-compression",
        ] {
            let function = wasmfaas_suite::find(name).unwrap();
            let output = tempfile::tempdir().unwrap();
            let mut prepared = runner::prepare(
                layout,
                function,
                Size::Small,
                engine.as_ref(),
                *mode,
                NativeBuild::Glibc,
                output.path(),
                &cache,
            )
            .unwrap();
            for preopen in &mut prepared.invocation.preopens {
                if preopen.host == inputs {
                    preopen.host = mount.0.path().to_path_buf();
                }
            }
            let outcome = runner::run(&prepared, engine.as_ref(), *mode).unwrap();
            let stdout = outcome.stdout.unwrap_or_default();
            if outcome.exit_code != 0 {
                failures.push(format!(
                    "{name} on {}: exit {}: {}",
                    engine.name(),
                    outcome.exit_code,
                    outcome.trap.unwrap_or_default()
                ));
            } else if let Err(e) =
                wasmfaas_suite::check(function, Size::Small, &stdout, output.path(), &inputs)
            {
                failures.push(format!("{name} on {}: {e}", engine.name()));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
