//! The paper's published runs (shipped in `data/paper/`, Apache-2.0, see its README) and how its
//! environments correspond to ours.
use std::collections::BTreeMap;

use crate::Environment;

/// The paper's raw run times: `environment,mode,function,run,seconds`.
const RAW_TIMES: &str = include_str!("../data/paper/raw-times.csv");

/// The attribution shown wherever the paper's data appear.
pub const ATTRIBUTION: &str = "Kjorveziroski & Filiposka, \"WebAssembly as an Enabler for Next Generation Serverless Computing\", J Grid Computing 21, 34 (2023); data: korvoj/wasm-serverless-benchmarks, Apache-2.0";

/// The paper's environments, as `engine-mode` keys in the order of its figures.
pub const PAPER_KEYS: [&str; 8] = [
    "wasmedge-interp",
    "wasmedge-aot",
    "wasmtime-jit",
    "wasmtime-aot",
    "wasmer-jit",
    "wasmer-aot",
    "native-distroless",
    "native-debian",
];

/// The paper's runs, grouped.
#[derive(Debug, Clone)]
pub struct PaperData {
    /// Run times in seconds by (key, function); key as in [`PAPER_KEYS`].
    pub times: BTreeMap<(String, String), Vec<f64>>,
}

impl PaperData {
    /// Parses the shipped file.
    pub fn load() -> PaperData {
        let mut times: BTreeMap<(String, String), Vec<f64>> = BTreeMap::new();
        for line in RAW_TIMES.lines().skip(1) {
            let fields: Vec<&str> = line.split(',').collect();
            let [environment, mode, function, _run, seconds] = fields[..] else {
                continue;
            };
            let Ok(seconds) = seconds.parse::<f64>() else {
                continue;
            };
            let key = match mode {
                "native" => format!("native-{environment}"),
                mode => format!("{environment}-{mode}"),
            };
            times
                .entry((key, function.to_owned()))
                .or_default()
                .push(seconds);
        }
        PaperData { times }
    }

    /// The runs of `key` on `function`.
    pub fn runs(&self, key: &str, function: &str) -> Option<&[f64]> {
        self.times
            .get(&(key.to_owned(), function.to_owned()))
            .map(Vec::as_slice)
    }

    /// The mean run time of `key` on `function`, as the paper's tables give it.
    pub fn mean(&self, key: &str, function: &str) -> Option<f64> {
        let runs = self.runs(key, function)?;
        Some(runs.iter().sum::<f64>() / runs.len() as f64)
    }

    /// The functions the paper measured, sorted.
    pub fn functions(&self) -> Vec<String> {
        let mut functions: Vec<String> = self.times.keys().map(|(_, f)| f.clone()).collect();
        functions.sort();
        functions.dedup();
        functions
    }
}

/// The paper's environment that `environment` corresponds to, and whether it is a stand-in
/// rather than the same thing (wasmi's interpreter for WasmEdge's; a native binary without a
/// container for a distroless container).
pub fn counterpart(environment: &Environment) -> Option<(&'static str, bool)> {
    let key = environment.engine_mode();
    if let Some(&same) = PAPER_KEYS.iter().find(|k| **k == key) {
        return Some((same, false));
    }
    match key.as_str() {
        "wasmi-interp" => Some(("wasmedge-interp", true)),
        "native" => Some(("native-distroless", true)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_data_reproduce_the_papers_tables() {
        let paper = PaperData::load();
        assert_eq!(paper.functions().len(), 13);
        // Table 5: Wasmtime AOT prime-numbers 0.8438 s; Table 7: distroless matmul 2.6960 s.
        let aot = paper.mean("wasmtime-aot", "prime-numbers").unwrap();
        assert!((aot - 0.8438).abs() < 5e-5, "{aot}");
        let distroless = paper.mean("native-distroless", "matmul").unwrap();
        assert!((distroless - 2.6960).abs() < 5e-5, "{distroless}");
        assert_eq!(paper.runs("wasmedge-interp", "aes").unwrap().len(), 100);
        // Wasmer ran only the 6 functions that need no filesystem.
        let wasmer = paper
            .functions()
            .iter()
            .filter(|f| paper.runs("wasmer-aot", f).is_some())
            .count();
        assert_eq!(wasmer, 6);
    }

    #[test]
    fn stand_ins_are_marked() {
        let env = |s: &str| Environment::parse(s).unwrap();
        assert_eq!(
            counterpart(&env("process/wasmtime-aot")),
            Some(("wasmtime-aot", false))
        );
        assert_eq!(
            counterpart(&env("embedded/wasmi-interp")),
            Some(("wasmedge-interp", true))
        );
        assert_eq!(
            counterpart(&env("process/native")),
            Some(("native-distroless", true))
        );
        assert_eq!(counterpart(&env("embedded/wasmtime-baseline")), None);
    }
}
