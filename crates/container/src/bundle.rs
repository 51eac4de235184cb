//! What can be checked of a bundle before anything is created.
use std::path::{Path, PathBuf};

use libcontainer::oci_spec::runtime::Spec;

use crate::ContainerError;
use crate::workload::Hints;

/// Checks the bundle, its config.json, the root filesystem, the process and the annotations.
/// Returns the bundle's absolute path.
pub fn check(bundle: &Path) -> Result<PathBuf, ContainerError> {
    let invalid = |problem: String| ContainerError::InvalidBundle { problem };
    let bundle = std::fs::canonicalize(bundle).map_err(|e| {
        invalid(format!(
            "bundle {}: {e}; give --bundle the folder that holds config.json",
            bundle.display()
        ))
    })?;
    let config = bundle.join("config.json");
    if !config.is_file() {
        return Err(invalid(format!(
            "bundle {}: no config.json; a bundle is a folder with config.json and the root filesystem it names \
             (make one with `runc spec`, or unpack an image with `umoci unpack`)",
            bundle.display()
        )));
    }
    let spec = Spec::load(&config).map_err(|e| {
        invalid(format!(
            "{}: not a valid OCI runtime spec: {e}",
            config.display()
        ))
    })?;
    let root = spec.root().as_ref().ok_or_else(|| {
        invalid(format!(
            "{}: no `root`: the spec names no root filesystem",
            config.display()
        ))
    })?;
    let rootfs = bundle.join(root.path());
    if !rootfs.is_dir() {
        return Err(invalid(format!(
            "{}: the root filesystem {} is not a folder",
            config.display(),
            rootfs.display()
        )));
    }
    let args = spec
        .process()
        .as_ref()
        .and_then(|p| p.args().as_ref())
        .filter(|args| !args.is_empty());
    if args.is_none() {
        return Err(invalid(format!(
            "{}: process.args is empty: the spec names no program to run",
            config.display()
        )));
    }
    Hints::from_annotations(spec.annotations().as_ref())
        .map_err(|e| invalid(format!("{}: {e}", config.display())))?;
    Ok(bundle)
}
