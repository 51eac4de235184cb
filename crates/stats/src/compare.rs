//! Comparing two samples: Mann–Whitney U, Holm–Bonferroni, Cliff's delta.

use serde::{Deserialize, Serialize};
use statrs::stats_tests::Alternative;
use statrs::stats_tests::mannwhitneyu::{MannWhitneyUMethod, mannwhitneyu};

use crate::StatsError;
use crate::sample::{check, sorted};

/// Largest sample size for which method "auto" still uses the exact p-value (as scipy).
const EXACT_MAX_N: usize = 8;

/// Result of a two-sided Mann–Whitney U test (scipy.stats.mannwhitneyu semantics,
/// method "auto": exact when either sample has <= 8 values and there are no ties,
/// else the normal approximation with tie correction and continuity correction).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MannWhitney {
    /// U statistic of the first sample (as scipy returns): the number of pairs where the
    /// first sample's value is larger, ties counting one half.
    pub u: f64,
    /// Two-sided p-value.
    pub p_value: f64,
}

/// Two-sided Mann–Whitney U test of `a` against `b`, with scipy's method "auto".
///
/// The normal approximation comes from statrs, which compares all pairs of values, so
/// it costs O((n1 + n2)^2): fine for benchmark-sized samples (thousands). The exact
/// p-value is computed here, in O(min^2 max) time and O(min max) memory: statrs 0.19.1
/// enumerates all C(n1 + n2, min) arrangements (about 10^19 for 8 values against 1000)
/// and, when the first sample is not the larger one, returns the complement of the
/// tail (two-sided p = 1 instead of 0.1111 for scipy's example with the samples swapped).
/// When every value is identical the p-value is 1, as scipy gives.
pub fn mann_whitney(a: &[f64], b: &[f64]) -> Result<MannWhitney, StatsError> {
    check(a)?;
    check(b)?;
    let (n1, n2) = (a.len(), b.len());
    let (greater, _less, ties) = pair_counts(a, b);
    let u = greater as f64 + 0.5 * ties as f64;

    let mut all: Vec<f64> = a.iter().chain(b).copied().collect();
    all.sort_unstable_by(f64::total_cmp);
    let has_ties = all.windows(2).any(|w| w[0] == w[1]);
    if all[0] == all[all.len() - 1] {
        // No variation at all: the statistic's variance is 0, and rounding in the tie
        // correction could turn z into NaN instead of scipy's p = 1.
        return Ok(MannWhitney { u, p_value: 1.0 });
    }

    if (n1 <= EXACT_MAX_N || n2 <= EXACT_MAX_N) && !has_ties {
        return Ok(MannWhitney {
            u,
            p_value: exact_p_two_sided(u, n1, n2),
        });
    }
    asymptotic(a, b)
}

/// Normal approximation with tie and continuity corrections, scipy's "asymptotic".
fn asymptotic(a: &[f64], b: &[f64]) -> Result<MannWhitney, StatsError> {
    let (u, p_value) = mannwhitneyu(
        a,
        b,
        MannWhitneyUMethod::AsymptoticInclContinuityCorrection,
        Alternative::TwoSided,
    )
    .map_err(|e| StatsError::Backend(e.to_string()))?;
    Ok(MannWhitney { u, p_value })
}

/// Counts the pairs (x in a, y in b) with x > y, x < y and x == y, in O((n + m) log m).
fn pair_counts(a: &[f64], b: &[f64]) -> (u64, u64, u64) {
    let b = sorted(b);
    let m = b.len() as u64;
    let (mut greater, mut less) = (0u64, 0u64);
    for &x in a {
        let below = b.partition_point(|&y| y < x) as u64;
        let at_or_below = b.partition_point(|&y| y <= x) as u64;
        greater += below;
        less += m - at_or_below;
    }
    let ties = a.len() as u64 * m - greater - less;
    (greater, less, ties)
}

/// Exact two-sided p-value of U for tie-free samples of sizes n1, n2: as scipy,
/// 2 P(U >= max(u, n1 n2 - u)) under the null, capped at 1.
fn exact_p_two_sided(u: f64, n1: usize, n2: usize) -> f64 {
    let counts = u_null_counts(n1.min(n2), n1.max(n2));
    let total: f64 = counts.iter().sum();
    let u_max = u.max((n1 * n2) as f64 - u);
    let from = u_max.ceil() as usize;
    let upper: f64 = counts.iter().skip(from).sum();
    (2.0 * upper / total).min(1.0)
}

/// Null distribution of U for sizes k and n: entry u counts the arrangements of the
/// ranks giving U = u, i.e. the coefficients of the Gaussian binomial
/// [n + k choose k]_q = prod_{i=1..k} (1 - q^(n+i)) / (1 - q^i).
///
/// Kept in f64 because the counts overflow integers (C(10^6 + 8, 8) ~ 10^43). Each
/// step first divides by (1 - q^i), a running sum of non-negative terms, then multiplies
/// by (1 - q^(n+i)), the one subtraction, whose results are counts again; so rounding
/// errors stay relative to the total and p-values keep ~1e-13 absolute accuracy.
/// O(k^2 n) time, O(k n) memory.
fn u_null_counts(k: usize, n: usize) -> Vec<f64> {
    let mut g: Vec<f64> = vec![1.0];
    for i in 1..=k {
        let len = i * n + 1;
        let mut h: Vec<f64> = vec![0.0; len];
        for u in 0..len {
            let carried = if u >= i { h[u - i] } else { 0.0 };
            h[u] = g.get(u).copied().unwrap_or(0.0) + carried;
        }
        let shift = n + i;
        g = (0..len)
            .map(|u| {
                let sub = if u >= shift { h[u - shift] } else { 0.0 };
                // Rounding may leave a tiny negative where the true count is 0.
                (h[u] - sub).max(0.0)
            })
            .collect();
    }
    g
}

/// Holm–Bonferroni step-down adjusted p-values, in the input order, monotone, capped at 1
/// (as statsmodels `multipletests(method="holm")`).
///
/// A NaN p-value stays NaN; it still counts as a hypothesis, which keeps the others
/// conservative.
pub fn holm(p_values: &[f64]) -> Vec<f64> {
    let m = p_values.len();
    let mut order: Vec<usize> = (0..m).filter(|&i| !p_values[i].is_nan()).collect();
    order.sort_by(|&i, &j| p_values[i].total_cmp(&p_values[j]));
    let mut adjusted = vec![f64::NAN; m];
    let mut running_max = 0.0_f64;
    for (rank, &i) in order.iter().enumerate() {
        // The rank-th smallest (0-based) is tested at level alpha / (m - rank).
        let scaled = ((m - rank) as f64 * p_values[i]).min(1.0);
        // Step-down: a hypothesis can only be rejected if all smaller ones are.
        running_max = running_max.max(scaled);
        adjusted[i] = running_max;
    }
    adjusted
}

/// Cliff's delta: P(a > b) - P(a < b) over all pairs, ties counting 0; in [-1, 1].
/// Negative means `a` tends to be smaller (faster, for durations).
pub fn cliffs_delta(a: &[f64], b: &[f64]) -> Result<f64, StatsError> {
    check(a)?;
    check(b)?;
    let (greater, less, _) = pair_counts(a, b);
    let pairs = a.len() as f64 * b.len() as f64;
    Ok((greater as f64 - less as f64) / pairs)
}

/// Magnitude label of Cliff's delta after Romano et al. (2006): |d| < 0.147 "negligible",
/// < 0.33 "small", < 0.474 "medium", else "large"; "undefined" for NaN.
pub fn delta_magnitude(delta: f64) -> &'static str {
    let d = delta.abs();
    if d.is_nan() {
        "undefined"
    } else if d < 0.147 {
        "negligible"
    } else if d < 0.33 {
        "small"
    } else if d < 0.474 {
        "medium"
    } else {
        "large"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::assert_close;

    // scipy.stats.mannwhitneyu documentation example
    // (https://docs.scipy.org/doc/scipy/reference/generated/scipy.stats.mannwhitneyu.html).
    const MALES: [f64; 5] = [19.0, 22.0, 16.0, 29.0, 24.0];
    const FEMALES: [f64; 4] = [20.0, 11.0, 17.0, 12.0];

    #[test]
    fn mann_whitney_scipy_doc_example_exact() {
        // scipy: U1 = 17.0, two-sided p = 0.1111111111111111 (method "exact" and "auto").
        let r = mann_whitney(&MALES, &FEMALES).unwrap();
        assert_eq!(r.u, 17.0);
        assert_close(r.p_value, 0.1111111111111111, 1e-15);
    }

    #[test]
    fn mann_whitney_is_symmetric_in_the_samples() {
        // Swapping the samples gives U2 = n1 n2 - U1 = 20 - 17 = 3 and the same two-sided p
        // (scipy returns 0.1111111111111111 for either order; statrs 0.19.1 returns 1.0 here).
        let r = mann_whitney(&FEMALES, &MALES).unwrap();
        assert_eq!(r.u, 3.0);
        assert_close(r.p_value, 0.1111111111111111, 1e-15);
    }

    #[test]
    fn mann_whitney_scipy_doc_example_asymptotic() {
        // scipy method="asymptotic": p = 0.11134688653314041. statrs's normal CDF agrees
        // with scipy's to about 5e-12 here, hence the tolerance of the asymptotic tests.
        let r = asymptotic(&MALES, &FEMALES).unwrap();
        assert_eq!(r.u, 17.0);
        assert_close(r.p_value, 0.11134688653314041, 1e-10);
    }

    #[test]
    fn mann_whitney_auto_uses_asymptotic_for_large_samples() {
        // scipy values, from statrs 0.19.1 src/stats_tests/mannwhitneyu.rs,
        // test_automatic_asymptotic: both samples have 9 values.
        let a = [19.0, 22.0, 16.0, 29.0, 24.0, 28.0, 7.0, 10.0, 30.0];
        let b = [20.0, 11.0, 17.0, 12.0, 5.0, 31.0, 18.0, 2.0, 34.0];
        let r = mann_whitney(&a, &b).unwrap();
        assert_eq!(r.u, 49.0);
        assert_close(r.p_value, 0.47992869214595724, 1e-10);
    }

    #[test]
    fn mann_whitney_auto_uses_asymptotic_with_ties() {
        // Same statrs test: 6 is in both samples, so "auto" is asymptotic despite n <= 8.
        let a = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let b = [6.0, 7.0, 8.0, 9.0, 10.0];
        let r = mann_whitney(&a, &b).unwrap();
        assert_eq!(r.u, 0.5);
        assert_close(r.p_value, 0.010411098147110422, 1e-10);
    }

    #[test]
    fn mann_whitney_exact_complete_separation() {
        // By hand: only 1 of C(6, 3) = 20 equally likely rank arrangements gives U = 0,
        // so two-sided p = 2 / 20 = 0.1.
        let r = mann_whitney(&[1.0, 2.0, 3.0], &[4.0, 5.0, 6.0]).unwrap();
        assert_eq!(r.u, 0.0);
        assert_close(r.p_value, 0.1, 1e-15);
        let r = mann_whitney(&[4.0, 5.0, 6.0], &[1.0, 2.0, 3.0]).unwrap();
        assert_eq!(r.u, 9.0);
        assert_close(r.p_value, 0.1, 1e-15);
    }

    #[test]
    fn mann_whitney_exact_unequal_sizes() {
        // scipy values from statrs 0.19.1's test_scipy_example: exact two-sided p for
        // x (8 values) against y (4 values) is 0.46060606060606063 with U = 21.
        let x = [5.0, 2.0, 7.0, 8.0, 9.0, 3.0, 11.0, 12.0];
        let y = [1.0, 6.0, 10.0, 4.0];
        let r = mann_whitney(&x, &y).unwrap();
        assert_eq!(r.u, 21.0);
        assert_close(r.p_value, 0.46060606060606063, 1e-15);
        let r = mann_whitney(&y, &x).unwrap();
        assert_eq!(r.u, 11.0);
        assert_close(r.p_value, 0.46060606060606063, 1e-15);
    }

    #[test]
    fn mann_whitney_exact_small_against_large() {
        // 3 values below all 2000 others: U = 0, and only 1 of C(2003, 3) arrangements is
        // that extreme, so p = 2 / C(2003, 3) = 1.4955093581531735e-09. statrs would
        // enumerate 1.3e9 arrangements here.
        let b: Vec<f64> = (0..2000).map(f64::from).collect();
        let r = mann_whitney(&[-3.0, -2.0, -1.0], &b).unwrap();
        assert_eq!(r.u, 0.0);
        assert_close(r.p_value / 1.4955093581531735e-09, 1.0, 1e-9);
    }

    #[test]
    fn u_null_counts_match_enumeration() {
        // Brute force: U of a k-subset of ranks 0..k+n is the sum of its ranks minus k(k-1)/2.
        for k in 1..=4usize {
            for n in 1..=7usize {
                let mut expected = vec![0.0; k * n + 1];
                for mask in 0u32..(1 << (k + n)) {
                    if mask.count_ones() as usize == k {
                        let rank_sum: usize = (0..k + n).filter(|i| mask & (1 << i) != 0).sum();
                        expected[rank_sum - k * (k - 1) / 2] += 1.0;
                    }
                }
                assert_eq!(u_null_counts(k, n), expected, "k = {k}, n = {n}");
            }
        }
    }

    #[test]
    fn exact_p_matches_statrs_where_statrs_is_right() {
        // statrs's exact p-value is correct when the first sample is strictly the larger
        // one (with n1 <= n2 it returns 1 minus the tail, e.g. 1 instead of 1/3 for 2 vs 2).
        let x = [3.5, 1.0, 9.0, 4.0, 12.0, 7.0, 2.0, 15.0, 8.0, 0.5];
        let y = [5.0, 11.0, 6.0, 13.0, 10.0, 14.0];
        for n1 in 1..=x.len() {
            for n2 in 1..n1.min(y.len() + 1) {
                let (_, p) = mannwhitneyu(
                    &x[..n1],
                    &y[..n2],
                    MannWhitneyUMethod::Exact,
                    Alternative::TwoSided,
                )
                .unwrap();
                let ours = mann_whitney(&x[..n1], &y[..n2]).unwrap();
                assert_close(ours.p_value, p, 1e-12);
            }
        }
    }

    #[test]
    fn mann_whitney_all_identical() {
        // No variation: U = n1 n2 / 2 and p = 1 (scipy: [1, 1] vs [1, 1, 1] gives 1.0).
        let r = mann_whitney(&[1.0, 1.0], &[1.0, 1.0, 1.0]).unwrap();
        assert_eq!(
            r,
            MannWhitney {
                u: 3.0,
                p_value: 1.0
            }
        );
    }

    #[test]
    fn mann_whitney_rejects_bad_input() {
        assert_eq!(mann_whitney(&[], &[1.0]), Err(StatsError::Empty));
        assert_eq!(mann_whitney(&[1.0], &[]), Err(StatsError::Empty));
        assert!(matches!(
            mann_whitney(&[1.0, f64::NAN], &[2.0]),
            Err(StatsError::NotFinite { index: 1, value }) if value.is_nan()
        ));
        assert_eq!(
            mann_whitney(&[1.0], &[2.0, f64::INFINITY]),
            Err(StatsError::NotFinite {
                index: 1,
                value: f64::INFINITY
            })
        );
    }

    #[test]
    fn holm_known_values() {
        // Sorted: 0.005*4 = 0.02, 0.01*3 = 0.03, 0.03*2 = 0.06, 0.04*1 = 0.04 -> running max
        // 0.06; back in input order [0.03, 0.06, 0.06, 0.02], as statsmodels
        // multipletests([0.01, 0.04, 0.03, 0.005], method="holm") returns.
        let adjusted = holm(&[0.01, 0.04, 0.03, 0.005]);
        for (a, e) in adjusted.iter().zip([0.03, 0.06, 0.06, 0.02]) {
            assert_close(*a, e, 1e-15);
        }
    }

    #[test]
    fn holm_caps_at_one_and_keeps_nan() {
        // 0.4*3 = 1.2 -> 1; 0.5*2 = 1.0; NaN stays NaN but counts as a third hypothesis.
        let adjusted = holm(&[0.5, f64::NAN, 0.4]);
        assert_eq!(adjusted[0], 1.0);
        assert!(adjusted[1].is_nan());
        assert_eq!(adjusted[2], 1.0);
        assert!(holm(&[]).is_empty());
    }

    #[test]
    fn cliffs_delta_extremes() {
        assert_eq!(cliffs_delta(&[1.0, 2.0, 3.0], &[4.0, 5.0, 6.0]), Ok(-1.0));
        assert_eq!(cliffs_delta(&[4.0, 5.0, 6.0], &[1.0, 2.0, 3.0]), Ok(1.0));
        assert_eq!(cliffs_delta(&[1.0, 2.0, 3.0], &[1.0, 2.0, 3.0]), Ok(0.0));
    }

    #[test]
    fn cliffs_delta_mixed_by_hand() {
        // a = [1, 2, 3], b = [2, 2, 4]: 1 < all three; 2 ties twice and is < 4; 3 > 2, > 2,
        // < 4. Greater 2, less 5 of 9 pairs: (2 - 5) / 9 = -1/3.
        let d = cliffs_delta(&[1.0, 2.0, 3.0], &[2.0, 2.0, 4.0]).unwrap();
        assert_close(d, -1.0 / 3.0, 1e-15);
    }

    #[test]
    fn cliffs_delta_agrees_with_u() {
        // delta = 2 U1 / (n1 n2) - 1; scipy's example has U1 = 17 of 20 pairs: 0.7.
        assert_close(cliffs_delta(&MALES, &FEMALES).unwrap(), 0.7, 1e-15);
    }

    #[test]
    fn cliffs_delta_rejects_bad_input() {
        assert_eq!(cliffs_delta(&[1.0], &[]), Err(StatsError::Empty));
        assert!(matches!(
            cliffs_delta(&[f64::NAN], &[1.0]),
            Err(StatsError::NotFinite { index: 0, .. })
        ));
    }

    #[test]
    fn delta_magnitude_thresholds() {
        // Romano et al. (2006) thresholds 0.147, 0.33, 0.474 on |d|.
        assert_eq!(delta_magnitude(0.0), "negligible");
        assert_eq!(delta_magnitude(-0.146), "negligible");
        assert_eq!(delta_magnitude(0.147), "small");
        assert_eq!(delta_magnitude(-0.329), "small");
        assert_eq!(delta_magnitude(0.33), "medium");
        assert_eq!(delta_magnitude(-0.473), "medium");
        assert_eq!(delta_magnitude(0.474), "large");
        assert_eq!(delta_magnitude(-1.0), "large");
        assert_eq!(delta_magnitude(f64::NAN), "undefined");
    }
}
