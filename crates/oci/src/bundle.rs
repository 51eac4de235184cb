//! OCI runtime bundles of a layout's images: a root filesystem (unpacked as umoci does, see
//! `layers`) and a `config.json`, so that runc (or any OCI runtime) can create containers of it.
use std::path::{Path, PathBuf};

use ocidir::oci_spec::image::{Descriptor, ImageConfiguration, ImageIndex, ImageManifest};
use ocidir::oci_spec::runtime::{Mount, MountBuilder, ProcessBuilder, RootBuilder, Spec};

use crate::ImageError;

/// What the image's config says about running it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRun {
    /// Entrypoint and command, joined as the runtime's argv.
    pub argv: Vec<String>,
    /// Environment, `NAME=value`.
    pub env: Vec<String>,
    /// Working directory (`/` when the image names none).
    pub cwd: String,
}

/// A host folder bind-mounted into the container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindMount {
    /// The host folder.
    pub host: PathBuf,
    /// Where the container sees it.
    pub guest: String,
    /// Mounted read-only.
    pub read_only: bool,
}

/// An unpacked image: a bundle folder with `rootfs/`, ready for a `config.json`.
#[derive(Debug, Clone)]
pub struct Bundle {
    /// The bundle folder.
    pub path: PathBuf,
    /// How the image says to run it.
    pub image: ImageRun,
    /// Whether the container's root must be read-only: its files are hard links shared with
    /// other bundles ([`crate::LayerStore`]).
    pub read_only_root: bool,
}

impl Bundle {
    /// The root filesystem.
    pub fn rootfs(&self) -> PathBuf {
        self.path.join("rootfs")
    }

    /// Writes `config.json`: the image's environment, `args` after its entrypoint, `mounts` as
    /// bind mounts, and otherwise
    /// what `runc spec` gives (its namespaces, /proc, /dev, /sys, masked paths), without a
    /// terminal. The container's cgroup is left to the runtime, which names it after the
    /// container. `annotations` go to the runtime (a wasm runtime reads its engine there).
    pub fn write_config(
        &self,
        args: &[String],
        mounts: &[BindMount],
        annotations: &std::collections::HashMap<String, String>,
    ) -> Result<Spec, ImageError> {
        let mut spec = self.spec(args, mounts)?;
        if !annotations.is_empty() {
            spec.set_annotations(Some(annotations.clone()));
        }
        let path = self.path.join("config.json");
        spec.save(&path).map_err(|e| ImageError::Input {
            path,
            problem: format!("cannot write the runtime config: {e}"),
        })?;
        Ok(spec)
    }

    fn spec(&self, args: &[String], mounts: &[BindMount]) -> Result<Spec, ImageError> {
        let invalid = |e: ocidir::oci_spec::OciSpecError| ImageError::Input {
            path: self.path.join("config.json"),
            problem: format!("invalid runtime config: {e}"),
        };
        let mut argv = self.image.argv.clone();
        argv.extend(args.iter().cloned());
        let process = ProcessBuilder::default()
            .terminal(false)
            .args(argv)
            .env(self.image.env.clone())
            .cwd(self.image.cwd.clone())
            .build()
            .map_err(invalid)?;
        let mut spec = Spec::default();
        let mut all_mounts: Vec<Mount> = spec.mounts().clone().unwrap_or_default();
        for mount in mounts {
            let mut options = vec!["rbind".to_owned(), "rprivate".to_owned()];
            options.push(if mount.read_only { "ro" } else { "rw" }.to_owned());
            all_mounts.push(
                MountBuilder::default()
                    .destination(&mount.guest)
                    .typ("bind")
                    .source(&mount.host)
                    .options(options)
                    .build()
                    .map_err(invalid)?,
            );
        }
        spec.set_process(Some(process))
            .set_root(Some(
                RootBuilder::default()
                    .path("rootfs")
                    .readonly(self.read_only_root)
                    .build()
                    .map_err(invalid)?,
            ))
            .set_hostname(Some("wasmfaas".into()))
            .set_mounts(Some(all_mounts));
        Ok(spec)
    }
}

/// How the image tagged `tag` in the layout at `layout` says to run it.
pub fn inspect(layout: &Path, tag: &str) -> Result<ImageRun, ImageError> {
    read_image(layout, tag).map(|(_, run)| run)
}

/// The index descriptor and the manifest of the image tagged `tag` in the layout at `layout`.
pub(crate) fn tagged_manifest(
    layout: &Path,
    tag: &str,
) -> Result<(Descriptor, ImageManifest), ImageError> {
    let bad = |path: &Path, problem: String| ImageError::Input {
        path: path.to_path_buf(),
        problem,
    };
    let index_path = layout.join("index.json");
    let index = ImageIndex::from_file(&index_path).map_err(|e| {
        bad(
            &index_path,
            format!("not an OCI image layout ({e}); write one with `wasmfaas images`"),
        )
    })?;
    let descriptor = index
        .manifests()
        .iter()
        .find(|d| {
            d.annotations()
                .as_ref()
                .and_then(|a| a.get("org.opencontainers.image.ref.name"))
                .is_some_and(|name| name == tag)
        })
        .cloned()
        .ok_or_else(|| {
            bad(
                layout,
                format!("no image tagged {tag:?} in this layout; `wasmfaas images` writes it"),
            )
        })?;
    let manifest_path = blob_path(layout, descriptor.digest());
    let manifest = ImageManifest::from_file(&manifest_path)
        .map_err(|e| bad(&manifest_path, format!("unreadable manifest of {tag}: {e}")))?;
    Ok((descriptor, manifest))
}

/// Where the blob of `digest` is in the layout at `layout`.
pub(crate) fn blob_path(layout: &Path, digest: &ocidir::oci_spec::image::Digest) -> PathBuf {
    layout
        .join("blobs")
        .join(digest.algorithm().as_ref())
        .join(digest.digest())
}

/// The manifest of the image tagged `tag`, and what its config says about running it.
pub(crate) fn read_image(
    layout: &Path,
    tag: &str,
) -> Result<(ImageManifest, ImageRun), ImageError> {
    let bad = |path: &Path, problem: String| ImageError::Input {
        path: path.to_path_buf(),
        problem,
    };
    let (_, manifest) = tagged_manifest(layout, tag)?;
    let blob = |digest| blob_path(layout, digest);
    let config_path = blob(manifest.config().digest());
    let config = ImageConfiguration::from_file(&config_path).map_err(|e| {
        bad(
            &config_path,
            format!("unreadable image config of {tag}: {e}"),
        )
    })?;
    let run_config = config.config().clone().unwrap_or_default();
    let mut argv: Vec<String> = run_config.entrypoint().clone().unwrap_or_default();
    argv.extend(run_config.cmd().clone().unwrap_or_default());
    if argv.is_empty() {
        return Err(bad(
            &config_path,
            format!("the image {tag} has neither entrypoint nor command"),
        ));
    }
    let cwd = run_config
        .working_dir()
        .clone()
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| "/".to_owned());
    Ok((
        manifest,
        ImageRun {
            argv,
            env: run_config.env().clone().unwrap_or_default(),
            cwd,
        },
    ))
}
