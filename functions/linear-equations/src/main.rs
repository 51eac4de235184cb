//! Solves A·x = b for a random, diagonally dominant n×n matrix A, with b = A·1 so that the exact
//! solution is all ones, by Gaussian elimination with partial pivoting.
use wasmfaas_workload::cli::{Args, EXIT_FAILURE, fail};
use wasmfaas_workload::{diagonally_dominant_matrix, seeds};

const NAME: &str = "linear-equations";

fn main() {
    let args = Args::from_env(NAME, "<n>");
    let n: usize = args.parse(0, "n");
    let mut a = diagonally_dominant_matrix(n, seeds::LINEAR_EQUATIONS);
    let mut b: Vec<f64> = (0..n).map(|i| a[i * n..(i + 1) * n].iter().sum()).collect();

    for col in 0..n {
        let pivot = (col..n)
            .max_by(|&p, &q| a[p * n + col].abs().total_cmp(&a[q * n + col].abs()))
            .unwrap_or(col);
        if a[pivot * n + col] == 0.0 {
            fail(NAME, EXIT_FAILURE, "the matrix is singular");
        }
        if pivot != col {
            for k in 0..n {
                a.swap(col * n + k, pivot * n + k);
            }
            b.swap(col, pivot);
        }
        let (upper, lower) = a.split_at_mut((col + 1) * n);
        let pivot_row = &upper[col * n..];
        for (offset, row) in lower.chunks_exact_mut(n).enumerate() {
            let factor = row[col] / pivot_row[col];
            if factor != 0.0 {
                for k in col..n {
                    row[k] -= factor * pivot_row[k];
                }
                b[col + 1 + offset] -= factor * b[col];
            }
        }
    }
    let mut x = vec![0.0; n];
    for i in (0..n).rev() {
        let tail: f64 = (i + 1..n).map(|k| a[i * n + k] * x[k]).sum();
        x[i] = (b[i] - tail) / a[i * n + i];
    }
    println!("n: {n}");
    println!("x_sum: {:e}", x.iter().sum::<f64>());
    println!(
        "x_max_error: {:e}",
        x.iter().map(|v| (v - 1.0).abs()).fold(0.0, f64::max)
    );
}
