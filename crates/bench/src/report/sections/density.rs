//! Density: containers side by side through containerd, tasks per second and memory per
//! concurrency (`wasmfaas bench --density`).
use crate::analysis::Analysis;
use crate::density::{DensityRound, SAMPLE_EVERY, mib};
use crate::report::document::Section;

/// Per function, each container environment's tasks per second at each concurrency, against
/// the runc shim's native container at the same concurrency, and the memory of the shims and
/// their containers at the round's peak.
pub(crate) fn density(analysis: &Analysis) -> Option<Section> {
    let rounds = &analysis.density;
    if rounds.is_empty() {
        return None;
    }
    let mut section = Section::new("Density: containers side by side through containerd");
    section.paragraph(format!(
        "Each round starts a number of containers with `ctr run --rm` through the same containerd, K at a time (a new one as each ends) until all have run, each checked as in the cold runs. Tasks/s is containers over the round's time, first start to last end. Memory is the proportional set size (PSS: shared pages split among their sharers, so sums add up) of the shims serving the daemon and of every process under them (the containers; runc while it creates one), read every {} ms; the round's peak is the sample where both together were largest. The shims at the peak include those between containers: the next container's `shim start` and the last one's shim while it exits, so a round at K may show more than K. The private containerd itself is not counted.",
        SAMPLE_EVERY.as_millis()
    ));
    let mut functions: Vec<&str> = Vec::new();
    for round in rounds {
        if !functions.contains(&round.function.as_str()) {
            functions.push(&round.function);
        }
    }
    for function in functions {
        let of_function: Vec<&DensityRound> =
            rounds.iter().filter(|r| r.function == function).collect();
        // The runc shim's native container: what the shim is meant to beat.
        let baseline = of_function
            .iter()
            .map(|r| r.environment.as_str())
            .find(|e| e.starts_with("containerd/native"))
            .or_else(|| {
                of_function
                    .iter()
                    .map(|r| r.environment.as_str())
                    .find(|e| e.starts_with("containerd/"))
            });
        let ratio_header = baseline.map_or("× runc shim".to_owned(), |b| format!("× {b}"));
        let headers = vec![
            "environment".to_owned(),
            "K".to_owned(),
            "tasks".to_owned(),
            "tasks/s".to_owned(),
            ratio_header,
            "shims at peak (MiB, per shim)".to_owned(),
            "processes under them (MiB)".to_owned(),
        ];
        let table_rows = of_function
            .iter()
            .map(|round| {
                let against = baseline
                    .and_then(|b| {
                        of_function
                            .iter()
                            .rev()
                            .find(|r| r.environment == b && r.concurrency == round.concurrency)
                    })
                    .filter(|b| b.tasks_per_second > 0.0)
                    .map_or("-".to_owned(), |b| {
                        format!("{:.2}", round.tasks_per_second / b.tasks_per_second)
                    });
                let per_shim = if round.peak.shims > 0 {
                    mib(round.peak.shim_pss_kib) / round.peak.shims as f64
                } else {
                    0.0
                };
                vec![
                    round.environment.clone(),
                    round.concurrency.to_string(),
                    round.tasks.to_string(),
                    format!("{:.1}", round.tasks_per_second),
                    against,
                    format!(
                        "{} ({:.1}, {per_shim:.1})",
                        round.peak.shims,
                        mib(round.peak.shim_pss_kib)
                    ),
                    format!(
                        "{} ({:.1})",
                        round.peak.container_processes,
                        mib(round.peak.container_pss_kib)
                    ),
                ]
            })
            .collect();
        section.paragraph(format!("`{function}`:"));
        section.table(headers, table_rows);
    }
    Some(section)
}
