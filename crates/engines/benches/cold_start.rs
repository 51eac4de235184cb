//! Embedded cold start: load a precompiled module, instantiate it with WASI, run it to its exit,
//! all inside this process, with a fresh engine and store every time (what `embedded/*-aot`
//! runs measure). Needs the suite built (`wasmfaas build`); says so and does nothing otherwise.
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use wasmfaas_engines::{Engine, Invocation, Mode, Program, StdoutMode, WasmtimeEngine};

fn cold_start(c: &mut Criterion) {
    let artifacts = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../artifacts");
    let cwasm = artifacts.join("aot/wasmtime/hello.cwasm");
    let wasm = artifacts.join("wasm/hello.wasm");
    if !cwasm.is_file() || !wasm.is_file() {
        eprintln!(
            "cold_start: skipped, {} is missing: run `cargo run --release -- build` first",
            cwasm.display()
        );
        return;
    }
    let engine = WasmtimeEngine::new();
    let invocation = Invocation {
        program_name: "hello".into(),
        stdout: StdoutMode::Capture { limit: 1 << 16 },
        ..Invocation::default()
    };
    let mut group = c.benchmark_group("hello");
    let artifact = Program::open(&cwasm).expect("artifact opens");
    group.bench_function("wasmtime-aot", |b| {
        b.iter(|| {
            let outcome = engine.run(&artifact, Mode::Aot, &invocation).expect("runs");
            assert_eq!(outcome.exit_code, 0);
        })
    });
    let module = Program::open(&wasm).expect("module opens");
    group.sample_size(20);
    group.bench_function("wasmtime-jit", |b| {
        b.iter(|| engine.run(&module, Mode::Jit, &invocation).expect("runs"))
    });
    group.bench_function("wasmtime-baseline", |b| {
        b.iter(|| {
            engine
                .run(&module, Mode::Baseline, &invocation)
                .expect("runs")
        })
    });
    group.finish();
}

criterion_group!(benches, cold_start);
criterion_main!(benches);
