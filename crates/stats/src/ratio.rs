//! Ratios between two samples: of medians (bootstrap CI) and of means (hyperfine's).

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::sample::{check, median_in_place, quantile_sorted, sorted};
use crate::{StatsError, Summary};

/// A ratio with a 95% confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Ratio {
    /// Point estimate.
    pub value: f64,
    /// 95% confidence interval (lower, upper).
    pub ci: (f64, f64),
}

/// Ratio of medians a/b with a 95% percentile-bootstrap CI.
///
/// Each of the `resamples` bootstrap rounds draws `a.len()` values from `a` and then
/// `b.len()` values from `b` with replacement (the samples are independent runs, so
/// they are resampled independently), using a ChaCha8 RNG seeded with `seed` so that
/// a report can be reproduced. The CI is the 2.5th and 97.5th percentiles (linear
/// interpolation) of the bootstrap ratios.
///
/// Fails when a sample is empty or not finite, when `resamples` is 0, or with
/// [`StatsError::ZeroDenominator`] when the median of `b`, or that of any
/// resample of it, is zero (then the interval is undefined).
pub fn ratio_of_medians(
    a: &[f64],
    b: &[f64],
    resamples: usize,
    seed: u64,
) -> Result<Ratio, StatsError> {
    check(a)?;
    check(b)?;
    if resamples == 0 {
        return Err(StatsError::InvalidArgument(
            "resamples must be at least 1 for a bootstrap interval",
        ));
    }
    let value = quantile_sorted(&sorted(a), 0.5) / nonzero(quantile_sorted(&sorted(b), 0.5))?;

    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut buf_a = vec![0.0; a.len()];
    let mut buf_b = vec![0.0; b.len()];
    let mut ratios = Vec::with_capacity(resamples);
    for _ in 0..resamples {
        resample(a, &mut buf_a, &mut rng);
        resample(b, &mut buf_b, &mut rng);
        let denominator = nonzero(median_in_place(&mut buf_b))?;
        ratios.push(median_in_place(&mut buf_a) / denominator);
    }
    ratios.sort_unstable_by(f64::total_cmp);
    Ok(Ratio {
        value,
        ci: (
            quantile_sorted(&ratios, 0.025),
            quantile_sorted(&ratios, 0.975),
        ),
    })
}

/// Fills `out` with values drawn from `from` with replacement.
fn resample(from: &[f64], out: &mut [f64], rng: &mut ChaCha8Rng) {
    for slot in out.iter_mut() {
        *slot = from[rng.random_range(0..from.len())];
    }
}

/// Passes a denominator through unless it is zero.
fn nonzero(denominator: f64) -> Result<f64, StatsError> {
    if denominator == 0.0 {
        Err(StatsError::ZeroDenominator)
    } else {
        Ok(denominator)
    }
}

/// Hyperfine's relative speed: the ratio of means a/b and its standard deviation by
/// error propagation for independent samples, r * sqrt((sd_a/mean_a)^2 + (sd_b/mean_b)^2).
///
/// Returns `(ratio, sd)`. Computed as sqrt(sd_a^2 + r^2 sd_b^2) / |mean_b|, the same
/// quantity (taken non-negative) that stays defined when mean_a is 0.
/// Fails with [`StatsError::ZeroDenominator`] when the mean of `b` is zero.
pub fn ratio_of_means(a: &Summary, b: &Summary) -> Result<(f64, f64), StatsError> {
    let mean_b = nonzero(b.mean)?;
    let ratio = a.mean / mean_b;
    let sd = a.sd.hypot(ratio * b.sd) / mean_b.abs();
    Ok((ratio, sd))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::summarize;
    use crate::testing::assert_close;

    fn spread() -> Vec<f64> {
        (0..40).map(|i| 100.0 + f64::from((i * 17) % 40)).collect()
    }

    #[test]
    fn bootstrap_is_reproducible_for_a_seed() {
        let b = spread();
        let a: Vec<f64> = b.iter().map(|x| x * 1.3 + 5.0).collect();
        let first = ratio_of_medians(&a, &b, 2000, 42).unwrap();
        assert_eq!(first, ratio_of_medians(&a, &b, 2000, 42).unwrap());
        assert_ne!(first.ci, ratio_of_medians(&a, &b, 2000, 43).unwrap().ci);
        assert!(first.ci.0 <= first.value && first.value <= first.ci.1);
        assert!(first.ci.0 < first.ci.1);
    }

    #[test]
    fn exact_doubling() {
        // Constant samples: every resample has medians 20 and 10, so the CI is (2, 2).
        let r = ratio_of_medians(&[20.0; 30], &[10.0; 30], 500, 1).unwrap();
        assert_eq!(
            r,
            Ratio {
                value: 2.0,
                ci: (2.0, 2.0)
            }
        );

        // With spread, a = 2b gives exactly 2 (doubling is exact in floating point), but
        // a and b are resampled independently, so the CI only brackets 2.
        let b = spread();
        let a: Vec<f64> = b.iter().map(|x| 2.0 * x).collect();
        let r = ratio_of_medians(&a, &b, 2000, 7).unwrap();
        assert_eq!(r.value, 2.0);
        assert!(r.ci.0 < 2.0 && 2.0 < r.ci.1, "{:?}", r.ci);
        assert!(r.ci.0 > 1.5 && r.ci.1 < 2.5, "{:?}", r.ci);
    }

    #[test]
    fn ratio_of_medians_rejects_bad_input() {
        assert_eq!(
            ratio_of_medians(&[1.0], &[0.0, 0.0, 1.0], 100, 0),
            Err(StatsError::ZeroDenominator)
        );
        // The median of b is 1, but some resamples of [0, 1] have median 0.
        assert_eq!(
            ratio_of_medians(&[1.0], &[0.0, 2.0], 100, 0),
            Err(StatsError::ZeroDenominator)
        );
        assert!(matches!(
            ratio_of_medians(&[1.0], &[1.0], 0, 0),
            Err(StatsError::InvalidArgument(_))
        ));
        assert_eq!(ratio_of_medians(&[], &[1.0], 10, 0), Err(StatsError::Empty));
        assert!(matches!(
            ratio_of_medians(&[1.0], &[1.0, f64::NAN], 10, 0),
            Err(StatsError::NotFinite { index: 1, .. })
        ));
    }

    #[test]
    fn ratio_of_means_by_error_propagation() {
        // a: mean 10, sd 1; b: mean 5, sd 0.5. Hyperfine: r = 2,
        // sd = 2 * sqrt(0.1^2 + 0.1^2) = 0.282842712474619.
        let a = summarize(&[9.0, 10.0, 11.0]).unwrap();
        let b = summarize(&[4.5, 5.0, 5.5]).unwrap();
        let (r, sd) = ratio_of_means(&a, &b).unwrap();
        assert_close(r, 2.0, 1e-15);
        assert_close(sd, 0.282842712474619, 1e-12);
    }

    #[test]
    fn ratio_of_means_zero_denominator() {
        let a = summarize(&[1.0, 2.0]).unwrap();
        let b = summarize(&[-1.0, 1.0]).unwrap();
        assert_eq!(ratio_of_means(&a, &b), Err(StatsError::ZeroDenominator));
    }
}
