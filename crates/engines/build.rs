//! Records the versions of the engines this crate links, read from the workspace's Cargo.lock,
//! so reports and AOT cache keys name the exact engine build.
use std::path::Path;

const ENGINES: &[(&str, &str)] = &[
    ("wasmtime", "WASMFAAS_WASMTIME_VERSION"),
    ("wasmi", "WASMFAAS_WASMI_VERSION"),
    ("wasmer", "WASMFAAS_WASMER_VERSION"),
];

fn main() {
    let lock_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../Cargo.lock");
    println!("cargo:rerun-if-changed={}", lock_path.display());
    let lock = std::fs::read_to_string(&lock_path).unwrap_or_default();
    for (package, variable) in ENGINES {
        let version = locked_version(&lock, package).unwrap_or_else(|| "unknown".to_owned());
        println!("cargo:rustc-env={variable}={version}");
    }
}

/// The version of `package` in a Cargo.lock, if it is there once.
fn locked_version(lock: &str, package: &str) -> Option<String> {
    let needle = format!("name = \"{package}\"\nversion = \"");
    let start = lock.find(&needle)? + needle.len();
    let end = lock[start..].find('"')?;
    Some(lock[start..start + end].to_owned())
}
