//! The Rust targets the suite is built for, added with rustup when the toolchain lacks them.
//!
//! `rust-toolchain.toml` names both targets, but rustup (1.29) adds a toolchain file's targets
//! only when it installs the toolchain itself: on a machine that already has Rust 1.95.0 they are
//! missing, and cargo would find out only after compiling every dependency. A target's standard
//! library is looked for before anything is compiled.
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::build::BuildError;

/// The toolchain that builds the functions: the `rustc` and `rustup` that cargo uses in the
/// functions' folder (so `rust-toolchain.toml` picks the version).
#[derive(Debug, Clone)]
pub struct Toolchain {
    /// The folder the tools run in.
    pub dir: PathBuf,
    /// The compiler.
    pub rustc: OsString,
    /// rustup, if this machine has it.
    pub rustup: Option<PathBuf>,
}

impl Toolchain {
    /// The toolchain on PATH, run in `dir`.
    pub fn on_path(dir: &Path) -> Self {
        Self {
            dir: dir.to_path_buf(),
            rustc: "rustc".into(),
            rustup: on_path("rustup"),
        }
    }

    /// Where the standard library of `target` is (or would be) in this toolchain's sysroot.
    pub fn target_libdir(&self, target: &str) -> Result<PathBuf, BuildError> {
        let output = Command::new(&self.rustc)
            .args(["--print", "target-libdir", "--target", target])
            .current_dir(&self.dir)
            .output()
            .map_err(|source| BuildError::Toolchain {
                problem: format!(
                    "cannot run {}: {source}; is the Rust toolchain installed (rustup)?",
                    self.rustc.to_string_lossy()
                ),
            })?;
        if !output.status.success() {
            return Err(BuildError::Toolchain {
                problem: format!(
                    "`{} --print target-libdir --target {target}` failed: {}",
                    self.rustc.to_string_lossy(),
                    String::from_utf8_lossy(&output.stderr).trim()
                ),
            });
        }
        Ok(PathBuf::from(
            String::from_utf8_lossy(&output.stdout).trim(),
        ))
    }

    /// Whether the standard library of `target` is installed.
    pub fn has_target(&self, target: &str) -> Result<bool, BuildError> {
        Ok(has_core(&self.target_libdir(target)?))
    }

    /// Adds every target of `targets` this toolchain lacks with `rustup target add`, saying so
    /// through `notice` first; without rustup, names the command that would.
    pub fn ensure_targets(
        &self,
        targets: &[&str],
        notice: &mut dyn FnMut(&str),
    ) -> Result<(), BuildError> {
        for &target in targets {
            if self.has_target(target)? {
                continue;
            }
            let Some(rustup) = &self.rustup else {
                return Err(BuildError::Toolchain {
                    problem: format!(
                        "the Rust target {target} is not installed and rustup is not on PATH; \
                         the suite is built for it: install it with `rustup target add {target}` \
                         (or your toolchain's standard library for {target})"
                    ),
                });
            };
            notice(&format!(
                "adding the Rust target {target}, which the suite is built for (rustup target add {target})"
            ));
            let status = Command::new(rustup)
                .args(["target", "add", target])
                .current_dir(&self.dir)
                .status()
                .map_err(|source| BuildError::Toolchain {
                    problem: format!("cannot run {}: {source}", rustup.display()),
                })?;
            if !status.success() || !self.has_target(target)? {
                return Err(BuildError::Toolchain {
                    problem: format!(
                        "`rustup target add {target}` did not install the target ({status}); its errors are above"
                    ),
                });
            }
        }
        Ok(())
    }
}

/// Whether `libdir` holds a standard library (its `core`).
fn has_core(libdir: &Path) -> bool {
    std::fs::read_dir(libdir).is_ok_and(|entries| {
        entries.flatten().any(|entry| {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            name.starts_with("libcore-") && name.ends_with(".rlib")
        })
    })
}

/// The executable called `name` on PATH.
fn on_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    /// A script at `path` running `body` under sh.
    fn script(path: &Path, body: &str) {
        std::fs::write(path, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    /// A toolchain whose rustc reports a sysroot in `dir` with the targets in `installed`, and
    /// (if `rustup`) a rustup that installs a target there and logs its arguments.
    fn fake(dir: &Path, installed: &[&str], rustup: bool) -> Toolchain {
        let sysroot = dir.join("sysroot/lib/rustlib");
        for target in installed {
            std::fs::create_dir_all(sysroot.join(target).join("lib")).unwrap();
            std::fs::write(sysroot.join(target).join("lib/libcore-0123.rlib"), "").unwrap();
        }
        // rustc --print target-libdir --target T
        script(
            &dir.join("rustc"),
            &format!("echo {}/$4/lib", sysroot.display()),
        );
        // rustup target add T
        script(
            &dir.join("rustup"),
            &format!(
                "echo \"$@\" >> {log}\nmkdir -p {root}/$3/lib && touch {root}/$3/lib/libcore-4567.rlib",
                log = dir.join("rustup.log").display(),
                root = sysroot.display()
            ),
        );
        Toolchain {
            dir: dir.to_path_buf(),
            rustc: dir.join("rustc").into(),
            rustup: rustup.then(|| dir.join("rustup")),
        }
    }

    const TARGETS: [&str; 2] = ["wasm32-wasip1", "x86_64-unknown-linux-musl"];

    #[test]
    fn a_missing_target_is_added_with_rustup_and_said_first() {
        let dir = tempfile::tempdir().unwrap();
        let toolchain = fake(dir.path(), &["wasm32-wasip1"], true);
        assert!(toolchain.has_target("wasm32-wasip1").unwrap());
        assert!(!toolchain.has_target("x86_64-unknown-linux-musl").unwrap());
        let mut notices = Vec::new();
        toolchain
            .ensure_targets(&TARGETS, &mut |line| notices.push(line.to_owned()))
            .unwrap();
        let log = std::fs::read_to_string(dir.path().join("rustup.log")).unwrap();
        assert_eq!(log, "target add x86_64-unknown-linux-musl\n");
        assert_eq!(notices.len(), 1, "{notices:?}");
        assert!(
            notices[0].contains("rustup target add x86_64-unknown-linux-musl"),
            "{notices:?}"
        );
        assert!(toolchain.has_target("x86_64-unknown-linux-musl").unwrap());
        // Now nothing is missing: rustup is not called again.
        toolchain.ensure_targets(&TARGETS, &mut |_| {}).unwrap();
        let log = std::fs::read_to_string(dir.path().join("rustup.log")).unwrap();
        assert_eq!(log.lines().count(), 1);
    }

    #[test]
    fn without_rustup_the_error_names_the_command() {
        let dir = tempfile::tempdir().unwrap();
        let toolchain = fake(dir.path(), &[], false);
        let error = toolchain
            .ensure_targets(&TARGETS, &mut |_| panic!("nothing is added"))
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("wasm32-wasip1") && error.contains("rustup target add wasm32-wasip1"),
            "{error}"
        );
    }

    #[test]
    fn a_rustup_that_fails_is_an_error_not_a_late_compile_failure() {
        let dir = tempfile::tempdir().unwrap();
        let toolchain = fake(dir.path(), &[], true);
        script(&dir.path().join("rustup"), "echo offline >&2; exit 1");
        let error = toolchain
            .ensure_targets(&TARGETS, &mut |_| {})
            .unwrap_err()
            .to_string();
        assert!(error.contains("did not install"), "{error}");
    }

    #[test]
    fn the_real_toolchain_reports_its_host_target() {
        let toolchain = Toolchain::on_path(Path::new(env!("CARGO_MANIFEST_DIR")));
        let host = std::env::consts::ARCH.to_owned() + "-unknown-linux-gnu";
        assert!(toolchain.has_target(&host).unwrap(), "{host}");
    }
}
