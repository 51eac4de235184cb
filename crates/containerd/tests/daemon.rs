//! A real private containerd: started, answering ctr, restored to its pristine metadata, and
//! gone with nothing left when dropped. Needs root and containerd; without them each test says
//! why it skips (and fails under CI=true, which runs as root with containerd installed).
use std::path::Path;

use wasmfaas_containerd::{Containerd, Options, shims_of};

/// The options to start one with, or `None` (having said why) where it cannot run here.
fn options() -> Option<Options> {
    // SAFETY: geteuid has no preconditions.
    let found = if unsafe { libc::geteuid() } != 0 {
        Err("root".to_owned())
    } else {
        Options::from_path().map_err(|e| e.to_string())
    };
    match found {
        Ok(options) => Some(options),
        Err(missing) => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "a private containerd needs {missing}; CI provides it"
            );
            eprintln!("skipped: a private containerd needs {missing}");
            None
        }
    }
}

/// A folder short enough for containerd's socket path to fit a `sockaddr_un`.
fn short_folder() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("wfc-")
        .tempdir_in("/tmp")
        .unwrap()
}

fn ctr(containerd: &Containerd, args: &[&str]) -> String {
    let out = containerd.ctr().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "ctr {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The processes whose command line names `dir`.
fn processes_naming(dir: &Path) -> Vec<String> {
    let needle = dir.as_os_str().as_encoded_bytes();
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter(|p| p.file_name().to_string_lossy().parse::<u32>().is_ok())
        .filter_map(|p| std::fs::read(p.path().join("cmdline")).ok())
        .filter(|cmdline| cmdline.windows(needle.len()).any(|w| w == needle))
        .map(|cmdline| String::from_utf8_lossy(&cmdline).replace('\0', " "))
        .collect()
}

#[test]
fn it_restores_its_pristine_metadata_and_leaves_nothing() {
    let Some(options) = options() else { return };
    let dir = short_folder();
    let folder = dir.path().join("c");
    let mut containerd = Containerd::start(&folder, options).unwrap();
    assert!(ctr(&containerd, &["version"]).contains("Server:"));
    // The CRI plugin is off unless asked for.
    assert!(!ctr(&containerd, &["plugins", "ls"]).contains("io.containerd.grpc.v1.cri"));

    ctr(&containerd, &["namespaces", "create", "kept"]);
    containerd.save_pristine().unwrap();
    ctr(&containerd, &["namespaces", "create", "dropped"]);
    assert!(ctr(&containerd, &["namespaces", "ls", "--quiet"]).contains("dropped"));
    containerd.restore_pristine().unwrap();
    let namespaces = ctr(&containerd, &["namespaces", "ls", "--quiet"]);
    assert!(namespaces.lines().any(|n| n == "kept"), "{namespaces}");
    assert!(!namespaces.lines().any(|n| n == "dropped"), "{namespaces}");

    let address = containerd.address().to_path_buf();
    assert_eq!(processes_naming(&folder).len(), 1, "one daemon, no shim");
    drop(containerd);
    assert_eq!(processes_naming(&folder), Vec::<String>::new());
    assert_eq!(shims_of(&address), Vec::new());
    assert!(!folder.exists(), "its folder is removed");
}

#[test]
fn the_cri_plugin_and_added_config_are_read() {
    let Some(options) = options() else { return };
    let dir = short_folder();
    let options = options.with_cri().with_config(
        "[plugins.\"io.containerd.grpc.v1.cri\"]\n  sandbox_image = \"example.test/pause:wfc\"\n",
    );
    let containerd = Containerd::start(&dir.path().join("c"), options).unwrap();
    let plugins = ctr(&containerd, &["plugins", "ls"]);
    assert!(
        plugins
            .lines()
            .any(|l| l.contains("io.containerd.grpc.v1") && l.contains("cri")),
        "{plugins}"
    );
    // containerd logs the CRI config it read, the added sandbox image among it.
    assert!(
        containerd.log().contains("example.test/pause:wfc"),
        "{}",
        containerd.log()
    );
}
