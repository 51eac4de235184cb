//! `cargo xtask test`: what a new machine needs for the tests, then the tests.
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use crate::packages::{self, PACKAGES, Package};

/// Installs what is missing (as root), builds the suite, runs every test; `cargo_test_args` go
/// to `cargo test` of the workspace.
pub fn run(cargo_test_args: &[String]) -> Result<(), String> {
    let started = Instant::now();
    let root = project_root();
    prepare_machine()?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let release = ["--release", "--workspace"];
    step("compiling the workspace's tests (cargo test --release --workspace --no-run)");
    run_in(
        &root,
        Command::new(&cargo)
            .arg("test")
            .args(release)
            .arg("--no-run"),
    )?;
    // The runtime's and the containers' tests run the suite's artifacts, which `wasmfaas build`
    // makes (and which the suite's own tests would make only when their turn comes).
    let wasmfaas = target_dir(&root).join("release/wasmfaas");
    step("building the suite (wasmfaas build --size small,paper)");
    run_in(
        &root,
        Command::new(&wasmfaas).args(["build", "--size", "small,paper"]),
    )?;
    // Every test binary runs, so one failure does not hide the rest.
    step("running the tests (cargo test --release --workspace --no-fail-fast)");
    run_in(
        &root,
        Command::new(&cargo)
            .arg("test")
            .args(release)
            .arg("--no-fail-fast")
            .args(cargo_test_args),
    )?;
    if cargo_test_args.is_empty() {
        step(
            "running the functions' own tests (in functions/: cargo test --release -p wasmfaas-workload)",
        );
        run_in(
            &root.join("functions"),
            Command::new(&cargo).args(["test", "--release", "-p", "wasmfaas-workload"]),
        )?;
    }
    eprintln!(
        "xtask: every test passed in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Installs the missing packages as root; elsewhere says what is missing: an error when the
/// build needs it, else which tests skip.
fn prepare_machine() -> Result<(), String> {
    if !packages::debian() {
        eprintln!(
            "xtask: note: not a Debian system (no dpkg/apt-get): install yourself {}",
            names(PACKAGES.iter())
        );
        return Ok(());
    }
    let missing: Vec<&Package> = PACKAGES
        .iter()
        .filter(|p| !packages::installed(p.name))
        .collect();
    let root = is_root();
    if !missing.is_empty() {
        if root {
            packages::install(&missing)?;
        } else {
            let to_build: Vec<&&Package> = missing.iter().filter(|p| p.to_build).collect();
            if !to_build.is_empty() {
                return Err(format!(
                    "the build needs {}, which are not installed; as root this command installs them, or run: sudo apt-get install {}",
                    names(to_build.iter().map(|p| **p)),
                    names(missing.iter().copied())
                ));
            }
            eprintln!(
                "xtask: note: not installed here: {}; the tests that use them skip and say why (as root this command installs them)",
                names(missing.iter().copied())
            );
        }
    }
    if !root {
        eprintln!(
            "xtask: note: not root: the tests that start containers (runc, containerd, the CRI) skip and say why; run as root for the whole suite"
        );
    }
    Ok(())
}

fn names<'a>(packages: impl Iterator<Item = &'a Package>) -> String {
    packages.map(|p| p.name).collect::<Vec<_>>().join(" ")
}

fn step(what: &str) {
    eprintln!("xtask: {what}");
}

/// Runs `command` in `dir`, its output passed through; an error unless it succeeds.
fn run_in(dir: &Path, command: &mut Command) -> Result<(), String> {
    let shown = format!("{command:?}");
    let status = command
        .current_dir(dir)
        .status()
        .map_err(|e| format!("cannot run {shown}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{shown} failed ({status})"))
    }
}

/// The checkout this xtask was built in.
fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask/ is in the project root")
        .to_path_buf()
}

/// Where cargo puts the workspace's binaries.
fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
}

fn is_root() -> bool {
    // Without libc: the effective uid is in /proc/self/status ("Uid: real effective ...").
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("Uid:"))
                .and_then(|ids| ids.split_whitespace().nth(1).map(|e| e == "0"))
        })
        .unwrap_or(false)
}
