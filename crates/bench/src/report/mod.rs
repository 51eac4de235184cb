//! The report of a run set: a terminal summary, and in the run set's folder `report.md`,
//! `report.html` (self-contained), `samples.csv`, `summary.json` and SVG figures.
mod build;
pub mod document;
mod files;
mod sections;

pub use build::{build, terminal_summary};
pub use files::{ReportFiles, write};

/// Milliseconds, with precision that suits the magnitude.
pub(crate) fn ms(seconds: f64) -> String {
    let ms = seconds * 1e3;
    if !ms.is_finite() {
        "-".into()
    } else if ms >= 100.0 {
        format!("{ms:.0}")
    } else if ms >= 10.0 {
        format!("{ms:.1}")
    } else {
        format!("{ms:.2}")
    }
}

/// A p-value as tables show it.
pub(crate) fn p_value(p: f64) -> String {
    if !p.is_finite() {
        "-".into()
    } else if p < 1e-4 {
        format!("{p:.1e}")
    } else {
        format!("{p:.4}")
    }
}
