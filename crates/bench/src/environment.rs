//! Environments: launcher × engine × mode, the unit the report compares.
use std::fmt;

use wasmfaas_engines::{Engine, Mode};

use crate::BenchError;

/// How one run is started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LauncherKind {
    /// Inside the harness: the engine shared by the process, a fresh store per run, phases timed.
    Embedded,
    /// A fresh OS process per run: the native binary, or `wasmfaas run` of the module/artifact.
    Process,
    /// An OCI runtime's create/start/delete on an unpacked bundle.
    Oci,
    /// A fresh container per run through containerd.
    Containerd,
}

impl LauncherKind {
    /// Every launcher of the design, the most paper-like last.
    pub const ALL: [LauncherKind; 4] = [
        LauncherKind::Embedded,
        LauncherKind::Process,
        LauncherKind::Oci,
        LauncherKind::Containerd,
    ];

    /// The name in environment names and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            LauncherKind::Embedded => "embedded",
            LauncherKind::Process => "process",
            LauncherKind::Oci => "oci",
            LauncherKind::Containerd => "containerd",
        }
    }

    fn parse(s: &str) -> Option<LauncherKind> {
        Self::ALL.into_iter().find(|l| l.as_str() == s)
    }
}

/// One environment: `launcher/engine-mode`, or `launcher/native` for native code.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Environment {
    /// How a run is started.
    pub launcher: LauncherKind,
    /// The engine's name (`native`, `wasmtime`, …).
    pub engine: String,
    /// How the engine gets machine code.
    pub mode: Mode,
}

impl Environment {
    /// The environment of `engine` in `mode` under `launcher`.
    pub fn new(launcher: LauncherKind, engine: &str, mode: Mode) -> Self {
        Self {
            launcher,
            engine: engine.to_owned(),
            mode,
        }
    }

    /// The part after the launcher: `wasmtime-aot`, `native`.
    pub fn engine_mode(&self) -> String {
        if self.mode == Mode::Native {
            self.engine.clone()
        } else {
            format!("{}-{}", self.engine, self.mode)
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
        let launcher = LauncherKind::parse(launcher)
            .ok_or_else(|| bad("the launcher is one of embedded, process, oci, containerd"))?;
        if rest == "native" {
            return Ok(Environment::new(launcher, "native", Mode::Native));
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
    pub pattern: &'static str,
    /// Why, and what would make it available.
    pub reason: &'static str,
}

/// Every environment this build can run, launcher by launcher.
pub fn available(engines: &[Box<dyn Engine>]) -> Vec<Environment> {
    let mut environments = Vec::new();
    for launcher in [LauncherKind::Embedded, LauncherKind::Process] {
        for engine in engines {
            for &mode in engine.modes() {
                // Native code has no in-harness launcher: it always is a process.
                if mode == Mode::Native && launcher == LauncherKind::Embedded {
                    continue;
                }
                environments.push(Environment::new(launcher, engine.name(), mode));
            }
        }
    }
    environments
}

/// The environments of the design this build cannot run, with the reason.
pub fn unavailable() -> Vec<Unavailable> {
    vec![
        Unavailable {
            pattern: "*/wasmedge-*",
            reason: "no WasmEdge engine in this build: WasmEdge is in no package registry, so it needs a WasmEdge built from source and the `wasmedge` feature",
        },
        Unavailable {
            pattern: "oci/*",
            reason: "the OCI launcher (runc, wasmfaas-runtime) is not part of this build yet",
        },
        Unavailable {
            pattern: "containerd/*",
            reason: "the containerd launcher is not part of this build yet",
        },
    ]
}

/// Selects the environments matching any of `patterns` (globs such as `process/*` or
/// `*/wasmtime-*`). A pattern that matches nothing is an error naming the reason (an
/// environment of the design not available here) or the environments there are.
pub fn select(
    available: &[Environment],
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
            return Err(BenchError::Selection(no_match(available, pattern)));
        }
        for environment in matches {
            if !selected.contains(environment) {
                selected.push(environment.clone());
            }
        }
    }
    Ok(selected)
}

fn no_match(available: &[Environment], pattern: &str) -> String {
    for unavailable in unavailable() {
        let design = glob::Pattern::new(unavailable.pattern).expect("valid built-in pattern");
        let probe = glob::Pattern::new(pattern).ok();
        let hits = design.matches(pattern)
            || probe.is_some_and(|p| p.matches(unavailable.pattern))
            || Environment::parse(pattern).is_ok_and(|e| design.matches(&e.to_string()));
        if hits {
            return format!(
                "environment {pattern:?} is not available here: {}",
                unavailable.reason
            );
        }
    }
    let names: Vec<String> = available.iter().map(|e| e.to_string()).collect();
    format!(
        "no environment matches {pattern:?}; available here: {} (see `wasmfaas environments`)",
        names.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for name in [
            "process/native",
            "embedded/wasmtime-aot",
            "process/wasmi-interp",
            "containerd/wasmer-jit",
        ] {
            assert_eq!(Environment::parse(name).unwrap().to_string(), name);
        }
    }

    #[test]
    fn bad_names_say_what_is_expected() {
        for name in [
            "wasmtime-aot",
            "cloud/native",
            "process/wasmtime",
            "process/wasmtime-fast",
        ] {
            let error = Environment::parse(name).unwrap_err();
            assert!(error.contains("launcher/engine-mode"), "{error}");
        }
    }

    #[test]
    fn selection_by_glob_and_clear_errors() {
        let available = available(&wasmfaas_engines::registry());
        let process = select(&available, &["process/*".into()]).unwrap();
        assert!(process.iter().all(|e| e.launcher == LauncherKind::Process));
        assert!(process.iter().any(|e| e.engine == "native"));
        let error = select(&available, &["containerd/wasmtime-aot".into()]).unwrap_err();
        assert!(error.to_string().contains("containerd launcher"), "{error}");
        let error = select(&available, &["process/wasmedge-aot".into()]).unwrap_err();
        assert!(error.to_string().contains("WasmEdge"), "{error}");
        let error = select(&available, &["process/nothing-jit".into()]).unwrap_err();
        assert!(error.to_string().contains("available here"), "{error}");
    }
}
