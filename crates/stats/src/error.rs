//! The error type shared by every statistic.

/// Why a statistic cannot be computed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StatsError {
    /// A sample has no values.
    #[error("no samples: a statistic needs at least one value")]
    Empty,
    /// A sample holds NaN or an infinite value; `index` is its position in that sample.
    #[error("value {value} at index {index} is not finite (NaN or infinite)")]
    NotFinite {
        /// Position of the offending value within its sample.
        index: usize,
        /// The offending value.
        value: f64,
    },
    /// A ratio's denominator (the second sample's median or mean) is zero.
    #[error(
        "zero denominator: the second sample's median or mean is zero, so the ratio is undefined"
    )]
    ZeroDenominator,
    /// An argument other than the samples is out of range.
    #[error("invalid argument: {0}")]
    InvalidArgument(&'static str),
    /// statrs rejected input that this crate had already validated.
    #[error("statrs: {0}")]
    Backend(String),
}
