//! Directory listings in the host's order on wasmer.
//!
//! wasmer-wasix 0.704's `fd_readdir` sorts a directory's entries by name (so that its cookies,
//! indices into the list, stay valid between calls). The host's `readdir`, wasmtime and wasmi
//! list entries in the order the host's filesystem gives them, so a guest that prints a folder as
//! it finds it printed another order on wasmer than natively. This hook gives wasmer a
//! `fd_readdir` that lists the host directory itself, `.` and `..` first as wasmtime does.
//!
//! wasmer-wasix keeps its descriptor table private, so the hook learns which host directory a
//! descriptor is from the calls that make descriptors: `fd_prestat_dir_name` names each preopen
//! (every WASI libc asks at start-up) and `path_open` opens a path below a known one; `fd_close`
//! and `fd_renumber` keep the table true. Those calls are passed to wasmer's own functions, and a
//! descriptor the hook does not know (one outside a preopen) is listed by wasmer as before. A
//! module that does not import `fd_readdir` is instantiated untouched.

use std::collections::HashMap;
use std::os::unix::fs::{DirEntryExt, MetadataExt};
use std::path::{Path, PathBuf};

use wasmer::{
    AsStoreRef, Extern, Function, FunctionEnv, FunctionEnvMut, Imports, Instance, Memory, Module,
    RuntimeError, StoreMut, TypedFunction, WasmTypeList,
};
use wasmer_wasix::runtime::{InstantiationHook, InstantiationState};
use wasmer_wasix::wasmer_wasix_types::wasi::{Errno, Filetype};

use crate::Preopen;

const WASI: &str = "wasi_snapshot_preview1";

/// The size of a WASI `dirent` header: next cookie (u64), inode (u64), name length (u32), type
/// (u8) and three bytes of padding; the name follows it.
const DIRENT_HEADER: usize = 24;

/// The hook, registered on the run's wasmer runtime; one per run, knowing its preopens.
#[derive(Debug)]
pub(crate) struct HostOrderListing {
    preopens: Vec<Preopen>,
}

impl HostOrderListing {
    pub(crate) fn new(preopens: &[Preopen]) -> Self {
        Self {
            preopens: preopens.to_vec(),
        }
    }
}

/// What one instance's replacement functions share.
struct Listing {
    preopens: Vec<Preopen>,
    /// The guest's memory, known once the instance exists (before `_start` runs).
    memory: Option<Memory>,
    /// Host directory of each descriptor the guest opened inside a preopen (or of the preopen).
    paths: HashMap<u32, PathBuf>,
    /// The entries of the directory being listed, read when the guest starts at cookie 0 and
    /// kept so that later cookies index the same list.
    listed: HashMap<u32, Vec<Entry>>,
    wasmer: WasmerFunctions,
}

/// wasmer's own functions, which the replacements call.
struct WasmerFunctions {
    fd_readdir: TypedFunction<(i32, i32, i32, i64, i32), i32>,
    fd_prestat_dir_name: Option<TypedFunction<(i32, i32, i32), i32>>,
    path_open: Option<TypedFunction<PathOpenArgs, i32>>,
    fd_close: Option<TypedFunction<i32, i32>>,
    fd_renumber: Option<TypedFunction<(i32, i32), i32>>,
}

/// `path_open`'s parameters: dir fd, lookup flags, path, path length, open flags, base and
/// inheriting rights, fd flags, where the new fd goes.
type PathOpenArgs = (i32, i32, i32, i32, i32, i64, i64, i32, i32);

struct Entry {
    name: Vec<u8>,
    inode: u64,
    filetype: Filetype,
}

impl InstantiationHook for HostOrderListing {
    fn prepare_imports(
        &self,
        module: &Module,
        store: &mut StoreMut,
        imports: &mut Imports,
    ) -> anyhow::Result<InstantiationState> {
        let Some(wasmer_readdir) = wasmer_function(module, imports, store, "fd_readdir")? else {
            return Ok(InstantiationState::empty());
        };
        let wasmer = WasmerFunctions {
            fd_readdir: wasmer_readdir,
            fd_prestat_dir_name: wasmer_function(module, imports, store, "fd_prestat_dir_name")?,
            path_open: wasmer_function(module, imports, store, "path_open")?,
            fd_close: wasmer_function(module, imports, store, "fd_close")?,
            fd_renumber: wasmer_function(module, imports, store, "fd_renumber")?,
        };
        let replace = (
            wasmer.fd_prestat_dir_name.is_some(),
            wasmer.path_open.is_some(),
            wasmer.fd_close.is_some(),
            wasmer.fd_renumber.is_some(),
        );
        let env = FunctionEnv::new(
            store,
            Listing {
                preopens: self.preopens.clone(),
                memory: None,
                paths: HashMap::new(),
                listed: HashMap::new(),
                wasmer,
            },
        );
        let readdir = Function::new_typed_with_env(store, &env, fd_readdir);
        imports.define(WASI, "fd_readdir", readdir);
        if replace.0 {
            let function = Function::new_typed_with_env(store, &env, fd_prestat_dir_name);
            imports.define(WASI, "fd_prestat_dir_name", function);
        }
        if replace.1 {
            let function = Function::new_typed_with_env(store, &env, path_open);
            imports.define(WASI, "path_open", function);
        }
        if replace.2 {
            let function = Function::new_typed_with_env(store, &env, fd_close);
            imports.define(WASI, "fd_close", function);
        }
        if replace.3 {
            let function = Function::new_typed_with_env(store, &env, fd_renumber);
            imports.define(WASI, "fd_renumber", function);
        }
        Ok(InstantiationState::new(env))
    }

    fn configure_new_instance(
        &self,
        _module: &Module,
        store: &mut StoreMut,
        instance: &Instance,
        imported_memory: Option<&Memory>,
        state: InstantiationState,
    ) -> anyhow::Result<()> {
        // No state: the module lists no directory, and nothing was replaced.
        let Ok(env) = state.take::<FunctionEnv<Listing>>() else {
            return Ok(());
        };
        let memory = match imported_memory {
            Some(memory) => Some(memory.clone()),
            None => instance.exports.get_memory("memory").ok().cloned(),
        };
        env.as_mut(store).memory = memory;
        Ok(())
    }
}

/// wasmer's function `name`, typed, where the module imports it.
fn wasmer_function<Args: WasmTypeList, Rets: WasmTypeList>(
    module: &Module,
    imports: &Imports,
    store: &StoreMut,
    name: &str,
) -> anyhow::Result<Option<TypedFunction<Args, Rets>>> {
    let imported = module
        .imports()
        .any(|import| import.module() == WASI && import.name() == name);
    match imports.get_export(WASI, name) {
        Some(Extern::Function(function)) if imported => Ok(Some(function.typed(store)?)),
        _ => Ok(None),
    }
}

fn fd_prestat_dir_name(
    mut ctx: FunctionEnvMut<Listing>,
    fd: i32,
    path: i32,
    path_len: i32,
) -> Result<i32, RuntimeError> {
    let (listing, mut store) = ctx.data_and_store_mut();
    let Some(original) = &listing.wasmer.fd_prestat_dir_name else {
        return Ok(Errno::Nosys as i32);
    };
    let errno = original.call(&mut store, fd, path, path_len)?;
    if errno == Errno::Success as i32
        && let Some(name) = read_guest(listing.memory.as_ref(), &store, path, path_len)
    {
        let name = String::from_utf8_lossy(&name);
        if let Some(preopen) = listing
            .preopens
            .iter()
            .find(|p| same_guest_path(&p.guest, &name))
        {
            listing.paths.insert(fd as u32, preopen.host.clone());
        }
    }
    Ok(errno)
}

#[allow(clippy::too_many_arguments)] // WASI's path_open, as the guest calls it.
fn path_open(
    mut ctx: FunctionEnvMut<Listing>,
    dir_fd: i32,
    lookup_flags: i32,
    path: i32,
    path_len: i32,
    open_flags: i32,
    rights_base: i64,
    rights_inheriting: i64,
    fd_flags: i32,
    opened_fd: i32,
) -> Result<i32, RuntimeError> {
    let (listing, mut store) = ctx.data_and_store_mut();
    let Some(original) = &listing.wasmer.path_open else {
        return Ok(Errno::Nosys as i32);
    };
    let errno = original.call(
        &mut store,
        dir_fd,
        lookup_flags,
        path,
        path_len,
        open_flags,
        rights_base,
        rights_inheriting,
        fd_flags,
        opened_fd,
    )?;
    if errno != Errno::Success as i32 {
        return Ok(errno);
    }
    let memory = listing.memory.as_ref();
    let (Some(dir), Some(relative), Some(fd)) = (
        listing.paths.get(&(dir_fd as u32)),
        read_guest(memory, &store, path, path_len),
        read_guest(memory, &store, opened_fd, 4),
    ) else {
        return Ok(errno);
    };
    // wasmer resolved the path inside the preopen and refused every way out of it, so the same
    // path below the host directory is the one it opened.
    let host = dir.join(String::from_utf8_lossy(&relative).as_ref());
    let fd = u32::from_le_bytes(fd.try_into().expect("four bytes were read"));
    listing.listed.remove(&fd);
    listing.paths.insert(fd, host);
    Ok(errno)
}

fn fd_close(mut ctx: FunctionEnvMut<Listing>, fd: i32) -> Result<i32, RuntimeError> {
    let (listing, mut store) = ctx.data_and_store_mut();
    let Some(original) = &listing.wasmer.fd_close else {
        return Ok(Errno::Nosys as i32);
    };
    let errno = original.call(&mut store, fd)?;
    if errno == Errno::Success as i32 {
        listing.paths.remove(&(fd as u32));
        listing.listed.remove(&(fd as u32));
    }
    Ok(errno)
}

fn fd_renumber(mut ctx: FunctionEnvMut<Listing>, from: i32, to: i32) -> Result<i32, RuntimeError> {
    let (listing, mut store) = ctx.data_and_store_mut();
    let Some(original) = &listing.wasmer.fd_renumber else {
        return Ok(Errno::Nosys as i32);
    };
    let errno = original.call(&mut store, from, to)?;
    if errno == Errno::Success as i32 && from != to {
        let (from, to) = (from as u32, to as u32);
        listing.listed.remove(&to);
        match listing.paths.remove(&from) {
            Some(path) => listing.paths.insert(to, path),
            None => listing.paths.remove(&to),
        };
        if let Some(entries) = listing.listed.remove(&from) {
            listing.listed.insert(to, entries);
        }
    }
    Ok(errno)
}

fn fd_readdir(
    mut ctx: FunctionEnvMut<Listing>,
    fd: i32,
    buf: i32,
    buf_len: i32,
    cookie: i64,
    buf_used: i32,
) -> Result<i32, RuntimeError> {
    let (listing, mut store) = ctx.data_and_store_mut();
    let Some(dir) = listing.paths.get(&(fd as u32)) else {
        return listing
            .wasmer
            .fd_readdir
            .call(&mut store, fd, buf, buf_len, cookie, buf_used);
    };
    let Some(memory) = listing.memory.as_ref() else {
        return Ok(Errno::Fault as i32);
    };
    if cookie == 0 || !listing.listed.contains_key(&(fd as u32)) {
        match entries_of(dir) {
            Ok(entries) => listing.listed.insert(fd as u32, entries),
            Err(e) => return Ok(errno_of(&e) as i32),
        };
    }
    let entries = &listing.listed[&(fd as u32)];
    // Dirents from `cookie` on, as many as fit; the last may be cut short, which tells the
    // guest's libc to call again with a larger buffer.
    let capacity = buf_len as u32 as usize;
    let mut bytes = Vec::with_capacity(capacity.min(1 << 16));
    let first = usize::try_from(cookie).unwrap_or(usize::MAX);
    for (index, entry) in entries.iter().enumerate().skip(first) {
        if bytes.len() >= capacity {
            break;
        }
        let header = bytes.len();
        bytes.extend_from_slice(&(index as u64 + 1).to_le_bytes());
        bytes.extend_from_slice(&entry.inode.to_le_bytes());
        bytes.extend_from_slice(&(entry.name.len() as u32).to_le_bytes());
        bytes.extend_from_slice(&[entry.filetype as u8, 0, 0, 0]);
        debug_assert_eq!(bytes.len() - header, DIRENT_HEADER);
        bytes.extend_from_slice(&entry.name);
    }
    bytes.truncate(capacity);
    let view = memory.view(&store);
    let written = view
        .write(buf as u32 as u64, &bytes)
        .and_then(|()| view.write(buf_used as u32 as u64, &(bytes.len() as u32).to_le_bytes()));
    Ok(match written {
        Ok(()) => Errno::Success,
        Err(_) => Errno::Fault,
    } as i32)
}

/// The host directory's entries in the host's order, after `.` and `..`.
fn entries_of(dir: &Path) -> std::io::Result<Vec<Entry>> {
    let inode = |path: &Path| std::fs::metadata(path).map(|m| m.ino()).unwrap_or(0);
    let mut entries = vec![
        Entry {
            name: b".".to_vec(),
            inode: inode(dir),
            filetype: Filetype::Directory,
        },
        Entry {
            name: b"..".to_vec(),
            inode: inode(&dir.join("..")),
            filetype: Filetype::Directory,
        },
    ];
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let file_type = entry.file_type()?;
        entries.push(Entry {
            name: entry.file_name().into_encoded_bytes(),
            inode: entry.ino(),
            filetype: filetype_of(file_type),
        });
    }
    Ok(entries)
}

fn filetype_of(file_type: std::fs::FileType) -> Filetype {
    use std::os::unix::fs::FileTypeExt;
    if file_type.is_dir() {
        Filetype::Directory
    } else if file_type.is_file() {
        Filetype::RegularFile
    } else if file_type.is_symlink() {
        Filetype::SymbolicLink
    } else if file_type.is_block_device() {
        Filetype::BlockDevice
    } else if file_type.is_char_device() {
        Filetype::CharacterDevice
    } else if file_type.is_socket() {
        Filetype::SocketStream
    } else {
        Filetype::Unknown
    }
}

fn errno_of(error: &std::io::Error) -> Errno {
    match error.kind() {
        std::io::ErrorKind::NotFound => Errno::Noent,
        std::io::ErrorKind::PermissionDenied => Errno::Access,
        std::io::ErrorKind::NotADirectory => Errno::Notdir,
        _ => Errno::Io,
    }
}

/// Whether a preopen's guest path and the name wasmer gives its descriptor are the same
/// directory (wasmer may write the name with or without the leading slash, or with a NUL).
fn same_guest_path(guest: &str, name: &str) -> bool {
    let plain = |path: &str| {
        Path::new(path.trim_end_matches('\0').trim_start_matches('/'))
            .components()
            .collect::<PathBuf>()
    };
    plain(guest) == plain(name)
}

/// `len` bytes of the guest's memory at `offset`, or `None` where they are out of bounds.
fn read_guest(
    memory: Option<&Memory>,
    store: &impl AsStoreRef,
    offset: i32,
    len: i32,
) -> Option<Vec<u8>> {
    let mut bytes = vec![0; len as u32 as usize];
    memory?
        .view(store)
        .read(offset as u32 as u64, &mut bytes)
        .ok()?;
    Some(bytes)
}

#[cfg(test)]
mod tests {
    use super::same_guest_path;

    #[test]
    fn a_preopen_is_known_by_its_name_however_wasmer_writes_it() {
        assert!(same_guest_path("/data", "/data"));
        assert!(same_guest_path("/data", "data"));
        assert!(same_guest_path("/data/", "/data\0"));
        assert!(same_guest_path("/a/b", "/a//b"));
        assert!(!same_guest_path("/data", "/dat"));
        assert!(!same_guest_path("/data", "/"));
    }
}
