//! `wasmfaas images`: the suite's OCI images in one layout, and their sizes.
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use wasmfaas_oci::{Images, Variant};
use wasmfaas_suite::build::{NativeBuild, build_all};

use super::ProjectArgs;
use super::build::human;

/// Arguments of `wasmfaas images`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  wasmfaas images
  skopeo inspect oci:artifacts/images:matmul-wasm
  umoci unpack --rootless --image artifacts/images:matmul-native-distroless bundle")]
pub struct Args {
    /// The OCI image layout to write [default: artifacts/images in the project]
    #[arg(long, value_name = "DIR")]
    output: Option<PathBuf>,
    /// Functions, comma-separated globs (e.g. matmul,n-*) [default: the paper's 13]
    #[arg(long, value_delimiter = ',')]
    functions: Vec<String>,
    #[command(flatten)]
    project: ProjectArgs,
}

/// Runs `wasmfaas images`.
pub fn run(args: Args) -> Result<ExitCode> {
    let layout = args.project.layout();
    let functions: Vec<&'static wasmfaas_suite::Function> =
        super::select_functions(&args.functions, &wasmfaas_suite::Catalog::suite())?
            .iter()
            .map(|name| wasmfaas_suite::find(name).map_err(anyhow::Error::msg))
            .collect::<Result<_>>()?;
    let engines = wasmfaas_engines::aot_engines();
    build_all(&layout, &engines, &[], &mut super::notice)
        .context("bringing the suite up to date")?;
    let path = args
        .output
        .unwrap_or_else(|| layout.artifacts.join("images"));
    // The Debian base is the project's, wherever the layout goes: debootstrap runs once.
    let images = Images::open(&path)?.with_base_cache(&layout.artifacts.join("bases"));
    let mut variants = vec![Variant::Wasm, Variant::WasmArtifact];
    variants.extend(engines.iter().map(|e| Variant::Aot(e.name().to_owned())));
    variants.extend([
        Variant::NativeStatic,
        Variant::NativeDistroless,
        Variant::NativeDebian,
    ]);
    let mut header = format!("{:<18}", "function");
    for variant in &variants {
        header.push_str(&format!(" {:>17}", variant.to_string()));
    }
    println!("{header}");
    for function in functions {
        let mut line = format!("{:<18}", function.name);
        for variant in &variants {
            let program = match variant {
                Variant::Wasm | Variant::WasmArtifact => layout.wasm(function.name),
                Variant::Aot(name) => {
                    let engine = engines
                        .iter()
                        .find(|e| e.name() == name)
                        .expect("variants come from the engines");
                    layout.aot(name, function.name, engine.artifact_extension())
                }
                // The paper's images hold the glibc build; only the static one runs alone.
                Variant::NativeStatic => layout.native(function.name, NativeBuild::Static),
                Variant::NativeDistroless | Variant::NativeDebian => {
                    layout.native(function.name, NativeBuild::Glibc)
                }
            };
            let built = images.write(function.name, variant, &program)?;
            line.push_str(&format!(" {:>17}", human(built.size)));
        }
        println!("{line}");
    }
    eprintln!(
        "images in the OCI layout {} (tags <function>-<variant>); sizes: manifest + config + compressed layers; the Debian base is cached in {}",
        path.display(),
        images.base_cache().display()
    );
    Ok(ExitCode::SUCCESS)
}
