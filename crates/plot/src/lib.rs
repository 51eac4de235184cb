//! The report charts as SVG.
//!
//! Every chart is returned as one self-contained SVG document (no external fonts, CSS or
//! scripts; text uses the generic `sans-serif` family), fit to be written to a file and inlined
//! into an HTML page. Series colours come from a fixed, colour-blind-friendly palette (Tableau 10,
//! then the light Tableau 20 tones): inside one chart, a series or segment name always gets the
//! same colour, assigned in order of first appearance.
#![warn(missing_docs)]

mod bars;
mod canvas;
mod scale;
mod stacks;
#[cfg(test)]
mod tests;

pub use stacks::segment_extents;

/// Why a chart could not be drawn.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PlotError {
    /// There is nothing to draw (no groups, no bars, no stacks, no panels...).
    #[error("nothing to plot: {0}")]
    Empty(String),
    /// A value is NaN or infinite.
    #[error("{what} is not a finite number ({value})")]
    NonFinite {
        /// Which value.
        what: String,
        /// The offending value.
        value: f64,
    },
    /// A value is zero or negative on a logarithmic axis.
    #[error("{what} is {value}, but a log scale needs values > 0")]
    NonPositiveOnLogScale {
        /// Which value.
        what: String,
        /// The offending value.
        value: f64,
    },
    /// A stacked segment is negative.
    #[error("{what} is {value}, but stacked segments cannot be negative")]
    Negative {
        /// Which segment.
        what: String,
        /// The offending value.
        value: f64,
    },
    /// An error interval whose low end is above its high end.
    #[error("{what}: error interval low {low} is above high {high}")]
    InvalidInterval {
        /// Which bar.
        what: String,
        /// The interval's low end.
        low: f64,
        /// The interval's high end.
        high: f64,
    },
    /// The same series appears twice in one group.
    #[error("series {series:?} appears more than once in group {group:?}")]
    DuplicateSeries {
        /// The group's label.
        group: String,
        /// The repeated series.
        series: String,
    },
    /// A layout option is out of range (e.g. zero columns).
    #[error("invalid option: {0}")]
    InvalidOption(String),
    /// plotters failed to draw.
    #[error("drawing failed: {0}")]
    Drawing(String),
}

/// One bar: a value with an optional error interval (e.g. a 95% CI of the median).
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    /// The series (e.g. environment) the bar belongs to; picks the colour and legend entry.
    pub series: String,
    /// The bar's height.
    pub value: f64,
    /// Low end of the error interval, if any.
    pub low: Option<f64>,
    /// High end of the error interval, if any.
    pub high: Option<f64>,
}

impl Bar {
    /// A bar without an error interval.
    pub fn new(series: impl Into<String>, value: f64) -> Self {
        Bar {
            series: series.into(),
            value,
            low: None,
            high: None,
        }
    }

    /// The same bar with the error interval `low..=high`.
    pub fn with_interval(mut self, low: f64, high: f64) -> Self {
        self.low = Some(low);
        self.high = Some(high);
        self
    }
}

/// A group of bars on the category axis (e.g. one function, bars = environments).
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// The category label drawn under the group.
    pub label: String,
    /// The group's bars, at most one per series.
    pub bars: Vec<Bar>,
}

impl Group {
    /// A group with the given label and bars.
    pub fn new(label: impl Into<String>, bars: Vec<Bar>) -> Self {
        Group {
            label: label.into(),
            bars,
        }
    }
}

/// Chart options of [`grouped_bars`].
#[derive(Debug, Clone, PartialEq)]
pub struct BarChart {
    /// Title drawn on top (left out when empty).
    pub title: String,
    /// Label of the value axis, e.g. "median time (ms)".
    pub value_label: String,
    /// Log10 value axis instead of a linear one (every value and interval end must be > 0).
    pub log_scale: bool,
    /// The groups, left to right.
    pub groups: Vec<Group>,
}

/// Grouped vertical bars with error whiskers.
///
/// Groups run along x, one bar per series inside each group; every group has one slot per
/// series (in order of first appearance), so a series missing in a group leaves a gap and keeps
/// its position and colour. The y axis is linear (from zero) or log10 (whole decades). Group
/// labels are drawn horizontally when they fit and vertically otherwise. The width grows with
/// the number of bar slots (14 px each, at least 800 px); the legend sits above the plot.
pub fn grouped_bars(chart: &BarChart) -> Result<String, PlotError> {
    bars::grouped_bars(chart)
}

/// One stacked bar: segments in order (e.g. load, compile, instantiate, execute).
#[derive(Debug, Clone, PartialEq)]
pub struct Stack {
    /// The row label.
    pub label: String,
    /// `(segment name, value)` pairs, drawn left to right; values must be finite and >= 0.
    pub segments: Vec<(String, f64)>,
}

impl Stack {
    /// A stack with the given label and segments.
    pub fn new<S: Into<String>>(label: impl Into<String>, segments: Vec<(S, f64)>) -> Self {
        Stack {
            label: label.into(),
            segments: segments.into_iter().map(|(n, v)| (n.into(), v)).collect(),
        }
    }
}

/// Options of a horizontal stacked-bar chart (rows = stacks).
#[derive(Debug, Clone, PartialEq)]
pub struct StackChart {
    /// Title: drawn on top by [`stacked_bars`], the panel title in [`stacked_panels`].
    pub title: String,
    /// Label of the value axis, e.g. "time (ms)" or "share of time".
    pub value_label: String,
    /// Show each row normalised to 100% (the share of each segment) instead of absolute values.
    pub normalised: bool,
    /// The rows, top to bottom.
    pub stacks: Vec<Stack>,
}

/// Horizontal stacked bars (rows = stacks), with a legend of the segment names above the plot.
pub fn stacked_bars(chart: &StackChart) -> Result<String, PlotError> {
    stacks::stacked_bars(chart)
}

/// Several stack charts laid out as small multiples in one SVG, `columns` panels per row.
///
/// Each panel has its own title and value scale (absolute panels are scaled to their own
/// largest total); segment colours and the legend on top are shared by all panels.
pub fn stacked_panels(
    title: &str,
    panels: &[StackChart],
    columns: usize,
) -> Result<String, PlotError> {
    stacks::stacked_panels(title, panels, columns)
}
