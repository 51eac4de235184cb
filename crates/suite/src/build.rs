//! Building the suite: the functions for wasm32-wasip1 and natively (dynamically against glibc,
//! as the paper's images, and static against musl), the AOT artifacts of each module, and the
//! inputs.
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};
use wasmfaas_engines::{Engine, EngineError};

use crate::toolchain::Toolchain;
use crate::{Layout, Size, functions, inputs};

/// The WebAssembly target of the modules.
pub const WASM_TARGET: &str = "wasm32-wasip1";

/// How a native binary of the suite is linked. Both are measured: the paper's images hold
/// `cargo build --release` binaries linked against glibc, and a static binary is what a
/// `scratch` image can hold (it skips the dynamic loader, but has musl's allocator).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NativeBuild {
    /// Dynamically linked against glibc (`x86_64-unknown-linux-gnu`), as the paper built them.
    Glibc,
    /// Statically linked against musl (`x86_64-unknown-linux-musl`): runs on any base.
    Static,
}

impl NativeBuild {
    /// Both builds, the paper's first.
    pub const ALL: [NativeBuild; 2] = [NativeBuild::Glibc, NativeBuild::Static];

    /// The Rust target it is compiled for.
    pub fn target(self) -> &'static str {
        match self {
            NativeBuild::Glibc => "x86_64-unknown-linux-gnu",
            NativeBuild::Static => "x86_64-unknown-linux-musl",
        }
    }

    /// Its folder in the artifacts, and its name in environment names (`process/native-static`).
    pub fn dir(self) -> &'static str {
        match self {
            NativeBuild::Glibc => "native",
            NativeBuild::Static => "native-static",
        }
    }

    /// What it is, for reports: `glibc, dynamically linked`.
    pub fn describe(self) -> &'static str {
        match self {
            NativeBuild::Glibc => "glibc, dynamically linked",
            NativeBuild::Static => "musl, statically linked",
        }
    }
}

/// Programs built with the suite that are not functions of it: the WASI conformance program, and
/// the sandbox container of the CRI test.
pub const TOOLS: &[&str] = &["conformance", "pause"];

/// Why the suite could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// cargo could not be started.
    #[error("cannot run cargo for {}: {source}; is the Rust toolchain installed (rustup)?", manifest.display())]
    Cargo {
        /// The functions' manifest.
        manifest: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The Rust toolchain lacks what the suite is built with.
    #[error("{problem}")]
    Toolchain {
        /// What is missing and the command that adds it.
        problem: String,
    },
    /// cargo failed.
    #[error("cargo build --target {target} failed for {} (its errors are above); if the target is missing: rustup target add {target}", manifest.display())]
    Compile {
        /// The target.
        target: &'static str,
        /// The functions' manifest.
        manifest: PathBuf,
    },
    /// An artifact could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// An engine could not precompile a module.
    #[error("precompiling {function}: {source}")]
    Precompile {
        /// The function.
        function: &'static str,
        /// The engine's error.
        source: EngineError,
    },
    /// Inputs could not be generated.
    #[error(transparent)]
    Inputs(#[from] inputs::InputError),
}

/// The sizes of one function's artifacts, in bytes.
#[derive(Debug, Clone)]
pub struct ArtifactSizes {
    /// The function.
    pub function: &'static str,
    /// Its module.
    pub wasm: u64,
    /// Its AOT artifact per engine: (engine, bytes).
    pub aot: Vec<(&'static str, u64)>,
    /// Its native binary linked against glibc.
    pub native: u64,
    /// Its static (musl) native binary.
    pub native_static: u64,
}

/// Compiles the functions for `target` with cargo (incremental: unchanged code is not rebuilt).
/// cargo's own progress and errors go to stderr.
pub fn compile(layout: &Layout, target: &'static str) -> Result<(), BuildError> {
    let manifest = layout.source.join("Cargo.toml");
    let status = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .args([
            "build",
            "--release",
            "--workspace",
            "--target",
            target,
            "--manifest-path",
        ])
        .arg(&manifest)
        .current_dir(&layout.source)
        // When run under `cargo run`/`cargo test`, do not inherit the outer build's settings.
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_BUILD_TARGET")
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .status()
        .map_err(|source| BuildError::Cargo {
            manifest: manifest.clone(),
            source,
        })?;
    if status.success() {
        Ok(())
    } else {
        Err(BuildError::Compile { target, manifest })
    }
}

/// Copies `from` to `to` unless `to` already has the same bytes (keeps mtimes of unchanged files).
fn install(from: &Path, to: &Path) -> Result<(), BuildError> {
    let err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| BuildError::Write { path, source }
    };
    let bytes = std::fs::read(from).map_err(err(from))?;
    if std::fs::read(to).is_ok_and(|old| old == bytes) {
        return Ok(());
    }
    std::fs::create_dir_all(to.parent().unwrap_or(Path::new("."))).map_err(err(to))?;
    std::fs::write(to, &bytes).map_err(err(to))?;
    set_executable(to).map_err(err(to))
}

fn set_executable(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
}

/// The key file next to an AOT artifact: what it was compiled from and by.
fn aot_key_path(artifact: &Path) -> PathBuf {
    let mut name = artifact.as_os_str().to_owned();
    name.push(".key");
    PathBuf::from(name)
}

fn aot_key(wasm: &[u8], engine: &dyn Engine) -> String {
    format!(
        "{} {}",
        hex::encode(Sha256::digest(wasm)),
        engine.artifact_fingerprint()
    )
}

/// Whether `artifact` was compiled from this `wasm` by this engine build and configuration.
pub fn aot_is_current(artifact: &Path, wasm: &Path, engine: &dyn Engine) -> bool {
    let (Ok(key), Ok(bytes)) = (
        std::fs::read_to_string(aot_key_path(artifact)),
        std::fs::read(wasm),
    ) else {
        return false;
    };
    artifact.is_file() && key == aot_key(&bytes, engine)
}

/// Compiles every module ahead of time for `engine`, unless its artifact is current.
pub fn precompile(layout: &Layout, engine: &dyn Engine) -> Result<(), BuildError> {
    for function in functions() {
        let wasm_path = layout.wasm(function.name);
        let artifact = layout.aot(engine.name(), function.name, engine.artifact_extension());
        if aot_is_current(&artifact, &wasm_path, engine) {
            continue;
        }
        let wasm = std::fs::read(&wasm_path).map_err(|source| BuildError::Write {
            path: wasm_path.clone(),
            source,
        })?;
        let compiled = engine
            .precompile(&wasm)
            .map_err(|source| BuildError::Precompile {
                function: function.name,
                source,
            })?;
        let write = |path: &Path, bytes: &[u8]| {
            std::fs::create_dir_all(path.parent().unwrap_or(Path::new(".")))
                .and_then(|()| std::fs::write(path, bytes))
                .map_err(|source| BuildError::Write {
                    path: path.to_path_buf(),
                    source,
                })
        };
        write(&artifact, &compiled)?;
        write(&aot_key_path(&artifact), aot_key(&wasm, engine).as_bytes())?;
    }
    Ok(())
}

/// Builds everything: modules and native binaries, AOT artifacts for `engines`, and the inputs
/// of `sizes`. Returns the artifact sizes. A Rust target the toolchain lacks is added first
/// (rustup), after a line through `notice` saying so.
pub fn build_all(
    layout: &Layout,
    engines: &[Box<dyn Engine>],
    sizes: &[Size],
    notice: &mut dyn FnMut(&str),
) -> Result<Vec<ArtifactSizes>, BuildError> {
    let targets = [
        WASM_TARGET,
        NativeBuild::Glibc.target(),
        NativeBuild::Static.target(),
    ];
    Toolchain::on_path(&layout.source).ensure_targets(&targets, notice)?;
    for target in targets {
        compile(layout, target)?;
    }
    let target_dir = layout.source.join("target");
    let programs = functions()
        .iter()
        .map(|f| f.name)
        .chain(TOOLS.iter().copied());
    for name in programs {
        let built = |target: &str, file: &str| target_dir.join(target).join("release").join(file);
        install(
            &built(WASM_TARGET, &format!("{name}.wasm")),
            &layout.wasm(name),
        )?;
        for build in NativeBuild::ALL {
            install(&built(build.target(), name), &layout.native(name, build))?;
        }
    }
    for engine in engines {
        precompile(layout, engine.as_ref())?;
    }
    for &size in sizes {
        inputs::generate(size, &layout.inputs(size))?;
    }
    Ok(artifact_sizes(layout, engines))
}

/// The sizes of every function's built artifacts (0 where one is missing).
pub fn artifact_sizes(layout: &Layout, engines: &[Box<dyn Engine>]) -> Vec<ArtifactSizes> {
    let size = |path: PathBuf| std::fs::metadata(path).map_or(0, |m| m.len());
    functions()
        .iter()
        .map(|f| ArtifactSizes {
            function: f.name,
            wasm: size(layout.wasm(f.name)),
            aot: engines
                .iter()
                .map(|e| {
                    (
                        e.name(),
                        size(layout.aot(e.name(), f.name, e.artifact_extension())),
                    )
                })
                .collect(),
            native: size(layout.native(f.name, NativeBuild::Glibc)),
            native_static: size(layout.native(f.name, NativeBuild::Static)),
        })
        .collect()
}
