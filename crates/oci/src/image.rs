//! Writing one function's images into an OCI image layout.
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use ocidir::OciDir;
use ocidir::cap_std::ambient_authority;
use ocidir::cap_std::fs::Dir;
use ocidir::oci_spec::image::{
    Arch, ConfigBuilder, Descriptor, ImageConfiguration, ImageConfigurationBuilder,
    ImageManifestBuilder, MediaType, Os, Platform, PlatformBuilder, RootFsBuilder, SCHEMA_VERSION,
};

use crate::{DebianBase, Variant};

/// The annotation containerd's wasm shims read to know a compat image.
pub const VARIANT_ANNOTATION: &str = wasmfaas_names::annotation::VARIANT;
/// The config media type of a CNCF wasm OCI artifact.
pub const WASM_CONFIG_MEDIA_TYPE: &str = "application/vnd.wasm.config.v0+json";
/// The layer media type of a CNCF wasm OCI artifact.
pub const WASM_LAYER_MEDIA_TYPE: &str = "application/wasm";

/// Why an image could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    /// The program to put in the image is missing.
    #[error("{}: {problem}", path.display())]
    Input {
        /// The file.
        path: PathBuf,
        /// What is wrong, and what to do.
        problem: String,
    },
    /// The layout could not be written.
    #[error("OCI layout {}: {source}", path.display())]
    Layout {
        /// The layout folder.
        path: PathBuf,
        /// The error.
        source: ocidir::Error,
    },
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

impl ImageError {
    /// For `map_err`: an I/O error on `path` as [`ImageError::Io`].
    pub(crate) fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ImageError {
        let path = path.to_path_buf();
        move |source| ImageError::Io { path, source }
    }
}

/// One image written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Built {
    /// Its tag in the layout.
    pub tag: String,
    /// The digest of its manifest.
    pub digest: String,
    /// Its size as a registry stores it: manifest, config and (compressed) layers.
    pub size: u64,
}

/// An OCI image layout holding the suite's images, one tag per function and variant.
pub struct Images {
    oci: OciDir,
    path: PathBuf,
    bases: PathBuf,
    /// The distroless base's entries, made at the first native-distroless image and reused by
    /// the others (each would unpack the same two packages and walk the same zoneinfo).
    distroless: OnceLock<Vec<Entry>>,
}

impl std::fmt::Debug for Images {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Images").field("path", &self.path).finish()
    }
}

/// A file or folder of a layer.
#[derive(Clone)]
pub(crate) enum Entry {
    File {
        path: String,
        bytes: Vec<u8>,
        mode: u32,
    },
    Dir {
        path: String,
        mode: u32,
    },
    Symlink {
        path: String,
        target: PathBuf,
    },
}

impl Images {
    /// Opens the layout at `path`, creating it (and the folder) if needed.
    pub fn open(path: &Path) -> Result<Images, ImageError> {
        std::fs::create_dir_all(path).map_err(ImageError::io(path))?;
        let layout_error = |source| ImageError::Layout {
            path: path.to_path_buf(),
            source,
        };
        let dir = Dir::open_ambient_dir(path, ambient_authority()).map_err(ImageError::io(path))?;
        let oci = OciDir::ensure(dir).map_err(layout_error)?;
        // ocidir reads the index only when writing: a damaged one is said here, with the fix.
        let index = path.join("index.json");
        if index.exists() {
            ocidir::oci_spec::image::ImageIndex::from_file(&index).map_err(|e| {
                ImageError::Input {
                    path: index.clone(),
                    problem: format!(
                        "not a valid OCI image index ({e}): remove the layout {} and write it again with `wasmfaas images`",
                        path.display()
                    ),
                }
            })?;
        }
        let bases = path
            .parent()
            .map_or_else(|| PathBuf::from("bases"), |p| p.join("bases"));
        Ok(Images {
            oci,
            path: path.to_path_buf(),
            bases,
            distroless: OnceLock::new(),
        })
    }

    /// Keeps the cached bases (the Debian root) in `dir` rather than in `bases` beside the
    /// layout.
    pub fn with_base_cache(mut self, dir: &Path) -> Images {
        self.bases = dir.to_path_buf();
        self
    }

    /// Where the cached bases are.
    pub fn base_cache(&self) -> &Path {
        &self.bases
    }

    /// The layout's folder.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes `function`'s image of `variant` from `program` (the module, the AOT artifact or
    /// the native binary), replacing an earlier image with the same tag.
    pub fn write(
        &self,
        function: &str,
        variant: &Variant,
        program: &Path,
    ) -> Result<Built, ImageError> {
        let bytes = std::fs::read(program).map_err(|e| ImageError::Input {
            path: program.to_path_buf(),
            problem: format!("{e}: build the suite first with `wasmfaas build`"),
        })?;
        let tag = variant.tag(function);
        match variant {
            Variant::WasmArtifact => self.write_artifact(&tag, bytes),
            Variant::Wasm | Variant::Aot(_) => {
                let name = program
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| format!("{function}.wasm"));
                let annotations =
                    HashMap::from([(VARIANT_ANNOTATION.to_owned(), "compat-smart".to_owned())]);
                let entries = vec![Entry::File {
                    path: name.clone(),
                    bytes,
                    mode: 0o755,
                }];
                let platform = (Arch::Wasm, Os::Other("wasip1".into()));
                self.write_image(
                    &tag,
                    None,
                    entries,
                    &format!("/{name}"),
                    platform,
                    annotations,
                )
            }
            Variant::NativeStatic | Variant::NativeDistroless | Variant::NativeDebian => {
                let interpreter = crate::elf::interpreter(&bytes);
                let mut entries = Vec::new();
                match (&interpreter, variant) {
                    (Some(loader), Variant::NativeStatic) => {
                        return Err(ImageError::Input {
                            path: program.to_path_buf(),
                            problem: format!(
                                "dynamically linked (it asks for {loader}), and a native-static image holds the program alone: give a static binary (the suite's are in artifacts/native-static), or use native-distroless"
                            ),
                        });
                    }
                    (_, Variant::NativeDistroless) => {
                        let base = self.distroless_base()?;
                        let own = crate::distroless::program_libraries(
                            program,
                            interpreter.as_deref(),
                            base,
                        )?;
                        entries.extend(base.iter().cloned());
                        entries.extend(own);
                    }
                    _ => {}
                }
                // On Debian the program goes where a Dockerfile's COPY would put it.
                let (path, base) = if *variant == Variant::NativeDebian {
                    let base = DebianBase::ensure(&self.bases)?;
                    (format!("usr/local/bin/{function}"), Some(base))
                } else {
                    (function.to_owned(), None)
                };
                entries.push(Entry::File {
                    path: path.clone(),
                    bytes,
                    mode: 0o755,
                });
                let platform = (Arch::Amd64, Os::Linux);
                self.write_image(
                    &tag,
                    base.as_ref(),
                    entries,
                    &format!("/{path}"),
                    platform,
                    HashMap::new(),
                )
            }
        }
    }

    /// The distroless base's entries, made once per layout.
    fn distroless_base(&self) -> Result<&[Entry], ImageError> {
        if let Some(base) = self.distroless.get() {
            return Ok(base);
        }
        let base = crate::distroless::base(&self.bases)?;
        Ok(self.distroless.get_or_init(|| base))
    }

    fn layout_error(&self, source: ocidir::Error) -> ImageError {
        ImageError::Layout {
            path: self.path.clone(),
            source,
        }
    }

    /// A runnable image: the base's layer if any, then one deterministic gzip layer with
    /// `entries`, and a config with the entrypoint.
    fn write_image(
        &self,
        tag: &str,
        base: Option<&DebianBase>,
        entries: Vec<Entry>,
        entrypoint: &str,
        (arch, os): (Arch, Os),
        annotations: HashMap<String, String>,
    ) -> Result<Built, ImageError> {
        let err = |e| self.layout_error(e);
        let io = |source| ImageError::Io {
            path: self.path.clone(),
            source,
        };
        let mut layer = self.oci.create_layer(None).map_err(err)?;
        layer.mode(tar::HeaderMode::Deterministic);
        for entry in entries {
            append(&mut layer, entry).map_err(io)?;
        }
        let layer = layer.into_inner().map_err(io)?.complete().map_err(err)?;
        let config = ConfigBuilder::default()
            .entrypoint(vec![entrypoint.to_owned()])
            .env(vec![
                "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".to_owned(),
            ])
            .build()
            .map_err(|e| err(e.into()))?;
        let mut image_config: ImageConfiguration = ImageConfigurationBuilder::default()
            .architecture(arch.clone())
            .os(os.clone())
            .config(config)
            .rootfs(
                RootFsBuilder::default()
                    .typ("layers")
                    .diff_ids(Vec::<String>::new())
                    .build()
                    .map_err(|e| err(e.into()))?,
            )
            .build()
            .map_err(|e| err(e.into()))?;
        let mut manifest = self
            .oci
            .new_empty_manifest()
            .map_err(err)?
            .build()
            .map_err(|e| err(e.into()))?;
        // A fixed creation time keeps the config, and so the digest, reproducible.
        let epoch = chrono::DateTime::<chrono::Utc>::UNIX_EPOCH;
        if let Some(base) = base {
            self.push_base_layer(&mut manifest, &mut image_config, base, epoch)?;
        }
        self.oci.push_layer_full(
            &mut manifest,
            &mut image_config,
            layer,
            None::<HashMap<String, String>>,
            &format!("wasmfaas images: {tag}"),
            epoch,
        );
        if !annotations.is_empty() {
            manifest.set_annotations(Some(annotations));
        }
        let platform = platform(arch, os)?;
        let config = self.oci.write_config(image_config).map_err(err)?;
        manifest.set_config(config);
        let size = manifest_size(&manifest);
        let descriptor = self
            .oci
            .insert_manifest(manifest, Some(tag), platform)
            .map_err(err)?;
        Ok(built(tag, &descriptor, size))
    }

    /// Adds the shared base layer, copying its blob into the layout once.
    fn push_base_layer(
        &self,
        manifest: &mut ocidir::oci_spec::image::ImageManifest,
        config: &mut ImageConfiguration,
        base: &DebianBase,
        created: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), ImageError> {
        use ocidir::oci_spec::image::{DescriptorBuilder, Digest, HistoryBuilder};
        use std::str::FromStr;
        let blob = self.path.join("blobs").join("sha256").join(&base.digest);
        let blob_size = std::fs::metadata(&blob).map(|m| m.len()).ok();
        if blob_size != Some(base.size) {
            let partial = blob.with_extension("partial");
            std::fs::copy(&base.layer, &partial)
                .and_then(|_| std::fs::rename(&partial, &blob))
                .map_err(ImageError::io(&blob))?;
        }
        let bad_digest = |e| self.layout_error(ocidir::Error::from(e));
        let digest = Digest::from_str(&format!("sha256:{}", base.digest)).map_err(bad_digest)?;
        let diff_id = format!("sha256:{}", base.diff_id);
        let descriptor = DescriptorBuilder::default()
            .media_type(MediaType::ImageLayerGzip)
            .digest(digest)
            .size(base.size)
            .build()
            .map_err(|e| self.layout_error(e.into()))?;
        manifest.layers_mut().push(descriptor);
        config.rootfs_mut().diff_ids_mut().push(diff_id);
        let history = HistoryBuilder::default()
            .created(created.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            .created_by(format!(
                "debootstrap --variant=minbase {}",
                crate::DEBIAN_SUITE
            ))
            .build()
            .map_err(|e| self.layout_error(e.into()))?;
        config
            .history_mut()
            .get_or_insert_with(Vec::new)
            .push(history);
        Ok(())
    }

    /// A CNCF wasm OCI artifact: the module as an `application/wasm` layer.
    fn write_artifact(&self, tag: &str, module: Vec<u8>) -> Result<Built, ImageError> {
        let err = |e| self.layout_error(e);
        let io = |source| ImageError::Io {
            path: self.path.clone(),
            source,
        };
        let mut blob = self.oci.create_blob().map_err(err)?;
        blob.write_all(&module).map_err(io)?;
        let blob = blob.complete().map_err(err)?;
        let layer = blob
            .descriptor()
            .media_type(MediaType::Other(WASM_LAYER_MEDIA_TYPE.into()))
            .build()
            .map_err(|e| err(e.into()))?;
        let config = serde_json::json!({
            "created": "1970-01-01T00:00:00Z",
            "architecture": "wasm",
            "os": "wasip1",
            "layerDigests": [layer.digest().to_string()],
        });
        let config = self
            .oci
            .write_json_blob(&config, MediaType::Other(WASM_CONFIG_MEDIA_TYPE.into()))
            .map_err(err)?
            .build()
            .map_err(|e| err(e.into()))?;
        let manifest = ImageManifestBuilder::default()
            .schema_version(SCHEMA_VERSION)
            .media_type(MediaType::ImageManifest)
            .config(config)
            .layers(vec![layer])
            .build()
            .map_err(|e| err(e.into()))?;
        let size = manifest_size(&manifest);
        let descriptor = self
            .oci
            .insert_manifest(
                manifest,
                Some(tag),
                platform(Arch::Wasm, Os::Other("wasip1".into()))?,
            )
            .map_err(err)?;
        Ok(built(tag, &descriptor, size))
    }
}

fn platform(arch: Arch, os: Os) -> Result<Platform, ImageError> {
    PlatformBuilder::default()
        .architecture(arch)
        .os(os)
        .build()
        .map_err(|e| ImageError::Io {
            path: PathBuf::from("platform"),
            source: std::io::Error::other(e),
        })
}

/// Config and layers; the manifest's own size is added from its descriptor.
fn manifest_size(manifest: &ocidir::oci_spec::image::ImageManifest) -> u64 {
    manifest.config().size() + manifest.layers().iter().map(|l| l.size()).sum::<u64>()
}

fn built(tag: &str, descriptor: &Descriptor, size: u64) -> Built {
    Built {
        tag: tag.to_owned(),
        digest: descriptor.digest().to_string(),
        size: size + descriptor.size(),
    }
}

fn append<W: Write>(builder: &mut tar::Builder<W>, entry: Entry) -> std::io::Result<()> {
    let mut header = tar::Header::new_gnu();
    header.set_mtime(0);
    header.set_uid(0);
    header.set_gid(0);
    match entry {
        Entry::File { path, bytes, mode } => {
            header.set_entry_type(tar::EntryType::Regular);
            header.set_mode(mode);
            header.set_size(bytes.len() as u64);
            builder.append_data(&mut header, path, bytes.as_slice())
        }
        Entry::Dir { path, mode } => {
            header.set_entry_type(tar::EntryType::Directory);
            header.set_mode(mode);
            header.set_size(0);
            builder.append_data(&mut header, path, std::io::empty())
        }
        Entry::Symlink { path, target } => {
            header.set_entry_type(tar::EntryType::Symlink);
            header.set_mode(0o777);
            header.set_size(0);
            builder.append_link(&mut header, path, target)
        }
    }
}

impl Entry {
    /// Its path in the layer.
    pub(crate) fn path(&self) -> &str {
        match self {
            Entry::File { path, .. } | Entry::Dir { path, .. } | Entry::Symlink { path, .. } => {
                path
            }
        }
    }
}

/// The size of every tagged image in the layout at `path` (manifest + config + layers, as
/// [`Built::size`]), by tag.
pub fn sizes(path: &Path) -> Result<std::collections::BTreeMap<String, u64>, ImageError> {
    use ocidir::oci_spec::image::{ImageIndex, ImageManifest};
    let bad = |what: &Path, e: ocidir::oci_spec::OciSpecError| ImageError::Input {
        path: what.to_path_buf(),
        problem: format!("not a readable OCI layout: {e}; write it again with `wasmfaas images`"),
    };
    let index_path = path.join("index.json");
    let index = ImageIndex::from_file(&index_path).map_err(|e| bad(&index_path, e))?;
    let mut sizes = std::collections::BTreeMap::new();
    for descriptor in index.manifests() {
        let Some(tag) = descriptor
            .annotations()
            .as_ref()
            .and_then(|a| a.get("org.opencontainers.image.ref.name"))
        else {
            continue;
        };
        let digest = descriptor.digest();
        let blob = path
            .join("blobs")
            .join(digest.algorithm().as_ref())
            .join(digest.digest());
        let manifest = ImageManifest::from_file(&blob).map_err(|e| bad(&blob, e))?;
        sizes.insert(tag.clone(), manifest_size(&manifest) + descriptor.size());
    }
    Ok(sizes)
}
