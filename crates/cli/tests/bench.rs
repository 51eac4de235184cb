//! `wasmfaas bench` and `wasmfaas report` as a user meets them: a tiny bench end to end, an
//! interrupted bench resumed, and clear errors for bad input.
use std::collections::HashSet;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

mod common;

use common::{EXIT_ERROR, built, wasmfaas};

const EXIT_INTERRUPTED: i32 = 130;

fn sample_lines(dir: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(dir.join("samples.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("every line is a sample"))
        .collect()
}

#[test]
fn a_tiny_bench_writes_a_report_that_parses() {
    built();
    let dir = tempfile::tempdir().unwrap();
    let runset = dir.path().join("runset");
    let out = wasmfaas(&[
        "bench",
        "--functions",
        "hello,matmul",
        "--environments",
        "process/native,embedded/wasmtime-aot",
        "--runs",
        "3",
        "--size",
        "small",
        "--no-progress",
        "--output",
        runset.to_str().unwrap(),
        "--export-json",
        dir.path().join("copy.json").to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains(&format!("report: {}", runset.join("report.html").display())),
        "{stdout}"
    );
    // 2 functions × 2 environments × (1 warmup + 3 runs), every one checked and successful.
    let samples = sample_lines(&runset);
    assert_eq!(samples.len(), 16);
    assert!(samples.iter().all(|s| s["ok"] == true), "{samples:?}");
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(runset.join("summary.json")).unwrap())
            .expect("summary.json parses");
    let cells = summary["analysis"]["cells"].as_array().unwrap();
    assert_eq!(cells.len(), 4);
    for cell in cells {
        assert_eq!(cell["summary"]["n"], 3, "{cell}");
        assert!(cell["summary"]["median"].as_f64().unwrap() > 0.0);
    }
    let embedded = cells
        .iter()
        .find(|c| c["environment"] == "embedded/wasmtime-aot")
        .unwrap();
    assert!(embedded["phase_medians"].is_array(), "{embedded}");
    assert!(summary["claims"].as_array().unwrap().len() >= 8);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("copy.json")).unwrap(),
        std::fs::read_to_string(runset.join("summary.json")).unwrap()
    );
    let mut csv = csv::Reader::from_path(runset.join("samples.csv")).unwrap();
    assert_eq!(csv.records().count(), 16);
    let html = std::fs::read_to_string(runset.join("report.html")).unwrap();
    assert!(html.contains("<svg") && html.contains("The paper's claims"));
    assert!(!html.contains("<script") && !html.contains("<link"));
    let markdown = std::fs::read_to_string(runset.join("report.md")).unwrap();
    assert!(markdown.contains("figures/median-process.svg"));
    assert!(runset.join("figures/median-process.svg").is_file());
    assert!(!runset.join("work").exists(), "scratch output is removed");

    // `report` regenerates the same files, and compares with another run set.
    let out = wasmfaas(&[
        "report",
        runset.to_str().unwrap(),
        "--compare",
        runset.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let markdown = std::fs::read_to_string(runset.join("report.md")).unwrap();
    assert!(markdown.contains("Compared with another run set"));
}

/// The suite on every WebAssembly engine and mode as `process` runs it, through each engine's
/// lean runner, at sizes small and paper: every run's output checked, each runner's own start
/// recorded and named in the report.
#[test]
fn every_function_runs_checked_through_the_runners_at_small_and_paper() {
    built();
    let build = wasmfaas(&["build", "--size", "paper"]);
    assert!(
        build.status.success(),
        "{}",
        String::from_utf8_lossy(&build.stderr)
    );
    for size in ["small", "paper"] {
        let dir = tempfile::tempdir().unwrap();
        let selection = [
            "--environments",
            "process/wasmtime-*,process/wasmer-*,process/wasmi-*",
            "--size",
            size,
        ];
        let (out, runset) = common::quiet_bench(dir.path(), &selection, "1");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{size}: {stderr}");
        let samples = sample_lines(&runset);
        // The paper's 13 functions × wasmtime's 3 modes, wasmer's 2 and wasmi's 1.
        assert_eq!(samples.len(), 13 * 6, "{size}");
        let failed: Vec<_> = samples.iter().filter(|s| s["ok"] != true).collect();
        assert!(failed.is_empty(), "{size}: {failed:?}");
        let starts: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(runset.join("runner-start.json")).unwrap(),
        )
        .unwrap();
        let mut commands: Vec<(String, String)> = starts
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                (
                    s["command"].as_str().unwrap().to_owned(),
                    s["engines"].to_string(),
                )
            })
            .collect();
        commands.sort();
        assert_eq!(
            commands,
            [
                (
                    "wasmfaas-run-wasmer --version".to_owned(),
                    r#"["wasmer"]"#.to_owned()
                ),
                (
                    "wasmfaas-run-wasmi --version".to_owned(),
                    r#"["wasmi"]"#.to_owned()
                ),
                (
                    "wasmfaas-run-wasmtime --version".to_owned(),
                    r#"["wasmtime"]"#.to_owned()
                ),
            ],
            "{size}"
        );
        let markdown = std::fs::read_to_string(runset.join("report.md")).unwrap();
        assert!(
            markdown.contains("wasmtime: `wasmfaas-run-wasmtime --version`"),
            "{size}: the method section names the runner"
        );
    }
}

/// Measured samples per cell of a tiny bench of hello and matmul with these extra flags.
fn measured_per_cell(extra: &[&str]) -> (Vec<usize>, String) {
    let dir = tempfile::tempdir().unwrap();
    let runset = dir.path().join("runset");
    let mut args = vec![
        "bench",
        "--functions",
        "hello,matmul",
        "--environments",
        "process/native,embedded/wasmtime-aot",
        "--size",
        "small",
        "--no-progress",
        "--output",
        runset.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let out = wasmfaas(&args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stderr}");
    let samples = sample_lines(&runset);
    let mut counts = std::collections::BTreeMap::new();
    for s in samples.iter().filter(|s| s["warmup"] == false) {
        *counts
            .entry((s["function"].to_string(), s["environment"].to_string()))
            .or_insert(0) += 1;
    }
    let report = std::fs::read_to_string(runset.join("report.md")).unwrap();
    (counts.into_values().collect(), report)
}

#[test]
fn a_time_budget_stops_a_cell_after_its_minimum_runs() {
    built();
    // Every run outlasts a 1 ns budget: each cell stops at the 3 runs every cell gets.
    let (counts, report) = measured_per_cell(&["--runs", "6", "--time-budget", "1ns"]);
    assert_eq!(counts, vec![3; 4], "{report}");
    assert!(
        report.contains("at least 3, for a cell whose measured runs took"),
        "{report}"
    );
    // A budget no cell reaches, or none (0), leaves every cell its --runs.
    let (counts, _) = measured_per_cell(&["--runs", "4", "--time-budget", "1h"]);
    assert_eq!(counts, vec![4; 4]);
    let (counts, report) = measured_per_cell(&["--runs", "4", "--time-budget", "0s"]);
    assert_eq!(counts, vec![4; 4]);
    assert!(!report.contains("time budget"), "{report}");
    // Fewer --runs than the minimum: the minimum is --runs.
    let (counts, _) = measured_per_cell(&["--runs", "2", "--time-budget", "1ns"]);
    assert_eq!(counts, vec![2; 4]);
}

#[test]
fn a_bench_with_serving_loads_every_executor_and_reports_it() {
    if wasmfaas_oci::find_tool("hey").is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI runs the tests with hey, which cargo xtask test installs"
        );
        eprintln!("skipped: the serving benchmark needs hey (apt-get install hey)");
        return;
    }
    built();
    let dir = tempfile::tempdir().unwrap();
    let runset = dir.path().join("runset");
    let out = wasmfaas(&[
        "bench",
        "--functions",
        "hello",
        "--environments",
        "process/native",
        "--runs",
        "1",
        "--size",
        "small",
        "--no-progress",
        "--serving",
        "--serving-duration",
        "300ms",
        "--output",
        runset.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let mut rows = csv::Reader::from_path(runset.join("serving.csv")).unwrap();
    let rows: Vec<csv::StringRecord> = rows.records().map(Result::unwrap).collect();
    // As root with containerd, a native and a WebAssembly container per request too.
    // SAFETY: geteuid has no preconditions.
    let containers = unsafe { libc::geteuid() } == 0 && wasmfaas_oci::find_tool("ctr").is_some();
    let executors = if containers { 6 } else { 4 };
    // The executors × 4 functions × 3 concurrencies, one row each.
    assert_eq!(rows.len(), executors * 12, "{stderr}");
    for row in rows.iter().filter(|r| &r[1] == "hello") {
        let ok: u64 = row[4].parse().unwrap();
        assert!(ok > 0 && &row[5] == "0", "{row:?}");
    }
    let markdown = std::fs::read_to_string(runset.join("report.md")).unwrap();
    assert!(
        markdown.contains("Serving: a fresh instance per HTTP request"),
        "{markdown}"
    );
    assert!(markdown.contains("| wasmtime-aot |"), "{markdown}");
    if containers {
        assert!(markdown.contains("| container/native |"), "{markdown}");
        assert!(
            markdown.contains("against a fresh native container per request (container/native)"),
            "{markdown}"
        );
        assert!(runset.join("serve-container-wasmtime-aot.log").is_file());
    } else {
        assert!(
            markdown.contains("Not measured: a container per request"),
            "{markdown}"
        );
    }
    // Every server was stopped by SIGTERM and exited 0 (else the bench failed above).
    assert!(runset.join("serve-wasmer-aot.log").is_file());
}

#[test]
fn an_interrupted_bench_resumes_without_losing_or_repeating_a_run() {
    built();
    let dir = tempfile::tempdir().unwrap();
    let runset = dir.path().join("runset");
    let args = [
        "bench",
        "--functions",
        "hello",
        "--environments",
        "process/native,embedded/wasmtime-aot",
        "--runs",
        "300",
        "--warmup",
        "0",
        "--size",
        "small",
        "--no-progress",
        "--output",
        runset.to_str().unwrap(),
    ];
    let mut child = Command::new(env!("CARGO_BIN_EXE_wasmfaas"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while sample_lines(&runset).len() < 5 {
        assert!(Instant::now() < deadline, "no samples after 2 minutes");
        assert!(child.try_wait().unwrap().is_none(), "bench ended early");
        std::thread::sleep(Duration::from_millis(2));
    }
    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(EXIT_INTERRUPTED), "{stderr}");
    assert!(stderr.contains("--resume"), "{stderr}");
    let before = sample_lines(&runset).len();
    assert!(
        (5..80).contains(&before),
        "{before} samples before resuming"
    );

    let out = wasmfaas(&[
        "bench",
        "--resume",
        runset.to_str().unwrap(),
        "--no-progress",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let samples = sample_lines(&runset);
    assert_eq!(samples.len(), 600);
    let seqs: HashSet<u64> = samples.iter().map(|s| s["seq"].as_u64().unwrap()).collect();
    assert_eq!(seqs, (0..600).collect::<HashSet<u64>>());
    assert!(samples.iter().all(|s| s["ok"] == true));
}

fn assert_error(out: &Output, needles: &[&str]) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(EXIT_ERROR), "stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    for needle in needles {
        assert!(stderr.contains(needle), "{needle:?} not in: {stderr}");
    }
}

#[test]
fn what_the_bench_cannot_run_is_named_with_the_reason() {
    built();
    let dir = tempfile::tempdir().unwrap();
    // `process/wasm*` asks for process/wasmedge-*, which a build without WasmEdge cannot run:
    // the bench runs the rest and says what it left out, and why.
    let out = wasmfaas(&[
        "bench",
        "--functions",
        "hello",
        "--environments",
        "process/wasm*",
        "--runs",
        "1",
        "--warmup",
        "0",
        "--size",
        "small",
        "--no-progress",
        "--output",
        dir.path().join("runset").to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let has_wasmedge = wasmfaas_has_wasmedge();
    assert_eq!(
        stderr.contains("not available here, so left out"),
        !has_wasmedge,
        "{stderr}"
    );
    if !has_wasmedge {
        assert!(
            stderr.contains("*/wasmedge-*: no WasmEdge engine in this build"),
            "{stderr}"
        );
        // Nothing else is said to be missing: containers were not asked for.
        assert!(!stderr.contains("containerd/"), "{stderr}");
    }
}

/// Whether this wasmfaas lists WasmEdge's environments as available.
fn wasmfaas_has_wasmedge() -> bool {
    let out = wasmfaas(&["environments"]);
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .any(|l| l.contains("process/wasmedge-aot") && !l.contains("unavailable"))
}

#[test]
fn bad_input_gets_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("out");
    let output = output.to_str().unwrap();
    assert_error(
        &wasmfaas(&["bench", "--functions", "matmult", "--output", output]),
        &["unknown function \"matmult\"", "matmul"],
    );
    // A budget with --resume (the recorded plan has its own) says what to leave out.
    assert_error(
        &wasmfaas(&["bench", "--resume", output, "--time-budget", "3s"]),
        &["--resume continues the plan", "--time-budget"],
    );
    assert_error(
        &wasmfaas(&[
            "bench",
            "--environments",
            "process/nothing-jit",
            "--output",
            output,
        ]),
        &["no environment matches", "process/native"],
    );
    assert_error(
        &wasmfaas(&[
            "bench",
            "--environments",
            "containerd/wasmedge-aot",
            "--output",
            output,
        ]),
        &["not available here", "WasmEdge"],
    );
    // Density needs containers through containerd, and says so before any run.
    assert_error(
        &wasmfaas(&[
            "bench",
            "--functions",
            "hello",
            "--environments",
            "process/native",
            "--density",
            "--output",
            output,
        ]),
        &[
            "--density starts containers through containerd",
            "--environments",
        ],
    );
    assert!(!Path::new(output).exists(), "no run set for a refused plan");
    // A K of 0 is clap's usage error, as for the other numeric flags.
    let zero = wasmfaas(&["bench", "--density-concurrency", "0", "--output", output]);
    assert_eq!(zero.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&zero.stderr).contains("--density-concurrency"));
    assert_error(
        &wasmfaas(&["images", "--functions", "matmult", "--output", output]),
        &["unknown function \"matmult\"", "matmul"],
    );
    assert_error(
        &wasmfaas(&["report", dir.path().to_str().unwrap()]),
        &["is not a run set"],
    );
    let corrupt = dir.path().join("corrupt");
    std::fs::create_dir(&corrupt).unwrap();
    std::fs::write(corrupt.join("runset.json"), "{\"format\":").unwrap();
    assert_error(
        &wasmfaas(&["report", corrupt.to_str().unwrap()]),
        &["not a valid run set description"],
    );
    assert_error(
        &wasmfaas(&[
            "bench",
            "--resume",
            corrupt.to_str().unwrap(),
            "--runs",
            "3",
        ]),
        &["--resume continues the plan"],
    );
}

#[test]
fn a_run_set_without_samples_has_no_report_but_a_clear_error() {
    built();
    let dir = tempfile::tempdir().unwrap();
    let runset = dir.path().join("runset");
    // Interrupt before the first run: the run set exists, with no samples.
    let out = Command::new(env!("CARGO_BIN_EXE_wasmfaas"))
        .args([
            "bench",
            "--functions",
            "hello",
            "--environments",
            "process/native",
            "--runs",
            "1",
            "--size",
            "small",
            "--prepare",
            "exit 3",
            "--output",
            runset.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_error(&out, &["--prepare", "exit 3"]);
    assert_error(
        &wasmfaas(&["report", runset.to_str().unwrap()]),
        &["has no samples yet", "--resume"],
    );
}

/// A run that fails (here: over its time limit) is recorded as failed, named on stderr even
/// without the progress bar, and makes the bench exit non-zero.
#[test]
fn a_failed_run_is_named_on_stderr_without_progress() {
    built();
    let dir = tempfile::tempdir().unwrap();
    let runset = dir.path().join("runset");
    let out = wasmfaas(&[
        "bench",
        "--functions",
        "matmul",
        "--environments",
        "process/wasmi-interp",
        "--runs",
        "1",
        "--warmup",
        "0",
        "--size",
        "paper",
        "--timeout",
        "1ms",
        "--no-progress",
        "--no-build",
        "--output",
        runset.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("failed: matmul in process/wasmi-interp: exited with 137"),
        "{stderr}"
    );
    let samples = sample_lines(&runset);
    assert_eq!(samples.len(), 1);
    assert_eq!(samples[0]["ok"], false);
}
