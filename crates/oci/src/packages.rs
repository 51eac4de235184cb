//! The shared libraries a glibc-linked program needs in the `native-distroless` image, as
//! gcr.io/distroless/cc has them: the files of Debian's `libc6` and `libgcc-s1` packages (glibc,
//! the dynamic loader, libgcc_s). Each package's `.deb` is fetched once with `apt-get download`
//! from the host's apt sources (so of the Debian release the host links the suite against) into
//! the base cache, and read with `dpkg-deb --fsys-tarfile`: the package's files, not the host's
//! installed copies, which an administrator or another package may have changed.
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::ImageError;
use crate::base::{exclusive_lock, find_tool};
use crate::image::Entry;

/// The Debian packages whose files the distroless base holds besides its own (cc's, less
/// libstdc++ and libgomp, which nothing in the suite links against).
pub const DISTROLESS_PACKAGES: &[&str] = &["libc6", "libgcc-s1"];

/// Folders of a package that distroless leaves out of its images: documentation and lintian's
/// overrides.
const LEFT_OUT: &[&str] = &["usr/share/doc", "usr/share/lintian", "usr/share/man"];

/// The files, folders and symlinks of every package in [`DISTROLESS_PACKAGES`], fetched into
/// `cache/debian-packages` the first time.
pub(crate) fn distroless_libraries(cache: &Path) -> Result<Vec<Entry>, ImageError> {
    let dir = cache.join("debian-packages");
    std::fs::create_dir_all(&dir).map_err(ImageError::io(&dir))?;
    let mut entries = Vec::new();
    for package in DISTROLESS_PACKAGES {
        let deb = fetched(&dir, package)?;
        entries.extend(package_files(&deb)?);
    }
    Ok(entries)
}

/// The `.deb` of `package` in `dir`, downloaded first if it is not there.
fn fetched(dir: &Path, package: &str) -> Result<PathBuf, ImageError> {
    let find = || -> Result<Option<PathBuf>, ImageError> {
        let prefix = format!("{package}_");
        let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(ImageError::io(dir))?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with(&prefix) && n.ends_with("_amd64.deb"))
            })
            .collect();
        found.sort();
        Ok(found.pop())
    };
    if let Some(deb) = find()? {
        return Ok(deb);
    }
    // Parallel image writers (tests, two `wasmfaas images`) download once: the others wait.
    let _lock = exclusive_lock(&dir.join("lock"))?;
    if let Some(deb) = find()? {
        return Ok(deb);
    }
    let apt_get = find_tool("apt-get").ok_or_else(|| ImageError::Input {
        path: dir.to_path_buf(),
        problem: format!(
            "the native-distroless base takes glibc from Debian's {package} package, and apt-get is not here to fetch it: put its .deb (amd64) in this folder, or leave out the native-distroless images"
        ),
    })?;
    // Into a folder of its own first, so no reader sees a half-written .deb.
    let partial = dir.join("download.partial");
    if partial.exists() {
        std::fs::remove_dir_all(&partial).map_err(ImageError::io(&partial))?;
    }
    std::fs::create_dir_all(&partial).map_err(ImageError::io(&partial))?;
    let output = Command::new(apt_get)
        .args(["download", "-q", package])
        .current_dir(&partial)
        .stdin(Stdio::null())
        .output()
        .map_err(ImageError::io(Path::new("apt-get")))?;
    let downloaded = std::fs::read_dir(&partial)
        .map_err(ImageError::io(&partial))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "deb"));
    let Some(downloaded) = downloaded.filter(|_| output.status.success()) else {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let tail: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
        let _ = std::fs::remove_dir_all(&partial);
        return Err(ImageError::Input {
            path: dir.to_path_buf(),
            problem: format!(
                "`apt-get download {package}` failed ({}): {}; the native-distroless base takes glibc from Debian's packages: check the host's apt sources (`apt-get update`), or put the package's .deb in this folder",
                output.status,
                tail[tail.len().saturating_sub(2)..].join(" | ")
            ),
        });
    };
    let deb = dir.join(downloaded.file_name().unwrap_or_default());
    std::fs::rename(&downloaded, &deb).map_err(ImageError::io(&deb))?;
    std::fs::remove_dir_all(&partial).map_err(ImageError::io(&partial))?;
    Ok(deb)
}

/// The entries of a `.deb`'s data, without the folders distroless leaves out.
fn package_files(deb: &Path) -> Result<Vec<Entry>, ImageError> {
    let dpkg_deb = find_tool("dpkg-deb").ok_or_else(|| ImageError::Input {
        path: deb.to_path_buf(),
        problem: "dpkg-deb is not installed, and it reads the package: install dpkg".into(),
    })?;
    let output = Command::new(dpkg_deb)
        .arg("--fsys-tarfile")
        .arg(deb)
        .stdin(Stdio::null())
        .output()
        .map_err(ImageError::io(Path::new("dpkg-deb")))?;
    if !output.status.success() {
        return Err(ImageError::Input {
            path: deb.to_path_buf(),
            problem: format!(
                "not a readable Debian package ({}): {}; delete it and write the image again to fetch it anew",
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            ),
        });
    }
    let bad = |e: std::io::Error| ImageError::Input {
        path: deb.to_path_buf(),
        problem: format!(
            "its data is not a readable tar ({e}): delete it and write the image again"
        ),
    };
    let mut archive = tar::Archive::new(output.stdout.as_slice());
    let mut entries = Vec::new();
    for entry in archive.entries().map_err(bad)? {
        let mut entry = entry.map_err(bad)?;
        let path = entry.path().map_err(bad)?;
        let path = path.to_string_lossy();
        let path = path
            .trim_start_matches("./")
            .trim_end_matches('/')
            .to_owned();
        if path.is_empty() || LEFT_OUT.iter().any(|out| path.starts_with(out)) {
            continue;
        }
        let mode = entry.header().mode().map_err(bad)?;
        match entry.header().entry_type() {
            tar::EntryType::Directory => entries.push(Entry::Dir { path, mode }),
            tar::EntryType::Symlink => {
                let target = entry.link_name().map_err(bad)?.unwrap_or_default();
                entries.push(Entry::Symlink {
                    path,
                    target: target.into_owned(),
                });
            }
            tar::EntryType::Regular => {
                let mut bytes = Vec::new();
                entry.read_to_end(&mut bytes).map_err(bad)?;
                entries.push(Entry::File { path, bytes, mode });
            }
            other => {
                return Err(ImageError::Input {
                    path: deb.to_path_buf(),
                    problem: format!(
                        "{path} is a {other:?}, which the distroless base cannot hold"
                    ),
                });
            }
        }
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreadable_deb_in_the_cache_is_named_with_what_to_do() {
        let cache = tempfile::tempdir().unwrap();
        let dir = cache.path().join("debian-packages");
        std::fs::create_dir_all(&dir).unwrap();
        let deb = dir.join("libc6_2.36-9_amd64.deb");
        std::fs::write(&deb, b"not an ar archive").unwrap();
        let Err(error) = distroless_libraries(cache.path()) else {
            panic!("a .deb that is not one was read");
        };
        let error = error.to_string();
        assert!(error.starts_with(&deb.display().to_string()), "{error}");
        if find_tool("dpkg-deb").is_some() {
            assert!(error.contains("not a readable Debian package"), "{error}");
            assert!(
                error.contains("delete it and write the image again"),
                "{error}"
            );
        } else {
            assert!(error.contains("dpkg-deb is not installed"), "{error}");
        }
    }

    #[test]
    fn a_failed_download_names_the_package_and_apts_reason_and_leaves_no_partial_folder() {
        let dir = tempfile::tempdir().unwrap();
        // An unknown package fails in apt's own lists, before any network.
        let package = "wasmfaas-no-such-package";
        let error = fetched(dir.path(), package).unwrap_err().to_string();
        assert!(
            error.starts_with(&dir.path().display().to_string()),
            "{error}"
        );
        if find_tool("apt-get").is_some() {
            assert!(
                error.contains(&format!("`apt-get download {package}` failed")),
                "{error}"
            );
            assert!(
                error.contains(package) && error.contains("apt-get update"),
                "{error}"
            );
        } else {
            assert!(error.contains("apt-get is not here"), "{error}");
        }
        assert!(!dir.path().join("download.partial").exists());
        assert!(
            std::fs::read_dir(dir.path())
                .unwrap()
                .flatten()
                .all(|e| e.file_name() == "lock"),
            "only the lock is left"
        );
    }
}
