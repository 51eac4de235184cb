//! A container run's lifecycle under the `oci` launcher: create, start to exit, delete.

use crate::LifecycleNs;
use crate::analysis::Analysis;
use crate::report::document::Section;
use crate::report::ms;

/// Where a container run's time goes under the `oci` launcher: the runtime's create, start to
/// exit, and delete. For WebAssembly, wasmfaas-runtime loads or compiles the module at create,
/// so this is where create cost and start-to-exit cost are told apart.
pub(crate) fn lifecycle(analysis: &Analysis) -> Option<Section> {
    let cells: Vec<_> = analysis
        .cells
        .iter()
        .filter(|c| c.lifecycle_medians.is_some())
        .collect();
    if cells.is_empty() {
        return None;
    }
    let mut section = Section::new("Container lifecycle (oci launcher)");
    section.paragraph(
        "Median time of each step of a container run in milliseconds. create: the runtime's `create` (namespaces, cgroups, root filesystem; for WebAssembly, wasmfaas-runtime also reads and deserialises (aot) or compiles (jit, baseline, interp) the module there); start to exit: from `start` until the container's process is reaped (for WebAssembly: instantiating and running the module); delete: the runtime's `delete`. The three add up to the run's time.",
    );
    let mut headers = vec!["function".to_owned(), "environment".to_owned()];
    headers.extend(LifecycleNs::NAMES.iter().map(|n| n.to_string()));
    headers.push("create share".into());
    let mut rows = Vec::new();
    for function in &analysis.meta.plan.functions {
        for cell in cells.iter().filter(|c| &c.function == function) {
            let medians = cell.lifecycle_medians.expect("filtered above");
            let mut row = vec![function.clone(), cell.environment.engine_mode()];
            row.extend(medians.iter().map(|m| ms(*m)));
            let sum: f64 = medians.iter().sum();
            row.push(if sum > 0.0 {
                format!("{:.0}%", medians[0] / sum * 100.0)
            } else {
                "-".into()
            });
            rows.push(row);
        }
    }
    section.table(headers, rows);
    Some(section)
}
