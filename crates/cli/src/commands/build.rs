//! `wasmfaas build`: compile the suite for both targets, precompile, generate inputs, show sizes;
//! with `--manifest`, also build the user's functions and precompile their modules.
use std::process::ExitCode;

use anyhow::Result;
use wasmfaas_suite::Size;
use wasmfaas_suite::build::{ArtifactSizes, build_all};

use super::{ManifestArgs, ProjectArgs};

/// Arguments of `wasmfaas build`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Sizes whose inputs to generate (repeat or comma-separate) [default: small, paper]
    #[arg(long, value_delimiter = ',')]
    size: Vec<Size>,
    #[command(flatten)]
    manifest: ManifestArgs,
    /// Where the AOT artifacts of a manifest's modules are cached [default: $WASMFAAS_CACHE or ~/.cache/wasmfaas]
    #[arg(long, value_name = "DIR")]
    cache_dir: Option<std::path::PathBuf>,
    #[command(flatten)]
    project: ProjectArgs,
}

/// Runs `wasmfaas build`.
pub fn run(args: Args) -> Result<ExitCode> {
    let layout = args.project.layout();
    let sizes = if args.size.is_empty() {
        vec![Size::Small, Size::Paper]
    } else {
        args.size
    };
    let started = std::time::Instant::now();
    // The manifest first: a bad one stops the build before the suite's minutes of compiling.
    let catalog = args.manifest.catalog()?;
    let engines = wasmfaas_engines::aot_engines();
    let mut table = build_all(&layout, &engines, &sizes, &mut super::notice)?;
    let cache = wasmfaas_engines::AotCache::new(
        args.cache_dir
            .clone()
            .unwrap_or_else(wasmfaas_engines::AotCache::default_root),
    );
    for function in catalog.user() {
        let user = function
            .user
            .expect("a catalog's user functions have a manifest entry");
        table.push(
            user.precompile(function.name, &engines, &cache)
                .map_err(anyhow::Error::msg)?,
        );
    }
    print_sizes(&table);
    if let Some(manifest) = catalog.manifest() {
        eprintln!(
            "the functions of {}: built by their commands, AOT artifacts in {}",
            manifest.file.display(),
            cache.root().display()
        );
    }
    eprintln!(
        "built {} functions in {:.1} s into {}; inputs: {}",
        table.len(),
        started.elapsed().as_secs_f64(),
        layout.artifacts.display(),
        sizes
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(ExitCode::SUCCESS)
}

fn print_sizes(table: &[ArtifactSizes]) {
    let engines: Vec<&str> = table
        .first()
        .map(|row| row.aot.iter().map(|(e, _)| *e).collect())
        .unwrap_or_default();
    let mut header = format!("{:<18} {:>12}", "function", "wasm");
    for engine in &engines {
        header.push_str(&format!(" {:>14}", format!("aot/{engine}")));
    }
    header.push_str(&format!(" {:>12} {:>14}", "native", "native-static"));
    println!("{header}");
    for row in table {
        let mut line = format!("{:<18} {:>12}", row.function, human(row.wasm));
        for (_, bytes) in &row.aot {
            line.push_str(&format!(" {:>14}", human(*bytes)));
        }
        line.push_str(&format!(
            " {:>12} {:>14}",
            human(row.native),
            human(row.native_static)
        ));
        println!("{line}");
    }
}

/// Bytes in KiB/MiB with one decimal, as a size table wants them.
pub fn human(bytes: u64) -> String {
    match bytes {
        0 => "-".into(),
        b if b < 1 << 20 => format!("{:.1} KiB", b as f64 / 1024.0),
        b => format!("{:.1} MiB", b as f64 / (1 << 20) as f64),
    }
}
