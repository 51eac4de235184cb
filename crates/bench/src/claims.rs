//! The paper's quantitative claims (§4–5), each counted the same way on the paper's own data
//! and on a run set, with a verdict.
use serde::Serialize;

use crate::analysis::{ALPHA, Analysis};
use crate::paper::PaperData;
use crate::{Environment, LauncherKind};

/// What a claim counts, per function.
#[derive(Debug, Clone, Copy)]
pub enum Test {
    /// `a` has a lower mean time than `b`.
    Faster {
        /// The environment claimed faster (an `engine-mode` key).
        a: &'static str,
        /// The one it beats.
        b: &'static str,
    },
    /// `winner` has the lowest mean among the present keys of `among` (at least one other).
    Fastest {
        /// The claimed fastest.
        winner: &'static str,
        /// The field.
        among: &'static [&'static str],
    },
    /// `loser` has the highest mean among the present keys of `among`.
    Slowest {
        /// The claimed slowest.
        loser: &'static str,
        /// The field.
        among: &'static [&'static str],
    },
    /// Every present key of `group` is faster than every present key of `than`.
    AllFaster {
        /// The claimed faster ones.
        group: &'static [&'static str],
        /// The ones they beat.
        than: &'static [&'static str],
    },
    /// The Mann–Whitney U test of `a` against `b` rejects equality at α = 0.05.
    Significant {
        /// One environment.
        a: &'static str,
        /// The other.
        b: &'static str,
    },
}

/// One claim of the paper.
#[derive(Debug, Clone, Copy)]
pub struct Claim {
    /// A short id.
    pub id: &'static str,
    /// The claim, in the paper's words where possible.
    pub statement: &'static str,
    /// Where the paper makes it.
    pub source: &'static str,
    /// The count the paper prints: (functions where it holds, functions measured).
    pub printed: (usize, usize),
    /// How it is counted.
    pub test: Test,
    /// A stand-in test for this build when the paper's environments are absent, and why it
    /// stands in.
    pub stand_in: Option<(Test, &'static str)>,
}

const WASM_AOT: &[&str] = &["wasmedge-aot", "wasmtime-aot", "wasmer-aot"];
const CONTAINERS: &[&str] = &["native-distroless", "native-debian"];
const INTERP_JIT: &[&str] = &["wasmedge-interp", "wasmtime-jit", "wasmer-jit"];
const STAND_IN_INTERP_JIT: &[&str] = &["wasmi-interp", "wasmtime-jit", "wasmer-jit"];

/// The claims, in the paper's order.
pub const CLAIMS: &[Claim] = &[
    Claim {
        id: "aot-beats-interp",
        statement: "AOT is faster than interpretation (WasmEdge)",
        source: "§4.1, Table 4",
        printed: (10, 13),
        test: Test::Faster {
            a: "wasmedge-aot",
            b: "wasmedge-interp",
        },
        stand_in: Some((
            Test::Faster {
                a: "wasmtime-aot",
                b: "wasmi-interp",
            },
            "WasmEdge is absent: wasmtime AOT against the wasmi interpreter",
        )),
    },
    Claim {
        id: "aot-vs-interp-significant",
        statement: "AOT and interpretation times differ significantly (Mann–Whitney U, α = 0.05)",
        source: "§4.1",
        printed: (13, 13),
        test: Test::Significant {
            a: "wasmedge-aot",
            b: "wasmedge-interp",
        },
        stand_in: Some((
            Test::Significant {
                a: "wasmtime-aot",
                b: "wasmi-interp",
            },
            "WasmEdge is absent: wasmtime AOT against the wasmi interpreter",
        )),
    },
    Claim {
        id: "wasmtime-aot-beats-jit",
        statement: "Wasmtime AOT is faster than Wasmtime JIT",
        source: "§4.2, Table 5",
        printed: (12, 13),
        test: Test::Faster {
            a: "wasmtime-aot",
            b: "wasmtime-jit",
        },
        stand_in: None,
    },
    Claim {
        id: "wasmtime-aot-vs-jit-significant",
        statement: "Wasmtime AOT and JIT times differ significantly",
        source: "§4.2",
        printed: (13, 13),
        test: Test::Significant {
            a: "wasmtime-aot",
            b: "wasmtime-jit",
        },
        stand_in: None,
    },
    Claim {
        id: "wasmer-aot-beats-jit",
        statement: "Wasmer AOT is faster than Wasmer JIT (of the functions that ran)",
        source: "§4.3, Table 6",
        printed: (6, 6),
        test: Test::Faster {
            a: "wasmer-aot",
            b: "wasmer-jit",
        },
        stand_in: None,
    },
    Claim {
        id: "distroless-beats-debian",
        statement: "A distroless container is faster than a debian:bullseye one",
        source: "§4.4, Table 7",
        printed: (13, 13),
        test: Test::Faster {
            a: "native-distroless",
            b: "native-debian",
        },
        stand_in: None,
    },
    Claim {
        id: "wasm-beats-containers",
        statement: "Every WebAssembly runtime (AOT) is faster than both containers",
        source: "§5, Figure 5; abstract",
        printed: (10, 13),
        test: Test::AllFaster {
            group: WASM_AOT,
            than: CONTAINERS,
        },
        stand_in: None,
    },
    Claim {
        id: "wasmtime-fastest-aot",
        statement: "Wasmtime is the fastest WebAssembly runtime with AOT",
        source: "§5, Figure 5",
        printed: (8, 13),
        test: Test::Fastest {
            winner: "wasmtime-aot",
            among: WASM_AOT,
        },
        stand_in: None,
    },
    Claim {
        id: "interp-slowest",
        statement: "Interpretation is slower than JIT (WasmEdge interp vs Wasmtime and Wasmer JIT)",
        source: "§5, Figure 6",
        printed: (10, 13),
        test: Test::Slowest {
            loser: "wasmedge-interp",
            among: INTERP_JIT,
        },
        stand_in: Some((
            Test::Slowest {
                loser: "wasmi-interp",
                among: STAND_IN_INTERP_JIT,
            },
            "WasmEdge is absent: the wasmi interpreter against the JITs",
        )),
    },
    Claim {
        id: "wasmtime-fastest-jit",
        statement: "Wasmtime is the fastest with JIT (among WasmEdge interp, Wasmtime and Wasmer JIT)",
        source: "§5, Figure 6",
        printed: (10, 13),
        test: Test::Fastest {
            winner: "wasmtime-jit",
            among: INTERP_JIT,
        },
        stand_in: Some((
            Test::Fastest {
                winner: "wasmtime-jit",
                among: STAND_IN_INTERP_JIT,
            },
            "WasmEdge is absent: the wasmi interpreter in its place",
        )),
    },
];

/// Where a claim's numbers come from: the paper's data or a run set under one launcher.
trait Source {
    fn mean(&self, key: &str, function: &str) -> Option<f64>;
    fn significant(&self, a: &str, b: &str, function: &str) -> Option<bool>;
}

impl Source for PaperData {
    fn mean(&self, key: &str, function: &str) -> Option<f64> {
        PaperData::mean(self, key, function)
    }

    fn significant(&self, a: &str, b: &str, function: &str) -> Option<bool> {
        // As the paper did: one uncorrected test per function.
        let test = wasmfaas_stats::mann_whitney(self.runs(a, function)?, self.runs(b, function)?);
        Some(test.ok()?.p_value < ALPHA)
    }
}

struct Ours<'a> {
    analysis: &'a Analysis,
    launcher: LauncherKind,
}

impl Ours<'_> {
    fn environment(&self, key: &str) -> Option<Environment> {
        // The shim runs WebAssembly only: its claims compare it with containerd's native
        // containers.
        let launcher = match self.launcher {
            LauncherKind::ContainerdShim if key.starts_with("native") => LauncherKind::Containerd,
            launcher => launcher,
        };
        let environment = Environment::parse(&format!("{}/{key}", launcher.as_str())).ok()?;
        self.analysis
            .meta
            .plan
            .environments
            .contains(&environment)
            .then_some(environment)
    }
}

impl Source for Ours<'_> {
    fn mean(&self, key: &str, function: &str) -> Option<f64> {
        Some(
            self.analysis
                .summary(function, &self.environment(key)?)?
                .mean,
        )
    }

    fn significant(&self, a: &str, b: &str, function: &str) -> Option<bool> {
        let (a, b) = (self.environment(a)?, self.environment(b)?);
        let comparison = self.analysis.comparison(function, &a, &b)?;
        if comparison.significant() {
            return Some(true);
        }
        // Too few runs can make significance unreachable after the correction: then "not
        // significant" says nothing about the claim, and the function is not counted.
        let n = |e: &Environment| self.analysis.summary(function, e).map(|s| s.n);
        let smallest_p = smallest_p(n(&a)?, n(&b)?)?;
        let reachable = smallest_p * self.analysis.family_size(function) as f64 <= ALPHA;
        reachable.then_some(false)
    }
}

/// The smallest two-sided p-value the Mann–Whitney U test can give samples of `n1` and `n2`
/// values (with the method it would use for them): that of two completely separated samples.
fn smallest_p(n1: usize, n2: usize) -> Option<f64> {
    let a: Vec<f64> = (0..n1).map(|i| i as f64).collect();
    let b: Vec<f64> = (n1..n1 + n2).map(|i| i as f64).collect();
    Some(wasmfaas_stats::mann_whitney(&a, &b).ok()?.p_value)
}

/// Per function: whether the test holds, or `None` where it cannot be evaluated.
fn evaluate(test: &Test, source: &dyn Source, function: &str) -> Option<bool> {
    let present = |keys: &[&'static str]| -> Vec<(&'static str, f64)> {
        keys.iter()
            .filter_map(|k| source.mean(k, function).map(|m| (*k, m)))
            .collect()
    };
    match *test {
        Test::Faster { a, b } => Some(source.mean(a, function)? < source.mean(b, function)?),
        Test::Significant { a, b } => source.significant(a, b, function),
        Test::Fastest { winner, among }
        | Test::Slowest {
            loser: winner,
            among,
        } => {
            let field = present(among);
            let mine = field.iter().find(|(k, _)| *k == winner)?.1;
            if field.len() < 2 {
                return None;
            }
            let slowest = matches!(test, Test::Slowest { .. });
            Some(
                field
                    .iter()
                    .all(|(k, m)| *k == winner || if slowest { mine > *m } else { mine < *m }),
            )
        }
        Test::AllFaster { group, than } => {
            let group = present(group);
            let than = present(than);
            if group.is_empty() || than.is_empty() {
                return None;
            }
            Some(group.iter().all(|(_, g)| than.iter().all(|(_, t)| g < t)))
        }
    }
}

/// The environments a test needs, for the "not testable" reason.
fn keys(test: &Test) -> Vec<&'static str> {
    match *test {
        Test::Faster { a, b } | Test::Significant { a, b } => vec![a, b],
        Test::Fastest { among, .. } | Test::Slowest { among, .. } => among.to_vec(),
        Test::AllFaster { group, than } => group.iter().chain(than).copied().collect(),
    }
}

/// A count: in how many functions a claim holds, of how many it could be evaluated on, and
/// the per-function outcome.
#[derive(Debug, Clone, Serialize)]
pub struct Count {
    /// Functions where it holds.
    pub holds: usize,
    /// Functions where it could be evaluated.
    pub of: usize,
    /// Per function, where evaluated.
    pub by_function: Vec<(String, bool)>,
}

impl Count {
    fn of(test: &Test, source: &dyn Source, functions: &[String]) -> Count {
        let by_function: Vec<(String, bool)> = functions
            .iter()
            .filter_map(|f| evaluate(test, source, f).map(|holds| (f.clone(), holds)))
            .collect();
        Count {
            holds: by_function.iter().filter(|(_, h)| *h).count(),
            of: by_function.len(),
            by_function,
        }
    }

    fn majority(&self) -> bool {
        2 * self.holds > self.of
    }

    /// `10/13`.
    pub fn fraction(&self) -> String {
        format!("{}/{}", self.holds, self.of)
    }
}

/// The outcome of testing a claim on a run set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Holds for the same majority of functions as in the paper.
    Confirmed,
    /// The majority goes the other way here.
    Refuted,
    /// The run set lacks the environments it needs.
    NotTestable,
}

impl Verdict {
    /// The word in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Confirmed => "confirmed",
            Verdict::Refuted => "refuted",
            Verdict::NotTestable => "not testable here",
        }
    }
}

/// A claim checked against the paper's data and a run set.
#[derive(Debug, Clone, Serialize)]
pub struct Checked {
    /// The claim's id.
    pub id: &'static str,
    /// The claim.
    pub statement: &'static str,
    /// Where the paper makes it.
    pub source: &'static str,
    /// The count the paper prints.
    pub printed: String,
    /// The same count recomputed from the paper's published runs.
    pub paper: Count,
    /// The count on the run set, when testable.
    pub ours: Option<Count>,
    /// The launcher whose environments were counted.
    pub launcher: Option<&'static str>,
    /// The stand-in used, if any.
    pub stand_in: Option<&'static str>,
    /// The verdict.
    pub verdict: Verdict,
    /// What the verdict rests on.
    pub detail: String,
}

/// Checks every claim. A claim is counted under the most paper-like launcher of the run set
/// (containerd, then oci, process, embedded) that has the environments it needs; a claim that
/// compares WebAssembly with native containers is counted a second time through wasmfaas's
/// shim (`containerd-shim`) when the run set has its environments.
pub fn check_all(analysis: &Analysis, paper: &PaperData) -> Vec<Checked> {
    let functions: Vec<String> = analysis
        .meta
        .plan
        .functions
        .iter()
        .filter(|f| paper.functions().contains(f))
        .cloned()
        .collect();
    let paper_functions = paper.functions();
    let mut launchers = analysis.launchers();
    let through_shim = launchers.contains(&LauncherKind::ContainerdShim);
    launchers.retain(|&l| l != LauncherKind::ContainerdShim);
    launchers.reverse();
    let mut checked = Vec::new();
    for claim in CLAIMS {
        let paper_count = Count::of(&claim.test, paper, &paper_functions);
        let tests = || {
            std::iter::once((&claim.test, None))
                .chain(claim.stand_in.iter().map(|(t, why)| (t, Some(*why))))
        };
        let count_under = |launcher: LauncherKind| {
            tests().find_map(|(test, stand_in)| {
                let ours = Ours { analysis, launcher };
                let count = Count::of(test, &ours, &functions);
                (count.of > 0).then_some((count, launcher, stand_in))
            })
        };
        let found = launchers.iter().find_map(|&launcher| count_under(launcher));
        checked.push(verdict(claim, paper_count.clone(), found));
        let compares_containers = keys(&claim.test).iter().any(|k| k.starts_with("native"))
            && keys(&claim.test).iter().any(|k| !k.starts_with("native"));
        if through_shim
            && compares_containers
            && let Some(found) = count_under(LauncherKind::ContainerdShim)
        {
            checked.push(verdict(claim, paper_count, Some(found)));
        }
    }
    checked
}

/// A claim's verdict from its count on the run set (`None`: not testable here).
fn verdict(
    claim: &Claim,
    paper_count: Count,
    found: Option<(Count, LauncherKind, Option<&'static str>)>,
) -> Checked {
    match found {
        None => Checked {
            id: claim.id,
            statement: claim.statement,
            source: claim.source,
            printed: format!("{}/{}", claim.printed.0, claim.printed.1),
            paper: paper_count,
            ours: None,
            launcher: None,
            stand_in: None,
            verdict: Verdict::NotTestable,
            detail: if matches!(claim.test, Test::Significant { .. }) {
                format!(
                    "needs the environments {} under one launcher, with enough runs that a Holm-corrected test can reach α = {ALPHA} (e.g. --runs 10 or more)",
                    keys(&claim.test).join(", ")
                )
            } else {
                format!(
                    "needs the environments {} under one launcher; this run set does not have them",
                    keys(&claim.test).join(", ")
                )
            },
        },
        Some((count, launcher, stand_in)) => {
            let verdict = if count.majority() == paper_count.majority() {
                Verdict::Confirmed
            } else {
                Verdict::Refuted
            };
            let differs: Vec<String> = count
                .by_function
                .iter()
                .filter(|(f, holds)| {
                    paper_count
                        .by_function
                        .iter()
                        .any(|(pf, ph)| pf == f && ph != holds)
                })
                .map(|(f, holds)| {
                    format!("{f} ({})", if *holds { "holds here" } else { "fails here" })
                })
                .collect();
            let detail = if differs.is_empty() {
                "same outcome as the paper on every function measured by both".to_owned()
            } else {
                format!("differs from the paper on {}", differs.join(", "))
            };
            Checked {
                id: claim.id,
                statement: claim.statement,
                source: claim.source,
                printed: format!("{}/{}", claim.printed.0, claim.printed.1),
                paper: paper_count,
                ours: Some(count),
                launcher: Some(launcher.as_str()),
                stand_in,
                verdict,
                detail,
            }
        }
    }
}

#[cfg(test)]
mod tests;
