//! One image of a layout as an OCI archive (a tar of a layout holding only it), the form
//! `ctr image import` and `skopeo copy oci-archive:` read.
use std::path::Path;
use std::process::{Command, Stdio};

use ocidir::oci_spec::image::{Descriptor, ImageIndexBuilder, SCHEMA_VERSION};

use crate::ImageError;
use crate::bundle::tagged_manifest;

/// Writes the image tagged `tag` of the layout at `layout` to the archive `dest`: `oci-layout`,
/// an `index.json` naming only it, and the blobs it references.
pub fn export_archive(layout: &Path, tag: &str, dest: &Path) -> Result<(), ImageError> {
    let bad = |path: &Path, problem: String| ImageError::Input {
        path: path.to_path_buf(),
        problem,
    };
    let (descriptor, manifest) = tagged_manifest(layout, tag)?;
    let blob_name = |d: &Descriptor| {
        format!(
            "blobs/{}/{}",
            d.digest().algorithm().as_ref(),
            d.digest().digest()
        )
    };
    let single = ImageIndexBuilder::default()
        .schema_version(SCHEMA_VERSION)
        .manifests(vec![descriptor.clone()])
        .build()
        .map_err(|e| bad(dest, format!("cannot describe the archive's index: {e}")))?;
    let file = std::fs::File::create(dest).map_err(ImageError::io(dest))?;
    let mut tar = tar::Builder::new(std::io::BufWriter::new(file));
    tar.mode(tar::HeaderMode::Deterministic);
    let mut add = |name: &str, bytes: &[u8]| {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(0);
        tar.append_data(&mut header, name, bytes)
            .map_err(ImageError::io(dest))
    };
    add(
        "oci-layout",
        std::fs::read(layout.join("oci-layout"))
            .map_err(ImageError::io(&layout.join("oci-layout")))?
            .as_slice(),
    )?;
    add(
        "index.json",
        serde_json::to_vec(&single)
            .expect("an index serialises")
            .as_slice(),
    )?;
    let mut blobs = vec![descriptor, manifest.config().clone()];
    blobs.extend(manifest.layers().iter().cloned());
    for blob in &blobs {
        let name = blob_name(blob);
        let path = layout.join(&name);
        let mut file = std::fs::File::open(&path).map_err(|e| {
            bad(
                &path,
                format!("a blob of {tag} is missing from the layout ({e}); write it again with `wasmfaas images`"),
            )
        })?;
        tar.append_file(&name, &mut file)
            .map_err(ImageError::io(dest))?;
    }
    tar.into_inner()
        .and_then(|w| w.into_inner().map_err(|e| e.into_error()))
        .and_then(|f| f.sync_all())
        .map_err(ImageError::io(dest))
}

/// Imports the image tagged `tag` of the layout at `layout` into containerd with `ctr` (a `ctr`
/// command addressed to the daemon and namespace), through an archive written at `archive` and
/// removed after; returns the image's reference, `<repository>:<tag>`.
pub fn import_into_containerd(
    layout: &Path,
    tag: &str,
    repository: &str,
    mut ctr: Command,
    archive: &Path,
) -> Result<String, ImageError> {
    export_archive(layout, tag, archive)?;
    // --all-platforms: a WebAssembly image's platform is wasip1/wasm, not this host's.
    let imported = ctr
        .args([
            "image",
            "import",
            "--all-platforms",
            "--base-name",
            repository,
        ])
        .arg(archive)
        .stdin(Stdio::null())
        .output();
    std::fs::remove_file(archive).ok();
    let failed = |problem: String| ImageError::Input {
        path: archive.to_path_buf(),
        problem,
    };
    let output = imported.map_err(|e| failed(format!("cannot run ctr image import: {e}")))?;
    if !output.status.success() {
        return Err(failed(format!(
            "ctr image import failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    Ok(format!("{repository}:{tag}"))
}
