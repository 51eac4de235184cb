//! Deterministic workload data for the suite.
//!
//! Every function that needs "random" data takes it from here, seeded, so that every run of a
//! function does the same work, native or WebAssembly, and so that the output checks (which run
//! on the host, in another workspace) can rebuild the same data to verify a result independently.
//! No dependency on the host: the same bits on every target. The WebAssembly build links
//! [`wasm_libm`]'s sin and cos in place of wasi-libc's (and so the `libm` crate).

#[cfg(any(target_arch = "wasm32", test))]
pub mod wasm_libm;

/// SplitMix64: a tiny, well-known generator whose output is identical on every platform.
#[derive(Debug, Clone)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator whose sequence depends only on `seed`.
    pub fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform float in [0, 1), built from the top 53 bits so it is exact on every target.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// A uniform integer in [0, bound) (bound > 0); the tiny modulo bias does not matter here.
    pub fn below(&mut self, bound: u64) -> u64 {
        self.next_u64() % bound
    }

    /// Fills `buf` with random bytes.
    pub fn fill_bytes(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let word = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&word[..chunk.len()]);
        }
    }
}

/// Seeds of the suite, one per use, so that data sets never alias each other.
pub mod seeds {
    /// matmul's matrix A.
    pub const MATMUL_A: u64 = 0x6d61_746d_756c_0001;
    /// matmul's matrix B.
    pub const MATMUL_B: u64 = 0x6d61_746d_756c_0002;
    /// linear-equations' coefficient matrix.
    pub const LINEAR_EQUATIONS: u64 = 0x6c69_6e65_6172_0001;
    /// aes' plaintext, key and nonce.
    pub const AES: u64 = 0x6165_7300_0000_0001;
}

/// An n×n matrix (row-major) of uniform values in [-1, 1).
pub fn matrix(n: usize, seed: u64) -> Vec<f64> {
    let mut rng = SplitMix64::new(seed);
    (0..n * n).map(|_| rng.next_f64() * 2.0 - 1.0).collect()
}

/// The coefficient matrix of linear-equations: random in [-1, 1) with a dominant diagonal, so the
/// system is well conditioned and its solution is known to high precision.
pub fn diagonally_dominant_matrix(n: usize, seed: u64) -> Vec<f64> {
    let mut a = matrix(n, seed);
    for i in 0..n {
        a[i * n + i] += n as f64;
    }
    a
}

/// Readable printable text of `len` bytes: lowercase words separated by spaces and newlines.
pub fn text(len: usize, seed: u64) -> Vec<u8> {
    let mut rng = SplitMix64::new(seed);
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        let word = WORDS[rng.below(WORDS.len() as u64) as usize];
        out.extend_from_slice(word.as_bytes());
        out.push(if rng.below(12) == 0 { b'\n' } else { b' ' });
    }
    out.truncate(len);
    out
}

/// The line that diskio writes as line `i` (1-based), newline included.
pub fn diskio_line(i: usize) -> String {
    format!("{i:08}: the quick brown fox jumps over the lazy dog\n")
}

/// A small English vocabulary for generated text.
pub const WORDS: &[&str] = &[
    "serverless",
    "function",
    "container",
    "runtime",
    "module",
    "engine",
    "compile",
    "memory",
    "request",
    "response",
    "latency",
    "throughput",
    "cluster",
    "node",
    "image",
    "layer",
    "kernel",
    "process",
    "sandbox",
    "isolate",
    "cold",
    "start",
    "warm",
    "cache",
    "network",
    "storage",
    "deploy",
    "scale",
    "event",
    "queue",
    "stream",
    "batch",
    "edge",
    "cloud",
    "service",
    "gateway",
    "tenant",
    "quota",
    "budget",
    "metric",
    "trace",
    "log",
    "alert",
    "replica",
    "shard",
    "index",
    "vector",
    "matrix",
    "signal",
    "packet",
    "socket",
    "buffer",
    "thread",
    "schedule",
    "timer",
    "river",
    "mountain",
    "forest",
    "harbor",
    "window",
    "garden",
    "letter",
    "morning",
    "evening",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix_matches_reference_sequence() {
        // First outputs of SplitMix64 seeded with 0, as published with the algorithm (Vigna).
        let mut rng = SplitMix64::new(0);
        assert_eq!(rng.next_u64(), 0xe220_a839_7b1d_cdaf);
        assert_eq!(rng.next_u64(), 0x6e78_9e6a_a1b9_65f4);
    }

    #[test]
    fn text_has_requested_length_and_is_deterministic() {
        assert_eq!(text(1000, 7).len(), 1000);
        assert_eq!(text(1000, 7), text(1000, 7));
        assert_ne!(text(1000, 7), text(1000, 8));
    }
}

/// The command line of a suite function: positional arguments, parsed with clear errors.
pub mod cli {
    use std::fmt::Display;
    use std::str::FromStr;

    /// Exit code of a function given bad arguments or unusable input.
    pub const EXIT_USAGE: i32 = 2;
    /// Exit code of a function whose work failed (I/O error, bad data).
    pub const EXIT_FAILURE: i32 = 1;

    /// Prints `<function>: error: <message>` to stderr and exits with `code`.
    pub fn fail(function: &str, code: i32, message: impl Display) -> ! {
        eprintln!("{function}: error: {message}");
        std::process::exit(code)
    }

    /// The positional arguments of one function, with its usage line for error messages.
    pub struct Args {
        function: &'static str,
        usage: &'static str,
        values: Vec<String>,
    }

    impl Args {
        /// Reads the process arguments (argv[0] excluded).
        pub fn from_env(function: &'static str, usage: &'static str) -> Self {
            Self {
                function,
                usage,
                values: std::env::args().skip(1).collect(),
            }
        }

        /// Argument `index` as text; exits with the usage line when it is missing.
        pub fn text(&self, index: usize, what: &str) -> &str {
            match self.values.get(index) {
                Some(value) => value,
                None => fail(
                    self.function,
                    EXIT_USAGE,
                    format_args!(
                        "missing argument <{what}>; usage: {} {}",
                        self.function, self.usage
                    ),
                ),
            }
        }

        /// Argument `index` parsed as `T`; exits with a clear message when it does not parse.
        pub fn parse<T: FromStr>(&self, index: usize, what: &str) -> T
        where
            T::Err: Display,
        {
            let raw = self.text(index, what);
            raw.parse().unwrap_or_else(|e| {
                fail(
                    self.function,
                    EXIT_USAGE,
                    format_args!("argument <{what}> = {raw:?}: {e}"),
                )
            })
        }

        /// All arguments from `index` on, joined by spaces.
        pub fn rest(&self, index: usize) -> String {
            self.values.get(index..).unwrap_or_default().join(" ")
        }
    }

    /// Unwraps an I/O-like result or exits naming what failed.
    pub trait OrFail<T> {
        /// The value, or exit with `<function>: error: <context>: <error>`.
        fn or_fail(self, function: &str, context: impl Display) -> T;
    }

    impl<T, E: Display> OrFail<T> for Result<T, E> {
        fn or_fail(self, function: &str, context: impl Display) -> T {
            self.unwrap_or_else(|e| fail(function, EXIT_FAILURE, format_args!("{context}: {e}")))
        }
    }
}
