//! The report's sections, one file each; `build.rs` puts them in order.
pub(crate) mod beside_paper;
pub(crate) mod claims;
pub(crate) mod comparison;
pub(crate) mod compute_ratio;
pub(crate) mod density;
pub(crate) mod failures;
pub(crate) mod image_sizes;
pub(crate) mod lifecycle;
pub(crate) mod medians;
pub(crate) mod method;
pub(crate) mod overview;
pub(crate) mod pairwise;
pub(crate) mod phases;
pub(crate) mod serving;
pub(crate) mod speedups;

use crate::analysis::Analysis;
use crate::{Environment, LauncherKind};

/// The environments of the plan under `launcher`, in the plan's order.
pub(crate) fn environments_of(analysis: &Analysis, launcher: LauncherKind) -> Vec<&Environment> {
    analysis
        .meta
        .plan
        .environments
        .iter()
        .filter(|e| e.launcher == launcher)
        .collect()
}
