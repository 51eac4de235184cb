use super::*;

/// Counting each claim on the paper's own published runs gives the count the paper prints:
/// the claims are encoded as the paper meant them.
#[test]
fn smallest_p_values_of_complete_separation() {
    // scipy.stats.mannwhitneyu([1, 2, 3], [4, 5, 6]).pvalue == 0.1 = 2 / C(6, 3) (exact).
    assert!((smallest_p(3, 3).unwrap() - 0.1).abs() < 1e-12);
    assert!((smallest_p(5, 5).unwrap() - 2.0 / 252.0).abs() < 1e-12);
    // From 9 values on, the normal approximation: far above the exact 2 / C(20, 10).
    let ten = smallest_p(10, 10).unwrap();
    assert!(ten > 1e-4 && ten < 1e-3, "{ten}");
    assert!(smallest_p(100, 100).unwrap() < 1e-30);
}

/// A claim comparing WebAssembly with containers is counted under the paper's integration
/// and again through wasmfaas's shim, each against containerd's native containers; a claim
/// among WebAssembly runtimes alone is counted once.
#[test]
fn claims_against_containers_are_counted_through_both_integrations() {
    use crate::analysis::{analyse, tests::runset_of};
    let dir = tempfile::tempdir().unwrap();
    let environments = [
        "containerd/native-distroless",
        "containerd/native-debian",
        "containerd/wasmtime-aot",
        "containerd/wasmer-aot",
        "containerd-shim/wasmtime-aot",
        "containerd-shim/wasmer-aot",
    ];
    let mut times = Vec::new();
    for i in 0..10 {
        let jitter = i as f64 * 1e-4;
        for function in ["matmul", "aes"] {
            // Through runc's shim WebAssembly loses to the containers; through ours it wins.
            times.push((
                function,
                "containerd/native-distroless",
                0.090 + jitter,
                true,
            ));
            times.push((function, "containerd/native-debian", 0.095 + jitter, true));
            times.push((function, "containerd/wasmtime-aot", 0.100 + jitter, true));
            times.push((function, "containerd/wasmer-aot", 0.105 + jitter, true));
            times.push((
                function,
                "containerd-shim/wasmtime-aot",
                0.040 + jitter,
                true,
            ));
            times.push((function, "containerd-shim/wasmer-aot", 0.045 + jitter, true));
        }
    }
    let set = runset_of(dir.path(), &environments, &times);
    let analysis = analyse(&set).unwrap();
    let checked = check_all(&analysis, &PaperData::load());
    let rows: Vec<&Checked> = checked
        .iter()
        .filter(|c| c.id == "wasm-beats-containers")
        .collect();
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[0].launcher, Some("containerd"));
    assert_eq!(rows[0].ours.as_ref().map(|c| (c.holds, c.of)), Some((0, 2)));
    assert_eq!(rows[1].launcher, Some("containerd-shim"));
    assert_eq!(rows[1].ours.as_ref().map(|c| (c.holds, c.of)), Some((2, 2)));
    let among_wasm = checked
        .iter()
        .filter(|c| c.id == "wasmtime-fastest-aot")
        .count();
    assert_eq!(
        among_wasm, 1,
        "a claim among WebAssembly runtimes is counted once"
    );
}

#[test]
fn the_papers_data_give_the_papers_counts() {
    let paper = PaperData::load();
    let functions = paper.functions();
    for claim in CLAIMS {
        let count = Count::of(&claim.test, &paper, &functions);
        assert_eq!(
            (count.holds, count.of),
            claim.printed,
            "{}: {:?}",
            claim.id,
            count.by_function
        );
    }
}
