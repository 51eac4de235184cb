//! What the CLI's test binaries share: running wasmfaas, and the suite built once.
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
