//! The Debian base of the `native-debian` images: a bookworm minbase root made once with
//! debootstrap from Debian's package archive, kept as one deterministic gzip layer that every
//! function's image shares (as images built `FROM debian` share its layer).
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use sha2::{Digest, Sha256};

use crate::ImageError;

/// The Debian release of the base.
pub const DEBIAN_SUITE: &str = "bookworm";
/// The archive debootstrap fetches from unless `WASMFAAS_DEBIAN_MIRROR` names another.
pub const DEFAULT_DEBIAN_MIRROR: &str = "http://deb.debian.org/debian";
/// What a Debian image leaves out of its root: package indexes and caches, and the contents
/// of the folders the runtime mounts over.
const EXCLUDED: &[&str] = &[
    "./dev/*",
    "./proc/*",
    "./sys/*",
    "./run/*",
    "./tmp/*",
    "./var/lib/apt/lists/*",
    "./var/cache/apt/*",
    "./var/log/*",
    "./debootstrap",
];

/// The cached Debian base layer.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DebianBase {
    /// The gzip-compressed layer.
    #[serde(skip)]
    pub layer: PathBuf,
    /// SHA-256 of the compressed layer, hex.
    pub digest: String,
    /// Its size in bytes.
    pub size: u64,
    /// SHA-256 of the uncompressed tar (the image config's diff ID), hex.
    pub diff_id: String,
    /// The Debian release and variant.
    pub release: String,
}

impl DebianBase {
    /// The folder of the base inside `cache`.
    pub fn dir(cache: &Path) -> PathBuf {
        cache.join(format!("debian-{DEBIAN_SUITE}-minbase"))
    }

    /// The cached base, if it was built.
    pub fn cached(cache: &Path) -> Option<DebianBase> {
        let dir = Self::dir(cache);
        let meta = std::fs::read(dir.join("layer.json")).ok()?;
        let mut base: DebianBase = serde_json::from_slice(&meta).ok()?;
        base.layer = dir.join("layer.tar.gz");
        let size = std::fs::metadata(&base.layer).ok()?.len();
        (size == base.size).then_some(base)
    }

    /// The cached base, built first with debootstrap if needed (as root; about 30 s and
    /// 60 MB from Debian's archive).
    pub fn ensure(cache: &Path) -> Result<DebianBase, ImageError> {
        if let Some(base) = Self::cached(cache) {
            return Ok(base);
        }
        let dir = Self::dir(cache);
        let debootstrap = find_tool("debootstrap").ok_or_else(|| ImageError::Input {
            path: dir.clone(),
            problem: "the Debian base is not built yet and debootstrap is not installed: install it (`apt-get install debootstrap`), or leave out the native-debian images".into(),
        })?;
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            return Err(ImageError::Input {
                path: dir,
                problem: "the Debian base is not built yet and debootstrap needs root: run `wasmfaas images` once as root; the base is cached for everyone after that".into(),
            });
        }
        std::fs::create_dir_all(&dir).map_err(ImageError::io(&dir))?;
        // One builder at a time (parallel tests, two `wasmfaas images`): the others wait and
        // then find it cached.
        let _lock = exclusive_lock(&dir.join("lock"))?;
        if let Some(base) = Self::cached(cache) {
            return Ok(base);
        }
        let rootfs = dir.join("rootfs.partial");
        if rootfs.exists() {
            std::fs::remove_dir_all(&rootfs).map_err(ImageError::io(&rootfs))?;
        }
        let mirror = std::env::var("WASMFAAS_DEBIAN_MIRROR")
            .unwrap_or_else(|_| DEFAULT_DEBIAN_MIRROR.to_owned());
        let log_path = dir.join("debootstrap.log");
        let log = std::fs::File::create(&log_path).map_err(ImageError::io(&log_path))?;
        let status = Command::new(debootstrap)
            .args(["--variant=minbase", DEBIAN_SUITE])
            .arg(&rootfs)
            .arg(&mirror)
            .stdin(Stdio::null())
            .stdout(log.try_clone().map_err(ImageError::io(&log_path))?)
            .stderr(log)
            .status()
            .map_err(ImageError::io(Path::new("debootstrap")))?;
        if !status.success() {
            let text = std::fs::read_to_string(&log_path).unwrap_or_default();
            let tail: Vec<&str> = text.lines().rev().take(3).collect();
            return Err(ImageError::Input {
                path: log_path.clone(),
                problem: format!(
                    "debootstrap {DEBIAN_SUITE} from {mirror} failed ({status}): {}; set WASMFAAS_DEBIAN_MIRROR to a reachable Debian mirror",
                    tail.into_iter().rev().collect::<Vec<_>>().join(" | ")
                ),
            });
        }
        let base = pack(&rootfs, &dir)?;
        std::fs::remove_dir_all(&rootfs).map_err(ImageError::io(&rootfs))?;
        Ok(base)
    }
}

/// Waits for, then holds, an exclusive lock on the file at `path` (created if needed) until the
/// returned file is dropped.
pub(crate) fn exclusive_lock(path: &Path) -> Result<std::fs::File, ImageError> {
    let lock = std::fs::File::create(path).map_err(ImageError::io(path))?;
    // SAFETY: the descriptor stays open as long as `lock`; closing it releases the lock.
    if unsafe { libc::flock(std::os::fd::AsRawFd::as_raw_fd(&lock), libc::LOCK_EX) } != 0 {
        return Err(ImageError::io(path)(std::io::Error::last_os_error()));
    }
    Ok(lock)
}

/// Packs `rootfs` into `dir/layer.tar.gz` with GNU tar (sorted names, zero mtimes: the same
/// root gives the same bytes), and records its digests in `dir/layer.json`.
fn pack(rootfs: &Path, dir: &Path) -> Result<DebianBase, ImageError> {
    let mut tar = Command::new("tar");
    tar.args([
        "--sort=name",
        "--mtime=@0",
        "--numeric-owner",
        "--format=gnu",
    ]);
    for pattern in EXCLUDED {
        tar.arg(format!("--exclude={pattern}"));
    }
    let mut child = tar
        .arg("-C")
        .arg(rootfs)
        .args(["-cf", "-", "."])
        .stdout(Stdio::piped())
        .spawn()
        .map_err(ImageError::io(Path::new("tar")))?;
    let partial = dir.join("layer.tar.gz.partial");
    let file = std::fs::File::create(&partial).map_err(ImageError::io(&partial))?;
    let mut compressed = HashingWriter::new(file);
    let mut diff_id = Sha256::new();
    {
        let mut gzip =
            flate2::write::GzEncoder::new(&mut compressed, flate2::Compression::default());
        let mut stdout = child.stdout.take().expect("stdout is piped");
        let mut buffer = vec![0; 1 << 20];
        loop {
            let n = stdout.read(&mut buffer).map_err(ImageError::io(rootfs))?;
            if n == 0 {
                break;
            }
            diff_id.update(&buffer[..n]);
            gzip.write_all(&buffer[..n])
                .map_err(ImageError::io(&partial))?;
        }
        gzip.finish().map_err(ImageError::io(&partial))?;
    }
    let status = child.wait().map_err(ImageError::io(Path::new("tar")))?;
    if !status.success() {
        return Err(ImageError::Input {
            path: rootfs.to_path_buf(),
            problem: format!("packing the Debian root with tar failed ({status})"),
        });
    }
    compressed
        .inner
        .sync_all()
        .map_err(ImageError::io(&partial))?;
    let layer = dir.join("layer.tar.gz");
    std::fs::rename(&partial, &layer).map_err(ImageError::io(&layer))?;
    let base = DebianBase {
        layer,
        digest: hex::encode(compressed.hash.finalize()),
        size: compressed.written,
        diff_id: hex::encode(diff_id.finalize()),
        release: format!("debian {DEBIAN_SUITE} minbase"),
    };
    let meta = dir.join("layer.json");
    std::fs::write(
        &meta,
        serde_json::to_vec_pretty(&base).expect("plain struct serialises"),
    )
    .map_err(ImageError::io(&meta))?;
    Ok(base)
}

/// A writer that hashes and counts what passes through.
struct HashingWriter<W> {
    inner: W,
    hash: Sha256,
    written: u64,
}

impl<W: Write> HashingWriter<W> {
    fn new(inner: W) -> Self {
        Self {
            inner,
            hash: Sha256::new(),
            written: 0,
        }
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// `name` on PATH or in the sbin folders (root's tools are there, and a user's PATH often
/// lacks them).
pub fn find_tool(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/local/sbin", "/usr/sbin", "/sbin"].map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}
