//! Statistics of benchmark samples: descriptive summaries, the Mann–Whitney U test,
//! Holm–Bonferroni correction, Cliff's delta and ratios of medians and means.
//!
//! Every function takes samples of durations as `f64` in any unit and rejects empty
//! input and NaN or infinite values with a [`StatsError`] instead of panicking.

mod compare;
mod error;
mod ratio;
mod sample;
mod summary;

pub use compare::{MannWhitney, cliffs_delta, delta_magnitude, holm, mann_whitney};
pub use error::StatsError;
pub use ratio::{Ratio, ratio_of_means, ratio_of_medians};
pub use summary::{Summary, summarize};

#[cfg(test)]
mod testing {
    /// Asserts `actual` is within `tol` of `expected` (values published with limited digits).
    pub fn assert_close(actual: f64, expected: f64, tol: f64) {
        assert!(
            (actual - expected).abs() <= tol,
            "{actual} differs from {expected} by more than {tol}"
        );
    }
}
