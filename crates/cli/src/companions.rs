//! The project's other binaries that `bench` drives, wasmfaas-runtime (the OCI runtime the runc
//! shim runs for WebAssembly containers), containerd-shim-wasmfaas-v1 (wasmfaas's containerd
//! shim) and the lean runners of `process` (`wasmfaas-run-<engine>`), brought up to date with
//! cargo as `bench` brings the suite up to date: `cargo run --release -- bench` builds only
//! `wasmfaas`, and a new machine needs no second step.
use std::path::{Path, PathBuf};
use std::process::Command;

use wasmfaas_bench::Environment;
use wasmfaas_bench::environment::LauncherKind;

/// The project binary that runs `environment`'s WebAssembly, if it is not `wasmfaas` itself:
/// wasmfaas-runtime (under runc's shim), wasmfaas's shim, or the engine's lean runner
/// (`process`).
fn companion_of(environment: &Environment) -> Option<&'static str> {
    match environment.launcher {
        _ if !environment.is_wasm() => None,
        LauncherKind::Oci | LauncherKind::Containerd => Some(wasmfaas_names::RUNTIME_BINARY),
        LauncherKind::ContainerdShim => Some(wasmfaas_names::SHIM_BINARY),
        LauncherKind::Process => wasmfaas_runner::runner_binary(&environment.engine),
        LauncherKind::Embedded => None,
    }
}

/// The project binaries that `environments` need, each once; the shim with its creator.
pub fn of(environments: &[Environment]) -> Vec<&'static str> {
    let mut binaries: Vec<&str> = environments.iter().filter_map(companion_of).collect();
    if binaries.contains(&wasmfaas_names::SHIM_BINARY) {
        binaries.push(wasmfaas_names::SHIM_CREATOR_BINARY);
    }
    binaries.sort_unstable();
    binaries.dedup();
    binaries
}

/// The shim and its creator: what runs containers through wasmfaas's shim.
pub fn of_shim() -> Vec<&'static str> {
    vec![
        wasmfaas_names::SHIM_BINARY,
        wasmfaas_names::SHIM_CREATOR_BINARY,
    ]
}

/// Builds `binaries` and records the outcome in `host`: their paths, or why the WebAssembly
/// container environments that need them cannot run. A runner that could not be built leaves
/// its engine to `wasmfaas run`, as the report then says.
pub fn bring(layout: &wasmfaas_suite::Layout, binaries: &[&str], host: &mut wasmfaas_bench::Host) {
    if binaries.is_empty() {
        return;
    }
    let project = layout.artifacts.parent().unwrap_or(Path::new("."));
    // Two cargo runs: the runners need no libseccomp, so a machine that cannot build the
    // container binaries still gets them.
    let runners: Vec<(&str, &str)> = binaries
        .iter()
        .filter_map(|&binary| wasmfaas_runner::runner_engine(binary).map(|e| (binary, e)))
        .collect();
    let containers: Vec<&str> = binaries
        .iter()
        .copied()
        .filter(|&binary| wasmfaas_runner::runner_engine(binary).is_none())
        .collect();
    if !runners.is_empty() {
        let names: Vec<&str> = runners.iter().map(|(binary, _)| *binary).collect();
        let outcome = build(project, &names);
        for (binary, engine) in runners {
            match &outcome {
                Ok(Some(folder)) => {
                    host.runners.insert(engine.to_owned(), folder.join(binary));
                }
                Ok(None) => {}
                Err(reason) => {
                    host.runners.remove(engine);
                    eprintln!(
                        "wasmfaas bench: process/{engine}-* runs as `wasmfaas run --engine {engine}`: {reason}"
                    );
                }
            }
        }
    }
    if containers.is_empty() {
        return;
    }
    let outcome = build(project, &containers);
    for binary in containers {
        let slot = match binary {
            wasmfaas_names::SHIM_BINARY => &mut host.shim,
            wasmfaas_names::RUNTIME_BINARY => &mut host.runtime,
            // Built in the same cargo run as the shim, beside it.
            _ => continue,
        };
        match &outcome {
            Ok(Some(folder)) => *slot = Ok(folder.join(binary)),
            Ok(None) => {}
            Err(reason) => *slot = Err(reason.clone()),
        }
    }
}

/// Builds `binaries` (of this workspace) beside the running `wasmfaas` (same cargo target
/// folder, profile and WasmEdge feature) from the checkout at `project`, in one cargo run that
/// does nothing when they are current; returns the folder they are in. `Ok(None)`: this
/// `wasmfaas` was not built by cargo in that checkout, so there is nothing to build from (they
/// are then looked for on PATH). `Err`: why they could not be built, with what to do.
pub fn build(project: &Path, binaries: &[&str]) -> Result<Option<PathBuf>, String> {
    let Some((target_dir, profile)) = std::env::current_exe()
        .ok()
        .and_then(|exe| cargo_output_of(&exe))
    else {
        return Ok(None);
    };
    let manifest = project.join("Cargo.toml");
    if !project.join("crates/runtime/Cargo.toml").is_file() || binaries.is_empty() {
        return Ok(None);
    }
    let names = binaries.join(" and ");
    let by_hand = format!(
        "cargo build --release --workspace{}",
        binaries
            .iter()
            .map(|b| format!(" --bin {b}"))
            .collect::<String>()
    );
    // libcontainer (in the runtime and the shim, not the runners) links libseccomp: without its
    // development files cargo would fail minutes into the build with a linker error.
    let containers = binaries.iter().any(|b| {
        [
            wasmfaas_names::RUNTIME_BINARY,
            wasmfaas_names::SHIM_BINARY,
            wasmfaas_names::SHIM_CREATOR_BINARY,
        ]
        .contains(b)
    });
    let seccomp = !containers
        || Command::new("pkg-config")
            .args(["--exists", "libseccomp"])
            .status()
            .is_ok_and(|s| s.success());
    if !seccomp {
        return Err(format!(
            "{names} link libseccomp, whose development files are not installed (apt-get install libseccomp-dev pkg-config)"
        ));
    }
    let mut command = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    // `--workspace --bin`, not `--package`: cargo resolves features over the packages it is
    // given, and the runtime's dependencies alone resolve differently from the workspace's, so
    // `--package` compiled wasmtime, wasmer and cranelift a second time (4 minutes, 217 units);
    // resolved with the workspace, they share them with `cargo run` and `cargo test`.
    command.args(["build", "--workspace"]);
    for binary in binaries {
        command.args(["--bin", binary]);
    }
    command
        .arg("--manifest-path")
        .arg(&manifest)
        .arg("--target-dir")
        .arg(&target_dir);
    match profile.as_str() {
        "release" => {
            command.arg("--release");
        }
        "debug" => {}
        other => {
            command.args(["--profile", other]);
        }
    }
    if cfg!(feature = "wasmedge") {
        command.args([
            "--features",
            "wasmfaas-runtime/wasmedge,wasmfaas-shim/wasmedge",
        ]);
    }
    super::commands::notice(&format!("bringing {names} up to date ({by_hand})"));
    let folder = target_dir.join(&profile);
    let all_built = || binaries.iter().all(|b| folder.join(b).is_file());
    let status = match run_unless_locked(&mut command)
        .map_err(|e| format!("cannot run cargo to build {names}: {e}"))?
    {
        Some(status) => status,
        // Another cargo holds the target folder: the `cargo test` that runs this bench, or an
        // editor's. Waiting could be forever (a test waits for us); what it builds is as
        // current as that cargo makes it.
        None if all_built() => {
            super::commands::notice(&format!(
                "another cargo holds {}; using the {names} already built there",
                target_dir.display()
            ));
            return Ok(Some(folder));
        }
        None => {
            return Err(format!(
                "{names} not built, and another cargo holds {} (build with: {by_hand})",
                target_dir.display()
            ));
        }
    };
    if !status.success() {
        return Err(format!(
            "building {names} failed (cargo's errors are above; build with: {by_hand})"
        ));
    }
    Ok(Some(folder))
}

/// Runs cargo with its stderr passed through line by line; `None` (and cargo stopped) if it
/// would wait for another cargo's lock on the build folder.
fn run_unless_locked(command: &mut Command) -> std::io::Result<Option<std::process::ExitStatus>> {
    use std::io::{BufRead, Write};
    let mut child = command.stderr(std::process::Stdio::piped()).spawn()?;
    let stderr = child.stderr.take().expect("stderr is piped");
    for line in std::io::BufReader::new(stderr).lines() {
        let line = line?;
        if line.contains("Blocking waiting for file lock") {
            child.kill().ok();
            child.wait()?;
            return Ok(None);
        }
        writeln!(std::io::stderr(), "{line}").ok();
    }
    child.wait().map(Some)
}

/// The cargo target folder and profile an executable was built into (`target/release/wasmfaas`
/// → `target`, `release`), if it lies where cargo puts binaries.
fn cargo_output_of(exe: &Path) -> Option<(PathBuf, String)> {
    let profile_dir = exe.parent()?;
    let target_dir = profile_dir.parent()?;
    // cargo marks its target folder with CACHEDIR.TAG, and keeps each profile's deps/ in it.
    if !target_dir.join("CACHEDIR.TAG").is_file() || !profile_dir.join("deps").is_dir() {
        return None;
    }
    let profile = profile_dir.file_name()?.to_str()?.to_owned();
    Some((target_dir.to_path_buf(), profile))
}

#[cfg(test)]
mod tests {
    use super::{cargo_output_of, of};
    use wasmfaas_bench::Environment;

    #[test]
    fn the_shim_is_built_with_its_creator_and_each_binary_once() {
        let environments: Vec<Environment> = [
            "containerd-shim/wasmtime-aot",
            "containerd-shim/wasmi-interp",
            "containerd/wasmtime-aot",
            "containerd/native-static",
        ]
        .iter()
        .map(|e| Environment::parse(e).unwrap())
        .collect();
        assert_eq!(
            of(&environments),
            [
                wasmfaas_names::SHIM_BINARY,
                wasmfaas_names::RUNTIME_BINARY,
                wasmfaas_names::SHIM_CREATOR_BINARY
            ]
        );
        let native = [Environment::parse("containerd/native-static").unwrap()];
        assert!(of(&native).is_empty());
    }

    #[test]
    fn only_a_binary_in_a_cargo_target_folder_is_rebuilt_from_source() {
        let dir = tempfile::tempdir().unwrap();
        let release = dir.path().join("target/release");
        std::fs::create_dir_all(release.join("deps")).unwrap();
        let exe = release.join("wasmfaas");
        assert_eq!(cargo_output_of(&exe), None, "no CACHEDIR.TAG: not cargo's");
        std::fs::write(dir.path().join("target/CACHEDIR.TAG"), "").unwrap();
        assert_eq!(
            cargo_output_of(&exe),
            Some((dir.path().join("target"), "release".to_owned()))
        );
        assert_eq!(cargo_output_of(&dir.path().join("bin/wasmfaas")), None);
    }
}
