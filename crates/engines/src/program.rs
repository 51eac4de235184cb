//! A program to run, and what kind of file it is (told by its bytes, not its name).
use std::path::{Path, PathBuf};

use crate::EngineError;

/// The bytes that open every WasmEdge artifact wasmfaas makes (WasmEdge's output is a shared
/// library, which would pass for a native executable, so it gets a header of ours). Known to every
/// build, with WasmEdge or not, so that a WasmEdge artifact is always told apart.
pub(crate) const WASMEDGE_ARTIFACT_MAGIC: &[u8] = b"wasmfaas-wasmedge-aot\n";

/// What kind of executable a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgramKind {
    /// A WebAssembly module in the binary format (`\0asm`, version 1).
    WasmModule,
    /// A WebAssembly component (`\0asm`, component layer): not supported yet.
    WasmComponent,
    /// An artifact precompiled by wasmtime (`.cwasm`).
    WasmtimeArtifact,
    /// An artifact precompiled (serialized) by wasmer.
    WasmerArtifact,
    /// An artifact precompiled by WasmEdge's AOT compiler (a shared library behind our header).
    WasmEdgeArtifact,
    /// A native ELF executable.
    Elf,
    /// Anything else.
    Unknown,
}

impl ProgramKind {
    /// The kind of the file at `path` from its first 32 bytes. Cheap for any file, but an ELF
    /// file stays [`ProgramKind::Elf`] even when it is a wasmtime artifact (telling that needs the
    /// whole file, as [`Program::open`] reads it).
    pub fn from_head(path: &Path) -> std::io::Result<ProgramKind> {
        use std::io::Read;
        let mut head = Vec::with_capacity(32);
        std::fs::File::open(path)?.take(32).read_to_end(&mut head)?;
        Ok(ProgramKind::detect(&head))
    }

    /// Tells the kind from the first bytes of a file.
    pub fn detect(bytes: &[u8]) -> ProgramKind {
        if bytes.starts_with(b"\0asm") {
            return match bytes.get(4..8) {
                Some([1, 0, 0, 0]) => ProgramKind::WasmModule,
                _ => ProgramKind::WasmComponent,
            };
        }
        if bytes.starts_with(crate::wasmer_engine::ARTIFACT_MAGIC) {
            return ProgramKind::WasmerArtifact;
        }
        if bytes.starts_with(WASMEDGE_ARTIFACT_MAGIC) {
            return ProgramKind::WasmEdgeArtifact;
        }
        if bytes.starts_with(b"\x7fELF") {
            // wasmtime's artifacts are ELF files carrying its own section; ask wasmtime.
            if wasmtime::Engine::detect_precompiled(bytes).is_some() {
                return ProgramKind::WasmtimeArtifact;
            }
            return ProgramKind::Elf;
        }
        ProgramKind::Unknown
    }

    /// A short description for messages.
    pub fn describe(self) -> &'static str {
        match self {
            ProgramKind::WasmModule => "a WebAssembly module",
            ProgramKind::WasmComponent => {
                "a WebAssembly component (only core modules are supported)"
            }
            ProgramKind::WasmtimeArtifact => "a wasmtime precompiled artifact (.cwasm)",
            ProgramKind::WasmerArtifact => "a wasmer precompiled artifact",
            ProgramKind::WasmEdgeArtifact => "a WasmEdge precompiled artifact",
            ProgramKind::Elf => "a native ELF executable",
            ProgramKind::Unknown => "neither a WebAssembly module nor a known executable",
        }
    }
}

/// A program file and its kind.
#[derive(Debug, Clone)]
pub struct Program {
    /// Where the program is.
    pub path: PathBuf,
    /// The file the user named: `path` itself, or the module an AOT artifact was compiled from.
    /// Messages name this one.
    pub source: PathBuf,
    /// What it is.
    pub kind: ProgramKind,
}

impl Program {
    /// Opens `path` and tells its kind from its first bytes (reads at most a few KiB).
    pub fn open(path: impl AsRef<Path>) -> Result<Program, EngineError> {
        let path = path.as_ref().to_path_buf();
        let read_err = |source| EngineError::Read {
            path: path.clone(),
            source,
        };
        let metadata = std::fs::metadata(&path).map_err(read_err)?;
        if metadata.is_dir() {
            return Err(EngineError::WrongKind {
                path,
                problem: "is a directory, not a program".into(),
            });
        }
        let kind = match ProgramKind::from_head(&path).map_err(read_err)? {
            // An ELF file: read it whole to ask wasmtime whether it is one of its artifacts.
            ProgramKind::Elf => ProgramKind::detect(&std::fs::read(&path).map_err(read_err)?),
            kind => kind,
        };
        Ok(Program {
            source: path.clone(),
            path,
            kind,
        })
    }

    /// Whether this is WebAssembly (a module or an artifact of a wasm engine).
    pub fn is_wasm(&self) -> bool {
        matches!(
            self.kind,
            ProgramKind::WasmModule
                | ProgramKind::WasmtimeArtifact
                | ProgramKind::WasmerArtifact
                | ProgramKind::WasmEdgeArtifact
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_kinds_from_magic_bytes() {
        assert_eq!(
            ProgramKind::detect(b"\0asm\x01\0\0\0"),
            ProgramKind::WasmModule
        );
        assert_eq!(
            ProgramKind::detect(b"\0asm\x0d\0\x01\0"),
            ProgramKind::WasmComponent
        );
        assert_eq!(
            ProgramKind::detect(b"\x7fELF\x02\x01\x01\0"),
            ProgramKind::Elf
        );
        assert_eq!(
            ProgramKind::detect(b"wasmfaas-wasmedge-aot\nwasmedge-0.17.1\n\0asm"),
            ProgramKind::WasmEdgeArtifact
        );
        assert_eq!(ProgramKind::detect(b"#!/bin/sh\n"), ProgramKind::Unknown);
        assert_eq!(ProgramKind::detect(b""), ProgramKind::Unknown);
    }
}
