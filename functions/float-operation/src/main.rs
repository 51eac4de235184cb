//! Sums sin, cos and square root over the first n numbers: libm throughput, nothing else.
use wasmfaas_workload::cli::Args;

fn main() {
    let args = Args::from_env("float-operation", "<n>");
    let n: u64 = args.parse(0, "n");
    let (mut sin_sum, mut cos_sum, mut sqrt_sum) = (0.0f64, 0.0f64, 0.0f64);
    for i in 0..n {
        let x = i as f64;
        sin_sum += x.sin();
        cos_sum += x.cos();
        sqrt_sum += x.sqrt();
    }
    println!("n: {n}");
    println!("sin_sum: {sin_sum:e}");
    println!("cos_sum: {cos_sum:e}");
    println!("sqrt_sum: {sqrt_sum:e}");
}
