//! Users' own functions through `--manifest`, as a user meets them: the two examples benched
//! end to end in every embedded and process environment with their outputs checked, a function
//! whose WebAssembly and native outputs differ failing with the first differing line, and bad
//! manifests refused in one line. (The container run of an example is in `containers.rs`.)
mod common;

use std::path::{Path, PathBuf};

use common::{EXIT_ERROR, examples, prebuilt_fib, wasmfaas};

fn samples(dir: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(dir.join("samples.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("every line is a sample"))
        .collect()
}

/// Benches the functions of `manifest` in `environments` (2 runs each, no warmup) into a run
/// set in `dir`; returns the output and the samples.
fn bench(
    manifest: &Path,
    environments: &str,
    dir: &Path,
) -> (std::process::Output, Vec<serde_json::Value>) {
    let (out, runset) = common::manifest_bench(dir, manifest, environments, "2");
    let samples = samples(&runset);
    (out, samples)
}

/// Every sample ran, passed its check, and the report has a cell per environment.
fn assert_benched(
    function: &str,
    out: &std::process::Output,
    samples: &[serde_json::Value],
    runset: &Path,
) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(!samples.is_empty());
    for sample in samples {
        assert_eq!(sample["function"], function, "{sample}");
        assert_eq!(sample["ok"], true, "{sample}");
        assert!(sample.get("unchecked").is_none(), "{sample}");
    }
    let environments: std::collections::BTreeSet<&str> = samples
        .iter()
        .map(|s| s["environment"].as_str().unwrap())
        .collect();
    for launcher in ["embedded/", "process/"] {
        assert!(
            environments.iter().any(|e| e.starts_with(launcher)),
            "{environments:?}"
        );
    }
    assert!(environments.contains("process/native"), "{environments:?}");
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(runset.join("summary.json")).unwrap())
            .expect("summary.json parses");
    let cells = summary["analysis"]["cells"].as_array().unwrap();
    assert_eq!(cells.len(), environments.len(), "{cells:?}");
    for cell in cells {
        assert_eq!(cell["function"], function, "{cell}");
        assert_eq!(cell["summary"]["n"], 2, "{cell}");
    }
    let markdown = std::fs::read_to_string(runset.join("report.md")).unwrap();
    assert!(markdown.contains(function), "the report names {function}");
    // process/* ran WebAssembly through each engine's lean runner: each one's start is stated.
    assert!(runset.join("runner-start.json").is_file());
    for engine in ["wasmtime", "wasmer", "wasmi"] {
        assert!(
            markdown.contains(&format!("{engine}: `wasmfaas-run-{engine} --version`")),
            "{markdown}"
        );
    }
    assert!(
        markdown.contains("counts only the suite's functions"),
        "the claims section says what it counts"
    );
}

#[test]
fn the_built_from_source_example_benches_in_every_embedded_and_process_environment() {
    let dir = tempfile::tempdir().unwrap();
    let (out, samples) = bench(
        &examples().join("functions.toml"),
        "embedded/*,process/*",
        dir.path(),
    );
    assert_benched("wordfreq", &out, &samples, &dir.path().join("runset"));
    // Its build command made both files, and the native run wrote the counts it was compared on.
    assert!(
        examples()
            .join("wordfreq/target/wasm32-wasip1/release/wordfreq.wasm")
            .is_file()
    );
    assert!(
        examples()
            .join("wordfreq/target/release/wordfreq")
            .is_file()
    );
}

#[test]
fn the_prebuilt_example_benches_in_every_embedded_and_process_environment() {
    let manifest = prebuilt_fib();
    let dir = tempfile::tempdir().unwrap();
    let (out, samples) = bench(&manifest, "embedded/*,process/*", dir.path());
    assert_benched("fib", &out, &samples, &dir.path().join("runset"));
}

#[test]
fn run_checks_a_manifest_function_and_says_so() {
    let manifest = examples().join("functions.toml");
    let out = wasmfaas(&[
        "run",
        "wordfreq",
        "--manifest",
        manifest.to_str().unwrap(),
        "--engine",
        "wasmer",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.ends_with(" distinct\n"), "{stdout}");
    assert!(
        stderr.contains(
            "check passed: same stdout (6 lines) and 1 output files as the reference (native)"
        ),
        "{stderr}"
    );
}

/// A module that prints one more line than the native program: the report must say where.
#[test]
fn outputs_that_differ_fail_their_check_with_the_first_differing_line() {
    let dir = tempfile::tempdir().unwrap();
    let wat = r#"(module
        (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
        (memory (export "memory") 1)
        (data (i32.const 16) "same\nextra\n")
        (func (export "_start")
          (i32.store (i32.const 0) (i32.const 16))
          (i32.store (i32.const 4) (i32.const 11))
          (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))"#;
    std::fs::write(dir.path().join("twice.wasm"), wat::parse_str(wat).unwrap()).unwrap();
    let manifest = dir.path().join("functions.toml");
    std::fs::write(
        &manifest,
        "[[function]]\nname = \"differs\"\nmodule = \"twice.wasm\"\nbinary = \"/bin/echo\"\nargs = [\"same\"]\n",
    )
    .unwrap();
    let (out, samples) = bench(
        &manifest,
        "embedded/wasmtime-jit,process/native",
        dir.path(),
    );
    assert!(!out.status.success(), "a failed check fails the bench");
    let wasm = samples
        .iter()
        .find(|s| s["environment"] == "embedded/wasmtime-jit")
        .unwrap();
    let native = samples
        .iter()
        .find(|s| s["environment"] == "process/native")
        .unwrap();
    assert_eq!(native["ok"], true, "{native}");
    assert_eq!(wasm["ok"], false, "{wasm}");
    let expected =
        "stdout differs from the reference (native)'s at line 2: expected the end, got \"extra\"";
    assert!(wasm["error"].as_str().unwrap().contains(expected), "{wasm}");
    let markdown = std::fs::read_to_string(dir.path().join("runset/report.md")).unwrap();
    assert!(
        markdown.contains("at line 2: expected the end"),
        "the report shows the failure:\n{markdown}"
    );
}

/// One line on stderr naming the file, the function and the field (a failed build's stderr
/// tail below it); exit code 125; no run set.
fn refused(manifest_text: &str, expected: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("prog.wasm"),
        wat::parse_str("(module (func (export \"_start\")))").unwrap(),
    )
    .unwrap();
    let manifest = dir.path().join("functions.toml");
    std::fs::write(&manifest, manifest_text).unwrap();
    let out = wasmfaas(&[
        "bench",
        "--manifest",
        manifest.to_str().unwrap(),
        "--no-build",
        "--output",
        dir.path().join("runset").to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(EXIT_ERROR), "{stderr}");
    // One line says it all; only a failed build's stderr tail follows, quoted.
    let mut lines = stderr.trim_end().lines();
    let first = lines.next().unwrap_or_default();
    assert!(lines.all(|l| l.starts_with("  | ")), "one line: {stderr}");
    assert!(
        first.contains(manifest.to_str().unwrap()),
        "names the file: {stderr}"
    );
    for part in expected {
        assert!(stderr.contains(part), "{part:?} in {stderr}");
    }
    assert!(!dir.path().join("runset").exists(), "nothing was started");
}

#[test]
fn bad_manifests_are_refused_in_one_line_naming_file_function_and_field() {
    refused(
        "[[function]]\nname = \"a\"\nmodule = \"prog.wasm\"\ncolour = 1\n",
        &["\"a\"", "colour"],
    );
    refused(
        "[[function]]\nname = \"a\"\nmodule = 3\n",
        &["\"a\"", "`module`"],
    );
    refused(
        "[[function]]\nname = \"a\"\nmodule = \"missing.wasm\"\n",
        &["\"a\"", "`module`", "missing.wasm"],
    );
    refused(
        "[[function]]\nname = \"a\"\nmodule = \"prog.wasm\"\n[[function]]\nname = \"a\"\nmodule = \"prog.wasm\"\n",
        &["\"a\"", "`name`"],
    );
    refused(
        "[[function]]\nname = \"matmul\"\nmodule = \"prog.wasm\"\n",
        &["\"matmul\"", "`name`", "suite"],
    );
    refused(
        "[[function]]\nname = \"a\"\n",
        &["\"a\"", "module", "binary"],
    );
    refused(
        "[[function]]\nname = \"a\"\nmodule = { path = \"out.wasm\", build = \"echo the compiler broke >&2; exit 3\" }\n",
        &["\"a\"", "`module`", "the compiler broke"],
    );
}

/// `wasmfaas build --manifest`: the suite as always, then the manifest's functions built by
/// their commands and their modules compiled ahead of time into the cache the bench uses.
#[test]
fn build_precompiles_a_manifests_modules_beside_the_suite() {
    let cache = tempfile::tempdir().unwrap();
    let manifest = examples().join("functions.toml");
    let out = wasmfaas(&[
        "build",
        "--size",
        "small",
        "--manifest",
        manifest.to_str().unwrap(),
        "--cache-dir",
        cache.path().to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let row = stdout
        .lines()
        .find(|l| l.starts_with("wordfreq "))
        .unwrap_or_else(|| panic!("a row for wordfreq: {stdout}"));
    assert!(stdout.lines().any(|l| l.starts_with("matmul ")), "{stdout}");
    // wasm, wasmtime's and wasmer's artifacts, the binary; no static build was declared.
    assert_eq!(
        row.matches("KiB").count() + row.matches("MiB").count(),
        4,
        "{row}"
    );
    let artifacts = walk(cache.path());
    assert_eq!(
        artifacts.len(),
        2,
        "one artifact per AOT engine: {artifacts:?}"
    );
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

/// A module alone has nothing to be compared with: its runs are timed and marked unchecked.
#[test]
fn runs_without_a_check_are_timed_and_marked_unchecked() {
    let dir = tempfile::tempdir().unwrap();
    let fib = prebuilt_fib().with_file_name("fib.wasm");
    let manifest = dir.path().join("functions.toml");
    std::fs::write(
        &manifest,
        format!(
            "[[function]]\nname = \"fib-alone\"\nmodule = {:?}\n",
            fib.to_str().unwrap()
        ),
    )
    .unwrap();
    let (out, samples) = bench(&manifest, "embedded/wasmtime-aot", dir.path());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(samples.len(), 2);
    assert!(
        samples
            .iter()
            .all(|s| s["ok"] == true && s["unchecked"] == true),
        "{samples:?}"
    );
    assert!(
        stdout.contains("had no output check (marked ?)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("none tested, they are about the suite's functions"),
        "{stdout}"
    );
    let markdown = std::fs::read_to_string(dir.path().join("runset/report.md")).unwrap();
    assert!(
        markdown.contains("## Unchecked runs") && markdown.contains("(unchecked)"),
        "{markdown}"
    );
}
