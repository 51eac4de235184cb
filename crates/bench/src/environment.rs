//! Environments: launcher × engine × mode, the unit the report compares.
use std::fmt;

use wasmfaas_engines::{Engine, Mode};
use wasmfaas_suite::build::NativeBuild;

use crate::{BenchError, Host};

/// How one run is started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LauncherKind {
    /// Inside the harness: the engine shared by the process, a fresh store per run, phases timed.
    Embedded,
    /// A fresh OS process per run: the native binary, or the engine's lean runner
    /// (`wasmfaas-run-<engine>`) of the module or artifact.
    Process,
    /// An OCI runtime's create/start/delete on an unpacked bundle.
    Oci,
    /// A fresh container per run through containerd and its runc shim, with wasmfaas-runtime in
    /// runc's place for WebAssembly (the paper's integration, with crun there).
    Containerd,
    /// A fresh WebAssembly container per run through containerd and wasmfaas's own shim,
    /// `containerd-shim-wasmfaas-v1`, which runs the guest without runc's process chain.
    ContainerdShim,
}

impl LauncherKind {
    /// Every launcher of the design, the most paper-like last.
    pub const ALL: [LauncherKind; 5] = [
        LauncherKind::Embedded,
        LauncherKind::Process,
        LauncherKind::Oci,
        LauncherKind::Containerd,
        LauncherKind::ContainerdShim,
    ];

    /// The name in environment names and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            LauncherKind::Embedded => "embedded",
            LauncherKind::Process => "process",
            LauncherKind::Oci => "oci",
            LauncherKind::Containerd => "containerd",
            LauncherKind::ContainerdShim => "containerd-shim",
        }
    }

    fn parse(s: &str) -> Option<LauncherKind> {
        Self::ALL.into_iter().find(|l| l.as_str() == s)
    }
}

/// The root filesystem of a native container.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Base {
    /// The static binary alone.
    Static,
    /// The binary on a distroless-like base.
    Distroless,
    /// The binary on a Debian minbase root.
    Debian,
}

impl Base {
    /// Every base, smallest first.
    pub const ALL: [Base; 3] = [Base::Static, Base::Distroless, Base::Debian];

    /// The name in environment names (`native-distroless`).
    pub fn as_str(self) -> &'static str {
        match self {
            Base::Static => "static",
            Base::Distroless => "distroless",
            Base::Debian => "debian",
        }
    }

    /// The native build on this base: the paper's images hold the glibc-linked binary; only a
    /// static one runs alone.
    pub fn native_build(self) -> NativeBuild {
        match self {
            Base::Static => NativeBuild::Static,
            Base::Distroless | Base::Debian => NativeBuild::Glibc,
        }
    }

    /// The base of a native image variant (`None` for WebAssembly variants).
    pub fn of_variant(variant: &wasmfaas_oci::Variant) -> Option<Base> {
        Base::ALL
            .into_iter()
            .find(|base| base.variant() == *variant)
    }

    /// The image variant holding the binary on this base.
    pub fn variant(self) -> wasmfaas_oci::Variant {
        match self {
            Base::Static => wasmfaas_oci::Variant::NativeStatic,
            Base::Distroless => wasmfaas_oci::Variant::NativeDistroless,
            Base::Debian => wasmfaas_oci::Variant::NativeDebian,
        }
    }
}

/// One environment: `launcher/engine-mode`; native code is `process/native` (glibc) or
/// `process/native-static` (musl), or `launcher/native-base` in a container.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Environment {
    /// How a run is started.
    pub launcher: LauncherKind,
    /// The engine's name (`native`, `wasmtime`, …).
    pub engine: String,
    /// How the engine gets machine code.
    pub mode: Mode,
    /// The container's root filesystem, for native code in a container; for a native process,
    /// `Some(Base::Static)` is the static binary and `None` the glibc one.
    pub base: Option<Base>,
}

impl Environment {
    /// The environment of `engine` in `mode` under `launcher`.
    pub fn new(launcher: LauncherKind, engine: &str, mode: Mode) -> Self {
        Self {
            launcher,
            engine: engine.to_owned(),
            mode,
            base: None,
        }
    }

    /// Native code in a container on `base`, under `launcher` (`oci` or `containerd`), or the
    /// static binary as a process (`process` and `Base::Static`).
    pub fn native_on(launcher: LauncherKind, base: Base) -> Self {
        Self {
            base: Some(base),
            ..Self::new(launcher, "native", Mode::Native)
        }
    }

    /// The native binary this environment runs (glibc unless it is the static one).
    pub fn native_build(&self) -> NativeBuild {
        self.base.map_or(NativeBuild::Glibc, Base::native_build)
    }

    /// The part after the launcher: `wasmtime-aot`, `native`, `native-distroless`.
    pub fn engine_mode(&self) -> String {
        match (self.mode, self.base) {
            (Mode::Native, Some(base)) => format!("{}-{}", self.engine, base.as_str()),
            (Mode::Native, None) => self.engine.clone(),
            (mode, _) => format!("{}-{mode}", self.engine),
        }
    }

    /// Whether the code runs as WebAssembly.
    pub fn is_wasm(&self) -> bool {
        self.mode != Mode::Native
    }

    /// Parses `launcher/engine-mode` or `launcher/native`.
    pub fn parse(name: &str) -> Result<Environment, String> {
        let bad = |why: &str| {
            format!(
                "bad environment {name:?}: {why}; expected launcher/engine-mode, e.g. process/native or embedded/wasmtime-aot"
            )
        };
        let (launcher, rest) = name.split_once('/').ok_or_else(|| bad("no launcher"))?;
        let launcher = LauncherKind::parse(launcher).ok_or_else(|| {
            bad("the launcher is one of embedded, process, oci, containerd, containerd-shim")
        })?;
        let containers = matches!(launcher, LauncherKind::Oci | LauncherKind::Containerd);
        if launcher == LauncherKind::ContainerdShim && rest.starts_with("native") {
            return Err(bad(
                "the containerd-shim launcher runs WebAssembly; native containers run under containerd/native-*",
            ));
        }
        if rest == "native" {
            if containers {
                return Err(bad(
                    "native code in a container names its base: native-static, native-distroless or native-debian",
                ));
            }
            return Ok(Environment::new(launcher, "native", Mode::Native));
        }
        if let Some(base) = rest.strip_prefix("native-") {
            let base = Base::ALL
                .into_iter()
                .find(|b| b.as_str() == base)
                .ok_or_else(|| bad("the base is one of static, distroless, debian"))?;
            if !containers && base != Base::Static {
                return Err(bad(
                    "only the oci and containerd launchers have bases; a process runs the binary itself: process/native (glibc) or process/native-static (musl)",
                ));
            }
            return Ok(Environment::native_on(launcher, base));
        }
        let (engine, mode) = rest
            .rsplit_once('-')
            .ok_or_else(|| bad("no mode after the engine"))?;
        let mode: Mode = mode.parse().map_err(|e: String| bad(&e))?;
        Ok(Environment::new(launcher, engine, mode))
    }
}

impl fmt::Display for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.launcher.as_str(), self.engine_mode())
    }
}

impl serde::Serialize for Environment {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Environment {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        Environment::parse(&name).map_err(serde::de::Error::custom)
    }
}

/// An environment of the design that cannot run here, and why.
#[derive(Debug, Clone)]
pub struct Unavailable {
    /// A glob naming the environments (e.g. `containerd/*`).
    pub pattern: String,
    /// Why, and what would make it available.
    pub reason: String,
}

/// The launchers that run native code in containers.
const CONTAINER_LAUNCHERS: [LauncherKind; 2] = [LauncherKind::Oci, LauncherKind::Containerd];

/// The launchers that run WebAssembly in containers.
const WASM_CONTAINER_LAUNCHERS: [LauncherKind; 3] = [
    LauncherKind::Oci,
    LauncherKind::Containerd,
    LauncherKind::ContainerdShim,
];

/// Every environment this build can run on `host`, launcher by launcher.
pub fn available(engines: &[Box<dyn Engine>], host: &Host) -> Vec<Environment> {
    let mut environments = Vec::new();
    for launcher in [LauncherKind::Embedded, LauncherKind::Process] {
        for engine in engines {
            for &mode in engine.modes() {
                // Native code has no in-harness launcher: it always is a process.
                if mode == Mode::Native && launcher == LauncherKind::Embedded {
                    continue;
                }
                environments.push(Environment::new(launcher, engine.name(), mode));
                if mode == Mode::Native {
                    environments.push(Environment::native_on(launcher, Base::Static));
                }
            }
        }
    }
    for launcher in CONTAINER_LAUNCHERS {
        if host.ready_for_wasm(launcher).is_ok() {
            for engine in engines.iter().filter(|e| e.name() != "native") {
                for &mode in engine.modes() {
                    environments.push(Environment::new(launcher, engine.name(), mode));
                }
            }
        }
        if host.ready(launcher).is_err() {
            continue;
        }
        for base in Base::ALL {
            if base == Base::Debian && host.debian.is_err() {
                continue;
            }
            environments.push(Environment::native_on(launcher, base));
        }
    }
    if host.ready_for_wasm(LauncherKind::ContainerdShim).is_ok() {
        for engine in engines.iter().filter(|e| e.name() != "native") {
            for &mode in engine.modes() {
                environments.push(Environment::new(
                    LauncherKind::ContainerdShim,
                    engine.name(),
                    mode,
                ));
            }
        }
    }
    environments
}

/// The environments of the design this build cannot run on `host`, with the reason.
pub fn unavailable(engines: &[Box<dyn Engine>], host: &Host) -> Vec<Unavailable> {
    let mut unavailable = Vec::new();
    if !engines.iter().any(|e| e.name() == "wasmedge") {
        unavailable.push(Unavailable {
            pattern: "*/wasmedge-*".into(),
            reason: "no WasmEdge engine in this build: WasmEdge is in no package registry, so it needs a WasmEdge built from source and a build with the `wasmedge` feature (README, \"Engines and environments\")".into(),
        });
    }
    for launcher in CONTAINER_LAUNCHERS {
        match host.ready(launcher) {
            Err(reason) => unavailable.push(Unavailable {
                pattern: format!("{}/native-*", launcher.as_str()),
                reason,
            }),
            Ok(()) => {
                if let Err(reason) = &host.debian {
                    unavailable.push(Unavailable {
                        pattern: format!("{}/native-debian", launcher.as_str()),
                        reason: reason.clone(),
                    });
                }
            }
        }
    }
    for launcher in WASM_CONTAINER_LAUNCHERS {
        if let Err(reason) = host.ready_for_wasm(launcher) {
            for engine in engines.iter().filter(|e| e.name() != "native") {
                unavailable.push(Unavailable {
                    pattern: format!("{}/{}-*", launcher.as_str(), engine.name()),
                    reason: reason.clone(),
                });
            }
        }
    }
    unavailable
}

/// Selects the environments matching any of `patterns` (globs such as `process/*` or
/// `*/wasmtime-*`). A pattern that matches nothing is an error naming the reason (an
/// environment of the design not available here) or the environments there are.
pub fn select(
    available: &[Environment],
    unavailable: &[Unavailable],
    patterns: &[String],
) -> Result<Vec<Environment>, BenchError> {
    let mut selected: Vec<Environment> = Vec::new();
    for pattern in patterns {
        let glob = glob::Pattern::new(pattern).map_err(|e| {
            BenchError::Selection(format!("bad environment pattern {pattern:?}: {e}"))
        })?;
        let matches: Vec<&Environment> = available
            .iter()
            .filter(|e| glob.matches(&e.to_string()))
            .collect();
        if matches.is_empty() {
            return Err(BenchError::Selection(no_match(
                available,
                unavailable,
                pattern,
            )));
        }
        for environment in matches {
            if !selected.contains(environment) {
                selected.push(environment.clone());
            }
        }
    }
    Ok(selected)
}

impl Unavailable {
    /// Whether a selection by `pattern` (a glob, or a name) asks for some of these environments.
    pub fn overlaps(&self, pattern: &str) -> bool {
        let design = glob::Pattern::new(&self.pattern).expect("valid built-in pattern");
        let Ok(probe) = glob::Pattern::new(pattern) else {
            return design.matches(pattern);
        };
        design.matches(pattern)
            || probe.matches(&self.pattern)
            || self.names().iter().any(|name| probe.matches(name))
    }

    /// The environment names this pattern stands for: its `*` launcher as each launcher, its
    /// trailing `-*` as each mode and base (`*/wasmedge-*` → `process/wasmedge-aot`, …).
    fn names(&self) -> Vec<String> {
        let Some((launcher, rest)) = self.pattern.split_once('/') else {
            return vec![self.pattern.clone()];
        };
        let launchers: Vec<&str> = if launcher == "*" {
            LauncherKind::ALL.iter().map(|l| l.as_str()).collect()
        } else {
            vec![launcher]
        };
        let rests: Vec<String> = match rest.strip_suffix('*') {
            Some(prefix) => ["jit", "aot", "baseline", "interp"]
                .into_iter()
                .chain(Base::ALL.iter().map(|b| b.as_str()))
                .map(|suffix| format!("{prefix}{suffix}"))
                .collect(),
            None => vec![rest.to_owned()],
        };
        launchers
            .iter()
            .flat_map(|l| rests.iter().map(move |r| format!("{l}/{r}")))
            .collect()
    }
}

/// The environments a selection by `patterns` asks for that cannot run here, grouped by reason:
/// (the patterns, the reason), in the order of `unavailable`.
pub fn left_out(unavailable: &[Unavailable], patterns: &[String]) -> Vec<(Vec<String>, String)> {
    let mut groups: Vec<(Vec<String>, String)> = Vec::new();
    for entry in unavailable {
        if !patterns.iter().any(|p| entry.overlaps(p)) {
            continue;
        }
        match groups
            .iter_mut()
            .find(|(_, reason)| *reason == entry.reason)
        {
            Some((names, _)) => names.push(entry.pattern.clone()),
            None => groups.push((vec![entry.pattern.clone()], entry.reason.clone())),
        }
    }
    groups
}

fn no_match(available: &[Environment], unavailable: &[Unavailable], pattern: &str) -> String {
    if let Some(unavailable) = unavailable.iter().find(|u| u.overlaps(pattern)) {
        return format!(
            "environment {pattern:?} is not available here: {}",
            unavailable.reason
        );
    }
    let names: Vec<String> = available.iter().map(|e| e.to_string()).collect();
    format!(
        "no environment matches {pattern:?}; available here: {} (see `wasmfaas environments`)",
        names.join(", ")
    )
}

#[cfg(test)]
mod tests;
