//! A module run in a compiling mode gets its compiled code from the node's AOT cache, found
//! before the container is built. The init process could not look: after pivot_root it sees only
//! the container's files. So an image run in jit mode is compiled once per node and engine, not
//! once per container, as runwasi's shims precompile into containerd's content store.
//!
//! Only modes whose compiler makes AOT artifacts are cached (wasmtime's and wasmer's jit, both
//! Cranelift): a Winch or interpreter run keeps its own way. The module is found in the bundle's
//! root filesystem as the init process will find it; one behind a mount or a link out of the
//! root filesystem is left to the init process to load, as before.
use std::fmt;
use std::path::{Path, PathBuf};

use libcontainer::oci_spec::runtime::Spec;
use wasmfaas_engines::{AotCache, Engine, Loaded, Mode, Program, ProgramKind};

use crate::workload::{self, DEFAULT_ENGINE, Hints};

/// Whether the cache held the module's artifact when the container was created.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheUse {
    /// It did: the container loaded it.
    Hit,
    /// It did not: it was compiled, stored, then loaded.
    Miss,
}

impl fmt::Display for CacheUse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CacheUse::Hit => "hit",
            CacheUse::Miss => "miss",
        })
    }
}

/// A module's compiled code, loaded from the cache, for the executor to run instead of compiling.
pub struct Precompiled {
    /// The engine that loaded it.
    pub(crate) engine: Box<dyn Engine>,
    /// The artifact, loaded.
    pub(crate) loaded: Loaded,
    /// Where the artifact is.
    pub artifact: PathBuf,
    /// Whether the cache held it.
    pub cache: CacheUse,
}

impl fmt::Debug for Precompiled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Precompiled")
            .field("engine", &self.engine.name())
            .field("artifact", &self.artifact)
            .field("cache", &self.cache)
            .finish()
    }
}

/// The compiled code of the bundle's module from `cache`, if its workload is a module in a
/// cached mode; on a miss `compile(engine, module)` stores the artifact first (a caller that
/// must stay single-threaded compiles in another process). `Ok(None)`: nothing to do here, the
/// init process loads the workload as before; a bundle that is wrong is reported there too, in
/// the words every container gets. An error: the module could not be compiled or loaded.
pub fn precompile(
    bundle: &Path,
    cache: &AotCache,
    compile: &dyn Fn(&str, &Path) -> Result<(), String>,
) -> Result<Option<Precompiled>, String> {
    let Some(CachedModule {
        engine,
        on_host,
        in_container,
    }) = cached_module(bundle)
    else {
        return Ok(None);
    };
    let failed = |e: String| format!("the entrypoint {}: {e}", in_container.display());
    let artifact = cache
        .artifact_path_of(engine.as_ref(), &on_host)
        .map_err(|e| failed(e.to_string()))?;
    let cache_use = if artifact.is_file() {
        CacheUse::Hit
    } else {
        compile(engine.name(), &on_host).map_err(failed)?;
        CacheUse::Miss
    };
    let mut program = Program::open(&artifact).map_err(|e| failed(e.to_string()))?;
    program.source = in_container.clone();
    let loaded = engine
        .load(&program, Mode::Aot)
        .map_err(|e| failed(e.to_string()))?;
    Ok(Some(Precompiled {
        engine,
        loaded,
        artifact,
        cache: cache_use,
    }))
}

/// A module whose compiled code the cache holds, and the engine that runs it.
struct CachedModule {
    engine: Box<dyn Engine>,
    on_host: PathBuf,
    in_container: PathBuf,
}

/// The module, when the bundle runs one in a mode whose code the cache holds.
fn cached_module(bundle: &Path) -> Option<CachedModule> {
    let spec = Spec::load(bundle.join("config.json")).ok()?;
    let hints = Hints::from_annotations(spec.annotations().as_ref()).ok()?;
    let engine = wasmfaas_engines::engine(hints.engine.unwrap_or(DEFAULT_ENGINE)).ok()?;
    let mode = hints.mode.unwrap_or(engine.modes()[0]);
    if mode != Mode::Jit || !engine.modes().contains(&Mode::Aot) {
        return None;
    }
    let (in_container, on_host) = module_on_host(bundle, &spec)?;
    (Program::open(&on_host).ok()?.kind == ProgramKind::WasmModule).then_some(CachedModule {
        engine,
        on_host,
        in_container,
    })
}

/// The entrypoint's path in the container and on the host, if the root filesystem itself holds
/// it: not under a mount, which the init process would see instead, and not through a link that
/// leaves it.
fn module_on_host(bundle: &Path, spec: &Spec) -> Option<(PathBuf, PathBuf)> {
    let rootfs = std::fs::canonicalize(bundle.join(spec.root().as_ref()?.path())).ok()?;
    let process = spec.process().as_ref()?;
    let arg0 = process.args().as_ref()?.first()?;
    let env = process.env().as_deref().unwrap_or_default();
    let in_container = workload::resolve_entrypoint_in(&rootfs, arg0, env).ok()?;
    let mounted_over = spec
        .mounts()
        .as_deref()
        .unwrap_or_default()
        .iter()
        .any(|mount| in_container.starts_with(mount.destination()));
    if mounted_over {
        return None;
    }
    let on_host = std::fs::canonicalize(rootfs.join(in_container.strip_prefix("/").ok()?)).ok()?;
    on_host
        .starts_with(&rootfs)
        .then_some((in_container, on_host))
}

#[cfg(test)]
mod tests;
