//! `wasmfaas images`: the suite's OCI images in one layout, and their sizes; with `--manifest`,
//! the images of the user's functions too.
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use wasmfaas_bench::Base;
use wasmfaas_oci::{Images, Variant};
use wasmfaas_suite::build::build_all;

use super::build::human;
use super::{ManifestArgs, ProjectArgs};

/// Arguments of `wasmfaas images`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  wasmfaas images
  skopeo inspect oci:artifacts/images:matmul-wasm
  umoci unpack --rootless --image artifacts/images:matmul-native-distroless bundle
  wasmfaas images --manifest examples/functions.toml")]
pub struct Args {
    /// The OCI image layout to write [default: artifacts/images in the project]
    #[arg(long, value_name = "DIR")]
    output: Option<PathBuf>,
    /// Functions, comma-separated globs (e.g. matmul,n-*) [default: the paper's 13]
    #[arg(long, value_delimiter = ',')]
    functions: Vec<String>,
    #[command(flatten)]
    manifest: ManifestArgs,
    #[command(flatten)]
    project: ProjectArgs,
}

/// Runs `wasmfaas images`.
pub fn run(args: Args) -> Result<ExitCode> {
    let layout = args.project.layout();
    let catalog = args.manifest.catalog()?;
    let functions: Vec<&'static wasmfaas_suite::Function> =
        super::select_functions(&args.functions, &catalog)?
            .iter()
            .map(|name| catalog.find(name).map_err(anyhow::Error::msg))
            .collect::<Result<_>>()?;
    let cache = wasmfaas_engines::AotCache::new(wasmfaas_engines::AotCache::default_root());
    // What a user function cannot have (no module, a dynamic binary for native-static), said
    // once below the table.
    let mut notes: Vec<String> = Vec::new();
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
            if let Some(user) = function.user {
                let cell =
                    match user_image(&images, function.name, user, variant, &engines, &cache)? {
                        Ok(built) => human(built.size),
                        Err(note) => {
                            notes.push(format!("{}-{variant}: {note}", function.name));
                            "-".to_owned()
                        }
                    };
                line.push_str(&format!(" {cell:>17}"));
                continue;
            }
            let program = match variant {
                Variant::Wasm | Variant::WasmArtifact => layout.wasm(function.name),
                Variant::Aot(name) => {
                    let engine = engines
                        .iter()
                        .find(|e| e.name() == name)
                        .expect("variants come from the engines");
                    layout.aot(name, function.name, engine.artifact_extension())
                }
                Variant::NativeStatic | Variant::NativeDistroless | Variant::NativeDebian => {
                    let base = Base::of_variant(variant).expect("a native variant has a base");
                    layout.native(function.name, base.native_build())
                }
            };
            let built = images.write(function.name, variant, &program)?;
            line.push_str(&format!(" {:>17}", human(built.size)));
        }
        println!("{line}");
    }
    for note in &notes {
        eprintln!("not written: {note}");
    }
    eprintln!(
        "images in the OCI layout {} (tags <function>-<variant>); sizes: manifest + config + compressed layers; the Debian base is cached in {}",
        path.display(),
        images.base_cache().display()
    );
    Ok(ExitCode::SUCCESS)
}

/// The image of a manifest's function: its module (or the module's AOT artifact, compiled into
/// the AOT cache) for the WebAssembly variants, its binary for the native ones. An image it
/// cannot have by what it declares (no module, no binary, a dynamic binary for native-static)
/// is the reason why; one that fails to be written (a library the loader cannot find) an error.
fn user_image(
    images: &Images,
    name: &str,
    user: &wasmfaas_suite::UserFunction,
    variant: &Variant,
    engines: &[Box<dyn wasmfaas_engines::Engine>],
    cache: &wasmfaas_engines::AotCache,
) -> Result<std::result::Result<wasmfaas_oci::Built, String>> {
    let program = match variant {
        Variant::Wasm | Variant::WasmArtifact => match user.module() {
            Ok(module) => module.to_path_buf(),
            Err(note) => return Ok(Err(note)),
        },
        Variant::Aot(engine) => {
            let engine = engines
                .iter()
                .find(|e| e.name() == engine)
                .expect("variants come from the engines");
            match user.module() {
                Ok(module) => cache.artifact_for(engine.as_ref(), module)?.path,
                Err(note) => return Ok(Err(note)),
            }
        }
        Variant::NativeStatic | Variant::NativeDistroless | Variant::NativeDebian => {
            match user.binary() {
                Ok(binary) => binary.to_path_buf(),
                Err(note) => return Ok(Err(note)),
            }
        }
    };
    if *variant == Variant::NativeStatic {
        let bytes = std::fs::read(&program)
            .with_context(|| format!("cannot read {}", program.display()))?;
        if let Some(loader) = wasmfaas_oci::interpreter(&bytes) {
            return Ok(Err(format!(
                "{} is dynamically linked (it asks for {loader}); native-static holds a static binary alone",
                program.display()
            )));
        }
    }
    let built = images
        .write(name, variant, &program)
        .with_context(|| format!("{name}'s {variant} image"))?;
    Ok(Ok(built))
}
