//! Searches the prime numbers among the first n numbers by trial division and prints each one.
//! Output goes through one buffer: the function measures computing and writing primes, not the
//! cost of one WASI call per line.
use std::io::{BufWriter, Write};
use wasmfaas_workload::cli::{Args, OrFail};

const NAME: &str = "prime-numbers";

fn is_prime(n: u64) -> bool {
    if n < 2 {
        return false;
    }
    if n.is_multiple_of(2) {
        return n == 2;
    }
    let mut divisor = 3;
    while divisor * divisor <= n {
        if n.is_multiple_of(divisor) {
            return false;
        }
        divisor += 2;
    }
    true
}

fn main() {
    let args = Args::from_env(NAME, "<n>");
    let limit: u64 = args.parse(0, "n");
    let stdout = std::io::stdout();
    let mut out = BufWriter::with_capacity(64 * 1024, stdout.lock());
    let mut count = 0u64;
    for n in 2..=limit {
        if is_prime(n) {
            count += 1;
            writeln!(out, "{n}").or_fail(NAME, "writing to stdout");
        }
    }
    writeln!(out, "count: {count}").or_fail(NAME, "writing to stdout");
    out.flush().or_fail(NAME, "writing to stdout");
}
