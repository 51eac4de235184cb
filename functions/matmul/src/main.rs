//! Multiplies two random dense n×n matrices (i-k-j loop order) and prints the sum and trace of
//! the product.
use wasmfaas_workload::cli::Args;
use wasmfaas_workload::{matrix, seeds};

fn main() {
    let args = Args::from_env("matmul", "<n>");
    let n: usize = args.parse(0, "n");
    let a = matrix(n, seeds::MATMUL_A);
    let b = matrix(n, seeds::MATMUL_B);
    let mut c = vec![0.0f64; n * n];
    for i in 0..n {
        let c_row = &mut c[i * n..(i + 1) * n];
        for k in 0..n {
            let a_ik = a[i * n + k];
            for (c_ij, b_kj) in c_row.iter_mut().zip(&b[k * n..(k + 1) * n]) {
                *c_ij += a_ik * b_kj;
            }
        }
    }
    let trace: f64 = (0..n).map(|i| c[i * n + i]).sum();
    println!("n: {n}");
    println!("sum: {:e}", c.iter().sum::<f64>());
    println!("trace: {trace:e}");
}
