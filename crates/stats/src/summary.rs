//! Descriptive statistics of one sample set.

use serde::{Deserialize, Serialize};
use statrs::distribution::{Binomial, DiscreteCDF};
use statrs::statistics::Statistics;

use crate::StatsError;
use crate::sample::{check, quantile_sorted, sorted};

/// Two-sided level of the median's confidence interval.
const MEDIAN_CI_LEVEL: f64 = 0.95;

/// Descriptive statistics of one sample set.
///
/// Quantiles (`median`, `q1`, `q3`, `p95`) use linear interpolation between order
/// statistics: numpy's default `percentile` method, R's `quantile` type 7.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Number of values.
    pub n: usize,
    /// Arithmetic mean.
    pub mean: f64,
    /// Median (50th percentile).
    pub median: f64,
    /// Sample standard deviation (divisor n - 1); 0 when n == 1.
    pub sd: f64,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
    /// First quartile (25th percentile).
    pub q1: f64,
    /// Third quartile (75th percentile).
    pub q3: f64,
    /// 95th percentile.
    pub p95: f64,
    /// Distribution-free confidence interval of the median, `(x(j), x(n-j+1))` from
    /// binomial order statistics, with `j` the largest rank whose exact coverage is
    /// still >= 95%. When n < 6 no pair of order statistics reaches 95%; the interval
    /// is then `(min, max)` and `median_ci_coverage` says how much it does cover.
    pub median_ci: (f64, f64),
    /// Exact coverage of `median_ci` for continuous data, e.g. 0.9785 for n = 10,
    /// 0.9375 for n = 5; below 0.95 only when n < 6.
    pub median_ci_coverage: f64,
    /// Tukey fences (q1 - 1.5 IQR, q3 + 1.5 IQR): values outside are outliers.
    pub outlier_fences: (f64, f64),
    /// Number of values outside `outlier_fences`; they are flagged, never dropped.
    pub outliers: usize,
}

impl Summary {
    /// Whether `value` lies outside the summary's fences (false for NaN).
    pub fn is_outlier(&self, value: f64) -> bool {
        value < self.outlier_fences.0 || value > self.outlier_fences.1
    }
}

/// Describes one sample: mean, sd, quantiles, median CI and Tukey outliers.
///
/// Fails on an empty sample or one holding NaN or an infinite value.
pub fn summarize(values: &[f64]) -> Result<Summary, StatsError> {
    check(values)?;
    let x = sorted(values);
    let n = x.len();
    let q1 = quantile_sorted(&x, 0.25);
    let q3 = quantile_sorted(&x, 0.75);
    let iqr = q3 - q1;
    let outlier_fences = (q1 - 1.5 * iqr, q3 + 1.5 * iqr);
    let outliers = x
        .iter()
        .filter(|&&v| v < outlier_fences.0 || v > outlier_fences.1)
        .count();
    let (j, median_ci_coverage) = median_ci_rank(n);
    Ok(Summary {
        n,
        mean: values.iter().mean(),
        median: quantile_sorted(&x, 0.5),
        // statrs returns NaN for the sample variance of a single value.
        sd: if n > 1 { values.iter().std_dev() } else { 0.0 },
        min: x[0],
        max: x[n - 1],
        q1,
        q3,
        p95: quantile_sorted(&x, 0.95),
        median_ci: (x[j - 1], x[n - j]),
        median_ci_coverage,
        outlier_fences,
        outliers,
    })
}

/// Lower rank `j` (1-based) of the median's distribution-free CI `(x(j), x(n-j+1))`
/// for `n >= 1` values, and its exact coverage.
///
/// The number of values below the true median is Binomial(n, 1/2), so the interval
/// misses the median with probability 2 P(B <= j-1). We take the largest `j` with
/// P(B <= j-1) <= 2.5% (the tables in Conover, *Practical Nonparametric Statistics*),
/// falling back to j = 1, i.e. (min, max), when even that misses more often.
fn median_ci_rank(n: usize) -> (usize, f64) {
    let binomial = Binomial::new(0.5, n as u64).expect("0.5 is a valid probability");
    let tail = |j: usize| binomial.cdf(j as u64 - 1);
    let alpha_half = (1.0 - MEDIAN_CI_LEVEL) / 2.0;
    // tail(j) grows with j, and tail(n/2 + 1) >= 1/2, so binary search for the last
    // j that keeps the tail within alpha/2; j = 1 is accepted unconditionally.
    let (mut lo, mut hi) = (1, n / 2 + 1);
    while lo < hi {
        let mid = lo + (hi - lo).div_ceil(2);
        if tail(mid) <= alpha_half {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    (lo, 1.0 - 2.0 * tail(lo))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::assert_close;

    #[test]
    fn one_to_ten() {
        // 1..=10, shuffled to check that the input order does not matter.
        let s = summarize(&[7.0, 2.0, 10.0, 5.0, 1.0, 9.0, 3.0, 8.0, 4.0, 6.0]).unwrap();
        assert_eq!(s.n, 10);
        assert_eq!((s.min, s.max), (1.0, 10.0));
        assert_close(s.mean, 5.5, 1e-15);
        // Sum of squared deviations 82.5, / 9 = 9.1667, sqrt = 3.0276503540974917.
        assert_close(s.sd, 3.0276503540974917, 1e-14);
        // numpy.percentile (linear): h = 9p; x[h] interpolated, 0-based.
        // median h = 4.5 -> 5.5; q1 h = 2.25 -> 3.25; q3 h = 6.75 -> 7.75; p95 h = 8.55 -> 9.55.
        assert_close(s.median, 5.5, 1e-15);
        assert_close(s.q1, 3.25, 1e-15);
        assert_close(s.q3, 7.75, 1e-15);
        assert_close(s.p95, 9.55, 1e-14);
        // n = 10: P(B <= 1) = 11/1024 <= 2.5% < P(B <= 2) = 56/1024 for B ~ Bin(10, 1/2),
        // so the CI is (x(2), x(9)) with coverage 1 - 22/1024 = 0.978515625.
        assert_eq!(s.median_ci, (2.0, 9.0));
        assert_close(s.median_ci_coverage, 0.978515625, 1e-12);
        // IQR 4.5: fences 3.25 - 6.75 = -3.5 and 7.75 + 6.75 = 14.5.
        assert_close(s.outlier_fences.0, -3.5, 1e-14);
        assert_close(s.outlier_fences.1, 14.5, 1e-14);
        assert_eq!(s.outliers, 0);
    }

    #[test]
    fn planted_outlier_is_flagged_not_dropped() {
        // 1..=9 and 100: the quartiles and fences (-3.5, 14.5) are those of 1..=10, but
        // p95 = 9 + 0.55 * (100 - 9) = 59.05 and the mean includes the outlier.
        let s = summarize(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 100.0]).unwrap();
        assert_eq!(s.outliers, 1);
        assert_eq!(s.max, 100.0);
        assert_close(s.mean, 14.5, 1e-14);
        assert_close(s.p95, 59.05, 1e-12);
        assert!(s.is_outlier(100.0));
        assert!(s.is_outlier(-4.0));
        assert!(!s.is_outlier(9.0));
        assert!(!s.is_outlier(f64::NAN));
    }

    #[test]
    fn median_ci_for_n_100() {
        // Conover's table for n = 100: (x(40), x(61)). Exactly, P(B <= 39) =
        // sum_{k<=39} C(100, k) / 2^100 = 0.017600100108852407 <= 2.5% < P(B <= 40) = 0.0284,
        // so the coverage is 1 - 2 * 0.0176001 = 0.9647997997822951.
        let values: Vec<f64> = (1..=100).map(|i| f64::from((i * 37) % 101)).collect();
        let s = summarize(&values).unwrap();
        assert_eq!(s.median_ci, (40.0, 61.0));
        assert_close(s.median_ci_coverage, 0.9647997997822951, 1e-9);
    }

    #[test]
    fn median_ci_ranks() {
        // Exact binomial tails: n = 20 -> j = 6 (P(B <= 5) = 0.0207, P(B <= 6) = 0.0577);
        // n = 6 -> j = 1 (P(B <= 0) = 1/64); n = 5 -> j = 1 although P(B <= 0) = 1/32 > 2.5%.
        let (j, coverage) = median_ci_rank(20);
        assert_eq!(j, 6);
        assert_close(coverage, 0.9586105346679688, 1e-9);
        for (n, coverage) in [(6, 0.96875), (5, 0.9375), (1, 0.0)] {
            let (j, c) = median_ci_rank(n);
            assert_eq!(j, 1);
            assert_close(c, coverage, 1e-12);
        }
    }

    #[test]
    fn small_samples_fall_back_to_min_max() {
        let s = summarize(&[3.0, 1.0, 2.0, 5.0, 4.0]).unwrap();
        assert_eq!(s.median_ci, (1.0, 5.0));
        assert_close(s.median_ci_coverage, 0.9375, 1e-12);

        let s = summarize(&[4.2]).unwrap();
        assert_eq!(s.sd, 0.0);
        assert_eq!((s.median, s.q1, s.q3, s.p95), (4.2, 4.2, 4.2, 4.2));
        assert_eq!(s.median_ci, (4.2, 4.2));
        assert_eq!(s.outliers, 0);
    }

    #[test]
    fn rejects_bad_input() {
        assert_eq!(summarize(&[]), Err(StatsError::Empty));
        assert!(matches!(
            summarize(&[1.0, 2.0, f64::NAN]),
            Err(StatsError::NotFinite { index: 2, value }) if value.is_nan()
        ));
        assert_eq!(
            summarize(&[f64::NEG_INFINITY]),
            Err(StatsError::NotFinite {
                index: 0,
                value: f64::NEG_INFINITY
            })
        );
    }
}
