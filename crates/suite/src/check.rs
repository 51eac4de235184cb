//! Output checks: each function's result verified independently of the function, from the
//! workload its arguments define. Native and WebAssembly builds pass the same check; where
//! floating point may differ between them (glibc or musl libm vs the wasm libm), the tolerance is
//! stated next to the comparison.
use std::collections::BTreeMap;
use std::path::Path;

use sha2::{Digest, Sha256, Sha512};

use crate::inputs::{self, InputSpec, PHOTO_CENTER_RGB};
use crate::{Function, Size};

mod files;

/// A function's output is not what its workload must give.
#[derive(Debug, thiserror::Error)]
#[error("{function} ({size}): output check failed: {problem}")]
pub struct CheckError {
    /// The function.
    pub function: &'static str,
    /// The size it ran at.
    pub size: Size,
    /// What is wrong.
    pub problem: String,
}

/// Checks one run's output: its stdout and the files it wrote to `output_dir`, given the inputs
/// it read from `inputs_dir`. Returns a one-line summary of what was verified.
pub fn check(
    function: &Function,
    size: Size,
    stdout: &[u8],
    output_dir: &Path,
    inputs_dir: &Path,
) -> Result<String, CheckError> {
    if let Some(user) = function.user {
        return user
            .check(stdout, output_dir, inputs_dir)
            .map_err(|problem| CheckError {
                function: function.name,
                size,
                problem,
            });
    }
    let run = Run {
        function,
        size,
        stdout: String::from_utf8_lossy(stdout).into_owned(),
        output_dir,
        inputs_dir,
    };
    let result = match function.name {
        "audio-sine-wave" => run.audio_sine_wave(),
        "fuzzysearch" => run.fuzzysearch(),
        "n-body" => run.n_body(),
        "prime-numbers" => run.prime_numbers(),
        "whatlang" => run.whatlang(),
        "zip-compression" => run.zip_compression(),
        "aes" => run.aes(),
        "checksum" => run.checksum(),
        "diskio" => run.diskio(),
        "float-operation" => run.float_operation(),
        "imageprocessing" => run.imageprocessing(),
        "linear-equations" => run.linear_equations(),
        "matmul" => run.matmul(),
        "hello" => run.hello(),
        other => Err(format!("no check is defined for {other}")),
    };
    result.map_err(|problem| CheckError {
        function: function.name,
        size,
        problem,
    })
}

type Verdict = Result<String, String>;

struct Run<'a> {
    function: &'a Function,
    size: Size,
    stdout: String,
    output_dir: &'a Path,
    inputs_dir: &'a Path,
}

fn expect_eq<T: PartialEq + std::fmt::Debug>(
    what: &str,
    got: T,
    expected: T,
) -> Result<(), String> {
    if got == expected {
        Ok(())
    } else {
        Err(format!("{what} is {got:?}, expected {expected:?}"))
    }
}

fn expect_close(what: &str, got: f64, expected: f64, tolerance: f64) -> Result<(), String> {
    if (got - expected).abs() <= tolerance {
        Ok(())
    } else {
        Err(format!(
            "{what} is {got:e}, expected {expected:e} ± {tolerance:e}"
        ))
    }
}

impl Run<'_> {
    /// The `key: value` lines of stdout.
    fn fields(&self) -> BTreeMap<&str, &str> {
        self.stdout
            .lines()
            .filter_map(|line| line.split_once(": "))
            .collect()
    }

    fn field(&self, key: &str) -> Result<&str, String> {
        self.fields()
            .get(key)
            .copied()
            .ok_or_else(|| format!("stdout has no `{key}:` line"))
    }

    fn number<T: std::str::FromStr>(&self, key: &str) -> Result<T, String> {
        let raw = self.field(key)?;
        raw.trim()
            .parse()
            .map_err(|_| format!("`{key}: {raw}` is not a number"))
    }

    fn arg<T: std::str::FromStr>(&self, index: usize) -> Result<T, String> {
        self.function
            .numeric_arg(self.size, index)
            .ok_or_else(|| format!("argument {index} of size {} is not numeric", self.size))
    }

    fn read(&self, path: &Path) -> Result<Vec<u8>, String> {
        std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
    }

    fn hello(&self) -> Verdict {
        expect_eq("stdout", self.stdout.as_str(), "hello from wasmfaas\n")?;
        Ok("greeting printed".into())
    }

    fn fuzzysearch(&self) -> Verdict {
        let corpus = self.read(&self.inputs_dir.join("fuzzysearch/corpus.txt"))?;
        let corpus = String::from_utf8_lossy(&corpus);
        let lines = corpus.lines().count();
        expect_eq("lines indexed", self.number::<usize>("lines")?, lines)?;
        let found: Vec<usize> = self
            .field("match_lines")?
            .split(',')
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse()
                    .map_err(|_| format!("bad line number {s:?} in match_lines"))
            })
            .collect::<Result<_, _>>()?;
        expect_eq("matches", self.number::<usize>("matches")?, found.len())?;
        // Every line the generator planted the query on must be found...
        let planted = inputs::planted_lines(lines);
        let missing: Vec<usize> = planted
            .iter()
            .copied()
            .filter(|l| !found.contains(l))
            .collect();
        if !missing.is_empty() {
            return Err(format!(
                "lines holding the query were not found: {missing:?}"
            ));
        }
        // ...and the hits must be those of the same search run natively here (the reference).
        let mut index: simsearch::Index<usize> =
            simsearch::Index::with_options(simsearch::Options::new().limit(50));
        for (i, line) in corpus.lines().enumerate() {
            index.insert(i + 1, line);
        }
        let query = self
            .function
            .arg_templates(self.size)
            .get(1)
            .copied()
            .unwrap_or_default();
        let mut reference: Vec<usize> = index.search(query).into_iter().map(|hit| hit.id).collect();
        reference.sort_unstable();
        expect_eq("match_lines", &found, &reference)?;
        Ok(format!(
            "all {} lines holding the query among {} hits, as the reference search",
            planted.len(),
            found.len()
        ))
    }

    fn n_body(&self) -> Verdict {
        let steps: u64 = self.arg(0)?;
        // The Computer Language Benchmarks Game's published output for n-body.
        expect_eq(
            "energy_before",
            self.field("energy_before")?,
            "-0.169075164",
        )?;
        let after: f64 = self.number("energy_after")?;
        expect_eq("steps", self.number::<u64>("steps")?, steps)?;
        // The published outputs for 1 000 and 50 000 000 steps; other counts: a bounded drift.
        let published = match steps {
            1_000 => Some("-0.169087605"),
            50_000_000 => Some("-0.169059907"),
            _ => None,
        };
        if let Some(published) = published {
            expect_eq("energy_after", self.field("energy_after")?, published)?;
        } else {
            // The integrator is symplectic: energy drifts by far less than 1e-4 relative.
            expect_close("energy_after", after, -0.169_075_164, 0.169_075_164e-4)?;
        }
        Ok(format!("energy {after:.9} after {steps} steps"))
    }

    fn prime_numbers(&self) -> Verdict {
        let limit: usize = self.arg(0)?;
        // Sieve of Eratosthenes: another algorithm than the function's trial division.
        let mut composite = vec![false; limit + 1];
        let mut primes = Vec::new();
        for n in 2..=limit {
            if !composite[n] {
                primes.push(n);
                (n * n..=limit).step_by(n).for_each(|m| composite[m] = true);
            }
        }
        let mut printed = 0usize;
        for (index, line) in self
            .stdout
            .lines()
            .filter(|l| !l.starts_with("count:"))
            .enumerate()
        {
            let value: usize = line
                .trim()
                .parse()
                .map_err(|_| format!("line {} is not a number: {line:?}", index + 1))?;
            match primes.get(index) {
                Some(&p) if p == value => printed += 1,
                Some(&p) => {
                    return Err(format!(
                        "prime #{} is printed as {value}, expected {p}",
                        index + 1
                    ));
                }
                None => {
                    return Err(format!(
                        "{value} printed beyond the last prime up to {limit}"
                    ));
                }
            }
        }
        expect_eq("primes printed", printed, primes.len())?;
        expect_eq("count", self.number::<usize>("count")?, primes.len())?;
        Ok(format!("all {} primes up to {limit}", primes.len()))
    }

    fn whatlang(&self) -> Verdict {
        let spec = InputSpec::of(self.size);
        let mut expected: BTreeMap<&str, u64> = BTreeMap::new();
        if spec.whatlang_lines == 0 {
            expected.insert("eng", 1);
        } else {
            for i in 0..spec.whatlang_lines {
                *expected.entry(inputs::whatlang_line(i).0).or_default() += 1;
            }
        }
        let total: u64 = expected.values().sum();
        expect_eq("texts", self.number::<u64>("texts")?, total)?;
        let detected: BTreeMap<&str, u64> = self
            .field("languages")?
            .split(',')
            .filter_map(|pair| pair.split_once('='))
            .map(|(code, n)| {
                n.parse()
                    .map(|n| (code, n))
                    .map_err(|_| format!("bad count in languages: {pair}", pair = code))
            })
            .collect::<Result<_, _>>()?;
        // Tolerance: a detector may miss a few short texts; 2% per language at most.
        for (code, &want) in &expected {
            let got = detected.get(code).copied().unwrap_or(0);
            if got.abs_diff(want) * 50 > want {
                return Err(format!(
                    "{code}: {got} texts detected, expected {want} (± 2%); detected: {detected:?}"
                ));
            }
        }
        Ok(format!("{total} texts in {} languages", expected.len()))
    }

    fn aes(&self) -> Verdict {
        use aes::cipher::{AsyncStreamCipher, KeyIvInit};
        use wasmfaas_workload::{SplitMix64, seeds, text};
        let (length, rounds): (usize, u64) = (self.arg(0)?, self.arg(1)?);
        let mut rng = SplitMix64::new(seeds::AES);
        let mut key = [0u8; 16];
        rng.fill_bytes(&mut key);
        let plaintext = text(length, seeds::AES);
        let mut digest = Sha256::new();
        let mut iv = [0u8; 16];
        for _ in 0..rounds {
            rng.fill_bytes(&mut iv);
            let mut buffer = plaintext.clone();
            cfb_mode::Encryptor::<aes::Aes128>::new(&key.into(), &iv.into()).encrypt(&mut buffer);
            digest.update(&buffer);
        }
        expect_eq(
            "sha256 of the ciphertexts",
            self.field("sha256")?,
            hex::encode(digest.finalize()).as_str(),
        )?;
        expect_eq(
            "bytes",
            self.number::<u64>("bytes")?,
            length as u64 * rounds,
        )?;
        expect_eq("rounds", self.number::<u64>("rounds")?, rounds)?;
        Ok(format!(
            "{rounds} AES-128-CFB ciphertexts of {length} bytes"
        ))
    }

    fn checksum(&self) -> Verdict {
        let data = self.read(&self.inputs_dir.join("checksum/disk.img"))?;
        expect_eq("bytes", self.number::<u64>("bytes")?, data.len() as u64)?;
        expect_eq(
            "md5",
            self.field("md5")?,
            hex::encode(md5::Md5::digest(&data)).as_str(),
        )?;
        expect_eq(
            "sha256",
            self.field("sha256")?,
            hex::encode(Sha256::digest(&data)).as_str(),
        )?;
        expect_eq(
            "sha512",
            self.field("sha512")?,
            hex::encode(Sha512::digest(&data)).as_str(),
        )?;
        Ok(format!("md5, sha256, sha512 of {} bytes", data.len()))
    }

    fn diskio(&self) -> Verdict {
        let lines: usize = self.arg(1)?;
        let both = self.function.arg_templates(self.size).get(2) == Some(&"both");
        let mut digest = Sha256::new();
        let mut bytes = 0u64;
        for i in 1..=lines {
            let line = wasmfaas_workload::diskio_line(i);
            bytes += line.len() as u64;
            digest.update(line.as_bytes());
        }
        expect_eq(
            "lines_written",
            self.number::<usize>("lines_written")?,
            lines,
        )?;
        expect_eq(
            "lines_read_buffered",
            self.number::<usize>("lines_read_buffered")?,
            lines,
        )?;
        expect_eq(
            "sha256 of the lines read",
            self.field("sha256")?,
            hex::encode(digest.finalize()).as_str(),
        )?;
        let written = self.output_dir.join("buffered.txt");
        let size = std::fs::metadata(&written)
            .map_err(|e| format!("{}: {e}", written.display()))?
            .len();
        expect_eq("size of buffered.txt", size, bytes)?;
        if both {
            expect_eq(
                "lines_read_unbuffered",
                self.number::<usize>("lines_read_unbuffered")?,
                lines,
            )?;
        }
        Ok(format!(
            "{lines} lines written and read back{}",
            if both {
                ", buffered and unbuffered"
            } else {
                ""
            }
        ))
    }

    fn float_operation(&self) -> Verdict {
        let n: u64 = self.arg(0)?;
        expect_eq("n", self.number::<u64>("n")?, n)?;
        let (mut sin_sum, mut cos_sum, mut sqrt_sum) = (0.0f64, 0.0f64, 0.0f64);
        for i in 0..n {
            let x = i as f64;
            sin_sum += x.sin();
            cos_sum += x.cos();
            sqrt_sum += x.sqrt();
        }
        // Tolerance: each of n terms may differ by an ulp between libms; 1e-12 per term, relative
        // to the magnitude of the sum.
        let tolerance = |sum: f64| 1e-12 * n as f64 * (1.0 + sum.abs() / n.max(1) as f64);
        expect_close(
            "sin_sum",
            self.number("sin_sum")?,
            sin_sum,
            tolerance(sin_sum),
        )?;
        expect_close(
            "cos_sum",
            self.number("cos_sum")?,
            cos_sum,
            tolerance(cos_sum),
        )?;
        expect_close(
            "sqrt_sum",
            self.number("sqrt_sum")?,
            sqrt_sum,
            tolerance(sqrt_sum),
        )?;
        Ok(format!("sums of sin, cos, sqrt over {n} numbers"))
    }

    fn linear_equations(&self) -> Verdict {
        let n: usize = self.arg(0)?;
        expect_eq("n", self.number::<usize>("n")?, n)?;
        // The right-hand side is A·1, so the exact solution is all ones; the matrix is diagonally
        // dominant (well conditioned), so elimination is accurate to ~1e-13.
        expect_close("x_sum", self.number("x_sum")?, n as f64, 1e-9 * n as f64)?;
        expect_close("x_max_error", self.number("x_max_error")?, 0.0, 1e-9)?;
        Ok(format!("{n}×{n} system solved, solution all ones"))
    }

    fn matmul(&self) -> Verdict {
        use wasmfaas_workload::{matrix, seeds};
        let n: usize = self.arg(0)?;
        expect_eq("n", self.number::<usize>("n")?, n)?;
        let a = matrix(n, seeds::MATMUL_A);
        let b = matrix(n, seeds::MATMUL_B);
        // sum(A·B) = Σ_k (column sum k of A)·(row sum k of B); trace(A·B) = Σ_i Σ_k A_ik·B_ki:
        // both O(n²), computed without the product.
        let (mut sum, mut sum_scale, mut trace, mut trace_scale) = (0.0, 0.0, 0.0, 0.0);
        for k in 0..n {
            let column: f64 = (0..n).map(|i| a[i * n + k]).sum();
            let row: f64 = b[k * n..(k + 1) * n].iter().sum();
            sum += column * row;
            sum_scale += (column * row).abs();
        }
        for i in 0..n {
            for k in 0..n {
                trace += a[i * n + k] * b[k * n + i];
                trace_scale += (a[i * n + k] * b[k * n + i]).abs();
            }
        }
        // Tolerance: 1e-9 relative to the magnitude of the terms (summation order differs).
        expect_close("sum", self.number("sum")?, sum, 1e-9 * (1.0 + sum_scale))?;
        expect_close(
            "trace",
            self.number("trace")?,
            trace,
            1e-9 * (1.0 + trace_scale),
        )?;
        Ok(format!("sum and trace of the {n}×{n} product"))
    }
}
