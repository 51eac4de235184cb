//! A preopened host directory as wasmer-wasix sees it.
//!
//! virtual-fs's host filesystem is right about paths but costly for files: its `File` does every
//! read, write and seek through `tokio::fs`, that is on tokio's blocking pool, a hand-off to
//! another thread and back for each WASI call (about 50 µs here, so a guest that writes a file
//! in 8 KiB pieces ran 70× slower on wasmer than natively). The files this directory opens read
//! and write on the calling thread, as the native program and the other engines do; its
//! directory operations are virtual-fs's own.

use std::fs::{File, FileTimes, OpenOptions};
use std::io::{self, IoSlice, Read, Seek, SeekFrom, Write};
use std::path::{Component, Path, PathBuf};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::io::{AsyncRead, AsyncSeek, AsyncWrite, ReadBuf};
use wasmer_wasix::virtual_fs::{
    self, FileOpener, FileSystem, FsError, OpenOptionsConfig, VirtualFile, host_fs,
};

/// A host directory, confined to itself, with files that do their I/O on the calling thread
/// and that can be opened when the directory is read-only.
#[derive(Debug)]
pub(crate) struct HostDirectory {
    /// virtual-fs's view of the same directory, for everything but opening files.
    directory: host_fs::FileSystem,
    /// The directory, canonical, as virtual-fs resolves paths against it.
    root: PathBuf,
}

impl HostDirectory {
    pub(crate) fn new(handle: tokio::runtime::Handle, root: &Path) -> virtual_fs::Result<Self> {
        Ok(Self {
            directory: host_fs::FileSystem::new(handle, root)?,
            root: host_fs::canonicalize(root)?,
        })
    }

    /// The host path of `path`, resolved as virtual-fs resolves it: lexically, below the root.
    fn host_path(&self, path: &Path) -> virtual_fs::Result<PathBuf> {
        let path = host_fs::normalize_path(path);
        if matches!(path.components().next(), Some(Component::Prefix(..)))
            || (self.root != Path::new("/") && path.starts_with(&self.root))
        {
            return Err(FsError::InvalidInput);
        }
        Ok(self.root.join(path.strip_prefix("/").unwrap_or(&path)))
    }
}

impl FileSystem for HostDirectory {
    fn readlink(&self, path: &Path) -> virtual_fs::Result<PathBuf> {
        self.directory.readlink(path)
    }
    fn read_dir(&self, path: &Path) -> virtual_fs::Result<virtual_fs::ReadDir> {
        self.directory.read_dir(path)
    }
    fn create_dir(&self, path: &Path) -> virtual_fs::Result<()> {
        self.directory.create_dir(path)
    }
    fn create_symlink(&self, source: &Path, target: &Path) -> virtual_fs::Result<()> {
        self.directory.create_symlink(source, target)
    }
    fn hard_link(&self, source: &Path, target: &Path) -> virtual_fs::Result<()> {
        self.directory.hard_link(source, target)
    }
    fn remove_dir(&self, path: &Path) -> virtual_fs::Result<()> {
        self.directory.remove_dir(path)
    }
    fn rename<'a>(
        &'a self,
        from: &'a Path,
        to: &'a Path,
    ) -> Pin<Box<dyn Future<Output = virtual_fs::Result<()>> + Send + 'a>> {
        self.directory.rename(from, to)
    }
    fn metadata(&self, path: &Path) -> virtual_fs::Result<virtual_fs::Metadata> {
        self.directory.metadata(path)
    }
    fn symlink_metadata(&self, path: &Path) -> virtual_fs::Result<virtual_fs::Metadata> {
        self.directory.symlink_metadata(path)
    }
    fn remove_file(&self, path: &Path) -> virtual_fs::Result<()> {
        self.directory.remove_file(path)
    }
    fn new_open_options(&self) -> virtual_fs::OpenOptions<'_> {
        virtual_fs::OpenOptions::new(self)
    }
}

impl FileOpener for HostDirectory {
    fn open(
        &self,
        path: &Path,
        conf: &OpenOptionsConfig,
    ) -> virtual_fs::Result<Box<dyn VirtualFile + Send + Sync + 'static>> {
        let path = self.host_path(path)?;
        // As virtual-fs does: truncating makes appending meaningless, and std refuses both.
        let append = conf.append() && !conf.truncate();
        let opened = OpenOptions::new()
            .read(conf.read())
            .write(conf.write())
            .create_new(conf.create_new())
            .create(conf.create())
            .append(append)
            .truncate(conf.truncate())
            .open(&path);
        match opened {
            Ok(file) => Ok(Box::new(HostFile {
                file,
                path,
                sought: None,
            })),
            // wasmer-wasix 0.704 opens every regular file read-write first, so that later
            // descriptors of the same file can share the handle, and falls back to the mode the
            // guest asked for only on "permission denied". On a read-only filesystem (a
            // container's read-only bind mount) the kernel says EROFS, which wasmer would turn
            // into EIO for a plain read: the paper's "Wasmer cannot reach the filesystem".
            // Every error wasmer does not know is reported so on a writable open, as before.
            Err(e) => match FsError::from(e) {
                FsError::UnknownError if conf.write() => Err(FsError::PermissionDenied),
                known => Err(known),
            },
        }
    }
}

/// An open host file whose reads, writes and seeks are plain system calls on the caller's
/// thread: each poll completes at once.
#[derive(Debug)]
struct HostFile {
    file: File,
    path: PathBuf,
    /// Where the last `start_seek` left the file, for `poll_complete`.
    sought: Option<u64>,
}

/// Nanoseconds since the epoch, as WASI gives and wants times; 0 where the host has none.
fn nanoseconds(time: io::Result<SystemTime>) -> u64 {
    time.ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos() as u64)
}

impl VirtualFile for HostFile {
    fn last_accessed(&self) -> u64 {
        nanoseconds(self.file.metadata().and_then(|m| m.accessed()))
    }
    fn last_modified(&self) -> u64 {
        nanoseconds(self.file.metadata().and_then(|m| m.modified()))
    }
    fn created_time(&self) -> u64 {
        nanoseconds(self.file.metadata().and_then(|m| m.created()))
    }
    fn set_times(&mut self, atime: Option<u64>, mtime: Option<u64>) -> virtual_fs::Result<()> {
        let at = |ns: u64| UNIX_EPOCH + Duration::from_nanos(ns);
        let mut times = FileTimes::new();
        if let Some(atime) = atime {
            times = times.set_accessed(at(atime));
        }
        if let Some(mtime) = mtime {
            times = times.set_modified(at(mtime));
        }
        self.file.set_times(times).map_err(Into::into)
    }
    fn size(&self) -> u64 {
        self.file.metadata().map_or(0, |m| m.len())
    }
    fn set_len(&mut self, new_size: u64) -> virtual_fs::Result<()> {
        self.file.set_len(new_size).map_err(Into::into)
    }
    fn unlink(&mut self) -> virtual_fs::Result<()> {
        std::fs::remove_file(&self.path).map_err(Into::into)
    }
    fn poll_read_ready(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        // The bytes left to read, as virtual-fs's file answers.
        let file = &mut self.file;
        Poll::Ready(file.stream_position().and_then(|at| {
            let len = file.metadata()?.len();
            Ok(len.saturating_sub(at) as usize)
        }))
    }
    fn poll_write_ready(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        Poll::Ready(Ok(8192))
    }
}

impl AsyncRead for HostFile {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let read = self.file.read(buf.initialize_unfilled());
        Poll::Ready(read.map(|n| buf.advance(n)))
    }
}

impl AsyncWrite for HostFile {
    fn poll_write(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(self.file.write(buf))
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(self.file.write_vectored(bufs))
    }
    fn is_write_vectored(&self) -> bool {
        true
    }
    fn poll_flush(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.file.flush())
    }
    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

impl AsyncSeek for HostFile {
    fn start_seek(mut self: Pin<&mut Self>, position: SeekFrom) -> io::Result<()> {
        self.sought = Some(self.file.seek(position)?);
        Ok(())
    }
    fn poll_complete(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        Poll::Ready(match self.sought.take() {
            Some(at) => Ok(at),
            None => self.file.stream_position(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn directory() -> (tempfile::TempDir, HostDirectory, tokio::runtime::Runtime) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let host = HostDirectory::new(runtime.handle().clone(), dir.path()).unwrap();
        (dir, host, runtime)
    }

    /// The result of `future`, which must complete at its first poll (no runtime is entered).
    fn at_once<T>(future: impl Future<Output = io::Result<T>>) -> T {
        let mut future = std::pin::pin!(future);
        let mut cx = Context::from_waker(std::task::Waker::noop());
        match future.as_mut().poll(&mut cx) {
            Poll::Ready(result) => result.unwrap(),
            Poll::Pending => panic!("a host file's I/O waited"),
        }
    }

    #[test]
    fn a_file_is_written_sought_and_read_back_on_the_calling_thread() {
        use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};
        let (dir, host, _runtime) = directory();
        let mut file = host
            .new_open_options()
            .read(true)
            .write(true)
            .create(true)
            .open("/data.bin")
            .unwrap();
        at_once(file.write_all(b"hello, file"));
        assert_eq!(at_once(file.seek(SeekFrom::Start(7))), 7);
        let mut back = String::new();
        at_once(file.read_to_string(&mut back));
        assert_eq!(back, "file");
        assert_eq!(file.size(), 11);
        assert_eq!(
            std::fs::read(dir.path().join("data.bin")).unwrap(),
            b"hello, file"
        );
    }

    #[test]
    fn paths_stay_below_the_directory() {
        let (dir, host, _runtime) = directory();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        assert_eq!(
            host.host_path(Path::new("/a/../b")).unwrap(),
            root.join("b")
        );
        assert_eq!(
            host.host_path(Path::new("/../../etc/passwd")).unwrap(),
            root.join("etc/passwd")
        );
        assert!(
            host.host_path(&root.join("x")).is_err(),
            "a host path is not a guest path"
        );
    }

    #[test]
    fn a_missing_file_is_not_found_and_an_existing_one_is_not_created_anew() {
        let (dir, host, _runtime) = directory();
        let error = host
            .new_open_options()
            .read(true)
            .open("/missing")
            .unwrap_err();
        assert_eq!(error, FsError::EntryNotFound);
        std::fs::write(dir.path().join("there"), "x").unwrap();
        let error = host
            .new_open_options()
            .write(true)
            .create_new(true)
            .open("/there")
            .unwrap_err();
        assert_eq!(error, FsError::AlreadyExists);
    }
}
