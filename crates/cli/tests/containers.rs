//! The suite's images through runc and wasmfaas-runtime (`oci`) and through containerd: native
//! images on every base and WebAssembly on every engine and mode, every function's output
//! checked, nothing left behind (also after Ctrl-C), and clear errors when a piece is missing or
//! fails. Containers need root, runc and containerd: CI runs these as root with both installed;
//! elsewhere each test says why it skips.
mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use common::{EXIT_ERROR, built, wasmfaas};

/// Exit code of a bench stopped by Ctrl-C.
const EXIT_INTERRUPTED: i32 = 130;

/// The tests look for leftovers machine-wide, so they must not see each other's containers.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Whether containers can run here; if not, says why (and fails in CI, which must run these).
fn containers_here() -> bool {
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    let tools = ["runc", "containerd", "ctr"]
        .iter()
        .all(|tool| wasmfaas_oci::find_tool(tool).is_some());
    if root && tools {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI runs the tests as root with runc and containerd installed by .ci/run"
    );
    eprintln!(
        "skipped: containers need root, runc and containerd (apt-get install runc containerd)"
    );
    false
}

fn samples(dir: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(dir.join("samples.jsonl"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// What a bench in `dir` could have left: processes naming the folder (containerd, shims,
/// runc, the functions), mounts under it, cgroups of our containers or containerd namespace,
/// runc's state, unpacked bundles and the private containerd's folder.
fn leftovers(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let needle = dir.as_os_str().as_encoded_bytes();
    for process in std::fs::read_dir("/proc").unwrap().flatten() {
        if process
            .file_name()
            .to_string_lossy()
            .parse::<u32>()
            .is_err()
        {
            continue;
        }
        if let Ok(cmdline) = std::fs::read(process.path().join("cmdline"))
            && cmdline.windows(needle.len()).any(|w| w == needle)
        {
            found.push(format!(
                "process {}: {}",
                process.file_name().to_string_lossy(),
                String::from_utf8_lossy(&cmdline).replace('\0', " ")
            ));
        }
    }
    let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    for point in mountinfo.lines().filter_map(|l| l.split(' ').nth(4)) {
        if Path::new(point).starts_with(dir) {
            found.push(format!("mount {point}"));
        }
    }
    for hierarchy in std::fs::read_dir("/sys/fs/cgroup").unwrap().flatten() {
        let mut level = vec![hierarchy.path()];
        for _ in 0..3 {
            let mut next = Vec::new();
            for folder in &level {
                for child in std::fs::read_dir(folder).into_iter().flatten().flatten() {
                    if child.path().is_dir() {
                        if child.file_name().to_string_lossy().starts_with("wasmfaas-") {
                            found.push(format!("cgroup {}", child.path().display()));
                        }
                        next.push(child.path());
                    }
                }
            }
            level = next;
        }
    }
    // The runc shim's and wasmfaas's shim's runtime state folders of our containerd namespaces.
    for shim_root in ["/run/containerd/runc", "/run/containerd/wasmfaas"] {
        for state in std::fs::read_dir(shim_root).into_iter().flatten().flatten() {
            if state.file_name().to_string_lossy().starts_with("wasmfaas-") {
                found.push(format!("runtime state {}", state.path().display()));
            }
        }
    }
    for folder in ["runc", "bundles", "layers", "containerd"] {
        let path = dir.join("work").join(folder);
        if path.exists() {
            found.push(format!("folder {}", path.display()));
        }
    }
    found
}

#[test]
fn every_image_runs_under_oci_and_containerd_with_its_output_checked() {
    if !containers_here() {
        return;
    }
    let _serial = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    built();
    let dir = tempfile::tempdir().unwrap();
    let runset = dir.path().join("runset");
    let out = wasmfaas(&[
        "bench",
        "--environments",
        "oci/*,containerd/*",
        "--runs",
        "1",
        "--warmup",
        "0",
        "--size",
        "small",
        "--no-progress",
        "--no-build",
        "--output",
        runset.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let samples = samples(&runset);
    // 13 functions × {static, distroless, debian, wasmtime jit/aot/baseline, wasmer jit/aot,
    // wasmi} × {oci, containerd} (wasmfaas's shim has its own test, at size paper): Wasmer
    // reaches the read-only input mounts too (the paper's Wasmer ran 6 of 13), arguments arrive
    // one by one, and every output passes its check.
    assert_eq!(samples.len(), 13 * 9 * 2, "{stderr}");
    for sample in &samples {
        assert_eq!(sample["ok"], true, "{sample}");
        assert_eq!(sample["exit_code"], 0, "{sample}");
        // An oci run's create, start-to-exit and delete make up its time; ctr run is one step.
        let lifecycle = &sample["lifecycle"];
        if sample["environment"].as_str().unwrap().starts_with("oci/") {
            let steps: u64 = ["create", "start_to_exit", "delete"]
                .iter()
                .map(|step| {
                    lifecycle[step]
                        .as_u64()
                        .unwrap_or_else(|| panic!("{sample}"))
                })
                .sum();
            assert_eq!(steps, sample["total_ns"].as_u64().unwrap(), "{sample}");
            assert!(lifecycle["create"].as_u64() > Some(0), "{sample}");
        } else {
            assert!(lifecycle.is_null(), "{sample}");
        }
    }
    for environment in [
        "oci/native-debian",
        "containerd/native-distroless",
        "oci/wasmer-jit",
        "containerd/wasmer-aot",
        "containerd/wasmtime-aot",
        "containerd/wasmi-interp",
    ] {
        assert_eq!(
            samples
                .iter()
                .filter(|s| s["environment"] == environment)
                .count(),
            13
        );
    }
    // As the paper's images: the binary on distroless and Debian is linked against glibc and
    // its loader is in the image; the static image holds the musl binary alone.
    let images = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../artifacts/images");
    for (tag, program) in [
        ("matmul-native-static", "matmul"),
        ("matmul-native-distroless", "matmul"),
        ("matmul-native-debian", "usr/local/bin/matmul"),
    ] {
        let bundle = dir.path().join(tag);
        wasmfaas_oci::unpack(&images, tag, &bundle).unwrap();
        let rootfs = bundle.join("rootfs");
        let loader = wasmfaas_oci::interpreter(&std::fs::read(rootfs.join(program)).unwrap());
        match loader {
            None => assert_eq!(tag, "matmul-native-static"),
            Some(loader) => {
                assert_ne!(tag, "matmul-native-static");
                // The loader's path is an absolute symlink: look at the link, not the host.
                let inside = rootfs.join(loader.trim_start_matches('/'));
                assert!(inside.symlink_metadata().is_ok(), "{tag}: no {loader}");
                assert!(
                    rootfs.join("lib/x86_64-linux-gnu/libc.so.6").exists(),
                    "{tag}"
                );
            }
        }
    }
    // The report has the paper's Table 7 pair for both launchers.
    let report = std::fs::read_to_string(runset.join("report.md")).unwrap();
    assert!(report.contains("Distroless vs debian"), "{report}");
    assert!(
        report.contains("Container lifecycle (oci launcher)"),
        "{report}"
    );
    assert_eq!(leftovers(&runset), Vec::<String>::new());
}

#[test]
fn every_function_runs_through_the_shim_at_size_paper_with_its_output_checked() {
    if !containers_here() {
        return;
    }
    let _serial = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    built();
    let dir = tempfile::tempdir().unwrap();
    let runset = dir.path().join("runset");
    let out = wasmfaas(&[
        "bench",
        "--environments",
        "containerd-shim/*",
        "--runs",
        "1",
        "--warmup",
        "0",
        "--size",
        "paper",
        "--no-progress",
        "--no-build",
        "--output",
        runset.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let samples = samples(&runset);
    // 13 functions × wasmtime jit/aot/baseline, wasmer jit/aot, wasmi: ctr run --rm through
    // containerd-shim-wasmfaas-v1, the paper's inputs, every output checked.
    assert_eq!(samples.len(), 13 * 6, "{stderr}");
    for sample in &samples {
        assert_eq!(sample["ok"], true, "{sample}");
        assert!(
            sample["environment"]
                .as_str()
                .unwrap()
                .starts_with("containerd-shim/"),
            "{sample}"
        );
    }
    assert_eq!(leftovers(&runset), Vec::<String>::new());
}

/// `bench --density`: containers side by side through both integrations, every one checked,
/// each round's tasks per second and the memory of the shims and what runs under them in the
/// run set and the report; a function that writes files is left out, saying why.
#[test]
fn density_rounds_run_containers_side_by_side_and_measure_their_memory() {
    if !containers_here() {
        return;
    }
    let _serial = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    built();
    let dir = tempfile::tempdir().unwrap();
    let selection = [
        "--functions",
        "hello,imageprocessing",
        "--environments",
        "containerd-shim/wasmtime-aot,containerd/native-static,process/native",
        "--density",
        "--density-concurrency",
        "1,3",
        "--density-tasks",
        "6",
    ];
    let (out, runset) = common::quiet_bench(dir.path(), &selection, "1");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("density leaves out imageprocessing: it writes output files"),
        "{stderr}"
    );
    let rounds: Vec<serde_json::Value> = std::fs::read_to_string(runset.join("density.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // hello × the two container environments (not process/) × K = 1, 3.
    assert_eq!(rounds.len(), 2 * 2, "{rounds:?}");
    for round in &rounds {
        assert_eq!(round["function"], "hello", "{round}");
        assert!(
            round["environment"]
                .as_str()
                .unwrap()
                .starts_with("containerd"),
            "{round}"
        );
        assert_eq!(round["tasks"], 6, "{round}");
        assert!(round["tasks_per_second"].as_f64().unwrap() > 0.0, "{round}");
        // Every container has a shim while it runs, and the sampler saw at least one.
        assert!(round["peak"]["shims"].as_u64().unwrap() >= 1, "{round}");
        assert!(
            round["peak"]["shim_pss_kib"].as_u64().unwrap() > 0,
            "{round}"
        );
        // Shims exit as their containers go: at any moment a slot holds its container's shim,
        // the `shim start` launching it and the last container's shim still exiting, never
        // more (so at K = 1, six tasks never show six shims).
        let concurrency = round["concurrency"].as_u64().unwrap();
        assert!(
            round["peak"]["shims"].as_u64().unwrap() <= 3 * concurrency,
            "shims pile up: {round}"
        );
    }
    let report = std::fs::read_to_string(runset.join("report.md")).unwrap();
    assert!(
        report.contains("Density: containers side by side through containerd"),
        "{report}"
    );
    assert!(report.contains("× containerd/native-static"), "{report}");
    assert_eq!(leftovers(&runset), Vec::<String>::new());
}

/// The examples in images of their own: the module through wasmfaas-runtime (and, for the one
/// built from source, the shim), the glibc binary on the distroless base.
#[test]
fn the_examples_run_in_containers_with_their_outputs_checked() {
    if !containers_here() {
        return;
    }
    let _serial = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let manifest = common::examples().join("functions.toml");
    let dir = tempfile::tempdir().unwrap();
    let (out, runset) = common::manifest_bench(
        dir.path(),
        &manifest,
        "oci/wasmtime-aot,containerd-shim/wasmtime-aot,oci/native-distroless",
        "2",
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let wordfreq = samples(&runset);
    assert_eq!(wordfreq.len(), 3 * 2, "{stderr}");
    for sample in &wordfreq {
        assert_eq!(sample["function"], "wordfreq", "{sample}");
        assert_eq!(sample["ok"], true, "{sample}");
    }
    let report = std::fs::read_to_string(runset.join("report.md")).unwrap();
    assert!(report.contains("wordfreq"), "{report}");
    assert_eq!(leftovers(&runset), Vec::<String>::new());
    // The prebuilt example too, its module through wasmfaas-runtime, its binary on distroless.
    let dir = tempfile::tempdir().unwrap();
    let (out, runset) = common::manifest_bench(
        dir.path(),
        &common::prebuilt_fib(),
        "oci/wasmtime-aot,oci/native-distroless",
        "2",
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let fib = samples(&runset);
    assert_eq!(fib.len(), 2 * 2, "{stderr}");
    assert!(
        fib.iter()
            .all(|s| s["function"] == "fib" && s["ok"] == true),
        "{fib:?}"
    );
    assert_eq!(leftovers(&runset), Vec::<String>::new());
}

/// `wasmfaas images --manifest`: a user's glibc binary that needs a library distroless/cc does
/// not have (zlib) gets it in its distroless image, found as `ldd` finds it, and runs there;
/// one whose library the loader cannot find is refused naming it.
#[test]
fn images_of_a_manifest_function_carry_the_libraries_its_binary_needs() {
    if !containers_here() {
        return;
    }
    let _serial = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let cc = |args: &[&str]| {
        let out = Command::new("cc")
            .args(args)
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "cc {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    std::fs::write(
        dir.path().join("zver.c"),
        "#include <stdio.h>\nextern const char *zlibVersion(void);\nint main(void) { printf(\"zlib %s\\n\", zlibVersion()); return 0; }\n",
    )
    .unwrap();
    // Linked by the library's file name: no zlib headers or development package needed.
    cc(&["-O2", "-o", "zver", "zver.c", "-l:libz.so.1"]);
    std::fs::write(
        dir.path().join("functions.toml"),
        "[[function]]\nname = \"zver\"\nbinary = \"zver\"\ncheck = { command = \"grep -q '^zlib 1[.]'\" }\n",
    )
    .unwrap();
    let layout = dir.path().join("layout");
    let manifest = dir.path().join("functions.toml");
    let out = wasmfaas(&[
        "images",
        "--manifest",
        manifest.to_str().unwrap(),
        "--output",
        layout.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let row = stdout
        .lines()
        .find(|l| l.starts_with("zver "))
        .unwrap_or_else(|| panic!("{stdout}"));
    // No module: no WebAssembly images; dynamic: no native-static one; said why, once each.
    assert!(
        stderr.contains("not written: zver-wasm: zver declares no `module`"),
        "{stderr}"
    );
    assert!(
        stderr.contains("not written: zver-native-static:")
            && stderr.contains("dynamically linked"),
        "{stderr}"
    );
    assert!(row.contains("KiB") || row.contains("MiB"), "{row}");
    let bundle = dir.path().join("bundle");
    wasmfaas_oci::unpack(&layout, "zver-native-distroless", &bundle).unwrap();
    assert!(
        bundle
            .join("rootfs/lib/x86_64-linux-gnu/libz.so.1")
            .is_file(),
        "zlib is in the image"
    );
    // And it runs there, through the bench's own image of it.
    let (out, runset) = common::manifest_bench(dir.path(), &manifest, "oci/native-distroless", "1");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(samples(&runset).iter().all(|s| s["ok"] == true), "{stderr}");
    assert_eq!(leftovers(&runset), Vec::<String>::new());

    // A library the loader cannot find (linked by path, no rpath): one clear error.
    std::fs::write(dir.path().join("demo.c"), "int demo(void) { return 7; }\n").unwrap();
    std::fs::write(
        dir.path().join("main.c"),
        "int demo(void);\nint main(void) { return demo() - 7; }\n",
    )
    .unwrap();
    cc(&[
        "-shared",
        "-fPIC",
        "-o",
        "libwfdemo.so.1",
        "-Wl,-soname,libwfdemo.so.1",
        "demo.c",
    ]);
    cc(&["-o", "needsdemo", "main.c", "./libwfdemo.so.1"]);
    std::fs::write(
        &manifest,
        "[[function]]\nname = \"needsdemo\"\nbinary = \"needsdemo\"\n",
    )
    .unwrap();
    let out = wasmfaas(&[
        "images",
        "--manifest",
        manifest.to_str().unwrap(),
        "--output",
        layout.to_str().unwrap(),
    ]);
    assert_stderr(
        &out,
        EXIT_ERROR,
        &[
            "needsdemo's native-distroless image",
            "libwfdemo.so.1",
            "not found",
        ],
    );
}

#[test]
fn an_interrupted_container_bench_leaves_nothing_behind() {
    if !containers_here() {
        return;
    }
    let _serial = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    built();
    let dir = tempfile::tempdir().unwrap();
    let runset = dir.path().join("runset");
    let mut child = Command::new(env!("CARGO_BIN_EXE_wasmfaas"))
        .args([
            "bench",
            "--functions",
            "hello",
            "--environments",
            "oci/native-debian,containerd/native-debian",
            "--runs",
            "200",
            "--warmup",
            "0",
            "--size",
            "small",
            "--no-progress",
            "--no-build",
            "--output",
            runset.to_str().unwrap(),
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while samples(&runset).len() < 6 {
        assert!(Instant::now() < deadline, "no samples after 2 minutes");
        assert!(child.try_wait().unwrap().is_none(), "bench ended early");
        std::thread::sleep(Duration::from_millis(5));
    }
    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(EXIT_INTERRUPTED), "{stderr}");
    assert!(samples(&runset).iter().all(|s| s["ok"] == true));
    assert_eq!(leftovers(&runset), Vec::<String>::new());
}

/// A bench of `hello` in `environments` with extra arguments, its output and run set folder.
fn small_bench(
    dir: &Path,
    environments: &str,
    extra: &[&str],
    path: Option<&str>,
) -> (std::process::Output, std::path::PathBuf) {
    let runset = dir.join("runset");
    let mut command = Command::new(env!("CARGO_BIN_EXE_wasmfaas"));
    command
        .args([
            "bench",
            "--functions",
            "hello",
            "--environments",
            environments,
            "--runs",
            "1",
            "--warmup",
            "0",
            "--size",
            "small",
            "--no-progress",
            "--no-build",
            "--output",
            runset.to_str().unwrap(),
        ])
        .args(extra)
        .stdin(Stdio::null());
    if let Some(path) = path {
        command.env("PATH", path);
    }
    (command.output().unwrap(), runset)
}

fn assert_stderr(out: &std::process::Output, code: i32, needles: &[&str]) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    for needle in needles {
        assert!(stderr.contains(needle), "{needle:?} not in: {stderr}");
    }
}

#[test]
fn container_failures_are_clear_errors() {
    if !containers_here() {
        return;
    }
    let _serial = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    built();
    let dir = tempfile::tempdir().unwrap();

    // containerd that does not answer.
    let (out, runset) = small_bench(
        &dir.path().join("unreachable"),
        "containerd/native-static",
        &["--containerd-address", "/nonexistent/containerd.sock"],
        None,
    );
    assert_stderr(
        &out,
        EXIT_ERROR,
        &["/nonexistent/containerd.sock", "does not answer"],
    );
    assert_eq!(leftovers(&runset), Vec::<String>::new());

    // containerd not installed: the environments are unavailable, and say why.
    let (out, _) = small_bench(
        &dir.path().join("no-containerd"),
        "containerd/native-static",
        &[],
        Some("/nonexistent"),
    );
    assert_stderr(
        &out,
        EXIT_ERROR,
        &["not available here", "apt-get install containerd"],
    );

    // runc failing: every run fails with runc's message (so there is nothing to report), and
    // no container is left.
    let fake = dir.path().join("fake-bin");
    std::fs::create_dir_all(&fake).unwrap();
    let runc = fake.join("runc");
    std::fs::write(
        &runc,
        "#!/bin/sh\necho 'fake runc: cannot create containers today' >&2\nexit 1\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&runc, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!(
        "{}:{}",
        fake.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let (out, runset) = small_bench(
        &dir.path().join("bad-runc"),
        "oci/native-static",
        &[],
        Some(&path),
    );
    assert_stderr(
        &out,
        EXIT_ERROR,
        &["no measured run succeeded", "samples.jsonl"],
    );
    let failed = samples(&runset);
    assert_eq!(failed.len(), 1);
    let error = failed[0]["error"].as_str().unwrap();
    assert!(
        error.contains("runc create failed") && error.contains("fake runc"),
        "{error}"
    );
    assert_eq!(leftovers(&runset), Vec::<String>::new());
}

#[test]
fn a_missing_native_binary_or_a_broken_image_layout_is_a_clear_error() {
    if !containers_here() {
        return;
    }
    let _serial = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    built();
    let dir = tempfile::tempdir().unwrap();
    // A project whose suite was never built: no native binary to put in the image.
    let project = dir.path().join("project");
    std::fs::create_dir_all(project.join("artifacts")).unwrap();
    let project_arg = ["--project", project.to_str().unwrap()];
    let (out, runset) = small_bench(
        &dir.path().join("unbuilt"),
        "oci/native-static",
        &project_arg,
        None,
    );
    assert_stderr(
        &out,
        EXIT_ERROR,
        &["hello in oci/native-static", "wasmfaas build"],
    );
    assert_eq!(leftovers(&runset), Vec::<String>::new());

    // A binary, but the image layout it goes into is broken.
    let native = project.join("artifacts/native-static");
    std::fs::create_dir_all(&native).unwrap();
    let real = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../artifacts/native-static/hello");
    std::fs::copy(&real, native.join("hello")).unwrap();
    let images = project.join("artifacts/images");
    std::fs::create_dir_all(&images).unwrap();
    std::fs::write(
        images.join("oci-layout"),
        "{\"imageLayoutVersion\": \"1.0.0\"}",
    )
    .unwrap();
    std::fs::write(images.join("index.json"), "this is not json").unwrap();
    let (out, runset) = small_bench(
        &dir.path().join("broken"),
        "containerd/native-static",
        &project_arg,
        None,
    );
    assert_stderr(
        &out,
        EXIT_ERROR,
        &["hello in containerd/native-static", "index.json"],
    );
    assert_eq!(leftovers(&runset), Vec::<String>::new());
}

#[test]
fn images_written_elsewhere_reuse_the_projects_debian_base() {
    if !containers_here() {
        return;
    }
    let _serial = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    built();
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("layout");
    let out = wasmfaas(&[
        "images",
        "--functions",
        "hello",
        "--output",
        layout.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let project_bases = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../artifacts/bases");
    let said = stderr
        .split("the Debian base is cached in ")
        .nth(1)
        .unwrap_or_else(|| panic!("{stderr}"))
        .trim();
    assert_eq!(
        Path::new(said).canonicalize().unwrap(),
        project_bases.canonicalize().unwrap(),
        "{stderr}"
    );
    assert!(
        !dir.path().join("bases").exists(),
        "a second Debian base was built beside the layout"
    );
    let index = std::fs::read_to_string(layout.join("index.json")).unwrap();
    assert!(index.contains("hello-native-debian"), "{index}");
}
