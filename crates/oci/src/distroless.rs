//! The `native-distroless` base, as `gcr.io/distroless/cc-debian11` holds it under a program:
//! distroless/static's files, glibc and libgcc_s from Debian's packages, and the shared
//! libraries a program needs beyond them.
use std::path::Path;

use crate::ImageError;
use crate::image::Entry;

/// Where distroless keeps its CA bundle, and where the base reads it from on the host.
const CA_BUNDLE: &str = "etc/ssl/certs/ca-certificates.crt";
/// The host's time zone database, copied into the distroless base.
const ZONEINFO: &str = "usr/share/zoneinfo";

/// The base's entries: distroless/static's files and the libraries of distroless/cc (Debian's
/// packages, cached in `bases`).
pub(crate) fn base(bases: &Path) -> Result<Vec<Entry>, ImageError> {
    let mut entries = static_files()?;
    entries.extend(crate::packages::distroless_libraries(bases)?);
    dedup_folders(&mut entries);
    Ok(entries)
}

/// What `program` needs on top of `base`: nothing for a static program; for a dynamic one,
/// its loader must be one the base holds, and the shared libraries the base lacks come with it.
pub(crate) fn program_libraries(
    program: &Path,
    loader: Option<&str>,
    base: &[Entry],
) -> Result<Vec<Entry>, ImageError> {
    let Some(loader) = loader else {
        return Ok(Vec::new());
    };
    let inside = loader.trim_start_matches('/');
    if !base.iter().any(|e| e.path() == inside) {
        return Err(ImageError::Input {
            path: program.to_path_buf(),
            problem: format!(
                "it asks for the dynamic loader {loader}, which Debian's glibc does not put there: link it against glibc for x86-64 Linux, or statically"
            ),
        });
    }
    libraries_beyond_the_base(program, loader, base)
}

/// Drops a folder entry that an earlier entry already made (two packages both hold `lib/`).
fn dedup_folders(entries: &mut Vec<Entry>) {
    let mut seen = std::collections::HashSet::new();
    entries.retain(|e| !matches!(e, Entry::Dir { .. }) || seen.insert(e.path().to_owned()));
}

/// What gcr.io/distroless/static holds besides the program: users and groups (root, nobody,
/// nonroot), nsswitch, the CA bundle and the time zone database (both from this host), and
/// a world-writable /tmp.
fn static_files() -> Result<Vec<Entry>, ImageError> {
    let file = |path: &str, text: &str| Entry::File {
        path: path.to_owned(),
        bytes: text.as_bytes().to_vec(),
        mode: 0o644,
    };
    let dir = |path: &str, mode: u32| Entry::Dir {
        path: path.to_owned(),
        mode,
    };
    let mut entries = vec![
        dir("etc", 0o755),
        file(
            "etc/passwd",
            "root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n",
        ),
        file(
            "etc/group",
            "root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n",
        ),
        file("etc/nsswitch.conf", "hosts: files dns\n"),
        dir("etc/ssl", 0o755),
        dir("etc/ssl/certs", 0o755),
        dir("home", 0o755),
        dir("home/nonroot", 0o700),
        dir("root", 0o700),
        dir("tmp", 0o1777),
        dir("usr", 0o755),
        dir("usr/share", 0o755),
    ];
    let host = |relative: &str| Path::new("/").join(relative);
    let ca = std::fs::read(host(CA_BUNDLE)).map_err(|e| ImageError::Input {
        path: host(CA_BUNDLE),
        problem: format!(
            "{e}: the distroless base copies this host's CA bundle; install the ca-certificates package"
        ),
    })?;
    entries.push(Entry::File {
        path: CA_BUNDLE.to_owned(),
        bytes: ca,
        mode: 0o644,
    });
    let zoneinfo = host(ZONEINFO);
    if !zoneinfo.is_dir() {
        return Err(ImageError::Input {
            path: zoneinfo,
            problem: "missing: the distroless base copies this host's time zone database; install the tzdata package".into(),
        });
    }
    walk(&zoneinfo, ZONEINFO, &mut entries)?;
    Ok(entries)
}

/// Adds a host folder's files, folders and symlinks under `prefix`, in a sorted (so
/// deterministic) order.
fn walk(dir: &Path, prefix: &str, entries: &mut Vec<Entry>) -> Result<(), ImageError> {
    let io = |source| ImageError::Io {
        path: dir.to_path_buf(),
        source,
    };
    entries.push(Entry::Dir {
        path: prefix.to_owned(),
        mode: 0o755,
    });
    let mut children: Vec<_> = std::fs::read_dir(dir)
        .map_err(io)?
        .collect::<Result<_, _>>()
        .map_err(io)?;
    children.sort_by_key(|c| c.file_name());
    for child in children {
        let path = child.path();
        let name = format!("{prefix}/{}", child.file_name().to_string_lossy());
        let kind = child.file_type().map_err(io)?;
        if kind.is_symlink() {
            let target = std::fs::read_link(&path).map_err(io)?;
            entries.push(Entry::Symlink { path: name, target });
        } else if kind.is_dir() {
            walk(&path, &name, entries)?;
        } else if kind.is_file() {
            let bytes = std::fs::read(&path).map_err(io)?;
            entries.push(Entry::File {
                path: name,
                bytes,
                mode: 0o644,
            });
        }
    }
    Ok(())
}

/// The shared libraries of `program` that the distroless base (`base`) lacks, taken from the
/// host's files as `ldd` finds them and put where the loader looks first
/// (`lib/x86_64-linux-gnu`). The suite's binaries need none; a user's binary may (OpenSSL,
/// zlib).
fn libraries_beyond_the_base(
    program: &Path,
    loader: &str,
    base: &[Entry],
) -> Result<Vec<Entry>, ImageError> {
    let input_error = |problem: String| ImageError::Input {
        path: program.to_path_buf(),
        problem,
    };
    let in_base = |name: &str| {
        base.iter().any(|e| {
            let path = Path::new(e.path());
            path.file_name().is_some_and(|n| n == name)
                && path
                    .parent()
                    .is_some_and(|p| p.ends_with("x86_64-linux-gnu"))
        })
    };
    let mut entries = Vec::new();
    for (name, host) in crate::elf::shared_libraries(loader, program).map_err(input_error)? {
        if in_base(&name) {
            continue;
        }
        let bytes = std::fs::read(&host).map_err(|e| {
            input_error(format!(
                "it needs {name}, found at {}, which cannot be read: {e}",
                host.display()
            ))
        })?;
        entries.push(Entry::File {
            path: format!("lib/x86_64-linux-gnu/{name}"),
            bytes,
            mode: 0o644,
        });
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loader_only() -> Vec<Entry> {
        vec![Entry::File {
            path: "lib64/ld-linux-x86-64.so.2".into(),
            bytes: Vec::new(),
            mode: 0o755,
        }]
    }

    #[test]
    fn a_loader_the_base_does_not_hold_is_refused_with_what_to_do() {
        let error = program_libraries(
            Path::new("/work/prog"),
            Some("/lib/ld-musl-x86_64.so.1"),
            &loader_only(),
        )
        .err()
        .expect("musl's loader is not in a glibc base");
        let message = error.to_string();
        assert!(message.contains("/work/prog"), "{message}");
        assert!(message.contains("/lib/ld-musl-x86_64.so.1"), "{message}");
        assert!(message.contains("link it against glibc"), "{message}");
    }

    #[test]
    fn a_static_program_needs_nothing_beyond_the_base() {
        let added = program_libraries(Path::new("/work/prog"), None, &loader_only()).unwrap();
        assert!(added.is_empty());
    }
}
