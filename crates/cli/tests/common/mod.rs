//! What the CLI's test binaries share: running wasmfaas, and the suite built once.
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

/// wasmfaas's exit code for its own errors.
pub const EXIT_ERROR: i32 = 125;

/// Runs the wasmfaas binary under test with `args`, stdin closed.
pub fn wasmfaas(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wasmfaas"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("wasmfaas starts")
}

/// The suite built once per test binary (small inputs), for the tests that run functions (not
/// every test binary does).
#[allow(dead_code)]
pub fn built() {
    static BUILT: OnceLock<()> = OnceLock::new();
    BUILT.get_or_init(|| {
        let out = wasmfaas(&["build", "--size", "small"]);
        assert!(
            out.status.success(),
            "wasmfaas build failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    });
}

/// The project's `examples/` folder: users' functions and their manifests.
#[allow(dead_code)]
pub fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

/// The prebuilt example's manifest, after its two files are made as the manifest says a user
/// makes them: the module from `fib.wat`, the executable with the C compiler.
#[allow(dead_code)]
pub fn prebuilt_fib() -> PathBuf {
    static MADE: OnceLock<PathBuf> = OnceLock::new();
    MADE.get_or_init(|| {
        let dir = examples().join("fib");
        let wat = std::fs::read_to_string(dir.join("fib.wat")).unwrap();
        let wasm = wat::parse_str(&wat).expect("fib.wat is valid");
        std::fs::write(dir.join("fib.wasm"), wasm).unwrap();
        let cc = Command::new("cc")
            .args(["-O2", "-o", "fib", "fib.c"])
            .current_dir(&dir)
            .output()
            .expect("the C compiler Rust links with is there");
        assert!(
            cc.status.success(),
            "{}",
            String::from_utf8_lossy(&cc.stderr)
        );
        dir.join("functions.toml")
    })
    .clone()
}

/// Benches `selection` (the flags that choose functions, environments, size) with `runs` runs
/// per cell and no warmup, the suite as built, into `dir/runset`.
#[allow(dead_code)]
pub fn quiet_bench(
    dir: &Path,
    selection: &[&str],
    runs: &str,
) -> (std::process::Output, std::path::PathBuf) {
    let runset = dir.join("runset");
    let mut args = vec!["bench"];
    args.extend_from_slice(selection);
    args.extend([
        "--runs",
        runs,
        "--warmup",
        "0",
        "--no-progress",
        "--no-build",
        "--output",
        runset.to_str().unwrap(),
    ]);
    (wasmfaas(&args), runset)
}

/// Benches the functions of `manifest` in `environments`, `runs` runs each without warmup, into
/// `dir/runset`.
#[allow(dead_code)]
pub fn manifest_bench(
    dir: &Path,
    manifest: &Path,
    environments: &str,
    runs: &str,
) -> (std::process::Output, std::path::PathBuf) {
    let selection = [
        "--manifest",
        manifest.to_str().unwrap(),
        "--environments",
        environments,
    ];
    quiet_bench(dir, &selection, runs)
}
