//! Images written by wasmfaas-oci, read back by the tools users have: umoci, skopeo, containerd,
//! and a registry on loopback that skopeo pushes them to and containerd pulls them from.
//! Without those tools the checks that need them say so and skip, except in CI, which
//! installs them and must run every check.
use std::path::{Path, PathBuf};
use std::process::Command;

use wasmfaas_containerd::{Containerd, Options};
use wasmfaas_oci::{DebianBase, Images, Variant};

mod registry;
use registry::Registry;

/// A tiny valid wasm module (the empty module) and a tiny "binary" to package.
fn programs(dir: &Path) -> (PathBuf, PathBuf) {
    let wasm = dir.join("hello.wasm");
    std::fs::write(&wasm, b"\0asm\x01\0\0\0").unwrap();
    let native = dir.join("hello");
    std::fs::write(&native, b"#!/bin/sh\necho hello\n").unwrap();
    (wasm, native)
}

/// The project's cache of bases (the Debian root is built there once, by these tests or by
/// `wasmfaas images`).
fn base_cache() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../artifacts/bases")
}

/// Whether the Debian base is cached or can be built here (root and debootstrap); outside CI
/// its absence is said and the Debian image left out.
fn debian_available() -> bool {
    if DebianBase::cached(&base_cache()).is_some() {
        return true;
    }
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    let debootstrap = wasmfaas_oci::find_tool("debootstrap").is_some();
    if root && debootstrap {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI runs as root with debootstrap installed by .ci/run"
    );
    eprintln!(
        "note: the native-debian image is left out: building its base needs root and debootstrap"
    );
    false
}

fn variants() -> Vec<Variant> {
    let mut variants = vec![
        Variant::Wasm,
        Variant::WasmArtifact,
        Variant::Aot("wasmtime".into()),
        Variant::NativeStatic,
        Variant::NativeDistroless,
    ];
    if debian_available() {
        variants.push(Variant::NativeDebian);
    }
    variants
}

fn write_all(layout: &Path, wasm: &Path, native: &Path) -> Vec<wasmfaas_oci::Built> {
    let images = Images::open(layout).unwrap().with_base_cache(&base_cache());
    variants()
        .iter()
        .map(|v| {
            let program = if v.is_wasm() { wasm } else { native };
            images.write("hello", v, program).unwrap()
        })
        .collect()
}

#[test]
fn images_are_tagged_reproducible_and_sized() {
    let dir = tempfile::tempdir().unwrap();
    let (wasm, native) = programs(dir.path());
    let first = write_all(&dir.path().join("a"), &wasm, &native);
    let again = write_all(&dir.path().join("b"), &wasm, &native);
    assert_eq!(first, again, "the same inputs give the same digests");
    let index: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("a/index.json")).unwrap())
            .unwrap();
    let tags: Vec<&str> = index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            m["annotations"]["org.opencontainers.image.ref.name"]
                .as_str()
                .unwrap()
        })
        .collect();
    let expected: Vec<String> = variants().iter().map(|v| v.tag("hello")).collect();
    assert_eq!(tags, expected);
    let size = |tag: &str| first.iter().find(|b| b.tag == tag).unwrap().size;
    // The distroless base (glibc, CA bundle, tzdata) dwarfs the program.
    assert!(size("hello-native-distroless") > 50 * size("hello-native-static"));
    if tags.contains(&"hello-native-debian") {
        // A Debian root is tens of megabytes even compressed, several times distroless's.
        assert!(size("hello-native-debian") > 3 * size("hello-native-distroless"));
    }
    // Sizes read back from the layout are the sizes written.
    let read = wasmfaas_oci::sizes(&dir.path().join("a")).unwrap();
    assert_eq!(read.len(), first.len());
    for image in &first {
        assert_eq!(read[&image.tag], image.size, "{}", image.tag);
    }
    // Writing a tag again replaces it instead of adding a second entry.
    write_all(&dir.path().join("a"), &wasm, &native);
    let index = std::fs::read_to_string(dir.path().join("a/index.json")).unwrap();
    assert_eq!(index.matches("hello-wasm\"").count(), 1, "{index}");
}

#[test]
fn a_dynamically_linked_program_is_refused_by_native_static_and_taken_by_distroless() {
    let dir = tempfile::tempdir().unwrap();
    // Debian's `true` is linked against glibc, as the suite's `native` build is.
    let program = PathBuf::from("/bin/true");
    let loader = wasmfaas_oci::interpreter(&std::fs::read(&program).unwrap()).unwrap();
    let images = Images::open(&dir.path().join("layout"))
        .unwrap()
        .with_base_cache(&base_cache());
    let error = images
        .write("dynamic", &Variant::NativeStatic, &program)
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("dynamically linked")
            && error.contains(&loader)
            && error.contains("native-distroless"),
        "{error}"
    );
    let built = images
        .write("dynamic", &Variant::NativeDistroless, &program)
        .unwrap();
    assert_eq!(built.tag, "dynamic-native-distroless");
}

#[test]
fn a_missing_program_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let images = Images::open(&dir.path().join("layout")).unwrap();
    let error = images
        .write("hello", &Variant::Wasm, &dir.path().join("nothing.wasm"))
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("nothing.wasm") && error.contains("wasmfaas build"),
        "{error}"
    );
}

/// The tool at `name`, or `None` (with the reason on stderr) outside CI.
fn tool(name: &str) -> Option<()> {
    let found = Command::new(name).arg("--version").output().is_ok();
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "{name} is not installed; CI installs it in .ci/run"
        );
        eprintln!("skipped: {name} is not installed (apt-get install {name})");
        return None;
    }
    Some(())
}

#[test]
fn skopeo_inspects_every_image() {
    let Some(()) = tool("skopeo") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (wasm, native) = programs(dir.path());
    let layout = dir.path().join("layout");
    let built = write_all(&layout, &wasm, &native);
    for image in &built {
        let reference = format!("oci:{}:{}", layout.display(), image.tag);
        // The CNCF artifact has no image config: skopeo shows its raw manifest.
        let raw = image.tag.ends_with("-artifact");
        let mut command = Command::new("skopeo");
        command.arg("inspect");
        if raw {
            command.arg("--raw");
        }
        let out = command.arg(&reference).output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "skopeo inspect {reference}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        if raw {
            assert_eq!(json["layers"][0]["mediaType"], "application/wasm");
            assert_eq!(
                json["config"]["mediaType"],
                "application/vnd.wasm.config.v0+json"
            );
        } else {
            assert_eq!(json["Digest"], image.digest.as_str(), "{json}");
            let wasm = image.tag.contains("wasm");
            assert_eq!(json["Architecture"], if wasm { "wasm" } else { "amd64" });
        }
    }
}

#[test]
fn umoci_unpacks_runnable_images_into_bundles() {
    let Some(()) = tool("umoci") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (wasm, native) = programs(dir.path());
    let layout = dir.path().join("layout");
    write_all(&layout, &wasm, &native);
    let mut images = vec![
        ("hello-wasm", "hello.wasm"),
        ("hello-aot-wasmtime", "hello.wasm"),
        ("hello-native-static", "hello"),
        ("hello-native-distroless", "hello"),
    ];
    if variants().contains(&Variant::NativeDebian) {
        images.push(("hello-native-debian", "usr/local/bin/hello"));
    }
    for (tag, entrypoint) in images {
        let bundle = dir.path().join(format!("bundle-{tag}"));
        // umoci makes a runtime config only for linux images; a wasip1 image's root
        // filesystem is unpacked raw (its runtime config is the wasm runtime's business).
        let wasm = tag.contains("wasm");
        let mut command = Command::new("umoci");
        if wasm {
            command.args(["raw", "unpack", "--rootless", "--image"]);
        } else {
            command.args(["unpack", "--rootless", "--image"]);
        }
        let target = if wasm {
            std::fs::create_dir_all(&bundle).unwrap();
            bundle.join("rootfs")
        } else {
            bundle.clone()
        };
        let out = command
            .arg(format!("{}:{tag}", layout.display()))
            .arg(&target)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "umoci unpack {tag}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let rootfs = bundle.join("rootfs");
        assert!(rootfs.join(entrypoint).is_file(), "{tag}: no /{entrypoint}");
        if wasm {
            continue;
        }
        let config: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(bundle.join("config.json")).unwrap())
                .unwrap();
        assert_eq!(
            config["process"]["args"][0],
            format!("/{entrypoint}"),
            "{tag}"
        );
        if tag.ends_with("distroless") {
            assert!(rootfs.join("etc/passwd").is_file());
            assert!(rootfs.join("etc/ssl/certs/ca-certificates.crt").is_file());
            assert!(rootfs.join("usr/share/zoneinfo/UTC").exists());
            // What a glibc-linked program needs, from Debian's packages.
            // The loader's path is an absolute symlink: look at the link, not the host.
            assert!(
                rootfs
                    .join("lib64/ld-linux-x86-64.so.2")
                    .symlink_metadata()
                    .is_ok()
            );
            for library in [
                "lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
                "lib/x86_64-linux-gnu/libc.so.6",
                "lib/x86_64-linux-gnu/libm.so.6",
                "lib/x86_64-linux-gnu/libgcc_s.so.1",
            ] {
                assert!(rootfs.join(library).exists(), "{tag}: no /{library}");
            }
            assert!(
                !rootfs.join("usr/share/doc").exists(),
                "{tag}: documentation"
            );
        }
        if tag.ends_with("debian") {
            assert!(rootfs.join("etc/debian_version").is_file());
            assert!(rootfs.join("bin/sh").exists());
        }
    }
}

#[test]
fn native_images_unpack_into_runtime_bundles() {
    let dir = tempfile::tempdir().unwrap();
    let (wasm, native) = programs(dir.path());
    let layout = dir.path().join("layout");
    write_all(&layout, &wasm, &native);
    for variant in variants().iter().filter(|v| !v.is_wasm()) {
        let tag = variant.tag("hello");
        let bundle = wasmfaas_oci::unpack(&layout, &tag, &dir.path().join(&tag)).unwrap();
        let entrypoint = &bundle.image.argv[0];
        let program = bundle.rootfs().join(entrypoint.trim_start_matches('/'));
        assert_eq!(
            std::fs::read(&program).unwrap(),
            std::fs::read(&native).unwrap()
        );
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&program).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o755, "{tag}: the program stays executable");
        let mounts = [wasmfaas_oci::BindMount {
            host: dir.path().to_path_buf(),
            guest: "/input".into(),
            read_only: true,
        }];
        bundle
            .write_config(
                &["--size".into(), "paper".into()],
                &mounts,
                &std::collections::HashMap::from([("run.oci.handler".into(), "wasmer".into())]),
            )
            .unwrap();
        let config: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(bundle.path.join("config.json")).unwrap(),
        )
        .unwrap();
        assert_eq!(config["process"]["args"][0], entrypoint.as_str());
        assert_eq!(config["process"]["args"][2], "paper");
        assert_eq!(config["process"]["terminal"], false);
        assert_eq!(config["root"]["path"], "rootfs");
        assert_eq!(config["annotations"]["run.oci.handler"], "wasmer");
        let input = config["mounts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["destination"] == "/input")
            .expect("the bind mount is in the config");
        assert!(input["options"].as_array().unwrap().contains(&"ro".into()));
    }
    // A tag that is not there, and a folder that is no layout, are clear errors.
    let error = wasmfaas_oci::unpack(&layout, "nothing-native-static", &dir.path().join("x"))
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("no image tagged") && error.contains("wasmfaas images"),
        "{error}"
    );
    let error = wasmfaas_oci::unpack(dir.path(), "hello-native-static", &dir.path().join("x"))
        .unwrap_err()
        .to_string();
    assert!(error.contains("not an OCI image layout"), "{error}");
}

/// A private containerd (own root, state and socket in `dir`), stopped when dropped.
fn start_containerd(dir: &Path) -> Containerd {
    let options = Options::from_path().expect("the caller checked containerd and ctr");
    Containerd::start(dir, options).unwrap_or_else(|e| panic!("{e}"))
}

/// `ctr` against `containerd`, in the test's namespace.
fn ctr(containerd: &Containerd, args: &[&str]) -> std::process::Output {
    containerd
        .ctr()
        .args(["--namespace", "wasmfaas-test"])
        .args(args)
        .output()
        .unwrap()
}

/// Whether this test may start a containerd (it needs root); if not, says so, except in CI,
/// which runs as root.
fn root_for_containerd() -> bool {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI runs the tests as root"
    );
    eprintln!("skipped: starting a containerd needs root");
    false
}

#[test]
fn containerd_imports_every_image() {
    if !root_for_containerd() {
        return;
    }
    let (Some(()), Some(())) = (tool("containerd"), tool("ctr")) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (wasm, native) = programs(dir.path());
    let layout = dir.path().join("layout");
    let built = write_all(&layout, &wasm, &native);
    // `ctr image import` reads an OCI layout as a tar archive.
    let archive = dir.path().join("images.tar");
    let mut tar = tar::Builder::new(std::fs::File::create(&archive).unwrap());
    tar.append_dir_all(".", &layout).unwrap();
    tar.finish().unwrap();
    drop(tar);
    let containerd = start_containerd(&dir.path().join("containerd"));
    // The CNCF artifact is not a runnable image: it is imported, not unpacked.
    let out = ctr(
        &containerd,
        &[
            "image",
            "import",
            "--all-platforms",
            "--no-unpack",
            archive.to_str().unwrap(),
        ],
    );
    assert!(
        out.status.success(),
        "ctr image import: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = ctr(&containerd, &["image", "ls"]);
    let listed = String::from_utf8_lossy(&out.stdout);
    for image in &built {
        let line = listed
            .lines()
            .find(|l| {
                l.split_whitespace()
                    .next()
                    .is_some_and(|n| n.ends_with(&format!(":{}", image.tag)))
            })
            .unwrap_or_else(|| panic!("{} not imported:\n{listed}", image.tag));
        assert!(line.contains(&image.digest), "{line}");
    }
}

#[test]
fn a_layer_store_builds_roots_from_shared_files_and_makes_them_read_only() {
    use std::os::unix::fs::MetadataExt;
    let dir = tempfile::tempdir().unwrap();
    let (wasm, native) = programs(dir.path());
    let layout = dir.path().join("layout");
    write_all(&layout, &wasm, &native);
    let store = wasmfaas_oci::LayerStore::new(dir.path().join("layers"));
    let unpack = |tag: &str, bundle: &str| store.unpack(&layout, tag, &dir.path().join(bundle));

    // The same image twice: one copy of the program, linked from the store into both roots.
    let a = unpack("hello-native-static", "a").unwrap();
    let b = unpack("hello-native-static", "b").unwrap();
    let program = |bundle: &wasmfaas_oci::Bundle| {
        bundle
            .rootfs()
            .join(bundle.image.argv[0].trim_start_matches('/'))
    };
    assert_eq!(
        std::fs::read(program(&a)).unwrap(),
        std::fs::read(&native).unwrap()
    );
    let metadata = std::fs::metadata(program(&a)).unwrap();
    assert_eq!(
        metadata.ino(),
        std::fs::metadata(program(&b)).unwrap().ino()
    );
    assert_eq!(
        metadata.nlink(),
        3,
        "the store's file and the two roots' links"
    );
    assert_eq!(
        metadata.mode() & 0o777,
        0o755,
        "the program stays executable"
    );
    let layers = std::fs::read_dir(store.dir()).unwrap().count();
    assert_eq!(layers, 1, "the image's one layer, unpacked once");

    // Shared files make a read-only root; a private unpack keeps it writable.
    let root_read_only = |bundle: &wasmfaas_oci::Bundle| {
        bundle
            .write_config(&[], &[], &Default::default())
            .unwrap()
            .root()
            .as_ref()
            .unwrap()
            .readonly()
    };
    assert_eq!(root_read_only(&a), Some(true));
    let private =
        wasmfaas_oci::unpack(&layout, "hello-native-static", &dir.path().join("c")).unwrap();
    assert_eq!(root_read_only(&private), Some(false));
    let private_program = std::fs::metadata(program(&private)).unwrap();
    assert_eq!(private_program.nlink(), 1, "a private root shares no file");
    let entries = std::fs::read_dir(&private.path).unwrap().count();
    assert_eq!(entries, 2, "rootfs and config.json, no store left behind");

    // Unpacking a bundle again replaces its root and leaves the other bundle whole.
    std::fs::write(a.rootfs().join("stray"), "x").unwrap();
    let a = unpack("hello-native-static", "a").unwrap();
    assert!(!a.rootfs().join("stray").exists());
    std::fs::remove_dir_all(&a.path).unwrap();
    assert_eq!(
        std::fs::read(program(&b)).unwrap(),
        std::fs::read(&native).unwrap()
    );

    // Two functions' Debian images: the 130 MB base is unpacked once and shared.
    if variants().contains(&Variant::NativeDebian) {
        let other = dir.path().join("other");
        std::fs::write(&other, b"#!/bin/sh\necho other\n").unwrap();
        let images = Images::open(&layout)
            .unwrap()
            .with_base_cache(&base_cache());
        images
            .write("other", &Variant::NativeDebian, &other)
            .unwrap();
        let hello = unpack("hello-native-debian", "hello-debian").unwrap();
        let other = unpack("other-native-debian", "other-debian").unwrap();
        let shell = |bundle: &wasmfaas_oci::Bundle| {
            std::fs::symlink_metadata(bundle.rootfs().join("usr/bin/dash"))
                .unwrap()
                .ino()
        };
        assert_eq!(shell(&hello), shell(&other));
        assert_ne!(
            std::fs::read(program(&hello)).unwrap(),
            std::fs::read(program(&other)).unwrap()
        );
        // The static image's layer, the base, and each function's own layer.
        assert_eq!(std::fs::read_dir(store.dir()).unwrap().count(), 4);
    }

    // A tag that is not there is the same clear error as for a private unpack.
    let error = unpack("nothing-native-static", "x")
        .unwrap_err()
        .to_string();
    assert!(error.contains("no image tagged"), "{error}");
}

#[test]
fn a_damaged_layer_is_named_and_never_kept_half_unpacked() {
    let dir = tempfile::tempdir().unwrap();
    let (wasm, native) = programs(dir.path());
    let layout = dir.path().join("layout");
    let built = write_all(&layout, &wasm, &native);
    let manifest = &built
        .iter()
        .find(|b| b.tag == "hello-native-static")
        .unwrap()
        .digest;
    let manifest: serde_json::Value = serde_json::from_slice(
        &std::fs::read(layout.join("blobs").join(manifest.replace(':', "/"))).unwrap(),
    )
    .unwrap();
    let layer = manifest["layers"][0]["digest"]
        .as_str()
        .unwrap()
        .replace(':', "/");
    let blob = layout.join("blobs").join(&layer);
    let mut bytes = std::fs::read(&blob).unwrap();
    bytes.truncate(bytes.len() / 2);
    std::fs::write(&blob, bytes).unwrap();

    let store = wasmfaas_oci::LayerStore::new(dir.path().join("layers"));
    let error = store
        .unpack(&layout, "hello-native-static", &dir.path().join("bundle"))
        .unwrap_err()
        .to_string();
    assert!(
        error.contains(&blob.display().to_string()) && error.contains("cannot unpack this layer"),
        "{error}"
    );
    let kept: Vec<_> = std::fs::read_dir(store.dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| !name.ends_with(".partial"))
        .collect();
    assert!(kept.is_empty(), "a half-unpacked layer was kept: {kept:?}");
}

#[test]
fn a_registry_serves_every_image_to_skopeo_and_containerd_unchanged() {
    if !root_for_containerd() {
        return;
    }
    let (Some(()), Some(()), Some(()), Some(())) = (
        tool("docker-registry"),
        tool("skopeo"),
        tool("containerd"),
        tool("ctr"),
    ) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (wasm, native) = programs(dir.path());
    let layout = dir.path().join("layout");
    let built = write_all(&layout, &wasm, &native);
    let registry = Registry::start(&dir.path().join("registry"));
    let containerd = start_containerd(&dir.path().join("containerd"));
    for image in &built {
        // Pushed as a user publishes an image, under the name a cluster would pull.
        let remote = registry.push(
            &layout,
            &image.tag,
            &format!("wasmfaas/hello:{}", image.tag),
        );
        // The registry serves the manifest as written: the same digest.
        let out = Command::new("skopeo")
            .args(["inspect", "--raw", "--tls-verify=false"])
            .arg(format!("docker://{remote}"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        use sha2::Digest;
        let served = format!("sha256:{}", hex::encode(sha2::Sha256::digest(&out.stdout)));
        assert_eq!(served, image.digest, "{remote}");
        // containerd pulls it, every blob, and names the same digest. ctr 1.6 unpacks what it
        // pulls, which the CNCF artifact (no root filesystem) is not for: its content is
        // fetched instead, as `--no-unpack` imports it.
        let artifact = image.tag.ends_with("-artifact");
        let (fetch, list) = if artifact {
            (["content", "fetch"], ["content", "ls"])
        } else {
            (["image", "pull"], ["image", "ls"])
        };
        let out = ctr(
            &containerd,
            &[
                fetch[0],
                fetch[1],
                "--plain-http",
                "--all-platforms",
                &remote,
            ],
        );
        assert!(
            out.status.success(),
            "ctr {} {} {remote}: {}",
            fetch[0],
            fetch[1],
            String::from_utf8_lossy(&out.stderr)
        );
        let out = ctr(&containerd, &list);
        let listed = String::from_utf8_lossy(&out.stdout);
        let line = listed
            .lines()
            .find(|l| {
                let first = l.split_whitespace().next();
                if artifact {
                    first == Some(image.digest.as_str())
                } else {
                    first == Some(remote.as_str())
                }
            })
            .unwrap_or_else(|| panic!("{remote} not pulled:\n{listed}"));
        assert!(line.contains(&image.digest), "{line}");
    }
}
