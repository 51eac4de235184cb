//! The serving benchmark: each executor's requests per second, latency and overhead under load.
use crate::analysis::Analysis;
use crate::report::document::Section;
use crate::serving::ServingRow;

/// Requests per second, p50/p99 and the gateway's overhead per executor, function and
/// concurrency, and how many times native's throughput each executor reaches.
pub(crate) fn serving(analysis: &Analysis) -> Option<Section> {
    let rows = &analysis.serving;
    if rows.is_empty() {
        return None;
    }
    let mut section = Section::new("Serving: a fresh instance per HTTP request");
    section.paragraph(
        "`wasmfaas serve` of the suite, one server per executor on loopback, each request in a fresh instance (wasmtime: a pooled instance from a module linked once; wasmer, wasmi: a fresh instance of a module loaded once; native: a process per request; container/…: `wasmfaas serve --container`, a fresh container per request through containerd and wasmfaas's shim, `ctr run --rm` of the function's image with the body on its stdin: the native binary on its distroless base, or the wasmtime AOT artifact). Load from `hey` for a fixed time per concurrency, after 20 warming requests. Overhead is the gateway's own mean cost per request, from the request's slot granted to its instance ready. The load generator runs on the same machine and shares its cores. A served WebAssembly guest has a deadline, so wasmtime compiles its epoch checks and wasmi meters fuel: loop-heavy functions run slower than in the cold-start runs (wasmtime's matmul about 2-4x here).",
    );
    let mut functions: Vec<&str> = Vec::new();
    let mut concurrencies: Vec<u32> = Vec::new();
    let mut executors: Vec<&str> = Vec::new();
    for row in rows {
        push_new(&mut functions, row.function.as_str());
        push_new(&mut concurrencies, row.concurrency);
        push_new(&mut executors, row.executor.as_str());
    }
    let find = |executor: &str, function: &str, c: u32| {
        rows.iter()
            .rev()
            .find(|r| r.executor == executor && r.function == function && r.concurrency == c)
    };
    for function in &functions {
        let mut headers = vec!["executor".to_owned()];
        for c in &concurrencies {
            headers.push(format!("c={c} req/s"));
            headers.push(format!("c={c} p50/p99 ms"));
        }
        headers.push(format!("overhead µs (c={})", concurrencies[0]));
        headers.push("× native (req/s)".into());
        let table_rows = executors
            .iter()
            .filter(|e| {
                concurrencies
                    .iter()
                    .any(|c| find(e, function, *c).is_some())
            })
            .map(|executor| {
                let mut cells = vec![(*executor).to_owned()];
                for c in &concurrencies {
                    match find(executor, function, *c) {
                        Some(row) => {
                            cells.push(rate(row));
                            cells.push(format!("{} / {}", millis(row.p50_ms), millis(row.p99_ms)));
                        }
                        None => cells.extend(["-".to_owned(), "-".to_owned()]),
                    }
                }
                cells.push(
                    find(executor, function, concurrencies[0])
                        .and_then(|r| r.overhead_us)
                        .map_or("-".into(), |us| format!("{us:.1}")),
                );
                let ratios: Vec<String> = concurrencies
                    .iter()
                    .map(
                        |c| match (find(executor, function, *c), find("native", function, *c)) {
                            (Some(mine), Some(native)) if native.requests_per_second > 0.0 => {
                                format!(
                                    "{:.1}",
                                    mine.requests_per_second / native.requests_per_second
                                )
                            }
                            _ => "-".into(),
                        },
                    )
                    .collect();
                cells.push(ratios.join(" / "));
                cells
            })
            .collect();
        section.paragraph(format!("`{function}`:"));
        section.table(headers, table_rows);
    }
    let refused: u64 = rows.iter().map(|r| r.rejected + r.errors).sum();
    if refused > 0 {
        section.paragraph(format!(
            "{refused} request(s) were refused (503) or failed; a rate with `!` includes some (req/s counts responses of any status)."
        ));
    }
    let fresh_instance = "wasmtime-aot";
    let container = "container/native";
    if executors.contains(&container) {
        let each: Vec<String> = functions
            .iter()
            .filter_map(|function| {
                let ratios: Vec<String> = concurrencies
                    .iter()
                    .map(|c| {
                        match (
                            find(fresh_instance, function, *c),
                            find(container, function, *c),
                        ) {
                            (Some(instance), Some(cold)) if cold.requests_per_second > 0.0 => {
                                format!(
                                    "{:.0}×",
                                    instance.requests_per_second / cold.requests_per_second
                                )
                            }
                            _ => "-".into(),
                        }
                    })
                    .collect();
                ratios
                    .iter()
                    .any(|r| r != "-")
                    .then(|| format!("`{function}` {}", ratios.join(" / ")))
            })
            .collect();
        let at: Vec<String> = concurrencies.iter().map(|c| format!("c={c}")).collect();
        section.paragraph(format!(
            "A fresh WebAssembly instance ({fresh_instance}) against a fresh native container per request ({container}), requests per second at {}: {}.",
            at.join(" / "),
            each.join("; ")
        ));
    } else {
        section.paragraph(
            "Not measured: a container per request (`wasmfaas serve --container` needs root and containerd; the bench adds it as root where containerd is installed).",
        );
    }
    Some(section)
}

fn rate(row: &ServingRow) -> String {
    let mark = if row.rejected + row.errors > 0 {
        "!"
    } else {
        ""
    };
    format!("{:.0}{mark}", row.requests_per_second)
}

/// A latency, or `-` where hey had too few responses to give that percentile.
fn millis(ms: f64) -> String {
    if ms.is_finite() {
        format!("{ms:.2}")
    } else {
        "-".into()
    }
}

fn push_new<T: PartialEq>(list: &mut Vec<T>, item: T) {
    if !list.contains(&item) {
        list.push(item);
    }
}
