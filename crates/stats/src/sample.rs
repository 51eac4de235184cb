//! Validation and order statistics shared by the other modules.

use crate::StatsError;

/// Rejects an empty sample or one holding NaN or an infinite value.
pub(crate) fn check(values: &[f64]) -> Result<(), StatsError> {
    if values.is_empty() {
        return Err(StatsError::Empty);
    }
    match values.iter().position(|v| !v.is_finite()) {
        Some(index) => Err(StatsError::NotFinite {
            index,
            value: values[index],
        }),
        None => Ok(()),
    }
}

/// A sorted copy of an already checked sample.
pub(crate) fn sorted(values: &[f64]) -> Vec<f64> {
    let mut v = values.to_vec();
    // Finite values only, so the total order agrees with the numeric one
    // (apart from -0.0 < 0.0, which no statistic here depends on).
    v.sort_unstable_by(f64::total_cmp);
    v
}

/// Quantile `p` in [0, 1] of a sorted, non-empty sample by linear interpolation
/// between order statistics: numpy's default method, R's type 7.
///
/// Written here rather than taken from statrs because statrs's `quantile` is R type 8,
/// which gives different quartiles for small samples than numpy and hyperfine report.
pub(crate) fn quantile_sorted(sorted: &[f64], p: f64) -> f64 {
    let Some(last) = sorted.len().checked_sub(1) else {
        return f64::NAN;
    };
    let h = last as f64 * p.clamp(0.0, 1.0);
    let lo = (h.floor() as usize).min(last);
    let hi = (lo + 1).min(last);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// Median of a non-empty buffer, reordering it; equal to `quantile_sorted(.., 0.5)`
/// on the sorted buffer, but O(n) so that bootstrap resampling stays cheap.
pub(crate) fn median_in_place(buf: &mut [f64]) -> f64 {
    let n = buf.len();
    if n == 0 {
        return f64::NAN;
    }
    let k = n / 2;
    let (left, upper, _) = buf.select_nth_unstable_by(k, f64::total_cmp);
    let upper = *upper;
    if n % 2 == 1 {
        return upper;
    }
    // Even length: the lower middle value is the largest one left of position k.
    let lower = left.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    lower + 0.5 * (upper - lower)
}
