use std::cell::Cell;

use libcontainer::oci_spec::runtime::MountBuilder;

use super::*;

/// The smallest valid module: every engine compiles it.
const EMPTY_MODULE: &[u8] = b"\0asm\x01\0\0\0";

/// A bundle whose root filesystem holds `files`, running `args` with `annotations` and `mounts`
/// (destinations).
fn bundle(
    files: &[(&str, &[u8])],
    args: &[&str],
    annotations: &[(&str, &str)],
    mounts: &[&str],
) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, bytes) in files {
        let path = dir.path().join("rootfs").join(path.trim_start_matches('/'));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
    std::fs::create_dir_all(dir.path().join("rootfs")).unwrap();
    let mut spec = Spec::default();
    let mut process = spec.process().clone().unwrap();
    process.set_args(Some(args.iter().map(|a| a.to_string()).collect()));
    process.set_env(Some(vec!["PATH=/usr/bin:/bin".into()]));
    spec.set_process(Some(process));
    spec.set_annotations(Some(
        annotations
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    ));
    let mounts = mounts.iter().map(|destination| {
        MountBuilder::default()
            .destination(destination)
            .typ("bind")
            .source("/tmp")
            .options(vec!["rbind".to_owned()])
            .build()
            .unwrap()
    });
    spec.set_mounts(Some(mounts.collect()));
    spec.save(dir.path().join("config.json")).unwrap();
    dir
}

/// A compile step as the shim's creator runs it (in another process there), counting its calls.
fn compiler<'a>(
    cache: &'a AotCache,
    calls: &'a Cell<u32>,
) -> impl Fn(&str, &Path) -> Result<(), String> + 'a {
    move |engine, module| {
        calls.set(calls.get() + 1);
        let engine = wasmfaas_engines::engine(engine).map_err(|e| e.to_string())?;
        cache
            .artifact_for(engine.as_ref(), module)
            .map(drop)
            .map_err(|e| e.to_string())
    }
}

#[test]
fn a_jit_module_is_compiled_on_the_first_container_and_loaded_from_the_cache_after() {
    let cache_dir = tempfile::tempdir().unwrap();
    let cache = AotCache::new(cache_dir.path());
    let calls = Cell::new(0);
    for engine in ["wasmtime", "wasmer"] {
        let bundle = bundle(
            &[("/usr/bin/hello.wasm", EMPTY_MODULE)],
            &["hello.wasm"],
            &[
                (workload::ANNOTATION_HANDLER, engine),
                (workload::ANNOTATION_MODE, "jit"),
            ],
            &[],
        );
        let before = calls.get();
        let first = precompile(bundle.path(), &cache, &compiler(&cache, &calls))
            .unwrap()
            .expect("a jit module is precompiled");
        assert_eq!(first.cache, CacheUse::Miss);
        assert_eq!(first.engine.name(), engine);
        assert!(
            first.artifact.starts_with(cache_dir.path()),
            "{:?}",
            first.artifact
        );
        let second = precompile(bundle.path(), &cache, &compiler(&cache, &calls))
            .unwrap()
            .unwrap();
        assert_eq!(second.cache, CacheUse::Hit);
        assert_eq!(second.artifact, first.artifact);
        assert_eq!(
            calls.get(),
            before + 1,
            "{engine} compiled once for both containers"
        );
    }
}

#[test]
fn what_the_cache_does_not_hold_is_left_to_the_init_process() {
    let cache_dir = tempfile::tempdir().unwrap();
    let cache = AotCache::new(cache_dir.path());
    let calls = Cell::new(0);
    let module = [("/hello.wasm", EMPTY_MODULE)];
    let handler = workload::ANNOTATION_HANDLER;
    let mode = workload::ANNOTATION_MODE;
    let cases: [(&str, tempfile::TempDir); 5] = [
        (
            "wasmi has no AOT artifacts",
            bundle(&module, &["/hello.wasm"], &[(handler, "wasmi")], &[]),
        ),
        (
            "wasmtime's baseline is Winch, not the artifact's Cranelift",
            bundle(
                &module,
                &["/hello.wasm"],
                &[(handler, "wasmtime"), (mode, "baseline")],
                &[],
            ),
        ),
        (
            "a native entrypoint",
            bundle(
                &[("/hello", b"\x7fELF\x02\x01\x01\0")],
                &["/hello"],
                &[],
                &[],
            ),
        ),
        (
            "a module under a mount: the init process sees the mount's file",
            bundle(
                &[("/fn/hello.wasm", EMPTY_MODULE)],
                &["/fn/hello.wasm"],
                &[],
                &["/fn"],
            ),
        ),
        (
            "no such entrypoint",
            bundle(&module, &["/missing.wasm"], &[], &[]),
        ),
    ];
    for (case, bundle) in cases {
        let precompiled = precompile(bundle.path(), &cache, &compiler(&cache, &calls)).unwrap();
        assert!(precompiled.is_none(), "{case}: {precompiled:?}");
    }
    assert_eq!(calls.get(), 0);
}

#[test]
fn a_link_out_of_the_root_filesystem_is_not_followed() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("host.wasm"), EMPTY_MODULE).unwrap();
    let bundle = bundle(&[], &["/hello.wasm"], &[], &[]);
    std::os::unix::fs::symlink(
        outside.path().join("host.wasm"),
        bundle.path().join("rootfs/hello.wasm"),
    )
    .unwrap();
    let cache_dir = tempfile::tempdir().unwrap();
    let cache = AotCache::new(cache_dir.path());
    let calls = Cell::new(0);
    let precompiled = precompile(bundle.path(), &cache, &compiler(&cache, &calls)).unwrap();
    assert!(precompiled.is_none(), "{precompiled:?}");
}

#[test]
fn a_module_that_does_not_compile_is_an_error_naming_it() {
    let cache_dir = tempfile::tempdir().unwrap();
    let cache = AotCache::new(cache_dir.path());
    let calls = Cell::new(0);
    let corrupt = [EMPTY_MODULE, b"\x01\x02\x03"].concat();
    let bundle = bundle(&[("/bad.wasm", &corrupt)], &["/bad.wasm"], &[], &[]);
    let err = precompile(bundle.path(), &cache, &compiler(&cache, &calls)).unwrap_err();
    assert!(err.contains("bad.wasm"), "{err}");
}
