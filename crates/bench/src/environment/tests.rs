use super::*;

/// A machine with every container tool, or with none.
fn host(tools: bool) -> Host {
    let tool = |name: &str| tools.then(|| std::path::PathBuf::from(format!("/usr/bin/{name}")));
    Host {
        root: tools,
        runc: tool("runc"),
        containerd: tool("containerd"),
        ctr: tool("ctr"),
        runtime: tool("wasmfaas-runtime").ok_or_else(|| "wasmfaas-runtime is not built".into()),
        shim: tool("containerd-shim-wasmfaas-v1")
            .ok_or_else(|| "containerd-shim-wasmfaas-v1 is not built".into()),
        debian: if tools {
            Ok(())
        } else {
            Err("no debootstrap".into())
        },
        runners: Default::default(),
    }
}

#[test]
fn names_round_trip() {
    for name in [
        "process/native",
        "process/native-static",
        "embedded/wasmtime-aot",
        "process/wasmi-interp",
        "containerd/wasmer-jit",
        "oci/native-static",
        "containerd/native-debian",
    ] {
        assert_eq!(Environment::parse(name).unwrap().to_string(), name);
    }
    let debian = Environment::parse("containerd/native-debian").unwrap();
    assert_eq!(debian.base, Some(Base::Debian));
    assert_eq!(debian.engine_mode(), "native-debian");
}

#[test]
fn a_native_image_variant_names_its_base_and_so_its_build() {
    use wasmfaas_oci::Variant;
    for base in Base::ALL {
        assert_eq!(Base::of_variant(&base.variant()), Some(base));
    }
    let build = |variant| Base::of_variant(&variant).map(Base::native_build);
    assert_eq!(build(Variant::NativeStatic), Some(NativeBuild::Static));
    assert_eq!(build(Variant::NativeDistroless), Some(NativeBuild::Glibc));
    assert_eq!(build(Variant::NativeDebian), Some(NativeBuild::Glibc));
    assert_eq!(build(Variant::Wasm), None);
    assert_eq!(build(Variant::WasmArtifact), None);
}

#[test]
fn each_native_environment_runs_the_build_its_images_hold() {
    let build = |name: &str| Environment::parse(name).unwrap().native_build();
    // As the paper's images: glibc on distroless and Debian, and the process that stands in
    // for them; musl where the binary is alone.
    assert_eq!(build("process/native"), NativeBuild::Glibc);
    assert_eq!(build("oci/native-distroless"), NativeBuild::Glibc);
    assert_eq!(build("containerd/native-debian"), NativeBuild::Glibc);
    assert_eq!(build("process/native-static"), NativeBuild::Static);
    assert_eq!(build("containerd/native-static"), NativeBuild::Static);
    let names: Vec<String> = available(&wasmfaas_engines::registry(), &host(false))
        .iter()
        .map(|e| e.to_string())
        .filter(|n| n.starts_with("process/native"))
        .collect();
    assert_eq!(names, ["process/native", "process/native-static"]);
}

#[test]
fn bad_names_say_what_is_expected() {
    for (name, expected) in [
        ("wasmtime-aot", "launcher/engine-mode"),
        ("cloud/native", "launcher/engine-mode"),
        ("process/wasmtime", "launcher/engine-mode"),
        ("process/wasmtime-fast", "launcher/engine-mode"),
        ("oci/native", "names its base"),
        ("oci/native-alpine", "static, distroless, debian"),
        (
            "process/native-debian",
            "only the oci and containerd launchers",
        ),
    ] {
        let error = Environment::parse(name).unwrap_err();
        assert!(error.contains(expected), "{name}: {error}");
    }
}

#[test]
fn selection_by_glob_and_clear_errors() {
    let engines = wasmfaas_engines::registry();
    let bare = host(false);
    let (available, unavailable) = (available(&engines, &bare), unavailable(&engines, &bare));
    let process = select(&available, &unavailable, &["process/*".into()]).unwrap();
    assert!(process.iter().all(|e| e.launcher == LauncherKind::Process));
    assert!(process.iter().any(|e| e.engine == "native"));
    let error = select(
        &available,
        &unavailable,
        &["containerd/wasmtime-aot".into()],
    )
    .unwrap_err();
    assert!(
        error.to_string().contains("apt-get install runc"),
        "{error}"
    );
    let error = select(&available, &unavailable, &["oci/native-static".into()]).unwrap_err();
    assert!(
        error.to_string().contains("apt-get install runc"),
        "{error}"
    );
    let wasmedge = select(&available, &unavailable, &["process/wasmedge-aot".into()]);
    if engines.iter().any(|e| e.name() == "wasmedge") {
        assert!(wasmedge.is_ok(), "{wasmedge:?}");
    } else {
        let error = wasmedge.unwrap_err();
        assert!(error.to_string().contains("WasmEdge"), "{error}");
    }
    let error = select(&available, &unavailable, &["process/nothing-jit".into()]).unwrap_err();
    assert!(error.to_string().contains("available here"), "{error}");
}

#[test]
fn what_a_selection_leaves_out_is_grouped_by_reason() {
    let engines = wasmfaas_engines::registry();
    let bare = host(false);
    let unavailable = unavailable(&engines, &bare);
    let everything = left_out(&unavailable, &["*".into()]);
    let runc = everything
        .iter()
        .find(|(_, reason)| reason.contains("apt-get install runc"))
        .expect("runc's absence is one group");
    assert!(runc.0.contains(&"oci/native-*".to_owned()), "{runc:?}");
    assert!(runc.0.contains(&"oci/wasmtime-*".to_owned()), "{runc:?}");
    assert!(
        runc.0.contains(&"containerd/wasmer-*".to_owned()),
        "{runc:?}"
    );
    // Asking for processes leaves out only what a process could run: WasmEdge, if absent.
    let process = left_out(&unavailable, &["process/wasm*".into()]);
    if engines.iter().any(|e| e.name() == "wasmedge") {
        assert!(process.is_empty(), "{process:?}");
    } else {
        assert_eq!(process.len(), 1, "{process:?}");
        assert_eq!(process[0].0, ["*/wasmedge-*"]);
    }
    assert!(left_out(&unavailable, &["process/native".into()]).is_empty());
    let oci = left_out(&unavailable, &["oci/wasmtime-aot".into()]);
    assert_eq!(oci.len(), 1, "{oci:?}");
    assert_eq!(oci[0].0, ["oci/wasmtime-*"]);
}

#[test]
fn container_environments_follow_the_tools() {
    let engines = wasmfaas_engines::registry();
    let names = |host: &Host| -> Vec<String> {
        available(&engines, host)
            .iter()
            .map(|e| e.to_string())
            .filter(|n| n.starts_with("oci/native") || n.starts_with("containerd/native"))
            .collect()
    };
    let wasm = |host: &Host| -> Vec<String> {
        available(&engines, host)
            .iter()
            .filter(|e| e.launcher == LauncherKind::Containerd && e.is_wasm())
            .map(|e| e.to_string())
            .collect()
    };
    assert!(wasm(&host(true)).contains(&"containerd/wasmtime-aot".to_owned()));
    assert!(wasm(&host(true)).contains(&"containerd/wasmi-interp".to_owned()));
    let no_runtime = Host {
        runtime: Err("wasmfaas-runtime is not built".into()),
        ..host(true)
    };
    assert!(wasm(&no_runtime).is_empty());
    // The shim's environments follow the shim alone: runc is not in its path.
    let shim_only = Host {
        runc: None,
        runtime: Err("wasmfaas-runtime is not built".into()),
        ..host(true)
    };
    let shim_names: Vec<String> = available(&engines, &shim_only)
        .iter()
        .filter(|e| e.launcher != LauncherKind::Embedded && e.launcher != LauncherKind::Process)
        .map(|e| e.to_string())
        .collect();
    assert!(shim_names.contains(&"containerd-shim/wasmtime-aot".to_owned()));
    assert!(
        shim_names.iter().all(|n| n.starts_with("containerd-shim/")),
        "{shim_names:?}"
    );
    let no_shim = Host {
        shim: Err("containerd-shim-wasmfaas-v1 is not built".into()),
        ..host(true)
    };
    assert!(
        unavailable(&engines, &no_shim)
            .iter()
            .any(|u| u.pattern == "containerd-shim/wasmtime-*"
                && u.reason.contains("containerd-shim-wasmfaas-v1"))
    );
    assert!(Environment::parse("containerd-shim/native-static").is_err());
    assert_eq!(
        Environment::parse("containerd-shim/wasmi-interp")
            .unwrap()
            .to_string(),
        "containerd-shim/wasmi-interp"
    );
    assert!(
        unavailable(&engines, &no_runtime)
            .iter()
            .any(|u| u.pattern == "containerd/wasmer-*" && u.reason.contains("wasmfaas-runtime"))
    );
    assert!(names(&host(false)).is_empty());
    assert_eq!(
        names(&host(true)),
        [
            "oci/native-static",
            "oci/native-distroless",
            "oci/native-debian",
            "containerd/native-static",
            "containerd/native-distroless",
            "containerd/native-debian"
        ]
    );
    let no_debian = Host {
        debian: Err("no debootstrap".into()),
        ..host(true)
    };
    assert!(!names(&no_debian).iter().any(|n| n.ends_with("debian")));
    let reasons = unavailable(&engines, &no_debian);
    assert!(
        reasons
            .iter()
            .any(|u| u.pattern == "oci/native-debian" && u.reason == "no debootstrap")
    );
    let not_root = Host {
        root: false,
        ..host(true)
    };
    assert!(names(&not_root).is_empty());
    assert!(
        unavailable(&engines, &not_root)
            .iter()
            .any(|u| u.pattern == "containerd/native-*" && u.reason.contains("root"))
    );
}
