//! The WebAssembly/native compute ratio.

use super::environments_of;
use crate::LauncherKind;
use crate::analysis::Analysis;
use crate::report::document::Section;

pub(crate) fn compute_ratio(analysis: &Analysis) -> Option<Section> {
    // Against each native build measured as a process: glibc (the paper's) first.
    let mut natives: Vec<_> = analysis
        .meta
        .plan
        .environments
        .iter()
        .filter(|e| e.launcher == LauncherKind::Process && !e.is_wasm())
        .collect();
    natives.sort_by_key(|e| e.native_build());
    if natives.is_empty() {
        return None;
    }
    let embedded = environments_of(analysis, LauncherKind::Embedded);
    if embedded.is_empty() {
        return None;
    }
    let mut section = Section::new("WebAssembly compute vs native");
    let builds: Vec<String> = natives
        .iter()
        .map(|e| format!("`{e}` is {}", e.native_build().describe()))
        .collect();
    section.paragraph(format!(
        "Median execute phase of each embedded environment ÷ median run of the native process ({}). The native figure includes starting the process (a fraction of a millisecond here), so at small sizes this understates WebAssembly's compute cost; `--size large` makes compute dominate.",
        builds.join("; ")
    ));
    let mut headers = vec!["function".to_owned()];
    for environment in &embedded {
        for native in &natives {
            headers.push(if natives.len() == 1 {
                environment.engine_mode()
            } else {
                format!("{} ÷ {}", environment.engine_mode(), native.engine_mode())
            });
        }
    }
    let ratio = |function: &str, environment, native| {
        analysis
            .summary(function, native)
            .zip(
                analysis
                    .cell(function, environment)
                    .and_then(|c| c.phase_medians),
            )
            .map(|(base, phases)| phases[3] / base.median)
    };
    let shown = |ratio: Option<f64>| ratio.map_or("-".into(), |r| format!("{r:.2}"));
    let functions = &analysis.meta.plan.functions;
    let mut rows = Vec::new();
    for function in functions {
        let mut row = vec![function.clone()];
        for environment in &embedded {
            for native in &natives {
                row.push(shown(ratio(function, environment, native)));
            }
        }
        rows.push(row);
    }
    // The geometric mean, as the paper's and the goals are stated, over the functions
    // measured in both environments.
    let mut mean_row = vec!["geometric mean".to_owned()];
    for environment in &embedded {
        for native in &natives {
            let ratios: Vec<f64> = functions
                .iter()
                .filter_map(|f| ratio(f, environment, native))
                .collect();
            mean_row.push(shown(geometric_mean(&ratios)));
        }
    }
    rows.push(mean_row);
    section.table(headers, rows);
    // Each function above the goal's 1.25× against the paper's native (glibc), with its cause
    // where one was measured.
    let glibc = natives.first().expect("not empty");
    let above: Vec<String> = functions
        .iter()
        .filter_map(|function| {
            let worst = embedded
                .iter()
                .filter_map(|environment| ratio(function, environment, glibc))
                .fold(f64::NAN, f64::max);
            (worst > 1.25).then(|| {
                let cause = MEASURED_CAUSES
                    .iter()
                    .find(|(f, _)| f == function)
                    .map_or("no cause measured yet", |(_, cause)| cause);
                format!("`{function}` (up to {worst:.2}×): {cause}")
            })
        })
        .collect();
    if !above.is_empty() {
        section.paragraph(format!(
            "Above 1.25× `{glibc}`, and why, as measured in `docs/compute-gap.md`:"
        ));
        section
            .blocks
            .push(crate::report::document::Block::List(above));
    }
    Some(section)
}

/// Causes measured for a function's compute ratio (`docs/compute-gap.md` has each experiment).
const MEASURED_CAUSES: &[(&str, &str)] = &[
    (
        "aes",
        "the instruction set: the native build encrypts with AES-NI and hashes with SHA-NI, WebAssembly has neither; the same native code built without them (`aes_force_soft`, sha2's `force-soft`) runs 15× slower, and WebAssembly then runs 1.26× it",
    ),
    (
        "audio-sine-wave",
        "the engine's code for the sine per sample: the same musl sine runs 1.7× slower compiled to WebAssembly by Cranelift than natively; both builds make the same writes",
    ),
    (
        "checksum",
        "the instruction set: the native build's SHA-256 uses SHA-NI; built without it the native code is slower than WebAssembly (0.88×)",
    ),
    (
        "diskio",
        "the engine's WASI layer: the same system calls as native, one per line in the unbuffered half (strace), about 1 µs more each; wasmer also seeks before every read and write",
    ),
    (
        "float-operation",
        "glibc's sincos (one call for both, its FMA kernels) against two calls of musl's kernels without FMA in WebAssembly; the guest's slow large-argument sin and cos (wasi-libc's) were ours and are replaced",
    ),
    (
        "imageprocessing",
        "the instruction set and the JPEG decoder: zune-jpeg decodes with AVX2 natively and with scalar code in WebAssembly (it has no WebAssembly SIMD path); 1.73× the native instructions",
    ),
    (
        "n-body",
        "the engine's code: 1.10× the native instructions for the same steps, no WASI call in the loop",
    ),
    (
        "whatlang",
        "the instruction set: hash-table probing (hashbrown's SSE2 groups natively, 8-byte words in wasm32) and hashing (a 64×64→128-bit multiply WebAssembly lacks); 1.99× the native instructions",
    ),
    (
        "zip-compression",
        "the instruction set: zlib-rs matches and hashes with AVX2 natively, 128-bit SIMD in WebAssembly, and computes CRC-32 with PCLMULQDQ, which WebAssembly lacks; 1.71× the native instructions",
    ),
];

/// The geometric mean of positive ratios; `None` for none.
fn geometric_mean(ratios: &[f64]) -> Option<f64> {
    (!ratios.is_empty())
        .then(|| (ratios.iter().map(|r| r.ln()).sum::<f64>() / ratios.len() as f64).exp())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::tests::runset_of;
    use crate::report::document::Block;
    use crate::{PhaseNs, Sample};

    #[test]
    fn each_native_build_has_its_column_and_the_geometric_mean_is_the_last_row() {
        let dir = tempfile::tempdir().unwrap();
        let times = [
            ("matmul", "process/native", 1.0, true),
            ("matmul", "process/native-static", 2.0, true),
            ("aes", "process/native", 1.0, true),
            ("aes", "process/native-static", 1.0, true),
        ];
        let environments = [
            "process/native",
            "process/native-static",
            "embedded/wasmtime-aot",
        ];
        let mut set = runset_of(dir.path(), &environments, &times);
        // wasmtime-aot executes matmul in 4 s and aes in 1 s.
        for (seq, (function, execute)) in [("matmul", 4.0), ("aes", 1.0)].into_iter().enumerate() {
            let ns = (execute * 1e9) as u64;
            set.append(Sample {
                seq: 10 + seq as u64,
                function: function.into(),
                environment: "embedded/wasmtime-aot".into(),
                round: 0,
                warmup: false,
                started_unix_ms: 0,
                total_ns: ns,
                phases: Some(PhaseNs {
                    execute: ns,
                    ..PhaseNs::default()
                }),
                lifecycle: None,
                exit_code: Some(0),
                peak_rss_kib: None,
                ok: true,
                error: None,
                unchecked: false,
                aot_cache_hit: None,
            })
            .unwrap();
        }
        let analysis = crate::analysis::analyse(&set).unwrap();
        let section = compute_ratio(&analysis).unwrap();
        let Some(table) = section.blocks.iter().find_map(|b| match b {
            Block::Table(table) => Some(table),
            _ => None,
        }) else {
            panic!("no table");
        };
        assert_eq!(
            table.headers,
            [
                "function",
                "wasmtime-aot ÷ native",
                "wasmtime-aot ÷ native-static"
            ]
        );
        assert_eq!(table.rows[0], ["matmul", "4.00", "2.00"]);
        assert_eq!(table.rows[1], ["aes", "1.00", "1.00"]);
        // √(4 × 1) = 2 against glibc, √(2 × 1) against musl.
        assert_eq!(table.rows[2], ["geometric mean", "2.00", "1.41"]);
        let Some(Block::Paragraph(text)) = section.blocks.first() else {
            panic!("no paragraph");
        };
        assert!(
            text.contains("`process/native` is glibc") && text.contains("native-static` is musl"),
            "{text}"
        );
        // matmul is above 1.25× glibc, with no cause measured; aes (1.00×) is not listed.
        let Some(Block::List(above)) = section.blocks.last() else {
            panic!("no list of the functions above 1.25×");
        };
        assert_eq!(
            above,
            &["`matmul` (up to 4.00×): no cause measured yet".to_owned()]
        );
        assert!(MEASURED_CAUSES.iter().any(|(f, _)| *f == "aes"));
    }
}
